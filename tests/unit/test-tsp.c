/* tsp: the RFC 3161 client against a stand-in TSA (test-tsa.h) that
 * answers with `openssl ts -reply`, or with canned failures. Tokens are
 * checked by a second implementation (`openssl ts -verify`, as a user's
 * verifier would) and the requests the server got are parsed back. */
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include "daemon/crypto/streebog.h"
#include "daemon/crypto/tsp.h"
#include "tests/unit/test-tsa.h"
#include "tests/unit/test-util.h"

#define OID_SHA256 "2.16.840.1.101.3.4.2.1"
#define OID_STREEBOG_512 "1.2.398.3.10.1.3.3" /* NCA's, not OpenSSL's */

static const char document[] = "Қолтаңба: signature value to time-stamp\n";
static const uint8_t byte[1] = { 'x' };

static void free_message(char **m)
{
	free(*m);
	*m = NULL;
}

static char *oid_text(const ASN1_OBJECT *o)
{
	char buf[128];

	g_assert_cmpint(OBJ_obj2txt(buf, sizeof(buf), o, 1), >, 0);
	return g_strdup(buf);
}

/* The request as the stand-in received it. */
static TS_REQ *parse_query(const struct tsa *t)
{
	const unsigned char *p = t->query->data;
	TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)t->query->len);

	g_assert_nonnull(req);
	g_assert_true(p == t->query->data + t->query->len);
	return req;
}

/* Check what every request must be: a POST of application/timestamp-query
 * to the URL's path, version 1, certReq, a nonce of at most 64 bits, the
 * imprint algorithm oid (NULL parameters) with digest[0..digest_len). */
static void check_query(const struct tsa *t, const char *oid, const uint8_t *digest,
			size_t digest_len, const char *policy)
{
	TS_REQ *req = parse_query(t);
	TS_MSG_IMPRINT *mi = TS_REQ_get_msg_imprint(req);
	X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(mi);
	ASN1_OCTET_STRING *hash = TS_MSG_IMPRINT_get_msg(mi);
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;
	g_autofree char *text = NULL;
	BIGNUM *nonce;

	g_assert_true(g_str_has_prefix(t->head->str, "POST /tsp HTTP/1."));
	g_assert_nonnull(
		strcasestr(t->head->str, "\r\nContent-Type: application/timestamp-query\r\n"));
	g_assert_nonnull(strcasestr(t->head->str, "\r\nHost: 127.0.0.1:"));

	g_assert_cmpint(TS_REQ_get_version(req), ==, 1);
	g_assert_cmpint(TS_REQ_get_cert_req(req), ==, 1);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	text = oid_text(obj);
	g_assert_cmpstr(text, ==, oid);
	g_assert_cmpint(ptype, ==, V_ASN1_NULL);
	g_assert_cmpmem(ASN1_STRING_get0_data(hash), ASN1_STRING_length(hash), digest, digest_len);
	g_assert_nonnull(TS_REQ_get_nonce(req));
	nonce = ASN1_INTEGER_to_BN(TS_REQ_get_nonce(req), NULL);
	g_assert_cmpint(BN_num_bits(nonce), <=, 64);
	g_assert_cmpint(BN_num_bits(nonce), >, 8); /* random, not a constant 0 or 1 */
	BN_free(nonce);
	if (policy) {
		g_free(text);
		text = oid_text(TS_REQ_get_policy_id(req));
		g_assert_cmpstr(text, ==, policy);
	} else {
		g_assert_null(TS_REQ_get_policy_id(req));
	}
	TS_REQ_free(req);
}

static void sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned n = 0;

	g_assert_cmpint(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), ==, 1);
}

