/* qoltanbad: the NCALayer-compatible signing daemon.
 *
 * Start-up ladder: options → configuration → TLS certificate → listening
 * sockets (bound, or from systemd) → libwebsockets on the GLib loop →
 * READY=1. SIGTERM/SIGINT stop the loop; everything is torn down in the
 * reverse order. */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/err.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "daemon/bus/bus.h"
#include "daemon/config.h"
#include "daemon/ops/tokens.h"
#include "daemon/server/listen.h"
#include "daemon/server/localca.h"
#include "daemon/server/nssdb.h"
#include "daemon/server/server.h"
#include "daemon/status.h"
#include "util/log.h"

#define EXIT_USAGE 2
/* How often to look at the certificate's expiry while running. */
#define TLS_CHECK_INTERVAL_S (12 * 3600)

static char *arg_config;
static char **arg_listen;
static gboolean arg_version, arg_install_ca, arg_uninstall_ca, arg_verbose;

static const GOptionEntry options[] = {
	{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &arg_config,
	  "Read the configuration from FILE instead of $XDG_CONFIG_HOME/qoltanba/qoltanba.conf", "FILE" },
	{ "listen", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &arg_listen,
	  "Listen on ADDR:PORT (repeatable; replaces [server] listen)", "ADDR:PORT" },
	{ "install-ca", 0, 0, G_OPTION_ARG_NONE, &arg_install_ca,
	  "Trust the local CA in the user's NSS databases (Chromium, Firefox) and exit", NULL },
	{ "uninstall-ca", 0, 0, G_OPTION_ARG_NONE, &arg_uninstall_ca,
	  "Remove the local CA from the user's NSS databases and exit", NULL },
	{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &arg_verbose, "Log every request", NULL },
	{ "version", 'V', 0, G_OPTION_ARG_NONE, &arg_version, "Print the version and exit", NULL },
	{ NULL },
};

struct daemon {
	struct config cfg;
	GMainLoop *loop;
	struct server *server;
	struct status *status; /* what the D-Bus status interface shows */
	struct bus *bus;       /* NULL without a session bus */
	struct ops_tokens *tokens; /* which tokens are plugged in (PC/SC) */
	char *tls_dir;
	char *tls_cert;
	char *tls_key;
	struct stat tls_loaded; /* server.pem as the server loaded it */
	unsigned idle_exit_s;   /* exit after this long idle; 0: never */
};

