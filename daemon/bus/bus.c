#include "daemon/bus/bus.h"

#include <errno.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "daemon/bus/source.h"
#include "daemon/ui/consent.h"
#include "util/cleanup.h"
#include "util/log.h"

/* org.freedesktop.DBus.RequestName's answers. */
enum {
	NAME_PRIMARY_OWNER = 1,
	NAME_ALREADY_OWNER = 4,
};

struct bus {
	const struct config *cfg;
	struct status *status;
	bus_quit_fn quit;
	void *quit_data;
	sd_bus *bus;
	sd_bus_slot *object;
	sd_bus_slot *name_request;
	GSource *source;
};

static int get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct bus *b = userdata;

	return sd_bus_message_append(reply, "s", status_state_name(status_get_state(b->status)));
}

static int get_connections(sd_bus *bus, const char *path, const char *interface,
			   const char *property, sd_bus_message *reply, void *userdata,
			   sd_bus_error *error)
{
	struct bus *b = userdata;

	return sd_bus_message_append(reply, "u", (uint32_t)status_get_connections(b->status));
}

static int get_active_origin(sd_bus *bus, const char *path, const char *interface,
			     const char *property, sd_bus_message *reply, void *userdata,
			     sd_bus_error *error)
{
	struct bus *b = userdata;

	return sd_bus_message_append(reply, "s", status_get_active_origin(b->status));
}

static int get_last_error(sd_bus *bus, const char *path, const char *interface,
			  const char *property, sd_bus_message *reply, void *userdata,
			  sd_bus_error *error)
{
	struct bus *b = userdata;

	return sd_bus_message_append(reply, "s", status_get_last_error(b->status));
}

static int get_pending(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct bus *b = userdata;

	return sd_bus_message_append(reply, "u", (uint32_t)status_get_pending(b->status));
}

static int method_list_allowed_origins(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct bus *b = userdata;
	g_auto(GStrv) origins = consent_list(b->cfg->state_dir);
	int r;

	r = sd_bus_message_new_method_return(m, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_append_strv(reply, origins);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_revoke_origin(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct bus *b = userdata;
	const char *origin;
	bool was = false;
	int r;

	r = sd_bus_message_read(m, "s", &origin);
	if (r < 0)
		return r;
	r = consent_revoke(b->cfg->state_dir, origin, &was);
	if (r < 0) {
		log_error("camera consent: %s", g_strerror(-r));
		return sd_bus_error_set_errnof(error, r,
					       "the camera consents cannot be changed: %m");
	}
	if (was)
		log_notice("camera consent revoked for %s over D-Bus", origin);
	return sd_bus_reply_method_return(m, "b", (int)was);
}

static int method_quit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct bus *b = userdata;
	const char *sender;
	int r;

	sender = sd_bus_message_get_sender(m);
	log_info("asked to quit over D-Bus by %s", sender ? sender : "a direct connection");
	r = sd_bus_reply_method_return(m, NULL);
	b->quit(b->quit_data);
	return r;
}

static const sd_bus_vtable vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Connections", "u", get_connections, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ActiveOrigin", "s", get_active_origin, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastError", "s", get_last_error, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PendingRequests", "u", get_pending, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_NAMES("ListAllowedOrigins", "", "", "as", SD_BUS_PARAM(origins),
				 method_list_allowed_origins, 0),
	SD_BUS_METHOD_WITH_NAMES("RevokeOrigin", "s", SD_BUS_PARAM(origin), "b",
				 SD_BUS_PARAM(revoked), method_revoke_origin, 0),
	SD_BUS_METHOD("Quit", "", "", method_quit, 0),
	SD_BUS_VTABLE_END,
};

/* The status observer: one PropertiesChanged per change. */
static void on_status_changed(struct status *st, unsigned changes, void *data)
{
	static const struct {
		enum status_change change;
		const char *name;
	} names[] = {
		{ STATUS_CHANGE_STATE, "State" },
		{ STATUS_CHANGE_CONNECTIONS, "Connections" },
		{ STATUS_CHANGE_ACTIVE_ORIGIN, "ActiveOrigin" },
		{ STATUS_CHANGE_LAST_ERROR, "LastError" },
		{ STATUS_CHANGE_PENDING, "PendingRequests" },
	};
	const char *changed[G_N_ELEMENTS(names) + 1];
	struct bus *b = data;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (changes & names[i].change)
			changed[n++] = names[i].name;
	changed[n] = NULL;
	r = sd_bus_emit_properties_changed_strv(b->bus, BUS_PATH, BUS_INTERFACE, (char **)changed);
	if (r < 0)
		log_debug("cannot signal the status on the session bus: %s", g_strerror(-r));
}

/* Without the name nobody looks for the object: take it down and stop
 * signalling, so that the bus carries only the owner's status. */
static void unpublish(struct bus *b)
{
	status_set_observer(b->status, NULL, NULL);
	b->object = sd_bus_slot_unref(b->object);
}

static int on_name_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);
	struct bus *b = userdata;
	uint32_t answer = 0;
	int r;

	if (e) {
		log_warning("cannot own %s on the session bus: %s", BUS_NAME, e->message);
		unpublish(b);
		return 0;
	}
	r = sd_bus_message_read(m, "u", &answer);
	if (r < 0) {
		log_warning("cannot read the answer to owning %s: %s", BUS_NAME, g_strerror(-r));
		unpublish(b);
		return 0;
	}
	if (answer == NAME_PRIMARY_OWNER || answer == NAME_ALREADY_OWNER) {
		log_debug("owns %s on the session bus", BUS_NAME);
		return 0;
	}
	log_warning("another program owns %s on the session bus: this daemon's status is not "
		    "shown there",
		    BUS_NAME);
	unpublish(b);
	return 0;
}

/* Drop the connection; the daemon goes on without it. */
static void bus_disconnect(struct bus *b)
{
	unpublish(b);
	if (b->source) {
		g_source_destroy(b->source);
		g_source_unref(g_steal_pointer(&b->source));
	}
	b->name_request = sd_bus_slot_unref(b->name_request);
}

static void on_lost(int error, void *data)
{
	struct bus *b = data;

	log_info("lost the session bus (%s): the D-Bus status interface is gone",
		 g_strerror(-error));
	bus_disconnect(b);
	b->bus = sd_bus_unref(b->bus);
}

struct bus *bus_new(const struct config *cfg, struct status *st, bus_quit_fn quit, void *data)
{
	struct bus *b = g_new0(struct bus, 1);
	int r;

	b->cfg = cfg;
	b->status = st;
	b->quit = quit;
	b->quit_data = data;

	r = sd_bus_open_user(&b->bus);
	if (r < 0) {
		log_info("no session bus (%s): the D-Bus status interface is off", g_strerror(-r));
		return bus_free(b);
	}
	(void)sd_bus_set_description(b->bus, "qoltanbad");
	r = sd_bus_add_object_vtable(b->bus, &b->object, BUS_PATH, BUS_INTERFACE, vtable, b);
	if (r >= 0)
		b->source = bus_source_new(b->bus, NULL, on_lost, b, &r);
	if (r >= 0)
		r = sd_bus_request_name_async(b->bus, &b->name_request, BUS_NAME, 0, on_name_reply,
					      b);
	if (r < 0) {
		log_warning("cannot publish the status on the session bus: %s", g_strerror(-r));
		return bus_free(b);
	}
	status_set_observer(st, on_status_changed, b);
	return b;
}

struct bus *bus_free(struct bus *b)
{
	if (!b)
		return NULL;
	bus_disconnect(b);
	b->bus = sd_bus_flush_close_unref(b->bus);
	g_free(b);
	return NULL;
}
