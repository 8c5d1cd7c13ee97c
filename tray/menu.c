#include "tray/menu.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "util/cleanup.h"

#define MENU_INTERFACE "com.canonical.dbusmenu"
#define MENU_VERSION 3

/* The fixed items; sites count up from ID_FIRST_SITE. */
enum {
	ID_ROOT = 0,
	ID_SUMMARY,
	ID_SEPARATOR_TOP,
	ID_SITES,
	ID_SITES_HINT,
	ID_SITES_NONE,
	ID_SITES_NOT_RUNNING,
	ID_START,
	ID_LOG,
	ID_SEPARATOR_BOTTOM,
	ID_QUIT,
	ID_FIRST_SITE = 100,
};

struct site {
	int32_t id;
	char *origin;
};

struct menu {
	sd_bus *bus;
	sd_bus_slot *object;
	const struct text *text;
	const struct menu_ops *ops;
	void *data;
	uint32_t revision;
	char *summary;
	bool running;
	GArray *sites; /* struct site, in the daemon's order */
	int32_t next_site_id;
	guint announce; /* the idle source that sends LayoutUpdated, 0: none due */
};

/* One property of an item: a string or a boolean. */
struct prop {
	const char *key;
	char type; /* 's' or 'b' */
	const char *s;
	int b;
};
#define PROPS_MAX 4

static void site_clear(void *p)
{
	struct site *s = p;

	g_free(s->origin);
}

static const struct site *site_by_id(const struct menu *m, int32_t id)
{
	for (guint i = 0; i < m->sites->len; i++) {
		const struct site *s = &g_array_index(m->sites, struct site, i);

		if (s->id == id)
			return s;
	}
	return NULL;
}

/* The ids of id's children, in order. */
static GArray *children_of(const struct menu *m, int32_t id)
{
	static const int32_t head[] = { ID_SUMMARY, ID_SEPARATOR_TOP };
	static const int32_t tail[] = { ID_SITES, ID_LOG, ID_SEPARATOR_BOTTOM, ID_QUIT };
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int32_t));
	int32_t one;

	if (id == ID_ROOT) {
		g_array_append_vals(ids, head, G_N_ELEMENTS(head));
		if (!m->running) {
			one = ID_START;
			g_array_append_val(ids, one);
		}
		g_array_append_vals(ids, tail, G_N_ELEMENTS(tail));
	} else if (id == ID_SITES && !m->running) {
		one = ID_SITES_NOT_RUNNING;
		g_array_append_val(ids, one);
	} else if (id == ID_SITES && m->sites->len == 0) {
		one = ID_SITES_NONE;
		g_array_append_val(ids, one);
	} else if (id == ID_SITES) {
		one = ID_SITES_HINT;
		g_array_append_val(ids, one);
		for (guint i = 0; i < m->sites->len; i++)
			g_array_append_val(ids, g_array_index(m->sites, struct site, i).id);
	}
	return ids;
}

/* Whether id is in the menu as it stands. */
static bool item_known(const struct menu *m, int32_t id)
{
	static const int32_t parents[] = { ID_ROOT, ID_SITES };

	if (id == ID_ROOT)
		return true;
	for (size_t p = 0; p < G_N_ELEMENTS(parents); p++) {
		g_autoptr(GArray) ids = children_of(m, parents[p]);

		for (guint i = 0; i < ids->len; i++)
			if (g_array_index(ids, int32_t, i) == id)
				return true;
	}
	return false;
}

/* id's properties; the strings are borrowed from m. */
static size_t props_of(const struct menu *m, int32_t id, struct prop ret[PROPS_MAX])
{
	const struct text *t = m->text;
	const struct site *site;
	const char *label = NULL;
	bool enabled = true;
	size_t n = 0;

	switch (id) {
	case ID_ROOT:
		ret[n++] = (struct prop){ "children-display", 's', .s = "submenu" };
		return n;
	case ID_SEPARATOR_TOP:
	case ID_SEPARATOR_BOTTOM:
		ret[n++] = (struct prop){ "type", 's', .s = "separator" };
		return n;
	case ID_SUMMARY:
		label = m->summary;
		enabled = false;
		break;
	case ID_SITES:
		label = t->menu_sites;
		ret[n++] = (struct prop){ "children-display", 's', .s = "submenu" };
		break;
	case ID_SITES_HINT:
		label = t->menu_sites_hint;
		enabled = false;
		break;
	case ID_SITES_NONE:
		label = t->menu_sites_none;
		enabled = false;
		break;
	case ID_SITES_NOT_RUNNING:
		label = t->menu_sites_not_running;
		enabled = false;
		break;
	case ID_START:
		label = t->menu_start;
		break;
	case ID_LOG:
		label = t->menu_log;
		break;
	case ID_QUIT:
		label = t->menu_quit;
		ret[n++] = (struct prop){ "icon-name", 's', .s = "application-exit" };
		break;
	default:
		site = site_by_id(m, id);
		if (site)
			label = site->origin;
		break;
	}
	ret[n++] = (struct prop){ "label", 's', .s = label ? label : "" };
	ret[n++] = (struct prop){ "enabled", 'b', .b = enabled };
	ret[n++] = (struct prop){ "visible", 'b', .b = true };
	return n;
}

