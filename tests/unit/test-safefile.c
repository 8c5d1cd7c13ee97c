/* util/safefile: key files appear complete or not at all, with exactly the
 * asked mode, never over an existing file; removal zeroes first; private
 * directories are 0700 and ours. Both ways of writing (O_TMPFILE and the
 * named temporary file) run every case. A replaced file holds the new
 * content with the asked mode and leaves no temporary behind; a read stops
 * at its cap and at anything but a regular file. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "tests/unit/test-util.h"
#include "util/safefile.h"

#define CHILD_DATA_LEN (256 * 1024)

struct write_case {
	const char *name;
	bool fallback;
	mode_t umask;
	mode_t mode;
};

static const struct write_case write_cases[] = {
	{ "tmpfile-umask077-0600", false, 077, 0600 },
	{ "tmpfile-umask000-0600", false, 000, 0600 },
	{ "tmpfile-umask077-0640", false, 077, 0640 },
	{ "fallback-umask077-0600", true, 077, 0600 },
	{ "fallback-umask000-0600", true, 000, 0600 },
	{ "fallback-umask077-0640", true, 077, 0640 },
};

static char *make_tmp_dir(void)
{
	char *dir = g_dir_make_tmp("qoltanba-safefile-XXXXXX", NULL);

	g_assert_nonnull(dir);
	return dir;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's entries, sorted, joined by spaces: shows stray files. */
static char *dir_listing(const char *dir)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)))
		g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	g_ptr_array_sort(names, compare_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (char **)names->pdata);
}

static void assert_file(const char *path, const char *content, mode_t mode)
{
	g_autofree char *got = NULL;
	gsize len;
	struct stat st;

	g_assert_true(g_file_get_contents(path, &got, &len, NULL));
	g_assert_cmpmem(got, len, content, strlen(content));
	g_assert_cmpint(lstat(path, &st), ==, 0);
	g_assert_true(S_ISREG(st.st_mode));
	g_assert_cmpint(st.st_mode & 07777, ==, mode);
}

static void test_write(gconstpointer data)
{
	const struct write_case *c = data;
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *path = g_build_filename(dir, "key.p12", NULL);
	g_autofree char *empty = g_build_filename(dir, "empty", NULL);
	g_autofree char *listing = NULL;
	mode_t old = umask(c->umask);
	int r;

	safefile_test_force_fallback(c->fallback);
	r = safefile_write_new(dir, "key.p12", "secret bytes", 12, c->mode);
	umask(old);
	g_assert_cmpint(r, ==, 0);
	assert_file(path, "secret bytes", c->mode);
	listing = dir_listing(dir);
	g_assert_cmpstr(listing, ==, "key.p12");

	/* An empty file is a file too. */
	g_assert_cmpint(safefile_write_new(dir, "empty", NULL, 0, 0600), ==, 0);
	assert_file(empty, "", 0600);
	safefile_test_force_fallback(false);
	test_rm_rf(dir);
}

static void test_exists(gconstpointer data)
{
	bool fallback = GPOINTER_TO_INT(data);
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *path = g_build_filename(dir, "key.p12", NULL);
	g_autofree char *link = g_build_filename(dir, "link", NULL);
	g_autofree char *target = g_build_filename(dir, "target", NULL);
	g_autofree char *listing = NULL;

	safefile_test_force_fallback(fallback);
	g_assert_true(g_file_set_contents(path, "old key", -1, NULL));
	g_assert_cmpint(g_chmod(path, 0600), ==, 0);
	g_assert_cmpint(safefile_write_new(dir, "key.p12", "new key!", 8, 0644), ==, -EEXIST);
	assert_file(path, "old key", 0600);
	/* A dangling symlink is a name too: not followed, not replaced. */
	g_assert_cmpint(symlink(target, link), ==, 0);
	g_assert_cmpint(safefile_write_new(dir, "link", "new key!", 8, 0600), ==, -EEXIST);
	g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
	listing = dir_listing(dir);
	g_assert_cmpstr(listing, ==, "key.p12 link");
	safefile_test_force_fallback(false);
	test_rm_rf(dir);
}

