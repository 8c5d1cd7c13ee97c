#include "daemon/server/server.h"

#include <errno.h>
#include <glib-unix.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/ops/ops.h"
#include "daemon/server/gate.h"
#include "daemon/status.h"
#include "protocol/protocol.h"
#include "util/cleanup.h"
#include "util/log.h"

#define GREETING "{\"result\":{\"version\":\"1.4\"}}"
#define HEARTBEAT "--heartbeat--"
#define MAX_ORIGIN 512
/* Answers and heartbeat echoes waiting for a client that does not read. */
#define MAX_OUT_FRAMES 1024
#define JSON_MAX_DEPTH 64
/* JPEG frames a preview page may have waiting before new ones are
 * dropped. */
#define PREVIEW_FRAMES_QUEUED 2
#define PREVIEW_PATH "/camera/preview"
/* How long an accepted connection may stay silent before its first byte. */
#define SNIFF_TIMEOUT_S 10

struct server {
	const struct config *cfg;
	struct ops_env ops;
	struct proto_limits limits;
	struct lws_context *lws;
	struct lws_vhost *vhost;
	SSL_CTX *ssl_ctx; /* the vhost's, for certificate renewal */
	struct listener *listeners;
	size_t n_listeners;
	guint *watches;
	unsigned connections; /* accepted sockets not yet destroyed by lws */
	gint64 last_close;    /* when one of them was last let go (or the start) */
	GList *sniffing;      /* struct sniff: accepted, first byte not seen yet */
	uid_t uid;
	struct status *status; /* NULL: nobody watches */
};

struct frame {
	bool binary; /* a preview's JPEG */
	size_t len;
	unsigned char buf[]; /* LWS_PRE bytes of headroom, then the text */
};

/* One WebSocket client. Reference-counted: the lws session holds one
 * reference, a request being served holds another, so an answer that
 * arrives after the client left finds a live object with wsi == NULL. */
struct conn {
	unsigned refs;
	struct server *server;
	struct lws *wsi;
	char *origin;
	bool origin_refused;
	GByteArray *rx;
	GQueue pending; /* GBytes: requests waiting behind the one in flight */
	bool busy;      /* a request is being served */
	bool pumping;
	struct ops_call *call;
	GQueue out; /* struct frame *: answers waiting for WRITEABLE */
	uint16_t close_status;
	const char *close_reason;
	char *close_reason_buf; /* a reason made at run time */
	struct ops_session session;
	struct ops_preview *preview; /* a /camera/preview connection */
	unsigned frames_queued;      /* its JPEG frames waiting for WRITEABLE */
};

struct pss {
	struct conn *conn;
	bool counted; /* this wsi holds one of server->connections */
};

static struct conn *conn_ref(struct conn *c)
{
	c->refs++;
	return c;
}

static void conn_unref(struct conn *c)
{
	if (!c || --c->refs > 0)
		return;
	g_free(c->origin);
	if (c->rx)
		g_byte_array_unref(c->rx);
	g_queue_clear_full(&c->pending, (GDestroyNotify)g_bytes_unref);
	g_queue_clear_full(&c->out, g_free);
	g_free(c->close_reason_buf);
	g_free(c);
}

/* Close from outside a receive callback: lws closes a connection only
 * when a callback returns -1, so ask for WRITEABLE and close there. */
static void conn_close_later(struct conn *c, uint16_t status, const char *reason)
{
	if (!c->wsi || c->close_status)
		return;
	c->close_status = status;
	c->close_reason = reason;
	lws_callback_on_writable(c->wsi);
}

static void conn_queue(struct conn *c, const void *data, size_t len, bool binary)
{
	struct frame *f;

	if (!c->wsi)
		return;
	if (g_queue_get_length(&c->out) >= MAX_OUT_FRAMES) {
		conn_close_later(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "client does not read its answers");
		return;
	}
	f = g_malloc(sizeof(*f) + LWS_PRE + len);
	f->binary = binary;
	f->len = len;
	memcpy(f->buf + LWS_PRE, data, len);
	g_queue_push_tail(&c->out, f);
	lws_callback_on_writable(c->wsi);
}

