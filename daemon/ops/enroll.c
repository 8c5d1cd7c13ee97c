/* Remote key issuance, the local half of NCA's "Submit a request",
 * "Refresh" and "Download certificates" (kz.gov.pki.knca.basics
 * generateCsr, listRequests, cancelRequest, importCertificate; our
 * extension, PROTOCOL.md "Remote key issuance").
 *
 * generateCsr makes the key pair and the PKCS#10 request and keeps the
 * private key as a pending request under $XDG_STATE_HOME/qoltanba/pending
 * (keystore/pending.h), so that a restart, a crash or a closed tab loses
 * nothing. importCertificate checks the issued certificate against that
 * key, asks the user for the new file's password, writes the key file the
 * way NCA names and packs it, loads it back, and only then destroys the
 * pending key. A page sees and touches only the requests it made itself.
 *
 * For a token storage the key pair is made on the token and the pending
 * request only says where it is; importCertificate stores the
 * certificate next to it (token-enroll.c).
 *
 * Everything here runs on a worker thread (ops_method_needs_worker()). */
#include <errno.h>
#include <json-c/json.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <unistd.h>

#include "daemon/crypto/csr.h"
#include "daemon/keystore/pending.h"
#include "daemon/ops/work.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/safefile.h"

/* A page may keep this many requests pending at once. */
#define PENDING_PER_ORIGIN_MAX 16
/* A certificate or chain entry larger than this is not a certificate. */

DEFINE_POINTER_CLEANUP(prompter_free, struct prompter)
DEFINE_POINTER_CLEANUP(csr_key_free, struct csr_key)
DEFINE_POINTER_CLEANUP(pending_request_free, struct pending_request)
DEFINE_POINTER_CLEANUP(pkcs12_key_free, struct pkcs12_key)
DEFINE_POINTER_CLEANUP(X509_free, X509)
DEFINE_POINTER_CLEANUP(PKCS8_PRIV_KEY_INFO_free, PKCS8_PRIV_KEY_INFO)
DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)

static const char *const algorithm_names[] = {
	[PROTO_KEY_ALG_GOST512] = "GOST512",
	[PROTO_KEY_ALG_RSA2048] = "RSA2048",
};
static const char *const purpose_names[] = {
	[PROTO_KEY_PURPOSE_SIGN] = "sign",
	[PROTO_KEY_PURPOSE_AUTH] = "auth",
	[PROTO_KEY_PURPOSE_BOTH] = "both",
};

char *ops_enroll_pending_dir(const struct config *cfg)
{
	return g_build_filename(cfg->state_dir, "pending", NULL);
}

static char *pending_dir(const struct ops_work *w)
{
	return ops_enroll_pending_dir(w->env->cfg);
}

/* Milliseconds since the epoch; [testing] validity-time stands in for now. */
static long long now_ms(const struct ops_work *w)
{
	if (w->env->cfg->validity_time)
		return w->env->cfg->validity_time * 1000;
	return g_get_real_time() / 1000;
}

/* Requests are the origin's own: a page without an Origin header (a local
 * program) has its own space too. */
static bool same_origin(const struct ops_work *w, const struct pending_request *r)
{
	return g_strcmp0(w->origin, r->origin) == 0;
}

/* The key file NCA would write for this key: GOST512_<id>.p12,
 * RSA256_<id>.p12 or AUTH_RSA256_<id>.p12. */
static char *key_file_name(const char *algorithm, const char *purpose, const char *key_id)
{
	if (strcmp(algorithm, "GOST512") == 0)
		return g_strdup_printf("GOST512_%s.p12", key_id);
	if (strcmp(purpose, "auth") == 0)
		return g_strdup_printf("AUTH_RSA256_%s.p12", key_id);
	return g_strdup_printf("RSA256_%s.p12", key_id);
}

/* A folder new key files can go to: absolute, an existing directory we
 * may write into. NULL, or why not (g_free). */
static char *folder_problem(const char *folder)
{
	if (!g_path_is_absolute(folder))
		return g_strdup_printf("%s: not an absolute path", folder);
	if (!g_file_test(folder, G_FILE_TEST_IS_DIR))
		return g_strdup_printf("%s: no such folder", folder);
	if (access(folder, W_OK | X_OK) != 0)
		return g_strdup_printf("%s: %s", folder, g_strerror(errno));
	return NULL;
}

