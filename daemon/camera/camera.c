/* camera: options, GStreamer's lazy start, device discovery and modes, and
 * the registry that enforces one pipeline per device. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/camera/camera-private.h"

static GMutex lock; /* options, gst_ready, claims */
static bool gst_ready;
static struct {
	enum camera_source source;
	char *device;
	unsigned fail_after_frames;
	size_t max_clip_bytes;
} options;

struct claim {
	enum cam_use use;
	unsigned width, height;
	struct camera_preview *preview;
};
static GHashTable *claims; /* id → struct claim */

/* The active count and the hook: a lock of their own, held while the hook
 * runs, so on/off reach it in order; the count is also read atomically, so
 * the hook may call camera_active(). */
static GMutex hook_lock;
static gint n_active;
static void (*active_hook)(bool on, void *data);
static void *active_hook_data;

int camera_setup(const struct camera_options *o, char **ret_message)
{
	static const struct camera_options defaults = { .source = CAMERA_SOURCE_AUTO };
	GError *error = NULL;
	int r = 0;

	if (!o)
		o = &defaults;
	g_mutex_lock(&lock);
	if (!gst_ready) {
		/* GStreamer's options come from the environment (GST_DEBUG…). */
		if (gst_init_check(NULL, NULL, &error)) {
			gst_ready = true;
		} else {
			if (ret_message)
				*ret_message = g_strdup_printf("GStreamer cannot start: %s",
							       error ? error->message : "unknown error");
			g_clear_error(&error);
			r = CAMERA_E_UNAVAILABLE;
		}
	}
	if (r == 0) {
		options.source = o->source;
		g_free(options.device);
		options.device = g_strdup(o->device);
		options.fail_after_frames = o->fail_after_frames;
		options.max_clip_bytes = o->max_clip_bytes;
		if (!claims)
			claims = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	}
	g_mutex_unlock(&lock);
	if (r == 0)
		cam_test_replug();
	return r;
}

int cam_ready(char **ret_message)
{
	bool ready;

	g_mutex_lock(&lock);
	ready = gst_ready;
	g_mutex_unlock(&lock);
	return ready ? 0 : camera_setup(NULL, ret_message);
}

/* --- modes ---------------------------------------------------------------- */

static const struct camera_mode common_sizes[] = {
	{ 320, 240, 0, 0 },
	{ 640, 480, 0, 0 },
	{ 1280, 720, 0, 0 },
	{ 1920, 1080, 0, 0 },
};
static const unsigned common_rates[] = { 15, 30 };

static int mode_cmp(const void *a, const void *b)
{
	const struct camera_mode *x = a, *y = b;

	if (x->width != y->width)
		return x->width < y->width ? -1 : 1;
	if (x->height != y->height)
		return x->height < y->height ? -1 : 1;
	/* x->fps_num / x->fps_den against y's, without division */
	guint64 l = (guint64)x->fps_num * y->fps_den, r = (guint64)y->fps_num * x->fps_den;

	return l < r ? -1 : l > r;
}

static bool value_has_int(const GValue *v, int i)
{
	GValue probe = G_VALUE_INIT;
	bool r;

	g_value_init(&probe, G_TYPE_INT);
	g_value_set_int(&probe, i);
	r = gst_value_can_intersect(v, &probe);
	g_value_unset(&probe);
	return r;
}

static void add_mode(GArray *modes, unsigned w, unsigned h, int num, int den)
{
	struct camera_mode m = { w, h, num, den };

	if (w == 0 || h == 0 || w > CAMERA_MAX_WIDTH || h > CAMERA_MAX_HEIGHT || num <= 0 ||
	    den <= 0 || (guint64)num > (guint64)CAMERA_MAX_FPS * den)
		return;
	g_array_append_val(modes, m);
}

/* The rates a framerate field offers: its fractions, or the common rates
 * a range contains. */
static void add_rates(GArray *modes, unsigned w, unsigned h, const GValue *rate)
{
	if (!rate) {
		return;
	} else if (GST_VALUE_HOLDS_FRACTION(rate)) {
		add_mode(modes, w, h, gst_value_get_fraction_numerator(rate),
			 gst_value_get_fraction_denominator(rate));
	} else if (GST_VALUE_HOLDS_LIST(rate)) {
		for (guint i = 0; i < gst_value_list_get_size(rate); i++)
			add_rates(modes, w, h, gst_value_list_get_value(rate, i));
	} else if (GST_VALUE_HOLDS_FRACTION_RANGE(rate)) {
		for (size_t i = 0; i < G_N_ELEMENTS(common_rates); i++) {
			GValue f = G_VALUE_INIT;

			g_value_init(&f, GST_TYPE_FRACTION);
			gst_value_set_fraction(&f, common_rates[i], 1);
			if (gst_value_can_intersect(rate, &f))
				add_mode(modes, w, h, common_rates[i], 1);
			g_value_unset(&f);
		}
	}
}

