/* The portal client against a stand-in FileChooser (tests/helpers/
 * portal-stub) on a private dbus-daemon: a chosen file or folder comes
 * back as a local path, the dialog gets what we asked for, the user's
 * cancel and ours both end the call, and a desktop without a portal or
 * without a bus at all is told apart from one that answers nonsense. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/ui/portal.h"
#include "tests/unit/test-util.h"

/* Enough of session.conf for one test: no activatable services, so a
 * missing portal is missing, not started from the system's files. */
#define BUS_CONFIG                                                                                 \
	"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"    \
	" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"                      \
	"<busconfig>\n"                                                                            \
	"  <type>session</type>\n"                                                                 \
	"  <listen>unix:path=%s/bus</listen>\n"                                                    \
	"  <auth>EXTERNAL</auth>\n"                                                                \
	"  <policy context=\"default\">\n"                                                         \
	"    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"                                 \
	"    <allow eavesdrop=\"true\"/>\n"                                                        \
	"    <allow own=\"*\"/>\n"                                                                 \
	"  </policy>\n"                                                                            \
	"</busconfig>\n"

/* "/tmp/Ключи ЭЦП/AUTH_RSA256 1.p12", as a portal sends it. */
#define KEY_URI                                                                                    \
	"file:///tmp/%D0%9A%D0%BB%D1%8E%D1%87%D0%B8%20%D0%AD%D0%A6%D0%9F/AUTH_RSA256%201.p12"
#define KEY_PATH "/tmp/Ключи ЭЦП/AUTH_RSA256 1.p12"

struct portal_case {
	const char *answer; /* PORTAL_STUB_ANSWER; NULL: no portal on the bus */
	bool other_path;    /* PORTAL_STUB_OTHER_PATH: an old portal's own request path */
};

struct fixture {
	char *dir, *log;
	GPid bus, stub;
};

static const char *const key_globs[] = { "*.p12", "*.P12", "*.pfx", NULL };
static const struct portal_file_options key_options = {
	.title = "https://egov.kz — выбор ключа",
	.current_folder = "/home/user/Ключи ЭЦП",
	.filter_name = "Key files (*.p12)",
	.globs = key_globs,
};

/* If a test dies half-way, its bus and stub die with it. */
static void die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GPid spawn(char **argv, char **envp, GSpawnFlags flags, int *ret_stdout)
{
	g_autoptr(GError) error = NULL;
	GPid pid = 0;

	g_spawn_async_with_pipes(NULL, argv, envp,
				 flags | G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
					 G_SPAWN_CLOEXEC_PIPES,
				 die_with_parent, NULL, &pid, NULL, ret_stdout, NULL, &error);
	g_assert_no_error(error);
	return pid;
}

/* One line of a child's output, without its newline; 10 s at most. */
static char *read_line(int fd)
{
	GString *line = g_string_new(NULL);
	char c;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		g_assert_cmpint(poll(&p, 1, 10000), ==, 1);
		if (read(fd, &c, 1) != 1 || c == '\n')
			break;
		g_string_append_c(line, c);
	}
	close(fd);
	return g_string_free(line, FALSE);
}

static void stop(GPid pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	g_spawn_close_pid(pid);
}

