// SPDX-License-Identifier: GPL-2.0-or-later
/* What the physiotherapist's report shows, read from the store. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physio/physio.h"
#include "run/load.h"
#include "store/segments.h"
#include "util/xalloc.h"

struct loader {
	struct physio_data *d;
	struct store *s;
	size_t cap_runs, cap_points;
	/* Runs of the 30 days before the period, for the load reference. */
	struct load_run *load;
	size_t n_load, cap_load;
};

static void add_load_run(struct loader *l, const struct store_run *r)
{
	if (l->n_load == l->cap_load) {
		l->cap_load = l->cap_load ? l->cap_load * 2 : 64;
		l->load = xreallocarray(l->load, l->cap_load, sizeof(*l->load));
	}
	l->load[l->n_load++] = (struct load_run){ r->start_us, r->distance_m };
}

static struct physio_run physio_run_from(const struct store_run *r)
{
	struct physio_run x = {
		.id = r->id,
		.start_us = r->start_us,
		.distance_m = r->distance_m,
		.duration_s = r->duration_s,
		.speed_mps = r->speed_mps,
		.gap_s_per_km = NAN,
		.stride_m = r->stride_length_m,
		.cadence_spm = r->cadence_spm,
		.load_ratio = NAN,
		.asymmetry_pct = NAN,
		.pain_during = NAN,
		.pain_after = NAN,
		.pain_morning = NAN,
	};
	return x;
}

static int each_segment(void *user, int64_t run_id, const struct seg_segment *seg)
{
	(void)run_id;
	struct loader *l = user;
	struct physio_data *d = l->d;
	struct physio_run *r = &d->runs[d->n_runs - 1];
	unsigned c = (unsigned)seg->cls < SEG_CLASS_COUNT ? seg->cls : SEG_UNKNOWN;
	if (isfinite(seg->length_m))
		r->class_m[c] += seg->length_m;
	if (isfinite(seg->duration_s))
		r->class_s[c] += seg->duration_s;
	if (!isfinite(seg->speed_mps) || !isfinite(seg->stride_m))
		return 0;
	if (d->n_points == l->cap_points) {
		l->cap_points = l->cap_points ? l->cap_points * 2 : 256;
		d->points = xreallocarray(d->points, l->cap_points, sizeof(*d->points));
	}
	d->points[d->n_points++] = (struct physio_stride_point){
		.start_us = seg->start_us,
		.cls = seg->cls,
		.speed_mps = seg->speed_mps,
		.stride_m = seg->stride_m,
		.stride_ratio = seg->stride_ratio,
		.cadence_spm = seg->cadence_spm,
	};
	return 0;
}

/* Positive when the left stride is the longer, as 'hamstride strides'
 * prints it. */
static double asymmetry_pct(const struct store_stride_feet *f)
{
	if (f->n[0] == 0 || f->n[1] == 0)
		return NAN;
	double l = f->mean_length_m[0], r = f->mean_length_m[1];
	return 100 * (l - r) / (0.5 * (l + r));
}

static int each_run(void *user, const struct store_run *r)
{
	struct loader *l = user;
	struct physio_data *d = l->d;
	add_load_run(l, r);
	if (r->start_us < d->options.from_us || r->end_us == 0)
		return 0;
	if (d->n_runs == l->cap_runs) {
		l->cap_runs = l->cap_runs ? l->cap_runs * 2 : 64;
		d->runs = xreallocarray(d->runs, l->cap_runs, sizeof(*d->runs));
	}
	d->runs[d->n_runs++] = physio_run_from(r);
	size_t n_segments = 0;
	int err = store_foreach_segment(l->s, r->id, each_segment, l, &n_segments);
	if (err)
		return err;
	d->runs[d->n_runs - 1].has_segments = n_segments > 0;
	struct store_stride_feet feet;
	err = store_stride_feet(l->s, r->id, &feet);
	if (err)
		return err;
	d->runs[d->n_runs - 1].asymmetry_pct = asymmetry_pct(&feet);
	return 0;
}

