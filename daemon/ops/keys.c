/* Choosing and opening the user's key for a request, and the small
 * helpers every signing method needs. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "daemon/ops/tokens.h"
#include "daemon/ops/work.h"
#include "util/log.h"

/* How often a password may be wrong before the request fails. */
#define PASSWORD_TRIES 3
/* Documents listed one by one in the password prompt. */
#define DESCRIBE_MAX 3

/* The storage type names NCALayer knows (DESIGN.md). */
static const char *const token_storages[] = {
	"AKKaztokenStore", "AKKZIDCardStore",   "AKEToken72KStore", "AKEToken5110Store",
	"AKJaCartaStore",  "AKAKEYStore",	"AKJavaCardStore",  NULL,
};

void ops_docs_clear(struct ops_docs *docs)
{
	for (size_t i = 0; i < docs->n; i++) {
		if (docs->v[i].owned)
			OPENSSL_cleanse(docs->v[i].owned, docs->v[i].len);
		g_free(docs->v[i].owned);
	}
	g_free(docs->v);
	*docs = (struct ops_docs){ 0 };
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool ops_base64_decode(const char *s, uint8_t **ret, size_t *ret_len)
{
	size_t len = strlen(s), n = 0, pad = 0, out = 0;
	uint8_t *buf;
	uint32_t acc = 0;

	buf = g_malloc(len / 4 * 3 + 3);
	for (const char *c = s; *c; c++) {
		int v;

		if (*c == '\r' || *c == '\n' || *c == ' ' || *c == '\t')
			continue;
		if (*c == '=') {
			/* Padding only at the end of a quantum, at most two. */
			if (pad >= 2 || n % 4 < 2)
				goto bad;
			pad++;
			v = 0;
		} else {
			v = b64_value(*c);
			if (v < 0 || pad > 0)
				goto bad;
		}
		acc = acc << 6 | (uint32_t)v;
		n++;
		if (n % 4 == 0) {
			buf[out++] = (uint8_t)(acc >> 16);
			buf[out++] = (uint8_t)(acc >> 8);
			buf[out++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (n % 4 != 0)
		goto bad;
	out -= pad;
	*ret = buf;
	*ret_len = out;
	return true;
bad:
	g_free(buf);
	return false;
}

/* The name of the first element of an XML text, for the prompt: enough
 * to tell an application from a contract without parsing. */
static char *xml_first_element(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		size_t start, end;

		if (data[i] != '<' || data[i + 1] == '?' || data[i + 1] == '!' || data[i + 1] == '/')
			continue;
		start = i + 1;
		for (end = start; end < len && end - start < 64; end++)
			if (data[end] == '>' || data[end] == ' ' || data[end] == '/' ||
			    data[end] == '\t' || data[end] == '\r' || data[end] == '\n')
				break;
		if (end == start || !g_utf8_validate((const char *)data + start, (gssize)(end - start), NULL))
			return NULL;
		return g_strndup((const char *)data + start, end - start);
	}
	return NULL;
}

char *ops_describe_docs(const struct ops_docs *docs, bool digests, bool xml)
{
	GString *s = g_string_new(NULL);
	size_t total = 0;

	for (size_t i = 0; i < docs->n; i++)
		total += docs->v[i].len;
	for (size_t i = 0; i < docs->n && i < DESCRIBE_MAX; i++) {
		const struct ops_doc *d = &docs->v[i];
		uint8_t md[SIGNER_DIGEST_MAX];
		size_t md_len = 0;
		g_autofree char *element = xml ? xml_first_element(d->data, d->len) : NULL;

		g_string_append_printf(s, "• %zu B", d->len);
		if (digests) {
			g_string_append(s, ", digest ");
			for (size_t k = 0; k < d->len && k < 8; k++)
				g_string_append_printf(s, "%02x", d->data[k]);
			g_string_append(s, "…");
		} else if (signer_digest(SIGNER_ALG_RSA_SHA256, d->data, d->len, md, &md_len) == 0) {
			g_string_append(s, ", SHA-256 ");
			for (size_t k = 0; k < 8; k++)
				g_string_append_printf(s, "%02x", md[k]);
			g_string_append(s, "…");
		}
		if (element)
			g_string_append_printf(s, ", <%s>", element);
		g_string_append_c(s, '\n');
	}
	if (docs->n > DESCRIBE_MAX)
		g_string_append_printf(s, "• … %zu documents, %zu B in all\n", docs->n, total);
	return g_string_free(s, FALSE);
}

char *ops_check_storage(const struct config *cfg, const struct proto_request *req,
			const char *storage)
{
	if (!storage || !*storage)
		return proto_reply_error(req, PROTO_ERROR_STORAGE_NAME_EMPTY, NULL);
	if (strcmp(storage, "PKCS12") == 0)
		return NULL;
	if (strcmp(storage, "JKS") == 0)
		return proto_reply_error(req, PROTO_ERROR_STORAGE_EMPTY,
					 "JKS key stores are not supported: use a PKCS#12 file");
	for (const char *const *t = token_storages; *t; t++) {
		if (strcmp(storage, *t) != 0)
			continue;
		if (ops_token_has_source(cfg, storage))
			return NULL;
		return proto_reply_error(req, PROTO_ERROR_STORAGE_EMPTY,
					 "no token of this type is connected");
	}
	return proto_reply_error(req, PROTO_ERROR_STORAGE_UNKNOWN, storage);
}

struct ops_key *ops_key_free(struct ops_key *key)
{
	if (!key)
		return NULL;
	pkcs12_key_free(key->p12);
	/* The key borrows its session: the key first, then the session
	 * (C_Logout, C_CloseSession). */
	pkcs11_key_free(key->p11);
	pkcs11_session_free(key->session);
	g_free(key->token);
	g_free(key);
	return NULL;
}

char *ops_key_sign_error(struct ops_work *w, const struct ops_key *key)
{
	if (!key->p11)
		return NULL;
	switch (key->p11->sign_error) {
	case PKCS11_E_REMOVED:
		log_notice("%s: the token %s was removed while signing",
			   w->origin ? w->origin : "(no origin)", key->token);
		return proto_reply_error(w->req, PROTO_ERROR_TOKEN_REMOVED, key->token);
	case PKCS11_E_LOGIN_REQUIRED:
		log_notice("%s: the token %s logged out while signing",
			   w->origin ? w->origin : "(no origin)", key->token);
		return proto_reply_error(w->req, PROTO_ERROR_SIGNING_FAILED,
					 "the token ended the login");
	default:
		return NULL;
	}
}

char *ops_filter_from_config(struct ops_work *w, struct keyfilter *f)
{
	const struct config *cfg = w->env->cfg;
	const char *bad = NULL;
	g_autofree char *why = NULL;
	int r;

	f->now = (time_t)cfg->validity_time;
	if (!f->cas) {
		r = keyfilter_load_certs((const char *const *)cfg->ca_certs, &f->cas, &bad);
		if (r < 0) {
			log_error("[keys] ca-certs: %s: %s", bad,
				  r == -EINVAL ? "not a certificate" : g_strerror(-r));
			why = g_strdup_printf("the configured CA certificate %s cannot be read", bad);
			return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, why);
		}
	}
	r = keyfilter_load_crls((const char *const *)cfg->crls, &f->crls, &bad);
	if (r < 0) {
		log_error("[keys] crl: %s: %s", bad, r == -EINVAL ? "not a CRL" : g_strerror(-r));
		why = g_strdup_printf("the configured CRL %s cannot be read", bad);
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, why);
	}
	return NULL;
}

void ops_filter_clear(struct keyfilter *f)
{
	sk_X509_pop_free(f->cas, X509_free);
	sk_X509_CRL_pop_free(f->crls, X509_CRL_free);
	f->cas = NULL;
	f->crls = NULL;
}

char *ops_prompt_error(struct ops_work *w, int r, const char *message)
{
	switch (r) {
	case PROMPTER_E_CANCELLED:
		return proto_reply_error(w->req, PROTO_ERROR_CANCELLED, NULL);
	case PROMPTER_E_NO_FILES:
		return proto_reply_error(w->req, PROTO_ERROR_FILE_NOT_FOUND, message);
	case PROMPTER_E_REFUSED:
		return proto_reply_error(w->req, PROTO_ERROR_PASSWORD_WEAK, message);
	case PROMPTER_E_UI:
		log_error("cannot ask the user: %s", message ? message : "pinentry failed");
		return proto_reply_error(w->req, PROTO_ERROR_UI_UNAVAILABLE, message);
	default:
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	}
}

/* Read the chosen file once: it is parsed before the password is asked
 * (a damaged file is reported without making the user type), and every
 * try reads the same bytes. */
static char *read_key_file(struct ops_work *w, const char *path, GBytes **ret)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;
	const unsigned char *p;
	PKCS12 *p12;

	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) ||
	    !g_file_get_contents(path, &data, &len, &error))
		return proto_reply_error(w->req, PROTO_ERROR_FILE_NOT_FOUND, path);
	if (len > PKCS12_MAX_FILE)
		return proto_reply_error(w->req, PROTO_ERROR_KEYSTORE_CORRUPT, path);
	p = (const unsigned char *)data;
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	ERR_clear_error();
	if (!p12)
		return proto_reply_error(w->req, PROTO_ERROR_KEYSTORE_CORRUPT, path);
	PKCS12_free(p12);
	*ret = g_bytes_new_take(g_steal_pointer(&data), len);
	return NULL;
}

