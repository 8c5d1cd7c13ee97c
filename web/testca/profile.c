/* The certificate profile of the test CA: NCA's end-entity extensions
 * (research/ncalayer-protocol.md §10.3, §10.7) and the roots'; see
 * profile.h and testca.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/cleanup.h"
#include "daemon/crypto/csr.h"
#include "daemon/crypto/kzgost.h"
#include "web/testca/profile.h"

DEFINE_POINTER_CLEANUP(X509_EXTENSION_free, X509_EXTENSION)
DEFINE_POINTER_CLEANUP(GENERAL_NAMES_free, GENERAL_NAMES)
DEFINE_POINTER_CLEANUP(CERTIFICATEPOLICIES_free, CERTIFICATEPOLICIES)
DEFINE_POINTER_CLEANUP(EXTENDED_KEY_USAGE_free, EXTENDED_KEY_USAGE)
DEFINE_POINTER_CLEANUP(AUTHORITY_KEYID_free, AUTHORITY_KEYID)
DEFINE_POINTER_CLEANUP(BASIC_CONSTRAINTS_free, BASIC_CONSTRAINTS)
DEFINE_POINTER_CLEANUP(ASN1_BIT_STRING_free, ASN1_BIT_STRING)
DEFINE_POINTER_CLEANUP(ASN1_OCTET_STRING_free, ASN1_OCTET_STRING)
DEFINE_POINTER_CLEANUP(ASN1_OBJECT_free, ASN1_OBJECT)

static inline void profile_extensions_freep(STACK_OF(X509_EXTENSION) **sk)
{
	sk_X509_EXTENSION_pop_free(*sk, X509_EXTENSION_free);
}

static inline void profile_openssl_freep(unsigned char **p)
{
	OPENSSL_free(*p);
}

#define DAY_SECONDS 86400LL
#define CPS_URI "http://pki.gov.kz/cps"

#define OID_POLICY_GOST     "1.2.398.3.3.2"
#define OID_POLICY_RSA_SIGN "1.2.398.3.3.2.3" /* individual, signing */
#define OID_POLICY_RSA_AUTH "1.2.398.3.3.2.4" /* individual, authentication */
#define OID_EKU_PERSON      "1.2.398.3.3.4.1.1"
#define OID_EKU_COMPANY     "1.2.398.3.3.4.1.2"

/* KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
enum {
	BIT_DIGITAL_SIGNATURE = 0,
	BIT_NON_REPUDIATION = 1,
	BIT_KEY_ENCIPHERMENT = 2,
	BIT_KEY_AGREEMENT = 4,
	BIT_KEY_CERT_SIGN = 5,
	BIT_CRL_SIGN = 6,
};

static int refuse(const char *why, const char **ret_why)
{
	if (ret_why)
		*ret_why = why;
	return TESTCA_E_REQUEST;
}

/* Copy an SPKI field by field: a GOST key has no EVP_PKEY to hand to
 * X509_set_pubkey(). */
static int pubkey_copy(X509_PUBKEY *dst, X509_PUBKEY *src)
{
	ASN1_OBJECT *alg_obj = NULL, *obj;
	const unsigned char *bits = NULL;
	const void *pval = NULL;
	X509_ALGOR *alg = NULL;
	void *param = NULL;
	unsigned char *penc;
	int len = 0, ptype = V_ASN1_UNDEF;

	if (!X509_PUBKEY_get0_param(&alg_obj, &bits, &len, &alg, src) || !bits)
		return -EIO;
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	obj = OBJ_dup(alg_obj);
	penc = OPENSSL_memdup(bits, (size_t)len);
	if (ptype == V_ASN1_SEQUENCE || ptype == V_ASN1_OBJECT)
		param = ptype == V_ASN1_OBJECT ? (void *)OBJ_dup(pval) : (void *)ASN1_STRING_dup(pval);
	if (obj && penc && (param || pval == NULL) &&
	    X509_PUBKEY_set0_param(dst, obj, ptype, param, penc, len))
		return 0;
	ASN1_OBJECT_free(obj);
	OPENSSL_free(penc);
	if (ptype == V_ASN1_OBJECT)
		ASN1_OBJECT_free(param);
	else
		ASN1_STRING_free(param);
	return -ENOMEM;
}

