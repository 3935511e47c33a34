// SPDX-License-Identifier: GPL-2.0-or-later
#include "nav/grade.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nav/baro.h"
#include "util/xalloc.h"

/* State: altitude (m), vertical rate (m/s), barometer bias (m), the
 * barometer's temperature coefficient (m/K), the INS's bias in vertical
 * rate (m/s): a foot INS's height drifts by millimetres a stride, one way
 * for a whole run; and the barometer bias's rate (m/s): weather moves
 * pressure by hundreds of Pa over a long run, a trend, not a jitter. The
 * two drifts look alike to the barometer and the INS together; their
 * priors, each the size its physics gives, share a common drift out
 * between them. */
enum { H, V, B, C, R, W, NS };

/* Process noise, per second. The vertical rate wanders as the grade
 * changes (10 % over a few hundred metres); the bias as weather moves
 * (tens of Pa an hour: a few metres); the altitude itself only through
 * the rate, plus a little for the model's own error. */
#define Q_ALTITUDE_M2 1e-4
#define Q_RATE_M2_S3 2e-3
#define Q_BIAS_M2_S 5e-4
/* The INS's drift comes from its sensor's errors (a misalignment on the
 * shoe, what the ZUPTs leave of a bias), nearly fixed over a run: it
 * wanders by 0.2 mm/s an hour, a seventeenth of the weather's trend, so
 * what changes in the difference of the two over tens of minutes is
 * put down to the weather. (Their constant parts stay shared out by
 * their priors: nothing in the data tells them apart.) */
#define Q_INS_BIAS_M2_S3 1e-11
#define DT_MAX_S 60.0
/* Priors: the run starts at altitude 0; the barometer's offset is what it
 * first reads; its temperature coefficient about 1.5 Pa/K (0.12 m/K) of
 * either sign. */
#define P0_RATE_M2_S2 0.09
#define P0_BIAS_M2 4.0
#define P0_COEFF_M2_K2 (0.17 * 0.17)
/* The INS: a few millimetres a stride of about 0.75 s. */
#define P0_INS_BIAS_M2_S2 (0.003 * 0.003)
/* Weather: a front's 100 Pa/h is 8 m/h; the trend itself changes as the
 * front passes, over about an hour (the process noise of a first-order
 * Gauss-Markov rate of that size and time: 2 P0 / tau). With the trend
 * held nearly fixed (1e-12 m²/s³), a trend that changed during the run
 * was left in the altitude. */
#define P0_WEATHER_RATE_M2_S2 (0.0023 * 0.0023)
#define WEATHER_TREND_S 3600.0
#define Q_WEATHER_RATE_M2_S3 (2 * P0_WEATHER_RATE_M2_S2 / WEATHER_TREND_S)
/* Measurement noise: the barometer's is measured from the run, never below
 * this; a stride's height change (after the two-feet correction) to a few
 * centimetres; a treadmill's incline to its 0.1 % resolution. */
#define BARO_NOISE_MIN_M 0.05
#define STRIDE_DH_SD_M 0.03
#define STRIDE_DURATION_MIN_S 0.2
#define INCLINE_RATE_SD_MPS 0.003
/* A runner standing still (the distance does not move) does not climb:
 * what the barometer sees then is weather and warm-up alone. Only a
 * stand that ends as a standing start does (the next second moves less
 * than STANDING_RESTART_MAX_M), or that lasts to the run's end, and no
 * longer than STANDING_MAX_S: a distance held over a sensor's dropout
 * resumes with a jump, and one held for many minutes is a lost sensor,
 * not a runner at a crossing. */
#define STANDING_RATE_SD_MPS 0.01
#define STANDING_STEP_MAX_M 0.05
#define STANDING_RESTART_MAX_M 2.5
#define STANDING_MAX_S 300.0
/* Innovations beyond this many sigmas are glitches, not the runner. */
#define GATE_SIGMAS 6.0

struct kf {
	double x[NS];
	double P[NS][NS];
};

