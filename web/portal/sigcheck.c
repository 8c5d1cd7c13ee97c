#include "web/portal/sigcheck.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/streebog.h"
#include "util/cleanup.h"

DEFINE_POINTER_CLEANUP(CMS_ContentInfo_free, CMS_ContentInfo)
DEFINE_POINTER_CLEANUP(X509_free, X509)
DEFINE_POINTER_CLEANUP(BIO_free, BIO)
DEFINE_POINTER_CLEANUP(EVP_MD_CTX_free, EVP_MD_CTX)
DEFINE_POINTER_CLEANUP(xmlFreeDoc, xmlDoc)
DEFINE_POINTER_CLEANUP(xmlXPathFreeContext, xmlXPathContext)

static inline void x509_stack_freep(STACK_OF(X509) **s)
{
	sk_X509_pop_free(*s, X509_free);
}

#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define URI_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define URI_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"

static int invalid(const char **ret_why, const char *why)
{
	if (ret_why)
		*ret_why = why;
	return SIGCHECK_E_INVALID;
}

void sigcheck_result_clear(struct sigcheck_result *r)
{
	X509_free(r->signer);
	free(r->content);
	*r = SIGCHECK_RESULT_NULL;
}

static uint8_t *copy_content(const void *data, size_t len)
{
	uint8_t *c = malloc(len + 1);

	if (!c)
		return NULL;
	if (len)
		memcpy(c, data, len);
	c[len] = '\0';
	return c;
}

static int streebog(const void *data, size_t len, uint8_t ret[STREEBOG512_SIZE])
{
	int r = streebog512(data, len, ret);

	if (r == KZGOST_E_NO_STREEBOG)
		return -ENOTSUP;
	return r < 0 ? r : r ? -EIO : 0;
}

/* Issued by one of cas: the name chains and the CA's key made the
 * signature. */
static bool issued_by_any(X509 *cert, enum sigcheck_alg alg, STACK_OF(X509) *cas)
{
	for (int i = 0; i < sk_X509_num(cas); i++) {
		X509 *ca = sk_X509_value(cas, i);
		EVP_PKEY *key;

		if (X509_NAME_cmp(X509_get_subject_name(ca), X509_get_issuer_name(cert)) != 0)
			continue;
		if (alg == SIGCHECK_ALG_GOST2015_512) {
			if (kzgost_cert_verify_issued(ca, cert) == 0)
				return true;
			continue;
		}
		key = X509_get0_pubkey(ca);
		if (key && X509_check_issued(ca, cert) == X509_V_OK && X509_verify(cert, key) == 1)
			return true;
	}
	ERR_clear_error();
	return false;
}

static bool is_rsa(X509 *cert)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);

	ERR_clear_error();
	return key && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
}

/* Which of the accepted algorithms cert's key is, or 0 with *why. */
static enum sigcheck_alg key_alg(X509 *cert, unsigned algs, const char **why)
{
	if (kzgost_is_gost_cert(cert) && (algs & SIGCHECK_ALG_GOST2015_512))
		return SIGCHECK_ALG_GOST2015_512;
	if ((algs & SIGCHECK_ALG_RSA) && is_rsa(cert))
		return SIGCHECK_ALG_RSA;
	if (algs == SIGCHECK_ALG_GOST2015_512)
		*why = "the certificate has no GOST 2015-512 key";
	else
		*why = "the signer's key is neither GOST 2015-512 nor RSA";
	return 0;
}

static int gost_verify(X509 *cert, const uint8_t digest[KZGOST_DIGEST_SIZE], const uint8_t *sig,
		       size_t sig_len, const char **ret_why)
{
	uint8_t pub[KZGOST_PUBLIC_KEY_SIZE];

	if (sig_len != KZGOST_SIGNATURE_SIZE)
		return invalid(ret_why, "the signature value is not 128 bytes");
	if (kzgost_cert_public_key(cert, pub) != 0)
		return invalid(ret_why, "the certificate has no GOST 2015-512 key");
	if (kzgost_verify(pub, digest, sig) != 0)
		return invalid(ret_why, "the signature does not verify");
	return 0;
}

