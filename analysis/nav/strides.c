/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nav/strides.h"

#include <stdlib.h>

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

struct strides_foot {
	struct ins *ins;
	struct landing landing;
	double rate_hz;
	uint64_t clip_stretches;
	struct strides_clip clip[STRIDES_CLIP_RING];
	unsigned clip_head, clip_len;
	uint64_t clipped_samples;
};

struct strides_foot *strides_foot_new(double rate_hz, uint8_t foot)
{
	struct ins_config cfg;
	ins_config_default(&cfg);
	cfg.rate_hz = rate_hz;
	struct ins *ins = ins_new(&cfg, foot);
	if (!ins)
		return NULL;
	struct strides_foot *f = xcalloc(1, sizeof(*f));
	f->ins = ins;
	f->rate_hz = rate_hz;
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

static void finish_stride(struct strides_foot *f, struct ins_stride *x)
{
	landing_apply(&f->landing, x);
	x->clipped = clipped_in(f, x->start_us, x->end_us);
}

bool strides_foot_push(struct strides_foot *f, const struct imu_sample *s, struct ins_stride *out)
{
	if (s->clipped)
		note_clipped(f, s->t_us);
	landing_push(&f->landing, s);
	if (!ins_push(f->ins, s, out))
		return false;
	finish_stride(f, out);
	return true;
}

bool strides_foot_flush(struct strides_foot *f, struct ins_stride *out)
{
	if (!ins_flush(f->ins, out))
		return false;
	finish_stride(f, out);
	return true;
}

void strides_foot_stats(const struct strides_foot *f, struct strides_foot_stats *out)
{
	out->clipped_samples = f->clipped_samples;
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
