/* kz.qoltanba.camera: our module for remote identification's camera
 * steps (PROTOCOL.md "Module kz.qoltanba.camera"). It is answered like
 * basics (apiVersion 2, INVOCATION_ERROR for argument faults), and the live
 * preview's query string is checked here with the same bounds. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/internal.h"

/* Device ids are names GStreamer or v4l2 gives; this bounds what a page
 * can make us look for. */
#define DEVICE_MAX 256

/* An optional whole number in [min, max]; absent or null: 0. */
static int opt_uint(struct json_object *o, const char *key, unsigned min, unsigned max,
		    unsigned *ret, struct proto_fault *fault)
{
	struct json_object *v = pargs_opt_member(o, key);
	int64_t n;

	*ret = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"%s\"] is not an int.", key);
		return FAULT;
	}
	n = json_object_get_int64(v);
	if (n < (int64_t)min || n > (int64_t)max) {
		proto_fault_set(fault, ARGUMENT_EXCEPTION, "%s must be from %u to %u", key, min, max);
		return FAULT;
	}
	*ret = (unsigned)n;
	return 0;
}

static int read_device(struct json_object *args, const char **ret, struct proto_fault *fault)
{
	int r = pargs_opt_string(args, "device", ret, fault);

	if (r == 0 && *ret && (!**ret || strlen(*ret) > DEVICE_MAX)) {
		proto_fault_set(fault, ARGUMENT_EXCEPTION, "device must be 1 to %d characters",
				DEVICE_MAX);
		return FAULT;
	}
	return r;
}

static int read_size(struct json_object *args, struct proto_camera_args *out,
		     struct proto_fault *fault)
{
	int r = opt_uint(args, "width", PROTO_CAMERA_MIN_SIZE, PROTO_CAMERA_MAX_WIDTH, &out->width,
			 fault);

	if (r == 0)
		r = opt_uint(args, "height", PROTO_CAMERA_MIN_SIZE, PROTO_CAMERA_MAX_HEIGHT,
			     &out->height, fault);
	if (r == 0 && !out->width != !out->height) {
		proto_fault_set(fault, ARGUMENT_EXCEPTION, "width and height go together");
		return FAULT;
	}
	return r;
}

static int capture_read(struct json_object *args, struct proto_camera_args *out,
			struct proto_fault *fault)
{
	static const char *const purposes[] = { "selfie", "document-front", "document-back" };
	const char *purpose;
	int r = read_device(args, &out->device, fault);

	if (r == 0)
		r = read_size(args, out, fault);
	if (r == 0)
		r = pargs_need_string(args, "purpose", &purpose, fault);
	if (r != 0)
		return r;
	for (size_t i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++)
		if (strcmp(purpose, purposes[i]) == 0) {
			out->purpose = (enum proto_camera_purpose)i;
			return 0;
		}
	proto_fault_set(fault, ARGUMENT_EXCEPTION,
			"purpose must be selfie, document-front or document-back");
	return FAULT;
}

static int record_read(struct json_object *args, struct proto_camera_args *out,
		       struct proto_fault *fault)
{
	int r = read_device(args, &out->device, fault);

	if (r == 0)
		r = read_size(args, out, fault);
	if (r == 0)
		r = opt_uint(args, "fps", 1, PROTO_CAMERA_MAX_FPS, &out->fps, fault);
	if (r == 0 && !pargs_opt_member(args, "seconds")) {
		proto_fault_set(fault, JSON_EXCEPTION, "JSONObject[\"seconds\"] not found.");
		return FAULT;
	}
	if (r == 0)
		r = opt_uint(args, "seconds", 1, PROTO_CAMERA_MAX_SECONDS, &out->seconds, fault);
	return r;
}

int proto_camera_check(enum proto_method method, struct json_object *args,
		       struct proto_fault *fault)
{
	struct proto_camera_args a = {};

	switch (method) {
	case PROTO_METHOD_CAMERA_CAPTURE:
		return capture_read(args, &a, fault);
	case PROTO_METHOD_CAMERA_RECORD:
		return record_read(args, &a, fault);
	case PROTO_METHOD_CAMERA_LIST_DEVICES:
	case PROTO_METHOD_CAMERA_STATUS:
	case PROTO_METHOD_CAMERA_REVOKE_CONSENT:
		return 0;
	default:
		return -EINVAL;
	}
}

int proto_camera_args_get(const struct proto_request *req, struct proto_camera_args *ret)
{
	struct proto_camera_args a = {};
	struct proto_fault fault;
	int r;

	if (!req || !ret || req->reply || req->module != PROTO_MODULE_CAMERA || !req->args)
		return -EINVAL;
	switch (req->method) {
	case PROTO_METHOD_CAMERA_CAPTURE:
		r = capture_read(req->args, &a, &fault);
		break;
	case PROTO_METHOD_CAMERA_RECORD:
		r = record_read(req->args, &a, &fault);
		break;
	default:
		return -EINVAL;
	}
	if (r != 0)
		return r < 0 ? r : -EINVAL;
	*ret = a;
	return 0;
}

/* A decimal number of at most 5 digits in [min, max]. */
static bool query_uint(const char *s, size_t n, unsigned min, unsigned max, unsigned *ret)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*ret = v;
	return true;
}

/* One key=value of the preview query. NULL or why not. */
static const char *query_pair(const char *key, size_t klen, const char *value, size_t vlen,
			      char *ret_device, size_t device_size, struct proto_camera_args *out)
{
#define KEY_IS(k) (klen == strlen(k) && memcmp(key, k, klen) == 0)
	if (KEY_IS("device")) {
		if (vlen == 0 || vlen >= device_size || memchr(value, '%', vlen))
			return "device must be a plain device id";
		memcpy(ret_device, value, vlen);
		ret_device[vlen] = '\0';
		out->device = ret_device;
		return NULL;
	}
	if (KEY_IS("width"))
		return query_uint(value, vlen, PROTO_CAMERA_MIN_SIZE, PROTO_CAMERA_MAX_WIDTH,
				  &out->width)
			       ? NULL
			       : "width must be from 16 to 1920";
	if (KEY_IS("height"))
		return query_uint(value, vlen, PROTO_CAMERA_MIN_SIZE, PROTO_CAMERA_MAX_HEIGHT,
				  &out->height)
			       ? NULL
			       : "height must be from 16 to 1080";
	if (KEY_IS("fps"))
		return query_uint(value, vlen, 1, PROTO_CAMERA_MAX_FPS, &out->fps)
			       ? NULL
			       : "fps must be from 1 to 30";
	return "unknown parameter: the preview takes device, width, height and fps";
#undef KEY_IS
}

const char *proto_camera_preview_query(const char *query, char *ret_device, size_t device_size,
				       struct proto_camera_args *ret)
{
	struct proto_camera_args a = { .fps = 15 };
	const char *p = query ? query : "";

	while (*p) {
		const char *end = strchrnul(p, '&'), *eq = memchr(p, '=', (size_t)(end - p));
		const char *why;

		if (!eq)
			return "the preview query is key=value pairs joined by &";
		why = query_pair(p, (size_t)(eq - p), eq + 1, (size_t)(end - eq - 1), ret_device,
				 device_size, &a);
		if (why)
			return why;
		p = *end ? end + 1 : end;
	}
	if (!a.width != !a.height)
		return "width and height go together";
	*ret = a;
	return NULL;
}
