/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stored run's terrain: altitude and grade per second (nav/grade.h),
 * segments of one grade class (run/segments.h) and grade-adjusted pace
 * (run/gap.h), computed from the run's stored samples and strides and
 * written back: samples.elevation_m, grade_pct, gap_s_per_km; the run's
 * elevation gain and loss and GAP; its segments. Called when a run ends,
 * and by the CLI for runs stored before the terrain existed. Linked into
 * the daemon and the CLI.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "run/segments.h"
#include "store/store.h"

/* The runner's usual stride comes from the flat segments of this many
 * earlier runs. */
#define TERRAIN_HISTORY_RUNS 10

/* Computes and stores the run's terrain (replacing what was there) and
 * flushes. *segments (may be NULL) says how many segments it has. 0 or a
 * negative errno (the store's error says why). */
int terrain_compute_run(struct store *s, int64_t run_id, const struct seg_thresholds *t,
			size_t *segments);
/* The same only if the run has no segments yet (a run from before). On a
 * database that cannot be written (a read-only connection or file system,
 * a full disk), the segments are computed and shown on this connection
 * without being stored (store_segments_show), and 0 is returned. */
int terrain_ensure_run(struct store *s, int64_t run_id, const struct seg_thresholds *t);
