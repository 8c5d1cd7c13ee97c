/* JSON the way NCALayer speaks it.
 *
 * In: a lenient parser for the grammar of org.json's JSONTokener, which is
 * what NCALayer's modules read requests with (`new JSONObject(String)`):
 * pages send unquoted keys, single-quoted strings, "key = value" and
 * trailing commas, and NCALayer takes them. The result is a json-c tree.
 *
 * Out: a writer that produces the bytes org.json's JSONObject.toString()
 * produces: no spaces, object keys in java.util.HashMap iteration order,
 * org.json's string escaping ("</" as "<\/"). Clients parse JSON, but some
 * pages compare answers as strings, and the recordings of real NCALayer
 * answers are reproduced byte for byte (tests/unit/test-protocol.c).
 *
 * No I/O; no global state but a "C" numeric locale made once for
 * strtod_l(). Both directions are iterative: the nesting of a document
 * never becomes C stack depth. protocol/PROTOCOL.md describes the accepted
 * grammar for page authors. */
#pragma once

#include <stddef.h>

struct json_object;

/* Positive results of pjson_parse(): documented conditions of the input. */
enum pjson_result {
	PJSON_E_SYNTAX = 1, /* the text is not a JSON object org.json would read */
	PJSON_E_DEPTH = 2,  /* objects/arrays nest deeper than max_depth */
};

struct pjson_error {
	/* Byte offset (from 0) of the character that stopped the parser;
	 * the length of the text when the text ended too early. */
	size_t offset;
	/* org.json's wording where org.json has the same error ("Expected a
	 * ':' after a key", "Duplicate key \"k\"", ...), ours otherwise.
	 * Valid UTF-8, NUL-terminated, without the offset. */
	char message[160];
};

/* Parse text[0..len) (not NUL-terminated; NUL bytes are an error) into a
 * json-c object.
 *
 * Grammar (org.json's JSONTokener, see PROTOCOL.md "Lenient JSON"):
 * - the text is one object `{...}`, surrounded by optional whitespace
 *   (bytes 0x01-0x20); anything after the closing `}` is an error (org.json
 *   ignores it; we do not);
 * - keys are "double" or 'single' quoted strings or unquoted text;
 *   unquoted text runs up to a control character or one of
 *   `,:]}/\"[{;=#` and is trimmed of spaces (so `{a b: 1}` has the key
 *   "a b", as in org.json);
 * - a key is followed by `:`, `=` or `=>`; members are separated by `,`
 *   or `;`; array elements by `,`; a separator may trail before `}`/`]`;
 *   an empty array slot (`[1,,2]`, `[,1]`) is JSON null;
 * - strings take the escapes \b \t \n \f \r \" \' \\ \/ \uXXXX; a raw line
 *   feed or carriage return inside a string is an error; \u surrogate
 *   pairs are combined, a lone surrogate is an error, and so is \u0000
 *   (the rest of the daemon works with C strings: a NUL would cut the
 *   document that is signed);
 * - unquoted values: true, false, null in any letter case; numbers of
 *   JSON's grammar become int64 when they have no fraction or exponent
 *   and fit, double otherwise (also "-0" and integers too large for
 *   int64); a number whose double overflows, a number with a leading zero
 *   ("012") and any other text are strings, as org.json makes them;
 * - duplicate keys are an error;
 * - the text must be valid UTF-8 (no overlong forms, no surrogates).
 *
 * max_depth: how deeply objects and arrays may nest; the top-level object
 * is depth 1, so max_depth 0 refuses everything.
 *
 * On success stores a new reference in *ret (the caller puts it with
 * json_object_put()) and returns 0. On PJSON_E_SYNTAX or PJSON_E_DEPTH
 * fills *ret_error (if not NULL) and leaves *ret alone. Returns -ENOMEM
 * when memory runs out, -EINVAL when text is NULL with len > 0 or ret is
 * NULL. */
int pjson_parse(const char *text, size_t len, unsigned max_depth, struct json_object **ret,
		struct pjson_error *ret_error);

/* Serialize o (NULL is JSON null) as org.json's toString() would:
 * - no whitespace; `"key":value` pairs joined by `,`;
 * - object keys in the order Java's HashMap iterates them, computed from
 *   the json-c object's insertion order: String.hashCode() over UTF-16
 *   code units, spread h ^ (h >>> 16), a table of 16 buckets doubled
 *   while count > 0.75 * buckets, buckets ascending, insertion order
 *   within a bucket (Java turns a bucket of 8+ keys in a table of 64+
 *   into a tree and orders it differently; that needs hundreds of keys
 *   with colliding hashes and is not reproduced);
 * - strings escaped as pjson_write_string() does;
 * - integers in decimal; doubles with the fewest digits that read back
 *   to the same value, laid out as Java's Double.toString() lays them out
 *   (plain between 1e-3 and 1e7, else "d.dddE-n"), then trimmed of a
 *   trailing ".0" as org.json does: 1.0 -> "1", 0.5 -> "0.5",
 *   1e20 -> "1.0E20" (Java before 19 sometimes printed more digits than
 *   needed, e.g. "4.9E-324" where we write "5.0E-324"); infinities and NaN
 *   (JSON has none) are written null;
 * - true, false, null.
 *
 * Returns a malloc'd NUL-terminated string (free() it) and its length in
 * *ret_len if ret_len is not NULL; NULL when memory runs out. */
char *pjson_write(struct json_object *o, size_t *ret_len);

/* s (UTF-8, NUL-terminated) as a quoted JSON string, escaped as org.json's
 * JSONObject.quote(): `"` -> \", `\` -> \\, `/` -> \/ only after `<`,
 * \b \t \n \f \r, other characters below U+0020 and those in U+0080-U+009F
 * and U+2000-U+20FF as \uXXXX (lowercase hex), everything else as raw
 * UTF-8. Bytes that are not valid UTF-8 are written as U+FFFD, so the
 * answer is always a valid WebSocket text frame. NULL is written as "".
 * Returns a malloc'd string, NULL when memory runs out. */
char *pjson_write_string(const char *s);