static void conn_send(struct conn *c, const char *text, size_t len)
{
	conn_queue(c, text, len, false);
}

/* A preview frame (main loop). A page that reads slower than the camera
 * gives misses frames rather than piling them up. */
static void conn_preview_frame(GBytes *jpeg, void *data)
{
	struct conn *c = data;
	gsize len;
	const void *bytes = g_bytes_get_data(jpeg, &len);

	if (!c->wsi || c->close_status || c->frames_queued >= PREVIEW_FRAMES_QUEUED)
		return;
	c->frames_queued++;
	conn_queue(c, bytes, len, true);
}

/* The preview ended by itself (no camera, refused, device lost). */
static void conn_preview_end(uint16_t status, const char *reason, void *data)
{
	struct conn *c = data;

	g_free(c->close_reason_buf);
	c->close_reason_buf = g_strdup(reason);
	log_notice("camera preview for %s ended: %s", c->origin ? c->origin : "(no origin)",
		   reason);
	conn_close_later(c, status, c->close_reason_buf);
}

static void conn_pump(struct conn *c);

/* The answer to the request in flight (ops_reply_fn). */
static void conn_reply(char *reply, void *userdata)
{
	struct conn *c = userdata;

	c->call = NULL;
	c->busy = false;
	if (c->server->status) {
		char *error = reply ? proto_answer_error(reply, strlen(reply)) : NULL;

		status_request_finished(c->server->status, c->origin, error);
		free(error);
	}
	if (reply)
		conn_send(c, reply, strlen(reply));
	free(reply);
	if (!c->pumping)
		conn_pump(c);
	conn_unref(c);
}

static void conn_serve(struct conn *c, GBytes *text)
{
	struct server *srv = c->server;
	struct proto_request *req = NULL;
	gsize len;
	const char *data = g_bytes_get_data(text, &len);
	char *reply;
	int r;

	conn_ref(c);
	if (srv->status)
		status_request_started(srv->status, c->origin);
	r = proto_request_parse(data, len, &srv->limits, &req);
	if (r < 0) {
		log_error("cannot read a request: %s", g_strerror(-r));
		conn_close_later(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "internal error");
		conn_reply(NULL, c);
		return;
	}
	if (c->origin_refused) {
		log_notice("refused a request from %s: origin not allowed",
			   c->origin ? c->origin : "a program without an Origin header");
		reply = proto_reply_error(req, PROTO_ERROR_ORIGIN_REFUSED,
					  c->origin ? c->origin : "(no Origin header)");
		proto_request_free(req);
		conn_reply(reply, c);
		return;
	}
	if (req->reply) {
		reply = g_steal_pointer(&req->reply);
		proto_request_free(req);
		conn_reply(reply, c);
		return;
	}
	c->call = ops_serve(&srv->ops, &c->session, req, conn_reply, c);
}

/* Serve queued requests one at a time; an answer given synchronously
 * lets the loop take the next one without recursing. */
static void conn_pump(struct conn *c)
{
	GBytes *text;

	c->pumping = true;
	while (c->wsi && !c->busy && (text = g_queue_pop_head(&c->pending))) {
		c->busy = true;
		conn_serve(c, text);
		g_bytes_unref(text);
	}
	c->pumping = false;
}

/* A whole text message arrived. Returns false to close the connection. */
static bool conn_message(struct conn *c, GBytes *text)
{
	gsize len;
	const char *data = g_bytes_get_data(text, &len);

	if (len == strlen(HEARTBEAT) && memcmp(data, HEARTBEAT, len) == 0) {
		conn_send(c, HEARTBEAT, len);
		return true;
	}
	if (c->busy && g_queue_get_length(&c->pending) >= c->server->cfg->max_queue) {
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				 (unsigned char *)"too many requests waiting", 25);
		return false;
	}
	g_queue_push_tail(&c->pending, g_bytes_ref(text));
	conn_pump(c);
	return true;
}

static int close_with(struct lws *wsi, enum lws_close_status status, const char *reason)
{
	lws_close_reason(wsi, status, (unsigned char *)reason, strlen(reason));
	return -1;
}