GByteArray *sigcheck_signed_attrs_der(CMS_SignerInfo *si)
{
	g_autoptr(GByteArray) content = g_byte_array_new();
	GByteArray *set;
	uint8_t header[5] = { 0x31 };
	size_t hl;

	for (int i = 0; i < CMS_signed_get_attr_count(si); i++) {
		unsigned char *a = NULL;
		int n = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &a);

		if (n <= 0)
			return NULL;
		g_byte_array_append(content, a, (guint)n);
		OPENSSL_free(a);
		if (content->len > SIGCHECK_ATTRS_MAX)
			return NULL;
	}
	if (content->len < 0x80) {
		header[1] = (uint8_t)content->len;
		hl = 2;
	} else if (content->len < 0x100) {
		header[1] = 0x81;
		header[2] = (uint8_t)content->len;
		hl = 3;
	} else if (content->len < 0x10000) {
		header[1] = 0x82;
		header[2] = (uint8_t)(content->len >> 8);
		header[3] = (uint8_t)content->len;
		hl = 4;
	} else {
		header[1] = 0x83;
		header[2] = (uint8_t)(content->len >> 16);
		header[3] = (uint8_t)(content->len >> 8);
		header[4] = (uint8_t)content->len;
		hl = 5;
	}
	set = g_byte_array_sized_new(content->len + (guint)hl);
	g_byte_array_append(set, header, (guint)hl);
	g_byte_array_append(set, content->data, content->len);
	return set;
}

static bool signing_time(CMS_SignerInfo *si, time_t *ret)
{
	int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	ASN1_TYPE *t;
	struct tm tm;

	if (i < 0)
		return false;
	t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, i), 0);
	if (!t || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME))
		return false;
	if (!ASN1_TIME_to_tm((ASN1_TIME *)t->value.asn1_string, &tm))
		return false;
	*ret = timegm(&tm);
	return true;
}

static int cms_gost(CMS_SignerInfo *si, X509 *signer, const uint8_t *content, size_t content_len,
		    const char **ret_why)
{
	g_autoptr(GByteArray) attrs = NULL;
	uint8_t digest[STREEBOG512_SIZE];
	ASN1_OCTET_STRING *md, *sig;
	int r;

	r = streebog(content, content_len, digest);
	if (r < 0)
		return r;
	md = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
					 V_ASN1_OCTET_STRING);
	if (!md || md->length != STREEBOG512_SIZE ||
	    memcmp(md->data, digest, STREEBOG512_SIZE) != 0)
		return invalid(ret_why, "messageDigest is not Streebog-512 of the content");
	attrs = sigcheck_signed_attrs_der(si);
	if (!attrs)
		return invalid(ret_why, "the signed attributes cannot be encoded");
	r = streebog(attrs->data, attrs->len, digest);
	if (r < 0)
		return r;
	sig = CMS_SignerInfo_get0_signature(si);
	return gost_verify(signer, digest, sig->data, (size_t)sig->length, ret_why);
}

