/* Opening the user's key on a PKCS#11 token for a request: the token of
 * the storage type, the first key on it that meets the request's filters,
 * the PIN through pinentry. The answers a page sees are those of a key
 * file wherever they mean the same (cancel, wrong secret, filter miss). */
#include <string.h>

#include "daemon/ops/tokens.h"
#include "daemon/ops/work.h"
#include "util/cleanup.h"
#include "util/log.h"

DEFINE_POINTER_CLEANUP(pkcs11_keys_free, struct pkcs11_keys)
DEFINE_POINTER_CLEANUP(ops_key_free, struct ops_key)

/* How often a PIN may be wrong before the request fails (as passwords);
 * fewer when the token says its PIN is blocked. */
#define PIN_TRIES 3

static const char *who(const struct ops_work *w)
{
	return w->origin ? w->origin : "(no origin)";
}

/* The answer to a PKCS11_E_* (or negative errno) from the token. */
static char *session_error(struct ops_work *w, struct pkcs11_session *s, const char *token,
			   const char *alias, int r)
{
	const char *rv;

	switch (r) {
	case PKCS11_E_PIN_LOCKED:
		log_notice("%s: the PIN of the token %s is blocked", who(w), token);
		return proto_reply_error(w->req, PROTO_ERROR_TOKEN_LOCKED, token);
	case PKCS11_E_REMOVED:
	case PKCS11_E_NO_TOKEN:
		log_notice("%s: the token %s was removed", who(w), token);
		return proto_reply_error(w->req, PROTO_ERROR_TOKEN_REMOVED, token);
	case PKCS11_E_BUSY:
		return proto_reply_error(w->req, PROTO_ERROR_TOKEN_BUSY, token);
	case PKCS11_E_UNSUPPORTED:
		return proto_reply_error(w->req, PROTO_ERROR_KEY_UNSUPPORTED, alias);
	case PKCS11_E_NOT_FOUND:
		/* Its certificate is there, the key behind the PIN is not. */
		log_notice("%s: the token %s has no private key for %s", who(w), token, alias);
		return proto_reply_error(w->req, PROTO_ERROR_STORAGE_EMPTY,
					 "the token has no private key for its certificate");
	default:
		rv = s ? pkcs11_rv_name(pkcs11_session_last_rv(s)) : NULL;
		log_error("%s: the token %s failed (%s, %s)", who(w), token,
			  r < 0 ? g_strerror(-r) : "PKCS#11", rv ? rv : "a vendor's error");
		return proto_reply_error(w->req, PROTO_ERROR_SIGNING_FAILED,
					 "the token refused the operation");
	}
}

static char *token_error(struct ops_work *w, const struct ops_key *key, int r)
{
	return session_error(w, key->session, key->token, key->alias, r);
}

char *ops_token_error(struct ops_work *w, struct pkcs11_session *s, const char *token, int r)
{
	return session_error(w, s, token, token, r);
}

/* The answer when ops_token_open() failed. */
static char *open_error(struct ops_work *w, const char *storage, int r, const char *why)
{
	g_autofree char *detail = NULL;

	switch (r) {
	case OPS_TOKEN_E_NONE:
	case PKCS11_E_MODULE:
		/* The reason names the module file and what went wrong. */
		return proto_reply_error(w->req, PROTO_ERROR_STORAGE_EMPTY, why);
	case PKCS11_E_BUSY:
		return proto_reply_error(w->req, PROTO_ERROR_TOKEN_BUSY, why);
	case PKCS11_E_REMOVED:
	case PKCS11_E_NO_TOKEN:
		return proto_reply_error(w->req, PROTO_ERROR_TOKEN_REMOVED, why);
	default:
		detail = g_strdup_printf("%s: %s", storage, why);
		log_error("%s: cannot open the %s token: %s", who(w), storage, why);
		return proto_reply_error(w->req, PROTO_ERROR_STORAGE_EMPTY, detail);
	}
}

/* The first key with a certificate that meets f; NULL with *ret_miss
 * (the first key's miss, KEYFILTER_OK when no key has a certificate). */
static struct pkcs11_key *key_choose(const struct pkcs11_keys *keys, const struct keyfilter *f,
				     enum keyfilter_miss *ret_miss)
{
	enum keyfilter_miss first = KEYFILTER_OK;

	for (size_t i = 0; i < keys->n; i++) {
		struct pkcs11_key *k = keys->keys[i];
		enum keyfilter_miss miss;

		if (!k->cert || k->id_len == 0)
			continue;
		miss = f ? keyfilter_check(f, k->cert, k->chain) : KEYFILTER_OK;
		if (miss == KEYFILTER_OK)
			return k;
		if (first == KEYFILTER_OK)
			first = miss;
	}
	*ret_miss = first;
	return NULL;
}

/* The line above the PIN entry after a wrong PIN. */
static const char *wrong_pin_text(struct prompter *p, enum pkcs11_pin_state state)
{
	switch (state) {
	case PKCS11_PIN_FINAL_TRY:
		return prompter_text(p, "Wrong PIN. One try is left: another wrong PIN blocks "
					"the token.");
	case PKCS11_PIN_COUNT_LOW:
		return prompter_text(p, "Wrong PIN. Few tries are left.");
	case PKCS11_PIN_OK:
	case PKCS11_PIN_LOCKED:
		break;
	}
	return prompter_text(p, "Wrong PIN.");
}

