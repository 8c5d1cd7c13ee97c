/* pinentry: ask the user for a password or a yes/no through the program
 * GnuPG uses (the desktop's own pinentry-gnome3, pinentry-qt, …), speaking
 * its Assuan protocol over a pipe.
 *
 * Every call blocks until the user answers: run it on a worker thread,
 * never on the main loop. pinentry_cancel() may be called from any thread
 * to end a prompt early (the page that asked went away). */
#pragma once

#include <stdbool.h>

enum pinentry_error {
	PINENTRY_E_CANCELLED = 1, /* the user cancelled, or pinentry_cancel() */
	PINENTRY_E_START,         /* the program cannot be started */
	PINENTRY_E_PROTOCOL,      /* it said something that is not Assuan */
};

/* Texts of one prompt. NULL members are not sent. */
struct pinentry_texts {
	const char *title;       /* window title: who asks (the page's origin) */
	const char *description; /* what it is for: what is signed */
	const char *prompt;      /* the label beside the entry, e.g. "Password:" */
	const char *error;       /* shown above the entry: "Wrong password, 2 tries left" */
	const char *ok;          /* button texts */
	const char *cancel;
};

struct pinentry;

/* Start the program (a name looked up in PATH, or a path). Returns
 * -ENOMEM or PINENTRY_E_START / PINENTRY_E_PROTOCOL with *ret_message
 * (g_free) saying why. */
int pinentry_open(const char *program, struct pinentry **ret, char **ret_message);

/* Ask for a secret. On success *ret_secret is the answer (free it with
 * pinentry_secret_free(), which wipes it). */
int pinentry_get_secret(struct pinentry *p, const struct pinentry_texts *texts, char **ret_secret);

/* Ask the user to confirm: 0 for OK, PINENTRY_E_CANCELLED for Cancel. */
int pinentry_confirm(struct pinentry *p, const struct pinentry_texts *texts);

/* Make a blocked call return PINENTRY_E_CANCELLED (safe from any thread,
 * at most until pinentry_close() starts). */
void pinentry_cancel(struct pinentry *p);

/* End the conversation and reap the program. NULL is fine. */
struct pinentry *pinentry_close(struct pinentry *p);

void pinentry_secret_free(char *secret);

/* Assuan's percent escaping of a command argument ('%', CR, LF and other
 * control characters). Exposed for the tests. g_free() the result. */
char *pinentry_escape(const char *s);
/* Decode a D line's data in place; returns false on a bad escape. */
bool pinentry_unescape(char *s);
