// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hamstride import imu: a raw 6-axis IMU recording from another tool or a
 * public data set, through the foot INS, into one run and its strides.
 *
 * Two passes over each file, both streaming (analysis/import/imu_csv.h): the
 * first checks every row and decides units, rate, mounting and
 * saturation, so a bad file is refused before anything is written; the
 * second feeds the estimator. The run and its strides are written in one
 * transaction at the end: a failed import leaves the database as it was.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_util.h"
#include "import/imu_csv.h"
#include "nav/strides.h"
#include "util/xalloc.h"

#define CMD "import"
#define MAX_SLOTS IMU_CSV_MAX_FEET

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride import imu FILE [OPTIONS]\n\n"
		"Imports a raw 6-axis shoe-IMU recording (CSV or other delimited text) as a run:\n"
		"the zero-velocity-aided foot INS finds every stride, and the run's distance,\n"
		"speed, stride length, cadence and climb come from them. Columns, units and\n"
		"rate are found from the header and the data when not given; what was\n"
		"assumed is printed.\n\n"
		"  --time COL           time column, by header name or 1-based number\n"
		"                       (default: a column named time/timestamp, else the first)\n"
		"  --time-unit UNIT     s, ms, us or samples (a counter; needs --rate)\n"
		"                       (default: from the spacing of the samples)\n"
		"  --acc X,Y,Z          accelerometer columns (names or numbers)\n"
		"  --gyro X,Y,Z         gyroscope columns (default: found by name, e.g.\n"
		"                       acc_x/accX/ax, gyr_x/gyroX/gx; columns 2-7 without header)\n"
		"  --acc-unit UNIT      g or mps2 (default: from gravity's magnitude)\n"
		"  --gyro-unit UNIT     dps or radps (default: from the peak rate)\n"
		"  --acc-range G        accelerometer full scale, to flag clipped samples\n"
		"  --gyro-range DPS     gyroscope full scale (default: found in the data)\n"
		"  --delimiter C        , ; tab space or | (default: from the first line)\n"
		"  --skip-rows N        lines to skip before the header\n"
		"  --foot left|right    the foot (of a file with both feet: the one to import)\n"
		"  --right FILE2        the right foot's recording; FILE is then the left's\n"
		"  --rate HZ            the sample rate (default: from the time column)\n"
		"  --start TIME         UTC start, 2026-11-21T07:30:15Z (default: the time column\n"
		"                       if it holds wall-clock time, else the file's modification\n"
		"                       time minus the recording's length)\n"
		"  -h, --help           this help\n\n"
		"Exit codes: 0 stored, 64 bad arguments, 65 bad or unusable data (nothing\n"
		"stored), 66 no such file, 1 the database could not be written.\n");
}

struct import_args {
	const char *path[2]; /* FILE, then --right FILE2 */
	struct imu_csv_layout layout;
	struct imu_csv_options opt;
	bool have_start;
	int64_t start_us;
	char acc_buf[256], gyro_buf[256];
};

/* Splits "X,Y,Z" into three column specs. */
static bool split3(const char *text, char *buf, size_t size, const char *out[3])
{
	if (snprintf(buf, size, "%s", text) >= (int)size)
		return false;
	char *p = buf;
	for (int i = 0; i < 3; i++) {
		char *comma = strchr(p, ',');
		if ((i < 2) != (comma != NULL))
			return false;
		if (comma)
			*comma = 0;
		if (!*p)
			return false;
		out[i] = p;
		p = comma ? comma + 1 : p;
	}
	return true;
}

static bool parse_delimiter(const char *text, char *out)
{
	if (strcmp(text, "tab") == 0 || strcmp(text, "\\t") == 0)
		*out = '\t';
	else if (strcmp(text, "space") == 0 || strcmp(text, " ") == 0)
		*out = ' ';
	else if (strlen(text) == 1 && strchr(",;|\t", text[0]))
		*out = text[0];
	else
		return false;
	return true;
}

