#include "daemon/ui/pinentry.h"

#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "util/cleanup.h"

/* Assuan lines are at most 1000 bytes including the newline. */
#define ASSUAN_LINE_MAX 1000
/* The secret a D line may carry, after decoding. */
#define SECRET_MAX 1024
/* libgpg-error codes (the low 16 bits of an ERR line's number) that mean
 * the user did not go on: GPG_ERR_CANCELED, GPG_ERR_NOT_CONFIRMED,
 * GPG_ERR_TIMEOUT, GPG_ERR_FULLY_CANCELED. */
static const unsigned cancel_codes[] = { 99, 114, 62, 198 };

struct pinentry {
	GPid pid;
	int to_fd;
	int from_fd;
	char line[ASSUAN_LINE_MAX + 1];
	char rbuf[4096];
	size_t rlen;
	atomic_bool cancelled;
};

char *pinentry_escape(const char *s)
{
	GString *out = g_string_sized_new(strlen(s) + 8);

	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '%' || *c < 0x20 || *c == 0x7f)
			g_string_append_printf(out, "%%%02X", *c);
		else
			g_string_append_c(out, (char)*c);
	}
	return g_string_free(out, FALSE);
}

bool pinentry_unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		if (!g_ascii_isxdigit(r[1]) || !g_ascii_isxdigit(r[2]))
			return false;
		*w++ = (char)(g_ascii_xdigit_value(r[1]) << 4 | g_ascii_xdigit_value(r[2]));
		r += 2;
	}
	*w = '\0';
	return true;
}

/* Read one line into p->line (without the newline). Returns 0, or
 * PINENTRY_E_CANCELLED / PINENTRY_E_PROTOCOL when the program went away or
 * sent a line too long for Assuan. */
static int read_line(struct pinentry *p)
{
	for (;;) {
		char *nl = memchr(p->rbuf, '\n', p->rlen);
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - p->rbuf);

			if (len > ASSUAN_LINE_MAX - 1)
				return PINENTRY_E_PROTOCOL;
			memcpy(p->line, p->rbuf, len);
			p->line[len] = '\0';
			OPENSSL_cleanse(p->rbuf, len + 1);
			memmove(p->rbuf, nl + 1, p->rlen - len - 1);
			p->rlen -= len + 1;
			return 0;
		}
		if (p->rlen >= ASSUAN_LINE_MAX)
			return PINENTRY_E_PROTOCOL;
		n = read(p->from_fd, p->rbuf + p->rlen, sizeof(p->rbuf) - p->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return atomic_load(&p->cancelled) ? PINENTRY_E_CANCELLED : PINENTRY_E_PROTOCOL;
		p->rlen += (size_t)n;
	}
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send one command and read up to its OK or ERR. D lines are gathered
 * into *data (wiped and freed by the caller) when data is not NULL. */
static int transact(struct pinentry *p, const char *command, char **data)
{
	size_t dlen = 0;
	int r;

	if (atomic_load(&p->cancelled))
		return PINENTRY_E_CANCELLED;
	if (write_all(p->to_fd, command, strlen(command)) < 0 || write_all(p->to_fd, "\n", 1) < 0)
		return atomic_load(&p->cancelled) ? PINENTRY_E_CANCELLED : PINENTRY_E_PROTOCOL;

	for (;;) {
		r = read_line(p);
		if (r != 0)
			return r;
		if (strcmp(p->line, "OK") == 0 || strncmp(p->line, "OK ", 3) == 0)
			return 0;
		if (strncmp(p->line, "ERR ", 4) == 0) {
			unsigned long code = strtoul(p->line + 4, NULL, 10);

			for (size_t i = 0; i < G_N_ELEMENTS(cancel_codes); i++)
				if ((code & 0xffff) == cancel_codes[i])
					return PINENTRY_E_CANCELLED;
			return PINENTRY_E_PROTOCOL;
		}
		if (strncmp(p->line, "D ", 2) == 0 && data) {
			size_t n;

			if (!pinentry_unescape(p->line + 2))
				return PINENTRY_E_PROTOCOL;
			n = strlen(p->line + 2);
			if (dlen + n > SECRET_MAX)
				return PINENTRY_E_PROTOCOL;
			if (!*data)
				*data = g_malloc0(SECRET_MAX + 1);
			memcpy(*data + dlen, p->line + 2, n);
			dlen += n;
			OPENSSL_cleanse(p->line, sizeof(p->line));
			continue;
		}
		/* Status lines and comments inform; anything else breaks
		 * the protocol (pinentry never sends INQUIRE). */
		if (p->line[0] == '#' || strcmp(p->line, "S") == 0 || strncmp(p->line, "S ", 2) == 0)
			continue;
		return PINENTRY_E_PROTOCOL;
	}
}

/* SETTITLE and friends: an old pinentry may not know one of them, which
 * is no reason to give up the prompt. */
static int set_text(struct pinentry *p, const char *command, const char *value)
{
	g_autofree char *escaped = NULL;
	g_autofree char *line = NULL;
	int r;

	if (!value)
		return 0;
	escaped = pinentry_escape(value);
	line = g_strdup_printf("%s %s", command, escaped);
	if (strlen(line) >= ASSUAN_LINE_MAX)
		line[ASSUAN_LINE_MAX - 1] = '\0';
	r = transact(p, line, NULL);
	return r == PINENTRY_E_PROTOCOL && !atomic_load(&p->cancelled) ? 0 : r;
}

