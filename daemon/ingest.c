// SPDX-License-Identifier: GPL-2.0-or-later
#include "ingest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nav/baro.h"
#include "capture/capture.h"
#include "decode/ess.h"
#include "decode/hrm.h"
#include "decode/imu.h"
#include "nav/ins.h"
#include "nav/landing.h"
#include "log.h"
#include "paths.h"
#include "decode/rsc.h"
#include "nav/two_feet.h"
#include "terrain.h"
#include "util/xalloc.h"

#define US_PER_S INT64_C(1000000)
/* Climb on a 12-s average, counted once it exceeds 0.3 m or what the
 * sensor's noise and resolution could fake (baro.h). Chosen on simulated
 * hilly runs (gain within ±5% on 40 of 40 seeds) and a real flat run
 * (3 m counted over 7 km). */
#define CLIMB_WINDOW_S 12
#define CLIMB_HYSTERESIS_M 0.3
/* Beyond this a pod's distance counter was reset, not run. */
#define MAX_DISTANCE_STEP_M 100.0
/* The most samples one IMU notification carries (the hamstride profile's
 * count is a byte; a Movesense packet within ATT's 512 bytes holds 21). */
#define IMU_MAX_SAMPLES 255
/* Strides one notification can complete (255 samples at 100 Hz is 2.5 s). */
#define IMU_MAX_PENDING 8
/* Clipped stretches remembered per IMU to flag the strides they fall in;
 * clipped samples closer than this are one stretch. */
#define IMU_CLIP_RING 64
#define IMU_CLIP_JOIN_US INT64_C(50000)
/* A sensor clock and the host's drift apart by less than this (crystals
 * are specified to ±50 ppm); see imu_update_offset(). */
#define IMU_CLOCK_DRIFT 100e-6
/* A host-minus-sensor offset this far above the current one means the
 * sensor restarted its clock: start the estimate again. */
#define IMU_OFFSET_RESET_US INT64_C(1000000)
/* Movesense IMU6 rates; a packet's rate is inferred from the timestamps. */
static const double movesense_rates_hz[] = { 13, 26, 52, 104, 208, 416, 833, 1666 };
/* Samples are decoded at this rate until the real one is known (their
 * times within the packet are then made again). */
#define MS_PROVISIONAL_RATE_HZ 104.0
/* Movesense stamps packets in whole milliseconds, so two packets' spacing
 * is off by up to 1 ms; a sensor's rate may differ from the nominal one
 * by a few percent. A spacing within both of the expected is expected. */
#define MS_SPACING_SLACK_MS 1.0
#define MS_SPACING_SLACK 0.03
/* A silence this long may have been a reconnect that a replay does not
 * hear of (ingest_link_lost): the rate is learned again after it. */
#define MS_RELEARN_SILENCE_MS 1000.0
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
 * INS that turns it into strides. Which foot: the role the runner gave the
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
	double rate_hz;      /* the INS's; a new rate makes a new INS */
	struct imu_stream stream;
	struct ins *ins;
	struct landing landing; /* moves the INS's strides to the landings */
	double last_speed_mps;  /* of the last valid stride, for strides across a restart */
	bool have_offset;
	int64_t offset_us;    /* host time - sensor time, lower envelope */
	int64_t offset_at_us; /* host time of the offset's last update */
	int64_t clip_from_us[IMU_CLIP_RING], clip_to_us[IMU_CLIP_RING]; /* sensor time */
	unsigned clip_next, clip_n;
	/* Movesense: the rate is not in the packets but in their spacing, and
	 * changes when the sensor is subscribed again (ble_source.c falls back
	 * from 416 to 208 Hz), so it is learned at the start, after each link
	 * loss and when the spacing says it changed. */
	double ms_rate_hz;   /* 0 while it is being learned */
	double ms_logged_hz; /* the rate last reported in the log */
	bool ms_have_prev;
	uint32_t ms_prev_raw; /* previous packet's first sample, ms */
	size_t ms_prev_count;
	unsigned ms_prev_multiple; /* the previous spacing was this many packets: a loss */
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
	/* Both feet's strides in one timeline, and which sensor each side is;
	 * their height drift against each other, taken out as they leave it. */
	struct ins_merge merge;
	int merge_sensor[2];
	struct two_feet two_feet;
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
	struct run_acc run;
	int64_t last_run_id;
	struct ingest_stats stats;
	struct gatt_uuid uuid_imu_data, uuid_imu_config, uuid_movesense;
	int imus_seen;
	struct imu_pending imu_pending;
	struct imu_sample imu_samples[IMU_MAX_SAMPLES];
	struct imu_sample ms_held_samples[MS_HELD_MAX_SAMPLES];
};

void ingest_config_default(struct ingest_config *c)
{
	*c = (struct ingest_config){ .start_speed_mps = 1.8,
				     .source = "unknown",
				     .segments = SEG_THRESHOLDS_DEFAULT };
	session_config_default(&c->session);
}

/* Keeps private copies of the strings so a re-read config can be freed. */
void ingest_set_config(struct ingest *in, const struct ingest_config *config)
{
	in->config = *config;
	snprintf(in->capture_dir, sizeof(in->capture_dir), "%s",
		 config->capture_dir ? config->capture_dir : "");
	snprintf(in->source, sizeof(in->source), "%s", config->source ? config->source : "unknown");
	in->config.capture_dir = in->capture_dir;
	in->config.source = in->source;
	session_set_config(&in->session, &config->session);
}

struct ingest *ingest_new(struct store *store, const struct ingest_config *config)
{
	struct ingest *in = xcalloc(1, sizeof(*in));
	in->store = store;
	gatt_uuid_parse(IMU_HS_DATA_UUID, &in->uuid_imu_data);
	gatt_uuid_parse(IMU_HS_CONFIG_UUID, &in->uuid_imu_config);
	gatt_uuid_parse(IMU_MS_NOTIFY_UUID, &in->uuid_movesense);
	session_init(&in->session, &config->session);
	ingest_set_config(in, config);
	return in;
}

void ingest_free(struct ingest *in)
{
	if (!in)
		return;
	if (in->in_run && in->run.capture)
		capture_writer_close(in->run.capture);
	for (int i = 0; i < SESSION_MAX_SENSORS; i++)
		if (in->sensors[i].imu) {
			ins_free(in->sensors[i].imu->ins);
			free(in->sensors[i].imu);
		}
	free(in);
}

static bool worth_logging(uint64_t count)
{
	return count <= LOG_FIRST || count % LOG_EVERY == 0;
}

