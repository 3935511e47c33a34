// SPDX-License-Identifier: GPL-2.0-or-later
/* imu_csv: header and column finding, bad cells and times named by line
 * and column, units, rate, mounting, saturation and gaps. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "import/imu_csv.h"

#define G 9.80665

/* A reader over lines given one by one; counts rows and feeds a survey. */
struct fixture {
	struct imu_csv *r;
	struct imu_csv_survey survey;
	struct imu_csv_row last;
	unsigned rows;
};

static void open_reader(struct fixture *fx, const struct imu_csv_layout *layout)
{
	char why[128];
	memset(fx, 0, sizeof(*fx));
	fx->r = imu_csv_new(layout, why, sizeof(why));
	assert_non_null(fx->r);
	imu_csv_survey_init(&fx->survey);
}

static enum imu_csv_status feed(struct fixture *fx, const char *line)
{
	enum imu_csv_status st = imu_csv_feed(fx->r, line, &fx->last);
	if (st == IMU_CSV_ROW) {
		fx->rows++;
		imu_csv_survey_add(&fx->survey, &fx->last);
	}
	return st;
}

/* Feeds every line; returns the first error status or ROW. */
static enum imu_csv_status feed_all(struct fixture *fx, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (feed(fx, lines[i]) == IMU_CSV_ERROR)
			return IMU_CSV_ERROR;
	return imu_csv_finish(fx->r);
}

/*
 * A foot that walks: still for 0.6 s, then a swing of 0.4 s (rotation
 * about y peaking at peak_radps, acceleration up to 2 g) in each second.
 * Gravity along +z (or -z when upside down). Written in the given units.
 */
struct walk {
	double rate_hz, seconds, t0;
	bool upside_down, acc_in_g, gyro_in_dps;
	double peak_radps;
	double clip_g;     /* 0: none */
	double time_scale; /* file units per second */
	const char *delim;
	const char *prefix; /* cells before the time, with their delimiter */
	int gyro_axes;      /* about y, and as much about x (2) and z (3) */
	double gyro_rail;   /* rad/s: the gyro saturates there; 0: never */
	bool rail_wanders;  /* ...within 2 % below it, as calibrated outputs do */
};

static void walk_default(struct walk *w)
{
	*w = (struct walk){ .rate_hz = 200,
			    .seconds = 10,
			    .peak_radps = 6,
			    .time_scale = 1,
			    .acc_in_g = true,
			    .delim = "," };
}

static void walk_values(const struct walk *w, double t, double v[6])
{
	double phase = fmod(t, 1.0);
	double swing = phase > 0.6 ? sin(M_PI * (phase - 0.6) / 0.4) : 0;
	swing *= 1 + 0.01 * floor(t); /* no two strides alike, as in life */
	double z = w->upside_down ? -1 : 1;
	v[0] = 2 * G * swing * sin(2 * M_PI * (phase - 0.6) / 0.4);
	v[1] = 0.01 * sin(37 * t);
	v[2] = z * (G + 1.5 * G * swing * swing);
	v[4] = z * w->peak_radps * swing;
	v[3] = w->gyro_axes >= 2 ? -v[4] : 0;
	v[5] = w->gyro_axes >= 3 ? v[4] : 0.001 * cos(11 * t);
	for (int k = 3; k < 6 && w->gyro_rail > 0; k++)
		if (fabs(v[k]) > w->gyro_rail)
			v[k] = copysign(w->gyro_rail * (w->rail_wanders
								? 1 - 0.01 * (1 + sin(3e3 * t))
								: 1),
					v[k]);
	for (int k = 0; k < 3; k++) {
		if (w->clip_g > 0 && fabs(v[k]) > w->clip_g * G)
			v[k] = copysign(w->clip_g * G, v[k]);
		if (w->acc_in_g)
			v[k] /= G;
	}
	for (int k = 3; k < 6; k++)
		if (w->gyro_in_dps)
			v[k] *= 180 / M_PI;
}