static char *open_file_key(struct ops_work *w, struct prompter *p, const char *purpose,
			   const char *content, const struct keyfilter *f,
			   struct pkcs12_key **ret_key)
{
	g_autofree char *path = NULL, *message = NULL, *description = NULL, *base = NULL;
	g_autofree char *error = NULL;
	g_autoptr(GBytes) bytes = NULL;
	struct pkcs12_key *key = NULL;
	enum keyfilter_miss miss;
	char *reply;
	int r;

	r = prompter_choose_key_file(p, purpose, &path, &message);
	if (r != 0)
		return ops_prompt_error(w, r, message);
	reply = read_key_file(w, path, &bytes);
	if (reply)
		return reply;

	base = g_path_get_basename(path);
	description = g_strdup_printf(
		prompter_text(p, "%s asks you to %s:\n%s\nKey file: %s\nEnter the key's password."),
		w->origin ? w->origin : prompter_text(p, "a local program"), purpose,
		content ? content : "", base);

	for (unsigned tries = 0;; tries++) {
		char *secret = NULL;
		gsize len;
		const void *der = g_bytes_get_data(bytes, &len);

		g_clear_pointer(&message, g_free);
		r = prompter_password(p, description, error, &secret, &message);
		if (r != 0)
			return ops_prompt_error(w, r, message);
		r = pkcs12_key_load_mem(der, len, secret, &key);
		prompter_secret_free(secret);
		if (r != PKCS12_E_BAD_PASSWORD)
			break;
		if (tries + 1 >= PASSWORD_TRIES) {
			log_notice("%s: wrong password for %s, %u times", p ? prompter_title(p) : "",
				   base, PASSWORD_TRIES);
			return proto_reply_error(w->req, PROTO_ERROR_PASSWORD_WRONG, base);
		}
		g_free(error);
		error = g_strdup_printf(prompter_text(p, "Wrong password. Tries left: %u."),
					PASSWORD_TRIES - tries - 1);
	}
	switch (r) {
	case 0:
		break;
	case PKCS12_E_UNSUPPORTED:
		return proto_reply_error(w->req, PROTO_ERROR_KEY_UNSUPPORTED, base);
	case PKCS12_E_NOT_FOUND:
		return proto_reply_error(w->req, PROTO_ERROR_FILE_NOT_FOUND, path);
	case PKCS12_E_CORRUPT:
	case PKCS12_E_TOO_LARGE:
		return proto_reply_error(w->req, PROTO_ERROR_KEYSTORE_CORRUPT, path);
	default:
		log_error("cannot load %s: %s", base, r < 0 ? g_strerror(-r) : "failed");
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	}

