/* Trusting the local CA in NSS databases, with the real certutil on
 * databases in a temporary home: what a browser's database holds after
 * install, reinstall, renewal and uninstall. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/server/localca.h"
#include "daemon/server/nssdb.h"
#include "tests/unit/test-util.h"

#define RENEW ((int64_t)LOCALCA_RENEW_BEFORE_DAYS * 86400)
#define FOREVER ((int64_t)(LOCALCA_VALID_DAYS + 1) * 86400)

static char *certutil; /* NULL: not installed, tests that need it skip */
static char *vfychain;

struct fixture {
	char *home;
	char *tls;
	char *chromium; /* <home>/.pki/nssdb */
	char *firefox;  /* a profile with a database */
	char *snap;     /* a snap Firefox profile with a database */
	char *bare;     /* a profile folder without a database */
	char *locked;   /* a database with a password */
	GPtrArray *report;
};

static bool exited_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Run certutil (or another NSS tool), which must succeed; its output. */
G_GNUC_NULL_TERMINATED static char *run_tool(const char *tool, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	char *out = NULL;
	g_autofree char *err = NULL;
	const char *arg;
	int status;
	va_list ap;

	g_ptr_array_add(argv, (char *)tool);
	va_start(ap, tool);
	while ((arg = va_arg(ap, const char *)))
		g_ptr_array_add(argv, (char *)arg);
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
				   &out, &err, &status, &error));
	g_assert_no_error(error);
	if (!exited_ok(status))
		g_error("%s %s failed: %s", tool, (char *)argv->pdata[1], err);
	return out;
}

static void make_db(const char *dir)
{
	g_autofree char *dbarg = g_strconcat("sql:", dir, NULL);
	g_autofree char *out = NULL;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	out = run_tool(certutil, "-N", "-d", dbarg, "--empty-password", NULL);
}

/* "nickname trust" for every certificate of ours in dir, from
 * certutil -L, split on whitespace (not the way nssdb.c parses it). */
static char *ours_in(const char *dir)
{
	g_autofree char *dbarg = g_strconcat("sql:", dir, NULL);
	g_autofree char *out = run_tool(certutil, "-L", "-d", dbarg, NULL);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	g_autoptr(GString) found = g_string_new(NULL);

	for (char **l = lines; *l; l++) {
		g_auto(GStrv) words = g_strsplit_set(*l, " \t", -1);
		g_autoptr(GPtrArray) w = g_ptr_array_new();

		for (char **x = words; *x; x++)
			if (**x)
				g_ptr_array_add(w, *x);
		if (w->len == 5 && g_str_equal(w->pdata[0], "Qoltanba") &&
		    g_str_equal(w->pdata[1], "local") && g_str_equal(w->pdata[2], "CA"))
			g_string_append_printf(found, "%s%s %s", found->len ? "; " : "",
					       (char *)w->pdata[3], (char *)w->pdata[4]);
		else
			g_assert_null(strstr(*l, "Qoltanba"));
	}
	return g_string_free(g_steal_pointer(&found), FALSE);
}

/* "<16 hex> C,,": what every database should hold for the current CA. */
static char *expected(const char *tls)
{
	char fp[LOCALCA_FINGERPRINT_HEX + 1];

	g_assert_cmpint(localca_ca_fingerprint(tls, fp), ==, 0);
	fp[16] = '\0';
	return g_strdup_printf("%s C,,", fp);
}

static void assert_holds(const char *db, const char *want)
{
	g_autofree char *have = ours_in(db);

	g_assert_cmpstr(have, ==, want);
}

/* NSS itself accepts the server's leaf as a TLS server certificate. */
static void assert_nss_trusts_leaf(const struct fixture *f, const char *db, bool trusted)
{
	g_autofree char *dbarg = g_strconcat("sql:", db, NULL);
	g_autofree char *chain = g_build_filename(f->tls, "server.pem", NULL);
	g_autofree char *leaf = g_build_filename(f->home, "leaf.pem", NULL);
	g_autofree char *pem = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	const char *argv[] = { vfychain, "-d", dbarg, "-u", "1", "-a", leaf, NULL };
	char *end;
	int status;

	if (!vfychain)
		return;
	/* The first certificate only, so that the root comes from the db. */
	g_assert_true(g_file_get_contents(chain, &pem, NULL, NULL));
	end = strstr(pem, "-----END CERTIFICATE-----\n");
	g_assert_nonnull(end);
	end[strlen("-----END CERTIFICATE-----\n")] = '\0';
	g_assert_true(g_file_set_contents(leaf, pem, -1, NULL));
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
				   &err, &status, NULL));
	if (exited_ok(status) != trusted)
		g_error("vfychain on %s: %s%s", db, out, err);
}

