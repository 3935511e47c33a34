/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The foot INS's error-state Kalman filter (ins.h): the covariance of
 * the 18 error states, propagated through the accumulated transition,
 * charged with process noise and what clipped samples and gaps hide, and
 * corrected by the zero-velocity updates. The navigation state itself is
 * mechanised in ins.c.
 */
#include <math.h>
#include <string.h>

#include "nav/ins_internal.h"
#include "util/mat3.h"

void ins_filter_init_covariance(struct ins *ins)
{
	memset(ins->P, 0, sizeof(ins->P));
	const double att_sd = 0.5 * M_PI / 180;
	for (int i = 0; i < 3; i++) {
		ins->P[IP + i][IP + i] = 1e-8;
		ins->P[IV + i][IV + i] = 1e-4;
		ins->P[IT + i][IT + i] = att_sd * att_sd;
		ins->P[IBA + i][IBA + i] =
			ins->cfg.acc_bias_init_mps2 * ins->cfg.acc_bias_init_mps2;
		ins->P[IBG + i][IBG + i] =
			ins->cfg.gyro_bias_init_radps * ins->cfg.gyro_bias_init_radps;
		ins->P[IKA + i][IKA + i] = ins->ka_var[i];
	}
	ins->P[IH][IH] = ins->pivot_var;
}

/*
 * Covariance propagation is the filter's main cost, and nothing needs P
 * between zero-velocity updates. So the transition matrix is accumulated
 * (it keeps the structure of F = I + dt·A below, eight 3x3 blocks) and
 * P ← Φ P Φᵀ + Q is applied every COV_FLUSH_S and before each update.
 * Error dynamics: δṗ = δv, δv̇ = -[f]×δθ - R δba - R diag(u) δka,
 * δθ̇ = -R δbg, with u the bias-corrected accelerometer reading and
 * f = R (1 - ka) u.
 */
void ins_phi_reset(struct ins *ins)
{
	memset(&ins->phi, 0, sizeof(ins->phi));
}

/* dst += k · src for a 3x3 block */
static void mat_add_scaled(double *restrict dst, const double *restrict src, double k)
{
#pragma GCC unroll 9
	for (int i = 0; i < 9; i++)
		dst[i] += k * src[i];
}

/* out = x × v, that is [x]× v */
static void cross(const double x[3], const double v[3], double out[3])
{
	out[0] = x[1] * v[2] - x[2] * v[1];
	out[1] = x[2] * v[0] - x[0] * v[2];
	out[2] = x[0] * v[1] - x[1] * v[0];
}

/* dst += [x]× b for a 3x3 block b: column by column, a cross product */
static void skew_mul_add(double *restrict dst, const double x[3], const double *restrict b)
{
	for (int j = 0; j < 3; j++) {
		double col[3] = { b[j], b[3 + j], b[6 + j] }, t[3];
		cross(x, col, t);
		for (int i = 0; i < 3; i++)
			dst[3 * i + j] += t[i];
	}
}

void ins_propagate(struct ins *ins, const double u[3], const double f_n[3], double dt)
{
	struct phi *f = &ins->phi;
	double a[3], B[9], BK[9];
	for (int k = 0; k < 3; k++)
		a[k] = -dt * f_n[k]; /* A = -dt [f]× = [a]× */
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			B[3 * i + j] = -dt * ins->R[3 * i + j];
			BK[3 * i + j] = B[3 * i + j] * u[j];
		}
	/* Φ ← F Φ, rows in dependency order */
	for (int k = 0; k < 3; k++)
		f->pt[k] += dt * f->vt[k];
	mat_add_scaled(f->pba, f->tbg, dt);
	mat_add_scaled(f->pbg, f->vbg, dt);
	mat_add_scaled(f->pka, f->vka, dt);
	f->pv += dt;
	skew_mul_add(f->vbg, a, f->tbg);
	for (int k = 0; k < 3; k++)
		f->vt[k] += a[k];
	mat_add_scaled(f->vka, BK, 1);
	mat_add_scaled(f->tbg, B, 1);
	f->dt_s += dt;
	f->steps++;
}

/*
 * Process noise over an interval T, added at its end. White acceleration
 * noise of variance q per second leaves q·T in velocity, q·T³/3 in
 * position and q·T²/2 between them; keeping the cross term lets the
 * interval be long without losing the position-velocity correlation.
 */
