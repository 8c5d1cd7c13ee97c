/* pkcs11 against two modules:
 *   SoftHSM2, a real PKCS#11 module, with a token of its own made for this
 *   run in a temporary folder (SOFTHSM2_CONF, softhsm2-util): RSA-2048 and
 *   EC P-256 keys imported with self-signed certificates next to them, a
 *   CA certificate, keys generated on the token. Without SoftHSM2 those
 *   tests are skipped, saying so.
 *   tests/helpers/p11-failing.so, for what SoftHSM2 will not do: fail
 *   C_Initialize, lock a PIN, lose the token while signing, hold a GOST
 *   2012-512 key, notice two callers at once.
 * Signatures are checked with OpenSSL (RSA, ECDSA) and kzgost (GOST)
 * against the certificates' public keys. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <p11-kit/p11-kit.h>

#include "daemon/crypto/csr.h"
#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/signer.h"
#include "daemon/keystore/pkcs11.h"
#include "tests/unit/test-enroll.h"
#include "tests/unit/test-util.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define FAILING_MODULE TEST_HELPERS_DIR "/p11-failing.so"
#define NOENTRY_MODULE TEST_HELPERS_DIR "/p11-noentry.so"
#define TOKEN_LABEL    "qoltanba-test"
#define USER_PIN       "1234"
#define SO_PIN         "12345678"
#define MOCK_PIN       "4321"

static const uint8_t id_rsa[] = { 0x01 }, id_ec[] = { 0x02 }, id_ec_nopub[] = { 0x03 };
static const uint8_t id_ca[] = { 0xca }, id_mock[] = { 0x42 };

static struct {
	char *dir;
	const char *module;
	bool softhsm;    /* the token is there */
	char *why;       /* why not */
	unsigned long slot;
	EVP_PKEY *rsa, *ec, *ec_nopub, *ca;
	X509 *rsa_cert, *ec_cert, *ec_nopub_cert, *ca_cert;
} T;

/* ---- helpers ---------------------------------------------------------- */

#define NEED_SOFTHSM()                                                                             \
	do {                                                                                       \
		if (!T.softhsm) {                                                                  \
			g_test_skip(T.why);                                                        \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static char *hex(const uint8_t *b, size_t n)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%02x", b[i]);
	return g_string_free(s, FALSE);
}

static struct pkcs11_module *module_load(const char *path)
{
	struct pkcs11_module *m = NULL;
	g_autofree char *why = NULL;
	int r = pkcs11_module_load(path, &m, &why);

	if (r != 0)
		g_test_message("%s", why);
	g_assert_cmpint(r, ==, 0);
	g_assert_nonnull(m);
	return m;
}

static struct pkcs11_session *session_new(struct pkcs11_module *m, unsigned long slot, bool rw,
					  const char *pin)
{
	struct pkcs11_session *s = NULL;

	g_assert_cmpint(pkcs11_session_open(m, slot, rw, &s), ==, 0);
	if (pin)
		g_assert_cmpint(pkcs11_session_login(s, pin), ==, 0);
	return s;
}

/* What the failing module does from its next C_Initialize on
 * (tests/helpers/p11-failing.c): "key=value\n" lines. */
static void mock_control(const char *lines)
{
	g_autofree char *path = g_build_filename(T.dir, "p11-failing.conf", NULL);

	g_assert_true(g_file_set_contents(path, lines ? lines : "", -1, NULL));
}

static struct pkcs11_module *mock_load(const char *lines)
{
	mock_control(lines);
	return module_load(FAILING_MODULE);
}

static const struct pkcs11_key *key_by_id(const struct pkcs11_keys *keys, const uint8_t *id,
					  size_t len)
{
	for (size_t i = 0; i < keys->n; i++)
		if (keys->keys[i]->id_len == len && memcmp(keys->keys[i]->id, id, len) == 0)
			return keys->keys[i];
	return NULL;
}

static void digest_of(const char *text, uint8_t md[32])
{
	uint8_t full[SIGNER_DIGEST_MAX];
	size_t n = 0;

	g_assert_cmpint(signer_digest(SIGNER_ALG_RSA_SHA256, text, strlen(text), full, &n), ==, 0);
	g_assert_cmpuint(n, ==, 32);
	memcpy(md, full, 32);
}

/* Does cert's key verify sig over the SHA-256 digest md? padding 0 for EC. */
static bool verifies(X509 *cert, int padding, const uint8_t md[32], const uint8_t *sig,
		     size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(cert), NULL);
	bool ok;

	g_assert_nonnull(ctx);
	g_assert_cmpint(EVP_PKEY_verify_init(ctx), ==, 1);
	if (padding)
		g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(ctx, padding), ==, 1);
	if (padding == RSA_PKCS1_PSS_PADDING) {
		g_assert_cmpint(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32), ==, 1);
		g_assert_cmpint(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()), ==, 1);
	}
	g_assert_cmpint(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), ==, 1);
	ok = EVP_PKEY_verify(ctx, sig, sig_len, md, 32) == 1;
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* A certificate for pub, issued by issuer_key (self-signed when pub is
 * issuer_key), CA or end entity. */
static X509 *cert_new(EVP_PKEY *pub, EVP_PKEY *issuer_key, X509 *issuer, const char *cn, bool ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BASIC_CONSTRAINTS bc = { .ca = ca ? 0xff : 0 };
	static long serial = 100;

	g_assert_true(X509_set_version(x, X509_VERSION_3));
	g_assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
						 -1, -1, 0));
	g_assert_true(X509_set_subject_name(x, name));
	g_assert_true(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name));
	g_assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++));
	g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	g_assert_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	g_assert_true(X509_set_pubkey(x, pub));
	g_assert_cmpint(X509_add1_ext_i2d(x, NID_basic_constraints, &bc, 1, X509V3_ADD_DEFAULT), ==,
			1);
	g_assert_cmpint(X509_sign(x, issuer_key, EVP_sha256()), >, 0);
	X509_NAME_free(name);
	return x;
}

static bool run(const char *const *argv, char **ret_err)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	int status = -1;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, ret_err,
			  &status, &error))
		return false;
	return g_spawn_check_wait_status(status, NULL);
}

/* ---- raw PKCS#11 on the SoftHSM token, for the fixture and checks ---- */

static CK_FUNCTION_LIST *raw_load(void)
{
	CK_FUNCTION_LIST *f = p11_kit_module_load(T.module, 0);

	g_assert_nonnull(f);
	g_assert_cmpuint(p11_kit_module_initialize(f), ==, CKR_OK);
	return f;
}

static void raw_free(CK_FUNCTION_LIST *f)
{
	p11_kit_module_finalize(f);
	p11_kit_module_release(f);
}

static CK_SESSION_HANDLE raw_session(CK_FUNCTION_LIST *f, bool login)
{
	CK_SESSION_HANDLE h = 0;
	CK_RV rv;

	g_assert_cmpuint(f->C_OpenSession(T.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
					  &h),
			 ==, CKR_OK);
	if (login) {
		rv = f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN));
		g_assert_true(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN);
	}
	return h;
}

/* Objects of class with this id (id NULL: any). */
static CK_ULONG raw_count(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, CK_OBJECT_CLASS class,
			  const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *ret_first)
{
	CK_ATTRIBUTE templ[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_OBJECT_HANDLE objs[64];
	CK_ULONG n = 0;

	g_assert_cmpuint(f->C_FindObjectsInit(h, templ, id ? 2 : 1), ==, CKR_OK);
	g_assert_cmpuint(f->C_FindObjects(h, objs, G_N_ELEMENTS(objs), &n), ==, CKR_OK);
	g_assert_cmpuint(f->C_FindObjectsFinal(h), ==, CKR_OK);
	if (n > 0 && ret_first)
		*ret_first = objs[0];
	return n;
}

static GBytes *raw_attr(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
			CK_ATTRIBUTE_TYPE type)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	guint8 *buf;

	g_assert_cmpuint(f->C_GetAttributeValue(h, obj, &a, 1), ==, CKR_OK);
	buf = g_malloc(a.ulValueLen + 1);
	a.pValue = buf;
	g_assert_cmpuint(f->C_GetAttributeValue(h, obj, &a, 1), ==, CKR_OK);
	return g_bytes_new_take(buf, a.ulValueLen);
}

