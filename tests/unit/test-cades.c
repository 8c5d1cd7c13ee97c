/* cades: CMS SignedData with CAdES-BES attributes. Every signature is
 * checked by a second implementation (the openssl command, as a user's
 * verifier would) and taken apart with OpenSSL's CMS parser to see the
 * attributes NCALayer's consumers look for. Keys and certificates come
 * from cms.mk (TEST_CMS_DIR). */
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <openssl/cms.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "daemon/crypto/cades.h"
#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/streebog.h"
#include "daemon/crypto/tsp.h"
#include "tests/unit/test-tsa.h"
#include "tests/unit/test-util.h"
#include "web/portal/sigcheck.h"

/* 2023-11-14 22:13:20 UTC */
#define SIGNING_TIME 1700000000
#define SIGNING_TIME_UTC "231114221320Z"

struct key {
	const char *name;
	enum signer_algorithm alg;
	EVP_PKEY *pkey;
	X509 *cert;
	STACK_OF(X509) *chain;
};

static X509 *ca_cert;
static struct key keys[] = {
	{ .name = "rsa", .alg = SIGNER_ALG_RSA_SHA256 },
	{ .name = "ec", .alg = SIGNER_ALG_ECDSA_SHA256 },
};

static char *cms_path(const char *name)
{
	return g_build_filename(TEST_CMS_DIR, name, NULL);
}

static X509 *load_cert(const char *name)
{
	g_autofree char *path = cms_path(name);
	FILE *f = fopen(path, "r");
	X509 *x;

	g_assert_nonnull(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	g_assert_nonnull(x);
	return x;
}

static void load_keys(void)
{
	ca_cert = load_cert("ca.pem");
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_autofree char *kn = g_strdup_printf("%s.key", keys[i].name);
		g_autofree char *cn = g_strdup_printf("%s.pem", keys[i].name);
		g_autofree char *path = cms_path(kn);
		FILE *f = fopen(path, "r");

		g_assert_nonnull(f);
		keys[i].pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		g_assert_nonnull(keys[i].pkey);
		keys[i].cert = load_cert(cn);
	}
	/* RSA sends the CA certificate along, ECDSA only its own. */
	keys[0].chain = sk_X509_new_null();
	sk_X509_push(keys[0].chain, ca_cert);
}

static void free_keys(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		EVP_PKEY_free(keys[i].pkey);
		X509_free(keys[i].cert);
		sk_X509_free(keys[i].chain);
	}
	X509_free(ca_cert);
}

static void signer_for(const struct key *k, struct signer *s)
{
	g_assert_cmpint(signer_init_pkey(s, k->pkey, k->cert), ==, 0);
	g_assert_cmpint(s->alg, ==, k->alg);
	s->chain = k->chain;
}

static void sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned n = 0;

	g_assert_cmpint(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), ==, 1);
	g_assert_cmpuint(n, ==, 32);
}

static const uint8_t *find(const uint8_t *hay, size_t hay_len, const void *needle, size_t n)
{
	return memmem(hay, hay_len, needle, n);
}

/* Run openssl cms -verify on der; content is the detached content (NULL
 * when attached). On success, the verified content must be expected. */
static bool openssl_verify(const uint8_t *der, size_t der_len, const void *content,
			   size_t content_len, const void *expected, size_t expected_len)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-cades-XXXXXX", &error);
	g_autofree char *in = NULL, *data = NULL, *out = NULL, *ca = cms_path("ca.pem");
	g_autofree char *err = NULL, *got = NULL;
	const char *argv[16];
	size_t argc = 0;
	gsize got_len = 0;
	int status = -1;
	bool ok;

	g_assert_no_error(error);
	in = g_build_filename(dir, "sig.der", NULL);
	data = g_build_filename(dir, "data", NULL);
	out = g_build_filename(dir, "out", NULL);
	g_assert_true(g_file_set_contents(in, (const char *)der, (gssize)der_len, NULL));
	argv[argc++] = TEST_OPENSSL;
	argv[argc++] = "cms";
	argv[argc++] = "-verify";
	argv[argc++] = "-binary";
	argv[argc++] = "-inform";
	argv[argc++] = "DER";
	argv[argc++] = "-in";
	argv[argc++] = in;
	argv[argc++] = "-CAfile";
	argv[argc++] = ca;
	argv[argc++] = "-out";
	argv[argc++] = out;
	if (content) {
		g_assert_true(g_file_set_contents(data, content, (gssize)content_len, NULL));
		argv[argc++] = "-content";
		argv[argc++] = data;
	}
	argv[argc] = NULL;
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
				   NULL, NULL, &err, &status, &error));
	g_assert_no_error(error);
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (ok) {
		g_assert_true(g_file_get_contents(out, &got, &got_len, NULL));
		g_assert_cmpmem(got, got_len, expected, expected_len);
	} else {
		g_test_message("openssl cms -verify: %s", err);
	}
	test_rm_rf(dir);
	return ok;
}

