#include "daemon/ui/prompter.h"

#include <errno.h>
#include <string.h>

#include "daemon/ui/pinentry.h"
#include "daemon/ui/portal.h"

/* A numbered list longer than this does not fit a pinentry window. */
#define CHOICE_MAX 30
/* Tries at typing a number before the prompt gives up. */
#define CHOICE_TRIES 5

struct prompter {
	const struct config *cfg;
	GCancellable *cancel;
	enum prompter_locale locale;
	char *title;
	char *origin;      /* for people: the page, or "a local program" */
	char *page_origin; /* the page's Origin, NULL for a local program */
	struct pinentry *pin;
	gulong cancel_id;
};

static GMutex hook_lock;
static prompter_dialog_hook_fn dialog_hook;
static void *dialog_hook_data;

void prompter_set_dialog_hook(prompter_dialog_hook_fn hook, void *data)
{
	g_mutex_lock(&hook_lock);
	dialog_hook = hook;
	dialog_hook_data = data;
	g_mutex_unlock(&hook_lock);
}

/* Around every call that shows a dialog and waits for the user. */
static void dialog_shown(const struct prompter *p, bool open)
{
	g_mutex_lock(&hook_lock);
	if (dialog_hook)
		dialog_hook(open, p->page_origin, dialog_hook_data);
	g_mutex_unlock(&hook_lock);
}

/* The dialogs' sentences: English is the key, the table gives Russian and
 * Kazakh. printf conversions are the same in every language. */
