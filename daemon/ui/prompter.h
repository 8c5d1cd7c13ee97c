/* prompter: every question the daemon asks its user on behalf of one
 * request: which key file, which file, the key's password.
 *
 * Files are chosen in the desktop's own dialog (xdg-desktop-portal's
 * FileChooser). Without a portal (no session bus, no portal service, or
 * [ui] file-chooser=folder), the files of the configured key folder are
 * offered as a numbered list in a pinentry prompt and the user types the
 * number: one key file is taken without asking. Passwords always go
 * through pinentry. Every prompt's title names the web page's origin.
 *
 * One prompter serves one request on one worker thread; its calls block.
 * prompter_new()'s GCancellable, fired from any thread (the page closed
 * its connection), ends the prompt on screen and makes the call return
 * PROMPTER_E_CANCELLED. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#include "daemon/config.h"

enum prompter_error {
	PROMPTER_E_CANCELLED = 1, /* the user cancelled, or the request was cancelled */
	PROMPTER_E_UI,            /* no dialog can be shown (pinentry missing or broken) */
	PROMPTER_E_NO_FILES,      /* the folder has no file of the kind asked for */
	PROMPTER_E_REFUSED,       /* the answers kept breaking a rule */
};

/* The prompt texts' language. */
enum prompter_locale {
	PROMPTER_LOCALE_KK,
	PROMPTER_LOCALE_RU,
	PROMPTER_LOCALE_EN,
};

struct prompter;

/* origin NULL: a local program without an Origin header. locale: "kk",
 * "kz", "ru" or "en"; anything else is Kazakh, NCALayer's default. cfg
 * and cancel are borrowed and must outlive the prompter. */
struct prompter *prompter_new(const struct config *cfg, const char *origin, const char *locale,
			      GCancellable *cancel);
struct prompter *prompter_free(struct prompter *p);

enum prompter_locale prompter_get_locale(const struct prompter *p);

/* The window title: "Qoltanba — <origin>". Borrowed. */
const char *prompter_title(const struct prompter *p);

/* Let the user pick a key file (*.p12, *.pfx). purpose is one line for
 * the dialog ("sign 2 documents"). On success *ret_path is the absolute
 * path (g_free). PROMPTER_E_NO_FILES: *ret_message (g_free) says which
 * folder had none; PROMPTER_E_UI: *ret_message says why. */
int prompter_choose_key_file(struct prompter *p, const char *purpose, char **ret_path,
			     char **ret_message);

/* Let the user pick any file: extension "ALL" or "" (any file) or one
 * such as "P12" or "xml" (matched in any letter case); folder NULL or ""
 * for the key folder. Same results as prompter_choose_key_file(). */
int prompter_choose_file(struct prompter *p, const char *extension, const char *folder,
			 char **ret_path, char **ret_message);

/* Ask for a password. description says who asks for what and which key;
 * error (NULL for none) is shown above the entry, e.g. after a wrong
 * try. On success *ret_secret is wiped and freed by
 * prompter_secret_free(). */
int prompter_password(struct prompter *p, const char *description, const char *error,
		      char **ret_secret, char **ret_message);
void prompter_secret_free(char *secret);

/* NCA's rule for a key file's password: 6 to 32 characters with an upper
 * case letter, a lower case letter and a digit. We also ask for printable
 * ASCII only: a password typed in the wrong keyboard layout is caught
 * here rather than when the key is next opened on another system. NULL
 * when password keeps the rule, else the English sentence it breaks
 * (static; a prompter_text() key). */
const char *prompter_password_rule(const char *password);

#define PROMPTER_NEW_PASSWORD_TRIES 3

/* Ask for a new password, twice, until both entries match and keep
 * prompter_password_rule(); the prompt states the rule and, after a
 * failed try, why it failed. description says what the password is for.
 * On success *ret_secret as for prompter_password(). PROMPTER_E_REFUSED
 * after PROMPTER_NEW_PASSWORD_TRIES failed tries: *ret_message (g_free)
 * is the last reason, in English. */
int prompter_new_password(struct prompter *p, const char *description, char **ret_secret,
			  char **ret_message);

/* Ask the user to allow origin's page the camera (a pinentry
 * confirmation naming the page). 0: allowed; PROMPTER_E_CANCELLED: not. */
int prompter_confirm_camera(struct prompter *p, char **ret_message);

/* Let the user choose the folder for new key files: the desktop's folder
 * dialog, or without one, a confirmation to use the key folder ([ui]
 * key-folder). purpose says what the folder is for. *ret_path (g_free):
 * an absolute path. */
int prompter_choose_folder(struct prompter *p, const char *purpose, char **ret_path,
			   char **ret_message);

/* hook(open, origin, data) runs on the prompter's thread when a dialog
 * appears (open true: a pinentry question, the desktop's file or folder
 * chooser) and when it has gone; origin is the page's, NULL for a local
 * program. It must return quickly and must not prompt. Process-wide, for
 * every prompter; NULL removes it, and once that returned no hook call
 * runs any more. */
typedef void (*prompter_dialog_hook_fn)(bool open, const char *origin, void *data);
void prompter_set_dialog_hook(prompter_dialog_hook_fn hook, void *data);

/* Localised sentences the callers put into descriptions: the English
 * text is the key. A format stays a format with the same conversions. */
const char *prompter_text(const struct prompter *p, const char *en_key)
	__attribute__((format_arg(2)));
