/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the ingest pipeline (ingest.h), shared by its two files:
 * ingest.c (sensors, runs, per-second samples, the run summary) and
 * ingest_imu.c (shoe IMUs: their decoders, clocks and strides).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "decode/drivers.h"
#include "decode/imu.h"
#include "decode/rsc.h"
#include "ingest.h"
#include "nav/baro.h"
#include "nav/sensor_clock.h"
#include "nav/strides.h"
#include "treadmill.h"

#define US_PER_S INT64_C(1000000)
/* The most samples one IMU notification carries (the hamstride profile's
 * count is a byte; a Movesense packet within ATT's 512 bytes holds 21). */
#define IMU_MAX_SAMPLES 255
/* Strides one notification can complete (255 samples at 100 Hz is 2.5 s). */
#define IMU_MAX_PENDING 8
/* Samples are decoded at this rate until the real one is known (their
 * times within the packet are then made again). */
#define MS_PROVISIONAL_RATE_HZ 104.0
/* The longest notification ATT carries (Bluetooth Core, Vol 3, Part F,
 * 3.2.9): the one packet kept while its rate is learned is at most this. */
#define MS_HELD_MAX_LEN 512
#define MS_HELD_MAX_SAMPLES ((MS_HELD_MAX_LEN - 6) / 24)
/* A sensor's last-seen time in the store is brought up to date this
 * often while it is heard, and at the end of each run: not per packet. */
#define SEEN_EVERY_US (60 * US_PER_S)
/* Log the first few bad packets of a sensor, then one in this many. */
#define LOG_EVERY 1000
#define LOG_FIRST 3

/*
 * A shoe IMU: its clock against the host's, its sample stream and the foot
 * pipeline (strides.h) that turns it into strides. Which foot: the role the runner gave the
 * sensor ("imu-left"/"imu-right" in the registry), else the foot byte of
 * the hamstride profile's configuration if the sensor sent it, else
 * unknown.
 */
struct imu_state {
	uint8_t foot; /* enum imu_foot, resolved as above */
	bool foot_from_role;
	uint8_t config_foot; /* from the configuration characteristic */
	int ordinal;         /* how many IMUs were seen before this one */
	int side;            /* merge side (0/1), fixed when its INS is made */
	struct imu_stream stream;
	struct strides_foot *strides; /* NULL until data come; a new rate makes a new one */
	double last_speed_mps;        /* of the last valid stride, for strides across a restart */
	struct sensor_clock_offset clock; /* host time - sensor time */
	/* Movesense: the rate is not in the packets but in their spacing, and
	 * changes when the sensor is subscribed again (ble_source.c falls back
	 * from 416 to 208 Hz), so it is learned at the start, after each link
	 * loss and when the spacing says it changed. */
	struct sensor_clock_rate ms_rate;
	double ms_logged_hz; /* the rate last reported in the log */
	/* The packet that arrived while the rate was unknown, fed once the
	 * next one tells its rate (0 bytes: none). */
	uint16_t ms_held_len;
	int64_t ms_held_host_us;
	uint8_t ms_held[MS_HELD_MAX_LEN];
};

struct sensor_state {
	bool used;
	uint8_t addr[NOTIFICATION_ADDR_LEN];
	char addr_str[18];
	int64_t sensor_id;
	struct rsc_cadence cadence;
	enum rsc_convention convention_stored;
	/* Pods that report running status are believed; for the others a
	 * speed threshold stands in (the MilestonePod never sets the bit). */
	bool reports_running;
	uint64_t malformed;
	uint64_t unknown;
	struct imu_state *imu;            /* NULL unless the sensor is a shoe IMU */
	bool relinked;                    /* its link dropped since its last measurement */
	int64_t heard_us, seen_stored_us; /* last notification; last one stored as seen */
	/* Its last gap in the run: one silence seen two ways (the session's
	 * silence, the IMU's lost packets) is one gap. */
	int64_t gap_run_id, gap_id, gap_from_us, gap_to_us;
};

/* What one second of the run has received so far. */
struct second_acc {
	int64_t second;
	bool open;
	double speed_sum, cadence_sum, stride_sum, pressure_sum, temperature_sum, hr_sum;
	unsigned speed_n, cadence_n, stride_n, pressure_n, temperature_n, hr_n;
};

