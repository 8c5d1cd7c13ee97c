/* kz.qoltanba.camera: the webcam for remote identification (our
 * extension, PROTOCOL.md "Module kz.qoltanba.camera"), and the live
 * preview on its own WebSocket path.
 *
 * The camera is asked for only after the user allowed the page
 * (consent.h: a pinentry confirmation, remembered). GStreamer starts with
 * the first camera request, not with the daemon. Stills and clips are
 * taken on worker threads and go to the page as base64; nothing is
 * written to disk. Preview frames arrive on GStreamer's threads; only the
 * newest waiting frame is kept and handed to the server on the main
 * loop, so a GStreamer thread never touches libwebsockets. */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "daemon/camera/camera.h"
#include "daemon/ops/work.h"
#include "daemon/status.h"
#include "daemon/ui/consent.h"
#include "util/cleanup.h"
#include "util/log.h"

DEFINE_POINTER_CLEANUP(prompter_free, struct prompter)
DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)

static void on_camera_active(bool on, void *data)
{
	log_notice("camera %s", on ? "on" : "off");
	if (data)
		status_camera(data, on);
}

void ops_camera_watch(struct status *st)
{
	camera_set_active_hook(on_camera_active, st);
	if (st && camera_active())
		status_camera(st, true);
}

/* GStreamer is set up with the first camera request. */
static int camera_ready(const struct config *cfg, char **ret_message)
{
	const struct camera_options o = {
		.source = cfg->camera_test_source ? CAMERA_SOURCE_TEST : CAMERA_SOURCE_AUTO,
		.device = cfg->camera_device,
		.fail_after_frames = cfg->camera_fail_after,
	};
	return camera_setup(&o, ret_message);
}

/* A camera error as the answer. */
static char *camera_error(struct ops_work *w, int r, const char *message)
{
	switch (r) {
	case CAMERA_E_NO_DEVICE:
		return proto_reply_error(w->req, PROTO_ERROR_CAMERA_NONE,
					 message ? message : "no camera is connected");
	case CAMERA_E_BUSY:
		return proto_reply_error(w->req, PROTO_ERROR_CAMERA_BUSY, message);
	case CAMERA_E_UNSUPPORTED:
		return proto_reply_error(w->req, PROTO_ERROR_CAMERA_UNSUPPORTED, message);
	case CAMERA_E_LOST:
		return proto_reply_error(w->req, PROTO_ERROR_CAMERA_LOST, message);
	case CAMERA_E_CANCELLED:
		return proto_reply_error(w->req, PROTO_ERROR_CANCELLED, NULL);
	case CAMERA_E_FAILED:
	case CAMERA_E_UNAVAILABLE:
		log_error("camera: %s", message ? message : "failed");
		return proto_reply_error(w->req, PROTO_ERROR_CAMERA_FAILED, message);
	default:
		log_error("camera: %s", r < 0 ? g_strerror(-r) : "failed");
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	}
}

/* Has the user allowed this page the camera? Asks once and remembers an
 * "Allow". 0, or PROMPTER_E_CANCELLED (refused), PROMPTER_E_UI (with
 * *ret_message), a negative errno. Blocks (pinentry): workers only. */
static int ask_consent(const struct config *cfg, const char *origin, const char *locale,
		       GCancellable *cancel, char **ret_message)
{
	_cleanup_(prompter_freep) struct prompter *p = NULL;
	int r;

	if (consent_allowed(cfg->state_dir, origin))
		return 0;
	p = prompter_new(cfg, origin, locale, cancel);
	r = prompter_confirm_camera(p, ret_message);
	if (r != 0)
		return r;
	r = consent_allow(cfg->state_dir, origin);
	if (r < 0)
		log_error("camera consent for %s cannot be kept: %s", origin ? origin : "(no origin)",
			  g_strerror(-r));
	log_notice("camera allowed for %s", origin ? origin : "(no origin)");
	return 0;
}

/* ask_consent() for a request: NULL, or the answer to send. */
static char *check_consent(struct ops_work *w)
{
	g_autofree char *message = NULL;
	int r = ask_consent(w->env->cfg, w->origin, w->locale, w->cancel, &message);

	switch (r) {
	case 0:
		return NULL;
	case PROMPTER_E_CANCELLED:
		return proto_reply_error(w->req, PROTO_ERROR_CAMERA_DENIED, w->origin);
	case PROMPTER_E_UI:
		return proto_reply_error(w->req, PROTO_ERROR_UI_UNAVAILABLE, message);
	default:
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	}
}

static char *base64(const uint8_t *data, size_t len)
{
	return g_base64_encode(data, len);
}

static char *ms_text(gint64 us)
{
	return g_strdup_printf("%" G_GINT64_FORMAT, us / 1000);
}

