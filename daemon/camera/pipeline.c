/* pipeline: one GStreamer pipeline per call,
 *
 *   source ! capsfilter(device modes) ! capsfilter(size) [! jpegdec]
 *     ! videoconvert [! videorate ! capsfilter(rate) "rated"] ! tail
 *
 * tail: jpegenc ! appsink (stills, preview) or vp8enc ! webmmux ! fdsink
 * (clips, into a memfd). A probe on the source's pad counts frames, drops
 * the warm-up frames and runs the test hook; errors from the bus are
 * mapped to CAMERA_E_* here. */
#include <errno.h>
#include <string.h>

#include <gst/app/gstappsink.h>

#include "daemon/camera/camera-private.h"

/* Frames the test device gave since it was last "plugged in". */
static gint test_frames;

void cam_test_replug(void)
{
	g_atomic_int_set(&test_frames, 0);
}

static const struct {
	const char *name, *package;
} packages[] = {
	{ "capsfilter", "libgstreamer1.0-0" },
	{ "fdsink", "libgstreamer1.0-0" },
	{ "videotestsrc", "gstreamer1.0-plugins-base" },
	{ "videoconvert", "gstreamer1.0-plugins-base" },
	{ "videorate", "gstreamer1.0-plugins-base" },
	{ "appsink", "gstreamer1.0-plugins-base" },
	{ "v4l2src", "gstreamer1.0-plugins-good" },
	{ "jpegdec", "gstreamer1.0-plugins-good" },
	{ "jpegenc", "gstreamer1.0-plugins-good" },
	{ "vp8enc", "gstreamer1.0-plugins-good" },
	{ "webmmux", "gstreamer1.0-plugins-good" },
};

static int need(const char *element, char **ret_message)
{
	GstElementFactory *f = gst_element_factory_find(element);
	const char *package = "GStreamer's plugins";

	if (f) {
		gst_object_unref(f);
		return 0;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(packages); i++)
		if (strcmp(packages[i].name, element) == 0)
			package = packages[i].package;
	if (ret_message)
		*ret_message = g_strdup_printf("GStreamer element \"%s\" is missing (install %s)",
					       element, package);
	return CAMERA_E_UNAVAILABLE;
}

int cam_check_elements(const struct cam_source *s, enum cam_chain chain, unsigned fps,
		       char **ret_message)
{
	const char *common[] = { s->device ? "v4l2src" : "videotestsrc", "capsfilter",
				 "videoconvert", s->device ? "jpegdec" : NULL,
				 fps ? "videorate" : NULL };
	const char *jpeg[] = { "jpegenc", "appsink" };
	const char *vp8[] = { "vp8enc", "webmmux", "fdsink" };
	int r;

	for (size_t i = 0; i < G_N_ELEMENTS(common); i++)
		if (common[i] && (r = need(common[i], ret_message)) != 0)
			return r;
	switch (chain) {
	case CAM_CHAIN_JPEG:
		for (size_t i = 0; i < G_N_ELEMENTS(jpeg); i++)
			if ((r = need(jpeg[i], ret_message)) != 0)
				return r;
		break;
	case CAM_CHAIN_VP8:
		for (size_t i = 0; i < G_N_ELEMENTS(vp8); i++)
			if ((r = need(vp8[i], ret_message)) != 0)
				return r;
		break;
	}
	return 0;
}

static GstPadProbeReturn source_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct cam_pipeline *pl = data;
	unsigned n = (unsigned)g_atomic_int_add(&pl->frames, 1) + 1;

	if (pl->fail_after && (g_atomic_int_get(&pl->failed) ||
			       (unsigned)g_atomic_int_add(&test_frames, 1) + 1 > pl->fail_after)) {
		/* What v4l2src posts when its device is unplugged. */
		if (g_atomic_int_compare_and_exchange(&pl->failed, 0, 1))
			GST_ELEMENT_ERROR(pl->source, RESOURCE, READ,
					  ("Could not read from resource."),
					  ("test hook: the device was unplugged after %u frames",
					   pl->fail_after));
		return GST_PAD_PROBE_DROP;
	}
	return n <= pl->warmup ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* Raw when the device gives raw at that size (V4L2 raw is often limited to
 * small sizes or low rates; then MJPEG, decoded). */