/* serial = the key identifier with its top bit cleared (NCA's rule: a
 * positive INTEGER of at most 20 bytes). */
static int serial_set(X509 *x, const uint8_t id[CSR_KEY_ID_SIZE])
{
	uint8_t buf[CSR_KEY_ID_SIZE];
	BIGNUM *bn;
	int ret = 0;

	memcpy(buf, id, sizeof(buf));
	buf[0] &= 0x7f;
	bn = BN_bin2bn(buf, sizeof(buf), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		ret = -ENOMEM;
	BN_free(bn);
	return ret;
}

static int validity_set(X509 *x, long long not_before, unsigned days)
{
	if (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(not_before + days * DAY_SECONDS)))
		return -EIO;
	return 0;
}

int profile_cert_init(X509 *x, X509_PUBKEY *spki, const X509_NAME *subject, const X509_NAME *issuer,
		     long long not_before, unsigned days, uint8_t ret_id[CSR_KEY_ID_SIZE])
{
	int ret;

	if (!X509_set_version(x, X509_VERSION_3) || !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, issuer))
		return -ENOMEM;
	ret = pubkey_copy(X509_get_X509_PUBKEY(x), spki);
	if (ret == 0)
		ret = csr_pubkey_id(spki, ret_id);
	if (ret == 0)
		ret = serial_set(x, ret_id);
	if (ret == 0)
		ret = validity_set(x, not_before, days);
	return ret;
}

static int ext_add(X509 *x, int nid, void *value, int critical)
{
	return X509_add1_ext_i2d(x, nid, value, critical, X509V3_ADD_DEFAULT) == 1 ? 0 : -ENOMEM;
}

static int ext_key_ids(X509 *x, const uint8_t id[CSR_KEY_ID_SIZE],
		       const ASN1_OCTET_STRING *issuer_id)
{
	_cleanup_(ASN1_OCTET_STRING_freep) ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
	_cleanup_(AUTHORITY_KEYID_freep) AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
	int ret;

	if (!ski || !aki || !ASN1_OCTET_STRING_set(ski, id, CSR_KEY_ID_SIZE))
		return -ENOMEM;
	aki->keyid = ASN1_OCTET_STRING_dup(issuer_id ? issuer_id : ski);
	if (!aki->keyid)
		return -ENOMEM;
	ret = ext_add(x, NID_subject_key_identifier, ski, 0);
	if (ret == 0)
		ret = ext_add(x, NID_authority_key_identifier, aki, 0);
	return ret;
}

static int ext_key_usage(X509 *x, const int *bits, size_t n)
{
	_cleanup_(ASN1_BIT_STRING_freep) ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();

	if (!ku)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!ASN1_BIT_STRING_set_bit(ku, bits[i], 1))
			return -ENOMEM;
	return ext_add(x, NID_key_usage, ku, 1);
}

int profile_cert_sign(X509 *x, const struct csr_key *key, X509 **ret_cert)
{
	_cleanup_(profile_openssl_freep) unsigned char *der = NULL;
	const unsigned char *p;
	X509 *parsed;
	int n, ret;

	switch (key->alg) {
	case CSR_ALG_GOST512:
		ret = kzgost_sign_x509(x, key->gost);
		if (ret != 0)
			return ret;
		break;
	case CSR_ALG_RSA2048:
		if (X509_sign(x, key->pkey, EVP_sha256()) <= 0)
			return -EIO;
		break;
	}
	n = i2d_X509(x, &der);
	if (n <= 0)
		return -EIO;
	p = der;
	parsed = d2i_X509(NULL, &p, n);
	if (!parsed)
		return -EIO;
	*ret_cert = parsed;
	return 0;
}

int profile_root_extensions(X509 *x, const uint8_t id[CSR_KEY_ID_SIZE])
{
	static const int bits[] = { BIT_KEY_CERT_SIGN, BIT_CRL_SIGN };
	_cleanup_(BASIC_CONSTRAINTS_freep) BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	int ret;

	if (!bc)
		return -ENOMEM;
	bc->ca = 1;
	ret = ext_add(x, NID_basic_constraints, bc, 1);
	if (ret == 0)
		ret = ext_key_usage(x, bits, sizeof(bits) / sizeof(bits[0]));
	if (ret == 0)
		ret = ext_key_ids(x, id, NULL);
	return ret;
}

