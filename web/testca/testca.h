/* testca: a test certification authority that issues NCA-shaped end-entity
 * certificates (research/ncalayer-protocol.md §10.3–10.7) from PKCS#10
 * requests, for tests and the demo portal. Never for real use: the keys
 * are plain files.
 *
 * A CA is a folder (0700) holding two self-signed roots and their keys:
 *   root-gost.pem  GOST 34.10-2015 512 root, CN "QOLTANBA TEST ROOT (GOST)"
 *   root-gost.key  its key, PEM "PRIVATE KEY" of NCA's PKCS#8 layout (0600)
 *   root-rsa.pem   RSA-2048 root, CN "QOLTANBA TEST ROOT (RSA)"
 *   root-rsa.key   its key, PEM "PRIVATE KEY" PKCS#8 (0600)
 * A request is answered by the root of its own key's algorithm.
 *
 * Return values: 0 success; a positive TESTCA_E_* for the documented
 * conditions; a negative errno for unexpected failures (-ENOMEM, -EIO for
 * OpenSSL, -EINVAL for a caller bug, or the errno of a file operation),
 * and kzgost's KZGOST_E_NO_STREEBOG when GOST cannot hash. Outputs (ret_*)
 * are written only on success, except ret_why, which is written only when
 * the result is TESTCA_E_REQUEST. Nothing here logs. */
#pragma once

#include <openssl/x509.h>

#include "daemon/crypto/csr.h"

enum testca_error {
	/* testca_create(): the folder already holds a CA file. */
	TESTCA_E_EXISTS = 1,
	/* testca_open(): a CA file does not parse or its key does not match
	 * its certificate. */
	TESTCA_E_CORRUPT,
	/* testca_issue(): the request is refused; *ret_why says why. */
	TESTCA_E_REQUEST,
};

struct testca;

/* Make a new CA in dir: the folder is created with mode 0700 if missing,
 * then both roots (valid for ten years from an hour ago). name_suffix,
 * if not NULL, is appended to both CNs after a space (to tell several
 * CAs apart). TESTCA_E_EXISTS when dir already holds any of the four
 * files; nothing is overwritten. *ret_ca is the caller's. */
int testca_create(const char *dir, const char *name_suffix, struct testca **ret_ca);

/* Load the CA in dir. -ENOENT (or another errno) when a file cannot be
 * read; TESTCA_E_CORRUPT. *ret_ca is the caller's. */
int testca_open(const char *dir, struct testca **ret_ca);

/* Accepts NULL; returns NULL. Wipes the keys. */
struct testca *testca_free(struct testca *ca);

/* The root certificate for alg, owned by ca. */
X509 *testca_root(struct testca *ca, enum csr_algorithm alg);

enum testca_purpose {
	TESTCA_PURPOSE_SIGN,
	TESTCA_PURPOSE_AUTH,
	TESTCA_PURPOSE_BOTH,
};

struct testca_options {
	enum testca_purpose purpose;
	long long not_before; /* Unix seconds; 0: now */
	unsigned days;        /* 0: 365 */
};

/* Upper bound of testca_options.days (about 100 years). */
#define TESTCA_DAYS_MAX 36500
/* Upper bound of a PEM request given to testca_issue_pem(). */
#define TESTCA_REQUEST_MAX (64 * 1024)

/* Issue a certificate for req (o NULL: signing, now, 365 days).
 *
 * The request must carry a subject with a CN, a GOST 34.10-2015 512 or an
 * RSA key of at least 2048 bits, and a self-signature that verifies;
 * otherwise TESTCA_E_REQUEST with *ret_why (if not NULL) a static English
 * sentence. The certificate, signed by the root of the key's algorithm
 * (GOST 34.10-2015 512 or sha256WithRSAEncryption): v3; serial = the SKI
 * with its top bit cleared; the request's subject as it is; extensions
 *   certificatePolicies  GOST 1.2.398.3.3.2; RSA 1.2.398.3.3.2.3 (sign),
 *                        1.2.398.3.3.2.4 (auth), both for BOTH; each with
 *                        CPS http://pki.gov.kz/cps
 *   extendedKeyUsage     emailProtection, 1.2.398.3.3.4.1.1 (person) or
 *                        1.2.398.3.3.4.1.2 (subject with O or OU), and
 *                        clientAuth for AUTH and BOTH
 *   keyUsage (critical)  GOST sign/both: digitalSignature, nonRepudiation,
 *                        keyAgreement; GOST auth: digitalSignature,
 *                        keyAgreement; RSA sign: digitalSignature,
 *                        nonRepudiation; RSA auth: digitalSignature,
 *                        keyEncipherment; RSA both: all three
 *   subjectKeyIdentifier (SHA-1 of the key bits), authorityKeyIdentifier
 *   subjectAltName       the request's rfc822Name and dNSName entries
 *   1.2.398.3.3.5        SEQUENCE { the request's storage OID }
 * (the last two only when the request has them). *ret_cert is the
 * caller's, a freshly parsed object. */
int testca_issue(struct testca *ca, X509_REQ *req, const struct testca_options *o, X509 **ret_cert,
		 const char **ret_why);

/* testca_issue() for a PEM "CERTIFICATE REQUEST" of at most
 * TESTCA_REQUEST_MAX bytes; *ret_cert_pem is a malloc'd PEM certificate. */
int testca_issue_pem(struct testca *ca, const char *csr_pem, const struct testca_options *o,
		     char **ret_cert_pem, const char **ret_why);
