/* demo portal: every call of web/portal/API.md through portal_handle(),
 * without HTTP: the happy path to installed keys and every error code,
 * with a fake clock; a signature made by a key the portal certified;
 * a restart in the middle. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "daemon/crypto/cades.h"
#include "daemon/crypto/csr.h"
#include "daemon/crypto/kzgost.h"
#include "daemon/crypto/signer.h"
#include "daemon/crypto/xmldsig.h"
#include "tests/unit/test-util.h"
#include "web/portal/app.h"
#include "web/portal/media.h"
#include "web/portal/register.h"
#include "web/testca/testca.h"

#define GET PORTAL_METHOD_GET
#define POST PORTAL_METHOD_POST

/* 2025-11-24T16:00:00Z */
#define T0 1764000000

#define AKHMETOV "900115300013"
#define SEITKALIEVA "920621400024"
#define BEKOV "850303300033"
#define OMAROVA "781211400047"

struct fixture {
	char *dir;
	struct portal *p;
	time_t now;
	char *sid;
	GPtrArray *sms; /* "masked: text" */
	/* What the walk made on the way. */
	struct csr_key *key;
	char *cert_pem;
	char *iin;
};

static time_t fake_clock(void *ctx)
{
	struct fixture *f = ctx;

	return f->now;
}

static void capture_sms(void *ctx, const char *masked, const char *text)
{
	struct fixture *f = ctx;

	g_ptr_array_add(f->sms, g_strdup_printf("%s: %s", masked, text));
}

static void fixture_open(struct fixture *f)
{
	const struct portal_options o = {
		.data_dir = f->dir,
		.register_path = PORTAL_REGISTER,
		.code_ttl = PORTAL_CODE_TTL_DEFAULT,
		.resend_seconds = PORTAL_RESEND_SECONDS_DEFAULT,
		.issue_delay = PORTAL_ISSUE_DELAY_DEFAULT,
		.clock = fake_clock,
		.clock_ctx = f,
		.sms = capture_sms,
		.sms_ctx = f,
	};
	char *why = NULL;
	int r = portal_new(&o, &f->p, &why);

	if (r != 0)
		g_test_message("portal_new: %d %s", r, why ? why : "");
	g_assert_cmpint(r, ==, 0);
}

static void setup(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("test-demo-portal-XXXXXX", &error);
	g_assert_no_error(error);
	f->now = T0;
	f->sms = g_ptr_array_new_with_free_func(g_free);
	fixture_open(f);
}

static void teardown(struct fixture *f, gconstpointer data)
{
	portal_free(f->p);
	test_rm_rf(f->dir);
	g_free(f->dir);
	g_free(f->sid);
	g_free(f->cert_pem);
	g_free(f->iin);
	csr_key_free(f->key);
	g_ptr_array_unref(f->sms);
}

/* ---- calling ---- */

static unsigned last_status;

/* One call; the answer's JSON (the caller puts it). A new session from
 * the reply replaces the fixture's. */
static struct json_object *api_with(struct fixture *f, const char *sid, enum portal_method m,
				    const char *path, const char *body)
{
	struct portal_reply r = PORTAL_REPLY_NULL;
	struct json_object *o;

	portal_handle(f->p, m, path, sid, body ? body : "", body ? strlen(body) : 0, &r);
	last_status = r.status;
	if (r.log)
		g_test_message("%s: %s", path, r.log);
	if (r.session) {
		g_free(f->sid);
		f->sid = g_strdup(r.session);
	}
	g_assert_cmpstr(r.content_type, ==, "application/json; charset=utf-8");
	o = json_tokener_parse(r.body);
	g_assert_nonnull(o);
	portal_reply_clear(&r);
	return o;
}

static struct json_object *api(struct fixture *f, enum portal_method m, const char *path,
			       const char *body)
{
	return api_with(f, f->sid, m, path, body);
}

static const char *str(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t num(struct json_object *o, const char *name)
{
	struct json_object *v;

	g_assert_true(json_object_object_get_ex(o, name, &v));
	return json_object_get_int64(v);
}

static struct json_object *member(struct json_object *o, const char *name)
{
	struct json_object *v = NULL;

	g_assert_true(json_object_object_get_ex(o, name, &v));
	return v;
}

/* A successful call; returns the answer. */
static struct json_object *ok(struct fixture *f, enum portal_method m, const char *path,
			      const char *body)
{
	struct json_object *o = api(f, m, path, body);

	if (last_status != 200)
		g_test_message("%s %s", path, json_object_to_json_string(o));
	g_assert_cmpuint(last_status, ==, 200);
	return o;
}

/* A failing call: its status and code; returns the error object (owned
 * by *holder, which the caller puts). */
static struct json_object *fails_with(struct fixture *f, enum portal_method m, const char *path,
				      const char *body, unsigned status, const char *code,
				      struct json_object **holder)
{
	struct json_object *o = api(f, m, path, body), *e;

	if (last_status != status)
		g_test_message("%s %s", path, json_object_to_json_string(o));
	g_assert_cmpuint(last_status, ==, status);
	e = member(o, "error");
	g_assert_cmpstr(str(e, "code"), ==, code);
	g_assert_nonnull(str(e, "message"));
	*holder = o;
	return e;
}

static void fails(struct fixture *f, enum portal_method m, const char *path, const char *body,
		  unsigned status, const char *code)
{
	struct json_object *holder;

	fails_with(f, m, path, body, status, code, &holder);
	json_object_put(holder);
}

static void expect_stage(struct fixture *f, enum portal_method m, const char *path,
			 const char *body, const char *stage)
{
	struct json_object *o = ok(f, m, path, body);

	g_assert_cmpstr(str(o, "stage"), ==, stage);
	json_object_put(o);
}

static char *current_stage(struct fixture *f)
{
	struct json_object *o = ok(f, GET, "/api/state", NULL);
	char *s = g_strdup(str(o, "stage"));

	json_object_put(o);
	return s;
}

static void stage_order(struct fixture *f, enum portal_method m, const char *path,
			const char *body, const char *stage)
{
	struct json_object *holder;
	struct json_object *e = fails_with(f, m, path, body, 409, "STAGE_ORDER", &holder);

	g_assert_cmpstr(str(e, "stage"), ==, stage);
	json_object_put(holder);
}

/* The code in the last SMS. */
static char *last_code(struct fixture *f)
{
	const char *text;

	g_assert_cmpuint(f->sms->len, >, 0);
	text = g_ptr_array_index(f->sms, f->sms->len - 1);
	for (const char *s = text; *s; s++) {
		size_t n = strspn(s, "0123456789");

		if (n == 6)
			return g_strndup(s, 6);
		if (n)
			s += n - 1;
	}
	g_assert_not_reached();
}

static char *body_code(struct fixture *f)
{
	g_autofree char *code = last_code(f);

	return g_strdup_printf("{\"code\":\"%s\"}", code);
}

/* ---- media ---- */

/* A JPEG of w×h with frame marker FF sof; eoi: with its end marker. */
static char *jpeg_base64(uint8_t sof, unsigned w, unsigned h, bool eoi)
{
	static const guint8 soi_app0[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F',  'I',
					   'F',	 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
					   0x00, 0x00 };
	guint8 frame[] = { 0xff, sof,  0x00, 0x11, 0x08, h >> 8, h & 0xff, w >> 8, w & 0xff, 0x03,
			   0x01, 0x22, 0x00, 0x02, 0x11, 0x01,	 0x03,	   0x11,   0x01 };
	static const guint8 scan[] = { 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11,
				       0x03, 0x11, 0x00, 0x3f, 0x00, 0x12, 0x34, 0xff, 0x00,
				       0x56, 0x78 };
	static const guint8 end[] = { 0xff, 0xd9 };
	g_autoptr(GByteArray) b = g_byte_array_new();

	g_byte_array_append(b, soi_app0, sizeof(soi_app0));
	g_byte_array_append(b, frame, sizeof(frame));
	g_byte_array_append(b, scan, sizeof(scan));
	if (eoi)
		g_byte_array_append(b, end, sizeof(end));
	return g_base64_encode(b->data, b->len);
}

static char *image_body(const char *side, uint8_t sof, unsigned w, unsigned h, bool eoi)
{
	g_autofree char *b64 = jpeg_base64(sof, w, h, eoi);

	if (side)
		return g_strdup_printf("{\"side\":\"%s\",\"image\":\"%s\"}", side, b64);
	return g_strdup_printf("{\"image\":\"%s\"}", b64);
}

/* A WebM head: EBML header with DocType doctype, then a Segment of
 * unknown size and a few bytes. */
static GByteArray *webm_bytes(const char *doctype, bool segment)
{
	static const guint8 ebml_version[] = { 0x42, 0x86, 0x81, 0x01 };
	static const guint8 segment_head[] = { 0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff,
					       0xff, 0xff, 0xff, 0xff, 0x15, 0x49, 0xa9, 0x66 };
	guint8 head[] = { 0x1a, 0x45, 0xdf, 0xa3, 0 };
	guint8 doctype_head[] = { 0x42, 0x82, 0x80 | (guint8)strlen(doctype) };
	GByteArray *b = g_byte_array_new();

	head[4] = 0x80 | (guint8)(sizeof(ebml_version) + sizeof(doctype_head) + strlen(doctype));
	g_byte_array_append(b, head, sizeof(head));
	g_byte_array_append(b, ebml_version, sizeof(ebml_version));
	g_byte_array_append(b, doctype_head, sizeof(doctype_head));
	g_byte_array_append(b, (const guint8 *)doctype, (guint)strlen(doctype));
	if (segment)
		g_byte_array_append(b, segment_head, sizeof(segment_head));
	return b;
}

static char *video_body(const char *doctype, bool segment, const char *prompts)
{
	g_autoptr(GByteArray) b = webm_bytes(doctype, segment);
	g_autofree char *b64 = g_base64_encode(b->data, b->len);

	return g_strdup_printf("{\"video\":\"%s\",\"prompts\":%s}", b64, prompts);
}

/* The prompt ids of GET /api/video/prompts as a JSON array text. */
static char *prompts_of(struct fixture *f)
{
	struct json_object *o = ok(f, GET, "/api/video/prompts", NULL);
	struct json_object *list = member(o, "prompts"), *ids = json_object_new_array();
	char *text;

	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *prompt = json_object_array_get_idx(list, i);

		json_object_array_add(ids, json_object_get(member(prompt, "id")));
	}
	text = g_strdup(json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN));
	json_object_put(ids);
	json_object_put(o);
	return text;
}

