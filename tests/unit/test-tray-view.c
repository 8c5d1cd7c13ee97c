/* What the tray shows: for each state of the daemon the icon, the
 * StatusNotifierItem Status and the words of the tooltip (tray/view.c);
 * the language picked from the locale variables, and the templates
 * (tray/text.c). */
#include <glib.h>
#include <string.h>

#include "tray/text.h"
#include "tray/view.h"

#define ORIGIN "https://egov.kz"

struct view_case {
	const char *name;
	struct tray_status status;
	const char *lang;
	const char *icon;
	const char *sni_status;
	const char *tooltip; /* the whole of it */
};

static const struct view_case view_cases[] = {
	{ "not-running", { .running = false, .state = "", .active_origin = "", .last_error = "" },
	  "en", VIEW_ICON_IDLE, "Passive", "Not running" },
	{ "idle", { true, "idle", "", "", 0, 0 }, "en", VIEW_ICON_IDLE, "Passive",
	  "Idle\nConnections: 0" },
	{ "busy", { true, "busy", ORIGIN, "", 1, 0 }, "en", VIEW_ICON_IDLE, "Active",
	  "Working for " ORIGIN "\nConnections: 1" },
	{ "busy-local", { true, "busy", "", "", 1, 0 }, "en", VIEW_ICON_IDLE, "Active",
	  "Working\nConnections: 1" },
	{ "prompting", { true, "prompting", ORIGIN, "", 2, 0 }, "en", VIEW_ICON_PROMPTING,
	  "Active", "Waiting for your answer to " ORIGIN "\nConnections: 2" },
	{ "camera", { true, "camera", ORIGIN, "", 2, 0 }, "en", VIEW_ICON_CAMERA,
	  "NeedsAttention", "Camera on for " ORIGIN "\nConnections: 2" },
	{ "camera-no-origin", { true, "camera", "", "", 1, 0 }, "en", VIEW_ICON_CAMERA,
	  "NeedsAttention", "Camera on\nConnections: 1" },
	{ "error", { true, "error", "", "storage.empty: no key", 0, 0 }, "en", VIEW_ICON_ERROR,
	  "NeedsAttention", "Error: storage.empty: no key\nConnections: 0" },
	{ "error-no-text", { true, "error", "", "", 0, 0 }, "en", VIEW_ICON_ERROR,
	  "NeedsAttention", "The last request failed\nConnections: 0" },
	{ "other-state", { true, "upgrading", "", "", 0, 0 }, "en", VIEW_ICON_IDLE, "Active",
	  "State: upgrading\nConnections: 0" },
	{ "pending", { true, "idle", "", "", 0, 2 }, "en", VIEW_ICON_IDLE, "Passive",
	  "Idle\nConnections: 0\nKey requests waiting for a certificate: 2" },
	/* A page's origin is text, not markup. */
	{ "markup", { true, "busy", "http://a<b>&c", "", 1, 0 }, "en", VIEW_ICON_IDLE, "Active",
	  "Working for http://a&lt;b&gt;&amp;c\nConnections: 1" },
	{ "kk-camera", { true, "camera", ORIGIN, "", 1, 0 }, "kk", VIEW_ICON_CAMERA,
	  "NeedsAttention", "Камера қосулы: " ORIGIN "\nҚосылымдар: 1" },
	{ "kk-busy", { true, "busy", ORIGIN, "", 1, 0 }, "kk", VIEW_ICON_IDLE, "Active",
	  ORIGIN " үшін жұмыс істеп жатыр\nҚосылымдар: 1" },
	{ "ru-camera", { true, "camera", ORIGIN, "", 3, 0 }, "ru", VIEW_ICON_CAMERA,
	  "NeedsAttention", "Камера включена для " ORIGIN "\nСоединения: 3" },
	{ "ru-not-running", { false, "", "", "", 0, 0 }, "ru", VIEW_ICON_IDLE, "Passive",
	  "Не запущен" },
};

static void test_view(gconstpointer data)
{
	const struct view_case *c = data;
	const char *names[] = { c->lang, NULL };
	const struct text *t = text_for_languages(names);
	struct view v = VIEW_NULL;

	g_assert_cmpstr(t->lang, ==, c->lang);
	view_init(&v, &c->status, t);
	g_assert_cmpstr(v.icon, ==, c->icon);
	g_assert_cmpstr(v.status, ==, c->sni_status);
	g_assert_cmpstr(v.tooltip, ==, c->tooltip);
	/* The menu's line is the tooltip's first, as plain text. */
	g_assert_true(strchr(v.summary, '\n') == NULL);
	view_clear(&v);
	g_assert_null(v.summary);
	g_assert_null(v.tooltip);
}

