#include "daemon/status.h"

#include <glib.h>
#include <string.h>

struct status {
	GMainContext *context;
	unsigned connections;
	GQueue requests; /* char *: origins of the requests being served, oldest first */
	GQueue dialogs;  /* char *: origins of the open dialogs, oldest first */
	GQueue previews; /* char *: origins of the open camera previews, oldest first */
	bool camera;
	bool failed;     /* the last answer was an error */
	char *last_error;
	unsigned pending;
	status_observer_fn observer;
	void *observer_data;

	GMutex lock;    /* guards reports */
	GList *reports; /* GSource *: other threads' reports waiting for the loop */
};

/* What every property looked like before a change. */
struct snapshot {
	enum status_state state;
	unsigned connections;
	char *active_origin;
	char *last_error;
	unsigned pending;
};

static void snapshot_take(const struct status *st, struct snapshot *s)
{
	*s = (struct snapshot){
		.state = status_get_state(st),
		.connections = st->connections,
		.active_origin = g_strdup(status_get_active_origin(st)),
		.last_error = g_strdup(status_get_last_error(st)),
		.pending = st->pending,
	};
}

/* Tell the observer what differs from s, and forget s. */
static void changed_since(struct status *st, struct snapshot *s)
{
	unsigned changes = 0;

	if (s->state != status_get_state(st))
		changes |= STATUS_CHANGE_STATE;
	if (s->connections != st->connections)
		changes |= STATUS_CHANGE_CONNECTIONS;
	if (strcmp(s->active_origin, status_get_active_origin(st)) != 0)
		changes |= STATUS_CHANGE_ACTIVE_ORIGIN;
	if (strcmp(s->last_error, status_get_last_error(st)) != 0)
		changes |= STATUS_CHANGE_LAST_ERROR;
	if (s->pending != st->pending)
		changes |= STATUS_CHANGE_PENDING;
	g_free(s->active_origin);
	g_free(s->last_error);
	if (changes && st->observer)
		st->observer(st, changes, st->observer_data);
}

/* Origins and errors go to D-Bus, which takes valid UTF-8 only. */
static char *origin_text(const char *origin)
{
	return origin ? g_utf8_make_valid(origin, -1) : g_strdup(STATUS_NO_ORIGIN);
}

/* error as valid UTF-8 of at most STATUS_ERROR_MAX bytes: a longer one
 * is cut after a whole character and ends with "…". */
static char *error_text(const char *error)
{
	char *s = g_utf8_make_valid(error, -1);
	char *end;

	if (strlen(s) <= STATUS_ERROR_MAX)
		return s;
	end = g_utf8_find_prev_char(s, s + STATUS_ERROR_MAX - strlen("…") + 1);
	memcpy(end, "…", sizeof("…"));
	return s;
}

/* Remove the oldest entry equal to text. */
static void queue_remove(GQueue *q, const char *text)
{
	for (GList *l = q->head; l; l = l->next) {
		if (strcmp(l->data, text) == 0) {
			g_free(l->data);
			g_queue_delete_link(q, l);
			return;
		}
	}
}

struct status *status_new(void)
{
	struct status *st = g_new0(struct status, 1);

	st->context = g_main_context_ref_thread_default();
	g_queue_init(&st->requests);
	g_queue_init(&st->dialogs);
	g_queue_init(&st->previews);
	g_mutex_init(&st->lock);
	return st;
}

struct status *status_free(struct status *st)
{
	GList *waiting;

	if (!st)
		return NULL;
	/* No other thread reports any more: the reports still waiting are
	 * dropped (report_free() runs for each). */
	g_mutex_lock(&st->lock);
	waiting = g_steal_pointer(&st->reports);
	g_mutex_unlock(&st->lock);
	for (GList *l = waiting; l; l = l->next)
		g_source_destroy(l->data);
	g_list_free(waiting);
	g_queue_clear_full(&st->requests, g_free);
	g_queue_clear_full(&st->dialogs, g_free);
	g_queue_clear_full(&st->previews, g_free);
	g_free(st->last_error);
	g_main_context_unref(st->context);
	g_mutex_clear(&st->lock);
	g_free(st);
	return NULL;
}

void status_set_observer(struct status *st, status_observer_fn fn, void *data)
{
	st->observer = fn;
	st->observer_data = data;
}

void status_connection_opened(struct status *st)
{
	struct snapshot s;

	snapshot_take(st, &s);
	st->connections++;
	changed_since(st, &s);
}

void status_connection_closed(struct status *st)
{
	struct snapshot s;

	if (st->connections == 0)
		return;
	snapshot_take(st, &s);
	st->connections--;
	changed_since(st, &s);
}

void status_request_started(struct status *st, const char *origin)
{
	struct snapshot s;

	snapshot_take(st, &s);
	g_queue_push_tail(&st->requests, origin_text(origin));
	st->failed = false;
	changed_since(st, &s);
}

