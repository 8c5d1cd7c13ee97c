/* protocol/json: the lenient parser (what org.json's JSONTokener takes) and
 * the writer (what org.json's JSONObject.toString() gives). The expected
 * key orders were produced with java.util.HashMap itself (OpenJDK 17). */
#include <errno.h>
#include <glib.h>
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

#include "protocol/json.h"

#define DEPTH 64

/* --- accepted texts and their strict form --------------------------------- */

struct accept_case {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	const char *strict;
};

static const struct accept_case accept_cases[] = {
	{ "unquoted-key", "{a: 1}", 0, "{\"a\":1}" },
	{ "unquoted-key-with-space", "{a b: 1}", 0, "{\"a b\":1}" },
	{ "unquoted-key-non-ascii", "{ключ: значение}", 0, "{\"ключ\":\"значение\"}" },
	{ "single-quotes", "{'a': 'x'}", 0, "{\"a\":\"x\"}" },
	{ "single-quoted-double-quote", "{a: 'say \"hi\"'}", 0, "{\"a\":\"say \\\"hi\\\"\"}" },
	{ "double-quoted-single-quote", "{\"a\": \"it's\"}", 0, "{\"a\":\"it's\"}" },
	{ "equals-separator", "{\"a\" = 1}", 0, "{\"a\":1}" },
	{ "arrow-separator", "{\"a\" => 1}", 0, "{\"a\":1}" },
	{ "semicolon-pairs", "{a:1; b:2}", 0, "{\"a\":1,\"b\":2}" },
	{ "trailing-comma-object", "{a:1,}", 0, "{\"a\":1}" },
	{ "trailing-semicolon-object", "{a:1;}", 0, "{\"a\":1}" },
	{ "trailing-comma-array", "{a:[1,]}", 0, "{\"a\":[1]}" },
	{ "empty-slot-first", "{a:[,1]}", 0, "{\"a\":[null,1]}" },
	{ "empty-slot-middle", "{a:[1,,2]}", 0, "{\"a\":[1,null,2]}" },
	{ "empty-slot-only", "{a:[,]}", 0, "{\"a\":[null]}" },
	{ "empty-array", "{a:[ ]}", 0, "{\"a\":[]}" },
	{ "empty-object", "{}", 0, "{}" },
	{ "nested-empty-object", "{a:{}}", 0, "{\"a\":{}}" },
	{ "literals-any-case", "{a:TRUE,b:False,c:NULL,d:nUlL}", 0,
	  "{\"a\":true,\"b\":false,\"c\":null,\"d\":null}" },
	{ "unquoted-string-value", "{a: hello world }", 0, "{\"a\":\"hello world\"}" },
	/* org.json reads unquoted text up to a stop character, spaces included. */
	{ "unquoted-text-spans-spaces", "{a:[1 2]}", 0, "{\"a\":[\"1 2\"]}" },
	{ "escapes", "{\"a\":\"\\b\\t\\n\\f\\r\\\"\\'\\\\\\/\"}", 0,
	  "{\"a\":\"\\b\\t\\n\\f\\r\\\"'\\\\/\"}" },
	{ "unicode-escapes", "{\"a\":\"\\u00e9\\u0416\\u00C9\"}", 0, "{\"a\":\"éЖÉ\"}" },
	{ "surrogate-pair", "{\"a\":\"\\ud83d\\udd11\"}", 0, "{\"a\":\"\xf0\x9f\x94\x91\"}" },
	{ "surrogate-pair-upper", "{\"a\":\"\\uD83D\\uDD11\"}", 0, "{\"a\":\"\xf0\x9f\x94\x91\"}" },
	{ "raw-tab-in-string", "{\"a\":\"x\ty\"}", 0, "{\"a\":\"x\\ty\"}" },
	{ "raw-utf8", "{\"a\":\"қолтаңба\"}", 0, "{\"a\":\"қолтаңба\"}" },
	{ "numbers",
	  "{a:-12,b:3.5,c:1e3,d:9223372036854775807,e:-9223372036854775808,"
	  "f:9223372036854775808,g:-0,h:012,i:1.,j:1E-2,k:0}",
	  0,
	  "{\"a\":-12,\"b\":3.5,\"c\":1000,\"d\":9223372036854775807,"
	  "\"e\":-9223372036854775808,\"f\":9.223372036854776E18,\"g\":-0,\"h\":\"012\","
	  "\"i\":\"1.\",\"j\":0.01,\"k\":0}" },
	{ "number-overflowing-double-is-string", "{a:1e999}", 0, "{\"a\":\"1e999\"}" },
	{ "not-a-number-is-string", "{a:-x,b:0x10,c:+1}", 0,
	  "{\"a\":\"-x\",\"b\":\"0x10\",\"c\":\"+1\"}" },
	{ "whitespace-everywhere", " \t\r\n{ \"a\" : 1 , \"b\" : [ 1 , 2 ] } \n", 0,
	  "{\"a\":1,\"b\":[1,2]}" },
	{ "control-bytes-are-whitespace", "\x01{\x02\"a\":\x1f" "1}", 0, "{\"a\":1}" },
	{ "nested", "{a:{b:{c:[1,{d:2}]}}}", 0, "{\"a\":{\"b\":{\"c\":[1,{\"d\":2}]}}}" },
	{ "depth-at-limit", "{a:{b:{c:1}}}", 0, "{\"a\":{\"b\":{\"c\":1}}}" },
	{ "null-member-kept", "{a:null}", 0, "{\"a\":null}" },
	{ "nca-readme-sample",
	  "{\n    module: \"kz.gov.pki.ncalayerservices.accessory\", \n"
	  "    method: \"installBundle\", \n    symname: \"kz.uchet.signUtil\" \n}",
	  0,
	  "{\"method\":\"installBundle\",\"module\":\"kz.gov.pki.ncalayerservices.accessory\","
	  "\"symname\":\"kz.uchet.signUtil\"}" },
	{ "embedded-length", "{a:1}trailing bytes not given", 5, "{\"a\":1}" },
};

