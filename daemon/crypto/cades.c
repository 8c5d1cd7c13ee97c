/* cades: CMS SignedData with CAdES-BES attributes, written as DER by hand.
 *
 * Why a small DER writer and not CMS_sign() or ASN.1 templates: CMS_sign()
 * and CMS_add1_signer() need an EVP_PKEY, which NCA's GOST keys are not;
 * OpenSSL's CMS structures are opaque, so they cannot be filled in by hand;
 * templates would first copy a 50 MB document into an ASN1_OCTET_STRING
 * and then again into the i2d() output. Writing the DER ourselves lets
 * every signer sign the same bytes, puts the content into the result with
 * one memcpy (the lengths of everything around it are known beforehand),
 * and keeps the encoding choices (parameters absent or NULL, DER order of
 * SET OF) visible in one place. The leaves whose encoding OpenSSL already
 * gets right (certificates, names, serial numbers, times, OIDs) come from
 * its i2d functions. */
#include "daemon/crypto/cades.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "util/cleanup.h"

#define OID_DATA "1.2.840.113549.1.7.1"
#define OID_SIGNED_DATA "1.2.840.113549.1.7.2"
#define OID_CONTENT_TYPE "1.2.840.113549.1.9.3"
#define OID_MESSAGE_DIGEST "1.2.840.113549.1.9.4"
#define OID_SIGNING_TIME "1.2.840.113549.1.9.5"
#define OID_SIGNING_CERT_V2 "1.2.840.113549.1.9.16.2.47"
#define OID_TIMESTAMP_TOKEN "1.2.840.113549.1.9.16.2.14"
#define OID_SHA256 "2.16.840.1.101.3.4.2.1"

enum {
	TAG_INTEGER = 0x02,
	TAG_OCTET_STRING = 0x04,
	TAG_NULL = 0x05,
	TAG_OID = 0x06,
	TAG_SEQUENCE = 0x30,
	TAG_SET = 0x31,
	TAG_CONTEXT_0 = 0xa0, /* [0], constructed */
	TAG_CONTEXT_1 = 0xa1, /* [1], constructed: unsignedAttrs */
	TAG_CONTEXT_4 = 0xa4, /* [4], constructed: GeneralName directoryName */
};

/* A growing DER buffer. Errors stick: after the first failure every call
 * does nothing and err says why, so a builder checks once at the end. */
struct der {
	uint8_t *buf;
	size_t len, cap;
	int err;
};

static void der_clear(struct der *d)
{
	free(d->buf);
	*d = (struct der){ 0 };
}

static void der_fail(struct der *d, int err)
{
	if (!d->err)
		d->err = err;
}

static bool der_reserve(struct der *d, size_t n)
{
	size_t cap;
	uint8_t *b;

	if (d->err)
		return false;
	if (n <= d->cap - d->len)
		return true;
	if (n > SIZE_MAX / 2 - d->len) {
		der_fail(d, -EOVERFLOW);
		return false;
	}
	/* Exact for the first reservation (the final ContentInfo asks for
	 * its whole size at once), doubling after that. */
	cap = d->len + n;
	if (d->cap && cap < 2 * d->cap)
		cap = 2 * d->cap;
	b = realloc(d->buf, cap);
	if (!b) {
		der_fail(d, -ENOMEM);
		return false;
	}
	d->buf = b;
	d->cap = cap;
	return true;
}

static void der_put(struct der *d, const void *p, size_t n)
{
	if (!der_reserve(d, n))
		return;
	if (n)
		memcpy(d->buf + d->len, p, n);
	d->len += n;
}

static size_t der_header_size(size_t len)
{
	size_t n = 2;

	if (len >= 0x80)
		for (; len; len >>= 8)
			n++;
	return n;
}

/* Size of a whole TLV with len content bytes. */
static size_t der_tlv_size(size_t len)
{
	return der_header_size(len) + len;
}

static size_t der_write_header(uint8_t *out, uint8_t tag, size_t len)
{
	size_t n = der_header_size(len);

	out[0] = tag;
	if (n == 2) {
		out[1] = (uint8_t)len;
		return n;
	}
	out[1] = (uint8_t)(0x80 | (n - 2));
	for (size_t i = n - 1; i >= 2; i--, len >>= 8)
		out[i] = (uint8_t)len;
	return n;
}

static void der_put_header(struct der *d, uint8_t tag, size_t len)
{
	uint8_t h[2 + sizeof(size_t)];

	der_put(d, h, der_write_header(h, tag, len));
}

static void der_put_tlv(struct der *d, uint8_t tag, const void *p, size_t n)
{
	der_put_header(d, tag, n);
	der_put(d, p, n);
}

