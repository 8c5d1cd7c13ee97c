/* The gate's pure parts (loopback, Origin patterns, listen addresses) and
 * the kernel look-up of a peer socket's owner. */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/server/gate.h"
#include "daemon/server/listen.h"

static bool loopback4(const char *addr)
{
	struct sockaddr_in in = { .sin_family = AF_INET };

	g_assert_cmpint(inet_pton(AF_INET, addr, &in.sin_addr), ==, 1);
	return gate_address_is_loopback((struct sockaddr *)&in, sizeof(in));
}

static bool loopback6(const char *addr)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

	g_assert_cmpint(inet_pton(AF_INET6, addr, &in6.sin6_addr), ==, 1);
	return gate_address_is_loopback((struct sockaddr *)&in6, sizeof(in6));
}

static void test_loopback(void)
{
	g_assert_true(loopback4("127.0.0.1"));
	g_assert_true(loopback4("127.255.0.9"));
	g_assert_false(loopback4("128.0.0.1"));
	g_assert_false(loopback4("10.0.0.1"));
	g_assert_false(loopback4("0.0.0.0"));
	g_assert_false(loopback4("192.168.1.1"));
	g_assert_true(loopback6("::1"));
	g_assert_true(loopback6("::ffff:127.0.0.1"));
	g_assert_false(loopback6("::ffff:10.0.0.1"));
	g_assert_false(loopback6("::"));
	g_assert_false(loopback6("fe80::1"));
	g_assert_false(loopback6("2001:db8::1"));
}

struct origin_case {
	const char *pattern, *origin;
	bool match;
};

static const struct origin_case origin_cases[] = {
	{ "https://egov.kz", "https://egov.kz", true },
	{ "https://egov.kz", "https://EGOV.KZ", true },
	{ "https://egov.kz", "https://egov.kz:443", true },
	{ "https://egov.kz", "https://egov.kz:8443", false },
	{ "https://egov.kz", "http://egov.kz", false },
	{ "https://egov.kz", "https://www.egov.kz", false },
	{ "https://egov.kz", "https://egov.kz.evil.com", false },
	{ "https://*.egov.kz", "https://www.egov.kz", true },
	{ "https://*.egov.kz", "https://a.b.egov.kz", true },
	{ "https://*.egov.kz", "https://egov.kz", false },
	{ "https://*.egov.kz", "https://evilegov.kz", false },
	{ "https://*.egov.kz", "https://egov.kz.evil.com", false },
	{ "http://localhost:*", "http://localhost:8080", true },
	{ "http://localhost:*", "http://localhost", true },
	{ "http://localhost:*", "https://localhost:8080", false },
	{ "http://127.0.0.1:8080", "http://127.0.0.1:8081", false },
	{ "http://[::1]:8080", "http://[::1]:8080", true },
	{ "*", "https://anything.example", true },
	{ "null", "null", true },
	{ "https://egov.kz", "null", false },
	{ "https://egov.kz", "", false },
	{ "https://egov.kz", "egov.kz", false },
	{ "https://egov.kz", "https://egov.kz/path", false },
};

static void test_origin_match(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(origin_cases); i++) {
		const struct origin_case *c = &origin_cases[i];

		if (gate_origin_match(c->pattern, c->origin) != c->match)
			g_error("pattern \"%s\" origin \"%s\": expected %s", c->pattern, c->origin,
				c->match ? "a match" : "no match");
	}
}

static void test_origin_check(void)
{
	char *allow[] = { "https://egov.kz", "https://*.pki.gov.kz", NULL };

	g_assert_cmpint(gate_origin_check(allow, "https://egov.kz", false), ==, GATE_ORIGIN_ALLOWED);
	g_assert_cmpint(gate_origin_check(allow, "https://ncl.pki.gov.kz", false), ==,
			GATE_ORIGIN_ALLOWED);
	g_assert_cmpint(gate_origin_check(allow, "https://evil.example", true), ==,
			GATE_ORIGIN_REFUSED);
	g_assert_cmpint(gate_origin_check(allow, NULL, true), ==, GATE_ORIGIN_ALLOWED);
	g_assert_cmpint(gate_origin_check(allow, NULL, false), ==, GATE_ORIGIN_REFUSED);
	g_assert_cmpint(gate_origin_check(NULL, "https://egov.kz", false), ==, GATE_ORIGIN_REFUSED);
}