static void test_accept(gconstpointer data)
{
	const struct accept_case *c = data;
	struct json_object *o = NULL;
	struct pjson_error e = {};
	size_t len = c->len ? c->len : strlen(c->text), out_len = 0;
	char *out;
	int r;

	r = pjson_parse(c->text, len, DEPTH, &o, &e);
	if (r != 0)
		g_test_message("%s: %d %s at %zu", c->name, r, e.message, e.offset);
	g_assert_cmpint(r, ==, 0);
	out = pjson_write(o, &out_len);
	g_assert_nonnull(out);
	g_assert_cmpstr(out, ==, c->strict);
	g_assert_cmpuint(out_len, ==, strlen(c->strict));
	free(out);
	json_object_put(o);
}

static void test_values(void)
{
	struct json_object *o = NULL, *v;
	const char text[] = "{n: 42, big: 9223372036854775807, d: 2.5, t: tRuE, s: '\\u0041b'}";

	g_assert_cmpint(pjson_parse(text, strlen(text), DEPTH, &o, NULL), ==, 0);
	g_assert_true(json_object_object_get_ex(o, "n", &v));
	g_assert_true(json_object_is_type(v, json_type_int));
	g_assert_cmpint(json_object_get_int64(v), ==, 42);
	g_assert_true(json_object_object_get_ex(o, "big", &v));
	g_assert_cmpint(json_object_get_int64(v), ==, INT64_MAX);
	g_assert_true(json_object_object_get_ex(o, "d", &v));
	g_assert_true(json_object_is_type(v, json_type_double));
	g_assert_cmpfloat(json_object_get_double(v), ==, 2.5);
	g_assert_true(json_object_object_get_ex(o, "t", &v));
	g_assert_true(json_object_is_type(v, json_type_boolean));
	g_assert_true(json_object_get_boolean(v));
	g_assert_true(json_object_object_get_ex(o, "s", &v));
	g_assert_cmpstr(json_object_get_string(v), ==, "Ab");
	json_object_put(o);
}

