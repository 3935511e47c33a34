// SPDX-License-Identifier: GPL-2.0-or-later
#include "clinical/exposure.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/load.h"
#include "util/xalloc.h"

#define WEEK_US (7LL * 24 * 3600 * 1000000)

static bool is_descent(enum seg_class c)
{
	return c == SEG_DOWN || c == SEG_STEEP_DOWN;
}

static bool is_climb(enum seg_class c)
{
	return c == SEG_UP || c == SEG_STEEP_UP;
}

static double usable(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

double exp_span_share(const double time_s[SEG_CLASS_COUNT], bool descents)
{
	double known = 0, hit = 0;
	for (int c = 0; c < SEG_CLASS_COUNT; c++) {
		if (c == SEG_UNKNOWN)
			continue;
		known += time_s[c];
		if (descents ? is_descent(c) : is_climb(c))
			hit += time_s[c];
	}
	return known > 0 ? hit / known : NAN;
}

/* Time-weighted sums of the segments' speed-related values. */
struct run_sums {
	double gap_time_s, gap_weighted; /* grade-adjusted pace over time */
	double cad_time_s, cad_weighted;
	double ratio_time_s[SEG_CLASS_COUNT], ratio_weighted[SEG_CLASS_COUNT];
};

static void add_segment(const struct seg_segment *x, struct exp_run *r, struct run_sums *s)
{
	double t = usable(x->duration_s);
	enum seg_class c = x->cls < SEG_CLASS_COUNT ? x->cls : SEG_UNKNOWN;
	r->class_time_s[c] += t;
	r->class_distance_m[c] += usable(x->length_m);
	r->duration_s += t;
	r->distance_m += usable(x->length_m);
	/* GAP as a flat-equivalent distance: time over pace. */
	if (t > 0 && isfinite(x->gap_s_per_km) && x->gap_s_per_km > 0) {
		s->gap_time_s += t;
		s->gap_weighted += t * 1000 / x->gap_s_per_km;
	}
	if (t > 0 && isfinite(x->cadence_spm) && x->cadence_spm > 0) {
		s->cad_time_s += t;
		s->cad_weighted += t * x->cadence_spm;
	}
	if (t > 0 && isfinite(x->stride_ratio) && x->stride_ratio > 0) {
		s->ratio_time_s[c] += t;
		s->ratio_weighted[c] += t * x->stride_ratio;
	}
}

void exp_summarise_run(const struct seg_segment *segs, size_t n, int64_t start_us,
		       struct exp_run *out)
{
	struct run_sums s;
	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	out->start_us = start_us;
	for (size_t i = 0; i < n; i++)
		add_segment(&segs[i], out, &s);
	out->down_share = exp_span_share(out->class_time_s, true);
	out->up_share = exp_span_share(out->class_time_s, false);
	out->speed_mps = out->duration_s > 0 ? out->distance_m / out->duration_s : NAN;
	out->flat_speed_mps = s.gap_time_s > 0 ? s.gap_weighted / s.gap_time_s : out->speed_mps;
	out->cadence_spm = s.cad_time_s > 0 ? s.cad_weighted / s.cad_time_s : NAN;
	for (int c = 0; c < SEG_CLASS_COUNT; c++)
		out->stride_ratio[c] =
			s.ratio_time_s[c] > 0 ? s.ratio_weighted[c] / s.ratio_time_s[c] : NAN;
	out->speed_ratio = NAN;
	out->overstride_pct = 0;
	out->load_ratio = NAN;
	out->week_distance_m = out->distance_m;
	out->length_ratio = NAN;
}

/* The stride ratio on descents, steep and gentle together by time. */
static double descent_stride_ratio(const struct exp_run *r)
{
	double t = 0, w = 0;
	for (int c = SEG_STEEP_DOWN; c <= SEG_DOWN; c++) {
		if (isfinite(r->stride_ratio[c])) {
			t += r->class_time_s[c];
			w += r->class_time_s[c] * r->stride_ratio[c];
		}
	}
	return t > 0 ? w / t : NAN;
}

/* Median of the finite values of pick(run); NAN if there are none. */
static double median_of(const struct exp_run *runs, size_t n,
			double (*pick)(const struct exp_run *), double *scratch)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		double v = pick(&runs[i]);
		if (isfinite(v))
			scratch[m++] = v;
	}
	if (m == 0)
		return NAN;
	gsl_sort(scratch, 1, m);
	return gsl_stats_median_from_sorted_data(scratch, 1, m);
}

