/* What the ops files share for requests served on a worker thread: the
 * work item, picking and opening the user's key, describing what is
 * signed, strict base64. Internal to daemon/ops/. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#include "daemon/crypto/csr.h"
#include "daemon/crypto/signer.h"
#include "daemon/keystore/keyfilter.h"
#include "daemon/keystore/pending.h"
#include "daemon/keystore/pkcs11.h"
#include "daemon/keystore/pkcs12.h"
#include "daemon/ops/ops.h"
#include "daemon/ui/prompter.h"

/* One request on a worker. Everything here belongs to the work item; the
 * main loop does not touch it while the worker runs. */
struct ops_work {
	const struct ops_env *env;
	struct proto_request *req;
	char *origin;       /* NULL: no Origin header */
	char locale[8];     /* the session's language when the request came */
	GCancellable *cancel;
};

/* The worker entry points: return the answer (malloc'd). */
char *ops_commonutils_work(struct ops_work *w);
char *ops_basics_work(struct ops_work *w);
/* basics generateCsr, importCertificate, listRequests, cancelRequest. */
char *ops_enroll_work(struct ops_work *w);
/* kz.qoltanba.camera listDevices, capture, record, revokeConsent. */
char *ops_camera_work(struct ops_work *w);

/* Count a task run on a worker from the main loop, from its start until
 * its completion callback (ops_idle()). Main loop only. */
void ops_task_begin(void);
void ops_task_end(void);

/* Where pending key requests are kept: $XDG_STATE_HOME/qoltanba/pending. */
char *ops_enroll_pending_dir(const struct config *cfg);

/* Remote key issuance with a key on a token (token-enroll.c). */

/* generateCsr for a token storage (a->storage has a source): open its
 * token read-write, ask the PIN, make the key pair labelled
 * "qoltanba <id>", sign the request over subject, and save pr (filled by
 * the caller but for id, key_id, csr_pem and token) in dir. On success
 * NULL, pr->id set, pr->key_id (g_free), pr->csr_pem (free) and
 * pr->token (pending_token_free) the caller's; otherwise the answer, and
 * no key is left on the token. */
char *ops_token_enroll_generate(struct ops_work *w, struct prompter *p,
				const struct proto_csr_args *a, const struct csr_subject *subject,
				const char *dir, struct pending_request *pr);

/* importCertificate for pr (pr->token set): the token with pr's serial,
 * its PIN, the certificate stored next to the key (pkcs11_cert_import()).
 * cert_name goes into the prompt. NULL when stored, else the answer:
 * TOKEN_REMOVED (the token is not connected), CERT_KEY_MISMATCH,
 * IMPORT_FAILED (a certificate is there already), the PIN's answers. */
char *ops_token_enroll_import(struct ops_work *w, struct prompter *p,
			      const struct pending_request *pr, X509 *cert, const char *cert_name);

enum ops_token_key_fate {
	OPS_TOKEN_KEY_DELETED, /* deleted from the token */
	OPS_TOKEN_KEY_GONE,    /* the token was there, the key was not */
	OPS_TOKEN_KEY_KEPT,    /* the token is not connected, or the key has a certificate */
};

/* cancelRequest's part on the token: delete pr's key pair when its token
 * is connected (after the PIN). NULL with *ret_fate, else the answer
 * (action.canceled at the PIN prompt, …): then nothing is cancelled. */
char *ops_token_enroll_delete(struct ops_work *w, struct prompter *p,
			      const struct pending_request *pr, enum ops_token_key_fate *ret_fate);

/* Send camera on and off to st (NULL: only log them). */
void ops_camera_watch(struct status *st);

/* Does the method run on a worker (it prompts, signs or asks a PKCS#11
 * module)? */
bool ops_method_needs_worker(const struct ops_env *env, enum proto_method method);

/* A document to sign, decoded. */
struct ops_doc {
	const uint8_t *data;
	size_t len;
	uint8_t *owned; /* g_free'd by ops_docs_free() */
};

struct ops_docs {
	struct ops_doc *v;
	size_t n;
};

void ops_docs_clear(struct ops_docs *docs);

/* Strict base64 (RFC 4648 alphabet, padding required, CR/LF/space/tab
 * between characters ignored). Returns false for anything else. */
bool ops_base64_decode(const char *s, uint8_t **ret, size_t *ret_len);

