/* The camera against the test source (videotestsrc): the device list,
 * stills at two sizes (their JPEG headers checked), a clip checked by
 * gst-discoverer-1.0 and by counting its frames, the live preview's rate,
 * the sharing rule, cancel, the clip cap, a device lost mid-stream, stop
 * racing the stream from other threads; and the real source on a machine
 * without cameras. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "daemon/camera/camera.h"
#include "tests/unit/test-util.h"

static void setup_test_source(unsigned fail_after, size_t max_clip)
{
	const struct camera_options o = {
		.source = CAMERA_SOURCE_TEST,
		.fail_after_frames = fail_after,
		.max_clip_bytes = max_clip,
	};
	g_autofree char *msg = NULL;

	g_assert_cmpint(camera_setup(&o, &msg), ==, 0);
}

/* The size in a JPEG's SOF0/SOF1/SOF2 header; false if it is no JPEG. */
static bool jpeg_size(const uint8_t *p, size_t len, unsigned *w, unsigned *h)
{
	size_t i = 2;

	if (len < 4 || p[0] != 0xff || p[1] != 0xd8)
		return false;
	while (i + 4 <= len && p[i] == 0xff) {
		uint8_t marker = p[i + 1];
		size_t seg = (size_t)p[i + 2] << 8 | p[i + 3];

		if (marker >= 0xc0 && marker <= 0xc2) {
			if (i + 9 > len)
				return false;
			*h = p[i + 5] << 8 | p[i + 6];
			*w = p[i + 7] << 8 | p[i + 8];
			return true;
		}
		if (marker == 0xda)
			return false;
		i += 2 + seg;
	}
	return false;
}

/* Runs first, before this process loads any plugin: a child with an
 * empty plugin path must be told which element is missing. */
