// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Grade classes and the segments table: the class boundaries as the
 * issue states them, names both ways, and a run's segments stored,
 * replaced and read back.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "run/segments.h"
#include "store/segments.h"
#include "store/store.h"
#include "test_files.h"

#define T0 1795000000000000LL
#define S_US 1000000LL

static void test_classify_boundaries(void **state)
{
	(void)state;
	const struct seg_thresholds t = SEG_THRESHOLDS_DEFAULT;
	static const struct {
		double grade;
		enum seg_class cls;
	} cases[] = {
		{ -12.0, SEG_STEEP_DOWN }, { -6.0, SEG_STEEP_DOWN }, { -5.99, SEG_DOWN },
		{ -2.0, SEG_DOWN },        { -1.99, SEG_FLAT },      { 0.0, SEG_FLAT },
		{ 1.99, SEG_FLAT },        { 2.0, SEG_UP },          { 5.99, SEG_UP },
		{ 6.0, SEG_STEEP_UP },     { 30.0, SEG_STEEP_UP },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (seg_classify(cases[i].grade, &t) != cases[i].cls)
			fail_msg("grade %.2f %% classed %s, expected %s", cases[i].grade,
				 seg_class_name(seg_classify(cases[i].grade, &t)),
				 seg_class_name(cases[i].cls));
	}
	assert_int_equal(seg_classify(NAN, &t), SEG_UNKNOWN);
	assert_int_equal(seg_classify(INFINITY, &t), SEG_UNKNOWN);
}

static void test_class_names(void **state)
{
	(void)state;
	for (unsigned c = 0; c < SEG_CLASS_COUNT; c++) {
		enum seg_class back = SEG_CLASS_COUNT;
		assert_true(seg_class_parse(seg_class_name((enum seg_class)c), &back));
		assert_int_equal(back, c);
	}
	enum seg_class untouched = SEG_FLAT;
	assert_false(seg_class_parse("downhill", &untouched));
	assert_false(seg_class_parse(NULL, &untouched));
	assert_int_equal(untouched, SEG_FLAT);
	assert_string_equal(seg_class_name(SEG_CLASS_COUNT), "unknown");
}

struct collected {
	struct seg_segment segs[8];
	size_t n;
};

static int collect(void *user, int64_t run_id, const struct seg_segment *seg)
{
	(void)run_id;
	struct collected *c = user;
	if (c->n < 8)
		c->segs[c->n++] = *seg;
	return 0;
}

static struct seg_segment segment(int64_t start_s, int64_t end_s, enum seg_class cls,
				  double grade_pct)
{
	return (struct seg_segment){
		.start_us = T0 + start_s * S_US,
		.end_us = T0 + end_s * S_US,
		.cls = cls,
		.length_m = 3.0 * (double)(end_s - start_s),
		.duration_s = (double)(end_s - start_s),
		.elevation_change_m = grade_pct / 100 * 3.0 * (double)(end_s - start_s),
		.grade_pct = grade_pct,
		.speed_mps = 3.0,
		.gap_s_per_km = 333.3,
		.cadence_spm = 170,
		.stride_m = 2.1,
		.stride_ratio = NAN,
		.heart_rate_bpm = NAN,
	};
}

static void test_store_replace_and_read(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_segments.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/h.db", dir);
	struct store *s;
	char why[256];
	assert_int_equal(store_open(path, STORE_READ_WRITE, &s, why, sizeof(why)), 0);
	int64_t run;
	assert_int_equal(store_run_begin(s, T0, "test", &run), 0);

	struct collected c = { 0 };
	size_t count = 99;
	assert_int_equal(store_foreach_segment(s, run, collect, &c, &count), 0);
	assert_int_equal(count, 0);

	struct seg_segment first[3] = { segment(0, 60, SEG_FLAT, 0.5),
					segment(60, 200, SEG_STEEP_UP, 7.5),
					segment(200, 300, SEG_DOWN, -3.0) };
	assert_int_equal(store_segments_replace(s, run, first, 3), 0);
	struct seg_segment second[2] = { segment(0, 150, SEG_UNKNOWN, NAN),
					 segment(150, 300, SEG_STEEP_DOWN, -8.0) };
	assert_int_equal(store_segments_replace(s, run, second, 2), 0);
	assert_int_equal(store_flush(s), 0);

	assert_int_equal(store_foreach_segment(s, run, collect, &c, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.segs[0].cls, SEG_UNKNOWN);
	assert_true(isnan(c.segs[0].grade_pct));
	assert_true(isnan(c.segs[0].stride_ratio));
	assert_int_equal(c.segs[1].cls, SEG_STEEP_DOWN);
	assert_int_equal(c.segs[1].start_us, T0 + 150 * S_US);
	assert_float_equal(c.segs[1].grade_pct, -8.0, 1e-12);
	assert_float_equal(c.segs[1].length_m, 450.0, 1e-12);

	assert_int_equal(store_run_set_terrain(s, run, 12.5, 11.0, 301.5), 0);
	assert_int_equal(store_run_set_terrain(s, run + 1, 1, 1, 301.5), -ENOENT);
	struct store_run back;
	assert_int_equal(store_get_run(s, run, &back), 0);
	assert_float_equal(back.gap_s_per_km, 301.5, 1e-12);
	assert_float_equal(back.elevation_gain_m, 12.5, 1e-12);
	assert_float_equal(back.elevation_loss_m, 11.0, 1e-12);
	/* a second the run has no sample of is skipped, not an error */
	int64_t t = T0;
	double one = 1.0;
	assert_int_equal(store_samples_set_terrain(s, run, 1, &t, &one, &one, &one), 0);
	store_close(s);
	test_remove_database(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_boundaries),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_store_replace_and_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