/* A full disk or a read-only database fails every write: say so, but not
 * for each notification. */
static int store_failed(struct ingest *in, int err, const char *what)
{
	if (worth_logging(++in->stats.store_errors))
		log_error("cannot store %s: %s (%llu failed writes so far)", what,
			  store_error(in->store), (unsigned long long)in->stats.store_errors);
	return err;
}

/* The slot of the sensor with this address, registered on first sight. */
static int sensor_index(struct ingest *in, const struct notification *n)
{
	int free_slot = -1;
	for (int i = 0; i < SESSION_MAX_SENSORS; i++) {
		if (!in->sensors[i].used) {
			if (free_slot < 0)
				free_slot = i;
		} else if (memcmp(in->sensors[i].addr, n->addr, NOTIFICATION_ADDR_LEN) == 0) {
			return i;
		}
	}
	if (free_slot < 0)
		return -1;
	struct sensor_state *s = &in->sensors[free_slot];
	*s = (struct sensor_state){ .used = true };
	memcpy(s->addr, n->addr, NOTIFICATION_ADDR_LEN);
	notification_addr_to_str(n->addr, s->addr_str, sizeof(s->addr_str));
	rsc_cadence_init(&s->cadence);
	if (store_sensor(in->store, s->addr_str, n->addr_type, n->host_time_us, &s->sensor_id) < 0)
		store_failed(in, -EIO, "a new sensor");
	s->heard_us = s->seen_stored_us = n->host_time_us;
	log_info("sensor %s seen", s->addr_str);
	return free_slot;
}

static void note_malformed(struct ingest *in, struct sensor_state *s, const struct notification *n)
{
	char uuid[40];
	in->stats.malformed++;
	if (worth_logging(++s->malformed))
		log_warning(
			"sensor %s sent a malformed %s notification (%u bytes on handle 0x%04x); "
			"ignored (%llu so far)",
			s->addr_str, gatt_uuid_to_str(&n->uuid, uuid, sizeof(uuid)), n->len,
			n->handle, (unsigned long long)s->malformed);
}

static void note_unknown(struct ingest *in, struct sensor_state *s, const struct notification *n)
{
	char uuid[40];
	in->stats.unknown++;
	if (worth_logging(++s->unknown))
		log_info("sensor %s: characteristic %s on handle 0x%04x is not decoded; kept raw",
			 s->addr_str, gatt_uuid_to_str(&n->uuid, uuid, sizeof(uuid)), n->handle);
}

/* ---- per-second samples and the run summary ---- */

static double mean_or_nan(double sum, unsigned n)
{
	return n ? sum / n : NAN;
}

static double elevation_of_second(struct run_acc *run, const struct second_acc *sec)
{
	if (!sec->pressure_n)
		return NAN;
	double pressure_pa = sec->pressure_sum / sec->pressure_n;
	if (!run->have_reference) {
		run->have_reference = true;
		run->reference_pa = pressure_pa;
	}
	return baro_climb_add(&run->climb, baro_altitude_m(pressure_pa, run->reference_pa));
}

/* Means over the seconds that had them: a second with two packets weighs
 * no more than one with one. */
static void add_to_totals(struct run_totals *t, const struct store_sample *sample,
			  const struct second_acc *sec)
{
	if (sec->cadence_n) {
		t->cadence_sum += sample->cadence_spm;
		t->cadence_n++;
	}
	if (sec->stride_n) {
		t->stride_sum += sample->stride_length_m;
		t->stride_n++;
	}
	if (sec->hr_n) {
		t->hr_sum += sample->heart_rate_bpm;
		t->hr_n++;
		if (!(sample->heart_rate_bpm <= t->hr_max))
			t->hr_max = sample->heart_rate_bpm;
	}
}

static int flush_second(struct ingest *in)
{
	struct run_acc *run = &in->run;
	struct second_acc *sec = &run->second;
	if (!sec->open)
		return 0;
	struct store_sample sample = {
		.t_us = sec->second * US_PER_S,
		.speed_mps = mean_or_nan(sec->speed_sum, sec->speed_n),
		.cadence_spm = mean_or_nan(sec->cadence_sum, sec->cadence_n),
		.stride_length_m = mean_or_nan(sec->stride_sum, sec->stride_n),
		.distance_m = run->totals.distance_m,
		.pressure_pa = mean_or_nan(sec->pressure_sum, sec->pressure_n),
		.temperature_c = mean_or_nan(sec->temperature_sum, sec->temperature_n),
		.heart_rate_bpm = mean_or_nan(sec->hr_sum, sec->hr_n),
	};
	sample.elevation_m = elevation_of_second(run, sec);
	add_to_totals(&run->totals, &sample, sec);
	run->totals.gain_m = run->climb.gain_m;
	run->totals.loss_m = run->climb.loss_m;
	*sec = (struct second_acc){ 0 };
	if (store_sample(in->store, run->id, &sample) < 0)
		return store_failed(in, -EIO, "a sample");
	return 0;
}

/* The second this notification belongs to, flushing the one before. */
static struct second_acc *second_of(struct ingest *in, int64_t t_us)
{
	struct second_acc *sec = &in->run.second;
	int64_t second = t_us / US_PER_S;
	if (sec->open && second > sec->second)
		flush_second(in);
	if (!sec->open) {
		sec->open = true;
		sec->second = second;
	}
	return sec;
}

/* Pods count distance themselves; when they do, their counter is the
 * truth of what they measured, lost packets or not. Otherwise speed is
 * integrated between packets. */
static void add_distance(struct run_acc *run, const struct rsc_measurement *m, int64_t t_us,
			 const struct sensor_state *s)
{
	if (m->has_total_distance) {
		double step = m->total_distance_m - run->last_total_m;
		/* Across a dropped link the pod counted on without us. */
		if (run->have_total && step >= 0 && (step <= MAX_DISTANCE_STEP_M || s->relinked))
			run->totals.distance_m += step;
		else if (run->have_total)
			log_info("sensor %s: distance counter jumped by %.1f m; counting from here",
				 s->addr_str, step);
		run->have_total = true;
		run->last_total_m = m->total_distance_m;
		return;
	}
	if (run->last_speed_us) {
		double dt_s = (t_us - run->last_speed_us) / (double)US_PER_S;
		if (dt_s > 0)
			run->totals.distance_m += 0.5 * (m->speed_mps + run->last_speed_mps) * dt_s;
	}
	run->last_speed_us = t_us;
	run->last_speed_mps = m->speed_mps;
}