/* Both ways of writing a name: a new file or a replaced one. */
struct write_fn {
	const char *name;
	int (*write)(const char *dir, const char *name, const void *data, size_t len, mode_t mode);
};

static const struct write_fn write_fns[] = {
	{ "write-new", safefile_write_new },
	{ "replace", safefile_replace },
};

static void test_bad_names(gconstpointer data)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "/abs", "dir/", NULL };
	const struct write_fn *f = data;
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *listing = NULL;
	char long_name[300];

	for (size_t i = 0; bad[i]; i++)
		g_assert_cmpint(f->write(dir, bad[i], "x", 1, 0600), ==, -EINVAL);
	g_assert_cmpint(f->write(dir, NULL, "x", 1, 0600), ==, -EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	g_assert_cmpint(f->write(dir, long_name, "x", 1, 0600), ==, -ENAMETOOLONG);
	listing = dir_listing(dir);
	g_assert_cmpstr(listing, ==, "");
	test_rm_rf(dir);
}

static void test_bad_dirs(void)
{
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *file = g_build_filename(dir, "file", NULL);
	g_autofree char *missing = g_build_filename(dir, "missing", NULL);

	g_assert_true(g_file_set_contents(file, "x", -1, NULL));
	g_assert_cmpint(safefile_write_new(file, "key", "x", 1, 0600), ==, -ENOTDIR);
	g_assert_cmpint(safefile_write_new(missing, "key", "x", 1, 0600), ==, -ENOENT);
	test_rm_rf(dir);
}

static void test_unwritable(gconstpointer data)
{
	bool fallback = GPOINTER_TO_INT(data);
	g_autofree char *dir = NULL;
	g_autofree char *listing = NULL;

	if (geteuid() == 0) {
		g_test_skip("running as root: permission bits do not stop root");
		return;
	}
	dir = make_tmp_dir();
	safefile_test_force_fallback(fallback);
	g_assert_cmpint(g_chmod(dir, 0500), ==, 0);
	g_assert_cmpint(safefile_write_new(dir, "key", "x", 1, 0600), ==, -EACCES);
	g_assert_cmpint(g_chmod(dir, 0700), ==, 0);
	listing = dir_listing(dir);
	g_assert_cmpstr(listing, ==, "");
	safefile_test_force_fallback(false);
	test_rm_rf(dir);
}

static void test_destroy(void)
{
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *path = g_build_filename(dir, "key.p12", NULL);
	g_autofree char *listing = NULL;
	char buf[64];
	int fd;

	g_assert_cmpint(safefile_write_new(dir, "key.p12", "0123456789abcdef", 16, 0600), ==, 0);
	/* An open descriptor still sees the inode after the unlink: it shows
	 * what was left in the file's blocks. */
	fd = open(path, O_RDONLY);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(safefile_destroy(path), ==, 0);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_cmpint(pread(fd, buf, sizeof(buf), 0), ==, 16);
	for (int i = 0; i < 16; i++)
		g_assert_cmpint(buf[i], ==, 0);
	close(fd);
	g_assert_cmpint(safefile_destroy(path), ==, -ENOENT);
	g_assert_cmpint(safefile_destroy(dir), ==, -EISDIR);
	listing = dir_listing(dir);
	g_assert_cmpstr(listing, ==, "");
	test_rm_rf(dir);
}

/* A crash in the fallback between link and unlink leaves the temporary as
 * a second name of the key file: destroying it must not zero the key. */
