/* The token map: ATR patterns (wildcards, masks), reader names, the map
 * file's lines and their errors, which entry wins, the map shipped with
 * the daemon, and the user's [token-atr] / [token-reader]. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/keystore/tokenmap.h"
#include "tests/unit/test-util.h"

static char *tmpdir;

/* "3BD518" → bytes. */
static size_t hex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2)
		out[n++] = (uint8_t)(g_ascii_xdigit_value(s[0]) << 4 | g_ascii_xdigit_value(s[1]));
	return n;
}

struct parse_case {
	const char *pattern;
	bool ok;
	size_t len; /* when ok */
};

static const struct parse_case parse_cases[] = {
	{ "3B:D5:18:00:81:31:3A:7D:80:73:C8:21:10:30", true, 14 },
	{ "3BDB9600801F030031C0648F", true, 12 },
	{ "3b d5 18", true, 3 },
	{ "  3B : D5 ", true, 2 },
	{ "3B:XX:18", true, 3 },
	{ "3B..18", true, 3 },
	{ "3x", true, 1 },
	{ "3B:D5:18/FF:00:FF", true, 3 },
	{ "3BD518 / FF00FF", true, 3 },
	{ "", false, 0 },
	{ " ", false, 0 },
	{ "3", false, 0 },
	{ "3BD", false, 0 },
	{ "3G", false, 0 },
	{ "3B::D5", false, 0 },
	{ ":3B", false, 0 },
	{ "3B:", false, 0 },
	{ "3 B", false, 0 },
	{ "3B/", false, 0 },
	{ "3B:D5/FF", false, 0 },     /* mask shorter */
	{ "3B/FFFF", false, 0 },      /* mask longer */
	{ "3B:D5/FF:XX", false, 0 },  /* no wildcards in a mask */
	{ "3B/FF/FF", false, 0 },
	{ "0x3B", false, 0 },
	/* 33 bytes is the most an ATR has. */
	{ "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20", true, 33 },
	{ "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021", false, 0 },
};

static void test_atr_parse(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct tokenmap_atr p = { .len = 99 };
		int r = tokenmap_atr_parse(c->pattern, &p);

		if ((r == 0) != c->ok)
			g_error("\"%s\": parse gave %d", c->pattern, r);
		if (c->ok)
			g_assert_cmpuint(p.len, ==, c->len);
		else {
			g_assert_cmpint(r, ==, TOKENMAP_E_ATR);
			g_assert_cmpuint(p.len, ==, 99); /* untouched */
		}
	}
}

struct match_case {
	const char *pattern;
	const char *atr; /* hex */
	bool match;
};

static const struct match_case match_cases[] = {
	{ "3B:D5:18:00:81:31:3A:7D:80:73:C8:21:10:30", "3BD5180081313A7D8073C8211030", true },
	{ "3B:D5:18:00:81:31:3A:7D:80:73:C8:21:10:30", "3BD518008131FE7D8073C82110F4", false },
	{ "3b:d5", "3BD5", true },
	/* Lengths must be equal: no prefix matches. */
	{ "3B:D5", "3BD518", false },
	{ "3B:D5:18", "3BD5", false },
	{ "3B:XX:18", "3B0018", true },
	{ "3B:XX:18", "3BFF18", true },
	{ "3B:XX:18", "3BFF19", false },
	{ "3B..18", "3BA518", true },
	{ "3X", "3F", true },
	{ "3X", "4F", false },
	{ "X1", "A1", true },
	{ "X1", "A2", false },
	/* The mask says which bits count: 31 and 33, not 35. */
	{ "3B:39:31/FF:FF:FD", "3B3933", true },
	{ "3B:39:31/FF:FF:FD", "3B3931", true },
	{ "3B:39:31/FF:FF:FD", "3B3935", false },
	{ "3B:D5:18/FF:00:FF", "3B0018", true },
	/* Wildcards and a mask together. */
	{ "3B:XX:18/FF:FF:F0", "3B771F", true },
	{ "3B:XX:18/FF:FF:F0", "3B7728", false },
};

static void test_atr_match(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(match_cases); i++) {
		const struct match_case *c = &match_cases[i];
		struct tokenmap_atr p;
		uint8_t atr[TOKENMAP_ATR_MAX];
		size_t len = hex(c->atr, atr);

		g_assert_cmpint(tokenmap_atr_parse(c->pattern, &p), ==, 0);
		if (tokenmap_atr_match(&p, atr, len) != c->match)
			g_error("\"%s\" against %s: expected %s", c->pattern, c->atr,
				c->match ? "a match" : "none");
	}
}

