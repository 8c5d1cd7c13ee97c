#include "daemon/crypto/xmldsig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlsave.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/evp.h>

#include "util/cleanup.h"

#define DS_NS "http://www.w3.org/2000/09/xmldsig#"
#define C14N_URI "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define C14N_COMMENTS_URI C14N_URI "#WithComments"
#define ENVELOPED_URI DS_NS "enveloped-signature"
#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>"
#define B64_LINE 76
#define XPATH_OP_LIMIT 2000000ul

DEFINE_POINTER_CLEANUP(xmlFreeDoc, xmlDoc)
DEFINE_POINTER_CLEANUP(xmlFreeParserCtxt, xmlParserCtxt)
DEFINE_POINTER_CLEANUP(xmlXPathFreeContext, xmlXPathContext)
DEFINE_POINTER_CLEANUP(xmlXPathFreeObject, xmlXPathObject)
DEFINE_POINTER_CLEANUP(xmlBufferFree, xmlBuffer)
DEFINE_POINTER_CLEANUP(signer_hash_free, struct signer_hash)

static void openssl_freep(void *p)
{
	OPENSSL_free(*(void **)p);
}

/* libxml2 prints the errors of C14N and saving through its per-thread
 * error handlers; library code does not print, so they are silenced
 * for the duration of a call (and restored: the caller may have its own). */
struct quiet_errors {
	xmlStructuredErrorFunc func;
	void *ctx;
};

static void quiet_handler(void *ctx, xmlErrorPtr error)
{
}

static struct quiet_errors errors_quiet(void)
{
	struct quiet_errors saved = {xmlStructuredError, xmlStructuredErrorContext};

	xmlSetStructuredErrorFunc(NULL, quiet_handler);
	return saved;
}

static void errors_restore(struct quiet_errors *saved)
{
	xmlSetStructuredErrorFunc(saved->ctx, saved->func);
}

/* --- parsing ------------------------------------------------------------ */

/* The SAX hooks refuse while parsing, so a billion-laughs DTD or a
 * 100000-deep document costs nothing before it is turned away. */
struct parse_state {
	unsigned max_depth;
	int refused; /* 0, XMLDSIG_E_FORBIDDEN or XMLDSIG_E_LIMIT */
	startElementNsSAX2Func start_element;
};

static void parse_refuse(xmlParserCtxtPtr ctxt, int why)
{
	struct parse_state *st = ctxt->_private;

	if (!st->refused)
		st->refused = why;
	xmlStopParser(ctxt);
}

static void hook_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
			     const xmlChar *system_id, xmlChar *content)
{
	parse_refuse(ctx, XMLDSIG_E_FORBIDDEN);
}

static void hook_unparsed_entity_decl(void *ctx, const xmlChar *name, const xmlChar *public_id,
				      const xmlChar *system_id, const xmlChar *notation)
{
	parse_refuse(ctx, XMLDSIG_E_FORBIDDEN);
}

/* Only references to undeclared entities get here (declarations are
 * refused): a DOCTYPE with an external subset makes them legal, and they
 * would stay in the tree as references nobody can resolve. */
static void hook_reference(void *ctx, const xmlChar *name)
{
	parse_refuse(ctx, XMLDSIG_E_FORBIDDEN);
}

static void hook_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
			       const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
			       int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_state *st = ctxt->_private;

	/* nameNr counts the open ancestors; this element is one deeper. */
	if ((unsigned)ctxt->nameNr + 1 > st->max_depth) {
		parse_refuse(ctxt, XMLDSIG_E_LIMIT);
		return;
	}
	st->start_element(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
			  nb_defaulted, attributes);
}

/* NCALayer reports parse errors with Xerces' SAXParseException text. The
 * messages of the errors users make most are Xerces' own; the others keep
 * libxml2's wording in the same frame. */
static char *parse_error_text(xmlParserCtxtPtr ctxt)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	const char *msg = "XML document structures must start and end within the same entity.";
	size_t n;
	char *text = NULL;

	if (e) {
		switch (e->code) {
		case XML_ERR_TAG_NOT_FINISHED:
			break;
		case XML_ERR_DOCUMENT_EMPTY:
			msg = "Premature end of file.";
			break;
		default:
			msg = e->message ? e->message : "Invalid XML.";
			break;
		}
	}
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (asprintf(&text, "org.xml.sax.SAXParseException; lineNumber: %d; columnNumber: %d; %.*s",
		     e ? e->line : 1, e ? e->int2 : 1, (int)n, msg) < 0)
		return NULL;
	return text;
}

