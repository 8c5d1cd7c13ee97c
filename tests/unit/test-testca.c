/* testca: the test CA's folder, the certificates it issues (checked with
 * kzgost and OpenSSL against NCA's profile) and its command line. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tests/unit/test-enroll.h"
#include "daemon/crypto/csr.h"
#include "daemon/crypto/kzgost.h"
#include "tests/unit/test-util.h"
#include "web/testca/testca.h"

/* One CA for the issuing tests (made in main()). */
static struct testca *shared_ca;
static char *shared_dir;

static const struct csr_subject employee = {
	.common_name = "ТЕСТОВ ТЕСТ",
	.serial_number = "IIN123456789011",
	.organization = "АО \"ТЕСТ\"",
	.org_unit = "BIN123456789021",
};

/* ---- helpers ---- */

static X509_REQ *req_from_pem(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509_REQ *req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);

	BIO_free(bio);
	g_assert_nonnull(req);
	return req;
}

static X509_REQ *request_new(enum csr_algorithm alg, const struct csr_subject *s,
			     struct csr_key **ret_key)
{
	struct csr_key *k = NULL;
	g_autofree char *pem = NULL;

	g_assert_cmpint(csr_key_generate(alg, &k), ==, 0);
	g_assert_cmpint(csr_build(k, s, CSR_STORAGE_OID_PKCS12, &pem), ==, 0);
	if (ret_key)
		*ret_key = k;
	else
		csr_key_free(k);
	return req_from_pem(pem);
}

static X509 *issue(X509_REQ *req, enum testca_purpose purpose)
{
	const struct testca_options o = { .purpose = purpose };
	const char *why = NULL;
	X509 *cert = NULL;
	int ret = testca_issue(shared_ca, req, &o, &cert, &why);

	if (ret != 0)
		g_test_message("testca_issue: %d %s", ret, why ? why : "");
	g_assert_cmpint(ret, ==, 0);
	g_assert_nonnull(cert);
	return cert;
}

static X509_EXTENSION *ext_by_oid(X509 *x, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int i = X509_get_ext_by_OBJ(x, obj, -1);

	ASN1_OBJECT_free(obj);
	return i < 0 ? NULL : X509_get_ext(x, i);
}

static void assert_ext_der(X509 *x, const char *oid, int critical, const guint8 *der, size_t len)
{
	X509_EXTENSION *ext = ext_by_oid(x, oid);
	const ASN1_OCTET_STRING *v;

	g_assert_nonnull(ext);
	g_assert_cmpint(X509_EXTENSION_get_critical(ext), ==, critical);
	v = X509_EXTENSION_get_data(ext);
	g_assert_cmpmem(ASN1_STRING_get0_data(v), ASN1_STRING_length(v), der, len);
}

/* The policy OIDs, comma-separated; each must carry NCA's CPS URI. */
static char *policies_of(X509 *x)
{
	CERTIFICATEPOLICIES *pols = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	GString *s = g_string_new(NULL);

	g_assert_nonnull(pols);
	for (int i = 0; i < sk_POLICYINFO_num(pols); i++) {
		POLICYINFO *pi = sk_POLICYINFO_value(pols, i);
		POLICYQUALINFO *q;
		char buf[80];

		OBJ_obj2txt(buf, sizeof(buf), pi->policyid, 1);
		g_string_append_printf(s, "%s%s", i ? "," : "", buf);
		g_assert_cmpint(sk_POLICYQUALINFO_num(pi->qualifiers), ==, 1);
		q = sk_POLICYQUALINFO_value(pi->qualifiers, 0);
		g_assert_cmpint(OBJ_obj2nid(q->pqualid), ==, NID_id_qt_cps);
		g_assert_cmpstr((const char *)ASN1_STRING_get0_data(q->d.cpsuri), ==, "http://pki.gov.kz/cps");
	}
	CERTIFICATEPOLICIES_free(pols);
	return g_string_free(s, FALSE);
}

static char *eku_of(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	GString *s = g_string_new(NULL);

	g_assert_nonnull(eku);
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		char buf[80];

		OBJ_obj2txt(buf, sizeof(buf), sk_ASN1_OBJECT_value(eku, i), 1);
		g_string_append_printf(s, "%s%s", i ? "," : "", buf);
	}
	EXTENDED_KEY_USAGE_free(eku);
	return g_string_free(s, FALSE);
}

