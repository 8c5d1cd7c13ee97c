#include "util/safefile.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

static bool force_fallback;

void safefile_test_force_fallback(bool on)
{
	force_fallback = on;
}

static long write_delay_ms;
static pthread_once_t write_delay_once = PTHREAD_ONCE_INIT;

static void write_delay_read(void)
{
	const char *s = getenv("QOLTANBA_TEST_WRITE_DELAY_MS");

	if (s)
		write_delay_ms = strtol(s, NULL, 10);
}

static void write_delay(const char *name)
{
	struct timespec ts;

	pthread_once(&write_delay_once, write_delay_read);
	if (write_delay_ms <= 0)
		return;
	/* The test waits for this line: it kills the process now. */
	log_notice("test hook: %s is written; naming it in %ld ms", name, write_delay_ms);
	ts.tv_sec = write_delay_ms / 1000;
	ts.tv_nsec = (write_delay_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool name_valid(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Everything that must be on disk before the file may have its name. The
 * mode is set first, so that the bytes are never readable more widely
 * than asked, and set with fchmod() so that the umask does not narrow it
 * either. */
static int fill_and_sync(int fd, const void *data, size_t len, mode_t mode)
{
	int r;

	if (fchmod(fd, mode & 07777) < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (r < 0)
		return r;
	return fsync(fd) < 0 ? -errno : 0;
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* 0 done, -EOPNOTSUPP when this file system (or a missing /proc) needs the
 * named-temporary way, another negative errno for a real failure. */
static int write_tmpfile(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	char proc[64];
	int r;

	if (force_fallback || access("/proc/self/fd", X_OK) < 0)
		return -EOPNOTSUPP;
	fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode & 0777);
	if (fd < 0) {
		/* EISDIR: a kernel older than O_TMPFILE saw only O_DIRECTORY. */
		if (errno == EOPNOTSUPP || errno == EISDIR || errno == ENOENT || errno == EINVAL)
			return -EOPNOTSUPP;
		return -errno;
	}
	r = fill_and_sync(fd, data, len, mode);
	if (r < 0)
		return r;
	write_delay(name);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	return 0;
}

static void temp_name(char *buf, size_t size, const char *name)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[6];
	char suffix[7];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		/* Only uniqueness matters here; O_EXCL catches collisions. */
		unsigned long v = (unsigned long)getpid() ^ (unsigned long)time(NULL) ^
				  (unsigned long)(uintptr_t)buf;

		for (size_t i = 0; i < sizeof(rnd); i++, v >>= 5)
			rnd[i] = (unsigned char)(v + i * 7);
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
	suffix[6] = '\0';
	snprintf(buf, size, ".%s.%s", name, suffix);
}

static int open_temp(int dirfd, const char *name, mode_t mode, char *ret_tmp, size_t size)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd;

		temp_name(ret_tmp, size, name);
		fd = openat(dirfd, ret_tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    mode & 0777);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* link() refuses an existing name as linkat() does above: the final name
 * appears complete or not at all, and is never replaced. */
static int write_named_temp(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	char tmp[NAME_MAX + 16];
	int r;

	fd = open_temp(dirfd, name, mode, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	r = fill_and_sync(fd, data, len, mode);
	if (r == 0)
		write_delay(name);
	if (r == 0 && linkat(dirfd, tmp, dirfd, name, 0) < 0)
		r = -errno;
	unlinkat(dirfd, tmp, 0);
	return r;
}

/* The directory a write goes to, once the arguments are checked. */
static int open_dir_checked(const char *dir, const char *name, const void *data, size_t len)
{
	if (!dir || !name_valid(name) || (!data && len > 0))
		return -EINVAL;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	return open_dir(dir);
}

int safefile_write_new(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int dirfd = -1;
	int r;

	dirfd = open_dir_checked(dir, name, data, len);
	if (dirfd < 0)
		return dirfd;
	r = write_tmpfile(dirfd, name, data, len, mode);
	if (r == -EOPNOTSUPP)
		r = write_named_temp(dirfd, name, data, len, mode);
	if (r < 0)
		return r;
	/* The new name is only durable once the directory is. */
	if (fsync(dirfd) < 0)
		return -errno;
	return 0;
}

int safefile_replace(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int dirfd = -1, fd = -1;
	char tmp[NAME_MAX + 16];
	int r;

	dirfd = open_dir_checked(dir, name, data, len);
	if (dirfd < 0)
		return dirfd;
	fd = open_temp(dirfd, name, mode, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	r = fill_and_sync(fd, data, len, mode);
	/* rename() swaps the names atomically: a reader opens the old file
	 * or the new one, never an absent or a partial one. */
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	return fsync(dirfd) < 0 ? -errno : 0;
}

/* Up to max + 1 bytes of fd, to its end: the one byte beyond max tells a
 * file that is too large, also one that grew since fstat(). */
static int read_capped(int fd, size_t hint, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = (hint < max ? hint : max) + 1, got = 0;

	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (got == size) {
			char *bigger;

			if (size > max)
				return -EFBIG;
			size = size > max / 2 ? max + 1 : size * 2;
			bigger = realloc(buf, size + 1);
			if (!bigger)
				return -ENOMEM;
			buf = bigger;
		}
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = got;
	return 0;
}

int safefile_read(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (!path || !ret)
		return -EINVAL;
	/* Room for the byte beyond max and the NUL; no file is that large. */
	if (max > SIZE_MAX - 2)
		max = SIZE_MAX - 2;
	/* O_NONBLOCK: opening a FIFO would otherwise wait for a writer. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uintmax_t)st.st_size > max)
		return -EFBIG;
	r = read_capped(fd, (size_t)st.st_size, max, &buf, &len);
	if (r < 0)
		return r;
	*ret = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}

static int zero_fill(int fd, off_t size)
{
	static const char zeros[4096];

	while (size > 0) {
		size_t n = size < (off_t)sizeof(zeros) ? (size_t)size : sizeof(zeros);
		int r = write_all(fd, zeros, n);

		if (r < 0)
			return r;
		size -= (off_t)n;
	}
	return fsync(fd) < 0 ? -errno : 0;
}

int safefile_destroy(const char *path)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dirfd = -1, fd = -1;
	const char *base, *slash;
	struct stat st;
	int r;

	if (!path || !*path)
		return -EINVAL;
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!name_valid(base))
		return -EINVAL;
	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return -ENOMEM;
	dirfd = open_dir(dir);
	if (dirfd < 0)
		return dirfd;
	/* Through the directory, so that what we zero is what we unlink. */
	fd = openat(dirfd, base, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_nlink == 1) {
		r = zero_fill(fd, st.st_size);
		if (r < 0)
			return r;
	}
	if (unlinkat(dirfd, base, 0) < 0)
		return -errno;
	return fsync(dirfd) < 0 ? -errno : 0;
}

/* A umask can leave a new directory without owner write or search (0277
 * makes 0500): what we create gets exactly 0700, what exists is left. */
static int make_dir(const char *path)
{
	if (mkdir(path, 0700) < 0)
		return errno == EEXIST ? 0 : -errno;
	return chmod(path, 0700) < 0 ? -errno : 0;
}

static int mkdir_parents(const char *path)
{
	_cleanup_free_ char *p = strdup(path);
	int r;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		r = make_dir(p);
		if (r < 0)
			return r;
		*s = '/';
	}
	return 0;
}

int safefile_mkdir_private(const char *path)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (!path || !*path)
		return -EINVAL;
	r = mkdir_parents(path);
	if (r < 0)
		return r;
	r = make_dir(path);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid())
		return -EPERM;
	/* An older directory may be wider, or narrower, than 0700. */
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return -errno;
	return 0;
}
