/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "import/imu_csv.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define GRAVITY_MPS2 9.80665
#define DEG_TO_RAD (M_PI / 180)
#define MAX_HEADER_ROWS 3
#define CELL_MAX 128
/* Slots of a row: the time, then six channels per foot. */
#define SLOTS (1 + 6 * IMU_CSV_MAX_FEET)
/* |acc| histogram: log10 from MAG_LOG_MIN, MAG_BINS_PER_DECADE a decade. */
#define MAG_LOG_MIN (-3.0)
#define MAG_BINS_PER_DECADE 30.0
/* Foot angular rates stay well below this in rad/s (about 2300 °/s);
 * rates in °/s pass it at every swing. */
#define GYRO_UNIT_SPLIT 40.0
#define GAP_PERIODS 2.5
/* Histograms of |acc|: all samples, then quiet ones by either gyro unit. */
#define MAG_ALL 0
#define QUIET_RADPS 0
#define QUIET_DPS 1
#define QUIET_RADPS_MAX 0.6 /* rad/s: a foot in stance turns slower */
#define QUIET_DPS_MAX 35.0
/* A clipped channel found in the data sits exactly at its largest value;
 * against a range the user gives, calibrated outputs saturate a little
 * below or above the nominal full scale (a 3DM-GX5 at ±500 °/s sits at
 * 8.70-8.72 rad/s of 8.727), so readings within 1.5 % of it count. */
#define CLIP_TOLERANCE_FOUND 1e-4
#define CLIP_TOLERANCE_GIVEN 0.015

static const char *const channel_names[6] = { "acc x",  "acc y",  "acc z",
					      "gyro x", "gyro y", "gyro z" };

struct imu_csv {
	struct imu_csv_layout layout;
	char delim; /* ' ' for whitespace */
	unsigned long line;
	unsigned long skipped;
	unsigned header_rows;
	char *header_text[MAX_HEADER_ROWS]; /* kept until the data fix the delimiter */
	size_t ncols;
	char **names; /* ncols joined header names, or NULL */
	bool ready;   /* columns resolved */
	unsigned feet;
	uint8_t foot[IMU_CSV_MAX_FEET];
	int col[SLOTS]; /* 0-based column of each slot, -1 unused */
	int max_col;
	bool have_prev;
	double prev_t;
	unsigned long prev_line;
	bool any_row;
	char label[SLOTS][96];
	char error[IMU_CSV_ERROR_LEN];
};

