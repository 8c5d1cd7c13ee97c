/* GOST R 34.10-2012 (512) as NCA RK uses it, on OpenSSL's BN and EC_GROUP;
 * see kzgost.h for the encodings and protocol/kz-gost.md for the evidence. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "util/cleanup.h"
#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/streebog.h"

DEFINE_POINTER_CLEANUP(BN_CTX_free, BN_CTX)
DEFINE_POINTER_CLEANUP(BN_clear_free, BIGNUM)
DEFINE_POINTER_CLEANUP(EC_POINT_clear_free, EC_POINT)
DEFINE_POINTER_CLEANUP(PKCS12_free, PKCS12)
DEFINE_POINTER_CLEANUP(PKCS8_PRIV_KEY_INFO_free, PKCS8_PRIV_KEY_INFO)
DEFINE_POINTER_CLEANUP(ASN1_OCTET_STRING_free, ASN1_OCTET_STRING)
DEFINE_POINTER_CLEANUP(ASN1_OBJECT_free, ASN1_OBJECT)
DEFINE_POINTER_CLEANUP(X509_ALGOR_free, X509_ALGOR)

static inline void kz_openssl_freep(unsigned char **p)
{
	OPENSSL_free(*p);
}

static inline void kz_pkcs7_stack_freep(STACK_OF(PKCS7) **sk)
{
	sk_PKCS7_pop_free(*sk, PKCS7_free);
}

static inline void kz_safebag_stack_freep(STACK_OF(PKCS12_SAFEBAG) **sk)
{
	sk_PKCS12_SAFEBAG_pop_free(*sk, PKCS12_SAFEBAG_free);
}

static inline void kz_x509_stack_freep(STACK_OF(X509) **sk)
{
	sk_X509_pop_free(*sk, X509_free);
}

#define SCALAR_SIZE 64

/* id-tc26-gost-3410-12-512-paramSetA (TC 26 OID 1.2.643.7.1.2.1.2.1), the
 * curve NCA names 1.2.398.3.10.1.1.2.2.1. Source: the TC 26 parameter set
 * as listed with RFC 7836 (GOST R 34.10-2012 guidelines) and reproduced in
 * gost-engine and Bouncy Castle's ECGost3410NamedCurves; p = 2^512 - 569,
 * a = p - 3, cofactor 1. curve_load() checks that G is on the curve and
 * that q·G = O; the NCA test chain verifying is the end-to-end check. */
static const char curve_p_hex[] =
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7";
static const char curve_a_hex[] =
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4";
static const char curve_b_hex[] =
	"E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265"
	"EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760";
static const char curve_q_hex[] =
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
	"27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275";
static const char curve_gx_hex[] = "3";
static const char curve_gy_hex[] =
	"7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921"
	"DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4";

/* Built once, then only read (EC_POINT_mul etc. take it const). */
static struct {
	EC_GROUP *group;
	BIGNUM *p;
	int error;
} curve;
static pthread_once_t curve_once = PTHREAD_ONCE_INIT;

static int bn_hex(BIGNUM **bn, const char *hex)
{
	return BN_hex2bn(bn, hex) > 0 ? 0 : -ENOMEM;
}

static int curve_build(void)
{
	_cleanup_(BN_CTX_freep) BN_CTX *ctx = NULL;
	_cleanup_(BN_clear_freep) BIGNUM *a = NULL, *b = NULL, *q = NULL, *gx = NULL, *gy = NULL,
					 *q1 = NULL;
	_cleanup_(EC_POINT_clear_freep) EC_POINT *g = NULL, *t = NULL;
	EC_GROUP *group;

	ctx = BN_CTX_new();
	if (!ctx || bn_hex(&curve.p, curve_p_hex) || bn_hex(&a, curve_a_hex) ||
	    bn_hex(&b, curve_b_hex) || bn_hex(&q, curve_q_hex) || bn_hex(&gx, curve_gx_hex) ||
	    bn_hex(&gy, curve_gy_hex))
		return -ENOMEM;
	group = EC_GROUP_new_curve_GFp(curve.p, a, b, ctx);
	if (!group)
		return -EIO;
	curve.group = group;
	g = EC_POINT_new(group);
	t = EC_POINT_new(group);
	q1 = BN_dup(q);
	if (!g || !t || !q1)
		return -ENOMEM;
	/* In OpenSSL 3 this fails for a point off the curve. */
	if (!EC_POINT_set_affine_coordinates(group, g, gx, gy, ctx) ||
	    EC_POINT_is_on_curve(group, g, ctx) != 1)
		return -EIO;
	if (!EC_GROUP_set_generator(group, g, q, BN_value_one()))
		return -EIO;
	/* (q-1)·G + G must be O: G has order q (q prime; the tests check). */
	if (!BN_sub_word(q1, 1) || !EC_POINT_mul(group, t, q1, NULL, NULL, ctx) ||
	    !EC_POINT_add(group, t, t, g, ctx) || !EC_POINT_is_at_infinity(group, t))
		return -EIO;
	return 0;
}

