// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark: the physiotherapist's report over five years of runs.
 *
 *   meson test -C build --suite bench -v     (or build/tests/bench/bench_report)
 *
 * Writes a database of five years of daily runs (1,826 runs, each cut into
 * 16 segments, the last 60 with both feet's strides from shoe IMUs and the
 * last 30 with one sample a second), then runs 'hamstride report --pdf'
 * over all of it several times as its own process and reports the median
 * time and the peak resident memory. Targets: under 2 s and 50 MiB. Figures,
 * not a verdict: a loaded machine is slower, so this never fails on speed.
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

#include "bench_util.h"
#include "store/segments.h"
#include "store/store.h"

#define YEARS 5
#define RUNS (YEARS * 365 + 1)
#define SEGMENTS_PER_RUN 16
#define IMU_RUNS 60
#define SAMPLED_RUNS 30
#define REPEATS 3
#define TARGET_S 2.0
#define TARGET_RSS_KB (50L * 1024)
#define T0 INT64_C(1640995200000000) /* 2022-01-01T00:00Z */
#define DAY_US INT64_C(86400000000)

static void die(struct store *s, int err)
{
	fprintf(stderr, "bench_report: %s (%s)\n", store_error(s), strerror(-err));
	exit(1);
}

static void add_segments(struct store *s, int64_t run_id, int64_t start_us, double duration_s)
{
	struct seg_segment segs[SEGMENTS_PER_RUN];
	double piece_s = duration_s / SEGMENTS_PER_RUN;
	for (int k = 0; k < SEGMENTS_PER_RUN; k++) {
		double grade = 8 * sin(k * 0.9 + (double)run_id);
		double speed = 3.0 - 0.05 * grade;
		segs[k] = (struct seg_segment){
			.start_us = start_us + (int64_t)(k * piece_s * 1e6),
			.end_us = start_us + (int64_t)((k + 1) * piece_s * 1e6),
			.cls = grade <= -6   ? SEG_STEEP_DOWN
			       : grade <= -2 ? SEG_DOWN
			       : grade < 2   ? SEG_FLAT
			       : grade < 6   ? SEG_UP
					     : SEG_STEEP_UP,
			.length_m = speed * piece_s,
			.duration_s = piece_s,
			.elevation_change_m = grade / 100 * speed * piece_s,
			.grade_pct = grade,
			.speed_mps = speed,
			.gap_s_per_km = 1000 / speed,
			.cadence_spm = 168,
			.stride_m = speed * 60 / 84,
			.stride_ratio = 1.0 + 0.01 * grade,
			.heart_rate_bpm = 140,
		};
	}
	int err = store_segments_replace(s, run_id, segs, SEGMENTS_PER_RUN);
	if (err)
		die(s, err);
}

static void add_strides(struct store *s, int64_t run_id, int64_t start_us, double duration_s)
{
	for (int foot = 0; foot < 2; foot++)
		for (int k = 0; k * 0.7 < duration_s; k++) {
			double t = k * 0.7;
			struct store_stride x = {
				.start_us = start_us + (int64_t)(t * 1e6) + foot * 350000,
				.end_us = start_us + (int64_t)((t + 0.7) * 1e6) + foot * 350000,
				.length_m = 2.1 + 0.01 * foot,
				.duration_s = 0.7,
				.speed_mps = 3.0,
				.height_change_m = 0,
				.stance_s = 0.2,
				.clearance_m = 0.12,
			};
			snprintf(x.foot, sizeof(x.foot), "%s", foot ? "right" : "left");
			int err = store_stride(s, run_id, &x);
			if (err)
				die(s, err);
		}
}

static void add_samples(struct store *s, int64_t run_id, int64_t start_us, double duration_s)
{
	for (int t = 0; t < (int)duration_s; t++) {
		struct store_sample x = {
			.t_us = start_us + (int64_t)t * 1000000,
			.speed_mps = 3.0,
			.cadence_spm = 168,
			.stride_length_m = 2.1,
			.distance_m = 3.0 * t,
			.pressure_pa = NAN,
			.temperature_c = NAN,
			.elevation_m = 20 * sin(t / 300.0),
			.heart_rate_bpm = 140,
		};
		int err = store_sample(s, run_id, &x);
		if (err)
			die(s, err);
	}
}

static void make_database(const char *path)
{
	struct store *s;
	char why[512];
	if (store_open(path, STORE_READ_WRITE, &s, why, sizeof(why)) != 0) {
		fprintf(stderr, "bench_report: %s\n", why);
		exit(1);
	}
	for (int i = 0; i < RUNS; i++) {
		int64_t start = T0 + i * DAY_US + INT64_C(25200000000); /* 07:00 */
		double duration_s = 2400 + 1200 * (i % 7 == 6);
		int64_t id;
		int err = store_run_begin(s, start, "bench", &id);
		if (err)
			die(s, err);
		struct store_run r = {
			.id = id,
			.start_us = start,
			.end_us = start + (int64_t)(duration_s * 1e6),
			.duration_s = duration_s,
			.distance_m = 3.0 * duration_s,
			.elevation_gain_m = 60,
			.elevation_loss_m = 60,
			.speed_mps = 3.0,
			.cadence_spm = 168,
			.stride_length_m = 2.1,
			.heart_rate_bpm = 140,
			.heart_rate_max_bpm = 160,
		};
		snprintf(r.end_reason, sizeof(r.end_reason), "idle");
		snprintf(r.source, sizeof(r.source), "bench");
		if ((err = store_run_end(s, &r)))
			die(s, err);
		add_segments(s, id, start, duration_s);
		if (i >= RUNS - IMU_RUNS)
			add_strides(s, id, start, duration_s);
		if (i >= RUNS - SAMPLED_RUNS)
			add_samples(s, id, start, duration_s);
		if ((err = store_flush(s)))
			die(s, err);
	}
	store_close(s);
}

/* One 'hamstride report --pdf' as its own process: wall time and peak RSS. */
static double report_once(const char *cli, const char *db, const char *pdf, long *rss_kb)
{
	double t0 = bench_now_s();
	pid_t pid = fork();
	if (pid == 0) {
		execl(cli, cli, "--db", db, "report", "--pdf", pdf, "--from", "2022-01-01", "--to",
		      "2027-01-02", (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_report: %s report --pdf failed\n", cli);
		exit(1);
	}
	*rss_kb = ru.ru_maxrss;
	return bench_now_s() - t0;
}

int main(void)
{
	const char *cli = getenv("HAMSTRIDE_CLI");
	if (!cli)
		cli = "build/tools/hamstride";
	char dir[] = "/tmp/bench_report.XXXXXX", db[64], pdf[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/h.db", dir);
	snprintf(pdf, sizeof(pdf), "%s/r.pdf", dir);
	double t0 = bench_now_s();
	make_database(db);
	printf("database: %d runs, %d segments, strides on %d, samples on %d: made in %.1f s\n",
	       RUNS, RUNS * SEGMENTS_PER_RUN, IMU_RUNS, SAMPLED_RUNS, bench_now_s() - t0);
	double times[REPEATS];
	long rss_kb = 0, peak_kb = 0;
	for (int i = 0; i < REPEATS; i++) {
		times[i] = report_once(cli, db, pdf, &rss_kb);
		if (rss_kb > peak_kb)
			peak_kb = rss_kb;
	}
	qsort(times, REPEATS, sizeof(times[0]), bench_compare_double);
	printf("report --pdf over 5 years: median %.2f s (target < %.1f s), "
	       "peak RSS %ld KiB (target < %ld KiB)\n",
	       times[REPEATS / 2], TARGET_S, peak_kb, TARGET_RSS_KB);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
