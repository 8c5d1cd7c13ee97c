#include "daemon/ui/consent.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#define GROUP "camera"
#define KEY "allow"
#define NO_ORIGIN "(no origin)"

static GMutex lock;

static char *file_of(const char *state_dir)
{
	return g_build_filename(state_dir, "consent", NULL);
}

/* The allowed origins, NULL-terminated (never NULL itself). */
static char **load(const char *path)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	char **v;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		return g_new0(char *, 1);
	v = g_key_file_get_string_list(kf, GROUP, KEY, NULL, NULL);
	return v ? v : g_new0(char *, 1);
}

static int save(const char *state_dir, const char *path, char **origins)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	gsize len;

	if (g_mkdir_with_parents(state_dir, 0700) < 0)
		return -errno;
	g_key_file_set_comment(kf, NULL, NULL,
			       " Web pages allowed to use the camera through Qoltanba. Remove a "
			       "line to be asked again.",
			       NULL);
	g_key_file_set_string_list(kf, GROUP, KEY, (const char *const *)origins,
				   g_strv_length(origins));
	text = g_key_file_to_data(kf, &len, NULL);
	if (!g_file_set_contents_full(path, text, (gssize)len,
				      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
				      0600, &error))
		return -EIO;
	return 0;
}

static const char *key_of(const char *origin)
{
	return origin ? origin : NO_ORIGIN;
}

bool consent_allowed(const char *state_dir, const char *origin)
{
	g_autofree char *path = file_of(state_dir);
	g_auto(GStrv) v = NULL;
	bool found;

	g_mutex_lock(&lock);
	v = load(path);
	found = g_strv_contains((const char *const *)v, key_of(origin));
	g_mutex_unlock(&lock);
	return found;
}

int consent_allow(const char *state_dir, const char *origin)
{
	g_autofree char *path = file_of(state_dir);
	g_auto(GStrv) v = NULL;
	int r = 0;

	g_mutex_lock(&lock);
	v = load(path);
	if (!g_strv_contains((const char *const *)v, key_of(origin))) {
		guint n = g_strv_length(v);

		v = g_renew(char *, v, n + 2);
		v[n] = g_strdup(key_of(origin));
		v[n + 1] = NULL;
		r = save(state_dir, path, v);
	}
	g_mutex_unlock(&lock);
	return r;
}

char **consent_list(const char *state_dir)
{
	g_autofree char *path = file_of(state_dir);
	char **v;

	g_mutex_lock(&lock);
	v = load(path);
	g_mutex_unlock(&lock);
	return v;
}

int consent_revoke(const char *state_dir, const char *origin, bool *ret_was)
{
	g_autofree char *path = file_of(state_dir);
	g_auto(GStrv) v = NULL;
	g_autoptr(GPtrArray) keep = g_ptr_array_new();
	bool was = false;
	int r = 0;

	g_mutex_lock(&lock);
	v = load(path);
	for (char **o = v; *o; o++) {
		if (strcmp(*o, key_of(origin)) == 0)
			was = true;
		else
			g_ptr_array_add(keep, *o);
	}
	g_ptr_array_add(keep, NULL);
	if (was)
		r = save(state_dir, path, (char **)keep->pdata);
	g_mutex_unlock(&lock);
	*ret_was = was;
	return r;
}
