/* The harnesses' fixed keys (fuzz-keys.h). */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/ec.h>
#include <openssl/x509.h>

#include "tests/fuzz/fuzz-keys.h"

static struct fuzz_keys keys;

static void die(const char *what)
{
	fprintf(stderr, "fuzz-keys: %s\n", what);
	abort();
}

static void make_ec(void)
{
	X509_NAME *name;

	keys.ec = EVP_EC_gen("P-256");
	keys.ec_cert = X509_new();
	if (!keys.ec || !keys.ec_cert)
		die("cannot make the P-256 key");
	name = X509_get_subject_name(keys.ec_cert);
	if (!X509_set_version(keys.ec_cert, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(keys.ec_cert), 0x1f) ||
	    !X509_gmtime_adj(X509_getm_notBefore(keys.ec_cert), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(keys.ec_cert), 3600L * 24 * 365) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)"Qoltanba fuzz ECDSA", -1, -1, 0) ||
	    !X509_set_issuer_name(keys.ec_cert, name) || !X509_set_pubkey(keys.ec_cert, keys.ec) ||
	    !X509_sign(keys.ec_cert, keys.ec, EVP_sha256()))
		die("cannot make the P-256 certificate");
	if (signer_init_pkey(&keys.ec_signer, keys.ec, keys.ec_cert) != 0)
		die("no signer for the P-256 key");
}

const struct fuzz_keys *fuzz_keys_get(void)
{
	if (keys.gost)
		return &keys;
	if (pkcs12_key_load(FUZZ_DATA_DIR "/" FUZZ_GOST_P12, FUZZ_PASSWORD, &keys.gost) != 0)
		die("cannot read " FUZZ_DATA_DIR "/" FUZZ_GOST_P12);
	if (pkcs12_key_signer(keys.gost, &keys.gost_signer) != 0)
		die("no signer for the GOST key");
	make_ec();
	return &keys;
}
