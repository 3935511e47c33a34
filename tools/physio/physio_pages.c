// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The report's pages: a summary, training and pain over time, terrain and
 * pain, stride, and the run list. A4, drawn the same on a PDF or an image
 * surface.
 */
#include <cairo-pdf.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build-config.h"
#include "cli.h"
#include "cli_util.h"
#include "clinical/pattern.h"
#include "physio/chart.h"
#include "physio/physio.h"
#include "report.h"
#include "util/xalloc.h"

#define PAGE_W 595.0 /* A4 in points */
#define PAGE_H 842.0
#define MARGIN 42.0
#define BODY_W (PAGE_W - 2 * MARGIN)
#define RUN_ROWS_PER_PAGE 52
#define WEEKS_MAX 260

struct page {
	cairo_t *cr;
	const struct physio_data *d;
	double y;
	unsigned number, count;
};

/* ---- styles ------------------------------------------------------------ */

/* Darkest for the steepest descent, lightest for the steepest climb, so the
 * order of the grey levels is the order of the grades; unknown hatched. */
static struct chart_style class_style(enum seg_class c)
{
	static const double grey[SEG_CLASS_COUNT] = { 0.1, 0.35, 0.6, 0.8, 0.97, 1.0 };
	static const enum chart_marker marker[SEG_CLASS_COUNT] = {
		CHART_MARKER_TRIANGLE, CHART_MARKER_DIAMOND, CHART_MARKER_CIRCLE,
		CHART_MARKER_SQUARE,   CHART_MARKER_CROSS,   CHART_MARKER_CIRCLE,
	};
	return (struct chart_style){ .grey = grey[c],
				     .marker = marker[c],
				     .hatch = c == SEG_UNKNOWN };
}

static const struct chart_style STYLE_DURING = { 0.0, CHART_MARKER_CIRCLE, 0, 1.2, false };
static const struct chart_style STYLE_AFTER = { 0.45, CHART_MARKER_SQUARE, 3, 1.0, false };
static const struct chart_style STYLE_MORNING = { 1.0, CHART_MARKER_TRIANGLE, 1.2, 0.8, false };

/* ---- page furniture ---------------------------------------------------- */

static const char *date_of(int64_t us, char *buf, size_t size)
{
	char full[32];
	snprintf(buf, size, "%.10s", cli_format_time(us, full, sizeof(full)));
	return buf;
}

static void heading(struct page *p, const char *text)
{
	p->y += chart_text(p->cr, MARGIN, p->y, BODY_W, text, CHART_FONT_HEADING, 0) + 6;
}

static void paragraph(struct page *p, const char *text, struct chart_font font)
{
	p->y += chart_text(p->cr, MARGIN, p->y, BODY_W, text, font, 0) + 4;
}

static void footer(struct page *p)
{
	const struct physio_data *d = p->d;
	char from[16], to[16], line[512];
	snprintf(line, sizeof(line),
		 "hamstride %s · database %s · runs from %s to %s · page %u of %u",
		 HAMSTRIDE_VERSION, d->options.db_path ? d->options.db_path : "-",
		 date_of(d->options.from_us, from, sizeof(from)),
		 date_of(d->options.to_us, to, sizeof(to)), p->number, p->count);
	chart_text(p->cr, MARGIN, PAGE_H - MARGIN + 12, BODY_W, line, CHART_FONT_SMALL, 1);
}

/* ---- figures from the runs --------------------------------------------- */

static double run_class_m(const struct physio_run *r, enum seg_class c)
{
	return r->class_m[c];
}

static double downhill_km(const struct physio_run *r)
{
	return (run_class_m(r, SEG_DOWN) + run_class_m(r, SEG_STEEP_DOWN)) / 1000;
}

static double uphill_km(const struct physio_run *r)
{
	return (run_class_m(r, SEG_UP) + run_class_m(r, SEG_STEEP_UP)) / 1000;
}

static double total_of(const struct physio_data *d, double (*get)(const struct physio_run *))
{
	double sum = 0;
	for (size_t i = 0; i < d->n_runs; i++) {
		double v = get(&d->runs[i]);
		if (isfinite(v))
			sum += v;
	}
	return sum;
}

static double get_distance(const struct physio_run *r)
{
	return r->distance_m;
}

static double get_duration(const struct physio_run *r)
{
	return r->duration_s;
}

