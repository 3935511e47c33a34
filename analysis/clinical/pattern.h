/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which clinical pattern one side's pain reports resemble, how strongly and
 * on how much evidence: neural (worse downhill with a longer stride, worse
 * faster, often worse after than during), referred from the lower back
 * (worse uphill than on the flat), both, neither, or not enough data to
 * say. Pain that tracks training load rather than terrain is told apart
 * and reported on its own. An association, never a diagnosis. Pure: no I/O.
 *
 * Method. Across runs, pain during and pain after are each regressed on
 * the exposures together (share of the run on descents, on climbs,
 * flat-equivalent speed against usual, stride on descents against usual,
 * the run against the longest of the previous 30 days), so that speed and
 * downhill, which go together, are told apart; the combined score, which
 * decides, leaves the stride on descents out (it is measured only on
 * descents, and held in the model it blurs climbing against descending). The fit is least squares
 * with heteroskedasticity- and autocorrelation-consistent errors (HC3
 * leverage correction, Newey-West lag-1 term for a flare that lasts a few
 * days) and Student t intervals on n - p degrees of freedom: small, whole-
 * number, autocorrelated N-of-1 series with a bad day now and then. The
 * verdict is decided on the combined score (during and after together),
 * with one one-sided test for descents and one for climbs: an effect
 * counts only if its 95 % interval lies above zero (each test at 2.5 %, so
 * 5 % for the two together).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "clinical/exposure.h"

enum pattern_verdict {
	PATTERN_INSUFFICIENT,
	PATTERN_NEITHER,
	PATTERN_NEURAL,
	PATTERN_LUMBAR,
	PATTERN_BOTH,
};

/* The regression's exposures, each in a unit that reads in words. */
enum pattern_exposure {
	PATTERN_DOWNHILL,   /* per quarter of the run's time on descents */
	PATTERN_UPHILL,     /* per quarter of the run's time on climbs */
	PATTERN_SPEED,      /* per 10 % faster than usual, flat-equivalent */
	PATTERN_OVERSTRIDE, /* per 5 % longer stride on descents than usual */
	PATTERN_LOAD,       /* per 25 % longer than the longest of 30 days */
	/* Per 25 % longer than the runner's median run: pain that grows with
	 * the run's length would otherwise be read as terrain on routes
	 * whose long runs are hilly (a long descent on the week's long run). */
	PATTERN_LENGTH,
	PATTERN_EXPOSURES,
};

enum pattern_outcome {
	PATTERN_DURING,
	PATTERN_AFTER,
	/* The mean of a run's during and after scores (whichever were given):
	 * the outcome the verdict is decided on, one test per grade. */
	PATTERN_COMBINED,
	PATTERN_OUTCOMES,
};

/* Within-run evidence needs at least this many runs whose spans could
 * show it (runs with some of the grade and a span). */
#define PATTERN_MIN_SPAN_RUNS 1

/* No verdict on fewer reported runs than this, of which at least
 * PATTERN_MIN_HILLY with meaningful descents or climbs: the cohort power
 * analysis (tests/cohort/) found fewer too often wrong. */
#define PATTERN_MIN_REPORTS 12
#define PATTERN_MIN_HILLY 6
/* A run with at least this share of its time on descents or on climbs. */
#define PATTERN_HILLY_SHARE 0.10
/* An effect this large per unit (2 points for half the run on the grade:
 * a change patients call meaningful, Farrar 2001) is "meaningful"; a
 * "neither" verdict needs every terrain interval below it. */
#define PATTERN_MEANINGFUL_PER_UNIT 1.0

/* An estimate with its 95 % interval over n runs; NAN where not estimated. */
struct pattern_interval {
	double effect, low, high;
	size_t n;
	/* The estimate over its standard error as the standard normal
	 * deviate with the same one-sided p-value (t on its degrees of
	 * freedom turned into z), so that tests can be combined; NAN. */
	double z;
	bool shown; /* decides the verdict: above zero at the decision level */
};

/* The two terrain questions the verdict answers. */
enum pattern_direction {
	PATTERN_DESCENTS, /* neural: worse with descents */
	PATTERN_CLIMBS,   /* lumbar: worse on climbs than on the flat */
	PATTERN_DIRECTIONS,
};

/* One direction's evidence: across runs, the combined score's slope on the
 * grade with the other exposures held; within runs, the painful spans'
 * excess time on the grade. Independent pieces of evidence (one compares
 * runs, the other parts of the same run), combined as Stouffer's z. */
