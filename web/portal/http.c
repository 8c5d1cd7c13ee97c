#include "web/portal/http.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <libwebsockets.h>

#include "util/cleanup.h"

/* Bytes written per WRITEABLE callback. */
#define CHUNK (64 * 1024)
#define COOKIE_MAX 4096
#define HEADER_SPACE 2048
/* How long a connection we answered and shut down may go on sending. */
#define LINGER_S 3

struct http_server {
	struct portal *portal;
	struct lws_context *lws;
	struct lws_vhost *vhost;
	char *root;   /* real paths, or NULL */
	char *client;
	int signal_fd;
	bool stop;
	unsigned port;
};

enum method {
	METHOD_GET,
	METHOD_POST,
	METHOD_OTHER,
};

/* Methods as lws tells them, for the log. */
static const struct {
	enum lws_token_indexes token;
	const char *name;
} method_tokens[] = {
	{ WSI_TOKEN_GET_URI, "GET" },
	{ WSI_TOKEN_POST_URI, "POST" },
	{ WSI_TOKEN_HEAD_URI, "HEAD" },
#if defined(LWS_WITH_HTTP_UNCOMMON_HEADERS) || defined(LWS_HTTP_HEADERS_ALL)
	{ WSI_TOKEN_PUT_URI, "PUT" },
	{ WSI_TOKEN_PATCH_URI, "PATCH" },
	{ WSI_TOKEN_DELETE_URI, "DELETE" },
	{ WSI_TOKEN_OPTIONS_URI, "OPTIONS" },
#endif
};

/* One request on a connection (HTTP/1.1 keep-alive reuses it). */
struct pss {
	bool busy;
	enum method method;
	const char *method_name;
	char *path;
	char *session;
	GByteArray *body;
	bool too_large;  /* an oversize body being drained */
	bool ready;      /* reply is complete; write it */
	bool api;
	bool close;      /* close the connection after the reply */
	bool headers_sent;
	bool done;       /* everything written; closing */
	bool lingering;  /* our side shut down; waiting for the peer */
	struct portal_reply reply;
	size_t sent;
	unsigned char *chunk; /* LWS_PRE + CHUNK */
};

static void pss_clear(struct pss *pss)
{
	g_free(pss->path);
	g_free(pss->session);
	if (pss->body)
		g_byte_array_unref(pss->body);
	portal_reply_clear(&pss->reply);
	g_free(pss->chunk);
	*pss = (struct pss){ 0 };
}

static void log_request(struct pss *pss)
{
	g_autofree char *path = g_strescape(pss->path ? pss->path : "", NULL);

	fprintf(stderr, "%s %s %u%s%s%s%s\n", pss->method_name, path, pss->reply.status,
		pss->reply.error ? " " : "", pss->reply.error ? pss->reply.error : "",
		pss->reply.log ? ": " : "", pss->reply.log ? pss->reply.log : "");
}

static void reply_ready(struct lws *wsi, struct pss *pss)
{
	pss->ready = true;
	log_request(pss);
	lws_callback_on_writable(wsi);
}

static void reply_error(struct lws *wsi, struct pss *pss, enum portal_error e, bool close)
{
	portal_reply_clear(&pss->reply);
	portal_reply_error(&pss->reply, e, NULL);
	pss->api = true;
	pss->close = close;
	reply_ready(wsi, pss);
}