static void walk_line(const struct walk *w, unsigned i, char *buf, size_t size)
{
	double t = i / w->rate_hz, v[6];
	walk_values(w, t, v);
	snprintf(buf, size, "%s%.17g%s%.9g%s%.9g%s%.9g%s%.9g%s%.9g%s%.9g",
		 w->prefix ? w->prefix : "", w->t0 + t * w->time_scale, w->delim, v[0], w->delim,
		 v[1], w->delim, v[2], w->delim, v[3], w->delim, v[4], w->delim, v[5]);
}

/* Feeds a header and a whole walk; returns the status. */
static enum imu_csv_status feed_walk(struct fixture *fx, const struct walk *w, const char *header)
{
	char line[512];
	if (header && feed(fx, header) == IMU_CSV_ERROR)
		return IMU_CSV_ERROR;
	unsigned n = (unsigned)(w->seconds * w->rate_hz);
	for (unsigned i = 0; i < n; i++) {
		walk_line(w, i, line, sizeof(line));
		if (feed(fx, line) == IMU_CSV_ERROR)
			return IMU_CSV_ERROR;
	}
	return imu_csv_finish(fx->r);
}

static bool resolve(struct fixture *fx, const struct imu_csv_options *opt,
		    struct imu_csv_resolved *res, char *why, size_t len)
{
	struct imu_csv_options none = { 0 };
	imu_csv_survey_names(&fx->survey, fx->r);
	return imu_csv_resolve(&fx->survey, opt ? opt : &none, res, why, len);
}

static const char *const TIME_ACC_GYRO = "Time,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z";

static void test_names_units_and_rate_found(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w);
	open_reader(&fx, &layout);
	assert_int_equal(
		feed_walk(&fx, &w,
			  "Time,dev:scaledAccelX,dev:scaledAccelY,dev:scaledAccelZ,"
			  "dev:scaledGyroX,dev:scaledGyroY,dev:scaledGyroZ,dev:scaledMagX"),
		IMU_CSV_ROW);
	assert_int_equal(fx.rows, 2000);
	assert_int_equal(imu_csv_feet(fx.r), 1);
	assert_string_equal(imu_csv_column_name(fx.r, 0, -1), "Time");
	assert_string_equal(imu_csv_column_name(fx.r, 0, 4), "dev:scaledGyroY");
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_int_equal(res.time_unit, IMU_CSV_TIME_S);
	assert_int_equal(res.acc_unit, IMU_CSV_ACC_G);
	assert_int_equal(res.gyro_unit, IMU_CSV_GYRO_RADPS);
	assert_true(res.rate_estimated);
	assert_true(fabs(res.rate_hz - 200) < 0.01);
	assert_true(fabs(res.acc_gravity_mps2[0] - G) < 0.3);
	assert_true(fabs(res.duration_s - 9.995) < 1e-6);
	assert_int_equal(res.mounting[0], IMU_CSV_MOUNT_Z_UP);
	assert_true(isnan(imu_csv_epoch_s(&res)));
	for (int ch = 0; ch < 6; ch++)
		assert_true(isinf(res.clip_level[0][ch]));
	imu_csv_free(fx.r);
}

static void test_si_units_ms_and_semicolons(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w);
	w.acc_in_g = false;
	w.gyro_in_dps = true;
	w.time_scale = 1000;
	w.delim = ";";
	open_reader(&fx, &layout);
	assert_int_equal(
		feed_walk(&fx, &w,
			  "\"t_ms\";\"AccX\";\"AccY\";\"AccZ\";\"GyroX\";\"GyroY\";\"GyroZ\""),
		IMU_CSV_ROW);
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_int_equal(res.time_unit, IMU_CSV_TIME_MS);
	assert_int_equal(res.acc_unit, IMU_CSV_ACC_MPS2);
	assert_int_equal(res.gyro_unit, IMU_CSV_GYRO_DPS);
	assert_true(fabs(res.rate_hz - 200) < 0.01);
	imu_csv_free(fx.r);
}

