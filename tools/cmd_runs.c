// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstride runs: the stored runs as a table; hamstride run show ID: one run. */
#include <errno.h>

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "store/pods.h"
#include "terrain_cli.h"
#include "util/xalloc.h"

static void runs_usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride runs [--from TIME] [--to TIME] [--limit N]\n\n"
		"Lists the stored runs, oldest first.\n\n"
		"  --from TIME   runs that start at or after TIME (UTC, 2026-11-21[T07:30[:15]][Z])\n"
		"  --to TIME     runs that start before TIME\n"
		"  --limit N     only the N most recent of those runs\n"
		"  -h, --help    this help\n");
}

/* The last `limit` runs seen, oldest first once unrolled. */
struct run_list {
	struct store_run *runs;
	size_t limit, count, capacity;
};

static int keep_run(void *user, const struct store_run *run)
{
	struct run_list *l = user;
	if (l->count < l->limit && l->count == l->capacity) {
		size_t grown = l->capacity ? l->capacity * 2 : 64;
		l->capacity = grown < l->limit ? grown : l->limit;
		l->runs = xreallocarray(l->runs, l->capacity, sizeof(*l->runs));
	}
	l->runs[l->count % l->limit] = *run;
	l->count++;
	return 0;
}

static void print_run_row(const struct store_run *r)
{
	char start[32], duration[16], distance[16], pace[16], cadence[16], stride[16], gain[16],
		loss[16], hr[16], gain_loss[40];
	snprintf(gain_loss, sizeof(gain_loss), "%s/%s",
		 cli_format_number(r->elevation_gain_m, 0, gain, sizeof(gain)),
		 cli_format_number(r->elevation_loss_m, 0, loss, sizeof(loss)));
	printf("%6lld  %-20s  %8s  %8s  %7s  %7s  %6s  %9s  %4s\n", (long long)r->id,
	       cli_format_time(r->start_us, start, sizeof(start)),
	       cli_format_duration(r->duration_s, duration, sizeof(duration)),
	       cli_format_number(r->distance_m / 1000, 2, distance, sizeof(distance)),
	       cli_format_pace(r->speed_mps, pace, sizeof(pace)),
	       cli_format_number(r->cadence_spm, 0, cadence, sizeof(cadence)),
	       cli_format_number(r->stride_length_m, 2, stride, sizeof(stride)), gain_loss,
	       cli_format_number(r->heart_rate_bpm, 0, hr, sizeof(hr)));
}

int cmd_runs(const struct cli_globals *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int64_t from_us = INT64_MIN, to_us = INT64_MAX, limit = INT64_MAX;
	int opt, rc;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if ((rc = cli_time_option("runs", "--from", optarg, &from_us)))
				return rc;
			break;
		case 't':
			if ((rc = cli_time_option("runs", "--to", optarg, &to_us)))
				return rc;
			break;
		case 'n':
			if (!cli_parse_int64(optarg, &limit) || limit < 1)
				return cli_usage_error(
					"runs",
					"--limit wants a whole number of at least 1, "
					"not '%s'",
					optarg);
			break;
		case 'h':
			runs_usage(stdout);
			return 0;
		default:
			return cli_bad_option("runs", opt, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("runs", "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_period_check("runs", from_us, to_us)))
		return rc;

	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_ONLY, &s)))
		return rc;
	struct run_list list = { .limit = (size_t)limit };
	int err = store_foreach_run(s, from_us, to_us, keep_run, &list);
	if (err < 0)
		cli_error("%s", store_error(s));
	store_close(s);
	if (err == 0) {
		printf("%6s  %-20s  %8s  %8s  %7s  %7s  %6s  %9s  %4s\n", "id", "start (UTC)",
		       "duration", "km", "min/km", "cadence", "stride", "gain/loss", "HR");
		size_t shown = list.count < list.limit ? list.count : list.limit;
		for (size_t i = list.count - shown; i < list.count; i++)
			print_run_row(&list.runs[i % list.limit]);
		if (list.count == 0)
			printf("(no runs)\n");
	}
	free(list.runs);
	return err < 0 ? 1 : 0;
}

static void run_usage(FILE *out)
{
	fprintf(out, "Usage: hamstride run show ID|last\n\n"
		     "Shows one run's summary (IDs from 'hamstride runs'; 'last' for the\n"
		     "run that started last).\n\n"
		     "  -h, --help    this help\n");
}

static void print_field(const char *name, const char *value)
{
	printf("%-20s %s\n", name, value);
}

