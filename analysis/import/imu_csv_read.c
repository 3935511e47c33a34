/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading an IMU recording's text: the delimiter, the header rows and the
 * columns they name, and each data row's cells as numbers, checked for
 * time that increases and values no sensor could give. What the numbers
 * mean is decided in imu_csv_resolve.c.
 */
#include "import/imu_csv.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define MAX_HEADER_ROWS 3
#define CELL_MAX 128
/* Slots of a row: the time, then six channels per foot. */
#define SLOTS (1 + 6 * IMU_CSV_MAX_FEET)

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
	enum imu_csv_unit unit[SLOTS]; /* named in the header */
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

/* ---- units in names ---- */

/* Spellings of each unit, lower case without spaces, '*' or '^', with
 * "²" as 2, "°" and "degrees" as deg, "µ" as u. */
static const struct {
	const char *text;
	enum imu_csv_unit unit;
} unit_spellings[] = {
	{ "g", IMU_CSV_UNIT_G },
	{ "m/s2", IMU_CSV_UNIT_MPS2 },
	{ "ms-2", IMU_CSV_UNIT_MPS2 },
	{ "mps2", IMU_CSV_UNIT_MPS2 },
	{ "ms2", IMU_CSV_UNIT_MPS2 },
	{ "m/s/s", IMU_CSV_UNIT_MPS2 },
	{ "mpss", IMU_CSV_UNIT_MPS2 },
	{ "deg/s", IMU_CSV_UNIT_DPS },
	{ "degs-1", IMU_CSV_UNIT_DPS },
	{ "dps", IMU_CSV_UNIT_DPS },
	{ "degps", IMU_CSV_UNIT_DPS },
	{ "degs", IMU_CSV_UNIT_DPS },
	{ "deg/sec", IMU_CSV_UNIT_DPS },
	{ "rad/sec", IMU_CSV_UNIT_RADPS },
	{ "rad/s", IMU_CSV_UNIT_RADPS },
	{ "rads-1", IMU_CSV_UNIT_RADPS },
	{ "radps", IMU_CSV_UNIT_RADPS },
	{ "rads", IMU_CSV_UNIT_RADPS },
	{ "radians/s", IMU_CSV_UNIT_RADPS },
	{ "s", IMU_CSV_UNIT_S },
	{ "sec", IMU_CSV_UNIT_S },
	{ "secs", IMU_CSV_UNIT_S },
	{ "seconds", IMU_CSV_UNIT_S },
	{ "ms", IMU_CSV_UNIT_MS },
	{ "msec", IMU_CSV_UNIT_MS },
	{ "us", IMU_CSV_UNIT_US },
	{ "usec", IMU_CSV_UNIT_US },
};

/* Appends src to dst, replacing what spellings differ in. */
static void normalise_unit(const char *src, size_t len, char *dst, size_t size)
{
	static const struct {
		const char *from, *to;
	} subst[] = { { "\xc2\xb2", "2" }, { "\xc2\xb0", "deg" }, { "\xc2\xb5", "u" },
		      { "\xce\xbc", "u" }, { "degrees", "deg" },  { "degree", "deg" } };
	size_t n = 0;
	for (size_t i = 0; i < len && n + 4 < size;) {
		bool replaced = false;
		for (size_t k = 0; k < sizeof(subst) / sizeof(subst[0]) && !replaced; k++) {
			size_t fl = strlen(subst[k].from);
			if (i + fl <= len && strncasecmp(src + i, subst[k].from, fl) == 0) {
				size_t tl = strlen(subst[k].to);
				memcpy(dst + n, subst[k].to, tl);
				n += tl;
				i += fl;
				replaced = true;
			}
		}
		if (replaced)
			continue;
		char c = src[i++];
		if (c != ' ' && c != '*' && c != '^')
			dst[n++] = (char)tolower((unsigned char)c);
	}
	dst[n] = 0;
}

