/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the foot INS (ins.h), shared by its two halves: ins.c (the
 * detector, mechanisation and strides) and ins_filter.c (the error-state
 * Kalman filter's covariance: propagation, process noise and the
 * zero-velocity updates). Nothing outside analysis/nav/ins*.c includes it.
 */
#pragma once

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "nav/ins.h"

#define GRAVITY_MPS2 9.80665
#define NS 19 /* error states: δp, δv, δθ, δba, δbg, δka, δh */
#define IP 0
#define IV 3
#define IT 6
#define IBA 9
#define IBG 12
#define IKA 15
#define IH 18           /* the sensor's height above the stance's still point */
#define MAX_PIVOT_M 0.3 /* the height is kept within 0..this */
#define MAX_WINDOW 33
#define RING 256                /* samples and detector statistics, power of two */
#define LOOKAHEAD_S 0.08        /* how far the detector looks around a sample */
#define VALLEY_FACTOR 3.0       /* within this factor of the local minimum */
#define VALLEY_CEILING 10.0     /* times the threshold: what may count as a valley */
#define STANCE_DUE 0.6          /* of the usual swing: a stance may begin */
#define SWINGS 5                /* the usual swing: median of this many strides' */
#define VALLEY_DEPTH 40.0       /* times below the swing's peak: what may count as a valley */
#define RUN_STANCE_S 0.12       /* detected stances shorter than this: a running gait */
#define FIRST_SWING_S 0.3       /* before the first stride: no valley sooner after standing, */
#define FIRST_VALLEY_DEPTH 80.0 /* nor less deep */
#define INIT_STILL_S 1.0        /* a stance this long initialises at once */
#define INIT_MIN_S 0.02
#define GYRO_BIAS_STILL_S 0.5 /* standing this long gives a gyro bias estimate */
#define STANCE_MERGE_S 0.06   /* detector flicker shorter than this is one stance */
#define SWING_MIN_MOVE_M 0.08 /* a swing moves the foot at least this far... */
#define SWING_MIN_S 0.5       /* ...or lasts this long; else it was a stance's flicker */
#define QUIET_INTERVAL_S 1.0  /* longer than any stride */
#define QUIET_FACTOR 3.0
#define COV_FLUSH_S 0.1 /* at least this often; updates flush too */
#define ZUPT_RATE_HZ 250.0
#define ZUPT_CORE 0.5                         /* of the threshold: the stance's still core */
#define MIN_STANCE_N 2                        /* samples; fewer is detector flicker */
#define SCALE_MIN_RATE_HZ 300                 /* below this the scale factor states are left out */
#define UNSEEN_FORCE_MPS2 (16 * GRAVITY_MPS2) /* a heel strike's peak, at full scale */

/* Accumulated error-state transition since the last covariance update:
 * identity plus these blocks (p: position, v: velocity, t: attitude).
 * The attitude blocks of position and velocity are sums of -dt [f]×, so
 * skew-symmetric: only their vector is kept. The velocity-accelerometer
 * bias block accumulates the same -dt R as the attitude-gyro bias block,
 * so tbg serves as both. */
struct phi {
	double pv;           /* times I */
	double pt[3], vt[3]; /* the blocks are [pt]×, [vt]× */
	double pba[9], pbg[9], pka[9];
	double vbg[9], vka[9];
	double tbg[9]; /* also the v-ba block */
	double dt_s;
	unsigned steps;
};

struct ins {
	struct ins_config cfg;
	uint8_t foot;
	unsigned half; /* detector window half-width, samples */
	unsigned window;
	unsigned lookahead;           /* samples */
	unsigned min_stance_n;        /* samples */
	struct imu_sample ring[RING]; /* delay line: sample i at i % RING */
	double stat[RING];            /* detector statistic, same indexing */
	double gamma[RING];           /* its threshold */
	uint64_t pushed;
	uint64_t next_decision; /* first sample not yet processed */
	bool ended;             /* ins_flush has run */
	bool still;             /* the decided sample is still enough to update */
	bool valley;            /* ...and is a stance found as a valley */
	double swing_peak;      /* highest statistic since the last stance sample */
	/* Sums over the detector window, slid one sample at a time and
	 * summed afresh every RING samples so rounding cannot build up. */
	double win_acc[3], win_acc2;   /* Σ a, Σ |a|² */
	double win_gyro[3], win_gyro2; /* Σ ω, Σ |ω|² */
	unsigned win_clipped;          /* clipped samples in the window */

