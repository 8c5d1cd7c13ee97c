/* Every answer's wire form. The conditions the daemon reports (enum
 * proto_error) are mapped to each answer family in one table, here; the
 * texts are listed in PROTOCOL.md "Errors". */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/internal.h"
#include "protocol/json.h"

static const struct error_form {
	/* commonUtils (and unknown-module) form: {"code":"500","message":key}
	 * or, with detail, "key: detail"; common_key NULL with common_detail:
	 * the detail alone; common_key NULL without: no message at all. */
	const char *common_key;
	bool common_detail;
	/* basics form: {"status":false,"code":code,...}; NULL: the cancel
	 * form {"body":{},"status":true}. */
	const char *invoker_code;
	/* basics "message" and the applet form's message. */
	const char *sentence;
} error_forms[_PROTO_ERROR_MAX] = {
	[PROTO_ERROR_CANCELLED] = {
		.common_key = "action.canceled",
		.invoker_code = NULL,
		.sentence = "The user cancelled the operation.",
	},
	[PROTO_ERROR_ORIGIN_REFUSED] = {
		.common_key = "origin.refused",
		.common_detail = true,
		.invoker_code = "ORIGIN_REFUSED",
		.sentence = "This web page's origin is not allowed to use the signing service.",
	},
	[PROTO_ERROR_UNAVAILABLE] = {
		.common_key = "method.unavailable",
		.common_detail = true,
		.invoker_code = "METHOD_UNAVAILABLE",
		.sentence = "This method is not available in this version of Qoltanba.",
	},
	[PROTO_ERROR_INTERNAL] = {
		.common_key = "internal.error",
		.invoker_code = "INTERNAL_ERROR",
		.sentence = "Qoltanba failed with an internal error.",
	},
	/* NCALayer's own keys (StorageInfo) where it has one. */
	[PROTO_ERROR_STORAGE_NAME_EMPTY] = {
		.common_key = "storageName.param.empty",
		.invoker_code = "STORAGE_UNKNOWN",
		.sentence = "No key storage type was given.",
	},
	[PROTO_ERROR_STORAGE_UNKNOWN] = {
		.common_key = "storage.unknown",
		.common_detail = true,
		.invoker_code = "STORAGE_UNKNOWN",
		.sentence = "The key storage type is not known.",
	},
	[PROTO_ERROR_STORAGE_EMPTY] = {
		.common_key = "storage.empty",
		.common_detail = true,
		.invoker_code = "STORAGE_EMPTY",
		.sentence = "No key storage of the allowed types is available.",
	},
	[PROTO_ERROR_FILE_NOT_FOUND] = {
		.common_key = "file.not_found",
		.common_detail = true,
		.invoker_code = "FILE_NOT_FOUND",
		.sentence = "The key file cannot be read.",
	},
	[PROTO_ERROR_KEYSTORE_CORRUPT] = {
		.common_key = "keystore.corrupt",
		.common_detail = true,
		.invoker_code = "KEYSTORE_CORRUPT",
		.sentence = "The key file is damaged or is not a PKCS#12 file.",
	},
	[PROTO_ERROR_PASSWORD_WRONG] = {
		.common_key = "password.wrong",
		.common_detail = true,
		.invoker_code = "WRONG_PASSWORD",
		.sentence = "The key's password was entered wrong too many times.",
	},
	[PROTO_ERROR_KEY_UNSUPPORTED] = {
		.common_key = "key.unsupported",
		.common_detail = true,
		.invoker_code = "KEY_UNSUPPORTED",
		.sentence = "The key's algorithm is not supported.",
	},
	[PROTO_ERROR_KEY_MISMATCH] = {
		.common_key = "key.mismatch",
		.common_detail = true,
		.invoker_code = "KEY_MISMATCH",
		.sentence = "The chosen key does not meet the page's requirements.",
	},
	[PROTO_ERROR_DATA_INVALID] = {
		.common_key = "data.invalid",
		.common_detail = true,
		.invoker_code = "INVALID_SIGNING_PARAMS",
		.sentence = "The data to sign or the signing parameters are not valid.",
	},
	[PROTO_ERROR_HASH_EMPTY] = {
		.invoker_code = "INVALID_SIGNING_PARAMS",
		.sentence = "The data to sign or the signing parameters are not valid.",
	},
	[PROTO_ERROR_XML] = {
		.common_detail = true,
		.invoker_code = "SIGNING_FAILURE",
		.sentence = "The XML document cannot be signed.",
	},
	[PROTO_ERROR_TIMESTAMP] = {
		.common_key = "tsp.failed",
		.common_detail = true,
		.invoker_code = "TSP_FAILURE",
		.sentence = "The timestamp service failed.",
	},
	[PROTO_ERROR_SIGNING_FAILED] = {
		.common_key = "signing.failed",
		.common_detail = true,
		.invoker_code = "SIGNING_FAILURE",
		.sentence = "The key failed to sign.",
	},
	[PROTO_ERROR_UI_UNAVAILABLE] = {
		.common_key = "ui.unavailable",
		.common_detail = true,
		.invoker_code = "UI_UNAVAILABLE",
		.sentence = "Qoltanba cannot ask the user: no dialog program works.",
	},
	/* Keys on tokens (ours: NCALayer shows these in its own dialogs). */
	[PROTO_ERROR_TOKEN_LOCKED] = {
		.common_key = "token.locked",
		.common_detail = true,
		.invoker_code = "TOKEN_LOCKED",
		.sentence = "The token's PIN is blocked: it was entered wrong too many times.",
	},
	[PROTO_ERROR_TOKEN_REMOVED] = {
		.common_key = "token.removed",
		.common_detail = true,
		.invoker_code = "TOKEN_REMOVED",
		.sentence = "The token was removed during the operation.",
	},
	[PROTO_ERROR_TOKEN_BUSY] = {
		.common_key = "token.busy",
		.common_detail = true,
		.invoker_code = "TOKEN_BUSY",
		.sentence = "The token is in use by another request.",
	},
	/* Remote key issuance (our extension). */
	[PROTO_ERROR_ENROLL_INVALID] = {
		.common_key = "enroll.invalid",
		.common_detail = true,
		.invoker_code = "INVALID_ENROLLMENT_PARAMS",
		.sentence = "The key request's parameters are not valid.",
	},
	[PROTO_ERROR_KEYGEN_FAILED] = {
		.common_key = "keygen.failed",
		.common_detail = true,
		.invoker_code = "CSR_GENERATING_FAILURE",
		.sentence = "The key pair or the certificate request could not be made.",
	},
	[PROTO_ERROR_REQUEST_UNKNOWN] = {
		.common_key = "request.unknown",
		.common_detail = true,
		.invoker_code = "REQUEST_UNKNOWN",
		.sentence = "No pending key request of this page has this id.",
	},
	[PROTO_ERROR_REQUEST_EXPIRED] = {
		.common_key = "request.expired",
		.common_detail = true,
		.invoker_code = "REQUEST_EXPIRED",
		.sentence = "The pending key request has expired: cancel it and make a new one.",
	},
	[PROTO_ERROR_CERT_INVALID] = {
		.common_key = "certificate.invalid",
		.common_detail = true,
		.invoker_code = "INVALID_IMPORTING_CERTIFICATE",
		.sentence = "The certificate cannot be read or cannot be used.",
	},
	[PROTO_ERROR_CERT_KEY_MISMATCH] = {
		.common_key = "certificate.key_mismatch",
		.common_detail = true,
		.invoker_code = "CERTIFICATE_KEY_MISMATCH",
		.sentence = "The certificate is not for the key of this request.",
	},
	[PROTO_ERROR_FILE_EXISTS] = {
		.common_key = "file.exists",
		.common_detail = true,
		.invoker_code = "FILE_EXISTS",
		.sentence = "A key file of that name exists already; it is never overwritten.",
	},
	[PROTO_ERROR_FOLDER_UNWRITABLE] = {
		.common_key = "folder.unwritable",
		.common_detail = true,
		.invoker_code = "FOLDER_UNWRITABLE",
		.sentence = "The key folder cannot be written.",
	},
	[PROTO_ERROR_PASSWORD_WEAK] = {
		.common_key = "password.weak",
		.common_detail = true,
		.invoker_code = "PASSWORD_WEAK",
		.sentence = "The new password does not meet the rule.",
	},
	[PROTO_ERROR_IMPORT_FAILED] = {
		.common_key = "import.failed",
		.common_detail = true,
		.invoker_code = "CERTIFICATE_IMPORTING_FAILURE",
		.sentence = "The key file could not be written.",
	},
	/* The camera (our extension). */
	[PROTO_ERROR_CAMERA_NONE] = {
		.common_key = "camera.none",
		.common_detail = true,
		.invoker_code = "NO_CAMERA",
		.sentence = "No camera is connected.",
	},
	[PROTO_ERROR_CAMERA_BUSY] = {
		.common_key = "camera.busy",
		.common_detail = true,
		.invoker_code = "CAMERA_BUSY",
		.sentence = "The camera is in use.",
	},
	[PROTO_ERROR_CAMERA_DENIED] = {
		.common_key = "camera.denied",
		.common_detail = true,
		.invoker_code = "CAMERA_DENIED",
		.sentence = "The user did not allow this page to use the camera.",
	},
	[PROTO_ERROR_CAMERA_UNSUPPORTED] = {
		.common_key = "camera.unsupported",
		.common_detail = true,
		.invoker_code = "CAMERA_UNSUPPORTED",
		.sentence = "The camera cannot give this picture size or frame rate.",
	},
	[PROTO_ERROR_CAMERA_LOST] = {
		.common_key = "camera.lost",
		.common_detail = true,
		.invoker_code = "CAMERA_LOST",
		.sentence = "The camera went away while it was in use.",
	},
	[PROTO_ERROR_CAMERA_FAILED] = {
		.common_key = "camera.failed",
		.common_detail = true,
		.invoker_code = "CAMERA_FAILED",
		.sentence = "The camera failed.",
	},
};