static enum imu_csv_unit unit_of(const char *text, size_t len)
{
	char norm[64];
	normalise_unit(text, len, norm, sizeof(norm));
	for (size_t i = 0; i < sizeof(unit_spellings) / sizeof(unit_spellings[0]); i++)
		if (strcmp(norm, unit_spellings[i].text) == 0)
			return unit_spellings[i].unit;
	return IMU_CSV_UNIT_NONE;
}

static bool unit_separator(char c)
{
	return c == '_' || c == ' ' || c == '.' || c == '-';
}

/*
 * The unit a column's name carries, bracketed ("acc_x [m/s^2]", "gyro
 * (deg/s)", "ts[s]") or as a suffix after a separator ("ax_mps2",
 * "gx_rad_s", "t_s"), and the name without it in stem. A bracketed "G"
 * is gauss (a magnetometer's), not g.
 */
static enum imu_csv_unit name_unit(const char *name, char *stem, size_t size)
{
	const char *open = strpbrk(name, "[(");
	if (open) {
		const char *close = strchr(open, *open == '[' ? ']' : ')');
		size_t len = close ? (size_t)(close - open - 1) : strlen(open + 1);
		copy_cell(stem, size, name, (size_t)(open - name));
		if (len == 1 && open[1] == 'G')
			return IMU_CSV_UNIT_NONE;
		return unit_of(open + 1, len);
	}
	size_t n = strlen(name);
	while (n && !isalnum((unsigned char)name[n - 1]))
		n--; /* "a_x:" */
	copy_cell(stem, size, name, n);
	/* the last one or two words: "rad_s" is rad/s, "mps2" is m/s² */
	for (int words = 2; words >= 1; words--) {
		size_t start = n;
		int seen = 0;
		while (start > 0 && seen < words) {
			start--;
			if (unit_separator(name[start]))
				seen++;
		}
		if (seen < words || start == 0)
			continue;
		char unit[32];
		size_t len = n - start - 1;
		if (len >= sizeof(unit))
			continue;
		memcpy(unit, name + start + 1, len);
		unit[len] = 0;
		for (char *p = unit; *p; p++)
			if (unit_separator(*p))
				*p = '/';
		enum imu_csv_unit u = unit_of(unit, len);
		if (u != IMU_CSV_UNIT_NONE) {
			copy_cell(stem, size, name, start);
			return u;
		}
	}
	return IMU_CSV_UNIT_NONE;
}

static bool unit_is_time(enum imu_csv_unit u)
{
	return u == IMU_CSV_UNIT_S || u == IMU_CSV_UNIT_MS || u == IMU_CSV_UNIT_US;
}

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

/* The channel a header name stands for (0..5), or -1: from the name, or
 * for an axis the name does not say more of ("ar_x [rad/s]", "x_mps2"),
 * from its unit. */
