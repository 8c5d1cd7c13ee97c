/* camera: GStreamer stills, clips and live preview for remote identification
 * (kz.qoltanba.camera: listDevices, capture, record, the preview socket).
 *
 * Sources: V4L2 cameras that GStreamer's device monitor finds (class
 * "Video/Source", device.api "v4l2"), or, when configured, one test device
 * "test" backed by videotestsrc (tests, the demo). Nothing is ever written
 * to disk: stills and clips live in memory (a clip is muxed into a memfd).
 *
 * Return values: 0 success; a positive CAMERA_E_* for the documented
 * conditions below; a negative errno for caller bugs and the unexpected
 * (-EINVAL for a NULL or out-of-range argument, -ENOMEM, -EIO). On any
 * failure with ret_message non-NULL, *ret_message is set to a sentence for
 * the log or the user (g_free it); on success it is left alone. Outputs
 * (ret, ret_*) are written only on success. Nothing here logs.
 *
 * Threads: every function is safe from any thread. camera_capture() and
 * camera_record() block for seconds: call them from a worker, never from
 * the main loop. camera_list() probes the devices (milliseconds). The
 * preview functions do not block on the stream and are safe from the main
 * loop. GStreamer runs its own streaming threads; no GMainContext is used.
 *
 * Sharing rule: one pipeline per device at a time.
 *   - While a preview runs on a device, camera_capture() on it with no size
 *     (0×0) or the preview's size returns the preview's next frame, so a
 *     page can take its selfie while it shows the live picture; another
 *     size is CAMERA_E_BUSY; camera_record() and a second preview are
 *     CAMERA_E_BUSY.
 *   - While a capture or a recording runs on a device, everything else on
 *     that device is CAMERA_E_BUSY.
 *   - Another program holding the V4L2 device is CAMERA_E_BUSY too.
 *
 * Real cameras: every pipeline drops the first CAMERA_WARMUP_FRAMES frames
 * (auto-exposure and white balance settle in about a third of a second);
 * the test source drops none. Sizes are the camera's own (no scaling): a
 * size the device does not list is CAMERA_E_UNSUPPORTED. For a rate the
 * device runs in a mode at least that fast and videorate drops the surplus;
 * a device whose modes at that size are all slower is CAMERA_E_UNSUPPORTED
 * (from camera_record(), or through the preview's end()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gio/gio.h>

#define CAMERA_MAX_WIDTH          1920
#define CAMERA_MAX_HEIGHT         1080
#define CAMERA_MAX_FPS            30
#define CAMERA_RECORD_MAX_SECONDS 30
#define CAMERA_RECORD_DEFAULT_FPS 15
/* A clip larger than this fails (CAMERA_E_FAILED); at the encoder's 2 Mbit/s
 * 30 s are about 8 MiB. */
#define CAMERA_RECORD_MAX_BYTES   (64u * 1024 * 1024)
/* Frames dropped at the start of every pipeline on a real camera. */
#define CAMERA_WARMUP_FRAMES      10
/* Seconds to wait for the first frame before CAMERA_E_FAILED ("no frame
 * from the camera in 10 s"); also the slack a recording gets beyond its
 * length. */
#define CAMERA_FRAME_TIMEOUT_S    10
/* The test device. */
#define CAMERA_TEST_ID            "test"
#define CAMERA_TEST_NAME          "Test source (videotestsrc)"

enum camera_error {
	/* No camera at all, or the named device is not there (also: it could
	 * not be opened because it does not exist). */
	CAMERA_E_NO_DEVICE = 1,
	/* Another consumer has the camera (see the sharing rule). */
	CAMERA_E_BUSY,
	/* The pipeline failed; *ret_message says why (GStreamer's error text,
	 * or ours for a timeout or a clip over CAMERA_RECORD_MAX_BYTES). */
	CAMERA_E_FAILED,
	/* The GCancellable fired. */
	CAMERA_E_CANCELLED,
	/* The device cannot give that size (caps negotiation failed). */
	CAMERA_E_UNSUPPORTED,
	/* The device vanished mid-stream (a resource error from the source). */
	CAMERA_E_LOST,
	/* GStreamer or a needed plugin cannot be loaded; the message names the
	 * missing element and the Debian package that has it. */
	CAMERA_E_UNAVAILABLE,
};

enum camera_source {
	/* V4L2 devices found by GstDeviceMonitor; ids are device paths
	 * ("/dev/video0"), names the devices' display names. */
	CAMERA_SOURCE_AUTO,
	/* One device, id CAMERA_TEST_ID, name CAMERA_TEST_NAME: videotestsrc
	 * is-live=true restricted to the modes camera_list() shows. */
	CAMERA_SOURCE_TEST,
};

struct camera_options {
	enum camera_source source;
	/* The device used when a call names none; NULL: the first one. */
	const char *device;
	/* TESTING ONLY. 0: off. Else the device "disconnects" after this many
	 * frames out of the source (before videorate; counted over all
	 * pipelines since camera_setup()): the source
	 * posts a resource error as an unplugged V4L2 camera does, reported as
	 * CAMERA_E_LOST, and every later pipeline on it fails the same way at
	 * its first frame until camera_setup() is called again (replugged). */
	unsigned fail_after_frames;
	/* TESTING ONLY. 0: CAMERA_RECORD_MAX_BYTES; else a smaller cap on a
	 * clip's size, so the cap can be tested without recording 64 MiB. */
	size_t max_clip_bytes;
};

/* Set the options (copied; they replace earlier ones and take effect for
 * pipelines started afterwards). The first call initialises GStreamer
 * (gst_init_check); nothing happens at daemon start. The other functions
 * call camera_setup(NULL) themselves when it was never called; NULL means
 * the defaults (CAMERA_SOURCE_AUTO, first device). Idempotent.
 * CAMERA_E_UNAVAILABLE when GStreamer cannot initialise. */
