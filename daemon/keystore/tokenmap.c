#include "daemon/keystore/tokenmap.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

const char *const tokenmap_storage_types[] = {
	"AKKaztokenStore",   "AKKZIDCardStore", "AKEToken72KStore", "AKEToken5110Store",
	"AKJaCartaStore",    "AKAKEYStore",     "AKJavaCardStore",  NULL,
};

const char *tokenmap_storage_type(const char *name)
{
	for (size_t i = 0; tokenmap_storage_types[i]; i++)
		if (strcmp(tokenmap_storage_types[i], name) == 0)
			return tokenmap_storage_types[i];
	return NULL;
}

int tokenmap_storage_rank(const char *type)
{
	size_t i;

	for (i = 0; tokenmap_storage_types[i]; i++)
		if (strcmp(tokenmap_storage_types[i], type) == 0)
			break;
	return (int)i;
}

enum entry_kind {
	ENTRY_ATR,
	ENTRY_READER,
};

struct entry {
	enum entry_kind kind;
	enum tokenmap_origin origin;
	const char *type; /* tokenmap_storage_types[] */
	struct tokenmap_atr atr;
	char *reader; /* ASCII lower case */
};

struct tokenmap {
	GArray *entries; /* struct entry */
};

static int nibble(char c, bool wild, uint8_t *ret_value, uint8_t *ret_mask)
{
	if (g_ascii_isxdigit(c)) {
		*ret_value = (uint8_t)g_ascii_xdigit_value(c);
		*ret_mask = 0xf;
		return 0;
	}
	if (wild && (c == 'X' || c == 'x' || c == '.')) {
		*ret_value = 0;
		*ret_mask = 0;
		return 0;
	}
	return -1;
}

/* Bytes of two characters each, ':' or spaces between them (or nothing),
 * up to end. Wildcards only when wild. */
static int parse_bytes(const char *s, const char *end, bool wild, uint8_t *value, uint8_t *mask,
		       size_t *ret_len)
{
	size_t n = 0;

	while (s < end) {
		uint8_t hv, hm, lv, lm;

		if (n > 0 && (*s == ':' || *s == ' ' || *s == '\t')) {
			/* One ':' between bytes; spaces around it. */
			bool colon = false;

			while (s < end && (*s == ':' || *s == ' ' || *s == '\t')) {
				if (*s == ':' && colon)
					return -1;
				colon |= *s == ':';
				s++;
			}
			if (s == end)
				return -1;
		}
		if (end - s < 2 || n == TOKENMAP_ATR_MAX)
			return -1;
		if (nibble(s[0], wild, &hv, &hm) < 0 || nibble(s[1], wild, &lv, &lm) < 0)
			return -1;
		value[n] = (uint8_t)(hv << 4 | lv);
		mask[n] = (uint8_t)(hm << 4 | lm);
		n++;
		s += 2;
	}
	if (n == 0)
		return -1;
	*ret_len = n;
	return 0;
}

int tokenmap_atr_parse(const char *s, struct tokenmap_atr *ret)
{
	struct tokenmap_atr p = { 0 };
	const char *slash = strchr(s, '/');
	const char *end = slash ? slash : s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* "0x3B" is C's way to write one byte, not a pattern of two. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && g_ascii_isxdigit(s[2]))
		return TOKENMAP_E_ATR;
	if (parse_bytes(s, end, true, p.value, p.mask, &p.len) < 0)
		return TOKENMAP_E_ATR;
	if (slash) {
		uint8_t mask[TOKENMAP_ATR_MAX], ignored[TOKENMAP_ATR_MAX];
		const char *m = slash + 1, *mend = m + strlen(m);
		size_t n;

		while (*m == ' ' || *m == '\t')
			m++;
		while (mend > m && (mend[-1] == ' ' || mend[-1] == '\t'))
			mend--;
		if (parse_bytes(m, mend, false, mask, ignored, &n) < 0 || n != p.len)
			return TOKENMAP_E_ATR;
		for (size_t i = 0; i < n; i++)
			p.mask[i] &= mask[i];
	}
	for (size_t i = 0; i < p.len; i++)
		p.value[i] &= p.mask[i];
	*ret = p;
	return 0;
}