/* Constructed values are written content first: der_begin() marks where
 * the content starts, der_end() slides it up and puts the header in
 * front. Only used for small structures. */
static size_t der_begin(const struct der *d)
{
	return d->len;
}

static void der_end(struct der *d, uint8_t tag, size_t start)
{
	size_t len, h;

	if (d->err)
		return;
	len = d->len - start;
	h = der_header_size(len);
	if (!der_reserve(d, h))
		return;
	memmove(d->buf + start + h, d->buf + start, len);
	der_write_header(d->buf + start, tag, len);
	d->len += h;
}

static void der_put_oid(struct der *d, const char *oid)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);

	if (!o || OBJ_length(o) == 0) {
		der_fail(d, -EINVAL);
	} else {
		der_put_tlv(d, TAG_OID, OBJ_get0_data(o), OBJ_length(o));
	}
	ASN1_OBJECT_free(o);
}

/* Append what an OpenSSL i2d_*() function encodes. */
#define der_put_i2d(d, i2d, obj)                                                                   \
	do {                                                                                       \
		unsigned char *_p = NULL;                                                          \
		int _n = i2d(obj, &_p);                                                            \
                                                                                                   \
		if (_n <= 0)                                                                       \
			der_fail(d, -EINVAL);                                                      \
		else                                                                               \
			der_put(d, _p, (size_t)_n);                                                \
		OPENSSL_free(_p);                                                                  \
	} while (0)

static void der_put_algorithm(struct der *d, const char *oid, bool null_parameters)
{
	size_t start = der_begin(d);

	der_put_oid(d, oid);
	if (null_parameters)
		der_put_tlv(d, TAG_NULL, NULL, 0);
	der_end(d, TAG_SEQUENCE, start);
}

static void der_put_small_int(struct der *d, uint8_t v)
{
	der_put_tlv(d, TAG_INTEGER, &v, 1);
}

/* DER orders the elements of a SET OF by their encodings, compared as
 * octet strings with the shorter padded by zero octets (X.690 §11.6). */