/* The load warnings, with the 30 days before the period as reference. */
static void assess_load(struct loader *l)
{
	struct physio_data *d = l->d;
	struct load_result *res = xcalloc(l->n_load ? l->n_load : 1, sizeof(*res));
	load_assess(l->load, l->n_load, res);
	size_t k = 0;
	for (size_t i = 0; i < l->n_load && k < d->n_runs; i++) {
		if (l->load[i].start_us != d->runs[k].start_us)
			continue;
		d->runs[k].load_flagged = res[i].flagged;
		d->runs[k].load_ratio = res[i].ratio;
		k++;
	}
	free(res);
}

static void add_caveat(struct physio_data *d, const char *text)
{
	if (d->n_caveats < sizeof(d->caveats) / sizeof(d->caveats[0]))
		snprintf(d->caveats[d->n_caveats++], sizeof(d->caveats[0]), "%s", text);
}

/* What every report says, whatever the data: hamstride describes
 * associations, it does not diagnose (ARCHITECTURE.md, "Honest medicine"). */
static void standard_caveats(struct physio_data *d)
{
	add_caveat(d, "These are associations between what the runner reported and what the "
		      "sensors measured, to be discussed with a physiotherapist or doctor; "
		      "they are not a diagnosis.");
	add_caveat(d, "Hills and speed also provoke high hamstring tendinopathy, so pain that "
		      "is worse uphill or faster does not by itself separate a lumbar or "
		      "neural source from the tendon.");
	add_caveat(d, "Runners go faster downhill: grade and speed move together, and only "
		      "runs that vary them apart can tell their effects apart.");
}

static int each_sample(void *user, int64_t run_id, const struct store_sample *x)
{
	(void)run_id;
	struct physio_profile *p = user;
	if (!isfinite(x->elevation_m))
		return 0;
	p->t_s = xreallocarray(p->t_s, p->n + 1, sizeof(*p->t_s));
	p->elevation_m = xreallocarray(p->elevation_m, p->n + 1, sizeof(*p->elevation_m));
	p->t_s[p->n] = (double)(x->t_us - p->start_us) / 1e6;
	p->elevation_m[p->n] = x->elevation_m;
	p->n++;
	return 0;
}

static bool has_profile(const struct physio_data *d, int64_t run_id)
{
	for (size_t i = 0; i < d->n_profiles; i++)
		if (d->profiles[i].run_id == run_id)
			return true;
	return false;
}

/* The elevation profiles of the latest runs that have painful spans. */
static int load_profiles(struct store *s, struct physio_data *d)
{
	for (size_t i = d->n_runs; i-- > 0 && d->n_profiles < PHYSIO_PROFILES_MAX;) {
		bool spans = false;
		for (size_t k = 0; k < d->n_spans && !spans; k++)
			spans = d->spans[k].run_id == d->runs[i].id;
		if (!spans || has_profile(d, d->runs[i].id))
			continue;
		struct physio_profile *p = &d->profiles[d->n_profiles++];
		*p = (struct physio_profile){ .run_id = d->runs[i].id,
					      .start_us = d->runs[i].start_us };
		int err = store_foreach_sample(s, p->run_id, INT64_MIN, INT64_MAX, each_sample, p);
		if (err)
			return err;
	}
	return 0;
}

int physio_data_load(struct store *s, const struct physio_options *o, struct physio_data *d)
{
	memset(d, 0, sizeof(*d));
	d->options = *o;
	struct loader l = { .d = d, .s = s };
	int err = store_foreach_run(s, o->from_us - LOAD_WINDOW_US, o->to_us, each_run, &l);
	if (err == 0)
		assess_load(&l);
	free(l.load);
	standard_caveats(d); /* the pattern analysis's own replace them */
	if (err == 0)
		err = physio_pain_load(s, d);
	if (err == 0)
		err = load_profiles(s, d);
	return err;
}

void physio_data_free(struct physio_data *d)
{
	free(d->runs);
	free(d->points);
	free(d->spans);
	for (size_t i = 0; i < d->n_profiles; i++) {
		free(d->profiles[i].t_s);
		free(d->profiles[i].elevation_m);
	}
	memset(d, 0, sizeof(*d));
}
