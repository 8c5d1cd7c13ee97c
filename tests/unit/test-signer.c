/* signer: digests, the algorithm table, and signing with keys OpenSSL
 * holds (checked with OpenSSL's own verification). */
#include <glib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "daemon/crypto/signer.h"

static void test_sha256(void)
{
	uint8_t d[SIGNER_DIGEST_MAX];
	size_t n = 0;
	g_autofree char *hex = NULL;
	struct signer_hash *h = NULL;

	g_assert_cmpint(signer_digest(SIGNER_ALG_RSA_SHA256, "abc", 3, d, &n), ==, 0);
	g_assert_cmpuint(n, ==, 32);
	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)"abc", 3);
	for (size_t i = 0; i < n; i++) {
		char b[3];

		g_snprintf(b, sizeof(b), "%02x", d[i]);
		g_assert_cmpmem(b, 2, hex + 2 * i, 2);
	}
	/* Incremental equals one-shot. */
	g_assert_cmpint(signer_hash_new(SIGNER_ALG_ECDSA_SHA256, &h), ==, 0);
	g_assert_cmpint(signer_hash_update(h, "a", 1), ==, 0);
	g_assert_cmpint(signer_hash_update(h, "bc", 2), ==, 0);
	{
		uint8_t d2[SIGNER_DIGEST_MAX];
		size_t n2;

		g_assert_cmpint(signer_hash_final(h, d2, &n2), ==, 0);
		g_assert_cmpmem(d, n, d2, n2);
	}
	signer_hash_free(h);
}

/* Streebog-512 for GOST, through the same interface (vector from
 * tests/data/gost/vectors.txt, in NCA's byte order). */
static void test_streebog(void)
{
	static const char msg[] = "ncalayer-rs test message";
	static const char want[] = "7d2b8e1c32c116aba0e4c14a021d459206b6174d201cddfed0b256da91729cf1"
				   "69199a9ff12d6026c29e6acabe19c4d191954823f54fb7b2661b3b4b5cfe2179";
	uint8_t d[SIGNER_DIGEST_MAX];
	size_t n = 0;
	char hex[2 * SIGNER_DIGEST_MAX + 1];

	g_assert_cmpint(signer_digest(SIGNER_ALG_GOST2015_512, msg, strlen(msg), d, &n), ==, 0);
	g_assert_cmpuint(n, ==, 64);
	for (size_t i = 0; i < n; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", d[i]);
	g_assert_cmpstr(hex, ==, want);
}

static void test_table(void)
{
	g_assert_cmpuint(signer_digest_size(SIGNER_ALG_GOST2015_512), ==, 64);
	g_assert_cmpstr(signer_signature_oid(SIGNER_ALG_GOST2015_512), ==, "1.2.398.3.10.1.1.2.3.2");
	g_assert_cmpstr(signer_digest_uri(SIGNER_ALG_GOST2015_512), ==,
			"urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512");
	g_assert_cmpstr(signer_signature_uri(SIGNER_ALG_RSA_SHA256), ==,
			"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
	g_assert_cmpstr(signer_signature_oid(SIGNER_ALG_ECDSA_SHA256), ==, "1.2.840.10045.4.3.2");
}

static void sign_and_verify(EVP_PKEY *key, enum signer_algorithm expected)
{
	struct signer s;
	uint8_t digest[SIGNER_DIGEST_MAX];
	size_t n;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	EVP_PKEY_CTX *v;

	g_assert_cmpint(signer_init_pkey(&s, key, NULL), ==, 0);
	g_assert_cmpint(s.alg, ==, expected);
	g_assert_cmpint(signer_digest(s.alg, "document", 8, digest, &n), ==, 0);
	g_assert_cmpint(s.sign_digest(s.ctx, digest, n, &sig, &siglen), ==, 0);

	v = EVP_PKEY_CTX_new(key, NULL);
	g_assert_cmpint(EVP_PKEY_verify_init(v), ==, 1);
	g_assert_cmpint(EVP_PKEY_CTX_set_signature_md(v, EVP_sha256()), ==, 1);
	g_assert_cmpint(EVP_PKEY_verify(v, sig, siglen, digest, n), ==, 1);
	digest[0] ^= 1;
	g_assert_cmpint(EVP_PKEY_verify(v, sig, siglen, digest, n), !=, 1);
	EVP_PKEY_CTX_free(v);

	if (expected == SIGNER_ALG_ECDSA_SHA256) {
		uint8_t *raw = NULL;
		size_t rawlen = 0;

		g_assert_cmpint(signer_ecdsa_der_to_raw(sig, siglen, 32, &raw, &rawlen), ==, 0);
		g_assert_cmpuint(rawlen, ==, 64);
		g_assert_cmpint(signer_ecdsa_der_to_raw(raw, rawlen, 32, &raw, &rawlen), ==, -EINVAL);
		OPENSSL_free(raw);
	}
	OPENSSL_free(sig);
}

static void test_rsa(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);

	g_assert_nonnull(key);
	sign_and_verify(key, SIGNER_ALG_RSA_SHA256);
	EVP_PKEY_free(key);
}

static void test_ecdsa(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");

	g_assert_nonnull(key);
	sign_and_verify(key, SIGNER_ALG_ECDSA_SHA256);
	EVP_PKEY_free(key);
}

static void test_unsupported(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct signer s;

	g_assert_nonnull(key);
	g_assert_cmpint(signer_init_pkey(&s, key, NULL), ==, SIGNER_E_UNSUPPORTED);
	EVP_PKEY_free(key);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/signer/sha256", test_sha256);
	g_test_add_func("/signer/table", test_table);
	g_test_add_func("/signer/streebog", test_streebog);
	g_test_add_func("/signer/rsa", test_rsa);
	g_test_add_func("/signer/ecdsa", test_ecdsa);
	g_test_add_func("/signer/unsupported", test_unsupported);
	return g_test_run();
}
