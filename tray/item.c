#include "tray/item.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "util/cleanup.h"

#define WATCHER_NAME "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH "/StatusNotifierWatcher"
#define WATCHER_INTERFACE "org.kde.StatusNotifierWatcher"

struct item {
	sd_bus *bus;
	sd_bus_slot *object;
	sd_bus_slot *watcher_match;
	sd_bus_slot *register_call;
	char *name;
	char *menu_path;
	struct view shown;
	bool waiting_logged; /* "no watcher yet" said once */
};

static int get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	static const struct {
		const char *property;
		const char *value;
	} constants[] = {
		{ "Category", "ApplicationStatus" },
		{ "Id", "qoltanba" },
		{ "Title", ITEM_TITLE },
		{ "IconThemePath", "" },
		{ "OverlayIconName", "" },
		{ "AttentionMovieName", "" },
	};
	struct item *it = userdata;

	if (strcmp(property, "Status") == 0)
		return sd_bus_message_append(reply, "s", it->shown.status);
	if (strcmp(property, "IconName") == 0 || strcmp(property, "AttentionIconName") == 0)
		return sd_bus_message_append(reply, "s", it->shown.icon);
	for (size_t i = 0; i < G_N_ELEMENTS(constants); i++)
		if (strcmp(property, constants[i].property) == 0)
			return sd_bus_message_append(reply, "s", constants[i].value);
	return -ENOENT;
}

static int get_no_pixmap(sd_bus *bus, const char *path, const char *interface, const char *property,
			 sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "a(iiay)", 0);
}

static int get_window_id(sd_bus *bus, const char *path, const char *interface, const char *property,
			 sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "i", 0);
}

static int get_item_is_menu(sd_bus *bus, const char *path, const char *interface,
			    const char *property, sd_bus_message *reply, void *userdata,
			    sd_bus_error *error)
{
	return sd_bus_message_append(reply, "b", 1);
}

static int get_menu(sd_bus *bus, const char *path, const char *interface, const char *property,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct item *it = userdata;

	return sd_bus_message_append(reply, "o", it->menu_path);
}

static int get_tool_tip(sd_bus *bus, const char *path, const char *interface, const char *property,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct item *it = userdata;

	return sd_bus_message_append(reply, "(sa(iiay)ss)", it->shown.icon, 0, ITEM_TITLE,
				     it->shown.tooltip);
}