static const ASN1_TYPE *attribute(CMS_SignerInfo *si, int nid, int type)
{
	int i = CMS_signed_get_attr_by_NID(si, nid, -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *v;

	g_assert_cmpint(i, >=, 0);
	a = CMS_signed_get_attr(si, i);
	g_assert_cmpint(X509_ATTRIBUTE_count(a), ==, 1);
	v = X509_ATTRIBUTE_get0_type(a, 0);
	g_assert_nonnull(v);
	g_assert_cmpint(ASN1_TYPE_get(v), ==, type);
	return v;
}

/* Take der apart with OpenSSL's parser and check what a CAdES-BES
 * consumer looks at. digest is the SHA-256 the messageDigest must hold;
 * content is the encapsulated content, NULL when detached. */
static void check_structure(const uint8_t *der, size_t der_len, const struct key *k,
			    const uint8_t digest[32], const void *content, size_t content_len)
{
	static const uint8_t sha256_oid[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
					      0x65, 0x03, 0x04, 0x02, 0x01 };
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *certs;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING **pos;
	X509_ALGOR *dig = NULL, *sig = NULL;
	const ASN1_OBJECT *obj;
	const ASN1_TYPE *v;
	const void *pval;
	int ptype;
	uint8_t cert_hash[32];
	unsigned char *cert_der = NULL, *again = NULL;
	int cert_len, again_len;

	g_assert_nonnull(cms);
	g_assert_true(p == der + der_len);
	/* DER: OpenSSL re-encodes what it parsed into the very same bytes
	 * (SET OF order, minimal lengths). */
	again_len = i2d_CMS_ContentInfo(cms, &again);
	g_assert_cmpmem(again, again_len, der, der_len);
	OPENSSL_free(again);

	g_assert_cmpint(OBJ_obj2nid(CMS_get0_type(cms)), ==, NID_pkcs7_signed);
	g_assert_cmpint(OBJ_obj2nid(CMS_get0_eContentType(cms)), ==, NID_pkcs7_data);
	pos = CMS_get0_content(cms);
	if (content) {
		g_assert_true(pos && *pos);
		g_assert_cmpmem(ASN1_STRING_get0_data(*pos), ASN1_STRING_length(*pos), content,
				content_len);
		g_assert_false(CMS_is_detached(cms));
	} else {
		g_assert_true(!pos || !*pos);
		g_assert_true(CMS_is_detached(cms));
	}

	certs = CMS_get1_certs(cms);
	g_assert_cmpint(sk_X509_num(certs), ==, 1 + (k->chain ? sk_X509_num(k->chain) : 0));
	{
		bool found = false;

		for (int i = 0; i < sk_X509_num(certs); i++)
			found |= X509_cmp(sk_X509_value(certs, i), k->cert) == 0;
		g_assert_true(found);
	}
	sk_X509_pop_free(certs, X509_free);

	sis = CMS_get0_SignerInfos(cms);
	g_assert_cmpint(sk_CMS_SignerInfo_num(sis), ==, 1);
	si = sk_CMS_SignerInfo_value(sis, 0);
	g_assert_cmpint(CMS_SignerInfo_cert_cmp(si, k->cert), ==, 0);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	X509_ALGOR_get0(&obj, &ptype, &pval, dig);
	g_assert_cmpint(OBJ_obj2nid(obj), ==, NID_sha256);
	g_assert_cmpint(ptype, ==, V_ASN1_UNDEF);
	X509_ALGOR_get0(&obj, &ptype, &pval, sig);
	if (k->alg == SIGNER_ALG_RSA_SHA256) {
		g_assert_cmpint(OBJ_obj2nid(obj), ==, NID_sha256WithRSAEncryption);
		g_assert_cmpint(ptype, ==, V_ASN1_NULL);
	} else {
		g_assert_cmpint(OBJ_obj2nid(obj), ==, NID_ecdsa_with_SHA256);
		g_assert_cmpint(ptype, ==, V_ASN1_UNDEF);
	}

	g_assert_cmpint(CMS_signed_get_attr_count(si), ==, 4);
	v = attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT);
	g_assert_cmpint(OBJ_obj2nid(v->value.object), ==, NID_pkcs7_data);
	v = attribute(si, NID_pkcs9_signingTime, V_ASN1_UTCTIME);
	g_assert_cmpmem(v->value.utctime->data, v->value.utctime->length, SIGNING_TIME_UTC,
			strlen(SIGNING_TIME_UTC));
	v = attribute(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING);
	g_assert_cmpmem(v->value.octet_string->data, v->value.octet_string->length, digest, 32);

	/* signingCertificateV2: the SHA-256 of the signer's certificate,
	 * hashAlgorithm left at its DEFAULT, and OpenSSL's own ESS check
	 * (hash and issuerSerial) accepts it for this certificate. */
	v = attribute(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE);
	cert_len = i2d_X509(k->cert, &cert_der);
	g_assert_cmpint(cert_len, >, 0);
	sha256(cert_der, (size_t)cert_len, cert_hash);
	OPENSSL_free(cert_der);
	{
		const uint8_t *seq = v->value.sequence->data;
		size_t seq_len = (size_t)v->value.sequence->length;
		const unsigned char *q = seq;
		ESS_SIGNING_CERT_V2 *ss = d2i_ESS_SIGNING_CERT_V2(NULL, &q, (long)seq_len);
		STACK_OF(X509) *chain = sk_X509_new_null();
		uint8_t octets[2 + 32] = { 0x04, 0x20 };

		memcpy(octets + 2, cert_hash, 32);
		g_assert_nonnull(find(seq, seq_len, octets, sizeof(octets)));
		g_assert_null(find(seq, seq_len, sha256_oid, sizeof(sha256_oid)));
		g_assert_nonnull(ss);
		sk_X509_push(chain, k->cert);
		g_assert_cmpint(OSSL_ESS_check_signing_certs(NULL, ss, chain, 1), ==, 1);
		sk_X509_set(chain, 0, ca_cert);
		g_assert_cmpint(OSSL_ESS_check_signing_certs(NULL, ss, chain, 1), !=, 1);
		sk_X509_free(chain);
		ESS_SIGNING_CERT_V2_free(ss);
	}
	CMS_ContentInfo_free(cms);
}