struct listen_case {
	const char *spec;
	int result;
	int family;
	unsigned port;
};

static const struct listen_case listen_cases[] = {
	{ "127.0.0.1:13579", 0, AF_INET, 13579 },
	{ "localhost:0", 0, AF_INET, 0 },
	{ "127.1.2.3:80", 0, AF_INET, 80 },
	{ "[::1]:13579", 0, AF_INET6, 13579 },
	{ "0.0.0.0:13579", LISTEN_E_NOT_LOOPBACK, 0, 0 },
	{ "192.168.0.1:13579", LISTEN_E_NOT_LOOPBACK, 0, 0 },
	{ "[::]:13579", LISTEN_E_NOT_LOOPBACK, 0, 0 },
	{ "127.0.0.1", LISTEN_E_SYNTAX, 0, 0 },
	{ "127.0.0.1:65536", LISTEN_E_SYNTAX, 0, 0 },
	{ "127.0.0.1:-1", LISTEN_E_SYNTAX, 0, 0 },
	{ "::1:13579", LISTEN_E_SYNTAX, 0, 0 },
	{ "[::1]13579", LISTEN_E_SYNTAX, 0, 0 },
	{ "example.org:13579", LISTEN_E_SYNTAX, 0, 0 },
	{ ":13579", LISTEN_E_SYNTAX, 0, 0 },
};

static void test_listen_parse(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(listen_cases); i++) {
		const struct listen_case *c = &listen_cases[i];
		struct sockaddr_storage ss;
		socklen_t len;
		int r = listen_parse(c->spec, &ss, &len);

		if (r != c->result)
			g_error("\"%s\": expected %d, got %d", c->spec, c->result, r);
		if (r != 0)
			continue;
		g_assert_cmpint(ss.ss_family, ==, c->family);
		g_assert_cmpuint(ntohs(c->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
							    : ((struct sockaddr_in6 *)&ss)->sin6_port),
				 ==, c->port);
	}
}

/* A real loopback connection: the kernel must name us as the owner of the
 * client's socket, as seen from the accepted one. */
static void test_peer_uid(gconstpointer data)
{
	const char *spec = data;
	struct listener l;
	char *message = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int client, server;
	uid_t uid = (uid_t)-1;

	if (listen_bind(spec, &l, &message) != 0) {
		g_test_skip_printf("cannot listen on %s here: %s", spec, message);
		g_free(message);
		return;
	}
	g_assert_cmpint(getsockname(l.fd, (struct sockaddr *)&ss, &len), ==, 0);
	client = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(client, >=, 0);
	g_assert_cmpint(connect(client, (struct sockaddr *)&ss, len), ==, 0);
	do
		server = accept(l.fd, NULL, NULL);
	while (server < 0);

	g_assert_cmpint(gate_peer_uid(server, &uid), ==, 0);
	g_assert_cmpuint(uid, ==, geteuid());

	close(client);
	close(server);
	close(l.fd);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/gate/loopback", test_loopback);
	g_test_add_func("/gate/origin-match", test_origin_match);
	g_test_add_func("/gate/origin-check", test_origin_check);
	g_test_add_func("/listen/parse", test_listen_parse);
	g_test_add_data_func("/gate/peer-uid/ipv4", "127.0.0.1:0", test_peer_uid);
	g_test_add_data_func("/gate/peer-uid/ipv6", "[::1]:0", test_peer_uid);
	return g_test_run();
}