static void test_two_feet_two_header_rows_and_counter(void **state)
{
	(void)state;
	const char *const lines[] = {
		/* one header row in two literals, not a missing comma */
		// NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
		"sensor,left_sensor,right_sensor,left_sensor,right_sensor,left_sensor,right_sensor,"
		"left_sensor,right_sensor,left_sensor,right_sensor,left_sensor,right_sensor",
		"axis,acc_x,acc_x,acc_y,acc_y,acc_z,acc_z,gyr_x,gyr_x,gyr_y,gyr_y,gyr_z,gyr_z",
		"0,1,2,3,4,5,6,7,8,9,10,11,12",
		"1,1,2,3,4,5,6,7,8,9,10,11,12",
		"2,1,2,3,4,5,6,7,8,9,10,11,12",
		"3,1,2,3,4,5,6,7,8,9,10,11,12",
	};
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, lines, 6), IMU_CSV_ROW);
	assert_int_equal(imu_csv_feet(fx.r), 2);
	assert_int_equal(imu_csv_foot(fx.r, 0), IMU_FOOT_LEFT);
	assert_int_equal(imu_csv_foot(fx.r, 1), IMU_FOOT_RIGHT);
	assert_string_equal(imu_csv_column_name(fx.r, 1, 2), "right_sensor acc_z");
	/* left: acc 1 3 5, gyro 7 9 11; right: 2 4 6, 8 10 12 */
	assert_true(fx.last.v[0][2] == 5 && fx.last.v[1][2] == 6 && fx.last.v[1][5] == 12);
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	struct imu_csv_options opt = { 0 };
	assert_false(resolve(&fx, &opt, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "counts samples"));
	assert_non_null(strstr(why, "--rate"));
	imu_csv_free(fx.r);

	/* --foot right picks one foot of the two. */
	layout.foot = IMU_FOOT_RIGHT;
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, lines, 6), IMU_CSV_ROW);
	assert_int_equal(imu_csv_feet(fx.r), 1);
	assert_int_equal(imu_csv_foot(fx.r, 0), IMU_FOOT_RIGHT);
	assert_true(fx.last.v[0][0] == 2 && fx.last.v[0][5] == 12);
	imu_csv_free(fx.r);
}

static void test_explicit_columns_and_no_header(void **state)
{
	(void)state;
	const char *const named[] = { "ax,ay,az,gx,gy,gz,when", "1,2,3,4,5,6,0.01",
				      "1,2,3,4,5,6,0.02" };
	struct imu_csv_layout layout = { .time_col = "WHEN" };
	struct fixture fx;
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, named, 3), IMU_CSV_ROW);
	assert_true(fx.last.t == 0.02 && fx.last.v[0][0] == 1 && fx.last.v[0][5] == 6);
	imu_csv_free(fx.r);

	/* Whitespace, no header: time then acc then gyro, or by number. */
	const char *const bare[] = { "  0x1f  0.5  1 2 3 4 5 6", "0x20 0.51 1 2 3 4 5 7" };
	layout = (struct imu_csv_layout){ .time_col = "2",
					  .acc_cols = { "3", "4", "5" },
					  .gyro_cols = { "6", "7", "8" } };
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, bare, 2), IMU_CSV_ROW);
	assert_true(fx.last.t == 0.51 && fx.last.v[0][0] == 1 && fx.last.v[0][5] == 7);
	assert_string_equal(imu_csv_column_name(fx.r, 0, 5), "column 8");
	imu_csv_free(fx.r);
}

static void test_missing_column_lists_the_header(void **state)
{
	(void)state;
	const char *const lines[] = { "Time,ax,ay,az,gx,gy,gz", "0,1,2,3,4,5,6" };
	struct imu_csv_layout layout = { .gyro_cols = { "gyro_x", "gyro_y", "gyro_z" } };
	struct fixture fx;
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, lines, 2), IMU_CSV_ERROR);
	assert_non_null(strstr(imu_csv_error(fx.r), "no column named 'gyro_x'"));
	assert_non_null(strstr(imu_csv_error(fx.r), "Time, ax, ay, az, gx, gy, gz"));
	imu_csv_free(fx.r);

	const char *const no_gyro[] = { "Time,acc_x,acc_y,acc_z,mag_x", "0,1,2,3,4" };
	layout = (struct imu_csv_layout){ 0 };
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, no_gyro, 2), IMU_CSV_ERROR);
	assert_non_null(strstr(imu_csv_error(fx.r), "no gyro x column"));
	assert_non_null(strstr(imu_csv_error(fx.r), "mag_x"));
	assert_non_null(strstr(imu_csv_error(fx.r), "--gyro"));
	imu_csv_free(fx.r);

	/* Names need a header; an index past the row's end is named. */
	const char *const short_row[] = { "0,1,2,3,4,5,6", "0.1,1,2,3,4,5" };
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, short_row, 2), IMU_CSV_ERROR);
	assert_string_equal(imu_csv_error(fx.r),
			    "2: the row has 6 cells; gyro z (column 7) is column 7");
	imu_csv_free(fx.r);
}

