/* bus-client: the daemon's D-Bus status object as the integration tests
 * see it, on the bus in $DBUS_SESSION_BUS_ADDRESS. Output is JSON, one
 * line per answer or signal:
 *
 *   bus-client owner             the unique name owning kz.qoltanba.Daemon
 *   bus-client pid               the process id of that owner
 *   bus-client get               GetAll of kz.qoltanba.Daemon1: {"State":"idle",…}
 *   bus-client call METHOD [ARG] ListAllowedOrigins → [...], RevokeOrigin ORIGIN
 *                                → true/false, Quit → null
 *   bus-client watch             "ready" once subscribed, then one object per
 *                                PropertiesChanged: the changed properties
 *                                and their values; until the bus goes away
 *
 * A failed call prints the D-Bus error on stderr and exits 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "util/cleanup.h"

#define NAME "kz.qoltanba.Daemon"
#define PATH "/kz/qoltanba/Daemon"
#define INTERFACE "kz.qoltanba.Daemon1"
#define PROPERTIES "org.freedesktop.DBus.Properties"

DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)

static void print(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

static int fail(const char *what, int r, const sd_bus_error *e)
{
	fprintf(stderr, "bus-client: %s: %s\n", what,
		e && sd_bus_error_is_set(e) ? e->message : strerror(-r));
	return EXIT_FAILURE;
}

/* One variant's value (s, u or b) as JSON. */
static int read_variant(sd_bus_message *m, struct json_object **ret)
{
	const char *contents, *s;
	char type;
	uint32_t u;
	int b, r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(m, 'v', contents);
	if (r < 0)
		return r;
	switch (contents[0]) {
	case 's':
		r = sd_bus_message_read(m, "s", &s);
		*ret = json_object_new_string(s);
		break;
	case 'u':
		r = sd_bus_message_read(m, "u", &u);
		*ret = json_object_new_int64(u);
		break;
	case 'b':
		r = sd_bus_message_read(m, "b", &b);
		*ret = json_object_new_boolean(b);
		break;
	default:
		return -EBADMSG;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* An a{sv} as a JSON object. */
static int read_properties(sd_bus_message *m, struct json_object *o)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		struct json_object *v = NULL;
		const char *name;

		r = sd_bus_message_read(m, "s", &name);
		if (r >= 0)
			r = read_variant(m, &v);
		if (r < 0)
			return r;
		json_object_object_add(o, name, v);
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	const char *interface;
	int r;

	r = sd_bus_message_read(m, "s", &interface);
	if (r < 0 || strcmp(interface, INTERFACE) != 0)
		return 0;
	r = read_properties(m, o);
	if (r < 0) {
		fprintf(stderr, "bus-client: cannot read a signal: %s\n", strerror(-r));
		return 0;
	}
	print(o);
	return 0;
}

static int watch(sd_bus *bus)
{
	int r = sd_bus_match_signal(bus, NULL, NULL, PATH, PROPERTIES, "PropertiesChanged",
				    on_changed, NULL);

	if (r < 0)
		return fail("AddMatch", r, NULL);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r == -ECONNRESET || r == -ENOTCONN ? EXIT_SUCCESS
								  : fail("process", r, NULL);
		if (r > 0)
			continue;
		r = sd_bus_wait(bus, UINT64_MAX);
		if (r < 0 && r != -EINTR)
			return fail("wait", r, NULL);
	}
}

static int get_all(sd_bus *bus)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(bus, NAME, PATH, PROPERTIES, "GetAll", &e, &reply, "s",
				   INTERFACE);

	if (r < 0) {
		r = fail("GetAll", r, &e);
		sd_bus_error_free(&e);
		return r;
	}
	r = read_properties(reply, o);
	if (r < 0)
		return fail("GetAll's answer", r, NULL);
	print(o);
	return EXIT_SUCCESS;
}

/* The bus driver's answer to method(NAME): a string or a uint32. */
static int ask_driver(sd_bus *bus, const char *method, char type)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *s;
	uint32_t u;
	int r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				   "org.freedesktop.DBus", method, &e, &reply, "s", NAME);

	if (r < 0) {
		r = fail(method, r, &e);
		sd_bus_error_free(&e);
		return r;
	}
	if (type == 's') {
		r = sd_bus_message_read(reply, "s", &s);
		o = json_object_new_string(s);
	} else {
		r = sd_bus_message_read(reply, "u", &u);
		o = json_object_new_int64(u);
	}
	if (r < 0)
		return fail(method, r, NULL);
	print(o);
	return EXIT_SUCCESS;
}

static int call(sd_bus *bus, const char *method, const char *arg)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *s;
	int r, b;

	if (arg)
		r = sd_bus_call_method(bus, NAME, PATH, INTERFACE, method, &e, &reply, "s", arg);
	else
		r = sd_bus_call_method(bus, NAME, PATH, INTERFACE, method, &e, &reply, NULL);
	if (r < 0) {
		r = fail(method, r, &e);
		sd_bus_error_free(&e);
		return r;
	}
	if (strcmp(method, "ListAllowedOrigins") == 0) {
		o = json_object_new_array();
		r = sd_bus_message_enter_container(reply, 'a', "s");
		while (r >= 0 && (r = sd_bus_message_read(reply, "s", &s)) > 0)
			json_object_array_add(o, json_object_new_string(s));
	} else if (strcmp(method, "RevokeOrigin") == 0) {
		r = sd_bus_message_read(reply, "b", &b);
		o = json_object_new_boolean(b);
	} else {
		r = 0;
	}
	if (r < 0)
		return fail(method, r, NULL);
	print(o);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: bus-client owner|pid|get|watch|call METHOD [ARG]\n");
		return 2;
	}
	r = sd_bus_open_user(&bus);
	if (r < 0)
		return fail("the session bus", r, NULL);
	if (strcmp(argv[1], "owner") == 0)
		return ask_driver(bus, "GetNameOwner", 's');
	if (strcmp(argv[1], "pid") == 0)
		return ask_driver(bus, "GetConnectionUnixProcessID", 'u');
	if (strcmp(argv[1], "get") == 0)
		return get_all(bus);
	if (strcmp(argv[1], "watch") == 0)
		return watch(bus);
	if (strcmp(argv[1], "call") == 0 && argc >= 3)
		return call(bus, argv[2], argc > 3 ? argv[3] : NULL);
	fprintf(stderr, "bus-client: unknown command %s\n", argv[1]);
	return 2;
}
