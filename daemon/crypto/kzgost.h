/* kzgost: NCA RK's GOST 34.10-2015-512 signatures (GOST R 34.10-2012 math
 * on id-tc26-gost-3410-12-512-paramSetA, Streebog-512 digests) on top of
 * OpenSSL's BN/EC primitives, plus what X.509 and PKCS#12 need of them.
 * OpenSSL does not know NCA's OIDs, so keys and signatures here are plain
 * byte arrays in the encodings NCA uses (protocol/kz-gost.md):
 *
 *   private key d   64 bytes, little-endian
 *   public key Q    128 bytes, x ‖ y, each 64 bytes little-endian (the
 *                   content of the OCTET STRING inside the SPKI BIT STRING)
 *   digest h        64 bytes as Streebog-512 outputs them; read as a
 *                   little-endian integer, e = h mod q, e = 1 if e = 0
 *   signature       128 bytes, r ‖ s, each 64 bytes little-endian (the
 *                   byte-reverse of RFC 4491's big-endian s ‖ r)
 *
 * Return values: 0 success; a positive KZGOST_E_* for the documented
 * conditions below; a negative errno for unexpected failures (-ENOMEM,
 * -EIO for an OpenSSL failure, -EINVAL for a caller bug such as a NULL
 * argument). Outputs (ret_*) are written only on success. Nothing here
 * logs; private key material is wiped (OPENSSL_cleanse) from every copy we
 * make. All functions are safe to call from several threads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/pkcs12.h>
#include <openssl/x509.h>

enum kzgost_error {
	/* Neither OpenSSL's "gostprov" provider nor its "gost" engine could
	 * be loaded: install the Debian package libengine-gost-openssl. */
	KZGOST_E_NO_STREEBOG = 1,
	/* The signature does not verify (including r or s out of [1, q-1],
	 * or a certificate whose signature is not NCA's GOST 512). */
	KZGOST_E_BAD_SIGNATURE,
	/* A public key that is not a point of the curve, or a private key
	 * outside [1, q-1]. */
	KZGOST_E_BAD_KEY,
	/* A certificate or PKCS#8 key whose algorithm is not
	 * 1.2.398.3.10.1.1.2.2 (GOST 34.10-2015 512). */
	KZGOST_E_NOT_GOST,
	/* The PKCS#12 password is wrong (MAC check or decryption failed).
	 * A file altered inside its MAC-protected content looks the same. */
	KZGOST_E_BAD_PASSWORD,
	/* Data that does not parse as what it should be (PKCS#12, PKCS#8,
	 * SPKI contents), or a PKCS#12 without a key or without the key's
	 * certificate. */
	KZGOST_E_CORRUPT,
};

#define KZGOST_PRIVATE_KEY_SIZE 64
#define KZGOST_PUBLIC_KEY_SIZE  128
#define KZGOST_DIGEST_SIZE      64
#define KZGOST_SIGNATURE_SIZE   128

/* Object identifiers (dotted text for OBJ_txt2obj(…, 1)). Verified on NCA's
 * 2022 GOST test PKI unless marked. */
#define KZGOST_OID_KEY_512        "1.2.398.3.10.1.1.2.2"     /* SPKI / PKCS#8 algorithm */
#define KZGOST_OID_CURVE_512      "1.2.398.3.10.1.1.2.2.1"   /* = tc26 512 paramSetA */
#define KZGOST_OID_STREEBOG_512   "1.2.398.3.10.1.3.3"       /* digest algorithm */
#define KZGOST_OID_SIGNATURE_512  "1.2.398.3.10.1.1.2.3.2"   /* parameters: NULL */
/* 256-bit variant: third-party report, not verified, not implemented. */
#define KZGOST_OID_KEY_256        "1.2.398.3.10.1.1.2.1"
#define KZGOST_OID_CURVE_256      "1.2.398.3.10.1.1.2.1.1"
#define KZGOST_OID_SIGNATURE_256  "1.2.398.3.10.1.1.2.3.1"
#define KZGOST_OID_STREEBOG_256   "1.2.398.3.10.1.3.2"

/* XMLDSig algorithm URIs (from NCA's xmldsig code). */
#define KZGOST_XMLDSIG_SIGNATURE_512 \
	"urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512"
#define KZGOST_XMLDSIG_DIGEST_512 \
	"urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512"

/* Verify sig over digest with pub. 0 valid; KZGOST_E_BAD_SIGNATURE;
 * KZGOST_E_BAD_KEY when pub is not a point of the curve. */
int kzgost_verify(const uint8_t pub[KZGOST_PUBLIC_KEY_SIZE], const uint8_t digest[KZGOST_DIGEST_SIZE],
		  const uint8_t sig[KZGOST_SIGNATURE_SIZE]);

/* Sign digest with priv; k comes from RAND_priv_bytes, so two signatures of
 * the same digest differ. KZGOST_E_BAD_KEY when d is not in [1, q-1]. */
int kzgost_sign(const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE], const uint8_t digest[KZGOST_DIGEST_SIZE],
		uint8_t ret_sig[KZGOST_SIGNATURE_SIZE]);

/* Q = d·G. KZGOST_E_BAD_KEY when d is not in [1, q-1]. */
int kzgost_public_from_private(const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE],
			       uint8_t ret_pub[KZGOST_PUBLIC_KEY_SIZE]);

/* A new private key d, uniform in [1, q-1] (RAND_priv_bytes, rejection
 * sampling; temporaries wiped). */
int kzgost_generate(uint8_t ret_priv[KZGOST_PRIVATE_KEY_SIZE]);

/* True if cert's public key algorithm is 1.2.398.3.10.1.1.2.2. */
bool kzgost_is_gost_cert(X509 *cert);

