/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Grade-adjusted pace: the pace on the flat of equal effort.
 *
 * The model: on climbs, Minetti et al. 2002's energy cost of running on a
 * gradient, Cr(i) = 155.4 i^5 - 30.4 i^4 - 43.3 i^3 + 46.3 i^2 + 19.5 i +
 * 3.6 J/kg/m, relative to the flat's 3.6. On descents Minetti's cost falls
 * to 0.6 of the flat at -10 % and lower, which heart-rate data from
 * millions of runs contradict: their flat-equivalent factor bottoms out
 * near 0.88 at -8..-10 % and is back above 1 (1.08) at -20 %, as braking
 * costs effort too. Descents here follow those figures: a parabola with
 * its minimum 0.88 at -9 %, through 1 on the flat and 1.08 at -20 %.
 * Grades beyond +-45 % (Minetti's range) count as +-45 %.
 *
 * GAP over a stretch is its time over its flat-equivalent distance (each
 * second's distance times the factor of its grade, the grade first
 * averaged over GAP_SMOOTH_S): a noisy grade then only reweights distance
 * and cannot turn 5:27 into 1:27. Pure.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define GAP_SMOOTH_S 30.0
#define GAP_GRADE_MAX_PCT 45.0

/* The flat-equivalent cost of a metre at grade_pct: 1 on the flat, 1.66
 * at +10 %, 0.88 at -9 %; NAN for NAN. */
double gap_cost_factor(double grade_pct);
/* Minetti 2002's cost relative to the flat, for comparison. */
double gap_minetti_factor(double grade_pct);

/* out[k]: mean of the finite grade_pct within window_s centred on t_us[k];
 * NAN where there is none. */
void gap_smooth_grade(const int64_t *t_us, const double *grade_pct, size_t n, double window_s,
		      double *out);

/* GAP in s/km over seconds a..b (indices, a < b < n) of a run: time from
 * t_us[a] to t_us[b] over the flat-equivalent distance covered between
 * them, with smoothed_grade_pct from gap_smooth_grade. NAN when no
 * distance was covered or a grade is unknown. */
double gap_s_per_km(const int64_t *t_us, const double *distance_m, const double *smoothed_grade_pct,
		    size_t a, size_t b);
