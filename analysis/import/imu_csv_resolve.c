// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading an IMU recording once its rows are parsed (imu_csv_read.c): the
 * survey of pass 1, deciding units, rate, mounting and saturation from it,
 * and converting the rows of pass 2 to SI samples with UTC times.
 */
#include "import/imu_csv.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAVITY_MPS2 9.80665
#define DEG_TO_RAD (M_PI / 180)
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

/* Per axis, in file units: a stance in rad/s reads below AXES_STILL, a
 * swing in °/s mostly above AXES_SLOW (gyro_evidence). */
#define AXES_STILL 0.5
#define AXES_SLOW 30.0
#define TOP_STEP 0.01 /* log(1.01) ~ 0.00995: the bins of imu_csv_channel.top */

static int top_bin(double a)
{
	if (!(a >= IMU_CSV_TOP_MIN))
		return -1;
	double b = log(a / IMU_CSV_TOP_MIN) / log(1 + TOP_STEP);
	return b < IMU_CSV_TOP_BINS ? (int)b : IMU_CSV_TOP_BINS - 1;
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
	int b = top_bin(a);
	if (b >= 0 && c->top[b] < UINT32_MAX)
		c->top[b]++;
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
	if (s->rows > 0 && row->t - s->t_last > s->max_interval) {
		s->max_interval = row->t - s->t_last;
		s->max_interval_line = row->line;
	}
	s->t_last = row->t;
	s->rows++;
	if (row->t != floor(row->t))
		s->integer_times = false;
	if (row->bad_channel >= 0) {
		s->implausible++;
		return;
	}
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
		double axis = fmax(fabs(v[3]), fmax(fabs(v[4]), fabs(v[5])));
		s->foot[f].axes_still += axis < AXES_STILL;
		s->foot[f].axes_slow += axis < AXES_SLOW;
	}
}

/* The unit all three axes' names agree on, else none. */
static enum imu_csv_unit named_unit(const struct imu_csv *r, unsigned f, int first, char *name,
				    size_t size)
{
	enum imu_csv_unit u = imu_csv_column_unit(r, f, first);
	for (int k = 1; k < 3; k++)
		if (imu_csv_column_unit(r, f, first + k) != u)
			return IMU_CSV_UNIT_NONE;
	snprintf(name, size, "%s", imu_csv_column_name(r, f, first));
	return u;
}

