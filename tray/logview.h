/* logview: the daemon's log, followed in a terminal window:
 * `journalctl --user -u qoltanba.service -f`.
 *
 * The terminal is the first of these found on $PATH:
 *   xdg-terminal-exec COMMAND…          (the proposed freedesktop way)
 *   x-terminal-emulator -e COMMAND…     (Debian's alternatives)
 *   xdg-terminal "COMMAND"              (xdg-utils)
 * The window is started and left alone: its exit is not waited for. */
#pragma once

#define LOGVIEW_UNIT "qoltanba.service"

enum {
	LOGVIEW_E_NO_TERMINAL = 1, /* none of the terminals above is installed */
};

/* Open the window. Returns 0, LOGVIEW_E_NO_TERMINAL, or -ENOEXEC when
 * the terminal could not be started (*ret_message, to g_free(), says
 * why; written only then). */
int logview_open(char **ret_message);