static void test_atr_format(void)
{
	uint8_t atr[] = { 0x3B, 0x95, 0x13, 0x81, 0x01 };
	g_autofree char *s = tokenmap_atr_format(atr, sizeof(atr));
	g_autofree char *empty = tokenmap_atr_format(atr, 0);

	g_assert_cmpstr(s, ==, "3B:95:13:81:01");
	g_assert_cmpstr(empty, ==, "");
}

static void test_storage_types(void)
{
	g_assert_cmpstr(tokenmap_storage_type("AKKaztokenStore"), ==, "AKKaztokenStore");
	g_assert_true(tokenmap_storage_type("AKJaCartaStore") == tokenmap_storage_types[4]);
	g_assert_null(tokenmap_storage_type("PKCS12"));
	g_assert_null(tokenmap_storage_type("JKS"));
	g_assert_null(tokenmap_storage_type("akkaztokenstore"));
	g_assert_cmpint(tokenmap_storage_rank("AKKaztokenStore"), <,
			tokenmap_storage_rank("AKJaCartaStore"));
	g_assert_cmpint(tokenmap_storage_rank("Unknown"), >, tokenmap_storage_rank("AKAKEYStore"));
}

static const char *lookup(const struct tokenmap *m, const char *reader, const char *atr_hex)
{
	uint8_t atr[TOKENMAP_ATR_MAX];
	size_t len = atr_hex ? hex(atr_hex, atr) : 0;

	return tokenmap_lookup(m, reader, atr, len);
}

static void test_reader_names(void)
{
	struct tokenmap *m = tokenmap_new();
	char long_name[TOKENMAP_READER_MAX + 2];

	g_assert_cmpint(tokenmap_add_reader(m, "AKJaCartaStore", "JaCarta", TOKENMAP_BUILTIN), ==, 0);
	g_assert_cmpint(tokenmap_add_reader(m, "AKKaztokenStore", "kaztoken", TOKENMAP_BUILTIN), ==,
			0);
	/* A substring, in any ASCII case; no ATR needed. */
	g_assert_cmpstr(lookup(m, "Aladdin R.D. JaCarta [Main Interface] 00 00", NULL), ==,
			"AKJaCartaStore");
	g_assert_cmpstr(lookup(m, "ALADDIN R.D. JACARTA LT 00 00", "3B00"), ==, "AKJaCartaStore");
	g_assert_cmpstr(lookup(m, "Active KAZTOKEN 00 00", NULL), ==, "AKKaztokenStore");
	g_assert_null(lookup(m, "Virtual PCD 00 00", "3B00"));
	g_assert_null(lookup(m, NULL, "3B00"));

	g_assert_cmpint(tokenmap_add_reader(m, "AKJaCartaStore", "", TOKENMAP_USER), ==,
			TOKENMAP_E_READER);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	g_assert_cmpint(tokenmap_add_reader(m, "AKJaCartaStore", long_name, TOKENMAP_USER), ==,
			TOKENMAP_E_READER);
	g_assert_cmpint(tokenmap_add_reader(m, "PKCS12", "x", TOKENMAP_USER), ==, TOKENMAP_E_TYPE);
	g_assert_cmpint(tokenmap_add_atr(m, "Foo", "3B", TOKENMAP_USER), ==, TOKENMAP_E_TYPE);
	g_assert_cmpint(tokenmap_add_atr(m, "AKAKEYStore", "3Z", TOKENMAP_USER), ==,
			TOKENMAP_E_ATR);
	g_assert_cmpuint(tokenmap_size(m), ==, 2);
	tokenmap_free(m);
}

/* The user's entries before the built-in ones; within each, ATRs before
 * reader names; then the order they came in. */
