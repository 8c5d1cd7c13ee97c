/* pkcs12_build_nca(): files in NCA's PKCS#12 layout, from the RSA test key
 * and from NCA's own GOST test key, read back by our loaders and by the
 * openssl program; the layout checker is first run on NCA's file itself. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "daemon/crypto/kzgost.h"
#include "daemon/keystore/pkcs12.h"
#include "tests/unit/test-util.h"

#define NCA_ALIAS    "d6d1e53515d516a7d95d399b668cf09011bf118d"
#define PERSON_P12   "person-valid-GOST512_" NCA_ALIAS ".p12"
#define NCA_PASSWORD "Qwerty12"
#define NEW_PASSWORD "N3w-Passw0rd"

/* --- layout --------------------------------------------------------------- */

static void check_pbe(const X509_ALGOR *alg, int nid)
{
	const ASN1_OBJECT *obj;
	const void *param;
	int ptype;
	PBEPARAM *pbe;

	X509_ALGOR_get0(&obj, &ptype, &param, alg);
	g_assert_cmpstr(OBJ_nid2ln(OBJ_obj2nid(obj)), ==, OBJ_nid2ln(nid));
	g_assert_cmpint(ptype, ==, V_ASN1_SEQUENCE);
	pbe = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM),
					&(ASN1_TYPE){ .type = ptype, .value.sequence = (void *)param });
	g_assert_nonnull(pbe);
	g_assert_cmpint(pbe->salt->length, ==, PKCS12_NCA_SALT_LEN);
	g_assert_cmpint(ASN1_INTEGER_get(pbe->iter), ==, PKCS12_NCA_ITERATIONS);
	PBEPARAM_free(pbe);
}

static void check_ids(const PKCS12_SAFEBAG *bag, const char *alias)
{
	const STACK_OF(X509_ATTRIBUTE) *attrs = PKCS12_SAFEBAG_get0_attrs(bag);
	const ASN1_TYPE *id = PKCS12_get_attr_gen(attrs, NID_localKeyID);
	const ASN1_TYPE *name = PKCS12_get_attr_gen(attrs, NID_friendlyName);
	g_autofree char *hex = NULL;
	char *utf8;

	g_assert_cmpint(sk_X509_ATTRIBUTE_num(attrs), ==, 2);
	g_assert_nonnull(id);
	g_assert_cmpint(id->type, ==, V_ASN1_OCTET_STRING);
	hex = g_malloc0(2 * (gsize)id->value.octet_string->length + 1);
	for (int i = 0; i < id->value.octet_string->length; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", id->value.octet_string->data[i]);
	g_assert_cmpstr(hex, ==, alias);
	g_assert_nonnull(name);
	g_assert_cmpint(name->type, ==, V_ASN1_BMPSTRING);
	utf8 = PKCS12_get_friendlyname((PKCS12_SAFEBAG *)bag);
	g_assert_cmpstr(utf8, ==, alias);
	OPENSSL_free(utf8);
}

static void check_mac(const PKCS12 *p12)
{
	const ASN1_OCTET_STRING *mac, *salt;
	const X509_ALGOR *alg;
	const ASN1_INTEGER *iter;
	const ASN1_OBJECT *obj;

	PKCS12_get0_mac(&mac, &alg, &salt, &iter, p12);
	g_assert_nonnull(alg);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	g_assert_cmpint(OBJ_obj2nid(obj), ==, NID_sha1);
	g_assert_cmpint(mac->length, ==, 20);
	g_assert_cmpint(salt->length, ==, PKCS12_NCA_SALT_LEN);
	g_assert_cmpint(ASN1_INTEGER_get(iter), ==, PKCS12_NCA_ITERATIONS);
}

static void check_key_safe(PKCS7 *p7, const char *alias)
{
	STACK_OF(PKCS12_SAFEBAG) *bags;
	const PKCS12_SAFEBAG *bag;
	const X509_ALGOR *alg;

	g_assert_true(PKCS7_type_is_data(p7));
	bags = PKCS12_unpack_p7data(p7);
	g_assert_cmpint(sk_PKCS12_SAFEBAG_num(bags), ==, 1);
	bag = sk_PKCS12_SAFEBAG_value(bags, 0);
	g_assert_cmpint(PKCS12_SAFEBAG_get_nid(bag), ==, NID_pkcs8ShroudedKeyBag);
	X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, NULL);
	check_pbe(alg, NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
	check_ids(bag, alias);
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
}

static void check_cert_safe(PKCS7 *p7, const char *password, const char *alias, int n_chain)
{
	STACK_OF(PKCS12_SAFEBAG) *bags;

	g_assert_true(PKCS7_type_is_encrypted(p7));
	check_pbe(p7->d.encrypted->enc_data->algorithm, NID_pbe_WithSHA1And40BitRC2_CBC);
	bags = PKCS12_unpack_p7encdata(p7, password, -1);
	g_assert_nonnull(bags);
	g_assert_cmpint(sk_PKCS12_SAFEBAG_num(bags), ==, 1 + n_chain);
	for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, i);

		g_assert_cmpint(PKCS12_SAFEBAG_get_nid(bag), ==, NID_certBag);
		if (i == 0)
			check_ids(bag, alias);
		else
			g_assert_cmpint(sk_X509_ATTRIBUTE_num(PKCS12_SAFEBAG_get0_attrs(bag)), <=, 0);
	}
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
}

