/* PKCS#12 key files: RSA and EC files as OpenSSL writes them (with the
 * legacy PBE NCA's files use, and with today's defaults), and NCA's own
 * GOST512 test files; wrong passwords, damaged and missing files. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "daemon/crypto/kzgost.h"
#include "daemon/keystore/pkcs12.h"
#include "tests/unit/test-util.h"

#define PERSON_P12 "person-valid-GOST512_d6d1e53515d516a7d95d399b668cf09011bf118d.p12"

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 42);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Test", -1, -1, 0);
	X509_set_subject_name(c, n);
	X509_set_issuer_name(c, n);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, key);
	g_assert_cmpint(X509_sign(c, key, EVP_sha256()), >, 0);
	X509_NAME_free(n);
	return c;
}

/* A p12 in memory; legacy: NCA's algorithms (3DES key bag, RC2-40 certs). */
static GBytes *make_p12(EVP_PKEY *key, X509 *cert, bool legacy)
{
	PKCS12 *p12;
	unsigned char *der = NULL;
	int len;

	p12 = PKCS12_create("Secret1a", "my-key", key, cert, NULL,
			    legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : 0,
			    legacy ? NID_pbe_WithSHA1And40BitRC2_CBC : 0, 0, 0, 0);
	g_assert_nonnull(p12);
	len = i2d_PKCS12(p12, &der);
	g_assert_cmpint(len, >, 0);
	PKCS12_free(p12);
	{
		GBytes *b = g_bytes_new(der, (gsize)len);

		OPENSSL_free(der);
		return b;
	}
}

static void check_signs(struct pkcs12_key *key)
{
	struct signer s;
	uint8_t digest[SIGNER_DIGEST_MAX];
	size_t n;
	uint8_t *sig = NULL;
	size_t siglen;

	g_assert_cmpint(pkcs12_key_signer(key, &s), ==, 0);
	g_assert_true(s.cert == key->cert);
	memset(digest, 0x5a, sizeof(digest));
	n = signer_digest_size(s.alg);
	g_assert_cmpint(s.sign_digest(s.ctx, digest, n, &sig, &siglen), ==, 0);
	if (s.alg == SIGNER_ALG_GOST2015_512) {
		uint8_t pub[KZGOST_PUBLIC_KEY_SIZE];

		g_assert_cmpuint(siglen, ==, KZGOST_SIGNATURE_SIZE);
		g_assert_cmpint(kzgost_cert_public_key(key->cert, pub), ==, 0);
		g_assert_cmpint(kzgost_verify(pub, digest, sig), ==, 0);
	} else {
		EVP_PKEY_CTX *v = EVP_PKEY_CTX_new(X509_get0_pubkey(key->cert), NULL);

		g_assert_cmpint(EVP_PKEY_verify_init(v), ==, 1);
		g_assert_cmpint(EVP_PKEY_CTX_set_signature_md(v, EVP_sha256()), ==, 1);
		g_assert_cmpint(EVP_PKEY_verify(v, sig, siglen, digest, n), ==, 1);
		EVP_PKEY_CTX_free(v);
	}
	OPENSSL_free(sig);
}

