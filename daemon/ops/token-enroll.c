/* Remote key issuance with a key on a PKCS#11 token: generateCsr makes
 * the key pair on the token and keeps only where it is as the pending
 * request (keystore/pending.h "token"); importCertificate stores the
 * certificate next to it; cancelRequest deletes the pair again when the
 * token is there. The token is found as for signing (ops/tokens.h), the
 * PIN asked as for signing (ops_token_login()).
 *
 * A key made here and not recorded is destroyed at once: a failed
 * generateCsr leaves nothing on the token. A recorded key is never
 * destroyed except by cancelRequest. */
#include <string.h>

#include <openssl/x509v3.h>

#include "daemon/ops/tokens.h"
#include "daemon/ops/work.h"
#include "util/cleanup.h"
#include "util/log.h"

DEFINE_POINTER_CLEANUP(pkcs11_session_free, struct pkcs11_session)
DEFINE_POINTER_CLEANUP(pkcs11_key_free, struct pkcs11_key)
DEFINE_POINTER_CLEANUP(X509_PUBKEY_free, X509_PUBKEY)
DEFINE_POINTER_CLEANUP(pending_token_free, struct pending_token)

static const char *who(const struct ops_work *w)
{
	return w->origin ? w->origin : "a local program";
}

static char *hex_of(const uint8_t *b, size_t n)
{
	GString *s = g_string_sized_new(2 * n);

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%02x", b[i]);
	return g_string_free(s, FALSE);
}