enum mode {
	MODE_ATTACHED,
	MODE_DETACHED,
	MODE_DIGEST_GIVEN,
};

struct sign_case {
	const char *path;
	size_t key;
	enum mode mode;
};

static const struct sign_case sign_cases[] = {
	{ "/cades/rsa/attached", 0, MODE_ATTACHED },
	{ "/cades/rsa/detached", 0, MODE_DETACHED },
	{ "/cades/rsa/digest-given", 0, MODE_DIGEST_GIVEN },
	{ "/cades/ec/attached", 1, MODE_ATTACHED },
	{ "/cades/ec/detached", 1, MODE_DETACHED },
	{ "/cades/ec/digest-given", 1, MODE_DIGEST_GIVEN },
};

static void test_sign(gconstpointer data)
{
	const struct sign_case *c = data;
	const struct key *k = &keys[c->key];
	static const char document[] = "Құжат: документ для подписи\n";
	struct cades_options o = {
		.attached = c->mode == MODE_ATTACHED,
		.digest_given = c->mode == MODE_DIGEST_GIVEN,
		.signing_time = SIGNING_TIME,
	};
	size_t doc_len = strlen(document);
	uint8_t digest[32];
	struct signer s;
	uint8_t *der = NULL;
	size_t der_len = 0;
	bool attached = c->mode == MODE_ATTACHED;

	signer_for(k, &s);
	sha256(document, doc_len, digest);
	if (c->mode == MODE_DIGEST_GIVEN)
		g_assert_cmpint(cades_sign(&s, digest, sizeof(digest), &o, &der, &der_len), ==, 0);
	else
		g_assert_cmpint(cades_sign(&s, document, doc_len, &o, &der, &der_len), ==, 0);

	check_structure(der, der_len, k, digest, attached ? document : NULL, doc_len);

	/* The second implementation agrees; a changed byte of the content
	 * breaks the signature. For digest-given, the digest was SHA-256 of
	 * the document, so the document verifies as detached content. */
	if (attached) {
		uint8_t *at = (uint8_t *)find(der, der_len, document, doc_len);

		g_assert_true(openssl_verify(der, der_len, NULL, 0, document, doc_len));
		g_assert_nonnull(at);
		at[3] ^= 0x01;
		g_assert_false(openssl_verify(der, der_len, NULL, 0, document, doc_len));
	} else {
		g_autofree char *tampered = g_strdup(document);

		g_assert_true(openssl_verify(der, der_len, document, doc_len, document, doc_len));
		tampered[3] ^= 0x01;
		g_assert_false(openssl_verify(der, der_len, tampered, doc_len, document, doc_len));
	}
	free(der);
}

