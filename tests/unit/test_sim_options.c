// SPDX-License-Identifier: GPL-2.0-or-later
/* The simulator's options: one table, its ranges and its messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "decode/rsc.h"
#include "sim/options.h"
#include "sim/sim.h"

static struct sim_option_parser fresh(void)
{
	struct sim_option_parser p;
	struct sim_options d;
	sim_options_default(&d);
	sim_option_parser_init(&p, &d);
	return p;
}

/* value is accepted (true) or refused with a message naming the option,
 * p->o unchanged. */
static bool try(enum sim_option_id id, const char *value)
{
	struct sim_option_parser p = fresh(), before = p;
	char why[256] = "";

	if (sim_option_parse(&p, id, value, why, sizeof(why))) {
		assert_true(p.given[id]);
		return true;
	}
	char name[48];
	snprintf(name, sizeof(name), "--%s", sim_option_spec(id)->name);
	if (!strstr(why, name))
		fail_msg("message for %s '%s' does not name it: %s", name, value, why);
	assert_memory_equal(&p.o, &before.o, sizeof(p.o));
	assert_false(p.given[id]);
	return false;
}

static void test_ranges(void **state)
{
	(void)state;
	/* Each bound in, just outside it out. */
	assert_true(try(SIM_OPT_WEEKS, "0"));
	assert_true(try(SIM_OPT_WEEKS, "52"));
	assert_false(try(SIM_OPT_WEEKS, "53"));
	assert_false(try(SIM_OPT_WEEKS, "-1"));
	assert_true(try(SIM_OPT_RUNS_PER_WEEK, "1"));
	assert_true(try(SIM_OPT_RUNS_PER_WEEK, "7"));
	assert_false(try(SIM_OPT_RUNS_PER_WEEK, "8"));
	assert_false(try(SIM_OPT_RUNS_PER_WEEK, "14"));
	assert_false(try(SIM_OPT_RUNS_PER_WEEK, "0"));
	assert_true(try(SIM_OPT_MINUTES, "1"));
	assert_true(try(SIM_OPT_MINUTES, "240"));
	assert_true(try(SIM_OPT_MINUTES, "22.5"));
	assert_false(try(SIM_OPT_MINUTES, "0.99"));
	assert_false(try(SIM_OPT_MINUTES, "240.01"));
	assert_false(try(SIM_OPT_MINUTES, "nan"));
	assert_false(try(SIM_OPT_MINUTES, "inf"));
	assert_true(try(SIM_OPT_SEED, "0"));
	assert_true(try(SIM_OPT_SEED, "18446744073709551615"));
	assert_false(try(SIM_OPT_SEED, "18446744073709551616"));
	assert_false(try(SIM_OPT_SEED, "-1"));
	assert_false(try(SIM_OPT_SEED, " 1"));
	assert_false(try(SIM_OPT_SEED, "0x10"));
	assert_true(try(SIM_OPT_POD_ERROR, "-20"));
	assert_true(try(SIM_OPT_POD_ERROR, "20"));
	assert_false(try(SIM_OPT_POD_ERROR, "20.5"));
	assert_true(try(SIM_OPT_DROPOUT, "0"));
	assert_true(try(SIM_OPT_DROPOUT, "0.5"));
	assert_false(try(SIM_OPT_DROPOUT, "0.51"));
	assert_true(try(SIM_OPT_WEATHER, "0"));
	assert_true(try(SIM_OPT_WEATHER, "1000"));
	assert_false(try(SIM_OPT_WEATHER, "1001"));
	assert_false(try(SIM_OPT_WEATHER, "-5"));
	assert_true(try(SIM_OPT_IMU_LAST_RUNS, "1"));
	assert_true(try(SIM_OPT_IMU_LAST_RUNS, "364"));
	assert_false(try(SIM_OPT_IMU_LAST_RUNS, "365"));
	assert_false(try(SIM_OPT_IMU_LAST_RUNS, "0"));
	assert_true(try(SIM_OPT_CONVENTION, "steps"));
	assert_false(try(SIM_OPT_CONVENTION, "Steps"));
	assert_false(try(SIM_OPT_COURSE, "hilly"));
	assert_false(try(SIM_OPT_MINUTES, ""));
	assert_false(try(SIM_OPT_MINUTES, "12abc"));
}

