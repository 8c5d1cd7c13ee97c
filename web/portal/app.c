/* app: the portal's lifetime, the call table, the stages, sessions and
 * applications, and the error table. */
#include "web/portal/app-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define JSON_DEPTH_MAX 32
/* application.json and a session file stay small; anything larger is
 * not ours. */
#define APPLICATION_FILE_MAX (1024 * 1024)
#define SESSION_FILE_MAX 4096

static const char *const default_daemons[] = {
	"wss://127.0.0.1:13579",
	"ws://127.0.0.1:13579",
	NULL,
};

/* ---- errors: the one place codes, statuses and texts are mapped ---- */

static const struct {
	const char *code;
	unsigned status;
	const char *message;
} errors[] = {
	[PORTAL_E_BAD_REQUEST] = { "BAD_REQUEST", 400,
				   "The body is not a JSON object with the members this call "
				   "needs." },
	[PORTAL_E_TOO_LARGE] = { "TOO_LARGE", 413, "The body is larger than 16 MiB." },
	[PORTAL_E_NOT_FOUND] = { "NOT_FOUND", 404, "There is nothing at this path." },
	[PORTAL_E_METHOD_NOT_ALLOWED] = { "METHOD_NOT_ALLOWED", 405,
					  "This path does not answer this method." },
	[PORTAL_E_NO_SESSION] = { "NO_SESSION", 401,
				  "There is no application for this browser session." },
	[PORTAL_E_STAGE_ORDER] = { "STAGE_ORDER", 409,
				   "This step does not belong to the application's current "
				   "stage." },
	[PORTAL_E_IIN_INVALID] = { "IIN_INVALID", 400,
				   "The IIN is not 12 digits with a valid check digit." },
	[PORTAL_E_IIN_UNKNOWN] = { "IIN_UNKNOWN", 404, "The IIN is not in the register." },
	[PORTAL_E_CODE_WRONG] = { "CODE_WRONG", 400, "The code is wrong." },
	[PORTAL_E_CODE_EXPIRED] = { "CODE_EXPIRED", 400,
				    "The code has expired; ask for a new one." },
	[PORTAL_E_TOO_MANY_ATTEMPTS] = { "TOO_MANY_ATTEMPTS", 429, "Too many wrong attempts." },
	[PORTAL_E_RESEND_TOO_SOON] = { "RESEND_TOO_SOON", 429,
				       "A new code cannot be sent yet." },
	[PORTAL_E_PHONE_INVALID] = { "PHONE_INVALID", 400,
				     "The phone number is not +7 or 8 and 10 digits." },
	[PORTAL_E_PHONE_MISMATCH] = { "PHONE_MISMATCH", 400,
				      "The phone number is not the one registered for this IIN." },
	[PORTAL_E_IMAGE_INVALID] = { "IMAGE_INVALID", 400,
				     "The image is not a JPEG of at least 320x240 and at most "
				     "8 MiB." },
	[PORTAL_E_VIDEO_INVALID] = { "VIDEO_INVALID", 400,
				     "The video is not a WebM of the prompts given." },
	[PORTAL_E_PIN_INVALID] = { "PIN_INVALID", 400, "The PIN is not exactly 6 digits." },
	[PORTAL_E_PIN_WEAK] = { "PIN_WEAK", 400, "The PIN is too easy to guess." },
	[PORTAL_E_PIN_WRONG] = { "PIN_WRONG", 400,
				 "There is no application for this IIN and PIN." },
	[PORTAL_E_CONSENT_REQUIRED] = { "CONSENT_REQUIRED", 400,
					"The step needs the person's consent." },
	[PORTAL_E_AGREEMENT_VERSION] = { "AGREEMENT_VERSION", 409,
					 "The agreement accepted is not the current one." },
	[PORTAL_E_EMAIL_INVALID] = { "EMAIL_INVALID", 400, "The e-mail address is not valid." },
	[PORTAL_E_STORAGE_INVALID] = { "STORAGE_INVALID", 400, "The storage type is not known." },
	[PORTAL_E_CSR_INVALID] = { "CSR_INVALID", 400, "The certificate request is not valid." },
	[PORTAL_E_CSR_MISMATCH] = { "CSR_MISMATCH", 400,
				    "The certificate request is not the application's." },
	[PORTAL_E_SIGNATURE_INVALID] = { "SIGNATURE_INVALID", 400,
					 "The signature is not valid." },
	[PORTAL_E_INTERNAL] = { "INTERNAL", 500, "The portal failed; its log says why." },
};

