/* certinfo over NCA's official GOST 2022 test certificates and over RSA
 * certificates made here with the key usages of NCA's RSA pairs. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "daemon/keystore/certinfo.h"

static X509 *load(const char *name)
{
	g_autofree char *path = g_build_filename(TEST_DATA_DIR, "nca", name, NULL);
	FILE *f = fopen(path, "r");
	X509 *cert;

	g_assert_nonnull(f);
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	if (!cert) {
		rewind(f);
		cert = d2i_X509_fp(f, NULL);
	}
	fclose(f);
	g_assert_nonnull(cert);
	return cert;
}

static void test_person(void)
{
	X509 *cert = load("person-valid.pem");
	struct certinfo info;

	g_assert_cmpint(certinfo_read(cert, &info), ==, 0);
	g_assert_cmpstr(info.subject_dn, ==,
			"CN=ТЕСТОВ ТЕСТ,SURNAME=ТЕСТОВ,SERIALNUMBER=IIN123456789011,C=KZ,G=ТЕСТОВИЧ");
	g_assert_cmpstr(info.subject_cn, ==, "ТЕСТОВ ТЕСТ");
	g_assert_cmpstr(info.issuer_dn, ==, "CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022,C=KZ");
	g_assert_cmpstr(info.issuer_cn, ==, "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022");
	g_assert_cmpstr(info.serial, ==, "56d1e53515d516a7d95d399b668cf09011bf118d");
	/* The key id names the file: GOST512_<key id>.p12. */
	g_assert_cmpstr(info.key_id, ==, "d6d1e53515d516a7d95d399b668cf09011bf118d");
	g_assert_cmpstr(info.authority_key_id, ==, "fad24b1ba3a0c961fe1ca8503e6aa2bb450db8a3");
	g_assert_cmpstr(info.iin, ==, "123456789011");
	g_assert_null(info.bin);
	g_assert_cmpstr(info.algorithm, ==, "GOST512");
	/* notBefore=Oct 17 07:39:44 2025 GMT */
	g_assert_cmpint(info.not_before_ms, ==, INT64_C(1760686784) * 1000);
	g_assert_cmpint(info.not_after_ms - info.not_before_ms, ==, INT64_C(365) * 86400 * 1000);
	/* One GOST 2015 key serves both purposes. */
	g_assert_true(certinfo_has_key_type(cert, CERTINFO_KEY_TYPE_SIGNATURE));
	g_assert_true(certinfo_has_key_type(cert, CERTINFO_KEY_TYPE_AUTHENTICATION));
	certinfo_clear(&info);
	X509_free(cert);
}

static void test_organisation(void)
{
	X509 *cert = load("treasury-client-valid.pem");
	struct certinfo info;
	const char *const sign_org[] = { "1.3.6.1.5.5.7.3.4", "1.2.398.3.3.4.1.2", NULL };
	const char *const person[] = { "1.2.398.3.3.4.1.1", NULL };
	const char *const none[] = { NULL };

	g_assert_cmpint(certinfo_read(cert, &info), ==, 0);
	g_assert_cmpstr(info.bin, ==, "123456789021");
	g_assert_cmpstr(info.iin, ==, "123456789011");
	g_assert_cmpstr(info.subject_dn, ==,
			"DC=ROLE02,CN=ТЕСТОВ ТЕСТ,SURNAME=ТЕСТОВ,SERIALNUMBER=IIN123456789011,C=KZ,"
			"O=АО \\\"ТЕСТ\\\",OU=BIN123456789021,BusinessCategory=KS01234,G=ТЕСТОВИЧ");
	g_assert_true(certinfo_has_ext_key_usages(cert, sign_org));
	g_assert_false(certinfo_has_ext_key_usages(cert, person));
	g_assert_true(certinfo_has_ext_key_usages(cert, none));
	g_assert_true(certinfo_has_ext_key_usages(cert, NULL));
	certinfo_clear(&info);
	X509_free(cert);
}

static void test_information_system(void)
{
	X509 *cert = load("information-system-valid.pem");
	struct certinfo info;

	g_assert_cmpint(certinfo_read(cert, &info), ==, 0);
	g_assert_cmpstr(info.subject_dn, ==,
			"UID=1.2.398.6.10.1.1,CN=ИС \\\"Тест\\\",C=KZ,O=АО \\\"ТЕСТ\\\",OU=BIN123456789021");
	g_assert_null(info.iin);
	g_assert_cmpstr(info.bin, ==, "123456789021");
	certinfo_clear(&info);
	X509_free(cert);
}

