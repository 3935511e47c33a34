// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstride: the command-line tool. Global options, then a command. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "build-config.h"
#include "config.h"
#include "paths.h"

static const struct cli_command commands[] = {
	{ "runs", "list the stored runs", cmd_runs },
	{ "run", "run show ID|last: one run's summary", cmd_run },
	{ "report", "weekly training report with load warnings", cmd_report },
	{ "export", "export csv runs|samples: CSV for a physiotherapist", cmd_export },
	{ "sensors", "sensors scan|add|list|remove: the runner's sensors", cmd_sensors },
	{ "replay", "decode a capture file into the database", cmd_replay },
	{ "sim", "write a simulated run or training block as a capture", cmd_sim },
	{ "import", "import FILE|DIR...: a watch's history; import imu FILE: a raw IMU recording",
	  cmd_import },
	{ "strides", "strides RUN|last: a run's strides from shoe IMUs", cmd_strides },
	{ "segments", "segments RUN|last: a run's uphill, flat and downhill segments",
	  cmd_segments },
	{ "pain", "pain add|list|edit|remove: the pain log", cmd_pain },
	{ "day", "day DATE: the day's sitting hours and back stiffness", cmd_day },
	{ "patterns", "which clinical pattern the pain reports resemble", cmd_patterns },
};

static void print_help(FILE *out)
{
	fprintf(out, "Usage: hamstride [--db PATH] [--config FILE] COMMAND [OPTIONS]\n\n"
		     "Running trends for posterior-thigh pain: stride, grade, pace.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\nOptions:\n"
		"  --db PATH    database (default: $HAMSTRIDE_DB, /var/lib/hamstride/hamstride.db\n"
		"               if it exists, else ~/.local/share/hamstride/hamstride.db)\n"
		"  --config FILE  hamstrided's config, for its [segments] thresholds (default:\n"
		"               " CONFIG_DEFAULT_PATH " if it exists)\n"
		"  --version    print the version\n"
		"  -h, --help   this help; 'hamstride COMMAND --help' for a command's own\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct cli_globals g = { .program = "hamstride" };
	const char *config_path = NULL;
	char default_db[4096];
	int opt;

	/* '+': options after the command belong to the command. */
	while ((opt = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (!optarg[0]) {
				cli_error("--db wants the path of a database, not an empty "
					  "string");
				return EX_USAGE;
			}
			g.db_path = optarg;
			break;
		case 'c':
			if (!optarg[0]) {
				cli_error("--config wants the path of hamstrided.conf, not an "
					  "empty string");
				return EX_USAGE;
			}
			config_path = optarg;
			break;
		case 'h':
			print_help(stdout);
			return 0;
		case 'V':
			printf("hamstride %s\n", HAMSTRIDE_VERSION);
			return 0;
		default:
			print_help(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		print_help(stderr);
		return EX_USAGE;
	}
	if (!g.db_path) {
		g.db_path = paths_default_database(default_db, sizeof(default_db));
		if (!g.db_path) {
			cli_error("no database path: give --db PATH or set HAMSTRIDE_DB");
			return EX_USAGE;
		}
	}
	int rc = cli_load_config(config_path, &g);
	if (rc)
		return rc;
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			int first = optind;
			/* Each command parses its own options, argv[0] being its
			 * name; optind 0 makes glibc's getopt start afresh. */
			optind = 0;
			return commands[i].run(&g, argc - first, argv + first);
		}
	}
	cli_error("unknown command '%s' (see hamstride --help)", name);
	return EX_USAGE;
}
