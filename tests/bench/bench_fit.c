// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark: the FIT decoder and activity reader on a real file.
 *
 *   meson test -C build --suite bench -v      (or build/tests/bench/bench_fit FILE)
 *
 * Reads the Garmin Edge 500 ride of shared/data/real/fit (10,686 records,
 * 357 kB) 50 times and reports the median records per second of 5 such
 * rounds. A Garmin export of ten years holds about 3,000 activities of an
 * hour: 11 M records, so 1 M records/s reads it in seconds. Target:
 * >= 1,000,000 records/s. Figures, not a verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_util.h"
#include "import/activity.h"

#define ROUNDS 5
#define READS 50
#define TARGET_RECORDS_PER_S 1e6

int main(int argc, char **argv)
{
	char path[4096];
	const char *dir = getenv("HAMSTRIDE_REAL_DATA");
	snprintf(path, sizeof(path), "%s", argc > 1 ? argv[1] : "");
	if (argc < 2)
		snprintf(path, sizeof(path), "%s/fit/garmin-edge-500-activity.fit",
			 dir ? dir : "../shared/data/real");
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0) {
		printf("bench_fit: %s not found, skipped\n", path);
		return 77;
	}
	uint8_t *buf = malloc((size_t)st.st_size);
	size_t len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	double rate[ROUNDS];
	size_t records = 0;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = bench_now_s();
		for (int i = 0; i < READS; i++) {
			struct activity a;
			if (fit_activity_read(buf, len, &a) != 0) {
				fprintf(stderr, "bench_fit: %s: %s\n", path, a.status.why);
				return 1;
			}
			records = a.n_records;
			activity_free(&a);
		}
		rate[r] = (double)records * READS / (bench_now_s() - t0);
	}
	qsort(rate, ROUNDS, sizeof(rate[0]), bench_compare_double);
	printf("FIT decode: %zu records a read, median %.0f records/s (target >= %.0f)\n", records,
	       rate[ROUNDS / 2], TARGET_RECORDS_PER_S);
	free(buf);
	return 0;
}