static bool subject_is_company(const X509_NAME *name)
{
	return X509_NAME_get_index_by_NID(name, NID_organizationName, -1) >= 0 ||
	       X509_NAME_get_index_by_NID(name, NID_organizationalUnitName, -1) >= 0;
}

static POLICYQUALINFO *cps_qualifier_new(void)
{
	POLICYQUALINFO *q = POLICYQUALINFO_new();

	if (!q)
		return NULL;
	q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
	q->d.cpsuri = ASN1_IA5STRING_new();
	if (!q->d.cpsuri || !ASN1_STRING_set(q->d.cpsuri, CPS_URI, -1)) {
		POLICYQUALINFO_free(q);
		return NULL;
	}
	return q;
}

static int policy_push(CERTIFICATEPOLICIES *pols, const char *oid)
{
	POLICYINFO *pi = POLICYINFO_new();
	POLICYQUALINFO *q = cps_qualifier_new();

	if (pi) {
		pi->policyid = OBJ_txt2obj(oid, 1);
		pi->qualifiers = sk_POLICYQUALINFO_new_null();
	}
	if (!pi || !q || !pi->policyid || !pi->qualifiers ||
	    !sk_POLICYQUALINFO_push(pi->qualifiers, q)) {
		POLICYQUALINFO_free(q);
		POLICYINFO_free(pi);
		return -ENOMEM;
	}
	if (!sk_POLICYINFO_push(pols, pi)) {
		POLICYINFO_free(pi);
		return -ENOMEM;
	}
	return 0;
}

static int ext_policies(X509 *x, enum csr_algorithm alg, enum testca_purpose purpose)
{
	_cleanup_(CERTIFICATEPOLICIES_freep) CERTIFICATEPOLICIES *pols = CERTIFICATEPOLICIES_new();
	int ret = 0;

	if (!pols)
		return -ENOMEM;
	if (alg == CSR_ALG_GOST512)
		ret = policy_push(pols, OID_POLICY_GOST);
	else {
		/* NCA's RSA templates: one policy per purpose. */
		if (purpose != TESTCA_PURPOSE_AUTH)
			ret = policy_push(pols, OID_POLICY_RSA_SIGN);
		if (ret == 0 && purpose != TESTCA_PURPOSE_SIGN)
			ret = policy_push(pols, OID_POLICY_RSA_AUTH);
	}
	if (ret == 0)
		ret = ext_add(x, NID_certificate_policies, pols, 0);
	return ret;
}

static int eku_push(EXTENDED_KEY_USAGE *eku, ASN1_OBJECT *obj)
{
	if (!obj || !sk_ASN1_OBJECT_push(eku, obj)) {
		ASN1_OBJECT_free(obj);
		return -ENOMEM;
	}
	return 0;
}

static int ext_eku(X509 *x, bool company, enum testca_purpose purpose)
{
	_cleanup_(EXTENDED_KEY_USAGE_freep) EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	int ret;

	if (!eku)
		return -ENOMEM;
	ret = eku_push(eku, OBJ_nid2obj(NID_email_protect));
	if (ret == 0)
		ret = eku_push(eku, OBJ_txt2obj(company ? OID_EKU_COMPANY : OID_EKU_PERSON, 1));
	if (ret == 0 && purpose != TESTCA_PURPOSE_SIGN)
		ret = eku_push(eku, OBJ_nid2obj(NID_client_auth));
	if (ret == 0)
		ret = ext_add(x, NID_ext_key_usage, eku, 0);
	return ret;
}

static int ext_ee_key_usage(X509 *x, enum csr_algorithm alg, enum testca_purpose purpose)
{
	int bits[4], n = 0;

	bits[n++] = BIT_DIGITAL_SIGNATURE;
	if (purpose != TESTCA_PURPOSE_AUTH)
		bits[n++] = BIT_NON_REPUDIATION;
	/* GOST keys agree on keys (as NCA's); RSA keys encipher them. */
	if (alg == CSR_ALG_GOST512)
		bits[n++] = BIT_KEY_AGREEMENT;
	else if (purpose != TESTCA_PURPOSE_SIGN)
		bits[n++] = BIT_KEY_ENCIPHERMENT;
	return ext_key_usage(x, bits, (size_t)n);
}