static char *hex(const guint8 *b, size_t n)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%02x", b[i]);
	return g_string_free(s, FALSE);
}

/* SKI = the key id of the request's key; serial = it with the top bit
 * cleared; AKI = the root's SKI. */
static void assert_key_ids(X509 *cert, const struct csr_key *k, X509 *root)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(cert);
	char id[41];
	g_autofree char *ski_hex = NULL;
	guint8 serial_want[20];
	BIGNUM *serial, *want;

	g_assert_cmpint(csr_key_id(k, id), ==, 0);
	g_assert_nonnull(ski);
	ski_hex = hex(ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski));
	g_assert_cmpstr(ski_hex, ==, id);
	g_assert_nonnull(aki);
	g_assert_cmpint(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(root)), ==, 0);

	memcpy(serial_want, ASN1_STRING_get0_data(ski), 20);
	serial_want[0] &= 0x7f;
	serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	want = BN_bin2bn(serial_want, 20, NULL);
	g_assert_cmpint(BN_cmp(serial, want), ==, 0);
	g_assert_false(BN_is_negative(serial));
	BN_free(serial);
	BN_free(want);
}

static void assert_common(X509 *cert, X509_REQ *req, X509 *root)
{
	g_assert_cmpint(X509_get_version(cert), ==, X509_VERSION_3);
	g_assert_cmpint(X509_NAME_cmp(X509_get_subject_name(cert), X509_REQ_get_subject_name(req)), ==, 0);
	g_assert_cmpint(X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(root)), ==, 0);
	/* No CA rights. */
	g_assert_cmpint(X509_check_ca(cert), ==, 0);
	assert_ext_der(cert, CSR_OID_KEY_STORE, 0, key_store_pkcs12_der, sizeof(key_store_pkcs12_der));
}