void imu_csv_survey_names(struct imu_csv_survey *s, const struct imu_csv *r)
{
	s->time_named = imu_csv_column_unit(r, 0, -1);
	snprintf(s->time_name, sizeof(s->time_name), "%s", imu_csv_column_name(r, 0, -1));
	for (unsigned f = 0; f < imu_csv_feet(r) && f < IMU_CSV_MAX_FEET; f++) {
		enum imu_csv_unit a =
			named_unit(r, f, 0, s->foot[f].acc_name, sizeof(s->foot[f].acc_name));
		enum imu_csv_unit g =
			named_unit(r, f, 3, s->foot[f].gyro_name, sizeof(s->foot[f].gyro_name));
		s->foot[f].acc_named = a == IMU_CSV_UNIT_G || a == IMU_CSV_UNIT_MPS2 ? a : 0;
		s->foot[f].gyro_named = g == IMU_CSV_UNIT_DPS || g == IMU_CSV_UNIT_RADPS ? g : 0;
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
	s->implausible += o->implausible;
	if (o->max_interval > s->max_interval) {
		s->max_interval = o->max_interval;
		s->max_interval_line = o->max_interval_line;
	}
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
	if (res->time_unit == IMU_CSV_TIME_AUTO && s->time_named != IMU_CSV_UNIT_NONE) {
		res->time_unit = s->time_named == IMU_CSV_UNIT_MS   ? IMU_CSV_TIME_MS
				 : s->time_named == IMU_CSV_UNIT_US ? IMU_CSV_TIME_US
								    : IMU_CSV_TIME_S;
		res->time_unit_named = true;
		double hz = 1 / (med * time_scale_s(res->time_unit, 0));
		if (!(o->rate_hz > 0) && (hz < 50 || hz > 4000))
			return reject(why, len,
				      "the time column '%s' is named in %s, but its samples "
				      "are %.6g apart: %.4g Hz, no IMU's rate; the name is wrong: "
				      "give --time-unit (s, ms or us) to read it otherwise",
				      s->time_name, imu_csv_time_unit_name(res->time_unit), med,
				      hz);
	}
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
	if (!(res->duration_s <= IMU_CSV_MAX_DURATION_S))
		return reject(
			why, len,
			"line %lu: the time jumps by %.6g (%s) from the row before it, "
			"making a recording of %.3g hours; no run lasts beyond %.0f hours, so "
			"the time cell is damaged: fix or delete line %lu",
			s->max_interval_line, s->max_interval,
			imu_csv_time_unit_name(res->time_unit), res->duration_s / 3600,
			IMU_CSV_MAX_DURATION_S / 3600, s->max_interval_line);
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
		enum imu_csv_unit named = s->foot[f].acc_named;
		if (o->acc_unit == IMU_CSV_ACC_AUTO && named != IMU_CSV_UNIT_NONE) {
			enum imu_csv_acc_unit said =
				named == IMU_CSV_UNIT_G ? IMU_CSV_ACC_G : IMU_CSV_ACC_MPS2;
			if (looks != said)
				return reject(
					why, len,
					"the accelerometer column '%s' is named in %s, but at rest "
					"it reads %.3g, %s: the name is wrong; give --acc-unit %s "
					"to read the file so",
					s->foot[f].acc_name, imu_csv_acc_unit_name(said), med,
					looks == IMU_CSV_ACC_G      ? "gravity in g"
					: looks == IMU_CSV_ACC_MPS2 ? "gravity in m/s²"
								    : "neither 1 g nor 9.8 m/s²",
					looks == IMU_CSV_ACC_MPS2 ? "mps2" : "g");
			res->acc_unit = said;
			res->acc_unit_detected = false;
			res->acc_unit_named = true;
		} else if (o->acc_unit == IMU_CSV_ACC_AUTO) {
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

/* Full scales gyroscopes are made with, °/s. */
static const double gyro_ranges_dps[] = { 125, 245, 250, 300, 400, 500, 1000, 2000, 2500, 4000 };
#define RAIL_SAMPLES 20        /* in the top band: a rail, not a few high peaks */
#define RAIL_MATCH 0.03        /* calibrated outputs saturate this near their range */
#define SWING_SHARE_DPS 0.9    /* fewer samples slower than AXES_SLOW: °/s */
#define SWING_SHARE_RADPS 0.97 /* more, and a stance's share still: rad/s */
#define STANCE_SHARE_RADPS 0.05
#define AXIS_RADPS_MAX 40.0   /* no foot turns faster about one axis, rad/s */
#define GYRO_LIMIT_RADPS 70.0 /* beyond the widest gyroscope's range (4000 °/s) */

struct gyro_vote {
	enum imu_csv_gyro_unit unit; /* AUTO: no evidence */
	char what[96];
};

#define RAIL_BAND_BINS 3 /* 3 %: how far a rail's readings wander */
#define RAIL_CROWD 2.0   /* samples in the top band against the band below */

/*
 * Whether the channel's readings crowd just below its largest: the top
 * band holds at least RAIL_SAMPLES and RAIL_CROWD times as many as the
 * band below it. A rail does (3DM-GX5 exp 35 at ±500 °/s: 460 samples in
 * 8.59-8.86 rad/s, 90 in 8.33-8.59); the peaks of a motion, however
 * high, thin out towards the largest.
 */
static bool crowds_at_top(const struct imu_csv_channel *c)
{
	int top = top_bin(c->max_abs);
	if (top < 2 * RAIL_BAND_BINS)
		return false;
	uint64_t high = 0, below = 0;
	for (int b = top; b > top - RAIL_BAND_BINS; b--)
		high += c->top[b];
	for (int b = top - RAIL_BAND_BINS; b > top - 2 * RAIL_BAND_BINS; b--)
		below += c->top[b];
	return high >= RAIL_SAMPLES && (double)high >= RAIL_CROWD * (double)below;
}

/* An axis resting at its largest reading, and that a gyroscope's range
 * in one unit (57.3 times apart, so never both). */
static void vote_by_rail(const struct imu_csv_survey *s, unsigned f, struct gyro_vote *v)
{
	for (int ch = 3; ch < 6; ch++) {
		const struct imu_csv_channel *c = &s->foot[f].ch[ch];
		if (c->at_max < 3 && !crowds_at_top(c))
			continue;
		for (size_t i = 0; i < sizeof(gyro_ranges_dps) / sizeof(gyro_ranges_dps[0]); i++) {
			double r = gyro_ranges_dps[i];
			bool dps = fabs(c->max_abs / r - 1) <= RAIL_MATCH;
			bool radps = fabs(c->max_abs / (r * DEG_TO_RAD) - 1) <= RAIL_MATCH;
			if (!dps && !radps)
				continue;
			v->unit = dps ? IMU_CSV_GYRO_DPS : IMU_CSV_GYRO_RADPS;
			snprintf(v->what, sizeof(v->what),
				 "%c axis saturates at %.4g %s, a %.0f °/s range", 'x' + ch - 3,
				 c->max_abs, dps ? "°/s" : "rad/s", r);
			return;
		}
	}
}

/*
 * The stance against the swing: a foot spends its stances with every
 * axis nearly still in rad/s (below AXES_STILL), and it never spends a
 * tenth of its time above AXES_SLOW rad/s (1700 °/s), which a swing
 * read in °/s does, every stride.
 */
static void vote_by_stance(const struct imu_csv_survey *s, unsigned f, struct gyro_vote *v)
{
	double n = (double)s->rows, still = s->foot[f].axes_still / n,
	       slow = s->foot[f].axes_slow / n;
	if (!(n > 0))
		return;
	if (slow < SWING_SHARE_DPS) {
		v->unit = IMU_CSV_GYRO_DPS;
		snprintf(v->what, sizeof(v->what),
			 "%.0f %% of the samples turn faster than %.0f on an axis",
			 100 * (1 - slow), AXES_SLOW);
	} else if (slow >= SWING_SHARE_RADPS && still >= STANCE_SHARE_RADPS) {
		v->unit = IMU_CSV_GYRO_RADPS;
		snprintf(v->what, sizeof(v->what),
			 "the stances read below %.1f on every axis (%.0f %% of the samples), the "
			 "swings mostly below %.0f",
			 AXES_STILL, 100 * still, AXES_SLOW);
	}
}

static double axis_peak(const struct imu_csv_survey *s, unsigned f)
{
	double peak = 0;
	for (int ch = 3; ch < 6; ch++)
		peak = fmax(peak, s->foot[f].ch[ch].max_abs);
	return peak;
}

/*
 * The gyro's unit, on evidence that tells °/s from rad/s, never the
 * norm of the rate (two axes saturated at 2000 °/s make 50 rad/s): an
 * axis saturating at a range in one unit, else gravity turning in the
 * sensor as fast as the rate says (rad/s) or 57.3 times slower (°/s),
 * else an axis faster than a foot turns in rad/s. The first two are
 * decisive (decisive set), the last a guess.
 */
static struct gyro_vote gyro_evidence(const struct imu_csv_survey *s, bool *decisive)
{
	struct gyro_vote v = { IMU_CSV_GYRO_AUTO, "" };
	for (unsigned f = 0; f < s->feet && v.unit == IMU_CSV_GYRO_AUTO; f++)
		vote_by_rail(s, f, &v);
	for (unsigned f = 0; f < s->feet && v.unit == IMU_CSV_GYRO_AUTO; f++)
		vote_by_stance(s, f, &v);
	*decisive = v.unit != IMU_CSV_GYRO_AUTO;
	if (*decisive)
		return v;
	double peak = 0;
	for (unsigned f = 0; f < s->feet; f++)
		peak = fmax(peak, axis_peak(s, f));
	v.unit = peak > AXIS_RADPS_MAX ? IMU_CSV_GYRO_DPS : IMU_CSV_GYRO_RADPS;
	snprintf(v.what, sizeof(v.what), "an axis peaks at %.4g, %s 40 rad/s", peak,
		 peak > AXIS_RADPS_MAX ? "beyond" : "within");
	return v;
}

/* A unit the data cannot be read in: rad/s beyond any gyroscope's range,
 * or °/s too slow for the steps the accelerometer shows. */
static bool gyro_unit_impossible(const struct imu_csv_survey *s, enum imu_csv_gyro_unit u,
				 double *peak)
{
	bool impossible = false;
	*peak = 0;
	for (unsigned f = 0; f < s->feet; f++) {
		double g =
			median_magnitude(s->foot[f].mag_hist[MAG_ALL], s->foot[f].mag_sum[MAG_ALL]);
		double spread = (s->foot[f].mag_max - s->foot[f].mag_min) / g;
		double p = axis_peak(s, f);
		*peak = fmax(*peak, p);
		if (u == IMU_CSV_GYRO_RADPS && p > GYRO_LIMIT_RADPS)
			impossible = true;
		if (u == IMU_CSV_GYRO_DPS && spread > 0.5 && s->foot[f].gyro_peak < GYRO_UNIT_SPLIT)
			impossible = true;
	}
	return impossible;
}

static bool refuse_gyro_unit(const struct imu_csv_survey *s, enum imu_csv_gyro_unit u,
			     const char *given, const char *evidence, char *why, size_t len)
{
	bool radps = u == IMU_CSV_GYRO_RADPS;
	(void)s;
	return reject(why, len,
		      "%s the gyroscope would read %s, but %s: the data look like %s; %s "
		      "--gyro-unit %s",
		      given, radps ? "rad/s" : "°/s", evidence, radps ? "°/s" : "rad/s",
		      strstr(given, "--") ? "use" : "give", radps ? "dps" : "radps");
}

static bool resolve_gyro(const struct imu_csv_survey *s, const struct imu_csv_options *o,
			 struct imu_csv_resolved *res, char *why, size_t len)
{
	bool decisive;
	struct gyro_vote v = gyro_evidence(s, &decisive);
	enum imu_csv_unit named = s->foot[0].gyro_named;
	char given[160], evidence[128];
	double peak;
	res->gyro_unit = o->gyro_unit;
	res->gyro_unit_detected = o->gyro_unit == IMU_CSV_GYRO_AUTO && named == IMU_CSV_UNIT_NONE;
	res->gyro_unit_named = o->gyro_unit == IMU_CSV_GYRO_AUTO && named != IMU_CSV_UNIT_NONE;
	if (res->gyro_unit_named)
		res->gyro_unit =
			named == IMU_CSV_UNIT_RADPS ? IMU_CSV_GYRO_RADPS : IMU_CSV_GYRO_DPS;
	else if (res->gyro_unit_detected)
		res->gyro_unit = v.unit;
	snprintf(res->gyro_evidence, sizeof(res->gyro_evidence), "%s", v.what);
	if (res->gyro_unit_named)
		snprintf(given, sizeof(given), "the gyroscope column '%s' is named in %s, so",
			 s->foot[0].gyro_name, imu_csv_gyro_unit_name(res->gyro_unit));
	else
		snprintf(given, sizeof(given), "with --gyro-unit %s",
			 res->gyro_unit == IMU_CSV_GYRO_RADPS ? "radps" : "dps");
	/* What was given is read so unless the data cannot be; a name is
	 * also overruled by decisive evidence. */
	if (!res->gyro_unit_detected && gyro_unit_impossible(s, res->gyro_unit, &peak)) {
		snprintf(evidence, sizeof(evidence), "%s %.4g",
			 res->gyro_unit == IMU_CSV_GYRO_RADPS
				 ? "an axis reaches"
				 : "while the foot steps it never passes",
			 res->gyro_unit == IMU_CSV_GYRO_RADPS ? peak : s->foot[0].gyro_peak);
		return refuse_gyro_unit(s, res->gyro_unit, given, evidence, why, len);
	}
	if (res->gyro_unit_named && decisive && v.unit != res->gyro_unit)
		return refuse_gyro_unit(s, res->gyro_unit, given, v.what, why, len);
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

/* Full scales accelerometers are made with, g. */
static const double acc_ranges_g[] = { 2, 4, 8, 16, 24, 32, 64, 100, 200 };

/* Samples crowd just below the channel's largest reading, and that is a
 * range the sensor is made with (within RAIL_MATCH): the range in SI
 * units, else 0. */
static double rail_range(const struct imu_csv_channel *c, bool acc, double scale)
{
	if (!crowds_at_top(c))
		return 0;
	size_t n = acc ? sizeof(acc_ranges_g) / sizeof(acc_ranges_g[0])
		       : sizeof(gyro_ranges_dps) / sizeof(gyro_ranges_dps[0]);
	for (size_t i = 0; i < n; i++) {
		double range =
			acc ? acc_ranges_g[i] * GRAVITY_MPS2 : gyro_ranges_dps[i] * DEG_TO_RAD;
		if (fabs(c->max_abs * scale / range - 1) <= RAIL_MATCH)
			return range;
	}
	return 0;
}

/* A channel saturates where several samples sit exactly at its largest
 * magnitude, and that magnitude is one a foot sensor's range could be;
 * or where they crowd near it, and it is a range sensors are made with. */
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
			double rail, given = acc ? o->acc_range_g * GRAVITY_MPS2
						 : o->gyro_range_dps * DEG_TO_RAD;
			double scale = acc ? acc_scale(res->acc_unit) : gyro_scale(res->gyro_unit);
			double max = s->foot[f].ch[ch].max_abs * scale;
			double plausible = acc ? 2 * GRAVITY_MPS2 : 300 * DEG_TO_RAD;
			double outer = acc ? IMU_CSV_ACC_LIMIT_G * GRAVITY_MPS2
					   : IMU_CSV_GYRO_LIMIT_DPS * DEG_TO_RAD;
			res->limit[f][ch] =
				given > 0 ? fmin(outer, given * (1 + IMU_CSV_RANGE_MARGIN)) : outer;
			if (given > 0) {
				res->clip_level[f][ch] = given * (1 - CLIP_TOLERANCE_GIVEN);
			} else if (s->foot[f].ch[ch].at_max >= 3 && max >= plausible) {
				res->clip_level[f][ch] = max * (1 - CLIP_TOLERANCE_FOUND);
				res->clip_detected[f][ch] = true;
			} else if ((rail = rail_range(&s->foot[f].ch[ch], acc, scale)) > 0) {
				/* a calibrated output wanders along its rail: as if
				 * the range were given */
				res->clip_level[f][ch] = rail * (1 - CLIP_TOLERANCE_GIVEN);
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

static void note_implausible(struct imu_csv_converter *c, const struct imu_csv_row *row,
			     unsigned foot, int channel, double value)
{
	if (c->implausible++ > 0)
		return;
	c->implausible_line = row->line;
	c->implausible_foot = foot;
	c->implausible_channel = channel;
	c->implausible_value = value;
}

/* A value beyond its limit, checked in SI units. */
static bool row_implausible(struct imu_csv_converter *c, const struct imu_csv_row *row)
{
	const struct imu_csv_resolved *res = &c->res;
	double as = acc_scale(res->acc_unit), gs = gyro_scale(res->gyro_unit);

	for (unsigned i = 0; i < row->feet; i++) {
		unsigned f = c->foot_offset + i < IMU_CSV_MAX_FEET ? c->foot_offset + i : 0;
		for (int ch = 0; ch < 6; ch++) {
			double si = row->v[i][ch] * (ch < 3 ? as : gs);
			if (!(fabs(si) <= res->limit[f][ch])) {
				note_implausible(c, row, i, ch, row->v[i][ch]);
				return true;
			}
		}
	}
	return false;
}

const char *imu_csv_implausible_text(const struct imu_csv_converter *c, const struct imu_csv *r,
				     char *buf, size_t size)
{
	static const char *const names[6] = { "acc x",  "acc y",  "acc z",
					      "gyro x", "gyro y", "gyro z" };
	int ch = c->implausible_channel;

	if (c->implausible == 0) {
		snprintf(buf, size, "%s", "");
		return buf;
	}
	snprintf(buf, size,
		 "line %lu: %s (%s) reads %.6g, %s; %llu row%s like it %s left out as %s "
		 "(check the recording, or give the sensor's --acc-range/--gyro-range)",
		 c->implausible_line, ch < 0 ? "time" : names[ch],
		 imu_csv_column_name(r, c->implausible_foot, ch), c->implausible_value,
		 ch < 0 ? "outside the recording's time" : "beyond any sensor's range",
		 (unsigned long long)c->implausible, c->implausible == 1 ? "" : "s",
		 c->implausible == 1 ? "is" : "are", c->implausible == 1 ? "a gap" : "gaps");
	return buf;
}

unsigned imu_csv_convert(struct imu_csv_converter *c, const struct imu_csv *r,
			 const struct imu_csv_row *row, struct imu_sample *out, bool *had_gap,
			 struct imu_csv_gap *gap)
{
	const struct imu_csv_resolved *res = &c->res;
	double scale_us = 1e6 * time_scale_s(res->time_unit, res->rate_hz);
	double offset_us = (row->t - res->t0) * scale_us;
	*had_gap = false;
	/* Times outside the surveyed recording (a file changed between the
	 * passes) would overflow. */
	if (!(offset_us >= 0 && offset_us <= 1e6 * IMU_CSV_MAX_DURATION_S)) {
		note_implausible(c, row, 0, -1, row->t);
		return 0;
	}
	if (row_implausible(c, row))
		return 0;
	int64_t t_us = c->start_us + llround(offset_us);
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
