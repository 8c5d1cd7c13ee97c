/* keyfilter and the ops helpers around it: each requirement a page can
 * set, checked on the generated test keys (tests/data/keys.mk) and on
 * NCA's GOST test chain; strict base64. */
#include <glib.h>
#include <string.h>

#include <openssl/pem.h>

#include "daemon/keystore/keyfilter.h"
#include "daemon/ops/work.h"

static X509 *cert(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	STACK_OF(X509) *sk = NULL;
	const char *files[] = { path, NULL };
	const char *bad = NULL;
	X509 *x;

	g_assert_cmpint(keyfilter_load_certs(files, &sk, &bad), ==, 0);
	g_assert_cmpint(sk_X509_num(sk), ==, 1);
	x = sk_X509_pop(sk);
	sk_X509_free(sk);
	return x;
}

static STACK_OF(X509) *cas(const char *dir, const char *name)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	sk_X509_push(sk, cert(dir, name));
	return sk;
}

static void test_requirements(void)
{
	X509 *rsa = cert(TEST_KEYS_DIR, "rsa.pem"), *org = cert(TEST_KEYS_DIR, "org.pem");
	X509 *auth = cert(TEST_KEYS_DIR, "auth.pem");
	X509 *expired = cert(TEST_KEYS_DIR, "expired.pem"), *revoked = cert(TEST_KEYS_DIR, "revoked.pem");
	STACK_OF(X509) *ca = cas(TEST_KEYS_DIR, "ca.pem"), *other = cas(TEST_KEYS_DIR, "other-ca.pem");
	STACK_OF(X509) *none = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = NULL;
	g_autofree char *crl = g_build_filename(TEST_KEYS_DIR, "crl.der", NULL);
	const char *crl_files[] = { crl, NULL }, *bad = NULL;
	const char *sign_oids[] = { "1.3.6.1.5.5.7.3.4", NULL }, *other_oids[] = { "1.2.3.4", NULL };

	g_assert_cmpint(keyfilter_load_crls(crl_files, &crls, &bad), ==, 0);
	const struct {
		X509 *cert;
		struct keyfilter f;
		enum keyfilter_miss want;
	} cases[] = {
		{ rsa, { .key_type = CERTINFO_KEY_TYPE_ANY }, KEYFILTER_OK },
		{ rsa, { .key_type = CERTINFO_KEY_TYPE_SIGNATURE }, KEYFILTER_OK },
		{ auth, { .key_type = CERTINFO_KEY_TYPE_SIGNATURE }, KEYFILTER_MISS_KEY_TYPE },
		{ auth, { .key_type = CERTINFO_KEY_TYPE_AUTHENTICATION }, KEYFILTER_OK },
		{ rsa, { .ext_key_usages = sign_oids }, KEYFILTER_OK },
		{ rsa, { .ext_key_usages = other_oids }, KEYFILTER_MISS_EXT_KEY_USAGE },
		{ rsa, { .iin = "123456789011" }, KEYFILTER_OK },
		{ rsa, { .iin = "123456789012" }, KEYFILTER_MISS_IIN },
		{ rsa, { .bin = "123456789021" }, KEYFILTER_MISS_BIN },
		{ org, { .bin = "123456789021" }, KEYFILTER_OK },
		{ rsa, { .serial = "1001" }, KEYFILTER_OK },
		{ rsa, { .serial = "001001" }, KEYFILTER_OK },
		{ rsa, { .serial = "1002" }, KEYFILTER_MISS_SERIAL },
		{ rsa, { .cas = ca }, KEYFILTER_OK },
		{ rsa, { .cas = other }, KEYFILTER_MISS_CHAIN },
		{ rsa, { .cas = none }, KEYFILTER_OK },
		{ expired, { 0 }, KEYFILTER_MISS_EXPIRED },
		{ expired, { .allow_expired = true }, KEYFILTER_OK },
		{ expired, { .now = 1590000000 /* 2020-05 */ }, KEYFILTER_OK },
		{ rsa, { .now = 1000000000 /* 2001 */ }, KEYFILTER_MISS_NOT_YET_VALID },
		{ revoked, { .crls = crls }, KEYFILTER_MISS_REVOKED },
		{ revoked, { .crls = crls, .allow_revoked = true }, KEYFILTER_OK },
		{ rsa, { .crls = crls }, KEYFILTER_OK },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		enum keyfilter_miss got = keyfilter_check(&cases[i].f, cases[i].cert, NULL);

		if (got != cases[i].want)
			g_error("case %zu: %s, expected %s", i, keyfilter_miss_text(got),
				keyfilter_miss_text(cases[i].want));
	}
	X509_free(rsa);
	X509_free(org);
	X509_free(auth);
	X509_free(expired);
	X509_free(revoked);
	sk_X509_pop_free(ca, X509_free);
	sk_X509_pop_free(other, X509_free);
	sk_X509_free(none);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
}