static int doc_parse(const char *xml, size_t len, const struct xmldsig_limits *lim,
		     xmlDocPtr *ret_doc, char **ret_error)
{
	_cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = NULL;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	struct parse_state st = {.max_depth = lim->max_depth};
	const xmlError *e;

	if (len > lim->max_size || len > INT_MAX)
		return XMLDSIG_E_LIMIT;
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return -ENOMEM;
	ctxt->_private = &st;
	st.start_element = ctxt->sax->startElementNs;
	ctxt->sax->startElementNs = hook_start_element;
	ctxt->sax->entityDecl = hook_entity_decl;
	ctxt->sax->unparsedEntityDecl = hook_unparsed_entity_decl;
	ctxt->sax->reference = hook_reference;

	/* No XML_PARSE_NOENT (no substitution), no DTDLOAD/DTDATTR (no
	 * external subset), no HUGE (libxml2's own caps stay), no output. */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (st.refused)
		return st.refused;
	e = xmlCtxtGetLastError(ctxt);
	if (e && e->code == XML_ERR_NO_MEMORY)
		return -ENOMEM;
	/* Deeper than libxml2's own limit (256 without HUGE). */
	if (e && e->code == XML_ERR_INTERNAL_ERROR && e->message &&
	    strstr(e->message, "Excessive depth"))
		return XMLDSIG_E_LIMIT;
	if (!doc || !ctxt->wellFormed || !xmlDocGetRootElement(doc)) {
		if (ret_error) {
			*ret_error = parse_error_text(ctxt);
			if (!*ret_error)
				return -ENOMEM;
		}
		return XMLDSIG_E_PARSE;
	}
	*ret_doc = TAKE_PTR(doc);
	return 0;
}

/* --- XPath ---------------------------------------------------------------- */

static void xpath_quiet(void *user, xmlErrorPtr error)
{
}

static int xpath_error(char **ret_error, const char *what, const char *expr, const char *problem)
{
	if (ret_error && asprintf(ret_error, "%s \"%s\" %s", what, expr, problem) < 0) {
		*ret_error = NULL;
		return -ENOMEM;
	}
	return XMLDSIG_E_XPATH;
}

/* The first element (document order) expr selects. */
static int xpath_first_element(xmlDocPtr doc, const char *expr, const char *what, xmlNodePtr *ret,
			       char **ret_error)
{
	_cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
	_cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr obj = NULL;
	xmlNodePtr root = xmlDocGetRootElement(doc);

	ctx = xmlXPathNewContext(doc);
	if (!ctx)
		return -ENOMEM;
	ctx->error = xpath_quiet; /* library code does not print */
	/* The expression comes from the web page: cap its work (libxml2
	 * counts steps and visited nodes once opLimit is set; 2 million is
	 * about a second here, and far above "//x" on any real document). */
	ctx->opLimit = XPATH_OP_LIMIT;
	ctx->opCount = 0;
	for (xmlNsPtr ns = root->nsDef; ns; ns = ns->next)
		if (ns->prefix && xmlXPathRegisterNs(ctx, ns->prefix, ns->href) < 0)
			return -ENOMEM;
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	if (!obj)
		return xpath_error(ret_error, what, expr, "is not a valid XPath expression");
	if (obj->type == XPATH_NODESET && obj->nodesetval) {
		xmlXPathNodeSetSort(obj->nodesetval);
		for (int i = 0; i < obj->nodesetval->nodeNr; i++) {
			xmlNodePtr n = obj->nodesetval->nodeTab[i];

			if (n && n->type == XML_ELEMENT_NODE) {
				*ret = n;
				return 0;
			}
		}
	}
	return xpath_error(ret_error, what, expr, "selects no element of the document");
}

/* --- canonicalisation into a hash ------------------------------------------ */

static int visible_no_comments(void *user, xmlNodePtr node, xmlNodePtr parent)
{
	return node && node->type != XML_COMMENT_NODE;
}