static void aggregate_rsc(struct ingest *in, int sensor, const struct rsc_measurement *m,
			  int64_t t_us)
{
	struct run_acc *run = &in->run;
	struct sensor_state *s = &in->sensors[sensor];
	double cadence_spm, stride_m;

	if (run->primary_pod < 0)
		run->primary_pod = sensor;
	if (run->primary_pod != sensor)
		return; /* a second pod is stored raw but does not double the distance */
	add_distance(run, m, t_us, s);
	s->relinked = false;
	struct second_acc *sec = second_of(in, t_us);
	sec->speed_sum += m->speed_mps;
	sec->speed_n++;
	if (m->speed_mps > 0.5 && rsc_cadence_normalise(&s->cadence, m, &cadence_spm, &stride_m)) {
		sec->cadence_sum += cadence_spm;
		sec->cadence_n++;
		sec->stride_sum += stride_m;
		sec->stride_n++;
	}
}

/* ---- shoe IMUs: clock, samples, INS, strides ---- */

static const char *foot_name(uint8_t foot)
{
	return foot == IMU_FOOT_LEFT ? "left" : foot == IMU_FOOT_RIGHT ? "right" : "unknown";
}

/* The registry's role wins over the sensor's own configuration. */
static void imu_resolve_foot(struct ingest *in, struct sensor_state *s)
{
	struct imu_state *st = s->imu;
	struct store_sensor_info info;
	uint8_t foot = st->config_foot;
	bool from_role = false;

	if (store_get_sensor(in->store, s->addr_str, &info) == 0) {
		if (strcmp(info.role, "imu-left") == 0)
			foot = IMU_FOOT_LEFT, from_role = true;
		else if (strcmp(info.role, "imu-right") == 0)
			foot = IMU_FOOT_RIGHT, from_role = true;
	}
	if (foot != st->foot)
		log_info("sensor %s is on the %s shoe (from its %s)", s->addr_str, foot_name(foot),
			 from_role ? "role" : "configuration");
	st->foot = foot;
	st->foot_from_role = from_role;
}

static struct imu_state *imu_state_of(struct ingest *in, struct sensor_state *s)
{
	if (!s->imu) {
		s->imu = xcalloc(1, sizeof(*s->imu));
		s->imu->ordinal = in->imus_seen++;
		imu_stream_init(&s->imu->stream);
		landing_init(&s->imu->landing);
		imu_resolve_foot(in, s);
	}
	return s->imu;
}

/* One INS per IMU, made at its first data and again if its rate changes
 * (never per sample). Its foot is the merge side: left 0, right 1, and an
 * IMU of unknown foot takes a side by the order the IMUs were seen. */
static bool imu_ensure_ins(struct imu_state *st, double rate_hz, const struct sensor_state *s)
{
	struct ins_config config;
	if (st->ins && st->rate_hz == rate_hz)
		return true;
	ins_free(st->ins);
	st->side = st->foot == IMU_FOOT_RIGHT ? 1 : st->foot == IMU_FOOT_LEFT ? 0 : st->ordinal % 2;
	ins_config_default(&config);
	config.rate_hz = rate_hz;
	st->ins = ins_new(&config, st->side ? IMU_FOOT_RIGHT : IMU_FOOT_LEFT);
	st->rate_hz = rate_hz;
	if (!st->ins)
		log_warning("sensor %s streams at %.0f Hz, which the stride estimator cannot use",
			    s->addr_str, rate_hz);
	return st->ins != NULL;
}

/*
 * Host time = sensor time + offset. A notification arrives after its last
 * sample was taken, so each one bounds the offset from above and the
 * least bound seen is the estimate; it may rise by the clocks' greatest
 * drift since, so a slow sensor clock is followed. Far above means the
 * sensor restarted its clock.
 */
static void imu_update_offset(struct imu_state *st, int64_t host_us, int64_t sensor_us)
{
	int64_t bound_us = host_us - sensor_us;
	if (st->have_offset) {
		int64_t allowed_us =
			st->offset_us +
			(int64_t)((double)(host_us - st->offset_at_us) * IMU_CLOCK_DRIFT);
		if (bound_us <= allowed_us + IMU_OFFSET_RESET_US) {
			st->offset_us = bound_us < allowed_us ? bound_us : allowed_us;
			st->offset_at_us = host_us;
			return;
		}
	}
	st->have_offset = true;
	st->offset_us = bound_us;
	st->offset_at_us = host_us;
}

static void imu_note_clip(struct imu_state *st, int64_t t_us)
{
	unsigned last = (st->clip_next + IMU_CLIP_RING - 1) % IMU_CLIP_RING;
	if (st->clip_n && t_us >= st->clip_to_us[last] &&
	    t_us - st->clip_to_us[last] <= IMU_CLIP_JOIN_US) {
		st->clip_to_us[last] = t_us;
		return;
	}
	st->clip_from_us[st->clip_next] = st->clip_to_us[st->clip_next] = t_us;
	st->clip_next = (st->clip_next + 1) % IMU_CLIP_RING;
	if (st->clip_n < IMU_CLIP_RING)
		st->clip_n++;
}

static bool imu_clipped_between(const struct imu_state *st, int64_t from_us, int64_t to_us)
{
	for (unsigned i = 0; i < st->clip_n; i++)
		if (st->clip_from_us[i] <= to_us && st->clip_to_us[i] >= from_us)
			return true;
	return false;
}

/* A completed stride at running speed is the IMU's "running" report. */
static bool imu_stride_running(const struct ingest *in, const struct ins_stride *x)
{
	return x->valid && x->speed_mps >= in->config.start_speed_mps;
}

/* A stride the INS reported: from landing to landing, not from stance to
 * stance; and the foot's last good speed, for the length of a stride
 * across a restart. */
static void imu_note_stride(struct imu_state *st, struct ins_stride *x)
{
	landing_apply(&st->landing, x);
	if (x->valid && x->speed_mps < 10)
		st->last_speed_mps = x->speed_mps;
}

/* A stride the INS completed waits in in->imu_pending for the session's
 * verdict; true if it is a running one. */
static bool imu_pend_stride(struct ingest *in, struct imu_state *st, struct ins_stride *x)
{
	struct imu_pending *p = &in->imu_pending;
	imu_note_stride(st, x);
	if (p->n_strides < IMU_MAX_PENDING)
		p->strides[p->n_strides++] = *x;
	return imu_stride_running(in, x);
}

