/* Fuzz target: one request text as a page sends it over the WebSocket.
 *
 * proto_request_parse() with the daemon's default limits, then what the
 * dispatcher (daemon/ops) does with the parsed request before it needs
 * its environment (configuration, keys, prompts, the camera): read every
 * argument through the typed accessors of protocol.h for the module and
 * method found (commonUtils' String / boolean / String[] parameters,
 * basics sign, generateCsr with the subject check csr_subject_check()
 * that enroll.c runs, importCertificate, cancelRequest, the camera's
 * capture and record), build the answers the daemon can send for it
 * (each error of enum proto_error, success with the arguments as the
 * result) and read each answer back as the status display does
 * (proto_answer_error()). The same text also goes through the camera
 * preview's query parser.
 *
 * Not here: the ops layer proper (ops_check_storage() and the work
 * functions), which needs the daemon's environment; the certificate and
 * base64 data those functions decode are the cert and cms targets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon/crypto/csr.h"
#include "daemon/keystore/certinfo.h"
#include "protocol/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(char *answer)
{
	if (!answer)
		return;
	free(proto_answer_error(answer, strlen(answer)));
	free(answer);
}

static void read_common_utils(const struct proto_request *req)
{
	size_t n = json_object_is_type(req->args, json_type_array) ?
			   json_object_array_length(req->args) :
			   0;

	/* Every parameter read every way: the accessors must cope with an
	 * argument of another type, as the ops code relies on them to. */
	for (size_t i = 0; i <= n; i++) {
		struct proto_strv v = { 0 };

		(void)proto_arg_string(req, i);
		(void)proto_arg_boolean(req, i);
		if (proto_arg_strings(req, i, &v) == 0)
			free(v.v);
	}
	(void)certinfo_key_type_parse(proto_arg_string(req, 1));
}

static void read_basics(const struct proto_request *req)
{
	switch (req->method) {
	case PROTO_METHOD_BASICS_SIGN: {
		struct proto_sign_args a;

		if (proto_sign_args_get(req, &a) == 0)
			proto_sign_args_clear(&a);
		break;
	}
	case PROTO_METHOD_BASICS_GENERATE_CSR: {
		struct proto_csr_args a;

		if (proto_csr_args_get(req, &a) == 0) {
			const struct csr_subject s = {
				.common_name = a.subject.cn,
				.surname = a.subject.surname,
				.serial_number = a.subject.serialnumber,
				.country = a.subject.c,
				.given_name = a.subject.givenname,
				.organization = a.subject.o,
				.org_unit = a.subject.ou,
				.email = a.subject.e,
			};
			const char *why = NULL;

			(void)csr_subject_check(&s, &why);
		}
		break;
	}
	case PROTO_METHOD_BASICS_IMPORT_CERTIFICATE: {
		struct proto_import_args a;

		if (proto_import_args_get(req, &a) == 0)
			proto_import_args_clear(&a);
		break;
	}
	case PROTO_METHOD_BASICS_CANCEL_REQUEST:
		(void)proto_request_id_get(req);
		break;
	default:
		break;
	}
}

static void read_camera(const struct proto_request *req)
{
	struct proto_camera_args a;

	(void)proto_camera_args_get(req, &a);
}

static void answer(const struct proto_request *req, uint8_t pick)
{
	check_answer(proto_reply_error(req, (enum proto_error)(pick % (_PROTO_ERROR_MAX + 1)),
				       req->method_name));
	check_answer(proto_reply_error(req, PROTO_ERROR_INTERNAL, NULL));
	switch (req->family) {
	case PROTO_FAMILY_COMMON:
		check_answer(proto_reply_common_ok(req, req->args));
		break;
	case PROTO_FAMILY_INVOKER:
		check_answer(proto_reply_invoker_ok(req, req->args));
		check_answer(proto_reply_invoker_cancelled(req));
		break;
	case PROTO_FAMILY_APPLET:
	case PROTO_FAMILY_BARE:
		break;
	}
}

static void preview_query(const uint8_t *data, size_t size)
{
	struct proto_camera_args a;
	char device[256];
	char *q = malloc(size + 1);

	if (!q)
		return;
	memcpy(q, data, size);
	q[size] = '\0';
	(void)proto_camera_preview_query(q, device, sizeof(device), &a);
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request *req = NULL;

	if (proto_request_parse((const char *)data, size, NULL, &req) < 0)
		return 0;
	(void)proto_module_name(req->module);
	(void)proto_method_name(req->method);
	if (req->reply) {
		free(proto_answer_error(req->reply, strlen(req->reply)));
	} else {
		switch (req->module) {
		case PROTO_MODULE_COMMON_UTILS:
			read_common_utils(req);
			break;
		case PROTO_MODULE_BASICS:
			read_basics(req);
			break;
		case PROTO_MODULE_CAMERA:
			read_camera(req);
			break;
		case PROTO_MODULE_APPLET:
		case PROTO_MODULE_NONE:
			break;
		}
		answer(req, size ? data[size - 1] : 0);
	}
	proto_request_free(req);
	preview_query(data, size);
	return 0;
}