static bool chain_ok(X509 *root, X509 *cert)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok;

	g_assert_true(X509_STORE_add_cert(store, root));
	g_assert_true(X509_STORE_CTX_init(ctx, store, cert, NULL));
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		g_test_message("chain: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

static char *tmp_dir(void)
{
	g_autoptr(GError) error = NULL;
	char *d = g_dir_make_tmp("test-testca-XXXXXX", &error);

	g_assert_no_error(error);
	return d;
}

static char *file_text(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static mode_t file_mode(const char *dir, const char *name)
{
	g_autofree char *path = name ? g_build_filename(dir, name, NULL) : g_strdup(dir);
	GStatBuf st;

	g_assert_cmpint(g_stat(path, &st), ==, 0);
	return st.st_mode & 07777;
}

/* ---- the folder ---- */

static void test_create(void)
{
	g_autofree char *base = tmp_dir(), *dir = g_build_filename(base, "ca", NULL);
	struct testca *ca = NULL;
	X509 *gost, *rsa;
	char cn[128];

	g_assert_cmpint(testca_create(dir, "unit", &ca), ==, 0);
	g_assert_cmpuint(file_mode(dir, NULL), ==, 0700);
	g_assert_cmpuint(file_mode(dir, "root-gost.key"), ==, 0600);
	g_assert_cmpuint(file_mode(dir, "root-rsa.key"), ==, 0600);

	gost = testca_root(ca, CSR_ALG_GOST512);
	rsa = testca_root(ca, CSR_ALG_RSA2048);
	g_assert_true(kzgost_is_gost_cert(gost));
	g_assert_cmpint(kzgost_cert_verify_issued(gost, gost), ==, 0);
	g_assert_cmpint(X509_verify(rsa, X509_get0_pubkey(rsa)), ==, 1);
	X509_NAME_get_text_by_NID(X509_get_subject_name(gost), NID_commonName, cn, sizeof(cn));
	g_assert_cmpstr(cn, ==, "QOLTANBA TEST ROOT (GOST) unit");
	X509_NAME_get_text_by_NID(X509_get_subject_name(rsa), NID_commonName, cn, sizeof(cn));
	g_assert_cmpstr(cn, ==, "QOLTANBA TEST ROOT (RSA) unit");
	g_assert_cmpint(X509_check_ca(gost), ==, 1);
	g_assert_cmpint(X509_check_ca(rsa), ==, 1);
	/* The GOST key file is NCA's PKCS#8. */
	{
		g_autofree char *key = file_text(dir, "root-gost.key");

		g_assert_true(g_str_has_prefix(key, "-----BEGIN PRIVATE KEY-----\n"));
	}
	g_assert_null(testca_free(ca));
	g_assert_null(testca_free(NULL));
	test_rm_rf(base);
}

static void test_reopen_and_no_overwrite(void)
{
	g_autofree char *dir = tmp_dir();
	g_autofree char *before = NULL, *after = NULL;
	struct testca *ca = NULL, *again = NULL, *other = NULL;

	/* An existing empty folder is fine. */
	g_assert_cmpint(testca_create(dir, NULL, &ca), ==, 0);
	before = file_text(dir, "root-gost.key");

	g_assert_cmpint(testca_create(dir, NULL, &other), ==, TESTCA_E_EXISTS);
	g_assert_null(other);
	after = file_text(dir, "root-gost.key");
	g_assert_cmpstr(before, ==, after);

	g_assert_cmpint(testca_open(dir, &again), ==, 0);
	for (int alg = CSR_ALG_GOST512; alg <= CSR_ALG_RSA2048; alg++)
		g_assert_cmpint(X509_cmp(testca_root(ca, alg), testca_root(again, alg)), ==, 0);
	testca_free(ca);
	testca_free(again);
	test_rm_rf(dir);
}

static void test_open_failures(void)
{
	g_autofree char *dir = tmp_dir(), *gost_key = NULL, *rsa_key_path = NULL;
	struct testca *ca = NULL;

	g_assert_cmpint(testca_open(dir, &ca), ==, -ENOENT);
	g_assert_cmpint(testca_create(dir, NULL, &ca), ==, 0);
	ca = testca_free(ca);

	/* The GOST key where the RSA key should be. */
	gost_key = file_text(dir, "root-gost.key");
	rsa_key_path = g_build_filename(dir, "root-rsa.key", NULL);
	g_assert_true(g_file_set_contents(rsa_key_path, gost_key, -1, NULL));
	g_assert_cmpint(testca_open(dir, &ca), ==, TESTCA_E_CORRUPT);
	g_assert_true(g_file_set_contents(rsa_key_path, "garbage", -1, NULL));
	g_assert_cmpint(testca_open(dir, &ca), ==, TESTCA_E_CORRUPT);
	g_assert_null(ca);
	g_assert_cmpuint(ERR_peek_error(), ==, 0);
	test_rm_rf(dir);
}

/* ---- issuing ---- */

static void test_issue_gost(void)
{
	static const guint8 ku_nca[] = { 0x03, 0x02, 0x03, 0xc8 };
	struct csr_key *k = NULL;
	X509_REQ *req = request_new(CSR_ALG_GOST512, &person, &k);
	X509 *root = testca_root(shared_ca, CSR_ALG_GOST512), *cert = issue(req, TESTCA_PURPOSE_SIGN);
	g_autofree char *pols = policies_of(cert), *eku = eku_of(cert);
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	GENERAL_NAMES *san;

	g_assert_cmpint(kzgost_cert_verify_issued(root, cert), ==, 0);
	g_assert_cmpint(kzgost_cert_verify_issued(testca_root(shared_ca, CSR_ALG_GOST512), cert), ==, 0);
	X509_get0_signature(NULL, &alg, cert);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	g_assert_true(oid_is(obj, KZGOST_OID_SIGNATURE_512));
	g_assert_cmpint(csr_key_matches_cert(k, cert), ==, 0);
	assert_common(cert, req, root);
	assert_key_ids(cert, k, root);
	g_assert_cmpstr(pols, ==, "1.2.398.3.3.2");
	g_assert_cmpstr(eku, ==, "1.3.6.1.5.5.7.3.4,1.2.398.3.3.4.1.1");
	assert_ext_der(cert, "2.5.29.15", 1, ku_nca, sizeof(ku_nca));
	san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	g_assert_nonnull(san);
	g_assert_cmpint(sk_GENERAL_NAME_num(san), ==, 1);
	g_assert_cmpstr((const char *)ASN1_STRING_get0_data(sk_GENERAL_NAME_value(san, 0)->d.rfc822Name), ==,
			"test@example.kz");
	GENERAL_NAMES_free(san);
	/* Validity: now, one year. */
	{
		int days = 0, secs = 0;

		g_assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert)));
		g_assert_cmpint(days, ==, 365);
		g_assert_cmpint(X509_cmp_time(X509_get0_notBefore(cert), NULL), <=, 0);
		g_assert_cmpint(X509_cmp_time(X509_get0_notAfter(cert), NULL), >, 0);
	}
	X509_free(cert);
	X509_REQ_free(req);
	csr_key_free(k);
}

