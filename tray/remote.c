#include "tray/remote.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "util/cleanup.h"

#define PROPERTIES_INTERFACE "org.freedesktop.DBus.Properties"

struct remote {
	sd_bus *bus;
	const struct remote_ops *ops;
	void *data;
	sd_bus_slot *owner_match;
	sd_bus_slot *properties_match;
	sd_bus_slot *owner_call;
	sd_bus_slot *get_all_call;
	sd_bus_slot *list_call;
	sd_bus_slot *revoke_call;
	sd_bus_slot *quit_call;
	sd_bus_slot *start_call;
	bool running; /* the name has an owner and its properties were read */
	char *state;
	char *active_origin;
	char *last_error;
	uint32_t connections;
	uint32_t pending;
};

/* The properties the tray shows, where they live in struct remote. */
static const struct {
	const char *name;
	char type; /* 's': a char * field, 'u': a uint32_t field */
	size_t offset;
} properties[] = {
	{ "State", 's', offsetof(struct remote, state) },
	{ "ActiveOrigin", 's', offsetof(struct remote, active_origin) },
	{ "LastError", 's', offsetof(struct remote, last_error) },
	{ "Connections", 'u', offsetof(struct remote, connections) },
	{ "PendingRequests", 'u', offsetof(struct remote, pending) },
};

static void properties_clear(struct remote *r)
{
	for (size_t i = 0; i < G_N_ELEMENTS(properties); i++) {
		void *field = (char *)r + properties[i].offset;

		if (properties[i].type == 's') {
			g_free(*(char **)field);
			*(char **)field = g_strdup("");
		} else {
			*(uint32_t *)field = 0;
		}
	}
}

/* One "sv" entry of a{sv}; sets *ret_state when it was State. Properties
 * this tray does not know, or of another type, are skipped. */
static int read_property(struct remote *r, sd_bus_message *m, bool *ret_state)
{
	const char *name, *contents, *s;
	uint32_t u;
	char type;
	int k;

	k = sd_bus_message_read(m, "s", &name);
	if (k < 0)
		return k;
	k = sd_bus_message_peek_type(m, &type, &contents);
	if (k < 0)
		return k;
	for (size_t i = 0; i < G_N_ELEMENTS(properties); i++) {
		void *field = (char *)r + properties[i].offset;

		if (strcmp(name, properties[i].name) != 0 || contents[0] != properties[i].type ||
		    contents[1])
			continue;
		if (properties[i].type == 's') {
			k = sd_bus_message_read(m, "v", "s", &s);
			if (k < 0)
				return k;
			g_free(*(char **)field);
			*(char **)field = g_strdup(s);
		} else {
			k = sd_bus_message_read(m, "v", "u", &u);
			if (k < 0)
				return k;
			*(uint32_t *)field = u;
		}
		if (strcmp(name, "State") == 0)
			*ret_state = true;
		return 0;
	}
	return sd_bus_message_skip(m, "v");
}

