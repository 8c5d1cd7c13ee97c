#include "tray/logview.h"

#include <errno.h>

#include <glib.h>

/* How each terminal takes the command. */
enum logview_style {
	LOGVIEW_STYLE_ARGV,	/* terminal COMMAND ARG… */
	LOGVIEW_STYLE_DASH_E,	/* terminal -e COMMAND ARG… */
	LOGVIEW_STYLE_ONE_LINE, /* terminal "COMMAND ARG…" */
};

static const struct {
	const char *program;
	enum logview_style style;
} terminals[] = {
	{ "xdg-terminal-exec", LOGVIEW_STYLE_ARGV },
	{ "x-terminal-emulator", LOGVIEW_STYLE_DASH_E },
	{ "xdg-terminal", LOGVIEW_STYLE_ONE_LINE },
};

static const char *const command[] = {
	"journalctl", "--user", "-u", LOGVIEW_UNIT, "-f", NULL,
};

int logview_open(char **ret_message)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *path = NULL;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(terminals) && !path; i++)
		path = g_find_program_in_path(terminals[i].program);
	if (!path)
		return LOGVIEW_E_NO_TERMINAL;
	g_ptr_array_add(argv, g_strdup(path));
	switch (terminals[i - 1].style) {
	case LOGVIEW_STYLE_ARGV:
		break;
	case LOGVIEW_STYLE_DASH_E:
		g_ptr_array_add(argv, g_strdup("-e"));
		break;
	case LOGVIEW_STYLE_ONE_LINE:
		g_ptr_array_add(argv, g_strjoinv(" ", (char **)command));
		break;
	}
	if (terminals[i - 1].style != LOGVIEW_STYLE_ONE_LINE)
		for (size_t j = 0; command[j]; j++)
			g_ptr_array_add(argv, g_strdup(command[j]));
	g_ptr_array_add(argv, NULL);
	/* Without G_SPAWN_DO_NOT_REAP_CHILD GLib reaps the terminal. */
	if (!g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
			   &error)) {
		*ret_message = g_strdup(error->message);
		return -ENOEXEC;
	}
	return 0;
}