static void test_issue_gost_company(void)
{
	X509_REQ *req = request_new(CSR_ALG_GOST512, &employee, NULL);
	X509 *cert = issue(req, TESTCA_PURPOSE_BOTH);
	g_autofree char *eku = eku_of(cert);

	g_assert_cmpstr(eku, ==, "1.3.6.1.5.5.7.3.4,1.2.398.3.3.4.1.2,1.3.6.1.5.5.7.3.2");
	/* No e-mail in the request: no subjectAltName. */
	g_assert_null(ext_by_oid(cert, "2.5.29.17"));
	g_assert_cmpint(kzgost_cert_verify_issued(testca_root(shared_ca, CSR_ALG_GOST512), cert), ==, 0);
	X509_free(cert);
	X509_REQ_free(req);
}

static const struct {
	enum testca_purpose purpose;
	const char *policies;
	const char *eku;
	guint8 ku[4];
} rsa_cases[] = {
	{ TESTCA_PURPOSE_SIGN, "1.2.398.3.3.2.3", "1.3.6.1.5.5.7.3.4,1.2.398.3.3.4.1.1",
	  { 0x03, 0x02, 0x06, 0xc0 } },
	{ TESTCA_PURPOSE_AUTH, "1.2.398.3.3.2.4", "1.3.6.1.5.5.7.3.4,1.2.398.3.3.4.1.1,1.3.6.1.5.5.7.3.2",
	  { 0x03, 0x02, 0x05, 0xa0 } },
	{ TESTCA_PURPOSE_BOTH, "1.2.398.3.3.2.3,1.2.398.3.3.2.4",
	  "1.3.6.1.5.5.7.3.4,1.2.398.3.3.4.1.1,1.3.6.1.5.5.7.3.2", { 0x03, 0x02, 0x05, 0xe0 } },
};

static void test_issue_rsa(void)
{
	X509 *root = testca_root(shared_ca, CSR_ALG_RSA2048);

	for (size_t i = 0; i < G_N_ELEMENTS(rsa_cases); i++) {
		struct csr_key *k = NULL;
		X509_REQ *req = request_new(CSR_ALG_RSA2048, &person, &k);
		X509 *cert = issue(req, rsa_cases[i].purpose);
		g_autofree char *pols = policies_of(cert), *eku = eku_of(cert);

		g_test_message("purpose %d", rsa_cases[i].purpose);
		g_assert_cmpint(X509_verify(cert, X509_get0_pubkey(root)), ==, 1);
		g_assert_cmpint(X509_get_signature_nid(cert), ==, NID_sha256WithRSAEncryption);
		g_assert_true(chain_ok(root, cert));
		/* The GOST root did not sign it. */
		g_assert_cmpint(X509_verify(cert, X509_get0_pubkey(testca_root(shared_ca, CSR_ALG_GOST512))), !=, 1);
		ERR_clear_error();
		assert_common(cert, req, root);
		assert_key_ids(cert, k, root);
		g_assert_cmpstr(pols, ==, rsa_cases[i].policies);
		g_assert_cmpstr(eku, ==, rsa_cases[i].eku);
		assert_ext_der(cert, "2.5.29.15", 1, rsa_cases[i].ku, 4);
		X509_free(cert);
		X509_REQ_free(req);
		csr_key_free(k);
	}
}

static void test_issue_options(void)
{
	const struct testca_options o = { .not_before = 1700000000, .days = 10 };
	X509_REQ *req = request_new(CSR_ALG_RSA2048, &person, NULL);
	X509 *cert = NULL;
	const char *why = NULL;
	ASN1_TIME *t = ASN1_TIME_new();
	struct testca_options too_long = { .days = TESTCA_DAYS_MAX + 1 };

	g_assert_cmpint(testca_issue(shared_ca, req, &o, &cert, &why), ==, 0);
	g_assert_nonnull(ASN1_TIME_set(t, 1700000000));
	g_assert_cmpint(ASN1_TIME_compare(X509_get0_notBefore(cert), t), ==, 0);
	g_assert_nonnull(ASN1_TIME_set(t, 1700000000 + 10 * 86400));
	g_assert_cmpint(ASN1_TIME_compare(X509_get0_notAfter(cert), t), ==, 0);
	X509_free(cert);
	cert = NULL;
	g_assert_cmpint(testca_issue(shared_ca, req, &too_long, &cert, &why), ==, TESTCA_E_REQUEST);
	g_assert_nonnull(strstr(why, "36500"));
	g_assert_null(cert);
	ASN1_TIME_free(t);
	X509_REQ_free(req);
}

