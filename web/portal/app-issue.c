/* NCA's half: consent, the user agreement, the application (e-mail and
 * storage, and the subject the daemon puts into its request), the
 * request, the certificate from the test CA, the downloads, and the
 * report that the daemon installed the key. */
#include "web/portal/app-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "daemon/crypto/kzgost.h"

DEFINE_POINTER_CLEANUP(X509_free, X509)
DEFINE_POINTER_CLEANUP(X509_REQ_free, X509_REQ)
DEFINE_POINTER_CLEANUP(BIO_free, BIO)
DEFINE_POINTER_CLEANUP(GENERAL_NAMES_free, GENERAL_NAMES)

static inline void extensions_freep(STACK_OF(X509_EXTENSION) **s)
{
	sk_X509_EXTENSION_pop_free(*s, X509_EXTENSION_free);
}

#define CERT_DAYS 365
#define CERT_FILE_MAX (64 * 1024)
#define REQUEST_ID_MAX 256
#define FILE_NAME_MAX 255
#define EMAIL_MAX 254

static const char *const storages[] = {
	"PKCS12",	     "AKKaztokenStore",	  "AKKZIDCardStore", "AKEToken72KStore",
	"AKEToken5110Store", "AKJaCartaStore", "AKAKEYStore",
};

/* ---- certificate fields ---- */

char *cert_serial_hex(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	char *out = g_strdup(hex ? hex : "");

	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

void cert_time(const ASN1_TIME *t, char buf[ISO_TIME_SIZE])
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm)) {
		buf[0] = '\0';
		return;
	}
	strftime(buf, ISO_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *cert_name_entry(const X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	char *out;
	int n;

	if (i < 0)
		return NULL;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return NULL;
	out = g_strndup((const char *)utf8, (gsize)n);
	OPENSSL_free(utf8);
	return out;
}

static char *pem_of(X509 *x)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (!bio || !PEM_write_bio_X509(bio, x))
		return NULL;
	len = BIO_get_mem_data(bio, &data);
	return g_strndup(data, (gsize)len);
}

/* ---- consent and agreement ---- */

int call_consent(struct call *c)
{
	bool consent;
	int r = req_bool(c, "consent", &consent);

	if (r != 0)
		return r;
	if (!consent)
		return call_fail(c, PORTAL_E_CONSENT_REQUIRED, NULL);
	app_set_int(c->app, "consented", c->now);
	app_set_stage(c->app, STAGE_CONSENTED);
	answer_stage(c);
	return 0;
}

int call_agreement_get(struct call *c)
{
	const struct texts_agreement *t = texts_agreement(c->app->lang);
	struct json_object *list = json_object_new_array();

	for (const char *const *p = t->paragraphs; *p; p++)
		json_object_array_add(list, json_object_new_string(*p));
	answer_string(c, "version", TEXTS_AGREEMENT_VERSION);
	answer_string(c, "title", t->title);
	json_object_object_add(answer(c), "paragraphs", list);
	return 0;
}

int call_agreement(struct call *c)
{
	const char *version;
	bool accepted;
	int r;

	r = req_bool(c, "accepted", &accepted);
	if (r == 0)
		r = req_string(c, "version", &version);
	if (r != 0)
		return r;
	if (!accepted)
		return call_fail(c, PORTAL_E_CONSENT_REQUIRED, NULL);
	if (strcmp(version, TEXTS_AGREEMENT_VERSION) != 0) {
		fail_member_string(c, "version", TEXTS_AGREEMENT_VERSION);
		return call_fail(c, PORTAL_E_AGREEMENT_VERSION, NULL);
	}
	app_set_string(c->app, "agreement", version);
	app_set_stage(c->app, STAGE_AGREED);
	answer_stage(c);
	return 0;
}

/* ---- the application ---- */

/* One '@' between a local part and a domain with a dot; printable ASCII
 * an address may hold, at most 254 bytes. */
static bool email_valid(const char *e)
{
	const char *at = strchr(e, '@'), *domain;
	size_t len = strlen(e);

	if (!at || strchr(at + 1, '@') || at == e || at - e > 64 || len > EMAIL_MAX)
		return false;
	for (const char *s = e; s < at; s++)
		if (!g_ascii_isalnum(*s) && !strchr(".!#$%&'*+/=?^_`{|}~-", *s))
			return false;
	domain = at + 1;
	if (!*domain || domain[0] == '.' || domain[0] == '-' || e[len - 1] == '.' ||
	    e[len - 1] == '-' || !strchr(domain, '.') || strstr(domain, ".."))
		return false;
	for (const char *s = domain; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '.' && *s != '-')
			return false;
	return true;
}

