/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulator's command-line options, defined once for hamstrided
 * --simulate and hamstride sim: their names, arguments, ranges and help
 * lines, and a parser from option text into struct sim_options whose
 * messages name the bad option and the range it takes. Pure: the callers
 * run getopt and print; this only fills the getopt table and checks text.
 */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "sim/sim.h"

enum sim_option_id {
	SIM_OPT_SEED,
	SIM_OPT_MINUTES,
	SIM_OPT_WEEKS,
	SIM_OPT_RUNS_PER_WEEK,
	SIM_OPT_START,
	SIM_OPT_COURSE,
	SIM_OPT_NO_BARO,
	SIM_OPT_WEATHER,
	SIM_OPT_NO_HR,
	SIM_OPT_CONVENTION,
	SIM_OPT_POD_ERROR,
	SIM_OPT_DROPOUT,
	SIM_OPT_IMU,
	SIM_OPT_IMU_LAST_RUNS,
	SIM_OPT_COUNT,
};

struct sim_option_spec {
	const char *name; /* without the dashes: "runs-per-week" */
	const char *arg;  /* the value's placeholder, "N"; NULL for a flag */
	const char *help; /* one line, ranges included */
};

/* The option's definition; NULL for an id out of range. */
const struct sim_option_spec *sim_option_spec(enum sim_option_id id);

/* Fills out[0 .. SIM_OPT_COUNT-1] for getopt_long, each option's val
 * being first_val + its id. */
void sim_option_getopt(struct option *out, int first_val);

/* "  --runs-per-week N    runs in each week of the block, 1-7 (default 4)",
 * without a newline, truncated to size. */
void sim_option_help_line(enum sim_option_id id, char *buf, size_t size);

/* The options as parsed so far, and which were given. */
struct sim_option_parser {
	struct sim_options o;
	bool given[SIM_OPT_COUNT];
};

/* Starts from defaults (the caller's: the daemon simulates a block). */
void sim_option_parser_init(struct sim_option_parser *p, const struct sim_options *defaults);

/* Parses one option's value (NULL for a flag) into p->o. false, with p->o
 * untouched and why saying which option wants what, if the value is bad. */
bool sim_option_parse(struct sim_option_parser *p, enum sim_option_id id, const char *value,
		      char *why, size_t why_size);

/* The checks across options, once all are parsed: --minutes is for a
 * single run, --runs-per-week for a block, --imu-last-runs within the
 * block's runs. false, with why, if they do not go together. */
bool sim_option_parser_finish(const struct sim_option_parser *p, char *why, size_t why_size);
