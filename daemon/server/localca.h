/* The local CA: TLS for wss://127.0.0.1:13579 without a shared key.
 *
 * On first start a per-install CA, name-constrained to localhost,
 * 127.0.0.1 and ::1, issues the server certificate. The CA's private key
 * lives only in memory for as long as it takes to sign that one leaf; it is
 * never written anywhere. Renewal therefore makes a new CA and a new leaf;
 * nssdb_refresh() then replaces the trusted CA in the browsers' databases.
 *
 * Files in the TLS folder (mode 0700):
 *   ca.pem       the CA certificate (0644), what browsers are told to trust
 *   server.pem   the leaf, then the CA (0644): a chain file for the server
 *   server.key   the leaf's private key, PKCS#8 PEM (0600)
 *
 * Each file is replaced atomically (temporary name, fsync, rename, fsync of
 * the folder). Concurrent localca_ensure() calls, also from other
 * processes, are serialized by an flock() on the folder.
 *
 * Errors: 0 on success, LOCALCA_E_* for documented conditions, otherwise a
 * negative errno. -EIO means OpenSSL failed; its error queue says more. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Validity of both certificates. 397 days is the longest any browser
 * accepts for a server certificate. */
#define LOCALCA_VALID_DAYS 397
/* Renew this long before the leaf expires. */
#define LOCALCA_RENEW_BEFORE_DAYS 30

/* Length of localca_ca_fingerprint()'s hex string, without the NUL. */
#define LOCALCA_FINGERPRINT_HEX 64

enum localca_error {
	LOCALCA_E_NO_CERT = 1, /* the certificate file is missing or unreadable */
};

/* Paths of the files in a TLS folder; all strings are owned (free()). */
struct localca_files {
	char *dir;
	char *ca_cert;     /* <dir>/ca.pem */
	char *server_cert; /* <dir>/server.pem: leaf, then the CA */
	char *server_key;  /* <dir>/server.key */
};

/* Fill *f from tls_dir. Returns 0 or -ENOMEM (then *f holds nothing that
 * needs clearing). */
int localca_files_init(struct localca_files *f, const char *tls_dir);
/* Free the strings; f may be cleared twice. */
void localca_files_clear(struct localca_files *f);

/* Make sure tls_dir holds a usable server certificate: all three files
 * present and parseable, server.key private to this user (mode 0600, ours)
 * and matching the leaf, server.pem's CA equal to ca.pem, the chain
 * verifying against ca.pem for a TLS server, ca.pem name-constrained, the
 * leaf valid for localhost, 127.0.0.1 and ::1, and neither certificate
 * expiring within renew_before_s seconds. Otherwise (or when absent) make a
 * new CA and leaf, and write all three files. Creates tls_dir with mode
 * 0700, and missing parents likewise.
 *
 * *ret_renewed (may be NULL) is true when new files were written. A
 * renew_before_s as long as LOCALCA_VALID_DAYS renews on every call.
 * Blocks on the folder lock while another process runs localca_ensure(). */
int localca_ensure(const char *tls_dir, int64_t renew_before_s, bool *ret_renewed);

/* Seconds until the leaf in tls_dir/server.pem expires (negative when it
 * already has). A renewal timer should call localca_ensure() again after
 * *ret_seconds - renew_before_s seconds. LOCALCA_E_NO_CERT when the file is
 * missing or unparseable. */
int localca_time_left(const char *tls_dir, int64_t *ret_seconds);

/* SHA-256 fingerprint of tls_dir/ca.pem's certificate (its DER form) as
 * LOCALCA_FINGERPRINT_HEX uppercase hex digits and a NUL, written to
 * ret_hex. LOCALCA_E_NO_CERT when ca.pem is missing or unparseable. */
int localca_ca_fingerprint(const char *tls_dir, char ret_hex[static LOCALCA_FINGERPRINT_HEX + 1]);
