/* text: the tray's words in English, Kazakh and Russian.
 *
 * One table per language; the language comes from the same variables
 * gettext reads (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), as
 * g_get_language_names() lists them. Templates hold one "{}" where an
 * argument goes (text_format()): the table is data, never a printf
 * format. */
#pragma once

struct text {
	const char *lang; /* "en", "kk", "ru" */

	/* The state, as the tooltip's first line and the menu's status line. */
	const char *not_running;
	const char *idle;
	const char *busy;              /* {} = the site */
	const char *busy_no_origin;
	const char *prompting;         /* {} = the site */
	const char *prompting_no_origin;
	const char *camera;            /* {} = the site */
	const char *camera_no_origin;
	const char *error;             /* {} = the daemon's error text */
	const char *error_no_text;
	const char *other_state;       /* {} = a state this tray does not know */

	/* The tooltip's further lines. */
	const char *connections;       /* {} = a number */
	const char *pending;           /* {} = a number */

	/* The menu. */
	const char *menu_sites;
	const char *menu_sites_hint;
	const char *menu_sites_none;
	const char *menu_sites_not_running;
	const char *menu_start;
	const char *menu_log;
	const char *menu_quit;
};

/* The table for the first of names (a NULL-terminated list of locale
 * names such as "kk_KZ.UTF-8", "ru", "C", best first) that has one;
 * English when none has. Never NULL; static. */
const struct text *text_for_languages(const char *const *names);

/* The table for this process's environment. */
const struct text *text_for_environment(void);

/* tmpl with its first "{}" replaced by arg (tmpl unchanged without one).
 * Free with g_free(). */
char *text_format(const char *tmpl, const char *arg);