static int on_receive(struct conn *c, struct lws *wsi, const void *in, size_t len)
{
	size_t max = c->server->cfg->max_message;
	GBytes *msg;
	bool keep;

	if (lws_frame_is_binary(wsi))
		return close_with(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
				  "binary messages are not accepted");
	if (c->preview)
		/* A preview page only listens; what it says is ignored. */
		return 0;
	if (c->rx->len + len > max) {
		log_notice("closing a connection: message over %zu bytes", max);
		return close_with(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
	}
	g_byte_array_append(c->rx, in, (guint)len);
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;

	msg = g_byte_array_free_to_bytes(c->rx);
	c->rx = g_byte_array_new();
	keep = conn_message(c, msg);
	g_bytes_unref(msg);
	return keep ? 0 : -1;
}

static int on_writeable(struct conn *c, struct lws *wsi)
{
	struct frame *f;
	int n;

	if (c->close_status && g_queue_is_empty(&c->out))
		return close_with(wsi, c->close_status, c->close_reason);
	f = g_queue_pop_head(&c->out);
	if (!f)
		return 0;
	n = lws_write(wsi, f->buf + LWS_PRE, f->len, f->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
	if (f->binary && c->frames_queued > 0)
		c->frames_queued--;
	g_free(f);
	if (n < 0)
		return -1;
	if (!g_queue_is_empty(&c->out) || c->close_status)
		lws_callback_on_writable(wsi);
	return 0;
}

static bool is_preview_path(struct lws *wsi)
{
	char path[64];

	return lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) > 0 &&
	       strcmp(path, PREVIEW_PATH) == 0;
}

/* The camera preview: the same gate, its own stream (no greeting, no
 * requests, binary JPEG frames). */
static void open_preview(struct server *srv, struct conn *c, struct lws *wsi)
{
	g_autoptr(GString) query = g_string_new(NULL);
	char arg[256];

	if (c->origin_refused) {
		conn_close_later(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "origin.refused");
		return;
	}
	for (int i = 0; lws_hdr_copy_fragment(wsi, arg, sizeof(arg), WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
	     i++)
		g_string_append_printf(query, "%s%s", i ? "&" : "", arg);
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) >= (int)sizeof(arg) * 4) {
		conn_close_later(c, OPS_PREVIEW_CLOSE_INVALID, "camera.invalid: query too long");
		return;
	}
	log_info("camera preview for %s: %s", c->origin ? c->origin : "(no origin)", query->str);
	if (srv->status)
		status_preview(srv->status, true, c->origin);
	c->preview = ops_preview_open(&srv->ops, &c->session, query->str, conn_preview_frame,
				      conn_preview_end, c);
}

static void on_established(struct server *srv, struct pss *pss, struct lws *wsi)
{
	char origin[MAX_ORIGIN];
	struct conn *c = g_new0(struct conn, 1);
	int n;

	c->refs = 1;
	c->server = srv;
	c->wsi = wsi;
	c->rx = g_byte_array_new();
	g_queue_init(&c->pending);
	g_queue_init(&c->out);
	g_strlcpy(c->session.locale, srv->cfg->locale, sizeof(c->session.locale));

	n = lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN);
	if (n > 0)
		c->origin = g_strdup(origin);
	else if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0)
		c->origin = g_strdup("(an Origin too long to read)");
	c->session.origin = c->origin;
	c->origin_refused = gate_origin_check(srv->cfg->origins_allow, n > 0 ? c->origin : NULL,
					      srv->cfg->allow_no_origin) == GATE_ORIGIN_REFUSED;
	if (c->origin_refused)
		log_notice("connection from %s: origin not allowed, its requests will be refused",
			   c->origin ? c->origin : "a program without an Origin header");
	pss->conn = c;
	if (srv->status)
		status_connection_opened(srv->status);
	if (is_preview_path(wsi)) {
		open_preview(srv, c, wsi);
		return;
	}
	conn_send(c, GREETING, strlen(GREETING));
}