/* The weeks the period covers, Monday 00:00 UTC, capped at WEEKS_MAX. */
static size_t period_weeks(const struct physio_data *d, int64_t *first_us)
{
	int64_t from = d->options.from_us, to = d->options.to_us;
	if (d->n_runs > 0) {
		/* An open period ("everything") starts at the first run. */
		if (from < d->runs[0].start_us - REPORT_WEEK_US)
			from = d->runs[0].start_us;
		if (to > d->runs[d->n_runs - 1].start_us + REPORT_WEEK_US)
			to = d->runs[d->n_runs - 1].start_us + 1;
	}
	*first_us = report_week_start(from);
	int64_t n = (to - 1 - *first_us) / REPORT_WEEK_US + 1;
	if (n < 1)
		n = 1;
	if (n > WEEKS_MAX) {
		*first_us += (n - WEEKS_MAX) * REPORT_WEEK_US;
		n = WEEKS_MAX;
	}
	return (size_t)n;
}

/* Position of a time on the week axis: week index plus fraction. */
static double week_x(int64_t t_us, int64_t first_us)
{
	return (double)(t_us - first_us) / (double)REPORT_WEEK_US;
}

/* ---- page 1: summary ----------------------------------------------------- */

/* The analysis's own wording of the verdict (clinical/pattern.h), so that
 * the report and 'hamstride patterns' say the same. */
static const char *verdict_words(const char *verdict)
{
	enum pattern_verdict v = PATTERN_INSUFFICIENT;
	pattern_verdict_from_name(verdict, &v);
	return pattern_verdict_words(v);
}

static void red_flags_box(struct page *p)
{
	const struct physio_data *d = p->d;
	if (d->n_red_flags == 0)
		return;
	char text[1400];
	size_t len =
		(size_t)snprintf(text, sizeof(text),
				 "SEE A DOCTOR PROMPTLY. The runner logged symptoms that need a "
				 "doctor, not a pattern analysis:");
	for (size_t i = 0; i < d->n_red_flags && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s %s", i ? ";" : "",
					d->red_flags[i]);
	if (len < sizeof(text))
		snprintf(text + len, sizeof(text) - len,
			 ". Massage and exercise wait until a clinician has excluded an acute "
			 "tear, a fracture, a clot or severe inflammation.");
	double top = p->y;
	double h = chart_text(p->cr, MARGIN + 8, top + 6, BODY_W - 16, text,
			      (struct chart_font){ 10.5, true, 0 }, 0);
	cairo_set_line_width(p->cr, 2);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	cairo_rectangle(p->cr, MARGIN, top, BODY_W, h + 12);
	cairo_stroke(p->cr);
	p->y += h + 20;
}

static void verdict_section(struct page *p)
{
	const struct physio_data *d = p->d;
	heading(p, "What the data resemble");
	if (d->n_pain_reports == 0) {
		paragraph(p,
			  "No pain was logged in this period, so there is nothing to relate to "
			  "the running. The runner logs pain with 'hamstride pain add'.",
			  CHART_FONT_BODY);
		return;
	}
	if (d->n_verdicts == 0) {
		paragraph(p, "Pain was logged, but no side has a pattern analysis.",
			  CHART_FONT_BODY);
		return;
	}
	for (size_t i = 0; i < d->n_verdicts; i++) {
		const struct physio_verdict *v = &d->verdicts[i];
		char line[768];
		snprintf(line, sizeof(line), "%s side: %s — the pain %s.", v->side, v->verdict,
			 verdict_words(v->verdict));
		line[0] = (char)(line[0] >= 'a' && line[0] <= 'z' ? line[0] - 32 : line[0]);
		paragraph(p, line, (struct chart_font){ 10.5, true, 0 });
		if (v->summary[0])
			paragraph(p, v->summary, CHART_FONT_BODY);
		for (size_t k = 0; k < v->n_evidence; k++) {
			char item[300];
			snprintf(item, sizeof(item), "• %s", v->evidence[k]);
			paragraph(p, item, CHART_FONT_BODY);
		}
		if (v->needed[0])
			paragraph(p, v->needed, CHART_FONT_BODY);
		if (v->load[0])
			paragraph(p, v->load, CHART_FONT_BODY);
		p->y += 4;
	}
}

