#include "daemon/ui/portal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "util/cleanup.h"

#define PORTAL_BUS_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_OBJECT "/org/freedesktop/portal/desktop"
#define FILE_CHOOSER_IFACE "org.freedesktop.portal.FileChooser"
#define REQUEST_IFACE "org.freedesktop.portal.Request"
#define REQUEST_PATH_PREFIX "/org/freedesktop/portal/desktop/request/"

/* How often a waiting call looks at its GCancellable. */
#define POLL_USEC (100 * 1000)
/* A live portal acknowledges OpenFile and Close at once; this is for one
 * that is still being activated, or stuck. */
#define ACK_TIMEOUT_USEC (2 * G_USEC_PER_SEC)

/* Replies to OpenFile that mean nobody serves the portal here (sd-bus
 * makes NoReply of a timeout and of a bus that went away meanwhile). */
static const char *const unavailable_errors[] = {
	SD_BUS_ERROR_SERVICE_UNKNOWN,   SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_UNKNOWN_METHOD,
	SD_BUS_ERROR_UNKNOWN_OBJECT,    SD_BUS_ERROR_UNKNOWN_INTERFACE, SD_BUS_ERROR_NO_REPLY,
	SD_BUS_ERROR_TIMEOUT,           SD_BUS_ERROR_DISCONNECTED,
};

/* The Response code of org.freedesktop.portal.Request. */
enum {
	RESPONSE_SUCCESS = 0,
	RESPONSE_CANCELLED = 1,
};

/* One dialog, from OpenFile to Response. */
struct request {
	sd_bus *bus;
	char *expected;      /* the request path the Response match listens on */
	sd_bus_slot *match;  /* that match */
	sd_bus_slot *call;   /* the pending OpenFile */
	char *handle;        /* the request path OpenFile returned */
	bool done;           /* result (and chosen or message) are final */
	int result;
	char *chosen;        /* the local path, on success */
	char *message;       /* why, on PORTAL_E_UNAVAILABLE and PORTAL_E_FAILED */
};

static void request_clear(struct request *req)
{
	sd_bus_slot_unref(req->match);
	sd_bus_slot_unref(req->call);
	g_free(req->expected);
	g_free(req->handle);
	g_free(req->chosen);
	g_free(req->message);
}

static void finish(struct request *req, int result, const char *format, ...) G_GNUC_PRINTF(3, 4);
static void finish(struct request *req, int result, const char *format, ...)
{
	va_list ap;

	if (req->done)
		return;
	req->done = true;
	req->result = result;
	if (format) {
		va_start(ap, format);
		req->message = g_strdup_vprintf(format, ap);
		va_end(ap);
	}
}

/* The first entry of the results' "uris" (as), or NULL in *ret_uri when
 * there is none. */
static int read_first_uri(sd_bus_message *m, char **ret_uri)
{
	g_autofree char *uri = NULL;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key;

		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		if (strcmp(key, "uris") == 0 && !uri) {
			const char *first = NULL;

			r = sd_bus_message_enter_container(m, 'v', "as");
			if (r < 0)
				return r;
			r = sd_bus_message_enter_container(m, 'a', "s");
			if (r < 0)
				return r;
			r = sd_bus_message_read(m, "s", &first);
			if (r < 0)
				return r;
			uri = g_strdup(first);
			/* Only one file was asked for; skip any others. */
			while ((r = sd_bus_message_skip(m, "s")) > 0)
				;
			if (r < 0)
				return r;
			r = sd_bus_message_exit_container(m);
			if (r < 0)
				return r;
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
	*ret_uri = TAKE_PTR(uri);
	return 0;
}

static int on_response(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct request *req = userdata;
	g_autofree char *uri = NULL;
	g_autofree char *path = NULL;
	g_autofree char *host = NULL;
	g_autofree char *scheme = NULL;
	uint32_t response;
	int r;

	r = sd_bus_message_read(m, "u", &response);
	if (r < 0) {
		finish(req, PORTAL_E_FAILED, "malformed Response: %s", g_strerror(-r));
		return 0;
	}
	if (response == RESPONSE_CANCELLED) {
		finish(req, PORTAL_E_CANCELLED, NULL);
		return 0;
	}
	if (response != RESPONSE_SUCCESS) {
		finish(req, PORTAL_E_FAILED, "the portal ended the dialog (response %u)", response);
		return 0;
	}
	r = read_first_uri(m, &uri);
	if (r < 0) {
		finish(req, PORTAL_E_FAILED, "malformed Response results: %s", g_strerror(-r));
		return 0;
	}
	if (!uri) {
		finish(req, PORTAL_E_FAILED, "the portal answered without a URI");
		return 0;
	}
	/* The URI is the user's own path: the message names its scheme only. */
	path = g_filename_from_uri(uri, &host, NULL);
	if (!path || (host && strcmp(host, "localhost") != 0)) {
		scheme = g_uri_parse_scheme(uri);
		finish(req, PORTAL_E_FAILED,
		       "the portal answered a URI that is not a local file (%s:)",
		       scheme ? scheme : "?");
		return 0;
	}
	finish(req, 0, NULL);
	req->chosen = TAKE_PTR(path);
	return 0;
}

static int on_open_file_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct request *req = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	const char *handle;
	int r;

	if (e) {
		int result = PORTAL_E_FAILED;

		for (size_t i = 0; i < G_N_ELEMENTS(unavailable_errors); i++)
			if (sd_bus_error_has_name(e, unavailable_errors[i]))
				result = PORTAL_E_UNAVAILABLE;
		finish(req, result, "FileChooser.OpenFile failed: %s: %s", e->name,
		       e->message ? e->message : "");
		return 0;
	}
	r = sd_bus_message_read(m, "o", &handle);
	if (r < 0) {
		finish(req, PORTAL_E_FAILED, "FileChooser.OpenFile returned no request handle");
		return 0;
	}
	req->handle = g_strdup(handle);
	return 0;
}

