// SPDX-License-Identifier: GPL-2.0-or-later
/* The pipeline on hand-made notifications: runs, samples, summary, gaps,
 * and bad packets that are counted but change nothing else. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nav/baro.h"
#include "decode/imu.h"
#include "sim/imu_sim.h"
#include "ingest.h"
#include "store/store.h"
#include "test_files.h"

#define T0 (INT64_C(1790000000) * 1000000)
#define S(x) ((int64_t)(x)*1000000)

struct fixture {
	char path[64];
	struct store *store;
	struct ingest *in;
};

static const uint8_t pod[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6 };
static const uint8_t baro[6] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0xc7 };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char why[256];
	struct ingest_config config;
	snprintf(f->path, sizeof(f->path), "/tmp/test-ingest-%d.db", (int)getpid());
	unlink(f->path);
	assert_int_equal(store_open(f->path, STORE_READ_WRITE, &f->store, why, sizeof(why)), 0);
	ingest_config_default(&config);
	config.source = "test";
	f->in = ingest_new(f->store, &config);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ingest_free(f->in);
	store_close(f->store);
	test_remove_database(f->path);
	free(f);
	return 0;
}

static void send(struct fixture *f, const uint8_t addr[6], uint16_t uuid16, int64_t t_us,
		 const uint8_t *value, uint16_t len)
{
	struct notification n = {
		.host_time_us = t_us,
		.addr_type = NOTIFICATION_ADDR_RANDOM,
		.handle = 0x0e,
		.uuid = gatt_uuid_from16(uuid16),
		.len = len,
		.value = value,
	};
	memcpy(n.addr, addr, 6);
	assert_int_equal(ingest_notification(f->in, &n), 0);
}

/* RSC with running bit, speed, cadence in steps and total distance. */
static void send_rsc(struct fixture *f, int64_t t_us, double speed, unsigned cadence,
		     double total_m)
{
	uint16_t sp = (uint16_t)lround(speed * 256);
	uint32_t d = (uint32_t)lround(total_m * 10);
	uint8_t v[8] = { speed > 0 ? 0x06 : 0x02, (uint8_t)sp,       (uint8_t)(sp >> 8),
			 (uint8_t)cadence,        (uint8_t)d,        (uint8_t)(d >> 8),
			 (uint8_t)(d >> 16),      (uint8_t)(d >> 24) };
	send(f, pod, 0x2A53, t_us, v, sizeof(v));
}

static void send_pressure(struct fixture *f, int64_t t_us, double pa)
{
	uint32_t raw = (uint32_t)lround(pa * 10);
	uint8_t v[4] = { (uint8_t)raw, (uint8_t)(raw >> 8), (uint8_t)(raw >> 16),
			 (uint8_t)(raw >> 24) };
	send(f, baro, 0x2A6D, t_us, v, sizeof(v));
}

/* 600 s at 3 m/s over a 30-m hill and back, the pod's counter starting at
 * 5 km, then two minutes standing. */
static void run_over_hill(struct fixture *f, int skip_from, int skip_to)
{
	for (int s = 0; s < 600; s++) {
		double h = 15.0 * (1 - cos(2 * M_PI * s / 600.0));
		if (s < skip_from || s >= skip_to)
			send_rsc(f, T0 + S(s), 3.0, 170, 5000 + 3.0 * s);
		send_pressure(f, T0 + S(s) + 300000, 101325.0 * pow(1 - h / 44330.0, 5.255));
	}
	for (int s = 600; s < 730; s++) {
		send_rsc(f, T0 + S(s), 0, 0, 5000 + 3.0 * 599);
		send_pressure(f, T0 + S(s) + 300000, 101325.0);
	}
}

static void test_one_run_summary(void **state)
{
	struct fixture *f = *state;
	struct store_run r;
	struct ingest_stats st;

	run_over_hill(f, -1, -1);
	ingest_stats(f->in, &st);
	assert_int_equal(st.runs, 1);
	assert_int_equal(ingest_last_run(f->in), 1);
	assert_int_equal(store_get_run(f->store, 1, &r), 0);
	assert_int_equal(r.start_us, T0);
	assert_int_equal(r.end_us, T0 + S(599));
	assert_float_equal(r.duration_s, 599, 1e-9);
	assert_float_equal(r.distance_m, 3.0 * 599, 0.11);
	assert_float_equal(r.cadence_spm, 170, 1e-9);
	assert_float_equal(r.stride_length_m, 3.0 * 120 / 170, 0.01);
	assert_float_equal(r.elevation_gain_m, 30, 1.5);
	assert_float_equal(r.elevation_loss_m, 30, 1.5);
	assert_true(isnan(r.heart_rate_bpm));
	assert_string_equal(r.end_reason, "idle");
	assert_int_equal(r.gaps, 0);
}