static void period_section(struct page *p)
{
	const struct physio_data *d = p->d;
	heading(p, "The period");
	char text[512], dist[16], time[16];
	if (d->n_runs == 0) {
		paragraph(p, "No runs were recorded in this period.", CHART_FONT_BODY);
		return;
	}
	double class_km[SEG_CLASS_COUNT] = { 0 };
	size_t with_grade = 0;
	for (size_t i = 0; i < d->n_runs; i++) {
		with_grade += d->runs[i].has_segments;
		for (unsigned c = 0; c < SEG_CLASS_COUNT; c++)
			class_km[c] += d->runs[i].class_m[c] / 1000;
	}
	snprintf(text, sizeof(text),
		 "%zu runs, %s km in %s; %zu pain reports. %zu of the runs have a grade "
		 "source (barometer, shoe IMUs or treadmill).",
		 d->n_runs,
		 cli_format_number(total_of(d, get_distance) / 1000, 1, dist, sizeof(dist)),
		 cli_format_duration(total_of(d, get_duration), time, sizeof(time)),
		 d->n_pain_reports, with_grade);
	paragraph(p, text, CHART_FONT_BODY);
	if (with_grade > 0) {
		snprintf(text, sizeof(text),
			 "By grade: steep downhill %.1f km, downhill %.1f km, flat %.1f km, "
			 "uphill %.1f km, steep uphill %.1f km.",
			 class_km[SEG_STEEP_DOWN], class_km[SEG_DOWN], class_km[SEG_FLAT],
			 class_km[SEG_UP], class_km[SEG_STEEP_UP]);
		paragraph(p, text, CHART_FONT_BODY);
	}
	size_t warnings = 0;
	for (size_t i = 0; i < d->n_runs; i++) {
		const struct physio_run *r = &d->runs[i];
		if (!r->load_flagged)
			continue;
		if (warnings++ == 6) {
			paragraph(p, "• (more in the run list)", CHART_FONT_BODY);
			break;
		}
		char date[16];
		snprintf(text, sizeof(text),
			 "• Load: the run of %s (%.1f km) was %+.0f %% on the longest of the "
			 "previous 30 days, a jump associated with overuse injury.",
			 date_of(r->start_us, date, sizeof(date)), r->distance_m / 1000,
			 100 * (r->load_ratio - 1));
		paragraph(p, text, CHART_FONT_BODY);
	}
}

static void caveats_section(struct page *p)
{
	heading(p, "Caveats");
	for (size_t i = 0; i < p->d->n_caveats; i++) {
		char item[400];
		snprintf(item, sizeof(item), "• %s", p->d->caveats[i]);
		paragraph(p, item, CHART_FONT_BODY);
	}
}

static void page_summary(struct page *p)
{
	const struct physio_data *d = p->d;
	p->y += chart_text(p->cr, MARGIN, p->y, BODY_W,
			   "Running and posterior-thigh pain: report for the physiotherapist",
			   CHART_FONT_TITLE, 0) +
		6;
	char line[256], from[16], to[16];
	snprintf(line, sizeof(line), "%s%sruns from %s to %s%s%s",
		 d->options.runner ? d->options.runner : "", d->options.runner ? " · " : "",
		 date_of(d->options.from_us, from, sizeof(from)),
		 date_of(d->options.to_us, to, sizeof(to)), d->options.side ? " · side: " : "",
		 d->options.side ? d->options.side : "");
	paragraph(p, line, CHART_FONT_BODY);
	p->y += 8;
	red_flags_box(p);
	verdict_section(p);
	period_section(p);
	caveats_section(p);
}

/* ---- page 2: training and pain over time ------------------------------------ */

static const char **week_labels(int64_t first_us, size_t n)
{
	const char **labels = xcalloc(n, sizeof(*labels));
	for (size_t i = 0; i < n; i++) {
		char *buf = xmalloc(12);
		report_week_label(first_us + (int64_t)i * REPORT_WEEK_US, buf, 12);
		labels[i] = buf;
	}
	return labels;
}

static void free_labels(const char **labels, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)labels[i]);
	free(labels);
}

static void class_legend(struct page *p, double y, int kind)
{
	struct chart_legend_entry e[SEG_CLASS_COUNT];
	static const char *const names[SEG_CLASS_COUNT] = {
		"steep downhill (≤ −6 %)", "downhill",        "flat (−2 to +2 %)", "uphill",
		"steep uphill (≥ +6 %)",   "no grade source",
	};
	for (unsigned c = 0; c < SEG_CLASS_COUNT; c++)
		e[c] = (struct chart_legend_entry){ names[c], class_style(c), kind };
	chart_legend(p->cr, MARGIN + 52, y, BODY_W - 52, e, kind == 0 ? SEG_CLASS_COUNT : 5);
}

