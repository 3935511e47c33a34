// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pace plan of a run and the runner's trajectory on a 1 s grid:
 * distance, speed, cadence, heart rate and elevation.
 */
#include "sim/sim_internal.h"

static const char *const plan_names[] = { "easy", "long", "tempo", "intervals" };

const char *sim_plan_name(enum plan_kind kind)
{
	return plan_names[kind];
}

static void plan_add(struct plan *p, double duration_s, double speed_mps)
{
	double start_s = p->n ? p->seg[p->n - 1].end_s : 0;
	if (p->n == PLAN_MAX_SEGMENTS)
		p->n--; /* cannot happen with the reps bounded below; stay in bounds */
	p->seg[p->n++] = (struct plan_segment){ start_s + fmax(duration_s, 0), speed_mps };
}

static void plan_main(struct plan *p, enum plan_kind kind, double main_s, double easy_mps,
		      gsl_rng *r)
{
	switch (kind) {
	case PLAN_EASY:
		plan_add(p, main_s, easy_mps);
		break;
	case PLAN_LONG:
		if (main_s > 2400 && chance(r, 0.3)) { /* a fast finish */
			plan_add(p, main_s - 900, easy_mps);
			plan_add(p, 900, easy_mps + 0.3);
		} else {
			plan_add(p, main_s, easy_mps);
		}
		break;
	case PLAN_TEMPO: {
		double tempo_s = fmin(main_s * 0.6, uniform(r, 900, 1500));
		double before_s = (main_s - tempo_s) / 2;
		plan_add(p, before_s, easy_mps);
		plan_add(p, tempo_s, uniform(r, 3.9, 4.4));
		plan_add(p, main_s - before_s - tempo_s, easy_mps);
		break;
	}
	case PLAN_INTERVALS: {
		double rep_s = uniform(r, 120, 240), rest_s = uniform(r, 90, 180);
		double fast_mps = uniform(r, 4.3, 5.0), left_s = main_s;
		while (left_s >= rep_s + rest_s && p->n < PLAN_MAX_SEGMENTS - 4) {
			plan_add(p, rep_s, fast_mps);
			plan_add(p, rest_s, fmax(SPEED_MIN_MPS + 0.1, easy_mps - 0.2));
			left_s -= rep_s + rest_s;
		}
		plan_add(p, left_s, easy_mps);
		break;
	}
	}
}

void sim_plan_build(struct plan *p, enum plan_kind kind, double run_s, double easy_mps, gsl_rng *r)
{
	double slow_mps = fmax(SPEED_MIN_MPS + 0.05, easy_mps - 0.3);
	double warm_s = fmin(run_s * 0.15, uniform(r, 300, 600));
	double cool_s = fmin(run_s * 0.1, uniform(r, 180, 480));

	p->n = 0;
	plan_add(p, warm_s, slow_mps);
	plan_main(p, kind, run_s - warm_s - cool_s, easy_mps, r);
	plan_add(p, cool_s, slow_mps);
}

static double plan_speed(const struct plan *p, double t_s, unsigned *cursor)
{
	while (*cursor + 1 < p->n && t_s >= p->seg[*cursor].end_s)
		(*cursor)++;
	return p->seg[*cursor].speed_mps;
}

/* Runners slow down a lot uphill and speed up a little downhill. */
static double grade_speed_factor(double grade)
{
	return grade > 0 ? 1 - 3.0 * grade : 1 - 1.2 * fmax(grade, -GRADE_MAX);
}

/* Metabolic cost relative to the flat (after Minetti 2002, simplified). */
static double grade_cost_factor(double grade)
{
	return grade > 0 ? 1 + 5 * grade : fmax(0.75, 1 + 2 * grade);
}

static double running_cadence_spm(const struct runner *rn, double speed_mps, double grade,
				  double wander_spm)
{
	double spm = CADENCE_MIN_SPM + 30 * (speed_mps - SPEED_MIN_MPS) / 2.5 +
		     rn->cadence_offset_spm + 25 * fmax(grade, 0) + wander_spm;
	return clamp(spm, CADENCE_MIN_SPM, CADENCE_MAX_SPM);
}

/* A treadmill holds the speed it is set to, in steps of 0.1 km/h, whatever
 * the incline. */
static double belt_speed_mps(double planned_mps)
{
	return clamp(round(planned_mps * 36) / 36, SPEED_MIN_MPS, SPEED_MAX_MPS);
}

