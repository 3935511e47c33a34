/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Segments (schema 004): each run cut into pieces of one grade class, and
 * the run's grade per second. Written when a run ends, or computed later
 * for runs stored before the terrain code existed.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "run/segments.h"

struct store;

/* The run's segments become segs[0..n): any stored before are replaced. */
int store_segments_replace(struct store *s, int64_t run_id, const struct seg_segment *segs,
			   size_t n);
/* Callbacks return 0 to go on, non-zero to stop (which is returned). */
typedef int (*store_segment_fn)(void *user, int64_t run_id, const struct seg_segment *seg);
/* One run's segments in time order; *count (may be NULL) says how many
 * were read, 0 for a run whose segments were never computed. */
int store_foreach_segment(struct store *s, int64_t run_id, store_segment_fn fn, void *user,
			  size_t *count);
/* The grade of the sample of second t_us (schema 004's samples.grade_pct);
 * NAN stores NULL. -ENOENT if there is no such sample. */
int store_sample_set_grade(struct store *s, int64_t run_id, int64_t t_us, double grade_pct);
/* The run's grade-adjusted pace, s/km; NAN stores NULL. */
int store_run_set_gap(struct store *s, int64_t run_id, double gap_s_per_km);