/* --- rejected texts ---------------------------------------------------------- */

struct reject_case {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	unsigned max_depth;
	int result;
	size_t offset;
	const char *message;
};

static const struct reject_case reject_cases[] = {
	{ "empty", "", 0, DEPTH, PJSON_E_SYNTAX, 0, "A JSONObject text must begin with '{'" },
	{ "blank", "  \n", 0, DEPTH, PJSON_E_SYNTAX, 3, "A JSONObject text must begin with '{'" },
	{ "array-top-level", "[1]", 0, DEPTH, PJSON_E_SYNTAX, 0,
	  "A JSONObject text must begin with '{'" },
	{ "string-top-level", " \"x\"", 0, DEPTH, PJSON_E_SYNTAX, 1,
	  "A JSONObject text must begin with '{'" },
	{ "heartbeat-is-not-json", "--heartbeat--", 0, DEPTH, PJSON_E_SYNTAX, 0,
	  "A JSONObject text must begin with '{'" },
	{ "unterminated-string-at-end", "{\"a\":\"abc", 0, DEPTH, PJSON_E_SYNTAX, 9,
	  "Unterminated string" },
	{ "newline-in-string", "{\"a\":\"ab\ncd\"}", 0, DEPTH, PJSON_E_SYNTAX, 8,
	  "Unterminated string" },
	{ "carriage-return-in-string", "{'a':'ab\rcd'}", 0, DEPTH, PJSON_E_SYNTAX, 8,
	  "Unterminated string" },
	{ "bad-escape", "{\"a\":\"\\x\"}", 0, DEPTH, PJSON_E_SYNTAX, 6, "Illegal escape." },
	{ "short-unicode-escape", "{\"a\":\"\\u12\"}", 0, DEPTH, PJSON_E_SYNTAX, 6,
	  "Illegal escape." },
	{ "non-hex-unicode-escape", "{\"a\":\"\\u12g4\"}", 0, DEPTH, PJSON_E_SYNTAX, 6,
	  "Illegal escape." },
	{ "lone-high-surrogate", "{\"a\":\"\\ud800\"}", 0, DEPTH, PJSON_E_SYNTAX, 6,
	  "Illegal escape. Lone surrogate \\ud800" },
	{ "high-surrogate-then-letter", "{\"a\":\"\\ud800\\u0041\"}", 0, DEPTH, PJSON_E_SYNTAX, 6,
	  "Illegal escape. Lone surrogate \\ud800" },
	{ "lone-low-surrogate", "{\"a\":\"x\\udc00\"}", 0, DEPTH, PJSON_E_SYNTAX, 7,
	  "Illegal escape. Lone surrogate \\udc00" },
	{ "nul-escape", "{\"a\":\"\\u0000\"}", 0, DEPTH, PJSON_E_SYNTAX, 6,
	  "Illegal escape. \\u0000 is not allowed" },
	{ "duplicate-key", "{\"a\":1,\"a\":2}", 0, DEPTH, PJSON_E_SYNTAX, 7,
	  "Duplicate key \"a\"" },
	{ "duplicate-key-quote-styles", "{a:1,'a':2}", 0, DEPTH, PJSON_E_SYNTAX, 5,
	  "Duplicate key \"a\"" },
	{ "duplicate-key-null-value", "{a:null,a:null}", 0, DEPTH, PJSON_E_SYNTAX, 8,
	  "Duplicate key \"a\"" },
	{ "depth-over-limit", "{a:{b:{c:1}}}", 0, 2, PJSON_E_DEPTH, 6,
	  "JSON Array or Object depth too large to process." },
	{ "array-depth-over-limit", "{a:[[1]]}", 0, 2, PJSON_E_DEPTH, 4,
	  "JSON Array or Object depth too large to process." },
	{ "depth-zero", "{}", 0, 0, PJSON_E_DEPTH, 0,
	  "JSON Array or Object depth too large to process." },
	{ "invalid-utf8-byte", "{\"a\":\"\xff\"}", 0, DEPTH, PJSON_E_SYNTAX, 6, "Invalid UTF-8" },
	{ "overlong-utf8", "{\"a\":\"\xc0\xaf\"}", 0, DEPTH, PJSON_E_SYNTAX, 6, "Invalid UTF-8" },
	{ "utf8-surrogate", "{\"a\":\"\xed\xa0\x80\"}", 0, DEPTH, PJSON_E_SYNTAX, 6,
	  "Invalid UTF-8" },
	{ "truncated-utf8", "{\"a\":\"\xe2\x82\"}", 0, DEPTH, PJSON_E_SYNTAX, 6, "Invalid UTF-8" },
	{ "utf8-above-max", "{\"a\":\"\xf4\x90\x80\x80\"}", 0, DEPTH, PJSON_E_SYNTAX, 6,
	  "Invalid UTF-8" },
	{ "nul-byte", "{\"a\":\0}", 7, DEPTH, PJSON_E_SYNTAX, 5, "NUL character in the text" },
	{ "trailing-garbage", "{}x", 0, DEPTH, PJSON_E_SYNTAX, 2,
	  "Unexpected text after the closing '}'" },
	{ "two-objects", "{} {}", 0, DEPTH, PJSON_E_SYNTAX, 3,
	  "Unexpected text after the closing '}'" },
	{ "missing-colon", "{\"a\" 1}", 0, DEPTH, PJSON_E_SYNTAX, 5, "Expected a ':' after a key" },
	{ "missing-comma", "{\"a\":1 \"b\":2}", 0, DEPTH, PJSON_E_SYNTAX, 7,
	  "Expected a ',' or '}'" },
	{ "missing-array-comma", "{\"a\":[\"x\" \"y\"]}", 0, DEPTH, PJSON_E_SYNTAX, 10,
	  "Expected a ',' or ']'" },
	{ "missing-value", "{\"a\":}", 0, DEPTH, PJSON_E_SYNTAX, 5, "Missing value" },
	{ "missing-key", "{:1}", 0, DEPTH, PJSON_E_SYNTAX, 1, "Missing value" },
	{ "lone-comma", "{,}", 0, DEPTH, PJSON_E_SYNTAX, 1, "Missing value" },
	{ "double-comma", "{a:1,,b:2}", 0, DEPTH, PJSON_E_SYNTAX, 5, "Missing value" },
	{ "unquoted-value-stops-at-slash", "{a: x/y}", 0, DEPTH, PJSON_E_SYNTAX, 5,
	  "Expected a ',' or '}'" },
	{ "object-cut-after-value", "{\"a\":1", 0, DEPTH, PJSON_E_SYNTAX, 6,
	  "Expected a ',' or '}'" },
	{ "object-cut-after-comma", "{\"a\":1,", 0, DEPTH, PJSON_E_SYNTAX, 7,
	  "A JSONObject text must end with '}'" },
	{ "object-cut-after-brace", "{", 0, DEPTH, PJSON_E_SYNTAX, 1,
	  "A JSONObject text must end with '}'" },
	{ "array-cut-after-bracket", "{\"a\":[", 0, DEPTH, PJSON_E_SYNTAX, 6,
	  "Expected a ',' or ']'" },
	{ "array-cut-after-comma", "{\"a\":[1,", 0, DEPTH, PJSON_E_SYNTAX, 8,
	  "Expected a ',' or ']'" },
	{ "array-closed-by-brace", "{\"a\":[1}", 0, DEPTH, PJSON_E_SYNTAX, 7,
	  "Expected a ',' or ']'" },
	{ "object-as-key", "{{}:1}", 0, DEPTH, PJSON_E_SYNTAX, 1, "Missing value" },
};

