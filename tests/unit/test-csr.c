/* csr and the kzgost functions it builds on (key generation, NCA's PKCS#8
 * and SPKI, signing certificates and requests), checked against NCA's
 * own test key and certificate (tests/data/gost, tests/data/nca) and
 * against OpenSSL. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tests/unit/test-enroll.h"
#include "daemon/crypto/csr.h"
#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/signer.h"

#define PERSON_P12 TEST_DATA_DIR "/gost/person-valid-GOST512_d6d1e53515d516a7d95d399b668cf09011bf118d.p12"
#define PERSON_PEM TEST_DATA_DIR "/nca/person-valid.pem"
#define PERSON_SKI "d6d1e53515d516a7d95d399b668cf09011bf118d"
#define PASSWORD   "Qwerty12"

/* 1.2.398.3.3.5 = SEQUENCE { 1.2.398.3.3.5.1.1 }, as in NCA's certificate. */
/* ---- helpers ---- */

static struct csr_key *key_new(enum csr_algorithm alg)
{
	struct csr_key *k = NULL;

	g_assert_cmpint(csr_key_generate(alg, &k), ==, 0);
	g_assert_nonnull(k);
	g_assert_cmpint(k->alg, ==, alg);
	return k;
}

static X509 *cert_load(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	g_assert_nonnull(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	g_assert_nonnull(x);
	return x;
}

static X509_REQ *req_parse(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509_REQ *req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);

	BIO_free(bio);
	g_assert_nonnull(req);
	return req;
}

static GBytes *req_der(X509_REQ *req)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	GBytes *b;

	g_assert_cmpint(n, >, 0);
	b = g_bytes_new(der, (gsize)n);
	OPENSSL_free(der);
	return b;
}

static X509_REQ *req_from_der(const guint8 *der, gsize len)
{
	const unsigned char *p = der;

	return d2i_X509_REQ(NULL, &p, (long)len);
}

static char *hex(const guint8 *b, size_t n)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%02x", b[i]);
	return g_string_free(s, FALSE);
}

static const struct csr_subject employee = {
	.common_name = "ТЕСТОВ ТЕСТ",
	.surname = "ТЕСТОВ",
	.serial_number = "IIN123456789011",
	.country = "KZ",
	.given_name = "ТЕСТОВИЧ",
	.organization = "АО \"ТЕСТ\"",
	.org_unit = "BIN123456789021",
};

/* The NCA person key's decrypted PKCS#8, as it is inside the .p12. */
static PKCS8_PRIV_KEY_INFO *nca_key_bag(void)
{
	FILE *f = fopen(PERSON_P12, "rb");
	PKCS12 *p12;
	STACK_OF(PKCS7) *safes;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;

	g_assert_nonnull(f);
	p12 = d2i_PKCS12_fp(f, NULL);
	fclose(f);
	g_assert_nonnull(p12);
	safes = PKCS12_unpack_authsafes(p12);
	g_assert_nonnull(safes);
	for (int i = 0; i < sk_PKCS7_num(safes) && !p8; i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		STACK_OF(PKCS12_SAFEBAG) *bags;

		if (OBJ_obj2nid(p7->type) != NID_pkcs7_data)
			continue; /* the certificates, RC2-encrypted */
		bags = PKCS12_unpack_p7data(p7);
		for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags) && !p8; j++) {
			PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);

			if (PKCS12_SAFEBAG_get_nid(bag) == NID_pkcs8ShroudedKeyBag)
				p8 = PKCS12_decrypt_skey(bag, PASSWORD, strlen(PASSWORD));
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(p12);
	g_assert_nonnull(p8);
	return p8;
}

static GBytes *p8_der(const PKCS8_PRIV_KEY_INFO *p8)
{
	unsigned char *der = NULL;
	int n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	GBytes *b;

	g_assert_cmpint(n, >, 0);
	b = g_bytes_new(der, (gsize)n);
	OPENSSL_clear_free(der, (size_t)n);
	return b;
}

/* A self-signed GOST certificate for k, built the way a CA would. */
static X509 *gost_cert_new(const struct csr_key *k, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	g_assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
						 (const unsigned char *)"kzgost test", -1, -1, 0));
	g_assert_true(X509_set_subject_name(x, name) && X509_set_issuer_name(x, name));
	g_assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	g_assert_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	g_assert_cmpint(kzgost_spki_set(X509_get_X509_PUBKEY(x), k->gost_pub), ==, 0);
	g_assert_true(X509_add1_ext_i2d(x, NID_basic_constraints, &(BASIC_CONSTRAINTS){ .ca = 0xff }, 1,
					X509V3_ADD_DEFAULT) == 1);
	g_assert_cmpint(kzgost_sign_x509(x, k->gost), ==, 0);
	X509_NAME_free(name);
	return x;
}

static GBytes *cert_der(X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	GBytes *b;

	g_assert_cmpint(n, >, 0);
	b = g_bytes_new(der, (gsize)n);
	OPENSSL_free(der);
	return b;
}

static X509 *cert_from_bytes(GBytes *b)
{
	const unsigned char *p = g_bytes_get_data(b, NULL);

	return d2i_X509(NULL, &p, (long)g_bytes_get_size(b));
}

/* ---- kzgost additions ---- */

static void test_kzgost_generate(void)
{
	static const uint8_t zero[64];
	uint8_t a[64], b[64], pub[128];

	g_assert_cmpint(kzgost_generate(a), ==, 0);
	g_assert_cmpint(kzgost_generate(b), ==, 0);
	g_assert_true(memcmp(a, b, 64) != 0);
	g_assert_true(memcmp(a, zero, 64) != 0);
	/* In [1, q-1]: the key computes a public point. */
	g_assert_cmpint(kzgost_public_from_private(a, pub), ==, 0);
}

