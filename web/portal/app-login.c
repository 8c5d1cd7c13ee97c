/* The egov.kz half: where the daemon is, the demo citizens, starting and
 * resuming an application, signing in with the IIN and an SMS code, the
 * demo phone, and confirming the phone for remote identification. */
#include "web/portal/app-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>

/* Wrong codes before a code is void. */
#define CODE_ATTEMPTS 3
/* Wrong PINs for one IIN before /api/resume locks, and for how long. */
#define RESUME_ATTEMPTS 5
#define RESUME_LOCK_SECONDS (15 * 60)
#define ATTEMPTS_FILE_MAX (4 * 1024 * 1024)

#define CODE_LOGIN "login"
#define CODE_IDENT "ident"

int call_config(struct call *c)
{
	struct json_object *list = json_object_new_array();

	for (char **u = c->p->daemon_urls; *u; u++)
		json_object_array_add(list, json_object_new_string(*u));
	json_object_object_add(answer(c), "daemon", list);
	return 0;
}

int call_citizens(struct call *c)
{
	const struct register_db *reg = c->p->reg;
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < reg->n_citizens; i++) {
		const struct register_citizen *p = &reg->citizens[i];
		struct json_object *o = json_object_new_object();
		g_autofree char *name = g_strjoin(" ", p->surname, p->given_name, p->patronymic,
						  NULL);

		g_strstrip(name);
		json_set_string(o, "iin", p->iin);
		json_set_string(o, "name", name);
		json_set_string(o, "phone", p->phone[0] ? p->phone : NULL);
		json_set_string(o, "note", p->note);
		json_object_array_add(list, o);
	}
	json_object_object_add(answer(c), "citizens", list);
	return 0;
}

struct json_object *person_json(const struct register_citizen *p)
{
	struct json_object *o = json_object_new_object();

	json_set_string(o, "surname", p->surname);
	json_set_string(o, "givenName", p->given_name);
	json_set_string(o, "patronymic", p->patronymic);
	json_set_string(o, "iin", p->iin);
	return o;
}

int call_start(struct call *c)
{
	enum texts_lang lang = TEXTS_LANG_RU;
	struct json_object *v;
	int r;

	if (json_object_object_get_ex(c->req, "lang", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    !texts_lang_from_name(json_object_get_string(v), &lang))
			return call_fail(c, PORTAL_E_BAD_REQUEST, "lang is not kk, ru or en.");
	}
	r = application_new(c, lang, &c->app);
	if (r < 0)
		return r;
	r = session_new(c, c->app);
	if (r < 0)
		return r;
	answer_stage(c);
	return 0;
}

/* ---- resuming with a PIN ---- */

/* attempts.json: {"<iin>": {"failures": n, "last": t}}. Entries whose
 * last failure is older than the lock are dropped on every write, which
 * bounds the file by the rate of wrong tries. */
static int attempts_load(struct call *c, struct json_object **ret)
{
	int r = store_get_json(c->p->store, "", "attempts.json", ATTEMPTS_FILE_MAX, ret);

	if (r == -ENOENT) {
		*ret = json_object_new_object();
		return 0;
	}
	return r < 0 ? call_internal(c, r, "cannot read attempts.json") : 0;
}

static int attempts_save(struct call *c, struct json_object *all)
{
	_cleanup_(json_object_putp) struct json_object *kept = json_object_new_object();
	int r;

	json_object_object_foreach(all, iin, entry) {
		if (c->now - json_get_int(entry, "last") < RESUME_LOCK_SECONDS)
			json_object_object_add(kept, iin, json_object_get(entry));
	}
	r = store_put_json(c->p->store, "", "attempts.json", kept);
	return r < 0 ? call_internal(c, r, "cannot write attempts.json") : 0;
}

/* The application resumable for iin whose PIN is pin, or NULL. */
static int resumable(struct call *c, const char *iin, const char *pin, struct application **ret)
{
	_cleanup_(json_object_putp) struct json_object *index = NULL;
	_cleanup_(application_freep) struct application *a = NULL;
	int r;

	*ret = NULL;
	r = store_get_json(c->p->store, "by-iin", iin, 4096, &index);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return call_internal(c, r, "cannot read the IIN's index");
	r = application_load(c->p, json_get_string(index, "application"), &a);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return call_internal(c, r, "cannot read the IIN's application");
	if (pin_matches(json_get_string(a->j, "pin"), pin))
		*ret = TAKE_PTR(a);
	return 0;
}

