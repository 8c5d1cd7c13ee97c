/* sni-watcher: the desktop's side of a tray icon, as far as
 * tests/integration/tray.mjs needs it. It owns org.kde.StatusNotifierWatcher
 * on the session bus ($DBUS_SESSION_BUS_ADDRESS) and, like a tray host,
 * reads a registered item and drives its com.canonical.dbusmenu menu.
 *
 * It prints one JSON object a line on stdout; D-Bus values are printed as
 * JSON (structs as arrays, dictionaries as objects, variants as their
 * value):
 *   {"event":"ready"}
 *   {"event":"registered","service":S,"props":{…}}   the item's properties
 *   {"event":"NewIcon"|"NewAttentionIcon"|"NewToolTip"|"NewStatus",
 *    "props":{…}}                                    read again on the signal
 *   {"event":"unregistered","service":S}             its name lost its owner
 *   {"event":"LayoutUpdated","args":[revision,parent]}
 *   {"event":"layout","reply":[revision,[id,{props},[children…]]]}
 *   {"event":"clicked","id":N}  {"event":"about-to-show","id":N,"reply":[b]}
 *   {"event":"error","what":…,"message":…}
 * and reads commands on stdin, one a line, for the last registered item:
 *   layout            GetLayout(0, -1, [])
 *   click ID          Event(ID, "clicked", <0>, 0)
 *   about-to-show ID  AboutToShow(ID)
 * It exits at the end of stdin, when the bus goes away, or after
 * $SNI_WATCHER_TIMEOUT seconds (default 60). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "util/cleanup.h"

#define WATCHER_NAME "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH "/StatusNotifierWatcher"
#define ITEM_INTERFACE "org.kde.StatusNotifierItem"
#define MENU_INTERFACE "com.canonical.dbusmenu"

static sd_bus *bus;
static sd_event *event;

/* The last registered item. */
static struct {
	char *service; /* as registered */
	char *name;    /* the bus name it lives under */
	char *owner;   /* that name's unique owner */
	char *path;
	char *menu;
	sd_bus_slot *signals, *menu_signals, *owner_match;
} item;

static void json_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static int print_value(sd_bus_message *m);

