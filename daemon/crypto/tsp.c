/* tsp: RFC 3161 over HTTP with OpenSSL's TS_* and OSSL_HTTP_REQ_CTX.
 *
 * Why we connect the socket ourselves and hand OpenSSL a connected BIO:
 * OSSL_HTTP_open()'s BIO_do_connect_retry() treats "connection refused"
 * as worth retrying once a second until the timeout, so a TSA that is
 * down would cost the user the whole timeout, and its errors do not tell
 * a refused port from a failed lookup. With our own getaddrinfo() and
 * non-blocking connect() every address is tried once, and the message
 * says what happened. The HTTP exchange itself (request line, headers,
 * Content-Length, status, content type, ASN.1 length, size cap, timeout)
 * is OpenSSL's. */
#include "daemon/crypto/tsp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "util/cleanup.h"

#define CONTENT_TYPE_QUERY "application/timestamp-query"
#define CONTENT_TYPE_REPLY "application/timestamp-reply"
#define NONCE_BYTES 8

DEFINE_POINTER_CLEANUP(TS_REQ_free, TS_REQ)
DEFINE_POINTER_CLEANUP(TS_RESP_free, TS_RESP)
DEFINE_POINTER_CLEANUP(TS_VERIFY_CTX_free, TS_VERIFY_CTX)
DEFINE_POINTER_CLEANUP(BIO_free_all, BIO)
DEFINE_POINTER_CLEANUP(OSSL_HTTP_REQ_CTX_free, OSSL_HTTP_REQ_CTX)

static inline void conf_values_freep(STACK_OF(CONF_VALUE) **p)
{
	sk_CONF_VALUE_pop_free(*p, X509V3_conf_free);
}

static inline void openssl_freep(void *p)
{
	OPENSSL_free(*(void **)p);
}

/* Where the request goes, from the URL. */
struct target {
	const char *url; /* as given, for messages */
	char *host; /* without IPv6 brackets */
	char *port;
	char *path; /* with the query, if any */
	char *host_header;
	bool tls;
};

static void target_clear(struct target *t)
{
	OPENSSL_free(t->host);
	OPENSSL_free(t->port);
	free(t->path);
	free(t->host_header);
	*t = (struct target){ 0 };
}

static int target_parse(const char *url, struct target *ret)
{
	_cleanup_(openssl_freep) char *path = NULL, *query = NULL;
	int tls = 0, n;

	*ret = (struct target){ .url = url };
	/* Refuse anything but http/https (OSSL_HTTP_parse_url() takes a URL
	 * without a scheme as http). */
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return -EINVAL;
	if (!OSSL_HTTP_parse_url(url, &tls, NULL, &ret->host, &ret->port, NULL, &path, &query,
				 NULL) ||
	    !*ret->host) {
		target_clear(ret);
		return -EINVAL;
	}
	ret->tls = tls;
	if (query && *query)
		n = asprintf(&ret->path, "%s?%s", path, query);
	else
		n = asprintf(&ret->path, "%s", path);
	if (n >= 0)
		n = asprintf(&ret->host_header, strchr(ret->host, ':') ? "[%s]:%s" : "%s:%s",
			     ret->host, ret->port);
	if (n < 0) {
		target_clear(ret);
		return -ENOMEM;
	}
	return 0;
}