static const struct {
	const char *en, *ru, *kk;
} texts[] = {
	{ "%s: choose a key file", "%s: выберите файл ключа", "%s: кілт файлын таңдаңыз" },
	{ "%s: choose a file", "%s: выберите файл", "%s: файлды таңдаңыз" },
	{ "Key files", "Файлы ключей", "Кілт файлдары" },
	{ "%s asks you to %s.\n\nFiles in %s:\n%s\nType the number of the file.",
	  "%s просит вас %s.\n\nФайлы в %s:\n%s\nВведите номер файла.",
	  "%s сізден %s сұрайды.\n\n%s ішіндегі файлдар:\n%s\nФайлдың нөмірін енгізіңіз." },
	{ "Number:", "Номер:", "Нөмір:" },
	{ "Type a number from 1 to %u.", "Введите число от 1 до %u.",
	  "1-ден %u-ге дейінгі санды енгізіңіз." },
	{ "Password:", "Пароль:", "Құпиясөз:" },
	{ "Cancel", "Отмена", "Бас тарту" },
	{ "choose a file", "выбрать файл", "файл таңдауды" },
	{ "(and %u more: use a smaller folder)", "(и ещё %u: выберите папку поменьше)",
	  "(тағы %u: кішірек қалтаны таңдаңыз)" },
	{ "sign %u document(s)", "подписать документы (%u)", "құжаттарға (%u) қол қоюды" },
	{ "show which key you use", "показать, каким ключом вы пользуетесь",
	  "қай кілтті қолданатыныңызды көрсетуді" },
	{ "%s asks you to %s:\n%s\nKey file: %s\nEnter the key's password.",
	  "%s просит вас %s:\n%s\nФайл ключа: %s\nВведите пароль ключа.",
	  "%s сізден %s сұрайды:\n%s\nКілт файлы: %s\nКілттің құпиясөзін енгізіңіз." },
	{ "Wrong password. Tries left: %u.", "Неверный пароль. Осталось попыток: %u.",
	  "Құпиясөз қате. Қалған әрекет саны: %u." },
	{ "a local program", "локальная программа", "жергілікті бағдарлама" },
	/* Keys on tokens. */
	{ "%s asks you to %s:\n%s\nToken: %s (%s)\nEnter the token's PIN.",
	  "%s просит вас %s:\n%s\nТокен: %s (%s)\nВведите PIN-код токена.",
	  "%s сізден %s сұрайды:\n%s\nТокен: %s (%s)\nТокеннің PIN-кодын енгізіңіз." },
	{ "Wrong PIN.", "Неверный PIN-код.", "PIN-код қате." },
	{ "Wrong PIN. Few tries are left.", "Неверный PIN-код. Осталось мало попыток.",
	  "PIN-код қате. Әрекеттер аз қалды." },
	{ "Wrong PIN. One try is left: another wrong PIN blocks the token.",
	  "Неверный PIN-код. Осталась одна попытка: следующий неверный PIN-код заблокирует "
	  "токен.",
	  "PIN-код қате. Бір әрекет қалды: тағы бір қате PIN-код токенді бұғаттайды." },
	/* New key files. */
	{ "%s: choose a folder for the keys", "%s: выберите папку для ключей",
	  "%s: кілттерге арналған қалтаны таңдаңыз" },
	{ "%s asks you to %s.\n\nThe key files will be saved in %s.",
	  "%s просит вас %s.\n\nФайлы ключей будут сохранены в %s.",
	  "%s сізден %s сұрайды.\n\nКілт файлдары %s қалтасына сақталады." },
	{ "Save here", "Сохранить здесь", "Осында сақтау" },
	{ "save your new keys", "сохранить ваши новые ключи", "жаңа кілттеріңізді сақтауды" },
	{ "%s asks you to create a password for your new key file.\n\nKey file: %s\n"
	  "Certificate: %s\nValid until: %s",
	  "%s просит вас придумать пароль для нового файла ключа.\n\nФайл ключа: %s\n"
	  "Сертификат: %s\nДействителен до: %s",
	  "%s сізден жаңа кілт файлына құпиясөз ойлап табуды сұрайды.\n\nКілт файлы: %s\n"
	  "Сертификат: %s\nЖарамдылық мерзімі: %s" },
	{ "New password:", "Новый пароль:", "Жаңа құпиясөз:" },
	{ "Repeat the password:", "Повторите пароль:", "Құпиясөзді қайталаңыз:" },
	{ "The password: 6 to 32 characters, with an upper case letter, a lower case letter "
	  "and a digit (Latin letters, digits and punctuation).",
	  "Пароль: от 6 до 32 символов, с заглавной и строчной буквой и цифрой (латинские "
	  "буквы, цифры и знаки препинания).",
	  "Құпиясөз: 6-дан 32-ге дейін таңба, бас әріп, кіші әріп және сан болуы керек (латын "
	  "әріптері, сандар және тыныс белгілері)." },
	{ "The password is shorter than 6 characters.", "Пароль короче 6 символов.",
	  "Құпиясөз 6 таңбадан қысқа." },
	{ "The password is longer than 32 characters.", "Пароль длиннее 32 символов.",
	  "Құпиясөз 32 таңбадан ұзын." },
	{ "The password has no upper case letter.", "В пароле нет заглавной буквы.",
	  "Құпиясөзде бас әріп жоқ." },
	{ "The password has no lower case letter.", "В пароле нет строчной буквы.",
	  "Құпиясөзде кіші әріп жоқ." },
	{ "The password has no digit.", "В пароле нет цифры.", "Құпиясөзде сан жоқ." },
	{ "The password may have Latin letters, digits and punctuation only: check the keyboard "
	  "layout.",
	  "Пароль может содержать только латинские буквы, цифры и знаки препинания: проверьте "
	  "раскладку клавиатуры.",
	  "Құпиясөзде тек латын әріптері, сандар және тыныс белгілері болуы мүмкін: пернетақта "
	  "тілін тексеріңіз." },
	{ "%s asks to use your camera, to take photos and a short video of you and of your "
	  "identity card for remote identification.\n\nAllow this site to use the camera? "
	  "Qoltanba remembers the answer \"Allow\".",
	  "%s просит доступ к вашей камере, чтобы сделать фотографии и короткое видео вас и "
	  "вашего удостоверения личности для удалённой идентификации.\n\nРазрешить этому сайту "
	  "пользоваться камерой? Qoltanba запомнит ответ «Разрешить».",
	  "%s қашықтан сәйкестендіру үшін сіздің және жеке куәлігіңіздің суреттері мен қысқа "
	  "бейнесін түсіру үшін камераңызды пайдалануды сұрайды.\n\nБұл сайтқа камераны "
	  "пайдалануға рұқсат етесіз бе? Qoltanba «Рұқсат ету» жауабын есте сақтайды." },
	{ "Allow", "Разрешить", "Рұқсат ету" },
	{ "Deny", "Запретить", "Тыйым салу" },
	{ "The two entries differ.", "Введённые пароли не совпадают.",
	  "Енгізілген құпиясөздер сәйкес келмейді." },
};