static double flat_speed_of(const struct exp_run *r)
{
	return r->flat_speed_mps;
}

static double distance_of(const struct exp_run *r)
{
	return r->distance_m > 0 ? r->distance_m : NAN;
}

static void relate_load(struct exp_run *runs, size_t n)
{
	struct load_run *in = xcalloc(n ? n : 1, sizeof(*in));
	struct load_result *res = xcalloc(n ? n : 1, sizeof(*res));
	for (size_t i = 0; i < n; i++)
		in[i] = (struct load_run){ runs[i].start_us, runs[i].distance_m };
	load_assess(in, n, res);
	size_t first = 0;
	double week = 0;
	for (size_t i = 0; i < n; i++) {
		runs[i].load_ratio = res[i].ratio;
		week += runs[i].distance_m;
		while (runs[first].start_us < runs[i].start_us - WEEK_US)
			week -= runs[first++].distance_m;
		runs[i].week_distance_m = week;
	}
	free(in);
	free(res);
}

void exp_relate_runs(struct exp_run *runs, size_t n)
{
	double *scratch = xcalloc(n ? n : 1, sizeof(*scratch));
	double usual_speed = median_of(runs, n, flat_speed_of, scratch);
	double usual_descent = median_of(runs, n, descent_stride_ratio, scratch);
	double usual_distance = median_of(runs, n, distance_of, scratch);
	for (size_t i = 0; i < n; i++) {
		struct exp_run *r = &runs[i];
		r->speed_ratio = usual_speed > 0 ? r->flat_speed_mps / usual_speed : NAN;
		r->length_ratio = usual_distance > 0 ? r->distance_m / usual_distance : NAN;
		double d = descent_stride_ratio(r);
		r->overstride_pct =
			isfinite(d) && usual_descent > 0 ? 100 * (d / usual_descent - 1) : 0;
	}
	relate_load(runs, n);
	free(scratch);
}

/* Seconds of [a, b) inside the union of the spans (which may overlap). */
static double covered_s(double a, double b, const struct exp_span *spans, size_t n_spans)
{
	/* Walk the cut points: a piece is covered if any span holds its middle. */
	double cuts[2 * 2 * 16 + 2];
	size_t m = 0;
	cuts[m++] = a;
	cuts[m++] = b;
	for (size_t k = 0; k < n_spans && m + 2 <= sizeof(cuts) / sizeof(cuts[0]); k++) {
		if (spans[k].from_s > a && spans[k].from_s < b)
			cuts[m++] = spans[k].from_s;
		if (spans[k].to_s > a && spans[k].to_s < b)
			cuts[m++] = spans[k].to_s;
	}
	gsl_sort(cuts, 1, m);
	double total = 0;
	for (size_t i = 0; i + 1 < m; i++) {
		double mid = (cuts[i] + cuts[i + 1]) / 2;
		for (size_t k = 0; k < n_spans; k++) {
			if (mid >= spans[k].from_s && mid < spans[k].to_s) {
				total += cuts[i + 1] - cuts[i];
				break;
			}
		}
	}
	return total;
}

/* Adds each segment's time inside the spans to in_s[its class] and, if
 * rest_s is not NULL, the rest of its time to rest_s[its class]. */