static void test_bad_cells_named_by_line_and_column(void **state)
{
	(void)state;
	const char *const text[] = { TIME_ACC_GYRO, "0,1,2,3,4,5,6", "0.01,1,2,abc,4,5,6" };
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, text, 3), IMU_CSV_ERROR);
	assert_string_equal(imu_csv_error(fx.r), "3:4: acc z (acc_z) is 'abc', not a number");
	imu_csv_free(fx.r);

	const char *const nan[] = { TIME_ACC_GYRO, "0,1,2,3,4,5,6", "", "0.01,1,2,3,4,NaN,6" };
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, nan, 4), IMU_CSV_ERROR);
	assert_string_equal(imu_csv_error(fx.r), "4:6: gyro y (gyr_y) is 'NaN', not a number");
	imu_csv_free(fx.r);

	const char *const empty[] = { TIME_ACC_GYRO, "0,1,2,3,4,5,6", "0.01,1,,3,4,5,6" };
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, empty, 3), IMU_CSV_ERROR);
	assert_string_equal(imu_csv_error(fx.r), "3:3: acc y (acc_y) is empty, not a number");
	imu_csv_free(fx.r);

	const char *const header_only[] = { TIME_ACC_GYRO };
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, header_only, 1), IMU_CSV_ERROR);
	assert_non_null(strstr(imu_csv_error(fx.r), "without a row of numbers"));
	imu_csv_free(fx.r);
}

static void test_time_must_increase(void **state)
{
	(void)state;
	const char *const repeated[] = { TIME_ACC_GYRO, "0,1,2,3,4,5,6", "0.01,1,2,3,4,5,6",
					 "0.01,1,2,3,4,5,6" };
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, repeated, 4), IMU_CSV_ERROR);
	assert_string_equal(imu_csv_error(fx.r),
			    "4:1: time 0.01 repeats line 3's 0.01; times must increase");
	imu_csv_free(fx.r);

	const char *const back[] = { TIME_ACC_GYRO, "0,1,2,3,4,5,6", "0.02,1,2,3,4,5,6",
				     "0.01,1,2,3,4,5,6" };
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, back, 4), IMU_CSV_ERROR);
	assert_string_equal(imu_csv_error(fx.r),
			    "4:1: time 0.01 goes back from line 3's 0.02; times must increase");
	imu_csv_free(fx.r);
}

static void test_gap_found_and_reported(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w);
	open_reader(&fx, &layout);
	char line[512];
	assert_int_equal(feed(&fx, TIME_ACC_GYRO), IMU_CSV_SKIPPED);
	for (unsigned i = 0; i < 2000; i++) {
		if (i >= 1000 && i < 1100)
			continue; /* half a second lost */
		walk_line(&w, i, line, sizeof(line));
		assert_int_equal(feed(&fx, line), IMU_CSV_ROW);
	}
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	imu_csv_free(fx.r);

	/* Pass 2 over the same rows. */
	open_reader(&fx, &layout);
	struct imu_csv_converter conv;
	const int64_t start = 1790000000000000;
	imu_csv_converter_init(&conv, &res, start, 0);
	feed(&fx, TIME_ACC_GYRO);
	unsigned gaps = 0;
	struct imu_csv_gap gap = { 0 };
	for (unsigned i = 0; i < 2000; i++) {
		if (i >= 1000 && i < 1100)
			continue;
		walk_line(&w, i, line, sizeof(line));
		struct imu_csv_row row;
		assert_int_equal(imu_csv_feed(fx.r, line, &row), IMU_CSV_ROW);
		struct imu_sample s[2];
		bool had;
		struct imu_csv_gap g;
		assert_int_equal(imu_csv_convert(&conv, fx.r, &row, s, &had, &g), 1);
		assert_true(llabs(s[0].t_us - (start + (int64_t)i * 5000)) <= 1);
		if (had) {
			gaps++;
			gap = g;
		}
		if (i == 0)
			assert_true(fabs(s[0].acc_mps2[2] - G) < 1e-6); /* g converted */
	}
	assert_int_equal(gaps, 1);
	assert_true(llabs(gap.from_us - (start + 1000 * 5000)) <= 1);
	assert_true(llabs(gap.to_us - (start + 1100 * 5000)) <= 1);
	imu_csv_free(fx.r);
}