/* --- generateCsr ------------------------------------------------------- */

static const char *subject_text(const struct proto_subject *s, GString *out)
{
	const struct {
		const char *name, *value;
	} rdns[] = {
		{ "CN", s->cn },	  { "SURNAME", s->surname }, { "SERIALNUMBER", s->serialnumber },
		{ "C", s->c ? s->c : "KZ" }, { "O", s->o },	    { "OU", s->ou },
		{ "GIVENNAME", s->givenname }, { "E", s->e },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rdns); i++) {
		if (!rdns[i].value)
			continue;
		g_string_append_printf(out, "%s%s=%s", out->len ? ", " : "", rdns[i].name,
				       rdns[i].value);
	}
	return out->str;
}

/* How many requests this page keeps pending; -errno on a listing error. */
static int count_pending(const struct ops_work *w, const char *dir)
{
	struct pending_request **v = NULL;
	size_t n = 0;
	int count = 0;
	int r = pending_list(dir, &v, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		count += same_origin(w, v[i]);
	pending_list_free(v, n);
	return count;
}

static struct csr_subject csr_subject_of(const struct proto_subject *s)
{
	return (struct csr_subject){
		.common_name = s->cn,
		.surname = s->surname,
		.serial_number = s->serialnumber,
		.country = s->c,
		.given_name = s->givenname,
		.organization = s->o,
		.org_unit = s->ou,
		.email = s->e,
	};
}

static struct json_object *request_json(const struct ops_work *w,
				       const struct pending_request *r);

/* generateCsr's answer: the request as listRequests shows it, and the
 * PKCS#10 PEM. */
static char *csr_reply(struct ops_work *w, const struct pending_request *pr)
{
	_cleanup_(json_object_putp) struct json_object *o = request_json(w, pr);

	json_object_object_add(o, "csr", json_object_new_string(pr->csr_pem));
	return proto_reply_invoker_ok(w->req, o);
}

/* The key on the token and the request, kept pending. */
static char *make_token_request(struct ops_work *w, struct prompter *p,
				const struct proto_csr_args *a)
{
	const struct csr_subject subject = csr_subject_of(&a->subject);
	g_autofree char *dir = pending_dir(w);
	g_autoptr(GString) dn = g_string_new(NULL);
	struct pending_request pr = {
		.origin = w->origin,
		.storage = (char *)a->storage,
		.algorithm = (char *)algorithm_names[a->algorithm],
		.purpose = (char *)purpose_names[a->purpose],
		.subject = (char *)subject_text(&a->subject, dn),
		.created_ms = now_ms(w),
	};
	char *reply;

	pr.expires_ms = pr.created_ms + (long long)w->env->cfg->pending_days * 86400000LL;
	reply = ops_token_enroll_generate(w, p, a, &subject, dir, &pr);
	if (reply)
		return reply;
	reply = csr_reply(w, &pr);
	free(pr.csr_pem);
	g_free(pr.key_id);
	pending_token_free(pr.token);
	return reply;
}

/* Make the key and the request, keep them pending. */
static char *make_request(struct ops_work *w, const struct proto_csr_args *a, const char *folder)
{
	const struct csr_subject subject = csr_subject_of(&a->subject);
	_cleanup_(csr_key_freep) struct csr_key *key = NULL;
	_cleanup_(PKCS8_PRIV_KEY_INFO_freep) PKCS8_PRIV_KEY_INFO *p8 = NULL;
	g_autofree char *dir = pending_dir(w), *detail = NULL;
	g_autoptr(GString) dn = g_string_new(NULL);
	struct pending_request pr = {
		.origin = w->origin,
		.storage = (char *)a->storage,
		.algorithm = (char *)algorithm_names[a->algorithm],
		.purpose = (char *)purpose_names[a->purpose],
		.folder = (char *)folder,
		.subject = (char *)subject_text(&a->subject, dn),
		.created_ms = now_ms(w),
	};
	char key_id[41];
	unsigned char *der = NULL;
	char *reply = NULL;
	int len, r;

	pr.expires_ms = pr.created_ms + (long long)w->env->cfg->pending_days * 86400000LL;
	r = csr_key_generate(a->algorithm == PROTO_KEY_ALG_GOST512 ? CSR_ALG_GOST512
								   : CSR_ALG_RSA2048,
			     &key);
	if (r == 0)
		r = csr_key_id(key, key_id);
	if (r == 0)
		r = csr_build(key, &subject, CSR_STORAGE_OID_PKCS12, &pr.csr_pem);
	if (r == 0)
		r = csr_key_to_pkcs8(key, &p8);
	if (r != 0) {
		log_error("generateCsr: making the key or the request failed (%d)", r);
		return proto_reply_error(w->req, PROTO_ERROR_KEYGEN_FAILED,
					 "the key pair or the request could not be made");
	}
	len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	if (len <= 0) {
		free(pr.csr_pem);
		return proto_reply_error(w->req, PROTO_ERROR_KEYGEN_FAILED, "encoding the key");
	}
	pr.key_der = der;
	pr.key_len = (size_t)len;
	pr.key_id = key_id;
	r = pending_new_id(pr.id);
	if (r == 0)
		r = pending_save(dir, &pr);
	OPENSSL_clear_free(der, (size_t)len);
	if (r != 0) {
		log_error("generateCsr: keeping the pending key in %s: %s", dir,
			  r < 0 ? g_strerror(-r) : "failed");
		detail = g_strdup_printf("the pending key cannot be kept in %s: %s", dir,
					 r < 0 ? g_strerror(-r) : "failed");
		free(pr.csr_pem);
		return proto_reply_error(w->req, PROTO_ERROR_KEYGEN_FAILED, detail);
	}
	log_info("generateCsr: request %s for %s, key %s (%s), folder %s", pr.id,
		 w->origin ? w->origin : "a local program", key_id, pr.algorithm, folder);
	reply = csr_reply(w, &pr);
	free(pr.csr_pem);
	return reply;
}

static char *work_generate_csr(struct ops_work *w)
{
	struct proto_csr_args a;
	const char *why = NULL;
	g_autofree char *folder = NULL, *problem = NULL, *message = NULL, *detail = NULL;
	g_autofree char *dir = pending_dir(w);
	_cleanup_(prompter_freep) struct prompter *p = NULL;
	char *reply;
	int r;

	if (proto_csr_args_get(w->req, &a) < 0)
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	reply = ops_check_storage(w->env->cfg, w->req, a.storage);
	if (reply)
		return reply;
	{
		const struct csr_subject subject = csr_subject_of(&a.subject);

		if (csr_subject_check(&subject, &why) != 0)
			return proto_reply_error(w->req, PROTO_ERROR_ENROLL_INVALID, why);
	}
	if (a.algorithm == PROTO_KEY_ALG_RSA2048 && a.purpose == PROTO_KEY_PURPOSE_BOTH)
		return proto_reply_error(w->req, PROTO_ERROR_ENROLL_INVALID,
					 "an RSA key serves one purpose: ask for a sign key and "
					 "an auth key separately");
	r = count_pending(w, dir);
	if (r >= PENDING_PER_ORIGIN_MAX) {
		detail = g_strdup_printf("this page has %d key requests pending already: cancel "
					 "some first",
					 r);
		return proto_reply_error(w->req, PROTO_ERROR_ENROLL_INVALID, detail);
	}

	if (strcmp(a.storage, "PKCS12") != 0) {
		/* A token: the key stays on it, so a folder means nothing and
		 * is ignored (PROTOCOL.md generateCsr). */
		p = prompter_new(w->env->cfg, w->origin, a.locale ? a.locale : w->locale,
				 w->cancel);
		return make_token_request(w, p, &a);
	}
	if (a.folder) {
		problem = folder_problem(a.folder);
		if (problem)
			return proto_reply_error(w->req, PROTO_ERROR_FOLDER_UNWRITABLE, problem);
		folder = g_canonicalize_filename(a.folder, NULL);
	} else {
		p = prompter_new(w->env->cfg, w->origin, a.locale ? a.locale : w->locale, w->cancel);
		r = prompter_choose_folder(p, prompter_text(p, "save your new keys"), &folder,
					   &message);
		if (r != 0)
			return ops_prompt_error(w, r, message);
		problem = folder_problem(folder);
		if (problem)
			return proto_reply_error(w->req, PROTO_ERROR_FOLDER_UNWRITABLE, problem);
	}
	return make_request(w, &a, folder);
}

/* --- listRequests, cancelRequest ---------------------------------------- */

static struct json_object *request_json(const struct ops_work *w, const struct pending_request *r)
{
	struct json_object *o = json_object_new_object();
	g_autofree char *file =
		r->token ? NULL : key_file_name(r->algorithm, r->purpose, r->key_id);
	g_autofree char *created = g_strdup_printf("%lld", r->created_ms);
	g_autofree char *expires = g_strdup_printf("%lld", r->expires_ms);

	json_object_object_add(o, "requestId", json_object_new_string(r->id));
	json_object_object_add(o, "keyId", json_object_new_string(r->key_id));
	json_object_object_add(o, "algorithm", json_object_new_string(r->algorithm));
	json_object_object_add(o, "purpose", json_object_new_string(r->purpose));
	json_object_object_add(o, "storage", json_object_new_string(r->storage));
	/* A token's key has no file: null, and the token and the key's label. */
	json_object_object_add(o, "folder", r->folder ? json_object_new_string(r->folder) : NULL);
	json_object_object_add(o, "fileName", file ? json_object_new_string(file) : NULL);
	if (r->token) {
		g_autofree char *label = g_strdup_printf("qoltanba %s", r->id);

		json_object_object_add(o, "token", json_object_new_string(r->token->label));
		json_object_object_add(o, "keyLabel", json_object_new_string(label));
	}
	json_object_object_add(o, "subject", json_object_new_string(r->subject));
	json_object_object_add(o, "created", json_object_new_string(created));
	json_object_object_add(o, "expires", json_object_new_string(expires));
	json_object_object_add(o, "expired", json_object_new_boolean(r->expires_ms <= now_ms(w)));
	return o;
}

static char *work_list_requests(struct ops_work *w)
{
	g_autofree char *dir = pending_dir(w);
	_cleanup_(json_object_putp) struct json_object *list = json_object_new_array();
	struct pending_request **v = NULL;
	size_t n = 0;
	int r = pending_list(dir, &v, &n);

	if (r < 0) {
		log_error("listRequests: %s: %s", dir, g_strerror(-r));
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL,
					 "the pending key requests cannot be read");
	}
	for (size_t i = 0; i < n; i++)
		if (same_origin(w, v[i]))
			json_object_array_add(list, request_json(w, v[i]));
	pending_list_free(v, n);
	return proto_reply_invoker_ok(w->req, list);
}

