/* Fuzz target: the data of a CMS signing request, from the page's string
 * to the signature: ops_base64_decode() of the text (createCAdESFromBase64
 * base64Data, createCAdESFromBase64Hash base64Hash, basics sign "data"
 * with decode), then cades_sign() of the bytes with a fixed key
 * (fuzz-keys.h): as content, attached or detached, or as a digest given
 * by the page (the digest length check: CADES_E_DIGEST_SIZE), and the
 * answer's encodings (cades_base64(), cades_pem()).
 *
 * The daemon parses no incoming CMS from a page (applyCAdEST is not
 * served); the time-stamp token comes from the TSA, not from the page.
 *
 * The first byte chooses the variant:
 *   bit 0  the GOST 2015-512 key instead of the P-256 one;
 *   bit 1  the data is a digest (createCAdESFromBase64Hash, "digested");
 *   bit 2  attached ("encapsulate");
 *   bit 3  the rest is signed as raw bytes (basics sign, decode false)
 *          instead of being base64-decoded first.
 * The rest is the page's text, up to its first NUL (a JSON string). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/err.h>

#include "daemon/crypto/cades.h"
#include "daemon/ops/work.h"
#include "tests/fuzz/fuzz-keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_keys *k = fuzz_keys_get();
	struct cades_options o = { .signing_time = 1700000000 };
	const struct signer *s;
	uint8_t *decoded = NULL, *der = NULL;
	const uint8_t *doc;
	char *text;
	size_t doc_len, der_len;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	s = mode & 1 ? &k->gost_signer : &k->ec_signer;
	o.digest_given = mode & 2;
	o.attached = mode & 4;

	text = g_strndup((const char *)data, size);
	if (mode & 8) {
		doc = (const uint8_t *)text;
		doc_len = strlen(text);
	} else {
		if (!ops_base64_decode(text, &decoded, &doc_len)) {
			g_free(text);
			return 0;
		}
		doc = decoded;
	}
	if (cades_sign(s, doc, doc_len, &o, &der, &der_len) == 0) {
		free(cades_base64(der, der_len));
		free(cades_pem(der, der_len));
		free(der);
	}
	g_free(decoded);
	g_free(text);
	ERR_clear_error();
	return 0;
}
