/* keyfilter: does a key's certificate meet what a page asks for?
 *
 * NCALayer shows every key but lets the user pick only those whose
 * certificate matches the page's signerParams and keyType, and that are
 * valid now and not revoked unless the page allows it (allowExpired,
 * allowRevoked, "for testing only"). Key files keep their certificates
 * encrypted, so Qoltanba checks after the password, before signing: a
 * key that misses a requirement is refused with the requirement named.
 *
 * Pure checks over OpenSSL objects; the caller loads the files. */
#pragma once

#include <stdbool.h>
#include <time.h>

#include <openssl/x509.h>

#include "daemon/keystore/certinfo.h"

enum keyfilter_miss {
	KEYFILTER_OK,
	KEYFILTER_MISS_KEY_TYPE,      /* not a SIGNATURE / AUTHENTICATION certificate */
	KEYFILTER_MISS_EXT_KEY_USAGE, /* an asked extended key usage is absent */
	KEYFILTER_MISS_IIN,
	KEYFILTER_MISS_BIN,
	KEYFILTER_MISS_SERIAL,
	KEYFILTER_MISS_CHAIN,         /* no chain to the given CA certificates */
	KEYFILTER_MISS_NOT_YET_VALID,
	KEYFILTER_MISS_EXPIRED,
	KEYFILTER_MISS_REVOKED,       /* listed in a configured CRL */
	_KEYFILTER_MISS_MAX,
};

struct keyfilter {
	enum certinfo_key_type key_type;
	const char *const *ext_key_usages; /* NULL-terminated OIDs; NULL or empty: any */
	const char *iin, *bin, *serial;    /* NULL: any; serial compared as hex, any case */
	/* Trusted CA certificates the certificate must chain to; NULL or
	 * empty: any chain is accepted. */
	STACK_OF(X509) *cas;
	STACK_OF(X509_CRL) *crls; /* NULL or empty: no revocation check */
	bool allow_expired, allow_revoked;
	time_t now; /* 0: time(NULL) */
};

/* Check cert against f. untrusted are further certificates (the key
 * file's own) that may complete the chain. Returns KEYFILTER_OK or the
 * first requirement missed, in the order of the enum. */
enum keyfilter_miss keyfilter_check(const struct keyfilter *f, X509 *cert,
				    STACK_OF(X509) *untrusted);

/* An English sentence for the user and the page, e.g. "the certificate
 * has expired". Static string. */
const char *keyfilter_miss_text(enum keyfilter_miss miss);

/* Does issuer's key sign subject (RSA, EC, or NCA's GOST 2015-512)? */
bool keyfilter_issued_by(X509 *issuer, X509 *subject);

/* Read certificates (PEM, several per file, or one DER) from the files
 * into a new stack. On failure returns -errno or -EINVAL (not a
 * certificate) and sets *ret_bad to the file that failed (borrowed). */
int keyfilter_load_certs(const char *const *files, STACK_OF(X509) **ret, const char **ret_bad);

/* The same for CRLs. */
int keyfilter_load_crls(const char *const *files, STACK_OF(X509_CRL) **ret, const char **ret_bad);

/* Parse PEM certificates given as strings (a page's "chain"). Returns
 * -EINVAL with *ret_index set to the first string that is not one. */
int keyfilter_parse_pems(const char *const *pems, size_t n, STACK_OF(X509) **ret,
			 size_t *ret_index);
