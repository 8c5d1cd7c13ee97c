#include "daemon/ops/tokens.h"

#include <string.h>

#include "daemon/keystore/pcsc.h"
#include "daemon/keystore/pkcs11.h"
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

/* The one that logs PC/SC's changes (main loop only). */
static struct ops_tokens *current;

/* The storage types of the cards PC/SC saw last, for any thread. */
static GMutex present_lock;
static char **present;

/* One loaded module per [tokens] module file, and p11-kit's registered
 * modules, for the daemon's life (see tokens.h). */
struct token_module {
	struct pkcs11_module *m; /* NULL: not loaded, or it failed */
	char *why;               /* the last failure, as logged */
};

static GMutex modules_lock;
static GHashTable *modules; /* path → struct token_module */
static struct pkcs11_module **registered;
static size_t n_registered;
static bool registered_loaded;

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

static void present_set(const char *const *types)
{
	g_mutex_lock(&present_lock);
	g_strfreev(present);
	present = types ? g_strdupv((char **)types) : NULL;
	g_mutex_unlock(&present_lock);
}

static bool present_has(const char *type)
{
	bool found;

	g_mutex_lock(&present_lock);
	found = present && g_strv_contains((const char *const *)present, type);
	g_mutex_unlock(&present_lock);
	return found;
}

static void on_pcsc_changed(struct pcsc_watcher *w, void *data)
{
	struct ops_tokens *t = data;

	log_service(t, w);
	log_cards(t, w);
	present_set(pcsc_watcher_present(w));
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
	present_set(NULL);
	/* Sessions still open on a worker hold their module. */
	g_mutex_lock(&modules_lock);
	g_clear_pointer(&modules, g_hash_table_unref);
	pkcs11_modules_free(registered, n_registered);
	registered = NULL;
	n_registered = 0;
	registered_loaded = false;
	g_mutex_unlock(&modules_lock);
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

static void token_module_free(gpointer data)
{
	struct token_module *tm = data;

	pkcs11_module_free(tm->m);
	g_free(tm->why);
	g_free(tm);
}

/* The module loaded from path, loading it if it is not (modules_lock
 * held). NULL when it cannot be loaded: *ret_why is why (borrowed). */
static struct pkcs11_module *module_get(const char *path, const char **ret_why)
{
	struct token_module *tm;
	char *why = NULL;
	int r;

	if (!modules)
		modules = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, token_module_free);
	tm = g_hash_table_lookup(modules, path);
	if (!tm) {
		tm = g_new0(struct token_module, 1);
		g_hash_table_insert(modules, g_strdup(path), tm);
	}
	if (tm->m)
		return tm->m;
	r = pkcs11_module_load(path, &tm->m, &why);
	if (r == 0) {
		if (tm->why)
			log_info("PKCS#11: %s loads now", path);
		g_clear_pointer(&tm->why, g_free);
		return tm->m;
	}
	if (!why)
		why = g_strdup_printf("%s cannot be loaded: %s", path,
				      r < 0 ? g_strerror(-r) : "not a usable PKCS#11 module");
	/* Once per reason: every request tries it again. */
	if (!tm->why || strcmp(tm->why, why) != 0)
		log_warning("PKCS#11: %s; trying again at the next request", why);
	g_free(tm->why);
	tm->why = why;
	*ret_why = tm->why;
	return NULL;
}

/* p11-kit's registered modules, loaded once (modules_lock held). */
static void registered_get(void)
{
	int r;

	if (registered_loaded)
		return;
	r = pkcs11_modules_registered(&registered, &n_registered);
	if (r != 0) {
		log_warning("PKCS#11: cannot read p11-kit's module registry (%s)",
			    r < 0 ? g_strerror(-r) : "its configuration");
		return;
	}
	registered_loaded = true;
	for (size_t i = 0; i < n_registered; i++)
		log_debug("PKCS#11: registered module %s (%s)", pkcs11_module_name(registered[i]),
			  pkcs11_module_path(registered[i]));
}

/* The module's initialised tokens (a blank slot, such as SoftHSM2's
 * spare one, is no token to sign with). */