/* One notification may stamp two packets (a Movesense's held one, then
 * its own): their losses are one gap. */
static void imu_pend_gap(struct imu_pending *p, const struct imu_gap *g)
{
	if (!p->has_gap) {
		p->has_gap = true;
		p->gap = *g;
		return;
	}
	p->gap.to_us = g->to_us;
	p->gap.lost_packets += g->lost_packets;
	p->gap.lost_samples += g->lost_samples;
}

/* Stamps one parsed packet's samples and runs them through the sensor's
 * INS; strides and a gap wait in in->imu_pending for the session's
 * verdict. An INS made for another rate hands over its strides first,
 * as at the end of a run. True if a running stride was completed: that
 * is the IMU's "running" report. */
static bool imu_feed(struct ingest *in, struct sensor_state *s, const struct imu_packet *pkt,
		     struct imu_sample *samples, int64_t host_us)
{
	struct imu_state *st = s->imu;
	struct imu_pending *p = &in->imu_pending;
	struct ins_stride stride;
	struct imu_gap gap;
	bool active = false;

	p->sensor = (int)(s - in->sensors);
	if (st->ins && st->rate_hz != pkt->rate_hz)
		while (ins_flush(st->ins, &stride))
			active |= imu_pend_stride(in, st, &stride);
	if (!imu_ensure_ins(st, pkt->rate_hz, s))
		return active;
	if (imu_stream_stamp(&st->stream, pkt, samples, &gap))
		imu_pend_gap(p, &gap);
	imu_update_offset(st, host_us, samples[pkt->count - 1].t_us);
	in->stats.imu_samples += pkt->count;
	for (size_t i = 0; i < pkt->count; i++) {
		if (samples[i].clipped)
			imu_note_clip(st, samples[i].t_us);
		landing_push(&st->landing, &samples[i]);
		if (ins_push(st->ins, &samples[i], &stride))
			active |= imu_pend_stride(in, st, &stride);
	}
	return active;
}

static bool imu_decode_data(struct ingest *in, struct sensor_state *s, const struct notification *n,
			    bool *active)
{
	struct imu_state *st = imu_state_of(in, s);
	struct imu_packet pkt;
	if (!imu_hs_parse_data(n->value, n->len, st->foot, &pkt, in->imu_samples, IMU_MAX_SAMPLES))
		return false;
	*active = imu_feed(in, s, &pkt, in->imu_samples, n->host_time_us);
	return true;
}

static bool imu_decode_config(struct ingest *in, struct sensor_state *s,
			      const struct notification *n)
{
	struct imu_state *st = imu_state_of(in, s);
	struct imu_hs_config config;
	if (!imu_hs_parse_config(n->value, n->len, &config))
		return false;
	st->config_foot = config.foot;
	if (!st->foot_from_role)
		imu_resolve_foot(in, s);
	return true;
}

/*
 * Movesense packets do not say their rate: it is the subscribed one, which
 * a replay does not know and a new subscription may change, so it is taken
 * from the spacing of consecutive packets' timestamps and snapped to the
 * rates IMU6 offers.
 */

/* The IMU6 rate at which the previous packet lasts until this one; 0 if
 * none fits. */
static double movesense_rate_from_spacing(const struct imu_state *st, uint32_t t_first_raw)
{
	int32_t dt_ms = (int32_t)(t_first_raw - st->ms_prev_raw);
	if (dt_ms <= 0)
		return 0; /* a repeated time, or the sensor restarted its clock */
	double rate_hz = (double)st->ms_prev_count * 1000.0 / dt_ms;
	for (size_t i = 0; i < sizeof(movesense_rates_hz) / sizeof(movesense_rates_hz[0]); i++)
		if (fabs(rate_hz - movesense_rates_hz[i]) < 0.15 * movesense_rates_hz[i])
			return movesense_rates_hz[i];
	return 0;
}

/*
 * Whether this packet comes a whole number of the previous packet's
 * durations after it at the current rate: one is the next packet, more
 * is packets lost in between (*multiple says how many durations). Any
 * other spacing no loss explains, and a long silence may hide a new
 * subscription.
 */
static bool movesense_spacing_fits(const struct imu_state *st, uint32_t t_first_raw,
				   unsigned *multiple)
{
	int32_t dt_ms = (int32_t)(t_first_raw - st->ms_prev_raw);
	double packet_ms = (double)st->ms_prev_count * 1000.0 / st->ms_rate_hz;
	double m = nearbyint(dt_ms / packet_ms);
	if (dt_ms <= 0 || m < 1 || dt_ms - packet_ms > MS_RELEARN_SILENCE_MS)
		return false;
	*multiple = (unsigned)m;
	return fabs(dt_ms - m * packet_ms) <=
	       MS_SPACING_SLACK_MS + MS_SPACING_SLACK * m * packet_ms;
}

/*
 * The rate of this packet, from its spacing after the previous one; 0
 * while it is unknown. A spacing that is a whole number of packets is a
 * loss, except when the same number comes twice running: the sensor
 * then streams that many times slower (416 to 208 Hz with as many
 * samples per packet spaces them twice as far, as one lost packet does).
 * Any other spacing means the rate changed: the spacing gives the new
 * one, or the next packet's does.
 */
static double movesense_track_rate(struct imu_state *st, const struct sensor_state *s,
				   const struct imu_packet *pkt)
{
	if (st->ms_have_prev) {
		unsigned multiple = 0;
		bool fits = st->ms_rate_hz > 0 &&
			    movesense_spacing_fits(st, pkt->t_first_raw, &multiple);
		if (fits && multiple > 1 && multiple == st->ms_prev_multiple)
			fits = false;
		if (!fits) {
			st->ms_rate_hz = movesense_rate_from_spacing(st, pkt->t_first_raw);
			multiple = 0;
		}
		st->ms_prev_multiple = multiple;
	}
	st->ms_have_prev = true;
	st->ms_prev_raw = pkt->t_first_raw;
	st->ms_prev_count = pkt->count;
	if (st->ms_rate_hz > 0 && st->ms_rate_hz != st->ms_logged_hz) {
		log_info("sensor %s streams Movesense IMU6 at %.0f Hz", s->addr_str,
			 st->ms_rate_hz);
		st->ms_logged_hz = st->ms_rate_hz;
	}
	return st->ms_rate_hz;
}

/* The samples' times within the packet at the rate now known, as
 * imu_ms_parse_imu6 makes them. */
