/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exposures: what a run (or a span of it) put the runner through, read
 * from its segments: time and distance on each grade class, speed and
 * stride against the runner's own usual, cadence, and the training load
 * (the run against the longest of the previous 30 days, the week's
 * distance). The pattern analysis relates pain reports to these. Pure: no
 * I/O, no clock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/segments.h"

/* One run's exposures; NAN where nothing measured it. */
struct exp_run {
	int64_t start_us;
	double duration_s;
	double distance_m;
	double class_time_s[SEG_CLASS_COUNT];
	double class_distance_m[SEG_CLASS_COUNT];
	/* Shares of the time whose grade is known (0..1); NAN if none is. */
	double down_share; /* down and steep-down */
	double up_share;   /* up and steep-up */
	double speed_mps;  /* distance over time */
	/* Flat-equivalent speed from the grade-adjusted pace, so that running
	 * faster downhill is not counted as running faster. */
	double flat_speed_mps;
	double cadence_spm;
	/* Time-weighted stride_ratio of the segments of each class. */
	double stride_ratio[SEG_CLASS_COUNT];
	/* Filled by exp_relate_runs from the runner's other runs: */
	double speed_ratio;     /* flat_speed against the runner's usual; 1 usual */
	double overstride_pct;  /* descents' stride against the usual stride on
				* descents, percent longer; 0 with no descent */
	double load_ratio;      /* distance against the longest of the previous
				* 30 days; NAN without one */
	double week_distance_m; /* this run and those of the 7 days before */
	double length_ratio;    /* distance against the runner's median run */
};

/* A run's exposures from its segments (in time order). */
void exp_summarise_run(const struct seg_segment *segs, size_t n, int64_t start_us,
		       struct exp_run *out);

/* Fills what needs the runner's other runs (runs[] in order of start):
 * the usual flat speed and the usual stride on descents are the medians
 * over these runs. */
void exp_relate_runs(struct exp_run *runs, size_t n);

/* A span of a run when it hurt: elapsed seconds from the run's start. */
struct exp_span {
	double from_s, to_s;
};

/* Offsets at which a span's null distribution is sampled. */
#define EXP_NULL_SHIFTS 100

/* Time on each class inside the spans and in the rest of the run. */
struct exp_span_split {
	double span_time_s[SEG_CLASS_COUNT];
	double rest_time_s[SEG_CLASS_COUNT];
	/* The spans' share of their known-grade time on descents (climbs):
	 * as reported, and its mean and variance had the same spans come at
	 * any moment of the run (shifted together around the run's time, the
	 * randomisation a pain unrelated to the terrain would give). NAN
	 * where the spans cover no known grade. */
	double share[2], null_mean[2], null_var[2]; /* [0] descents, [1] climbs */
	/* The share at each of EXP_NULL_SHIFTS evenly spaced shifts (NAN
	 * where the shifted spans cover no known grade): the whole null
	 * distribution, for an exact randomisation test over runs. */
	double null_share[2][EXP_NULL_SHIFTS];
};

/* Splits the run's time on each class into the spans (overlaps counted
 * once) and the rest. Segments are taken as uniform inside. */
void exp_split_spans(const struct seg_segment *segs, size_t n, int64_t start_us,
		     const struct exp_span *spans, size_t n_spans, struct exp_span_split *out);

/* Share of the known-grade time in spans that was on descents (or climbs);
 * NAN if the spans cover no known grade. */
double exp_span_share(const double time_s[SEG_CLASS_COUNT], bool descents);