static int usable_tokens(struct pkcs11_module *m, struct pkcs11_token **ret, size_t *ret_n)
{
	struct pkcs11_token *list = NULL;
	size_t n = 0, k = 0;
	int r;

	r = pkcs11_module_tokens(m, &list, &n);
	if (r != 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (!(list[i].flags & PKCS11_TOKEN_UNINITIALIZED))
			list[k++] = list[i];
	*ret = list;
	*ret_n = k;
	return 0;
}

bool ops_token_has_source(const struct config *cfg, const char *type)
{
	return tokenmap_storage_type(type) && (config_token_module(cfg, type) || present_has(type));
}

/* A session on one token of m and its keys; need_keys: a token without
 * any is OPS_TOKEN_E_NONE. */
static int token_try(struct pkcs11_module *m, const struct pkcs11_token *tok, bool need_keys,
		     struct pkcs11_session **ret_session, struct pkcs11_keys **ret_keys)
{
	struct pkcs11_session *s = NULL;
	struct pkcs11_keys *keys = NULL;
	int r;

	r = pkcs11_session_open(m, tok->slot, false, &s);
	if (r != 0)
		return r;
	r = pkcs11_session_keys(s, &keys);
	if (r == 0 && need_keys && keys->n == 0)
		r = OPS_TOKEN_E_NONE;
	if (r != 0) {
		pkcs11_keys_free(keys);
		pkcs11_session_free(s);
		return r;
	}
	*ret_session = s;
	*ret_keys = keys;
	return 0;
}

static char *token_why(int r, const char *type)
{
	switch (r) {
	case PKCS11_E_BUSY:
		return g_strdup("the token is in use by another request");
	case PKCS11_E_REMOVED:
	case PKCS11_E_NO_TOKEN:
		return g_strdup("the token was removed");
	default:
		return g_strdup_printf("the %s token cannot be read (%s)", type,
				       r < 0 ? g_strerror(-r) : "the module refused");
	}
}

/* The configured module's token (modules_lock held). */
static int open_configured(const char *path, const char *type, struct pkcs11_session **ret_session,
			   struct pkcs11_keys **ret_keys, struct pkcs11_token *ret_token,
			   char **ret_why)
{
	g_autofree struct pkcs11_token *list = NULL;
	const char *why = NULL;
	struct pkcs11_module *m;
	size_t n = 0;
	int r, first = 0;

	m = module_get(path, &why);
	if (!m) {
		*ret_why = g_strdup(why);
		return PKCS11_E_MODULE;
	}
	r = usable_tokens(m, &list, &n);
	if (r != 0) {
		*ret_why = token_why(r, type);
		return r;
	}
	if (n == 0) {
		*ret_why = g_strdup("no token of this type is connected");
		return OPS_TOKEN_E_NONE;
	}
	/* The first token with keys; else the first one, keys or not. */
	for (size_t i = 0; i < n; i++) {
		r = token_try(m, &list[i], true, ret_session, ret_keys);
		if (r == 0) {
			*ret_token = list[i];
			return 0;
		}
		if (r != OPS_TOKEN_E_NONE && !first)
			first = r;
	}
	r = first ? first : token_try(m, &list[0], false, ret_session, ret_keys);
	if (r != 0) {
		*ret_why = token_why(r, type);
		return r;
	}
	*ret_token = list[0];
	return 0;
}

/* A registered module's token with keys (modules_lock held). */
static int open_registered(const char *type, struct pkcs11_session **ret_session,
			   struct pkcs11_keys **ret_keys, struct pkcs11_token *ret_token,
			   char **ret_why)
{
	int first = 0;

	registered_get();
	for (size_t k = 0; k < n_registered; k++) {
		g_autofree struct pkcs11_token *list = NULL;
		size_t n = 0;
		int r;

		if (usable_tokens(registered[k], &list, &n) != 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			r = token_try(registered[k], &list[i], true, ret_session, ret_keys);
			if (r == 0) {
				*ret_token = list[i];
				return 0;
			}
			if (r != OPS_TOKEN_E_NONE && !first)
				first = r;
		}
	}
	if (first) {
		*ret_why = token_why(first, type);
		return first;
	}
	*ret_why = g_strdup_printf("a %s card is connected, but none of the PKCS#11 modules "
				   "registered with p11-kit has a token with keys: configure its "
				   "module in [tokens]",
				   type);
	return OPS_TOKEN_E_NONE;
}

int ops_token_open(const struct config *cfg, const char *type, struct pkcs11_session **ret_session,
		   struct pkcs11_keys **ret_keys, struct pkcs11_token *ret_token, char **ret_why)
{
	g_autoptr(GMutexLocker) locker = NULL;
	const char *path = config_token_module(cfg, type);

	if (!path && !present_has(type)) {
		*ret_why = g_strdup("no token of this type is connected");
		return OPS_TOKEN_E_NONE;
	}
	/* Held while the module is loaded and the session opened; the
	 * session keeps its module when ops_tokens_free() drops ours. */
	locker = g_mutex_locker_new(&modules_lock);
	if (path)
		return open_configured(path, type, ret_session, ret_keys, ret_token, ret_why);
	return open_registered(type, ret_session, ret_keys, ret_token, ret_why);
}

/* A rw session on m's token with this serial (NULL: its first one
 * that is not write-protected);
 * OPS_TOKEN_E_NONE when m has no such token (modules_lock held). */
static int rw_try(struct pkcs11_module *m, const char *serial, struct pkcs11_session **ret_session,
		  struct pkcs11_token *ret_token)
{
	g_autofree struct pkcs11_token *list = NULL;
	size_t n = 0;
	int r;

	r = usable_tokens(m, &list, &n);
	if (r != 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (serial && strcmp(list[i].serial, serial) != 0)
			continue;
		/* No new key goes on a write-protected token (p11-kit's trust
		 * module shows one). */
		if (!serial && (list[i].flags & PKCS11_TOKEN_WRITE_PROTECTED))
			continue;
		r = pkcs11_session_open(m, list[i].slot, true, ret_session);
		if (r == 0)
			*ret_token = list[i];
		return r;
	}
	return OPS_TOKEN_E_NONE;
}

int ops_token_open_rw(const struct config *cfg, const char *type, const char *serial,
		      struct pkcs11_session **ret_session, struct pkcs11_token *ret_token,
		      char **ret_module, char **ret_why)
{
	g_autoptr(GMutexLocker) locker = NULL;
	const char *path = config_token_module(cfg, type), *why = NULL;
	struct pkcs11_module *m;
	int r = OPS_TOKEN_E_NONE;

	if (!path && !present_has(type)) {
		*ret_why = g_strdup("no token of this type is connected");
		return OPS_TOKEN_E_NONE;
	}
	locker = g_mutex_locker_new(&modules_lock);
	if (path) {
		m = module_get(path, &why);
		if (!m) {
			*ret_why = g_strdup(why);
			return PKCS11_E_MODULE;
		}
		r = rw_try(m, serial, ret_session, ret_token);
		if (r == 0)
			*ret_module = g_strdup(path);
	} else {
		/* A module that cannot list its slots is passed over. */
		registered_get();
		for (size_t k = 0; k < n_registered; k++) {
			int rk = rw_try(registered[k], serial, ret_session, ret_token);

			if (rk == 0)
				*ret_module = g_strdup(pkcs11_module_name(registered[k]));
			if (rk == 0 || rk == PKCS11_E_BUSY) {
				r = rk;
				break;
			}
		}
	}
	if (r == OPS_TOKEN_E_NONE)
		*ret_why = g_strdup(serial ? "the token holding this request's key is not connected"
					   : "no token of this type is connected");
	else if (r != 0)
		*ret_why = token_why(r, type);
	return r;
}

/* Does type's configured module have an initialised token now? */
static bool module_has_token(const char *path)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&modules_lock);
	g_autofree struct pkcs11_token *list = NULL;
	struct pkcs11_module *m;
	const char *why = NULL;
	size_t n = 0;

	m = module_get(path, &why);
	return m && usable_tokens(m, &list, &n) == 0 && n > 0;
}

void ops_active_tokens(const struct ops_env *env, GPtrArray *out)
{
	g_autoptr(GPtrArray) found = g_ptr_array_new();
	const char *previous = NULL;

	g_mutex_lock(&present_lock);
	for (char **p = present; p && *p; p++) {
		const char *type = tokenmap_storage_type(*p);

		if (type)
			g_ptr_array_add(found, (gpointer)type);
	}
	g_mutex_unlock(&present_lock);
	for (size_t i = 0; tokenmap_storage_types[i]; i++) {
		const char *type = tokenmap_storage_types[i];
		const char *path = config_token_module(env->cfg, type);

		if (path && module_has_token(path))
			g_ptr_array_add(found, (gpointer)type);
	}

	g_ptr_array_sort(found, by_rank);
	for (guint i = 0; i < found->len; i++) {
		const char *type = g_ptr_array_index(found, i);

		if (previous && strcmp(previous, type) == 0)
			continue;
		g_ptr_array_add(out, g_strdup(type));
		previous = type;
	}
}
