/* Streebog-512 through OpenSSL's GOST provider or, failing that, engine.
 * See streebog.h for the choice and its order. */

/* The engine fallback uses the ENGINE API, deprecated in OpenSSL 3. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

#include "util/cleanup.h"
#include "daemon/crypto/streebog.h"

struct streebog512_ctx {
	EVP_MD_CTX *md;
};

/* Process-wide, set once by backend_load() and never freed: the library
 * context holding gostprov, or the engine holding a functional reference. */
static struct {
	OSSL_LIB_CTX *libctx;
	EVP_MD *md;     /* fetched from libctx (provider path) */
#ifndef OPENSSL_NO_ENGINE
	ENGINE *engine; /* engine path: md_engine belongs to it */
	const EVP_MD *md_engine;
#endif
	const char *name;
} backend;
static pthread_once_t backend_once = PTHREAD_ONCE_INIT;

static bool backend_load_provider(void)
{
	OSSL_LIB_CTX *libctx;

	/* A fresh library context reads no configuration file; the provider
	 * is found by name in OpenSSL's modules folder. */
	libctx = OSSL_LIB_CTX_new();
	if (!libctx)
		return false;
	if (!OSSL_PROVIDER_load(libctx, "gostprov"))
		goto fail;
	backend.md = EVP_MD_fetch(libctx, "md_gost12_512", NULL);
	if (!backend.md)
		goto fail;
	backend.libctx = libctx;
	backend.name = "provider";
	return true;
fail:
	/* Loading errors are expected when the package is missing. */
	ERR_clear_error();
	OSSL_LIB_CTX_free(libctx);
	return false;
}

static bool backend_load_engine(void)
{
#ifndef OPENSSL_NO_ENGINE
	ENGINE *e;
	const EVP_MD *md;

	e = ENGINE_by_id("gost");
	if (!e)
		goto fail;
	if (!ENGINE_init(e)) {
		ENGINE_free(e);
		goto fail;
	}
	md = ENGINE_get_digest(e, NID_id_GostR3411_2012_512);
	if (!md) {
		ENGINE_finish(e);
		ENGINE_free(e);
		goto fail;
	}
	backend.engine = e;
	backend.md_engine = md;
	backend.name = "engine";
	return true;
fail:
	ERR_clear_error();
#endif
	return false;
}

static void backend_load(void)
{
	if (!backend_load_provider())
		backend_load_engine();
}

static int md_init(EVP_MD_CTX *md)
{
	int r = 0;

	pthread_once(&backend_once, backend_load);
	if (backend.md)
		r = EVP_DigestInit_ex(md, backend.md, NULL);
#ifndef OPENSSL_NO_ENGINE
	else if (backend.md_engine)
		r = EVP_DigestInit_ex(md, backend.md_engine, backend.engine);
#endif
	else
		return KZGOST_E_NO_STREEBOG;
	return r == 1 ? 0 : -EIO;
}

const char *streebog512_backend(void)
{
	pthread_once(&backend_once, backend_load);
	return backend.name;
}

int streebog512_init(struct streebog512_ctx **ret_ctx)
{
	struct streebog512_ctx *ctx;
	int r;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->md = EVP_MD_CTX_new();
	if (!ctx->md) {
		free(ctx);
		return -ENOMEM;
	}
	r = md_init(ctx->md);
	if (r != 0) {
		streebog512_free(ctx);
		return r;
	}
	*ret_ctx = ctx;
	return 0;
}

int streebog512_update(struct streebog512_ctx *ctx, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	return EVP_DigestUpdate(ctx->md, data, len) == 1 ? 0 : -EIO;
}

int streebog512_final(struct streebog512_ctx *ctx, uint8_t ret[STREEBOG512_SIZE])
{
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(ctx->md, out, &n) != 1 || n != STREEBOG512_SIZE)
		return -EIO;
	memcpy(ret, out, STREEBOG512_SIZE);
	return 0;
}

struct streebog512_ctx *streebog512_free(struct streebog512_ctx *ctx)
{
	if (!ctx)
		return NULL;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
	return NULL;
}

int streebog512(const void *data, size_t len, uint8_t ret[STREEBOG512_SIZE])
{
	_cleanup_(streebog512_freep) struct streebog512_ctx *ctx = NULL;
	int r;

	r = streebog512_init(&ctx);
	if (r != 0)
		return r;
	r = streebog512_update(ctx, data, len);
	if (r != 0)
		return r;
	return streebog512_final(ctx, ret);
}
