// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/utc.h"

#include <stdio.h>
#include <time.h>

static size_t format_tm(char *buf, size_t size, enum utc_form form, const struct tm *tm)
{
	switch (form) {
	case UTC_STAMP:
		return strftime(buf, size, "%Y%m%dT%H%M%SZ", tm);
	case UTC_LOG:
		return strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", tm);
	case UTC_ISO:
		return strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", tm);
	case UTC_DAY:
		return strftime(buf, size, "%Y-%m-%d", tm);
	}
	return 0;
}

const char *utc_text(int64_t us, enum utc_form form, const char *fallback, char *buf, size_t size)
{
	time_t seconds = (time_t)(us / 1000000 - (us % 1000000 < 0));
	struct tm tm;
	if (!gmtime_r(&seconds, &tm) || format_tm(buf, size, form, &tm) == 0)
		snprintf(buf, size, "%s", fallback);
	return buf;
}