static void test_unavailable(void)
{
	if (g_test_subprocess()) {
		struct camera_still still = { 0 };
		struct camera_device *devs = NULL;
		size_t n = 0;
		g_autofree char *msg = NULL, *msg2 = NULL;

		setup_test_source(0, 0);
		g_assert_cmpint(camera_capture(NULL, 0, 0, NULL, &still, &msg), ==,
				CAMERA_E_UNAVAILABLE);
		g_assert_nonnull(strstr(msg, "\"videotestsrc\""));
		g_assert_nonnull(strstr(msg, "gstreamer1.0-plugins-base"));
		g_assert_cmpint(camera_list(&devs, &n, &msg2), ==, CAMERA_E_UNAVAILABLE);
		g_assert_null(still.jpeg);
		return;
	}
	g_autofree char *dir = g_dir_make_tmp("qoltanba-camera-XXXXXX", NULL);
	g_autofree char *registry = g_build_filename(dir, "registry.bin", NULL);

	g_setenv("GST_PLUGIN_SYSTEM_PATH_1_0", dir, TRUE);
	g_setenv("GST_PLUGIN_PATH_1_0", dir, TRUE);
	g_setenv("GST_REGISTRY_1_0", registry, TRUE);
	g_test_trap_subprocess(NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_unsetenv("GST_PLUGIN_SYSTEM_PATH_1_0");
	g_unsetenv("GST_PLUGIN_PATH_1_0");
	g_unsetenv("GST_REGISTRY_1_0");
	test_rm_rf(dir);
	g_test_trap_assert_passed();
}

static void test_list(void)
{
	static const struct camera_mode want[] = {
		{ 320, 240, 15, 1 },   { 320, 240, 30, 1 },   { 640, 480, 15, 1 },
		{ 640, 480, 30, 1 },   { 1280, 720, 15, 1 },  { 1280, 720, 30, 1 },
		{ 1920, 1080, 15, 1 }, { 1920, 1080, 30, 1 },
	};
	struct camera_device *devs = NULL;
	size_t n = 0;

	setup_test_source(0, 0);
	g_assert_cmpint(camera_list(&devs, &n, NULL), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpstr(devs[0].id, ==, "test");
	g_assert_cmpstr(devs[0].name, ==, "Test source (videotestsrc)");
	g_assert_cmpuint(devs[0].n_modes, ==, G_N_ELEMENTS(want));
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		g_assert_cmpuint(devs[0].modes[i].width, ==, want[i].width);
		g_assert_cmpuint(devs[0].modes[i].height, ==, want[i].height);
		g_assert_cmpuint(devs[0].modes[i].fps_num, ==, want[i].fps_num);
		g_assert_cmpuint(devs[0].modes[i].fps_den, ==, want[i].fps_den);
	}
	camera_devices_free(devs, n);
	g_assert_false(camera_active());
}

static void assert_still(const struct camera_still *s, unsigned width, unsigned height)
{
	unsigned w = 0, h = 0;

	g_assert_true(jpeg_size(s->jpeg, s->len, &w, &h));
	g_assert_cmpuint(w, ==, width);
	g_assert_cmpuint(h, ==, height);
	g_assert_cmpuint(s->width, ==, width);
	g_assert_cmpuint(s->height, ==, height);
	g_assert_cmpuint(s->jpeg[s->len - 2], ==, 0xff); /* EOI */
	g_assert_cmpuint(s->jpeg[s->len - 1], ==, 0xd9);
}

static void test_capture(void)
{
	static const struct {
		unsigned w, h, want_w, want_h;
	} cases[] = {
		{ 320, 240, 320, 240 },
		{ 640, 480, 640, 480 },
		{ 0, 0, 640, 480 }, /* the default */
		{ 1920, 1080, 1920, 1080 },
	};

	setup_test_source(0, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct camera_still s = { 0 };
		gint64 before = g_get_real_time(), after;
		g_autofree char *msg = NULL;

		g_assert_cmpint(camera_capture(NULL, cases[i].w, cases[i].h, NULL, &s, &msg), ==, 0);
		after = g_get_real_time();
		assert_still(&s, cases[i].want_w, cases[i].want_h);
		g_assert_cmpint(s.time_us, >=, before);
		g_assert_cmpint(s.time_us, <=, after);
		camera_still_clear(&s);
		g_assert_null(s.jpeg);
	}
	g_assert_false(camera_active());
}

static void test_capture_errors(void)
{
	struct camera_still s = { 0 };
	g_autofree char *m1 = NULL, *m2 = NULL;

	setup_test_source(0, 0);
	g_assert_cmpint(camera_capture(NULL, 800, 600, NULL, &s, &m1), ==, CAMERA_E_UNSUPPORTED);
	g_assert_nonnull(strstr(m1, "800×600"));
	g_assert_cmpint(camera_capture("nope", 0, 0, NULL, &s, &m2), ==, CAMERA_E_NO_DEVICE);
	g_assert_cmpint(camera_capture(NULL, 640, 0, NULL, &s, NULL), ==, -EINVAL);
	g_assert_cmpint(camera_capture(NULL, 3840, 2160, NULL, &s, NULL), ==, -EINVAL);
	g_assert_cmpint(camera_record(NULL, 0, 0, 0, 0, NULL, &(struct camera_clip){ 0 }, NULL), ==,
			-EINVAL);
	g_assert_cmpint(camera_record(NULL, 31, 0, 0, 0, NULL, &(struct camera_clip){ 0 }, NULL),
			==, -EINVAL);
	g_assert_cmpint(camera_record(NULL, 1, 0, 0, 31, NULL, &(struct camera_clip){ 0 }, NULL),
			==, -EINVAL);
	g_assert_null(s.jpeg);
	g_assert_false(camera_active());
}

/* Frames in a WebM file, by demuxing it. */
static unsigned count_webm_frames(const char *path, char **ret_caps)
{
	g_autofree char *desc = g_strdup_printf(
		"filesrc location=\"%s\" ! matroskademux ! appsink name=s sync=false", path);
	GstElement *pipe = gst_parse_launch(desc, NULL);
	GstElement *sink;
	GstSample *sample;
	unsigned n = 0;

	g_assert_nonnull(pipe);
	sink = gst_bin_get_by_name(GST_BIN(pipe), "s");
	gst_element_set_state(pipe, GST_STATE_PLAYING);
	while ((sample = NULL, g_signal_emit_by_name(sink, "try-pull-sample", 5 * GST_SECOND,
						       &sample),
		sample)) {
		if (n++ == 0)
			*ret_caps = gst_caps_to_string(gst_sample_get_caps(sample));
		gst_sample_unref(sample);
	}
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(sink);
	gst_object_unref(pipe);
	return n;
}

static void test_record(void)
{
	struct camera_clip c = { 0 };
	g_autofree char *msg = NULL, *dir = NULL, *path = NULL, *out = NULL, *caps = NULL;
	g_autofree char *discoverer = g_find_program_in_path("gst-discoverer-1.0");
	const char *d;
	unsigned hh, mm;
	double ss, want = 2.0;
	int status;

	setup_test_source(0, 0);
	g_assert_cmpint(camera_record(NULL, 2, 320, 240, 15, NULL, &c, &msg), ==, 0);
	g_assert_cmpuint(c.frames, ==, 30);
	g_assert_cmpuint(c.fps, ==, 15);
	g_assert_cmpuint(c.width, ==, 320);
	g_assert_cmpuint(c.height, ==, 240);
	g_assert_cmpint(c.duration_ns, ==, 2 * G_GINT64_CONSTANT(1000000000));
	g_assert_cmpuint(c.len, >, 4);
	g_assert_cmpmem(c.webm, 4, "\x1a\x45\xdf\xa3", 4); /* EBML */
	g_assert_false(camera_active());

	dir = g_dir_make_tmp("qoltanba-camera-XXXXXX", NULL);
	path = g_build_filename(dir, "clip.webm", NULL);
	g_assert_true(g_file_set_contents(path, (const char *)c.webm, c.len, NULL));
	camera_clip_clear(&c);
	g_assert_null(c.webm);

	g_assert_cmpuint(count_webm_frames(path, &caps), ==, 30);
	g_assert_true(g_str_has_prefix(caps, "video/x-vp8"));
	g_assert_nonnull(strstr(caps, "width=(int)320"));

	if (!discoverer) {
		test_rm_rf(dir);
		g_test_skip("gst-discoverer-1.0 is not installed (gstreamer1.0-plugins-base-apps)");
		return;
	}
	const char *argv[] = { discoverer, path, NULL };

	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
				   NULL, &status, NULL));
	test_rm_rf(dir);
	g_test_message("gst-discoverer-1.0: %s", out);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_nonnull(strstr(out, "container #0: WebM"));
	g_assert_nonnull(strstr(out, "video #1: VP8"));
	d = strstr(out, "Duration: ");
	g_assert_nonnull(d);
	g_assert_cmpint(sscanf(d, "Duration: %u:%u:%lf", &hh, &mm, &ss), ==, 3);
	ss += hh * 3600.0 + mm * 60.0;
	g_assert_cmpfloat(ss, >=, want - 1.0 / 15);
	g_assert_cmpfloat(ss, <=, want + 1.0 / 15);
}