/* The user's message: "<what> <url>: <why>." Returns err, or -ENOMEM. */
__attribute__((format(printf, 4, 5))) static int fail(int err, char **ret_message,
						      const struct target *t, const char *fmt, ...)
{
	_cleanup_free_ char *why = NULL;
	char *m = NULL;
	va_list ap;
	int n;

	if (!ret_message)
		return err;
	va_start(ap, fmt);
	n = vasprintf(&why, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	switch (err) {
	case TSP_E_UNREACHABLE:
		n = asprintf(&m, "Cannot reach the time-stamp server %s: %s.", t->url, why);
		break;
	case TSP_E_HTTP:
		n = asprintf(&m, "The time-stamp server %s did not answer with a time stamp: %s.",
			     t->url, why);
		break;
	case TSP_E_REFUSED:
		n = asprintf(&m, "The time-stamp server %s refused to time-stamp: %s.", t->url,
			     why);
		break;
	case TSP_E_BAD_RESPONSE:
	default:
		n = asprintf(&m, "The time-stamp server %s sent an unusable answer: %s.", t->url,
			     why);
		break;
	}
	if (n < 0)
		return -ENOMEM;
	*ret_message = m;
	return err;
}

/* Time left until deadline (CLOCK_MONOTONIC), in milliseconds, >= 0. */
static int remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

/* Wait until fd is ready for events or the deadline passes. Returns 1,
 * 0 on timeout, -errno. */
static int wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, remaining_ms(deadline));
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r > 0;
}

/* A connected non-blocking TCP socket to t, each address tried once. On
 * failure *ret_why says what happened to the last address. */
static int tcp_connect(const struct target *t, const struct timespec *deadline, int *ret_fd,
		       char **ret_why)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int r, err = 0;

	r = getaddrinfo(t->host, t->port, &hints, &ai);
	if (r != 0)
		return asprintf(ret_why, "%s",
				r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r)) < 0
			       ? -ENOMEM
			       : TSP_E_UNREACHABLE;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				a->ai_protocol);
		socklen_t len = sizeof(err);

		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			err = 0;
		} else if (errno != EINPROGRESS) {
			err = errno;
		} else {
			r = wait_fd(fd, POLLOUT, deadline);
			if (r == 0)
				err = ETIMEDOUT;
			else if (r < 0)
				err = -r;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
		}
		if (err == 0) {
			freeaddrinfo(ai);
			*ret_fd = fd;
			return 0;
		}
		close(fd);
		if (err == ETIMEDOUT)
			break;
	}
	freeaddrinfo(ai);
	if (err == ETIMEDOUT)
		r = asprintf(ret_why, "no connection within the time limit");
	else
		r = asprintf(ret_why, "%s", strerror(err ? err : EHOSTUNREACH));
	return r < 0 ? -ENOMEM : TSP_E_UNREACHABLE;
}

/* The first error on OpenSSL's queue, for a message. */
static const char *openssl_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_error());

	return r ? r : "unknown error";
}

static bool is_ip_literal(const char *host)
{
	struct in6_addr a;

	return inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1;
}

/* TLS over sock (taken over, also on failure), the server's certificate
 * checked against the default verify paths and t->host. */
