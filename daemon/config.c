#include "daemon/config.h"

#include <errno.h>
#include <glib.h>

#include "daemon/keystore/tokenmap.h"

static const char *const default_listen[] = { "127.0.0.1:13579", "[::1]:13579", NULL };

/* The portals of Kazakhstan's e-government and NCA RK, which every user
 * of NCALayer needs. Others are refused until the user adds them. */
static const char *const default_origins[] = {
	"https://egov.kz",    "https://*.egov.kz",    "https://pki.gov.kz",
	"https://*.pki.gov.kz", "https://did.gov.kz", "https://*.did.gov.kz",
	NULL,
};

void config_init(struct config *cfg)
{
	g_assert(!tokenmap_storage_types[CONFIG_TOKEN_TYPES] &&
		 tokenmap_storage_types[CONFIG_TOKEN_TYPES - 1]);
	*cfg = (struct config){
		.listen = g_strdupv((char **)default_listen),
		.max_message = CONFIG_DEFAULT_MAX_MESSAGE,
		.max_connections = CONFIG_DEFAULT_MAX_CONNECTIONS,
		.max_queue = CONFIG_DEFAULT_MAX_QUEUE,
		.idle_exit = CONFIG_IDLE_EXIT_AUTO,
		.origins_allow = g_strdupv((char **)default_origins),
		.allow_no_origin = true,
		.locale = g_strdup("kk"),
		.state_dir = g_build_filename(g_get_user_state_dir(), "qoltanba", NULL),
		.pinentry = g_strdup("pinentry"),
		.key_folder = g_build_filename(g_get_home_dir(), "Documents", NULL),
		.file_chooser = CONFIG_FILE_CHOOSER_AUTO,
		.ca_certs = g_new0(char *, 1),
		.crls = g_new0(char *, 1),
		.tsa_url = g_strdup(CONFIG_DEFAULT_TSA_URL),
		.tsa_timeout_s = CONFIG_DEFAULT_TSA_TIMEOUT,
		.pending_days = CONFIG_DEFAULT_PENDING_DAYS,
		.tokens = tokenmap_new(),
	};
}

void config_clear(struct config *cfg)
{
	g_strfreev(cfg->listen);
	g_strfreev(cfg->origins_allow);
	g_free(cfg->locale);
	g_free(cfg->state_dir);
	g_free(cfg->camera_device);
	g_free(cfg->config_file);
	g_free(cfg->pinentry);
	g_free(cfg->key_folder);
	g_strfreev(cfg->ca_certs);
	g_strfreev(cfg->crls);
	g_free(cfg->tsa_url);
	g_free(cfg->tsa_policy);
	tokenmap_free(cfg->tokens);
	g_free(cfg->tokens_map);
	for (size_t i = 0; i < CONFIG_TOKEN_TYPES; i++)
		g_free(cfg->token_modules[i]);
	*cfg = (struct config){ 0 };
}

void config_set_listen(struct config *cfg, char **listen)
{
	g_strfreev(cfg->listen);
	cfg->listen = g_strdupv(listen);
}

const char *config_token_module(const struct config *cfg, const char *type)
{
	int i = type ? tokenmap_storage_rank(type) : CONFIG_TOKEN_TYPES;

	return i >= 0 && i < CONFIG_TOKEN_TYPES ? cfg->token_modules[i] : NULL;
}

bool config_has_token_modules(const struct config *cfg)
{
	for (size_t i = 0; i < CONFIG_TOKEN_TYPES; i++)
		if (cfg->token_modules[i])
			return true;
	return false;
}

unsigned config_idle_exit(const struct config *cfg, bool socket_activated)
{
	if (cfg->idle_exit != CONFIG_IDLE_EXIT_AUTO)
		return (unsigned)cfg->idle_exit;
	return socket_activated ? CONFIG_DEFAULT_IDLE_EXIT_ACTIVATED : 0;
}

/* "80M", "65536", "1G": a byte count with an optional K/M/G suffix. */
static bool parse_size(const char *s, size_t *ret)
{
	char *end;
	guint64 v, mul = 1;

	errno = 0;
	v = g_ascii_strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (g_ascii_toupper(*end)) {
	case 'K':
		mul = 1024, end++;
		break;
	case 'M':
		mul = 1024 * 1024, end++;
		break;
	case 'G':
		mul = 1024 * 1024 * 1024, end++;
		break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || v > G_MAXSIZE / mul)
		return false;
	*ret = v * mul;
	return true;
}

