// SPDX-License-Identifier: GPL-2.0-or-later
#include "terrain.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/activity.h"
#include "nav/baro.h"
#include "nav/grade.h"
#include "run/gap.h"
#include "store/pods.h"
#include "store/segments.h"
#include "util/xalloc.h"

#define US_PER_S 1000000.0

/* ---- the run as stored ---- */

struct run_data {
	size_t n, cap;
	struct store_sample *samples;
	size_t n_strides, cap_strides;
	struct store_stride *strides;
	bool synthesised;    /* no second was stored: the grid is the strides' */
	double *incline_pct; /* a treadmill's, per sample; NULL without one */
	size_t incline_next;
	double pressure_noise_min_m; /* GPS elevation's, for an import that had it */
};

static int collect_sample(void *user, int64_t run_id, const struct store_sample *x)
{
	(void)run_id;
	struct run_data *d = user;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 1024;
		d->samples = xreallocarray(d->samples, d->cap, sizeof(*d->samples));
	}
	d->samples[d->n++] = *x;
	return 0;
}

static int collect_stride(void *user, int64_t run_id, const struct store_stride *x)
{
	(void)run_id;
	struct run_data *d = user;
	if (d->n_strides == d->cap_strides) {
		d->cap_strides = d->cap_strides ? 2 * d->cap_strides : 1024;
		d->strides = xreallocarray(d->strides, d->cap_strides, sizeof(*d->strides));
	}
	d->strides[d->n_strides++] = *x;
	return 0;
}

static bool stride_trusted(const struct store_stride *x)
{
	return !strstr(x->flags, "restart") && !strstr(x->flags, "gap");
}

/* A run with shoe IMUs alone stores no second: the terrain's grid is then
 * the seconds its strides span, with nothing else known. */
static void grid_from_strides(struct run_data *d)
{
	int64_t first = INT64_MAX, last = INT64_MIN;
	for (size_t i = 0; i < d->n_strides; i++) {
		first = d->strides[i].start_us < first ? d->strides[i].start_us : first;
		last = d->strides[i].end_us > last ? d->strides[i].end_us : last;
	}
	int64_t t0 = first / (int64_t)US_PER_S * (int64_t)US_PER_S;
	for (int64_t t = t0; d->n_strides && t <= last; t += (int64_t)US_PER_S) {
		const struct store_sample x = { .t_us = t,
						.speed_mps = NAN,
						.cadence_spm = NAN,
						.stride_length_m = NAN,
						.distance_m = NAN,
						.pressure_pa = NAN,
						.temperature_c = NAN,
						.elevation_m = NAN,
						.heart_rate_bpm = NAN,
						.grade_pct = NAN,
						.gap_s_per_km = NAN };
		collect_sample(d, 0, &x);
	}
}

/* ---- horizontal distance ---- */

/* One foot's path: cumulative stride length at each stride's end. */
struct foot_path {
	size_t n, next;
	int64_t *end_us;
	double *cum_m;
	int64_t first_us;
};

static int foot_index(const char *foot)
{
	return !strcmp(foot, "left") ? 0 : !strcmp(foot, "right") ? 1 : 2;
}

/* Distance along a foot's path at t (strides end-time ordered, as read),
 * linear within a stride. */
static double foot_distance_at(struct foot_path *p, int64_t t_us)
{
	if (!p->n || t_us <= p->first_us)
		return 0;
	while (p->next < p->n && p->end_us[p->next] < t_us)
		p->next++;
	if (p->next == p->n)
		return p->cum_m[p->n - 1];
	int64_t t0 = p->next ? p->end_us[p->next - 1] : p->first_us;
	double c0 = p->next ? p->cum_m[p->next - 1] : 0;
	double f = (double)(t_us - t0) / (double)(p->end_us[p->next] - t0);
	return c0 + f * (p->cum_m[p->next] - c0);
}

/* The IMUs' distance at each second: the mean over the feet of each
 * foot's path, since every foot covers the whole way. false without
 * strides. */