/* Our PKCS#8 of NCA's own key is the DER NCA's .p12 decrypts to. */
static void test_kzgost_pkcs8_nca(void)
{
	PKCS8_PRIV_KEY_INFO *nca = nca_key_bag(), *ours = NULL, *fresh = NULL;
	g_autoptr(GBytes) nca_der = NULL, our_der = NULL, fresh_der = NULL;
	uint8_t d[64], d2[64], gen[64];
	gsize n;

	g_assert_cmpint(kzgost_pkcs8_private_key(nca, d), ==, 0);
	g_assert_cmpint(kzgost_pkcs8_new(d, &ours), ==, 0);
	nca_der = p8_der(nca);
	our_der = p8_der(ours);
	g_assert_true(g_bytes_equal(nca_der, our_der));
	g_assert_cmpint(kzgost_pkcs8_private_key(ours, d2), ==, 0);
	g_assert_cmpmem(d, 64, d2, 64);

	/* A new key: the same DER but for the last 64 bytes (d). */
	g_assert_cmpint(kzgost_generate(gen), ==, 0);
	g_assert_cmpint(kzgost_pkcs8_new(gen, &fresh), ==, 0);
	fresh_der = p8_der(fresh);
	n = g_bytes_get_size(nca_der);
	g_assert_cmpuint(g_bytes_get_size(fresh_der), ==, n);
	g_assert_cmpmem(g_bytes_get_data(nca_der, NULL), n - 64, g_bytes_get_data(fresh_der, NULL), n - 64);
	g_assert_cmpmem((const guint8 *)g_bytes_get_data(fresh_der, NULL) + n - 64, 64, gen, 64);

	/* d outside [1, q-1] is refused. */
	memset(gen, 0, sizeof(gen));
	PKCS8_PRIV_KEY_INFO_free(fresh);
	fresh = NULL;
	g_assert_cmpint(kzgost_pkcs8_new(gen, &fresh), ==, KZGOST_E_BAD_KEY);
	g_assert_null(fresh);

	OPENSSL_cleanse(d, sizeof(d));
	PKCS8_PRIV_KEY_INFO_free(nca);
	PKCS8_PRIV_KEY_INFO_free(ours);
}

/* kzgost_spki_set() writes NCA's SPKI byte for byte; its key id is the
 * certificate's SKI and file name. */
static void test_kzgost_spki_nca(void)
{
	X509 *cert = cert_load(PERSON_PEM);
	X509_PUBKEY *pk = X509_PUBKEY_new();
	unsigned char *nca_der = NULL, *our_der = NULL;
	uint8_t pub[128], id[20];
	g_autofree char *id_hex = NULL;
	int n1, n2;

	g_assert_cmpint(kzgost_cert_public_key(cert, pub), ==, 0);
	g_assert_cmpint(kzgost_spki_set(pk, pub), ==, 0);
	n1 = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &nca_der);
	n2 = i2d_X509_PUBKEY(pk, &our_der);
	g_assert_cmpmem(nca_der, n1, our_der, n2);

	g_assert_cmpint(csr_pubkey_id(pk, id), ==, 0);
	id_hex = hex(id, sizeof(id));
	g_assert_cmpstr(id_hex, ==, PERSON_SKI);
	/* NCA's serial is that id with the top bit cleared. */
	id[0] &= 0x7f;
	{
		BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL), *want;

		want = BN_bin2bn(id, sizeof(id), NULL);
		g_assert_cmpint(BN_cmp(serial, want), ==, 0);
		BN_free(serial);
		BN_free(want);
	}
	OPENSSL_free(nca_der);
	OPENSSL_free(our_der);
	X509_PUBKEY_free(pk);
	X509_free(cert);
}

static void test_kzgost_sign_x509(void)
{
	struct csr_key *k = key_new(CSR_ALG_GOST512);
	X509 *x = gost_cert_new(k, 1), *parsed;
	g_autoptr(GBytes) der = cert_der(x), der2 = NULL;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	int ptype;
	const void *pval;
	guint8 *flipped;
	gsize n;

	g_assert_cmpint(kzgost_cert_verify_issued(x, x), ==, 0);
	g_assert_cmpint(X509_get_version(x), ==, X509_VERSION_3);
	X509_get0_signature(NULL, &alg, x);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	g_assert_true(oid_is(obj, KZGOST_OID_SIGNATURE_512));
	g_assert_cmpint(ptype, ==, V_ASN1_NULL);

	/* The DER re-parses to the same DER, and still verifies. */
	parsed = cert_from_bytes(der);
	g_assert_nonnull(parsed);
	der2 = cert_der(parsed);
	g_assert_true(g_bytes_equal(der, der2));
	g_assert_cmpint(kzgost_cert_verify_issued(parsed, parsed), ==, 0);

	/* A parsed certificate caches its TBS encoding: changed and signed
	 * again, the new TBS must be what gets signed and written. */
	g_assert_true(ASN1_INTEGER_set(X509_get_serialNumber(parsed), 2));
	g_assert_cmpint(kzgost_sign_x509(parsed, k->gost), ==, 0);
	g_clear_pointer(&der2, g_bytes_unref);
	der2 = cert_der(parsed);
	X509_free(parsed);
	parsed = cert_from_bytes(der2);
	g_assert_cmpint(ASN1_INTEGER_get(X509_get0_serialNumber(parsed)), ==, 2);
	g_assert_cmpint(kzgost_cert_verify_issued(parsed, parsed), ==, 0);
	X509_free(parsed);

	/* One bit of the TBS (the validity) flipped: refused. */
	flipped = g_bytes_unref_to_data(g_bytes_ref(der2), &n);
	flipped[n / 3] ^= 0x01;
	{
		const unsigned char *p = flipped;
		X509 *bad = d2i_X509(NULL, &p, (long)n);

		if (bad) /* a flip that still parses must not verify */
			g_assert_cmpint(kzgost_cert_verify_issued(x, bad), !=, 0);
		X509_free(bad);
	}
	g_free(flipped);
	X509_free(x);
	csr_key_free(k);
}

