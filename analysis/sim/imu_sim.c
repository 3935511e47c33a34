/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sim/imu_sim.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mat3.h"
#include "util/xalloc.h"

#define GRAVITY_MPS2 9.80665
#define DEG_TO_RAD (M_PI / 180.0)
#define SCHEDULE_LEN 16u
#define LATERAL_OFFSET_M 0.09
#define IMPACT_FREQ_HZ 60.0
#define IMPACT_DECAY_S 0.010
#define START_RAMP_STRIDES 3.0

/*
 * The gait is planned as a schedule of the left foot's landings (time,
 * distance along the path, terrain height, gait parameters of the stride
 * that ends there). The right foot lands halfway between two left
 * landings, so the feet stay half a stride apart however strides vary.
 */
struct landing {
	double t_s;
	double along_m;
	double z_m;
	double grade;
	double swing_s;     /* swing of the stride ending here */
	double clearance_m; /* swing height bump */
	double pushoff_rad; /* toe-down rotation early in swing */
	double dorsi_rad;   /* toe-up rotation before landing */
	double roll_rad;
	double impact_m; /* heel-strike transient amplitude at this landing */
};

/* One foot's current stride, in the path frame (x along, y left, z up). */
struct foot_plan {
	uint64_t stride; /* its index */
	double start_s, stance_end_s, end_s;
	double p0[3], p1[3];
	double pitch0_rad, pitch1_rad;
	double clearance_m, pushoff_rad, dorsi_rad, roll_rad;
	double impact_m;
	double grade;
	double max_z_m;
};

struct sensor_errors {
	double acc_m[9], gyro_m[9]; /* (I + scale + misalignment) */
	double acc_bias[3], gyro_bias[3];
	double acc_sd, gyro_sd;       /* per-sample white noise */
	double acc_rw_sd, gyro_rw_sd; /* per-sample bias random-walk step */
	double acc_delay_s;           /* the accelerometer's sampling behind the gyroscope's */
};

struct foot {
	uint8_t id; /* enum imu_foot */
	double lateral_m;
	struct foot_plan plan;     /* at the gyroscope's sampling time: the truth's */
	struct foot_plan acc_plan; /* at the accelerometer's, when they differ */
	struct sensor_errors err;
	bool packet_lost;
};

struct imu_sim {
	struct imu_sim_config cfg;
	gsl_rng *rng;
	double mount[9]; /* sensor to foot rotation */
	double acc_lsb, gyro_lsb;
	struct landing sched[SCHEDULE_LEN];
	uint64_t sched_count; /* landings planned so far */
	uint64_t sample;      /* index of the next sample time */
	struct foot feet[2];
	unsigned nfeet;
	unsigned next_foot; /* within the current sample time */
	struct imu_sim_stride truth[IMU_SIM_TRUTH_QUEUE];
	unsigned truth_head, truth_len;
};

void imu_sim_config_default(struct imu_sim_config *cfg)
{
	*cfg = (struct imu_sim_config){
		.seed = 1,
		.rate_hz = 400,
		.speed_mps = 3.5,
		.gait = IMU_SIM_GAIT_AUTO,
		.feet = IMU_SIM_LEFT | IMU_SIM_RIGHT,
		.still_s = 2.0,
		.variability = 0.02,
		.impact_scale = 1.0,
		.mount_rpy_rad = { 0.10, -0.15, 0.30 },
		.acc_range_g = 16,
		.gyro_range_dps = 2000,
		.acc_noise_ug_rthz = 150,
		.gyro_noise_mdps_rthz = 5,
		.acc_bias_mg = 3,
		.gyro_bias_dps = 0.3,
		.acc_bias_rw_ug_rts = 30,
		.gyro_bias_rw_mdps_rts = 3,
		.scale_sd = 0.002,
		.misalign_sd_rad = 0.002,
		.packet_loss = 0,
		.samples_per_packet = 8,
	};
}

/* ---- gait model ---- */

static bool running(const struct imu_sim_config *cfg, double speed)
{
	if (cfg->gait == IMU_SIM_GAIT_AUTO)
		return speed >= 2.2;
	return cfg->gait == IMU_SIM_GAIT_RUN;
}

/* Stride frequency grows slowly with speed when running (most of the
 * speed comes from longer strides); walking cadence grows faster. */
