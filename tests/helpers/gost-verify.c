/* gost-verify: check a GOST 34.10-2015-512 signature the daemon made,
 * for the integration tests (OpenSSL's cms and xmlsec1 do not know NCA's
 * algorithm).
 *
 *   gost-verify cms SIGNATURE.der [CONTENT] CA.cer…
 *   gost-verify xml SIGNED.xml CA.cer…
 *   gost-verify digest FILE      (prints Streebog-512 in hex)
 *
 * cms: the content is the encapsulated one, or the CONTENT file when the
 * signature is detached ("-" for none: an empty content). The checks are
 * web/portal/sigcheck.h's, for GOST 2015-512 keys only: the messageDigest
 * attribute must be Streebog-512 of the content and the signature must
 * verify over the DER SET OF signed attributes; xml: the whole-document
 * DigestValue must match libxml2's canonical form of the document without
 * the ds:Signature element and the SignatureValue must verify over
 * ds:SignedInfo's C14N 1.0. Both: the signer's certificate must be issued
 * (signature checked) by one of the CA certificates. Prints
 * "OK <subject>" and exits 0, or says what failed and exits 1. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "daemon/crypto/streebog.h"
#include "web/portal/sigcheck.h"

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

/* The CA files that load; one that does not simply issues nothing. */
static STACK_OF(X509) *load_cas(char **paths)
{
	STACK_OF(X509) *cas = sk_X509_new_null();

	for (char **p = paths; *p; p++) {
		X509 *ca = load_cert(*p);

		if (ca)
			sk_X509_push(cas, ca);
	}
	return cas;
}

static int report(int r, struct sigcheck_result *res, const char *why)
{
	char *subject;

	if (r < 0)
		return fail(g_strerror(-r));
	if (r > 0)
		return fail(why);
	subject = X509_NAME_oneline(X509_get_subject_name(res->signer), NULL, 0);
	printf("OK %s\n", subject);
	OPENSSL_free(subject);
	sigcheck_result_clear(res);
	return 0;
}

static int verify_cms(const char *sig_path, const char *content_path, char **ca_paths)
{
	struct sigcheck_result res = SIGCHECK_RESULT_NULL;
	g_autofree char *der = NULL, *content = NULL;
	gsize der_len = 0, content_len = 0;
	STACK_OF(X509) *cas;
	const char *why = NULL;
	int r;

	if (!g_file_get_contents(sig_path, &der, &der_len, NULL))
		return fail("cannot read the signature");
	if (strcmp(content_path, "-") != 0 &&
	    !g_file_get_contents(content_path, &content, &content_len, NULL))
		return fail("cannot read the content");
	cas = load_cas(ca_paths);
	r = sigcheck_cms(der, der_len, content ? content : "", content_len, cas,
			 SIGCHECK_ALG_GOST2015_512, &res, &why);
	sk_X509_pop_free(cas, X509_free);
	return report(r, &res, why);
}

static int verify_xml(const char *path, char **ca_paths)
{
	struct sigcheck_result res = SIGCHECK_RESULT_NULL;
	g_autofree char *xml = NULL;
	gsize len = 0;
	STACK_OF(X509) *cas;
	const char *why = NULL;
	int r;

	if (!g_file_get_contents(path, &xml, &len, NULL))
		return fail("not well-formed XML");
	cas = load_cas(ca_paths);
	r = sigcheck_xml(xml, len, cas, SIGCHECK_ALG_GOST2015_512, &res, &why);
	sk_X509_pop_free(cas, X509_free);
	return report(r, &res, why);
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
