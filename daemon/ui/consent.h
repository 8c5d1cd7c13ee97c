/* consent: which web origins the user allowed to use the camera.
 *
 * The answers are kept in $XDG_STATE_HOME/qoltanba/consent (mode 0600),
 * one line per allowed origin under "[camera]", so that a page is asked
 * once and the answer survives restarts. Only "allow" is remembered: a
 * refusal is asked again next time. The file is replaced atomically.
 * All functions are safe from any thread (one lock). A local program
 * without an Origin header is kept as "(no origin)". */
#pragma once

#include <stdbool.h>

/* Is origin allowed? A file that cannot be read counts as "not yet". */
bool consent_allowed(const char *state_dir, const char *origin);

/* Remember that origin is allowed. 0 or a negative errno. */
int consent_allow(const char *state_dir, const char *origin);

/* The allowed origins, in the order they were allowed (a local program
 * as "(no origin)"), NULL-terminated, never NULL (g_strfreev() it). A
 * file that cannot be read is an empty list. */
char **consent_list(const char *state_dir);

/* Forget origin. *ret_was: it had been allowed. 0 or a negative errno. */
int consent_revoke(const char *state_dir, const char *origin, bool *ret_was);