/* A request built by hand: any key, any extensions, signed or not. */
static X509_REQ *custom_request(EVP_PKEY *pkey, STACK_OF(X509_EXTENSION) *exts)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_REQ_get_subject_name(req);

	g_assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"x", -1, -1, 0));
	g_assert_true(X509_REQ_set_pubkey(req, pkey));
	if (exts)
		g_assert_true(X509_REQ_add_extensions(req, exts));
	g_assert_true(X509_REQ_sign(req, pkey, EVP_sha256()) > 0);
	return req;
}

static X509_EXTENSION *ext_from_der(const char *oid, const guint8 *der, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	g_assert_true(ASN1_OCTET_STRING_set(v, der, (int)len));
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, v);
	g_assert_nonnull(ext);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(v);
	return ext;
}

/* Only rfc822Name and dNSName of the SAN, only the storage OID of the
 * key-store extension are copied; other request extensions are dropped. */
static void test_issue_copies_only_allowed(void)
{
	/* SEQUENCE { 1.2.398.3.3.5.1.1, UTF8String "folder" } */
	static const guint8 key_store_folder[] = { 0x30, 0x12, 0x06, 0x08, 0x2a, 0x83, 0x0e, 0x03, 0x03,
						   0x05, 0x01, 0x01, 0x0c, 0x06, 'f',  'o',  'l',  'd',
						   'e',  'r' };
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509V3_CTX ctx;
	X509_REQ *req;
	X509 *cert;
	GENERAL_NAMES *san;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, NULL, NULL, NULL, NULL, 0);
	sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
							 "email:a@b.kz,URI:http://evil.example,DNS:host.kz,IP:127.0.0.1"));
	sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE"));
	sk_X509_EXTENSION_push(exts, ext_from_der(CSR_OID_KEY_STORE, key_store_folder, sizeof(key_store_folder)));
	req = custom_request(pkey, exts);
	cert = issue(req, TESTCA_PURPOSE_SIGN);

	san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	g_assert_cmpint(sk_GENERAL_NAME_num(san), ==, 2);
	g_assert_cmpint(sk_GENERAL_NAME_value(san, 0)->type, ==, GEN_EMAIL);
	g_assert_cmpint(sk_GENERAL_NAME_value(san, 1)->type, ==, GEN_DNS);
	GENERAL_NAMES_free(san);
	g_assert_cmpint(X509_check_ca(cert), ==, 0);
	g_assert_null(ext_by_oid(cert, "2.5.29.19"));
	assert_ext_der(cert, CSR_OID_KEY_STORE, 0, key_store_pkcs12_der, sizeof(key_store_pkcs12_der));

	X509_free(cert);
	X509_REQ_free(req);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	EVP_PKEY_free(pkey);
}

static int issue_fails(X509_REQ *req, const char *why_has)
{
	X509 *cert = NULL;
	const char *why = NULL;
	int ret = testca_issue(shared_ca, req, NULL, &cert, &why);

	g_assert_null(cert);
	if (ret == TESTCA_E_REQUEST) {
		g_assert_nonnull(why);
		g_test_message("refused: %s", why);
		g_assert_nonnull(strstr(why, why_has));
	}
	g_assert_cmpuint(ERR_peek_error(), ==, 0);
	return ret;
}

static X509_REQ *flip_signature_bit(X509_REQ *req)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_X509_REQ(req, &der);
	X509_REQ *bad;

	der[n - 5] ^= 0x10; /* inside the signature value */
	p = der;
	bad = d2i_X509_REQ(NULL, &p, n);
	g_assert_nonnull(bad);
	OPENSSL_free(der);
	return bad;
}

