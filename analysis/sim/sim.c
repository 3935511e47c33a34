// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulator. A block is planned first (days, lengths, kinds of run);
 * each run then gets a course and a pace plan, from which the runner's
 * trajectory (distance, speed, cadence, heart rate, elevation) is computed
 * on a 1 s grid. The sensors sample that trajectory on their own clocks,
 * add their own errors, lose some notifications and deliver the rest over
 * their own BLE link; the run's notifications are merged in host time.
 *
 * Randomness: gsl's mt19937, one generator per concern, each seeded from
 * options.seed, the run's index and a fixed stream number, so that a
 * sensor's bytes do not change when another sensor is switched off or a
 * new kind of sensor is added.
 */
#include "sim/sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode/rsc.h"
#include "sim/sim_internal.h"

/* ---- the block ---- */

struct run_spec {
	int64_t start_us;
	double minutes;
	enum plan_kind kind;
};

struct sim {
	const struct sim_options *o;
	gsl_rng *rng; /* the block's plan, then each run's course and trajectory */
	struct runner runner;
	struct run_spec *runs;
	unsigned n_runs;
	struct sim_sensor sensors[SENSOR_COUNT];
	unsigned n_sensors;
	struct traj_point *traj;
	size_t traj_cap;
	struct imu_pair *imu; /* NULL without shoe IMUs */
};

static bool options_valid(const struct sim_options *o)
{
	if (o->start_us < 0 || o->start_us >= SIM_START_US_MAX || o->weeks > SIM_WEEKS_MAX)
		return false;
	if (o->weeks > 0 && (o->runs_per_week < 1 || o->runs_per_week > SIM_RUNS_PER_WEEK_MAX))
		return false;
	if (o->weeks == 0 &&
	    !(o->run_minutes >= SIM_RUN_MINUTES_MIN && o->run_minutes <= SIM_RUN_MINUTES_MAX))
		return false;
	if (o->cadence_convention < RSC_CONVENTION_UNKNOWN ||
	    o->cadence_convention > RSC_CONVENTION_STRIDES)
		return false;
	if (!isnan(o->footpod_scale_error) &&
	    !(fabs(o->footpod_scale_error) <= SIM_SCALE_ERROR_MAX))
		return false;
	if ((unsigned)o->course >= SIM_COURSE_COUNT || o->n_routes > SIM_MAX_ROUTES)
		return false;
	for (unsigned i = 0; i < o->n_routes; i++)
		if ((unsigned)o->routes[i] >= SIM_COURSE_COUNT)
			return false;
	if (!(o->weather_pa_per_h >= 0 && o->weather_pa_per_h <= SIM_WEATHER_MAX_PA_PER_H))
		return false;
	return o->dropout_rate >= 0 && o->dropout_rate <= SIM_DROPOUT_MAX;
}

enum sim_course sim_run_course(const struct sim_options *o, unsigned run_index)
{
	if (o->n_routes == 0 || o->n_routes > SIM_MAX_ROUTES || run_index == 0)
		return o->course;
	return o->routes[(run_index - 1) % o->n_routes];
}

static unsigned block_run_count(const struct sim_options *o)
{
	return o->weeks ? o->weeks * o->runs_per_week : 1;
}

void sim_options_default(struct sim_options *o)
{
	*o = (struct sim_options){
		.seed = 1,
		.start_us = INT64_C(1793602800000000), /* 2026-11-02T07:00:00Z */
		.weeks = 0,
		.runs_per_week = 4,
		.run_minutes = 60,
		.heart_rate = true,
		.barometer = true,
		.footpod_stride_length = true,
		.footpod_total_distance = true,
		.cadence_convention = RSC_CONVENTION_UNKNOWN,
		.footpod_scale_error = NAN,
		.dropout_rate = 0.002,
	};
}