static bool raw_bool(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
		     CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = CK_FALSE;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };

	g_assert_cmpuint(f->C_GetAttributeValue(h, obj, &a, 1), ==, CKR_OK);
	return v == CK_TRUE;
}

static void raw_store_cert(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, X509 *cert,
			   const uint8_t *id, size_t id_len, const char *label)
{
	CK_OBJECT_CLASS class = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE type = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char *der = NULL, *subject = NULL;
	int n = i2d_X509(cert, &der), n_subject = i2d_X509_NAME(X509_get_subject_name(cert), &subject);
	CK_ATTRIBUTE templ[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_CERTIFICATE_TYPE, &type, sizeof(type) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_VALUE, der, (CK_ULONG)n },
		{ CKA_SUBJECT, subject, (CK_ULONG)n_subject },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_OBJECT_HANDLE obj;

	g_assert_cmpuint(f->C_CreateObject(h, templ, id ? 8 : 7, &obj), ==, CKR_OK);
	OPENSSL_free(der);
	OPENSSL_free(subject);
}

/* Sessions the SoftHSM module has open in this process, whoever opened
 * them: SoftHSM numbers its sessions 1, 2, … and reuses free numbers. */
static int raw_open_sessions(CK_FUNCTION_LIST *f)
{
	CK_SESSION_INFO info;
	int n = 0;

	for (CK_SESSION_HANDLE h = 1; h <= 64; h++)
		if (f->C_GetSessionInfo(h, &info) == CKR_OK)
			n++;
	return n;
}

/* ---- the SoftHSM token for this run ---------------------------------- */

static void key_import(EVP_PKEY *key, const char *label, const uint8_t *id, bool public_key)
{
	g_autofree char *path = g_strdup_printf("%s/%s.pem", T.dir, label);
	g_autofree char *id_hex = hex(id, 1);
	g_autofree char *err = NULL;
	FILE *fp = fopen(path, "w");
	const char *argv[] = { "softhsm2-util", "--import", path, "--token", TOKEN_LABEL,
			       "--label", label, "--id", id_hex, "--pin", USER_PIN,
			       public_key ? NULL : "--no-public-key", NULL };

	g_assert_nonnull(fp);
	g_assert_true(PEM_write_PKCS8PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL));
	fclose(fp);
	if (!run(argv, &err))
		g_error("softhsm2-util --import %s: %s", label, err);
	g_unlink(path);
}

static void token_setup(void)
{
	g_autofree char *conf = g_build_filename(T.dir, "softhsm2.conf", NULL);
	g_autofree char *tokens = g_build_filename(T.dir, "tokens", NULL);
	g_autofree char *text = NULL, *err = NULL, *util = NULL;
	const char *init[] = { "softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL,
			       "--so-pin", SO_PIN, "--pin", USER_PIN, NULL };
	struct pkcs11_module *m;
	struct pkcs11_token *list = NULL;
	size_t n = 0;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE h;

	/* Set before anything loads SoftHSM: it reads the file at C_Initialize. */
	text = g_strdup_printf("directories.tokendir = %s\nobjectstore.backend = file\n"
			       "log.level = ERROR\nslots.removable = false\n",
			       tokens);
	g_assert_true(g_file_set_contents(conf, text, -1, NULL));
	g_assert_cmpint(g_mkdir(tokens, 0700), ==, 0);
	g_setenv("SOFTHSM2_CONF", conf, TRUE);

	T.module = g_getenv("QOL_SOFTHSM_MODULE") ? g_getenv("QOL_SOFTHSM_MODULE") : SOFTHSM_MODULE;
	if (!g_file_test(T.module, G_FILE_TEST_EXISTS)) {
		T.why = g_strdup_printf("SoftHSM2 is not installed (%s is missing; apt-get install "
					"softhsm2)",
					T.module);
		return;
	}
	util = g_find_program_in_path("softhsm2-util");
	if (!util) {
		T.why = g_strdup("softhsm2-util is not on PATH (apt-get install softhsm2)");
		return;
	}
	if (!run(init, &err))
		g_error("softhsm2-util --init-token: %s", err);

	T.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	T.ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	T.ec_nopub = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	T.ca = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	g_assert_true(T.rsa && T.ec && T.ec_nopub && T.ca);
	key_import(T.rsa, "rsa", id_rsa, true);
	key_import(T.ec, "ec", id_ec, true);
	/* The public key object left out, as tokens filled from key files
	 * often have it. */
	key_import(T.ec_nopub, "ec-nopub", id_ec_nopub, false);
	T.ca_cert = cert_new(T.ca, T.ca, NULL, "Qoltanba test CA", true);
	T.rsa_cert = cert_new(T.rsa, T.rsa, NULL, "rsa", false);
	T.ec_cert = cert_new(T.ec, T.ec, NULL, "ec", false);
	T.ec_nopub_cert = cert_new(T.ec_nopub, T.ca, T.ca_cert, "ec-nopub", false);

	m = module_load(T.module);
	g_assert_cmpint(pkcs11_module_tokens(m, &list, &n), ==, 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].label, TOKEN_LABEL) == 0)
			T.slot = list[i].slot, T.softhsm = true;
	g_free(list);
	pkcs11_module_free(m);
	g_assert_true(T.softhsm);

	/* Certificates next to two of the keys, and a CA certificate (with
	 * an id, as some tokens keep them): written with plain PKCS#11, not
	 * the code tested. */
	f = raw_load();
	h = raw_session(f, true);
	raw_store_cert(f, h, T.rsa_cert, id_rsa, 1, "rsa");
	raw_store_cert(f, h, T.ec_cert, id_ec, 1, "ec");
	raw_store_cert(f, h, T.ca_cert, id_ca, 1, "ca");
	f->C_CloseSession(h);
	raw_free(f);
}

/* ---- modules ----------------------------------------------------------- */

static void assert_load_fails(const char *path, const char *why_has)
{
	struct pkcs11_module *m = NULL;
	char *why = NULL;

	g_assert_cmpint(pkcs11_module_load(path, &m, &why), ==, PKCS11_E_MODULE);
	g_assert_null(m);
	g_assert_nonnull(why);
	g_test_message("%s", why);
	g_assert_nonnull(strstr(why, path));
	g_assert_nonnull(strstr(why, why_has));
	g_free(why);
}

static void test_module_load_errors(void)
{
	g_autofree char *text = g_build_filename(T.dir, "not-a-module.so", NULL);
	struct pkcs11_module *m = NULL;

	/* Longer than an ELF header, so that the loader reads one. */
	g_assert_true(g_file_set_contents(
		text, "This is a text file, not a PKCS#11 module, and long enough for a header.\n", -1,
		NULL));
	assert_load_fails("/nonexistent/libnothing.so", "No such file");
	assert_load_fails("/bin/true", "cannot");
	assert_load_fails(text, "invalid ELF header");
	assert_load_fails(NOENTRY_MODULE, "C_GetFunctionList");

	mock_control("mode=initialize\n");
	assert_load_fails(FAILING_MODULE, "C_Initialize returned CKR_GENERAL_ERROR");

	/* ret_why is optional; arguments are checked. */
	g_assert_cmpint(pkcs11_module_load("/nonexistent.so", &m, NULL), ==, PKCS11_E_MODULE);
	g_assert_cmpint(pkcs11_module_load(NULL, &m, NULL), ==, -EINVAL);
	g_assert_cmpint(pkcs11_module_load(FAILING_MODULE, NULL, NULL), ==, -EINVAL);
	g_assert_null(m);
	g_assert_null(pkcs11_module_free(NULL));

	/* After all that the module loads and works. */
	m = mock_load(NULL);
	g_assert_cmpstr(pkcs11_module_path(m), ==, FAILING_MODULE);
	pkcs11_module_free(m);
}