static bool parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret)
{
	guint64 v;

	if (!g_ascii_string_to_unsigned(s, 10, min, max, &v, NULL))
		return false;
	*ret = (unsigned)v;
	return true;
}

/* A ';'-separated list; empty items are dropped. */
static char **split_list(const char *s)
{
	g_auto(GStrv) parts = g_strsplit(s, ";", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = parts; *p; p++) {
		char *item = g_strstrip(g_strdup(*p));

		if (*item)
			g_ptr_array_add(out, item);
		else
			g_free(item);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

struct config_key {
	const char *group, *key;
};

static const struct config_key known_keys[] = {
	{ "server", "listen" },       { "server", "max-message" },  { "server", "max-connections" },
	{ "server", "max-queue" },    { "origins", "allow" },       { "origins", "allow-no-origin" },
	{ "ui", "locale" },           { "testing", "response-delay-ms" },
	{ "ui", "pinentry" },         { "ui", "key-folder" },       { "ui", "file-chooser" },
	{ "keys", "ca-certs" },       { "keys", "crl" },            { "tsa", "url" },
	{ "tsa", "policy" },          { "tsa", "timeout" },         { "testing", "validity-time" },
	{ "enroll", "pending-days" }, { "server", "idle-exit" },
	{ "camera", "source" },       { "camera", "device" },
	{ "testing", "camera-fail-after-frames" },
	{ "testing", "tokens-map" },
};

/* "~/x" → $HOME/x; other paths as they are. */
static char *expand_home(const char *v)
{
	if (v[0] == '~' && (v[1] == '/' || v[1] == '\0'))
		return g_build_filename(g_get_home_dir(), v + 1, NULL);
	return g_strdup(v);
}

static char **expand_list(const char *v)
{
	g_auto(GStrv) l = split_list(v);
	char **out = g_new0(char *, g_strv_length(l) + 1);

	for (size_t i = 0; l[i]; i++)
		out[i] = expand_home(l[i]);
	return out;
}

static bool key_known(const char *group, const char *key)
{
	if (g_str_equal(group, "tokens") || g_str_equal(group, "token-atr") ||
	    g_str_equal(group, "token-reader"))
		return true; /* one key per storage type */
	for (size_t i = 0; i < G_N_ELEMENTS(known_keys); i++)
		if (g_str_equal(known_keys[i].group, group) && g_str_equal(known_keys[i].key, key))
			return true;
	return false;
}

static int value_error(char **ret_message, const char *file, const char *group, const char *key,
		       const char *value, const char *expected)
{
	*ret_message = g_strdup_printf("%s: [%s] %s=%s: %s", file, group, key, value, expected);
	return CONFIG_E_VALUE;
}

/* [token-atr] TYPE=ATR;ATR… or [token-reader] TYPE=NAME;NAME…: the
 * user's token map entries. */
static int parse_token_entries(struct config *cfg, char **ret_message, const char *file,
			       const char *group, const char *key, const char *value)
{
	g_auto(GStrv) items = split_list(value);
	bool atr = g_str_equal(group, "token-atr");

	for (char **i = items; *i; i++) {
		g_autofree char *types = NULL, *expected = NULL;
		int r;

		r = atr ? tokenmap_add_atr(cfg->tokens, key, *i, TOKENMAP_USER)
			: tokenmap_add_reader(cfg->tokens, key, *i, TOKENMAP_USER);
		switch (r) {
		case 0:
			continue;
		case TOKENMAP_E_TYPE:
			types = g_strjoinv(", ", (char **)tokenmap_storage_types);
			expected = g_strdup_printf("unknown storage type %s: expected one of %s", key,
						   types);
			break;
		case TOKENMAP_E_ATR:
			expected = g_strdup_printf("malformed ATR \"%s\": expected hex bytes such as "
						   "3B:D5:18, X for any digit, /MASK",
						   *i);
			break;
		default:
			expected = g_strdup_printf("\"%s\": expected 1 to %d characters of a reader "
						   "name",
						   *i, TOKENMAP_READER_MAX);
			break;
		}
		return value_error(ret_message, file, group, key, value, expected);
	}
	return 0;
}

/* [tokens] TYPE=MODULE: a PKCS#11 module file for one storage type. */
static int parse_token_module(struct config *cfg, char **ret_message, const char *file,
			      const char *key, const char *value)
{
	g_autofree char *types = NULL, *expected = NULL;
	const char *type = tokenmap_storage_type(key);
	int i;

	if (!type) {
		types = g_strjoinv(", ", (char **)tokenmap_storage_types);
		expected = g_strdup_printf("unknown storage type %s: expected one of %s", key, types);
		return value_error(ret_message, file, "tokens", key, value, expected);
	}
	if (!*value)
		return value_error(ret_message, file, "tokens", key, value,
				   "expected the path of a PKCS#11 module (.so)");
	i = tokenmap_storage_rank(type);
	g_free(cfg->token_modules[i]);
	cfg->token_modules[i] = expand_home(value);
	return 0;
}

int config_load(struct config *cfg, const char *path, char **ret_message)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *file = NULL;
	g_auto(GStrv) groups = NULL;

	if (path)
		file = g_strdup(path);
	else {
		file = g_build_filename(g_get_user_config_dir(), "qoltanba", "qoltanba.conf", NULL);
		if (!g_file_test(file, G_FILE_TEST_EXISTS))
			return 0;
	}
	if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &error)) {
		*ret_message = g_strdup_printf("%s: %s", file, error->message);
		return CONFIG_E_READ;
	}

	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);

		for (char **k = keys; k && *k; k++) {
			g_autofree char *v = g_key_file_get_string(kf, *g, *k, NULL);

			if (!key_known(*g, *k)) {
				*ret_message = g_strdup_printf("%s: unknown key [%s] %s", file, *g, *k);
				return CONFIG_E_VALUE;
			}
			if (!v)
				continue;
			g_strstrip(v);
			if (g_str_equal(*g, "token-atr") || g_str_equal(*g, "token-reader")) {
				int r = parse_token_entries(cfg, ret_message, file, *g, *k, v);

				if (r != 0)
					return r;
			} else if (g_str_equal(*g, "tokens")) {
				int r = parse_token_module(cfg, ret_message, file, *k, v);

				if (r != 0)
					return r;
			} else if (g_str_equal(*g, "server") && g_str_equal(*k, "listen")) {
				g_auto(GStrv) l = split_list(v);

				if (!l[0])
					return value_error(ret_message, file, *g, *k, v, "needs at least one ADDR:PORT");
				config_set_listen(cfg, l);
			} else if (g_str_equal(*k, "max-message")) {
				size_t n;

				if (!parse_size(v, &n) || n < 1024)
					return value_error(ret_message, file, *g, *k, v,
							   "expected a size of at least 1024 bytes, such as 80M");
				cfg->max_message = n;
			} else if (g_str_equal(*k, "max-connections")) {
				if (!parse_uint(v, 1, 100000, &cfg->max_connections))
					return value_error(ret_message, file, *g, *k, v, "expected 1..100000");
			} else if (g_str_equal(*k, "max-queue")) {
				if (!parse_uint(v, 0, 10000, &cfg->max_queue))
					return value_error(ret_message, file, *g, *k, v, "expected 0..10000");
			} else if (g_str_equal(*k, "idle-exit")) {
				unsigned s;

				if (!parse_uint(v, 0, CONFIG_MAX_IDLE_EXIT, &s))
					return value_error(ret_message, file, *g, *k, v,
							   "expected 0..604800 seconds (0: never)");
				cfg->idle_exit = (int)s;
			} else if (g_str_equal(*g, "origins") && g_str_equal(*k, "allow")) {
				g_strfreev(cfg->origins_allow);
				cfg->origins_allow = split_list(v);
			} else if (g_str_equal(*k, "allow-no-origin")) {
				if (g_ascii_strcasecmp(v, "true") == 0)
					cfg->allow_no_origin = true;
				else if (g_ascii_strcasecmp(v, "false") == 0)
					cfg->allow_no_origin = false;
				else
					return value_error(ret_message, file, *g, *k, v, "expected true or false");
			} else if (g_str_equal(*g, "ui") && g_str_equal(*k, "locale")) {
				if (!g_str_equal(v, "kk") && !g_str_equal(v, "ru") && !g_str_equal(v, "en"))
					return value_error(ret_message, file, *g, *k, v, "expected kk, ru or en");
				g_free(cfg->locale);
				cfg->locale = g_strdup(v);
			} else if (g_str_equal(*g, "ui") && g_str_equal(*k, "pinentry")) {
				if (!*v)
					return value_error(ret_message, file, *g, *k, v, "expected a program");
				g_free(cfg->pinentry);
				cfg->pinentry = expand_home(v);
			} else if (g_str_equal(*k, "key-folder")) {
				if (!*v)
					return value_error(ret_message, file, *g, *k, v, "expected a folder");
				g_free(cfg->key_folder);
				cfg->key_folder = expand_home(v);
			} else if (g_str_equal(*k, "file-chooser")) {
				if (g_str_equal(v, "auto"))
					cfg->file_chooser = CONFIG_FILE_CHOOSER_AUTO;
				else if (g_str_equal(v, "folder"))
					cfg->file_chooser = CONFIG_FILE_CHOOSER_FOLDER;
				else
					return value_error(ret_message, file, *g, *k, v, "expected auto or folder");
			} else if (g_str_equal(*k, "ca-certs")) {
				g_strfreev(cfg->ca_certs);
				cfg->ca_certs = expand_list(v);
			} else if (g_str_equal(*k, "crl")) {
				g_strfreev(cfg->crls);
				cfg->crls = expand_list(v);
			} else if (g_str_equal(*g, "tsa") && g_str_equal(*k, "url")) {
				if (*v && !g_str_has_prefix(v, "http://") && !g_str_has_prefix(v, "https://"))
					return value_error(ret_message, file, *g, *k, v,
							   "expected an http:// or https:// URL, or nothing");
				g_free(cfg->tsa_url);
				cfg->tsa_url = g_strdup(v);
			} else if (g_str_equal(*g, "tsa") && g_str_equal(*k, "policy")) {
				g_free(cfg->tsa_policy);
				cfg->tsa_policy = *v ? g_strdup(v) : NULL;
			} else if (g_str_equal(*g, "tsa") && g_str_equal(*k, "timeout")) {
				if (!parse_uint(v, 1, 600, &cfg->tsa_timeout_s))
					return value_error(ret_message, file, *g, *k, v, "expected 1..600 seconds");
			} else if (g_str_equal(*k, "validity-time")) {
				g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(v, NULL);

				if (!t)
					return value_error(ret_message, file, *g, *k, v,
							   "expected an ISO 8601 time such as 2026-01-01T00:00:00Z");
				cfg->validity_time = g_date_time_to_unix(t);
			} else if (g_str_equal(*g, "camera") && g_str_equal(*k, "source")) {
				if (g_str_equal(v, "auto"))
					cfg->camera_test_source = false;
				else if (g_str_equal(v, "test"))
					cfg->camera_test_source = true;
				else
					return value_error(ret_message, file, *g, *k, v, "expected auto or test");
			} else if (g_str_equal(*g, "camera") && g_str_equal(*k, "device")) {
				g_free(cfg->camera_device);
				cfg->camera_device = *v ? g_strdup(v) : NULL;
			} else if (g_str_equal(*k, "camera-fail-after-frames")) {
				if (!parse_uint(v, 0, 100000, &cfg->camera_fail_after))
					return value_error(ret_message, file, *g, *k, v, "expected 0..100000");
			} else if (g_str_equal(*k, "pending-days")) {
				if (!parse_uint(v, 1, 3650, &cfg->pending_days))
					return value_error(ret_message, file, *g, *k, v, "expected 1..3650 days");
			} else if (g_str_equal(*k, "tokens-map")) {
				g_free(cfg->tokens_map);
				cfg->tokens_map = *v ? expand_home(v) : NULL;
			} else if (g_str_equal(*k, "response-delay-ms")) {
				if (!parse_uint(v, 0, 600000, &cfg->response_delay_ms))
					return value_error(ret_message, file, *g, *k, v, "expected 0..600000");
			}
		}
	}
	g_free(cfg->config_file);
	cfg->config_file = g_steal_pointer(&file);
	return 0;
}
