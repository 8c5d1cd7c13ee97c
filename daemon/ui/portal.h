/* portal: the desktop's own file and folder choosers, through
 * xdg-desktop-portal's org.freedesktop.portal.FileChooser on the session
 * bus (GNOME, KDE and the others each draw their native dialog).
 *
 * Every call opens its own bus connection and blocks until the user
 * answers: run it on a worker thread, never on the main loop. Firing the
 * GCancellable (from any thread) closes the dialog and ends the call
 * within about 100 ms. */
#pragma once

#include <gio/gio.h>

enum portal_error {
	PORTAL_E_UNAVAILABLE = 1, /* no session bus, or no xdg-desktop-portal FileChooser answers */
	PORTAL_E_CANCELLED,       /* the user closed the dialog, or the GCancellable fired */
	PORTAL_E_FAILED,          /* the portal answered something unusable (no file:// URI, …) */
};

/* What the dialog shows. Strings are UTF-8 (D-Bus refuses anything else). */
struct portal_file_options {
	const char *title;          /* dialog title; the daemon puts the asking web origin in it */
	const char *current_folder; /* NULL: the portal's choice */
	const char *filter_name;    /* e.g. "Key files (*.p12)"; NULL: no filter */
	const char *const *globs;   /* NULL-terminated, e.g. {"*.p12","*.P12","*.pfx",NULL};
				     * case-sensitive globs as the portal wants; used only
				     * with filter_name */
};

/* Ask for one existing file. On success *ret_path is a local absolute path
 * (g_free). cancel may be NULL.
 *
 * Returns 0; PORTAL_E_CANCELLED; PORTAL_E_UNAVAILABLE or PORTAL_E_FAILED
 * with *ret_message (g_free) saying why, for the log, when ret_message is
 * not NULL; or a negative errno for the unexpected (-ENOMEM, -EINVAL for a
 * string that is not UTF-8). */
int portal_open_file(const struct portal_file_options *o, GCancellable *cancel, char **ret_path,
		     char **ret_message);

/* Ask for a folder (OpenFile with directory=true, portal version 3 and
 * later); the same contract as portal_open_file(). */
int portal_choose_folder(const struct portal_file_options *o, GCancellable *cancel, char **ret_path,
			 char **ret_message);