static bool storage_known(const char *s)
{
	for (size_t i = 0; i < G_N_ELEMENTS(storages); i++)
		if (strcmp(s, storages[i]) == 0)
			return true;
	return false;
}

/* The subject NCA puts into a person's certificate: CN "SURNAME NAME",
 * SURNAME, SERIALNUMBER "IIN…", C KZ, GIVENNAME the patronymic (left out
 * when there is none), all in capitals. */
struct subject {
	char *cn, *surname, *serial, *given;
};

static void subject_make(const struct register_citizen *p, struct subject *s)
{
	g_autofree char *surname = g_utf8_strup(p->surname, -1);
	g_autofree char *name = g_utf8_strup(p->given_name, -1);

	s->cn = g_strdup_printf("%s %s", surname, name);
	s->surname = g_strdup(surname);
	s->serial = g_strdup_printf("IIN%s", p->iin);
	s->given = p->patronymic[0] ? g_utf8_strup(p->patronymic, -1) : NULL;
}

static void subject_clear(struct subject *s)
{
	g_free(s->cn);
	g_free(s->surname);
	g_free(s->serial);
	g_free(s->given);
}

int call_application(struct call *c)
{
	struct application *a = c->app;
	struct json_object *csr, *subject;
	struct subject s;
	const char *email, *storage;
	int r;

	r = req_string(c, "email", &email);
	if (r == 0)
		r = req_string(c, "storage", &storage);
	if (r != 0)
		return r;
	if (!email_valid(email))
		return call_fail(c, PORTAL_E_EMAIL_INVALID, NULL);
	if (!storage_known(storage))
		return call_fail(c, PORTAL_E_STORAGE_INVALID, NULL);
	app_set_string(a, "email", email);
	app_set_string(a, "storage", storage);
	app_set_stage(a, STAGE_APPLIED);

	subject_make(a->citizen, &s);
	subject = json_object_new_object();
	json_set_string(subject, "CN", s.cn);
	json_set_string(subject, "SURNAME", s.surname);
	json_set_string(subject, "SERIALNUMBER", s.serial);
	json_set_string(subject, "C", "KZ");
	if (s.given)
		json_set_string(subject, "GIVENNAME", s.given);
	json_set_string(subject, "E", email);
	subject_clear(&s);
	csr = json_object_new_object();
	json_set_string(csr, "storage", storage);
	json_set_string(csr, "algorithm", "GOST512");
	json_set_string(csr, "purpose", "both");
	json_object_object_add(csr, "subject", subject);
	answer_stage(c);
	json_object_object_add(answer(c), "csr", csr);
	return 0;
}

/* ---- the request ---- */

static int csr_fail(struct call *c, enum portal_error e, const char *reason)
{
	fail_member_string(c, "reason", reason);
	return call_fail(c, e, NULL);
}

static bool req_is_gost(X509_REQ *req)
{
	ASN1_OBJECT *alg = NULL;
	char oid[64];

	if (!X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, X509_REQ_get_X509_PUBKEY(req)) ||
	    OBJ_obj2txt(oid, sizeof(oid), alg, 1) <= 0)
		return false;
	return strcmp(oid, KZGOST_OID_KEY_512) == 0;
}

/* The request's subject holds exactly the application's attributes
 * (in any order). */
static bool subject_matches(X509_REQ *req, const struct register_citizen *p)
{
	const X509_NAME *name = X509_REQ_get_subject_name(req);
	struct subject s;
	const struct {
		int nid;
		const char *value;
	} want[] = {
		{ NID_commonName, NULL },   { NID_surname, NULL },	{ NID_serialNumber, NULL },
		{ NID_countryName, "KZ" }, { NID_givenName, NULL },
	};
	const char *values[G_N_ELEMENTS(want)];
	size_t n_want = 0;
	bool ok = true;

	subject_make(p, &s);
	values[0] = s.cn;
	values[1] = s.surname;
	values[2] = s.serial;
	values[3] = want[3].value;
	values[4] = s.given;
	for (size_t i = 0; i < G_N_ELEMENTS(want) && ok; i++) {
		g_autofree char *got = cert_name_entry(name, want[i].nid);

		if (!values[i]) {
			ok = !got;
			continue;
		}
		n_want++;
		ok = got && strcmp(got, values[i]) == 0;
	}
	subject_clear(&s);
	return ok && (size_t)X509_NAME_entry_count(name) == n_want;
}