static void test_record_cap(void)
{
	struct camera_clip c = { 0 };
	g_autofree char *msg = NULL;

	setup_test_source(0, 4096);
	g_assert_cmpint(camera_record(NULL, 2, 640, 480, 15, NULL, &c, &msg), ==, CAMERA_E_FAILED);
	g_assert_nonnull(strstr(msg, "larger than 4096 bytes"));
	g_assert_null(c.webm);
	g_assert_false(camera_active());
}

static gpointer cancel_later(gpointer data)
{
	g_usleep(500 * 1000);
	g_cancellable_cancel(data);
	return GINT_TO_POINTER(g_get_monotonic_time());
}

static void test_record_cancel(void)
{
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	struct camera_clip c = { 0 };
	struct camera_still s = { 0 };
	g_autofree char *msg = NULL;
	GThread *t;
	gint64 started_at, returned_at;

	setup_test_source(0, 0);
	started_at = g_get_monotonic_time();
	t = g_thread_new("cancel", cancel_later, cancel);
	g_assert_cmpint(camera_record(NULL, 10, 320, 240, 15, cancel, &c, &msg), ==,
			CAMERA_E_CANCELLED);
	returned_at = g_get_monotonic_time();
	g_thread_join(t);
	/* Cut short: a 10 s clip that was not cancelled would take 10 s. */
	g_assert_cmpint(returned_at - started_at, <, 10 * G_USEC_PER_SEC);
	g_assert_null(c.webm);
	g_assert_false(camera_active());
	/* an already cancelled capture does not start */
	g_assert_cmpint(camera_capture(NULL, 0, 0, cancel, &s, NULL), ==, CAMERA_E_CANCELLED);
	g_assert_false(camera_active());
}

