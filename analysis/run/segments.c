// SPDX-License-Identifier: GPL-2.0-or-later
#include "run/segments.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/gap.h"
#include "util/xalloc.h"

static const char *const class_names[SEG_CLASS_COUNT] = {
	[SEG_STEEP_DOWN] = "steep-down",
	[SEG_DOWN] = "down",
	[SEG_FLAT] = "flat",
	[SEG_UP] = "up",
	[SEG_STEEP_UP] = "steep-up",
	[SEG_UNKNOWN] = "unknown",
};

const char *seg_class_name(enum seg_class c)
{
	return (unsigned)c < SEG_CLASS_COUNT ? class_names[c] : "unknown";
}

bool seg_class_parse(const char *name, enum seg_class *out)
{
	for (unsigned c = 0; c < SEG_CLASS_COUNT; c++)
		if (name && strcmp(name, class_names[c]) == 0) {
			*out = (enum seg_class)c;
			return true;
		}
	return false;
}

enum seg_class seg_classify(double grade_pct, const struct seg_thresholds *t)
{
	if (!isfinite(grade_pct))
		return SEG_UNKNOWN;
	if (grade_pct <= -t->steep_pct)
		return SEG_STEEP_DOWN;
	if (grade_pct <= -t->flat_pct)
		return SEG_DOWN;
	if (grade_pct < t->flat_pct)
		return SEG_FLAT;
	if (grade_pct < t->steep_pct)
		return SEG_UP;
	return SEG_STEEP_UP;
}

/* ---- the runner's usual stride ---- */

static bool plausible_point(double speed_mps, double stride_m)
{
	return speed_mps > 1.0 && speed_mps < 10.0 && stride_m > 0.3 && stride_m < 5.0;
}

bool seg_stride_model_fit(const double *speed_mps, const double *stride_m, size_t n,
			  struct seg_stride_model *model)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		m += plausible_point(speed_mps[i], stride_m[i]);
	if (m < SEG_STRIDE_MODEL_MIN_POINTS)
		return false;
	gsl_matrix *X = gsl_matrix_alloc(m, 2);
	gsl_vector *y = gsl_vector_alloc(m), *c = gsl_vector_alloc(2);
	gsl_matrix *cov = gsl_matrix_alloc(2, 2);
	double *strides = xcalloc(m, sizeof(double));
	if (!X || !y || !c || !cov)
		xalloc_die();
	for (size_t i = 0, r = 0; i < n; i++) {
		if (!plausible_point(speed_mps[i], stride_m[i]))
			continue;
		gsl_matrix_set(X, r, 0, 1.0);
		gsl_matrix_set(X, r, 1, speed_mps[i]);
		gsl_vector_set(y, r, stride_m[i]);
		strides[r++] = stride_m[i];
	}
	gsl_vector_view speeds = gsl_matrix_column(X, 1);
	double spread = gsl_stats_sd(speeds.vector.data, speeds.vector.stride, m);
	struct seg_stride_model fit = { .valid = true, .points = m };
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	gsl_multifit_robust_workspace *w = NULL;
	if (spread >= 0.1)
		w = gsl_multifit_robust_alloc(gsl_multifit_robust_bisquare, m, 2);
	if (w && gsl_multifit_robust(X, y, c, cov, w) == 0) {
		fit.intercept_m = gsl_vector_get(c, 0);
		fit.slope_s = gsl_vector_get(c, 1);
	} else {
		gsl_sort(strides, 1, m);
		fit.intercept_m = gsl_stats_median_from_sorted_data(strides, 1, m);
		fit.slope_s = 0;
	}
	gsl_set_error_handler(old);
	if (w)
		gsl_multifit_robust_free(w);
	gsl_matrix_free(X);
	gsl_matrix_free(cov);
	gsl_vector_free(y);
	gsl_vector_free(c);
	free(strides);
	*model = fit;
	return true;
}

