#include "daemon/server/localca.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Our files are a few kilobytes; anything bigger is not ours. */
#define LOCALCA_MAX_FILE_SIZE (64 * 1024)
/* Temporary names are ".<name>.tmp-<16 hex>" in the same folder. */
#define TMP_INFIX ".tmp-"

DEFINE_POINTER_CLEANUP(X509_free, X509)
DEFINE_POINTER_CLEANUP(X509_NAME_free, X509_NAME)
DEFINE_POINTER_CLEANUP(X509_EXTENSION_free, X509_EXTENSION)
DEFINE_POINTER_CLEANUP(X509_STORE_free, X509_STORE)
DEFINE_POINTER_CLEANUP(X509_STORE_CTX_free, X509_STORE_CTX)
DEFINE_POINTER_CLEANUP(EVP_PKEY_free, EVP_PKEY)
DEFINE_POINTER_CLEANUP(BIO_free_all, BIO)
DEFINE_POINTER_CLEANUP(BN_free, BIGNUM)

static const char *const file_names[] = { "ca.pem", "server.pem", "server.key" };

/* What a TLS folder holds, parsed. */
struct cert_set {
	X509 *ca;       /* ca.pem */
	X509 *leaf;     /* server.pem, first */
	X509 *chain_ca; /* server.pem, second */
	EVP_PKEY *key;  /* server.key */
};

static void cert_set_clear(struct cert_set *s)
{
	X509_free(s->ca);
	X509_free(s->leaf);
	X509_free(s->chain_ca);
	EVP_PKEY_free(s->key);
	*s = (struct cert_set){ 0 };
}

static char *path_join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

int localca_files_init(struct localca_files *f, const char *tls_dir)
{
	struct localca_files n = {
		.dir = strdup(tls_dir),
		.ca_cert = path_join(tls_dir, "ca.pem"),
		.server_cert = path_join(tls_dir, "server.pem"),
		.server_key = path_join(tls_dir, "server.key"),
	};

	if (!n.dir || !n.ca_cert || !n.server_cert || !n.server_key) {
		localca_files_clear(&n);
		return -ENOMEM;
	}
	*f = n;
	return 0;
}

void localca_files_clear(struct localca_files *f)
{
	free(f->dir);
	free(f->ca_cert);
	free(f->server_cert);
	free(f->server_key);
	*f = (struct localca_files){ 0 };
}

/* --- files ------------------------------------------------------------ */

/* mkdir -p with mode for every folder we create; folders that exist are
 * left as they are. */
static int mkdir_parents(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	size_t len;

	if (!p)
		return -ENOMEM;
	len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	for (char *s = p + 1;; s++) {
		bool last = *s == '\0';

		if (!last && *s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) == 0) {
			/* Exactly mode, whatever the umask. */
			if (chmod(p, mode) < 0)
				return -errno;
		} else if (errno != EEXIST)
			return -errno;
		if (last)
			return 0;
		*s = '/';
	}
}

static void erase_and_free_buf(char *buf, size_t size)
{
	if (buf) {
		OPENSSL_cleanse(buf, size);
		free(buf);
	}
}

/* Read a whole small file relative to dfd into a new buffer. With
 * private_only, refuse a file that is not a regular file owned by us and
 * closed to group and others. The buffer is NUL-terminated. */
static int read_file_at(int dfd, const char *name, bool private_only, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	char *buf;
	size_t len = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	if (private_only && (st.st_uid != geteuid() || (st.st_mode & 077) != 0))
		return -EPERM;
	if (st.st_size > LOCALCA_MAX_FILE_SIZE)
		return -EFBIG;
	buf = malloc(LOCALCA_MAX_FILE_SIZE + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, LOCALCA_MAX_FILE_SIZE - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && len + (size_t)n >= LOCALCA_MAX_FILE_SIZE)) {
			int r = n < 0 ? -errno : -EFBIG;

			erase_and_free_buf(buf, LOCALCA_MAX_FILE_SIZE + 1);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write content to a new ".<name>.tmp-XXXX" in dfd with exactly mode, and
 * make it durable. *ret_tmp receives the temporary name (free()). */
static int write_tmp_at(int dfd, const char *name, mode_t mode, BIO *content, char **ret_tmp)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	unsigned char rnd[8];
	char *data;
	long len;
	int r;

	for (int attempt = 0; fd < 0; attempt++) {
		if (attempt == 16)
			return -EEXIST;
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -EIO;
		free(tmp);
		if (asprintf(&tmp, ".%s" TMP_INFIX "%02x%02x%02x%02x%02x%02x%02x%02x", name, rnd[0],
			     rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]) < 0) {
			tmp = NULL;
			return -ENOMEM;
		}
		/* O_EXCL: never write through a name somebody else made. The
		 * mode given to open() is already right for a key (umask can
		 * only take bits away); fchmod() below makes it exact. */
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}

	len = BIO_get_mem_data(content, &data);
	r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, data, (size_t)len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dfd, tmp, 0);
		return r;
	}
	*ret_tmp = TAKE_PTR(tmp);
	return 0;
}

