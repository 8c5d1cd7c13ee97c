#include "web/portal/media.h"

#include <stdbool.h>
#include <string.h>

static int invalid(const char **ret_why, const char *why)
{
	if (ret_why)
		*ret_why = why;
	return MEDIA_E_INVALID;
}

/* Markers without a length: TEM and RST0..7. */
static bool standalone(uint8_t m)
{
	return m == 0x01 || (m >= 0xd0 && m <= 0xd7);
}

/* Start-of-frame markers: C0..CF except DHT (C4), JPG (C8) and DAC (CC). */
static bool frame_marker(uint8_t m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static bool has_eoi(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == 0xff && p[i + 1] == 0xd9)
			return true;
	return false;
}

int media_jpeg_check(const uint8_t *d, size_t n, unsigned min_long, unsigned min_short,
		     unsigned *ret_width, unsigned *ret_height, const char **ret_why)
{
	unsigned width = 0, height = 0, lo, hi;
	size_t pos = 2;

	if (n < 4 || d[0] != 0xff || d[1] != 0xd8)
		return invalid(ret_why, "not a JPEG (no SOI marker)");
	for (;;) {
		uint8_t m;
		size_t seg;

		if (pos >= n || d[pos] != 0xff)
			return invalid(ret_why, "the JPEG's marker segments are broken");
		while (pos < n && d[pos] == 0xff)
			pos++;
		if (pos >= n)
			return invalid(ret_why, "the JPEG ends before its first scan");
		m = d[pos++];
		if (standalone(m))
			continue;
		if (m == 0xd8 || m == 0xd9 || m == 0x00)
			return invalid(ret_why, "the JPEG ends before its first scan");
		if (pos + 2 > n)
			return invalid(ret_why, "the JPEG ends inside a marker segment");
		seg = (size_t)d[pos] << 8 | d[pos + 1];
		if (seg < 2 || pos + seg > n)
			return invalid(ret_why, "the JPEG ends inside a marker segment");
		if (frame_marker(m)) {
			const uint8_t *f = d + pos + 2;
			unsigned components;

			if (m != 0xc0 && m != 0xc1 && m != 0xc2)
				return invalid(ret_why,
					       "the JPEG is neither baseline nor progressive");
			if (width)
				return invalid(ret_why, "the JPEG has two frame headers");
			if (seg < 8)
				return invalid(ret_why, "the JPEG's frame header is too short");
			height = (unsigned)f[1] << 8 | f[2];
			width = (unsigned)f[3] << 8 | f[4];
			components = f[5];
			if ((components != 1 && components != 3) || seg < 8 + 3 * components)
				return invalid(ret_why, "the JPEG's frame header is malformed");
			if (!width || !height)
				return invalid(ret_why, "the JPEG has no size in its frame header");
		}
		if (m == 0xda) {
			if (!width)
				return invalid(ret_why,
					       "the JPEG's scan comes before its frame header");
			if (!has_eoi(d + pos + seg, n - pos - seg))
				return invalid(ret_why, "the JPEG is truncated (no EOI marker)");
			break;
		}
		pos += seg;
	}
	lo = width < height ? width : height;
	hi = width < height ? height : width;
	if (hi < min_long || lo < min_short)
		return invalid(ret_why, "the picture is too small");
	*ret_width = width;
	*ret_height = height;
	return 0;
}

/* An EBML variable-length integer: the length is the position of the
 * first set bit of the first byte. keep_marker: for element IDs, which
 * are written with their length marker. */
static bool vint(const uint8_t *d, size_t n, size_t *pos, bool keep_marker, uint64_t *ret)
{
	unsigned len = 1;
	uint64_t v;

	if (*pos >= n || d[*pos] == 0)
		return false;
	while (!(d[*pos] & (0x80 >> (len - 1))))
		len++;
	if (*pos + len > n || (keep_marker && len > 4))
		return false;
	v = keep_marker ? d[*pos] : d[*pos] & (0xff >> len);
	for (unsigned i = 1; i < len; i++)
		v = v << 8 | d[*pos + i];
	*pos += len;
	*ret = v;
	return true;
}

#define EBML_ID_HEADER  0x1a45dfa3
#define EBML_ID_DOCTYPE 0x4282
#define EBML_ID_SEGMENT 0x18538067

int media_webm_check(const uint8_t *d, size_t n, const char **ret_why)
{
	uint64_t id, size;
	size_t pos = 0, end;
	bool webm = false;

	if (!vint(d, n, &pos, true, &id) || id != EBML_ID_HEADER)
		return invalid(ret_why, "not a WebM file (no EBML header)");
	if (!vint(d, n, &pos, false, &size) || size > n - pos)
		return invalid(ret_why, "the EBML header is truncated");
	end = pos + (size_t)size;
	while (pos < end) {
		uint64_t child, child_size;

		if (!vint(d, end, &pos, true, &child) || !vint(d, end, &pos, false, &child_size) ||
		    child_size > end - pos)
			return invalid(ret_why, "the EBML header is malformed");
		if (child == EBML_ID_DOCTYPE) {
			size_t len = (size_t)child_size;

			/* A string element may be padded with NULs. */
			while (len > 0 && d[pos + len - 1] == '\0')
				len--;
			webm = len == 4 && memcmp(d + pos, "webm", 4) == 0;
		}
		pos += (size_t)child_size;
	}
	if (!webm)
		return invalid(ret_why, "the EBML DocType is not webm");
	if (!vint(d, n, &pos, true, &id) || id != EBML_ID_SEGMENT)
		return invalid(ret_why, "the WebM file has no Segment after its header");
	return 0;
}
