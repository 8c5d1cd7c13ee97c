#include "web/portal/texts.h"

#include <string.h>

#include <glib.h>

static const char *const lang_names[] = {
	[TEXTS_LANG_KK] = "kk",
	[TEXTS_LANG_RU] = "ru",
	[TEXTS_LANG_EN] = "en",
};

const char *texts_lang_name(enum texts_lang lang)
{
	return lang_names[lang];
}

bool texts_lang_from_name(const char *name, enum texts_lang *ret)
{
	for (size_t i = 0; i < G_N_ELEMENTS(lang_names); i++)
		if (strcmp(name, lang_names[i]) == 0) {
			*ret = (enum texts_lang)i;
			return true;
		}
	return false;
}

/* Each text has at most one %s, the code. */
static const char *const sms[][3] = {
	[TEXTS_SMS_LOGIN_CODE] = {
		[TEXTS_LANG_KK] = "eGov демо: порталға кіру коды %s. Кодты ешкімге айтпаңыз.",
		[TEXTS_LANG_RU] = "eGov демо: код для входа на портал %s. Никому не сообщайте код.",
		[TEXTS_LANG_EN] = "eGov demo: your sign-in code is %s. "
				  "Do not share it with anyone.",
	},
	[TEXTS_SMS_IDENT_CODE] = {
		[TEXTS_LANG_KK] = "Қашықтан сәйкестендіру: телефон нөмірін растау коды %s. "
				  "Кодты ешкімге айтпаңыз.",
		[TEXTS_LANG_RU] = "Удалённая идентификация: код подтверждения номера %s. "
				  "Никому не сообщайте код.",
		[TEXTS_LANG_EN] = "Remote identification: your phone confirmation code is %s. "
				  "Do not share it with anyone.",
	},
	[TEXTS_SMS_VERIFIED] = {
		[TEXTS_LANG_KK] = "Жеке басыңыз расталды. ЭЦҚ алуды порталда жалғастырыңыз.",
		[TEXTS_LANG_RU] = "Ваша личность подтверждена. "
				  "Продолжите получение ЭЦП на портале.",
		[TEXTS_LANG_EN] = "Your identity has been confirmed. Continue getting your "
				  "signature keys on the portal.",
	},
	[TEXTS_SMS_MODERATION] = {
		[TEXTS_LANG_KK] = "Деректеріңіз модераторға тексеруге жіберілді. Нәтижесі туралы "
				  "SMS арқылы хабарлаймыз.",
		[TEXTS_LANG_RU] = "Ваши данные отправлены модератору на проверку. О результате "
				  "сообщим по SMS.",
		[TEXTS_LANG_EN] = "Your data has been sent to a moderator for review. We will let "
				  "you know the result by SMS.",
	},
	[TEXTS_SMS_ISSUED] = {
		[TEXTS_LANG_KK] = "ҰКО: тіркеу куәлігіңіз берілді. Оны порталдан жүктеп алыңыз.",
		[TEXTS_LANG_RU] = "НУЦ РК: ваше регистрационное свидетельство выпущено. "
				  "Скачайте его на портале.",
		[TEXTS_LANG_EN] = "NCA: your certificate has been issued. "
				  "Download it on the portal.",
	},
};

char *texts_sms(enum texts_lang lang, enum texts_sms which, const char *code)
{
	const char *text = sms[which][lang];
	const char *hole = strstr(text, "%s");

	if (!hole)
		return g_strdup(text);
	return g_strdup_printf("%.*s%s%s", (int)(hole - text), text, code ? code : "", hole + 2);
}

