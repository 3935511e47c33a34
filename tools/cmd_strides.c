// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstride strides RUN|last: a run's strides, both feet in one timeline. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "csv.h"

#define CMD "strides"
/* What a row writer returns when the output fails, to stop the store's
 * scan; positive, so never mistaken for the store's negative errno. */
#define OUTPUT_FAILED 1

static void usage(FILE *out)
{
	fprintf(out, "Usage: hamstride strides RUN|last [--csv] [--foot left|right]\n\n"
		     "One row per stride (a landing of a foot to its next landing) of a run\n"
		     "measured by shoe IMUs, both feet in time order, then a summary line.\n\n"
		     "  --csv              RFC 4180 CSV with units in the column names\n"
		     "  --foot left|right  only this foot\n"
		     "  -h, --help         this help\n");
}

struct strides_args {
	bool csv;
	const char *foot; /* NULL: both */
	int64_t run_id;   /* 0: the last run */
};

/* Per-foot totals for the summary: left, right, unknown. */
struct foot_total {
	unsigned n;
	double length_m;
};

struct printer {
	const struct strides_args *a;
	struct csv csv;
	struct foot_total total[3];
	unsigned flagged;
};

static int foot_index(const char *foot)
{
	return strcmp(foot, "left") == 0 ? 0 : strcmp(foot, "right") == 0 ? 1 : 2;
}

/* 2026-11-14T06:58:07.125Z: strides last about a second, so milliseconds. */
static const char *format_time_ms(int64_t us, char *buf, size_t size)
{
	int64_t ms = us / 1000 - (us % 1000 < 0);
	int64_t s_us = (ms - ((ms % 1000) + 1000) % 1000) * 1000;
	char whole[32];
	cli_format_time(s_us, whole, sizeof(whole));
	size_t len = strlen(whole);
	if (len && whole[len - 1] == 'Z')
		whole[len - 1] = 0;
	snprintf(buf, size, "%s.%03dZ", whole, (int)(((ms % 1000) + 1000) % 1000));
	return buf;
}

static const char *const columns[] = {
	"start_utc", "end_utc",         "foot",     "length_m",    "duration_s",
	"speed_mps", "height_change_m", "stance_s", "clearance_m", "flags",
};

static void write_csv_row(struct printer *p, const struct store_stride *x)
{
	char t[40];
	struct csv *c = &p->csv;
	csv_text(c, format_time_ms(x->start_us, t, sizeof(t)));
	csv_text(c, format_time_ms(x->end_us, t, sizeof(t)));
	csv_text(c, x->foot);
	csv_number(c, x->length_m, 3);
	csv_number(c, x->duration_s, 3);
	csv_number(c, x->speed_mps, 3);
	csv_number(c, x->height_change_m, 3);
	csv_number(c, x->stance_s, 3);
	csv_number(c, x->clearance_m, 3);
	csv_text(c, x->flags);
	csv_end_row(c);
}

static void print_header(void)
{
	printf("%-24s  %-7s  %8s  %6s  %6s  %7s  %6s  %9s  %s\n", "start (UTC)", "foot", "length m",
	       "time s", "m/s", "height m", "stance", "clearance", "flags");
}

static void print_row(const struct store_stride *x)
{
	char t[40], len[16], dur[16], v[16], st[16], cl[16];
	printf("%-24s  %-7s  %8s  %6s  %6s  %+7.3f  %6s  %9s%s%s\n",
	       format_time_ms(x->start_us, t, sizeof(t)), x->foot,
	       cli_format_number(x->length_m, 2, len, sizeof(len)),
	       cli_format_number(x->duration_s, 2, dur, sizeof(dur)),
	       cli_format_number(x->speed_mps, 2, v, sizeof(v)),
	       isfinite(x->height_change_m) ? x->height_change_m : 0,
	       cli_format_number(x->stance_s, 2, st, sizeof(st)),
	       cli_format_number(x->clearance_m, 2, cl, sizeof(cl)), x->flags[0] ? "  " : "",
	       x->flags);
}

static int each_stride(void *user, int64_t run_id, const struct store_stride *x)
{
	struct printer *p = user;
	(void)run_id;
	if (p->a->foot && strcmp(p->a->foot, x->foot) != 0)
		return 0;
	struct foot_total *t = &p->total[foot_index(x->foot)];
	t->n++;
	if (isfinite(x->length_m))
		t->length_m += x->length_m;
	if (x->flags[0])
		p->flagged++;
	if (p->a->csv)
		write_csv_row(p, x);
	else
		print_row(x);
	return ferror(stdout) ? OUTPUT_FAILED : 0;
}

static void print_summary(const struct printer *p)
{
	static const char *const names[3] = { "left", "right", "unknown" };
	unsigned n = p->total[0].n + p->total[1].n + p->total[2].n;
	printf("%u strides", n);
	double mean[3];
	for (int i = 0; i < 3; i++) {
		mean[i] = p->total[i].n ? p->total[i].length_m / p->total[i].n : NAN;
		if (p->total[i].n)
			printf("; %s %u, mean %.2f m", names[i], p->total[i].n, mean[i]);
	}
	if (p->total[0].n && p->total[1].n) {
		/* Positive when the left stride is the longer. */
		double asym = 100 * (mean[0] - mean[1]) / (0.5 * (mean[0] + mean[1]));
		printf("; left/right asymmetry %+.1f %%", asym);
	}
	if (p->flagged)
		printf("; %u flagged", p->flagged);
	printf("\n");
}

/* Returns 0 to go on, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, struct strides_args *a)
{
	static const struct option options[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "foot", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt == 'c')
			a->csv = true;
		if (opt == 'f') {
			if (strcmp(optarg, "left") != 0 && strcmp(optarg, "right") != 0)
				return cli_usage_error(CMD, "--foot wants left or right, not '%s'",
						       optarg);
			a->foot = optarg;
		}
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return cli_bad_option(CMD, opt, argv);
	}
	return cli_run_argument(CMD, argc, argv, &a->run_id);
}

int cmd_strides(const struct cli_globals *g, int argc, char **argv)
{
	struct strides_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_ONLY, &s)))
		return rc;
	struct store_run run;
	if ((rc = cli_get_run(g, s, a.run_id, &run))) {
		store_close(s);
		return rc;
	}
	int err;
	struct printer p = { .a = &a };
	csv_init(&p.csv, stdout);
	if (a.csv)
		csv_header(&p.csv, columns, sizeof(columns) / sizeof(columns[0]));
	else
		print_header();
	err = store_foreach_stride(s, run.id, each_stride, &p);
	if (err == 0 && !a.csv)
		print_summary(&p);
	if (err == OUTPUT_FAILED || (err == 0 && fflush(stdout) != 0)) {
		cli_error("cannot write the strides: %s", strerror(errno));
		rc = EX_IOERR;
	} else if (err < 0) {
		cli_error("%s", store_error(s));
		rc = 1;
	}
	store_close(s);
	return rc;
}