/* The weekly pattern: the start's weekday and runs_per_week - 1 others. */
static void pick_days(gsl_rng *r, unsigned n, unsigned days[7])
{
	unsigned pool[6] = { 1, 2, 3, 4, 5, 6 };
	gsl_ran_shuffle(r, pool, 6, sizeof(pool[0]));
	days[0] = 0;
	for (unsigned i = 1; i < n; i++)
		days[i] = pool[i - 1];
	for (unsigned i = 1; i < n; i++) /* insertion sort: the week in order */
		for (unsigned j = i; j > 1 && days[j] < days[j - 1]; j--) {
			unsigned t = days[j];
			days[j] = days[j - 1];
			days[j - 1] = t;
		}
}

/* Long runs grow; some weeks jump past 110% of the longest run of the
 * previous 30 days (a load warning to find), the odd week cuts back. */
static double long_run_minutes(gsl_rng *r, const double *long_min, unsigned w)
{
	if (w == 0)
		return uniform(r, 42, 52);
	double recent = 0;
	for (unsigned i = w >= 4 ? w - 4 : 0; i < w; i++)
		recent = fmax(recent, long_min[i]);
	/* 1.2x the minutes keeps the distance above 110% whatever the hills. */
	if (recent <= 90 / 1.2 && (w % 3 == 2 || chance(r, 0.2)))
		return fmin(90, recent * uniform(r, 1.2, 1.35));
	if (recent > 80 && chance(r, 0.5))
		return recent * uniform(r, 0.6, 0.75);
	return clamp(recent * uniform(r, 0.85, 1.02), 45, 90);
}

static void schedule_week(struct sim *sim, unsigned w, const unsigned *days, double long_min)
{
	const struct sim_options *o = sim->o;
	unsigned n = o->runs_per_week;

	for (unsigned i = 0; i < n; i++) {
		struct run_spec *rs = &sim->runs[w * n + i];
		bool quality = n >= 3 && i == n / 2;
		double jitter_s = w == 0 && i == 0 ? 0 : round(uniform(sim->rng, -40, 50) * 60);

		rs->start_us = o->start_us + (int64_t)(7 * w + days[i]) * DAY_US +
			       (int64_t)jitter_s * INT64_C(1000000);
		if (i == n - 1) {
			rs->kind = PLAN_LONG;
			rs->minutes = long_min;
		} else if (quality) {
			rs->kind = w % 2 ? PLAN_TEMPO : PLAN_INTERVALS;
			rs->minutes = uniform(sim->rng, 35, fmax(35, 0.7 * long_min));
		} else {
			rs->kind = PLAN_EASY;
			rs->minutes = uniform(sim->rng, 30, fmin(55, 0.8 * long_min));
		}
	}
}

static void schedule_build(struct sim *sim)
{
	const struct sim_options *o = sim->o;
	unsigned days[7];

	sim->n_runs = block_run_count(o);
	sim->runs = xcalloc(sim->n_runs, sizeof(*sim->runs));
	if (o->weeks == 0) {
		static const enum plan_kind kinds[] = { PLAN_EASY, PLAN_EASY, PLAN_TEMPO,
							PLAN_INTERVALS };
		sim->runs[0] = (struct run_spec){ o->start_us, o->run_minutes,
						  o->run_minutes >= 30
							  ? kinds[gsl_rng_uniform_int(sim->rng, 4)]
							  : PLAN_EASY };
		return;
	}
	double *long_min = xcalloc(o->weeks, sizeof(*long_min));
	pick_days(sim->rng, o->runs_per_week, days);
	for (unsigned w = 0; w < o->weeks; w++) {
		long_min[w] = long_run_minutes(sim->rng, long_min, w);
		schedule_week(sim, w, days, long_min[w]);
	}
	free(long_min);
}

