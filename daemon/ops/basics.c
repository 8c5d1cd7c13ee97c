/* kz.gov.pki.knca.basics: NCALayer's named-argument module (apiVersion 2). */
#include "daemon/ops/ops.h"

char *ops_basics_serve(const struct ops_env *env, struct ops_session *session,
		       const struct proto_request *req)
{
	switch (req->method) {
	case PROTO_METHOD_BASICS_SIGN:
	case PROTO_METHOD_BASICS_GENERATE_CSR:
	case PROTO_METHOD_BASICS_IMPORT_CERTIFICATE:
		return ops_reply_unavailable(req);
	case PROTO_METHOD_NONE:
	case PROTO_METHOD_GET_ACTIVE_TOKENS:
	case PROTO_METHOD_GET_KEY_INFO:
	case PROTO_METHOD_CREATE_CADES_FROM_BASE64:
	case PROTO_METHOD_CREATE_CADES_FROM_BASE64_HASH:
	case PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_BASE64:
	case PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_FILE:
	case PROTO_METHOD_SIGN_XML:
	case PROTO_METHOD_SIGN_XMLS:
	case PROTO_METHOD_CHANGE_LOCALE:
	case PROTO_METHOD_SHOW_FILE_CHOOSER:
	case PROTO_METHOD_APPLY_CADES_T:
	case _PROTO_METHOD_MAX:
		break;
	}
	return proto_reply_error(req, PROTO_ERROR_INTERNAL, NULL);
}