static void test_too_short_and_still(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w);
	w.seconds = 1;
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	assert_false(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "s of data (200 samples): at least 2 s"));
	imu_csv_free(fx.r);

	walk_default(&w);
	w.peak_radps = 0;
	open_reader(&fx, &layout);
	char line[256];
	feed(&fx, TIME_ACC_GYRO);
	for (unsigned i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "%.3f,0.01,-0.02,1.001,0.001,-0.002,0.003", i / 200.0);
		assert_int_equal(feed(&fx, line), IMU_CSV_ROW);
	}
	assert_false(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "did not move"));
	imu_csv_free(fx.r);
}

static void test_wrong_units_get_a_hint(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w); /* acc in g, gyro in rad/s */
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	struct imu_csv_options opt = { .acc_unit = IMU_CSV_ACC_MPS2 };
	assert_false(resolve(&fx, &opt, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "gravity, 9.81 m/s²"));
	assert_non_null(strstr(why, "use --acc-unit g"));
	opt = (struct imu_csv_options){ .gyro_unit = IMU_CSV_GYRO_DPS };
	assert_false(resolve(&fx, &opt, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "use --gyro-unit radps"));
	imu_csv_free(fx.r);

	w.acc_in_g = false;
	w.gyro_in_dps = true;
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	opt = (struct imu_csv_options){ .acc_unit = IMU_CSV_ACC_G };
	assert_false(resolve(&fx, &opt, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "use --acc-unit mps2"));
	opt = (struct imu_csv_options){ .gyro_unit = IMU_CSV_GYRO_RADPS };
	assert_false(resolve(&fx, &opt, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "use --gyro-unit dps"));
	opt = (struct imu_csv_options){ .acc_unit = IMU_CSV_ACC_MPS2,
					.gyro_unit = IMU_CSV_GYRO_DPS };
	assert_true(resolve(&fx, &opt, &res, why, sizeof(why)));
	assert_false(res.acc_unit_detected || res.gyro_unit_detected);
	imu_csv_free(fx.r);
}

/* Names carrying their units, as pandas users and data-set converters
 * write them: the old rule found no acc x column in any of these. */
static void test_units_in_names(void **state)
{
	(void)state;
	static const struct {
		const char *header, *delim;
		bool acc_in_g, gyro_in_dps;
		double time_scale;
		enum imu_csv_time_unit time_unit;
	} files[] = {
		{ "t_s,ax_mps2,ay_mps2,az_mps2,gx_radps,gy_radps,gz_radps", ",", false, false, 1,
		  IMU_CSV_TIME_S },
		{ "time [ms];Acc X [m/s^2];Acc Y [m/s^2];Acc Z [m/s^2];Gyro X (deg/s);"
		  "Gyro Y (deg/s);Gyro Z (deg/s)",
		  ";", false, true, 1000, IMU_CSV_TIME_MS },
		{ "timestamp_us\tacc_x_g\tacc_y_g\tacc_z_g\tgyr_x_dps\tgyr_y_dps\tgyr_z_dps", "\t",
		  true, true, 1e6, IMU_CSV_TIME_US },
		{ "T_s,X_ms2,Y_ms2,Z_ms2,X_rad_s,Y_rad_s,Z_rad_s", ",", false, false, 1,
		  IMU_CSV_TIME_S },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct imu_csv_layout layout = { 0 };
		struct fixture fx;
		struct walk w;
		walk_default(&w);
		w.acc_in_g = files[i].acc_in_g;
		w.gyro_in_dps = files[i].gyro_in_dps;
		w.time_scale = files[i].time_scale;
		w.delim = files[i].delim;
		open_reader(&fx, &layout);
		assert_int_equal(feed_walk(&fx, &w, files[i].header), IMU_CSV_ROW);
		struct imu_csv_resolved res;
		char why[IMU_CSV_ERROR_LEN];
		assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
		assert_int_equal(res.time_unit, files[i].time_unit);
		assert_true(res.time_unit_named && res.acc_unit_named && res.gyro_unit_named);
		assert_int_equal(res.acc_unit, w.acc_in_g ? IMU_CSV_ACC_G : IMU_CSV_ACC_MPS2);
		assert_int_equal(res.gyro_unit,
				 w.gyro_in_dps ? IMU_CSV_GYRO_DPS : IMU_CSV_GYRO_RADPS);
		assert_true(fabs(res.rate_hz - 200) < 0.01);
		imu_csv_free(fx.r);
	}
}