/* A sensor's fixed traits: address, clock, link, and its kind's own. */
static void sensor_setup(struct sim_sensor *s, const struct sensor_kind *kind,
			 const struct sim_options *o)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->rng = rng_new();
	gsl_rng_set(s->rng, derive_seed(o->seed, 0, STREAM_SENSOR + kind->id));
	for (unsigned i = 0; i < NOTIFICATION_ADDR_LEN; i++)
		s->addr[i] = (uint8_t)gsl_rng_uniform_int(s->rng, 256);
	s->addr[NOTIFICATION_ADDR_LEN - 1] |= 0xC0;       /* random static address */
	s->period_s = 1 + uniform(s->rng, -40e-6, 40e-6); /* its crystal's error */
	s->ci_us = sim_connection_intervals_us[gsl_rng_uniform_int(s->rng, 4)];
	kind->setup(s, o);
}

static void sim_setup(struct sim *sim, const struct sim_options *o)
{
	memset(sim, 0, sizeof(*sim));
	sim->o = o;
	sim->rng = rng_new();
	gsl_rng_set(sim->rng, derive_seed(o->seed, 0, STREAM_BLOCK));
	sim->runner = (struct runner){
		.easy_mps = uniform(sim->rng, 2.8, 3.3),
		.cadence_offset_spm = uniform(sim->rng, -4, 4),
		.hr_rest_bpm = uniform(sim->rng, 48, 62),
		.hr_offset_bpm = uniform(sim->rng, -8, 8),
	};
	schedule_build(sim);
	double max_minutes = 0;
	for (unsigned i = 0; i < sim->n_runs; i++)
		max_minutes = fmax(max_minutes, sim->runs[i].minutes);
	/* running, up to 90 s walking and 35 s standing, and the grid's ends */
	sim->traj_cap = (size_t)ceil(max_minutes * 60) + 130;
	sim->traj = xcalloc(sim->traj_cap, sizeof(*sim->traj));
	for (unsigned k = 0; k < SENSOR_COUNT; k++)
		if (sim_sensor_kinds[k].enabled(o))
			sensor_setup(&sim->sensors[sim->n_sensors++], &sim_sensor_kinds[k], o);
	if (o->imu)
		sim->imu = xcalloc(1, sizeof(*sim->imu));
}

static void sim_teardown(struct sim *sim)
{
	for (unsigned i = 0; i < sim->n_sensors; i++)
		gsl_rng_free(sim->sensors[i].rng);
	gsl_rng_free(sim->rng);
	free(sim->runs);
	free(sim->traj);
	free(sim->imu);
}

/* Fronts passing: the trend of sea-level pressure wanders (SD sd_pa_per_h,
 * over about half an hour) and the pressure follows it, second by second.
 * From its own stream, so that switching it on changes nothing else. */
static void weather_build(struct sim_run *run, double sd_pa_per_h, uint64_t seed)
{
	gsl_rng *r = rng_new();
	double sd_pa_per_s = sd_pa_per_h / 3600, pa = 0;

	gsl_rng_set(r, derive_seed(seed, run->index, STREAM_WEATHER));
	double rate = gsl_ran_gaussian_ziggurat(r, sd_pa_per_s);
	for (size_t k = 0; k < run->n_traj; k++) {
		run->traj[k].weather_pa = pa;
		rate = ou_step(r, rate, sd_pa_per_s, 1800, 1);
		pa += rate;
	}
	gsl_rng_free(r);
}