/* The page's pending request id, loaded with its key; NULL with *ret_reply
 * set when there is none. Another page's request is "unknown" too: pages
 * must not learn of each other's requests. */
static struct pending_request *load_own(struct ops_work *w, const char *dir, const char *id,
					char **ret_reply)
{
	struct pending_request *pr = NULL;
	int r = pending_load(dir, id, &pr);

	if (r == 0 && same_origin(w, pr))
		return pr;
	pending_request_free(pr);
	if (r == 0 || r == PENDING_E_NOT_FOUND || r == PENDING_E_BAD_ID) {
		*ret_reply = proto_reply_error(w->req, PROTO_ERROR_REQUEST_UNKNOWN, id);
		return NULL;
	}
	log_error("pending request %s: %s", id,
		  r == PENDING_E_CORRUPT ? "damaged file" : g_strerror(-r));
	*ret_reply = proto_reply_error(w->req, PROTO_ERROR_INTERNAL,
				       "the pending key request cannot be read");
	return NULL;
}

static char *work_cancel_request(struct ops_work *w)
{
	const char *id = proto_request_id_get(w->req);
	g_autofree char *dir = pending_dir(w);
	_cleanup_(pending_request_freep) struct pending_request *pr = NULL;
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	_cleanup_(prompter_freep) struct prompter *p = NULL;
	static const char *const fates[] = {
		[OPS_TOKEN_KEY_DELETED] = "deleted",
		[OPS_TOKEN_KEY_GONE] = "gone",
		[OPS_TOKEN_KEY_KEPT] = "kept",
	};
	enum ops_token_key_fate fate = OPS_TOKEN_KEY_GONE;
	char *reply = NULL;
	int r;

	if (!id)
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	pr = load_own(w, dir, id, &reply);
	if (!pr)
		return reply;
	if (pr->token) {
		/* The key goes first: a cancel at its PIN cancels nothing. */
		p = prompter_new(w->env->cfg, w->origin, w->locale, w->cancel);
		reply = ops_token_enroll_delete(w, p, pr, &fate);
		if (reply)
			return reply;
	}
	r = pending_destroy(dir, id);
	if (r != 0 && r != -ENOENT) {
		log_error("cancelRequest %s: %s", id, g_strerror(-r));
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL,
					 "the pending key could not be destroyed");
	}
	log_info("cancelRequest: request %s destroyed", id);
	o = json_object_new_object();
	json_object_object_add(o, "requestId", json_object_new_string(id));
	json_object_object_add(o, "cancelled", json_object_new_boolean(true));
	if (pr->token) {
		g_autofree char *label = g_strdup_printf("qoltanba %s", pr->id);

		json_object_object_add(o, "tokenKey", json_object_new_string(fates[fate]));
		json_object_object_add(o, "keyLabel", json_object_new_string(label));
	}
	return proto_reply_invoker_ok(w->req, o);
}

