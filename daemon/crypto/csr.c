/* Key pairs and PKCS#10 requests for remote key issuance; see csr.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/cleanup.h"
#include "daemon/crypto/csr.h"
#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/streebog.h"

DEFINE_POINTER_CLEANUP(X509_REQ_free, X509_REQ)
DEFINE_POINTER_CLEANUP(X509_PUBKEY_free, X509_PUBKEY)
DEFINE_POINTER_CLEANUP(X509_EXTENSION_free, X509_EXTENSION)
DEFINE_POINTER_CLEANUP(GENERAL_NAMES_free, GENERAL_NAMES)
DEFINE_POINTER_CLEANUP(ASN1_OBJECT_free, ASN1_OBJECT)
DEFINE_POINTER_CLEANUP(ASN1_OCTET_STRING_free, ASN1_OCTET_STRING)
DEFINE_POINTER_CLEANUP(EVP_PKEY_free, EVP_PKEY)
DEFINE_POINTER_CLEANUP(BIO_free, BIO)
DEFINE_POINTER_CLEANUP(csr_key_free, struct csr_key)
DEFINE_POINTER_CLEANUP(X509_ALGOR_free, X509_ALGOR)
DEFINE_POINTER_CLEANUP(ASN1_BIT_STRING_free, ASN1_BIT_STRING)

static inline void csr_extensions_freep(STACK_OF(X509_EXTENSION) **sk)
{
	sk_X509_EXTENSION_pop_free(*sk, X509_EXTENSION_free);
}

static inline void csr_openssl_freep(unsigned char **p)
{
	OPENSSL_free(*p);
}

#define RSA_BITS 2048
#define SUBJECT_VALUE_MAX 256
#define EMAIL_MAX 254

/* ---- keys ------------------------------------------------------------ */

static struct csr_key *key_new(enum csr_algorithm alg)
{
	struct csr_key *k = calloc(1, sizeof(*k));

	if (k)
		k->alg = alg;
	return k;
}

struct csr_key *csr_key_free(struct csr_key *k)
{
	if (!k)
		return NULL;
	EVP_PKEY_free(k->pkey);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
	return NULL;
}

static int key_set_gost(struct csr_key *k, const uint8_t priv[KZGOST_PRIVATE_KEY_SIZE])
{
	memcpy(k->gost, priv, KZGOST_PRIVATE_KEY_SIZE);
	return kzgost_public_from_private(k->gost, k->gost_pub);
}

int csr_key_generate(enum csr_algorithm alg, struct csr_key **ret_key)
{
	_cleanup_(csr_key_freep) struct csr_key *k = NULL;
	uint8_t priv[KZGOST_PRIVATE_KEY_SIZE];
	int ret = 0;

	if (!ret_key)
		return -EINVAL;
	k = key_new(alg);
	if (!k)
		return -ENOMEM;
	switch (alg) {
	case CSR_ALG_GOST512:
		ret = kzgost_generate(priv);
		if (ret == 0)
			ret = key_set_gost(k, priv);
		OPENSSL_cleanse(priv, sizeof(priv));
		break;
	case CSR_ALG_RSA2048:
		/* e is OpenSSL's default, 65537. */
		k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_BITS);
		if (!k->pkey)
			ret = -EIO;
		break;
	}
	if (ret != 0)
		return ret;
	*ret_key = TAKE_PTR(k);
	return 0;
}

int csr_key_to_pkcs8(const struct csr_key *k, PKCS8_PRIV_KEY_INFO **ret_p8)
{
	PKCS8_PRIV_KEY_INFO *p8;

	if (!k || !ret_p8)
		return -EINVAL;
	switch (k->alg) {
	case CSR_ALG_GOST512:
		return kzgost_pkcs8_new(k->gost, ret_p8);
	case CSR_ALG_RSA2048:
		p8 = EVP_PKEY2PKCS8(k->pkey);
		if (!p8)
			return -EIO;
		*ret_p8 = p8;
		return 0;
	}
	return -EINVAL;
}

