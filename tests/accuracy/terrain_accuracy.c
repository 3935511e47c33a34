// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Accuracy of the terrain (grade, elevation gain, segment classes, GAP)
 * against the simulator, through the whole pipeline: the simulated
 * sensors' notifications go through the ingest into a store, the run's
 * end computes its terrain, and what is stored is compared with the
 * course's true profile.
 *
 * Source sets (a notification of a sensor not in the set is dropped):
 *   pod+baro   foot pod and barometer
 *   baro+imu   barometer and both shoe IMUs
 *   imu        both shoe IMUs alone
 * Truth: the runner's position along the course at each second from the
 * true strides of the left foot, the course's elevation there from
 * sim_course_elevation. Courses: the simulator's seeded hilly loops; a
 * new kind of course is one more entry in `courses`.
 *
 * Targets: grade over 100 m RMS <= 1.0 pp (pod+baro), 0.5 pp (baro+imu),
 * 1.0 pp (imu); elevation gain within 3 % per run; segment class right on
 * >= 95 % of the distance. And GAP on a flat run equal to pace within 1 %
 * (a synthetic flat run with a barometer's noise, drift and warm-up).
 * Exit 1 when a target is missed, printing the seed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"
#include "nav/grade.h"
#include "run/gap.h"
#include "run/segments.h"
#include "sim/sim.h"
#include "store/segments.h"
#include "store/store.h"

#define MINUTES 25.0
#define GRADE_BASE_M 100.0
#define GAIN_TOLERANCE 0.03
#define CLASS_TARGET 0.95
#define GAP_FLAT_TOLERANCE 0.01

enum sources { POD = 1, BARO = 2, IMU = 4 };

static const struct scenario {
	const char *name;
	unsigned sources;
	double grade_rms_pp;
} scenarios[] = {
	{ "pod+baro", POD | BARO, 1.0 },
	{ "baro+imu", BARO | IMU, 0.5 },
	{ "imu", IMU, 1.0 },
};

/* The courses: seeds of the simulator's hilly loops. */
static const uint64_t courses[] = { 3, 11, 2026 };

/* ---- one simulated run through the pipeline ---- */

#define MAX_STRIDES 8192
struct run_ctx {
	unsigned sources;
	struct ingest *in;
	int err;
	struct sim_run_truth truth;
	size_t n_truth;
	int64_t end_us[MAX_STRIDES];
	double cum_m[MAX_STRIDES];
	int64_t first_start_us;
};

static bool wanted(unsigned sources, const struct notification *n)
{
	switch (n->handle) {
	case SIM_HANDLE_RSC_MEASUREMENT:
		return sources & POD;
	case SIM_HANDLE_PRESSURE:
	case SIM_HANDLE_TEMPERATURE:
		return sources & BARO;
	case SIM_HANDLE_IMU_DATA:
	case SIM_HANDLE_IMU_CONFIG:
		return sources & IMU;
	default:
		return true;
	}
}

static int on_emit(void *user, const struct notification *n)
{
	struct run_ctx *c = user;
	if (wanted(c->sources, n) && ingest_notification(c->in, n) < 0)
		c->err = -EIO;
	return 0;
}

static int on_truth(void *user, const struct sim_run_truth *t)
{
	((struct run_ctx *)user)->truth = *t;
	return 0;
}

static int on_stride(void *user, const struct sim_stride_truth *s)
{
	struct run_ctx *c = user;
	if (s->foot != 1 /* IMU_FOOT_LEFT */ || c->n_truth == MAX_STRIDES)
		return 0;
	if (!c->n_truth)
		c->first_start_us = s->start_us;
	c->end_us[c->n_truth] = s->end_us;
	c->cum_m[c->n_truth] = (c->n_truth ? c->cum_m[c->n_truth - 1] : 0) + s->length_m;
	c->n_truth++;
	return 0;
}

/* The left foot's true path length at t (linear within a stride). */
static double true_path_m(const struct run_ctx *c, int64_t t_us)
{
	if (!c->n_truth || t_us <= c->first_start_us)
		return 0;
	size_t lo = 0, hi = c->n_truth;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->end_us[mid] < t_us)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n_truth)
		return c->cum_m[c->n_truth - 1];
	int64_t t0 = lo ? c->end_us[lo - 1] : c->first_start_us;
	double c0 = lo ? c->cum_m[lo - 1] : 0;
	return c0 + (c->cum_m[lo] - c0) * (double)(t_us - t0) / (double)(c->end_us[lo] - t0);
}

