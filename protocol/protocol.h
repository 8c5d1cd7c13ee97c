/* NCALayer's request/response protocol, without the transport.
 *
 * proto_request_parse() reads one request text (a WebSocket message),
 * finds its module and method, checks the arguments the way NCALayer
 * does and, where the protocol layer already knows the whole answer (a
 * syntax error, an unknown module, a wrong argument type, ...), puts that
 * answer in req->reply. Otherwise the daemon serves req->method and builds
 * its answer with the proto_reply_*() functions, which give every answer
 * the shape and byte form of NCALayer's (protocol/PROTOCOL.md).
 *
 * No I/O, no crypto, no logging; depends on json-c and libc only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* How a request is answered: the "answer family" of PROTOCOL.md. */
enum proto_family {
	PROTO_FAMILY_COMMON,  /* commonUtils: {"code":"200",...} / {"code":"500","message":...} */
	PROTO_FAMILY_INVOKER, /* basics (apiVersion 2): {"status":...,"body"|"code",...} */
	PROTO_FAMILY_APPLET,  /* the switched-off applet API: {"errorCode":...} */
	PROTO_FAMILY_BARE,    /* unknown module: {"success": false, "errorCode": ...} */
};

enum proto_module {
	PROTO_MODULE_NONE, /* unknown, or the text could not be parsed */
	PROTO_MODULE_COMMON_UTILS,
	PROTO_MODULE_BASICS,
	PROTO_MODULE_APPLET,
	PROTO_MODULE_CAMERA, /* ours: kz.qoltanba.camera, answered like basics */
};

enum proto_method {
	PROTO_METHOD_NONE,
	/* kz.gov.pki.knca.commonUtils */
	PROTO_METHOD_GET_ACTIVE_TOKENS,
	PROTO_METHOD_GET_KEY_INFO,
	PROTO_METHOD_CREATE_CADES_FROM_BASE64,
	PROTO_METHOD_CREATE_CADES_FROM_BASE64_HASH,
	PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_BASE64,
	PROTO_METHOD_CREATE_CMS_SIGNATURE_FROM_FILE,
	PROTO_METHOD_SIGN_XML,
	PROTO_METHOD_SIGN_XMLS,
	PROTO_METHOD_CHANGE_LOCALE,
	PROTO_METHOD_SHOW_FILE_CHOOSER,
	PROTO_METHOD_APPLY_CADES_T,
	/* kz.gov.pki.knca.basics */
	PROTO_METHOD_BASICS_SIGN,
	PROTO_METHOD_BASICS_GENERATE_CSR,
	PROTO_METHOD_BASICS_IMPORT_CERTIFICATE,
	PROTO_METHOD_BASICS_LIST_REQUESTS,
	PROTO_METHOD_BASICS_CANCEL_REQUEST,
	/* kz.qoltanba.camera */
	PROTO_METHOD_CAMERA_LIST_DEVICES,
	PROTO_METHOD_CAMERA_CAPTURE,
	PROTO_METHOD_CAMERA_RECORD,
	PROTO_METHOD_CAMERA_STATUS,
	PROTO_METHOD_CAMERA_REVOKE_CONSENT,
	_PROTO_METHOD_MAX,
};

#define PROTO_MODULE_NAME_COMMON_UTILS "kz.gov.pki.knca.commonUtils"
#define PROTO_MODULE_NAME_BASICS "kz.gov.pki.knca.basics"
#define PROTO_MODULE_NAME_APPLET "kz.gov.pki.knca.applet.Applet"
#define PROTO_MODULE_NAME_CAMERA "kz.qoltanba.camera"

#define PROTO_LIMITS_DEFAULT_MAX_DEPTH 64

struct proto_limits {
	/* How deeply objects and arrays may nest in a request (the request
	 * object itself is depth 1); 0 means PROTO_LIMITS_DEFAULT_MAX_DEPTH.
	 * Deeper requests are answered as unparsable. */
	unsigned max_depth;
};

struct proto_request {
	/* How to answer. Always set; COMMON when the text was not parsed. */
	enum proto_family family;
	enum proto_module module;
	/* Set when the module's table has the method (for commonUtils: the
	 * name and the number of arguments match), also when req->reply then
	 * reports a wrong argument type. */
	enum proto_method method;
	/* The "method" string as the client sent it, NULL if there is none;
	 * borrowed from root. */
	const char *method_name;
	/* The parsed request (owned); NULL if the text was not parsed. */
	struct json_object *root;
	/* The arguments, borrowed from root, checked when reply is NULL:
	 * commonUtils: an array whose elements have the method's parameter
	 * types (an absent "args" is added to root as []);
	 * basics: an object (for sign: proto_sign_args_get() reads it).
	 * NULL when reply is set before the arguments were looked at. */
	struct json_object *args;
	/* commonUtils: the request's non-empty string "uuid", echoed in every
	 * answer built from this request; NULL otherwise. Owned. */
	char *uuid;
	/* Non-NULL when the protocol layer has the whole answer (owned,
	 * malloc'd; steal it to send it). */
	char *reply;
};

