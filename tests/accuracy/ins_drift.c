// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where the foot INS's height drift comes from: the shoe-IMU simulator on
 * a level straight run, both feet, with its sensor errors switched on one
 * kind at a time (and all together, and none), each foot through its own
 * INS. For each case: the height drift per km of run (least-squares slope
 * of the stance heights against the distance), per foot and for the mean
 * of the two feet, as an RMS over the seeds, and the accelerometer biases
 * learnt against the sensor's true ones (imu_sim_biases: RMS error per
 * axis, against the SD the filter claims, ins_stats).
 *
 * Usage: ins_drift [--seeds N] [--minutes M] [--speed MPS] [--rate HZ]
 *                  [--impact SCALE] [--range G] [--ins-acc-rw MPS2_RTS]
 *                  [--case NAME]
 * --impact scales the simulated heel-strike transient (0: none), --range
 * sets the accelerometer's full scale, --ins-acc-rw the INS's own
 * accelerometer bias random walk. Diagnostic only: it judges nothing.
 *
 * What it showed (seeds 1-5, 10 min at 3.5 m/s, 400 Hz): without the
 * heel-strike transient, the gyroscope bias leaves 0.04 m/km (the
 * standing start and the updates take it out), the bias walks 0.3, the
 * accelerometer bias 1.9, the scale 2.5 and the misalignment 2.6 per
 * foot; all together 3.6 per foot, 2.3 for the mean of the feet. With the
 * transient an error-free sensor drifts +1.3 m/km on every seed and both
 * feet alike (+0.06 without it, -0.3 at half its size; not the clipping:
 * the same at 32 g), which two feet cannot average out.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nav/ins.h"
#include "sim/imu_sim.h"

#define BUF 1024

enum errs {
	E_ACC_BIAS = 1 << 0,
	E_GYRO_BIAS = 1 << 1,
	E_BIAS_RW = 1 << 2,
	E_SCALE = 1 << 3,
	E_MISALIGN = 1 << 4,
	E_ALL = 31,
};

static const struct {
	const char *name;
	unsigned errs;
} cases[] = {
	{ "none (noise)", 0 },
	{ "acc bias", E_ACC_BIAS },
	{ "gyro bias", E_GYRO_BIAS },
	{ "bias walks", E_BIAS_RW },
	{ "scale", E_SCALE },
	{ "misalign", E_MISALIGN },
	{ "all", E_ALL },
	{ "all - acc bias", E_ALL & ~E_ACC_BIAS },
	{ "all - misalign", E_ALL & ~E_MISALIGN },
};

/* Least-squares slope of y against x, through the sums. */
struct fit {
	double n, sx, sy, sxx, sxy;
};

static void fit_add(struct fit *f, double x, double y)
{
	f->n++;
	f->sx += x;
	f->sy += y;
	f->sxx += x * x;
	f->sxy += x * y;
}

static double fit_slope(const struct fit *f)
{
	double d = f->n * f->sxx - f->sx * f->sx;
	return d > 0 ? (f->n * f->sxy - f->sx * f->sy) / d : NAN;
}

struct outcome {
	double drift_m_per_km[2]; /* per foot */
	double ba_err[2][3], ba_sd[2][3];
};

struct args {
	unsigned seeds;
	double minutes, speed, rate_hz, impact_scale, acc_range_g;
	double ins_acc_rw; /* the INS's accelerometer bias random walk, m/s²/√s; 0: its default */
	const char *only;  /* one case's name, or NULL for all */
};

static void run_case(unsigned errs, uint64_t seed, const struct args *a, struct outcome *o)
{
	double minutes = a->minutes;
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	c.seed = seed;
	c.speed_mps = a->speed;
	c.rate_hz = a->rate_hz;
	c.impact_scale = a->impact_scale;
	c.acc_range_g = a->acc_range_g;
	if (!(errs & E_ACC_BIAS))
		c.acc_bias_mg = 0;
	if (!(errs & E_GYRO_BIAS))
		c.gyro_bias_dps = 0;
	if (!(errs & E_BIAS_RW))
		c.acc_bias_rw_ug_rts = c.gyro_bias_rw_mdps_rts = 0;
	if (!(errs & E_SCALE))
		c.scale_sd = 0;
	if (!(errs & E_MISALIGN))
		c.misalign_sd_rad = 0;
	struct imu_sim *sim = imu_sim_new(&c);
	struct ins_config ic;
	ins_config_default(&ic);
	ic.rate_hz = c.rate_hz;
	if (a->ins_acc_rw > 0)
		ic.acc_bias_rw_mps2_rts = a->ins_acc_rw;
	struct ins *ins[2] = { ins_new(&ic, IMU_FOOT_LEFT), ins_new(&ic, IMU_FOOT_RIGHT) };
	if (!sim || !ins[0] || !ins[1]) {
		fprintf(stderr, "ins_drift: configuration rejected\n");
		exit(1);
	}
	static struct imu_sample s[BUF];
	struct fit fit[2] = { { 0 }, { 0 } };
	double dist[2] = { 0, 0 };
	int64_t end_us = (int64_t)(minutes * 60e6);
	while (imu_sim_time_us(sim) < end_us) {
		size_t n = imu_sim_generate(sim, s, BUF);
		for (size_t i = 0; i < n; i++) {
			int k = s[i].foot == IMU_FOOT_RIGHT;
			struct ins_stride st;
			if (!ins_push(ins[k], &s[i], &st) || !st.valid)
				continue;
			dist[k] += st.length_m;
			fit_add(&fit[k], dist[k], st.pos_m[2]);
		}
		struct imu_sim_stride tr;
		while (imu_sim_pop_truth(sim, &tr))
			;
	}
	for (int k = 0; k < 2; k++) {
		o->drift_m_per_km[k] = 1000 * fit_slope(&fit[k]);
		struct ins_stats st;
		ins_stats(ins[k], &st);
		double ba[3], bg[3];
		imu_sim_biases(sim, k ? IMU_FOOT_RIGHT : IMU_FOOT_LEFT, ba, bg);
		for (int ax = 0; ax < 3; ax++) {
			o->ba_err[k][ax] = st.acc_bias_mps2[ax] - ba[ax];
			o->ba_sd[k][ax] = st.acc_bias_sd_mps2[ax];
		}
		ins_free(ins[k]);
	}
	imu_sim_free(sim);
}