const char *prompter_text(const struct prompter *p, const char *en)
{
	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		if (strcmp(texts[i].en, en) != 0)
			continue;
		switch (p->locale) {
		case PROMPTER_LOCALE_RU:
			return texts[i].ru;
		case PROMPTER_LOCALE_KK:
			return texts[i].kk;
		case PROMPTER_LOCALE_EN:
			return texts[i].en;
		}
	}
	return en;
}

static enum prompter_locale locale_parse(const char *s)
{
	if (s && g_ascii_strcasecmp(s, "ru") == 0)
		return PROMPTER_LOCALE_RU;
	if (s && g_ascii_strcasecmp(s, "en") == 0)
		return PROMPTER_LOCALE_EN;
	return PROMPTER_LOCALE_KK;
}

struct prompter *prompter_new(const struct config *cfg, const char *origin, const char *locale,
			      GCancellable *cancel)
{
	struct prompter *p = g_new0(struct prompter, 1);

	p->cfg = cfg;
	p->cancel = cancel;
	p->locale = locale_parse(locale);
	p->origin = g_strdup(origin ? origin : prompter_text(p, "a local program"));
	p->page_origin = g_strdup(origin);
	p->title = g_strdup_printf("Qoltanba — %s", p->origin);
	return p;
}

static void on_cancel(GCancellable *cancel, gpointer data)
{
	pinentry_cancel(data);
}

static void pin_close(struct prompter *p)
{
	if (!p->pin)
		return;
	/* Waits for a running on_cancel(): the pinentry is not freed under it. */
	if (p->cancel_id)
		g_cancellable_disconnect(p->cancel, p->cancel_id);
	p->cancel_id = 0;
	p->pin = pinentry_close(p->pin);
}

struct prompter *prompter_free(struct prompter *p)
{
	if (!p)
		return NULL;
	pin_close(p);
	g_free(p->title);
	g_free(p->origin);
	g_free(p->page_origin);
	g_free(p);
	return NULL;
}

enum prompter_locale prompter_get_locale(const struct prompter *p)
{
	return p->locale;
}

const char *prompter_title(const struct prompter *p)
{
	return p->title;
}

static int pin_open(struct prompter *p, char **ret_message)
{
	int r;

	if (p->pin)
		return 0;
	if (g_cancellable_is_cancelled(p->cancel))
		return PROMPTER_E_CANCELLED;
	r = pinentry_open(p->cfg->pinentry, &p->pin, ret_message);
	if (r == -ENOMEM)
		return r;
	if (r != 0)
		return PROMPTER_E_UI;
	/* Runs on_cancel() at once when already cancelled. */
	p->cancel_id = g_cancellable_connect(p->cancel, G_CALLBACK(on_cancel), p->pin, NULL);
	return 0;
}

/* A pinentry result as ours. A pinentry that broke off is closed, so
 * that the next prompt starts a fresh one. */
static int pin_result(struct prompter *p, int r, char **ret_message)
{
	switch (r) {
	case 0:
		return 0;
	case PINENTRY_E_CANCELLED:
		pin_close(p);
		return PROMPTER_E_CANCELLED;
	case PINENTRY_E_START:
	case PINENTRY_E_PROTOCOL:
		pin_close(p);
		if (ret_message)
			*ret_message = g_strdup_printf("%s stopped speaking the pinentry protocol",
						       p->cfg->pinentry);
		return PROMPTER_E_UI;
	default:
		pin_close(p);
		return r < 0 ? r : PROMPTER_E_UI;
	}
}

/* pinentry's questions wait for the user: a dialog is open meanwhile. */
static int pin_get_secret(struct prompter *p, const struct pinentry_texts *t, char **ret_secret)
{
	int r;

	dialog_shown(p, true);
	r = pinentry_get_secret(p->pin, t, ret_secret);
	dialog_shown(p, false);
	return r;
}

static int pin_confirm(struct prompter *p, const struct pinentry_texts *t)
{
	int r;

	dialog_shown(p, true);
	r = pinentry_confirm(p->pin, t);
	dialog_shown(p, false);
	return r;
}

