/* Which token storages are plugged in, for getActiveTokens, and the
 * tokens' PKCS#11 modules, for signing.
 *
 * Two sources say a token is there:
 *   PC/SC (daemon/keystore/pcsc.h): cards and tokens in readers,
 *     recognised by the token map (the map file installed with the
 *     daemon, or [testing] tokens-map, plus the user's [token-atr] and
 *     [token-reader]). Its changes are logged here, once each: pcscd
 *     missing, pcscd back, a card in, a card out.
 *   PKCS#11 ([tokens] TYPE=MODULE): a storage type whose configured
 *     module has an initialised token in a slot.
 *
 * The modules: one struct pkcs11_module per module file for the daemon's
 * life, loaded on first use (on a worker: loading and C_GetSlotList may
 * block), under one mutex. A module that cannot be loaded is remembered
 * with its reason, logged once, and loaded again on the next request.
 * A storage type without a configured module is served by p11-kit's
 * registered modules, and only while PC/SC sees a card of that type. */
#pragma once

#include <glib.h>

#include "daemon/config.h"
#include "daemon/keystore/pkcs11.h"

struct ops_env;
struct ops_tokens;

/* Start watching for tokens; while it lives, ops_active_tokens() asks it.
 * One at a time. A built-in map that cannot be read is logged, and the
 * user's entries are used alone. Main loop only. */
struct ops_tokens *ops_tokens_new(const struct config *cfg);

/* Stop watching (quickly: no waiting for pcscd). Accepts NULL, returns
 * NULL. Main loop only. */
struct ops_tokens *ops_tokens_free(struct ops_tokens *t);

/* Append to out (g_free'd strings) the storage types of the tokens present
 * now: never PKCS12 or JKS, in the order of tokenmap_storage_types[], each
 * once. PC/SC's part comes from what it last reported; the configured
 * [tokens] modules are asked now (C_GetSlotList), so with any configured
 * (config_has_token_modules()) call it on a worker; without, it answers
 * at once, from any thread. */
void ops_active_tokens(const struct ops_env *env, GPtrArray *out);

/* Can a key of this token storage type be looked for: a [tokens] module
 * is configured for it, or PC/SC sees a card of that type? Any thread. */
bool ops_token_has_source(const struct config *cfg, const char *type);

enum ops_token_error {
	/* No token of the type is there (no source, no initialised token in
	 * the module's slots, no registered module with a token that has
	 * keys); *ret_why says which. After the PKCS11_E_* values. */
	OPS_TOKEN_E_NONE = 100,
};

/* Open a read-only session on the token of storage type `type` and list
 * its keys (before login: certificates stand for their keys). The token:
 *   [tokens] module   its first initialised token that has keys, else
 *                     its first initialised token (with no keys)
 *   registered        only while PC/SC sees a card of that type: the
 *                     first token of p11-kit's modules that has keys
 * On success *ret_session and *ret_keys are the caller's (free the keys
 * first), *ret_token describes the token. Errors: OPS_TOKEN_E_NONE;
 * PKCS11_E_MODULE (the configured module cannot be loaded); PKCS11_E_BUSY
 * (another request has a session on the token); PKCS11_E_REMOVED; other
 * PKCS11_E_* and negative errno. *ret_why (g_free) says why, for the
 * user, on every error. Worker threads only. */
int ops_token_open(const struct config *cfg, const char *type, struct pkcs11_session **ret_session,
		   struct pkcs11_keys **ret_keys, struct pkcs11_token *ret_token, char **ret_why);

/* Open a read-write session, for making a key or storing a certificate,
 * on a token of storage type `type`, found as ops_token_open() finds it
 * but without listing keys: serial NULL, the first initialised token that
 * is not write-protected of the configured module (or, while PC/SC sees a
 * card of the type, of p11-kit's registered modules, passing over those
 * that cannot list their slots); serial set, the token with that serial
 * number among them (none: OPS_TOKEN_E_NONE). On success *ret_session is
 * the caller's, *ret_token describes the token and *ret_module (g_free)
 * names the module (the configured file, or p11-kit's name). Errors and
 * *ret_why as ops_token_open(). Worker threads only. */
int ops_token_open_rw(const struct config *cfg, const char *type, const char *serial,
		      struct pkcs11_session **ret_session, struct pkcs11_token *ret_token,
		      char **ret_module, char **ret_why);
