// SPDX-License-Identifier: GPL-2.0-or-later
/* Weekly report: ISO week boundaries, labels and totals on hand-made runs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"

#define S_US 1000000LL
#define DAY_US (86400 * S_US)
/* Monday 2026-11-16 00:00 UTC, ISO week 2026-W47. */
#define MONDAY (1794787200LL * S_US)

static struct store_run run_at(int64_t start_us, double distance_m, double duration_s,
			       double cadence_spm, double stride_m)
{
	return (struct store_run){ .start_us = start_us,
				   .distance_m = distance_m,
				   .duration_s = duration_s,
				   .cadence_spm = cadence_spm,
				   .stride_length_m = stride_m };
}

static void test_week_start(void **state)
{
	(void)state;
	assert_int_equal(report_week_start(MONDAY), MONDAY);
	assert_int_equal(report_week_start(MONDAY + 7 * DAY_US - 1),
			 MONDAY); /* Sunday 23:59:59.999999 */
	assert_int_equal(report_week_start(MONDAY + 7 * DAY_US), MONDAY + 7 * DAY_US);
	assert_int_equal(report_week_start(MONDAY - 1), MONDAY - 7 * DAY_US);
	assert_int_equal(report_week_start(0), -3 * DAY_US); /* 1970-01-01 was a Thursday */
}

static void test_week_labels(void **state)
{
	(void)state;
	char buf[16];
	assert_string_equal(report_week_label(MONDAY, buf, sizeof(buf)), "2026-W47");
	/* 2026 has 53 ISO weeks; the week of 2027-01-01 belongs to 2026. */
	int64_t dec28 = MONDAY + 6 * 7 * DAY_US;
	assert_string_equal(report_week_label(dec28, buf, sizeof(buf)), "2026-W53");
	assert_string_equal(report_week_label(dec28 + 7 * DAY_US, buf, sizeof(buf)), "2027-W01");
	/* Monday 2024-12-30 starts 2025-W01. */
	assert_string_equal(report_week_label(1735516800LL * S_US, buf, sizeof(buf)), "2025-W01");
}

static void test_bucketing_and_totals(void **state)
{
	(void)state;
	struct report_week w[3];
	report_weeks_init(w, 3, MONDAY);
	assert_int_equal(w[0].start_us, MONDAY - 14 * DAY_US);
	const struct store_run runs[] = {
		run_at(MONDAY - 14 * DAY_US - 1, 5000, 1500, 170, 1.8), /* before the table */
		run_at(MONDAY - 14 * DAY_US, 5000, 1500, 170, 2.0), /* first instant of week 0 */
		run_at(MONDAY - 1, 10000, 3000, 160, NAN),          /* last instant of week 1 */
		run_at(MONDAY - 2 * DAY_US, 4000, 1000, 180, 2.4),
		run_at(MONDAY + 3 * DAY_US, NAN, 1800, NAN, NAN),  /* treadmill, no distance */
		run_at(MONDAY + 7 * DAY_US, 5000, 1500, 170, 2.0), /* after the table */
	};
	bool in[6];
	for (int i = 0; i < 6; i++)
		in[i] = report_weeks_add(w, 3, &runs[i]);
	report_weeks_finish(w, 3);
	assert_false(in[0]);
	assert_true(in[1] && in[2] && in[3] && in[4]);
	assert_false(in[5]);

	assert_int_equal(w[0].runs, 1);
	assert_float_equal(w[0].distance_m, 5000, 1e-9);
	assert_float_equal(w[0].speed_mps, 5000.0 / 1500, 1e-12);

	assert_int_equal(w[1].runs, 2);
	assert_float_equal(w[1].distance_m, 14000, 1e-9);
	assert_float_equal(w[1].duration_s, 4000, 1e-9);
	assert_float_equal(w[1].cadence_spm, (160 * 3000 + 180 * 1000) / 4000.0, 1e-9);
	assert_float_equal(w[1].stride_length_m, 2.4, 1e-12); /* only one run measured it */

	assert_int_equal(w[2].runs, 1);
	assert_float_equal(w[2].distance_m, 0, 1e-9);
	assert_float_equal(w[2].duration_s, 1800, 1e-9);
	assert_true(isnan(w[2].speed_mps)); /* no distance: no pace */
	assert_true(isnan(w[2].cadence_spm));
}