/* `openssl ts -verify` of token over data, trusting the stand-in's CA. */
static bool openssl_ts_verify(const uint8_t *token, size_t token_len, const void *data,
			      size_t len)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-tsp-XXXXXX", &error);
	g_autofree char *tok = NULL, *dat = NULL, *err = NULL;
	g_autofree char *ca = tsa_path("ca.pem"), *tsa = tsa_path("tsa.pem");
	int status = -1;
	bool ok;

	g_assert_no_error(error);
	tok = g_build_filename(dir, "token.der", NULL);
	dat = g_build_filename(dir, "data", NULL);
	g_assert_true(g_file_set_contents(tok, (const char *)token, (gssize)token_len, NULL));
	g_assert_true(g_file_set_contents(dat, data, (gssize)len, NULL));
	{
		const char *argv[] = { TEST_OPENSSL, "ts", "-verify", "-in", tok, "-token_in",
				       "-data", dat, "-CAfile", ca, "-untrusted", tsa, NULL };

		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
					   NULL, NULL, NULL, &err, &status, &error));
	}
	g_assert_no_error(error);
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok)
		g_test_message("openssl ts -verify: %s", err);
	test_rm_rf(dir);
	return ok;
}

static TS_TST_INFO *token_info(const uint8_t *token, size_t len)
{
	const unsigned char *p = token;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	TS_TST_INFO *info;

	g_assert_nonnull(p7);
	g_assert_true(p == token + len);
	info = PKCS7_to_TS_TST_INFO(p7);
	g_assert_nonnull(info);
	/* certReq: the TSA's certificate came along. */
	g_assert_cmpint(sk_X509_num(p7->d.sign->cert), >=, 1);
	PKCS7_free(p7);
	return info;
}

static void test_granted(void)
{
	struct tsa t = { .mode = TSA_REPLY };
	size_t len = strlen(document);
	uint8_t digest[32], *token = NULL;
	size_t token_len = 0;
	char *message = NULL;
	TS_TST_INFO *info;
	TS_REQ *req;
	g_autofree char *tampered = g_strdup(document);

	sha256(document, len, digest);
	tsa_start(&t);
	g_assert_cmpint(tsp_timestamp(t.url, NULL, SIGNER_ALG_RSA_SHA256, (const uint8_t *)document,
				      len, 10, &token, &token_len, &message),
			==, 0);
	g_assert_null(message);
	tsa_stop(&t);
	g_assert_null(t.error);
	check_query(&t, OID_SHA256, digest, sizeof(digest), NULL);

	/* The token stamps our imprint with our nonce, and the second
	 * implementation accepts it for the data (and not for other data). */
	info = token_info(token, token_len);
	req = parse_query(&t);
	g_assert_cmpint(ASN1_INTEGER_cmp(TS_TST_INFO_get_nonce(info), TS_REQ_get_nonce(req)), ==,
			0);
	TS_REQ_free(req);
	TS_TST_INFO_free(info);
	g_assert_true(openssl_ts_verify(token, token_len, document, len));
	tampered[0] ^= 1;
	g_assert_false(openssl_ts_verify(token, token_len, tampered, len));
	free(token);
	tsa_clear(&t);
}

/* A policy the TSA has is granted and stamped; one it does not have is
 * refused (`openssl ts -reply` answers rejection, unacceptedPolicy). */
static void test_policy(void)
{
	struct tsa t = { .mode = TSA_REPLY };
	size_t len = strlen(document);
	uint8_t digest[32], *token = NULL;
	size_t token_len = 0;
	char *message = NULL;
	TS_TST_INFO *info;
	g_autofree char *policy = NULL;

	sha256(document, len, digest);
	tsa_start(&t);
	g_assert_cmpint(tsp_timestamp(t.url, "1.2.3.4.5", SIGNER_ALG_ECDSA_SHA256,
				      (const uint8_t *)document, len, 10, &token, &token_len,
				      &message),
			==, 0);
	tsa_stop(&t);
	check_query(&t, OID_SHA256, digest, sizeof(digest), "1.2.3.4.5");
	info = token_info(token, token_len);
	policy = oid_text(TS_TST_INFO_get_policy_id(info));
	g_assert_cmpstr(policy, ==, "1.2.3.4.5");
	TS_TST_INFO_free(info);
	free(token);
	token = NULL;
	tsa_clear(&t);

	t = (struct tsa){ .mode = TSA_REPLY };
	tsa_start(&t);
	g_assert_cmpint(tsp_timestamp(t.url, "1.2.3.4.99", SIGNER_ALG_RSA_SHA256,
				      (const uint8_t *)document, len, 10, &token, &token_len,
				      &message),
			==, TSP_E_REFUSED);
	g_assert_null(token);
	g_test_message("%s", message);
	g_assert_nonnull(strstr(message, t.url));
	g_assert_nonnull(strstr(message, "rejection"));
	g_assert_nonnull(strstr(message, "unacceptedPolicy"));
	g_assert_nonnull(strstr(message, "policy is not supported"));
	free_message(&message);
	tsa_clear(&t);
}