static void test_digest_size(void)
{
	struct signer s;
	struct cades_options o = { .digest_given = true, .attached = true };
	uint8_t digest[33] = { 0 };
	uint8_t *der = (uint8_t *)"untouched";
	size_t der_len = 12345;

	signer_for(&keys[0], &s);
	g_assert_cmpint(cades_sign(&s, digest, 31, &o, &der, &der_len), ==, CADES_E_DIGEST_SIZE);
	g_assert_cmpint(cades_sign(&s, digest, 33, &o, &der, &der_len), ==, CADES_E_DIGEST_SIZE);
	g_assert_cmpint(cades_sign(&s, NULL, 0, &o, &der, &der_len), ==, CADES_E_DIGEST_SIZE);
	g_assert_cmpstr((const char *)der, ==, "untouched");
	g_assert_cmpuint(der_len, ==, 12345);
	/* The right size is accepted, and the result is detached although
	 * attached was asked: there is no content to encapsulate. */
	g_assert_cmpint(cades_sign(&s, digest, 32, &o, &der, &der_len), ==, 0);
	{
		const unsigned char *p = der;
		CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);

		g_assert_nonnull(cms);
		g_assert_true(CMS_is_detached(cms));
		CMS_ContentInfo_free(cms);
	}
	free(der);
}

static void test_signing_time(void)
{
	struct signer s;
	struct cades_options o = { .signing_time = 2524608000 }; /* 2050-01-01 */
	uint8_t *der = NULL;
	size_t der_len = 0;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	const ASN1_TYPE *v;
	int day = 0, sec = 0;

	signer_for(&keys[1], &s);
	/* From 2050 on, signingTime is a GeneralizedTime (RFC 5652 §11.3). */
	g_assert_cmpint(cades_sign(&s, "x", 1, &o, &der, &der_len), ==, 0);
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	v = attribute(si, NID_pkcs9_signingTime, V_ASN1_GENERALIZEDTIME);
	g_assert_cmpmem(v->value.generalizedtime->data, v->value.generalizedtime->length,
			"20500101000000Z", 15);
	CMS_ContentInfo_free(cms);
	free(der);

	/* 0 means now. */
	o.signing_time = 0;
	g_assert_cmpint(cades_sign(&s, "x", 1, &o, &der, &der_len), ==, 0);
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	v = attribute(si, NID_pkcs9_signingTime, V_ASN1_UTCTIME);
	g_assert_cmpint(ASN1_TIME_diff(&day, &sec, NULL, v->value.utctime), ==, 1);
	g_assert_cmpint(day, ==, 0);
	g_assert_cmpint(ABS(sec), <, 300);
	CMS_ContentInfo_free(cms);
	free(der);
}

