/* The identity service: selfie, video with prompts, the PIN to resume
 * with, the ID card photos, what was "recognised" on them and the check
 * of the confirmed data against the register. */
#include "web/portal/app-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "web/portal/media.h"

#define IMAGE_MAX (8u * 1024 * 1024)
#define IMAGE_MIN_LONG 320
#define IMAGE_MIN_SHORT 240
#define VIDEO_MAX (16u * 1024 * 1024)

/* The video: "look" first, then VIDEO_PROMPTS - 1 others in a drawn
 * order, one every VIDEO_PROMPT_STEP_HALVES / 2 seconds. */
#define VIDEO_SECONDS 6
#define VIDEO_PROMPTS 4
#define VIDEO_PROMPT_STEP_HALVES 3

#define PIN_ITERATIONS 100000
#define PIN_SALT_SIZE 16
#define PIN_HASH_SIZE 32
#define PIN_ITERATIONS_MAX 10000000

/* ---- photos ---- */

/* The request's "image": a JPEG as media.h checks it, written to
 * file in the application's folder. */
static int image_take(struct call *c, const char *file, struct json_object **ret_info)
{
	g_autofree uint8_t *data = NULL;
	struct json_object *info;
	unsigned width = 0, height = 0;
	const char *text, *why = NULL;
	size_t len = 0;
	int r;

	r = req_string(c, "image", &text);
	if (r != 0)
		return r;
	if (!base64_decode_max(text, IMAGE_MAX, &data, &len))
		return call_fail(c, PORTAL_E_IMAGE_INVALID,
				 "The image is not base64 of at most 8 MiB.");
	if (media_jpeg_check(data, len, IMAGE_MIN_LONG, IMAGE_MIN_SHORT, &width, &height, &why))
		return call_fail(c, PORTAL_E_IMAGE_INVALID, why);
	r = store_put(c->p->store, c->app->dir, file, data, len);
	if (r < 0)
		return call_internal(c, r, "cannot write a photo");
	info = json_object_new_object();
	json_set_int(info, "width", width);
	json_set_int(info, "height", height);
	json_set_int(info, "bytes", (int64_t)len);
	*ret_info = info;
	return 0;
}

int call_selfie(struct call *c)
{
	struct json_object *info = NULL;
	int r = image_take(c, "selfie.jpg", &info);

	if (r != 0)
		return r;
	answer_int(c, "width", json_get_int(info, "width"));
	answer_int(c, "height", json_get_int(info, "height"));
	app_set(c->app, "selfie", info);
	app_set_stage(c->app, STAGE_SELFIE);
	answer_stage(c);
	return 0;
}

int call_document(struct call *c)
{
	struct application *a = c->app;
	struct json_object *info = NULL, *docs;
	const char *side;
	bool front;
	int r;

	r = req_string(c, "side", &side);
	if (r != 0)
		return r;
	if (strcmp(side, "front") != 0 && strcmp(side, "back") != 0)
		return call_fail(c, PORTAL_E_BAD_REQUEST, "side is not front or back.");
	front = side[0] == 'f';
	if (front ? a->stage > STAGE_DOCUMENT_FRONT : a->stage < STAGE_DOCUMENT_FRONT)
		return call_stage_order(c);
	r = image_take(c, front ? "document-front.jpg" : "document-back.jpg", &info);
	if (r != 0)
		return r;
	answer_int(c, "width", json_get_int(info, "width"));
	answer_int(c, "height", json_get_int(info, "height"));
	if (!json_object_object_get_ex(a->j, "documents", &docs)) {
		docs = json_object_new_object();
		app_set(a, "documents", docs);
	}
	json_object_object_add(docs, side, info);
	app_set_stage(a, front ? STAGE_DOCUMENT_FRONT : STAGE_DOCUMENTS);
	answer_stage(c);
	return 0;
}

/* ---- video ---- */

struct json_object *video_prompts_draw(void)
{
	const char *rest[] = { "turn-left", "turn-right", "smile", "blink", "nod" };
	struct json_object *list = json_object_new_array();

	json_object_array_add(list, json_object_new_string("look"));
	/* Fisher–Yates over the others; the first few are the draw. */
	for (size_t i = G_N_ELEMENTS(rest) - 1; i > 0; i--) {
		const char *t;
		uint32_t j;

		if (random_below((uint32_t)i + 1, &j) < 0) {
			json_object_put(list);
			return NULL;
		}
		t = rest[i];
		rest[i] = rest[j];
		rest[j] = t;
	}
	for (size_t i = 0; i < VIDEO_PROMPTS - 1; i++)
		json_object_array_add(list, json_object_new_string(rest[i]));
	return list;
}

