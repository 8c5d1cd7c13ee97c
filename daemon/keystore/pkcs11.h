/* pkcs11: keys on PKCS#11 tokens (USB tokens, smart cards, SoftHSM) through
 * p11-kit: load a module, list its tokens, find the keys and certificates
 * on a token, log in with a PIN, sign, and, for NCA's remote issuance,
 * generate a key pair on the token, delete it again, and store the issued
 * certificate next to it. No protocol here: ops/ maps the errors.
 *
 * Objects and who owns them
 *   struct pkcs11_module   one module, loaded and initialised (C_Initialize)
 *                          through p11-kit in its "managed" mode, so that
 *                          other users of the same module in the process
 *                          (p11-kit's registry) do not disturb us. Counted:
 *                          every session holds a reference, so
 *                          pkcs11_module_free() may come before the sessions
 *                          are freed; the last reference finalises
 *                          (C_Finalize) and releases the module.
 *   struct pkcs11_session  one PKCS#11 session on one slot, opened for one
 *                          operation. pkcs11_session_free() logs out
 *                          (C_Logout, when logged in) and closes it
 *                          (C_CloseSession), also when the token is gone.
 *   struct pkcs11_key      a private key found in a session (and its
 *                          certificate). It borrows its session: free the
 *                          keys first.
 *
 * One session per slot: PKCS#11 keeps the login state per token and
 * process, not per session, so a second session on a token would share
 * the first one's login, and logging it out would log the first out.
 * pkcs11_session_open() refuses (PKCS11_E_BUSY) while the module has a
 * session open on that slot; keep one struct pkcs11_module per module file.
 *
 * Threads: every function locks its module's mutex while it talks to the
 * module, so the daemon's workers may call in from several threads; calls
 * on one module run one at a time (a login on a PIN pad reader holds the
 * module until the user has typed), calls on different modules in
 * parallel. A session and its keys belong to one thread at a time.
 *
 * PINs arrive as NUL-terminated strings from the caller (pinentry). They
 * are handed to C_Login as they are and never copied or kept; the caller
 * wipes its buffer.
 *
 * Return values: 0 success; a positive PKCS11_E_* for the conditions
 * below; a negative errno for the unexpected (-ENOMEM; -EINVAL for a
 * caller bug such as a NULL argument or a write on a read-only session;
 * -EIO for an OpenSSL failure). Outputs (ret_*) are written only on
 * success, except ret_why of pkcs11_module_load(). After a PKCS11_E_*
 * from a session, pkcs11_session_last_rv() says which CKR_ the module
 * answered, for the log. Nothing here logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "daemon/crypto/csr.h"
#include "daemon/crypto/signer.h"

enum pkcs11_error {
	/* The module cannot be used: no such file, not a PKCS#11 module
	 * (no C_GetFunctionList), or its C_Initialize failed. */
	PKCS11_E_MODULE = 1,
	/* No token in that slot, or no such slot. */
	PKCS11_E_NO_TOKEN,
	/* This module already has a session open on that slot. */
	PKCS11_E_BUSY,
	/* Wrong PIN (also a PIN of a length or form the token refuses):
	 * pkcs11_session_pin_state() says how many tries are left. */
	PKCS11_E_PIN_INCORRECT,
	/* The user PIN is blocked; only the token's administrator (SO PIN,
	 * PUK) can unblock it. */
	PKCS11_E_PIN_LOCKED,
	/* The operation needs pkcs11_session_login() first. */
	PKCS11_E_LOGIN_REQUIRED,
	/* The token was removed (or failed) during the operation
	 * (CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_ERROR,
	 * CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED). */
	PKCS11_E_REMOVED,
	/* The token does not offer what is asked: a mechanism (GOST 2015-512
	 * key generation on SoftHSM2), a key type, a key that may not sign. */
	PKCS11_E_UNSUPPORTED,
	/* No key with that CKA_ID in this session (log in first: private
	 * keys are usually invisible before). */
	PKCS11_E_NOT_FOUND,
	/* The certificate's public key is not the key's. */
	PKCS11_E_KEY_MISMATCH,
	/* pkcs11_cert_import(): a certificate with that CKA_ID is already on
	 * the token. pkcs11_key_delete(): the key has a certificate. Nothing
	 * is replaced or destroyed. */
	PKCS11_E_EXISTS,
	/* The module refused for another reason; pkcs11_session_last_rv(). */
	PKCS11_E_FAILED,
};

