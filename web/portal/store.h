/* store: the demo portal's data folder. Files are named by a folder
 * relative to the data folder ("" for the data folder itself,
 * "applications/<id>") and a plain name; the callers make both from
 * identifiers they have checked, never from a client's text as is.
 *
 * Every file is written whole before it gets its name: a new one with
 * safefile_write_new() (never over an existing one), a replaced one with
 * safefile_replace() (a temporary file in the same folder, fsynced and
 * renamed over the old one, the folder fsynced last). A crash leaves the
 * old or the new content, never a mixture; a restart loses nothing that
 * was answered. Files are read with safefile_read(): regular files only,
 * symlinks not followed. Folders are 0700, files 0600.
 *
 * Return values: 0 success, a negative errno as the system reported it
 * (-ENOENT for a missing file, -EEXIST from store_put_json_new(), …), -EFBIG
 * for a file larger than the caller's maximum, -EBADMSG for a JSON file
 * that does not hold an object. Nothing here logs. */
#pragma once

#include <stddef.h>

#include <json-c/json.h>

struct store;

/* Open (creating with mode 0700 where missing) the data folder. *ret is
 * the caller's. */
int store_open(const char *dir, struct store **ret);

/* Accepts NULL; returns NULL. */
struct store *store_free(struct store *s);

/* A new string (g_free()): the path of rel_dir/name (name may be NULL). */
char *store_path(const struct store *s, const char *rel_dir, const char *name);

/* Create rel_dir (and its parents) with mode 0700 if missing. */
int store_mkdir(struct store *s, const char *rel_dir);

/* Write rel_dir/name, replacing what was there. */
int store_put(struct store *s, const char *rel_dir, const char *name, const void *data, size_t len);

/* Read rel_dir/name, at most max bytes (-EFBIG beyond). *ret is a new
 * NUL-terminated buffer (g_free()), *ret_len its length without the NUL. */
int store_get(struct store *s, const char *rel_dir, const char *name, size_t max, char **ret,
	      size_t *ret_len);

/* The JSON forms: an object written as compact JSON text, read back as a
 * new object (json_object_put()). store_put_json_new() writes a file that
 * must not exist yet (-EEXIST). */
int store_put_json(struct store *s, const char *rel_dir, const char *name, struct json_object *o);
int store_put_json_new(struct store *s, const char *rel_dir, const char *name,
		       struct json_object *o);
int store_get_json(struct store *s, const char *rel_dir, const char *name, size_t max,
		   struct json_object **ret);
