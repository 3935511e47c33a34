// SPDX-License-Identifier: GPL-2.0-or-later
#include "run/pod_cal.h"

#include <math.h>
#include <stdlib.h>

void pod_cal_run_init(struct pod_cal_run *r)
{
	*r = (struct pod_cal_run){ .window_m = POD_CAL_WINDOW_M };
}

/* A full table: pairs of windows become one twice as long. */
static void merge_windows(struct pod_cal_run *r)
{
	size_t j = 0;
	for (size_t i = 0; i + 1 < r->n; i += 2, j++) {
		r->pod_m[j] = r->pod_m[i] + r->pod_m[i + 1];
		r->imu_m[j] = r->imu_m[i] + r->imu_m[i + 1];
	}
	r->n = j;
	r->window_m *= 2;
}

void pod_cal_run_observe(struct pod_cal_run *r, double pod_total_m, double imu_total_m)
{
	if (!isfinite(pod_total_m) || !isfinite(imu_total_m))
		return;
	if (!r->started || pod_total_m < r->start_pod_m || imu_total_m < r->start_imu_m) {
		r->started = true;
		r->start_pod_m = pod_total_m;
		r->start_imu_m = imu_total_m;
		return;
	}
	double imu_m = imu_total_m - r->start_imu_m;
	if (imu_m < r->window_m)
		return;
	if (r->open_tainted) {
		r->tainted++;
		r->open_tainted = false;
	} else {
		if (r->n == POD_CAL_MAX_WINDOWS)
			merge_windows(r);
		r->pod_m[r->n] = pod_total_m - r->start_pod_m;
		r->imu_m[r->n] = imu_m;
		r->n++;
	}
	r->start_pod_m = pod_total_m;
	r->start_imu_m = imu_total_m;
}

void pod_cal_run_taint(struct pod_cal_run *r)
{
	r->open_tainted = true;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_ratio(const struct pod_cal_run *r)
{
	double ratio[POD_CAL_MAX_WINDOWS];
	for (size_t i = 0; i < r->n; i++)
		ratio[i] = r->pod_m[i] / r->imu_m[i];
	qsort(ratio, r->n, sizeof(ratio[0]), compare_doubles);
	return r->n % 2 ? ratio[r->n / 2] : 0.5 * (ratio[r->n / 2 - 1] + ratio[r->n / 2]);
}

static bool inlier(const struct pod_cal_run *r, size_t i, double median)
{
	return fabs(r->pod_m[i] / r->imu_m[i] - median) <= POD_CAL_OUTLIER * median;
}

/*
 * The ratio estimator sum(pod) / sum(imu) and its standard error from the
 * windows' residuals (Cochran, Sampling Techniques, 6.3), with the IMUs'
 * own bias added in quadrature.
 */
bool pod_cal_run_estimate(const struct pod_cal_run *r, struct pod_cal_estimate *out)
{
	if (r->n < POD_CAL_MIN_WINDOWS)
		return false;
	double median = median_ratio(r);
	double pod_m = 0, imu_m = 0;
	size_t used = 0;
	for (size_t i = 0; i < r->n; i++)
		if (inlier(r, i, median)) {
			pod_m += r->pod_m[i];
			imu_m += r->imu_m[i];
			used++;
		}
	double scale = pod_m / imu_m;
	if (used < POD_CAL_MIN_WINDOWS ||
	    !(scale >= POD_CAL_MIN_SCALE && scale <= POD_CAL_MAX_SCALE))
		return false;
	double ss = 0;
	for (size_t i = 0; i < r->n; i++)
		if (inlier(r, i, median)) {
			double e = r->pod_m[i] - scale * r->imu_m[i];
			ss += e * e;
		}
	double n = (double)used;
	double se = sqrt(ss / (n - 1) / n) / (imu_m / n);
	*out = (struct pod_cal_estimate){
		.scale = scale,
		.scale_sd = sqrt(se * se + POD_CAL_IMU_BIAS_SD * POD_CAL_IMU_BIAS_SD),
		.windows = (unsigned)used,
		.left_out = (unsigned)(r->n - used) + r->tainted,
		.pod_m = pod_m,
		.imu_m = imu_m,
	};
	return true;
}

/* A run's uncertainty without the IMUs' bias: what more runs average away. */
static double random_variance(const struct pod_cal_estimate *e)
{
	double v = e->scale_sd * e->scale_sd - POD_CAL_IMU_BIAS_SD * POD_CAL_IMU_BIAS_SD;
	return v > 1e-12 ? v : 1e-12;
}

bool pod_cal_combine(const struct pod_cal_estimate *runs, size_t n, struct pod_cal_estimate *out)
{
	if (n == 0)
		return false;
	size_t first = n > POD_CAL_HISTORY_RUNS ? n - POD_CAL_HISTORY_RUNS : 0;
	struct pod_cal_estimate c = { 0 };
	double wsum = 0, wscale = 0, precision = 0;
	for (size_t i = first; i < n; i++) {
		double w = 1.0 / (runs[i].scale_sd * runs[i].scale_sd);
		wsum += w;
		wscale += w * runs[i].scale;
		precision += 1.0 / random_variance(&runs[i]);
		c.windows += runs[i].windows;
		c.pod_m += runs[i].pod_m;
		c.imu_m += runs[i].imu_m;
	}
	c.scale = wscale / wsum;
	/* The IMUs' bias is the same on every run: it does not average away. */
	c.scale_sd = sqrt(1.0 / precision + POD_CAL_IMU_BIAS_SD * POD_CAL_IMU_BIAS_SD);
	*out = c;
	return true;
}

double pod_cal_apply(double pod_m, double scale)
{
	if (!(scale >= POD_CAL_MIN_SCALE && scale <= POD_CAL_MAX_SCALE))
		return pod_m;
	return pod_m / scale;
}