int call_video_prompts(struct call *c)
{
	struct json_object *drawn, *list = json_object_new_array();

	json_object_object_add(answer(c), "seconds", json_object_new_int(VIDEO_SECONDS));
	json_object_object_add(answer(c), "prompts", list);
	if (!json_object_object_get_ex(c->app->j, "prompts", &drawn))
		return call_internal(c, -EBADMSG, "the application has no prompts");
	for (size_t i = 0; i < json_object_array_length(drawn); i++) {
		struct json_object *p = json_object_new_object();
		unsigned halves = (unsigned)i * VIDEO_PROMPT_STEP_HALVES;

		json_object_object_add(p, "id",
				       json_object_get(json_object_array_get_idx(drawn, i)));
		json_object_object_add(p, "at", halves % 2 ? json_object_new_double(halves / 2.0)
							   : json_object_new_int((int)halves / 2));
		json_object_array_add(list, p);
	}
	return 0;
}

static bool same_prompts(struct json_object *given, struct json_object *drawn)
{
	size_t n = json_object_array_length(drawn);

	if (json_object_array_length(given) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(given, i);

		if (!json_object_is_type(g, json_type_string) ||
		    strcmp(json_object_get_string(g),
			   json_object_get_string(json_object_array_get_idx(drawn, i))) != 0)
			return false;
	}
	return true;
}

int call_video(struct call *c)
{
	g_autofree uint8_t *data = NULL;
	struct json_object *prompts, *drawn, *info;
	const char *text, *why = NULL;
	size_t len = 0;
	int r;

	r = req_string(c, "video", &text);
	if (r == 0)
		r = req_array(c, "prompts", &prompts);
	if (r != 0)
		return r;
	if (!base64_decode_max(text, VIDEO_MAX, &data, &len))
		return call_fail(c, PORTAL_E_VIDEO_INVALID,
				 "The video is not base64 of at most 16 MiB.");
	if (media_webm_check(data, len, &why))
		return call_fail(c, PORTAL_E_VIDEO_INVALID, why);
	if (!json_object_object_get_ex(c->app->j, "prompts", &drawn) ||
	    !same_prompts(prompts, drawn))
		return call_fail(c, PORTAL_E_VIDEO_INVALID,
				 "The prompts are not the ones drawn for this application.");
	r = store_put(c->p->store, c->app->dir, "video.webm", data, len);
	if (r < 0)
		return call_internal(c, r, "cannot write the video");
	info = json_object_new_object();
	json_set_int(info, "bytes", (int64_t)len);
	app_set(c->app, "video", info);
	app_set_stage(c->app, STAGE_VIDEO);
	answer_stage(c);
	answer_int(c, "bytes", (int64_t)len);
	return 0;
}

/* ---- the PIN ---- */

