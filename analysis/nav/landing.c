// SPDX-License-Identifier: GPL-2.0-or-later
#include "nav/landing.h"

#include <math.h>
#include <string.h>

/* Across a longer pause between samples a difference is no jerk. */
#define LANDING_MAX_DT_US INT64_C(20000)

void landing_init(struct landing *l)
{
	memset(l, 0, sizeof(*l));
	l->stance_us = INT64_MIN;
}

void landing_push(struct landing *l, const struct imu_sample *s)
{
	unsigned i = (unsigned)(l->n % LANDING_RING);
	int64_t dt_us = s->t_us - l->prev_t_us;
	double jerk = 0;
	if (l->n && dt_us > 0 && dt_us <= LANDING_MAX_DT_US) {
		double d0 = s->acc_mps2[0] - l->prev_acc_mps2[0];
		double d1 = s->acc_mps2[1] - l->prev_acc_mps2[1];
		double d2 = s->acc_mps2[2] - l->prev_acc_mps2[2];
		jerk = sqrt(d0 * d0 + d1 * d1 + d2 * d2) * 1e6 / (double)dt_us;
	}
	l->t_us[i] = s->t_us;
	l->jerk_mps3[i] = (float)jerk;
	memcpy(l->prev_acc_mps2, s->acc_mps2, sizeof(l->prev_acc_mps2));
	l->prev_t_us = s->t_us;
	l->n++;
}

/* The largest jerk from sample a up to (not including) b. */
static uint64_t largest_jerk(const struct landing *l, uint64_t a, uint64_t b)
{
	uint64_t peak = a;
	for (uint64_t k = a + 1; k < b; k++)
		if (l->jerk_mps3[k % LANDING_RING] > l->jerk_mps3[peak % LANDING_RING])
			peak = k;
	return peak;
}

/* The index of the sample at t_us; false if it is not kept. */
static bool find_sample(const struct landing *l, uint64_t oldest, int64_t t_us, uint64_t *k)
{
	uint64_t i = l->n;
	while (i > oldest && l->t_us[(i - 1) % LANDING_RING] > t_us)
		i--;
	if (i == oldest || l->t_us[(i - 1) % LANDING_RING] != t_us)
		return false;
	*k = i - 1;
	return true;
}

bool landing_before(const struct landing *l, int64_t from_us, int64_t stance_us,
		    int64_t *landing_us)
{
	uint64_t oldest = l->n > LANDING_RING ? l->n - LANDING_RING : 0;
	uint64_t from, stance;
	if (!find_sample(l, oldest, from_us, &from) || !find_sample(l, oldest, stance_us, &stance))
		return false;
	uint64_t first = stance;
	while (first > from && stance_us - l->t_us[(first - 1) % LANDING_RING] <= LANDING_WINDOW_US)
		first--;
	if (first <= from + 1)
		return false;
	uint64_t peak = largest_jerk(l, first, stance + 1);
	float peak_mps3 = l->jerk_mps3[peak % LANDING_RING];
	float rest_mps3 = l->jerk_mps3[largest_jerk(l, from + 1, first) % LANDING_RING];
	/* No impact: the stance began when the foot came down. */
	if (!(peak_mps3 > LANDING_IMPACT * rest_mps3) || peak == first)
		return false;
	uint64_t onset = peak;
	while (onset > first &&
	       l->jerk_mps3[(onset - 1) % LANDING_RING] >= LANDING_ONSET * peak_mps3)
		onset--;
	if (onset == first)
		return false;
	/* jerk[onset] is the change since the sample before it: the last
	 * sample before the impact is the landing. */
	*landing_us = l->t_us[(onset - 1) % LANDING_RING];
	return true;
}

void landing_apply(struct landing *l, struct ins_stride *x)
{
	int64_t start_us = x->start_us, end_us = x->end_us;
	if (x->start_us == l->stance_us)
		start_us = l->landing_us;
	landing_before(l, x->start_us, x->end_us, &end_us);
	l->stance_us = x->end_us;
	l->landing_us = end_us;
	x->start_us = start_us;
	x->end_us = end_us;
	x->duration_us = end_us - start_us;
}
