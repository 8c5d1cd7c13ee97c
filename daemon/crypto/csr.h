/* csr: new key pairs and PKCS#10 requests for remote key issuance, in the
 * shape NCA RK's issuance code makes them (research/ncalayer-protocol.md
 * §10.5, §10.7): GOST 34.10-2015 512 (kzgost) or RSA-2048, a subject in
 * NCA's order and string types, an extensionRequest with the e-mail SAN
 * and NCA's key-store extension 1.2.398.3.3.5.
 *
 * Return values: 0 success; a positive CSR_E_* for the documented
 * conditions; a negative errno for unexpected failures (-ENOMEM, -EIO for
 * OpenSSL, -EINVAL for a caller bug such as a NULL argument) and the
 * KZGOST_E_NO_STREEBOG of kzgost when GOST cannot hash. Outputs (ret_*)
 * are written only on success. Nothing here logs; private keys are wiped
 * when freed. */
#pragma once

#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/signer.h"

enum csr_error {
	/* The subject breaks a rule of csr_subject_check(). */
	CSR_E_SUBJECT = 1,
	/* The certificate's public key is not the key's. */
	CSR_E_KEY_MISMATCH,
	/* A PKCS#8 key of another algorithm, or RSA under 2048 bits. */
	CSR_E_UNSUPPORTED,
	/* A PKCS#8 key that does not parse, or a GOST d out of range. */
	CSR_E_CORRUPT,
	/* csr_build_with_signer(): the signer refused (a positive SIGNER_E_*;
	 * a token's signer keeps the reason, e.g. pkcs11_key.sign_error). */
	CSR_E_SIGNER,
};

enum csr_algorithm {
	CSR_ALG_GOST512,
	CSR_ALG_RSA2048,
};

/* The key-store extension's storage OID for a PKCS#12 file. */
#define CSR_STORAGE_OID_PKCS12 "1.2.398.3.3.5.1.1"
/* NCA's key-store extension ("keystore_branch"). */
#define CSR_OID_KEY_STORE "1.2.398.3.3.5"

/* A SHA-1 key identifier. */
#define CSR_KEY_ID_SIZE 20

/* A key pair. alg says which half is used: pkey (RSA, any size of at
 * least 2048 bits once read back) or gost / gost_pub (kzgost encodings). */
struct csr_key {
	enum csr_algorithm alg;
	EVP_PKEY *pkey;
	uint8_t gost[KZGOST_PRIVATE_KEY_SIZE];
	uint8_t gost_pub[KZGOST_PUBLIC_KEY_SIZE];
};

/* A new key: GOST through kzgost_generate(), RSA-2048 with e = 65537
 * through OpenSSL's default provider. *ret_key is the caller's. */
int csr_key_generate(enum csr_algorithm alg, struct csr_key **ret_key);

/* Wipes and frees; accepts NULL; returns NULL. */
struct csr_key *csr_key_free(struct csr_key *k);

/* The unencrypted PKCS#8 of k: NCA's layout for GOST (kzgost_pkcs8_new()),
 * OpenSSL's for RSA. *ret_p8 is the caller's. */
int csr_key_to_pkcs8(const struct csr_key *k, PKCS8_PRIV_KEY_INFO **ret_p8);

/* A key from an unencrypted PKCS#8: GOST 512 in NCA's layout, or RSA of
 * at least 2048 bits (alg is then CSR_ALG_RSA2048 whatever the size).
 * CSR_E_UNSUPPORTED for other algorithms and smaller RSA keys;
 * CSR_E_CORRUPT for keys that do not parse. */
int csr_key_from_pkcs8(const PKCS8_PRIV_KEY_INFO *p8, struct csr_key **ret_key);

/* The SPKI of k (GOST: kzgost_spki_set()). *ret_pk is the caller's. */
int csr_key_spki(const struct csr_key *k, X509_PUBKEY **ret_pk);

/* SHA-1 over the contents of pk's subjectPublicKey BIT STRING (RFC 5280
 * §4.2.1.2 method 1), which is how NCA makes Subject Key Identifiers,
 * key file names and, top bit cleared, certificate serial numbers. */
