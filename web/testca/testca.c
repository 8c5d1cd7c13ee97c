/* A test CA issuing NCA-shaped certificates: its folder, its roots and
 * the checks on requests; the certificate contents are profile.c's. See
 * testca.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/cleanup.h"
#include "daemon/crypto/csr.h"
#include "daemon/crypto/kzgost.h"
#include "web/testca/profile.h"
#include "web/testca/testca.h"

DEFINE_POINTER_CLEANUP(X509_free, X509)
DEFINE_POINTER_CLEANUP(X509_REQ_free, X509_REQ)
DEFINE_POINTER_CLEANUP(X509_NAME_free, X509_NAME)
DEFINE_POINTER_CLEANUP(X509_PUBKEY_free, X509_PUBKEY)
DEFINE_POINTER_CLEANUP(PKCS8_PRIV_KEY_INFO_free, PKCS8_PRIV_KEY_INFO)
DEFINE_POINTER_CLEANUP(BIO_free, BIO)
DEFINE_POINTER_CLEANUP(csr_key_free, struct csr_key)
DEFINE_POINTER_CLEANUP(testca_free, struct testca)

#define ROOT_DAYS (10 * 365)
#define DEFAULT_DAYS 365

/* Indexed by enum csr_algorithm. */
static const struct {
	const char *cert;
	const char *key;
	const char *cn;
} root_files[] = {
	[CSR_ALG_GOST512] = { "root-gost.pem", "root-gost.key", "QOLTANBA TEST ROOT (GOST)" },
	[CSR_ALG_RSA2048] = { "root-rsa.pem", "root-rsa.key", "QOLTANBA TEST ROOT (RSA)" },
};
#define N_ALGS (sizeof(root_files) / sizeof(root_files[0]))

struct testca {
	X509 *root[N_ALGS];
	struct csr_key *key[N_ALGS];
};

struct testca *testca_free(struct testca *ca)
{
	if (!ca)
		return NULL;
	for (size_t i = 0; i < N_ALGS; i++) {
		X509_free(ca->root[i]);
		csr_key_free(ca->key[i]);
	}
	free(ca);
	return NULL;
}

X509 *testca_root(struct testca *ca, enum csr_algorithm alg)
{
	if (!ca || (size_t)alg >= N_ALGS)
		return NULL;
	return ca->root[alg];
}

/* ---- files ------------------------------------------------------------ */

static char *path_join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