static bool imu_distance(const struct run_data *d, double *dist)
{
	struct foot_path feet[3] = { { 0 } };
	for (int f = 0; f < 3; f++) {
		feet[f].end_us = xcalloc(d->n_strides + 1, sizeof(int64_t));
		feet[f].cum_m = xcalloc(d->n_strides + 1, sizeof(double));
	}
	for (size_t i = 0; i < d->n_strides; i++) {
		const struct store_stride *x = &d->strides[i];
		struct foot_path *p = &feet[foot_index(x->foot)];
		double len = isfinite(x->length_m) && x->length_m >= 0 ? x->length_m : 0;
		if (!p->n)
			p->first_us = x->start_us;
		p->end_us[p->n] = x->end_us;
		p->cum_m[p->n] = (p->n ? p->cum_m[p->n - 1] : 0) + len;
		p->n++;
	}
	int used = 0;
	for (int f = 0; f < 3; f++)
		used += feet[f].n > 0;
	for (size_t k = 0; used && k < d->n; k++) {
		double sum = 0;
		for (int f = 0; f < 3; f++)
			if (feet[f].n)
				sum += foot_distance_at(&feet[f], d->samples[k].t_us);
		dist[k] = sum / used;
	}
	for (int f = 0; f < 3; f++) {
		free(feet[f].end_us);
		free(feet[f].cum_m);
	}
	return used > 0;
}

/* The run's distance at each second: the shoe IMUs' where the run has
 * strides (they measure every stride; a pod carries its calibration
 * error, up to 4 %, straight into the grade), else the stored one (the
 * pod's); carried forward over holes and never backwards. */
static void run_distance(const struct run_data *d, double *dist)
{
	bool from_samples = !imu_distance(d, dist);
	double last = 0, d0 = NAN;
	for (size_t k = 0; k < d->n; k++) {
		double x = from_samples ? d->samples[k].distance_m : dist[k];
		if (isfinite(x) && isnan(d0))
			d0 = x;
		x -= isnan(d0) ? 0 : d0; /* relative to the first second */
		if (!isfinite(x) || x < last)
			x = last;
		dist[k] = last = x;
	}
}

/* Each second's stride: the IMUs' strides ending in it (they measure each
 * one), else the stored one. */
static void run_strides(const struct run_data *d, double *stride)
{
	size_t j = 0;
	for (size_t k = 0; k < d->n; k++) {
		int64_t end_us = k + 1 < d->n ? d->samples[k + 1].t_us : INT64_MAX;
		double sum = 0;
		unsigned count = 0;
		while (j < d->n_strides && d->strides[j].end_us < end_us) {
			const struct store_stride *x = &d->strides[j++];
			if (x->end_us >= d->samples[k].t_us && stride_trusted(x) &&
			    isfinite(x->length_m))
				sum += x->length_m, count++;
		}
		stride[k] = count ? sum / count : d->samples[k].stride_length_m;
	}
}

/* ---- the runner's usual stride ---- */

struct history {
	int64_t ids[TERRAIN_HISTORY_RUNS];
	size_t n, next; /* a ring of the latest run ids */
	size_t points, cap;
	double *speed, *stride;
};

static int note_run(void *user, const struct store_run *r)
{
	struct history *h = user;
	h->ids[h->next] = r->id;
	h->next = (h->next + 1) % TERRAIN_HISTORY_RUNS;
	if (h->n < TERRAIN_HISTORY_RUNS)
		h->n++;
	return 0;
}

static int note_flat(void *user, int64_t run_id, const struct seg_segment *x)
{
	(void)run_id;
	struct history *h = user;
	if (x->cls != SEG_FLAT || !isfinite(x->speed_mps) || !isfinite(x->stride_m))
		return 0;
	if (h->points == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->speed = xreallocarray(h->speed, h->cap, sizeof(double));
		h->stride = xreallocarray(h->stride, h->cap, sizeof(double));
	}
	h->speed[h->points] = x->speed_mps;
	h->stride[h->points++] = x->stride_m;
	return 0;
}

/* A robust fit of flat stride on speed over the flat segments of the
 * TERRAIN_HISTORY_RUNS runs that started before this one. */
static int usual_stride(struct store *s, const struct store_run *run,
			struct seg_stride_model *model)
{
	struct history h = { 0 };
	*model = (struct seg_stride_model){ .valid = false };
	int err = store_foreach_run(s, INT64_MIN, run->start_us, note_run, &h);
	for (size_t i = 0; !err && i < h.n; i++)
		if (h.ids[i] != run->id)
			err = store_foreach_segment(s, h.ids[i], note_flat, &h, NULL);
	if (!err)
		seg_stride_model_fit(h.speed, h.stride, h.points, model);
	free(h.speed);
	free(h.stride);
	return err;
}

/* ---- the terrain ---- */

struct terrain {
	size_t n;
	int64_t *t_us;
	double *dist, *speed, *pressure, *temperature, *stride, *smoothed, *gap;
	struct grade_stride *strides;
	struct grade_result grade;
};

static void terrain_free(struct terrain *x)
{
	free(x->t_us);
	free(x->dist);
	free(x->speed);
	free(x->pressure);
	free(x->temperature);
	free(x->stride);
	free(x->smoothed);
	free(x->gap);
	free(x->strides);
	grade_result_free(&x->grade);
}