static int add_string(struct json_object *o, const char *key, const char *value)
{
	struct json_object *s = json_object_new_string(value);

	if (!s)
		return -ENOMEM;
	if (json_object_object_add(o, key, s) < 0) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static int add_bool(struct json_object *o, const char *key, bool value)
{
	struct json_object *b = json_object_new_boolean(value);

	if (!b)
		return -ENOMEM;
	if (json_object_object_add(o, key, b) < 0) {
		json_object_put(b);
		return -ENOMEM;
	}
	return 0;
}

/* Add a borrowed object under key (NULL is JSON null). */
static int add_borrowed(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_get(v);
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static char *common_reply(const struct proto_request *req, const char *code, const char *message,
			  struct json_object *response_object)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o || add_string(o, "code", code) < 0)
		return NULL;
	if (message && add_string(o, "message", message) < 0)
		return NULL;
	if (response_object && add_borrowed(o, "responseObject", response_object) < 0)
		return NULL;
	/* NCALayer puts the uuid into the answer object it re-serializes. */
	if (req && req->uuid && add_string(o, "uuid", req->uuid) < 0)
		return NULL;
	return pjson_write(o, NULL);
}

char *proto_reply_common_failure(const struct proto_request *req, const char *message)
{
	return common_reply(req, "500", message, NULL);
}