static int key_from_gost_pkcs8(const PKCS8_PRIV_KEY_INFO *p8, struct csr_key *k)
{
	uint8_t priv[KZGOST_PRIVATE_KEY_SIZE];
	int ret;

	ret = kzgost_pkcs8_private_key(p8, priv);
	if (ret == 0)
		ret = key_set_gost(k, priv);
	OPENSSL_cleanse(priv, sizeof(priv));
	switch (ret) {
	case KZGOST_E_NOT_GOST:
		return CSR_E_UNSUPPORTED; /* e.g. the 256-bit curve */
	case KZGOST_E_CORRUPT:
	case KZGOST_E_BAD_KEY:
		return CSR_E_CORRUPT;
	default:
		return ret;
	}
}

static int key_from_rsa_pkcs8(const PKCS8_PRIV_KEY_INFO *p8, struct csr_key *k)
{
	k->pkey = EVP_PKCS82PKEY(p8);
	if (!k->pkey) {
		ERR_clear_error();
		return CSR_E_CORRUPT;
	}
	if (EVP_PKEY_get_bits(k->pkey) < RSA_BITS)
		return CSR_E_UNSUPPORTED;
	return 0;
}

int csr_key_from_pkcs8(const PKCS8_PRIV_KEY_INFO *p8, struct csr_key **ret_key)
{
	_cleanup_(csr_key_freep) struct csr_key *k = NULL;
	const ASN1_OBJECT *obj = NULL;
	int ret;

	if (!p8 || !ret_key)
		return -EINVAL;
	if (!PKCS8_pkey_get0(&obj, NULL, NULL, NULL, p8))
		return CSR_E_CORRUPT;
	/* Decide by OID first: OpenSSL would happily load EC, Ed25519… */
	if (OBJ_obj2nid(obj) == NID_rsaEncryption) {
		k = key_new(CSR_ALG_RSA2048);
		if (!k)
			return -ENOMEM;
		ret = key_from_rsa_pkcs8(p8, k);
	} else {
		k = key_new(CSR_ALG_GOST512);
		if (!k)
			return -ENOMEM;
		ret = key_from_gost_pkcs8(p8, k);
	}
	if (ret != 0)
		return ret;
	*ret_key = TAKE_PTR(k);
	return 0;
}

int csr_key_spki(const struct csr_key *k, X509_PUBKEY **ret_pk)
{
	_cleanup_(X509_PUBKEY_freep) X509_PUBKEY *pk = NULL;
	int ret;

	if (!k || !ret_pk)
		return -EINVAL;
	switch (k->alg) {
	case CSR_ALG_GOST512:
		pk = X509_PUBKEY_new();
		if (!pk)
			return -ENOMEM;
		ret = kzgost_spki_set(pk, k->gost_pub);
		if (ret != 0)
			return ret;
		break;
	case CSR_ALG_RSA2048:
		if (!X509_PUBKEY_set(&pk, k->pkey))
			return -EIO;
		break;
	}
	if (!pk)
		return -EINVAL;
	*ret_pk = TAKE_PTR(pk);
	return 0;
}

int csr_pubkey_id(X509_PUBKEY *pk, uint8_t ret_id[CSR_KEY_ID_SIZE])
{
	const unsigned char *bits = NULL;
	int len = 0;

	if (!pk || !ret_id)
		return -EINVAL;
	if (!X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, pk) || !bits)
		return -EIO;
	if (!SHA1(bits, (size_t)len, ret_id))
		return -EIO;
	return 0;
}

int csr_key_id(const struct csr_key *k, char ret_hex[2 * CSR_KEY_ID_SIZE + 1])
{
	_cleanup_(X509_PUBKEY_freep) X509_PUBKEY *pk = NULL;
	uint8_t id[CSR_KEY_ID_SIZE];
	int ret;

	if (!ret_hex)
		return -EINVAL;
	ret = csr_key_spki(k, &pk);
	if (ret == 0)
		ret = csr_pubkey_id(pk, id);
	if (ret != 0)
		return ret;
	for (size_t i = 0; i < sizeof(id); i++)
		snprintf(ret_hex + 2 * i, 3, "%02x", id[i]);
	return 0;
}

