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

struct activity_record *activity_add_record(struct activity *a, int64_t t_us)
{
	if (a->n_records == a->cap_records) {
		a->cap_records = a->cap_records ? a->cap_records * 2 : 1024;
		a->records = xreallocarray(a->records, a->cap_records, sizeof(*a->records));
	}
	struct activity_record *r = &a->records[a->n_records++];
	*r = (struct activity_record){
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
	};
	return r;
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
