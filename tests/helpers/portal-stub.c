/* portal-stub: xdg-desktop-portal's FileChooser as far as the portal
 * client's tests need it. It takes org.freedesktop.portal.Desktop on the
 * session bus ($DBUS_SESSION_BUS_ADDRESS), prints "ready", and answers
 * every OpenFile after 50 ms as $PORTAL_STUB_ANSWER says:
 *
 *   a URI ("file:///…", "https://…")  Response(0, {"uris": [it]})
 *   "cancel"                          Response(1, {})
 *   "fail"                            Response(2, {})
 *   "hang"                            nothing, until Request.Close
 *
 * With PORTAL_STUB_OTHER_PATH=1 it ignores handle_token and answers on a
 * path of its own 300 ms later, as portals before 0.9 did.
 *
 * Each OpenFile appends one line to $PORTAL_STUB_LOG with what it was
 * asked; each Request.Close appends "closed". It exits by itself after
 * $PORTAL_STUB_TIMEOUT seconds (default 30), or when the bus goes away. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define PORTAL_OBJECT "/org/freedesktop/portal/desktop"
#define REQUEST_PREFIX PORTAL_OBJECT "/request/"
#define USEC_PER_MSEC 1000ULL

/* One OpenFile's Request object, kept until exit. */
struct request {
	struct request *next;
	char *path;
	sd_bus_slot *object;
	sd_event_source *answer;
};

static const char *answer;
static bool other_path;
static struct request *requests;

static void log_line(const char *line)
{
	const char *name = getenv("PORTAL_STUB_LOG");
	FILE *f;

	if (!name)
		return;
	f = fopen(name, "a");
	if (!f)
		return;
	fprintf(f, "%s\n", line);
	fclose(f);
}

static int on_close(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct request *req = userdata;

	sd_event_source_set_enabled(req->answer, SD_EVENT_OFF);
	log_line("closed");
	return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable request_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Close", "", "", on_close, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

/* sd_event_add_time_relative() is newer than the libsystemd we require. */
static int add_timer(sd_event *event, sd_event_source **ret, uint64_t usec,
		     sd_event_time_handler_t handler, void *userdata)
{
	uint64_t now;
	int r = sd_event_now(event, CLOCK_MONOTONIC, &now);

	if (r < 0)
		return r;
	return sd_event_add_time(event, ret, CLOCK_MONOTONIC, now + usec, 0, handler, userdata);
}

static int send_answer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct request *req = userdata;
	sd_bus *bus = sd_bus_slot_get_bus(req->object);
	uint32_t response;

	if (strcmp(answer, "cancel") == 0)
		response = 1;
	else if (strcmp(answer, "fail") == 0)
		response = 2;
	else if (strchr(answer, ':'))
		return sd_bus_emit_signal(bus, req->path, "org.freedesktop.portal.Request",
					  "Response", "ua{sv}", (uint32_t)0, 1, "uris", "as", 1,
					  answer);
	else
		return 0; /* hang */
	return sd_bus_emit_signal(bus, req->path, "org.freedesktop.portal.Request", "Response",
				  "ua{sv}", response, 0);
}

/* "name:glob,glob" of one (sa(us)) filter, appended to out. */
static int read_filter(sd_bus_message *m, char *out, size_t size)
{
	const char *name, *glob;
	uint32_t type;
	int r;

	r = sd_bus_message_enter_container(m, 'r', "sa(us)");
	if (r <= 0)
		return r;
	r = sd_bus_message_read(m, "s", &name);
	if (r < 0)
		return r;
	snprintf(out + strlen(out), size - strlen(out), "%s:", name);
	r = sd_bus_message_enter_container(m, 'a', "(us)");
	if (r < 0)
		return r;
	for (bool first = true; (r = sd_bus_message_read(m, "(us)", &type, &glob)) > 0;
	     first = false)
		snprintf(out + strlen(out), size - strlen(out), "%s%s%s", first ? "" : ",",
			 type == 0 ? "" : "mime=", glob);
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	return r < 0 ? r : 1;
}