/* A certificate as a page sends it (importCertificate): one PEM
 * certificate, or base64 of the DER with nothing after it; at most
 * OPS_CERT_TEXT_MAX bytes of text. NULL when it is none of these. The
 * caller frees the result. */
#define OPS_CERT_TEXT_MAX (64 * 1024)
X509 *ops_certificate_parse(const char *text);

/* What a page's certificate says, for file names and prompts (g_free()
 * the results): its Subject Key Identifier in lowercase hex (fallback
 * when it has none), a time as YYYY-MM-DD ("?" when unreadable), the
 * subject's common name as UTF-8 ("?" without one). */
char *ops_cert_key_id(X509 *cert, const char *fallback);
char *ops_cert_time_text(const ASN1_TIME *t);
char *ops_cert_common_name(X509 *cert);

/* "1 document (12 bytes, SHA-256 9f86d081884c7d65…)", one line per
 * document (the first few), for the password prompt. digests: the data
 * are digests. */
char *ops_describe_docs(const struct ops_docs *docs, bool digests, bool xml);

/* The storage a request names: NULL when it can be served (PKCS12, or a
 * token type with a source: ops_token_has_source()), else the answer to
 * send. */
char *ops_check_storage(const struct config *cfg, const struct proto_request *req,
			const char *storage);

/* An opened key, whatever its source: a PKCS#12 file or a token. cert,
 * chain and alias are the key's own (borrowed from it); signer is ready
 * to sign. */
struct ops_key {
	const char *alias;     /* the file's friendly name; a token key's CKA_LABEL */
	X509 *cert;
	STACK_OF(X509) *chain;
	struct signer signer;
	/* The source; exactly one of p12 and p11 is set. */
	struct pkcs12_key *p12;
	struct pkcs11_key *p11;
	struct pkcs11_session *session; /* p11's, logged in */
	char *token;                    /* p11: "<label> (<storage type>)", for messages */
};

/* Free the key and, for a token, log out and close its session. Accepts
 * NULL; returns NULL. */
struct ops_key *ops_key_free(struct ops_key *key);

/* After a signature failed: the answer when the key's source says why
 * (a token removed: TOKEN_REMOVED), else NULL. */
char *ops_key_sign_error(struct ops_work *w, const struct ops_key *key);

/* Open the user's key of storage (PKCS12 or a token type that passed
 * ops_check_storage()) and check it against f (NULL: no requirements).
 *   PKCS12  the user chooses a key file; its password, three tries
 *   token   the first key on the token that meets f; the token's PIN,
 *           three tries, none once the token says its PIN is blocked
 * purpose and content go into the prompts. On success returns NULL and
 * *ret_key is the opened key (ops_key_free()); otherwise returns the
 * answer to send (cancel, wrong password or PIN, file and token errors,
 * filter miss). */
char *ops_open_key(struct ops_work *w, struct prompter *p, const char *storage,
		   const char *purpose, const char *content, const struct keyfilter *f,
		   struct ops_key **ret_key);

/* ops_open_key() for a token (token-key.c). */
char *ops_open_token_key(struct ops_work *w, struct prompter *p, const char *storage,
			 const char *purpose, const char *content, const struct keyfilter *f,
			 struct ops_key **ret_key);

/* Ask the PIN of the token in session s (token: "<label> (<storage>)",
 * for messages) and log in: three tries, none once the token says its PIN
 * is blocked, the line above the entry naming the tries left. NULL when
 * logged in, else the answer (action.canceled, password.wrong,
 * TOKEN_LOCKED, TOKEN_REMOVED, TOKEN_BUSY). */
char *ops_token_login(struct ops_work *w, struct prompter *p, struct pkcs11_session *s,
		      const char *token, const char *description);

/* The answer to a PKCS11_E_* (or negative errno) r from the token in s:
 * TOKEN_LOCKED, TOKEN_REMOVED, TOKEN_BUSY, KEY_UNSUPPORTED, else
 * SIGNING_FAILED; logged. */
char *ops_token_error(struct ops_work *w, struct pkcs11_session *s, const char *token, int r);

/* The answer to a prompter error r (PROMPTER_E_*, or negative), with the
 * prompter's message as the detail. */
char *ops_prompt_error(struct ops_work *w, int r, const char *message);

/* Fill f's CA and CRL lists from the configuration ([keys] ca-certs,
 * crl). Returns NULL, or the answer to send when a file cannot be read. */
char *ops_filter_from_config(struct ops_work *w, struct keyfilter *f);
void ops_filter_clear(struct keyfilter *f);
