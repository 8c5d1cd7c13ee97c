/* Enrollment on a token: key pairs made on it, deleted again when the
 * request fails, and the issued certificate stored next to its key (after
 * comparing public keys); see pkcs11.h. */
#include "daemon/keystore/pkcs11-internal.h"

#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "daemon/crypto/kzgost.h"
#include "util/cleanup.h"

DEFINE_POINTER_CLEANUP(X509_PUBKEY_free, X509_PUBKEY)
DEFINE_POINTER_CLEANUP(EVP_PKEY_free, EVP_PKEY)
DEFINE_POINTER_CLEANUP(EVP_PKEY_CTX_free, EVP_PKEY_CTX)
DEFINE_POINTER_CLEANUP(OSSL_PARAM_BLD_free, OSSL_PARAM_BLD)
DEFINE_POINTER_CLEANUP(OSSL_PARAM_free, OSSL_PARAM)
DEFINE_POINTER_CLEANUP(BN_free, BIGNUM)
DEFINE_POINTER_CLEANUP(ASN1_OBJECT_free, ASN1_OBJECT)
DEFINE_POINTER_CLEANUP(ASN1_OCTET_STRING_free, ASN1_OCTET_STRING)
DEFINE_POINTER_CLEANUP(EC_GROUP_free, EC_GROUP)

static inline void openssl_freep(uint8_t **p)
{
	OPENSSL_free(*p);
}

#define RSA_BITS 2048

/* Errors that end a search; the others skip one object. */
static bool fatal(int r)
{
	return r < 0 || r == PKCS11_E_REMOVED;
}

static const uint8_t rsa_f4[] = { 0x01, 0x00, 0x01 }; /* e = 65537 */

/* ---- public keys ------------------------------------------------------- */

/* A point or GOST key the token may give bare or DER-wrapped in an OCTET
 * STRING (PKCS#11 says wrapped for CKA_EC_POINT; tokens differ). want is
 * the bare size. Points to the bare bytes inside v. */
static bool unwrap_octets(const uint8_t *v, size_t len, size_t want, const uint8_t **ret)
{
	const unsigned char *p = v;
	_cleanup_(ASN1_OCTET_STRING_freep) ASN1_OCTET_STRING *os = NULL;

	if (len == want) {
		*ret = v;
		return true;
	}
	os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)len);
	ERR_clear_error();
	if (!os || p != v + len || (size_t)ASN1_STRING_length(os) != want)
		return false;
	*ret = v + len - want;
	return true;
}

static int rsa_spki(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
		    X509_PUBKEY **ret)
{
	_cleanup_(BN_freep) BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL);
	_cleanup_(BN_freep) BIGNUM *bn_e = BN_bin2bn(e, (int)e_len, NULL);
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	_cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	X509_PUBKEY *pk = NULL;

	if (!bn_n || !bn_e || !bld)
		return -ENOMEM;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		return -ENOMEM;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    !X509_PUBKEY_set(&pk, pkey)) {
		ERR_clear_error();
		return -EIO;
	}
	*ret = pk;
	return 0;
}

static int ec_spki(const uint8_t *params, size_t params_len, const uint8_t *point,
		   size_t point_len, X509_PUBKEY **ret)
{
	const unsigned char *p = params;
	_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *curve = d2i_ASN1_OBJECT(NULL, &p, (long)params_len);
	_cleanup_(EC_GROUP_freep) EC_GROUP *group = NULL;
	_cleanup_(X509_PUBKEY_freep) X509_PUBKEY *pk = NULL;
	const uint8_t *bare;
	uint8_t *copy;
	size_t field;

	if (!curve || p != params + params_len) {
		ERR_clear_error();
		return PKCS11_E_NOT_FOUND; /* named curves only */
	}
	group = EC_GROUP_new_by_curve_name(OBJ_obj2nid(curve));
	if (!group) {
		ERR_clear_error();
		return PKCS11_E_NOT_FOUND;
	}
	field = (size_t)(EC_GROUP_get_degree(group) + 7) / 8;
	if (!unwrap_octets(point, point_len, 1 + 2 * field, &bare))
		return PKCS11_E_NOT_FOUND;
	pk = X509_PUBKEY_new();
	copy = OPENSSL_memdup(bare, 1 + 2 * field);
	if (!pk || !copy ||
	    !X509_PUBKEY_set0_param(pk, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT, curve,
				    copy, (int)(1 + 2 * field))) {
		OPENSSL_free(copy);
		return -ENOMEM;
	}
	curve = NULL; /* pk's now */
	*ret = TAKE_PTR(pk);
	return 0;
}