/* "CKR_PIN_INCORRECT" for 0xa0, …; NULL for a value we do not name
 * (vendor-defined ones). Static strings. */
const char *pkcs11_rv_name(unsigned long rv);

/* ---- modules ---------------------------------------------------------- */

struct pkcs11_module;

/* Load the module at path (a file name; p11-kit looks a bare name up in
 * its module folder) and initialise it. PKCS11_E_MODULE when it cannot be
 * used; then *ret_why (if ret_why is not NULL) is an English sentence for
 * the log naming the path and the reason (dlopen's error, the missing
 * C_GetFunctionList, or the CKR_ value C_Initialize returned), which the
 * caller g_free()s. *ret is the caller's reference. */
int pkcs11_module_load(const char *path, struct pkcs11_module **ret, char **ret_why);

/* The modules p11-kit's registry lists (/usr/share/p11-kit/modules/ and
 * the like), each loaded and initialised; modules that fail to initialise
 * are left out (p11-kit's rule for non-critical modules). *ret is a
 * g_new'd array of *ret_n references (possibly 0) the caller frees with
 * pkcs11_modules_free(). PKCS11_E_MODULE when p11-kit cannot read its
 * configuration. */
int pkcs11_modules_registered(struct pkcs11_module ***ret, size_t *ret_n);
void pkcs11_modules_free(struct pkcs11_module **mods, size_t n);

/* Drops the caller's reference; accepts NULL; returns NULL. */
struct pkcs11_module *pkcs11_module_free(struct pkcs11_module *m);

/* The module's name in p11-kit's registry (e.g. "softhsm2"), or the path
 * it was loaded by when the registry does not know it; and its file name.
 * Never NULL. */
const char *pkcs11_module_name(const struct pkcs11_module *m);
const char *pkcs11_module_path(const struct pkcs11_module *m);

/* ---- tokens ----------------------------------------------------------- */

enum pkcs11_token_flag {
	PKCS11_TOKEN_LOGIN_REQUIRED = 1 << 0,     /* CKF_LOGIN_REQUIRED */
	PKCS11_TOKEN_PROTECTED_AUTH = 1 << 1,     /* PIN pad: log in with pin NULL */
	PKCS11_TOKEN_PIN_COUNT_LOW = 1 << 2,      /* a wrong PIN was given since the last good one */
	PKCS11_TOKEN_PIN_FINAL_TRY = 1 << 3,      /* one more wrong PIN blocks it */
	PKCS11_TOKEN_PIN_LOCKED = 1 << 4,         /* blocked */
	PKCS11_TOKEN_PIN_TO_BE_CHANGED = 1 << 5,  /* CKF_USER_PIN_TO_BE_CHANGED */
	PKCS11_TOKEN_PIN_UNINITIALIZED = 1 << 6,  /* no user PIN yet (no CKF_USER_PIN_INITIALIZED) */
	PKCS11_TOKEN_UNINITIALIZED = 1 << 7,      /* a blank token (no CKF_TOKEN_INITIALIZED) */
	PKCS11_TOKEN_WRITE_PROTECTED = 1 << 8,    /* CKF_WRITE_PROTECTED */
};

struct pkcs11_token {
	unsigned long slot;
	/* CK_TOKEN_INFO's blank-padded fields, trailing blanks cut. */
	char label[32 + 1];
	char manufacturer[32 + 1];
	char model[16 + 1];
	char serial[16 + 1];
	unsigned flags; /* enum pkcs11_token_flag */
};

/* The slots that have a token in them. *ret is a g_new'd array of *ret_n
 * (possibly 0) tokens; g_free() it. */
int pkcs11_module_tokens(struct pkcs11_module *m, struct pkcs11_token **ret, size_t *ret_n);

/* One slot's token, read now (for fresh flags). PKCS11_E_NO_TOKEN. */
int pkcs11_module_token(struct pkcs11_module *m, unsigned long slot, struct pkcs11_token *ret);

enum pkcs11_pin_state {
	PKCS11_PIN_OK,        /* nothing to say */
	PKCS11_PIN_COUNT_LOW, /* "a wrong PIN was entered; few tries left" */
	PKCS11_PIN_FINAL_TRY, /* "one try left" */
	PKCS11_PIN_LOCKED,    /* "the PIN is blocked" */
};

/* What a prompt should say about the tries left, from token flags
 * (the most serious flag wins). */
