/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pain parts of 'hamstride export csv': the pain table, and the pain
 * columns at the end of each run's row. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "store/pain.h"
#include "store/store.h"

extern const char *const export_pain_run_columns[];
extern const size_t export_pain_run_column_count;

/* The current entries of the runs, loaded once for the runs' rows. */
struct export_pain_index {
	struct store_pain *entries;
	size_t n;
};
int export_pain_load(struct store *s, struct export_pain_index *idx);
void export_pain_free(struct export_pain_index *idx);
/* The run's pain cells, export_pain_run_column_count of them. */
void export_pain_run_cells(struct csv *c, const struct export_pain_index *idx, int64_t run_id);

/* export csv pain: every version of every entry (history), with when it
 * was written, for the physiotherapist; days from from_us to to_us. */
int export_pain_csv(struct store *s, struct csv *c, int64_t from_us, int64_t to_us);
