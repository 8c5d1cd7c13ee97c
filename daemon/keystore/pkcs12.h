/* PKCS#12 key files: NCA's GOST512_*.p12, RSA256_*.p12, AUTH_RSA256_*.p12
 * and any RSA or EC key file OpenSSL reads (legacy PBE included: OpenSSL's
 * legacy provider is loaded for them).
 *
 * A loaded key holds its private part in memory until pkcs12_key_free(),
 * which wipes it. Loading blocks on file I/O and key derivation: call it
 * from a worker, not from the main loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "daemon/crypto/signer.h"

#define PKCS12_MAX_FILE (1024 * 1024) /* NCA's files are a few KiB */

enum pkcs12_error {
	PKCS12_E_NOT_FOUND = 1, /* no such file, or not readable */
	PKCS12_E_BAD_PASSWORD,  /* the MAC does not match this password */
	PKCS12_E_CORRUPT,       /* not a PKCS#12 file, or one without key or certificate */
	PKCS12_E_UNSUPPORTED,   /* a key of an algorithm we cannot sign with */
	PKCS12_E_TOO_LARGE,     /* over PKCS12_MAX_FILE */
	PKCS12_E_KEY_MISMATCH,  /* pkcs12_build_nca(): the certificate is not the key's */
};

struct pkcs12_key {
	char *alias;             /* friendlyName, else the certificate's key id */
	X509 *cert;              /* the key's certificate */
	STACK_OF(X509) *chain;   /* other certificates in the file, may be empty */
	enum signer_algorithm alg;
	EVP_PKEY *pkey;          /* RSA, EC */
	uint8_t gost[64];        /* GOST 2015-512 private key d, little-endian */
};

int pkcs12_key_load(const char *path, const char *password, struct pkcs12_key **ret);
int pkcs12_key_load_mem(const void *der, size_t len, const char *password,
			struct pkcs12_key **ret);
struct pkcs12_key *pkcs12_key_free(struct pkcs12_key *key);

/* A signer over the key (borrowed: the key must outlive it). */
int pkcs12_key_signer(struct pkcs12_key *key, struct signer *ret);

/* NCA's protection parameters (research: ncalayer-protocol.md §10.4). */
#define PKCS12_NCA_ITERATIONS 1024
#define PKCS12_NCA_SALT_LEN   20
#define PKCS12_NCA_ALIAS_LEN  40 /* lowercase hex of the 20-byte SKI */

/* A PKCS#12 file in NCA's layout, as NCA's GOST512_*.p12 and RSA256_*.p12:
 *   authenticated safe
 *     1. pkcs7-data: one pkcs8ShroudedKeyBag, pbeWithSHA1And3-KeyTripleDES-CBC
 *     2. pkcs7-encryptedData, pbeWithSHA1And40BitRC2-CBC: a certBag for cert,
 *        then one certBag (without attributes) per chain certificate
 *   MAC sha1
 * every PBE and the MAC with PKCS12_NCA_ITERATIONS iterations and a fresh
 * PKCS12_NCA_SALT_LEN-byte salt. The key bag and cert's bag carry
 * localKeyID = the 20 bytes alias spells and friendlyName = alias.
 *
 * p8 is encrypted as it is, never parsed by OpenSSL: an RSA or EC
 * PrivateKeyInfo, or NCA's GOST 2015-512 one (1.2.398.3.10.1.1.2.2), which
 * OpenSSL cannot read. chain may be NULL; a copy of cert in it is skipped.
 * alias must be 40 lowercase hex digits (the certificate's SKI, which NCA
 * uses as alias and in the file name).
 *
 * On success *ret_der (free with OPENSSL_free; it holds nothing secret
 * unencrypted) and *ret_len. Errors: -EINVAL for a NULL argument or a bad
 * alias; PKCS12_E_KEY_MISMATCH when cert's public key is not p8's;
 * PKCS12_E_UNSUPPORTED for a key neither OpenSSL nor kzgost reads;
 * PKCS12_E_CORRUPT for a GOST PKCS#8 that is not in NCA's layout; -EIO for
 * an OpenSSL failure. */
int pkcs12_build_nca(const PKCS8_PRIV_KEY_INFO *p8, X509 *cert, STACK_OF(X509) *chain,
		     const char *alias, const char *password, uint8_t **ret_der, size_t *ret_len);
