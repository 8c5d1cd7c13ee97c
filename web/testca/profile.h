/* profile: what the test CA's certificates contain (testca.h lists it),
 * kept apart from the folder and request handling of testca.c. Internal
 * to web/testca/. Return values as in testca.h. */
#pragma once

#include <stdint.h>

#include <openssl/x509.h>

#include "daemon/crypto/csr.h"
#include "web/testca/testca.h"

/* What every certificate here starts with: v3, spki (copied field by
 * field, so a GOST key needs no EVP_PKEY), serial = spki's key id with
 * the top bit cleared, the names, not_before + days. ret_id receives the
 * key id (RFC 5280 method 1) for the key identifier extensions. */
int profile_cert_init(X509 *x, X509_PUBKEY *spki, const X509_NAME *subject, const X509_NAME *issuer,
		      long long not_before, unsigned days, uint8_t ret_id[CSR_KEY_ID_SIZE]);

/* A root's extensions: basicConstraints CA (critical), keyUsage
 * keyCertSign|cRLSign (critical), SKI = id, AKI keyid = id. */
int profile_root_extensions(X509 *x, const uint8_t id[CSR_KEY_ID_SIZE]);

/* An end-entity certificate's extensions for a request (testca_issue()).
 * TESTCA_E_REQUEST with *ret_why for a malformed subjectAltName or
 * key-store extension in the request. */
int profile_ee_extensions(X509 *x, enum csr_algorithm alg, enum testca_purpose purpose, X509_REQ *req,
			  const uint8_t id[CSR_KEY_ID_SIZE], X509 *root, const char **ret_why);

/* Sign x with key (GOST 34.10-2015 512 or sha256WithRSAEncryption) and
 * return a fresh parse of the result, so that no cache OpenSSL filled
 * while building outlives the signature. */
int profile_cert_sign(X509 *x, const struct csr_key *key, X509 **ret_cert);
