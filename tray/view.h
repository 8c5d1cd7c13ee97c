/* view: what the tray shows for the daemon's status. Pure: no D-Bus, no
 * I/O, so that every state's icon and words are unit-tested
 * (tests/unit/test-tray-view.c).
 *
 *   state          Status          icon             first line
 *   (not running)  Passive         document-sign    Not running
 *   idle           Passive         document-sign    Idle
 *   busy           Active          document-sign    Working for <origin>
 *   prompting      Active          dialog-password  Waiting for your answer to <origin>
 *   camera         NeedsAttention  camera-web       Camera on for <origin>
 *   error          NeedsAttention  dialog-error     Error: <LastError>
 *   (other)        Active          document-sign    State: <state>
 *
 * While the daemon runs, the tooltip's next line counts the connections,
 * and one more counts the key requests waiting for a certificate when
 * there are any. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "tray/text.h"

#define VIEW_ICON_IDLE "document-sign"
#define VIEW_ICON_PROMPTING "dialog-password"
#define VIEW_ICON_CAMERA "camera-web"
#define VIEW_ICON_ERROR "dialog-error"

/* Origins and error texts longer than this many characters are cut, with
 * an ellipsis: a tooltip is not a log. */
#define VIEW_ARG_MAX_CHARS 160

/* The daemon's properties (kz.qoltanba.Daemon1), as the tray last heard
 * them. Strings are borrowed; "" where unknown. */
struct tray_status {
	bool running;
	const char *state;
	const char *active_origin;
	const char *last_error;
	uint32_t connections;
	uint32_t pending;
};

struct view {
	const char *status; /* StatusNotifierItem Status; static */
	const char *icon;   /* a freedesktop icon name; static */
	char *summary;      /* the first line, plain text */
	char *tooltip;      /* every line, '\n' between, with markup escaped */
};

#define VIEW_NULL { .status = NULL }

/* Fill v for st in the words of t. Release with view_clear(). */
void view_init(struct view *v, const struct tray_status *st, const struct text *t);
void view_clear(struct view *v);