static void curve_load(void)
{
	curve.error = curve_build();
	if (curve.error != 0) {
		EC_GROUP_free(curve.group);
		curve.group = NULL;
	}
	ERR_clear_error();
}

static int curve_get(const EC_GROUP **ret_group, const BIGNUM **ret_q)
{
	pthread_once(&curve_once, curve_load);
	if (curve.error != 0)
		return curve.error;
	*ret_group = curve.group;
	*ret_q = EC_GROUP_get0_order(curve.group);
	return 0;
}

/* e = h mod q read little-endian; e = 1 if zero (GOST R 34.10-2012 §6.1). */
static int digest_to_e(const uint8_t digest[KZGOST_DIGEST_SIZE], const BIGNUM *q, BIGNUM *e,
		       BN_CTX *ctx)
{
	if (!BN_lebin2bn(digest, KZGOST_DIGEST_SIZE, e) || !BN_nnmod(e, e, q, ctx))
		return -EIO;
	if (BN_is_zero(e) && !BN_one(e))
		return -EIO;
	return 0;
}

/* A scalar in [1, q-1], read little-endian. */
static bool scalar_in_range(const BIGNUM *x, const BIGNUM *q)
{
	return !BN_is_zero(x) && !BN_is_negative(x) && BN_cmp(x, q) < 0;
}

static int point_to_le(const EC_GROUP *group, const EC_POINT *pt, uint8_t out[KZGOST_PUBLIC_KEY_SIZE],
		       BN_CTX *ctx)
{
	_cleanup_(BN_clear_freep) BIGNUM *x = BN_new(), *y = BN_new();

	if (!x || !y)
		return -ENOMEM;
	if (!EC_POINT_get_affine_coordinates(group, pt, x, y, ctx) ||
	    BN_bn2lebinpad(x, out, SCALAR_SIZE) != SCALAR_SIZE ||
	    BN_bn2lebinpad(y, out + SCALAR_SIZE, SCALAR_SIZE) != SCALAR_SIZE)
		return -EIO;
	return 0;
}

int kzgost_verify(const uint8_t pub[KZGOST_PUBLIC_KEY_SIZE], const uint8_t digest[KZGOST_DIGEST_SIZE],
		  const uint8_t sig[KZGOST_SIGNATURE_SIZE])
{
	_cleanup_(BN_CTX_freep) BN_CTX *ctx = NULL;
	_cleanup_(BN_clear_freep) BIGNUM *x = NULL, *y = NULL, *r = NULL, *s = NULL, *e = NULL,
					 *v = NULL, *z1 = NULL, *z2 = NULL;
	_cleanup_(EC_POINT_clear_freep) EC_POINT *pq = NULL, *c = NULL;
	const EC_GROUP *group;
	const BIGNUM *q;
	int ret;

	if (!pub || !digest || !sig)
		return -EINVAL;
	ret = curve_get(&group, &q);
	if (ret != 0)
		return ret;

	ctx = BN_CTX_new();
	x = BN_lebin2bn(pub, SCALAR_SIZE, NULL);
	y = BN_lebin2bn(pub + SCALAR_SIZE, SCALAR_SIZE, NULL);
	r = BN_lebin2bn(sig, SCALAR_SIZE, NULL);
	s = BN_lebin2bn(sig + SCALAR_SIZE, SCALAR_SIZE, NULL);
	e = BN_new();
	v = BN_new();
	z1 = BN_new();
	z2 = BN_new();
	pq = EC_POINT_new(group);
	c = EC_POINT_new(group);
	if (!ctx || !x || !y || !r || !s || !e || !v || !z1 || !z2 || !pq || !c)
		return -ENOMEM;

	/* Coordinates must be reduced: set_affine_coordinates would accept
	 * x + p for x. Off-curve points fail there. */
	if (BN_cmp(x, curve.p) >= 0 || BN_cmp(y, curve.p) >= 0 ||
	    !EC_POINT_set_affine_coordinates(group, pq, x, y, ctx)) {
		ERR_clear_error();
		return KZGOST_E_BAD_KEY;
	}
	if (!scalar_in_range(r, q) || !scalar_in_range(s, q))
		return KZGOST_E_BAD_SIGNATURE;

	ret = digest_to_e(digest, q, e, ctx);
	if (ret != 0)
		return ret;
	/* v = e⁻¹, z1 = s·v, z2 = -r·v (mod q); C = z1·G + z2·Q; R = x_C mod q. */
	if (!BN_mod_inverse(v, e, q, ctx) || !BN_mod_mul(z1, s, v, q, ctx) ||
	    !BN_mod_mul(z2, r, v, q, ctx) || !BN_sub(z2, q, z2) ||
	    !EC_POINT_mul(group, c, z1, pq, z2, ctx))
		return -EIO;
	if (EC_POINT_is_at_infinity(group, c))
		return KZGOST_E_BAD_SIGNATURE;
	if (!EC_POINT_get_affine_coordinates(group, c, x, NULL, ctx) || !BN_nnmod(x, x, q, ctx))
		return -EIO;
	return BN_cmp(x, r) == 0 ? 0 : KZGOST_E_BAD_SIGNATURE;
}