static void kf_predict(struct kf *k, double dt)
{
	/* x' = F x with F = I + dt (e_H e_V^T + e_B e_W^T); P' = F P F^T + Q */
	k->x[H] += dt * k->x[V];
	k->x[B] += dt * k->x[W];
	double P[NS][NS];
	memcpy(P, k->P, sizeof(P));
	/* rows: (F P) */
	for (int j = 0; j < NS; j++) {
		P[H][j] += dt * k->P[V][j];
		P[B][j] += dt * k->P[W][j];
	}
	/* columns: (F P) F^T */
	for (int i = 0; i < NS; i++) {
		for (int j = 0; j < NS; j++)
			k->P[i][j] = P[i][j];
		k->P[i][H] += dt * P[i][V];
		k->P[i][B] += dt * P[i][W];
	}
	k->P[H][H] += Q_ALTITUDE_M2 * dt;
	k->P[V][V] += Q_RATE_M2_S3 * dt;
	k->P[B][B] += Q_BIAS_M2_S * dt;
	k->P[R][R] += Q_INS_BIAS_M2_S3 * dt;
	k->P[W][W] += Q_WEATHER_RATE_M2_S3 * dt;
}

/* One scalar measurement z = h·x + noise of variance r; false if gated. */
static bool kf_update(struct kf *k, const double h[NS], double z, double r)
{
	double Ph[NS], s = r, hx = 0;
	for (int i = 0; i < NS; i++) {
		Ph[i] = 0;
		for (int j = 0; j < NS; j++)
			Ph[i] += k->P[i][j] * h[j];
		s += h[i] * Ph[i];
		hx += h[i] * k->x[i];
	}
	double innovation = z - hx;
	if (innovation * innovation > GATE_SIGMAS * GATE_SIGMAS * s)
		return false;
	for (int i = 0; i < NS; i++)
		k->x[i] += Ph[i] / s * innovation;
	for (int i = 0; i < NS; i++)
		for (int j = 0; j < NS; j++)
			k->P[i][j] -= Ph[i] * Ph[j] / s;
	return true;
}

/* ---- the barometer's altitude, cleaned ---- */

static bool pressure_ok(double p)
{
	return p >= GRADE_PRESSURE_MIN_PA && p <= GRADE_PRESSURE_MAX_PA;
}

/* Altitude from each good pressure, relative to the first; a step larger
 * than the runner can climb in the time is the sensor's, and is taken
 * out. NAN where there is no good pressure. true if any. Both heights are
 * the standard atmosphere's above sea level: taking the first pressure
 * for sea level's would stretch every climb by (p0 / p)^0.19, 1.8 % at
 * 800 m. */
static bool baro_altitudes(const struct grade_input *in, double *alt)
{
	double ref = NAN, offset = 0, last = NAN;
	int64_t last_t = 0;
	for (size_t k = 0; k < in->n; k++) {
		double p = in->pressure_pa ? in->pressure_pa[k] : NAN;
		alt[k] = NAN;
		if (!pressure_ok(p))
			continue;
		if (isnan(ref))
			ref = baro_altitude_m(p, ISA_SEA_LEVEL_PA);
		double a = baro_altitude_m(p, ISA_SEA_LEVEL_PA) - ref - offset;
		double dt = isnan(last) ? 1 : (double)(in->t_us[k] - last_t) / 1e6;
		if (!isnan(last) && fabs(a - last) > GRADE_BARO_STEP_MAX_M * fmax(dt, 1)) {
			offset += a - last;
			a = last;
		}
		alt[k] = a;
		last = a;
		last_t = in->t_us[k];
	}
	return !isnan(ref);
}

/* The noise of a barometric altitude: robust SD of its second difference
 * (white noise of SD s gives s·sqrt(6)), and at least a uniform
 * quantisation's (step/sqrt(12)). */
static double baro_noise_m(const double *alt, size_t n, double *quantum_m)
{
	double *d2 = xcalloc(n + 1, sizeof(*d2)), *work = xcalloc(n + 1, sizeof(*work));
	size_t m = 0;
	double quantum = INFINITY;
	for (size_t k = 2; k < n; k++) {
		if (isnan(alt[k]) || isnan(alt[k - 1]) || isnan(alt[k - 2]))
			continue;
		d2[m++] = alt[k] - 2 * alt[k - 1] + alt[k - 2];
		double step = fabs(alt[k] - alt[k - 1]);
		if (step > 1e-6 && step < quantum)
			quantum = step;
	}
	double sd = BARO_NOISE_MIN_M;
	if (m >= 10) {
		double mad = gsl_stats_mad(d2, 1, m, work);
		sd = fmax(sd, 1.4826 * mad / sqrt(6.0));
	}
	if (isfinite(quantum))
		sd = fmax(sd, quantum / sqrt(12.0));
	*quantum_m = isfinite(quantum) ? quantum : 0;
	free(d2);
	free(work);
	return sd;
}

