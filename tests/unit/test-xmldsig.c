/* xmldsig: the layout NCALayer produces (recorded exchanges 25 and 48, the
 * KalkanCrypt GOST fixture), signatures a second implementation (xmlsec1)
 * accepts, and hostile input turned away. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/pem.h>

#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/xmldsig.h"
#include "tests/unit/test-util.h"

#define DATA_FILE(name) XMLDSIG_TEST_DATA "/" name
#define RSA_PEM XMLDSIG_TEST_KEYS "/xmldsig-rsa.pem"
#define EC_PEM XMLDSIG_TEST_KEYS "/xmldsig-ec.pem"

struct test_key {
	EVP_PKEY *key;
	X509 *cert;
	struct signer signer;
	const char *crt; /* the certificate alone, for xmlsec1 */
};

static struct test_key rsa, ec;
static char *tmpdir;

static void key_load(struct test_key *k, const char *pem, const char *crt)
{
	BIO *b = BIO_new_file(pem, "r");

	g_assert_nonnull(b);
	k->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	k->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	g_assert_nonnull(k->key);
	g_assert_nonnull(k->cert);
	g_assert_cmpint(signer_init_pkey(&k->signer, k->key, k->cert), ==, 0);
	k->crt = crt;
}

static char *sign_ok(const struct signer *s, const char *xml, const struct xmldsig_options *o)
{
	char *out = NULL, *err = NULL;

	g_assert_cmpint(xmldsig_sign(s, xml, strlen(xml), o, NULL, &out, &err), ==, 0);
	g_assert_null(err);
	g_assert_nonnull(out);
	return out;
}

/* xmlsec1's verdict on a document; id_element names the element whose Id
 * attribute is an ID (for URI="#…"). */
static bool xmlsec_verifies(const char *xml, const char *crt, const char *id_element)
{
	g_autofree char *file = g_build_filename(tmpdir, "doc.xml", NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL, *err = NULL;
	int status = -1;

	g_assert_true(g_file_set_contents(file, xml, -1, NULL));
	g_ptr_array_add(argv, "xmlsec1");
	g_ptr_array_add(argv, "--verify");
	g_ptr_array_add(argv, "--trusted-pem");
	g_ptr_array_add(argv, (char *)crt);
	if (id_element) {
		g_ptr_array_add(argv, "--id-attr:Id");
		g_ptr_array_add(argv, (char *)id_element);
	}
	g_ptr_array_add(argv, file);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL,
				   NULL, &out, &err, &status, &error));
	g_assert_no_error(error);
	if (g_test_verbose())
		g_printerr("xmlsec1: %s", err);
	return g_spawn_check_wait_status(status, NULL);
}

/* A copy of xml with the first occurrence of from replaced by to. */
static char *replace_once(const char *xml, const char *from, const char *to)
{
	const char *p = strstr(xml, from);

	g_assert_nonnull(p);
	return g_strdup_printf("%.*s%s%s", (int)(p - xml), xml, to, p + strlen(from));
}

/* The content of every element named tag replaced by "…" (the parts the
 * recordings mask or that change with the key). */
static char *mask(const char *xml, const char *tag)
{
	g_autofree char *open = g_strdup_printf("<%s>", tag);
	g_autofree char *close = g_strdup_printf("</%s>", tag);
	GString *s = g_string_new(NULL);
	const char *p = xml, *a, *b;

	while ((a = strstr(p, open)) && (b = strstr(a, close))) {
		g_string_append_len(s, p, a + strlen(open) - p);
		g_string_append(s, "…");
		p = b;
	}
	g_string_append(s, p);
	return g_string_free(s, FALSE);
}

static char *mask_values(const char *xml)
{
	g_autofree char *a = mask(xml, "ds:SignatureValue");

	return mask(a, "ds:X509Certificate");
}