static void test_precedence(void)
{
	struct tokenmap *m = tokenmap_new(), *user = tokenmap_new(), *both = tokenmap_new();

	g_assert_cmpint(tokenmap_add_atr(m, "AKEToken72KStore", "3B:D5:18", TOKENMAP_BUILTIN), ==,
			0);
	g_assert_cmpint(tokenmap_add_atr(m, "AKEToken5110Store", "3B:D5:XX", TOKENMAP_BUILTIN), ==,
			0);
	g_assert_cmpint(tokenmap_add_reader(m, "AKJaCartaStore", "Token", TOKENMAP_BUILTIN), ==, 0);

	/* Built-in only: an ATR beats a reader name, the first ATR wins. */
	g_assert_cmpstr(lookup(m, "Some Token", "3BD518"), ==, "AKEToken72KStore");
	g_assert_cmpstr(lookup(m, "Some Token", "3BD519"), ==, "AKEToken5110Store");
	g_assert_cmpstr(lookup(m, "Some Token", "3B00"), ==, "AKJaCartaStore");

	/* The user's reader name beats a built-in ATR. */
	g_assert_cmpint(tokenmap_add_reader(user, "AKAKEYStore", "some", TOKENMAP_USER), ==, 0);
	/* The user's ATR beats the user's reader name. */
	g_assert_cmpint(tokenmap_add_atr(user, "AKKaztokenStore", "3B:D5:19", TOKENMAP_USER), ==, 0);
	tokenmap_add_map(both, m);
	tokenmap_add_map(both, user);
	g_assert_cmpuint(tokenmap_size(both), ==, 5);
	g_assert_cmpstr(lookup(both, "Some Token", "3BD518"), ==, "AKAKEYStore");
	g_assert_cmpstr(lookup(both, "Some Token", "3BD519"), ==, "AKKaztokenStore");
	g_assert_cmpstr(lookup(both, "Other Token", "3BD518"), ==, "AKEToken72KStore");
	g_assert_cmpstr(lookup(both, "Other Token", NULL), ==, "AKJaCartaStore");
	/* The copy is independent of its source. */
	m = tokenmap_free(m);
	g_assert_cmpstr(lookup(both, "Other Token", "3BD519"), ==, "AKKaztokenStore");
	tokenmap_free(user);
	tokenmap_free(both);
}

static void test_parse_file_text(void)
{
	static const char text[] = "# a comment\n"
				   "\n"
				   "   # an indented comment\n"
				   "atr\tAKKaztokenStore\t3B:01:02\n"
				   "reader  AKJaCartaStore   Aladdin R.D. JaCarta  \r\n"
				   "atr AKAKEYStore 3B 03 04 / FF FF F0";
	struct tokenmap *m = tokenmap_new();
	g_autofree char *message = NULL;

	g_assert_cmpint(tokenmap_parse(m, text, strlen(text), &message), ==, 0);
	g_assert_null(message);
	g_assert_cmpuint(tokenmap_size(m), ==, 3);
	g_assert_cmpstr(lookup(m, "x", "3B0102"), ==, "AKKaztokenStore");
	/* A name with spaces is one value. */
	g_assert_cmpstr(lookup(m, "aladdin r.d. jacarta 00 00", NULL), ==, "AKJaCartaStore");
	g_assert_null(lookup(m, "JaCarta 00 00", NULL));
	g_assert_cmpstr(lookup(m, "x", "3B030F"), ==, "AKAKEYStore");
	tokenmap_free(m);
}

struct bad_line {
	const char *text;
	int error;
	const char *message; /* a part of it */
};

static const struct bad_line bad_lines[] = {
	{ "atr AKKaztokenStore 3B\natr AKKaztokenStore 3BZZ\n", TOKENMAP_E_ATR,
	  "line 2: malformed ATR \"3BZZ\"" },
	{ "# x\n\natr AKFooStore 3B\n", TOKENMAP_E_TYPE,
	  "line 3: unknown storage type \"AKFooStore\": expected one of AKKaztokenStore" },
	{ "atr PKCS12 3B\n", TOKENMAP_E_TYPE, "line 1: unknown storage type \"PKCS12\"" },
	{ "card AKKaztokenStore 3B\n", TOKENMAP_E_SYNTAX, "line 1: unknown kind \"card\"" },
	{ "atr AKKaztokenStore\n", TOKENMAP_E_SYNTAX, "line 1: expected \"atr TYPE PATTERN\"" },
	{ "atr\n", TOKENMAP_E_SYNTAX, "line 1: expected" },
	{ "reader AKJaCartaStore JaCarta\nreader\tAKJaCartaStore\t \n", TOKENMAP_E_SYNTAX,
	  "line 2: expected" },
	{ "atr AKKaztokenStore 3B:D5:18/FF\n", TOKENMAP_E_ATR, "line 1: malformed ATR" },
};

static void test_parse_errors(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_lines); i++) {
		struct tokenmap *m = tokenmap_new();
		g_autofree char *message = NULL;
		const char *text = bad_lines[i].text;

		g_assert_cmpint(tokenmap_add_atr(m, "AKAKEYStore", "3B:00", TOKENMAP_USER), ==, 0);
		g_assert_cmpint(tokenmap_parse(m, text, strlen(text), &message), ==,
				bad_lines[i].error);
		if (!message || !strstr(message, bad_lines[i].message))
			g_error("case %zu: message \"%s\" lacks \"%s\"", i, message,
				bad_lines[i].message);
		/* All or nothing: the good lines before are not kept. */
		g_assert_cmpuint(tokenmap_size(m), ==, 1);
		tokenmap_free(m);
	}
}

