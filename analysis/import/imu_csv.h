/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Raw 6-axis IMU recordings in delimited text (CSV, semicolon, tab or
 * whitespace), as other tools and public data sets write them, turned into
 * imu_samples for the foot INS.
 *
 * Pure and streaming: the caller feeds one line at a time, so memory does
 * not grow with the recording. Reading is two passes over the file, each
 * in constant memory:
 *  1. imu_csv_feed + imu_csv_survey_add over every row: finds the header
 *     and the columns, rejects bad cells and time that does not increase
 *     (naming line and column) before anything is stored, and gathers what
 *     the units, the rate, the mounting and sensor saturation are decided
 *     from (imu_csv_resolve);
 *  2. imu_csv_feed again + imu_csv_convert: SI samples with UTC times,
 *     clipped bits and the gaps in time.
 * A file may hold one foot or both (columns whose names say left/right).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/imu.h"

#define IMU_CSV_MAX_FEET 2
#define IMU_CSV_ERROR_LEN 768

/* Beyond any sensor's range, in whatever unit the file is written: the
 * widest accelerometers read ±200 g, gyroscopes ±4000 °/s. A value past
 * these (or past a range given with the options) is damage, not data: its
 * row is left out as a gap and counted. */
#define IMU_CSV_ACC_LIMIT_G 200.0
#define IMU_CSV_GYRO_LIMIT_DPS 10000.0
/* Readings may pass a given full scale by this much before they are
 * impossible (calibrated outputs saturate a little beyond it). */
#define IMU_CSV_RANGE_MARGIN 0.05
/* A recording spanning more than this has a damaged time cell. */
#define IMU_CSV_MAX_DURATION_S (48.0 * 3600)

enum imu_csv_time_unit {
	IMU_CSV_TIME_AUTO = 0, /* from the spacing of the first samples */
	IMU_CSV_TIME_S,
	IMU_CSV_TIME_MS,
	IMU_CSV_TIME_US,
	IMU_CSV_TIME_SAMPLES, /* a sample counter: needs the rate */
};

enum imu_csv_acc_unit {
	IMU_CSV_ACC_AUTO = 0, /* from the commonest magnitude: gravity, 1 g or 9.8 m/s² */
	IMU_CSV_ACC_G,
	IMU_CSV_ACC_MPS2,
};

enum imu_csv_gyro_unit {
	IMU_CSV_GYRO_AUTO = 0, /* from the motion, the rail it saturates at, or its per-axis peak */
	IMU_CSV_GYRO_DPS,
	IMU_CSV_GYRO_RADPS,
};

/* Where the data are in the file. Column specs are a header name (case
 * and surrounding space ignored) or a 1-based index; NULL finds them by
 * name (time/timestamp, acc_x/accX/scaledAccelX/ax, gyr_x/gyroX/gx, ...),
 * else columns 1 (time), 2-4 (acc), 5-7 (gyro) in a file without header. */
struct imu_csv_layout {
	char delimiter;     /* 0: , ; or tab as the first row has it, else whitespace */
	unsigned skip_rows; /* lines dropped before the header */
	const char *time_col;
	const char *acc_cols[3];
	const char *gyro_cols[3];
	uint8_t foot; /* enum imu_foot: which foot of a two-foot file; else a label */
};

/* One data row in the file's own units. */
struct imu_csv_row {
	unsigned long line;
	double t;                      /* time column as written */
	unsigned feet;                 /* 1 or 2 */
	double v[IMU_CSV_MAX_FEET][6]; /* acc x y z, gyro x y z */
	/* A value beyond IMU_CSV_*_LIMIT in every unit: the first such
	 * foot and channel (0..5), or channel -1 if none. */
	unsigned bad_foot;
	int bad_channel;
};

enum imu_csv_status {
	IMU_CSV_SKIPPED, /* blank, skipped or header line */
	IMU_CSV_ROW,
	IMU_CSV_ERROR, /* imu_csv_error() says why; the file cannot be read */
};

struct imu_csv;
/* NULL (with why) if a column spec is malformed. */
struct imu_csv *imu_csv_new(const struct imu_csv_layout *layout, char *why, size_t why_len);
void imu_csv_free(struct imu_csv *r);

/* Feeds the next line (NUL-terminated; a trailing CR/LF is ignored). */
enum imu_csv_status imu_csv_feed(struct imu_csv *r, const char *line, struct imu_csv_row *out);
/* Call at the end of the file: an error if no data row was found. */
enum imu_csv_status imu_csv_finish(struct imu_csv *r);
/* "LINE:COLUMN: what is wrong", or "LINE: ..." for a whole row. */
const char *imu_csv_error(const struct imu_csv *r);