static void add_class_time_in_spans(const struct seg_segment *segs, size_t n, int64_t start_us,
				    const struct exp_span *spans, size_t n_spans,
				    double in_s[SEG_CLASS_COUNT], double rest_s[SEG_CLASS_COUNT])
{
	for (size_t i = 0; i < n; i++) {
		const struct seg_segment *x = &segs[i];
		enum seg_class c = x->cls < SEG_CLASS_COUNT ? x->cls : SEG_UNKNOWN;
		double a = (double)(x->start_us - start_us) / 1e6;
		double b = (double)(x->end_us - start_us) / 1e6;
		double whole = usable(x->duration_s);
		if (b <= a || whole <= 0)
			continue;
		/* Wall time may exceed moving time: scale to the segment's own. */
		double in = covered_s(a, b, spans, n_spans) * whole / (b - a);
		in_s[c] += in;
		if (rest_s)
			rest_s[c] += whole - in;
	}
}

/* Time on each class of the spans shifted by offset_s around a run of
 * total_s (a span running past the end wraps to the start). */
static void shifted_class_time(const struct seg_segment *segs, size_t n, int64_t start_us,
			       const struct exp_span *spans, size_t n_spans, double offset_s,
			       double total_s, double time_s[SEG_CLASS_COUNT])
{
	struct exp_span moved[2 * 16];
	size_t m = 0;
	for (size_t k = 0; k < n_spans; k++) {
		double a = fmod(spans[k].from_s + offset_s, total_s);
		double len = fmin(spans[k].to_s - spans[k].from_s, total_s);
		if (len <= 0)
			continue;
		if (a + len <= total_s) {
			moved[m++] = (struct exp_span){ a, a + len };
		} else {
			moved[m++] = (struct exp_span){ a, total_s };
			moved[m++] = (struct exp_span){ 0, a + len - total_s };
		}
	}
	memset(time_s, 0, sizeof(double) * SEG_CLASS_COUNT);
	add_class_time_in_spans(segs, n, start_us, moved, m, time_s, NULL);
}

static void span_null(const struct seg_segment *segs, size_t n, int64_t start_us,
		      const struct exp_span *spans, size_t n_spans, struct exp_span_split *out)
{
	for (int d = 0; d < 2; d++)
		out->share[d] = exp_span_share(out->span_time_s, d == 0);
	double total_s = n ? (double)(segs[n - 1].end_us - start_us) / 1e6 : 0;
	double sum[2] = { 0 }, sum2[2] = { 0 };
	size_t count[2] = { 0 };
	for (int k = 0; k < EXP_NULL_SHIFTS; k++)
		out->null_share[0][k] = out->null_share[1][k] = NAN;
	for (int k = 0; total_s > 0 && k < EXP_NULL_SHIFTS; k++) {
		double t[SEG_CLASS_COUNT];
		shifted_class_time(segs, n, start_us, spans, n_spans, total_s * k / EXP_NULL_SHIFTS,
				   total_s, t);
		for (int d = 0; d < 2; d++) {
			double v = exp_span_share(t, d == 0);
			out->null_share[d][k] = v;
			if (!isfinite(v))
				continue;
			sum[d] += v;
			sum2[d] += v * v;
			count[d]++;
		}
	}
	for (int d = 0; d < 2; d++) {
		double mean = count[d] ? sum[d] / (double)count[d] : NAN;
		out->null_mean[d] = mean;
		out->null_var[d] =
			count[d] ? fmax(sum2[d] / (double)count[d] - mean * mean, 0) : NAN;
	}
}

void exp_split_spans(const struct seg_segment *segs, size_t n, int64_t start_us,
		     const struct exp_span *spans, size_t n_spans, struct exp_span_split *out)
{
	memset(out, 0, sizeof(*out));
	if (n_spans > 16)
		n_spans = 16;
	add_class_time_in_spans(segs, n, start_us, spans, n_spans, out->span_time_s,
				out->rest_time_s);
	span_null(segs, n, start_us, spans, n_spans, out);
}
