// SPDX-License-Identifier: GPL-2.0-or-later
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/activity.h"
#include "util/xalloc.h"

void activity_init(struct activity *a)
{
	memset(a, 0, sizeof(*a));
	a->file_type = a->sport = a->sub_sport = -1;
	a->total_distance_m = a->total_elapsed_s = a->total_timer_s = NAN;
	a->total_ascent_m = a->total_descent_m = NAN;
	a->avg_heart_rate_bpm = a->max_heart_rate_bpm = NAN;
}

struct activity_record activity_record_empty(int64_t t_us)
{
	return (struct activity_record){
		.t_us = t_us,
		.distance_m = NAN,
		.speed_mps = NAN,
		.altitude_m = NAN,
		.heart_rate_bpm = NAN,
		.cadence_spm = NAN,
		.power_w = NAN,
		.step_length_m = NAN,
		.vertical_oscillation_mm = NAN,
		.stance_time_ms = NAN,
		.latitude_deg = NAN,
		.longitude_deg = NAN,
		.temperature_c = NAN,
		.incline_pct = NAN,
	};
}

/* The second difference of three altitudes a second apart, binned. */
static void note_altitude(struct activity *a, const struct activity_record *r)
{
	if (!isfinite(r->altitude_m))
		return;
	if (a->alt_prev_us[0] && a->alt_prev_us[1] && r->t_us - a->alt_prev_us[1] == 1000000 &&
	    a->alt_prev_us[1] - a->alt_prev_us[0] == 1000000) {
		double d2 = fabs(r->altitude_m - 2 * a->alt_prev[1] + a->alt_prev[0]);
		size_t bin = (size_t)(d2 / ACTIVITY_ALT_BIN_M + 0.5);
		a->alt_bins[bin < ACTIVITY_ALT_BINS ? bin : ACTIVITY_ALT_BINS - 1]++;
		a->alt_n++;
	}
	double step = fabs(r->altitude_m - a->alt_prev[1]);
	if (a->alt_prev_us[1] && step > 1e-6 && (a->alt_step_m == 0 || step < a->alt_step_m))
		a->alt_step_m = step;
	a->alt_prev[0] = a->alt_prev[1], a->alt_prev_us[0] = a->alt_prev_us[1];
	a->alt_prev[1] = r->altitude_m, a->alt_prev_us[1] = r->t_us;
}

int activity_emit(struct activity *a, const struct activity_record *r)
{
	if (a->n_records == 0)
		a->first_us = r->t_us;
	a->last_us = r->t_us;
	note_altitude(a, r);
	if (a->on_record) {
		a->n_records++;
		a->on_record_rc = a->on_record(a->on_record_user, r);
		return a->on_record_rc;
	}
	if (a->n_records == a->cap_records) {
		a->cap_records = a->cap_records ? a->cap_records * 2 : 1024;
		a->records = xreallocarray(a->records, a->cap_records, sizeof(*a->records));
	}
	a->records[a->n_records++] = *r;
	return 0;
}

/* Fewer second differences than this say nothing of the noise. */
#define ALT_PAIRS_MIN 30
/* A resolution finer than this (GPX's centimetres) counts as this. */
#define ALT_STEP_MIN_M 0.05

enum activity_altitude activity_altitude_source(const struct activity *a)
{
	if (a->barometer)
		return ACTIVITY_ALTITUDE_BAROMETER;
	if (a->alt_n == 0 && a->alt_step_m == 0)
		return ACTIVITY_ALTITUDE_NONE;
	if (a->local_sensors)
		return ACTIVITY_ALTITUDE_GPS;
	if (a->alt_n < ALT_PAIRS_MIN)
		return ACTIVITY_ALTITUDE_BAROMETER; /* too short to tell: as before */
	size_t below = 0, bin = 0;
	while (bin < ACTIVITY_ALT_BINS && 10 * (below + a->alt_bins[bin]) <= 9 * a->alt_n)
		below += a->alt_bins[bin++];
	double p90_m = (double)bin * ACTIVITY_ALT_BIN_M;
	return p90_m > 2 * fmax(a->alt_step_m, ALT_STEP_MIN_M) + 1e-9 ? ACTIVITY_ALTITUDE_GPS
								      : ACTIVITY_ALTITUDE_BAROMETER;
}

const char *activity_altitude_name(enum activity_altitude source)
{
	switch (source) {
	case ACTIVITY_ALTITUDE_BAROMETER:
		return "barometer";
	case ACTIVITY_ALTITUDE_GPS:
		return "gps";
	default:
		return "none";
	}
}

void activity_free(struct activity *a)
{
	free(a->records);
	a->records = NULL;
	a->n_records = a->cap_records = 0;
}

const char *activity_sport_name(int sport, char *buf, size_t size)
{
	static const char *const names[] = {
		[0] = "generic",    [1] = "running",           [2] = "cycling",
		[3] = "transition", [4] = "fitness equipment", [5] = "swimming",
		[10] = "training",  [11] = "walking",          [17] = "hiking",
	};
	if (sport >= 0 && (size_t)sport < sizeof(names) / sizeof(names[0]) && names[sport])
		snprintf(buf, size, "%s", names[sport]);
	else
		snprintf(buf, size, "sport %d", sport);
	return buf;
}