char *proto_reply_common_ok(const struct proto_request *req, struct json_object *response_object)
{
	return common_reply(req, "200", NULL, response_object);
}

char *proto_reply_invoker_failure(const char *code, const char *message, const char *details)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_bool(o, "status", false) < 0)
		return NULL;
	if (add_string(o, "code", code) < 0 || add_string(o, "message", message) < 0)
		return NULL;
	if (details && add_string(o, "details", details) < 0)
		return NULL;
	return pjson_write(o, NULL);
}

/* nlcommons CommonFailure: what NCALayer's apiVersion-2 dispatcher says. */
char *proto_reply_general_error(const char *details)
{
	return proto_reply_invoker_failure("GENERAL_ERROR", "General error.", details);
}

char *proto_reply_invocation_error(const char *details)
{
	return proto_reply_invoker_failure("INVOCATION_ERROR",
					   "An invoked method threw an exception.", details);
}

static char *invoker_body(struct json_object *body)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (json_object_object_add(o, "body", body) < 0) {
		json_object_put(body);
		return NULL;
	}
	if (add_bool(o, "status", true) < 0)
		return NULL;
	return pjson_write(o, NULL);
}

char *proto_reply_invoker_ok(const struct proto_request *req, struct json_object *result)
{
	struct json_object *body = json_object_new_object();

	if (!body)
		return NULL;
	if (add_borrowed(body, "result", result) < 0) {
		json_object_put(body);
		return NULL;
	}
	return invoker_body(body);
}

