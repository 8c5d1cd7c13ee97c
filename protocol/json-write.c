/* The writer: org.json's JSONObject.toString() for json-c trees.
 *
 * Key order is the one thing org.json leaves to chance: JSONObject keeps
 * its members in a java.util.HashMap, so NCALayer's answers list keys in
 * that map's iteration order ({"responseObject":[],"code":"200"}, but
 * {"code":"500","message":...}). We compute the same order from the keys'
 * Java hash codes, see pjson_write() in json.h. */
#include "protocol/json.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/internal.h"

struct wbuf {
	char *s;
	size_t len;
	size_t alloc;
	bool oom;
};

static void w_put(struct wbuf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (n >= b->alloc - b->len) {
		size_t want = b->alloc ? b->alloc : 256;
		char *s;

		while (want - b->len <= n) {
			if (want > SIZE_MAX / 2) {
				b->oom = true;
				return;
			}
			want *= 2;
		}
		s = realloc(b->s, want);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->alloc = want;
	}
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void w_str(struct wbuf *b, const char *s)
{
	w_put(b, s, strlen(s));
}

static void w_char(struct wbuf *b, char c)
{
	w_put(b, &c, 1);
}

/* org.json's JSONObject.quote(). */
static void w_quote(struct wbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t prev = 0;
	size_t i = 0;

	w_char(b, '"');
	while (i < n) {
		uint32_t cp;
		size_t k, run = i;
		bool valid;
		char tmp[8];

		/* Plain ASCII goes out in one piece (documents are large). */
		while (run < n && u[run] >= 0x20 && u[run] < 0x7f && u[run] != '"' &&
		       u[run] != '\\' && u[run] != '/')
			run++;
		if (run > i) {
			w_put(b, u + i, run - i);
			prev = u[run - 1];
			i = run;
			continue;
		}

		k = pjson_utf8_decode(u + i, n - i, &cp);
		valid = k > 0;

		if (!valid) {
			/* Not UTF-8: what Java would have decoded it to. */
			cp = 0xfffd;
			k = 1;
		}
		switch (cp) {
		case '\\':
		case '"':
			w_char(b, '\\');
			w_char(b, (char)cp);
			break;
		case '/':
			if (prev == '<')
				w_char(b, '\\');
			w_char(b, '/');
			break;
		case '\b':
			w_str(b, "\\b");
			break;
		case '\t':
			w_str(b, "\\t");
			break;
		case '\n':
			w_str(b, "\\n");
			break;
		case '\f':
			w_str(b, "\\f");
			break;
		case '\r':
			w_str(b, "\\r");
			break;
		default:
			if (cp < 0x20 || (cp >= 0x80 && cp < 0xa0) ||
			    (cp >= 0x2000 && cp < 0x2100)) {
				snprintf(tmp, sizeof(tmp), "\\u%04" PRIx32, cp);
				w_str(b, tmp);
			} else if (valid) {
				w_put(b, u + i, k);
			} else {
				w_put(b, tmp, pjson_utf8_encode(cp, tmp));
			}
		}
		prev = cp;
		i += k;
	}
	w_char(b, '"');
}

/* Java's Double.toString() layout of the shortest digits that read back
 * to d, then org.json's numberToString() trimming of a plain number's
 * trailing zeros. */
static void w_double(struct wbuf *b, double d)
{
	char tmp[48], digits[24], out[64];
	size_t nd = 0, o = 0;
	int prec, exp10;
	const char *e;

	if (!isfinite(d)) {
		w_str(b, "null");
		return;
	}
	if (d == 0) {
		w_str(b, signbit(d) ? "-0" : "0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp is "[-]D[<point>DDD]e<sign>XX"; the point is whatever the locale
	 * says, so take the digits, not the layout. */
	e = strchr(tmp, 'e');
	if (!e) {
		w_str(b, "null");
		return;
	}
	for (const char *c = tmp; c < e; c++)
		if (*c >= '0' && *c <= '9' && nd < sizeof(digits) - 1)
			digits[nd++] = *c;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	exp10 = atoi(e + 1);

	if (d < 0)
		out[o++] = '-';
	if (exp10 >= -3 && exp10 < 7) {
		if (exp10 >= 0) {
			for (int i = 0; i <= exp10; i++)
				out[o++] = (size_t)i < nd ? digits[i] : '0';
			if ((size_t)exp10 + 1 < nd) {
				out[o++] = '.';
				for (size_t i = exp10 + 1; i < nd; i++)
					out[o++] = digits[i];
			}
		} else {
			out[o++] = '0';
			out[o++] = '.';
			for (int i = -1; i > exp10; i--)
				out[o++] = '0';
			for (size_t i = 0; i < nd; i++)
				out[o++] = digits[i];
		}
		out[o] = '\0';
	} else {
		out[o++] = digits[0];
		out[o++] = '.';
		if (nd > 1)
			for (size_t i = 1; i < nd; i++)
				out[o++] = digits[i];
		else
			out[o++] = '0';
		snprintf(out + o, sizeof(out) - o, "E%d", exp10);
	}
	w_str(b, out);
}

static void w_int(struct wbuf *b, struct json_object *o)
{
	int64_t v = json_object_get_int64(o);
	char tmp[24];

	/* json-c clamps a uint64 above INT64_MAX to INT64_MAX. */
	if (v == INT64_MAX)
		snprintf(tmp, sizeof(tmp), "%" PRIu64, json_object_get_uint64(o));
	else
		snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	w_str(b, tmp);
}

uint32_t pjson_java_hash(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	uint32_t h = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = pjson_utf8_decode(u + i, n - i, &cp);

		if (k == 0) {
			cp = 0xfffd;
			k = 1;
		}
		if (cp >= 0x10000) {
			/* Two UTF-16 code units: the surrogate pair. */
			cp -= 0x10000;
			h = 31 * h + (0xd800 + (cp >> 10));
			h = 31 * h + (0xdc00 + (cp & 0x3ff));
		} else {
			h = 31 * h + cp;
		}
		i += k;
	}
	return h;
}

struct member {
	const char *key;
	struct json_object *value;
	uint32_t bucket;
	size_t seq;
};

static int member_compare(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The members of o in java.util.HashMap iteration order; *ret_n of them.
 * Returns NULL with *ret_n == 0 for an empty object, NULL with a non-zero
 * *ret_n when memory runs out. */
static struct member *members_ordered(struct json_object *o, size_t *ret_n)
{
	size_t n = (size_t)json_object_object_length(o), cap = 16, i = 0;
	struct member *m;

	*ret_n = n;
	if (n == 0)
		return NULL;
	m = calloc(n, sizeof(*m));
	if (!m)
		return NULL;
	/* Java resizes when the count passes 0.75 of the table. */
	while (n > cap / 4 * 3)
		cap *= 2;
	json_object_object_foreach(o, key, value)
	{
		uint32_t h = pjson_java_hash(key);

		h ^= h >> 16;
		m[i] = (struct member){
			.key = key,
			.value = value,
			.bucket = h & (uint32_t)(cap - 1),
			.seq = i,
		};
		i++;
	}
	qsort(m, n, sizeof(*m), member_compare);
	return m;
}

struct wframe {
	struct json_object *o;
	struct member *members; /* objects only */
	size_t i;
	size_t n;
};

struct wstack {
	struct wframe *f;
	size_t depth;
	size_t alloc;
};

/* Write a scalar, or open a container and push it. */
static void w_value(struct wbuf *b, struct wstack *st, struct json_object *v)
{
	struct wframe f = { .o = v };

	switch (json_object_get_type(v)) {
	case json_type_null:
		w_str(b, "null");
		return;
	case json_type_boolean:
		w_str(b, json_object_get_boolean(v) ? "true" : "false");
		return;
	case json_type_int:
		w_int(b, v);
		return;
	case json_type_double:
		w_double(b, json_object_get_double(v));
		return;
	case json_type_string:
		w_quote(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		return;
	case json_type_object:
		w_char(b, '{');
		f.members = members_ordered(v, &f.n);
		if (!f.members && f.n > 0) {
			b->oom = true;
			return;
		}
		break;
	case json_type_array:
		w_char(b, '[');
		f.n = json_object_array_length(v);
		break;
	}
	if (st->depth == st->alloc) {
		size_t n = st->alloc ? st->alloc * 2 : 16;
		struct wframe *s = reallocarray(st->f, n, sizeof(*s));

		if (!s) {
			free(f.members);
			b->oom = true;
			return;
		}
		st->f = s;
		st->alloc = n;
	}
	st->f[st->depth++] = f;
}

char *pjson_write(struct json_object *o, size_t *ret_len)
{
	struct wbuf b = {};
	struct wstack st = {};

	w_value(&b, &st, o);
	while (st.depth > 0 && !b.oom) {
		struct wframe *f = &st.f[st.depth - 1];
		bool array = json_object_is_type(f->o, json_type_array);
		struct json_object *v;

		if (f->i == f->n) {
			w_char(&b, array ? ']' : '}');
			free(f->members);
			st.depth--;
			continue;
		}
		if (f->i > 0)
			w_char(&b, ',');
		if (array) {
			v = json_object_array_get_idx(f->o, f->i);
		} else {
			w_quote(&b, f->members[f->i].key, strlen(f->members[f->i].key));
			w_char(&b, ':');
			v = f->members[f->i].value;
		}
		f->i++;
		w_value(&b, &st, v); /* may move st.f */
	}
	while (st.depth > 0)
		free(st.f[--st.depth].members);
	free(st.f);
	if (!b.oom && !b.s)
		w_put(&b, "", 0);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	if (ret_len)
		*ret_len = b.len;
	return b.s;
}

char *pjson_write_string(const char *s)
{
	struct wbuf b = {};

	w_quote(&b, s ? s : "", s ? strlen(s) : 0);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