bool pin_well_formed(const char *pin)
{
	if (strlen(pin) != 6)
		return false;
	for (size_t i = 0; i < 6; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return false;
	return true;
}

/* One digit repeated, a run up or down, or the birth date as DDMMYY or
 * YYMMDD (how the IIN begins). */
static bool pin_weak(const char *pin, const struct register_citizen *p)
{
	const char *b = p->birth_date; /* YYYY-MM-DD */
	char ddmmyy[7], yymmdd[7];
	bool same = true, up = true, down = true;

	for (size_t i = 1; i < 6; i++) {
		same &= pin[i] == pin[0];
		up &= pin[i] == pin[i - 1] + 1;
		down &= pin[i] == pin[i - 1] - 1;
	}
	snprintf(ddmmyy, sizeof(ddmmyy), "%.2s%.2s%.2s", b + 8, b + 5, b + 2);
	snprintf(yymmdd, sizeof(yymmdd), "%.2s%.2s%.2s", b + 2, b + 5, b + 8);
	return same || up || down || strcmp(pin, ddmmyy) == 0 || strcmp(pin, yymmdd) == 0;
}

static char *hex(const uint8_t *b, size_t n)
{
	char *s = g_malloc(2 * n + 1);

	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return s;
}

static int derive(const char *pin, const uint8_t *salt, size_t salt_len, unsigned iterations,
		  uint8_t ret[PIN_HASH_SIZE])
{
	if (PKCS5_PBKDF2_HMAC(pin, (int)strlen(pin), salt, (int)salt_len, (int)iterations,
			      EVP_sha256(), PIN_HASH_SIZE, ret) != 1)
		return -EIO;
	return 0;
}

int pin_hash(const char *pin, char **ret)
{
	uint8_t salt[PIN_SALT_SIZE], hash[PIN_HASH_SIZE];
	g_autofree char *salt_hex = NULL, *hash_hex = NULL;
	int r;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -EIO;
	r = derive(pin, salt, sizeof(salt), PIN_ITERATIONS, hash);
	if (r < 0)
		return r;
	salt_hex = hex(salt, sizeof(salt));
	hash_hex = hex(hash, sizeof(hash));
	*ret = g_strdup_printf("pbkdf2-sha256$%u$%s$%s", PIN_ITERATIONS, salt_hex, hash_hex);
	return 0;
}

static bool unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = g_ascii_xdigit_value(s[2 * i]), lo = g_ascii_xdigit_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool pin_matches(const char *stored, const char *pin)
{
	g_auto(GStrv) parts = stored ? g_strsplit(stored, "$", 0) : NULL;
	uint8_t salt[PIN_SALT_SIZE], want[PIN_HASH_SIZE], got[PIN_HASH_SIZE];
	guint64 iterations;

	if (!parts || g_strv_length(parts) != 4 || strcmp(parts[0], "pbkdf2-sha256") != 0 ||
	    !g_ascii_string_to_unsigned(parts[1], 10, 1, PIN_ITERATIONS_MAX, &iterations, NULL) ||
	    !unhex(parts[2], salt, sizeof(salt)) || !unhex(parts[3], want, sizeof(want)))
		return false;
	if (derive(pin, salt, sizeof(salt), (unsigned)iterations, got) < 0)
		return false;
	return CRYPTO_memcmp(got, want, sizeof(got)) == 0;
}

int call_pin(struct call *c)
{
	_cleanup_(json_object_putp) struct json_object *index = json_object_new_object();
	struct application *a = c->app;
	g_autofree char *hash = NULL;
	const char *pin;
	int r;

	r = req_string(c, "pin", &pin);
	if (r != 0)
		return r;
	if (!pin_well_formed(pin))
		return call_fail(c, PORTAL_E_PIN_INVALID, NULL);
	if (pin_weak(pin, a->citizen))
		return call_fail(c, PORTAL_E_PIN_WEAK, NULL);
	r = pin_hash(pin, &hash);
	if (r < 0)
		return call_internal(c, r, "cannot hash the PIN");
	app_set_string(a, "pin", hash);
	json_set_string(index, "application", a->id);
	r = store_put_json(c->p->store, "by-iin", a->citizen->iin, index);
	if (r < 0)
		return call_internal(c, r, "cannot write the IIN's index");
	app_set_stage(a, STAGE_PIN);
	answer_stage(c);
	return 0;
}

/* ---- the register check ---- */

int call_recognised(struct call *c)
{
	const struct register_citizen *p = c->app->citizen;

	answer_string(c, "surname", p->surname);
	answer_string(c, "givenName", p->given_name);
	answer_string(c, "patronymic", p->patronymic);
	answer_string(c, "birthDate", p->birth_date);
	answer_string(c, "documentNumber", p->card.number);
	answer_string(c, "issued", p->card.issued);
	answer_string(c, "expires", p->card.expires);
	answer_string(c, "authority", p->card.authority);
	return 0;
}

/* Names: equal ignoring case and surrounding spaces. */
static bool same_name(const char *given, const char *registered)
{
	g_autofree char *a = g_utf8_make_valid(given, -1);
	g_autofree char *b = g_utf8_make_valid(registered, -1);
	g_autofree char *fa = g_utf8_casefold(g_strstrip(a), -1);
	g_autofree char *fb = g_utf8_casefold(g_strstrip(b), -1);
	g_autofree char *na = g_utf8_normalize(fa, -1, G_NORMALIZE_NFC);
	g_autofree char *nb = g_utf8_normalize(fb, -1, G_NORMALIZE_NFC);

	return na && nb && strcmp(na, nb) == 0;
}

static bool same_text(const char *given, const char *registered)
{
	g_autofree char *a = g_strstrip(g_strdup(given));

	return strcmp(a, registered) == 0;
}

int call_confirm(struct call *c)
{
	static const char *const names[] = { "surname", "givenName", "patronymic", "birthDate",
					     "documentNumber" };
	struct application *a = c->app;
	const struct register_citizen *p = a->citizen;
	const char *registered[] = { p->surname, p->given_name, p->patronymic, p->birth_date,
				     p->card.number };
	struct json_object *reasons = json_object_new_array(), *confirmed;
	char today[ISO_TIME_SIZE];
	const char *given[G_N_ELEMENTS(names)];
	int r;

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		r = req_string(c, names[i], &given[i]);
		if (r != 0) {
			json_object_put(reasons);
			return r;
		}
	}
	confirmed = json_object_new_object();
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		bool same = i < 3 ? same_name(given[i], registered[i])
				  : same_text(given[i], registered[i]);

		json_set_string(confirmed, names[i], given[i]);
		if (!same)
			json_object_array_add(reasons, json_object_new_string(names[i]));
	}
	iso_time(c->now, today);
	today[10] = '\0';
	if (strcmp(p->card.expires, today) < 0)
		json_object_array_add(reasons, json_object_new_string("expired"));
	app_set(a, "confirmed", confirmed);
	app_set(a, "reasons", json_object_get(reasons));
	if (json_object_array_length(reasons) == 0) {
		app_set_stage(a, STAGE_VERIFIED);
		answer_stage(c);
		json_object_put(reasons);
		return sms_send(c, TEXTS_SMS_VERIFIED, NULL);
	}
	app_set_stage(a, STAGE_MODERATION);
	answer_stage(c);
	json_object_object_add(answer(c), "reasons", reasons);
	return sms_send(c, TEXTS_SMS_MODERATION, NULL);
}