static int parse_enum(const char *option, const char *text, const char *const *names, int n,
		      int *out)
{
	for (int i = 0; i < n; i++)
		if (strcmp(text, names[i]) == 0) {
			*out = i + 1;
			return 0;
		}
	char list[128] = "";
	for (int i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	return cli_usage_error(CMD, "%s wants one of %s, not '%s'", option, list, text);
}

static int positive_option(const char *option, const char *text, double max, double *out)
{
	if (cli_parse_double(text, out) && *out > 0 && *out <= max)
		return 0;
	return cli_usage_error(CMD, "%s wants a number above 0 and up to %g, not '%s'", option, max,
			       text);
}

static int parse_option(int opt, struct import_args *a)
{
	static const char *const time_units[] = { "s", "ms", "us", "samples" };
	static const char *const acc_units[] = { "g", "mps2" };
	static const char *const gyro_units[] = { "dps", "radps" };
	static const char *const feet[] = { "left", "right" };
	int v = 0, rc = 0;
	int64_t n;
	switch (opt) {
	case 't':
		a->layout.time_col = optarg;
		break;
	case 'T':
		rc = parse_enum("--time-unit", optarg, time_units, 4, &v);
		a->opt.time_unit = (enum imu_csv_time_unit)v;
		break;
	case 'a':
		if (!split3(optarg, a->acc_buf, sizeof(a->acc_buf), a->layout.acc_cols))
			return cli_usage_error(CMD, "--acc wants three columns X,Y,Z, not '%s'",
					       optarg);
		break;
	case 'g':
		if (!split3(optarg, a->gyro_buf, sizeof(a->gyro_buf), a->layout.gyro_cols))
			return cli_usage_error(CMD, "--gyro wants three columns X,Y,Z, not '%s'",
					       optarg);
		break;
	case 'A':
		rc = parse_enum("--acc-unit", optarg, acc_units, 2, &v);
		a->opt.acc_unit = (enum imu_csv_acc_unit)v;
		break;
	case 'G':
		rc = parse_enum("--gyro-unit", optarg, gyro_units, 2, &v);
		a->opt.gyro_unit = (enum imu_csv_gyro_unit)v;
		break;
	case 'R':
		return positive_option("--acc-range", optarg, 1000, &a->opt.acc_range_g);
	case 'Y':
		return positive_option("--gyro-range", optarg, 100000, &a->opt.gyro_range_dps);
	case 'r':
		return positive_option("--rate", optarg, 100000, &a->opt.rate_hz);
	case 'd':
		if (!parse_delimiter(optarg, &a->layout.delimiter))
			return cli_usage_error(
				CMD, "--delimiter wants , ; | tab or space, not '%s'", optarg);
		break;
	case 's':
		if (!cli_parse_int64(optarg, &n) || n > 1000000)
			return cli_usage_error(CMD, "--skip-rows wants a number of lines, not '%s'",
					       optarg);
		a->layout.skip_rows = (unsigned)n;
		break;
	case 'f':
		rc = parse_enum("--foot", optarg, feet, 2, &v);
		a->layout.foot = (uint8_t)v; /* IMU_FOOT_LEFT 1, IMU_FOOT_RIGHT 2 */
		break;
	case '2':
		a->path[1] = optarg;
		break;
	case 'S':
		if ((rc = cli_time_option(CMD, "--start", optarg, &a->start_us)) == 0)
			a->have_start = true;
		break;
	}
	return rc;
}

/* Returns 0 to go on, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, struct import_args *a)
{
	static const struct option options[] = {
		{ "time", required_argument, NULL, 't' },
		{ "time-unit", required_argument, NULL, 'T' },
		{ "acc", required_argument, NULL, 'a' },
		{ "gyro", required_argument, NULL, 'g' },
		{ "acc-unit", required_argument, NULL, 'A' },
		{ "gyro-unit", required_argument, NULL, 'G' },
		{ "acc-range", required_argument, NULL, 'R' },
		{ "gyro-range", required_argument, NULL, 'Y' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "skip-rows", required_argument, NULL, 's' },
		{ "foot", required_argument, NULL, 'f' },
		{ "right", required_argument, NULL, '2' },
		{ "rate", required_argument, NULL, 'r' },
		{ "start", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt, rc;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return cli_bad_option(CMD, opt, argv);
		if ((rc = parse_option(opt, a)))
			return rc;
	}
	if (optind >= argc || strcmp(argv[optind], "imu") != 0)
		return cli_usage_error(CMD, "expected 'imu FILE'%s%s%s",
				       optind < argc ? ", not '" : "",
				       optind < argc ? argv[optind] : "", optind < argc ? "'" : "");
	if (optind + 2 != argc)
		return cli_usage_error(CMD, optind + 1 == argc ? "expected the recording to import"
							       : "one recording at a time (a right "
								 "foot's file goes with --right)");
	a->path[0] = argv[optind + 1];
	if (a->path[1]) {
		if (a->layout.foot == IMU_FOOT_RIGHT)
			return cli_usage_error(CMD, "with --right FILE2, FILE is the left foot's");
		a->layout.foot = IMU_FOOT_LEFT;
	}
	return 0;
}

/* ---- reading ---- */

struct source {
	const char *path;
	FILE *f;
	struct imu_csv *csv;
	char *line;
	size_t cap;
	struct imu_csv_row row; /* the next row, when pending */
	bool pending;
	struct imu_csv_converter conv;
	unsigned first_slot;
	uint64_t gaps;
	double gap_s;
};

static int source_open(struct source *src, const char *path, const struct imu_csv_layout *layout)
{
	char why[256];
	src->path = path;
	src->f = fopen(path, "r");
	if (!src->f) {
		cli_error("cannot open %s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	src->csv = imu_csv_new(layout, why, sizeof(why));
	if (!src->csv)
		return cli_usage_error(CMD, "%s", why);
	return 0;
}

static void source_close(struct source *src)
{
	if (src->f)
		fclose(src->f);
	imu_csv_free(src->csv);
	free(src->line);
	src->f = NULL;
	src->csv = NULL;
	src->line = NULL;
}

/* The next data row into src->row; 0 at the end (pending false), or an
 * exit code. */
static int source_next(struct source *src)
{
	src->pending = false;
	while (getline(&src->line, &src->cap, src->f) >= 0) {
		enum imu_csv_status st = imu_csv_feed(src->csv, src->line, &src->row);
		if (st == IMU_CSV_ROW) {
			src->pending = true;
			return 0;
		}
		if (st == IMU_CSV_ERROR) {
			cli_error("%s:%s", src->path, imu_csv_error(src->csv));
			return EX_DATAERR;
		}
	}
	if (ferror(src->f)) {
		cli_error("cannot read %s: %s", src->path, strerror(errno));
		return EX_NOINPUT;
	}
	if (imu_csv_finish(src->csv) == IMU_CSV_ERROR) {
		cli_error("%s:%s", src->path, imu_csv_error(src->csv));
		return EX_DATAERR;
	}
	return 0;
}

/* Pass 1 over one file. */
static int survey_file(struct source *src, struct imu_csv_survey *survey)
{
	int rc;
	imu_csv_survey_init(survey);
	while ((rc = source_next(src)) == 0 && src->pending)
		imu_csv_survey_add(survey, &src->row);
	if (rc == 0)
		imu_csv_survey_names(survey, src->csv);
	return rc;
}

/* ---- strides ---- */

/* What each foot's strides add up to, for the run and the report. */
struct foot_state {
	uint8_t foot;
	unsigned strides, clipped_strides, gap_strides, restart_strides, split_strides;
	double length_m, duration_s, gain_m, loss_m;
};

struct importer {
	unsigned slots;
	struct foot_state feet[MAX_SLOTS];
	struct strides *pipeline; /* side i is slot i */
	struct store_stride *strides;
	size_t n_strides, cap_strides;
};

static const char *foot_name(uint8_t foot)
{
	return foot == IMU_FOOT_LEFT ? "left" : foot == IMU_FOOT_RIGHT ? "right" : "unknown";
}

static void add_flag(char *flags, size_t size, const char *flag)
{
	size_t len = strlen(flags);
	snprintf(flags + len, size - len, "%s%s", len ? "," : "", flag);
}

static void keep_stride(struct importer *im, int slot, const struct ins_stride *s)
{
	struct foot_state *fs = &im->feet[slot];
	struct store_stride x = {
		.start_us = s->start_us,
		.end_us = s->end_us,
		.length_m = s->length_m,
		.duration_s = s->duration_us * 1e-6,
		.speed_mps = s->speed_mps,
		.height_change_m = s->height_change_m,
		.stance_s = s->stance_us * 1e-6,
		.clearance_m = isfinite(s->clearance_m) ? s->clearance_m : NAN,
	};
	snprintf(x.foot, sizeof(x.foot), "%s", foot_name(fs->foot));
	if (s->gap) {
		add_flag(x.flags, sizeof(x.flags), "gap");
		fs->gap_strides++;
	}
	if (!s->valid) {
		add_flag(x.flags, sizeof(x.flags), "restart");
		fs->restart_strides++;
	}
	if (s->clipped) {
		add_flag(x.flags, sizeof(x.flags), "clipped");
		fs->clipped_strides++;
	}
	if (s->split) {
		add_flag(x.flags, sizeof(x.flags), "split");
		fs->split_strides++;
	}
	fs->strides++;
	fs->length_m += s->length_m;
	fs->duration_s += x.duration_s;
	if (s->height_change_m > 0)
		fs->gain_m += s->height_change_m;
	else
		fs->loss_m -= s->height_change_m;
	if (im->n_strides == im->cap_strides) {
		im->cap_strides = im->cap_strides ? 2 * im->cap_strides : 256;
		im->strides = xreallocarray(im->strides, im->cap_strides, sizeof(*im->strides));
	}
	im->strides[im->n_strides++] = x;
}

static int slot_of_foot(const struct importer *im, uint8_t foot)
{
	for (unsigned i = 0; i < im->slots; i++)
		if (im->feet[i].foot == foot)
			return (int)i;
	return 0;
}

/* Keeps the strides the pipeline has ready, in end-time order. */
static void drain(struct importer *im)
{
	struct ins_stride s;
	while (strides_pop(im->pipeline, &s))
		keep_stride(im, slot_of_foot(im, s.foot), &s);
}

/* ---- pass 2 ---- */

static void feed_row(struct importer *im, struct source *src)
{
	struct imu_sample samples[IMU_CSV_MAX_FEET];
	struct imu_csv_gap gap;
	bool had_gap;
	unsigned n = imu_csv_convert(&src->conv, src->csv, &src->row, samples, &had_gap, &gap);
	if (had_gap) {
		src->gaps++;
		src->gap_s += (gap.to_us - gap.from_us) * 1e-6;
	}
	for (unsigned i = 0; i < n; i++) {
		samples[i].foot = im->feet[src->first_slot + i].foot;
		strides_push(im->pipeline, src->first_slot + i, &samples[i]);
		drain(im);
	}
}

/* Both files' rows in time order. */
static int run_estimator(struct importer *im, struct source *src, unsigned nsrc)
{
	int rc;
	for (unsigned i = 0; i < nsrc; i++)
		if ((rc = source_next(&src[i])))
			return rc;
	for (;;) {
		int pick = -1;
		for (unsigned i = 0; i < nsrc; i++)
			if (src[i].pending && (pick < 0 || src[i].row.t < src[pick].row.t))
				pick = (int)i;
		if (pick < 0)
			break;
		feed_row(im, &src[pick]);
		if ((rc = source_next(&src[pick])))
			return rc;
	}
	/* the strides ending in each foot's final stance */
	strides_finish(im->pipeline);
	drain(im);
	return 0;
}

/* ---- the run ---- */

static void summarise(const struct importer *im, const struct imu_csv_resolved *res,
		      int64_t start_us, struct store_run *run)
{
	memset(run, 0, sizeof(*run));
	run->start_us = start_us;
	run->end_us = start_us + llround(res->duration_s * 1e6);
	run->duration_s = res->duration_s;
	double dist = 0, gain = 0, loss = 0, cadence = 0, length = 0;
	unsigned strides = 0, with_strides = 0;
	for (unsigned i = 0; i < im->slots; i++) {
		const struct foot_state *fs = &im->feet[i];
		if (!fs->strides)
			continue;
		with_strides++;
		dist += fs->length_m;
		gain += fs->gain_m;
		loss += fs->loss_m;
		cadence += 120.0 * fs->strides / fs->duration_s;
		length += fs->length_m;
		strides += fs->strides;
	}
	/* Each foot's strides cover the whole way: the run is their mean. */
	double k = with_strides ? 1.0 / with_strides : NAN;
	run->distance_m = dist * k;
	run->elevation_gain_m = gain * k;
	run->elevation_loss_m = loss * k;
	run->cadence_spm = cadence * k;
	run->stride_length_m = strides ? length / strides : NAN;
	run->speed_mps = run->duration_s > 0 ? run->distance_m / run->duration_s : NAN;
	run->heart_rate_bpm = NAN;
	run->heart_rate_max_bpm = NAN;
	snprintf(run->end_reason, sizeof(run->end_reason), "end of file");
}

/* The same recording imported before gives the same run: same start, end
 * and distance (issue 17.7). True, with a message, if it is stored. */
static bool already_stored(struct store *s, const struct store_run *run, const char *paths)
{
	int64_t same;

	if (store_find_same_run(s, run, &same) < 0)
		return false;
	printf("%s: already stored as run %lld (same start, end and distance); not imported "
	       "again\n",
	       paths, (long long)same);
	return true;
}

static int store_import(const struct cli_globals *g, const struct importer *im,
			struct store_run *run, const char *source, uint64_t gaps, double gap_s,
			bool *duplicate)
{
	struct store *s;
	int rc = cli_open_store(g, STORE_READ_WRITE, &s);
	if (rc)
		return rc;
	run->gaps = (int64_t)gaps;
	run->gap_s = gap_s;
	snprintf(run->source, sizeof(run->source), "%s", source);
	run->id = 0;
	*duplicate = already_stored(s, run, source + strlen("import "));
	if (*duplicate) {
		store_close(s);
		return 0;
	}
	int err = store_run_begin(s, run->start_us, source, &run->id);
	for (size_t i = 0; err == 0 && i < im->n_strides; i++)
		err = store_stride(s, run->id, &im->strides[i]);
	if (err == 0)
		err = store_run_end(s, run);
	if (err == 0)
		err = store_flush(s);
	if (err < 0) {
		cli_error("%s; nothing was imported", store_error(s));
		store_discard(s); /* a constraint error leaves the batch open */
		rc = cli_write_exit(s);
	}
	store_close(s);
	return rc;
}

/* ---- reporting ---- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* "left_sensor acc_x/y/z" for three names that differ in the middle only. */
static const char *three_names(const struct imu_csv *c, unsigned foot, int first, char *buf,
			       size_t size)
{
	const char *n[3] = { imu_csv_column_name(c, foot, first),
			     imu_csv_column_name(c, foot, first + 1),
			     imu_csv_column_name(c, foot, first + 2) };
	size_t pre = 0, suf = 0, len0 = strlen(n[0]);
	while (n[0][pre] && n[0][pre] == n[1][pre] && n[0][pre] == n[2][pre])
		pre++;
	size_t l1 = strlen(n[1]), l2 = strlen(n[2]);
	while (suf < len0 - pre && suf < l1 - pre && suf < l2 - pre &&
	       n[0][len0 - 1 - suf] == n[1][l1 - 1 - suf] &&
	       n[0][len0 - 1 - suf] == n[2][l2 - 1 - suf])
		suf++;
	snprintf(buf, size, "%.*s%.*s/%.*s/%.*s%s", (int)pre, n[0], (int)(len0 - pre - suf),
		 n[0] + pre, (int)(l1 - pre - suf), n[1] + pre, (int)(l2 - pre - suf), n[2] + pre,
		 n[0] + len0 - suf);
	return buf;
}

/* How a unit was decided, for the report. */
static const char *unit_source(bool detected, bool named)
{
	return detected ? " (detected)" : named ? " (from the name, checked)" : "";
}

static void print_columns(const struct source *src, unsigned nsrc, const struct importer *im,
			  const struct imu_csv_resolved *res)
{
	const struct imu_csv *csv = src[0].csv;
	printf("  time      %s in %s%s, %.1f Hz (%s), %.1f s\n", imu_csv_column_name(csv, 0, -1),
	       imu_csv_time_unit_name(res->time_unit),
	       unit_source(res->time_unit_detected, res->time_unit_named), res->rate_hz,
	       res->rate_estimated ? "from the time column" : "given", res->duration_s);
	for (unsigned i = 0; i < nsrc; i++)
		for (unsigned f = 0; f < imu_csv_feet(src[i].csv); f++) {
			unsigned slot = src[i].first_slot + f;
			char acc[160], gyro[160];
			printf("  %-9s acc %s in %s%s, reads %.2f m/s² at rest\n",
			       foot_name(im->feet[slot].foot),
			       three_names(src[i].csv, f, 0, acc, sizeof(acc)),
			       imu_csv_acc_unit_name(res->acc_unit),
			       unit_source(res->acc_unit_detected, res->acc_unit_named),
			       res->acc_gravity_mps2[slot]);
			printf("  %-9s gyro %s in %s%s, peak %.0f °/s\n", "",
			       three_names(src[i].csv, f, 3, gyro, sizeof(gyro)),
			       imu_csv_gyro_unit_name(res->gyro_unit),
			       unit_source(res->gyro_unit_detected, res->gyro_unit_named),
			       res->gyro_peak_radps[slot] * 180 / M_PI);
			if (res->gyro_unit_detected && i == 0 && f == 0)
				printf("  %-9s      (the unit: %s)\n", "", res->gyro_evidence);
		}
}

static void print_mounting(const struct importer *im, const struct imu_csv_resolved *res)
{
	for (unsigned i = 0; i < im->slots; i++) {
		const char *what = res->mounting[i] == IMU_CSV_MOUNT_Z_DOWN
					   ? "upside down (or a z-down sensor frame)"
				   : res->mounting[i] == IMU_CSV_MOUNT_SIDEWAYS ? "on its side"
										: "z axis up";
		printf("  mounting  %s: gravity along %s, %s%s\n", foot_name(im->feet[i].foot),
		       res->mount_axis[i], what,
		       res->mounting[i] == IMU_CSV_MOUNT_Z_UP
			       ? ""
			       : "; detected and handled (the estimator levels itself from "
				 "gravity at every stance)");
	}
}

static void print_clipping(const struct importer *im, const struct imu_csv_resolved *res)
{
	static const char *const ch_names[6] = { "acc x",  "acc y",  "acc z",
						 "gyro x", "gyro y", "gyro z" };
	for (unsigned i = 0; i < im->slots; i++) {
		const struct foot_state *fs = &im->feet[i];
		char levels[256] = "";
		for (int ch = 0; ch < 6; ch++)
			if (isfinite(res->clip_level[i][ch]) && res->clip_detected[i][ch])
				snprintf(levels + strlen(levels), sizeof(levels) - strlen(levels),
					 "%s%s at %.1f %s", levels[0] ? ", " : "", ch_names[ch],
					 ch < 3 ? res->clip_level[i][ch]
						: res->clip_level[i][ch] * 180 / M_PI,
					 ch < 3 ? "m/s²" : "°/s");
		struct strides_foot_stats st;
		strides_foot_stats(im->pipeline->foot[i], &st);
		if (st.clipped_samples == 0 && !levels[0])
			continue;
		printf("  clipping  %s: %llu samples saturated%s%s%s; %u strides flagged \"clipped\"\n",
		       foot_name(fs->foot), (unsigned long long)st.clipped_samples,
		       levels[0] ? " (" : "", levels, levels[0] ? ")" : "", fs->clipped_strides);
		if (levels[0])
			printf("            (saturation found in the data: readings that repeat or "
			       "crowd at their largest)\n");
	}
}

static void print_report(const struct importer *im, const struct store_run *run,
			 const struct source *src, unsigned nsrc,
			 const struct imu_csv_resolved *res, const char *start_why)
{
	char start[32], dur[16];
	printf("run %lld: %s, %s, %zu strides, %.1f m, %.2f m/s, stride %.2f m, cadence %.0f "
	       "steps/min, +%.1f/-%.1f m\n",
	       (long long)run->id, cli_format_time(run->start_us, start, sizeof(start)),
	       cli_format_duration(run->duration_s, dur, sizeof(dur)), im->n_strides,
	       run->distance_m, run->speed_mps, run->stride_length_m, run->cadence_spm,
	       run->elevation_gain_m, run->elevation_loss_m);
	printf("  start     %s\n", start_why);
	print_columns(src, nsrc, im, res);
	print_mounting(im, res);
	print_clipping(im, res);
	for (unsigned i = 0; i < im->slots; i++) {
		const struct foot_state *fs = &im->feet[i];
		printf("  strides   %s: %u, mean %.2f m, %u flagged \"gap\", %u \"restart\"",
		       foot_name(fs->foot), fs->strides,
		       fs->strides ? fs->length_m / fs->strides : NAN, fs->gap_strides,
		       fs->restart_strides);
		if (fs->split_strides)
			printf(", %u \"split\" (halves of a stride with its middle stance missed)",
			       fs->split_strides);
		printf("\n");
	}
	if (run->gaps)
		printf("  gaps      %lld in time, %.2f s in all: recorded with the run, not bridged\n",
		       (long long)run->gaps, run->gap_s);
}

/* ---- the command ---- */

static int choose_start(const struct import_args *a, const struct imu_csv_resolved *res,
			int64_t *start_us, char *why, size_t len)
{
	char t[32];
	if (a->have_start) {
		*start_us = a->start_us;
		snprintf(why, len, "%s (given)", cli_format_time(*start_us, t, sizeof(t)));
		return 0;
	}
	double epoch = imu_csv_epoch_s(res);
	if (isfinite(epoch)) {
		*start_us = llround(epoch * 1e6);
		snprintf(why, len, "%s (the time column holds wall-clock time)",
			 cli_format_time(*start_us, t, sizeof(t)));
		return 0;
	}
	struct stat st;
	if (stat(a->path[0], &st) < 0) {
		cli_error("cannot stat %s: %s", a->path[0], strerror(errno));
		return EX_NOINPUT;
	}
	/* A recorder writes the file as it records: its last change is the
	 * end. A copied file keeps no such clue, hence the hint. */
	*start_us = (int64_t)st.st_mtime * 1000000 - llround(res->duration_s * 1e6);
	snprintf(why, len, "%s (the file's modification time minus its %.1f s; --start sets it)",
		 cli_format_time(*start_us, t, sizeof(t)), res->duration_s);
	return 0;
}

static void importer_free(struct importer *im)
{
	strides_free(im->pipeline);
	free(im->strides);
	free(im);
}

static int prepare(const struct import_args *a, struct source *src, unsigned nsrc,
		   struct imu_csv_resolved *res)
{
	struct imu_csv_survey survey, other;
	char why[IMU_CSV_ERROR_LEN];
	int rc;
	for (unsigned i = 0; i < nsrc; i++) {
		struct imu_csv_layout layout = a->layout;
		if (i == 1)
			layout.foot = IMU_FOOT_RIGHT;
		if ((rc = source_open(&src[i], a->path[i], &layout)))
			return rc;
		if ((rc = survey_file(&src[i], i ? &other : &survey)))
			return rc;
		if (i == 1 && imu_csv_feet(src[0].csv) + imu_csv_feet(src[1].csv) > 2) {
			cli_error(
				"%s holds both feet already; --right takes a second one-foot file",
				src[0].path);
			return EX_USAGE;
		}
		if (i == 1)
			imu_csv_survey_merge(&survey, &other);
	}
	if (!imu_csv_resolve(&survey, &a->opt, res, why, sizeof(why))) {
		cli_error("%s%s%s: %s; nothing stored", a->path[0], nsrc > 1 ? " + " : "",
			  nsrc > 1 ? a->path[1] : "", why);
		return EX_DATAERR;
	}
	return 0;
}

static struct importer *importer_new(const struct source *src, unsigned nsrc,
				     const struct imu_csv_resolved *res)
{
	struct importer *im = xcalloc(1, sizeof(*im));
	uint8_t feet[MAX_SLOTS];
	for (unsigned i = 0; i < nsrc; i++)
		for (unsigned f = 0; f < imu_csv_feet(src[i].csv) && im->slots < MAX_SLOTS; f++) {
			feet[im->slots] = imu_csv_foot(src[i].csv, f);
			im->feet[im->slots].foot = feet[im->slots];
			im->slots++;
		}
	im->pipeline = strides_new(res->rate_hz, im->slots, feet);
	if (!im->pipeline) {
		free(im);
		return NULL;
	}
	return im;
}

/* Rows left out for values no sensor gives: said on stderr, with the line. */
static void warn_implausible(const struct source *src, unsigned nsrc)
{
	char text[IMU_CSV_ERROR_LEN];

	for (unsigned i = 0; i < nsrc; i++)
		if (src[i].conv.implausible)
			fprintf(stderr, "hamstride: warning: %s: %s\n", src[i].path,
				imu_csv_implausible_text(&src[i].conv, src[i].csv, text,
							 sizeof(text)));
}

static int import(const struct cli_globals *g, const struct import_args *a)
{
	struct source src[2] = { { 0 } };
	unsigned nsrc = a->path[1] ? 2 : 1;
	struct imu_csv_resolved res;
	struct importer *im = NULL;
	char start_why[160], source[64];
	int64_t start_us;
	int rc = prepare(a, src, nsrc, &res);
	if (rc == 0)
		rc = choose_start(a, &res, &start_us, start_why, sizeof(start_why));
	if (rc == 0) {
		im = importer_new(src, nsrc, &res);
		if (!im) {
			cli_error("%s: the stride estimator cannot run at %.1f Hz; nothing stored",
				  a->path[0], res.rate_hz);
			rc = EX_DATAERR;
		}
		/* Pass 2: the same files again from the top. */
		for (unsigned i = 0; i < nsrc && rc == 0; i++) {
			struct imu_csv_layout layout = a->layout;
			if (i == 1)
				layout.foot = IMU_FOOT_RIGHT;
			source_close(&src[i]);
			rc = source_open(&src[i], a->path[i], &layout);
			src[i].first_slot = i;
			imu_csv_converter_init(&src[i].conv, &res, start_us, i);
		}
		if (rc == 0)
			rc = run_estimator(im, src, nsrc);
		if (rc == 0)
			warn_implausible(src, nsrc);
	}
	if (rc == 0 && im->n_strides == 0) {
		cli_error("%s: the estimator found no strides (the foot never stood still long "
			  "enough between steps); nothing stored",
			  a->path[0]);
		rc = EX_DATAERR;
	}
	if (rc == 0) {
		struct store_run run;
		uint64_t gaps = 0;
		double gap_s = 0;
		for (unsigned i = 0; i < nsrc; i++) {
			gaps += src[i].gaps;
			gap_s += src[i].gap_s;
		}
		snprintf(source, sizeof(source), "import %s%s%s", base_name(a->path[0]),
			 nsrc > 1 ? " + " : "", nsrc > 1 ? base_name(a->path[1]) : "");
		summarise(im, &res, start_us, &run);
		bool duplicate = false;
		rc = store_import(g, im, &run, source, gaps, gap_s, &duplicate);
		if (rc == 0 && !duplicate)
			print_report(im, &run, src, nsrc, &res, start_why);
	}
	for (unsigned i = 0; i < nsrc; i++)
		source_close(&src[i]);
	if (im)
		importer_free(im);
	return rc;
}

int cmd_import(const struct cli_globals *g, int argc, char **argv)
{
	/* 'import imu FILE' is a raw IMU recording; anything else, history. */
	if (argc < 2 || strcmp(argv[1], "imu") != 0)
		return cmd_import_history(g, argc, argv);
	struct import_args a;
	memset(&a, 0, sizeof(a));
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	return import(g, &a);
}