static void movesense_restamp(struct imu_packet *pkt, struct imu_sample *samples, double rate_hz)
{
	pkt->rate_hz = rate_hz;
	for (size_t i = 0; i < pkt->count; i++)
		samples[i].t_us = llround((double)i * 1e6 / rate_hz);
}

static void movesense_drop_held(struct imu_state *st, const struct sensor_state *s)
{
	if (st->ms_held_len)
		log_debug("sensor %s: a Movesense packet of unknown rate is not used", s->addr_str);
	st->ms_held_len = 0;
}

/* Keeps the packet until the next one tells its rate; one packet, the
 * latest, is kept. */
static void movesense_hold(struct imu_state *st, const struct sensor_state *s,
			   const struct notification *n)
{
	movesense_drop_held(st, s);
	if (n->len > sizeof(st->ms_held)) {
		log_debug("sensor %s: a %u-byte Movesense packet is too long to keep", s->addr_str,
			  n->len);
		return;
	}
	memcpy(st->ms_held, n->value, n->len);
	st->ms_held_len = n->len;
	st->ms_held_host_us = n->host_time_us;
}

/* The held packet through the INS at the rate just learned. */
static bool movesense_feed_held(struct ingest *in, struct sensor_state *s)
{
	struct imu_state *st = s->imu;
	struct imu_packet pkt;
	bool ok = imu_ms_parse_imu6(st->ms_held, st->ms_held_len, st->ms_held[1], st->ms_rate_hz, 0,
				    0, st->foot, &pkt, in->ms_held_samples, MS_HELD_MAX_SAMPLES);
	st->ms_held_len = 0;
	return ok && imu_feed(in, s, &pkt, in->ms_held_samples, st->ms_held_host_us);
}

static bool imu_decode_movesense(struct ingest *in, struct sensor_state *s,
				 const struct notification *n, bool *active)
{
	struct imu_state *st = imu_state_of(in, s);
	struct imu_packet pkt;

	if (n->len >= 1 && n->value[0] == IMU_MS_RESP_COMMAND)
		return true; /* the answer to a subscription: nothing to decode */
	/* Any subscription's reference is accepted. */
	double rate_hz = st->ms_rate_hz > 0 ? st->ms_rate_hz : MS_PROVISIONAL_RATE_HZ;
	if (n->len < 2 || !imu_ms_parse_imu6(n->value, n->len, n->value[1], rate_hz, 0, 0, st->foot,
					     &pkt, in->imu_samples, IMU_MAX_SAMPLES))
		return false;
	rate_hz = movesense_track_rate(st, s, &pkt);
	if (!(rate_hz > 0)) {
		movesense_hold(st, s, n);
		return true;
	}
	if (pkt.rate_hz != rate_hz)
		movesense_restamp(&pkt, in->imu_samples, rate_hz);
	if (st->ms_held_len)
		*active = movesense_feed_held(in, s);
	*active |= imu_feed(in, s, &pkt, in->imu_samples, n->host_time_us);
	return true;
}

/* After a link loss the sensor is subscribed again, perhaps at another
 * rate: learn it again. A packet still waiting for its rate never will. */
static void movesense_link_lost(struct imu_state *st, const struct sensor_state *s)
{
	movesense_drop_held(st, s);
	st->ms_rate_hz = 0;
	st->ms_have_prev = false;
	st->ms_prev_multiple = 0;
}

/* ---- shoe-IMU strides in the run ---- */

static double imu_distance_m(const struct run_totals *t)
{
	double sum_m = 0;
	int sides = 0;
	for (int i = 0; i < 2; i++)
		if (t->imu_side_strides[i]) {
			sum_m += t->imu_side_m[i];
			sides++;
		}
	return sides ? sum_m / sides : NAN;
}

/* A stride across a restart has no trustworthy length: its distance is
 * taken at the foot's last good speed, so a lost stretch is not lost
 * distance. */
static void imu_add_to_totals(struct run_totals *t, const struct imu_state *st, int side,
			      const struct ins_stride *x)
{
	t->imu_side_m[side] += x->valid ? x->length_m : st->last_speed_mps * x->duration_us * 1e-6;
	t->imu_side_strides[side]++;
	if (x->valid) {
		t->imu_length_sum_m += x->length_m;
		t->imu_duration_sum_s += x->duration_us * 1e-6;
		t->imu_valid_strides++;
	}
}

static void imu_store_stride(struct ingest *in, const struct ins_stride *x)
{
	int sensor = in->run.merge_sensor[x->foot == IMU_FOOT_RIGHT];
	if (sensor < 0)
		return;
	const struct sensor_state *s = &in->sensors[sensor];
	const struct imu_state *st = s->imu;
	/* x is on the host's clock (imu_add_stride), the clipped spans on the IMU's */
	bool clipped =
		imu_clipped_between(st, x->start_us - st->offset_us, x->end_us - st->offset_us);
	struct store_stride row = {
		.sensor_id = s->sensor_id,
		.start_us = x->start_us,
		.end_us = x->end_us,
		.length_m = x->length_m,
		.duration_s = x->duration_us * 1e-6,
		.speed_mps = x->speed_mps,
		.height_change_m = x->height_change_m,
		.stance_s = x->stance_us * 1e-6,
		.clearance_m = x->clearance_m,
	};
	snprintf(row.foot, sizeof(row.foot), "%s", foot_name(st->foot));
	snprintf(row.flags, sizeof(row.flags), "%s%s%s", x->gap ? "gap," : "",
		 x->valid ? "" : "restart,", clipped ? "clipped," : "");
	size_t len = strlen(row.flags);
	if (len)
		row.flags[len - 1] = '\0';
	in->stats.strides++;
	if (store_stride(in->store, in->run.id, &row) < 0)
		store_failed(in, -EIO, "a stride");
}

/* Stores the strides both feet have reported past; everything with flush.
 * A foot far behind (its IMU gone) does not hold the other one back. */
static void imu_drain(struct ingest *in, bool flush)
{
	struct ins_merge *m = &in->run.merge;
	struct ins_stride x;
	for (;;) {
		bool lagging = m->len[0] >= INS_MERGE_QUEUE / 2 || m->len[1] >= INS_MERGE_QUEUE / 2;
		if (!ins_merge_pop(m, flush || lagging, &x))
			return;
		two_feet_correct(&in->run.two_feet, &x);
		imu_store_stride(in, &x);
	}
}

