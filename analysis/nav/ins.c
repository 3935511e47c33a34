/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nav/ins.h"
#include "nav/ins_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mat3.h"
#include "util/median.h"
#include "util/xalloc.h"

void ins_config_default(struct ins_config *cfg)
{
	*cfg = (struct ins_config){
		.rate_hz = 400,
		.acc_noise_mps2_rthz = 0.05,
		.gyro_noise_radps_rthz = 1e-3,
		.acc_bias_rw_mps2_rts = 1e-3,
		.gyro_bias_rw_radps_rts = 1e-4,
		.acc_bias_init_mps2 = 0.05,
		.gyro_bias_init_radps = 0.01,
		.acc_scale_init = 0.002,
		.acc_scale_rw_rts = 1e-5,
		.zupt_sd_mps = 0.01,
		.pivot_height_m = 0,
		.pivot_height_sd_m = 0.1,
		.det_acc_sd_mps2 = 0.4,
		.det_gyro_sd_radps = 0.1,
		.det_threshold = 20,
		.det_speed_ref_mps = 2.5,
		.det_window_s = 0.0125,
		.max_gap_s = 0.1,
		.repair_clipped_gyro = true,
	};
}

/* ---- life cycle ---- */

static bool config_valid(const struct ins_config *c)
{
	return c->rate_hz >= 50 && c->rate_hz <= 4000 && c->zupt_sd_mps > 0 &&
	       c->acc_scale_init >= 0 && c->acc_scale_rw_rts >= 0 && c->pivot_height_m >= 0 &&
	       c->pivot_height_m <= MAX_PIVOT_M && c->pivot_height_sd_m >= 0 &&
	       c->det_acc_sd_mps2 > 0 && c->det_gyro_sd_radps > 0 && c->det_threshold > 0 &&
	       c->det_speed_ref_mps > 0 && c->det_window_s >= 0 && c->max_gap_s > 0;
}

struct ins *ins_new(const struct ins_config *cfg, uint8_t foot)
{
	if (!config_valid(cfg))
		return NULL;
	struct ins *ins = xcalloc(1, sizeof(*ins));
	ins->cfg = *cfg;
	ins->foot = foot;
	unsigned half = (unsigned)lround(0.5 * cfg->det_window_s * cfg->rate_hz);
	ins->half = half < 1 ? 1 : half > (MAX_WINDOW - 1) / 2 ? (MAX_WINDOW - 1) / 2 : half;
	ins->window = 2 * ins->half + 1;
	unsigned look = (unsigned)lround(LOOKAHEAD_S * cfg->rate_hz);
	unsigned look_max = (RING - ins->window) / 2 - 1;
	ins->lookahead = look > look_max ? look_max : look;
	ins->min_stance_n = MIN_STANCE_N;
	ins->stride_valid = true;
	ins->last_gap_us = INT64_MIN;
	ins->swing_max_z = -INFINITY;
	ins->tmin_cur = INFINITY;
	ins->tmin_prev = INFINITY;
	/* Below SCALE_MIN_RATE_HZ the strapdown's own error in a running
	 * swing outgrows a calibrated sensor's scale error (at 200 Hz and
	 * 5.5 m/s, 4.6 cm of height per stride from an error-free simulated
	 * sensor), and the scale states would fit that error instead: 200 Hz
	 * sprints measured 1.5-2 cm worse with them. */
	ins->scale_states = cfg->rate_hz >= SCALE_MIN_RATE_HZ;
	for (int k = 0; k < 3; k++)
		ins->ka_var[k] = ins->scale_states ? cfg->acc_scale_init * cfg->acc_scale_init : 0;
	ins->pivot_m = cfg->pivot_height_m;
	ins->pivot_var = cfg->pivot_height_sd_m * cfg->pivot_height_sd_m;
	return ins;
}

void ins_free(struct ins *ins)
{
	free(ins);
}

void ins_stats(const struct ins *ins, struct ins_stats *stats)
{
	*stats = ins->stats;
	stats->pivot_height_m = ins->pivot_m;
	for (int k = 0; k < 3; k++) {
		stats->acc_bias_mps2[k] = ins->ba[k];
		stats->acc_bias_sd_mps2[k] = sqrt(ins->P[IBA + k][IBA + k]);
		stats->gyro_bias_radps[k] = ins->bg[k];
		stats->gyro_bias_sd_radps[k] = sqrt(ins->P[IBG + k][IBG + k]);
	}
}