/* A certificate signed with NCA's person key verifies against NCA's own
 * certificate of that key: our signing agrees with NCA's public key. */
static void test_kzgost_sign_with_nca_key(void)
{
	uint8_t d[64];
	X509 *nca_cert = NULL, *x;
	struct csr_key k = { .alg = CSR_ALG_GOST512 };

	g_assert_cmpint(kzgost_p12_load(PERSON_P12, NULL, 0, PASSWORD, d, &nca_cert, NULL), ==, 0);
	memcpy(k.gost, d, 64);
	g_assert_cmpint(kzgost_public_from_private(d, k.gost_pub), ==, 0);
	x = gost_cert_new(&k, 7);
	g_assert_cmpint(kzgost_cert_verify_issued(nca_cert, x), ==, 0);
	OPENSSL_cleanse(&k, sizeof(k));
	OPENSSL_cleanse(d, sizeof(d));
	X509_free(x);
	X509_free(nca_cert);
}

/* ---- requests ---- */

struct name_want {
	int nid;
	int type;
	const char *value;
};

static void assert_subject(X509_REQ *req, const struct name_want *want, int n)
{
	const X509_NAME *name = X509_REQ_get_subject_name(req);

	g_assert_cmpint(X509_NAME_entry_count(name), ==, n);
	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);

		g_assert_cmpint(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)), ==, want[i].nid);
		g_assert_cmpint(ASN1_STRING_type(v), ==, want[i].type);
		g_assert_cmpmem(ASN1_STRING_get0_data(v), ASN1_STRING_length(v), want[i].value,
				strlen(want[i].value));
		/* One attribute per RDN, as NCA writes them. */
		g_assert_cmpint(X509_NAME_ENTRY_set(e), ==, i);
	}
}

static void assert_key_store_ext(STACK_OF(X509_EXTENSION) *exts)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(CSR_OID_KEY_STORE, 1);
	int i = X509v3_get_ext_by_OBJ(exts, oid, -1);
	X509_EXTENSION *ext;
	const ASN1_OCTET_STRING *v;

	g_assert_cmpint(i, >=, 0);
	ext = X509v3_get_ext(exts, i);
	g_assert_cmpint(X509_EXTENSION_get_critical(ext), ==, 0);
	v = X509_EXTENSION_get_data(ext);
	g_assert_cmpmem(ASN1_STRING_get0_data(v), ASN1_STRING_length(v), key_store_pkcs12_der,
			sizeof(key_store_pkcs12_der));
	ASN1_OBJECT_free(oid);
}

static void assert_san_email(STACK_OF(X509_EXTENSION) *exts, const char *email)
{
	int crit = -1;
	GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	const GENERAL_NAME *gen;

	if (!email) {
		g_assert_null(gens);
		g_assert_cmpint(crit, ==, -1);
		return;
	}
	g_assert_nonnull(gens);
	g_assert_cmpint(crit, ==, 0);
	g_assert_cmpint(sk_GENERAL_NAME_num(gens), ==, 1);
	gen = sk_GENERAL_NAME_value(gens, 0);
	g_assert_cmpint(gen->type, ==, GEN_EMAIL);
	g_assert_cmpstr((const char *)ASN1_STRING_get0_data(gen->d.rfc822Name), ==, email);
	GENERAL_NAMES_free(gens);
}