/* The CKA_ID a pending record names: 20 bytes from 40 hex digits. */
static bool id_of_hex(const char *hex, uint8_t ret[CSR_KEY_ID_SIZE])
{
	if (!hex || strlen(hex) != 2 * CSR_KEY_ID_SIZE)
		return false;
	for (size_t i = 0; i < CSR_KEY_ID_SIZE; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]);
		int lo = g_ascii_xdigit_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		ret[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* The answer when ops_token_open_rw() failed. */
static char *open_error(struct ops_work *w, const char *storage, int r, const char *why)
{
	log_notice("%s: no %s token to use: %s", who(w), storage, why);
	switch (r) {
	case PKCS11_E_BUSY:
		return proto_reply_error(w->req, PROTO_ERROR_TOKEN_BUSY, why);
	case PKCS11_E_REMOVED:
	case PKCS11_E_NO_TOKEN:
		return proto_reply_error(w->req, PROTO_ERROR_TOKEN_REMOVED, why);
	default:
		return proto_reply_error(w->req, PROTO_ERROR_STORAGE_EMPTY, why);
	}
}

/* A token-side failure while the key is made or the certificate stored. */
static char *enroll_error(struct ops_work *w, struct pkcs11_session *s, const char *token, int r,
			  enum proto_error fallback, const char *what)
{
	const char *rv = pkcs11_rv_name(pkcs11_session_last_rv(s));

	switch (r) {
	case PKCS11_E_REMOVED:
	case PKCS11_E_NO_TOKEN:
	case PKCS11_E_PIN_LOCKED:
	case PKCS11_E_BUSY:
		return ops_token_error(w, s, token, r);
	default:
		log_error("%s: %s on the token %s failed (%s, %s)", who(w), what, token,
			  r < 0 ? g_strerror(-r) : "PKCS#11", rv ? rv : "no CKR_ value");
		return proto_reply_error(w->req, fallback, what);
	}
}

/* Destroy the key pair just made; logged, since a failure leaves it. */
static void discard_key(struct ops_work *w, struct pkcs11_session *s, const char *token,
			const uint8_t id[CSR_KEY_ID_SIZE], const char *label)
{
	int r = pkcs11_key_delete(s, id, CSR_KEY_ID_SIZE);

	if (r == 0)
		log_info("%s: the new key \"%s\" was deleted from the token %s again", who(w),
			 label, token);
	else
		log_error("%s: the new key \"%s\" could not be deleted from the token %s (%d): it "
			  "stays there",
			  who(w), label, token, r);
}

char *ops_token_enroll_generate(struct ops_work *w, struct prompter *p,
				const struct proto_csr_args *a, const struct csr_subject *subject,
				const char *dir, struct pending_request *pr)
{
	_cleanup_(pkcs11_session_freep) struct pkcs11_session *s = NULL;
	_cleanup_(pkcs11_key_freep) struct pkcs11_key *k = NULL;
	_cleanup_(X509_PUBKEY_freep) X509_PUBKEY *pk = NULL;
	_cleanup_(pending_token_freep) struct pending_token *t = g_new0(struct pending_token, 1);
	g_autofree char *why = NULL, *token = NULL, *description = NULL, *label = NULL;
	g_autofree char *key_id = NULL;
	enum csr_algorithm alg =
		a->algorithm == PROTO_KEY_ALG_GOST512 ? CSR_ALG_GOST512 : CSR_ALG_RSA2048;
	struct pkcs11_token tok;
	uint8_t id[CSR_KEY_ID_SIZE];
	struct signer sg;
	char *pem = NULL, *reply;
	int r;

	r = pending_new_id(pr->id);
	if (r != 0)
		return proto_reply_error(w->req, PROTO_ERROR_KEYGEN_FAILED, "no random numbers");
	r = ops_token_open_rw(w->env->cfg, a->storage, NULL, &s, &tok, &t->module, &why);
	if (r != 0)
		return open_error(w, a->storage, r, why);
	token = g_strdup_printf("%s (%s)", tok.label, a->storage);
	description = g_strdup_printf(
		prompter_text(p, "%s asks you to %s:\n%s\nToken: %s (%s)\nEnter the token's PIN."),
		w->origin ? w->origin : prompter_text(p, "a local program"),
		"make a new key on your token for a certificate request", pr->subject, tok.label,
		a->storage);
	reply = ops_token_login(w, p, s, token, description);
	if (reply)
		return reply;

	label = g_strdup_printf("qoltanba %s", pr->id);
	r = pkcs11_key_generate(s, alg, label, &pk, id);
	if (r == PKCS11_E_UNSUPPORTED) {
		log_notice("%s: the token %s cannot make %s keys", who(w), token, pr->algorithm);
		return proto_reply_error(w->req, PROTO_ERROR_KEY_UNSUPPORTED,
					 alg == CSR_ALG_GOST512
						 ? "this token cannot make GOST 34.10-2015 512 keys"
						 : "this token cannot make RSA-2048 keys");
	}
	if (r != 0)
		return enroll_error(w, s, token, r, PROTO_ERROR_KEYGEN_FAILED,
				    "making the key pair");

	/* From here on a failure deletes the new pair. */
	r = pkcs11_session_key(s, id, sizeof(id), &k);
	if (r == 0)
		r = pkcs11_key_signer(k, &sg);
	if (r == 0) {
		/* No key-store extension: NCA's storage OIDs for tokens are not
		 * public (PROTOCOL.md generateCsr). */
		r = csr_build_with_signer(pk, &sg, subject, NULL, &pem);
		/* The token's reason; a CSR_E_* would read as a PKCS11_E_*. */
		if (r == CSR_E_SIGNER && k->sign_error)
			r = k->sign_error;
		else if (r > 0)
			r = PKCS11_E_FAILED;
	}
	if (r != 0) {
		reply = enroll_error(w, s, token, r, PROTO_ERROR_KEYGEN_FAILED,
				     "signing the request");
		discard_key(w, s, token, id, label);
		return reply;
	}
	key_id = hex_of(id, sizeof(id));
	t->storage = g_strdup(a->storage);
	t->serial = g_strdup(tok.serial);
	t->label = g_strdup(tok.label);
	t->key_id = g_strdup(key_id);
	pr->csr_pem = pem;
	pr->key_id = key_id;
	pr->token = t;
	r = pending_save(dir, pr);
	if (r != 0) {
		pr->csr_pem = NULL;
		pr->key_id = NULL;
		pr->token = NULL;
		free(pem);
		log_error("generateCsr: keeping the pending request in %s: %s", dir,
			  r < 0 ? g_strerror(-r) : "failed");
		discard_key(w, s, token, id, label);
		return proto_reply_error(w->req, PROTO_ERROR_KEYGEN_FAILED,
					 "the pending request cannot be kept");
	}
	log_info("generateCsr: request %s for %s, key %s (%s) on the token %s, serial %s, as "
		 "\"%s\"",
		 pr->id, who(w), key_id, pr->algorithm, token, tok.serial, label);
	TAKE_PTR(t);
	TAKE_PTR(key_id);
	return NULL;
}

/* The token holding pr's key, rw and logged in; NULL, else the answer.
 * *ret_absent (if not NULL) says the token is not connected. */
static char *open_request_token(struct ops_work *w, struct prompter *p,
				const struct pending_request *pr, const char *purpose,
				const char *content, struct pkcs11_session **ret_s,
				char **ret_token, bool *ret_absent)
{
	_cleanup_(pkcs11_session_freep) struct pkcs11_session *s = NULL;
	g_autofree char *why = NULL, *module = NULL, *description = NULL, *detail = NULL;
	const struct pending_token *t = pr->token;
	struct pkcs11_token tok;
	char *token, *reply;
	int r;

	r = ops_token_open_rw(w->env->cfg, t->storage, t->serial, &s, &tok, &module, &why);
	if (r == OPS_TOKEN_E_NONE || r == PKCS11_E_NO_TOKEN || r == PKCS11_E_REMOVED ||
	    r == PKCS11_E_MODULE) {
		if (ret_absent)
			*ret_absent = true;
		detail = g_strdup_printf("the token holding this request's key is not connected "
					 "(%s, %s, serial %s)",
					 t->label, t->storage, t->serial);
		log_notice("%s: request %s: %s: %s", who(w), pr->id, detail, why);
		return proto_reply_error(w->req, PROTO_ERROR_TOKEN_REMOVED, detail);
	}
	if (r != 0)
		return open_error(w, t->storage, r, why);
	token = g_strdup_printf("%s (%s)", tok.label, t->storage);
	description = g_strdup_printf(
		prompter_text(p, "%s asks you to %s:\n%s\nToken: %s (%s)\nEnter the token's PIN."),
		w->origin ? w->origin : prompter_text(p, "a local program"), purpose, content,
		tok.label, t->storage);
	reply = ops_token_login(w, p, s, token, description);
	if (reply) {
		g_free(token);
		return reply;
	}
	*ret_s = TAKE_PTR(s);
	*ret_token = token;
	return NULL;
}

char *ops_token_enroll_import(struct ops_work *w, struct prompter *p,
			      const struct pending_request *pr, X509 *cert, const char *cert_name)
{
	_cleanup_(pkcs11_session_freep) struct pkcs11_session *s = NULL;
	g_autofree char *token = NULL, *label = NULL, *detail = NULL;
	uint8_t id[CSR_KEY_ID_SIZE];
	char *reply;
	int r;

	if (!id_of_hex(pr->token->key_id, id)) {
		log_error("pending request %s: the key id %s is not 40 hex digits", pr->id,
			  pr->token->key_id);
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL,
					 "the pending key request cannot be read");
	}
	reply = open_request_token(w, p, pr, "store your new certificate on your token", cert_name,
				   &s, &token, NULL);
	if (reply)
		return reply;
	label = g_strdup_printf("qoltanba %s", pr->id);
	r = pkcs11_cert_import(s, id, sizeof(id), cert, label);
	switch (r) {
	case 0:
		log_info("importCertificate: request %s: the certificate is on the token %s as "
			 "\"%s\"",
			 pr->id, token, label);
		return NULL;
	case PKCS11_E_KEY_MISMATCH:
		detail = g_strdup_printf("the certificate's key is not the request's key %s",
					 pr->key_id);
		return proto_reply_error(w->req, PROTO_ERROR_CERT_KEY_MISMATCH, detail);
	case PKCS11_E_NOT_FOUND:
		log_notice("%s: request %s: the token %s no longer holds the key %s", who(w),
			   pr->id, token, pr->key_id);
		return proto_reply_error(w->req, PROTO_ERROR_STORAGE_EMPTY,
					 "the token no longer holds this request's key");
	case PKCS11_E_EXISTS:
		return proto_reply_error(w->req, PROTO_ERROR_IMPORT_FAILED,
					 "the token already holds a certificate for this key; "
					 "nothing was replaced");
	default:
		return enroll_error(w, s, token, r, PROTO_ERROR_IMPORT_FAILED,
				    "storing the certificate");
	}
}

