#include "daemon/ops/sign.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "daemon/crypto/cades.h"
#include "daemon/crypto/tsp.h"
#include "daemon/crypto/xmldsig.h"
#include "util/cleanup.h"
#include "util/log.h"

DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)
DEFINE_POINTER_CLEANUP(ops_key_free, struct ops_key)

/* The timestamp hook's state: which service, and what went wrong. */
struct tsa_ctx {
	const struct config *cfg;
	enum signer_algorithm alg;
	char *message;
};

static int tsa_hook(void *data, const uint8_t *sig, size_t sig_len, uint8_t **ret_token,
		    size_t *ret_len)
{
	struct tsa_ctx *t = data;
	char *message = NULL;
	int r;

	r = tsp_timestamp(t->cfg->tsa_url, t->cfg->tsa_policy, t->alg, sig, sig_len,
			  t->cfg->tsa_timeout_s, ret_token, ret_len, &message);
	if (r != 0) {
		g_free(t->message);
		t->message = message ? g_strdup(message)
				     : g_strdup_printf("the timestamp service %s failed",
						       t->cfg->tsa_url);
		free(message);
		return r;
	}
	free(message);
	return 0;
}

static const char *alg_name(enum signer_algorithm alg)
{
	switch (alg) {
	case SIGNER_ALG_RSA_SHA256:
		return "RSA with SHA-256";
	case SIGNER_ALG_ECDSA_SHA256:
		return "ECDSA with SHA-256";
	case SIGNER_ALG_GOST2015_512:
		return "GOST 34.10-2015 with Streebog-512";
	case _SIGNER_ALG_MAX:
		break;
	}
	return "?";
}

/* XML is parsed before any prompt: a page's malformed or hostile
 * document is refused without making the user choose a key. */
static char *check_xml(struct ops_work *w, const struct ops_doc *d)
{
	g_autofree char *error = NULL;
	uint8_t md[SIGNER_DIGEST_MAX];
	size_t md_len;
	int r;

	r = xmldsig_document_digest(SIGNER_ALG_RSA_SHA256, (const char *)d->data, d->len, NULL, md,
				    &md_len, &error);
	switch (r) {
	case 0:
		return NULL;
	case XMLDSIG_E_PARSE:
		return proto_reply_error(w->req, PROTO_ERROR_XML, error);
	case XMLDSIG_E_FORBIDDEN:
		return proto_reply_error(w->req, PROTO_ERROR_DATA_INVALID,
					 "the XML document declares entities, which are refused "
					 "(external entities, entity expansion)");
	case XMLDSIG_E_LIMIT:
		return proto_reply_error(w->req, PROTO_ERROR_DATA_INVALID,
					 "the XML document is too large or nested too deeply");
	default:
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	}
}

static char *sign_error(struct ops_work *w, const struct ops_key *key, int r, const char *what)
{
	char *reply = ops_key_sign_error(w, key);

	if (reply)
		return reply;
	log_error("%s: %s", what, r < 0 ? g_strerror(-r) : "the key failed to sign");
	if (r == -ENOMEM || r == -EINVAL || r == -EOVERFLOW)
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	return proto_reply_error(w->req, PROTO_ERROR_SIGNING_FAILED, NULL);
}