/* NCA's layout (ncalayer-protocol.md §10.4), checked structure by structure. */
static void check_layout(const void *der, size_t len, const char *password, const char *alias,
			 int n_chain)
{
	const unsigned char *p = der;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
	STACK_OF(PKCS7) *safes;

	g_assert_nonnull(p12);
	g_assert_cmpint(PKCS12_verify_mac(p12, password, -1), ==, 1);
	check_mac(p12);
	safes = PKCS12_unpack_authsafes(p12);
	g_assert_cmpint(sk_PKCS7_num(safes), ==, 2);
	check_key_safe(sk_PKCS7_value(safes, 0), alias);
	check_cert_safe(sk_PKCS7_value(safes, 1), password, alias, n_chain);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(p12);
}

static GBytes *read_file(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;
	char *data;
	gsize len;

	g_file_get_contents(path, &data, &len, &error);
	g_assert_no_error(error);
	return g_bytes_new_take(data, len);
}

/* The checker against NCA's own file: what we compare with is NCA's. */
static void test_nca_layout(void)
{
	g_autofree char *dir = g_build_filename(TEST_DATA_DIR, "gost", NULL);
	g_autoptr(GBytes) p12 = read_file(dir, PERSON_P12);
	gsize len;
	const void *der = g_bytes_get_data(p12, &len);

	check_layout(der, len, NCA_PASSWORD, NCA_ALIAS, 0);
}

/* --- the openssl program -------------------------------------------------- */

/* Runs `openssl pkcs12 -legacy <args> -in <file> -passin pass:<password>`;
 * false (the test skipped) if there is no openssl program. */
static bool run_openssl(const void *der, size_t len, const char *password, const char *args,
			char **ret_out, char **ret_err)
{
	const char *openssl = g_getenv("OPENSSL") ? g_getenv("OPENSSL") : "openssl";
	g_autofree char *dir = g_dir_make_tmp("qoltanba-p12w-XXXXXX", NULL);
	g_autofree char *file = g_build_filename(dir, "key.p12", NULL);
	g_autofree char *pass = g_strconcat("pass:", password, NULL);
	g_auto(GStrv) extra = g_strsplit(args, " ", -1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	int status;

	g_assert_true(g_file_set_contents(file, der, (gssize)len, NULL));
	g_ptr_array_add(argv, (char *)openssl);
	g_ptr_array_add(argv, "pkcs12");
	g_ptr_array_add(argv, "-legacy");
	for (char **a = extra; *a; a++)
		g_ptr_array_add(argv, *a);
	g_ptr_array_add(argv, "-in");
	g_ptr_array_add(argv, file);
	g_ptr_array_add(argv, "-passin");
	g_ptr_array_add(argv, pass);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, ret_out,
			  ret_err, &status, &error)) {
		g_autofree char *why = g_strdup_printf("cannot run %s: %s", openssl, error->message);

		g_test_skip(why);
		test_rm_rf(dir);
		return false;
	}
	test_rm_rf(dir);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return true;
}