static void test_csr_gost(void)
{
	static const struct name_want want[] = {
		{ NID_commonName, V_ASN1_UTF8STRING, "ТЕСТОВ ТЕСТ" },
		{ NID_surname, V_ASN1_UTF8STRING, "ТЕСТОВ" },
		{ NID_serialNumber, V_ASN1_PRINTABLESTRING, "IIN123456789011" },
		{ NID_countryName, V_ASN1_PRINTABLESTRING, "KZ" },
		{ NID_givenName, V_ASN1_UTF8STRING, "ТЕСТОВИЧ" },
	};
	struct csr_key *k = key_new(CSR_ALG_GOST512);
	g_autofree char *pem = NULL;
	g_autoptr(GBytes) der = NULL;
	X509_REQ *req, *bad;
	STACK_OF(X509_EXTENSION) *exts;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	uint8_t pub[128];
	guint8 *copy;
	gsize n;

	g_assert_cmpint(csr_build(k, &person, CSR_STORAGE_OID_PKCS12, &pem), ==, 0);
	g_assert_true(g_str_has_prefix(pem, "-----BEGIN CERTIFICATE REQUEST-----\n"));
	req = req_parse(pem);
	g_assert_cmpint(X509_REQ_get_version(req), ==, X509_REQ_VERSION_1);
	g_assert_cmpint(kzgost_x509_req_verify(req), ==, 0);
	/* OpenSSL cannot check it, and must not think it can. */
	g_assert_cmpint(X509_REQ_verify(req, NULL), !=, 1);
	ERR_clear_error();
	X509_REQ_get0_signature(req, NULL, &alg);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	g_assert_true(oid_is(obj, KZGOST_OID_SIGNATURE_512));
	assert_subject(req, want, G_N_ELEMENTS(want));

	/* The request's SPKI holds k's public key in NCA's form. */
	{
		const unsigned char *bits = NULL;
		int len = 0;

		g_assert_true(X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, X509_REQ_get_X509_PUBKEY(req)));
		g_assert_cmpint(len, ==, 131);
		g_assert_cmpmem(bits, 3, "\x04\x81\x80", 3);
		memcpy(pub, bits + 3, 128);
		g_assert_cmpmem(pub, 128, k->gost_pub, 128);
	}

	exts = X509_REQ_get_extensions(req);
	g_assert_cmpint(sk_X509_EXTENSION_num(exts), ==, 2);
	assert_san_email(exts, person.email);
	assert_key_store_ext(exts);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

	/* Any one flipped bit (here in the subject, then in the signature)
	 * breaks the signature. */
	der = req_der(req);
	g_bytes_get_data(der, &n);
	copy = g_memdup2(g_bytes_get_data(der, NULL), n);
	copy[n / 4] ^= 0x01;
	bad = req_from_der(copy, n);
	g_assert_nonnull(bad);
	g_assert_cmpint(kzgost_x509_req_verify(bad), ==, KZGOST_E_BAD_SIGNATURE);
	X509_REQ_free(bad);
	copy[n / 4] ^= 0x01;
	copy[n - 10] ^= 0x80;
	bad = req_from_der(copy, n);
	g_assert_cmpint(kzgost_x509_req_verify(bad), ==, KZGOST_E_BAD_SIGNATURE);
	X509_REQ_free(bad);
	g_free(copy);

	X509_REQ_free(req);
	csr_key_free(k);
}

static void test_csr_rsa(void)
{
	static const struct name_want want[] = {
		{ NID_commonName, V_ASN1_UTF8STRING, "ТЕСТОВ ТЕСТ" },
		{ NID_surname, V_ASN1_UTF8STRING, "ТЕСТОВ" },
		{ NID_serialNumber, V_ASN1_PRINTABLESTRING, "IIN123456789011" },
		{ NID_countryName, V_ASN1_PRINTABLESTRING, "KZ" },
		{ NID_organizationName, V_ASN1_UTF8STRING, "АО \"ТЕСТ\"" },
		{ NID_organizationalUnitName, V_ASN1_UTF8STRING, "BIN123456789021" },
		{ NID_givenName, V_ASN1_UTF8STRING, "ТЕСТОВИЧ" },
	};
	struct csr_key *k = key_new(CSR_ALG_RSA2048);
	g_autofree char *pem = NULL;
	g_autoptr(GBytes) der = NULL;
	X509_REQ *req, *bad;
	STACK_OF(X509_EXTENSION) *exts;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	guint8 *copy;
	gsize n;

	g_assert_cmpint(EVP_PKEY_get_bits(k->pkey), ==, 2048);
	{
		BIGNUM *e = NULL;

		g_assert_true(EVP_PKEY_get_bn_param(k->pkey, "e", &e));
		g_assert_cmpuint(BN_get_word(e), ==, 65537);
		BN_free(e);
	}
	g_assert_cmpint(csr_build(k, &employee, CSR_STORAGE_OID_PKCS12, &pem), ==, 0);
	req = req_parse(pem);
	g_assert_cmpint(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), ==, 1);
	X509_REQ_get0_signature(req, NULL, &alg);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	g_assert_cmpint(OBJ_obj2nid(obj), ==, NID_sha256WithRSAEncryption);
	g_assert_cmpint(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), k->pkey), ==, 1);
	assert_subject(req, want, G_N_ELEMENTS(want));

	/* No e-mail: no subjectAltName, only the key-store extension. */
	exts = X509_REQ_get_extensions(req);
	g_assert_cmpint(sk_X509_EXTENSION_num(exts), ==, 1);
	assert_san_email(exts, NULL);
	assert_key_store_ext(exts);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

	der = req_der(req);
	g_bytes_get_data(der, &n);
	copy = g_memdup2(g_bytes_get_data(der, NULL), n);
	copy[n / 4] ^= 0x01;
	bad = req_from_der(copy, n);
	g_assert_nonnull(bad);
	g_assert_cmpint(X509_REQ_verify(bad, X509_REQ_get0_pubkey(bad)), !=, 1);
	ERR_clear_error();
	X509_REQ_free(bad);
	g_free(copy);
	X509_REQ_free(req);
	csr_key_free(k);
}

/* `openssl req -verify` accepts the RSA request (skipped without the
 * openssl program the build found). */
static void test_csr_rsa_openssl_cli(void)
{
	const char *openssl = g_getenv("OPENSSL");
	struct csr_key *k;
	g_autofree char *pem = NULL, *path = NULL, *out = NULL, *err = NULL;
	g_autoptr(GError) error = NULL;
	int status = -1;

	if (!openssl || !*openssl) {
		g_test_skip("OPENSSL is not set (make check sets it)");
		return;
	}
	k = key_new(CSR_ALG_RSA2048);
	g_assert_cmpint(csr_build(k, &person, CSR_STORAGE_OID_PKCS12, &pem), ==, 0);
	path = g_build_filename(g_get_tmp_dir(), "test-csr-XXXXXX.pem", NULL);
	{
		int fd = g_mkstemp(path);

		g_assert_cmpint(fd, >=, 0);
		g_assert_cmpint(write(fd, pem, strlen(pem)), ==, (ssize_t)strlen(pem));
		close(fd);
	}
	{
		const char *argv[] = { openssl, "req", "-verify", "-noout", "-in", path, NULL };

		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
					   &err, &status, &error));
	}
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_nonnull(strstr(err, "verify OK"));
	g_unlink(path);
	csr_key_free(k);
}