static bool is_tmp_name(const char *name)
{
	for (size_t i = 0; i < sizeof(file_names) / sizeof(file_names[0]); i++) {
		size_t n = strlen(file_names[i]);

		if (name[0] == '.' && strncmp(name + 1, file_names[i], n) == 0 &&
		    strncmp(name + 1 + n, TMP_INFIX, strlen(TMP_INFIX)) == 0)
			return true;
	}
	return false;
}

/* Temporary files a crash left behind (under the folder lock, so no other
 * localca_ensure() is writing them). One may hold a private key. */
static void remove_stale_tmp(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (is_tmp_name(de->d_name))
			(void)unlinkat(dfd, de->d_name, 0);
	closedir(d);
}

/* --- parsing and checking ----------------------------------------------- */

/* Never prompt for a passphrase (OpenSSL's default reads the terminal). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int load_pem_at(int dfd, const char *name, bool private_only, BIO **ret)
{
	char *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int r;

	r = read_file_at(dfd, name, private_only, &buf, &len);
	if (r < 0)
		return r;
	/* A copy that is wiped on free (BUF_MEM_FLAG_SECURE). */
	bio = BIO_new(BIO_s_secmem());
	if (!bio || BIO_write(bio, buf, (int)len) != (int)len) {
		BIO_free(bio);
		erase_and_free_buf(buf, LOCALCA_MAX_FILE_SIZE + 1);
		return -ENOMEM;
	}
	erase_and_free_buf(buf, LOCALCA_MAX_FILE_SIZE + 1);
	*ret = bio;
	return 0;
}

static X509 *load_cert_at(int dfd, const char *name)
{
	_cleanup_(BIO_free_allp) BIO *bio = NULL;

	if (load_pem_at(dfd, name, false, &bio) < 0)
		return NULL;
	return PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
}

/* Parse what dfd holds. Missing or broken parts stay NULL. */
static void cert_set_load(struct cert_set *s, int dfd)
{
	_cleanup_(BIO_free_allp) BIO *chain = NULL;
	_cleanup_(BIO_free_allp) BIO *key = NULL;

	s->ca = load_cert_at(dfd, "ca.pem");
	if (load_pem_at(dfd, "server.pem", false, &chain) == 0) {
		s->leaf = PEM_read_bio_X509(chain, NULL, no_passphrase, NULL);
		if (s->leaf)
			s->chain_ca = PEM_read_bio_X509(chain, NULL, no_passphrase, NULL);
	}
	if (load_pem_at(dfd, "server.key", true, &key) == 0)
		s->key = PEM_read_bio_PrivateKey(key, NULL, no_passphrase, NULL);
}

static bool seconds_left(const X509 *cert, int64_t *ret)
{
	int days, secs;

	if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)))
		return false;
	*ret = (int64_t)days * 86400 + secs;
	return true;
}

static bool chain_verifies(X509 *ca, X509 *leaf)
{
	_cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();

	if (!store || !ctx || !X509_STORE_add_cert(store, ca) ||
	    !X509_STORE_CTX_init(ctx, store, leaf, NULL) ||
	    !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER))
		return false;
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CHECK_SS_SIGNATURE);
	return X509_verify_cert(ctx) == 1;
}

static bool has_critical_ext(const X509 *cert, int nid)
{
	int i = X509_get_ext_by_NID(cert, nid, -1);

	return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, i));
}