static void weekly_distance_chart(struct page *p, double top, double height)
{
	const struct physio_data *d = p->d;
	int64_t first;
	size_t n = period_weeks(d, &first);
	double *km = xcalloc(n * SEG_CLASS_COUNT, sizeof(*km));
	double peak = 1;
	for (size_t i = 0; i < d->n_runs; i++) {
		const struct physio_run *r = &d->runs[i];
		double w = floor(week_x(r->start_us, first));
		if (w < 0 || w >= (double)n)
			continue;
		double known = 0;
		for (unsigned c = 0; c < SEG_UNKNOWN; c++) {
			km[(size_t)w * SEG_CLASS_COUNT + c] += r->class_m[c] / 1000;
			known += r->class_m[c];
		}
		/* A run without grade counts whole as "no grade source". */
		double rest = isfinite(r->distance_m) ? r->distance_m - known : 0;
		if (rest > 0)
			km[(size_t)w * SEG_CLASS_COUNT + SEG_UNKNOWN] += rest / 1000;
	}
	for (size_t w = 0; w < n; w++) {
		double sum = 0;
		for (unsigned c = 0; c < SEG_CLASS_COUNT; c++)
			sum += km[w * SEG_CLASS_COUNT + c];
		peak = fmax(peak, sum);
	}
	const char **labels = week_labels(first, n);
	struct chart c;
	chart_begin(p->cr, &c, MARGIN, top, BODY_W, height, 0, 0, 0, peak, "ISO week",
		    "distance per week (km)", labels, n);
	struct chart_style styles[SEG_CLASS_COUNT];
	for (unsigned k = 0; k < SEG_CLASS_COUNT; k++)
		styles[k] = class_style(k);
	chart_stacked_bars(p->cr, &c, km, n, SEG_CLASS_COUNT, styles);
	if (d->n_runs == 0)
		chart_empty(p->cr, &c, "No runs in this period.");
	free_labels(labels, n);
	free(km);
	class_legend(p, top + height + 2, 0);
}

static void pain_series(const struct physio_data *d, int64_t first, int which, double *x, double *y)
{
	for (size_t i = 0; i < d->n_runs; i++) {
		const struct physio_run *r = &d->runs[i];
		x[i] = week_x(r->start_us, first);
		y[i] = which == 0 ? r->pain_during : which == 1 ? r->pain_after : r->pain_morning;
	}
}

static void pain_over_time_chart(struct page *p, double top, double height)
{
	const struct physio_data *d = p->d;
	int64_t first;
	size_t n = period_weeks(d, &first);
	const char **labels = week_labels(first, n);
	struct chart c;
	chart_begin(p->cr, &c, MARGIN, top, BODY_W, height, 0, 0, 0, 10, "ISO week", "pain (0–10)",
		    labels, n);
	free_labels(labels, n);
	for (size_t i = 0; i < d->n_runs; i++)
		if (d->runs[i].load_flagged)
			chart_mark_x(p->cr, &c, week_x(d->runs[i].start_us, first), "long");
	if (d->n_pain_reports == 0) {
		chart_empty(p->cr, &c, "No pain logged in this period.");
	} else {
		double *x = xcalloc(d->n_runs, sizeof(*x)), *y = xcalloc(d->n_runs, sizeof(*y));
		const struct chart_style *styles[3] = { &STYLE_DURING, &STYLE_AFTER,
							&STYLE_MORNING };
		for (int k = 0; k < 3; k++) {
			pain_series(d, first, k, x, y);
			chart_points(p->cr, &c, x, y, d->n_runs, *styles[k]);
		}
		free(x);
		free(y);
	}
	const struct chart_legend_entry e[] = {
		{ "during the run", STYLE_DURING, 1 },
		{ "after the run", STYLE_AFTER, 1 },
		{ "next morning", STYLE_MORNING, 1 },
		{ "long-run jump (> 110 % of the previous 30 days' longest)",
		  { 0, CHART_MARKER_CIRCLE, 2, 0.8, false },
		  2 },
	};
	chart_legend(p->cr, MARGIN + 52, top + height + 2, BODY_W - 52, e, 4);
}

static void page_training(struct page *p)
{
	heading(p, "Training and pain over time");
	paragraph(p,
		  "Each week's distance by grade class, and each run's pain on the same weeks. "
		  "A dashed line marks a run much longer than the previous 30 days' longest.",
		  CHART_FONT_BODY);
	double top = p->y + 6;
	weekly_distance_chart(p, top, 300);
	pain_over_time_chart(p, top + 350, 280);
}

/* ---- page 3: terrain and pain ----------------------------------------------- */

/* Least-squares line of y on x with its 95 % confidence band for the
 * mean, drawn over the points' x range; needs 3 points or more. */