/* A name that contradicts the data is said to be wrong, with the way to
 * read the file anyway. */
static void test_units_in_names_checked(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w);
	w.acc_in_g = false; /* m/s², named g */
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, "t,ax_g,ay_g,az_g,gx,gy,gz"), IMU_CSV_ROW);
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	assert_false(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "'ax_g' is named in g"));
	assert_non_null(strstr(why, "give --acc-unit mps2"));
	struct imu_csv_options opt = { .acc_unit = IMU_CSV_ACC_MPS2 };
	assert_true(resolve(&fx, &opt, &res, why, sizeof(why)));
	imu_csv_free(fx.r);

	walk_default(&w);
	w.gyro_in_dps = true; /* °/s, named rad/s */
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, "t,ax,ay,az,gx_radps,gy_radps,gz_radps"), IMU_CSV_ROW);
	assert_false(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "'gx_radps' is named in rad/s"));
	assert_non_null(strstr(why, "give --gyro-unit dps"));
	imu_csv_free(fx.r);

	walk_default(&w);
	w.time_scale = 1000; /* ms, named s */
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, "t_s,ax,ay,az,gx,gy,gz"), IMU_CSV_ROW);
	assert_false(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "'t_s' is named in s"));
	imu_csv_free(fx.r);
}

/*
 * A sprinting foot on a ±2000 °/s gyroscope, in rad/s: two axes sit at
 * 34.9 rad/s at once, and the norm of the rate, 49 rad/s, passed the old
 * rule's 40 rad/s: the file was read as °/s and --gyro-unit radps
 * refused. The rail is a range in rad/s, so the unit is.
 */
static void test_gyro_unit_from_the_rail(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w);
	w.peak_radps = 45;
	w.gyro_axes = 2;
	w.gyro_rail = 2000 * M_PI / 180;
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_int_equal(res.gyro_unit, IMU_CSV_GYRO_RADPS);
	assert_non_null(strstr(res.gyro_evidence, "a 2000 °/s range"));
	assert_true(res.gyro_peak_radps[0] > 40);
	struct imu_csv_options opt = { .gyro_unit = IMU_CSV_GYRO_RADPS };
	assert_true(resolve(&fx, &opt, &res, why, sizeof(why)));
	imu_csv_free(fx.r);

	/* the same at ±500 °/s, written in °/s: the rail is 500 */
	walk_default(&w);
	w.peak_radps = 12;
	w.gyro_rail = 500 * M_PI / 180;
	w.gyro_in_dps = true;
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_int_equal(res.gyro_unit, IMU_CSV_GYRO_DPS);
	assert_non_null(strstr(res.gyro_evidence, "a 500 °/s range"));
	imu_csv_free(fx.r);

	/* a rail that wanders, as a 3DM-GX5's at 8.67-8.86 rad/s: no value
	 * repeats, which the old rule needed to see saturation at all */
	walk_default(&w);
	w.peak_radps = 12;
	w.gyro_rail = 500 * M_PI / 180;
	w.rail_wanders = true;
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_int_equal(res.gyro_unit, IMU_CSV_GYRO_RADPS);
	assert_true(res.clip_detected[0][4]);
	assert_true(fabs(res.clip_level[0][4] - 0.985 * 500 * M_PI / 180) < 1e-6);
	assert_false(res.clip_detected[0][3]);
	imu_csv_free(fx.r);

	/* peaks up to a range (8.0 rad/s growing 1 % a stride: 8.72 in the
	 * last) that thin out towards the largest are motion */
	walk_default(&w);
	w.peak_radps = 8.0;
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	for (int ch = 0; ch < 6; ch++)
		assert_false(res.clip_detected[0][ch]);
	imu_csv_free(fx.r);
}