static int name_channel(const char *key, enum imu_csv_unit unit)
{
	size_t n = strlen(key);
	if (n < 1)
		return -1;
	char axis = key[n - 1];
	if (axis != 'x' && axis != 'y' && axis != 'z')
		return -1;
	int k = axis - 'x';
	if (n >= 2 && (strstr(key, "acc") || (n == 2 && key[0] == 'a')))
		return k;
	if (n >= 2 && (strstr(key, "gyr") || (n == 2 && (key[0] == 'g' || key[0] == 'w'))))
		return 3 + k;
	if (strstr(key, "mag"))
		return -1;
	if (unit == IMU_CSV_UNIT_G || unit == IMU_CSV_UNIT_MPS2)
		return k;
	if (unit == IMU_CSV_UNIT_DPS || unit == IMU_CSV_UNIT_RADPS)
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

/* The column's name without its unit, as a key, and the unit. */
static enum imu_csv_unit column_key(const char *name, char *key, size_t size)
{
	char stem[CELL_MAX];
	enum imu_csv_unit unit = name_unit(name, stem, sizeof(stem));
	name_key(stem, key, size);
	return unit;
}

static enum imu_csv_status find_by_name(struct imu_csv *r, struct found *f)
{
	for (size_t i = 0; i < r->ncols; i++) {
		char key[CELL_MAX];
		enum imu_csv_unit unit = column_key(r->names[i], key, sizeof(key));
		int ch = name_channel(key, unit);
		if (ch < 0) {
			if (f->time < 0 && (name_is_time(key) || unit_is_time(unit)))
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
		r->unit[s] = IMU_CSV_UNIT_NONE;
		if (r->col[s] < 0)
			continue;
		if (r->names && (size_t)r->col[s] < r->ncols && r->names[r->col[s]][0]) {
			char key[CELL_MAX];
			snprintf(r->label[s], sizeof(r->label[s]), "%s", r->names[r->col[s]]);
			r->unit[s] = column_key(r->names[r->col[s]], key, sizeof(key));
		} else {
			snprintf(r->label[s], sizeof(r->label[s]), "column %d", r->col[s] + 1);
		}
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

enum imu_csv_unit imu_csv_column_unit(const struct imu_csv *r, unsigned foot_index, int channel)
{
	if (!r->ready || foot_index >= IMU_CSV_MAX_FEET || channel < -1 || channel > 5)
		return IMU_CSV_UNIT_NONE;
	return r->unit[channel < 0 ? 0 : 1 + 6 * foot_index + (unsigned)channel];
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

static bool ends_with_colon(const char *cell, size_t len)
{
	return len > 0 && cell[len - 1] == ':';
}

/*
 * In a header split at spaces, a name may be several words: "a_x [g]:"
 * and "Filtered ts[s]:" are one column each, as the numbers below show.
 * When most words end with a colon, the colon ends a name; else a
 * bracketed unit belongs to the word before it.
 */
static bool colon_names(const char *line)
{
	const char *p = line, *cell;
	size_t len;
	bool first = true, last_colon = false;
	unsigned words = 0, colons = 0;
	while (next_cell(&p, ' ', &cell, &len, &first)) {
		words++;
		last_colon = ends_with_colon(cell, len);
		colons += last_colon;
	}
	return last_colon && 2 * colons >= words;
}

/* The next column name of a header row at *p. */
static bool next_name(const char **p, char delim, bool colons, const char **start, size_t *len,
		      bool *first)
{
	if (!next_cell(p, delim, start, len, first))
		return false;
	if (delim != ' ')
		return true;
	for (;;) {
		const char *q = *p, *cell;
		size_t l;
		bool f = false;
		if (colons ? ends_with_colon(*start, *len) : false)
			return true;
		if (!next_cell(&q, ' ', &cell, &l, &f))
			return true;
		if (!colons && *cell != '[' && *cell != '(')
			return true;
		*len = (size_t)(cell + l - *start);
		*p = q;
	}
}

static void add_header_row(struct imu_csv *r, const char *line)
{
	const char *p = line, *cell;
	size_t len, i = 0;
	bool first = true, colons = r->delim == ' ' && colon_names(line);
	while (next_name(&p, r->delim, colons, &cell, &len, &first)) {
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

/* The largest magnitude a channel can have in any unit: 200 g in m/s²,
 * 10,000 °/s in °/s. */
static double outer_limit(int channel)
{
	return channel < 3 ? IMU_CSV_ACC_LIMIT_G * 9.80665 : IMU_CSV_GYRO_LIMIT_DPS;
}

static void mark_implausible(struct imu_csv_row *row)
{
	row->bad_foot = 0;
	row->bad_channel = -1;
	for (unsigned f = 0; f < row->feet; f++)
		for (int ch = 0; ch < 6; ch++)
			if (fabs(row->v[f][ch]) > outer_limit(ch)) {
				row->bad_foot = f;
				row->bad_channel = ch;
				return;
			}
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
	mark_implausible(out);
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