static int der_compare(const void *a, const void *b)
{
	const struct der *x = *(const struct der *const *)a;
	const struct der *y = *(const struct der *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n ? memcmp(x->buf, y->buf, n) : 0;

	if (c)
		return c;
	for (size_t i = n; i < x->len; i++)
		if (x->buf[i])
			return 1;
	for (size_t i = n; i < y->len; i++)
		if (y->buf[i])
			return -1;
	return 0;
}

/* Append the elements in DER order, without the SET header. */
static void der_put_set_content(struct der *d, struct der **elements, size_t n)
{
	qsort(elements, n, sizeof(*elements), der_compare);
	for (size_t i = 0; i < n; i++) {
		if (elements[i]->err)
			der_fail(d, elements[i]->err);
		der_put(d, elements[i]->buf, elements[i]->len);
	}
}

static bool signature_parameters_null(enum signer_algorithm alg)
{
	switch (alg) {
	case SIGNER_ALG_RSA_SHA256:    /* RFC 4055 §5: MUST be NULL */
	case SIGNER_ALG_GOST2015_512:  /* NCA's certificates write NULL */
		return true;
	case SIGNER_ALG_ECDSA_SHA256:  /* RFC 5758 §3.2: MUST be absent */
	case _SIGNER_ALG_MAX:
		break;
	}
	return false;
}

static int signer_error(int r)
{
	if (r <= 0)
		return r;
	return r == SIGNER_E_UNSUPPORTED ? CADES_E_UNSUPPORTED : CADES_E_SIGN_FAILED;
}

/* Attribute ::= SEQUENCE { attrType OID, attrValues SET OF value }, the
 * value being what put_value appended between begin and end. */
static size_t attribute_begin(struct der *a, const char *oid, size_t *ret_set)
{
	size_t start = der_begin(a);

	der_put_oid(a, oid);
	*ret_set = der_begin(a);
	return start;
}

static void attribute_end(struct der *a, size_t start, size_t set)
{
	der_end(a, TAG_SET, set);
	der_end(a, TAG_SEQUENCE, start);
}

/* SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash
 *     OCTET STRING, issuerSerial SEQUENCE { issuer GeneralNames,
 *     serialNumber INTEGER } } (RFC 5035). The hash is the signer's own
 * digest, so a GOST signature names its certificate by Streebog-512
 * and needs no SHA-256 (Kalkan-only verifiers need not have it). */
static void put_signing_certificate_v2(struct der *a, const struct signer *s,
				       const uint8_t *cert_hash, size_t cert_hash_len)
{
	const char *digest_oid = signer_digest_oid(s->alg);
	size_t scv2 = der_begin(a), certs, id, issuer_serial, names, name;

	certs = der_begin(a);
	id = der_begin(a);
	if (strcmp(digest_oid, OID_SHA256) != 0)
		der_put_algorithm(a, digest_oid, false);
	der_put_tlv(a, TAG_OCTET_STRING, cert_hash, cert_hash_len);
	issuer_serial = der_begin(a);
	names = der_begin(a);
	name = der_begin(a);
	der_put_i2d(a, i2d_X509_NAME, X509_get_issuer_name(s->cert));
	der_end(a, TAG_CONTEXT_4, name);
	der_end(a, TAG_SEQUENCE, names);
	der_put_i2d(a, i2d_ASN1_INTEGER, X509_get0_serialNumber(s->cert));
	der_end(a, TAG_SEQUENCE, issuer_serial);
	der_end(a, TAG_SEQUENCE, id);
	der_end(a, TAG_SEQUENCE, certs);
	der_end(a, TAG_SEQUENCE, scv2);
}

/* The signed attributes in DER order, without the SET header (the caller
 * puts SET for signing and [0] IMPLICIT for the SignerInfo). */
static int build_signed_attributes(const struct signer *s, const uint8_t *digest,
				   size_t digest_len, time_t when, const uint8_t *cert_hash,
				   size_t cert_hash_len, struct der *ret)
{
	_cleanup_(der_clear) struct der content_type = {}, signing_time = {}, message_digest = {},
					signing_cert = {};
	struct der *all[] = { &content_type, &signing_time, &message_digest, &signing_cert };
	ASN1_TIME *t;
	size_t start, set;

	start = attribute_begin(&content_type, OID_CONTENT_TYPE, &set);
	der_put_oid(&content_type, OID_DATA);
	attribute_end(&content_type, start, set);

	/* ASN1_TIME_set() picks UTCTime for 1950–2049 and GeneralizedTime
	 * otherwise, which is what RFC 5652 §11.3 asks of signingTime. */
	t = ASN1_TIME_set(NULL, when);
	if (!t)
		return -ENOMEM;
	start = attribute_begin(&signing_time, OID_SIGNING_TIME, &set);
	der_put_i2d(&signing_time, i2d_ASN1_TIME, t);
	attribute_end(&signing_time, start, set);
	ASN1_TIME_free(t);

	start = attribute_begin(&message_digest, OID_MESSAGE_DIGEST, &set);
	der_put_tlv(&message_digest, TAG_OCTET_STRING, digest, digest_len);
	attribute_end(&message_digest, start, set);

	start = attribute_begin(&signing_cert, OID_SIGNING_CERT_V2, &set);
	put_signing_certificate_v2(&signing_cert, s, cert_hash, cert_hash_len);
	attribute_end(&signing_cert, start, set);

	der_put_set_content(ret, all, sizeof(all) / sizeof(all[0]));
	return ret->err;
}

/* Whether der[0..len) is exactly one DER SEQUENCE with a definite length
 * (a TimeStampToken from the hook goes into the result as it is). */
static bool der_is_one_sequence(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	long n;
	int tag, class, r;

	if (!der || len < 2 || len > LONG_MAX)
		return false;
	r = ASN1_get_object(&p, &n, &tag, &class, (long)len);
	return !(r & 0x80) && r == V_ASN1_CONSTRUCTED && tag == V_ASN1_SEQUENCE &&
	       class == V_ASN1_UNIVERSAL && (size_t)(p - der) + (size_t)n == len;
}

/* [0] IMPLICIT SET OF Certificate: the signer's and the chain, in DER
 * order, each once. */
static int build_certificates(const struct signer *s, const struct der *signer_cert,
			      struct der *ret)
{
	int n = s->chain ? sk_X509_num(s->chain) : 0;
	size_t count = 0, start;
	struct der *certs, **order;
	int r;

	certs = calloc((size_t)n + 1, sizeof(*certs));
	order = calloc((size_t)n + 1, sizeof(*order));
	if (!certs || !order) {
		free(certs);
		free(order);
		return -ENOMEM;
	}
	order[count++] = (struct der *)signer_cert;
	for (int i = 0; i < n; i++) {
		struct der *c = &certs[i];
		bool dup = false;

		der_put_i2d(c, i2d_X509, sk_X509_value(s->chain, i));
		for (size_t j = 0; j < count && !c->err; j++)
			dup |= order[j]->len == c->len && !memcmp(order[j]->buf, c->buf, c->len);
		if (!dup)
			order[count++] = c;
	}
	start = der_begin(ret);
	der_put_set_content(ret, order, count);
	der_end(ret, TAG_CONTEXT_0, start);
	r = ret->err;
	for (int i = 0; i < n; i++)
		der_clear(&certs[i]);
	free(certs);
	free(order);
	return r;
}

int cades_sign(const struct signer *s, const void *data, size_t len, const struct cades_options *o,
	       uint8_t **ret_der, size_t *ret_len)
{
	static const struct cades_options defaults = {};
	_cleanup_(der_clear) struct der cert = {}, attrs = {}, tbs = {}, signer_info = {},
					head = {}, tail = {}, data_oid = {}, signed_data_oid = {},
					out = {};
	uint8_t digest[SIGNER_DIGEST_MAX], tbs_digest[SIGNER_DIGEST_MAX];
	uint8_t cert_hash[SIGNER_DIGEST_MAX];
	size_t digest_len = 0, tbs_digest_len = 0, cert_hash_len = 0, sig_len = 0;
	size_t econtent_len, signed_data_len, content_info_len, start, token_len = 0;
	uint8_t *sig = NULL;
	_cleanup_free_ uint8_t *token = NULL;
	bool attached;
	int r;

	if (!o)
		o = &defaults;
	if (!s || !s->cert || !s->sign_digest || (!data && len))
		return -EINVAL;
	if (len > SIZE_MAX / 2)
		return -EOVERFLOW;

	if (o->digest_given) {
		if (len != signer_digest_size(s->alg))
			return CADES_E_DIGEST_SIZE;
		memcpy(digest, data, len);
		digest_len = len;
		attached = false;
	} else {
		r = signer_digest(s->alg, data, len, digest, &digest_len);
		if (r != 0)
			return signer_error(r);
		attached = o->attached;
	}

	der_put_i2d(&cert, i2d_X509, s->cert);
	if (cert.err)
		return cert.err;
	r = signer_digest(s->alg, cert.buf, cert.len, cert_hash, &cert_hash_len);
	if (r != 0)
		return signer_error(r);

	r = build_signed_attributes(s, digest, digest_len,
				    o->signing_time ? o->signing_time : time(NULL), cert_hash,
				    cert_hash_len, &attrs);
	if (r != 0)
		return r;

	/* The signature covers the attributes as a DER SET (RFC 5652 §5.4). */
	der_put_tlv(&tbs, TAG_SET, attrs.buf, attrs.len);
	if (tbs.err)
		return tbs.err;
	r = signer_digest(s->alg, tbs.buf, tbs.len, tbs_digest, &tbs_digest_len);
	if (r != 0)
		return signer_error(r);
	r = s->sign_digest(s->ctx, tbs_digest, tbs_digest_len, &sig, &sig_len);
	if (r != 0)
		return signer_error(r);

	/* CAdES-T: the time stamp covers the signature value's octets
	 * (RFC 3161 Appendix A). */
	if (o->timestamp) {
		r = o->timestamp(o->timestamp_ctx, sig, sig_len, &token, &token_len);
		if (r != 0) {
			OPENSSL_free(sig);
			return CADES_E_TIMESTAMP;
		}
		if (!der_is_one_sequence(token, token_len)) {
			OPENSSL_free(sig);
			return -EINVAL;
		}
	}

	/* SignerInfo ::= SEQUENCE { version 1, sid IssuerAndSerialNumber,
	 * digestAlgorithm, signedAttrs [0] IMPLICIT, signatureAlgorithm,
	 * signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL } */
	start = der_begin(&signer_info);
	der_put_small_int(&signer_info, 1);
	{
		size_t sid = der_begin(&signer_info);

		der_put_i2d(&signer_info, i2d_X509_NAME, X509_get_issuer_name(s->cert));
		der_put_i2d(&signer_info, i2d_ASN1_INTEGER, X509_get0_serialNumber(s->cert));
		der_end(&signer_info, TAG_SEQUENCE, sid);
	}
	der_put_algorithm(&signer_info, signer_digest_oid(s->alg), false);
	der_put_tlv(&signer_info, TAG_CONTEXT_0, attrs.buf, attrs.len);
	der_put_algorithm(&signer_info, signer_signature_oid(s->alg),
			  signature_parameters_null(s->alg));
	der_put_tlv(&signer_info, TAG_OCTET_STRING, sig, sig_len);
	if (token) {
		size_t unsigned_attrs = der_begin(&signer_info), attr, set;

		attr = attribute_begin(&signer_info, OID_TIMESTAMP_TOKEN, &set);
		der_put(&signer_info, token, token_len);
		attribute_end(&signer_info, attr, set);
		der_end(&signer_info, TAG_CONTEXT_1, unsigned_attrs);
	}
	der_end(&signer_info, TAG_SEQUENCE, start);
	OPENSSL_free(sig);
	if (signer_info.err)
		return signer_info.err;

	/* SignedData ::= SEQUENCE { version 1, digestAlgorithms SET,
	 * encapContentInfo, certificates [0] IMPLICIT, signerInfos SET }:
	 * head and tail are small, the content goes straight into out. */
	der_put_small_int(&head, 1);
	start = der_begin(&head);
	der_put_algorithm(&head, signer_digest_oid(s->alg), false);
	der_end(&head, TAG_SET, start);
	r = build_certificates(s, &cert, &tail);
	if (r != 0)
		return r;
	der_put_tlv(&tail, TAG_SET, signer_info.buf, signer_info.len);
	der_put_oid(&data_oid, OID_DATA);
	der_put_oid(&signed_data_oid, OID_SIGNED_DATA);
	if (head.err || tail.err || data_oid.err || signed_data_oid.err)
		return head.err ?: tail.err ?: data_oid.err ?: signed_data_oid.err;

	/* EncapsulatedContentInfo ::= SEQUENCE { eContentType id-data,
	 * eContent [0] EXPLICIT OCTET STRING OPTIONAL } */
	econtent_len = data_oid.len + (attached ? der_tlv_size(der_tlv_size(len)) : 0);
	signed_data_len = head.len + der_tlv_size(econtent_len) + tail.len;
	content_info_len = signed_data_oid.len + der_tlv_size(der_tlv_size(signed_data_len));

	if (!der_reserve(&out, der_tlv_size(content_info_len)))
		return out.err;
	der_put_header(&out, TAG_SEQUENCE, content_info_len);
	der_put(&out, signed_data_oid.buf, signed_data_oid.len);
	der_put_header(&out, TAG_CONTEXT_0, der_tlv_size(signed_data_len));
	der_put_header(&out, TAG_SEQUENCE, signed_data_len);
	der_put(&out, head.buf, head.len);
	der_put_header(&out, TAG_SEQUENCE, econtent_len);
	der_put(&out, data_oid.buf, data_oid.len);
	if (attached) {
		der_put_header(&out, TAG_CONTEXT_0, der_tlv_size(len));
		der_put_header(&out, TAG_OCTET_STRING, len);
		der_put(&out, data, len);
	}
	der_put(&out, tail.buf, tail.len);
	if (out.err)
		return out.err;
	if (out.len != der_tlv_size(content_info_len))
		return -EIO; /* the arithmetic above is wrong: a bug, not a condition */

	*ret_len = out.len;
	*ret_der = TAKE_PTR(out.buf);
	return 0;
}

/* Base64 of in[0..len) at out, in lines of line_chars characters each
 * followed by '\n' (line_chars a multiple of 4), or on one line without a
 * newline when line_chars is 0. Returns the characters written. */
static size_t base64_put(char *out, const uint8_t *in, size_t len, size_t line_chars)
{
	/* EVP_EncodeBlock() takes an int: feed it bounded chunks, whole
	 * groups of three bytes, so the pieces join without padding. */
	size_t chunk = line_chars ? line_chars / 4 * 3 : 3 * 16384;
	char *p = out;

	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		p += EVP_EncodeBlock((unsigned char *)p, in + off, (int)n);
		if (line_chars)
			*p++ = '\n';
	}
	*p = '\0';
	return (size_t)(p - out);
}

static size_t base64_size(size_t len)
{
	return (len / 3 + (len % 3 != 0)) * 4;
}

char *cades_base64(const uint8_t *der, size_t len)
{
	char *s;

	if (len > SIZE_MAX / 2)
		return NULL;
	s = malloc(base64_size(len) + 1);
	if (s)
		base64_put(s, der, len, 0);
	return s;
}

char *cades_pem(const uint8_t *der, size_t len)
{
	static const char begin[] = "-----BEGIN CMS-----\n", end[] = "-----END CMS-----\n";
	size_t b64, size;
	char *s, *p;

	if (len > SIZE_MAX / 2)
		return NULL;
	b64 = base64_size(len);
	size = sizeof(begin) - 1 + b64 + (b64 + 63) / 64 + sizeof(end);
	s = malloc(size);
	if (!s)
		return NULL;
	p = stpcpy(s, begin);
	p += base64_put(p, der, len, 64);
	strcpy(p, end);
	return s;
}