static void test_reject(gconstpointer data)
{
	const struct reject_case *c = data;
	struct json_object *o = (struct json_object *)0x1; /* must stay untouched */
	struct pjson_error e = {};
	size_t len = c->len ? c->len : strlen(c->text);
	int r;

	r = pjson_parse(c->text, len, c->max_depth, &o, &e);
	g_assert_cmpint(r, ==, c->result);
	g_assert_cmpstr(e.message, ==, c->message);
	g_assert_cmpuint(e.offset, ==, c->offset);
	g_assert_true(o == (struct json_object *)0x1);
	/* The message goes into a JSON answer: it must be valid UTF-8. */
	g_assert_true(g_utf8_validate(e.message, -1, NULL));
}

static void test_reject_without_error_struct(void)
{
	struct json_object *o = NULL;

	g_assert_cmpint(pjson_parse("{", 1, DEPTH, &o, NULL), ==, PJSON_E_SYNTAX);
	g_assert_null(o);
	g_assert_cmpint(pjson_parse(NULL, 1, DEPTH, &o, NULL), ==, -EINVAL);
	g_assert_cmpint(pjson_parse("{}", 2, DEPTH, NULL, NULL), ==, -EINVAL);
}

/* The duplicate-key message quotes the key, cut to fit and still UTF-8. */
static void test_reject_long_duplicate_key(void)
{
	GString *text = g_string_new("{");
	GString *key = g_string_new(NULL);
	struct json_object *o = NULL;
	struct pjson_error e = {};

	for (int i = 0; i < 200; i++)
		g_string_append(key, "ж");
	g_string_append_printf(text, "'%s':1,'%s':2}", key->str, key->str);
	g_assert_cmpint(pjson_parse(text->str, text->len, DEPTH, &o, &e), ==, PJSON_E_SYNTAX);
	g_assert_true(g_str_has_prefix(e.message, "Duplicate key \"жжж"));
	g_assert_true(g_utf8_validate(e.message, -1, NULL));
	g_assert_cmpuint(strlen(e.message), <, sizeof(e.message));
	g_string_free(text, TRUE);
	g_string_free(key, TRUE);
}

