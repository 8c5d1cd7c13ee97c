/* Listening sockets: bound from "ADDR:PORT" strings or handed over by
 * systemd socket activation (LISTEN_FDS). Only loopback addresses may be
 * bound: the daemon serves this machine's browser and nothing else. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum listen_error {
	LISTEN_E_SYNTAX = 1,   /* not ADDR:PORT */
	LISTEN_E_NOT_LOOPBACK, /* the address is not a loopback address */
	LISTEN_E_NOT_TCP,      /* an inherited fd is not a listening TCP socket */
};

struct listener {
	int fd;
	bool activated; /* from systemd: not ours to unlink or rebind */
	char name[64];  /* "127.0.0.1:13579", "[::1]:13579" with the real port */
};

/* Parse "127.0.0.1:13579", "[::1]:0", "localhost:13579" (localhost means
 * 127.0.0.1). Port 0 asks the kernel for a free port. */
int listen_parse(const char *spec, struct sockaddr_storage *ret_addr, socklen_t *ret_len);

/* Bind and listen (non-blocking, close-on-exec). On a positive error,
 * *ret_message says why (g_free). */
int listen_bind(const char *spec, struct listener *ret, char **ret_message);

/* Take the sockets systemd passed. Returns how many (0: not activated)
 * and fills *ret_listeners (g_free), or a negative/positive error. */
int listen_from_systemd(struct listener **ret_listeners, size_t *ret_n, char **ret_message);

/* "127.0.0.1:34567" for a bound socket. */
void listen_describe(int fd, char *buf, size_t size);
