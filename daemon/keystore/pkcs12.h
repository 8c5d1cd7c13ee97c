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