static void add_sizes(GArray *modes, const GstStructure *st)
{
	const GValue *w = gst_structure_get_value(st, "width");
	const GValue *h = gst_structure_get_value(st, "height");
	const GValue *rate = gst_structure_get_value(st, "framerate");

	if (!w || !h)
		return;
	if (G_VALUE_HOLDS_INT(w) && G_VALUE_HOLDS_INT(h)) {
		add_rates(modes, g_value_get_int(w), g_value_get_int(h), rate);
		return;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(common_sizes); i++)
		if (value_has_int(w, common_sizes[i].width) &&
		    value_has_int(h, common_sizes[i].height))
			add_rates(modes, common_sizes[i].width, common_sizes[i].height, rate);
}

static void modes_from_caps(GstCaps *caps, struct camera_device *d)
{
	GArray *modes = g_array_new(FALSE, FALSE, sizeof(struct camera_mode));
	guint n = 0;

	for (guint i = 0; caps && i < gst_caps_get_size(caps); i++) {
		const GstStructure *st = gst_caps_get_structure(caps, i);

		if (gst_structure_has_name(st, "video/x-raw") ||
		    gst_structure_has_name(st, "image/jpeg"))
			add_sizes(modes, st);
	}
	g_array_sort(modes, mode_cmp);
	for (guint i = 0; i < modes->len; i++)
		if (n == 0 || mode_cmp(&g_array_index(modes, struct camera_mode, n - 1),
				       &g_array_index(modes, struct camera_mode, i)) != 0)
			g_array_index(modes, struct camera_mode, n++) =
				g_array_index(modes, struct camera_mode, i);
	d->n_modes = n;
	d->modes = (struct camera_mode *)g_array_free(modes, n == 0);
}

/* The test device's caps: the common sizes at the common rates, raw. */
static GstCaps *test_caps(void)
{
	GstCaps *caps = gst_caps_new_empty();

	for (size_t i = 0; i < G_N_ELEMENTS(common_sizes); i++)
		for (size_t j = 0; j < G_N_ELEMENTS(common_rates); j++)
			gst_caps_append_structure(
				caps, gst_structure_new("video/x-raw", "width", G_TYPE_INT,
							common_sizes[i].width, "height", G_TYPE_INT,
							common_sizes[i].height, "framerate",
							GST_TYPE_FRACTION, common_rates[j], 1,
							NULL));
	return caps;
}

/* --- devices -------------------------------------------------------------- */

static char *device_id(GstDevice *dev)
{
	GstStructure *props = gst_device_get_properties(dev);
	const char *path = props ? gst_structure_get_string(props, "device.path") : NULL;
	char *id = path ? g_strdup(path) : gst_device_get_display_name(dev);

	if (props)
		gst_structure_free(props);
	return id;
}

static bool device_is_v4l2(GstDevice *dev)
{
	GstStructure *props = gst_device_get_properties(dev);
	const char *api = props ? gst_structure_get_string(props, "device.api") : NULL;
	bool r = api && strcmp(api, "v4l2") == 0;

	if (props)
		gst_structure_free(props);
	return r;
}

/* V4L2 cameras, in the monitor's order. show-all-devices: a PipeWire or
 * libcamera provider may hide the V4L2 one, which is the one we use. */
static GList *v4l2_devices(void)
{
	GstDeviceMonitor *mon = gst_device_monitor_new();
	GList *all, *v4l2 = NULL;

	gst_device_monitor_add_filter(mon, "Video/Source", NULL);
	gst_device_monitor_set_show_all_devices(mon, TRUE);
	all = gst_device_monitor_get_devices(mon);
	gst_object_unref(mon);
	for (GList *l = all; l; l = l->next)
		if (device_is_v4l2(l->data))
			v4l2 = g_list_prepend(v4l2, gst_object_ref(l->data));
	g_list_free_full(all, gst_object_unref);
	return g_list_reverse(v4l2);
}