static const char *const agreement_kk[] = {
	"Бұл — демонстрация. Сіз пайдаланып отырған портал Qoltanba бағдарламасын сынап көру "
	"үшін egov.kz порталын және Қазақстан Республикасының Ұлттық куәландырушы орталығын "
	"(ҰКО) бейнелейді. Оған нақты мемлекеттік органдар қатыспайды, нақты деректер "
	"тексерілмейді, ал тіркеу куәлігін ешкім сенбейтін сынақ куәландырушы орталығы береді.",
	"Осы келісімді қабылдау арқылы сіз куәландырушы орталықтан электрондық цифрлық "
	"қолтаңба кілттеріңізге тіркеу куәлігін беруді сұрайсыз. Кілттерді порталға жауап "
	"беретін бағдарлама (NCALayer немесе Qoltanba) сіздің компьютеріңізде жасайды; "
	"куәландырушы орталық сертификатқа сұраныстағы ашық кілтті ғана алады және жабық "
	"кілтіңізді ешқашан көрмейді.",
	"Сіз жабық кілтті және оның құпиясөзін құпия сақтауға, оларды ешкімге бермеуге, ал "
	"оларды басқа біреу біліп қойды деп күдіктенсеңіз, тіркеу куәлігін дереу кері "
	"қайтарып алуды сұрауға міндеттенесіз. Сіздің кілтіңізбен қол қойылғанның бәрі сіз "
	"қол қойған болып саналады.",
	"Куәландырушы орталық сәйкестендіру кезінде алынған дербес деректеріңізді (ЖСН, "
	"аты-жөні, туған күні, жеке куәлік деректері, телефон нөмірі және электрондық пошта "
	"мекенжайы) «Электрондық құжат және электрондық цифрлық қолтаңба туралы» Қазақстан "
	"Республикасының Заңына сәйкес тек тіркеу куәлігін беру және оған қызмет көрсету "
	"үшін өңдейді.",
	"Тіркеу куәлігі бір жыл жарамды. Мерзімі біткенге дейін жаңасын дәл осылай сұрай "
	"аласыз. Бұл демонстрацияда енгізілген деректер тек осы компьютердегі порталдың "
	"деректер қалтасында сақталады және кез келген уақытта жойылуы мүмкін.",
	NULL,
};

static const char *const agreement_ru[] = {
	"Это демонстрация. Портал, которым вы пользуетесь, изображает egov.kz и Национальный "
	"удостоверяющий центр (НУЦ) Республики Казахстан, чтобы можно было попробовать "
	"Qoltanba. Настоящие государственные органы в этом не участвуют, реальные данные не "
	"проверяются, а регистрационное свидетельство выпускает тестовый удостоверяющий центр, "
	"которому никто не доверяет.",
	"Принимая соглашение, вы просите удостоверяющий центр выпустить регистрационное "
	"свидетельство для ключей вашей электронной цифровой подписи. Ключи создаёт на вашем "
	"компьютере программа, которая отвечает порталу (NCALayer или Qoltanba); "
	"удостоверяющий центр получает только открытый ключ в запросе на сертификат и никогда "
	"не видит ваш закрытый ключ.",
	"Вы обязуетесь хранить закрытый ключ и пароль к нему в тайне, никому их не передавать "
	"и сразу же просить отозвать регистрационное свидетельство, если подозреваете, что они "
	"стали известны кому-то ещё. Всё, что подписано вашим ключом, считается подписанным "
	"вами.",
	"Удостоверяющий центр обрабатывает персональные данные, полученные при идентификации "
	"(ИИН, ФИО, дату рождения, данные удостоверения личности, номер телефона и адрес "
	"электронной почты), только для выпуска и обслуживания регистрационного свидетельства, "
	"как того требует Закон Республики Казахстан «Об электронном документе и электронной "
	"цифровой подписи».",
	"Регистрационное свидетельство действует один год. До окончания срока вы можете так же "
	"запросить новое. В этой демонстрации введённые данные хранятся только в папке данных "
	"портала на этом компьютере и могут быть удалены в любой момент.",
	NULL,
};

