/* qoltanba-portal: the demo portal (egov.kz, the identity service and
 * NCA's issuance, stood in for) that a person walks NCA's remote key
 * issuance against, with the real daemon. Options → the portal (data
 * folder, register, test CA) → HTTP on loopback → one line on stdout
 * with the URL → served until SIGINT or SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "web/portal/app.h"
#include "web/portal/http.h"

#define EXIT_USAGE 2

static const char usage[] =
	"NAME\n"
	"    qoltanba-portal - the demo portal for NCA's remote key issuance\n"
	"\n"
	"SYNOPSIS\n"
	"    qoltanba-portal [--data DIR] [--listen ADDR:PORT] [--root DIR] [--client DIR]\n"
	"                    [--register FILE] [--daemon URL]... [--code-ttl S]\n"
	"                    [--resend-seconds S] [--issue-delay S]\n"
	"\n"
	"DESCRIPTION\n"
	"    Stands in for egov.kz, the identity service and NCA's issuance service, so\n"
	"    that a person can get signature keys in a browser with the real Qoltanba\n"
	"    daemon. Serves the demo pages, the client module and the JSON API of\n"
	"    web/portal/API.md over plain HTTP on a loopback address. Knows only the\n"
	"    fictitious citizens of its register; issues certificates from a test CA\n"
	"    that nobody trusts. Every SMS goes to the application's inbox and to\n"
	"    standard output. When listening, prints one line:\n"
	"        qoltanba-portal: http://127.0.0.1:PORT/\n"
	"    SIGINT or SIGTERM stops it.\n"
	"\n"
	"OPTIONS\n"
	"    --data DIR          keep applications, uploads, the test CA and the inbox\n"
	"                        here (created with mode 0700; default\n"
	"                        $XDG_STATE_HOME/qoltanba/portal)\n"
	"    --listen ADDR:PORT  listen on this IPv4 loopback address (default\n"
	"                        127.0.0.1:8400; port 0 picks a free port)\n"
	"    --root DIR          serve the demo pages from DIR at / (default: none)\n"
	"    --client DIR        serve the client module from DIR at /client/\n"
	"    --register FILE     the register of citizens (default:\n"
	"                        " PORTAL_REGISTER ")\n"
	"    --daemon URL        where pages find the daemon (GET /api/config);\n"
	"                        repeatable, tried in order (default\n"
	"                        wss://127.0.0.1:13579, then ws://127.0.0.1:13579)\n"
	"    --code-ttl S        seconds an SMS code is valid (default 300)\n"
	"    --resend-seconds S  seconds before a new code may be sent (default 30)\n"
	"    --issue-delay S     seconds from request to certificate (default 2)\n"
	"    --help              print this and exit\n"
	"\n"
	"EXIT STATUS\n"
	"    0 when stopped by a signal, 1 when it cannot start, 2 for a usage error.\n";

static const struct option options[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "listen", required_argument, NULL, 'l' },
	{ "root", required_argument, NULL, 'r' },
	{ "client", required_argument, NULL, 'c' },
	{ "register", required_argument, NULL, 'R' },
	{ "daemon", required_argument, NULL, 'D' },
	{ "code-ttl", required_argument, NULL, 't' },
	{ "resend-seconds", required_argument, NULL, 's' },
	{ "issue-delay", required_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* "qoltanba-portal: WANT, not ARG" */
static int usage_error(const char *want, const char *arg)
{
	fprintf(stderr, "qoltanba-portal: %s, not %s\nTry qoltanba-portal --help.\n", want, arg);
	return EXIT_USAGE;
}

static bool seconds(const char *text, guint64 max, unsigned *ret)
{
	guint64 v;

	if (!g_ascii_string_to_unsigned(text, 10, 0, max, &v, NULL))
		return false;
	*ret = (unsigned)v;
	return true;
}