bool tokenmap_atr_match(const struct tokenmap_atr *p, const uint8_t *atr, size_t len)
{
	if (len != p->len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((atr[i] & p->mask[i]) != p->value[i])
			return false;
	return true;
}

char *tokenmap_atr_format(const uint8_t *atr, size_t len)
{
	GString *s = g_string_sized_new(len * 3);

	for (size_t i = 0; i < len; i++)
		g_string_append_printf(s, i ? ":%02X" : "%02X", atr[i]);
	return g_string_free(s, FALSE);
}

static void entry_clear(gpointer data)
{
	struct entry *e = data;

	g_free(e->reader);
}

struct tokenmap *tokenmap_new(void)
{
	struct tokenmap *m = g_new0(struct tokenmap, 1);

	m->entries = g_array_new(FALSE, TRUE, sizeof(struct entry));
	g_array_set_clear_func(m->entries, entry_clear);
	return m;
}

struct tokenmap *tokenmap_free(struct tokenmap *m)
{
	if (!m)
		return NULL;
	g_array_unref(m->entries);
	g_free(m);
	return NULL;
}

size_t tokenmap_size(const struct tokenmap *m)
{
	return m->entries->len;
}

int tokenmap_add_atr(struct tokenmap *m, const char *type, const char *pattern,
		     enum tokenmap_origin origin)
{
	struct entry e = { .kind = ENTRY_ATR, .origin = origin };

	e.type = tokenmap_storage_type(type);
	if (!e.type)
		return TOKENMAP_E_TYPE;
	if (tokenmap_atr_parse(pattern, &e.atr) != 0)
		return TOKENMAP_E_ATR;
	g_array_append_val(m->entries, e);
	return 0;
}

int tokenmap_add_reader(struct tokenmap *m, const char *type, const char *substring,
			enum tokenmap_origin origin)
{
	struct entry e = { .kind = ENTRY_READER, .origin = origin };
	size_t len = strlen(substring);

	e.type = tokenmap_storage_type(type);
	if (!e.type)
		return TOKENMAP_E_TYPE;
	if (len == 0 || len > TOKENMAP_READER_MAX)
		return TOKENMAP_E_READER;
	e.reader = g_ascii_strdown(substring, -1);
	g_array_append_val(m->entries, e);
	return 0;
}

void tokenmap_add_map(struct tokenmap *m, const struct tokenmap *from)
{
	for (guint i = 0; i < from->entries->len; i++) {
		struct entry e = g_array_index(from->entries, struct entry, i);

		e.reader = g_strdup(e.reader);
		g_array_append_val(m->entries, e);
	}
}

static char *types_list(void)
{
	return g_strjoinv(", ", (char **)tokenmap_storage_types);
}

/* One line of a map file, without its newline. */
static int parse_line(struct tokenmap *m, char *line, char **ret_message)
{
	g_autofree char *types = NULL;
	char *kind, *type, *value, *p = line;
	int r;

	kind = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	p += strspn(p, " \t");
	type = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	value = g_strstrip(p);
	if (!*type || !*value) {
		*ret_message = g_strdup("expected \"atr TYPE PATTERN\" or \"reader TYPE NAME\"");
		return TOKENMAP_E_SYNTAX;
	}
	if (strcmp(kind, "atr") == 0)
		r = tokenmap_add_atr(m, type, value, TOKENMAP_BUILTIN);
	else if (strcmp(kind, "reader") == 0)
		r = tokenmap_add_reader(m, type, value, TOKENMAP_BUILTIN);
	else {
		*ret_message = g_strdup_printf("unknown kind \"%s\": expected atr or reader", kind);
		return TOKENMAP_E_SYNTAX;
	}
	switch (r) {
	case TOKENMAP_E_TYPE:
		types = types_list();
		*ret_message = g_strdup_printf("unknown storage type \"%s\": expected one of %s",
					       type, types);
		break;
	case TOKENMAP_E_ATR:
		*ret_message = g_strdup_printf("malformed ATR \"%s\": expected hex bytes such as "
					       "3B:D5:18, X for any digit, /MASK",
					       value);
		break;
	case TOKENMAP_E_READER:
		*ret_message = g_strdup_printf("a reader name of 1 to %d bytes, not \"%s\"",
					       TOKENMAP_READER_MAX, value);
		break;
	}
	return r;
}

int tokenmap_parse(struct tokenmap *m, const char *text, size_t len, char **ret_message)
{
	g_autofree char *copy = g_strndup(text, len);
	g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
	guint added = m->entries->len;

	for (size_t i = 0; lines[i]; i++) {
		g_autofree char *message = NULL;
		char *line = g_strstrip(lines[i]);
		int r;

		if (!*line || *line == '#')
			continue;
		r = parse_line(m, line, &message);
		if (r != 0) {
			g_array_set_size(m->entries, added);
			*ret_message = g_strdup_printf("line %zu: %s", i + 1, message);
			return r;
		}
	}
	return 0;
}

int tokenmap_load(struct tokenmap *m, const char *path, char **ret_message)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL, *message = NULL;
	gsize len;
	int r;

	if (!g_file_get_contents(path, &text, &len, &error)) {
		*ret_message = g_strdup_printf("%s: %s", path, error->message);
		return error->domain == G_FILE_ERROR && error->code == G_FILE_ERROR_NOENT ? -ENOENT
											  : -EIO;
	}
	if (len > TOKENMAP_FILE_MAX) {
		*ret_message = g_strdup_printf("%s: larger than %d bytes", path, TOKENMAP_FILE_MAX);
		return -EFBIG;
	}
	r = tokenmap_parse(m, text, len, &message);
	if (r != 0)
		/* "line N: …" → "PATH:N: …", as compilers say it. */
		*ret_message = g_strdup_printf("%s:%s", path, message + strlen("line "));
	return r;
}

static bool entry_match(const struct entry *e, const char *reader_lower, const uint8_t *atr,
			size_t len)
{
	if (e->kind == ENTRY_ATR)
		return len > 0 && tokenmap_atr_match(&e->atr, atr, len);
	return reader_lower && strstr(reader_lower, e->reader);
}

const char *tokenmap_lookup(const struct tokenmap *m, const char *reader, const uint8_t *atr,
			    size_t len)
{
	static const struct {
		enum tokenmap_origin origin;
		enum entry_kind kind;
	} passes[] = {
		{ TOKENMAP_USER, ENTRY_ATR },
		{ TOKENMAP_USER, ENTRY_READER },
		{ TOKENMAP_BUILTIN, ENTRY_ATR },
		{ TOKENMAP_BUILTIN, ENTRY_READER },
	};
	g_autofree char *lower = reader ? g_ascii_strdown(reader, -1) : NULL;

	for (size_t p = 0; p < G_N_ELEMENTS(passes); p++) {
		for (guint i = 0; i < m->entries->len; i++) {
			const struct entry *e = &g_array_index(m->entries, struct entry, i);

			if (e->origin == passes[p].origin && e->kind == passes[p].kind &&
			    entry_match(e, lower, atr, len))
				return e->type;
		}
	}
	return NULL;
}