static int on_open_file(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	static unsigned counter;
	const char *parent, *title, *token = NULL, *sender;
	char folder[1024] = "-", filters[1024] = "", current[1024] = "", line[4096];
	int directory = 0, modal = -1, multiple = -1;
	struct request *req;
	char *s;
	int r;

	r = sd_bus_message_read(m, "ss", &parent, &title);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key;

		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		if (strcmp(key, "handle_token") == 0) {
			r = sd_bus_message_read(m, "v", "s", &token);
		} else if (strcmp(key, "directory") == 0) {
			r = sd_bus_message_read(m, "v", "b", &directory);
		} else if (strcmp(key, "modal") == 0) {
			r = sd_bus_message_read(m, "v", "b", &modal);
		} else if (strcmp(key, "multiple") == 0) {
			r = sd_bus_message_read(m, "v", "b", &multiple);
		} else if (strcmp(key, "current_folder") == 0) {
			const void *bytes;
			size_t n;

			r = sd_bus_message_enter_container(m, 'v', "ay");
			if (r >= 0)
				r = sd_bus_message_read_array(m, 'y', &bytes, &n);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
			/* The portal wants the NUL inside the array. */
			if (r >= 0 && (n == 0 || ((const char *)bytes)[n - 1] != '\0'))
				snprintf(folder, sizeof(folder), "(not NUL-terminated)");
			else if (r >= 0)
				snprintf(folder, sizeof(folder), "%s", (const char *)bytes);
		} else if (strcmp(key, "filters") == 0) {
			r = sd_bus_message_enter_container(m, 'v', "a(sa(us))");
			if (r >= 0)
				r = sd_bus_message_enter_container(m, 'a', "(sa(us))");
			while (r >= 0 && (r = read_filter(m, filters, sizeof(filters))) > 0)
				snprintf(filters + strlen(filters),
					 sizeof(filters) - strlen(filters), ";");
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
		} else if (strcmp(key, "current_filter") == 0) {
			r = sd_bus_message_enter_container(m, 'v', "(sa(us))");
			if (r >= 0)
				r = read_filter(m, current, sizeof(current));
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
		} else {
			r = sd_bus_message_skip(m, "v");
		}
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;

	snprintf(line, sizeof(line),
		 "OpenFile title=%s|folder=%s|directory=%d|modal=%d|multiple=%d|filters=%s|"
		 "current_filter=%s|token=%s",
		 title, folder, directory, modal, multiple, filters, current, token ? "yes" : "no");
	log_line(line);

	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->next = requests;
	requests = req;
	sender = sd_bus_message_get_sender(m);
	if (other_path || !token)
		r = asprintf(&req->path, REQUEST_PREFIX "%s/stub%u", sender + 1, ++counter);
	else
		r = asprintf(&req->path, REQUEST_PREFIX "%s/%s", sender + 1, token);
	if (r < 0) {
		req->path = NULL;
		return -ENOMEM;
	}
	for (s = req->path + strlen(REQUEST_PREFIX); *s; s++)
		if (*s == '.')
			*s = '_';

	r = sd_bus_add_object_vtable(sd_bus_message_get_bus(m), &req->object, req->path,
				     "org.freedesktop.portal.Request", request_vtable, req);
	if (r < 0)
		return r;
	/* The handle goes out before any Response: the reply is queued first. */
	r = sd_bus_reply_method_return(m, "o", req->path);
	if (r < 0)
		return r;
	return add_timer(sd_bus_get_event(sd_bus_message_get_bus(m)), &req->answer,
			 (other_path ? 300 : 50) * USEC_PER_MSEC, send_answer, req);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	return sd_bus_message_append(reply, "u", (uint32_t)4);
}

static const sd_bus_vtable file_chooser_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("version", "u", get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_METHOD("OpenFile", "ssa{sv}", "o", on_open_file, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

int main(void)
{
	const char *timeout = getenv("PORTAL_STUB_TIMEOUT");
	sd_event *event = NULL;
	sd_bus *bus = NULL;
	int r;

	answer = getenv("PORTAL_STUB_ANSWER") ? getenv("PORTAL_STUB_ANSWER") : "hang";
	other_path = getenv("PORTAL_STUB_OTHER_PATH") &&
		     strcmp(getenv("PORTAL_STUB_OTHER_PATH"), "1") == 0;

	r = sd_event_default(&event);
	if (r >= 0)
		r = add_timer(event, NULL,
			      (timeout ? strtoull(timeout, NULL, 10) : 30) * 1000 * USEC_PER_MSEC,
			      on_timeout, NULL);
	if (r >= 0)
		r = sd_bus_open_user(&bus);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_set_exit_on_disconnect(bus, 1);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, PORTAL_OBJECT,
					     "org.freedesktop.portal.FileChooser",
					     file_chooser_vtable, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.portal.Desktop", 0);
	if (r < 0) {
		fprintf(stderr, "portal-stub: %s\n", strerror(-r));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	r = sd_event_loop(event);

	while (requests) {
		struct request *next = requests->next;

		sd_event_source_unref(requests->answer);
		sd_bus_slot_unref(requests->object);
		free(requests->path);
		free(requests);
		requests = next;
	}
	sd_bus_flush_close_unref(bus);
	sd_event_unref(event);
	return r < 0 ? 1 : 0;
}
