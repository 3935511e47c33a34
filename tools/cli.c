// SPDX-License-Identifier: GPL-2.0-or-later
/* What every hamstride command shares: messages, the store, times, numbers. */
#include "cli.h"
#include "cli_util.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "util/utc.h"

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hamstride %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'hamstride %s --help')\n", command);
	return EX_USAGE;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("hamstride: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The database cannot be written (read-only media or file, a folder
 * that is not writable): reading still works. */
static bool cannot_write(int err)
{
	return err == -EROFS || err == -EACCES || err == -EPERM;
}

int cli_load_config(const char *path, struct cli_globals *g)
{
	struct daemon_config c;
	char why[512];
	config_default(&c);
	int err = config_load(path ? path : CONFIG_DEFAULT_PATH, &c, why, sizeof(why));
	if (err == -ENOENT && !path) {
		/* no config file is a fine config, as for the daemon */
	} else if (err == -ENOENT) {
		cli_error("no config file %s (--config wants hamstrided.conf's path)", path);
		return EX_NOINPUT;
	} else if (err < 0) {
		cli_error("%s", why);
		return EX_CONFIG;
	}
	g->segments = c.ingest.segments;
	return 0;
}

int cli_open_store(const struct cli_globals *g, enum store_mode mode, struct store **out)
{
	char why[1024];
	int err = store_open(g->db_path, mode, out, why, sizeof(why));
	if (err == 0)
		return 0;
	cli_error("%s", why);
	if (err == -ENOENT)
		return EX_NOINPUT;
	if (err == -ENOSPC)
		return EX_IOERR;
	return mode == STORE_READ_WRITE && cannot_write(err) ? EX_CANTCREAT : 1;
}

int cli_open_store_for_reading(const struct cli_globals *g, struct store **out)
{
	char why[1024];
	int err = store_open(g->db_path, STORE_READ_WRITE, out, why, sizeof(why));
	if (err == 0)
		return 0;
	if (cannot_write(err))
		return cli_open_store(g, STORE_READ_ONLY, out);
	cli_error("%s", why);
	return err == -ENOENT ? EX_NOINPUT : 1;
}

int cli_write_exit(const struct store *s)
{
	int err = store_errno(s);
	return err == -ENOSPC || err == -EIO || err == -EROFS ? EX_IOERR : 1;
}

FILE *cli_create_output(const char *path)
{
	int fd = paths_create_file(path, O_TRUNC);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		int err = fd < 0 ? -fd : errno;
		if (fd >= 0)
			close(fd);
		errno = err;
	}
	return f;
}

bool cli_parse_run_ref(const char *text, int64_t *id)
{
	int64_t v = 0;
	if (strcmp(text, "last") != 0 && !(cli_parse_int64(text, &v) && v >= 1))
		return false; /* *id untouched, as a parser leaves it */
	*id = v;
	return true;
}

int cli_get_run(const struct cli_globals *g, struct store *s, int64_t id, struct store_run *out)
{
	int err = id ? store_get_run(s, id, out) : store_get_last_run(s, out);
	if (err == -ENOENT && id)
		cli_error("no run %lld in %s (see 'hamstride runs')", (long long)id, g->db_path);
	else if (err == -ENOENT)
		cli_error("no runs in %s yet", g->db_path);
	else if (err < 0)
		cli_error("%s", store_error(s));
	return err == -ENOENT ? EX_NOINPUT : err < 0 ? 1 : 0;
}

/* Exactly n decimal digits at *p, advancing it. */
static bool digits(const char **p, int n, int *value)
{
	*value = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*value = *value * 10 + (**p - '0');
	}
	return true;
}

/* ":" then two digits in [0, max], if the text goes on with ':'. */
static bool optional_field(const char **p, int max, int *value)
{
	*value = 0;
	if (**p != ':')
		return true;
	(*p)++;
	return digits(p, 2, value) && *value <= max;
}

static bool leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return month == 2 && leap(year) ? 29 : days[month - 1];
}