/* Is node (attribute, namespace node of parent, other) inside top? */
static bool in_subtree(xmlNodePtr node, xmlNodePtr parent, xmlNodePtr top)
{
	xmlNodePtr n = node->type == XML_NAMESPACE_DECL ? parent : node;

	for (; n; n = n->parent)
		if (n == top)
			return true;
	return false;
}

static int visible_subtree(void *user, xmlNodePtr node, xmlNodePtr parent)
{
	return node && node->type != XML_COMMENT_NODE && in_subtree(node, parent, user);
}

static int visible_outside(void *user, xmlNodePtr node, xmlNodePtr parent)
{
	return node && node->type != XML_COMMENT_NODE && !in_subtree(node, parent, user);
}

struct hash_sink {
	struct signer_hash *hash;
	int r;
};

static int hash_sink_write(void *user, const char *buf, int len)
{
	struct hash_sink *sink = user;

	sink->r = signer_hash_update(sink->hash, buf, (size_t)len);
	return sink->r < 0 ? -1 : len;
}

static int map_signer_error(int r)
{
	if (r == SIGNER_E_UNSUPPORTED)
		return XMLDSIG_E_UNSUPPORTED;
	if (r == SIGNER_E_FAILED)
		return XMLDSIG_E_SIGN_FAILED;
	return r;
}

/* Inclusive C14N 1.0 without comments of the nodes visible() accepts,
 * streamed into alg's hash. */
static int c14n_digest(xmlDocPtr doc, xmlC14NIsVisibleCallback visible, void *user,
		       enum signer_algorithm alg, uint8_t ret[SIGNER_DIGEST_MAX], size_t *ret_len)
{
	_cleanup_(signer_hash_freep) struct signer_hash *h = NULL;
	struct hash_sink sink = {0};
	xmlOutputBufferPtr out;
	int r, n;

	r = signer_hash_new(alg, &h);
	if (r != 0)
		return map_signer_error(r);
	sink.hash = h;
	out = xmlOutputBufferCreateIO(hash_sink_write, NULL, &sink, NULL);
	if (!out)
		return -ENOMEM;
	n = xmlC14NExecute(doc, visible, user, XML_C14N_1_0, NULL, 0, out);
	r = xmlOutputBufferClose(out);
	if (sink.r < 0)
		return sink.r;
	if (n < 0 || r < 0)
		return -EIO;
	return signer_hash_final(h, ret, ret_len);
}

/* --- the Signature element ---------------------------------------------------- */

/* Base64 in lines of 76 joined by sep; with outer, a newline before the
 * first and after the last line (Santuario's addBase64Text adds "\n"
 * text nodes around the encoder's output; KalkanCrypt's fixture shows the
 * lines joined by "\r\n" but these two plain). */
static char *base64_lines(const uint8_t *data, size_t len, const char *sep, bool outer)
{
	size_t b64_len = 4 * ((len + 2) / 3), seplen = strlen(sep);
	size_t lines = b64_len / B64_LINE + 1;
	_cleanup_(openssl_freep) char *b64 = NULL;
	char *out, *p;

	if (len > INT_MAX / 2)
		return NULL;
	b64 = OPENSSL_malloc(b64_len + 1);
	out = malloc(b64_len + lines * seplen + 3);
	if (!b64 || !out) {
		free(out);
		return NULL;
	}
	EVP_EncodeBlock((unsigned char *)b64, data, (int)len);
	p = out;
	if (outer)
		*p++ = '\n';
	for (size_t i = 0; i < b64_len; i += B64_LINE) {
		size_t n = b64_len - i < B64_LINE ? b64_len - i : B64_LINE;

		if (i > 0)
			p = stpcpy(p, sep);
		memcpy(p, b64 + i, n);
		p += n;
	}
	if (outer)
		*p++ = '\n';
	*p = '\0';
	return out;
}

struct sig_builder {
	xmlDocPtr doc;
	xmlNsPtr ns;
	int r;
};

static void b_text(struct sig_builder *b, xmlNodePtr parent, const char *text)
{
	xmlNodePtr t;

	if (b->r < 0)
		return;
	t = xmlNewDocText(b->doc, BAD_CAST text);
	if (!t || !xmlAddChild(parent, t)) {
		xmlFreeNode(t);
		b->r = -ENOMEM;
	}
}