static double stride_freq_hz(bool run, double speed)
{
	return run ? 1.25 + 0.06 * speed : 0.75 + 0.15 * speed;
}

/* Zero-velocity (foot-flat) time shrinks with speed: ~130 ms at 3 m/s,
 * ~50 ms at 6.5 m/s; about a third of the stride when walking. */
static double stance_s(bool run, double speed, double stride_s)
{
	if (run)
		return fmax(0.045, 0.20 - 0.023 * speed);
	return 0.35 * stride_s;
}

static double gauss(struct imu_sim *sim, double sd)
{
	return sd > 0 ? gsl_ran_gaussian(sim->rng, sd) : 0.0;
}

static void plan_landing(struct imu_sim *sim, struct landing *l, const struct landing *prev,
			 uint64_t k)
{
	const struct imu_sim_config *c = &sim->cfg;
	/* From standing, the runner takes a few strides to reach the pace. */
	double ramp = fmin(1.0, (double)k / START_RAMP_STRIDES);
	double v = fmax(0.5, ramp * c->speed_mps) * (1 + gauss(sim, 0.5 * c->variability));
	bool run = running(c, c->speed_mps);
	double stride_s = (1 + gauss(sim, c->variability)) / stride_freq_hz(run, v);
	double length_m = v * stride_s;
	double stance = stance_s(run, v, stride_s);
	*l = (struct landing){
		.t_s = prev->t_s + stride_s,
		.along_m = prev->along_m + length_m,
		.z_m = prev->z_m + c->grade * length_m,
		.grade = c->grade,
		.swing_s = stride_s - stance,
		.clearance_m = (run ? 0.10 + 0.05 * v : 0.10) * (1 + gauss(sim, 0.05)),
		.pushoff_rad = (run ? 45 + 5 * v : 35) * DEG_TO_RAD,
		.dorsi_rad = (run ? 15 : 20) * DEG_TO_RAD,
		.roll_rad = gauss(sim, 4 * DEG_TO_RAD),
		.impact_m = run ? c->impact_scale * 1.4e-4 * v * v : c->impact_scale * 2e-5 * v * v,
	};
}

static const struct landing *landing_at(struct imu_sim *sim, uint64_t k)
{
	while (sim->sched_count <= k) {
		uint64_t j = sim->sched_count;
		struct landing *l = &sim->sched[j % SCHEDULE_LEN];
		if (j == 0) {
			*l = (struct landing){ .grade = sim->cfg.grade };
		} else {
			plan_landing(sim, l, &sim->sched[(j - 1) % SCHEDULE_LEN], j);
			/* The first stride starts from standing. */
			if (j == 1)
				l->t_s += sim->cfg.still_s;
		}
		sim->sched_count++;
	}
	return &sim->sched[k % SCHEDULE_LEN];
}

/* Landing k of a foot as a point in time and on the path. */
static void foot_landing(struct imu_sim *sim, const struct foot *f, uint64_t k, double *t_s,
			 double p[3], const struct landing **params)
{
	if (f->id == IMU_FOOT_LEFT) {
		const struct landing *l = landing_at(sim, k);
		*t_s = l->t_s;
		p[0] = l->along_m;
		p[2] = l->z_m;
		*params = l;
	} else if (k == 0) {
		/* Staggered start: the right foot stands half a stride ahead. */
		const struct landing *a = landing_at(sim, 0), *b = landing_at(sim, 1);
		*t_s = a->t_s;
		p[0] = 0.5 * (a->along_m + b->along_m);
		p[2] = 0.5 * (a->z_m + b->z_m);
		*params = a;
	} else {
		const struct landing *a = landing_at(sim, k), *b = landing_at(sim, k + 1);
		*t_s = 0.5 * (a->t_s + b->t_s);
		p[0] = 0.5 * (a->along_m + b->along_m);
		p[2] = 0.5 * (a->z_m + b->z_m);
		*params = a;
	}
	p[1] = f->lateral_m;
}

/* Min-jerk 0→1 profile with zero velocity and acceleration at both ends. */
static void minjerk(double s, double d[3])
{
	double s2 = s * s, s3 = s2 * s;
	d[0] = s3 * (10 - 15 * s + 6 * s2);
	d[1] = s2 * (30 - 60 * s + 30 * s2);
	d[2] = s * (60 - 180 * s + 120 * s2);
}

