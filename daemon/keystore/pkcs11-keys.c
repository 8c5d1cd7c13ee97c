/* Keys and certificates on a token, and signing with them; see
 * pkcs11.h. */
#include "daemon/keystore/pkcs11-internal.h"

#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "daemon/crypto/kzgost.h"
#include "util/cleanup.h"

const uint8_t pkcs11_oid_p256[10] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
const uint8_t pkcs11_oid_tc26_512a[11] = { 0x06, 0x09, 0x2a, 0x85, 0x03, 0x07, 0x01,
					   0x02, 0x01, 0x02, 0x01 };
const uint8_t pkcs11_oid_nca_512[12] = { 0x06, 0x0a, 0x2a, 0x83, 0x0e, 0x03, 0x0a,
					 0x01, 0x01, 0x02, 0x02, 0x01 };
const uint8_t pkcs11_oid_streebog512[10] = { 0x06, 0x08, 0x2a, 0x85, 0x03,
					     0x07, 0x01, 0x01, 0x02, 0x03 };

/* DigestInfo { sha256, NULL } header: CKM_RSA_PKCS pads what it is given,
 * so the DigestInfo is ours to build (RFC 8017 §9.2 note 1). */
static const uint8_t sha256_digest_info[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
						0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
						0x01, 0x05, 0x00, 0x04, 0x20 };

#define SIGNATURE_MAX 4096 /* RSA-16384 and then some */
#define PSS_SALT_LEN  32

DEFINE_POINTER_CLEANUP(ECDSA_SIG_free, ECDSA_SIG)

/* Errors that end a listing; the others skip one object. */
static bool fatal(int r)
{
	return r < 0 || r == PKCS11_E_REMOVED;
}

static bool der_is(const uint8_t *der, size_t len, const uint8_t *want, size_t want_len)
{
	return len == want_len && memcmp(der, want, len) == 0;
}

/* ---- algorithms -------------------------------------------------------- */

int pkcs11_cert_algorithm(X509 *cert)
{
	EVP_PKEY *pk;
	char group[64];

	if (!cert)
		return -1;
	if (kzgost_is_gost_cert(cert))
		return SIGNER_ALG_GOST2015_512;
	pk = X509_get0_pubkey(cert);
	ERR_clear_error();
	if (!pk)
		return -1;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		return SIGNER_ALG_RSA_SHA256;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) == 1 &&
		    OBJ_txt2nid(group) == NID_X9_62_prime256v1)
			return SIGNER_ALG_ECDSA_SHA256;
		return -1;
	default:
		return -1;
	}
}

int pkcs11_key_algorithm(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, X509 *cert)
{
	g_autofree uint8_t *params = NULL;
	size_t len = 0;
	CK_ULONG type;
	int from_cert = pkcs11_cert_algorithm(cert);
	int r;

	if (pkcs11_attr_ulong(s, obj, CKA_KEY_TYPE, &type) != 0)
		return from_cert;
	switch (type) {
	case CKK_RSA:
		return SIGNER_ALG_RSA_SHA256;
	case CKK_EC:
		/* Some tokens keep the curve on the public key only. */
		r = pkcs11_attr(s, obj, CKA_EC_PARAMS, &params, &len);
		if (r != 0)
			return from_cert == SIGNER_ALG_ECDSA_SHA256 ? from_cert : -1;
		return der_is(params, len, pkcs11_oid_p256, sizeof(pkcs11_oid_p256))
			       ? SIGNER_ALG_ECDSA_SHA256
			       : -1;
	case CKK_GOSTR3410:
		if (!pkcs11_has_mechanism(s, CKM_GOSTR3410, CKF_SIGN))
			return -1;
		r = pkcs11_attr(s, obj, CKA_GOSTR3410_PARAMS, &params, &len);
		if (r != 0)
			return from_cert == SIGNER_ALG_GOST2015_512 ? from_cert : -1;
		/* 2001's 256-bit parameter sets are not NCA's. */
		if (der_is(params, len, pkcs11_oid_tc26_512a, sizeof(pkcs11_oid_tc26_512a)) ||
		    der_is(params, len, pkcs11_oid_nca_512, sizeof(pkcs11_oid_nca_512)))
			return SIGNER_ALG_GOST2015_512;
		return -1;
	default:
		return -1;
	}
}