static char *sign_cms(struct ops_work *w, const struct ops_key *key, const struct sign_request *s,
		      const struct ops_doc *d, struct tsa_ctx *tsa, char **ret)
{
	const struct signer *sg = &key->signer;
	bool pem = w->req->module == PROTO_MODULE_BASICS;
	struct cades_options o = {
		.attached = s->attached,
		.digest_given = s->digested,
	};
	g_autofree char *detail = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	int r;

	if (tsa) {
		o.timestamp = tsa_hook;
		o.timestamp_ctx = tsa;
	}
	r = cades_sign(sg, d->data, d->len, &o, &der, &len);
	switch (r) {
	case 0:
		break;
	case CADES_E_DIGEST_SIZE:
		detail = g_strdup_printf("the hash has %zu bytes; the key's algorithm (%s) needs %zu",
					 d->len, alg_name(sg->alg), signer_digest_size(sg->alg));
		return proto_reply_error(w->req, PROTO_ERROR_DATA_INVALID, detail);
	case CADES_E_TIMESTAMP:
		log_warning("timestamp: %s", tsa->message);
		return proto_reply_error(w->req, PROTO_ERROR_TIMESTAMP, tsa->message);
	case CADES_E_UNSUPPORTED:
		return proto_reply_error(w->req, PROTO_ERROR_KEY_UNSUPPORTED, alg_name(sg->alg));
	default:
		return sign_error(w, key, r, "CMS");
	}
	*ret = pem ? cades_pem(der, len) : cades_base64(der, len);
	free(der);
	return *ret ? NULL : proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
}

static char *sign_xml(struct ops_work *w, const struct ops_key *key, const struct sign_request *s,
		      const struct ops_doc *d, char **ret)
{
	const struct signer *sg = &key->signer;
	struct xmldsig_options o = {
		.tbs_xpath = s->tbs_xpath,
		.parent_xpath = s->parent_xpath,
		.crlf = s->crlf,
	};
	g_autofree char *error = NULL;
	int r;

	r = xmldsig_sign(sg, (const char *)d->data, d->len, &o, NULL, ret, &error);
	switch (r) {
	case 0:
		return NULL;
	case XMLDSIG_E_PARSE:
	case XMLDSIG_E_XPATH:
		return proto_reply_error(w->req, PROTO_ERROR_XML, error);
	case XMLDSIG_E_FORBIDDEN:
	case XMLDSIG_E_LIMIT:
		return check_xml(w, d);
	case XMLDSIG_E_UNSUPPORTED:
		return proto_reply_error(w->req, PROTO_ERROR_KEY_UNSUPPORTED, alg_name(sg->alg));
	default:
		return sign_error(w, key, r, "XMLDSig");
	}
}

/* raw: the signature value alone, base64: PKCS#1 v1.5 for RSA, DER
 * Ecdsa-Sig-Value for ECDSA, r‖s little-endian for GOST. */
static char *sign_raw(struct ops_work *w, const struct ops_key *key, const struct sign_request *s,
		      const struct ops_doc *d, char **ret)
{
	const struct signer *sg = &key->signer;
	uint8_t md[SIGNER_DIGEST_MAX];
	size_t md_len = signer_digest_size(sg->alg);
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int r;

	if (s->digested) {
		if (d->len != md_len) {
			g_autofree char *detail = g_strdup_printf(
				"the hash has %zu bytes; the key's algorithm (%s) needs %zu", d->len,
				alg_name(sg->alg), md_len);
			return proto_reply_error(w->req, PROTO_ERROR_DATA_INVALID, detail);
		}
		memcpy(md, d->data, md_len);
	} else if (signer_digest(sg->alg, d->data, d->len, md, &md_len) != 0) {
		return proto_reply_error(w->req, PROTO_ERROR_KEY_UNSUPPORTED, alg_name(sg->alg));
	}
	r = sg->sign_digest(sg->ctx, md, md_len, &sig, &sig_len);
	if (r != 0)
		return sign_error(w, key, r, "raw signature");
	*ret = g_base64_encode(sig, sig_len);
	OPENSSL_free(sig);
	return NULL;
}

static char *cert_base64(X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	char *b64;

	if (len <= 0)
		return NULL;
	b64 = g_base64_encode(der, (gsize)len);
	OPENSSL_free(der);
	return b64;
}

static char *answer(struct ops_work *w, const struct sign_request *s, const struct signer *sg,
		    struct json_object *list)
{
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	g_autofree char *cert = NULL;