/* Parse and check one request, text[0..len) (need not be NUL-terminated).
 *
 * Always yields a request in *ret (free it with proto_request_free()):
 * either one the daemon serves (reply NULL, module, method and args set
 * and checked), or one already answered (reply set: unparsable text, the
 * applet API, an unknown module, an unknown method, wrong arguments; see
 * PROTOCOL.md for each answer). limits may be NULL (defaults).
 *
 * Returns 0, or -ENOMEM (nothing stored in *ret), -EINVAL if ret is NULL
 * or text is NULL with len > 0. */
int proto_request_parse(const char *text, size_t len, const struct proto_limits *limits,
			struct proto_request **ret);

/* Free req and everything it owns (root, uuid, reply). NULL-safe; returns
 * NULL. */
struct proto_request *proto_request_free(struct proto_request *req);

/* The method's name on the wire ("getActiveTokens", "sign", ...); NULL for
 * PROTO_METHOD_NONE and out-of-range values. Static string. */
const char *proto_method_name(enum proto_method m);

/* The module's name on the wire (PROTO_MODULE_NAME_*); NULL for
 * PROTO_MODULE_NONE. Static string. */
const char *proto_module_name(enum proto_module m);

/* A list of strings borrowed from a request. The array v (n entries and a
 * NULL after them) is allocated: free(v) when done, not the strings. */
struct proto_strv {
	const char **v;
	size_t n;
};

/* --- kz.gov.pki.knca.commonUtils: the arguments of a checked request ---- */

/* Argument i (from 0) of a commonUtils request that passed the checks
 * (req->reply NULL), by its parameter's type as listed in PROTOCOL.md:
 * proto_arg_string(): the String parameter's value, NULL if argument i is
 * not a string (or out of range). Borrowed from req. */
const char *proto_arg_string(const struct proto_request *req, size_t i);

/* The boolean parameter's value: JSON true, or the string "true" in any
 * letter case (our leniency); false otherwise. */
bool proto_arg_boolean(const struct proto_request *req, size_t i);

/* The String[] parameter's strings into *ret (borrowed; free(ret->v)).
 * Returns 0, -EINVAL if argument i is not an array of strings, -ENOMEM. */
int proto_arg_strings(const struct proto_request *req, size_t i, struct proto_strv *ret);

/* --- kz.gov.pki.knca.basics sign: the arguments, typed ------------------- */

enum proto_sign_format {
	PROTO_SIGN_FORMAT_XML,
	PROTO_SIGN_FORMAT_CMS,
	PROTO_SIGN_FORMAT_RAW,
};

/* NCA's limit for the dialog logo (base64 PNG). */
#define PROTO_SIGN_LOGO_MAX 50000

struct proto_sign_args {
	enum proto_sign_format format;
	/* "data": one document, or several when the page sent an array
	 * (data_is_array; NCALayer then answers an array of signatures). */
	struct proto_strv data;
	bool data_is_array;

	/* signingParams, with NCALayer's defaults for absent (or null) ones. */
	bool decode;	    /* false: data is signed as is; true: base64-decode first */
	bool encapsulate;   /* true: content inside the CMS; false: detached */
	bool digested;	    /* false; true: data is a digest already */
	bool allow_expired; /* false (testing only) */
	bool allow_revoked; /* false (testing only) */
	bool output_cert;   /* false; raw format: add the signer's certificate */
	bool tsa;	    /* tsaProfile is an object: add a TSP timestamp */

	/* allowedStorages: storages_all when absent or null (every storage
	 * type); otherwise the list, which may be empty. */
	bool storages_all;
	struct proto_strv storages;

	/* signerParams */
	struct proto_strv ext_key_usage_oids; /* empty: any */
	const char *iin;		      /* NULL: no filter */
	const char *bin;
	const char *serial_number;
	bool chain_given; /* false: only NCA RK's own chains; true: chain (maybe empty = any) */
	struct proto_strv chain;

	const char *locale; /* NULL: default (Kazakh) */
	const char *logo;   /* NULL: none; at most PROTO_SIGN_LOGO_MAX bytes */

	char *storages_buf; /* private: the split copy of a string allowedStorages */
};

/* Read the arguments of a checked basics sign request (req->reply NULL,
 * req->method PROTO_METHOD_BASICS_SIGN) into *ret. Strings are borrowed
 * from req, which must outlive *ret; clear *ret with
 * proto_sign_args_clear(). Returns 0, -EINVAL for another request, or
 * -ENOMEM; *ret is written only on success. */
