/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nav/strides.h"

#include <stdlib.h>
#include <string.h>

#include "util/median.h"
#include "util/xalloc.h"

/*
 * Clipped samples closer than this are one stretch. A stride is clipped
 * when one of its own samples is; stretches only keep that in constant
 * memory, and any join shorter than the shortest stride keeps it exact:
 * a stretch then never bridges a whole stride without a clipped sample
 * of its own (a sprinter's stride lasts over 0.5 s). An impact rings
 * about full scale for some 10-30 ms, in and out of saturation, so a
 * join in time rather than in sample periods makes it one stretch at
 * any rate (two periods is 2 ms at 1 kHz: a stretch per sample) and the
 * ring holds the stretches of many strides.
 */
#define CLIP_JOIN_US INT64_C(50000)

/*
 * A missed stance merges two strides into one twice as long, at twice the
 * duration: against the median of the latest strides (the cadence and
 * length the runner has), with the next stride back at that cadence (a
 * runner speeding up lengthens strides but shortens none). A stop
 * doubles the duration but not the length; a faster stretch the length
 * but not the duration.
 */
#define RECENT 5
_Static_assert(RECENT <= MEDIAN_FEW_MAX, "the usual stride is a median of a few");
#define DOUBLED_DURATION_MIN 1.7
#define DOUBLED_DURATION_MAX 2.3
#define DOUBLED_LENGTH_MIN 1.6
#define DOUBLED_LENGTH_MAX 2.4
#define NEXT_DURATION_MIN 0.7
#define NEXT_DURATION_MAX 1.4
#define OUT_QUEUE 4

struct strides_foot {
	struct ins *ins;
	struct landing landing;
	double rate_hz;
	uint64_t clip_stretches;
	struct strides_clip clip[STRIDES_CLIP_RING];
	unsigned clip_head, clip_len;
	uint64_t clipped_samples;
	/* The latest stride, held until the next shows the cadence after it. */
	struct ins_stride held;
	bool have_held;
	struct ins_stride out[OUT_QUEUE];
	unsigned out_head, out_len;
	double recent_s[RECENT], recent_m[RECENT]; /* the latest strides out, a ring */
	unsigned recent_n;
	double last_pos[3]; /* where the latest stride out ended */
	bool have_last_pos;
	uint64_t split_strides;
};

struct strides_foot *strides_foot_new(double rate_hz, uint8_t foot)
{
	struct ins_config cfg;
	ins_config_default(&cfg);
	cfg.rate_hz = rate_hz;
	return strides_foot_new_config(&cfg, foot);
}

struct strides_foot *strides_foot_new_config(const struct ins_config *cfg, uint8_t foot)
{
	struct ins *ins = ins_new(cfg, foot);
	if (!ins)
		return NULL;
	struct strides_foot *f = xcalloc(1, sizeof(*f));
	f->ins = ins;
	f->rate_hz = cfg->rate_hz;
	landing_init(&f->landing);
	return f;
}

void strides_foot_free(struct strides_foot *f)
{
	if (!f)
		return;
	ins_free(f->ins);
	free(f);
}

double strides_foot_rate_hz(const struct strides_foot *f)
{
	return f->rate_hz;
}

static struct strides_clip *clip_at(struct strides_foot *f, unsigned i)
{
	return &f->clip[(f->clip_head + i) % STRIDES_CLIP_RING];
}

/* With the ring full the newest stretch is widened: a stride may then be
 * flagged without a clipped sample of its own, but none that has one is
 * missed. */
static void note_clipped(struct strides_foot *f, int64_t t_us)
{
	f->clipped_samples++;
	if (f->clip_len) {
		struct strides_clip *last = clip_at(f, f->clip_len - 1);
		if (t_us >= last->to_us &&
		    (t_us - last->to_us <= CLIP_JOIN_US || f->clip_len == STRIDES_CLIP_RING)) {
			last->to_us = t_us;
			return;
		}
	}
	f->clip_stretches++;
	if (f->clip_len == STRIDES_CLIP_RING) {
		f->clip_head = (f->clip_head + 1) % STRIDES_CLIP_RING;
		f->clip_len--;
	}
	*clip_at(f, f->clip_len++) = (struct strides_clip){ .from_us = t_us, .to_us = t_us };
}

/*
 * Whether a sample in [start, end) was clipped. The end is the next
 * stride's landing, the last sample before its impact: the impact's
 * samples after it are the next stride's. Stretches before the stride
 * are forgotten, as a foot's strides come in time order.
 */