enum pkcs11_pin_state pkcs11_pin_state(unsigned token_flags);

/* ---- sessions --------------------------------------------------------- */

struct pkcs11_session;

/* Open a session on slot: read-only for listing and signing, rw for
 * pkcs11_key_generate(), pkcs11_key_delete(), pkcs11_cert_import().
 * PKCS11_E_NO_TOKEN; PKCS11_E_BUSY (see above); PKCS11_E_FAILED (a
 * write-protected token asked for rw). */
int pkcs11_session_open(struct pkcs11_module *m, unsigned long slot, bool rw,
			struct pkcs11_session **ret);

/* Log out if logged in, close, drop the module reference; errors of a
 * token that is gone are ignored. Accepts NULL; returns NULL. */
struct pkcs11_session *pkcs11_session_free(struct pkcs11_session *s);

/* C_Login as the user. pin NULL only for a token with
 * PKCS11_TOKEN_PROTECTED_AUTH (the reader asks). Afterwards, success or
 * not, the token's flags are read again (pkcs11_session_token_flags()).
 * PKCS11_E_PIN_INCORRECT; PKCS11_E_PIN_LOCKED; PKCS11_E_REMOVED;
 * -EINVAL for a NULL pin without a PIN pad. A token that says it is
 * logged in already is logged out and in again, so the PIN is always
 * checked. */
int pkcs11_session_login(struct pkcs11_session *s, const char *pin);

unsigned long pkcs11_session_slot(const struct pkcs11_session *s);
bool pkcs11_session_logged_in(const struct pkcs11_session *s);

/* The token's flags as last read: at pkcs11_session_open() and after
 * every pkcs11_session_login(). */
unsigned pkcs11_session_token_flags(const struct pkcs11_session *s);

/* pkcs11_pin_state(pkcs11_session_token_flags(s)). */
enum pkcs11_pin_state pkcs11_session_pin_state(const struct pkcs11_session *s);

/* The CKR_ value of the last call in this session that failed (0 when
 * none did); for the log, with pkcs11_rv_name(). */
unsigned long pkcs11_session_last_rv(const struct pkcs11_session *s);

/* ---- keys ------------------------------------------------------------- */

/* Caps on what a token can make us hold. */
#define PKCS11_MAX_OBJECTS   1024        /* slots; objects of one kind per search */
#define PKCS11_MAX_ATTRIBUTE (64 * 1024) /* bytes of one attribute value */

struct pkcs11_key {
	struct pkcs11_session *session; /* borrowed */
	/* The private key object, or 0 when it is not visible (a
	 * certificate listed before login: its key is behind the PIN). */
	unsigned long handle;
	uint8_t *id; /* CKA_ID */
	size_t id_len;
	char *label; /* CKA_LABEL of the key, else of the certificate; never NULL */
	enum signer_algorithm alg;
	X509 *cert;            /* with the same CKA_ID; NULL when there is none yet */
	STACK_OF(X509) *chain; /* the token's certificates that are no key's */
	/* Option: sign RSA with RSASSA-PSS (SHA-256, MGF1 with SHA-256,
	 * salt 32 bytes) instead of PKCS#1 v1.5. false by default. Only for
	 * callers that describe the signature themselves: the CMS, XMLDSig
	 * and PKCS#10 builders write sha256WithRSAEncryption. */
	bool rsa_pss;
	/* After a signer's sign_digest() returned SIGNER_E_FAILED: the
	 * PKCS11_E_* behind it (PKCS11_E_REMOVED, …); 0 otherwise. */
	int sign_error;
};

struct pkcs11_keys {
	struct pkcs11_key **keys;
	size_t n;
	STACK_OF(X509) *chain; /* the token's certificates that are no key's */
};

/* The keys of the session's token that we can sign with: RSA, EC P-256,
 * and GOST R 34.10-2012 512 (CKK_GOSTR3410 with the tc26 512 parameter
 * set A, NCA's curve) when the module offers CKM_GOSTR3410. Each key is
 * paired with the certificate of the same CKA_ID. Before login (private
 * keys unseen), an end-entity certificate with a CKA_ID stands for its
 * key (handle 0, alg from the certificate); other certificates go to
 * chain. Keys of other algorithms are left out, with their certificates.
 * *ret is the caller's. PKCS11_E_REMOVED. */
int pkcs11_session_keys(struct pkcs11_session *s, struct pkcs11_keys **ret);
struct pkcs11_keys *pkcs11_keys_free(struct pkcs11_keys *keys);

