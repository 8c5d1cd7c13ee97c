/* menu: the tray icon's menu, a com.canonical.dbusmenu object (version 3)
 * at MENU_PATH, which the desktop's tray host draws.
 *
 *   <the state in one line>           (disabled)
 *   ───
 *   Start Qoltanba                    (only while it is not running)
 *   Allowed sites…  ▸  Click a site to take its permission back  (disabled)
 *                      https://egov.kz
 *                      …                  (or "No sites allowed",
 *                                          "Qoltanba is not running")
 *   Open log
 *   ───
 *   Quit
 *
 * The menu only shows and reports: clicks go to menu_ops.activated, and
 * the owner (tray/main.c) hands the sites and the state in. Changes are
 * announced with one LayoutUpdated when the main loop is next idle. A site
 * keeps its item id while it is listed, so a click that crosses a refresh
 * never hits another site. */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "tray/text.h"

#define MENU_PATH "/MenuBar"

enum menu_action {
	MENU_ACTION_REVOKE,   /* a site was clicked */
	MENU_ACTION_START,
	MENU_ACTION_OPEN_LOG,
	MENU_ACTION_QUIT,
};

struct menu_ops {
	/* An item was clicked. origin: the site for MENU_ACTION_REVOKE
	 * (borrowed for the call), NULL otherwise. */
	void (*activated)(enum menu_action action, const char *origin, void *data);
	/* The host is about to open the menu or the sites: a moment to
	 * list the sites again (menu_set_sites()). */
	void (*about_to_show)(void *data);
};

struct menu;

/* Export the menu on bus. t, ops and data are borrowed and must outlive
 * the menu. Returns 0, or a negative errno from sd-bus. */
int menu_new(sd_bus *bus, const struct text *t, const struct menu_ops *ops, void *data,
	     struct menu **ret);
/* Accepts NULL, returns NULL. */
struct menu *menu_free(struct menu *m);

/* The first line (copied). */
void menu_set_summary(struct menu *m, const char *summary);
/* Whether the daemon runs: without it, the sites cannot be listed. */
void menu_set_running(struct menu *m, bool running);
/* The allowed sites, NULL-terminated (copied); NULL: none. */
void menu_set_sites(struct menu *m, char *const *sites);