static void test_load(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "tokens.map", NULL);
	g_autofree char *missing = g_build_filename(tmpdir, "none.map", NULL);
	g_autofree char *message = NULL, *message2 = NULL;
	struct tokenmap *m = tokenmap_new();

	g_assert_cmpint(tokenmap_load(m, missing, &message), ==, -ENOENT);
	g_assert_true(g_str_has_prefix(message, missing));

	g_assert_true(g_file_set_contents(path, "reader AKJaCartaStore JaCarta\nbad line here\n", -1,
					  NULL));
	g_assert_cmpint(tokenmap_load(m, path, &message2), ==, TOKENMAP_E_SYNTAX);
	/* "PATH:LINE: …", as compilers say it. */
	g_assert_true(g_str_has_prefix(message2, path));
	g_assert_nonnull(strstr(message2, ":2: unknown kind \"bad\""));
	g_assert_cmpuint(tokenmap_size(m), ==, 0);
	tokenmap_free(m);
}

/* The map installed with the daemon parses, and the ATRs its sources give
 * come out as the storage types they are listed under. */
static void test_shipped_map(void)
{
	static const struct {
		const char *reader, *atr, *type;
	} cards[] = {
		{ "Gemalto PC Twin Reader 00 00", "3B391900534F4D41445333303131", NULL },
		{ "Gemalto PC Twin Reader 00 00", "3B391900534F4D414453333031", "AKKZIDCardStore" },
		{ "Gemalto PC Twin Reader 00 00", "3B391900534F4D414453333033", "AKKZIDCardStore" },
		{ "Gemalto PC Twin Reader 00 00", "3B391900534F4D414453333035", NULL },
		{ "x", "3B3E9500534F4D412D633030372D44533161", "AKKZIDCardStore" },
		{ "x", "3BFA1800FF8031FE450031807394410000900090", "AKKZIDCardStore" },
		{ "x", "3B88014B415A544F4B454E82", "AKKaztokenStore" },
		{ "x", "3B9896004B415A544F4B454E", "AKKaztokenStore" },
		{ "x", "3BFF9600008131FE4380318065B0855956FB120FFE82900000", "AKEToken5110Store" },
		/* IDPrime 3940 FIDO: one byte from the 5110 SC. */
		{ "x", "3BFF9600008131FE4380318065B0855956FB120FFC82900002", NULL },
		{ "SafeNet eToken 5100 [eToken 5100] 00 00", "3BD5180081313A7D8073C8211030",
		  "AKEToken72KStore" },
		{ "SafeNet eToken 5100 [eToken 5100] 00 00", "3BD518008131FE7D8073C82110F4",
		  "AKEToken5110Store" },
		{ "Aladdin R.D. JaCarta 00 00", "3BDC18FF8191FE1FC38073C821136601061159000128",
		  "AKJaCartaStore" },
		/* A JaCarta token whose ATR is not listed: by its name. */
		{ "Aladdin R.D. JaCarta 00 00", "3B00", "AKJaCartaStore" },
		{ "Active KAZTOKEN 00 00", "3B00", "AKKaztokenStore" },
		/* A bank card in an ordinary reader. */
		{ "Alcor Micro AU9540 00 00", "3B6800000073C84000009000", NULL },
	};
	struct tokenmap *m = tokenmap_new();
	g_autofree char *message = NULL;

	if (tokenmap_load(m, TOKENS_MAP_SRC, &message) != 0)
		g_error("%s", message);
	g_assert_cmpuint(tokenmap_size(m), >=, 8);
	for (size_t i = 0; i < G_N_ELEMENTS(cards); i++)
		g_assert_cmpstr(lookup(m, cards[i].reader, cards[i].atr), ==, cards[i].type);
	tokenmap_free(m);
}

