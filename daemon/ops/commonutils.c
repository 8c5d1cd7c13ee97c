/* kz.gov.pki.knca.commonUtils: NCALayer's positional-argument module.
 * changeLocale is answered on the loop, and getActiveTokens too unless
 * PKCS#11 modules are configured (it asks them then); the methods that
 * ask the user or sign run on a worker (ops_commonutils_work). */
#include <glib.h>
#include <json-c/json.h>
#include <string.h>

#include <openssl/pem.h>

#include "daemon/crypto/cades.h"
#include "daemon/crypto/xmldsig.h"
#include "daemon/ops/sign.h"
#include "daemon/ops/tokens.h"
#include "daemon/ops/work.h"
#include "util/cleanup.h"
#include "util/log.h"

DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)
DEFINE_POINTER_CLEANUP(ops_key_free, struct ops_key)
DEFINE_POINTER_CLEANUP(prompter_free, struct prompter)

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

static char *serve_get_active_tokens(const struct ops_env *env, const struct proto_request *req)
{
	_cleanup_(json_object_putp) struct json_object *list = json_object_new_array();
	g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func(g_free);

	/* The storage types of hardware tokens that are present: PC/SC as
	 * it last saw them, and the configured modules' slots (asked now,
	 * which is why this runs on a worker then). File storages (PKCS12)
	 * are never listed, as in NCALayer. */
	if (!list)
		return proto_reply_error(req, PROTO_ERROR_INTERNAL, NULL);
	ops_active_tokens(env, types);
	for (guint i = 0; i < types->len; i++) {
		struct json_object *s = json_object_new_string(g_ptr_array_index(types, i));

		if (!s || json_object_array_add(list, s) < 0) {
			json_object_put(s);
			return proto_reply_error(req, PROTO_ERROR_INTERNAL, NULL);
		}
	}
	return proto_reply_common_ok(req, list);
}

char *ops_commonutils_serve(const struct ops_env *env, struct ops_session *session,
			    const struct proto_request *req)
{
	switch (req->method) {
	case PROTO_METHOD_GET_ACTIVE_TOKENS:
		return serve_get_active_tokens(env, req);
	case PROTO_METHOD_CHANGE_LOCALE:
		return serve_change_locale(session, req);
	case PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_FILE:
	case PROTO_METHOD_APPLY_CADES_T:
		return ops_reply_unavailable(req);
	default:
		/* The others are served by ops_commonutils_work(). */
		break;
	}
	return proto_reply_error(req, PROTO_ERROR_INTERNAL, NULL);
}

/* The methods that prompt, sign, touch files or the camera: they run on a
 * worker thread. Every other method answers at once on the main loop. */
static const bool needs_worker[_PROTO_METHOD_MAX] = {
	[PROTO_METHOD_GET_KEY_INFO] = true,
	[PROTO_METHOD_CREATE_CADES_FROM_BASE64] = true,
	[PROTO_METHOD_CREATE_CADES_FROM_BASE64_HASH] = true,
	[PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_BASE64] = true,
	[PROTO_METHOD_SIGN_XML] = true,
	[PROTO_METHOD_SIGN_XMLS] = true,
	[PROTO_METHOD_SHOW_FILE_CHOOSER] = true,
	[PROTO_METHOD_BASICS_SIGN] = true,
	[PROTO_METHOD_BASICS_GENERATE_CSR] = true,
	[PROTO_METHOD_BASICS_IMPORT_CERTIFICATE] = true,
	[PROTO_METHOD_BASICS_LIST_REQUESTS] = true,
	[PROTO_METHOD_BASICS_CANCEL_REQUEST] = true,
	[PROTO_METHOD_CAMERA_LIST_DEVICES] = true,
	[PROTO_METHOD_CAMERA_CAPTURE] = true,
	[PROTO_METHOD_CAMERA_RECORD] = true,
	[PROTO_METHOD_CAMERA_REVOKE_CONSENT] = true,
};