/* What `openssl pkcs12 -info -noout` says of NCA's files. */
static void check_openssl_info(const void *der, size_t len, const char *password, int n_chain)
{
	g_autofree char *out = NULL, *err = NULL;
	g_autoptr(GString) want = g_string_new("MAC: sha1, Iteration 1024\n"
					       "MAC length: 20, salt length: 20\n"
					       "PKCS7 Data\n"
					       "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, "
					       "Iteration 1024\n"
					       "PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, "
					       "Iteration 1024\n"
					       "Certificate bag\n");

	for (int i = 0; i < n_chain; i++)
		g_string_append(want, "Certificate bag\n");
	if (!run_openssl(der, len, password, "-info -noout", &out, &err))
		return;
	g_assert_cmpstr(err, ==, want->str);
}

static int count(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* `openssl pkcs12 -nodes` decrypts the key; the bag attributes it prints
 * carry the alias on the key and on its certificate. */
static void check_openssl_key(const void *der, size_t len, const char *password, EVP_PKEY *want,
			      const char *alias, const char *key_id_text)
{
	g_autofree char *out = NULL, *err = NULL;
	g_autofree char *name = g_strconcat("friendlyName: ", alias, "\n", NULL);
	g_autofree char *id = g_strconcat("localKeyID: ", key_id_text, "\n", NULL);
	BIO *bio;
	EVP_PKEY *got;

	if (!run_openssl(der, len, password, "-nodes", &out, &err))
		return;
	g_assert_cmpint(count(out, name), ==, 2);
	g_assert_cmpint(count(out, id), ==, 2);
	bio = BIO_new_mem_buf(out, -1);
	got = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	g_assert_nonnull(got);
	g_assert_cmpint(EVP_PKEY_eq(got, want), ==, 1);
	EVP_PKEY_free(got);
	BIO_free(bio);
}

/* --- RSA ------------------------------------------------------------------ */

static struct pkcs12_key *load_test_key(const char *name)
{
	g_autofree char *path = g_build_filename(TEST_KEYS_DIR, name, NULL);
	struct pkcs12_key *k = NULL;

	g_assert_cmpint(pkcs12_key_load(path, "Qwerty12", &k), ==, 0);
	return k;
}

static char *key_id_text(const char *alias)
{
	GString *s = g_string_new(NULL);

	for (const char *p = alias; *p; p += 2)
		g_string_append_printf(s, "%c%c ", g_ascii_toupper(p[0]), g_ascii_toupper(p[1]));
	return g_string_free(s, FALSE);
}

static void test_rsa(void)
{
	struct pkcs12_key *orig = load_test_key("rsa.p12");
	struct pkcs12_key *back = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(orig->pkey);
	g_autofree char *id_text = key_id_text(orig->alias);
	STACK_OF(X509) *chain = sk_X509_new_null();
	uint8_t *der = NULL;
	size_t len = 0;

	g_assert_cmpuint(strlen(orig->alias), ==, PKCS12_NCA_ALIAS_LEN);
	g_assert_cmpint(sk_X509_num(orig->chain), ==, 1);
	/* A chain that repeats the certificate: the copy is left out. */
	sk_X509_push(chain, orig->cert);
	sk_X509_push(chain, sk_X509_value(orig->chain, 0));
	g_assert_cmpint(pkcs12_build_nca(p8, orig->cert, chain, orig->alias, NEW_PASSWORD, &der, &len),
			==, 0);
	check_layout(der, len, NEW_PASSWORD, orig->alias, 1);

	g_assert_cmpint(pkcs12_key_load_mem(der, len, NEW_PASSWORD, &back), ==, 0);
	g_assert_cmpint(back->alg, ==, SIGNER_ALG_RSA_SHA256);
	g_assert_cmpstr(back->alias, ==, orig->alias);
	g_assert_cmpint(EVP_PKEY_eq(back->pkey, orig->pkey), ==, 1);
	g_assert_cmpint(X509_cmp(back->cert, orig->cert), ==, 0);
	g_assert_cmpint(sk_X509_num(back->chain), ==, 1);
	g_assert_cmpint(X509_cmp(sk_X509_value(back->chain, 0), sk_X509_value(orig->chain, 0)), ==, 0);
	pkcs12_key_free(back);
	back = NULL;
	g_assert_cmpint(pkcs12_key_load_mem(der, len, "Qwerty12", &back), ==, PKCS12_E_BAD_PASSWORD);
	g_assert_null(back);

	check_openssl_info(der, len, NEW_PASSWORD, 1);
	check_openssl_key(der, len, NEW_PASSWORD, orig->pkey, orig->alias, id_text);

	OPENSSL_free(der);
	sk_X509_free(chain);
	PKCS8_PRIV_KEY_INFO_free(p8);
	pkcs12_key_free(orig);
}

/* --- GOST ----------------------------------------------------------------- */

/* The decrypted PKCS#8 and the certificate of NCA's file, taken apart by
 * hand: OpenSSL's PKCS12_parse() cannot read the GOST key. */
static void nca_parts(PKCS8_PRIV_KEY_INFO **ret_p8, X509 **ret_cert)
{
	g_autofree char *dir = g_build_filename(TEST_DATA_DIR, "gost", NULL);
	g_autoptr(GBytes) file = read_file(dir, PERSON_P12);
	gsize len;
	const unsigned char *p = g_bytes_get_data(file, &len);
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
	STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
	STACK_OF(PKCS12_SAFEBAG) *keys = PKCS12_unpack_p7data(sk_PKCS7_value(safes, 0));
	STACK_OF(PKCS12_SAFEBAG) *certs =
		PKCS12_unpack_p7encdata(sk_PKCS7_value(safes, 1), NCA_PASSWORD, -1);

	g_assert_nonnull(keys);
	g_assert_nonnull(certs);
	*ret_p8 = PKCS12_decrypt_skey(sk_PKCS12_SAFEBAG_value(keys, 0), NCA_PASSWORD, -1);
	*ret_cert = PKCS12_SAFEBAG_get1_cert(sk_PKCS12_SAFEBAG_value(certs, 0));
	g_assert_nonnull(*ret_p8);
	g_assert_nonnull(*ret_cert);
	sk_PKCS12_SAFEBAG_pop_free(keys, PKCS12_SAFEBAG_free);
	sk_PKCS12_SAFEBAG_pop_free(certs, PKCS12_SAFEBAG_free);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(p12);
}

static char *ski_hex(X509 *cert)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
	GString *s = g_string_new(NULL);

	g_assert_nonnull(ski);
	for (int i = 0; i < ski->length; i++)
		g_string_append_printf(s, "%02x", ski->data[i]);
	return g_string_free(s, FALSE);
}