/* Listen for Response on path, and only there. The match names the
 * portal's well-known name; the bus resolves it to its owner. */
static int subscribe(struct request *req, const char *path)
{
	sd_bus_slot *slot = NULL;
	int r;

	r = sd_bus_match_signal(req->bus, &slot, PORTAL_BUS_NAME, path, REQUEST_IFACE, "Response",
				on_response, req);
	if (r < 0)
		return r;
	sd_bus_slot_unref(req->match);
	req->match = slot;
	g_free(req->expected);
	req->expected = g_strdup(path);
	return 0;
}

/* The request path the portal will use, from the documented recipe: our
 * unique name without ':' and with '.' as '_', then the token. */
static char *request_path(const char *unique_name, const char *token)
{
	g_autofree char *sender = g_strdup(unique_name[0] == ':' ? unique_name + 1 : unique_name);

	g_strdelimit(sender, ".", '_');
	return g_strconcat(REQUEST_PATH_PREFIX, sender, "/", token, NULL);
}

/* Open an a{sv} entry: {key, v(contents)}; close it with close_option(). */
static int open_option(sd_bus_message *m, const char *key, const char *contents)
{
	int r = sd_bus_message_open_container(m, 'e', "sv");

	if (r >= 0)
		r = sd_bus_message_append(m, "s", key);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', contents);
	return r;
}

static int close_option(sd_bus_message *m)
{
	int r = sd_bus_message_close_container(m);

	return r < 0 ? r : sd_bus_message_close_container(m);
}

/* One filter, (sa(us)): a name and its globs (type 0; 1 would be a MIME type). */
static int append_filter(sd_bus_message *m, const struct portal_file_options *o)
{
	int r;

	r = sd_bus_message_open_container(m, 'r', "sa(us)");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", o->filter_name);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(us)");
	for (const char *const *g = o->globs; r >= 0 && *g; g++)
		r = sd_bus_message_append(m, "(us)", (uint32_t)0, *g);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

static int append_options(sd_bus_message *m, const struct portal_file_options *o, bool directory,
			  const char *token)
{
	int r;

	r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "{sv}{sv}{sv}", "handle_token", "s", token, "modal", "b", 1,
				  "multiple", "b", 0);
	if (r < 0)
		return r;
	if (directory) {
		r = sd_bus_message_append(m, "{sv}", "directory", "b", 1);
		if (r < 0)
			return r;
	}
	if (o->current_folder) {
		/* A byte string (paths need not be UTF-8), NUL included. */
		r = open_option(m, "current_folder", "ay");
		if (r >= 0)
			r = sd_bus_message_append_array(m, 'y', o->current_folder,
							strlen(o->current_folder) + 1);
		if (r >= 0)
			r = close_option(m);
		if (r < 0)
			return r;
	}
	if (o->filter_name && o->globs && o->globs[0]) {
		r = open_option(m, "filters", "a(sa(us))");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'a', "(sa(us))");
		if (r >= 0)
			r = append_filter(m, o);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
		if (r >= 0)
			r = close_option(m);
		/* current_filter must be one of filters: the same one. */
		if (r >= 0)
			r = open_option(m, "current_filter", "(sa(us))");
		if (r >= 0)
			r = append_filter(m, o);
		if (r >= 0)
			r = close_option(m);
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(m);
}

