/* certinfo: what the daemon tells and filters about a certificate, read
 * the way NCALayer reads it. Pure functions over OpenSSL's X509; no I/O.
 *
 * Choices where the sources disagree (protocol study §4.2, §10.7):
 *  - DNs are written as Kalkan/BouncyCastle print them: RDNs in encoded
 *    order, "," between them without a space, short names CN, SURNAME,
 *    SERIALNUMBER, C, G (given name), O, OU, L, ST, E (e-mail), DC, UID,
 *    T, STREET, BusinessCategory; unknown types as the dotted OID; the
 *    characters , + " \ < > ; = escaped with a backslash.
 *  - serial numbers are lowercase hex without separators;
 *  - dates are milliseconds since the epoch, as decimal strings. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

enum certinfo_key_type {
	CERTINFO_KEY_TYPE_ANY,            /* any other keyType string: every key, as NCALayer */
	CERTINFO_KEY_TYPE_AUTHENTICATION, /* "AUTHENTICATION" */
	CERTINFO_KEY_TYPE_SIGNATURE,      /* "SIGNATURE" */
};

struct certinfo {
	char *subject_dn, *subject_cn;
	char *issuer_dn, *issuer_cn;
	char *serial;       /* lowercase hex */
	char *key_id;       /* Subject Key Identifier, lowercase hex ("" if absent) */
	char *authority_key_id;
	char *iin;          /* the 12 digits after "IIN" in SERIALNUMBER, NULL if none */
	char *bin;          /* the 12 digits after "BIN" in OU, NULL if none */
	char *algorithm;    /* "RSA", "EC", "GOST512" */
	int64_t not_before_ms, not_after_ms;
};

int certinfo_read(X509 *cert, struct certinfo *ret);
void certinfo_clear(struct certinfo *info);

/* Print a name the Kalkan way (see above). NULL on allocation failure. */
char *certinfo_name(const X509_NAME *name);

enum certinfo_key_type certinfo_key_type_parse(const char *s);

/* Does the certificate serve that purpose? SIGNATURE: keyUsage has
 * nonRepudiation. AUTHENTICATION: extendedKeyUsage has clientAuth, or
 * keyUsage has digitalSignature with keyEncipherment or keyAgreement.
 * NCA's single GOST 2015 keys are both. ANY: always. */
bool certinfo_has_key_type(X509 *cert, enum certinfo_key_type type);

/* Every OID of oids (NULL-terminated) is in the certificate's extended
 * key usage (certificate policies are not consulted). An empty list is
 * always satisfied. */
bool certinfo_has_ext_key_usages(X509 *cert, const char *const *oids);

/* Is the certificate valid at time t? */
bool certinfo_valid_at(X509 *cert, time_t t);

/* Does a CRL issued by the certificate's issuer list its serial? The
 * CRL's own signature is the caller's to check. */
bool certinfo_revoked_by(X509 *cert, X509_CRL *crl);