/* Options of csr_build(): no storage OID, a bad one, a long CN. */
static void test_csr_build_options(void)
{
	struct csr_key *k = key_new(CSR_ALG_GOST512);
	struct csr_subject s = { .common_name = NULL };
	g_autofree char *pem = NULL, *long_cn = g_strnfill(200, 'A');
	char *none = NULL;
	X509_REQ *req;
	STACK_OF(X509_EXTENSION) *exts;

	/* Beyond OpenSSL's 64-character table limit for CN, within ours. */
	s.common_name = long_cn;
	g_assert_cmpint(csr_build(k, &s, NULL, &pem), ==, 0);
	req = req_parse(pem);
	g_assert_cmpint(kzgost_x509_req_verify(req), ==, 0);
	/* No e-mail and no storage: no extensionRequest at all. */
	exts = X509_REQ_get_extensions(req);
	g_assert_cmpint(sk_X509_EXTENSION_num(exts), ==, 0);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	g_assert_cmpint(X509_REQ_get_attr_count(req), ==, 0);
	X509_REQ_free(req);

	g_assert_cmpint(csr_build(k, &s, "not an oid", &none), ==, -EINVAL);
	s.common_name = "";
	g_assert_cmpint(csr_build(k, &s, NULL, &none), ==, CSR_E_SUBJECT);
	g_assert_null(none);
	csr_key_free(k);
}

/* ---- requests for keys held elsewhere (csr_build_with_signer) ---- */

static X509_PUBKEY *spki_of(EVP_PKEY *key)
{
	X509_PUBKEY *pk = NULL;

	g_assert_true(X509_PUBKEY_set(&pk, key));
	return pk;
}

/* An ECDSA key in OpenSSL's hands, seen only through a signer and its
 * SPKI, as a token's key is. */
static void test_csr_signer_ecdsa(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_PUBKEY *pk = spki_of(key);
	struct signer sg;
	g_autofree char *pem = NULL;
	X509_REQ *req;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	int ptype = -1;

	g_assert_cmpint(signer_init_pkey(&sg, key, NULL), ==, 0);
	g_assert_cmpint(csr_build_with_signer(pk, &sg, &person, CSR_STORAGE_OID_PKCS12, &pem), ==, 0);
	req = req_parse(pem);
	g_assert_cmpint(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), ==, 1);
	g_assert_cmpint(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), key), ==, 1);
	X509_REQ_get0_signature(req, NULL, &alg);
	X509_ALGOR_get0(&obj, &ptype, NULL, alg);
	g_assert_cmpint(OBJ_obj2nid(obj), ==, NID_ecdsa_with_SHA256);
	g_assert_cmpint(ptype, ==, V_ASN1_UNDEF); /* no parameters (RFC 5758) */
	X509_REQ_free(req);
	X509_PUBKEY_free(pk);
	EVP_PKEY_free(key);
}

/* csr_build() is csr_build_with_signer() over the in-memory key: for
 * RSA (deterministic PKCS#1 v1.5) the same bytes. */
static void test_csr_signer_rsa_same(void)
{
	struct csr_key *k = key_new(CSR_ALG_RSA2048);
	X509_PUBKEY *pk = NULL;
	struct signer sg;
	g_autofree char *a = NULL, *b = NULL;

	g_assert_cmpint(csr_key_spki(k, &pk), ==, 0);
	g_assert_cmpint(signer_init_pkey(&sg, k->pkey, NULL), ==, 0);
	g_assert_cmpint(csr_build(k, &employee, CSR_STORAGE_OID_PKCS12, &a), ==, 0);
	g_assert_cmpint(csr_build_with_signer(pk, &sg, &employee, CSR_STORAGE_OID_PKCS12, &b), ==, 0);
	g_assert_cmpstr(a, ==, b);
	X509_PUBKEY_free(pk);
	csr_key_free(k);
}

struct fake_signer {
	int ret;
	int calls;
	const struct csr_key *gost; /* sign with this key when ret is 0 */
};

static int fake_sign_digest(void *ctx, const uint8_t *digest, size_t digest_len, uint8_t **ret_sig,
			    size_t *ret_sig_len)
{
	struct fake_signer *f = ctx;
	uint8_t *sig;

	f->calls++;
	if (f->ret != 0)
		return f->ret;
	g_assert_cmpuint(digest_len, ==, KZGOST_DIGEST_SIZE);
	sig = OPENSSL_malloc(KZGOST_SIGNATURE_SIZE);
	g_assert_cmpint(kzgost_sign(f->gost->gost, digest, sig), ==, 0);
	*ret_sig = sig;
	*ret_sig_len = KZGOST_SIGNATURE_SIZE;
	return 0;
}

/* GOST through a signer (a token's, say), and what happens when the
 * signer refuses. */
