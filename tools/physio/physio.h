/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The physiotherapist's report: one document of what the runner did, what
 * hurt and when, and what the data resemble, with the caveats. Data are
 * gathered from the store (physio_data.c) and laid out on pages
 * (physio_pages.c), drawn with cairo: a PDF for the physio, PNG pages for
 * the tests. The same data give the same bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/segments.h"
#include "store/store.h"

struct physio_options {
	int64_t from_us, to_us; /* runs starting in [from, to) */
	const char *side;       /* "left", "right" or NULL for both */
	const char *runner;     /* name on the cover, or NULL */
	const char *db_path;    /* named in the document */
};

/* One run as the report shows it; NAN where not measured. */
struct physio_run {
	int64_t id;
	int64_t start_us;
	double distance_m, duration_s, speed_mps, gap_s_per_km, stride_m, cadence_spm;
	double class_m[SEG_CLASS_COUNT]; /* distance per grade class */
	double class_s[SEG_CLASS_COUNT]; /* time per grade class */
	bool has_segments;
	bool load_flagged; /* longer than 110 % of the previous 30 days' longest */
	double load_ratio;
	double asymmetry_pct; /* left/right stride length, from two IMUs */
	/* Pain reported for the run (the report's side, or the worse side):
	 * 0-10, NAN when not reported. */
	double pain_during, pain_after, pain_morning;
};

/* A span of a run when it hurt, elapsed seconds from the run's start. */
struct physio_span {
	int64_t run_id;
	double from_s, to_s;
};

/* The elevation profile of a run with painful spans, one point a second. */
struct physio_profile {
	int64_t run_id;
	int64_t start_us;
	double *t_s, *elevation_m;
	size_t n;
};
#define PHYSIO_PROFILES_MAX 3

/* One segment's stride at its speed, for the stride chart. */
struct physio_stride_point {
	int64_t start_us;
	enum seg_class cls;
	double speed_mps, stride_m, stride_ratio, cadence_spm;
};

/* The pattern verdict of one side, in words, with its evidence lines. */
struct physio_verdict {
	char side[8];
	char verdict[16]; /* neural, lumbar, both, neither, insufficient */
	char summary[512];
	char evidence[18][256];
	size_t n_evidence;
	char needed[256];
	char load[256];
};

struct physio_data {
	struct physio_options options;
	struct physio_run *runs;
	size_t n_runs;
	struct physio_stride_point *points;
	size_t n_points;
	struct physio_span *spans;
	size_t n_spans;
	struct physio_profile profiles[PHYSIO_PROFILES_MAX]; /* the latest runs with spans */
	size_t n_profiles;
	struct physio_verdict verdicts[2];
	size_t n_verdicts;
	char red_flags[8][128]; /* red flags logged in the period */
	size_t n_red_flags;
	char caveats[6][320];
	size_t n_caveats;
	size_t n_pain_reports;
};

/* Reads everything the report shows; 0, or the store's negative errno
 * (store_error() says why). */
int physio_data_load(struct store *s, const struct physio_options *o, struct physio_data *d);
void physio_data_free(struct physio_data *d);
/* The pain log's part of it (physio_pain.c), once the runs are read. */
int physio_pain_load(struct store *s, struct physio_data *d);

/* The report as a PDF at path: 0 or a negative errno, *why saying what
 * failed. */
int physio_render_pdf(const struct physio_data *d, const char *path, char *why, size_t why_len);
/* Page page (1-based) as a PNG at scale points-to-pixels; -ERANGE past the
 * last page. For the tests and the README's pictures. */
int physio_render_png(const struct physio_data *d, unsigned page, double scale, const char *path,
		      char *why, size_t why_len);
/* How many pages the report of these data has. */
unsigned physio_page_count(const struct physio_data *d);
