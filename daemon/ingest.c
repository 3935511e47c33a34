// SPDX-License-Identifier: GPL-2.0-or-later
#include "ingest.h"

#include <errno.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "ingest_internal.h"
#include "log.h"
#include "paths.h"
#include "terrain.h"
#include "util/utc.h"
#include "util/xalloc.h"

/* Climb on a 12-s average, counted once it exceeds 0.3 m or what the
 * sensor's noise and resolution could fake (baro.h). Chosen on simulated
 * hilly runs (gain within ±5% on 40 of 40 seeds) and a real flat run
 * (3 m counted over 7 km). */
#define CLIMB_WINDOW_S 12
#define CLIMB_HYSTERESIS_M 0.3
/* Beyond this a pod's distance counter was reset, not run. */
#define MAX_DISTANCE_STEP_M 100.0
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
	in->starting_sensor = -1;
	drivers_init(&in->drivers);
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
			strides_foot_free(in->sensors[i].imu->strides);
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
int ingest_store_failed(struct ingest *in, int err, const char *what)
{
	/* A full disk is said once, by the store, which keeps what it can. */
	bool said = store_holding(in->store) && store_errno(in->store) == -ENOSPC;
	if (worth_logging(++in->stats.store_errors) && !said)
		log_error("cannot store %s: %s (%llu failed writes so far)", what,
			  store_error(in->store), (unsigned long long)in->stats.store_errors);
	return err == -EIO ? store_errno(in->store) : err;
}

/* The sensor's row, committed at once where nothing is held for a whole
 * run, so that the notifications' sensor is in the file whatever happens
 * next. If the disk filled then, the batch with the row went: the store now
 * holds the row in memory, under the id it will have. */