static void reply_json(struct portal_reply *r, unsigned status, struct json_object *o)
{
	size_t len = 0;
	const char *text = json_object_to_json_string_length(o, JSON_FLAGS, &len);

	r->status = status;
	r->body = g_strndup(text, len);
	r->body_len = len;
	r->content_type = "application/json; charset=utf-8";
}

static void reply_error(struct portal_reply *r, enum portal_error e, const char *message,
			struct json_object *extra)
{
	_cleanup_(json_object_putp) struct json_object *root = json_object_new_object();
	struct json_object *error = json_object_new_object();

	json_set_string(error, "code", errors[e].code);
	json_set_string(error, "message", message ? message : errors[e].message);
	if (extra) {
		json_object_object_foreach(extra, k, v)
			json_object_object_add(error, k, json_object_get(v));
	}
	json_object_object_add(root, "error", error);
	g_free(r->body);
	reply_json(r, errors[e].status, root);
	r->error = errors[e].code;
}

void portal_reply_error(struct portal_reply *r, enum portal_error e, const char *message)
{
	reply_error(r, e, message, NULL);
}

void portal_reply_clear(struct portal_reply *r)
{
	g_free(r->body);
	g_free(r->attachment);
	g_free(r->session);
	g_free(r->log);
	*r = PORTAL_REPLY_NULL;
}

/* ---- the call table ---- */

struct route {
	enum portal_method method;
	const char *path;
	int (*fn)(struct call *c);
	bool session;
	/* Stages the call may be made in (session calls). */
	enum stage from, to;
};

#define GET PORTAL_METHOD_GET
#define POST PORTAL_METHOD_POST
#define ANY_STAGE STAGE_STARTED, STAGE_INSTALLED

static const struct route routes[] = {
	{ GET, "/api/config", call_config, false, ANY_STAGE },
	{ GET, "/api/demo/citizens", call_citizens, false, ANY_STAGE },
	{ POST, "/api/start", call_start, false, ANY_STAGE },
	{ POST, "/api/resume", call_resume, false, ANY_STAGE },
	{ GET, "/api/state", call_state, true, ANY_STAGE },
	{ GET, "/api/inbox", call_inbox, true, ANY_STAGE },
	{ POST, "/api/iin", call_iin, true, STAGE_STARTED, STAGE_CODE_SENT },
	{ POST, "/api/code", call_code, true, STAGE_CODE_SENT, STAGE_CODE_SENT },
	/* The call itself turns down signed-in, which has no code pending. */
	{ POST, "/api/code/resend", call_code_resend, true, STAGE_CODE_SENT,
	  STAGE_IDENT_CODE_SENT },
	{ POST, "/api/ident/phone", call_ident_phone, true, STAGE_SIGNED_IN,
	  STAGE_IDENT_CODE_SENT },
	{ POST, "/api/ident/code", call_ident_code, true, STAGE_IDENT_CODE_SENT,
	  STAGE_IDENT_CODE_SENT },
	{ POST, "/api/selfie", call_selfie, true, STAGE_IDENTIFIED_PHONE, STAGE_SELFIE },
	{ GET, "/api/video/prompts", call_video_prompts, true, STAGE_SELFIE, STAGE_INSTALLED },
	{ POST, "/api/video", call_video, true, STAGE_SELFIE, STAGE_VIDEO },
	{ POST, "/api/pin", call_pin, true, STAGE_VIDEO, STAGE_PIN },
	/* The call checks the side against the stage. */
	{ POST, "/api/document", call_document, true, STAGE_PIN, STAGE_DOCUMENTS },
	{ GET, "/api/recognised", call_recognised, true, STAGE_DOCUMENTS, STAGE_INSTALLED },
	{ POST, "/api/confirm", call_confirm, true, STAGE_DOCUMENTS, STAGE_DOCUMENTS },
	{ POST, "/api/consent", call_consent, true, STAGE_VERIFIED, STAGE_CONSENTED },
	{ GET, "/api/agreement", call_agreement_get, true, ANY_STAGE },
	{ POST, "/api/agreement", call_agreement, true, STAGE_CONSENTED, STAGE_AGREED },
	{ POST, "/api/application", call_application, true, STAGE_AGREED, STAGE_APPLIED },
	{ POST, "/api/request", call_request, true, STAGE_APPLIED, STAGE_REQUESTED },
	{ GET, "/api/certificate", call_certificate, true, STAGE_REQUESTED, STAGE_INSTALLED },
	{ GET, "/api/files/certificate.cer", call_file_certificate, true, STAGE_ISSUED,
	  STAGE_INSTALLED },
	{ GET, "/api/files/ca.cer", call_file_ca, true, ANY_STAGE },
	{ POST, "/api/installed", call_installed, true, STAGE_ISSUED, STAGE_INSTALLED },
	{ GET, "/api/sample", call_sample, true, ANY_STAGE },
	{ POST, "/api/verify", call_verify, true, ANY_STAGE },
};

