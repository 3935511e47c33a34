// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the IMU CSV importer (import/imu_csv.h), the whole path
 * 'hamstride import imu' takes: pass 1 (read every line, survey), resolve
 * units, rate and saturation, pass 2 (read again, convert to samples).
 * The first bytes are the command's options (time, acceleration and
 * gyroscope units, delimiter, skipped rows, foot, columns by number, and
 * --rate, --acc-range, --gyro-range as doubles), the rest is the file. Checked: a refused file says why; the
 * samples of a resolved one are finite, their times increase, and no row
 * gives more samples than the file has feet.
 */
#include <math.h>

#include "fuzz.h"
#include "import/imu_csv.h"

/* Where the importer starts a file whose times are not wall-clock time
 * (2026-12-01, as the file's modification time would give). */
#define FALLBACK_START_US 1796083200000000LL

static const char delimiters[] = { 0, ',', ';', '\t', ' ', '|', 0, 0 };
static const char *const numbered[7] = { "1", "2", "3", "4", "5", "6", "7" };

/* A number the command line would pass (--rate, --acc-range,
 * --gyro-range: above 0, at most max), else 0 (not given). */
static double given(const uint8_t *p, double max)
{
	double v;
	memcpy(&v, p, sizeof(v));
	return v > 0 && v <= max ? v : 0;
}

/* The options from the input's first bytes: a, b, c, then the numbers c
 * says are given. Returns how many bytes they took, 0 if too few. */
static size_t options_from(const uint8_t *data, size_t size, struct imu_csv_layout *layout,
			   struct imu_csv_options *opt)
{
	if (size < 3)
		return 0;
	uint8_t a = data[0], b = data[1], c = data[2];
	size_t used = 3;
	memset(layout, 0, sizeof(*layout));
	memset(opt, 0, sizeof(*opt));
	opt->time_unit = (enum imu_csv_time_unit)((a & 7) % 5);
	opt->acc_unit = (enum imu_csv_acc_unit)(((a >> 3) & 3) % 3);
	opt->gyro_unit = (enum imu_csv_gyro_unit)(((a >> 5) & 3) % 3);
	layout->delimiter = delimiters[b & 7];
	layout->skip_rows = (b >> 3) & 3;
	layout->foot = (uint8_t)(((b >> 5) & 3) % 3);
	if (b & 0x80) {
		layout->time_col = numbered[0];
		for (int i = 0; i < 3; i++) {
			layout->acc_cols[i] = numbered[1 + i];
			layout->gyro_cols[i] = numbered[4 + i];
		}
	}
	static const double limits[3] = { 100000, 1000, 100000 }; /* as cmd_import.c */
	double *fields[3] = { &opt->rate_hz, &opt->acc_range_g, &opt->gyro_range_dps };
	for (int i = 0; i < 3; i++) {
		if (!(c & (1u << i)))
			continue;
		if (size < used + sizeof(double))
			return 0;
		*fields[i] = given(data + used, limits[i]);
		used += sizeof(double);
	}
	opt->min_duration_s = (c & 8) ? 0.5 : 0;
	return used;
}

/* Feeds each line of text (NUL-separated copies of it) to r; the rows to
 * fn. False at the reader's error. */
typedef void (*row_fn)(void *user, const struct imu_csv *r, const struct imu_csv_row *row);

static bool read_lines(struct imu_csv *r, char *text, row_fn fn, void *user)
{
	char *line = text;
	for (;;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		struct imu_csv_row row;
		enum imu_csv_status st = imu_csv_feed(r, line, &row);
		if (nl)
			*nl = '\n';
		if (st == IMU_CSV_ERROR) {
			FUZZ_CHECK(imu_csv_error(r)[0] != '\0');
			return false;
		}
		if (st == IMU_CSV_ROW)
			fn(user, r, &row);
		if (!nl)
			break;
		line = nl + 1;
	}
	if (imu_csv_finish(r) == IMU_CSV_ERROR) {
		FUZZ_CHECK(imu_csv_error(r)[0] != '\0');
		return false;
	}
	return true;
}

static void survey_row(void *user, const struct imu_csv *r, const struct imu_csv_row *row)
{
	(void)r;
	FUZZ_CHECK(row->feet >= 1 && row->feet <= IMU_CSV_MAX_FEET);
	imu_csv_survey_add(user, row);
}

struct pass2 {
	struct imu_csv_converter conv;
	bool have_last;
	int64_t last_us;
};

static void convert_row(void *user, const struct imu_csv *r, const struct imu_csv_row *row)
{
	struct pass2 *p = user;
	struct imu_sample out[IMU_CSV_MAX_FEET];
	struct imu_csv_gap gap;
	bool had_gap;
	unsigned n = imu_csv_convert(&p->conv, r, row, out, &had_gap, &gap);
	FUZZ_CHECK(n <= row->feet);
	if (had_gap)
		FUZZ_CHECK(gap.to_us > gap.from_us);
	for (unsigned i = 0; i < n; i++)
		for (int k = 0; k < 3; k++)
			FUZZ_CHECK(isfinite(out[i].acc_mps2[k]) && isfinite(out[i].gyro_radps[k]));
	if (n == 0)
		return;
	FUZZ_CHECK(!p->have_last || out[0].t_us > p->last_us);
	p->have_last = true;
	p->last_us = out[0].t_us;
}

static void import(char *text, const struct imu_csv_layout *layout,
		   const struct imu_csv_options *opt)
{
	char why[IMU_CSV_ERROR_LEN];
	struct imu_csv *r = imu_csv_new(layout, why, sizeof(why));
	FUZZ_CHECK(r != NULL);
	static struct imu_csv_survey survey;
	imu_csv_survey_init(&survey);
	bool ok = read_lines(r, text, survey_row, &survey);
	imu_csv_free(r);
	if (!ok)
		return;
	struct imu_csv_resolved res;
	why[0] = '\0';
	if (!imu_csv_resolve(&survey, opt, &res, why, sizeof(why))) {
		FUZZ_CHECK(why[0] != '\0');
		return;
	}
	FUZZ_CHECK(res.rate_hz > 0 && isfinite(res.rate_hz));
	double epoch = imu_csv_epoch_s(&res);
	struct pass2 p = { .have_last = false };
	imu_csv_converter_init(&p.conv, &res,
			       isfinite(epoch) ? llround(epoch * 1e6) : FALLBACK_START_US, 0);
	r = imu_csv_new(layout, why, sizeof(why));
	FUZZ_CHECK(r != NULL);
	FUZZ_CHECK(read_lines(r, text, convert_row, &p));
	char buf[IMU_CSV_ERROR_LEN];
	(void)imu_csv_implausible_text(&p.conv, r, buf, sizeof(buf));
	imu_csv_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imu_csv_layout layout;
	struct imu_csv_options opt;
	size_t used = options_from(data, size, &layout, &opt);
	if (used == 0)
		return 0;
	char *text = fuzz_text(data + used, size - used);
	import(text, &layout, &opt);
	free(text);
	return 0;
}