/* ---- the measurements of each second ---- */

/* The run's strides sorted by their middle, to be met second by second. */
struct stride_mid {
	int64_t mid_us;
	double rate_mps, r;
};

static int compare_mid(const void *a, const void *b)
{
	int64_t x = ((const struct stride_mid *)a)->mid_us,
		y = ((const struct stride_mid *)b)->mid_us;
	return (x > y) - (x < y);
}

static size_t stride_rates(const struct grade_input *in, struct stride_mid *out)
{
	size_t m = 0;
	for (size_t i = 0; i < in->n_strides; i++) {
		const struct grade_stride *s = &in->strides[i];
		double dur = (double)(s->end_us - s->start_us) / 1e6;
		if (!isfinite(s->height_change_m) || dur < STRIDE_DURATION_MIN_S || dur > 5)
			continue;
		double sd = STRIDE_DH_SD_M / dur;
		out[m++] = (struct stride_mid){ s->start_us + (s->end_us - s->start_us) / 2,
						s->height_change_m / dur, sd * sd };
	}
	qsort(out, m, sizeof(*out), compare_mid);
	return m;
}

static bool has_incline(const struct grade_input *in)
{
	if (!in->incline_pct)
		return false;
	for (size_t k = 0; k < in->n; k++)
		if (isfinite(in->incline_pct[k]))
			return true;
	return false;
}

/* Horizontal speed around second k, from the distances. */
static double speed_at(const struct grade_input *in, size_t k)
{
	size_t a = k ? k - 1 : k, b = k + 1 < in->n ? k + 1 : k;
	double dt = (double)(in->t_us[b] - in->t_us[a]) / 1e6;
	return dt > 0 ? (in->distance_m[b] - in->distance_m[a]) / dt : 0;
}

/* Marks the seconds of each stand (see STANDING_RATE_SD_MPS); true if any. */
static bool standing_seconds(const struct grade_input *in, bool *standing)
{
	bool any = false;
	size_t k = 1;
	while (k < in->n) {
		if (in->distance_m[k] - in->distance_m[k - 1] > STANDING_STEP_MAX_M) {
			k++;
			continue;
		}
		size_t first = k;
		while (k < in->n &&
		       in->distance_m[k] - in->distance_m[k - 1] <= STANDING_STEP_MAX_M)
			k++;
		double still_s = (double)(in->t_us[k - 1] - in->t_us[first - 1]) / 1e6;
		bool restarts = k == in->n ||
				in->distance_m[k] - in->distance_m[k - 1] <= STANDING_RESTART_MAX_M;
		if (!restarts || still_s > STANDING_MAX_S)
			continue;
		for (size_t j = first; j < k; j++)
			standing[j] = true;
		any = true;
	}
	return any;
}

struct plan {
	const struct grade_input *in;
	bool treadmill;
	double *baro;   /* cleaned barometric altitude, or NULL */
	double baro_r;  /* its noise variance */
	double t0_c;    /* the temperature the coefficient is relative to */
	bool *standing; /* seconds the runner stood still, or NULL */
	struct stride_mid *strides;
	size_t n_strides, next_stride;
	double last_temp_c;
};