/* Nesting costs heap, not C stack: thousands of levels parse and write. */
static void test_deep_nesting(void)
{
	const unsigned levels = 5000;
	GString *text = g_string_new("{a:");
	struct json_object *o = NULL;
	struct pjson_error e = {};
	char *out;

	for (unsigned i = 1; i < levels; i++)
		g_string_append_c(text, '[');
	for (unsigned i = 1; i < levels; i++)
		g_string_append_c(text, ']');
	g_string_append_c(text, '}');

	g_assert_cmpint(pjson_parse(text->str, text->len, levels - 1, &o, &e), ==, PJSON_E_DEPTH);
	g_assert_cmpuint(e.offset, ==, 3 + levels - 2);
	g_assert_cmpint(pjson_parse(text->str, text->len, levels, &o, &e), ==, 0);
	out = pjson_write(o, NULL);
	g_assert_nonnull(out);
	g_string_erase(text, 0, 3);
	g_string_prepend(text, "{\"a\":");
	g_assert_cmpstr(out, ==, text->str);
	free(out);
	json_object_put(o);
	g_string_free(text, TRUE);
}

/* --- the writer ------------------------------------------------------------------ */

struct quote_case {
	const char *in;
	const char *out;
};

static const struct quote_case quote_cases[] = {
	{ "", "\"\"" },
	{ "</tag>", "\"<\\/tag>\"" },
	{ "a/b", "\"a/b\"" },
	{ "<<//", "\"<<\\//\"" },
	{ "<a></a>", "\"<a><\\/a>\"" },
	{ "\"\\", "\"\\\"\\\\\"" },
	{ "'", "\"'\"" },
	{ "\b\t\n\f\r", "\"\\b\\t\\n\\f\\r\"" },
	{ "\x01\x1f", "\"\\u0001\\u001f\"" },
	{ "\x7f", "\"\x7f\"" },
	{ "\xc2\x85", "\"\\u0085\"" },		 /* U+0085 */
	{ "\xc2\x9f", "\"\\u009f\"" },		 /* U+009F */
	{ "\xc2\xa0", "\"\xc2\xa0\"" },		 /* U+00A0: raw */
	{ "\xe2\x80\xa8", "\"\\u2028\"" },	 /* U+2028 */
	{ "\xe2\x80\xa9", "\"\\u2029\"" },	 /* U+2029 */
	{ "\xe2\x82\xac", "\"\\u20ac\"" },	 /* U+20AC, the euro sign */
	{ "\xe2\x84\x80", "\"\xe2\x84\x80\"" },	 /* U+2100: raw */
	{ "\xe1\xbf\xbf", "\"\xe1\xbf\xbf\"" },	 /* U+1FFF: raw */
	{ "қолтаңба", "\"қолтаңба\"" },
	{ "\xf0\x9f\x94\x91", "\"\xf0\x9f\x94\x91\"" },
	{ "a\xff" "b", "\"a\xef\xbf\xbd" "b\"" }, /* not UTF-8: U+FFFD */
	{ "\xe2\x82", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
};

static void test_quote(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(quote_cases); i++) {
		const struct quote_case *c = &quote_cases[i];
		struct json_object *o = json_object_new_object();
		char *q = pjson_write_string(c->in), *w, *expected;

		g_assert_cmpstr(q, ==, c->out);
		/* The same inside an object, as value and as key. */
		json_object_object_add(o, c->in, json_object_new_string(c->in));
		w = pjson_write(o, NULL);
		expected = g_strdup_printf("{%s:%s}", c->out, c->out);
		g_assert_cmpstr(w, ==, expected);
		g_free(expected);
		free(w);
		free(q);
		json_object_put(o);
	}
	{
		char *q = pjson_write_string(NULL);

		g_assert_cmpstr(q, ==, "\"\"");
		free(q);
	}
}