/* Write a new file, never replacing one: O_EXCL, then exactly mode. */
static int file_create(const char *dir, const char *name, const char *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *path = path_join(dir, name);
	_cleanup_close_ int fd = -1;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EEXIST ? TESTCA_E_EXISTS : -errno;
	if (fchmod(fd, mode) < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

static int file_exists(const char *dir, const char *name)
{
	_cleanup_free_ char *path = path_join(dir, name);
	struct stat st;

	if (!path)
		return -ENOMEM;
	if (lstat(path, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

/* A file as a read-only memory BIO; -errno when it cannot be read. */
static int file_bio(const char *dir, const char *name, BIO **ret_bio)
{
	_cleanup_free_ char *path = path_join(dir, name);
	BIO *bio;

	if (!path)
		return -ENOMEM;
	bio = BIO_new_file(path, "rb");
	if (!bio) {
		int saved = errno;

		ERR_clear_error();
		return saved > 0 ? -saved : -EIO;
	}
	*ret_bio = bio;
	return 0;
}

/* The contents of a memory BIO as a malloc'd string. */
static int bio_string(BIO *bio, char **ret)
{
	char *data, *s;
	long len = BIO_get_mem_data(bio, &data);

	if (len <= 0)
		return -EIO;
	s = strndup(data, (size_t)len);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int cert_pem(X509 *x, char **ret_pem)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());

	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_X509(bio, x))
		return -EIO;
	return bio_string(bio, ret_pem);
}

static int key_pem(const struct csr_key *k, char **ret_pem)
{
	_cleanup_(PKCS8_PRIV_KEY_INFO_freep) PKCS8_PRIV_KEY_INFO *p8 = NULL;
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_secmem());
	int ret;

	if (!bio)
		return -ENOMEM;
	ret = csr_key_to_pkcs8(k, &p8);
	if (ret != 0)
		return ret;
	if (!PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio, p8))
		return -EIO;
	return bio_string(bio, ret_pem);
}

/* ---- roots ------------------------------------------------------------ */

static int root_name(enum csr_algorithm alg, const char *suffix, X509_NAME **ret_name)
{
	_cleanup_(X509_NAME_freep) X509_NAME *name = X509_NAME_new();
	_cleanup_free_ char *cn = NULL;

	if (asprintf(&cn, "%s%s%s", root_files[alg].cn, suffix ? " " : "", suffix ? suffix : "") < 0)
		return -ENOMEM;
	if (!name ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
					(unsigned char *)cn, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(name, NID_countryName, V_ASN1_PRINTABLESTRING,
					(unsigned char *)"KZ", -1, -1, 0))
		return -ENOMEM;
	*ret_name = TAKE_PTR(name);
	return 0;
}

static int root_new(enum csr_algorithm alg, const char *suffix, struct csr_key **ret_key,
		    X509 **ret_cert)
{
	_cleanup_(csr_key_freep) struct csr_key *key = NULL;
	_cleanup_(X509_PUBKEY_freep) X509_PUBKEY *spki = NULL;
	_cleanup_(X509_NAME_freep) X509_NAME *name = NULL;
	_cleanup_(X509_freep) X509 *x = NULL;
	uint8_t id[CSR_KEY_ID_SIZE];
	int ret;

	ret = csr_key_generate(alg, &key);
	if (ret == 0)
		ret = csr_key_spki(key, &spki);
	if (ret == 0)
		ret = root_name(alg, suffix, &name);
	if (ret != 0)
		return ret;
	x = X509_new();
	if (!x)
		return -ENOMEM;
	/* An hour back, so that a clock a little behind still accepts it. */
	ret = profile_cert_init(x, spki, name, name, (long long)time(NULL) - 3600, ROOT_DAYS, id);
	if (ret == 0)
		ret = profile_root_extensions(x, id);
	if (ret == 0)
		ret = profile_cert_sign(x, key, ret_cert);
	if (ret != 0)
		return ret;
	*ret_key = TAKE_PTR(key);
	return 0;
}

static int root_store(const char *dir, enum csr_algorithm alg, const struct csr_key *key, X509 *cert)
{
	_cleanup_free_ char *cert_text = NULL;
	_cleanup_erase_ char *key_text = NULL;
	int ret;

	ret = cert_pem(cert, &cert_text);
	if (ret == 0)
		ret = key_pem(key, &key_text);
	if (ret == 0)
		ret = file_create(dir, root_files[alg].key, key_text, strlen(key_text), 0600);
	if (ret == 0)
		ret = file_create(dir, root_files[alg].cert, cert_text, strlen(cert_text), 0644);
	return ret;
}

/* The folder: created 0700 if missing; none of our files may be in it. */
static int ca_dir_prepare(const char *dir)
{
	int ret;

	if (mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700) < 0)
			return -errno;
	} else if (errno != EEXIST)
		return -errno;
	for (size_t i = 0; i < N_ALGS; i++) {
		ret = file_exists(dir, root_files[i].cert);
		if (ret == 0)
			ret = file_exists(dir, root_files[i].key);
		if (ret != 0)
			return ret > 0 ? TESTCA_E_EXISTS : ret;
	}
	return 0;
}