/* ---- files ---- */

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *content_type(const char *path)
{
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		if (g_str_has_suffix(path, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* A path relative to a folder, checked component by component. */
static bool relative_ok(const char *rel)
{
	g_auto(GStrv) parts = g_strsplit(rel, "/", -1);

	for (char **p = parts; *p; p++)
		if ((*p)[0] == '.' || strchr(*p, '\\'))
			return false;
	return true;
}

/* The real path of the file the URL path names, inside base, or NULL. */
static char *file_resolve(const char *base, const char *url_path)
{
	g_autofree char *rel = NULL, *joined = NULL;
	char real[PATH_MAX];
	struct stat st;

	while (*url_path == '/')
		url_path++;
	rel = *url_path == '\0' || g_str_has_suffix(url_path, "/")
		      ? g_strconcat(url_path, "index.html", NULL)
		      : g_strdup(url_path);
	if (!relative_ok(rel))
		return NULL;
	joined = g_build_filename(base, rel, NULL);
	if (!realpath(joined, real) || !g_str_has_prefix(real, base) || real[strlen(base)] != '/')
		return NULL;
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > HTTP_FILE_MAX)
		return NULL;
	return g_strdup(real);
}

static void serve_file(struct http_server *s, struct pss *pss)
{
	const char *base = s->root, *rel = pss->path;
	g_autofree char *file = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	if (s->client && (strcmp(rel, "/client") == 0 || g_str_has_prefix(rel, "/client/"))) {
		base = s->client;
		rel += strlen("/client");
	}
	file = base ? file_resolve(base, rel) : NULL;
	if (!file || !g_file_get_contents(file, &data, &len, NULL)) {
		portal_reply_error(&pss->reply, PORTAL_E_NOT_FOUND, NULL);
		pss->api = true;
		return;
	}
	if (pss->method != METHOD_GET) {
		portal_reply_error(&pss->reply, PORTAL_E_METHOD_NOT_ALLOWED, NULL);
		pss->api = true;
		return;
	}
	pss->reply.status = 200;
	pss->reply.body = TAKE_PTR(data);
	pss->reply.body_len = len;
	pss->reply.content_type = content_type(file);
}

/* ---- requests ---- */

static void dispatch(struct lws *wsi, struct http_server *s, struct pss *pss)
{
	const char *body = pss->body ? (const char *)pss->body->data : "";
	size_t len = pss->body ? pss->body->len : 0;

	if (g_str_has_prefix(pss->path, "/api/") || strcmp(pss->path, "/api") == 0) {
		pss->api = true;
		if (pss->method == METHOD_OTHER)
			portal_reply_error(&pss->reply,
					   portal_knows(pss->path) ? PORTAL_E_METHOD_NOT_ALLOWED
								   : PORTAL_E_NOT_FOUND,
					   NULL);
		else
			portal_handle(s->portal,
				      pss->method == METHOD_GET ? PORTAL_METHOD_GET
								: PORTAL_METHOD_POST,
				      pss->path, pss->session, body, len, &pss->reply);
	} else {
		serve_file(s, pss);
	}
	if (pss->body) {
		g_byte_array_unref(pss->body);
		pss->body = NULL;
	}
	reply_ready(wsi, pss);
}

static char *session_cookie(struct lws *wsi)
{
	static const char name[] = PORTAL_SESSION_COOKIE "=";
	char buf[COOKIE_MAX];
	char *save = NULL;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE) >= (int)sizeof(buf) ||
	    lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_COOKIE) <= 0)
		return NULL;
	for (char *t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		while (*t == ' ')
			t++;
		if (g_str_has_prefix(t, name))
			return g_strstrip(g_strdup(t + strlen(name)));
	}
	return NULL;
}

/* Content-Length: 0 and *ret for a plain decimal number, -1 for none,
 * -2 for a malformed one. */
static int content_length(struct lws *wsi, unsigned long long *ret)
{
	char buf[32];
	int n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_CONTENT_LENGTH);

	if (n <= 0)
		return lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ? -2 : -1;
	for (int i = 0; i < n; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -2;
	*ret = strtoull(buf, NULL, 10);
	return 0;
}

static int on_request(struct lws *wsi, struct http_server *s, struct pss *pss, const char *path)
{
	unsigned long long length = 0;
	int cl;

	/* Bytes after an answer we closed on are not a request. */
	if (pss->done)
		return -1;
	pss_clear(pss);
	pss->busy = true;
	pss->path = g_strdup(path);
	pss->session = session_cookie(wsi);
	pss->method = METHOD_OTHER;
	pss->method_name = "OTHER";
	for (size_t i = 0; i < G_N_ELEMENTS(method_tokens); i++)
		if (lws_hdr_total_length(wsi, method_tokens[i].token) > 0) {
			pss->method_name = method_tokens[i].name;
			pss->method = i == 0 ? METHOD_GET : i == 1 ? METHOD_POST : METHOD_OTHER;
			break;
		}

	cl = content_length(wsi, &length);
	if (cl == -2 ||
	    (cl == -1 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)) {
		/* No length we can read the body by: answer and hang up. */
		reply_error(wsi, pss, PORTAL_E_BAD_REQUEST, true);
		return 0;
	}
	if (cl == -1 || length == 0 || pss->method == METHOD_GET) {
		dispatch(wsi, s, pss);
		return 0;
	}
	if (length > PORTAL_BODY_MAX) {
		pss->too_large = true;
		if (length > HTTP_DRAIN_MAX)
			reply_error(wsi, pss, PORTAL_E_TOO_LARGE, true);
		return 0;
	}
	pss->body = g_byte_array_sized_new((guint)length);
	return 0;
}

