/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pattern analysis of the stored pain log, as 'hamstride patterns
 * --json' prints it, for the physiotherapist's report to read.
 */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "store/store.h"

/* The analysis of runs starting in [from_us, to_us) (INT64_MIN/INT64_MAX
 * for no bound), one side or both (side NULL): *out is the object 'patterns
 * --json' prints ("warning" when a red flag is logged, "sides",
 * "runs_without_segments"), the caller's to json_object_put(). 0 or the
 * store's negative errno. */
int patterns_json(struct store *s, int64_t from_us, int64_t to_us, const char *side,
		  json_object **out);
