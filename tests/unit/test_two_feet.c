// SPDX-License-Identifier: GPL-2.0-or-later
/* Two feet, one ground: synthetic strides of both feet over a known
 * hilly course, each foot's height carrying a drift of its own, through
 * two_feet_correct; and the strides it must leave alone. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nav/two_feet.h"

/* ---- a course and a runner on it ---- */

/* Rolling hills (±3 m over 200 m) on a 2 % climb. */
static double ground_m(double x_m)
{
	return 3.0 * sin(2 * M_PI * x_m / 200.0) + 0.02 * x_m;
}

static uint64_t rng_next(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static double gauss(uint64_t *state)
{
	double u1 = ((double)(rng_next(state) >> 11) + 0.5) / 9007199254740992.0;
	double u2 = (double)(rng_next(state) >> 11) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

struct course {
	uint64_t seed, rng;
	double drift[2];        /* height per metre, left and right */
	double length_scale[2]; /* each foot's stride length error */
	double noise_m;         /* per-stride height noise SD */
	double step_m, step_s;  /* mean true step: one landing to the next */
	/* state: the last landing of each foot, and of either */
	double x_m[2], last_x_m;
	int64_t t_us[2], last_t_us;
	unsigned k; /* strides made */
};

static void course_init(struct course *c, uint64_t seed, double drift_l, double drift_r)
{
	memset(c, 0, sizeof(*c));
	c->seed = c->rng = seed;
	c->drift[0] = drift_l;
	c->drift[1] = drift_r;
	c->length_scale[0] = c->length_scale[1] = 1.0;
	c->noise_m = 0.003;
	c->step_m = 1.25;
	c->step_s = 0.36;
	/* The right foot's first landing, then the left's. */
	c->x_m[1] = c->last_x_m = 0;
	c->t_us[1] = c->last_t_us = 1000000;
}

/* The next landing: steps alternate between the feet, each a little
 * longer or shorter than the mean. Returns that foot's stride (from its
 * previous landing) in end-time order; its true height change in
 * *true_dh_m. The left foot's first stride starts from where the right
 * landed. */
static struct ins_stride course_next(struct course *c, double *true_dh_m)
{
	int f = (int)(c->k++ % 2) ? 1 : 0;
	if (c->k == 1) {
		c->x_m[0] = c->last_x_m - c->step_m;
		c->t_us[0] = c->last_t_us - (int64_t)(c->step_s * 1e6);
	}
	double x1 = c->last_x_m + c->step_m * (1 + 0.04 * gauss(&c->rng));
	int64_t t1 = c->last_t_us + (int64_t)(c->step_s * 1e6 * (1 + 0.03 * gauss(&c->rng)));
	double len = x1 - c->x_m[f];
	int64_t dur = t1 - c->t_us[f];
	*true_dh_m = ground_m(x1) - ground_m(c->x_m[f]);
	struct ins_stride s = {
		.foot = f ? IMU_FOOT_RIGHT : IMU_FOOT_LEFT,
		.valid = true,
		.start_us = c->t_us[f],
		.end_us = t1,
		.duration_us = dur,
		.stance_us = dur / 4,
		.length_m = len * c->length_scale[f],
		.height_change_m = *true_dh_m + c->drift[f] * len + c->noise_m * gauss(&c->rng),
		.clearance_m = 0.15,
	};
	s.speed_mps = s.length_m / (dur * 1e-6);
	c->x_m[f] = c->last_x_m = x1;
	c->t_us[f] = c->last_t_us = t1;
	return s;
}

/* RMS per-stride height error over strides [skip, n), without and with
 * the correction. */
struct outcome {
	double rms_before_m, rms_after_m, drift;
};

static struct outcome run_course(struct course *c, unsigned n, unsigned skip)
{
	struct two_feet tf;
	two_feet_init(&tf);
	double before = 0, after = 0;
	for (unsigned i = 0; i < n; i++) {
		double truth;
		struct ins_stride s = course_next(c, &truth);
		double raw = s.height_change_m;
		two_feet_correct(&tf, &s);
		if (i < skip)
			continue;
		before += (raw - truth) * (raw - truth);
		after += (s.height_change_m - truth) * (s.height_change_m - truth);
	}
	return (struct outcome){ sqrt(before / (n - skip)), sqrt(after / (n - skip)),
				 two_feet_drift(&tf) };
}

/* Field by field: padding bytes are no part of a stride. */
static void assert_same_stride(const struct ins_stride *a, const struct ins_stride *b)
{
	assert_int_equal(a->foot, b->foot);
	assert_int_equal(a->valid, b->valid);
	assert_int_equal(a->gap, b->gap);
	assert_int_equal(a->start_us, b->start_us);
	assert_int_equal(a->end_us, b->end_us);
	assert_int_equal(a->duration_us, b->duration_us);
	assert_int_equal(a->stance_us, b->stance_us);
	assert_true(a->length_m == b->length_m);
	assert_true(a->speed_mps == b->speed_mps);
	assert_true(a->height_change_m == b->height_change_m);
	assert_true(a->clearance_m == b->clearance_m);
	assert_memory_equal(a->pos_m, b->pos_m, sizeof(a->pos_m));
}

/* ---- tests ---- */

/* Drifts of opposite sign (+6 and -4 mm per metre): 1.5 and 1.0 cm per
 * stride. What the correction leaves is the common part (+1 mm/m, 0.25
 * cm a stride) and the noise (0.3 cm): 0.6 cm is a generous bound, and
 * the uncorrected strides are far over it. The fit follows the last ten
 * strides or so, so its value at any one time scatters by about 1 mm/m. */
static void test_opposite_drifts_come_out(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct course c;
		course_init(&c, seed * 7919, 0.006, -0.004);
		struct outcome o = run_course(&c, 1000, 40);
		if (!(o.rms_after_m <= 0.006 && o.rms_before_m >= 0.010 &&
		      fabs(o.drift - 0.010) <= 0.003))
			fail_msg(
				"seed %llu: RMS %.2f cm before, %.2f cm after (want <= 0.6), drift "
				"difference %.4f (true 0.0100)",
				(unsigned long long)c.seed, 100 * o.rms_before_m,
				100 * o.rms_after_m, o.drift);
	}
}

/* The same drift in both feet is invisible from their difference: the
 * correction must not invent one. */
static void test_common_drift_is_left(void **state)
{
	(void)state;
	struct course c;
	course_init(&c, 4242, 0.005, 0.005);
	struct outcome o = run_course(&c, 600, 40);
	assert_true(fabs(o.drift) < 0.001);
	assert_true(fabs(o.rms_after_m - o.rms_before_m) < 0.001);
}

/* Left strides measured 1 % long: after 2000 strides the feet's own
 * distances are 25 m apart, the comparison by time still sees the same
 * ground. */
static void test_stride_length_scale_difference(void **state)
{
	(void)state;
	struct course c;
	course_init(&c, 99, 0.004, -0.004);
	c.length_scale[0] = 1.01;
	struct outcome o = run_course(&c, 4000, 40);
	if (!(o.rms_after_m <= 0.006 && fabs(o.drift - 0.008) <= 0.003))
		fail_msg("seed %llu: RMS %.2f cm after, drift difference %.4f (true 0.0080)",
			 (unsigned long long)c.seed, 100 * o.rms_after_m, o.drift);
}

/* One foot alone: nothing to compare, every stride exactly as it came. */
static void test_one_foot_unchanged(void **state)
{
	(void)state;
	struct course c;
	course_init(&c, 7, 0.006, -0.004);
	struct two_feet tf;
	two_feet_init(&tf);
	for (unsigned i = 0; i < 400; i++) {
		double truth;
		struct ins_stride s = course_next(&c, &truth);
		if (s.foot != IMU_FOOT_LEFT)
			continue;
		struct ins_stride before = s;
		assert_true(two_feet_correct(&tf, &s) == 0);
		assert_same_stride(&s, &before);
	}
	assert_true(two_feet_drift(&tf) == 0);
}

/* The correction changes the height change and nothing else; a stride of
 * an unknown foot not even that. */
static void test_other_fields_untouched(void **state)
{
	(void)state;
	struct course c;
	course_init(&c, 11, 0.006, -0.004);
	struct two_feet tf;
	two_feet_init(&tf);
	for (unsigned i = 0; i < 300; i++) {
		double truth;
		struct ins_stride s = course_next(&c, &truth), before = s;
		double added = two_feet_correct(&tf, &s);
		assert_true(s.height_change_m == before.height_change_m + added);
		s.height_change_m = before.height_change_m;
		assert_same_stride(&s, &before);
	}
	assert_true(two_feet_drift(&tf) > 0.005);
	struct ins_stride unknown = { .foot = IMU_FOOT_UNKNOWN,
				      .valid = true,
				      .end_us = 1,
				      .length_m = 2,
				      .height_change_m = 0.1 };
	struct ins_stride copy = unknown;
	assert_true(two_feet_correct(&tf, &unknown) == 0);
	assert_same_stride(&unknown, &copy);
}

/* A restart: that stride is left alone and what was learnt forgotten (a
 * restarted navigation has errors of its own); it is learnt again. */
static void test_restart_forgets(void **state)
{
	(void)state;
	struct course c;
	course_init(&c, 13, 0.006, -0.004);
	struct two_feet tf;
	two_feet_init(&tf);
	double truth;
	for (unsigned i = 0; i < 200; i++) {
		struct ins_stride s = course_next(&c, &truth);
		two_feet_correct(&tf, &s);
	}
	assert_true(fabs(two_feet_drift(&tf) - 0.010) < 0.003);
	struct ins_stride s = course_next(&c, &truth), before;
	s.valid = false;
	s.height_change_m += 0.8; /* what a restart leaves in it */
	before = s;
	assert_true(two_feet_correct(&tf, &s) == 0);
	assert_same_stride(&s, &before);
	assert_true(two_feet_drift(&tf) == 0);
	for (unsigned i = 0; i < 200; i++) {
		s = course_next(&c, &truth);
		two_feet_correct(&tf, &s);
	}
	assert_true(fabs(two_feet_drift(&tf) - 0.010) < 0.003);
}

/* A stride with lost samples: corrected like any other, but its height
 * (off by 30 cm here) must not pull the fit. */
static void test_gap_stride_kept_out_of_the_fit(void **state)
{
	(void)state;
	struct course c;
	course_init(&c, 17, 0.006, -0.004);
	struct two_feet tf;
	two_feet_init(&tf);
	double truth;
	for (unsigned i = 0; i < 600; i++) {
		struct ins_stride s = course_next(&c, &truth);
		if (i % 50 == 25) {
			s.gap = true;
			s.height_change_m += 0.3;
			double drift = two_feet_drift(&tf);
			double added = two_feet_correct(&tf, &s);
			assert_true(fabs(added - (s.foot == IMU_FOOT_LEFT ? -0.5 : 0.5) * drift *
							 s.length_m) < 1e-12);
			assert_true(two_feet_drift(&tf) == drift);
			continue;
		}
		two_feet_correct(&tf, &s);
		if (i > 100)
			assert_true(fabs(two_feet_drift(&tf) - 0.010) < 0.003);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opposite_drifts_come_out),
		cmocka_unit_test(test_common_drift_is_left),
		cmocka_unit_test(test_stride_length_scale_difference),
		cmocka_unit_test(test_one_foot_unchanged),
		cmocka_unit_test(test_other_fields_untouched),
		cmocka_unit_test(test_restart_forgets),
		cmocka_unit_test(test_gap_stride_kept_out_of_the_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