/* Ask the PIN and log in: up to PIN_TRIES tries, none once the token
 * says its PIN is blocked. NULL when logged in, else the answer. */
char *ops_token_login(struct ops_work *w, struct prompter *p, struct pkcs11_session *s,
		      const char *token, const char *description)
{
	const char *error = NULL;
	int r;

	if (pkcs11_session_pin_state(s) == PKCS11_PIN_LOCKED)
		return ops_token_error(w, s, token, PKCS11_E_PIN_LOCKED);
	for (unsigned tries = 0;; tries++) {
		g_autofree char *message = NULL;
		char *pin = NULL;

		r = prompter_password(p, description, error, &pin, &message);
		if (r != 0)
			return ops_prompt_error(w, r, message);
		r = pkcs11_session_login(s, pin);
		/* The PIN is not needed any more, whatever the answer. */
		prompter_secret_free(pin);
		if (r == 0)
			return NULL;
		if (r != PKCS11_E_PIN_INCORRECT)
			return ops_token_error(w, s, token, r);
		/* The try that blocked it answers "incorrect" on some tokens. */
		if (pkcs11_session_pin_state(s) == PKCS11_PIN_LOCKED)
			return ops_token_error(w, s, token, PKCS11_E_PIN_LOCKED);
		if (tries + 1 >= PIN_TRIES) {
			log_notice("%s: wrong PIN for the token %s, %u times", who(w), token,
				   PIN_TRIES);
			return proto_reply_error(w->req, PROTO_ERROR_PASSWORD_WRONG, token);
		}
		error = wrong_pin_text(p, pkcs11_session_pin_state(s));
	}
}

static char *login(struct ops_work *w, struct prompter *p, struct ops_key *key,
		   const char *description)
{
	return ops_token_login(w, p, key->session, key->token, description);
}

char *ops_open_token_key(struct ops_work *w, struct prompter *p, const char *storage,
			 const char *purpose, const char *content, const struct keyfilter *f,
			 struct ops_key **ret_key)
{
	_cleanup_(ops_key_freep) struct ops_key *key = g_new0(struct ops_key, 1);
	_cleanup_(pkcs11_keys_freep) struct pkcs11_keys *keys = NULL;
	g_autofree char *why = NULL, *description = NULL;
	g_autofree uint8_t *id = NULL;
	struct pkcs11_token token;
	struct pkcs11_key *chosen;
	enum keyfilter_miss miss = KEYFILTER_OK;
	size_t id_len;
	char *reply;
	int r;

	r = ops_token_open(w->env->cfg, storage, &key->session, &keys, &token, &why);
	if (r != 0) {
		log_notice("%s: no %s token to use: %s", who(w), storage, why);
		return open_error(w, storage, r, why);
	}
	key->token = g_strdup_printf("%s (%s)", token.label, storage);

	/* Chosen before the PIN is asked, from the certificates the token
	 * shows to anyone: the user types the PIN for a key that will do. */
	chosen = key_choose(keys, f, &miss);
	if (!chosen && miss != KEYFILTER_OK) {
		log_notice("%s: no key on the token %s meets the request: %s", who(w), key->token,
			   keyfilter_miss_text(miss));
		return proto_reply_error(w->req, PROTO_ERROR_KEY_MISMATCH,
					 keyfilter_miss_text(miss));
	}
	if (!chosen) {
		log_notice("%s: the token %s has no key with a certificate", who(w), key->token);
		return proto_reply_error(w->req, PROTO_ERROR_STORAGE_EMPTY,
					 "the token has no key with a certificate");
	}
	id = g_memdup2(chosen->id, chosen->id_len);
	id_len = chosen->id_len;
	key->alias = chosen->label; /* for messages until the key is read again */

	description = g_strdup_printf(
		prompter_text(p, "%s asks you to %s:\n%s\nToken: %s (%s)\nEnter the token's PIN."),
		w->origin ? w->origin : prompter_text(p, "a local program"), purpose,
		content ? content : "", token.label, storage);
	reply = login(w, p, key, description);
	if (reply)
		return reply;

	/* Behind the PIN now: the private key itself. */
	r = pkcs11_session_key(key->session, id, id_len, &key->p11);
	if (r != 0)
		return token_error(w, key, r);
	if (!key->p11->cert) {
		log_notice("%s: the key %s on the token %s lost its certificate", who(w),
			   key->p11->label, key->token);
		return proto_reply_error(w->req, PROTO_ERROR_STORAGE_EMPTY,
					 "the token has no key with a certificate");
	}
	key->alias = key->p11->label;
	key->cert = key->p11->cert;
	key->chain = key->p11->chain;
	r = pkcs11_key_signer(key->p11, &key->signer);
	if (r != 0)
		return proto_reply_error(w->req, PROTO_ERROR_KEY_UNSUPPORTED, key->alias);
	log_info("%s: key %s on the token %s", who(w), key->alias, key->token);
	*ret_key = TAKE_PTR(key);
	return NULL;
}
