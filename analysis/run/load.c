// SPDX-License-Identifier: GPL-2.0-or-later
#include "run/load.h"

#include <math.h>

static bool known(double distance_m)
{
	return isfinite(distance_m) && distance_m > 0;
}

/* The longest known distance among runs[0..i) that started in the window
 * before runs[i]; NAN if none. Walks back only as far as the window. */
static double reference(const struct load_run *runs, size_t i)
{
	double longest = NAN;
	int64_t since_us = runs[i].start_us - LOAD_WINDOW_US;
	for (size_t j = i; j-- > 0;) {
		if (runs[j].start_us < since_us)
			break;
		if (runs[j].start_us < runs[i].start_us && known(runs[j].distance_m) &&
		    (isnan(longest) || runs[j].distance_m > longest))
			longest = runs[j].distance_m;
	}
	return longest;
}

void load_assess(const struct load_run *runs, size_t n, struct load_result *out)
{
	for (size_t i = 0; i < n; i++) {
		double ref = reference(runs, i);
		struct load_result *r = &out[i];
		r->has_reference = !isnan(ref);
		r->reference_m = ref;
		r->ratio = r->has_reference && known(runs[i].distance_m) ? runs[i].distance_m / ref
									 : NAN;
		/* Compared as d * 100 > ref * 110 so that exactly 110% (11 km after
		 * 10 km) is not flagged by a rounding error in 1.1. */
		r->flagged =
			!isnan(r->ratio) && runs[i].distance_m * 100 > ref * LOAD_THRESHOLD_PCT;
	}
}
