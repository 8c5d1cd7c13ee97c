/* Scope-bound cleanup for C: `_cleanup_(fn)` runs fn(&var) when var goes out
 * of scope; TAKE_PTR() hands ownership on and leaves NULL behind.
 *
 * The helpers here cover the types the whole tree uses (libc, GLib, json-c,
 * OpenSSL). Library-specific ones live with the code that needs them. */
#pragma once

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Move a pointer out of a cleanup-managed variable. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _took = (p);                                                         \
		(p) = NULL;                                                                        \
		_took;                                                                             \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _took_fd = (fd);                                                               \
		(fd) = -1;                                                                         \
		_took_fd;                                                                          \
	})

/* DEFINE_POINTER_CLEANUP(json_object_put, struct json_object) defines
 * json_object_putp(struct json_object **) for use with _cleanup_(). */
#define DEFINE_POINTER_CLEANUP(fn, type)                                                           \
	static inline void fn##p(type **p)                                                         \
	{                                                                                          \
		if (*p)                                                                            \
			fn(*p);                                                                    \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

/* Secrets: wipe before freeing. */
static inline void erase_and_freep(void *p)
{
	char *s = *(char **)p;

	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}
#define _cleanup_erase_ _cleanup_(erase_and_freep)