/* d as a BIGNUM flagged constant-time; KZGOST_E_BAD_KEY outside [1, q-1]. */
static int private_to_bn(const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE], const BIGNUM *q,
			 BIGNUM **ret_d)
{
	BIGNUM *d = BN_secure_new();

	if (!d)
		return -ENOMEM;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if (!BN_lebin2bn(priv, KZGOST_PRIVATE_KEY_SIZE, d)) {
		BN_clear_free(d);
		return -EIO;
	}
	if (!scalar_in_range(d, q)) {
		BN_clear_free(d);
		return KZGOST_E_BAD_KEY;
	}
	*ret_d = d;
	return 0;
}

int kzgost_public_from_private(const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE],
			       uint8_t ret_pub[KZGOST_PUBLIC_KEY_SIZE])
{
	_cleanup_(BN_CTX_freep) BN_CTX *ctx = NULL;
	_cleanup_(BN_clear_freep) BIGNUM *d = NULL;
	_cleanup_(EC_POINT_clear_freep) EC_POINT *pq = NULL;
	uint8_t pub[KZGOST_PUBLIC_KEY_SIZE];
	const EC_GROUP *group;
	const BIGNUM *q;
	int ret;

	if (!priv || !ret_pub)
		return -EINVAL;
	ret = curve_get(&group, &q);
	if (ret != 0)
		return ret;
	ret = private_to_bn(priv, q, &d);
	if (ret != 0)
		return ret;
	ctx = BN_CTX_secure_new();
	pq = EC_POINT_new(group);
	if (!ctx || !pq)
		return -ENOMEM;
	/* Generator-only EC_POINT_mul uses OpenSSL's constant-time ladder. */
	if (!EC_POINT_mul(group, pq, d, NULL, NULL, ctx))
		return -EIO;
	ret = point_to_le(group, pq, pub, ctx);
	if (ret != 0)
		return ret;
	memcpy(ret_pub, pub, sizeof(pub));
	return 0;
}

/* k uniform in [1, q-1]: 64 random bytes, rejected when out of range
 * (q is within 2^-255 of 2^512, so a retry is practically never needed). */
static int random_k(const BIGNUM *q, BIGNUM *k)
{
	uint8_t buf[SCALAR_SIZE];
	int ret = -EIO;

	for (unsigned int i = 0; i < 64; i++) {
		if (RAND_priv_bytes(buf, sizeof(buf)) != 1)
			break;
		if (!BN_lebin2bn(buf, sizeof(buf), k))
			break;
		if (scalar_in_range(k, q)) {
			ret = 0;
			break;
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

int kzgost_sign(const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE], const uint8_t digest[KZGOST_DIGEST_SIZE],
		uint8_t ret_sig[KZGOST_SIGNATURE_SIZE])
{
	_cleanup_(BN_CTX_freep) BN_CTX *ctx = NULL;
	_cleanup_(BN_clear_freep) BIGNUM *d = NULL, *k = NULL, *e = NULL, *r = NULL, *s = NULL,
					 *rd = NULL, *x = NULL;
	_cleanup_(EC_POINT_clear_freep) EC_POINT *c = NULL;
	uint8_t sig[KZGOST_SIGNATURE_SIZE];
	const EC_GROUP *group;
	const BIGNUM *q;
	int ret;

	if (!priv || !digest || !ret_sig)
		return -EINVAL;
	ret = curve_get(&group, &q);
	if (ret != 0)
		return ret;
	ret = private_to_bn(priv, q, &d);
	if (ret != 0)
		return ret;
	ctx = BN_CTX_secure_new();
	k = BN_secure_new();
	e = BN_new();
	r = BN_new();
	s = BN_secure_new();
	rd = BN_secure_new();
	x = BN_new();
	c = EC_POINT_new(group);
	if (!ctx || !k || !e || !r || !s || !rd || !x || !c)
		return -ENOMEM;
	BN_set_flags(k, BN_FLG_CONSTTIME);
	BN_set_flags(s, BN_FLG_CONSTTIME);
	BN_set_flags(rd, BN_FLG_CONSTTIME);
	ret = digest_to_e(digest, q, e, ctx);
	if (ret != 0)
		return ret;

	/* GOST R 34.10-2012 §6.1: C = k·G, r = x_C mod q, s = (r·d + k·e)
	 * mod q; start again with a new k if r or s is zero. */
	for (;;) {
		ret = random_k(q, k);
		if (ret != 0)
			return ret;
		if (!EC_POINT_mul(group, c, k, NULL, NULL, ctx) ||
		    !EC_POINT_get_affine_coordinates(group, c, x, NULL, ctx) || !BN_nnmod(r, x, q, ctx))
			return -EIO;
		if (BN_is_zero(r))
			continue;
		if (!BN_mod_mul(rd, r, d, q, ctx) || !BN_mod_mul(s, k, e, q, ctx) ||
		    !BN_mod_add(s, s, rd, q, ctx))
			return -EIO;
		if (!BN_is_zero(s))
			break;
	}
	if (BN_bn2lebinpad(r, sig, SCALAR_SIZE) != SCALAR_SIZE ||
	    BN_bn2lebinpad(s, sig + SCALAR_SIZE, SCALAR_SIZE) != SCALAR_SIZE)
		return -EIO;
	memcpy(ret_sig, sig, sizeof(sig));
	return 0;
}

int kzgost_generate(uint8_t ret_priv[KZGOST_PRIVATE_KEY_SIZE])
{
	_cleanup_(BN_clear_freep) BIGNUM *d = NULL;
	uint8_t priv[KZGOST_PRIVATE_KEY_SIZE];
	const EC_GROUP *group;
	const BIGNUM *q;
	int ret;

	if (!ret_priv)
		return -EINVAL;
	ret = curve_get(&group, &q);
	if (ret != 0)
		return ret;
	d = BN_secure_new();
	if (!d)
		return -ENOMEM;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	/* The nonce's rejection sampling gives d uniform in [1, q-1] too. */
	ret = random_k(q, d);
	if (ret == 0 && BN_bn2lebinpad(d, priv, sizeof(priv)) != (int)sizeof(priv))
		ret = -EIO;
	if (ret == 0)
		memcpy(ret_priv, priv, sizeof(priv));
	OPENSSL_cleanse(priv, sizeof(priv));
	return ret;
}

/* ---- X.509 ---------------------------------------------------------- */

static bool obj_is(const ASN1_OBJECT *obj, const char *oid)
{
	char buf[80];
	int n;

	if (!obj)
		return false;
	n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
	return n > 0 && (size_t)n < sizeof(buf) && strcmp(buf, oid) == 0;
}

/* Algorithm parameters, if present, must name NCA's 512-bit curve first:
 * SEQUENCE { curve OID, digest OID }. */
static bool params_name_curve_512(const X509_ALGOR *alg)
{
	_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *obj = NULL;
	const ASN1_STRING *seq;
	const unsigned char *p;
	const void *pval;
	long len;
	int ptype, tag, xclass, r;

	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL)
		return true;
	if (ptype != V_ASN1_SEQUENCE)
		return false;
	seq = pval;
	p = ASN1_STRING_get0_data(seq);
	r = ASN1_get_object(&p, &len, &tag, &xclass, ASN1_STRING_length(seq));
	if ((r & 0x80) || r == 0x21 || tag != V_ASN1_SEQUENCE)
		return false;
	obj = d2i_ASN1_OBJECT(NULL, &p, len);
	return obj_is(obj, KZGOST_OID_CURVE_512);
}

/* The algorithm of an SPKI is 1.2.398.3.10.1.1.2.2. */
static bool pubkey_is_gost(X509_PUBKEY *pk)
{
	ASN1_OBJECT *alg = NULL;

	if (!pk || !X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, pk))
		return false;
	return obj_is(alg, KZGOST_OID_KEY_512);
}