static int source_missing(const char *element, char **ret_message)
{
	GstElementFactory *f = gst_element_factory_find(element);

	if (f) {
		gst_object_unref(f);
		return 0;
	}
	if (ret_message)
		*ret_message = g_strdup_printf("GStreamer element \"%s\" is missing (install %s)",
					       element,
					       strcmp(element, "v4l2src") == 0
						       ? "gstreamer1.0-plugins-good"
						       : "gstreamer1.0-plugins-base");
	return CAMERA_E_UNAVAILABLE;
}

static void options_get(enum camera_source *source, char **device, unsigned *fail_after,
			size_t *max_clip)
{
	g_mutex_lock(&lock);
	*source = options.source;
	*device = g_strdup(options.device);
	*fail_after = options.fail_after_frames;
	*max_clip = options.max_clip_bytes ? options.max_clip_bytes : CAMERA_RECORD_MAX_BYTES;
	g_mutex_unlock(&lock);
}

int camera_list(struct camera_device **ret, size_t *ret_n, char **ret_message)
{
	enum camera_source source;
	g_autofree char *dflt = NULL;
	unsigned fail_after;
	size_t max_clip, n = 0;
	struct camera_device *v;
	GList *devs;
	int r;

	if (!ret || !ret_n)
		return -EINVAL;
	r = cam_ready(ret_message);
	if (r != 0)
		return r;
	options_get(&source, &dflt, &fail_after, &max_clip);
	if (source == CAMERA_SOURCE_TEST) {
		GstCaps *caps = test_caps();

		r = source_missing("videotestsrc", ret_message);
		if (r != 0) {
			gst_caps_unref(caps);
			return r;
		}
		v = g_new0(struct camera_device, 1);
		v->id = g_strdup(CAMERA_TEST_ID);
		v->name = g_strdup(CAMERA_TEST_NAME);
		modes_from_caps(caps, v);
		gst_caps_unref(caps);
		*ret = v;
		*ret_n = 1;
		return 0;
	}
	r = source_missing("v4l2src", ret_message);
	if (r != 0)
		return r;
	devs = v4l2_devices();
	v = g_new0(struct camera_device, g_list_length(devs) + 1);
	for (GList *l = devs; l; l = l->next, n++) {
		GstCaps *caps = gst_device_get_caps(l->data);

		v[n].id = device_id(l->data);
		v[n].name = gst_device_get_display_name(l->data);
		modes_from_caps(caps, &v[n]);
		if (caps)
			gst_caps_unref(caps);
	}
	g_list_free_full(devs, gst_object_unref);
	if (n == 0)
		g_clear_pointer(&v, g_free);
	*ret = v;
	*ret_n = n;
	return 0;
}

void camera_devices_free(struct camera_device *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		g_free(v[i].id);
		g_free(v[i].name);
		g_free(v[i].modes);
	}
	g_free(v);
}

int cam_source_open(const char *device, struct cam_source *ret, char **ret_message)
{
	struct cam_source s = { 0 };
	enum camera_source source;
	g_autofree char *dflt = NULL;
	GList *devs;
	int r;

	r = cam_ready(ret_message);
	if (r != 0)
		return r;
	options_get(&source, &dflt, &s.fail_after, &s.max_clip_bytes);
	if (!device)
		device = dflt;
	if (source == CAMERA_SOURCE_TEST) {
		if (device && strcmp(device, CAMERA_TEST_ID) != 0) {
			if (ret_message)
				*ret_message = g_strdup_printf("no camera \"%s\"", device);
			return CAMERA_E_NO_DEVICE;
		}
		r = source_missing("videotestsrc", ret_message);
		if (r != 0)
			return r;
		s.id = g_strdup(CAMERA_TEST_ID);
		s.caps = test_caps();
		*ret = s;
		return 0;
	}
	r = source_missing("v4l2src", ret_message);
	if (r != 0)
		return r;
	s.warmup = CAMERA_WARMUP_FRAMES;
	devs = v4l2_devices();
	for (GList *l = devs; l && !s.device; l = l->next) {
		char *id = device_id(l->data);

		if (!device || strcmp(id, device) == 0) {
			s.id = id;
			s.device = gst_object_ref(l->data);
			s.caps = gst_device_get_caps(s.device);
		} else {
			g_free(id);
		}
	}
	g_list_free_full(devs, gst_object_unref);
	if (!s.device) {
		if (ret_message)
			*ret_message = device ? g_strdup_printf("no camera \"%s\"", device)
					      : g_strdup("no camera found");
		return CAMERA_E_NO_DEVICE;
	}
	if (!s.caps)
		s.caps = gst_caps_new_any();
	*ret = s;
	return 0;
}