/* a{sv}, as GetAll answers and PropertiesChanged carries it. */
static int read_properties(struct remote *r, sd_bus_message *m, bool *ret_state)
{
	int k;

	k = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (k < 0)
		return k;
	while ((k = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		k = read_property(r, m, ret_state);
		if (k < 0)
			return k;
		k = sd_bus_message_exit_container(m);
		if (k < 0)
			return k;
	}
	if (k < 0)
		return k;
	return sd_bus_message_exit_container(m);
}

/* A call to the daemon that never starts it. Returns 0 or a negative errno. */
static int call(struct remote *r, sd_bus_slot **slot, const char *interface, const char *member,
		uint64_t timeout_usec, sd_bus_message_handler_t handler, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	va_list ap;
	int k;

	k = sd_bus_message_new_method_call(r->bus, &m, REMOTE_NAME, REMOTE_PATH, interface, member);
	if (k < 0)
		return k;
	k = sd_bus_message_set_auto_start(m, 0);
	if (k < 0)
		return k;
	if (types) {
		va_start(ap, types);
		k = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
		if (k < 0)
			return k;
	}
	*slot = sd_bus_slot_unref(*slot);
	k = sd_bus_call_async(r->bus, slot, m, handler, r, timeout_usec);
	return k < 0 ? k : 0;
}

/* Whether this state ends a request (during which a site may have been
 * allowed the camera). */
static bool state_ends_request(const char *state)
{
	return strcmp(state, "idle") == 0 || strcmp(state, "error") == 0;
}

static void list_sites_or_warn(struct remote *r)
{
	int k = remote_list_sites(r);

	if (k < 0)
		g_warning("cannot ask qoltanbad for the allowed sites: %s", g_strerror(-k));
}

static int on_get_all(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct remote *r = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	bool state = false;
	int k;

	r->get_all_call = sd_bus_slot_unref(r->get_all_call);
	if (e) {
		/* Gone again, or not the interface this tray knows. */
		g_warning("cannot read qoltanbad's status: %s", e->message);
		return 0;
	}
	properties_clear(r);
	k = read_properties(r, m, &state);
	if (k < 0) {
		g_warning("cannot read qoltanbad's status: %s", g_strerror(-k));
		properties_clear(r);
		return 0;
	}
	r->running = true;
	r->ops->changed(r->data);
	list_sites_or_warn(r);
	return 0;
}

static void appeared(struct remote *r)
{
	int k = call(r, &r->get_all_call, PROPERTIES_INTERFACE, "GetAll", 0, on_get_all, "s",
		     REMOTE_INTERFACE);

	if (k < 0)
		g_warning("cannot ask qoltanbad for its status: %s", g_strerror(-k));
}

static void vanished(struct remote *r)
{
	bool was_running = r->running;

	r->get_all_call = sd_bus_slot_unref(r->get_all_call);
	r->list_call = sd_bus_slot_unref(r->list_call);
	r->revoke_call = sd_bus_slot_unref(r->revoke_call);
	r->running = false;
	properties_clear(r);
	if (!was_running)
		return;
	r->ops->changed(r->data);
	r->ops->sites(NULL, r->data);
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct remote *r = userdata;
	const char *name, *old_owner, *new_owner;
	int k;

	k = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
	if (k < 0)
		return 0;
	if (*old_owner) {
		g_message("qoltanbad left the session bus");
		vanished(r);
	}
	if (*new_owner) {
		g_message("qoltanbad is on the session bus");
		appeared(r);
	}
	return 0;
}

static int on_owner_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct remote *r = userdata;

	r->owner_call = sd_bus_slot_unref(r->owner_call);
	/* An error is "no owner": the daemon is not running (yet). */
	if (!sd_bus_message_is_method_error(m, NULL))
		appeared(r);
	return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct remote *r = userdata;
	g_auto(GStrv) invalidated = NULL;
	const char *interface;
	bool state = false;
	int k;

	/* Before GetAll's answer nothing is shown yet, and that answer
	 * is newer than any change sent before it. */
	if (!r->running)
		return 0;
	k = sd_bus_message_read(m, "s", &interface);
	if (k >= 0)
		k = read_properties(r, m, &state);
	if (k >= 0)
		k = sd_bus_message_read_strv(m, &invalidated);
	if (k < 0) {
		g_warning("cannot read a change of qoltanbad's status: %s", g_strerror(-k));
		return 0;
	}
	if (invalidated && invalidated[0]) {
		appeared(r);
		return 0;
	}
	r->ops->changed(r->data);
	if (state && state_ends_request(r->state))
		list_sites_or_warn(r);
	return 0;
}

int remote_new(sd_bus *bus, const struct remote_ops *ops, void *data, struct remote **ret)
{
	struct remote *r = g_new0(struct remote, 1);
	int k;

	r->bus = sd_bus_ref(bus);
	r->ops = ops;
	r->data = data;
	properties_clear(r);
	/* Both matches before the first question, so that nothing that
	 * happens in between is missed. */
	k = sd_bus_add_match(bus, &r->owner_match,
			     "type='signal',sender='org.freedesktop.DBus',"
			     "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
			     "member='NameOwnerChanged',arg0='" REMOTE_NAME "'",
			     on_owner_changed, r);
	if (k >= 0)
		k = sd_bus_add_match(bus, &r->properties_match,
				     "type='signal',sender='" REMOTE_NAME "',path='" REMOTE_PATH
				     "',interface='" PROPERTIES_INTERFACE
				     "',member='PropertiesChanged',arg0='" REMOTE_INTERFACE "'",
				     on_properties_changed, r);
	if (k >= 0)
		k = sd_bus_call_method_async(bus, &r->owner_call, "org.freedesktop.DBus",
					     "/org/freedesktop/DBus", "org.freedesktop.DBus",
					     "GetNameOwner", on_owner_reply, r, "s", REMOTE_NAME);
	if (k < 0) {
		remote_free(r);
		return k;
	}
	*ret = r;
	return 0;
}