/* GOST: the imprint is Streebog-512 under NCA's OID, which OpenSSL does not
 * know; the stand-in (OpenSSL) cannot stamp it and says badAlg, which must
 * come back as a refusal, not as a broken answer. */
static void test_gost(void)
{
	struct tsa t = { .mode = TSA_REPLY };
	size_t len = strlen(document);
	uint8_t digest[STREEBOG512_SIZE], *token = NULL;
	size_t token_len = 0;
	char *message = NULL;

	if (!streebog512_backend()) {
		g_assert_cmpint(tsp_timestamp("http://127.0.0.1:1/", NULL, SIGNER_ALG_GOST2015_512,
					      (const uint8_t *)document, len, 10, &token,
					      &token_len, &message),
				==, -EOPNOTSUPP);
		g_test_skip("no Streebog: OpenSSL's gost provider/engine "
			    "(libengine-gost-openssl) is not installed");
		return;
	}
	g_assert_cmpint(streebog512(document, len, digest), ==, 0);
	tsa_start(&t);
	g_assert_cmpint(tsp_timestamp(t.url, NULL, SIGNER_ALG_GOST2015_512,
				      (const uint8_t *)document, len, 10, &token, &token_len,
				      &message),
			==, TSP_E_REFUSED);
	tsa_stop(&t);
	check_query(&t, OID_STREEBOG_512, digest, sizeof(digest), NULL);
	g_test_message("%s", message);
	g_assert_nonnull(strstr(message, "badAlg"));
	free_message(&message);
	tsa_clear(&t);
}

static void test_unreachable(void)
{
	g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/tsp", tsa_closed_port());
	uint8_t *token = NULL;
	size_t token_len = 0;
	char *message = NULL;
	gint64 start = g_get_monotonic_time();

	g_assert_cmpint(tsp_timestamp(url, NULL, SIGNER_ALG_RSA_SHA256, byte, 1, 10,
				      &token, &token_len, &message),
			==, TSP_E_UNREACHABLE);
	g_test_message("%s", message);
	g_assert_nonnull(strstr(message, url));
	g_assert_nonnull(strstr(message, "refused"));
	/* Once, not retried until the timeout. */
	g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
	g_assert_null(token);
	free_message(&message);

	/* A name that cannot resolve (.invalid never does, RFC 6761). */
	g_assert_cmpint(tsp_timestamp("http://tsa.invalid/", NULL, SIGNER_ALG_RSA_SHA256,
				      byte, 1, 10, &token, &token_len, &message),
			==, TSP_E_UNREACHABLE);
	g_test_message("%s", message);
	g_assert_nonnull(strstr(message, "http://tsa.invalid/"));
	free_message(&message);
}

/* A server that takes the request and never answers: the timeout holds. */
static void test_timeout(void)
{
	struct tsa t = { .mode = TSA_SILENT };
	uint8_t *token = NULL;
	size_t token_len = 0;
	char *message = NULL;
	gint64 start;

	tsa_start(&t);
	start = g_get_monotonic_time();
	g_assert_cmpint(tsp_timestamp(t.url, NULL, SIGNER_ALG_RSA_SHA256, byte, 1, 1,
				      &token, &token_len, &message),
			==, TSP_E_UNREACHABLE);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 4 * G_USEC_PER_SEC);
	g_test_message("%s", message);
	g_assert_nonnull(strstr(message, t.url));
	g_assert_nonnull(strstr(message, "no answer within 1 s"));
	free_message(&message);
	tsa_stop(&t);
	g_assert_true(t.served);
	tsa_clear(&t);
}

struct canned_case {
	const char *path;
	int status;
	const char *content_type;
	const char *body;
	size_t body_len;
	int expected;
	const char *says; /* in the message */
};

/* 0x30 0x84 …: a SEQUENCE that claims 16 MiB, over TSP_RESPONSE_MAX. */
static const char huge[] = "\x30\x84\x01\x00\x00\x00\x02\x01\x00";
/* SEQUENCE { INTEGER 5 }: DER, but no TimeStampResp. */
static const char not_a_response[] = "\x30\x03\x02\x01\x05";

