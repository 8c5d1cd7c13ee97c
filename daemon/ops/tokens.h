/* Which token storages are plugged in, for getActiveTokens: the sources
 * of token presence, started and stopped with the daemon.
 *
 * This release has one source, PC/SC (daemon/keystore/pcsc.h): cards and
 * tokens in readers, recognised by the token map (the map file installed
 * with the daemon, or [testing] tokens-map, plus the user's [token-atr]
 * and [token-reader]). Its changes are logged here, once each: pcscd
 * missing, pcscd back, a card in, a card out. */
#pragma once

#include <glib.h>

#include "daemon/config.h"

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
 * once. Answers at once from what the sources last reported; empty when
 * none runs. Main loop only.
 *
 * The seam for more sources (PKCS#11 tokens): each adds its types here,
 * before the list is put in order. */
void ops_active_tokens(const struct ops_env *env, GPtrArray *out);
