/* The replay driver: runs a fuzz harness's LLVMFuzzerTestOneInput() over
 * every file of its corpus, so that make check (gcc, no libFuzzer) keeps
 * the seeds and the crashers found so far passing, under ASan in CI's
 * sanitizer build.
 *
 *   replay-<target> [FILE|FOLDER...]
 *
 * Without arguments, the corpus folder compiled in (FUZZ_CORPUS_DIR).
 * Prints TAP: one test point per file (files of a folder in name order).
 * A harness that crashes or trips a sanitizer ends the program, and the
 * TAP driver reports the missing points as a failure. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Largest input replayed; the corpus holds small files only. */
#define REPLAY_MAX_FILE (4 * 1024 * 1024)

static unsigned test_number;

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || n > REPLAY_MAX_FILE ||
	    fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return -EFBIG;
	}
	/* libFuzzer hands the harness a buffer of exactly size bytes: so
	 * does this (malloc of n, not n + 1), so ASan sees an overread. */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
}

/* The name a test point shows: from the corpus folder on. */
static const char *short_name(const char *path)
{
	const char *c = strstr(path, "/corpus/");

	return c ? c + 1 : path;
}

static int replay_file(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = read_file(path, &data, &len);
	if (r < 0) {
		printf("not ok %u - %s: %s\n", ++test_number, short_name(path), strerror(-r));
		return 1;
	}
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	printf("ok %u - %s (%zu bytes)\n", ++test_number, short_name(path), len);
	fflush(stdout);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_folder(const char *dir)
{
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int failed = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		printf("not ok %u - %s: %s\n", ++test_number, dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (!v)
				abort();
			names = v;
		}
		if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0)
			abort();
		n++;
	}
	closedir(d);
	if (n == 0)
		printf("not ok %u - %s: empty corpus\n", ++test_number, dir), failed = 1;
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		failed |= replay_file(names[i]);
		free(names[i]);
	}
	free(names);
	return failed;
}

int main(int argc, char **argv)
{
#ifdef FUZZ_CORPUS_DIR
	static char *default_args[] = { NULL, (char *)FUZZ_CORPUS_DIR, NULL };
#else
	static char *default_args[] = { NULL, NULL };
#endif
	int failed = 0;

	if (argc < 2) {
		default_args[0] = argv[0];
		argv = default_args;
		argc = (int)(sizeof(default_args) / sizeof(*default_args)) - 1;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			failed |= replay_folder(argv[i]);
		else
			failed |= replay_file(argv[i]);
	}
	printf("1..%u\n", test_number);
	return failed;
}
