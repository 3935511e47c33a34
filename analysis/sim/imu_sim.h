/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shoe-IMU simulator: a physically consistent foot trajectory for walking
 * and running (stance with zero velocity after a heel-strike transient,
 * swing with forward travel, clearance, pitch and roll), seen by a MEMS
 * IMU mounted on the shoe at an arbitrary rotation, with gravity, noise,
 * bias and bias instability, scale and misalignment errors, int16
 * quantisation, clipping and packet loss. Specific force and angular rate
 * are the analytic derivatives of the trajectory, so an error-free IMU
 * integrates back to the truth up to the integrator's own error.
 *
 * Generation streams: samples go into a caller buffer in time order and
 * per-stride truth is queued as each stride completes, so an hour of data
 * never has to be in memory. Seeded (gsl_rng mt19937): same config, same
 * samples.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/imu.h"

enum imu_sim_gait {
	IMU_SIM_GAIT_AUTO = 0, /* walk below 2.2 m/s, run above */
	IMU_SIM_GAIT_WALK = 1,
	IMU_SIM_GAIT_RUN = 2,
};

enum {
	IMU_SIM_LEFT = 1 << 0,
	IMU_SIM_RIGHT = 1 << 1,
};

struct imu_sim_config {
	uint64_t seed;
	double rate_hz;          /* 100 .. 1000 */
	int64_t t0_us;           /* sensor time of the first sample */
	double speed_mps;        /* 1 .. 6.5 */
	double grade;            /* rise over run, -0.15 .. 0.15 */
	int gait;                /* enum imu_sim_gait */
	unsigned feet;           /* IMU_SIM_LEFT | IMU_SIM_RIGHT */
	double heading_rad;      /* direction of travel, from the x axis */
	double still_s;          /* standing before the first step */
	double variability;      /* stride-to-stride relative SD of length and time */
	double impact_scale;     /* 1: typical heel-strike transient, 0: none */
	double mount_rpy_rad[3]; /* sensor frame relative to the foot frame */

	/* MEMS errors; all zero gives an ideal (but still quantised) sensor. */
	double acc_range_g;          /* clipping at ±range; 16 */
	double gyro_range_dps;       /* 2000 */
	double acc_noise_ug_rthz;    /* noise density, µg/√Hz */
	double gyro_noise_mdps_rthz; /* mdps/√Hz */
	double acc_bias_mg;          /* turn-on bias SD per axis */
	double gyro_bias_dps;
	double acc_bias_rw_ug_rts; /* bias instability as a random walk, µg/√s */
	double gyro_bias_rw_mdps_rts;
	double scale_sd;        /* relative scale factor error SD per axis */
	double misalign_sd_rad; /* axis misalignment SD */
	double packet_loss;     /* probability of losing a packet */
	unsigned samples_per_packet;
	/* Timing skew: the accelerometer samples this long after the
	 * gyroscope (negative: before), both stamped with the gyroscope's
	 * time, as when the two are separate converters or filters of
	 * different delay. Each sensor adds a draw of SD acc_delay_sd_s.
	 * |delay| <= IMU_SIM_MAX_ACC_DELAY_S. Default 0: simultaneous. */
	double acc_delay_s;
	double acc_delay_sd_s;
};
#define IMU_SIM_MAX_ACC_DELAY_S 0.05

/* One completed stride of one foot: landing to next landing. */
struct imu_sim_stride {
	uint8_t foot;     /* enum imu_foot */
	int64_t start_us; /* landing (stance start) */
	int64_t end_us;   /* next landing */
	double length_m;  /* horizontal displacement */
	double height_change_m;
	double speed_mps;   /* length / duration */
	int64_t stance_us;  /* landing to toe-off */
	double clearance_m; /* max height in swing above the start stance */
	double grade;
};

/* Calibrated consumer MEMS (LSM6DSO / BMI270 class) at ±16 g, ±2000 °/s,
 * 400 Hz, running at 3.5 m/s on the flat, both feet. */
void imu_sim_config_default(struct imu_sim_config *cfg);

struct imu_sim;
/* NULL if the configuration is out of range. */
struct imu_sim *imu_sim_new(const struct imu_sim_config *cfg);
void imu_sim_free(struct imu_sim *sim);

/* Changes speed and grade from the next planned step on. */
void imu_sim_set_motion(struct imu_sim *sim, double speed_mps, double grade);

/* Fills out with up to cap samples in time order (both feet interleaved
 * when both are simulated; lost packets are simply absent). */
size_t imu_sim_generate(struct imu_sim *sim, struct imu_sample *out, size_t cap);

/* Pops the oldest completed stride; false when none is queued. The queue
 * holds IMU_SIM_TRUTH_QUEUE strides; older ones are dropped if nobody pops. */
#define IMU_SIM_TRUTH_QUEUE 64
bool imu_sim_pop_truth(struct imu_sim *sim, struct imu_sim_stride *out);

/* Sensor time of the next sample to be generated. */
int64_t imu_sim_time_us(const struct imu_sim *sim);

/* The accelerometer's delay behind the gyroscope in the sensor on foot
 * (enum imu_foot), drawn and clamped; 0 for a foot not simulated. */
double imu_sim_acc_delay_s(const struct imu_sim *sim, uint8_t foot);

/* The true accelerometer and gyroscope biases of the sensor on foot, as
 * of the latest sample (sensor frame, m/s² and rad/s), to check what an
 * estimator learns; false for a foot not simulated. */
bool imu_sim_biases(const struct imu_sim *sim, uint8_t foot, double acc_mps2[3],
		    double gyro_radps[3]);