bool cli_parse_time(const char *text, int64_t *us)
{
	const char *p = text;
	int year, month, day, hour = 0, minute = 0, second = 0;
	if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &month) || *p++ != '-' ||
	    !digits(&p, 2, &day))
		return false;
	if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
		return false;
	if (*p == 'T' || *p == ' ') {
		p++;
		/* hh:mm is required after the T; :ss is optional. */
		if (!digits(&p, 2, &hour) || hour > 23 || *p != ':' ||
		    !optional_field(&p, 59, &minute) || !optional_field(&p, 59, &second))
			return false;
	}
	if (*p == 'Z')
		p++;
	if (*p)
		return false;
	struct tm tm = { .tm_year = year - 1900,
			 .tm_mon = month - 1,
			 .tm_mday = day,
			 .tm_hour = hour,
			 .tm_min = minute,
			 .tm_sec = second };
	*us = (int64_t)timegm(&tm) * 1000000;
	return true;
}

const char *cli_format_time(int64_t us, char *buf, size_t size)
{
	return utc_text(us, UTC_ISO, "-", buf, size);
}

const char *cli_format_duration(double seconds, char *buf, size_t size)
{
	if (!isfinite(seconds) || seconds < 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	long long s = llround(seconds);
	if (s >= 3600)
		snprintf(buf, size, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%lld:%02lld", s / 60, s % 60);
	return buf;
}

/* Slower than this is standing, not running: no meaningful pace. */
#define CLI_MIN_SPEED_MPS 0.1

const char *cli_format_pace(double speed_mps, char *buf, size_t size)
{
	if (!isfinite(speed_mps) || speed_mps < CLI_MIN_SPEED_MPS) {
		snprintf(buf, size, "-");
		return buf;
	}
	long long s = llround(1000.0 / speed_mps);
	snprintf(buf, size, "%lld:%02lld", s / 60, s % 60);
	return buf;
}

/* Whole numbers: digits only, 0 or more, no sign, no overflow. */
bool cli_parse_int64(const char *text, int64_t *out)
{
	if (!text || *text < '0' || *text > '9')
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* Any finite number (callers check their own range: some take negatives);
 * no "nan", "inf" or trailing text. */
bool cli_parse_double(const char *text, double *out)
{
	if (!text || !*text)
		return false;
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno == ERANGE || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* H:MM:SS or M:SS (or plain seconds) to seconds: digits and at most two
 * colons, nothing else (no sign, blank or a fourth part). */
bool cli_parse_elapsed(const char *text, double *out)
{
	int64_t part[3];
	int n = 0;
	const char *p = text;
	for (;;) {
		char *end;
		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		if (errno || (n > 0 && v > 59))
			return false;
		part[n++] = v;
		if (*end == '\0')
			break;
		if (*end != ':' || n == 3)
			return false;
		p = end + 1;
	}
	double s = 0;
	for (int i = 0; i < n; i++)
		s = s * 60 + (double)part[i];
	*out = s;
	return true;
}

int cli_time_option(const char *command, const char *option, const char *text, int64_t *us)
{
	if (cli_parse_time(text, us))
		return 0;
	return cli_usage_error(command,
			       "%s wants a UTC time like 2026-11-21 or 2026-11-21T07:30, "
			       "not '%s'",
			       option, text);
}

int cli_period_check(const char *command, int64_t from_us, int64_t to_us)
{
	char from[32], to[32];
	if (from_us < to_us)
		return 0;
	return cli_usage_error(command,
			       "--from %s is not before --to %s: the period holds no time "
			       "(--from is inclusive, --to exclusive)",
			       cli_format_time(from_us, from, sizeof(from)),
			       cli_format_time(to_us, to, sizeof(to)));
}

int cli_bad_option(const char *command, int opt, char **argv)
{
	if (opt == ':')
		return cli_usage_error(command, "%s needs a value", argv[optind - 1]);
	return cli_usage_error(command, "unknown option '%s'", argv[optind - 1]);
}

const char *cli_format_number(double value, int decimals, char *buf, size_t size)
{
	if (isfinite(value))
		snprintf(buf, size, "%.*f", decimals, value);
	else
		snprintf(buf, size, "-");
	return buf;
}

int cli_run_argument(const char *command, int argc, char **argv, int64_t *id)
{
	if (optind != argc - 1)
		return cli_usage_error(command,
				       optind >= argc ? "expected a run: an ID or 'last'"
						      : "expected one run, not '%s' too",
				       optind < argc ? argv[optind + 1] : "");
	if (!cli_parse_run_ref(argv[optind], id))
		return cli_usage_error(command,
				       "expected a run ID (from 'hamstride runs') or 'last', "
				       "not '%s'",
				       argv[optind]);
	return 0;
}
