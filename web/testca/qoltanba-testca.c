/* qoltanba-testca: the test CA from the command line.
 *
 *   qoltanba-testca init DIR
 *   qoltanba-testca issue DIR [--purpose sign|auth|both] [--days N]
 *                             [--not-before UNIX] < req.pem > cert.pem
 *   qoltanba-testca root DIR gost|rsa
 *
 * Exit 0 on success, 1 when the work fails (reason on stderr), 2 for a
 * usage error. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "util/cleanup.h"
#include "web/testca/testca.h"

DEFINE_POINTER_CLEANUP(testca_free, struct testca)


#define EXIT_USAGE 2

static int usage(void)
{
	fputs("usage: qoltanba-testca init DIR\n"
	      "       qoltanba-testca issue DIR [--purpose sign|auth|both] [--days N]"
	      " [--not-before UNIX] < req.pem > cert.pem\n"
	      "       qoltanba-testca root DIR gost|rsa\n",
	      stderr);
	return EXIT_USAGE;
}

/* One message per failure: testca's reason or the errno's text. */
static int fail(const char *what, int err, const char *why)
{
	if (why)
		fprintf(stderr, "qoltanba-testca: %s: %s\n", what, why);
	else if (err == TESTCA_E_EXISTS)
		fprintf(stderr, "qoltanba-testca: %s: the folder already holds a CA\n", what);
	else if (err == TESTCA_E_CORRUPT)
		fprintf(stderr, "qoltanba-testca: %s: the CA files are damaged\n", what);
	else if (err < 0)
		fprintf(stderr, "qoltanba-testca: %s: %s\n", what, strerror(-err));
	else
		fprintf(stderr, "qoltanba-testca: %s: error %d\n", what, err);
	return EXIT_FAILURE;
}

static int cmd_init(const char *dir)
{
	_cleanup_(testca_freep) struct testca *ca = NULL;
	int ret = testca_create(dir, NULL, &ca);

	return ret == 0 ? EXIT_SUCCESS : fail(dir, ret, NULL);
}

static int cmd_root(const char *dir, const char *alg_name)
{
	_cleanup_(testca_freep) struct testca *ca = NULL;
	enum csr_algorithm alg;
	int ret;

	if (strcmp(alg_name, "gost") == 0)
		alg = CSR_ALG_GOST512;
	else if (strcmp(alg_name, "rsa") == 0)
		alg = CSR_ALG_RSA2048;
	else
		return usage();
	ret = testca_open(dir, &ca);
	if (ret != 0)
		return fail(dir, ret, NULL);
	return PEM_write_X509(stdout, testca_root(ca, alg)) ? EXIT_SUCCESS : fail("stdout", -EIO, NULL);
}

/* All of stdin up to TESTCA_REQUEST_MAX bytes; NULL if larger. */
static char *read_request(void)
{
	size_t cap = TESTCA_REQUEST_MAX + 2, len;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	len = fread(buf, 1, cap - 1, stdin);
	if (ferror(stdin) || len > TESTCA_REQUEST_MAX) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static bool parse_number(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

static bool parse_purpose(const char *s, enum testca_purpose *ret)
{
	if (strcmp(s, "sign") == 0)
		*ret = TESTCA_PURPOSE_SIGN;
	else if (strcmp(s, "auth") == 0)
		*ret = TESTCA_PURPOSE_AUTH;
	else if (strcmp(s, "both") == 0)
		*ret = TESTCA_PURPOSE_BOTH;
	else
		return false;
	return true;
}

static int cmd_issue(int argc, char **argv)
{
	static const struct option options[] = {
		{ "purpose", required_argument, NULL, 'p' },
		{ "days", required_argument, NULL, 'd' },
		{ "not-before", required_argument, NULL, 'n' },
		{},
	};
	_cleanup_(testca_freep) struct testca *ca = NULL;
	_cleanup_free_ char *req = NULL, *cert = NULL;
	struct testca_options o = { .purpose = TESTCA_PURPOSE_SIGN };
	const char *why = NULL;
	long long v;
	int c, ret;

	/* argv[0] is "issue"; getopt permutes, so DIR may come anywhere. */
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_purpose(optarg, &o.purpose))
				return usage();
			break;
		case 'd':
			if (!parse_number(optarg, 1, TESTCA_DAYS_MAX, &v))
				return usage();
			o.days = (unsigned)v;
			break;
		case 'n':
			if (!parse_number(optarg, 1, 253402300799LL /* 9999-12-31 */, &v))
				return usage();
			o.not_before = v;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc - 1)
		return usage();
	ret = testca_open(argv[optind], &ca);
	if (ret != 0)
		return fail(argv[optind], ret, NULL);
	req = read_request();
	if (!req)
		return fail("stdin", -EFBIG, "cannot read a request of at most 64 KiB");
	ret = testca_issue_pem(ca, req, &o, &cert, &why);
	if (ret != 0)
		return fail("issue", ret, ret == TESTCA_E_REQUEST ? why : NULL);
	return fputs(cert, stdout) >= 0 && fflush(stdout) == 0 ? EXIT_SUCCESS : fail("stdout", -EIO, NULL);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "init") == 0 && argc == 3)
		return cmd_init(argv[2]);
	if (strcmp(argv[1], "root") == 0 && argc == 4)
		return cmd_root(argv[2], argv[3]);
	if (strcmp(argv[1], "issue") == 0)
		return cmd_issue(argc - 1, argv + 1);
	return usage();
}