static void test_destroy_hard_link(void)
{
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *path = g_build_filename(dir, "key.p12", NULL);
	g_autofree char *other = g_build_filename(dir, ".key.p12.AbCdEf", NULL);

	g_assert_cmpint(safefile_write_new(dir, "key.p12", "the key", 7, 0600), ==, 0);
	g_assert_cmpint(link(path, other), ==, 0);
	g_assert_cmpint(safefile_destroy(other), ==, 0);
	g_assert_false(g_file_test(other, G_FILE_TEST_EXISTS));
	assert_file(path, "the key", 0600);
	test_rm_rf(dir);
}

static void assert_dir_mode(const char *path, mode_t mode)
{
	struct stat st;

	g_assert_cmpint(lstat(path, &st), ==, 0);
	g_assert_true(S_ISDIR(st.st_mode));
	g_assert_cmpint(st.st_mode & 07777, ==, mode);
}

static void test_mkdir_private(void)
{
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *deep = g_build_filename(dir, "state", "qoltanba", "pending", NULL);
	g_autofree char *parent = g_path_get_dirname(deep);
	g_autofree char *wide = g_build_filename(dir, "wide", NULL);
	g_autofree char *file = g_build_filename(dir, "file", NULL);
	g_autofree char *under_file = g_build_filename(file, "sub", NULL);
	mode_t old = umask(0277); /* would leave a new directory at 0500 */

	g_assert_cmpint(safefile_mkdir_private(deep), ==, 0);
	umask(old);
	assert_dir_mode(deep, 0700);
	assert_dir_mode(parent, 0700);
	/* Existing and right: nothing changes, no error. */
	g_assert_cmpint(safefile_mkdir_private(deep), ==, 0);
	assert_dir_mode(deep, 0700);

	g_assert_cmpint(g_mkdir(wide, 0755), ==, 0);
	g_assert_cmpint(g_chmod(wide, 0755), ==, 0);
	g_assert_cmpint(safefile_mkdir_private(wide), ==, 0);
	assert_dir_mode(wide, 0700);

	g_assert_true(g_file_set_contents(file, "x", -1, NULL));
	g_assert_cmpint(safefile_mkdir_private(file), ==, -ENOTDIR);
	g_assert_cmpint(safefile_mkdir_private(under_file), ==, -ENOTDIR);
	test_rm_rf(dir);
}

static void test_mkdir_foreign(void)
{
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *theirs = g_build_filename(dir, "theirs", NULL);

	if (geteuid() == 0) {
		/* root can hand a directory to another user. */
		g_assert_cmpint(g_mkdir(theirs, 0755), ==, 0);
		g_assert_cmpint(chown(theirs, 65534, 65534), ==, 0);
		g_assert_cmpint(safefile_mkdir_private(theirs), ==, -EPERM);
		assert_dir_mode(theirs, 0755);
	} else {
		/* "/" belongs to root. */
		g_assert_cmpint(safefile_mkdir_private("/"), ==, -EPERM);
	}
	test_rm_rf(dir);
}

/* --- replace ----------------------------------------------------------- */

/* safefile_replace() has one way of writing: fallback is unused. */
static const struct write_case replace_cases[] = {
	{ "umask077-0600", false, 077, 0600 },
	{ "umask000-0600", false, 000, 0600 },
	{ "umask077-0640", false, 077, 0640 },
};

static void test_replace(gconstpointer data)
{
	const struct write_case *c = data;
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *path = g_build_filename(dir, "state.json", NULL);
	g_autofree char *listing = NULL;
	mode_t old = umask(c->umask);
	int r;

	/* A new name, then over a file whose mode differs from the asked. */
	r = safefile_replace(dir, "state.json", "first", 5, c->mode);
	g_assert_cmpint(r, ==, 0);
	assert_file(path, "first", c->mode);
	g_assert_cmpint(g_chmod(path, 0604), ==, 0);
	r = safefile_replace(dir, "state.json", "second, longer", 14, c->mode);
	g_assert_cmpint(r, ==, 0);
	/* Shorter than what it replaces: nothing of the old is left. */
	r = safefile_replace(dir, "state.json", "3rd", 3, c->mode);
	umask(old);
	g_assert_cmpint(r, ==, 0);
	assert_file(path, "3rd", c->mode);
	g_assert_cmpint(safefile_replace(dir, "state.json", NULL, 0, 0600), ==, 0);
	assert_file(path, "", 0600);
	listing = dir_listing(dir);
	g_assert_cmpstr(listing, ==, "state.json");
	test_rm_rf(dir);
}

