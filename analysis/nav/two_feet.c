/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nav/two_feet.h"

#include <math.h>
#include <string.h>

/* Weight of a comparison one comparison older: a memory of some twenty
 * comparisons, ten strides per foot, so the fit follows a drift that
 * changes as each INS refines its sensor states. On the simulator's
 * sweep a longer memory (0.98, 0.99) left more cells over target. */
#define FORGET 0.95
/* Prior towards no difference, as metres² of comparisons: about two
 * comparisons' worth, so the first ones do not swing it. It is forgotten
 * like a comparison, so it does not shrink the fit later on. */
#define PRIOR_M2 4.0
/* Far beyond a MEMS sensor's errors (a few mrad, a few 0.1 %): a fit
 * beyond it comes from bad strides, not from the sensors. */
#define MAX_DRIFT 0.05

static void forget_fit(struct two_feet *tf)
{
	tf->have_last = false;
	tf->sxx_m2 = PRIOR_M2;
	tf->sxy_m2 = 0;
	tf->comparisons = 0;
}

void two_feet_init(struct two_feet *tf)
{
	memset(tf, 0, sizeof(*tf));
	forget_fit(tf);
}

static int side_of(uint8_t foot)
{
	return foot == IMU_FOOT_LEFT ? 0 : foot == IMU_FOOT_RIGHT ? 1 : -1;
}

/* A track begins (again) at t_us; landings kept from before are on
 * another origin and can no longer be compared. */
static void track_start(struct two_feet_track *tr, int64_t t_us)
{
	memset(tr, 0, sizeof(*tr));
	tr->started = true;
	tr->last = (struct two_feet_point){ .t_us = t_us };
	tr->prev = tr->last;
}

double two_feet_drift(const struct two_feet *tf)
{
	if (tf->comparisons == 0)
		return 0;
	return fmax(-MAX_DRIFT, fmin(MAX_DRIFT, tf->sxy_m2 / tf->sxx_m2));
}

/* A landing q of one foot against the other's landings a and b either
 * side of it in time: one more point of D = H_L - H_R, and the increment
 * since the previous point into the fit. */
static void compare(struct two_feet *tf, bool q_left, const struct two_feet_point *q,
		    const struct two_feet_point *a, const struct two_feet_point *b)
{
	double f = (double)(q->t_us - a->t_us) / (double)(b->t_us - a->t_us);
	double s_m = a->s_m + f * (b->s_m - a->s_m), h_m = a->h_m + f * (b->h_m - a->h_m);
	double diff_m = q_left ? q->h_m - h_m : h_m - q->h_m;
	double at_m = 0.5 * (q->s_m + s_m); /* distance run, as both feet see it */
	if (tf->have_last) {
		double ds = at_m - tf->last_s_m, dd = diff_m - tf->last_diff_m;
		tf->sxx_m2 = FORGET * tf->sxx_m2 + ds * ds;
		tf->sxy_m2 = FORGET * tf->sxy_m2 + ds * dd;
		tf->comparisons++;
	}
	tf->have_last = true;
	tf->last_s_m = at_m;
	tf->last_diff_m = diff_m;
}

static bool within(const struct two_feet_point *a, const struct two_feet_point *b, int64_t t_us)
{
	return a->t_us < t_us && t_us <= b->t_us;
}

/* The other foot's landings this foot's new stride has passed are
 * compared (or, from before its track began, dropped); the new landing
 * waits for the other foot unless that foot is already past it. */
static void add_landing(struct two_feet *tf, int side, const struct two_feet_point *p)
{
	struct two_feet_track *me = &tf->foot[side], *other = &tf->foot[!side];
	unsigned kept = 0;
	me->prev = me->last;
	me->last = *p;
	for (unsigned i = 0; i < other->n_pending; i++) {
		const struct two_feet_point *q = &other->pending[i];
		if (within(&me->prev, &me->last, q->t_us))
			compare(tf, side == 1, q, &me->prev, &me->last);
		else if (q->t_us > p->t_us)
			other->pending[kept++] = *q;
	}
	other->n_pending = kept;
	if (other->started && within(&other->prev, &other->last, p->t_us)) {
		compare(tf, side == 0, p, &other->prev, &other->last);
		return;
	}
	if (me->n_pending == TWO_FEET_PENDING) {
		memmove(me->pending, me->pending + 1,
			sizeof(me->pending[0]) * (TWO_FEET_PENDING - 1));
		me->n_pending--;
	}
	me->pending[me->n_pending++] = *p;
}

double two_feet_correct(struct two_feet *tf, struct ins_stride *s)
{
	int side = side_of(s->foot);
	if (side < 0)
		return 0;
	struct two_feet_track *me = &tf->foot[side];
	if (!s->valid) {
		/* Its height spans a restart: nothing to learn from or mend. */
		forget_fit(tf);
		track_start(me, s->end_us);
		return 0;
	}
	if (!me->started)
		track_start(me, s->start_us);
	if (s->gap) {
		/* Lost samples make this stride's height an outlier of its own;
		 * the drift is still the sensors'. */
		tf->have_last = false;
		track_start(me, s->end_us);
	} else {
		struct two_feet_point p = { .t_us = s->end_us,
					    .s_m = me->last.s_m + s->length_m,
					    .h_m = me->last.h_m + s->height_change_m };
		add_landing(tf, side, &p);
	}
	/* Half the difference each way: the drift per metre of this foot
	 * minus the two feet's mean. */
	double half_m = 0.5 * two_feet_drift(tf) * s->length_m;
	double correction_m = side == 0 ? -half_m : half_m;
	s->height_change_m += correction_m;
	return correction_m;
}
