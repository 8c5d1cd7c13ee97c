/* The local CA: what lands on disk, that browsers' rules accept the chain,
 * and that anything unusable is replaced. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon/server/localca.h"
#include "tests/unit/test-util.h"

#define DAY 86400
#define RENEW ((int64_t)LOCALCA_RENEW_BEFORE_DAYS * DAY)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_STORE, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_STORE_CTX, X509_STORE_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NAME_CONSTRAINTS, NAME_CONSTRAINTS_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free)

/* A fresh folder per test; the TLS folder sits two levels below so that
 * localca_ensure() has parents to create. */
struct fixture {
	char *top;
	char *tls;
};

static void fixture_setup(struct fixture *f, gconstpointer data)
{
	(void)data;
	f->top = g_dir_make_tmp("qoltanba-localca-XXXXXX", NULL);
	g_assert_nonnull(f->top);
	f->tls = g_build_filename(f->top, "state", "qoltanba", "tls", NULL);
}

static void fixture_teardown(struct fixture *f, gconstpointer data)
{
	(void)data;
	test_rm_rf(f->top);
	g_free(f->top);
	g_free(f->tls);
}

static char *file_in(const char *dir, const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static GBytes *read_bytes(const char *dir, const char *name)
{
	g_autofree char *path = file_in(dir, name);
	char *data = NULL;
	gsize len = 0;

	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	return g_bytes_new_take(data, len);
}

static void write_text(const char *dir, const char *name, const char *text, mode_t mode)
{
	g_autofree char *path = file_in(dir, name);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

/* The index-th certificate of a PEM file. */
static X509 *load_cert(const char *dir, const char *name, int index)
{
	g_autofree char *path = file_in(dir, name);
	X509 *cert = NULL;
	FILE *fp = fopen(path, "r");

	g_assert_nonnull(fp);
	for (int i = 0; i <= index; i++) {
		X509_free(cert);
		cert = PEM_read_X509(fp, NULL, NULL, NULL);
		g_assert_nonnull(cert);
	}
	fclose(fp);
	return cert;
}

static EVP_PKEY *load_key(const char *dir)
{
	g_autofree char *path = file_in(dir, "server.key");
	FILE *fp = fopen(path, "r");
	EVP_PKEY *key;

	g_assert_nonnull(fp);
	key = PEM_read_PrivateKey(fp, NULL, NULL, (void *)"");
	fclose(fp);
	g_assert_nonnull(key);
	return key;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	g_assert_cmpint(g_stat(path, &st), ==, 0);
	return st.st_mode & 07777;
}

#define assert_mode(path, want)                                                                    \
	do {                                                                                       \
		mode_t m_ = mode_of(path);                                                         \
		if (m_ != (want))                                                                  \
			g_error("%s: mode %04o, want %04o", path, (unsigned)m_, (unsigned)(want)); \
	} while (0)

static char *fingerprint(const char *dir)
{
	char hex[LOCALCA_FINGERPRINT_HEX + 1];

	g_assert_cmpint(localca_ca_fingerprint(dir, hex), ==, 0);
	g_assert_cmpuint(strlen(hex), ==, LOCALCA_FINGERPRINT_HEX);
	return g_strdup(hex);
}

static void ensure(const char *dir, int64_t renew_before_s, bool expect_renewed)
{
	bool renewed = !expect_renewed;

	g_assert_cmpint(localca_ensure(dir, renew_before_s, &renewed), ==, 0);
	g_assert_cmpint(renewed, ==, expect_renewed);
}

static void assert_ec_p256(EVP_PKEY *key)
{
	char group[64];

	g_assert_cmpint(EVP_PKEY_get_base_id(key), ==, EVP_PKEY_EC);
	g_assert_true(EVP_PKEY_get_group_name(key, group, sizeof(group), NULL));
	g_assert_cmpstr(group, ==, "prime256v1");
}

static void assert_serial(const X509 *cert)
{
	const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);

	g_assert_cmpint(ASN1_STRING_type(serial), ==, V_ASN1_INTEGER); /* not negative */
	g_assert_cmpint(ASN1_STRING_length(serial), ==, 16);
}

static void assert_validity(const X509 *cert)
{
	int days, secs;

	/* notBefore an hour ago, notAfter LOCALCA_VALID_DAYS ahead. */
	g_assert_true(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notBefore(cert)));
	g_assert_cmpint(days, ==, 0);
	g_assert_cmpint(secs, <=, -3600 + 5);
	g_assert_cmpint(secs, >=, -3600 - 120);
	g_assert_true(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)));
	g_assert_cmpint((int64_t)days * DAY + secs, >, (int64_t)LOCALCA_VALID_DAYS * DAY - 120);
	g_assert_cmpint((int64_t)days * DAY + secs, <=, (int64_t)LOCALCA_VALID_DAYS * DAY);
}