char *proto_reply_invoker_cancelled(const struct proto_request *req)
{
	struct json_object *body = json_object_new_object();

	if (!body)
		return NULL;
	return invoker_body(body);
}

static char *applet_reply(const char *message)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	if (!o || add_string(o, "errorCode", "COMMON") < 0 || add_string(o, "message", message) < 0)
		return NULL;
	return pjson_write(o, NULL);
}

char *proto_reply_applet_refusal(void)
{
	return applet_reply(
		"The NCALayer applet API (module kz.gov.pki.knca.applet.Applet, or no module) "
		"is switched off: NCA turned it off in 2024, and it made web pages handle key "
		"passwords. Use the module kz.gov.pki.knca.basics or kz.gov.pki.knca.commonUtils.");
}

char *proto_reply_error(const struct proto_request *req, enum proto_error err, const char *detail)
{
	enum proto_family family = req ? req->family : PROTO_FAMILY_COMMON;
	const struct error_form *form;
	_cleanup_free_ char *text = NULL;

	if ((unsigned)err >= _PROTO_ERROR_MAX)
		err = PROTO_ERROR_INTERNAL;
	form = &error_forms[err];

	switch (family) {
	case PROTO_FAMILY_INVOKER:
		if (!form->invoker_code)
			return proto_reply_invoker_cancelled(req);
		return proto_reply_invoker_failure(form->invoker_code, form->sentence, detail);
	case PROTO_FAMILY_APPLET:
		if (detail && asprintf(&text, "%s (%s)", form->sentence, detail) < 0)
			return NULL;
		return applet_reply(text ? text : form->sentence);
	case PROTO_FAMILY_COMMON:
	case PROTO_FAMILY_BARE:
		/* An unknown module has no error form of its own beyond
		 * MODULE_NOT_FOUND; the commonUtils form is the one pages know. */
		break;
	}
	if (!form->common_key) {
		/* The detail alone (a parser's message, as NCALayer passes
		 * it on), or NCALayer's bare {"code":"500"}. */
		return proto_reply_common_failure(req, form->common_detail ? detail : NULL);
	}
	if (form->common_detail && detail &&
	    asprintf(&text, "%s: %s", form->common_key, detail) < 0)
		return NULL;
	return proto_reply_common_failure(req, text ? text : form->common_key);
}

static const char *member_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static char *key_and_detail(const char *key, const char *detail)
{
	char *text = NULL;

	if (!detail)
		return strdup(key);
	if (asprintf(&text, "%s: %s", key, detail) < 0)
		return NULL;
	return text;
}

char *proto_answer_error(const char *answer, size_t len)
{
	static const char *const with_result[] = { "{\"responseObject\":", "{\"body\":" };
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	struct json_object *status;
	const char *code, *message;

	if (!answer)
		return NULL;
	for (size_t i = 0; i < sizeof(with_result) / sizeof(with_result[0]); i++)
		if (len >= strlen(with_result[i]) &&
		    memcmp(answer, with_result[i], strlen(with_result[i])) == 0)
			return NULL;
	if (pjson_parse(answer, len, PROTO_LIMITS_DEFAULT_MAX_DEPTH, &o, NULL) != 0)
		return NULL;

	/* invoker: {"code","details","message","status":false} */
	if (json_object_object_get_ex(o, "status", &status)) {
		if (!json_object_is_type(status, json_type_boolean) ||
		    json_object_get_boolean(status))
			return NULL;
		code = member_string(o, "code");
		return code ? key_and_detail(code, member_string(o, "details")) : NULL;
	}
	/* bare {"success": false, "errorCode": "MODULE_NOT_FOUND"}: the probe
	 * answer; applet {"errorCode":"COMMON","message"} */
	if (json_object_object_get_ex(o, "success", NULL))
		return NULL;
	code = member_string(o, "errorCode");
	if (code)
		return key_and_detail(code, member_string(o, "message"));
	/* common: {"code":"500","message"} */
	code = member_string(o, "code");
	if (!code || strcmp(code, "200") == 0)
		return NULL;
	message = member_string(o, "message");
	if (message && strcmp(message, error_forms[PROTO_ERROR_CANCELLED].common_key) == 0)
		return NULL;
	return strdup(message ? message : code);
}
