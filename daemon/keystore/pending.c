#include "daemon/keystore/pending.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/safefile.h"

#define PENDING_VERSION 1
#define SUFFIX          ".json"

DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)
DEFINE_POINTER_CLEANUP(json_tokener_free, struct json_tokener)
DEFINE_POINTER_CLEANUP(pending_request_free, struct pending_request)

struct pending_token *pending_token_free(struct pending_token *t)
{
	if (!t)
		return NULL;
	g_free(t->storage);
	g_free(t->module);
	g_free(t->serial);
	g_free(t->label);
	g_free(t->key_id);
	g_free(t);
	return NULL;
}

struct pending_request *pending_request_free(struct pending_request *r)
{
	if (!r)
		return NULL;
	g_free(r->origin);
	g_free(r->storage);
	g_free(r->algorithm);
	g_free(r->purpose);
	g_free(r->folder);
	g_free(r->subject);
	g_free(r->key_id);
	g_free(r->csr_pem);
	OPENSSL_clear_free(r->key_der, r->key_len);
	pending_token_free(r->token);
	g_free(r);
	return NULL;
}

void pending_list_free(struct pending_request **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		pending_request_free(v[i]);
	g_free(v);
}

bool pending_id_valid(const char *id)
{
	if (!id || strlen(id) != PENDING_ID_LEN)
		return false;
	for (size_t i = 0; i < PENDING_ID_LEN; i++)
		if (!g_ascii_isdigit(id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
			return false;
	return true;
}

int pending_new_id(char ret[PENDING_ID_LEN + 1])
{
	uint8_t rnd[PENDING_ID_LEN / 2];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(rnd); i++)
		g_snprintf(ret + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

static char *file_name(const char *id)
{
	return g_strconcat(id, SUFFIX, NULL);
}

/* json-c's strings are its own buffers; a key in them is wiped in place. */
static void json_wipe_string(struct json_object *o, const char *field)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, field, &v) && json_object_is_type(v, json_type_string))
		explicit_bzero((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

static struct json_object *json_string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *request_to_json(const struct pending_request *r, const char *key_b64)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_int(PENDING_VERSION));
	json_object_object_add(o, "id", json_object_new_string(r->id));
	json_object_object_add(o, "origin", json_string_or_null(r->origin));
	json_object_object_add(o, "storage", json_object_new_string(r->storage));
	json_object_object_add(o, "algorithm", json_object_new_string(r->algorithm));
	json_object_object_add(o, "purpose", json_object_new_string(r->purpose));
	json_object_object_add(o, "folder", json_string_or_null(r->folder));
	json_object_object_add(o, "subject", json_object_new_string(r->subject));
	json_object_object_add(o, "keyId", json_object_new_string(r->key_id));
	json_object_object_add(o, "csr", json_object_new_string(r->csr_pem));
	json_object_object_add(o, "created", json_object_new_int64(r->created_ms));
	json_object_object_add(o, "expires", json_object_new_int64(r->expires_ms));
	if (key_b64) {
		json_object_object_add(o, "key", json_object_new_string(key_b64));
	} else {
		struct json_object *t = json_object_new_object();

		json_object_object_add(t, "storage", json_object_new_string(r->token->storage));
		json_object_object_add(t, "module", json_object_new_string(r->token->module));
		json_object_object_add(t, "serial", json_object_new_string(r->token->serial));
		json_object_object_add(t, "label", json_object_new_string(r->token->label));
		json_object_object_add(t, "keyId", json_object_new_string(r->token->key_id));
		json_object_object_add(o, "token", t);
	}
	return o;
}

static bool token_complete(const struct pending_token *t)
{
	return t->storage && t->module && t->serial && t->label && t->key_id;
}

static bool request_complete(const struct pending_request *r)
{
	bool has_key = r->key_der && r->key_len > 0;

	return r->storage && r->algorithm && r->purpose && r->subject && r->key_id && r->csr_pem &&
	       has_key != (r->token != NULL) && (!r->token || token_complete(r->token));
}

static int save_json(const char *dir, const char *id, struct json_object *o)
{
	g_autofree char *name = file_name(id);
	size_t len;
	char *text;
	int r;

	text = (char *)json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	if (len > PENDING_MAX_FILE)
		r = -E2BIG;
	else
		r = safefile_write_new(dir, name, text, len, 0600);
	explicit_bzero(text, len);
	return r;
}

int pending_save(const char *dir, const struct pending_request *r)
{
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	g_autofree char *b64 = NULL;
	int ret;

	if (!dir || !r || !request_complete(r))
		return -EINVAL;
	if (!pending_id_valid(r->id))
		return PENDING_E_BAD_ID;
	ret = safefile_mkdir_private(dir);
	if (ret < 0)
		return ret;
	if (r->key_der)
		b64 = g_base64_encode(r->key_der, r->key_len);
	o = request_to_json(r, b64);
	ret = save_json(dir, r->id, o);
	json_wipe_string(o, "key");
	if (b64)
		explicit_bzero(b64, strlen(b64));
	return ret;
}

/* Up to cap + 1 bytes of fd: one byte more than the cap tells a file that
 * grew since fstat(). */
static ssize_t read_capped(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got <= cap) {
		ssize_t n = read(fd, buf + got, cap + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The whole file, NUL-terminated, if it looks like one we wrote. */
static int read_request_file(const char *dir, const char *id, char **ret, size_t *ret_len)
{
	g_autofree char *name = file_name(id);
	g_autofree char *path = g_build_filename(dir, name, NULL);
	_cleanup_close_ int fd = -1;
	struct stat st;
	char *buf;
	ssize_t n;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? PENDING_E_NOT_FOUND : errno == ELOOP ? PENDING_E_CORRUPT : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size > PENDING_MAX_FILE)
		return PENDING_E_CORRUPT;
	buf = g_malloc((size_t)st.st_size + 2);
	n = read_capped(fd, buf, (size_t)st.st_size);
	if (n < 0 || n > st.st_size) {
		explicit_bzero(buf, (size_t)st.st_size + 2);
		g_free(buf);
		return n < 0 ? (int)n : PENDING_E_CORRUPT;
	}
	buf[n] = '\0';
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
}

/* json-c leaves the last string it read (the key: written last) in the
 * tokener's scratch buffer and has no call to wipe it. */
static void tokener_wipe(struct json_tokener *tok)
{
	if (tok->pb && tok->pb->buf)
		explicit_bzero(tok->pb->buf, (size_t)tok->pb->size);
}

static struct json_object *parse_json(const char *text, size_t len)
{
	_cleanup_(json_tokener_freep) struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o && json_tokener_get_parse_end(tok) != len) {
		json_wipe_string(o, "key");
		json_object_put(o);
		o = NULL;
	}
	tokener_wipe(tok);
	return o;
}

static int get_string(struct json_object *o, const char *field, bool nullable, char **ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, field, &v))
		return PENDING_E_CORRUPT;
	if (!v && nullable) {
		*ret = NULL;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return PENDING_E_CORRUPT;
	*ret = g_strdup(json_object_get_string(v));
	return 0;
}

