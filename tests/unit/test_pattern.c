// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pattern analysis on a small seeded cohort (the big sweep is the
 * cohort suite): recovered effects against the truth, verdicts, the
 * minimum-evidence rule. Prints the seed on failure.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include <cmocka.h>

#include "cohort.h"

#define SEED 4242
#define RUNNERS 40 /* per mechanism */

static struct cohort_runner runner;

static void test_too_few_reports_is_insufficient(void **state)
{
	(void)state;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, SEED);
	cohort_runner_make(rng, COHORT_NEURAL, 8, &runner);
	cohort_truncate(&runner, PATTERN_MIN_REPORTS - 1);
	struct pattern_result r;
	pattern_analyse(runner.reports, runner.n_reports, &r);
	assert_int_equal(r.verdict, PATTERN_INSUFFICIENT);
	assert_int_equal(r.need, PATTERN_NEED_RUNS);
	assert_true(r.needed_runs >= 1);
	gsl_rng_free(rng);
}

/* Runs of 10 min flat, 5 min down, 10 min flat, each with its painful span
 * on the descent: within runs, the spans show descents; nothing is said of
 * climbs, which the runs lack. */
static void test_spans_on_the_descent_show_within_runs(void **state)
{
	(void)state;
	enum { RUNS = 3 };
	static struct exp_run runs[RUNS];
	static struct exp_span_split split[RUNS];
	struct pattern_report rep[RUNS];
	for (int i = 0; i < RUNS; i++) {
		int64_t t0 = 1795000000000000LL + (int64_t)i * 86400000000LL;
		struct seg_segment s[3];
		memset(s, 0, sizeof(s));
		enum seg_class cls[3] = { SEG_FLAT, SEG_DOWN, SEG_FLAT };
		double dur[3] = { 600, 300, 600 }, at = 0;
		for (int k = 0; k < 3; k++) {
			s[k].cls = cls[k];
			s[k].start_us = t0 + (int64_t)(at * 1e6);
			s[k].end_us = s[k].start_us + (int64_t)(dur[k] * 1e6);
			s[k].duration_s = dur[k];
			s[k].length_m = 3 * dur[k];
			s[k].gap_s_per_km = NAN;
			s[k].stride_ratio = NAN;
			s[k].cadence_spm = NAN;
			at += dur[k];
		}
		exp_summarise_run(s, 3, t0, &runs[i]);
		struct exp_span span = { 620, 880 };
		exp_split_spans(s, 3, t0, &span, 1, &split[i]);
		rep[i] = (struct pattern_report){ &runs[i], 4, 4, &split[i], NAN, NAN, NAN };
	}
	struct pattern_result r;
	pattern_analyse(rep, RUNS, &r);
	printf("within runs: z descents %.2f over %zu runs\n", r.z_spans[PATTERN_DESCENTS],
	       r.n_span_runs[PATTERN_DESCENTS]);
	assert_int_equal(r.n_span_runs[PATTERN_DESCENTS], RUNS);
	assert_true(r.z_spans[PATTERN_DESCENTS] > 3);
	assert_int_equal(r.n_span_runs[PATTERN_CLIMBS], 0);
	assert_true(isnan(r.z_spans[PATTERN_CLIMBS]));
	/* Too few runs for a verdict whatever the spans say. */
	assert_int_equal(r.verdict, PATTERN_INSUFFICIENT);
}

/* Spans unrelated to the terrain (the cohort's load-driven and
 * no-mechanism runners) rarely pass the within-run test: the randomisation
 * keeps it near its nominal 2.5 % one-sided. */
static void test_spans_anywhere_rarely_pass(void **state)
{
	(void)state;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, SEED);
	unsigned tests = 0, passed = 0;
	for (unsigned k = 0; k < 2 * RUNNERS; k++) {
		cohort_runner_make(rng, k % 2 ? COHORT_LOAD : COHORT_NONE, 8, &runner);
		struct pattern_result r;
		pattern_analyse(runner.reports, runner.n_reports, &r);
		for (int d = 0; d < PATTERN_DIRECTIONS; d++) {
			if (!isfinite(r.z_spans[d]))
				continue;
			tests++;
			passed += r.z_spans[d] > 1.96;
		}
	}
	printf("spans anywhere: %u of %u within-run tests passed (seed %d)\n", passed, tests, SEED);
	assert_true(tests >= RUNNERS);
	assert_true(passed <= tests / 10);
	gsl_rng_free(rng);
}

/* The combined score against the day's sitting: a slope of half a point
 * per hour, recovered within its interval. */
static void test_context_slope(void **state)
{
	(void)state;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, SEED);
	cohort_runner_make(rng, COHORT_NONE, 8, &runner);
	for (size_t i = 0; i < runner.n_reports; i++) {
		double hours = gsl_ran_flat(rng, 2, 10);
		runner.reports[i].sitting_hours = hours;
		runner.reports[i].during = 1 + 0.5 * hours + gsl_ran_gaussian(rng, 0.5);
		runner.reports[i].after = runner.reports[i].during;
	}
	struct pattern_result r;
	pattern_analyse(runner.reports, runner.n_reports, &r);
	printf("sitting: %.2f (%.2f to %.2f) over %zu runs (seed %d)\n", r.sitting.effect,
	       r.sitting.low, r.sitting.high, r.sitting.n, SEED);
	assert_int_equal(r.sitting.n, runner.n_reports);
	assert_true(r.sitting.low <= 0.5 && 0.5 <= r.sitting.high);
	assert_float_equal(r.sitting.effect, 0.5, 0.15);
	assert_true(isnan(r.stiffness.effect));
	gsl_rng_free(rng);
}

