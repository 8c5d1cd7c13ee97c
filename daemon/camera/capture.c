/* capture: the blocking calls, camera_capture() and camera_record(). Each
 * runs one pipeline and waits on a condition variable that the bus (ERROR,
 * EOS, from the streaming threads through a sync handler), the appsink, the
 * cancellable and the deadlines signal; then tears the pipeline down. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gst/app/gstappsink.h>

#include "daemon/camera/camera-private.h"

struct run {
	GMutex lock;
	GCond cond;
	struct cam_pipeline pl;
	bool done, cancelled;
	int error;
	char *message;
	/* capture */
	GstSample *sample;
	gint64 sample_time;
	/* record: the counting probe runs on one streaming thread only */
	unsigned want, counted, fps;
	bool eos_sent;
	size_t bytes, max_bytes; /* the size probe: fdsink's streaming thread */
};

/* Under r->lock: the first outcome wins. Takes message. */
static void run_finish(struct run *r, int error, char *message)
{
	if (r->done) {
		g_free(message);
		return;
	}
	r->done = true;
	r->error = error;
	r->message = message;
	g_cond_broadcast(&r->cond);
}

static GstBusSyncReply on_bus(GstBus *bus, GstMessage *m, gpointer data)
{
	struct run *r = data;
	char *message = NULL;
	int error;

	switch (GST_MESSAGE_TYPE(m)) {
	case GST_MESSAGE_ERROR:
		error = cam_error_from_message(&r->pl, m, &message);
		g_mutex_lock(&r->lock);
		run_finish(r, error, message);
		g_mutex_unlock(&r->lock);
		break;
	case GST_MESSAGE_EOS:
		g_mutex_lock(&r->lock);
		run_finish(r, 0, NULL);
		g_mutex_unlock(&r->lock);
		break;
	default:
		break;
	}
	/* nothing is left queued on the bus: no main loop watches it */
	return GST_BUS_DROP;
}

static void on_cancel(GCancellable *cancel, gpointer data)
{
	struct run *r = data;

	g_mutex_lock(&r->lock);
	r->cancelled = true;
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
}

/* Start the built pipeline and wait for an outcome: done, cancelled, no
 * frame in CAMERA_FRAME_TIMEOUT_S, or not done in limit_s. Tears the
 * pipeline down in any case. */
static void run_pipeline(struct run *r, GCancellable *cancel, unsigned limit_s)
{
	gint64 start = g_get_monotonic_time();
	gint64 first = start + CAMERA_FRAME_TIMEOUT_S * G_TIME_SPAN_SECOND;
	gint64 last = start + (gint64)limit_s * G_TIME_SPAN_SECOND;
	gulong id = 0;

	if (cancel)
		id = g_cancellable_connect(cancel, G_CALLBACK(on_cancel), r, NULL);
	if (gst_element_set_state(r->pl.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		/* the bus has the reason (the sync handler saw it already) */
		g_mutex_lock(&r->lock);
		run_finish(r, CAMERA_E_FAILED, g_strdup("the camera pipeline does not start"));
		g_mutex_unlock(&r->lock);
	}
	g_mutex_lock(&r->lock);
	while (!r->done) {
		gint64 now = g_get_monotonic_time();
		bool no_frame = g_atomic_int_get(&r->pl.frames) == 0;

		if (r->cancelled)
			run_finish(r, CAMERA_E_CANCELLED, g_strdup("cancelled"));
		else if (no_frame && now >= first)
			run_finish(r, CAMERA_E_FAILED,
				   g_strdup_printf("no frame from the camera in %d s",
						   CAMERA_FRAME_TIMEOUT_S));
		else if (now >= last)
			run_finish(r, CAMERA_E_FAILED,
				   g_strdup_printf("the camera did not finish in %u s", limit_s));
		else
			g_cond_wait_until(&r->cond, &r->lock, no_frame ? MIN(first, last) : last);
	}
	g_mutex_unlock(&r->lock);
	if (id)
		g_cancellable_disconnect(cancel, id);
	cam_pipeline_clear(&r->pl);
}

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	g_mutex_init(&r->lock);
	g_cond_init(&r->cond);
}

static void run_clear(struct run *r)
{
	cam_pipeline_clear(&r->pl);
	if (r->sample)
		gst_sample_unref(r->sample);
	g_free(r->message);
	g_mutex_clear(&r->lock);
	g_cond_clear(&r->cond);
}

static void watch_bus(struct run *r)
{
	GstBus *bus = gst_element_get_bus(r->pl.pipeline);

	gst_bus_set_sync_handler(bus, on_bus, r, NULL);
	gst_object_unref(bus);
}