static void run_prepare(struct sim *sim, unsigned index, struct sim_run *run)
{
	const struct run_spec *rs = &sim->runs[index - 1];
	struct plan plan;
	gsl_rng *r = sim->rng;

	memset(run, 0, sizeof(*run));
	sim_course_for_run(&run->course, r, sim->o->seed, index, sim_run_course(sim->o, index));
	gsl_rng_set(r, derive_seed(sim->o->seed, index, STREAM_RUN));
	run->index = index;
	run->kind = rs->kind;
	run->start_us = rs->start_us;
	/* Whole seconds: interpolating on the 1 s grid then never blends a
	 * running sample with a walking one. */
	run->running_s = round(rs->minutes * 60);
	run->walk_end_s = run->running_s + (chance(r, 0.5) ? uniform(r, 20, 90) : 0);
	run->end_s = run->walk_end_s + uniform(r, 25, 35); /* standing, then the pod sleeps */
	run->n_traj = (size_t)ceil(run->end_s) + 2;
	run->traj = sim->traj;
	/* Weather: today's sea-level pressure, drifting slowly. */
	run->p0_pa = 101325 + clamp(gsl_ran_gaussian_ziggurat(r, 600), -1500, 1500);
	run->p0_drift_pa_per_s = uniform(r, -30, 30) / 3600;
	run->ambient_c = uniform(r, 2, 25);
	sim_plan_build(&plan, rs->kind, run->running_s, sim->runner.easy_mps, r);
	sim_traj_build(run, &run->course, &plan, &sim->runner, r);
	if (sim->o->weather_pa_per_h > 0)
		weather_build(run, sim->o->weather_pa_per_h, sim->o->seed);
	run->truth.course = sim_run_course(sim->o, index);
	run->truth.treadmill = run->course.treadmill;
}

static void sensor_start(struct sim_sensor *s, struct sim_run *run, uint64_t seed)
{
	gsl_rng_set(s->rng, derive_seed(seed, run->index, STREAM_SENSOR + s->kind->id));
	s->phase_s = uniform(s->rng, 0, 1);
	s->tick = 0;
	s->anchor_us = run->start_us - (int64_t)uniform(s->rng, 0, (double)s->ci_us);
	s->stall_until_us = INT64_MIN;
	s->last_host_us = INT64_MIN;
	s->burst_left = 0;
	s->running_sample = false;
	s->pending = false;
	s->kind->start(s, run);
}

/* Makes the sensor's next notification that survives the link, if any. */
static void sensor_refill(struct sim_sensor *s, struct sim_run *run, double dropout_rate)
{
	s->pending = false;
	while (s->kind->sample(s, run)) {
		if (!s->reliable && sim_link_drops(s, dropout_rate)) {
			run->truth.dropped++;
			continue;
		}
		int64_t sample_us = run->start_us + llround(s->sample_s * US_PER_S);
		s->n = (struct notification){
			.host_time_us = sim_link_deliver(s, sample_us),
			.addr_type = NOTIFICATION_ADDR_RANDOM,
			.handle = s->handle,
			.uuid = s->uuid,
			.len = s->len,
			.value = s->value,
		};
		memcpy(s->n.addr, s->addr, NOTIFICATION_ADDR_LEN);
		s->pending = true;
		return;
	}
}

static struct sim_sensor *next_sensor(struct sim *sim)
{
	struct sim_sensor *next = NULL;
	for (unsigned i = 0; i < sim->n_sensors; i++) {
		struct sim_sensor *s = &sim->sensors[i];
		if (s->pending && (!next || s->n.host_time_us < next->n.host_time_us))
			next = s;
	}
	return next;
}

static int run_emit(struct sim *sim, struct sim_run *run, sim_emit_fn emit, void *user)
{
	bool pod_emitted = false;
	struct sim_sensor *s;

	for (unsigned i = 0; i < sim->n_sensors; i++) {
		sensor_start(&sim->sensors[i], run, sim->o->seed);
		sensor_refill(&sim->sensors[i], run, sim->o->dropout_rate);
	}
	while ((s = next_sensor(sim))) {
		if (s->running_sample) {
			if (!pod_emitted)
				run->truth.start_us = s->n.host_time_us;
			pod_emitted = true;
			run->truth.end_us = s->n.host_time_us;
		}
		run->truth.notifications++;
		int rc = emit(user, &s->n);
		if (rc)
			return rc;
		sensor_refill(s, run, sim->o->dropout_rate);
	}
	return 0;
}

/* Running totals over [ta, tb] of the trajectory, trapezoid on its grid. */
struct run_sums {
	double gain_m, loss_m, steps, heartbeats;
};

