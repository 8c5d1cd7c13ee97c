/* Fuzz target: a PKCS#12 key file as the daemon reads it
 * (pkcs12_key_load_mem(), OpenSSL's parser and NCA's GOST path in
 * kzgost_p12_load()), then what getKeyInfo and the key filters read of
 * the certificate (certinfo_read()).
 *
 * The input is the file. Its last byte chooses the variant (real files
 * end in 0x00: the MAC's iteration count, 1024 or 2048):
 *   bit 0  password "" instead of "Qwerty12";
 *   bit 1  the file is first given a fresh MAC under that password
 *          (parsed, PKCS12_set_mac(), re-encoded), so that mutations
 *          get past the MAC check into the bags. */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>

#include "daemon/keystore/certinfo.h"
#include "daemon/keystore/pkcs12.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load(const uint8_t *der, size_t len, const char *password)
{
	struct pkcs12_key *key = NULL;
	struct certinfo info;

	if (pkcs12_key_load_mem(der, len, password, &key) != 0)
		return;
	if (certinfo_read(key->cert, &info) == 0)
		certinfo_clear(&info);
	pkcs12_key_free(key);
}

/* The file with a MAC made under password; NULL when it does not parse. */
static uint8_t *remac(const uint8_t *der, size_t len, const char *password, size_t *ret_len)
{
	const unsigned char *p = der;
	unsigned char *out = NULL;
	PKCS12 *p12;
	int n;

	if (len > PKCS12_MAX_FILE)
		return NULL;
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	if (!p12)
		return NULL;
	/* 1 iteration: the harness's time goes into parsing, not into the
	 * key derivation of the MAC. */
	if (PKCS12_set_mac(p12, password, -1, NULL, 0, 1, NULL) != 1 ||
	    (n = i2d_PKCS12(p12, &out)) <= 0) {
		PKCS12_free(p12);
		ERR_clear_error();
		return NULL;
	}
	PKCS12_free(p12);
	*ret_len = (size_t)n;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode = size ? data[size - 1] : 0;
	const char *password = mode & 1 ? "" : "Qwerty12";

	if (mode & 2) {
		size_t len = 0;
		uint8_t *der = remac(data, size, password, &len);

		if (der) {
			load(der, len, password);
			OPENSSL_free(der);
		}
	} else {
		load(data, size, password);
	}
	ERR_clear_error();
	return 0;
}
