#include "daemon/keystore/pcsc.h"

#include <glib.h>
#include <string.h>
#include <winscard.h>

/* The pseudo-reader whose state changes when readers come and go. */
#define PNP_READER "\\\\?PnP?\\Notification"
/* SCardGetStatusChange() takes at most this many states, ours included. */
#define MAX_STATES PCSCLITE_MAX_READERS_CONTEXTS
/* After a wait failed (pcscd stopped or restarted): this long before
 * connecting again, so that a pcscd that fails at once is not hammered. */
#define REWATCH_DELAY_MS 1000
/* SCardCancel() is lost when it comes before the wait has begun: the
 * stopper repeats it this often until the thread has ended. */
#define CANCEL_REPEAT_MS 20

/* What the thread saw. */
struct report {
	enum pcsc_service service;
	char *error; /* "" unless down */
	struct pcsc_card *cards;
	size_t n_cards;
};

struct pcsc_watcher {
	GMainContext *context;
	struct tokenmap *map;
	pcsc_change_fn changed;
	void *data;
	GThread *thread;

	GMutex lock;            /* guards the fields up to the next comment */
	GCond cond;             /* stop, done, and the stopper's pace */
	bool stop;              /* pcsc_watcher_free() wants the thread to end */
	bool done;              /* the thread has ended its last libpcsclite call */
	bool have_ctx;          /* ctx is established: SCardCancel() may use it */
	SCARDCONTEXT ctx;
	struct report *pending; /* the latest report, not delivered yet */
	GSource *source;        /* the idle source that will deliver it */

	struct report *last;    /* the thread's: the last report it sent */

	struct report *now;     /* the main loop's: the last delivered */
	const char **present;   /* NULL-terminated storage types of now */
};

static struct report *report_free(struct report *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_cards; i++) {
		g_free(r->cards[i].reader);
		g_free(r->cards[i].atr);
	}
	g_free(r->cards);
	g_free(r->error);
	g_free(r);
	return NULL;
}

static struct report *report_copy(const struct report *r)
{
	struct report *c = g_new0(struct report, 1);

	c->service = r->service;
	c->error = g_strdup(r->error);
	c->n_cards = r->n_cards;
	c->cards = g_new0(struct pcsc_card, r->n_cards);
	for (size_t i = 0; i < r->n_cards; i++) {
		c->cards[i].reader = g_strdup(r->cards[i].reader);
		c->cards[i].atr = g_strdup(r->cards[i].atr);
		c->cards[i].type = r->cards[i].type;
	}
	return c;
}

static bool report_equal(const struct report *a, const struct report *b)
{
	if (a->service != b->service || strcmp(a->error, b->error) != 0 || a->n_cards != b->n_cards)
		return false;
	for (size_t i = 0; i < a->n_cards; i++)
		if (strcmp(a->cards[i].reader, b->cards[i].reader) != 0 ||
		    strcmp(a->cards[i].atr, b->cards[i].atr) != 0 ||
		    a->cards[i].type != b->cards[i].type)
			return false;
	return true;
}

static struct report *report_down(LONG rv)
{
	struct report *r = g_new0(struct report, 1);

	r->service = PCSC_SERVICE_DOWN;
	r->error = g_strdup(pcsc_stringify_error(rv));
	return r;
}

/* The cards in states[0..n). */
static struct report *report_up(const struct pcsc_watcher *w, const SCARD_READERSTATE *states,
				size_t n)
{
	struct report *r = g_new0(struct report, 1);

	r->service = PCSC_SERVICE_UP;
	r->error = g_strdup("");
	r->cards = g_new0(struct pcsc_card, n);
	for (size_t i = 0; i < n; i++) {
		const SCARD_READERSTATE *s = &states[i];
		struct pcsc_card *c = &r->cards[r->n_cards];
		size_t atr_len = MIN(s->cbAtr, sizeof(s->rgbAtr));

		if (!(s->dwEventState & SCARD_STATE_PRESENT))
			continue;
		c->reader = g_strdup(s->szReader);
		c->atr = tokenmap_atr_format(s->rgbAtr, atr_len);
		c->type = tokenmap_lookup(w->map, s->szReader, s->rgbAtr, atr_len);
		r->n_cards++;
	}
	return r;
}

/* --- the main loop's side ------------------------------------------------- */

