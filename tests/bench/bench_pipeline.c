// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark: decode+store throughput and the daemon's peak memory.
 *
 *   meson test -C build --suite bench -v      (or run build/tests/bench/bench_pipeline)
 *
 * Simulates a training block to a capture, then replays it through the
 * whole pipeline (capture reader, decoders, run sessions, SQLite store)
 * several times and reports the median notifications per second on one
 * core; then runs hamstrided on a 60-minute run and reports its peak RSS.
 * Then the same for a 60-minute run with a 400 Hz IMU on each shoe:
 * decode+INS+store in notifications and samples per second, and the
 * daemon's peak RSS. Targets: >= 200,000 notifications/s, peak RSS <= 8 MB,
 * an hour of both feet's IMU data in under 1.5 s. Figures, not a verdict:
 * a machine under load is slower, so this never fails on speed.
 *
 * Instruction counts, which do not depend on load: the IMU case alone, on
 * a shorter run so that callgrind takes about a minute, counting only the
 * replay (not the simulation that writes the capture):
 *   valgrind --tool=callgrind --toggle-collect=replay_imu_run \
 *       build/tests/bench/bench_pipeline --repeat 1 --imu-only --imu-minutes 10
 *   callgrind_annotate --inclusive=yes callgrind.out.PID
 */
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "ingest.h"
#include "log.h"
#include "replay.h"
#include "store/store.h"
#include "terrain.h"
#include "test_files.h"

#define TARGET_NOTIFICATIONS_PER_S 200000.0
#define TARGET_RSS_KB 8192L
#define TARGET_IMU_HOUR_S 1.5

static void simulate(const char *path, unsigned weeks, double minutes, bool imu)
{
	struct sim_options o;
	char why[512];
	sim_options_default(&o);
	o.seed = 42;
	o.imu = imu;
	o.weeks = weeks;
	o.runs_per_week = 4;
	o.run_minutes = minutes;
	if (replay_simulate_to_file(&o, path, NULL, NULL, why, sizeof(why)) < 0) {
		fprintf(stderr, "bench: %s\n", why);
		exit(1);
	}
}

/* One pass of the capture through the pipeline into a fresh database;
 * returns notifications per second. */
static double replay_once(const char *capture, const char *db, struct ingest_stats *stats,
			  double *seconds)
{
	struct store *store;
	struct replay *replay;
	struct ingest_config config;
	char why[512];
	int n;

	unlink(db);
	if (store_open(db, STORE_READ_WRITE, &store, why, sizeof(why)) < 0 ||
	    replay_open(capture, &replay, why, sizeof(why)) < 0) {
		fprintf(stderr, "bench: %s\n", why);
		exit(1);
	}
	ingest_config_default(&config);
	config.source = "bench";
	struct ingest *in = ingest_new(store, &config);
	double start = bench_now_s();
	n = replay_feed_all(replay, in);
	ingest_finish(in, "end of replay");
	store_close(store);
	double elapsed = bench_now_s() - start;
	struct ingest_stats st;
	ingest_stats(in, &st);
	ingest_free(in);
	replay_free(replay);
	if (n < 0) {
		fprintf(stderr, "bench: replay failed: %s\n", strerror(-n));
		exit(1);
	}
	*stats = st;
	*seconds = elapsed;
	return st.notifications / elapsed;
}

/* Each case in a function of its own, so that a profiler can count it
 * alone (callgrind --toggle-collect=replay_block or replay_imu_run). The
 * block case reports rates, the IMU case seconds. */
static void __attribute__((noinline)) replay_block(const char *capture, const char *db, int repeat,
						   double *rates, struct ingest_stats *stats)
{
	double seconds;
	for (int i = 0; i < repeat; i++)
		rates[i] = replay_once(capture, db, stats, &seconds);
}

static void __attribute__((noinline))
replay_imu_run(const char *capture, const char *db, int repeat, double *seconds,
	       struct ingest_stats *stats)
{
	for (int i = 0; i < repeat; i++)
		replay_once(capture, db, stats, &seconds[i]);
}

/* The terrain (grade, segments, GAP) of the IMU run, computed again on
 * the stored run: its share of decode-and-store, which includes it once. */
#define TARGET_TERRAIN_SHARE 0.05
static void terrain_cost(const char *db, double pipeline_s, double minutes)
{
	struct store *store;
	char why[512];
	if (store_open(db, STORE_READ_WRITE, &store, why, sizeof(why)) < 0) {
		fprintf(stderr, "bench: %s\n", why);
		exit(1);
	}
	struct store_run run;
	const struct seg_thresholds t = SEG_THRESHOLDS_DEFAULT;
	double best = INFINITY;
	size_t segments = 0;
	for (int i = 0; i < 3; i++) {
		double start = bench_now_s();
		if (store_get_last_run(store, &run) < 0 ||
		    terrain_compute_run(store, run.id, &t, &segments) < 0) {
			fprintf(stderr, "bench: terrain: %s\n", store_error(store));
			exit(1);
		}
		double s = bench_now_s() - start;
		best = s < best ? s : best;
	}
	store_close(store);
	double share = best / (pipeline_s - best);
	printf("terrain (grade, %zu segments, GAP) of the %.0f-minute IMU run: %.3f s, %.1f %% of "
	       "its decode+store; target %.0f %%: %s\n",
	       segments, minutes, best, 100 * share, 100 * TARGET_TERRAIN_SHARE,
	       share <= TARGET_TERRAIN_SHARE ? "met" : "NOT met");
}

