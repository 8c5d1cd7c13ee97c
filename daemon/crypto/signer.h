/* signer: what the CMS and XMLDSig builders need of a key, whatever holds
 * it (a PKCS#12 file in memory, a PKCS#11 token, NCA's GOST key that
 * OpenSSL does not know). The builders hash, lay out and encode; the
 * signer only turns a digest into a signature value.
 *
 * Algorithms and their encodings:
 *   SIGNER_ALG_RSA_SHA256    digest SHA-256 (32 bytes); signature PKCS#1 v1.5
 *                            over DigestInfo, as many bytes as the modulus
 *   SIGNER_ALG_ECDSA_SHA256  digest SHA-256; signature DER Ecdsa-Sig-Value
 *                            (CMS); XMLDSig wants r‖s: signer_ecdsa_der_to_raw()
 *   SIGNER_ALG_GOST2015_512  digest Streebog-512 (64 bytes); signature 128
 *                            bytes r‖s, each little-endian (kz-gost.md) */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum signer_algorithm {
	SIGNER_ALG_RSA_SHA256,
	SIGNER_ALG_ECDSA_SHA256,
	SIGNER_ALG_GOST2015_512,
	_SIGNER_ALG_MAX,
};

#define SIGNER_DIGEST_MAX 64

enum signer_error {
	SIGNER_E_UNSUPPORTED = 1, /* a key OpenSSL or we cannot sign with */
	SIGNER_E_FAILED,          /* the key refused to sign (token removed, …) */
};

struct signer {
	enum signer_algorithm alg;
	X509 *cert;             /* the signer's certificate, borrowed */
	STACK_OF(X509) *chain;  /* further certificates to include, borrowed, may be NULL */
	/* Sign digest (signer_digest_size(alg) bytes). On success *ret_sig
	 * is OPENSSL_malloc'd, the caller frees it. */
	int (*sign_digest)(void *ctx, const uint8_t *digest, size_t digest_len, uint8_t **ret_sig,
			   size_t *ret_sig_len);
	void *ctx;
};

/* Facts about an algorithm: its digest size, and the identifiers the
 * encodings use. */
size_t signer_digest_size(enum signer_algorithm alg);
const char *signer_digest_oid(enum signer_algorithm alg);     /* CMS digestAlgorithm */
const char *signer_signature_oid(enum signer_algorithm alg);  /* CMS signatureAlgorithm */
const char *signer_digest_uri(enum signer_algorithm alg);     /* XMLDSig DigestMethod */
const char *signer_signature_uri(enum signer_algorithm alg);  /* XMLDSig SignatureMethod */

/* Hash data with the algorithm's digest. Incremental form for large
 * documents. */
struct signer_hash;
int signer_hash_new(enum signer_algorithm alg, struct signer_hash **ret);
int signer_hash_update(struct signer_hash *h, const void *data, size_t len);
int signer_hash_final(struct signer_hash *h, uint8_t ret[SIGNER_DIGEST_MAX], size_t *ret_len);
struct signer_hash *signer_hash_free(struct signer_hash *h);
int signer_digest(enum signer_algorithm alg, const void *data, size_t len,
		  uint8_t ret[SIGNER_DIGEST_MAX], size_t *ret_len);

/* A signer for an RSA or EC key OpenSSL holds. The key and certificate
 * are borrowed and must outlive the signer. */
int signer_init_pkey(struct signer *s, EVP_PKEY *key, X509 *cert);

/* ECDSA: DER Ecdsa-Sig-Value → fixed-size r‖s (big-endian, each half the
 * size of the group order), as XMLDSig wants. */
int signer_ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t half, uint8_t **ret_raw,
			    size_t *ret_len);