static bool ext_critical(const X509 *cert, int nid)
{
	int i = X509_get_ext_by_NID(cert, nid, -1);

	g_assert_cmpint(i, >=, 0);
	return X509_EXTENSION_get_critical(X509_get_ext(cert, i));
}

/* What the browser does: trust ca.pem, verify server.pem's leaf as a TLS
 * server certificate (with OpenSSL's strict X.509 checks), and match the
 * names it is reached by. */
static void assert_chain(const char *dir)
{
	g_autoptr(X509) ca = load_cert(dir, "ca.pem", 0);
	g_autoptr(X509) leaf = load_cert(dir, "server.pem", 0);
	g_autoptr(X509) chain_ca = load_cert(dir, "server.pem", 1);
	g_autoptr(EVP_PKEY) key = load_key(dir);
	g_autoptr(X509_STORE) store = X509_STORE_new();
	g_autoptr(X509_STORE_CTX) ctx = X509_STORE_CTX_new();

	g_assert_cmpint(X509_cmp(ca, chain_ca), ==, 0);
	g_assert_cmpint(X509_check_private_key(leaf, key), ==, 1);

	g_assert_true(X509_STORE_add_cert(store, ca));
	g_assert_true(X509_STORE_CTX_init(ctx, store, leaf, NULL));
	g_assert_true(X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER));
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT | X509_V_FLAG_CHECK_SS_SIGNATURE);
	if (X509_verify_cert(ctx) != 1)
		g_error("chain does not verify: %s",
			X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	g_assert_cmpint(X509_STORE_CTX_get_num_untrusted(ctx), ==, 1);

	g_assert_cmpint(X509_check_host(leaf, "localhost", 0, 0, NULL), ==, 1);
	g_assert_cmpint(X509_check_ip_asc(leaf, "127.0.0.1", 0), ==, 1);
	g_assert_cmpint(X509_check_ip_asc(leaf, "::1", 0), ==, 1);
	g_assert_cmpint(X509_check_host(leaf, "example.com", 0, 0, NULL), !=, 1);
	g_assert_cmpint(X509_check_ip_asc(leaf, "192.168.1.1", 0), !=, 1);
}

/* The CA and leaf carry what the design promises. */
static void assert_profile(const char *dir)
{
	g_autoptr(X509) ca = load_cert(dir, "ca.pem", 0);
	g_autoptr(X509) leaf = load_cert(dir, "server.pem", 0);
	g_autoptr(NAME_CONSTRAINTS) nc = NULL;
	g_autoptr(BASIC_CONSTRAINTS) bc = NULL;
	char cn[128], o[64];

	g_assert_cmpint(X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn,
						  sizeof(cn)),
			>, 0);
	g_assert_true(g_str_has_prefix(cn, "Qoltanba local CA ("));
	g_assert_cmpuint(strlen(cn), <=, 64);
	g_assert_cmpint(X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_organizationName,
						  o, sizeof(o)),
			>, 0);
	g_assert_cmpstr(o, ==, "Qoltanba");
	g_assert_cmpint(X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
						  sizeof(cn)),
			>, 0);
	g_assert_cmpstr(cn, ==, "localhost");

	/* Name constraints: critical, exactly localhost and the two loopback
	 * addresses permitted. */
	g_assert_true(ext_critical(ca, NID_name_constraints));
	nc = X509_get_ext_d2i(ca, NID_name_constraints, NULL, NULL);
	g_assert_nonnull(nc);
	g_assert_cmpint(sk_GENERAL_SUBTREE_num(nc->permittedSubtrees), ==, 3);
	g_assert_cmpint(sk_GENERAL_SUBTREE_num(nc->excludedSubtrees), <=, 0);
	for (int i = 0; i < 3; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;
		static const int want_len[] = { 9, 8, 32 }; /* "localhost", 4+4, 16+16 bytes */

		g_assert_cmpint(gn->type, ==, i == 0 ? GEN_DNS : GEN_IPADD);
		g_assert_cmpint(ASN1_STRING_length(gn->d.ia5), ==, want_len[i]);
	}

	/* A CA for one level, nothing else. */
	g_assert_true(ext_critical(ca, NID_basic_constraints));
	bc = X509_get_ext_d2i(ca, NID_basic_constraints, NULL, NULL);
	g_assert_true(bc->ca);
	g_assert_cmpint(X509_get_pathlen(ca), ==, 0);
	g_assert_true(ext_critical(ca, NID_key_usage));
	g_assert_cmphex(X509_get_key_usage(ca), ==, KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	g_assert_nonnull(X509_get0_subject_key_id(ca));

	g_assert_cmpint(X509_check_ca(leaf), ==, 0);
	g_assert_true(ext_critical(leaf, NID_key_usage));
	g_assert_cmphex(X509_get_key_usage(leaf), ==, KU_DIGITAL_SIGNATURE);
	g_assert_cmphex(X509_get_extended_key_usage(leaf), ==, XKU_SSL_SERVER);
	g_assert_nonnull(X509_get0_subject_key_id(leaf));
	g_assert_cmpint(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
					      X509_get0_subject_key_id(ca)),
			==, 0);
	g_assert_cmpint(X509_get_signature_nid(ca), ==, NID_ecdsa_with_SHA256);
	g_assert_cmpint(X509_get_signature_nid(leaf), ==, NID_ecdsa_with_SHA256);

	assert_ec_p256(X509_get0_pubkey(ca));
	assert_ec_p256(X509_get0_pubkey(leaf));
	assert_serial(ca);
	assert_serial(leaf);
	g_assert_cmpint(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca), X509_get0_serialNumber(leaf)),
			!=, 0);
	assert_validity(ca);
	assert_validity(leaf);
}

