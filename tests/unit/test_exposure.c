// SPDX-License-Identifier: GPL-2.0-or-later
/* Exposures from hand-made segments: grade shares, speed, stride, load, spans. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clinical/exposure.h"

#define DAY_US (24LL * 3600 * 1000000)
#define T0 1795000000000000LL

static struct seg_segment seg(int64_t start_s, double dur_s, enum seg_class c, double len_m,
			      double gap, double ratio)
{
	struct seg_segment s;
	memset(&s, 0, sizeof(s));
	s.start_us = T0 + start_s * 1000000;
	s.end_us = s.start_us + (int64_t)(dur_s * 1e6);
	s.cls = c;
	s.duration_s = dur_s;
	s.length_m = len_m;
	s.speed_mps = len_m / dur_s;
	s.gap_s_per_km = gap;
	s.cadence_spm = 170;
	s.stride_ratio = ratio;
	s.heart_rate_bpm = NAN;
	return s;
}

static void test_shares_and_speed(void **state)
{
	(void)state;
	/* 600 s flat, 300 s down, 100 s up; unknown time is not counted. */
	struct seg_segment s[] = {
		seg(0, 600, SEG_FLAT, 1800, 1000 / 3.0, 1.0),
		seg(600, 300, SEG_DOWN, 1050, 1000 / 3.0, 1.1),
		seg(900, 100, SEG_STEEP_UP, 250, 1000 / 3.0, 0.95),
		seg(1000, 200, SEG_UNKNOWN, 600, NAN, NAN),
	};
	struct exp_run r;
	exp_summarise_run(s, 4, T0, &r);
	assert_float_equal(r.down_share, 0.3, 1e-9);
	assert_float_equal(r.up_share, 0.1, 1e-9);
	assert_float_equal(r.duration_s, 1200, 1e-9);
	assert_float_equal(r.distance_m, 3700, 1e-9);
	assert_float_equal(r.flat_speed_mps, 3.0, 1e-9);
	assert_float_equal(r.class_distance_m[SEG_DOWN], 1050, 1e-9);
	assert_float_equal(r.stride_ratio[SEG_DOWN], 1.1, 1e-12);
	assert_float_equal(r.cadence_spm, 170, 1e-9);
}

static void test_no_grade_known_gives_nan_shares(void **state)
{
	(void)state;
	struct seg_segment s[] = { seg(0, 600, SEG_UNKNOWN, 1800, NAN, NAN) };
	struct exp_run r;
	exp_summarise_run(s, 1, T0, &r);
	assert_true(isnan(r.down_share));
	assert_true(isnan(r.up_share));
	exp_summarise_run(NULL, 0, T0, &r);
	assert_true(isnan(r.down_share));
	assert_true(isnan(r.speed_mps));
}

static void test_relate_speed_stride_load(void **state)
{
	(void)state;
	struct exp_run r[3];
	double gaps[3] = { 1000 / 3.0, 1000 / 3.0, 1000 / 3.3 };
	double ratio[3] = { 1.10, 1.10, 1.21 };
	double len[3] = { 10000, 8000, 12500 };
	for (int i = 0; i < 3; i++) {
		struct seg_segment s[] = {
			seg(0, 600, SEG_FLAT, len[i] / 2, gaps[i], 1.0),
			seg(600, 600, SEG_DOWN, len[i] / 2, gaps[i], ratio[i]),
		};
		exp_summarise_run(s, 2, T0 + i * DAY_US, &r[i]);
	}
	exp_relate_runs(r, 3);
	/* Usual flat speed is the median, 3.0 m/s: the third run is 10 % faster. */
	assert_float_equal(r[2].speed_ratio, 1.1, 1e-9);
	assert_float_equal(r[0].speed_ratio, 1.0, 1e-9);
	/* Usual descent stride 1.10: 1.21 is 10 % longer. */
	assert_float_equal(r[2].overstride_pct, 10, 1e-9);
	assert_true(isnan(r[0].load_ratio));
	assert_float_equal(r[2].load_ratio, 1.25, 1e-12);
	assert_float_equal(r[2].week_distance_m, 30500, 1e-9);
}

static void test_spans_split_the_classes(void **state)
{
	(void)state;
	struct seg_segment s[] = {
		seg(0, 600, SEG_FLAT, 1800, NAN, NAN),
		seg(600, 300, SEG_DOWN, 1050, NAN, NAN),
		seg(900, 300, SEG_UP, 600, NAN, NAN),
	};
	/* Two overlapping spans, 500-800 s and 700-1000 s: the union is 500-1000. */
	struct exp_span spans[] = { { 500, 800 }, { 700, 1000 } };
	struct exp_span_split out;
	exp_split_spans(s, 3, T0, spans, 2, &out);
	assert_float_equal(out.span_time_s[SEG_FLAT], 100, 1e-6);
	assert_float_equal(out.span_time_s[SEG_DOWN], 300, 1e-6);
	assert_float_equal(out.span_time_s[SEG_UP], 100, 1e-6);
	assert_float_equal(out.rest_time_s[SEG_FLAT], 500, 1e-6);
	assert_float_equal(out.rest_time_s[SEG_UP], 200, 1e-6);
	assert_float_equal(exp_span_share(out.span_time_s, true), 0.6, 1e-9);
	assert_float_equal(out.share[0], 0.6, 1e-9);
}

/* Shifted uniformly around the run, a span's expected share of a grade is
 * the run's share of it (here 300 of 1200 s on each): the randomisation's
 * centre, to the grid's resolution. */
static void test_span_null_is_centred_on_the_run(void **state)
{
	(void)state;
	struct seg_segment s[] = {
		seg(0, 600, SEG_FLAT, 1800, NAN, NAN),
		seg(600, 300, SEG_DOWN, 1050, NAN, NAN),
		seg(900, 300, SEG_UP, 600, NAN, NAN),
	};
	struct exp_span spans[] = { { 650, 800 } };
	struct exp_span_split out;
	exp_split_spans(s, 3, T0, spans, 1, &out);
	assert_float_equal(out.share[0], 1.0, 1e-9);
	assert_float_equal(out.null_mean[0], 0.25, 0.01);
	assert_float_equal(out.null_mean[1], 0.25, 0.01);
	assert_true(out.null_var[0] > 0.05);
	size_t on_descent = 0;
	for (int k = 0; k < EXP_NULL_SHIFTS; k++)
		on_descent += out.null_share[0][k] > 0.999;
	/* Whole on the descent for 150 of the 1200 s of offsets. */
	assert_true(on_descent >= 11 && on_descent <= 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shares_and_speed),
		cmocka_unit_test(test_no_grade_known_gives_nan_shares),
		cmocka_unit_test(test_relate_speed_stride_load),
		cmocka_unit_test(test_spans_split_the_classes),
		cmocka_unit_test(test_span_null_is_centred_on_the_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