/* What the columns are, once the first data row is read. */
unsigned imu_csv_feet(const struct imu_csv *r);
uint8_t imu_csv_foot(const struct imu_csv *r, unsigned index); /* enum imu_foot */
/* "name" (or "column N") of the time column (channel -1) or a channel
 * 0..5 (acc x y z, gyro x y z) of foot index. */
const char *imu_csv_column_name(const struct imu_csv *r, unsigned foot_index, int channel);

/* A unit a column's name carries: "ax_mps2", "gyro_x [deg/s]", "t_ms". */
enum imu_csv_unit {
	IMU_CSV_UNIT_NONE = 0,
	IMU_CSV_UNIT_G,
	IMU_CSV_UNIT_MPS2,
	IMU_CSV_UNIT_DPS,
	IMU_CSV_UNIT_RADPS,
	IMU_CSV_UNIT_S,
	IMU_CSV_UNIT_MS,
	IMU_CSV_UNIT_US,
};
enum imu_csv_unit imu_csv_column_unit(const struct imu_csv *r, unsigned foot_index, int channel);

/* ---- pass 1: what the whole file looks like ---- */

#define IMU_CSV_INTERVALS 255
#define IMU_CSV_MAG_BINS 240

/* |value| in 1 % steps from IMU_CSV_TOP_MIN (file units): where the
 * ranges of sensors are, in every unit they are written in. */
#define IMU_CSV_TOP_MIN 1.5
#define IMU_CSV_TOP_BINS 820

struct imu_csv_channel {
	double max_abs;  /* largest |value| */
	uint64_t at_max; /* samples at that value: many means saturation */
	/* A calibrated output wanders along its rail rather than sitting
	 * on one value: samples crowd just below the maximum. */
	uint32_t top[IMU_CSV_TOP_BINS];
};

struct imu_csv_survey {
	uint64_t rows;
	unsigned long first_line;
	double t_first, t_last;
	/* The longest step in time, and the line it leads to. */
	double max_interval;
	unsigned long max_interval_line;
	/* Rows with a value beyond any sensor (imu_csv_row.bad_channel): their
	 * values are left out of the survey. */
	uint64_t implausible;
	unsigned n_intervals; /* the first intervals, for the nominal rate */
	double intervals[IMU_CSV_INTERVALS];
	bool integer_times; /* every time so far a whole number */
	unsigned feet;
	struct {
		/* |acc| in log bins (count, sum) over all samples and over those
		 * with the foot hardly turning, read as rad/s [0] or °/s [1]:
		 * the foot is still then, and the accelerometer reads gravity. */
		uint64_t mag_hist[3][IMU_CSV_MAG_BINS];
		double mag_sum[3][IMU_CSV_MAG_BINS];
		double mag_min, mag_max;
		double acc_sum[3];
		double gyro_peak;      /* largest |gyro| */
		uint64_t gyro_over_40; /* samples with |gyro| > 40 in file units */
		/* Samples with every gyro axis below 0.5 and 30 in file
		 * units: a stance, and not a swing read in °/s. */
		uint64_t axes_still, axes_slow;
		struct imu_csv_channel ch[6];
		/* Units the columns' names carry (imu_csv_survey_names), and
		 * the names, for messages. */
		enum imu_csv_unit acc_named, gyro_named;
		char acc_name[64], gyro_name[64];
	} foot[IMU_CSV_MAX_FEET];
	enum imu_csv_unit time_named;
	char time_name[64];
};

void imu_csv_survey_init(struct imu_csv_survey *s);
void imu_csv_survey_add(struct imu_csv_survey *s, const struct imu_csv_row *row);
/* Notes the units the reader's column names carry (after the first row:
 * the columns are known then). */
void imu_csv_survey_names(struct imu_csv_survey *s, const struct imu_csv *r);
/* Combines the survey of a second file (the other foot) into s. */
void imu_csv_survey_merge(struct imu_csv_survey *s, const struct imu_csv_survey *other);

/* What the caller asked for; zero/AUTO fields are decided from the data. */
struct imu_csv_options {
	enum imu_csv_time_unit time_unit;
	enum imu_csv_acc_unit acc_unit;
	enum imu_csv_gyro_unit gyro_unit;
	double rate_hz;     /* 0: estimate from the time column */
	double acc_range_g; /* 0: find saturation in the data */
	double gyro_range_dps;
	double min_duration_s; /* 0: 2 s */
};