static void on_closed(struct pss *pss)
{
	struct conn *c = pss->conn;

	if (!c)
		return;
	pss->conn = NULL;
	c->wsi = NULL;
	if (c->server->status)
		status_connection_closed(c->server->status);
	if (c->preview) {
		ops_preview_close(c->preview);
		c->preview = NULL;
		if (c->server->status)
			status_preview(c->server->status, false, c->origin);
	}
	if (c->call) {
		/* The answer will never be asked for: drop it and the
		 * reference the call held. */
		ops_call_cancel(c->call);
		c->call = NULL;
		if (c->server->status)
			status_request_finished(c->server->status, c->origin, NULL);
		conn_unref(c);
	}
	conn_unref(c);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		srv->ssl_ctx = user;
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		on_established(srv, pss, wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return pss->conn ? on_receive(pss->conn, wsi, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->conn ? on_writeable(pss->conn, wsi) : 0;
	case LWS_CALLBACK_CLOSED:
		on_closed(pss);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		/* An adopted socket is gone, on whatever path (handshake
		 * timeout, TLS failure, normal close). */
		if (srv->connections > 0)
			srv->connections--;
		srv->last_close = g_get_monotonic_time();
		return 0;
	case LWS_CALLBACK_HTTP:
		/* A person opening https://127.0.0.1:13579/ in the browser
		 * (for example to check the certificate) gets a plain answer. */
		if (lws_return_http_status(wsi, HTTP_STATUS_OK, "Qoltanba is running."))
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{
		.name = "ncalayer",
		.callback = callback,
		.per_session_data_size = sizeof(struct pss),
		.rx_buffer_size = 65536,
	},
	{ 0 },
};

/* A connection that passed the gate and waits for its first byte, which
 * tells TLS (a handshake record, 0x16) from plain HTTP. lws can tell them
 * apart only on sockets it accepted itself, so we look before adopting. */
struct sniff {
	struct server *server;
	int fd;
	guint watch, timeout;
};

static void sniff_free(struct sniff *s, bool close_fd)
{
	if (s->watch)
		g_source_remove(s->watch);
	if (s->timeout)
		g_source_remove(s->timeout);
	if (close_fd) {
		close(s->fd);
		s->server->connections--;
		s->server->last_close = g_get_monotonic_time();
	}
	s->server->sniffing = g_list_remove(s->server->sniffing, s);
	g_free(s);
}

static gboolean on_sniff_timeout(gpointer data)
{
	struct sniff *s = data;

	s->timeout = 0;
	sniff_free(s, true);
	return G_SOURCE_REMOVE;
}

static gboolean on_sniff_ready(gint fd, GIOCondition cond, gpointer data)
{
	struct sniff *s = data;
	struct server *srv = s->server;
	lws_adoption_type type = LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP;
	unsigned char first;
	ssize_t n = recv(fd, &first, 1, MSG_PEEK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	s->watch = 0;
	if (n <= 0) {
		sniff_free(s, true);
		return G_SOURCE_REMOVE;
	}
	if (first == 0x16)
		type |= LWS_ADOPT_ALLOW_SSL;
	sniff_free(s, false);
	/* From here lws owns the descriptor; on failure it closed it and,
	 * like for every adopted socket, reports WSI_DESTROY. */
	if (!lws_adopt_descriptor_vhost(srv->vhost, type, (lws_sock_file_fd_type){ .sockfd = fd },
					NULL, NULL))
		log_warning("libwebsockets could not take a connection");
	return G_SOURCE_REMOVE;
}

static void server_accept(struct server *srv, int lfd)
{
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		_cleanup_close_ int fd = accept4(lfd, (struct sockaddr *)&peer, &plen,
						 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct sniff *s;
		uid_t uid;
		int r;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warning("accept failed: %s", g_strerror(errno));
			return;
		}
		if (!gate_address_is_loopback((struct sockaddr *)&peer, plen)) {
			log_warning("refused a connection from a non-loopback address");
			continue;
		}
		r = gate_peer_uid(fd, &uid);
		if (r != 0) {
			log_warning("refused a connection whose owner cannot be told: %s",
				    r < 0 ? g_strerror(-r) : "no such socket");
			continue;
		}
		if (uid != srv->uid) {
			log_warning("refused a connection from another user (uid %u)", (unsigned)uid);
			continue;
		}
		if (srv->connections >= srv->cfg->max_connections) {
			log_warning("refused a connection: %u connections are open (max-connections)",
				    srv->connections);
			continue;
		}
		srv->connections++;
		s = g_new0(struct sniff, 1);
		s->server = srv;
		s->fd = TAKE_FD(fd);
		s->watch = g_unix_fd_add(s->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_sniff_ready, s);
		s->timeout = g_timeout_add_seconds(SNIFF_TIMEOUT_S, on_sniff_timeout, s);
		srv->sniffing = g_list_prepend(srv->sniffing, s);
	}
}

static gboolean on_listen_ready(gint fd, GIOCondition cond, gpointer data)
{
	server_accept(data, fd);
	return G_SOURCE_CONTINUE;
}

static void lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_msg(level == LLL_ERR ? LOG_LEVEL_ERROR : LOG_LEVEL_WARNING, "lws: %.*s", (int)n, line);
}

struct server *server_new(const struct config *cfg, GMainLoop *loop, struct listener *listeners,
			  size_t n_listeners, const char *tls_cert, const char *tls_key,
			  char **ret_message)
{
	struct lws_context_creation_info info = { 0 };
	void *foreign_loops[1] = { loop };
	struct server *srv = g_new0(struct server, 1);

	srv->cfg = cfg;
	srv->ops.cfg = cfg;
	ops_env_set_status(&srv->ops, NULL);
	srv->limits.max_depth = JSON_MAX_DEPTH;
	srv->uid = geteuid();
	srv->last_close = g_get_monotonic_time();
	srv->listeners = listeners;
	srv->n_listeners = n_listeners;

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);

	info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		       LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.foreign_loops = foreign_loops;
	info.user = srv;
	/* The whole connection budget plus lws's own pipes and the listeners. */
	info.fd_limit_per_thread = cfg->max_connections + (unsigned)n_listeners + 16;
	srv->lws = lws_create_context(&info);
	if (!srv->lws) {
		*ret_message = g_strdup("libwebsockets could not start on the GLib loop (is "
					"libwebsockets-evlib-glib installed?)");
		return server_free(srv);
	}

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.ssl_cert_filepath = tls_cert;
	info.ssl_private_key_filepath = tls_key;
	info.vhost_name = "qoltanba";
	info.timeout_secs = 10;
	srv->vhost = lws_create_vhost(srv->lws, &info);
	if (!srv->vhost) {
		*ret_message = g_strdup_printf("libwebsockets could not load the TLS certificate %s",
					       tls_cert);
		return server_free(srv);
	}

	srv->watches = g_new0(guint, n_listeners);
	for (size_t i = 0; i < n_listeners; i++)
		srv->watches[i] = g_unix_fd_add(listeners[i].fd, G_IO_IN, on_listen_ready, srv);
	return srv;
}

