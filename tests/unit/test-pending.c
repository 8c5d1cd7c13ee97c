/* Pending enrollment requests: saved, read back, listed oldest first without
 * their keys, destroyed; ids from web pages refused unless 32 lowercase hex;
 * damaged, oversized and foreign files refused and skipped; a key on a
 * token recorded by where it is, instead of the key. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "daemon/keystore/pending.h"
#include "tests/unit/test-util.h"

struct fixture {
	char *root; /* removed after the test */
	char *dir;  /* root/state/qoltanba/pending, not created in advance */
};

static void fixture_set_up(struct fixture *f, gconstpointer data)
{
	(void)data;
	f->root = g_dir_make_tmp("qoltanba-pending-XXXXXX", NULL);
	g_assert_nonnull(f->root);
	f->dir = g_build_filename(f->root, "state", "qoltanba", "pending", NULL);
}

static void fixture_tear_down(struct fixture *f, gconstpointer data)
{
	(void)data;
	test_rm_rf(f->root);
	g_free(f->root);
	g_free(f->dir);
}

static uint8_t test_key[300];

/* A request with every field set; the strings are static, the struct is
 * only read by pending_save(). */
static struct pending_request make_request(const char *id, long long created)
{
	struct pending_request r = {
		.origin = "https://pki.gov.kz",
		.storage = "PKCS12",
		.algorithm = "GOST2015_512",
		.purpose = "SIGNATURE",
		.folder = "/home/user/keys",
		.subject = "CN=ТЕСТОВ ТЕСТ, SERIALNUMBER=IIN123456789011, C=KZ",
		.key_id = "d6d1e53515d516a7d95d399b668cf09011bf118d",
		.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE "
			   "REQUEST-----\n",
		.created_ms = created,
		.expires_ms = created + 14LL * 24 * 3600 * 1000,
		.key_der = test_key,
		.key_len = sizeof(test_key),
	};

	g_strlcpy(r.id, id, sizeof(r.id));
	return r;
}

static char *request_path(const struct fixture *f, const char *id)
{
	g_autofree char *name = g_strconcat(id, ".json", NULL);

	return g_build_filename(f->dir, name, NULL);
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	g_assert_cmpint(lstat(path, &st), ==, 0);
	return st.st_mode & 07777;
}

static void assert_same(const struct pending_request *a, const struct pending_request *b,
			bool with_key)
{
	g_assert_cmpstr(a->id, ==, b->id);
	g_assert_cmpstr(a->origin, ==, b->origin);
	g_assert_cmpstr(a->storage, ==, b->storage);
	g_assert_cmpstr(a->algorithm, ==, b->algorithm);
	g_assert_cmpstr(a->purpose, ==, b->purpose);
	g_assert_cmpstr(a->folder, ==, b->folder);
	g_assert_cmpstr(a->subject, ==, b->subject);
	g_assert_cmpstr(a->key_id, ==, b->key_id);
	g_assert_cmpstr(a->csr_pem, ==, b->csr_pem);
	g_assert_cmpint(a->created_ms, ==, b->created_ms);
	g_assert_cmpint(a->expires_ms, ==, b->expires_ms);
	if (with_key) {
		g_assert_cmpmem(a->key_der, a->key_len, b->key_der, b->key_len);
	} else {
		g_assert_null(b->key_der);
		g_assert_cmpuint(b->key_len, ==, 0);
	}
}

static void test_round_trip(struct fixture *f, gconstpointer data)
{
	char id[PENDING_ID_LEN + 1];
	struct pending_request r, *back = NULL;
	g_autofree char *path = NULL;
	(void)data;

	g_assert_cmpint(pending_new_id(id), ==, 0);
	r = make_request(id, 1700000000123LL);
	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	path = request_path(f, id);
	g_assert_cmpint(file_mode(f->dir), ==, 0700);
	g_assert_cmpint(file_mode(path), ==, 0600);

	g_assert_cmpint(pending_load(f->dir, id, &back), ==, 0);
	assert_same(&r, back, true);
	pending_request_free(back);

	/* Origin and folder may be unknown. */
	g_assert_cmpint(pending_new_id(id), ==, 0);
	r = make_request(id, 5);
	r.origin = NULL;
	r.folder = NULL;
	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	g_assert_cmpint(pending_load(f->dir, id, &back), ==, 0);
	assert_same(&r, back, true);
	pending_request_free(back);
}