/* Peak resident memory of hamstrided replaying the capture, in KiB. */
static long daemon_peak_rss_kb(const char *daemon, const char *capture, const char *db)
{
	unlink(db);
	pid_t pid = fork();
	if (pid == 0) {
		execl(daemon, daemon, "--replay", capture, "--db", db, "--log-level", "error",
		      (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: %s did not run cleanly\n", daemon);
		return -1;
	}
	return ru.ru_maxrss;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_pipeline [--repeat 1..32] [--imu-only] [--imu-minutes N] "
			"[--keep]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int repeat = 5;
	bool imu_only = false, keep = false;
	double imu_minutes = 60;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--imu-minutes") && i + 1 < argc)
			imu_minutes = atof(argv[++i]);
		else if (!strcmp(argv[i], "--imu-only"))
			imu_only = true;
		else if (!strcmp(argv[i], "--keep"))
			keep = true; /* the captures and databases, to compare what was stored */
		else
			return usage();
	}
	const char *daemon = getenv("HAMSTRIDED");
	char dir[] = "/tmp/hamstride-bench-XXXXXX";
	char block[4096], hour[4096], imu_hour[4096], db[4096], block_db[4096], imu_db[4096];
	double rates[32], seconds[32];
	struct ingest_stats st = { 0 };

	log_set_level(LOG_LEVEL_WARNING);
	if (repeat < 1 || repeat > 32 || !(imu_minutes >= 1 && imu_minutes <= 600))
		return usage();
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench: cannot make a folder in /tmp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(block, sizeof(block), "%s/block.btsnoop", dir);
	snprintf(hour, sizeof(hour), "%s/hour.btsnoop", dir);
	snprintf(imu_hour, sizeof(imu_hour), "%s/imu-hour.btsnoop", dir);
	snprintf(db, sizeof(db), "%s/bench.db", dir);
	snprintf(block_db, sizeof(block_db), "%s/block.db", dir);
	snprintf(imu_db, sizeof(imu_db), "%s/imu-hour.db", dir);
	if (!imu_only) {
		simulate(block, 8, 0, false);
		simulate(hour, 0, 60, false);
	}
	simulate(imu_hour, 0, imu_minutes, true);

	if (!imu_only) {
		replay_block(block, block_db, repeat, rates, &st);
		qsort(rates, (size_t)repeat, sizeof(rates[0]), bench_compare_double);
		double median = rates[repeat / 2];
		printf("decode+store: %" PRIu64 " notifications, median %.0f notifications/s over "
		       "%d runs (min %.0f, max %.0f); target %.0f: %s\n",
		       st.notifications, median, repeat, rates[0], rates[repeat - 1],
		       TARGET_NOTIFICATIONS_PER_S,
		       median >= TARGET_NOTIFICATIONS_PER_S ? "met" : "NOT met");
	}

	/* The IMU hour is long: three passes at most. */
	int imu_repeat = repeat < 3 ? repeat : 3;
	replay_imu_run(imu_hour, imu_db, imu_repeat, seconds, &st);
	qsort(seconds, (size_t)imu_repeat, sizeof(seconds[0]), bench_compare_double);
	double imu_s = seconds[imu_repeat / 2];
	/* The hour's target, in proportion for a shorter run. */
	double target_s = TARGET_IMU_HOUR_S * imu_minutes / 60;
	printf("decode+INS+store, %.0f-minute run with two 400 Hz IMUs: %" PRIu64 " notifications, "
	       "%" PRIu64 " IMU samples, %" PRIu64 " strides in %.2f s (median of %d): "
	       "%.0f notifications/s, %.0f samples/s; target %.2f s: %s\n",
	       imu_minutes, st.notifications, st.imu_samples, st.strides, imu_s, imu_repeat,
	       st.notifications / imu_s, st.imu_samples / imu_s, target_s,
	       imu_s <= target_s ? "met" : "NOT met");
	terrain_cost(imu_db, imu_s, imu_minutes);

	if (daemon && !imu_only) {
		long rss = daemon_peak_rss_kb(daemon, hour, db);
		printf("hamstrided peak RSS replaying a 60-minute run: %ld KiB; target %ld KiB: %s\n",
		       rss, TARGET_RSS_KB, rss > 0 && rss <= TARGET_RSS_KB ? "met" : "NOT met");
		rss = daemon_peak_rss_kb(daemon, imu_hour, db);
		printf("hamstrided peak RSS replaying a 60-minute run with two IMUs: %ld KiB; "
		       "target %ld KiB: %s\n",
		       rss, TARGET_RSS_KB, rss > 0 && rss <= TARGET_RSS_KB ? "met" : "NOT met");
	}
	if (keep) {
		printf("captures and databases kept in %s\n", dir);
		return 0;
	}
	const char *files[] = { db, block_db, imu_db, block, hour, imu_hour };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		test_remove_database(files[i]);
	rmdir(dir);
	return 0;
}