/* ---- certificates ------------------------------------------------------ */

struct cert_entry {
	X509 *x;
	uint8_t *id;
	size_t id_len;
	char *label;
	bool used; /* some key's, or left out with its key */
};

static void cert_entry_free(gpointer p)
{
	struct cert_entry *c = p;

	X509_free(c->x);
	g_free(c->id);
	g_free(c->label);
	g_free(c);
}

/* Text from a token: UTF-8 by the standard, whatever in practice. */
static char *token_text(const uint8_t *v, size_t len)
{
	return g_utf8_make_valid((const char *)v, (gssize)len);
}

static int cert_read(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, struct cert_entry **ret)
{
	g_autofree uint8_t *der = NULL, *id = NULL, *label = NULL;
	size_t der_len = 0, id_len = 0, label_len = 0;
	const unsigned char *p;
	struct cert_entry *c;
	X509 *x;
	int r;

	r = pkcs11_attr(s, obj, CKA_VALUE, &der, &der_len);
	if (r != 0)
		return r;
	p = der;
	x = d2i_X509(NULL, &p, (long)der_len);
	if (!x) {
		ERR_clear_error();
		return PKCS11_E_FAILED;
	}
	/* Both optional. */
	r = pkcs11_attr(s, obj, CKA_ID, &id, &id_len);
	if (!fatal(r))
		r = pkcs11_attr(s, obj, CKA_LABEL, &label, &label_len);
	if (fatal(r)) {
		X509_free(x);
		return r;
	}
	c = g_new0(struct cert_entry, 1);
	c->x = x;
	c->id = g_steal_pointer(&id);
	c->id_len = c->id ? id_len : 0;
	c->label = label ? token_text(label, label_len) : g_strdup("");
	*ret = c;
	return 0;
}

static int certs_read(struct pkcs11_session *s, GPtrArray **ret)
{
	CK_OBJECT_CLASS class = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE type = CKC_X_509;
	CK_ATTRIBUTE templ[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_CERTIFICATE_TYPE, &type, sizeof(type) },
	};
	g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func(cert_entry_free);
	g_autofree CK_OBJECT_HANDLE *objs = NULL;
	size_t n = 0;
	int r;

	r = pkcs11_find(s, templ, G_N_ELEMENTS(templ), &objs, &n);
	if (r != 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct cert_entry *c = NULL;

		r = cert_read(s, objs[i], &c);
		if (fatal(r))
			return r;
		if (r == 0)
			g_ptr_array_add(certs, c);
	}
	*ret = g_steal_pointer(&certs);
	return 0;
}

static struct cert_entry *cert_by_id(GPtrArray *certs, const uint8_t *id, size_t id_len)
{
	if (id_len == 0)
		return NULL;
	for (guint i = 0; i < certs->len; i++) {
		struct cert_entry *c = certs->pdata[i];

		if (der_is(c->id, c->id_len, id, id_len))
			return c;
	}
	return NULL;
}

/* ---- keys -------------------------------------------------------------- */

struct pkcs11_key *pkcs11_key_free(struct pkcs11_key *k)
{
	if (!k)
		return NULL;
	g_free(k->id);
	g_free(k->label);
	X509_free(k->cert);
	sk_X509_pop_free(k->chain, X509_free);
	g_free(k);
	return NULL;
}

static void key_freep(gpointer p)
{
	pkcs11_key_free(p);
}

struct pkcs11_keys *pkcs11_keys_free(struct pkcs11_keys *keys)
{
	if (!keys)
		return NULL;
	for (size_t i = 0; i < keys->n; i++)
		pkcs11_key_free(keys->keys[i]);
	g_free(keys->keys);
	sk_X509_pop_free(keys->chain, X509_free);
	g_free(keys);
	return NULL;
}

static struct pkcs11_key *key_new(struct pkcs11_session *s, CK_OBJECT_HANDLE handle,
				  const uint8_t *id, size_t id_len, const char *label,
				  enum signer_algorithm alg, struct cert_entry *c)
{
	struct pkcs11_key *k = g_new0(struct pkcs11_key, 1);

