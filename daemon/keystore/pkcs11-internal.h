/* What pkcs11.c (modules, tokens, sessions, objects), pkcs11-keys.c
 * (finding keys, signing) and pkcs11-enroll.c (public keys, key
 * generation, certificate import) share. Not an API: callers use pkcs11.h.
 *
 * Locking: the public functions take the module's lock (module_lock())
 * before they call into the module; every helper declared here expects
 * it held. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include "daemon/keystore/pkcs11.h"

struct pkcs11_module {
	gatomicrefcount refs;
	GMutex lock; /* one call into the module at a time; guards busy */
	CK_FUNCTION_LIST *funcs;
	char *name, *path;
	GArray *busy; /* CK_SLOT_ID of the slots with a session open */
};

struct pkcs11_session {
	struct pkcs11_module *m; /* a reference */
	CK_SESSION_HANDLE h;
	CK_SLOT_ID slot;
	bool rw, logged_in;
	unsigned token_flags;
	CK_RV last_rv;
};

/* g_autoptr(GMutexLocker) over the module's lock. */
static inline GMutexLocker *module_lock(struct pkcs11_module *m)
{
	return g_mutex_locker_new(&m->lock);
}

/* Remember a failed rv in s and turn it into 0 / PKCS11_E_* / -errno. */
int pkcs11_rv_error(struct pkcs11_session *s, CK_RV rv);

/* Objects matching templ, at most PKCS11_MAX_OBJECTS. *ret is g_new'd
 * (NULL when none), g_free() it. */
int pkcs11_find(struct pkcs11_session *s, CK_ATTRIBUTE *templ, CK_ULONG n,
		CK_OBJECT_HANDLE **ret, size_t *ret_n);

/* Objects of class with this CKA_ID (id NULL: any id). */
int pkcs11_find_by_id(struct pkcs11_session *s, CK_OBJECT_CLASS class, const uint8_t *id,
		      size_t id_len, CK_OBJECT_HANDLE **ret, size_t *ret_n);

/* One attribute's value, g_malloc'd (one byte more, a NUL, so text can be
 * used as it is). PKCS11_E_NOT_FOUND when the object has no such
 * attribute or will not tell (sensitive), PKCS11_E_FAILED over
 * PKCS11_MAX_ATTRIBUTE. */
int pkcs11_attr(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
		uint8_t **ret, size_t *ret_len);
int pkcs11_attr_ulong(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
		      CK_ULONG *ret);

/* Does the module offer mech on the session's slot with these CKF_ flags? */
bool pkcs11_has_mechanism(struct pkcs11_session *s, CK_MECHANISM_TYPE mech, CK_FLAGS flags);

/* DER of the curve / parameter-set OIDs the tokens name. */
extern const uint8_t pkcs11_oid_p256[10];        /* 1.2.840.10045.3.1.7 */
extern const uint8_t pkcs11_oid_tc26_512a[11];   /* 1.2.643.7.1.2.1.2.1 */
extern const uint8_t pkcs11_oid_nca_512[12];     /* 1.2.398.3.10.1.1.2.2.1 */
extern const uint8_t pkcs11_oid_streebog512[10]; /* 1.2.643.7.1.1.2.3 */

/* Sign with the private key obj (lock held). */
int pkcs11_sign_locked(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, enum signer_algorithm alg,
		       bool rsa_pss, const uint8_t *digest, size_t digest_len, uint8_t **ret_sig,
		       size_t *ret_sig_len);

/* The signing algorithm of private key obj, or -1 for one we cannot sign
 * with; cert (may be NULL) decides when the key's attributes do not. */
int pkcs11_key_algorithm(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, X509 *cert);

/* The signing algorithm of cert's public key, or -1. */
int pkcs11_cert_algorithm(X509 *cert);