static void estimate(const struct run_data *d, struct terrain *x)
{
	size_t n = d->n;
	x->n = n;
	x->t_us = xcalloc(n, sizeof(*x->t_us));
	x->dist = xcalloc(n, sizeof(double));
	x->speed = xcalloc(n, sizeof(double));
	x->pressure = xcalloc(n, sizeof(double));
	x->temperature = xcalloc(n, sizeof(double));
	x->stride = xcalloc(n, sizeof(double));
	x->smoothed = xcalloc(n, sizeof(double));
	x->gap = xcalloc(n, sizeof(double));
	x->strides = xcalloc(d->n_strides + 1, sizeof(*x->strides));
	for (size_t k = 0; k < n; k++) {
		x->t_us[k] = d->samples[k].t_us;
		x->pressure[k] = d->samples[k].pressure_pa;
		x->temperature[k] = d->samples[k].temperature_c;
	}
	for (size_t i = 0; i < d->n_strides; i++) {
		const struct store_stride *s = &d->strides[i];
		x->strides[i] =
			(struct grade_stride){ s->start_us, s->end_us,
					       stride_trusted(s) ? s->height_change_m : NAN };
	}
	run_distance(d, x->dist);
	run_strides(d, x->stride);
	struct grade_input in = {
		.n = n,
		.t_us = x->t_us,
		.distance_m = x->dist,
		.pressure_pa = x->pressure,
		.temperature_c = x->temperature,
		.incline_pct = d->incline_pct,
		.pressure_noise_min_m = d->pressure_noise_min_m,
		.strides = x->strides,
		.n_strides = d->n_strides,
	};
	if (!grade_estimate(&in, &x->grade)) { /* cannot happen: the input is made valid */
		x->grade.altitude_m = xcalloc(n, sizeof(double));
		x->grade.grade_pct = xcalloc(n, sizeof(double));
		for (size_t k = 0; k < n; k++)
			x->grade.altitude_m[k] = x->grade.grade_pct[k] = NAN;
		x->grade.gain_m = x->grade.loss_m = NAN;
	}
	gap_smooth_grade(x->t_us, x->grade.grade_pct, n, GAP_SMOOTH_S, x->smoothed);
	for (size_t k = 0; k < n; k++) {
		double speed = d->samples[k].speed_mps;
		if (!isfinite(speed) && k) /* IMUs alone: from their distance */
			speed = (x->dist[k] - x->dist[k - 1]) /
				((double)(x->t_us[k] - x->t_us[k - 1]) / US_PER_S);
		x->speed[k] = speed;
		double pace = 1000 / speed;
		double f = gap_cost_factor(x->smoothed[k]);
		x->gap[k] = isfinite(pace) && pace > 0 && f > 0 ? pace / f : NAN;
	}
}

static size_t cut(const struct run_data *d, const struct terrain *x, const struct seg_thresholds *t,
		  const struct seg_stride_model *usual, struct seg_segment **segs)
{
	struct seg_second *sec = xcalloc(d->n, sizeof(*sec));
	for (size_t k = 0; k < d->n; k++)
		sec[k] = (struct seg_second){
			.t_us = x->t_us[k],
			.distance_m = x->dist[k],
			.altitude_m = x->grade.altitude_m[k],
			.grade_pct = x->grade.grade_pct[k],
			.cadence_spm = d->samples[k].cadence_spm,
			.stride_m = x->stride[k],
			.heart_rate_bpm = d->samples[k].heart_rate_bpm,
		};
	size_t n = seg_cut(sec, d->n, t, usual, segs);
	free(sec);
	return n;
}

/* The seconds of a run that had none stored (shoe IMUs alone), with what
 * the strides say: distance, speed and stride length. */
static int store_new_seconds(struct store *s, int64_t run_id, const struct run_data *d,
			     const struct terrain *x)
{
	int err = 0;
	for (size_t k = 0; k < x->n && !err; k++) {
		struct store_sample sample = d->samples[k];
		sample.distance_m = x->dist[k];
		sample.stride_length_m = x->stride[k];
		sample.speed_mps = x->speed[k];
		err = store_sample(s, run_id, &sample);
	}
	return err;
}

static int store_terrain(struct store *s, int64_t run_id, const struct run_data *d,
			 const struct terrain *x, const struct seg_segment *segs, size_t n_segs)
{
	double run_gap = x->n >= 2 ? gap_s_per_km(x->t_us, x->dist, x->smoothed, 0, x->n - 1) : NAN;
	int err = d->synthesised ? store_new_seconds(s, run_id, d, x) : 0;
	if (!err)
		err = store_samples_set_terrain(s, run_id, x->n, x->t_us, x->grade.altitude_m,
						x->grade.grade_pct, x->gap);
	if (!err)
		err = store_segments_replace(s, run_id, segs, n_segs);
	if (!err)
		err = store_run_set_terrain(s, run_id, x->grade.gain_m, x->grade.loss_m, run_gap);
	if (!err)
		err = store_flush(s);
	else
		store_discard(s);
	return err;
}