	k->session = s;
	k->handle = handle;
	k->id = g_memdup2(id, id_len);
	k->id_len = id_len;
	k->label = g_strdup(label && *label ? label : c ? c->label : "");
	k->alg = alg;
	if (c) {
		X509_up_ref(c->x);
		k->cert = c->x;
		c->used = true;
	}
	return k;
}

/* A private key object and the certificate of its CKA_ID (marked used
 * even when we cannot sign with the key: it is no chain certificate). */
static int key_read(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, GPtrArray *certs,
		    struct pkcs11_key **ret)
{
	g_autofree uint8_t *id = NULL, *label = NULL;
	g_autofree char *text = NULL;
	size_t id_len = 0, label_len = 0;
	struct cert_entry *c;
	int alg, r;

	r = pkcs11_attr(s, obj, CKA_ID, &id, &id_len);
	if (!fatal(r))
		r = pkcs11_attr(s, obj, CKA_LABEL, &label, &label_len);
	if (fatal(r))
		return r;
	if (!id)
		id_len = 0;
	c = cert_by_id(certs, id, id_len);
	if (c)
		c->used = true;
	alg = pkcs11_key_algorithm(s, obj, c ? c->x : NULL);
	if (alg < 0)
		return PKCS11_E_UNSUPPORTED;
	text = label ? token_text(label, label_len) : NULL;
	*ret = key_new(s, obj, id, id_len, text, alg, c);
	return 0;
}

/* The listing under the lock: keys into keys, the rest into *ret_chain. */
static int keys_read(struct pkcs11_session *s, GPtrArray *keys, STACK_OF(X509) **ret_chain)
{
	CK_OBJECT_CLASS class = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE templ[] = { { CKA_CLASS, &class, sizeof(class) } };
	g_autoptr(GPtrArray) certs = NULL;
	g_autofree CK_OBJECT_HANDLE *objs = NULL;
	STACK_OF(X509) *chain;
	size_t n = 0;
	bool before_login;
	int r;

	r = certs_read(s, &certs);
	if (r == 0)
		r = pkcs11_find(s, templ, G_N_ELEMENTS(templ), &objs, &n);
	if (r != 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct pkcs11_key *k = NULL;

		r = key_read(s, objs[i], certs, &k);
		if (fatal(r))
			return r;
		if (r == 0)
			g_ptr_array_add(keys, k);
	}
	/* Behind the PIN the keys are invisible; their certificates are
	 * not. An end-entity certificate with an id stands for its key. */
	before_login = !s->logged_in && (s->token_flags & PKCS11_TOKEN_LOGIN_REQUIRED);
	for (guint i = 0; before_login && i < certs->len; i++) {
		struct cert_entry *c = certs->pdata[i];
		int alg = pkcs11_cert_algorithm(c->x);

		if (c->used || c->id_len == 0 || (X509_get_extension_flags(c->x) & EXFLAG_CA) ||
		    alg < 0)
			continue;
		g_ptr_array_add(keys, key_new(s, CK_INVALID_HANDLE, c->id, c->id_len, NULL, alg, c));
	}
	chain = sk_X509_new_null();
	if (!chain)
		return -ENOMEM;
	for (guint i = 0; i < certs->len; i++) {
		struct cert_entry *c = certs->pdata[i];

		if (c->used)
			continue;
		if (!sk_X509_push(chain, c->x)) {
			sk_X509_pop_free(chain, X509_free);
			return -ENOMEM;
		}
		X509_up_ref(c->x);
	}
	for (guint i = 0; i < keys->len; i++) {
		struct pkcs11_key *k = keys->pdata[i];

		k->chain = X509_chain_up_ref(chain);
		if (!k->chain) {
			sk_X509_pop_free(chain, X509_free);
			return -ENOMEM;
		}
	}
	*ret_chain = chain;
	return 0;
}

