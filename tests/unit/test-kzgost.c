/* kzgost and streebog: NCA RK's GOST 34.10-2015-512 against NCA's own test
 * PKI (the ground truth), a third-party vector set and the Streebog
 * standard's example. Data: tests/data/gost/ (see its README). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "util/cleanup.h"
#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/streebog.h"

#define GOST_DIR TEST_DATA_DIR "/gost"
#define PASSWORD "Qwerty12"

static const char *const p12_files[] = {
	"information-system-revoked-GOST512_a9b9aa98acacb27cc78f8744c8334c3cfd8aeca5.p12",
	"information-system-valid-GOST512_aa30cf5ab17b98d1b18bc3540943e444e183f2e6.p12",
	"org-employee-revoked-GOST512_e206ab46b453bc03ca2ae61ede57216e89eb57e8.p12",
	"org-employee-valid-GOST512_54dd66e1fa6770f8401a24130ba4b8792d7c3579.p12",
	"org-head-revoked-GOST512_247d879996b173e1d1b3ee66c04265871ecbcf9d.p12",
	"org-head-valid-GOST512_0f923a405e7a60ef08debcf4715d7f818637b82b.p12",
	"org-signer-revoked-GOST512_cfcb79c304dcca9cb06c2d4aea46dd5eccd8d803.p12",
	"org-signer-valid-GOST512_a69b258320a0d289ec98aef354f990fd168b472f.p12",
	"person-revoked-GOST512_36ab73273b4922617b0c4c781f3e02db2e017cc6.p12",
	"person-valid-GOST512_d6d1e53515d516a7d95d399b668cf09011bf118d.p12",
	"treasury-client-revoked-GOST512_57b7f24a493e74584be33f92a0919513f4162437.p12",
	"treasury-client-valid-GOST512_8b986305689a46bd3783c26cc31f33254e9f031e.p12",
};

/* ---- helpers ---- */

static GBytes *hex_decode(const char *hex)
{
	size_t n = strlen(hex);
	guint8 *buf;

	g_assert_cmpuint(n % 2, ==, 0);
	buf = g_malloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);

		g_assert_true(hi >= 0 && lo >= 0);
		buf[i] = (guint8)(hi << 4 | lo);
	}
	return g_bytes_new_take(buf, n / 2);
}