/* ---- what was stored ---- */

struct stored {
	size_t n, cap;
	int64_t *t_us;
	double *dist, *alt, *grade, *speed;
	size_t n_seg;
	struct seg_segment segs[1024];
};

static int read_sample(void *user, int64_t run_id, const struct store_sample *x)
{
	(void)run_id;
	struct stored *s = user;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4096;
		s->t_us = realloc(s->t_us, s->cap * sizeof(int64_t));
		s->dist = realloc(s->dist, s->cap * sizeof(double));
		s->alt = realloc(s->alt, s->cap * sizeof(double));
		s->grade = realloc(s->grade, s->cap * sizeof(double));
		s->speed = realloc(s->speed, s->cap * sizeof(double));
		if (!s->t_us || !s->dist || !s->alt || !s->grade || !s->speed)
			abort();
	}
	s->t_us[s->n] = x->t_us;
	s->dist[s->n] = x->distance_m;
	s->alt[s->n] = x->elevation_m;
	s->grade[s->n] = x->grade_pct;
	s->speed[s->n] = x->speed_mps;
	s->n++;
	return 0;
}

static int read_segment(void *user, int64_t run_id, const struct seg_segment *x)
{
	(void)run_id;
	struct stored *s = user;
	if (s->n_seg < sizeof(s->segs) / sizeof(s->segs[0]))
		s->segs[s->n_seg++] = *x;
	return 0;
}

static void stored_free(struct stored *s)
{
	free(s->t_us);
	free(s->dist);
	free(s->alt);
	free(s->grade);
	free(s->speed);
}

static enum seg_class class_at(const struct seg_segment *segs, size_t n, int64_t t_us)
{
	for (size_t i = 0; i < n; i++)
		if (t_us >= segs[i].start_us && t_us < segs[i].end_us)
			return segs[i].cls;
	return SEG_UNKNOWN;
}

/* ---- the figures of one run ---- */

struct figures {
	double grade_rms_pp, gain_err, loss_err, class_right;
	double gain_m, true_gain_m;
	size_t segments;
};