/* Would a browser that trusts ca.pem accept this leaf for another
 * renew_before_s seconds? */
static bool cert_set_usable(const struct cert_set *s, int64_t renew_before_s)
{
	int64_t left_leaf, left_ca;

	if (!s->ca || !s->leaf || !s->chain_ca || !s->key)
		return false;
	if (X509_check_private_key(s->leaf, s->key) != 1)
		return false;
	if (X509_cmp(s->ca, s->chain_ca) != 0)
		return false;
	if (!has_critical_ext(s->ca, NID_name_constraints))
		return false;
	if (!chain_verifies(s->ca, s->leaf))
		return false;
	if (X509_check_host(s->leaf, "localhost", 0, 0, NULL) != 1 ||
	    X509_check_ip_asc(s->leaf, "127.0.0.1", 0) != 1 ||
	    X509_check_ip_asc(s->leaf, "::1", 0) != 1)
		return false;
	if (!seconds_left(s->leaf, &left_leaf) || !seconds_left(s->ca, &left_ca))
		return false;
	return left_leaf > renew_before_s && left_ca > renew_before_s;
}

/* --- making certificates ------------------------------------------------ */

/* "user@host" in printable ASCII, at most 31 characters so that the CA's
 * common name fits the 64 characters X.520 allows. */
static void owner_string(char *buf, size_t size)
{
	char user[16] = "", host[64] = "";
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];
	size_t room;

	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		snprintf(user, sizeof(user), "%s", pw.pw_name);
	else
		snprintf(user, sizeof(user), "uid%u", (unsigned)getuid());
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	room = 31 - strlen(user) - 1;
	if (strlen(host) > room)
		host[room] = '\0';
	snprintf(buf, size, "%s@%s", user, host);
	for (char *p = buf; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
}

static int set_serial(X509 *cert)
{
	_cleanup_(BN_freep) BIGNUM *bn = NULL;
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	/* Positive, and exactly 16 bytes long when DER-encoded. */
	b[0] = (b[0] & 0x7f) | 0x40;
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)))
		return -EIO;
	return 0;
}

/* A version 3 certificate with a fresh serial, subject, key and validity;
 * issuer, extensions and signature are up to the caller. */
static X509 *cert_new(const X509_NAME *subject, EVP_PKEY *key, time_t now)
{
	_cleanup_(X509_freep) X509 *cert = X509_new();

	if (!cert || !X509_set_version(cert, X509_VERSION_3) || set_serial(cert) < 0 ||
	    !X509_set_subject_name(cert, subject) || !X509_set_pubkey(cert, key))
		return NULL;
	/* An hour of slack for clocks that run a little behind. */
	if (!X509_time_adj_ex(X509_getm_notBefore(cert), 0, -3600, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), LOCALCA_VALID_DAYS, 0, &now))
		return NULL;
	return TAKE_PTR(cert);
}

struct ext_spec {
	int nid;
	const char *value; /* OpenSSL's configuration syntax (x509v3_config(5)) */
};

static bool add_exts(X509 *cert, X509 *issuer, const struct ext_spec *exts, size_t n)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		_cleanup_(X509_EXTENSION_freep) X509_EXTENSION *ext = NULL;

		ext = X509V3_EXT_nconf_nid(NULL, &ctx, exts[i].nid, exts[i].value);
		if (!ext || !X509_add_ext(cert, ext, -1))
			return false;
	}
	return true;
}