/* A child element, followed by a newline unless it is the last. */
static xmlNodePtr b_element(struct sig_builder *b, xmlNodePtr parent, const char *name,
			    const char *algorithm)
{
	xmlNodePtr e;

	if (b->r < 0)
		return NULL;
	e = xmlNewChild(parent, b->ns, BAD_CAST name, NULL);
	if (!e || (algorithm && !xmlNewProp(e, BAD_CAST "Algorithm", BAD_CAST algorithm))) {
		b->r = -ENOMEM;
		return NULL;
	}
	return e;
}

static xmlNodePtr build_signature(xmlDocPtr doc, const struct signer *s, const char *uri,
				  bool enveloped, const char *digest_b64, const char *cert_b64,
				  xmlNodePtr *ret_signed_info, xmlNodePtr *ret_value)
{
	struct sig_builder b = {.doc = doc};
	xmlNodePtr sig, si, ref, tr, ki, xd, e;

	sig = xmlNewDocNode(doc, NULL, BAD_CAST "Signature", NULL);
	if (!sig)
		return NULL;
	b.ns = xmlNewNs(sig, BAD_CAST DS_NS, BAD_CAST "ds");
	if (!b.ns) {
		xmlFreeNode(sig);
		return NULL;
	}
	xmlSetNs(sig, b.ns);

	b_text(&b, sig, "\n");
	si = b_element(&b, sig, "SignedInfo", NULL);
	b_text(&b, sig, "\n");
	b_text(&b, si, "\n");
	b_element(&b, si, "CanonicalizationMethod", C14N_URI);
	b_text(&b, si, "\n");
	b_element(&b, si, "SignatureMethod", signer_signature_uri(s->alg));
	b_text(&b, si, "\n");
	ref = b_element(&b, si, "Reference", NULL);
	b_text(&b, si, "\n");
	if (ref && !xmlNewProp(ref, BAD_CAST "URI", BAD_CAST uri))
		b.r = -ENOMEM;
	b_text(&b, ref, "\n");
	tr = b_element(&b, ref, "Transforms", NULL);
	b_text(&b, ref, "\n");
	b_text(&b, tr, "\n");
	if (enveloped) {
		b_element(&b, tr, "Transform", ENVELOPED_URI);
		b_text(&b, tr, "\n");
	}
	b_element(&b, tr, "Transform", C14N_COMMENTS_URI);
	b_text(&b, tr, "\n");
	b_element(&b, ref, "DigestMethod", signer_digest_uri(s->alg));
	b_text(&b, ref, "\n");
	e = b_element(&b, ref, "DigestValue", NULL);
	b_text(&b, ref, "\n");
	b_text(&b, e, digest_b64);

	*ret_value = b_element(&b, sig, "SignatureValue", NULL);
	b_text(&b, sig, "\n");
	ki = b_element(&b, sig, "KeyInfo", NULL);
	b_text(&b, sig, "\n");
	b_text(&b, ki, "\n");
	xd = b_element(&b, ki, "X509Data", NULL);
	b_text(&b, ki, "\n");
	b_text(&b, xd, "\n");
	e = b_element(&b, xd, "X509Certificate", NULL);
	b_text(&b, xd, "\n");
	b_text(&b, e, cert_b64);

	if (b.r < 0) {
		xmlFreeNode(sig);
		return NULL;
	}
	*ret_signed_info = si;
	return sig;
}

/* The signature value as XMLDSig wants it: RSA and GOST as the signer
 * returns them, ECDSA as r‖s big-endian. */
static int sign_signed_info(const struct signer *s, xmlDocPtr doc, xmlNodePtr signed_info,
			    uint8_t **ret_sig, size_t *ret_len)
{
	uint8_t digest[SIGNER_DIGEST_MAX];
	size_t n = 0, sig_len = 0, raw_len = 0;
	_cleanup_(openssl_freep) uint8_t *sig = NULL;
	uint8_t *raw = NULL;
	int r;

	r = c14n_digest(doc, visible_subtree, signed_info, s->alg, digest, &n);
	if (r != 0)
		return r;
	r = s->sign_digest(s->ctx, digest, n, &sig, &sig_len);
	if (r != 0)
		return map_signer_error(r);
	if (s->alg == SIGNER_ALG_ECDSA_SHA256) {
		int bits = EVP_PKEY_get_bits(X509_get0_pubkey(s->cert));

		if (bits <= 0)
			return -EINVAL;
		r = signer_ecdsa_der_to_raw(sig, sig_len, ((size_t)bits + 7) / 8, &raw, &raw_len);
		if (r != 0)
			return r;
		*ret_sig = raw;
		*ret_len = raw_len;
		return 0;
	}
	*ret_sig = TAKE_PTR(sig);
	*ret_len = sig_len;
	return 0;
}

