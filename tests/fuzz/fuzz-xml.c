/* Fuzz target: the XML document a page sends to signXml / signXmls /
 * basics sign (format "xml"), signed by xmldsig_sign() with a fixed key
 * (fuzz-keys.h), and its whole-document digest
 * (xmldsig_document_digest()), with the daemon's default limits.
 *
 * The first byte chooses the variant:
 *   bit 0  the GOST 2015-512 key (Streebog, NCA's encodings) instead of
 *          the P-256 one;
 *   bit 1  CR LF line separators (commonUtils);
 *   bit 2  base64 line breaks as "&#13;\n";
 *   bit 3  by element: the next two lines (up to '\n') are the XPaths a
 *          page passes, of the element to sign (its Id) and of the
 *          Signature's parent; otherwise the whole document.
 * The rest is the document (UTF-8, not NUL-terminated, as the daemon
 * passes a JSON string's bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "daemon/crypto/xmldsig.h"
#include "tests/fuzz/fuzz-keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The text up to the next '\n' (or the end) as a new string; advances. */
static char *take_line(const uint8_t **p, size_t *left)
{
	const uint8_t *nl = memchr(*p, '\n', *left);
	size_t n = nl ? (size_t)(nl - *p) : *left;
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	/* An XPath is a JSON string: it ends at its first NUL here. */
	*p += nl ? n + 1 : n;
	*left -= nl ? n + 1 : n;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_keys *k = fuzz_keys_get();
	uint8_t digest[SIGNER_DIGEST_MAX];
	char *tbs = NULL, *parent = NULL, *out = NULL, *error = NULL;
	struct xmldsig_options o = { 0 };
	const struct signer *s;
	size_t digest_len;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	s = mode & 1 ? &k->gost_signer : &k->ec_signer;
	o.crlf = mode & 2;
	o.base64_cr = mode & 4;
	if (mode & 8) {
		tbs = take_line(&data, &size);
		parent = take_line(&data, &size);
		o.tbs_xpath = tbs;
		o.parent_xpath = parent;
	}

	if (xmldsig_sign(s, (const char *)data, size, &o, NULL, &out, &error) == 0) {
		/* Our output must read back: its digest is what we signed. */
		(void)xmldsig_document_digest(s->alg, out, strlen(out), NULL, digest, &digest_len,
					      NULL);
		free(out);
	}
	free(error);
	error = NULL;
	if (!(mode & 8) &&
	    xmldsig_document_digest(s->alg, (const char *)data, size, NULL, digest, &digest_len,
				    &error) != 0)
		free(error);
	free(tbs);
	free(parent);
	ERR_clear_error();
	return 0;
}
