/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Foot-mounted inertial navigation aided by zero-velocity updates: a
 * strapdown mechanisation of one shoe IMU, corrected by a 19-state
 * error-state Kalman filter (position, velocity, attitude, accelerometer
 * and gyroscope bias, accelerometer scale factor, the sensor's height
 * above the point the foot turns about in a stance) whenever a SHOE/GLRT
 * detector (Skog et al. 2010) finds the foot at rest. Streaming, constant memory, no allocation after
 * ins_new: one instance per foot per run.
 *
 * Strides are cut at stance starts. A stride is reported once the stance
 * that ends it is over, because only then have the zero-velocity updates
 * pulled the swing's drift out of the stance position.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/imu.h"

struct ins_config {
	double rate_hz; /* nominal; sets the detector window */
	/* Process noise (densities, inflated over the sensor's datasheet to
	 * cover model errors such as vibration and sampling). */
	double acc_noise_mps2_rthz;
	double gyro_noise_radps_rthz;
	double acc_bias_rw_mps2_rts;
	double gyro_bias_rw_radps_rts;
	double acc_bias_init_mps2; /* initial bias SD */
	double gyro_bias_init_radps;
	/* Accelerometer scale factor error per axis: initial SD and random
	 * walk (relative, and relative per √s). */
	double acc_scale_init;
	double acc_scale_rw_rts;
	double zupt_sd_mps; /* pseudo-measurement noise */
	/* Height of the sensor above the point of the sole the foot turns
	 * about in a stance: its prior mean and SD (estimated per sensor). */
	double pivot_height_m;
	double pivot_height_sd_m;
	/* Detector: GLRT statistic with these noise weights, stance when below
	 * threshold · (1 + (recent speed / speed_ref)²). */
	double det_acc_sd_mps2;
	double det_gyro_sd_radps;
	double det_threshold;
	double det_speed_ref_mps;
	double det_window_s;
	double max_gap_s; /* longer gaps restart the navigation */
	/* A saturated gyro axis is replaced by a cubic through the readings
	 * either side of the clipped run (true); false trusts the rail, to
	 * measure what the repair is worth. */
	bool repair_clipped_gyro;
};

void ins_config_default(struct ins_config *cfg);

struct ins_stride {
	uint8_t foot; /* enum imu_foot */
	bool valid;   /* false if the stride spans a restart */
	bool gap;     /* samples were lost inside the stride */
	bool clipped; /* a sample inside was saturated (set by strides.h) */
	/* Half of a stride twice as long as its neighbours at their cadence:
	 * the stance between the two was missed (set by strides.h). */
	bool split;
	int64_t start_us; /* stance start (landing) */
	int64_t end_us;   /* next stance start */
	int64_t duration_us;
	int64_t stance_us; /* detected stance at the start */
	double length_m;   /* horizontal distance between stances */
	double speed_mps;
	double height_change_m;
	double clearance_m; /* max swing height above the start stance */
	double pos_m[3];    /* stance position at the end, navigation frame */
};

struct ins;
/* NULL if the configuration is out of range. */
struct ins *ins_new(const struct ins_config *cfg, uint8_t foot);
void ins_free(struct ins *ins);

/* Feeds one sample (in sensor-time order). Returns true and fills *out when
 * a stride has completed. */
bool ins_push(struct ins *ins, const struct imu_sample *s, struct ins_stride *out);

/* At the end of a recording: processes the samples still in the detector's
 * delay line and closes a final stance, so the last stride is not lost.
 * Call until it returns false; the instance takes no samples afterwards. */
bool ins_flush(struct ins *ins, struct ins_stride *out);

/* Counters for reports and tests. */
struct ins_stats {
	uint64_t samples;
	uint64_t stance_samples;
	uint64_t zupts;
	uint64_t clipped_samples;
	uint64_t restarts;
	uint64_t strides;
	double pivot_height_m; /* the sensor's height above the still point, estimated */
	/* The sensor's biases as estimated (sensor frame) and their SDs. */
	double acc_bias_mps2[3], acc_bias_sd_mps2[3];
	double gyro_bias_radps[3], gyro_bias_sd_radps[3];
};
void ins_stats(const struct ins *ins, struct ins_stats *stats);

/* Current navigation state, for tests and plots. */
void ins_get_position(const struct ins *ins, double pos_m[3]);
bool ins_in_stance(const struct ins *ins);
