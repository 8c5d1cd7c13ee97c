#include "daemon/bus/source.h"

#include <errno.h>
#include <poll.h>

struct bus_source {
	GSource source;
	sd_bus *bus;
	gpointer fd_tag;
	gint64 deadline; /* sd_bus_get_timeout() at the last prepare; -1: none */
	bus_source_lost_fn lost;
	void *data;
};

static GIOCondition condition_of(int events)
{
	GIOCondition c = 0;

	if (events & POLLIN)
		c |= G_IO_IN;
	if (events & POLLOUT)
		c |= G_IO_OUT;
	if (events & POLLPRI)
		c |= G_IO_PRI;
	return c;
}

static gboolean source_prepare(GSource *source, gint *ret_timeout)
{
	struct bus_source *s = (struct bus_source *)source;
	int events = sd_bus_get_events(s->bus);
	uint64_t usec;
	gint64 now;

	s->deadline = -1;
	*ret_timeout = -1;
	if (events < 0) {
		/* Closed: let dispatch hear it from sd_bus_process(). */
		*ret_timeout = 0;
		return TRUE;
	}
	g_source_modify_unix_fd(source, s->fd_tag, condition_of(events));
	if (sd_bus_get_timeout(s->bus, &usec) <= 0 || usec == UINT64_MAX)
		return FALSE;
	s->deadline = usec > (uint64_t)G_MAXINT64 ? G_MAXINT64 : (gint64)usec;
	now = g_get_monotonic_time();
	if (s->deadline <= now) {
		*ret_timeout = 0;
		return TRUE;
	}
	*ret_timeout = (gint)MIN((s->deadline - now + 999) / 1000, G_MAXINT);
	return FALSE;
}

static gboolean source_check(GSource *source)
{
	struct bus_source *s = (struct bus_source *)source;

	if (g_source_query_unix_fd(source, s->fd_tag) != 0)
		return TRUE;
	return s->deadline >= 0 && g_get_monotonic_time() >= s->deadline;
}

static gboolean source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	struct bus_source *s = (struct bus_source *)source;
	int r = sd_bus_process(s->bus, NULL);

	if (r >= 0)
		return G_SOURCE_CONTINUE;
	if (s->lost)
		s->lost(r, s->data);
	return G_SOURCE_REMOVE;
}

static void source_finalize(GSource *source)
{
	struct bus_source *s = (struct bus_source *)source;

	sd_bus_unref(s->bus);
}

static GSourceFuncs source_funcs = {
	.prepare = source_prepare,
	.check = source_check,
	.dispatch = source_dispatch,
	.finalize = source_finalize,
};

GSource *bus_source_new(sd_bus *bus, GMainContext *context, bus_source_lost_fn lost, void *data,
			int *ret_error)
{
	struct bus_source *s;
	int fd = sd_bus_get_fd(bus);

	if (fd < 0) {
		*ret_error = fd;
		return NULL;
	}
	s = (struct bus_source *)g_source_new(&source_funcs, sizeof(*s));
	s->bus = sd_bus_ref(bus);
	s->deadline = -1;
	s->lost = lost;
	s->data = data;
	s->fd_tag = g_source_add_unix_fd(&s->source, fd, G_IO_IN);
	g_source_set_name(&s->source, "sd-bus");
	g_source_attach(&s->source, context);
	return &s->source;
}
