/* kz.gov.pki.knca.basics: named arguments behind NCA's apiVersion-2
 * dispatcher (nlcommons CommonInvoker). The dispatcher's own refusals are
 * GENERAL_ERROR; what the method's org.json getters throw is
 * INVOCATION_ERROR with the exception as "details", e.g.
 * "org.json.JSONException: JSONObject[\"signingParams\"] is not a JSONObject."
 *
 * sign's checks are one function, sign_read(), used twice: to check the
 * request while parsing it (into a struct thrown away), and to fill struct
 * proto_sign_args for the daemon, so the two can never disagree. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/internal.h"

static const enum proto_method basics_methods[] = {
	PROTO_METHOD_BASICS_SIGN,
	PROTO_METHOD_BASICS_GENERATE_CSR,
	PROTO_METHOD_BASICS_IMPORT_CERTIFICATE,
	PROTO_METHOD_BASICS_LIST_REQUESTS,
	PROTO_METHOD_BASICS_CANCEL_REQUEST,
};

static const enum proto_method camera_methods[] = {
	PROTO_METHOD_CAMERA_LIST_DEVICES, PROTO_METHOD_CAMERA_CAPTURE,
	PROTO_METHOD_CAMERA_RECORD,	  PROTO_METHOD_CAMERA_STATUS,
	PROTO_METHOD_CAMERA_REVOKE_CONSENT,
};

/* org.json getJSONObject(): required, an object. */
int pargs_need_object(struct json_object *o, const char *key, struct json_object **ret,
		       struct proto_fault *fault)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"%s\"] not found.", key);
		return FAULT;
	}
	if (!json_object_is_type(v, json_type_object)) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"%s\"] is not a JSONObject.",
				key);
		return FAULT;
	}
	*ret = v;
	return 0;
}

/* A member that may be absent; JSON null counts as absent (org.json's
 * opt*() getters treat JSONObject.NULL so). */
struct json_object *pargs_opt_member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* org.json getBoolean(): a boolean or the string "true"/"false" in any
 * case; absent or null: def. */
static int opt_boolean(struct json_object *o, const char *key, bool def, bool *ret,
		       struct proto_fault *fault)
{
	struct json_object *v = pargs_opt_member(o, key);
	const char *s;
	size_t n;

	if (!v) {
		*ret = def;
		return 0;
	}
	if (json_object_is_type(v, json_type_boolean)) {
		*ret = json_object_get_boolean(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		if (pjson_ascii_caseeq(s, n, "true") || pjson_ascii_caseeq(s, n, "false")) {
			*ret = pjson_ascii_caseeq(s, n, "true");
			return 0;
		}
	}
	proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"%s\"] is not a Boolean.", key);
	return FAULT;
}

/* An optional string: absent or null gives NULL. */
int pargs_opt_string(struct json_object *o, const char *key, const char **ret,
		      struct proto_fault *fault)
{
	struct json_object *v = pargs_opt_member(o, key);

	if (v && !json_object_is_type(v, json_type_string)) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"%s\"] is not a string.", key);
		return FAULT;
	}
	*ret = v ? json_object_get_string(v) : NULL;
	return 0;
}

/* Every element of the array a is a string (org.json JSONArray.getString());
 * list them in *ret. */
int pargs_string_array(struct json_object *a, struct proto_strv *ret, struct proto_fault *fault)
{
	size_t n = json_object_array_length(a);
	const char **v = calloc(n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_string)) {
			free(v);
			proto_fault_set(fault, JSON_EXCEPTION, "JSONArray[%zu] is not a string.",
					i);
			return FAULT;
		}
		v[i] = json_object_get_string(e);
	}
	*ret = (struct proto_strv){ .v = v, .n = n };
	return 0;
}