static void add_process_noise(struct ins *ins, double T)
{
	const struct ins_config *c = &ins->cfg;
	double(*P)[NS] = ins->P;
	double qv = c->acc_noise_mps2_rthz * c->acc_noise_mps2_rthz * T;
	double qt = c->gyro_noise_radps_rthz * c->gyro_noise_radps_rthz * T;
	double qa = c->acc_bias_rw_mps2_rts * c->acc_bias_rw_mps2_rts * T;
	double qg = c->gyro_bias_rw_radps_rts * c->gyro_bias_rw_radps_rts * T;
	double qk = ins->scale_states ? c->acc_scale_rw_rts * c->acc_scale_rw_rts * T : 0;
	for (int i = 0; i < 3; i++) {
		P[IP + i][IP + i] += qv * T * T / 3;
		P[IP + i][IV + i] += qv * T / 2;
		P[IV + i][IP + i] += qv * T / 2;
		P[IV + i][IV + i] += qv;
		P[IT + i][IT + i] += qt;
		P[IBA + i][IBA + i] += qa;
		P[IBG + i][IBG + i] += qg;
		P[IKA + i][IKA + i] += qk;
	}
}

/* Σk blk[i][k] src[k][j]: one element of a block times three rows */
static inline double blk_dot(const double blk[9], int i, const double (*src)[NS], int j)
{
	return blk[3 * i] * src[0][j] + blk[3 * i + 1] * src[1][j] + blk[3 * i + 2] * src[2][j];
}

/* ([x]× src)[i][j], the same for a skew-symmetric block */
static inline double skew_dot(const double x[3], int i, const double (*src)[NS], int j)
{
	int i1 = (i + 1) % 3, i2 = (i + 2) % 3;
	return x[i1] * src[i2][j] - x[i2] * src[i1][j];
}

/*
 * M = Φ P for the navigation rows of Φ (the bias rows are identity).
 * Each row is one pass over P's columns, the block products added in a
 * fixed order; the columns are independent, so the loops vectorise.
 */
static void phi_times_cov(const struct phi *restrict f, const double (*restrict P)[NS],
			  double (*restrict M)[NS])
{
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < NS; j++) {
			double m = P[IP + i][j] + f->pv * P[IV + i][j];
			m += skew_dot(f->pt, i, P + IT, j);
			m += blk_dot(f->pba, i, P + IBA, j);
			m += blk_dot(f->pbg, i, P + IBG, j);
			m += blk_dot(f->pka, i, P + IKA, j);
			M[IP + i][j] = m;
		}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < NS; j++) {
			double m = P[IV + i][j] + skew_dot(f->vt, i, P + IT, j);
			m += blk_dot(f->tbg, i, P + IBA, j);
			m += blk_dot(f->vbg, i, P + IBG, j);
			m += blk_dot(f->vka, i, P + IKA, j);
			M[IV + i][j] = m;
		}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < NS; j++)
			M[IT + i][j] = P[IT + i][j] + blk_dot(f->tbg, i, P + IBG, j);
}

/* dst[i] += Σk row[k] blk[i][k]: one row times a block transposed. */
static void cols_add(double *restrict dst, const double *restrict row, const double blk[9])
{
	for (int i = 0; i < 3; i++)
		dst[i] += row[0] * blk[3 * i] + row[1] * blk[3 * i + 1] + row[2] * blk[3 * i + 2];
}

/* dst += [x]× row: the same for a skew-symmetric block */
static void cols_add_skew(double *restrict dst, const double *restrict row, const double x[3])
{
	double t[3];
	cross(x, row, t);
	for (int i = 0; i < 3; i++)
		dst[i] += t[i];
}

/*
 * P ← Φ P Φᵀ + Q. The bias rows of Φ are identity, so only the position,
 * velocity and attitude rows of Φ P are computed (M), the bias columns
 * of the result are M's own, and the bias-bias block does not change.
 * The result is symmetric: each navigation row is computed from its own
 * block rightwards and mirrored.
 */
void ins_cov_flush(struct ins *ins)
{
	struct phi *f = &ins->phi;
	if (f->steps == 0)
		return;
	double(*P)[NS] = ins->P;
	double M[9][NS];
	phi_times_cov(f, (const double(*)[NS])P, M);
	for (int r = 0; r < 9; r++) {
		const double *row = M[r];
		double out[9];
		memcpy(out, row, sizeof(out));
		if (r < IV) {
			for (int i = 0; i < 3; i++)
				out[IP + i] += f->pv * row[IV + i];
			cols_add_skew(&out[IP], &row[IT], f->pt);
			cols_add(&out[IP], &row[IBA], f->pba);
			cols_add(&out[IP], &row[IBG], f->pbg);
			cols_add(&out[IP], &row[IKA], f->pka);
		}
		if (r < IT) {
			cols_add_skew(&out[IV], &row[IT], f->vt);
			cols_add(&out[IV], &row[IBA], f->tbg);
			cols_add(&out[IV], &row[IBG], f->vbg);
			cols_add(&out[IV], &row[IKA], f->vka);
		}
		cols_add(&out[IT], &row[IBG], f->tbg);
		for (int c = r; c < 9; c++) {
			P[r][c] = out[c];
			P[c][r] = out[c];
		}
		for (int c = 9; c < NS; c++) {
			P[r][c] = row[c];
			P[c][r] = row[c];
		}
	}
	add_process_noise(ins, f->dt_s);
	ins_phi_reset(ins);
}