static bool report_mentions(GPtrArray *report, const char *a, const char *b)
{
	for (guint i = 0; i < report->len; i++) {
		const char *line = g_ptr_array_index(report, i);

		if (strstr(line, a) && (!b || strstr(line, b)))
			return true;
	}
	return false;
}

static void print_report(GPtrArray *report)
{
	for (guint i = 0; i < report->len; i++)
		g_test_message("report: %s", (const char *)g_ptr_array_index(report, i));
}

static void fixture_setup(struct fixture *f, gconstpointer data)
{
	bool renewed = false;

	(void)data;
	f->report = g_ptr_array_new_with_free_func(g_free);
	f->home = g_dir_make_tmp("qoltanba-nssdb-XXXXXX", NULL);
	g_assert_nonnull(f->home);
	g_setenv("HOME", f->home, TRUE);
	f->tls = g_build_filename(f->home, ".local", "state", "qoltanba", "tls", NULL);
	f->chromium = g_build_filename(f->home, ".pki", "nssdb", NULL);
	f->firefox = g_build_filename(f->home, ".mozilla", "firefox", "abc.default-release", NULL);
	f->snap = g_build_filename(f->home, "snap", "firefox", "common", ".mozilla", "firefox",
				   "xyz.default", NULL);
	f->bare = g_build_filename(f->home, ".mozilla", "firefox", "Crash Reports", NULL);
	f->locked = g_build_filename(f->home, "locked", NULL);
	g_assert_cmpint(localca_ensure(f->tls, RENEW, &renewed), ==, 0);
	g_assert_true(renewed);
	if (!certutil)
		return;
	make_db(f->firefox);
	make_db(f->snap);
	g_assert_cmpint(g_mkdir_with_parents(f->bare, 0700), ==, 0);
}

static void fixture_teardown(struct fixture *f, gconstpointer data)
{
	(void)data;
	print_report(f->report);
	test_rm_rf(f->home);
	g_free(f->home);
	g_free(f->tls);
	g_free(f->chromium);
	g_free(f->firefox);
	g_free(f->snap);
	g_free(f->bare);
	g_free(f->locked);
	g_ptr_array_unref(f->report);
}

static bool need_certutil(void)
{
	if (!certutil)
		g_test_skip("certutil is not installed (Debian: apt install libnss3-tools)");
	return certutil != NULL;
}