/* The one string s as a list. */
static int string_one(const char *s, struct proto_strv *ret)
{
	const char **v = calloc(2, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v[0] = s;
	*ret = (struct proto_strv){ .v = v, .n = 1 };
	return 0;
}

/* allowedStorages "A, B,C": split a copy on commas, trim, drop empty items. */
static int storages_split(const char *s, struct proto_sign_args *out)
{
	size_t n = 1, k = 0;
	char *buf, *p;

	for (const char *c = s; *c; c++)
		n += *c == ',';
	buf = strdup(s);
	out->storages.v = calloc(n + 1, sizeof(char *));
	if (!buf || !out->storages.v) {
		free(buf);
		free(out->storages.v);
		out->storages.v = NULL;
		return -ENOMEM;
	}
	out->storages_buf = buf;
	for (p = buf;;) {
		char *end = strchrnul(p, ','), *item = p, *last = end;
		bool more = *end == ',';

		*end = '\0';
		while (*item == ' ' || *item == '\t')
			item++;
		while (last > item && (last[-1] == ' ' || last[-1] == '\t'))
			*--last = '\0';
		if (*item)
			out->storages.v[k++] = item;
		if (!more)
			break;
		p = end + 1;
	}
	out->storages.n = k;
	return 0;
}

static int sign_read_format(struct json_object *args, struct proto_sign_args *out,
			    struct proto_fault *fault)
{
	struct json_object *v;
	const char *format;

	if (!json_object_object_get_ex(args, "format", &v)) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"format\"] not found.");
		return FAULT;
	}
	if (!json_object_is_type(v, json_type_string)) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"format\"] is not a string.");
		return FAULT;
	}
	format = json_object_get_string(v);
	if (strcmp(format, "xml") == 0)
		out->format = PROTO_SIGN_FORMAT_XML;
	else if (strcmp(format, "cms") == 0)
		out->format = PROTO_SIGN_FORMAT_CMS;
	else if (strcmp(format, "raw") == 0)
		out->format = PROTO_SIGN_FORMAT_RAW;
	else {
		proto_fault_set(fault, ARGUMENT_EXCEPTION, "format must be xml, cms or raw");
		return FAULT;
	}
	return 0;
}

static int sign_read_data(struct json_object *args, struct proto_sign_args *out,
			  struct proto_fault *fault)
{
	struct json_object *v;

	if (!json_object_object_get_ex(args, "data", &v)) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"data\"] not found.");
		return FAULT;
	}
	if (json_object_is_type(v, json_type_string)) {
		out->data_is_array = false;
		return string_one(json_object_get_string(v), &out->data);
	}
	if (!json_object_is_type(v, json_type_array)) {
		proto_fault_set(fault, ARGUMENT_EXCEPTION,
				"data must be a string or an array of strings");
		return FAULT;
	}
	if (json_object_array_length(v) == 0) {
		proto_fault_set(fault, ARGUMENT_EXCEPTION, "data must not be an empty array");
		return FAULT;
	}
	out->data_is_array = true;
	return pargs_string_array(v, &out->data, fault);
}

static int sign_read_signing_params(struct json_object *args, struct proto_sign_args *out,
				    struct proto_fault *fault)
{
	/* NCALayer's defaults. */
	const struct {
		const char *key;
		bool def;
		bool *value;
	} flags[] = {
		{ "decode", false, &out->decode },
		{ "encapsulate", true, &out->encapsulate },
		{ "digested", false, &out->digested },
		{ "allowExpired", false, &out->allow_expired },
		{ "allowRevoked", false, &out->allow_revoked },
		{ "outputCert", false, &out->output_cert },
	};
	struct json_object *params, *tsa;
	int r;

	r = pargs_need_object(args, "signingParams", &params, fault);
	if (r != 0)
		return r;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		r = opt_boolean(params, flags[i].key, flags[i].def, flags[i].value, fault);
		if (r != 0)
			return r;
	}
	/* tsaProfile: "for now an empty object; when given, a timestamp of
	 * tsp.pki.gov.kz is added" (NCA's example page). */
	tsa = pargs_opt_member(params, "tsaProfile");
	if (tsa && !json_object_is_type(tsa, json_type_object)) {
		proto_fault_set(fault, JSON_EXCEPTION,
				"JSONObject[\"tsaProfile\"] is not a JSONObject.");
		return FAULT;
	}
	out->tsa = tsa != NULL;
	return 0;
}

static int sign_read_signer_params(struct json_object *args, struct proto_sign_args *out,
				   struct proto_fault *fault)
{
	struct json_object *params, *v;
	int r;