static void reverse_into(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

/* vectors.txt: key=value lines. */
static GHashTable *vectors_load(void)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	g_assert_true(g_file_get_contents(GOST_DIR "/vectors.txt", &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		char *eq = strchr(*l, '=');

		if (eq)
			g_hash_table_insert(t, g_strndup(*l, eq - *l), g_strdup(eq + 1));
	}
	return t;
}

static GBytes *vector_bytes(GHashTable *t, const char *key)
{
	const char *hex = g_hash_table_lookup(t, key);

	g_assert_nonnull(hex);
	return hex_decode(hex);
}

static X509 *cert_load(const char *name)
{
	g_autofree char *path = g_build_filename(GOST_DIR, name, NULL);
	g_autofree char *der = NULL;
	const unsigned char *p;
	gsize len;
	X509 *x;

	g_assert_true(g_file_get_contents(path, &der, &len, NULL));
	p = (const unsigned char *)der;
	x = d2i_X509(NULL, &p, (long)len);
	g_assert_nonnull(x);
	return x;
}

static X509 *root_load(void)
{
	return cert_load("root_test_gost_2022.cer");
}

static X509 *nca_load(void)
{
	return cert_load("nca_gost2022_test.cer");
}

static char *p12_path(const char *name)
{
	return g_build_filename(GOST_DIR, name, NULL);
}

/* ---- Streebog ---- */

static void assert_digest_hex(const uint8_t d[64], const char *hex)
{
	g_autofree char *got = g_malloc(129);

	for (int i = 0; i < 64; i++)
		g_snprintf(got + 2 * i, 3, "%02x", d[i]);
	g_assert_cmpstr(got, ==, hex);
}

static void test_streebog_vector(void)
{
	g_autoptr(GHashTable) v = vectors_load();
	const char *msg = g_hash_table_lookup(v, "msg");
	uint8_t d[64];

	g_assert_cmpint(streebog512(msg, strlen(msg), d), ==, 0);
	assert_digest_hex(d, g_hash_table_lookup(v, "digest"));
}

/* GOST R 34.11-2012 / RFC 6986 §10.1, example 1, 512-bit hash. The RFC
 * prints M1 and H(M1) as big numbers; as bytes, M1 is the ASCII digits
 * "0123…012" (63 bytes) and the digest the byte-reverse of the printed
 * 486f64c1…1b. */
static void test_streebog_m1(void)
{
	static const char m1[] = "012345678901234567890123456789012345678901234567890123456789012";
	static const char printed[] =
		"486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00"
		"fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b";
	g_autoptr(GBytes) h = hex_decode(printed);
	uint8_t want[64], d[64];

	g_assert_cmpuint(strlen(m1), ==, 63);
	reverse_into(want, g_bytes_get_data(h, NULL), 64);
	g_assert_cmpint(streebog512(m1, 63, d), ==, 0);
	g_assert_cmpmem(d, 64, want, 64);
	/* Empty input works too, with NULL data. */
	g_assert_cmpint(streebog512(NULL, 0, d), ==, 0);
}

static void test_streebog_incremental(void)
{
	uint8_t buf[1000], one[64], inc[64];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	g_assert_cmpint(streebog512(buf, sizeof(buf), one), ==, 0);
	/* Every split point around the 64-byte block size, and many chunks. */
	for (size_t cut = 0; cut <= 200; cut++) {
		_cleanup_(streebog512_freep) struct streebog512_ctx *ctx = NULL;

		g_assert_cmpint(streebog512_init(&ctx), ==, 0);
		g_assert_cmpint(streebog512_update(ctx, buf, cut), ==, 0);
		g_assert_cmpint(streebog512_update(ctx, buf + cut, sizeof(buf) - cut), ==, 0);
		g_assert_cmpint(streebog512_final(ctx, inc), ==, 0);
		g_assert_cmpmem(inc, 64, one, 64);
	}
	{
		_cleanup_(streebog512_freep) struct streebog512_ctx *ctx = NULL;

		g_assert_cmpint(streebog512_init(&ctx), ==, 0);
		for (size_t i = 0; i < sizeof(buf); i += 13)
			g_assert_cmpint(streebog512_update(ctx, buf + i, MIN(13, sizeof(buf) - i)), ==, 0);
		g_assert_cmpint(streebog512_final(ctx, inc), ==, 0);
		g_assert_cmpmem(inc, 64, one, 64);
	}
	g_assert_cmpstr(streebog512_backend(), ==, "provider");
}

/* Without the provider (OPENSSL_MODULES pointing nowhere) the engine takes
 * over; without both, KZGOST_E_NO_STREEBOG. Run in children: the choice is
 * made once per process. */
static void test_streebog_engine_fallback(void)
{
	if (g_test_subprocess()) {
		uint8_t d[64];

		g_setenv("OPENSSL_MODULES", "/nonexistent", TRUE);
		g_assert_cmpint(streebog512("abc", 3, d), ==, 0);
		g_assert_cmpstr(streebog512_backend(), ==, "engine");
		/* Same digest as the provider's: RFC 6986 example 1. */
		g_assert_cmpint(streebog512("012345678901234567890123456789012345678901234567890123456789012",
					    63, d),
				==, 0);
		g_assert_cmpuint(d[0], ==, 0x1b);
		g_assert_cmpuint(d[63], ==, 0x48);
		return;
	}
	g_test_trap_subprocess(NULL, 0, 0);
	g_test_trap_assert_passed();
}

static void test_streebog_missing(void)
{
	if (g_test_subprocess()) {
		uint8_t d[64];
		struct streebog512_ctx *ctx = NULL;

		g_setenv("OPENSSL_MODULES", "/nonexistent", TRUE);
		g_setenv("OPENSSL_ENGINES", "/nonexistent", TRUE);
		g_assert_cmpint(streebog512("abc", 3, d), ==, KZGOST_E_NO_STREEBOG);
		g_assert_cmpint(streebog512_init(&ctx), ==, KZGOST_E_NO_STREEBOG);
		g_assert_null(ctx);
		g_assert_null(streebog512_backend());
		return;
	}
	g_test_trap_subprocess(NULL, 0, 0);
	g_test_trap_assert_passed();
}

/* ---- curve ---- */

/* d = 1 gives G = (3, y_G) and d = q-1 gives -G = (3, p - y_G): checks the
 * constants and the little-endian output in one go. */
static void test_curve_generator(void)
{
	static const char gy[] =
		"7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921"
		"DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4";
	static const char q_hex[] =
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
		"27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275";
	g_autoptr(GBytes) gyb = hex_decode(gy), qb = hex_decode(q_hex);
	uint8_t d[64] = { 1 }, pub[128], want[128] = { 3 };
	BIGNUM *q = NULL, *y = NULL, *p = NULL;

	reverse_into(want + 64, g_bytes_get_data(gyb, NULL), 64);
	g_assert_cmpint(kzgost_public_from_private(d, pub), ==, 0);
	g_assert_cmpmem(pub, 128, want, 128);

	/* q is prime and q-1 gives -G. */
	g_assert_cmpint(BN_hex2bn(&q, q_hex), >, 0);
	g_assert_cmpint(BN_check_prime(q, NULL, NULL), ==, 1);
	reverse_into(d, g_bytes_get_data(qb, NULL), 64);
	d[0] -= 1; /* q ends in 0x75: no borrow */
	g_assert_cmpint(kzgost_public_from_private(d, pub), ==, 0);
	g_assert_cmpmem(pub, 64, want, 64);
	g_assert_cmpint(BN_hex2bn(&p, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
				      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7"),
			>, 0);
	g_assert_cmpint(BN_hex2bn(&y, gy), >, 0);
	g_assert_true(BN_sub(y, p, y));
	g_assert_cmpint(BN_bn2lebinpad(y, want + 64, 64), ==, 64);
	g_assert_cmpmem(pub + 64, 64, want + 64, 64);

	/* d = 0 and d = q are not keys. */
	memset(d, 0, 64);
	g_assert_cmpint(kzgost_public_from_private(d, pub), ==, KZGOST_E_BAD_KEY);
	reverse_into(d, g_bytes_get_data(qb, NULL), 64);
	g_assert_cmpint(kzgost_public_from_private(d, pub), ==, KZGOST_E_BAD_KEY);
	g_assert_cmpint(kzgost_sign(d, want, pub), ==, KZGOST_E_BAD_KEY);
	BN_free(q);
	BN_free(p);
	BN_free(y);
}

/* ---- the NCA chain: ground truth ---- */

static void test_chain_root_self(void)
{
	X509 *root = root_load();

	g_assert_true(kzgost_is_gost_cert(root));
	g_assert_cmpint(kzgost_cert_verify_issued(root, root), ==, 0);
	X509_free(root);
}

static void test_chain_nca_by_root(void)
{
	X509 *root = root_load(), *nca = nca_load();

	g_assert_cmpint(kzgost_cert_verify_issued(root, nca), ==, 0);
	/* Wrong way round. */
	g_assert_cmpint(kzgost_cert_verify_issued(nca, root), ==, KZGOST_E_BAD_SIGNATURE);
	g_assert_cmpint(kzgost_cert_verify_issued(nca, nca), ==, KZGOST_E_BAD_SIGNATURE);
	X509_free(root);
	X509_free(nca);
}

static void test_chain_end_entities(void)
{
	X509 *root = root_load(), *nca = nca_load();

	for (size_t i = 0; i < G_N_ELEMENTS(p12_files); i++) {
		g_autofree char *path = p12_path(p12_files[i]);
		uint8_t priv[64];
		X509 *cert = NULL;
		STACK_OF(X509) *extra = NULL;

		g_assert_cmpint(kzgost_p12_load(path, NULL, 0, PASSWORD, priv, &cert, &extra), ==, 0);
		g_assert_cmpint(kzgost_cert_verify_issued(nca, cert), ==, 0);
		/* The wrong issuer: the root did not sign end-entity certs. */
		g_assert_cmpint(kzgost_cert_verify_issued(root, cert), ==, KZGOST_E_BAD_SIGNATURE);
		OPENSSL_cleanse(priv, sizeof(priv));
		X509_free(cert);
		sk_X509_pop_free(extra, X509_free);
	}
	X509_free(root);
	X509_free(nca);
}

/* Flip each of a few bits of the NCA certificate's signature, and one bit
 * of its TBS: none may verify. */
static void test_chain_flipped_bit(void)
{
	X509 *root = root_load(), *nca = nca_load();
	unsigned char *der = NULL;
	int n = i2d_X509(nca, &der);
	const size_t sig_bits[] = { 0, 7, 500, 1023 };

	g_assert_cmpint(n, >, 200);
	for (size_t i = 0; i < G_N_ELEMENTS(sig_bits); i++) {
		/* The signature is the last 128 bytes of the DER. */
		unsigned char *copy = g_memdup2(der, n);
		const unsigned char *p = copy;
		X509 *x;

		copy[n - 128 + sig_bits[i] / 8] ^= (unsigned char)(1u << (sig_bits[i] % 8));
		x = d2i_X509(NULL, &p, n);
		g_assert_nonnull(x);
		g_assert_cmpint(kzgost_cert_verify_issued(root, x), ==, KZGOST_E_BAD_SIGNATURE);
		X509_free(x);
		g_free(copy);
	}
	{
		/* A bit in the validity dates, well inside the TBS. */
		unsigned char *copy = g_memdup2(der, n);
		const unsigned char *p = copy;
		X509 *x;
		unsigned char *hit = memmem(copy, n, "\x17\x0d", 2); /* UTCTime */

		g_assert_nonnull(hit);
		hit[5] ^= 0x01;
		x = d2i_X509(NULL, &p, n);
		g_assert_nonnull(x);
		g_assert_cmpint(kzgost_cert_verify_issued(root, x), ==, KZGOST_E_BAD_SIGNATURE);
		X509_free(x);
		g_free(copy);
	}
	OPENSSL_free(der);
	X509_free(root);
	X509_free(nca);
}

static void test_chain_not_gost(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new(), *nca = nca_load();
	uint8_t pub[128];

	g_assert_nonnull(k);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	g_assert_false(kzgost_is_gost_cert(x));
	g_assert_cmpint(kzgost_cert_public_key(x, pub), ==, KZGOST_E_NOT_GOST);
	/* An ECDSA-signed subject, and a non-GOST issuer. */
	g_assert_cmpint(kzgost_cert_verify_issued(nca, x), ==, KZGOST_E_BAD_SIGNATURE);
	g_assert_cmpint(kzgost_cert_verify_issued(x, nca), ==, KZGOST_E_NOT_GOST);
	X509_free(x);
	X509_free(nca);
	EVP_PKEY_free(k);
}

/* ---- vectors.txt ---- */

/* vectors.txt gives d, qx, qy as big-endian numbers (qx reversed is the
 * first half of the SPKI's OCTET STRING); digest and sig are in NCA's byte
 * order already. */
static void vector_pub(GHashTable *v, uint8_t pub[128])
{
	g_autoptr(GBytes) qx = vector_bytes(v, "qx"), qy = vector_bytes(v, "qy");

	g_assert_cmpuint(g_bytes_get_size(qx), ==, 64);
	reverse_into(pub, g_bytes_get_data(qx, NULL), 64);
	reverse_into(pub + 64, g_bytes_get_data(qy, NULL), 64);
}

static void test_vectors_key(void)
{
	g_autoptr(GHashTable) v = vectors_load();
	g_autoptr(GBytes) d = vector_bytes(v, "d"), spki = vector_bytes(v, "spki");
	uint8_t priv[64], pub[128], want[128];
	gsize spki_len;
	const uint8_t *spki_der = g_bytes_get_data(spki, &spki_len);

	vector_pub(v, want);
	reverse_into(priv, g_bytes_get_data(d, NULL), 64);
	g_assert_cmpint(kzgost_public_from_private(priv, pub), ==, 0);
	g_assert_cmpmem(pub, 128, want, 128);
	/* The SPKI ends in the 128 bytes x ‖ y little-endian. */
	g_assert_cmpmem(spki_der + spki_len - 128, 128, want, 128);
}

static void test_vectors_signature(void)
{
	g_autoptr(GHashTable) v = vectors_load();
	g_autoptr(GBytes) digest = vector_bytes(v, "digest"), sig = vector_bytes(v, "sig");
	uint8_t pub[128], dg[64], s[128];

	vector_pub(v, pub);
	memcpy(dg, g_bytes_get_data(digest, NULL), 64);
	memcpy(s, g_bytes_get_data(sig, NULL), 128);
	g_assert_cmpint(kzgost_verify(pub, dg, s), ==, 0);
	dg[10] ^= 1;
	g_assert_cmpint(kzgost_verify(pub, dg, s), ==, KZGOST_E_BAD_SIGNATURE);
	dg[10] ^= 1;
	/* r ‖ s swapped, or big-endian, is not the format. */
	{
		uint8_t swapped[128];

		memcpy(swapped, s + 64, 64);
		memcpy(swapped + 64, s, 64);
		g_assert_cmpint(kzgost_verify(pub, dg, swapped), ==, KZGOST_E_BAD_SIGNATURE);
	}
}

static void test_vectors_cert(void)
{
	g_autoptr(GHashTable) v = vectors_load();
	g_autoptr(GBytes) tbs = vector_bytes(v, "cert_tbs"), sig = vector_bytes(v, "cert_sig");
	g_autoptr(GBytes) spki = vector_bytes(v, "spki");
	gsize tbs_len, spki_len;
	const uint8_t *tbs_der = g_bytes_get_data(tbs, &tbs_len);
	const uint8_t *spki_der = g_bytes_get_data(spki, &spki_len);
	uint8_t digest[64];

	g_assert_cmpstr(g_hash_table_lookup(v, "sigalg_oid"), ==, KZGOST_OID_SIGNATURE_512);
	g_assert_cmpint(streebog512(tbs_der, tbs_len, digest), ==, 0);
	g_assert_cmpint(kzgost_verify(spki_der + spki_len - 128, digest, g_bytes_get_data(sig, NULL)), ==,
			0);
}

static void test_verify_rejects(void)
{
	g_autoptr(GHashTable) v = vectors_load();
	g_autoptr(GBytes) digest = vector_bytes(v, "digest"), sig = vector_bytes(v, "sig");
	uint8_t pub[128], s[128];

	vector_pub(v, pub);
	memcpy(s, g_bytes_get_data(sig, NULL), 128);
	pub[70] ^= 1; /* y changed: off the curve */
	g_assert_cmpint(kzgost_verify(pub, g_bytes_get_data(digest, NULL), s), ==, KZGOST_E_BAD_KEY);
	memset(pub, 0, sizeof(pub));
	g_assert_cmpint(kzgost_verify(pub, g_bytes_get_data(digest, NULL), s), ==, KZGOST_E_BAD_KEY);
	memset(pub, 0xff, sizeof(pub)); /* coordinates >= p */
	g_assert_cmpint(kzgost_verify(pub, g_bytes_get_data(digest, NULL), s), ==, KZGOST_E_BAD_KEY);
	vector_pub(v, pub);
	memset(s, 0, 64); /* r = 0 */
	g_assert_cmpint(kzgost_verify(pub, g_bytes_get_data(digest, NULL), s), ==,
			KZGOST_E_BAD_SIGNATURE);
	memset(s, 0xff, 64); /* r >= q */
	g_assert_cmpint(kzgost_verify(pub, g_bytes_get_data(digest, NULL), s), ==,
			KZGOST_E_BAD_SIGNATURE);
}

/* ---- PKCS#8 layout ---- */

static int p8_try(const char *oid, const uint8_t *data, int len, uint8_t priv[64])
{
	PKCS8_PRIV_KEY_INFO *p8 = PKCS8_PRIV_KEY_INFO_new();
	unsigned char *copy = OPENSSL_memdup(data, len);
	int r;

	g_assert_true(PKCS8_pkey_set0(p8, OBJ_txt2obj(oid, 1), 0, V_ASN1_UNDEF, NULL, copy, len));
	r = kzgost_pkcs8_private_key(p8, priv);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return r;
}

static void test_pkcs8_layout(void)
{
	uint8_t nested[66] = { 0x04, 0x40, 0x05 }, priv[64];

	g_assert_cmpint(p8_try(KZGOST_OID_KEY_512, nested, 66, priv), ==, 0);
	g_assert_cmpuint(priv[0], ==, 5);
	/* The bare 64 bytes and an INTEGER are not NCA's layout. */
	g_assert_cmpint(p8_try(KZGOST_OID_KEY_512, nested + 2, 64, priv), ==, KZGOST_E_CORRUPT);
	nested[0] = 0x02;
	g_assert_cmpint(p8_try(KZGOST_OID_KEY_512, nested, 66, priv), ==, KZGOST_E_CORRUPT);
	nested[0] = 0x04;
	nested[2] = 0; /* d = 0 */
	g_assert_cmpint(p8_try(KZGOST_OID_KEY_512, nested, 66, priv), ==, KZGOST_E_BAD_KEY);
	nested[2] = 5;
	g_assert_cmpint(p8_try("1.2.840.10045.2.1", nested, 66, priv), ==, KZGOST_E_NOT_GOST);
	g_assert_cmpint(p8_try(KZGOST_OID_KEY_256, nested, 66, priv), ==, KZGOST_E_NOT_GOST);
}

/* ---- the twelve NCA keys ---- */

static void test_p12_keys(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(p12_files); i++) {
		g_autofree char *path = p12_path(p12_files[i]);
		g_autofree char *der = NULL;
		gsize len;
		uint8_t priv[64], priv2[64], pub[128], cert_pub[128], digest[64], sig[128], sig2[128];
		X509 *cert = NULL, *cert2 = NULL;
		STACK_OF(X509) *extra = NULL;

		g_test_message("%s", p12_files[i]);
		g_assert_cmpint(kzgost_p12_load(path, NULL, 0, PASSWORD, priv, &cert, &extra), ==, 0);
		g_assert_nonnull(cert);
		g_assert_nonnull(extra);
		g_assert_true(kzgost_is_gost_cert(cert));
		/* The key d (nested OCTET STRING, little-endian) gives the
		 * certificate's public key. */
		g_assert_cmpint(kzgost_public_from_private(priv, pub), ==, 0);
		g_assert_cmpint(kzgost_cert_public_key(cert, cert_pub), ==, 0);
		g_assert_cmpmem(pub, 128, cert_pub, 128);

		/* Same from memory. */
		g_assert_true(g_file_get_contents(path, &der, &len, NULL));
		g_assert_cmpint(kzgost_p12_load(NULL, der, len, PASSWORD, priv2, &cert2, NULL), ==, 0);
		g_assert_cmpmem(priv, 64, priv2, 64);
		g_assert_cmpint(X509_cmp(cert, cert2), ==, 0);

		/* Sign with the key, verify with the certificate's key. */
		g_assert_cmpint(streebog512(p12_files[i], strlen(p12_files[i]), digest), ==, 0);
		g_assert_cmpint(kzgost_sign(priv, digest, sig), ==, 0);
		g_assert_cmpint(kzgost_verify(cert_pub, digest, sig), ==, 0);
		g_assert_cmpint(kzgost_sign(priv, digest, sig2), ==, 0);
		g_assert_cmpint(kzgost_verify(cert_pub, digest, sig2), ==, 0);
		g_assert_true(memcmp(sig, sig2, 128) != 0);
		digest[0] ^= 0x80;
		g_assert_cmpint(kzgost_verify(cert_pub, digest, sig), ==, KZGOST_E_BAD_SIGNATURE);

		OPENSSL_cleanse(priv, sizeof(priv));
		OPENSSL_cleanse(priv2, sizeof(priv2));
		X509_free(cert);
		X509_free(cert2);
		sk_X509_pop_free(extra, X509_free);
	}
}

/* e = h mod q read little-endian, e = 1 if zero: a signature over the
 * all-zero digest is one over the digest 01 00 … 00 and over q itself. */
static void test_sign_e_rule(void)
{
	static const char q_hex[] =
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
		"27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275";
	g_autoptr(GBytes) qb = hex_decode(q_hex);
	uint8_t priv[64] = { 0x42, 0x17 }, pub[128], zero[64] = { 0 }, one[64] = { 1 }, q[64], sig[128];

	reverse_into(q, g_bytes_get_data(qb, NULL), 64);
	g_assert_cmpint(kzgost_public_from_private(priv, pub), ==, 0);
	g_assert_cmpint(kzgost_sign(priv, zero, sig), ==, 0);
	g_assert_cmpint(kzgost_verify(pub, zero, sig), ==, 0);
	g_assert_cmpint(kzgost_verify(pub, one, sig), ==, 0);
	g_assert_cmpint(kzgost_verify(pub, q, sig), ==, 0);
	one[0] = 2;
	g_assert_cmpint(kzgost_verify(pub, one, sig), ==, KZGOST_E_BAD_SIGNATURE);
}

static void test_p12_wrong_password(void)
{
	g_autofree char *path = p12_path(p12_files[9]);
	uint8_t priv[64] = { 0xaa };
	X509 *cert = NULL;

	g_assert_cmpint(kzgost_p12_load(path, NULL, 0, "Qwerty13", priv, &cert, NULL), ==,
			KZGOST_E_BAD_PASSWORD);
	g_assert_cmpint(kzgost_p12_load(path, NULL, 0, "", priv, &cert, NULL), ==, KZGOST_E_BAD_PASSWORD);
	g_assert_null(cert);
	g_assert_cmpuint(priv[0], ==, 0xaa); /* outputs untouched */
}

static void test_p12_corrupt(void)
{
	g_autofree char *path = p12_path(p12_files[9]);
	g_autofree char *der = NULL;
	gsize len;
	uint8_t priv[64];
	X509 *cert = NULL;

	g_assert_true(g_file_get_contents(path, &der, &len, NULL));
	/* Every truncation. */
	for (gsize n = 0; n < len; n++)
		g_assert_cmpint(kzgost_p12_load(NULL, der, n, PASSWORD, priv, &cert, NULL), ==,
				KZGOST_E_CORRUPT);
	/* Garbage, and a broken outer tag. */
	g_assert_cmpint(kzgost_p12_load(NULL, "not a p12 file", 14, PASSWORD, priv, &cert, NULL), ==,
			KZGOST_E_CORRUPT);
	der[0] ^= 0x20;
	g_assert_cmpint(kzgost_p12_load(NULL, der, len, PASSWORD, priv, &cert, NULL), ==,
			KZGOST_E_CORRUPT);
	g_assert_null(cert);
	g_assert_cmpint(kzgost_p12_load(GOST_DIR "/no-such.p12", NULL, 0, PASSWORD, priv, &cert, NULL), ==,
			-ENOENT);
}

/* A PKCS#12 of a P-256 key: a key, but not NCA's GOST. */
static void test_p12_not_gost(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new(), *cert = NULL;
	PKCS12 *p12;
	unsigned char *der = NULL;
	int n;
	uint8_t priv[64];

	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	p12 = PKCS12_create(PASSWORD, "k", k, x, NULL, 0, 0, 0, 0, 0);
	g_assert_nonnull(p12);
	n = i2d_PKCS12(p12, &der);
	g_assert_cmpint(n, >, 0);
	g_assert_cmpint(kzgost_p12_load(NULL, der, n, PASSWORD, priv, &cert, NULL), ==, KZGOST_E_NOT_GOST);
	g_assert_cmpint(kzgost_p12_load(NULL, der, n, "nope", priv, &cert, NULL), ==,
			KZGOST_E_BAD_PASSWORD);
	OPENSSL_free(der);
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(k);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kzgost/streebog/vector", test_streebog_vector);
	g_test_add_func("/kzgost/streebog/m1", test_streebog_m1);
	g_test_add_func("/kzgost/streebog/incremental", test_streebog_incremental);
	g_test_add_func("/kzgost/streebog/engine-fallback", test_streebog_engine_fallback);
	g_test_add_func("/kzgost/streebog/missing", test_streebog_missing);
	g_test_add_func("/kzgost/curve/generator", test_curve_generator);
	g_test_add_func("/kzgost/chain/root-self", test_chain_root_self);
	g_test_add_func("/kzgost/chain/nca-by-root", test_chain_nca_by_root);
	g_test_add_func("/kzgost/chain/end-entities", test_chain_end_entities);
	g_test_add_func("/kzgost/chain/flipped-bit", test_chain_flipped_bit);
	g_test_add_func("/kzgost/chain/not-gost", test_chain_not_gost);
	g_test_add_func("/kzgost/vectors/key", test_vectors_key);
	g_test_add_func("/kzgost/vectors/signature", test_vectors_signature);
	g_test_add_func("/kzgost/vectors/cert", test_vectors_cert);
	g_test_add_func("/kzgost/verify/rejects", test_verify_rejects);
	g_test_add_func("/kzgost/sign/e-rule", test_sign_e_rule);
	g_test_add_func("/kzgost/pkcs8/layout", test_pkcs8_layout);
	g_test_add_func("/kzgost/p12/keys", test_p12_keys);
	g_test_add_func("/kzgost/p12/wrong-password", test_p12_wrong_password);
	g_test_add_func("/kzgost/p12/corrupt", test_p12_corrupt);
	g_test_add_func("/kzgost/p12/not-gost", test_p12_not_gost);
	return g_test_run();
}
