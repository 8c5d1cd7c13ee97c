/* A stand-in RFC 3161 time-stamp authority for the unit tests (test-tsp,
 * test-cades): a thread listening on 127.0.0.1 (an ephemeral port, never
 * another interface) that takes one HTTP request and answers it, then
 * exits; it also gives up after TSA_WAIT_S seconds without a client.
 *
 * Answers come from `openssl ts -reply` (TEST_OPENSSL) with the keys and
 * config tsp.mk makes in TEST_TSP_DIR, or are canned (status, content type
 * and body given by the test). Optionally over TLS with tls.pem. What the
 * client sent is kept for the test to look at. */
#pragma once

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "tests/unit/test-util.h"

#define TSA_WAIT_S 10
#define TSA_HEAD_MAX 16384
#define TSA_BODY_MAX (1024 * 1024)

enum tsa_mode {
	TSA_REPLY,  /* `openssl ts -reply` to the query, 200 application/timestamp-reply */
	TSA_CANNED, /* status, content_type and body as set */
	TSA_SILENT, /* read the request, answer nothing until the client leaves */
	TSA_CLOSE,  /* accept, then close at once */
};

struct tsa {
	/* Set by the test before tsa_start(). */
	enum tsa_mode mode;
	bool tls;
	int status;               /* TSA_CANNED */
	const char *content_type; /* TSA_CANNED */
	GBytes *body;             /* TSA_CANNED, owned */

	/* Set by tsa_start(). */
	char *url;
	unsigned port;
	int fd;
	char *dir; /* the stand-in's own temporary folder */
	GThread *thread;

	/* Set by the thread; read them after tsa_stop(). */
	bool served;
	GString *head;     /* request line and headers */
	GByteArray *query; /* the request body */
	char *error;       /* what went wrong on the server side, if anything */
};

static inline char *tsa_path(const char *name)
{
	return g_build_filename(TEST_TSP_DIR, name, NULL);
}

/* Run `openssl ts -reply` on queryfile, writing outfile. serial is the
 * serial-number file (created if missing). Returns TRUE on success, else
 * sets *error to openssl's stderr. */
static inline gboolean tsa_openssl_reply(const char *queryfile, const char *outfile,
					 const char *serial, char **error)
{
	g_autofree char *signer = tsa_path("tsa.pem"), *key = tsa_path("tsa.key");
	g_autofree char *config = tsa_path("tsa.cnf");
	g_autofree char *err = NULL;
	g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "TSA_SERIAL", serial, TRUE);
	const char *argv[] = { TEST_OPENSSL, "ts", "-reply", "-queryfile", queryfile,
			       "-signer", signer, "-inkey", key, "-config", config,
			       "-out", outfile, NULL };
	g_autoptr(GError) gerror = NULL;
	int status = -1;

	if (!g_file_test(serial, G_FILE_TEST_EXISTS) &&
	    !g_file_set_contents(serial, "01\n", -1, NULL)) {
		*error = g_strdup("cannot write the serial file");
		return FALSE;
	}
	if (!g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
			  &err, &status, &gerror)) {
		*error = g_strdup(gerror->message);
		return FALSE;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*error = g_strdup_printf("openssl ts -reply: %s", err);
		return FALSE;
	}
	return TRUE;
}

/* I/O on the accepted connection, plain or TLS. */
struct tsa_conn {
	int fd;
	SSL *ssl;
};

static inline ssize_t tsa_read(struct tsa_conn *c, void *buf, size_t n)
{
	if (c->ssl) {
		size_t got = 0;

		return SSL_read_ex(c->ssl, buf, n, &got) == 1 ? (ssize_t)got : 0;
	}
	return read(c->fd, buf, n);
}