/* A symlink at the name is replaced; what it points to is not written. */
static void test_replace_symlink(void)
{
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *path = g_build_filename(dir, "state", NULL);
	g_autofree char *target = g_build_filename(dir, "target", NULL);
	g_autofree char *kept = NULL;
	g_autofree char *listing = NULL;

	g_assert_true(g_file_set_contents(target, "untouched", -1, NULL));
	g_assert_cmpint(symlink(target, path), ==, 0);
	g_assert_cmpint(safefile_replace(dir, "state", "new", 3, 0600), ==, 0);
	assert_file(path, "new", 0600);
	g_assert_true(g_file_get_contents(target, &kept, NULL, NULL));
	g_assert_cmpstr(kept, ==, "untouched");
	listing = dir_listing(dir);
	g_assert_cmpstr(listing, ==, "state target");
	test_rm_rf(dir);
}

static void test_replace_fails(void)
{
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *missing = g_build_filename(dir, "missing", NULL);
	g_autofree char *sub = g_build_filename(dir, "sub", NULL);
	g_autofree char *listing = NULL;

	g_assert_cmpint(safefile_replace(missing, "state", "x", 1, 0600), ==, -ENOENT);
	g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));

	/* The rename fails after the temporary is written: it goes too. */
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	g_assert_cmpint(safefile_replace(dir, "sub", "x", 1, 0600), ==, -EISDIR);
	g_assert_true(g_file_test(sub, G_FILE_TEST_IS_DIR));
	listing = dir_listing(dir);
	g_assert_cmpstr(listing, ==, "sub");
	test_rm_rf(dir);
}

static void test_replace_unwritable(void)
{
	g_autofree char *dir = NULL;
	g_autofree char *path = NULL;
	g_autofree char *listing = NULL;

	if (geteuid() == 0) {
		g_test_skip("running as root: permission bits do not stop root");
		return;
	}
	dir = make_tmp_dir();
	path = g_build_filename(dir, "state", NULL);
	g_assert_cmpint(safefile_replace(dir, "state", "old", 3, 0600), ==, 0);
	g_assert_cmpint(g_chmod(dir, 0500), ==, 0);
	g_assert_cmpint(safefile_replace(dir, "state", "new", 3, 0600), ==, -EACCES);
	g_assert_cmpint(g_chmod(dir, 0700), ==, 0);
	assert_file(path, "old", 0600);
	listing = dir_listing(dir);
	g_assert_cmpstr(listing, ==, "state");
	test_rm_rf(dir);
}

/* --- read --------------------------------------------------------------- */

struct read_case {
	const char *name;
	const char *content; /* NULL: no file */
	size_t max;
	int ret;
};

static const struct read_case read_cases[] = {
	{ "small", "hello", 100, 0 },
	{ "at-cap", "hello", 5, 0 },
	{ "over-cap", "hello!", 5, -EFBIG },
	{ "cap-zero", "x", 0, -EFBIG },
	{ "empty", "", 0, 0 },
	{ "missing", NULL, 100, -ENOENT },
};

static void test_read(gconstpointer data)
{
	const struct read_case *c = data;
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *path = g_build_filename(dir, "file", NULL);
	char *got = (char *)"unset";
	size_t len = 12345;

	if (c->content)
		g_assert_true(g_file_set_contents(path, c->content, -1, NULL));
	g_assert_cmpint(safefile_read(path, c->max, &got, &len), ==, c->ret);
	if (c->ret == 0) {
		g_assert_cmpmem(got, len, c->content, strlen(c->content));
		g_assert_cmpint(got[len], ==, '\0');
		free(got);
	} else {
		/* Nothing is written on failure. */
		g_assert_cmpstr(got, ==, "unset");
		g_assert_cmpuint(len, ==, 12345);
	}
	test_rm_rf(dir);
}