/* The file is the documented JSON, readable by other tools. */
static void test_file_format(struct fixture *f, gconstpointer data)
{
	const char *id = "00112233445566778899aabbccddeeff";
	struct pending_request r = make_request(id, 42);
	g_autofree char *path = request_path(f, id);
	struct json_object *o, *v;
	g_autofree guchar *key = NULL;
	gsize key_len;
	(void)data;

	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	o = json_object_from_file(path);
	g_assert_nonnull(o);
	g_assert_true(json_object_object_get_ex(o, "version", &v));
	g_assert_cmpint(json_object_get_int(v), ==, 1);
	g_assert_true(json_object_object_get_ex(o, "id", &v));
	g_assert_cmpstr(json_object_get_string(v), ==, id);
	g_assert_true(json_object_object_get_ex(o, "keyId", &v));
	g_assert_cmpstr(json_object_get_string(v), ==, r.key_id);
	g_assert_true(json_object_object_get_ex(o, "created", &v));
	g_assert_cmpint(json_object_get_int64(v), ==, 42);
	g_assert_true(json_object_object_get_ex(o, "key", &v));
	key = g_base64_decode(json_object_get_string(v), &key_len);
	g_assert_cmpmem(key, key_len, test_key, sizeof(test_key));
	json_object_put(o);
}

static void test_never_overwritten(struct fixture *f, gconstpointer data)
{
	const char *id = "0123456789abcdef0123456789abcdef";
	struct pending_request r = make_request(id, 1), other = make_request(id, 2);
	struct pending_request *back = NULL;
	(void)data;

	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	other.purpose = "AUTHENTICATION";
	g_assert_cmpint(pending_save(f->dir, &other), ==, -EEXIST);
	g_assert_cmpint(pending_load(f->dir, id, &back), ==, 0);
	assert_same(&r, back, true);
	pending_request_free(back);
}

static void test_bad_ids(struct fixture *f, gconstpointer data)
{
	static const char *const bad[] = {
		"../x",
		"../0123456789abcdef0123456789abcd",
		"0123456789ABCDEF0123456789ABCDEF",
		"0123456789abcdef0123456789abcde",   /* 31 */
		"0123456789abcdef0123456789abcdef0", /* 33 */
		"0123456789abcdef0123456789abcde/",
		"0123456789abcdef0123456789abcdeg",
		"",
		NULL,
	};
	struct pending_request r = make_request("0123456789abcdef0123456789abcdef", 1);
	struct pending_request *back = NULL;
	(void)data;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_false(pending_id_valid(bad[i]));
		g_assert_cmpint(pending_load(f->dir, bad[i], &back), ==, PENDING_E_BAD_ID);
		g_assert_cmpint(pending_destroy(f->dir, bad[i]), ==, PENDING_E_BAD_ID);
		if (bad[i] && strlen(bad[i]) <= PENDING_ID_LEN) {
			g_strlcpy(r.id, bad[i], sizeof(r.id));
			g_assert_cmpint(pending_save(f->dir, &r), ==, PENDING_E_BAD_ID);
		}
	}
	g_assert_null(back);
	/* Nothing was created, not even the directory. */
	g_assert_false(g_file_test(f->dir, G_FILE_TEST_EXISTS));
}

static void test_new_id(void)
{
	char a[PENDING_ID_LEN + 1], b[PENDING_ID_LEN + 1];

	g_assert_cmpint(pending_new_id(a), ==, 0);
	g_assert_cmpint(pending_new_id(b), ==, 0);
	g_assert_true(pending_id_valid(a));
	g_assert_true(pending_id_valid(b));
	g_assert_cmpstr(a, !=, b);
}