/* GOST 34.10-2012 public key value: x ‖ y, each little-endian, as in
 * PKCS#11's CKA_VALUE and inside NCA's SPKI alike: no conversion. */
static int gost_spki(const uint8_t *value, size_t len, X509_PUBKEY **ret)
{
	_cleanup_(X509_PUBKEY_freep) X509_PUBKEY *pk = NULL;
	const uint8_t *bare;
	int r;

	if (!unwrap_octets(value, len, KZGOST_PUBLIC_KEY_SIZE, &bare))
		return PKCS11_E_NOT_FOUND;
	pk = X509_PUBKEY_new();
	if (!pk)
		return -ENOMEM;
	r = kzgost_spki_set(pk, bare);
	if (r != 0)
		return r < 0 ? r : -EIO;
	*ret = TAKE_PTR(pk);
	return 0;
}

/* The public key an object describes (a public key, or an RSA private
 * key, which carries its modulus and exponent). */
static int object_spki(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, X509_PUBKEY **ret)
{
	g_autofree uint8_t *a = NULL, *b = NULL;
	size_t a_len = 0, b_len = 0;
	CK_ULONG type;
	int r;

	r = pkcs11_attr_ulong(s, obj, CKA_KEY_TYPE, &type);
	if (r != 0)
		return r;
	switch (type) {
	case CKK_RSA:
		r = pkcs11_attr(s, obj, CKA_MODULUS, &a, &a_len);
		if (r == 0)
			r = pkcs11_attr(s, obj, CKA_PUBLIC_EXPONENT, &b, &b_len);
		return r == 0 ? rsa_spki(a, a_len, b, b_len, ret) : r;
	case CKK_EC:
		r = pkcs11_attr(s, obj, CKA_EC_PARAMS, &a, &a_len);
		if (r == 0)
			r = pkcs11_attr(s, obj, CKA_EC_POINT, &b, &b_len);
		return r == 0 ? ec_spki(a, a_len, b, b_len, ret) : r;
	case CKK_GOSTR3410:
		r = pkcs11_attr(s, obj, CKA_VALUE, &a, &a_len);
		return r == 0 ? gost_spki(a, a_len, ret) : r;
	default:
		return PKCS11_E_NOT_FOUND;
	}
}

/* The SPKI of the key with this CKA_ID as the token describes it: from its
 * public key object, else from the private key's RSA modulus.
 * PKCS11_E_NOT_FOUND when neither says. */
static int key_spki(struct pkcs11_session *s, const uint8_t *id, size_t id_len, X509_PUBKEY **ret)
{
	g_autofree CK_OBJECT_HANDLE *pubs = NULL, *privs = NULL;
	size_t n_pubs = 0, n_privs = 0;
	CK_ULONG type;
	int r;

	r = pkcs11_find_by_id(s, CKO_PUBLIC_KEY, id, id_len, &pubs, &n_pubs);
	if (r != 0)
		return r;
	for (size_t i = 0; i < n_pubs; i++) {
		r = object_spki(s, pubs[i], ret);
		if (r == 0 || fatal(r))
			return r;
	}
	r = pkcs11_find_by_id(s, CKO_PRIVATE_KEY, id, id_len, &privs, &n_privs);
	if (r != 0)
		return r;
	for (size_t i = 0; i < n_privs; i++) {
		/* Only RSA private keys say their public half. */
		r = pkcs11_attr_ulong(s, privs[i], CKA_KEY_TYPE, &type);
		if (fatal(r))
			return r;
		if (r != 0 || type != CKK_RSA)
			continue;
		r = object_spki(s, privs[i], ret);
		if (r == 0 || fatal(r))
			return r;
	}
	return PKCS11_E_NOT_FOUND;
}

/* ---- key generation ---------------------------------------------------- */

