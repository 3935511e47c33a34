// SPDX-License-Identifier: GPL-2.0-or-later
#include "treadmill.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* A treadmill's counter that jumps by more than this between two
 * notifications was reset, or is nonsense: count on from its new value. */
#define MAX_COUNTER_STEP_M 100.0
#define MAX_INTEGRATION_GAP_US 5000000

void treadmill_run_begin(struct treadmill_run *t)
{
	*t = (struct treadmill_run){ .sec_incline = NAN };
	ftms_check_init(&t->check);
	pod_cal_run_init(&t->pod_cal);
	t->surface.pod_distance_raw_m = NAN;
	t->surface.pod_scale = NAN;
}

bool treadmill_decode(const struct notification *n, double start_speed_mps,
		      struct ftms_treadmill_data *out, bool *active)
{
	if (!ftms_parse_treadmill_data(n->value, n->len, out))
		return false;
	*active = out->has_speed && out->speed_mps >= start_speed_mps;
	return true;
}

static void log_new_doubts(struct treadmill_run *t, const char *sensor)
{
	unsigned fresh = ftms_check_doubts(&t->check) & ~t->doubts_logged;
	for (unsigned bit = 1; fresh; bit <<= 1) {
		if (!(fresh & bit))
			continue;
		fresh &= ~bit;
		log_warning("treadmill %s: %s; its data are stored as sent", sensor,
			    ftms_doubt_text((enum ftms_doubt)bit));
	}
	t->doubts_logged = ftms_check_doubts(&t->check);
}

/* The treadmill's own counter where it sends one, else its speed over time. */
static void add_distance(struct treadmill_run *t, const char *sensor,
			 const struct ftms_treadmill_data *d, int64_t t_us)
{
	if (d->has_total_distance) {
		double step = d->total_distance_m - t->last_counter_m;
		if (t->counter_known && step >= 0 && step <= MAX_COUNTER_STEP_M)
			t->distance_m += step;
		else if (t->counter_known)
			log_info(
				"treadmill %s: distance counter jumped by %.0f m; counting from here",
				sensor, step);
		t->counter_known = true;
		t->last_counter_m = d->total_distance_m;
	} else if (d->has_speed && t->last_speed_us) {
		int64_t dt_us = t_us - t->last_speed_us;
		if (dt_us > 0 && dt_us <= MAX_INTEGRATION_GAP_US)
			t->distance_m += 0.5 * (d->speed_mps + t->last_speed_mps) * dt_us * 1e-6;
	}
	if (d->has_speed) {
		t->last_speed_us = t_us;
		t->last_speed_mps = d->speed_mps;
	}
}

void treadmill_aggregate(struct treadmill_run *t, const char *sensor,
			 const struct ftms_treadmill_data *d, int64_t t_us, bool active)
{
	t->has_data = true;
	ftms_check_observe(&t->check, d, t_us);
	log_new_doubts(t, sensor);
	add_distance(t, sensor, d, t_us);
	if (active)
		t->distance_at_active_m = t->distance_m;
	if (d->has_speed) {
		t->sec_speed_sum += d->speed_mps;
		t->sec_speed_n++;
	}
	if (d->has_incline) {
		t->sec_incline_sum += d->incline_pct;
		t->sec_incline_n++;
	}
}

static void look_up_pod(struct treadmill_run *t, struct store *store, int64_t pod_sensor_id)
{
	t->pod_sensor_id = pod_sensor_id;
	int err = store_pod_current(store, pod_sensor_id, &t->pod_current);
	t->pod_has_scale = err == 0 && t->pod_current.scale >= POD_CAL_MIN_SCALE &&
			   t->pod_current.scale <= POD_CAL_MAX_SCALE;
	if (err < 0 && err != -ENOENT)
		log_warning("cannot read the foot pod's calibration (%s); its readings stay raw",
			    store_error(store));
}

/* The belt's speed and distance; stride length from distance over strides. */
static void fill_from_treadmill(struct treadmill_run *t, struct store_sample *sample)
{
	sample->speed_mps = t->sec_speed_n ? t->sec_speed_sum / t->sec_speed_n : t->last_speed_mps;
	sample->distance_m = t->distance_m;
	sample->stride_length_m =
		sample->cadence_spm > 0 ? sample->speed_mps * 120.0 / sample->cadence_spm : NAN;
}