double seg_stride_model_at(const struct seg_stride_model *model, double speed_mps)
{
	if (!model || !model->valid || !isfinite(speed_mps))
		return NAN;
	double s = model->intercept_m + model->slope_s * speed_mps;
	return s > 0 ? s : NAN;
}

/* ---- cutting a run ---- */

/* A piece of seconds [a, b) of one class; b's time and distance end it. */
struct piece {
	size_t a, b;
	enum seg_class cls;
};

static double piece_end_distance(const struct seg_second *sec, size_t n, size_t b)
{
	return sec[b < n ? b : n - 1].distance_m;
}

static int64_t piece_end_us(const struct seg_second *sec, size_t n, size_t b)
{
	return b < n ? sec[b].t_us : sec[n - 1].t_us + 1000000;
}

static double piece_length_m(const struct seg_second *sec, size_t n, const struct piece *p)
{
	return piece_end_distance(sec, n, p->b) - sec[p->a].distance_m;
}

static double piece_duration_s(const struct seg_second *sec, size_t n, const struct piece *p)
{
	return (double)(piece_end_us(sec, n, p->b) - sec[p->a].t_us) / 1e6;
}

static double piece_grade_pct(const struct seg_second *sec, size_t n, const struct piece *p)
{
	size_t e = p->b < n ? p->b : n - 1;
	double len = piece_length_m(sec, n, p);
	return len > 0 ? 100 * (sec[e].altitude_m - sec[p->a].altitude_m) / len : NAN;
}

/* Each second's class, which moves to a neighbouring class only once the
 * grade is past the boundary by the hysteresis. */
static enum seg_class next_class(enum seg_class now, double g, const struct seg_thresholds *t)
{
	enum seg_class raw = seg_classify(g, t);
	if (raw == SEG_UNKNOWN || now == SEG_UNKNOWN || raw == now)
		return raw;
	enum seg_class past = raw > now ? seg_classify(g - t->hysteresis_pct, t)
					: seg_classify(g + t->hysteresis_pct, t);
	if (raw > now)
		return past > now ? past : now;
	return past < now ? past : now;
}

static size_t classify_pieces(const struct seg_second *sec, size_t n,
			      const struct seg_thresholds *t, struct piece *pieces)
{
	size_t np = 0;
	enum seg_class cls = SEG_UNKNOWN;
	for (size_t k = 0; k < n; k++) {
		cls = next_class(cls, sec[k].grade_pct, t);
		if (np && pieces[np - 1].cls == cls) {
			pieces[np - 1].b = k + 1;
			continue;
		}
		pieces[np++] = (struct piece){ k, k + 1, cls };
	}
	return np;
}

static bool piece_short(const struct seg_second *sec, size_t n, const struct piece *p,
			const struct seg_thresholds *t)
{
	return piece_length_m(sec, n, p) < t->min_length_m &&
	       piece_duration_s(sec, n, p) < t->min_duration_s;
}

/* Joins neighbours of one class: pieces[0..np) compacted, new count. */
static size_t coalesce(struct piece *pieces, size_t np)
{
	size_t m = 0;
	for (size_t i = 0; i < np; i++) {
		if (m && pieces[m - 1].cls == pieces[i].cls && pieces[m - 1].b == pieces[i].a)
			pieces[m - 1].b = pieces[i].b;
		else
			pieces[m++] = pieces[i];
	}
	return m;
}

/* The neighbour (-1 before, +1 after, 0 none) a short piece joins: the
 * known one whose class is nearest the piece's own mean grade. */