static void test_module_registered(void)
{
	struct pkcs11_module **mods = NULL;
	size_t n = 0;
	bool seen = false;

	g_assert_cmpint(pkcs11_modules_registered(&mods, &n), ==, 0);
	for (size_t i = 0; i < n; i++) {
		struct pkcs11_token *tokens = NULL;
		size_t n_tokens = 0;

		g_test_message("registered: %s (%s)", pkcs11_module_name(mods[i]),
			       pkcs11_module_path(mods[i]));
		g_assert_nonnull(pkcs11_module_name(mods[i]));
		if (strcmp(pkcs11_module_name(mods[i]), "softhsm2") != 0)
			continue;
		/* The registry's SoftHSM2 is ours: same SOFTHSM2_CONF. */
		g_assert_cmpint(pkcs11_module_tokens(mods[i], &tokens, &n_tokens), ==, 0);
		for (size_t j = 0; j < n_tokens; j++)
			seen |= strcmp(tokens[j].label, TOKEN_LABEL) == 0;
		g_free(tokens);
	}
	pkcs11_modules_free(mods, n);
	if (!T.softhsm) {
		g_test_skip(T.why);
		return;
	}
	if (!g_file_test("/usr/share/p11-kit/modules/softhsm2.module", G_FILE_TEST_EXISTS)) {
		g_test_skip("softhsm2 is not in p11-kit's registry here");
		return;
	}
	g_assert_true(seen);
}

/* ---- tokens ------------------------------------------------------------ */

static void test_tokens(void)
{
	struct pkcs11_module *m;
	struct pkcs11_token *list = NULL, one;
	struct pkcs11_session *s = NULL;
	size_t n = 0;
	int ours = 0, blank = 0;

	NEED_SOFTHSM();
	m = module_load(T.module);
	g_assert_cmpint(pkcs11_module_tokens(m, &list, &n), ==, 0);
	for (size_t i = 0; i < n; i++) {
		g_test_message("slot %lu: \"%s\" \"%s\" \"%s\" \"%s\" flags %#x", list[i].slot,
			       list[i].label, list[i].manufacturer, list[i].model, list[i].serial,
			       list[i].flags);
		if (strcmp(list[i].label, TOKEN_LABEL) == 0) {
			ours++;
			g_assert_cmpstr(list[i].manufacturer, ==, "SoftHSM project");
			g_assert_cmpstr(list[i].model, ==, "SoftHSM v2");
			g_assert_cmpuint(strlen(list[i].serial), ==, 16);
			g_assert_cmpuint(list[i].flags & PKCS11_TOKEN_LOGIN_REQUIRED, !=, 0);
			g_assert_cmpuint(list[i].flags &
						 (PKCS11_TOKEN_UNINITIALIZED | PKCS11_TOKEN_PIN_UNINITIALIZED |
						  PKCS11_TOKEN_PROTECTED_AUTH | PKCS11_TOKEN_PIN_LOCKED),
					 ==, 0);
		} else if (list[i].flags & PKCS11_TOKEN_UNINITIALIZED) {
			/* SoftHSM always offers one blank token. */
			blank++;
			g_assert_cmpuint(list[i].flags & PKCS11_TOKEN_PIN_UNINITIALIZED, !=, 0);
			g_assert_cmpstr(list[i].label, ==, "");
		}
	}
	g_assert_cmpint(ours, ==, 1);
	g_assert_cmpint(blank, ==, 1);
	g_free(list);

	g_assert_cmpint(pkcs11_module_token(m, T.slot, &one), ==, 0);
	g_assert_cmpstr(one.label, ==, TOKEN_LABEL);
	g_assert_cmpuint(one.slot, ==, T.slot);
	g_assert_cmpint(pkcs11_module_token(m, 0xdead, &one), ==, PKCS11_E_NO_TOKEN);
	g_assert_cmpint(pkcs11_session_open(m, 0xdead, false, &s), ==, PKCS11_E_NO_TOKEN);
	g_assert_null(s);
	pkcs11_module_free(m);
}