	r = pargs_need_object(args, "signerParams", &params, fault);
	if (r != 0)
		return r;

	if (!json_object_object_get_ex(params, "extKeyUsageOids", &v)) {
		proto_fault_set(fault, JSON_EXCEPTION,
				"JSONObject[\"extKeyUsageOids\"] not found.");
		return FAULT;
	}
	if (!json_object_is_type(v, json_type_array)) {
		proto_fault_set(fault, JSON_EXCEPTION,
				"JSONObject[\"extKeyUsageOids\"] is not a JSONArray.");
		return FAULT;
	}
	r = pargs_string_array(v, &out->ext_key_usage_oids, fault);
	if (r != 0)
		return r;

	r = pargs_opt_string(params, "iin", &out->iin, fault);
	if (r == 0)
		r = pargs_opt_string(params, "bin", &out->bin, fault);
	if (r == 0)
		r = pargs_opt_string(params, "serialNumber", &out->serial_number, fault);
	if (r != 0)
		return r;

	v = pargs_opt_member(params, "chain");
	if (!v) {
		out->chain_given = false;
		return 0;
	}
	if (!json_object_is_type(v, json_type_array)) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"chain\"] is not a JSONArray.");
		return FAULT;
	}
	out->chain_given = true;
	return pargs_string_array(v, &out->chain, fault);
}

static int sign_read_storages(struct json_object *args, struct proto_sign_args *out,
			      struct proto_fault *fault)
{
	struct json_object *v = pargs_opt_member(args, "allowedStorages");

	if (!v) {
		out->storages_all = true;
		return 0;
	}
	out->storages_all = false;
	if (json_object_is_type(v, json_type_string))
		/* Some portals send "AKKaztokenStore,PKCS12,...". */
		return storages_split(json_object_get_string(v), out);
	if (!json_object_is_type(v, json_type_array)) {
		proto_fault_set(fault, JSON_EXCEPTION,
				"JSONObject[\"allowedStorages\"] is not a JSONArray.");
		return FAULT;
	}
	return pargs_string_array(v, &out->storages, fault);
}

/* All of sign's checks, in this order: format, data, signingParams,
 * signerParams, allowedStorages, locale, logo. On FAULT or error, out holds
 * what was read so far (clear it). */
static int sign_read(struct json_object *args, struct proto_sign_args *out,
		     struct proto_fault *fault)
{
	int r;

	r = sign_read_format(args, out, fault);
	if (r == 0)
		r = sign_read_data(args, out, fault);
	if (r == 0)
		r = sign_read_signing_params(args, out, fault);
	if (r == 0)
		r = sign_read_signer_params(args, out, fault);
	if (r == 0)
		r = sign_read_storages(args, out, fault);
	if (r == 0)
		r = pargs_opt_string(args, "locale", &out->locale, fault);
	if (r == 0)
		r = pargs_opt_string(args, "logo", &out->logo, fault);
	if (r == 0 && out->logo && strlen(out->logo) > PROTO_SIGN_LOGO_MAX) {
		proto_fault_set(fault, ARGUMENT_EXCEPTION, "logo is longer than %d characters",
				PROTO_SIGN_LOGO_MAX);
		r = FAULT;
	}
	return r;
}

void proto_sign_args_clear(struct proto_sign_args *args)
{
	if (!args)
		return;
	free(args->data.v);
	free(args->storages.v);
	free(args->ext_key_usage_oids.v);
	free(args->chain.v);
	free(args->storages_buf);
	*args = (struct proto_sign_args){};
}

int proto_sign_args_get(const struct proto_request *req, struct proto_sign_args *ret)
{
	struct proto_sign_args a = {};
	struct proto_fault fault;
	int r;

	if (!req || !ret || req->reply || req->module != PROTO_MODULE_BASICS ||
	    req->method != PROTO_METHOD_BASICS_SIGN || !req->args)
		return -EINVAL;
	r = sign_read(req->args, &a, &fault);
	if (r != 0) {
		proto_sign_args_clear(&a);
		return r < 0 ? r : -EINVAL;
	}
	*ret = a;
	return 0;
}