static int cms_rsa(CMS_ContentInfo *cms, bool detached, const uint8_t *content,
		   size_t content_len, const char **ret_why)
{
	_cleanup_(BIO_freep) BIO *in = NULL;

	if (detached) {
		in = BIO_new_mem_buf(content, (int)content_len);
		if (!in)
			return -ENOMEM;
	}
	if (CMS_verify(cms, NULL, NULL, in, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		ERR_clear_error();
		return invalid(ret_why, "the signature does not verify");
	}
	return 0;
}

int sigcheck_cms(const void *der, size_t len, const void *content, size_t content_len,
		 STACK_OF(X509) *cas, unsigned algs, struct sigcheck_result *ret,
		 const char **ret_why)
{
	_cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *cms = NULL;
	_cleanup_(x509_stack_freep) STACK_OF(X509) *certs = NULL;
	_cleanup_(X509_freep) X509 *signer = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	ASN1_OCTET_STRING **econtent;
	const unsigned char *p = der;
	CMS_SignerInfo *si;
	const uint8_t *data;
	size_t data_len;
	enum sigcheck_alg alg;
	const char *why = NULL;
	bool detached;
	uint8_t *copy;
	int r;

	if (!der || !cas || len > INT_MAX || content_len > INT_MAX)
		return -EINVAL;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms) {
		ERR_clear_error();
		return invalid(ret_why, "not a CMS ContentInfo");
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		return invalid(ret_why, "not exactly one signer");
	econtent = CMS_get0_content(cms);
	detached = !econtent || !*econtent;
	if (!detached) {
		data = (*econtent)->data;
		data_len = (size_t)(*econtent)->length;
	} else if (content) {
		data = content;
		data_len = content_len;
	} else {
		return invalid(ret_why, "the signature is detached and the signed data is missing");
	}
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1)
		return invalid(ret_why, "not exactly one signer");
	si = sk_CMS_SignerInfo_value(sis, 0);
	certs = CMS_get1_certs(cms);
	for (int i = 0; i < sk_X509_num(certs) && !signer; i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			signer = X509_dup(sk_X509_value(certs, i));
	if (!signer)
		return invalid(ret_why, "the signer's certificate is not in the CMS");

	alg = key_alg(signer, algs, &why);
	if (!alg)
		return invalid(ret_why, why);
	if (alg == SIGCHECK_ALG_GOST2015_512)
		r = cms_gost(si, signer, data, data_len, ret_why);
	else
		r = cms_rsa(cms, detached, data, data_len, ret_why);
	if (r != 0)
		return r;
	if (!issued_by_any(signer, alg, cas))
		return invalid(ret_why, "the signer's certificate is not issued by any given CA");

	copy = copy_content(data, data_len);
	if (!copy)
		return -ENOMEM;
	*ret = (struct sigcheck_result){
		.alg = alg,
		.signer = TAKE_PTR(signer),
		.content = copy,
		.content_len = data_len,
	};
	ret->has_signing_time = signing_time(si, &ret->signing_time);
	return 0;
}

/* ---- XML ---- */

/* The first node xpath selects from ctx's current node, or NULL. */
static xmlNodePtr find(xmlXPathContextPtr ctx, xmlNodePtr from, const char *xpath)
{
	xmlXPathObjectPtr o;
	xmlNodePtr n = NULL;

	ctx->node = from;
	o = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
	if (o && o->type == XPATH_NODESET && o->nodesetval && o->nodesetval->nodeNr > 0)
		n = o->nodesetval->nodeTab[0];
	xmlXPathFreeObject(o);
	return n;
}

/* C14N visibility: the subtree of root only. */
static int in_subtree(void *data, xmlNodePtr node, xmlNodePtr parent)
{
	xmlNodePtr root = data;

	for (xmlNodePtr n = node->type == XML_NAMESPACE_DECL ? parent : node; n; n = n->parent)
		if (n == root)
			return 1;
	return 0;
}

/* C14N visibility: everything but the subtree of data (the enveloped
 * signature). */
static int outside_subtree(void *data, xmlNodePtr node, xmlNodePtr parent)
{
	return !in_subtree(data, node, parent);
}

/* Inclusive C14N 1.0 without comments of the nodes visible(node) selects;
 * a new GByteArray, or NULL. */
static GByteArray *c14n(xmlDocPtr doc, xmlC14NIsVisibleCallback visible, xmlNodePtr node)
{
	xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);
	GByteArray *out = NULL;

	if (!buf)
		return NULL;
	if (xmlC14NExecute(doc, visible, node, XML_C14N_1_0, NULL, 0, buf) >= 0) {
		out = g_byte_array_new();
		g_byte_array_append(out, xmlBufContent(buf->buffer), (guint)xmlBufUse(buf->buffer));
	}
	xmlOutputBufferClose(buf);
	return out;
}

static uint8_t *node_base64(xmlNodePtr n, gsize *ret_len)
{
	xmlChar *text = xmlNodeGetContent(n);
	uint8_t *out = g_base64_decode(text ? (const char *)text : "", ret_len);

	xmlFree(text);
	return out;
}

static bool attr_is(xmlNodePtr n, const char *name, const char *value)
{
	xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;
	bool is = v && strcmp((const char *)v, value) == 0;

	xmlFree(v);
	return is;
}

static bool declares_entities(xmlDocPtr doc)
{
	return (doc->intSubset && doc->intSubset->entities) ||
	       (doc->extSubset && doc->extSubset->entities);
}

/* The digest of data for alg: Streebog-512 or SHA-256. */
static int xml_digest(enum sigcheck_alg alg, const uint8_t *data, size_t len, uint8_t *ret,
		      size_t *ret_len)
{
	unsigned int n = 0;

	if (alg == SIGCHECK_ALG_GOST2015_512) {
		*ret_len = STREEBOG512_SIZE;
		return streebog(data, len, ret);
	}
	if (!EVP_Digest(data, len, ret, &n, EVP_sha256(), NULL))
		return -EIO;
	*ret_len = n;
	return 0;
}

static int rsa_verify(X509 *cert, const GByteArray *signed_info, const uint8_t *sig,
		      size_t sig_len, const char **ret_why)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY *key = X509_get0_pubkey(cert);
	int ok;

	if (!md)
		return -ENOMEM;
	ok = key && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(md, sig, sig_len, signed_info->data, signed_info->len) == 1;
	ERR_clear_error();
	return ok ? 0 : invalid(ret_why, "the signature does not verify");
}

