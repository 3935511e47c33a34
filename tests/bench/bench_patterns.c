// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark: 'hamstride patterns --json' over five years of daily runs
 * (1,800 runs, each cut into 20 segments, with a pain report), timed as a
 * process with its peak RSS; then the same database with 200 strides per
 * run added, to show the memory does not follow the strides (patterns reads
 * segments, never strides). Target: under one second. Figures, not a
 * verdict: this never fails on speed, only if the command fails.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/pain.h"
#include "store/segments.h"
#include "store/store.h"

#define RUNS 1800
#define SEGMENTS 20
#define STRIDES 200
#define DAY_US (24LL * 3600 * 1000000)
#define T0 1620000000000000LL /* 2021-05-03 */

static void die(const char *what, struct store *s)
{
	fprintf(stderr, "bench_patterns: %s: %s\n", what, s ? store_error(s) : strerror(errno));
	exit(1);
}

static void make_run(struct store *s, unsigned i, int64_t *id)
{
	int64_t start = T0 + (int64_t)i * DAY_US;
	if (store_run_begin(s, start, "bench", id))
		die("run", s);
	struct seg_segment segs[SEGMENTS];
	double t = 0;
	for (unsigned k = 0; k < SEGMENTS; k++) {
		double grade = ((i * 7 + k * 3) % 13) - 6.0;
		struct seg_segment *x = &segs[k];
		memset(x, 0, sizeof(*x));
		x->cls = seg_classify(grade, &(struct seg_thresholds)SEG_THRESHOLDS_DEFAULT);
		x->duration_s = 150;
		x->length_m = 450;
		x->start_us = start + (int64_t)(t * 1e6);
		t += 150;
		x->end_us = start + (int64_t)(t * 1e6);
		x->grade_pct = grade;
		x->speed_mps = 3;
		x->gap_s_per_km = 333;
		x->cadence_spm = 170;
		x->stride_m = 2.1;
		x->stride_ratio = 1 + grade * -0.005;
		x->heart_rate_bpm = NAN;
	}
	if (store_segments_replace(s, *id, segs, SEGMENTS))
		die("segments", s);
	struct store_run r = { .id = *id,
			       .start_us = start,
			       .end_us = start + (int64_t)(t * 1e6),
			       .duration_s = t,
			       .distance_m = 450.0 * SEGMENTS,
			       .speed_mps = 3 };
	snprintf(r.end_reason, sizeof(r.end_reason), "idle");
	snprintf(r.source, sizeof(r.source), "bench");
	if (store_run_end(s, &r))
		die("run end", s);
	struct store_pain p;
	memset(&p, 0, sizeof(p));
	p.run_id = *id;
	time_t day = (time_t)(start / 1000000);
	strftime(p.day, sizeof(p.day), "%Y-%m-%d", gmtime(&day));
	snprintf(p.side, sizeof(p.side), "%s", i % 3 ? "left" : "right");
	p.during = (int)(i % 5);
	p.after = (int)(i % 7) > 6 ? 6 : (int)(i % 7);
	p.next_morning = PAIN_UNKNOWN;
	p.recorded_us = start;
	if (store_pain_add(s, &p))
		die("pain", s);
}

static void add_strides(struct store *s, int64_t id, unsigned i)
{
	for (unsigned k = 0; k < STRIDES; k++) {
		struct store_stride x = { .length_m = 2.1,
					  .duration_s = 0.7,
					  .speed_mps = 3,
					  .height_change_m = 0,
					  .stance_s = 0.2,
					  .clearance_m = 0.1 };
		snprintf(x.foot, sizeof(x.foot), "%s", k % 2 ? "left" : "right");
		x.start_us = T0 + (int64_t)i * DAY_US + (int64_t)k * 700000;
		x.end_us = x.start_us + 700000;
		if (store_stride(s, id, &x))
			die("stride", s);
	}
}

/* Runs the CLI on db; wall seconds and the child's peak RSS in kB. */
static void time_patterns(const char *cli, const char *db, double *wall_s, long *rss_kb)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(cli, cli, "--db", db, "patterns", "--json", (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("hamstride patterns failed", NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*wall_s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	*rss_kb = ru.ru_maxrss;
}

int main(void)
{
	const char *cli = getenv("HAMSTRIDE_CLI");
	if (!cli) {
		fprintf(stderr, "bench_patterns: set HAMSTRIDE_CLI to the hamstride program\n");
		return 77;
	}
	char dir[] = "/tmp/bench_patterns.XXXXXX", db[64];
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	snprintf(db, sizeof(db), "%s/h.db", dir);
	struct store *s;
	char why[512];
	if (store_open(db, STORE_READ_WRITE, &s, why, sizeof(why))) {
		fprintf(stderr, "bench_patterns: %s\n", why);
		return 1;
	}
	int64_t ids[RUNS];
	for (unsigned i = 0; i < RUNS; i++)
		make_run(s, i, &ids[i]);
	if (store_flush(s))
		die("flush", s);
	double wall[2];
	long rss[2];
	time_patterns(cli, db, &wall[0], &rss[0]);
	for (unsigned i = 0; i < RUNS; i++)
		add_strides(s, ids[i], i);
	store_close(s);
	time_patterns(cli, db, &wall[1], &rss[1]);
	printf("patterns --json over %d runs, %d segments each, a report per run:\n", RUNS,
	       SEGMENTS);
	printf("  without strides:      %.3f s, peak RSS %ld kB\n", wall[0], rss[0]);
	printf("  with %d strides/run: %.3f s, peak RSS %ld kB (%d strides)\n", STRIDES, wall[1],
	       rss[1], RUNS * STRIDES);
	printf("  target: under 1 s; %s\n", wall[0] < 1 && wall[1] < 1 ? "met" : "NOT met");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
