// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shoe IMUs in the ingest pipeline: which foot each is on, their
 * packets decoded and stamped on the sensor's clock, the host's clock
 * against it, a Movesense's rate learned, each one's samples through its
 * foot of the stride pipeline (strides.h) and both feet's strides joined
 * and stored in the run.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_internal.h"
#include "log.h"
#include "util/xalloc.h"

static const char *foot_name(uint8_t foot)
{
	return foot == IMU_FOOT_LEFT ? "left" : foot == IMU_FOOT_RIGHT ? "right" : "unknown";
}

/* The registry's role wins over the sensor's own configuration. */
void ingest_imu_resolve_foot(struct ingest *in, struct sensor_state *s)
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
		sensor_clock_rate_init(&s->imu->ms_rate);
		ingest_imu_resolve_foot(in, s);
	}
	return s->imu;
}

/* One foot pipeline per IMU, made at its first data and again if its
 * rate changes (never per sample). Its foot is the merge side: left 0,
 * right 1, and an IMU of unknown foot takes a side by the order the IMUs
 * were seen. */
static bool imu_ensure_strides(struct imu_state *st, double rate_hz, const struct sensor_state *s)
{
	if (st->strides && strides_foot_rate_hz(st->strides) == rate_hz)
		return true;
	strides_foot_free(st->strides);
	st->side = st->foot == IMU_FOOT_RIGHT ? 1 : st->foot == IMU_FOOT_LEFT ? 0 : st->ordinal % 2;
	st->strides = strides_foot_new(rate_hz, st->side ? IMU_FOOT_RIGHT : IMU_FOOT_LEFT);
	if (!st->strides)
		log_warning("sensor %s streams at %.0f Hz, which the stride estimator cannot use",
			    s->addr_str, rate_hz);
	return st->strides != NULL;
}

/* A completed stride at running speed is the IMU's "running" report. */
static bool imu_stride_running(const struct ingest *in, const struct ins_stride *x)
{
	return x->valid && x->speed_mps >= in->config.start_speed_mps;
}

/* The foot's last good speed, for the length of a stride across a
 * restart. */
static void imu_note_stride(struct imu_state *st, const struct ins_stride *x)
{
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
	if (st->strides && strides_foot_rate_hz(st->strides) != pkt->rate_hz)
		while (strides_foot_flush(st->strides, &stride))
			active |= imu_pend_stride(in, st, &stride);
	if (!imu_ensure_strides(st, pkt->rate_hz, s))
		return active;
	if (imu_stream_stamp(&st->stream, pkt, samples, &gap))
		imu_pend_gap(p, &gap);
	sensor_clock_offset_update(&st->clock, host_us, samples[pkt->count - 1].t_us);
	in->stats.imu_samples += pkt->count;
	for (size_t i = 0; i < pkt->count; i++)
		if (strides_foot_push(st->strides, &samples[i], &stride))
			active |= imu_pend_stride(in, st, &stride);
	return active;
}

bool ingest_imu_decode_data(struct ingest *in, struct sensor_state *s, const struct notification *n,
			    bool *active)
{
	struct imu_state *st = imu_state_of(in, s);
	struct imu_packet pkt;
	if (!imu_hs_parse_data(n->value, n->len, st->foot, &pkt, in->imu_samples, IMU_MAX_SAMPLES))
		return false;
	*active = imu_feed(in, s, &pkt, in->imu_samples, n->host_time_us);
	return true;
}

bool ingest_imu_decode_config(struct ingest *in, struct sensor_state *s,
			      const struct notification *n)
{
	struct imu_state *st = imu_state_of(in, s);
	struct imu_hs_config config;
	if (!imu_hs_parse_config(n->value, n->len, &config))
		return false;
	st->config_foot = config.foot;
	if (!st->foot_from_role)
		ingest_imu_resolve_foot(in, s);
	return true;
}

/* The packet's rate, from its spacing after the previous one (0 while
 * it is unknown), logged when it changes. */
static double movesense_track_rate(struct imu_state *st, const struct sensor_state *s,
				   const struct imu_packet *pkt)
{
	double rate_hz = sensor_clock_rate_track(&st->ms_rate, pkt->t_first_raw, pkt->count);
	if (rate_hz > 0 && rate_hz != st->ms_logged_hz) {
		log_info("sensor %s streams Movesense IMU6 at %.0f Hz", s->addr_str, rate_hz);
		st->ms_logged_hz = rate_hz;
	}
	return rate_hz;
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
	bool ok =
		imu_ms_parse_imu6(st->ms_held, st->ms_held_len, st->ms_held[1], st->ms_rate.rate_hz,
				  0, 0, st->foot, &pkt, in->ms_held_samples, MS_HELD_MAX_SAMPLES);
	st->ms_held_len = 0;
	return ok && imu_feed(in, s, &pkt, in->ms_held_samples, st->ms_held_host_us);
}