/* ---- the walk ---- */

/* The register as the tests read it. */
static struct register_db *test_register;

static const struct register_citizen *citizen(const char *iin)
{
	if (!test_register)
		g_assert_cmpint(register_load(PORTAL_REGISTER, &test_register, NULL), ==, 0);
	return register_find(test_register, iin);
}

static char *csr_for(struct fixture *f, struct json_object *subject, enum csr_algorithm alg,
		     struct csr_key **ret_key)
{
	const struct csr_subject s = {
		.common_name = str(subject, "CN"),
		.surname = str(subject, "SURNAME"),
		.serial_number = str(subject, "SERIALNUMBER"),
		.country = str(subject, "C"),
		.given_name = str(subject, "GIVENNAME"),
		.email = str(subject, "E"),
	};
	struct csr_key *k = NULL;
	char *pem = NULL;

	g_assert_cmpint(csr_key_generate(alg, &k), ==, 0);
	g_assert_cmpint(csr_build(k, &s, CSR_STORAGE_OID_PKCS12, &pem), ==, 0);
	*ret_key = k;
	return pem;
}

static char *request_body(const char *pem, const char *request_id)
{
	struct json_object *o = json_object_new_object();
	char *text;

	json_object_object_add(o, "csr", json_object_new_string(pem));
	json_object_object_add(o, "requestId", json_object_new_string(request_id));
	text = g_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

/* The subject the application answer asked for. */
static struct json_object *applied_subject;

/* Walk the application of iin on to stage target. */
static void walk_to(struct fixture *f, const char *iin, const char *target)
{
	const struct register_citizen *c = citizen(iin);
	g_autofree char *stage = NULL;

	g_free(f->iin);
	f->iin = g_strdup(iin);
	expect_stage(f, POST, "/api/start", "{}", "started");
	for (;;) {
		g_autofree char *body = NULL;

		g_free(stage);
		stage = current_stage(f);
		if (strcmp(stage, target) == 0)
			return;
		if (strcmp(stage, "started") == 0) {
			body = g_strdup_printf("{\"iin\":\"%s\"}", iin);
			expect_stage(f, POST, "/api/iin", body, "code-sent");
		} else if (strcmp(stage, "code-sent") == 0) {
			body = body_code(f);
			expect_stage(f, POST, "/api/code", body, "signed-in");
		} else if (strcmp(stage, "signed-in") == 0) {
			body = g_strdup_printf("{\"phone\":\"%s\"}", c->phone);
			expect_stage(f, POST, "/api/ident/phone", body, "ident-code-sent");
		} else if (strcmp(stage, "ident-code-sent") == 0) {
			body = body_code(f);
			expect_stage(f, POST, "/api/ident/code", body, "identified-phone");
		} else if (strcmp(stage, "identified-phone") == 0) {
			body = image_body(NULL, 0xc0, 640, 480, true);
			expect_stage(f, POST, "/api/selfie", body, "selfie");
		} else if (strcmp(stage, "selfie") == 0) {
			g_autofree char *prompts = prompts_of(f);

			body = video_body("webm", true, prompts);
			expect_stage(f, POST, "/api/video", body, "video");
		} else if (strcmp(stage, "video") == 0) {
			expect_stage(f, POST, "/api/pin", "{\"pin\":\"482915\"}", "pin");
		} else if (strcmp(stage, "pin") == 0) {
			body = image_body("front", 0xc2, 1280, 800, true);
			expect_stage(f, POST, "/api/document", body, "document-front");
		} else if (strcmp(stage, "document-front") == 0) {
			body = image_body("back", 0xc0, 1280, 800, true);
			expect_stage(f, POST, "/api/document", body, "documents");
		} else if (strcmp(stage, "documents") == 0) {
			struct json_object *rec = ok(f, GET, "/api/recognised", NULL);

			body = g_strdup(json_object_to_json_string(rec));
			json_object_put(rec);
			expect_stage(f, POST, "/api/confirm", body, "verified");
		} else if (strcmp(stage, "verified") == 0) {
			expect_stage(f, POST, "/api/consent", "{\"consent\":true}", "consented");
		} else if (strcmp(stage, "consented") == 0) {
			expect_stage(f, POST, "/api/agreement",
				     "{\"accepted\":true,\"version\":\"2026-1\"}", "agreed");
		} else if (strcmp(stage, "agreed") == 0) {
			struct json_object *o = ok(f, POST, "/api/application",
						   "{\"email\":\"a@b.kz\",\"storage\":\"PKCS12\"}");

			json_object_put(applied_subject);
			applied_subject = json_object_get(member(member(o, "csr"), "subject"));
			json_object_put(o);
		} else if (strcmp(stage, "applied") == 0) {
			g_autofree char *pem = NULL;

			csr_key_free(f->key);
			pem = csr_for(f, applied_subject, CSR_ALG_GOST512, &f->key);
			body = request_body(pem, "req-1");
			expect_stage(f, POST, "/api/request", body, "requested");
		} else if (strcmp(stage, "requested") == 0) {
			struct json_object *o;

			f->now += PORTAL_ISSUE_DELAY_DEFAULT;
			o = ok(f, GET, "/api/certificate", NULL);
			g_assert_cmpstr(str(o, "status"), ==, "issued");
			g_free(f->cert_pem);
			f->cert_pem = g_strdup(str(o, "certificate"));
			json_object_put(o);
		} else if (strcmp(stage, "issued") == 0) {
			char id[41];

			g_assert_cmpint(csr_key_id(f->key, id), ==, 0);
			body = g_strdup_printf(
				"{\"fileName\":\"GOST512_%s.p12\",\"keyId\":\"%s\"}", id, id);
			expect_stage(f, POST, "/api/installed", body, "installed");
		} else {
			g_test_message("the walk cannot leave stage %s", stage);
			g_assert_not_reached();
		}
	}
}

/* ---- the register ---- */

static void test_iin_checksum(void)
{
	static const struct {
		const char *iin;
		bool valid;
	} cases[] = {
		{ AKHMETOV, true },
		{ SEITKALIEVA, true },
		{ BEKOV, true },
		{ OMAROVA, true },
		/* The first sum is 10: the second weights (3..11, 1, 2) decide. */
		{ "900115300401", true },
		{ "920621400502", true },
		{ "900115300400", false },
		/* Both sums are 10: never issued, whatever the last digit. */
		{ "900115000510", false },
		{ "900115000515", false },
		{ "900115000519", false },
		{ "900115300014", false },
		{ "90011530001", false },
		{ "9001153000133", false },
		{ "90011530001a", false },
		{ "", false },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("%s", cases[i].iin);
		g_assert_cmpint(register_iin_valid(cases[i].iin), ==, cases[i].valid);
	}
}

static void test_phone_normalise(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "+77011234567", "+77011234567" }, { "87011234567", "+77011234567" },
		{ "8 (701) 123-45-67", "+77011234567" }, { "+7 701 123 45 67", "+77011234567" },
		{ "+87011234567", NULL }, { "77011234567", NULL }, { "+7701123456", NULL },
		{ "+770112345678", NULL }, { "+7701123456x", NULL }, { "", NULL },
	};
	char masked[REGISTER_MASKED_PHONE_SIZE];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char got[REGISTER_PHONE_SIZE];
		bool ok_ = register_phone_normalise(cases[i].text, got);

		g_test_message("%s", cases[i].text);
		g_assert_cmpint(ok_, ==, cases[i].want != NULL);
		if (ok_)
			g_assert_cmpstr(got, ==, cases[i].want);
	}
	register_mask_phone("+77011234567", masked);
	g_assert_cmpstr(masked, ==, "+7 701 *** ** 67");
}

/* A register of one citizen, with phone (JSON) and card expiry as given. */
#define CITIZEN(phone, expires)                                                                    \
	"{\"citizens\":[{\"iin\":\"900115300013\",\"surname\":\"A\","                              \
	"\"givenName\":\"B\",\"patronymic\":\"\",\"note\":\"n\","                                  \
	"\"birthDate\":\"1990-01-15\",\"phone\":" phone ","                                        \
	"\"idCard\":{\"number\":\"1\",\"issued\":\"2019-03-01\","                                  \
	"\"expires\":\"" expires "\",\"authority\":\"МВД РК\"}}]}"

static void test_register_file(void)
{
	static const struct {
		const char *text;
		int want;
	} cases[] = {
		{ "[]", REGISTER_E_INVALID },
		{ "{\"citizens\":[{\"iin\":\"900115300014\"}]}", REGISTER_E_INVALID },
		{ CITIZEN("null", "2029"), REGISTER_E_INVALID },
		{ CITIZEN("\"+7701\"", "2029-01-01"), REGISTER_E_INVALID },
		{ CITIZEN("\"87011234567\"", "2029-01-01"), REGISTER_E_INVALID },
		{ CITIZEN("null", "2029-01-01"), 0 },
	};
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-demo-portal-XXXXXX", &error);
	g_autofree char *path = g_build_filename(dir, "register.json", NULL);
	struct register_db *db = NULL;
	char *why = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_assert_true(g_file_set_contents(path, cases[i].text, -1, NULL));
		g_assert_cmpint(register_load(path, &db, &why), ==, cases[i].want);
		if (cases[i].want) {
			g_assert_nonnull(why);
			g_test_message("%s", why);
			g_clear_pointer(&why, g_free);
		} else {
			g_assert_cmpuint(db->n_citizens, ==, 1);
			g_assert_cmpstr(db->citizens[0].phone, ==, "");
			db = register_free(db);
		}
	}
	g_assert_cmpint(register_load("/nonexistent/register.json", &db, &why), ==, -ENOENT);
	g_free(why);

	/* The real register: the four citizens of API.md. */
	g_assert_cmpint(register_load(PORTAL_REGISTER, &db, NULL), ==, 0);
	g_assert_cmpuint(db->n_citizens, ==, 4);
	g_assert_cmpstr(register_find(db, BEKOV)->phone, ==, "");
	g_assert_cmpstr(register_find(db, AKHMETOV)->phone, ==, "+77011234567");
	g_assert_cmpstr(register_find(db, OMAROVA)->card.expires, <, "2019-01-01");
	g_assert_cmpstr(register_find(db, SEITKALIEVA)->card.expires, >, "2029-01-01");
	g_assert_cmpstr(register_find(db, AKHMETOV)->card.authority, ==, "МВД РК");
	register_free(db);
	test_rm_rf(dir);
}

/* ---- media ---- */