static const struct canned_case canned_cases[] = {
	{ "/tsp/http/500", 500, "text/plain", "broken", 6, TSP_E_HTTP, "500" },
	{ "/tsp/http/404", 404, "text/html", "<p>no</p>", 9, TSP_E_HTTP, "404" },
	{ "/tsp/http/html", 200, "text/html", "<html></html>", 13, TSP_E_HTTP, "text/html" },
	{ "/tsp/http/too-large", 200, "application/timestamp-reply", huge, sizeof(huge) - 1,
	  TSP_E_HTTP, "max" },
	{ "/tsp/bad-response/not-tsp", 200, "application/timestamp-reply", not_a_response,
	  sizeof(not_a_response) - 1, TSP_E_BAD_RESPONSE, "TimeStampResp" },
};

static void test_canned(gconstpointer data)
{
	const struct canned_case *c = data;
	struct tsa t = {
		.mode = TSA_CANNED,
		.status = c->status,
		.content_type = c->content_type,
		.body = g_bytes_new(c->body, c->body_len),
	};
	uint8_t *token = NULL;
	size_t token_len = 0;
	char *message = NULL;

	tsa_start(&t);
	g_assert_cmpint(tsp_timestamp(t.url, NULL, SIGNER_ALG_RSA_SHA256, byte, 1, 10,
				      &token, &token_len, &message),
			==, c->expected);
	g_test_message("%s", message);
	g_assert_null(token);
	g_assert_nonnull(strstr(message, t.url));
	g_assert_nonnull(strcasestr(message, c->says));
	free_message(&message);
	tsa_clear(&t);
}

/* A genuine reply, but to another query: made with `openssl ts -query`
 * (its own random nonce) over data. */
static GBytes *reply_to_other_query(const char *data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-tsp-XXXXXX", &error);
	g_autofree char *dat = g_build_filename(dir, "data", NULL);
	g_autofree char *q = g_build_filename(dir, "q.tsq", NULL);
	g_autofree char *r = g_build_filename(dir, "r.tsr", NULL);
	g_autofree char *serial = g_build_filename(dir, "serial", NULL);
	g_autofree char *err = NULL, *reply = NULL;
	const char *argv[] = { TEST_OPENSSL, "ts", "-query", "-data", dat, "-sha256", "-cert",
			       "-out", q, NULL };
	gsize len = 0;
	int status = -1;

	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(dat, data, -1, NULL));
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
				   NULL, NULL, &err, &status, &error));
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_clear_pointer(&err, g_free);
	if (!tsa_openssl_reply(q, r, serial, &err))
		g_error("%s", err);
	g_assert_true(g_file_get_contents(r, &reply, &len, NULL));
	test_rm_rf(dir);
	return g_bytes_new(reply, len);
}

/* Imprint for other data; same imprint but another nonce: both are
 * granted tokens, neither is ours. */
