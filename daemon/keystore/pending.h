/* Pending enrollment requests: a key generated for a certificate request,
 * kept from "generate a key and CSR" until "install the issued
 * certificate", across daemon restarts and crashes.
 *
 * One file per request, dir/<id>.json, mode 0600, in a directory of mode
 * 0700 (the caller passes $XDG_STATE_HOME/qoltanba/pending). Files are
 * written once (util/safefile.h: complete or absent, never overwritten)
 * and removed with their bytes zeroed. The JSON holds:
 *   {"version":1, "id", "origin" (or null), "storage", "algorithm",
 *    "purpose", "folder" (or null), "subject", "keyId", "csr" (PEM),
 *    "created", "expires" (ms since the epoch),
 *    and exactly one of
 *    "key" (base64 of the PKCS#8 DER, unencrypted: the directory's
 *    permissions protect it, as ssh-keygen's unprotected keys), for a key
 *    file to be, or
 *    "token" {"storage", "module", "serial", "label", "keyId"}, for a key
 *    made on a PKCS#11 token: where it is, no key material at all}
 * Files written before tokens (with "key", without "token") still load:
 * the version did not change, "token" is an optional addition.
 *
 * Ids come from web pages: every function checks them (exactly 32
 * characters [0-9a-f]) before they touch a path.
 *
 * Errors: 0; positive PENDING_E_* below; negative errno otherwise. Copies
 * of the key this code makes (file contents, JSON, base64) are wiped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PENDING_ID_LEN   32
#define PENDING_MAX_FILE (1024 * 1024)

enum pending_error {
	PENDING_E_BAD_ID = 1, /* not 32 lowercase hex characters */
	PENDING_E_NOT_FOUND,  /* no request with this id */
	/* Not a request file this code wrote: over PENDING_MAX_FILE, not a
	 * regular file, owned by another user, JSON that does not parse, a
	 * missing or mistyped field, another version, an id that is not
	 * the file's name. */
	PENDING_E_CORRUPT,
};

/* Where a key made on a token lives (struct pending_token.*: g_malloc'd). */
struct pending_token {
	char *storage; /* the storage type, e.g. "AKKaztokenStore" */
	char *module;  /* the module file or p11-kit name it was made through */
	char *serial;  /* the token's serial number (CK_TOKEN_INFO) */
	char *label;   /* the token's label */
	char *key_id;  /* hex CKA_ID of the key pair */
};

struct pending_request {
	char id[PENDING_ID_LEN + 1];
	char *origin;    /* web origin that asked, may be NULL */
	char *storage;   /* NCALayer storage name, e.g. "PKCS12" */
	char *algorithm; /* e.g. "RSA", "GOST2015_512" (the caller's vocabulary) */
	char *purpose;   /* e.g. "SIGNATURE", "AUTHENTICATION" */
	char *folder;    /* where the key file goes, may be NULL */
	char *subject;   /* the CSR's subject, as text for display */
	char *key_id;    /* lowercase hex SKI of the new key */
	char *csr_pem;
	long long created_ms, expires_ms;
	uint8_t *key_der; /* PKCS#8 DER; NULL in listings and for a token */
	size_t key_len;
	struct pending_token *token; /* a key on a token; NULL for a key file */
};

/* A fresh random id (RAND_bytes), NUL-terminated. -EIO if the RNG fails. */
int pending_new_id(char ret[PENDING_ID_LEN + 1]);

/* True if id is 32 lowercase hex characters. */
bool pending_id_valid(const char *id);

/* Write r as dir/<r->id>.json, creating dir (0700) if needed. All string
 * fields but origin and folder are required, and exactly one of the key
 * and the token (with all its fields) (-EINVAL).
 * -EEXIST if a request with this id exists (it is left as it was);
 * PENDING_E_BAD_ID; -E2BIG if the JSON would exceed PENDING_MAX_FILE. */
int pending_save(const char *dir, const struct pending_request *r);

/* Read request id with its key. PENDING_E_BAD_ID, PENDING_E_NOT_FOUND,
 * PENDING_E_CORRUPT. *ret is freed with pending_request_free(). */
int pending_load(const char *dir, const char *id, struct pending_request **ret);

/* All requests in dir, oldest (created) first, without their keys
 * (key_der NULL, key_len 0). A missing dir is an empty list. Files that
 * are not requests are skipped, with a log line. *ret (NULL when empty)
 * is freed with pending_list_free(). */
int pending_list(const char *dir, struct pending_request ***ret, size_t *ret_n);

/* How many requests dir holds, without reading them: regular files named
 * <id>.json (a damaged one counts too; pending_list() skips it). A
 * missing dir holds none. 0, -EINVAL, or a negative errno of opendir(). */
int pending_count(const char *dir, size_t *ret_n);

/* Zero and remove request id (safefile_destroy()). PENDING_E_BAD_ID,
 * PENDING_E_NOT_FOUND. */
int pending_destroy(const char *dir, const char *id);

/* Free t. Accepts NULL, returns NULL. */
struct pending_token *pending_token_free(struct pending_token *t);

/* Free r, wiping key_der. Accepts NULL, returns NULL. */
struct pending_request *pending_request_free(struct pending_request *r);
void pending_list_free(struct pending_request **v, size_t n);
