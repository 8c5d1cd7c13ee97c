/* The pinentry client against a scripted pinentry that speaks Assuan:
 * every prompt path (answer, wrong then right, cancel, confirm, a program
 * that hangs and is cancelled, one that is missing or speaks nonsense). */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "daemon/ui/pinentry.h"
#include "tests/unit/test-util.h"

static char *script_program;

struct fixture {
	char *dir, *script, *log;
};

static void fixture_setup(struct fixture *f, gconstpointer data)
{
	const char *actions = data;

	f->dir = g_dir_make_tmp("qoltanba-pinentry-XXXXXX", NULL);
	f->script = g_build_filename(f->dir, "script", NULL);
	f->log = g_build_filename(f->dir, "log", NULL);
	g_assert_true(g_file_set_contents(f->script, actions, -1, NULL));
	g_setenv("PINENTRY_SCRIPT", f->script, TRUE);
	g_setenv("PINENTRY_LOG", f->log, TRUE);
}

static void fixture_teardown(struct fixture *f, gconstpointer data)
{
	test_rm_rf(f->dir);
	g_free(f->dir);
	g_free(f->script);
	g_free(f->log);
}

static char *read_log(struct fixture *f)
{
	char *text = NULL;

	g_assert_true(g_file_get_contents(f->log, &text, NULL, NULL));
	return text;
}

static struct pinentry *open_script(void)
{
	struct pinentry *p = NULL;
	g_autofree char *msg = NULL;

	g_assert_cmpint(pinentry_open(script_program, &p, &msg), ==, 0);
	return p;
}

static void test_escape(void)
{
	g_autofree char *e = pinentry_escape("50% of\nit\r");
	char d[] = "a%25b%0Ac%41";
	char bad[] = "a%4";

	g_assert_cmpstr(e, ==, "50%25 of%0Ait%0D");
	g_assert_true(pinentry_unescape(d));
	g_assert_cmpstr(d, ==, "a%b\ncA");
	g_assert_false(pinentry_unescape(bad));
}

static void test_secret(struct fixture *f, gconstpointer data)
{
	struct pinentry *p = open_script();
	const struct pinentry_texts t = {
		.title = "https://egov.kz asks to sign",
		.description = "1 document, 3 bytes\nSHA-256 0a1b…",
		.prompt = "Password:",
	};
	char *secret = NULL;
	g_autofree char *log = NULL;

	g_assert_cmpint(pinentry_get_secret(p, &t, &secret), ==, 0);
	g_assert_cmpstr(secret, ==, "Qwe%rty 12");
	pinentry_secret_free(secret);
	pinentry_close(p);

	log = read_log(f);
	g_assert_nonnull(strstr(log, "SETTITLE https://egov.kz asks to sign\n"));
	/* The newline of the description travels escaped, on one line. */
	g_assert_nonnull(strstr(log, "SETDESC 1 document, 3 bytes%0ASHA-256 0a1b…\n"));
	g_assert_nonnull(strstr(log, "SETPROMPT Password:\n"));
	g_assert_nonnull(strstr(log, "GETPIN\n"));
	g_assert_nonnull(strstr(log, "BYE\n"));
}

static void test_wrong_then_right(struct fixture *f, gconstpointer data)
{
	struct pinentry *p = open_script();
	struct pinentry_texts t = { .title = "t", .prompt = "Password:" };
	char *secret = NULL;
	g_autofree char *log = NULL;

	g_assert_cmpint(pinentry_get_secret(p, &t, &secret), ==, 0);
	g_assert_cmpstr(secret, ==, "wrong");
	pinentry_secret_free(secret);
	t.error = "Wrong password. Tries left: 2";
	g_assert_cmpint(pinentry_get_secret(p, &t, &secret), ==, 0);
	g_assert_cmpstr(secret, ==, "Qwerty12");
	pinentry_secret_free(secret);
	pinentry_close(p);
	log = read_log(f);
	g_assert_nonnull(strstr(log, "SETERROR Wrong password. Tries left: 2\nGETPIN\n"));
}

/* With $GPG_TTY the pinentry is told its terminal, as gpg-agent does;
 * without it, nothing is said. */
static void test_terminal(struct fixture *f, gconstpointer data)
{
	const struct pinentry_texts t = { .title = "t" };
	struct pinentry *p;
	char *secret = NULL;
	g_autofree char *log = NULL;
	g_autofree char *lc_all = g_strdup(g_getenv("LC_ALL"));

	g_setenv("GPG_TTY", "/dev/pts/7", TRUE);
	g_setenv("TERM", "xterm 256", TRUE);
	g_setenv("LC_ALL", "kk_KZ.UTF-8", TRUE);
	p = open_script();
	g_assert_cmpint(pinentry_get_secret(p, &t, &secret), ==, 0);
	pinentry_secret_free(secret);
	pinentry_close(p);
	g_unsetenv("GPG_TTY");
	if (lc_all)
		g_setenv("LC_ALL", lc_all, TRUE);
	else
		g_unsetenv("LC_ALL");
	p = open_script();
	g_assert_cmpint(pinentry_get_secret(p, &t, &secret), ==, 0);
	pinentry_secret_free(secret);
	pinentry_close(p);

	log = read_log(f);
	g_assert_nonnull(strstr(log, "OPTION ttyname=/dev/pts/7\nOPTION ttytype=xterm 256\n"
				    "OPTION lc-ctype=kk_KZ.UTF-8\nSETTITLE"));
	/* The second pinentry was told nothing. */
	g_assert_null(strstr(strstr(log, "BYE\n"), "OPTION"));
}