static void test_pin_state(void)
{
	static const struct {
		unsigned flags;
		enum pkcs11_pin_state want;
	} cases[] = {
		{ 0, PKCS11_PIN_OK },
		{ PKCS11_TOKEN_LOGIN_REQUIRED, PKCS11_PIN_OK },
		{ PKCS11_TOKEN_PIN_COUNT_LOW, PKCS11_PIN_COUNT_LOW },
		{ PKCS11_TOKEN_PIN_COUNT_LOW | PKCS11_TOKEN_PIN_FINAL_TRY, PKCS11_PIN_FINAL_TRY },
		{ PKCS11_TOKEN_PIN_FINAL_TRY, PKCS11_PIN_FINAL_TRY },
		{ PKCS11_TOKEN_PIN_FINAL_TRY | PKCS11_TOKEN_PIN_LOCKED, PKCS11_PIN_LOCKED },
		{ PKCS11_TOKEN_PIN_LOCKED, PKCS11_PIN_LOCKED },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(pkcs11_pin_state(cases[i].flags), ==, cases[i].want);
	g_assert_cmpstr(pkcs11_rv_name(CKR_PIN_LOCKED), ==, "CKR_PIN_LOCKED");
	g_assert_cmpstr(pkcs11_rv_name(CKR_OK), ==, "CKR_OK");
	g_assert_null(pkcs11_rv_name(CKR_VENDOR_DEFINED | 7));
}

/* ---- keys -------------------------------------------------------------- */

static void test_keys_before_login(void)
{
	struct pkcs11_module *m;
	struct pkcs11_session *s;
	struct pkcs11_keys *keys = NULL;
	struct pkcs11_key *k = NULL;
	const struct pkcs11_key *rsa, *ec;
	uint8_t md[32], *sig = NULL;
	size_t sig_len = 0;

	NEED_SOFTHSM();
	m = module_load(T.module);
	s = session_new(m, T.slot, false, NULL);
	g_assert_false(pkcs11_session_logged_in(s));
	g_assert_cmpint(pkcs11_session_keys(s, &keys), ==, 0);
	/* The certificates stand for the keys behind the PIN. */
	g_assert_cmpuint(keys->n, ==, 2);
	rsa = key_by_id(keys, id_rsa, 1);
	ec = key_by_id(keys, id_ec, 1);
	g_assert_nonnull(rsa);
	g_assert_nonnull(ec);
	g_assert_cmpuint(rsa->handle, ==, 0);
	g_assert_cmpint(rsa->alg, ==, SIGNER_ALG_RSA_SHA256);
	g_assert_cmpint(X509_cmp(rsa->cert, T.rsa_cert), ==, 0);
	g_assert_cmpstr(rsa->label, ==, "rsa");
	g_assert_cmpint(ec->alg, ==, SIGNER_ALG_ECDSA_SHA256);
	g_assert_cmpint(X509_cmp(ec->cert, T.ec_cert), ==, 0);
	/* The CA certificate is chain. */
	g_assert_cmpint(sk_X509_num(keys->chain), ==, 1);
	g_assert_cmpint(X509_cmp(sk_X509_value(keys->chain, 0), T.ca_cert), ==, 0);
	g_assert_cmpint(sk_X509_num(rsa->chain), ==, 1);

	digest_of("before login", md);
	g_assert_cmpint(pkcs11_key_sign((struct pkcs11_key *)rsa, md, 32, &sig, &sig_len), ==,
			PKCS11_E_LOGIN_REQUIRED);
	g_assert_null(sig);
	g_assert_cmpint(pkcs11_session_key(s, id_rsa, 1, &k), ==, PKCS11_E_NOT_FOUND);
	g_assert_null(k);
	pkcs11_keys_free(keys);
	pkcs11_session_free(s);
	pkcs11_module_free(m);
}

static void test_keys_after_login(void)
{
	struct pkcs11_module *m;
	struct pkcs11_session *s;
	struct pkcs11_keys *keys = NULL;
	struct pkcs11_key *k = NULL;
	const struct pkcs11_key *rsa, *ec, *nopub;

	NEED_SOFTHSM();
	m = module_load(T.module);
	s = session_new(m, T.slot, false, USER_PIN);
	g_assert_true(pkcs11_session_logged_in(s));
	g_assert_cmpint(pkcs11_session_keys(s, &keys), ==, 0);
	rsa = key_by_id(keys, id_rsa, 1);
	ec = key_by_id(keys, id_ec, 1);
	nopub = key_by_id(keys, id_ec_nopub, 1);
	g_assert_true(rsa && ec && nopub);
	g_assert_cmpuint(rsa->handle, !=, 0);
	g_assert_cmpint(rsa->alg, ==, SIGNER_ALG_RSA_SHA256);
	g_assert_cmpint(X509_cmp(rsa->cert, T.rsa_cert), ==, 0);
	g_assert_cmpstr(rsa->label, ==, "rsa");
	g_assert_cmpuint(ec->handle, !=, 0);
	g_assert_cmpint(ec->alg, ==, SIGNER_ALG_ECDSA_SHA256);
	g_assert_cmpint(X509_cmp(ec->cert, T.ec_cert), ==, 0);
	/* A key without a certificate yet. */
	g_assert_cmpint(nopub->alg, ==, SIGNER_ALG_ECDSA_SHA256);
	g_assert_null(nopub->cert);
	g_assert_cmpstr(nopub->label, ==, "ec-nopub");
	g_assert_cmpint(sk_X509_num(keys->chain), ==, 1);
	g_assert_cmpint(X509_cmp(sk_X509_value(ec->chain, 0), T.ca_cert), ==, 0);

	g_assert_cmpint(pkcs11_session_key(s, id_ec, 1, &k), ==, 0);
	g_assert_cmpuint(k->handle, ==, ec->handle);
	g_assert_cmpint(X509_cmp(k->cert, T.ec_cert), ==, 0);
	g_assert_cmpint(sk_X509_num(k->chain), ==, 1);
	pkcs11_key_free(k);
	k = NULL;
	g_assert_cmpint(pkcs11_session_key(s, (const uint8_t *)"\x77", 1, &k), ==,
			PKCS11_E_NOT_FOUND);
	g_assert_null(k);
	pkcs11_keys_free(keys);
	pkcs11_session_free(s);
	pkcs11_module_free(m);
}

/* ---- signing ----------------------------------------------------------- */

struct signing {
	struct pkcs11_module *m;
	struct pkcs11_session *s;
	struct pkcs11_key *k;
};

static void signing_open(struct signing *x, const uint8_t *id)
{
	x->m = module_load(T.module);
	x->s = session_new(x->m, T.slot, false, USER_PIN);
	g_assert_cmpint(pkcs11_session_key(x->s, id, 1, &x->k), ==, 0);
}

static void signing_close(struct signing *x)
{
	pkcs11_key_free(x->k);
	pkcs11_session_free(x->s);
	pkcs11_module_free(x->m);
}

static void test_sign_rsa(void)
{
	struct signing x;
	struct signer sg;
	uint8_t md[32], *sig = NULL, *sig2 = NULL, *want = NULL;
	size_t len = 0, len2 = 0, want_len = 0;
	EVP_PKEY_CTX *ctx;

	NEED_SOFTHSM();
	signing_open(&x, id_rsa);
	digest_of("a document", md);
	g_assert_cmpint(pkcs11_key_sign(x.k, md, 32, &sig, &len), ==, 0);
	g_assert_cmpuint(len, ==, 256);
	g_assert_true(verifies(T.rsa_cert, RSA_PKCS1_PADDING, md, sig, len));
	md[0] ^= 1;
	g_assert_false(verifies(T.rsa_cert, RSA_PKCS1_PADDING, md, sig, len));
	md[0] ^= 1;

	/* PKCS#1 v1.5 is deterministic: OpenSSL with the same key says the
	 * same bytes (so the DigestInfo is right, not only verifiable). */
	ctx = EVP_PKEY_CTX_new(T.rsa, NULL);
	g_assert_cmpint(EVP_PKEY_sign_init(ctx), ==, 1);
	g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), ==, 1);
	g_assert_cmpint(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), ==, 1);
	g_assert_cmpint(EVP_PKEY_sign(ctx, NULL, &want_len, md, 32), ==, 1);
	want = OPENSSL_malloc(want_len);
	g_assert_cmpint(EVP_PKEY_sign(ctx, want, &want_len, md, 32), ==, 1);
	g_assert_cmpmem(sig, len, want, want_len);
	EVP_PKEY_CTX_free(ctx);

	/* The same through the signer contract. */
	g_assert_cmpint(pkcs11_key_signer(x.k, &sg), ==, 0);
	g_assert_cmpint(sg.alg, ==, SIGNER_ALG_RSA_SHA256);
	g_assert_true(sg.cert == x.k->cert);
	g_assert_true(sg.chain == x.k->chain);
	g_assert_cmpint(sg.sign_digest(sg.ctx, md, 32, &sig2, &len2), ==, 0);
	g_assert_cmpmem(sig2, len2, want, want_len);
	g_assert_cmpint(x.k->sign_error, ==, 0);

	/* A digest of the wrong size is the caller's bug. */
	g_assert_cmpint(pkcs11_key_sign(x.k, md, 31, &sig2, &len2), ==, -EINVAL);
	OPENSSL_free(sig);
	OPENSSL_free(sig2);
	OPENSSL_free(want);
	signing_close(&x);
}

static void test_sign_rsa_pss(void)
{
	struct signing x;
	uint8_t md[32], *sig = NULL, *sig2 = NULL;
	size_t len = 0, len2 = 0;

	NEED_SOFTHSM();
	signing_open(&x, id_rsa);
	x.k->rsa_pss = true;
	digest_of("a PSS document", md);
	g_assert_cmpint(pkcs11_key_sign(x.k, md, 32, &sig, &len), ==, 0);
	g_assert_cmpuint(len, ==, 256);
	g_assert_true(verifies(T.rsa_cert, RSA_PKCS1_PSS_PADDING, md, sig, len));
	g_assert_false(verifies(T.rsa_cert, RSA_PKCS1_PADDING, md, sig, len));
	/* Salted: two signatures differ. */
	g_assert_cmpint(pkcs11_key_sign(x.k, md, 32, &sig2, &len2), ==, 0);
	g_assert_true(len != len2 || memcmp(sig, sig2, len) != 0);
	OPENSSL_free(sig);
	OPENSSL_free(sig2);
	signing_close(&x);
}

static void test_sign_ecdsa(void)
{
	struct signing x;
	struct signer sg;
	uint8_t md[32], *sig = NULL;
	const unsigned char *p;
	size_t len = 0;
	ECDSA_SIG *parsed;

	NEED_SOFTHSM();
	signing_open(&x, id_ec);
	digest_of("an EC document", md);
	g_assert_cmpint(pkcs11_key_signer(x.k, &sg), ==, 0);
	g_assert_cmpint(sg.sign_digest(sg.ctx, md, 32, &sig, &len), ==, 0);
	/* DER Ecdsa-Sig-Value, all of it. */
	p = sig;
	parsed = d2i_ECDSA_SIG(NULL, &p, (long)len);
	g_assert_nonnull(parsed);
	g_assert_true(p == sig + len);
	ECDSA_SIG_free(parsed);
	g_assert_true(verifies(T.ec_cert, 0, md, sig, len));
	md[5] ^= 0x80;
	g_assert_false(verifies(T.ec_cert, 0, md, sig, len));
	OPENSSL_free(sig);
	signing_close(&x);
}

