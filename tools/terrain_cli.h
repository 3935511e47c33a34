/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The terrain's pieces of the command line (tools/cmd_segments.c), shared
 * by segments, run show, report and export: the segments' CSV columns,
 * GAP as min:ss, and computing the terrain of a run stored before it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "csv.h"
#include "run/segments.h"

#define CLI_SEGMENT_COLUMNS 15
extern const char *const cli_segment_columns[CLI_SEGMENT_COLUMNS];
void cli_segment_csv_row(struct csv *c, int64_t run_id, const struct seg_segment *x);
/* A pace in s/km as min:ss; "-" for NAN. */
const char *cli_format_s_per_km(double s_per_km, char *buf, size_t size);
/* A run with no segments (stored before this version) gets its terrain
 * computed and stored, through a read-write connection of its own. 0 or
 * an exit code, having said why. */
int cli_ensure_terrain(const struct cli_globals *g, struct store *s, int64_t run_id);
/* run show's table: time, distance, pace, GAP and stride by class. */
int cli_print_terrain_by_class(struct store *s, int64_t run_id);
int cli_count_segment(void *user, int64_t run_id, const struct seg_segment *x);