static void test_issue_refusals(void)
{
	for (int alg = CSR_ALG_GOST512; alg <= CSR_ALG_RSA2048; alg++) {
		X509_REQ *req = request_new(alg, &person, NULL), *bad = flip_signature_bit(req);

		g_assert_cmpint(issue_fails(bad, "signature"), ==, TESTCA_E_REQUEST);
		X509_REQ_free(bad);
		X509_REQ_free(req);
	}
	{
		EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
		EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		X509_REQ *r1 = custom_request(small, NULL), *r2 = custom_request(ec, NULL);

		g_assert_cmpint(issue_fails(r1, "2048"), ==, TESTCA_E_REQUEST);
		g_assert_cmpint(issue_fails(r2, "GOST 34.10-2015 512 or RSA"), ==, TESTCA_E_REQUEST);
		X509_REQ_free(r1);
		X509_REQ_free(r2);
		EVP_PKEY_free(small);
		EVP_PKEY_free(ec);
	}
	{
		/* No CN. */
		EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		X509_REQ *req = X509_REQ_new();

		X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "C", MBSTRING_UTF8,
					   (const unsigned char *)"KZ", -1, -1, 0);
		X509_REQ_set_pubkey(req, pkey);
		g_assert_true(X509_REQ_sign(req, pkey, EVP_sha256()) > 0);
		g_assert_cmpint(issue_fails(req, "CN"), ==, TESTCA_E_REQUEST);
		X509_REQ_free(req);
		EVP_PKEY_free(pkey);
	}
	{
		/* A key-store extension that is not SEQUENCE { OID … }. */
		static const guint8 junk[] = { 0x04, 0x01, 0x00 };
		EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_REQ *req;

		sk_X509_EXTENSION_push(exts, ext_from_der(CSR_OID_KEY_STORE, junk, sizeof(junk)));
		req = custom_request(pkey, exts);
		g_assert_cmpint(issue_fails(req, "1.2.398.3.3.5"), ==, TESTCA_E_REQUEST);
		X509_REQ_free(req);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		EVP_PKEY_free(pkey);
	}
}

static void test_issue_pem(void)
{
	struct csr_key *k = NULL;
	g_autofree char *csr = NULL, *cert_pem = NULL, *big = NULL;
	char *none = NULL;
	const char *why = NULL;
	X509 *cert;
	BIO *bio;

	g_assert_cmpint(csr_key_generate(CSR_ALG_GOST512, &k), ==, 0);
	g_assert_cmpint(csr_build(k, &person, CSR_STORAGE_OID_PKCS12, &csr), ==, 0);
	g_assert_cmpint(testca_issue_pem(shared_ca, csr, NULL, &cert_pem, &why), ==, 0);
	g_assert_true(g_str_has_prefix(cert_pem, "-----BEGIN CERTIFICATE-----\n"));
	bio = BIO_new_mem_buf(cert_pem, -1);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	g_assert_cmpint(kzgost_cert_verify_issued(testca_root(shared_ca, CSR_ALG_GOST512), cert), ==, 0);
	g_assert_cmpint(csr_key_matches_cert(k, cert), ==, 0);
	X509_free(cert);

	g_assert_cmpint(testca_issue_pem(shared_ca, "not a request", NULL, &none, &why), ==, TESTCA_E_REQUEST);
	g_assert_nonnull(strstr(why, "PEM"));
	/* The cap: a request padded past 64 KiB is refused before parsing. */
	big = g_strnfill(TESTCA_REQUEST_MAX + 1, '\n');
	memcpy(big, csr, strlen(csr));
	g_assert_cmpint(testca_issue_pem(shared_ca, big, NULL, &none, &why), ==, TESTCA_E_REQUEST);
	g_assert_nonnull(strstr(why, "64 KiB"));
	big[TESTCA_REQUEST_MAX] = '\0';
	g_assert_cmpint(testca_issue_pem(shared_ca, big, NULL, &none, &why), ==, 0);
	free(none);
	none = NULL;
	g_assert_cmpuint(ERR_peek_error(), ==, 0);
	csr_key_free(k);
}

/* ---- the command line ---- */

