#include "daemon/keystore/keyfilter.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "daemon/crypto/kzgost.h"

/* Deeper chains than this are not NCA's (root → NCA → user). */
#define CHAIN_MAX_DEPTH 8

static const char *const miss_texts[_KEYFILTER_MISS_MAX] = {
	[KEYFILTER_OK] = "the key meets every requirement",
	[KEYFILTER_MISS_KEY_TYPE] = "the certificate is not for this purpose (signature or authentication)",
	[KEYFILTER_MISS_EXT_KEY_USAGE] = "the certificate lacks an extended key usage the page requires",
	[KEYFILTER_MISS_IIN] = "the certificate belongs to another person (IIN)",
	[KEYFILTER_MISS_BIN] = "the certificate belongs to another organisation (BIN)",
	[KEYFILTER_MISS_SERIAL] = "the certificate is not the one the page asks for (serial number)",
	[KEYFILTER_MISS_CHAIN] = "the certificate was not issued by a certification authority the page trusts",
	[KEYFILTER_MISS_NOT_YET_VALID] = "the certificate is not valid yet",
	[KEYFILTER_MISS_EXPIRED] = "the certificate has expired",
	[KEYFILTER_MISS_REVOKED] = "the certificate has been revoked",
};

const char *keyfilter_miss_text(enum keyfilter_miss miss)
{
	if ((unsigned)miss >= _KEYFILTER_MISS_MAX)
		return "unknown";
	return miss_texts[miss];
}

bool keyfilter_issued_by(X509 *issuer, X509 *subject)
{
	EVP_PKEY *pub;

	/* OpenSSL cannot decode a GOST issuer's key, so X509_check_issued()
	 * refuses it: names, then NCA's signature, checked our way. */
	if (kzgost_is_gost_cert(issuer))
		return X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_issuer_name(subject)) == 0 &&
		       kzgost_cert_verify_issued(issuer, subject) == 0;
	if (X509_check_issued(issuer, subject) != X509_V_OK)
		return false;
	pub = X509_get0_pubkey(issuer);
	return pub && X509_verify(subject, pub) == 1;
}

static bool in_stack(STACK_OF(X509) *sk, X509 *cert)
{
	for (int i = 0; i < sk_X509_num(sk); i++)
		if (X509_cmp(sk_X509_value(sk, i), cert) == 0)
			return true;
	return false;
}

static X509 *find_issuer(STACK_OF(X509) *sk, X509 *cert)
{
	for (int i = 0; i < sk_X509_num(sk); i++) {
		X509 *c = sk_X509_value(sk, i);

		if (keyfilter_issued_by(c, cert))
			return c;
	}
	return NULL;
}

/* Walk up from cert through untrusted certificates until one of cas
 * signed the current one (or is the current one: a page may name the
 * user's certificate itself). Signatures are checked at every step;
 * validity periods of the CAs are not (NCA's test roots outlive their
 * use, and NCALayer does not check them either). */
static bool chains_to(X509 *cert, STACK_OF(X509) *untrusted, STACK_OF(X509) *cas)
{
	X509 *cur = cert;

	for (int depth = 0; depth < CHAIN_MAX_DEPTH; depth++) {
		X509 *next;

		if (in_stack(cas, cur) || find_issuer(cas, cur))
			return true;
		next = find_issuer(untrusted, cur);
		if (!next || next == cur || X509_cmp(next, cur) == 0)
			return false;
		cur = next;
	}
	return false;
}

static bool serial_matches(X509 *cert, const char *want)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	g_autofree char *want_lower = NULL;
	BIGNUM *bn;
	char *hex;
	bool eq;

	bn = ASN1_INTEGER_to_BN(sn, NULL);
	if (!bn)
		return false;
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (!hex)
		return false;
	/* Pages send the serial as NCALayer prints it (lowercase hex), some
	 * with leading zeros or in upper case. */
	while (*want == '0' && want[1])
		want++;
	want_lower = g_ascii_strdown(want, -1);
	{
		g_autofree char *have = g_ascii_strdown(hex, -1);
		const char *h = have;

		while (*h == '0' && h[1])
			h++;
		eq = strcmp(h, want_lower) == 0;
	}
	OPENSSL_free(hex);
	return eq;
}

