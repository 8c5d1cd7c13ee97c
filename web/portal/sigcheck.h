/* sigcheck: check a signature someone else made: a CMS SignedData
 * (CAdES-BES as NCALayer makes it) or an enveloped whole-document XML
 * signature, by a key whose certificate one of the given CAs issued.
 * Keys: NCA's GOST 34.10-2015 512 (kzgost; OpenSSL does not know it) and
 * RSA (OpenSSL).
 *
 * CMS: exactly one SignerInfo, whose certificate is in the SignedData.
 *   GOST: the messageDigest attribute must be Streebog-512 of the content
 *   (encapsulated, or the caller's for a detached signature) and the
 *   signature must verify over the DER SET OF signed attributes as they
 *   were received. RSA: OpenSSL's CMS_verify() checks the content digest
 *   and the signature (not the certificate chain, see below).
 * XML: the first ds:Signature; its SignedInfo must hold a Reference
 *   URI="" (the whole document with the enveloped-signature transform).
 *   SignatureMethod and DigestMethod are NCA's GOST 2015-512 URIs or
 *   rsa-sha256 / sha256. The DigestValue must be the digest of libxml2's
 *   inclusive C14N 1.0 (without comments) of the document without the
 *   ds:Signature element; the SignatureValue must verify over the C14N
 *   1.0 of ds:SignedInfo with the key of ds:X509Certificate. Documents
 *   that declare entities are refused.
 * Both: the signer's certificate must carry the issuer's name of one of
 * cas and its signature must verify with that CA's key
 * (kzgost_cert_verify_issued() for GOST, X509_check_issued() and
 * X509_verify() for RSA). Validity dates, key usages and revocation are
 * not checked: the caller reads them from the result if it cares.
 *
 * Return values: 0 when the signature is good; SIGCHECK_E_INVALID with
 * *ret_why (if not NULL) a static English sentence saying what failed;
 * -ENOTSUP when Streebog-512 is not available (libengine-gost-openssl);
 * -ENOMEM, -EIO for unexpected failures; -EINVAL for a caller bug. ret
 * is written only on success. Nothing here logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>
#include <openssl/cms.h>
#include <openssl/x509.h>

enum sigcheck_error {
	SIGCHECK_E_INVALID = 1,
};

/* The key algorithms a caller accepts (a bit mask). */
enum sigcheck_alg {
	SIGCHECK_ALG_GOST2015_512 = 1 << 0,
	SIGCHECK_ALG_RSA = 1 << 1,
};
#define SIGCHECK_ALG_ALL (SIGCHECK_ALG_GOST2015_512 | SIGCHECK_ALG_RSA)

struct sigcheck_result {
	enum sigcheck_alg alg;
	X509 *signer;      /* the signer's certificate, owned */
	uint8_t *content;  /* what was signed (malloc'd, NUL-terminated for
			    * convenience; the NUL is not counted): the CMS
			    * content, or the canonical XML document without
			    * its signature */
	size_t content_len;
	bool has_signing_time; /* CMS with a signingTime attribute */
	time_t signing_time;
};

#define SIGCHECK_RESULT_NULL ((struct sigcheck_result){ 0 })

/* Free what r holds and reset it to SIGCHECK_RESULT_NULL. */
void sigcheck_result_clear(struct sigcheck_result *r);

/* Check the DER CMS der[0..len). content (content_len bytes; may be "",
 * 0) is the signed data for a detached signature; NULL when the caller
 * has none, which makes a detached signature invalid. An encapsulated
 * content wins over the caller's. algs: which key algorithms pass. */
int sigcheck_cms(const void *der, size_t len, const void *content, size_t content_len,
		 STACK_OF(X509) *cas, unsigned algs, struct sigcheck_result *ret,
		 const char **ret_why);

/* Check the signed XML document xml[0..len) (need not be NUL-terminated,
 * at most INT_MAX bytes). */
int sigcheck_xml(const char *xml, size_t len, STACK_OF(X509) *cas, unsigned algs,
		 struct sigcheck_result *ret, const char **ret_why);

/* The most bytes of signed attributes sigcheck_signed_attrs_der()
 * encodes: the largest length a three-byte DER length holds. */
#define SIGCHECK_ATTRS_MAX 0xffffffu

/* What a CMS signature covers: the DER SET OF si's signed attributes,
 * re-encoded from OpenSSL's parse in the order they were received. A new
 * array (g_byte_array_unref()), or NULL when an attribute cannot be
 * encoded or they come to more than SIGCHECK_ATTRS_MAX bytes. */
GByteArray *sigcheck_signed_attrs_der(CMS_SignerInfo *si);