static void test_lost_packets_do_not_lose_distance(void **state)
{
	struct fixture *f = *state;
	struct store_run r;
	run_over_hill(f, 200, 230);
	assert_int_equal(store_get_run(f->store, 1, &r), 0);
	assert_float_equal(r.distance_m, 3.0 * 599, 0.11);
	assert_int_equal(r.gaps, 1);
	assert_float_equal(r.gap_s, 31, 1e-9);
}

static void test_bad_packets_counted_not_fatal(void **state)
{
	struct fixture *f = *state;
	struct ingest_stats st;
	struct store_run r;
	const uint8_t short_rsc[] = { 0x07, 0x00 };
	const uint8_t vendor[] = { 0x0f, 0x25, 0x01, 0x04 };
	for (int s = 0; s < 100; s++) {
		send_rsc(f, T0 + S(s), 3.0, 85, 100 + 3.0 * s);
		send(f, pod, 0x2A53, T0 + S(s) + 1000, short_rsc, sizeof(short_rsc));
		send(f, pod, 0xFF00, T0 + S(s) + 2000, vendor, sizeof(vendor));
		send(f, pod, 0x2A53, T0 + S(s) + 3000, NULL, 0);
	}
	assert_int_equal(ingest_finish(f->in, "shutdown"), 0);
	ingest_stats(f->in, &st);
	assert_int_equal(st.notifications, 400);
	assert_int_equal(st.malformed, 200);
	assert_int_equal(st.unknown, 100);
	assert_int_equal(store_get_run(f->store, 1, &r), 0);
	assert_int_equal(r.notifications, 400);
	assert_float_equal(r.distance_m, 3.0 * 99, 0.11);
	/* 85 per minute at 3 m/s: strides, so 170 steps/min. */
	assert_float_equal(r.cadence_spm, 170, 1e-9);
	assert_string_equal(r.end_reason, "shutdown");
}

/* The store hears of a sensor once a minute while it sends, and when the
 * run ends: not at every notification. */
static void test_last_seen_once_a_minute(void **state)
{
	struct fixture *f = *state;
	struct store_sensor_info x;
	for (int s = 0; s < 150; s++)
		send_rsc(f, T0 + S(s), 3.0, 170, 3.0 * s);
	assert_int_equal(store_get_sensor(f->store, "C6:55:44:33:22:11", &x), 0);
	assert_int_equal(x.first_seen_us, T0);
	assert_int_equal(x.last_seen_us, T0 + S(120));
	assert_int_equal(ingest_finish(f->in, "shutdown"), 0);
	assert_int_equal(store_get_sensor(f->store, "C6:55:44:33:22:11", &x), 0);
	assert_int_equal(x.last_seen_us, T0 + S(149));
}

/* ---- Movesense shoe IMUs: the rate learnt from the packets' spacing ---- */

static const uint8_t movesense[6] = { 0x21, 0x22, 0x23, 0x24, 0x25, 0xc8 };
#define MS_PER_PACKET 8
/* A notification arrives this long after its last sample was taken. */
#define MS_DELAY_US 3000
#define MS_MAX_TRUTH 400

/* What a Movesense stream was made of: every sample sent and the
 * simulator's strides. */
struct ms_stream {
	uint64_t samples_sent;
	unsigned packets_lost;
	struct imu_sim_stride truth[MS_MAX_TRUTH];
	unsigned n_truth;
};

/*
 * Sends seconds of the left foot running at 3.5 m/s, simulated at rate_hz
 * from sensor time t0_us, as Movesense IMU6 notifications of 8 samples
 * (their timestamps in whole ms, as the sensor stamps them). Packets whose
 * number is in lose[] are not sent. Returns the sensor time after the last
 * sample.
 */