int pkcs11_session_keys(struct pkcs11_session *s, struct pkcs11_keys **ret)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(key_freep);
	struct pkcs11_keys *list;
	STACK_OF(X509) *chain = NULL;
	int r;

	if (!s || !ret)
		return -EINVAL;
	locker = module_lock(s->m);
	r = keys_read(s, keys, &chain);
	if (r != 0)
		return r;
	list = g_new0(struct pkcs11_keys, 1);
	list->n = keys->len;
	g_ptr_array_set_free_func(keys, NULL);
	list->keys = (struct pkcs11_key **)g_ptr_array_free(g_steal_pointer(&keys), FALSE);
	list->chain = chain;
	*ret = list;
	return 0;
}

int pkcs11_session_key(struct pkcs11_session *s, const uint8_t *id, size_t id_len,
		       struct pkcs11_key **ret)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(key_freep);
	g_autofree CK_OBJECT_HANDLE *objs = NULL;
	STACK_OF(X509) *chain = NULL;
	size_t n = 0;
	int r;

	if (!s || !id || id_len == 0 || !ret)
		return -EINVAL;
	locker = module_lock(s->m);
	r = pkcs11_find_by_id(s, CKO_PRIVATE_KEY, id, id_len, &objs, &n);
	if (r != 0)
		return r;
	if (n == 0)
		return PKCS11_E_NOT_FOUND;
	/* The whole listing, so that the chain is what it would be there. */
	r = keys_read(s, keys, &chain);
	if (r != 0)
		return r;
	sk_X509_pop_free(chain, X509_free);
	for (guint i = 0; i < keys->len; i++) {
		struct pkcs11_key *k = keys->pdata[i];

		if (k->handle != CK_INVALID_HANDLE && der_is(k->id, k->id_len, id, id_len)) {
			*ret = g_ptr_array_steal_index(keys, i);
			return 0;
		}
	}
	return PKCS11_E_UNSUPPORTED; /* there, but not of an algorithm we sign with */
}

/* ---- signing ----------------------------------------------------------- */

/* PKCS#11 returns ECDSA signatures as r ‖ s (each the size of the group
 * order); the signer contract wants DER Ecdsa-Sig-Value. */
static int ecdsa_raw_to_der(const uint8_t *raw, size_t len, uint8_t **ret, size_t *ret_len)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
	BIGNUM *r, *s;
	unsigned char *der = NULL;
	int n;

	if (len == 0 || len % 2 != 0)
		return PKCS11_E_FAILED;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, (int)(len / 2), NULL);
	s = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		return -ENOMEM;
	}
	n = i2d_ECDSA_SIG(sig, &der);
	if (n <= 0)
		return -ENOMEM;
	*ret = der;
	*ret_len = (size_t)n;
	return 0;
}