static inline bool tsa_write(struct tsa_conn *c, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w;

		if (c->ssl) {
			size_t done = 0;

			w = SSL_write_ex(c->ssl, p, n, &done) == 1 ? (ssize_t)done : -1;
		} else {
			w = write(c->fd, p, n);
		}
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Read the request: head up to the blank line, then Content-Length bytes. */
static inline bool tsa_read_request(struct tsa *t, struct tsa_conn *c)
{
	char buf[4096];
	const char *end = NULL;
	size_t want = 0;

	while (!(end = strstr(t->head->str, "\r\n\r\n"))) {
		ssize_t n = tsa_read(c, buf, sizeof(buf));

		if (n <= 0 || t->head->len > TSA_HEAD_MAX)
			return false;
		/* The body may come in the same read: split it off below. */
		g_string_append_len(t->head, buf, n);
	}
	{
		size_t head_len = (size_t)(end - t->head->str) + 4;
		const char *cl = strcasestr(t->head->str, "\r\nContent-Length:");

		if (cl && cl < end)
			want = strtoul(cl + 17, NULL, 10);
		g_byte_array_append(t->query, (const guint8 *)t->head->str + head_len,
				    (guint)(t->head->len - head_len));
		g_string_truncate(t->head, head_len);
	}
	if (want > TSA_BODY_MAX)
		return false;
	while (t->query->len < want) {
		ssize_t n = tsa_read(c, buf, MIN(sizeof(buf), want - t->query->len));

		if (n <= 0)
			return false;
		g_byte_array_append(t->query, (const guint8 *)buf, (guint)n);
	}
	return true;
}

static inline void tsa_answer(struct tsa_conn *c, int status, const char *content_type,
			      const void *body, size_t len)
{
	g_autofree char *head = g_strdup_printf("HTTP/1.0 %d %s\r\nContent-Type: %s\r\n"
						"Content-Length: %zu\r\nConnection: close\r\n\r\n",
						status, status == 200 ? "OK" : "Failed",
						content_type, len);

	if (tsa_write(c, head, strlen(head)))
		tsa_write(c, body, len);
}

static inline void tsa_serve(struct tsa *t, struct tsa_conn *c)
{
	g_autofree char *q = g_build_filename(t->dir, "query.tsq", NULL);
	g_autofree char *r = g_build_filename(t->dir, "reply.tsr", NULL);
	g_autofree char *serial = g_build_filename(t->dir, "serial", NULL);
	g_autofree char *reply = NULL;
	gsize reply_len = 0;

	if (!tsa_read_request(t, c)) {
		t->error = g_strdup("could not read the request");
		return;
	}
	t->served = true;
	switch (t->mode) {
	case TSA_REPLY:
		if (!g_file_set_contents(q, (const char *)t->query->data, t->query->len, NULL) ||
		    !tsa_openssl_reply(q, r, serial, &t->error) ||
		    !g_file_get_contents(r, &reply, &reply_len, NULL)) {
			tsa_answer(c, 500, "text/plain", "stand-in failed", 15);
			return;
		}
		tsa_answer(c, 200, "application/timestamp-reply", reply, reply_len);
		break;
	case TSA_CANNED: {
		gsize len = 0;
		const void *body = t->body ? g_bytes_get_data(t->body, &len) : "";

		tsa_answer(c, t->status, t->content_type, body, len);
		break;
	}
	case TSA_SILENT: {
		char buf[256];

		while (tsa_read(c, buf, sizeof(buf)) > 0)
			;
		break;
	}
	case TSA_CLOSE:
		break;
	}
}

static inline gpointer tsa_thread(gpointer data)
{
	struct tsa *t = data;
	struct pollfd p = { .fd = t->fd, .events = POLLIN };
	struct timeval tv = { .tv_sec = TSA_WAIT_S };
	struct tsa_conn c = { .fd = -1 };
	SSL_CTX *ctx = NULL;

	if (poll(&p, 1, TSA_WAIT_S * 1000) != 1) {
		t->error = g_strdup("no client came");
		return NULL;
	}
	c.fd = accept4(t->fd, NULL, NULL, SOCK_CLOEXEC);
	if (c.fd < 0) {
		t->error = g_strdup_printf("accept: %s", g_strerror(errno));
		return NULL;
	}
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (t->mode != TSA_CLOSE && t->tls) {
		g_autofree char *cert = tsa_path("tls.pem"), *key = tsa_path("tls.key");

		ctx = SSL_CTX_new(TLS_server_method());
		if (!ctx || SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
		    !(c.ssl = SSL_new(ctx)) || SSL_set_fd(c.ssl, c.fd) != 1 ||
		    SSL_accept(c.ssl) != 1)
			t->error = g_strdup("TLS handshake failed");
	}
	if (t->mode != TSA_CLOSE && !t->error)
		tsa_serve(t, &c);
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	SSL_CTX_free(ctx);
	close(c.fd);
	return NULL;
}

/* Listen on 127.0.0.1:0 and serve one request in a thread. */
static inline void tsa_start(struct tsa *t)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	g_autoptr(GError) error = NULL;

	t->head = g_string_new(NULL);
	t->query = g_byte_array_new();
	t->dir = g_dir_make_tmp("test-tsa-XXXXXX", &error);
	g_assert_no_error(error);
	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(t->fd, >=, 0);
	g_assert_cmpint(bind(t->fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(listen(t->fd, 4), ==, 0);
	g_assert_cmpint(getsockname(t->fd, (struct sockaddr *)&a, &len), ==, 0);
	t->port = ntohs(a.sin_port);
	t->url = g_strdup_printf("%s://127.0.0.1:%u/tsp", t->tls ? "https" : "http", t->port);
	t->thread = g_thread_new("tsa", tsa_thread, t);
}

/* Wait for the thread (it ends by itself) and free what tsa_start() made;
 * head, query and error stay for the test until tsa_clear(). */
static inline void tsa_stop(struct tsa *t)
{
	if (t->thread)
		g_thread_join(t->thread);
	t->thread = NULL;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->dir)
		test_rm_rf(t->dir);
	g_clear_pointer(&t->dir, g_free);
}

static inline void tsa_clear(struct tsa *t)
{
	tsa_stop(t);
	g_clear_pointer(&t->url, g_free);
	g_clear_pointer(&t->body, g_bytes_unref);
	if (t->head)
		g_string_free(t->head, TRUE);
	t->head = NULL;
	if (t->query)
		g_byte_array_unref(t->query);
	t->query = NULL;
	g_clear_pointer(&t->error, g_free);
}

/* A port on 127.0.0.1 with nothing listening (bound, then closed). */
static inline unsigned tsa_closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&a, &len), ==, 0);
	close(fd);
	return ntohs(a.sin_port);
}
