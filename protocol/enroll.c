/* kz.gov.pki.knca.basics, remote key issuance: generateCsr,
 * importCertificate, listRequests, cancelRequest. NCA's own wire format for
 * these is not public; ours is in PROTOCOL.md. Argument faults are
 * answered like sign's (INVOCATION_ERROR with an org.json-style detail).
 *
 * As for sign, one reader per method serves both the check at parse time
 * and the daemon's typed copy, so the two never disagree. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/internal.h"

/* getString(): required, a string. */
int pargs_need_string(struct json_object *o, const char *key, const char **ret,
		       struct proto_fault *fault)
{
	struct json_object *v = pargs_opt_member(o, key);

	if (!v) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"%s\"] not found.", key);
		return FAULT;
	}
	return pargs_opt_string(o, key, ret, fault);
}

/* An optional string that must be one of names (the enum's values in
 * order); absent: def. */
int pargs_opt_word(struct json_object *o, const char *key, const char *const *names, size_t n,
		    int def, int *ret, struct proto_fault *fault)
{
	const char *s;
	int r = pargs_opt_string(o, key, &s, fault);

	if (r != 0)
		return r;
	if (!s) {
		*ret = def;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (int)i;
			return 0;
		}
	proto_fault_set(fault, ARGUMENT_EXCEPTION, "%s must be %s%s%s%s%s", key, names[0],
			n > 2 ? ", " : " or ", names[1], n > 2 ? " or " : "", n > 2 ? names[2] : "");
	return FAULT;
}

/* subject: an object of strings named as in a DN. An unknown name is a
 * fault rather than silently left out of the request. */
static int read_subject(struct json_object *args, struct proto_subject *out,
			struct proto_fault *fault)
{
	const struct {
		const char *name;
		const char **value;
	} fields[] = {
		{ "CN", &out->cn },		{ "SURNAME", &out->surname },
		{ "SERIALNUMBER", &out->serialnumber }, { "C", &out->c },
		{ "GIVENNAME", &out->givenname }, { "O", &out->o },
		{ "OU", &out->ou },		{ "E", &out->e },
	};
	struct json_object *subject;
	int r = pargs_need_object(args, "subject", &subject, fault);

	if (r != 0)
		return r;
	json_object_object_foreach(subject, key, value)
	{
		size_t i;

		(void)value;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(key, fields[i].name) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0])) {
			proto_fault_set(fault, ARGUMENT_EXCEPTION,
					"subject has no attribute %.64s (CN, SURNAME, SERIALNUMBER, C, "
					"GIVENNAME, O, OU, E)",
					key);
			return FAULT;
		}
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		r = pargs_opt_string(subject, fields[i].name, fields[i].value, fault);
		if (r != 0)
			return r;
	}
	return 0;
}

static int csr_read(struct json_object *args, struct proto_csr_args *out,
		    struct proto_fault *fault)
{
	static const char *const algorithms[] = { "GOST512", "RSA2048" };
	static const char *const purposes[] = { "sign", "auth", "both" };
	int alg, purpose, r;

	r = pargs_need_string(args, "storage", &out->storage, fault);
	if (r == 0)
		r = pargs_opt_word(args, "algorithm", algorithms, 2, PROTO_KEY_ALG_GOST512, &alg, fault);
	if (r != 0)
		return r;
	out->algorithm = (enum proto_key_algorithm)alg;
	r = pargs_opt_word(args, "purpose", purposes, 3,
		     alg == PROTO_KEY_ALG_GOST512 ? PROTO_KEY_PURPOSE_BOTH : PROTO_KEY_PURPOSE_SIGN,
		     &purpose, fault);
	if (r != 0)
		return r;
	out->purpose = (enum proto_key_purpose)purpose;
	r = read_subject(args, &out->subject, fault);
	if (r == 0)
		r = pargs_opt_string(args, "folder", &out->folder, fault);
	if (r == 0)
		r = pargs_opt_string(args, "locale", &out->locale, fault);
	return r;
}

static int import_read(struct json_object *args, struct proto_import_args *out,
		       struct proto_fault *fault)
{
	struct json_object *chain;
	int r;

	r = pargs_need_string(args, "requestId", &out->request_id, fault);
	if (r == 0)
		r = pargs_need_string(args, "certificate", &out->certificate, fault);
	if (r == 0)
		r = pargs_opt_string(args, "locale", &out->locale, fault);
	if (r != 0)
		return r;
	chain = pargs_opt_member(args, "chain");
	if (!chain)
		return 0;
	if (!json_object_is_type(chain, json_type_array)) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"chain\"] is not a JSONArray.");
		return FAULT;
	}
	return pargs_string_array(chain, &out->chain, fault);
}

int proto_enroll_check(enum proto_method method, struct json_object *args,
		       struct proto_fault *fault)
{
	switch (method) {
	case PROTO_METHOD_BASICS_GENERATE_CSR: {
		struct proto_csr_args a = {};

		return csr_read(args, &a, fault);
	}
	case PROTO_METHOD_BASICS_IMPORT_CERTIFICATE: {
		struct proto_import_args a = {};
		int r = import_read(args, &a, fault);

		proto_import_args_clear(&a);
		return r;
	}
	case PROTO_METHOD_BASICS_CANCEL_REQUEST: {
		const char *id;

		return pargs_need_string(args, "requestId", &id, fault);
	}
	case PROTO_METHOD_BASICS_LIST_REQUESTS:
		return 0;
	default:
		return -EINVAL;
	}
}

static bool served(const struct proto_request *req, enum proto_method method)
{
	return req && !req->reply && req->module == PROTO_MODULE_BASICS &&
	       req->method == method && req->args;
}

int proto_csr_args_get(const struct proto_request *req, struct proto_csr_args *ret)
{
	struct proto_csr_args a = {};
	struct proto_fault fault;
	int r;

	if (!ret || !served(req, PROTO_METHOD_BASICS_GENERATE_CSR))
		return -EINVAL;
	r = csr_read(req->args, &a, &fault);
	if (r != 0)
		return r < 0 ? r : -EINVAL;
	*ret = a;
	return 0;
}

int proto_import_args_get(const struct proto_request *req, struct proto_import_args *ret)
{
	struct proto_import_args a = {};
	struct proto_fault fault;
	int r;

	if (!ret || !served(req, PROTO_METHOD_BASICS_IMPORT_CERTIFICATE))
		return -EINVAL;
	r = import_read(req->args, &a, &fault);
	if (r != 0) {
		proto_import_args_clear(&a);
		return r < 0 ? r : -EINVAL;
	}
	*ret = a;
	return 0;
}

void proto_import_args_clear(struct proto_import_args *args)
{
	if (!args)
		return;
	free(args->chain.v);
	*args = (struct proto_import_args){};
}

const char *proto_request_id_get(const struct proto_request *req)
{
	const char *id = NULL;
	struct proto_fault fault;

	if (!served(req, PROTO_METHOD_BASICS_CANCEL_REQUEST) ||
	    pargs_need_string(req->args, "requestId", &id, &fault) != 0)
		return NULL;
	return id;
}