static void test_media(void)
{
	static const struct {
		uint8_t sof;
		unsigned w, h;
		bool eoi, valid;
	} jpegs[] = {
		{ 0xc0, 640, 480, true, true },	 { 0xc2, 640, 480, true, true },
		{ 0xc1, 320, 240, true, true },	 { 0xc0, 240, 320, true, true },
		{ 0xc0, 319, 240, true, false }, { 0xc0, 640, 200, true, false },
		{ 0xc3, 640, 480, true, false }, { 0xc9, 640, 480, true, false },
		{ 0xc0, 640, 480, false, false }, { 0xc0, 0, 480, true, false },
	};
	unsigned w = 0, h = 0;
	const char *why = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(jpegs); i++) {
		g_autofree char *b64 = jpeg_base64(jpegs[i].sof, jpegs[i].w, jpegs[i].h,
						   jpegs[i].eoi);
		gsize len = 0;
		g_autofree guint8 *data = g_base64_decode(b64, &len);
		int r = media_jpeg_check(data, len, 320, 240, &w, &h, &why);

		g_test_message("jpeg %zu: %s", i, r ? why : "ok");
		g_assert_cmpint(r == 0, ==, jpegs[i].valid);
		if (r == 0) {
			g_assert_cmpuint(w, ==, jpegs[i].w);
			g_assert_cmpuint(h, ==, jpegs[i].h);
		}
		/* Every truncation of a good one is refused. */
		for (gsize cut = 0; jpegs[i].valid && cut < len; cut++)
			g_assert_cmpint(media_jpeg_check(data, cut, 320, 240, &w, &h, NULL), ==,
					MEDIA_E_INVALID);
	}
	g_assert_cmpint(media_jpeg_check((const uint8_t *)"GIF89a", 6, 1, 1, &w, &h, &why), ==,
			MEDIA_E_INVALID);

	{
		g_autoptr(GByteArray) good = webm_bytes("webm", true);
		g_autoptr(GByteArray) mkv = webm_bytes("matroska", true);
		g_autoptr(GByteArray) bare = webm_bytes("webm", false);

		g_assert_cmpint(media_webm_check(good->data, good->len, &why), ==, 0);
		for (guint cut = 0; cut < good->len - 12; cut++)
			g_assert_cmpint(media_webm_check(good->data, cut, NULL), ==,
					MEDIA_E_INVALID);
		g_assert_cmpint(media_webm_check(mkv->data, mkv->len, &why), ==, MEDIA_E_INVALID);
		g_assert_cmpstr(why, ==, "the EBML DocType is not webm");
		g_assert_cmpint(media_webm_check(bare->data, bare->len, &why), ==, MEDIA_E_INVALID);
		g_assert_cmpint(media_webm_check((const uint8_t *)"RIFF", 4, &why), ==,
				MEDIA_E_INVALID);
	}
}

/* ---- routes, bodies, sessions ---- */

static void test_routes(struct fixture *f, gconstpointer data)
{
	struct json_object *o, *list, *holder, *e;

	fails(f, GET, "/api/nothing", NULL, 404, "NOT_FOUND");
	fails(f, GET, "/api/start", NULL, 405, "METHOD_NOT_ALLOWED");
	fails(f, POST, "/api/state", "{}", 405, "METHOD_NOT_ALLOWED");
	/* No session, a malformed one, an unknown one. */
	fails(f, GET, "/api/state", NULL, 401, "NO_SESSION");
	o = api_with(f, "../../etc/passwd", GET, "/api/state", NULL);
	g_assert_cmpuint(last_status, ==, 401);
	json_object_put(o);
	o = api_with(f, "0000000000000000000000000000000000000000000000000000000000000000", GET,
		     "/api/inbox", NULL);
	g_assert_cmpuint(last_status, ==, 401);
	json_object_put(o);
	fails(f, POST, "/api/iin", "{\"iin\":\"900115300013\"}", 401, "NO_SESSION");

	/* Bodies. */
	fails(f, POST, "/api/start", "not json", 400, "BAD_REQUEST");
	fails(f, POST, "/api/start", "[]", 400, "BAD_REQUEST");
	fails(f, POST, "/api/start", "{} {}", 400, "BAD_REQUEST");
	fails(f, POST, "/api/start", "{\"lang\":\"de\"}", 400, "BAD_REQUEST");
	fails(f, POST, "/api/start", "{\"lang\":1}", 400, "BAD_REQUEST");
	expect_stage(f, POST, "/api/start", "", "started");
	fails(f, POST, "/api/iin", "{}", 400, "BAD_REQUEST");
	e = fails_with(f, POST, "/api/iin", "{\"iin\":900115300013}", 400, "BAD_REQUEST", &holder);
	g_assert_nonnull(strstr(str(e, "message"), "iin"));
	json_object_put(holder);

	/* The calls without a session. */
	o = ok(f, GET, "/api/config", NULL);
	list = member(o, "daemon");
	g_assert_cmpuint(json_object_array_length(list), ==, 2);
	g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(list, 0)), ==,
			"wss://127.0.0.1:13579");
	g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(list, 1)), ==,
			"ws://127.0.0.1:13579");
	json_object_put(o);
	o = ok(f, GET, "/api/demo/citizens", NULL);
	list = member(o, "citizens");
	g_assert_cmpuint(json_object_array_length(list), ==, 4);
	e = json_object_array_get_idx(list, 0);
	g_assert_cmpstr(str(e, "iin"), ==, AKHMETOV);
	g_assert_cmpstr(str(e, "name"), ==, "АХМЕТОВ Ерлан Серікұлы");
	g_assert_cmpstr(str(e, "phone"), ==, "+77011234567");
	g_assert_nonnull(str(e, "note"));
	g_assert_true(json_object_is_type(member(json_object_array_get_idx(list, 2), "phone"),
					  json_type_null));
	json_object_put(o);

	g_assert_true(portal_knows("/api/state"));
	g_assert_false(portal_knows("/api/states"));

	/* The HTTP layer's own answer for an oversize body. */
	{
		struct portal_reply r = PORTAL_REPLY_NULL;

		portal_reply_error(&r, PORTAL_E_TOO_LARGE, NULL);
		g_assert_cmpuint(r.status, ==, 413);
		o = json_tokener_parse(r.body);
		g_assert_cmpstr(str(member(o, "error"), "code"), ==, "TOO_LARGE");
		json_object_put(o);
		portal_reply_clear(&r);
	}
}

static void test_start(struct fixture *f, gconstpointer data)
{
	struct json_object *o;
	g_autofree char *first = NULL;

	expect_stage(f, POST, "/api/start", "{\"lang\":\"kk\"}", "started");
	first = g_strdup(f->sid);
	g_assert_cmpuint(strlen(first), ==, 64);
	o = ok(f, GET, "/api/state", NULL);
	g_assert_cmpstr(str(o, "lang"), ==, "kk");
	g_assert_null(str(o, "iin"));
	json_object_put(o);
	o = ok(f, GET, "/api/agreement", NULL);
	g_assert_nonnull(strstr(str(o, "title"), "келісімі"));
	g_assert_cmpstr(str(o, "version"), ==, "2026-1");
	g_assert_cmpuint(json_object_array_length(member(o, "paragraphs")), >=, 3);
	json_object_put(o);
	o = ok(f, GET, "/api/inbox", NULL);
	g_assert_true(json_object_is_type(member(o, "phone"), json_type_null));
	g_assert_cmpuint(json_object_array_length(member(o, "messages")), ==, 0);
	json_object_put(o);

	/* A second start is a new application in a new session; the first
	 * session keeps its own. */
	expect_stage(f, POST, "/api/start", "{}", "started");
	g_assert_cmpstr(f->sid, !=, first);
	o = ok(f, GET, "/api/sample", NULL);
	g_assert_nonnull(strstr(str(o, "text"), "Qoltanba"));
	g_assert_true(g_str_has_prefix(str(o, "xml"), "<?xml"));
	json_object_put(o);
	o = api_with(f, first, GET, "/api/state", NULL);
	g_assert_cmpuint(last_status, ==, 200);
	g_assert_cmpstr(str(o, "lang"), ==, "kk");
	json_object_put(o);
}

/* ---- signing in ---- */

static void test_iin(struct fixture *f, gconstpointer data)
{
	struct json_object *o;

	expect_stage(f, POST, "/api/start", "{}", "started");
	fails(f, POST, "/api/iin", "{\"iin\":\"900115300014\"}", 400, "IIN_INVALID");
	fails(f, POST, "/api/iin", "{\"iin\":\"90011530001\"}", 400, "IIN_INVALID");
	fails(f, POST, "/api/iin", "{\"iin\":\"900115300401\"}", 404, "IIN_UNKNOWN");
	stage_order(f, POST, "/api/code", "{\"code\":\"123456\"}", "started");

	/* No phone: a dead end, no SMS. */
	expect_stage(f, POST, "/api/iin", "{\"iin\":\"" BEKOV "\"}", "phone-unregistered");
	g_assert_cmpuint(f->sms->len, ==, 0);
	stage_order(f, POST, "/api/code/resend", "{}", "phone-unregistered");

	/* Another IIN from there. */
	o = ok(f, POST, "/api/iin", "{\"iin\":\"" AKHMETOV "\"}");
	g_assert_cmpstr(str(o, "stage"), ==, "code-sent");
	g_assert_cmpstr(str(o, "maskedPhone"), ==, "+7 701 *** ** 67");
	g_assert_cmpint(num(o, "codeTtl"), ==, 300);
	json_object_put(o);
	g_assert_cmpuint(f->sms->len, ==, 1);
	g_assert_true(g_str_has_prefix(g_ptr_array_index(f->sms, 0), "+7 701 *** ** 67: "));

	/* The same IIN again within --resend-seconds: no new SMS. */
	expect_stage(f, POST, "/api/iin", "{\"iin\":\"" AKHMETOV "\"}", "code-sent");
	g_assert_cmpuint(f->sms->len, ==, 1);
	f->now += PORTAL_RESEND_SECONDS_DEFAULT;
	expect_stage(f, POST, "/api/iin", "{\"iin\":\"" AKHMETOV "\"}", "code-sent");
	g_assert_cmpuint(f->sms->len, ==, 2);

	o = ok(f, GET, "/api/inbox", NULL);
	g_assert_cmpstr(str(o, "phone"), ==, "+7 701 *** ** 67");
	g_assert_cmpuint(json_object_array_length(member(o, "messages")), ==, 2);
	g_assert_cmpstr(str(json_object_array_get_idx(member(o, "messages"), 0), "time"), ==,
			"2025-11-24T16:00:00Z");
	/* Russian by default. */
	g_assert_nonnull(strstr(str(json_object_array_get_idx(member(o, "messages"), 1), "text"),
				"код для входа"));
	json_object_put(o);
	o = ok(f, GET, "/api/state", NULL);
	g_assert_cmpstr(str(o, "iin"), ==, AKHMETOV);
	g_assert_cmpstr(str(o, "maskedPhone"), ==, "+7 701 *** ** 67");
	json_object_put(o);
}