static int merge_side(const struct seg_second *sec, size_t n, const struct piece *pieces, size_t np,
		      size_t i, const struct seg_thresholds *t)
{
	bool before = i > 0 && pieces[i - 1].cls != SEG_UNKNOWN;
	bool after = i + 1 < np && pieces[i + 1].cls != SEG_UNKNOWN;
	if (!before || !after)
		return before ? -1 : after ? 1 : 0;
	enum seg_class own = seg_classify(piece_grade_pct(sec, n, &pieces[i]), t);
	if (own == SEG_UNKNOWN)
		own = pieces[i].cls;
	int db = abs((int)pieces[i - 1].cls - (int)own),
	    da = abs((int)pieces[i + 1].cls - (int)own);
	if (db != da)
		return db < da ? -1 : 1;
	return piece_length_m(sec, n, &pieces[i - 1]) >= piece_length_m(sec, n, &pieces[i + 1]) ? -1
												: 1;
}

/* Merges the shortest short known piece into a neighbour until none is
 * left that can be merged. */
static size_t merge_short(const struct seg_second *sec, size_t n, struct piece *pieces, size_t np,
			  const struct seg_thresholds *t)
{
	for (;;) {
		size_t best = np;
		int side = 0;
		for (size_t i = 0; i < np; i++) {
			if (pieces[i].cls == SEG_UNKNOWN || !piece_short(sec, n, &pieces[i], t))
				continue;
			int s = merge_side(sec, n, pieces, np, i, t);
			if (s && (best == np || piece_length_m(sec, n, &pieces[i]) <
							piece_length_m(sec, n, &pieces[best]))) {
				best = i;
				side = s;
			}
		}
		if (best == np)
			return np;
		pieces[best].cls = pieces[side < 0 ? best - 1 : best + 1].cls;
		np = coalesce(pieces, np);
	}
}

/* How far below a top (above a bottom) the ground still counts as the
 * top: a barometer's noise is some tenths of a metre, and the gain counts
 * no climb under the same 0.5 m (GRADE_GAIN_HYSTERESIS_M). */
#define TURN_LEVEL_M 0.5

/* 1 at a crest (a climb, then a descent), -1 in a trough, else 0. */
static int turn_direction(const struct piece *before, const struct piece *after)
{
	if (before->cls == SEG_UNKNOWN || after->cls == SEG_UNKNOWN)
		return 0;
	if (before->cls > SEG_FLAT && after->cls < SEG_FLAT)
		return 1;
	if (before->cls < SEG_FLAT && after->cls > SEG_FLAT)
		return -1;
	return 0;
}

/* The middle of the level top (bottom, dir -1) of seconds [a, b); SIZE_MAX
 * where none has an altitude. */
static size_t turn_second(const struct seg_second *sec, size_t a, size_t b, int dir)
{
	size_t top = SIZE_MAX;
	for (size_t k = a; k < b; k++)
		if (isfinite(sec[k].altitude_m) &&
		    (top == SIZE_MAX || dir * (sec[k].altitude_m - sec[top].altitude_m) > 0))
			top = k;
	if (top == SIZE_MAX)
		return SIZE_MAX;
	size_t lo = top, hi = top;
	while (lo > a && isfinite(sec[lo - 1].altitude_m) &&
	       dir * (sec[top].altitude_m - sec[lo - 1].altitude_m) <= TURN_LEVEL_M)
		lo--;
	while (hi + 1 < b && isfinite(sec[hi + 1].altitude_m) &&
	       dir * (sec[top].altitude_m - sec[hi + 1].altitude_m) <= TURN_LEVEL_M)
		hi++;
	return lo + (hi - lo + 1) / 2;
}

/*
 * Moves each boundary between a climb and a descent (a crest) or a descent
 * and a climb (a trough) to the top (bottom) between them: the middle of
 * the seconds around the highest (lowest) that lie within TURN_LEVEL_M of
 * it, so that a flat top is cut in its middle and not at the second its
 * noise made highest. The classes change where the grade, taken over some
 * tens of metres and past the hysteresis, crosses a threshold, after the
 * top; and a short piece at the top went whole to whichever slope was a
 * metre longer. Both put up to 70 m of a hill repeat's descent in its
 * climb, on the true profile or on the estimate as it fell.
 */