static void test_large(void)
{
	const size_t len = 20 * 1024 * 1024;
	g_autofree uint8_t *doc = g_malloc(len);
	struct signer s;
	struct cades_options o = { .attached = true, .signing_time = SIGNING_TIME };
	uint8_t digest[32];
	uint8_t *der = NULL;
	size_t der_len = 0;

	for (size_t i = 0; i < len; i++)
		doc[i] = (uint8_t)(i * 2654435761u >> 13);
	signer_for(&keys[0], &s);
	g_assert_cmpint(cades_sign(&s, doc, len, &o, &der, &der_len), ==, 0);
	g_assert_cmpuint(der_len, >, len);
	sha256(doc, len, digest);
	check_structure(der, der_len, &keys[0], digest, doc, len);
	g_assert_true(openssl_verify(der, der_len, NULL, 0, doc, len));
	free(der);
}

static void test_armour(void)
{
	static const uint8_t small[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	uint8_t big[100000];
	g_autofree char *pem = cades_pem(small, sizeof(small));
	g_autofree char *b64 = cades_base64(small, sizeof(small));
	g_autofree char *empty = cades_pem(NULL, 0);
	g_autofree char *expected = NULL;
	g_auto(GStrv) lines = NULL;

	g_assert_cmpstr(pem, ==, "-----BEGIN CMS-----\nMAMCAQE=\n-----END CMS-----\n");
	g_assert_cmpstr(b64, ==, "MAMCAQE=");
	g_assert_cmpstr(empty, ==, "-----BEGIN CMS-----\n-----END CMS-----\n");
	g_free(b64);
	b64 = cades_base64(NULL, 0);
	g_assert_cmpstr(b64, ==, "");

	/* Lines of exactly 64 characters, the last shorter; base64 on one
	 * line across the encoder's internal chunks. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + (i >> 8));
	for (size_t n = 95; n <= 97; n++) {
		g_autofree char *flat = g_base64_encode(big, n);
		GString *want = g_string_new("-----BEGIN CMS-----\n");
		size_t flat_len = strlen(flat);

		for (size_t off = 0; off < flat_len; off += 64) {
			g_string_append_len(want, flat + off, (gssize)MIN(64, flat_len - off));
			g_string_append_c(want, '\n');
		}
		g_string_append(want, "-----END CMS-----\n");
		g_free(pem);
		pem = cades_pem(big, n);
		g_assert_cmpstr(pem, ==, want->str);
		g_string_free(want, TRUE);
	}
	/* 97 bytes are 132 characters: 64, 64 and 4. */
	lines = g_strsplit(pem, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 6);
	g_assert_cmpuint(strlen(lines[1]), ==, 64);
	g_assert_cmpuint(strlen(lines[2]), ==, 64);
	g_assert_cmpuint(strlen(lines[3]), ==, 4);
	g_free(b64);
	b64 = cades_base64(big, sizeof(big));
	expected = g_base64_encode(big, sizeof(big));
	g_assert_cmpstr(b64, ==, expected);
	g_assert_null(strchr(b64, '\n'));
}

/* GOST 34.10-2015-512 with NCA's test key. OpenSSL cannot verify it, so
 * the second implementation is kzgost_verify() over the signed attributes
 * as OpenSSL's parser gives them back, re-encoded by OpenSSL. */
static int gost_sign_digest(void *ctx, const uint8_t *digest, size_t digest_len,
			    uint8_t **ret_sig, size_t *ret_sig_len)
{
	uint8_t *sig;
	int r;

	g_assert_cmpuint(digest_len, ==, KZGOST_DIGEST_SIZE);
	sig = OPENSSL_malloc(KZGOST_SIGNATURE_SIZE);
	g_assert_nonnull(sig);
	r = kzgost_sign(ctx, digest, sig);
	if (r != 0) {
		OPENSSL_free(sig);
		return r;
	}
	*ret_sig = sig;
	*ret_sig_len = KZGOST_SIGNATURE_SIZE;
	return 0;
}

static void check_oid(const X509_ALGOR *alg, const char *oid, int parameter_type)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;
	char text[64];

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	g_assert_cmpint(OBJ_obj2txt(text, sizeof(text), obj, 1), >, 0);
	g_assert_cmpstr(text, ==, oid);
	g_assert_cmpint(ptype, ==, parameter_type);
}