static void test_code_wrong(struct fixture *f, gconstpointer data)
{
	struct json_object *holder, *e, *o;
	g_autofree char *good = NULL, *old = NULL;

	expect_stage(f, POST, "/api/start", "{\"lang\":\"en\"}", "started");
	expect_stage(f, POST, "/api/iin", "{\"iin\":\"" AKHMETOV "\"}", "code-sent");
	good = body_code(f);
	g_assert_nonnull(strstr(g_ptr_array_index(f->sms, 0), "sign-in code"));
	for (int left = 2; left >= 0; left--) {
		e = fails_with(f, POST, "/api/code", "{\"code\":\"000000\"}", 400, "CODE_WRONG",
			       &holder);
		g_assert_cmpint(num(e, "attemptsLeft"), ==, left);
		json_object_put(holder);
	}
	/* The code is void now, even the right one. */
	fails(f, POST, "/api/code", good, 429, "TOO_MANY_ATTEMPTS");
	fails(f, POST, "/api/code", "{\"code\":\"1\"}", 429, "TOO_MANY_ATTEMPTS");
	/* Asking again with the same IIN does not bring a new code early. */
	expect_stage(f, POST, "/api/iin", "{\"iin\":\"" AKHMETOV "\"}", "code-sent");
	g_assert_cmpuint(f->sms->len, ==, 1);
	fails(f, POST, "/api/code", good, 429, "TOO_MANY_ATTEMPTS");

	/* A new one. */
	f->now += PORTAL_RESEND_SECONDS_DEFAULT;
	o = ok(f, POST, "/api/code/resend", "{}");
	g_assert_cmpint(num(o, "codeTtl"), ==, 300);
	json_object_put(o);
	old = g_strdup(good);
	g_free(good);
	good = body_code(f);
	if (strcmp(old, good) != 0) {
		e = fails_with(f, POST, "/api/code", old, 400, "CODE_WRONG", &holder);
		g_assert_cmpint(num(e, "attemptsLeft"), ==, 2);
		json_object_put(holder);
	}
	o = ok(f, POST, "/api/code", good);
	g_assert_cmpstr(str(o, "stage"), ==, "signed-in");
	g_assert_cmpstr(str(member(o, "person"), "surname"), ==, "АХМЕТОВ");
	g_assert_cmpstr(str(member(o, "person"), "givenName"), ==, "Ерлан");
	g_assert_cmpstr(str(member(o, "person"), "patronymic"), ==, "Серікұлы");
	g_assert_cmpstr(str(member(o, "person"), "iin"), ==, AKHMETOV);
	json_object_put(o);
	/* A code works once. */
	stage_order(f, POST, "/api/code", good, "signed-in");
	stage_order(f, POST, "/api/code/resend", "{}", "signed-in");
}

static void test_code_expired(struct fixture *f, gconstpointer data)
{
	g_autofree char *good = NULL;
	struct json_object *holder, *e;

	expect_stage(f, POST, "/api/start", "{}", "started");
	expect_stage(f, POST, "/api/iin", "{\"iin\":\"" SEITKALIEVA "\"}", "code-sent");
	g_assert_true(g_str_has_prefix(g_ptr_array_index(f->sms, 0), "+7 707 *** ** 21: "));
	good = body_code(f);
	f->now += PORTAL_CODE_TTL_DEFAULT;
	fails(f, POST, "/api/code", good, 400, "CODE_EXPIRED");
	fails(f, POST, "/api/code", "{\"code\":\"000000\"}", 400, "CODE_EXPIRED");

	/* Resend: at once after the expiry, then not again for 30 s. */
	json_object_put(ok(f, POST, "/api/code/resend", "{}"));
	f->now += 10;
	e = fails_with(f, POST, "/api/code/resend", "{}", 429, "RESEND_TOO_SOON", &holder);
	g_assert_cmpint(num(e, "retryAfter"), ==, 20);
	json_object_put(holder);
	f->now += PORTAL_CODE_TTL_DEFAULT - 11;
	g_free(good);
	good = body_code(f);
	expect_stage(f, POST, "/api/code", good, "signed-in");
}

static void test_ident_phone(struct fixture *f, gconstpointer data)
{
	g_autofree char *good = NULL;
	struct json_object *o, *holder, *e;

	walk_to(f, AKHMETOV, "signed-in");
	stage_order(f, POST, "/api/ident/code", "{\"code\":\"123456\"}", "signed-in");
	stage_order(f, POST, "/api/selfie", "{\"image\":\"\"}", "signed-in");
	fails(f, POST, "/api/ident/phone", "{\"phone\":\"+7 701 123 45 6\"}", 400, "PHONE_INVALID");
	fails(f, POST, "/api/ident/phone", "{\"phone\":\"+87011234567\"}", 400, "PHONE_INVALID");
	fails(f, POST, "/api/ident/phone", "{\"phone\":\"phone\"}", 400, "PHONE_INVALID");
	fails(f, POST, "/api/ident/phone", "{\"phone\":\"+77077654321\"}", 400, "PHONE_MISMATCH");
	o = ok(f, POST, "/api/ident/phone", "{\"phone\":\"8 (701) 123-45-67\"}");
	g_assert_cmpstr(str(o, "stage"), ==, "ident-code-sent");
	g_assert_cmpint(num(o, "codeTtl"), ==, 300);
	json_object_put(o);
	g_assert_nonnull(strstr(g_ptr_array_index(f->sms, f->sms->len - 1), "подтверждения"));
	e = fails_with(f, POST, "/api/code/resend", "{}", 429, "RESEND_TOO_SOON", &holder);
	g_assert_cmpint(num(e, "retryAfter"), ==, 30);
	json_object_put(holder);
	e = fails_with(f, POST, "/api/ident/code", "{\"code\":\"999999x\"}", 400, "CODE_WRONG",
		       &holder);
	g_assert_cmpint(num(e, "attemptsLeft"), ==, 2);
	json_object_put(holder);
	f->now += PORTAL_RESEND_SECONDS_DEFAULT;
	json_object_put(ok(f, POST, "/api/code/resend", "{}"));
	/* The identification code, not a login code. */
	g_assert_nonnull(strstr(g_ptr_array_index(f->sms, f->sms->len - 1), "подтверждения"));
	good = body_code(f);
	expect_stage(f, POST, "/api/ident/code", good, "identified-phone");
}

/* ---- identification ---- */

static void test_selfie(struct fixture *f, gconstpointer data)
{
	g_autofree char *big = NULL, *body = NULL;
	g_autofree char *selfie = NULL;
	struct json_object *o;
	struct stat st;

	walk_to(f, AKHMETOV, "identified-phone");
	stage_order(f, GET, "/api/video/prompts", NULL, "identified-phone");
	fails(f, POST, "/api/selfie", "{\"image\":\"not base64!\"}", 400, "IMAGE_INVALID");
	fails(f, POST, "/api/selfie", "{\"image\":\"R0lGODlhAQABAAAAACw=\"}", 400, "IMAGE_INVALID");
	fails(f, POST, "/api/selfie", "{\"image\":1}", 400, "BAD_REQUEST");
	body = image_body(NULL, 0xc0, 320, 200, true);
	fails(f, POST, "/api/selfie", body, 400, "IMAGE_INVALID");
	g_free(body);
	body = image_body(NULL, 0xc3, 640, 480, true);
	fails(f, POST, "/api/selfie", body, 400, "IMAGE_INVALID");
	g_free(body);
	body = image_body(NULL, 0xc0, 640, 480, false);
	fails(f, POST, "/api/selfie", body, 400, "IMAGE_INVALID");
	/* Over 8 MiB once decoded. */
	{
		gsize n = 8 * 1024 * 1024 + 3;
		g_autofree guint8 *raw = g_malloc0(n);
		g_autofree char *b64 = NULL;
		g_autofree char *jpeg64 = jpeg_base64(0xc0, 640, 480, true);
		gsize jlen = 0;
		g_autofree guint8 *jpeg = g_base64_decode(jpeg64, &jlen);

		memcpy(raw, jpeg, jlen - 2);
		raw[n - 2] = 0xff;
		raw[n - 1] = 0xd9;
		b64 = g_base64_encode(raw, n);
		big = g_strdup_printf("{\"image\":\"%s\"}", b64);
	}
	fails(f, POST, "/api/selfie", big, 400, "IMAGE_INVALID");

	g_free(body);
	body = image_body(NULL, 0xc0, 480, 640, true);
	o = ok(f, POST, "/api/selfie", body);
	g_assert_cmpstr(str(o, "stage"), ==, "selfie");
	g_assert_cmpint(num(o, "width"), ==, 480);
	g_assert_cmpint(num(o, "height"), ==, 640);
	json_object_put(o);
	/* Again: the second replaces the first. */
	g_free(body);
	body = image_body(NULL, 0xc2, 1280, 720, true);
	o = ok(f, POST, "/api/selfie", body);
	g_assert_cmpint(num(o, "width"), ==, 1280);
	json_object_put(o);
	selfie = g_build_filename(f->dir, "applications", NULL);
	{
		GDir *d = g_dir_open(selfie, 0, NULL);
		const char *name = g_dir_read_name(d);
		g_autofree char *file = g_build_filename(selfie, name, "selfie.jpg", NULL);
		g_autofree char *content = NULL;
		gsize len = 0;
		unsigned w = 0, h = 0;

		g_assert_null(g_dir_read_name(d));
		g_dir_close(d);
		g_assert_cmpint(stat(file, &st), ==, 0);
		g_assert_cmpuint(st.st_mode & 0777, ==, 0600);
		g_assert_true(g_file_get_contents(file, &content, &len, NULL));
		g_assert_cmpint(media_jpeg_check((guint8 *)content, len, 1, 1, &w, &h, NULL), ==,
				0);
		g_assert_cmpuint(w, ==, 1280);
	}
}

