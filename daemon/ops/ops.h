/* ops: from a validated protocol request to the subsystems and back.
 * One file per protocol module (commonutils.c, basics.c); this header is
 * what the server sees of them.
 *
 * A request is served on the main loop or, when its work blocks, on a
 * worker; either way the answer comes back on the main loop through the
 * reply callback, exactly once, unless the call was cancelled. */
#pragma once

#include <stdbool.h>

#include "daemon/config.h"
#include "protocol/protocol.h"

struct ops_env {
	const struct config *cfg;
};

/* What ops may know and change about the connection a request came on. */
struct ops_session {
	char locale[8];     /* the page's language for prompts: kk, ru, en */
	const char *origin; /* the page's Origin, NULL for local programs */
};

/* reply is the complete answer frame; the callee owns it (free()). */
typedef void (*ops_reply_fn)(char *reply, void *userdata);

struct ops_call;

/* Serve req (taken). Returns NULL when the answer was already delivered
 * through reply() before returning, else a handle for ops_call_cancel(). */
struct ops_call *ops_serve(const struct ops_env *env, struct ops_session *session,
			   struct proto_request *req, ops_reply_fn reply, void *userdata);

/* The connection is gone: reply() will not be called for this call. */
void ops_call_cancel(struct ops_call *call);

/* The answer to a method this release recognises but cannot serve. */
char *ops_reply_unavailable(const struct proto_request *req);

/* Per-module entry points, used by ops_serve(): they answer at once and
 * return the reply (malloc'd). */
char *ops_commonutils_serve(const struct ops_env *env, struct ops_session *session,
			    const struct proto_request *req);
char *ops_basics_serve(const struct ops_env *env, struct ops_session *session,
		       const struct proto_request *req);