/* The signed XML NCALayer returned in recorded exchange index. */
static char *recorded_xml(int index)
{
	g_autofree char *path = g_build_filename(
	    g_getenv("QOL_TEST_DATA") ?: XMLDSIG_TEST_DATA "/..", "recorded-exchanges.json", NULL);
	struct json_object *all = json_object_from_file(path), *response, *v = NULL;
	char *xml;

	g_assert_nonnull(all);
	response = json_tokener_parse(json_object_get_string(
	    json_object_object_get(json_object_array_get_idx(all, index), "response")));
	g_assert_nonnull(response);
	if (!json_object_object_get_ex(response, "responseObject", &v)) {
		struct json_object *body = json_object_object_get(response, "body");

		v = json_object_array_get_idx(json_object_object_get(body, "result"), 0);
	}
	g_assert_nonnull(v);
	xml = g_strdup(json_object_get_string(v));
	json_object_put(response);
	json_object_put(all);
	return xml;
}

/* --- layout --------------------------------------------------------------- */

static void test_layout_recorded(gconstpointer data)
{
	int index = GPOINTER_TO_INT(data);
	struct xmldsig_options o = {.crlf = index == 25};
	g_autofree char *want = recorded_xml(index);
	g_autofree char *got = sign_ok(&rsa.signer, "<tag>data</tag>", &o);
	g_autofree char *want_masked = mask_values(want);
	g_autofree char *got_masked = mask_values(got);

	/* Everything but the signature value and the certificate is the same
	 * byte for byte, DigestValue included (SHA-256 of "<tag>data</tag>"). */
	g_assert_cmpstr(got_masked, ==, want_masked);
	g_assert_nonnull(strstr(got, "soDZFGIUsZ1x0sK/7x1bJvtGeQsO0BKOVwAvKxC3RJY="));
	g_assert_true(xmlsec_verifies(got, rsa.crt, NULL));
}

/* SignatureValue and X509Certificate: base64 in lines of 76 between
 * separators, like the recordings (RSA-2048: 344 chars → 5 lines). */
