#include "daemon/ops/ops.h"

#include <gio/gio.h>
#include <stdlib.h>

#include "daemon/camera/camera.h"
#include "daemon/keystore/pending.h"
#include "daemon/ops/work.h"
#include "daemon/status.h"
#include "daemon/ui/prompter.h"
#include "util/log.h"

struct ops_call {
	char *reply;
	ops_reply_fn reply_fn; /* NULL once cancelled */
	void *userdata;
	guint timeout_id;
	GCancellable *cancel;  /* set while a worker serves the call */
	unsigned delay_ms;
};

/* Tasks on workers and when the last one ended (main loop only). */
static unsigned tasks_running;
static gint64 tasks_ended_at;

void ops_task_begin(void)
{
	tasks_running++;
}

void ops_task_end(void)
{
	g_assert(tasks_running > 0);
	tasks_running--;
	tasks_ended_at = g_get_monotonic_time();
}

bool ops_idle(gint64 *ret_since)
{
	if (tasks_running > 0 || camera_active())
		return false;
	*ret_since = tasks_ended_at;
	return true;
}

static gboolean call_deliver(gpointer data)
{
	struct ops_call *call = data;

	call->timeout_id = 0;
	call->reply_fn(call->reply, call->userdata);
	g_clear_object(&call->cancel);
	g_free(call);
	return G_SOURCE_REMOVE;
}

/* Hand the answer over, after [testing] response-delay-ms if set. */
static void call_finish(struct ops_call *call, char *reply)
{
	call->reply = reply;
	if (call->delay_ms == 0) {
		call_deliver(call);
		return;
	}
	/* The delay lets the session rules be exercised as if a long
	 * signing dialog were open. */
	call->timeout_id = g_timeout_add(call->delay_ms, call_deliver, call);
}

char *ops_reply_unavailable(const struct proto_request *req)
{
	return proto_reply_error(req, PROTO_ERROR_UNAVAILABLE,
				 "this release of Qoltanba does not serve this method");
}

void ops_call_cancel(struct ops_call *call)
{
	if (!call)
		return;
	if (call->cancel) {
		/* A worker has it: stop its prompts; the completion frees
		 * the call and drops the answer. */
		call->reply_fn = NULL;
		g_cancellable_cancel(call->cancel);
		return;
	}
	if (call->timeout_id)
		g_source_remove(call->timeout_id);
	free(call->reply);
	g_free(call);
}

static void work_free(struct ops_work *w)
{
	proto_request_free(w->req);
	g_free(w->origin);
	g_clear_object(&w->cancel);
	g_free(w);
}

static void work_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	struct ops_work *w = data;
	char *reply;

	if (w->req->module == PROTO_MODULE_BASICS)
		reply = ops_basics_work(w);
	else if (w->req->module == PROTO_MODULE_CAMERA)
		reply = ops_camera_work(w);
	else
		reply = ops_commonutils_work(w);
	g_task_return_pointer(task, reply, free);
}

/* The number of pending key requests, for the status. Main loop. */
static void count_pending(const struct ops_env *env)
{
	g_autofree char *dir = ops_enroll_pending_dir(env->cfg);
	size_t n = 0;
	int r = pending_count(dir, &n);

	if (r < 0) {
		log_warning("cannot count the pending key requests in %s: %s", dir, g_strerror(-r));
		return;
	}
	status_set_pending(env->status, (unsigned)MIN(n, G_MAXUINT));
}

static bool changes_pending(enum proto_method method)
{
	return method == PROTO_METHOD_BASICS_GENERATE_CSR ||
	       method == PROTO_METHOD_BASICS_IMPORT_CERTIFICATE ||
	       method == PROTO_METHOD_BASICS_CANCEL_REQUEST;
}

static void on_dialog(bool open, const char *origin, void *data)
{
	status_dialog(data, open, origin);
}

void ops_env_set_status(struct ops_env *env, struct status *st)
{
	env->status = st;
	ops_camera_watch(st);
	prompter_set_dialog_hook(st ? on_dialog : NULL, st);
	if (st)
		count_pending(env);
}

static void work_done(GObject *source, GAsyncResult *result, gpointer data)
{
	struct ops_call *call = data;
	struct ops_work *w = g_task_get_task_data(G_TASK(result));
	char *reply = g_task_propagate_pointer(G_TASK(result), NULL);

	ops_task_end();
	log_debug("%s %s answered", w->origin ? w->origin : "(no origin)",
		  w->req->method_name ? w->req->method_name : "?");
	if (w->env->status && changes_pending(w->req->method))
		count_pending(w->env);
	if (!call->reply_fn) {
		/* The connection went away meanwhile. */
		free(reply);
		g_clear_object(&call->cancel);
		g_free(call);
		return;
	}
	g_clear_object(&call->cancel);
	call_finish(call, reply);
}

struct ops_call *ops_serve(const struct ops_env *env, struct ops_session *session,
			   struct proto_request *req, ops_reply_fn reply_fn, void *userdata)
{
	struct ops_call *call = g_new0(struct ops_call, 1);
	char *reply = NULL;

	*call = (struct ops_call){
		.reply_fn = reply_fn,
		.userdata = userdata,
		.delay_ms = env->cfg->response_delay_ms,
	};

	if (ops_method_needs_worker(env, req->method)) {
		struct ops_work *w = g_new0(struct ops_work, 1);
		GTask *task;

		*w = (struct ops_work){
			.env = env,
			.req = req,
			.origin = g_strdup(session->origin),
			.cancel = g_cancellable_new(),
		};
		g_strlcpy(w->locale, session->locale, sizeof(w->locale));
		call->cancel = g_object_ref(w->cancel);
		/* The task's own cancellable stays NULL: a cancelled call
		 * still completes, so that its work item is freed. */
		task = g_task_new(NULL, NULL, work_done, call);
		g_task_set_task_data(task, w, (GDestroyNotify)work_free);
		ops_task_begin();
		g_task_run_in_thread(task, work_thread);
		g_object_unref(task);
		return call;
	}

	switch (req->module) {
	case PROTO_MODULE_COMMON_UTILS:
		reply = ops_commonutils_serve(env, session, req);
		break;
	case PROTO_MODULE_CAMERA:
		reply = ops_camera_serve(env, session, req);
		break;
	case PROTO_MODULE_BASICS:
		/* Every basics method runs on a worker (ops_basics_work()). */
	case PROTO_MODULE_APPLET:
	case PROTO_MODULE_NONE:
		/* The protocol layer answers these itself (req->reply). */
		reply = proto_reply_error(req, PROTO_ERROR_INTERNAL, NULL);
		break;
	}
	log_debug("%s %s.%s answered", session->origin ? session->origin : "(no origin)",
		  proto_module_name(req->module),
		  req->method_name ? req->method_name : "?");
	proto_request_free(req);

	if (call->delay_ms == 0) {
		reply_fn(reply, userdata);
		g_free(call);
		return NULL;
	}
	call_finish(call, reply);
	return call;
}