#undef GET
#undef POST

bool portal_knows(const char *path)
{
	for (size_t i = 0; i < G_N_ELEMENTS(routes); i++)
		if (strcmp(routes[i].path, path) == 0)
			return true;
	return false;
}

/* ---- stages ---- */

static const char *const stage_names[] = {
	[STAGE_STARTED] = "started",
	[STAGE_PHONE_UNREGISTERED] = "phone-unregistered",
	[STAGE_CODE_SENT] = "code-sent",
	[STAGE_SIGNED_IN] = "signed-in",
	[STAGE_IDENT_CODE_SENT] = "ident-code-sent",
	[STAGE_IDENTIFIED_PHONE] = "identified-phone",
	[STAGE_SELFIE] = "selfie",
	[STAGE_VIDEO] = "video",
	[STAGE_PIN] = "pin",
	[STAGE_DOCUMENT_FRONT] = "document-front",
	[STAGE_DOCUMENTS] = "documents",
	[STAGE_MODERATION] = "moderation",
	[STAGE_VERIFIED] = "verified",
	[STAGE_CONSENTED] = "consented",
	[STAGE_AGREED] = "agreed",
	[STAGE_APPLIED] = "applied",
	[STAGE_REQUESTED] = "requested",
	[STAGE_ISSUED] = "issued",
	[STAGE_INSTALLED] = "installed",
};

const char *stage_name(enum stage s)
{
	return stage_names[s];
}

static bool stage_from_name(const char *name, enum stage *ret)
{
	for (size_t i = 0; name && i < G_N_ELEMENTS(stage_names); i++)
		if (strcmp(stage_names[i], name) == 0) {
			*ret = (enum stage)i;
			return true;
		}
	return false;
}

/* ---- applications and sessions ---- */

