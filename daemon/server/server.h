/* The WebSocket server: libwebsockets on GLib's main loop.
 *
 * We accept connections ourselves (from sockets we bound or that systemd
 * passed), pass them through the gate, and hand the survivors to lws,
 * which speaks TLS or plain HTTP on the same port, upgrades to WebSocket
 * and calls us back. Each connection follows NCALayer's session rules:
 * a greeting on open, heartbeats echoed at any time, one request served
 * at a time, the rest queued (bounded) and answered in order. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "daemon/config.h"
#include "daemon/server/listen.h"

struct server;

/* The listeners are taken (closed by server_free). tls_cert/tls_key are
 * PEM files (the leaf + chain and its key). Returns NULL and sets
 * *ret_message when lws cannot start (for example, its GLib plugin is
 * missing). */
struct server *server_new(const struct config *cfg, GMainLoop *loop, struct listener *listeners,
			  size_t n_listeners, const char *tls_cert, const char *tls_key,
			  char **ret_message);
struct server *server_free(struct server *srv);

struct status;

/* Report connections opening and closing, requests being served and
 * their answers, and through ops what requests do, to st (NULL: stop).
 * Call it before the loop runs; st must outlive the server or be
 * replaced by NULL first. */
void server_set_status(struct server *srv, struct status *st);

/* Load a renewed certificate for new connections. */
int server_reload_tls(struct server *srv, const char *tls_cert, const char *tls_key);

unsigned server_connections(const struct server *srv);

/* Is the server idle: no connection open (counted from accept, TLS
 * handshakes and camera previews included) and nothing going on
 * (ops_idle())? Then *ret_since is when it last stopped being busy, or
 * when it started (g_get_monotonic_time()). */
bool server_idle(const struct server *srv, gint64 *ret_since);