/* Every regular file under top that holds a private key. */
static void find_private_keys(const char *dir, GPtrArray *found)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = file_in(dir, name);
		g_autofree char *text = NULL;

		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			find_private_keys(path, found);
			continue;
		}
		g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
		if (strstr(text, "PRIVATE KEY"))
			g_ptr_array_add(found, g_steal_pointer(&path));
	}
}

static void test_first_ensure(struct fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *key = file_in(f->tls, "server.key");
	g_autofree char *ca = file_in(f->tls, "ca.pem");
	g_autofree char *chain = file_in(f->tls, "server.pem");
	g_autofree char *parent = g_path_get_dirname(f->tls);
	g_autoptr(GDir) d = NULL;
	const char *name;
	guint n = 0;

	ensure(f->tls, RENEW, true);

	assert_mode(f->tls, 0700);
	assert_mode(parent, 0700);
	assert_mode(key, 0600);
	assert_mode(ca, 0644);
	assert_mode(chain, 0644);

	/* Three files, no leftovers; the CA's key went nowhere. */
	d = g_dir_open(f->tls, 0, NULL);
	while ((name = g_dir_read_name(d))) {
		g_assert_true(g_str_equal(name, "ca.pem") || g_str_equal(name, "server.pem") ||
			      g_str_equal(name, "server.key"));
		n++;
	}
	g_assert_cmpuint(n, ==, 3);
	find_private_keys(f->top, keys);
	g_assert_cmpuint(keys->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(keys, 0), ==, key);

	assert_chain(f->tls);
	assert_profile(f->tls);
}

static void test_umask(struct fixture *f, gconstpointer data)
{
	g_autofree char *ca = file_in(f->tls, "ca.pem");
	g_autofree char *key = file_in(f->tls, "server.key");
	mode_t old = umask(0277);

	ensure(f->tls, RENEW, true);
	umask(old);
	assert_mode(f->tls, 0700);
	assert_mode(ca, 0644);
	assert_mode(key, 0600);
}

static void test_second_ensure_keeps(struct fixture *f, gconstpointer data)
{
	static const char *const names[] = { "ca.pem", "server.pem", "server.key" };
	GBytes *before[3];
	struct stat st_before[3];

	ensure(f->tls, RENEW, true);
	for (int i = 0; i < 3; i++) {
		g_autofree char *path = file_in(f->tls, names[i]);

		before[i] = read_bytes(f->tls, names[i]);
		g_assert_cmpint(g_stat(path, &st_before[i]), ==, 0);
	}
	ensure(f->tls, RENEW, false);
	for (int i = 0; i < 3; i++) {
		g_autofree char *path = file_in(f->tls, names[i]);
		g_autoptr(GBytes) after = read_bytes(f->tls, names[i]);
		struct stat st;

		g_assert_true(g_bytes_equal(before[i], after));
		g_assert_cmpint(g_stat(path, &st), ==, 0);
		g_assert_cmpuint(st.st_ino, ==, st_before[i].st_ino);
		g_bytes_unref(before[i]);
	}
}

