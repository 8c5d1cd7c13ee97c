/* The lenient parser: org.json's JSONTokener grammar (JSONObject(JSONTokener),
 * JSONArray(JSONTokener), nextValue(), nextString(), nextSimpleValue(),
 * stringToValue()) turned into a loop over an explicit stack, so that a
 * deeply nested text costs heap (bounded by max_depth), never C stack.
 *
 * Messages keep org.json's wording where org.json has the same error, so
 * that a page author who searches for them finds org.json's explanation. */
#include "protocol/json.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/internal.h"

#define EOT (-1) /* end of text */

enum frame_state {
	FRAME_OPEN,	   /* just after '{' or '[' */
	FRAME_NEXT,	   /* after a separator: a member or element must come */
	FRAME_AFTER_VALUE, /* after a member or element: a separator or the end */
};

struct frame {
	struct json_object *container; /* borrowed: its parent (or ret) owns it */
	bool array;
	enum frame_state state;
};

struct parser {
	const unsigned char *s;
	size_t len;
	size_t pos;
	unsigned max_depth;
	struct pjson_error *error;

	struct frame *stack;
	size_t depth;
	size_t stack_alloc;

	/* Scratch for the text of a string or a number. */
	char *buf;
	size_t buf_len;
	size_t buf_alloc;
};

static int fail(struct parser *p, int kind, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, int kind, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (p->error) {
		p->error->offset = offset;
		va_start(ap, fmt);
		vsnprintf(p->error->message, sizeof(p->error->message), fmt, ap);
		va_end(ap);
		pjson_utf8_truncate(p->error->message);
	}
	return kind;
}

/* Where the character just returned by next()/next_clean() started. */
static size_t here(const struct parser *p, int c)
{
	return c == EOT ? p->len : p->pos - 1;
}

static int next(struct parser *p)
{
	if (p->pos >= p->len)
		return EOT;
	return p->s[p->pos++];
}

/* org.json's nextClean(): every byte up to and including the space is
 * whitespace. */
static int next_clean(struct parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos++];

		if (c > ' ')
			return c;
	}
	return EOT;
}

static void back(struct parser *p, int c)
{
	if (c != EOT)
		p->pos--;
}

static int buf_reserve(struct parser *p, size_t more)
{
	size_t want;
	char *n;

	if (more <= p->buf_alloc - p->buf_len)
		return 0;
	if (more > SIZE_MAX / 2 - p->buf_len)
		return -ENOMEM;
	want = p->buf_alloc ? p->buf_alloc : 64;
	while (want - p->buf_len < more)
		want *= 2;
	n = realloc(p->buf, want);
	if (!n)
		return -ENOMEM;
	p->buf = n;
	p->buf_alloc = want;
	return 0;
}

static int buf_append(struct parser *p, const void *data, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	r = buf_reserve(p, n);
	if (r < 0)
		return r;
	memcpy(p->buf + p->buf_len, data, n);
	p->buf_len += n;
	return 0;
}