void treadmill_fill_sample(struct treadmill_run *t, struct store *store, int64_t pod_sensor_id,
			   double imu_total_m, struct store_sample *sample)
{
	if (pod_sensor_id && pod_sensor_id != t->pod_sensor_id)
		look_up_pod(t, store, pod_sensor_id);
	if (pod_sensor_id)
		pod_cal_run_observe(&t->pod_cal, sample->distance_m, imu_total_m);
	t->sec_incline = t->sec_incline_n ? t->sec_incline_sum / t->sec_incline_n : NAN;
	if (t->has_data) {
		fill_from_treadmill(t, sample);
	} else if (pod_sensor_id && t->pod_has_scale) {
		double scale = t->pod_current.scale;
		sample->speed_mps /= scale;
		sample->distance_m /= scale;
		sample->stride_length_m /= scale;
	}
	t->sec_speed_sum = t->sec_incline_sum = 0;
	t->sec_speed_n = t->sec_incline_n = 0;
}

int treadmill_store_sample(struct treadmill_run *t, struct store *store, int64_t run_id,
			   const struct store_sample *sample)
{
	if (isnan(t->sec_incline))
		return 0;
	return store_sample_set_incline(store, run_id, sample->t_us, t->sec_incline);
}

void treadmill_note_stride(struct treadmill_run *t, const struct ins_stride *x, bool clipped)
{
	t->strides++;
	t->restarts += !x->valid;
	t->clipped += clipped;
	if (!x->valid || clipped)
		pod_cal_run_taint(&t->pod_cal);
	if (!x->valid || x->duration_us > TREADMILL_CADENCE_STRIDE_MAX_S * 1e6)
		return;
	t->at_cadence++;
	t->short_at_cadence += x->length_m < TREADMILL_SHORT_STRIDE_M;
}

bool treadmill_suspected(unsigned strides, unsigned at_cadence, unsigned short_at_cadence)
{
	return at_cadence >= TREADMILL_MIN_STRIDES && 2 * at_cadence >= strides &&
	       5 * short_at_cadence >= 4 * at_cadence;
}

static void set_distance(struct store_run *summary, double distance_m)
{
	summary->distance_m = distance_m;
	summary->speed_mps = summary->duration_s > 0 ? distance_m / summary->duration_s : NAN;
}

/* Strides in the run from its cadence: two steps each. */
static double stride_from_distance(const struct store_run *summary)
{
	double strides = summary->cadence_spm / 2 * summary->duration_s / 60;
	return strides > 0 ? summary->distance_m / strides : NAN;
}

static void note_doubts(struct treadmill_run *t)
{
	unsigned doubts = ftms_check_doubts(&t->check);
	size_t len = 0;
	char *note = t->surface.distance_note;
	for (unsigned bit = 1; doubts && bit <= FTMS_DOUBT_INCLINE_RANGE; bit <<= 1) {
		if (!(doubts & bit))
			continue;
		int n = snprintf(note + len, sizeof(t->surface.distance_note) - len,
				 "%streadmill %s", len ? "; " : "",
				 ftms_doubt_text((enum ftms_doubt)bit));
		if (n < 0 || (size_t)n >= sizeof(t->surface.distance_note) - len)
			break;
		len += (size_t)n;
	}
}

static void end_on_treadmill(struct treadmill_run *t, struct store_run *summary)
{
	snprintf(t->surface.surface, sizeof(t->surface.surface), "treadmill");
	set_distance(summary, t->distance_at_active_m);
	summary->stride_length_m = stride_from_distance(summary);
	note_doubts(t);
}

static void end_suspected(struct treadmill_run *t, bool pod_primary, struct store_run *summary)
{
	snprintf(t->surface.surface, sizeof(t->surface.surface), "treadmill");
	snprintf(t->surface.distance_note, sizeof(t->surface.distance_note),
		 "treadmill without treadmill data: %u of %u strides at running cadence moved "
		 "under %.1f m%s",
		 t->short_at_cadence, t->at_cadence, TREADMILL_SHORT_STRIDE_M,
		 pod_primary ? "; distance from the foot pod" : "; distance unknown");
	log_warning("run %lld: %s (pair the treadmill: hamstride sensors add ADDR --role "
		    "treadmill)",
		    (long long)summary->id, t->surface.distance_note);
	if (pod_primary) {
		summary->stride_length_m = stride_from_distance(summary);
	} else {
		set_distance(summary, NAN);
		summary->stride_length_m = NAN;
	}
}