struct remote *remote_free(struct remote *r)
{
	if (!r)
		return NULL;
	sd_bus_slot_unref(r->owner_match);
	sd_bus_slot_unref(r->properties_match);
	sd_bus_slot_unref(r->owner_call);
	sd_bus_slot_unref(r->get_all_call);
	sd_bus_slot_unref(r->list_call);
	sd_bus_slot_unref(r->revoke_call);
	sd_bus_slot_unref(r->quit_call);
	sd_bus_slot_unref(r->start_call);
	sd_bus_unref(r->bus);
	g_free(r->state);
	g_free(r->active_origin);
	g_free(r->last_error);
	g_free(r);
	return NULL;
}

void remote_get_status(const struct remote *r, struct tray_status *ret)
{
	*ret = (struct tray_status){
		.running = r->running,
		.state = r->state,
		.active_origin = r->active_origin,
		.last_error = r->last_error,
		.connections = r->connections,
		.pending = r->pending,
	};
}

static int on_list(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct remote *r = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	g_auto(GStrv) sites = NULL;
	int k;

	r->list_call = sd_bus_slot_unref(r->list_call);
	if (e) {
		g_warning("cannot list the allowed sites: %s", e->message);
		return 0;
	}
	k = sd_bus_message_read_strv(m, &sites);
	if (k < 0) {
		g_warning("cannot read the allowed sites: %s", g_strerror(-k));
		return 0;
	}
	r->ops->sites(sites ? sites : (char *[]){ NULL }, r->data);
	return 0;
}

int remote_list_sites(struct remote *r)
{
	if (!r->running)
		return REMOTE_E_NOT_RUNNING;
	return call(r, &r->list_call, REMOTE_INTERFACE, "ListAllowedOrigins", 0, on_list, NULL);
}

static int on_revoke(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct remote *r = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	int revoked = 0;

	r->revoke_call = sd_bus_slot_unref(r->revoke_call);
	if (e)
		g_warning("qoltanbad did not take the permission back: %s", e->message);
	else if (sd_bus_message_read(m, "b", &revoked) >= 0 && !revoked)
		g_message("the site had no permission to take back");
	list_sites_or_warn(r);
	return 0;
}

int remote_revoke(struct remote *r, const char *origin)
{
	if (!r->running)
		return REMOTE_E_NOT_RUNNING;
	return call(r, &r->revoke_call, REMOTE_INTERFACE, "RevokeOrigin", 0, on_revoke, "s",
		    origin);
}

static int on_quit(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct remote *r = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	r->quit_call = sd_bus_slot_unref(r->quit_call);
	if (e)
		g_warning("qoltanbad did not answer Quit: %s", e->message);
	r->ops->quit_done(r->data);
	return 0;
}

static int on_start(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct remote *r = data;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	r->start_call = sd_bus_slot_unref(r->start_call);
	if (e)
		g_warning("cannot start qoltanbad: %s", e->message ? e->message : e->name);
	return 0;
}

int remote_start(struct remote *r)
{
	if (r->running)
		return -EALREADY;
	r->start_call = sd_bus_slot_unref(r->start_call);
	return sd_bus_call_method_async(r->bus, &r->start_call, "org.freedesktop.DBus",
					"/org/freedesktop/DBus", "org.freedesktop.DBus",
					"StartServiceByName", on_start, r, "su", REMOTE_NAME,
					(uint32_t)0);
}

int remote_quit(struct remote *r)
{
	if (!r->running)
		return REMOTE_E_NOT_RUNNING;
	return call(r, &r->quit_call, REMOTE_INTERFACE, "Quit", REMOTE_QUIT_TIMEOUT_USEC, on_quit,
		    NULL);
}
