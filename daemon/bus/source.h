/* An sd-bus connection on a GLib main loop.
 *
 * The source polls sd_bus_get_fd() for sd_bus_get_events() (asked again
 * before every poll: POLLOUT only while messages wait to be written) and
 * wakes at sd_bus_get_timeout(), which is an absolute CLOCK_MONOTONIC time
 * in microseconds, the clock g_get_monotonic_time() reads. Each dispatch
 * runs sd_bus_process() once; when it has more to do, sd-bus says so
 * through a timeout of 0, so other sources get their turn in between. */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

/* The connection failed (sd_bus_process() returned error, a negative
 * errno; -ECONNRESET or -ENOTCONN when the bus went away). The source
 * is destroyed after this returns; the bus is the caller's to close. */
typedef void (*bus_source_lost_fn)(int error, void *data);

/* A source for bus (a reference is taken), attached to context (NULL:
 * the global default). Returns NULL and a negative errno in *ret_error
 * when the bus has no single file descriptor to poll. Destroy it with
 * g_source_destroy() and g_source_unref(). */
GSource *bus_source_new(sd_bus *bus, GMainContext *context, bus_source_lost_fn lost, void *data,
			int *ret_error);