enum keyfilter_miss keyfilter_check(const struct keyfilter *f, X509 *cert,
				    STACK_OF(X509) *untrusted)
{
	struct certinfo info = { 0 };
	enum keyfilter_miss miss = KEYFILTER_OK;
	time_t now = f->now ? f->now : time(NULL);

	if (!certinfo_has_key_type(cert, f->key_type))
		return KEYFILTER_MISS_KEY_TYPE;
	if (!certinfo_has_ext_key_usages(cert, f->ext_key_usages))
		return KEYFILTER_MISS_EXT_KEY_USAGE;
	if (certinfo_read(cert, &info) < 0)
		return KEYFILTER_MISS_KEY_TYPE;
	if (f->iin && *f->iin && !(info.iin && strcmp(info.iin, f->iin) == 0))
		miss = KEYFILTER_MISS_IIN;
	else if (f->bin && *f->bin && !(info.bin && strcmp(info.bin, f->bin) == 0))
		miss = KEYFILTER_MISS_BIN;
	certinfo_clear(&info);
	if (miss != KEYFILTER_OK)
		return miss;
	if (f->serial && *f->serial && !serial_matches(cert, f->serial))
		return KEYFILTER_MISS_SERIAL;
	if (sk_X509_num(f->cas) > 0 && !chains_to(cert, untrusted, f->cas))
		return KEYFILTER_MISS_CHAIN;
	if (!f->allow_expired) {
		if (X509_cmp_time(X509_get0_notBefore(cert), &now) >= 0)
			return KEYFILTER_MISS_NOT_YET_VALID;
		if (X509_cmp_time(X509_get0_notAfter(cert), &now) <= 0)
			return KEYFILTER_MISS_EXPIRED;
	}
	if (!f->allow_revoked)
		for (int i = 0; i < sk_X509_CRL_num(f->crls); i++)
			if (certinfo_revoked_by(cert, sk_X509_CRL_value(f->crls, i)))
				return KEYFILTER_MISS_REVOKED;
	return KEYFILTER_OK;
}

static int read_file(const char *path, char **ret, gsize *ret_len)
{
	g_autoptr(GError) error = NULL;

	if (!g_file_get_contents(path, ret, ret_len, &error))
		return error->domain == G_FILE_ERROR && error->code == G_FILE_ERROR_NOENT ? -ENOENT
											  : -EIO;
	return 0;
}

/* How to read one kind of object (certificate, CRL) from PEM or DER and
 * keep it: the loaders below differ only in these. */
struct reader {
	void *(*pem)(BIO *bio);
	void *(*der)(const unsigned char **p, long len);
	void (*keep)(void *sk, void *obj);
};

static void *cert_pem(BIO *bio)
{
	return PEM_read_bio_X509(bio, NULL, NULL, NULL);
}

static void *cert_der(const unsigned char **p, long len)
{
	return d2i_X509(NULL, p, len);
}

static void cert_keep(void *sk, void *x)
{
	sk_X509_push(sk, x);
}

static void *crl_pem(BIO *bio)
{
	return PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
}

static void *crl_der(const unsigned char **p, long len)
{
	return d2i_X509_CRL(NULL, p, len);
}

static void crl_keep(void *sk, void *c)
{
	sk_X509_CRL_push(sk, c);
}

/* Every object of each file into sk: all PEM blocks, else one DER. */
static int load_files(const struct reader *rd, const char *const *files, void *sk,
		      const char **ret_bad)
{
	for (const char *const *f = files; f && *f; f++) {
		g_autofree char *data = NULL;
		gsize len = 0;
		bool found = false;
		int r = read_file(*f, &data, &len);
		const unsigned char *p;
		BIO *bio;
		void *obj;

		if (r < 0) {
			*ret_bad = *f;
			return r;
		}
		bio = BIO_new_mem_buf(data, (int)len);
		while (bio && (obj = rd->pem(bio))) {
			rd->keep(sk, obj);
			found = true;
		}
		BIO_free(bio);
		ERR_clear_error();
		if (found)
			continue;
		p = (const unsigned char *)data;
		obj = rd->der(&p, (long)len);
		if (!obj) {
			*ret_bad = *f;
			return -EINVAL;
		}
		rd->keep(sk, obj);
	}
	return 0;
}

int keyfilter_load_certs(const char *const *files, STACK_OF(X509) **ret, const char **ret_bad)
{
	static const struct reader rd = { cert_pem, cert_der, cert_keep };
	STACK_OF(X509) *sk = sk_X509_new_null();
	int r;

	if (!sk)
		return -ENOMEM;
	r = load_files(&rd, files, sk, ret_bad);
	if (r < 0) {
		sk_X509_pop_free(sk, X509_free);
		return r;
	}
	*ret = sk;
	return 0;
}

int keyfilter_load_crls(const char *const *files, STACK_OF(X509_CRL) **ret, const char **ret_bad)
{
	static const struct reader rd = { crl_pem, crl_der, crl_keep };
	STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();
	int r;

	if (!sk)
		return -ENOMEM;
	r = load_files(&rd, files, sk, ret_bad);
	if (r < 0) {
		sk_X509_CRL_pop_free(sk, X509_CRL_free);
		return r;
	}
	*ret = sk;
	return 0;
}

int keyfilter_parse_pems(const char *const *pems, size_t n, STACK_OF(X509) **ret,
			 size_t *ret_index)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	if (!sk)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		BIO *bio = BIO_new_mem_buf(pems[i], -1);
		X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

		BIO_free(bio);
		if (!x) {
			sk_X509_pop_free(sk, X509_free);
			*ret_index = i;
			return -EINVAL;
		}
		sk_X509_push(sk, x);
	}
	*ret = sk;
	return 0;
}
