/* What camera.c (options, devices, the claim registry), pipeline.c
 * (building and running pipelines) and preview.c share. Not an API. */
#pragma once

#include <gst/gst.h>

#include "daemon/camera/camera.h"

/* A device resolved for one call: what a pipeline needs to open it. */
struct cam_source {
	char *id;           /* the claim key: "test" or the device path */
	GstDevice *device;  /* V4L2: the monitor's device; NULL for the test source */
	GstCaps *caps;      /* what the device can give */
	unsigned warmup;    /* frames to drop at the start */
	unsigned fail_after;
	size_t max_clip_bytes;
};

/* camera.c */
int cam_ready(char **ret_message);
int cam_source_open(const char *device, struct cam_source *ret, char **ret_message);
void cam_source_clear(struct cam_source *s);
/* Apply the default size for 0×0; -EINVAL for a half-given or oversized
 * size; CAMERA_E_UNSUPPORTED when the device does not list it. */
int cam_source_size(const struct cam_source *s, unsigned *width, unsigned *height,
		    char **ret_message);

enum cam_use {
	CAM_USE_CAPTURE,
	CAM_USE_RECORD,
	CAM_USE_PREVIEW,
};

/* Claim s->id for a pipeline of this use (p: the preview, for
 * CAM_USE_PREVIEW). CAMERA_E_BUSY when taken, except that a capture of
 * 0×0 or the preview's size on a previewed device gets 0 with
 * *ret_shared = a reference to that preview and no claim. Claims count
 * towards camera_active(). */
int cam_claim(const char *id, enum cam_use use, unsigned width, unsigned height,
	      struct camera_preview *p, struct camera_preview **ret_shared, char **ret_message);
void cam_release(const char *id);

/* pipeline.c */
enum cam_chain {
	CAM_CHAIN_JPEG, /* jpegenc ! appsink */
	CAM_CHAIN_VP8,  /* videorate ! vp8enc ! webmmux ! fdsink */
};

struct cam_pipeline {
	GstElement *pipeline;
	GstElement *source;
	GstElement *sink;  /* appsink or fdsink */
	GstElement *rated; /* the capsfilter after videorate, if any */
	gint frames;       /* buffers out of the source (atomic) */
	gint failed;       /* the test hook fired (atomic) */
	unsigned warmup, fail_after;
};

/* Check the elements chain needs; CAMERA_E_UNAVAILABLE names a missing one. */
int cam_check_elements(const struct cam_source *s, enum cam_chain chain, unsigned fps,
		       char **ret_message);
/* Build (not start) source ! … ! sink for width×height; fps 0: no videorate. */
int cam_pipeline_build(struct cam_pipeline *pl, const struct cam_source *s, enum cam_chain chain,
		       unsigned width, unsigned height, unsigned fps, int fd, char **ret_message);
/* State NULL, unref; safe on a zeroed or half-built one. Never from a
 * streaming thread. */
void cam_pipeline_clear(struct cam_pipeline *pl);
/* Map a bus ERROR to CAMERA_E_* and a message. */
int cam_error_from_message(struct cam_pipeline *pl, GstMessage *m, char **ret_message);
/* A still from a JPEG sample. */
int cam_still_from_sample(GstSample *sample, gint64 time_us, struct camera_still *ret);
int cam_still_from_bytes(GBytes *jpeg, unsigned width, unsigned height, gint64 time_us,
			 struct camera_still *ret);

/* preview.c */
struct camera_preview *cam_preview_ref(struct camera_preview *p);
void cam_preview_unref(struct camera_preview *p);
/* The preview's next frame. -EAGAIN when the preview stopped first (the
 * device is free: try again with a pipeline of your own). */
int cam_preview_snap(struct camera_preview *p, GCancellable *cancel, struct camera_still *ret,
		     char **ret_message);
/* The test hook's device is plugged in again (camera_setup()). */
void cam_test_replug(void);