static void test_scalars(void)
{
	struct json_object *a = json_object_new_array();
	char *out;

	json_object_array_add(a, NULL);
	json_object_array_add(a, json_object_new_boolean(1));
	json_object_array_add(a, json_object_new_boolean(0));
	json_object_array_add(a, json_object_new_int64(INT64_MIN));
	json_object_array_add(a, json_object_new_int64(INT64_MAX));
	json_object_array_add(a, json_object_new_uint64(UINT64_MAX));
	json_object_array_add(a, json_object_new_double(1.0 / 0.0));
	json_object_array_add(a, json_object_new_object());
	json_object_array_add(a, json_object_new_array());
	out = pjson_write(a, NULL);
	g_assert_cmpstr(out, ==,
			"[null,true,false,-9223372036854775808,9223372036854775807,"
			"18446744073709551615,null,{},[]]");
	free(out);
	json_object_put(a);

	out = pjson_write(NULL, NULL);
	g_assert_cmpstr(out, ==, "null");
	free(out);
}

/* Java's Double.toString() (OpenJDK 17), trimmed by org.json's
 * numberToString(). */
static const struct {
	double d;
	const char *out;
} double_cases[] = {
	{ 0.5, "0.5" },
	{ 1.5, "1.5" },
	{ 100.0, "100" },
	{ 1e7, "1.0E7" },
	{ 1e-3, "0.001" },
	{ 1e-4, "1.0E-4" },
	{ 123456.789, "123456.789" },
	{ 1e20, "1.0E20" },
	{ 1.2345e-10, "1.2345E-10" },
	{ -2.5, "-2.5" },
	{ 0.1, "0.1" },
	{ 1.0 / 3, "0.3333333333333333" },
	{ 9999999.0, "9999999" },
	{ 1e21, "1.0E21" },
	{ 1.7976931348623157e308, "1.7976931348623157E308" },
	{ 0.001234, "0.001234" },
	{ 1234567.125, "1234567.125" },
	{ 2.0e-3, "0.002" },
	{ 12345678.9, "1.23456789E7" },
	{ 0.0, "0" },
	{ -0.0, "-0" },
};