static const struct ext_spec ca_exts[] = {
	{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
	{ NID_key_usage, "critical,keyCertSign,cRLSign" },
	{ NID_subject_key_identifier, "hash" },
	/* Even a stolen CA key could only vouch for this machine. */
	{ NID_name_constraints, "critical,"
				"permitted;DNS:localhost,"
				"permitted;IP:127.0.0.1/255.255.255.255,"
				"permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
};

static const struct ext_spec leaf_exts[] = {
	{ NID_basic_constraints, "CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_ext_key_usage, "serverAuth" },
	{ NID_subject_key_identifier, "hash" },
	{ NID_authority_key_identifier, "keyid:always" },
	{ NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1" },
};

static X509 *make_ca(EVP_PKEY *ca_key, time_t now)
{
	_cleanup_(X509_NAME_freep) X509_NAME *name = X509_NAME_new();
	_cleanup_(X509_freep) X509 *ca = NULL;
	char owner[32], day[16], cn[80];
	struct tm tm;

	owner_string(owner, sizeof(owner));
	if (!gmtime_r(&now, &tm) || strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
		return NULL;
	snprintf(cn, sizeof(cn), "Qoltanba local CA (%s, %s)", owner, day);

	/* Most significant first: reads "CN=…, O=Qoltanba" in RFC 4514. */
	if (!name ||
	    !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
					(const unsigned char *)"Qoltanba", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0))
		return NULL;
	ca = cert_new(name, ca_key, now);
	if (!ca || !X509_set_issuer_name(ca, name) ||
	    !add_exts(ca, ca, ca_exts, sizeof(ca_exts) / sizeof(ca_exts[0])) ||
	    X509_sign(ca, ca_key, EVP_sha256()) <= 0)
		return NULL;
	return TAKE_PTR(ca);
}

static X509 *make_leaf(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, time_t now)
{
	_cleanup_(X509_NAME_freep) X509_NAME *name = X509_NAME_new();
	_cleanup_(X509_freep) X509 *leaf = NULL;

	/* "localhost", not an IP address: OpenSSL checks a hostname-like CN
	 * against the CA's DNS name constraints, and this one passes. */
	if (!name || !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
						 (const unsigned char *)"localhost", -1, -1, 0))
		return NULL;
	leaf = cert_new(name, key, now);
	if (!leaf || !X509_set_issuer_name(leaf, X509_get_subject_name(ca)) ||
	    !add_exts(leaf, ca, leaf_exts, sizeof(leaf_exts) / sizeof(leaf_exts[0])) ||
	    X509_sign(leaf, ca_key, EVP_sha256()) <= 0)
		return NULL;
	return TAKE_PTR(leaf);
}

static int cert_set_generate(struct cert_set *ret)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ca_key = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_(X509_freep) X509 *ca = NULL;
	_cleanup_(X509_freep) X509 *leaf = NULL;
	_cleanup_(X509_freep) X509 *chain_ca = NULL;
	time_t now = time(NULL);

	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!ca_key || !key)
		return -EIO;
	ca = make_ca(ca_key, now);
	leaf = ca ? make_leaf(ca, ca_key, key, now) : NULL;
	/* The CA key has signed the only thing it ever will: drop it now,
	 * before anything touches the disk. It was never serialized, and
	 * freeing an EC key clears its private scalar (BN_clear_free() in
	 * EC_KEY_free(), reached through EVP_PKEY_free()). */
	EVP_PKEY_free(TAKE_PTR(ca_key));
	if (!leaf)
		return -EIO;
	chain_ca = X509_dup(ca);
	if (!chain_ca)
		return -ENOMEM;

	*ret = (struct cert_set){
		.ca = TAKE_PTR(ca),
		.leaf = TAKE_PTR(leaf),
		.chain_ca = TAKE_PTR(chain_ca),
		.key = TAKE_PTR(key),
	};
	return 0;
}

/* Write the set: all three temporary files first, then the renames, so a
 * failure before the renames leaves the old files untouched. A crash
 * between renames leaves a mix that cert_set_usable() rejects, and the
 * next localca_ensure() starts over. The server key is disposable, unlike
 * a user's signing key: replacing it is what renewal means. */
static int cert_set_write(const struct cert_set *s, int dfd)
{
	_cleanup_(BIO_free_allp) BIO *ca_pem = BIO_new(BIO_s_mem());
	_cleanup_(BIO_free_allp) BIO *chain_pem = BIO_new(BIO_s_mem());
	_cleanup_(BIO_free_allp) BIO *key_pem = BIO_new(BIO_s_secmem());
	struct {
		BIO *content;
		mode_t mode;
		char *tmp;
	} out[] = {
		/* In file_names[] order. */
		{ ca_pem, 0644, NULL },
		{ chain_pem, 0644, NULL },
		{ key_pem, 0600, NULL },
	};
	size_t n = sizeof(out) / sizeof(out[0]);
	int r = 0;

	if (!ca_pem || !chain_pem || !key_pem)
		return -ENOMEM;
	if (!PEM_write_bio_X509(ca_pem, s->ca) || !PEM_write_bio_X509(chain_pem, s->leaf) ||
	    !PEM_write_bio_X509(chain_pem, s->chain_ca) ||
	    !PEM_write_bio_PrivateKey(key_pem, s->key, NULL, NULL, 0, NULL, NULL))
		return -EIO;

	for (size_t i = 0; i < n && r == 0; i++)
		r = write_tmp_at(dfd, file_names[i], out[i].mode, out[i].content, &out[i].tmp);
	/* The key first: a server.pem never points at a key not yet there. */
	for (size_t i = n; i-- > 0 && r == 0;)
		if (renameat(dfd, out[i].tmp, dfd, file_names[i]) < 0)
			r = -errno;
	if (r == 0 && fsync(dfd) < 0)
		r = -errno;
	for (size_t i = 0; i < n; i++) {
		if (out[i].tmp && r < 0)
			(void)unlinkat(dfd, out[i].tmp, 0);
		free(out[i].tmp);
	}
	return r;
}

/* --- API -------------------------------------------------------------------- */

int localca_ensure(const char *tls_dir, int64_t renew_before_s, bool *ret_renewed)
{
	_cleanup_close_ int dfd = -1;
	struct cert_set s = { 0 };
	bool usable;
	int r;

	r = mkdir_parents(tls_dir, 0700);
	if (r < 0)
		return r;
	dfd = open(tls_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* Released when dfd is closed. */
	if (flock(dfd, LOCK_EX) < 0)
		return -errno;
	remove_stale_tmp(dfd);

	/* Broken files are expected here and answered by renewal; their
	 * parse errors are no one's business. */
	ERR_set_mark();
	cert_set_load(&s, dfd);
	usable = cert_set_usable(&s, renew_before_s);
	ERR_pop_to_mark();
	cert_set_clear(&s);
	if (usable) {
		if (ret_renewed)
			*ret_renewed = false;
		return 0;
	}

	r = cert_set_generate(&s);
	if (r < 0)
		return r;
	/* Check what we made with the same rules (ignoring renew_before_s):
	 * writing a set that fails them would renew on every start. */
	if (!cert_set_usable(&s, 0))
		r = -EIO;
	else
		r = cert_set_write(&s, dfd);
	cert_set_clear(&s);
	if (r < 0)
		return r;
	if (ret_renewed)
		*ret_renewed = true;
	return 0;
}

static int open_dir(const char *tls_dir)
{
	int dfd = open(tls_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return dfd < 0 ? -errno : dfd;
}

int localca_time_left(const char *tls_dir, int64_t *ret_seconds)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_(X509_freep) X509 *leaf = NULL;
	int64_t left;

	dfd = open_dir(tls_dir);
	if (dfd == -ENOENT)
		return LOCALCA_E_NO_CERT;
	if (dfd < 0)
		return dfd;
	ERR_set_mark();
	leaf = load_cert_at(dfd, "server.pem");
	ERR_pop_to_mark();
	if (!leaf || !seconds_left(leaf, &left))
		return LOCALCA_E_NO_CERT;
	*ret_seconds = left;
	return 0;
}

int localca_ca_fingerprint(const char *tls_dir, char ret_hex[static LOCALCA_FINGERPRINT_HEX + 1])
{
	_cleanup_close_ int dfd = -1;
	_cleanup_(X509_freep) X509 *ca = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char hex[LOCALCA_FINGERPRINT_HEX + 1];

	dfd = open_dir(tls_dir);
	if (dfd == -ENOENT)
		return LOCALCA_E_NO_CERT;
	if (dfd < 0)
		return dfd;
	ERR_set_mark();
	ca = load_cert_at(dfd, "ca.pem");
	ERR_pop_to_mark();
	if (!ca)
		return LOCALCA_E_NO_CERT;
	if (!X509_digest(ca, EVP_sha256(), md, &md_len) || md_len * 2 != LOCALCA_FINGERPRINT_HEX)
		return -EIO;
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	memcpy(ret_hex, hex, sizeof(hex));
	return 0;
}
