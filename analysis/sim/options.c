// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulator's options: one table of names, ranges and help lines for
 * both programs, and the parser that checks a value against it.
 */
#include "sim/options.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/rsc.h"

#define IMU_LAST_RUNS_MAX (SIM_WEEKS_MAX * SIM_RUNS_PER_WEEK_MAX)

static const struct sim_option_spec specs[SIM_OPT_COUNT] = {
	[SIM_OPT_SEED] = { "seed", "N", "random seed, a whole number (default 1)" },
	[SIM_OPT_MINUTES] = { "minutes", "M", "length of a single run, 1-240 (default 60)" },
	[SIM_OPT_WEEKS] = { "weeks", "W", "a training block of W weeks, 0-52 (0: a single run)" },
	[SIM_OPT_RUNS_PER_WEEK] = { "runs-per-week", "N",
				    "runs in each week of the block, 1-7 (default 4)" },
	[SIM_OPT_START] = { "start", "TIME", "the first run's start, UTC, like 2026-11-02T07:00Z" },
	[SIM_OPT_COURSE] = { "course", "NAME[,NAME]",
			     "mixed (default), flat, rolling, climb, repeats, track, treadmill;\n"
			     "                       a list: the runs take the routes in turn" },
	[SIM_OPT_NO_BARO] = { "no-baro", NULL, "no barometer" },
	[SIM_OPT_WEATHER] = { "weather", "PA_PER_H",
			      "sea-level pressure wandering by 0-1000 Pa/h (default 0)" },
	[SIM_OPT_NO_HR] = { "no-hr", NULL, "no heart-rate strap" },
	[SIM_OPT_CONVENTION] = { "convention", "C",
				 "the pod counts cadence in steps or strides (default: by seed)" },
	[SIM_OPT_POD_ERROR] = { "pod-error", "PCT",
				"the pod's scale error in percent, -20 to 20 (default: by seed)" },
	[SIM_OPT_DROPOUT] = { "dropout", "P",
			      "probability a notification is lost, 0-0.5 (default 0.002)" },
	[SIM_OPT_IMU] = { "imu", NULL, "a 400 Hz IMU on each shoe (hamstride IMU profile)" },
	[SIM_OPT_IMU_LAST_RUNS] = { "imu-last-runs", "N",
				    "the IMUs only on the block's last N runs, 1-364 (implies --imu)" },
};

static const char *const course_names[SIM_COURSE_COUNT] = {
	[SIM_COURSE_MIXED] = "mixed",         [SIM_COURSE_FLAT] = "flat",
	[SIM_COURSE_ROLLING] = "rolling",     [SIM_COURSE_CLIMB] = "climb",
	[SIM_COURSE_REPEATS] = "repeats",     [SIM_COURSE_TRACK] = "track",
	[SIM_COURSE_TREADMILL] = "treadmill",
};

const char *sim_course_name(enum sim_course course)
{
	return (unsigned)course < SIM_COURSE_COUNT ? course_names[course] : NULL;
}

bool sim_course_parse(const char *name, enum sim_course *out)
{
	for (unsigned i = 0; name && i < SIM_COURSE_COUNT; i++)
		if (strcmp(name, course_names[i]) == 0) {
			*out = (enum sim_course)i;
			return true;
		}
	return false;
}

const struct sim_option_spec *sim_option_spec(enum sim_option_id id)
{
	return (unsigned)id < SIM_OPT_COUNT ? &specs[id] : NULL;
}

void sim_option_getopt(struct option *out, int first_val)
{
	for (unsigned i = 0; i < SIM_OPT_COUNT; i++)
		out[i] = (struct option){ specs[i].name,
					  specs[i].arg ? required_argument : no_argument, NULL,
					  first_val + (int)i };
}

