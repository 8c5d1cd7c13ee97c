#include "daemon/server/nssdb.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/server/localca.h"
#include "util/cleanup.h"

#define NICK_PREFIX "Qoltanba local CA "
#define NICK_HEX 16
/* Trusted to identify TLS servers; not for mail, not for code. */
#define TRUST "C,,"
#define RECORD_NAME "nssdb-installed"
#define CHROMIUM_DB ".pki/nssdb"

static const struct {
	const char *dir; /* under home, holding one folder per profile */
	const char *label;
} firefox_roots[] = {
	{ ".mozilla/firefox", "Firefox" },
	{ "snap/firefox/common/.mozilla/firefox", "Firefox (snap)" },
	{ ".var/app/org.mozilla.firefox/.mozilla/firefox", "Firefox (Flatpak)" },
};

enum nss_action {
	NSS_ACTION_INSTALL,
	NSS_ACTION_UNINSTALL,
};

struct nss_run {
	char *certutil;  /* resolved path */
	bool detach;     /* no controlling terminal for certutil */
	char *ca_pem;    /* install only */
	char *nickname;  /* install only */
	GPtrArray *report;
};

struct nss_db {
	char *path;
	char *label;   /* "Chromium/Chrome", "Firefox profile x.default" */
	bool create;   /* make the database when it does not exist */
	bool recorded; /* listed in the record before this run */
};

/* One line of "certutil -L" that names a CA of ours. */
struct nss_entry {
	char *nickname;
	char *trust;
};

static void nss_db_free(struct nss_db *db)
{
	g_free(db->path);
	g_free(db->label);
	g_free(db);
}

static void nss_entry_free(struct nss_entry *e)
{
	g_free(e->nickname);
	g_free(e->trust);
	g_free(e);
}

static void nss_run_clear(struct nss_run *run)
{
	g_free(run->certutil);
	g_free(run->ca_pem);
	g_free(run->nickname);
}