int call_resume(struct call *c)
{
	_cleanup_(json_object_putp) struct json_object *attempts = NULL;
	struct json_object *entry = NULL;
	const char *iin, *pin;
	int64_t failures = 0;
	int r;

	r = req_string(c, "iin", &iin);
	if (r == 0)
		r = req_string(c, "pin", &pin);
	if (r != 0)
		return r;
	if (!register_iin_valid(iin))
		return call_fail(c, PORTAL_E_IIN_INVALID, NULL);
	if (!pin_well_formed(pin))
		return call_fail(c, PORTAL_E_PIN_INVALID, NULL);
	r = attempts_load(c, &attempts);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(attempts, iin, &entry)) {
		int64_t since = c->now - json_get_int(entry, "last");

		failures = since < RESUME_LOCK_SECONDS ? json_get_int(entry, "failures") : 0;
		if (failures >= RESUME_ATTEMPTS) {
			fail_member_int(c, "retryAfter", RESUME_LOCK_SECONDS - since);
			return call_fail(c, PORTAL_E_TOO_MANY_ATTEMPTS, NULL);
		}
	}
	r = resumable(c, iin, pin, &c->app);
	if (r < 0)
		return r;
	if (!c->app) {
		entry = json_object_new_object();
		json_set_int(entry, "failures", ++failures);
		json_set_int(entry, "last", c->now);
		json_object_object_add(attempts, iin, entry);
		r = attempts_save(c, attempts);
		if (r < 0)
			return r;
		fail_member_int(c, "attemptsLeft", RESUME_ATTEMPTS - failures);
		return call_fail(c, PORTAL_E_PIN_WRONG, NULL);
	}
	if (entry) {
		json_object_object_del(attempts, iin);
		r = attempts_save(c, attempts);
		if (r < 0)
			return r;
	}
	r = session_new(c, c->app);
	if (r < 0)
		return r;
	answer_stage(c);
	return 0;
}

int call_state(struct call *c)
{
	struct application *a = c->app;
	char masked[REGISTER_MASKED_PHONE_SIZE];
	static const char *const copied[] = { "email", "storage", "requestId" };
	struct json_object *reasons;

	answer_stage(c);
	answer_string(c, "lang", texts_lang_name(a->lang));
	if (a->citizen)
		answer_string(c, "iin", a->citizen->iin);
	app_masked_phone(a, masked);
	if (masked[0])
		answer_string(c, "maskedPhone", masked);
	if (a->stage >= STAGE_SIGNED_IN)
		json_object_object_add(answer(c), "person", person_json(a->citizen));
	for (size_t i = 0; i < G_N_ELEMENTS(copied); i++)
		if (json_get_string(a->j, copied[i]))
			answer_string(c, copied[i], json_get_string(a->j, copied[i]));
	if (a->stage == STAGE_MODERATION && json_object_object_get_ex(a->j, "reasons", &reasons))
		json_object_object_add(answer(c), "reasons", json_object_get(reasons));
	return 0;
}

/* ---- codes ---- */

static int code_send(struct call *c, const char *purpose)
{
	struct json_object *code = json_object_new_object();
	char value[8];
	uint32_t n;
	int r;

	r = random_below(1000000, &n);
	if (r < 0) {
		json_object_put(code);
		return call_internal(c, r, "no random numbers");
	}
	snprintf(value, sizeof(value), "%06u", (unsigned)n);
	json_set_string(code, "purpose", purpose);
	json_set_string(code, "value", value);
	json_set_int(code, "sent", c->now);
	json_set_int(code, "failures", 0);
	app_set(c->app, "code", code);
	r = sms_send(c, strcmp(purpose, CODE_LOGIN) == 0 ? TEXTS_SMS_LOGIN_CODE
							  : TEXTS_SMS_IDENT_CODE,
		     value);
	OPENSSL_cleanse(value, sizeof(value));
	return r;
}

static struct json_object *code_pending(struct call *c, const char *purpose)
{
	struct json_object *code;

	if (!json_object_object_get_ex(c->app->j, "code", &code) ||
	    strcmp(json_get_string(code, "purpose") ?: "", purpose) != 0)
		return NULL;
	return code;
}

/* A code of this purpose went out within --resend-seconds: asking for
 * the same again sends nothing new (a void one stays void). */
static bool code_recent(struct call *c, const char *purpose)
{
	struct json_object *code = code_pending(c, purpose);

	return code && c->now - json_get_int(code, "sent") < (int64_t)c->p->o.resend_seconds;
}

static int code_check(struct call *c, const char *purpose)
{
	struct json_object *code = code_pending(c, purpose);
	const char *given, *value;
	int64_t failures;
	int r;

	r = req_string(c, "code", &given);
	if (r != 0)
		return r;
	failures = code ? json_get_int(code, "failures") : CODE_ATTEMPTS;
	if (failures >= CODE_ATTEMPTS)
		return call_fail(c, PORTAL_E_TOO_MANY_ATTEMPTS,
				 "Too many wrong codes: ask for a new one.");
	if (c->now - json_get_int(code, "sent") >= (int64_t)c->p->o.code_ttl)
		return call_fail(c, PORTAL_E_CODE_EXPIRED, NULL);
	value = json_get_string(code, "value");
	if (!value || strlen(given) != strlen(value) ||
	    CRYPTO_memcmp(given, value, strlen(value)) != 0) {
		json_set_int(code, "failures", ++failures);
		c->app->dirty = true;
		fail_member_int(c, "attemptsLeft", CODE_ATTEMPTS - failures);
		return call_fail(c, PORTAL_E_CODE_WRONG, NULL);
	}
	app_remove(c->app, "code");
	return 0;
}

