#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>

static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_prefix_priority;

void log_setup(enum log_level max_level)
{
	log_max = max_level;
	/* systemd sets JOURNAL_STREAM when stderr is connected to the journal. */
	log_prefix_priority = getenv("JOURNAL_STREAM") != NULL;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	if (log_prefix_priority)
		fprintf(stderr, "<%d>", (int)level);
	else
		fputs("qoltanbad: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