static bool source_gives_raw(const struct cam_source *s, unsigned width, unsigned height,
			     unsigned fps)
{
	GstCaps *raw = gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, width, "height",
					   G_TYPE_INT, height, NULL);
	GstCaps *jpeg = gst_caps_new_simple("image/jpeg", "width", G_TYPE_INT, width, "height",
					    G_TYPE_INT, height, NULL);
	bool has_raw = gst_caps_can_intersect(s->caps, raw);
	bool has_jpeg = s->device && gst_caps_can_intersect(s->caps, jpeg);

	if (has_raw && has_jpeg && fps) {
		/* both: raw only if it keeps up with the rate asked for */
		gst_caps_set_simple(raw, "framerate", GST_TYPE_FRACTION_RANGE, fps, 1, G_MAXINT, 1,
				    NULL);
		has_raw = gst_caps_can_intersect(s->caps, raw);
	}
	gst_caps_unref(raw);
	gst_caps_unref(jpeg);
	return has_raw || !has_jpeg;
}

int cam_pipeline_build(struct cam_pipeline *pl, const struct cam_source *s, enum cam_chain chain,
		       unsigned width, unsigned height, unsigned fps, int fd, char **ret_message)
{
	g_autofree char *desc = NULL, *rate = NULL, *tail = NULL, *min_rate = NULL;
	bool raw = source_gives_raw(s, width, height, fps);
	GstElement *bin, *filter;
	GError *error = NULL;
	GstPad *pad;

	memset(pl, 0, sizeof(*pl));
	pl->warmup = s->warmup;
	pl->fail_after = s->fail_after;
	if (fps)
		min_rate = g_strdup_printf("[%u/1,%d/1]", fps, G_MAXINT);
	if (fps)
		rate = g_strdup_printf("videorate ! capsfilter name=rated "
				       "caps=\"video/x-raw,framerate=%u/1\" ! ",
				       fps);
	switch (chain) {
	case CAM_CHAIN_JPEG:
		tail = g_strdup("jpegenc quality=85 ! appsink name=sink sync=false "
				"max-buffers=2 drop=true");
		break;
	case CAM_CHAIN_VP8:
		/* realtime, fastest: keep up with a live camera on a laptop */
		tail = g_strdup_printf("vp8enc deadline=1 cpu-used=8 target-bitrate=2000000 "
				       "keyframe-max-dist=%u threads=2 ! webmmux ! "
				       "fdsink name=sink sync=false fd=%d",
				       fps ? fps : CAMERA_RECORD_DEFAULT_FPS, fd);
		break;
	}
	/* the source runs at least as fast as asked; videorate drops the rest */
	desc = g_strdup_printf("capsfilter name=device ! "
			       "capsfilter caps=\"%s,width=%u,height=%u%s%s\" ! %s"
			       "videoconvert ! %s%s",
			       raw ? "video/x-raw" : "image/jpeg", width, height,
			       fps ? ",framerate=" : "", fps ? min_rate : "",
			       raw ? "" : "jpegdec ! ", rate ? rate : "", tail);

	pl->pipeline = gst_pipeline_new("camera");
	if (s->device) {
		pl->source = gst_device_create_element(s->device, "source");
	} else {
		pl->source = gst_element_factory_make("videotestsrc", "source");
		if (pl->source)
			g_object_set(pl->source, "is-live", TRUE, NULL);
	}
	bin = gst_parse_bin_from_description(desc, TRUE, &error);
	if (!pl->source || !bin) {
		if (ret_message)
			*ret_message = g_strdup_printf("cannot build the camera pipeline: %s",
						       error ? error->message
						             : "no source element");
		g_clear_error(&error);
		if (bin)
			gst_object_unref(bin);
		if (pl->source)
			gst_object_unref(pl->source);
		pl->source = NULL;
		cam_pipeline_clear(pl);
		return CAMERA_E_UNAVAILABLE;
	}
	gst_bin_add_many(GST_BIN(pl->pipeline), pl->source, bin, NULL);
	filter = gst_bin_get_by_name(GST_BIN(bin), "device");
	g_object_set(filter, "caps", s->caps, NULL);
	gst_object_unref(filter);
	pl->sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
	pl->rated = gst_bin_get_by_name(GST_BIN(bin), "rated");
	if (!gst_element_link(pl->source, bin)) {
		if (ret_message)
			*ret_message = g_strdup("the camera's source does not link to the pipeline");
		cam_pipeline_clear(pl);
		return CAMERA_E_FAILED;
	}
	pad = gst_element_get_static_pad(pl->source, "src");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, source_probe, pl, NULL);
	gst_object_unref(pad);
	return 0;
}

