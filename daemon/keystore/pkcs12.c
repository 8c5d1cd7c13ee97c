#include "daemon/keystore/pkcs12.h"

#include <errno.h>
#include <stdlib.h>
#include <glib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "daemon/crypto/kzgost.h"
#include "util/cleanup.h"

/* NCA's files protect certificates with pbeWithSHA1And40BitRC2-CBC, which
 * OpenSSL 3 keeps in its legacy provider. Loading it also needs the
 * default provider loaded explicitly. Both stay loaded for the life of
 * the process and are let go at exit, before OpenSSL's own clean-up. */
static OSSL_PROVIDER *provider_default, *provider_legacy;

static void unload_providers(void)
{
	OSSL_PROVIDER_unload(provider_legacy);
	OSSL_PROVIDER_unload(provider_default);
}

static void load_providers(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		provider_default = OSSL_PROVIDER_load(NULL, "default");
		provider_legacy = OSSL_PROVIDER_load(NULL, "legacy");
		atexit(unload_providers);
		g_once_init_leave(&done, 1);
	}
}

struct pkcs12_key *pkcs12_key_free(struct pkcs12_key *key)
{
	if (!key)
		return NULL;
	g_free(key->alias);
	X509_free(key->cert);
	sk_X509_pop_free(key->chain, X509_free);
	EVP_PKEY_free(key->pkey);
	OPENSSL_cleanse(key->gost, sizeof(key->gost));
	g_free(key);
	return NULL;
}

static char *key_alias(X509 *cert)
{
	int len = 0;
	const unsigned char *name = X509_alias_get0(cert, &len);
	const ASN1_OCTET_STRING *skid;

	if (name && len > 0)
		return g_strndup((const char *)name, (gsize)len);
	skid = X509_get0_subject_key_id(cert);
	if (skid) {
		GString *s = g_string_new(NULL);

		for (int i = 0; i < skid->length; i++)
			g_string_append_printf(s, "%02x", skid->data[i]);
		return g_string_free(s, FALSE);
	}
	return g_strdup("");
}

static int load_gost(const void *der, size_t len, const char *password, struct pkcs12_key *key)
{
	int r = kzgost_p12_load(NULL, der, len, password, key->gost, &key->cert, &key->chain);

	switch (r) {
	case 0:
		key->alg = SIGNER_ALG_GOST2015_512;
		if (!key->chain)
			key->chain = sk_X509_new_null();
		return key->chain ? 0 : -ENOMEM;
	case KZGOST_E_BAD_PASSWORD:
		return PKCS12_E_BAD_PASSWORD;
	case KZGOST_E_NOT_GOST:
		return PKCS12_E_UNSUPPORTED;
	case KZGOST_E_CORRUPT:
	case KZGOST_E_BAD_KEY:
		return PKCS12_E_CORRUPT;
	default:
		return r < 0 ? r : PKCS12_E_UNSUPPORTED;
	}
}

int pkcs12_key_load_mem(const void *der, size_t len, const char *password,
			struct pkcs12_key **ret)
{
	const unsigned char *p = der;
	PKCS12 *p12;
	struct pkcs12_key *key;
	int r;

	if (len > PKCS12_MAX_FILE)
		return PKCS12_E_TOO_LARGE;
	load_providers();
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	if (!p12) {
		ERR_clear_error();
		return PKCS12_E_CORRUPT;
	}
	if (PKCS12_mac_present(p12) && PKCS12_verify_mac(p12, password, -1) != 1) {
		PKCS12_free(p12);
		ERR_clear_error();
		return PKCS12_E_BAD_PASSWORD;
	}