/* Days without a run: the morning pain against the day's back stiffness
 * (0.4 points per point, noise 0.8) recovered within its interval, the
 * mean within its own, sitting unknown where it was never logged, and a
 * day without a score left out. */
static void test_rest_days(void **state)
{
	(void)state;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, SEED);
	struct pattern_day days[41];
	double sum = 0;
	for (size_t i = 0; i < 40; i++) {
		double stiff = (double)gsl_rng_uniform_int(rng, 9);
		days[i] = (struct pattern_day){ 1 + 0.4 * stiff + gsl_ran_gaussian(rng, 0.8), NAN,
						stiff };
		sum += days[i].pain;
	}
	days[40] = (struct pattern_day){ NAN, 8, 8 };
	struct pattern_rest r;
	pattern_rest_days(days, 41, &r);
	printf("rest days: stiffness %.2f (%.2f to %.2f), mean %.2f over %zu days (seed %d)\n",
	       r.stiffness.effect, r.stiffness.low, r.stiffness.high, r.pain.effect, r.n_days,
	       SEED);
	assert_int_equal(r.n_days, 40);
	assert_true(r.stiffness.low <= 0.4 && 0.4 <= r.stiffness.high);
	assert_float_equal(r.stiffness.effect, 0.4, 0.15);
	assert_float_equal(r.pain.effect, sum / 40, 1e-9);
	assert_true(r.pain.low < r.pain.effect && r.pain.effect < r.pain.high);
	assert_true(isnan(r.sitting.effect));
	pattern_rest_days(days, 2, &r); /* too few for any interval */
	assert_true(isnan(r.pain.low) && isnan(r.stiffness.effect));
	gsl_rng_free(rng);
}

/* One wording: every verdict's name leads back to it, and has words. */
static void test_verdict_names_and_words(void **state)
{
	(void)state;
	for (int v = PATTERN_INSUFFICIENT; v <= PATTERN_BOTH; v++) {
		enum pattern_verdict back = PATTERN_BOTH;
		assert_true(pattern_verdict_from_name(pattern_verdict_name(v), &back));
		assert_int_equal(back, v);
		assert_true(strlen(pattern_verdict_words(v)) > 20);
	}
	enum pattern_verdict untouched = PATTERN_LUMBAR;
	assert_false(pattern_verdict_from_name("tendon", &untouched));
	assert_int_equal(untouched, PATTERN_LUMBAR);
}

struct rates {
	unsigned right, terrain, covered, intervals;
};

static void run_mechanism(gsl_rng *rng, enum cohort_mechanism m, unsigned weeks, struct rates *t)
{
	*t = (struct rates){ 0 };
	for (unsigned k = 0; k < RUNNERS; k++) {
		cohort_runner_make(rng, m, weeks, &runner);
		struct pattern_result r;
		pattern_analyse(runner.reports, runner.n_reports, &r);
		t->right += r.verdict == cohort_expected(m);
		t->terrain += r.verdict >= PATTERN_NEURAL;
		for (int x = 0; x < PATTERN_EXPOSURES; x++) {
			const struct pattern_interval *iv = &r.effect[PATTERN_COMBINED][x];
			double truth =
				cohort_truth(&runner, PATTERN_COMBINED, (enum pattern_exposure)x);
			if (!isfinite(iv->low))
				continue;
			t->intervals++;
			t->covered += iv->low <= truth && truth <= iv->high;
		}
	}
}

/* Small-sample bounds, loose enough for 40 runners (binomial SD ~3-7 %),
 * tight enough to catch a broken estimator. */
static void test_cohort_verdicts_and_coverage(void **state)
{
	(void)state;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, SEED);
	for (int m = 0; m < COHORT_MECHANISMS; m++) {
		struct rates t;
		run_mechanism(rng, (enum cohort_mechanism)m, 16, &t);
		double right = (double)t.right / RUNNERS, terrain = (double)t.terrain / RUNNERS;
		double cover = (double)t.covered / t.intervals;
		printf("%-7s right %.0f %%, neural/lumbar %.0f %%, 95 %% coverage %.1f %% (seed %d)\n",
		       cohort_mechanism_name((enum cohort_mechanism)m), 100 * right, 100 * terrain,
		       100 * cover, SEED);
		if (m == COHORT_NEURAL || m == COHORT_LUMBAR)
			assert_true(right >= 0.80);
		else
			assert_true(terrain <= 0.10);
		assert_true(cover >= 0.88 && cover <= 0.99);
	}
	gsl_rng_free(rng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_too_few_reports_is_insufficient),
		cmocka_unit_test(test_spans_on_the_descent_show_within_runs),
		cmocka_unit_test(test_spans_anywhere_rarely_pass),
		cmocka_unit_test(test_context_slope),
		cmocka_unit_test(test_rest_days),
		cmocka_unit_test(test_verdict_names_and_words),
		cmocka_unit_test(test_cohort_verdicts_and_coverage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