void ins_get_position(const struct ins *ins, double pos_m[3])
{
	memcpy(pos_m, ins->p, sizeof(ins->p));
}

bool ins_in_stance(const struct ins *ins)
{
	return ins->in_stance;
}

/* ---- detector ---- */

static const struct imu_sample *sample_at(const struct ins *ins, uint64_t i)
{
	return &ins->ring[i % RING];
}

/* Tracks the quietest moment of the last one to two intervals: at a
 * sprint the foot is never still, but its quietest moment each stride is
 * still the stance. */
static double quietest_recent(struct ins *ins, int64_t t_us, double stat)
{
	if (t_us - ins->tmin_start_us > (int64_t)(QUIET_INTERVAL_S * 1e6)) {
		ins->tmin_prev = ins->tmin_cur;
		ins->tmin_cur = INFINITY;
		ins->tmin_start_us = t_us;
	}
	if (stat < ins->tmin_cur)
		ins->tmin_cur = stat;
	return fmin(ins->tmin_cur, ins->tmin_prev);
}

/* Adds (sign 1) or removes (sign -1) a sample to the window's sums. */
static void window_add(struct ins *ins, const struct imu_sample *s, double sign)
{
	const double *a = s->acc_mps2, *w = s->gyro_radps;
	for (int k = 0; k < 3; k++) {
		ins->win_acc[k] += sign * a[k];
		ins->win_gyro[k] += sign * w[k];
	}
	ins->win_acc2 += sign * (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
	ins->win_gyro2 += sign * (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
	if (s->clipped && sign > 0)
		ins->win_clipped++;
	else if (s->clipped)
		ins->win_clipped--;
}

/* The window now ends at sample n: slide it by one, or sum it afresh. */
static void window_slide(struct ins *ins, uint64_t n)
{
	if (n >= ins->window && n % RING != 0) {
		window_add(ins, sample_at(ins, n), 1);
		window_add(ins, sample_at(ins, n - ins->window), -1);
		return;
	}
	memset(ins->win_acc, 0, sizeof(ins->win_acc));
	memset(ins->win_gyro, 0, sizeof(ins->win_gyro));
	ins->win_acc2 = ins->win_gyro2 = 0;
	ins->win_clipped = 0;
	uint64_t first = n + 1 > ins->window ? n + 1 - ins->window : 0;
	for (uint64_t i = first; i <= n; i++)
		window_add(ins, sample_at(ins, i), 1);
}

/*
 * SHOE/GLRT statistic of the full window (Skog et al. 2010): with g the
 * window's mean specific force scaled to gravity, Σ |a - g|² / σa² +
 * Σ |ω - bg|² / σω², over the window's length. From the window's sums:
 * Σ |a - g|² = Σ |a|² - 2 g·Σ a + W |g|², and g·Σ a = G |Σ a|. A clipped
 * sample in the window makes it infinite (no stance).
 */
static double glrt(const struct ins *ins)
{
	if (ins->win_clipped)
		return INFINITY;
	const double *m = ins->win_acc, *sw = ins->win_gyro, *bg = ins->bg;
	double norm = sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
	if (!(norm > 0))
		return INFINITY;
	double n = ins->window;
	double ta = ins->win_acc2 - 2 * GRAVITY_MPS2 * norm + n * GRAVITY_MPS2 * GRAVITY_MPS2;
	double tg = ins->win_gyro2 - 2 * (bg[0] * sw[0] + bg[1] * sw[1] + bg[2] * sw[2]) +
		    n * (bg[0] * bg[0] + bg[1] * bg[1] + bg[2] * bg[2]);
	double inv_sa2 = 1 / (ins->cfg.det_acc_sd_mps2 * ins->cfg.det_acc_sd_mps2);
	double inv_sg2 = 1 / (ins->cfg.det_gyro_sd_radps * ins->cfg.det_gyro_sd_radps);
	/* the sums' rounding may take a still window's terms a hair below 0 */
	return (fmax(ta, 0) * inv_sa2 + fmax(tg, 0) * inv_sg2) / n;
}

/* Running stance is shorter and never quite still: the threshold grows
 * with the speed of the recent strides... */
static double speed_threshold(const struct ins *ins)
{
	double r = ins->speed_recent_mps / ins->cfg.det_speed_ref_mps;
	return ins->cfg.det_threshold * (1 + r * r);
}

/* ...and never stays below a multiple of the recent quietest moment. */
static double threshold(struct ins *ins, int64_t t_us, double stat)
{
	double quiet = quietest_recent(ins, t_us, stat);
	return fmax(speed_threshold(ins), QUIET_FACTOR * quiet);
}

/*
 * Whether a stance may begin at t_us by the stride's timing: late in the
 * swing, which is timed from the end of the latest stance and measured
 * on the last stride (without its stance, which is the standing itself
 * after a standing start). The swing has a quiet moment of its own a
 * third of a stride after toe-off, and a stance found there would stop
 * the foot in mid-air. Before the first stride there is no swing to go
 * by: then at least a short one.
 */
static bool stance_expected(const struct ins *ins, int64_t t_us)
{
	if (!ins->have_prev_stance && !ins->in_stance)
		return true;
	double since = (double)(t_us - ins->stance_last_us);
	if (ins->last_swing_us <= 0)
		return since > FIRST_SWING_S * 1e6;
	return since > STANCE_DUE * (double)ins->last_swing_us;
}

/* A running gait: stances short, as the latest was. */
static bool running_gait(const struct ins *ins)
{
	int64_t latest_us =
		ins->in_stance ? ins->stance_last_us - ins->stance_start_us : ins->prev_stance_us;
	return ins->last_swing_us > 0 && (double)latest_us < RUN_STANCE_S * 1e6;
}

/*
 * Whether a valley above the threshold may stand in for a missed stance.
 * Only in a running gait: there the heel-strike ringing may not die out
 * before toe-off, while a walking foot stands flat long enough for the
 * threshold, and its quiet moments above it are more likely the swing
 * slowing down. Only where a stance is expected, and far below the peak
 * of the swing before it: on the gait_driven walks and jog the swing's
 * own quiet moment, and the heel strike's ringing between two spikes,
 * stay within a factor of 25 of that peak; a sprint's stances lie 50 to
 * 1000 times below it. Before the first stride, after a standing start,
 * the gait is not known yet: then only a valley twice as deep, which the
 * quiet moments of a walker's first step (20-60) do not reach and a
 * sprinter's first stance (100 and more) does.
 */
static bool valley_may_be_stance(const struct ins *ins, int64_t t_us, double stat)
{
	if ((!ins->have_prev_stance && !ins->in_stance) || !stance_expected(ins, t_us))
		return false;
	if (ins->last_swing_us <= 0)
		return stat * FIRST_VALLEY_DEPTH < ins->swing_peak;
	return stat * VALLEY_DEPTH < ins->swing_peak && running_gait(ins);
}

/*
 * Stance decision for sample d, whose neighbours up to the look-ahead on
 * both sides have their statistic. Below the threshold is stance, except
 * where only the quietest-moment floor lets it through and no stance is
 * expected yet: at a jog a swing's quiet moment comes within three times
 * a stance's. The bottom of a valley that stays well under the swing's
 * level is stance even when it misses the threshold: at 5-6.5 m/s the
 * heel-strike ringing may not die out before toe-off, and a stride
 * without a stance would double the next one.
 */
static bool decide_stance(const struct ins *ins, uint64_t d, double gamma)
{
	double t = ins->stat[d % RING];
	int64_t t_us = sample_at(ins, d)->t_us;
	if (t < gamma)
		return t < speed_threshold(ins) || ins->in_stance ||
		       (t * VALLEY_DEPTH < ins->swing_peak && stance_expected(ins, t_us));
	if (!(t < VALLEY_CEILING * gamma) || !valley_may_be_stance(ins, t_us, t))
		return false;
	uint64_t lo = d >= ins->lookahead ? d - ins->lookahead : 0;
	double lowest = t;
	for (uint64_t i = lo; i <= d + ins->lookahead; i++)
		lowest = fmin(lowest, ins->stat[i % RING]);
	return t <= VALLEY_FACTOR * lowest;
}

/* ---- filter ---- */

/* Levels the foot from the mean specific force of a stance. */
static void align(struct ins *ins)
{
	double a[3], g[3];
	for (int k = 0; k < 3; k++) {
		a[k] = ins->init_acc[k] / ins->init_n;
		g[k] = ins->init_gyro[k] / ins->init_n;
	}
	double roll = atan2(a[1], a[2]);
	double pitch = atan2(-a[0], hypot(a[1], a[2]));
	mat3_from_rpy(roll, pitch, ins->yaw_keep, ins->R);
	double still_s = (double)ins->init_n / ins->cfg.rate_hz;
	if (!ins->bg_known && still_s >= GYRO_BIAS_STILL_S) {
		memcpy(ins->bg, g, sizeof(g));
		ins->bg_known = true;
	}
	memset(ins->v, 0, sizeof(ins->v));
	memset(ins->ba, 0, sizeof(ins->ba));
	ins_filter_init_covariance(ins);
	ins_phi_reset(ins);
	if (ins->bg_known)
		for (int i = 0; i < 3; i++)
			ins->P[IBG + i][IBG + i] *= 0.01;
	ins->clip_unseen = false;
	ins->initialized = true;
	ins->have_prev = false;
}

/* One strapdown step: rotation by the mean bias-corrected rate over the
 * interval, then the trapezoid rule on the navigation-frame specific
 * force; both second order, which matters at 100-200 Hz. */
static void mechanise(struct ins *ins, const struct imu_sample *s, double dt, double u[3],
		      double f_n[3])
{
	double w[3], a[3], dr[9], rn[9];
	for (int k = 0; k < 3; k++) {
		w[k] = (0.5 * (s->gyro_radps[k] + ins->w_prev[k]) - ins->bg[k]) * dt;
		u[k] = s->acc_mps2[k] - ins->ba[k];
		a[k] = u[k] * (1 - ins->ka[k]);
	}
	so3_exp(w, dr);
	mat3_mul(ins->R, dr, rn);
	memcpy(ins->R, rn, sizeof(rn));
	mat3_mul_vec(ins->R, a, f_n);
	double fa[3];
	for (int k = 0; k < 3; k++)
		fa[k] = ins->have_prev ? 0.5 * (f_n[k] + ins->f_prev_n[k]) : f_n[k];
	fa[2] -= GRAVITY_MPS2;
	for (int k = 0; k < 3; k++) {
		double v_new = ins->v[k] + fa[k] * dt;
		ins->p[k] += 0.5 * (ins->v[k] + v_new) * dt;
		ins->v[k] = v_new;
	}
	memcpy(ins->f_prev_n, f_n, sizeof(ins->f_prev_n));
}

/* ---- strides ---- */

_Static_assert(SWINGS <= MEDIAN_FEW_MAX, "the usual swing is a median of a few");

/*
 * The usual swing is the median of the latest few: one stride with a
 * stance missed is twice as long, and taken as the reference it would
 * have the next stance come too early to be believed and be missed too;
 * a stride cut in two at a false stance would have the next swing's quiet
 * moment believed.
 */
static int64_t usual_swing(struct ins *ins, int64_t swing_us)
{
	ins->swings_us[ins->swings_n++ % SWINGS] = swing_us;
	unsigned n = ins->swings_n < SWINGS ? ins->swings_n : SWINGS;
	/* Microseconds of a swing are whole numbers far below 2^53: exact
	 * as doubles, and so is their median. */
	double v[SWINGS];
	for (unsigned i = 0; i < n; i++)
		v[i] = (double)ins->swings_us[i];
	return (int64_t)median_of_few(v, n);
}

/*
 * The pace the detector's threshold follows (speed_threshold). A stride's
 * speed is its length over its time, stance and swing; but the first
 * stride after the navigation starts begins with the foot standing, for
 * as long as the runner stood, and that standing is no part of the pace:
 * a sprint from a 2.5 s standing start measured 0.7 m/s over it, the
 * threshold stayed a walker's, and the next stance (a valley at 13 times
 * that threshold, 800 Hz, 6.5 m/s) was missed. That stride's pace is
 * taken over its swing alone when it stood longer than it swung: a
 * moving foot's detected stance is shorter than its swing (a walk's
 * 0.26-0.31 s against 0.8-0.9 s on gait_driven), so no later stride is
 * measured otherwise.
 */
static double pace_mps(const struct ins *ins, const struct ins_stride *s)
{
	int64_t swing_us = s->duration_us - s->stance_us;
	if (ins->swings_n == 0 && swing_us > 0 && s->stance_us > swing_us)
		return s->length_m / (swing_us * 1e-6);
	return s->speed_mps;
}

static void close_stance(struct ins *ins, struct ins_stride *out, bool *emitted)
{
	int64_t stance_us =
		ins->stance_last_us - ins->stance_start_us + llround(1e6 / ins->cfg.rate_hz);
	/* Fewer samples are detector flicker, except where a running
	 * stance was due: a sprint's quiet moment may be one sample at
	 * 100-200 Hz, and without it the stride would double. A stance
	 * without a zero-velocity update fixed nothing: it was the swing's
	 * quiet moment (see mark_still). */
	if (!ins->initialized || !ins->stance_updated ||
	    (ins->stance_n < ins->min_stance_n && !ins->stance_valley && !ins->stance_on_time))
		return;
	ins_decorrelate_position(ins);
	if (ins->have_prev_stance) {
		struct ins_stride s = {
			.foot = ins->foot,
			.valid = ins->stride_valid,
			.gap = ins->stride_gap,
			.start_us = ins->prev_start_us,
			.end_us = ins->stance_start_us,
			.stance_us = ins->prev_stance_us,
			.length_m = hypot(ins->stance_pos[0] - ins->prev_pos[0],
					  ins->stance_pos[1] - ins->prev_pos[1]),
			.height_change_m = ins->stance_pos[2] - ins->prev_pos[2],
			.clearance_m = ins->stride_max_z - ins->prev_pos[2],
		};
		s.duration_us = s.end_us - s.start_us;
		s.speed_mps = s.duration_us > 0 ? s.length_m / (s.duration_us * 1e-6) : 0;
		memcpy(s.pos_m, ins->stance_pos, sizeof(s.pos_m));
		*out = s;
		*emitted = true;
		ins->stats.strides++;
		if (s.valid && s.speed_mps < 10) {
			ins->speed_recent_mps = pace_mps(ins, &s);
			ins->last_swing_us = usual_swing(ins, s.duration_us - s.stance_us);
		}
	}
	ins->have_prev_stance = true;
	memcpy(ins->prev_pos, ins->stance_pos, sizeof(ins->prev_pos));
	ins->prev_start_us = ins->stance_start_us;
	ins->prev_stance_us = stance_us;
	ins->stride_valid = true;
	/* the stance is closed a little into the swing: a gap there is the
	 * next stride's */
	ins->stride_gap = ins->last_gap_us > ins->stance_last_us;
}

/*
 * A walking foot rolls over its stance, and the detector may let go of it
 * for a tenth of a second in the middle: a stride of a few millimetres
 * would follow, and the real one would be cut in two. The stance is over
 * only once the foot has moved away from where it stood.
 */
static bool swing_started(const struct ins *ins, int64_t t_us)
{
	double d[3];
	for (int k = 0; k < 3; k++)
		d[k] = ins->p[k] - ins->stance_pos[k];
	return !ins->initialized || (t_us - ins->stance_last_us) * 1e-6 > SWING_MIN_S ||
	       d[0] * d[0] + d[1] * d[1] + d[2] * d[2] > SWING_MIN_MOVE_M * SWING_MIN_MOVE_M;
}

static void track_stance(struct ins *ins, int64_t t_us, bool stance, struct ins_stride *out,
			 bool *emitted)
{
	if (stance) {
		if (!ins->in_stance) {
			ins->stance_on_time = running_gait(ins) && stance_expected(ins, t_us);
			ins->in_stance = true;
			ins->stance_valley = false;
			ins->stance_n = 0;
			ins->stance_start_us = t_us;
			ins->stride_max_z = ins->swing_max_z;
			ins->swing_max_z = -INFINITY;
		}
		ins->stance_n++;
		ins->stance_valley = ins->stance_valley || ins->valley;
		ins->stance_last_us = t_us;
		memcpy(ins->stance_pos, ins->p, sizeof(ins->stance_pos));
		return;
	}
	if (ins->initialized && ins->p[2] > ins->swing_max_z)
		ins->swing_max_z = ins->p[2];
	if (ins->in_stance && (t_us - ins->stance_last_us) * 1e-6 > STANCE_MERGE_S &&
	    swing_started(ins, t_us)) {
		ins->in_stance = false;
		close_stance(ins, out, emitted);
	}
}

/* A gap too long to integrate through: level again at the next stance,
 * keeping heading, position and the gyro bias. */
static void restart(struct ins *ins)
{
	ins->yaw_keep = atan2(ins->R[3], ins->R[0]);
	ins_cov_flush(ins);
	for (int k = 0; k < 3; k++)
		ins->ka_var[k] = ins->P[IKA + k][IKA + k];
	ins->pivot_var = ins->P[IH][IH];
	ins->initialized = false;
	ins->init_n = 0;
	ins->stride_valid = false;
	ins->have_prev = false;
	ins->stats.restarts++;
}

static void accumulate_alignment(struct ins *ins, const struct imu_sample *s, bool stance)
{
	if (!stance || s->clipped) {
		if (ins->init_n * 1.0 / ins->cfg.rate_hz >= INIT_MIN_S)
			align(ins);
		else
			ins->init_n = 0;
		return;
	}
	if (ins->init_n == 0) {
		memset(ins->init_acc, 0, sizeof(ins->init_acc));
		memset(ins->init_gyro, 0, sizeof(ins->init_gyro));
		ins->init_start_us = s->t_us;
	}
	for (int k = 0; k < 3; k++) {
		ins->init_acc[k] += s->acc_mps2[k];
		ins->init_gyro[k] += s->gyro_radps[k];
	}
	ins->init_n++;
	if (ins->init_n * 1.0 / ins->cfg.rate_hz >= INIT_STILL_S)
		align(ins);
}

static void navigate(struct ins *ins, const struct imu_sample *s, bool stance)
{
	double dt = 0;
	if (ins->have_prev) {
		dt = (s->t_us - ins->t_prev_us) * 1e-6;
		if (dt > ins->cfg.max_gap_s) {
			restart(ins);
			return;
		}
		if (dt > 1.5 / ins->cfg.rate_hz) {
			ins->stride_gap = true;
			ins->last_gap_us = s->t_us;
		}
	}
	double f_n[3], u[3];
	if (dt > 0) {
		mechanise(ins, s, dt, u, f_n);
		ins_propagate(ins, u, f_n, dt);
		if (s->clipped & (IMU_CLIP_ACC_X | IMU_CLIP_ACC_Y | IMU_CLIP_ACC_Z))
			ins_inflate_clipped(ins, s, dt);
		if (s->clipped & (IMU_CLIP_GYRO_X | IMU_CLIP_GYRO_Y | IMU_CLIP_GYRO_Z))
			ins_inflate_clipped_gyro(ins, s, dt);
		if (dt > 1.5 / ins->cfg.rate_hz)
			ins_inflate_gap(ins, dt - 1 / ins->cfg.rate_hz);
	} else {
		double a[3];
		for (int k = 0; k < 3; k++)
			a[k] = (s->acc_mps2[k] - ins->ba[k]) * (1 - ins->ka[k]);
		mat3_mul_vec(ins->R, a, ins->f_prev_n);
	}
	ins->have_prev = true;
	ins->t_prev_us = s->t_us;
	memcpy(ins->w_prev, s->gyro_radps, sizeof(ins->w_prev));
	/* Zero-velocity updates at up to ZUPT_RATE_HZ: neighbouring samples
	 * of one stance carry nearly the same information, and each update
	 * costs a covariance flush. The first sample of a stance always
	 * updates: a sprint's stance may be only that long. */
	bool first = stance && !ins->prev_stance_sample;
	ins->prev_stance_sample = stance;
	if (stance && ins->still && !s->clipped && (first || ins->phi.dt_s >= 0.999 / ZUPT_RATE_HZ))
		ins_zupt(ins);
	else if (ins->phi.dt_s >= COV_FLUSH_S)
		ins_cov_flush(ins);
}

static bool process(struct ins *ins, const struct imu_sample *s, bool stance,
		    struct ins_stride *out)
{
	bool emitted = false;
	if (ins->have_prev && s->t_us <= ins->t_prev_us)
		return false; /* repeated or out of order: nothing to integrate */
	if (!ins->initialized) {
		accumulate_alignment(ins, s, stance);
		if (ins->initialized) {
			ins->have_prev = true;
			ins->t_prev_us = s->t_us;
			memcpy(ins->w_prev, s->gyro_radps, sizeof(ins->w_prev));
		}
	} else {
		navigate(ins, s, stance);
	}
	if (s->clipped)
		ins->stats.clipped_samples++;
	if (stance)
		ins->stats.stance_samples++;
	track_stance(ins, s->t_us, stance, out, &emitted);
	return emitted;
}

/*
 * The stance that sample d belongs to ends within the look-ahead (the
 * statistic stays above the threshold for longer than detector flicker
 * there) and reaches no quiet core before it does.
 */
static bool ending_without_core(const struct ins *ins, uint64_t d)
{
	unsigned merge = (unsigned)lround(STANCE_MERGE_S * ins->cfg.rate_hz);
	for (uint64_t i = d + 1; i <= d + ins->lookahead; i++) {
		double ti = ins->stat[i % RING], gi = ins->gamma[i % RING];
		if (ti < ZUPT_CORE * gi || (i + merge > d + ins->lookahead && ti < gi))
			return false;
	}
	return true;
}

/* Whether the current stance has had an update, with sample d's decided. */
static void note_update(struct ins *ins, bool stance)
{
	if (stance && !ins->in_stance)
		ins->stance_updated = ins->still;
	else
		ins->stance_updated = ins->stance_updated || ins->still;
}

/*
 * Zero-velocity updates only in the stance's quiet core. The detector's
 * stance begins while the heel is still settling and goes on while the
 * foot rolls towards the toes; the sensor moves a little in both, and an
 * update there takes that motion out of the stride: walks measured 2-3 %
 * short on the gait_driven footprints, 1-1.3 % with updates below half
 * the threshold. A stance found as a valley above the threshold (a
 * sprint's) keeps its updates: it has nothing quieter.
 *
 * A stance may have no core at all: a jog slowing down for a turn stands
 * 0.2 s with the statistic between half the threshold and the threshold
 * (gait_driven exp 35 at 25.1 s). Without an update its 0.7-1 m/s of
 * swing drift stays in the velocity and its position, and the stride
 * came out 27 % long. Such a stance is updated in its last samples, once
 * it has lasted longer than detector flicker (or is a running stance
 * where one was due): a foot rolling off is nearer to rest than the
 * drift is. A shorter one is the swing's quiet moment (exp 32 at 47.5 s:
 * 2 samples with the foot at 2.2 m/s, 10 cm up) and gets none, and
 * close_stance does not cut a stride there.
 */
static void mark_still(struct ins *ins, uint64_t d, bool stance)
{
	double t = ins->stat[d % RING], gamma = ins->gamma[d % RING];
	ins->valley = stance && t >= gamma;
	ins->still = stance && (t < ZUPT_CORE * gamma || ins->valley);
	bool updated = ins->in_stance && ins->stance_updated;
	if (stance && !ins->still && !updated && ending_without_core(ins, d)) {
		int64_t start_us = ins->in_stance ? ins->stance_start_us : sample_at(ins, d)->t_us;
		bool on_time = ins->in_stance ? ins->stance_on_time
					      : running_gait(ins) && stance_expected(ins, start_us);
		ins->still =
			on_time || (sample_at(ins, d)->t_us - start_us) * 1e-6 >= STANCE_MERGE_S;
	}
	note_update(ins, stance);
	if (stance)
		ins->swing_peak = 0;
	else if (isfinite(t) && t > ins->swing_peak)
		ins->swing_peak = t;
}

/* ---- saturated gyroscope ---- */

static bool gyro_clipped(const struct imu_sample *s, int k)
{
	return s->clipped & (IMU_CLIP_GYRO_X << k);
}

/*
 * A saturated gyroscope hides part of the swing's rotation: at 500 °/s,
 * a jog's toe-off sits at full scale for 20-40 ms, and the pitch lost
 * there tilts gravity into the rest of the stride. The rate is smooth
 * across the clipped run, so a cubic through the readings and slopes on
 * either side of it (both inside the delay line) brings back most of the
 * rotation; never less than the reading itself.
 */
static double repaired_rate(const struct ins *ins, uint64_t d, int k)
{
	const struct imu_sample *s = sample_at(ins, d);
	uint64_t a = d, b = d, last = ins->pushed - 1;
	uint64_t back = ins->pushed > RING - 1 ? ins->pushed - (RING - 1) : 0;
	while (a > back && gyro_clipped(sample_at(ins, a), k))
		a--;
	while (b < last && gyro_clipped(sample_at(ins, b), k))
		b++;
	if (a <= back || b >= last || gyro_clipped(sample_at(ins, a), k) ||
	    gyro_clipped(sample_at(ins, b), k) || gyro_clipped(sample_at(ins, a - 1), k) ||
	    gyro_clipped(sample_at(ins, b + 1), k))
		return s->gyro_radps[k];
	const struct imu_sample *sa = sample_at(ins, a), *sb = sample_at(ins, b);
	const struct imu_sample *sa0 = sample_at(ins, a - 1), *sb1 = sample_at(ins, b + 1);
	double len = (double)(sb->t_us - sa->t_us) * 1e-6;
	double ha = (double)(sa->t_us - sa0->t_us) * 1e-6,
	       hb = (double)(sb1->t_us - sb->t_us) * 1e-6;
	if (!(len > 0 && ha > 0 && hb > 0))
		return s->gyro_radps[k];
	double ma = (sa->gyro_radps[k] - sa0->gyro_radps[k]) / ha * len;
	double mb = (sb1->gyro_radps[k] - sb->gyro_radps[k]) / hb * len;
	double u = (double)(s->t_us - sa->t_us) * 1e-6 / len, u2 = u * u, u3 = u2 * u;
	double h = (2 * u3 - 3 * u2 + 1) * sa->gyro_radps[k] + (u3 - 2 * u2 + u) * ma +
		   (-2 * u3 + 3 * u2) * sb->gyro_radps[k] + (u3 - u2) * mb;
	double r = s->gyro_radps[k];
	return fabs(h) > fabs(r) && h * r > 0 ? h : r;
}

/* The sample d as it goes to the navigation: saturated rates repaired. */
static const struct imu_sample *repaired(const struct ins *ins, uint64_t d, struct imu_sample *tmp)
{
	const struct imu_sample *s = sample_at(ins, d);
	if (!(s->clipped & (IMU_CLIP_GYRO_X | IMU_CLIP_GYRO_Y | IMU_CLIP_GYRO_Z)) ||
	    !ins->cfg.repair_clipped_gyro)
		return s;
	*tmp = *s;
	for (int k = 0; k < 3; k++)
		if (gyro_clipped(s, k))
			tmp->gyro_radps[k] = repaired_rate(ins, d, k);
	return tmp;
}

bool ins_push(struct ins *ins, const struct imu_sample *s, struct ins_stride *out)
{
	if (ins->ended)
		return false;
	ins->stats.samples++;
	uint64_t n = ins->pushed++;
	ins->ring[n % RING] = *s;
	window_slide(ins, n);
	if (n + 1 < ins->window)
		return false;
	/* The statistic belongs to the window's centre, and the decision to
	 * the sample a look-ahead before it. */
	uint64_t c = n - ins->half;
	double t = glrt(ins);
	ins->stat[c % RING] = t;
	ins->gamma[c % RING] = threshold(ins, sample_at(ins, c)->t_us, t);
	if (c < ins->half + ins->lookahead)
		return false;
	uint64_t d = c - ins->lookahead;
	bool stance = decide_stance(ins, d, ins->gamma[d % RING]);
	ins->next_decision = d + 1;
	mark_still(ins, d, stance);
	struct imu_sample tmp;
	return process(ins, repaired(ins, d, &tmp), stance, out);
}

/*
 * The last samples still wait in the delay line, and a recording that
 * ends with the foot at rest ends in a stance nothing will close. Both
 * would lose the last stride. The delay line's samples are decided on
 * the threshold alone (their look-ahead is not there), those without a
 * statistic as the one before them.
 */
bool ins_flush(struct ins *ins, struct ins_stride *out)
{
	if (ins->ended)
		return false;
	uint64_t have_stat = ins->pushed >= ins->window ? ins->pushed - ins->half : 0;
	while (ins->next_decision < ins->pushed && ins->pushed >= ins->window) {
		uint64_t d = ins->next_decision++;
		if (d < ins->half)
			continue;
		bool stance = d < have_stat ? ins->stat[d % RING] < ins->gamma[d % RING]
					    : ins->prev_stance_sample;
		ins->still = stance;
		ins->valley = false;
		note_update(ins, stance);
		struct imu_sample tmp;
		if (process(ins, repaired(ins, d, &tmp), stance, out))
			return true;
	}
	ins->ended = true;
	bool emitted = false;
	if (ins->in_stance) {
		ins->in_stance = false;
		close_stance(ins, out, &emitted);
	}
	return emitted;
}