void sim_option_help_line(enum sim_option_id id, char *buf, size_t size)
{
	const struct sim_option_spec *s = sim_option_spec(id);
	char flag[40];

	if (!size)
		return;
	if (!s) {
		buf[0] = '\0';
		return;
	}
	snprintf(flag, sizeof(flag), "--%s%s%s", s->name, s->arg ? " " : "", s->arg ? s->arg : "");
	snprintf(buf, size, "  %-20s %s", flag, s->help);
}

void sim_option_parser_init(struct sim_option_parser *p, const struct sim_options *defaults)
{
	memset(p, 0, sizeof(*p));
	p->o = *defaults;
}

static bool fail(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	if (!size)
		return false;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return false;
}

/* Digits only: no sign, no space, no base prefix. */
static bool parse_u64(const char *text, uint64_t *out)
{
	char *end;
	if (!text || !isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end)
		return false;
	*out = (uint64_t)v;
	return true;
}

static bool parse_number(const char *text, double *out)
{
	char *end;
	if (!text || !text[0] || isspace((unsigned char)text[0]))
		return false;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool parse_count(const char *text, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;
	if (!parse_u64(text, &v) || v < lo || v > hi)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool parse_range(const char *text, double lo, double hi, double *out)
{
	double v;
	if (!parse_number(text, &v) || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return false;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return true;
}

static unsigned days_in_month(int year, int month)
{
	static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return days[month - 1] + (month == 2 && leap);
}

/* 2026-11-02, 2026-11-02T07:00, 2026-11-02T07:00:30, each with an optional
 * Z, as hamstride takes times elsewhere; UTC. */
static bool parse_utc(const char *text, int64_t *us)
{
	const char *p = text;
	int year, month, day, hour = 0, minute = 0, second = 0;

	if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &month) || *p++ != '-' ||
	    !digits(&p, 2, &day))
		return false;
	if (month < 1 || month > 12 || day < 1 || (unsigned)day > days_in_month(year, month))
		return false;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &hour) || hour > 23 || *p++ != ':' || !digits(&p, 2, &minute) ||
		    minute > 59)
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &second) || second > 59)
				return false;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p)
		return false;
	int64_t s = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 +
		    minute * 60 + second;
	*us = s * 1000000;
	return true;
}

static bool parse_convention(const char *text, int *out)
{
	if (text && strcmp(text, "steps") == 0)
		*out = RSC_CONVENTION_STEPS;
	else if (text && strcmp(text, "strides") == 0)
		*out = RSC_CONVENTION_STRIDES;
	else
		return false;
	return true;
}

/* One course, or a comma-separated list of routes run in turn. */
static bool parse_courses(const char *text, struct sim_options *o)
{
	enum sim_course routes[SIM_MAX_ROUTES];
	unsigned n = 0;
	char name[16];

	for (const char *p = text; p; n++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (n == SIM_MAX_ROUTES || len >= sizeof(name))
			return false;
		memcpy(name, p, len);
		name[len] = '\0';
		if (!sim_course_parse(name, &routes[n]))
			return false;
		p = comma ? comma + 1 : NULL;
	}
	if (n == 0) /* no text at all */
		return false;
	o->course = routes[0];
	o->n_routes = n > 1 ? n : 0;
	memcpy(o->routes, routes, n * sizeof(routes[0]));
	return true;
}

