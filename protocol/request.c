/* One request: parse the text, route on "module", hand the module's checks
 * to commonutils.c or basics.c. The routing follows NCALayer's core: no
 * module means the legacy applet, an unknown one gets MODULE_NOT_FOUND. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/internal.h"
#include "protocol/json.h"

/* NCA's documentation shows this form, spaces included; pages test
 * `!result.success && result.errorCode === 'MODULE_NOT_FOUND'`. */
#define MODULE_NOT_FOUND_REPLY "{\"success\": false, \"errorCode\": \"MODULE_NOT_FOUND\"}"

static const char *const method_names[_PROTO_METHOD_MAX] = {
	[PROTO_METHOD_GET_ACTIVE_TOKENS] = "getActiveTokens",
	[PROTO_METHOD_GET_KEY_INFO] = "getKeyInfo",
	[PROTO_METHOD_CREATE_CADES_FROM_BASE64] = "createCAdESFromBase64",
	[PROTO_METHOD_CREATE_CADES_FROM_BASE64_HASH] = "createCAdESFromBase64Hash",
	[PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_BASE64] = "createCMSSignatureFromBase64",
	[PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_FILE] = "createCMSSignatureFromFile",
	[PROTO_METHOD_SIGN_XML] = "signXml",
	[PROTO_METHOD_SIGN_XMLS] = "signXmls",
	[PROTO_METHOD_CHANGE_LOCALE] = "changeLocale",
	[PROTO_METHOD_SHOW_FILE_CHOOSER] = "showFileChooser",
	[PROTO_METHOD_APPLY_CADES_T] = "applyCAdEST",
	[PROTO_METHOD_BASICS_SIGN] = "sign",
	[PROTO_METHOD_BASICS_GENERATE_CSR] = "generateCsr",
	[PROTO_METHOD_BASICS_IMPORT_CERTIFICATE] = "importCertificate",
	[PROTO_METHOD_BASICS_LIST_REQUESTS] = "listRequests",
	[PROTO_METHOD_BASICS_CANCEL_REQUEST] = "cancelRequest",
	[PROTO_METHOD_CAMERA_LIST_DEVICES] = "listDevices",
	[PROTO_METHOD_CAMERA_CAPTURE] = "capture",
	[PROTO_METHOD_CAMERA_RECORD] = "record",
	[PROTO_METHOD_CAMERA_STATUS] = "status",
	[PROTO_METHOD_CAMERA_REVOKE_CONSENT] = "revokeConsent",
};

const char *proto_method_name(enum proto_method m)
{
	if ((unsigned)m >= _PROTO_METHOD_MAX)
		return NULL;
	return method_names[m];
}

const char *proto_module_name(enum proto_module m)
{
	switch (m) {
	case PROTO_MODULE_COMMON_UTILS:
		return PROTO_MODULE_NAME_COMMON_UTILS;
	case PROTO_MODULE_BASICS:
		return PROTO_MODULE_NAME_BASICS;
	case PROTO_MODULE_APPLET:
		return PROTO_MODULE_NAME_APPLET;
	case PROTO_MODULE_CAMERA:
		return PROTO_MODULE_NAME_CAMERA;
	case PROTO_MODULE_NONE:
		break;
	}
	return NULL;
}

void proto_fault_set(struct proto_fault *f, const char *exception, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (exception)
		n = snprintf(f->text, sizeof(f->text), "%s: ", exception);
	if (n < 0 || (size_t)n >= sizeof(f->text))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(f->text + n, sizeof(f->text) - n, fmt, ap);
	va_end(ap);
	pjson_utf8_truncate(f->text);
}

struct proto_request *proto_request_free(struct proto_request *req)
{
	if (!req)
		return NULL;
	json_object_put(req->root);
	free(req->uuid);
	free(req->reply);
	free(req);
	return NULL;
}

static void proto_request_freep(struct proto_request **req)
{
	proto_request_free(*req);
}

/* Which module: "module" absent or null means the applet (NCALayer's
 * default); a string names one; anything else, and a name we do not know,
 * is PROTO_MODULE_NONE. */
static enum proto_module module_of(struct json_object *root)
{
	struct json_object *m;
	const char *name;

	if (!json_object_object_get_ex(root, "module", &m) || !m)
		return PROTO_MODULE_APPLET;
	if (json_object_is_type(m, json_type_string)) {
		name = json_object_get_string(m);
		if (strcmp(name, PROTO_MODULE_NAME_COMMON_UTILS) == 0)
			return PROTO_MODULE_COMMON_UTILS;
		if (strcmp(name, PROTO_MODULE_NAME_BASICS) == 0)
			return PROTO_MODULE_BASICS;
		if (strcmp(name, PROTO_MODULE_NAME_APPLET) == 0)
			return PROTO_MODULE_APPLET;
		if (strcmp(name, PROTO_MODULE_NAME_CAMERA) == 0)
			return PROTO_MODULE_CAMERA;
	}
	return PROTO_MODULE_NONE;
}

static int answer_unparsable(struct proto_request *req, const struct pjson_error *e)
{
	_cleanup_free_ char *message = NULL;

	if (asprintf(&message, "json.invalid: %s at character %zu", e->message, e->offset) < 0)
		return -ENOMEM;
	req->reply = proto_reply_common_failure(req, message);
	return req->reply ? 0 : -ENOMEM;
}

int proto_request_parse(const char *text, size_t len, const struct proto_limits *limits,
			struct proto_request **ret)
{
	_cleanup_(proto_request_freep) struct proto_request *req = NULL;
	struct pjson_error error;
	struct json_object *m;
	unsigned max_depth;
	int r = 0;

	if (!ret || (!text && len > 0))
		return -EINVAL;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->family = PROTO_FAMILY_COMMON;
	req->module = PROTO_MODULE_NONE;
	req->method = PROTO_METHOD_NONE;

	max_depth = PROTO_LIMITS_DEFAULT_MAX_DEPTH;
	if (limits && limits->max_depth)
		max_depth = limits->max_depth;
	r = pjson_parse(text, len, max_depth, &req->root, &error);
	if (r < 0)
		return r;
	if (r > 0) {
		r = answer_unparsable(req, &error);
		if (r < 0)
			return r;
		*ret = TAKE_PTR(req);
		return 0;
	}

	if (json_object_object_get_ex(req->root, "method", &m) &&
	    json_object_is_type(m, json_type_string))
		req->method_name = json_object_get_string(m);

	req->module = module_of(req->root);
	switch (req->module) {
	case PROTO_MODULE_NONE:
		req->family = PROTO_FAMILY_BARE;
		req->reply = strdup(MODULE_NOT_FOUND_REPLY);
		r = req->reply ? 0 : -ENOMEM;
		break;
	case PROTO_MODULE_APPLET:
		req->family = PROTO_FAMILY_APPLET;
		req->reply = proto_reply_applet_refusal();
		r = req->reply ? 0 : -ENOMEM;
		break;
	case PROTO_MODULE_COMMON_UTILS:
		req->family = PROTO_FAMILY_COMMON;
		r = proto_commonutils_check(req);
		break;
	case PROTO_MODULE_BASICS:
	case PROTO_MODULE_CAMERA:
		req->family = PROTO_FAMILY_INVOKER;
		r = proto_basics_check(req);
		break;
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(req);
	return 0;
}