bool ops_method_needs_worker(const struct ops_env *env, enum proto_method method)
{
	/* C_GetSlotList may block: not on the loop. */
	if (method == PROTO_METHOD_GET_ACTIVE_TOKENS)
		return config_has_token_modules(env->cfg);
	return (unsigned)method < _PROTO_METHOD_MAX && needs_worker[method];
}

static int add_string(struct json_object *o, const char *key, const char *value)
{
	struct json_object *s = json_object_new_string(value ? value : "");

	if (!s || json_object_object_add(o, key, s) < 0) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static char *cert_pem(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *pem = NULL;
	long len;

	if (bio && PEM_write_bio_X509(bio, cert) == 1) {
		len = BIO_get_mem_data(bio, &data);
		pem = g_strndup(data, (gsize)len);
	}
	BIO_free(bio);
	return pem;
}

/* getKeyInfo's answer: the chosen key's certificate, field formats as
 * PROTOCOL.md lists them. */
static struct json_object *key_info_object(const struct ops_key *key)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	g_autofree char *pem = cert_pem(key->cert);
	g_autofree char *not_before = NULL, *not_after = NULL;
	struct certinfo info;
	int r;

	if (!o || !pem || certinfo_read(key->cert, &info) < 0)
		return NULL;
	not_before = g_strdup_printf("%" G_GINT64_FORMAT, info.not_before_ms);
	not_after = g_strdup_printf("%" G_GINT64_FORMAT, info.not_after_ms);
	r = add_string(o, "alias", key->alias);
	r = r ?: add_string(o, "keyId", info.key_id);
	r = r ?: add_string(o, "algorithm", info.algorithm);
	r = r ?: add_string(o, "subjectCn", info.subject_cn);
	r = r ?: add_string(o, "subjectDn", info.subject_dn);
	r = r ?: add_string(o, "issuerCn", info.issuer_cn);
	r = r ?: add_string(o, "issuerDn", info.issuer_dn);
	r = r ?: add_string(o, "serialNumber", info.serial);
	r = r ?: add_string(o, "certNotAfter", not_after);
	r = r ?: add_string(o, "certNotBefore", not_before);
	r = r ?: add_string(o, "authorityKeyIdentifier", info.authority_key_id);
	r = r ?: add_string(o, "pem", pem);
	certinfo_clear(&info);
	return r < 0 ? NULL : TAKE_PTR(o);
}

static char *work_get_key_info(struct ops_work *w, struct prompter *p)
{
	_cleanup_(ops_key_freep) struct ops_key *key = NULL;
	_cleanup_(json_object_putp) struct json_object *info = NULL;
	const char *storage = proto_arg_string(w->req, 0);
	char *reply = ops_check_storage(w->env->cfg, w->req, storage);

	if (reply)
		return reply;
	/* Any key, expired or revoked too: the page only learns which key
	 * the user has, nothing is signed. On a token: the first key with a
	 * certificate, after the PIN, as for signing. */
	reply = ops_open_key(w, p, storage, prompter_text(p, "show which key you use"), NULL, NULL,
			     &key);
	if (reply)
		return reply;
	info = key_info_object(key);
	if (!info)
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	log_info("%s: getKeyInfo: key %s", w->origin ? w->origin : "(no origin)", key->alias);
	return proto_reply_common_ok(w->req, info);
}

static char *work_show_file_chooser(struct ops_work *w, struct prompter *p)
{
	g_autofree char *path = NULL, *message = NULL;
	_cleanup_(json_object_putp) struct json_object *result = NULL;
	int r;

	r = prompter_choose_file(p, proto_arg_string(w->req, 0), proto_arg_string(w->req, 1),
				 &path, &message);
	if (r != 0)
		return ops_prompt_error(w, r, message);
	result = json_object_new_string(path);
	return proto_reply_common_ok(w->req, result);
}