static void fixture_setup(struct fixture *f, gconstpointer data)
{
	const struct portal_case *c = data;
	g_autofree char *config = NULL;
	g_autofree char *text = NULL;
	g_autofree char *config_arg = NULL;
	g_autofree char *address = NULL;
	g_autofree char *ready = NULL;
	g_auto(GStrv) envp = NULL;
	int fd;

	f->dir = g_dir_make_tmp("qoltanba-portal-XXXXXX", NULL);
	f->log = g_build_filename(f->dir, "log", NULL);
	config = g_build_filename(f->dir, "bus.conf", NULL);
	text = g_strdup_printf(BUS_CONFIG, f->dir);
	g_assert_true(g_file_set_contents(config, text, -1, NULL));
	config_arg = g_strconcat("--config-file=", config, NULL);

	char *bus_argv[] = { "dbus-daemon", "--nofork", "--print-address=1", config_arg, NULL };
	/* Its stderr only complains that root may not raise the fd limit;
	 * a bus that does not start shows as a missing address. */
	f->bus = spawn(bus_argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, &fd);
	address = read_line(fd);
	g_assert_true(g_str_has_prefix(address, "unix:"));
	/* libc's setenv(), not GLib's that warns once a thread has existed:
	 * the cancelling threads are joined before the next test starts. */
	setenv("DBUS_SESSION_BUS_ADDRESS", address, 1);
	if (!c->answer)
		return;

	char *stub_argv[] = { PORTAL_STUB, NULL };
	envp = g_get_environ();
	envp = g_environ_setenv(envp, "PORTAL_STUB_ANSWER", c->answer, TRUE);
	envp = g_environ_setenv(envp, "PORTAL_STUB_LOG", f->log, TRUE);
	envp = g_environ_setenv(envp, "PORTAL_STUB_TIMEOUT", "30", TRUE);
	envp = g_environ_setenv(envp, "PORTAL_STUB_OTHER_PATH", c->other_path ? "1" : "0", TRUE);
	f->stub = spawn(stub_argv, envp, 0, &fd);
	ready = read_line(fd);
	g_assert_cmpstr(ready, ==, "ready");
}

static void fixture_teardown(struct fixture *f, gconstpointer data)
{
	stop(f->stub);
	stop(f->bus);
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	test_rm_rf(f->dir);
	g_free(f->dir);
	g_free(f->log);
}