static void measure(const struct run_ctx *c, const struct sim_options *o, struct stored *st,
		    const struct store_run *run, struct figures *f)
{
	size_t n = st->n;
	double *x = calloc(n, sizeof(double)), *e = calloc(n, sizeof(double));
	double *tg = calloc(n, sizeof(double));
	double x0 = c->truth.course_start_m - true_path_m(c, c->truth.start_us);
	for (size_t k = 0; k < n; k++)
		x[k] = x0 + true_path_m(c, st->t_us[k]);
	sim_course_elevation(o, 1, x, e, n);
	/* grade over 100 m of true path, estimated against true */
	double se = 0;
	size_t m = 0;
	for (size_t k = 0, j = 0; k < n; k += 5) {
		while (j < n && x[j] - x[k] < GRADE_BASE_M)
			j++;
		if (j == n)
			break;
		double run_m = st->dist[j] - st->dist[k];
		if (!(run_m > GRADE_BASE_M / 2) || isnan(st->alt[j]))
			continue;
		double truth = 100 * (e[j] - e[k]) / (x[j] - x[k]);
		double est = 100 * (st->alt[j] - st->alt[k]) / run_m;
		se += (est - truth) * (est - truth);
		m++;
	}
	f->grade_rms_pp = m ? sqrt(se / (double)m) : NAN;
	/* the true segments: the same segmenter on the true profile */
	double *rel = calloc(n, sizeof(double)), *path = calloc(n, sizeof(double));
	for (size_t k = 0; k < n; k++) {
		rel[k] = e[k] - e[0];
		path[k] = x[k] - x[0];
	}
	/* The true gain and loss of the stretch the stored run covers, every
	 * undulation counted (the simulator's own figure covers its running
	 * period, which the stored run's start and end may cut short). */
	double true_loss;
	grade_gain_loss(rel, n, 0.0, &f->true_gain_m, &true_loss);
	f->gain_m = run->elevation_gain_m;
	f->gain_err = run->elevation_gain_m / f->true_gain_m - 1;
	f->loss_err = run->elevation_loss_m / true_loss - 1;
	grade_over_window(path, rel, n, GRADE_WINDOW_M, tg);
	struct seg_second *sec = calloc(n, sizeof(*sec));
	for (size_t k = 0; k < n; k++)
		sec[k] = (struct seg_second){ .t_us = st->t_us[k],
					      .distance_m = path[k],
					      .altitude_m = rel[k],
					      .grade_pct = tg[k],
					      .cadence_spm = NAN,
					      .stride_m = NAN,
					      .heart_rate_bpm = NAN };
	const struct seg_thresholds t = SEG_THRESHOLDS_DEFAULT;
	struct seg_segment *truth_segs = NULL;
	size_t nt = seg_cut(sec, n, &t, NULL, &truth_segs);
	double right = 0, total = 0;
	for (size_t k = 1; k < n; k++) {
		double dx = x[k] - x[k - 1];
		total += dx;
		if (class_at(st->segs, st->n_seg, st->t_us[k]) ==
		    class_at(truth_segs, nt, st->t_us[k]))
			right += dx;
	}
	f->class_right = total > 0 ? right / total : NAN;
	f->segments = st->n_seg;
	free(truth_segs);
	free(sec);
	free(rel);
	free(path);
	free(x);
	free(e);
	free(tg);
}

