/* http: the demo portal on libwebsockets' own event loop: plain HTTP/1.1
 * on a loopback address, /api/ handed to app.h, everything else served
 * from the page folders.
 *
 *   /api/…      portal_handle(); "Cache-Control: no-store". POST bodies
 *               need a Content-Length and may have PORTAL_BODY_MAX bytes:
 *               a larger one is read and thrown away, then answered with
 *               TOO_LARGE once and the connection closed (one declared
 *               larger than HTTP_DRAIN_MAX is answered at once).
 *   /client/…   files of the client folder, if given
 *   /…          files of the root folder, if given; "/" and paths ending
 *               in "/" mean index.html
 * Files: only regular files whose real path lies inside their folder,
 * no path component that is empty of sense ("." or "..") or hidden (a
 * leading "."), GET only; Content-Type by extension.
 *
 * One line per request on stderr: method, path, status (and the error
 * code). Bodies, cookies and codes are never logged. */
#pragma once

#include "web/portal/app.h"

/* An oversize body up to this many bytes is read to its end before the
 * answer, so that browsers see the 413 rather than a reset. */
#define HTTP_DRAIN_MAX (64u * 1024 * 1024)
/* The largest file served. */
#define HTTP_FILE_MAX (64u * 1024 * 1024)

struct http_options {
	const char *host;   /* an IPv4 loopback address */
	unsigned port;      /* 0: a free port */
	const char *root;   /* the pages' folder, or NULL */
	const char *client; /* the client module's folder, or NULL */
};

struct http_server;

/* Listen. SIGINT and SIGTERM are blocked in the calling thread and read
 * through a signalfd on the loop (http_server_run() returns on them): the
 * caller must not have other threads that would take the signals. On
 * failure returns a negative errno and *ret_why (if not NULL) a new
 * string (free()). */
int http_server_new(struct portal *p, const struct http_options *o, struct http_server **ret,
		    char **ret_why);

/* The port listened on. */
unsigned http_server_port(const struct http_server *s);

/* Serve until SIGINT or SIGTERM. Returns 0, or a negative errno when the
 * loop fails. */
int http_server_run(struct http_server *s);

/* Accepts NULL; returns NULL. */
struct http_server *http_server_free(struct http_server *s);