/* --- importCertificate --------------------------------------------------- */

/* What importCertificate works on, checked before the user is asked. */
struct import {
	struct pending_request *pending;
	PKCS8_PRIV_KEY_INFO *p8;
	X509 *cert;
	STACK_OF(X509) *chain;
	char *key_id;
	char *file_name;
	char *path;
};

static void import_clear(struct import *im)
{
	pending_request_free(im->pending);
	PKCS8_PRIV_KEY_INFO_free(im->p8);
	X509_free(im->cert);
	sk_X509_pop_free(im->chain, X509_free);
	g_free(im->key_id);
	g_free(im->file_name);
	g_free(im->path);
	*im = (struct import){};
}

/* Does the certificate belong to the pending key? NULL, or the answer. */
static char *check_key(struct ops_work *w, struct import *im)
{
	_cleanup_(csr_key_freep) struct csr_key *key = NULL;
	const unsigned char *p = im->pending->key_der;
	g_autofree char *detail = NULL;

	if (im->pending->token) {
		/* Checked again by the token (pkcs11_cert_import()); here so
		 * that the user does not type the PIN for nothing. */
		uint8_t id[CSR_KEY_ID_SIZE];
		g_autofree char *hex = NULL;

		if (csr_pubkey_id(X509_get_X509_PUBKEY(im->cert), id) == 0) {
			GString *s = g_string_new(NULL);

			for (size_t i = 0; i < sizeof(id); i++)
				g_string_append_printf(s, "%02x", id[i]);
			hex = g_string_free(s, FALSE);
		}
		if (hex && strcmp(hex, im->pending->key_id) == 0)
			return NULL;
		detail = g_strdup_printf("the certificate's key %s is not the request's key %s",
					 hex ? hex : "?", im->pending->key_id);
		return proto_reply_error(w->req, PROTO_ERROR_CERT_KEY_MISMATCH, detail);
	}
	im->p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)im->pending->key_len);
	if (!im->p8 || csr_key_from_pkcs8(im->p8, &key) != 0) {
		log_error("pending request %s: the kept key does not parse", im->pending->id);
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL,
					 "the pending key cannot be read");
	}
	if (csr_key_matches_cert(key, im->cert) != 0) {
		g_autofree char *cert_id = ops_cert_key_id(im->cert, "none");

		detail = g_strdup_printf("the certificate's key %s is not the request's key %s",
					 cert_id, im->pending->key_id);
		return proto_reply_error(w->req, PROTO_ERROR_CERT_KEY_MISMATCH, detail);
	}
	return NULL;
}