void cam_pipeline_clear(struct cam_pipeline *pl)
{
	if (pl->pipeline) {
		GstBus *bus = gst_element_get_bus(pl->pipeline);

		gst_element_set_state(pl->pipeline, GST_STATE_NULL);
		gst_bus_set_sync_handler(bus, NULL, NULL, NULL);
		gst_object_unref(bus);
	}
	g_clear_pointer(&pl->sink, gst_object_unref);
	g_clear_pointer(&pl->rated, gst_object_unref);
	g_clear_pointer(&pl->pipeline, gst_object_unref);
	pl->source = NULL; /* the pipeline's */
}

int cam_error_from_message(struct cam_pipeline *pl, GstMessage *m, char **ret_message)
{
	const GstStructure *details = NULL;
	GError *error = NULL;
	char *debug = NULL;
	int flow = GST_FLOW_OK, r = CAMERA_E_FAILED;
	bool from_source = pl->source && GST_MESSAGE_SRC(m) == GST_OBJECT(pl->source);

	gst_message_parse_error(m, &error, &debug);
	gst_message_parse_error_details(m, &details);
	if (details)
		gst_structure_get_int(details, "flow-return", &flow);
	if (flow == GST_FLOW_NOT_NEGOTIATED ||
	    g_error_matches(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION) ||
	    g_error_matches(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT)) {
		r = CAMERA_E_UNSUPPORTED;
	} else if (from_source && error->domain == GST_RESOURCE_ERROR) {
		if (error->code == GST_RESOURCE_ERROR_BUSY)
			r = CAMERA_E_BUSY;
		else if (g_atomic_int_get(&pl->frames) == 0 &&
			 (error->code == GST_RESOURCE_ERROR_NOT_FOUND ||
			  error->code == GST_RESOURCE_ERROR_OPEN_READ ||
			  error->code == GST_RESOURCE_ERROR_OPEN_READ_WRITE))
			r = CAMERA_E_NO_DEVICE;
		else
			r = CAMERA_E_LOST;
	}
	if (ret_message) {
		switch (r) {
		case CAMERA_E_UNSUPPORTED:
			*ret_message = g_strdup_printf("the camera cannot give this size or rate (%s)",
						       error->message);
			break;
		case CAMERA_E_LOST:
			*ret_message = g_strdup_printf("the camera was lost: %s", error->message);
			break;
		default:
			*ret_message = g_strdup(error->message);
			break;
		}
	}
	g_clear_error(&error);
	g_free(debug);
	return r;
}

int cam_still_from_bytes(GBytes *jpeg, unsigned width, unsigned height, gint64 time_us,
			 struct camera_still *ret)
{
	gsize len;
	const void *data = g_bytes_get_data(jpeg, &len);

	if (len == 0)
		return -EIO;
	ret->jpeg = g_memdup2(data, len);
	ret->len = len;
	ret->width = width;
	ret->height = height;
	ret->time_us = time_us;
	return 0;
}

int cam_still_from_sample(GstSample *sample, gint64 time_us, struct camera_still *ret)
{
	GstBuffer *buf = gst_sample_get_buffer(sample);
	GstCaps *caps = gst_sample_get_caps(sample);
	const GstStructure *st = caps ? gst_caps_get_structure(caps, 0) : NULL;
	int w = 0, h = 0;
	GstMapInfo map;
	GBytes *bytes;
	int r;

	if (!buf || !st || !gst_structure_get_int(st, "width", &w) ||
	    !gst_structure_get_int(st, "height", &h) || !gst_buffer_map(buf, &map, GST_MAP_READ))
		return -EIO;
	bytes = g_bytes_new_static(map.data, map.size);
	r = cam_still_from_bytes(bytes, w, h, time_us, ret);
	g_bytes_unref(bytes);
	gst_buffer_unmap(buf, &map);
	return r;
}

void camera_still_clear(struct camera_still *s)
{
	if (!s)
		return;
	g_free(s->jpeg);
	memset(s, 0, sizeof(*s));
}
