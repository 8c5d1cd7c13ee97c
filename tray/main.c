/* qoltanba-tray: a tray icon that shows what qoltanbad is doing.
 *
 * One GLib main loop; the session bus joins it through sd-bus
 * (daemon/bus/source.h). The pieces: remote follows the daemon, view
 * turns its status into an icon and words, item is the icon
 * (StatusNotifierItem), menu its menu (dbusmenu), logview opens the log.
 * Only one tray runs per session: the name kz.qoltanba.Tray says which. */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <glib-unix.h>
#include <systemd/sd-bus.h>

#include "daemon/bus/source.h"
#include "tray/item.h"
#include "tray/logview.h"
#include "tray/menu.h"
#include "tray/remote.h"
#include "tray/text.h"
#include "tray/view.h"

#define TRAY_NAME "kz.qoltanba.Tray"

struct tray {
	GMainLoop *loop;
	sd_bus *bus;
	GSource *bus_source;
	const struct text *text;
	struct remote *remote;
	struct item *item;
	struct menu *menu;
	int exit_status;
};

/* Show the daemon's status as it stands. */
static void tray_refresh(struct tray *t)
{
	struct tray_status st;
	struct view v = VIEW_NULL;

	remote_get_status(t->remote, &st);
	view_init(&v, &st, t->text);
	item_show(t->item, &v);
	menu_set_summary(t->menu, v.summary);
	menu_set_running(t->menu, st.running);
	view_clear(&v);
}

static void on_status_changed(void *data)
{
	tray_refresh(data);
}

static void on_sites(char *const *sites, void *data)
{
	struct tray *t = data;

	menu_set_sites(t->menu, sites);
}

static void on_quit_done(void *data)
{
	struct tray *t = data;

	g_main_loop_quit(t->loop);
}

static const struct remote_ops remote_ops = {
	.changed = on_status_changed,
	.sites = on_sites,
	.quit_done = on_quit_done,
};

static void open_log(void)
{
	g_autofree char *message = NULL;
	int r = logview_open(&message);

	if (r == LOGVIEW_E_NO_TERMINAL)
		g_warning("no terminal program found (xdg-terminal-exec, x-terminal-emulator, "
			  "xdg-terminal): the log is shown by `journalctl --user -u %s -f`",
			  LOGVIEW_UNIT);
	else if (r < 0)
		g_warning("cannot open a terminal for the log: %s", message);
}

static void quit(struct tray *t)
{
	int r = remote_quit(t->remote);

	/* Without the daemon the tray goes alone, at once; with it, once
	 * the daemon has answered (remote_ops.quit_done). */
	if (r == 0) {
		g_message("asked qoltanbad to quit; quitting when it answers");
		return;
	}
	if (r < 0)
		g_warning("cannot ask qoltanbad to quit: %s", g_strerror(-r));
	g_message("quitting");
	g_main_loop_quit(t->loop);
}

static void on_menu_activated(enum menu_action action, const char *origin, void *data)
{
	struct tray *t = data;
	int r;

	switch (action) {
	case MENU_ACTION_REVOKE:
		r = remote_revoke(t->remote, origin);
		if (r == REMOTE_E_NOT_RUNNING)
			g_message("qoltanbad is not running: %s keeps its permission", origin);
		else if (r < 0)
			g_warning("cannot take %s's permission back: %s", origin, g_strerror(-r));
		break;
	case MENU_ACTION_START:
		r = remote_start(t->remote);
		if (r == -EALREADY)
			g_message("qoltanbad is running already");
		else if (r < 0)
			g_warning("cannot ask the session bus to start qoltanbad: %s", g_strerror(-r));
		else
			g_message("starting qoltanbad");
		break;
	case MENU_ACTION_OPEN_LOG:
		open_log();
		break;
	case MENU_ACTION_QUIT:
		quit(t);
		break;
	}
}

static void on_menu_about_to_show(void *data)
{
	struct tray *t = data;
	int r = remote_list_sites(t->remote);

	if (r < 0)
		g_warning("cannot ask qoltanbad for the allowed sites: %s", g_strerror(-r));
}

static const struct menu_ops menu_ops = {
	.activated = on_menu_activated,
	.about_to_show = on_menu_about_to_show,
};

static void on_bus_lost(int error, void *data)
{
	struct tray *t = data;

	g_warning("lost the session bus: %s", g_strerror(-error));
	t->exit_status = EXIT_FAILURE;
	g_main_loop_quit(t->loop);
}

static gboolean on_signal(gpointer data)
{
	struct tray *t = data;

	g_main_loop_quit(t->loop);
	return G_SOURCE_CONTINUE;
}

/* Everything on the bus. Returns 0, 1 when another tray runs, or a
 * negative errno (logged). */
static int tray_start(struct tray *t)
{
	int r;

	r = sd_bus_open_user(&t->bus);
	if (r < 0) {
		g_printerr("qoltanba-tray: no session bus: %s\n", g_strerror(-r));
		return r;
	}
	(void)sd_bus_set_description(t->bus, "qoltanba-tray");
	r = sd_bus_request_name(t->bus, TRAY_NAME, 0);
	if (r == -EEXIST) {
		g_message("another qoltanba-tray runs in this session (it owns %s)", TRAY_NAME);
		return 1;
	}
	if (r >= 0)
		r = menu_new(t->bus, t->text, &menu_ops, t, &t->menu);
	if (r >= 0)
		r = item_new(t->bus, MENU_PATH, &t->item);
	if (r >= 0)
		r = remote_new(t->bus, &remote_ops, t, &t->remote);
	if (r >= 0)
		t->bus_source = bus_source_new(t->bus, NULL, on_bus_lost, t, &r);
	if (r < 0) {
		g_printerr("qoltanba-tray: cannot show the icon on the session bus: %s\n",
			   g_strerror(-r));
		return r;
	}
	/* Before the loop answers anyone: the first thing read is right. */
	tray_refresh(t);
	return 0;
}

static void tray_stop(struct tray *t)
{
	t->remote = remote_free(t->remote);
	t->item = item_free(t->item);
	t->menu = menu_free(t->menu);
	if (t->bus_source) {
		g_source_destroy(t->bus_source);
		g_source_unref(g_steal_pointer(&t->bus_source));
	}
	/* Flushed: the answer to a last menu click still goes out. */
	t->bus = sd_bus_flush_close_unref(t->bus);
	g_clear_pointer(&t->loop, g_main_loop_unref);
}

int main(int argc, char **argv)
{
	gboolean version = FALSE;
	const GOptionEntry entries[] = {
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Show the version and exit", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	struct tray t = { .exit_status = EXIT_SUCCESS };
	int r;

	setlocale(LC_ALL, "");
	context = g_option_context_new(NULL);
	g_option_context_set_summary(context,
				     "A tray icon for qoltanbad: what it is doing, which sites may "
				     "use the camera, its log.");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("qoltanba-tray: %s\n", error->message);
		return EXIT_FAILURE;
	}
	if (version) {
		printf("qoltanba-tray %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}

	t.text = text_for_environment();
	t.loop = g_main_loop_new(NULL, FALSE);
	r = tray_start(&t);
	if (r != 0) {
		tray_stop(&t);
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	g_unix_signal_add(SIGTERM, on_signal, &t);
	g_unix_signal_add(SIGINT, on_signal, &t);
	g_main_loop_run(t.loop);
	tray_stop(&t);
	return t.exit_status;
}
