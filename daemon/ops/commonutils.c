/* kz.gov.pki.knca.commonUtils: NCALayer's positional-argument module. */
#include <glib.h>
#include <json-c/json.h>
#include <string.h>

#include "daemon/ops/ops.h"
#include "util/cleanup.h"

DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)

/* NCALayer takes "kz" for Kazakh as well as "kk". */
static const char *locale_normalize(const char *s)
{
	if (g_ascii_strcasecmp(s, "kk") == 0 || g_ascii_strcasecmp(s, "kz") == 0)
		return "kk";
	if (g_ascii_strcasecmp(s, "ru") == 0)
		return "ru";
	if (g_ascii_strcasecmp(s, "en") == 0)
		return "en";
	return NULL;
}

static char *serve_change_locale(struct ops_session *session, const struct proto_request *req)
{
	const char *asked = json_object_get_string(json_object_array_get_idx(req->args, 0));
	const char *locale = locale_normalize(asked);

	/* NCALayer answers 200 for any string; an unknown language leaves
	 * the prompts in the one chosen before. */
	if (locale)
		g_strlcpy(session->locale, locale, sizeof(session->locale));
	return proto_reply_common_ok(req, NULL);
}

static char *serve_get_active_tokens(const struct proto_request *req)
{
	_cleanup_(json_object_putp) struct json_object *list = json_object_new_array();

	/* The storage types of hardware tokens that are present. File
	 * storages (PKCS12) are never listed, as in NCALayer. This release
	 * has no token sources, so the list is empty. */
	return proto_reply_common_ok(req, list);
}

char *ops_commonutils_serve(const struct ops_env *env, struct ops_session *session,
			    const struct proto_request *req)
{
	switch (req->method) {
	case PROTO_METHOD_GET_ACTIVE_TOKENS:
		return serve_get_active_tokens(req);
	case PROTO_METHOD_CHANGE_LOCALE:
		return serve_change_locale(session, req);
	case PROTO_METHOD_GET_KEY_INFO:
	case PROTO_METHOD_CREATE_CADES_FROM_BASE64:
	case PROTO_METHOD_CREATE_CADES_FROM_BASE64_HASH:
	case PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_BASE64:
	case PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_FILE:
	case PROTO_METHOD_SIGN_XML:
	case PROTO_METHOD_SIGN_XMLS:
	case PROTO_METHOD_SHOW_FILE_CHOOSER:
	case PROTO_METHOD_APPLY_CADES_T:
		return ops_reply_unavailable(req);
	case PROTO_METHOD_NONE:
	case PROTO_METHOD_BASICS_SIGN:
	case PROTO_METHOD_BASICS_GENERATE_CSR:
	case PROTO_METHOD_BASICS_IMPORT_CERTIFICATE:
	case _PROTO_METHOD_MAX:
		break;
	}
	return proto_reply_error(req, PROTO_ERROR_INTERNAL, NULL);
}
