/* kz.gov.pki.knca.commonUtils: positional arguments, chosen like NCALayer's
 * NLCommonBundle dispatcher chooses them. It looks for a Java method whose
 * name and parameter count match "method" and the length of "args", and
 * lets reflection refuse arguments of the wrong JSON type. The answers
 * keep its texts: "NoSuchMethodException m" and
 * "java.lang.IllegalArgumentException: argument type mismatch. Method: m". */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/internal.h"

enum param {
	PARAM_STRING,
	PARAM_BOOLEAN, /* Java boolean; we also take "true"/"false" */
	PARAM_STRINGS, /* Java String[] */
};

#define MAX_PARAMS 5

static const struct cu_method {
	enum proto_method method;
	unsigned n_params;
	enum param params[MAX_PARAMS];
} cu_methods[] = {
	{ PROTO_METHOD_GET_ACTIVE_TOKENS, 0, {} },
	/* storageName */
	{ PROTO_METHOD_GET_KEY_INFO, 1, { PARAM_STRING } },
	/* storageName, keyType, base64Data, attached */
	{ PROTO_METHOD_CREATE_CADES_FROM_BASE64,
	  4,
	  { PARAM_STRING, PARAM_STRING, PARAM_STRING, PARAM_BOOLEAN } },
	/* storageName, keyType, base64Hash */
	{ PROTO_METHOD_CREATE_CADES_FROM_BASE64_HASH,
	  3,
	  { PARAM_STRING, PARAM_STRING, PARAM_STRING } },
	/* storageName, keyType, base64Data, attached */
	{ PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_BASE64,
	  4,
	  { PARAM_STRING, PARAM_STRING, PARAM_STRING, PARAM_BOOLEAN } },
	/* storageName, keyType, filePath, attached */
	{ PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_FILE,
	  4,
	  { PARAM_STRING, PARAM_STRING, PARAM_STRING, PARAM_BOOLEAN } },
	/* storageName, keyType, xml, tbsElementXPath, signatureParentElementXPath */
	{ PROTO_METHOD_SIGN_XML,
	  5,
	  { PARAM_STRING, PARAM_STRING, PARAM_STRING, PARAM_STRING, PARAM_STRING } },
	/* storageName, keyType, xmls, tbsElementXPath, signatureParentElementXPath */
	{ PROTO_METHOD_SIGN_XMLS,
	  5,
	  { PARAM_STRING, PARAM_STRING, PARAM_STRINGS, PARAM_STRING, PARAM_STRING } },
	/* localeId */
	{ PROTO_METHOD_CHANGE_LOCALE, 1, { PARAM_STRING } },
	/* fileExtension, currentDirectory */
	{ PROTO_METHOD_SHOW_FILE_CHOOSER, 2, { PARAM_STRING, PARAM_STRING } },
	/* storageName, keyType, base64Cms */
	{ PROTO_METHOD_APPLY_CADES_T, 3, { PARAM_STRING, PARAM_STRING, PARAM_STRING } },
};

static bool is_boolean_string(struct json_object *v)
{
	const char *s;
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	return pjson_ascii_caseeq(s, n, "true") || pjson_ascii_caseeq(s, n, "false");
}

static bool param_accepts(enum param p, struct json_object *v)
{
	size_t n;

	switch (p) {
	case PARAM_STRING:
		return json_object_is_type(v, json_type_string);
	case PARAM_BOOLEAN:
		return json_object_is_type(v, json_type_boolean) || is_boolean_string(v);
	case PARAM_STRINGS:
		if (!json_object_is_type(v, json_type_array))
			return false;
		n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
				return false;
		return true;
	}
	return false;
}

static int answer(struct proto_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int answer(struct proto_request *req, const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	req->reply = proto_reply_common_failure(req, message);
	return req->reply ? 0 : -ENOMEM;
}

int proto_commonutils_check(struct proto_request *req)
{
	struct json_object *v, *args;
	const struct cu_method *found = NULL;
	size_t n_args;

	/* The uuid first: every answer to this request carries it. */
	if (json_object_object_get_ex(req->root, "uuid", &v) &&
	    json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0) {
		req->uuid = strdup(json_object_get_string(v));
		if (!req->uuid)
			return -ENOMEM;
	}

	/* NCALayer reads the name with getString("method"). */
	if (!json_object_object_get_ex(req->root, "method", &v))
		return answer(req, "%s", "JSONObject[\"method\"] not found.");
	if (!req->method_name)
		return answer(req, "%s", "JSONObject[\"method\"] is not a string.");

	if (!json_object_object_get_ex(req->root, "args", &args)) {
		/* No "args" is no arguments (getActiveTokens is sent so). */
		args = json_object_new_array();
		if (!args)
			return -ENOMEM;
		if (json_object_object_add(req->root, "args", args) < 0) {
			json_object_put(args);
			return -ENOMEM;
		}
	} else if (!json_object_is_type(args, json_type_array)) {
		return answer(req, "%s", "JSONObject[\"args\"] is not a JSONArray.");
	}
	n_args = json_object_array_length(args);

	for (size_t i = 0; i < sizeof(cu_methods) / sizeof(cu_methods[0]); i++) {
		const struct cu_method *m = &cu_methods[i];

		if (strcmp(proto_method_name(m->method), req->method_name) == 0 &&
		    m->n_params == n_args) {
			found = m;
			break;
		}
	}
	if (!found)
		return answer(req, "NoSuchMethodException %s", req->method_name);

	req->method = found->method;
	for (size_t i = 0; i < n_args; i++)
		if (!param_accepts(found->params[i], json_object_array_get_idx(args, i)))
			return answer(req,
				      "java.lang.IllegalArgumentException: argument type mismatch. "
				      "Method: %s",
				      req->method_name);
	req->args = args;
	return 0;
}

static struct json_object *arg_at(const struct proto_request *req, size_t i)
{
	if (!req || req->module != PROTO_MODULE_COMMON_UTILS ||
	    !json_object_is_type(req->args, json_type_array) ||
	    i >= json_object_array_length(req->args))
		return NULL;
	return json_object_array_get_idx(req->args, i);
}

const char *proto_arg_string(const struct proto_request *req, size_t i)
{
	struct json_object *v = arg_at(req, i);

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool proto_arg_boolean(const struct proto_request *req, size_t i)
{
	struct json_object *v = arg_at(req, i);

	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return is_boolean_string(v) &&
	       pjson_ascii_caseeq(json_object_get_string(v),
				  (size_t)json_object_get_string_len(v), "true");
}

int proto_arg_strings(const struct proto_request *req, size_t i, struct proto_strv *ret)
{
	struct json_object *v = arg_at(req, i);
	const char **s;
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return -EINVAL;
	n = json_object_array_length(v);
	s = calloc(n + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		struct json_object *e = json_object_array_get_idx(v, k);

		if (!json_object_is_type(e, json_type_string)) {
			free(s);
			return -EINVAL;
		}
		s[k] = json_object_get_string(e);
	}
	*ret = (struct proto_strv){ .v = s, .n = n };
	return 0;
}