/* How the sensor was mounted, from the mean specific force. */
enum imu_csv_mounting {
	IMU_CSV_MOUNT_Z_UP,
	IMU_CSV_MOUNT_Z_DOWN,   /* upside down, or a z-down (NED) sensor frame */
	IMU_CSV_MOUNT_SIDEWAYS, /* gravity mostly along x or y */
};

struct imu_csv_resolved {
	/* Each unit is given, detected, or (detected false, named true) read
	 * from the column's name and found to agree with the data. */
	enum imu_csv_time_unit time_unit;
	bool time_unit_detected, time_unit_named;
	enum imu_csv_acc_unit acc_unit;
	bool acc_unit_detected, acc_unit_named;
	enum imu_csv_gyro_unit gyro_unit;
	bool gyro_unit_detected, gyro_unit_named;
	/* What the gyro's unit was decided on, for the report: "the rail at
	 * 500 °/s", "gravity turning with the rotation", ... */
	char gyro_evidence[96];
	double rate_hz;
	bool rate_estimated;
	double t0; /* the file's first time, its own units */
	double duration_s;
	double acc_gravity_mps2[IMU_CSV_MAX_FEET]; /* commonest |acc|: gravity */
	double gyro_peak_radps[IMU_CSV_MAX_FEET];
	enum imu_csv_mounting mounting[IMU_CSV_MAX_FEET];
	char mount_axis[IMU_CSV_MAX_FEET][3]; /* "+z", "-x", ... */
	/* Beyond this (SI units) a value is impossible: IMU_CSV_*_LIMIT, or
	 * the range given with a margin. */
	double limit[IMU_CSV_MAX_FEET][6];
	/* Saturation level per foot and channel in SI units; INFINITY: none. */
	double clip_level[IMU_CSV_MAX_FEET][6];
	bool clip_detected[IMU_CSV_MAX_FEET][6]; /* found in the data, not given */
};

/* Decides units, rate and saturation. False with why (a message for the
 * user, with a hint) when the file is too short, a sensor did not move,
 * a unit given contradicts gravity or the rate cannot be known. */
bool imu_csv_resolve(const struct imu_csv_survey *s, const struct imu_csv_options *opt,
		     struct imu_csv_resolved *out, char *why, size_t why_len);

/* Seconds since the epoch, if the time column looks like wall-clock time
 * (2001 to 2100), else NAN. */
double imu_csv_epoch_s(const struct imu_csv_resolved *res);

/* ---- pass 2: samples ---- */

/* Samples of one foot lost between two rows. */
struct imu_csv_gap {
	int64_t from_us; /* where the next sample was due */
	int64_t to_us;   /* the sample after the gap */
};

struct imu_csv_converter {
	struct imu_csv_resolved res;
	int64_t start_us;     /* UTC of the time t0 */
	unsigned foot_offset; /* index of this file's first foot in res */
	bool have_prev;
	int64_t prev_us;
	uint64_t clipped[IMU_CSV_MAX_FEET];
	/* Rows left out for a value beyond res.limit (or a time outside the
	 * recording), and the first of them. */
	uint64_t implausible;
	unsigned long implausible_line;
	unsigned implausible_foot;
	int implausible_channel; /* -1: the time */
	double implausible_value;
};

/* foot_offset: 0, or 1 for the second file of a left/right pair (whose
 * survey was merged into the first's). */
void imu_csv_converter_init(struct imu_csv_converter *c, const struct imu_csv_resolved *res,
			    int64_t start_us, unsigned foot_offset);
/* Fills out[0..row->feet) (foot labels from the reader) and returns the
 * count; *gap is set and true returned in *had_gap when time jumped by
 * more than 2.5 sample periods since the previous row. A row with a value
 * beyond res.limit returns 0 and is counted (c->implausible): the rows
 * around it then meet as across any gap. */
unsigned imu_csv_convert(struct imu_csv_converter *c, const struct imu_csv *r,
			 const struct imu_csv_row *row, struct imu_sample *out, bool *had_gap,
			 struct imu_csv_gap *gap);

/* "line 12: acc x (accX) reads 1e+308, beyond any sensor's range; 3 rows
 * like it are left out as gaps", or "" if no row was left out. */
const char *imu_csv_implausible_text(const struct imu_csv_converter *c, const struct imu_csv *r,
				     char *buf, size_t size);

/* Names for messages. */
const char *imu_csv_time_unit_name(enum imu_csv_time_unit u);
const char *imu_csv_acc_unit_name(enum imu_csv_acc_unit u);
const char *imu_csv_gyro_unit_name(enum imu_csv_gyro_unit u);
