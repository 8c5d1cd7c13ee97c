#include "daemon/crypto/signer.h"

#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "daemon/crypto/streebog.h"
#include "util/cleanup.h"

struct algorithm_facts {
	size_t digest_size;
	const char *digest_oid, *signature_oid;
	const char *digest_uri, *signature_uri;
};

static const struct algorithm_facts facts[_SIGNER_ALG_MAX] = {
	[SIGNER_ALG_RSA_SHA256] = {
		.digest_size = 32,
		.digest_oid = "2.16.840.1.101.3.4.2.1",
		.signature_oid = "1.2.840.113549.1.1.11", /* sha256WithRSAEncryption */
		.digest_uri = "http://www.w3.org/2001/04/xmlenc#sha256",
		.signature_uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
	},
	[SIGNER_ALG_ECDSA_SHA256] = {
		.digest_size = 32,
		.digest_oid = "2.16.840.1.101.3.4.2.1",
		.signature_oid = "1.2.840.10045.4.3.2", /* ecdsa-with-SHA256 */
		.digest_uri = "http://www.w3.org/2001/04/xmlenc#sha256",
		.signature_uri = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
	},
	[SIGNER_ALG_GOST2015_512] = {
		.digest_size = 64,
		.digest_oid = "1.2.398.3.10.1.3.3",
		.signature_oid = "1.2.398.3.10.1.1.2.3.2",
		.digest_uri = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512",
		.signature_uri = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512",
	},
};

size_t signer_digest_size(enum signer_algorithm alg)
{
	return facts[alg].digest_size;
}

const char *signer_digest_oid(enum signer_algorithm alg)
{
	return facts[alg].digest_oid;
}

const char *signer_signature_oid(enum signer_algorithm alg)
{
	return facts[alg].signature_oid;
}

const char *signer_digest_uri(enum signer_algorithm alg)
{
	return facts[alg].digest_uri;
}

const char *signer_signature_uri(enum signer_algorithm alg)
{
	return facts[alg].signature_uri;
}

struct signer_hash {
	enum signer_algorithm alg;
	EVP_MD_CTX *md;                    /* SHA-256 */
	struct streebog512_ctx *streebog; /* GOST */
};

struct signer_hash *signer_hash_free(struct signer_hash *h)
{
	if (!h)
		return NULL;
	EVP_MD_CTX_free(h->md);
	streebog512_free(h->streebog);
	OPENSSL_free(h);
	return NULL;
}

int signer_hash_new(enum signer_algorithm alg, struct signer_hash **ret)
{
	struct signer_hash *h = OPENSSL_zalloc(sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	h->alg = alg;
	if (alg == SIGNER_ALG_GOST2015_512) {
		r = streebog512_init(&h->streebog);
		if (r != 0) {
			signer_hash_free(h);
			return r < 0 ? r : SIGNER_E_UNSUPPORTED;
		}
		*ret = h;
		return 0;
	}
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		signer_hash_free(h);
		return -ENOMEM;
	}
	*ret = h;
	return 0;
}

int signer_hash_update(struct signer_hash *h, const void *data, size_t len)
{
	if (h->streebog)
		return streebog512_update(h->streebog, data, len) == 0 ? 0 : -EIO;
	return EVP_DigestUpdate(h->md, data, len) == 1 ? 0 : -EIO;
}

int signer_hash_final(struct signer_hash *h, uint8_t ret[SIGNER_DIGEST_MAX], size_t *ret_len)
{
	unsigned n = 0;

	if (h->streebog) {
		if (streebog512_final(h->streebog, ret) != 0)
			return -EIO;
		*ret_len = STREEBOG512_SIZE;
		return 0;
	}
	if (EVP_DigestFinal_ex(h->md, ret, &n) != 1)
		return -EIO;
	*ret_len = n;
	return 0;
}

int signer_digest(enum signer_algorithm alg, const void *data, size_t len,
		  uint8_t ret[SIGNER_DIGEST_MAX], size_t *ret_len)
{
	struct signer_hash *h = NULL;
	int r = signer_hash_new(alg, &h);

	if (r == 0)
		r = signer_hash_update(h, data, len);
	if (r == 0)
		r = signer_hash_final(h, ret, ret_len);
	signer_hash_free(h);
	return r;
}

/* RSA PKCS#1 v1.5 and ECDSA over a precomputed SHA-256 digest. */
static int pkey_sign_digest(void *ctx, const uint8_t *digest, size_t digest_len, uint8_t **ret_sig,
			    size_t *ret_sig_len)
{
	EVP_PKEY *key = ctx;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
	uint8_t *sig = NULL;
	size_t len = 0;
	int r = SIGNER_E_FAILED;

	if (!pctx || EVP_PKEY_sign_init(pctx) != 1)
		goto out;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	if (EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) != 1)
		goto out;
	if (EVP_PKEY_sign(pctx, NULL, &len, digest, digest_len) != 1)
		goto out;
	sig = OPENSSL_malloc(len);
	if (!sig) {
		r = -ENOMEM;
		goto out;
	}
	if (EVP_PKEY_sign(pctx, sig, &len, digest, digest_len) != 1) {
		OPENSSL_free(sig);
		goto out;
	}
	*ret_sig = sig;
	*ret_sig_len = len;
	r = 0;
out:
	EVP_PKEY_CTX_free(pctx);
	return r;
}

int signer_init_pkey(struct signer *s, EVP_PKEY *key, X509 *cert)
{
	enum signer_algorithm alg;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		alg = SIGNER_ALG_RSA_SHA256;
		break;
	case EVP_PKEY_EC:
		alg = SIGNER_ALG_ECDSA_SHA256;
		break;
	default:
		return SIGNER_E_UNSUPPORTED;
	}
	*s = (struct signer){
		.alg = alg,
		.cert = cert,
		.sign_digest = pkey_sign_digest,
		.ctx = key,
	};
	return 0;
}

int signer_ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t half, uint8_t **ret_raw,
			    size_t *ret_len)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	uint8_t *raw;
	int ret = -EINVAL;

	if (!sig)
		return -EINVAL;
	ECDSA_SIG_get0(sig, &r, &s);
	raw = OPENSSL_malloc(2 * half);
	if (!raw) {
		ret = -ENOMEM;
		goto out;
	}
	if (BN_bn2binpad(r, raw, (int)half) < 0 || BN_bn2binpad(s, raw + half, (int)half) < 0) {
		OPENSSL_free(raw);
		goto out;
	}
	*ret_raw = raw;
	*ret_len = 2 * half;
	ret = 0;
out:
	ECDSA_SIG_free(sig);
	return ret;
}