static char *read_log(struct fixture *f)
{
	char *text = NULL;

	if (!g_file_get_contents(f->log, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

static void test_open_file(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	g_autofree char *msg = NULL;
	g_autofree char *log = NULL;

	g_assert_cmpint(portal_open_file(&key_options, NULL, &path, &msg), ==, 0);
	/* URI-escaped Cyrillic and spaces come back as the bytes of the path. */
	g_assert_cmpstr(path, ==, KEY_PATH);
	g_assert_null(msg);

	log = read_log(f);
	g_assert_cmpstr(log, ==,
			"OpenFile title=https://egov.kz — выбор ключа|"
			"folder=/home/user/Ключи ЭЦП|directory=0|modal=1|multiple=0|"
			"filters=Key files (*.p12):*.p12,*.P12,*.pfx;|"
			"current_filter=Key files (*.p12):*.p12,*.P12,*.pfx|token=yes\n");
}

static void test_choose_folder(struct fixture *f, gconstpointer data)
{
	const struct portal_file_options o = { .title = "Choose a folder" };
	g_autofree char *path = NULL;
	g_autofree char *log = NULL;

	g_assert_cmpint(portal_choose_folder(&o, NULL, &path, NULL), ==, 0);
	g_assert_cmpstr(path, ==, "/home/user/keys");
	/* No folder and no filter name: neither is sent. */
	log = read_log(f);
	g_assert_cmpstr(log, ==,
			"OpenFile title=Choose a folder|folder=-|directory=1|modal=1|multiple=0|"
			"filters=|current_filter=|token=yes\n");
}

static void test_old_portal_path(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;

	g_assert_cmpint(portal_open_file(&key_options, NULL, &path, NULL), ==, 0);
	g_assert_cmpstr(path, ==, KEY_PATH);
}

static void test_user_cancels(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	g_autofree char *msg = NULL;

	g_assert_cmpint(portal_open_file(&key_options, NULL, &path, &msg), ==, PORTAL_E_CANCELLED);
	g_assert_null(path);
	g_assert_null(msg);
}

static gpointer cancel_later(gpointer data)
{
	g_usleep(200000);
	g_cancellable_cancel(data);
	return NULL;
}

static void test_cancel_from_another_thread(struct fixture *f, gconstpointer data)
{
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	g_autofree char *path = NULL;
	g_autofree char *log = NULL;
	gint64 t0 = g_get_monotonic_time();
	GThread *th = g_thread_new("cancel", cancel_later, cancel);

	g_assert_cmpint(portal_open_file(&key_options, cancel, &path, NULL), ==,
			PORTAL_E_CANCELLED);
	g_assert_null(path);
	/* The stub never answers: returning at all proves the cancel. */
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
	g_thread_join(th);
	/* And the dialog was closed, not left on the screen. */
	log = read_log(f);
	g_assert_true(g_str_has_suffix(log, "\nclosed\n"));
}

static void test_cancelled_before(struct fixture *f, gconstpointer data)
{
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	g_autofree char *path = NULL;
	g_autofree char *log = NULL;

	g_cancellable_cancel(cancel);
	g_assert_cmpint(portal_open_file(&key_options, cancel, &path, NULL), ==,
			PORTAL_E_CANCELLED);
	/* No dialog was asked for. */
	log = read_log(f);
	g_assert_cmpstr(log, ==, "");
}

static void test_no_portal(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	g_autofree char *msg = NULL;

	g_assert_cmpint(portal_open_file(&key_options, NULL, &path, &msg), ==,
			PORTAL_E_UNAVAILABLE);
	g_assert_null(path);
	g_assert_nonnull(strstr(msg, "org.freedesktop.DBus.Error.ServiceUnknown"));
}

static void test_no_bus(void)
{
	g_autofree char *path = NULL;
	g_autofree char *msg = NULL;
	gint64 t0 = g_get_monotonic_time();

	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/qoltanba/bus", 1);
	g_assert_cmpint(portal_open_file(&key_options, NULL, &path, &msg), ==,
			PORTAL_E_UNAVAILABLE);
	g_assert_null(path);
	g_assert_nonnull(strstr(msg, "no session bus"));
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC);
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
}

static void test_not_a_file(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	g_autofree char *msg = NULL;

	g_assert_cmpint(portal_open_file(&key_options, NULL, &path, &msg), ==, PORTAL_E_FAILED);
	g_assert_null(path);
	/* The scheme is named; the rest of what the user chose is not. */
	g_assert_nonnull(strstr(msg, "(https:)"));
	g_assert_null(strstr(msg, "example"));
}

static void test_portal_fails(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	g_autofree char *msg = NULL;

	g_assert_cmpint(portal_open_file(&key_options, NULL, &path, &msg), ==, PORTAL_E_FAILED);
	g_assert_nonnull(strstr(msg, "response 2"));
}

static void test_no_dbus_daemon(void)
{
	g_test_skip("dbus-daemon is not installed (Debian: apt-get install dbus-daemon)");
}

int main(int argc, char **argv)
{
	static const struct portal_case chosen_key = { KEY_URI, false };
	static const struct portal_case chosen_folder = { "file:///home/user/keys", false };
	static const struct portal_case old_portal = { KEY_URI, true };
	static const struct portal_case user_cancels = { "cancel", false };
	static const struct portal_case hangs = { "hang", false };
	static const struct portal_case no_portal = { NULL, false };
	static const struct portal_case web_uri = { "https://example.com/key.p12", false };
	static const struct portal_case fails = { "fail", false };
	g_autofree char *dbus_daemon = g_find_program_in_path("dbus-daemon");

	signal(SIGPIPE, SIG_IGN);
	g_test_init(&argc, &argv, NULL);
	if (!dbus_daemon) {
		g_test_add_func("/portal/no-dbus-daemon", test_no_dbus_daemon);
		return g_test_run();
	}
#define ADD(name, c, fn) g_test_add(name, struct fixture, c, fixture_setup, fn, fixture_teardown)
	ADD("/portal/open-file", &chosen_key, test_open_file);
	ADD("/portal/choose-folder", &chosen_folder, test_choose_folder);
	ADD("/portal/old-portal-path", &old_portal, test_old_portal_path);
	ADD("/portal/user-cancels", &user_cancels, test_user_cancels);
	ADD("/portal/cancel-from-another-thread", &hangs, test_cancel_from_another_thread);
	ADD("/portal/cancelled-before", &hangs, test_cancelled_before);
	ADD("/portal/no-portal", &no_portal, test_no_portal);
	ADD("/portal/not-a-file-uri", &web_uri, test_not_a_file);
	ADD("/portal/portal-fails", &fails, test_portal_fails);
#undef ADD
	g_test_add_func("/portal/no-bus", test_no_bus);
	return g_test_run();
}