/* Tokens that know only GOST 2001 answer a 512-bit parameter set with one
 * of these. */
static bool gost_params_refused(CK_RV rv)
{
	switch (rv) {
	case CKR_ATTRIBUTE_VALUE_INVALID:
	case CKR_DOMAIN_PARAMS_INVALID:
	case CKR_CURVE_NOT_SUPPORTED:
	case CKR_TEMPLATE_INCONSISTENT:
	case CKR_TEMPLATE_INCOMPLETE:
	case CKR_MECHANISM_PARAM_INVALID:
	case CKR_KEY_SIZE_RANGE:
		return true;
	default:
		return false;
	}
}

static bool rsa_2048_offered(struct pkcs11_session *s)
{
	CK_MECHANISM_INFO info;

	memset(&info, 0, sizeof(info));
	if (s->m->funcs->C_GetMechanismInfo(s->slot, CKM_RSA_PKCS_KEY_PAIR_GEN, &info) != CKR_OK)
		return false;
	return (info.flags & CKF_GENERATE_KEY_PAIR) && info.ulMinKeySize <= RSA_BITS &&
	       info.ulMaxKeySize >= RSA_BITS;
}

static void pair_destroy(struct pkcs11_session *s, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv)
{
	s->m->funcs->C_DestroyObject(s->h, priv);
	s->m->funcs->C_DestroyObject(s->h, pub);
}

int pkcs11_key_generate(struct pkcs11_session *s, enum csr_algorithm alg, const char *label,
			X509_PUBKEY **ret_pk, uint8_t ret_id[CSR_KEY_ID_SIZE])
{
	g_autoptr(GMutexLocker) locker = NULL;
	_cleanup_(X509_PUBKEY_freep) X509_PUBKEY *pk = NULL;
	CK_FUNCTION_LIST *f;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = RSA_BITS;
	CK_KEY_TYPE gost = CKK_GOSTR3410;
	CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
	uint8_t id[CSR_KEY_ID_SIZE];
	CK_ULONG label_len = label ? strlen(label) : 0;
	CK_RV rv;
	int r;
	CK_ATTRIBUTE pub_rsa[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)label, label_len },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)rsa_f4, sizeof(rsa_f4) },
	};
	CK_ATTRIBUTE pub_gost[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)label, label_len },
		{ CKA_KEY_TYPE, &gost, sizeof(gost) },
		{ CKA_GOSTR3410_PARAMS, (void *)pkcs11_oid_tc26_512a, sizeof(pkcs11_oid_tc26_512a) },
		{ CKA_GOSTR3411_PARAMS, (void *)pkcs11_oid_streebog512,
		  sizeof(pkcs11_oid_streebog512) },
	};
	CK_ATTRIBUTE private[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)label, label_len },
	};
	CK_ATTRIBUTE *pub_templ = pub_rsa;
	CK_ULONG pub_n = G_N_ELEMENTS(pub_rsa);

	if (!s || !label || !ret_pk || !ret_id || !s->rw)
		return -EINVAL;
	locker = module_lock(s->m);
	f = s->m->funcs;
	switch (alg) {
	case CSR_ALG_RSA2048:
		if (!rsa_2048_offered(s))
			return PKCS11_E_UNSUPPORTED;
		break;
	case CSR_ALG_GOST512:
		/* Without CKM_GOSTR3410 the key could not sign anyway. */
		if (!pkcs11_has_mechanism(s, CKM_GOSTR3410_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR) ||
		    !pkcs11_has_mechanism(s, CKM_GOSTR3410, CKF_SIGN))
			return PKCS11_E_UNSUPPORTED;
		mech.mechanism = CKM_GOSTR3410_KEY_PAIR_GEN;
		pub_templ = pub_gost;
		pub_n = G_N_ELEMENTS(pub_gost);
		break;
	}
	rv = f->C_GenerateKeyPair(s->h, &mech, pub_templ, pub_n, private, G_N_ELEMENTS(private),
				  &pub, &priv);
	if (rv != CKR_OK) {
		r = pkcs11_rv_error(s, rv);
		return alg == CSR_ALG_GOST512 && gost_params_refused(rv) ? PKCS11_E_UNSUPPORTED : r;
	}
	/* The id is the public key's SHA-1, known only now. */
	r = object_spki(s, pub, &pk);
	if (r == 0)
		r = csr_pubkey_id(pk, id);
	if (r == 0) {
		CK_ATTRIBUTE set[] = { { CKA_ID, id, sizeof(id) } };

		rv = f->C_SetAttributeValue(s->h, priv, set, 1);
		if (rv == CKR_OK)
			rv = f->C_SetAttributeValue(s->h, pub, set, 1);
		r = pkcs11_rv_error(s, rv);
	}
	if (r != 0) {
		/* A key nobody can find by its id is no use to anyone. */
		pair_destroy(s, pub, priv);
		return r == PKCS11_E_NOT_FOUND ? PKCS11_E_FAILED : r;
	}
	*ret_pk = TAKE_PTR(pk);
	memcpy(ret_id, id, sizeof(id));
	return 0;
}

