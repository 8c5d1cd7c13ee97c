/* gost-verify: check a GOST 34.10-2015-512 signature the daemon made,
 * for the integration tests (OpenSSL's cms and xmlsec1 do not know NCA's
 * algorithm).
 *
 *   gost-verify cms SIGNATURE.der [CONTENT] CA.cer…
 *   gost-verify xml SIGNED.xml CA.cer…
 *   gost-verify digest FILE      (prints Streebog-512 in hex)
 *
 * cms: OpenSSL parses the SignedData; the messageDigest attribute must be
 * Streebog-512 of the content (encapsulated, or the CONTENT file when the
 * signature is detached; "-" for none), and the signature must verify over
 * the DER SET OF signed attributes as OpenSSL re-encodes them.
 * xml: libxml2 parses the document; ds:SignedInfo is canonicalised by
 * libxml2's own C14N 1.0 and the SignatureValue verified over it; the
 * whole-document DigestValue must match libxml2's canonical form of the
 * document without the ds:Signature element.
 * Both: the signer's certificate must be issued (signature checked) by
 * one of the CA certificates. Prints "OK <subject>" and exits 0, or says
 * what failed and exits 1. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/streebog.h"
#include "tests/helpers/cms-attrs.h"

#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

static int fail(const char *what)
{
	fprintf(stderr, "gost-verify: %s\n", what);
	return 1;
}

static X509 *load_cert(const char *path)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	const unsigned char *p;
	BIO *bio;
	X509 *x;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return NULL;
	bio = BIO_new_mem_buf(data, (int)len);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x)
		return x;
	p = (const unsigned char *)data;
	return d2i_X509(NULL, &p, (long)len);
}

static int check_issuer(X509 *cert, char **cas)
{
	for (char **ca = cas; *ca; ca++) {
		X509 *issuer = load_cert(*ca);
		int r = issuer ? kzgost_cert_verify_issued(issuer, cert) : -1;

		X509_free(issuer);
		if (r == 0)
			return 0;
	}
	return fail("the signer's certificate is not issued by any given CA");
}

static int verify_with_cert(X509 *cert, const uint8_t digest[64], const uint8_t *sig, size_t sig_len)
{
	uint8_t pub[KZGOST_PUBLIC_KEY_SIZE];

	if (sig_len != KZGOST_SIGNATURE_SIZE)
		return fail("the signature value is not 128 bytes");
	if (kzgost_cert_public_key(cert, pub) != 0)
		return fail("the certificate has no GOST 2015-512 key");
	if (kzgost_verify(pub, digest, sig) != 0)
		return fail("the signature does not verify");
	return 0;
}

static int verify_cms(const char *sig_path, const char *content_path, char **cas)
{
	g_autofree char *der = NULL, *content = NULL;
	gsize der_len = 0, content_len = 0;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *certs;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING **econtent, *md_attr, *sig;
	X509 *signer = NULL;
	uint8_t digest[64], attrs_digest[64];
	GByteArray *attrs;
	int r;

	if (!g_file_get_contents(sig_path, &der, &der_len, NULL))
		return fail("cannot read the signature");
	p = (const unsigned char *)der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	if (!cms)
		return fail("not a CMS ContentInfo");
	econtent = CMS_get0_content(cms);
	if (econtent && *econtent) {
		content = g_memdup2((*econtent)->data, (gsize)(*econtent)->length);
		content_len = (gsize)(*econtent)->length;
	} else if (strcmp(content_path, "-") != 0 &&
		   !g_file_get_contents(content_path, &content, &content_len, NULL)) {
		CMS_ContentInfo_free(cms);
		return fail("cannot read the content");
	}
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		CMS_ContentInfo_free(cms);
		return fail("not exactly one signer");
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	certs = CMS_get1_certs(cms);
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			signer = sk_X509_value(certs, i);
	if (!signer) {
		sk_X509_pop_free(certs, X509_free);
		CMS_ContentInfo_free(cms);
		return fail("the signer's certificate is not in the CMS");
	}

	streebog512(content ? content : "", content_len, digest);
	md_attr = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
					      V_ASN1_OCTET_STRING);
	r = 0;
	if (!md_attr || md_attr->length != 64 || memcmp(md_attr->data, digest, 64) != 0)
		r = fail("messageDigest is not Streebog-512 of the content");
	if (r == 0) {
		attrs = cms_signed_attributes_der(si);
		if (!attrs) {
			r = fail("the signed attributes cannot be encoded");
		} else {
			streebog512(attrs->data, attrs->len, attrs_digest);
			g_byte_array_unref(attrs);
			sig = CMS_SignerInfo_get0_signature(si);
			r = verify_with_cert(signer, attrs_digest, sig->data, (size_t)sig->length);
		}
	}
	if (r == 0)
		r = check_issuer(signer, cas);
	if (r == 0) {
		char *subject = X509_NAME_oneline(X509_get_subject_name(signer), NULL, 0);

		printf("OK %s\n", subject);
		OPENSSL_free(subject);
	}
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return r;
}

static xmlNodePtr find(xmlXPathContextPtr ctx, const char *xpath)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
	xmlNodePtr n = NULL;

	if (o && o->nodesetval && o->nodesetval->nodeNr > 0)
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

static uint8_t *node_base64(xmlNodePtr n, gsize *ret_len)
{
	xmlChar *text = xmlNodeGetContent(n);
	uint8_t *out = g_base64_decode((const char *)text, ret_len);

	xmlFree(text);
	return out;
}

static int verify_xml(const char *path, char **cas)
{
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	xmlXPathContextPtr ctx;
	xmlNodePtr signature, signed_info, sig_value, cert_node, digest_value;
	uint8_t digest[64], *sig = NULL, *cert_der = NULL, *want = NULL;
	gsize sig_len = 0, cert_len = 0, want_len = 0;
	const unsigned char *p;
	X509 *cert = NULL;
	int r = 1;

	if (!doc)
		return fail("not well-formed XML");
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, (const xmlChar *)"ds", (const xmlChar *)DSIG_NS);
	signature = find(ctx, "//ds:Signature");
	signed_info = find(ctx, "//ds:Signature/ds:SignedInfo");
	sig_value = find(ctx, "//ds:Signature/ds:SignatureValue");
	cert_node = find(ctx, "//ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate");
	digest_value = find(ctx, "//ds:Signature/ds:SignedInfo/ds:Reference[@URI='']/ds:DigestValue");
	if (!signature || !signed_info || !sig_value || !cert_node || !digest_value) {
		r = fail("no complete whole-document ds:Signature");
		goto out;
	}

	/* The reference: the document without the signature, no comments. */
	{
		xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);

		xmlC14NExecute(doc, outside_subtree, signature, XML_C14N_1_0, NULL, 0, buf);
		streebog512(xmlBufContent(buf->buffer), xmlBufUse(buf->buffer), digest);
		xmlOutputBufferClose(buf);
	}
	want = node_base64(digest_value, &want_len);
	if (want_len != 64 || memcmp(want, digest, 64) != 0) {
		r = fail("DigestValue is not Streebog-512 of the canonical document");
		goto out;
	}

	{
		xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);

		xmlC14NExecute(doc, in_subtree, signed_info, XML_C14N_1_0, NULL, 0, buf);
		streebog512(xmlBufContent(buf->buffer), xmlBufUse(buf->buffer), digest);
		xmlOutputBufferClose(buf);
	}
	sig = node_base64(sig_value, &sig_len);
	cert_der = node_base64(cert_node, &cert_len);
	p = cert_der;
	cert = d2i_X509(NULL, &p, (long)cert_len);
	if (!cert) {
		r = fail("X509Certificate is not a certificate");
		goto out;
	}
	r = verify_with_cert(cert, digest, sig, sig_len);
	if (r == 0)
		r = check_issuer(cert, cas);
	if (r == 0) {
		char *subject = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);

		printf("OK %s\n", subject);
		OPENSSL_free(subject);
	}
out:
	X509_free(cert);
	g_free(sig);
	g_free(cert_der);
	g_free(want);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return r;
}

static int print_digest(const char *path)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	uint8_t md[64];

	if (!g_file_get_contents(path, &data, &len, NULL) || streebog512(data, len, md) != 0)
		return fail("cannot hash the file");
	for (size_t i = 0; i < sizeof(md); i++)
		printf("%02x", md[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "digest") == 0)
		return print_digest(argv[2]);
	if (argc >= 5 && strcmp(argv[1], "cms") == 0)
		return verify_cms(argv[2], argv[3], argv + 4);
	if (argc >= 4 && strcmp(argv[1], "xml") == 0)
		return verify_xml(argv[2], argv + 3);
	fprintf(stderr, "usage: gost-verify cms SIG.der CONTENT|- CA.cer…\n"
			"       gost-verify xml SIGNED.xml CA.cer…\n");
	return 2;
}