static void test_video(struct fixture *f, gconstpointer data)
{
	g_autofree char *prompts = NULL, *body = NULL, *reversed = NULL;
	struct json_object *o, *list;

	walk_to(f, AKHMETOV, "selfie");
	stage_order(f, POST, "/api/pin", "{\"pin\":\"482915\"}", "selfie");
	o = ok(f, GET, "/api/video/prompts", NULL);
	g_assert_cmpint(num(o, "seconds"), ==, 6);
	list = member(o, "prompts");
	g_assert_cmpuint(json_object_array_length(list), ==, 4);
	g_assert_cmpstr(str(json_object_array_get_idx(list, 0), "id"), ==, "look");
	g_assert_cmpint(num(json_object_array_get_idx(list, 0), "at"), ==, 0);
	g_assert_cmpfloat(json_object_get_double(member(json_object_array_get_idx(list, 1), "at")),
			  ==, 1.5);
	g_assert_cmpfloat(json_object_get_double(member(json_object_array_get_idx(list, 3), "at")),
			  ==, 4.5);
	for (size_t i = 1; i < 4; i++) {
		const char *id = str(json_object_array_get_idx(list, i), "id");

		g_assert_true(g_strv_contains((const char *const[]){ "turn-left", "turn-right",
								      "smile", "blink", "nod",
								      NULL },
					      id));
		for (size_t j = 0; j < i; j++)
			g_assert_cmpstr(id, !=, str(json_object_array_get_idx(list, j), "id"));
	}
	json_object_put(o);

	prompts = prompts_of(f);
	body = video_body("matroska", true, prompts);
	fails(f, POST, "/api/video", body, 400, "VIDEO_INVALID");
	g_free(body);
	body = video_body("webm", false, prompts);
	fails(f, POST, "/api/video", body, 400, "VIDEO_INVALID");
	g_free(body);
	body = g_strdup_printf("{\"video\":\"AAAA\",\"prompts\":%s}", prompts);
	fails(f, POST, "/api/video", body, 400, "VIDEO_INVALID");
	g_free(body);
	body = video_body("webm", true, "[\"look\",\"smile\"]");
	fails(f, POST, "/api/video", body, 400, "VIDEO_INVALID");
	g_free(body);
	/* The same ids in another order. */
	{
		g_auto(GStrv) ids = g_strsplit(prompts + 1, ",", -1);

		ids[3][strlen(ids[3]) - 1] = '\0';
		reversed = g_strdup_printf("[%s,%s,%s,%s]", ids[0], ids[3], ids[2], ids[1]);
	}
	body = video_body("webm", true, reversed);
	fails(f, POST, "/api/video", body, 400, "VIDEO_INVALID");
	g_free(body);
	body = g_strdup_printf("{\"video\":\"AAAA\",\"prompts\":\"look\"}");
	fails(f, POST, "/api/video", body, 400, "BAD_REQUEST");
	g_free(body);

	body = video_body("webm", true, prompts);
	o = ok(f, POST, "/api/video", body);
	g_assert_cmpstr(str(o, "stage"), ==, "video");
	{
		g_autoptr(GByteArray) webm = webm_bytes("webm", true);

		g_assert_cmpint(num(o, "bytes"), ==, webm->len);
	}
	json_object_put(o);
	/* The prompts stay the application's. */
	{
		g_autofree char *again = prompts_of(f);

		g_assert_cmpstr(again, ==, prompts);
	}
}

/* ---- the PIN and resuming ---- */

static char *app_file(struct fixture *f, const char *name)
{
	g_autofree char *apps = g_build_filename(f->dir, "applications", NULL);
	GDir *d = g_dir_open(apps, 0, NULL);
	g_autofree char *newest = NULL;
	time_t newest_time = 0;
	const char *entry;

	/* The most recently changed application folder. */
	while ((entry = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(apps, entry, "application.json", NULL);
		struct stat st;

		if (stat(path, &st) == 0 && st.st_mtime >= newest_time) {
			newest_time = st.st_mtime;
			g_free(newest);
			newest = g_strdup(entry);
		}
	}
	g_dir_close(d);
	g_assert_nonnull(newest);
	return g_build_filename(apps, newest, name, NULL);
}

static void test_pin(struct fixture *f, gconstpointer data)
{
	static const char *const weak[] = { "111111", "000000", "123456", "345678", "987654",
					    "543210", "150190", "900115" };
	g_autofree char *file = NULL, *content = NULL;

	walk_to(f, AKHMETOV, "video");
	stage_order(f, POST, "/api/document", "{\"side\":\"front\",\"image\":\"\"}", "video");
	fails(f, POST, "/api/pin", "{\"pin\":\"12345\"}", 400, "PIN_INVALID");
	fails(f, POST, "/api/pin", "{\"pin\":\"1234567\"}", 400, "PIN_INVALID");
	fails(f, POST, "/api/pin", "{\"pin\":\"48291a\"}", 400, "PIN_INVALID");
	fails(f, POST, "/api/pin", "{\"pin\":482915}", 400, "BAD_REQUEST");
	for (size_t i = 0; i < G_N_ELEMENTS(weak); i++) {
		g_autofree char *body = g_strdup_printf("{\"pin\":\"%s\"}", weak[i]);

		g_test_message("%s", weak[i]);
		fails(f, POST, "/api/pin", body, 400, "PIN_WEAK");
	}
	expect_stage(f, POST, "/api/pin", "{\"pin\":\"482915\"}", "pin");
	/* Stored as a salted hash only. */
	file = app_file(f, "application.json");
	g_assert_true(g_file_get_contents(file, &content, NULL, NULL));
	g_assert_null(strstr(content, "482915"));
	g_assert_nonnull(strstr(content, "pbkdf2-sha256$"));
}

static void resume_fails(struct fixture *f, const char *body, int left)
{
	struct json_object *holder, *e;

	e = fails_with(f, POST, "/api/resume", body, 400, "PIN_WRONG", &holder);
	g_assert_cmpint(num(e, "attemptsLeft"), ==, left);
	json_object_put(holder);
}

static void test_resume(struct fixture *f, gconstpointer data)
{
	static const char good[] = "{\"iin\":\"" AKHMETOV "\",\"pin\":\"593017\"}";
	static const char wrong[] = "{\"iin\":\"" AKHMETOV "\",\"pin\":\"482916\"}";
	g_autofree char *first = NULL;
	struct json_object *holder, *e, *o;

	walk_to(f, AKHMETOV, "video");
	expect_stage(f, POST, "/api/pin", "{\"pin\":\"482915\"}", "pin");
	/* A new PIN replaces the first. */
	expect_stage(f, POST, "/api/pin", "{\"pin\":\"593017\"}", "pin");
	first = g_strdup(f->sid);
	g_clear_pointer(&f->sid, g_free);

	fails(f, POST, "/api/resume", "{\"iin\":\"900115300014\",\"pin\":\"593017\"}", 400,
	      "IIN_INVALID");
	fails(f, POST, "/api/resume", "{\"iin\":\"" AKHMETOV "\",\"pin\":\"5930\"}", 400,
	      "PIN_INVALID");
	fails(f, POST, "/api/resume", "{\"iin\":\"" AKHMETOV "\"}", 400, "BAD_REQUEST");
	resume_fails(f, "{\"iin\":\"" AKHMETOV "\",\"pin\":\"482915\"}", 4);
	/* Unknown IINs and IINs without a PIN answer the same way. */
	resume_fails(f, "{\"iin\":\"900115300401\",\"pin\":\"593017\"}", 4);
	resume_fails(f, "{\"iin\":\"" SEITKALIEVA "\",\"pin\":\"593017\"}", 4);
	g_assert_null(f->sid);

	o = ok(f, POST, "/api/resume", good);
	g_assert_cmpstr(str(o, "stage"), ==, "pin");
	json_object_put(o);
	g_assert_nonnull(f->sid);
	g_assert_cmpstr(f->sid, !=, first);
	o = ok(f, GET, "/api/state", NULL);
	g_assert_cmpstr(str(o, "iin"), ==, AKHMETOV);
	json_object_put(o);

	/* The success forgot the earlier failure; five more lock the IIN. */
	for (int left = 4; left >= 0; left--)
		resume_fails(f, wrong, left);
	e = fails_with(f, POST, "/api/resume", good, 429, "TOO_MANY_ATTEMPTS", &holder);
	g_assert_cmpint(num(e, "retryAfter"), ==, 15 * 60);
	json_object_put(holder);
	f->now += 15 * 60 - 1;
	e = fails_with(f, POST, "/api/resume", wrong, 429, "TOO_MANY_ATTEMPTS", &holder);
	g_assert_cmpint(num(e, "retryAfter"), ==, 1);
	json_object_put(holder);
	/* Other IINs are not locked. */
	resume_fails(f, "{\"iin\":\"" BEKOV "\",\"pin\":\"593017\"}", 4);
	f->now += 1;
	expect_stage(f, POST, "/api/resume", good, "pin");
}

/* ---- documents and the register check ---- */

static void test_documents(struct fixture *f, gconstpointer data)
{
	g_autofree char *front = image_body("front", 0xc0, 1280, 800, true);
	g_autofree char *back = image_body("back", 0xc0, 1280, 800, true);
	g_autofree char *small = image_body("front", 0xc0, 200, 100, true);
	g_autofree char *left = image_body("left", 0xc0, 1280, 800, true);
	struct json_object *o;

	walk_to(f, AKHMETOV, "pin");
	stage_order(f, GET, "/api/recognised", NULL, "pin");
	stage_order(f, POST, "/api/document", back, "pin");
	fails(f, POST, "/api/document", left, 400, "BAD_REQUEST");
	fails(f, POST, "/api/document", small, 400, "IMAGE_INVALID");
	expect_stage(f, POST, "/api/document", front, "document-front");
	expect_stage(f, POST, "/api/document", front, "document-front");
	stage_order(f, POST, "/api/confirm", "{}", "document-front");
	expect_stage(f, POST, "/api/document", back, "documents");
	expect_stage(f, POST, "/api/document", back, "documents");
	stage_order(f, POST, "/api/document", front, "documents");
	stage_order(f, POST, "/api/consent", "{\"consent\":true}", "documents");

	o = ok(f, GET, "/api/recognised", NULL);
	g_assert_cmpstr(str(o, "surname"), ==, "АХМЕТОВ");
	g_assert_cmpstr(str(o, "givenName"), ==, "Ерлан");
	g_assert_cmpstr(str(o, "patronymic"), ==, "Серікұлы");
	g_assert_cmpstr(str(o, "birthDate"), ==, "1990-01-15");
	g_assert_cmpstr(str(o, "documentNumber"), ==, "045123456");
	g_assert_cmpstr(str(o, "issued"), ==, "2019-03-01");
	g_assert_cmpstr(str(o, "expires"), ==, "2029-02-28");
	g_assert_cmpstr(str(o, "authority"), ==, "МВД РК");
	json_object_put(o);

	fails(f, POST, "/api/confirm", "{\"surname\":\"АХМЕТОВ\"}", 400, "BAD_REQUEST");
	/* Case and surrounding spaces do not matter. */
	expect_stage(f, POST, "/api/confirm",
		     "{\"surname\":\" ахметов \",\"givenName\":\"ЕРЛАН\",\"patronymic\":"
		     "\"серікұлы\",\"birthDate\":\"1990-01-15 \",\"documentNumber\":\"045123456\"}",
		     "verified");
	g_assert_nonnull(strstr(g_ptr_array_index(f->sms, f->sms->len - 1), "подтверждена"));
	/* The answer is final. */
	stage_order(f, POST, "/api/confirm", "{}", "verified");
}

static void test_moderation(struct fixture *f, gconstpointer data)
{
	struct json_object *o, *reasons;

	walk_to(f, SEITKALIEVA, "documents");
	o = ok(f, POST, "/api/confirm",
	       "{\"surname\":\"СЕЙТКАЛИЕВА\",\"givenName\":\"Айгерім\",\"patronymic\":"
	       "\"Нұрланқызы\",\"birthDate\":\"1992-06-12\",\"documentNumber\":\"047654321\"}");
	g_assert_cmpstr(str(o, "stage"), ==, "moderation");
	reasons = member(o, "reasons");
	g_assert_cmpuint(json_object_array_length(reasons), ==, 2);
	g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(reasons, 0)), ==,
			"surname");
	g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(reasons, 1)), ==,
			"birthDate");
	json_object_put(o);
	g_assert_nonnull(strstr(g_ptr_array_index(f->sms, f->sms->len - 1), "модератору"));
	o = ok(f, GET, "/api/state", NULL);
	g_assert_cmpuint(json_object_array_length(member(o, "reasons")), ==, 2);
	json_object_put(o);
	/* A dead end. */
	stage_order(f, POST, "/api/consent", "{\"consent\":true}", "moderation");
	stage_order(f, POST, "/api/confirm", "{}", "moderation");
}

