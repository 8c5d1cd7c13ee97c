/* PC/SC card presence: which token storages are plugged in, as pcscd sees
 * them.
 *
 * The watcher runs on a thread of its own with a libpcsclite context: it
 * waits in SCardGetStatusChange() on every reader and on the
 * "\\?PnP?\Notification" pseudo-reader (readers plugged in and out), and
 * looks each card present up in a token map (tokenmap.h) by its ATR and
 * its reader's name. When pcscd is not there (SCARD_E_NO_SERVICE: not
 * installed, not started yet) no token is present; the watcher tries again
 * every PCSC_RETRY_S seconds, without spinning, and reports the outage once.
 *
 * What it sees reaches the main loop as a report (an idle source on the
 * GMainContext that was the thread default when pcsc_watcher_new() ran);
 * the getters below read the last report there and never block. Which
 * socket libpcsclite uses is its business (PCSCLITE_CSOCK_NAME in the
 * environment, else /run/pcscd/pcscd.comm).
 *
 * Library-like: it does not log; the change callback decides what to say.
 * Threads: everything here is for the main loop's thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "daemon/keystore/tokenmap.h"

/* How long to wait before asking for pcscd again when it is not there.
 * pcscd is often socket-activated, or installed after the daemon started. */
#define PCSC_RETRY_S 5

enum pcsc_service {
	PCSC_SERVICE_STARTING, /* no answer from pcscd yet */
	PCSC_SERVICE_UP,       /* connected to pcscd */
	PCSC_SERVICE_DOWN,     /* pcscd is not there (pcsc_watcher_error() says why) */
};

/* A card present in a reader. */
struct pcsc_card {
	char *reader;     /* the PC/SC reader name */
	char *atr;        /* "3B:D5:18:…", "" for a card that gave none (mute) */
	const char *type; /* its storage type (tokenmap_lookup()), NULL: not a token */
};

struct pcsc_watcher;

/* Runs on the main loop after each report that changed something: the
 * service, the cards, or both. */
typedef void (*pcsc_change_fn)(struct pcsc_watcher *w, void *data);

/* Start watching. map is copied. Never NULL; a thread that cannot start
 * aborts, as GLib does. */
struct pcsc_watcher *pcsc_watcher_new(const struct tokenmap *map, pcsc_change_fn changed,
				      void *data);

/* Stop the thread (SCardCancel() on its wait, until it notices) and join
 * it; reports not delivered yet are dropped and changed is not called any
 * more. Accepts NULL, returns NULL. */
struct pcsc_watcher *pcsc_watcher_free(struct pcsc_watcher *w);

enum pcsc_service pcsc_watcher_service(const struct pcsc_watcher *w);

/* Why the service is down: libpcsclite's text for the error ("Service not
 * available."), or "" when it is not down. Borrowed until the next change. */
const char *pcsc_watcher_error(const struct pcsc_watcher *w);

/* The cards present (*ret_n of them). Borrowed until the next change. */
const struct pcsc_card *pcsc_watcher_cards(const struct pcsc_watcher *w, size_t *ret_n);

/* The storage types of the cards present, in the order of
 * tokenmap_storage_types[], each once: NULL-terminated, borrowed until
 * the next change. */
const char *const *pcsc_watcher_present(const struct pcsc_watcher *w);