void cam_source_clear(struct cam_source *s)
{
	g_clear_pointer(&s->id, g_free);
	g_clear_pointer(&s->caps, gst_caps_unref);
	if (s->device)
		gst_object_unref(s->device);
	s->device = NULL;
}

static bool caps_have_size(GstCaps *caps, unsigned w, unsigned h)
{
	GstCaps *want = gst_caps_new_empty();
	bool r;

	gst_caps_append_structure(want, gst_structure_new("video/x-raw", "width", G_TYPE_INT, w,
							  "height", G_TYPE_INT, h, NULL));
	gst_caps_append_structure(want, gst_structure_new("image/jpeg", "width", G_TYPE_INT, w,
							  "height", G_TYPE_INT, h, NULL));
	r = gst_caps_can_intersect(caps, want);
	gst_caps_unref(want);
	return r;
}

int cam_source_size(const struct cam_source *s, unsigned *width, unsigned *height,
		    char **ret_message)
{
	if ((*width == 0) != (*height == 0) || *width > CAMERA_MAX_WIDTH ||
	    *height > CAMERA_MAX_HEIGHT)
		return -EINVAL;
	if (*width == 0) {
		struct camera_device d = { 0 };

		if (caps_have_size(s->caps, 640, 480)) {
			*width = 640;
			*height = 480;
			return 0;
		}
		modes_from_caps(s->caps, &d);
		if (d.n_modes > 0) {
			*width = d.modes[d.n_modes - 1].width;
			*height = d.modes[d.n_modes - 1].height;
		}
		g_free(d.modes);
		if (*width == 0) {
			if (ret_message)
				*ret_message = g_strdup("the camera lists no usable size");
			return CAMERA_E_UNSUPPORTED;
		}
		return 0;
	}
	if (!caps_have_size(s->caps, *width, *height)) {
		if (ret_message)
			*ret_message = g_strdup_printf("the camera cannot give %u×%u", *width,
						       *height);
		return CAMERA_E_UNSUPPORTED;
	}
	return 0;
}

/* --- one pipeline per device ---------------------------------------------- */

static void active_add(int delta)
{
	int now;

	g_mutex_lock(&hook_lock);
	now = g_atomic_int_add(&n_active, delta) + delta;
	g_assert(now >= 0);
	if (active_hook && ((delta > 0 && now == 1) || (delta < 0 && now == 0)))
		active_hook(now > 0, active_hook_data);
	g_mutex_unlock(&hook_lock);
}

int cam_claim(const char *id, enum cam_use use, unsigned width, unsigned height,
	      struct camera_preview *p, struct camera_preview **ret_shared, char **ret_message)
{
	struct claim *c;

	g_mutex_lock(&lock);
	c = g_hash_table_lookup(claims, id);
	if (c) {
		bool share = use == CAM_USE_CAPTURE && c->use == CAM_USE_PREVIEW &&
			     ((width == 0 && height == 0) ||
			      (width == c->width && height == c->height));

		if (share)
			*ret_shared = cam_preview_ref(c->preview);
		g_mutex_unlock(&lock);
		if (share)
			return 0;
		if (ret_message)
			*ret_message = g_strdup_printf(
				"the camera is busy (%s)",
				c->use == CAM_USE_PREVIEW
					? (use == CAM_USE_CAPTURE ? "a preview runs at another size"
								  : "a preview runs")
					: "a capture or recording runs");
		return CAMERA_E_BUSY;
	}
	c = g_new0(struct claim, 1);
	c->use = use;
	c->width = width;
	c->height = height;
	c->preview = p;
	g_hash_table_insert(claims, g_strdup(id), c);
	g_mutex_unlock(&lock);
	*ret_shared = NULL;
	active_add(1);
	return 0;
}

void cam_release(const char *id)
{
	bool removed;

	g_mutex_lock(&lock);
	removed = g_hash_table_remove(claims, id);
	g_mutex_unlock(&lock);
	if (removed)
		active_add(-1);
}

bool camera_active(void)
{
	return g_atomic_int_get(&n_active) > 0;
}

void camera_set_active_hook(void (*hook)(bool on, void *data), void *data)
{
	g_mutex_lock(&hook_lock);
	active_hook = hook;
	active_hook_data = data;
	g_mutex_unlock(&hook_lock);
}
