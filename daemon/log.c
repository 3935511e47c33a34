// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Process-wide by nature: one stderr, one verbosity. */
static enum log_level current_level = LOG_LEVEL_INFO;
static const char *program = "hamstride";

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARNING] = "warning", [LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",   [LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_set_program(const char *name)
{
	program = name;
}

bool log_level_parse(const char *text, enum log_level *out)
{
	for (int l = LOG_LEVEL_ERROR; l <= LOG_LEVEL_DEBUG; l++) {
		if (strcmp(text, level_names[l]) == 0) {
			*out = (enum log_level)l;
			return true;
		}
	}
	return false;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	/* journald reads "<N>" as the priority and adds its own prefix. */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>", (int)level);
	else
		fprintf(stderr, "%s: %s: ", program, level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