bool kzgost_is_gost_cert(X509 *cert)
{
	return cert && pubkey_is_gost(X509_get_X509_PUBKEY(cert));
}

/* Q from an SPKI: BIT STRING → OCTET STRING(128). */
static int pubkey_gost(X509_PUBKEY *xpk, uint8_t ret_pub[KZGOST_PUBLIC_KEY_SIZE])
{
	_cleanup_(ASN1_OCTET_STRING_freep) ASN1_OCTET_STRING *os = NULL;
	const unsigned char *pk = NULL, *p;
	X509_ALGOR *pa = NULL;
	int pklen = 0;

	if (!pubkey_is_gost(xpk))
		return KZGOST_E_NOT_GOST;
	if (!X509_PUBKEY_get0_param(NULL, &pk, &pklen, &pa, xpk) || !pk)
		return KZGOST_E_CORRUPT;
	if (!params_name_curve_512(pa))
		return KZGOST_E_NOT_GOST;
	p = pk;
	os = d2i_ASN1_OCTET_STRING(NULL, &p, pklen);
	if (!os || p != pk + pklen || ASN1_STRING_length(os) != KZGOST_PUBLIC_KEY_SIZE) {
		ERR_clear_error();
		return KZGOST_E_CORRUPT;
	}
	memcpy(ret_pub, ASN1_STRING_get0_data(os), KZGOST_PUBLIC_KEY_SIZE);
	return 0;
}

int kzgost_cert_public_key(X509 *cert, uint8_t ret_pub[KZGOST_PUBLIC_KEY_SIZE])
{
	if (!cert || !ret_pub)
		return -EINVAL;
	return pubkey_gost(X509_get_X509_PUBKEY(cert), ret_pub);
}

/* Streebog over the first element of a signed SEQUENCE (the TBS of a
 * certificate or a request) exactly as encoded in der[0..n). */
static int signed_tbs_digest(const unsigned char *der, int n, uint8_t ret_digest[KZGOST_DIGEST_SIZE])
{
	const unsigned char *p = der, *tbs;
	long len;
	int tag, xclass, r;

	r = ASN1_get_object(&p, &len, &tag, &xclass, n);
	if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
		return KZGOST_E_CORRUPT;
	tbs = p;
	r = ASN1_get_object(&p, &len, &tag, &xclass, n - (tbs - der));
	if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
		return KZGOST_E_CORRUPT;
	return streebog512(tbs, (size_t)(p - tbs) + (size_t)len, ret_digest);
}