static int print_basic(sd_bus_message *m, char type, bool quoted)
{
	union {
		uint8_t y;
		int b;
		int16_t n;
		uint16_t q;
		int32_t i;
		uint32_t u;
		int64_t x;
		uint64_t t;
		double d;
		const char *s;
	} v;
	const char *q = quoted ? "\"" : "";
	int r = sd_bus_message_read_basic(m, type, &v);

	if (r < 0)
		return r;
	switch (type) {
	case 'y':
		printf("%s%u%s", q, v.y, q);
		break;
	case 'b':
		printf("%s%s%s", q, v.b ? "true" : "false", q);
		break;
	case 'n':
		printf("%s%d%s", q, v.n, q);
		break;
	case 'q':
		printf("%s%u%s", q, v.q, q);
		break;
	case 'i':
		printf("%s%" PRId32 "%s", q, v.i, q);
		break;
	case 'u':
		printf("%s%" PRIu32 "%s", q, v.u, q);
		break;
	case 'x':
		printf("%s%" PRId64 "%s", q, v.x, q);
		break;
	case 't':
		printf("%s%" PRIu64 "%s", q, v.t, q);
		break;
	case 'd':
		printf("%s%g%s", q, v.d, q);
		break;
	case 's':
	case 'o':
	case 'g':
		json_string(v.s);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The values up to the end of the current container, comma-separated. */
static int print_values(sd_bus_message *m)
{
	const char *contents;
	char type;
	int r;

	for (bool first = true; (r = sd_bus_message_peek_type(m, &type, &contents)) > 0;
	     first = false) {
		if (!first)
			putchar(',');
		r = print_value(m);
		if (r < 0)
			return r;
	}
	return r;
}

static int print_dict(sd_bus_message *m, const char *contents)
{
	char entry[256];
	size_t n = strlen(contents);
	char key_type = contents[1];
	int r;

	if (n < 4 || n - 2 >= sizeof(entry))
		return -EOPNOTSUPP;
	memcpy(entry, contents + 1, n - 2);
	entry[n - 2] = '\0';
	r = sd_bus_message_enter_container(m, 'a', contents);
	if (r < 0)
		return r;
	putchar('{');
	for (bool first = true; (r = sd_bus_message_enter_container(m, 'e', entry)) > 0;
	     first = false) {
		if (!first)
			putchar(',');
		r = print_basic(m, key_type, key_type != 's' && key_type != 'o');
		if (r < 0)
			return r;
		putchar(':');
		r = print_value(m);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	putchar('}');
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int print_value(sd_bus_message *m)
{
	const char *contents;
	char type;
	int r = sd_bus_message_peek_type(m, &type, &contents);

	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	if (type == 'a' && contents[0] == '{')
		return print_dict(m, contents);
	if (type == 'a' || type == 'r' || type == 'v') {
		r = sd_bus_message_enter_container(m, type, contents);
		if (r < 0)
			return r;
		if (type != 'v')
			putchar('[');
		r = print_values(m);
		if (r < 0)
			return r;
		if (type != 'v')
			putchar(']');
		return sd_bus_message_exit_container(m);
	}
	return print_basic(m, type, false);
}

static void print_error(const char *what, const char *message)
{
	fputs("{\"event\":\"error\",\"what\":", stdout);
	json_string(what);
	fputs(",\"message\":", stdout);
	json_string(message);
	puts("}");
	fflush(stdout);
}

/* {"event":name,"service":…,"props":{…}}, read now. */
static void print_item(const char *name)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *contents;
	char type;
	int r;

	r = sd_bus_call_method(bus, item.owner, item.path, "org.freedesktop.DBus.Properties",
			       "GetAll", &error, &reply, "s", ITEM_INTERFACE);
	if (r < 0) {
		print_error(name, error.message ? error.message : strerror(-r));
		return;
	}
	/* The menu's path, for the commands and its LayoutUpdated. */
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key, *path;

		r = sd_bus_message_read(reply, "s", &key);
		if (r >= 0 && strcmp(key, "Menu") == 0 &&
		    sd_bus_message_peek_type(reply, &type, &contents) > 0 &&
		    strcmp(contents, "o") == 0) {
			r = sd_bus_message_read(reply, "v", "o", &path);
			if (r >= 0) {
				free(item.menu);
				item.menu = strdup(path);
			}
		} else if (r >= 0) {
			r = sd_bus_message_skip(reply, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_rewind(reply, true);
	fputs("{\"event\":", stdout);
	json_string(name);
	fputs(",\"service\":", stdout);
	json_string(item.service);
	fputs(",\"props\":", stdout);
	if (r >= 0)
		r = print_value(reply);
	if (r < 0)
		fputs("null", stdout);
	puts("}");
	fflush(stdout);
}

static int on_item_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *member = sd_bus_message_get_member(m);

	if (strncmp(member, "New", 3) == 0)
		print_item(member);
	return 0;
}

static int on_layout_updated(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	fputs("{\"event\":\"LayoutUpdated\",\"args\":[", stdout);
	if (print_values(m) < 0)
		fputs("null", stdout);
	puts("]}");
	fflush(stdout);
	return 0;
}

static void item_forget(void)
{
	item.signals = sd_bus_slot_unref(item.signals);
	item.menu_signals = sd_bus_slot_unref(item.menu_signals);
	item.owner_match = sd_bus_slot_unref(item.owner_match);
	free(item.service);
	free(item.name);
	free(item.owner);
	free(item.path);
	free(item.menu);
	item.service = item.name = item.owner = item.path = item.menu = NULL;
}

static int on_item_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || *new_owner)
		return 0;
	fputs("{\"event\":\"unregistered\",\"service\":", stdout);
	json_string(item.service);
	puts("}");
	fflush(stdout);
	(void)sd_bus_emit_signal(bus, WATCHER_PATH, WATCHER_NAME,
				 "StatusNotifierItemUnregistered", "s", item.service);
	item_forget();
	return 0;
}

static int on_register_item(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *service, *sender = sd_bus_message_get_sender(m), *owner;
	char match[512];
	int r;

	r = sd_bus_message_read(m, "s", &service);
	if (r < 0)
		return r;
	r = sd_bus_reply_method_return(m, NULL);
	if (r < 0)
		return r;
	item_forget();
	item.service = strdup(service);
	/* A path means: the caller, at that path. */
	item.name = strdup(service[0] == '/' ? sender : service);
	item.path = strdup(service[0] == '/' ? service : "/StatusNotifierItem");
	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "GetNameOwner", NULL, &reply, "s",
			       item.name);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &owner);
	if (r < 0) {
		print_error("register", "the item's name has no owner");
		return 0;
	}
	item.owner = strdup(owner);
	snprintf(match, sizeof(match),
		 "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
		 "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
		 item.name);
	r = sd_bus_add_match(bus, &item.owner_match, match, on_item_owner, NULL);
	if (r >= 0)
		r = sd_bus_match_signal(bus, &item.signals, item.owner, item.path, ITEM_INTERFACE,
					NULL, on_item_signal, NULL);
	if (r >= 0)
		r = sd_bus_match_signal(bus, &item.menu_signals, item.owner, NULL, MENU_INTERFACE,
					"LayoutUpdated", on_layout_updated, NULL);
	if (r < 0) {
		print_error("register", strerror(-r));
		return 0;
	}
	(void)sd_bus_emit_signal(bus, WATCHER_PATH, WATCHER_NAME, "StatusNotifierItemRegistered",
				 "s", service);
	print_item("registered");
	return 0;
}