/* 64 s³(1-s)³: a bump of height 1 at mid-swing, flat at both ends. */
static void bump(double s, double d[3])
{
	double s2 = s * s, s3 = s2 * s, s4 = s3 * s;
	d[0] = 64 * (s3 - 3 * s4 + 3 * s4 * s - s3 * s3);
	d[1] = 64 * (3 * s2 - 12 * s3 + 15 * s4 - 6 * s4 * s);
	d[2] = 64 * (6 * s - 36 * s2 + 60 * s3 - 30 * s4);
}

/* s²(1-s)⁴ scaled to peak 1 at s = 1/3: early-swing push-off rotation. */
static void early(double s, double d[2])
{
	const double k = 729.0 / 16.0;
	double u = 1 - s;
	d[0] = k * s * s * u * u * u * u;
	d[1] = k * 2 * s * u * u * u * (1 - 3 * s);
}

static void start_stride(struct imu_sim *sim, const struct foot *f, struct foot_plan *p, uint64_t k)
{
	const struct landing *lp0, *lp1;
	double pitch_prev = k == 0 ? -atan(sim->cfg.grade) : p->pitch1_rad;
	foot_landing(sim, f, k, &p->start_s, p->p0, &lp0);
	foot_landing(sim, f, k + 1, &p->end_s, p->p1, &lp1);
	p->stance_end_s = p->end_s - lp1->swing_s;
	p->pitch0_rad = pitch_prev;
	p->pitch1_rad = -atan(lp1->grade);
	p->clearance_m = lp1->clearance_m;
	p->pushoff_rad = lp1->pushoff_rad;
	p->dorsi_rad = lp1->dorsi_rad;
	p->roll_rad = lp1->roll_rad;
	p->impact_m = k == 0 ? 0.0 : lp0->impact_m;
	p->grade = lp1->grade;
	p->max_z_m = p->p0[2];
	p->stride = k;
}

/* Position, velocity, acceleration (path frame), pitch, roll and their
 * rates of a foot at time t. */
struct kin {
	double p[3], v[3], a[3];
	double pitch, roll, pitch_rate, roll_rate;
};

/*
 * The heel-strike transient: the shoe rings and dies out. A e^{-t/τ}(1 - cos
 * ωt)²/4 starts smoothly at rest (a real impact has a rise time, and the
 * sensor's anti-alias filter smooths it further), mostly vertical with some
 * fore-aft braking. The ring frequency stays below the sensor's Nyquist
 * frequency, as its filter would make it.
 */
static void impact(const struct imu_sim *sim, const struct foot_plan *p, double tau, struct kin *k)
{
	double w = 2 * M_PI * fmin(IMPACT_FREQ_HZ, 0.3 * sim->cfg.rate_hz);
	double u = exp(-tau / IMPACT_DECAY_S), sn = sin(w * tau), cs = cos(w * tau), oc = 1 - cs;
	double c = 0.25 * oc * oc, cd = 0.5 * oc * w * sn, cdd = 0.5 * w * w * (sn * sn + oc * cs);
	double ud = -u / IMPACT_DECAY_S, udd = u / (IMPACT_DECAY_S * IMPACT_DECAY_S);
	double d = -p->impact_m * u * c;
	double dd = -p->impact_m * (ud * c + u * cd);
	double ddd = -p->impact_m * (udd * c + 2 * ud * cd + u * cdd);
	const double dir[3] = { -0.5, 0, 1 };
	for (int i = 0; i < 3; i++) {
		k->p[i] += dir[i] * d;
		k->v[i] = dir[i] * dd;
		k->a[i] = dir[i] * ddd;
	}
}

