// SPDX-License-Identifier: GPL-2.0-or-later
/* The treadmill part of a run's end: a treadmill found from the shoe IMUs
 * alone, the belt's distance, the treadmill's doubts, the pod's factor. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "treadmill.h"

static struct store_run summary_of(double distance_m, double duration_s, double cadence_spm)
{
	return (struct store_run){ .id = 1,
				   .duration_s = duration_s,
				   .distance_m = distance_m,
				   .speed_mps = distance_m / duration_s,
				   .cadence_spm = cadence_spm,
				   .stride_length_m = 2.0 };
}

/* n strides of the given duration and length. */
static void strides(struct treadmill_run *t, unsigned n, double duration_s, double length_m)
{
	for (unsigned i = 0; i < n; i++) {
		struct ins_stride x = { .valid = true,
					.duration_us = (int64_t)(duration_s * 1e6),
					.length_m = length_m };
		treadmill_note_stride(t, &x, false);
	}
}

static void test_suspected_thresholds(void **state)
{
	(void)state;
	assert_false(treadmill_suspected(20, 20, 20)); /* too few strides */
	assert_true(treadmill_suspected(100, 100, 80));
	assert_false(treadmill_suspected(100, 100, 79)); /* most must be short */
	assert_false(treadmill_suspected(100, 49, 49));  /* most must be at cadence */
}

static void test_imus_on_a_belt_without_ftms(void **state)
{
	(void)state;
	static struct treadmill_run t;
	treadmill_run_begin(&t);
	/* 0.7 s strides (171 steps/min) that move 0.6 m: the belt carried the foot */
	strides(&t, 500, 0.7, 0.6);
	struct store_run s = summary_of(300, 350, 171);
	treadmill_end_run(&t, false, 500, &s);
	assert_string_equal(t.surface.surface, "treadmill");
	assert_non_null(strstr(t.surface.distance_note, "treadmill without treadmill data"));
	assert_non_null(strstr(t.surface.distance_note, "distance unknown"));
	assert_true(isnan(s.distance_m)); /* not a near-zero distance */
	assert_true(isnan(s.speed_mps));
	assert_true(isnan(s.stride_length_m));

	/* with a foot pod the pod's distance stands */
	treadmill_run_begin(&t);
	strides(&t, 500, 0.7, 0.6);
	s = summary_of(1000, 350, 171);
	treadmill_end_run(&t, true, 500, &s);
	assert_string_equal(t.surface.surface, "treadmill");
	assert_float_equal(s.distance_m, 1000, 1e-9);
	assert_float_equal(s.stride_length_m, 1000 / (171.0 / 2 * 350 / 60), 1e-9);
}

static void test_running_over_ground_is_not_a_treadmill(void **state)
{
	(void)state;
	static struct treadmill_run t;
	treadmill_run_begin(&t);
	strides(&t, 500, 0.72, 2.1);
	strides(&t, 30, 0.7, 0.6); /* a few short ones: turning, a stop at lights */
	struct store_run s = summary_of(1113, 380, 167);
	treadmill_end_run(&t, false, 530, &s);
	assert_string_equal(t.surface.surface, "");
	assert_float_equal(s.distance_m, 1113, 1e-9);
	/* walking (long strides in time) is not running cadence either */
	treadmill_run_begin(&t);
	strides(&t, 200, 1.1, 0.6);
	s = summary_of(120, 220, 109);
	treadmill_end_run(&t, false, 200, &s);
	assert_string_equal(t.surface.surface, "");
}

static void test_belt_distance_and_mph_doubt(void **state)
{
	(void)state;
	static struct treadmill_run t;
	treadmill_run_begin(&t);
	/* a belt at 3 m/s whose speed field holds mph: 300 s, counter in metres */
	for (int i = 0; i <= 300; i++) {
		struct ftms_treadmill_data d = { .has_speed = true,
						 .speed_mps = 3.0 / 1.609344,
						 .has_total_distance = true,
						 .total_distance_m = 3.0 * i };
		treadmill_aggregate(&t, "test", &d, (int64_t)i * 1000000, true);
	}
	struct store_run s = summary_of(0, 300, 170);
	treadmill_end_run(&t, false, 0, &s);
	assert_string_equal(t.surface.surface, "treadmill");
	assert_float_equal(s.distance_m, 900, 1e-9);
	assert_float_equal(s.speed_mps, 3.0, 1e-9);
	assert_non_null(strstr(t.surface.distance_note, "mph"));
}

static void test_counter_reset_loses_nothing_counted(void **state)
{
	(void)state;
	static struct treadmill_run t;
	treadmill_run_begin(&t);
	for (int i = 0; i < 200; i++) {
		/* the treadmill restarts its session at 100 s: the counter drops to 0 */
		double counter = i < 100 ? 3.0 * i : 3.0 * (i - 100);
		struct ftms_treadmill_data d = { .has_speed = true,
						 .speed_mps = 3.0,
						 .has_total_distance = true,
						 .total_distance_m = counter };
		treadmill_aggregate(&t, "test", &d, (int64_t)i * 1000000, true);
	}
	/* 99 steps of 3 m before, 99 after */
	assert_float_equal(t.distance_m, 594, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suspected_thresholds),
		cmocka_unit_test(test_imus_on_a_belt_without_ftms),
		cmocka_unit_test(test_running_over_ground_is_not_a_treadmill),
		cmocka_unit_test(test_belt_distance_and_mph_doubt),
		cmocka_unit_test(test_counter_reset_loses_nothing_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