/* One GETPIN; label is the English key of the entry's label. */
static int ask_secret(struct prompter *p, const char *description, const char *label,
		      const char *error, char **ret_secret, char **ret_message)
{
	struct pinentry_texts t = {
		.title = p->title,
		.description = description,
		.prompt = prompter_text(p, label),
		.error = error,
		.cancel = prompter_text(p, "Cancel"),
	};
	int r = pin_open(p, ret_message);

	if (r != 0)
		return r;
	return pin_result(p, pin_get_secret(p, &t, ret_secret), ret_message);
}

int prompter_password(struct prompter *p, const char *description, const char *error,
		      char **ret_secret, char **ret_message)
{
	return ask_secret(p, description, "Password:", error, ret_secret, ret_message);
}

void prompter_secret_free(char *secret)
{
	pinentry_secret_free(secret);
}

static bool name_matches(const char *name, const char *const *exts)
{
	const char *dot = strrchr(name, '.');

	if (!exts || !exts[0])
		return true;
	if (!dot)
		return false;
	for (const char *const *e = exts; *e; e++)
		if (g_ascii_strcasecmp(dot + 1, *e) == 0)
			return true;
	return false;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return g_utf8_collate(*(const char *const *)a, *(const char *const *)b);
}

/* The regular files of folder whose extension is one of exts (NULL: all),
 * sorted. */
static int list_folder(const char *folder, const char *const *exts, GPtrArray **ret,
		       char **ret_message)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = g_dir_open(folder, 0, &error);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (!dir) {
		*ret_message = g_strdup_printf("cannot open the folder %s%s", folder,
					       g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
						       ? ": it does not exist"
						       : "");
		return PROMPTER_E_NO_FILES;
	}
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *path = g_build_filename(folder, name, NULL);

		if (name[0] == '.' || !name_matches(name, exts) ||
		    !g_file_test(path, G_FILE_TEST_IS_REGULAR))
			continue;
		g_ptr_array_add(names, g_strdup(name));
	}
	if (names->len == 0) {
		*ret_message = g_strdup_printf("no %s files in %s",
					       exts && exts[0] ? exts[0] : "", folder);
		return PROMPTER_E_NO_FILES;
	}
	g_ptr_array_sort(names, compare_names);
	*ret = g_steal_pointer(&names);
	return 0;
}

/* The folder fallback: a numbered list in a pinentry prompt. */
static int choose_in_folder(struct prompter *p, const char *folder, const char *const *exts,
			    const char *purpose, char **ret_path, char **ret_message)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GString) list = NULL;
	g_autofree char *description = NULL, *bad = NULL;
	struct pinentry_texts t = { 0 };
	unsigned shown;
	int r;

	r = list_folder(folder, exts, &names, ret_message);
	if (r != 0)
		return r;
	if (names->len == 1) {
		*ret_path = g_build_filename(folder, g_ptr_array_index(names, 0), NULL);
		return 0;
	}

	shown = MIN(names->len, CHOICE_MAX);
	list = g_string_new(NULL);
	for (unsigned i = 0; i < shown; i++)
		g_string_append_printf(list, "%u. %s\n", i + 1,
				       (const char *)g_ptr_array_index(names, i));
	if (names->len > shown) {
		g_string_append_printf(list, prompter_text(p, "(and %u more: use a smaller folder)"),
				       names->len - shown);
		g_string_append_c(list, '\n');
	}
	description = g_strdup_printf(
		prompter_text(p, "%s asks you to %s.\n\nFiles in %s:\n%s\nType the number of the file."),
		p->origin, purpose, folder, list->str);
	bad = g_strdup_printf(prompter_text(p, "Type a number from 1 to %u."), shown);
	t = (struct pinentry_texts){
		.title = p->title,
		.description = description,
		.prompt = prompter_text(p, "Number:"),
		.cancel = prompter_text(p, "Cancel"),
	};

	for (int tries = 0; tries < CHOICE_TRIES; tries++) {
		char *answer = NULL;
		guint64 n;
		bool ok;

		r = pin_open(p, ret_message);
		if (r != 0)
			return r;
		t.error = tries > 0 ? bad : NULL;
		r = pin_result(p, pin_get_secret(p, &t, &answer), ret_message);
		if (r != 0)
			return r;
		ok = g_ascii_string_to_unsigned(g_strstrip(answer), 10, 1, shown, &n, NULL);
		pinentry_secret_free(answer);
		if (ok) {
			*ret_path = g_build_filename(folder, g_ptr_array_index(names, n - 1), NULL);
			return 0;
		}
	}
	return PROMPTER_E_CANCELLED;
}