static void test_cancel(struct fixture *f, gconstpointer data)
{
	struct pinentry *p = open_script();
	const struct pinentry_texts t = { .title = "t" };
	char *secret = NULL;

	g_assert_cmpint(pinentry_get_secret(p, &t, &secret), ==, PINENTRY_E_CANCELLED);
	g_assert_null(secret);
	pinentry_close(p);
}

static void test_confirm(struct fixture *f, gconstpointer data)
{
	struct pinentry *p = open_script();
	const struct pinentry_texts t = { .description = "Allow https://a.example?" };

	g_assert_cmpint(pinentry_confirm(p, &t), ==, 0);
	g_assert_cmpint(pinentry_confirm(p, &t), ==, PINENTRY_E_CANCELLED);
	pinentry_close(p);
}

static gpointer cancel_later(gpointer data)
{
	g_usleep(200000);
	pinentry_cancel(data);
	return NULL;
}

static void test_cancel_from_another_thread(struct fixture *f, gconstpointer data)
{
	struct pinentry *p = open_script();
	const struct pinentry_texts t = { .title = "t" };
	char *secret = NULL;
	gint64 t0 = g_get_monotonic_time();
	GThread *th = g_thread_new("cancel", cancel_later, p);

	g_assert_cmpint(pinentry_get_secret(p, &t, &secret), ==, PINENTRY_E_CANCELLED);
	g_assert_null(secret);
	/* The script sleeps 60 s: returning at all proves the cancel. */
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 30 * G_USEC_PER_SEC);
	g_thread_join(th);
	pinentry_close(p);
}

static void test_garbage(struct fixture *f, gconstpointer data)
{
	struct pinentry *p = open_script();
	const struct pinentry_texts t = { .title = "t" };
	char *secret = NULL;

	g_assert_cmpint(pinentry_get_secret(p, &t, &secret), ==, PINENTRY_E_PROTOCOL);
	pinentry_close(p);
}

static void test_missing_program(void)
{
	struct pinentry *p = NULL;
	g_autofree char *msg = NULL;

	g_assert_cmpint(pinentry_open("/nonexistent/pinentry", &p, &msg), ==, PINENTRY_E_START);
	g_assert_null(p);
	g_assert_nonnull(strstr(msg, "/nonexistent/pinentry"));
}

static void test_not_assuan(void)
{
	struct pinentry *p = NULL;
	g_autofree char *msg = NULL;

	/* `true` exits without a greeting. */
	g_assert_cmpint(pinentry_open("true", &p, &msg), ==, PINENTRY_E_PROTOCOL);
	g_assert_nonnull(strstr(msg, "Assuan"));
}

int main(int argc, char **argv)
{
	int r;

	signal(SIGPIPE, SIG_IGN);
	script_program = g_build_filename(PINENTRY_SCRIPT_DIR, "pinentry-script", NULL);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pinentry/escape", test_escape);
	g_test_add("/pinentry/secret", struct fixture, "pin Qwe%rty 12\n", fixture_setup, test_secret,
		   fixture_teardown);
	g_test_add("/pinentry/wrong-then-right", struct fixture, "pin wrong\npin Qwerty12\n",
		   fixture_setup, test_wrong_then_right, fixture_teardown);
	g_test_add("/pinentry/terminal", struct fixture, "pin a\npin b\n", fixture_setup,
		   test_terminal, fixture_teardown);
	g_test_add("/pinentry/cancel", struct fixture, "cancel\n", fixture_setup, test_cancel,
		   fixture_teardown);
	g_test_add("/pinentry/confirm", struct fixture, "ok\ncancel\n", fixture_setup, test_confirm,
		   fixture_teardown);
	g_test_add("/pinentry/cancel-from-another-thread", struct fixture, "hang\n", fixture_setup,
		   test_cancel_from_another_thread, fixture_teardown);
	g_test_add("/pinentry/garbage", struct fixture, "garbage\n", fixture_setup, test_garbage,
		   fixture_teardown);
	g_test_add_func("/pinentry/missing-program", test_missing_program);
	g_test_add_func("/pinentry/not-assuan", test_not_assuan);
	r = g_test_run();
	g_free(script_program);
	return r;
}