/* The answer is written and the connection is to close. Closing a
 * socket with unread data resets the connection, and a reset may destroy
 * the answer in the peer's buffers before the peer read it (a browser
 * still sending an oversize body would see an error, not the 413). So
 * once the answer is out of lws's buffer, end our side (the peer reads
 * the answer, then EOF), throw away what still comes, and close when the
 * peer closes or LINGER_S have passed. */
static int close_after_reply(struct lws *wsi, struct pss *pss)
{
	pss->done = true;
	if (lws_partial_buffered(wsi)) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (shutdown(lws_get_socket_fd(wsi), SHUT_WR) < 0)
		return -1;
	pss->lingering = true;
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LINGER_S);
	return 0;
}

static int write_reply(struct lws *wsi, struct pss *pss)
{
	struct portal_reply *r = &pss->reply;
	size_t n;
	int flags;

	if (pss->lingering)
		return 0;
	if (pss->done)
		return close_after_reply(wsi, pss);
	if (!pss->ready)
		return 0;
	if (!pss->headers_sent) {
		unsigned char buf[LWS_PRE + HEADER_SPACE], *start = buf + LWS_PRE, *p = start,
							   *end = buf + sizeof(buf) - 1;
		g_autofree char *cookie = NULL, *disposition = NULL;

#define HEADER(name, value)                                                                        \
	lws_add_http_header_by_name(wsi, (const unsigned char *)name,                              \
				    (const unsigned char *)(value), (int)strlen(value), &p, end)
		if (lws_add_http_header_status(wsi, r->status, &p, end) ||
		    lws_add_http_header_content_length(wsi, r->body_len, &p, end) ||
		    HEADER("content-type:", r->content_type) ||
		    HEADER("cache-control:", pss->api ? "no-store" : "no-cache") ||
		    HEADER("x-content-type-options:", "nosniff") ||
		    HEADER("referrer-policy:", "no-referrer"))
			return -1;
		if (r->session) {
			cookie = g_strdup_printf("%s=%s; Path=/; HttpOnly; SameSite=Strict",
						 PORTAL_SESSION_COOKIE, r->session);
			if (HEADER("set-cookie:", cookie))
				return -1;
		}
		if (r->attachment) {
			disposition = g_strdup_printf("attachment; filename=\"%s\"", r->attachment);
			if (HEADER("content-disposition:", disposition))
				return -1;
		}
		if (pss->close && HEADER("connection:", "close"))
			return -1;
#undef HEADER
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		pss->headers_sent = true;
		if (r->body_len > 0) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		n = MIN(r->body_len - pss->sent, (size_t)CHUNK);
		flags = pss->sent + n == r->body_len ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP;
		if (!pss->chunk)
			pss->chunk = g_malloc(LWS_PRE + CHUNK);
		memcpy(pss->chunk + LWS_PRE, r->body + pss->sent, n);
		if (lws_write(wsi, pss->chunk + LWS_PRE, n, (enum lws_write_protocol)flags) <
		    (int)n)
			return -1;
		pss->sent += n;
		if (pss->sent < r->body_len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	/* The whole answer is written. */
	if (pss->close)
		return close_after_reply(wsi, pss);
	pss_clear(pss);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			 size_t len)
{
	struct http_server *s = lws_context_user(lws_get_context(wsi));
	struct pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return on_request(wsi, s, pss, in ? in : "/");

	case LWS_CALLBACK_HTTP_BODY:
		if (!pss->busy || pss->too_large || !pss->body)
			return 0;
		if (pss->body->len + len > PORTAL_BODY_MAX) {
			g_byte_array_unref(pss->body);
			pss->body = NULL;
			pss->too_large = true;
			return 0;
		}
		g_byte_array_append(pss->body, in, (guint)len);
		return 0;

	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!pss->busy || pss->ready)
			return 0;
		if (pss->too_large)
			reply_error(wsi, pss, PORTAL_E_TOO_LARGE, true);
		else
			dispatch(wsi, s, pss);
		return 0;

	case LWS_CALLBACK_HTTP_WRITEABLE:
		return write_reply(wsi, pss);

	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss)
			pss_clear(pss);
		return 0;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* The signalfd, adopted as a raw file: SIGINT or SIGTERM ends the loop. */
static int callback_signal(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			   void *in, size_t len)
{
	struct http_server *s = lws_context_user(lws_get_context(wsi));
	struct signalfd_siginfo si;

	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return 0;
	while (read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		s->stop = true;
	if (s->stop)
		lws_cancel_service(s->lws);
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ .name = "http", .callback = callback_http, .per_session_data_size = sizeof(struct pss) },
	{ .name = "qoltanba-portal-signals", .callback = callback_signal },
	{ 0 },
};

static void lws_log_emit(int level, const char *line)
{
	fprintf(stderr, "qoltanba-portal: libwebsockets: %s", line);
}

static char *real_dir(const char *path, const char *what, char **ret_why)
{
	char real[PATH_MAX];
	struct stat st;

	if (!realpath(path, real) || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (ret_why)
			*ret_why = g_strdup_printf("the %s folder %s is not a folder", what, path);
		return NULL;
	}
	return g_strdup(real);
}

struct http_server *http_server_free(struct http_server *s)
{
	if (!s)
		return NULL;
	if (s->lws)
		lws_context_destroy(s->lws);
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	g_free(s->root);
	g_free(s->client);
	g_free(s);
	return NULL;
}

static void http_server_freep(struct http_server **s)
{
	http_server_free(*s);
}

int http_server_new(struct portal *p, const struct http_options *o, struct http_server **ret,
		    char **ret_why)
{
	_cleanup_(http_server_freep) struct http_server *s = g_new0(struct http_server, 1);
	struct lws_context_creation_info info = { 0 };
	lws_sock_file_fd_type fd;
	sigset_t mask;

	s->portal = p;
	s->signal_fd = -1;
	if (o->root && !(s->root = real_dir(o->root, "pages", ret_why)))
		return -ENOENT;
	if (o->client && !(s->client = real_dir(o->client, "client", ret_why)))
		return -ENOENT;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	s->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->signal_fd < 0)
		return -errno;

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	info.port = (int)o->port;
	info.iface = o->host;
	info.protocols = protocols;
	info.user = s;
	info.max_http_header_data = COOKIE_MAX + 1024;
	info.vhost_name = "default";
	s->lws = lws_create_context(&info);
	if (!s->lws) {
		if (ret_why)
			*ret_why = g_strdup_printf("cannot listen on %s:%u", o->host, o->port);
		return -EADDRNOTAVAIL;
	}
	s->vhost = lws_get_vhost_by_name(s->lws, "default");
	s->port = s->vhost ? (unsigned)lws_get_vhost_listen_port(s->vhost) : 0;
	if (!s->port) {
		if (ret_why)
			*ret_why = g_strdup_printf("cannot listen on %s:%u", o->host, o->port);
		return -EADDRNOTAVAIL;
	}
	fd.filefd = s->signal_fd;
	if (!lws_adopt_descriptor_vhost(s->vhost, LWS_ADOPT_RAW_FILE_DESC, fd,
					"qoltanba-portal-signals", NULL)) {
		if (ret_why)
			*ret_why = g_strdup("cannot watch for signals");
		return -EIO;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

unsigned http_server_port(const struct http_server *s)
{
	return s->port;
}

int http_server_run(struct http_server *s)
{
	while (!s->stop)
		if (lws_service(s->lws, 0) < 0)
			return -EIO;
	return 0;
}