struct counter {
	gint frames, bad, after_stop, ends, end_error;
	gint stopped;
	unsigned width, height;
	bool stop_in_end;         /* end() stops the preview … */
	struct camera_preview *p; /* … this one (atomic; set after start) */
};

static void on_frame(const uint8_t *jpeg, size_t len, void *data)
{
	struct counter *c = data;
	unsigned w = 0, h = 0;

	if (g_atomic_int_get(&c->stopped))
		g_atomic_int_inc(&c->after_stop);
	if (!jpeg_size(jpeg, len, &w, &h) || w != c->width || h != c->height)
		g_atomic_int_inc(&c->bad);
	g_atomic_int_inc(&c->frames);
}

static void on_end(int error, const char *message, void *data)
{
	struct counter *c = data;

	if (g_atomic_int_get(&c->stopped))
		g_atomic_int_inc(&c->after_stop);
	g_atomic_int_set(&c->end_error, error);
	g_atomic_int_inc(&c->ends);
	if (c->stop_in_end) {
		struct camera_preview *p;

		while (!(p = g_atomic_pointer_get(&c->p)))
			g_usleep(1000);
		camera_preview_stop(p);
	}
}

static bool wait_for(gint *v, int at_least, unsigned ms)
{
	gint64 until = g_get_monotonic_time() + ms * 1000;

	while (g_atomic_int_get(v) < at_least && g_get_monotonic_time() < until)
		g_usleep(5000);
	return g_atomic_int_get(v) >= at_least;
}

static void test_preview(void)
{
	struct counter c = { .width = 640, .height = 480 };
	struct camera_preview *p = NULL;
	g_autofree char *msg = NULL;
	unsigned w, h, fps;
	int frames;

	setup_test_source(0, 0);
	g_assert_cmpint(camera_preview_start(NULL, 640, 480, 0, on_frame, on_end, &c, &p, NULL),
			==, -EINVAL);
	g_assert_cmpint(camera_preview_start(NULL, 640, 480, 15, on_frame, on_end, &c, &p, &msg),
			==, 0);
	g_assert_true(camera_active());
	camera_preview_get_mode(p, &w, &h, &fps);
	g_assert_cmpuint(w, ==, 640);
	g_assert_cmpuint(h, ==, 480);
	g_assert_cmpuint(fps, ==, 15);
	g_usleep(3 * G_USEC_PER_SEC);
	camera_preview_stop(p);
	g_atomic_int_set(&c.stopped, 1);
	frames = g_atomic_int_get(&c.frames);
	g_test_message("%d frames in 3 s at 15 fps", frames);
	g_assert_cmpint(frames, >=, 41); /* 90 % of 45 */
	g_assert_cmpint(frames, <=, 47); /* 15 fps, not the source's 30 */
	g_assert_cmpint(c.bad, ==, 0);
	g_assert_cmpint(c.ends, ==, 0);
	g_usleep(100 * 1000);
	g_assert_cmpint(g_atomic_int_get(&c.after_stop), ==, 0);
	g_assert_false(camera_active());
}