/* A label as dbusmenu wants it: '_' marks a mnemonic, "__" is a '_'. */
static char *label_escape(const char *s)
{
	g_auto(GStrv) parts = g_strsplit(s, "_", -1);

	return g_strjoinv("__", parts);
}

static int append_prop_value(sd_bus_message *reply, const struct prop *p)
{
	g_autofree char *label = NULL;

	if (p->type == 'b')
		return sd_bus_message_append(reply, "v", "b", p->b);
	if (strcmp(p->key, "label") == 0)
		label = label_escape(p->s);
	return sd_bus_message_append(reply, "v", "s", label ? label : p->s);
}

/* names NULL or empty: every property. */
static bool wanted(char **names, const char *key)
{
	return !names || !names[0] || g_strv_contains((const char *const *)names, key);
}

static int append_props(const struct menu *m, sd_bus_message *reply, int32_t id, char **names)
{
	struct prop props[PROPS_MAX];
	size_t n = props_of(m, id, props);
	int r;

	r = sd_bus_message_open_container(reply, 'a', "{sv}");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (!wanted(names, props[i].key))
			continue;
		r = sd_bus_message_open_container(reply, 'e', "sv");
		if (r >= 0)
			r = sd_bus_message_append(reply, "s", props[i].key);
		if (r >= 0)
			r = append_prop_value(reply, &props[i]);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r;
}

/* (ia{sv}av): id, its properties and, depth levels down (-1: all), its
 * children, each in a variant. */
static int append_layout(const struct menu *m, sd_bus_message *reply, int32_t id, int32_t depth,
			 char **names)
{
	g_autoptr(GArray) children = children_of(m, id);
	int r;

	r = sd_bus_message_open_container(reply, 'r', "ia{sv}av");
	if (r >= 0)
		r = sd_bus_message_append(reply, "i", id);
	if (r >= 0)
		r = append_props(m, reply, id, names);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "v");
	for (guint i = 0; r >= 0 && depth != 0 && i < children->len; i++) {
		r = sd_bus_message_open_container(reply, 'v', "(ia{sv}av)");
		if (r >= 0)
			r = append_layout(m, reply, g_array_index(children, int32_t, i),
					  depth > 0 ? depth - 1 : -1, names);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r;
}

static int unknown_id(sd_bus_error *error, int32_t id)
{
	return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "No menu item has the id %d",
				 (int)id);
}

static int method_get_layout(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct menu *m = userdata;
	g_auto(GStrv) names = NULL;
	int32_t parent, depth;
	int r;

	r = sd_bus_message_read(call, "ii", &parent, &depth);
	if (r < 0)
		return r;
	r = sd_bus_message_read_strv(call, &names);
	if (r < 0)
		return r;
	if (!item_known(m, parent))
		return unknown_id(error, parent);
	r = sd_bus_message_new_method_return(call, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "u", m->revision);
	if (r < 0)
		return r;
	r = append_layout(m, reply, parent, depth, names);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_get_group_properties(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct menu *m = userdata;
	g_auto(GStrv) names = NULL;
	const int32_t *ids;
	size_t size;
	int r;

	r = sd_bus_message_read_array(call, 'i', (const void **)&ids, &size);
	if (r < 0)
		return r;
	r = sd_bus_message_read_strv(call, &names);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_return(call, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ia{sv})");
	for (size_t i = 0; r >= 0 && i < size / sizeof(*ids); i++) {
		if (!item_known(m, ids[i]))
			continue;
		r = sd_bus_message_open_container(reply, 'r', "ia{sv}");
		if (r >= 0)
			r = sd_bus_message_append(reply, "i", ids[i]);
		if (r >= 0)
			r = append_props(m, reply, ids[i], names);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_get_property(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
	struct menu *m = userdata;
	struct prop props[PROPS_MAX];
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *key;
	int32_t id;
	size_t n;
	int r;

	r = sd_bus_message_read(call, "is", &id, &key);
	if (r < 0)
		return r;
	if (!item_known(m, id))
		return unknown_id(error, id);
	n = props_of(m, id, props);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(props[i].key, key) != 0)
			continue;
		r = sd_bus_message_new_method_return(call, &reply);
		if (r >= 0)
			r = append_prop_value(reply, &props[i]);
		if (r < 0)
			return r;
		return sd_bus_send(NULL, reply, NULL);
	}
	return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
				 "Menu item %d has no property %s", (int)id, key);
}

