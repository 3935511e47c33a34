// SPDX-License-Identifier: GPL-2.0-or-later
#include "physio/chart.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>

/* DejaVu Sans is in every Debian install that has fonts at all
 * (fonts-dejavu-core); pango falls back to any sans face without it. */
#define CHART_FACE "DejaVu Sans, sans"

static PangoLayout *layout_for(cairo_t *cr, const char *text, struct chart_font font, double width)
{
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *desc = pango_font_description_from_string(CHART_FACE);
	pango_font_description_set_absolute_size(desc, font.size_pt * PANGO_SCALE);
	pango_font_description_set_weight(desc,
					  font.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(layout, desc);
	pango_font_description_free(desc);
	if (width > 0) {
		pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_text(layout, text, -1);
	return layout;
}

double chart_text(cairo_t *cr, double x, double y, double width, const char *text,
		  struct chart_font font, int align)
{
	PangoLayout *layout = layout_for(cr, text, font, width);
	pango_layout_set_alignment(layout, align == 1   ? PANGO_ALIGN_CENTER
					   : align == 2 ? PANGO_ALIGN_RIGHT
							: PANGO_ALIGN_LEFT);
	int w, h;
	pango_layout_get_size(layout, &w, &h);
	cairo_save(cr);
	cairo_set_source_rgb(cr, font.grey, font.grey, font.grey);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, layout);
	cairo_restore(cr);
	g_object_unref(layout);
	return (double)h / PANGO_SCALE;
}

void chart_text_vertical(cairo_t *cr, double cx, double cy, const char *text,
			 struct chart_font font)
{
	PangoLayout *layout = layout_for(cr, text, font, 0);
	int w, h;
	pango_layout_get_size(layout, &w, &h);
	cairo_save(cr);
	cairo_set_source_rgb(cr, font.grey, font.grey, font.grey);
	cairo_translate(cr, cx, cy);
	cairo_rotate(cr, -M_PI / 2);
	cairo_move_to(cr, -(double)w / PANGO_SCALE / 2, -(double)h / PANGO_SCALE / 2);
	pango_cairo_update_layout(cr, layout);
	pango_cairo_show_layout(cr, layout);
	cairo_restore(cr);
	g_object_unref(layout);
}

double chart_tick_step(double span, int target)
{
	if (!(span > 0) || !isfinite(span) || target < 1)
		return 1;
	double raw = span / target;
	double power = pow(10, floor(log10(raw)));
	double unit = raw / power;
	double step = unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10;
	return step * power;
}

double chart_px(const struct chart *c, double x)
{
	return c->x + (x - c->x_min) / (c->x_max - c->x_min) * c->w;
}

double chart_py(const struct chart *c, double y)
{
	return c->y + c->h - (y - c->y_min) / (c->y_max - c->y_min) * c->h;
}

/* A range that holds at least something and ends on whole ticks. */
static void round_range(double *lo, double *hi, int target)
{
	if (!isfinite(*lo) || !isfinite(*hi)) {
		*lo = 0;
		*hi = 1;
	}
	if (*hi <= *lo)
		*hi = *lo + (*lo == 0 ? 1 : fabs(*lo) * 0.1);
	double step = chart_tick_step(*hi - *lo, target);
	*lo = floor(*lo / step + 1e-9) * step;
	*hi = ceil(*hi / step - 1e-9) * step;
}

/* Tick labels with as many decimals as the step needs. */
static void format_tick(double v, double step, char *buf, size_t size)
{
	int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	if (fabs(v) < step * 1e-6)
		v = 0; /* no "-0" */
	snprintf(buf, size, "%.*f", decimals, v);
}

static void draw_y_ticks(cairo_t *cr, const struct chart *c)
{
	double step = chart_tick_step(c->y_max - c->y_min, 5);
	int ticks = (int)floor((c->y_max - c->y_min) / step + 1e-6);
	for (int i = 0; i <= ticks; i++) {
		double v = c->y_min + i * step;
		double py = chart_py(c, v);
		cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
		cairo_move_to(cr, c->x, py);
		cairo_line_to(cr, c->x + c->w, py);
		cairo_stroke(cr);
		char label[32];
		format_tick(v, step, label, sizeof(label));
		chart_text(cr, c->x - 40, py - 5, 36, label, CHART_FONT_SMALL, 2);
	}
}

static void draw_x_ticks(cairo_t *cr, const struct chart *c, const char *const *labels, size_t n)
{
	cairo_set_source_rgb(cr, 0, 0, 0);
	if (labels) {
		/* Categories: each at its centre, thinned to about 40 pt apart. */
		size_t every = 1;
		while (n / every > 0 && c->w / ((double)n / (double)every) < 40)
			every++;
		for (size_t i = 0; i < n; i += every) {
			double px = chart_px(c, (double)i + 0.5);
			chart_text(cr, px - 30, c->y + c->h + 3, 60, labels[i], CHART_FONT_SMALL,
				   1);
		}
		return;
	}
	double step = chart_tick_step(c->x_max - c->x_min, 6);
	int ticks = (int)floor((c->x_max - c->x_min) / step + 1e-6);
	for (int i = 0; i <= ticks; i++) {
		double v = c->x_min + i * step;
		double px = chart_px(c, v);
		cairo_move_to(cr, px, c->y + c->h);
		cairo_line_to(cr, px, c->y + c->h + 3);
		cairo_stroke(cr);
		char label[32];
		format_tick(v, step, label, sizeof(label));
		chart_text(cr, px - 25, c->y + c->h + 4, 50, label, CHART_FONT_SMALL, 1);
	}
}

void chart_begin(cairo_t *cr, struct chart *c, double x, double y, double w, double h, double x_min,
		 double x_max, double y_min, double y_max, const char *x_title, const char *y_title,
		 const char *const *x_labels, size_t n_x_labels)
{
	/* Room for the y tick labels and title on the left, the x ones below. */
	*c = (struct chart){ .x = x + 52, .y = y + 4, .w = w - 60, .h = h - 36 };
	if (x_labels) {
		x_min = 0;
		x_max = n_x_labels > 0 ? (double)n_x_labels : 1;
	} else {
		round_range(&x_min, &x_max, 6);
	}
	round_range(&y_min, &y_max, 5);
	c->x_min = x_min, c->x_max = x_max, c->y_min = y_min, c->y_max = y_max;

	cairo_save(cr);
	cairo_set_line_width(cr, 0.5);
	draw_y_ticks(cr, c);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_rectangle(cr, c->x, c->y, c->w, c->h);
	cairo_stroke(cr);
	draw_x_ticks(cr, c, x_labels, n_x_labels);
	cairo_restore(cr);
	chart_text(cr, c->x, c->y + c->h + 16, c->w, x_title, CHART_FONT_SMALL, 1);
	chart_text_vertical(cr, x + 7, c->y + c->h / 2, y_title, CHART_FONT_SMALL);
}

static void clip_to(cairo_t *cr, const struct chart *c)
{
	cairo_save(cr);
	cairo_rectangle(cr, c->x, c->y, c->w, c->h);
	cairo_clip(cr);
}

static void hatch_rect(cairo_t *cr, double x, double y, double w, double h)
{
	cairo_save(cr);
	cairo_rectangle(cr, x, y, w, h);
	cairo_clip(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 0.4);
	int lines = (int)ceil((w + h) / 4);
	for (int i = 0; i < lines; i++) {
		double d = -h + 4 * i;
		cairo_move_to(cr, x + d, y + h);
		cairo_line_to(cr, x + d + h, y);
	}
	cairo_stroke(cr);
	cairo_restore(cr);
}

static void fill_box(cairo_t *cr, double x, double y, double w, double h, struct chart_style s)
{
	cairo_set_source_rgb(cr, s.grey, s.grey, s.grey);
	cairo_rectangle(cr, x, y, w, h);
	cairo_fill_preserve(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 0.4);
	cairo_stroke(cr);
	if (s.hatch)
		hatch_rect(cr, x, y, w, h);
}

void chart_stacked_bars(cairo_t *cr, const struct chart *c, const double *values, size_t n,
			size_t n_stack, const struct chart_style *styles)
{
	clip_to(cr, c);
	double slot = c->w / (c->x_max - c->x_min);
	for (size_t i = 0; i < n; i++) {
		double base = 0;
		for (size_t k = 0; k < n_stack; k++) {
			double v = values[i * n_stack + k];
			if (!(v > 0))
				continue;
			double top = chart_py(c, base + v), bottom = chart_py(c, base);
			fill_box(cr, chart_px(c, (double)i) + slot * 0.15, top, slot * 0.7,
				 bottom - top, styles[k]);
			base += v;
		}
	}
	cairo_restore(cr);
}

static void marker_path(cairo_t *cr, double px, double py, enum chart_marker m, double r)
{
	switch (m) {
	case CHART_MARKER_SQUARE:
		cairo_rectangle(cr, px - r, py - r, 2 * r, 2 * r);
		break;
	case CHART_MARKER_TRIANGLE:
		cairo_move_to(cr, px, py - r * 1.2);
		cairo_line_to(cr, px + r * 1.1, py + r * 0.8);
		cairo_line_to(cr, px - r * 1.1, py + r * 0.8);
		cairo_close_path(cr);
		break;
	case CHART_MARKER_DIAMOND:
		cairo_move_to(cr, px, py - r * 1.3);
		cairo_line_to(cr, px + r * 1.3, py);
		cairo_line_to(cr, px, py + r * 1.3);
		cairo_line_to(cr, px - r * 1.3, py);
		cairo_close_path(cr);
		break;
	case CHART_MARKER_CROSS:
		cairo_move_to(cr, px - r, py - r);
		cairo_line_to(cr, px + r, py + r);
		cairo_move_to(cr, px - r, py + r);
		cairo_line_to(cr, px + r, py - r);
		break;
	case CHART_MARKER_CIRCLE:
	default:
		cairo_new_sub_path(cr);
		cairo_arc(cr, px, py, r, 0, 2 * M_PI);
		break;
	}
}

/* Fills and outlines whatever marker paths are current, in the style. */
static void paint_markers(cairo_t *cr, struct chart_style s)
{
	cairo_set_line_width(cr, 0.6);
	if (s.marker != CHART_MARKER_CROSS) {
		cairo_set_source_rgb(cr, s.grey, s.grey, s.grey);
		cairo_fill_preserve(cr);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_stroke(cr);
}

static void draw_marker(cairo_t *cr, double px, double py, struct chart_style s)
{
	marker_path(cr, px, py, s.marker, 2.4);
	paint_markers(cr, s);
}

/* One path for all the points, painted once: a PDF keeps every drawing
 * operation until the page is done, and years of segments are tens of
 * thousands of points. */
void chart_points(cairo_t *cr, const struct chart *c, const double *x, const double *y, size_t n,
		  struct chart_style style)
{
	clip_to(cr, c);
	cairo_new_path(cr);
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]) && isfinite(y[i]))
			marker_path(cr, chart_px(c, x[i]), chart_py(c, y[i]), style.marker, 2.4);
	paint_markers(cr, style);
	cairo_restore(cr);
}