G_GNUC_PRINTF(2, 3) static void say(GPtrArray *report, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(report, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static bool db_exists(const char *path)
{
	g_autofree char *file = g_build_filename(path, "cert9.db", NULL);

	return g_file_test(file, G_FILE_TEST_IS_REGULAR);
}

/* --- certutil ------------------------------------------------------------ */

static int nss_run_init(struct nss_run *run, const char *certutil, bool detach, GPtrArray *report)
{
	const char *name = certutil && *certutil ? certutil : "certutil";
	char *path = NULL;

	if (strchr(name, '/')) {
		if (g_file_test(name, G_FILE_TEST_IS_REGULAR) &&
		    g_file_test(name, G_FILE_TEST_IS_EXECUTABLE))
			path = g_strdup(name);
	} else
		path = g_find_program_in_path(name);
	if (!path) {
		say(report,
		    "certutil, from NSS's tools, is needed to change the browsers' certificate "
		    "databases but was not found (looked for \"%s\"). On Debian and Ubuntu: "
		    "sudo apt install libnss3-tools (Fedora: nss-tools).",
		    name);
		return NSSDB_E_NO_CERTUTIL;
	}
	*run = (struct nss_run){ .certutil = path, .detach = detach, .report = report };
	return 0;
}

/* In the child, before exec: with no controlling terminal, certutil cannot
 * open /dev/tty to ask for a database password, and fails instead. */
static void child_detach(gpointer data)
{
	(void)data;
	setsid();
}

/* Run certutil with the NULL-terminated arguments. Returns 0 when it
 * exited with 0 (*ret_out, if asked for, holds its output), 1 when it
 * failed (*ret_why says why, from its stderr), or a negative errno when it
 * could not be run. Each output is set only with its return value. */
G_GNUC_NULL_TERMINATED static int certutil_run(const struct nss_run *run, char **ret_out,
					       char **ret_why, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_auto(GStrv) lines = NULL;
	const char *arg;
	int status = 0;
	va_list ap;

	g_ptr_array_add(argv, run->certutil);
	va_start(ap, ret_why);
	while ((arg = va_arg(ap, const char *)))
		g_ptr_array_add(argv, (char *)arg);
	va_end(ap);
	g_ptr_array_add(argv, NULL);

	/* No shell; stdin is /dev/null. */
	if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT,
			  run->detach ? child_detach : NULL, NULL, &out, &err, &status, &error)) {
		if (g_error_matches(error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOMEM))
			return -ENOMEM;
		if (g_error_matches(error, G_SPAWN_ERROR, G_SPAWN_ERROR_ACCES))
			return -EACCES;
		if (g_error_matches(error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
			return -ENOENT;
		return -EIO;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (ret_out)
			*ret_out = g_steal_pointer(&out);
		return 0;
	}

	/* certutil's own "certutil: …" line is its reason; failing that, the
	 * first line it wrote. */
	if (strstr(err, "SEC_ERROR_BAD_PASSWORD")) {
		*ret_why = g_strdup("the database is protected by a password (in Firefox: the "
				    "primary password), which certutil can ask for only in a "
				    "terminal");
		return 1;
	}
	lines = g_strsplit(err, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_strstrip(*l);
		if (g_str_has_prefix(*l, "certutil: ")) {
			*ret_why = g_strdup(*l + strlen("certutil: "));
			return 1;
		}
	}
	for (char **l = lines; *l; l++) {
		if (**l) {
			*ret_why = g_strdup(*l);
			return 1;
		}
	}
	if (WIFEXITED(status))
		*ret_why = g_strdup_printf("certutil exited with status %d", WEXITSTATUS(status));
	else
		*ret_why = g_strdup("certutil was killed");
	return 1;
}

/* Our CAs in db, from the listing: each line is the nickname padded with
 * spaces, one space, and the trust flags ("C,,"). Nicknames may hold
 * spaces, trust flags do not. */
static int list_ours(const struct nss_run *run, const char *dbarg, GPtrArray **ret, char **ret_why)
{
	g_autoptr(GPtrArray) entries = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree char *out = NULL;
	int r;

	r = certutil_run(run, &out, ret_why, "-L", "-d", dbarg, NULL);
	if (r != 0)
		return r;
	entries = g_ptr_array_new_with_free_func((GDestroyNotify)nss_entry_free);
	lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l; l++) {
		struct nss_entry *e;
		char *space;

		g_strchomp(*l);
		if (!g_str_has_prefix(*l, NICK_PREFIX))
			continue;
		space = strrchr(*l, ' ');
		if (!space || space - *l < (ptrdiff_t)strlen(NICK_PREFIX))
			continue;
		e = g_new0(struct nss_entry, 1);
		e->trust = g_strdup(space + 1);
		*space = '\0';
		e->nickname = g_strdup(g_strchomp(*l));
		g_ptr_array_add(entries, e);
	}
	*ret = g_steal_pointer(&entries);
	return 0;
}

/* --- one database --------------------------------------------------------- */

/* Make an empty database with no password, folders 0700. */
static int db_create(const struct nss_run *run, const struct nss_db *db, const char *dbarg)
{
	g_autofree char *why = NULL;
	int r;

	if (g_mkdir_with_parents(db->path, 0700) < 0) {
		say(run->report, "%s (%s): cannot create the folder: %s", db->label, db->path,
		    g_strerror(errno));
		return NSSDB_E_FAILED;
	}
	r = certutil_run(run, NULL, &why, "-N", "-d", dbarg, "--empty-password", NULL);
	if (r < 0)
		return r;
	if (r > 0) {
		say(run->report, "%s (%s): cannot create the database: %s", db->label, db->path,
		    why);
		return NSSDB_E_FAILED;
	}
	say(run->report, "%s (%s): created the certificate database", db->label, db->path);
	return 0;
}

/* Remove the listed entries, or with keep set, all but that nickname. */
static int db_remove(const struct nss_run *run, const struct nss_db *db, const char *dbarg,
		     GPtrArray *entries, const char *keep, bool older)
{
	int ret = 0;

	for (guint i = 0; i < entries->len; i++) {
		const struct nss_entry *e = g_ptr_array_index(entries, i);
		g_autofree char *why = NULL;
		int r;

		if (keep && strcmp(e->nickname, keep) == 0)
			continue;
		r = certutil_run(run, NULL, &why, "-D", "-d", dbarg, "-n", e->nickname, NULL);
		if (r < 0)
			return r;
		if (r > 0) {
			say(run->report, "%s (%s): cannot remove \"%s\": %s", db->label, db->path,
			    e->nickname, why);
			ret = NSSDB_E_FAILED;
		} else
			say(run->report, "%s (%s): removed %s\"%s\"", db->label, db->path,
			    older ? "the older " : "", e->nickname);
	}
	return ret;
}

static int db_install(const struct nss_run *run, const struct nss_db *db)
{
	g_autofree char *dbarg = g_strconcat("sql:", db->path, NULL);
	g_autoptr(GPtrArray) entries = NULL;
	g_autofree char *why = NULL;
	const struct nss_entry *mine = NULL;
	int r, ret;

	if (db->create && !db_exists(db->path)) {
		r = db_create(run, db, dbarg);
		if (r != 0)
			return r;
	}
	r = list_ours(run, dbarg, &entries, &why);
	if (r < 0)
		return r;
	if (r > 0) {
		say(run->report, "%s (%s): cannot read the database: %s", db->label, db->path,
		    why);
		return NSSDB_E_FAILED;
	}

	/* Older CAs first: one of them may share the new one's subject name
	 * (same user, host and day), and NSS keeps one nickname per subject. */
	ret = db_remove(run, db, dbarg, entries, run->nickname, true);
	if (ret < 0)
		return ret;
	for (guint i = 0; i < entries->len; i++) {
		const struct nss_entry *e = g_ptr_array_index(entries, i);

		if (strcmp(e->nickname, run->nickname) == 0)
			mine = e;
	}

	if (mine && strcmp(mine->trust, TRUST) == 0) {
		say(run->report, "%s (%s): \"%s\" is already there and trusted", db->label,
		    db->path, run->nickname);
		return ret;
	}
	if (mine)
		r = certutil_run(run, NULL, &why, "-M", "-d", dbarg, "-n", run->nickname, "-t",
				 TRUST, NULL);
	else
		r = certutil_run(run, NULL, &why, "-A", "-d", dbarg, "-n", run->nickname, "-t",
				 TRUST, "-a", "-i", run->ca_pem, NULL);
	if (r < 0)
		return r;
	if (r > 0) {
		say(run->report, "%s (%s): cannot %s \"%s\": %s", db->label, db->path,
		    mine ? "set the trust of" : "add", run->nickname, why);
		return NSSDB_E_FAILED;
	}
	if (mine)
		say(run->report, "%s (%s): \"%s\" was there with trust \"%s\"; now trusted for TLS "
				 "servers (%s)",
		    db->label, db->path, run->nickname, mine->trust, TRUST);
	else
		say(run->report, "%s (%s): added \"%s\", trusted for TLS servers (%s)", db->label,
		    db->path, run->nickname, TRUST);
	return ret;
}

static int db_uninstall(const struct nss_run *run, const struct nss_db *db)
{
	g_autofree char *dbarg = g_strconcat("sql:", db->path, NULL);
	g_autoptr(GPtrArray) entries = NULL;
	g_autofree char *why = NULL;
	int r;

	r = list_ours(run, dbarg, &entries, &why);
	if (r < 0)
		return r;
	if (r > 0) {
		say(run->report, "%s (%s): cannot read the database: %s", db->label, db->path,
		    why);
		return NSSDB_E_FAILED;
	}
	if (entries->len == 0) {
		say(run->report, "%s (%s): no Qoltanba CA there", db->label, db->path);
		return 0;
	}
	return db_remove(run, db, dbarg, entries, NULL, false);
}

/* --- which databases ---------------------------------------------------- */

static struct nss_db *db_find(GPtrArray *dbs, const char *path)
{
	for (guint i = 0; i < dbs->len; i++) {
		struct nss_db *db = g_ptr_array_index(dbs, i);

		if (strcmp(db->path, path) == 0)
			return db;
	}
	return NULL;
}

static struct nss_db *db_add(GPtrArray *dbs, const char *path, const char *label)
{
	struct nss_db *db = db_find(dbs, path);

	if (db)
		return db;
	db = g_new0(struct nss_db, 1);
	db->path = g_strdup(path);
	db->label = g_strdup(label);
	g_ptr_array_add(dbs, db);
	return db;
}

static gint cmp_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The Firefox profiles that have a database, in a stable order. */
static guint find_firefox(const char *home, GPtrArray *dbs)
{
	guint found = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(firefox_roots); i++) {
		g_autofree char *root = g_build_filename(home, firefox_roots[i].dir, NULL);
		g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
		g_autoptr(GDir) dir = g_dir_open(root, 0, NULL);
		const char *name;

		if (!dir)
			continue;
		while ((name = g_dir_read_name(dir)))
			g_ptr_array_add(names, g_strdup(name));
		g_ptr_array_sort(names, cmp_strings);
		for (guint j = 0; j < names->len; j++) {
			const char *profile = g_ptr_array_index(names, j);
			g_autofree char *path = g_build_filename(root, profile, NULL);
			g_autofree char *label = NULL;

			if (!db_exists(path))
				continue;
			label = g_strdup_printf("%s profile %s", firefox_roots[i].label, profile);
			db_add(dbs, path, label);
			found++;
		}
	}
	return found;
}