static void imu_add_stride(struct ingest *in, int sensor, const struct ins_stride *x)
{
	struct run_acc *run = &in->run;
	const struct imu_state *st = in->sensors[sensor].imu;
	int side = x->foot == IMU_FOOT_RIGHT;

	if (run->merge_sensor[side] != sensor) {
		if (run->merge_sensor[side] >= 0) {
			imu_drain(in, true); /* another IMU on this side: store the first one's */
			two_feet_init(&run->two_feet); /* and its errors go with it */
		}
		run->merge_sensor[side] = sensor;
	}
	imu_add_to_totals(&run->totals, st, side, x);
	if (run->primary_pod < 0)
		run->totals.distance_m = imu_distance_m(&run->totals);
	/* Each IMU counts on a clock of its own: the merge and two_feet line
	 * the feet up in time, so both on the host's. */
	struct ins_stride host = *x;
	host.start_us += st->offset_us;
	host.end_us += st->offset_us;
	ins_merge_push(&run->merge, side, &host);
}

/*
 * Records a gap of a sensor in the run. One silence is often seen twice:
 * the session finds the sensor silent by arrival times, and an IMU's
 * sequence numbers find the packets lost in sensor time. Gaps of one
 * sensor that overlap are one gap, widened to cover both.
 */
static int record_sensor_gap(struct ingest *in, struct sensor_state *s, int64_t from_us,
			     int64_t to_us)
{
	struct run_acc *run = &in->run;
	if (s->gap_run_id == run->id && from_us <= s->gap_to_us && to_us >= s->gap_from_us) {
		int64_t was_us = s->gap_to_us - s->gap_from_us;
		if (from_us < s->gap_from_us)
			s->gap_from_us = from_us;
		if (to_us > s->gap_to_us)
			s->gap_to_us = to_us;
		if (s->gap_to_us - s->gap_from_us == was_us)
			return 0;
		run->gap_s += (s->gap_to_us - s->gap_from_us - was_us) / (double)US_PER_S;
		if (s->gap_id &&
		    store_gap_widen(in->store, s->gap_id, s->gap_from_us, s->gap_to_us) < 0)
			return store_failed(in, -EIO, "a gap");
		return 0;
	}
	in->stats.gaps++;
	run->gaps++;
	run->gap_s += (to_us - from_us) / (double)US_PER_S;
	s->gap_run_id = run->id;
	s->gap_from_us = from_us;
	s->gap_to_us = to_us;
	s->gap_id = 0;
	if (store_gap(in->store, run->id, s->sensor_id, from_us, to_us, &s->gap_id) < 0)
		return store_failed(in, -EIO, "a gap");
	return 0;
}

static int imu_record_gap(struct ingest *in, struct sensor_state *s, const struct imu_gap *g)
{
	int64_t from_us = g->from_us + s->imu->offset_us, to_us = g->to_us + s->imu->offset_us;
	log_debug("sensor %s lost %u packets (%u samples, %.3f s) during run %lld", s->addr_str,
		  g->lost_packets, g->lost_samples, (to_us - from_us) / (double)US_PER_S,
		  (long long)in->run.id);
	return record_sensor_gap(in, s, from_us, to_us);
}

/* What the notification just decoded produced, now that it has a run. */
static void imu_aggregate(struct ingest *in)
{
	struct imu_pending *p = &in->imu_pending;
	if (p->sensor < 0)
		return;
	struct sensor_state *s = &in->sensors[p->sensor];
	if (p->has_gap)
		imu_record_gap(in, s, &p->gap);
	for (unsigned i = 0; i < p->n_strides; i++)
		imu_add_stride(in, p->sensor, &p->strides[i]);
	imu_drain(in, false);
}

/* ---- run start and end ---- */