	if (f) {
		miss = keyfilter_check(f, key->cert, key->chain);
		if (miss != KEYFILTER_OK) {
			log_notice("%s: key %s refused: %s", prompter_title(p), base,
				   keyfilter_miss_text(miss));
			pkcs12_key_free(key);
			return proto_reply_error(w->req, PROTO_ERROR_KEY_MISMATCH,
						 keyfilter_miss_text(miss));
		}
	}
	*ret_key = key;
	return NULL;
}

char *ops_open_key(struct ops_work *w, struct prompter *p, const char *storage,
		   const char *purpose, const char *content, const struct keyfilter *f,
		   struct ops_key **ret_key)
{
	struct pkcs12_key *p12 = NULL;
	struct ops_key *key;
	char *reply;

	if (storage && strcmp(storage, "PKCS12") != 0)
		return ops_open_token_key(w, p, storage, purpose, content, f, ret_key);
	reply = open_file_key(w, p, purpose, content, f, &p12);
	if (reply)
		return reply;
	key = g_new0(struct ops_key, 1);
	key->p12 = p12;
	key->alias = p12->alias;
	key->cert = p12->cert;
	key->chain = p12->chain;
	if (pkcs12_key_signer(p12, &key->signer) != 0) {
		ops_key_free(key);
		return proto_reply_error(w->req, PROTO_ERROR_KEY_UNSUPPORTED, p12->alias);
	}
	*ret_key = key;
	return NULL;
}

X509 *ops_certificate_parse(const char *text)
{
	g_autofree uint8_t *der = NULL;
	const unsigned char *p;
	size_t len;
	X509 *x;

	if (strlen(text) > OPS_CERT_TEXT_MAX)
		return NULL;
	if (strstr(text, "-----BEGIN")) {
		STACK_OF(X509) *one = NULL;
		size_t bad;

		if (keyfilter_parse_pems(&text, 1, &one, &bad) < 0)
			return NULL;
		x = sk_X509_num(one) == 1 ? sk_X509_shift(one) : NULL;
		sk_X509_pop_free(one, X509_free);
		return x;
	}
	if (!ops_base64_decode(text, &der, &len) || len > LONG_MAX)
		return NULL;
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len)
		x = (X509_free(x), NULL);
	return x;
}

/* The certificate's key id as NCA names files after it: its Subject Key
 * Identifier in lowercase hex, or ours when it has none. */
char *ops_cert_key_id(X509 *cert, const char *fallback)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
	GString *s;

	if (!ski || ASN1_STRING_length(ski) <= 0 || ASN1_STRING_length(ski) > 64)
		return g_strdup(fallback);
	s = g_string_new(NULL);
	for (int i = 0; i < ASN1_STRING_length(ski); i++)
		g_string_append_printf(s, "%02x", ASN1_STRING_get0_data(ski)[i]);
	return g_string_free(s, FALSE);
}

char *ops_cert_time_text(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return g_strdup("?");
	return g_strdup_printf("%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

char *ops_cert_common_name(X509 *cert)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	char *s;

	if (i < 0 || ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
						       X509_NAME_get_entry(name, i))) < 0)
		return g_strdup("?");
	s = g_strdup((const char *)utf8);
	OPENSSL_free(utf8);
	return s;
}