/* "127.0.0.1:8400", "localhost:0": an IPv4 loopback address and a port. */
static bool parse_listen(const char *text, char **ret_host, unsigned *ret_port)
{
	const char *colon = strrchr(text, ':');
	g_autofree char *host = NULL;
	struct in_addr addr;
	guint64 port;

	if (!colon || !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL))
		return false;
	host = g_strndup(text, (gsize)(colon - text));
	if (strcmp(host, "localhost") == 0) {
		g_free(host);
		host = g_strdup("127.0.0.1");
	}
	if (inet_pton(AF_INET, host, &addr) != 1 || (ntohl(addr.s_addr) >> 24) != 127)
		return false;
	*ret_host = g_steal_pointer(&host);
	*ret_port = (unsigned)port;
	return true;
}

static char *default_data_dir(void)
{
	const char *state = g_getenv("XDG_STATE_HOME");

	if (state && g_path_is_absolute(state))
		return g_build_filename(state, "qoltanba", "portal", NULL);
	return g_build_filename(g_get_home_dir(), ".local", "state", "qoltanba", "portal", NULL);
}

/* Every SMS, on standard output: the demo's phone. */
static void print_sms(void *ctx, const char *masked_phone, const char *text)
{
	printf("SMS to %s: %s\n", masked_phone, text);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	g_autofree char *data = NULL, *host = g_strdup("127.0.0.1");
	g_autoptr(GPtrArray) daemons = g_ptr_array_new();
	struct portal_options po = {
		.register_path = PORTAL_REGISTER,
		.code_ttl = PORTAL_CODE_TTL_DEFAULT,
		.resend_seconds = PORTAL_RESEND_SECONDS_DEFAULT,
		.issue_delay = PORTAL_ISSUE_DELAY_DEFAULT,
		.sms = print_sms,
	};
	struct http_options ho = { .port = 8400 };
	struct portal *portal = NULL;
	struct http_server *server = NULL;
	char *why = NULL;
	int c, r;

	setlocale(LC_ALL, "");
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			g_free(data);
			data = g_strdup(optarg);
			break;
		case 'l':
			g_clear_pointer(&host, g_free);
			if (!parse_listen(optarg, &host, &ho.port))
				return usage_error("--listen wants an IPv4 loopback ADDR:PORT",
						   optarg);
			break;
		case 'r':
			ho.root = optarg;
			break;
		case 'c':
			ho.client = optarg;
			break;
		case 'R':
			po.register_path = optarg;
			break;
		case 'D':
			g_ptr_array_add(daemons, optarg);
			break;
		case 't':
			if (!seconds(optarg, 86400, &po.code_ttl) || po.code_ttl == 0)
				return usage_error("--code-ttl wants 1 to 86400 seconds",
						   optarg);
			break;
		case 's':
			if (!seconds(optarg, 86400, &po.resend_seconds))
				return usage_error("--resend-seconds wants 0 to 86400 seconds",
						   optarg);
			break;
		case 'i':
			if (!seconds(optarg, 86400, &po.issue_delay))
				return usage_error("--issue-delay wants 0 to 86400 seconds",
						   optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try qoltanba-portal --help.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("no arguments are wanted", argv[optind]);
	if (!data)
		data = default_data_dir();
	g_ptr_array_add(daemons, NULL);
	po.daemon_urls = (const char *const *)daemons->pdata;
	po.data_dir = data;
	ho.host = host;

	signal(SIGPIPE, SIG_IGN);
	r = portal_new(&po, &portal, &why);
	if (r == 0)
		r = http_server_new(portal, &ho, &server, &why);
	if (r != 0) {
		fprintf(stderr, "qoltanba-portal: %s\n", why ? why : g_strerror(r < 0 ? -r : EIO));
		free(why);
		portal_free(portal);
		return EXIT_FAILURE;
	}
	printf("qoltanba-portal: http://%s:%u/\n", host, http_server_port(server));
	fflush(stdout);
	r = http_server_run(server);
	http_server_free(server);
	portal_free(portal);
	if (r < 0) {
		fprintf(stderr, "qoltanba-portal: the event loop failed: %s\n", g_strerror(-r));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