/* Try the portal first: its file dialog, or with folder its folder
 * dialog. Sets *ret_fallback (and returns 0) when there is none and the
 * caller should use the key folder. */
static int choose_with_portal(struct prompter *p, bool folder, const struct portal_file_options *o,
			      char **ret_path, bool *ret_fallback)
{
	g_autofree char *message = NULL;
	int r;

	*ret_fallback = false;
	if (p->cfg->file_chooser == CONFIG_FILE_CHOOSER_FOLDER) {
		*ret_fallback = true;
		return 0;
	}
	dialog_shown(p, true);
	r = folder ? portal_choose_folder(o, p->cancel, ret_path, &message)
		   : portal_open_file(o, p->cancel, ret_path, &message);
	dialog_shown(p, false);
	switch (r) {
	case 0:
		return 0;
	case PORTAL_E_CANCELLED:
		return PROMPTER_E_CANCELLED;
	case PORTAL_E_UNAVAILABLE:
	case PORTAL_E_FAILED:
		g_debug("%s chooser portal: %s", folder ? "folder" : "file",
			message ? message : "unavailable");
		*ret_fallback = true;
		return 0;
	default:
		return r < 0 ? r : PROMPTER_E_UI;
	}
}

int prompter_choose_key_file(struct prompter *p, const char *purpose, char **ret_path,
			     char **ret_message)
{
	static const char *const globs[] = { "*.p12", "*.P12", "*.pfx", "*.PFX", NULL };
	static const char *const exts[] = { "p12", "pfx", NULL };
	g_autofree char *title = g_strdup_printf(prompter_text(p, "%s: choose a key file"),
						 p->origin);
	struct portal_file_options o = {
		.title = title,
		.current_folder = p->cfg->key_folder,
		.filter_name = prompter_text(p, "Key files"),
		.globs = globs,
	};
	bool fallback;
	int r;

	r = choose_with_portal(p, false, &o, ret_path, &fallback);
	if (r != 0 || !fallback)
		return r;
	return choose_in_folder(p, p->cfg->key_folder, exts, purpose, ret_path, ret_message);
}

int prompter_choose_file(struct prompter *p, const char *extension, const char *folder,
			 char **ret_path, char **ret_message)
{
	bool any = !extension || !*extension || g_ascii_strcasecmp(extension, "ALL") == 0;
	g_autofree char *lower = any ? NULL : g_ascii_strdown(extension, -1);
	g_autofree char *upper = any ? NULL : g_ascii_strup(extension, -1);
	g_autofree char *glob_lower = any ? NULL : g_strdup_printf("*.%s", lower);
	g_autofree char *glob_upper = any ? NULL : g_strdup_printf("*.%s", upper);
	const char *globs[] = { glob_lower, glob_upper, NULL };
	const char *exts[] = { lower, NULL };
	g_autofree char *title = g_strdup_printf(prompter_text(p, "%s: choose a file"), p->origin);
	const char *dir = folder && *folder ? folder : p->cfg->key_folder;
	struct portal_file_options o = {
		.title = title,
		.current_folder = dir,
		.filter_name = any ? NULL : glob_lower,
		.globs = any ? NULL : globs,
	};
	bool fallback;
	int r;

	r = choose_with_portal(p, false, &o, ret_path, &fallback);
	if (r != 0 || !fallback)
		return r;
	return choose_in_folder(p, dir, any ? NULL : exts, prompter_text(p, "choose a file"),
				ret_path, ret_message);
}

