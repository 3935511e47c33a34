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
/* Segments computed for a run that has none stored, on a database that
 * cannot be written (read-only media, a full disk): this connection reads
 * them as the run's until it closes; nothing is written. */
void store_segments_show(struct store *s, int64_t run_id, const struct seg_segment *segs, size_t n);
/* The terrain of each of the run's seconds t_us[0..n): elevation (m,
 * relative to the start), grade (%) and grade-adjusted pace (s/km); NAN
 * stores NULL. Seconds the run has no sample of are skipped. */
int store_samples_set_terrain(struct store *s, int64_t run_id, size_t n, const int64_t *t_us,
			      const double *elevation_m, const double *grade_pct,
			      const double *gap_s_per_km);
/* The run's elevation gain and loss (m) and grade-adjusted pace (s/km);
 * NAN stores NULL. -ENOENT if there is no such run. */
int store_run_set_terrain(struct store *s, int64_t run_id, double gain_m, double loss_m,
			  double gap_s_per_km);