static bool clipped_in(struct strides_foot *f, int64_t start_us, int64_t end_us)
{
	while (f->clip_len && f->clip[f->clip_head].to_us < start_us) {
		f->clip_head = (f->clip_head + 1) % STRIDES_CLIP_RING;
		f->clip_len--;
	}
	return f->clip_len && f->clip[f->clip_head].from_us < end_us;
}

static bool within(double x, double lo, double hi)
{
	return x >= lo && x <= hi;
}

static bool twice(const struct ins_stride *s, double usual_s, double usual_m)
{
	double d = (double)s->duration_us * 1e-6;
	return within(d / usual_s, DOUBLED_DURATION_MIN, DOUBLED_DURATION_MAX) &&
	       within(s->length_m / usual_m, DOUBLED_LENGTH_MIN, DOUBLED_LENGTH_MAX);
}

/* Whether s is two strides with the stance between them missed; next is
 * the stride after it, or NULL at the end. */
static bool doubled(const struct strides_foot *f, const struct ins_stride *s,
		    const struct ins_stride *next)
{
	if (!s->valid || s->gap)
		return false;
	unsigned n = f->recent_n < RECENT ? f->recent_n : RECENT;
	double usual_s, usual_m;
	if (n >= 3) {
		usual_s = median_of_few(f->recent_s, n);
		usual_m = median_of_few(f->recent_m, n);
	} else if (next && next->valid && !next->gap) {
		/* the first strides of a run: the next shows the runner's */
		usual_s = (double)next->duration_us * 1e-6;
		usual_m = next->length_m;
		next = NULL;
	} else {
		return false;
	}
	if (!(usual_s > 0 && usual_m > 0))
		return false;
	if (!twice(s, usual_s, usual_m))
		return false;
	/* the next at the cadence, or doubled too (two stances missed in a
	 * row) */
	return !next ||
	       within((double)next->duration_us * 1e-6 / usual_s, NEXT_DURATION_MIN,
		      NEXT_DURATION_MAX) ||
	       twice(next, usual_s, usual_m);
}

static void queue_out(struct strides_foot *f, const struct ins_stride *s)
{
	if (f->out_len == OUT_QUEUE)
		return; /* cannot happen: at most two strides out per stride in */
	f->out[(f->out_head + f->out_len++) % OUT_QUEUE] = *s;
	if (s->valid && !s->gap) {
		f->recent_s[f->recent_n % RECENT] = (double)s->duration_us * 1e-6;
		f->recent_m[f->recent_n % RECENT] = s->length_m;
		f->recent_n++;
	}
	memcpy(f->last_pos, s->pos_m, sizeof(f->last_pos));
	f->have_last_pos = true;
}

/*
 * The two halves of a doubled stride: the missed stance is taken midway
 * in time and place, which is where a steady runner's is, so each half
 * measures about what each stride did; flagged split, so nothing takes
 * them for measured strides.
 */
static void queue_split(struct strides_foot *f, const struct ins_stride *s)
{
	struct ins_stride a = *s, b = *s;
	int64_t mid_us = s->start_us + s->duration_us / 2;
	a.end_us = b.start_us = mid_us;
	a.duration_us = mid_us - s->start_us;
	b.duration_us = s->end_us - mid_us;
	a.length_m = b.length_m = s->length_m / 2;
	a.height_change_m = b.height_change_m = s->height_change_m / 2;
	a.clearance_m = s->clearance_m - b.height_change_m;
	const double *from = f->have_last_pos ? f->last_pos : s->pos_m;
	for (int k = 0; k < 3; k++)
		a.pos_m[k] = 0.5 * (from[k] + s->pos_m[k]);
	a.split = b.split = true;
	f->split_strides += 2;
	queue_out(f, &a);
	queue_out(f, &b);
}

/* The held stride goes out, split if it was doubled; x is held next. */
static void release(struct strides_foot *f, const struct ins_stride *next)
{
	if (!f->have_held)
		return;
	if (doubled(f, &f->held, next))
		queue_split(f, &f->held);
	else
		queue_out(f, &f->held);
	f->have_held = false;
}

static void finish_stride(struct strides_foot *f, struct ins_stride *x)
{
	landing_apply(&f->landing, x);
	x->clipped = clipped_in(f, x->start_us, x->end_us);
	x->split = false;
	release(f, x);
	f->held = *x;
	f->have_held = true;
}

static bool pop_out(struct strides_foot *f, struct ins_stride *out)
{
	if (f->out_len == 0)
		return false;
	*out = f->out[f->out_head];
	f->out_head = (f->out_head + 1) % OUT_QUEUE;
	f->out_len--;
	return true;
}