int call_iin(struct call *c)
{
	struct application *a = c->app;
	const struct register_citizen *citizen;
	char masked[REGISTER_MASKED_PHONE_SIZE];
	const char *iin;
	bool same;
	int r;

	r = req_string(c, "iin", &iin);
	if (r != 0)
		return r;
	if (!register_iin_valid(iin))
		return call_fail(c, PORTAL_E_IIN_INVALID, NULL);
	citizen = register_find(c->p->reg, iin);
	if (!citizen)
		return call_fail(c, PORTAL_E_IIN_UNKNOWN, NULL);
	same = a->citizen == citizen;
	a->citizen = citizen;
	app_set_string(a, "iin", iin);
	if (!citizen->phone[0]) {
		app_remove(a, "code");
		app_set_stage(a, STAGE_PHONE_UNREGISTERED);
		answer_stage(c);
		return 0;
	}
	if (!(same && a->stage == STAGE_CODE_SENT && code_recent(c, CODE_LOGIN))) {
		r = code_send(c, CODE_LOGIN);
		if (r != 0)
			return r;
	}
	app_set_stage(a, STAGE_CODE_SENT);
	register_mask_phone(citizen->phone, masked);
	answer_stage(c);
	answer_string(c, "maskedPhone", masked);
	answer_int(c, "codeTtl", c->p->o.code_ttl);
	return 0;
}

int call_code(struct call *c)
{
	int r = code_check(c, CODE_LOGIN);

	if (r != 0)
		return r;
	app_set_stage(c->app, STAGE_SIGNED_IN);
	answer_stage(c);
	json_object_object_add(answer(c), "person", person_json(c->app->citizen));
	return 0;
}

int call_code_resend(struct call *c)
{
	struct application *a = c->app;
	const char *purpose = a->stage == STAGE_CODE_SENT	? CODE_LOGIN
			      : a->stage == STAGE_IDENT_CODE_SENT ? CODE_IDENT
								  : NULL;
	struct json_object *code = purpose ? code_pending(c, purpose) : NULL;
	int64_t since;
	int r;

	if (!purpose)
		return call_stage_order(c);
	since = code ? c->now - json_get_int(code, "sent") : INT64_MAX;
	if (since < (int64_t)c->p->o.resend_seconds) {
		fail_member_int(c, "retryAfter", (int64_t)c->p->o.resend_seconds - since);
		return call_fail(c, PORTAL_E_RESEND_TOO_SOON, NULL);
	}
	r = code_send(c, purpose);
	if (r != 0)
		return r;
	answer_int(c, "codeTtl", c->p->o.code_ttl);
	return 0;
}

int call_inbox(struct call *c)
{
	_cleanup_(json_object_putp) struct json_object *inbox = NULL;
	char masked[REGISTER_MASKED_PHONE_SIZE];
	struct json_object *messages;
	int r;

	r = store_get_json(c->p->store, c->app->dir, "inbox.json", INBOX_FILE_MAX, &inbox);
	if (r < 0 && r != -ENOENT)
		return call_internal(c, r, "cannot read the inbox");
	app_masked_phone(c->app, masked);
	answer_string(c, "phone", masked[0] ? masked : NULL);
	if (!inbox || !json_object_object_get_ex(inbox, "messages", &messages))
		messages = NULL;
	json_object_object_add(answer(c), "messages",
			       messages ? json_object_get(messages) : json_object_new_array());
	return 0;
}

int call_ident_phone(struct call *c)
{
	struct application *a = c->app;
	char phone[REGISTER_PHONE_SIZE];
	const char *text;
	int r;

	r = req_string(c, "phone", &text);
	if (r != 0)
		return r;
	if (!register_phone_normalise(text, phone))
		return call_fail(c, PORTAL_E_PHONE_INVALID, NULL);
	if (strcmp(phone, a->citizen->phone) != 0)
		return call_fail(c, PORTAL_E_PHONE_MISMATCH, NULL);
	if (!(a->stage == STAGE_IDENT_CODE_SENT && code_recent(c, CODE_IDENT))) {
		r = code_send(c, CODE_IDENT);
		if (r != 0)
			return r;
	}
	app_set_stage(a, STAGE_IDENT_CODE_SENT);
	answer_stage(c);
	answer_int(c, "codeTtl", c->p->o.code_ttl);
	return 0;
}

int call_ident_code(struct call *c)
{
	int r = code_check(c, CODE_IDENT);

	if (r != 0)
		return r;
	app_set_stage(c->app, STAGE_IDENTIFIED_PHONE);
	answer_stage(c);
	return 0;
}