int pkcs11_key_delete(struct pkcs11_session *s, const uint8_t *id, size_t id_len)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_autofree CK_OBJECT_HANDLE *certs = NULL, *privs = NULL, *pubs = NULL;
	size_t n_certs = 0, n_privs = 0, n_pubs = 0;
	CK_RV rv;
	int r;

	if (!s || !id || id_len == 0 || !s->rw)
		return -EINVAL;
	locker = module_lock(s->m);
	r = pkcs11_find_by_id(s, CKO_CERTIFICATE, id, id_len, &certs, &n_certs);
	if (r == 0)
		r = pkcs11_find_by_id(s, CKO_PRIVATE_KEY, id, id_len, &privs, &n_privs);
	if (r == 0)
		r = pkcs11_find_by_id(s, CKO_PUBLIC_KEY, id, id_len, &pubs, &n_pubs);
	if (r != 0)
		return r;
	if (n_certs > 0)
		return PKCS11_E_EXISTS;
	if (n_privs == 0)
		return PKCS11_E_NOT_FOUND;
	for (size_t i = 0; i < n_privs; i++) {
		rv = s->m->funcs->C_DestroyObject(s->h, privs[i]);
		if (rv != CKR_OK)
			return pkcs11_rv_error(s, rv);
	}
	for (size_t i = 0; i < n_pubs; i++) {
		rv = s->m->funcs->C_DestroyObject(s->h, pubs[i]);
		if (rv != CKR_OK)
			return pkcs11_rv_error(s, rv);
	}
	return 0;
}

/* ---- certificate import ------------------------------------------------ */

static bool spki_same(X509_PUBKEY *a, X509_PUBKEY *b)
{
	ASN1_OBJECT *alg_a, *alg_b;
	const unsigned char *bits_a, *bits_b;
	int len_a, len_b;

	if (!X509_PUBKEY_get0_param(&alg_a, &bits_a, &len_a, NULL, a) ||
	    !X509_PUBKEY_get0_param(&alg_b, &bits_b, &len_b, NULL, b))
		return false;
	return OBJ_cmp(alg_a, alg_b) == 0 && len_a == len_b && memcmp(bits_a, bits_b, len_a) == 0;
}

/* Does cert's public key verify sig over digest? */
static bool cert_verifies(X509 *cert, enum signer_algorithm alg, const uint8_t *digest,
			  size_t digest_len, const uint8_t *sig, size_t sig_len)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
	uint8_t pub[KZGOST_PUBLIC_KEY_SIZE];
	EVP_PKEY *pkey;
	bool ok;

	if (alg == SIGNER_ALG_GOST2015_512)
		return sig_len == KZGOST_SIGNATURE_SIZE && kzgost_cert_public_key(cert, pub) == 0 &&
		       kzgost_verify(pub, digest, sig) == 0;
	pkey = X509_get0_pubkey(cert);
	ctx = pkey ? EVP_PKEY_CTX_new(pkey, NULL) : NULL;
	ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
	     (alg != SIGNER_ALG_RSA_SHA256 ||
	      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1) &&
	     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	     EVP_PKEY_verify(ctx, sig, sig_len, digest, digest_len) == 1;
	ERR_clear_error();
	return ok;
}