static void open_capture(struct ingest *in)
{
	struct run_acc *run = &in->run;
	char stamp[32], why[512];
	time_t start_s = (time_t)(run->start_us / US_PER_S);
	struct tm tm;

	if (!in->capture_dir[0])
		return;
	gmtime_r(&start_s, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	int len = snprintf(run->capture_path, sizeof(run->capture_path), "%s/run-%06lld-%s.btsnoop",
			   in->capture_dir, (long long)run->id, stamp);
	int err = len < (int)sizeof(run->capture_path) ? paths_make_parent(run->capture_path)
						       : -ENAMETOOLONG;
	if (err == 0)
		err = capture_writer_open(run->capture_path, &run->capture, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "cannot create a file in %s: %s", in->capture_dir,
			 strerror(-err));
	if (err < 0) {
		log_warning("run %lld is not recorded to a capture: %s", (long long)run->id, why);
		run->capture = NULL;
		run->capture_path[0] = '\0';
	}
}

static int begin_run(struct ingest *in, int64_t start_us)
{
	struct run_acc *run = &in->run;
	*run = (struct run_acc){ .start_us = start_us,
				 .primary_pod = -1,
				 .merge_sensor = { -1, -1 } };
	run->totals.hr_max = NAN;
	ins_merge_init(&run->merge);
	two_feet_init(&run->two_feet);
	/* Roles may have been given since the IMUs were first seen. */
	for (int i = 0; i < SESSION_MAX_SENSORS; i++)
		if (in->sensors[i].imu && !in->sensors[i].imu->foot_from_role)
			imu_resolve_foot(in, &in->sensors[i]);
	run->at_last_active = run->totals;
	baro_climb_init(&run->climb, CLIMB_WINDOW_S, CLIMB_HYSTERESIS_M);
	if (store_run_begin(in->store, start_us, in->source, &run->id) < 0)
		return store_failed(in, -EIO, "a new run");
	in->in_run = true;
	in->stats.runs++;
	open_capture(in);
	log_notice("run %lld started", (long long)run->id);
	return 0;
}

static void close_capture(struct ingest *in)
{
	struct run_acc *run = &in->run;
	if (!run->capture)
		return;
	if (capture_writer_close(run->capture) < 0)
		log_warning("capture %s of run %lld is incomplete", run->capture_path,
			    (long long)run->id);
	else if (store_run_set_capture(in->store, run->id, run->capture_path) < 0)
		store_failed(in, -EIO, "the capture's name");
	run->capture = NULL;
}

/* A foot pod's cadence is its own count; without a pod, two steps per
 * IMU stride. */
static double run_cadence_spm(const struct run_totals *t)
{
	if (t->cadence_n)
		return t->cadence_sum / t->cadence_n;
	return t->imu_valid_strides ? 120.0 / (t->imu_duration_sum_s / t->imu_valid_strides) : NAN;
}

/* The shoe IMUs measure each stride; a pod's stride length is its speed
 * over its cadence and carries its calibration error (up to 4%). So the
 * IMUs' mean stride length is the run's whenever they have one, while a
 * pod keeps the distance (its counter survives lost packets). */
static double run_stride_length_m(const struct run_totals *t)
{
	if (t->imu_valid_strides)
		return t->imu_length_sum_m / t->imu_valid_strides;
	return mean_or_nan(t->stride_sum, t->stride_n);
}

/*
 * Each INS holds its foot's last stride until the stance after it is
 * over, and at the end of a run that stance is never closed: flush them so
 * the run keeps its last strides. A flushed INS takes no more samples; the
 * IMU's next data make a new one (it levels itself at the first stance).
 * A final stride at running speed counts in the summary as the running
 * report it would have been.
 */
static void imu_flush_run(struct ingest *in)
{
	struct run_acc *run = &in->run;
	struct ins_stride x;
	for (int i = 0; i < SESSION_MAX_SENSORS; i++) {
		struct imu_state *st = in->sensors[i].imu;
		if (!st || !st->ins)
			continue;
		while (ins_flush(st->ins, &x)) {
			imu_note_stride(st, &x);
			imu_add_stride(in, i, &x);
			if (imu_stride_running(in, &x))
				imu_add_to_totals(&run->at_last_active, st,
						  x.foot == IMU_FOOT_RIGHT, &x);
		}
		ins_free(st->ins);
		st->ins = NULL;
	}
}

/* Brings the sensors' last-seen times in the store up to date. */
static void store_seen(struct ingest *in, struct sensor_state *s)
{
	if (s->heard_us <= s->seen_stored_us)
		return;
	s->seen_stored_us = s->heard_us;
	if (store_sensor_seen(in->store, s->sensor_id, s->heard_us) < 0)
		store_failed(in, -EIO, "when a sensor was last seen");
}

static void store_seen_all(struct ingest *in)
{
	for (int i = 0; i < SESSION_MAX_SENSORS; i++)
		if (in->sensors[i].used)
			store_seen(in, &in->sensors[i]);
}

static int end_run(struct ingest *in, const struct session_event *ev)
{
	struct run_acc *run = &in->run;
	imu_flush_run(in);
	imu_drain(in, true);
	store_seen_all(in);
	int err = flush_second(in);
	const struct run_totals *t = &run->at_last_active;
	close_capture(in);
	struct store_run summary = {
		.id = run->id,
		.start_us = ev->start_us,
		.end_us = ev->end_us,
		.duration_s = (ev->end_us - ev->start_us) / (double)US_PER_S,
		.distance_m = run->primary_pod >= 0 ? t->distance_m : imu_distance_m(t),
		.elevation_gain_m = run->have_reference ? t->gain_m : NAN,
		.elevation_loss_m = run->have_reference ? t->loss_m : NAN,
		.cadence_spm = run_cadence_spm(t),
		.stride_length_m = run_stride_length_m(t),
		.heart_rate_bpm = mean_or_nan(t->hr_sum, t->hr_n),
		.heart_rate_max_bpm = t->hr_max,
		.notifications = run->notifications,
		.gaps = run->gaps,
		.gap_s = run->gap_s,
	};
	summary.speed_mps = summary.duration_s > 0 ? summary.distance_m / summary.duration_s : NAN;
	snprintf(summary.end_reason, sizeof(summary.end_reason), "%s", ev->reason);
	snprintf(summary.source, sizeof(summary.source), "%s", in->source);
	snprintf(summary.capture_path, sizeof(summary.capture_path), "%s", run->capture_path);
	in->in_run = false;
	in->last_run_id = run->id;
	if (store_run_end(in->store, &summary) < 0 || store_flush(in->store) < 0 ||
	    terrain_compute_run(in->store, run->id, &in->config.segments, NULL) < 0)
		err = store_failed(in, -EIO, "the end of a run");
	log_notice("run %lld ended (%s): %.0f s, %.0f m", (long long)run->id, ev->reason,
		   summary.duration_s, summary.distance_m);
	return err;
}

static int record_gap(struct ingest *in, const struct session_event *ev)
{
	struct sensor_state *s = &in->sensors[ev->sensor];
	log_info("sensor %s silent for %.1f s during run %lld", s->addr_str,
		 (ev->end_us - ev->start_us) / (double)US_PER_S, (long long)in->run.id);
	return record_sensor_gap(in, s, ev->start_us, ev->end_us);
}

static int handle_events(struct ingest *in, const struct session_event *ev, size_t n)
{
	int err = 0;
	for (size_t i = 0; i < n; i++) {
		int r = 0;
		if (ev[i].type == SESSION_RUN_STARTED)
			r = begin_run(in, ev[i].start_us);
		else if (!in->in_run)
			continue; /* the run could not be stored: nothing to end */
		else if (ev[i].type == SESSION_GAP)
			r = record_gap(in, &ev[i]);
		else
			r = end_run(in, &ev[i]);
		if (r < 0)
			err = r;
	}
	return err;
}

/* ---- decoding ---- */

struct decoded {
	bool ok;
	bool active;
	bool is_rsc;
	bool is_imu;
	struct rsc_measurement rsc;
	bool has_hr, has_pressure, has_temperature;
	double hr_bpm, pressure_pa, temperature_c;
};

static void remember_convention(struct ingest *in, struct sensor_state *s)
{
	enum rsc_convention conv = rsc_cadence_convention(&s->cadence);
	if (conv == RSC_CONVENTION_UNKNOWN || conv == s->convention_stored)
		return;
	s->convention_stored = conv;
	log_info("sensor %s counts cadence in %s per minute", s->addr_str,
		 rsc_convention_name(conv));
	if (store_sensor_set_convention(in->store, s->sensor_id, rsc_convention_name(conv)) < 0)
		store_failed(in, -EIO, "a cadence convention");
}

static struct decoded decode(struct ingest *in, struct sensor_state *s,
			     const struct notification *n)
{
	struct decoded d = { .ok = true };
	struct hrm_measurement hrm;
	uint16_t features;
	uint8_t location;

	switch (gatt_uuid_to16(&n->uuid)) {
	case UUID_RSC_MEASUREMENT:
		d.ok = d.is_rsc = rsc_parse_measurement(n->value, n->len, &d.rsc);
		if (d.ok) {
			s->reports_running |= d.rsc.running;
			d.active = s->reports_running
					   ? d.rsc.running
					   : d.rsc.speed_mps >= in->config.start_speed_mps;
			rsc_cadence_observe(&s->cadence, &d.rsc);
			remember_convention(in, s);
		}
		break;
	case UUID_HEART_RATE_MEASUREMENT:
		d.ok = d.has_hr = hrm_parse_measurement(n->value, n->len, &hrm);
		d.hr_bpm = hrm.heart_rate_bpm;
		/* A strap without skin contact reports nonsense. */
		if (d.ok &&
		    ((hrm.contact_supported && !hrm.contact_detected) || hrm.heart_rate_bpm == 0))
			d.has_hr = false;
		break;
	case UUID_PRESSURE:
		d.ok = d.has_pressure = ess_parse_pressure(n->value, n->len, &d.pressure_pa);
		break;
	case UUID_TEMPERATURE:
		/* "unknown" (0x8000) is well formed; only a short value is not. */
		d.has_temperature = ess_parse_temperature(n->value, n->len, &d.temperature_c);
		d.ok = n->len >= 2;
		break;
	case UUID_RSC_FEATURE:
		d.ok = rsc_parse_feature(n->value, n->len, &features);
		s->reports_running |= d.ok && (features & RSC_FEATURE_RUNNING_STATUS);
		break;
	case UUID_SENSOR_LOCATION:
		d.ok = rsc_parse_sensor_location(n->value, n->len, &location);
		break;
	default:
		if (gatt_uuid_equal(&n->uuid, &in->uuid_imu_data))
			d.ok = d.is_imu = imu_decode_data(in, s, n, &d.active);
		else if (gatt_uuid_equal(&n->uuid, &in->uuid_imu_config))
			d.ok = imu_decode_config(in, s, n);
		else if (gatt_uuid_equal(&n->uuid, &in->uuid_movesense))
			d.ok = d.is_imu = imu_decode_movesense(in, s, n, &d.active);
		else {
			note_unknown(in, s, n);
			return d;
		}
		break;
	}
	if (!d.ok)
		note_malformed(in, s, n);
	return d;
}

static void aggregate(struct ingest *in, int sensor, const struct decoded *d, int64_t t_us)
{
	if (d->is_rsc) {
		aggregate_rsc(in, sensor, &d->rsc, t_us);
		return;
	}
	if (d->is_imu) {
		imu_aggregate(in);
		return;
	}
	if (!d->has_hr && !d->has_pressure && !d->has_temperature)
		return;
	struct second_acc *sec = second_of(in, t_us);
	if (d->has_hr) {
		sec->hr_sum += d->hr_bpm;
		sec->hr_n++;
	}
	if (d->has_pressure) {
		sec->pressure_sum += d->pressure_pa;
		sec->pressure_n++;
	}
	if (d->has_temperature) {
		sec->temperature_sum += d->temperature_c;
		sec->temperature_n++;
	}
}

static void record_to_capture(struct ingest *in, const struct notification *n)
{
	struct run_acc *run = &in->run;
	int err = run->capture ? capture_writer_notification(run->capture, n) : 0;
	if (err == -EMSGSIZE) {
		/* One value too long for a capture record: skip it, keep recording. */
		log_warning("run %lld: a %u-byte notification is too long for the capture; "
			    "it is stored but not recorded",
			    (long long)run->id, n->len);
		return;
	}
	if (err < 0) {
		log_warning("cannot write capture %s; recording of run %lld stops here",
			    run->capture_path, (long long)run->id);
		capture_writer_close(run->capture);
		run->capture = NULL;
		run->capture_path[0] = '\0';
	}
}

int ingest_notification(struct ingest *in, const struct notification *n)
{
	struct session_event ev[SESSION_MAX_EVENTS];
	int sensor = sensor_index(in, n);
	int err;

	in->stats.notifications++;
	in->imu_pending.sensor = -1;
	in->imu_pending.n_strides = 0;
	in->imu_pending.has_gap = false;
	if (sensor < 0) {
		char addr[18];
		log_warning("too many sensors (%d): ignoring %s", SESSION_MAX_SENSORS,
			    notification_addr_to_str(n->addr, addr, sizeof(addr)));
		return 0;
	}
	/* Time passing may end the open run: for an IMU, before this
	 * notification's samples reach the INS that the run's end flushes
	 * (for the others, session_observe below does the same). */
	struct sensor_state *s = &in->sensors[sensor];
	err = s->imu ? ingest_tick(in, n->host_time_us) : 0;
	if (n->host_time_us > s->heard_us)
		s->heard_us = n->host_time_us;
	if (s->heard_us - s->seen_stored_us >= SEEN_EVERY_US)
		store_seen(in, s);
	struct decoded d = decode(in, s, n);
	size_t n_ev = session_observe(&in->session, sensor, n->host_time_us, d.ok && d.active, ev);
	int r = handle_events(in, ev, n_ev);
	if (r < 0)
		err = r;
	if (in->in_run) {
		in->run.notifications++;
		record_to_capture(in, n);
		if (d.ok)
			aggregate(in, sensor, &d, n->host_time_us);
		if (d.ok && d.active)
			in->run.at_last_active = in->run.totals;
	}
	if (store_notification(in->store, in->in_run ? in->run.id : 0,
			       in->sensors[sensor].sensor_id, n) < 0)
		err = store_failed(in, -EIO, "a notification");
	return err;
}

void ingest_link_lost(struct ingest *in, const uint8_t addr[NOTIFICATION_ADDR_LEN])
{
	for (int i = 0; i < SESSION_MAX_SENSORS; i++)
		if (in->sensors[i].used &&
		    memcmp(in->sensors[i].addr, addr, NOTIFICATION_ADDR_LEN) == 0) {
			session_sensor_lost(&in->session, i);
			in->sensors[i].relinked = true;
			if (in->sensors[i].imu)
				movesense_link_lost(in->sensors[i].imu, &in->sensors[i]);
		}
}

int ingest_tick(struct ingest *in, int64_t now_us)
{
	struct session_event ev[SESSION_MAX_EVENTS];
	return handle_events(in, ev, session_tick(&in->session, now_us, ev));
}

int ingest_finish(struct ingest *in, const char *reason)
{
	struct session_event ev[SESSION_MAX_EVENTS];
	int err = handle_events(in, ev, session_finish(&in->session, reason, ev));
	store_seen_all(in);
	if (store_flush(in->store) < 0)
		err = store_failed(in, -EIO, "the last writes");
	return err;
}

int64_t ingest_last_run(const struct ingest *in)
{
	return in->last_run_id;
}

void ingest_stats(const struct ingest *in, struct ingest_stats *out)
{
	*out = in->stats;
}