static void fit_and_band(cairo_t *cr, const struct chart *c, const double *x, const double *y,
			 size_t n)
{
	double *fx = xcalloc(n ? n : 1, sizeof(*fx)), *fy = xcalloc(n ? n : 1, sizeof(*fy));
	size_t m = 0;
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]) && isfinite(y[i])) {
			fx[m] = x[i], fy[m] = y[i], m++;
			lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
		}
	double c0, c1, cov00, cov01, cov11, sumsq;
	if (m >= 3 && hi > lo &&
	    gsl_fit_linear(fx, 1, fy, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &sumsq) == 0) {
		enum { STEPS = 40 };
		double bx[STEPS], blo[STEPS], bhi[STEPS], by[STEPS];
		double t = gsl_cdf_tdist_Pinv(0.975, (double)(m - 2));
		for (int i = 0; i < STEPS; i++) {
			bx[i] = lo + (hi - lo) * i / (STEPS - 1);
			double yf, yerr;
			gsl_fit_linear_est(bx[i], c0, c1, cov00, cov01, cov11, &yf, &yerr);
			by[i] = yf, blo[i] = yf - t * yerr, bhi[i] = yf + t * yerr;
		}
		chart_band(cr, c, bx, blo, bhi, STEPS, 0.88);
		chart_line(cr, c, bx, by, STEPS, (struct chart_style){ 0, 0, 0, 1.2, false });
	}
	free(fx);
	free(fy);
}

static void pain_scatter(struct page *p, double left, double top, double width, double height,
			 double (*exposure)(const struct physio_run *), const char *x_title)
{
	const struct physio_data *d = p->d;
	double *x = xcalloc(d->n_runs ? d->n_runs : 1, sizeof(*x));
	double *y = xcalloc(d->n_runs ? d->n_runs : 1, sizeof(*y));
	double x_max = 1;
	size_t shown = 0;
	for (size_t i = 0; i < d->n_runs; i++) {
		const struct physio_run *r = &d->runs[i];
		x[i] = r->has_segments ? exposure(r) : NAN;
		y[i] = r->pain_during;
		if (isfinite(x[i]) && isfinite(y[i])) {
			x_max = fmax(x_max, x[i]);
			shown++;
		}
	}
	struct chart c;
	chart_begin(p->cr, &c, left, top, width, height, 0, x_max, 0, 10, x_title,
		    "pain during the run (0–10)", NULL, 0);
	if (shown == 0) {
		chart_empty(p->cr, &c,
			    d->n_pain_reports == 0 ? "No pain logged."
						   : "No reported run has a grade source.");
	} else {
		fit_and_band(p->cr, &c, x, y, d->n_runs);
		chart_points(p->cr, &c, x, y, d->n_runs, STYLE_DURING);
	}
	free(x);
	free(y);
}

static void profile_chart(struct page *p, const struct physio_profile *prof, double top,
			  double height)
{
	const struct physio_data *d = p->d;
	double lo = INFINITY, hi = -INFINITY, t_max = 60;
	for (size_t i = 0; i < prof->n; i++) {
		lo = fmin(lo, prof->elevation_m[i]), hi = fmax(hi, prof->elevation_m[i]);
		t_max = fmax(t_max, prof->t_s[i]);
	}
	double *t_min = xcalloc(prof->n ? prof->n : 1, sizeof(*t_min));
	for (size_t i = 0; i < prof->n; i++)
		t_min[i] = prof->t_s[i] / 60;
	char title[96], date[16];
	snprintf(title, sizeof(title), "run %lld of %s: time from the start (min)",
		 (long long)prof->run_id, date_of(prof->start_us, date, sizeof(date)));
	struct chart c;
	chart_begin(p->cr, &c, MARGIN, top, BODY_W, height, 0, t_max / 60, lo, hi, title,
		    "elevation (m)", NULL, 0);
	for (size_t k = 0; k < d->n_spans; k++)
		if (d->spans[k].run_id == prof->run_id)
			chart_shade_x(p->cr, &c, d->spans[k].from_s / 60, d->spans[k].to_s / 60,
				      0.8);
	if (prof->n == 0)
		chart_empty(p->cr, &c, "This run has no elevation samples.");
	chart_line(p->cr, &c, t_min, prof->elevation_m, prof->n,
		   (struct chart_style){ 0, 0, 0, 1.2, false });
	free(t_min);
}