int csr_key_matches_cert(const struct csr_key *k, X509 *cert)
{
	uint8_t pub[KZGOST_PUBLIC_KEY_SIZE];
	EVP_PKEY *cert_key;

	if (!k || !cert)
		return -EINVAL;
	switch (k->alg) {
	case CSR_ALG_GOST512:
		if (kzgost_cert_public_key(cert, pub) != 0)
			return CSR_E_KEY_MISMATCH;
		return memcmp(pub, k->gost_pub, sizeof(pub)) == 0 ? 0 : CSR_E_KEY_MISMATCH;
	case CSR_ALG_RSA2048:
		/* Fails (with queued errors) for a GOST certificate. */
		cert_key = X509_get0_pubkey(cert);
		ERR_clear_error();
		return cert_key && EVP_PKEY_eq(cert_key, k->pkey) == 1 ? 0 : CSR_E_KEY_MISMATCH;
	}
	return -EINVAL;
}

/* ---- subject --------------------------------------------------------- */

static bool present(const char *v)
{
	return v && *v;
}

/* Length of the UTF-8 sequence at s, 0 if it is not one: no overlong
 * forms, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_sequence(const unsigned char *s, uint32_t *ret_cp)
{
	size_t n;
	uint32_t cp, min;

	if (s[0] < 0x80)
		n = 1, cp = s[0], min = 0;
	else if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

/* Valid UTF-8, no C0/C1 controls or DEL, at most SUBJECT_VALUE_MAX bytes. */
static bool text_ok(const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n;
	uint32_t cp;

	if (strlen(v) > SUBJECT_VALUE_MAX)
		return false;
	for (; *s; s += n) {
		n = utf8_sequence(s, &cp);
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return false;
	}
	return true;
}