/* Streebog over the TBSCertificate exactly as it was received: i2d_X509()
 * of a parsed certificate reproduces the cached original encoding, and the
 * TBS is its first element. (i2d_re_X509_tbs() would re-encode.) */
static int cert_tbs_digest(X509 *cert, uint8_t ret_digest[KZGOST_DIGEST_SIZE])
{
	_cleanup_(kz_openssl_freep) unsigned char *der = NULL;
	int n;

	n = i2d_X509(cert, &der);
	if (n <= 0)
		return -EIO;
	return signed_tbs_digest(der, n, ret_digest);
}

/* A signature BIT STRING of NCA's form: 128 bytes, no unused bits. */
static bool sig_bits_ok(const ASN1_BIT_STRING *sig)
{
	return ASN1_STRING_length(sig) == KZGOST_SIGNATURE_SIZE &&
	       !((sig->flags & ASN1_STRING_FLAG_BITS_LEFT) && (sig->flags & 0x07));
}

int kzgost_cert_verify_issued(X509 *issuer, X509 *subject)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	uint8_t pub[KZGOST_PUBLIC_KEY_SIZE], digest[KZGOST_DIGEST_SIZE];
	int ret;

	if (!issuer || !subject)
		return -EINVAL;
	X509_get0_signature(&sig, &alg, subject);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (!obj_is(obj, KZGOST_OID_SIGNATURE_512))
		return KZGOST_E_BAD_SIGNATURE;
	X509_ALGOR_get0(&obj, NULL, NULL, X509_get0_tbs_sigalg(subject));
	if (!obj_is(obj, KZGOST_OID_SIGNATURE_512))
		return KZGOST_E_BAD_SIGNATURE;
	if (!sig_bits_ok(sig))
		return KZGOST_E_BAD_SIGNATURE;

	ret = kzgost_cert_public_key(issuer, pub);
	if (ret != 0)
		return ret;
	ret = cert_tbs_digest(subject, digest);
	if (ret != 0)
		return ret;
	return kzgost_verify(pub, digest, ASN1_STRING_get0_data(sig));
}

/* The parameters NCA writes after 1.2.398.3.10.1.1.2.2 in SPKIs and
 * PKCS#8 keys: SEQUENCE { 1.2.398.3.10.1.1.2.2.1, 1.2.398.3.10.1.3.3 }
 * (bytes as in NCA's test certificates; test-csr compares). */
static const unsigned char gost_key_params_der[] = {
	0x30, 0x16,
	0x06, 0x0a, 0x2a, 0x83, 0x0e, 0x03, 0x0a, 0x01, 0x01, 0x02, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x83, 0x0e, 0x03, 0x0a, 0x01, 0x03, 0x03,
};

/* The algorithm OID and parameters of a GOST key, each newly allocated. */
static int gost_key_algorithm_new(ASN1_OBJECT **ret_obj, ASN1_STRING **ret_params)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(KZGOST_OID_KEY_512, 1);
	ASN1_STRING *params = ASN1_STRING_new();

	if (!obj || !params || !ASN1_STRING_set(params, gost_key_params_der, sizeof(gost_key_params_der))) {
		ASN1_OBJECT_free(obj);
		ASN1_STRING_free(params);
		return -ENOMEM;
	}
	*ret_obj = obj;
	*ret_params = params;
	return 0;
}

int kzgost_spki_set(X509_PUBKEY *pk, const uint8_t pub[KZGOST_PUBLIC_KEY_SIZE])
{
	ASN1_OBJECT *obj;
	ASN1_STRING *params;
	unsigned char *penc;
	int ret;

	if (!pk || !pub)
		return -EINVAL;
	ret = gost_key_algorithm_new(&obj, &params);
	if (ret != 0)
		return ret;
	/* BIT STRING contents: OCTET STRING, long-form length 128. */
	penc = OPENSSL_malloc(3 + KZGOST_PUBLIC_KEY_SIZE);
	if (penc) {
		penc[0] = V_ASN1_OCTET_STRING;
		penc[1] = 0x81;
		penc[2] = KZGOST_PUBLIC_KEY_SIZE;
		memcpy(penc + 3, pub, KZGOST_PUBLIC_KEY_SIZE);
	}
	/* set0_param fails only before it takes anything over. */
	if (!penc || !X509_PUBKEY_set0_param(pk, obj, V_ASN1_SEQUENCE, params, penc,
					     3 + KZGOST_PUBLIC_KEY_SIZE)) {
		ASN1_OBJECT_free(obj);
		ASN1_STRING_free(params);
		OPENSSL_free(penc);
		return -ENOMEM;
	}
	return 0;
}

static int algor_set_gost_signature(X509_ALGOR *alg)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(KZGOST_OID_SIGNATURE_512, 1);

	if (!obj)
		return -ENOMEM;
	if (!X509_ALGOR_set0(alg, obj, V_ASN1_NULL, NULL)) {
		ASN1_OBJECT_free(obj);
		return -ENOMEM;
	}
	return 0;
}