static int tls_wrap(const struct target *t, int fd, BIO *sock, const struct timespec *deadline,
		    BIO **ret_bio, char **ret_why)
{
	_cleanup_(BIO_free_allp) BIO *bio = NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	int r;

	if (!ctx || !SSL_CTX_set_default_verify_paths(ctx) ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		SSL_CTX_free(ctx);
		BIO_free_all(sock);
		return -ENOMEM;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	bio = BIO_new_ssl(ctx, 1);
	SSL_CTX_free(ctx); /* the SSL holds its own reference */
	if (!bio) {
		BIO_free_all(sock);
		return -ENOMEM;
	}
	BIO_push(bio, sock);
	BIO_get_ssl(bio, &ssl);
	/* SSL_set1_host() checks an IP address literal as an iPAddress;
	 * SNI is for names only (RFC 6066 §3). */
	if (!ssl || !SSL_set1_host(ssl, t->host) ||
	    (!is_ip_literal(t->host) && !SSL_set_tlsext_host_name(ssl, t->host)))
		return -ENOMEM;
	while ((r = BIO_do_handshake(bio)) <= 0) {
		if (!BIO_should_retry(bio)) {
			long v = SSL_get_verify_result(ssl);

			if (v != X509_V_OK)
				r = asprintf(ret_why, "TLS: the server's certificate: %s",
					     X509_verify_cert_error_string(v));
			else if (ERR_peek_error())
				r = asprintf(ret_why, "TLS: %s", openssl_reason());
			else
				r = asprintf(ret_why, "the connection ended during the TLS "
						      "handshake");
			return r < 0 ? -ENOMEM : TSP_E_UNREACHABLE;
		}
		r = wait_fd(fd, BIO_should_write(bio) ? POLLOUT : POLLIN, deadline);
		if (r < 0)
			return r;
		if (r == 0)
			return asprintf(ret_why, "no TLS handshake within the time limit") < 0
				       ? -ENOMEM
				       : TSP_E_UNREACHABLE;
	}
	*ret_bio = TAKE_PTR(bio);
	return 0;
}

/* Whether an error from OSSL_HTTP_REQ_CTX_exchange() means the server did
 * answer, but not what we asked for. */
static bool http_answer_error(unsigned long e)
{
	if (ERR_GET_LIB(e) != ERR_LIB_HTTP)
		return false;
	switch (ERR_GET_REASON(e)) {
	case HTTP_R_RECEIVED_ERROR:
	case HTTP_R_STATUS_CODE_UNSUPPORTED:
	case HTTP_R_UNEXPECTED_CONTENT_TYPE:
	case HTTP_R_MISSING_CONTENT_TYPE:
	case HTTP_R_HEADER_PARSE_ERROR:
	case HTTP_R_RESPONSE_PARSE_ERROR:
	case HTTP_R_RECEIVED_WRONG_HTTP_VERSION:
	case HTTP_R_RESPONSE_LINE_TOO_LONG:
	case HTTP_R_MISSING_ASN1_ENCODING:
	case HTTP_R_ERROR_PARSING_ASN1_LENGTH:
	case HTTP_R_ERROR_PARSING_CONTENT_LENGTH:
	case HTTP_R_INCONSISTENT_CONTENT_LENGTH:
	case HTTP_R_MAX_RESP_LEN_EXCEEDED:
	case HTTP_R_ASN1_LEN_EXCEEDS_MAX_RESP_LEN:
	case HTTP_R_REDIRECTION_NOT_ENABLED:
	case HTTP_R_MISSING_REDIRECT_LOCATION:
		return true;
	default:
		return false;
	}
}

/* Turn a failed exchange into TSP_E_HTTP or TSP_E_UNREACHABLE with
 * OpenSSL's words (its data says e.g. "code=500,reason=…"). */
static int exchange_failed(const struct target *t, unsigned timeout_s, char **ret_message)
{
	const char *data = NULL;
	unsigned long e;
	int flags = 0;

	/* Earliest first: the cause comes before the "error receiving"
	 * the exchange adds on top. */
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags))) {
		const char *reason = ERR_reason_error_string(e);
		bool has_data = (flags & ERR_TXT_STRING) && data && *data;

		if (http_answer_error(e))
			return fail(TSP_E_HTTP, ret_message, t, "%s%s%s%s",
				    reason ? reason : "HTTP error", has_data ? " (" : "",
				    has_data ? data : "", has_data ? ")" : "");
		if (ERR_GET_LIB(e) == ERR_LIB_BIO && ERR_GET_REASON(e) == BIO_R_TRANSFER_TIMEOUT)
			return fail(TSP_E_UNREACHABLE, ret_message, t, "no answer within %u s",
				    timeout_s);
	}
	return fail(TSP_E_UNREACHABLE, ret_message, t,
		    "the connection ended before an answer came");
}

