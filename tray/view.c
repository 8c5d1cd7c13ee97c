#include "tray/view.h"

#include <string.h>

#include <glib.h>

enum view_state {
	VIEW_STATE_NOT_RUNNING,
	VIEW_STATE_IDLE,
	VIEW_STATE_BUSY,
	VIEW_STATE_PROMPTING,
	VIEW_STATE_CAMERA,
	VIEW_STATE_ERROR,
	VIEW_STATE_OTHER,
};

static enum view_state state_of(const struct tray_status *st)
{
	static const struct {
		const char *name;
		enum view_state state;
	} names[] = {
		{ "idle", VIEW_STATE_IDLE },
		{ "busy", VIEW_STATE_BUSY },
		{ "prompting", VIEW_STATE_PROMPTING },
		{ "camera", VIEW_STATE_CAMERA },
		{ "error", VIEW_STATE_ERROR },
	};

	if (!st->running)
		return VIEW_STATE_NOT_RUNNING;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (strcmp(st->state, names[i].name) == 0)
			return names[i].state;
	return VIEW_STATE_OTHER;
}

/* s, cut to VIEW_ARG_MAX_CHARS characters; invalid UTF-8 replaced. */
static char *shorten(const char *s)
{
	g_autofree char *valid = g_utf8_make_valid(s, -1);

	if (g_utf8_strlen(valid, -1) <= VIEW_ARG_MAX_CHARS)
		return g_steal_pointer(&valid);
	g_autofree char *cut = g_utf8_substring(valid, 0, VIEW_ARG_MAX_CHARS - 1);
	return g_strconcat(cut, "…", NULL);
}

/* tmpl with arg, or without_arg when arg is empty. */
static char *sentence(const char *tmpl, const char *without_arg, const char *arg)
{
	g_autofree char *shortened = NULL;

	if (!arg || !*arg)
		return g_strdup(without_arg);
	shortened = shorten(arg);
	return text_format(tmpl, shortened);
}

static char *number(const char *tmpl, uint32_t n)
{
	char digits[16];

	g_snprintf(digits, sizeof(digits), "%" G_GUINT32_FORMAT, n);
	return text_format(tmpl, digits);
}

void view_init(struct view *v, const struct tray_status *st, const struct text *t)
{
	g_autoptr(GString) tooltip = g_string_new(NULL);
	g_autofree char *escaped = NULL;

	switch (state_of(st)) {
	case VIEW_STATE_NOT_RUNNING:
		v->status = "Passive";
		v->icon = VIEW_ICON_IDLE;
		v->summary = g_strdup(t->not_running);
		break;
	case VIEW_STATE_IDLE:
		v->status = "Passive";
		v->icon = VIEW_ICON_IDLE;
		v->summary = g_strdup(t->idle);
		break;
	case VIEW_STATE_BUSY:
		v->status = "Active";
		v->icon = VIEW_ICON_IDLE;
		v->summary = sentence(t->busy, t->busy_no_origin, st->active_origin);
		break;
	case VIEW_STATE_PROMPTING:
		v->status = "Active";
		v->icon = VIEW_ICON_PROMPTING;
		v->summary = sentence(t->prompting, t->prompting_no_origin, st->active_origin);
		break;
	case VIEW_STATE_CAMERA:
		v->status = "NeedsAttention";
		v->icon = VIEW_ICON_CAMERA;
		v->summary = sentence(t->camera, t->camera_no_origin, st->active_origin);
		break;
	case VIEW_STATE_ERROR:
		v->status = "NeedsAttention";
		v->icon = VIEW_ICON_ERROR;
		v->summary = sentence(t->error, t->error_no_text, st->last_error);
		break;
	case VIEW_STATE_OTHER:
		v->status = "Active";
		v->icon = VIEW_ICON_IDLE;
		v->summary = sentence(t->other_state, t->busy_no_origin, st->state);
		break;
	}

	/* Hosts may read the tooltip's text as markup (the specification
	 * allows a subset of HTML): a page's origin must stay text. */
	escaped = g_markup_escape_text(v->summary, -1);
	g_string_append(tooltip, escaped);
	if (st->running) {
		g_autofree char *connections = number(t->connections, st->connections);

		g_string_append_printf(tooltip, "\n%s", connections);
	}
	if (st->running && st->pending > 0) {
		g_autofree char *pending = number(t->pending, st->pending);

		g_string_append_printf(tooltip, "\n%s", pending);
	}
	v->tooltip = g_string_free(g_steal_pointer(&tooltip), FALSE);
}

void view_clear(struct view *v)
{
	g_free(v->summary);
	g_free(v->tooltip);
	*v = (struct view)VIEW_NULL;
}