	key = g_new0(struct pkcs12_key, 1);
	if (PKCS12_parse(p12, password, &key->pkey, &key->cert, &key->chain) == 1 && key->pkey &&
	    key->cert) {
		switch (EVP_PKEY_get_base_id(key->pkey)) {
		case EVP_PKEY_RSA:
			key->alg = SIGNER_ALG_RSA_SHA256;
			r = 0;
			break;
		case EVP_PKEY_EC:
			key->alg = SIGNER_ALG_ECDSA_SHA256;
			r = 0;
			break;
		default:
			r = PKCS12_E_UNSUPPORTED;
			break;
		}
	} else {
		/* OpenSSL does not know NCA's GOST key algorithm and refuses
		 * the whole file: read it our way. */
		EVP_PKEY_free(key->pkey);
		X509_free(key->cert);
		sk_X509_pop_free(key->chain, X509_free);
		key->pkey = NULL;
		key->cert = NULL;
		key->chain = NULL;
		r = load_gost(der, len, password, key);
	}
	PKCS12_free(p12);
	ERR_clear_error();
	if (r != 0) {
		pkcs12_key_free(key);
		return r;
	}
	if (!key->chain)
		key->chain = sk_X509_new_null();
	key->alias = key_alias(key->cert);
	*ret = key;
	return 0;
}

int pkcs12_key_load(const char *path, const char *password, struct pkcs12_key **ret)
{
	g_autoptr(GMappedFile) file = g_mapped_file_new(path, FALSE, NULL);

	if (!file)
		return PKCS12_E_NOT_FOUND;
	if (g_mapped_file_get_length(file) > PKCS12_MAX_FILE)
		return PKCS12_E_TOO_LARGE;
	return pkcs12_key_load_mem(g_mapped_file_get_contents(file), g_mapped_file_get_length(file),
				   password, ret);
}

static int gost_sign_digest(void *ctx, const uint8_t *digest, size_t digest_len, uint8_t **ret_sig,
			    size_t *ret_sig_len)
{
	struct pkcs12_key *key = ctx;
	uint8_t *sig;
	int r;

	if (digest_len != KZGOST_DIGEST_SIZE)
		return -EINVAL;
	sig = OPENSSL_malloc(KZGOST_SIGNATURE_SIZE);
	if (!sig)
		return -ENOMEM;
	r = kzgost_sign(key->gost, digest, sig);
	if (r != 0) {
		OPENSSL_free(sig);
		return r < 0 ? r : SIGNER_E_FAILED;
	}
	*ret_sig = sig;
	*ret_sig_len = KZGOST_SIGNATURE_SIZE;
	return 0;
}

int pkcs12_key_signer(struct pkcs12_key *key, struct signer *ret)
{
	int r;

	if (key->alg == SIGNER_ALG_GOST2015_512) {
		*ret = (struct signer){
			.alg = SIGNER_ALG_GOST2015_512,
			.cert = key->cert,
			.chain = key->chain,
			.sign_digest = gost_sign_digest,
			.ctx = key,
		};
		return 0;
	}
	r = signer_init_pkey(ret, key->pkey, key->cert);
	if (r == 0)
		ret->chain = key->chain;
	return r;
}

/* Writing NCA's layout. */

DEFINE_POINTER_CLEANUP(PKCS12_free, PKCS12)
DEFINE_POINTER_CLEANUP(PKCS12_SAFEBAG_free, PKCS12_SAFEBAG)
DEFINE_POINTER_CLEANUP(EVP_PKEY_free, EVP_PKEY)
DEFINE_POINTER_CLEANUP(ASN1_OBJECT_free, ASN1_OBJECT)

static void safebags_freep(STACK_OF(PKCS12_SAFEBAG) **p)
{
	sk_PKCS12_SAFEBAG_pop_free(*p, PKCS12_SAFEBAG_free);
}

static void pkcs7s_freep(STACK_OF(PKCS7) **p)
{
	sk_PKCS7_pop_free(*p, PKCS7_free);
}