/* Everything but the password: request, certificate, key, target file. */
static char *import_prepare(struct ops_work *w, const struct proto_import_args *a,
			    struct import *im)
{
	g_autofree char *dir = pending_dir(w), *problem = NULL, *detail = NULL;
	size_t bad = 0;
	char *reply = NULL;

	im->pending = load_own(w, dir, a->request_id, &reply);
	if (!im->pending)
		return reply;
	if (im->pending->expires_ms <= now_ms(w)) {
		detail = g_strdup_printf("%s expired; cancel it and make a new request",
					 a->request_id);
		return proto_reply_error(w->req, PROTO_ERROR_REQUEST_EXPIRED, detail);
	}
	im->cert = ops_certificate_parse(a->certificate);
	if (!im->cert)
		return proto_reply_error(w->req, PROTO_ERROR_CERT_INVALID,
					 "certificate is not a PEM or base64 X.509 certificate");
	if (X509_cmp_time(X509_get0_notAfter(im->cert),
			  w->env->cfg->validity_time ? &(time_t){ w->env->cfg->validity_time }
						     : NULL) < 0) {
		g_autofree char *until = ops_cert_time_text(X509_get0_notAfter(im->cert));

		detail = g_strdup_printf("the certificate expired on %s", until);
		return proto_reply_error(w->req, PROTO_ERROR_CERT_INVALID, detail);
	}
	if (a->chain.n && keyfilter_parse_pems(a->chain.v, a->chain.n, &im->chain, &bad) < 0) {
		detail = g_strdup_printf("chain[%zu] is not a PEM certificate", bad);
		return proto_reply_error(w->req, PROTO_ERROR_CERT_INVALID, detail);
	}
	reply = check_key(w, im);
	if (reply)
		return reply;