static char *record_text(const struct fixture *f)
{
	g_autofree char *path = g_build_filename(f->tls, "nssdb-installed", NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

static void assert_mode_0700(const char *path)
{
	struct stat st;

	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0700);
}

/* The whole life of an install, as the user lives it. */
static void test_lifecycle(struct fixture *f, gconstpointer data)
{
	const char *dbs[] = { f->chromium, f->firefox, f->snap };
	g_autofree char *want = NULL;
	g_autofree char *want_new = NULL;
	g_autofree char *record = NULL;
	g_autofree char *bare_db = g_build_filename(f->bare, "cert9.db", NULL);
	g_autofree char *pki = g_build_filename(f->home, ".pki", NULL);
	g_autofree char *late = g_build_filename(f->home, ".mozilla", "firefox", "late.profile",
						 NULL);
	bool renewed = false;

	if (!need_certutil())
		return;
	want = expected(f->tls);
	assert_nss_trusts_leaf(f, f->firefox, false);

	/* Install: Chromium's database is created, Firefox's are used. */
	g_assert_cmpint(nssdb_install(f->home, f->tls, certutil, f->report), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(dbs); i++) {
		assert_holds(dbs[i], want);
		g_assert_true(report_mentions(f->report, dbs[i], "added"));
		assert_nss_trusts_leaf(f, dbs[i], true);
	}
	g_assert_true(report_mentions(f->report, f->chromium, "created"));
	assert_mode_0700(pki);
	assert_mode_0700(f->chromium);
	g_assert_false(g_file_test(bare_db, G_FILE_TEST_EXISTS));
	record = record_text(f);
	g_assert_nonnull(record);
	for (size_t i = 0; i < G_N_ELEMENTS(dbs); i++) {
		g_autofree char *line = g_strconcat(dbs[i], "\n", NULL);

		g_assert_nonnull(strstr(record, line));
	}

	/* Again: nothing changes, and the report says so. */
	g_ptr_array_set_size(f->report, 0);
	g_assert_cmpint(nssdb_install(f->home, f->tls, certutil, f->report), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(dbs); i++) {
		assert_holds(dbs[i], want);
		g_assert_true(report_mentions(f->report, dbs[i], "already"));
	}

	/* Renewal: a new CA replaces the old one where it was installed,
	 * and only there. */
	make_db(late);
	g_assert_cmpint(localca_ensure(f->tls, FOREVER, &renewed), ==, 0);
	g_assert_true(renewed);
	want_new = expected(f->tls);
	g_assert_cmpstr(want, !=, want_new);
	g_ptr_array_set_size(f->report, 0);
	g_assert_cmpint(nssdb_refresh(f->home, f->tls, certutil, f->report), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(dbs); i++) {
		assert_holds(dbs[i], want_new);
		g_assert_true(report_mentions(f->report, dbs[i], "removed"));
		g_assert_true(report_mentions(f->report, dbs[i], "added"));
		assert_nss_trusts_leaf(f, dbs[i], true);
	}
	assert_holds(late, "");

	/* Uninstall: none left anywhere, no record. */
	g_ptr_array_set_size(f->report, 0);
	g_assert_cmpint(nssdb_uninstall(f->home, f->tls, certutil, f->report), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(dbs); i++) {
		assert_holds(dbs[i], "");
		g_assert_true(report_mentions(f->report, dbs[i], "removed"));
		assert_nss_trusts_leaf(f, dbs[i], false);
	}
	g_free(record);
	record = record_text(f);
	g_assert_null(record);

	/* Uninstalling twice is harmless. */
	g_assert_cmpint(nssdb_uninstall(f->home, f->tls, certutil, f->report), ==, 0);
}

/* A CA from an earlier install (another tls folder) is replaced. */
static void test_older_ca_replaced(struct fixture *f, gconstpointer data)
{
	g_autofree char *old_tls = g_build_filename(f->home, "old-tls", NULL);
	g_autofree char *old_ca = g_build_filename(old_tls, "ca.pem", NULL);
	g_autofree char *dbarg = g_strconcat("sql:", f->firefox, NULL);
	g_autofree char *out = NULL;
	g_autofree char *want = NULL;

	if (!need_certutil())
		return;
	g_assert_cmpint(localca_ensure(old_tls, RENEW, NULL), ==, 0);
	out = run_tool(certutil, "-A", "-d", dbarg, "-n", "Qoltanba local CA 0123456789ABCDEF",
		       "-t", "C,,", "-a", "-i", old_ca, NULL);
	g_assert_cmpint(nssdb_install(f->home, f->tls, certutil, f->report), ==, 0);
	want = expected(f->tls);
	assert_holds(f->firefox, want);
	g_assert_true(
		report_mentions(f->report, f->firefox, "removed the older \"Qoltanba local CA "
						       "0123456789ABCDEF\""));
}

/* Someone lowered the trust: install puts it back. */
static void test_trust_repaired(struct fixture *f, gconstpointer data)
{
	g_autofree char *dbarg = g_strconcat("sql:", f->firefox, NULL);
	g_autofree char *nick = NULL;
	g_autofree char *want = NULL;
	g_autofree char *out = NULL;
	char fp[LOCALCA_FINGERPRINT_HEX + 1];

	if (!need_certutil())
		return;
	g_assert_cmpint(nssdb_install(f->home, f->tls, certutil, f->report), ==, 0);
	g_assert_cmpint(localca_ca_fingerprint(f->tls, fp), ==, 0);
	fp[16] = '\0';
	nick = g_strconcat("Qoltanba local CA ", fp, NULL);
	out = run_tool(certutil, "-M", "-d", dbarg, "-n", nick, "-t", ",,", NULL);
	g_assert_cmpint(nssdb_install(f->home, f->tls, certutil, f->report), ==, 0);
	want = expected(f->tls);
	assert_holds(f->firefox, want);
}

/* Never installed: renewal has nothing to do and needs no certutil. */
static void test_refresh_without_record(struct fixture *f, gconstpointer data)
{
	g_assert_cmpint(nssdb_refresh(f->home, f->tls, "/nonexistent/certutil", f->report), ==, 0);
	g_assert_cmpuint(f->report->len, ==, 0);
	if (certutil) {
		g_autofree char *db = g_build_filename(f->chromium, "cert9.db", NULL);

		g_assert_cmpint(nssdb_refresh(f->home, f->tls, certutil, f->report), ==, 0);
		g_assert_false(g_file_test(db, G_FILE_TEST_EXISTS));
		assert_holds(f->firefox, "");
	}
}

/* f->locked: a database with a password, recorded as having our CA. */
static void make_locked_db(const struct fixture *f)
{
	g_autofree char *dbarg = g_strconcat("sql:", f->locked, NULL);
	g_autofree char *pw = g_build_filename(f->home, "pw", NULL);
	g_autofree char *rec = g_build_filename(f->tls, "nssdb-installed", NULL);
	g_autofree char *line = g_strconcat(f->locked, "\n", NULL);
	g_autofree char *out = NULL;

	g_assert_cmpint(g_mkdir_with_parents(f->locked, 0700), ==, 0);
	g_assert_true(g_file_set_contents(pw, "secret\n", -1, NULL));
	out = run_tool(certutil, "-N", "-d", dbarg, "-f", pw, NULL);
	g_assert_true(g_file_set_contents(rec, line, -1, NULL));
}

/* The daemon's refresh fails on it (and says why) instead of waiting for
 * someone to type the password, and keeps it recorded. */
static void test_refresh_password_db(struct fixture *f, gconstpointer data)
{
	g_autofree char *line = g_strconcat(f->locked, "\n", NULL);
	g_autofree char *record = NULL;

	if (!need_certutil())
		return;
	make_locked_db(f);
	g_assert_cmpint(nssdb_refresh(f->home, f->tls, certutil, f->report), ==, NSSDB_E_FAILED);
	g_assert_true(report_mentions(f->report, f->locked, "password"));
	record = record_text(f);
	g_assert_cmpstr(record, ==, line);
}

/* The same with a terminal: a daemon started from a shell has one, and
 * certutil would prompt on it and block the daemon for good. */
static void test_refresh_never_prompts(struct fixture *f, gconstpointer data)
{
	int master, status = 0;
	pid_t pid;

	if (!need_certutil())
		return;
	make_locked_db(f);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	g_assert_cmpint(master, >=, 0);
	g_assert_cmpint(grantpt(master), ==, 0);
	g_assert_cmpint(unlockpt(master), ==, 0);

	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		/* A session whose controlling terminal is the pty. */
		int slave;

		if (setsid() < 0)
			_exit(2);
		slave = open(ptsname(master), O_RDWR);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
			_exit(2);
		_exit(nssdb_refresh(f->home, f->tls, certutil, f->report) == NSSDB_E_FAILED ? 0
											    : 1);
	}
	for (int i = 0; i < 600 && waitpid(pid, &status, WNOHANG) == 0; i++) {
		char buf[256];

		while (read(master, buf, sizeof(buf)) > 0)
			; /* a prompt, if any */
		g_usleep(50 * 1000);
	}
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		g_error("nssdb_refresh() was still waiting after 30 s (for a password?)");
	}
	close(master);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_no_certutil(struct fixture *f, gconstpointer data)
{
	static const char *const missing[] = { "/nonexistent/certutil",
					       "qoltanba-no-such-certutil" };

	for (size_t i = 0; i < G_N_ELEMENTS(missing); i++) {
		g_ptr_array_set_size(f->report, 0);
		g_assert_cmpint(nssdb_install(f->home, f->tls, missing[i], f->report), ==,
				NSSDB_E_NO_CERTUTIL);
		g_assert_true(report_mentions(f->report, "libnss3-tools", missing[i]));
		g_ptr_array_set_size(f->report, 0);
		g_assert_cmpint(nssdb_uninstall(f->home, f->tls, missing[i], f->report), ==,
				NSSDB_E_NO_CERTUTIL);
		g_assert_true(report_mentions(f->report, "libnss3-tools", NULL));
	}
}