/* A key whose public half the token does not show (EC or GOST keys
 * imported without their public key object): it must sign something
 * cert's key verifies. */
static int key_proves_cert(struct pkcs11_session *s, CK_OBJECT_HANDLE priv, X509 *cert)
{
	_cleanup_(openssl_freep) uint8_t *sig = NULL;
	uint8_t digest[SIGNER_DIGEST_MAX];
	size_t sig_len = 0, digest_len;
	int alg = pkcs11_key_algorithm(s, priv, NULL);
	int r;

	if (alg < 0 || alg != pkcs11_cert_algorithm(cert))
		return PKCS11_E_KEY_MISMATCH;
	digest_len = signer_digest_size(alg);
	if (RAND_bytes(digest, (int)digest_len) != 1)
		return -EIO;
	r = pkcs11_sign_locked(s, priv, alg, false, digest, digest_len, &sig, &sig_len);
	if (r != 0)
		return r;
	return cert_verifies(cert, alg, digest, digest_len, sig, sig_len) ? 0
									 : PKCS11_E_KEY_MISMATCH;
}

static int key_matches_cert(struct pkcs11_session *s, CK_OBJECT_HANDLE priv, const uint8_t *id,
			    size_t id_len, X509 *cert)
{
	_cleanup_(X509_PUBKEY_freep) X509_PUBKEY *pk = NULL;
	int r = key_spki(s, id, id_len, &pk);

	if (r == PKCS11_E_NOT_FOUND)
		return key_proves_cert(s, priv, cert);
	if (r != 0)
		return r;
	return spki_same(pk, X509_get_X509_PUBKEY(cert)) ? 0 : PKCS11_E_KEY_MISMATCH;
}

/* cert as a token object (CKO_CERTIFICATE, CKC_X_509) with the key's id. */
static int cert_create(struct pkcs11_session *s, const uint8_t *id, size_t id_len, X509 *cert,
		       const char *label)
{
	_cleanup_(openssl_freep) uint8_t *value = NULL, *subject = NULL, *issuer = NULL,
					 *serial = NULL;
	int value_len = i2d_X509(cert, &value);
	int subject_len = i2d_X509_NAME(X509_get_subject_name(cert), &subject);
	int issuer_len = i2d_X509_NAME(X509_get_issuer_name(cert), &issuer);
	int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
	CK_OBJECT_CLASS class = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE type = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
	CK_ATTRIBUTE templ[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_CERTIFICATE_TYPE, &type, sizeof(type) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_ID, (void *)id, id_len },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_SUBJECT, subject, (CK_ULONG)subject_len },
		{ CKA_ISSUER, issuer, (CK_ULONG)issuer_len },
		{ CKA_SERIAL_NUMBER, serial, (CK_ULONG)serial_len },
		{ CKA_VALUE, value, (CK_ULONG)value_len },
	};

	if (value_len <= 0 || subject_len <= 0 || issuer_len <= 0 || serial_len <= 0)
		return -EIO;
	return pkcs11_rv_error(s, s->m->funcs->C_CreateObject(s->h, templ, G_N_ELEMENTS(templ),
							      &obj));
}

int pkcs11_cert_import(struct pkcs11_session *s, const uint8_t *id, size_t id_len, X509 *cert,
		       const char *label)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_autofree CK_OBJECT_HANDLE *privs = NULL, *certs = NULL;
	size_t n_privs = 0, n_certs = 0;
	int r;

	if (!s || !id || id_len == 0 || !cert || !label || !s->rw)
		return -EINVAL;
	locker = module_lock(s->m);
	r = pkcs11_find_by_id(s, CKO_PRIVATE_KEY, id, id_len, &privs, &n_privs);
	if (r == 0)
		r = pkcs11_find_by_id(s, CKO_CERTIFICATE, id, id_len, &certs, &n_certs);
	if (r != 0)
		return r;
	if (n_privs == 0)
		return PKCS11_E_NOT_FOUND;
	/* Never replace: what is there may be the only copy of something. */
	if (n_certs > 0)
		return PKCS11_E_EXISTS;
	r = key_matches_cert(s, privs[0], id, id_len, cert);
	if (r != 0)
		return r;
	return cert_create(s, id, id_len, cert, label);
}