int proto_sign_args_get(const struct proto_request *req, struct proto_sign_args *ret);

/* Free what proto_sign_args_get() allocated; leaves *args zeroed. */
void proto_sign_args_clear(struct proto_sign_args *args);

/* --- kz.gov.pki.knca.basics: remote key issuance (our extension) -------- */

enum proto_key_algorithm {
	PROTO_KEY_ALG_GOST512, /* "GOST512", the default */
	PROTO_KEY_ALG_RSA2048, /* "RSA2048" */
};

enum proto_key_purpose {
	PROTO_KEY_PURPOSE_SIGN, /* "sign" */
	PROTO_KEY_PURPOSE_AUTH, /* "auth" */
	PROTO_KEY_PURPOSE_BOTH, /* "both": NCA's single GOST512 key */
};

/* The subject's attributes by their DN names; NULL when absent. Their
 * form (IIN, BIN, e-mail, ...) is the daemon's to check. */
struct proto_subject {
	const char *cn, *surname, *serialnumber, *c, *givenname, *o, *ou, *e;
};

/* generateCsr {storage, algorithm?, purpose?, subject, folder?, locale?} */
struct proto_csr_args {
	const char *storage;
	enum proto_key_algorithm algorithm;
	enum proto_key_purpose purpose; /* absent: both for GOST512, sign for RSA2048 */
	struct proto_subject subject;
	const char *folder; /* NULL: the user chooses */
	const char *locale; /* NULL: the connection's */
};

/* importCertificate {requestId, certificate, chain?, locale?} */
struct proto_import_args {
	const char *request_id;
	const char *certificate; /* PEM, or base64 DER */
	struct proto_strv chain; /* PEMs; may be empty */
	const char *locale;
};

/* Read the arguments of a checked request of that method (strings
 * borrowed from req). 0, -EINVAL for another request, -ENOMEM. */
int proto_csr_args_get(const struct proto_request *req, struct proto_csr_args *ret);
int proto_import_args_get(const struct proto_request *req, struct proto_import_args *ret);
void proto_import_args_clear(struct proto_import_args *args);

/* cancelRequest {requestId}: the id, borrowed; NULL for another request. */
const char *proto_request_id_get(const struct proto_request *req);

/* --- kz.qoltanba.camera (our extension) ---------------------------------- */

/* The bounds the protocol layer checks (a camera may offer less). */
#define PROTO_CAMERA_MIN_SIZE 16
#define PROTO_CAMERA_MAX_WIDTH 1920
#define PROTO_CAMERA_MAX_HEIGHT 1080
#define PROTO_CAMERA_MAX_FPS 30
#define PROTO_CAMERA_MAX_SECONDS 30

enum proto_camera_purpose {
	PROTO_CAMERA_PURPOSE_SELFIE,         /* "selfie" */
	PROTO_CAMERA_PURPOSE_DOCUMENT_FRONT, /* "document-front" */
	PROTO_CAMERA_PURPOSE_DOCUMENT_BACK,  /* "document-back" */
};

/* capture {device?, width?, height?, purpose}; record {device?, seconds,
 * width?, height?, fps?}. 0 for a size or rate not given. */
struct proto_camera_args {
	const char *device; /* NULL: the configured or first camera */
	unsigned width, height, fps, seconds;
	enum proto_camera_purpose purpose;
};

int proto_camera_args_get(const struct proto_request *req, struct proto_camera_args *ret);

/* The preview path's query, "device=…&width=…&height=…&fps=…" (each
 * optional; fps defaults to 15): the same bounds as capture. NULL, or a
 * static English sentence saying what is wrong. */
const char *proto_camera_preview_query(const char *query, char *ret_device, size_t device_size,
				       struct proto_camera_args *ret);

/* --- answers ------------------------------------------------------------
 * Every function returns a malloc'd NUL-terminated JSON text (free() it),
 * serialized with pjson_write() (HashMap key order, org.json escaping), or
 * NULL when memory runs out. Objects passed in are borrowed (a reference
 * is taken while writing). A reply never contains a secret: callers pass
 * none in. */

/* commonUtils success: {"code":"200","responseObject":response_object}
 * (+ "uuid"). response_object NULL leaves "responseObject" out, as
 * NCALayer does for changeLocale: {"code":"200"}. */
char *proto_reply_common_ok(const struct proto_request *req, struct json_object *response_object);

/* basics success: {"body":{"result":result},"status":true}; result NULL
 * is written as JSON null. */
char *proto_reply_invoker_ok(const struct proto_request *req, struct json_object *result);

/* basics, the user cancelled: {"body":{},"status":true} (NCALayer's form). */
char *proto_reply_invoker_cancelled(const struct proto_request *req);

/* Conditions the daemon reports; mapped to each family's wire form in one
 * table (errors.c, PROTOCOL.md "Errors"). */