int pkcs11_sign_locked(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, enum signer_algorithm alg,
		       bool rsa_pss, const uint8_t *digest, size_t digest_len, uint8_t **ret_sig,
		       size_t *ret_sig_len)
{
	CK_FUNCTION_LIST *f = s->m->funcs;
	CK_RSA_PKCS_PSS_PARAMS pss = {
		.hashAlg = CKM_SHA256,
		.mgf = CKG_MGF1_SHA256,
		.sLen = PSS_SALT_LEN,
	};
	CK_MECHANISM mech = { 0, NULL, 0 };
	uint8_t in[sizeof(sha256_digest_info) + SIGNER_DIGEST_MAX];
	CK_ULONG in_len = digest_len, sig_len = 0;
	uint8_t *sig;
	int r;
	CK_RV rv;

	if (digest_len > SIGNER_DIGEST_MAX)
		return -EINVAL;
	memcpy(in, digest, digest_len);
	switch (alg) {
	case SIGNER_ALG_RSA_SHA256:
		if (rsa_pss) {
			mech = (CK_MECHANISM){ CKM_RSA_PKCS_PSS, &pss, sizeof(pss) };
			break;
		}
		mech.mechanism = CKM_RSA_PKCS;
		memcpy(in, sha256_digest_info, sizeof(sha256_digest_info));
		memcpy(in + sizeof(sha256_digest_info), digest, digest_len);
		in_len = sizeof(sha256_digest_info) + digest_len;
		break;
	case SIGNER_ALG_ECDSA_SHA256:
		mech.mechanism = CKM_ECDSA;
		break;
	case SIGNER_ALG_GOST2015_512:
		/* The Streebog digest as it comes out of the hash: the token
		 * reads it as a little-endian number, as kzgost does. */
		mech.mechanism = CKM_GOSTR3410;
		break;
	case _SIGNER_ALG_MAX:
		return -EINVAL;
	}
	rv = f->C_SignInit(s->h, &mech, obj);
	if (rv == CKR_OK)
		rv = f->C_Sign(s->h, in, in_len, NULL, &sig_len);
	if (rv != CKR_OK)
		return pkcs11_rv_error(s, rv);
	if (sig_len == 0 || sig_len > SIGNATURE_MAX)
		return PKCS11_E_FAILED;
	sig = OPENSSL_malloc(sig_len);
	if (!sig)
		return -ENOMEM;
	rv = f->C_Sign(s->h, in, in_len, sig, &sig_len);
	if (rv != CKR_OK || sig_len == 0 || sig_len > SIGNATURE_MAX) {
		OPENSSL_free(sig);
		return rv != CKR_OK ? pkcs11_rv_error(s, rv) : PKCS11_E_FAILED;
	}
	switch (alg) {
	case SIGNER_ALG_ECDSA_SHA256:
		r = ecdsa_raw_to_der(sig, sig_len, ret_sig, ret_sig_len);
		OPENSSL_free(sig);
		return r;
	case SIGNER_ALG_GOST2015_512:
		/* CKM_GOSTR3410 returns s ‖ r, each big-endian (PKCS#11's
		 * GOST mechanisms, the CryptoPro form of RFC 4491 §2.2.2);
		 * NCA's form (signer.h, kz-gost.md) is r ‖ s, each
		 * little-endian: the same 128 bytes reversed. */
		if (sig_len != KZGOST_SIGNATURE_SIZE) {
			OPENSSL_free(sig);
			return PKCS11_E_FAILED;
		}
		for (size_t i = 0; i < KZGOST_SIGNATURE_SIZE / 2; i++) {
			uint8_t t = sig[i];

			sig[i] = sig[KZGOST_SIGNATURE_SIZE - 1 - i];
			sig[KZGOST_SIGNATURE_SIZE - 1 - i] = t;
		}
		break;
	case SIGNER_ALG_RSA_SHA256:
	case _SIGNER_ALG_MAX:
		break;
	}
	*ret_sig = sig;
	*ret_sig_len = sig_len;
	return 0;
}

int pkcs11_key_sign(struct pkcs11_key *k, const uint8_t *digest, size_t digest_len,
		    uint8_t **ret_sig, size_t *ret_sig_len)
{
	g_autoptr(GMutexLocker) locker = NULL;

	if (!k || !k->session || !digest || !ret_sig || !ret_sig_len ||
	    digest_len != signer_digest_size(k->alg))
		return -EINVAL;
	if (k->handle == CK_INVALID_HANDLE)
		return PKCS11_E_LOGIN_REQUIRED;
	locker = module_lock(k->session->m);
	return pkcs11_sign_locked(k->session, k->handle, k->alg, k->rsa_pss, digest, digest_len,
				  ret_sig, ret_sig_len);
}

static int signer_sign_digest(void *ctx, const uint8_t *digest, size_t digest_len,
			      uint8_t **ret_sig, size_t *ret_sig_len)
{
	struct pkcs11_key *k = ctx;
	int r = pkcs11_key_sign(k, digest, digest_len, ret_sig, ret_sig_len);

	k->sign_error = r > 0 ? r : 0;
	if (r == PKCS11_E_UNSUPPORTED)
		return SIGNER_E_UNSUPPORTED;
	return r > 0 ? SIGNER_E_FAILED : r;
}

int pkcs11_key_signer(struct pkcs11_key *k, struct signer *ret)
{
	if (!k || !ret)
		return -EINVAL;
	*ret = (struct signer){
		.alg = k->alg,
		.cert = k->cert,
		.chain = k->chain,
		.sign_digest = signer_sign_digest,
		.ctx = k,
	};
	return 0;
}
