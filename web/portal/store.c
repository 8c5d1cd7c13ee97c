#include "web/portal/store.h"

#include <errno.h>

#include <glib.h>

#include "util/safefile.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct store {
	char *root;
};

int store_open(const char *dir, struct store **ret)
{
	struct store *s;
	int r;

	r = safefile_mkdir_private(dir);
	if (r < 0)
		return r;
	s = g_new0(struct store, 1);
	s->root = g_strdup(dir);
	*ret = s;
	return 0;
}

struct store *store_free(struct store *s)
{
	if (!s)
		return NULL;
	g_free(s->root);
	g_free(s);
	return NULL;
}

char *store_path(const struct store *s, const char *rel_dir, const char *name)
{
	return g_build_filename(s->root, rel_dir && *rel_dir ? rel_dir : ".", name, NULL);
}

int store_mkdir(struct store *s, const char *rel_dir)
{
	g_autofree char *path = store_path(s, rel_dir, NULL);

	return safefile_mkdir_private(path);
}

int store_put(struct store *s, const char *rel_dir, const char *name, const void *data, size_t len)
{
	g_autofree char *dir = store_path(s, rel_dir, NULL);

	return safefile_replace(dir, name, data, len, 0600);
}

static int store_put_new(struct store *s, const char *rel_dir, const char *name,
			 const void *data, size_t len)
{
	g_autofree char *dir = store_path(s, rel_dir, NULL);

	return safefile_write_new(dir, name, data, len, 0600);
}

int store_get(struct store *s, const char *rel_dir, const char *name, size_t max, char **ret,
	      size_t *ret_len)
{
	g_autofree char *path = store_path(s, rel_dir, name);

	return safefile_read(path, max, ret, ret_len);
}

int store_put_json(struct store *s, const char *rel_dir, const char *name, struct json_object *o)
{
	size_t len = 0;
	const char *text = json_object_to_json_string_length(o, JSON_FLAGS, &len);

	if (!text)
		return -ENOMEM;
	return store_put(s, rel_dir, name, text, len);
}

int store_put_json_new(struct store *s, const char *rel_dir, const char *name,
		       struct json_object *o)
{
	size_t len = 0;
	const char *text = json_object_to_json_string_length(o, JSON_FLAGS, &len);

	if (!text)
		return -ENOMEM;
	return store_put_new(s, rel_dir, name, text, len);
}

int store_get_json(struct store *s, const char *rel_dir, const char *name, size_t max,
		   struct json_object **ret)
{
	g_autofree char *text = NULL;
	struct json_object *o;
	size_t len = 0;
	int r;

	r = store_get(s, rel_dir, name, max, &text, &len);
	if (r < 0)
		return r;
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}
