/* streebog: GOST R 34.11-2012 "Streebog" 512-bit hash (RFC 6986), the
 * digest of NCA RK's GOST 34.10-2015-512 signatures.
 *
 * OpenSSL has no Streebog of its own. This module takes md_gost12_512 from
 * Debian's libengine-gost-openssl: first the "gostprov" provider, loaded
 * into a private OSSL_LIB_CTX from OpenSSL's modules folder (OPENSSL_MODULES
 * or the built-in MODULESDIR; the system openssl.cnf is not read), and only
 * if that fails the "gost" engine (OPENSSL_ENGINES or ENGINESDIR). The
 * choice is made once per process, on first use, and is thread-safe.
 *
 * Digest bytes are exactly what OpenSSL's md_gost12_512 outputs (the
 * byte-reverse of the hexadecimal numbers printed in RFC 6986 §10); the
 * signature code reads them as a little-endian integer (kz-gost.md).
 *
 * Errors: 0 on success; KZGOST_E_NO_STREEBOG (kzgost.h) when neither the
 * provider nor the engine can be loaded; -ENOMEM / -EIO for unexpected
 * OpenSSL failures. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "daemon/crypto/kzgost.h"

#define STREEBOG512_SIZE 64

struct streebog512_ctx;

/* One-shot: ret receives the 64-byte digest of data[0..len). data may be
 * NULL when len is 0. */
int streebog512(const void *data, size_t len, uint8_t ret[STREEBOG512_SIZE]);

/* Incremental hashing for large documents. On success *ret_ctx is a new
 * context the caller frees with streebog512_free(). */
int streebog512_init(struct streebog512_ctx **ret_ctx);
int streebog512_update(struct streebog512_ctx *ctx, const void *data, size_t len);
/* Writes the digest; the context is spent afterwards (only _free() it). */
int streebog512_final(struct streebog512_ctx *ctx, uint8_t ret[STREEBOG512_SIZE]);
/* Accepts NULL; returns NULL. */
struct streebog512_ctx *streebog512_free(struct streebog512_ctx *ctx);

static inline void streebog512_freep(struct streebog512_ctx **ctx)
{
	streebog512_free(*ctx);
}

/* Which implementation is in use: "provider", "engine", or NULL when none
 * could be loaded (loads on first call). For diagnostics and tests. */
const char *streebog512_backend(void);