/* POST req to t and return the body of a 200 timestamp-reply. */
static int http_post(const struct target *t, TS_REQ *req, unsigned timeout_s, uint8_t **ret_body,
		     size_t *ret_len, char **ret_message)
{
	_cleanup_(BIO_free_allp) BIO *bio = NULL, *query = NULL;
	_cleanup_(OSSL_HTTP_REQ_CTX_freep) OSSL_HTTP_REQ_CTX *rctx = NULL; /* freed first */
	_cleanup_(conf_values_freep) STACK_OF(CONF_VALUE) *headers = NULL;
	_cleanup_free_ char *why = NULL;
	struct timespec deadline;
	BIO *mem;
	char *body;
	long len;
	int fd = -1, r, left_s;

	/* The request first: nothing to undo if memory runs out. */
	query = BIO_new(BIO_s_mem());
	if (!query || i2d_TS_REQ_bio(query, req) != 1 ||
	    !X509V3_add_value("Host", t->host_header, &headers))
		return -ENOMEM;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;

	r = tcp_connect(t, &deadline, &fd, &why);
	if (r != 0)
		return r < 0 ? r : fail(r, ret_message, t, "%s", why);
	bio = BIO_new_socket(fd, BIO_CLOSE);
	if (!bio) {
		close(fd);
		return -ENOMEM;
	}
	if (t->tls) {
		r = tls_wrap(t, fd, TAKE_PTR(bio), &deadline, &bio, &why);
		if (r != 0)
			return r < 0 ? r : fail(r, ret_message, t, "%s", why);
	}

	/* OpenSSL counts whole seconds; round up what is left. */
	left_s = (remaining_ms(&deadline) + 999) / 1000;
	if (left_s <= 0)
		return fail(TSP_E_UNREACHABLE, ret_message, t, "no answer within %u s", timeout_s);
	/* POST path HTTP/1.0, Host, Content-Type, Content-Length; expect
	 * the reply type, ASN.1 (its length header is checked against the
	 * cap before the body is read), no keep-alive. */
	rctx = OSSL_HTTP_REQ_CTX_new(bio, bio, 0);
	if (!rctx || !OSSL_HTTP_set1_request(rctx, t->path, headers, CONTENT_TYPE_QUERY, query,
					     CONTENT_TYPE_REPLY, 1, TSP_RESPONSE_MAX, left_s, 0))
		return -ENOMEM;

	mem = OSSL_HTTP_REQ_CTX_exchange(rctx);
	if (!mem)
		return exchange_failed(t, timeout_s, ret_message);
	len = BIO_get_mem_data(mem, &body);
	if (len <= 0)
		return fail(TSP_E_BAD_RESPONSE, ret_message, t, "the answer is empty");
	*ret_body = malloc((size_t)len);
	if (!*ret_body)
		return -ENOMEM;
	memcpy(*ret_body, body, (size_t)len);
	*ret_len = (size_t)len;
	return 0;
}

static int build_request(const char *policy_oid, enum signer_algorithm alg, const uint8_t *data,
			 size_t len, TS_REQ **ret)
{
	_cleanup_(TS_REQ_freep) TS_REQ *req = TS_REQ_new();
	uint8_t digest[SIGNER_DIGEST_MAX], nonce_bytes[NONCE_BYTES];
	size_t digest_len = 0;
	TS_MSG_IMPRINT *imprint = TS_MSG_IMPRINT_new();
	X509_ALGOR *algo = X509_ALGOR_new();
	ASN1_OBJECT *oid = OBJ_txt2obj(signer_digest_oid(alg), 1);
	ASN1_OBJECT *policy = policy_oid ? OBJ_txt2obj(policy_oid, 1) : NULL;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *nonce = NULL;
	int r = -ENOMEM;

	if (policy_oid && !policy) {
		r = -EINVAL;
		goto out;
	}
	r = signer_digest(alg, data, len, digest, &digest_len);
	if (r != 0) {
		r = r < 0 ? r : -EOPNOTSUPP;
		goto out;
	}
	r = -ENOMEM;
	if (!req || !imprint || !algo || !oid)
		goto out;
	/* NULL parameters, as BouncyCastle's TimeStampRequestGenerator and
	 * `openssl ts -query` write them; NCA's Streebog OID is not one
	 * OpenSSL knows, which does not matter here. */
	if (!X509_ALGOR_set0(algo, oid, V_ASN1_NULL, NULL))
		goto out;
	oid = NULL;
	if (!TS_MSG_IMPRINT_set_algo(imprint, algo) ||
	    !TS_MSG_IMPRINT_set_msg(imprint, digest, (int)digest_len))
		goto out;

	if (RAND_bytes(nonce_bytes, sizeof(nonce_bytes)) != 1) {
		r = -EIO;
		goto out;
	}
	bn = BN_bin2bn(nonce_bytes, sizeof(nonce_bytes), NULL);
	nonce = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (!nonce || !TS_REQ_set_version(req, 1) || !TS_REQ_set_msg_imprint(req, imprint) ||
	    !TS_REQ_set_nonce(req, nonce) || !TS_REQ_set_cert_req(req, 1) ||
	    (policy && !TS_REQ_set_policy_id(req, policy)))
		goto out;
	*ret = TAKE_PTR(req);
	r = 0;
out:
	TS_MSG_IMPRINT_free(imprint);
	X509_ALGOR_free(algo);
	ASN1_OBJECT_free(oid);
	ASN1_OBJECT_free(policy);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	OPENSSL_cleanse(digest, sizeof(digest));
	return r;
}