static int on_register_host(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	return sd_bus_reply_method_return(m, NULL);
}

static int get_items(sd_bus *b, const char *path, const char *interface, const char *property,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return item.service ? sd_bus_message_append(reply, "as", 1, item.service)
			    : sd_bus_message_append(reply, "as", 0);
}

static int get_host_registered(sd_bus *b, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	return sd_bus_message_append(reply, "b", 1);
}

static int get_protocol_version(sd_bus *b, const char *path, const char *interface,
				const char *property, sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	return sd_bus_message_append(reply, "i", 0);
}

static const sd_bus_vtable watcher_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("RegisterStatusNotifierItem", "s", "", on_register_item, 0),
	SD_BUS_METHOD("RegisterStatusNotifierHost", "s", "", on_register_host, 0),
	SD_BUS_PROPERTY("RegisteredStatusNotifierItems", "as", get_items, 0, 0),
	SD_BUS_PROPERTY("IsStatusNotifierHostRegistered", "b", get_host_registered, 0, 0),
	SD_BUS_PROPERTY("ProtocolVersion", "i", get_protocol_version, 0, 0),
	SD_BUS_SIGNAL("StatusNotifierItemRegistered", "s", 0),
	SD_BUS_SIGNAL("StatusNotifierItemUnregistered", "s", 0),
	SD_BUS_SIGNAL("StatusNotifierHostRegistered", "", 0),
	SD_BUS_VTABLE_END,
};

/* Call a menu method and print {"event":name,"id":id,"reply":[…]}. */
static void menu_call(const char *name, int32_t id, const char *member, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;
	int r;

	if (!item.menu) {
		print_error(name, "no item with a menu is registered");
		return;
	}
	r = sd_bus_message_new_method_call(bus, &call, item.owner, item.menu, MENU_INTERFACE,
					   member);
	if (r >= 0) {
		va_start(ap, types);
		r = sd_bus_message_appendv(call, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call(bus, call, 0, &error, &reply);
	if (r < 0) {
		print_error(name, error.message ? error.message : strerror(-r));
		return;
	}
	printf("{\"event\":\"%s\",\"id\":%" PRId32 ",\"reply\":[", name, id);
	if (print_values(reply) < 0)
		fputs("null", stdout);
	puts("]}");
	fflush(stdout);
}

static void command(const char *line)
{
	int32_t id;

	if (strcmp(line, "layout") == 0)
		menu_call("layout", 0, "GetLayout", "iias", 0, -1, 0);
	else if (sscanf(line, "click %" SCNd32, &id) == 1)
		menu_call("clicked", id, "Event", "isvu", id, "clicked", "i", 0, 0);
	else if (sscanf(line, "about-to-show %" SCNd32, &id) == 1)
		menu_call("about-to-show", id, "AboutToShow", "i", id);
	else
		print_error("command", line);
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	static char buf[4096];
	static size_t len;
	char *nl;
	ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

	if (n <= 0)
		return sd_event_exit(event, 0);
	len += n;
	buf[len] = '\0';
	while ((nl = strchr(buf, '\n'))) {
		*nl = '\0';
		command(buf);
		len -= nl + 1 - buf;
		memmove(buf, nl + 1, len + 1);
	}
	if (len == sizeof(buf) - 1)
		len = 0; /* a line too long for any command */
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	return sd_event_exit(event, 2);
}

int main(void)
{
	const char *timeout = getenv("SNI_WATCHER_TIMEOUT");
	uint64_t now;
	int r, status;

	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_bus_open_user(&bus);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, 0);
	if (r >= 0)
		r = sd_bus_set_exit_on_disconnect(bus, 1);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, WATCHER_PATH, WATCHER_NAME, watcher_vtable,
					     NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, WATCHER_NAME, 0);
	if (r >= 0)
		r = sd_event_add_io(event, NULL, STDIN_FILENO, EPOLLIN, on_stdin, NULL);
	if (r >= 0)
		r = sd_event_now(event, CLOCK_MONOTONIC, &now);
	if (r >= 0)
		r = sd_event_add_time(event, NULL, CLOCK_MONOTONIC,
				      now + (timeout ? strtoull(timeout, NULL, 10) : 60) * 1000000ULL,
				      0, on_timeout, NULL);
	if (r < 0) {
		fprintf(stderr, "sni-watcher: %s\n", strerror(-r));
		return 1;
	}
	puts("{\"event\":\"ready\"}");
	fflush(stdout);
	r = sd_event_loop(event);
	status = r < 0 ? 1 : r;
	item_forget();
	sd_bus_flush_close_unref(bus);
	sd_event_unref(event);
	return status;
}