/*
 * A run imported from a watch's file has the watch's altitude and no
 * pressure: the altitude goes to the estimator as the pressure it stands
 * for, so the watch's barometer (or GPS elevation) is smoothed and graded
 * as a barometer's is, GPS elevation (which the importer marks in the
 * source) with its own larger noise. Only for imports: a live run's
 * elevation is the terrain's own output.
 */
static void watch_altitude_as_pressure(const struct store_run *run, struct run_data *d)
{
	if (strncmp(run->source, "import ", 7) != 0)
		return;
	for (size_t k = 0; k < d->n; k++)
		if (isfinite(d->samples[k].pressure_pa))
			return;
	for (size_t k = 0; k < d->n; k++)
		if (isfinite(d->samples[k].elevation_m))
			d->samples[k].pressure_pa =
				baro_pressure_pa(d->samples[k].elevation_m, ISA_SEA_LEVEL_PA);
	if (strstr(run->source, ACTIVITY_GPS_ALTITUDE_MARK))
		d->pressure_noise_min_m = GRADE_GPS_ALTITUDE_NOISE_M;
}

/* A treadmill's incline lands on the sample of the same second. */
static int collect_incline(void *user, int64_t t_us, double incline_pct)
{
	struct run_data *d = user;
	if (!d->incline_pct) {
		d->incline_pct = xcalloc(d->n ? d->n : 1, sizeof(double));
		for (size_t k = 0; k < d->n; k++)
			d->incline_pct[k] = NAN;
	}
	while (d->incline_next < d->n && d->samples[d->incline_next].t_us < t_us)
		d->incline_next++;
	if (d->incline_next < d->n && d->samples[d->incline_next].t_us == t_us)
		d->incline_pct[d->incline_next] = incline_pct;
	return 0;
}

/* A database that cannot be written (read-only media, a full disk, a
 * read-only connection): what a reader can still be shown. */
static bool unwritable(int err)
{
	return err == -EROFS || err == -EACCES || err == -EPERM || err == -ENOSPC;
}

/* show_unstored: a run whose terrain cannot be stored has its segments
 * shown on this connection instead (store_segments_show). */
static int compute_run(struct store *s, int64_t run_id, const struct seg_thresholds *t,
		       size_t *segments, bool show_unstored)
{
	struct store_run run;
	struct run_data d = { 0 };
	struct seg_stride_model usual;
	int err = store_get_run(s, run_id, &run);
	if (!err)
		err = store_foreach_sample(s, run_id, INT64_MIN, INT64_MAX, collect_sample, &d);
	if (!err)
		err = store_foreach_stride(s, run_id, collect_stride, &d);
	if (!err)
		err = usual_stride(s, &run, &usual);
	if (!err)
		watch_altitude_as_pressure(&run, &d);
	if (!err && d.n < 2) {
		d.n = 0;
		grid_from_strides(&d);
		d.synthesised = true;
	}
	if (!err && !d.synthesised)
		err = store_foreach_incline(s, run_id, collect_incline, &d);
	size_t n_segs = 0;
	if (!err && d.n >= 2) {
		struct terrain x = { 0 };
		struct seg_segment *segs = NULL;
		estimate(&d, &x);
		n_segs = cut(&d, &x, t, &usual, &segs);
		err = store_terrain(s, run_id, &d, &x, segs, n_segs);
		if (err && show_unstored && unwritable(err)) {
			store_segments_show(s, run_id, segs, n_segs);
			err = 0;
		}
		free(segs);
		terrain_free(&x);
	}
	free(d.samples);
	free(d.strides);
	free(d.incline_pct);
	if (segments)
		*segments = err ? 0 : n_segs;
	return err;
}

int terrain_compute_run(struct store *s, int64_t run_id, const struct seg_thresholds *t,
			size_t *segments)
{
	return compute_run(s, run_id, t, segments, false);
}

static int count_nothing(void *user, int64_t run_id, const struct seg_segment *x)
{
	(void)user, (void)run_id, (void)x;
	return 0;
}

int terrain_ensure_run(struct store *s, int64_t run_id, const struct seg_thresholds *t)
{
	size_t n = 0;
	int err = store_foreach_segment(s, run_id, count_nothing, NULL, &n);
	if (err || n)
		return err;
	return compute_run(s, run_id, t, NULL, true);
}
