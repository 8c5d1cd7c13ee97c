/* preview: a live JPEG stream, and stills taken from it for captures that
 * share the device.
 *
 * Who tears down: camera_preview_stop(), or, when the stream ends by
 * itself, an "ender" thread the bus handler starts (a streaming thread
 * cannot set its own pipeline to NULL). p->lock decides which: the bus
 * handler starts the ender only if stop has not begun; stop joins the
 * ender if there is one, so a running end() finishes before stop returns,
 * and end() never starts after stop began. */
#include <errno.h>
#include <string.h>

#include <gst/app/gstappsink.h>

#include "daemon/camera/camera-private.h"

struct camera_preview {
	gint refs; /* the owner's, and one per capture waiting for a frame */
	GMutex lock;
	GCond cond; /* a new snap, the end, stop, a cancel */
	char *id;
	struct cam_pipeline pl;
	unsigned width, height, fps;
	camera_frame_fn frame;
	camera_end_fn end;
	void *data;

	gint stopping;       /* atomic: no more frame() calls */
	bool starting;       /* camera_preview_start() handles an early end */
	bool stopped;        /* camera_preview_stop() has begun */
	bool free_after_end; /* stopped from inside end() */
	int error;           /* why the stream ended, 0 while it runs */
	char *message;
	GThread *ender;

	/* stills for captures: only copied while someone waits */
	gint waiters;
	guint64 gen;
	GBytes *snap;
	gint64 snap_time;
};

struct camera_preview *cam_preview_ref(struct camera_preview *p)
{
	g_atomic_int_inc(&p->refs);
	return p;
}

void cam_preview_unref(struct camera_preview *p)
{
	if (!p || !g_atomic_int_dec_and_test(&p->refs))
		return;
	cam_pipeline_clear(&p->pl);
	g_free(p->id);
	g_free(p->message);
	if (p->snap)
		g_bytes_unref(p->snap);
	g_mutex_clear(&p->lock);
	g_cond_clear(&p->cond);
	g_free(p);
}

static GstFlowReturn on_sample(GstAppSink *sink, gpointer data)
{
	struct camera_preview *p = data;
	GstSample *sample = gst_app_sink_pull_sample(sink);
	GstBuffer *buf = sample ? gst_sample_get_buffer(sample) : NULL;
	GstMapInfo map;

	if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ)) {
		if (sample)
			gst_sample_unref(sample);
		return GST_FLOW_OK;
	}
	if (!g_atomic_int_get(&p->stopping))
		p->frame(map.data, map.size, p->data);
	if (g_atomic_int_get(&p->waiters) > 0) {
		GBytes *old, *snap = g_bytes_new(map.data, map.size);

		g_mutex_lock(&p->lock);
		old = p->snap;
		p->snap = snap;
		p->snap_time = g_get_real_time();
		p->gen++;
		g_cond_broadcast(&p->cond);
		g_mutex_unlock(&p->lock);
		if (old)
			g_bytes_unref(old);
	}
	gst_buffer_unmap(buf, &map);
	gst_sample_unref(sample);
	return GST_FLOW_OK;
}

static gpointer ender_main(gpointer data)
{
	struct camera_preview *p = data;
	bool call, free_it;

	cam_pipeline_clear(&p->pl);
	cam_release(p->id);
	g_mutex_lock(&p->lock);
	call = !p->stopped && p->end;
	g_mutex_unlock(&p->lock);
	if (call)
		p->end(p->error, p->message, p->data);
	g_mutex_lock(&p->lock);
	free_it = p->free_after_end;
	g_mutex_unlock(&p->lock);
	if (free_it) {
		/* stopped from inside end(): nobody joins this thread */
		g_thread_unref(p->ender);
		cam_preview_unref(p);
	}
	return NULL;
}

static GstBusSyncReply on_bus(GstBus *bus, GstMessage *m, gpointer data)
{
	struct camera_preview *p = data;
	char *message = NULL;
	int error;

	switch (GST_MESSAGE_TYPE(m)) {
	case GST_MESSAGE_ERROR:
		error = cam_error_from_message(&p->pl, m, &message);
		break;
	case GST_MESSAGE_EOS:
		error = CAMERA_E_LOST;
		message = g_strdup("the camera stream ended");
		break;
	default:
		return GST_BUS_DROP;
	}
	g_mutex_lock(&p->lock);
	if (p->error == 0 && !p->stopped) {
		p->error = error;
		p->message = g_steal_pointer(&message);
		g_atomic_int_set(&p->stopping, 1);
		g_cond_broadcast(&p->cond);
		if (!p->starting)
			p->ender = g_thread_new("camera-end", ender_main, p);
	}
	g_mutex_unlock(&p->lock);
	g_free(message);
	return GST_BUS_DROP;
}

int camera_preview_start(const char *device, unsigned width, unsigned height, unsigned fps,
			 camera_frame_fn frame, camera_end_fn end, void *data,
			 struct camera_preview **ret, char **ret_message)
{
	GstAppSinkCallbacks callbacks = { .new_sample = on_sample };
	struct camera_preview *p, *shared = NULL;
	struct cam_source s = { 0 };
	GstStateChangeReturn change;
	GstBus *bus;
	int r;