/* "rejection, "text", failure info badAlg" for TSP_E_REFUSED. */
static int refused(const struct target *t, const TS_STATUS_INFO *si, long status,
		   char **ret_message)
{
	static const char *const statuses[] = {
		"granted", "grantedWithMods", "rejection", "waiting", "revocationWarning",
		"revocationNotification",
	};
	static const struct {
		int bit;
		const char *name;
	} failures[] = {
		{ TS_INFO_BAD_ALG, "badAlg" },
		{ TS_INFO_BAD_REQUEST, "badRequest" },
		{ TS_INFO_BAD_DATA_FORMAT, "badDataFormat" },
		{ TS_INFO_TIME_NOT_AVAILABLE, "timeNotAvailable" },
		{ TS_INFO_UNACCEPTED_POLICY, "unacceptedPolicy" },
		{ TS_INFO_UNACCEPTED_EXTENSION, "unacceptedExtension" },
		{ TS_INFO_ADD_INFO_NOT_AVAILABLE, "addInfoNotAvailable" },
		{ TS_INFO_SYSTEM_FAILURE, "systemFailure" },
	};
	const STACK_OF(ASN1_UTF8STRING) *text = TS_STATUS_INFO_get0_text(si);
	const ASN1_BIT_STRING *info = TS_STATUS_INFO_get0_failure_info(si);
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	int r;

	if (!f)
		return -ENOMEM;
	if (status >= 0 && status < (long)(sizeof(statuses) / sizeof(statuses[0]))) {
		fputs(statuses[status], f);
	} else {
		fprintf(f, "status %ld", status);
	}
	for (int i = 0; i < sk_ASN1_UTF8STRING_num(text); i++) {
		const ASN1_UTF8STRING *u = sk_ASN1_UTF8STRING_value(text, i);

		fprintf(f, "%s\"%.*s\"", i ? " " : ", ", ASN1_STRING_length(u),
			(const char *)ASN1_STRING_get0_data(u));
	}
	if (info) {
		const char *sep = ", failure info ";

		for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++)
			if (ASN1_BIT_STRING_get_bit(info, failures[i].bit)) {
				fprintf(f, "%s%s", sep, failures[i].name);
				sep = " ";
			}
	}
	if (fclose(f) != 0) {
		free(s);
		return -ENOMEM;
	}
	r = fail(TSP_E_REFUSED, ret_message, t, "%s", s);
	free(s);
	return r;
}

/* The TimeStampToken's bytes as the TSA sent them: TimeStampResp ::=
 * SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }.
 * False for indefinite lengths (the caller re-encodes then). */
static bool token_bytes(const uint8_t *der, size_t len, const uint8_t **ret, size_t *ret_len)
{
	const unsigned char *p = der, *end = der + len, *token;
	long n;
	int tag, class, r;

	if (len > LONG_MAX)
		return false;
	r = ASN1_get_object(&p, &n, &tag, &class, (long)len);
	if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE || p + n != end)
		return false;
	for (int i = 0; i < 2; i++) {
		token = p;
		r = ASN1_get_object(&p, &n, &tag, &class, end - p);
		if ((r & 0x80) || (r & 1))
			return false;
		p += n;
	}
	if (p != end)
		return false;
	*ret = token;
	*ret_len = (size_t)(p - token);
	return true;
}

