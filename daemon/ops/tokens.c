#include "daemon/ops/tokens.h"

#include <string.h>

#include "daemon/keystore/pcsc.h"
#include "daemon/keystore/tokenmap.h"
#include "daemon/ops/ops.h"
#include "util/log.h"

/* The map file installed with the daemon (daemon/keystore/pcsc.mk). */
#define TOKENS_MAP_FILE QOL_PKGDATADIR "/tokens.map"

struct ops_tokens {
	struct pcsc_watcher *pcsc; /* NULL: no map entries, nothing to watch */
	enum pcsc_service logged;  /* the service state last logged */
	GHashTable *cards;         /* "reader\nATR" → type or "": the cards last logged */
};

/* The one ops_active_tokens() asks (main loop only). */
static struct ops_tokens *current;

static void log_service(struct ops_tokens *t, struct pcsc_watcher *w)
{
	enum pcsc_service now = pcsc_watcher_service(w);

	if (now == t->logged)
		return;
	if (now == PCSC_SERVICE_DOWN)
		/* Once per outage: the retries stay quiet. */
		log_info("PC/SC: no pcscd (%s): no token is listed until it runs; asking again "
			 "every %d s",
			 pcsc_watcher_error(w), PCSC_RETRY_S);
	else if (now == PCSC_SERVICE_UP && t->logged == PCSC_SERVICE_DOWN)
		log_info("PC/SC: pcscd is there now; watching its readers");
	else if (now == PCSC_SERVICE_UP)
		log_debug("PC/SC: watching pcscd's readers");
	t->logged = now;
}

static char *card_key(const struct pcsc_card *c)
{
	return g_strdup_printf("%s\n%s", c->reader, c->atr);
}

/* A card in or out, once each. The ATR is logged so that a user whose
 * token is not recognised can add it to [token-atr]. */
static void log_cards(struct ops_tokens *t, struct pcsc_watcher *w)
{
	g_autoptr(GHashTable) now = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const struct pcsc_card *cards;
	GHashTableIter it;
	gpointer key, value;
	size_t n;

	cards = pcsc_watcher_cards(w, &n);
	for (size_t i = 0; i < n; i++) {
		char *k = card_key(&cards[i]);
		const char *type = cards[i].type ? cards[i].type : "";

		if (!g_hash_table_contains(t->cards, k))
			log_info("PC/SC: %s in \"%s\" (ATR %s)",
				 *type ? type : "a card that is not a known token", cards[i].reader,
				 *cards[i].atr ? cards[i].atr : "none");
		g_hash_table_insert(now, k, (gpointer)type);
	}
	g_hash_table_iter_init(&it, t->cards);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		if (!g_hash_table_contains(now, key)) {
			const char *k = key, *type = value;

			log_info("PC/SC: %s taken out of \"%.*s\"", *type ? type : "a card",
				 (int)strcspn(k, "\n"), k);
		}
	}
	g_hash_table_unref(t->cards);
	t->cards = g_steal_pointer(&now);
}

static void on_pcsc_changed(struct pcsc_watcher *w, void *data)
{
	struct ops_tokens *t = data;

	log_service(t, w);
	log_cards(t, w);
}

struct ops_tokens *ops_tokens_new(const struct config *cfg)
{
	struct ops_tokens *t = g_new0(struct ops_tokens, 1);
	const char *file = cfg->tokens_map ? cfg->tokens_map : TOKENS_MAP_FILE;
	g_autofree char *message = NULL;
	struct tokenmap *map = tokenmap_new();
	int r;

	g_assert(!current);
	t->cards = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	t->logged = PCSC_SERVICE_STARTING;
	r = tokenmap_load(map, file, &message);
	if (r != 0)
		log_warning("PC/SC: cannot use the token map (%s); only [token-atr] and "
			    "[token-reader] are matched",
			    message);
	tokenmap_add_map(map, cfg->tokens);
	if (tokenmap_size(map) > 0)
		t->pcsc = pcsc_watcher_new(map, on_pcsc_changed, t);
	else
		log_info("PC/SC: no token map entries: not watching readers");
	tokenmap_free(map);
	current = t;
	return t;
}

struct ops_tokens *ops_tokens_free(struct ops_tokens *t)
{
	if (!t)
		return NULL;
	if (current == t)
		current = NULL;
	pcsc_watcher_free(t->pcsc);
	g_hash_table_unref(t->cards);
	g_free(t);
	return NULL;
}

static gint by_rank(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = tokenmap_storage_rank(x), ry = tokenmap_storage_rank(y);

	return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x, y);
}

void ops_active_tokens(const struct ops_env *env, GPtrArray *out)
{
	g_autoptr(GPtrArray) found = g_ptr_array_new();
	const char *previous = NULL;

	if (current && current->pcsc)
		for (const char *const *p = pcsc_watcher_present(current->pcsc); *p; p++)
			g_ptr_array_add(found, (gpointer)*p);
	/* Other sources of present tokens add theirs to found here. */

	g_ptr_array_sort(found, by_rank);
	for (guint i = 0; i < found->len; i++) {
		const char *type = g_ptr_array_index(found, i);

		if (previous && strcmp(previous, type) == 0)
			continue;
		g_ptr_array_add(out, g_strdup(type));
		previous = type;
	}
}
