#include "daemon/server/gate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/cleanup.h"

static bool in6_is_v4mapped_loopback(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
}

bool gate_address_is_loopback(const struct sockaddr *sa, socklen_t len)
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		       in6_is_v4mapped_loopback(&in6->sin6_addr);
	}
	return false;
}

/* Fill one side of an inet_diag socket id. A v4-mapped address on an
 * IPv6 socket belongs to an IPv4 client socket, so it is looked up as
 * IPv4. */
static int diag_side(const struct sockaddr_storage *ss, int *family, __be16 *port, __be32 addr[4])
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		*family = AF_INET;
		*port = in->sin_port;
		addr[0] = in->sin_addr.s_addr;
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		*port = in6->sin6_port;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			*family = AF_INET;
			memcpy(&addr[0], &in6->sin6_addr.s6_addr[12], 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, &in6->sin6_addr, 16);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

int gate_peer_uid(int fd, uid_t *ret_uid)
{
	struct sockaddr_storage local, peer;
	socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST,
		},
		.req = {
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = ~0u,
			.id.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE },
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	_cleanup_close_ int nl = -1;
	union {
		struct nlmsghdr nlh;
		char buf[8192];
	} reply;
	int family_local, family_peer, r;
	ssize_t n;

	if (getsockname(fd, (struct sockaddr *)&local, &local_len) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &peer_len) < 0)
		return -errno;

	/* The client's socket: its source is our peer, its destination is us. */
	r = diag_side(&peer, &family_peer, &msg.req.id.idiag_sport, msg.req.id.idiag_src);
	if (r < 0)
		return r;
	r = diag_side(&local, &family_local, &msg.req.id.idiag_dport, msg.req.id.idiag_dst);
	if (r < 0)
		return r;
	if (family_local != family_peer)
		return -EAFNOSUPPORT;
	msg.req.sdiag_family = (__u8)family_peer;

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -errno;
	if (sendto(nl, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	n = recv(nl, &reply, sizeof(reply), 0);
	if (n < 0)
		return -errno;

	for (struct nlmsghdr *h = &reply.nlh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error == -ENOENT ? GATE_E_NOT_FOUND : (e->error ? e->error : -EBADMSG);
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				return -EBADMSG;
			*ret_uid = m->idiag_uid;
			return 0;
		}
	}
	return -EBADMSG;
}

/* Split "scheme://host[:port]" into its parts; host keeps IPv6 brackets. */
struct origin_parts {
	char scheme[16];
	char host[256];
	char port[8]; /* "" when absent */
};

static bool origin_split(const char *s, struct origin_parts *p)
{
	const char *sep = strstr(s, "://"), *host, *port = NULL, *end;
	size_t n;

	if (!sep || (size_t)(sep - s) >= sizeof(p->scheme) || sep == s)
		return false;
	memcpy(p->scheme, s, (size_t)(sep - s));
	p->scheme[sep - s] = '\0';
	host = sep + 3;
	end = host + strlen(host);
	if (*host == '[') {
		const char *close = strchr(host, ']');

		if (!close)
			return false;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return false;
		n = (size_t)(close + 1 - host);
	} else {
		const char *colon = strchr(host, ':');

		if (colon)
			port = colon + 1;
		n = (size_t)((colon ? colon : end) - host);
	}
	if (n == 0 || n >= sizeof(p->host) || memchr(host, '/', n))
		return false;
	memcpy(p->host, host, n);
	p->host[n] = '\0';
	p->port[0] = '\0';
	if (port) {
		size_t pn = strlen(port);

		if (pn == 0 || pn >= sizeof(p->port) || strchr(port, '/'))
			return false;
		memcpy(p->port, port, pn + 1);
	}
	return true;
}

static const char *default_port(const char *scheme)
{
	if (strcasecmp(scheme, "https") == 0 || strcasecmp(scheme, "wss") == 0)
		return "443";
	if (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "ws") == 0)
		return "80";
	return "";
}

static bool host_match(const char *pattern, const char *host)
{
	size_t pl, hl;

	if (strncmp(pattern, "*.", 2) != 0)
		return strcasecmp(pattern, host) == 0;
	/* "*.egov.kz" matches "a.egov.kz" and "a.b.egov.kz", not "egov.kz"
	 * and not "evilegov.kz". */
	pattern += 1; /* ".egov.kz" */
	pl = strlen(pattern);
	hl = strlen(host);
	return hl > pl && strcasecmp(host + hl - pl, pattern) == 0;
}

bool gate_origin_match(const char *pattern, const char *origin)
{
	struct origin_parts p, o;
	const char *pport, *oport;

	if (strcmp(pattern, "*") == 0)
		return true;
	if (strcasecmp(pattern, "null") == 0 || strcasecmp(origin, "null") == 0)
		return strcasecmp(pattern, origin) == 0;
	if (!origin_split(pattern, &p) || !origin_split(origin, &o))
		return false;
	if (strcasecmp(p.scheme, o.scheme) != 0 || !host_match(p.host, o.host))
		return false;
	if (strcmp(p.port, "*") == 0)
		return true;
	pport = p.port[0] ? p.port : default_port(p.scheme);
	oport = o.port[0] ? o.port : default_port(o.scheme);
	return strcmp(pport, oport) == 0;
}

enum gate_origin_verdict gate_origin_check(char *const *patterns, const char *origin,
					   bool allow_no_origin)
{
	if (!origin)
		return allow_no_origin ? GATE_ORIGIN_ALLOWED : GATE_ORIGIN_REFUSED;
	for (char *const *p = patterns; p && *p; p++)
		if (gate_origin_match(*p, origin))
			return GATE_ORIGIN_ALLOWED;
	return GATE_ORIGIN_REFUSED;
}