/* sig = r ‖ s over Streebog(tbs[0..n)). */
static int sign_tbs(const unsigned char *tbs, int n, const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE],
		    ASN1_BIT_STRING *sig)
{
	uint8_t digest[KZGOST_DIGEST_SIZE], rs[KZGOST_SIGNATURE_SIZE];
	int ret;

	ret = streebog512(tbs, (size_t)n, digest);
	if (ret == 0)
		ret = kzgost_sign(priv, digest, rs);
	if (ret != 0)
		return ret;
	if (!ASN1_BIT_STRING_set(sig, rs, sizeof(rs)))
		return -ENOMEM;
	/* Say "0 unused bits" explicitly: otherwise i2d trims trailing zero
	 * bits and a signature ending in an even byte would change. */
	sig->flags &= ~0x07;
	sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	return 0;
}

int kzgost_sign_x509(X509 *x, const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE])
{
	_cleanup_(kz_openssl_freep) unsigned char *tbs = NULL;
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	int n, ret;

	if (!x || !priv)
		return -EINVAL;
	/* As X509_sign() does: extensions need v3. */
	if (X509_get_ext_count(x) > 0 && !X509_set_version(x, X509_VERSION_3))
		return -ENOMEM;
	/* OpenSSL 3.0 sets a certificate's signature fields only inside
	 * X509_sign(), which needs an EVP_PKEY it cannot make of a GOST key;
	 * its getters hand out the certificate's own fields, so we set them. */
	X509_get0_signature(&sig, &alg, x);
	ret = algor_set_gost_signature((X509_ALGOR *)X509_get0_tbs_sigalg(x));
	if (ret == 0)
		ret = algor_set_gost_signature((X509_ALGOR *)alg);
	if (ret != 0)
		return ret;
	/* i2d_re_X509_tbs() drops the cached TBS encoding and caches the new
	 * one, so i2d_X509() afterwards writes exactly the bytes signed. */
	n = i2d_re_X509_tbs(x, &tbs);
	if (n <= 0)
		return -EIO;
	return sign_tbs(tbs, n, priv, (ASN1_BIT_STRING *)sig);
}

int kzgost_sign_x509_req(X509_REQ *r, const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE])
{
	_cleanup_(kz_openssl_freep) unsigned char *tbs = NULL;
	_cleanup_(X509_ALGOR_freep) X509_ALGOR *alg = NULL;
	ASN1_BIT_STRING *sig;
	int n, ret;

	if (!r || !priv)
		return -EINVAL;
	alg = X509_ALGOR_new();
	if (!alg)
		return -ENOMEM;
	ret = algor_set_gost_signature(alg);
	if (ret != 0)
		return ret;
	if (!X509_REQ_set1_signature_algo(r, alg))
		return -ENOMEM;
	n = i2d_re_X509_REQ_tbs(r, &tbs);
	if (n <= 0)
		return -EIO;
	sig = ASN1_BIT_STRING_new();
	if (!sig)
		return -ENOMEM;
	ret = sign_tbs(tbs, n, priv, sig);
	if (ret != 0) {
		ASN1_BIT_STRING_free(sig);
		return ret;
	}
	X509_REQ_set0_signature(r, sig);
	return 0;
}

int kzgost_x509_req_verify(X509_REQ *r)
{
	_cleanup_(kz_openssl_freep) unsigned char *der = NULL;
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	uint8_t pub[KZGOST_PUBLIC_KEY_SIZE], digest[KZGOST_DIGEST_SIZE];
	int n, ret;

	if (!r)
		return -EINVAL;
	X509_REQ_get0_signature(r, &sig, &alg);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (!obj_is(obj, KZGOST_OID_SIGNATURE_512) || !sig_bits_ok(sig))
		return KZGOST_E_BAD_SIGNATURE;
	ret = pubkey_gost(X509_REQ_get_X509_PUBKEY(r), pub);
	if (ret != 0)
		return ret;
	/* As for certificates: the CertificationRequestInfo as received. */
	n = i2d_X509_REQ(r, &der);
	if (n <= 0)
		return -EIO;
	ret = signed_tbs_digest(der, n, digest);
	if (ret != 0)
		return ret;
	return kzgost_verify(pub, digest, ASN1_STRING_get0_data(sig));
}

/* ---- PKCS#8 and PKCS#12 --------------------------------------------- */

