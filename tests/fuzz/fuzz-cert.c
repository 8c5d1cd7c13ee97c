/* Fuzz target: importCertificate's input, the issued certificate (PEM, or
 * base64 of the DER) and its chain (PEMs), as daemon/ops/enroll.c reads
 * them: the certificate through ops_certificate_parse() (PEM, or base64
 * of the DER with nothing after it), the chain through
 * keyfilter_parse_pems(), the expiry check, the Subject Key Identifier and
 * common name read for the file name and the prompt, and the match
 * against a fixed pending key (csr_key_from_pkcs8() of the kept PKCS#8
 * DER, then csr_key_matches_cert()): NCA's GOST test key, whose
 * certificate is in the corpus, and an RSA-2048 key made at start. When
 * the certificate is the key's, the key file is built
 * (pkcs12_build_nca()) and read back (pkcs12_key_load_mem()), as the
 * import writes it. getKeyInfo's certinfo_read() reads the certificate
 * too.
 *
 * The daemon reads no PKCS#10 request back (it only makes them); the
 * test CA's parser (web/testca) is not the daemon's input.
 *
 * Input: the certificate text, then each chain entry, separated by NUL
 * bytes (a JSON string ends at its first NUL for the daemon). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "daemon/crypto/csr.h"
#include "daemon/keystore/certinfo.h"
#include "daemon/keystore/keyfilter.h"
#include "daemon/keystore/pkcs12.h"
#include "daemon/ops/work.h"
#include "tests/fuzz/fuzz-keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHAIN_MAX 8

/* The pending keys, as enroll.c keeps them: PKCS#8 DER. */
static uint8_t *pending_der[2];
static int pending_len[2];

static void pending_init(void)
{
	const struct fuzz_keys *k;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	struct csr_key *rsa = NULL;

	if (pending_der[0])
		return;
	k = fuzz_keys_get();
	if (kzgost_pkcs8_new(k->gost->gost, &p8) != 0 ||
	    (pending_len[0] = i2d_PKCS8_PRIV_KEY_INFO(p8, &pending_der[0])) <= 0)
		abort();
	PKCS8_PRIV_KEY_INFO_free(p8);
	p8 = NULL;
	if (csr_key_generate(CSR_ALG_RSA2048, &rsa) != 0 || csr_key_to_pkcs8(rsa, &p8) != 0 ||
	    (pending_len[1] = i2d_PKCS8_PRIV_KEY_INFO(p8, &pending_der[1])) <= 0)
		abort();
	PKCS8_PRIV_KEY_INFO_free(p8);
	csr_key_free(rsa);
}

/* What the import reads of the certificate for the file name and the
 * prompt. */
static void read_names(X509 *cert)
{
	g_free(ops_cert_key_id(cert, "fallback"));
	g_free(ops_cert_time_text(X509_get0_notAfter(cert)));
	g_free(ops_cert_common_name(cert));
	(void)X509_cmp_time(X509_get0_notAfter(cert), NULL);
}

/* enroll.c's check_key(), then build_file() and the file read back. */
static void match(X509 *cert, STACK_OF(X509) *chain, int which)
{
	const unsigned char *p = pending_der[which];
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, pending_len[which]);
	struct csr_key *key = NULL;
	struct pkcs12_key *back = NULL;
	uint8_t *der = NULL;
	size_t len;

	if (!p8 || csr_key_from_pkcs8(p8, &key) != 0)
		abort();
	if (csr_key_matches_cert(key, cert) == 0 &&
	    pkcs12_build_nca(p8, cert, chain, "0123456789abcdef0123456789abcdef01234567",
			     "Qwerty12", &der, &len) == 0) {
		if (pkcs12_key_load_mem(der, len, "Qwerty12", &back) == 0)
			pkcs12_key_free(back);
		OPENSSL_free(der);
	}
	csr_key_free(key);
	PKCS8_PRIV_KEY_INFO_free(p8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *chain_text[CHAIN_MAX];
	STACK_OF(X509) *chain = NULL;
	struct certinfo info;
	size_t n = 0, bad;
	char *text, *end;
	X509 *cert;

	pending_init();
	/* The parts, each NUL-terminated: text[size] is the last NUL. */
	text = g_malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	end = text + size;
	for (char *c = text + strlen(text); c < end && n < CHAIN_MAX; c += strlen(c))
		chain_text[n++] = ++c;

	cert = ops_certificate_parse(text);
	if (n && keyfilter_parse_pems(chain_text, n, &chain, &bad) < 0)
		chain = NULL;
	if (cert) {
		read_names(cert);
		if (certinfo_read(cert, &info) == 0)
			certinfo_clear(&info);
		match(cert, chain, 0);
		match(cert, chain, 1);
	}
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	g_free(text);
	ERR_clear_error();
	return 0;
}
