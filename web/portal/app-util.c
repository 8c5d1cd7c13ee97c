/* The helpers every call uses: request members, the answer, errors,
 * changing the application, time, random numbers, base64, and SMS. */
#include "web/portal/app-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/rand.h>

void json_set_string(struct json_object *o, const char *name, const char *value)
{
	json_object_object_add(o, name, value ? json_object_new_string(value) : NULL);
}

void json_set_int(struct json_object *o, const char *name, int64_t value)
{
	json_object_object_add(o, name, json_object_new_int64(value));
}

const char *json_get_string(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t json_get_int(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, name, &v))
		return 0;
	return json_object_get_int64(v);
}

int call_fail(struct call *c, enum portal_error e, const char *message)
{
	c->error_message = message;
	return (int)e;
}

static struct json_object *extra(struct call *c)
{
	if (!c->error_extra)
		c->error_extra = json_object_new_object();
	return c->error_extra;
}

void fail_member_int(struct call *c, const char *name, int64_t value)
{
	json_set_int(extra(c), name, value);
}

void fail_member_string(struct call *c, const char *name, const char *value)
{
	json_set_string(extra(c), name, value);
}

int call_stage_order(struct call *c)
{
	fail_member_string(c, "stage", stage_name(c->app->stage));
	return call_fail(c, PORTAL_E_STAGE_ORDER, NULL);
}

int call_internal(struct call *c, int r, const char *what)
{
	g_free(c->log);
	c->log = g_strdup_printf("%s: %s", what, r < 0 ? g_strerror(-r) : "failed");
	return r < 0 ? r : -EIO;
}

static int req_member(struct call *c, const char *name, enum json_type type,
		      struct json_object **ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(c->req, name, &v) || !json_object_is_type(v, type)) {
		g_free(c->log);
		c->log = g_strdup_printf("The member \"%s\" is missing or not a%s %s.", name,
					 type == json_type_array || type == json_type_object ? "n"
											     : "",
					 json_type_to_name(type));
		return call_fail(c, PORTAL_E_BAD_REQUEST, c->log);
	}
	*ret = v;
	return 0;
}

int req_string(struct call *c, const char *name, const char **ret)
{
	struct json_object *v;
	int r = req_member(c, name, json_type_string, &v);

	if (r == 0)
		*ret = json_object_get_string(v);
	return r;
}

int req_bool(struct call *c, const char *name, bool *ret)
{
	struct json_object *v;
	int r = req_member(c, name, json_type_boolean, &v);

	if (r == 0)
		*ret = json_object_get_boolean(v);
	return r;
}

int req_array(struct call *c, const char *name, struct json_object **ret)
{
	return req_member(c, name, json_type_array, ret);
}

struct json_object *answer(struct call *c)
{
	if (!c->answer)
		c->answer = json_object_new_object();
	return c->answer;
}

void answer_string(struct call *c, const char *name, const char *value)
{
	json_set_string(answer(c), name, value);
}

void answer_int(struct call *c, const char *name, int64_t value)
{
	json_set_int(answer(c), name, value);
}

void answer_stage(struct call *c)
{
	answer_string(c, "stage", stage_name(c->app->stage));
}

void app_set(struct application *a, const char *name, struct json_object *value)
{
	json_object_object_add(a->j, name, value);
	a->dirty = true;
}

void app_set_stage(struct application *a, enum stage s)
{
	a->stage = s;
	app_set(a, "stage", json_object_new_string(stage_name(s)));
}

void app_set_string(struct application *a, const char *name, const char *value)
{
	app_set(a, name, json_object_new_string(value));
}

void app_set_int(struct application *a, const char *name, int64_t value)
{
	app_set(a, name, json_object_new_int64(value));
}

void app_remove(struct application *a, const char *name)
{
	json_object_object_del(a->j, name);
	a->dirty = true;
}

void iso_time(time_t t, char buf[ISO_TIME_SIZE])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, ISO_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int random_hex(size_t n, char *ret)
{
	uint8_t buf[64];

	if (n > sizeof(buf) || RAND_bytes(buf, (int)n) != 1)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		sprintf(ret + 2 * i, "%02x", buf[i]);
	return 0;
}

int random_below(uint32_t bound, uint32_t *ret)
{
	/* The largest multiple of bound that fits: no modulo bias. */
	uint32_t limit = UINT32_MAX - UINT32_MAX % bound, v;

	do {
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			return -EIO;
	} while (v >= limit);
	*ret = v % bound;
	return 0;
}

bool base64_decode_max(const char *text, size_t max, uint8_t **ret, size_t *ret_len)
{
	size_t chars = 0, pad = 0;
	gsize len = 0;
	uint8_t *out;

	for (const char *s = text; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			continue;
		if (*s == '=') {
			pad++;
		} else if (pad || !(g_ascii_isalnum(*s) || *s == '+' || *s == '/')) {
			return false;
		}
		chars++;
	}
	if (chars % 4 != 0 || pad > 2 || chars / 4 * 3 - pad > max)
		return false;
	out = g_base64_decode(text, &len);
	if (!out)
		out = g_malloc0(1);
	*ret = out;
	*ret_len = len;
	return true;
}

void app_masked_phone(const struct application *a, char ret[REGISTER_MASKED_PHONE_SIZE])
{
	ret[0] = '\0';
	if (a->citizen && a->citizen->phone[0])
		register_mask_phone(a->citizen->phone, ret);
}

int sms_send(struct call *c, enum texts_sms which, const char *code)
{
	struct portal *p = c->p;
	struct application *a = c->app;
	_cleanup_(json_object_putp) struct json_object *inbox = NULL;
	g_autofree char *text = texts_sms(a->lang, which, code);
	char masked[REGISTER_MASKED_PHONE_SIZE], time[ISO_TIME_SIZE];
	struct json_object *messages, *m;
	int r;

	app_masked_phone(a, masked);
	if (!masked[0])
		return -EINVAL;
	r = store_get_json(p->store, a->dir, "inbox.json", INBOX_FILE_MAX, &inbox);
	if (r == -ENOENT) {
		inbox = json_object_new_object();
		r = 0;
	}
	if (r < 0)
		return call_internal(c, r, "cannot read the inbox");
	if (!json_object_object_get_ex(inbox, "messages", &messages) ||
	    !json_object_is_type(messages, json_type_array)) {
		messages = json_object_new_array();
		json_object_object_add(inbox, "messages", messages);
	}
	iso_time(c->now, time);
	m = json_object_new_object();
	json_set_string(m, "time", time);
	json_set_string(m, "text", text);
	json_object_array_add(messages, m);
	r = store_put_json(p->store, a->dir, "inbox.json", inbox);
	if (r < 0)
		return call_internal(c, r, "cannot write the inbox");
	if (p->o.sms)
		p->o.sms(p->o.sms_ctx, masked, text);
	return 0;
}
