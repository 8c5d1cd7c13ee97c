/* The fixed keys the signing harnesses sign with: NCA's GOST 2015-512 test
 * key (tests/data/gost, person-valid, read through pkcs12_key_load() as
 * the daemon reads a key file) and a P-256 key with a self-signed
 * certificate made in memory (fast, for most inputs). Made once, on first
 * use; never freed (the process ends with the fuzzer). Aborts if they
 * cannot be made: a harness without its key would fuzz nothing. */
#pragma once

#include "daemon/crypto/signer.h"
#include "daemon/keystore/pkcs12.h"

#define FUZZ_PASSWORD "Qwerty12"
#define FUZZ_GOST_P12 "gost/person-valid-GOST512_d6d1e53515d516a7d95d399b668cf09011bf118d.p12"

struct fuzz_keys {
	struct pkcs12_key *gost;
	struct signer gost_signer;
	EVP_PKEY *ec;
	X509 *ec_cert;
	struct signer ec_signer;
};

const struct fuzz_keys *fuzz_keys_get(void);
