/* cades: CMS SignedData with CAdES-BES signed attributes, the way NCALayer
 * answers createCAdESFromBase64, createCAdESFromBase64Hash and basics
 * "sign" with format "cms"; CAdES-T (a signature time stamp) when the
 * caller gives a timestamp hook (basics "tsaProfile", see tsp.h).
 *
 * The result is the DER of one ContentInfo(SignedData):
 *   - SignedData version 1, one digestAlgorithm, eContentType id-data,
 *     eContent only when attached;
 *   - certificates: the signer's certificate and s->chain (DER SET OF,
 *     so in DER order, not necessarily signer first);
 *   - one SignerInfo, version 1, sid issuerAndSerialNumber, signed
 *     attributes contentType (id-data), signingTime (UTCTime until 2049,
 *     GeneralizedTime from 2050, RFC 5652 §11.3), messageDigest and
 *     signingCertificateV2 (RFC 5035: one ESSCertIDv2 with the hash of
 *     the signer's certificate made with the signer's digest, and the
 *     issuerSerial). For SHA-256 the hashAlgorithm is left out, it is the
 *     DEFAULT; for Streebog-512 it is present;
 *   - digestAlgorithm signer_digest_oid() with parameters absent
 *     (RFC 5754 §2); signatureAlgorithm signer_signature_oid() with NULL
 *     parameters for RSA (RFC 4055) and GOST (as NCA's certificates
 *     write it, kz-gost.md), absent for ECDSA (RFC 5758 §3.2);
 *   - the signature is the signer's over the DER SET OF signed attributes:
 *     PKCS#1 v1.5, DER Ecdsa-Sig-Value, or GOST r‖s little-endian, as the
 *     signer returns it;
 *   - with a timestamp hook, unsignedAttrs [1] IMPLICIT holding one
 *     attribute id-aa-signatureTimeStampToken (1.2.840.113549.1.9.16.2.14,
 *     RFC 3161 Appendix A, ETSI EN 319 122-1 §5.3) whose value is the
 *     TimeStampToken over the signature value's octets, as the hook
 *     returns it; without one, no unsignedAttrs.
 * Everything goes through signer_digest() and s->sign_digest(), so one
 * code path serves RSA, ECDSA and GOST keys OpenSSL does not know. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/crypto/signer.h"

enum cades_error {
	CADES_E_DIGEST_SIZE = 1, /* digest_given, but not signer_digest_size() bytes */
	CADES_E_UNSUPPORTED,     /* the signer's algorithm cannot be used here (yet) */
	CADES_E_SIGN_FAILED,     /* the key refused to sign (token removed, …) */
	CADES_E_TIMESTAMP,       /* the timestamp hook failed; its ctx has the details */
};

struct cades_options {
	bool attached;       /* encapsulate the content (NCALayer "attached", basics
			      * "encapsulate"); ignored when digest_given */
	bool digest_given;   /* data IS the message digest (createCAdESFromBase64Hash,
			      * basics "digested"); the result is always detached */
	time_t signing_time; /* 0: now */
	/* Called once the signature value is made; returns a TimeStampToken
	 * (DER ContentInfo, malloc'd) that becomes the unsigned attribute
	 * id-aa-signatureTimeStampToken (1.2.840.113549.1.9.16.2.14) of the
	 * SignerInfo (CAdES-T). NULL: none. Non-zero return: cades_sign()
	 * fails with CADES_E_TIMESTAMP and the hook's ctx keeps the details.
	 * sig[0..sig_len) is what the token must stamp: the content of the
	 * SignerInfo's signature OCTET STRING, to be hashed with the
	 * signer's digest (tsp_timestamp() does). */
	int (*timestamp)(void *ctx, const uint8_t *sig, size_t sig_len, uint8_t **ret_token,
			 size_t *ret_len);
	void *timestamp_ctx;
};

/* Sign data[0..len) (data may be NULL when len is 0) with s, whose cert
 * must be set. o may be NULL: detached, content not digested, now, no
 * timestamp. The timestamp hook, if any, runs in the calling thread and
 * may block (tsp_timestamp() does network I/O).
 *
 * Memory: the content is hashed in place and, when attached, copied once
 * into the result; nothing else of its size is allocated.
 *
 * On success *ret_der is a malloc()'d buffer of *ret_len bytes the caller
 * free()s. Errors: CADES_E_DIGEST_SIZE, CADES_E_UNSUPPORTED,
 * CADES_E_SIGN_FAILED, CADES_E_TIMESTAMP; -EINVAL (no certificate, a
 * certificate or OID that cannot be encoded, a token from the hook that
 * is not one DER SEQUENCE), -ENOMEM, -EOVERFLOW (content too large to
 * encode), other negative errnos from the signer. Signing several
 * documents is calling this once for each. */
int cades_sign(const struct signer *s, const void *data, size_t len, const struct cades_options *o,
	       uint8_t **ret_der, size_t *ret_len);

/* "-----BEGIN CMS-----\n" base64 in 64-character lines "\n-----END CMS-----\n",
 * as NCALayer's basics module returns a CMS. Returns a malloc()'d string
 * the caller free()s, or NULL when out of memory. */
char *cades_pem(const uint8_t *der, size_t len);

/* Base64 on one line, no armour, as commonUtils returns a CMS. Returns a
 * malloc()'d string the caller free()s, or NULL when out of memory. */
char *cades_base64(const uint8_t *der, size_t len);
