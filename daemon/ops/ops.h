/* ops: from a validated protocol request to the subsystems and back.
 * One file per protocol module (commonutils.c, basics.c); this header is
 * what the server sees of them.
 *
 * A request is served on the main loop or, when its work blocks, on a
 * worker; either way the answer comes back on the main loop through the
 * reply callback, exactly once, unless the call was cancelled. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/config.h"
#include "protocol/protocol.h"

struct status;

struct ops_env {
	const struct config *cfg;
	struct status *status; /* NULL: nobody watches (ops_env_set_status()) */
};

/* Report to st (NULL: stop) what requests do besides answering: the
 * camera on and off, dialogs open and closed, the number of pending key
 * requests (counted now, and again after each key request). Installs the
 * process-wide hooks of the camera and the prompter: one env at a time.
 * Main loop only; when it returns with NULL no other thread reports to
 * the old st any more. */
void ops_env_set_status(struct ops_env *env, struct status *st);

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

/* Is nothing going on: no request on a worker (also none of a connection
 * that is gone, whose prompt may still be closing or whose key file may
 * still be being written), no preview starting, the camera off? Then
 * *ret_since is when the last piece of work ended (g_get_monotonic_time();
 * 0 if none ran yet). Main loop only. */
bool ops_idle(gint64 *ret_since);

/* The answer to a method this release recognises but cannot serve. */
char *ops_reply_unavailable(const struct proto_request *req);

/* Per-module entry points, used by ops_serve(): they answer at once and
 * return the reply (malloc'd). */
char *ops_commonutils_serve(const struct ops_env *env, struct ops_session *session,
			    const struct proto_request *req);
char *ops_camera_serve(const struct ops_env *env, struct ops_session *session,
		       const struct proto_request *req);

/* --- the camera's live preview (WebSocket path /camera/preview) ---------
 * The server opens one per preview connection; frames and the end come
 * back on the main loop. */

/* Close codes of a preview connection, with a reason "<key>: <detail>". */
enum {
	OPS_PREVIEW_CLOSE_NO_CAMERA = 4001, /* camera.none */
	OPS_PREVIEW_CLOSE_BUSY = 4002,      /* camera.busy */
	OPS_PREVIEW_CLOSE_DENIED = 4003,    /* camera.denied (or ui.unavailable) */
	OPS_PREVIEW_CLOSE_LOST = 4004,      /* camera.lost */
	OPS_PREVIEW_CLOSE_FAILED = 4005,    /* camera.failed */
	OPS_PREVIEW_CLOSE_INVALID = 4006,   /* camera.invalid / camera.unsupported */
};

struct ops_preview;
/* A JPEG frame for the page (borrowed: ref it to keep it). */
typedef void (*ops_preview_frame_fn)(GBytes *jpeg, void *data);
/* The preview ended by itself: close the connection with status, reason. */
typedef void (*ops_preview_end_fn)(uint16_t status, const char *reason, void *data);

/* Start a preview for the page of session; query is the path's query
 * string (PROTOCOL.md). Asks for consent first when needed. Never NULL:
 * a refusal arrives through end(). Main loop only. */
struct ops_preview *ops_preview_open(const struct ops_env *env, const struct ops_session *session,
				     const char *query, ops_preview_frame_fn frame,
				     ops_preview_end_fn end, void *data);
/* Stop and free; no callback runs after it returns. Main loop only. */
void ops_preview_close(struct ops_preview *p);