static char *work_list(struct ops_work *w)
{
	_cleanup_(json_object_putp) struct json_object *list = json_object_new_array();
	g_autofree char *message = NULL;
	struct camera_device *v = NULL;
	size_t n = 0;
	int r = camera_list(&v, &n, &message);

	if (r != 0)
		return camera_error(w, r, message);
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_new_object(), *modes = json_object_new_array();

		for (size_t j = 0; j < v[i].n_modes; j++) {
			const struct camera_mode *m = &v[i].modes[j];
			struct json_object *mo = json_object_new_object();

			json_object_object_add(mo, "width", json_object_new_int((int)m->width));
			json_object_object_add(mo, "height", json_object_new_int((int)m->height));
			json_object_object_add(mo, "fps",
					       json_object_new_int(m->fps_den
									   ? (int)(m->fps_num / m->fps_den)
									   : 0));
			json_object_array_add(modes, mo);
		}
		json_object_object_add(d, "id", json_object_new_string(v[i].id));
		json_object_object_add(d, "name", json_object_new_string(v[i].name));
		json_object_object_add(d, "modes", modes);
		json_object_array_add(list, d);
	}
	camera_devices_free(v, n);
	return proto_reply_invoker_ok(w->req, list);
}

static const char *const purpose_names[] = {
	[PROTO_CAMERA_PURPOSE_SELFIE] = "selfie",
	[PROTO_CAMERA_PURPOSE_DOCUMENT_FRONT] = "document-front",
	[PROTO_CAMERA_PURPOSE_DOCUMENT_BACK] = "document-back",
};

static char *work_capture(struct ops_work *w, const struct proto_camera_args *a)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	g_autofree char *message = NULL, *b64 = NULL, *time = NULL;
	struct camera_still still = {};
	int r;

	r = camera_capture(a->device, a->width, a->height, w->cancel, &still, &message);
	if (r != 0)
		return camera_error(w, r, message);
	b64 = base64(still.jpeg, still.len);
	time = ms_text(still.time_us);
	json_object_object_add(o, "image", json_object_new_string(b64));
	json_object_object_add(o, "mimeType", json_object_new_string("image/jpeg"));
	json_object_object_add(o, "width", json_object_new_int((int)still.width));
	json_object_object_add(o, "height", json_object_new_int((int)still.height));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)still.len));
	json_object_object_add(o, "time", json_object_new_string(time));
	json_object_object_add(o, "purpose", json_object_new_string(purpose_names[a->purpose]));
	camera_still_clear(&still);
	return proto_reply_invoker_ok(w->req, o);
}

static char *work_record(struct ops_work *w, const struct proto_camera_args *a)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	g_autofree char *message = NULL, *b64 = NULL;
	struct camera_clip clip = {};
	int r;

	r = camera_record(a->device, a->seconds, a->width, a->height, a->fps, w->cancel, &clip,
			  &message);
	if (r != 0)
		return camera_error(w, r, message);
	b64 = base64(clip.webm, clip.len);
	json_object_object_add(o, "video", json_object_new_string(b64));
	json_object_object_add(o, "mimeType", json_object_new_string("video/webm"));
	json_object_object_add(o, "width", json_object_new_int((int)clip.width));
	json_object_object_add(o, "height", json_object_new_int((int)clip.height));
	json_object_object_add(o, "fps", json_object_new_int((int)clip.fps));
	json_object_object_add(o, "frames", json_object_new_int((int)clip.frames));
	json_object_object_add(o, "duration",
			       json_object_new_int64(clip.duration_ns / 1000000));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)clip.len));
	camera_clip_clear(&clip);
	return proto_reply_invoker_ok(w->req, o);
}

static char *work_revoke(struct ops_work *w)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	bool was = false;
	int r = consent_revoke(w->env->cfg->state_dir, w->origin, &was);

	if (r < 0) {
		log_error("camera consent: %s", g_strerror(-r));
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, "the answer cannot be changed");
	}
	if (was)
		log_notice("camera consent revoked for %s", w->origin ? w->origin : "(no origin)");
	json_object_object_add(o, "revoked", json_object_new_boolean(was));
	return proto_reply_invoker_ok(w->req, o);
}

char *ops_camera_work(struct ops_work *w)
{
	const struct config *cfg = w->env->cfg;
	struct proto_camera_args a = {};
	g_autofree char *message = NULL;
	char *reply;
	int r;

	if (w->req->method == PROTO_METHOD_CAMERA_REVOKE_CONSENT)
		return work_revoke(w);
	if ((w->req->method == PROTO_METHOD_CAMERA_CAPTURE ||
	     w->req->method == PROTO_METHOD_CAMERA_RECORD) &&
	    proto_camera_args_get(w->req, &a) < 0)
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	reply = check_consent(w);
	if (reply)
		return reply;
	r = camera_ready(cfg, &message);
	if (r != 0)
		return camera_error(w, r, message);
	switch (w->req->method) {
	case PROTO_METHOD_CAMERA_LIST_DEVICES:
		return work_list(w);
	case PROTO_METHOD_CAMERA_CAPTURE:
		return work_capture(w, &a);
	case PROTO_METHOD_CAMERA_RECORD:
		return work_record(w, &a);
	default:
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	}
}