struct server *server_free(struct server *srv)
{
	if (!srv)
		return NULL;
	for (size_t i = 0; srv->watches && i < srv->n_listeners; i++)
		if (srv->watches[i])
			g_source_remove(srv->watches[i]);
	g_free(srv->watches);
	while (srv->sniffing)
		sniff_free(srv->sniffing->data, true);
	if (srv->lws)
		lws_context_destroy(srv->lws);
	/* Workers still closing their dialogs report to nobody now. */
	ops_env_set_status(&srv->ops, NULL);
	for (size_t i = 0; i < srv->n_listeners; i++)
		close(srv->listeners[i].fd);
	g_free(srv->listeners);
	g_free(srv);
	return NULL;
}

void server_set_status(struct server *srv, struct status *st)
{
	srv->status = st;
	ops_env_set_status(&srv->ops, st);
}

int server_reload_tls(struct server *srv, const char *tls_cert, const char *tls_key)
{
	if (!srv->ssl_ctx)
		return -ENOENT;
	if (SSL_CTX_use_certificate_chain_file(srv->ssl_ctx, tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(srv->ssl_ctx, tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(srv->ssl_ctx) != 1)
		return -EINVAL;
	return 0;
}

unsigned server_connections(const struct server *srv)
{
	return srv->connections;
}

bool server_idle(const struct server *srv, gint64 *ret_since)
{
	gint64 work_ended;

	if (srv->connections > 0 || !ops_idle(&work_ended))
		return false;
	*ret_since = MAX(srv->last_close, work_ended);
	return true;
}