const char *prompter_password_rule(const char *password)
{
	bool upper = false, lower = false, digit = false;
	size_t n = strlen(password);

	for (const char *c = password; *c; c++) {
		/* Printable ASCII: space to tilde. */
		if (*c < 0x20 || *c > 0x7e)
			return "The password may have Latin letters, digits and punctuation only: "
			       "check the keyboard layout.";
		upper |= g_ascii_isupper(*c);
		lower |= g_ascii_islower(*c);
		digit |= g_ascii_isdigit(*c);
	}
	if (n < 6)
		return "The password is shorter than 6 characters.";
	if (n > 32)
		return "The password is longer than 32 characters.";
	if (!upper)
		return "The password has no upper case letter.";
	if (!lower)
		return "The password has no lower case letter.";
	if (!digit)
		return "The password has no digit.";
	return NULL;
}

int prompter_new_password(struct prompter *p, const char *description, char **ret_secret,
			  char **ret_message)
{
	g_autofree char *text = g_strdup_printf(
		"%s\n\n%s", description,
		prompter_text(p, "The password: 6 to 32 characters, with an upper case letter, a "
				 "lower case letter and a digit (Latin letters, digits and "
				 "punctuation)."));
	const char *why = NULL;
	int r;

	for (int tries = 0; tries < PROMPTER_NEW_PASSWORD_TRIES; tries++) {
		char *first = NULL, *second = NULL;

		r = ask_secret(p, text, "New password:", why ? prompter_text(p, why) : NULL,
			       &first, ret_message);
		if (r != 0)
			return r;
		why = prompter_password_rule(first);
		if (why) {
			pinentry_secret_free(first);
			continue;
		}
		r = ask_secret(p, text, "Repeat the password:", NULL, &second, ret_message);
		if (r != 0) {
			pinentry_secret_free(first);
			return r;
		}
		if (strcmp(first, second) == 0) {
			pinentry_secret_free(second);
			*ret_secret = first;
			return 0;
		}
		why = "The two entries differ.";
		pinentry_secret_free(first);
		pinentry_secret_free(second);
	}
	*ret_message = g_strdup(why);
	return PROMPTER_E_REFUSED;
}

/* Without a folder dialog: confirm the key folder. */
static int confirm_key_folder(struct prompter *p, const char *purpose, char **ret_path,
			      char **ret_message)
{
	g_autofree char *description = NULL;
	struct pinentry_texts t;
	int r;

	if (!g_file_test(p->cfg->key_folder, G_FILE_TEST_IS_DIR)) {
		*ret_message = g_strdup_printf("the key folder %s does not exist",
					       p->cfg->key_folder);
		return PROMPTER_E_NO_FILES;
	}
	description = g_strdup_printf(
		prompter_text(p, "%s asks you to %s.\n\nThe key files will be saved in %s."),
		p->origin, purpose, p->cfg->key_folder);
	t = (struct pinentry_texts){
		.title = p->title,
		.description = description,
		.ok = prompter_text(p, "Save here"),
		.cancel = prompter_text(p, "Cancel"),
	};
	r = pin_open(p, ret_message);
	if (r != 0)
		return r;
	r = pin_result(p, pin_confirm(p, &t), ret_message);
	if (r != 0)
		return r;
	*ret_path = g_canonicalize_filename(p->cfg->key_folder, NULL);
	return 0;
}

int prompter_choose_folder(struct prompter *p, const char *purpose, char **ret_path,
			   char **ret_message)
{
	g_autofree char *title = g_strdup_printf(
		prompter_text(p, "%s: choose a folder for the keys"), p->origin);
	struct portal_file_options o = {
		.title = title,
		.current_folder = p->cfg->key_folder,
	};
	bool fallback;
	int r;

	r = choose_with_portal(p, true, &o, ret_path, &fallback);
	if (r != 0 || !fallback)
		return r;
	return confirm_key_folder(p, purpose, ret_path, ret_message);
}

int prompter_confirm_camera(struct prompter *p, char **ret_message)
{
	g_autofree char *description = g_strdup_printf(
		prompter_text(p, "%s asks to use your camera, to take photos and a short video of "
				 "you and of your identity card for remote identification.\n\n"
				 "Allow this site to use the camera? Qoltanba remembers the answer "
				 "\"Allow\"."),
		p->origin);
	struct pinentry_texts t = {
		.title = p->title,
		.description = description,
		.ok = prompter_text(p, "Allow"),
		.cancel = prompter_text(p, "Deny"),
	};
	int r = pin_open(p, ret_message);

	if (r != 0)
		return r;
	return pin_result(p, pin_confirm(p, &t), ret_message);
}