/* A file larger than the buffer the size promised: one that grew, or one
 * whose size is not known in advance, as in /proc. */
static void test_read_unknown_size(void)
{
	char *got = NULL;
	size_t len = 0;

	g_assert_cmpint(safefile_read("/proc/self/status", 1024 * 1024, &got, &len), ==, 0);
	g_assert_cmpuint(len, >, 0);
	g_assert_true(g_str_has_prefix(got, "Name:"));
	g_assert_cmpint(got[len], ==, '\0');
	free(got);
	g_assert_cmpint(safefile_read("/proc/self/status", 10, &got, &len), ==, -EFBIG);
}

static void test_read_refused(void)
{
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *file = g_build_filename(dir, "file", NULL);
	g_autofree char *link = g_build_filename(dir, "link", NULL);
	g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
	char *got = NULL;
	size_t len = 0;

	g_assert_true(g_file_set_contents(file, "data", -1, NULL));
	g_assert_cmpint(symlink(file, link), ==, 0);
	g_assert_cmpint(safefile_read(link, 100, &got, &len), ==, -ELOOP);
	g_assert_cmpint(safefile_read(dir, 100, &got, &len), ==, -EINVAL);
	/* No writer: without O_NONBLOCK this would hang in open(). */
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_assert_cmpint(safefile_read(fifo, 100, &got, &len), ==, -EINVAL);
	g_assert_cmpint(safefile_read("/dev/null", 100, &got, &len), ==, -EINVAL);
	g_assert_null(got);
	/* ret_len may be NULL. */
	g_assert_cmpint(safefile_read(file, 100, &got, NULL), ==, 0);
	g_assert_cmpstr(got, ==, "data");
	free(got);
	test_rm_rf(dir);
}

/* --- killed mid-write --------------------------------------------------- */

static int child_write(const char *dir, const char *name, bool fallback)
{
	g_autofree char *data = g_malloc(CHILD_DATA_LEN);

	memset(data, 'k', CHILD_DATA_LEN);
	safefile_test_force_fallback(fallback);
	return safefile_write_new(dir, name, data, CHILD_DATA_LEN, 0600) == 0 ? 0 : 1;
}

static GPid spawn_writer(const char *dir, bool fallback, const char *delay_ms)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	const char *argv[] = { self, "--child-write", dir, "key", fallback ? "fallback" : NULL,
			       NULL };
	g_auto(GStrv) env = g_get_environ();
	g_autoptr(GError) error = NULL;
	GPid pid;

	env = g_environ_setenv(env, "QOLTANBA_TEST_WRITE_DELAY_MS", delay_ms, TRUE);
	g_assert_true(g_spawn_async(NULL, (char **)argv, env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				    &pid, &error));
	g_assert_no_error(error);
	return pid;
}

/* True once the child holds a file in dir with all the data written: an
 * unnamed O_TMPFILE shows in /proc/<pid>/fd as "<dir>/#<inode> (deleted)",
 * the fallback's temporary under its name. */
static bool child_has_written(GPid pid, const char *dir)
{
	g_autofree char *fds = g_strdup_printf("/proc/%d/fd", (int)pid);
	g_autofree char *prefix = g_strconcat(dir, "/", NULL);
	GDir *d = g_dir_open(fds, 0, NULL);
	const char *fd;
	bool found = false;

	if (!d)
		return false;
	while (!found && (fd = g_dir_read_name(d))) {
		g_autofree char *link = g_build_filename(fds, fd, NULL);
		g_autofree char *target = g_file_read_link(link, NULL);
		struct stat st;

		found = target && g_str_has_prefix(target, prefix) && stat(link, &st) == 0 &&
			st.st_size == CHILD_DATA_LEN;
	}
	g_dir_close(d);
	return found;
}