/* ---- login ------------------------------------------------------------- */

static void test_login_wrong_then_right(void)
{
	struct pkcs11_module *m;
	struct pkcs11_session *s;
	struct pkcs11_keys *keys = NULL;

	NEED_SOFTHSM();
	m = module_load(T.module);
	s = session_new(m, T.slot, false, NULL);
	g_assert_cmpint(pkcs11_session_pin_state(s), ==, PKCS11_PIN_OK);
	g_assert_cmpint(pkcs11_session_login(s, NULL), ==, -EINVAL); /* no PIN pad */
	g_assert_cmpint(pkcs11_session_login(s, "0000"), ==, PKCS11_E_PIN_INCORRECT);
	g_assert_cmpuint(pkcs11_session_last_rv(s), ==, CKR_PIN_INCORRECT);
	g_assert_false(pkcs11_session_logged_in(s));
	/* SoftHSM2 counts wrong PINs no further than this flag. */
	g_assert_cmpint(pkcs11_session_pin_state(s), ==, PKCS11_PIN_COUNT_LOW);
	g_assert_cmpint(pkcs11_session_login(s, ""), ==, PKCS11_E_PIN_INCORRECT);
	g_assert_cmpint(pkcs11_session_keys(s, &keys), ==, 0);
	for (size_t i = 0; i < keys->n; i++)
		g_assert_cmpuint(keys->keys[i]->handle, ==, 0);
	pkcs11_keys_free(keys);

	g_assert_cmpint(pkcs11_session_login(s, USER_PIN), ==, 0);
	g_assert_true(pkcs11_session_logged_in(s));
	g_assert_cmpint(pkcs11_session_pin_state(s), ==, PKCS11_PIN_OK);
	pkcs11_session_free(s);
	pkcs11_module_free(m);
}

/* ---- sessions ---------------------------------------------------------- */

static void test_session_closed(void)
{
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE side;
	CK_SESSION_INFO info;
	struct pkcs11_module *m;
	struct pkcs11_session *s, *again = NULL;
	struct signing x;
	uint8_t md[32], *sig = NULL;
	size_t len = 0;

	NEED_SOFTHSM();
	f = raw_load();
	m = module_load(T.module);
	g_assert_cmpint(raw_open_sessions(f), ==, 0);
	s = session_new(m, T.slot, false, NULL);
	g_assert_cmpint(raw_open_sessions(f), ==, 1);
	/* One session per slot and module. */
	g_assert_cmpint(pkcs11_session_open(m, T.slot, true, &again), ==, PKCS11_E_BUSY);
	g_assert_null(again);
	pkcs11_session_free(s);
	g_assert_cmpint(raw_open_sessions(f), ==, 0);
	s = session_new(m, T.slot, true, NULL);
	pkcs11_session_free(s);
	g_assert_cmpint(raw_open_sessions(f), ==, 0);

	/* A whole signature: nothing left open afterwards. */
	signing_open(&x, id_ec);
	digest_of("count", md);
	g_assert_cmpint(pkcs11_key_sign(x.k, md, 32, &sig, &len), ==, 0);
	OPENSSL_free(sig);
	g_assert_cmpint(raw_open_sessions(f), ==, 1);
	signing_close(&x);
	g_assert_cmpint(raw_open_sessions(f), ==, 0);

	/* Freed, a logged-in session logs out: a session that stays open
	 * elsewhere in the process must not keep the login. */
	side = raw_session(f, false);
	s = session_new(m, T.slot, false, USER_PIN);
	g_assert_cmpuint(f->C_GetSessionInfo(side, &info), ==, CKR_OK);
	g_assert_cmpuint(info.state, ==, CKS_RW_USER_FUNCTIONS);
	pkcs11_session_free(s);
	g_assert_cmpuint(f->C_GetSessionInfo(side, &info), ==, CKR_OK);
	g_assert_cmpuint(info.state, ==, CKS_RW_PUBLIC_SESSION);

	/* Logged in elsewhere: the PIN is still checked. */
	g_assert_cmpuint(f->C_Login(side, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)), ==,
			 CKR_OK);
	s = session_new(m, T.slot, false, NULL);
	g_assert_cmpint(pkcs11_session_login(s, "9999"), ==, PKCS11_E_PIN_INCORRECT);
	g_assert_cmpint(pkcs11_session_login(s, USER_PIN), ==, 0);
	pkcs11_session_free(s);
	f->C_CloseSession(side);

	/* The module may go first: the session keeps it alive. */
	s = session_new(m, T.slot, false, NULL);
	pkcs11_module_free(m);
	g_assert_cmpint(raw_open_sessions(f), ==, 1);
	pkcs11_session_free(s);
	g_assert_cmpint(raw_open_sessions(f), ==, 0);
	raw_free(f);
}

/* ---- enrollment -------------------------------------------------------- */