struct pattern_test {
	double z_across, z_within; /* NAN where not available */
	double z, p;               /* together, and its one-sided p-value */
	bool shown;                /* p below the decision level */
};

/* One reported run of this side. */
struct pattern_report {
	const struct exp_run *run;
	double during, after; /* 0..10; NAN if not reported */
	/* The time on each class in the spans when it hurt; NULL if none given. */
	const struct exp_span_split *spans;
	/* The next morning's score, and the day's context: hours sitting and
	 * back stiffness 0..10 (the run's day, else the day before); NAN if
	 * not logged. Shown as evidence; they do not decide the verdict. */
	double next_morning, sitting_hours, back_stiffness;
};

enum pattern_need {
	PATTERN_NEED_NOTHING,
	PATTERN_NEED_RUNS,     /* any reported runs */
	PATTERN_NEED_HILLY,    /* runs with a long descent or climbs */
	PATTERN_NEED_DESCENTS, /* runs with a long descent */
	PATTERN_NEED_CLIMBS,
};

struct pattern_result {
	enum pattern_verdict verdict;
	size_t n_reports; /* reported runs with exposures */
	size_t n_hilly;
	bool fitted[PATTERN_OUTCOMES];
	struct pattern_interval effect[PATTERN_OUTCOMES][PATTERN_EXPOSURES];
	/* Pain after minus pain during, paired over reports with both; the
	 * next morning minus during the same way (the neural pattern is often
	 * worse after the run; the pain-monitoring model reads a next morning
	 * worse than the run as "too much"). */
	struct pattern_interval after_minus_during, morning_minus_during;
	/* Reported runs whose next morning was worse than during the run. */
	size_t n_morning, n_morning_worse;
	/* The day's context against the combined score: points per hour of
	 * sitting, per point of back stiffness (simple regressions; both go
	 * with pain referred from the lower back). */
	struct pattern_interval sitting, stiffness;
	/* Within runs: share of the painful spans' time on descents (climbs)
	 * minus that share in the rest of the run, over runs with spans. */
	struct pattern_interval span_descent, span_climb;
	/* Within runs, the spans against the same spans at random moments
	 * (descents, climbs): z and the runs that could show it. */
	double z_spans[PATTERN_DIRECTIONS];
	size_t n_span_runs[PATTERN_DIRECTIONS];
	/* The tests the verdict is decided on. */
	struct pattern_test test[PATTERN_DIRECTIONS];
	/* Pain rises with load (shown at the same level as terrain). */
	bool load;
	/* What would settle an insufficient verdict. */
	enum pattern_need need;
	unsigned needed_runs;
};

/*
 * Pain on a day without a run (the morning score, else the day's highest):
 * with the day's context it speaks to the lower-back pattern (long sitting
 * and back stiffness go with it), but it has no terrain, so it is shown
 * beside the verdict and never decides one.
 */
struct pattern_day {
	double pain;                          /* 0..10; NAN if none */
	double sitting_hours, back_stiffness; /* NAN if not logged */
};

struct pattern_rest {
	size_t n_days; /* days with a score */
	/* The days' mean pain (Student t interval), and its simple slopes on
	 * hours sitting and on back stiffness over the days with them. */
	struct pattern_interval pain, sitting, stiffness;
};

void pattern_rest_days(const struct pattern_day *days, size_t n, struct pattern_rest *out);

/* The regression's value of exposure x for one run (units as above). */
double pattern_covariate(const struct exp_run *run, enum pattern_exposure x);

void pattern_analyse(const struct pattern_report *reports, size_t n, struct pattern_result *out);

const char *pattern_verdict_name(enum pattern_verdict v); /* "neural", ... */
/* The verdict by its name; false (and *v untouched) for another word. */
bool pattern_verdict_from_name(const char *name, enum pattern_verdict *v);
/* What the verdict says of the pain, one sentence without its subject:
 * "resembles the neural pattern: worse with descents", ... The one wording
 * of the verdicts, for the text, the JSON and the physio report. */
const char *pattern_verdict_words(enum pattern_verdict v);
const char *pattern_exposure_name(enum pattern_exposure x); /* "downhill", ... */
/* "points per quarter of the run on descents", ... */
const char *pattern_exposure_unit(enum pattern_exposure x);
const char *pattern_outcome_name(enum pattern_outcome o); /* "during", "after" */
/* "two or three more reported runs with a long descent"-style text. */
const char *pattern_need_text(enum pattern_need need, unsigned runs, char *buf, size_t size);
/* The caveats every verdict carries; *n set to how many. */
const char *const *pattern_caveats(size_t *n);