static void line_style(cairo_t *cr, struct chart_style s)
{
	cairo_set_source_rgb(cr, s.grey, s.grey, s.grey);
	cairo_set_line_width(cr, s.line_pt > 0 ? s.line_pt : 1.0);
	if (s.dash_pt > 0) {
		double dash[2] = { s.dash_pt, s.dash_pt * 0.7 };
		cairo_set_dash(cr, dash, 2, 0);
	} else {
		cairo_set_dash(cr, NULL, 0, 0);
	}
}

void chart_line(cairo_t *cr, const struct chart *c, const double *x, const double *y, size_t n,
		struct chart_style style)
{
	clip_to(cr, c);
	line_style(cr, style);
	bool drawing = false;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i])) {
			drawing = false;
			continue;
		}
		if (drawing)
			cairo_line_to(cr, chart_px(c, x[i]), chart_py(c, y[i]));
		else
			cairo_move_to(cr, chart_px(c, x[i]), chart_py(c, y[i]));
		drawing = true;
	}
	cairo_stroke(cr);
	cairo_restore(cr);
}

void chart_band(cairo_t *cr, const struct chart *c, const double *x, const double *lo,
		const double *hi, size_t n, double grey)
{
	if (n < 2)
		return;
	clip_to(cr, c);
	cairo_move_to(cr, chart_px(c, x[0]), chart_py(c, hi[0]));
	for (size_t i = 1; i < n; i++)
		cairo_line_to(cr, chart_px(c, x[i]), chart_py(c, hi[i]));
	for (size_t i = n; i-- > 0;)
		cairo_line_to(cr, chart_px(c, x[i]), chart_py(c, lo[i]));
	cairo_close_path(cr);
	cairo_set_source_rgb(cr, grey, grey, grey);
	cairo_fill(cr);
	cairo_restore(cr);
}