static void test_gost(void)
{
	static const char document[] = "ГОСТ құжаты\n";
	g_autofree char *path = g_build_filename(TEST_DATA_DIR, "gost",
		"person-valid-GOST512_d6d1e53515d516a7d95d399b668cf09011bf118d.p12", NULL);
	struct cades_options o = { .attached = true, .signing_time = SIGNING_TIME };
	uint8_t priv[KZGOST_PRIVATE_KEY_SIZE], pub[KZGOST_PUBLIC_KEY_SIZE];
	uint8_t digest[STREEBOG512_SIZE], tbs_digest[STREEBOG512_SIZE], cert_hash[STREEBOG512_SIZE];
	STACK_OF(X509) *extra = NULL;
	X509 *cert = NULL;
	struct signer s;
	uint8_t *der = NULL, *cert_der = NULL;
	size_t der_len = 0;
	int cert_len, r;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	X509_ALGOR *dig = NULL, *sig_alg = NULL;
	ASN1_OCTET_STRING *sig, **pos;
	const ASN1_TYPE *v;
	GByteArray *tbs;
	uint8_t octets[2 + STREEBOG512_SIZE] = { 0x04, 0x40 };

	if (!streebog512_backend()) {
		g_test_skip("no Streebog: OpenSSL's gost provider/engine "
			    "(libengine-gost-openssl) is not installed");
		return;
	}
	r = kzgost_p12_load(path, NULL, 0, "Qwerty12", priv, &cert, &extra);
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpint(kzgost_cert_public_key(cert, pub), ==, 0);
	s = (struct signer){
		.alg = SIGNER_ALG_GOST2015_512,
		.cert = cert,
		.chain = extra,
		.sign_digest = gost_sign_digest,
		.ctx = priv,
	};
	g_assert_cmpint(cades_sign(&s, document, strlen(document), &o, &der, &der_len), ==, 0);

	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	g_assert_nonnull(cms);
	{
		unsigned char *again = NULL;
		int again_len = i2d_CMS_ContentInfo(cms, &again);

		g_assert_cmpmem(again, again_len, der, der_len);
		OPENSSL_free(again);
	}
	pos = CMS_get0_content(cms);
	g_assert_true(pos && *pos);
	g_assert_cmpmem(ASN1_STRING_get0_data(*pos), ASN1_STRING_length(*pos), document,
			strlen(document));
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	g_assert_cmpint(CMS_SignerInfo_cert_cmp(si, cert), ==, 0);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig_alg);
	check_oid(dig, KZGOST_OID_STREEBOG_512, V_ASN1_UNDEF);
	check_oid(sig_alg, KZGOST_OID_SIGNATURE_512, V_ASN1_NULL);

	/* messageDigest is Streebog-512 of the content; signingCertificateV2
	 * names the certificate by its Streebog-512 with the algorithm
	 * written out (it is not the DEFAULT sha256). */
	g_assert_cmpint(streebog512(document, strlen(document), digest), ==, 0);
	v = attribute(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING);
	g_assert_cmpmem(v->value.octet_string->data, v->value.octet_string->length, digest,
			sizeof(digest));
	cert_len = i2d_X509(cert, &cert_der);
	g_assert_cmpint(streebog512(cert_der, (size_t)cert_len, cert_hash), ==, 0);
	OPENSSL_free(cert_der);
	memcpy(octets + 2, cert_hash, sizeof(cert_hash));
	v = attribute(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE);
	{
		static const uint8_t streebog_alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x83, 0x0e,
							0x03, 0x0a, 0x01, 0x03, 0x03 };
		const uint8_t *seq = v->value.sequence->data;
		size_t seq_len = (size_t)v->value.sequence->length;

		g_assert_nonnull(find(seq, seq_len, octets, sizeof(octets)));
		g_assert_nonnull(find(seq, seq_len, streebog_alg, sizeof(streebog_alg)));
	}

	/* The signature verifies over the signed attributes; a flipped bit
	 * in it does not. */
	tbs = sigcheck_signed_attrs_der(si);
	g_assert_nonnull(tbs);
	g_assert_cmpint(streebog512(tbs->data, tbs->len, tbs_digest), ==, 0);
	sig = CMS_SignerInfo_get0_signature(si);
	g_assert_cmpint(ASN1_STRING_length(sig), ==, KZGOST_SIGNATURE_SIZE);
	g_assert_cmpint(kzgost_verify(pub, tbs_digest, ASN1_STRING_get0_data(sig)), ==, 0);
	{
		uint8_t bad[KZGOST_SIGNATURE_SIZE];

		memcpy(bad, ASN1_STRING_get0_data(sig), sizeof(bad));
		bad[10] ^= 0x01;
		g_assert_cmpint(kzgost_verify(pub, tbs_digest, bad), ==, KZGOST_E_BAD_SIGNATURE);
	}
	g_byte_array_unref(tbs);

	/* digest_given wants the 64 bytes of Streebog-512. */
	o.digest_given = true;
	free(der);
	der = NULL;
	g_assert_cmpint(cades_sign(&s, digest, 32, &o, &der, &der_len), ==, CADES_E_DIGEST_SIZE);
	g_assert_cmpint(cades_sign(&s, digest, sizeof(digest), &o, &der, &der_len), ==, 0);

	CMS_ContentInfo_free(cms);
	free(der);
	X509_free(cert);
	sk_X509_pop_free(extra, X509_free);
	OPENSSL_cleanse(priv, sizeof(priv));
}