/* Whatever the parser accepts, the simulator runs with. */
static void test_parsed_values(void **state)
{
	struct sim_option_parser p = fresh();
	char why[256];
	(void)state;

	assert_true(sim_option_parse(&p, SIM_OPT_SEED, "18446744073709551615", why, sizeof(why)));
	assert_true(p.o.seed == UINT64_MAX);
	assert_true(sim_option_parse(&p, SIM_OPT_POD_ERROR, "-2.5", why, sizeof(why)));
	assert_true(fabs(p.o.footpod_scale_error + 0.025) < 1e-12);
	assert_true(sim_option_parse(&p, SIM_OPT_CONVENTION, "strides", why, sizeof(why)));
	assert_int_equal(p.o.cadence_convention, RSC_CONVENTION_STRIDES);
	assert_true(sim_option_parse(&p, SIM_OPT_COURSE, "treadmill", why, sizeof(why)));
	assert_int_equal(p.o.course, SIM_COURSE_TREADMILL);
	assert_true(sim_option_parse(&p, SIM_OPT_NO_BARO, NULL, why, sizeof(why)));
	assert_false(p.o.barometer);
	assert_true(sim_option_parse(&p, SIM_OPT_NO_HR, NULL, why, sizeof(why)));
	assert_false(p.o.heart_rate);
	assert_false(p.o.imu);
	assert_true(sim_option_parse(&p, SIM_OPT_IMU_LAST_RUNS, "3", why, sizeof(why)));
	assert_true(p.o.imu); /* implied */
	assert_int_equal(p.o.imu_last_runs, 3);
	assert_true(sim_option_parse(&p, SIM_OPT_WEATHER, "150", why, sizeof(why)));
	assert_true(p.o.weather_pa_per_h == 150);
	assert_true(sim_option_parser_finish(&p, why, sizeof(why)));
	assert_int_equal(sim_run_block(&p.o, NULL, NULL, NULL), -EINVAL); /* no emit: checked */
	double x = 100, h, g;
	assert_int_equal(sim_course_profile(&p.o, 1, &x, &h, &g, 1), 0); /* options valid */
}

static void test_start_time(void **state)
{
	struct sim_option_parser p = fresh();
	char why[256];
	(void)state;

	assert_true(sim_option_parse(&p, SIM_OPT_START, "2026-11-02T07:00Z", why, sizeof(why)));
	assert_true(p.o.start_us == INT64_C(1793602800000000));
	assert_true(sim_option_parse(&p, SIM_OPT_START, "2024-02-29T23:59:59", why, sizeof(why)));
	assert_true(p.o.start_us == INT64_C(1709251199000000));
	assert_true(sim_option_parse(&p, SIM_OPT_START, "1970-01-01", why, sizeof(why)));
	assert_true(p.o.start_us == 0);
	assert_true(try(SIM_OPT_START, "2099-12-31T23:59:59Z"));
	assert_false(try(SIM_OPT_START, "2100-01-01"));
	assert_false(try(SIM_OPT_START, "1969-12-31T23:59Z"));
	assert_false(try(SIM_OPT_START, "2026-02-29"));
	assert_false(try(SIM_OPT_START, "2026-11-02T24:00"));
	assert_false(try(SIM_OPT_START, "2026-11-02T07"));
	assert_false(try(SIM_OPT_START, "2026-11-02T07:00:60"));
	assert_false(try(SIM_OPT_START, "2026-11-02T07:00Zx"));
	assert_false(try(SIM_OPT_START, "tomorrow"));
}