/* status answers on the main loop: it neither prompts nor starts
 * GStreamer. */
char *ops_camera_serve(const struct ops_env *env, struct ops_session *session,
		       const struct proto_request *req)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	(void)session;
	if (req->method != PROTO_METHOD_CAMERA_STATUS)
		return proto_reply_error(req, PROTO_ERROR_INTERNAL, NULL);
	json_object_object_add(o, "cameraOn", json_object_new_boolean(camera_active()));
	json_object_object_add(o, "testSource", json_object_new_boolean(env->cfg->camera_test_source));
	return proto_reply_invoker_ok(req, o);
}

/* --- the live preview -------------------------------------------------- */

struct ops_preview {
	gatomicrefcount refs;
	const struct config *cfg;
	char *origin;
	char locale[8];
	char device[257];
	struct proto_camera_args args;
	ops_preview_frame_fn frame_fn;
	ops_preview_end_fn end_fn;
	void *data;
	GCancellable *cancel;

	GMutex lock;            /* guards what follows */
	bool closed;            /* ops_preview_close() ran: no callback any more */
	GBytes *latest;         /* the newest frame not yet handed on */
	bool delivery_queued;   /* an idle source will hand it on */
	struct camera_preview *camera;
};

static struct ops_preview *preview_ref(struct ops_preview *p)
{
	g_atomic_ref_count_inc(&p->refs);
	return p;
}

static void preview_unref(struct ops_preview *p)
{
	if (!g_atomic_ref_count_dec(&p->refs))
		return;
	g_clear_pointer(&p->latest, g_bytes_unref);
	g_clear_object(&p->cancel);
	g_mutex_clear(&p->lock);
	g_free(p->origin);
	g_free(p);
}

/* Main loop: hand the newest frame to the server. */
static gboolean deliver_frame(gpointer data)
{
	struct ops_preview *p = data;
	GBytes *frame;
	bool closed;

	g_mutex_lock(&p->lock);
	frame = g_steal_pointer(&p->latest);
	p->delivery_queued = false;
	closed = p->closed;
	g_mutex_unlock(&p->lock);
	if (frame && !closed)
		p->frame_fn(frame, p->data);
	if (frame)
		g_bytes_unref(frame);
	return G_SOURCE_REMOVE;
}

/* GStreamer thread: keep the newest frame; a frame the server has not
 * taken yet is replaced (a slow page gets fewer frames, not a backlog). */
static void on_frame(const uint8_t *jpeg, size_t len, void *data)
{
	struct ops_preview *p = data;
	GBytes *frame = g_bytes_new(jpeg, len);
	bool queue;

	g_mutex_lock(&p->lock);
	if (p->latest)
		g_bytes_unref(p->latest);
	p->latest = frame;
	queue = !p->delivery_queued && !p->closed;
	p->delivery_queued |= queue;
	g_mutex_unlock(&p->lock);
	if (queue)
		g_idle_add_full(G_PRIORITY_DEFAULT, deliver_frame, preview_ref(p),
				(GDestroyNotify)preview_unref);
}

struct preview_end {
	struct ops_preview *p;
	uint16_t status;
	char *reason;
};

static gboolean deliver_end(gpointer data)
{
	struct preview_end *e = data;
	bool closed;

	g_mutex_lock(&e->p->lock);
	closed = e->p->closed;
	g_mutex_unlock(&e->p->lock);
	if (!closed)
		e->p->end_fn(e->status, e->reason, e->p->data);
	preview_unref(e->p);
	g_free(e->reason);
	g_free(e);
	return G_SOURCE_REMOVE;
}

/* From any thread: end the page's preview with a close code and reason. */
static void preview_end(struct ops_preview *p, uint16_t status, const char *reason)
{
	struct preview_end *e = g_new0(struct preview_end, 1);

	e->p = preview_ref(p);
	e->status = status;
	/* A WebSocket close reason holds at most 123 bytes. */
	e->reason = g_utf8_make_valid(reason, MIN(strlen(reason), 120));
	g_idle_add(deliver_end, e);
}