static void update_present(struct pcsc_watcher *w)
{
	GPtrArray *types = g_ptr_array_new();

	for (size_t t = 0; tokenmap_storage_types[t]; t++) {
		for (size_t i = 0; i < w->now->n_cards; i++) {
			if (w->now->cards[i].type == tokenmap_storage_types[t]) {
				g_ptr_array_add(types, (gpointer)tokenmap_storage_types[t]);
				break;
			}
		}
	}
	g_ptr_array_add(types, NULL);
	g_free(w->present);
	w->present = (const char **)g_ptr_array_free(types, FALSE);
}

static gboolean deliver(gpointer data)
{
	struct pcsc_watcher *w = data;
	struct report *r;

	g_mutex_lock(&w->lock);
	r = g_steal_pointer(&w->pending);
	w->source = NULL;
	g_mutex_unlock(&w->lock);
	if (r) {
		report_free(w->now);
		w->now = r;
		update_present(w);
		if (w->changed)
			w->changed(w, w->data);
	}
	return G_SOURCE_REMOVE;
}

/* --- the thread's side ------------------------------------------------------ */

/* Hand r (taken) to the main loop unless it says what the last one said.
 * A report still waiting there is replaced: only the latest counts. */
static void publish(struct pcsc_watcher *w, struct report *r)
{
	if (w->last && report_equal(w->last, r)) {
		report_free(r);
		return;
	}
	report_free(w->last);
	w->last = report_copy(r);

	g_mutex_lock(&w->lock);
	report_free(w->pending);
	w->pending = r;
	if (!w->source) {
		/* An idle source rather than g_main_context_invoke(): once
		 * the loop has stopped, invoke() would run deliver() here. */
		w->source = g_idle_source_new();
		g_source_set_priority(w->source, G_PRIORITY_DEFAULT);
		g_source_set_callback(w->source, deliver, w, NULL);
		g_source_attach(w->source, w->context);
		g_source_unref(w->source);
	}
	g_mutex_unlock(&w->lock);
}

/* Wait until stop or for delay_ms. Called and returns with w->lock held. */
static void pause_locked(struct pcsc_watcher *w, unsigned delay_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)delay_ms * 1000;

	while (!w->stop && g_cond_wait_until(&w->cond, &w->lock, end))
		;
}

static bool stopping(struct pcsc_watcher *w)
{
	bool stop;

	g_mutex_lock(&w->lock);
	stop = w->stop;
	g_mutex_unlock(&w->lock);
	return stop;
}

/* The reader names (NULL-terminated, g_strfreev), none when pcscd has no
 * reader. */
static LONG list_readers(SCARDCONTEXT ctx, char ***ret)
{
	GPtrArray *names = g_ptr_array_new();
	LPSTR list = NULL;
	DWORD len = SCARD_AUTOALLOCATE;
	LONG rv;

	rv = SCardListReaders(ctx, NULL, (LPSTR)&list, &len);
	if (rv == SCARD_S_SUCCESS) {
		for (const char *p = list; p < list + len && *p; p += strlen(p) + 1)
			g_ptr_array_add(names, g_strdup(p));
		SCardFreeMemory(ctx, list);
	} else if (rv == SCARD_E_NO_READERS_AVAILABLE)
		rv = SCARD_S_SUCCESS;
	g_ptr_array_add(names, NULL);
	*ret = (char **)g_ptr_array_free(names, FALSE);
	if (rv != SCARD_S_SUCCESS)
		*ret = (g_strfreev(*ret), NULL);
	return rv;
}

/* Follow the readers and cards of ctx until a call fails or the watcher
 * stops (SCARD_E_CANCELLED). *pnp_state carries the pseudo-reader's state
 * from one reader list to the next, so that pcscd can tell us about a
 * reader that came in between. */
static LONG watch(struct pcsc_watcher *w, SCARDCONTEXT ctx, DWORD *pnp_state)
{
	for (;;) {
		g_auto(GStrv) names = NULL;
		SCARD_READERSTATE states[MAX_STATES];
		size_t n;
		bool relist = false;
		LONG rv;

		rv = list_readers(ctx, &names);
		if (rv != SCARD_S_SUCCESS)
			return rv;
		n = MIN(g_strv_length(names), MAX_STATES - 1);
		memset(states, 0, sizeof(states));
		states[0].szReader = PNP_READER;
		states[0].dwCurrentState = *pnp_state;
		for (size_t i = 0; i < n; i++) {
			states[i + 1].szReader = names[i];
			states[i + 1].dwCurrentState = SCARD_STATE_UNAWARE;
		}
		/* With readers, the first wait returns at once with their
		 * states; without any, it waits for one to come. */
		if (n == 0)
			publish(w, report_up(w, states + 1, 0));

		while (!relist) {
			if (stopping(w))
				return SCARD_E_CANCELLED;
			rv = SCardGetStatusChange(ctx, INFINITE, states, (DWORD)n + 1);
			if (rv == SCARD_E_TIMEOUT)
				continue;
			if (rv == SCARD_E_UNKNOWN_READER)
				break; /* gone between the list and the wait */
			if (rv != SCARD_S_SUCCESS)
				return rv;
			publish(w, report_up(w, states + 1, n));
			for (size_t i = 0; i <= n; i++) {
				DWORD state = states[i].dwEventState;

				if ((state & SCARD_STATE_CHANGED) &&
				    (i == 0 || (state & SCARD_STATE_UNKNOWN)))
					relist = true;
				states[i].dwCurrentState = state & ~SCARD_STATE_CHANGED;
			}
			*pnp_state = states[0].dwCurrentState;
		}
	}
}