int camera_setup(const struct camera_options *o, char **ret_message);

struct camera_mode {
	unsigned width, height, fps_num, fps_den;
};

struct camera_device {
	char *id;   /* what the other calls take as device */
	char *name; /* for people */
	struct camera_mode *modes;
	size_t n_modes;
};

/* The devices with their modes: from the device caps (raw and image/jpeg),
 * only those within CAMERA_MAX_*, deduplicated, sorted by width, height,
 * then rate. Ranges in the caps contribute the common sizes (320×240,
 * 640×480, 1280×720, 1920×1080) and rates (15, 30) they contain. The test
 * source lists exactly those sizes at 15 and 30 fps. No device is not an
 * error: *ret_n = 0 (and *ret NULL). CAMERA_E_UNAVAILABLE when the source
 * element (v4l2src or videotestsrc) is missing. */
int camera_list(struct camera_device **ret, size_t *ret_n, char **ret_message);
void camera_devices_free(struct camera_device *v, size_t n);

struct camera_still {
	uint8_t *jpeg; /* g_malloc'd */
	size_t len;
	unsigned width, height;
	gint64 time_us; /* g_get_real_time() when the frame arrived */
};

/* Take one JPEG still. device NULL: the configured default, else the first
 * device. width and height both 0: the device's default size (640×480 when
 * it has it, else its largest; the test source: 640×480); one of them 0 or
 * either over CAMERA_MAX_*: -EINVAL. Blocks until the first frame after
 * the warm-up (or, sharing a preview, its next frame). Errors:
 * CAMERA_E_NO_DEVICE, CAMERA_E_BUSY, CAMERA_E_UNSUPPORTED, CAMERA_E_LOST,
 * CAMERA_E_CANCELLED (within ~10 ms of the cancellable firing),
 * CAMERA_E_FAILED (also after CAMERA_FRAME_TIMEOUT_S without a frame),
 * CAMERA_E_UNAVAILABLE. */
int camera_capture(const char *device, unsigned width, unsigned height, GCancellable *cancel,
		   struct camera_still *ret, char **ret_message);
void camera_still_clear(struct camera_still *s);

struct camera_clip {
	uint8_t *webm; /* g_malloc'd, a seekable WebM with duration and cues */
	size_t len;
	unsigned width, height, fps, frames;
	gint64 duration_ns; /* frames / fps */
};

/* Record a VP8/WebM clip of exactly seconds × fps frames (counted after
 * videorate, restamped from 0 at 1/fps, then EOS), so the clip lasts
 * seconds. seconds 1..CAMERA_RECORD_MAX_SECONDS; fps 0 means
 * CAMERA_RECORD_DEFAULT_FPS, else 1..CAMERA_MAX_FPS; sizes as for
 * camera_capture(); anything else -EINVAL. Errors as camera_capture(), and
 * CAMERA_E_FAILED for a clip over CAMERA_RECORD_MAX_BYTES or one that does
 * not finish within CAMERA_FRAME_TIMEOUT_S after its length. */
int camera_record(const char *device, unsigned seconds, unsigned width, unsigned height,
		  unsigned fps, GCancellable *cancel, struct camera_clip *ret, char **ret_message);
void camera_clip_clear(struct camera_clip *c);

/* Live preview: JPEG frames at fps (1..CAMERA_MAX_FPS, 0 is -EINVAL).
 *
 * frame() runs on a GStreamer streaming thread for every frame: it must
 * copy what it keeps and return quickly; it must never block, in
 * particular never wait for the main loop (camera_preview_stop() from the
 * main loop waits for a running frame()).
 *
 * end() (may be NULL) is called at most once, when the stream ends by
 * itself: CAMERA_E_LOST (device gone), CAMERA_E_UNSUPPORTED, CAMERA_E_FAILED,
 * with a message. It runs on an internal thread after the pipeline is torn
 * down and the device released; it is never called after
 * camera_preview_stop() has begun. It may call camera_preview_stop() on its
 * own preview; it must not wait for the main loop either.
 *
 * *ret stays the caller's after end(): always finish with
 * camera_preview_stop(). Errors found while starting (no device, busy, a
 * size the device does not list, a device that cannot be opened, a missing
 * plugin) are returned here, not through end(). */
typedef void (*camera_frame_fn)(const uint8_t *jpeg, size_t len, void *data);
typedef void (*camera_end_fn)(int error, const char *message, void *data);
struct camera_preview;

int camera_preview_start(const char *device, unsigned width, unsigned height, unsigned fps,
			 camera_frame_fn frame, camera_end_fn end, void *data,
			 struct camera_preview **ret, char **ret_message);

/* Stop and free (NULL is fine). When it returns no callback runs or will
 * run, the device is free and captures waiting on the preview have either
 * their frame or started their own pipeline. Safe from the main loop and
 * from inside end(). */
void camera_preview_stop(struct camera_preview *p);

/* The preview's size and rate (after defaults were applied). */
void camera_preview_get_mode(const struct camera_preview *p, unsigned *ret_width,
			     unsigned *ret_height, unsigned *ret_fps);

/* Is any pipeline running (a capture sharing a preview adds none)? */
bool camera_active(void);

/* hook(on, data) runs when the first pipeline starts (true) and when the
 * last one stops (false), on the thread that started or stopped it, in
 * order. It must not start or stop camera work itself; camera_active() is
 * fine. NULL removes it. */
void camera_set_active_hook(void (*hook)(bool on, void *data), void *data);