static void place_turns(const struct seg_second *sec, struct piece *pieces, size_t np)
{
	for (size_t i = 1; i < np; i++) {
		struct piece *before = &pieces[i - 1], *after = &pieces[i];
		int dir = turn_direction(before, after);
		/* each keeps a second at least */
		size_t cut = dir ? turn_second(sec, before->a + 1, after->b, dir) : SIZE_MAX;
		if (cut != SIZE_MAX)
			before->b = after->a = cut;
	}
}

static double mean_over(const struct seg_second *sec, size_t a, size_t b, size_t offset)
{
	double sum = 0;
	size_t count = 0;
	for (size_t k = a; k < b; k++) {
		double v = *(const double *)((const char *)&sec[k] + offset);
		if (isfinite(v))
			sum += v, count++;
	}
	return count ? sum / (double)count : NAN;
}

static void fill_segment(const struct seg_second *sec, size_t n, const struct piece *p,
			 const struct seg_stride_model *usual, struct seg_segment *out)
{
	size_t e = p->b < n ? p->b : n - 1;
	double len = piece_length_m(sec, n, p), dur = piece_duration_s(sec, n, p);
	struct seg_segment s = {
		.start_us = sec[p->a].t_us,
		.end_us = piece_end_us(sec, n, p->b),
		.cls = p->cls,
		.length_m = len,
		.duration_s = dur,
		.elevation_change_m = sec[e].altitude_m - sec[p->a].altitude_m,
		.speed_mps = dur > 0 ? len / dur : NAN,
		.cadence_spm = mean_over(sec, p->a, p->b, offsetof(struct seg_second, cadence_spm)),
		.stride_m = mean_over(sec, p->a, p->b, offsetof(struct seg_second, stride_m)),
		.heart_rate_bpm =
			mean_over(sec, p->a, p->b, offsetof(struct seg_second, heart_rate_bpm)),
		.gap_s_per_km = NAN,
	};
	s.grade_pct = len > 0 ? 100 * s.elevation_change_m / len : NAN;
	if (p->cls == SEG_UNKNOWN)
		s.elevation_change_m = s.grade_pct = NAN;
	s.stride_ratio = s.stride_m / seg_stride_model_at(usual, s.speed_mps);
	*out = s;
}

size_t seg_cut(const struct seg_second *sec, size_t n, const struct seg_thresholds *t,
	       const struct seg_stride_model *usual, struct seg_segment **out)
{
	*out = NULL;
	if (n < 2)
		return 0;
	struct piece *pieces = xcalloc(n, sizeof(*pieces));
	size_t np = classify_pieces(sec, n, t, pieces);
	np = merge_short(sec, n, pieces, np, t);
	place_turns(sec, pieces, np);
	/* GAP over each segment, from the grade averaged over GAP_SMOOTH_S. */
	int64_t *t_us = xcalloc(n, sizeof(*t_us));
	double *d = xcalloc(n, sizeof(*d)), *g = xcalloc(n, sizeof(*g));
	double *smoothed = xcalloc(n, sizeof(*smoothed));
	for (size_t k = 0; k < n; k++) {
		t_us[k] = sec[k].t_us;
		d[k] = sec[k].distance_m;
		g[k] = sec[k].grade_pct;
	}
	gap_smooth_grade(t_us, g, n, GAP_SMOOTH_S, smoothed);
	struct seg_segment *segs = xcalloc(np, sizeof(*segs));
	for (size_t i = 0; i < np; i++) {
		fill_segment(sec, n, &pieces[i], usual, &segs[i]);
		size_t e = pieces[i].b < n ? pieces[i].b : n - 1;
		if (e > pieces[i].a && pieces[i].cls != SEG_UNKNOWN)
			segs[i].gap_s_per_km = gap_s_per_km(t_us, d, smoothed, pieces[i].a, e);
	}
	free(pieces);
	free(t_us);
	free(d);
	free(g);
	free(smoothed);
	*out = segs;
	return np;
}