static int get_int64(struct json_object *o, const char *field, long long *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, field, &v) || !json_object_is_type(v, json_type_int))
		return PENDING_E_CORRUPT;
	*ret = (long long)json_object_get_int64(v);
	return 0;
}

/* g_base64_decode() takes anything; a file we wrote has canonical base64. */
static bool base64_valid(const char *s, size_t len)
{
	size_t pad = 0;

	if (len == 0 || len % 4 != 0)
		return false;
	while (pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/')
			return false;
	return true;
}

static int get_key(struct json_object *o, struct pending_request *r)
{
	struct json_object *v;
	const char *s;
	gsize n = 0;

	if (!json_object_object_get_ex(o, "key", &v) || !json_object_is_type(v, json_type_string))
		return PENDING_E_CORRUPT;
	s = json_object_get_string(v);
	if (!base64_valid(s, (size_t)json_object_get_string_len(v)))
		return PENDING_E_CORRUPT;
	r->key_der = g_base64_decode(s, &n);
	r->key_len = n;
	return n > 0 ? 0 : PENDING_E_CORRUPT;
}

static int get_token(struct json_object *t, struct pending_request *r)
{
	struct pending_token *tok;
	int ret;

	if (!json_object_is_type(t, json_type_object))
		return PENDING_E_CORRUPT;
	tok = r->token = g_new0(struct pending_token, 1);
	ret = get_string(t, "storage", false, &tok->storage);
	if (ret == 0)
		ret = get_string(t, "module", false, &tok->module);
	if (ret == 0)
		ret = get_string(t, "serial", false, &tok->serial);
	if (ret == 0)
		ret = get_string(t, "label", false, &tok->label);
	if (ret == 0)
		ret = get_string(t, "keyId", false, &tok->key_id);
	return ret;
}

/* The key, or the token reference: exactly one. */
static int get_key_or_token(struct json_object *o, struct pending_request *r)
{
	struct json_object *t;
	bool has_token = json_object_object_get_ex(o, "token", &t);

	if (has_token == json_object_object_get_ex(o, "key", NULL))
		return PENDING_E_CORRUPT;
	return has_token ? get_token(t, r) : get_key(o, r);
}

static int request_from_json(struct json_object *o, const char *id, struct pending_request *r)
{
	struct json_object *v;
	g_autofree char *file_id = NULL;
	int ret;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "version", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != PENDING_VERSION)
		return PENDING_E_CORRUPT;
	ret = get_string(o, "id", false, &file_id);
	if (ret == 0 && strcmp(file_id, id) != 0)
		ret = PENDING_E_CORRUPT;
	if (ret == 0)
		ret = get_string(o, "origin", true, &r->origin);
	if (ret == 0)
		ret = get_string(o, "storage", false, &r->storage);
	if (ret == 0)
		ret = get_string(o, "algorithm", false, &r->algorithm);
	if (ret == 0)
		ret = get_string(o, "purpose", false, &r->purpose);
	if (ret == 0)
		ret = get_string(o, "folder", true, &r->folder);
	if (ret == 0)
		ret = get_string(o, "subject", false, &r->subject);
	if (ret == 0)
		ret = get_string(o, "keyId", false, &r->key_id);
	if (ret == 0)
		ret = get_string(o, "csr", false, &r->csr_pem);
	if (ret == 0)
		ret = get_int64(o, "created", &r->created_ms);
	if (ret == 0)
		ret = get_int64(o, "expires", &r->expires_ms);
	if (ret == 0)
		ret = get_key_or_token(o, r);
	return ret;
}

