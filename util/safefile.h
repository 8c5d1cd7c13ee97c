/* Files that hold keys or state: never half-written, never overwritten
 * unless asked (safefile_replace()), removed without leaving their bytes
 * behind where we can help it, read back with a cap.
 *
 * All functions return 0 on success or a negative errno as the system
 * reported it (-EACCES, -EROFS, -ENOSPC, …) or as documented below. They
 * do not log. They block on fsync(): call them from a worker. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Create dir/name holding exactly data[0..len), with permissions exactly
 * mode (the umask does not apply), or fail and leave nothing behind.
 *
 * The data goes into an unnamed file (O_TMPFILE), is fsynced, and only then
 * gets its name by linkat(), which refuses an existing name atomically; the
 * directory is fsynced last. Where the file system has no O_TMPFILE (or
 * /proc is not mounted) a hidden temporary ".<name>.XXXXXX" in dir takes
 * its place and is hard-linked to name, then removed. A crash in that
 * fallback can leave the hidden temporary behind (complete or not), never a
 * partial dir/name.
 *
 * -EINVAL: name is empty, ".", "..", or contains '/'.
 * -ENAMETOOLONG: name is longer than NAME_MAX.
 * -EEXIST: dir/name exists (it is left untouched). */
int safefile_write_new(const char *dir, const char *name, const void *data, size_t len, mode_t mode);

/* Create or replace dir/name with exactly data[0..len), with permissions
 * exactly mode (the umask does not apply). A reader sees the old content
 * or the new, never a mixture, also after a crash.
 *
 * The data goes into a hidden temporary ".<name>.XXXXXX" in dir, is
 * fsynced, and is renamed over name; the directory is fsynced last. On
 * failure the temporary is removed and dir/name is left as it was; a
 * crash can leave the temporary behind. Whatever was at name (a file, a
 * symlink, which is not followed) is replaced; a directory there fails
 * with -EISDIR.
 *
 * -EINVAL: name is empty, ".", "..", or contains '/'.
 * -ENAMETOOLONG: name is longer than NAME_MAX. */
int safefile_replace(const char *dir, const char *name, const void *data, size_t len, mode_t mode);

/* Read the whole regular file at path, at most max bytes. *ret is a new
 * buffer (free(); GLib's g_free() will do) holding the content and a NUL
 * after it; *ret_len (if not NULL) is the length without the NUL. Both are
 * written only on success. A symlink as the last component is not
 * followed; a FIFO is refused without waiting for a writer.
 *
 * -ELOOP: path is a symlink.
 * -EINVAL: path is not a regular file (a directory, a FIFO, …).
 * -EFBIG: the file holds more than max bytes. */
int safefile_read(const char *path, size_t max, char **ret, size_t *ret_len);

/* Overwrite the regular file at path with zeros (same length), fsync it,
 * unlink it, fsync its directory. Zeros reach the disk blocks the file
 * used on simple file systems; copy-on-write file systems and SSDs may
 * keep old copies, so this narrows, not closes, the window for recovery.
 * A file with other hard links is only unlinked: the zeros would reach the
 * other names too.
 * -ENOENT: no such file. -EISDIR / -EINVAL: not a regular file (left alone). */
int safefile_destroy(const char *path);

/* mkdir -p path, creating missing components with mode 0700. The final
 * directory must be owned by the calling (effective) user; its mode is set
 * to exactly 0700 (a wider one is narrowed, one the umask left without
 * owner access is completed).
 * -ENOTDIR: path (or a component) exists and is not a directory.
 * -EPERM: the directory belongs to another user. */
int safefile_mkdir_private(const char *path);

/* Test hooks, for the test suite only.
 *
 * QOLTANBA_TEST_WRITE_DELAY_MS (environment, read once per process): when
 * set to a positive integer, safefile_write_new() sleeps that many
 * milliseconds after the data is written and fsynced and before the file
 * gets its name, so that a test can kill the process mid-write.
 *
 * safefile_test_force_fallback(true) makes safefile_write_new() skip
 * O_TMPFILE and use the named temporary file, as on file systems without
 * O_TMPFILE. */
void safefile_test_force_fallback(bool on);