static void test_empty_week(void **state)
{
	(void)state;
	struct report_week w[1];
	report_weeks_init(w, 1, MONDAY);
	report_weeks_finish(w, 1);
	assert_int_equal(w[0].runs, 0);
	assert_true(isnan(w[0].speed_mps));
	assert_true(isnan(w[0].stride_length_m));
}

/* Segments go to their run's week by class; outside the weeks, or with
 * no length, they are refused. */
static void test_class_distance(void **state)
{
	(void)state;
	struct report_week weeks[2];
	int64_t monday = report_week_start(INT64_C(1793602800000000));
	report_weeks_init(weeks, 2, monday);
	struct seg_segment up = { .cls = SEG_UP, .length_m = 400 };
	struct seg_segment flat = { .cls = SEG_FLAT, .length_m = 1500 };
	struct seg_segment nan_length = { .cls = SEG_FLAT, .length_m = NAN };
	int64_t run_in_second = monday + 3600000000LL;
	assert_true(report_weeks_add_segment(weeks, 2, run_in_second, &up));
	assert_true(report_weeks_add_segment(weeks, 2, run_in_second, &up));
	assert_true(report_weeks_add_segment(weeks, 2, monday - REPORT_WEEK_US, &flat));
	assert_false(report_weeks_add_segment(weeks, 2, monday + REPORT_WEEK_US, &flat));
	assert_false(report_weeks_add_segment(weeks, 2, run_in_second, &nan_length));
	assert_float_equal(weeks[1].class_m[SEG_UP], 800, 1e-9);
	assert_float_equal(weeks[0].class_m[SEG_FLAT], 1500, 1e-9);
	assert_float_equal(weeks[1].class_m[SEG_FLAT], 0, 1e-9);
}

/* Stride at matched pace: a segment lands in the band of its own pace,
 * weighted by its length; no stride, or a pace off the bands, is left
 * out. */
static void test_pace_bands(void **state)
{
	(void)state;
	struct report_pace_bands b;
	memset(&b, 0, sizeof(b));
	/* 5:10 min/km: 310 s/km, band (310 - 150) / 30 = 5, from 5:00 */
	struct seg_segment a = {
		.cls = SEG_DOWN, .length_m = 300, .speed_mps = 1000.0 / 310, .stride_m = 2.4
	};
	struct seg_segment c = {
		.cls = SEG_DOWN, .length_m = 100, .speed_mps = 1000.0 / 320, .stride_m = 2.0
	};
	struct seg_segment no_stride = {
		.cls = SEG_UP, .length_m = 100, .speed_mps = 3, .stride_m = NAN
	};
	struct seg_segment walking = {
		.cls = SEG_UP, .length_m = 100, .speed_mps = 1.0, .stride_m = 1.2
	};
	assert_true(report_pace_bands_add(&b, &a));
	assert_true(report_pace_bands_add(&b, &c));
	assert_false(report_pace_bands_add(&b, &no_stride));
	assert_false(report_pace_bands_add(&b, &walking));
	assert_int_equal(report_pace_band_low_s(5), 300);
	const struct report_stride_cell *x = &b.cell[5][SEG_DOWN];
	assert_float_equal(x->length_m, 400, 1e-9);
	assert_float_equal(x->stride_x_m / x->length_m, (2.4 * 300 + 2.0 * 100) / 400, 1e-9);
	assert_float_equal(b.cell[5][SEG_FLAT].length_m, 0, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_week_start),           cmocka_unit_test(test_week_labels),
		cmocka_unit_test(test_bucketing_and_totals), cmocka_unit_test(test_empty_week),
		cmocka_unit_test(test_class_distance),       cmocka_unit_test(test_pace_bands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