static void test_layout_base64(void)
{
	struct xmldsig_options o = {.crlf = true};
	g_autofree char *got = sign_ok(&rsa.signer, "<tag>data</tag>", &o);
	const char *v = strstr(got, "<ds:SignatureValue>") + strlen("<ds:SignatureValue>");
	const char *end = strstr(v, "</ds:SignatureValue>");
	g_auto(GStrv) lines = NULL;
	g_autofree char *value = g_strndup(v, end - v);

	lines = g_strsplit(value, "\r\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 7); /* "", 5 lines, "" */
	g_assert_cmpstr(lines[0], ==, "");
	for (int i = 1; i < 5; i++)
		g_assert_cmpuint(strlen(lines[i]), ==, 76);
	g_assert_cmpuint(strlen(lines[5]), ==, 344 - 4 * 76);
	g_assert_cmpstr(lines[6], ==, "");
	g_assert_nonnull(strstr(got, "<ds:X509Certificate>\r\nMII"));
	/* No bare "\n" anywhere when crlf. */
	for (const char *p = got; (p = strchr(p, '\n')); p++)
		g_assert_cmpint(p[-1], ==, '\r');
}

/* --- signatures a second implementation accepts ---------------------------------- */

static const char ns_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- lead -->\n"
    "<r:root xmlns:r=\"urn:r\" xmlns=\"urn:default\" b=\"2\" a=\"1\" xml:lang=\"kk\">\n"
    "  <r:child at=\"x &amp; &lt;y&gt;\">text<!-- inner --><empty/></r:child>\n"
    "  <?pi data?>\n"
    "  <n xmlns:q=\"urn:q\" q:at=\"v\">тест<![CDATA[<raw>]]></n>\n"
    "</r:root>\n";

static void test_rsa_namespaces(void)
{
	for (int crlf = 0; crlf <= 1; crlf++) {
		struct xmldsig_options o = {.crlf = crlf};
		g_autofree char *got = sign_ok(&rsa.signer, ns_doc, &o);
		g_autofree char *tampered = replace_once(got, "тест", "тесТ");
		g_autofree char *attr = replace_once(got, "q:at=\"v\"", "q:at=\"w\"");

		g_assert_true(g_str_has_prefix(
		    got,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><!-- lead -->"));
		g_assert_true(g_str_has_suffix(got, "</ds:Signature></r:root>"));
		g_assert_true(xmlsec_verifies(got, rsa.crt, NULL));
		g_assert_false(xmlsec_verifies(tampered, rsa.crt, NULL));
		g_assert_false(xmlsec_verifies(attr, rsa.crt, NULL));
	}
}

static void test_ecdsa(void)
{
	g_autofree char *got = sign_ok(&ec.signer, ns_doc, NULL);
	g_autofree char *tampered = replace_once(got, "text", "texT");

	g_assert_nonnull(strstr(got, "xmldsig-more#ecdsa-sha256"));
	g_assert_true(xmlsec_verifies(got, ec.crt, NULL));
	g_assert_false(xmlsec_verifies(tampered, ec.crt, NULL));
}

static const char id_doc[] =
    "<root xmlns:p=\"urn:p\"><p:data Id=\"d1\" p:k=\"1\">signed<x/></p:data>"
    "<other>free</other><sigs/></root>";

static void test_by_id(void)
{
	struct xmldsig_options o = {.tbs_xpath = "//p:data", .parent_xpath = "/root/sigs"};
	g_autofree char *got = sign_ok(&rsa.signer, id_doc, &o);
	g_autofree char *inside = replace_once(got, "signed", "Signed");
	g_autofree char *outside = replace_once(got, "free", "Free");

	g_assert_nonnull(strstr(got, "<sigs><ds:Signature "));
	g_assert_nonnull(strstr(got, "<ds:Reference URI=\"#d1\">"));
	g_assert_null(strstr(got, "enveloped-signature"));
	g_assert_nonnull(
	    strstr(got, "<ds:Transforms>\n<ds:Transform Algorithm=\"http://www.w3.org/"
			"TR/2001/REC-xml-c14n-20010315#WithComments\"/>\n</ds:Transforms>"));
	g_assert_true(xmlsec_verifies(got, rsa.crt, "data"));
	g_assert_false(xmlsec_verifies(inside, rsa.crt, "data"));
	g_assert_true(xmlsec_verifies(outside, rsa.crt, "data"));
}

/* Signature inside the signed element: enveloped-signature is added, or
 * the signature could never verify. "id" spelt in lower case. */
static void test_by_id_inside(void)
{
	static const char doc[] = "<root><data id=\"x\">v</data></root>";
	struct xmldsig_options o = {.tbs_xpath = "/root/data", .parent_xpath = "//data"};
	g_autofree char *got = sign_ok(&rsa.signer, doc, &o);

	g_assert_nonnull(strstr(got, "<ds:Reference URI=\"#x\">"));
	g_assert_nonnull(strstr(got, "enveloped-signature"));
	g_assert_true(g_str_has_suffix(got, "</ds:Signature></data></root>"));
	/* xmlsec1 --id-attr takes one attribute name; "id" here. */
	{
		g_autofree char *file = g_build_filename(tmpdir, "inside.xml", NULL);
		g_autofree char *cmd = NULL, *out = NULL, *err = NULL;
		int status = -1;

		g_assert_true(g_file_set_contents(file, got, -1, NULL));
		cmd = g_strdup_printf("xmlsec1 --verify --trusted-pem %s --id-attr:id data %s",
				      rsa.crt, file);
		g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
		g_assert_true(g_spawn_check_wait_status(status, NULL));
	}
}

static void test_parent_only(void)
{
	static const char doc[] = "<a><b/><c/></a>";
	struct xmldsig_options o = {.parent_xpath = "//b"};
	g_autofree char *got = sign_ok(&rsa.signer, doc, &o);

	g_assert_nonnull(strstr(got, "<a><b><ds:Signature"));
	g_assert_nonnull(strstr(got, "<ds:Reference URI=\"\">"));
	g_assert_true(xmlsec_verifies(got, rsa.crt, NULL));
}

/* --- hostile and broken input ---------------------------------------------- */

static int sign_fail(const char *xml, size_t len, const struct xmldsig_options *o,
		     const struct xmldsig_limits *lim, char **ret_error)
{
	char *out = NULL;
	int r = xmldsig_sign(&rsa.signer, xml, len, o, lim, &out, ret_error);

	g_assert_null(out);
	return r;
}

static void test_parse_error_recorded(void)
{
	g_autofree char *err = NULL;

	/* Recorded exchange 22, word for word. */
	g_assert_cmpint(sign_fail("<this>is not a valid XML", 24, NULL, NULL, &err), ==,
			XMLDSIG_E_PARSE);
	g_assert_cmpstr(err, ==,
			"org.xml.sax.SAXParseException; lineNumber: 1; columnNumber: 25; XML "
			"document structures must start and end within the same entity.");
}

static void test_parse_error_other(void)
{
	g_autofree char *err = NULL;
	g_autofree char *empty = NULL;

	g_assert_cmpint(sign_fail("<a>\n<b></a>", 11, NULL, NULL, &err), ==, XMLDSIG_E_PARSE);
	g_assert_true(g_str_has_prefix(err, "org.xml.sax.SAXParseException; lineNumber: 2; "));
	g_assert_cmpint(sign_fail("", 0, NULL, NULL, &empty), ==, XMLDSIG_E_PARSE);
	g_assert_true(g_str_has_suffix(empty, "Premature end of file."));
}

static void test_xpath_errors(void)
{
	struct xmldsig_options nothing = {.tbs_xpath = "//missing"};
	struct xmldsig_options no_id = {.tbs_xpath = "//b"};
	struct xmldsig_options bad = {.parent_xpath = "//["};
	g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL;

	g_assert_cmpint(sign_fail("<a><b/></a>", 11, &nothing, NULL, &e1), ==, XMLDSIG_E_XPATH);
	g_assert_cmpstr(e1, ==, "tbsElementXPath \"//missing\" selects no element of the document");
	g_assert_cmpint(sign_fail("<a><b/></a>", 11, &no_id, NULL, &e2), ==, XMLDSIG_E_XPATH);
	g_assert_cmpstr(e2, ==, "tbsElementXPath \"//b\" selects an element without Id attribute");
	g_assert_cmpint(sign_fail("<a><b/></a>", 11, &bad, NULL, &e3), ==, XMLDSIG_E_XPATH);
	g_assert_nonnull(strstr(e3, "signatureParentElementXPath"));
	/* An expression that would run for ages is cut short by the XPath
	 * operation limit (a count of steps, not a clock): the same valid
	 * expression is evaluated on a small document, and refused on a
	 * large one. */
	{
		struct xmldsig_options slow = {
		    .tbs_xpath = "count(//*/following::*/following::*/following::*) < 0",
		};
		g_autofree char *small_err = NULL, *large_err = NULL;
		GString *doc = g_string_new("<a>");

		g_assert_cmpint(sign_fail("<a><b/><b/></a>", 15, &slow, NULL, &small_err), ==,
				XMLDSIG_E_XPATH);
		g_assert_null(strstr(small_err, "is not a valid XPath expression"));
		for (int i = 0; i < 2000; i++)
			g_string_append(doc, "<b/>");
		g_string_append(doc, "</a>");
		g_assert_cmpint(sign_fail(doc->str, doc->len, &slow, NULL, &large_err), ==,
				XMLDSIG_E_XPATH);
		g_assert_nonnull(strstr(large_err, "is not a valid XPath expression"));
		g_string_free(doc, TRUE);
	}
}

static void test_xxe(void)
{
	static const char *const docs[] = {
	    "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
	    "<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><x/>",
	    "<!DOCTYPE x [<!ENTITY e \"inline\">]><x>&e;</x>",
	    "<!DOCTYPE x [<!NOTATION n SYSTEM \"n\"><!ENTITY u SYSTEM \"u\" NDATA n>]><x/>",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(docs); i++) {
		char *out = NULL, *err = NULL;

		g_assert_cmpint(
		    xmldsig_sign(&rsa.signer, docs[i], strlen(docs[i]), NULL, NULL, &out, &err), ==,
		    XMLDSIG_E_FORBIDDEN);
		g_assert_null(out);
		g_assert_null(err);
	}
	/* An external subset makes undeclared entities legal: refused too. */
	{
		static const char doc[] = "<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><x>&e;</x>";

		g_assert_cmpint(sign_fail(doc, strlen(doc), NULL, NULL, NULL), ==,
				XMLDSIG_E_FORBIDDEN);
	}
	/* Without a DTD an undeclared entity is not well-formed. */
	{
		static const char doc[] = "<x>&e;</x>";
		g_autofree char *err = NULL;

		g_assert_cmpint(sign_fail(doc, strlen(doc), NULL, NULL, &err), ==, XMLDSIG_E_PARSE);
		g_assert_true(
		    g_str_has_prefix(err, "org.xml.sax.SAXParseException; lineNumber: 1; "));
	}
	/* A DOCTYPE without entities is signed, and dropped from the output. */
	{
		static const char doc[] = "<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><x>ok</x>";
		g_autofree char *got = sign_ok(&rsa.signer, doc, NULL);

		g_assert_null(strstr(got, "DOCTYPE"));
		g_assert_null(strstr(got, "root:"));
		g_assert_true(xmlsec_verifies(got, rsa.crt, NULL));
	}
}

static void test_billion_laughs(void)
{
	GString *doc = g_string_new("<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
	g_autofree char *xml = NULL;
	gint64 start = g_get_monotonic_time();

	for (int i = 1; i < 10; i++)
		g_string_append_printf(doc,
				       "<!ENTITY lol%d \"&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;"
				       "&lol%s;&lol%s;&lol%s;&lol%s;\">",
				       i, "", "", "", "", "", "", "", "", "", "");
	g_string_append(doc, "]><lolz>&lol9;</lolz>");
	xml = g_string_free(doc, FALSE);
	g_assert_cmpint(sign_fail(xml, strlen(xml), NULL, NULL, NULL), ==, XMLDSIG_E_FORBIDDEN);
	g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
}

static void test_limits(void)
{
	struct xmldsig_limits lim = {.max_size = 1024, .max_depth = 8};
	GString *deep = g_string_new(NULL);
	g_autofree char *big = g_strnfill(1025, ' ');
	char *out = NULL;

	memcpy(big, "<a>", 3);
	memcpy(big + 1020, "</a>", 4);
	g_assert_cmpint(sign_fail(big, 1025, NULL, &lim, NULL), ==, XMLDSIG_E_LIMIT);
	/* The same document without its last byte is exactly at the cap. */
	g_assert_cmpint(xmldsig_sign(&rsa.signer, big, 1024, NULL, &lim, &out, NULL), ==, 0);
	free(out);

	for (int i = 0; i < 8; i++)
		g_string_append(deep, "<d>");
	for (int i = 0; i < 8; i++)
		g_string_append(deep, "</d>");
	g_assert_cmpint(xmldsig_sign(&rsa.signer, deep->str, deep->len, NULL, &lim, &out, NULL), ==,
			0);
	free(out);
	g_string_prepend(deep, "<d>");
	g_string_append(deep, "</d>");
	g_assert_cmpint(sign_fail(deep->str, deep->len, NULL, &lim, NULL), ==, XMLDSIG_E_LIMIT);
	g_string_free(deep, TRUE);

	/* Beyond libxml2's own 256 with the default limits. */
	deep = g_string_new(NULL);
	for (int i = 0; i < 300; i++)
		g_string_append(deep, "<d>");
	for (int i = 0; i < 300; i++)
		g_string_append(deep, "</d>");
	g_assert_cmpint(sign_fail(deep->str, deep->len, NULL, NULL, NULL), ==, XMLDSIG_E_LIMIT);
	g_string_free(deep, TRUE);
}

/* --- the KalkanCrypt GOST fixture ----------------------------------------------- */

static char *fixture(const char *name, size_t *ret_len)
{
	char *text = NULL;
	gsize len = 0;

	g_assert_true(g_file_get_contents(name, &text, &len, NULL));
	if (ret_len)
		*ret_len = len;
	return text;
}

/* The enveloped transform and our C14N leave of the signed fixture exactly
 * the canonical input (checked with SHA-256, which needs no Streebog). */
static void test_gost_fixture_c14n(void)
{
	size_t in_len, signed_len, n1 = 0, n2 = 0, n3 = 0;
	g_autofree char *in = fixture(DATA_FILE("gost512-simple.input.xml"), &in_len);
	g_autofree char *sig = fixture(DATA_FILE("gost512-simple.signed.xml"), &signed_len);
	uint8_t d1[SIGNER_DIGEST_MAX], d2[SIGNER_DIGEST_MAX], d3[SIGNER_DIGEST_MAX];

	g_assert_cmpint(
	    xmldsig_document_digest(SIGNER_ALG_RSA_SHA256, sig, signed_len, NULL, d1, &n1, NULL),
	    ==, 0);
	g_assert_cmpint(
	    xmldsig_document_digest(SIGNER_ALG_RSA_SHA256, in, in_len, NULL, d2, &n2, NULL), ==, 0);
	g_assert_cmpmem(d1, n1, d2, n2);
	/* The input is already canonical. */
	g_assert_cmpint(signer_digest(SIGNER_ALG_RSA_SHA256, in, in_len, d3, &n3), ==, 0);
	g_assert_cmpmem(d1, n1, d3, n3);
}

/* The fixture's DigestValue recomputed: Streebog over our C14N. */
static void test_gost_fixture_digest(void)
{
	size_t signed_len, n = 0, want_len = 0;
	g_autofree char *sig = fixture(DATA_FILE("gost512-simple.signed.xml"), &signed_len);
	uint8_t d[SIGNER_DIGEST_MAX];
	const char *v = strstr(sig, "<ds:DigestValue>") + strlen("<ds:DigestValue>");
	g_autofree char *b64 = g_strndup(v, strstr(v, "</ds:DigestValue>") - v);
	g_autofree char *clean = replace_once(b64, "&#13;\n", "");
	g_autofree guchar *want = g_base64_decode(clean, &want_len);
	int r =
	    xmldsig_document_digest(SIGNER_ALG_GOST2015_512, sig, signed_len, NULL, d, &n, NULL);

	if (r == XMLDSIG_E_UNSUPPORTED) {
		g_test_skip("signer_digest() has no Streebog yet (SIGNER_ALG_GOST2015_512)");
		return;
	}
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpmem(d, n, want, want_len);
}

struct fixed_signer {
	GBytes *value; /* KalkanCrypt's SignatureValue, decoded */
	X509 *cert;
	int verified; /* kzgost_verify() of that value over our digest */
};

/* Hands back KalkanCrypt's signature value, after checking that it is a
 * valid signature (as r‖s little-endian, unchanged) of the digest of our
 * canonical SignedInfo: then our C14N of SignedInfo is what KalkanCrypt
 * signed, and the XML holds the value in kzgost's byte order. */
static int fixed_sign(void *ctx, const uint8_t *digest, size_t digest_len, uint8_t **ret_sig,
		      size_t *ret_len)
{
	struct fixed_signer *f = ctx;
	uint8_t pub[KZGOST_PUBLIC_KEY_SIZE];
	gsize n;
	const uint8_t *p = g_bytes_get_data(f->value, &n);

	g_assert_cmpuint(digest_len, ==, KZGOST_DIGEST_SIZE);
	g_assert_cmpuint(n, ==, KZGOST_SIGNATURE_SIZE);
	g_assert_cmpint(kzgost_cert_public_key(f->cert, pub), ==, 0);
	f->verified = kzgost_verify(pub, digest, p);
	*ret_sig = OPENSSL_memdup(p, n);
	*ret_len = n;
	return 0;
}

/* Our layout with base64_cr is KalkanCrypt's byte for byte (apart from the
 * XML declaration it leaves out): same input, same certificate, the
 * fixture's signature value handed back by a stand-in signer. */
static void test_gost_fixture_layout(void)
{
	size_t in_len;
	g_autofree char *in = fixture(DATA_FILE("gost512-simple.input.xml"), &in_len);
	g_autofree char *want = fixture(DATA_FILE("gost512-simple.signed.xml"), NULL);
	const char *v = strstr(want, "<ds:SignatureValue>\n") + strlen("<ds:SignatureValue>\n");
	g_autofree char *b64 = g_strndup(v, strstr(v, "\n</ds:SignatureValue>") - v);
	g_auto(GStrv) parts = g_strsplit(b64, "&#13;\n", -1);
	g_autofree char *joined = g_strjoinv("", parts);
	gsize value_len = 0;
	guchar *value = g_base64_decode(joined, &value_len);
	g_autoptr(GBytes) bytes = g_bytes_new_take(value, value_len);
	struct xmldsig_options o = {.base64_cr = true};
	BIO *b = BIO_new_file(DATA_FILE("gost512-cert.pem"), "r");
	X509 *cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	struct fixed_signer f = {.value = bytes, .cert = cert, .verified = -1};
	struct signer s = {
	    .alg = SIGNER_ALG_GOST2015_512,
	    .cert = cert,
	    .sign_digest = fixed_sign,
	    .ctx = &f,
	};
	char *out = NULL;
	int r;

	BIO_free(b);
	g_assert_nonnull(cert);
	g_assert_cmpuint(value_len, ==, 128);
	r = xmldsig_sign(&s, in, in_len, &o, NULL, &out, NULL);
	X509_free(cert);
	if (r == XMLDSIG_E_UNSUPPORTED) {
		g_test_skip("signer_digest() has no Streebog yet (SIGNER_ALG_GOST2015_512)");
		return;
	}
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpint(f.verified, ==, 0);
	g_assert_true(g_str_has_prefix(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" "
					    "standalone=\"no\"?>"));
	g_assert_cmpstr(strchr(out, '>') + 1, ==, want);
	free(out);
}

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	key_load(&rsa, RSA_PEM, RSA_PEM ".crt");
	key_load(&ec, EC_PEM, EC_PEM ".crt");
	tmpdir = g_dir_make_tmp("test-xmldsig-XXXXXX", NULL);
	g_assert_nonnull(tmpdir);

	g_test_add_data_func("/xmldsig/layout/commonutils-crlf", GINT_TO_POINTER(25),
			     test_layout_recorded);
	g_test_add_data_func("/xmldsig/layout/basics-lf", GINT_TO_POINTER(48),
			     test_layout_recorded);
	g_test_add_func("/xmldsig/layout/base64", test_layout_base64);
	g_test_add_func("/xmldsig/rsa/namespaces", test_rsa_namespaces);
	g_test_add_func("/xmldsig/ecdsa", test_ecdsa);
	g_test_add_func("/xmldsig/by-id", test_by_id);
	g_test_add_func("/xmldsig/by-id/inside", test_by_id_inside);
	g_test_add_func("/xmldsig/parent-only", test_parent_only);
	g_test_add_func("/xmldsig/bad/parse-recorded", test_parse_error_recorded);
	g_test_add_func("/xmldsig/bad/parse-other", test_parse_error_other);
	g_test_add_func("/xmldsig/bad/xpath", test_xpath_errors);
	g_test_add_func("/xmldsig/bad/xxe", test_xxe);
	g_test_add_func("/xmldsig/bad/billion-laughs", test_billion_laughs);
	g_test_add_func("/xmldsig/bad/limits", test_limits);
	g_test_add_func("/xmldsig/gost/fixture-c14n", test_gost_fixture_c14n);
	g_test_add_func("/xmldsig/gost/fixture-digest", test_gost_fixture_digest);
	g_test_add_func("/xmldsig/gost/fixture-layout", test_gost_fixture_layout);
	r = g_test_run();

	test_rm_rf(tmpdir);
	g_free(tmpdir);
	EVP_PKEY_free(rsa.key);
	X509_free(rsa.cert);
	EVP_PKEY_free(ec.key);
	X509_free(ec.cert);
	return r;
}