static void test_messages(void **state)
{
	struct sim_option_parser p = fresh();
	char why[256];
	(void)state;

	assert_false(sim_option_parse(&p, SIM_OPT_RUNS_PER_WEEK, "14", why, sizeof(why)));
	assert_string_equal(why, "--runs-per-week wants a whole number from 1 to 7, not '14'");
	assert_false(sim_option_parse(&p, SIM_OPT_WEEKS, "60", why, sizeof(why)));
	assert_string_equal(why,
			    "--weeks wants a whole number from 0 (a single run) to 52, not '60'");
	assert_false(sim_option_parse(&p, SIM_OPT_COURSE, "hilly", why, sizeof(why)));
	assert_string_equal(why, "--course wants one of mixed, flat, rolling, climb, repeats, "
				 "track, treadmill, or up to 8 of them separated by commas, "
				 "not 'hilly'");
	assert_false(sim_option_parse(&p, SIM_OPT_MINUTES, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "--minutes needs a value"));
	assert_false(sim_option_parse(&p, SIM_OPT_IMU, "yes", why, sizeof(why)));
	assert_string_equal(why, "--imu takes no value");
	assert_false(sim_option_parse(&p, SIM_OPT_COUNT, "1", why, sizeof(why)));
	/* A short buffer is truncated, never overrun. */
	char tiny[8];
	assert_false(sim_option_parse(&p, SIM_OPT_WEEKS, "99", tiny, sizeof(tiny)));
	assert_string_equal(tiny, "--weeks");
}

static void test_across_options(void **state)
{
	struct sim_option_parser p = fresh();
	char why[256];
	(void)state;

	assert_true(sim_option_parse(&p, SIM_OPT_MINUTES, "30", why, sizeof(why)));
	assert_true(sim_option_parser_finish(&p, why, sizeof(why)));
	assert_true(sim_option_parse(&p, SIM_OPT_WEEKS, "2", why, sizeof(why)));
	assert_false(sim_option_parser_finish(&p, why, sizeof(why)));
	assert_non_null(strstr(why, "--minutes is for a single run"));

	p = fresh();
	assert_true(sim_option_parse(&p, SIM_OPT_RUNS_PER_WEEK, "3", why, sizeof(why)));
	assert_false(sim_option_parser_finish(&p, why, sizeof(why)));
	assert_non_null(strstr(why, "--runs-per-week needs a block"));
	assert_true(sim_option_parse(&p, SIM_OPT_WEEKS, "1", why, sizeof(why)));
	assert_true(sim_option_parser_finish(&p, why, sizeof(why)));
}

/* The getopt table and the help come from the same definitions. */
static void test_table(void **state)
{
	struct option opts[SIM_OPT_COUNT];
	char line[160];
	(void)state;

	sim_option_getopt(opts, 1000);
	for (unsigned i = 0; i < SIM_OPT_COUNT; i++) {
		const struct sim_option_spec *s = sim_option_spec((enum sim_option_id)i);
		assert_non_null(s);
		assert_string_equal(opts[i].name, s->name);
		assert_int_equal(opts[i].has_arg, s->arg ? required_argument : no_argument);
		assert_int_equal(opts[i].val, 1000 + (int)i);
		sim_option_help_line((enum sim_option_id)i, line, sizeof(line));
		assert_non_null(strstr(line, s->help));
		assert_true(strncmp(line, "  --", 4) == 0);
	}
	assert_null(sim_option_spec(SIM_OPT_COUNT));
	sim_option_help_line(SIM_OPT_RUNS_PER_WEEK, line, sizeof(line));
	assert_string_equal(
		line, "  --runs-per-week N    runs in each week of the block, 1-7 (default 4)");
	/* The help states the ranges the parser keeps. */
	sim_option_help_line(SIM_OPT_WEEKS, line, sizeof(line));
	assert_non_null(strstr(line, "0-52"));
	sim_option_help_line(SIM_OPT_MINUTES, line, sizeof(line));
	assert_non_null(strstr(line, "1-240"));
}

/* The help and the messages state the simulator's own limits (sim.h): a
 * limit changed there and not here fails. */
static void check_states(enum sim_option_id id, const char *bad, const char *range)
{
	struct sim_option_parser p = fresh();
	char line[160], why[256];

	sim_option_help_line(id, line, sizeof(line));
	assert_false(sim_option_parse(&p, id, bad, why, sizeof(why)));
	if (!strstr(line, range))
		fail_msg("help of --%s does not say %s: %s", sim_option_spec(id)->name, range,
			 line);
	(void)why;
}