	im->key_id = ops_cert_key_id(im->cert, im->pending->key_id);
	if (im->pending->token) {
		/* The answer's "file" names the token, "fileName" the key. */
		im->path = g_strdup_printf("%s (%s)", im->pending->token->label,
					   im->pending->token->storage);
		im->file_name = g_strdup_printf("qoltanba %s", im->pending->id);
		return NULL;
	}
	im->file_name = key_file_name(im->pending->algorithm, im->pending->purpose, im->key_id);
	im->path = g_build_filename(im->pending->folder, im->file_name, NULL);
	problem = folder_problem(im->pending->folder);
	if (problem)
		return proto_reply_error(w->req, PROTO_ERROR_FOLDER_UNWRITABLE, problem);
	/* Checked again, atomically, when the file is written; here so that
	 * the user does not make up a password for nothing. */
	if (g_file_test(im->path, G_FILE_TEST_EXISTS))
		return proto_reply_error(w->req, PROTO_ERROR_FILE_EXISTS, im->path);
	return NULL;
}

static char *ask_new_password(struct ops_work *w, struct prompter *p, const struct import *im,
			      char **ret_secret)
{
	g_autofree char *cn = ops_cert_common_name(im->cert);
	g_autofree char *until = ops_cert_time_text(X509_get0_notAfter(im->cert));
	g_autofree char *description = NULL, *message = NULL;
	int r;

	description = g_strdup_printf(
		prompter_text(p, "%s asks you to create a password for your new key file.\n\n"
				 "Key file: %s\nCertificate: %s\nValid until: %s"),
		w->origin ? w->origin : prompter_text(p, "a local program"), im->path, cn, until);
	r = prompter_new_password(p, description, ret_secret, &message);
	return r == 0 ? NULL : ops_prompt_error(w, r, message);
}

/* The file NCA's way, checked by loading it back before it is written. */
static char *build_file(struct ops_work *w, const struct import *im, const char *password,
			uint8_t **ret_der, size_t *ret_len)
{
	_cleanup_(pkcs12_key_freep) struct pkcs12_key *back = NULL;
	int r;

	r = pkcs12_build_nca(im->p8, im->cert, im->chain, im->key_id, password, ret_der, ret_len);
	if (r != 0) {
		log_error("importCertificate: building the PKCS#12 failed (%d)", r);
		return proto_reply_error(w->req, PROTO_ERROR_IMPORT_FAILED,
					 "the key file could not be made");
	}
	r = pkcs12_key_load_mem(*ret_der, *ret_len, password, &back);
	if (r != 0 || X509_cmp(back->cert, im->cert) != 0) {
		log_error("importCertificate: the new key file does not load back (%d)", r);
		OPENSSL_clear_free(*ret_der, *ret_len);
		*ret_der = NULL;
		return proto_reply_error(w->req, PROTO_ERROR_IMPORT_FAILED,
					 "the new key file did not load back");
	}
	return NULL;
}

