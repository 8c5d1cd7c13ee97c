/* The configuration file: defaults, every key, and the errors a user sees. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "daemon/config.h"

static char *tmpdir;

static char *write_conf(const char *text)
{
	char *path = g_build_filename(tmpdir, "qoltanba.conf", NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void test_defaults(void)
{
	struct config cfg;

	config_init(&cfg);
	g_assert_cmpstr(cfg.listen[0], ==, "127.0.0.1:13579");
	g_assert_cmpstr(cfg.listen[1], ==, "[::1]:13579");
	g_assert_null(cfg.listen[2]);
	g_assert_cmpuint(cfg.max_message, >=, 50u * 1000 * 1000 * 4 / 3);
	g_assert_true(g_strv_contains((const char *const *)cfg.origins_allow, "https://egov.kz"));
	g_assert_true(g_strv_contains((const char *const *)cfg.origins_allow, "https://*.egov.kz"));
	g_assert_true(cfg.allow_no_origin);
	g_assert_true(g_str_has_suffix(cfg.state_dir, "/qoltanba"));
	g_assert_false(config_has_token_modules(&cfg));
	/* Idle exit only when systemd can start the daemon again. */
	g_assert_cmpuint(config_idle_exit(&cfg, false), ==, 0);
	g_assert_cmpuint(config_idle_exit(&cfg, true), ==, 300);
	config_clear(&cfg);
}

static void test_absent_default_file(void)
{
	struct config cfg;
	char *msg = NULL;

	/* XDG_CONFIG_HOME points at an empty folder: no file, no error. */
	config_init(&cfg);
	g_assert_cmpint(config_load(&cfg, NULL, &msg), ==, 0);
	g_assert_null(cfg.config_file);
	config_clear(&cfg);
}

static void test_all_keys(void)
{
	g_autofree char *path = write_conf("[server]\n"
					   "listen=127.0.0.1:1234; [::1]:1234 ;\n"
					   "max-message=2M\n"
					   "max-connections=5\n"
					   "max-queue=0\n"
					   "idle-exit=0\n"
					   "[origins]\n"
					   "allow=https://a.example;http://localhost:*\n"
					   "allow-no-origin=false\n"
					   "[ui]\nlocale=ru\npinentry=pinentry-gnome3\n"
					   "[tokens]\nAKKaztokenStore=/usr/lib/x.so\n"
					   "[testing]\nresponse-delay-ms=250\n");
	struct config cfg;
	char *msg = NULL;

	config_init(&cfg);
	g_assert_cmpint(config_load(&cfg, path, &msg), ==, 0);
	g_assert_cmpstr(cfg.listen[0], ==, "127.0.0.1:1234");
	g_assert_cmpstr(cfg.listen[1], ==, "[::1]:1234");
	g_assert_null(cfg.listen[2]);
	g_assert_cmpuint(cfg.max_message, ==, 2 * 1024 * 1024);
	g_assert_cmpuint(cfg.max_connections, ==, 5);
	g_assert_cmpuint(cfg.max_queue, ==, 0);
	g_assert_cmpuint(config_idle_exit(&cfg, true), ==, 0);
	g_assert_cmpuint(config_idle_exit(&cfg, false), ==, 0);
	g_assert_cmpstr(cfg.origins_allow[0], ==, "https://a.example");
	g_assert_cmpstr(cfg.origins_allow[1], ==, "http://localhost:*");
	g_assert_null(cfg.origins_allow[2]);
	g_assert_false(cfg.allow_no_origin);
	g_assert_cmpstr(cfg.locale, ==, "ru");
	g_assert_cmpuint(cfg.response_delay_ms, ==, 250);
	g_assert_cmpstr(config_token_module(&cfg, "AKKaztokenStore"), ==, "/usr/lib/x.so");
	g_assert_null(config_token_module(&cfg, "AKJaCartaStore"));
	g_assert_null(config_token_module(&cfg, "PKCS12"));
	g_assert_true(config_has_token_modules(&cfg));
	g_assert_cmpstr(cfg.config_file, ==, path);
	config_clear(&cfg);
}