/* Hand the outcome to the caller. */
static int run_result(struct run *r, char **ret_message)
{
	if (r->error != 0 && ret_message)
		*ret_message = g_steal_pointer(&r->message);
	return r->error;
}

/* --- stills --------------------------------------------------------------- */

static GstFlowReturn on_sample(GstAppSink *sink, gpointer data)
{
	struct run *r = data;
	GstSample *sample = gst_app_sink_pull_sample(sink);

	g_mutex_lock(&r->lock);
	if (sample && !r->done) {
		r->sample = g_steal_pointer(&sample);
		r->sample_time = g_get_real_time();
		run_finish(r, 0, NULL);
	}
	g_mutex_unlock(&r->lock);
	if (sample)
		gst_sample_unref(sample);
	return GST_FLOW_OK;
}

static int capture_own(const struct cam_source *s, unsigned width, unsigned height,
		       GCancellable *cancel, struct camera_still *ret, char **ret_message)
{
	GstAppSinkCallbacks callbacks = { .new_sample = on_sample };
	struct run r;
	int error;

	run_init(&r);
	error = cam_pipeline_build(&r.pl, s, CAM_CHAIN_JPEG, width, height, 0, -1, ret_message);
	if (error == 0) {
		gst_app_sink_set_callbacks(GST_APP_SINK(r.pl.sink), &callbacks, &r, NULL);
		watch_bus(&r);
		run_pipeline(&r, cancel, CAMERA_FRAME_TIMEOUT_S);
		error = run_result(&r, ret_message);
	}
	if (error == 0)
		error = cam_still_from_sample(r.sample, r.sample_time, ret);
	run_clear(&r);
	return error;
}

int camera_capture(const char *device, unsigned width, unsigned height, GCancellable *cancel,
		   struct camera_still *ret, char **ret_message)
{
	if (!ret || (width == 0) != (height == 0) || width > CAMERA_MAX_WIDTH ||
	    height > CAMERA_MAX_HEIGHT)
		return -EINVAL;
	for (;;) {
		struct camera_preview *shared = NULL;
		struct cam_source s = { 0 };
		unsigned w = width, h = height;
		int r;

		if (g_cancellable_is_cancelled(cancel)) {
			if (ret_message)
				*ret_message = g_strdup("cancelled");
			return CAMERA_E_CANCELLED;
		}
		r = cam_source_open(device, &s, ret_message);
		if (r == 0)
			r = cam_source_size(&s, &w, &h, ret_message);
		if (r == 0)
			r = cam_check_elements(&s, CAM_CHAIN_JPEG, 0, ret_message);
		/* the size asked for, not the default: 0×0 shares any preview */
		if (r == 0)
			r = cam_claim(s.id, CAM_USE_CAPTURE, width, height, NULL, &shared,
				      ret_message);
		if (r == 0 && shared) {
			r = cam_preview_snap(shared, cancel, ret, ret_message);
			cam_preview_unref(shared);
			cam_source_clear(&s);
			if (r == -EAGAIN)
				continue; /* the preview stopped: the device is free */
			return r;
		}
		if (r == 0) {
			r = capture_own(&s, w, h, cancel, ret, ret_message);
			cam_release(s.id);
		}
		cam_source_clear(&s);
		return r;
	}
}

/* --- clips ---------------------------------------------------------------- */

/* After videorate: exactly want frames, restamped 0, 1/fps, …; then EOS. */
static GstPadProbeReturn count_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct run *r = data;
	GstBuffer *buf;
	guint64 pts;

	if (r->counted >= r->want) {
		if (!r->eos_sent) {
			r->eos_sent = true;
			gst_pad_push_event(pad, gst_event_new_eos());
		}
		return GST_PAD_PROBE_DROP;
	}
	buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
	pts = gst_util_uint64_scale(r->counted, GST_SECOND, r->fps);
	GST_BUFFER_PTS(buf) = pts;
	GST_BUFFER_DTS(buf) = pts;
	GST_BUFFER_DURATION(buf) = gst_util_uint64_scale(r->counted + 1, GST_SECOND, r->fps) - pts;
	GST_PAD_PROBE_INFO_DATA(info) = buf;
	r->counted++;
	return GST_PAD_PROBE_OK;
}

/* Into fdsink: the cap on the clip (rewritten headers count twice, which
 * errs on the safe side). */