static char *write_conf(const char *text)
{
	char *path = g_build_filename(tmpdir, "qoltanba.conf", NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void test_config_entries(void)
{
	g_autofree char *path = write_conf("[token-atr]\n"
					   "AKKaztokenStore=3B:95:13:81:01:80:73:FF:01:00:0B; 3B:01 ;\n"
					   "AKAKEYStore=3B XX 02\n"
					   "[token-reader]\n"
					   "AKJaCartaStore=JaCarta;ARDS\n"
					   "[tokens]\nAKKaztokenStore=/usr/lib/x.so\n");
	struct config cfg;
	g_autofree char *msg = NULL;

	config_init(&cfg);
	g_assert_cmpuint(tokenmap_size(cfg.tokens), ==, 0);
	g_assert_null(cfg.tokens_map);
	g_assert_cmpint(config_load(&cfg, path, &msg), ==, 0);
	g_assert_cmpuint(tokenmap_size(cfg.tokens), ==, 5);
	g_assert_cmpstr(lookup(cfg.tokens, "Virtual PCD 00 00", "3B951381018073FF01000B"), ==,
			"AKKaztokenStore");
	g_assert_cmpstr(lookup(cfg.tokens, "x", "3B01"), ==, "AKKaztokenStore");
	g_assert_cmpstr(lookup(cfg.tokens, "x", "3B7702"), ==, "AKAKEYStore");
	g_assert_cmpstr(lookup(cfg.tokens, "ARDS JaCarta 00 00", NULL), ==, "AKJaCartaStore");
	g_assert_null(lookup(cfg.tokens, "x", "3B02"));
	config_clear(&cfg);
}

static void test_config_tokens_map(void)
{
	g_autofree char *path = write_conf("[testing]\ntokens-map=~/my.map\n");
	g_autofree char *expected = g_build_filename(g_get_home_dir(), "my.map", NULL);
	struct config cfg;
	g_autofree char *msg = NULL;

	config_init(&cfg);
	g_assert_cmpint(config_load(&cfg, path, &msg), ==, 0);
	g_assert_cmpstr(cfg.tokens_map, ==, expected);
	config_clear(&cfg);
}

static const struct bad_line bad_configs[] = {
	{ "[token-atr]\nAKFooStore=3B:00\n", CONFIG_E_VALUE,
	  "[token-atr] AKFooStore=3B:00: unknown storage type AKFooStore: expected one of "
	  "AKKaztokenStore, AKKZIDCardStore" },
	{ "[token-atr]\nPKCS12=3B:00\n", CONFIG_E_VALUE, "unknown storage type PKCS12" },
	{ "[token-atr]\nAKKaztokenStore=3B:00;3B:0\n", CONFIG_E_VALUE,
	  "[token-atr] AKKaztokenStore=3B:00;3B:0: malformed ATR \"3B:0\": expected hex bytes" },
	{ "[token-atr]\nAKKaztokenStore=3B:D5/FF\n", CONFIG_E_VALUE, "malformed ATR \"3B:D5/FF\"" },
	{ "[token-reader]\nAKNoStore=JaCarta\n", CONFIG_E_VALUE,
	  "[token-reader] AKNoStore=JaCarta: unknown storage type AKNoStore" },
	{ "[token-reader]\nAKJaCartaStore="
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	  CONFIG_E_VALUE, "expected 1 to 128 characters of a reader name" },
	{ "[testing]\ntoken-map=x\n", CONFIG_E_VALUE, "unknown key [testing] token-map" },
};

static void test_config_errors(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_configs); i++) {
		g_autofree char *path = write_conf(bad_configs[i].text);
		g_autofree char *msg = NULL;
		struct config cfg;

		config_init(&cfg);
		g_assert_cmpint(config_load(&cfg, path, &msg), ==, bad_configs[i].error);
		if (!msg || !strstr(msg, bad_configs[i].message))
			g_error("case %zu: message \"%s\" lacks \"%s\"", i, msg,
				bad_configs[i].message);
		/* The file is named, as for every other key. */
		g_assert_true(g_str_has_prefix(msg, path));
		config_clear(&cfg);
	}
}

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("qoltanba-pcsc-map-XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	g_test_add_func("/tokenmap/atr-parse", test_atr_parse);
	g_test_add_func("/tokenmap/atr-match", test_atr_match);
	g_test_add_func("/tokenmap/atr-format", test_atr_format);
	g_test_add_func("/tokenmap/storage-types", test_storage_types);
	g_test_add_func("/tokenmap/reader-names", test_reader_names);
	g_test_add_func("/tokenmap/precedence", test_precedence);
	g_test_add_func("/tokenmap/parse", test_parse_file_text);
	g_test_add_func("/tokenmap/parse-errors", test_parse_errors);
	g_test_add_func("/tokenmap/load", test_load);
	g_test_add_func("/tokenmap/shipped-map", test_shipped_map);
	g_test_add_func("/config/token-entries", test_config_entries);
	g_test_add_func("/config/tokens-map", test_config_tokens_map);
	g_test_add_func("/config/token-errors", test_config_errors);
	r = g_test_run();
	test_rm_rf(tmpdir);
	g_free(tmpdir);
	return r;
}