static int cert_base64(X509 *cert, const char *sep, char **ret)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);
	char *b64;

	if (n <= 0)
		return -EINVAL;
	b64 = base64_lines(der, (size_t)n, sep, true);
	OPENSSL_free(der);
	if (!b64)
		return -ENOMEM;
	*ret = b64;
	return 0;
}

/* The document as Java's Transformer writes it: our declaration, then
 * the top-level nodes without separators, the DOCTYPE left out. */
static int doc_serialize(xmlDocPtr doc, bool crlf, char **ret)
{
	_cleanup_(xmlBufferFreep) xmlBufferPtr buf = NULL;
	xmlSaveCtxtPtr save;
	const char *body;
	size_t len, extra = 0;
	char *out, *p;

	buf = xmlBufferCreate();
	if (!buf)
		return -ENOMEM;
	save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL | XML_SAVE_AS_XML);
	if (!save)
		return -ENOMEM;
	for (xmlNodePtr n = doc->children; n; n = n->next)
		if (n->type != XML_DTD_NODE && xmlSaveTree(save, n) < 0) {
			xmlSaveClose(save);
			return -ENOMEM;
		}
	if (xmlSaveClose(save) < 0)
		return -ENOMEM;

	body = (const char *)xmlBufferContent(buf);
	len = (size_t)xmlBufferLength(buf);
	if (crlf)
		for (size_t i = 0; i < len; i++)
			extra += body[i] == '\n';
	out = malloc(strlen(XML_DECL) + len + extra + 1);
	if (!out)
		return -ENOMEM;
	p = stpcpy(out, XML_DECL);
	for (size_t i = 0; i < len; i++) {
		if (crlf && body[i] == '\n')
			*p++ = '\r';
		*p++ = body[i];
	}
	*p = '\0';
	*ret = out;
	return 0;
}

static const xmlChar *element_id(xmlNodePtr e)
{
	static const char *const names[] = {"Id", "ID", "id"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		xmlAttrPtr a = xmlHasNsProp(e, BAD_CAST names[i], NULL);

		if (a && a->children && a->children->type == XML_TEXT_NODE)
			return a->children->content;
	}
	return NULL;
}

static bool is_empty(const char *s)
{
	return !s || !*s;
}