/* id must be valid. with_key false: the key is checked, then dropped. */
static int load_request(const char *dir, const char *id, bool with_key,
			struct pending_request **ret)
{
	_cleanup_(pending_request_freep) struct pending_request *r = NULL;
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	char *text = NULL;
	size_t len = 0;
	int ret_code;

	ret_code = read_request_file(dir, id, &text, &len);
	if (ret_code != 0)
		return ret_code;
	o = parse_json(text, len);
	explicit_bzero(text, len);
	g_free(text);
	if (!o)
		return PENDING_E_CORRUPT;
	r = g_new0(struct pending_request, 1);
	memcpy(r->id, id, PENDING_ID_LEN + 1);
	ret_code = request_from_json(o, id, r);
	json_wipe_string(o, "key");
	if (ret_code != 0)
		return ret_code;
	if (!with_key) {
		OPENSSL_clear_free(r->key_der, r->key_len);
		r->key_der = NULL;
		r->key_len = 0;
	}
	*ret = TAKE_PTR(r);
	return 0;
}

int pending_load(const char *dir, const char *id, struct pending_request **ret)
{
	if (!dir || !ret)
		return -EINVAL;
	if (!pending_id_valid(id))
		return PENDING_E_BAD_ID;
	return load_request(dir, id, true, ret);
}

/* The id of a file name "<id>.json", or false. */
static bool name_to_id(const char *name, char ret[PENDING_ID_LEN + 1])
{
	if (strlen(name) != PENDING_ID_LEN + strlen(SUFFIX) ||
	    strcmp(name + PENDING_ID_LEN, SUFFIX) != 0)
		return false;
	memcpy(ret, name, PENDING_ID_LEN);
	ret[PENDING_ID_LEN] = '\0';
	return pending_id_valid(ret);
}

static gint compare_created(gconstpointer a, gconstpointer b)
{
	const struct pending_request *x = *(struct pending_request *const *)a;
	const struct pending_request *y = *(struct pending_request *const *)b;

	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void request_free_notify(gpointer r)
{
	pending_request_free(r);
}

static void list_entry(const char *dir, const char *name, GPtrArray *v)
{
	char id[PENDING_ID_LEN + 1];
	struct pending_request *r;
	int ret;

	if (!name_to_id(name, id)) {
		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
			log_info("pending: %s/%s is not a request, skipped", dir, name);
		return;
	}
	ret = load_request(dir, id, false, &r);
	if (ret < 0) {
		log_warning("pending: cannot read %s/%s: %s, skipped", dir, name, g_strerror(-ret));
		return;
	}
	if (ret > 0) {
		log_warning("pending: %s/%s is damaged, too large or not ours, skipped", dir, name);
		return;
	}
	g_ptr_array_add(v, r);
}

int pending_list(const char *dir, struct pending_request ***ret, size_t *ret_n)
{
	g_autoptr(GPtrArray) v = NULL;
	DIR *d;
	struct dirent *e;
	size_t n;

	if (!dir || !ret || !ret_n)
		return -EINVAL;
	d = opendir(dir);
	if (!d && errno != ENOENT)
		return -errno;
	v = g_ptr_array_new_with_free_func(request_free_notify);
	while (d && (e = readdir(d)))
		list_entry(dir, e->d_name, v);
	if (d)
		closedir(d);
	g_ptr_array_sort(v, compare_created);
	n = v->len;
	g_ptr_array_set_free_func(v, NULL);
	*ret = n > 0 ? (struct pending_request **)g_ptr_array_free(g_steal_pointer(&v), FALSE)
		     : NULL;
	*ret_n = n;
	return 0;
}

int pending_count(const char *dir, size_t *ret_n)
{
	char id[PENDING_ID_LEN + 1];
	struct dirent *e;
	struct stat st;
	size_t n = 0;
	DIR *d;

	if (!dir || !ret_n)
		return -EINVAL;
	d = opendir(dir);
	if (!d && errno != ENOENT)
		return -errno;
	while (d && (e = readdir(d)))
		if (name_to_id(e->d_name, id) &&
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			n++;
	if (d)
		closedir(d);
	*ret_n = n;
	return 0;
}

int pending_destroy(const char *dir, const char *id)
{
	g_autofree char *name = NULL, *path = NULL;
	int r;

	if (!dir)
		return -EINVAL;
	if (!pending_id_valid(id))
		return PENDING_E_BAD_ID;
	name = file_name(id);
	path = g_build_filename(dir, name, NULL);
	r = safefile_destroy(path);
	return r == -ENOENT ? PENDING_E_NOT_FOUND : r;
}
