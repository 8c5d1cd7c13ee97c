/* texts: what the portal says in words: the SMS it sends, NCA's user
 * agreement and the sample documents, in Kazakh, Russian and English. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum texts_lang {
	TEXTS_LANG_KK,
	TEXTS_LANG_RU,
	TEXTS_LANG_EN,
};

/* "kk", "ru", "en"; and back (false for another name). */
const char *texts_lang_name(enum texts_lang lang);
bool texts_lang_from_name(const char *name, enum texts_lang *ret);

enum texts_sms {
	TEXTS_SMS_LOGIN_CODE, /* one %s: the code */
	TEXTS_SMS_IDENT_CODE, /* one %s: the code */
	TEXTS_SMS_VERIFIED,
	TEXTS_SMS_MODERATION,
	TEXTS_SMS_ISSUED,
};

/* A new string (g_free()): the SMS text, with code put in where the text
 * has one (NULL for texts without). */
char *texts_sms(enum texts_lang lang, enum texts_sms which, const char *code);

/* NCA's user agreement. */
#define TEXTS_AGREEMENT_VERSION "2026-1"

struct texts_agreement {
	const char *title;
	const char *const *paragraphs; /* NULL-terminated */
};

const struct texts_agreement *texts_agreement(enum texts_lang lang);

/* The sample documents to sign: a short text and a small XML document. */
const char *texts_sample_text(enum texts_lang lang);
const char *texts_sample_xml(enum texts_lang lang);