bool ingest_imu_decode_movesense(struct ingest *in, struct sensor_state *s,
				 const struct notification *n, bool *active)
{
	struct imu_state *st = imu_state_of(in, s);
	struct imu_packet pkt;

	if (n->len >= 1 && n->value[0] == IMU_MS_RESP_COMMAND)
		return true; /* the answer to a subscription: nothing to decode */
	/* Any subscription's reference is accepted. */
	double rate_hz = st->ms_rate.rate_hz > 0 ? st->ms_rate.rate_hz : MS_PROVISIONAL_RATE_HZ;
	if (n->len < 2 || !imu_ms_parse_imu6(n->value, n->len, n->value[1], rate_hz, 0, 0, st->foot,
					     &pkt, in->imu_samples, IMU_MAX_SAMPLES))
		return false;
	rate_hz = movesense_track_rate(st, s, &pkt);
	if (!(rate_hz > 0)) {
		movesense_hold(st, s, n);
		return true;
	}
	if (pkt.rate_hz != rate_hz)
		sensor_clock_restamp(&pkt, in->imu_samples, rate_hz);
	if (st->ms_held_len)
		*active = movesense_feed_held(in, s);
	*active |= imu_feed(in, s, &pkt, in->imu_samples, n->host_time_us);
	return true;
}

/* After a link loss the sensor is subscribed again, perhaps at another
 * rate: learn it again. A packet still waiting for its rate never will. */
void ingest_imu_link_lost(struct imu_state *st, const struct sensor_state *s)
{
	movesense_drop_held(st, s);
	sensor_clock_rate_reset(&st->ms_rate);
}

/* ---- shoe-IMU strides in the run ---- */

double ingest_imu_distance_m(const struct run_totals *t)
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
	snprintf(row.flags, sizeof(row.flags), "%s%s%s%s", x->gap ? "gap," : "",
		 x->valid ? "" : "restart,", x->clipped ? "clipped," : "",
		 x->split ? "split," : "");
	size_t len = strlen(row.flags);
	if (len)
		row.flags[len - 1] = '\0';
	treadmill_note_stride(&in->run.tm, x, x->clipped);
	in->stats.strides++;
	if (store_stride(in->store, in->run.id, &row) < 0)
		ingest_store_failed(in, -EIO, "a stride");
}

/* Stores the strides both feet have reported past; everything with flush.
 * A foot far behind (its IMU gone) does not hold the other one back. */
void ingest_imu_drain(struct ingest *in, bool flush)
{
	struct ins_stride x;
	while (strides_join_pop(&in->run.join, flush, &x))
		imu_store_stride(in, &x);
}

static void imu_add_stride(struct ingest *in, int sensor, const struct ins_stride *x)
{
	struct run_acc *run = &in->run;
	const struct imu_state *st = in->sensors[sensor].imu;
	int side = x->foot == IMU_FOOT_RIGHT;

	if (run->merge_sensor[side] != sensor) {
		if (run->merge_sensor[side] >= 0) {
			ingest_imu_drain(
				in, true); /* another IMU on this side: store the first one's */
			strides_join_forget_drift(&run->join); /* and its errors go with it */
		}
		run->merge_sensor[side] = sensor;
	}
	imu_add_to_totals(&run->totals, st, side, x);
	if (run->primary_pod < 0)
		run->totals.distance_m = ingest_imu_distance_m(&run->totals);
	/* Each IMU counts on a clock of its own: the join lines the feet up
	 * in time, so both on the host's. */
	struct ins_stride host = *x;
	host.start_us += st->clock.offset_us;
	host.end_us += st->clock.offset_us;
	strides_join_push(&run->join, side, &host);
}

static int imu_record_gap(struct ingest *in, struct sensor_state *s, const struct imu_gap *g)
{
	int64_t from_us = g->from_us + s->imu->clock.offset_us,
		to_us = g->to_us + s->imu->clock.offset_us;
	log_debug("sensor %s lost %u packets (%u samples, %.3f s) during run %lld", s->addr_str,
		  g->lost_packets, g->lost_samples, (to_us - from_us) / (double)US_PER_S,
		  (long long)in->run.id);
	return ingest_record_sensor_gap(in, s, from_us, to_us);
}

/* What the notification just decoded produced, now that it has a run. */
void ingest_imu_aggregate(struct ingest *in)
{
	struct imu_pending *p = &in->imu_pending;
	if (p->sensor < 0)
		return;
	struct sensor_state *s = &in->sensors[p->sensor];
	if (p->has_gap)
		imu_record_gap(in, s, &p->gap);
	for (unsigned i = 0; i < p->n_strides; i++)
		imu_add_stride(in, p->sensor, &p->strides[i]);
	ingest_imu_drain(in, false);
}

/*
 * Each INS holds its foot's last stride until the stance after it is
 * over, and at the end of a run that stance is never closed: flush them so
 * the run keeps its last strides. A flushed INS takes no more samples; the
 * IMU's next data make a new one (it levels itself at the first stance).
 * A final stride at running speed counts in the summary as the running
 * report it would have been.
 */
void ingest_imu_flush_run(struct ingest *in)
{
	struct run_acc *run = &in->run;
	struct ins_stride x;
	for (int i = 0; i < SESSION_MAX_SENSORS; i++) {
		struct imu_state *st = in->sensors[i].imu;
		if (!st || !st->strides)
			continue;
		while (strides_foot_flush(st->strides, &x)) {
			imu_note_stride(st, &x);
			imu_add_stride(in, i, &x);
			if (imu_stride_running(in, &x))
				imu_add_to_totals(&run->at_last_active, st,
						  x.foot == IMU_FOOT_RIGHT, &x);
		}
		strides_foot_free(st->strides);
		st->strides = NULL;
	}
}