int main(int argc, char **argv)
{
	struct args a = { .seeds = 5,
			  .minutes = 10,
			  .speed = 3.5,
			  .rate_hz = 400,
			  .impact_scale = 1,
			  .acc_range_g = 16 };
	bool ok = argc % 2 == 1;
	for (int i = 1; ok && i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--seeds") == 0)
			a.seeds = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--minutes") == 0)
			a.minutes = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--speed") == 0)
			a.speed = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--rate") == 0)
			a.rate_hz = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--impact") == 0)
			a.impact_scale = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--range") == 0)
			a.acc_range_g = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--ins-acc-rw") == 0)
			a.ins_acc_rw = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--case") == 0)
			a.only = argv[i + 1];
		else
			ok = false;
	}
	unsigned seeds = a.seeds;
	double minutes = a.minutes, speed = a.speed;
	if (!ok || seeds < 1 || seeds > 100 || !(minutes > 0 && minutes <= 240) ||
	    !(speed >= 1 && speed <= 6.5) || !(a.rate_hz >= 100 && a.rate_hz <= 1000) ||
	    !(a.impact_scale >= 0)) {
		fprintf(stderr, "usage: ins_drift [--seeds N] [--minutes M] [--speed MPS] "
				"[--rate HZ] [--impact SCALE] [--case NAME]\n");
		return 64;
	}
	printf("height drift of the foot INS, level straight run at %.1f m/s, %.0f min, %.0f Hz, "
	       "impacts x%.1f, seeds 1-%u (m per km: 1 m/km is 0.1 %% of grade)\n",
	       speed, minutes, a.rate_hz, a.impact_scale, seeds);
	printf("%-15s %9s %9s %9s   %-23s %-23s\n", "errors", "foot rms", "mean rms", "worst",
	       "ba err rms x,y,z mg", "ba claimed sd mg");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		if (a.only && strcmp(a.only, cases[c].name) != 0)
			continue;
		double sf = 0, sm = 0, worst = 0, se[3] = { 0 }, ssd[3] = { 0 };
		for (unsigned seed = 1; seed <= seeds; seed++) {
			struct outcome o;
			run_case(cases[c].errs, seed, &a, &o);
			double mean = 0.5 * (o.drift_m_per_km[0] + o.drift_m_per_km[1]);
			sm += mean * mean;
			for (int k = 0; k < 2; k++) {
				sf += o.drift_m_per_km[k] * o.drift_m_per_km[k];
				worst = fmax(worst, fabs(o.drift_m_per_km[k]));
				for (int ax = 0; ax < 3; ax++) {
					se[ax] += o.ba_err[k][ax] * o.ba_err[k][ax];
					ssd[ax] += o.ba_sd[k][ax] * o.ba_sd[k][ax];
				}
			}
			printf("  seed %u: L %+6.2f R %+6.2f mean %+6.2f m/km\n", seed,
			       o.drift_m_per_km[0], o.drift_m_per_km[1], mean);
		}
		const double mg = 1e3 / 9.80665;
		printf("%-15s %9.2f %9.2f %9.2f   %6.2f %6.2f %6.2f    %6.2f %6.2f %6.2f\n",
		       cases[c].name, sqrt(sf / (2 * seeds)), sqrt(sm / seeds), worst,
		       mg * sqrt(se[0] / (2 * seeds)), mg * sqrt(se[1] / (2 * seeds)),
		       mg * sqrt(se[2] / (2 * seeds)), mg * sqrt(ssd[0] / (2 * seeds)),
		       mg * sqrt(ssd[1] / (2 * seeds)), mg * sqrt(ssd[2] / (2 * seeds)));
		fflush(stdout);
	}
	return 0;
}