static void write_file(const struct fixture *f, const char *name, const char *content, gssize len)
{
	g_autofree char *path = g_build_filename(f->dir, name, NULL);

	g_assert_true(g_file_set_contents(path, content, len, NULL));
}

static void test_list(struct fixture *f, gconstpointer data)
{
	static const char *const ids[] = {
		"cccccccccccccccccccccccccccccccc",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	};
	static const long long created[] = { 300, 100, 200 };
	struct pending_request **v = NULL;
	struct pending_request r;
	size_t n = 99;
	(void)data;

	/* No directory yet: nothing pending. */
	g_assert_cmpint(pending_list(f->dir, &v, &n), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_null(v);

	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		r = make_request(ids[i], created[i]);
		g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	}
	write_file(f, "dddddddddddddddddddddddddddddddd.json", "{\"version\":1,", -1);
	write_file(f, "notes.txt", "not a request", -1);
	write_file(f, ".eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.json.Ab12Cd", "{}", -1);

	g_assert_cmpint(pending_list(f->dir, &v, &n), ==, 0);
	g_assert_cmpuint(n, ==, 3);
	for (size_t i = 0; i < n; i++) {
		g_assert_cmpint(v[i]->created_ms, ==, 100 * (long long)(i + 1));
		g_assert_cmpint(v[i]->created_ms, ==, created[(i + 1) % 3]);
		r = make_request(ids[(i + 1) % 3], created[(i + 1) % 3]);
		assert_same(&r, v[i], false);
	}
	pending_list_free(v, n);
}

