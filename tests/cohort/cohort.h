/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A simulated cohort for the pattern analysis: runners with a hidden
 * mechanism (neural, lumbar, load-driven, none), eight weeks of runs on
 * five routes (flat, rolling, a long descent, climb repeats, a track) cut
 * into segments directly, and pain reported as people do: whole numbers,
 * forgotten days, noise that lasts a few days, a bad day now and then.
 * Tests only: the truth it hides is what the analysis is checked against.
 */
#pragma once

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>

#include "clinical/exposure.h"
#include "clinical/pattern.h"

enum cohort_mechanism {
	COHORT_NEURAL,
	COHORT_LUMBAR,
	COHORT_LOAD,
	COHORT_NONE,
	COHORT_MECHANISMS,
};

#define COHORT_MAX_RUNS 64
#define COHORT_MAX_SEGS 48

/* How a cohort differs from the base one, to check that the verdicts do
 * not depend on this simulator's own constants. */
struct cohort_variant {
	double effect_scale;      /* the true effects times this */
	double noise_scale;       /* the flare's and each score's noise times this */
	double span_rate;         /* chance a run hurting 3 or more gets a span */
	double span_on_grade;     /* chance a terrain mechanism's span is on its grade */
	double long_descent_rate; /* chance the week's long run is the long descent */
	bool load_by_distance;    /* load pain follows the length, not the 30-day jump */
	/* With load_by_distance: if above 1, the load pain is a step, on the
	 * runs longer than this times the runner's median only (as much as a
	 * linear one gives a run 50 % longer), which no linear exposure fits. */
	double load_step_ratio;
};
#define COHORT_BASE                               \
	{                                         \
		1.0, 1.0, 0.5, 0.8, 0.5, false, 0 \
	}
extern const struct cohort_variant cohort_base;

struct cohort_run {
	struct seg_segment segs[COHORT_MAX_SEGS];
	size_t n_segs;
	struct exp_run exp;
	int route;
};

struct cohort_runner {
	enum cohort_mechanism mechanism;
	const struct cohort_variant *variant;
	/* The true effects, in the pattern analysis's units, per outcome. */
	double beta[PATTERN_OUTCOMES][PATTERN_EXPOSURES];
	size_t n_runs;
	struct cohort_run runs[COHORT_MAX_RUNS];
	/* Reports (NAN for a forgotten score) and the span splits. */
	double during[COHORT_MAX_RUNS], after[COHORT_MAX_RUNS];
	struct exp_span_split split[COHORT_MAX_RUNS];
	int has_span[COHORT_MAX_RUNS];
	struct pattern_report reports[COHORT_MAX_RUNS];
	size_t n_reports;
};

const char *cohort_mechanism_name(enum cohort_mechanism m);

/* A runner over `weeks` weeks (at most 16), exposures related, reports
 * built (reports[] point into the runner, which must not move). */
void cohort_runner_make(gsl_rng *rng, enum cohort_mechanism m, unsigned weeks,
			struct cohort_runner *out);

void cohort_runner_make_variant(gsl_rng *rng, enum cohort_mechanism m, unsigned weeks,
				const struct cohort_variant *v, struct cohort_runner *out);

/* Keeps only the first n reports (a runner who has logged fewer). */
void cohort_truncate(struct cohort_runner *r, size_t n);

/* The true effect of x on outcome o (the combined score's is the mean of
 * during's and after's). */
double cohort_truth(const struct cohort_runner *r, enum pattern_outcome o, enum pattern_exposure x);

/* The verdict the mechanism should give. */
enum pattern_verdict cohort_expected(enum cohort_mechanism m);