static void test_sharing(void)
{
	struct counter c = { .width = 320, .height = 240 };
	struct camera_preview *p = NULL, *p2 = NULL;
	struct camera_clip clip = { 0 };
	struct camera_still s = { 0 };
	g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL;

	setup_test_source(0, 0);
	g_assert_cmpint(camera_preview_start("test", 320, 240, 15, on_frame, on_end, &c, &p, NULL),
			==, 0);
	g_assert_true(wait_for(&c.frames, 1, 5000));
	g_assert_cmpint(camera_record(NULL, 1, 0, 0, 0, NULL, &clip, &m1), ==, CAMERA_E_BUSY);
	g_assert_nonnull(m1);
	g_assert_cmpint(camera_preview_start(NULL, 320, 240, 15, on_frame, on_end, &c, &p2, &m2),
			==, CAMERA_E_BUSY);
	g_assert_null(p2);
	g_assert_cmpint(camera_capture(NULL, 640, 480, NULL, &s, &m3), ==, CAMERA_E_BUSY);
	/* the preview's frames, at its size */
	g_assert_cmpint(camera_capture(NULL, 0, 0, NULL, &s, NULL), ==, 0);
	assert_still(&s, 320, 240);
	camera_still_clear(&s);
	g_assert_cmpint(camera_capture("test", 320, 240, NULL, &s, NULL), ==, 0);
	assert_still(&s, 320, 240);
	camera_still_clear(&s);
	g_assert_true(camera_active());
	camera_preview_stop(p);
	g_assert_false(camera_active());
	/* the device is free again, at any size */
	g_assert_cmpint(camera_capture(NULL, 640, 480, NULL, &s, NULL), ==, 0);
	assert_still(&s, 640, 480);
	camera_still_clear(&s);
	g_assert_cmpint(c.ends, ==, 0);
	g_assert_null(clip.webm);
}

static gpointer cancel_soon(gpointer data)
{
	g_usleep(100 * 1000);
	g_cancellable_cancel(data);
	return GINT_TO_POINTER(g_get_monotonic_time());
}

/* A capture waiting for a slow preview's next frame: cancel ends the
 * wait at once; a device lost before that frame is the capture's error. */
static void test_sharing_cancel_lost(void)
{
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	struct counter c = { .width = 320, .height = 240 };
	struct camera_preview *p = NULL;
	struct camera_still s = { 0 };
	g_autofree char *msg = NULL;
	gint64 cancelled_at, returned_at;
	GThread *t;

	setup_test_source(0, 0);
	g_assert_cmpint(camera_preview_start(NULL, 320, 240, 1, on_frame, on_end, &c, &p, NULL),
			==, 0);
	g_usleep(200 * 1000); /* past the first frame: the next one is 1 s away */
	t = g_thread_new("cancel", cancel_soon, cancel);
	g_assert_cmpint(camera_capture(NULL, 0, 0, cancel, &s, NULL), ==, CAMERA_E_CANCELLED);
	returned_at = g_get_monotonic_time();
	cancelled_at = (gint64)(gintptr)g_thread_join(t);
	/* Not after the next frame: that comes 1 s after the first, about
	 * 0.7 s after the cancel. */
	g_assert_cmpint(returned_at - cancelled_at, <, 600 * 1000);
	camera_preview_stop(p);
	g_assert_cmpint(c.ends, ==, 0);

	/* 8 source frames at 15 fps: lost after ~0.5 s, before the 1 s frame */
	memset(&c, 0, sizeof(c));
	c.width = 320;
	c.height = 240;
	setup_test_source(8, 0);
	g_assert_cmpint(camera_preview_start(NULL, 320, 240, 1, on_frame, on_end, &c, &p, NULL),
			==, 0);
	g_usleep(200 * 1000);
	g_assert_cmpint(camera_capture(NULL, 0, 0, NULL, &s, &msg), ==, CAMERA_E_LOST);
	g_assert_null(s.jpeg);
	g_assert_true(wait_for(&c.ends, 1, 5000));
	g_assert_cmpint(c.end_error, ==, CAMERA_E_LOST);
	camera_preview_stop(p);
	g_assert_false(camera_active());
	setup_test_source(0, 0);
}

struct busy_capture {
	int r;
	GCancellable *cancel;
};

static gpointer record_thread(gpointer data)
{
	struct busy_capture *b = data;
	struct camera_clip c = { 0 };

	b->r = camera_record(NULL, 3, 320, 240, 15, b->cancel, &c, NULL);
	camera_clip_clear(&c);
	return NULL;
}