/* Without a rail, the stances against the swings: a foot turning at 25
 * rad/s about three axes (norm 43, which the old rule took for °/s)
 * stands still in rad/s at every stance; in °/s its swings sit above 30. */
static void test_gyro_unit_from_stance_and_swing(void **state)
{
	(void)state;
	for (int dps = 0; dps < 2; dps++) {
		struct imu_csv_layout layout = { 0 };
		struct fixture fx;
		struct walk w;
		walk_default(&w);
		w.peak_radps = 25;
		w.gyro_axes = 3;
		w.gyro_in_dps = dps;
		open_reader(&fx, &layout);
		assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
		struct imu_csv_resolved res;
		char why[IMU_CSV_ERROR_LEN];
		assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
		assert_int_equal(res.gyro_unit, dps ? IMU_CSV_GYRO_DPS : IMU_CSV_GYRO_RADPS);
		assert_non_null(strstr(res.gyro_evidence, dps ? "turn faster" : "the stances"));
		imu_csv_free(fx.r);
	}
}

/* A header split at spaces whose names are several words ending in a
 * colon, with an id column first (OpenShoe's logs): the old rule split
 * "a_x [g]:" in two and took the id for the time. */
static void test_names_of_several_words(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w);
	w.delim = " ";
	w.prefix = "0xcb ";
	w.t0 = 1274434048.5;
	open_reader(&fx, &layout);
	assert_int_equal(feed(&fx, "Inertial data."), IMU_CSV_SKIPPED);
	assert_int_equal(feed_walk(&fx, &w,
				   "Header:   Filtered ts[s]:   a_x [g]:  a_y [g]:  a_z [g]: "
				   "ar_x [rad/s]: ar_y [rad/s]: ar_z [rad/s]:"),
			 IMU_CSV_ROW);
	assert_int_equal(fx.rows, 2000);
	assert_non_null(strstr(imu_csv_column_name(fx.r, 0, -1), "Filtered ts[s]:"));
	assert_string_equal(imu_csv_column_name(fx.r, 0, 3), "ar_x [rad/s]:");
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_int_equal(res.acc_unit, IMU_CSV_ACC_G);
	assert_int_equal(res.gyro_unit, IMU_CSV_GYRO_RADPS);
	assert_true(fabs(res.rate_hz - 200) < 0.01);
	imu_csv_free(fx.r);

	/* spaces, no colons: a bracketed unit goes with the word before */
	walk_default(&w);
	w.delim = " ";
	open_reader(&fx, &layout);
	assert_int_equal(
		feed_walk(&fx, &w, "t ax [g] ay [g] az [g] wx [deg/s] wy [deg/s] wz [deg/s]"),
		IMU_CSV_ROW);
	assert_string_equal(imu_csv_column_name(fx.r, 0, 4), "wy [deg/s]");
	/* named °/s, but the walk turns at 6 rad/s */
	assert_false(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_non_null(strstr(why, "'wx [deg/s]' is named in °/s"));
	imu_csv_free(fx.r);
}