/* prefix followed by exactly 12 ASCII digits. */
static bool prefixed_number(const char *v, const char *prefix)
{
	size_t p = strlen(prefix);

	if (strncmp(v, prefix, p) != 0 || strlen(v) != p + 12)
		return false;
	for (const char *c = v + p; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	return true;
}

/* An addr-spec good enough for an IA5String rfc822Name: printable ASCII
 * without spaces, one '@' with something on both sides. */
static bool email_ok(const char *v)
{
	const char *at = strchr(v, '@');

	if (strlen(v) > EMAIL_MAX || !at || at == v || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (const char *c = v; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return false;
	return true;
}

struct text_field {
	const char *value;
	const char *why;
};

static int refuse(const char *why, const char **ret_why)
{
	if (ret_why)
		*ret_why = why;
	return CSR_E_SUBJECT;
}

int csr_subject_check(const struct csr_subject *s, const char **ret_why)
{
#define TEXT_RULE " must be valid UTF-8 of at most 256 bytes without control characters"
	const struct text_field texts[] = {
		{ s ? s->common_name : NULL, "CN" TEXT_RULE },
		{ s ? s->surname : NULL, "SURNAME" TEXT_RULE },
		{ s ? s->given_name : NULL, "GIVENNAME" TEXT_RULE },
		{ s ? s->organization : NULL, "O" TEXT_RULE },
	};
#undef TEXT_RULE

	if (!s)
		return -EINVAL;
	if (!present(s->common_name))
		return refuse("CN is required", ret_why);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (present(texts[i].value) && !text_ok(texts[i].value))
			return refuse(texts[i].why, ret_why);
	if (present(s->serial_number) && !prefixed_number(s->serial_number, "IIN"))
		return refuse("SERIALNUMBER must be IIN followed by 12 digits", ret_why);
	if (present(s->org_unit) && !prefixed_number(s->org_unit, "BIN"))
		return refuse("OU must be BIN followed by 12 digits", ret_why);
	if (present(s->country) &&
	    (strlen(s->country) != 2 || s->country[0] < 'A' || s->country[0] > 'Z' ||
	     s->country[1] < 'A' || s->country[1] > 'Z'))
		return refuse("C must be two capital letters A-Z", ret_why);
	if (present(s->organization) != present(s->org_unit))
		return refuse("O and OU (BIN) must be given together", ret_why);
	if (present(s->email) && !email_ok(s->email))
		return refuse("The e-mail address must be one local@domain of at most 254 "
			      "printable ASCII characters without spaces",
			      ret_why);
	return 0;
}

/* ---- the request ----------------------------------------------------- */

static int name_add(X509_NAME *name, int nid, int type, const char *value)
{
	if (!present(value))
		return 0;
	/* An explicit string type is stored as given: OpenSSL's MBSTRING
	 * path would apply its own length table (CN ≤ 64) and type mask. */
	if (!X509_NAME_add_entry_by_NID(name, nid, type, (const unsigned char *)value, -1, -1, 0))
		return -ENOMEM;
	return 0;
}

static int subject_set(X509_REQ *req, const struct csr_subject *s)
{
	X509_NAME *name = X509_REQ_get_subject_name(req);
	const char *country = present(s->country) ? s->country : "KZ";
	int ret;

	/* NCA's order (§10.7): CN, SURNAME, SERIALNUMBER, C, O, OU, GIVENNAME. */
	ret = name_add(name, NID_commonName, V_ASN1_UTF8STRING, s->common_name);
	if (ret == 0)
		ret = name_add(name, NID_surname, V_ASN1_UTF8STRING, s->surname);
	if (ret == 0)
		ret = name_add(name, NID_serialNumber, V_ASN1_PRINTABLESTRING, s->serial_number);
	if (ret == 0)
		ret = name_add(name, NID_countryName, V_ASN1_PRINTABLESTRING, country);
	if (ret == 0)
		ret = name_add(name, NID_organizationName, V_ASN1_UTF8STRING, s->organization);
	if (ret == 0)
		ret = name_add(name, NID_organizationalUnitName, V_ASN1_UTF8STRING, s->org_unit);
	if (ret == 0)
		ret = name_add(name, NID_givenName, V_ASN1_UTF8STRING, s->given_name);
	return ret;
}

static int san_email_push(STACK_OF(X509_EXTENSION) *exts, const char *email)
{
	_cleanup_(GENERAL_NAMES_freep) GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	GENERAL_NAME *gen = GENERAL_NAME_new();
	X509_EXTENSION *ext;

	if (!gens || !ia5 || !gen || !ASN1_STRING_set(ia5, email, -1)) {
		ASN1_IA5STRING_free(ia5);
		GENERAL_NAME_free(gen);
		return -ENOMEM;
	}
	GENERAL_NAME_set0_value(gen, GEN_EMAIL, ia5);
	if (!sk_GENERAL_NAME_push(gens, gen)) {
		GENERAL_NAME_free(gen);
		return -ENOMEM;
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
	if (!ext)
		return -ENOMEM;
	if (!sk_X509_EXTENSION_push(exts, ext)) {
		X509_EXTENSION_free(ext);
		return -ENOMEM;
	}
	return 0;
}

int csr_key_store_extension_new(const char *storage_oid, X509_EXTENSION **ret_ext)
{
	_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *storage = NULL, *ext_oid = NULL;
	_cleanup_(ASN1_OCTET_STRING_freep) ASN1_OCTET_STRING *value = NULL;
	_cleanup_(csr_openssl_freep) unsigned char *der = NULL;
	X509_EXTENSION *ext;
	unsigned char *p;
	int n;

	if (!storage_oid || !ret_ext)
		return -EINVAL;
	storage = OBJ_txt2obj(storage_oid, 1);
	if (!storage) {
		ERR_clear_error();
		return -EINVAL;
	}
	ext_oid = OBJ_txt2obj(CSR_OID_KEY_STORE, 1);
	n = i2d_ASN1_OBJECT(storage, NULL);
	/* Short-form SEQUENCE length: any sane OID is far below 128 bytes. */
	if (n > 125)
		return -EINVAL;
	if (!ext_oid || n <= 0)
		return -ENOMEM;
	der = OPENSSL_malloc((size_t)n + 2);
	value = ASN1_OCTET_STRING_new();
	if (!der || !value)
		return -ENOMEM;
	der[0] = V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED;
	der[1] = (unsigned char)n;
	p = der + 2;
	i2d_ASN1_OBJECT(storage, &p);
	if (!ASN1_OCTET_STRING_set(value, der, n + 2))
		return -ENOMEM;
	ext = X509_EXTENSION_create_by_OBJ(NULL, ext_oid, 0, value);
	if (!ext)
		return -ENOMEM;
	*ret_ext = ext;
	return 0;
}

static int key_store_push(STACK_OF(X509_EXTENSION) *exts, const char *storage_oid)
{
	X509_EXTENSION *ext = NULL;
	int ret;

	ret = csr_key_store_extension_new(storage_oid, &ext);
	if (ret != 0)
		return ret;
	if (!sk_X509_EXTENSION_push(exts, ext)) {
		X509_EXTENSION_free(ext);
		return -ENOMEM;
	}
	return 0;
}

static int extensions_set(X509_REQ *req, const struct csr_subject *s, const char *storage_oid)
{
	_cleanup_(csr_extensions_freep) STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	int ret = 0;

	if (!exts)
		return -ENOMEM;
	if (present(s->email))
		ret = san_email_push(exts, s->email);
	if (ret == 0 && storage_oid)
		ret = key_store_push(exts, storage_oid);
	if (ret != 0)
		return ret;
	if (sk_X509_EXTENSION_num(exts) > 0 && !X509_REQ_add_extensions(req, exts))
		return -ENOMEM;
	return 0;
}

/* Make req's SPKI a copy of pk: algorithm, parameters, key bits. OpenSSL
 * sets a request's key only from an EVP_PKEY, which a GOST key is not. */
static int pubkey_copy(X509_PUBKEY *dst, X509_PUBKEY *pk)
{
	ASN1_OBJECT *obj;
	const ASN1_OBJECT *param_obj;
	const unsigned char *bits;
	X509_ALGOR *alg;
	const void *pval;
	void *pval_copy = NULL;
	unsigned char *bits_copy;
	int len, ptype;

	if (!X509_PUBKEY_get0_param(&obj, &bits, &len, &alg, pk) || !bits || len <= 0)
		return -EINVAL;
	X509_ALGOR_get0(&param_obj, &ptype, &pval, alg);
	switch (ptype) {
	case V_ASN1_UNDEF:
	case V_ASN1_NULL:
		break;
	case V_ASN1_OBJECT:
		pval_copy = OBJ_dup(pval);
		break;
	case V_ASN1_BOOLEAN:
		return -EINVAL;
	default: /* the string types, SEQUENCE (GOST's parameters) */
		pval_copy = ASN1_STRING_dup(pval);
		break;
	}
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL && !pval_copy)
		return -ENOMEM;
	bits_copy = OPENSSL_memdup(bits, (size_t)len);
	obj = OBJ_dup(obj);
	if (!bits_copy || !obj || !X509_PUBKEY_set0_param(dst, obj, ptype, pval_copy, bits_copy, len)) {
		OPENSSL_free(bits_copy);
		ASN1_OBJECT_free(obj);
		if (ptype == V_ASN1_OBJECT)
			ASN1_OBJECT_free(pval_copy);
		else
			ASN1_STRING_free(pval_copy);
		return -ENOMEM;
	}
	return 0;
}

/* The request's signature: AlgorithmIdentifier from sg->alg, the digest
 * of the CertificationRequestInfo, sg's signature over it. */
static int req_sign(X509_REQ *req, const struct signer *sg)
{
	_cleanup_(X509_ALGOR_freep) X509_ALGOR *alg = X509_ALGOR_new();
	_cleanup_(csr_openssl_freep) unsigned char *tbs = NULL, *sig = NULL;
	_cleanup_(ASN1_BIT_STRING_freep) ASN1_BIT_STRING *bits = NULL;
	ASN1_OBJECT *obj = OBJ_txt2obj(signer_signature_oid(sg->alg), 1);
	uint8_t md[SIGNER_DIGEST_MAX];
	size_t md_len = 0, sig_len = 0;
	int n, ret;

	/* ecdsa-with-SHA256 has no parameters (RFC 5758 §3.2); the others
	 * NULL, as NCA and OpenSSL write them. */
	if (!alg || !obj ||
	    !X509_ALGOR_set0(alg, obj, sg->alg == SIGNER_ALG_ECDSA_SHA256 ? V_ASN1_UNDEF : V_ASN1_NULL,
			     NULL)) {
		ASN1_OBJECT_free(obj);
		return -ENOMEM;
	}
	if (!X509_REQ_set1_signature_algo(req, alg))
		return -ENOMEM;
	/* i2d_re_X509_REQ_tbs() re-encodes and caches what i2d_X509_REQ()
	 * writes afterwards: the bytes signed. */
	n = i2d_re_X509_REQ_tbs(req, &tbs);
	if (n <= 0)
		return -EIO;
	if (sg->alg == SIGNER_ALG_GOST2015_512) {
		/* KZGOST_E_NO_STREEBOG as csr_build() always said. */
		ret = streebog512(tbs, (size_t)n, md);
		md_len = STREEBOG512_SIZE;
	} else {
		ret = signer_digest(sg->alg, tbs, (size_t)n, md, &md_len);
		if (ret > 0)
			ret = -EIO;
	}
	if (ret != 0)
		return ret;
	ret = sg->sign_digest(sg->ctx, md, md_len, &sig, &sig_len);
	if (ret != 0)
		return ret > 0 ? CSR_E_SIGNER : ret;
	bits = ASN1_BIT_STRING_new();
	if (!bits || !ASN1_BIT_STRING_set(bits, sig, (int)sig_len))
		return -ENOMEM;
	/* "0 unused bits" said explicitly: otherwise i2d trims trailing zero
	 * bits and a signature ending in an even byte would change. */
	bits->flags &= ~0x07;
	bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, TAKE_PTR(bits));
	return 0;
}

static int req_to_pem(X509_REQ *req, char **ret_pem)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long len;

	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_X509_REQ(bio, req))
		return -EIO;
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0)
		return -EIO;
	pem = strndup(data, (size_t)len);
	if (!pem)
		return -ENOMEM;
	*ret_pem = pem;
	return 0;
}

