/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the runs, run, report and export commands (in cli.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Parses a --from/--to style time; on failure prints a usage error naming
 * the option and returns EX_USAGE, else 0. */
int cli_time_option(const char *command, const char *option, const char *text, int64_t *us);
/* The message for getopt_long's '?' or ':' (optstring starts with ':' and
 * opterr is 0, so getopt prints nothing itself): names the argument. */
/* A usage error (EX_USAGE) when --from is not before --to; else 0. */
int cli_period_check(const char *command, int64_t from_us, int64_t to_us);
int cli_bad_option(const char *command, int opt, char **argv);
/* value with this many decimals, or "-" if it is NAN. */
const char *cli_format_number(double value, int decimals, char *buf, size_t size);