/* A click: what it asks for, once the answer has been sent. */
struct click {
	enum menu_action action;
	char *origin;
};

/* Whether eventId on id is a click that does something; fills ret. */
static bool click_of(const struct menu *m, int32_t id, const char *event, struct click *ret)
{
	const struct site *site;

	if (strcmp(event, "clicked") != 0)
		return false;
	switch (id) {
	case ID_START:
		*ret = (struct click){ MENU_ACTION_START, NULL };
		return true;
	case ID_LOG:
		*ret = (struct click){ MENU_ACTION_OPEN_LOG, NULL };
		return true;
	case ID_QUIT:
		*ret = (struct click){ MENU_ACTION_QUIT, NULL };
		return true;
	default:
		site = site_by_id(m, id);
		if (!site)
			return false;
		*ret = (struct click){ MENU_ACTION_REVOKE, g_strdup(site->origin) };
		return true;
	}
}

static void clicks_run(struct menu *m, GArray *clicks)
{
	for (guint i = 0; i < clicks->len; i++) {
		struct click *c = &g_array_index(clicks, struct click, i);

		m->ops->activated(c->action, c->origin, m->data);
	}
}

static void click_clear(void *p)
{
	struct click *c = p;

	g_free(c->origin);
}

static GArray *clicks_new(void)
{
	GArray *clicks = g_array_new(FALSE, FALSE, sizeof(struct click));

	g_array_set_clear_func(clicks, click_clear);
	return clicks;
}

static int method_event(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
	struct menu *m = userdata;
	g_autoptr(GArray) clicks = clicks_new();
	struct click c;
	const char *event;
	int32_t id;
	int r;

	r = sd_bus_message_read(call, "is", &id, &event);
	if (r < 0)
		return r;
	if (!item_known(m, id))
		return unknown_id(error, id);
	if (click_of(m, id, event, &c))
		g_array_append_val(clicks, c);
	r = sd_bus_reply_method_return(call, NULL);
	clicks_run(m, clicks);
	return r;
}

static int method_event_group(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct menu *m = userdata;
	g_autoptr(GArray) clicks = clicks_new();
	g_autoptr(GArray) unknown = g_array_new(FALSE, FALSE, sizeof(int32_t));
	unsigned events = 0;
	struct click c;
	const char *event;
	int32_t id;
	int r;

	r = sd_bus_message_enter_container(call, 'a', "(isvu)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(call, 'r', "isvu")) > 0) {
		r = sd_bus_message_read(call, "is", &id, &event);
		if (r >= 0)
			r = sd_bus_message_skip(call, "vu");
		if (r >= 0)
			r = sd_bus_message_exit_container(call);
		if (r < 0)
			return r;
		events++;
		if (!item_known(m, id))
			g_array_append_val(unknown, id);
		else if (click_of(m, id, event, &c))
			g_array_append_val(clicks, c);
	}
	if (r < 0)
		return r;
	if (events > 0 && unknown->len == events)
		return unknown_id(error, g_array_index(unknown, int32_t, 0));
	r = sd_bus_message_new_method_return(call, &reply);
	if (r >= 0)
		r = sd_bus_message_append_array(reply, 'i', unknown->data,
						unknown->len * sizeof(int32_t));
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	clicks_run(m, clicks);
	return r;
}

/* Whether showing id is a moment to list the sites again. */
static bool shows_sites(int32_t id)
{
	return id == ID_ROOT || id == ID_SITES;
}