char *ops_token_enroll_delete(struct ops_work *w, struct prompter *p,
			      const struct pending_request *pr, enum ops_token_key_fate *ret_fate)
{
	_cleanup_(pkcs11_session_freep) struct pkcs11_session *s = NULL;
	g_autofree char *token = NULL;
	uint8_t id[CSR_KEY_ID_SIZE];
	bool absent = false;
	char *reply;
	int r;

	if (!id_of_hex(pr->token->key_id, id)) {
		*ret_fate = OPS_TOKEN_KEY_KEPT;
		return NULL;
	}
	reply = open_request_token(w, p, pr, "delete the key of a cancelled certificate request",
				   pr->subject, &s, &token, &absent);
	if (reply && absent) {
		/* Not connected: the record goes, the key stays where it is. */
		free(reply);
		*ret_fate = OPS_TOKEN_KEY_KEPT;
		log_notice("cancelRequest %s: the key stays on the token %s (serial %s) as "
			   "\"qoltanba %s\"",
			   pr->id, pr->token->label, pr->token->serial, pr->id);
		return NULL;
	}
	if (reply)
		return reply;
	r = pkcs11_key_delete(s, id, sizeof(id));
	switch (r) {
	case 0:
		log_info("cancelRequest %s: the key was deleted from the token %s", pr->id, token);
		*ret_fate = OPS_TOKEN_KEY_DELETED;
		return NULL;
	case PKCS11_E_NOT_FOUND:
		*ret_fate = OPS_TOKEN_KEY_GONE;
		return NULL;
	case PKCS11_E_EXISTS:
		/* A certificate is next to it: a key in use is never deleted. */
		log_notice("cancelRequest %s: the key on the token %s has a certificate: kept",
			   pr->id, token);
		*ret_fate = OPS_TOKEN_KEY_KEPT;
		return NULL;
	default:
		return enroll_error(w, s, token, r, PROTO_ERROR_INTERNAL,
				    "deleting the key");
	}
}