static bool same_file_version(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void print_report(GPtrArray *report)
{
	for (guint i = 0; i < report->len; i++)
		printf("%s\n", (const char *)g_ptr_array_index(report, i));
}

/* Make sure a valid certificate is on disk; after a renewal put the new
 * CA where the old one was trusted. */
static int tls_ensure(struct daemon *d, bool *ret_renewed)
{
	g_autoptr(GPtrArray) report = g_ptr_array_new_with_free_func(g_free);
	bool renewed = false;
	int r;

	r = localca_ensure(d->tls_dir, (int64_t)LOCALCA_RENEW_BEFORE_DAYS * 86400, &renewed);
	if (r != 0)
		return r;
	if (renewed) {
		log_notice("made a new local CA and server certificate in %s", d->tls_dir);
		r = nssdb_refresh(g_get_home_dir(), d->tls_dir, CERTUTIL_PATH, report);
		for (guint i = 0; i < report->len; i++)
			log_notice("%s", (const char *)g_ptr_array_index(report, i));
		if (r != 0)
			log_warning("could not trust the new CA everywhere the old one was; run "
				    "qoltanbad --install-ca");
	}
	if (ret_renewed)
		*ret_renewed = renewed;
	return 0;
}

/* Twice a day: renew when expiry is near, and load the certificate again
 * whenever server.pem changed, also when another process (qoltanbad
 * --install-ca) renewed it. */
static gboolean on_tls_check(gpointer data)
{
	struct daemon *d = data;
	struct stat now;

	if (tls_ensure(d, NULL) != 0) {
		log_error("cannot renew the TLS certificate in %s", d->tls_dir);
		ERR_clear_error();
		return G_SOURCE_CONTINUE;
	}
	if (stat(d->tls_cert, &now) != 0 || same_file_version(&now, &d->tls_loaded))
		return G_SOURCE_CONTINUE;
	if (server_reload_tls(d->server, d->tls_cert, d->tls_key) != 0) {
		log_error("cannot load the renewed TLS certificate");
		ERR_clear_error();
		return G_SOURCE_CONTINUE;
	}
	d->tls_loaded = now;
	log_notice("loaded the renewed TLS certificate");
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	struct daemon *d = data;

	log_info("stopping");
	sd_notify(0, "STOPPING=1");
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

/* Quit() on the D-Bus status interface: as SIGTERM. */
static void on_bus_quit(void *data)
{
	on_signal(data);
}

/* The keep-alive systemd expects (WatchdogSec=). Sent from the main loop,
 * so a loop that hangs stops sending and systemd restarts the daemon. */
static gboolean on_watchdog(gpointer data)
{
	sd_notify(0, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

static void watchdog_start(void)
{
	uint64_t usec;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	g_timeout_add(MAX(usec / 2000, 1), on_watchdog, NULL);
}

/* Exit once the server has been idle for idle_exit_s. While it is busy,
 * look again one period later: the moment it became idle is known
 * (server_idle()), so the exit still comes exactly one period after it. */
static gboolean on_idle_check(gpointer data)
{
	struct daemon *d = data;
	gint64 since, period_us = (gint64)d->idle_exit_s * G_USEC_PER_SEC, left_us = period_us;

	if (server_idle(d->server, &since)) {
		left_us = since + period_us - g_get_monotonic_time();
		if (left_us <= 0) {
			log_info("no connection and nothing to do for %u s: exiting", d->idle_exit_s);
			sd_notify(0, "STOPPING=1");
			g_main_loop_quit(d->loop);
			return G_SOURCE_REMOVE;
		}
	}
	g_timeout_add((guint)((left_us + 999) / 1000), on_idle_check, d);
	return G_SOURCE_REMOVE;
}

static int run_ca_command(struct daemon *d)
{
	g_autoptr(GPtrArray) report = g_ptr_array_new_with_free_func(g_free);
	int r;

	if (arg_install_ca) {
		r = tls_ensure(d, NULL);
		if (r != 0) {
			fprintf(stderr, "qoltanbad: cannot make the local CA in %s\n", d->tls_dir);
			return EXIT_FAILURE;
		}
		r = nssdb_install(g_get_home_dir(), d->tls_dir, CERTUTIL_PATH, report);
	} else
		r = nssdb_uninstall(g_get_home_dir(), d->tls_dir, CERTUTIL_PATH, report);
	print_report(report);
	if (r == 0 && arg_install_ca)
		printf("Restart the browser if it is open, so that it reads the change.\n");
	if (r != 0) {
		fprintf(stderr, "qoltanbad: %s the local CA failed\n",
			arg_install_ca ? "installing" : "removing");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static int open_listeners(struct daemon *d, struct listener **ret, size_t *ret_n)
{
	g_autofree struct listener *l = NULL;
	g_autofree char *message = NULL;
	size_t n = 0;
	int r;

	r = listen_from_systemd(&l, &n, &message);
	if (r != 0) {
		log_error("%s", message);
		return r;
	}
	if (n > 0) {
		log_info("using %zu socket(s) from systemd; [server] listen is not used", n);
		*ret = g_steal_pointer(&l);
		*ret_n = n;
		return 0;
	}
	n = g_strv_length(d->cfg.listen);
	l = g_new0(struct listener, n);
	for (size_t i = 0; i < n; i++) {
		r = listen_bind(d->cfg.listen[i], &l[i], &message);
		if (r != 0) {
			log_error("%s", message);
			for (size_t j = 0; j < i; j++)
				close(l[j].fd);
			return r;
		}
	}
	*ret = g_steal_pointer(&l);
	*ret_n = n;
	return 0;
}

int main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *message = NULL;
	struct daemon d = { 0 };
	struct listener *listeners = NULL;
	size_t n_listeners = 0;
	int r, ret = EXIT_FAILURE;

	setlocale(LC_ALL, "");
	/* Keys and passwords pass through this process: no core dumps, no
	 * ptrace by other processes of the same user. */
	prctl(PR_SET_DUMPABLE, 0);
	signal(SIGPIPE, SIG_IGN);

	ctx = g_option_context_new("- NCALayer-compatible signing daemon");
	g_option_context_set_summary(ctx, "Serves NCALayer's WebSocket protocol on "
					  "wss://127.0.0.1:13579 for this user's browser.");
	g_option_context_set_description(ctx, "See qoltanbad(8) for the configuration file.");
	g_option_context_add_main_entries(ctx, options, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "qoltanbad: %s (see --help)\n", error->message);
		return EXIT_USAGE;
	}
	if (argc > 1) {
		fprintf(stderr, "qoltanbad: unexpected argument \"%s\" (see --help)\n", argv[1]);
		return EXIT_USAGE;
	}
	if (arg_version) {
		printf("qoltanbad %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	log_setup(arg_verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);

	config_init(&d.cfg);
	r = config_load(&d.cfg, arg_config, &message);
	if (r != 0) {
		fprintf(stderr, "qoltanbad: %s\n", message ? message : g_strerror(-r));
		config_clear(&d.cfg);
		return EXIT_USAGE;
	}
	if (arg_listen)
		config_set_listen(&d.cfg, arg_listen);
	d.tls_dir = g_build_filename(d.cfg.state_dir, "tls", NULL);
	d.tls_cert = g_build_filename(d.tls_dir, "server.pem", NULL);
	d.tls_key = g_build_filename(d.tls_dir, "server.key", NULL);

	if (arg_install_ca || arg_uninstall_ca) {
		ret = run_ca_command(&d);
		goto out;
	}

	if (tls_ensure(&d, NULL) != 0 || stat(d.tls_cert, &d.tls_loaded) != 0) {
		log_error("cannot make the TLS certificate in %s", d.tls_dir);
		goto out;
	}
	if (open_listeners(&d, &listeners, &n_listeners) != 0)
		goto out;

	d.loop = g_main_loop_new(NULL, FALSE);
	d.server = server_new(&d.cfg, d.loop, listeners, n_listeners, d.tls_cert, d.tls_key,
			      &message);
	if (!d.server) {
		log_error("%s", message);
		goto out;
	}
	d.status = status_new();
	server_set_status(d.server, d.status);
	d.bus = bus_new(&d.cfg, d.status, on_bus_quit, &d);
	d.tokens = ops_tokens_new(&d.cfg);
	g_unix_signal_add(SIGTERM, on_signal, &d);
	g_unix_signal_add(SIGINT, on_signal, &d);
	g_timeout_add_seconds(TLS_CHECK_INTERVAL_S, on_tls_check, &d);

	for (size_t i = 0; i < n_listeners; i++)
		printf("Listening on wss://%s and ws://%s\n", listeners[i].name, listeners[i].name);
	fflush(stdout);
	if (d.cfg.config_file)
		log_info("configuration: %s", d.cfg.config_file);
	sd_notify(0, "READY=1\nSTATUS=Serving NCALayer's protocol");
	watchdog_start();
	d.idle_exit_s = config_idle_exit(&d.cfg, n_listeners > 0 && listeners[0].activated);
	if (d.idle_exit_s > 0) {
		log_info("exiting after %u s without connections ([server] idle-exit)", d.idle_exit_s);
		g_timeout_add_seconds(d.idle_exit_s, on_idle_check, &d);
	}

	g_main_loop_run(d.loop);
	ret = EXIT_SUCCESS;
out:
	d.tokens = ops_tokens_free(d.tokens);
	d.bus = bus_free(d.bus);
	d.server = server_free(d.server);
	d.status = status_free(d.status);
	if (d.loop)
		g_main_loop_unref(d.loop);
	g_free(d.tls_dir);
	g_free(d.tls_cert);
	g_free(d.tls_key);
	g_free(arg_config);
	g_strfreev(arg_listen);
	config_clear(&d.cfg);
	return ret;
}