static void measure_second(struct plan *p, struct kf *k, size_t i)
{
	const struct grade_input *in = p->in;
	if (p->treadmill) {
		double inc = in->incline_pct[i];
		if (isfinite(inc)) {
			const double h[NS] = { [V] = 1 };
			kf_update(k, h, inc / 100 * speed_at(in, i),
				  INCLINE_RATE_SD_MPS * INCLINE_RATE_SD_MPS);
		}
		return;
	}
	if (p->standing && p->standing[i]) {
		const double h[NS] = { [V] = 1 };
		kf_update(k, h, 0, STANDING_RATE_SD_MPS * STANDING_RATE_SD_MPS);
	}
	/* Strides whose middle falls before the end of this second. */
	int64_t end_us = i + 1 < in->n ? in->t_us[i + 1] : INT64_MAX;
	while (p->next_stride < p->n_strides && p->strides[p->next_stride].mid_us < end_us) {
		const struct stride_mid *s = &p->strides[p->next_stride++];
		const double h[NS] = { [V] = 1, [R] = 1 };
		kf_update(k, h, s->rate_mps, s->r);
	}
	if (p->baro && !isnan(p->baro[i])) {
		double t_c = in->temperature_c ? in->temperature_c[i] : NAN;
		if (isfinite(t_c) && t_c > -60 && t_c < 85)
			p->last_temp_c = t_c;
		double dT = isfinite(p->last_temp_c) && isfinite(p->t0_c) ? p->last_temp_c - p->t0_c
									  : 0;
		const double h[NS] = { [H] = 1, [B] = 1, [C] = dT };
		kf_update(k, h, p->baro[i], p->baro_r);
	}
}

static double first_temperature(const struct grade_input *in)
{
	for (size_t k = 0; in->temperature_c && k < in->n; k++)
		if (isfinite(in->temperature_c[k]) && in->temperature_c[k] > -60 &&
		    in->temperature_c[k] < 85)
			return in->temperature_c[k];
	return NAN;
}

/* ---- the filter and the smoother ---- */

static double step_s(const struct grade_input *in, size_t k)
{
	double dt = k ? (double)(in->t_us[k] - in->t_us[k - 1]) / 1e6 : 0;
	return fmin(dt, DT_MAX_S);
}

/* One second of the forward filter: predicted to second i, then updated
 * with its measurements; the predicted and filtered states are copied out
 * when asked for. */
static void forward_step(struct plan *p, struct kf *k, size_t i, struct kf *pred, struct kf *filt)
{
	if (i)
		kf_predict(k, step_s(p->in, i));
	if (pred)
		*pred = *k;
	measure_second(p, k, i);
	if (filt)
		*filt = *k;
}

/* Where the forward filter stood before a block's first second: enough
 * to run the block again exactly as the first pass did. */
struct checkpoint {
	struct kf k;
	size_t next_stride;
	double last_temp_c;
};

static void save_checkpoint(const struct plan *p, const struct kf *k, struct checkpoint *c)
{
	*c = (struct checkpoint){ .k = *k,
				  .next_stride = p->next_stride,
				  .last_temp_c = p->last_temp_c };
}

static void restore_checkpoint(struct plan *p, struct kf *k, const struct checkpoint *c)
{
	*k = c->k;
	p->next_stride = c->next_stride;
	p->last_temp_c = c->last_temp_c;
}

/* The backward (Rauch-Tung-Striebel) step from second i + 1 to i:
 * xs_i = xf_i + Pf_i F^T Pp_{i+1}^-1 (xs_{i+1} - xp_{i+1}). */
static void rts_step(const struct kf *filt_i, const struct kf *pred_next, double dt_next,
		     double xs[NS])
{
	double Pp[NS * NS], y[NS];
	memcpy(Pp, pred_next->P, sizeof(Pp));
	for (int j = 0; j < NS; j++)
		y[j] = xs[j] - pred_next->x[j];
	gsl_matrix_view A = gsl_matrix_view_array(Pp, NS, NS);
	gsl_vector_view yv = gsl_vector_view_array(y, NS);
	if (gsl_linalg_cholesky_decomp1(&A.matrix) != 0 ||
	    gsl_linalg_cholesky_svx(&A.matrix, &yv.vector) != 0) {
		memcpy(xs, filt_i->x, sizeof(double) * NS); /* cannot happen: Pp > 0 */
		return;
	}
	double Fty[NS];
	memcpy(Fty, y, sizeof(Fty));
	Fty[V] += dt_next * y[H]; /* F^T y */
	Fty[W] += dt_next * y[B];
	for (int r = 0; r < NS; r++) {
		xs[r] = filt_i->x[r];
		for (int c = 0; c < NS; c++)
			xs[r] += filt_i->P[r][c] * Fty[c];
	}
}

/* Blocks of about sqrt(n) seconds: the checkpoints and one block's states
 * are then both about sqrt(n) long. */
static size_t block_length(size_t n)
{
	size_t b = 64;
	while (b * b < n)
		b *= 2;
	return b;
}