static void test_openssl_files(gconstpointer data)
{
	const char *kind = data;
	bool legacy = g_str_has_suffix(kind, "-legacy");
	EVP_PKEY *key = g_str_has_prefix(kind, "rsa") ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	X509 *cert = self_signed(key);
	GBytes *p12 = make_p12(key, cert, legacy);
	gsize len;
	const guint8 *der = g_bytes_get_data(p12, &len);
	struct pkcs12_key *k = NULL;
	guint8 *damaged;

	g_assert_cmpint(pkcs12_key_load_mem(der, len, "Secret1a", &k), ==, 0);
	g_assert_cmpint(k->alg, ==,
			g_str_has_prefix(kind, "rsa") ? SIGNER_ALG_RSA_SHA256 : SIGNER_ALG_ECDSA_SHA256);
	g_assert_cmpstr(k->alias, ==, "my-key");
	g_assert_cmpint(X509_cmp(k->cert, cert), ==, 0);
	check_signs(k);
	pkcs12_key_free(k);

	k = NULL;
	g_assert_cmpint(pkcs12_key_load_mem(der, len, "secret1a", &k), ==, PKCS12_E_BAD_PASSWORD);
	g_assert_null(k);
	g_assert_cmpint(pkcs12_key_load_mem(der, len / 2, "Secret1a", &k), ==, PKCS12_E_CORRUPT);
	damaged = g_memdup2(der, len);
	damaged[len - 40] ^= 0xff; /* inside the MAC: looks like a wrong password */
	g_assert_cmpint(pkcs12_key_load_mem(damaged, len, "Secret1a", &k), !=, 0);
	g_assert_null(k);
	g_free(damaged);

	g_bytes_unref(p12);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void test_nca_gost(void)
{
	g_autofree char *path = g_build_filename(TEST_DATA_DIR, "gost", PERSON_P12, NULL);
	struct pkcs12_key *k = NULL;

	g_assert_cmpint(pkcs12_key_load(path, "Qwerty12", &k), ==, 0);
	g_assert_cmpint(k->alg, ==, SIGNER_ALG_GOST2015_512);
	/* NCA names the file after the alias, which is the key id. */
	g_assert_cmpstr(k->alias, ==, "d6d1e53515d516a7d95d399b668cf09011bf118d");
	check_signs(k);
	pkcs12_key_free(k);

	k = NULL;
	g_assert_cmpint(pkcs12_key_load(path, "Qwerty13", &k), ==, PKCS12_E_BAD_PASSWORD);
	g_assert_null(k);
}

static void test_bad_files(void)
{
	g_autofree char *dir = g_dir_make_tmp("qoltanba-p12-XXXXXX", NULL);
	g_autofree char *missing = g_build_filename(dir, "missing.p12", NULL);
	g_autofree char *garbage = g_build_filename(dir, "garbage.p12", NULL);
	g_autofree char *huge = g_build_filename(dir, "huge.p12", NULL);
	g_autofree char *big = g_malloc0(PKCS12_MAX_FILE + 1);
	struct pkcs12_key *k = NULL;

	g_assert_cmpint(pkcs12_key_load(missing, "x", &k), ==, PKCS12_E_NOT_FOUND);
	g_assert_true(g_file_set_contents(garbage, "this is not a key file", -1, NULL));
	g_assert_cmpint(pkcs12_key_load(garbage, "x", &k), ==, PKCS12_E_CORRUPT);
	g_assert_true(g_file_set_contents(huge, big, PKCS12_MAX_FILE + 1, NULL));
	g_assert_cmpint(pkcs12_key_load(huge, "x", &k), ==, PKCS12_E_TOO_LARGE);
	g_assert_null(k);
	test_rm_rf(dir);
}

int main(int argc, char **argv)
{
	/* To write files with NCA's legacy PBE, as the loader reads them. */
	OSSL_PROVIDER *def = OSSL_PROVIDER_load(NULL, "default");
	OSSL_PROVIDER *legacy = OSSL_PROVIDER_load(NULL, "legacy");
	int r;

	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/pkcs12/rsa-legacy", "rsa-legacy", test_openssl_files);
	g_test_add_data_func("/pkcs12/rsa", "rsa", test_openssl_files);
	g_test_add_data_func("/pkcs12/ec-legacy", "ec-legacy", test_openssl_files);
	g_test_add_data_func("/pkcs12/ec", "ec", test_openssl_files);
	g_test_add_func("/pkcs12/nca-gost", test_nca_gost);
	g_test_add_func("/pkcs12/bad-files", test_bad_files);
	r = g_test_run();
	OSSL_PROVIDER_unload(legacy);
	OSSL_PROVIDER_unload(def);
	return r;
}