static void test_csr_signer_gost_and_refusals(void)
{
	struct csr_key *k = key_new(CSR_ALG_GOST512);
	X509_PUBKEY *pk = NULL;
	struct fake_signer f = { .gost = k };
	struct signer sg = {
		.alg = SIGNER_ALG_GOST2015_512,
		.sign_digest = fake_sign_digest,
		.ctx = &f,
	};
	struct csr_subject bad = person;
	g_autofree char *pem = NULL;
	char *none = NULL;
	X509_REQ *req;

	g_assert_cmpint(csr_key_spki(k, &pk), ==, 0);
	g_assert_cmpint(csr_build_with_signer(pk, &sg, &person, CSR_STORAGE_OID_PKCS12, &pem), ==, 0);
	g_assert_cmpint(f.calls, ==, 1);
	req = req_parse(pem);
	g_assert_cmpint(kzgost_x509_req_verify(req), ==, 0);
	{
		const unsigned char *bits = NULL;
		int len = 0;

		g_assert_true(X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, X509_REQ_get_X509_PUBKEY(req)));
		g_assert_cmpint(len, ==, 131);
		g_assert_cmpmem(bits + 3, 128, k->gost_pub, 128);
	}
	X509_REQ_free(req);

	/* The signer refuses (a token pulled out): CSR_E_SIGNER, nothing out. */
	f.ret = SIGNER_E_FAILED;
	g_assert_cmpint(csr_build_with_signer(pk, &sg, &person, NULL, &none), ==, CSR_E_SIGNER);
	f.ret = SIGNER_E_UNSUPPORTED;
	g_assert_cmpint(csr_build_with_signer(pk, &sg, &person, NULL, &none), ==, CSR_E_SIGNER);
	f.ret = -ENOMEM;
	g_assert_cmpint(csr_build_with_signer(pk, &sg, &person, NULL, &none), ==, -ENOMEM);
	g_assert_null(none);
	/* A bad subject never reaches the signer. */
	f.calls = 0;
	bad.common_name = "";
	g_assert_cmpint(csr_build_with_signer(pk, &sg, &bad, NULL, &none), ==, CSR_E_SUBJECT);
	g_assert_cmpint(csr_build_with_signer(NULL, &sg, &person, NULL, &none), ==, -EINVAL);
	sg.sign_digest = NULL;
	g_assert_cmpint(csr_build_with_signer(pk, &sg, &person, NULL, &none), ==, -EINVAL);
	g_assert_cmpint(f.calls, ==, 0);
	g_assert_null(none);
	X509_PUBKEY_free(pk);
	csr_key_free(k);
}

/* ---- keys ---- */

static void test_key_id(void)
{
	struct csr_key *g = key_new(CSR_ALG_GOST512), *r = key_new(CSR_ALG_RSA2048);
	char id[41];
	uint8_t bits[131], md[20];
	unsigned char *rsa_der = NULL;
	g_autofree char *want_g = NULL, *want_r = NULL;
	int n;

	/* GOST: SHA-1 over 04 81 80 ‖ Q. */
	memcpy(bits, "\x04\x81\x80", 3);
	memcpy(bits + 3, g->gost_pub, 128);
	SHA1(bits, sizeof(bits), md);
	want_g = hex(md, 20);
	g_assert_cmpint(csr_key_id(g, id), ==, 0);
	g_assert_cmpstr(id, ==, want_g);

	/* RSA: SHA-1 over the RSAPublicKey DER. */
	n = i2d_PublicKey(r->pkey, &rsa_der);
	g_assert_cmpint(n, >, 0);
	SHA1(rsa_der, (size_t)n, md);
	want_r = hex(md, 20);
	g_assert_cmpint(csr_key_id(r, id), ==, 0);
	g_assert_cmpstr(id, ==, want_r);
	OPENSSL_free(rsa_der);
	csr_key_free(g);
	csr_key_free(r);
}

static struct csr_key *p8_round_trip(const struct csr_key *k)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL, *back;
	unsigned char *der = NULL;
	const unsigned char *p;
	struct csr_key *k2 = NULL;
	int n;

	g_assert_cmpint(csr_key_to_pkcs8(k, &p8), ==, 0);
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	g_assert_cmpint(n, >, 0);
	p = der;
	back = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, n);
	g_assert_nonnull(back);
	g_assert_cmpint(csr_key_from_pkcs8(back, &k2), ==, 0);
	OPENSSL_clear_free(der, (size_t)n);
	PKCS8_PRIV_KEY_INFO_free(p8);
	PKCS8_PRIV_KEY_INFO_free(back);
	return k2;
}

static void test_pkcs8_round_trip(void)
{
	struct csr_key *g = key_new(CSR_ALG_GOST512), *r = key_new(CSR_ALG_RSA2048), *g2, *r2;

	g2 = p8_round_trip(g);
	g_assert_cmpint(g2->alg, ==, CSR_ALG_GOST512);
	g_assert_cmpmem(g2->gost, 64, g->gost, 64);
	g_assert_cmpmem(g2->gost_pub, 128, g->gost_pub, 128);
	r2 = p8_round_trip(r);
	g_assert_cmpint(r2->alg, ==, CSR_ALG_RSA2048);
	g_assert_cmpint(EVP_PKEY_eq(r2->pkey, r->pkey), ==, 1);
	csr_key_free(g);
	csr_key_free(g2);
	csr_key_free(r);
	csr_key_free(r2);
	g_assert_null(csr_key_free(NULL));
}

static int from_pkey(EVP_PKEY *pkey)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
	struct csr_key *k = NULL;
	int ret;

	g_assert_nonnull(p8);
	ret = csr_key_from_pkcs8(p8, &k);
	g_assert_true(ret != 0 ? k == NULL : k != NULL);
	csr_key_free(k);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(pkey);
	return ret;
}

static int from_gost_layout(const char *oid, const guint8 *pk, int len)
{
	PKCS8_PRIV_KEY_INFO *p8 = PKCS8_PRIV_KEY_INFO_new();
	unsigned char *copy = OPENSSL_memdup(pk, (size_t)len);
	struct csr_key *k = NULL;
	int ret;

	g_assert_true(PKCS8_pkey_set0(p8, OBJ_txt2obj(oid, 1), 0, V_ASN1_UNDEF, NULL, copy, len));
	ret = csr_key_from_pkcs8(p8, &k);
	csr_key_free(k);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return ret;
}