static int64_t send_movesense(struct fixture *f, struct ms_stream *st, uint64_t seed,
			      double rate_hz, int64_t t0_us, double seconds, const unsigned *lose,
			      size_t n_lose)
{
	struct imu_sim_config c;
	struct imu_sample samples[MS_PER_PACKET];
	uint8_t value[512];
	imu_sim_config_default(&c);
	c.seed = seed;
	c.rate_hz = rate_hz;
	c.t0_us = t0_us;
	c.feet = IMU_SIM_LEFT;
	c.still_s = 2.0;
	struct imu_sim *sim = imu_sim_new(&c);
	assert_non_null(sim);
	unsigned packets = (unsigned)(seconds * rate_hz / MS_PER_PACKET);
	int64_t end_us = t0_us;
	for (unsigned k = 0; k < packets; k++) {
		assert_int_equal(imu_sim_generate(sim, samples, MS_PER_PACKET), MS_PER_PACKET);
		end_us = samples[MS_PER_PACKET - 1].t_us + (int64_t)llround(1e6 / rate_hz);
		bool lost = false;
		for (size_t i = 0; i < n_lose; i++)
			lost |= lose[i] == k;
		if (lost) {
			st->packets_lost++;
			continue;
		}
		size_t len = imu_ms_encode_imu6(7, (uint32_t)(samples[0].t_us / 1000), samples,
						MS_PER_PACKET, value, sizeof(value));
		assert_int_not_equal(len, 0);
		struct notification n = {
			.host_time_us = T0 + samples[MS_PER_PACKET - 1].t_us + MS_DELAY_US,
			.addr_type = NOTIFICATION_ADDR_RANDOM,
			.handle = 0x21,
			.len = (uint16_t)len,
			.value = value,
		};
		gatt_uuid_parse(IMU_MS_NOTIFY_UUID, &n.uuid);
		memcpy(n.addr, movesense, 6);
		assert_int_equal(ingest_notification(f->in, &n), 0);
		st->samples_sent += MS_PER_PACKET;
	}
	while (st->n_truth < MS_MAX_TRUTH && imu_sim_pop_truth(sim, &st->truth[st->n_truth]))
		st->n_truth++;
	imu_sim_free(sim);
	return end_us;
}

struct stride_list {
	struct store_stride s[MS_MAX_TRUTH];
	unsigned n;
};

static int collect_stride(void *user, int64_t run_id, const struct store_stride *x)
{
	struct stride_list *l = user;
	(void)run_id;
	if (l->n < MS_MAX_TRUTH)
		l->s[l->n++] = *x;
	return 0;
}

/*
 * The simulator's strides from sensor time from_us to to_us, each matched
 * to the stored stride that starts within 30 ms of it (host time = sensor
 * time + T0 + the delay): at least 90 % are found and every one found lasts
 * as long as the truth within 3 % (a stride's ends are whole samples,
 * 4.8 ms apart at 208 Hz) and is as long within 2 %. Wrongly
 * spaced samples make strides of another duration, or none.
 */
static void assert_strides_match(const struct ms_stream *st, const struct stride_list *l,
				 int64_t from_us, int64_t to_us, const char *what)
{
	unsigned expected = 0, found = 0;
	for (unsigned i = 0; i < st->n_truth; i++) {
		const struct imu_sim_stride *t = &st->truth[i];
		if (t->start_us < from_us || t->end_us > to_us)
			continue;
		expected++;
		for (unsigned j = 0; j < l->n; j++) {
			const struct store_stride *x = &l->s[j];
			if (llabs(x->start_us - (T0 + t->start_us + MS_DELAY_US)) > 30000)
				continue;
			double truth_s = (t->end_us - t->start_us) * 1e-6;
			if (fabs(x->duration_s - truth_s) > 0.03 * truth_s ||
			    fabs(x->length_m - t->length_m) > 0.02 * t->length_m)
				fail_msg(
					"%s: stride at %.3f s lasts %.3f s (truth %.3f), %.2f m (truth %.2f)",
					what, t->start_us * 1e-6, x->duration_s, truth_s,
					x->length_m, t->length_m);
			found++;
			break;
		}
	}
	if (expected < 10 || found < expected * 9 / 10)
		fail_msg("%s: %u of %u strides found", what, found, expected);
}

/* The live daemon falls back to 208 Hz when a sensor refuses 416: after
 * a reconnect the same sensor streams at the other rate. */
static void test_movesense_rate_learnt_again_after_link_loss(void **state)
{
	struct fixture *f = *state;
	static struct ms_stream st;
	static struct stride_list l;
	struct store_run r;
	memset(&st, 0, sizeof(st));
	memset(&l, 0, sizeof(l));

	int64_t end1_us = send_movesense(f, &st, 11, 416, S(5), 30, NULL, 0);
	ingest_link_lost(f->in, movesense);
	int64_t start2_us = end1_us + S(2);
	int64_t end2_us = send_movesense(f, &st, 12, 208, start2_us, 30, NULL, 0);
	assert_int_equal(ingest_finish(f->in, "shutdown"), 0);

	assert_int_equal(store_get_run(f->store, 1, &r), 0);
	/* The outage is the one gap: no packet at 208 Hz looks like a loss. */
	assert_int_equal(r.gaps, 1);
	assert_int_equal(store_foreach_stride(f->store, 1, collect_stride, &l), 0);
	assert_strides_match(&st, &l, S(5), end1_us, "416 Hz");
	assert_strides_match(&st, &l, start2_us, end2_us, "208 Hz after the reconnect");
}

