/* The gate: who may talk to the daemon.
 *
 * 1. Only loopback peers (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104).
 * 2. Only sockets owned by the daemon's own user: the kernel tells us the
 *    uid of the peer socket through NETLINK_SOCK_DIAG, so another local
 *    user cannot drive this user's keys.
 * 3. The page's Origin must match the allow-list; connections without an
 *    Origin header (local programs, not pages) follow a config switch.
 *
 * Pure functions except gate_peer_uid(), which asks the kernel. */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

enum gate_error {
	GATE_E_NOT_FOUND = 1, /* the kernel knows no socket for that address pair */
};

enum gate_origin_verdict {
	GATE_ORIGIN_ALLOWED,
	GATE_ORIGIN_REFUSED,
};

bool gate_address_is_loopback(const struct sockaddr *sa, socklen_t len);

/* The uid that owns the other end of the TCP connection fd (the client's
 * socket, not ours). Returns 0, -errno, or GATE_E_NOT_FOUND when the
 * client's socket is already gone. */
int gate_peer_uid(int fd, uid_t *ret_uid);

/* Does origin ("https://sub.egov.kz", "http://localhost:8080") match
 * pattern? Patterns are SCHEME://HOST[:PORT] where HOST may start with
 * "*." (any subdomain, not the domain itself) and PORT may be "*"; no
 * port means the scheme's default port. "*" alone matches every origin,
 * "null" matches the literal Origin "null" (file: pages, sandboxes).
 * Comparison ignores ASCII case. */
bool gate_origin_match(const char *pattern, const char *origin);

/* origin NULL: the request had no Origin header. */
enum gate_origin_verdict gate_origin_check(char *const *patterns, const char *origin,
					   bool allow_no_origin);