static void page_terrain(struct page *p)
{
	const struct physio_data *d = p->d;
	heading(p, "Terrain and pain");
	paragraph(p,
		  "Pain during each run against how far it went downhill (grade −2 % or "
		  "steeper) and uphill (+2 % or steeper), with the least-squares line and its "
		  "95 % band. Below, the latest runs with reported painful spans (shaded).",
		  CHART_FONT_BODY);
	double top = p->y + 4, half = (BODY_W - 14) / 2;
	pain_scatter(p, MARGIN, top, half, 230, downhill_km, "downhill per run (km)");
	pain_scatter(p, MARGIN + half + 14, top, half, 230, uphill_km, "uphill per run (km)");
	top += 250;
	if (d->n_profiles == 0) {
		p->y = top;
		paragraph(p, "No painful spans within runs were reported in this period.",
			  CHART_FONT_BODY);
		return;
	}
	for (size_t i = 0; i < d->n_profiles; i++) {
		profile_chart(p, &d->profiles[i], top, 128);
		top += 138;
	}
	const struct chart_legend_entry e[] = {
		{ "elevation", { 0, 0, 0, 1.2, false }, 2 },
		{ "when it hurt", { 0.8, 0, 0, 0, false }, 0 },
	};
	chart_legend(p->cr, MARGIN + 52, top - 6, BODY_W - 52, e, 2);
}

/* ---- page 4: stride ---------------------------------------------------------- */

static void stride_speed_chart(struct page *p, double top, double height)
{
	const struct physio_data *d = p->d;
	double s_lo = INFINITY, s_hi = -INFINITY, v_lo = INFINITY, v_hi = -INFINITY;
	for (size_t i = 0; i < d->n_points; i++) {
		s_lo = fmin(s_lo, d->points[i].stride_m), s_hi = fmax(s_hi, d->points[i].stride_m);
		v_lo = fmin(v_lo, d->points[i].speed_mps),
		v_hi = fmax(v_hi, d->points[i].speed_mps);
	}
	struct chart c;
	chart_begin(p->cr, &c, MARGIN, top, BODY_W, height, v_lo, v_hi, s_lo, s_hi, "speed (m/s)",
		    "stride length (m)", NULL, 0);
	if (d->n_points == 0) {
		chart_empty(p->cr, &c, "No segment has both a speed and a stride length.");
		return;
	}
	double *x = xcalloc(d->n_points, sizeof(*x)), *y = xcalloc(d->n_points, sizeof(*y));
	for (unsigned cls = 0; cls < SEG_UNKNOWN; cls++) {
		size_t m = 0;
		for (size_t i = 0; i < d->n_points; i++)
			if (d->points[i].cls == cls)
				x[m] = d->points[i].speed_mps, y[m] = d->points[i].stride_m, m++;
		if (cls == SEG_FLAT)
			fit_and_band(p->cr, &c, x, y, m); /* the runner's usual stride */
		chart_points(p->cr, &c, x, y, m, class_style(cls));
	}
	free(x);
	free(y);
	class_legend(p, top + height + 2, 1);
}

/* Weekly mean of a per-segment value over the given classes. */
static void weekly_mean(const struct physio_data *d, int64_t first, size_t n, bool descents_only,
			double (*get)(const struct physio_stride_point *), double *out)
{
	double *sum = xcalloc(n, sizeof(*sum)), *cnt = xcalloc(n, sizeof(*cnt));
	for (size_t i = 0; i < d->n_points; i++) {
		const struct physio_stride_point *pt = &d->points[i];
		if (descents_only && pt->cls != SEG_DOWN && pt->cls != SEG_STEEP_DOWN)
			continue;
		double w = floor(week_x(pt->start_us, first)), v = get(pt);
		if (w >= 0 && w < (double)n && isfinite(v))
			sum[(size_t)w] += v, cnt[(size_t)w] += 1;
	}
	for (size_t w = 0; w < n; w++)
		out[w] = cnt[w] > 0 ? sum[w] / cnt[w] : NAN;
	free(sum);
	free(cnt);
}

static double get_ratio(const struct physio_stride_point *pt)
{
	return pt->stride_ratio;
}

static double get_cadence(const struct physio_stride_point *pt)
{
	return pt->cadence_spm;
}

static void weekly_line_chart(struct page *p, double top, double height, const double *v, size_t n,
			      int64_t first, const char *y_title, const char *empty)
{
	double lo = INFINITY, hi = -INFINITY;
	double *x = xcalloc(n, sizeof(*x));
	for (size_t w = 0; w < n; w++) {
		x[w] = (double)w + 0.5;
		if (isfinite(v[w]))
			lo = fmin(lo, v[w]), hi = fmax(hi, v[w]);
	}
	const char **labels = week_labels(first, n);
	struct chart c;
	chart_begin(p->cr, &c, MARGIN, top, BODY_W, height, 0, 0, lo, hi, "ISO week", y_title,
		    labels, n);
	free_labels(labels, n);
	if (!isfinite(lo))
		chart_empty(p->cr, &c, empty);
	chart_line(p->cr, &c, x, v, n, (struct chart_style){ 0, 0, 0, 1.0, false });
	chart_points(p->cr, &c, x, v, n, STYLE_DURING);
	free(x);
}