static void test_upside_down_and_clipping(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w);
	w.upside_down = true;
	w.clip_g = 2.0; /* the 2.5 g swing peaks saturate */
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_int_equal(res.mounting[0], IMU_CSV_MOUNT_Z_DOWN);
	assert_string_equal(res.mount_axis[0], "-z");
	assert_true(res.clip_detected[0][2]);
	assert_true(fabs(res.clip_level[0][2] - 2 * G) < 0.01);
	assert_false(res.clip_detected[0][1]);
	assert_true(isinf(res.clip_level[0][4]));
	imu_csv_free(fx.r);

	/* Pass 2 flags the saturated samples (and only those). */
	open_reader(&fx, &layout);
	struct imu_csv_converter conv;
	imu_csv_converter_init(&conv, &res, 0, 0);
	char line[512];
	feed(&fx, TIME_ACC_GYRO);
	unsigned flagged = 0, expected = 0;
	for (unsigned i = 0; i < 2000; i++) {
		double v[6];
		struct walk raw = w;
		raw.clip_g = 0;
		walk_values(&raw, i / 200.0, v);
		expected += fabs(v[2]) >= 2;
		walk_line(&w, i, line, sizeof(line));
		struct imu_csv_row row;
		struct imu_sample s[2];
		struct imu_csv_gap g;
		bool had;
		assert_int_equal(imu_csv_feed(fx.r, line, &row), IMU_CSV_ROW);
		imu_csv_convert(&conv, fx.r, &row, s, &had, &g);
		flagged += (s[0].clipped & IMU_CLIP_ACC_Z) != 0;
		assert_int_equal(s[0].clipped & ~IMU_CLIP_ACC_Z, 0);
	}
	assert_true(expected > 10);
	assert_int_equal(flagged, expected);
	assert_int_equal(conv.clipped[0], expected);
	imu_csv_free(fx.r);

	/* A range given flags within 1.5 % of it (calibrated outputs saturate
	 * near, not on, the nominal scale); a range never reached flags nothing. */
	struct imu_csv_options opt = { .acc_range_g = 16 };
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	assert_true(resolve(&fx, &opt, &res, why, sizeof(why)));
	assert_false(res.clip_detected[0][2]);
	assert_true(fabs(res.clip_level[0][2] - 0.985 * 16 * G) < 0.02);
	imu_csv_free(fx.r);
}

static void test_wall_clock_time(void **state)
{
	(void)state;
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	struct walk w;
	walk_default(&w);
	w.t0 = 1274434048.503018;
	open_reader(&fx, &layout);
	assert_int_equal(feed_walk(&fx, &w, TIME_ACC_GYRO), IMU_CSV_ROW);
	struct imu_csv_resolved res;
	char why[IMU_CSV_ERROR_LEN];
	assert_true(resolve(&fx, NULL, &res, why, sizeof(why)));
	assert_true(fabs(imu_csv_epoch_s(&res) - 1274434048.503018) < 1e-5);
	assert_true(fabs(res.rate_hz - 200) < 0.01);
	imu_csv_free(fx.r);
}

static void test_preamble_and_header_limits(void **state)
{
	(void)state;
	const char *const lines[] = { "Recorded by a logger", "device 12",   "note: walk",
				      "fourth line of prose", TIME_ACC_GYRO, "0,1,2,3,4,5,6" };
	struct imu_csv_layout layout = { 0 };
	struct fixture fx;
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, lines, 6), IMU_CSV_ERROR);
	assert_non_null(strstr(imu_csv_error(fx.r), "--skip-rows"));
	imu_csv_free(fx.r);
	layout.skip_rows = 4;
	open_reader(&fx, &layout);
	assert_int_equal(feed_all(&fx, lines, 6), IMU_CSV_ROW);
	assert_int_equal(fx.rows, 1);
	imu_csv_free(fx.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_units_and_rate_found),
		cmocka_unit_test(test_si_units_ms_and_semicolons),
		cmocka_unit_test(test_two_feet_two_header_rows_and_counter),
		cmocka_unit_test(test_explicit_columns_and_no_header),
		cmocka_unit_test(test_missing_column_lists_the_header),
		cmocka_unit_test(test_bad_cells_named_by_line_and_column),
		cmocka_unit_test(test_time_must_increase),
		cmocka_unit_test(test_gap_found_and_reported),
		cmocka_unit_test(test_too_short_and_still),
		cmocka_unit_test(test_wrong_units_get_a_hint),
		cmocka_unit_test(test_units_in_names),
		cmocka_unit_test(test_units_in_names_checked),
		cmocka_unit_test(test_names_of_several_words),
		cmocka_unit_test(test_gyro_unit_from_the_rail),
		cmocka_unit_test(test_gyro_unit_from_stance_and_swing),
		cmocka_unit_test(test_upside_down_and_clipping),
		cmocka_unit_test(test_wall_clock_time),
		cmocka_unit_test(test_preamble_and_header_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