static int method_about_to_show(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
	struct menu *m = userdata;
	int32_t id;
	int r;

	r = sd_bus_message_read(call, "i", &id);
	if (r < 0)
		return r;
	if (!item_known(m, id))
		return unknown_id(error, id);
	/* The menu as it stands can be shown now; a new list of sites
	 * comes with LayoutUpdated. */
	r = sd_bus_reply_method_return(call, "b", 0);
	if (shows_sites(id))
		m->ops->about_to_show(m->data);
	return r;
}

static int method_about_to_show_group(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct menu *m = userdata;
	g_autoptr(GArray) unknown = g_array_new(FALSE, FALSE, sizeof(int32_t));
	bool refresh = false;
	const int32_t *ids;
	size_t size;
	int r;

	r = sd_bus_message_read_array(call, 'i', (const void **)&ids, &size);
	if (r < 0)
		return r;
	for (size_t i = 0; i < size / sizeof(*ids); i++) {
		if (!item_known(m, ids[i]))
			g_array_append_val(unknown, ids[i]);
		else if (shows_sites(ids[i]))
			refresh = true;
	}
	r = sd_bus_message_new_method_return(call, &reply);
	if (r >= 0)
		r = sd_bus_message_append_array(reply, 'i', NULL, 0);
	if (r >= 0)
		r = sd_bus_message_append_array(reply, 'i', unknown->data,
						unknown->len * sizeof(int32_t));
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	if (refresh)
		m->ops->about_to_show(m->data);
	return r;
}

static int get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "u", (uint32_t)MENU_VERSION);
}

static int get_icon_theme_path(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	return sd_bus_message_append(reply, "as", 0);
}

static int get_constant_string(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	/* All three languages are written left to right. */
	if (strcmp(property, "TextDirection") == 0)
		return sd_bus_message_append(reply, "s", "ltr");
	return sd_bus_message_append(reply, "s", "normal");
}

static const sd_bus_vtable menu_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "u", get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("TextDirection", "s", get_constant_string, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Status", "s", get_constant_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("IconThemePath", "as", get_icon_theme_path, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_METHOD_WITH_NAMES("GetLayout", "iias",
				 SD_BUS_PARAM(parentId) SD_BUS_PARAM(recursionDepth)
					 SD_BUS_PARAM(propertyNames),
				 "u(ia{sv}av)", SD_BUS_PARAM(revision) SD_BUS_PARAM(layout),
				 method_get_layout, 0),
	SD_BUS_METHOD_WITH_NAMES("GetGroupProperties", "aias",
				 SD_BUS_PARAM(ids) SD_BUS_PARAM(propertyNames), "a(ia{sv})",
				 SD_BUS_PARAM(properties), method_get_group_properties, 0),
	SD_BUS_METHOD_WITH_NAMES("GetProperty", "is", SD_BUS_PARAM(id) SD_BUS_PARAM(name), "v",
				 SD_BUS_PARAM(value), method_get_property, 0),
	SD_BUS_METHOD_WITH_NAMES("Event", "isvu",
				 SD_BUS_PARAM(id) SD_BUS_PARAM(eventId) SD_BUS_PARAM(data)
					 SD_BUS_PARAM(timestamp),
				 "", , method_event, 0),
	SD_BUS_METHOD_WITH_NAMES("EventGroup", "a(isvu)", SD_BUS_PARAM(events), "ai",
				 SD_BUS_PARAM(idErrors), method_event_group, 0),
	SD_BUS_METHOD_WITH_NAMES("AboutToShow", "i", SD_BUS_PARAM(id), "b",
				 SD_BUS_PARAM(needUpdate), method_about_to_show, 0),
	SD_BUS_METHOD_WITH_NAMES("AboutToShowGroup", "ai", SD_BUS_PARAM(ids), "aiai",
				 SD_BUS_PARAM(updatesNeeded) SD_BUS_PARAM(idErrors),
				 method_about_to_show_group, 0),
	SD_BUS_SIGNAL_WITH_NAMES("ItemsPropertiesUpdated", "a(ia{sv})a(ias)",
				 SD_BUS_PARAM(updatedProps) SD_BUS_PARAM(removedProps), 0),
	SD_BUS_SIGNAL_WITH_NAMES("LayoutUpdated", "ui",
				 SD_BUS_PARAM(revision) SD_BUS_PARAM(parent), 0),
	SD_BUS_SIGNAL_WITH_NAMES("ItemActivationRequested", "iu",
				 SD_BUS_PARAM(id) SD_BUS_PARAM(timestamp), 0),
	SD_BUS_VTABLE_END,
};