static void page_stride(struct page *p)
{
	const struct physio_data *d = p->d;
	heading(p, "Stride");
	paragraph(p,
		  "Each segment's stride length against its speed, by grade class, with the "
		  "runner's usual stride on the flat (line and band). Below: stride on descents "
		  "against the usual at the same speed (1.00 = usual; over-striding above), and "
		  "cadence, per week.",
		  CHART_FONT_BODY);
	double top = p->y + 4;
	stride_speed_chart(p, top, 250);
	int64_t first;
	size_t n = period_weeks(d, &first);
	double *v = xcalloc(n, sizeof(*v));
	weekly_mean(d, first, n, true, get_ratio, v);
	weekly_line_chart(p, top + 290, 150, v, n, first, "descent stride / usual",
			  "No descent has a usual stride to compare with.");
	weekly_mean(d, first, n, false, get_cadence, v);
	weekly_line_chart(p, top + 460, 150, v, n, first, "cadence (steps/min)",
			  "No cadence measured.");
	free(v);
	size_t two_feet = 0;
	double asym = 0;
	for (size_t i = 0; i < d->n_runs; i++)
		if (isfinite(d->runs[i].asymmetry_pct))
			asym += fabs(d->runs[i].asymmetry_pct), two_feet++;
	char text[200];
	if (two_feet)
		snprintf(
			text, sizeof(text),
			"Left/right stride asymmetry, from the shoe IMUs: mean %.1f %% over %zu runs "
			"(per run in the run list).",
			asym / (double)two_feet, two_feet);
	else
		snprintf(text, sizeof(text),
			 "Left/right asymmetry needs shoe IMUs on both feet: no run had them.");
	p->y = top + 630;
	paragraph(p, text, CHART_FONT_BODY);
}

/* ---- pages 5…: the run list ----------------------------------------------------- */

static void run_row(struct page *p, const struct physio_run *r, bool header)
{
	static const double col[] = { 0, 62, 108, 152, 196, 236, 276, 316, 352, 392, 430, 466 };
	char c[12][24];
	if (header) {
		const char *h[12] = { "date",   "km",  "time",   "↓ min", "flat min", "↑ min",
				      "min/km", "GAP", "stride", "L/R %", "pain d/a", "morning" };
		for (int i = 0; i < 12; i++)
			snprintf(c[i], sizeof(c[i]), "%s", h[i]);
	} else {
		double down_s = r->class_s[SEG_DOWN] + r->class_s[SEG_STEEP_DOWN];
		double up_s = r->class_s[SEG_UP] + r->class_s[SEG_STEEP_UP];
		date_of(r->start_us, c[0], sizeof(c[0]));
		cli_format_number(r->distance_m / 1000, 1, c[1], sizeof(c[1]));
		cli_format_duration(r->duration_s, c[2], sizeof(c[2]));
		cli_format_number(r->has_segments ? down_s / 60 : NAN, 0, c[3], sizeof(c[3]));
		cli_format_number(r->has_segments ? r->class_s[SEG_FLAT] / 60 : NAN, 0, c[4],
				  sizeof(c[4]));
		cli_format_number(r->has_segments ? up_s / 60 : NAN, 0, c[5], sizeof(c[5]));
		cli_format_pace(r->speed_mps, c[6], sizeof(c[6]));
		cli_format_pace(r->gap_s_per_km > 0 ? 1000 / r->gap_s_per_km : NAN, c[7],
				sizeof(c[7]));
		cli_format_number(r->stride_m, 2, c[8], sizeof(c[8]));
		cli_format_number(r->asymmetry_pct, 1, c[9], sizeof(c[9]));
		char during[8], after[8];
		snprintf(c[10], sizeof(c[10]), "%s/%s%s",
			 cli_format_number(r->pain_during, 0, during, sizeof(during)),
			 cli_format_number(r->pain_after, 0, after, sizeof(after)),
			 r->load_flagged ? " L" : "");
		cli_format_number(r->pain_morning, 0, c[11], sizeof(c[11]));
	}
	struct chart_font f = header ? (struct chart_font){ 7.5, true, 0 } : CHART_FONT_SMALL;
	for (int i = 0; i < 12; i++)
		chart_text(p->cr, MARGIN + col[i], p->y, 60, c[i], f, 0);
	p->y += 13;
}