static void kinematics(const struct imu_sim *sim, const struct foot_plan *p, double t,
		       struct kin *k)
{
	*k = (struct kin){ .pitch = p->pitch0_rad };
	for (int i = 0; i < 3; i++)
		k->p[i] = p->p0[i];
	if (t < p->stance_end_s) {
		impact(sim, p, t - p->start_s, k);
		return;
	}
	double tw = p->end_s - p->stance_end_s, s = (t - p->stance_end_s) / tw;
	double m[3], b[3], e[2], l[2];
	minjerk(s, m);
	bump(s, b);
	early(s, e);
	early(1 - s, l);
	l[1] = -l[1];
	for (int i = 0; i < 3; i++) {
		double d = p->p1[i] - p->p0[i];
		double up = i == 2 ? p->clearance_m : 0.0;
		k->p[i] = p->p0[i] + d * m[0] + up * b[0];
		k->v[i] = (d * m[1] + up * b[1]) / tw;
		k->a[i] = (d * m[2] + up * b[2]) / (tw * tw);
	}
	double dp = p->pitch1_rad - p->pitch0_rad;
	k->pitch = p->pitch0_rad + dp * m[0] + p->pushoff_rad * e[0] - p->dorsi_rad * l[0];
	k->pitch_rate = (dp * m[1] + p->pushoff_rad * e[1] - p->dorsi_rad * l[1]) / tw;
	k->roll = p->roll_rad * b[0];
	k->roll_rate = p->roll_rad * b[1] / tw;
}

/* True specific force in the foot frame. */
static void foot_specific_force(const struct imu_sim *sim, const struct kin *k, double f[3])
{
	double yaw = sim->cfg.heading_rad, r[9];
	mat3_from_rpy(k->roll, k->pitch, yaw, r);
	/* Path frame to world is a rotation by the heading about z. */
	double cy = cos(yaw), sy = sin(yaw);
	double a_w[3] = { cy * k->a[0] - sy * k->a[1], sy * k->a[0] + cy * k->a[1],
			  k->a[2] + GRAVITY_MPS2 };
	mat3_tmul_vec(r, a_w, f);
}

/* True angular rate in the foot frame. */
static void foot_rate(const struct kin *k, double w[3])
{
	w[0] = k->roll_rate;
	w[1] = k->pitch_rate * cos(k->roll);
	w[2] = -k->pitch_rate * sin(k->roll);
}

/* ---- sensor errors ---- */

static void init_errors(struct imu_sim *sim, struct sensor_errors *e)
{
	const struct imu_sim_config *c = &sim->cfg;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			double d = i == j ? 1 + gauss(sim, c->scale_sd)
					  : gauss(sim, c->misalign_sd_rad);
			e->acc_m[3 * i + j] = d;
			d = i == j ? 1 + gauss(sim, c->scale_sd) : gauss(sim, c->misalign_sd_rad);
			e->gyro_m[3 * i + j] = d;
		}
	for (int i = 0; i < 3; i++) {
		e->acc_bias[i] = gauss(sim, c->acc_bias_mg * 1e-3 * GRAVITY_MPS2);
		e->gyro_bias[i] = gauss(sim, c->gyro_bias_dps * DEG_TO_RAD);
	}
	double sqrt_rate = sqrt(c->rate_hz), sqrt_dt = 1 / sqrt_rate;
	e->acc_sd = c->acc_noise_ug_rthz * 1e-6 * GRAVITY_MPS2 * sqrt_rate;
	e->gyro_sd = c->gyro_noise_mdps_rthz * 1e-3 * DEG_TO_RAD * sqrt_rate;
	e->acc_rw_sd = c->acc_bias_rw_ug_rts * 1e-6 * GRAVITY_MPS2 * sqrt_dt;
	e->gyro_rw_sd = c->gyro_bias_rw_mdps_rts * 1e-3 * DEG_TO_RAD * sqrt_dt;
	double delay = c->acc_delay_s + gauss(sim, c->acc_delay_sd_s);
	e->acc_delay_s = fmin(fmax(delay, -IMU_SIM_MAX_ACC_DELAY_S), IMU_SIM_MAX_ACC_DELAY_S);
}

/* Rounds to the int16 grid of the range; true if the converter saturated. */
static bool quantise(double *v, double lsb)
{
	double raw = nearbyint(*v / lsb);
	bool clipped = false;
	if (raw >= 32767) {
		raw = 32767;
		clipped = true;
	} else if (raw <= -32768) {
		raw = -32768;
		clipped = true;
	}
	*v = raw * lsb;
	return clipped;
}