static void test_gost(void)
{
	PKCS8_PRIV_KEY_INFO *p8;
	X509 *cert, *cert2 = NULL;
	g_autofree char *alias = NULL;
	g_autofree char *id_text = NULL;
	uint8_t d[KZGOST_PRIVATE_KEY_SIZE], d2[KZGOST_PRIVATE_KEY_SIZE];
	struct pkcs12_key *back = NULL;
	uint8_t *der = NULL;
	size_t len = 0;

	nca_parts(&p8, &cert);
	alias = ski_hex(cert);
	g_assert_cmpstr(alias, ==, NCA_ALIAS);
	id_text = key_id_text(alias);
	g_assert_cmpint(kzgost_pkcs8_private_key(p8, d), ==, 0);
	g_assert_cmpint(pkcs12_build_nca(p8, cert, NULL, alias, NEW_PASSWORD, &der, &len), ==, 0);
	check_layout(der, len, NEW_PASSWORD, alias, 0);

	g_assert_cmpint(pkcs12_key_load_mem(der, len, NEW_PASSWORD, &back), ==, 0);
	g_assert_cmpint(back->alg, ==, SIGNER_ALG_GOST2015_512);
	g_assert_cmpmem(back->gost, sizeof(back->gost), d, sizeof(d));
	g_assert_cmpint(X509_cmp(back->cert, cert), ==, 0);
	g_assert_cmpstr(back->alias, ==, NCA_ALIAS);
	pkcs12_key_free(back);

	g_assert_cmpint(kzgost_p12_load(NULL, der, len, NEW_PASSWORD, d2, &cert2, NULL), ==, 0);
	g_assert_cmpmem(d2, sizeof(d2), d, sizeof(d));
	g_assert_cmpint(X509_cmp(cert2, cert), ==, 0);
	X509_free(cert2);

	back = NULL;
	g_assert_cmpint(pkcs12_key_load_mem(der, len, NCA_PASSWORD, &back), ==, PKCS12_E_BAD_PASSWORD);
	g_assert_null(back);
	g_assert_cmpint(kzgost_p12_load(NULL, der, len, NCA_PASSWORD, d2, &cert2, NULL), ==,
			KZGOST_E_BAD_PASSWORD);

	check_openssl_info(der, len, NEW_PASSWORD, 0);

	OPENSSL_cleanse(d, sizeof(d));
	OPENSSL_cleanse(d2, sizeof(d2));
	OPENSSL_free(der);
	X509_free(cert);
	PKCS8_PRIV_KEY_INFO_free(p8);
}