static void page_runs(struct page *p, size_t first_run)
{
	const struct physio_data *d = p->d;
	heading(p, first_run == 0 ? "Run list" : "Run list (continued)");
	if (first_run == 0)
		paragraph(p,
			  "Time by grade in minutes (↓ downhill and steep downhill, ↑ uphill and "
			  "steep uphill); GAP, the grade-adjusted pace; pain during/after and the "
			  "next morning, 0–10; L marks a long-run jump.",
			  CHART_FONT_SMALL);
	run_row(p, NULL, true);
	for (size_t i = first_run; i < d->n_runs && i < first_run + RUN_ROWS_PER_PAGE; i++)
		run_row(p, &d->runs[i], false);
	if (d->n_runs == 0)
		paragraph(p, "No runs in this period.", CHART_FONT_BODY);
}

/* ---- the document ---------------------------------------------------------------- */

unsigned physio_page_count(const struct physio_data *d)
{
	size_t run_pages = d->n_runs ? (d->n_runs + RUN_ROWS_PER_PAGE - 1) / RUN_ROWS_PER_PAGE : 1;
	return 4 + (unsigned)run_pages;
}

static void draw_page(cairo_t *cr, const struct physio_data *d, unsigned number)
{
	struct page p = { cr, d, MARGIN, number, physio_page_count(d) };
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	switch (number) {
	case 1:
		page_summary(&p);
		break;
	case 2:
		page_training(&p);
		break;
	case 3:
		page_terrain(&p);
		break;
	case 4:
		page_stride(&p);
		break;
	default:
		page_runs(&p, (size_t)(number - 5) * RUN_ROWS_PER_PAGE);
		break;
	}
	footer(&p);
}

static int cairo_failure(cairo_status_t status, const char *path, char *why, size_t why_len)
{
	snprintf(why, why_len, "cannot write %s: %s", path, cairo_status_to_string(status));
	return status == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
}

/* The document's date is the period's end, not the clock, so the same
 * data give the same bytes. */
static void set_metadata(cairo_surface_t *pdf, const struct physio_data *d)
{
	char date[32];
	cli_format_time(d->options.to_us, date, sizeof(date));
	date[19] = '\0'; /* cairo wants 2026-11-21T07:30:15 */
	cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_TITLE,
				       "Running and posterior-thigh pain");
	cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_CREATOR,
				       "hamstride " HAMSTRIDE_VERSION);
	cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_CREATE_DATE, date);
}

int physio_render_pdf(const struct physio_data *d, const char *path, char *why, size_t why_len)
{
	cairo_surface_t *pdf = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
	cairo_status_t status = cairo_surface_status(pdf);
	if (status != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(pdf);
		return cairo_failure(status, path, why, why_len);
	}
	set_metadata(pdf, d);
	cairo_t *cr = cairo_create(pdf);
	unsigned pages = physio_page_count(d);
	for (unsigned i = 1; i <= pages; i++) {
		draw_page(cr, d, i);
		cairo_show_page(cr);
	}
	status = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_finish(pdf);
	if (status == CAIRO_STATUS_SUCCESS)
		status = cairo_surface_status(pdf);
	cairo_surface_destroy(pdf);
	return status == CAIRO_STATUS_SUCCESS ? 0 : cairo_failure(status, path, why, why_len);
}

int physio_render_png(const struct physio_data *d, unsigned page, double scale, const char *path,
		      char *why, size_t why_len)
{
	if (page < 1 || page > physio_page_count(d)) {
		snprintf(why, why_len, "the report has %u pages, not %u", physio_page_count(d),
			 page);
		return -ERANGE;
	}
	cairo_surface_t *img = cairo_image_surface_create(
		CAIRO_FORMAT_RGB24, (int)ceil(PAGE_W * scale), (int)ceil(PAGE_H * scale));
	cairo_t *cr = cairo_create(img);
	cairo_scale(cr, scale, scale);
	draw_page(cr, d, page);
	cairo_status_t status = cairo_status(cr);
	cairo_destroy(cr);
	if (status == CAIRO_STATUS_SUCCESS)
		status = cairo_surface_write_to_png(img, path);
	cairo_surface_destroy(img);
	return status == CAIRO_STATUS_SUCCESS ? 0 : cairo_failure(status, path, why, why_len);
}