static char *write_error(struct ops_work *w, const struct import *im, int r)
{
	g_autofree char *detail = NULL;

	switch (-r) {
	case EEXIST:
		return proto_reply_error(w->req, PROTO_ERROR_FILE_EXISTS, im->path);
	case EACCES:
	case EPERM:
	case EROFS:
	case ENOENT:
	case ENOTDIR:
		detail = g_strdup_printf("%s: %s", im->pending->folder, g_strerror(-r));
		return proto_reply_error(w->req, PROTO_ERROR_FOLDER_UNWRITABLE, detail);
	default:
		detail = g_strdup_printf("%s: %s", im->path, g_strerror(-r));
		return proto_reply_error(w->req, PROTO_ERROR_IMPORT_FAILED, detail);
	}
}

static char *import_reply(struct ops_work *w, const struct import *im)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

	json_object_object_add(o, "requestId", json_object_new_string(im->pending->id));
	json_object_object_add(o, "file", json_object_new_string(im->path));
	json_object_object_add(o, "fileName", json_object_new_string(im->file_name));
	json_object_object_add(o, "folder", im->pending->folder
						     ? json_object_new_string(im->pending->folder)
						     : NULL);
	json_object_object_add(o, "keyId", json_object_new_string(im->key_id));
	json_object_object_add(o, "algorithm", json_object_new_string(im->pending->algorithm));
	json_object_object_add(o, "storage", json_object_new_string(im->pending->storage));
	return proto_reply_invoker_ok(w->req, o);
}

static char *import_run(struct ops_work *w, const struct proto_import_args *a, struct import *im)
{
	g_autofree char *dir = pending_dir(w);
	_cleanup_(prompter_freep) struct prompter *p = NULL;
	char *password = NULL, *reply;
	uint8_t *der = NULL;
	size_t len = 0;
	int r;

	reply = import_prepare(w, a, im);
	if (reply)
		return reply;
	p = prompter_new(w->env->cfg, w->origin, a->locale ? a->locale : w->locale, w->cancel);
	if (im->pending->token) {
		g_autofree char *cn = ops_cert_common_name(im->cert);

		/* No password to make: the token's PIN guards the key. The
		 * chain is not stored (PROTOCOL.md importCertificate). */
		reply = ops_token_enroll_import(w, p, im->pending, im->cert, cn);
		if (reply)
			return reply;
		r = pending_destroy(dir, im->pending->id);
		if (r != 0 && r != -ENOENT)
			log_error("importCertificate: the pending request %s stays: %s",
				  im->pending->id, g_strerror(-r));
		return import_reply(w, im);
	}
	reply = ask_new_password(w, p, im, &password);
	if (reply)
		return reply;
	reply = build_file(w, im, password, &der, &len);
	prompter_secret_free(password);
	if (reply)
		return reply;
	r = safefile_write_new(im->pending->folder, im->file_name, der, len, 0600);
	OPENSSL_clear_free(der, len);
	if (r != 0)
		return write_error(w, im, r);
	log_info("importCertificate: request %s installed as %s", im->pending->id, im->path);
	/* The key is safe in its file now; the pending copy goes. */
	r = pending_destroy(dir, im->pending->id);
	if (r != 0 && r != -ENOENT)
		log_error("importCertificate: the pending key %s stays: %s", im->pending->id,
			  g_strerror(-r));
	return import_reply(w, im);
}

static char *work_import_certificate(struct ops_work *w)
{
	struct proto_import_args a;
	struct import im = {};
	char *reply;

	if (proto_import_args_get(w->req, &a) < 0)
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	reply = import_run(w, &a, &im);
	import_clear(&im);
	proto_import_args_clear(&a);
	return reply;
}

char *ops_enroll_work(struct ops_work *w)
{
	switch (w->req->method) {
	case PROTO_METHOD_BASICS_GENERATE_CSR:
		return work_generate_csr(w);
	case PROTO_METHOD_BASICS_IMPORT_CERTIFICATE:
		return work_import_certificate(w);
	case PROTO_METHOD_BASICS_LIST_REQUESTS:
		return work_list_requests(w);
	case PROTO_METHOD_BASICS_CANCEL_REQUEST:
		return work_cancel_request(w);
	default:
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	}
}
