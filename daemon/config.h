/* The daemon's configuration: built-in defaults, then the key file
 * ($XDG_CONFIG_HOME/qoltanba/qoltanba.conf or --config FILE), then the
 * command line. See qoltanbad(8) for every key. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct tokenmap;

/* The token storage types a [tokens] line may name: tokenmap_storage_types[]. */
#define CONFIG_TOKEN_TYPES 7

#define CONFIG_DEFAULT_PORT 13579
#define CONFIG_DEFAULT_MAX_MESSAGE (80u * 1024 * 1024) /* a 50 MB document, base64 + JSON */
#define CONFIG_DEFAULT_MAX_CONNECTIONS 64
#define CONFIG_DEFAULT_MAX_QUEUE 16
/* [server] idle-exit unset: this many seconds under socket activation
 * (systemd starts the daemon again on the next connection), else never. */
#define CONFIG_IDLE_EXIT_AUTO (-1)
#define CONFIG_DEFAULT_IDLE_EXIT_ACTIVATED 300
#define CONFIG_MAX_IDLE_EXIT (7 * 86400)

enum config_error {
	CONFIG_E_READ = 1, /* the file exists but cannot be read or parsed */
	CONFIG_E_VALUE,    /* a key has a value out of range or of the wrong form */
};

#define CONFIG_DEFAULT_TSA_URL "http://tsp.pki.gov.kz:80"
#define CONFIG_DEFAULT_TSA_TIMEOUT 20
#define CONFIG_DEFAULT_PENDING_DAYS 30

enum config_file_chooser {
	CONFIG_FILE_CHOOSER_AUTO,   /* the desktop portal, else the key folder */
	CONFIG_FILE_CHOOSER_FOLDER, /* only the key folder */
};

struct config {
	char **listen;           /* NULL-terminated "ADDR:PORT" list */
	size_t max_message;      /* bytes in one WebSocket message */
	unsigned max_connections;
	unsigned max_queue;      /* requests waiting behind the one in flight */
	int idle_exit;           /* seconds idle before exiting, 0: never; or CONFIG_IDLE_EXIT_AUTO */
	char **origins_allow;    /* NULL-terminated patterns, see gate.h */
	bool allow_no_origin;    /* connections without an Origin header (local programs) */
	char *locale;            /* default UI language: kk, ru or en */
	char *state_dir;         /* $XDG_STATE_HOME/qoltanba */
	char *config_file;       /* the file that was read, NULL if none */
	unsigned response_delay_ms; /* [testing]: hold each answer this long */
	long long validity_time;    /* [testing]: check certificates at this time (0: now) */

	/* [ui] */
	char *pinentry;          /* the pinentry program: a name in PATH or a path */
	char *key_folder;        /* where key files are looked for without a portal */
	enum config_file_chooser file_chooser;

	/* [keys] */
	char **ca_certs;         /* NULL-terminated files: trusted CAs when a page names none */
	char **crls;             /* NULL-terminated CRL files (PEM or DER) */

	/* [tsa] */
	char *tsa_url;           /* "" or NULL: no timestamps */
	char *tsa_policy;        /* policy OID to ask for, NULL: the service's default */
	unsigned tsa_timeout_s;

	/* [camera] */
	bool camera_test_source;  /* source=test: videotestsrc stands in for a camera */
	char *camera_device;      /* device=: the camera to use, NULL: the first one */
	unsigned camera_fail_after; /* [testing] camera-fail-after-frames: the source fails */

	/* [enroll] */
	unsigned pending_days;   /* a key request expires this long after it was made */

	/* [token-atr], [token-reader]: the user's token map entries
	 * (TOKENMAP_USER, daemon/keystore/tokenmap.h); never NULL */
	struct tokenmap *tokens;
	char *tokens_map;        /* [testing] tokens-map: the built-in map's file, NULL: installed */

	/* [tokens] TYPE=MODULE: the PKCS#11 module of each token storage type,
	 * by the type's position in tokenmap_storage_types[]; NULL: none
	 * configured (p11-kit's registered modules serve a card of that type
	 * that PC/SC sees). */
	char *token_modules[CONFIG_TOKEN_TYPES];
};

/* Fill *cfg with the built-in defaults. */
void config_init(struct config *cfg);
void config_clear(struct config *cfg);

/* Read a key file over the defaults. path NULL: the default location,
 * which may be absent. An explicit path must exist. On failure returns
 * -ENOMEM or a positive CONFIG_E_* and sets *ret_message (g_free). */
int config_load(struct config *cfg, const char *path, char **ret_message);

/* The [tokens] module configured for a token storage type, or NULL. */
const char *config_token_module(const struct config *cfg, const char *type);

/* Is any [tokens] module configured? */
bool config_has_token_modules(const struct config *cfg);

/* Replace the listen list (the command line's --listen). */
void config_set_listen(struct config *cfg, char **listen);

/* Seconds without connections and work after which the daemon exits (0:
 * never): [server] idle-exit, or when unset the default for how the
 * sockets were obtained. */
unsigned config_idle_exit(const struct config *cfg, bool socket_activated);