static bool email_matches(X509_REQ *req, const char *email)
{
	_cleanup_(extensions_freep) STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	_cleanup_(GENERAL_NAMES_freep) GENERAL_NAMES *names = NULL;

	names = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		int len;

		if (gn->type != GEN_EMAIL)
			continue;
		len = ASN1_STRING_length(gn->d.rfc822Name);
		if ((size_t)len == strlen(email) &&
		    g_ascii_strncasecmp((const char *)ASN1_STRING_get0_data(gn->d.rfc822Name),
					email, (gsize)len) == 0)
			return true;
	}
	return false;
}

static X509_REQ *req_parse(const char *pem)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, -1);
	X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;

	ERR_clear_error();
	return req;
}

int call_request(struct call *c)
{
	_cleanup_(X509_REQ_freep) X509_REQ *req = NULL;
	struct application *a = c->app;
	const char *pem, *request_id;
	EVP_PKEY *key;
	bool gost, ok;
	int r;

	r = req_string(c, "csr", &pem);
	if (r == 0)
		r = req_string(c, "requestId", &request_id);
	if (r != 0)
		return r;
	if (!request_id[0] || strlen(request_id) > REQUEST_ID_MAX)
		return call_fail(c, PORTAL_E_BAD_REQUEST, "requestId is empty or too long.");
	if (strlen(pem) > TESTCA_REQUEST_MAX)
		return csr_fail(c, PORTAL_E_CSR_INVALID, "the request is larger than 64 KiB");
	req = req_parse(pem);
	if (!req)
		return csr_fail(c, PORTAL_E_CSR_INVALID,
				"the text is not a PEM CERTIFICATE REQUEST");
	gost = req_is_gost(req);
	if (gost) {
		r = kzgost_x509_req_verify(req);
		if (r == KZGOST_E_NO_STREEBOG || r < 0)
			return call_internal(c, r < 0 ? r : -ENOTSUP,
					     "cannot check a GOST request");
		ok = r == 0;
	} else {
		key = X509_REQ_get0_pubkey(req);
		ok = key && X509_REQ_verify(req, key) == 1;
		ERR_clear_error();
	}
	if (!ok)
		return csr_fail(c, PORTAL_E_CSR_INVALID,
				"the request's self-signature does not verify");
	if (!gost)
		return csr_fail(c, PORTAL_E_CSR_MISMATCH, "the key is not GOST 34.10-2015 512");
	if (!subject_matches(req, a->citizen))
		return csr_fail(c, PORTAL_E_CSR_MISMATCH, "the subject is not the application's");
	if (!email_matches(req, json_get_string(a->j, "email")))
		return csr_fail(c, PORTAL_E_CSR_MISMATCH,
				"the e-mail address is not the application's");
	r = store_put(c->p->store, a->dir, "request.csr", pem, strlen(pem));
	if (r < 0)
		return call_internal(c, r, "cannot write the request");
	app_set_string(a, "requestId", request_id);
	app_set_int(a, "requested", c->now);
	app_set_stage(a, STAGE_REQUESTED);
	answer_stage(c);
	answer_int(c, "readyIn", c->p->o.issue_delay);
	return 0;
}

/* ---- the certificate ---- */

static int cert_load(struct call *c, X509 **ret)
{
	g_autofree char *pem = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	int r;

	r = store_get(c->p->store, c->app->dir, "certificate.pem", CERT_FILE_MAX, &pem, NULL);
	if (r < 0)
		return call_internal(c, r, "cannot read the certificate");
	bio = BIO_new_mem_buf(pem, -1);
	*ret = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (!*ret)
		return call_internal(c, -EBADMSG, "the stored certificate does not parse");
	return 0;
}