void sim_traj_build(struct sim_run *run, const struct course *c, const struct plan *p,
		    const struct runner *rn, gsl_rng *r)
{
	double speed_wander = 0, cadence_wander = 0, elevation_m, grade, x_m = 0;
	double hr_bpm = uniform(r, 80, 95);
	unsigned cursor = 0;

	sim_course_at(c, 0, &elevation_m, &grade);
	double v = c->treadmill ? belt_speed_mps(plan_speed(p, 0, &cursor))
				: clamp(plan_speed(p, 0, &cursor) * grade_speed_factor(grade),
					SPEED_MIN_MPS, SPEED_MAX_MPS);
	for (size_t k = 0; k < run->n_traj; k++) {
		double t_s = (double)k, target_mps, tau_s;
		if (k > 0) {
			speed_wander = ou_step(r, speed_wander, 0.025, 45, 1);
			cadence_wander = ou_step(r, cadence_wander, 1.5, 30, 1);
			if (t_s <= run->running_s && c->treadmill) {
				target_mps = belt_speed_mps(plan_speed(p, t_s, &cursor));
				tau_s = 4;
			} else if (t_s <= run->running_s) {
				target_mps = clamp(plan_speed(p, t_s, &cursor) *
							   grade_speed_factor(grade) *
							   (1 + speed_wander),
						   SPEED_MIN_MPS, SPEED_MAX_MPS);
				tau_s = 4;
			} else {
				target_mps = t_s <= run->walk_end_s ? WALK_MPS : 0;
				tau_s = 1.5;
			}
			double v_new = target_mps + (v - target_mps) * exp(-1 / tau_s);
			x_m += (v + v_new) / 2;
			v = v_new < 0.05 ? 0 : v_new;
			sim_course_at(c, x_m, &elevation_m, &grade);
		}
		double cadence_spm = t_s <= run->running_s
					     ? running_cadence_spm(rn, v, grade, cadence_wander)
				     : v > 0.3 ? 100 + 10 * v
					       : 0;
		double hr_target = rn->hr_rest_bpm + rn->hr_offset_bpm +
				   28 * v * grade_cost_factor(grade) +
				   (v > 0 ? 0.08 * t_s / 60 : 0);
		hr_target = clamp(hr_target, rn->hr_rest_bpm, HR_MAX_BPM);
		/* The heart follows effort with a lag, faster up than down. */
		hr_bpm = hr_target +
			 (hr_bpm - hr_target) * exp(-1 / (hr_target > hr_bpm ? 25.0 : 40.0));
		run->traj[k] = (struct traj_point){ x_m, v, cadence_spm, hr_bpm, elevation_m, 0 };
	}
}

struct traj_point sim_traj_at(const struct sim_run *run, double t_s)
{
	double tc = clamp(t_s, 0, (double)(run->n_traj - 1));
	size_t k = (size_t)tc;
	if (k + 1 >= run->n_traj)
		return run->traj[run->n_traj - 1];
	const struct traj_point *a = &run->traj[k], *b = &run->traj[k + 1];
	double u = tc - (double)k;
	return (struct traj_point){
		a->x_m + u * (b->x_m - a->x_m),
		a->speed_mps + u * (b->speed_mps - a->speed_mps),
		a->cadence_spm + u * (b->cadence_spm - a->cadence_spm),
		a->heart_rate_bpm + u * (b->heart_rate_bpm - a->heart_rate_bpm),
		a->elevation_m + u * (b->elevation_m - a->elevation_m),
		a->weather_pa + u * (b->weather_pa - a->weather_pa),
	};
}

/* Speed and grade of the runner during second k of the run. */
void sim_traj_motion(const struct sim_run *run, int64_t k, double *speed_mps, double *grade)
{
	size_t a = (size_t)clamp((double)k, 0, (double)run->n_traj - 2);
	const struct traj_point *p = &run->traj[a], *q = &run->traj[a + 1];
	double dx_m = q->x_m - p->x_m;
	*speed_mps = p->speed_mps;
	*grade = dx_m > 0.1 ? (q->elevation_m - p->elevation_m) / dx_m : 0;
}

double sim_sea_level_pa(const struct sim_run *run, double t_s)
{
	return run->p0_pa + run->p0_drift_pa_per_s * t_s + sim_traj_at(run, t_s).weather_pa;
}
