/* Small helpers the unit tests share. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

/* Remove a temporary test folder and everything below it. */
static inline void test_rm_rf(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (!dir) {
		g_unlink(path);
		return;
	}
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		test_rm_rf(child);
	}
	g_dir_close(dir);
	g_rmdir(path);
}
