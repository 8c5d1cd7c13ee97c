/* status: what the daemon is doing, in the few words a tray icon shows.
 *
 * The server, ops and the hooks of the camera and the prompter report
 * here; one observer (the D-Bus status object, daemon/bus/) is told which
 * properties changed. status knows nothing of who reports or who watches.
 *
 * The state, by precedence:
 *   camera     a camera pipeline runs (a capture, a recording, a preview)
 *   prompting  a dialog is open (pinentry, the desktop's file chooser)
 *   busy       a request is being served
 *   error      the last answer was an error, until the next request
 *   idle       none of these
 *
 * ActiveOrigin, by the same precedence: the origin of the oldest open
 * dialog, else of the oldest request being served, else of the oldest
 * open camera preview, else "".
 *
 * Threads: status lives on the thread of the GMainContext that was the
 * thread default when status_new() ran (the daemon's main loop). The
 * functions marked "any thread" hand their report to that loop, in order;
 * everything else is for that thread only, and the observer runs there.
 * Stop every other thread's reports before status_free(): a report still
 * waiting for the loop is dropped then. */
#pragma once

#include <stdbool.h>

/* LastError is cut to this many bytes (at a character boundary). */
#define STATUS_ERROR_MAX 512
/* The origin reported for a request without an Origin header. */
#define STATUS_NO_ORIGIN "(no origin)"

enum status_state {
	STATUS_STATE_IDLE,
	STATUS_STATE_BUSY,
	STATUS_STATE_PROMPTING,
	STATUS_STATE_CAMERA,
	STATUS_STATE_ERROR,
};

/* What changed, for the observer: a mask of these. */
enum status_change {
	STATUS_CHANGE_STATE = 1 << 0,
	STATUS_CHANGE_CONNECTIONS = 1 << 1,
	STATUS_CHANGE_ACTIVE_ORIGIN = 1 << 2,
	STATUS_CHANGE_LAST_ERROR = 1 << 3,
	STATUS_CHANGE_PENDING = 1 << 4,
};

struct status;

struct status *status_new(void);
/* Drops reports still waiting for the loop. Accepts NULL, returns NULL. */
struct status *status_free(struct status *st);

/* Runs after every report that changed something, with the changes (a
 * mask of enum status_change). fn NULL: nobody watches. */
typedef void (*status_observer_fn)(struct status *st, unsigned changes, void *data);
void status_set_observer(struct status *st, status_observer_fn fn, void *data);

/* --- reports --------------------------------------------------------------
 * Origins are the pages' Origin headers, NULL for a local program without
 * one; they are stored as valid UTF-8 (invalid bytes replaced). */

/* A WebSocket connection opened or closed (page or camera preview). */
void status_connection_opened(struct status *st);
void status_connection_closed(struct status *st);

/* A request from origin is being served; it ends with exactly one
 * status_request_finished() for the same origin: error is the answer's
 * "key: detail" when it was an error, NULL for a success, a cancel by the
 * user, or no answer at all (the page left). */
void status_request_started(struct status *st, const char *origin);
void status_request_finished(struct status *st, const char *origin, const char *error);

/* A camera preview for origin opened (open) or closed. A preview is not
 * a request: it leaves State alone (the camera it starts makes State
 * camera), but while no request or dialog is under way ActiveOrigin
 * names the page whose preview is open. */
void status_preview(struct status *st, bool open, const char *origin);

/* The number of pending key requests of remote issuance. */
void status_set_pending(struct status *st, unsigned n);

/* Any thread: a dialog for origin appeared (open) or went away; each
 * open is followed by one close for the same origin. */
void status_dialog(struct status *st, bool open, const char *origin);

/* Any thread: the camera started (on) or stopped. */
void status_camera(struct status *st, bool on);

/* --- reading -------------------------------------------------------------- */

enum status_state status_get_state(const struct status *st);
/* "idle", "busy", "prompting", "camera", "error". */
const char *status_state_name(enum status_state state);
unsigned status_get_connections(const struct status *st);
/* The origin of the oldest open dialog, else of the oldest request being
 * served (STATUS_NO_ORIGIN for a local program), else "". Borrowed. */
const char *status_get_active_origin(const struct status *st);
/* The last error answered, "" before the first. Borrowed, valid UTF-8. */
const char *status_get_last_error(const struct status *st);
unsigned status_get_pending(const struct status *st);
