/* kz.gov.pki.knca.basics: NCALayer's named-argument module (apiVersion 2).
 * Every method runs on a worker (ops_basics_work): sign here, the remote
 * key issuance methods in enroll.c. */
#include <string.h>

#include "daemon/ops/sign.h"
#include "daemon/ops/tokens.h"
#include "daemon/ops/work.h"
#include "util/cleanup.h"

DEFINE_POINTER_CLEANUP(prompter_free, struct prompter)

/* The storage to sign with among the page's allowedStorages: key files
 * when the page allows them (absent or null allows all), else the first
 * token type in the page's order that has a source (a configured module
 * or a card present); NULL when none is usable. */
static const char *storage_choose(const struct config *cfg, const struct proto_sign_args *a)
{
	if (a->storages_all)
		return "PKCS12";
	for (size_t i = 0; i < a->storages.n; i++)
		if (strcmp(a->storages.v[i], "PKCS12") == 0)
			return "PKCS12";
	for (size_t i = 0; i < a->storages.n; i++)
		if (ops_token_has_source(cfg, a->storages.v[i]))
			return a->storages.v[i];
	return NULL;
}

static char *work_sign(struct ops_work *w, const struct proto_sign_args *a)
{
	g_autofree char *detail = NULL;
	const char *locale = a->locale ? a->locale : w->locale;
	_cleanup_(prompter_freep) struct prompter *p = NULL;
	struct sign_request s = {
		.attached = a->encapsulate,
		.digested = a->digested,
		.timestamp = a->tsa ? TIMESTAMP_REQUIRED : TIMESTAMP_NONE,
		.output_cert = a->output_cert,
		.filter = {
			.key_type = CERTINFO_KEY_TYPE_ANY,
			.ext_key_usages = a->ext_key_usage_oids.v,
			.iin = a->iin,
			.bin = a->bin,
			.serial = a->serial_number,
			.allow_expired = a->allow_expired,
			.allow_revoked = a->allow_revoked,
		},
	};

	/* NCALayer's default language is Kazakh; a "locale" in the request
	 * wins over the connection's. */
	p = prompter_new(w->env->cfg, w->origin, locale, w->cancel);
	switch (a->format) {
	case PROTO_SIGN_FORMAT_CMS:
		s.format = SIGN_FORMAT_CMS;
		break;
	case PROTO_SIGN_FORMAT_XML:
		s.format = SIGN_FORMAT_XML;
		if (a->digested)
			return proto_reply_error(w->req, PROTO_ERROR_DATA_INVALID,
						 "digested applies to the cms and raw formats");
		break;
	case PROTO_SIGN_FORMAT_RAW:
		s.format = SIGN_FORMAT_RAW;
		break;
	}
	s.storage = storage_choose(w->env->cfg, a);
	if (!s.storage)
		return proto_reply_error(w->req, PROTO_ERROR_STORAGE_EMPTY,
					 "none of the allowed storages is available: PKCS12 is not "
					 "allowed and no token of the allowed types is connected");
	if (a->chain_given) {
		size_t bad = 0;

		/* An empty chain: any certificate is accepted. */
		if (keyfilter_parse_pems(a->chain.v, a->chain.n, &s.filter.cas, &bad) < 0) {
			detail = g_strdup_printf("signerParams.chain[%zu] is not a PEM certificate",
						 bad);
			return proto_reply_error(w->req, PROTO_ERROR_DATA_INVALID, detail);
		}
	}

	s.docs.v = g_new0(struct ops_doc, a->data.n);
	s.docs.n = a->data.n;
	for (size_t i = 0; i < a->data.n; i++) {
		struct ops_doc *d = &s.docs.v[i];

		if (!a->decode) {
			*d = (struct ops_doc){ .data = (const uint8_t *)a->data.v[i],
					       .len = strlen(a->data.v[i]) };
			continue;
		}
		if (!ops_base64_decode(a->data.v[i], &d->owned, &d->len)) {
			detail = g_strdup_printf("data[%zu] is not valid base64 (decode is true)", i);
			sign_request_clear(&s);
			return proto_reply_error(w->req, PROTO_ERROR_DATA_INVALID, detail);
		}
		d->data = d->owned;
	}
	return sign_run(w, p, &s);
}

char *ops_basics_work(struct ops_work *w)
{
	struct proto_sign_args a;
	char *reply;

	if (w->req->method != PROTO_METHOD_BASICS_SIGN)
		return ops_enroll_work(w);
	if (proto_sign_args_get(w->req, &a) < 0)
		return proto_reply_error(w->req, PROTO_ERROR_INTERNAL, NULL);
	reply = work_sign(w, &a);
	proto_sign_args_clear(&a);
	return reply;
}