static int issue(struct call *c)
{
	_cleanup_(X509_REQ_freep) X509_REQ *req = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	const struct testca_options o = {
		.purpose = TESTCA_PURPOSE_BOTH,
		.not_before = c->now,
		.days = CERT_DAYS,
	};
	struct application *a = c->app;
	g_autofree char *csr = NULL, *pem = NULL, *serial = NULL;
	const ASN1_OCTET_STRING *ski;
	char not_before[ISO_TIME_SIZE], not_after[ISO_TIME_SIZE];
	struct json_object *info;
	const char *why = NULL;
	int r;

	r = store_get(c->p->store, a->dir, "request.csr", TESTCA_REQUEST_MAX, &csr, NULL);
	if (r < 0)
		return call_internal(c, r, "cannot read the request");
	req = req_parse(csr);
	if (!req)
		return call_internal(c, -EBADMSG, "the stored request does not parse");
	r = testca_issue(c->p->ca, req, &o, &cert, &why);
	if (r != 0) {
		g_free(c->log);
		c->log = g_strdup_printf("the test CA did not issue: %s",
					 why ? why : r < 0 ? g_strerror(-r) : "failed");
		return r < 0 ? r : -EIO;
	}
	pem = pem_of(cert);
	ski = X509_get0_subject_key_id(cert);
	if (!pem || !ski)
		return call_internal(c, -EIO, "cannot encode the certificate");
	r = store_put(c->p->store, a->dir, "certificate.pem", pem, strlen(pem));
	if (r < 0)
		return call_internal(c, r, "cannot write the certificate");

	serial = cert_serial_hex(cert);
	cert_time(X509_get0_notBefore(cert), not_before);
	cert_time(X509_get0_notAfter(cert), not_after);
	info = json_object_new_object();
	json_set_string(info, "serial", serial);
	json_set_string(info, "notBefore", not_before);
	json_set_string(info, "notAfter", not_after);
	{
		g_autofree char *key_id = g_malloc(2 * (size_t)ASN1_STRING_length(ski) + 1);

		for (int i = 0; i < ASN1_STRING_length(ski); i++)
			sprintf(key_id + 2 * i, "%02x", ASN1_STRING_get0_data(ski)[i]);
		json_set_string(info, "keyId", key_id);
	}
	app_set(a, "certificate", info);
	app_set_stage(a, STAGE_ISSUED);
	return sms_send(c, TEXTS_SMS_ISSUED, NULL);
}

int call_certificate(struct call *c)
{
	struct application *a = c->app;
	_cleanup_(X509_freep) X509 *cert = NULL;
	g_autofree char *pem = NULL, *root = NULL;
	struct json_object *info, *chain;
	int r;

	if (!json_object_object_get_ex(a->j, "certificate", &info)) {
		int64_t left = json_get_int(a->j, "requested") + c->p->o.issue_delay - c->now;

		if (left > 0) {
			answer_string(c, "status", "processing");
			answer_int(c, "readyIn", left);
			return 0;
		}
		r = issue(c);
		if (r != 0)
			return r;
		json_object_object_get_ex(a->j, "certificate", &info);
	}
	r = cert_load(c, &cert);
	if (r < 0)
		return r;
	pem = pem_of(cert);
	root = pem_of(testca_root(c->p->ca, CSR_ALG_GOST512));
	if (!pem || !root)
		return call_internal(c, -ENOMEM, "cannot encode the certificates");
	chain = json_object_new_array();
	json_object_array_add(chain, json_object_new_string(root));
	answer_string(c, "status", "issued");
	answer_stage(c);
	answer_string(c, "certificate", pem);
	json_object_object_add(answer(c), "chain", chain);
	answer_string(c, "serial", json_get_string(info, "serial"));
	answer_string(c, "notBefore", json_get_string(info, "notBefore"));
	answer_string(c, "notAfter", json_get_string(info, "notAfter"));
	return 0;
}

static int download(struct call *c, X509 *x, const char *name)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	if (len <= 0)
		return call_internal(c, -EIO, "cannot encode a certificate");
	c->reply->status = 200;
	c->reply->body = g_memdup2(der, (gsize)len);
	c->reply->body_len = (size_t)len;
	c->reply->content_type = "application/pkix-cert";
	c->reply->attachment = g_strdup(name);
	OPENSSL_free(der);
	return 0;
}

int call_file_certificate(struct call *c)
{
	_cleanup_(X509_freep) X509 *cert = NULL;
	int r = cert_load(c, &cert);

	return r < 0 ? r : download(c, cert, "certificate.cer");
}

int call_file_ca(struct call *c)
{
	return download(c, testca_root(c->p->ca, CSR_ALG_GOST512), "ca.cer");
}

int call_installed(struct call *c)
{
	struct application *a = c->app;
	struct json_object *cert, *installed;
	const char *file_name, *key_id, *want;
	int r;

	r = req_string(c, "fileName", &file_name);
	if (r == 0)
		r = req_string(c, "keyId", &key_id);
	if (r != 0)
		return r;
	if (strlen(file_name) > FILE_NAME_MAX)
		return call_fail(c, PORTAL_E_BAD_REQUEST, "fileName is longer than 255 bytes.");
	json_object_object_get_ex(a->j, "certificate", &cert);
	want = json_get_string(cert, "keyId");
	if (!want || g_ascii_strcasecmp(want, key_id) != 0)
		return csr_fail(c, PORTAL_E_CSR_MISMATCH,
				"keyId is not the certificate's subject key identifier");
	installed = json_object_new_object();
	json_set_string(installed, "fileName", file_name);
	json_set_string(installed, "keyId", want);
	json_set_int(installed, "time", c->now);
	app_set(a, "installed", installed);
	app_set_stage(a, STAGE_INSTALLED);
	answer_stage(c);
	return 0;
}