/*
 * A clipped sample hides an unknown part of the impact, so the velocity
 * picks up an error the model did not see coming: of the order of the
 * full-scale reading itself per clipped sample. Saying so, at the moment
 * it happens, lets the next zero-velocity update put that error where it
 * arose (velocity, and position since the clip) instead of bending the
 * whole swing and the height of the stance.
 */
static void charge_unseen(struct ins *ins, double dv_sd)
{
	ins_cov_flush(ins);
	for (int i = 0; i < 3; i++)
		ins->P[IV + i][IV + i] += dv_sd * dv_sd;
	ins->clip_unseen = true;
}

void ins_inflate_clipped(struct ins *ins, const struct imu_sample *s, double dt)
{
	double hidden = 0;
	for (int k = 0; k < 3; k++)
		if (s->clipped & (IMU_CLIP_ACC_X << k))
			hidden = fmax(hidden, fabs(s->acc_mps2[k]));
	charge_unseen(ins, hidden * dt);
}

/*
 * A saturated gyroscope hides rotation the same way: the rate beyond the
 * rail is unknown, and the repair (ins.c, repaired_rate) only guesses it
 * from the readings either side. Each clipped axis's sample is charged
 * with up to its own reading's worth of rotation, about that axis, to
 * the attitude: the next zero-velocity update then sees the tilt that
 * the clip left through the velocity it made gravity leak into, and puts
 * that error back where it arose (the swing's tilt, and the position
 * since the clip) instead of into the biases or the stride's length.
 */
void ins_inflate_clipped_gyro(struct ins *ins, const struct imu_sample *s, double dt)
{
	double var_b[3] = { 0, 0, 0 };
	bool any = false;
	for (int k = 0; k < 3; k++)
		if (s->clipped & (IMU_CLIP_GYRO_X << k)) {
			double hidden = s->gyro_radps[k] * dt;
			var_b[k] = hidden * hidden;
			any = true;
		}
	if (!any)
		return;
	ins_cov_flush(ins);
	const double *R = ins->R;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			double v = 0;
			for (int k = 0; k < 3; k++)
				v += R[3 * i + k] * var_b[k] * R[3 * j + k];
			ins->P[IT + i][IT + j] += v;
		}
	ins->clip_unseen = true;
}

/*
 * Samples lost in transit hide the motion just as a clip does, and more
 * of it: the step integrates straight across the gap, and a heel strike
 * in there (a full-scale impact for several samples) is simply missed:
 * on a simulated fast run the next update saw 0.3 m/s more downward
 * velocity than usual, taught it to the biases and tilt as a clip would,
 * and the foot climbed 0.4 m a stride for half a minute. The samples
 * missing could have read up to full scale.
 */
void ins_inflate_gap(struct ins *ins, double missing_s)
{
	charge_unseen(ins, UNSEEN_FORCE_MPS2 * missing_s);
}

static bool inv3_sym(const double s[9], double out[9])
{
	double c0 = s[4] * s[8] - s[5] * s[7];
	double c1 = s[5] * s[6] - s[3] * s[8];
	double c2 = s[3] * s[7] - s[4] * s[6];
	double det = s[0] * c0 + s[1] * c1 + s[2] * c2;
	if (!(fabs(det) > 1e-300))
		return false;
	double id = 1 / det;
	out[0] = c0 * id;
	out[1] = (s[2] * s[7] - s[1] * s[8]) * id;
	out[2] = (s[1] * s[5] - s[2] * s[4]) * id;
	out[3] = c1 * id;
	out[4] = (s[0] * s[8] - s[2] * s[6]) * id;
	out[5] = (s[2] * s[3] - s[0] * s[5]) * id;
	out[6] = c2 * id;
	out[7] = (s[1] * s[6] - s[0] * s[7]) * id;
	out[8] = (s[0] * s[4] - s[1] * s[3]) * id;
	return true;
}

/*
 * Kalman update with an observation of the three error states at index
 * at, plus col times the state at index ic (ic < 0: none): innovation
 * y = z - h(x), measurement noise r on each axis.
 * Feeds the error back into the navigation state. States from index
 * fixed on are only considered (Schmidt): their gain is zero, so they
 * keep their estimate and variance, and their correlations with the
 * rest are updated as that gain implies, which keeps P positive
 * semi-definite.
 */