static int alias_to_id(const char *alias, uint8_t ret_id[PKCS12_NCA_ALIAS_LEN / 2])
{
	if (strlen(alias) != PKCS12_NCA_ALIAS_LEN)
		return -EINVAL;
	for (size_t i = 0; i < PKCS12_NCA_ALIAS_LEN; i++)
		if (!g_ascii_isdigit(alias[i]) && !(alias[i] >= 'a' && alias[i] <= 'f'))
			return -EINVAL;
	for (size_t i = 0; i < PKCS12_NCA_ALIAS_LEN / 2; i++)
		ret_id[i] = (uint8_t)(g_ascii_xdigit_value(alias[2 * i]) << 4 |
				      g_ascii_xdigit_value(alias[2 * i + 1]));
	return 0;
}

static int gost_key_matches(const PKCS8_PRIV_KEY_INFO *p8, X509 *cert)
{
	uint8_t d[KZGOST_PRIVATE_KEY_SIZE], pub[KZGOST_PUBLIC_KEY_SIZE],
		cert_pub[KZGOST_PUBLIC_KEY_SIZE];
	int r;

	r = kzgost_pkcs8_private_key(p8, d);
	if (r == 0)
		r = kzgost_public_from_private(d, pub);
	OPENSSL_cleanse(d, sizeof(d));
	if (r != 0)
		return r < 0 ? r : PKCS12_E_CORRUPT;
	if (kzgost_cert_public_key(cert, cert_pub) != 0 ||
	    CRYPTO_memcmp(pub, cert_pub, sizeof(pub)) != 0)
		return PKCS12_E_KEY_MISMATCH;
	return 0;
}

/* A key file whose certificate is not its key's would load nowhere (the
 * loaders pair key and certificate by public key): refuse to write it
 * rather than trade a pending key for an unusable file. */
static int key_matches_cert(const PKCS8_PRIV_KEY_INFO *p8, X509 *cert)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	const ASN1_OBJECT *alg = NULL;
	_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *gost = OBJ_txt2obj(KZGOST_OID_KEY_512, 1);

	if (!gost || !PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8))
		return -EIO;
	if (OBJ_cmp(alg, gost) == 0)
		return gost_key_matches(p8, cert);
	pkey = EVP_PKCS82PKEY(p8);
	if (!pkey)
		return PKCS12_E_UNSUPPORTED;
	return EVP_PKEY_eq(pkey, X509_get0_pubkey(cert)) == 1 ? 0 : PKCS12_E_KEY_MISMATCH;
}

static int bag_set_ids(PKCS12_SAFEBAG *bag, const uint8_t *id, const char *alias)
{
	if (!PKCS12_add_localkeyid(bag, (unsigned char *)id, PKCS12_NCA_ALIAS_LEN / 2) ||
	    !PKCS12_add_friendlyname_asc(bag, alias, -1))
		return -EIO;
	return 0;
}

static int push_bag(STACK_OF(PKCS12_SAFEBAG) *bags, PKCS12_SAFEBAG **bag)
{
	if (!sk_PKCS12_SAFEBAG_push(bags, *bag))
		return -ENOMEM;
	*bag = NULL;
	return 0;
}

static int push_safe(STACK_OF(PKCS7) *safes, PKCS7 *p7)
{
	if (!p7)
		return -EIO;
	if (!sk_PKCS7_push(safes, p7)) {
		PKCS7_free(p7);
		return -ENOMEM;
	}
	return 0;
}

static int add_key_safe(STACK_OF(PKCS7) *safes, const PKCS8_PRIV_KEY_INFO *p8, const uint8_t *id,
			const char *alias, const char *password)
{
	_cleanup_(safebags_freep) STACK_OF(PKCS12_SAFEBAG) *bags = sk_PKCS12_SAFEBAG_new_null();
	_cleanup_(PKCS12_SAFEBAG_freep) PKCS12_SAFEBAG *bag = NULL;
	int r;

	if (!bags)
		return -ENOMEM;
	/* The API takes a non-const p8 but only encrypts its encoding. */
	bag = PKCS12_SAFEBAG_create_pkcs8_encrypt_ex(NID_pbe_WithSHA1And3_Key_TripleDES_CBC, password,
						     -1, NULL, PKCS12_NCA_SALT_LEN,
						     PKCS12_NCA_ITERATIONS,
						     (PKCS8_PRIV_KEY_INFO *)p8, NULL, NULL);
	if (!bag)
		return -EIO;
	r = bag_set_ids(bag, id, alias);
	if (r == 0)
		r = push_bag(bags, &bag);
	if (r != 0)
		return r;
	return push_safe(safes, PKCS12_pack_p7data(bags));
}