enum proto_error {
	PROTO_ERROR_CANCELLED,	    /* the user said no */
	PROTO_ERROR_ORIGIN_REFUSED, /* detail: the origin */
	PROTO_ERROR_UNAVAILABLE,    /* detail: why, in English */
	PROTO_ERROR_INTERNAL,	    /* detail: may be NULL; never secret */
	/* Serving a signing or key request: */
	PROTO_ERROR_STORAGE_NAME_EMPTY,  /* commonUtils storage argument "" */
	PROTO_ERROR_STORAGE_UNKNOWN,     /* detail: the storage name */
	PROTO_ERROR_STORAGE_EMPTY,       /* detail: why no storage of that type is usable */
	PROTO_ERROR_FILE_NOT_FOUND,      /* detail: the file or folder */
	PROTO_ERROR_KEYSTORE_CORRUPT,    /* detail: the file */
	PROTO_ERROR_PASSWORD_WRONG,      /* detail: the file, or the token */
	PROTO_ERROR_KEY_UNSUPPORTED,     /* detail: the algorithm */
	PROTO_ERROR_KEY_MISMATCH,        /* detail: which requirement the key misses */
	PROTO_ERROR_DATA_INVALID,        /* detail: what is wrong with the data */
	PROTO_ERROR_HASH_EMPTY,          /* createCAdESFromBase64Hash with "" (NCALayer's bare 500) */
	PROTO_ERROR_XML,                 /* detail: the parser's or XPath's message, sent as is */
	PROTO_ERROR_TIMESTAMP,           /* detail: why the timestamp service failed */
	PROTO_ERROR_SIGNING_FAILED,      /* detail: may be NULL */
	PROTO_ERROR_UI_UNAVAILABLE,      /* detail: why the user cannot be asked */
	PROTO_ERROR_TOKEN_LOCKED,        /* detail: the token; its PIN is blocked */
	PROTO_ERROR_TOKEN_REMOVED,       /* detail: the token; gone during the operation */
	PROTO_ERROR_TOKEN_BUSY,          /* detail: the token; another request uses it */
	/* Remote key issuance: */
	PROTO_ERROR_ENROLL_INVALID,      /* detail: which argument is wrong and why */
	PROTO_ERROR_KEYGEN_FAILED,       /* detail: why no key or request was made */
	PROTO_ERROR_REQUEST_UNKNOWN,     /* detail: the request id */
	PROTO_ERROR_REQUEST_EXPIRED,     /* detail: the request id and when */
	PROTO_ERROR_CERT_INVALID,        /* detail: what is wrong with the certificate */
	PROTO_ERROR_CERT_KEY_MISMATCH,   /* detail: the two key ids */
	PROTO_ERROR_FILE_EXISTS,         /* detail: the file */
	PROTO_ERROR_FOLDER_UNWRITABLE,   /* detail: the folder and why */
	PROTO_ERROR_PASSWORD_WEAK,       /* detail: the rule the last try broke */
	PROTO_ERROR_IMPORT_FAILED,       /* detail: why the file could not be written */
	/* Camera: */
	PROTO_ERROR_CAMERA_NONE,         /* detail: no camera, or which one is absent */
	PROTO_ERROR_CAMERA_BUSY,         /* detail: who has it */
	PROTO_ERROR_CAMERA_DENIED,       /* the user did not allow this page the camera */
	PROTO_ERROR_CAMERA_UNSUPPORTED,  /* detail: the size or rate the camera cannot give */
	PROTO_ERROR_CAMERA_LOST,         /* detail: the device went away mid-stream */
	PROTO_ERROR_CAMERA_FAILED,       /* detail: GStreamer's message */
	_PROTO_ERROR_MAX,
};

/* The answer for err in req's family; detail may be NULL. req may be NULL
 * (answered as COMMON). Out-of-range err is answered as INTERNAL. */
char *proto_reply_error(const struct proto_request *req, enum proto_error err, const char *detail);

/* The error an answer reports, for a status display (the daemon's D-Bus
 * LastError): the common family's message ("key: detail", or the code
 * when there is no message), "code: details" of the invoker family (the
 * code alone without details), "errorCode: message" of the applet
 * family. NULL for a success, for the user's cancel (action.canceled,
 * and the invoker family's {"body":{},"status":true}), for the bare
 * family's MODULE_NOT_FOUND (pages send unknown modules as probes:
 * sigex's client asks for KAZTOKEN on every connection), for text that
 * is not such an answer, and when memory runs out. An answer that carries a result writes it first (the HashMap
 * order of its keys: "responseObject", "body"), so a success is told by
 * its first bytes and a large signature is not read again. Returns a
 * malloc'd string (free() it). */
char *proto_answer_error(const char *answer, size_t len);