static GstPadProbeReturn size_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct run *r = data;

	r->bytes += gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info));
	if (r->bytes <= r->max_bytes)
		return GST_PAD_PROBE_OK;
	g_mutex_lock(&r->lock);
	run_finish(r, CAMERA_E_FAILED,
		   g_strdup_printf("the clip is larger than %zu bytes", r->max_bytes));
	g_mutex_unlock(&r->lock);
	return GST_PAD_PROBE_DROP;
}

static void add_probe(GstElement *e, const char *pad_name, GstPadProbeCallback cb, struct run *r)
{
	GstPad *pad = gst_element_get_static_pad(e, pad_name);

	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, cb, r, NULL);
	gst_object_unref(pad);
}

static int read_clip(int fd, size_t max, uint8_t **ret, size_t *ret_len, char **ret_message)
{
	struct stat st;
	size_t done = 0;
	uint8_t *buf;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size > max) {
		if (ret_message)
			*ret_message = g_strdup_printf("the clip is larger than %zu bytes", max);
		return CAMERA_E_FAILED;
	}
	if (st.st_size == 0)
		return -EIO;
	buf = g_malloc(st.st_size);
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + done, st.st_size - done, done);

		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;

			g_free(buf);
			return e;
		}
		done += n;
	}
	*ret = buf;
	*ret_len = done;
	return 0;
}

static int record_own(const struct cam_source *s, unsigned seconds, unsigned width,
		      unsigned height, unsigned fps, GCancellable *cancel, struct camera_clip *ret,
		      char **ret_message)
{
	struct camera_clip clip = { .width = width, .height = height, .fps = fps };
	struct run r;
	int error, fd;

	/* in memory, seekable: webmmux writes duration and cues at the end */
	fd = memfd_create("qoltanba-clip", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	run_init(&r);
	r.want = seconds * fps;
	r.fps = fps;
	r.max_bytes = s->max_clip_bytes;
	error = cam_pipeline_build(&r.pl, s, CAM_CHAIN_VP8, width, height, fps, fd, ret_message);
	if (error == 0) {
		add_probe(r.pl.rated, "src", count_probe, &r);
		add_probe(r.pl.sink, "sink", size_probe, &r);
		watch_bus(&r);
		run_pipeline(&r, cancel, seconds + CAMERA_FRAME_TIMEOUT_S);
		error = run_result(&r, ret_message);
	}
	if (error == 0 && r.counted < r.want) {
		if (ret_message)
			*ret_message = g_strdup_printf("the camera stream ended after %u of %u frames",
						       r.counted, r.want);
		error = CAMERA_E_LOST;
	}
	if (error == 0)
		error = read_clip(fd, r.max_bytes, &clip.webm, &clip.len, ret_message);
	if (error == 0) {
		clip.frames = r.counted;
		clip.duration_ns = (gint64)gst_util_uint64_scale(r.counted, GST_SECOND, fps);
		*ret = clip;
	}
	run_clear(&r);
	close(fd);
	return error;
}

int camera_record(const char *device, unsigned seconds, unsigned width, unsigned height,
		  unsigned fps, GCancellable *cancel, struct camera_clip *ret, char **ret_message)
{
	struct camera_preview *shared = NULL;
	struct cam_source s = { 0 };
	int r;

	if (fps == 0)
		fps = CAMERA_RECORD_DEFAULT_FPS;
	if (!ret || seconds < 1 || seconds > CAMERA_RECORD_MAX_SECONDS || fps > CAMERA_MAX_FPS ||
	    (width == 0) != (height == 0) || width > CAMERA_MAX_WIDTH ||
	    height > CAMERA_MAX_HEIGHT)
		return -EINVAL;
	if (g_cancellable_is_cancelled(cancel)) {
		if (ret_message)
			*ret_message = g_strdup("cancelled");
		return CAMERA_E_CANCELLED;
	}
	r = cam_source_open(device, &s, ret_message);
	if (r == 0)
		r = cam_source_size(&s, &width, &height, ret_message);
	if (r == 0)
		r = cam_check_elements(&s, CAM_CHAIN_VP8, fps, ret_message);
	if (r == 0)
		r = cam_claim(s.id, CAM_USE_RECORD, width, height, NULL, &shared, ret_message);
	if (r == 0) {
		r = record_own(&s, seconds, width, height, fps, cancel, ret, ret_message);
		cam_release(s.id);
	}
	cam_source_clear(&s);
	return r;
}

void camera_clip_clear(struct camera_clip *c)
{
	if (!c)
		return;
	g_free(c->webm);
	memset(c, 0, sizeof(*c));
}