/* CAdES-T: the hook asks the stand-in TSA (test-tsa.h) through
 * tsp_timestamp(), with the signer's algorithm. */
struct timestamp_hook {
	const char *url;
	enum signer_algorithm alg;
	int calls;
	char *message;
};

static int timestamp_hook(void *ctx, const uint8_t *sig, size_t sig_len, uint8_t **ret_token,
			  size_t *ret_len)
{
	struct timestamp_hook *h = ctx;

	h->calls++;
	return tsp_timestamp(h->url, NULL, h->alg, sig, sig_len, 10, ret_token, ret_len,
			     &h->message);
}

static int garbage_hook(void *ctx, const uint8_t *sig, size_t sig_len, uint8_t **ret_token,
			size_t *ret_len)
{
	*ret_token = (uint8_t *)strdup("not DER");
	*ret_len = 7;
	return 0;
}

/* Run openssl with argv[1..] (argv[0] is set here) and return its stdout. */
static char *openssl_output(const char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;
	char *out = NULL;
	int status = -1;

	argv[0] = TEST_OPENSSL;
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
				   &err, &status, &error));
	g_assert_no_error(error);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		g_test_message("%s: %s", argv[1], err);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return out;
}

static void test_timestamp(void)
{
	static const char document[] = "Уақыт белгісі: CAdES-T\n";
	size_t doc_len = strlen(document);
	struct tsa t = { .mode = TSA_REPLY };
	struct timestamp_hook h = { .alg = SIGNER_ALG_RSA_SHA256 };
	struct cades_options o = {
		.signing_time = SIGNING_TIME,
		.timestamp = timestamp_hook,
		.timestamp_ctx = &h,
	};
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-cades-XXXXXX", &error);
	g_autofree char *cms_file = NULL, *token_file = NULL, *printed = NULL, *hex = NULL;
	g_autofree char *ca = tsa_path("ca.pem"), *tsa_cert = tsa_path("tsa.pem");
	g_autofree char *verified = NULL;
	uint8_t digest[32], sig_digest[32];
	struct signer s;
	uint8_t *der = NULL;
	size_t der_len = 0;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING *sig;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *v;
	PKCS7 *token;
	TS_TST_INFO *info;
	ASN1_OCTET_STRING *imprint;
	int i;

	g_assert_no_error(error);
	signer_for(&keys[0], &s);
	sha256(document, doc_len, digest);
	tsa_start(&t);
	h.url = t.url;
	g_assert_cmpint(cades_sign(&s, document, doc_len, &o, &der, &der_len), ==, 0);
	tsa_stop(&t);
	g_assert_null(t.error);
	g_assert_cmpint(h.calls, ==, 1);
	g_assert_null(h.message);

	/* Everything CAdES-BES has is still there and verifies. */
	check_structure(der, der_len, &keys[0], digest, NULL, 0);
	g_assert_true(openssl_verify(der, der_len, document, doc_len, document, doc_len));

	/* The unsigned attribute, as openssl prints it... */
	cms_file = g_build_filename(dir, "cades-t.der", NULL);
	g_assert_true(g_file_set_contents(cms_file, (const char *)der, (gssize)der_len, NULL));
	{
		const char *argv[] = { NULL, "cms", "-cmsout", "-print", "-noout", "-inform", "DER",
				       "-in", cms_file, NULL };

		printed = openssl_output(argv);
	}
	g_assert_nonnull(strstr(printed, "unsignedAttrs"));
	g_assert_nonnull(strstr(printed, "id-smime-aa-timeStampToken"));

	/* ...holds a token over the SHA-256 of the signature value's
	 * octets, which `openssl ts -verify` accepts. */
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	g_assert_nonnull(cms);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	g_assert_cmpint(CMS_unsigned_get_attr_count(si), ==, 1);
	i = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
	g_assert_cmpint(i, ==, 0);
	attr = CMS_unsigned_get_attr(si, i);
	g_assert_cmpint(X509_ATTRIBUTE_count(attr), ==, 1);
	v = X509_ATTRIBUTE_get0_type(attr, 0);
	g_assert_cmpint(ASN1_TYPE_get(v), ==, V_ASN1_SEQUENCE);
	p = v->value.sequence->data;
	token = d2i_PKCS7(NULL, &p, v->value.sequence->length);
	g_assert_nonnull(token);
	info = PKCS7_to_TS_TST_INFO(token);
	g_assert_nonnull(info);
	sig = CMS_SignerInfo_get0_signature(si);
	sha256(ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), sig_digest);
	imprint = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(info));
	g_assert_cmpmem(ASN1_STRING_get0_data(imprint), ASN1_STRING_length(imprint), sig_digest,
			sizeof(sig_digest));
	token_file = g_build_filename(dir, "token.der", NULL);
	g_assert_true(g_file_set_contents(token_file, (const char *)v->value.sequence->data,
					  v->value.sequence->length, NULL));
	hex = g_malloc0(2 * sizeof(sig_digest) + 1);
	for (size_t k = 0; k < sizeof(sig_digest); k++)
		g_snprintf(hex + 2 * k, 3, "%02x", sig_digest[k]);
	{
		const char *argv[] = { NULL, "ts", "-verify", "-digest", hex, "-in", token_file,
				       "-token_in", "-CAfile", ca, "-untrusted", tsa_cert, NULL };

		verified = openssl_output(argv);
	}
	g_assert_nonnull(strstr(verified, "Verification: OK"));
	TS_TST_INFO_free(info);
	PKCS7_free(token);
	CMS_ContentInfo_free(cms);
	free(der);
	tsa_clear(&t);

	/* The hook fails (nothing listens): CADES_E_TIMESTAMP, nothing
	 * returned, the details in the hook's ctx. */
	h = (struct timestamp_hook){ .alg = SIGNER_ALG_RSA_SHA256 };
	{
		g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/", tsa_closed_port());

		h.url = url;
		der = (uint8_t *)"untouched";
		der_len = 12345;
		g_assert_cmpint(cades_sign(&s, document, doc_len, &o, &der, &der_len), ==,
				CADES_E_TIMESTAMP);
		g_assert_cmpstr((const char *)der, ==, "untouched");
		g_assert_cmpuint(der_len, ==, 12345);
		g_assert_cmpint(h.calls, ==, 1);
		g_assert_nonnull(h.message);
		g_assert_nonnull(strstr(h.message, url));
		free(h.message);
	}

	/* A hook that hands back something that is not a token. */
	o.timestamp = garbage_hook;
	g_assert_cmpint(cades_sign(&s, document, doc_len, &o, &der, &der_len), ==, -EINVAL);
	g_assert_cmpstr((const char *)der, ==, "untouched");
	test_rm_rf(dir);
}

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	/* tsp.h: a TSA that hangs up must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	load_keys();
	for (size_t i = 0; i < G_N_ELEMENTS(sign_cases); i++)
		g_test_add_data_func(sign_cases[i].path, &sign_cases[i], test_sign);
	g_test_add_func("/cades/digest-size", test_digest_size);
	g_test_add_func("/cades/signing-time", test_signing_time);
	g_test_add_func("/cades/large-attached", test_large);
	g_test_add_func("/cades/armour", test_armour);
	g_test_add_func("/cades/gost", test_gost);
	g_test_add_func("/cades/timestamp", test_timestamp);
	r = g_test_run();
	free_keys();
	return r;
}