static int hex4(const unsigned char *s, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* A \uXXXX escape at p->pos (the backslash and 'u' already read); a high
 * surrogate takes the low surrogate escape that must follow. */
static int read_unicode_escape(struct parser *p, size_t esc, uint32_t *ret)
{
	unsigned hi, lo;

	if (p->len - p->pos < 4 || hex4(p->s + p->pos, &hi) < 0)
		return fail(p, PJSON_E_SYNTAX, esc, "Illegal escape.");
	p->pos += 4;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail(p, PJSON_E_SYNTAX, esc, "Illegal escape. Lone surrogate \\u%04x", hi);
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
		    hex4(p->s + p->pos + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return fail(p, PJSON_E_SYNTAX, esc,
				    "Illegal escape. Lone surrogate \\u%04x", hi);
		p->pos += 6;
		*ret = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
		return 0;
	}
	if (hi == 0)
		return fail(p, PJSON_E_SYNTAX, esc, "Illegal escape. \\u0000 is not allowed");
	*ret = hi;
	return 0;
}

/* org.json's nextString(quote), the opening quote already read. The text
 * is left in p->buf (NUL-terminated, length p->buf_len). */
static int read_string(struct parser *p, int quote)
{
	int r;

	p->buf_len = 0;
	for (;;) {
		size_t start = p->pos;
		int c;

		/* Copy a run of plain bytes at once. */
		while (p->pos < p->len && p->s[p->pos] != quote && p->s[p->pos] != '\\' &&
		       p->s[p->pos] != '\n' && p->s[p->pos] != '\r')
			p->pos++;
		r = buf_append(p, p->s + start, p->pos - start);
		if (r < 0)
			return r;

		c = next(p);
		if (c == EOT || c == '\n' || c == '\r')
			return fail(p, PJSON_E_SYNTAX, here(p, c), "Unterminated string");
		if (c == quote)
			break;

		/* A backslash. */
		size_t esc = p->pos - 1;
		char ch;
		uint32_t cp = 0;
		char utf8[4];

		c = next(p);
		switch (c) {
		case 'b':
			ch = '\b';
			break;
		case 't':
			ch = '\t';
			break;
		case 'n':
			ch = '\n';
			break;
		case 'f':
			ch = '\f';
			break;
		case 'r':
			ch = '\r';
			break;
		case '"':
		case '\'':
		case '\\':
		case '/':
			ch = (char)c;
			break;
		case 'u':
			r = read_unicode_escape(p, esc, &cp);
			if (r != 0)
				return r;
			r = buf_append(p, utf8, pjson_utf8_encode(cp, utf8));
			if (r < 0)
				return r;
			continue;
		default:
			return fail(p, PJSON_E_SYNTAX, esc, "Illegal escape.");
		}
		r = buf_append(p, &ch, 1);
		if (r < 0)
			return r;
	}
	if (p->buf_len > INT_MAX) /* json-c counts string lengths in int */
		return fail(p, PJSON_E_SYNTAX, p->pos - 1, "String too long");
	r = buf_append(p, "", 1);
	if (r < 0)
		return r;
	p->buf_len--;
	return 0;
}

/* The unquoted text of nextSimpleValue(): c (already read) and what follows
 * up to a control character or one of org.json's stop characters, trimmed
 * of spaces. Returns where it starts and its length (0: nothing there). */
static void read_unquoted(struct parser *p, int c, size_t *ret_start, size_t *ret_len)
{
	static const char stop[] = ",:]}/\\\"[{;=#";
	size_t start = here(p, c), end;

	back(p, c);
	while (p->pos < p->len && p->s[p->pos] >= ' ' && !strchr(stop, p->s[p->pos]))
		p->pos++;
	end = p->pos;
	while (start < end && p->s[start] == ' ')
		start++;
	while (end > start && p->s[end - 1] == ' ')
		end--;
	*ret_start = start;
	*ret_len = end - start;
}

/* org.json's stringToValue() for the unquoted text s[0..n), n > 0. */
static int unquoted_value(struct parser *p, const unsigned char *s, size_t n,
			  struct json_object **ret)
{
	if (n > INT_MAX) /* json-c counts string lengths in int */
		return fail(p, PJSON_E_SYNTAX, (size_t)(s - p->s), "String too long");
	return pjson_scalar_parse((const char *)s, n, ret);
}

static int push(struct parser *p, struct json_object *container, bool array, size_t offset)
{
	if (p->depth >= p->max_depth)
		return fail(p, PJSON_E_DEPTH, offset,
			    "JSON Array or Object depth too large to process.");
	if (p->depth == p->stack_alloc) {
		size_t n = p->stack_alloc ? p->stack_alloc * 2 : 8;
		struct frame *s = reallocarray(p->stack, n, sizeof(*s));

		if (!s)
			return -ENOMEM;
		p->stack = s;
		p->stack_alloc = n;
	}
	p->stack[p->depth++] = (struct frame){
		.container = container,
		.array = array,
		.state = FRAME_OPEN,
	};
	return 0;
}

/* Put v (reference taken over, also on failure) into the innermost
 * container, under key when that is an object. */
static int attach(struct parser *p, const char *key, struct json_object *v)
{
	struct frame *f = &p->stack[p->depth - 1];
	int r;

	if (f->array)
		r = json_object_array_add(f->container, v);
	else
		r = json_object_object_add_ex(f->container, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW);
	if (r < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	f->state = FRAME_AFTER_VALUE;
	return 0;
}

/* org.json's nextValue(): a string, an object or array (pushed, to be
 * filled by the main loop), or unquoted text. */
static int read_value(struct parser *p, const char *key)
{
	struct json_object *v = NULL;
	int c = next_clean(p), r;

	if (c == '"' || c == '\'') {
		r = read_string(p, c);
		if (r != 0)
			return r;
		v = json_object_new_string_len(p->buf, (int)p->buf_len);
		if (!v)
			return -ENOMEM;
		return attach(p, key, v);
	}
	if (c == '{' || c == '[') {
		size_t offset = here(p, c);

		v = c == '{' ? json_object_new_object() : json_object_new_array();
		if (!v)
			return -ENOMEM;
		r = attach(p, key, v);
		if (r < 0)
			return r;
		return push(p, v, c == '[', offset);
	}

	size_t offset = here(p, c), start, n;

	read_unquoted(p, c, &start, &n);
	if (n == 0)
		return fail(p, PJSON_E_SYNTAX, offset, "Missing value");
	r = unquoted_value(p, p->s + start, n, &v);
	if (r != 0)
		return r;
	return attach(p, key, v);
}

/* One member of an object: key, separator, value. c is the first character
 * of the key, already read. */
static int read_member(struct parser *p, struct frame *f, int c)
{
	_cleanup_free_ char *key = NULL;
	size_t key_offset = here(p, c);
	int r;

	if (c == '"' || c == '\'') {
		r = read_string(p, c);
		if (r != 0)
			return r;
		key = strdup(p->buf); /* no NUL inside: \u0000 is refused */
	} else {
		size_t start, n;

		read_unquoted(p, c, &start, &n);
		if (n == 0)
			return fail(p, PJSON_E_SYNTAX, key_offset, "Missing value");
		key = strndup((const char *)p->s + start, n);
	}
	if (!key)
		return -ENOMEM;

	c = next_clean(p);
	if (c == '=') {
		if (p->pos < p->len && p->s[p->pos] == '>')
			p->pos++;
	} else if (c != ':') {
		return fail(p, PJSON_E_SYNTAX, here(p, c), "Expected a ':' after a key");
	}

	if (json_object_object_get_ex(f->container, key, NULL)) {
		char shown[96];

		snprintf(shown, sizeof(shown), "%s", key);
		pjson_utf8_truncate(shown);
		return fail(p, PJSON_E_SYNTAX, key_offset, "Duplicate key \"%s\"", shown);
	}
	return read_value(p, key);
}

/* The separator after a member or an element, or the container's end.
 * Sets *ret_closed when the container ended. */
static int read_separator(struct parser *p, struct frame *f, bool *ret_closed)
{
	int c = next_clean(p), c2;

	*ret_closed = false;
	if (!f->array) {
		if (c == ',' || c == ';') {
			c2 = next_clean(p);
			if (c2 == '}') {
				*ret_closed = true;
				return 0;
			}
			back(p, c2);
			f->state = FRAME_NEXT;
			return 0;
		}
		if (c == '}') {
			*ret_closed = true;
			return 0;
		}
		return fail(p, PJSON_E_SYNTAX, here(p, c), "Expected a ',' or '}'");
	}
	if (c == ',') {
		c2 = next_clean(p);
		if (c2 == EOT)
			return fail(p, PJSON_E_SYNTAX, here(p, c2), "Expected a ',' or ']'");
		if (c2 == ']') {
			*ret_closed = true;
			return 0;
		}
		back(p, c2);
		f->state = FRAME_NEXT;
		return 0;
	}
	if (c == ']') {
		*ret_closed = true;
		return 0;
	}
	return fail(p, PJSON_E_SYNTAX, here(p, c), "Expected a ',' or ']'");
}

/* One step of the innermost container. */
static int step(struct parser *p, bool *ret_closed)
{
	struct frame *f = &p->stack[p->depth - 1];
	int c;

	*ret_closed = false;
	if (f->state == FRAME_AFTER_VALUE)
		return read_separator(p, f, ret_closed);

	if (!f->array) {
		c = next_clean(p);
		if (c == EOT)
			return fail(p, PJSON_E_SYNTAX, here(p, c),
				    "A JSONObject text must end with '}'");
		if (c == '}') {
			*ret_closed = true;
			return 0;
		}
		return read_member(p, f, c);
	}

	if (f->state == FRAME_OPEN) {
		c = next_clean(p);
		if (c == EOT)
			return fail(p, PJSON_E_SYNTAX, here(p, c), "Expected a ',' or ']'");
		if (c == ']') {
			*ret_closed = true;
			return 0;
		}
		back(p, c);
	}
	c = next_clean(p);
	if (c == ',') {
		/* An empty slot: org.json puts JSONObject.NULL there. */
		back(p, c);
		return attach(p, NULL, NULL);
	}
	back(p, c);
	return read_value(p, NULL);
}

static int parse(struct parser *p, struct json_object **ret)
{
	struct json_object *root;
	int c, r;

	c = next_clean(p);
	if (c != '{')
		return fail(p, PJSON_E_SYNTAX, here(p, c), "A JSONObject text must begin with '{'");
	root = json_object_new_object();
	if (!root)
		return -ENOMEM;
	r = push(p, root, false, here(p, c));
	while (r == 0 && p->depth > 0) {
		bool closed;

		r = step(p, &closed);
		if (r == 0 && closed)
			p->depth--;
	}
	if (r == 0) {
		c = next_clean(p);
		if (c != EOT)
			r = fail(p, PJSON_E_SYNTAX, here(p, c),
				 "Unexpected text after the closing '}'");
	}
	if (r != 0) {
		json_object_put(root);
		return r;
	}
	*ret = root;
	return 0;
}

int pjson_parse(const char *text, size_t len, unsigned max_depth, struct json_object **ret,
		struct pjson_error *ret_error)
{
	struct parser p = {
		.s = (const unsigned char *)text,
		.len = len,
		.max_depth = max_depth,
		.error = ret_error,
	};
	size_t bad;
	int r;

	if (!ret || (!text && len > 0))
		return -EINVAL;

	/* Check the whole text first, so that the parser and everything after
	 * it deal with valid UTF-8 without NULs only. */
	bad = pjson_utf8_validate(p.s, len);
	if (bad < len) {
		if (p.s[bad] == '\0')
			return fail(&p, PJSON_E_SYNTAX, bad, "NUL character in the text");
		return fail(&p, PJSON_E_SYNTAX, bad, "Invalid UTF-8");
	}

	r = parse(&p, ret);
	free(p.stack);
	free(p.buf);
	return r;
}