/*
 * Forward: the filter over every second; backward (Rauch-Tung-Striebel):
 * the smoothed altitude. The backward pass needs each second's predicted
 * and filtered states, 672 bytes a second (9.7 MB for a 4-hour run, kept
 * by the daemon at the end of every run): instead the forward pass keeps
 * a checkpoint at the start of each block, and the backward pass runs
 * each block forward again from its checkpoint, last block first. Twice
 * the forward work for O(sqrt(n)) memory, and the same numbers: the
 * block is recomputed by the same operations in the same order.
 */
static void smooth(struct plan *p, double *altitude_m)
{
	const struct grade_input *in = p->in;
	size_t n = in->n, len = block_length(n), n_blocks = (n + len - 1) / len;
	struct checkpoint *checkpoints = xcalloc(n_blocks, sizeof(*checkpoints));
	struct kf *pred = xcalloc(len, sizeof(*pred)), *filt = xcalloc(len, sizeof(*filt));
	struct kf k = { 0 }, pred_next = { 0 };
	k.P[H][H] = 1e-6;
	k.P[V][V] = P0_RATE_M2_S2;
	k.P[B][B] = P0_BIAS_M2;
	k.P[C][C] = P0_COEFF_M2_K2;
	k.P[R][R] = P0_INS_BIAS_M2_S2;
	k.P[W][W] = P0_WEATHER_RATE_M2_S2;
	for (size_t i = 0; i < n; i++) {
		if (i % len == 0)
			save_checkpoint(p, &k, &checkpoints[i / len]);
		forward_step(p, &k, i, NULL, NULL);
	}
	struct checkpoint end;
	save_checkpoint(p, &k, &end);
	double xs[NS];
	memcpy(xs, k.x, sizeof(xs));
	altitude_m[n - 1] = xs[H];
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	for (size_t b = n_blocks; b-- > 0;) {
		size_t first = b * len, last = first + len < n ? first + len : n;
		restore_checkpoint(p, &k, &checkpoints[b]);
		for (size_t i = first; i < last; i++)
			forward_step(p, &k, i, &pred[i - first], &filt[i - first]);
		for (size_t i = last; i-- > first;) {
			if (i == n - 1)
				continue;
			const struct kf *next = i + 1 < last ? &pred[i + 1 - first] : &pred_next;
			rts_step(&filt[i - first], next, step_s(in, i + 1), xs);
			altitude_m[i] = xs[H];
		}
		pred_next = pred[0];
	}
	gsl_set_error_handler(old);
	restore_checkpoint(p, &k, &end);
	free(checkpoints);
	free(pred);
	free(filt);
}

/* ---- grade and gain over the smoothed altitude ---- */

/* Altitude at distance x, by linear interpolation; *j is a cursor that
 * only moves forward (x only grows between calls). */
static double altitude_at(const double *d, const double *h, size_t n, double x, size_t *j)
{
	while (*j + 1 < n && d[*j + 1] < x)
		(*j)++;
	size_t a = *j, b = a + 1 < n ? a + 1 : a;
	if (d[b] <= d[a])
		return h[b];
	double f = (x - d[a]) / (d[b] - d[a]);
	f = f < 0 ? 0 : f > 1 ? 1 : f;
	return h[a] + f * (h[b] - h[a]);
}

void grade_over_window(const double *distance_m, const double *altitude_m, size_t n,
		       double window_m, double *grade_pct)
{
	for (size_t k = 0; k < n; k++)
		grade_pct[k] = NAN;
	if (n < 2 || !(distance_m[n - 1] - distance_m[0] >= window_m) || !(window_m > 0))
		return;
	size_t ja = 0, jb = 0;
	for (size_t k = 0; k < n; k++) {
		double lo = distance_m[k] - window_m / 2;
		lo = fmax(lo, distance_m[0]);
		lo = fmin(lo, distance_m[n - 1] - window_m);
		double a = altitude_at(distance_m, altitude_m, n, lo, &ja);
		double b = altitude_at(distance_m, altitude_m, n, lo + window_m, &jb);
		grade_pct[k] = 100 * (b - a) / window_m;
	}
}