static void sums_add(struct run_sums *sum, const struct traj_point *a, const struct traj_point *b,
		     double dt_s)
{
	double dh = b->elevation_m - a->elevation_m;
	if (dh > 0)
		sum->gain_m += dh;
	else
		sum->loss_m -= dh;
	sum->steps += (a->cadence_spm + b->cadence_spm) / 2 * dt_s / 60;
	sum->heartbeats += (a->heart_rate_bpm + b->heart_rate_bpm) / 2 * dt_s / 60;
}

static struct run_sums run_sums(const struct sim_run *run, double ta_s, double tb_s)
{
	struct run_sums sum = { 0 };
	struct traj_point prev = sim_traj_at(run, ta_s), next;
	double t_prev = ta_s;

	for (size_t i = (size_t)floor(ta_s) + 1; (double)i < tb_s; i++) {
		double t = (double)i;
		next = run->traj[i];
		sums_add(&sum, &prev, &next, t - t_prev);
		prev = next;
		t_prev = t;
	}
	next = sim_traj_at(run, tb_s);
	sums_add(&sum, &prev, &next, tb_s - t_prev);
	return sum;
}

/* The class of a grade, at the thresholds the segments use by default. */
static enum seg_class grade_class(double grade_pct)
{
	return grade_pct <= -6   ? SEG_STEEP_DOWN
	       : grade_pct <= -2 ? SEG_DOWN
	       : grade_pct < 2   ? SEG_FLAT
	       : grade_pct < 6   ? SEG_UP
				 : SEG_STEEP_UP;
}

/* The distance over [ta_s, tb_s] on each class of grade, from the course
 * itself in pieces of at most CLASS_STEP_M. */
#define CLASS_STEP_M 1.0
static void class_distances(const struct sim_run *run, double ta_s, double tb_s, double *out_m)
{
	double xa = sim_traj_at(run, ta_s).x_m, xb = sim_traj_at(run, tb_s).x_m;
	size_t n = (size_t)ceil((xb - xa) / CLASS_STEP_M);
	double elevation_m, grade;

	for (unsigned c = 0; c < SEG_CLASS_COUNT; c++)
		out_m[c] = 0;
	for (size_t i = 0; i < n; i++) {
		double x0 = xa + (double)i * CLASS_STEP_M, x1 = fmin(xb, x0 + CLASS_STEP_M);
		sim_course_at(&run->course, (x0 + x1) / 2, &elevation_m, &grade);
		out_m[grade_class(100 * grade)] += x1 - x0;
	}
}

static void truth_finish(struct sim_run *run, bool heart_rate)
{
	struct sim_run_truth *t = &run->truth;
	double ta_s = run->pod_first_s, tb_s = run->pod_last_s;
	struct traj_point a = sim_traj_at(run, ta_s), b = sim_traj_at(run, tb_s);
	struct run_sums sum = run_sums(run, ta_s, tb_s);

	t->index = run->index;
	t->plan = sim_plan_name(run->kind);
	t->duration_s = tb_s - ta_s;
	t->course_start_m = a.x_m;
	t->course_distance_m = b.x_m - a.x_m;
	t->footpod_distance_m = (uint32_t)(run->pod_last_dm - run->pod_first_dm) / 10.0;
	t->elevation_gain_m = sum.gain_m;
	t->elevation_loss_m = sum.loss_m;
	t->mean_speed_mps = t->duration_s > 0 ? t->course_distance_m / t->duration_s : 0;
	t->mean_cadence_spm = t->duration_s > 0 ? sum.steps / (t->duration_s / 60) : 0;
	t->mean_stride_length_m = sum.steps > 0 ? t->course_distance_m / (sum.steps / 2) : 0;
	t->mean_heart_rate_bpm = !heart_rate         ? NAN
				 : t->duration_s > 0 ? sum.heartbeats / (t->duration_s / 60)
						     : a.heart_rate_bpm;
	class_distances(run, ta_s, tb_s, t->class_distance_m);
}