static const char *const agreement_en[] = {
	"This is a demonstration. The portal you are using imitates egov.kz and the National "
	"Certification Authority (NCA) of the Republic of Kazakhstan so that Qoltanba can be "
	"tried out. No real authority takes part, no real data is checked, and your certificate "
	"is issued by a test certification authority that nobody trusts.",
	"By accepting this agreement you ask the certification authority to issue a "
	"registration certificate for your electronic digital signature keys. The keys are "
	"made on your computer by the program that answers the portal (NCALayer or Qoltanba); "
	"the certification authority receives only the public key, in a certificate request, "
	"and never sees your private key.",
	"You undertake to keep your private key and its password secret, not to hand them to "
	"anyone, and to ask at once for the certificate to be revoked if you suspect that "
	"someone else knows them. Everything signed with your key counts as signed by you.",
	"The certification authority processes the personal data from your identification "
	"(IIN, name, date of birth, ID card details, phone number and e-mail address) only to "
	"issue and serve your certificate, as the Law of the Republic of Kazakhstan \"On "
	"Electronic Document and Electronic Digital Signature\" requires.",
	"The certificate is valid for one year. Before it expires you may ask for a new one in "
	"the same way. In this demonstration the data you enter is kept only in the portal's "
	"data folder on this computer and may be deleted at any time.",
	NULL,
};

static const struct texts_agreement agreements[] = {
	[TEXTS_LANG_KK] = { "Қазақстан Республикасы Ұлттық куәландырушы орталығының пайдаланушы "
			    "келісімі (демо)",
			    agreement_kk },
	[TEXTS_LANG_RU] = { "Пользовательское соглашение Национального удостоверяющего центра "
			    "Республики Казахстан (демо)",
			    agreement_ru },
	[TEXTS_LANG_EN] = { "User agreement of the National Certification Authority of the "
			    "Republic of Kazakhstan (demo)",
			    agreement_en },
};

const struct texts_agreement *texts_agreement(enum texts_lang lang)
{
	return &agreements[lang];
}

static const char *const sample_text[] = {
	[TEXTS_LANG_KK] = "Демонстрациялық өтініш. Мен, осы қолтаңбаның иесі, ЭЦҚ кілттерін "
			  "Qoltanba демонстрациялық порталы арқылы алғанымды растаймын. Құжаттың "
			  "заңдық күші жоқ.",
	[TEXTS_LANG_RU] = "Демонстрационное заявление. Я, владелец этой подписи, подтверждаю, "
			  "что получил ключи ЭЦП через демонстрационный портал Qoltanba. Документ "
			  "не имеет юридической силы.",
	[TEXTS_LANG_EN] = "Demo statement. I, the holder of this signature, confirm that I got my "
			  "signature keys through the Qoltanba demonstration portal. This document "
			  "has no legal force.",
};

static const char *const sample_xml[] = {
	[TEXTS_LANG_KK] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<document lang=\"kk\">\n"
			  "  <type>demo-statement</type>\n"
			  "  <title>Демонстрациялық өтініш</title>\n"
			  "  <text>ЭЦҚ кілттерін Qoltanba демонстрациялық порталы арқылы алғанымды "
			  "растаймын.</text>\n"
			  "  <legalForce>false</legalForce>\n"
			  "</document>\n",
	[TEXTS_LANG_RU] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<document lang=\"ru\">\n"
			  "  <type>demo-statement</type>\n"
			  "  <title>Демонстрационное заявление</title>\n"
			  "  <text>Подтверждаю, что получил ключи ЭЦП через "
			  "демонстрационный портал Qoltanba.</text>\n"
			  "  <legalForce>false</legalForce>\n"
			  "</document>\n",
	[TEXTS_LANG_EN] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<document lang=\"en\">\n"
			  "  <type>demo-statement</type>\n"
			  "  <title>Demo statement</title>\n"
			  "  <text>I confirm that I got my signature keys through the Qoltanba "
			  "demonstration portal.</text>\n"
			  "  <legalForce>false</legalForce>\n"
			  "</document>\n",
};

const char *texts_sample_text(enum texts_lang lang)
{
	return sample_text[lang];
}

const char *texts_sample_xml(enum texts_lang lang)
{
	return sample_xml[lang];
}