static void test_doubles(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(double_cases); i++) {
		struct json_object *d = json_object_new_double(double_cases[i].d);
		char *out = pjson_write(d, NULL);

		g_assert_cmpstr(out, ==, double_cases[i].out);
		free(out);
		json_object_put(d);
	}
}

/* --- HashMap key order -------------------------------------------------------------- */

struct order_case {
	const char *name;
	const char *insert[48]; /* insertion order, NULL-terminated */
	const char *java[48];	/* java.util.HashMap's iteration order */
};

static const struct order_case order_cases[] = {
	{ "code-responseObject", { "code", "responseObject" }, { "responseObject", "code" } },
	{ "code-message-uuid", { "uuid", "message", "code" }, { "code", "message", "uuid" } },
	{ "responseObject-uuid", { "code", "responseObject", "uuid" },
	  { "responseObject", "code", "uuid" } },
	{ "invoker-failure", { "status", "code", "message", "details" },
	  { "code", "details", "message", "status" } },
	{ "body-status", { "status", "body" }, { "body", "status" } },
	{ "applet", { "message", "errorCode" }, { "errorCode", "message" } },
	{ "module-not-found-keys", { "errorCode", "success" }, { "success", "errorCode" } },
	{ "getKeyInfo",
	  { "alias", "keyId", "algorithm", "subjectCn", "subjectDn", "issuerCn", "issuerDn",
	    "serialNumber", "certNotAfter", "certNotBefore", "authorityKeyIdentifier", "pem" },
	  { "certNotBefore", "issuerCn", "authorityKeyIdentifier", "serialNumber", "certNotAfter",
	    "issuerDn", "alias", "keyId", "pem", "subjectCn", "algorithm", "subjectDn" } },
	/* 13 keys: one past 0.75 of 16, the table grows to 32 buckets. */
	{ "getKeyInfo-uuid-resized",
	  { "alias", "keyId", "algorithm", "subjectCn", "subjectDn", "issuerCn", "issuerDn",
	    "serialNumber", "certNotAfter", "certNotBefore", "authorityKeyIdentifier", "pem",
	    "uuid" },
	  { "certNotBefore", "issuerCn", "authorityKeyIdentifier", "serialNumber", "certNotAfter",
	    "issuerDn", "keyId", "uuid", "alias", "pem", "subjectCn", "algorithm", "subjectDn" } },
	/* 25 keys: one past 0.75 of 32, 64 buckets. */
	{ "twenty-five-keys",
	  { "ka0",  "kb1",  "kc2",  "kd3",  "ke4",  "kf5",  "kg6",  "kh7",  "ki8",
	    "kj9",  "kk10", "kl11", "km12", "kn13", "ko14", "kp15", "kq16", "kr17",
	    "ks18", "kt19", "ku20", "kv21", "kw22", "kx23", "ky24" },
	  { "ky24", "kk10", "kv21", "ku20", "ka0",  "kc2",  "ke4",  "kg6",  "ki8",
	    "kx23", "kw22", "kt19", "km12", "kl11", "ko14", "kn13", "kq16", "kb1",
	    "kd3",  "kf5",  "kh7",  "kj9",  "kp15", "ks18", "kr17" } },
	/* 19 keys: the table grows to 32 buckets. */
	{ "sign-arguments-resized",
	  { "allowedStorages", "format", "data", "signingParams", "signerParams", "locale", "logo",
	    "decode", "encapsulate", "digested", "tsaProfile", "allowExpired", "allowRevoked",
	    "outputCert", "extKeyUsageOids", "iin", "bin", "serialNumber", "chain" },
	  { "chain", "serialNumber", "data", "signingParams", "bin", "format", "signerParams",
	    "locale", "decode", "digested", "outputCert", "iin", "allowExpired", "allowedStorages",
	    "logo", "tsaProfile", "extKeyUsageOids", "encapsulate", "allowRevoked" } },
	/* 40 keys: 64 buckets. */
	{ "forty-keys",
	  { "key0",  "key1",  "key2",  "key3",  "key4",  "key5",  "key6",  "key7",
	    "key8",  "key9",  "key10", "key11", "key12", "key13", "key14", "key15",
	    "key16", "key17", "key18", "key19", "key20", "key21", "key22", "key23",
	    "key24", "key25", "key26", "key27", "key28", "key29", "key30", "key31",
	    "key32", "key33", "key34", "key35", "key36", "key37", "key38", "key39" },
	  { "key1",  "key2",  "key0",  "key5",  "key6",  "key3",  "key4",  "key9",
	    "key7",  "key8",  "key22", "key21", "key20", "key15", "key37", "key14",
	    "key36", "key13", "key35", "key12", "key34", "key19", "key18", "key17",
	    "key39", "key16", "key38", "key11", "key33", "key10", "key32", "key31",
	    "key30", "key26", "key25", "key24", "key23", "key29", "key28", "key27" } },
	/* UTF-16 hashing: Cyrillic, Kazakh, a surrogate pair, U+2028; "Aa" and
	 * "BB" have the same hash and keep their insertion order. */
	{ "non-ascii-and-collisions",
	  { "қолтаңба", "ключ", "\xf0\x9f\x94\x91", "café", "Aa", "BB", "x\xe2\x80\xa8y" },
	  { "Aa", "BB", "ключ", "x\xe2\x80\xa8y", "қолтаңба", "\xf0\x9f\x94\x91", "café" } },
	{ "collisions-reversed", { "BB", "Aa" }, { "BB", "Aa" } },
};