/* A long error text is cut, at a character, with an ellipsis. */
static void test_view_long_error(void)
{
	const char *names[] = { "ru", NULL };
	GString *error = g_string_new(NULL);
	struct view v = VIEW_NULL;
	struct tray_status st = { true, "error", "", NULL, 0, 0 };

	for (int i = 0; i < 400; i++)
		g_string_append(error, "ж");
	st.last_error = error->str;
	view_init(&v, &st, text_for_languages(names));
	g_assert_true(g_utf8_validate(v.summary, -1, NULL));
	g_assert_true(g_str_has_prefix(v.summary, "Ошибка: жжж"));
	g_assert_true(g_str_has_suffix(v.summary, "ж…"));
	g_assert_cmpint(g_utf8_strlen(v.summary, -1), ==,
			g_utf8_strlen("Ошибка: ", -1) + VIEW_ARG_MAX_CHARS);
	view_clear(&v);
	g_string_free(error, TRUE);
}

/* Invalid UTF-8 from the bus does not reach the tooltip as is. */
static void test_view_invalid_utf8(void)
{
	const char *names[] = { "en", NULL };
	struct tray_status st = { true, "busy", "https://\xff.kz", "", 0, 0 };
	struct view v = VIEW_NULL;

	view_init(&v, &st, text_for_languages(names));
	g_assert_true(g_utf8_validate(v.tooltip, -1, NULL));
	g_assert_true(g_str_has_prefix(v.tooltip, "Working for https://"));
	view_clear(&v);
}

struct language_case {
	const char *names[4];
	const char *lang;
};

static const struct language_case language_cases[] = {
	{ { "kk_KZ.UTF-8", "kk_KZ", "kk", NULL }, "kk" },
	{ { "ru_RU.UTF-8", NULL }, "ru" },
	{ { "ru", NULL }, "ru" },
	{ { "kk@cyrillic", NULL }, "kk" },
	{ { "en_US.UTF-8", "ru_RU", NULL }, "en" },
	/* LANGUAGE=de:ru: the first one we have. */
	{ { "de_DE", "de", "ru", NULL }, "ru" },
	{ { "C", NULL }, "en" },
	{ { "kkk_XX", "rus", NULL }, "en" },
	{ { NULL }, "en" },
};

static void test_language(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(language_cases); i++) {
		const struct text *t = text_for_languages(language_cases[i].names);

		g_assert_cmpstr(t->lang, ==, language_cases[i].lang);
	}
}

static void test_format(void)
{
	char *s = text_format("Camera on for {}", ORIGIN);

	g_assert_cmpstr(s, ==, "Camera on for " ORIGIN);
	g_free(s);
	s = text_format("{} үшін жұмыс істеп жатыр", "%s%n");
	g_assert_cmpstr(s, ==, "%s%n үшін жұмыс істеп жатыр");
	g_free(s);
	s = text_format("Idle", "x");
	g_assert_cmpstr(s, ==, "Idle");
	g_free(s);
}

/* Every table has every word: a missing one would show as nothing. */
static void test_tables_complete(void)
{
	static const char *const langs[] = { "en", "kk", "ru" };

	for (size_t i = 0; i < G_N_ELEMENTS(langs); i++) {
		const char *names[] = { langs[i], NULL };
		const struct text *t = text_for_languages(names);
		const char *const words[] = {
			t->not_running, t->idle, t->busy, t->busy_no_origin, t->prompting,
			t->prompting_no_origin, t->camera, t->camera_no_origin, t->error,
			t->error_no_text, t->other_state, t->connections, t->pending,
			t->menu_sites, t->menu_sites_hint, t->menu_sites_none,
			t->menu_sites_not_running, t->menu_start, t->menu_log, t->menu_quit,
		};
		const char *const templates[] = {
			t->busy, t->prompting, t->camera, t->error, t->other_state,
			t->connections, t->pending,
		};

		g_assert_cmpstr(t->lang, ==, langs[i]);
		for (size_t w = 0; w < G_N_ELEMENTS(words); w++) {
			g_assert_nonnull(words[w]);
			g_assert_cmpuint(strlen(words[w]), >, 0);
			g_assert_true(g_utf8_validate(words[w], -1, NULL));
		}
		for (size_t w = 0; w < G_N_ELEMENTS(templates); w++)
			g_assert_nonnull(strstr(templates[w], "{}"));
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(view_cases); i++) {
		g_autofree char *path = g_strdup_printf("/tray/view/%s", view_cases[i].name);

		g_test_add_data_func(path, &view_cases[i], test_view);
	}
	g_test_add_func("/tray/view/long-error", test_view_long_error);
	g_test_add_func("/tray/view/invalid-utf8", test_view_invalid_utf8);
	g_test_add_func("/tray/text/language", test_language);
	g_test_add_func("/tray/text/format", test_format);
	g_test_add_func("/tray/text/tables-complete", test_tables_complete);
	return g_test_run();
}
