/* After the keys: documents to sign, and the check of a signature made
 * with a key this portal's test CA certified. */
#include "web/portal/app-private.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "web/portal/sigcheck.h"

int call_sample(struct call *c)
{
	answer_string(c, "text", texts_sample_text(c->app->lang));
	answer_string(c, "xml", texts_sample_xml(c->app->lang));
	return 0;
}

static int sig_fail(struct call *c, const char *reason)
{
	fail_member_string(c, "reason", reason);
	return call_fail(c, PORTAL_E_SIGNATURE_INVALID, NULL);
}

/* The base64 of a CMS, bare or in PEM armour ("-----BEGIN CMS-----"). */
static bool cms_decode(const char *text, uint8_t **ret, size_t *ret_len)
{
	g_autofree char *inner = NULL;
	const char *begin, *end;

	while (g_ascii_isspace(*text))
		text++;
	if (!g_str_has_prefix(text, "-----BEGIN "))
		return base64_decode_max(text, PORTAL_BODY_MAX, ret, ret_len);
	begin = strchr(text, '\n');
	end = begin ? strstr(begin, "-----END ") : NULL;
	if (!end)
		return false;
	inner = g_strndup(begin + 1, (gsize)(end - begin - 1));
	return base64_decode_max(inner, PORTAL_BODY_MAX, ret, ret_len);
}

static struct json_object *signer_json(X509 *x)
{
	struct json_object *o = json_object_new_object();
	g_autofree char *cn = cert_name_entry(X509_get_subject_name(x), NID_commonName);
	g_autofree char *serial_number = cert_name_entry(X509_get_subject_name(x),
							 NID_serialNumber);
	g_autofree char *issuer = cert_name_entry(X509_get_issuer_name(x), NID_commonName);
	g_autofree char *serial = cert_serial_hex(x);
	char t[ISO_TIME_SIZE];

	json_set_string(o, "cn", cn);
	json_set_string(o, "iin", serial_number && g_str_has_prefix(serial_number, "IIN")
					  ? serial_number + 3
					  : NULL);
	json_set_string(o, "serial", serial);
	json_set_string(o, "issuer", issuer);
	cert_time(X509_get0_notBefore(x), t);
	json_set_string(o, "notBefore", t);
	cert_time(X509_get0_notAfter(x), t);
	json_set_string(o, "notAfter", t);
	return o;
}

int call_verify(struct call *c)
{
	struct sigcheck_result res = SIGCHECK_RESULT_NULL;
	g_autofree uint8_t *sig = NULL, *data = NULL;
	STACK_OF(X509) *cas;
	const char *format, *signature, *data_text = NULL, *why = NULL;
	struct json_object *v;
	size_t sig_len = 0, data_len = 0;
	bool cms;
	int r;

	r = req_string(c, "format", &format);
	if (r == 0)
		r = req_string(c, "signature", &signature);
	if (r != 0)
		return r;
	if (strcmp(format, "cms") != 0 && strcmp(format, "xml") != 0)
		return call_fail(c, PORTAL_E_BAD_REQUEST, "format is not cms or xml.");
	cms = format[0] == 'c';
	if (json_object_object_get_ex(c->req, "data", &v) && v) {
		r = req_string(c, "data", &data_text);
		if (r != 0)
			return r;
		if (!base64_decode_max(data_text, PORTAL_BODY_MAX, &data, &data_len))
			return sig_fail(c, "data is not base64");
	}
	if (cms && !cms_decode(signature, &sig, &sig_len))
		return sig_fail(c, "the signature is not base64");

	cas = sk_X509_new_null();
	if (!cas)
		return call_internal(c, -ENOMEM, "out of memory");
	sk_X509_push(cas, testca_root(c->p->ca, CSR_ALG_GOST512));
	sk_X509_push(cas, testca_root(c->p->ca, CSR_ALG_RSA2048));
	if (cms)
		r = sigcheck_cms(sig, sig_len, data, data_len, cas, SIGCHECK_ALG_ALL, &res, &why);
	else
		r = sigcheck_xml(signature, strlen(signature), cas, SIGCHECK_ALG_ALL, &res, &why);
	sk_X509_free(cas);
	if (r < 0)
		return call_internal(c, r, "cannot check a signature");
	if (r > 0)
		return sig_fail(c, why);

	json_object_object_add(answer(c), "valid", json_object_new_boolean(true));
	answer_string(c, "format", format);
	json_object_object_add(answer(c), "signer", signer_json(res.signer));
	if (res.has_signing_time) {
		char t[ISO_TIME_SIZE];

		iso_time(res.signing_time, t);
		answer_string(c, "signingTime", t);
	} else {
		answer_string(c, "signingTime", NULL);
	}
	if (g_utf8_validate((const char *)res.content, (gssize)res.content_len, NULL)) {
		json_object_object_add(answer(c), "content",
				       json_object_new_string_len((const char *)res.content,
								  (int)res.content_len));
	} else {
		g_autofree char *b64 = g_base64_encode(res.content, res.content_len);

		answer_string(c, "contentBase64", b64);
	}
	sigcheck_result_clear(&res);
	return 0;
}