static int add_cert_safe(STACK_OF(PKCS7) *safes, X509 *cert, STACK_OF(X509) *chain,
			 const uint8_t *id, const char *alias, const char *password)
{
	_cleanup_(safebags_freep) STACK_OF(PKCS12_SAFEBAG) *bags = sk_PKCS12_SAFEBAG_new_null();
	_cleanup_(PKCS12_SAFEBAG_freep) PKCS12_SAFEBAG *bag = NULL;
	int r;

	if (!bags)
		return -ENOMEM;
	bag = PKCS12_SAFEBAG_create_cert(cert);
	if (!bag)
		return -EIO;
	r = bag_set_ids(bag, id, alias);
	if (r == 0)
		r = push_bag(bags, &bag);
	for (int i = 0; r == 0 && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		if (X509_cmp(x, cert) == 0)
			continue;
		bag = PKCS12_SAFEBAG_create_cert(x);
		r = bag ? push_bag(bags, &bag) : -EIO;
	}
	if (r != 0)
		return r;
	/* PKCS12_add_safe_ex() would use an 8-byte salt; NCA's has 20. */
	return push_safe(safes, PKCS12_pack_p7encdata_ex(NID_pbe_WithSHA1And40BitRC2_CBC, password,
							 -1, NULL, PKCS12_NCA_SALT_LEN,
							 PKCS12_NCA_ITERATIONS, bags, NULL, NULL));
}

static int build_p12(const PKCS8_PRIV_KEY_INFO *p8, X509 *cert, STACK_OF(X509) *chain,
		     const uint8_t *id, const char *alias, const char *password, PKCS12 **ret)
{
	_cleanup_(pkcs7s_freep) STACK_OF(PKCS7) *safes = sk_PKCS7_new_null();
	_cleanup_(PKCS12_freep) PKCS12 *p12 = NULL;
	int r;

	if (!safes)
		return -ENOMEM;
	r = add_key_safe(safes, p8, id, alias, password);
	if (r == 0)
		r = add_cert_safe(safes, cert, chain, id, alias, password);
	if (r != 0)
		return r;
	p12 = PKCS12_add_safes_ex(safes, NID_pkcs7_data, NULL, NULL);
	if (!p12 || !PKCS12_set_mac(p12, password, -1, NULL, PKCS12_NCA_SALT_LEN,
				    PKCS12_NCA_ITERATIONS, EVP_sha1()))
		return -EIO;
	*ret = TAKE_PTR(p12);
	return 0;
}

int pkcs12_build_nca(const PKCS8_PRIV_KEY_INFO *p8, X509 *cert, STACK_OF(X509) *chain,
		     const char *alias, const char *password, uint8_t **ret_der, size_t *ret_len)
{
	_cleanup_(PKCS12_freep) PKCS12 *p12 = NULL;
	uint8_t id[PKCS12_NCA_ALIAS_LEN / 2];
	unsigned char *der = NULL;
	int r, len = 0;

	if (!p8 || !cert || !alias || !password || !ret_der || !ret_len)
		return -EINVAL;
	r = alias_to_id(alias, id);
	if (r != 0)
		return r;
	load_providers();
	r = key_matches_cert(p8, cert);
	if (r == 0)
		r = build_p12(p8, cert, chain, id, alias, password, &p12);
	if (r == 0) {
		len = i2d_PKCS12(p12, &der);
		r = len > 0 ? 0 : -EIO;
	}
	ERR_clear_error();
	if (r != 0)
		return r;
	*ret_der = der;
	*ret_len = (size_t)len;
	return 0;
}
