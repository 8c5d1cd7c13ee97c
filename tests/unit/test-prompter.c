/* The prompter's rule for new key-file passwords (NCA's rule plus
 * printable ASCII), and the dialog hook around the scripted pinentry. The
 * dialogs themselves are driven through the daemon in
 * tests/integration/enroll.mjs. */
#include <glib.h>
#include <signal.h>

#include "daemon/config.h"
#include "daemon/ui/prompter.h"
#include "tests/unit/test-util.h"

static void test_password_rule(void)
{
	static const struct {
		const char *password, *why; /* why NULL: accepted */
	} cases[] = {
		{ "Abcde1", NULL },
		{ "Qwerty12", NULL },
		{ "A1b!@#$%^&*()_+ ~-=[]{}<>?,./xy", NULL },
		{ "Abcdefghijklmnopqrstuvwxyz123456", NULL }, /* 32 */
		{ "Abcd1", "The password is shorter than 6 characters." },
		{ "", "The password is shorter than 6 characters." },
		{ "Abcdefghijklmnopqrstuvwxyz1234567", "The password is longer than 32 characters." },
		{ "abcdef1", "The password has no upper case letter." },
		{ "ABCDEF1", "The password has no lower case letter." },
		{ "Abcdefg", "The password has no digit." },
		{ "Йцукен12Ab", "The password may have Latin letters, digits and punctuation only: "
			       "check the keyboard layout." },
		{ "Abc\tdef1", "The password may have Latin letters, digits and punctuation only: "
			       "check the keyboard layout." },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpstr(prompter_password_rule(cases[i].password), ==, cases[i].why);
}

/* What the hook saw: "open ORIGIN" and "close ORIGIN" lines. */
static void on_dialog(bool open, const char *origin, void *data)
{
	g_string_append_printf(data, "%s %s\n", open ? "open" : "close", origin ? origin : "-");
}

/* Every pinentry question is one open and one close naming the page; a
 * question that is cancelled closes too; without a hook nothing is told. */
static void test_dialog_hook(void)
{
	g_autofree char *dir = g_dir_make_tmp("qoltanba-prompter-XXXXXX", NULL);
	g_autofree char *script = g_build_filename(dir, "script", NULL);
	g_autoptr(GString) seen = g_string_new(NULL);
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	struct config cfg;
	struct prompter *p;
	char *secret = NULL, *message = NULL;

	g_assert_true(g_file_set_contents(script, "pin Qwerty12\ncancel\nok\nok\n", -1, NULL));
	g_setenv("PINENTRY_SCRIPT", script, TRUE);
	g_setenv("PINENTRY_LOG", "/dev/null", TRUE);
	config_init(&cfg);
	g_free(cfg.pinentry);
	cfg.pinentry = g_build_filename(PINENTRY_SCRIPT_DIR, "pinentry-script", NULL);
	cfg.file_chooser = CONFIG_FILE_CHOOSER_FOLDER;

	prompter_set_dialog_hook(on_dialog, seen);
	p = prompter_new(&cfg, "https://egov.kz", "en", cancel);
	g_assert_cmpint(prompter_password(p, "sign", NULL, &secret, &message), ==, 0);
	prompter_secret_free(secret);
	g_assert_cmpstr(seen->str, ==, "open https://egov.kz\nclose https://egov.kz\n");
	g_assert_cmpint(prompter_confirm_camera(p, &message), ==, PROMPTER_E_CANCELLED);
	g_assert_cmpstr(seen->str, ==, "open https://egov.kz\nclose https://egov.kz\n"
				       "open https://egov.kz\nclose https://egov.kz\n");
	prompter_free(p);

	g_string_truncate(seen, 0);
	p = prompter_new(&cfg, NULL, "en", cancel);
	g_assert_cmpint(prompter_confirm_camera(p, &message), ==, 0);
	g_assert_cmpstr(seen->str, ==, "open -\nclose -\n");
	prompter_set_dialog_hook(NULL, NULL);
	g_string_truncate(seen, 0);
	g_assert_cmpint(prompter_confirm_camera(p, &message), ==, 0);
	g_assert_cmpstr(seen->str, ==, "");
	prompter_free(p);

	g_free(message);
	config_clear(&cfg);
	test_rm_rf(dir);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/prompter/password-rule", test_password_rule);
	g_test_add_func("/prompter/dialog-hook", test_dialog_hook);
	return g_test_run();
}
