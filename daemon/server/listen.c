#include "daemon/server/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daemon/server/gate.h"
#include "util/cleanup.h"

int listen_parse(const char *spec, struct sockaddr_storage *ret_addr, socklen_t *ret_len)
{
	struct sockaddr_storage ss = { 0 };
	char host[64];
	const char *port_str;
	guint64 port;
	size_t hl;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return LISTEN_E_SYNTAX;
		hl = (size_t)(close - spec - 1);
		if (hl == 0 || hl >= sizeof(host))
			return LISTEN_E_SYNTAX;
		memcpy(host, spec + 1, hl);
		port_str = close + 2;
	} else {
		const char *colon = strrchr(spec, ':');

		if (!colon)
			return LISTEN_E_SYNTAX;
		hl = (size_t)(colon - spec);
		if (hl == 0 || hl >= sizeof(host) || memchr(spec, ':', hl))
			return LISTEN_E_SYNTAX;
		memcpy(host, spec, hl);
		port_str = colon + 1;
	}
	host[hl] = '\0';
	if (!g_ascii_string_to_unsigned(port_str, 10, 0, 65535, &port, NULL))
		return LISTEN_E_SYNTAX;
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");

	if (spec[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return LISTEN_E_SYNTAX;
		*ret_len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return LISTEN_E_SYNTAX;
		*ret_len = sizeof(*in);
	}
	if (!gate_address_is_loopback((struct sockaddr *)&ss, *ret_len))
		return LISTEN_E_NOT_LOOPBACK;
	*ret_addr = ss;
	return 0;
}

void listen_describe(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(buf, size, "fd %d", fd);
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(in->sin_port));
	}
}

int listen_bind(const char *spec, struct listener *ret, char **ret_message)
{
	struct sockaddr_storage ss;
	socklen_t len;
	_cleanup_close_ int fd = -1;
	int one = 1, r;

	r = listen_parse(spec, &ss, &len);
	if (r == LISTEN_E_SYNTAX) {
		*ret_message = g_strdup_printf("cannot listen on \"%s\": expected ADDR:PORT such as "
					       "127.0.0.1:13579 or [::1]:13579", spec);
		return r;
	}
	if (r == LISTEN_E_NOT_LOOPBACK) {
		*ret_message = g_strdup_printf("refusing to listen on \"%s\": only loopback addresses "
					       "(127.0.0.0/8, ::1) are allowed", spec);
		return r;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, SOMAXCONN) < 0)
		goto fail;

	*ret = (struct listener){ .fd = TAKE_FD(fd) };
	listen_describe(ret->fd, ret->name, sizeof(ret->name));
	return 0;
fail:
	r = -errno;
	*ret_message = g_strdup_printf("cannot listen on %s: %s", spec, g_strerror(errno));
	return r;
}

int listen_from_systemd(struct listener **ret_listeners, size_t *ret_n, char **ret_message)
{
	g_autofree struct listener *l = NULL;
	int n = sd_listen_fds(1);

	if (n < 0) {
		*ret_message = g_strdup_printf("cannot take the sockets systemd passed: %s",
					       g_strerror(-n));
		return n;
	}
	if (n == 0) {
		*ret_n = 0;
		return 0;
	}
	l = g_new0(struct listener, n);
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) <= 0) {
			*ret_message = g_strdup_printf("socket %d from systemd is not a listening TCP "
						       "socket (check ListenStream= in qoltanba.socket)", fd);
			return LISTEN_E_NOT_TCP;
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
			return -errno;
		l[i] = (struct listener){ .fd = fd, .activated = true };
		listen_describe(fd, l[i].name, sizeof(l[i].name));
	}
	*ret_listeners = g_steal_pointer(&l);
	*ret_n = (size_t)n;
	return 0;
}