int csr_build_with_signer(X509_PUBKEY *pk, const struct signer *sg, const struct csr_subject *subj,
			  const char *storage_oid, char **ret_pem)
{
	_cleanup_(X509_REQ_freep) X509_REQ *req = NULL;
	int ret;

	if (!pk || !sg || !sg->sign_digest || (unsigned)sg->alg >= _SIGNER_ALG_MAX || !subj ||
	    !ret_pem)
		return -EINVAL;
	ret = csr_subject_check(subj, NULL);
	if (ret != 0)
		return ret;
	req = X509_REQ_new();
	if (!req)
		return -ENOMEM;
	if (!X509_REQ_set_version(req, X509_REQ_VERSION_1))
		return -ENOMEM;
	ret = subject_set(req, subj);
	if (ret == 0)
		ret = extensions_set(req, subj, storage_oid);
	if (ret == 0)
		ret = pubkey_copy(X509_REQ_get_X509_PUBKEY(req), pk);
	if (ret == 0)
		ret = req_sign(req, sg);
	if (ret == 0)
		ret = req_to_pem(req, ret_pem);
	ERR_clear_error();
	return ret;
}

/* A csr_key's GOST half as a signer (OpenSSL cannot hold it). */
static int key_gost_sign_digest(void *ctx, const uint8_t *digest, size_t digest_len,
				uint8_t **ret_sig, size_t *ret_sig_len)
{
	const struct csr_key *k = ctx;
	uint8_t *sig;
	int ret;

	if (digest_len != KZGOST_DIGEST_SIZE)
		return -EINVAL;
	sig = OPENSSL_malloc(KZGOST_SIGNATURE_SIZE);
	if (!sig)
		return -ENOMEM;
	ret = kzgost_sign(k->gost, digest, sig);
	if (ret != 0) {
		OPENSSL_free(sig);
		return ret < 0 ? ret : SIGNER_E_FAILED;
	}
	*ret_sig = sig;
	*ret_sig_len = KZGOST_SIGNATURE_SIZE;
	return 0;
}

int csr_build(const struct csr_key *k, const struct csr_subject *s, const char *storage_oid,
	      char **ret_pem)
{
	_cleanup_(X509_PUBKEY_freep) X509_PUBKEY *pk = NULL;
	struct signer sg;
	int ret;

	if (!k || !s || !ret_pem)
		return -EINVAL;
	ret = csr_key_spki(k, &pk);
	if (ret != 0)
		return ret;
	switch (k->alg) {
	case CSR_ALG_GOST512:
		sg = (struct signer){
			.alg = SIGNER_ALG_GOST2015_512,
			.sign_digest = key_gost_sign_digest,
			.ctx = (void *)k,
		};
		break;
	case CSR_ALG_RSA2048:
		ret = signer_init_pkey(&sg, k->pkey, NULL);
		if (ret != 0)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	ret = csr_build_with_signer(pk, &sg, s, storage_oid, ret_pem);
	/* An in-memory key that fails to sign is an OpenSSL failure. */
	return ret == CSR_E_SIGNER ? -EIO : ret;
}