static enum imu_csv_status fail(struct imu_csv *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum imu_csv_status fail(struct imu_csv *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return IMU_CSV_ERROR;
}

/* ---- cells ---- */

/* The next cell at *p: start and length without quotes or surrounding
 * space. Returns false at the end of the line. */
static bool next_cell(const char **p, char delim, const char **start, size_t *len, bool *first)
{
	const char *s = *p;
	if (delim == ' ') {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return false;
	} else if (!*first) {
		if (*s != delim)
			return false;
		s++;
	}
	*first = false;
	while (*s == ' ' || (*s == '\t' && delim != '\t'))
		s++;
	if (*s == '"') {
		const char *q = ++s;
		while (*q && !(*q == '"' && q[1] != '"'))
			q += *q == '"' ? 2 : 1;
		*start = s;
		*len = (size_t)(q - s);
		s = *q ? q + 1 : q;
	} else {
		const char *q = s;
		while (*q && (delim == ' ' ? (*q != ' ' && *q != '\t') : *q != delim))
			q++;
		*start = s;
		*len = (size_t)(q - s);
		s = q;
	}
	while (*len && isspace((unsigned char)(*start)[*len - 1]))
		(*len)--;
	if (delim != ' ')
		while (*s && *s != delim)
			s++; /* text after a closing quote */
	*p = s;
	return true;
}

static void copy_cell(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
}

/* A finite number filling the whole cell. */
static bool parse_number(const char *cell, size_t len, double *out)
{
	char buf[CELL_MAX];
	if (len == 0 || len >= sizeof(buf))
		return false;
	copy_cell(buf, sizeof(buf), cell, len);
	char *end;
	double v = strtod(buf, &end);
	if (end == buf || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* ---- header names ---- */

/* Lower-case letters and digits of a name, without bracketed units:
 * "Acc_X [m/s^2]" -> "accx". */
static void name_key(const char *name, char *key, size_t size)
{
	size_t n = 0;
	int depth = 0;
	for (const char *p = name; *p && n + 1 < size; p++) {
		if (*p == '[' || *p == '(')
			depth++;
		else if ((*p == ']' || *p == ')') && depth > 0)
			depth--;
		else if (depth == 0 && isalnum((unsigned char)*p))
			key[n++] = (char)tolower((unsigned char)*p);
	}
	key[n] = 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The channel a header name stands for (0..5), or -1. */
static int name_channel(const char *key)
{
	size_t n = strlen(key);
	if (n < 2)
		return -1;
	char axis = key[n - 1];
	if (axis != 'x' && axis != 'y' && axis != 'z')
		return -1;
	int k = axis - 'x';
	if (strstr(key, "acc") || (n == 2 && key[0] == 'a'))
		return k;
	if (strstr(key, "gyr") || (n == 2 && (key[0] == 'g' || key[0] == 'w')))
		return 3 + k;
	return -1;
}

static bool name_is_time(const char *key)
{
	return starts_with(key, "time") || strcmp(key, "t") == 0 || strcmp(key, "ts") == 0;
}

static uint8_t name_foot(const char *key)
{
	if (strstr(key, "left"))
		return IMU_FOOT_LEFT;
	if (strstr(key, "right"))
		return IMU_FOOT_RIGHT;
	return IMU_FOOT_UNKNOWN;
}

/* "Time, ax, ay, ..." for messages, shortened to fit. */
static void header_list(const struct imu_csv *r, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < r->ncols && n + 8 < size; i++) {
		int w = snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
				 r->names[i][0] ? r->names[i] : "(empty)");
		if (w < 0 || (size_t)w >= size - n) {
			snprintf(buf + (n < size - 5 ? n : size - 5), 5, "...");
			return;
		}
		n += (size_t)w;
	}
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* A column spec: 1-based index or header name. -1 with an error set. */
static int find_column(struct imu_csv *r, const char *spec, const char *what)
{
	while (isspace((unsigned char)*spec))
		spec++;
	if (all_digits(spec)) {
		long v = strtol(spec, NULL, 10);
		if (v < 1 || v > 100000) {
			fail(r, "%s column %s: columns count from 1", what, spec);
			return -1;
		}
		return (int)v - 1;
	}
	if (!r->names) {
		fail(r, "%s column '%s': the file has no header row, so give columns by number",
		     what, spec);
		return -1;
	}
	char want[CELL_MAX];
	size_t len = strlen(spec);
	while (len && isspace((unsigned char)spec[len - 1]))
		len--;
	copy_cell(want, sizeof(want), spec, len);
	for (size_t i = 0; i < r->ncols; i++)
		if (strcasecmp(r->names[i], want) == 0)
			return (int)i;
	char list[512];
	header_list(r, list, sizeof(list));
	fail(r, "no column named '%s' (%s) in the header; it has: %s", want, what, list);
	return -1;
}

/* ---- choosing columns ---- */

/* Columns found by name, per foot label (unknown, left, right). */
struct found {
	int col[3][6];
	int time;
};

/* Nothing found yet: every column -1. */
static void found_init(struct found *f)
{
	memset(f->col, -1, sizeof(f->col));
	f->time = -1;
}

static enum imu_csv_status find_by_name(struct imu_csv *r, struct found *f)
{
	for (size_t i = 0; i < r->ncols; i++) {
		char key[CELL_MAX];
		name_key(r->names[i], key, sizeof(key));
		int ch = name_channel(key);
		if (ch < 0) {
			if (f->time < 0 && name_is_time(key))
				f->time = (int)i;
			continue;
		}
		uint8_t foot = name_foot(key);
		if (f->col[foot][ch] >= 0)
			return fail(r,
				    "columns '%s' and '%s' both look like %s%s%s; say which with "
				    "--acc or --gyro",
				    r->names[f->col[foot][ch]], r->names[i], channel_names[ch],
				    foot ? " of the " : "",
				    foot == IMU_FOOT_LEFT ? "left foot"
				    : foot                ? "right foot"
							  : "");
		f->col[foot][ch] = (int)i;
	}
	return IMU_CSV_ROW;
}

static bool complete(const struct found *f, int label)
{
	for (int ch = 0; ch < 6; ch++)
		if (f->col[label][ch] < 0)
			return false;
	return true;
}

static const char *layout_spec(const struct imu_csv *r, int ch)
{
	return ch < 3 ? r->layout.acc_cols[ch] : r->layout.gyro_cols[ch - 3];
}

/* One foot: explicit specs first, the rest from the best group of names. */
static enum imu_csv_status choose_one_foot(struct imu_csv *r, const struct found *f)
{
	int label = r->layout.foot <= IMU_FOOT_RIGHT ? r->layout.foot : IMU_FOOT_UNKNOWN;
	int group = label;
	if (r->names && !complete(f, group))
		for (int g = 0; g < 3; g++)
			if (complete(f, g)) {
				group = g;
				break;
			}
	r->feet = 1;
	r->foot[0] = (uint8_t)(label ? label : group);
	for (int ch = 0; ch < 6; ch++) {
		const char *spec = layout_spec(r, ch);
		int c;
		if (spec) {
			if ((c = find_column(r, spec, channel_names[ch])) < 0)
				return IMU_CSV_ERROR;
		} else if (!r->names) {
			c = 1 + ch; /* time, acc x y z, gyro x y z */
		} else if ((c = f->col[group][ch]) < 0) {
			char list[512];
			header_list(r, list, sizeof(list));
			return fail(r,
				    "no %s column found (looked for names like %s); the header "
				    "has: %s; name the columns with %s",
				    channel_names[ch],
				    ch < 3 ? "acc_x, accelY, az" : "gyr_x, gyroY, gz", list,
				    ch < 3 ? "--acc" : "--gyro");
		}
		r->col[1 + ch] = c;
	}
	return IMU_CSV_ROW;
}

static bool any_sensor_spec(const struct imu_csv *r)
{
	for (int ch = 0; ch < 6; ch++)
		if (layout_spec(r, ch))
			return true;
	return false;
}

static enum imu_csv_status choose_columns(struct imu_csv *r)
{
	struct found f;
	found_init(&f); /* stays so for a file without names */
	memset(r->col, -1, sizeof(r->col));
	if (r->names && find_by_name(r, &f) == IMU_CSV_ERROR)
		return IMU_CSV_ERROR;
	bool both = r->names && !any_sensor_spec(r) && r->layout.foot == IMU_FOOT_UNKNOWN &&
		    complete(&f, IMU_FOOT_LEFT) && complete(&f, IMU_FOOT_RIGHT);
	if (both) {
		r->feet = 2;
		for (int s = 0; s < 2; s++) {
			r->foot[s] = (uint8_t)(IMU_FOOT_LEFT + s);
			for (int ch = 0; ch < 6; ch++)
				r->col[1 + 6 * s + ch] = f.col[IMU_FOOT_LEFT + s][ch];
		}
	} else if (choose_one_foot(r, &f) == IMU_CSV_ERROR) {
		return IMU_CSV_ERROR;
	}
	if (r->layout.time_col) {
		if ((r->col[0] = find_column(r, r->layout.time_col, "time")) < 0)
			return IMU_CSV_ERROR;
	} else {
		r->col[0] = f.time >= 0 ? f.time : 0;
	}
	r->max_col = 0;
	for (int s = 0; s < SLOTS; s++) {
		if (r->col[s] > r->max_col)
			r->max_col = r->col[s];
		if (s > 0 && r->col[s] >= 0 && r->col[s] == r->col[0])
			return fail(r, "column %d is used both as the time and as %s",
				    r->col[0] + 1, channel_names[(s - 1) % 6]);
	}
	for (int s = 0; s < SLOTS; s++) {
		if (r->col[s] < 0)
			continue;
		if (r->names && (size_t)r->col[s] < r->ncols && r->names[r->col[s]][0])
			snprintf(r->label[s], sizeof(r->label[s]), "%s", r->names[r->col[s]]);
		else
			snprintf(r->label[s], sizeof(r->label[s]), "column %d", r->col[s] + 1);
	}
	r->ready = true;
	return IMU_CSV_ROW;
}

/* ---- the reader ---- */

struct imu_csv *imu_csv_new(const struct imu_csv_layout *layout, char *why, size_t why_len)
{
	if (layout->delimiter && layout->delimiter != ',' && layout->delimiter != ';' &&
	    layout->delimiter != '\t' && layout->delimiter != ' ' && layout->delimiter != '|') {
		snprintf(why, why_len, "delimiter '%c': use , ; tab | or space", layout->delimiter);
		return NULL;
	}
	struct imu_csv *r = xcalloc(1, sizeof(*r));
	r->layout = *layout;
	r->delim = layout->delimiter;
	return r;
}

void imu_csv_free(struct imu_csv *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncols; i++)
		free(r->names[i]);
	free(r->names);
	for (unsigned i = 0; i < r->header_rows; i++)
		free(r->header_text[i]);
	free(r);
}

const char *imu_csv_error(const struct imu_csv *r)
{
	return r->error;
}

unsigned imu_csv_feet(const struct imu_csv *r)
{
	return r->feet;
}

uint8_t imu_csv_foot(const struct imu_csv *r, unsigned index)
{
	return index < r->feet ? r->foot[index] : IMU_FOOT_UNKNOWN;
}

const char *imu_csv_column_name(const struct imu_csv *r, unsigned foot_index, int channel)
{
	if (!r->ready || foot_index >= IMU_CSV_MAX_FEET || channel < -1 || channel > 5)
		return "";
	return r->label[channel < 0 ? 0 : 1 + 6 * foot_index + (unsigned)channel];
}

static char guess_delimiter(const char *line)
{
	if (strchr(line, ','))
		return ',';
	if (strchr(line, ';'))
		return ';';
	if (strchr(line, '\t'))
		return '\t';
	return ' ';
}

/* A header row has at least as many text cells as numbers. */
static bool is_header(char delim, const char *line)
{
	const char *p = line, *cell;
	size_t len;
	bool first = true;
	unsigned text = 0, numbers = 0;
	double v;
	while (next_cell(&p, delim, &cell, &len, &first)) {
		if (len == 0)
			continue;
		if (parse_number(cell, len, &v))
			numbers++;
		else
			text++;
	}
	return text >= numbers && text > 0;
}

static void add_header_row(struct imu_csv *r, const char *line)
{
	const char *p = line, *cell;
	size_t len, i = 0;
	bool first = true;
	while (next_cell(&p, r->delim, &cell, &len, &first)) {
		if (i == r->ncols) {
			r->names = xreallocarray(r->names, r->ncols + 1, sizeof(*r->names));
			r->names[r->ncols++] = xcalloc(1, 1);
		}
		if (len) {
			size_t old = strlen(r->names[i]);
			char *joined = xmalloc(old + len + 2);
			memcpy(joined, r->names[i], old);
			if (old)
				joined[old++] = ' ';
			memcpy(joined + old, cell, len);
			joined[old + len] = 0;
			free(r->names[i]);
			r->names[i] = joined;
		}
		i++;
	}
}

/* The line without its CR/LF, in buf (or the line itself if it has none). */
static const char *chomp(const char *line, char **copy)
{
	size_t len = strlen(line);
	*copy = NULL;
	if (len == 0 || (line[len - 1] != '\n' && line[len - 1] != '\r'))
		return line;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	*copy = xmalloc(len + 1);
	memcpy(*copy, line, len);
	(*copy)[len] = 0;
	return *copy;
}

static bool blank(const char *line)
{
	for (; *line; line++)
		if (!isspace((unsigned char)*line))
			return false;
	return true;
}

static enum imu_csv_status parse_row(struct imu_csv *r, const char *line, struct imu_csv_row *out)
{
	const char *p = line, *cell;
	size_t len;
	bool first = true;
	int col = 0;
	double v[SLOTS];
	bool seen[SLOTS] = { false };
	while (col <= r->max_col && next_cell(&p, r->delim, &cell, &len, &first)) {
		for (int s = 0; s < SLOTS; s++) {
			if (r->col[s] != col)
				continue;
			if (!parse_number(cell, len, &v[s])) {
				char text[40];
				copy_cell(text, sizeof(text), cell, len);
				return fail(r, "%lu:%d: %s (%s) is %s%s%s, not a number", r->line,
					    col + 1, s ? channel_names[(s - 1) % 6] : "time",
					    r->label[s], len ? "'" : "empty", len ? text : "",
					    len ? "'" : "");
			}
			seen[s] = true;
		}
		col++;
	}
	for (int s = 0; s < SLOTS; s++)
		if (r->col[s] >= 0 && !seen[s])
			return fail(r, "%lu: the row has %d cells; %s (%s) is column %d", r->line,
				    col, s ? channel_names[(s - 1) % 6] : "time", r->label[s],
				    r->col[s] + 1);
	if (r->have_prev && !(v[0] > r->prev_t))
		return fail(r, "%lu:%d: time %.9g %s line %lu's %.9g; times must increase", r->line,
			    r->col[0] + 1, v[0], v[0] == r->prev_t ? "repeats" : "goes back from",
			    r->prev_line, r->prev_t);
	r->have_prev = true;
	r->prev_t = v[0];
	r->prev_line = r->line;
	out->line = r->line;
	out->t = v[0];
	out->feet = r->feet;
	for (unsigned f = 0; f < r->feet; f++)
		memcpy(out->v[f], &v[1 + 6 * f], sizeof(out->v[f]));
	r->any_row = true;
	return IMU_CSV_ROW;
}

static enum imu_csv_status feed_line(struct imu_csv *r, const char *line, struct imu_csv_row *out)
{
	if (r->skipped < r->layout.skip_rows) {
		r->skipped++;
		return IMU_CSV_SKIPPED;
	}
	if (blank(line))
		return IMU_CSV_SKIPPED;
	if (!r->ready) {
		/* Until the first row of numbers, each line may be prose with
		 * its own separators; the numbers' delimiter splits the header. */
		char delim = r->delim ? r->delim : guess_delimiter(line);
		if (is_header(delim, line)) {
			if (r->header_rows == MAX_HEADER_ROWS)
				return fail(r,
					    "%lu: more than %d lines of text before the numbers; "
					    "skip a preamble with --skip-rows",
					    r->line, MAX_HEADER_ROWS);
			r->header_text[r->header_rows++] = xstrdup(line);
			return IMU_CSV_SKIPPED;
		}
		r->delim = delim;
		for (unsigned i = 0; i < r->header_rows; i++)
			add_header_row(r, r->header_text[i]);
		if (choose_columns(r) == IMU_CSV_ERROR)
			return IMU_CSV_ERROR;
	}
	return parse_row(r, line, out);
}

enum imu_csv_status imu_csv_feed(struct imu_csv *r, const char *line, struct imu_csv_row *out)
{
	r->line++;
	char *copy;
	const char *text = chomp(line, &copy);
	enum imu_csv_status st = feed_line(r, text, out);
	free(copy);
	return st;
}

enum imu_csv_status imu_csv_finish(struct imu_csv *r)
{
	if (r->any_row)
		return IMU_CSV_ROW;
	return fail(r, "%lu: the file ends without a row of numbers%s", r->line,
		    r->header_rows ? " after its header" : "");
}

/* ---- pass 1 ---- */

void imu_csv_survey_init(struct imu_csv_survey *s)
{
	memset(s, 0, sizeof(*s));
	s->integer_times = true;
	for (int f = 0; f < IMU_CSV_MAX_FEET; f++) {
		s->foot[f].mag_min = INFINITY;
		s->foot[f].mag_max = 0;
	}
}

static int mag_bin(double mag)
{
	if (!(mag > 0))
		return 0;
	double b = (log10(mag) - MAG_LOG_MIN) * MAG_BINS_PER_DECADE;
	return b < 0 ? 0 : b >= IMU_CSV_MAG_BINS - 1 ? IMU_CSV_MAG_BINS - 1 : (int)b;
}

static void channel_add(struct imu_csv_channel *c, double v)
{
	double a = fabs(v);
	if (a > c->max_abs * (1 + 1e-12)) {
		c->max_abs = a;
		c->at_max = 1;
	} else if (a >= c->max_abs * (1 - 1e-12)) {
		c->at_max++;
	}
}

void imu_csv_survey_add(struct imu_csv_survey *s, const struct imu_csv_row *row)
{
	if (s->rows == 0) {
		s->t_first = row->t;
		s->first_line = row->line;
		s->feet = row->feet;
	} else if (s->n_intervals < IMU_CSV_INTERVALS) {
		s->intervals[s->n_intervals++] = row->t - s->t_last;
	}
	s->t_last = row->t;
	s->rows++;
	if (row->t != floor(row->t))
		s->integer_times = false;
	for (unsigned f = 0; f < row->feet && f < IMU_CSV_MAX_FEET; f++) {
		const double *v = row->v[f];
		double mag = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
		double rate = sqrt(v[3] * v[3] + v[4] * v[4] + v[5] * v[5]);
		int bin = mag_bin(mag);
		for (int h = 0; h < 3; h++) {
			if (h == 1 + QUIET_RADPS && rate >= QUIET_RADPS_MAX)
				continue;
			if (h == 1 + QUIET_DPS && rate >= QUIET_DPS_MAX)
				continue;
			s->foot[f].mag_hist[h][bin]++;
			s->foot[f].mag_sum[h][bin] += mag;
		}
		if (mag < s->foot[f].mag_min)
			s->foot[f].mag_min = mag;
		if (mag > s->foot[f].mag_max)
			s->foot[f].mag_max = mag;
		for (int k = 0; k < 3; k++)
			s->foot[f].acc_sum[k] += v[k];
		if (rate > s->foot[f].gyro_peak)
			s->foot[f].gyro_peak = rate;
		if (rate > GYRO_UNIT_SPLIT)
			s->foot[f].gyro_over_40++;
		for (int ch = 0; ch < 6; ch++)
			channel_add(&s->foot[f].ch[ch], v[ch]);
	}
}

void imu_csv_survey_merge(struct imu_csv_survey *s, const struct imu_csv_survey *o)
{
	if (o->rows == 0)
		return;
	if (s->rows == 0 || o->t_first < s->t_first)
		s->t_first = o->t_first;
	if (o->t_last > s->t_last)
		s->t_last = o->t_last;
	s->integer_times = s->integer_times && o->integer_times;
	for (unsigned f = 0; f < o->feet && s->feet < IMU_CSV_MAX_FEET; f++)
		s->foot[s->feet++] = o->foot[f];
}

/* ---- deciding ---- */

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_interval(const struct imu_csv_survey *s)
{
	double v[IMU_CSV_INTERVALS];
	if (s->n_intervals == 0)
		return NAN;
	memcpy(v, s->intervals, s->n_intervals * sizeof(v[0]));
	qsort(v, s->n_intervals, sizeof(v[0]), compare_double);
	return v[s->n_intervals / 2];
}

/* The median magnitude, to within the mean of its bin. */
static double median_magnitude(const uint64_t *hist, const double *sum)
{
	uint64_t total = 0, seen = 0;
	for (int b = 0; b < IMU_CSV_MAG_BINS; b++)
		total += hist[b];
	for (int b = 0; b < IMU_CSV_MAG_BINS && total; b++) {
		seen += hist[b];
		if (seen * 2 >= total)
			return sum[b] / (double)hist[b];
	}
	return NAN;
}

/* Gravity as the accelerometer sees it: the median magnitude while the
 * foot hardly turns (stance), else over every sample. */
static double gravity_magnitude(const struct imu_csv_survey *s, unsigned f,
				enum imu_csv_gyro_unit gu)
{
	int h = 1 + (gu == IMU_CSV_GYRO_DPS ? QUIET_DPS : QUIET_RADPS);
	uint64_t quiet = 0;
	for (int b = 0; b < IMU_CSV_MAG_BINS; b++)
		quiet += s->foot[f].mag_hist[h][b];
	if (quiet * 20 < s->rows)
		h = MAG_ALL;
	return median_magnitude(s->foot[f].mag_hist[h], s->foot[f].mag_sum[h]);
}

static double time_scale_s(enum imu_csv_time_unit u, double rate_hz)
{
	switch (u) {
	case IMU_CSV_TIME_MS:
		return 1e-3;
	case IMU_CSV_TIME_US:
		return 1e-6;
	case IMU_CSV_TIME_SAMPLES:
		return 1 / rate_hz;
	default:
		return 1;
	}
}

static bool reject(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool reject(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

static const char *foot_word(const struct imu_csv_survey *s, unsigned f)
{
	if (s->feet < 2)
		return "the";
	return f == 0 ? "the first foot's" : "the second foot's";
}

static bool resolve_time(const struct imu_csv_survey *s, const struct imu_csv_options *o,
			 struct imu_csv_resolved *res, char *why, size_t len)
{
	double med = median_interval(s);
	if (s->rows < 3 || !(med > 0))
		return reject(why, len, "only %llu rows of samples: far too short to find strides",
			      (unsigned long long)s->rows);
	res->time_unit = o->time_unit;
	if (res->time_unit == IMU_CSV_TIME_AUTO) {
		res->time_unit_detected = true;
		if (s->integer_times && med == 1)
			res->time_unit = IMU_CSV_TIME_SAMPLES;
		else if (med >= 0.00025 && med <= 0.02)
			res->time_unit = IMU_CSV_TIME_S;
		else if (med > 1 && med <= 20)
			res->time_unit = IMU_CSV_TIME_MS;
		else if (med >= 250 && med <= 20000)
			res->time_unit = IMU_CSV_TIME_US;
		else
			return reject(why, len,
				      "samples are %.6g apart in the time column: that is "
				      "no IMU rate in s, ms or us; give --time-unit (and --rate)",
				      med);
	}
	if (res->time_unit == IMU_CSV_TIME_SAMPLES && !(o->rate_hz > 0))
		return reject(why, len,
			      "the time column counts samples (%.0f, %.0f, ...): give the "
			      "sample rate with --rate HZ",
			      s->t_first, s->t_first + med);
	res->rate_hz = o->rate_hz > 0 ? o->rate_hz : 1 / (med * time_scale_s(res->time_unit, 0));
	res->rate_estimated = !(o->rate_hz > 0);
	if (res->rate_hz < 50 || res->rate_hz > 4000)
		return reject(why, len,
			      "a sample rate of %.4g Hz (%s): the stride estimator needs "
			      "50 to 4000 Hz; check --time-unit or give --rate",
			      res->rate_hz, res->rate_estimated ? "from the time column" : "given");
	res->t0 = s->t_first;
	res->duration_s = (s->t_last - s->t_first) * time_scale_s(res->time_unit, res->rate_hz);
	double min_s = o->min_duration_s > 0 ? o->min_duration_s : 2;
	if (res->duration_s < min_s)
		return reject(why, len,
			      "only %.2f s of data (%llu samples): at least %.0f s are "
			      "needed to find strides",
			      res->duration_s, (unsigned long long)s->rows, min_s);
	return true;
}

static bool resolve_acc(const struct imu_csv_survey *s, const struct imu_csv_options *o,
			struct imu_csv_resolved *res, char *why, size_t len)
{
	res->acc_unit = o->acc_unit;
	res->acc_unit_detected = o->acc_unit == IMU_CSV_ACC_AUTO;
	for (unsigned f = 0; f < s->feet; f++) {
		double med = gravity_magnitude(s, f, res->gyro_unit);
		enum imu_csv_acc_unit looks = med >= 0.5 && med <= 2  ? IMU_CSV_ACC_G
					      : med >= 5 && med <= 20 ? IMU_CSV_ACC_MPS2
								      : IMU_CSV_ACC_AUTO;
		if (o->acc_unit == IMU_CSV_ACC_AUTO) {
			if (looks == IMU_CSV_ACC_AUTO)
				return reject(why, len,
					      "%s accelerometer's magnitude is mostly "
					      "%.3g in the file's units, neither gravity in g (1) "
					      "nor in m/s² (9.8): check the columns, or give "
					      "--acc-unit",
					      foot_word(s, f), med);
			if (f > 0 && looks != res->acc_unit)
				return reject(why, len,
					      "the two feet's accelerometers are in different "
					      "units; give --acc-unit");
			res->acc_unit = looks;
		} else if (looks != o->acc_unit) {
			bool said_g = o->acc_unit == IMU_CSV_ACC_G;
			double si = said_g ? med * GRAVITY_MPS2 : med;
			return reject(why, len,
				      "with --acc-unit %s %s accelerometer mostly reads "
				      "%.3g m/s², but at rest it reads gravity, 9.81 m/s²%s",
				      said_g ? "g" : "mps2", foot_word(s, f), si,
				      looks == IMU_CSV_ACC_AUTO ? "; check the columns"
				      : said_g ? ": the data look like m/s²; use --acc-unit mps2"
					       : ": the data look like g; use --acc-unit g");
		}
		res->acc_gravity_mps2[f] =
			med * (res->acc_unit == IMU_CSV_ACC_G ? GRAVITY_MPS2 : 1);
	}
	return true;
}

static double acc_scale(enum imu_csv_acc_unit u)
{
	return u == IMU_CSV_ACC_G ? GRAVITY_MPS2 : 1;
}

static double gyro_scale(enum imu_csv_gyro_unit u)
{
	return u == IMU_CSV_GYRO_DPS ? DEG_TO_RAD : 1;
}

static bool resolve_gyro(const struct imu_csv_survey *s, const struct imu_csv_options *o,
			 struct imu_csv_resolved *res, char *why, size_t len)
{
	bool fast = false, moving_slowly = false;
	double peak = 0;
	for (unsigned f = 0; f < s->feet; f++) {
		fast = fast || s->foot[f].gyro_over_40 >= 3;
		/* Steps swing |acc| by more than half of gravity, whatever the unit. */
		double g =
			median_magnitude(s->foot[f].mag_hist[MAG_ALL], s->foot[f].mag_sum[MAG_ALL]);
		double spread = (s->foot[f].mag_max - s->foot[f].mag_min) / g;
		if (s->foot[f].gyro_peak > peak)
			peak = s->foot[f].gyro_peak;
		if (spread > 0.5 && s->foot[f].gyro_peak < GYRO_UNIT_SPLIT)
			moving_slowly = true;
	}
	res->gyro_unit = o->gyro_unit;
	res->gyro_unit_detected = o->gyro_unit == IMU_CSV_GYRO_AUTO;
	if (res->gyro_unit_detected)
		res->gyro_unit = fast ? IMU_CSV_GYRO_DPS : IMU_CSV_GYRO_RADPS;
	else if (o->gyro_unit == IMU_CSV_GYRO_RADPS && fast)
		return reject(why, len,
			      "with --gyro-unit radps the gyroscope peaks at %.0f rad/s "
			      "(%.0f turns a second), beyond any foot: the data look like "
			      "°/s; use --gyro-unit dps",
			      peak, peak / (2 * M_PI));
	else if (o->gyro_unit == IMU_CSV_GYRO_DPS && moving_slowly)
		return reject(why, len,
			      "with --gyro-unit dps the gyroscope never passes %.1f °/s "
			      "while the accelerometer shows steps: the data look like rad/s; "
			      "use --gyro-unit radps",
			      peak);
	for (unsigned f = 0; f < s->feet; f++)
		res->gyro_peak_radps[f] = s->foot[f].gyro_peak * gyro_scale(res->gyro_unit);
	return true;
}

/* A foot that never turned faster than this nor left gravity by more
 * than this did not walk, let alone run. */
#define STILL_GYRO_RADPS 0.5
#define STILL_ACC_MPS2 2.0

static bool check_moving(const struct imu_csv_survey *s, const struct imu_csv_resolved *res,
			 char *why, size_t len)
{
	for (unsigned f = 0; f < s->feet; f++) {
		double lo = s->foot[f].mag_min * acc_scale(res->acc_unit);
		double hi = s->foot[f].mag_max * acc_scale(res->acc_unit);
		double dev = fmax(fabs(hi - res->acc_gravity_mps2[f]),
				  fabs(res->acc_gravity_mps2[f] - lo));
		if (res->gyro_peak_radps[f] < STILL_GYRO_RADPS && dev < STILL_ACC_MPS2)
			return reject(why, len,
				      "%s sensor did not move: its rotation never passed "
				      "%.1f °/s and its acceleration stayed within %.2f m/s² "
				      "of gravity, so there are no strides to import",
				      s->feet > 1 ? foot_word(s, f) : "the",
				      res->gyro_peak_radps[f] / DEG_TO_RAD, dev);
	}
	return true;
}

static void resolve_mounting(const struct imu_csv_survey *s, struct imu_csv_resolved *res)
{
	for (unsigned f = 0; f < s->feet; f++) {
		const double *a = s->foot[f].acc_sum;
		int k = 0;
		for (int i = 1; i < 3; i++)
			if (fabs(a[i]) > fabs(a[k]))
				k = i;
		snprintf(res->mount_axis[f], sizeof(res->mount_axis[f]), "%c%c",
			 a[k] < 0 ? '-' : '+', 'x' + k);
		res->mounting[f] = k != 2     ? IMU_CSV_MOUNT_SIDEWAYS
				   : a[k] < 0 ? IMU_CSV_MOUNT_Z_DOWN
					      : IMU_CSV_MOUNT_Z_UP;
	}
}

/* A channel saturates where several samples sit exactly at its largest
 * magnitude, and that magnitude is one a foot sensor's range could be. */
static void resolve_clipping(const struct imu_csv_survey *s, const struct imu_csv_options *o,
			     struct imu_csv_resolved *res)
{
	for (unsigned f = 0; f < IMU_CSV_MAX_FEET; f++)
		for (int ch = 0; ch < 6; ch++) {
			res->clip_level[f][ch] = INFINITY;
			res->clip_detected[f][ch] = false;
			if (f >= s->feet)
				continue;
			bool acc = ch < 3;
			double given = acc ? o->acc_range_g * GRAVITY_MPS2
					   : o->gyro_range_dps * DEG_TO_RAD;
			double scale = acc ? acc_scale(res->acc_unit) : gyro_scale(res->gyro_unit);
			double max = s->foot[f].ch[ch].max_abs * scale;
			double plausible = acc ? 2 * GRAVITY_MPS2 : 300 * DEG_TO_RAD;
			if (given > 0) {
				res->clip_level[f][ch] = given * (1 - CLIP_TOLERANCE_GIVEN);
			} else if (s->foot[f].ch[ch].at_max >= 3 && max >= plausible) {
				res->clip_level[f][ch] = max * (1 - CLIP_TOLERANCE_FOUND);
				res->clip_detected[f][ch] = true;
			}
		}
}

bool imu_csv_resolve(const struct imu_csv_survey *s, const struct imu_csv_options *opt,
		     struct imu_csv_resolved *out, char *why, size_t why_len)
{
	struct imu_csv_resolved res;
	memset(&res, 0, sizeof(res));
	if (!resolve_time(s, opt, &res, why, why_len) ||
	    !resolve_gyro(s, opt, &res, why, why_len) || !resolve_acc(s, opt, &res, why, why_len) ||
	    !check_moving(s, &res, why, why_len))
		return false;
	resolve_mounting(s, &res);
	resolve_clipping(s, opt, &res);
	*out = res;
	return true;
}

double imu_csv_epoch_s(const struct imu_csv_resolved *res)
{
	if (res->time_unit == IMU_CSV_TIME_SAMPLES)
		return NAN;
	double t = res->t0 * time_scale_s(res->time_unit, res->rate_hz);
	return t >= 978307200.0 && t < 4102444800.0 ? t : NAN; /* 2001 .. 2100 */
}

/* ---- pass 2 ---- */

void imu_csv_converter_init(struct imu_csv_converter *c, const struct imu_csv_resolved *res,
			    int64_t start_us, unsigned foot_offset)
{
	memset(c, 0, sizeof(*c));
	c->res = *res;
	c->start_us = start_us;
	c->foot_offset = foot_offset;
}

unsigned imu_csv_convert(struct imu_csv_converter *c, const struct imu_csv *r,
			 const struct imu_csv_row *row, struct imu_sample *out, bool *had_gap,
			 struct imu_csv_gap *gap)
{
	const struct imu_csv_resolved *res = &c->res;
	double scale_us = 1e6 * time_scale_s(res->time_unit, res->rate_hz);
	int64_t t_us = c->start_us + llround((row->t - res->t0) * scale_us);
	int64_t period_us = llround(1e6 / res->rate_hz);
	*had_gap = c->have_prev && (double)(t_us - c->prev_us) > GAP_PERIODS * (double)period_us;
	if (*had_gap) {
		gap->from_us = c->prev_us + period_us;
		gap->to_us = t_us;
	}
	c->have_prev = true;
	c->prev_us = t_us;
	double as = acc_scale(res->acc_unit), gs = gyro_scale(res->gyro_unit);
	for (unsigned i = 0; i < row->feet; i++) {
		unsigned f = c->foot_offset + i < IMU_CSV_MAX_FEET ? c->foot_offset + i : 0;
		struct imu_sample *s = &out[i];
		memset(s, 0, sizeof(*s));
		s->t_us = t_us;
		s->foot = imu_csv_foot(r, i);
		for (int k = 0; k < 3; k++) {
			s->acc_mps2[k] = row->v[i][k] * as;
			s->gyro_radps[k] = row->v[i][3 + k] * gs;
		}
		for (int ch = 0; ch < 6; ch++) {
			double v = ch < 3 ? s->acc_mps2[ch] : s->gyro_radps[ch - 3];
			if (fabs(v) >= res->clip_level[f][ch])
				s->clipped |= (uint8_t)(IMU_CLIP_ACC_X << ch);
		}
		if (s->clipped)
			c->clipped[i]++;
	}
	return row->feet;
}

const char *imu_csv_time_unit_name(enum imu_csv_time_unit u)
{
	static const char *const names[] = { "auto", "s", "ms", "us", "samples" };
	return (unsigned)u < sizeof(names) / sizeof(names[0]) ? names[u] : "?";
}

const char *imu_csv_acc_unit_name(enum imu_csv_acc_unit u)
{
	return u == IMU_CSV_ACC_G ? "g" : u == IMU_CSV_ACC_MPS2 ? "m/s²" : "auto";
}

const char *imu_csv_gyro_unit_name(enum imu_csv_gyro_unit u)
{
	return u == IMU_CSV_GYRO_DPS ? "°/s" : u == IMU_CSV_GYRO_RADPS ? "rad/s" : "auto";
}