static void measure(struct imu_sim *sim, struct sensor_errors *e, const double f_foot[3],
		    const double w_foot[3], struct imu_sample *s)
{
	double f[3], w[3], fm[3], wm[3];
	mat3_tmul_vec(sim->mount, f_foot, f);
	mat3_tmul_vec(sim->mount, w_foot, w);
	mat3_mul_vec(e->acc_m, f, fm);
	mat3_mul_vec(e->gyro_m, w, wm);
	s->clipped = 0;
	for (int i = 0; i < 3; i++) {
		e->acc_bias[i] += gauss(sim, e->acc_rw_sd);
		e->gyro_bias[i] += gauss(sim, e->gyro_rw_sd);
		s->acc_mps2[i] = fm[i] + e->acc_bias[i] + gauss(sim, e->acc_sd);
		s->gyro_radps[i] = wm[i] + e->gyro_bias[i] + gauss(sim, e->gyro_sd);
		if (quantise(&s->acc_mps2[i], sim->acc_lsb))
			s->clipped |= (uint8_t)(IMU_CLIP_ACC_X << i);
		if (quantise(&s->gyro_radps[i], sim->gyro_lsb))
			s->clipped |= (uint8_t)(IMU_CLIP_GYRO_X << i);
	}
}

/* ---- truth ---- */

static void push_truth(struct imu_sim *sim, const struct foot *f)
{
	const struct foot_plan *p = &f->plan;
	struct imu_sim_stride t = {
		.foot = f->id,
		.start_us = sim->cfg.t0_us + llround(p->start_s * 1e6),
		.end_us = sim->cfg.t0_us + llround(p->end_s * 1e6),
		.length_m = hypot(p->p1[0] - p->p0[0], p->p1[1] - p->p0[1]),
		.height_change_m = p->p1[2] - p->p0[2],
		.stance_us = llround((p->stance_end_s - p->start_s) * 1e6),
		.clearance_m = p->max_z_m - p->p0[2],
		.grade = p->grade,
	};
	t.speed_mps = t.length_m / (p->end_s - p->start_s);
	unsigned slot = (sim->truth_head + sim->truth_len) % IMU_SIM_TRUTH_QUEUE;
	if (sim->truth_len == IMU_SIM_TRUTH_QUEUE)
		sim->truth_head = (sim->truth_head + 1) % IMU_SIM_TRUTH_QUEUE;
	else
		sim->truth_len++;
	sim->truth[slot] = t;
}

bool imu_sim_pop_truth(struct imu_sim *sim, struct imu_sim_stride *out)
{
	if (sim->truth_len == 0)
		return false;
	*out = sim->truth[sim->truth_head];
	sim->truth_head = (sim->truth_head + 1) % IMU_SIM_TRUTH_QUEUE;
	sim->truth_len--;
	return true;
}

/* ---- life cycle and generation ---- */

static bool config_valid(const struct imu_sim_config *c)
{
	return c->rate_hz >= 50 && c->rate_hz <= 2000 && c->speed_mps >= 0.5 && c->speed_mps <= 8 &&
	       fabs(c->grade) <= 0.3 && (c->feet & 3) != 0 && c->acc_range_g > 0 &&
	       c->gyro_range_dps > 0 && c->still_s >= 0 && c->packet_loss >= 0 &&
	       c->packet_loss < 1 && c->samples_per_packet > 0 &&
	       fabs(c->acc_delay_s) <= IMU_SIM_MAX_ACC_DELAY_S && c->acc_delay_sd_s >= 0 &&
	       c->acc_delay_sd_s <= IMU_SIM_MAX_ACC_DELAY_S;
}

struct imu_sim *imu_sim_new(const struct imu_sim_config *cfg)
{
	if (!config_valid(cfg))
		return NULL;
	struct imu_sim *sim = xcalloc(1, sizeof(*sim));
	sim->cfg = *cfg;
	sim->rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(sim->rng, (unsigned long)cfg->seed);
	mat3_from_rpy(cfg->mount_rpy_rad[0], cfg->mount_rpy_rad[1], cfg->mount_rpy_rad[2],
		      sim->mount);
	sim->acc_lsb = cfg->acc_range_g * GRAVITY_MPS2 / 32768.0;
	sim->gyro_lsb = cfg->gyro_range_dps * DEG_TO_RAD / 32768.0;
	if (cfg->feet & IMU_SIM_LEFT)
		sim->feet[sim->nfeet++] =
			(struct foot){ .id = IMU_FOOT_LEFT, .lateral_m = LATERAL_OFFSET_M };
	if (cfg->feet & IMU_SIM_RIGHT)
		sim->feet[sim->nfeet++] =
			(struct foot){ .id = IMU_FOOT_RIGHT, .lateral_m = -LATERAL_OFFSET_M };
	for (unsigned i = 0; i < sim->nfeet; i++) {
		struct foot *f = &sim->feet[i];
		init_errors(sim, &f->err);
		start_stride(sim, f, &f->plan, 0);
		f->acc_plan = f->plan;
	}
	return sim;
}