static int answer_general(struct proto_request *req, const struct proto_fault *fault)
{
	req->reply = proto_reply_general_error(fault->text);
	return req->reply ? 0 : -ENOMEM;
}

static int answer_invocation(struct proto_request *req, const struct proto_fault *fault)
{
	req->reply = proto_reply_invocation_error(fault->text);
	return req->reply ? 0 : -ENOMEM;
}

/* CommonInvoker reads apiVersion with optInt("apiVersion", 2): absent and
 * null are 2; we take the number 2 and the string "2". */
static bool api_version_ok(struct json_object *root)
{
	struct json_object *v = pargs_opt_member(root, "apiVersion");

	if (!v)
		return true;
	switch (json_object_get_type(v)) {
	case json_type_int:
		return json_object_get_int64(v) == 2;
	case json_type_double:
		return json_object_get_double(v) == 2.0;
	case json_type_string:
		return strcmp(json_object_get_string(v), "2") == 0;
	case json_type_null:
	case json_type_boolean:
	case json_type_object:
	case json_type_array:
		break;
	}
	return false;
}

int proto_basics_check(struct proto_request *req)
{
	struct json_object *v, *args;
	enum proto_method method = PROTO_METHOD_NONE;
	struct proto_fault fault;

	/* CommonInvoker: getString("method") first, then apiVersion, then the
	 * method, then optJSONObject("args"). */
	if (!json_object_object_get_ex(req->root, "method", &v)) {
		proto_fault_set(&fault, JSON_EXCEPTION, "JSONObject[\"method\"] not found.");
		return answer_general(req, &fault);
	}
	if (!req->method_name) {
		proto_fault_set(&fault, JSON_EXCEPTION, "JSONObject[\"method\"] is not a string.");
		return answer_general(req, &fault);
	}
	if (!api_version_ok(req->root)) {
		proto_fault_set(&fault, ARGUMENT_EXCEPTION, "Supported apiVersion is 2");
		return answer_general(req, &fault);
	}
	/* kz.qoltanba.camera has the same dispatcher, with its own table. */
	if (req->module == PROTO_MODULE_CAMERA) {
		for (size_t i = 0; i < sizeof(camera_methods) / sizeof(camera_methods[0]); i++)
			if (strcmp(proto_method_name(camera_methods[i]), req->method_name) == 0)
				method = camera_methods[i];
	} else {
		for (size_t i = 0; i < sizeof(basics_methods) / sizeof(basics_methods[0]); i++)
			if (strcmp(proto_method_name(basics_methods[i]), req->method_name) == 0)
				method = basics_methods[i];
	}
	if (method == PROTO_METHOD_NONE) {
		proto_fault_set(&fault, ARGUMENT_EXCEPTION, "No method %s", req->method_name);
		return answer_general(req, &fault);
	}
	req->method = method;

	if (!json_object_object_get_ex(req->root, "args", &args)) {
		proto_fault_set(&fault, ARGUMENT_EXCEPTION, "%s demands arguments",
				req->method_name);
		return answer_general(req, &fault);
	}
	if (!json_object_is_type(args, json_type_object)) {
		proto_fault_set(&fault, JSON_EXCEPTION,
				"JSONObject[\"args\"] is not a JSONObject.");
		return answer_invocation(req, &fault);
	}

	if (method == PROTO_METHOD_BASICS_SIGN) {
		struct proto_sign_args a = {};
		int r = sign_read(args, &a, &fault);

		proto_sign_args_clear(&a);
		if (r < 0)
			return r;
		if (r == FAULT)
			return answer_invocation(req, &fault);
	}
	if (req->module == PROTO_MODULE_CAMERA) {
		int r = proto_camera_check(method, args, &fault);

		if (r < 0)
			return r;
		if (r == FAULT)
			return answer_invocation(req, &fault);
	} else if (method != PROTO_METHOD_BASICS_SIGN) {
		int r = proto_enroll_check(method, args, &fault);

		if (r < 0)
			return r;
		if (r == FAULT)
			return answer_invocation(req, &fault);
	}
	req->args = args;
	return 0;
}