/* The CMS methods: createCAdESFromBase64, createCAdESFromBase64Hash and
 * createCMSSignatureFromBase64. */
static char *work_cms(struct ops_work *w, struct prompter *p)
{
	struct sign_request s = {
		.format = SIGN_FORMAT_CMS,
		.storage = proto_arg_string(w->req, 0),
		.filter.key_type = certinfo_key_type_parse(proto_arg_string(w->req, 1)),
	};
	const char *b64 = proto_arg_string(w->req, 2);
	struct ops_doc doc = { 0 };

	switch (w->req->method) {
	case PROTO_METHOD_CREATE_CADES_FROM_BASE64_HASH:
		/* NCALayer answers an empty hash with a bare {"code":"500"}. */
		if (!*b64)
			return proto_reply_error(w->req, PROTO_ERROR_HASH_EMPTY, NULL);
		s.digested = true;
		break;
	case PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_BASE64:
		s.timestamp = TIMESTAMP_IF_CONFIGURED;
		s.attached = proto_arg_boolean(w->req, 3);
		break;
	default:
		s.attached = proto_arg_boolean(w->req, 3);
		break;
	}
	if (!ops_base64_decode(b64, &doc.owned, &doc.len))
		return proto_reply_error(w->req, PROTO_ERROR_DATA_INVALID,
					 s.digested ? "base64Hash is not valid base64"
						    : "base64Data is not valid base64");
	doc.data = doc.owned;
	s.docs = (struct ops_docs){ .v = g_memdup2(&doc, sizeof(doc)), .n = 1 };
	return sign_run(w, p, &s);
}

static char *work_xml(struct ops_work *w, struct prompter *p)
{
	struct sign_request s = {
		.format = SIGN_FORMAT_XML,
		.storage = proto_arg_string(w->req, 0),
		.filter.key_type = certinfo_key_type_parse(proto_arg_string(w->req, 1)),
		.tbs_xpath = proto_arg_string(w->req, 3),
		.parent_xpath = proto_arg_string(w->req, 4),
		/* The recorded commonUtils answers separate lines with CR LF. */
		.crlf = true,
		.result_array = w->req->method == PROTO_METHOD_SIGN_XMLS,
	};
	struct proto_strv xmls = { 0 };

	if (w->req->method == PROTO_METHOD_SIGN_XMLS) {
		if (proto_arg_strings(w->req, 2, &xmls) < 0)
			return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	} else {
		xmls.v = g_new0(const char *, 2);
		xmls.v[0] = proto_arg_string(w->req, 2);
		xmls.n = 1;
	}
	s.docs.v = g_new0(struct ops_doc, xmls.n);
	s.docs.n = xmls.n;
	for (size_t i = 0; i < xmls.n; i++)
		s.docs.v[i] = (struct ops_doc){ .data = (const uint8_t *)xmls.v[i],
						.len = strlen(xmls.v[i]) };
	free(xmls.v);
	return sign_run(w, p, &s);
}

char *ops_commonutils_work(struct ops_work *w)
{
	_cleanup_(prompter_freep) struct prompter *p =
		prompter_new(w->env->cfg, w->origin, w->locale, w->cancel);

	switch (w->req->method) {
	case PROTO_METHOD_GET_ACTIVE_TOKENS:
		return serve_get_active_tokens(w->env, w->req);
	case PROTO_METHOD_GET_KEY_INFO:
		return work_get_key_info(w, p);
	case PROTO_METHOD_SHOW_FILE_CHOOSER:
		return work_show_file_chooser(w, p);
	case PROTO_METHOD_CREATE_CADES_FROM_BASE64:
	case PROTO_METHOD_CREATE_CADES_FROM_BASE64_HASH:
	case PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_BASE64:
		return work_cms(w, p);
	case PROTO_METHOD_SIGN_XML:
	case PROTO_METHOD_SIGN_XMLS:
		return work_xml(w, p);
	default:
		break;
	}
	return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
}
