// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstride sim: write a simulated run or training block as a capture, and
 * what really happened as an INI file, for testing without a radio. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "cli.h"
#include "csv.h"
#include "decode/imu.h"
#include "decode/rsc.h"
#include "sim/options.h"
#include "sim/sim.h"

#define MAX_SENSORS 8

static void usage(FILE *out)
{
	char line[160];

	fprintf(out,
		"Usage: hamstride sim [--seed N] [--minutes M | --weeks W [--runs-per-week N]]\n"
		"                     [--start 2026-11-02T07:00Z] [--course NAME[,NAME]] [--no-baro]\n"
		"                     [--weather PA_PER_H] [--no-hr] [--convention steps|strides]\n"
		"                     [--pod-error PCT] [--dropout P] [--imu [--imu-last-runs N]]\n"
		"                     [--stride-truth FILE.csv] [--second-truth FILE.csv]\n"
		"                     --output FILE.btsnoop [--truth FILE.ini]\n\n"
		"Writes the notifications a foot pod, a barometer, a heart-rate strap and,\n"
		"with --imu, two shoe IMUs would send during a simulated run (or a block of\n"
		"weeks of runs) as a btsnoop capture; on --course treadmill, a treadmill's\n"
		"FTMS notifications too. The same options give the same file, byte for byte.\n"
		"Without --weeks: one run starting 2026-11-02T07:00Z.\n\n");
	for (unsigned i = 0; i < SIM_OPT_COUNT; i++) {
		sim_option_help_line((enum sim_option_id)i, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	fprintf(out,
		"  --output FILE        the capture to write\n"
		"  --truth FILE         also write each run's truth as an INI file\n"
		"  --stride-truth FILE  with --imu: every true stride of either foot as CSV\n"
		"  --second-truth FILE  each second of each run as it was (distance, elevation,\n"
		"                       grade, speed, cadence, sea-level pressure) as CSV\n"
		"  -h, --help           this help\n");
}

struct sim_args {
	struct sim_option_parser p;
	const char *output, *truth, *stride_truth, *second_truth;
};

enum {
	OPT_OUTPUT = 256,
	OPT_TRUTH,
	OPT_STRIDE_TRUTH,
	OPT_SECOND_TRUTH,
	OPT_SIM_FIRST, /* then one per simulator option, sim/options.h */
};

/* One option; 0, or an exit code. */
static int parse_option(struct sim_args *a, int opt, const char *arg)
{
	char why[256];

	switch (opt) {
	case OPT_OUTPUT:
		a->output = arg;
		return 0;
	case OPT_TRUTH:
		a->truth = arg;
		return 0;
	case OPT_STRIDE_TRUTH:
		a->stride_truth = arg;
		return 0;
	case OPT_SECOND_TRUTH:
		a->second_truth = arg;
		return 0;
	default:
		if (opt >= OPT_SIM_FIRST && opt < OPT_SIM_FIRST + SIM_OPT_COUNT) {
			if (!sim_option_parse(&a->p, (enum sim_option_id)(opt - OPT_SIM_FIRST), arg,
					      why, sizeof(why)))
				return cli_usage_error("sim", "%s", why);
			return 0;
		}
		usage(stderr);
		return EX_USAGE;
	}
}

/* 0 to go on, -1 after --help, or an exit code. */
static int parse_args(struct sim_args *a, int argc, char **argv)
{
	static const struct option own_options[] = {
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "truth", required_argument, NULL, OPT_TRUTH },
		{ "stride-truth", required_argument, NULL, OPT_STRIDE_TRUTH },
		{ "second-truth", required_argument, NULL, OPT_SECOND_TRUTH },
		{ "help", no_argument, NULL, 'h' },
	};
	enum { N_OWN = sizeof(own_options) / sizeof(own_options[0]) };
	struct option options[N_OWN + SIM_OPT_COUNT + 1] = { { 0 } };
	struct sim_options defaults;
	char why[256];
	int opt, rc;

	memcpy(options, own_options, sizeof(own_options));
	sim_option_getopt(options + N_OWN, OPT_SIM_FIRST); /* the last entry stays zero */
	memset(a, 0, sizeof(*a));
	sim_options_default(&defaults);
	sim_option_parser_init(&a->p, &defaults);
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if ((rc = parse_option(a, opt, optarg)))
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("sim", "unexpected argument '%s'", argv[optind]);
	if (!a->output)
		return cli_usage_error("sim", "--output FILE.btsnoop is required");
	if (!sim_option_parser_finish(&a->p, why, sizeof(why)))
		return cli_usage_error("sim", "%s", why);
	if (a->stride_truth && !a->p.o.imu)
		return cli_usage_error("sim", "--stride-truth needs --imu");
	return 0;
}

struct sim_output {
	struct capture_writer *capture;
	FILE *truth;
	const char *truth_path;
	FILE *strides;
	struct csv strides_csv;
	FILE *seconds;
	struct csv seconds_csv;
	uint8_t seen[MAX_SENSORS][NOTIFICATION_ADDR_LEN];
	unsigned n_seen;
	uint64_t notifications;
};

static const char *sensor_name(const struct notification *n)
{
	switch (gatt_uuid_to16(&n->uuid)) {
	case UUID_RSC_MEASUREMENT:
		return "simulated foot pod";
	case UUID_HEART_RATE_MEASUREMENT:
		return "simulated heart-rate strap";
	case UUID_PRESSURE:
	case UUID_TEMPERATURE:
		return "simulated barometer";
	case SIM_FTMS_TREADMILL_DATA_UUID:
		return "simulated treadmill";
	default:
		return n->uuid.len == 16 ? "simulated shoe IMU" : "simulated sensor";
	}
}

/* Names each sensor in the capture the first time it is heard. */
static int name_sensor(struct sim_output *out, const struct notification *n)
{
	for (unsigned i = 0; i < out->n_seen; i++)
		if (memcmp(out->seen[i], n->addr, NOTIFICATION_ADDR_LEN) == 0)
			return 0;
	if (out->n_seen == MAX_SENSORS)
		return 0;
	memcpy(out->seen[out->n_seen++], n->addr, NOTIFICATION_ADDR_LEN);
	return capture_writer_sensor(out->capture, n->addr, n->addr_type, sensor_name(n),
				     n->host_time_us);
}

static int write_notification(void *user, const struct notification *n)
{
	struct sim_output *out = user;
	int rc = name_sensor(out, n);

	if (rc == 0)
		rc = capture_writer_notification(out->capture, n);
	out->notifications++;
	return rc < 0 ? rc : 0;
}

/* distance_steep_down, distance_flat, ...: INI keys from the class names. */
static const char *class_key(int c)
{
	static const char *const keys[] = { "distance_steep_down", "distance_down", "distance_flat",
					    "distance_up", "distance_steep_up" };
	return keys[c - SEG_STEEP_DOWN];
}

static void write_truth_section(FILE *f, const struct sim_run_truth *t)
{
	char when[32], addr[18];

	fprintf(f, "\n[run %u]\n", t->index);
	fprintf(f, "start_utc = %s\n", cli_format_time(t->start_us, when, sizeof(when)));
	fprintf(f, "start_us = %" PRId64 "\nend_us = %" PRId64 "\n", t->start_us, t->end_us);
	fprintf(f, "duration_s = %.3f\n", t->duration_s);
	fprintf(f, "plan = %s\n", t->plan);
	fprintf(f, "course_start_m = %.3f\n", t->course_start_m);
	fprintf(f, "course_distance_m = %.3f\n", t->course_distance_m);
	fprintf(f, "footpod_distance_m = %.1f\n", t->footpod_distance_m);
	fprintf(f, "elevation_gain_m = %.3f\nelevation_loss_m = %.3f\n", t->elevation_gain_m,
		t->elevation_loss_m);
	fprintf(f, "mean_speed_mps = %.4f\n", t->mean_speed_mps);
	fprintf(f, "mean_cadence_spm = %.3f\n", t->mean_cadence_spm);
	fprintf(f, "mean_stride_length_m = %.4f\n", t->mean_stride_length_m);
	if (isnan(t->mean_heart_rate_bpm))
		fprintf(f, "mean_heart_rate_bpm = nan\n");
	else
		fprintf(f, "mean_heart_rate_bpm = %.2f\n", t->mean_heart_rate_bpm);
	fprintf(f, "cadence_convention = %s\n", rsc_convention_name(t->cadence_convention));
	fprintf(f, "footpod_scale_error = %.6f\n", t->footpod_scale_error);
	fprintf(f, "footpod_address = %s\n",
		notification_addr_to_str(t->footpod_addr, addr, sizeof(addr)));
	fprintf(f, "notifications = %" PRIu64 "\ndropped = %" PRIu64 "\n", t->notifications,
		t->dropped);
	fprintf(f, "course = %s\n", sim_course_name(t->course));
	for (int c = SEG_STEEP_DOWN; c <= SEG_STEEP_UP; c++)
		fprintf(f, "%s_m = %.1f\n", class_key(c), t->class_distance_m[c]);
	if (t->treadmill)
		fprintf(f, "treadmill_address = %s\n",
			notification_addr_to_str(t->treadmill_addr, addr, sizeof(addr)));
	if (!t->imu)
		return;
	fprintf(f, "imu_left_address = %s\n",
		notification_addr_to_str(t->imu_addr[0], addr, sizeof(addr)));
	fprintf(f, "imu_right_address = %s\n",
		notification_addr_to_str(t->imu_addr[1], addr, sizeof(addr)));
	fprintf(f, "imu_strides = %u\n", t->imu_strides);
	fprintf(f, "imu_distance_m = %.3f\n", t->imu_distance_m);
}

static const char *const stride_columns[] = {
	"run", "foot", "start_us", "end_us", "length_m", "height_change_m", "speed_mps", "grade",
};

static int write_stride(void *user, const struct sim_stride_truth *t)
{
	struct sim_output *out = user;
	struct csv *c = &out->strides_csv;

	if (!out->strides)
		return 0;
	csv_integer(c, t->run_index);
	csv_text(c, t->foot == IMU_FOOT_LEFT    ? "left"
		    : t->foot == IMU_FOOT_RIGHT ? "right"
						: "unknown");
	csv_integer(c, t->start_us);
	csv_integer(c, t->end_us);
	csv_number(c, t->length_m, 4);
	csv_number(c, t->height_change_m, 4);
	csv_number(c, t->speed_mps, 4);
	csv_number(c, t->grade, 4);
	csv_end_row(c);
	return ferror(out->strides) ? -EIO : 0;
}

static const char *const second_columns[] = {
	"run",       "t_s",       "utc_us",      "distance_m",   "elevation_m",
	"grade_pct", "speed_mps", "cadence_spm", "sea_level_pa", "running",
};

static int write_second(void *user, const struct sim_second_truth *t)
{
	struct sim_output *out = user;
	struct csv *c = &out->seconds_csv;

	if (!out->seconds)
		return 0;
	csv_integer(c, t->run_index);
	csv_number(c, t->t_s, 0);
	csv_integer(c, t->utc_us);
	csv_number(c, t->distance_m, 3);
	csv_number(c, t->elevation_m, 3);
	csv_number(c, t->grade_pct, 3);
	csv_number(c, t->speed_mps, 4);
	csv_number(c, t->cadence_spm, 2);
	csv_number(c, t->sea_level_pa, 1);
	csv_integer(c, t->running);
	csv_end_row(c);
	return ferror(out->seconds) ? -EIO : 0;
}

static int write_truth(void *user, const struct sim_run_truth *t)
{
	struct sim_output *out = user;
	char when[32], duration[16], pace[16];

	printf("run %u  %s  %-9s %s  %6.2f km  %s/km  +%.0f/-%.0f m  pod %+.1f%% %s  "
	       "%" PRIu64 " notifications, %" PRIu64 " lost\n",
	       t->index, cli_format_time(t->start_us, when, sizeof(when)), t->plan,
	       cli_format_duration(t->duration_s, duration, sizeof(duration)),
	       t->course_distance_m / 1000, cli_format_pace(t->mean_speed_mps, pace, sizeof(pace)),
	       t->elevation_gain_m, t->elevation_loss_m, 100 * t->footpod_scale_error,
	       rsc_convention_name(t->cadence_convention), t->notifications, t->dropped);
	if (t->imu)
		printf("      shoe IMUs: %u strides, %.2f km\n", t->imu_strides,
		       t->imu_distance_m / 1000);
	if (out->truth) {
		write_truth_section(out->truth, t);
		if (ferror(out->truth))
			return -EIO;
	}
	return 0;
}

static void write_truth_header(FILE *f, const struct sim_args *a)
{
	char when[32];

	fprintf(f, "# What really happened in the simulated runs of %s.\n", a->output);
	fprintf(f, "# hamstride sim --seed %" PRIu64 ", first run %s\n", a->p.o.seed,
		cli_format_time(a->p.o.start_us, when, sizeof(when)));
}

/* The truth files; an exit code if one cannot be created. */
static int open_truth_files(const struct sim_args *a, struct sim_output *out)
{
	if (a->truth) {
		out->truth = cli_create_output(a->truth);
		if (!out->truth) {
			cli_error("cannot write the truth file %s: %s", a->truth, strerror(errno));
			return EX_CANTCREAT;
		}
		out->truth_path = a->truth;
		write_truth_header(out->truth, a);
	}
	if (a->stride_truth) {
		out->strides = cli_create_output(a->stride_truth);
		if (!out->strides) {
			cli_error("cannot write the stride truth file %s: %s", a->stride_truth,
				  strerror(errno));
			return EX_CANTCREAT;
		}
		csv_init(&out->strides_csv, out->strides);
		csv_header(&out->strides_csv, stride_columns,
			   (int)(sizeof(stride_columns) / sizeof(stride_columns[0])));
	}
	if (a->second_truth) {
		out->seconds = cli_create_output(a->second_truth);
		if (!out->seconds) {
			cli_error("cannot write the second truth file %s: %s", a->second_truth,
				  strerror(errno));
			return EX_CANTCREAT;
		}
		csv_init(&out->seconds_csv, out->seconds);
		csv_header(&out->seconds_csv, second_columns,
			   (int)(sizeof(second_columns) / sizeof(second_columns[0])));
	}
	return 0;
}

/* Closes the truth files; false if one could not be written. */
static bool close_truth_files(struct sim_output *out, const struct sim_args *a)
{
	bool ok = true;
	if (out->truth && fclose(out->truth) != 0) {
		cli_error("could not write the truth file %s: %s", a->truth, strerror(errno));
		ok = false;
	}
	if (out->strides && fclose(out->strides) != 0) {
		cli_error("could not write the stride truth file %s: %s", a->stride_truth,
			  strerror(errno));
		ok = false;
	}
	if (out->seconds && fclose(out->seconds) != 0) {
		cli_error("could not write the second truth file %s: %s", a->second_truth,
			  strerror(errno));
		ok = false;
	}
	out->truth = out->strides = out->seconds = NULL;
	return ok;
}

static int open_outputs(const struct sim_args *a, struct sim_output *out)
{
	char why[512];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = open_truth_files(a, out))) {
		close_truth_files(out, a);
		return rc;
	}
	if (capture_writer_open(a->output, &out->capture, why, sizeof(why)) < 0) {
		cli_error("%s", why);
		close_truth_files(out, a);
		return EX_CANTCREAT;
	}
	return 0;
}

/* Closes every file; an exit code if any could not be written. */
static int close_outputs(struct sim_output *out, const struct sim_args *a, int sim_rc)
{
	int rc = sim_rc, close_rc = capture_writer_close(out->capture);

	if (rc == 0 && close_rc < 0)
		rc = close_rc;
	if (rc < 0)
		cli_error("could not write %s: %s", a->output, strerror(-rc));
	if (!close_truth_files(out, a) && rc == 0)
		return EX_IOERR;
	return rc < 0 ? EX_IOERR : 0;
}

int cmd_sim(const struct cli_globals *g, int argc, char **argv)
{
	struct sim_args a;
	struct sim_output out;
	int rc;

	(void)g; /* no database: a capture is replayed into one later */
	rc = parse_args(&a, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = open_outputs(&a, &out)))
		return rc;
	const struct sim_callbacks cb = { write_notification, write_truth, write_stride,
					  write_second, &out };
	rc = sim_run(&a.p.o, &cb);
	if (rc == -EINVAL && out.notifications == 0) { /* options were checked above: a bug */
		cli_error("the simulator refused its options");
		capture_writer_close(out.capture);
		close_truth_files(&out, &a);
		return 1;
	}
	return close_outputs(&out, &a, rc);
}