void chart_shade_x(cairo_t *cr, const struct chart *c, double x0, double x1, double grey)
{
	clip_to(cr, c);
	double a = chart_px(c, x0), b = chart_px(c, x1);
	cairo_rectangle(cr, a, c->y, b - a, c->h);
	cairo_set_source_rgb(cr, grey, grey, grey);
	cairo_fill(cr);
	cairo_restore(cr);
}

void chart_mark_x(cairo_t *cr, const struct chart *c, double x, const char *label)
{
	double px = chart_px(c, x);
	cairo_save(cr);
	line_style(cr, (struct chart_style){ .grey = 0, .dash_pt = 2, .line_pt = 0.8 });
	cairo_move_to(cr, px, c->y);
	cairo_line_to(cr, px, c->y + c->h);
	cairo_stroke(cr);
	cairo_restore(cr);
	if (label)
		chart_text(cr, px - 20, c->y + 1, 40, label, CHART_FONT_SMALL, 1);
}

double chart_legend(cairo_t *cr, double x, double y, double width,
		    const struct chart_legend_entry *entries, size_t n)
{
	double cx = x, row = 11, height = row;
	for (size_t i = 0; i < n; i++) {
		PangoLayout *layout = layout_for(cr, entries[i].label, CHART_FONT_SMALL, 0);
		int tw, th;
		pango_layout_get_size(layout, &tw, &th);
		g_object_unref(layout);
		double item = 16 + (double)tw / PANGO_SCALE + 10;
		if (cx > x && cx + item > x + width) {
			cx = x;
			y += row;
			height += row;
		}
		cairo_save(cr);
		const struct chart_style *s = &entries[i].style;
		if (entries[i].kind == 0) {
			fill_box(cr, cx, y + 2, 11, 7, *s);
		} else if (entries[i].kind == 1) {
			draw_marker(cr, cx + 5.5, y + 5.5, *s);
		} else {
			line_style(cr, *s);
			cairo_move_to(cr, cx, y + 5.5);
			cairo_line_to(cr, cx + 12, y + 5.5);
			cairo_stroke(cr);
		}
		cairo_restore(cr);
		chart_text(cr, cx + 16, y, 0, entries[i].label, CHART_FONT_SMALL, 0);
		cx += item;
	}
	return height;
}

void chart_empty(cairo_t *cr, const struct chart *c, const char *message)
{
	chart_text(cr, c->x + 10, c->y + c->h / 2 - 8, c->w - 20, message, CHART_FONT_BODY, 1);
}