static void on_end(int error, const char *message, void *data)
{
	struct ops_preview *p = data;
	g_autofree char *reason = g_strdup_printf(
		"%s: %s", error == CAMERA_E_LOST ? "camera.lost" : "camera.failed",
		message ? message : "the camera stopped");

	preview_end(p, error == CAMERA_E_LOST ? OPS_PREVIEW_CLOSE_LOST : OPS_PREVIEW_CLOSE_FAILED,
		    reason);
}

/* The close code and reason for a camera error at start. */
static void preview_start_error(struct ops_preview *p, int r, const char *message)
{
	g_autofree char *reason = NULL;

	switch (r) {
	case CAMERA_E_NO_DEVICE:
		reason = g_strdup_printf("camera.none: %s", message ? message : "no camera");
		preview_end(p, OPS_PREVIEW_CLOSE_NO_CAMERA, reason);
		return;
	case CAMERA_E_BUSY:
		reason = g_strdup_printf("camera.busy: %s", message ? message : "in use");
		preview_end(p, OPS_PREVIEW_CLOSE_BUSY, reason);
		return;
	case CAMERA_E_UNSUPPORTED:
		reason = g_strdup_printf("camera.unsupported: %s", message ? message : "");
		preview_end(p, OPS_PREVIEW_CLOSE_INVALID, reason);
		return;
	default:
		reason = g_strdup_printf("camera.failed: %s", message ? message : "");
		preview_end(p, OPS_PREVIEW_CLOSE_FAILED, reason);
		return;
	}
}

/* Worker: consent (may prompt), then the pipeline. */
static void preview_thread(GTask *task, gpointer source, gpointer data, GCancellable *unused)
{
	struct ops_preview *p = data;
	g_autofree char *message = NULL;
	struct camera_preview *camera = NULL;
	int r;

	(void)source;
	(void)unused;
	r = ask_consent(p->cfg, p->origin, p->locale, p->cancel, &message);
	if (r != 0) {
		preview_end(p, OPS_PREVIEW_CLOSE_DENIED,
			    r == PROMPTER_E_CANCELLED
				    ? "camera.denied: the user did not allow this page the camera"
				    : "ui.unavailable: the user cannot be asked");
		g_task_return_boolean(task, TRUE);
		return;
	}
	g_clear_pointer(&message, g_free);
	r = camera_ready(p->cfg, &message);
	if (r == 0)
		r = camera_preview_start(p->args.device, p->args.width, p->args.height, p->args.fps,
					 on_frame, on_end, p, &camera, &message);
	if (r != 0) {
		preview_start_error(p, r, message);
		g_task_return_boolean(task, TRUE);
		return;
	}
	g_mutex_lock(&p->lock);
	if (p->closed) {
		/* The page left while the camera started. */
		g_mutex_unlock(&p->lock);
		camera_preview_stop(camera);
	} else {
		p->camera = camera;
		g_mutex_unlock(&p->lock);
	}
	g_task_return_boolean(task, TRUE);
}

static void preview_task_done(GObject *source, GAsyncResult *result, gpointer data)
{
	(void)source;
	(void)result;
	(void)data;
	ops_task_end();
}

struct ops_preview *ops_preview_open(const struct ops_env *env, const struct ops_session *session,
				     const char *query, ops_preview_frame_fn frame_fn,
				     ops_preview_end_fn end_fn, void *data)
{
	struct ops_preview *p = g_new0(struct ops_preview, 1);
	const char *why;
	GTask *task;

	g_atomic_ref_count_init(&p->refs);
	g_mutex_init(&p->lock);
	p->cfg = env->cfg;
	p->origin = g_strdup(session->origin);
	g_strlcpy(p->locale, session->locale, sizeof(p->locale));
	p->frame_fn = frame_fn;
	p->end_fn = end_fn;
	p->data = data;
	p->cancel = g_cancellable_new();
	why = proto_camera_preview_query(query, p->device, sizeof(p->device), &p->args);
	if (why) {
		g_autofree char *reason = g_strdup_printf("camera.invalid: %s", why);

		preview_end(p, OPS_PREVIEW_CLOSE_INVALID, reason);
		return p;
	}
	task = g_task_new(NULL, NULL, preview_task_done, NULL);
	g_task_set_task_data(task, preview_ref(p), (GDestroyNotify)preview_unref);
	ops_task_begin();
	g_task_run_in_thread(task, preview_thread);
	g_object_unref(task);
	return p;
}

void ops_preview_close(struct ops_preview *p)
{
	struct camera_preview *camera;

	if (!p)
		return;
	g_mutex_lock(&p->lock);
	p->closed = true;
	camera = g_steal_pointer(&p->camera);
	g_mutex_unlock(&p->lock);
	/* A consent prompt still open is closed. */
	g_cancellable_cancel(p->cancel);
	if (camera)
		camera_preview_stop(camera);
	preview_unref(p);
}