void treadmill_end_run(struct treadmill_run *t, bool pod_primary, unsigned imu_valid_strides,
		       struct store_run *summary)
{
	t->surface_known = true;
	if (pod_primary && t->pod_sensor_id) {
		t->surface.pod_distance_raw_m = summary->distance_m;
		if (t->pod_has_scale) {
			t->surface.pod_scale = t->pod_current.scale;
			set_distance(summary,
				     pod_cal_apply(summary->distance_m, t->pod_current.scale));
			if (!imu_valid_strides) /* the stride is the pod's: it is calibrated */
				summary->stride_length_m /= t->pod_current.scale;
		}
	}
	if (t->has_data)
		end_on_treadmill(t, summary);
	else if (treadmill_suspected(t->strides, t->at_cadence, t->short_at_cadence))
		end_suspected(t, pod_primary, summary);
}

/* Why a run with a pod and IMUs does not calibrate the pod, or NULL. A
 * flagged stride takes its window out of the estimate; a run with more
 * than this share of them flagged is not trusted at all. */
#define MAX_FLAGGED_SHARE 0.05
static const char *unfit_for_calibration(const struct treadmill_run *t)
{
	if (t->surface.surface[0])
		return "it was on a treadmill";
	if (t->restarts > MAX_FLAGGED_SHARE * t->strides)
		return "the shoe IMUs' navigation restarted too often";
	if (t->clipped > MAX_FLAGGED_SHARE * t->strides)
		return "the shoe IMUs clipped too often";
	return NULL;
}

static int calibrate_pod(struct treadmill_run *t, struct store *store,
			 const struct store_run *summary)
{
	struct pod_cal_estimate run, current;
	if (!pod_cal_run_estimate(&t->pod_cal, &run)) {
		log_info("run %lld: too little distance or an implausible factor to calibrate the "
			 "foot pod",
			 (long long)summary->id);
		return 0;
	}
	struct store_pod_calibration hist[POD_CAL_HISTORY_RUNS];
	struct pod_cal_estimate est[POD_CAL_HISTORY_RUNS];
	size_t n = 0;
	int err = store_pod_history(store, t->pod_sensor_id, hist, POD_CAL_HISTORY_RUNS - 1, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		est[i] = (struct pod_cal_estimate){ .scale = hist[i].run_scale,
						    .scale_sd = hist[i].run_scale_sd,
						    .windows = hist[i].windows,
						    .pod_m = hist[i].pod_m,
						    .imu_m = hist[i].imu_m };
	est[n++] = run;
	pod_cal_combine(est, n, &current);
	struct store_pod_calibration row = {
		.run_id = summary->id,
		.t_us = summary->end_us,
		.run_scale = run.scale,
		.run_scale_sd = run.scale_sd,
		.windows = run.windows,
		.pod_m = run.pod_m,
		.imu_m = run.imu_m,
		.scale = current.scale,
		.scale_sd = current.scale_sd,
	};
	log_notice("run %lld: foot pod reads %.4f ± %.4f of the shoe IMUs' distance on this run "
		   "(%u windows, %u left out); its factor is now %.4f ± %.4f",
		   (long long)summary->id, run.scale, run.scale_sd, run.windows, run.left_out,
		   current.scale, current.scale_sd);
	return store_pod_calibration_add(store, t->pod_sensor_id, &row);
}

int treadmill_store_run(struct treadmill_run *t, struct store *store,
			const struct store_run *summary, double imu_distance_m)
{
	if (!t->surface_known)
		return 0;
	int err = 0;
	if (t->surface.surface[0] || t->surface.distance_note[0] ||
	    !isnan(t->surface.pod_distance_raw_m))
		err = store_run_set_surface(store, summary->id, &t->surface);
	if (err || !t->pod_sensor_id || !t->strides || !(imu_distance_m > 0))
		return err;
	const char *why = unfit_for_calibration(t);
	if (why) {
		log_info("run %lld does not calibrate the foot pod: %s", (long long)summary->id,
			 why);
		return 0;
	}
	return calibrate_pod(t, store, summary);
}