static gboolean announce_layout(gpointer data)
{
	struct menu *m = data;
	int r;

	m->announce = 0;
	r = sd_bus_emit_signal(m->bus, MENU_PATH, MENU_INTERFACE, "LayoutUpdated", "ui",
			       m->revision, (int32_t)ID_ROOT);
	if (r < 0)
		g_debug("cannot announce the new menu: %s", g_strerror(-r));
	return G_SOURCE_REMOVE;
}

/* A new revision of the layout. It is announced, from the top, once the
 * loop is idle: the changes one event brings (a new state, and the sites)
 * make one LayoutUpdated, and hosts fetch the layout once. */
static void menu_changed(struct menu *m)
{
	m->revision++;
	if (!m->announce)
		m->announce = g_idle_add(announce_layout, m);
}

int menu_new(sd_bus *bus, const struct text *t, const struct menu_ops *ops, void *data,
	     struct menu **ret)
{
	g_autofree struct menu *m = g_new0(struct menu, 1);
	int r;

	m->text = t;
	m->ops = ops;
	m->data = data;
	m->revision = 1;
	m->summary = g_strdup("");
	m->next_site_id = ID_FIRST_SITE;
	m->sites = g_array_new(FALSE, FALSE, sizeof(struct site));
	g_array_set_clear_func(m->sites, site_clear);
	r = sd_bus_add_object_vtable(bus, &m->object, MENU_PATH, MENU_INTERFACE, menu_vtable, m);
	if (r < 0) {
		g_array_unref(m->sites);
		g_free(m->summary);
		return r;
	}
	m->bus = sd_bus_ref(bus);
	*ret = g_steal_pointer(&m);
	return 0;
}

struct menu *menu_free(struct menu *m)
{
	if (!m)
		return NULL;
	if (m->announce)
		g_source_remove(m->announce);
	sd_bus_slot_unref(m->object);
	sd_bus_unref(m->bus);
	g_array_unref(m->sites);
	g_free(m->summary);
	g_free(m);
	return NULL;
}

void menu_set_summary(struct menu *m, const char *summary)
{
	if (strcmp(m->summary, summary) == 0)
		return;
	g_free(m->summary);
	m->summary = g_strdup(summary);
	menu_changed(m);
}

void menu_set_running(struct menu *m, bool running)
{
	if (m->running == running)
		return;
	m->running = running;
	menu_changed(m);
}

/* Whether the menu lists exactly these sites (each once), in this order. */
static bool sites_equal(const struct menu *m, GPtrArray *sites)
{
	if (sites->len != m->sites->len)
		return false;
	for (guint i = 0; i < sites->len; i++)
		if (strcmp(g_array_index(m->sites, struct site, i).origin, sites->pdata[i]) != 0)
			return false;
	return true;
}

static int32_t site_id_of(const struct menu *m, const char *origin)
{
	for (guint i = 0; i < m->sites->len; i++) {
		const struct site *s = &g_array_index(m->sites, struct site, i);

		if (strcmp(s->origin, origin) == 0)
			return s->id;
	}
	return 0;
}

void menu_set_sites(struct menu *m, char *const *sites)
{
	g_autoptr(GPtrArray) unique = g_ptr_array_new();
	GArray *fresh;

	for (size_t i = 0; sites && sites[i]; i++)
		if (!g_ptr_array_find_with_equal_func(unique, sites[i], g_str_equal, NULL))
			g_ptr_array_add(unique, sites[i]);
	if (sites_equal(m, unique))
		return;
	fresh = g_array_sized_new(FALSE, FALSE, sizeof(struct site), unique->len);
	g_array_set_clear_func(fresh, site_clear);
	for (guint i = 0; i < unique->len; i++) {
		/* A site that stays keeps its id. */
		struct site s = {
			.id = site_id_of(m, unique->pdata[i]),
			.origin = g_strdup(unique->pdata[i]),
		};

		if (!s.id)
			s.id = m->next_site_id++;
		g_array_append_val(fresh, s);
	}
	g_array_unref(m->sites);
	m->sites = fresh;
	menu_changed(m);
}