static gpointer watcher_thread(gpointer data)
{
	struct pcsc_watcher *w = data;
	unsigned delay_ms = 0;

	g_mutex_lock(&w->lock);
	for (;;) {
		SCARDCONTEXT ctx;
		DWORD pnp_state = 0;
		LONG rv;

		pause_locked(w, delay_ms);
		if (w->stop)
			break;
		g_mutex_unlock(&w->lock);

		rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
		if (rv != SCARD_S_SUCCESS) {
			/* pcscd is not there (yet): no tokens, and ask
			 * again later rather than spin. */
			publish(w, report_down(rv));
			g_mutex_lock(&w->lock);
			delay_ms = PCSC_RETRY_S * 1000;
			continue;
		}
		g_mutex_lock(&w->lock);
		w->ctx = ctx;
		w->have_ctx = true;
		g_mutex_unlock(&w->lock);

		rv = watch(w, ctx, &pnp_state);

		g_mutex_lock(&w->lock);
		w->have_ctx = false;
		g_mutex_unlock(&w->lock);
		SCardReleaseContext(ctx);
		if (rv != SCARD_E_CANCELLED)
			/* pcscd stopped or restarted: its cards are gone. */
			publish(w, report_down(rv));
		g_mutex_lock(&w->lock);
		delay_ms = REWATCH_DELAY_MS;
	}
	w->done = true;
	g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
	return NULL;
}

/* --- lifetime and reading ---------------------------------------------------- */

struct pcsc_watcher *pcsc_watcher_new(const struct tokenmap *map, pcsc_change_fn changed,
				      void *data)
{
	struct pcsc_watcher *w = g_new0(struct pcsc_watcher, 1);

	w->context = g_main_context_ref_thread_default();
	w->map = tokenmap_new();
	tokenmap_add_map(w->map, map);
	w->changed = changed;
	w->data = data;
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	w->now = g_new0(struct report, 1);
	w->now->error = g_strdup("");
	w->present = g_new0(const char *, 1);
	w->thread = g_thread_new("pcsc", watcher_thread, w);
	return w;
}

struct pcsc_watcher *pcsc_watcher_free(struct pcsc_watcher *w)
{
	if (!w)
		return NULL;
	g_mutex_lock(&w->lock);
	w->stop = true;
	g_cond_broadcast(&w->cond);
	while (!w->done) {
		if (w->have_ctx)
			SCardCancel(w->ctx);
		g_cond_wait_until(&w->cond, &w->lock,
				  g_get_monotonic_time() +
					  CANCEL_REPEAT_MS * G_TIME_SPAN_MILLISECOND);
	}
	/* The thread has ended; a report it left is dropped with its
	 * source (this is the main loop's thread: deliver() is not running). */
	if (w->source)
		g_source_destroy(w->source);
	w->pending = report_free(w->pending);
	g_mutex_unlock(&w->lock);
	g_thread_join(w->thread);

	report_free(w->last);
	report_free(w->now);
	g_free(w->present);
	tokenmap_free(w->map);
	g_main_context_unref(w->context);
	g_cond_clear(&w->cond);
	g_mutex_clear(&w->lock);
	g_free(w);
	return NULL;
}

enum pcsc_service pcsc_watcher_service(const struct pcsc_watcher *w)
{
	return w->now->service;
}

const char *pcsc_watcher_error(const struct pcsc_watcher *w)
{
	return w->now->error;
}

const struct pcsc_card *pcsc_watcher_cards(const struct pcsc_watcher *w, size_t *ret_n)
{
	*ret_n = w->now->n_cards;
	return w->now->cards;
}

const char *const *pcsc_watcher_present(const struct pcsc_watcher *w)
{
	return w->present;
}