static bool is_hex(const char *s, size_t len)
{
	if (!s || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
			return false;
	return true;
}

struct application *application_free(struct application *a)
{
	if (!a)
		return NULL;
	json_object_put(a->j);
	g_free(a);
	return NULL;
}

static struct application *application_alloc(const char *id)
{
	struct application *a = g_new0(struct application, 1);

	g_strlcpy(a->id, id, sizeof(a->id));
	snprintf(a->dir, sizeof(a->dir), "applications/%s", id);
	return a;
}

int application_load(struct portal *p, const char *id, struct application **ret)
{
	_cleanup_(application_freep) struct application *a = NULL;
	const char *iin;
	int r;

	if (!is_hex(id, APP_ID_SIZE - 1))
		return -ENOENT;
	a = application_alloc(id);
	r = store_get_json(p->store, a->dir, "application.json", APPLICATION_FILE_MAX, &a->j);
	if (r < 0)
		return r;
	if (!stage_from_name(json_get_string(a->j, "stage"), &a->stage) ||
	    !texts_lang_from_name(json_get_string(a->j, "lang") ?: "", &a->lang))
		return -EBADMSG;
	iin = json_get_string(a->j, "iin");
	if (iin) {
		a->citizen = register_find(p->reg, iin);
		/* The register lost a citizen the application has. */
		if (!a->citizen)
			return -ESTALE;
	}
	*ret = TAKE_PTR(a);
	return 0;
}

static int application_save(struct portal *p, struct application *a)
{
	int r = store_put_json(p->store, a->dir, "application.json", a->j);

	if (r == 0)
		a->dirty = false;
	return r;
}

int application_new(struct call *c, enum texts_lang lang, struct application **ret)
{
	_cleanup_(application_freep) struct application *a = NULL;
	struct json_object *prompts;
	char id[APP_ID_SIZE];
	int r;

	r = random_hex(16, id);
	prompts = r == 0 ? video_prompts_draw() : NULL;
	if (!prompts)
		return call_internal(c, -EIO, "no random numbers");
	a = application_alloc(id);
	a->j = json_object_new_object();
	a->lang = lang;
	json_set_string(a->j, "id", id);
	json_set_int(a->j, "created", c->now);
	json_set_string(a->j, "lang", texts_lang_name(lang));
	json_object_object_add(a->j, "prompts", prompts);
	app_set_stage(a, STAGE_STARTED);
	r = store_mkdir(c->p->store, a->dir);
	if (r < 0)
		return call_internal(c, r, "cannot create the application's folder");
	r = store_put_json_new(c->p->store, a->dir, "application.json", a->j);
	if (r < 0)
		return call_internal(c, r, "cannot write the application");
	a->dirty = false;
	*ret = TAKE_PTR(a);
	return 0;
}

int session_new(struct call *c, struct application *a)
{
	_cleanup_(json_object_putp) struct json_object *s = json_object_new_object();
	char sid[SESSION_ID_SIZE];
	int r;

	r = random_hex(32, sid);
	if (r < 0)
		return call_internal(c, r, "no random numbers");
	json_set_string(s, "application", a->id);
	json_set_int(s, "created", c->now);
	r = store_put_json_new(c->p->store, "sessions", sid, s);
	if (r < 0)
		return call_internal(c, r, "cannot write the session");
	g_free(c->reply->session);
	c->reply->session = g_strdup(sid);
	return 0;
}

/* The session's application: -ENOENT when there is none. */
static int session_application(struct portal *p, const char *sid, struct application **ret)
{
	_cleanup_(json_object_putp) struct json_object *s = NULL;
	int r;

	if (!is_hex(sid, SESSION_ID_SIZE - 1))
		return -ENOENT;
	r = store_get_json(p->store, "sessions", sid, SESSION_FILE_MAX, &s);
	if (r < 0)
		return r;
	return application_load(p, json_get_string(s, "application"), ret);
}

/* ---- the portal ---- */

static time_t system_clock(void *ctx)
{
	return time(NULL);
}

struct portal *portal_free(struct portal *p)
{
	if (!p)
		return NULL;
	testca_free(p->ca);
	register_free(p->reg);
	store_free(p->store);
	g_strfreev(p->daemon_urls);
	g_free((char *)p->o.data_dir);
	g_free((char *)p->o.register_path);
	g_free(p);
	return NULL;
}

static void portal_freep(struct portal **p)
{
	portal_free(*p);
}

static int open_ca(struct portal *p, char **ret_why)
{
	g_autofree char *dir = store_path(p->store, "ca", NULL);
	int r;

	r = testca_open(dir, &p->ca);
	if (r == -ENOENT)
		r = testca_create(dir, NULL, &p->ca);
	if (r != 0 && ret_why)
		*ret_why = g_strdup_printf("the test CA in %s cannot be %s: %s", dir,
					   r == TESTCA_E_EXISTS ? "made (a part of it exists)"
								: "opened",
					   r < 0		       ? g_strerror(-r)
					   : r == TESTCA_E_CORRUPT ? "a file is corrupt"
								   : "failed");
	return r;
}

int portal_new(const struct portal_options *o, struct portal **ret, char **ret_why)
{
	_cleanup_(portal_freep) struct portal *p = g_new0(struct portal, 1);
	static const char *const dirs[] = { "applications", "sessions", "by-iin" };
	char *why = NULL;
	int r;

	p->o = *o;
	p->o.data_dir = g_strdup(o->data_dir);
	p->o.register_path = g_strdup(o->register_path);
	if (!p->o.clock)
		p->o.clock = system_clock;
	p->daemon_urls = g_strdupv((char **)(o->daemon_urls && o->daemon_urls[0]
						     ? o->daemon_urls
						     : default_daemons));
	r = register_load(o->register_path, &p->reg, &why);
	if (r != 0) {
		if (ret_why)
			*ret_why = g_strdup_printf("the register %s: %s", o->register_path, why);
		g_free(why);
		return r;
	}
	r = store_open(o->data_dir, &p->store);
	for (size_t i = 0; r == 0 && i < G_N_ELEMENTS(dirs); i++)
		r = store_mkdir(p->store, dirs[i]);
	if (r < 0) {
		if (ret_why)
			*ret_why = g_strdup_printf("the data folder %s: %s", o->data_dir,
						   g_strerror(-r));
		return r;
	}
	r = open_ca(p, ret_why);
	if (r != 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

/* The body as a JSON object ({} when empty), or NULL. */
static struct json_object *parse_body(const char *body, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t end;

	if (len == 0)
		return json_object_new_object();
	if (len > PORTAL_BODY_MAX || memchr(body, '\0', len))
		return NULL;
	tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		while (end < len && g_ascii_isspace(body[end]))
			end++;
	} else {
		end = 0;
	}
	json_tokener_free(tok);
	if (!o || end != len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static const struct route *route_find(enum portal_method method, const char *path,
				      bool *ret_path_known)
{
	*ret_path_known = false;
	for (size_t i = 0; i < G_N_ELEMENTS(routes); i++) {
		if (strcmp(routes[i].path, path) != 0)
			continue;
		*ret_path_known = true;
		if (routes[i].method == method)
			return &routes[i];
	}
	return NULL;
}

static int serve(struct call *c, const struct route *route, const char *session, const char *body,
		 size_t len)
{
	int r;

	if (route->method == PORTAL_METHOD_POST) {
		c->req = parse_body(body, len);
		if (!c->req)
			return call_fail(c, PORTAL_E_BAD_REQUEST,
					 "The body is not one JSON object.");
	}
	if (route->session) {
		r = session_application(c->p, session, &c->app);
		if (r == -ENOENT)
			return call_fail(c, PORTAL_E_NO_SESSION, NULL);
		if (r < 0)
			return call_internal(c, r, "cannot read the session's application");
		if (c->app->stage < route->from || c->app->stage > route->to)
			return call_stage_order(c);
	}
	return route->fn(c);
}

void portal_handle(struct portal *p, enum portal_method method, const char *path,
		   const char *session, const char *body, size_t len, struct portal_reply *ret)
{
	struct call c = { .p = p, .now = p->o.clock(p->o.clock_ctx), .reply = ret };
	const struct route *route;
	bool known;
	int r;

	*ret = PORTAL_REPLY_NULL;
	route = route_find(method, path, &known);
	if (!route) {
		portal_reply_error(ret, known ? PORTAL_E_METHOD_NOT_ALLOWED : PORTAL_E_NOT_FOUND,
				   NULL);
		return;
	}
	r = serve(&c, route, session, body, len);
	/* Attempts counted by a failing call are kept too. */
	if (c.app && c.app->dirty) {
		int s = application_save(p, c.app);

		if (s < 0)
			r = call_internal(&c, s, "cannot write the application");
	}
	if (r < 0) {
		g_free(ret->session);
		ret->session = NULL;
		reply_error(ret, PORTAL_E_INTERNAL, NULL, NULL);
		ret->log = TAKE_PTR(c.log);
		if (!ret->log)
			ret->log = g_strdup(g_strerror(-r));
	} else if (r > 0) {
		reply_error(ret, (enum portal_error)r, c.error_message, c.error_extra);
	} else if (c.answer) {
		reply_json(ret, 200, c.answer);
	} else if (!ret->body) {
		reply_json(ret, 200, answer(&c));
	}
	json_object_put(c.answer);
	json_object_put(c.error_extra);
	json_object_put(c.req);
	application_free(c.app);
	g_free(c.log);
}