void grade_gain_loss(const double *altitude_m, size_t n, double hysteresis_m, double *gain_m,
		     double *loss_m)
{
	double gain = 0, loss = 0, base = NAN, ext = NAN, hi = NAN, lo = NAN;
	int dir = 0;
	for (size_t k = 0; k < n; k++) {
		double h = altitude_m[k];
		if (isnan(h))
			continue;
		if (isnan(hi)) {
			hi = lo = h;
			continue;
		}
		if (dir == 0) {
			hi = fmax(hi, h);
			lo = fmin(lo, h);
			if (h - lo > hysteresis_m)
				dir = 1, base = lo, ext = h;
			else if (hi - h > hysteresis_m)
				dir = -1, base = hi, ext = h;
		} else if (dir * (h - ext) > 0) {
			ext = h;
		} else if (dir * (ext - h) > hysteresis_m) {
			if (dir > 0)
				gain += ext - base;
			else
				loss += base - ext;
			base = ext, ext = h, dir = -dir;
		}
	}
	if (dir > 0)
		gain += ext - base;
	else if (dir < 0)
		loss += base - ext;
	*gain_m = gain;
	*loss_m = loss;
}

/* ---- the estimate ---- */

static bool input_ok(const struct grade_input *in)
{
	if (!in || in->n == 0 || !in->t_us || !in->distance_m || (in->n_strides && !in->strides))
		return false;
	for (size_t k = 0; k < in->n; k++) {
		if (!isfinite(in->distance_m[k]))
			return false;
		if (k &&
		    (in->t_us[k] <= in->t_us[k - 1] || in->distance_m[k] < in->distance_m[k - 1]))
			return false;
	}
	return true;
}

bool grade_estimate(const struct grade_input *in, struct grade_result *out)
{
	if (!input_ok(in))
		return false;
	size_t n = in->n;
	struct grade_result r = { .sources = GRADE_SOURCE_NONE, .gain_m = NAN, .loss_m = NAN };
	r.altitude_m = xcalloc(n, sizeof(double));
	r.grade_pct = xcalloc(n, sizeof(double));
	struct plan p = { .in = in, .treadmill = has_incline(in), .last_temp_c = NAN };
	double quantum_m = 0;
	p.strides = xcalloc(in->n_strides + 1, sizeof(*p.strides));
	if (p.treadmill) {
		r.sources = GRADE_SOURCE_TREADMILL;
	} else {
		p.baro = xcalloc(n, sizeof(double));
		if (baro_altitudes(in, p.baro)) {
			r.sources |= GRADE_SOURCE_BARO;
			double sd =
				fmax(baro_noise_m(p.baro, n, &quantum_m), in->pressure_noise_min_m);
			p.baro_r = sd * sd;
			p.t0_c = first_temperature(in);
		} else {
			free(p.baro);
			p.baro = NULL;
		}
		p.n_strides = stride_rates(in, p.strides);
		p.standing = xcalloc(n, sizeof(bool));
		if (!standing_seconds(in, p.standing)) {
			free(p.standing);
			p.standing = NULL;
		}
		if (p.n_strides)
			r.sources |= GRADE_SOURCE_IMU;
	}
	if (r.sources == GRADE_SOURCE_NONE) {
		for (size_t k = 0; k < n; k++)
			r.altitude_m[k] = r.grade_pct[k] = NAN;
	} else {
		smooth(&p, r.altitude_m);
		grade_over_window(in->distance_m, r.altitude_m, n, GRADE_WINDOW_M, r.grade_pct);
		/* A coarse barometer alone (a watch logging whole 10 Pa) leaves
		 * steps in the smoothed altitude that are not climb. */
		double hysteresis_m = GRADE_GAIN_HYSTERESIS_M;
		if (r.sources == GRADE_SOURCE_BARO)
			hysteresis_m = fmax(hysteresis_m, GRADE_GAIN_QUANTA * quantum_m);
		grade_gain_loss(r.altitude_m, n, hysteresis_m, &r.gain_m, &r.loss_m);
	}
	free(p.baro);
	free(p.standing);
	free(p.strides);
	*out = r;
	return true;
}

void grade_result_free(struct grade_result *r)
{
	if (!r)
		return;
	free(r->altitude_m);
	free(r->grade_pct);
	r->altitude_m = r->grade_pct = NULL;
}