static void test_renew_window(struct fixture *f, gconstpointer data)
{
	g_autofree char *fp1 = NULL;
	g_autofree char *fp2 = NULL;

	ensure(f->tls, RENEW, true);
	fp1 = fingerprint(f->tls);
	/* The leaf expires within the window: a new CA, a new leaf. */
	ensure(f->tls, (int64_t)(LOCALCA_VALID_DAYS + 1) * DAY, true);
	fp2 = fingerprint(f->tls);
	g_assert_cmpstr(fp1, !=, fp2);
	assert_chain(f->tls);
	ensure(f->tls, RENEW, false);
}

static void test_time_left(struct fixture *f, gconstpointer data)
{
	int64_t left = 0;
	char hex[LOCALCA_FINGERPRINT_HEX + 1];

	g_assert_cmpint(localca_time_left(f->tls, &left), ==, LOCALCA_E_NO_CERT);
	g_assert_cmpint(localca_ca_fingerprint(f->tls, hex), ==, LOCALCA_E_NO_CERT);
	ensure(f->tls, RENEW, true);
	g_assert_cmpint(localca_time_left(f->tls, &left), ==, 0);
	g_assert_cmpint(left, >, (int64_t)LOCALCA_VALID_DAYS * DAY - 120);
	g_assert_cmpint(left, <=, (int64_t)LOCALCA_VALID_DAYS * DAY);
	write_text(f->tls, "server.pem", "garbage\n", 0644);
	g_assert_cmpint(localca_time_left(f->tls, &left), ==, LOCALCA_E_NO_CERT);
}

/* --- broken folders: each is replaced by a fresh, valid set ----------- */

static void break_chain_file(const char *dir)
{
	write_text(dir, "server.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n", 0644);
}

static void break_chain_leaf_only(const char *dir)
{
	g_autoptr(X509) leaf = load_cert(dir, "server.pem", 0);
	g_autofree char *path = file_in(dir, "server.pem");
	FILE *fp = fopen(path, "w");

	g_assert_true(PEM_write_X509(fp, leaf));
	fclose(fp);
}

static void break_foreign_key(const char *dir)
{
	g_autoptr(EVP_PKEY) key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	g_autofree char *path = file_in(dir, "server.key");
	FILE *fp = fopen(path, "w");

	g_assert_true(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL));
	fclose(fp);
}

/* Another install's CA, in ca.pem only or also in server.pem's chain. */
static void put_foreign_ca(const char *dir, bool in_chain)
{
	g_autofree char *other = g_strconcat(dir, "-other", NULL);
	g_autofree char *path = file_in(dir, "server.pem");
	g_autoptr(X509) leaf = load_cert(dir, "server.pem", 0);
	g_autoptr(GBytes) ca = NULL;

	ensure(other, RENEW, true);
	ca = read_bytes(other, "ca.pem");
	write_text(dir, "ca.pem", g_bytes_get_data(ca, NULL), 0644);
	if (in_chain) {
		FILE *fp = fopen(path, "w");

		g_assert_true(PEM_write_X509(fp, leaf));
		g_assert_cmpint(fputs(g_bytes_get_data(ca, NULL), fp), >=, 0);
		fclose(fp);
	}
}

static void break_chain_ca(const char *dir)
{
	put_foreign_ca(dir, false);
}

/* The files agree with each other, but the leaf was not signed by it. */
static void break_foreign_ca(const char *dir)
{
	put_foreign_ca(dir, true);
}

static void break_missing_key(const char *dir)
{
	g_autofree char *path = file_in(dir, "server.key");

	g_assert_cmpint(g_unlink(path), ==, 0);
}

static void break_key_mode(const char *dir)
{
	g_autofree char *path = file_in(dir, "server.key");

	/* Others could have read it: it is no longer a secret. */
	g_assert_cmpint(g_chmod(path, 0644), ==, 0);
}