static char *record_path(const char *tls_dir)
{
	return g_build_filename(tls_dir, RECORD_NAME, NULL);
}

/* Add the recorded databases to dbs (marked recorded); those whose
 * database is gone are dropped, with a line saying so. */
static void add_recorded(const struct nss_run *run, const char *tls_dir, GPtrArray *dbs)
{
	g_autofree char *path = record_path(tls_dir);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		struct nss_db *db;

		if (!g_path_is_absolute(*l))
			continue;
		if (!db_exists(*l)) {
			say(run->report, "%s: the database is gone; forgetting it", *l);
			continue;
		}
		db = db_add(dbs, *l, "NSS database");
		db->recorded = true;
	}
}

/* Replace the record with paths, or delete it when there are none. */
static int record_write(const char *tls_dir, GPtrArray *paths)
{
	g_autofree char *path = record_path(tls_dir);
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	_cleanup_close_ int dfd = -1;

	if (paths->len == 0) {
		if (g_unlink(path) < 0)
			return errno == ENOENT ? 0 : -errno;
	} else {
		for (guint i = 0; i < paths->len; i++)
			g_string_append_printf(text, "%s\n", (char *)paths->pdata[i]);
		/* Temporary file, fsync, rename. */
		if (!g_file_set_contents_full(path, text->str, (gssize)text->len,
					      G_FILE_SET_CONTENTS_CONSISTENT |
						      G_FILE_SET_CONTENTS_DURABLE,
					      0600, &error))
			return -EIO;
	}
	dfd = open(tls_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return -errno;
	return 0;
}

/* --- API ------------------------------------------------------------------ */

/* Apply action to every database; then write the record: after an install
 * the databases that have the CA (and recorded ones that failed, which
 * still hold an older CA); after an uninstall the ones that failed. */
static int apply(const struct nss_run *run, const char *tls_dir, GPtrArray *dbs,
		 enum nss_action action)
{
	g_autoptr(GPtrArray) record = g_ptr_array_new();
	int r = 0, ret = 0;

	for (guint i = 0; i < dbs->len; i++) {
		const struct nss_db *db = g_ptr_array_index(dbs, i);
		bool keep = false;

		switch (action) {
		case NSS_ACTION_INSTALL:
			r = db_install(run, db);
			keep = r == 0 || db->recorded;
			break;
		case NSS_ACTION_UNINSTALL:
			r = db_uninstall(run, db);
			keep = r != 0;
			break;
		}
		if (r < 0)
			return r;
		if (r > 0)
			ret = r;
		if (keep)
			g_ptr_array_add(record, db->path);
	}
	r = record_write(tls_dir, record);
	return r < 0 ? r : ret;
}

static int nss_run_set_ca(struct nss_run *run, const char *tls_dir)
{
	char fp[LOCALCA_FINGERPRINT_HEX + 1];
	int r;

	r = localca_ca_fingerprint(tls_dir, fp);
	if (r < 0)
		return r;
	if (r > 0) {
		say(run->report, "There is no local CA in %s yet (ca.pem is missing or broken).",
		    tls_dir);
		return NSSDB_E_NO_CA;
	}
	fp[NICK_HEX] = '\0';
	run->nickname = g_strconcat(NICK_PREFIX, fp, NULL);
	run->ca_pem = g_build_filename(tls_dir, "ca.pem", NULL);
	return 0;
}

int nssdb_install(const char *home, const char *tls_dir, const char *certutil, GPtrArray *report)
{
	g_autoptr(GPtrArray) dbs = g_ptr_array_new_with_free_func((GDestroyNotify)nss_db_free);
	g_autofree char *chromium = g_build_filename(home, CHROMIUM_DB, NULL);
	struct nss_run run;
	int r;

	r = nss_run_init(&run, certutil, false, report);
	if (r != 0)
		return r;
	r = nss_run_set_ca(&run, tls_dir);
	if (r == 0) {
		db_add(dbs, chromium, "Chromium/Chrome")->create = true;
		if (find_firefox(home, dbs) == 0)
			say(report, "Firefox: no profile with a certificate database under %s; if "
				    "you use Firefox, start it once and install again",
			    home);
		add_recorded(&run, tls_dir, dbs);
		r = apply(&run, tls_dir, dbs, NSS_ACTION_INSTALL);
	}
	nss_run_clear(&run);
	return r;
}

int nssdb_uninstall(const char *home, const char *tls_dir, const char *certutil,
		    GPtrArray *report)
{
	g_autoptr(GPtrArray) dbs = g_ptr_array_new_with_free_func((GDestroyNotify)nss_db_free);
	g_autofree char *chromium = g_build_filename(home, CHROMIUM_DB, NULL);
	struct nss_run run;
	int r;

	r = nss_run_init(&run, certutil, false, report);
	if (r != 0)
		return r;
	if (db_exists(chromium))
		db_add(dbs, chromium, "Chromium/Chrome");
	find_firefox(home, dbs);
	add_recorded(&run, tls_dir, dbs);
	if (dbs->len == 0)
		say(report, "No certificate database found under %s; nothing to remove", home);
	r = apply(&run, tls_dir, dbs, NSS_ACTION_UNINSTALL);
	nss_run_clear(&run);
	return r;
}

int nssdb_refresh(const char *home, const char *tls_dir, const char *certutil, GPtrArray *report)
{
	g_autoptr(GPtrArray) dbs = g_ptr_array_new_with_free_func((GDestroyNotify)nss_db_free);
	g_autofree char *record = record_path(tls_dir);
	g_autofree char *chromium = g_build_filename(home, CHROMIUM_DB, NULL);
	struct nss_run run;
	int r;

	if (!g_file_test(record, G_FILE_TEST_EXISTS))
		return 0;
	/* Called by the daemon, which may have a terminal but must not
	 * block on a password prompt. */
	r = nss_run_init(&run, certutil, true, report);
	if (r != 0)
		return r;
	r = nss_run_set_ca(&run, tls_dir);
	if (r == 0) {
		/* Known folders get their usual names in the report. */
		if (db_exists(chromium))
			db_add(dbs, chromium, "Chromium/Chrome");
		find_firefox(home, dbs);
		add_recorded(&run, tls_dir, dbs);
		/* Only where the old CA was. */
		for (guint i = dbs->len; i-- > 0;)
			if (!((struct nss_db *)g_ptr_array_index(dbs, i))->recorded)
				g_ptr_array_remove_index(dbs, i);
		r = apply(&run, tls_dir, dbs, NSS_ACTION_INSTALL);
	}
	nss_run_clear(&run);
	return r;
}
