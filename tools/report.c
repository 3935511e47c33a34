// SPDX-License-Identifier: GPL-2.0-or-later
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DAY_US (24LL * 3600 * 1000000)

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

int64_t report_week_start(int64_t t_us)
{
	int64_t day = floor_div(t_us, DAY_US);
	/* 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday. */
	int64_t weekday = ((day + 3) % 7 + 7) % 7;
	return (day - weekday) * DAY_US;
}

const char *report_week_label(int64_t week_start_us, char *buf, size_t size)
{
	/* The ISO year and week are those of the week's Thursday. */
	time_t thursday = (time_t)(floor_div(week_start_us, 1000000) + 3 * 86400);
	struct tm tm;
	if (!gmtime_r(&thursday, &tm))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%04d-W%02d", tm.tm_year + 1900, tm.tm_yday / 7 + 1);
	return buf;
}

void report_weeks_init(struct report_week *weeks, size_t n, int64_t last_start_us)
{
	for (size_t i = 0; i < n; i++) {
		memset(&weeks[i], 0, sizeof(weeks[i]));
		weeks[i].start_us = last_start_us - (int64_t)(n - 1 - i) * REPORT_WEEK_US;
	}
}

bool report_weeks_add(struct report_week *weeks, size_t n, const struct store_run *run)
{
	if (n == 0 || run->start_us < weeks[0].start_us ||
	    run->start_us >= weeks[n - 1].start_us + REPORT_WEEK_US)
		return false;
	struct report_week *w = &weeks[(run->start_us - weeks[0].start_us) / REPORT_WEEK_US];
	w->runs++;
	bool has_distance = isfinite(run->distance_m), has_duration = isfinite(run->duration_s);
	if (has_distance)
		w->distance_m += run->distance_m;
	if (has_duration)
		w->duration_s += run->duration_s;
	if (has_distance && has_duration) {
		w->paced_m += run->distance_m;
		w->paced_s += run->duration_s;
	}
	if (has_duration && isfinite(run->cadence_spm)) {
		w->cadence_sum += run->cadence_spm * run->duration_s;
		w->cadence_s += run->duration_s;
	}
	if (has_duration && isfinite(run->stride_length_m)) {
		w->stride_sum += run->stride_length_m * run->duration_s;
		w->stride_s += run->duration_s;
	}
	return true;
}

static double ratio(double sum, double weight)
{
	return weight > 0 ? sum / weight : NAN;
}

void report_weeks_finish(struct report_week *weeks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		weeks[i].speed_mps = ratio(weeks[i].paced_m, weeks[i].paced_s);
		weeks[i].cadence_spm = ratio(weeks[i].cadence_sum, weeks[i].cadence_s);
		weeks[i].stride_length_m = ratio(weeks[i].stride_sum, weeks[i].stride_s);
	}
}

bool report_weeks_add_segment(struct report_week *weeks, size_t n, int64_t run_start_us,
			      const struct seg_segment *seg)
{
	if (n == 0 || run_start_us < weeks[0].start_us ||
	    run_start_us >= weeks[n - 1].start_us + REPORT_WEEK_US ||
	    (unsigned)seg->cls >= SEG_CLASS_COUNT || !isfinite(seg->length_m))
		return false;
	weeks[(run_start_us - weeks[0].start_us) / REPORT_WEEK_US].class_m[seg->cls] +=
		seg->length_m;
	return true;
}

int report_pace_band_low_s(size_t band)
{
	return REPORT_PACE_MIN_S + (int)band * REPORT_PACE_BAND_S;
}

bool report_pace_bands_add(struct report_pace_bands *b, const struct seg_segment *seg)
{
	if ((unsigned)seg->cls >= SEG_CLASS_COUNT || !(seg->speed_mps > 0) ||
	    !(seg->stride_m > 0) || !(seg->length_m > 0))
		return false;
	double band = floor((1000 / seg->speed_mps - REPORT_PACE_MIN_S) / REPORT_PACE_BAND_S);
	if (!(band >= 0 && band < REPORT_PACE_BANDS))
		return false;
	struct report_stride_cell *c = &b->cell[(size_t)band][seg->cls];
	c->stride_x_m += seg->stride_m * seg->length_m;
	c->length_m += seg->length_m;
	return true;
}