void status_request_finished(struct status *st, const char *origin, const char *error)
{
	g_autofree char *text = origin_text(origin);
	struct snapshot s;

	snapshot_take(st, &s);
	queue_remove(&st->requests, text);
	st->failed = error != NULL;
	if (error) {
		g_free(st->last_error);
		st->last_error = error_text(error);
	}
	changed_since(st, &s);
}

void status_preview(struct status *st, bool open, const char *origin)
{
	g_autofree char *text = origin_text(origin);
	struct snapshot s;

	snapshot_take(st, &s);
	if (open)
		g_queue_push_tail(&st->previews, g_steal_pointer(&text));
	else
		queue_remove(&st->previews, text);
	changed_since(st, &s);
}

void status_set_pending(struct status *st, unsigned n)
{
	struct snapshot s;

	snapshot_take(st, &s);
	st->pending = n;
	changed_since(st, &s);
}

/* --- reports from other threads ------------------------------------------
 * An idle source on status's context rather than g_main_context_invoke():
 * once the loop has stopped, invoke() would let a worker take the free
 * context and run the report on the worker's own thread. */

enum report_kind {
	REPORT_DIALOG_OPEN,
	REPORT_DIALOG_CLOSE,
	REPORT_CAMERA_ON,
	REPORT_CAMERA_OFF,
};

struct report {
	struct status *st;
	GSource *source;
	enum report_kind kind;
	char *origin; /* origin_text() for dialogs */
};

static void report_free(gpointer data)
{
	struct report *r = data;

	g_mutex_lock(&r->st->lock);
	r->st->reports = g_list_remove(r->st->reports, r->source);
	g_mutex_unlock(&r->st->lock);
	g_free(r->origin);
	g_free(r);
}

static gboolean report_deliver(gpointer data)
{
	struct report *r = data;
	struct status *st = r->st;
	struct snapshot s;

	snapshot_take(st, &s);
	switch (r->kind) {
	case REPORT_DIALOG_OPEN:
		g_queue_push_tail(&st->dialogs, g_steal_pointer(&r->origin));
		break;
	case REPORT_DIALOG_CLOSE:
		queue_remove(&st->dialogs, r->origin);
		break;
	case REPORT_CAMERA_ON:
		st->camera = true;
		break;
	case REPORT_CAMERA_OFF:
		st->camera = false;
		break;
	}
	changed_since(st, &s);
	return G_SOURCE_REMOVE;
}

static void report(struct status *st, enum report_kind kind, char *origin)
{
	struct report *r = g_new0(struct report, 1);
	GSource *source = g_idle_source_new();

	r->st = st;
	r->kind = kind;
	r->origin = origin;
	r->source = source;
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, report_deliver, r, report_free);
	g_mutex_lock(&st->lock);
	st->reports = g_list_prepend(st->reports, source);
	g_source_attach(source, st->context);
	g_mutex_unlock(&st->lock);
	/* The context holds it now; the loop may already have delivered it
	 * and freed r (report_free()). */
	g_source_unref(source);
}

void status_dialog(struct status *st, bool open, const char *origin)
{
	report(st, open ? REPORT_DIALOG_OPEN : REPORT_DIALOG_CLOSE, origin_text(origin));
}

void status_camera(struct status *st, bool on)
{
	report(st, on ? REPORT_CAMERA_ON : REPORT_CAMERA_OFF, NULL);
}

/* --- reading -------------------------------------------------------------- */

enum status_state status_get_state(const struct status *st)
{
	if (st->camera)
		return STATUS_STATE_CAMERA;
	if (st->dialogs.head)
		return STATUS_STATE_PROMPTING;
	if (st->requests.head)
		return STATUS_STATE_BUSY;
	if (st->failed)
		return STATUS_STATE_ERROR;
	return STATUS_STATE_IDLE;
}

const char *status_state_name(enum status_state state)
{
	switch (state) {
	case STATUS_STATE_IDLE:
		return "idle";
	case STATUS_STATE_BUSY:
		return "busy";
	case STATUS_STATE_PROMPTING:
		return "prompting";
	case STATUS_STATE_CAMERA:
		return "camera";
	case STATUS_STATE_ERROR:
		return "error";
	}
	return "idle";
}

unsigned status_get_connections(const struct status *st)
{
	return st->connections;
}

const char *status_get_active_origin(const struct status *st)
{
	if (st->dialogs.head)
		return st->dialogs.head->data;
	if (st->requests.head)
		return st->requests.head->data;
	if (st->previews.head)
		return st->previews.head->data;
	return "";
}

const char *status_get_last_error(const struct status *st)
{
	return st->last_error ? st->last_error : "";
}

unsigned status_get_pending(const struct status *st)
{
	return st->pending;
}
