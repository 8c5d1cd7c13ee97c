/* xmldsig: enveloped XML signatures laid out byte for byte as NCALayer's
 * signXml / basics sign(format "xml") return them (Apache Santuario
 * underneath: "ds:" prefix, inclusive C14N 1.0 for SignedInfo, one newline
 * between elements, base64 wrapped at 76 columns).
 *
 * Whole document (tbs_xpath NULL or ""):
 *
 *   <?xml version="1.0" encoding="UTF-8" standalone="no"?><tag>data<ds:Signature xmlns:ds="…">NL
 *   <ds:SignedInfo>NL
 *   <ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>NL
 *   <ds:SignatureMethod Algorithm="signer_signature_uri()"/>NL
 *   <ds:Reference URI="">NL
 *   <ds:Transforms>NL
 *   <ds:Transform Algorithm="…xmldsig#enveloped-signature"/>NL
 *   <ds:Transform Algorithm="…REC-xml-c14n-20010315#WithComments"/>NL
 *   </ds:Transforms>NL
 *   <ds:DigestMethod Algorithm="signer_digest_uri()"/>NL
 *   <ds:DigestValue>base64, wrapped at 76</ds:DigestValue>NL
 *   </ds:Reference>NL
 *   </ds:SignedInfo>NL
 *   <ds:SignatureValue>NL base64 lines NL</ds:SignatureValue>NL
 *   <ds:KeyInfo>NL<ds:X509Data>NL<ds:X509Certificate>NL base64 lines NL</ds:X509Certificate>NL
 *   </ds:X509Data>NL</ds:KeyInfo>NL</ds:Signature></tag>
 *
 * By element (tbs_xpath set): Reference URI="#<Id>" and the single transform
 * c14n#WithComments (plus enveloped-signature first when the signature is
 * placed inside the signed element, which would otherwise never verify).
 * SignedInfo stays inclusive C14N 1.0 here too: ncalayer-rs claims
 * exclusive C14N in this mode, but no recording or fixture shows it, and
 * the CanonicalizationMethod we write says inclusive, so verifiers agree
 * either way.
 *
 * Digests: what a conforming verifier (Santuario, xmlsec) computes: the
 * same-document reference ("" or "#Id") selects its node-set *without
 * comments* (XMLDSig §4.3.3.2), so comments do not enter the digest even
 * though the transform is named "#WithComments". SignedInfo is canonicalised
 * (inclusive C14N 1.0) in its final place, with the namespaces in scope
 * there, and in its re-parsed form (newlines as "\n", see crlf).
 *
 * Values: DigestValue is the digest bytes as signer_digest() returns them
 * (for GOST: md_gost12_512's byte order, which is what KalkanCrypt puts in
 * its XML — checked against tests/data/xml/gost512-simple.signed.xml).
 * SignatureValue is the signer's value as is for RSA (PKCS#1 v1.5) and
 * GOST (128 bytes r‖s, each little-endian, kz-gost.md: KalkanCrypt's value
 * in the fixture verifies unchanged with kzgost_verify() over the digest of
 * our canonical SignedInfo); ECDSA's DER is converted to r‖s big-endian
 * (RFC 4051).
 *
 * Parsing is for documents from a web page: no network, no DTD loading, no
 * entity substitution; any entity declaration is refused (XXE, billion
 * laughs); size and depth are capped. A DOCTYPE without entity declarations
 * is accepted and left out of the output (as Java's Transformer does).
 *
 * libxml2 must have been initialised (xmlInitParser()) by the main thread
 * before these functions are used from several threads; they do it
 * themselves otherwise. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/crypto/signer.h"

enum xmldsig_error {
	XMLDSIG_E_PARSE = 1,   /* not well-formed; *ret_error says where (NCALayer text) */
	XMLDSIG_E_FORBIDDEN,   /* declares or uses entities (XXE, billion laughs) */
	XMLDSIG_E_LIMIT,       /* larger than max_size or nested deeper than max_depth */
	XMLDSIG_E_XPATH,       /* an XPath is invalid, selects nothing or no element,
				* or the element to sign has no Id; *ret_error says which */
	XMLDSIG_E_UNSUPPORTED, /* the signer's algorithm cannot be used (no Streebog) */
	XMLDSIG_E_SIGN_FAILED, /* the key refused to sign */
};

struct xmldsig_limits {
	size_t max_size;    /* bytes of input */
	unsigned max_depth; /* element nesting; the root is depth 1 */
};

#define XMLDSIG_MAX_SIZE_DEFAULT (64u * 1024 * 1024)
#define XMLDSIG_MAX_DEPTH_DEFAULT 256u
#define XMLDSIG_LIMITS_DEFAULT \
	((struct xmldsig_limits){XMLDSIG_MAX_SIZE_DEFAULT, XMLDSIG_MAX_DEPTH_DEFAULT})

struct xmldsig_options {
	/* NULL or "": sign the whole document (Reference URI=""). Otherwise
	 * the first element (document order) the XPath selects; it must carry
	 * an attribute Id, ID or id (looked up in that order). Prefixes the
	 * root element declares may be used in both XPaths. */
	const char *tbs_xpath;
	/* NULL or "": the Signature becomes the last child of the root
	 * element; otherwise of the first element the XPath selects. */
	const char *parent_xpath;
	/* Line separator: "\r\n" (commonUtils, 2020 Windows recordings) or
	 * "\n" (basics). A parser turns "\r\n" back into "\n", so this changes
	 * bytes, never what is signed. */
	bool crlf;
	/* Base64 line breaks as "&#13;\n" (a CR character in the text, what
	 * KalkanCrypt/Santuario with Java's MIME encoder write) instead of the
	 * plain separator. The CR is content and is signed. */
	bool base64_cr;
};

/* Sign xml[0..len) (UTF-8, need not be NUL-terminated) with s, enveloped.
 * o and lim may be NULL (defaults: whole document, "\n", the default
 * limits). s->cert is required (it goes into KeyInfo); s->chain is not
 * included (NCALayer includes only the signer's certificate).
 *
 * On success returns 0 and *ret_xml is a new NUL-terminated string (free()).
 * Returns a positive XMLDSIG_E_* for the conditions above; for
 * XMLDSIG_E_PARSE and XMLDSIG_E_XPATH, *ret_error (if ret_error is not
 * NULL) is a new string (free()) for the user, for a parse error in
 * NCALayer's words: "org.xml.sax.SAXParseException; lineNumber: L;
 * columnNumber: C; <message>". Negative errno on unexpected failures
 * (-ENOMEM, -EINVAL for a signer without certificate, -EIO). Nothing is
 * written to ret_* on failure, except *ret_error as said. */
int xmldsig_sign(const struct signer *s, const char *xml, size_t len,
		 const struct xmldsig_options *o, const struct xmldsig_limits *lim, char **ret_xml,
		 char **ret_error);

/* The digest (alg's) of a signed or unsigned document's whole-document
 * reference: comment-free inclusive C14N 1.0 of the document without its
 * first ds:Signature element, i.e. what Reference URI="" with the
 * enveloped-signature transform covers. For checking others' signatures
 * (KalkanCrypt's) and our own. Same parsing rules and errors as
 * xmldsig_sign (ret_error as there). */
int xmldsig_document_digest(enum signer_algorithm alg, const char *xml, size_t len,
			    const struct xmldsig_limits *lim, uint8_t ret[SIGNER_DIGEST_MAX],
			    size_t *ret_len, char **ret_error);