static int reap(GPid pid)
{
	int status;

	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	return status;
}

static void test_killed(gconstpointer data)
{
	bool fallback = GPOINTER_TO_INT(data);
	g_autofree char *dir = make_tmp_dir();
	g_autofree char *path = g_build_filename(dir, "key", NULL);
	g_autofree char *listing = NULL;
	GPid pid;
	int status;

	/* Without a kill the child writes the file: the harness works. */
	pid = spawn_writer(dir, fallback, "0");
	status = reap(pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	g_unlink(path);

	pid = spawn_writer(dir, fallback, "60000");
	for (int i = 0; i < 1000 && !child_has_written(pid, dir); i++)
		g_usleep(10000);
	g_assert_true(child_has_written(pid, dir));
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	kill(pid, SIGKILL);
	status = reap(pid);
	g_assert_true(WIFSIGNALED(status));
	g_spawn_close_pid(pid);

	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	listing = dir_listing(dir);
	if (fallback)
		/* Documented: the hidden temporary stays. */
		g_assert_true(g_str_has_prefix(listing, ".key.") && strlen(listing) == 11);
	else
		g_assert_cmpstr(listing, ==, "");
	test_rm_rf(dir);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "--child-write") == 0)
		return child_write(argv[2], argv[3], argc > 4);

	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(write_cases); i++) {
		g_autofree char *p = g_strconcat("/safefile/write/", write_cases[i].name, NULL);

		g_test_add_data_func(p, &write_cases[i], test_write);
	}
	g_test_add_data_func("/safefile/exists/tmpfile", GINT_TO_POINTER(0), test_exists);
	g_test_add_data_func("/safefile/exists/fallback", GINT_TO_POINTER(1), test_exists);
	for (size_t i = 0; i < G_N_ELEMENTS(write_fns); i++) {
		g_autofree char *p = g_strconcat("/safefile/bad-names/", write_fns[i].name, NULL);

		g_test_add_data_func(p, &write_fns[i], test_bad_names);
	}
	g_test_add_func("/safefile/bad-dirs", test_bad_dirs);
	g_test_add_data_func("/safefile/unwritable/tmpfile", GINT_TO_POINTER(0), test_unwritable);
	g_test_add_data_func("/safefile/unwritable/fallback", GINT_TO_POINTER(1), test_unwritable);
	g_test_add_func("/safefile/destroy", test_destroy);
	g_test_add_func("/safefile/destroy-hard-link", test_destroy_hard_link);
	g_test_add_func("/safefile/mkdir-private", test_mkdir_private);
	g_test_add_func("/safefile/mkdir-foreign", test_mkdir_foreign);
	for (size_t i = 0; i < G_N_ELEMENTS(replace_cases); i++) {
		g_autofree char *p = g_strconcat("/safefile/replace/", replace_cases[i].name, NULL);

		g_test_add_data_func(p, &replace_cases[i], test_replace);
	}
	g_test_add_func("/safefile/replace-symlink", test_replace_symlink);
	g_test_add_func("/safefile/replace-fails", test_replace_fails);
	g_test_add_func("/safefile/replace-unwritable", test_replace_unwritable);
	for (size_t i = 0; i < G_N_ELEMENTS(read_cases); i++) {
		g_autofree char *p = g_strconcat("/safefile/read/", read_cases[i].name, NULL);

		g_test_add_data_func(p, &read_cases[i], test_read);
	}
	g_test_add_func("/safefile/read-unknown-size", test_read_unknown_size);
	g_test_add_func("/safefile/read-refused", test_read_refused);
	g_test_add_data_func("/safefile/killed/tmpfile", GINT_TO_POINTER(0), test_killed);
	g_test_add_data_func("/safefile/killed/fallback", GINT_TO_POINTER(1), test_killed);
	return g_test_run();
}