struct bad_case {
	const char *text;
	int error;
	const char *message_part;
};

static const struct bad_case bad_cases[] = {
	{ "[server]\nmax-message=lots\n", CONFIG_E_VALUE, "max-message=lots" },
	{ "[server]\nmax-message=100\n", CONFIG_E_VALUE, "at least 1024" },
	{ "[server]\nmax-connections=0\n", CONFIG_E_VALUE, "1..100000" },
	{ "[server]\nlisten=;\n", CONFIG_E_VALUE, "at least one" },
	{ "[server]\nidle-exit=-1\n", CONFIG_E_VALUE, "idle-exit=-1: expected 0..604800" },
	{ "[server]\nidle-exit=604801\n", CONFIG_E_VALUE, "0..604800 seconds" },
	{ "[server]\nidle-exit=5m\n", CONFIG_E_VALUE, "idle-exit=5m" },
	{ "[server]\nlsten=127.0.0.1:1\n", CONFIG_E_VALUE, "unknown key [server] lsten" },
	{ "[origins]\nallow-no-origin=maybe\n", CONFIG_E_VALUE, "true or false" },
	{ "[ui]\nlocale=fr\n", CONFIG_E_VALUE, "kk, ru or en" },
	{ "[tokens]\nAKNoSuchStore=/x.so\n", CONFIG_E_VALUE,
	  "[tokens] AKNoSuchStore=/x.so: unknown storage type AKNoSuchStore" },
	{ "[tokens]\nPKCS12=/x.so\n", CONFIG_E_VALUE, "unknown storage type PKCS12" },
	{ "[tokens]\nAKKaztokenStore=\n", CONFIG_E_VALUE,
	  "[tokens] AKKaztokenStore=: expected the path of a PKCS#11 module" },
	{ "this is not a key file\n", CONFIG_E_READ, "qoltanba.conf" },
};

static void test_bad_values(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		g_autofree char *path = write_conf(bad_cases[i].text);
		g_autofree char *msg = NULL;
		struct config cfg;

		config_init(&cfg);
		g_assert_cmpint(config_load(&cfg, path, &msg), ==, bad_cases[i].error);
		g_assert_nonnull(msg);
		if (!strstr(msg, bad_cases[i].message_part))
			g_error("case %zu: message \"%s\" lacks \"%s\"", i, msg,
				bad_cases[i].message_part);
		config_clear(&cfg);
	}
}

static void test_idle_exit(void)
{
	g_autofree char *path = write_conf("[server]\nidle-exit=42\n");
	g_autofree char *msg = NULL;
	struct config cfg;

	config_init(&cfg);
	g_assert_cmpint(config_load(&cfg, path, &msg), ==, 0);
	g_assert_cmpuint(config_idle_exit(&cfg, true), ==, 42);
	g_assert_cmpuint(config_idle_exit(&cfg, false), ==, 42);
	config_clear(&cfg);
}

static void test_missing_explicit_file(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "nope.conf", NULL);
	g_autofree char *msg = NULL;
	struct config cfg;

	config_init(&cfg);
	g_assert_cmpint(config_load(&cfg, path, &msg), ==, CONFIG_E_READ);
	g_assert_nonnull(strstr(msg, "nope.conf"));
	config_clear(&cfg);
}

int main(int argc, char **argv)
{
	int r;

	tmpdir = g_dir_make_tmp("qoltanba-config-XXXXXX", NULL);
	g_setenv("XDG_CONFIG_HOME", tmpdir, TRUE);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/absent-default-file", test_absent_default_file);
	g_test_add_func("/config/all-keys", test_all_keys);
	g_test_add_func("/config/bad-values", test_bad_values);
	g_test_add_func("/config/idle-exit", test_idle_exit);
	g_test_add_func("/config/missing-explicit-file", test_missing_explicit_file);
	r = g_test_run();
	g_autofree char *conf = g_build_filename(tmpdir, "qoltanba.conf", NULL);
	g_unlink(conf);
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return r;
}
