#include "tray/text.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>

static const struct text texts[] = {
	{
		.lang = "en",
		.not_running = "Not running",
		.idle = "Idle",
		.busy = "Working for {}",
		.busy_no_origin = "Working",
		.prompting = "Waiting for your answer to {}",
		.prompting_no_origin = "Waiting for your answer",
		.camera = "Camera on for {}",
		.camera_no_origin = "Camera on",
		.error = "Error: {}",
		.error_no_text = "The last request failed",
		.other_state = "State: {}",
		.connections = "Connections: {}",
		.pending = "Key requests waiting for a certificate: {}",
		.menu_sites = "Allowed sites…",
		.menu_sites_hint = "Click a site to take its permission back",
		.menu_sites_none = "No sites allowed",
		.menu_sites_not_running = "Qoltanba is not running",
		.menu_start = "Start Qoltanba",
		.menu_log = "Open log",
		.menu_quit = "Quit",
	},
	{
		.lang = "kk",
		.not_running = "Іске қосылмаған",
		.idle = "Күту режимі",
		.busy = "{} үшін жұмыс істеп жатыр",
		.busy_no_origin = "Жұмыс істеп жатыр",
		.prompting = "{} үшін жауабыңызды күтуде",
		.prompting_no_origin = "Жауабыңызды күтуде",
		.camera = "Камера қосулы: {}",
		.camera_no_origin = "Камера қосулы",
		.error = "Қате: {}",
		.error_no_text = "Соңғы сұрау орындалмады",
		.other_state = "Күйі: {}",
		.connections = "Қосылымдар: {}",
		.pending = "Сертификат күткен кілт сұраулары: {}",
		.menu_sites = "Рұқсат етілген сайттар…",
		.menu_sites_hint = "Рұқсатты қайтарып алу үшін сайтты басыңыз",
		.menu_sites_none = "Рұқсат етілген сайттар жоқ",
		.menu_sites_not_running = "Qoltanba іске қосылмаған",
		.menu_start = "Qoltanba-ны іске қосу",
		.menu_log = "Журналды ашу",
		.menu_quit = "Шығу",
	},
	{
		.lang = "ru",
		.not_running = "Не запущен",
		.idle = "Ожидание",
		.busy = "Работает для {}",
		.busy_no_origin = "Работает",
		.prompting = "Ждёт вашего ответа для {}",
		.prompting_no_origin = "Ждёт вашего ответа",
		.camera = "Камера включена для {}",
		.camera_no_origin = "Камера включена",
		.error = "Ошибка: {}",
		.error_no_text = "Последний запрос не выполнен",
		.other_state = "Состояние: {}",
		.connections = "Соединения: {}",
		.pending = "Запросы ключей, ждущие сертификата: {}",
		.menu_sites = "Разрешённые сайты…",
		.menu_sites_hint = "Нажмите на сайт, чтобы отозвать разрешение",
		.menu_sites_none = "Нет разрешённых сайтов",
		.menu_sites_not_running = "Qoltanba не запущен",
		.menu_start = "Запустить Qoltanba",
		.menu_log = "Открыть журнал",
		.menu_quit = "Выход",
	},
};

/* "kk_KZ.UTF-8@latin" → is "kk" its language? */
static bool language_is(const char *name, const char *lang)
{
	size_t n = strlen(lang);

	/* name[n] is read only once name is known to be that long. */
	if (strncmp(name, lang, n) != 0)
		return false;
	return name[n] == '\0' || name[n] == '_' || name[n] == '.' || name[n] == '@';
}

const struct text *text_for_languages(const char *const *names)
{
	for (; names && *names; names++)
		for (size_t i = 0; i < G_N_ELEMENTS(texts); i++)
			if (language_is(*names, texts[i].lang))
				return &texts[i];
	return &texts[0];
}

const struct text *text_for_environment(void)
{
	return text_for_languages(g_get_language_names());
}

char *text_format(const char *tmpl, const char *arg)
{
	const char *at = strstr(tmpl, "{}");

	if (!at)
		return g_strdup(tmpl);
	return g_strdup_printf("%.*s%s%s", (int)(at - tmpl), tmpl, arg, at + 2);
}
