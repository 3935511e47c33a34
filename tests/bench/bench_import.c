// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark: 'hamstride import' of a runner's history, as its own process.
 *
 *   meson test -C build --suite bench -v    (200 files: the short form CI runs)
 *   HAMSTRIDE_CLI=build/tools/hamstride \
 *   HAMSTRIDE_FIT_RUN_WRITER=build/tests/e2e/fit_run_writer build/tests/bench/bench_import 2000
 *
 * 1. Memory against file size: one FIT run of 3 hours and one of 30 hours
 *    (a record a second; fit_run_writer), each imported into a new
 *    database with --jobs 1 and --jobs 2: wall time and peak resident
 *    memory. The decoders and the writer stream, so the peak should not
 *    grow with the file.
 * 2. A folder of FILES running activities of 30 minutes (200 unless
 *    given; the folder is 2,000), imported with --jobs 1 and
 *    --jobs 2, then again (every file already stored: the runs counted,
 *    nothing doubled, or the bench fails). Targets from the issue: a 3-hour file under 0.5 s,
 *    2,000 activities under 5 minutes. Figures, not a verdict: a loaded
 *    machine is slower, so this never fails on speed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

#define FOLDER_FILES 200
#define FOLDER_RUN_S 1800
#define START_S 1700000000L /* 2023-11-14 */

static const char *cli, *writer;

/* Runs argv as its own process; its wall time, and its peak RSS in kB. */
static double run_timed(char *const argv[], long *rss_kb, bool quiet)
{
	double t0 = bench_now_s();
	pid_t pid = fork();
	if (pid == 0) {
		if (quiet && !freopen("/dev/null", "w", stderr))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_import: %s %s failed\n", argv[0], argv[1]);
		exit(1);
	}
	if (rss_kb)
		*rss_kb = ru.ru_maxrss;
	return bench_now_s() - t0;
}

static void write_run(const char *path, long start_s, long seconds)
{
	char start[32], length[32];
	snprintf(start, sizeof(start), "%ld", start_s);
	snprintf(length, sizeof(length), "%ld", seconds);
	char *argv[] = { (char *)writer, (char *)path, start, length, "baro", NULL };
	run_timed(argv, NULL, false);
}

static double import(const char *db, const char *what, const char *jobs, long *rss_kb)
{
	char *argv[] = { (char *)cli, "--db",       (char *)db,   "import",
			 "--jobs",    (char *)jobs, (char *)what, NULL };
	return run_timed(argv, rss_kb, true);
}

/* The runs stored: the lines of 'export csv runs' but its header. */
static long runs_stored(const char *db)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "'%s' --db '%s' export csv runs", cli, db);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	long lines = 0;
	int c;
	while ((c = fgetc(p)) != EOF)
		lines += c == '\n';
	return pclose(p) == 0 ? lines - 1 : -1;
}

static void one_file(const char *dir, long hours)
{
	char fit[256], db[256];
	snprintf(fit, sizeof(fit), "%s/run-%ldh.fit", dir, hours);
	write_run(fit, START_S, hours * 3600);
	FILE *f = fopen(fit, "rb");
	fseek(f, 0, SEEK_END);
	long bytes = ftell(f);
	fclose(f);
	static const char *const jobs[] = { "1", "2" };
	for (size_t j = 0; j < 2; j++) {
		long rss_kb;
		snprintf(db, sizeof(db), "%s/one-%ldh-%s.db", dir, hours, jobs[j]);
		double s = import(db, fit, jobs[j], &rss_kb);
		printf("one file of %2ld h (%6ld records, %5.1f MB), --jobs %s: imported in %.2f s, "
		       "peak RSS %.1f MiB\n",
		       hours, hours * 3600, bytes / 1e6, jobs[j], s, rss_kb / 1024.0);
		unlink(db);
	}
	unlink(fit);
}

int main(int argc, char **argv)
{
	cli = getenv("HAMSTRIDE_CLI");
	writer = getenv("HAMSTRIDE_FIT_RUN_WRITER");
	if (!cli || !writer) {
		printf("bench_import: HAMSTRIDE_CLI and HAMSTRIDE_FIT_RUN_WRITER not set, skipped\n");
		return 77;
	}
	long files = argc > 1 ? strtol(argv[1], NULL, 10) : FOLDER_FILES;
	char dir[] = "/tmp/bench_import.XXXXXX", folder[64], db[64];
	if (!mkdtemp(dir))
		return 1;
	one_file(dir, 3);
	one_file(dir, 30);

	snprintf(folder, sizeof(folder), "%s/export", dir);
	mkdir(folder, 0700);
	double t0 = bench_now_s();
	for (long i = 0; i < files; i++) {
		char fit[128];
		snprintf(fit, sizeof(fit), "%s/%05ld.fit", folder, i);
		write_run(fit, START_S + i * 86400, FOLDER_RUN_S);
	}
	printf("folder: %ld runs of %d min written in %.1f s\n", files, FOLDER_RUN_S / 60,
	       bench_now_s() - t0);
	static const char *const jobs[] = { "1", "2" };
	for (size_t j = 0; j < 2; j++) {
		long rss_kb, again_kb;
		snprintf(db, sizeof(db), "%s/folder-%s.db", dir, jobs[j]);
		double s = import(db, folder, jobs[j], &rss_kb);
		long first = runs_stored(db);
		double again = import(db, folder, jobs[j], &again_kb);
		long after = runs_stored(db);
		printf("folder, --jobs %s: %ld files in %.1f s (%.1f files/s, %.0f records/s), peak "
		       "RSS %.1f MiB; again (all stored) %.1f s, peak RSS %.1f MiB; runs stored "
		       "%ld, then %ld\n",
		       jobs[j], files, s, files / s, files * (double)FOLDER_RUN_S / s,
		       rss_kb / 1024.0, again, again_kb / 1024.0, first, after);
		if (first != files || after != files) {
			fprintf(stderr, "bench_import: %ld files stored as %ld runs, then %ld\n",
				files, first, after);
			return 1;
		}
		unlink(db);
	}
	for (long i = 0; i < files; i++) {
		char fit[128];
		snprintf(fit, sizeof(fit), "%s/%05ld.fit", folder, i);
		unlink(fit);
	}
	rmdir(folder);
	rmdir(dir);
	printf("targets: a 3-hour file under 0.5 s; 2,000 activities under 300 s (this was %ld)\n",
	       files);
	return 0;
}