/* What the run summary adds up. A run ends at its last running report, so
 * the summary is taken from a copy made then, not from the walk or the
 * standing about until the idle timeout. */
struct run_totals {
	double distance_m;
	double gain_m, loss_m;
	double cadence_sum, stride_sum, hr_sum, hr_max;
	unsigned cadence_n, stride_n, hr_n;
	/* Shoe-IMU strides: distance per merge side, and the valid strides'
	 * lengths and durations for the run's stride length and cadence. */
	double imu_side_m[2];
	unsigned imu_side_strides[2];
	double imu_length_sum_m, imu_duration_sum_s;
	unsigned imu_valid_strides;
};

struct run_acc {
	int64_t id;
	int64_t start_us;
	int primary_pod; /* the sensor whose distance counts, -1 until one runs */
	struct run_totals totals;
	struct run_totals at_last_active;
	bool have_total;
	double last_total_m;
	int64_t last_speed_us;
	double last_speed_mps;
	bool have_reference;
	double reference_pa;
	struct baro_climb climb;
	int64_t notifications;
	int64_t gaps;
	double gap_s;
	struct capture_writer *capture;
	char capture_path[256];
	struct second_acc second;
	/* Both feet's strides in one timeline, height corrected as they leave
	 * it, and which sensor each side is. */
	struct strides_join join;
	int merge_sensor[2];
	struct treadmill_run tm; /* the treadmill's data, the pod's calibration */
};

/* What the IMU notification being handled produced; stored once the
 * session has said which run it belongs to. */
struct imu_pending {
	int sensor;
	unsigned n_strides;
	struct ins_stride strides[IMU_MAX_PENDING];
	bool has_gap;
	struct imu_gap gap;
};

struct ingest {
	struct store *store;
	struct ingest_config config;
	char capture_dir[200];
	char source[64];
	struct session session;
	struct sensor_state sensors[SESSION_MAX_SENSORS];
	bool in_run;
	/* The open run is one stored before (skip_stored_runs), as run
	 * skipped_as: it is decoded as usual and its writes discarded. */
	bool skipping;
	int64_t skipped_as;
	int starting_sensor; /* the sensor of the notification being handled */
	struct run_acc run;
	int64_t last_run_id;
	struct ingest_stats stats;
	struct drivers drivers;
	int imus_seen;
	struct imu_pending imu_pending;
	struct imu_sample imu_samples[IMU_MAX_SAMPLES];
	struct imu_sample ms_held_samples[MS_HELD_MAX_SAMPLES];
};

/* ---- ingest.c, for ingest_imu.c ---- */

/* Logs a failed write (not each one) and returns err. */
int ingest_store_failed(struct ingest *in, int err, const char *what);
/* A gap of a sensor in the open run; overlapping ones of one sensor are one. */
int ingest_record_sensor_gap(struct ingest *in, struct sensor_state *s, int64_t from_us,
			     int64_t to_us);

/* ---- ingest_imu.c: shoe IMUs ---- */

/* The foot: the registry's role wins over the sensor's configuration. */
void ingest_imu_resolve_foot(struct ingest *in, struct sensor_state *s);
/* The decoders of the hamstride IMU profile and of Movesense: the samples
 * through the sensor's foot pipeline, strides and gaps pending in
 * in->imu_pending; *active if a running stride was completed. */
bool ingest_imu_decode_data(struct ingest *in, struct sensor_state *s, const struct notification *n,
			    bool *active);
bool ingest_imu_decode_config(struct ingest *in, struct sensor_state *s,
			      const struct notification *n);
bool ingest_imu_decode_movesense(struct ingest *in, struct sensor_state *s,
				 const struct notification *n, bool *active);
/* What the notification just decoded produced, now that it has a run. */
void ingest_imu_aggregate(struct ingest *in);
/* At a run's end: every IMU's last strides into the run. */
void ingest_imu_flush_run(struct ingest *in);
/* Stores the strides both feet have reported past; everything with flush. */
void ingest_imu_drain(struct ingest *in, bool flush);
/* The link dropped: a Movesense rate is learned again. */
void ingest_imu_link_lost(struct imu_state *st, const struct sensor_state *s);
/* The run's distance from the IMUs: the mean of the feet's. */
double ingest_imu_distance_m(const struct run_totals *t);