static int run_cli(const char *const *args, const char *input, char **ret_out, char **ret_err)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) p = NULL;
	g_autoptr(GBytes) in = input ? g_bytes_new(input, strlen(input)) : NULL;
	g_autoptr(GBytes) out = NULL, err = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	g_ptr_array_add(argv, (char *)TESTCA_CLI);
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	p = g_subprocess_newv((const char *const *)argv->pdata,
			      (in ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE) |
				      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
			      &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate(p, in, NULL, &out, &err, &error));
	g_assert_no_error(error);
	if (ret_out)
		*ret_out = g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
	if (ret_err)
		*ret_err = g_strndup(g_bytes_get_data(err, NULL), g_bytes_get_size(err));
	return g_subprocess_get_exit_status(p);
}

static void test_cli(void)
{
	g_autofree char *base = tmp_dir(), *dir = g_build_filename(base, "ca", NULL);
	g_autofree char *out = NULL, *err = NULL, *root_pem = NULL, *csr = NULL;
	struct csr_key *k = NULL;
	X509 *root, *cert;
	BIO *bio;

	g_assert_cmpint(run_cli((const char *[]){ "init", dir, NULL }, NULL, NULL, NULL), ==, 0);
	g_assert_cmpint(run_cli((const char *[]){ "init", dir, NULL }, NULL, NULL, &err), ==, 1);
	g_assert_nonnull(strstr(err, "already"));
	g_clear_pointer(&err, g_free);

	g_assert_cmpint(run_cli((const char *[]){ "root", dir, "rsa", NULL }, NULL, &root_pem, NULL), ==, 0);
	bio = BIO_new_mem_buf(root_pem, -1);
	root = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	g_assert_nonnull(root);

	g_assert_cmpint(csr_key_generate(CSR_ALG_RSA2048, &k), ==, 0);
	g_assert_cmpint(csr_build(k, &person, CSR_STORAGE_OID_PKCS12, &csr), ==, 0);
	g_assert_cmpint(run_cli((const char *[]){ "issue", dir, "--purpose", "auth", "--days", "10", NULL }, csr,
				&out, NULL),
			==, 0);
	bio = BIO_new_mem_buf(out, -1);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	g_assert_nonnull(cert);
	g_assert_true(chain_ok(root, cert));
	{
		g_autofree char *eku = eku_of(cert);
		int days = 0, secs = 0;

		g_assert_true(g_str_has_suffix(eku, ",1.3.6.1.5.5.7.3.2"));
		g_assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert)));
		g_assert_cmpint(days, ==, 10);
	}
	X509_free(cert);
	X509_free(root);

	/* A bad request: exit 1 and a reason; bad usage: exit 2. */
	g_assert_cmpint(run_cli((const char *[]){ "issue", dir, NULL }, "junk", NULL, &err), ==, 1);
	g_assert_nonnull(strstr(err, "PEM"));
	/* (No input: the program exits before reading it.) */
	g_assert_cmpint(run_cli((const char *[]){ "issue", dir, "--purpose", "x", NULL }, NULL, NULL, NULL), ==, 2);
	g_assert_cmpint(run_cli((const char *[]){ "issue", dir, "--days", "0", NULL }, NULL, NULL, NULL), ==, 2);
	g_assert_cmpint(run_cli((const char *[]){ "root", dir, "ec", NULL }, NULL, NULL, NULL), ==, 2);
	g_assert_cmpint(run_cli((const char *[]){ "frobnicate", dir, NULL }, NULL, NULL, NULL), ==, 2);
	csr_key_free(k);
	test_rm_rf(base);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	shared_dir = tmp_dir();
	g_assert_cmpint(testca_create(shared_dir, NULL, &shared_ca), ==, 0);

	g_test_add_func("/testca/create", test_create);
	g_test_add_func("/testca/reopen-no-overwrite", test_reopen_and_no_overwrite);
	g_test_add_func("/testca/open-failures", test_open_failures);
	g_test_add_func("/testca/issue/gost", test_issue_gost);
	g_test_add_func("/testca/issue/gost-company", test_issue_gost_company);
	g_test_add_func("/testca/issue/rsa", test_issue_rsa);
	g_test_add_func("/testca/issue/options", test_issue_options);
	g_test_add_func("/testca/issue/copies-only-allowed", test_issue_copies_only_allowed);
	g_test_add_func("/testca/issue/refusals", test_issue_refusals);
	g_test_add_func("/testca/issue/pem", test_issue_pem);
	g_test_add_func("/testca/cli", test_cli);
	ret = g_test_run();

	testca_free(shared_ca);
	test_rm_rf(shared_dir);
	g_free(shared_dir);
	return ret;
}