int testca_create(const char *dir, const char *name_suffix, struct testca **ret_ca)
{
	_cleanup_(testca_freep) struct testca *ca = NULL;
	int ret;

	if (!dir || !ret_ca)
		return -EINVAL;
	ret = ca_dir_prepare(dir);
	if (ret != 0)
		return ret;
	ca = calloc(1, sizeof(*ca));
	if (!ca)
		return -ENOMEM;
	for (size_t i = 0; i < N_ALGS; i++) {
		ret = root_new((enum csr_algorithm)i, name_suffix, &ca->key[i], &ca->root[i]);
		if (ret == 0)
			ret = root_store(dir, (enum csr_algorithm)i, ca->key[i], ca->root[i]);
		if (ret != 0)
			return ret;
	}
	ERR_clear_error();
	*ret_ca = TAKE_PTR(ca);
	return 0;
}

static int root_load(const char *dir, enum csr_algorithm alg, struct csr_key **ret_key,
		     X509 **ret_cert)
{
	_cleanup_(PKCS8_PRIV_KEY_INFO_freep) PKCS8_PRIV_KEY_INFO *p8 = NULL;
	_cleanup_(csr_key_freep) struct csr_key *key = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	_cleanup_(BIO_freep) BIO *cert_bio = NULL, *key_bio = NULL;
	int ret;

	ret = file_bio(dir, root_files[alg].cert, &cert_bio);
	if (ret == 0)
		ret = file_bio(dir, root_files[alg].key, &key_bio);
	if (ret != 0)
		return ret;
	cert = PEM_read_bio_X509(cert_bio, NULL, NULL, NULL);
	p8 = PEM_read_bio_PKCS8_PRIV_KEY_INFO(key_bio, NULL, NULL, NULL);
	if (!cert || !p8)
		return TESTCA_E_CORRUPT;
	ret = csr_key_from_pkcs8(p8, &key);
	if (ret > 0 || (ret == 0 && key->alg != alg))
		return TESTCA_E_CORRUPT;
	if (ret < 0)
		return ret;
	ret = csr_key_matches_cert(key, cert);
	if (ret != 0)
		return ret > 0 ? TESTCA_E_CORRUPT : ret;
	*ret_key = TAKE_PTR(key);
	*ret_cert = TAKE_PTR(cert);
	return 0;
}

int testca_open(const char *dir, struct testca **ret_ca)
{
	_cleanup_(testca_freep) struct testca *ca = NULL;
	int ret;

	if (!dir || !ret_ca)
		return -EINVAL;
	ca = calloc(1, sizeof(*ca));
	if (!ca)
		return -ENOMEM;
	for (size_t i = 0; i < N_ALGS; i++) {
		ret = root_load(dir, (enum csr_algorithm)i, &ca->key[i], &ca->root[i]);
		if (ret != 0) {
			ERR_clear_error();
			return ret;
		}
	}
	*ret_ca = TAKE_PTR(ca);
	return 0;
}

/* ---- issuing ---------------------------------------------------------- */

static int refuse(const char *why, const char **ret_why)
{
	if (ret_why)
		*ret_why = why;
	return TESTCA_E_REQUEST;
}

static int request_check_gost(X509_REQ *req, const char **ret_why)
{
	int ret = kzgost_x509_req_verify(req);

	switch (ret) {
	case 0:
		return 0;
	case KZGOST_E_BAD_SIGNATURE:
		return refuse("The request's signature does not verify", ret_why);
	case KZGOST_E_NOT_GOST:
	case KZGOST_E_CORRUPT:
	case KZGOST_E_BAD_KEY:
		return refuse("The request's GOST key is not a valid GOST 34.10-2015 512 key", ret_why);
	default:
		return ret;
	}
}

static int request_check_rsa(X509_REQ *req, const char **ret_why)
{
	EVP_PKEY *pkey = X509_REQ_get0_pubkey(req);

	if (!pkey)
		return refuse("The request's RSA key does not parse", ret_why);
	if (EVP_PKEY_get_bits(pkey) < 2048)
		return refuse("The request's RSA key must have at least 2048 bits", ret_why);
	if (X509_REQ_verify(req, pkey) != 1)
		return refuse("The request's signature does not verify", ret_why);
	return 0;
}

