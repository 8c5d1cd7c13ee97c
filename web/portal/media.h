/* media: what the identity service checks of the photos and the video a
 * page sends, by their structure (this stand-in does not decode pixels).
 *
 * Return values: 0 when the data passes, MEDIA_E_INVALID otherwise with
 * *ret_why (if not NULL) a static English sentence saying why. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum media_error {
	MEDIA_E_INVALID = 1,
};

/* A JPEG: SOI, marker segments that fit the data, a baseline (SOF0),
 * extended sequential (SOF1) or progressive (SOF2) frame header with 1 or
 * 3 components before the first scan, a scan, and an EOI after it. The
 * picture must be at least min_long × min_short pixels in either
 * orientation. *ret_width and *ret_height are the frame's size. */
int media_jpeg_check(const uint8_t *data, size_t len, unsigned min_long, unsigned min_short,
		     unsigned *ret_width, unsigned *ret_height, const char **ret_why);

/* A WebM file: an EBML header whose DocType is "webm", followed by a
 * Segment element. */
int media_webm_check(const uint8_t *data, size_t len, const char **ret_why);