/* The request's rfc822Name and dNSName entries, nothing else (NCA's CA
 * does the same). Absent or empty: no extension. */
static int ext_san_copy(X509 *x, const STACK_OF(X509_EXTENSION) *req_exts, const char **ret_why)
{
	_cleanup_(GENERAL_NAMES_freep) GENERAL_NAMES *in = NULL, *out = NULL;
	int crit = -1;

	in = X509V3_get_d2i(req_exts, NID_subject_alt_name, &crit, NULL);
	if (!in)
		return crit == -1 ? 0 : refuse("The request's subjectAltName is malformed", ret_why);
	out = sk_GENERAL_NAME_new_null();
	if (!out)
		return -ENOMEM;
	for (int i = 0; i < sk_GENERAL_NAME_num(in); i++) {
		GENERAL_NAME *gen = sk_GENERAL_NAME_value(in, i), *copy;

		if (gen->type != GEN_EMAIL && gen->type != GEN_DNS)
			continue;
		copy = GENERAL_NAME_dup(gen);
		if (!copy || !sk_GENERAL_NAME_push(out, copy)) {
			GENERAL_NAME_free(copy);
			return -ENOMEM;
		}
	}
	if (sk_GENERAL_NAME_num(out) == 0)
		return 0;
	return ext_add(x, NID_subject_alt_name, out, 0);
}

/* The storage OID of the request's 1.2.398.3.3.5 = SEQUENCE { OID,
 * folder… }; the certificate gets SEQUENCE { OID } only. */
static int ext_key_store_copy(X509 *x, const STACK_OF(X509_EXTENSION) *req_exts,
			      const char **ret_why)
{
	_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *ext_oid = OBJ_txt2obj(CSR_OID_KEY_STORE, 1);
	_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *storage = NULL;
	_cleanup_(X509_EXTENSION_freep) X509_EXTENSION *ext = NULL;
	const ASN1_OCTET_STRING *value;
	const unsigned char *p;
	char oid[128];
	long len;
	int i, tag, xclass, r, ret;

	if (!ext_oid)
		return -ENOMEM;
	i = X509v3_get_ext_by_OBJ(req_exts, ext_oid, -1);
	if (i < 0)
		return 0;
	value = X509_EXTENSION_get_data(X509v3_get_ext(req_exts, i));
	p = ASN1_STRING_get0_data(value);
	r = ASN1_get_object(&p, &len, &tag, &xclass, ASN1_STRING_length(value));
	if (!(r & 0x80) && r == V_ASN1_CONSTRUCTED && tag == V_ASN1_SEQUENCE)
		storage = d2i_ASN1_OBJECT(NULL, &p, len);
	if (!storage || OBJ_obj2txt(oid, sizeof(oid), storage, 1) <= 0 ||
	    (size_t)OBJ_obj2txt(NULL, 0, storage, 1) >= sizeof(oid)) {
		ERR_clear_error();
		return refuse("The request's key-store extension (1.2.398.3.3.5) is malformed", ret_why);
	}
	ret = csr_key_store_extension_new(oid, &ext);
	if (ret != 0)
		return ret;
	return X509_add_ext(x, ext, -1) ? 0 : -ENOMEM;
}

int profile_ee_extensions(X509 *x, enum csr_algorithm alg, enum testca_purpose purpose,
			 X509_REQ *req, const uint8_t id[CSR_KEY_ID_SIZE], X509 *root,
			 const char **ret_why)
{
	_cleanup_(profile_extensions_freep) STACK_OF(X509_EXTENSION) *req_exts = NULL;
	int ret;

	req_exts = X509_REQ_get_extensions(req);
	ERR_clear_error();
	ret = ext_policies(x, alg, purpose);
	if (ret == 0)
		ret = ext_eku(x, subject_is_company(X509_REQ_get_subject_name(req)), purpose);
	if (ret == 0)
		ret = ext_ee_key_usage(x, alg, purpose);
	if (ret == 0)
		ret = ext_key_ids(x, id, X509_get0_subject_key_id(root));
	if (ret == 0)
		ret = ext_san_copy(x, req_exts, ret_why);
	if (ret == 0)
		ret = ext_key_store_copy(x, req_exts, ret_why);
	return ret;
}