static void test_limits_stated(void **state)
{
	char range[64], word[64];
	(void)state;

	snprintf(range, sizeof(range), "0-%u", SIM_WEEKS_MAX);
	check_states(SIM_OPT_WEEKS, "999", range);
	snprintf(range, sizeof(range), "1-%u", SIM_RUNS_PER_WEEK_MAX);
	check_states(SIM_OPT_RUNS_PER_WEEK, "999", range);
	snprintf(range, sizeof(range), "%g-%g", SIM_RUN_MINUTES_MIN, SIM_RUN_MINUTES_MAX);
	check_states(SIM_OPT_MINUTES, "999", range);
	snprintf(range, sizeof(range), "0-%g", SIM_DROPOUT_MAX);
	check_states(SIM_OPT_DROPOUT, "9", range);
	snprintf(range, sizeof(range), "0-%g", SIM_WEATHER_MAX_PA_PER_H);
	check_states(SIM_OPT_WEATHER, "99999", range);
	snprintf(range, sizeof(range), "-%g to %g", 100 * SIM_SCALE_ERROR_MAX,
		 100 * SIM_SCALE_ERROR_MAX);
	check_states(SIM_OPT_POD_ERROR, "99", range);
	snprintf(range, sizeof(range), "1-%u", SIM_WEEKS_MAX * SIM_RUNS_PER_WEEK_MAX);
	check_states(SIM_OPT_IMU_LAST_RUNS, "99999", range);
	/* and every course's name */
	for (unsigned i = 0; i < SIM_COURSE_COUNT; i++) {
		snprintf(word, sizeof(word), "%s", sim_course_name((enum sim_course)i));
		check_states(SIM_OPT_COURSE, "nowhere", word);
	}
}

static void test_routes(void **state)
{
	struct sim_option_parser p = fresh();
	char why[256];
	(void)state;

	assert_true(sim_option_parse(&p, SIM_OPT_COURSE, "climb", why, sizeof(why)));
	assert_int_equal(p.o.course, SIM_COURSE_CLIMB);
	assert_int_equal(p.o.n_routes, 0);
	assert_true(sim_option_parse(&p, SIM_OPT_COURSE, "flat,repeats,track", why, sizeof(why)));
	assert_int_equal(p.o.n_routes, 3);
	assert_int_equal(p.o.routes[0], SIM_COURSE_FLAT);
	assert_int_equal(p.o.routes[1], SIM_COURSE_REPEATS);
	assert_int_equal(p.o.routes[2], SIM_COURSE_TRACK);
	assert_int_equal(sim_run_course(&p.o, 1), SIM_COURSE_FLAT);
	assert_int_equal(sim_run_course(&p.o, 3), SIM_COURSE_TRACK);
	assert_int_equal(sim_run_course(&p.o, 5), SIM_COURSE_REPEATS);
	assert_true(try(SIM_OPT_COURSE, "flat,flat,flat,flat,flat,flat,flat,flat"));
	assert_false(try(SIM_OPT_COURSE, "flat,flat,flat,flat,flat,flat,flat,flat,flat"));
	assert_false(try(SIM_OPT_COURSE, "flat,,track"));
	assert_false(try(SIM_OPT_COURSE, "flat,"));
	assert_false(try(SIM_OPT_COURSE, ","));
	assert_false(try(SIM_OPT_COURSE, "flat,hilly"));
	assert_false(try(SIM_OPT_COURSE, "averyveryverylongname,flat"));
}

static void test_course_names(void **state)
{
	enum sim_course c = SIM_COURSE_FLAT;
	(void)state;

	for (unsigned i = 0; i < SIM_COURSE_COUNT; i++) {
		const char *name = sim_course_name((enum sim_course)i);
		assert_non_null(name);
		assert_true(sim_course_parse(name, &c));
		assert_int_equal(c, i);
	}
	assert_null(sim_course_name(SIM_COURSE_COUNT));
	assert_false(sim_course_parse("Flat", &c));
	assert_false(sim_course_parse(NULL, &c));
	assert_int_equal(c, SIM_COURSE_COUNT - 1); /* untouched */
	assert_string_equal(sim_course_name(SIM_COURSE_MIXED), "mixed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),         cmocka_unit_test(test_parsed_values),
		cmocka_unit_test(test_start_time),     cmocka_unit_test(test_messages),
		cmocka_unit_test(test_across_options), cmocka_unit_test(test_table),
		cmocka_unit_test(test_course_names),   cmocka_unit_test(test_limits_stated),
		cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