static void test_expired_card(struct fixture *f, gconstpointer data)
{
	struct json_object *rec, *o, *reasons;
	g_autofree char *body = NULL;

	walk_to(f, OMAROVA, "documents");
	rec = ok(f, GET, "/api/recognised", NULL);
	g_assert_cmpstr(str(rec, "expires"), ==, "2018-05-19");
	body = g_strdup(json_object_to_json_string(rec));
	json_object_put(rec);
	o = ok(f, POST, "/api/confirm", body);
	g_assert_cmpstr(str(o, "stage"), ==, "moderation");
	reasons = member(o, "reasons");
	g_assert_cmpuint(json_object_array_length(reasons), ==, 1);
	g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(reasons, 0)), ==,
			"expired");
	json_object_put(o);
	g_assert_true(g_str_has_prefix(g_ptr_array_index(f->sms, f->sms->len - 1),
				       "+7 777 *** ** 02: "));
}

/* ---- NCA ---- */

static void test_agreement(struct fixture *f, gconstpointer data)
{
	struct json_object *holder, *e, *o, *csr, *subject;

	walk_to(f, AKHMETOV, "verified");
	stage_order(f, POST, "/api/agreement", "{\"accepted\":true,\"version\":\"2026-1\"}",
		    "verified");
	fails(f, POST, "/api/consent", "{\"consent\":false}", 400, "CONSENT_REQUIRED");
	fails(f, POST, "/api/consent", "{\"consent\":\"yes\"}", 400, "BAD_REQUEST");
	expect_stage(f, POST, "/api/consent", "{\"consent\":true}", "consented");
	expect_stage(f, POST, "/api/consent", "{\"consent\":true}", "consented");

	o = ok(f, GET, "/api/agreement", NULL);
	g_assert_nonnull(strstr(str(o, "title"), "соглашение"));
	json_object_put(o);
	fails(f, POST, "/api/agreement", "{\"accepted\":false,\"version\":\"2026-1\"}", 400,
	      "CONSENT_REQUIRED");
	e = fails_with(f, POST, "/api/agreement", "{\"accepted\":true,\"version\":\"2025-1\"}", 409,
		       "AGREEMENT_VERSION", &holder);
	g_assert_cmpstr(str(e, "version"), ==, "2026-1");
	json_object_put(holder);
	expect_stage(f, POST, "/api/agreement", "{\"accepted\":true,\"version\":\"2026-1\"}",
		     "agreed");

	static const char *const bad_emails[] = { "a@b", "a b@c.kz", "@b.kz", "a@@b.kz",
						  "a@b..kz", "a@.b.kz", "a@b.kz.", "" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad_emails); i++) {
		g_autofree char *body = g_strdup_printf(
			"{\"email\":\"%s\",\"storage\":\"PKCS12\"}", bad_emails[i]);

		g_test_message("%s", bad_emails[i]);
		fails(f, POST, "/api/application", body, 400, "EMAIL_INVALID");
	}
	{
		/* 254 bytes pass, 255 do not. */
		g_autofree char *local = g_strnfill(59, 'a');
		g_autofree char *label = g_strnfill(63, 'b');
		g_autofree char *longest = g_strdup_printf("%s@%s.%s.%s.kz", local, label, label,
							   label);
		g_autofree char *body = NULL;

		g_assert_cmpuint(strlen(longest), ==, 254);
		body = g_strdup_printf("{\"email\":\"%s\",\"storage\":\"PKCS12\"}", longest);
		expect_stage(f, POST, "/api/application", body, "applied");
		g_free(body);
		body = g_strdup_printf("{\"email\":\"a%s\",\"storage\":\"PKCS12\"}", longest);
		fails(f, POST, "/api/application", body, 400, "EMAIL_INVALID");
	}
	fails(f, POST, "/api/application", "{\"email\":\"a@b.kz\",\"storage\":\"JKS\"}", 400,
	      "STORAGE_INVALID");
	fails(f, POST, "/api/application", "{\"email\":\"a@b.kz\"}", 400, "BAD_REQUEST");
	expect_stage(f, POST, "/api/application",
		     "{\"email\":\"x@y.kz\",\"storage\":\"AKKaztokenStore\"}", "applied");
	o = ok(f, POST, "/api/application", "{\"email\":\"a@b.kz\",\"storage\":\"PKCS12\"}");
	g_assert_cmpstr(str(o, "stage"), ==, "applied");
	csr = member(o, "csr");
	g_assert_cmpstr(str(csr, "storage"), ==, "PKCS12");
	g_assert_cmpstr(str(csr, "algorithm"), ==, "GOST512");
	g_assert_cmpstr(str(csr, "purpose"), ==, "both");
	subject = member(csr, "subject");
	g_assert_cmpstr(str(subject, "CN"), ==, "АХМЕТОВ ЕРЛАН");
	g_assert_cmpstr(str(subject, "SURNAME"), ==, "АХМЕТОВ");
	g_assert_cmpstr(str(subject, "SERIALNUMBER"), ==, "IIN" AKHMETOV);
	g_assert_cmpstr(str(subject, "C"), ==, "KZ");
	g_assert_cmpstr(str(subject, "GIVENNAME"), ==, "СЕРІКҰЛЫ");
	g_assert_cmpstr(str(subject, "E"), ==, "a@b.kz");
	json_object_put(o);
	o = ok(f, GET, "/api/state", NULL);
	g_assert_cmpstr(str(o, "email"), ==, "a@b.kz");
	g_assert_cmpstr(str(o, "storage"), ==, "PKCS12");
	json_object_put(o);
}

static char *tamper_csr(const char *pem)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	X509_REQ *req = PEM_read_bio_X509_REQ(in, NULL, NULL, NULL), *bad;
	unsigned char *der = NULL;
	const unsigned char *p;
	char *text;
	long len;
	int n;

	g_assert_nonnull(req);
	n = i2d_X509_REQ(req, &der);
	der[n - 1] ^= 0x01;
	p = der;
	bad = d2i_X509_REQ(NULL, &p, n);
	g_assert_nonnull(bad);
	g_assert_true(PEM_write_bio_X509_REQ(out, bad));
	len = BIO_get_mem_data(out, &text);
	text = g_strndup(text, (gsize)len);
	OPENSSL_free(der);
	X509_REQ_free(req);
	X509_REQ_free(bad);
	BIO_free(in);
	BIO_free(out);
	return text;
}

static void csr_fails(struct fixture *f, const char *pem, const char *code, const char *reason)
{
	g_autofree char *body = request_body(pem, "req-1");
	struct json_object *holder;
	struct json_object *e = fails_with(f, POST, "/api/request", body, 400, code, &holder);

	g_test_message("%s", str(e, "reason"));
	g_assert_nonnull(strstr(str(e, "reason"), reason));
	json_object_put(holder);
}

/* The subject asked for, with one member changed. */
static struct json_object *subject_with(const char *name, const char *value)
{
	struct json_object *s = json_tokener_parse(json_object_to_json_string(applied_subject));

	json_object_object_add(s, name, json_object_new_string(value));
	return s;
}

static X509 *pem_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

	BIO_free(bio);
	g_assert_nonnull(x);
	return x;
}

static GBytes *download(struct fixture *f, const char *path, const char *name)
{
	struct portal_reply r = PORTAL_REPLY_NULL;
	GBytes *b;

	portal_handle(f->p, GET, path, f->sid, "", 0, &r);
	g_assert_cmpuint(r.status, ==, 200);
	g_assert_cmpstr(r.content_type, ==, "application/pkix-cert");
	g_assert_cmpstr(r.attachment, ==, name);
	b = g_bytes_new(r.body, r.body_len);
	portal_reply_clear(&r);
	return b;
}