static void test_pkcs8_refusals(void)
{
	guint8 nested[66] = { 0x04, 0x40, 0x05 };

	g_assert_cmpint(from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024)), ==,
			CSR_E_UNSUPPORTED);
	g_assert_cmpint(from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")), ==, CSR_E_UNSUPPORTED);
	g_assert_cmpint(from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")), ==, CSR_E_UNSUPPORTED);
	g_assert_cmpint(from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072)), ==, 0);
	g_assert_cmpint(from_gost_layout(KZGOST_OID_KEY_512, nested, 66), ==, 0);
	g_assert_cmpint(from_gost_layout(KZGOST_OID_KEY_256, nested, 66), ==, CSR_E_UNSUPPORTED);
	g_assert_cmpint(from_gost_layout(KZGOST_OID_KEY_512, nested + 2, 64), ==, CSR_E_CORRUPT);
	nested[2] = 0;
	g_assert_cmpint(from_gost_layout(KZGOST_OID_KEY_512, nested, 66), ==, CSR_E_CORRUPT);
}

static X509 *rsa_cert_new(const struct csr_key *k)
{
	X509 *x = X509_new();

	g_assert_true(X509_set_pubkey(x, k->pkey));
	g_assert_true(X509_sign(x, k->pkey, EVP_sha256()) > 0);
	return x;
}

static void test_matches_cert(void)
{
	struct csr_key *g = key_new(CSR_ALG_GOST512), *g2 = key_new(CSR_ALG_GOST512);
	struct csr_key *r = key_new(CSR_ALG_RSA2048), *r2 = key_new(CSR_ALG_RSA2048);
	struct csr_key *nca = NULL;
	X509 *gc = gost_cert_new(g, 1), *rc = rsa_cert_new(r), *nca_cert = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = nca_key_bag();
	uint8_t d[64];

	g_assert_cmpint(csr_key_matches_cert(g, gc), ==, 0);
	g_assert_cmpint(csr_key_matches_cert(g2, gc), ==, CSR_E_KEY_MISMATCH);
	g_assert_cmpint(csr_key_matches_cert(r, gc), ==, CSR_E_KEY_MISMATCH);
	g_assert_cmpint(csr_key_matches_cert(r, rc), ==, 0);
	g_assert_cmpint(csr_key_matches_cert(r2, rc), ==, CSR_E_KEY_MISMATCH);
	g_assert_cmpint(csr_key_matches_cert(g, rc), ==, CSR_E_KEY_MISMATCH);
	g_assert_cmpuint(ERR_peek_error(), ==, 0);

	/* NCA's key bag and NCA's certificate. */
	g_assert_cmpint(csr_key_from_pkcs8(p8, &nca), ==, 0);
	g_assert_cmpint(kzgost_p12_load(PERSON_P12, NULL, 0, PASSWORD, d, &nca_cert, NULL), ==, 0);
	g_assert_cmpint(csr_key_matches_cert(nca, nca_cert), ==, 0);
	g_assert_cmpint(csr_key_matches_cert(g, nca_cert), ==, CSR_E_KEY_MISMATCH);
	OPENSSL_cleanse(d, sizeof(d));

	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_free(nca_cert);
	X509_free(gc);
	X509_free(rc);
	csr_key_free(nca);
	csr_key_free(g);
	csr_key_free(g2);
	csr_key_free(r);
	csr_key_free(r2);
}

/* ---- subject rules ---- */

enum field { F_CN, F_SURNAME, F_SERIAL, F_COUNTRY, F_GIVEN, F_O, F_OU, F_EMAIL };

static const struct {
	enum field field;
	const char *value;
	const char *why_has; /* NULL: accepted */
} subject_cases[] = {
	{ F_CN, NULL, "CN" },
	{ F_CN, "", "CN" },
	{ F_CN, "bad \xff utf-8", "CN" },
	{ F_CN, "overlong \xc0\xaf", "CN" },
	{ F_CN, "surrogate \xed\xa0\x80", "CN" },
	{ F_CN, "tab\there", "CN" },
	{ F_CN, "del\x7f", "CN" },
	{ F_CN, "c1 \xc2\x85", "CN" },
	{ F_CN, "truncated \xd0", "CN" },
	{ F_SURNAME, "new\nline", "SURNAME" },
	{ F_GIVEN, "\x1b[31m", "GIVENNAME" },
	{ F_SERIAL, "123456789011", "SERIALNUMBER" },
	{ F_SERIAL, "IIN12345678901", "SERIALNUMBER" },
	{ F_SERIAL, "IIN1234567890111", "SERIALNUMBER" },
	{ F_SERIAL, "IIN12345678901a", "SERIALNUMBER" },
	{ F_SERIAL, "iin123456789011", "SERIALNUMBER" },
	{ F_SERIAL, "IIN123456789011", NULL },
	{ F_COUNTRY, "kz", "C " },
	{ F_COUNTRY, "KAZ", "C " },
	{ F_COUNTRY, "K", "C " },
	{ F_COUNTRY, "RU", NULL },
	{ F_OU, "BIN12345678902", "OU" },
	{ F_OU, "IIN123456789021", "OU" },
	{ F_O, "АО \"ТЕСТ\"", "O and OU" }, /* O without OU */
	{ F_EMAIL, "no-at.kz", "e-mail" },
	{ F_EMAIL, "two@@example.kz", "e-mail" },
	{ F_EMAIL, "a@b@c", "e-mail" },
	{ F_EMAIL, "@example.kz", "e-mail" },
	{ F_EMAIL, "user@", "e-mail" },
	{ F_EMAIL, "us er@example.kz", "e-mail" },
	{ F_EMAIL, "user@exa\tmple.kz", "e-mail" },
	{ F_EMAIL, "тест@example.kz", "e-mail" },
	{ F_EMAIL, "user+tag@example.kz", NULL },
	{ F_SURNAME, "", NULL }, /* empty optional fields are absent */
};