static void update3(struct ins *ins, int at, const double col[3], int ic, const double y[3],
		    double r, int fixed)
{
	double(*P)[NS] = ins->P;
	double S[9], Si[9], Pa[3][NS]; /* Pa = H P */
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < NS; j++)
			Pa[i][j] = P[at + i][j] + (ic >= 0 ? col[i] * P[ic][j] : 0);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			S[3 * i + j] = Pa[i][at + j] + (ic >= 0 ? Pa[i][ic] * col[j] : 0) +
				       (i == j ? r : 0);
	if (!inv3_sym(S, Si))
		return;
	double K[NS][3], dx[NS];
	for (int i = 0; i < NS; i++) {
		for (int j = 0; j < 3; j++)
			K[i][j] = i < fixed ? Pa[0][i] * Si[j] + Pa[1][i] * Si[3 + j] +
						      Pa[2][i] * Si[6 + j]
					    : 0;
		dx[i] = K[i][0] * y[0] + K[i][1] * y[1] + K[i][2] * y[2];
	}
	for (int i = 0; i < NS; i++)
		for (int j = i; j < NS; j++) {
			double v = P[i][j] -
				   (K[i][0] * Pa[0][j] + K[i][1] * Pa[1][j] + K[i][2] * Pa[2][j]);
			P[i][j] = v;
			P[j][i] = v;
		}
	double dr[9], rn[9];
	so3_exp(&dx[IT], dr);
	mat3_mul(dr, ins->R, rn);
	memcpy(ins->R, rn, sizeof(rn));
	for (int k = 0; k < 3; k++) {
		ins->p[k] += dx[IP + k];
		ins->v[k] += dx[IV + k];
		ins->ba[k] += dx[IBA + k];
		ins->bg[k] += dx[IBG + k];
		ins->ka[k] += dx[IKA + k];
	}
	ins->pivot_m = fmin(fmax(ins->pivot_m + dx[IH], 0), MAX_PIVOT_M);
}

/*
 * Zero-velocity pseudo-measurement, of the point below the sensor that
 * the foot turns about. A foot at rest is never quite still: in the
 * updates of one stance a walking foot still turns 0.06-0.09 rad about
 * the lateral axis (gait_driven, the quiet core alone), rolling over the
 * heel into the flat and towards the toes, and a sensor h above the sole
 * moves with it at ω × h. Held to zero, that motion came out of every
 * stride: gait_driven's walks were 1.3 % short of the footprints and
 * gaitmap's 0.8 cm short of motion capture. So the still point is h below
 * the sensor along the vertical, the sensor's velocity there ω × (0, 0, h),
 * and h a state (from 0, SD 10 cm) learnt from how the stance's velocity
 * follows its rotation: 7.5-9.2 cm for gait_driven's sensor strapped on
 * the foot, 3.4-3.7 cm for gaitmap's on the shoes, 0-0.8 cm for OpenShoe's
 * in the sole.
 *
 * (A zero angular rate update in every
 * stance was tried and left out: feet roll over during a detected stance,
 * and on the OpenShoe loops it tripled the end-point error.)
 *
 * The first update after a clipped impact corrects the navigation states
 * only. The velocity the clip hid is one-sided (in the simulated sprints
 * 0.3 m/s downward at every landing), not the zero-mean noise the filter
 * models, and letting that update teach the bias and scale states made
 * them learn the clip: the scale drifted by 0.5 % a minute.
 */
void ins_zupt(struct ins *ins)
{
	ins_cov_flush(ins);
	double wb[3], w[3];
	for (int k = 0; k < 3; k++)
		wb[k] = ins->w_prev[k] - ins->bg[k];
	mat3_mul_vec(ins->R, wb, w);
	/* the still point is h below the sensor: it moves at ω × (0, 0, h) */
	double c[3] = { w[1], -w[0], 0 }, col[3] = { -c[0], -c[1], 0 };
	double y[3] = { c[0] * ins->pivot_m - ins->v[0], c[1] * ins->pivot_m - ins->v[1],
			-ins->v[2] };
	update3(ins, IV, col, IH, y, ins->cfg.zupt_sd_mps * ins->cfg.zupt_sd_mps,
		ins->clip_unseen ? IBA
		: ins->valley    ? IH
				 : NS);
	ins->clip_unseen = false;
	ins->stats.zupts++;
}

/*
 * Position is never observed, only carried along, and through the
 * heading and tilt its error correlates with everything the foot has
 * done since the start. A heading or tilt correction at a later update
 * then turns the whole path so far about its starting point: 600 m out,
 * a 3 mrad heading correction moved the foot 2 m, and that went into
 * the stride being measured. When a stance is over its position is made
 * independent of the rest, so the next updates correct only what the
 * coming stride adds (as if the stance position were a cloned state
 * that stride lengths are measured from).
 */
void ins_decorrelate_position(struct ins *ins)
{
	ins_cov_flush(ins);
	for (int i = IP; i < IP + 3; i++)
		for (int j = IV; j < NS; j++) {
			ins->P[i][j] = 0;
			ins->P[j][i] = 0;
		}
}
