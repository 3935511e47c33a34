/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A run cut into pieces of one grade class: steep-down, down, flat, up,
 * steep-up, or unknown where the run had no altitude source. The pattern
 * analysis (analysis/clinical) reads runs through these segments: time,
 * distance, speed and stride on each class of ground. Pure: no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum seg_class {
	SEG_STEEP_DOWN, /* grade <= -steep */
	SEG_DOWN,       /* -steep < grade <= -flat */
	SEG_FLAT,       /* -flat < grade < +flat */
	SEG_UP,         /* +flat <= grade < +steep */
	SEG_STEEP_UP,   /* grade >= +steep */
	SEG_UNKNOWN,    /* no altitude source: never flat by default */
	SEG_CLASS_COUNT,
};

/* "steep-down", "down", "flat", "up", "steep-up", "unknown". */
const char *seg_class_name(enum seg_class c);
/* false (and *out untouched) for any other text. */
bool seg_class_parse(const char *name, enum seg_class *out);

/* The thresholds, from the config ([segments] in hamstrided.conf). */
struct seg_thresholds {
	double flat_pct;       /* 2: |grade| below it is flat */
	double steep_pct;      /* 6: |grade| from it is steep */
	double hysteresis_pct; /* a class changes only this far past a threshold */
	double min_length_m;   /* a segment shorter than both of these is */
	double min_duration_s; /* merged into its neighbour */
};
#define SEG_THRESHOLDS_DEFAULT             \
	{                                  \
		2.0, 6.0, 0.5, 100.0, 30.0 \
	}

/* The class of a grade, without hysteresis; SEG_UNKNOWN for NAN. */
enum seg_class seg_classify(double grade_pct, const struct seg_thresholds *t);

/* One segment; NAN where nothing measured it. */
struct seg_segment {
	int64_t start_us, end_us; /* UTC µs */
	enum seg_class cls;
	double length_m; /* horizontal */
	double duration_s;
	double elevation_change_m; /* up is positive */
	double grade_pct;          /* mean: elevation change over length */
	double speed_mps;
	double gap_s_per_km; /* grade-adjusted pace */
	double cadence_spm;  /* steps per minute */
	double stride_m;     /* a full stride: two steps */
	/* stride against the runner's own usual stride at the same speed on
	 * the flat, from earlier runs: 1.0 usual, 1.1 ten percent longer */
	double stride_ratio;
	double heart_rate_bpm;
};

/* One second of a run, as the segmenter reads it; NAN where not known. */
struct seg_second {
	int64_t t_us;
	double distance_m; /* horizontal, from the start; non-decreasing */
	double altitude_m; /* relative to the start; NAN: no altitude source */
	double grade_pct;  /* over GRADE_WINDOW_M (nav/grade.h) */
	double cadence_spm;
	double stride_m;
	double heart_rate_bpm;
};

/* The runner's usual full stride at a speed on the flat: intercept_m +
 * slope_s * speed_mps, from their earlier runs' flat segments. */
struct seg_stride_model {
	bool valid;
	double intercept_m, slope_s;
	size_t points;
};
/* Fewer flat segments than this, or none at a sensible speed and stride,
 * make no model (stride_ratio is then NAN). */
#define SEG_STRIDE_MODEL_MIN_POINTS 5
/* A robust (bisquare) regression of stride on speed over the points;
 * with a speed spread under 0.1 m/s, the median stride at any speed.
 * false (model untouched) with too few usable points. */
bool seg_stride_model_fit(const double *speed_mps, const double *stride_m, size_t n,
			  struct seg_stride_model *model);
/* The usual stride at speed_mps; NAN without a valid model. */
double seg_stride_model_at(const struct seg_stride_model *model, double speed_mps);

/* Cuts the n seconds into segments of one class: each second's class with
 * hysteresis (a class changes only once the grade is hysteresis_pct past
 * a threshold), pieces shorter than both minimums merged into the
 * neighbour nearest in grade (never into or out of unknown), then every
 * field of struct seg_segment. usual may be NULL. Returns how many
 * segments *out (allocated, to free()) holds: 0 for n < 2. */
size_t seg_cut(const struct seg_second *sec, size_t n, const struct seg_thresholds *t,
	       const struct seg_stride_model *usual, struct seg_segment **out);