/* The 128-byte public key of a GOST certificate (SPKI BIT STRING → OCTET
 * STRING(128)). KZGOST_E_NOT_GOST for another algorithm, KZGOST_E_CORRUPT
 * when the key does not unwrap to 128 bytes. The point is not checked here;
 * kzgost_verify() does that. */
int kzgost_cert_public_key(X509 *cert, uint8_t ret_pub[KZGOST_PUBLIC_KEY_SIZE]);

/* Check that issuer's key made subject's signature: the signature algorithm
 * (outer and inside the TBS) must be 1.2.398.3.10.1.1.2.3.2, the digest is
 * Streebog-512 over the TBSCertificate exactly as encoded in subject, the
 * BIT STRING is r ‖ s. Only the signature: names, validity, extensions and
 * revocation are the chain builder's business. 0 valid;
 * KZGOST_E_BAD_SIGNATURE (also for a non-GOST signature algorithm);
 * KZGOST_E_NOT_GOST / KZGOST_E_CORRUPT / KZGOST_E_BAD_KEY for issuer's key;
 * KZGOST_E_NO_STREEBOG. */
int kzgost_cert_verify_issued(X509 *issuer, X509 *subject);

/* Make pk (for example X509_REQ_get_X509_PUBKEY(req) or
 * X509_get_X509_PUBKEY(cert) of an object being built) the SPKI of pub in
 * NCA's form: algorithm 1.2.398.3.10.1.1.2.2 with parameters SEQUENCE {
 * 1.2.398.3.10.1.1.2.2.1, 1.2.398.3.10.1.3.3 }, BIT STRING { OCTET
 * STRING(128) pub }. pub is not checked against the curve. */
int kzgost_spki_set(X509_PUBKEY *pk, const uint8_t pub[KZGOST_PUBLIC_KEY_SIZE]);

/* Sign a certificate being built (subject, issuer, key, validity and
 * extensions set) with priv: both signature AlgorithmIdentifiers become
 * 1.2.398.3.10.1.1.2.3.2 with NULL parameters, the version v3 if there
 * are extensions, the TBS is re-encoded and the BIT STRING is r ‖ s over
 * its Streebog-512 digest. Afterwards i2d_X509(x) writes what was signed
 * and kzgost_cert_verify_issued() accepts it with the issuer's
 * certificate. OpenSSL caches computed on x before signing (X509_cmp's
 * hash, extension flags) are not refreshed: use a re-parsed copy if that
 * matters. KZGOST_E_BAD_KEY; KZGOST_E_NO_STREEBOG. */
int kzgost_sign_x509(X509 *x, const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE]);

/* The same for a PKCS#10 request (one signature AlgorithmIdentifier). */
int kzgost_sign_x509_req(X509_REQ *r, const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE]);

/* Check a request's self-signature with the GOST key in its own SPKI,
 * over the CertificationRequestInfo as encoded in r. 0 valid;
 * KZGOST_E_BAD_SIGNATURE (also for another signature algorithm);
 * KZGOST_E_NOT_GOST / KZGOST_E_CORRUPT / KZGOST_E_BAD_KEY for the key;
 * KZGOST_E_NO_STREEBOG. */
int kzgost_x509_req_verify(X509_REQ *r);

/* d from a decrypted PKCS#8 PrivateKeyInfo of algorithm 1.2.398.3.10.1.1.2.2.
 * NCA's layout (verified on all twelve NCA test keys): the privateKey OCTET
 * STRING contains a DER OCTET STRING of 64 bytes, d little-endian:
 *   04 42 04 40 <d, 64 bytes LE>
 * KZGOST_E_NOT_GOST for another algorithm; KZGOST_E_CORRUPT for another
 * layout; KZGOST_E_BAD_KEY when d is not in [1, q-1]. */
int kzgost_pkcs8_private_key(const PKCS8_PRIV_KEY_INFO *p8, uint8_t ret_priv[KZGOST_PRIVATE_KEY_SIZE]);

/* The unencrypted PKCS#8 PrivateKeyInfo of d in NCA's layout: version 0,
 * the SPKI's algorithm and parameters (kzgost_spki_set()), privateKey
 * 04 42 04 40 <d>, no attributes; byte for byte what NCA's .p12 key bags
 * decrypt to. *ret_p8 is the caller's (PKCS8_PRIV_KEY_INFO_free() wipes
 * the key). KZGOST_E_BAD_KEY when d is not in [1, q-1]. */
int kzgost_pkcs8_new(const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE], PKCS8_PRIV_KEY_INFO **ret_p8);

/* Load an NCA GOST512_*.p12: from the file at path, or (path NULL) from
 * der[0..len). Checks the MAC, decrypts the bags (the certificate bag uses
 * pbeWithSHA1And40BitRC2-CBC; OpenSSL's legacy provider is loaded into a
 * private library context for it), takes the one shrouded key bag and
 * the certificate whose public key is d·G.
 *
 * On success: ret_priv = d; *ret_cert = that certificate (caller frees);
 * *ret_extra_certs (if ret_extra_certs is not NULL) = the other
 * certificates of the file, possibly an empty stack (caller frees with
 * sk_X509_pop_free(…, X509_free)).
 * Errors: KZGOST_E_BAD_PASSWORD; KZGOST_E_NOT_GOST when the key is not
 * GOST 512; KZGOST_E_CORRUPT for data that does not parse, a file without
 * a key, with several keys, or without the key's certificate;
 * KZGOST_E_BAD_KEY; a negative errno from reading path. */
int kzgost_p12_load(const char *path, const void *der, size_t len, const char *password,
		    uint8_t ret_priv[KZGOST_PRIVATE_KEY_SIZE], X509 **ret_cert,
		    STACK_OF(X509) **ret_extra_certs);