static int sign_document(const struct signer *s, const char *xml, size_t len,
			 const struct xmldsig_options *o, const struct xmldsig_limits *lim,
			 char **ret_xml, char **ret_error)
{
	static const struct xmldsig_options default_options = {0};
	struct xmldsig_limits limits = lim ? *lim : XMLDSIG_LIMITS_DEFAULT;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_free_ char *digest_b64 = NULL, *cert_b64 = NULL, *value_b64 = NULL;
	_cleanup_free_ char *id_uri = NULL;
	_cleanup_(openssl_freep) uint8_t *sig = NULL;
	const char *b64_sep;
	xmlNodePtr tbs = NULL, parent, signature, signed_info = NULL, value = NULL, t;
	uint8_t digest[SIGNER_DIGEST_MAX];
	size_t digest_len = 0, sig_len = 0;
	bool enveloped = true;
	int r;

	if (!s || !s->cert || !s->sign_digest || (!xml && len > 0) || !ret_xml)
		return -EINVAL;
	if (!o)
		o = &default_options;
	/* In the tree newlines are "\n" (what a verifier's parser sees);
	 * crlf is applied when writing out. */
	b64_sep = o->base64_cr ? "\r\n" : "\n";

	r = doc_parse(xml, len, &limits, &doc, ret_error);
	if (r != 0)
		return r;
	parent = xmlDocGetRootElement(doc);
	if (!is_empty(o->tbs_xpath)) {
		const xmlChar *id;

		r = xpath_first_element(doc, o->tbs_xpath, "tbsElementXPath", &tbs, ret_error);
		if (r != 0)
			return r;
		id = element_id(tbs);
		if (!id) {
			return xpath_error(ret_error, "tbsElementXPath", o->tbs_xpath,
					   "selects an element without Id attribute");
		}
		if (asprintf(&id_uri, "#%s", (const char *)id) < 0) {
			id_uri = NULL;
			return -ENOMEM;
		}
	}
	if (!is_empty(o->parent_xpath)) {
		r = xpath_first_element(doc, o->parent_xpath, "signatureParentElementXPath",
					&parent, ret_error);
		if (r != 0)
			return r;
	}

	/* The reference's digest, before the Signature exists: what the
	 * enveloped-signature transform leaves is exactly this. */
	if (tbs) {
		r = c14n_digest(doc, visible_subtree, tbs, s->alg, digest, &digest_len);
		enveloped = in_subtree(parent, NULL, tbs);
	} else {
		r = c14n_digest(doc, visible_no_comments, NULL, s->alg, digest, &digest_len);
	}
	if (r != 0)
		return r;
	digest_b64 = base64_lines(digest, digest_len, b64_sep, false);
	if (!digest_b64)
		return -ENOMEM;
	r = cert_base64(s->cert, b64_sep, &cert_b64);
	if (r != 0)
		return r;

	signature = build_signature(doc, s, tbs ? id_uri : "", enveloped, digest_b64, cert_b64,
				    &signed_info, &value);
	if (!signature)
		return -ENOMEM;
	if (!xmlAddChild(parent, signature)) {
		xmlFreeNode(signature);
		return -ENOMEM;
	}

	/* SignedInfo in its final place, with the namespaces in scope there. */
	r = sign_signed_info(s, doc, signed_info, &sig, &sig_len);
	if (r != 0)
		return r;
	value_b64 = base64_lines(sig, sig_len, b64_sep, true);
	if (!value_b64)
		return -ENOMEM;
	t = xmlNewDocText(doc, BAD_CAST value_b64);
	if (!t || !xmlAddChild(value, t)) {
		xmlFreeNode(t);
		return -ENOMEM;
	}
	return doc_serialize(doc, o->crlf, ret_xml);
}

int xmldsig_sign(const struct signer *s, const char *xml, size_t len,
		 const struct xmldsig_options *o, const struct xmldsig_limits *lim, char **ret_xml,
		 char **ret_error)
{
	_cleanup_(errors_restore) struct quiet_errors saved = errors_quiet();

	return sign_document(s, xml, len, o, lim, ret_xml, ret_error);
}

static xmlNodePtr find_signature(xmlNodePtr n)
{
	while (n && n->type != XML_DOCUMENT_NODE) {
		if (n->type == XML_ELEMENT_NODE && n->ns &&
		    xmlStrEqual(n->ns->href, BAD_CAST DS_NS) &&
		    xmlStrEqual(n->name, BAD_CAST "Signature"))
			return n;
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && n->type != XML_DOCUMENT_NODE && !n->next)
			n = n->parent;
		if (n && n->type != XML_DOCUMENT_NODE)
			n = n->next;
	}
	return NULL;
}

int xmldsig_document_digest(enum signer_algorithm alg, const char *xml, size_t len,
			    const struct xmldsig_limits *lim, uint8_t ret[SIGNER_DIGEST_MAX],
			    size_t *ret_len, char **ret_error)
{
	struct xmldsig_limits limits = lim ? *lim : XMLDSIG_LIMITS_DEFAULT;
	_cleanup_(errors_restore) struct quiet_errors saved = errors_quiet();
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	xmlNodePtr signature;
	int r;

	if ((!xml && len > 0) || !ret || !ret_len)
		return -EINVAL;
	r = doc_parse(xml, len, &limits, &doc, ret_error);
	if (r != 0)
		return r;
	signature = find_signature(xmlDocGetRootElement(doc));
	if (signature)
		return c14n_digest(doc, visible_outside, signature, alg, ret, ret_len);
	return c14n_digest(doc, visible_no_comments, NULL, alg, ret, ret_len);
}
