/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Throughput of the foot INS: simulated 400 Hz running samples per second
 * through ins_push on one core (target >= 2,000,000). The samples are
 * generated first so only the estimator is timed; the median of five
 * passes is reported.
 *
 * Instructions per sample:
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
 *       build/tests/accuracy/bench_ins 200000
 *   callgrind_annotate /tmp/cg.out | grep ins_push
 * and divide ins_push's inclusive Ir by five times the sample count printed
 * (every pass runs all the samples).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/imu_sim.h"
#include "nav/ins.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
	if (n == 0)
		n = 1;
	struct imu_sample *s = malloc(n * sizeof(*s));
	if (!s) {
		fprintf(stderr, "bench_ins: out of memory for %zu samples\n", n);
		return 1;
	}
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	c.feet = IMU_SIM_LEFT;
	c.speed_mps = 3.5;
	struct imu_sim *sim = imu_sim_new(&c);
	for (size_t got = 0; got < n;)
		got += imu_sim_generate(sim, s + got, n - got);
	imu_sim_free(sim);

	/* Five passes over the same samples; the median is the figure, since
	 * the machine is shared and single passes vary. */
	enum { PASSES = 5 };
	double rate[PASSES];
	unsigned strides = 0;
	struct ins_stats stats;
	for (int p = 0; p < PASSES; p++) {
		struct ins_config ic;
		ins_config_default(&ic);
		struct ins *ins = ins_new(&ic, IMU_FOOT_LEFT);
		struct ins_stride st;
		strides = 0;
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (size_t i = 0; i < n; i++)
			strides += ins_push(ins, &s[i], &st);
		clock_gettime(CLOCK_MONOTONIC, &b);
		double sec = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
		rate[p] = (double)n / sec;
		ins_stats(ins, &stats);
		ins_free(ins);
	}
	qsort(rate, PASSES, sizeof(rate[0]), cmp_double);
	printf("ins: %zu samples, %u strides, %llu zupts per pass; median of %d passes %.0f "
	       "samples/s (%.1f ns/sample; min %.0f, max %.0f)\n",
	       n, strides, (unsigned long long)stats.zupts, PASSES, rate[PASSES / 2],
	       1e9 / rate[PASSES / 2], rate[0], rate[PASSES - 1]);
	free(s);
	return 0;
}