static void test_enroll_rsa(void)
{
	struct pkcs11_module *m;
	struct pkcs11_session *s;
	struct pkcs11_key *k = NULL;
	X509_PUBKEY *pk = NULL;
	uint8_t id[CSR_KEY_ID_SIZE], want_id[CSR_KEY_ID_SIZE];
	struct signer sg;
	g_autofree char *pem = NULL;
	X509_REQ *req;
	BIO *bio;
	EVP_PKEY *pub;
	BIGNUM *e = NULL;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE obj = 0;
	g_autoptr(GBytes) label = NULL, token_id = NULL;

	NEED_SOFTHSM();
	m = module_load(T.module);
	/* Read-only, or not logged in: refused. */
	s = session_new(m, T.slot, false, USER_PIN);
	g_assert_cmpint(pkcs11_key_generate(s, CSR_ALG_RSA2048, "enroll", &pk, id), ==, -EINVAL);
	pkcs11_session_free(s);
	s = session_new(m, T.slot, true, NULL);
	g_assert_cmpint(pkcs11_key_generate(s, CSR_ALG_RSA2048, "enroll", &pk, id), ==,
			PKCS11_E_LOGIN_REQUIRED);
	g_assert_null(pk);
	g_assert_cmpint(pkcs11_session_login(s, USER_PIN), ==, 0);

	g_assert_cmpint(pkcs11_key_generate(s, CSR_ALG_RSA2048, "enroll", &pk, id), ==, 0);
	g_assert_nonnull(pk);
	/* The key id is NCA's SKI of the public key. */
	g_assert_cmpint(csr_pubkey_id(pk, want_id), ==, 0);
	g_assert_cmpmem(id, sizeof(id), want_id, sizeof(want_id));
	pub = X509_PUBKEY_get0(pk);
	g_assert_nonnull(pub);
	g_assert_cmpint(EVP_PKEY_get_base_id(pub), ==, EVP_PKEY_RSA);
	g_assert_cmpint(EVP_PKEY_get_bits(pub), ==, 2048);
	g_assert_true(EVP_PKEY_get_bn_param(pub, "e", &e));
	g_assert_cmpuint(BN_get_word(e), ==, 65537);
	BN_free(e);

	/* A CSR signed on the token. */
	g_assert_cmpint(pkcs11_session_key(s, id, sizeof(id), &k), ==, 0);
	g_assert_null(k->cert);
	g_assert_cmpint(k->alg, ==, SIGNER_ALG_RSA_SHA256);
	g_assert_cmpstr(k->label, ==, "enroll");
	g_assert_cmpint(pkcs11_key_signer(k, &sg), ==, 0);
	g_assert_cmpint(csr_build_with_signer(pk, &sg, &person, CSR_STORAGE_OID_PKCS12, &pem), ==, 0);
	bio = BIO_new_mem_buf(pem, -1);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	g_assert_nonnull(req);
	g_assert_cmpint(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), ==, 1);
	g_assert_cmpint(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), pub), ==, 1);
	X509_REQ_free(req);
	pkcs11_key_free(k);
	pkcs11_session_free(s);

	/* What the token holds. */
	f = raw_load();
	h = raw_session(f, true);
	g_assert_cmpuint(raw_count(f, h, CKO_PRIVATE_KEY, id, sizeof(id), &obj), ==, 1);
	g_assert_true(raw_bool(f, h, obj, CKA_TOKEN));
	g_assert_true(raw_bool(f, h, obj, CKA_PRIVATE));
	g_assert_true(raw_bool(f, h, obj, CKA_SENSITIVE));
	g_assert_false(raw_bool(f, h, obj, CKA_EXTRACTABLE));
	g_assert_true(raw_bool(f, h, obj, CKA_SIGN));
	label = raw_attr(f, h, obj, CKA_LABEL);
	g_assert_cmpmem(g_bytes_get_data(label, NULL), g_bytes_get_size(label), "enroll", 6);
	token_id = raw_attr(f, h, obj, CKA_ID);
	g_assert_cmpmem(g_bytes_get_data(token_id, NULL), g_bytes_get_size(token_id), id, sizeof(id));
	g_assert_cmpuint(raw_count(f, h, CKO_PUBLIC_KEY, id, sizeof(id), &obj), ==, 1);
	g_assert_true(raw_bool(f, h, obj, CKA_TOKEN));
	f->C_CloseSession(h);

	/* A failed enrollment takes its key pair away again. */
	s = session_new(m, T.slot, true, USER_PIN);
	g_assert_cmpint(pkcs11_key_delete(s, id, sizeof(id)), ==, 0);
	g_assert_cmpint(pkcs11_key_delete(s, id, sizeof(id)), ==, PKCS11_E_NOT_FOUND);
	k = NULL;
	g_assert_cmpint(pkcs11_session_key(s, id, sizeof(id), &k), ==, PKCS11_E_NOT_FOUND);
	pkcs11_session_free(s);
	h = raw_session(f, true);
	g_assert_cmpuint(raw_count(f, h, CKO_PRIVATE_KEY, id, sizeof(id), NULL), ==, 0);
	g_assert_cmpuint(raw_count(f, h, CKO_PUBLIC_KEY, id, sizeof(id), NULL), ==, 0);
	f->C_CloseSession(h);
	raw_free(f);
	X509_PUBKEY_free(pk);
	pkcs11_module_free(m);
}

static void test_enroll_gost_unsupported(void)
{
	struct pkcs11_module *m;
	struct pkcs11_session *s;
	X509_PUBKEY *pk = NULL;
	uint8_t id[CSR_KEY_ID_SIZE];
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE h;
	CK_ULONG before, after;

	NEED_SOFTHSM();
	f = raw_load();
	h = raw_session(f, true);
	before = raw_count(f, h, CKO_PRIVATE_KEY, NULL, 0, NULL);
	f->C_CloseSession(h);

	m = module_load(T.module);
	s = session_new(m, T.slot, true, USER_PIN);
	/* SoftHSM2 knows GOST 2001 at most (Debian's: no GOST at all). */
	g_assert_cmpint(pkcs11_key_generate(s, CSR_ALG_GOST512, "gost", &pk, id), ==,
			PKCS11_E_UNSUPPORTED);
	g_assert_null(pk);
	pkcs11_session_free(s);
	pkcs11_module_free(m);

	h = raw_session(f, true);
	after = raw_count(f, h, CKO_PRIVATE_KEY, NULL, 0, NULL);
	f->C_CloseSession(h);
	raw_free(f);
	g_assert_cmpuint(after, ==, before);
}

/* ---- certificate import ----------------------------------------------- */

static CK_ULONG certs_with_id(const uint8_t *id, size_t len)
{
	CK_FUNCTION_LIST *f = raw_load();
	CK_SESSION_HANDLE h = raw_session(f, false);
	CK_ULONG n = raw_count(f, h, CKO_CERTIFICATE, id, len, NULL);

	f->C_CloseSession(h);
	raw_free(f);
	return n;
}

static void test_import_cert(void)
{
	struct pkcs11_module *m;
	struct pkcs11_session *s;
	struct pkcs11_keys *keys = NULL;
	struct pkcs11_key *k = NULL;
	X509_PUBKEY *pk = NULL;
	X509 *cert;
	uint8_t id[CSR_KEY_ID_SIZE];
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE obj = 0;
	unsigned char *der = NULL;
	int n;
	g_autoptr(GBytes) subject = NULL, issuer = NULL, serial = NULL, label = NULL;

	NEED_SOFTHSM();
	m = module_load(T.module);
	s = session_new(m, T.slot, true, USER_PIN);
	g_assert_cmpint(pkcs11_key_generate(s, CSR_ALG_RSA2048, "to import", &pk, id), ==, 0);
	/* Issued by the test CA to the new key. */
	cert = cert_new(X509_PUBKEY_get0(pk), T.ca, T.ca_cert, "issued", false);

	/* Another key's certificate: refused, nothing written. */
	g_assert_cmpint(pkcs11_cert_import(s, id, sizeof(id), T.rsa_cert, "wrong"), ==,
			PKCS11_E_KEY_MISMATCH);
	g_assert_cmpuint(certs_with_id(id, sizeof(id)), ==, 0);
	/* No such key. */
	g_assert_cmpint(pkcs11_cert_import(s, (const uint8_t *)"\x99", 1, cert, "x"), ==,
			PKCS11_E_NOT_FOUND);

	g_assert_cmpint(pkcs11_cert_import(s, id, sizeof(id), cert, "issued"), ==, 0);
	g_assert_cmpuint(certs_with_id(id, sizeof(id)), ==, 1);
	/* Never twice, never replaced. */
	g_assert_cmpint(pkcs11_cert_import(s, id, sizeof(id), cert, "again"), ==, PKCS11_E_EXISTS);
	g_assert_cmpint(pkcs11_cert_import(s, id, sizeof(id), T.rsa_cert, "again"), ==,
			PKCS11_E_EXISTS);
	g_assert_cmpuint(certs_with_id(id, sizeof(id)), ==, 1);
	/* A key with a certificate is not deleted. */
	g_assert_cmpint(pkcs11_key_delete(s, id, sizeof(id)), ==, PKCS11_E_EXISTS);

	/* Listed with its key afterwards. */
	g_assert_cmpint(pkcs11_session_keys(s, &keys), ==, 0);
	g_assert_nonnull(key_by_id(keys, id, sizeof(id)));
	g_assert_cmpint(X509_cmp(key_by_id(keys, id, sizeof(id))->cert, cert), ==, 0);
	/* The CA certificate is still the only chain certificate. */
	g_assert_cmpint(sk_X509_num(keys->chain), ==, 1);
	pkcs11_keys_free(keys);
	pkcs11_session_free(s);

	/* The object as PKCS#11 readers (and NCALayer) expect it. */
	f = raw_load();
	h = raw_session(f, false);
	g_assert_cmpuint(raw_count(f, h, CKO_CERTIFICATE, id, sizeof(id), &obj), ==, 1);
	g_assert_true(raw_bool(f, h, obj, CKA_TOKEN));
	label = raw_attr(f, h, obj, CKA_LABEL);
	g_assert_cmpmem(g_bytes_get_data(label, NULL), g_bytes_get_size(label), "issued", 6);
	subject = raw_attr(f, h, obj, CKA_SUBJECT);
	n = i2d_X509_NAME(X509_get_subject_name(cert), &der);
	g_assert_cmpmem(g_bytes_get_data(subject, NULL), g_bytes_get_size(subject), der, n);
	OPENSSL_free(der);
	der = NULL;
	issuer = raw_attr(f, h, obj, CKA_ISSUER);
	n = i2d_X509_NAME(X509_get_subject_name(T.ca_cert), &der);
	g_assert_cmpmem(g_bytes_get_data(issuer, NULL), g_bytes_get_size(issuer), der, n);
	OPENSSL_free(der);
	der = NULL;
	serial = raw_attr(f, h, obj, CKA_SERIAL_NUMBER);
	n = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der);
	g_assert_cmpmem(g_bytes_get_data(serial, NULL), g_bytes_get_size(serial), der, n);
	OPENSSL_free(der);
	f->C_CloseSession(h);
	raw_free(f);

	/* A key without a public key object: the key proves the certificate
	 * by signing. */
	s = session_new(m, T.slot, true, USER_PIN);
	g_assert_cmpint(pkcs11_cert_import(s, id_ec_nopub, 1, T.ec_cert, "wrong"), ==,
			PKCS11_E_KEY_MISMATCH);
	g_assert_cmpint(pkcs11_cert_import(s, id_ec_nopub, 1, T.rsa_cert, "wrong"), ==,
			PKCS11_E_KEY_MISMATCH);
	g_assert_cmpuint(certs_with_id(id_ec_nopub, 1), ==, 0);
	g_assert_cmpint(pkcs11_cert_import(s, id_ec_nopub, 1, T.ec_nopub_cert, "ec-nopub"), ==, 0);
	g_assert_cmpint(pkcs11_session_key(s, id_ec_nopub, 1, &k), ==, 0);
	g_assert_cmpint(X509_cmp(k->cert, T.ec_nopub_cert), ==, 0);
	pkcs11_key_free(k);
	pkcs11_session_free(s);

	X509_free(cert);
	X509_PUBKEY_free(pk);
	pkcs11_module_free(m);
}