/* A lost packet at 416 Hz spaces two packets twice as far as usual, as
 * 208 Hz would: it is a gap, and the rate stays. */
static void test_movesense_lost_packet_keeps_rate(void **state)
{
	struct fixture *f = *state;
	static struct ms_stream st;
	static struct stride_list l;
	struct ingest_stats stats;
	struct store_run r;
	const unsigned lose[] = { 600, 1000, 1001 };
	memset(&st, 0, sizeof(st));
	memset(&l, 0, sizeof(l));

	int64_t end_us = send_movesense(f, &st, 13, 416, S(5), 40, lose, 3);
	assert_int_equal(ingest_finish(f->in, "shutdown"), 0);

	ingest_stats(f->in, &stats);
	assert_int_equal(stats.imu_samples, st.samples_sent);
	assert_int_equal(store_get_run(f->store, 1, &r), 0);
	assert_int_equal(r.gaps, 2);
	assert_int_equal(store_foreach_stride(f->store, 1, collect_stride, &l), 0);
	assert_strides_match(&st, &l, S(5), end_us, "416 Hz with lost packets");
}

/* The first packet of a stream, and the first after a reconnect, wait for
 * the next one to tell their rate: then they go through the INS too. */
static void test_movesense_first_packet_used(void **state)
{
	struct fixture *f = *state;
	static struct ms_stream st;
	struct ingest_stats stats;
	memset(&st, 0, sizeof(st));

	int64_t end_us = send_movesense(f, &st, 14, 416, S(5), 3, NULL, 0);
	ingest_stats(f->in, &stats);
	assert_int_equal(stats.imu_samples, st.samples_sent);
	ingest_link_lost(f->in, movesense);
	send_movesense(f, &st, 15, 208, end_us + S(1), 3, NULL, 0);
	ingest_stats(f->in, &stats);
	assert_int_equal(stats.imu_samples, st.samples_sent);
}

/* A capture does not say when the link dropped: a rate change after a
 * silence, and one with none (the spacing says so; twice the usual
 * spacing is first taken for a lost packet, so up to two packets are
 * spaced at the old rate and seen as losses). */
static void test_movesense_rate_changes_in_a_capture(void **state)
{
	struct fixture *f = *state;
	static struct ms_stream st;
	static struct stride_list l;
	struct store_run r;
	memset(&st, 0, sizeof(st));
	memset(&l, 0, sizeof(l));

	int64_t end1_us = send_movesense(f, &st, 16, 208, S(5), 30, NULL, 0);
	int64_t start2_us = end1_us + S(2);
	int64_t end2_us = send_movesense(f, &st, 17, 416, start2_us, 30, NULL, 0);
	int64_t end3_us = send_movesense(f, &st, 18, 208, end2_us, 30, NULL, 0);
	assert_int_equal(ingest_finish(f->in, "shutdown"), 0);

	assert_int_equal(store_get_run(f->store, 1, &r), 0);
	assert_in_range(r.gaps, 1, 3);
	assert_int_equal(store_foreach_stride(f->store, 1, collect_stride, &l), 0);
	assert_strides_match(&st, &l, start2_us, end2_us, "416 Hz after a silence at 208");
	assert_strides_match(&st, &l, end2_us, end3_us, "208 Hz straight after 416");
}

/* Issue 9: a store error reaches the caller with its own errno (a
 * read-only database: -EROFS), not as a blanket -EIO. */
static void test_store_error_keeps_errno(void **state)
{
	struct fixture *f = *state;
	struct store *ro;
	struct ingest_config config;
	char why[256];
	assert_int_equal(store_open(f->path, STORE_READ_ONLY, &ro, why, sizeof(why)), 0);
	ingest_config_default(&config);
	config.source = "test";
	struct ingest *in = ingest_new(ro, &config);
	uint8_t v[4] = { 0x02, 0x00, 0x03, 0x50 };
	struct notification n = { .host_time_us = T0,
				  .addr_type = NOTIFICATION_ADDR_RANDOM,
				  .handle = 0x0e,
				  .uuid = gatt_uuid_from16(0x2A53),
				  .len = sizeof(v),
				  .value = v };
	memcpy(n.addr, pod, 6);
	assert_int_equal(ingest_notification(in, &n), -EROFS);
	ingest_free(in);
	store_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_run_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_error_keeps_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_packets_do_not_lose_distance, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_packets_counted_not_fatal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_last_seen_once_a_minute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_movesense_rate_learnt_again_after_link_loss,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_movesense_lost_packet_keeps_rate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_movesense_first_packet_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_movesense_rate_changes_in_a_capture, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
