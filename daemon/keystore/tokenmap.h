/* The token map: which NCALayer token storage a card in a PC/SC reader is.
 *
 * NCALayer names its hardware storages AKKaztokenStore, AKKZIDCardStore,
 * … (tokenmap_storage_types[]). A card is recognised by its ATR (the bytes
 * it answers a reset with) or, for a token that is its own reader, by the
 * reader's name:
 *
 *   ATR pattern   hex bytes, optionally separated by ':' or spaces:
 *                 "3B:D5:18:00:81:31", "3BD51800", "3B D5 18 00".
 *                 X (or '.') in place of a hex digit matches any value
 *                 ("3B:XX:18", "3B..18", "3X"). "/MASK" after the bytes
 *                 (hex, as many bytes, no wildcards) says which bits
 *                 count: "3B:D5:18/FF:00:FF". The card's ATR must have
 *                 exactly as many bytes as the pattern.
 *   reader name   a substring of the PC/SC reader's name, compared
 *                 without regard to ASCII case: "JaCarta", "KAZTOKEN".
 *
 * Entries come from the map file installed with the daemon (the built-in
 * entries) and from the user's configuration ([token-atr], [token-reader]).
 * A card takes the storage type of the first entry that matches, looking in
 * this order: the user's ATRs, the user's reader names, the built-in ATRs,
 * the built-in reader names; within each, in the order they were added.
 *
 * The map file is text, one entry a line, '#' starts a comment line:
 *
 *   atr     AKEToken72KStore  3B:D5:18:00:81:31:3A:7D:80:73:C8:21:10:30
 *   reader  AKJaCartaStore    JaCarta
 *
 * Pure data: no I/O besides tokenmap_load(), no locking (a map is filled,
 * then only read). Errors: 0; positive TOKENMAP_E_* with a message for
 * the user; negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOKENMAP_ATR_MAX    33  /* ISO 7816-3: at most 33 bytes */
#define TOKENMAP_READER_MAX 128 /* PC/SC reader names are shorter */
/* A map file larger than this is not a map file. */
#define TOKENMAP_FILE_MAX (1024 * 1024)

enum tokenmap_error {
	TOKENMAP_E_TYPE = 1, /* not a token storage type NCALayer knows */
	TOKENMAP_E_ATR,      /* a malformed ATR pattern */
	TOKENMAP_E_READER,   /* an empty or over-long reader name */
	TOKENMAP_E_SYNTAX,   /* a map file line that is not "KIND TYPE VALUE" */
};

enum tokenmap_origin {
	TOKENMAP_USER,    /* the user's configuration: matched first */
	TOKENMAP_BUILTIN, /* the map file installed with the daemon */
};

/* The token storage types, in the order getActiveTokens lists them
 * (NCALayer's own list, DESIGN.md). NULL-terminated. PKCS12 and JKS are
 * files, not tokens, and are not here. */
extern const char *const tokenmap_storage_types[];

/* The entry of tokenmap_storage_types[] equal to name (exact case), or
 * NULL. */
const char *tokenmap_storage_type(const char *name);

/* The position of type in tokenmap_storage_types[]; types not there sort
 * after all of them. For ordering lists of types. */
int tokenmap_storage_rank(const char *type);

struct tokenmap_atr {
	uint8_t value[TOKENMAP_ATR_MAX];
	uint8_t mask[TOKENMAP_ATR_MAX]; /* 1 bits are compared */
	size_t len;
};

/* Parse an ATR pattern (the syntax above). TOKENMAP_E_ATR when s is not
 * one; *ret is written only on success. */
int tokenmap_atr_parse(const char *s, struct tokenmap_atr *ret);

/* Does an ATR of len bytes match p? */
bool tokenmap_atr_match(const struct tokenmap_atr *p, const uint8_t *atr, size_t len);

/* An ATR as text, "3B:D5:18" (g_free). */
char *tokenmap_atr_format(const uint8_t *atr, size_t len);

struct tokenmap;

struct tokenmap *tokenmap_new(void);
/* Accepts NULL, returns NULL. */
struct tokenmap *tokenmap_free(struct tokenmap *m);

/* Number of entries. */
size_t tokenmap_size(const struct tokenmap *m);

/* Add an entry. type must be in tokenmap_storage_types[]
 * (TOKENMAP_E_TYPE); pattern an ATR pattern (TOKENMAP_E_ATR); substring 1
 * to TOKENMAP_READER_MAX bytes (TOKENMAP_E_READER). */
int tokenmap_add_atr(struct tokenmap *m, const char *type, const char *pattern,
		     enum tokenmap_origin origin);
int tokenmap_add_reader(struct tokenmap *m, const char *type, const char *substring,
			enum tokenmap_origin origin);

/* Add copies of all of from's entries, keeping their origins. */
void tokenmap_add_map(struct tokenmap *m, const struct tokenmap *from);

/* Add the entries of map file text (len bytes; need not end in NUL) as
 * TOKENMAP_BUILTIN. All or nothing: on the first bad line returns its
 * TOKENMAP_E_* and sets *ret_message (g_free) to "line N: what is wrong",
 * and m is unchanged. */
int tokenmap_parse(struct tokenmap *m, const char *text, size_t len, char **ret_message);

/* tokenmap_parse() of a file. A file that cannot be read: negative errno
 * and *ret_message "PATH: reason"; a bad line: "PATH:N: what is wrong". */
int tokenmap_load(struct tokenmap *m, const char *path, char **ret_message);

/* The storage type of a card with this ATR (len 0: unknown, only reader
 * names can match) in a reader of this name, or NULL when no entry
 * matches. The string is static (tokenmap_storage_types[]). */
const char *tokenmap_lookup(const struct tokenmap *m, const char *reader, const uint8_t *atr,
			    size_t len);