	if (w->req->module == PROTO_MODULE_BASICS) {
		/* Current NCALayer answers an array even for one document. */
		if (s->format != SIGN_FORMAT_RAW || !s->output_cert)
			return proto_reply_invoker_ok(w->req, list);
		cert = cert_base64(sg->cert);
		o = json_object_new_object();
		if (!cert || !o)
			return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
		json_object_object_add(o, "signatures", json_object_get(list));
		json_object_object_add(o, "certificate", json_object_new_string(cert));
		return proto_reply_invoker_ok(w->req, o);
	}
	if (s->result_array)
		return proto_reply_common_ok(w->req, list);
	return proto_reply_common_ok(w->req, json_object_array_get_idx(list, 0));
}

static char *sign_all(struct ops_work *w, struct prompter *p, struct sign_request *s)
{
	_cleanup_(ops_key_freep) struct ops_key *key = NULL;
	_cleanup_(json_object_putp) struct json_object *list = NULL;
	g_autofree char *content = NULL, *purpose = NULL;
	struct tsa_ctx tsa_ctx = { .cfg = w->env->cfg };
	bool timestamp = false;
	const struct signer *sg;
	char *reply;

	if (s->storage) {
		reply = ops_check_storage(w->env->cfg, w->req, s->storage);
		if (reply)
			return reply;
	}
	if (s->timestamp != TIMESTAMP_NONE && s->format == SIGN_FORMAT_CMS) {
		const char *url = w->env->cfg->tsa_url;

		timestamp = url && *url;
		if (!timestamp && s->timestamp == TIMESTAMP_REQUIRED)
			return proto_reply_error(w->req, PROTO_ERROR_TIMESTAMP,
						 "no timestamp service is configured ([tsa] url)");
	}
	if (s->format == SIGN_FORMAT_XML)
		for (size_t i = 0; i < s->docs.n; i++) {
			reply = check_xml(w, &s->docs.v[i]);
			if (reply)
				return reply;
		}
	reply = ops_filter_from_config(w, &s->filter);
	if (reply)
		return reply;

	content = ops_describe_docs(&s->docs, s->digested, s->format == SIGN_FORMAT_XML);
	purpose = g_strdup_printf(prompter_text(p, "sign %u document(s)"), (unsigned)s->docs.n);
	reply = ops_open_key(w, p, s->storage, purpose, content, &s->filter, &key);
	if (reply)
		return reply;
	sg = &key->signer;
	tsa_ctx.alg = sg->alg;

	list = json_object_new_array();
	for (size_t i = 0; i < s->docs.n; i++) {
		char *one = NULL;

		if (g_cancellable_is_cancelled(w->cancel)) {
			g_free(tsa_ctx.message);
			return proto_reply_error(w->req, PROTO_ERROR_CANCELLED, NULL);
		}
		switch (s->format) {
		case SIGN_FORMAT_CMS:
			reply = sign_cms(w, key, s, &s->docs.v[i], timestamp ? &tsa_ctx : NULL, &one);
			break;
		case SIGN_FORMAT_XML:
			reply = sign_xml(w, key, s, &s->docs.v[i], &one);
			break;
		case SIGN_FORMAT_RAW:
			reply = sign_raw(w, key, s, &s->docs.v[i], &one);
			break;
		}
		if (reply) {
			g_free(tsa_ctx.message);
			return reply;
		}
		json_object_array_add(list, json_object_new_string(one));
		free(one);
	}
	g_free(tsa_ctx.message);
	log_info("%s: signed %zu document(s) with key %s (%s)",
		 w->origin ? w->origin : "(no origin)", s->docs.n, key->alias, alg_name(sg->alg));
	return answer(w, s, sg, list);
}

void sign_request_clear(struct sign_request *s)
{
	ops_docs_clear(&s->docs);
	ops_filter_clear(&s->filter);
}

char *sign_run(struct ops_work *w, struct prompter *p, struct sign_request *s)
{
	char *reply = sign_all(w, p, s);

	sign_request_clear(s);
	return reply;
}