	/* navigation state */
	bool initialized;
	double R[9]; /* body to navigation */
	double v[3], p[3], ba[3], bg[3];
	double ka[3];      /* accelerometer scale correction */
	double ka_var[3];  /* its variance, kept over restarts */
	double pivot_m;    /* the sensor's height above the still point */
	double pivot_var;  /* its variance, kept over restarts */
	bool clip_unseen;  /* acc clipped since the last update */
	bool scale_states; /* the scale factor is estimated */
	double P[NS][NS];
	struct phi phi;
	double f_prev_n[3];
	double w_prev[3]; /* previous raw angular rate */
	bool have_prev;
	int64_t t_prev_us;
	double yaw_keep;
	bool bg_known;

	/* initial alignment */
	double init_acc[3], init_gyro[3];
	unsigned init_n;
	int64_t init_start_us;

	/* stance tracking */
	bool in_stance;
	bool prev_stance_sample;   /* the detector's last decision */
	bool stance_valley;        /* the current stance has a valley sample... */
	bool stance_on_time;       /* ...or began where a running stance was due */
	bool stance_updated;       /* ...has had a zero-velocity update */
	int64_t last_swing_us;     /* stance end to stance start, usually */
	int64_t swings_us[SWINGS]; /* the latest strides' swings, a ring */
	unsigned swings_n;
	unsigned stance_n;
	int64_t stance_start_us, stance_last_us;
	double stance_pos[3];
	bool have_prev_stance;
	double prev_pos[3];
	int64_t prev_start_us, prev_stance_us;
	double swing_max_z, stride_max_z;
	bool stride_valid, stride_gap;
	int64_t last_gap_us; /* first sample after the latest gap */
	double speed_recent_mps;
	/* quietest detector statistic in the current and previous interval */
	double tmin_cur, tmin_prev;
	int64_t tmin_start_us;

	struct ins_stats stats;
};

/* ---- 3x3 helpers, row-major ---- */

/* Rotation matrix of the rotation vector w (Rodrigues). */
static inline void so3_exp(const double w[3], double r[9])
{
	double th2 = w[0] * w[0] + w[1] * w[1] + w[2] * w[2], a, b;
	if (th2 < 1e-12) {
		a = 1 - th2 / 6;
		b = 0.5 - th2 / 24;
	} else {
		double th = sqrt(th2);
		a = sin(th) / th;
		b = (1 - cos(th)) / th2;
	}
	double x = w[0], y = w[1], z = w[2];
	r[0] = 1 - b * (y * y + z * z);
	r[1] = -a * z + b * x * y;
	r[2] = a * y + b * x * z;
	r[3] = a * z + b * x * y;
	r[4] = 1 - b * (x * x + z * z);
	r[5] = -a * x + b * y * z;
	r[6] = -a * y + b * x * z;
	r[7] = a * x + b * y * z;
	r[8] = 1 - b * (x * x + y * y);
}

/* ---- ins_filter.c ---- */

/* P for a newly levelled foot. */
void ins_filter_init_covariance(struct ins *ins);
/* The transition accumulated since the last flush back to identity. */
void ins_phi_reset(struct ins *ins);
/* One step of the error dynamics into the accumulated transition. */
void ins_propagate(struct ins *ins, const double u[3], const double f_n[3], double dt);
/* P <- Phi P Phi' + Q over the accumulated interval. */
void ins_cov_flush(struct ins *ins);
/* What a clipped sample or a gap hides, charged to the covariance. */
void ins_inflate_clipped(struct ins *ins, const struct imu_sample *s, double dt);
void ins_inflate_clipped_gyro(struct ins *ins, const struct imu_sample *s, double dt);
void ins_inflate_gap(struct ins *ins, double missing_s);
/* The zero-velocity update of a still sample. */
void ins_zupt(struct ins *ins);
/* The stance position made independent of the rest, once a stance is over. */
void ins_decorrelate_position(struct ins *ins);
