// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes a simulated shoe-IMU run (analysis/sim/imu_sim.h) as the kind of CSV
 * other tools write, with its per-stride truth beside it, for the import
 * tests:
 *   imu_sim_csv OUT.csv TRUTH.csv [--seed N] [--seconds S] [--speed MPS]
 *               [--rate HZ] [--feet left|right|both] [--roll-deg D]
 *               [--acc-range-g G] [--unit g|mps2]
 * Columns: time_s, then per foot acc_x/y/z and gyr_x/y/z (prefixed
 * left_/right_ when both feet are written). Gyro in °/s.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/imu_sim.h"

#define BUF 512

struct args {
	const char *out, *truth;
	struct imu_sim_config cfg;
	double seconds;
	bool in_g;
};

static int parse(int argc, char **argv, struct args *a)
{
	if (argc < 3)
		return -1;
	a->out = argv[1];
	a->truth = argv[2];
	imu_sim_config_default(&a->cfg);
	a->cfg.t0_us = 0;
	a->cfg.packet_loss = 0; /* gaps are made by the tests, where they want them */
	a->seconds = 30;
	for (int i = 3; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (strcmp(k, "--seed") == 0)
			a->cfg.seed = strtoull(v, NULL, 10);
		else if (strcmp(k, "--seconds") == 0)
			a->seconds = atof(v);
		else if (strcmp(k, "--speed") == 0)
			a->cfg.speed_mps = atof(v);
		else if (strcmp(k, "--rate") == 0)
			a->cfg.rate_hz = atof(v);
		else if (strcmp(k, "--feet") == 0)
			a->cfg.feet = strcmp(v, "left") == 0    ? IMU_SIM_LEFT
				      : strcmp(v, "right") == 0 ? IMU_SIM_RIGHT
								: IMU_SIM_LEFT | IMU_SIM_RIGHT;
		else if (strcmp(k, "--roll-deg") == 0)
			a->cfg.mount_rpy_rad[0] = atof(v) * M_PI / 180;
		else if (strcmp(k, "--acc-range-g") == 0)
			a->cfg.acc_range_g = atof(v);
		else if (strcmp(k, "--unit") == 0)
			a->in_g = strcmp(v, "g") == 0;
		else
			return -1;
	}
	return 0;
}

static void header(FILE *f, unsigned feet)
{
	static const char *const axes[] = { "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z" };
	fprintf(f, "time_s");
	for (int side = 0; side < 2; side++) {
		if (!(feet & (1u << side)))
			continue;
		for (int k = 0; k < 6; k++)
			fprintf(f, ",%s%s", feet == 3 ? (side ? "right_" : "left_") : "", axes[k]);
	}
	fprintf(f, "\n");
}

static void write_values(FILE *f, const struct imu_sample *s, bool in_g)
{
	for (int k = 0; k < 3; k++)
		fprintf(f, ",%.6f", s->acc_mps2[k] / (in_g ? 9.80665 : 1));
	for (int k = 0; k < 3; k++)
		fprintf(f, ",%.4f", s->gyro_radps[k] * 180 / M_PI);
}

int main(int argc, char **argv)
{
	struct args a;
	memset(&a, 0, sizeof(a));
	if (parse(argc, argv, &a) < 0) {
		fprintf(stderr, "usage: imu_sim_csv OUT.csv TRUTH.csv [--seed N] [--seconds S] "
				"[--speed MPS] [--rate HZ] [--feet left|right|both] [--roll-deg D] "
				"[--acc-range-g G] [--unit g|mps2]\n");
		return 64;
	}
	struct imu_sim *sim = imu_sim_new(&a.cfg);
	FILE *out = fopen(a.out, "w"), *truth = fopen(a.truth, "w");
	if (!sim || !out || !truth) {
		fprintf(stderr, "imu_sim_csv: cannot start (configuration or output)\n");
		return 1;
	}
	bool both = a.cfg.feet == (IMU_SIM_LEFT | IMU_SIM_RIGHT);
	header(out, a.cfg.feet);
	fprintf(truth, "foot,start_s,end_s,length_m,height_change_m\n");
	static struct imu_sample s[BUF];
	struct imu_sample pending = { 0 };
	bool have_pending = false;
	struct imu_sim_stride t;
	while (imu_sim_time_us(sim) < (int64_t)(a.seconds * 1e6)) {
		size_t n = imu_sim_generate(sim, s, BUF);
		for (size_t i = 0; i < n; i++) {
			/* Both feet are sampled together: one row per instant. */
			if (both && !have_pending) {
				pending = s[i];
				have_pending = true;
				continue;
			}
			const struct imu_sample *first = both ? &pending : &s[i];
			fprintf(out, "%.6f", first->t_us * 1e-6);
			if (both) {
				const struct imu_sample *l =
					pending.foot == IMU_FOOT_LEFT ? &pending : &s[i];
				const struct imu_sample *r = l == &pending ? &s[i] : &pending;
				write_values(out, l, a.in_g);
				write_values(out, r, a.in_g);
				have_pending = false;
			} else {
				write_values(out, &s[i], a.in_g);
			}
			fprintf(out, "\n");
		}
		while (imu_sim_pop_truth(sim, &t))
			fprintf(truth, "%s,%.6f,%.6f,%.4f,%.4f\n",
				t.foot == IMU_FOOT_LEFT ? "left" : "right", t.start_us * 1e-6,
				t.end_us * 1e-6, t.length_m, t.height_change_m);
	}
	imu_sim_free(sim);
	int bad = ferror(out) | ferror(truth);
	bad |= fclose(out) | fclose(truth);
	return bad ? 1 : 0;
}
