/* What the files of app.c's calls share: the portal, the application
 * being served, one call's context, the stages, and small helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/x509.h>

#include "util/cleanup.h"
#include "web/portal/app.h"
#include "web/portal/register.h"
#include "web/portal/store.h"
#include "web/portal/texts.h"
#include "web/testca/testca.h"

DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)

struct portal {
	struct portal_options o; /* strings below are our copies */
	char **daemon_urls;
	struct store *store;
	struct register_db *reg;
	struct testca *ca;
};

/* API.md's stages, in order. */
enum stage {
	STAGE_STARTED,
	STAGE_PHONE_UNREGISTERED,
	STAGE_CODE_SENT,
	STAGE_SIGNED_IN,
	STAGE_IDENT_CODE_SENT,
	STAGE_IDENTIFIED_PHONE,
	STAGE_SELFIE,
	STAGE_VIDEO,
	STAGE_PIN,
	STAGE_DOCUMENT_FRONT,
	STAGE_DOCUMENTS,
	STAGE_MODERATION,
	STAGE_VERIFIED,
	STAGE_CONSENTED,
	STAGE_AGREED,
	STAGE_APPLIED,
	STAGE_REQUESTED,
	STAGE_ISSUED,
	STAGE_INSTALLED,
};

const char *stage_name(enum stage s);

/* The inbox of one application: a few SMS, but bounded. */
#define INBOX_FILE_MAX (16 * 1024 * 1024)

/* Hex identifiers: an application id (16 random bytes) and a session id
 * (32 random bytes), and their NULs. */
#define APP_ID_SIZE 33
#define SESSION_ID_SIZE 65

struct application {
	char id[APP_ID_SIZE];
	char dir[sizeof("applications/") + APP_ID_SIZE];
	struct json_object *j; /* application.json */
	enum stage stage;
	enum texts_lang lang;
	const struct register_citizen *citizen; /* once the IIN is known */
	bool dirty;                             /* j changed: save it */
};

/* One request being served. A call returns 0 with answer set (or a
 * download in reply), a positive PORTAL_E_* (call_fail() sets the extra
 * members and message), or a negative errno for INTERNAL with log set. */
struct call {
	struct portal *p;
	time_t now;
	struct json_object *req; /* the body (POST), an object */
	struct application *app; /* the session's application */
	struct json_object *answer;
	struct json_object *error_extra; /* members next to "code" */
	const char *error_message;
	char *log;
	struct portal_reply *reply;
};

/* ---- helpers (app.c) ---- */

/* Fail with e: message NULL for the code's own sentence; extra members
 * are added with fail_member_*(). Returns e. */
int call_fail(struct call *c, enum portal_error e, const char *message);
void fail_member_int(struct call *c, const char *name, int64_t value);
void fail_member_string(struct call *c, const char *name, const char *value);
/* STAGE_ORDER with the application's stage. */
int call_stage_order(struct call *c);
/* Note an internal failure r (negative errno) for the log; returns r. */
int call_internal(struct call *c, int r, const char *what);

/* Request members. Missing or of another type: BAD_REQUEST (returned,
 * with a message naming the member). */
int req_string(struct call *c, const char *name, const char **ret);
int req_bool(struct call *c, const char *name, bool *ret);
int req_array(struct call *c, const char *name, struct json_object **ret);

/* The answer object, created on first use. */
struct json_object *answer(struct call *c);
void answer_string(struct call *c, const char *name, const char *value);
void answer_int(struct call *c, const char *name, int64_t value);
void answer_stage(struct call *c);

/* json-c shorthands for objects we build. */
void json_set_string(struct json_object *o, const char *name, const char *value);
void json_set_int(struct json_object *o, const char *name, int64_t value);
const char *json_get_string(struct json_object *o, const char *name);
int64_t json_get_int(struct json_object *o, const char *name);

/* Change the application and mark it for saving. */
void app_set_stage(struct application *a, enum stage s);
void app_set(struct application *a, const char *name, struct json_object *value);
void app_set_string(struct application *a, const char *name, const char *value);
void app_set_int(struct application *a, const char *name, int64_t value);
void app_remove(struct application *a, const char *name);

/* "2026-11-25T10:00:00Z" into buf (21 bytes). */
#define ISO_TIME_SIZE 21
void iso_time(time_t t, char buf[ISO_TIME_SIZE]);

/* n random bytes as 2n lowercase hex digits into ret (2n+1 bytes). */
int random_hex(size_t n, char *ret);
/* A random number in [0, bound). */
int random_below(uint32_t bound, uint32_t *ret);

/* Strict base64 (whitespace allowed between groups): false for other
 * characters, bad padding, or more than max bytes once decoded. */
bool base64_decode_max(const char *text, size_t max, uint8_t **ret, size_t *ret_len);

/* The application's phone, masked, or "" when none is known. */
void app_masked_phone(const struct application *a, char ret[REGISTER_MASKED_PHONE_SIZE]);

/* Send an SMS to the application's phone: appended to its inbox and
 * handed to the options' sms hook. */
int sms_send(struct call *c, enum texts_sms which, const char *code);

/* A new application in stage started, saved. */
int application_new(struct call *c, enum texts_lang lang, struct application **ret);
/* A new session for a, whose id goes into the reply's cookie. */
int session_new(struct call *c, struct application *a);
int application_load(struct portal *p, const char *id, struct application **ret);
struct application *application_free(struct application *a);
DEFINE_POINTER_CLEANUP(application_free, struct application)

/* {"surname","givenName","patronymic","iin"} of a citizen. */
struct json_object *person_json(const struct register_citizen *p);

/* PINs (app-ident.c): a salted PBKDF2-HMAC-SHA256 hash as
 * "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" (g_free()), and the
 * check of a PIN against one. */
int pin_hash(const char *pin, char **ret);
bool pin_matches(const char *stored, const char *pin);
bool pin_well_formed(const char *pin);

/* Certificates (app-issue.c): the serial as uppercase hex (g_free()),
 * a time as ISO_TIME_SIZE text, one subject or issuer attribute as UTF-8
 * (g_free(), NULL when absent). */
char *cert_serial_hex(X509 *x);
void cert_time(const ASN1_TIME *t, char buf[ISO_TIME_SIZE]);
char *cert_name_entry(const X509_NAME *name, int nid);

/* ---- the calls ---- */

/* app-login.c */
int call_config(struct call *c);
int call_citizens(struct call *c);
int call_start(struct call *c);
int call_resume(struct call *c);
int call_state(struct call *c);
int call_iin(struct call *c);
int call_code(struct call *c);
int call_code_resend(struct call *c);
int call_inbox(struct call *c);
int call_ident_phone(struct call *c);
int call_ident_code(struct call *c);

/* app-ident.c */
int call_selfie(struct call *c);
int call_video_prompts(struct call *c);
int call_video(struct call *c);
int call_pin(struct call *c);
int call_document(struct call *c);
int call_recognised(struct call *c);
int call_confirm(struct call *c);
/* The prompts drawn for a new application (app-login.c's start). */
struct json_object *video_prompts_draw(void);

/* app-issue.c */
int call_consent(struct call *c);
int call_agreement_get(struct call *c);
int call_agreement(struct call *c);
int call_application(struct call *c);
int call_request(struct call *c);
int call_certificate(struct call *c);
int call_file_certificate(struct call *c);
int call_file_ca(struct call *c);
int call_installed(struct call *c);

/* app-verify.c */
int call_sample(struct call *c);
int call_verify(struct call *c);