static void test_no_ca(struct fixture *f, gconstpointer data)
{
	g_autofree char *empty = g_build_filename(f->home, "empty-tls", NULL);
	g_autofree char *db = g_build_filename(f->chromium, "cert9.db", NULL);

	if (!need_certutil())
		return;
	g_assert_cmpint(g_mkdir_with_parents(empty, 0700), ==, 0);
	g_assert_cmpint(nssdb_install(f->home, empty, certutil, f->report), ==, NSSDB_E_NO_CA);
	g_assert_true(report_mentions(f->report, empty, NULL));
	g_assert_false(g_file_test(db, G_FILE_TEST_EXISTS));
}

#define ADD(path, fn) g_test_add(path, struct fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	if (strchr(CERTUTIL_PATH, '/'))
		certutil = g_file_test(CERTUTIL_PATH, G_FILE_TEST_IS_EXECUTABLE)
				   ? g_strdup(CERTUTIL_PATH)
				   : NULL;
	else
		certutil = g_find_program_in_path(CERTUTIL_PATH);
	vfychain = g_find_program_in_path("vfychain");
	if (certutil && !vfychain)
		g_test_message("vfychain not found: NSS's own chain check is left out");

	ADD("/nssdb/lifecycle", test_lifecycle);
	ADD("/nssdb/older-ca-replaced", test_older_ca_replaced);
	ADD("/nssdb/trust-repaired", test_trust_repaired);
	ADD("/nssdb/refresh-without-record", test_refresh_without_record);
	ADD("/nssdb/refresh-password-db", test_refresh_password_db);
	ADD("/nssdb/refresh-never-prompts", test_refresh_never_prompts);
	ADD("/nssdb/no-certutil", test_no_certutil);
	ADD("/nssdb/no-ca", test_no_ca);
	r = g_test_run();
	g_free(certutil);
	g_free(vfychain);
	return r;
}