/* The private key with this CKA_ID (and its certificate, and the chain).
 * PKCS11_E_NOT_FOUND (also before login); PKCS11_E_UNSUPPORTED for a
 * key of another algorithm. *ret is the caller's. */
int pkcs11_session_key(struct pkcs11_session *s, const uint8_t *id, size_t id_len,
		       struct pkcs11_key **ret);
struct pkcs11_key *pkcs11_key_free(struct pkcs11_key *k);

/* ---- signing ---------------------------------------------------------- */

/* Sign a digest (signer_digest_size(k->alg) bytes) with the token:
 *   RSA    CKM_RSA_PKCS over the SHA-256 DigestInfo, or CKM_RSA_PKCS_PSS
 *          when k->rsa_pss
 *   ECDSA  CKM_ECDSA; the token's r‖s becomes DER Ecdsa-Sig-Value
 *   GOST   CKM_GOSTR3410; the token's s‖r big-endian becomes r‖s
 *          little-endian (signer.h)
 * *ret_sig is OPENSSL_malloc'd. PKCS11_E_LOGIN_REQUIRED (also for a key
 * listed before login, handle 0); PKCS11_E_REMOVED; PKCS11_E_UNSUPPORTED
 * (the module lacks the mechanism, or the key may not sign); -EINVAL for
 * a digest of the wrong size. */
int pkcs11_key_sign(struct pkcs11_key *k, const uint8_t *digest, size_t digest_len,
		    uint8_t **ret_sig, size_t *ret_sig_len);

/* A signer (signer.h) over k, which must outlive it: cert and chain are
 * k's. Its sign_digest() is pkcs11_key_sign() with the signer contract's
 * errors: PKCS11_E_* become SIGNER_E_FAILED (PKCS11_E_UNSUPPORTED:
 * SIGNER_E_UNSUPPORTED) and k->sign_error keeps the PKCS11_E_* for the
 * caller's message. */
int pkcs11_key_signer(struct pkcs11_key *k, struct signer *ret);

/* ---- enrollment ------------------------------------------------------- */

/* A new key pair on the token (log in first, rw session):
 *   CSR_ALG_RSA2048  CKM_RSA_PKCS_KEY_PAIR_GEN, 2048 bits, e = 65537
 *   CSR_ALG_GOST512  CKM_GOSTR3410_KEY_PAIR_GEN with the tc26 512
 *                    parameter set A and Streebog-512; tokens that know
 *                    only GOST 2001 (SoftHSM2) refuse: PKCS11_E_UNSUPPORTED
 * The private key: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not
 * CKA_EXTRACTABLE, CKA_SIGN; the public key a public token object; both
 * labelled label and, once made, given CKA_ID = csr_pubkey_id() of the
 * public key (what NCA's certificate will carry as Subject Key
 * Identifier). *ret_pk is the public key (GOST in NCA's SPKI form), the
 * caller's; ret_id its id. If the id cannot be set the pair is destroyed
 * again. PKCS11_E_LOGIN_REQUIRED; PKCS11_E_UNSUPPORTED; PKCS11_E_REMOVED. */
int pkcs11_key_generate(struct pkcs11_session *s, enum csr_algorithm alg, const char *label,
			X509_PUBKEY **ret_pk, uint8_t ret_id[CSR_KEY_ID_SIZE]);

/* Destroy the private and public key objects with this CKA_ID (a key
 * pair whose enrollment failed). PKCS11_E_EXISTS when a certificate has
 * that id: a key with a certificate is never destroyed here.
 * PKCS11_E_NOT_FOUND when there is no such key (log in first). */
int pkcs11_key_delete(struct pkcs11_session *s, const uint8_t *id, size_t id_len);

/* Store cert on the token next to the key with this CKA_ID (log in first,
 * rw session): a CKO_CERTIFICATE/CKC_X_509 token object with CKA_ID,
 * CKA_LABEL (label), CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER and
 * CKA_VALUE. PKCS11_E_NOT_FOUND when there is no such private key;
 * PKCS11_E_KEY_MISMATCH when cert's public key is not the key's (the
 * token's public key object, else the private key's RSA modulus);
 * PKCS11_E_EXISTS when a certificate with that id is there already. */
int pkcs11_cert_import(struct pkcs11_session *s, const uint8_t *id, size_t id_len, X509 *cert,
		       const char *label);