void imu_sim_free(struct imu_sim *sim)
{
	if (!sim)
		return;
	gsl_rng_free(sim->rng);
	free(sim);
}

void imu_sim_set_motion(struct imu_sim *sim, double speed_mps, double grade)
{
	sim->cfg.speed_mps = fmin(fmax(speed_mps, 0.5), 8.0);
	sim->cfg.grade = fmin(fmax(grade, -0.3), 0.3);
}

int64_t imu_sim_time_us(const struct imu_sim *sim)
{
	return sim->cfg.t0_us + llround((double)sim->sample * 1e6 / sim->cfg.rate_hz);
}

double imu_sim_acc_delay_s(const struct imu_sim *sim, uint8_t foot)
{
	for (unsigned i = 0; i < sim->nfeet; i++)
		if (sim->feet[i].id == foot)
			return sim->feet[i].err.acc_delay_s;
	return 0;
}

bool imu_sim_biases(const struct imu_sim *sim, uint8_t foot, double acc_mps2[3],
		    double gyro_radps[3])
{
	for (unsigned i = 0; i < sim->nfeet; i++)
		if (sim->feet[i].id == foot) {
			memcpy(acc_mps2, sim->feet[i].err.acc_bias, 3 * sizeof(double));
			memcpy(gyro_radps, sim->feet[i].err.gyro_bias, 3 * sizeof(double));
			return true;
		}
	return false;
}

/* Specific force at t + the accelerometer's delay, from the plan of the
 * stride that time falls in: near a landing, a stride ahead of or behind
 * the gyroscope's. Before the first stride the foot stands still. */
static void delayed_specific_force(struct imu_sim *sim, struct foot *f, double t, double fb[3])
{
	double ta = t + f->err.acc_delay_s;
	while (ta >= f->acc_plan.end_s)
		start_stride(sim, f, &f->acc_plan, f->acc_plan.stride + 1);
	struct kin k;
	kinematics(sim, &f->acc_plan, ta, &k);
	foot_specific_force(sim, &k, fb);
}

static void foot_sample(struct imu_sim *sim, struct foot *f, double t, struct imu_sample *s)
{
	while (t >= f->plan.end_s) {
		push_truth(sim, f);
		start_stride(sim, f, &f->plan, f->plan.stride + 1);
	}
	struct kin k;
	kinematics(sim, &f->plan, t, &k);
	if (k.p[2] > f->plan.max_z_m && t >= f->plan.stance_end_s)
		f->plan.max_z_m = k.p[2];
	double fb[3], wb[3];
	foot_rate(&k, wb);
	if (f->err.acc_delay_s == 0)
		foot_specific_force(sim, &k, fb);
	else
		delayed_specific_force(sim, f, t, fb);
	measure(sim, &f->err, fb, wb, s);
	s->foot = f->id;
}

size_t imu_sim_generate(struct imu_sim *sim, struct imu_sample *out, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		struct foot *f = &sim->feet[sim->next_foot];
		int64_t t_us = imu_sim_time_us(sim);
		if (sim->sample % sim->cfg.samples_per_packet == 0)
			f->packet_lost = sim->cfg.packet_loss > 0 &&
					 gsl_rng_uniform(sim->rng) < sim->cfg.packet_loss;
		struct imu_sample s;
		memset(&s, 0, sizeof(s)); /* padding too: a seeded run is the same bytes */
		foot_sample(sim, f, (double)(t_us - sim->cfg.t0_us) * 1e-6, &s);
		s.t_us = t_us;
		if (!f->packet_lost)
			out[n++] = s;
		if (++sim->next_foot == sim->nfeet) {
			sim->next_foot = 0;
			sim->sample++;
		}
	}
	return n;
}