int sigcheck_xml(const char *xml, size_t len, STACK_OF(X509) *cas, unsigned algs,
		 struct sigcheck_result *ret, const char **ret_why)
{
	_cleanup_(xmlFreeDocp) xmlDoc *doc = NULL;
	_cleanup_(xmlXPathFreeContextp) xmlXPathContext *ctx = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	g_autoptr(GByteArray) document = NULL, signed_info_c14n = NULL;
	g_autofree uint8_t *want = NULL, *sig = NULL, *cert_der = NULL;
	xmlNodePtr signature, signed_info, sig_value, cert_node, digest_value;
	xmlNodePtr method, digest_method;
	uint8_t digest[EVP_MAX_MD_SIZE];
	size_t digest_len = 0;
	gsize want_len = 0, sig_len = 0, cert_len = 0;
	const unsigned char *p;
	enum sigcheck_alg alg;
	const char *why = NULL;
	uint8_t *copy;
	int r;

	if (!xml || !cas || len > INT_MAX)
		return -EINVAL;
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return invalid(ret_why, "not well-formed XML");
	if (declares_entities(doc))
		return invalid(ret_why, "the document declares entities");
	ctx = xmlXPathNewContext(doc);
	if (!ctx)
		return -ENOMEM;
	xmlXPathRegisterNs(ctx, (const xmlChar *)"ds", (const xmlChar *)DSIG_NS);
	signature = find(ctx, NULL, "//ds:Signature");
	signed_info = signature ? find(ctx, signature, "ds:SignedInfo") : NULL;
	sig_value = signature ? find(ctx, signature, "ds:SignatureValue") : NULL;
	cert_node = signature ? find(ctx, signature, "ds:KeyInfo/ds:X509Data/ds:X509Certificate")
			      : NULL;
	digest_value = signed_info ? find(ctx, signed_info, "ds:Reference[@URI='']/ds:DigestValue")
				   : NULL;
	if (!signature || !signed_info || !sig_value || !cert_node || !digest_value)
		return invalid(ret_why, "no complete whole-document ds:Signature");

	cert_der = node_base64(cert_node, &cert_len);
	p = cert_der;
	cert = d2i_X509(NULL, &p, (long)cert_len);
	if (!cert) {
		ERR_clear_error();
		return invalid(ret_why, "X509Certificate is not a certificate");
	}
	alg = key_alg(cert, algs, &why);
	if (!alg)
		return invalid(ret_why, why);
	method = find(ctx, signed_info, "ds:SignatureMethod");
	digest_method = find(ctx, digest_value->parent, "ds:DigestMethod");
	if (alg == SIGCHECK_ALG_GOST2015_512 &&
	    (!attr_is(method, "Algorithm", KZGOST_XMLDSIG_SIGNATURE_512) ||
	     !attr_is(digest_method, "Algorithm", KZGOST_XMLDSIG_DIGEST_512)))
		return invalid(ret_why, "the signature or digest method is not GOST 2015-512");
	if (alg == SIGCHECK_ALG_RSA && (!attr_is(method, "Algorithm", URI_RSA_SHA256) ||
					!attr_is(digest_method, "Algorithm", URI_SHA256)))
		return invalid(ret_why, "the signature or digest method is not RSA-SHA256");

	/* The reference: the document without the signature, no comments. */
	document = c14n(doc, outside_subtree, signature);
	if (!document)
		return invalid(ret_why, "the document cannot be canonicalised");
	r = xml_digest(alg, document->data, document->len, digest, &digest_len);
	if (r < 0)
		return r;
	want = node_base64(digest_value, &want_len);
	if (want_len != digest_len || memcmp(want, digest, digest_len) != 0) {
		if (alg == SIGCHECK_ALG_GOST2015_512)
			return invalid(ret_why,
				       "DigestValue is not Streebog-512 of the canonical document");
		return invalid(ret_why, "DigestValue is not SHA-256 of the canonical document");
	}

	signed_info_c14n = c14n(doc, in_subtree, signed_info);
	if (!signed_info_c14n)
		return invalid(ret_why, "SignedInfo cannot be canonicalised");
	sig = node_base64(sig_value, &sig_len);
	if (alg == SIGCHECK_ALG_GOST2015_512) {
		r = xml_digest(alg, signed_info_c14n->data, signed_info_c14n->len, digest,
			       &digest_len);
		if (r < 0)
			return r;
		r = gost_verify(cert, digest, sig, sig_len, ret_why);
	} else {
		r = rsa_verify(cert, signed_info_c14n, sig, sig_len, ret_why);
	}
	if (r != 0)
		return r;
	if (!issued_by_any(cert, alg, cas))
		return invalid(ret_why, "the signer's certificate is not issued by any given CA");

	copy = copy_content(document->data, document->len);
	if (!copy)
		return -ENOMEM;
	*ret = (struct sigcheck_result){
		.alg = alg,
		.signer = TAKE_PTR(cert),
		.content = copy,
		.content_len = document->len,
	};
	return 0;
}