int kzgost_pkcs8_private_key(const PKCS8_PRIV_KEY_INFO *p8, uint8_t ret_priv[KZGOST_PRIVATE_KEY_SIZE])
{
	_cleanup_(BN_clear_freep) BIGNUM *d = NULL;
	const ASN1_OBJECT *obj = NULL;
	const X509_ALGOR *pa = NULL;
	const unsigned char *pk = NULL;
	const EC_GROUP *group;
	const BIGNUM *q;
	int pklen = 0, ret;

	if (!p8 || !ret_priv)
		return -EINVAL;
	if (!PKCS8_pkey_get0(&obj, &pk, &pklen, &pa, p8) || !pk)
		return KZGOST_E_CORRUPT;
	if (!obj_is(obj, KZGOST_OID_KEY_512) || !params_name_curve_512(pa))
		return KZGOST_E_NOT_GOST;
	/* privateKey OCTET STRING { OCTET STRING (64) d little-endian }, as
	 * found in every NCA test key; anything else is not guessed at. */
	if (pklen != 2 + KZGOST_PRIVATE_KEY_SIZE || pk[0] != V_ASN1_OCTET_STRING ||
	    pk[1] != KZGOST_PRIVATE_KEY_SIZE)
		return KZGOST_E_CORRUPT;
	ret = curve_get(&group, &q);
	if (ret != 0)
		return ret;
	ret = private_to_bn(pk + 2, q, &d);
	if (ret != 0)
		return ret;
	memcpy(ret_priv, pk + 2, KZGOST_PRIVATE_KEY_SIZE);
	return 0;
}

int kzgost_pkcs8_new(const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE], PKCS8_PRIV_KEY_INFO **ret_p8)
{
	_cleanup_(BN_clear_freep) BIGNUM *d = NULL;
	_cleanup_(PKCS8_PRIV_KEY_INFO_freep) PKCS8_PRIV_KEY_INFO *p8 = NULL;
	ASN1_OBJECT *obj;
	ASN1_STRING *params;
	unsigned char *penc;
	const EC_GROUP *group;
	const BIGNUM *q;
	int r;

	if (!priv || !ret_p8)
		return -EINVAL;
	r = curve_get(&group, &q);
	if (r == 0)
		r = private_to_bn(priv, q, &d);
	if (r != 0)
		return r;
	p8 = PKCS8_PRIV_KEY_INFO_new();
	if (!p8)
		return -ENOMEM;
	r = gost_key_algorithm_new(&obj, &params);
	if (r != 0)
		return r;
	/* privateKey contents: OCTET STRING(64) d little-endian, NCA's
	 * layout as kzgost_pkcs8_private_key() reads it. Freeing p8 wipes. */
	penc = OPENSSL_malloc(2 + KZGOST_PRIVATE_KEY_SIZE);
	if (penc) {
		penc[0] = V_ASN1_OCTET_STRING;
		penc[1] = KZGOST_PRIVATE_KEY_SIZE;
		memcpy(penc + 2, priv, KZGOST_PRIVATE_KEY_SIZE);
	}
	if (!penc || !PKCS8_pkey_set0(p8, obj, 0, V_ASN1_SEQUENCE, params, penc,
				      2 + KZGOST_PRIVATE_KEY_SIZE)) {
		ASN1_OBJECT_free(obj);
		ASN1_STRING_free(params);
		OPENSSL_clear_free(penc, 2 + KZGOST_PRIVATE_KEY_SIZE);
		return -ENOMEM;
	}
	*ret_p8 = TAKE_PTR(p8);
	return 0;
}

/* Our own library context for the PBE ciphers of PKCS#12: "default" for
 * 3DES and SHA-1, "legacy" for the RC2-40 of NCA's certificate bags. */
static OSSL_LIB_CTX *p12_libctx;
static pthread_once_t p12_once = PTHREAD_ONCE_INIT;

static void p12_libctx_load(void)
{
	OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();

	if (libctx && OSSL_PROVIDER_load(libctx, "default") && OSSL_PROVIDER_load(libctx, "legacy"))
		p12_libctx = libctx;
	else
		OSSL_LIB_CTX_free(libctx);
	ERR_clear_error();
}

static PKCS12 *p12_parse(const char *path, const void *der, size_t len, int *ret_error)
{
	PKCS12 *p12;

	if (path) {
		FILE *f = fopen(path, "rbe");

		if (!f) {
			*ret_error = -errno;
			return NULL;
		}
		p12 = d2i_PKCS12_fp(f, NULL);
		fclose(f);
	} else {
		const unsigned char *p = der;

		if (len > LONG_MAX) {
			*ret_error = KZGOST_E_CORRUPT;
			return NULL;
		}
		p12 = d2i_PKCS12(NULL, &p, (long)len);
	}
	if (!p12)
		*ret_error = KZGOST_E_CORRUPT;
	return p12;
}

struct p12_contents {
	uint8_t priv[KZGOST_PRIVATE_KEY_SIZE];
	bool have_key;
	STACK_OF(X509) *certs;
};

