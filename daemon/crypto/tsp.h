/* tsp: an RFC 3161 time-stamp client, for CAdES-T (NCALayer's tsaProfile,
 * NCA's TSA at http://tsp.pki.gov.kz:80).
 *
 * One request, one answer: the request is a TimeStampReq (version 1,
 * messageImprint = signer_digest(alg) of the data with the algorithm
 * signer_digest_oid(alg) and NULL parameters, as BouncyCastle and
 * `openssl ts -query` write it; a random 64-bit nonce; certReq TRUE; the
 * policy when one is given), POSTed as application/timestamp-query over
 * HTTP/1.0. The answer must be 200 application/timestamp-reply holding a
 * TimeStampResp whose status is granted or grantedWithMods, and whose
 * TSTInfo has version 1, our messageImprint (algorithm and hash), our
 * nonce and, when we asked for one, our policy.
 *
 * What is NOT checked: the TSA's signature on the token and its
 * certificate chain. Trusting the time is the verifier's business (it
 * checks the token against its own trust anchors, as it checks the
 * signer's certificate); a forged token here makes a signature that fails
 * verification, it does not make us accept anything.
 *
 * URLs: http://host[:port][/path] and https:// (TLS 1.2 or later, the
 * server's certificate checked against OpenSSL's default verify paths,
 * SSL_CERT_FILE / SSL_CERT_DIR included, and against the host name).
 * Proxies (http_proxy) are not used.
 *
 * Blocking: the call blocks the calling thread for up to timeout_s for
 * connecting, TLS, sending and receiving together; the host name lookup
 * (getaddrinfo) comes before and is bounded by the resolver's own
 * timeouts. Call it from a worker thread, not from the main loop.
 * Thread-safe (no shared state; it clears the calling thread's OpenSSL
 * error queue). Does not log. Writes to a socket the server may have
 * closed: the process must ignore SIGPIPE (qoltanbad's main() does). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "daemon/crypto/signer.h"

#define TSP_TIMEOUT_DEFAULT 20           /* seconds, for timeout_s 0 */
#define TSP_RESPONSE_MAX (256 * 1024)    /* a TimeStampResp larger than this is refused */

enum tsp_error {
	TSP_E_UNREACHABLE = 1, /* connection refused, DNS failure, timeout, TLS failure, the
				* connection closed before an answer */
	TSP_E_HTTP,            /* the server answered, but not 200 with a timestamp-reply
				* (status, content type, or a body over TSP_RESPONSE_MAX) */
	TSP_E_REFUSED,         /* PKIStatus not granted/grantedWithMods (the message has the
				* status, its text and the failure info) */
	TSP_E_BAD_RESPONSE,    /* unparsable, or imprint/nonce/hash algorithm/policy/version
				* does not match the request */
};

/* Time-stamp data[0..len) (for CAdES: the SignerInfo's signature value).
 * url: http:// or https://; policy_oid: dotted OID to ask for, NULL for
 * the TSA's default; timeout_s 0: TSP_TIMEOUT_DEFAULT seconds. data may be
 * NULL when len is 0.
 *
 * On success returns 0 and *ret_token is the DER of the TimeStampToken (a
 * ContentInfo holding SignedData, the bytes exactly as the TSA sent them),
 * *ret_len bytes, malloc()'d: the caller free()s it.
 *
 * On TSP_E_* *ret_message (if ret_message is not NULL) is a malloc()'d
 * English sentence for the user that names the URL and says why; the
 * caller free()s it. Other returns leave it untouched: -EINVAL (a URL
 * that does not parse or is neither http nor https, a policy that is not
 * an OID), -EOPNOTSUPP when alg's digest is not available (Streebog
 * without OpenSSL's gost provider), -ENOMEM, other negative errnos. */
int tsp_timestamp(const char *url, const char *policy_oid, enum signer_algorithm alg,
		  const uint8_t *data, size_t len, unsigned timeout_s, uint8_t **ret_token,
		  size_t *ret_len, char **ret_message);
