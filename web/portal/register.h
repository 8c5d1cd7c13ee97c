/* register: the demo portal's national register, a small JSON file of
 * fictitious citizens (web/portal/register.json), and the IIN's own rules.
 *
 * The file is an object with an array "citizens"; each citizen has
 *   iin         12 digits with a valid check digit (register_iin_valid())
 *   surname, givenName, patronymic   UTF-8 strings ("" for none)
 *   birthDate   "YYYY-MM-DD"
 *   phone       "+7" and 10 digits, or null (no registered phone)
 *   idCard      {number, issued, expires ("YYYY-MM-DD"), authority}
 *   note        an English sentence for the demo's hint list
 * Other members are ignored.
 *
 * Return values: 0 success; REGISTER_E_INVALID for a file that breaks
 * these rules (*ret_why, if not NULL, is a new string naming the citizen
 * and the member, free() it); a negative errno when the file cannot be
 * read. Nothing here logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum register_error {
	REGISTER_E_INVALID = 1,
};

/* IIN digits and a NUL. */
#define REGISTER_IIN_SIZE 13
/* "+7" and 10 digits and a NUL. */
#define REGISTER_PHONE_SIZE 13

struct register_card {
	char *number;
	char *issued;  /* YYYY-MM-DD */
	char *expires; /* YYYY-MM-DD */
	char *authority;
};

struct register_citizen {
	char iin[REGISTER_IIN_SIZE];
	char *surname;
	char *given_name;
	char *patronymic; /* "" when the citizen has none */
	char *birth_date; /* YYYY-MM-DD */
	char phone[REGISTER_PHONE_SIZE]; /* "" when no phone is registered */
	struct register_card card;
	char *note;
};

struct register_db {
	struct register_citizen *citizens;
	size_t n_citizens;
};

/* Read the register at path. *ret is the caller's (register_free()). */
int register_load(const char *path, struct register_db **ret, char **ret_why);

/* Accepts NULL; returns NULL. */
struct register_db *register_free(struct register_db *db);

/* The citizen with this IIN, owned by db, or NULL. */
const struct register_citizen *register_find(const struct register_db *db, const char *iin);

/* True for 12 ASCII digits whose last one is the IIN's check digit: the
 * sum of the first eleven digits weighted 1..11, modulo 11; when that is
 * 10, the sum weighted 3..11,1,2 modulo 11; an IIN whose second sum is
 * also 10 is never issued, so it is not valid either. */
bool register_iin_valid(const char *iin);

/* "+7 701 *** ** 67" for "+77011234567": 17 bytes and a NUL. phone must
 * be "+7" and 10 digits. */
#define REGISTER_MASKED_PHONE_SIZE 18
void register_mask_phone(const char *phone, char ret[REGISTER_MASKED_PHONE_SIZE]);

/* Read a phone number as a person types it: "+7" or "8" and 10 digits;
 * spaces, dashes and brackets are ignored. On success ret holds "+7" and
 * the 10 digits. False for anything else. */
bool register_phone_normalise(const char *text, char ret[REGISTER_PHONE_SIZE]);
