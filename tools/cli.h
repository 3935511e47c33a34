/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every hamstride command shares: options, times, exit codes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sysexits.h>

#include "run/segments.h"
#include "store/store.h"

/* Exit codes: 0 success, 1 failure, EX_USAGE (64) for a bad command line,
 * EX_DATAERR (65) for bad input data, EX_NOINPUT (66) for a missing file or
 * run, EX_CANTCREAT (73) / EX_IOERR (74) for output that cannot be written. */

struct cli_globals {
	const char *db_path; /* resolved: --db, else paths_default_database() */
	const char *program; /* "hamstride" */
	/* [segments] of hamstrided.conf (--config, else the daemon's default
	 * file when it exists), for the runs whose terrain the CLI computes */
	struct seg_thresholds segments;
};

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(const struct cli_globals *g, int argc, char **argv); /* argv[0] is the command */
};

/* Prints "hamstride CMD: <message>" to stderr and returns EX_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "hamstride: <message>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads the [segments] thresholds into g from path, or with path NULL
 * from hamstrided's default config file if there is one (none: the
 * defaults). 0, or EX_NOINPUT for a given file that does not exist and
 * EX_CONFIG for a bad one, saying why. */
int cli_load_config(const char *path, struct cli_globals *g);

/* Opens the store, printing why on failure; returns 0 or an exit code. */
/* 0, or an exit code having said why: 66 no database (reading), 73 a
 * database that cannot be written (read-only media or file) opened to
 * write, 1 otherwise. */
int cli_open_store(const struct cli_globals *g, enum store_mode mode, struct store **out);
/* For a command that only reads but keeps what it computes (the terrain
 * of old runs) and applies the migrations where it can: read-write if
 * the database can be written, else read-only. */
int cli_open_store_for_reading(const struct cli_globals *g, struct store **out);
/* The exit code for a write to the database that failed: 74 for a full
 * disk or an I/O error, 1 otherwise (the caller says why). */
int cli_write_exit(const struct store *s);
/* A file the user named for output, replaced if it is there: private
 * (paths_file_mode) and never through a symbolic link. NULL and errno
 * set if it cannot be created. */
FILE *cli_create_output(const char *path);

/* Accepts 2026-11-21, 2026-11-21T07:30, 2026-11-21T07:30:15 and a trailing Z
 * (all UTC). */
bool cli_parse_time(const char *text, int64_t *us);
/* 2026-11-21T07:30:15Z; buf needs 21 bytes. */
const char *cli_format_time(int64_t us, char *buf, size_t size);
/* h:mm:ss or m:ss; "-" for NAN. */
const char *cli_format_duration(double seconds, char *buf, size_t size);
/* Pace as min:ss per km; "-" for a speed that is NAN or ~0. */
const char *cli_format_pace(double speed_mps, char *buf, size_t size);
/* Option values: cli_parse_int64 takes a whole number of 0 or more,
 * cli_parse_double any finite number; callers check their own ranges. */
bool cli_parse_int64(const char *text, int64_t *out);
/* A run as the user names it: a run ID, or "last" (*id = 0). */
bool cli_parse_run_ref(const char *text, int64_t *id);
/* The one RUN|last argument left after the options (argv[optind]); else
 * a usage error naming what is wrong, returned as EX_USAGE. */
int cli_run_argument(const char *command, int argc, char **argv, int64_t *id);
/* Reads run id (0: the last one); otherwise says why on stderr and
 * returns the exit code (EX_NOINPUT when there is no such run). */
int cli_get_run(const struct cli_globals *g, struct store *s, int64_t id, struct store_run *out);
bool cli_parse_double(const char *text, double *out);
/* A time from a run's start, H:MM:SS, M:SS or seconds, to seconds. */
bool cli_parse_elapsed(const char *text, double *out);

/* The commands, each in tools/cmd_NAME.c. */
int cmd_sim(const struct cli_globals *g, int argc, char **argv);
int cmd_replay(const struct cli_globals *g, int argc, char **argv);
int cmd_runs(const struct cli_globals *g, int argc, char **argv);
int cmd_run(const struct cli_globals *g, int argc, char **argv); /* run show ID */
int cmd_report(const struct cli_globals *g, int argc, char **argv);
int cmd_export(const struct cli_globals *g, int argc, char **argv);
int cmd_sensors(const struct cli_globals *g, int argc, char **argv); /* scan|add|list|remove */
int cmd_import(const struct cli_globals *g, int argc, char **argv);  /* import imu FILE */
int cmd_import_history(const struct cli_globals *g, int argc, char **argv); /* FILE|DIR... */
int cmd_strides(const struct cli_globals *g, int argc, char **argv);        /* strides RUN|last */
int cmd_pain(const struct cli_globals *g, int argc, char **argv); /* pain add|list|edit|remove */
int cmd_day(const struct cli_globals *g, int argc, char **argv);  /* day DATE */
int cmd_patterns(const struct cli_globals *g, int argc, char **argv); /* patterns */
int cmd_segments(const struct cli_globals *g, int argc, char **argv); /* segments RUN|last */
