#include "web/portal/register.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-c/json.h>

#include "util/cleanup.h"

DEFINE_POINTER_CLEANUP(json_object_put, struct json_object)

/* A register is a handful of people; a file much larger is a mistake. */
#define REGISTER_FILE_MAX (1024 * 1024)

bool register_iin_valid(const char *iin)
{
	static const int second[11] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2 };
	int d[12], sum = 0;

	if (!iin || strlen(iin) != 12)
		return false;
	for (int i = 0; i < 12; i++) {
		if (iin[i] < '0' || iin[i] > '9')
			return false;
		d[i] = iin[i] - '0';
	}
	for (int i = 0; i < 11; i++)
		sum += (i + 1) * d[i];
	sum %= 11;
	if (sum == 10) {
		sum = 0;
		for (int i = 0; i < 11; i++)
			sum += second[i] * d[i];
		sum %= 11;
		if (sum == 10)
			return false;
	}
	return sum == d[11];
}

void register_mask_phone(const char *phone, char ret[REGISTER_MASKED_PHONE_SIZE])
{
	snprintf(ret, REGISTER_MASKED_PHONE_SIZE, "+7 %.3s *** ** %.2s", phone + 2, phone + 10);
}

bool register_phone_normalise(const char *text, char ret[REGISTER_PHONE_SIZE])
{
	char digits[12];
	size_t n = 0;
	bool plus = false;

	for (const char *s = text; *s; s++) {
		if (*s == ' ' || *s == '-' || *s == '(' || *s == ')')
			continue;
		if (*s == '+' && n == 0 && !plus) {
			plus = true;
			continue;
		}
		if (*s < '0' || *s > '9' || n == sizeof(digits) - 1)
			return false;
		digits[n++] = *s;
	}
	if (n != 11 || (plus ? digits[0] != '7' : digits[0] != '8'))
		return false;
	ret[0] = '+';
	ret[1] = '7';
	memcpy(ret + 2, digits + 1, 10);
	ret[12] = '\0';
	return true;
}

static bool is_date(const char *s)
{
	static const char shape[] = "dddd-dd-dd";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	return true;
}

static void citizen_clear(struct register_citizen *c)
{
	free(c->surname);
	free(c->given_name);
	free(c->patronymic);
	free(c->birth_date);
	free(c->card.number);
	free(c->card.issued);
	free(c->card.expires);
	free(c->card.authority);
	free(c->note);
}

struct register_db *register_free(struct register_db *db)
{
	if (!db)
		return NULL;
	for (size_t i = 0; i < db->n_citizens; i++)
		citizen_clear(&db->citizens[i]);
	free(db->citizens);
	free(db);
	return NULL;
}

static void register_freep(struct register_db **db)
{
	register_free(*db);
}

const struct register_citizen *register_find(const struct register_db *db, const char *iin)
{
	for (size_t i = 0; iin && i < db->n_citizens; i++)
		if (strcmp(db->citizens[i].iin, iin) == 0)
			return &db->citizens[i];
	return NULL;
}

/* A string member, copied; NULL when missing or not a string. */
static char *member(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

static int invalid(char **ret_why, size_t index, const char *what)
{
	if (ret_why)
		*ret_why = g_strdup_printf("citizen %zu: %s", index + 1, what);
	return REGISTER_E_INVALID;
}

static int citizen_read(struct json_object *o, size_t index, struct register_citizen *c,
			char **ret_why)
{
	_cleanup_free_ char *iin = NULL, *phone = NULL;
	struct json_object *card, *v;

	if (!json_object_is_type(o, json_type_object))
		return invalid(ret_why, index, "not an object");
	iin = member(o, "iin");
	if (!iin || !register_iin_valid(iin))
		return invalid(ret_why, index, "iin is not a valid IIN");
	memcpy(c->iin, iin, REGISTER_IIN_SIZE);
	c->surname = member(o, "surname");
	c->given_name = member(o, "givenName");
	c->patronymic = member(o, "patronymic");
	c->birth_date = member(o, "birthDate");
	c->note = member(o, "note");
	if (!c->surname || !c->given_name || !c->patronymic || !c->note)
		return invalid(ret_why, index, "surname, givenName, patronymic or note is missing");
	if (!c->birth_date || !is_date(c->birth_date))
		return invalid(ret_why, index, "birthDate is not YYYY-MM-DD");
	if (!json_object_object_get_ex(o, "phone", &v))
		return invalid(ret_why, index, "phone is missing (null for none)");
	if (v) {
		phone = member(o, "phone");
		if (!phone || !register_phone_normalise(phone, c->phone) ||
		    strcmp(phone, c->phone) != 0)
			return invalid(ret_why, index, "phone is not +7 and 10 digits");
	}
	if (!json_object_object_get_ex(o, "idCard", &card) ||
	    !json_object_is_type(card, json_type_object))
		return invalid(ret_why, index, "idCard is missing");
	c->card.number = member(card, "number");
	c->card.issued = member(card, "issued");
	c->card.expires = member(card, "expires");
	c->card.authority = member(card, "authority");
	if (!c->card.number || !c->card.authority || !c->card.issued || !c->card.expires ||
	    !is_date(c->card.issued) || !is_date(c->card.expires))
		return invalid(ret_why, index,
			       "idCard needs number, authority, issued and expires");
	return 0;
}

int register_load(const char *path, struct register_db **ret, char **ret_why)
{
	_cleanup_(register_freep) struct register_db *db = NULL;
	_cleanup_(json_object_putp) struct json_object *root = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	struct json_object *list;
	gsize len = 0;
	int r;

	if (!g_file_get_contents(path, &text, &len, &error)) {
		if (ret_why)
			*ret_why = g_strdup(error->message);
		return error->domain == G_FILE_ERROR && error->code == G_FILE_ERROR_NOENT ? -ENOENT
											   : -EIO;
	}
	if (len > REGISTER_FILE_MAX) {
		if (ret_why)
			*ret_why = g_strdup("the file is larger than 1 MiB");
		return REGISTER_E_INVALID;
	}
	root = json_tokener_parse(text);
	if (!root || !json_object_object_get_ex(root, "citizens", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		if (ret_why)
			*ret_why = g_strdup("not a JSON object with an array \"citizens\"");
		return REGISTER_E_INVALID;
	}
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->citizens = calloc(json_object_array_length(list) + 1, sizeof(*db->citizens));
	if (!db->citizens)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct register_citizen *c = &db->citizens[db->n_citizens];

		r = citizen_read(json_object_array_get_idx(list, i), i, c, ret_why);
		db->n_citizens++;
		if (r != 0)
			return r;
		if (register_find(&(struct register_db){ db->citizens, i }, c->iin))
			return invalid(ret_why, i, "the IIN is listed twice");
	}
	*ret = TAKE_PTR(db);
	return 0;
}