static const struct breaker {
	const char *name;
	void (*apply)(const char *dir);
} breakers[] = {
	{ "chain-garbage", break_chain_file },
	{ "chain-without-ca", break_chain_leaf_only },
	{ "key-mismatch", break_foreign_key },
	{ "chain-ca-not-ca-pem", break_chain_ca },
	{ "ca-does-not-verify-leaf", break_foreign_ca },
	{ "key-missing", break_missing_key },
	{ "key-mode", break_key_mode },
};

static void test_broken(struct fixture *f, gconstpointer data)
{
	const struct breaker *b = data;
	g_autofree char *fp1 = NULL;
	g_autofree char *fp2 = NULL;
	g_autofree char *key = file_in(f->tls, "server.key");

	ensure(f->tls, RENEW, true);
	fp1 = fingerprint(f->tls);
	b->apply(f->tls);
	ensure(f->tls, RENEW, true);
	fp2 = fingerprint(f->tls);
	g_assert_cmpstr(fp1, !=, fp2);
	assert_mode(key, 0600);
	assert_chain(f->tls);
	ensure(f->tls, RENEW, false);
}

static void test_stale_tmp(struct fixture *f, gconstpointer data)
{
	g_autofree char *stale = NULL;

	ensure(f->tls, RENEW, true);
	write_text(f->tls, ".server.key.tmp-0123456789abcdef", "-----BEGIN PRIVATE KEY-----\n",
		   0600);
	write_text(f->tls, ".unrelated", "x", 0600);
	stale = file_in(f->tls, ".server.key.tmp-0123456789abcdef");
	ensure(f->tls, RENEW, false);
	g_assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
	g_free(stale);
	stale = file_in(f->tls, ".unrelated");
	g_assert_true(g_file_test(stale, G_FILE_TEST_EXISTS));
}

static void test_not_a_folder(struct fixture *f, gconstpointer data)
{
	g_autofree char *file = file_in(f->top, "file");
	g_autofree char *below = file_in(file, "tls");
	bool renewed = false;

	write_text(f->top, "file", "x", 0644);
	g_assert_cmpint(localca_ensure(file, RENEW, &renewed), ==, -ENOTDIR);
	g_assert_cmpint(localca_ensure(below, RENEW, &renewed), ==, -ENOTDIR);
	g_assert_false(renewed);
}

/* Several callers at once (the daemon and "qoltanbad --install-ca"): the
 * folder lock lets exactly one of them make the files. */
static gpointer ensure_thread(gpointer data)
{
	bool renewed = false;

	g_assert_cmpint(localca_ensure(data, RENEW, &renewed), ==, 0);
	return GINT_TO_POINTER(renewed);
}

static void test_concurrent(struct fixture *f, gconstpointer data)
{
	GThread *threads[6];
	int renewed = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("ensure", ensure_thread, f->tls);
	for (size_t i = 0; i < G_N_ELEMENTS(threads); i++)
		renewed += GPOINTER_TO_INT(g_thread_join(threads[i]));
	g_assert_cmpint(renewed, ==, 1);
	assert_chain(f->tls);
}

static void test_files(void)
{
	struct localca_files f;

	g_assert_cmpint(localca_files_init(&f, "/x/tls"), ==, 0);
	g_assert_cmpstr(f.dir, ==, "/x/tls");
	g_assert_cmpstr(f.ca_cert, ==, "/x/tls/ca.pem");
	g_assert_cmpstr(f.server_cert, ==, "/x/tls/server.pem");
	g_assert_cmpstr(f.server_key, ==, "/x/tls/server.key");
	localca_files_clear(&f);
	g_assert_null(f.dir);
	localca_files_clear(&f);
}

#define ADD(path, fn, data)                                                                        \
	g_test_add(path, struct fixture, data, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/localca/files", test_files);
	ADD("/localca/first-ensure", test_first_ensure, NULL);
	ADD("/localca/umask", test_umask, NULL);
	ADD("/localca/second-ensure-keeps", test_second_ensure_keeps, NULL);
	ADD("/localca/renew-window", test_renew_window, NULL);
	ADD("/localca/time-left", test_time_left, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(breakers); i++) {
		g_autofree char *path = g_strdup_printf("/localca/broken/%s", breakers[i].name);

		ADD(path, test_broken, &breakers[i]);
	}
	ADD("/localca/stale-tmp", test_stale_tmp, NULL);
	ADD("/localca/not-a-folder", test_not_a_folder, NULL);
	ADD("/localca/concurrent", test_concurrent, NULL);
	return g_test_run();
}