/* While a recording runs, nothing else gets the device. */
static void test_busy_while_recording(void)
{
	struct busy_capture b = { .cancel = g_cancellable_new() };
	struct counter c = { .width = 320, .height = 240 };
	struct camera_preview *p = NULL;
	struct camera_still s = { 0 };
	GThread *t;

	setup_test_source(0, 0);
	gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	t = g_thread_new("record", record_thread, &b);
	while (!camera_active() && g_get_monotonic_time() < until)
		g_usleep(1000);
	g_assert_true(camera_active());
	g_assert_cmpint(camera_capture(NULL, 0, 0, NULL, &s, NULL), ==, CAMERA_E_BUSY);
	g_assert_cmpint(camera_preview_start(NULL, 320, 240, 15, on_frame, on_end, &c, &p, NULL),
			==, CAMERA_E_BUSY);
	g_cancellable_cancel(b.cancel);
	g_thread_join(t);
	g_assert_cmpint(b.r, ==, CAMERA_E_CANCELLED);
	g_object_unref(b.cancel);
	g_assert_false(camera_active());
}

static void test_lost(void)
{
	struct counter c = { .width = 320, .height = 240 };
	struct camera_preview *p = NULL;
	struct camera_still s = { 0 };
	g_autofree char *msg = NULL;

	setup_test_source(10, 0);
	g_assert_cmpint(camera_preview_start(NULL, 320, 240, 30, on_frame, on_end, &c, &p, NULL),
			==, 0);
	g_assert_true(wait_for(&c.ends, 1, 5000));
	g_assert_cmpint(c.end_error, ==, CAMERA_E_LOST);
	g_assert_cmpint(c.frames, <=, 10);
	/* end() comes after the device was released */
	g_assert_false(camera_active());
	/* still unplugged */
	g_assert_cmpint(camera_capture(NULL, 0, 0, NULL, &s, &msg), ==, CAMERA_E_LOST);
	g_assert_nonnull(strstr(msg, "lost"));
	g_assert_false(camera_active());
	camera_preview_stop(p);
	g_assert_cmpint(c.ends, ==, 1);
	/* replugged */
	setup_test_source(0, 0);
	g_assert_cmpint(camera_capture(NULL, 0, 0, NULL, &s, NULL), ==, 0);
	camera_still_clear(&s);
}

static void test_lost_record(void)
{
	struct camera_clip clip = { 0 };
	g_autofree char *msg = NULL;

	setup_test_source(20, 0);
	g_assert_cmpint(camera_record(NULL, 2, 320, 240, 15, NULL, &clip, &msg), ==,
			CAMERA_E_LOST);
	g_assert_null(clip.webm);
	g_assert_false(camera_active());
	setup_test_source(0, 0);
}

/* end() may stop its own preview. */
static void test_stop_in_end(void)
{
	struct counter c = { .width = 320, .height = 240, .stop_in_end = true };
	struct camera_preview *p = NULL;

	setup_test_source(3, 0);
	g_assert_cmpint(camera_preview_start(NULL, 320, 240, 30, on_frame, on_end, &c, &p, NULL),
			==, 0);
	g_atomic_pointer_set(&c.p, p);
	g_assert_true(wait_for(&c.ends, 1, 5000));
	g_assert_cmpint(c.end_error, ==, CAMERA_E_LOST);
	/* the preview is freed by its ender thread (ASan: no leak, no reuse) */
	g_usleep(100 * 1000);
	g_assert_cmpint(c.ends, ==, 1);
	g_assert_false(camera_active());
	setup_test_source(0, 0);
}

struct stopper {
	struct camera_preview *p;
	struct counter *c;
};

static gpointer stop_thread(gpointer data)
{
	struct stopper *s = data;

	camera_preview_stop(s->p);
	g_atomic_int_set(&s->c->stopped, 1);
	return NULL;
}

/* Stop from another thread while frames flow, and while the stream may be
 * ending by itself: no callback after stop returns, never two ends. */
