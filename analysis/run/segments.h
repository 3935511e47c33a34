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