/* NCA's chain: root → NCA GOST 2022 test → person. OpenSSL cannot check
 * these signatures; keyfilter does it with NCA's GOST. */
static void test_gost_chain(void)
{
	g_autofree char *nca = g_build_filename(TEST_DATA_DIR, "nca", NULL);
	X509 *person = cert(nca, "person-valid.pem");
	STACK_OF(X509) *root = cas(nca, "root_test_gost_2022.cer");
	STACK_OF(X509) *inter = cas(nca, "nca_gost2022_test.cer");
	STACK_OF(X509) *rsa_ca = cas(TEST_KEYS_DIR, "ca.pem");
	struct keyfilter f = { .cas = inter, .allow_expired = true };

	g_assert_true(keyfilter_issued_by(sk_X509_value(inter, 0), person));
	g_assert_false(keyfilter_issued_by(sk_X509_value(root, 0), person));
	g_assert_cmpint(keyfilter_check(&f, person, NULL), ==, KEYFILTER_OK);
	/* To the root: only through the intermediate the key file carries. */
	f.cas = root;
	g_assert_cmpint(keyfilter_check(&f, person, NULL), ==, KEYFILTER_MISS_CHAIN);
	g_assert_cmpint(keyfilter_check(&f, person, inter), ==, KEYFILTER_OK);
	f.cas = rsa_ca;
	g_assert_cmpint(keyfilter_check(&f, person, inter), ==, KEYFILTER_MISS_CHAIN);
	X509_free(person);
	sk_X509_pop_free(root, X509_free);
	sk_X509_pop_free(inter, X509_free);
	sk_X509_pop_free(rsa_ca, X509_free);
}

static void test_load_errors(void)
{
	const char *missing[] = { "/nonexistent.pem", NULL }, *bad = NULL;
	g_autofree char *notcert = g_build_filename(TEST_KEYS_DIR, "crl.pem", NULL);
	const char *wrong[] = { notcert, NULL };
	const char *pems[] = { "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" };
	STACK_OF(X509) *sk = NULL;
	size_t index = 99;

	g_assert_cmpint(keyfilter_load_certs(missing, &sk, &bad), ==, -ENOENT);
	g_assert_cmpstr(bad, ==, "/nonexistent.pem");
	g_assert_cmpint(keyfilter_load_certs(wrong, &sk, &bad), ==, -EINVAL);
	g_assert_cmpint(keyfilter_parse_pems(pems, 1, &sk, &index), ==, -EINVAL);
	g_assert_cmpuint(index, ==, 0);
	g_assert_null(sk);
}

static void test_base64(void)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: refused */
	} cases[] = {
		{ "", "" },
		{ "TQ==", "M" },
		{ "TWE=", "Ma" },
		{ "TWFu", "Man" },
		{ "TWFu\r\nTWFu", "ManMan" },
		{ " T W F u ", "Man" },
		{ "TQ", NULL },
		{ "TQ=", NULL },
		{ "TQ===", NULL },
		{ "T===", NULL },
		{ "TQ==TQ==", NULL },
		{ "TW-u", NULL },
		{ "TW_u", NULL },
		{ "TWFu!", NULL },
		{ "=TWF", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint8_t *out = NULL;
		size_t len = 0;
		bool ok = ops_base64_decode(cases[i].in, &out, &len);

		if (!cases[i].out) {
			if (ok)
				g_error("\"%s\" was accepted", cases[i].in);
			continue;
		}
		g_assert_true(ok);
		g_assert_cmpmem(out, len, cases[i].out, strlen(cases[i].out));
		g_free(out);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/keyfilter/requirements", test_requirements);
	g_test_add_func("/keyfilter/gost-chain", test_gost_chain);
	g_test_add_func("/keyfilter/load-errors", test_load_errors);
	g_test_add_func("/ops/base64", test_base64);
	return g_test_run();
}