/* Close the dialog. One that was asked for but not yet acknowledged has
 * no Request object to close yet: wait a little for its handle first, so
 * that a cancelled dialog does not appear afterwards. */
static void close_request(struct request *req)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	gint64 until = g_get_monotonic_time() + ACK_TIMEOUT_USEC;

	while (!req->handle && !req->done && g_get_monotonic_time() < until) {
		int r = sd_bus_process(req->bus, NULL);

		if (r < 0)
			return;
		if (r == 0 && sd_bus_wait(req->bus, POLL_USEC) < 0)
			return;
	}
	if (!req->handle || req->done)
		return;
	if (sd_bus_message_new_method_call(req->bus, &m, PORTAL_BUS_NAME, req->handle,
					   REQUEST_IFACE, "Close") < 0)
		return;
	/* Its answer tells us the portal got it before the connection closes. */
	(void)sd_bus_call(req->bus, m, ACK_TIMEOUT_USEC, NULL, NULL);
}

static int choose(const struct portal_file_options *o, bool directory, GCancellable *cancel,
		  char **ret_path, char **ret_message)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(request_clear) struct request req = { 0 };
	g_autofree char *token = NULL;
	g_autofree char *path = NULL;
	const char *unique_name;
	int r;

	if (g_cancellable_is_cancelled(cancel))
		return PORTAL_E_CANCELLED;

	r = sd_bus_open_user(&bus);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		finish(&req, PORTAL_E_UNAVAILABLE, "no session bus: %s", g_strerror(-r));
		goto out;
	}
	req.bus = bus;
	r = sd_bus_get_unique_name(bus, &unique_name);
	if (r < 0) {
		finish(&req, PORTAL_E_UNAVAILABLE, "the session bus does not answer: %s",
		       g_strerror(-r));
		goto out;
	}

	/* Subscribe before asking, so that even an immediate answer is heard. */
	token = g_strdup_printf("qoltanba_%08x%08x", g_random_int(), g_random_int());
	path = request_path(unique_name, token);
	r = subscribe(&req, path);
	if (r < 0) {
		finish(&req, PORTAL_E_UNAVAILABLE, "cannot subscribe to portal responses: %s",
		       g_strerror(-r));
		goto out;
	}

	r = sd_bus_message_new_method_call(bus, &m, PORTAL_BUS_NAME, PORTAL_OBJECT,
					   FILE_CHOOSER_IFACE, "OpenFile");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", "", o->title ? o->title : "");
	if (r >= 0)
		r = append_options(m, o, directory, token);
	if (r < 0)
		return r;
	/* The default timeout leaves room for the portal's activation. */
	r = sd_bus_call_async(bus, &req.call, m, on_open_file_reply, &req, 0);
	if (r < 0) {
		finish(&req, PORTAL_E_UNAVAILABLE, "cannot call the portal: %s", g_strerror(-r));
		goto out;
	}

	while (!req.done) {
		if (g_cancellable_is_cancelled(cancel)) {
			close_request(&req);
			return PORTAL_E_CANCELLED;
		}
		/* Old portals ignore handle_token: follow the path they
		 * return (their Response can only come after it). */
		if (req.handle && strcmp(req.handle, req.expected) != 0) {
			r = subscribe(&req, req.handle);
			if (r < 0) {
				finish(&req, PORTAL_E_UNAVAILABLE,
				       "cannot subscribe to portal responses: %s", g_strerror(-r));
				break;
			}
		}
		r = sd_bus_process(bus, NULL);
		if (r < 0) {
			finish(&req, PORTAL_E_UNAVAILABLE, "lost the session bus: %s",
			       g_strerror(-r));
			break;
		}
		if (r > 0)
			continue;
		r = sd_bus_wait(bus, POLL_USEC);
		if (r < 0 && r != -EINTR) {
			finish(&req, PORTAL_E_UNAVAILABLE, "lost the session bus: %s",
			       g_strerror(-r));
			break;
		}
	}

out:
	if (req.result == 0) {
		*ret_path = TAKE_PTR(req.chosen);
		return 0;
	}
	if (ret_message && req.message)
		*ret_message = TAKE_PTR(req.message);
	return req.result;
}

int portal_open_file(const struct portal_file_options *o, GCancellable *cancel, char **ret_path,
		     char **ret_message)
{
	return choose(o, false, cancel, ret_path, ret_message);
}

int portal_choose_folder(const struct portal_file_options *o, GCancellable *cancel, char **ret_path,
			 char **ret_message)
{
	return choose(o, true, cancel, ret_path, ret_message);
}