static int set_texts(struct pinentry *p, const struct pinentry_texts *t)
{
	const struct {
		const char *command, *value;
	} texts[] = {
		{ "SETTITLE", t->title },   { "SETDESC", t->description }, { "SETPROMPT", t->prompt },
		{ "SETERROR", t->error },   { "SETOK", t->ok },            { "SETCANCEL", t->cancel },
	};
	int r;

	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		r = set_text(p, texts[i].command, texts[i].value);
		if (r != 0)
			return r;
	}
	return 0;
}

/* The character set of the terminal, as the environment names it. */
static const char *locale_ctype(void)
{
	const char *names[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		const char *v = g_getenv(names[i]);

		if (v && v[0])
			return v;
	}
	return NULL;
}

/* A pinentry that draws on a terminal (pinentry-curses, or a desktop one
 * without a display) must be told which: $GPG_TTY names it, as for
 * gpg-agent, with $TERM its type and the locale its character set. A
 * pinentry that does not know an option answers ERR, which is no reason
 * to give up. */
static int set_terminal(struct pinentry *p)
{
	const struct {
		const char *option, *value;
	} options[] = {
		{ "ttyname", g_getenv("GPG_TTY") },
		{ "ttytype", g_getenv("TERM") },
		{ "lc-ctype", locale_ctype() },
	};

	if (!options[0].value || options[0].value[0] != '/')
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
		g_autofree char *escaped = NULL;
		g_autofree char *line = NULL;
		int r;

		if (!options[i].value || !options[i].value[0])
			continue;
		escaped = pinentry_escape(options[i].value);
		line = g_strdup_printf("OPTION %s=%s", options[i].option, escaped);
		if (strlen(line) >= ASSUAN_LINE_MAX)
			continue;
		r = transact(p, line, NULL);
		if (r != 0 && r != PINENTRY_E_PROTOCOL)
			return r;
	}
	return 0;
}

int pinentry_open(const char *program, struct pinentry **ret, char **ret_message)
{
	g_autoptr(GError) error = NULL;
	char *argv[] = { (char *)program, NULL };
	struct pinentry *p = g_new0(struct pinentry, 1);
	int r;

	p->to_fd = p->from_fd = -1;
	atomic_init(&p->cancelled, false);
	if (!g_spawn_async_with_pipes(NULL, argv, NULL,
				      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
					      G_SPAWN_CLOEXEC_PIPES,
				      NULL, NULL, &p->pid, &p->to_fd, &p->from_fd, NULL, &error)) {
		*ret_message = g_strdup_printf("cannot start %s: %s", program, error->message);
		g_free(p);
		return PINENTRY_E_START;
	}
	/* The greeting. */
	r = read_line(p);
	if (r == 0 && strncmp(p->line, "OK", 2) != 0)
		r = PINENTRY_E_PROTOCOL;
	if (r != 0) {
		*ret_message = g_strdup_printf("%s does not speak the pinentry (Assuan) protocol",
					       program);
		pinentry_close(p);
		return PINENTRY_E_PROTOCOL;
	}
	r = set_terminal(p);
	if (r != 0) {
		*ret_message = g_strdup_printf("%s stopped answering", program);
		pinentry_close(p);
		return r;
	}
	*ret = p;
	return 0;
}

int pinentry_get_secret(struct pinentry *p, const struct pinentry_texts *texts, char **ret_secret)
{
	char *data = NULL;
	int r;

	r = set_texts(p, texts);
	if (r != 0)
		return r;
	r = transact(p, "GETPIN", &data);
	if (r != 0) {
		pinentry_secret_free(data);
		return r;
	}
	*ret_secret = data ? data : g_malloc0(SECRET_MAX + 1);
	return 0;
}

int pinentry_confirm(struct pinentry *p, const struct pinentry_texts *texts)
{
	int r = set_texts(p, texts);

	return r != 0 ? r : transact(p, "CONFIRM", NULL);
}

void pinentry_cancel(struct pinentry *p)
{
	if (!p || atomic_exchange(&p->cancelled, true))
		return;
	kill(p->pid, SIGTERM);
}

struct pinentry *pinentry_close(struct pinentry *p)
{
	if (!p)
		return NULL;
	if (!atomic_load(&p->cancelled))
		(void)write_all(p->to_fd, "BYE\n", 4);
	if (p->to_fd >= 0)
		close(p->to_fd);
	if (p->from_fd >= 0)
		close(p->from_fd);
	/* A pinentry that ignores BYE and a closed pipe is told harder. */
	for (int i = 0; i < 100; i++) {
		pid_t r = waitpid(p->pid, NULL, WNOHANG);

		if (r == p->pid || (r < 0 && errno != EINTR))
			goto reaped;
		g_usleep(10000);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
reaped:
	g_spawn_close_pid(p->pid);
	OPENSSL_cleanse(p->line, sizeof(p->line));
	OPENSSL_cleanse(p->rbuf, sizeof(p->rbuf));
	g_free(p);
	return NULL;
}

void pinentry_secret_free(char *secret)
{
	if (!secret)
		return;
	OPENSSL_cleanse(secret, SECRET_MAX + 1);
	g_free(secret);
}
