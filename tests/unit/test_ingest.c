// SPDX-License-Identifier: GPL-2.0-or-later
/* The pipeline on hand-made notifications: runs, samples, summary, gaps,
 * and bad packets that are counted but change nothing else. */
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

#include "baro.h"
#include "ingest.h"
#include "store.h"

#define T0 (INT64_C(1790000000) * 1000000)
#define S(x) ((int64_t)(x) * 1000000)

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
	char extra[80];
	ingest_free(f->in);
	store_close(f->store);
	unlink(f->path);
	snprintf(extra, sizeof(extra), "%s-wal", f->path);
	unlink(extra);
	snprintf(extra, sizeof(extra), "%s-shm", f->path);
	unlink(extra);
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
static void send_rsc(struct fixture *f, int64_t t_us, double speed, unsigned cadence, double total_m)
{
	uint16_t sp = (uint16_t)lround(speed * 256);
	uint32_t d = (uint32_t)lround(total_m * 10);
	uint8_t v[8] = { speed > 0 ? 0x06 : 0x02, (uint8_t)sp, (uint8_t)(sp >> 8), (uint8_t)cadence,
			 (uint8_t)d, (uint8_t)(d >> 8), (uint8_t)(d >> 16), (uint8_t)(d >> 24) };
	send(f, pod, 0x2A53, t_us, v, sizeof(v));
}

static void send_pressure(struct fixture *f, int64_t t_us, double pa)
{
	uint32_t raw = (uint32_t)lround(pa * 10);
	uint8_t v[4] = { (uint8_t)raw, (uint8_t)(raw >> 8), (uint8_t)(raw >> 16), (uint8_t)(raw >> 24) };
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_run_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_packets_do_not_lose_distance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_packets_counted_not_fatal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_seen_once_a_minute, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