bool strides_foot_push(struct strides_foot *f, const struct imu_sample *s, struct ins_stride *out)
{
	struct ins_stride x;
	if (s->clipped)
		note_clipped(f, s->t_us);
	landing_push(&f->landing, s);
	if (ins_push(f->ins, s, &x))
		finish_stride(f, &x);
	return pop_out(f, out);
}

bool strides_foot_flush(struct strides_foot *f, struct ins_stride *out)
{
	struct ins_stride x;
	while (f->out_len == 0 && ins_flush(f->ins, &x))
		finish_stride(f, &x);
	if (f->out_len == 0)
		release(f, NULL);
	return pop_out(f, out);
}

void strides_foot_stats(const struct strides_foot *f, struct strides_foot_stats *out)
{
	out->clipped_samples = f->clipped_samples;
	out->split_strides = f->split_strides;
	out->clip_stretches = f->clip_stretches;
	ins_stats(f->ins, &out->ins);
}

/* ---- both feet ---- */

void strides_join_init(struct strides_join *j)
{
	*j = (struct strides_join){ .latest_us = { INT64_MIN, INT64_MIN } };
	two_feet_init(&j->two_feet);
}

void strides_join_forget_drift(struct strides_join *j)
{
	two_feet_init(&j->two_feet);
}

void strides_join_push(struct strides_join *j, int side, const struct ins_stride *s)
{
	side = side ? 1 : 0;
	if (j->len[side] == STRIDES_QUEUE) {
		j->head[side] = (j->head[side] + 1) % STRIDES_QUEUE;
		j->len[side]--;
		j->dropped++;
	}
	j->q[side][(j->head[side] + j->len[side]) % STRIDES_QUEUE] = *s;
	j->len[side]++;
	if (s->end_us > j->latest_us[side])
		j->latest_us[side] = s->end_us;
}

/*
 * A foot that falls STRIDES_LAG strides behind the other (16, some 11 s
 * of running) is not waited for: its sensor has stopped finding stances
 * or gone silent, and a live foot's strides are late by a packet or a
 * link's stall, a few seconds at most. Releasing the earliest stride
 * there, one at a time, rather than at a full queue keeps room in the
 * queue, so no stride is ever dropped, and holds the other foot's
 * strides back no longer than a lost link takes to notice.
 */
static bool lagging(const struct strides_join *j)
{
	return j->len[0] >= STRIDES_LAG || j->len[1] >= STRIDES_LAG;
}

bool strides_join_pop(struct strides_join *j, bool flush, struct ins_stride *out)
{
	int pick = -1;
	for (int side = 0; side < 2; side++) {
		if (j->len[side] == 0)
			continue;
		const struct ins_stride *s = &j->q[side][j->head[side]];
		if (pick < 0 || s->end_us < j->q[pick][j->head[pick]].end_us)
			pick = side;
	}
	if (pick < 0)
		return false;
	const struct ins_stride *s = &j->q[pick][j->head[pick]];
	/* Wait until the other foot has reported past this stride's end, or
	 * a stride of it ending earlier could still arrive. */
	if (!flush && !lagging(j) && j->latest_us[!pick] < s->end_us)
		return false;
	*out = *s;
	j->head[pick] = (j->head[pick] + 1) % STRIDES_QUEUE;
	j->len[pick]--;
	two_feet_correct(&j->two_feet, out);
	return true;
}

/* ---- both feet on one clock ---- */

struct strides *strides_new(double rate_hz, unsigned n_feet, const uint8_t foot[])
{
	if (n_feet < 1 || n_feet > 2)
		return NULL;
	struct strides *p = xcalloc(1, sizeof(*p));
	p->n_feet = n_feet;
	strides_join_init(&p->join);
	for (unsigned i = 0; i < n_feet; i++)
		if (!(p->foot[i] = strides_foot_new(rate_hz, foot[i]))) {
			strides_free(p);
			return NULL;
		}
	return p;
}

void strides_free(struct strides *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->n_feet; i++)
		strides_foot_free(p->foot[i]);
	free(p);
}

void strides_push(struct strides *p, unsigned side, const struct imu_sample *s)
{
	struct ins_stride x;
	if (side < p->n_feet && !p->finished && strides_foot_push(p->foot[side], s, &x))
		strides_join_push(&p->join, (int)side, &x);
}

void strides_finish(struct strides *p)
{
	struct ins_stride x;
	for (unsigned i = 0; i < p->n_feet && !p->finished; i++)
		while (strides_foot_flush(p->foot[i], &x))
			strides_join_push(&p->join, (int)i, &x);
	p->finished = true;
}

bool strides_pop(struct strides *p, struct ins_stride *out)
{
	return strides_join_pop(&p->join, p->finished, out);
}