static const sd_bus_vtable item_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Category", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Id", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Title", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Status", "s", get_string, 0, 0),
	SD_BUS_PROPERTY("WindowId", "i", get_window_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("IconThemePath", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("IconName", "s", get_string, 0, 0),
	SD_BUS_PROPERTY("IconPixmap", "a(iiay)", get_no_pixmap, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("OverlayIconName", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("OverlayIconPixmap", "a(iiay)", get_no_pixmap, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("AttentionIconName", "s", get_string, 0, 0),
	SD_BUS_PROPERTY("AttentionIconPixmap", "a(iiay)", get_no_pixmap, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("AttentionMovieName", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("ToolTip", "(sa(iiay)ss)", get_tool_tip, 0, 0),
	SD_BUS_PROPERTY("ItemIsMenu", "b", get_item_is_menu, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Menu", "o", get_menu, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_SIGNAL("NewIcon", "", 0),
	SD_BUS_SIGNAL("NewAttentionIcon", "", 0),
	SD_BUS_SIGNAL("NewToolTip", "", 0),
	SD_BUS_SIGNAL_WITH_NAMES("NewStatus", "s", SD_BUS_PARAM(status), 0),
	SD_BUS_VTABLE_END,
};

static int on_register_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct item *it = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	it->register_call = sd_bus_slot_unref(it->register_call);
	if (!e) {
		g_message("shown by the desktop's tray (%s)", WATCHER_NAME);
		it->waiting_logged = false;
	} else if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
		   sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
		/* No tray yet (or none at all, as on GNOME without an
		 * AppIndicator extension): one appearing is watched for. */
		if (!it->waiting_logged)
			g_message("no %s on the session bus yet: waiting for the desktop's tray",
				  WATCHER_NAME);
		it->waiting_logged = true;
	} else {
		g_warning("the desktop's tray (%s) refused the icon: %s", WATCHER_NAME, e->message);
	}
	return 0;
}

static int item_register(struct item *it)
{
	it->register_call = sd_bus_slot_unref(it->register_call);
	return sd_bus_call_method_async(it->bus, &it->register_call, WATCHER_NAME, WATCHER_PATH,
					WATCHER_INTERFACE, "RegisterStatusNotifierItem",
					on_register_reply, it, "s", it->name);
}

static int on_watcher_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct item *it = userdata;
	const char *name, *old_owner, *new_owner;
	int r;

	r = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
	if (r < 0 || !*new_owner)
		return 0;
	/* A new watcher knows nothing of us. */
	r = item_register(it);
	if (r < 0)
		g_warning("cannot register with the new %s: %s", WATCHER_NAME, g_strerror(-r));
	return 0;
}

int item_new(sd_bus *bus, const char *menu_path, struct item **ret)
{
	struct item *it = g_new0(struct item, 1);
	int r;

	it->bus = sd_bus_ref(bus);
	it->name = g_strdup_printf("org.kde.StatusNotifierItem-%d-1", (int)getpid());
	it->menu_path = g_strdup(menu_path);
	it->shown = (struct view){
		.status = "Passive",
		.icon = VIEW_ICON_IDLE,
		.summary = g_strdup(""),
		.tooltip = g_strdup(""),
	};
	r = sd_bus_add_object_vtable(bus, &it->object, ITEM_PATH, ITEM_INTERFACE, item_vtable, it);
	if (r >= 0)
		r = sd_bus_request_name(bus, it->name, 0);
	if (r >= 0)
		r = sd_bus_add_match(bus, &it->watcher_match,
				     "type='signal',sender='org.freedesktop.DBus',"
				     "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
				     "member='NameOwnerChanged',arg0='" WATCHER_NAME "'",
				     on_watcher_owner, it);
	if (r >= 0)
		r = item_register(it);
	if (r < 0) {
		item_free(it);
		return r;
	}
	*ret = it;
	return 0;
}

struct item *item_free(struct item *it)
{
	if (!it)
		return NULL;
	sd_bus_slot_unref(it->register_call);
	sd_bus_slot_unref(it->watcher_match);
	sd_bus_slot_unref(it->object);
	sd_bus_unref(it->bus);
	view_clear(&it->shown);
	g_free(it->menu_path);
	g_free(it->name);
	g_free(it);
	return NULL;
}

static void emit(struct item *it, const char *member, const char *types, const char *arg)
{
	int r = types ? sd_bus_emit_signal(it->bus, ITEM_PATH, ITEM_INTERFACE, member, types, arg)
		      : sd_bus_emit_signal(it->bus, ITEM_PATH, ITEM_INTERFACE, member, NULL);

	if (r < 0)
		g_debug("cannot signal %s: %s", member, g_strerror(-r));
}

void item_show(struct item *it, const struct view *v)
{
	bool status = strcmp(it->shown.status, v->status) != 0;
	bool icon = strcmp(it->shown.icon, v->icon) != 0;
	bool tooltip = icon || strcmp(it->shown.tooltip, v->tooltip) != 0;

	view_clear(&it->shown);
	it->shown = (struct view){
		.status = v->status,
		.icon = v->icon,
		.summary = g_strdup(v->summary),
		.tooltip = g_strdup(v->tooltip),
	};
	if (icon) {
		emit(it, "NewIcon", NULL, NULL);
		emit(it, "NewAttentionIcon", NULL, NULL);
	}
	if (tooltip)
		emit(it, "NewToolTip", NULL, NULL);
	if (status)
		emit(it, "NewStatus", "s", it->shown.status);
}
