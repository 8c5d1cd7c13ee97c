/* app: the demo portal's JSON API (web/portal/API.md) without HTTP. The
 * HTTP layer hands each /api/ request to portal_handle() with the path,
 * the session cookie and the body, and writes back the reply it gets.
 *
 * A portal owns its data folder (store.h), the register (register.h) and
 * the test CA (web/testca/testca.h) in <data>/ca. The data folder holds:
 *   ca/                          the test CA (created on first start)
 *   sessions/<sid>               {"application": id, "created": t}
 *   applications/<id>/           one folder per application:
 *     application.json           its state (stage, IIN, pending code, …)
 *     inbox.json                 the SMS sent for it
 *     selfie.jpg, video.webm, document-front.jpg, document-back.jpg
 *     request.csr, certificate.pem
 *   by-iin/<iin>                 the application resumable with a PIN
 *   attempts.json                wrong PINs per IIN (POST /api/resume)
 *
 * Everything runs in the caller's thread and blocks on the disk (and on
 * PBKDF2 for PINs): one request at a time. Nothing here logs: a reply
 * carries what the log should say. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum portal_method {
	PORTAL_METHOD_GET,
	PORTAL_METHOD_POST,
};

/* The error codes of API.md; app.c maps each to its code text and HTTP
 * status, in one table. */
enum portal_error {
	PORTAL_E_BAD_REQUEST = 1,
	PORTAL_E_TOO_LARGE,
	PORTAL_E_NOT_FOUND,
	PORTAL_E_METHOD_NOT_ALLOWED,
	PORTAL_E_NO_SESSION,
	PORTAL_E_STAGE_ORDER,
	PORTAL_E_IIN_INVALID,
	PORTAL_E_IIN_UNKNOWN,
	PORTAL_E_CODE_WRONG,
	PORTAL_E_CODE_EXPIRED,
	PORTAL_E_TOO_MANY_ATTEMPTS,
	PORTAL_E_RESEND_TOO_SOON,
	PORTAL_E_PHONE_INVALID,
	PORTAL_E_PHONE_MISMATCH,
	PORTAL_E_IMAGE_INVALID,
	PORTAL_E_VIDEO_INVALID,
	PORTAL_E_PIN_INVALID,
	PORTAL_E_PIN_WEAK,
	PORTAL_E_PIN_WRONG,
	PORTAL_E_CONSENT_REQUIRED,
	PORTAL_E_AGREEMENT_VERSION,
	PORTAL_E_EMAIL_INVALID,
	PORTAL_E_STORAGE_INVALID,
	PORTAL_E_CSR_INVALID,
	PORTAL_E_CSR_MISMATCH,
	PORTAL_E_SIGNATURE_INVALID,
	PORTAL_E_INTERNAL,
};

/* The largest request body (TOO_LARGE beyond). */
#define PORTAL_BODY_MAX (16u * 1024 * 1024)

/* The session cookie's name. */
#define PORTAL_SESSION_COOKIE "qsid"

#define PORTAL_CODE_TTL_DEFAULT 300
#define PORTAL_RESEND_SECONDS_DEFAULT 30
#define PORTAL_ISSUE_DELAY_DEFAULT 2

struct portal_options {
	const char *data_dir;
	const char *register_path;
	/* NULL-terminated; NULL or empty: wss://127.0.0.1:13579 then
	 * ws://127.0.0.1:13579. */
	const char *const *daemon_urls;
	unsigned code_ttl;       /* seconds a code is valid */
	unsigned resend_seconds; /* seconds between two codes */
	unsigned issue_delay;    /* seconds from request to certificate */
	/* The clock; NULL: time(). */
	time_t (*clock)(void *ctx);
	void *clock_ctx;
	/* Called for every SMS (the masked phone and the text, which may hold
	 * a code); NULL: nobody is told but the inbox. */
	void (*sms)(void *ctx, const char *masked_phone, const char *text);
	void *sms_ctx;
};

struct portal_reply {
	unsigned status;          /* HTTP status */
	char *body;               /* malloc'd, body_len bytes */
	size_t body_len;
	const char *content_type; /* static */
	char *attachment;         /* a download's file name, or NULL */
	char *session;            /* a new session id for the cookie, or NULL */
	const char *error;        /* the error code answered, or NULL */
	char *log;                /* for INTERNAL: what failed, for the log */
};

#define PORTAL_REPLY_NULL ((struct portal_reply){ 0 })

/* Free what r holds and reset it to PORTAL_REPLY_NULL. */
void portal_reply_clear(struct portal_reply *r);

/* Make r the error answer for e (message NULL: the code's own sentence). */
void portal_reply_error(struct portal_reply *r, enum portal_error e, const char *message);

struct portal;

/* Open the data folder (created 0700), read the register, open the test
 * CA in <data>/ca or make it there on first start. On failure returns a
 * negative errno or a positive register/testca error and *ret_why (if not
 * NULL) a new string (free()) saying what failed. *ret is the caller's. */
int portal_new(const struct portal_options *o, struct portal **ret, char **ret_why);

/* Accepts NULL; returns NULL. */
struct portal *portal_free(struct portal *p);

/* True for a path under /api/ that names a call (whatever the method). */
bool portal_knows(const char *path);

/* Answer one request. path: the URL path without the query
 * ("/api/state"); session: the qsid cookie's value or NULL; body[0..len)
 * the request body (ignored for GET; empty means {}). ret is always
 * filled: an answer, a download or an error, never a failure of its own.
 * The caller clears it. */
void portal_handle(struct portal *p, enum portal_method method, const char *path,
		   const char *session, const char *body, size_t len, struct portal_reply *ret);