static void test_stop_races(void)
{
	for (unsigned i = 0; i < 12; i++) {
		struct counter c = { .width = 320, .height = 240 };
		struct stopper st = { .c = &c };
		bool ending = i % 2 == 1;

		setup_test_source(ending ? 8 : 0, 0);
		g_assert_cmpint(camera_preview_start(NULL, 320, 240, 30, on_frame, on_end, &c,
						     &st.p, NULL),
				==, 0);
		if (!ending)
			g_assert_true(wait_for(&c.frames, 5, 5000));
		g_usleep((i % 6) * 50 * 1000);
		g_thread_join(g_thread_new("stop", stop_thread, &st));
		g_usleep(100 * 1000);
		g_assert_cmpint(g_atomic_int_get(&c.after_stop), ==, 0);
		g_assert_cmpint(g_atomic_int_get(&c.ends), <=, 1);
		if (!ending)
			g_assert_cmpint(g_atomic_int_get(&c.ends), ==, 0);
		g_assert_false(camera_active());
	}
	setup_test_source(0, 0);
}

static void on_active(bool on, void *data)
{
	g_string_append(data, on ? "on " : "off ");
	g_assert_true(camera_active() == on);
}

static void test_active_hook(void)
{
	GString *log = g_string_new(NULL);
	struct camera_still s = { 0 };

	setup_test_source(0, 0);
	camera_set_active_hook(on_active, log);
	g_assert_cmpint(camera_capture(NULL, 320, 240, NULL, &s, NULL), ==, 0);
	camera_still_clear(&s);
	g_assert_cmpint(camera_capture(NULL, 800, 600, NULL, &s, NULL), ==, CAMERA_E_UNSUPPORTED);
	camera_set_active_hook(NULL, NULL);
	g_assert_cmpstr(log->str, ==, "on off ");
	g_string_free(log, TRUE);
}

static void test_auto_no_camera(void)
{
	const struct camera_options o = { .source = CAMERA_SOURCE_AUTO };
	struct camera_device *devs = NULL;
	struct camera_preview *p = NULL;
	struct camera_clip clip = { 0 };
	struct camera_still s = { 0 };
	struct counter c = { 0 };
	size_t n = 99;
	g_autofree char *m1 = NULL, *m2 = NULL;

	if (g_file_test("/dev/video0", G_FILE_TEST_EXISTS)) {
		g_test_skip("this machine has a camera (/dev/video0)");
		return;
	}
	g_assert_cmpint(camera_setup(&o, NULL), ==, 0);
	g_assert_cmpint(camera_list(&devs, &n, NULL), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_null(devs);
	g_assert_cmpint(camera_capture(NULL, 0, 0, NULL, &s, &m1), ==, CAMERA_E_NO_DEVICE);
	g_assert_cmpstr(m1, ==, "no camera found");
	g_assert_cmpint(camera_capture("/dev/video7", 0, 0, NULL, &s, &m2), ==,
			CAMERA_E_NO_DEVICE);
	g_assert_cmpint(camera_record(NULL, 1, 0, 0, 0, NULL, &clip, NULL), ==, CAMERA_E_NO_DEVICE);
	g_assert_cmpint(camera_preview_start(NULL, 0, 0, 15, on_frame, on_end, &c, &p, NULL), ==,
			CAMERA_E_NO_DEVICE);
	g_assert_false(camera_active());
	setup_test_source(0, 0);
}

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/camera/unavailable", test_unavailable);
	g_test_add_func("/camera/list", test_list);
	g_test_add_func("/camera/capture", test_capture);
	g_test_add_func("/camera/capture-errors", test_capture_errors);
	g_test_add_func("/camera/record", test_record);
	g_test_add_func("/camera/record-cap", test_record_cap);
	g_test_add_func("/camera/record-cancel", test_record_cancel);
	g_test_add_func("/camera/preview", test_preview);
	g_test_add_func("/camera/sharing", test_sharing);
	g_test_add_func("/camera/sharing-cancel-lost", test_sharing_cancel_lost);
	g_test_add_func("/camera/busy-while-recording", test_busy_while_recording);
	g_test_add_func("/camera/lost", test_lost);
	g_test_add_func("/camera/lost-record", test_lost_record);
	g_test_add_func("/camera/stop-in-end", test_stop_in_end);
	g_test_add_func("/camera/stop-races", test_stop_races);
	g_test_add_func("/camera/active-hook", test_active_hook);
	g_test_add_func("/camera/auto-no-camera", test_auto_no_camera);
	r = g_test_run();
	/* give GStreamer's registry and plugins back, for LeakSanitizer */
	if (gst_is_initialized())
		gst_deinit();
	return r;
}