static int check_response(const struct target *t, TS_REQ *req, const uint8_t *body, size_t len,
			  uint8_t **ret_token, size_t *ret_len, char **ret_message)
{
	_cleanup_(TS_RESP_freep) TS_RESP *resp = NULL;
	_cleanup_(TS_VERIFY_CTX_freep) TS_VERIFY_CTX *v = NULL;
	const unsigned char *p = body;
	const uint8_t *token;
	unsigned char *encoded = NULL;
	size_t token_len;
	TS_STATUS_INFO *si;
	long status;

	if (len > LONG_MAX)
		return fail(TSP_E_BAD_RESPONSE, ret_message, t, "the answer is too large");
	resp = d2i_TS_RESP(NULL, &p, (long)len);
	if (!resp || p != body + len)
		return fail(TSP_E_BAD_RESPONSE, ret_message, t,
			    "it is not an RFC 3161 TimeStampResp (%s)", openssl_reason());
	si = TS_RESP_get_status_info(resp);
	status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
	if (status != TS_STATUS_GRANTED && status != TS_STATUS_GRANTED_WITH_MODS)
		return refused(t, si, status, ret_message);
	if (!TS_RESP_get_token(resp) || !TS_RESP_get_tst_info(resp))
		return fail(TSP_E_BAD_RESPONSE, ret_message, t, "it holds no time-stamp token");

	/* Version, imprint (algorithm and hash), nonce, and policy when we
	 * asked for one; not the signature (see tsp.h). TS_VFY_SIGNER and
	 * TS_VFY_TSA_NAME would turn signature checking back on. */
	v = TS_REQ_to_TS_VERIFY_CTX(req, NULL);
	if (!v)
		return -ENOMEM;
	TS_VERIFY_CTX_set_flags(v, TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE |
					   (TS_REQ_get_policy_id(req) ? TS_VFY_POLICY : 0));
	if (TS_RESP_verify_response(v, resp) != 1)
		return fail(TSP_E_BAD_RESPONSE, ret_message, t, "%s", openssl_reason());

	if (token_bytes(body, len, &token, &token_len)) {
		*ret_token = malloc(token_len);
		if (!*ret_token)
			return -ENOMEM;
		memcpy(*ret_token, token, token_len);
		*ret_len = token_len;
		return 0;
	}
	{
		int n = i2d_PKCS7(TS_RESP_get_token(resp), &encoded);

		if (n <= 0)
			return -ENOMEM;
		*ret_token = malloc((size_t)n);
		if (*ret_token)
			memcpy(*ret_token, encoded, (size_t)n);
		*ret_len = (size_t)n;
		OPENSSL_free(encoded);
		return *ret_token ? 0 : -ENOMEM;
	}
}

int tsp_timestamp(const char *url, const char *policy_oid, enum signer_algorithm alg,
		  const uint8_t *data, size_t len, unsigned timeout_s, uint8_t **ret_token,
		  size_t *ret_len, char **ret_message)
{
	_cleanup_(target_clear) struct target t = {};
	_cleanup_(TS_REQ_freep) TS_REQ *req = NULL;
	_cleanup_free_ uint8_t *body = NULL;
	size_t body_len = 0;
	int r;

	if (!url || !ret_token || !ret_len || (!data && len) || alg >= _SIGNER_ALG_MAX)
		return -EINVAL;
	if (timeout_s == 0)
		timeout_s = TSP_TIMEOUT_DEFAULT;
	r = target_parse(url, &t);
	if (r != 0)
		return r;
	r = build_request(policy_oid, alg, data, len, &req);
	if (r != 0)
		return r;

	/* The messages read OpenSSL's error queue: start it empty, leave it
	 * empty. */
	ERR_clear_error();
	r = http_post(&t, req, timeout_s, &body, &body_len, ret_message);
	if (r == 0)
		r = check_response(&t, req, body, body_len, ret_token, ret_len, ret_message);
	ERR_clear_error();
	return r;
}
