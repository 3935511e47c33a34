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
		cmocka_unit_test(test_cohort_verdicts_and_coverage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