/* ---- the failing module ------------------------------------------------ */

static void test_mock_pin_locked(void)
{
	struct pkcs11_module *m = mock_load(NULL);
	struct pkcs11_session *s = session_new(m, 0, false, NULL);
	struct pkcs11_token t;

	g_assert_cmpint(pkcs11_session_pin_state(s), ==, PKCS11_PIN_OK);
	/* A PIN of a length the token refuses is a wrong PIN too. */
	g_assert_cmpint(pkcs11_session_login(s, "12"), ==, PKCS11_E_PIN_INCORRECT);
	g_assert_cmpuint(pkcs11_session_last_rv(s), ==, CKR_PIN_LEN_RANGE);
	g_assert_cmpint(pkcs11_session_pin_state(s), ==, PKCS11_PIN_OK);
	g_assert_cmpint(pkcs11_session_login(s, "1111"), ==, PKCS11_E_PIN_INCORRECT);
	g_assert_cmpint(pkcs11_session_pin_state(s), ==, PKCS11_PIN_COUNT_LOW);
	g_assert_cmpint(pkcs11_session_login(s, "2222"), ==, PKCS11_E_PIN_INCORRECT);
	g_assert_cmpint(pkcs11_session_pin_state(s), ==, PKCS11_PIN_FINAL_TRY);
	g_assert_cmpint(pkcs11_session_login(s, "3333"), ==, PKCS11_E_PIN_INCORRECT);
	g_assert_cmpint(pkcs11_session_pin_state(s), ==, PKCS11_PIN_LOCKED);
	/* Locked: the right PIN no longer helps. */
	g_assert_cmpint(pkcs11_session_login(s, MOCK_PIN), ==, PKCS11_E_PIN_LOCKED);
	g_assert_cmpuint(pkcs11_session_last_rv(s), ==, CKR_PIN_LOCKED);
	g_assert_false(pkcs11_session_logged_in(s));
	g_assert_cmpint(pkcs11_module_token(m, 0, &t), ==, 0);
	g_assert_cmpuint(t.flags & PKCS11_TOKEN_PIN_LOCKED, !=, 0);
	pkcs11_session_free(s);
	pkcs11_module_free(m);

	/* A good PIN after a wrong one resets the count. */
	m = mock_load(NULL);
	s = session_new(m, 0, false, NULL);
	g_assert_cmpint(pkcs11_session_login(s, "1111"), ==, PKCS11_E_PIN_INCORRECT);
	g_assert_cmpint(pkcs11_session_login(s, MOCK_PIN), ==, 0);
	g_assert_cmpint(pkcs11_session_pin_state(s), ==, PKCS11_PIN_OK);
	pkcs11_session_free(s);
	pkcs11_module_free(m);
}

