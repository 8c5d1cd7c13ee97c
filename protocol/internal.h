/* Private to protocol/: helpers shared by its files. Not for the daemon. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/protocol.h"
#include "util/cleanup.h"

DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)

/* --- utf8.c ------------------------------------------------------------- */

/* Decode one UTF-8 sequence of s[0..n): its length (1-4) and *ret, or 0
 * when the bytes are not a valid sequence (overlong, surrogate, > U+10FFFF,
 * cut short). */
size_t pjson_utf8_decode(const unsigned char *s, size_t n, uint32_t *ret);

/* Offset of the first byte of s[0..n) that is NUL or not valid UTF-8; n
 * when there is none. */
size_t pjson_utf8_validate(const unsigned char *s, size_t n);

/* Encode cp (<= U+10FFFF, not a surrogate) into out; returns the length. */
size_t pjson_utf8_encode(uint32_t cp, char out[static 4]);

/* Cut s before an incomplete sequence left at its end by a truncating
 * snprintf(). */
void pjson_utf8_truncate(char *s);

/* Does s[0..n) equal the lowercase ASCII word, ignoring ASCII case? (Not
 * strcasecmp(): that follows the locale.) */
bool pjson_ascii_caseeq(const char *s, size_t n, const char *word);

/* --- json-scalar.c ------------------------------------------------------ */

/* The value of the unquoted text s[0..n) (n > 0, n <= INT_MAX), as
 * org.json's stringToValue() reads it (json.h, pjson_parse()): a new
 * boolean, NULL for null, an int64 or double, or a string. 0, -ENOMEM, or
 * -EINVAL when n is too long for json-c. */
int pjson_scalar_parse(const char *s, size_t n, struct json_object **ret);

/* --- json-write.c ------------------------------------------------------- */

/* Java's String.hashCode() of the UTF-8 string s. */
uint32_t pjson_java_hash(const char *s);

/* --- request.c: org.json getter failures -------------------------------- */

/* The text of an exception, as Java's Throwable.toString() would print it
 * ("org.json.JSONException: JSONObject[\"data\"] not found."). */
struct proto_fault {
	char text[192];
};

void proto_fault_set(struct proto_fault *f, const char *exception, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define JSON_EXCEPTION "org.json.JSONException"
#define ARGUMENT_EXCEPTION "java.lang.IllegalArgumentException"

/* --- basics.c: org.json's getters on a request's "args" ----------------
 * Each returns 0, FAULT (a check failed: *fault says why, as org.json's
 * exception would) or -ENOMEM. */
#define FAULT 1

/* getJSONObject(): required, an object. */
int pargs_need_object(struct json_object *o, const char *key, struct json_object **ret,
		      struct proto_fault *fault);
/* A member that may be absent; JSON null counts as absent. */
struct json_object *pargs_opt_member(struct json_object *o, const char *key);
/* An optional string: absent or null gives NULL. */
int pargs_opt_string(struct json_object *o, const char *key, const char **ret,
		     struct proto_fault *fault);
/* Every element of the array a is a string; list them (free(ret->v)). */
int pargs_string_array(struct json_object *a, struct proto_strv *ret, struct proto_fault *fault);

/* --- enroll.c: generateCsr, importCertificate, listRequests,
 * cancelRequest ---------------------------------------------------------- */

/* getString(): required, a string. */
int pargs_need_string(struct json_object *o, const char *key, const char **ret,
		      struct proto_fault *fault);
/* An optional string that must be one of names[0..n) (n is 2 or 3); its
 * index in *ret, def when absent. */
int pargs_opt_word(struct json_object *o, const char *key, const char *const *names, size_t n,
		   int def, int *ret, struct proto_fault *fault);

/* Check the arguments of one of those methods: 0, FAULT or -ENOMEM. */
int proto_enroll_check(enum proto_method method, struct json_object *args,
		       struct proto_fault *fault);

/* --- camera.c: kz.qoltanba.camera --------------------------------------- */

/* Check the arguments of a camera method: 0, FAULT or -ENOMEM. */
int proto_camera_check(enum proto_method method, struct json_object *args,
		       struct proto_fault *fault);

/* --- errors.c: answers ------------------------------------------------- */

/* {"code":"500","message":message} (message omitted when NULL), with the
 * request's uuid. */
char *proto_reply_common_failure(const struct proto_request *req, const char *message);

/* {"status":false,"code":code,"message":message,"details":details}
 * (details omitted when NULL). */
char *proto_reply_invoker_failure(const char *code, const char *message, const char *details);

/* The answer to the applet API: {"errorCode":"COMMON","message":...}. */
char *proto_reply_applet_refusal(void);

/* The basics dispatcher's two failure kinds (nlcommons CommonFailure). */
char *proto_reply_general_error(const char *details);
char *proto_reply_invocation_error(const char *details);

/* --- commonutils.c / basics.c: per-module checks ------------------------ */

/* Find the method and check the arguments of a commonUtils request whose
 * req->root and req->method_name are set; sets req->uuid, req->method,
 * req->args and, for requests the protocol layer answers itself,
 * req->reply. 0 or -ENOMEM. */
int proto_commonutils_check(struct proto_request *req);

/* The same for kz.gov.pki.knca.basics. */
int proto_basics_check(struct proto_request *req);