static int store_sensor_row(struct ingest *in, struct sensor_state *s, const struct notification *n)
{
	struct store *st = in->store;
	int err = store_sensor(st, s->addr_str, n->addr_type, n->host_time_us, &s->sensor_id);
	if (err == 0 && !ingest_holds_run(in) && !store_holding(st))
		err = store_flush(st);
	if (err == -ENOSPC && store_holding(st))
		err = store_sensor(st, s->addr_str, n->addr_type, n->host_time_us, &s->sensor_id);
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
	if (store_sensor_row(in, s, n) < 0)
		ingest_store_failed(in, -EIO, "a new sensor");
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
	treadmill_fill_sample(&run->tm, in->store,
			      run->primary_pod >= 0 ? in->sensors[run->primary_pod].sensor_id : 0,
			      ingest_imu_distance_m(&run->totals), &sample);
	add_to_totals(&run->totals, &sample, sec);
	run->totals.gain_m = run->climb.gain_m;
	run->totals.loss_m = run->climb.loss_m;
	*sec = (struct second_acc){ 0 };
	if (store_sample(in->store, run->id, &sample) < 0 ||
	    treadmill_store_sample(&run->tm, in->store, run->id, &sample) < 0)
		return ingest_store_failed(in, -EIO, "a sample");
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

/*
 * Records a gap of a sensor in the run. One silence is often seen twice:
 * the session finds the sensor silent by arrival times, and an IMU's
 * sequence numbers find the packets lost in sensor time. Gaps of one
 * sensor that overlap are one gap, widened to cover both.
 */
int ingest_record_sensor_gap(struct ingest *in, struct sensor_state *s, int64_t from_us,
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
			return ingest_store_failed(in, -EIO, "a gap");
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
		return ingest_store_failed(in, -EIO, "a gap");
	return 0;
}

/* ---- run start and end ---- */

/* How many names a run's capture tries ("run-ID-STAMP.btsnoop", then
 * "-2" to "-9") before it is recorded without one. */
#define CAPTURE_NAME_TRIES 9

/* A symbolic link at a capture's name may be planted: say so, it is left
 * alone (O_EXCL does not follow it) and the next name is tried. */
static void warn_if_link(const char *path, int err)
{
	struct stat st;
	if (err == -EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		log_warning("capture file %s is a symbolic link: left alone, so its target is not "
			    "overwritten; the run is recorded under the next free name",
			    path);
}

/* Creates the run's capture under a name no file has: a file already
 * there (a database started afresh reuses run ids) is never truncated. */
static int create_capture(struct ingest *in, const char *stamp, char *why, size_t why_len)
{
	struct run_acc *run = &in->run;
	int err = -EEXIST;
	for (int i = 1; i <= CAPTURE_NAME_TRIES && err == -EEXIST; i++) {
		char suffix[8] = "";
		if (i > 1)
			snprintf(suffix, sizeof(suffix), "-%d", i);
		int len = snprintf(run->capture_path, sizeof(run->capture_path),
				   "%s/run-%06lld-%s%s.btsnoop", in->capture_dir,
				   (long long)run->id, stamp, suffix);
		err = len < (int)sizeof(run->capture_path) ? paths_make_parent(run->capture_path)
							   : -ENAMETOOLONG;
		if (err < 0) {
			snprintf(why, why_len, "cannot create a file in %s: %s", in->capture_dir,
				 strerror(-err));
			return err;
		}
		err = capture_writer_create(run->capture_path, &run->capture, why, why_len);
		warn_if_link(run->capture_path, err);
	}
	if (err == -EEXIST)
		snprintf(why, why_len, "%d capture files of this run's name are in %s already",
			 CAPTURE_NAME_TRIES, in->capture_dir);
	return err;
}

static void open_capture(struct ingest *in)
{
	struct run_acc *run = &in->run;
	char stamp[32], why[512];

	if (!in->capture_dir[0])
		return;
	utc_text(run->start_us, UTC_STAMP, "19700101T000000Z", stamp, sizeof(stamp));
	int err = create_capture(in, stamp, why, sizeof(why));
	if (err < 0) {
		log_warning("run %lld is not recorded to a capture: %s", (long long)run->id, why);
		run->capture = NULL;
		run->capture_path[0] = '\0';
	} else if (store_run_set_capture(in->store, run->id, run->capture_path) < 0) {
		/* Named from the start, so a run killed mid-way still finds it. */
		ingest_store_failed(in, -EIO, "the capture's name");
	}
}

/* A replay run again meets a run it stored before: true if this one is
 * to be skipped. What came before it is committed first, so that
 * discarding the run at its end discards nothing else. */
static bool stored_before(struct ingest *in, int64_t start_us)
{
	int64_t id = 0, crashed = 0;
	char when[32];
	if (!in->config.skip_stored_runs || in->starting_sensor < 0)
		return false;
	const struct sensor_state *s = &in->sensors[in->starting_sensor];
	int err = store_find_started_run(in->store, start_us, s->addr_str, &id, &crashed);
	if (err == -ENOENT && crashed)
		log_warning("run %lld, started at the same time by the same sensor %s, was cut "
			    "short by a crash: this run is stored again whole",
			    (long long)crashed, s->addr_str);
	/* On a full disk the flush marks what the skipped run's discard
	 * goes back to, in memory. */
	if (err < 0 || (store_flush(in->store) < 0 && !store_holding(in->store)))
		return false;
	in->skipping = true;
	in->skipped_as = id;
	if (in->config.on_skipped) {
		in->config.on_skipped(in->config.skipped_user, start_us, id);
	} else {
		utc_text(start_us, UTC_LOG, "an impossible time", when, sizeof(when));
		log_notice("the run starting %s is stored already, as run %lld (same start, same "
			   "sensor %s): skipped, not stored again",
			   when, (long long)id, s->addr_str);
	}
	return true;
}

/* The run's row, committed at once unless the run is committed whole. If
 * the disk filled as it opened, the batch with the row went: the store now
 * holds what is written in memory, and the row with it, under the id it
 * will have. */
static int store_run_row(struct ingest *in, int64_t start_us)
{
	struct store *s = in->store;
	int err = store_run_begin(s, start_us, in->source, &in->run.id);
	if (err == 0 && !in->config.whole_runs && !store_holding(s))
		err = store_flush(s);
	if (err == -ENOSPC && store_holding(s))
		err = store_run_begin(s, start_us, in->source, &in->run.id);
	return err;
}

static int begin_run(struct ingest *in, int64_t start_us)
{
	struct run_acc *run = &in->run;
	*run = (struct run_acc){ .start_us = start_us,
				 .primary_pod = -1,
				 .merge_sensor = { -1, -1 } };
	run->totals.hr_max = NAN;
	strides_join_init(&run->join);
	treadmill_run_begin(&run->tm);
	/* Roles may have been given since the IMUs were first seen. */
	for (int i = 0; i < SESSION_MAX_SENSORS; i++)
		if (in->sensors[i].imu && !in->sensors[i].imu->foot_from_role)
			ingest_imu_resolve_foot(in, &in->sensors[i]);
	run->at_last_active = run->totals;
	baro_climb_init(&run->climb, CLIMB_WINDOW_S, CLIMB_HYSTERESIS_M);
	if (stored_before(in, start_us)) {
		/* Decoded as any run (its end is found the same way), into a
		 * batch that its end throws away. */
		if (store_run_begin(in->store, start_us, in->source, &run->id) < 0)
			return ingest_store_failed(in, -EIO, "a new run");
		in->in_run = true;
		return 0;
	}
	/* Committed at once, so a run the log says started is in the file
	 * whatever happens next (a whole run is committed at its end). */
	if (store_run_row(in, start_us) < 0)
		return ingest_store_failed(in, -EIO, "a new run");
	in->in_run = true;
	if (!in->config.whole_runs)
		in->stats.runs++; /* else once it is committed, at its end */
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
		ingest_store_failed(in, -EIO, "the capture's name");
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

/* Brings the sensors' last-seen times in the store up to date. */
static void store_seen(struct ingest *in, struct sensor_state *s)
{
	if (s->heard_us <= s->seen_stored_us)
		return;
	s->seen_stored_us = s->heard_us;
	if (store_sensor_seen(in->store, s->sensor_id, s->heard_us) < 0)
		ingest_store_failed(in, -EIO, "when a sensor was last seen");
}

static void store_seen_all(struct ingest *in)
{
	for (int i = 0; i < SESSION_MAX_SENSORS; i++)
		if (in->sensors[i].used)
			store_seen(in, &in->sensors[i]);
}

/* The shoe IMUs' and the last second's state is closed as at any run's
 * end, and what it wrote goes with the rest of the skipped run. */
static int end_skipped_run(struct ingest *in)
{
	ingest_imu_flush_run(in);
	ingest_imu_drain(in, true);
	flush_second(in);
	store_discard(in->store);
	in->stats.gaps -= (uint64_t)in->run.gaps; /* counted as stored, which they are not */
	in->skipping = false;
	in->in_run = false;
	in->last_run_id = in->skipped_as;
	in->stats.runs_skipped++;
	return 0;
}

static int end_run(struct ingest *in, const struct session_event *ev)
{
	struct run_acc *run = &in->run;
	if (in->skipping)
		return end_skipped_run(in);
	ingest_imu_flush_run(in);
	ingest_imu_drain(in, true);
	store_seen_all(in);
	int err = flush_second(in);
	const struct run_totals *t = &run->at_last_active;
	close_capture(in);
	struct store_run summary = {
		.id = run->id,
		.start_us = ev->start_us,
		.end_us = ev->end_us,
		.duration_s = (ev->end_us - ev->start_us) / (double)US_PER_S,
		.distance_m = run->primary_pod >= 0 ? t->distance_m : ingest_imu_distance_m(t),
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
	treadmill_end_run(&run->tm, run->primary_pod >= 0, t->imu_valid_strides, &summary);
	in->in_run = false;
	in->last_run_id = run->id;
	/* A whole run's end, summary and segments go in one commit (the
	 * terrain's own). */
	if (store_run_end(in->store, &summary) < 0 ||
	    treadmill_store_run(&run->tm, in->store, &summary, ingest_imu_distance_m(t)) < 0 ||
	    (!in->config.whole_runs && store_flush(in->store) < 0) ||
	    /* On a full disk, by the first command that shows it. */
	    (!store_holding(in->store) &&
	     terrain_compute_run(in->store, run->id, &in->config.segments, NULL) < 0) ||
	    (in->config.whole_runs && store_flush(in->store) < 0)) {
		err = ingest_store_failed(in, -EIO, "the end of a run");
		/* A whole run that cannot be committed is none of it: what
		 * is left of its batch (a write failed part-way) goes too. */
		if (in->config.whole_runs)
			store_discard(in->store);
	} else if (in->config.whole_runs) {
		in->stats.runs++;
	}
	log_notice("run %lld ended (%s): %.0f s, %.0f m", (long long)run->id, ev->reason,
		   summary.duration_s, summary.distance_m);
	return err;
}

static int record_gap(struct ingest *in, const struct session_event *ev)
{
	struct sensor_state *s = &in->sensors[ev->sensor];
	log_info("sensor %s silent for %.1f s during run %lld", s->addr_str,
		 (ev->end_us - ev->start_us) / (double)US_PER_S, (long long)in->run.id);
	return ingest_record_sensor_gap(in, s, ev->start_us, ev->end_us);
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
	bool is_ftms;
	struct rsc_measurement rsc;
	struct ftms_treadmill_data ftms;
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
		ingest_store_failed(in, -EIO, "a cadence convention");
}

/* A pod's running status, or its speed for one that never reports it. */
static void decoded_rsc(struct ingest *in, struct sensor_state *s, struct decoded *d)
{
	d->is_rsc = true;
	s->reports_running |= d->rsc.running;
	d->active = s->reports_running ? d->rsc.running
				       : d->rsc.speed_mps >= in->config.start_speed_mps;
	rsc_cadence_observe(&s->cadence, &d->rsc);
	remember_convention(in, s);
}

/* The shoe IMUs' decoders need the sensor's clock and stream. */
static bool decode_imu(struct ingest *in, struct sensor_state *s, const struct notification *n,
		       enum decode_kind kind, struct decoded *d)
{
	if (kind == DECODE_IMU_CONFIG)
		return ingest_imu_decode_config(in, s, n);
	d->is_imu = kind == DECODE_IMU_DATA ? ingest_imu_decode_data(in, s, n, &d->active)
					    : ingest_imu_decode_movesense(in, s, n, &d->active);
	return d->is_imu;
}

static struct decoded decode(struct ingest *in, struct sensor_state *s,
			     const struct notification *n)
{
	struct decoded d = { .ok = true };
	const struct decode_driver *drv = drivers_find(&in->drivers, &n->uuid);
	struct decode_value v = { 0 };

	if (!drv) {
		note_unknown(in, s, n);
		return d;
	}
	if (drv->kind == DECODE_TREADMILL_DATA)
		d.ok = d.is_ftms =
			treadmill_decode(n, in->config.start_speed_mps, &d.ftms, &d.active);
	else if (!drv->decode)
		d.ok = decode_imu(in, s, n, drv->kind, &d);
	else if ((d.ok = drv->decode(n->value, n->len, &v)))
		switch (drv->kind) {
		case DECODE_RSC_MEASUREMENT:
			d.rsc = v.rsc;
			decoded_rsc(in, s, &d);
			break;
		case DECODE_RSC_FEATURE:
			s->reports_running |= (v.rsc_features & RSC_FEATURE_RUNNING_STATUS) != 0;
			break;
		case DECODE_HEART_RATE:
			d.has_hr = v.has_value;
			d.hr_bpm = v.heart_rate_bpm;
			break;
		case DECODE_PRESSURE:
			d.has_pressure = v.has_value;
			d.pressure_pa = v.pressure_pa;
			break;
		case DECODE_TEMPERATURE:
			d.has_temperature = v.has_value;
			d.temperature_c = v.temperature_c;
			break;
		default:
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
		ingest_imu_aggregate(in);
		return;
	}
	if (d->is_ftms) {
		second_of(in, t_us);
		treadmill_aggregate(&in->run.tm, in->sensors[sensor].addr_str, &d->ftms, t_us,
				    d->active);
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

/* A replay run again: the notification, outside any run, is stored
 * already (and is not stored again). */
static bool stored_outside(struct ingest *in, const struct sensor_state *s,
			   const struct notification *n)
{
	bool stored = false;
	if (!in->config.skip_stored_runs)
		return false;
	if (store_outside_stored(in->store, s->sensor_id, n, &stored) < 0) {
		ingest_store_failed(in, -EIO, "a notification");
		return false; /* stored, if twice, rather than lost */
	}
	if (stored && in->stats.outside_skipped++ == 0)
		log_info("notifications outside runs that are stored already (same sensor, time "
			 "and value) are not stored again");
	return stored;
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
	in->starting_sensor = -1; /* a tick's events have no notification */
	err = s->imu ? ingest_tick(in, n->host_time_us) : 0;
	in->starting_sensor = sensor;
	if (n->host_time_us > s->heard_us)
		s->heard_us = n->host_time_us;
	if (s->heard_us - s->seen_stored_us >= SEEN_EVERY_US)
		store_seen(in, s);
	struct decoded d = decode(in, s, n);
	size_t n_ev = session_observe(&in->session, sensor, n->host_time_us, d.ok && d.active, ev);
	int r = handle_events(in, ev, n_ev);
	in->starting_sensor = -1;
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
	if (!in->in_run && stored_outside(in, &in->sensors[sensor], n))
		return err;
	if (store_notification(in->store, in->in_run ? in->run.id : 0,
			       in->sensors[sensor].sensor_id, n) < 0)
		err = ingest_store_failed(in, -EIO, "a notification");
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
				ingest_imu_link_lost(in->sensors[i].imu, &in->sensors[i]);
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
		err = ingest_store_failed(in, -EIO, "the last writes");
	return err;
}

bool ingest_holds_run(const struct ingest *in)
{
	return in->in_run && (in->config.whole_runs || in->skipping);
}

int ingest_commit(struct ingest *in)
{
	if (ingest_holds_run(in))
		return 0;
	return store_flush(in->store) < 0 ? ingest_store_failed(in, -EIO, "the last writes") : 0;
}

int64_t ingest_last_run(const struct ingest *in)
{
	return in->last_run_id;
}

void ingest_stats(const struct ingest *in, struct ingest_stats *out)
{
	*out = in->stats;
}
