/* The prompter's rule for new key-file passwords (NCA's rule plus
 * printable ASCII). The dialogs themselves are driven through the
 * daemon in tests/integration/enroll.mjs. */
#include <glib.h>

#include "daemon/ui/prompter.h"

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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/prompter/password-rule", test_password_rule);
	return g_test_run();
}