/* The value into o; false if it is not one the option takes. */
static bool parse_value(struct sim_options *o, enum sim_option_id id, const char *v)
{
	int64_t start_us;
	double pct;

	switch (id) {
	case SIM_OPT_SEED:
		return parse_u64(v, &o->seed);
	case SIM_OPT_MINUTES:
		return parse_range(v, SIM_RUN_MINUTES_MIN, SIM_RUN_MINUTES_MAX, &o->run_minutes);
	case SIM_OPT_WEEKS:
		return parse_count(v, 0, SIM_WEEKS_MAX, &o->weeks);
	case SIM_OPT_RUNS_PER_WEEK:
		return parse_count(v, 1, SIM_RUNS_PER_WEEK_MAX, &o->runs_per_week);
	case SIM_OPT_START:
		if (!parse_utc(v ? v : "", &start_us) || start_us < 0 ||
		    start_us >= SIM_START_US_MAX)
			return false;
		o->start_us = start_us;
		return true;
	case SIM_OPT_COURSE:
		return parse_courses(v, o);
	case SIM_OPT_NO_BARO:
		o->barometer = false;
		return true;
	case SIM_OPT_WEATHER:
		return parse_range(v, 0, SIM_WEATHER_MAX_PA_PER_H, &o->weather_pa_per_h);
	case SIM_OPT_NO_HR:
		o->heart_rate = false;
		return true;
	case SIM_OPT_CONVENTION:
		return parse_convention(v, &o->cadence_convention);
	case SIM_OPT_POD_ERROR:
		if (!parse_range(v, -100 * SIM_SCALE_ERROR_MAX, 100 * SIM_SCALE_ERROR_MAX, &pct))
			return false;
		o->footpod_scale_error = pct / 100;
		return true;
	case SIM_OPT_DROPOUT:
		return parse_range(v, 0, SIM_DROPOUT_MAX, &o->dropout_rate);
	case SIM_OPT_IMU:
		o->imu = true;
		return true;
	case SIM_OPT_IMU_LAST_RUNS:
		if (!parse_count(v, 1, IMU_LAST_RUNS_MAX, &o->imu_last_runs))
			return false;
		o->imu = true;
		return true;
	case SIM_OPT_COUNT:
		break;
	}
	return false;
}

/* What the option takes, for its message. */
static const char *wants(enum sim_option_id id)
{
	switch (id) {
	case SIM_OPT_SEED:
		return "a whole number of 0 or more";
	case SIM_OPT_MINUTES:
		return "a number of minutes from 1 to 240";
	case SIM_OPT_WEEKS:
		return "a whole number from 0 (a single run) to 52";
	case SIM_OPT_RUNS_PER_WEEK:
		return "a whole number from 1 to 7";
	case SIM_OPT_START:
		return "a UTC time between 1970 and 2100 like 2026-11-02T07:00Z";
	case SIM_OPT_COURSE:
		return "one of mixed, flat, rolling, climb, repeats, track, treadmill, or up "
		       "to 8 of them separated by commas";
	case SIM_OPT_WEATHER:
		return "a number of Pa per hour from 0 to 1000";
	case SIM_OPT_CONVENTION:
		return "'steps' or 'strides'";
	case SIM_OPT_POD_ERROR:
		return "a percentage from -20 to 20";
	case SIM_OPT_DROPOUT:
		return "a probability from 0 to 0.5";
	case SIM_OPT_IMU_LAST_RUNS:
		return "a whole number from 1 to 364";
	default:
		return "no value";
	}
}

bool sim_option_parse(struct sim_option_parser *p, enum sim_option_id id, const char *value,
		      char *why, size_t why_size)
{
	const struct sim_option_spec *s = sim_option_spec(id);
	struct sim_options o;

	if (!s)
		return fail(why, why_size, "unknown simulator option %d", (int)id);
	if (!s->arg != !value)
		return s->arg ? fail(why, why_size, "--%s needs a value: %s", s->name, wants(id))
			      : fail(why, why_size, "--%s takes no value", s->name);
	o = p->o;
	if (!parse_value(&o, id, value))
		return fail(why, why_size, "--%s wants %s, not '%s'", s->name, wants(id), value);
	p->o = o;
	p->given[id] = true;
	return true;
}

bool sim_option_parser_finish(const struct sim_option_parser *p, char *why, size_t why_size)
{
	if (p->given[SIM_OPT_MINUTES] && p->o.weeks)
		return fail(why, why_size,
			    "--minutes is for a single run (--weeks 0); a block of --weeks "
			    "chooses its own lengths");
	if (p->given[SIM_OPT_RUNS_PER_WEEK] && !p->o.weeks)
		return fail(why, why_size, "--runs-per-week needs a block: --weeks 1 or more");
	return true;
}