static int run_seconds(const struct sim_run *run, sim_second_fn second, void *user)
{
	for (size_t k = 0; k < run->n_traj && second; k++) {
		const struct traj_point *p = &run->traj[k];
		double elevation_m, grade;
		sim_course_at(&run->course, p->x_m, &elevation_m, &grade);
		struct sim_second_truth st = {
			.run_index = run->index,
			.t_s = (double)k,
			.utc_us = run->start_us + (int64_t)k * INT64_C(1000000),
			.distance_m = p->x_m,
			.elevation_m = p->elevation_m,
			.grade_pct = 100 * grade,
			.speed_mps = p->speed_mps,
			.cadence_spm = p->cadence_spm,
			.sea_level_pa = sim_sea_level_pa(run, (double)k),
			.running = (double)k <= run->running_s,
		};
		int rc = second(user, &st);
		if (rc)
			return rc;
	}
	return 0;
}

static int sim_one_run(struct sim *sim, unsigned index, const struct sim_callbacks *cb)
{
	struct sim_run run;

	run_prepare(sim, index, &run);
	if (sim->imu && sim_imu_worn(sim->o, sim->n_runs, index)) {
		sim_imu_pair_begin(sim->imu, &run, sim->o->seed);
		sim->imu->stride = cb->stride;
		sim->imu->user = cb->user;
	}
	int rc = run_emit(sim, &run, cb->emit, cb->user);
	if (run.imu) {
		if (rc == 0)
			rc = run.imu->stride_rc;
		sim_imu_pair_end(sim->imu, &run);
	}
	if (rc)
		return rc;
	sim_pod_finish(&sim->sensors[0], &run); /* the pod is always the first sensor */
	truth_finish(&run, sim->o->heart_rate);
	if ((rc = run_seconds(&run, cb->second, cb->user)))
		return rc;
	return cb->truth ? cb->truth(cb->user, &run.truth) : 0;
}

int sim_run(const struct sim_options *o, const struct sim_callbacks *cb)
{
	struct sim sim;
	int rc = 0;

	if (!o || !cb || !cb->emit || !options_valid(o))
		return -EINVAL;
	sim_setup(&sim, o);
	for (unsigned i = 1; i <= sim.n_runs && rc == 0; i++)
		rc = sim_one_run(&sim, i, cb);
	sim_teardown(&sim);
	return rc;
}

int sim_run_block_strides(const struct sim_options *o, sim_emit_fn emit, sim_truth_fn truth,
			  sim_stride_fn stride, void *user)
{
	const struct sim_callbacks cb = { emit, truth, stride, NULL, user };
	return sim_run(o, &cb);
}

int sim_run_block(const struct sim_options *o, sim_emit_fn emit, sim_truth_fn truth, void *user)
{
	return sim_run_block_strides(o, emit, truth, NULL, user);
}

int sim_course_profile(const struct sim_options *o, unsigned run_index, const double *distance_m,
		       double *elevation_m, double *grade_pct, size_t n)
{
	struct course course;
	double elevation, grade;

	if (!o || !options_valid(o) || run_index < 1 || run_index > block_run_count(o) ||
	    (n && !distance_m))
		return -EINVAL;
	gsl_rng *r = rng_new();
	sim_course_for_run(&course, r, o->seed, run_index, sim_run_course(o, run_index));
	gsl_rng_free(r);
	for (size_t i = 0; i < n; i++) {
		sim_course_at(&course, distance_m[i], &elevation, &grade);
		if (elevation_m)
			elevation_m[i] = elevation;
		if (grade_pct)
			grade_pct[i] = 100 * grade;
	}
	return 0;
}

int sim_course_elevation(const struct sim_options *o, unsigned run_index, const double *distance_m,
			 double *elevation_m, size_t n)
{
	if (n && !elevation_m)
		return -EINVAL;
	return sim_course_profile(o, run_index, distance_m, elevation_m, NULL, n);
}