	if (!frame || !ret || fps == 0 || fps > CAMERA_MAX_FPS || (width == 0) != (height == 0) ||
	    width > CAMERA_MAX_WIDTH || height > CAMERA_MAX_HEIGHT)
		return -EINVAL;
	r = cam_source_open(device, &s, ret_message);
	if (r == 0)
		r = cam_source_size(&s, &width, &height, ret_message);
	if (r == 0)
		r = cam_check_elements(&s, CAM_CHAIN_JPEG, fps, ret_message);
	if (r != 0) {
		cam_source_clear(&s);
		return r;
	}
	p = g_new0(struct camera_preview, 1);
	p->refs = 1;
	g_mutex_init(&p->lock);
	g_cond_init(&p->cond);
	p->id = g_strdup(s.id);
	p->width = width;
	p->height = height;
	p->fps = fps;
	p->frame = frame;
	p->end = end;
	p->data = data;
	p->starting = true;
	r = cam_claim(s.id, CAM_USE_PREVIEW, width, height, p, &shared, ret_message);
	if (r != 0) {
		cam_source_clear(&s);
		cam_preview_unref(p);
		return r;
	}
	r = cam_pipeline_build(&p->pl, &s, CAM_CHAIN_JPEG, width, height, fps, -1, ret_message);
	cam_source_clear(&s);
	if (r != 0) {
		cam_release(p->id);
		cam_preview_unref(p);
		return r;
	}
	gst_app_sink_set_callbacks(GST_APP_SINK(p->pl.sink), &callbacks, p, NULL);
	bus = gst_element_get_bus(p->pl.pipeline);
	gst_bus_set_sync_handler(bus, on_bus, p, NULL);
	gst_object_unref(bus);

	change = gst_element_set_state(p->pl.pipeline, GST_STATE_PLAYING);
	g_mutex_lock(&p->lock);
	p->starting = false;
	r = p->error;
	if (r == 0 && change == GST_STATE_CHANGE_FAILURE) {
		r = CAMERA_E_FAILED;
		p->message = g_strdup("the camera pipeline does not start");
	}
	if (r != 0) {
		/* ended while starting: no ender; it is ours to undo */
		p->stopped = true;
		if (ret_message)
			*ret_message = g_strdup(p->message);
	}
	g_mutex_unlock(&p->lock);
	if (r != 0) {
		cam_pipeline_clear(&p->pl);
		cam_release(p->id);
		cam_preview_unref(p);
		return r;
	}
	*ret = p;
	return 0;
}

void camera_preview_stop(struct camera_preview *p)
{
	GThread *ender;

	if (!p)
		return;
	g_mutex_lock(&p->lock);
	p->stopped = true;
	g_atomic_int_set(&p->stopping, 1);
	g_cond_broadcast(&p->cond);
	ender = p->ender;
	if (ender == g_thread_self()) {
		p->free_after_end = true;
		g_mutex_unlock(&p->lock);
		return;
	}
	g_mutex_unlock(&p->lock);
	if (ender) {
		/* it tears down and releases; wait for a running end() */
		g_thread_join(ender);
	} else {
		/* joins the streaming thread: no frame() after this */
		cam_pipeline_clear(&p->pl);
		cam_release(p->id);
	}
	cam_preview_unref(p);
}

void camera_preview_get_mode(const struct camera_preview *p, unsigned *ret_width,
			     unsigned *ret_height, unsigned *ret_fps)
{
	if (ret_width)
		*ret_width = p->width;
	if (ret_height)
		*ret_height = p->height;
	if (ret_fps)
		*ret_fps = p->fps;
}

static void snap_cancelled(GCancellable *cancel, gpointer data)
{
	struct camera_preview *p = data;

	g_mutex_lock(&p->lock);
	g_cond_broadcast(&p->cond);
	g_mutex_unlock(&p->lock);
}

int cam_preview_snap(struct camera_preview *p, GCancellable *cancel, struct camera_still *ret,
		     char **ret_message)
{
	gint64 deadline = g_get_monotonic_time() + CAMERA_FRAME_TIMEOUT_S * G_TIME_SPAN_SECOND;
	GBytes *snap = NULL;
	gint64 snap_time = 0;
	char *message = NULL;
	gulong id = 0;
	guint64 start;
	int r;

	if (cancel)
		id = g_cancellable_connect(cancel, G_CALLBACK(snap_cancelled), p, NULL);
	g_mutex_lock(&p->lock);
	g_atomic_int_inc(&p->waiters);
	start = p->gen;
	for (;;) {
		if (p->gen != start) {
			snap = g_bytes_ref(p->snap);
			snap_time = p->snap_time;
			r = 0;
		} else if (p->error) {
			r = p->error;
			message = g_strdup(p->message);
		} else if (p->stopped) {
			r = -EAGAIN;
		} else if (g_cancellable_is_cancelled(cancel)) {
			r = CAMERA_E_CANCELLED;
			message = g_strdup("cancelled");
		} else if (g_get_monotonic_time() >= deadline) {
			r = CAMERA_E_FAILED;
			message = g_strdup_printf("no frame from the camera in %d s",
						  CAMERA_FRAME_TIMEOUT_S);
		} else {
			g_cond_wait_until(&p->cond, &p->lock, deadline);
			continue;
		}
		break;
	}
	g_atomic_int_add(&p->waiters, -1);
	g_mutex_unlock(&p->lock);
	if (id)
		g_cancellable_disconnect(cancel, id);
	if (r == 0) {
		r = cam_still_from_bytes(snap, p->width, p->height, snap_time, ret);
		g_bytes_unref(snap);
	} else if (ret_message && message) {
		*ret_message = g_steal_pointer(&message);
	}
	g_free(message);
	return r;
}