static int simulate_run(uint64_t seed, const struct scenario *sc, struct figures *f)
{
	char db[] = "/tmp/terrain-accuracy-XXXXXX";
	int fd = mkstemp(db);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(db);
	struct store *store;
	char why[256];
	if (store_open(db, STORE_READ_WRITE, &store, why, sizeof(why)) < 0) {
		fprintf(stderr, "terrain_accuracy: %s\n", why);
		return -EIO;
	}
	struct sim_options o;
	sim_options_default(&o);
	o.seed = seed;
	o.run_minutes = MINUTES;
	o.imu = true; /* for the truth of the runner's path, even when not fed */
	o.heart_rate = false;
	struct ingest_config ic;
	ingest_config_default(&ic);
	ic.source = "terrain accuracy";
	struct run_ctx *c = calloc(1, sizeof(*c));
	c->sources = sc->sources;
	c->in = ingest_new(store, &ic);
	int rc = sim_run_block_strides(&o, on_emit, on_truth, on_stride, c);
	ingest_finish(c->in, "end of replay");
	int64_t run_id = ingest_last_run(c->in);
	ingest_free(c->in);
	struct stored st = { 0 };
	struct store_run run;
	if (rc == 0 && !c->err && run_id > 0 && store_get_run(store, run_id, &run) == 0 &&
	    store_foreach_sample(store, run_id, INT64_MIN, INT64_MAX, read_sample, &st) == 0 &&
	    store_foreach_segment(store, run_id, read_segment, &st, NULL) == 0)
		measure(c, &o, &st, &run, f);
	else
		rc = -EIO;
	stored_free(&st);
	free(c);
	store_close(store);
	unlink(db);
	char side[64];
	snprintf(side, sizeof(side), "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
	return rc;
}

/* ---- GAP on a flat run ---- */

/* A 40-minute flat run at a steady pace with a BMP280-like barometer:
 * 2.5 Pa noise, 60 Pa/h of weather, 8 K of warm-up at 1.5 Pa/K. GAP must
 * equal pace. */
static double flat_gap_error(uint64_t seed)
{
	enum { N = 2400 };
	static int64_t t[N];
	static double d[N], p[N], temp[N];
	unsigned long long s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	for (size_t k = 0; k < N; k++) {
		/* a sum of uniforms: Gaussian enough for noise */
		double u = 0;
		for (int i = 0; i < 12; i++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			u += (double)(s >> 11) / 9007199254740992.0;
		}
		t[k] = 1795000000000000LL + (int64_t)k * 1000000;
		d[k] = 3.2 * (double)k;
		temp[k] = 15 + 8 * (1 - exp(-(double)k / 200));
		p[k] = 101000 + 60.0 * (double)k / 3600 + 1.5 * (temp[k] - 15) + 2.5 * (u - 6);
	}
	struct grade_input in = {
		.n = N, .t_us = t, .distance_m = d, .pressure_pa = p, .temperature_c = temp
	};
	struct grade_result r;
	if (!grade_estimate(&in, &r))
		return NAN;
	double *sm = calloc(N, sizeof(double));
	gap_smooth_grade(t, r.grade_pct, N, GAP_SMOOTH_S, sm);
	double gap = gap_s_per_km(t, d, sm, 0, N - 1);
	double pace = 1000 / 3.2;
	free(sm);
	grade_result_free(&r);
	return gap / pace - 1;
}

int main(void)
{
	int failed = 0;
	log_set_level(LOG_LEVEL_WARNING);
	printf("terrain accuracy, %.0f-minute simulated runs (grade over %.0f m of path)\n",
	       MINUTES, GRADE_BASE_M);
	printf("%-9s %6s  %9s %7s  %8s %8s %7s %7s  %8s %5s\n", "sources", "seed", "grade pp",
	       "target", "gain m", "true m", "gain", "loss", "class ok", "segs");
	for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		const struct scenario *sc = &scenarios[s];
		for (size_t i = 0; i < sizeof(courses) / sizeof(courses[0]); i++) {
			struct figures f = { 0 };
			if (simulate_run(courses[i], sc, &f) < 0) {
				printf("%-9s %6llu  the run failed\n", sc->name,
				       (unsigned long long)courses[i]);
				failed = 1;
				continue;
			}
			bool gain_needed = sc->sources & (BARO | IMU);
			bool ok = f.grade_rms_pp <= sc->grade_rms_pp &&
				  (!gain_needed || fabs(f.gain_err) <= GAIN_TOLERANCE) &&
				  f.class_right >= CLASS_TARGET;
			printf("%-9s %6llu  %9.2f %7.1f  %8.1f %8.1f %+6.1f%% %+6.1f%%  %7.1f%% %5zu  "
			       "%s\n",
			       sc->name, (unsigned long long)courses[i], f.grade_rms_pp,
			       sc->grade_rms_pp, f.gain_m, f.true_gain_m, 100 * f.gain_err,
			       100 * f.loss_err, 100 * f.class_right, f.segments,
			       ok ? "ok" : "MISSED");
			if (!ok)
				failed = 1;
		}
	}
	for (uint64_t seed = 1; seed <= 3; seed++) {
		double e = flat_gap_error(seed);
		bool ok = fabs(e) <= GAP_FLAT_TOLERANCE;
		printf("flat run, seed %llu: GAP/pace - 1 = %+.2f%% (target within %.0f%%)  %s\n",
		       (unsigned long long)seed, 100 * e, 100 * GAP_FLAT_TOLERANCE,
		       ok ? "ok" : "MISSED");
		if (!ok)
			failed = 1;
	}
	return failed;
}