static void print_quantity(const char *name, double value, int decimals, const char *unit)
{
	char buf[64];
	if (isfinite(value))
		snprintf(buf, sizeof(buf), "%.*f %s", decimals, value, unit);
	else
		snprintf(buf, sizeof(buf), "-");
	print_field(name, buf);
}

static void print_run(const struct store_run *r)
{
	char buf[300], a[32], b[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)r->id);
	print_field("run", buf);
	print_field("start", cli_format_time(r->start_us, a, sizeof(a)));
	print_field("end", r->end_us ? cli_format_time(r->end_us, a, sizeof(a)) : "(in progress)");
	print_field("duration", cli_format_duration(r->duration_s, a, sizeof(a)));
	print_quantity("distance", r->distance_m / 1000, 2, "km");
	snprintf(buf, sizeof(buf), "%s min/km", cli_format_pace(r->speed_mps, a, sizeof(a)));
	print_field("pace", isfinite(r->speed_mps) ? buf : "-");
	print_quantity("mean speed", r->speed_mps, 2, "m/s");
	print_quantity("cadence", r->cadence_spm, 0, "steps/min");
	print_quantity("stride length", r->stride_length_m, 2, "m");
	print_quantity("elevation gain", r->elevation_gain_m, 1, "m");
	print_quantity("elevation loss", r->elevation_loss_m, 1, "m");
	snprintf(buf, sizeof(buf), "%s min/km", cli_format_s_per_km(r->gap_s_per_km, a, sizeof(a)));
	print_field("grade-adj. pace", isfinite(r->gap_s_per_km) ? buf : "-");
	print_quantity("heart rate mean", r->heart_rate_bpm, 0, "bpm");
	print_quantity("heart rate max", r->heart_rate_max_bpm, 0, "bpm");
	snprintf(buf, sizeof(buf), "%lld", (long long)r->notifications);
	print_field("notifications", buf);
	snprintf(buf, sizeof(buf), "%lld (%s s)", (long long)r->gaps,
		 isfinite(r->gap_s) ? (snprintf(b, sizeof(b), "%.1f", r->gap_s), b) : "-");
	print_field("gaps", buf);
	print_field("end reason", r->end_reason[0] ? r->end_reason : "-");
	print_field("source", r->source[0] ? r->source : "-");
	print_field("capture file", r->capture_path[0] ? r->capture_path : "-");
}

/* Treadmill and foot-pod lines, where the run has them (schema 005). */
static void print_surface(struct store *s, int64_t run_id)
{
	struct store_run_surface x;
	char buf[200];
	if (store_get_run_surface(s, run_id, &x) < 0)
		return;
	if (x.surface[0])
		print_field("surface", x.surface);
	if (x.distance_note[0])
		print_field("distance note", x.distance_note);
	if (isfinite(x.pod_distance_raw_m)) {
		if (isfinite(x.pod_scale))
			snprintf(buf, sizeof(buf), "%.2f km raw, calibrated by its factor %.3f",
				 x.pod_distance_raw_m / 1000, x.pod_scale);
		else
			snprintf(buf, sizeof(buf), "%.2f km (not calibrated)",
				 x.pod_distance_raw_m / 1000);
		print_field("foot pod", buf);
	}
}

int cmd_run(const struct cli_globals *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt != 'h')
			return cli_bad_option("run", opt, argv);
		run_usage(stdout);
		return 0;
	}
	if (optind >= argc || strcmp(argv[optind], "show") != 0)
		return cli_usage_error("run", "expected 'show ID' or 'show last'%s%s%s",
				       optind < argc ? ", not '" : "",
				       optind < argc ? argv[optind] : "", optind < argc ? "'" : "");
	int64_t id = 0;
	const char *which = optind + 1 < argc ? argv[optind + 1] : "";
	if (!cli_parse_run_ref(which, &id))
		return cli_usage_error("run",
				       "show wants a run ID (a whole number from "
				       "'hamstride runs') or 'last', not '%s'",
				       which);
	if (optind + 2 < argc)
		return cli_usage_error("run", "unexpected argument '%s'", argv[optind + 2]);

	struct store *s;
	int rc = cli_open_store(g, STORE_READ_ONLY, &s);
	if (rc)
		return rc;
	struct store_run run;
	rc = cli_get_run(g, s, id, &run);
	/* A run from before the terrain gets it now, gain and loss too; one
	 * that cannot (a database the user may not write) shows without. */
	if (rc == 0 && cli_ensure_terrain(g, s, run.id) == 0)
		rc = cli_get_run(g, s, run.id, &run);
	if (rc == 0) {
		print_run(&run);
		print_surface(s, run.id);
		rc = cli_print_terrain_by_class(s, run.id);
	}
	store_close(s);
	return rc;
}