static void subject_set_field(struct csr_subject *s, enum field f, const char *v)
{
	switch (f) {
	case F_CN: s->common_name = v; break;
	case F_SURNAME: s->surname = v; break;
	case F_SERIAL: s->serial_number = v; break;
	case F_COUNTRY: s->country = v; break;
	case F_GIVEN: s->given_name = v; break;
	case F_O: s->organization = v; break;
	case F_OU: s->org_unit = v; break;
	case F_EMAIL: s->email = v; break;
	}
}

static void test_subject_rules(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(subject_cases); i++) {
		struct csr_subject s = person;
		const char *why = NULL;
		int ret;

		/* OU cases need the O that goes with them. */
		if (subject_cases[i].field == F_OU)
			s.organization = "АО \"ТЕСТ\"";
		subject_set_field(&s, subject_cases[i].field, subject_cases[i].value);
		ret = csr_subject_check(&s, &why);
		g_test_message("case %zu", i); /* values hold control characters */
		if (!subject_cases[i].why_has) {
			g_assert_cmpint(ret, ==, 0);
			g_assert_null(why);
			continue;
		}
		g_assert_cmpint(ret, ==, CSR_E_SUBJECT);
		g_assert_nonnull(why);
		g_assert_nonnull(strstr(why, subject_cases[i].why_has));
	}
	g_assert_cmpint(csr_subject_check(&employee, NULL), ==, 0);
	{
		struct csr_subject s = employee;
		const char *why = NULL;

		s.organization = NULL; /* OU without O */
		g_assert_cmpint(csr_subject_check(&s, &why), ==, CSR_E_SUBJECT);
		g_assert_nonnull(strstr(why, "O and OU"));
	}
}

/* The caps: 256 bytes per value, 254 per e-mail address. */
static void test_subject_caps(void)
{
	g_autofree char *v256 = g_strnfill(256, 'x'), *v257 = g_strnfill(257, 'x');
	/* 128 two-byte letters are 256 bytes. */
	g_autoptr(GString) cyr = g_string_new(NULL);
	g_autofree char *local = g_strnfill(64, 'a'), *dom = g_strnfill(254 - 64 - 1 - 3, 'b');
	g_autofree char *mail254 = g_strdup_printf("%s@%s.kz", local, dom);
	g_autofree char *mail255 = g_strdup_printf("%s@%sb.kz", local, dom);
	struct csr_subject s = person;

	for (int i = 0; i < 128; i++)
		g_string_append(cyr, "Ж");
	g_assert_cmpuint(strlen(mail254), ==, 254);
	s.common_name = v256;
	g_assert_cmpint(csr_subject_check(&s, NULL), ==, 0);
	s.common_name = cyr->str;
	g_assert_cmpint(csr_subject_check(&s, NULL), ==, 0);
	g_string_append(cyr, "Ж");
	g_assert_cmpint(csr_subject_check(&s, NULL), ==, CSR_E_SUBJECT);
	s.common_name = v257;
	g_assert_cmpint(csr_subject_check(&s, NULL), ==, CSR_E_SUBJECT);
	s.common_name = person.common_name;
	s.organization = v257;
	s.org_unit = "BIN123456789021";
	g_assert_cmpint(csr_subject_check(&s, NULL), ==, CSR_E_SUBJECT);
	s.organization = NULL;
	s.org_unit = NULL;
	s.email = mail254;
	g_assert_cmpint(csr_subject_check(&s, NULL), ==, 0);
	s.email = mail255;
	g_assert_cmpint(csr_subject_check(&s, NULL), ==, CSR_E_SUBJECT);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/csr/kzgost/generate", test_kzgost_generate);
	g_test_add_func("/csr/kzgost/pkcs8-nca", test_kzgost_pkcs8_nca);
	g_test_add_func("/csr/kzgost/spki-nca", test_kzgost_spki_nca);
	g_test_add_func("/csr/kzgost/sign-x509", test_kzgost_sign_x509);
	g_test_add_func("/csr/kzgost/sign-with-nca-key", test_kzgost_sign_with_nca_key);
	g_test_add_func("/csr/request/gost", test_csr_gost);
	g_test_add_func("/csr/request/rsa", test_csr_rsa);
	g_test_add_func("/csr/request/rsa-openssl-cli", test_csr_rsa_openssl_cli);
	g_test_add_func("/csr/request/options", test_csr_build_options);
	g_test_add_func("/csr/request/signer-ecdsa", test_csr_signer_ecdsa);
	g_test_add_func("/csr/request/signer-rsa-same", test_csr_signer_rsa_same);
	g_test_add_func("/csr/request/signer-gost-refusals", test_csr_signer_gost_and_refusals);
	g_test_add_func("/csr/key/id", test_key_id);
	g_test_add_func("/csr/key/pkcs8-round-trip", test_pkcs8_round_trip);
	g_test_add_func("/csr/key/pkcs8-refusals", test_pkcs8_refusals);
	g_test_add_func("/csr/key/matches-cert", test_matches_cert);
	g_test_add_func("/csr/subject/rules", test_subject_rules);
	g_test_add_func("/csr/subject/caps", test_subject_caps);
	return g_test_run();
}
