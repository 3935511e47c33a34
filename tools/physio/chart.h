/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Charts for the physiotherapist's report, drawn with cairo and pango on
 * any surface (PDF for the report, PNG for the tests). Every chart has
 * axes with units and a legend, and tells its series apart by grey level,
 * marker shape and dash, never by colour alone, so it reads when printed
 * in greyscale.
 */
#pragma once

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>

/* Where a chart's data go on the page, in points, and the data ranges. */
struct chart {
	double x, y, w, h; /* the plot area, inside the axes */
	double x_min, x_max, y_min, y_max;
};

/* A text style: size in points, bold or not, grey level 0 (black) to 1. */
struct chart_font {
	double size_pt;
	bool bold;
	double grey;
};
#define CHART_FONT_BODY ((struct chart_font){ 9.5, false, 0.0 })
#define CHART_FONT_SMALL ((struct chart_font){ 7.5, false, 0.2 })
#define CHART_FONT_HEADING ((struct chart_font){ 13.0, true, 0.0 })
#define CHART_FONT_TITLE ((struct chart_font){ 17.0, true, 0.0 })

/*
 * Writes text (UTF-8, plain: no markup) wrapped to width at x, y (top
 * left); returns its height. align: 0 left, 1 centre, 2 right.
 */
double chart_text(cairo_t *cr, double x, double y, double width, const char *text,
		  struct chart_font font, int align);
/* As chart_text, rotated a quarter turn anticlockwise, centred on cx, cy. */
void chart_text_vertical(cairo_t *cr, double cx, double cy, const char *text,
			 struct chart_font font);

/*
 * Sets up a chart in the box x, y, w, h (axes and labels included), with
 * data ranges widened to round tick values; draws the frame, ticks, tick
 * labels and axis titles (with units, e.g. "descent per run (km)").
 * x_labels, when not NULL, names the n_x_labels categories 0..n-1 along x
 * instead of numeric ticks (weeks, say), thinning them to fit.
 */
void chart_begin(cairo_t *cr, struct chart *c, double x, double y, double w, double h, double x_min,
		 double x_max, double y_min, double y_max, const char *x_title, const char *y_title,
		 const char *const *x_labels, size_t n_x_labels);
/* Page coordinates of a data point. */
double chart_px(const struct chart *c, double x);
double chart_py(const struct chart *c, double y);

/* Series styles: a grey level for fills, a marker and a dash for lines. */
enum chart_marker {
	CHART_MARKER_CIRCLE,
	CHART_MARKER_SQUARE,
	CHART_MARKER_TRIANGLE,
	CHART_MARKER_DIAMOND,
	CHART_MARKER_CROSS,
};
struct chart_style {
	double grey; /* 0 black .. 1 white */
	enum chart_marker marker;
	double dash_pt; /* 0: solid */
	double line_pt; /* line width */
	bool hatch;     /* fill hatched as well as grey (for "unknown") */
};

/* Stacked bars: values[i * n_stack + k] is stack k of category i. */
void chart_stacked_bars(cairo_t *cr, const struct chart *c, const double *values, size_t n,
			size_t n_stack, const struct chart_style *styles);
/* Points; NAN coordinates are skipped. */
void chart_points(cairo_t *cr, const struct chart *c, const double *x, const double *y, size_t n,
		  struct chart_style style);
/* A polyline, broken at NAN values. */
void chart_line(cairo_t *cr, const struct chart *c, const double *x, const double *y, size_t n,
		struct chart_style style);
/* The area between lo and hi along x (a confidence band). */
void chart_band(cairo_t *cr, const struct chart *c, const double *x, const double *lo,
		const double *hi, size_t n, double grey);
/* Shades x0..x1 across the plot's height (a span when it hurt). */
void chart_shade_x(cairo_t *cr, const struct chart *c, double x0, double x1, double grey);
/* A vertical marker line at x with a short label at the top. */
void chart_mark_x(cairo_t *cr, const struct chart *c, double x, const char *label);

/* A legend row at x, y: one swatch per entry, as drawn in the chart
 * (kind 0 filled box, 1 marker, 2 line). Returns its height. */
struct chart_legend_entry {
	const char *label;
	struct chart_style style;
	int kind;
};
double chart_legend(cairo_t *cr, double x, double y, double width,
		    const struct chart_legend_entry *entries, size_t n);
/* A message in the middle of an empty chart ("no pain logged"), so a chart
 * without data says so instead of being blank. */
void chart_empty(cairo_t *cr, const struct chart *c, const char *message);

/* Round tick spacing for a range: 1, 2 or 5 times a power of ten, so
 * that about target ticks fit. */
double chart_tick_step(double span, int target);