/* Counting reads no file: the damaged one counts, the rest do not. */
static void test_count(struct fixture *f, gconstpointer data)
{
	g_autofree char *sub = g_build_filename(f->dir, "ffffffffffffffffffffffffffffffff.json", NULL);
	g_autofree char *link = g_build_filename(f->dir, "abababababababababababababababab.json", NULL);
	struct pending_request r;
	size_t n = 99;
	(void)data;

	g_assert_cmpint(pending_count(f->dir, &n), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	r = make_request("cccccccccccccccccccccccccccccccc", 1);
	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	r = make_request("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 2);
	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	g_assert_cmpint(pending_count(f->dir, &n), ==, 0);
	g_assert_cmpuint(n, ==, 2);

	write_file(f, "dddddddddddddddddddddddddddddddd.json", "{\"version\":1,", -1);
	write_file(f, "notes.txt", "not a request", -1);
	write_file(f, ".eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.json.Ab12Cd", "{}", -1);
	write_file(f, "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD.json", "{}", -1);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	g_assert_cmpint(symlink("cccccccccccccccccccccccccccccccc.json", link), ==, 0);
	g_assert_cmpint(pending_count(f->dir, &n), ==, 0);
	g_assert_cmpuint(n, ==, 3);

	g_assert_cmpint(pending_destroy(f->dir, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), ==, 0);
	g_assert_cmpint(pending_count(f->dir, &n), ==, 0);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpint(pending_count(NULL, &n), ==, -EINVAL);
}

static void test_corrupt(struct fixture *f, gconstpointer data)
{
	static const char *const texts[] = {
		"{\"version\":1,",
		"[]",
		"",
		"{\"version\":2}",
		"{\"version\":1,\"id\":\"ffffffffffffffffffffffffffffffff\"}",
	};
	const char *id = "ffffffffffffffffffffffffffffffff";
	const char *other = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
	g_autofree char *path = NULL, *other_path = NULL, *json = NULL;
	struct pending_request r = make_request(other, 1), *back = NULL;
	(void)data;

	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	path = request_path(f, id);
	other_path = request_path(f, other);
	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_assert_true(g_file_set_contents(path, texts[i], -1, NULL));
		g_assert_cmpint(pending_load(f->dir, id, &back), ==, PENDING_E_CORRUPT);
	}
	/* A good request under another id's name. */
	g_assert_true(g_file_get_contents(other_path, &json, NULL, NULL));
	g_assert_true(g_file_set_contents(path, json, -1, NULL));
	g_assert_cmpint(pending_load(f->dir, id, &back), ==, PENDING_E_CORRUPT);
	/* Our own file with anything after the JSON. */
	g_unlink(path);
	r = make_request(id, 1);
	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	{
		g_autofree char *own = NULL, *trailing = NULL;

		g_assert_true(g_file_get_contents(path, &own, NULL, NULL));
		trailing = g_strconcat(own, " {}", NULL);
		g_unlink(path);
		g_assert_true(g_file_set_contents(path, trailing, -1, NULL));
		g_assert_cmpint(pending_load(f->dir, id, &back), ==, PENDING_E_CORRUPT);
	}
	/* A key that is not base64. */
	g_unlink(path);
	{
		g_autofree char *bad = g_strdup(json);
		char *key = strstr(bad, "\"key\":\"");

		g_assert_nonnull(key);
		key[7] = '*';
		g_assert_true(g_file_set_contents(other_path, bad, -1, NULL));
		g_assert_cmpint(pending_load(f->dir, other, &back), ==, PENDING_E_CORRUPT);
	}
	/* A symlink to a good file is not ours. */
	g_assert_true(g_file_set_contents(other_path, json, -1, NULL));
	g_assert_cmpint(symlink(other_path, path), ==, 0);
	g_assert_cmpint(pending_load(f->dir, id, &back), ==, PENDING_E_CORRUPT);
	g_assert_cmpint(pending_load(f->dir, other, &back), ==, 0);
	pending_request_free(back);
	back = NULL;
	g_assert_cmpint(pending_load(f->dir, "11111111111111111111111111111111", &back), ==,
			PENDING_E_NOT_FOUND);
	g_assert_null(back);
}

/* Every cap has a test: files over PENDING_MAX_FILE are neither read nor
 * written. */
static void test_caps(struct fixture *f, gconstpointer data)
{
	const char *id = "abababababababababababababababab";
	g_autofree char *path = NULL, *huge = g_malloc(PENDING_MAX_FILE + 2);
	struct pending_request r = make_request(id, 1), *back = NULL;
	(void)data;

	/* A valid file, padded with spaces to one byte over the cap. */
	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	path = request_path(f, id);
	{
		g_autofree char *json = NULL;
		gsize len;

		g_assert_true(g_file_get_contents(path, &json, &len, NULL));
		memset(huge, ' ', PENDING_MAX_FILE + 1);
		memcpy(huge, json, len);
		g_unlink(path);
		g_assert_true(g_file_set_contents(path, huge, PENDING_MAX_FILE + 1, NULL));
		g_assert_cmpint(pending_load(f->dir, id, &back), ==, PENDING_E_CORRUPT);
		/* One byte less: under the cap, read. */
		g_unlink(path);
		g_assert_true(g_file_set_contents(path, huge, PENDING_MAX_FILE, NULL));
		g_assert_cmpint(pending_load(f->dir, id, &back), ==, 0);
		pending_request_free(back);
		g_unlink(path);
	}

	memset(huge, 'A', PENDING_MAX_FILE);
	huge[PENDING_MAX_FILE] = '\0';
	r.csr_pem = huge;
	g_assert_cmpint(pending_save(f->dir, &r), ==, -E2BIG);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

static void test_foreign_owner(struct fixture *f, gconstpointer data)
{
	const char *id = "12121212121212121212121212121212";
	struct pending_request r = make_request(id, 1), *back = NULL;
	g_autofree char *path = request_path(f, id);
	struct pending_request **v = NULL;
	size_t n;
	(void)data;

	if (geteuid() != 0) {
		g_test_skip("needs root to give a file to another user");
		return;
	}
	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	g_assert_cmpint(chown(path, 65534, 65534), ==, 0);
	g_assert_cmpint(pending_load(f->dir, id, &back), ==, PENDING_E_CORRUPT);
	g_assert_cmpint(pending_list(f->dir, &v, &n), ==, 0);
	g_assert_cmpuint(n, ==, 0);
}

static void test_destroy(struct fixture *f, gconstpointer data)
{
	const char *id = "34343434343434343434343434343434";
	struct pending_request r = make_request(id, 1), *back = NULL;
	g_autofree char *path = request_path(f, id);
	(void)data;

	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	g_assert_cmpint(pending_destroy(f->dir, id), ==, 0);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_cmpint(pending_load(f->dir, id, &back), ==, PENDING_E_NOT_FOUND);
	g_assert_cmpint(pending_destroy(f->dir, id), ==, PENDING_E_NOT_FOUND);
	/* The id is free again. */
	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
}

static void test_incomplete(struct fixture *f, gconstpointer data)
{
	struct pending_request r = make_request("56565656565656565656565656565656", 1);
	(void)data;

	r.csr_pem = NULL;
	g_assert_cmpint(pending_save(f->dir, &r), ==, -EINVAL);
	r = make_request("56565656565656565656565656565656", 1);
	r.key_der = NULL;
	g_assert_cmpint(pending_save(f->dir, &r), ==, -EINVAL);
}

static struct pending_token token_ref = {
	.storage = "AKKaztokenStore",
	.module = "/usr/lib/softhsm/libsofthsm2.so",
	.serial = "4c1d2e3f5a6b7c8d",
	.label = "qoltanba test",
	.key_id = "d6d1e53515d516a7d95d399b668cf09011bf118d",
};

static struct pending_request make_token_request(const char *id, long long created)
{
	struct pending_request r = make_request(id, created);

	r.storage = "AKKaztokenStore";
	r.folder = NULL;
	r.key_der = NULL;
	r.key_len = 0;
	r.token = &token_ref;
	return r;
}

static void assert_same_token(const struct pending_token *a, const struct pending_token *b)
{
	g_assert_nonnull(b);
	g_assert_cmpstr(a->storage, ==, b->storage);
	g_assert_cmpstr(a->module, ==, b->module);
	g_assert_cmpstr(a->serial, ==, b->serial);
	g_assert_cmpstr(a->label, ==, b->label);
	g_assert_cmpstr(a->key_id, ==, b->key_id);
}

/* A key on a token: the file says where it is and holds no key; it reads
 * back and lists with its token. */
static void test_token(struct fixture *f, gconstpointer data)
{
	const char *id = "78787878787878787878787878787878";
	struct pending_request r = make_token_request(id, 7), *back = NULL, **v = NULL;
	g_autofree char *path = request_path(f, id);
	struct json_object *o, *t, *x;
	size_t n = 0;
	(void)data;

	g_assert_cmpint(pending_save(f->dir, &r), ==, 0);
	o = json_object_from_file(path);
	g_assert_nonnull(o);
	g_assert_false(json_object_object_get_ex(o, "key", NULL));
	g_assert_true(json_object_object_get_ex(o, "token", &t));
	g_assert_true(json_object_object_get_ex(t, "serial", &x));
	g_assert_cmpstr(json_object_get_string(x), ==, token_ref.serial);
	g_assert_true(json_object_object_get_ex(t, "keyId", &x));
	g_assert_cmpstr(json_object_get_string(x), ==, token_ref.key_id);
	json_object_put(o);

	g_assert_cmpint(pending_load(f->dir, id, &back), ==, 0);
	assert_same(&r, back, false);
	assert_same_token(&token_ref, back->token);
	pending_request_free(back);
	g_assert_cmpint(pending_list(f->dir, &v, &n), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	assert_same_token(&token_ref, v[0]->token);
	pending_list_free(v, n);
}

/* Exactly one of key and token, each complete, when saved and when read;
 * a file written before tokens (a key, no "token") still reads. */
static void test_key_or_token(struct fixture *f, gconstpointer data)
{
	const char *id = "89898989898989898989898989898989";
	struct pending_request r = make_token_request(id, 1), *back = NULL;
	struct pending_token partial = token_ref;
	g_autofree char *path = request_path(f, id);
	g_autofree char *key_b64 = g_base64_encode(test_key, sizeof(test_key));
	g_autofree char *old = NULL, *both = NULL, *neither = NULL, *no_serial = NULL;
	g_autofree char *not_object = NULL;
	const char *head = "{\"version\":1,\"id\":\"89898989898989898989898989898989\","
			   "\"origin\":null,\"storage\":\"PKCS12\",\"algorithm\":\"GOST512\","
			   "\"purpose\":\"sign\",\"folder\":null,\"subject\":\"CN=X\","
			   "\"keyId\":\"d6d1e53515d516a7d95d399b668cf09011bf118d\","
			   "\"csr\":\"PEM\",\"created\":1,\"expires\":2";
	const char *token = "\"token\":{\"storage\":\"AKKaztokenStore\",\"module\":\"m.so\","
			    "\"serial\":\"1\",\"label\":\"t\","
			    "\"keyId\":\"d6d1e53515d516a7d95d399b668cf09011bf118d\"}";
	(void)data;

	/* Saving: both, neither, a token with a field missing. */
	r.key_der = test_key;
	r.key_len = sizeof(test_key);
	g_assert_cmpint(pending_save(f->dir, &r), ==, -EINVAL);
	r = make_token_request(id, 1);
	r.token = NULL;
	g_assert_cmpint(pending_save(f->dir, &r), ==, -EINVAL);
	partial.serial = NULL;
	r.token = &partial;
	g_assert_cmpint(pending_save(f->dir, &r), ==, -EINVAL);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

	/* Reading: an old file with its key loads; both, neither, a token
	 * without its serial or not an object are damaged. */
	g_assert_cmpint(g_mkdir_with_parents(f->dir, 0700), ==, 0);
	old = g_strdup_printf("%s,\"key\":\"%s\"}", head, key_b64);
	both = g_strdup_printf("%s,\"key\":\"%s\",%s}", head, key_b64, token);
	neither = g_strdup_printf("%s}", head);
	no_serial = g_strdup_printf("%s,\"token\":{\"storage\":\"AKKaztokenStore\","
				    "\"module\":\"m.so\",\"label\":\"t\",\"keyId\":\"ab\"}}",
				    head);
	not_object = g_strdup_printf("%s,\"token\":\"AKKaztokenStore\"}", head);
	g_assert_true(g_file_set_contents(path, old, -1, NULL));
	g_assert_cmpint(pending_load(f->dir, id, &back), ==, 0);
	g_assert_null(back->token);
	g_assert_cmpmem(back->key_der, back->key_len, test_key, sizeof(test_key));
	back = pending_request_free(back);
	{
		const char *const damaged[] = { both, neither, no_serial, not_object };

		for (size_t i = 0; i < G_N_ELEMENTS(damaged); i++) {
			g_assert_true(g_file_set_contents(path, damaged[i], -1, NULL));
			g_assert_cmpint(pending_load(f->dir, id, &back), ==, PENDING_E_CORRUPT);
		}
	}
	g_assert_null(back);
}

#define ADD(path, fn) g_test_add(path, struct fixture, NULL, fixture_set_up, fn, fixture_tear_down)

int main(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(test_key); i++)
		test_key[i] = (uint8_t)(i * 7 + 3);
	g_test_init(&argc, &argv, NULL);
	ADD("/pending/round-trip", test_round_trip);
	ADD("/pending/file-format", test_file_format);
	ADD("/pending/never-overwritten", test_never_overwritten);
	ADD("/pending/bad-ids", test_bad_ids);
	g_test_add_func("/pending/new-id", test_new_id);
	ADD("/pending/list", test_list);
	ADD("/pending/count", test_count);
	ADD("/pending/corrupt", test_corrupt);
	ADD("/pending/caps", test_caps);
	ADD("/pending/foreign-owner", test_foreign_owner);
	ADD("/pending/destroy", test_destroy);
	ADD("/pending/incomplete", test_incomplete);
	ADD("/pending/token", test_token);
	ADD("/pending/key-or-token", test_key_or_token);
	return g_test_run();
}