static int p12_take_bags(STACK_OF(PKCS12_SAFEBAG) *bags, const char *password, int wrong_password,
			 struct p12_contents *c)
{
	for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, i);
		_cleanup_(PKCS8_PRIV_KEY_INFO_freep) PKCS8_PRIV_KEY_INFO *p8 = NULL;
		const PKCS8_PRIV_KEY_INFO *key = NULL;
		X509 *x;
		int ret;

		switch (PKCS12_SAFEBAG_get_nid(bag)) {
		case NID_pkcs8ShroudedKeyBag:
			p8 = PKCS12_decrypt_skey_ex(bag, password, (int)strlen(password), p12_libctx,
						    NULL);
			if (!p8)
				return wrong_password;
			key = p8;
			break;
		case NID_keyBag:
			key = PKCS12_SAFEBAG_get0_p8inf(bag);
			break;
		case NID_certBag:
			/* Other certificate types (SDSI) are skipped. */
			x = PKCS12_SAFEBAG_get1_cert(bag);
			if (x && !sk_X509_push(c->certs, x)) {
				X509_free(x);
				return -ENOMEM;
			}
			continue;
		default:
			continue;
		}
		if (c->have_key)
			return KZGOST_E_CORRUPT;
		ret = kzgost_pkcs8_private_key(key, c->priv);
		if (ret != 0)
			return ret;
		c->have_key = true;
	}
	return 0;
}

static int p12_walk(PKCS12 *p12, const char *password, int wrong_password, struct p12_contents *c)
{
	_cleanup_(kz_pkcs7_stack_freep) STACK_OF(PKCS7) *safes = NULL;

	safes = PKCS12_unpack_authsafes(p12);
	if (!safes)
		return KZGOST_E_CORRUPT;
	for (int i = 0; i < sk_PKCS7_num(safes); i++) {
		_cleanup_(kz_safebag_stack_freep) STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		int ret;

		switch (OBJ_obj2nid(p7->type)) {
		case NID_pkcs7_data:
			bags = PKCS12_unpack_p7data(p7);
			if (!bags)
				return KZGOST_E_CORRUPT;
			break;
		case NID_pkcs7_encrypted:
			/* PKCS12_unpack_p7encdata() would use the default
			 * library context; this is the same call on ours. */
			if (!p7->d.encrypted || !p7->d.encrypted->enc_data ||
			    !p7->d.encrypted->enc_data->enc_data)
				return KZGOST_E_CORRUPT;
			bags = PKCS12_item_decrypt_d2i_ex(p7->d.encrypted->enc_data->algorithm,
							  ASN1_ITEM_rptr(PKCS12_SAFEBAGS), password,
							  (int)strlen(password),
							  p7->d.encrypted->enc_data->enc_data, 1,
							  p12_libctx, NULL);
			if (!bags)
				return wrong_password;
			break;
		default:
			continue; /* enveloped data: not used by NCA */
		}
		ret = p12_take_bags(bags, password, wrong_password, c);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int kzgost_p12_load(const char *path, const void *der, size_t len, const char *password,
		    uint8_t ret_priv[KZGOST_PRIVATE_KEY_SIZE], X509 **ret_cert,
		    STACK_OF(X509) **ret_extra_certs)
{
	_cleanup_(PKCS12_freep) PKCS12 *p12 = NULL;
	_cleanup_(kz_x509_stack_freep) STACK_OF(X509) *certs = NULL;
	struct p12_contents c = {};
	uint8_t pub[KZGOST_PUBLIC_KEY_SIZE], cert_pub[KZGOST_PUBLIC_KEY_SIZE];
	X509 *cert = NULL;
	int wrong_password, ret;

	if ((!path && !der) || !password || !ret_priv || !ret_cert)
		return -EINVAL;
	pthread_once(&p12_once, p12_libctx_load);
	if (!p12_libctx)
		return -ENOPKG;

	/* Failures here are answers, not news: leave no errors queued. */
	ERR_clear_error();
	p12 = p12_parse(path, der, len, &ret);
	if (!p12)
		goto out;

	/* A MAC mismatch is a wrong password; after a good MAC, failing to
	 * decrypt means the file is broken. PKCS12_verify_mac() raises an
	 * error only when it cannot compute the MAC at all. */
	wrong_password = KZGOST_E_BAD_PASSWORD;
	if (PKCS12_mac_present(p12)) {
		if (!PKCS12_verify_mac(p12, password, (int)strlen(password))) {
			ret = ERR_peek_error() ? KZGOST_E_CORRUPT : KZGOST_E_BAD_PASSWORD;
			goto out;
		}
		wrong_password = KZGOST_E_CORRUPT;
	}

	c.certs = certs = sk_X509_new_null();
	if (!certs) {
		ret = -ENOMEM;
		goto out;
	}
	ret = p12_walk(p12, password, wrong_password, &c);
	if (ret != 0)
		goto out;
	if (!c.have_key) {
		ret = KZGOST_E_CORRUPT;
		goto out;
	}
	ret = kzgost_public_from_private(c.priv, pub);
	if (ret != 0)
		goto out;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (kzgost_cert_public_key(x, cert_pub) == 0 && memcmp(cert_pub, pub, sizeof(pub)) == 0) {
			cert = sk_X509_delete(certs, i);
			break;
		}
	}
	if (!cert) {
		ret = KZGOST_E_CORRUPT;
		goto out;
	}

	memcpy(ret_priv, c.priv, KZGOST_PRIVATE_KEY_SIZE);
	*ret_cert = cert;
	if (ret_extra_certs)
		*ret_extra_certs = TAKE_PTR(certs);
	ret = 0;
out:
	OPENSSL_cleanse(c.priv, sizeof(c.priv));
	ERR_clear_error();
	return ret;
}