static void test_mock_removed(void)
{
	struct pkcs11_module *m = mock_load("mode=removed\n");
	struct pkcs11_session *s = session_new(m, 0, false, MOCK_PIN);
	struct pkcs11_key *k = NULL;
	struct pkcs11_token *list = NULL;
	struct signer sg;
	uint8_t md[32], *sig = NULL;
	size_t len = 0, n = 1;

	g_assert_cmpint(pkcs11_session_key(s, id_mock, 1, &k), ==, 0);
	g_assert_cmpint(k->alg, ==, SIGNER_ALG_RSA_SHA256);
	g_assert_cmpstr(k->label, ==, "failing key");
	digest_of("pulled out", md);
	/* Through the signer: its contract's error, and why beside it. */
	g_assert_cmpint(pkcs11_key_signer(k, &sg), ==, 0);
	g_assert_cmpint(sg.sign_digest(sg.ctx, md, 32, &sig, &len), ==, SIGNER_E_FAILED);
	g_assert_cmpint(k->sign_error, ==, PKCS11_E_REMOVED);
	g_assert_cmpuint(pkcs11_session_last_rv(s), ==, CKR_DEVICE_REMOVED);
	g_assert_null(sig);
	/* And directly, with the session gone with the token. */
	g_assert_cmpint(pkcs11_key_sign(k, md, 32, &sig, &len), ==, PKCS11_E_REMOVED);
	g_assert_cmpint(pkcs11_module_tokens(m, &list, &n), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_free(list);
	pkcs11_key_free(k);
	pkcs11_session_free(s); /* logout and close fail; no matter */
	g_assert_cmpint(pkcs11_session_open(m, 0, false, &s), ==, PKCS11_E_NO_TOKEN);
	pkcs11_module_free(m);
}

static void test_mock_other_failure(void)
{
	struct pkcs11_module *m = mock_load(NULL);
	struct pkcs11_session *s = session_new(m, 0, false, MOCK_PIN);
	struct pkcs11_key *k = NULL;
	uint8_t md[32], *sig = NULL;
	size_t len = 0;

	g_assert_cmpint(pkcs11_session_key(s, id_mock, 1, &k), ==, 0);
	digest_of("refused", md);
	g_assert_cmpint(pkcs11_key_sign(k, md, 32, &sig, &len), ==, PKCS11_E_FAILED);
	g_assert_cmpstr(pkcs11_rv_name(pkcs11_session_last_rv(s)), ==, "CKR_FUNCTION_FAILED");
	/* The mock offers RSA-PKCS only. */
	k->rsa_pss = true;
	g_assert_cmpint(pkcs11_key_sign(k, md, 32, &sig, &len), ==, PKCS11_E_UNSUPPORTED);
	pkcs11_key_free(k);
	pkcs11_session_free(s);
	pkcs11_module_free(m);
}

/* A GOST 2015-512 signature made by kzgost, handed out by the mock in
 * PKCS#11's order (s ‖ r big-endian), comes back in NCA's. */
static void test_mock_gost(void)
{
	uint8_t d[KZGOST_PRIVATE_KEY_SIZE], pub[KZGOST_PUBLIC_KEY_SIZE], md[SIGNER_DIGEST_MAX];
	uint8_t want[KZGOST_SIGNATURE_SIZE], token_form[KZGOST_SIGNATURE_SIZE], *sig = NULL;
	g_autofree char *md_hex = NULL, *sig_hex = NULL, *control = NULL;
	struct pkcs11_module *m;
	struct pkcs11_session *s;
	struct pkcs11_key *k = NULL;
	X509_PUBKEY *pk = NULL;
	uint8_t id[CSR_KEY_ID_SIZE];
	size_t md_len = 0, len = 0;
	int r;

	r = signer_digest(SIGNER_ALG_GOST2015_512, "GOST", 4, md, &md_len);
	if (r != 0) {
		g_test_skip("no Streebog here (apt-get install libengine-gost-openssl)");
		return;
	}
	g_assert_cmpint(kzgost_generate(d), ==, 0);
	g_assert_cmpint(kzgost_public_from_private(d, pub), ==, 0);
	g_assert_cmpint(kzgost_sign(d, md, want), ==, 0);
	for (size_t i = 0; i < sizeof(want); i++)
		token_form[i] = want[sizeof(want) - 1 - i];
	md_hex = hex(md, md_len);
	sig_hex = hex(token_form, sizeof(token_form));
	control = g_strdup_printf("mode=gost\ndigest=%s\nsignature=%s\n", md_hex, sig_hex);
	m = mock_load(control);
	s = session_new(m, 0, true, MOCK_PIN);
	g_assert_cmpint(pkcs11_session_key(s, id_mock, 1, &k), ==, 0);
	g_assert_cmpint(k->alg, ==, SIGNER_ALG_GOST2015_512);
	g_assert_cmpint(pkcs11_key_sign(k, md, md_len, &sig, &len), ==, 0);
	g_assert_cmpmem(sig, len, want, sizeof(want));
	g_assert_cmpint(kzgost_verify(pub, md, sig), ==, 0);
	OPENSSL_free(sig);
	/* Key generation offered, but the 512-bit parameter set refused
	 * (as by a token that knows GOST 2001 only): said so. */
	g_assert_cmpint(pkcs11_key_generate(s, CSR_ALG_GOST512, "gost", &pk, id), ==,
			PKCS11_E_UNSUPPORTED);
	g_assert_cmpuint(pkcs11_session_last_rv(s), ==, CKR_DOMAIN_PARAMS_INVALID);
	g_assert_null(pk);
	pkcs11_key_free(k);
	pkcs11_session_free(s);
	pkcs11_module_free(m);
	OPENSSL_cleanse(d, sizeof(d));
}

static char *log_take(const char *path)
{
	char *text = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_unlink(path);
	return text;
}

/* What the module was asked, in order. */
static void test_mock_calls(void)
{
	g_autofree char *path = g_build_filename(T.dir, "calls.log", NULL);
	g_autofree char *a = NULL, *b = NULL, *c = NULL, *control = NULL;
	struct pkcs11_module *m;
	struct pkcs11_session *s;
	X509_PUBKEY *pk = NULL;
	uint8_t id[CSR_KEY_ID_SIZE];

	control = g_strdup_printf("log=%s\n", path);
	m = mock_load(control);
	s = session_new(m, 0, true, MOCK_PIN);
	/* Key generation the token does not offer is not even tried. */
	g_assert_cmpint(pkcs11_key_generate(s, CSR_ALG_GOST512, "x", &pk, id), ==,
			PKCS11_E_UNSUPPORTED);
	g_assert_cmpint(pkcs11_key_generate(s, CSR_ALG_RSA2048, "x", &pk, id), ==,
			PKCS11_E_UNSUPPORTED);
	g_assert_null(pk);
	pkcs11_session_free(s);
	pkcs11_module_free(m);
	a = log_take(path);
	g_assert_cmpstr(a, ==,
			"C_Initialize\nC_OpenSession\nC_Login\nC_Logout\nC_CloseSession\nC_Finalize\n");

	/* Not logged in: no C_Logout. The module freed first: finalised
	 * only after its last session. */
	m = mock_load(control);
	s = session_new(m, 0, false, NULL);
	pkcs11_module_free(m);
	b = log_take(path);
	g_assert_cmpstr(b, ==, "C_Initialize\nC_OpenSession\n");
	pkcs11_session_free(s);
	c = log_take(path);
	g_assert_cmpstr(c, ==, "C_CloseSession\nC_Finalize\n");
}

/* Workers on several threads: the module sees one call at a time (the
 * mock fails a listing that overlaps another). */
static gpointer lister(gpointer m)
{
	for (int i = 0; i < 25; i++) {
		struct pkcs11_token *list = NULL;
		size_t n = 0;

		if (pkcs11_module_tokens(m, &list, &n) != 0 || n != 1)
			return GINT_TO_POINTER(1);
		g_free(list);
	}
	return NULL;
}

static void test_mock_threads(void)
{
	struct pkcs11_module *m = mock_load(NULL);
	GThread *threads[4];

	for (size_t i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("lister", lister, m);
	for (size_t i = 0; i < G_N_ELEMENTS(threads); i++)
		g_assert_null(g_thread_join(threads[i]));
	pkcs11_module_free(m);
}

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	T.dir = g_dir_make_tmp("test-pkcs11-XXXXXX", NULL);
	g_assert_nonnull(T.dir);
	/* Before any thread: the environment is set once, here. */
	{
		g_autofree char *control = g_build_filename(T.dir, "p11-failing.conf", NULL);

		g_setenv("QOL_P11_CONTROL", control, TRUE);
	}
	token_setup();

	g_test_add_func("/pkcs11/module/load-errors", test_module_load_errors);
	g_test_add_func("/pkcs11/module/registered", test_module_registered);
	g_test_add_func("/pkcs11/token/list", test_tokens);
	g_test_add_func("/pkcs11/token/pin-state", test_pin_state);
	g_test_add_func("/pkcs11/keys/before-login", test_keys_before_login);
	g_test_add_func("/pkcs11/keys/after-login", test_keys_after_login);
	g_test_add_func("/pkcs11/sign/rsa-pkcs1", test_sign_rsa);
	g_test_add_func("/pkcs11/sign/rsa-pss", test_sign_rsa_pss);
	g_test_add_func("/pkcs11/sign/ecdsa", test_sign_ecdsa);
	g_test_add_func("/pkcs11/login/wrong-then-right", test_login_wrong_then_right);
	g_test_add_func("/pkcs11/session/closed", test_session_closed);
	g_test_add_func("/pkcs11/enroll/rsa", test_enroll_rsa);
	g_test_add_func("/pkcs11/enroll/gost-unsupported", test_enroll_gost_unsupported);
	g_test_add_func("/pkcs11/import/cert", test_import_cert);
	g_test_add_func("/pkcs11/failing/pin-locked", test_mock_pin_locked);
	g_test_add_func("/pkcs11/failing/removed", test_mock_removed);
	g_test_add_func("/pkcs11/failing/other-failure", test_mock_other_failure);
	g_test_add_func("/pkcs11/failing/gost", test_mock_gost);
	g_test_add_func("/pkcs11/failing/calls", test_mock_calls);
	g_test_add_func("/pkcs11/failing/threads", test_mock_threads);
	r = g_test_run();

	test_rm_rf(T.dir);
	g_free(T.dir);
	g_free(T.why);
	X509_free(T.rsa_cert);
	X509_free(T.ec_cert);
	X509_free(T.ec_nopub_cert);
	X509_free(T.ca_cert);
	EVP_PKEY_free(T.rsa);
	EVP_PKEY_free(T.ec);
	EVP_PKEY_free(T.ec_nopub);
	EVP_PKEY_free(T.ca);
	return r;
}