/* --- refusals --------------------------------------------------------------- */

static void test_refusals(void)
{
	static const char *const bad_aliases[] = {
		"D6D1E53515D516A7D95D399B668CF09011BF118D", /* uppercase */
		"d6d1e53515d516a7d95d399b668cf09011bf118",  /* 39 */
		"d6d1e53515d516a7d95d399b668cf09011bf118dd", /* 41 */
		"g6d1e53515d516a7d95d399b668cf09011bf118d", /* not hex */
		"",
	};
	struct pkcs12_key *rsa = load_test_key("rsa.p12");
	struct pkcs12_key *other = load_test_key("other.p12");
	PKCS8_PRIV_KEY_INFO *rsa_p8 = EVP_PKEY2PKCS8(rsa->pkey);
	PKCS8_PRIV_KEY_INFO *gost_p8;
	X509 *gost_cert;
	uint8_t *der = NULL;
	size_t len = 0;

	nca_parts(&gost_p8, &gost_cert);
	for (size_t i = 0; i < G_N_ELEMENTS(bad_aliases); i++)
		g_assert_cmpint(pkcs12_build_nca(rsa_p8, rsa->cert, NULL, bad_aliases[i], "x", &der,
						 &len),
				==, -EINVAL);
	g_assert_cmpint(pkcs12_build_nca(rsa_p8, rsa->cert, NULL, NCA_ALIAS, NULL, &der, &len), ==,
			-EINVAL);
	/* A certificate that is not the key's would make a file no loader
	 * accepts. */
	g_assert_cmpint(pkcs12_build_nca(rsa_p8, other->cert, NULL, NCA_ALIAS, "x", &der, &len), ==,
			PKCS12_E_KEY_MISMATCH);
	g_assert_cmpint(pkcs12_build_nca(rsa_p8, gost_cert, NULL, NCA_ALIAS, "x", &der, &len), ==,
			PKCS12_E_KEY_MISMATCH);
	g_assert_cmpint(pkcs12_build_nca(gost_p8, rsa->cert, NULL, NCA_ALIAS, "x", &der, &len), ==,
			PKCS12_E_KEY_MISMATCH);
	g_assert_null(der);
	g_assert_cmpuint(len, ==, 0);
	g_assert_cmpint(ERR_peek_error(), ==, 0);

	X509_free(gost_cert);
	PKCS8_PRIV_KEY_INFO_free(gost_p8);
	PKCS8_PRIV_KEY_INFO_free(rsa_p8);
	pkcs12_key_free(other);
	pkcs12_key_free(rsa);
}

int main(int argc, char **argv)
{
	/* The test's own reading of RC2-40 bags (the code under test loads
	 * the providers it needs itself). */
	OSSL_PROVIDER *def = OSSL_PROVIDER_load(NULL, "default");
	OSSL_PROVIDER *legacy = OSSL_PROVIDER_load(NULL, "legacy");
	int r;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pkcs12-write/nca-layout", test_nca_layout);
	g_test_add_func("/pkcs12-write/rsa", test_rsa);
	g_test_add_func("/pkcs12-write/gost", test_gost);
	g_test_add_func("/pkcs12-write/refusals", test_refusals);
	r = g_test_run();
	OSSL_PROVIDER_unload(legacy);
	OSSL_PROVIDER_unload(def);
	return r;
}