static void test_request(struct fixture *f, gconstpointer data)
{
	g_autofree char *gost = NULL, *rsa = NULL, *other = NULL, *mail = NULL, *bad = NULL;
	struct csr_key *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL;
	struct json_object *s, *o;

	walk_to(f, AKHMETOV, "applied");
	stage_order(f, GET, "/api/certificate", NULL, "applied");
	csr_fails(f, "hello", "CSR_INVALID", "PEM");
	gost = csr_for(f, applied_subject, CSR_ALG_GOST512, &k1);
	bad = tamper_csr(gost);
	csr_fails(f, bad, "CSR_INVALID", "self-signature");
	rsa = csr_for(f, applied_subject, CSR_ALG_RSA2048, &k2);
	csr_fails(f, rsa, "CSR_MISMATCH", "GOST");
	s = subject_with("CN", "БАСҚА АДАМ");
	other = csr_for(f, s, CSR_ALG_GOST512, &k3);
	json_object_put(s);
	csr_fails(f, other, "CSR_MISMATCH", "subject");
	s = subject_with("E", "other@b.kz");
	mail = csr_for(f, s, CSR_ALG_GOST512, &k4);
	json_object_put(s);
	csr_fails(f, mail, "CSR_MISMATCH", "e-mail");
	{
		g_autofree char *body = request_body(gost, "");
		g_autofree char *long_id = g_strnfill(257, 'r');
		g_autofree char *blank = g_strnfill(64 * 1024, '\n');
		g_autofree char *huge = g_strconcat(gost, blank, NULL);

		fails(f, POST, "/api/request", body, 400, "BAD_REQUEST");
		g_free(body);
		body = request_body(gost, long_id);
		fails(f, POST, "/api/request", body, 400, "BAD_REQUEST");
		/* A request of more than 64 KiB, even of good PEM and blanks. */
		csr_fails(f, huge, "CSR_INVALID", "64 KiB");
	}
	{
		g_autofree char *body = request_body(gost, "req-1");

		o = ok(f, POST, "/api/request", body);
		g_assert_cmpstr(str(o, "stage"), ==, "requested");
		g_assert_cmpint(num(o, "readyIn"), ==, 2);
		json_object_put(o);
	}
	o = ok(f, GET, "/api/state", NULL);
	g_assert_cmpstr(str(o, "requestId"), ==, "req-1");
	json_object_put(o);
	csr_key_free(k1);
	csr_key_free(k2);
	csr_key_free(k3);
	csr_key_free(k4);
}

static void test_certificate(struct fixture *f, gconstpointer data)
{
	g_autofree char *serial = NULL, *cert_pem = NULL, *body = NULL, *upper = NULL;
	g_autoptr(GBytes) der = NULL, ca = NULL;
	struct json_object *o, *chain;
	X509 *cert, *root, *from_der;
	const unsigned char *p;
	char id[41];

	walk_to(f, AKHMETOV, "requested");
	stage_order(f, GET, "/api/files/certificate.cer", NULL, "requested");
	stage_order(f, POST, "/api/installed", "{\"fileName\":\"a\",\"keyId\":\"b\"}", "requested");
	o = ok(f, GET, "/api/certificate", NULL);
	g_assert_cmpstr(str(o, "status"), ==, "processing");
	g_assert_cmpint(num(o, "readyIn"), ==, 2);
	json_object_put(o);
	f->now += 1;
	o = ok(f, GET, "/api/certificate", NULL);
	g_assert_cmpint(num(o, "readyIn"), ==, 1);
	json_object_put(o);
	f->now += 1;
	o = ok(f, GET, "/api/certificate", NULL);
	g_assert_cmpstr(str(o, "status"), ==, "issued");
	g_assert_cmpstr(str(o, "stage"), ==, "issued");
	serial = g_strdup(str(o, "serial"));
	cert_pem = g_strdup(str(o, "certificate"));
	g_assert_cmpstr(str(o, "notBefore"), ==, "2025-11-24T16:00:02Z");
	g_assert_cmpstr(str(o, "notAfter"), ==, "2026-11-24T16:00:02Z");
	chain = member(o, "chain");
	g_assert_cmpuint(json_object_array_length(chain), ==, 1);
	cert = pem_cert(cert_pem);
	root = pem_cert(json_object_get_string(json_object_array_get_idx(chain, 0)));
	json_object_put(o);
	g_assert_nonnull(strstr(g_ptr_array_index(f->sms, f->sms->len - 1), "выпущено"));

	/* Issued by the test root, for the key and subject requested. */
	g_assert_cmpint(kzgost_cert_verify_issued(root, cert), ==, 0);
	g_assert_cmpint(csr_key_matches_cert(f->key, cert), ==, 0);
	{
		char cn[128];

		X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
					  sizeof(cn));
		g_assert_cmpstr(cn, ==, "АХМЕТОВ ЕРЛАН");
		X509_NAME_get_text_by_NID(X509_get_subject_name(root), NID_commonName, cn,
					  sizeof(cn));
		g_assert_cmpstr(cn, ==, "QOLTANBA TEST ROOT (GOST)");
	}

	/* Issued once. */
	f->now += 100;
	o = ok(f, GET, "/api/certificate", NULL);
	g_assert_cmpstr(str(o, "serial"), ==, serial);
	g_assert_cmpstr(str(o, "certificate"), ==, cert_pem);
	json_object_put(o);

	der = download(f, "/api/files/certificate.cer", "certificate.cer");
	p = g_bytes_get_data(der, NULL);
	from_der = d2i_X509(NULL, &p, (long)g_bytes_get_size(der));
	g_assert_nonnull(from_der);
	g_assert_cmpint(X509_cmp(from_der, cert), ==, 0);
	X509_free(from_der);
	ca = download(f, "/api/files/ca.cer", "ca.cer");
	p = g_bytes_get_data(ca, NULL);
	from_der = d2i_X509(NULL, &p, (long)g_bytes_get_size(ca));
	g_assert_cmpint(X509_cmp(from_der, root), ==, 0);
	X509_free(from_der);

	fails(f, POST, "/api/installed", "{\"fileName\":\"a.p12\",\"keyId\":\"00\"}", 400,
	      "CSR_MISMATCH");
	{
		g_autofree char *name = g_strnfill(256, 'n');
		g_autofree char *long_name = g_strdup_printf(
			"{\"fileName\":\"%s\",\"keyId\":\"00\"}", name);

		fails(f, POST, "/api/installed", long_name, 400, "BAD_REQUEST");
	}
	g_assert_cmpint(csr_key_id(f->key, id), ==, 0);
	upper = g_ascii_strup(id, -1);
	body = g_strdup_printf("{\"fileName\":\"GOST512_%s.p12\",\"keyId\":\"%s\"}", id, upper);
	expect_stage(f, POST, "/api/installed", body, "installed");
	o = ok(f, GET, "/api/certificate", NULL);
	g_assert_cmpstr(str(o, "stage"), ==, "installed");
	json_object_put(o);
	X509_free(cert);
	X509_free(root);
}

/* ---- verifying signatures ---- */

static int gost_sign_digest(void *ctx, const uint8_t *digest, size_t len, uint8_t **ret,
			    size_t *ret_len)
{
	struct csr_key *k = ctx;
	uint8_t *sig = OPENSSL_malloc(KZGOST_SIGNATURE_SIZE);

	g_assert_cmpuint(len, ==, KZGOST_DIGEST_SIZE);
	g_assert_cmpint(kzgost_sign(k->gost, digest, sig), ==, 0);
	*ret = sig;
	*ret_len = KZGOST_SIGNATURE_SIZE;
	return 0;
}

static char *cms_base64(const struct signer *s, const char *data, bool attached)
{
	const struct cades_options o = { .attached = attached };
	uint8_t *der = NULL;
	size_t len = 0;
	char *b64;

	g_assert_cmpint(cades_sign(s, data, strlen(data), &o, &der, &len), ==, 0);
	b64 = g_base64_encode(der, len);
	free(der);
	return b64;
}