static void test_mismatch(void)
{
	static const struct {
		const char *data;
		const char *says;
	} cases[] = {
		{ "other data", "imprint" },
		{ document, "nonce" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct tsa t = {
			.mode = TSA_CANNED,
			.status = 200,
			.content_type = "application/timestamp-reply",
			.body = reply_to_other_query(cases[i].data),
		};
		uint8_t *token = NULL;
		size_t token_len = 0;
		char *message = NULL;

		tsa_start(&t);
		g_assert_cmpint(tsp_timestamp(t.url, NULL, SIGNER_ALG_RSA_SHA256,
					      (const uint8_t *)document, strlen(document), 10,
					      &token, &token_len, &message),
				==, TSP_E_BAD_RESPONSE);
		g_test_message("%s", message);
		g_assert_null(token);
		g_assert_nonnull(strstr(message, t.url));
		g_assert_nonnull(strcasestr(message, cases[i].says));
		free_message(&message);
		tsa_clear(&t);
	}
}

/* https://: the server's certificate is checked against the default
 * verify paths (here SSL_CERT_FILE = the test CA, set in main()) and the
 * host. */
static void test_tls(void)
{
	struct tsa t = { .mode = TSA_REPLY, .tls = true };
	g_autofree char *other_name = NULL;
	size_t len = strlen(document);
	uint8_t digest[32], *token = NULL;
	size_t token_len = 0;
	char *message = NULL;

	sha256(document, len, digest);
	tsa_start(&t);
	g_assert_cmpint(tsp_timestamp(t.url, NULL, SIGNER_ALG_RSA_SHA256, (const uint8_t *)document,
				      len, 10, &token, &token_len, &message),
			==, 0);
	tsa_stop(&t);
	g_assert_null(t.error);
	check_query(&t, OID_SHA256, digest, sizeof(digest), NULL);
	g_assert_true(openssl_ts_verify(token, token_len, document, len));
	free(token);
	token = NULL;
	tsa_clear(&t);

	/* A trusted certificate, but for another name: it is for 127.0.0.1,
	 * asked for as localhost. */
	t = (struct tsa){ .mode = TSA_REPLY, .tls = true };
	tsa_start(&t);
	other_name = g_strdup_printf("https://localhost:%u/tsp", t.port);
	g_assert_cmpint(tsp_timestamp(other_name, NULL, SIGNER_ALG_RSA_SHA256,
				      (const uint8_t *)document, len, 10, &token, &token_len,
				      &message),
			==, TSP_E_UNREACHABLE);
	g_test_message("%s", message);
	g_assert_nonnull(strstr(message, other_name));
	g_assert_nonnull(strstr(message, "certificate"));
	free_message(&message);
	tsa_clear(&t);

	/* A server that hangs up during the handshake. */
	t = (struct tsa){ .mode = TSA_CLOSE, .tls = true };
	tsa_start(&t);
	g_assert_cmpint(tsp_timestamp(t.url, NULL, SIGNER_ALG_RSA_SHA256, (const uint8_t *)document,
				      len, 10, &token, &token_len, &message),
			==, TSP_E_UNREACHABLE);
	g_test_message("%s", message);
	g_assert_nonnull(strstr(message, "TLS"));
	free_message(&message);
	tsa_clear(&t);
}

static void test_invalid(void)
{
	static const char *const urls[] = {
		"ftp://127.0.0.1/", "127.0.0.1:80", "http://", "", "https://[::1/",
	};
	uint8_t *token = NULL;
	size_t token_len = 0;
	char *message = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(urls); i++)
		g_assert_cmpint(tsp_timestamp(urls[i], NULL, SIGNER_ALG_RSA_SHA256,
					      byte, 1, 1, &token, &token_len,
					      &message),
				==, -EINVAL);
	g_assert_cmpint(tsp_timestamp("http://127.0.0.1:1/", "not an oid", SIGNER_ALG_RSA_SHA256,
				      byte, 1, 1, &token, &token_len, &message),
			==, -EINVAL);
	g_assert_cmpint(tsp_timestamp("http://127.0.0.1:1/", NULL, SIGNER_ALG_RSA_SHA256, NULL, 1, 1,
				      &token, &token_len, &message),
			==, -EINVAL);
	g_assert_null(token);
	g_assert_null(message);
}

int main(int argc, char **argv)
{
	g_autofree char *ca = tsa_path("ca.pem");

	g_test_init(&argc, &argv, NULL);
	/* https:// trusts OpenSSL's default verify paths: make them the
	 * stand-in's CA only (before any thread exists). */
	g_setenv("SSL_CERT_FILE", ca, TRUE);
	g_setenv("SSL_CERT_DIR", "/nonexistent", TRUE);
	/* As qoltanbad does (tsp.h): a peer that hangs up must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	g_test_add_func("/tsp/granted", test_granted);
	g_test_add_func("/tsp/policy", test_policy);
	g_test_add_func("/tsp/gost", test_gost);
	g_test_add_func("/tsp/unreachable", test_unreachable);
	g_test_add_func("/tsp/timeout", test_timeout);
	for (size_t i = 0; i < G_N_ELEMENTS(canned_cases); i++)
		g_test_add_data_func(canned_cases[i].path, &canned_cases[i], test_canned);
	g_test_add_func("/tsp/bad-response/mismatch", test_mismatch);
	g_test_add_func("/tsp/tls", test_tls);
	g_test_add_func("/tsp/invalid", test_invalid);
	return g_test_run();
}