static void test_validity(void)
{
	X509 *cert = load("person-valid.pem");

	g_assert_true(certinfo_valid_at(cert, 1760686784 + 86400));
	g_assert_false(certinfo_valid_at(cert, 1760686784 - 86400));
	g_assert_false(certinfo_valid_at(cert, 1760686784 + 400 * 86400));
	X509_free(cert);
}

static void test_key_type_parse(void)
{
	g_assert_cmpint(certinfo_key_type_parse("SIGNATURE"), ==, CERTINFO_KEY_TYPE_SIGNATURE);
	g_assert_cmpint(certinfo_key_type_parse("AUTHENTICATION"), ==, CERTINFO_KEY_TYPE_AUTHENTICATION);
	/* Anything else means every key, as NCALayer does ("123", "ANY"). */
	g_assert_cmpint(certinfo_key_type_parse("123"), ==, CERTINFO_KEY_TYPE_ANY);
	g_assert_cmpint(certinfo_key_type_parse("signature"), ==, CERTINFO_KEY_TYPE_ANY);
	g_assert_cmpint(certinfo_key_type_parse(NULL), ==, CERTINFO_KEY_TYPE_ANY);
}

/* An RSA certificate with the extensions of NCA's RSA key pairs. */
static X509 *make_rsa(EVP_PKEY *key, const char *ku, const char *eku, long serial)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Test RSA", -1, -1, 0);
	X509_set_subject_name(c, n);
	X509_set_issuer_name(c, n);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, key);
	X509V3_set_ctx(&ctx, c, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, eku);
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	g_assert_cmpint(X509_sign(c, key, EVP_sha256()), >, 0);
	X509_NAME_free(n);
	return c;
}

static void test_rsa_pair_and_crl(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *auth = make_rsa(key, "critical,digitalSignature,keyEncipherment", "clientAuth", 7);
	X509 *sign = make_rsa(key, "critical,digitalSignature,nonRepudiation", "emailProtection", 8);
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	struct certinfo info;

	g_assert_true(certinfo_has_key_type(auth, CERTINFO_KEY_TYPE_AUTHENTICATION));
	g_assert_false(certinfo_has_key_type(auth, CERTINFO_KEY_TYPE_SIGNATURE));
	g_assert_true(certinfo_has_key_type(sign, CERTINFO_KEY_TYPE_SIGNATURE));
	g_assert_false(certinfo_has_key_type(sign, CERTINFO_KEY_TYPE_AUTHENTICATION));
	g_assert_true(certinfo_has_key_type(sign, CERTINFO_KEY_TYPE_ANY));
	g_assert_cmpint(certinfo_read(auth, &info), ==, 0);
	g_assert_cmpstr(info.algorithm, ==, "RSA");
	g_assert_cmpstr(info.serial, ==, "07");
	certinfo_clear(&info);

	/* A CRL of that issuer listing serial 8: the signing certificate is
	 * revoked, the other is not. */
	X509_CRL_set_issuer_name(crl, X509_get_issuer_name(sign));
	ASN1_INTEGER_set(serial, 8);
	X509_REVOKED_set_serialNumber(rev, serial);
	X509_CRL_add0_revoked(crl, rev);
	X509_CRL_sort(crl);
	g_assert_true(certinfo_revoked_by(sign, crl));
	g_assert_false(certinfo_revoked_by(auth, crl));
	{
		/* Same serial from another issuer does not count. */
		X509 *nca = load("person-valid.pem");

		g_assert_false(certinfo_revoked_by(nca, crl));
		X509_free(nca);
	}
	ASN1_INTEGER_free(serial);
	X509_CRL_free(crl);
	X509_free(auth);
	X509_free(sign);
	EVP_PKEY_free(key);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/certinfo/person", test_person);
	g_test_add_func("/certinfo/organisation", test_organisation);
	g_test_add_func("/certinfo/information-system", test_information_system);
	g_test_add_func("/certinfo/validity", test_validity);
	g_test_add_func("/certinfo/key-type-parse", test_key_type_parse);
	g_test_add_func("/certinfo/rsa-pair-and-crl", test_rsa_pair_and_crl);
	return g_test_run();
}