static char *verify_body(const char *format, const char *signature, const char *data)
{
	struct json_object *o = json_object_new_object();
	char *text;

	json_object_object_add(o, "format", json_object_new_string(format));
	json_object_object_add(o, "signature", json_object_new_string(signature));
	if (data) {
		g_autofree char *b64 = g_base64_encode((const guint8 *)data, strlen(data));

		json_object_object_add(o, "data", json_object_new_string(b64));
	}
	text = g_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

static struct json_object *verify_ok(struct fixture *f, const char *format,
				     const char *signature, const char *data)
{
	g_autofree char *body = verify_body(format, signature, data);
	struct json_object *o = ok(f, POST, "/api/verify", body);

	g_assert_true(json_object_get_boolean(member(o, "valid")));
	g_assert_cmpstr(str(o, "format"), ==, format);
	return o;
}

static void verify_fails(struct fixture *f, const char *format, const char *signature,
			 const char *data, const char *reason)
{
	g_autofree char *body = verify_body(format, signature, data);
	struct json_object *holder;
	struct json_object *e = fails_with(f, POST, "/api/verify", body, 400,
					   "SIGNATURE_INVALID", &holder);

	g_test_message("%s", str(e, "reason"));
	g_assert_nonnull(strstr(str(e, "reason"), reason));
	json_object_put(holder);
}

/* A certificate from ca for a new key of alg, with the applicant's
 * subject. */
static X509 *issue_other(struct testca *ca, enum csr_algorithm alg, struct csr_key **ret_key)
{
	const struct csr_subject s = {
		.common_name = "АХМЕТОВ ЕРЛАН",
		.surname = "АХМЕТОВ",
		.serial_number = "IIN" AKHMETOV,
		.email = "a@b.kz",
	};
	g_autofree char *pem = NULL;
	const char *why = NULL;
	X509_REQ *req;
	X509 *cert = NULL;
	BIO *bio;

	g_assert_cmpint(csr_key_generate(alg, ret_key), ==, 0);
	g_assert_cmpint(csr_build(*ret_key, &s, CSR_STORAGE_OID_PKCS12, &pem), ==, 0);
	bio = BIO_new_mem_buf(pem, -1);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	g_assert_cmpint(testca_issue(ca, req, NULL, &cert, &why), ==, 0);
	X509_REQ_free(req);
	return cert;
}

static void test_verify(struct fixture *f, gconstpointer data)
{
	static const char text[] = "Демонстрационное заявление.";
	struct signer s;
	X509 *cert;
	struct json_object *o, *signer;
	g_autofree char *cms = NULL, *detached = NULL, *xml = NULL, *tampered = NULL;
	g_autofree char *pem_cms = NULL, *ca_dir = NULL, *other_dir = NULL;
	char *signed_xml = NULL, *error = NULL;

	walk_to(f, AKHMETOV, "installed");
	cert = pem_cert(f->cert_pem);
	s = (struct signer){ .alg = SIGNER_ALG_GOST2015_512, .cert = cert,
			     .sign_digest = gost_sign_digest, .ctx = f->key };

	/* GOST CMS, attached. */
	cms = cms_base64(&s, text, true);
	o = verify_ok(f, "cms", cms, NULL);
	signer = member(o, "signer");
	g_assert_cmpstr(str(signer, "cn"), ==, "АХМЕТОВ ЕРЛАН");
	g_assert_cmpstr(str(signer, "iin"), ==, AKHMETOV);
	g_assert_cmpstr(str(signer, "issuer"), ==, "QOLTANBA TEST ROOT (GOST)");
	g_assert_cmpstr(str(signer, "notBefore"), ==, "2025-11-24T16:00:02Z");
	g_assert_nonnull(str(signer, "serial"));
	g_assert_nonnull(str(o, "signingTime"));
	g_assert_cmpstr(str(o, "content"), ==, text);
	json_object_put(o);
	/* The same in PEM armour, as basics "sign" gives it. */
	{
		gsize len = 0;
		g_autofree guint8 *der = g_base64_decode(cms, &len);

		pem_cms = cades_pem(der, len);
		o = verify_ok(f, "cms", pem_cms, NULL);
		json_object_put(o);
	}

	/* Detached: the data must come along, and be the data signed. */
	detached = cms_base64(&s, text, false);
	o = verify_ok(f, "cms", detached, text);
	g_assert_cmpstr(str(o, "content"), ==, text);
	json_object_put(o);
	verify_fails(f, "cms", detached, "Демонстрационное заявление!", "messageDigest");
	verify_fails(f, "cms", detached, NULL, "detached");
	verify_fails(f, "cms", "AAAA", NULL, "not a CMS");
	verify_fails(f, "cms", "!!!!", NULL, "base64");
	fails(f, POST, "/api/verify", "{\"format\":\"pdf\",\"signature\":\"AAAA\"}", 400,
	      "BAD_REQUEST");

	/* GOST XML. */
	{
		const char *sample = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
				     "<document><type>demo-statement</type></document>";

		g_assert_cmpint(xmldsig_sign(&s, sample, strlen(sample), NULL, NULL, &signed_xml,
					     &error),
				==, 0);
		xml = g_strdup(signed_xml);
		free(signed_xml);
		o = verify_ok(f, "xml", xml, NULL);
		g_assert_cmpstr(str(o, "content"), ==,
				"<document><type>demo-statement</type></document>");
		g_assert_cmpstr(str(member(o, "signer"), "iin"), ==, AKHMETOV);
		g_assert_true(json_object_is_type(member(o, "signingTime"), json_type_null));
		json_object_put(o);
		tampered = g_strdup(xml);
		*strstr(tampered, "demo-statement") = 'D';
		verify_fails(f, "xml", tampered, NULL, "DigestValue");
		verify_fails(f, "xml", "<document/>", NULL, "ds:Signature");
		verify_fails(f, "xml", "<document>", NULL, "well-formed");
	}

	/* RSA from the same test CA: CMS and XML. */
	ca_dir = g_build_filename(f->dir, "ca", NULL);
	{
		struct testca *ca = NULL;
		struct csr_key *k = NULL;
		X509 *rsa_cert;
		struct signer rs;
		g_autofree char *rsa_cms = NULL, *rsa_detached = NULL;
		const char *sample = "<a><b>RSA</b></a>";

		g_assert_cmpint(testca_open(ca_dir, &ca), ==, 0);
		rsa_cert = issue_other(ca, CSR_ALG_RSA2048, &k);
		g_assert_cmpint(signer_init_pkey(&rs, k->pkey, rsa_cert), ==, 0);
		rsa_cms = cms_base64(&rs, text, true);
		o = verify_ok(f, "cms", rsa_cms, NULL);
		g_assert_cmpstr(str(member(o, "signer"), "issuer"), ==, "QOLTANBA TEST ROOT (RSA)");
		g_assert_cmpstr(str(o, "content"), ==, text);
		json_object_put(o);
		rsa_detached = cms_base64(&rs, text, false);
		json_object_put(verify_ok(f, "cms", rsa_detached, text));
		verify_fails(f, "cms", rsa_detached, "other", "does not verify");
		g_assert_cmpint(xmldsig_sign(&rs, sample, strlen(sample), NULL, NULL, &signed_xml,
					     &error),
				==, 0);
		o = verify_ok(f, "xml", signed_xml, NULL);
		g_assert_cmpstr(str(o, "content"), ==, "<a><b>RSA</b></a>");
		json_object_put(o);
		*strstr(signed_xml, "RSA</b>") = 'X';
		verify_fails(f, "xml", signed_xml, NULL, "DigestValue");
		free(signed_xml);
		X509_free(rsa_cert);
		csr_key_free(k);
		testca_free(ca);
	}

	/* A key certified by another CA, of the same name. */
	other_dir = g_build_filename(f->dir, "other-ca", NULL);
	{
		struct testca *other = NULL;
		struct csr_key *k = NULL;
		X509 *foreign;
		struct signer fs;
		g_autofree char *foreign_cms = NULL;

		g_assert_cmpint(testca_create(other_dir, NULL, &other), ==, 0);
		foreign = issue_other(other, CSR_ALG_GOST512, &k);
		fs = (struct signer){ .alg = SIGNER_ALG_GOST2015_512, .cert = foreign,
				      .sign_digest = gost_sign_digest, .ctx = k };
		foreign_cms = cms_base64(&fs, text, true);
		verify_fails(f, "cms", foreign_cms, NULL, "not issued by any given CA");
		X509_free(foreign);
		csr_key_free(k);
		testca_free(other);
	}
	X509_free(cert);
}

/* ---- restart, and failures of the portal's own ---- */

static void test_restart(struct fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) ca = NULL, ca_again = NULL;
	struct json_object *o;

	walk_to(f, SEITKALIEVA, "pin");
	ca = download(f, "/api/files/ca.cer", "ca.cer");
	portal_free(f->p);
	fixture_open(f);
	o = ok(f, GET, "/api/state", NULL);
	g_assert_cmpstr(str(o, "stage"), ==, "pin");
	g_assert_cmpstr(str(o, "iin"), ==, SEITKALIEVA);
	g_assert_cmpstr(str(o, "maskedPhone"), ==, "+7 707 *** ** 21");
	json_object_put(o);
	ca_again = download(f, "/api/files/ca.cer", "ca.cer");
	g_assert_true(g_bytes_equal(ca, ca_again));
	o = ok(f, GET, "/api/inbox", NULL);
	g_assert_cmpuint(json_object_array_length(member(o, "messages")), ==, 2);
	json_object_put(o);
	/* The PIN survives too. */
	g_clear_pointer(&f->sid, g_free);
	expect_stage(f, POST, "/api/resume", "{\"iin\":\"" SEITKALIEVA "\",\"pin\":\"482915\"}",
		     "pin");

	/* And the walk goes on to the keys across another restart. */
	walk_to(f, SEITKALIEVA, "requested");
	portal_free(f->p);
	fixture_open(f);
	f->now += 10;
	o = ok(f, GET, "/api/certificate", NULL);
	g_assert_cmpstr(str(o, "status"), ==, "issued");
	json_object_put(o);
}

static void test_internal(struct fixture *f, gconstpointer data)
{
	g_autofree char *file = NULL;
	struct portal_reply r = PORTAL_REPLY_NULL;

	walk_to(f, AKHMETOV, "signed-in");
	file = app_file(f, "application.json");
	g_assert_true(g_file_set_contents(file, "{\"stage\":\"nonsense\"}", -1, NULL));
	portal_handle(f->p, GET, "/api/state", f->sid, "", 0, &r);
	g_assert_cmpuint(r.status, ==, 500);
	g_assert_cmpstr(r.error, ==, "INTERNAL");
	g_assert_nonnull(r.log);
	portal_reply_clear(&r);
	g_assert_true(g_file_set_contents(file, "[", -1, NULL));
	fails(f, GET, "/api/inbox", NULL, 500, "INTERNAL");
	/* Others are not hurt. */
	expect_stage(f, POST, "/api/start", "{}", "started");
}

static void test_portal_new(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-demo-portal-XXXXXX", &error);
	g_autofree char *data = g_build_filename(dir, "data", NULL);
	g_autofree char *file = g_build_filename(dir, "file", NULL);
	struct portal_options o = { .data_dir = data, .register_path = "/nonexistent.json" };
	struct portal *p = NULL;
	struct stat st;
	char *why = NULL;

	g_assert_cmpint(portal_new(&o, &p, &why), <, 0);
	g_assert_nonnull(strstr(why, "/nonexistent.json"));
	g_free(why);
	o.register_path = PORTAL_REGISTER;
	g_assert_true(g_file_set_contents(file, "", -1, NULL));
	o.data_dir = file;
	g_assert_cmpint(portal_new(&o, &p, &why), ==, -ENOTDIR);
	g_free(why);
	o.data_dir = data;
	g_assert_cmpint(portal_new(&o, &p, &why), ==, 0);
	g_assert_cmpint(stat(data, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 0777, ==, 0700);
	portal_free(p);
	test_rm_rf(dir);
}

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/portal/register/iin-checksum", test_iin_checksum);
	g_test_add_func("/portal/register/phone", test_phone_normalise);
	g_test_add_func("/portal/register/file", test_register_file);
	g_test_add_func("/portal/media", test_media);
	g_test_add_func("/portal/new", test_portal_new);
#define ADD(path, fn) g_test_add(path, struct fixture, NULL, setup, fn, teardown)
	ADD("/portal/routes", test_routes);
	ADD("/portal/start", test_start);
	ADD("/portal/iin", test_iin);
	ADD("/portal/code/wrong", test_code_wrong);
	ADD("/portal/code/expired", test_code_expired);
	ADD("/portal/ident/phone", test_ident_phone);
	ADD("/portal/selfie", test_selfie);
	ADD("/portal/video", test_video);
	ADD("/portal/pin", test_pin);
	ADD("/portal/resume", test_resume);
	ADD("/portal/documents", test_documents);
	ADD("/portal/confirm/moderation", test_moderation);
	ADD("/portal/confirm/expired", test_expired_card);
	ADD("/portal/agreement", test_agreement);
	ADD("/portal/request", test_request);
	ADD("/portal/certificate", test_certificate);
	ADD("/portal/verify", test_verify);
	ADD("/portal/restart", test_restart);
	ADD("/portal/internal", test_internal);
#undef ADD
	r = g_test_run();
	register_free(test_register);
	json_object_put(applied_subject);
	return r;
}
