/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stride pipeline: the one way shoe-IMU samples become stored
 * strides, for the daemon, `hamstride import imu` and the accuracy tool
 * alike, so a runner's imported file and live run give the same strides.
 *
 *   each foot:  samples -> INS (ins.h) -> landing finder (landing.h)
 *               -> clip flag -> doubled strides split (struct strides_foot)
 *   both feet:  merge by end time -> two-feet height correction (two_feet.h)
 *                                                     (struct strides_join)
 *
 * The two halves are apart because the daemon runs a foot per sensor on
 * the sensor's own clock and joins the feet per run on the host's; a
 * caller with both feet on one clock uses struct strides, which is both.
 *
 * Streaming, constant memory; allocation only in the *_new functions.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "decode/imu.h"
#include "nav/ins.h"
#include "nav/landing.h"
#include "nav/two_feet.h"

/* ---- one foot ---- */

/* Stretches of clipped samples kept until the strides they fall in are
 * out: a fast run at ±16 g clips every impact and swing, a stretch each,
 * and the INS reports a stride up to 2.5 s after its last sample. */
#define STRIDES_CLIP_RING 64

struct strides_clip {
	int64_t from_us, to_us; /* first and last clipped sample */
};

struct strides_foot;

/* NULL if the INS cannot run at this rate. foot: enum imu_foot, the tag
 * of the strides out. */
struct strides_foot *strides_foot_new(double rate_hz, uint8_t foot);
/* The same with the INS configured otherwise (the accuracy tool's
 * studies); everything else uses the defaults through strides_foot_new. */
struct strides_foot *strides_foot_new_config(const struct ins_config *cfg, uint8_t foot);
void strides_foot_free(struct strides_foot *f);
/* The next sample, in sensor-time order. True and *out filled when a
 * stride is complete: from landing to landing, its clipped flag set. A
 * stride comes out once the next one is complete (or at the flush): a
 * stride twice as long as the runner's at their cadence is two with a
 * stance missed, and comes out as two halves flagged split. */
bool strides_foot_push(struct strides_foot *f, const struct imu_sample *s, struct ins_stride *out);
/* At the end of the samples: the strides still held. Call until false;
 * the foot takes no samples afterwards. */
bool strides_foot_flush(struct strides_foot *f, struct ins_stride *out);
double strides_foot_rate_hz(const struct strides_foot *f);

struct strides_foot_stats {
	uint64_t clipped_samples;
	uint64_t clip_stretches; /* clipped samples 50 ms apart or more */
	uint64_t split_strides;  /* halves of doubled strides (ins_stride.split) */
	struct ins_stats ins;
};
void strides_foot_stats(const struct strides_foot *f, struct strides_foot_stats *out);

/* ---- both feet ---- */

/*
 * Merges the two feet's strides into one timeline ordered by end time
 * and corrects their heights against each other on the way out. Push
 * each foot's strides as they come; pop returns the earliest stride once
 * the other foot has caught up to it, so the output order never changes
 * afterwards.
 */
#define STRIDES_QUEUE 32
/* A foot holding this many strides is not waited for any longer. */
#define STRIDES_LAG (STRIDES_QUEUE / 2)

struct strides_join {
	struct ins_stride q[2][STRIDES_QUEUE];
	unsigned head[2], len[2];
	int64_t latest_us[2]; /* end of the last stride seen per side */
	uint64_t dropped;
	struct two_feet two_feet;
};

void strides_join_init(struct strides_join *j);
/* side: 0 left, 1 right. A full queue drops its oldest stride. */
void strides_join_push(struct strides_join *j, int side, const struct ins_stride *s);
/* The next stride in end-time order, height corrected; with flush, every
 * stride held, without waiting for the other foot. */
bool strides_join_pop(struct strides_join *j, bool flush, struct ins_stride *out);
/* Another sensor took a side: what was learnt of the old one's height
 * drift does not hold for the new one. Pop everything first. */
void strides_join_forget_drift(struct strides_join *j);

/* ---- both feet on one clock ---- */

struct strides {
	unsigned n_feet;
	struct strides_foot *foot[2];
	struct strides_join join;
	bool finished;
};

/* One or two feet (foot[i] is side i's enum imu_foot, all at one rate);
 * NULL if the INS cannot run at this rate. */
struct strides *strides_new(double rate_hz, unsigned n_feet, const uint8_t foot[]);
void strides_free(struct strides *p);
/* Side side's next sample, in time order per side; the sides' samples
 * interleaved by time. Pop what is ready after each push. */
void strides_push(struct strides *p, unsigned side, const struct imu_sample *s);
/* The end of the samples: every foot's last strides into the merge. */
void strides_finish(struct strides *p);
/* The next stride ready, in end-time order; after strides_finish, every
 * stride left. */
bool strides_pop(struct strides *p, struct ins_stride *out);
