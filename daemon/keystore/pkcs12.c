#include "daemon/keystore/pkcs12.h"

#include <errno.h>
#include <stdlib.h>
#include <glib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "daemon/crypto/kzgost.h"

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
