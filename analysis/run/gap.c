// SPDX-License-Identifier: GPL-2.0-or-later
#include "run/gap.h"

#include <math.h>

#define FLAT_COST_J_KG_M 3.6
/* Descents: f(g) = DESCENT_MIN + a (g - DESCENT_MIN_AT)^2, with a chosen
 * on each side of the minimum so that f(0) = 1 and f(-20 %) = 1.08. */
#define DESCENT_MIN 0.88
#define DESCENT_MIN_AT_PCT (-9.0)
#define DESCENT_STEEP_AT_PCT (-20.0)
#define DESCENT_STEEP 1.08

double gap_minetti_factor(double grade_pct)
{
	double i = fmax(-GAP_GRADE_MAX_PCT, fmin(GAP_GRADE_MAX_PCT, grade_pct)) / 100;
	double cr = ((((155.4 * i - 30.4) * i - 43.3) * i + 46.3) * i + 19.5) * i + 3.6;
	return cr / FLAT_COST_J_KG_M;
}

double gap_cost_factor(double grade_pct)
{
	if (isnan(grade_pct))
		return NAN;
	double g = fmax(-GAP_GRADE_MAX_PCT, fmin(GAP_GRADE_MAX_PCT, grade_pct));
	if (g >= 0)
		return gap_minetti_factor(g);
	double x = g - DESCENT_MIN_AT_PCT;
	double a = x >= 0 ? (1 - DESCENT_MIN) / (DESCENT_MIN_AT_PCT * DESCENT_MIN_AT_PCT)
			  : (DESCENT_STEEP - DESCENT_MIN) /
				    ((DESCENT_STEEP_AT_PCT - DESCENT_MIN_AT_PCT) *
				     (DESCENT_STEEP_AT_PCT - DESCENT_MIN_AT_PCT));
	return DESCENT_MIN + a * x * x;
}

void gap_smooth_grade(const int64_t *t_us, const double *grade_pct, size_t n, double window_s,
		      double *out)
{
	/* A sliding window [lo, hi) over the seconds within window_s/2. */
	int64_t half_us = (int64_t)(window_s / 2 * 1e6);
	size_t lo = 0, hi = 0, count = 0;
	double sum = 0;
	for (size_t k = 0; k < n; k++) {
		while (hi < n && t_us[hi] <= t_us[k] + half_us) {
			if (isfinite(grade_pct[hi]))
				sum += grade_pct[hi], count++;
			hi++;
		}
		while (t_us[lo] < t_us[k] - half_us) {
			if (isfinite(grade_pct[lo]))
				sum -= grade_pct[lo], count--;
			lo++;
		}
		out[k] = count ? sum / (double)count : NAN;
	}
}

double gap_s_per_km(const int64_t *t_us, const double *distance_m, const double *smoothed_grade_pct,
		    size_t a, size_t b)
{
	double flat_m = 0;
	for (size_t k = a + 1; k <= b; k++) {
		double f = gap_cost_factor(smoothed_grade_pct[k]);
		if (isnan(f))
			return NAN;
		flat_m += (distance_m[k] - distance_m[k - 1]) * f;
	}
	if (!(flat_m > 0))
		return NAN;
	return (double)(t_us[b] - t_us[a]) / 1e6 / flat_m * 1000;
}