int csr_pubkey_id(X509_PUBKEY *pk, uint8_t ret_id[CSR_KEY_ID_SIZE]);

/* csr_pubkey_id() of k's SPKI as 40 lowercase hex digits and a NUL. */
int csr_key_id(const struct csr_key *k, char ret_hex[2 * CSR_KEY_ID_SIZE + 1]);

/* 0 if cert's public key is k's; CSR_E_KEY_MISMATCH otherwise (also for a
 * certificate of the other algorithm). */
int csr_key_matches_cert(const struct csr_key *k, X509 *cert);

/* The subject of a request, as UTF-8 strings. NULL or "" means absent for
 * every field but common_name. email goes into the subjectAltName, not
 * the subject name. */
struct csr_subject {
	const char *common_name;
	const char *surname;
	const char *serial_number; /* "IIN" and 12 digits */
	const char *country;       /* NULL or "": "KZ" */
	const char *given_name;
	const char *organization;
	const char *org_unit; /* "BIN" and 12 digits; with organization */
	const char *email;
};

/* Check s against the rules csr_build() relies on: CN present; every value
 * valid UTF-8 without control characters, at most 256 bytes;
 * SERIALNUMBER "IIN" + 12 digits; C two letters A-Z; OU "BIN" + 12 digits;
 * O and OU both or neither; email one '@' between non-empty parts, printable
 * ASCII without spaces, at most 254 bytes. 0 if s passes; CSR_E_SUBJECT
 * with *ret_why (if ret_why is not NULL) set to a static English sentence
 * naming the field. */
int csr_subject_check(const struct csr_subject *s, const char **ret_why);

/* NCA's key-store extension, non-critical: 1.2.398.3.3.5 = SEQUENCE {
 * storage_oid } (NCA's KeyStoreInfo without the optional folder).
 * -EINVAL when storage_oid is not a dotted OID. *ret_ext is the caller's. */
int csr_key_store_extension_new(const char *storage_oid, X509_EXTENSION **ret_ext);

/* A PKCS#10 v1 request signed with k: subject CN, SURNAME, SERIALNUMBER, C,
 * O, OU, GIVENNAME in that order (PrintableString for SERIALNUMBER and C,
 * UTF8String for the others); attribute extensionRequest with
 * subjectAltName rfc822Name = email (if given) and the non-critical
 * key-store extension 1.2.398.3.3.5 = SEQUENCE { storage_oid } (left out
 * when storage_oid is NULL). Signature sha256WithRSAEncryption or GOST
 * 34.10-2015 512. *ret_pem: a malloc'd NUL-terminated "CERTIFICATE
 * REQUEST" PEM the caller frees. CSR_E_SUBJECT when s fails
 * csr_subject_check(); -EINVAL for a storage_oid that is not a dotted
 * OID. A thin wrapper over csr_build_with_signer(). */
int csr_build(const struct csr_key *k, const struct csr_subject *s, const char *storage_oid,
	      char **ret_pem);

/* The same request for a key held elsewhere (a token): pk is the request's
 * SubjectPublicKeyInfo, copied as it is (GOST in NCA's form); sg signs the
 * digest of the CertificationRequestInfo, and sg->alg decides the
 * signature algorithm: sha256WithRSAEncryption (NULL parameters, PKCS#1
 * v1.5 expected of the signer), ecdsa-with-SHA256 (DER Ecdsa-Sig-Value),
 * or GOST 34.10-2015 512 (NULL parameters, r ‖ s little-endian). sg->cert
 * and sg->chain are not used; pk is not checked against the signer (the
 * caller's test: X509_REQ_verify() or kzgost_x509_req_verify()). Errors as
 * csr_build(), and CSR_E_SIGNER when sg->sign_digest() returns a positive
 * SIGNER_E_* (a negative errno from it is passed up). */
int csr_build_with_signer(X509_PUBKEY *pk, const struct signer *sg, const struct csr_subject *subj,
			  const char *storage_oid, char **ret_pem);