/* Key, self-signature and subject of a request; which root answers it. */
static int request_check(X509_REQ *req, enum csr_algorithm *ret_alg, const char **ret_why)
{
	X509_PUBKEY *pk = X509_REQ_get_X509_PUBKEY(req);
	ASN1_OBJECT *obj = NULL;
	char oid[64];
	int ret;

	if (!pk || !X509_PUBKEY_get0_param(&obj, NULL, NULL, NULL, pk) ||
	    OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
		return refuse("The request has no public key", ret_why);
	if (strcmp(oid, KZGOST_OID_KEY_512) == 0) {
		*ret_alg = CSR_ALG_GOST512;
		ret = request_check_gost(req, ret_why);
	} else if (OBJ_obj2nid(obj) == NID_rsaEncryption) {
		*ret_alg = CSR_ALG_RSA2048;
		ret = request_check_rsa(req, ret_why);
	} else
		return refuse("The request's key must be GOST 34.10-2015 512 or RSA", ret_why);
	if (ret != 0)
		return ret;
	if (X509_NAME_get_index_by_NID(X509_REQ_get_subject_name(req), NID_commonName, -1) < 0)
		return refuse("The request's subject has no CN", ret_why);
	return 0;
}

int testca_issue(struct testca *ca, X509_REQ *req, const struct testca_options *o, X509 **ret_cert,
		 const char **ret_why)
{
	_cleanup_(X509_freep) X509 *x = NULL;
	struct testca_options opt = o ? *o : (struct testca_options){ 0 };
	enum csr_algorithm alg = CSR_ALG_GOST512;
	uint8_t id[CSR_KEY_ID_SIZE];
	int ret;

	if (!ca || !req || !ret_cert)
		return -EINVAL;
	if (opt.days > TESTCA_DAYS_MAX)
		return refuse("The validity must be at most 36500 days", ret_why);
	if (opt.days == 0)
		opt.days = DEFAULT_DAYS;
	if (opt.not_before == 0)
		opt.not_before = (long long)time(NULL);
	ret = request_check(req, &alg, ret_why);
	if (ret != 0) {
		ERR_clear_error();
		return ret;
	}
	x = X509_new();
	if (!x)
		return -ENOMEM;
	ret = profile_cert_init(x, X509_REQ_get_X509_PUBKEY(req), X509_REQ_get_subject_name(req),
			X509_get_subject_name(ca->root[alg]), opt.not_before, opt.days, id);
	if (ret == 0)
		ret = profile_ee_extensions(x, alg, opt.purpose, req, id, ca->root[alg], ret_why);
	if (ret == 0)
		ret = profile_cert_sign(x, ca->key[alg], ret_cert);
	ERR_clear_error();
	return ret;
}

int testca_issue_pem(struct testca *ca, const char *csr_pem, const struct testca_options *o,
		     char **ret_cert_pem, const char **ret_why)
{
	_cleanup_(X509_REQ_freep) X509_REQ *req = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	size_t len;
	int ret;

	if (!ca || !csr_pem || !ret_cert_pem)
		return -EINVAL;
	len = strnlen(csr_pem, TESTCA_REQUEST_MAX + 1);
	if (len > TESTCA_REQUEST_MAX)
		return refuse("The request is larger than 64 KiB", ret_why);
	bio = BIO_new_mem_buf(csr_pem, (int)len);
	if (!bio)
		return -ENOMEM;
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	ERR_clear_error();
	if (!req)
		return refuse("The request is not a PEM CERTIFICATE REQUEST", ret_why);
	ret = testca_issue(ca, req, o, &cert, ret_why);
	if (ret != 0)
		return ret;
	return cert_pem(cert, ret_cert_pem);
}