static void test_order(gconstpointer data)
{
	const struct order_case *c = data;
	struct json_object *o = json_object_new_object();
	GString *expected = g_string_new("{");
	char *out;

	for (size_t i = 0; c->insert[i]; i++)
		json_object_object_add(o, c->insert[i], json_object_new_int((int)i));
	for (size_t i = 0; c->java[i]; i++) {
		size_t at = 0;
		char *q = pjson_write_string(c->java[i]);

		while (strcmp(c->insert[at], c->java[i]) != 0)
			at++;
		g_string_append_printf(expected, "%s%s:%zu", i ? "," : "", q, at);
		free(q);
	}
	g_string_append_c(expected, '}');
	out = pjson_write(o, NULL);
	g_assert_cmpstr(out, ==, expected->str);
	free(out);
	g_string_free(expected, TRUE);
	json_object_put(o);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(accept_cases); i++) {
		char *path = g_strdup_printf("/json/parse/accept/%s", accept_cases[i].name);
		g_test_add_data_func(path, &accept_cases[i], test_accept);
		g_free(path);
	}
	g_test_add_func("/json/parse/values", test_values);
	for (size_t i = 0; i < G_N_ELEMENTS(reject_cases); i++) {
		char *path = g_strdup_printf("/json/parse/reject/%s", reject_cases[i].name);

		g_test_add_data_func(path, &reject_cases[i], test_reject);
		g_free(path);
	}
	g_test_add_func("/json/parse/reject-without-error", test_reject_without_error_struct);
	g_test_add_func("/json/parse/reject-long-duplicate-key", test_reject_long_duplicate_key);
	g_test_add_func("/json/parse/deep-nesting", test_deep_nesting);
	g_test_add_func("/json/write/quote", test_quote);
	g_test_add_func("/json/write/scalars", test_scalars);
	g_test_add_func("/json/write/doubles", test_doubles);
	for (size_t i = 0; i < G_N_ELEMENTS(order_cases); i++) {
		char *path = g_strdup_printf("/json/write/hashmap-order/%s", order_cases[i].name);

		g_test_add_data_func(path, &order_cases[i], test_order);
		g_free(path);
	}
	return g_test_run();
}
