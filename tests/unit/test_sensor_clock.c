// SPDX-License-Identifier: GPL-2.0-or-later
/* A sensor's clock against the host's: the offset's lower envelope, its
 * drift and a restarted sensor clock; a Movesense rate learned from the
 * packets' spacing, a lost packet told apart from a slower rate. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nav/sensor_clock.h"

/* Arrival latencies of 5-25 ms (a seeded draw): the estimate is the least. */
static void test_offset_is_the_least_latency(void **state)
{
	(void)state;
	struct sensor_clock_offset c = { 0 };
	const int64_t true_offset = INT64_C(1700000000000000);
	int64_t least = INT64_MAX;
	const unsigned seed = 42;
	srand(seed);
	for (int i = 0; i < 1000; i++) {
		int64_t sensor_us = i * INT64_C(20000);
		int64_t latency = 5000 + rand() % 20000;
		if (latency < least)
			least = latency;
		sensor_clock_offset_update(&c, sensor_us + true_offset + latency, sensor_us);
	}
	/* within the drift allowed over the run since the least was seen */
	int64_t got = c.offset_us - true_offset;
	if (!c.have || got < least || got > least + 2000)
		fail_msg("seed %u: offset %lld us above the truth, least latency %lld us", seed,
			 (long long)got, (long long)least);
}

/* A sensor clock 60 ppm slow: the host-minus-sensor offset grows, and the
 * estimate follows it within 1 ms over 10 minutes. */
static void test_offset_follows_a_slow_clock(void **state)
{
	(void)state;
	struct sensor_clock_offset c = { 0 };
	for (int i = 0; i <= 30000; i++) {
		int64_t host_us = i * INT64_C(20000);
		int64_t sensor_us = llround(host_us * (1 - 60e-6));
		sensor_clock_offset_update(&c, host_us + 3000, sensor_us);
	}
	int64_t want = llround(30000 * 20000.0 * 60e-6) + 3000;
	assert_in_range(c.offset_us, want - 1000, want + 1000);
}

static void test_offset_restarts_with_the_sensor_clock(void **state)
{
	(void)state;
	struct sensor_clock_offset c = { 0 };
	sensor_clock_offset_update(&c, 100000000, 90000000);
	assert_int_equal(c.offset_us, 10000000);
	/* the sensor rebooted: its clock starts again from 0 */
	sensor_clock_offset_update(&c, 100500000, 1000);
	assert_int_equal(c.offset_us, 100499000);
}

/* Packets of 8 samples stamped in whole ms at the nominal rate. */
static uint32_t stamp_ms(unsigned packet, double rate_hz)
{
	return (uint32_t)llround(1000 + packet * 8 * 1000.0 / rate_hz);
}

static void test_rate_learned_from_spacing(void **state)
{
	(void)state;
	struct sensor_clock_rate r;
	sensor_clock_rate_init(&r);
	assert_true(sensor_clock_rate_track(&r, stamp_ms(0, 208), 8) == 0);
	assert_true(sensor_clock_rate_track(&r, stamp_ms(1, 208), 8) == 208);
	for (unsigned p = 2; p < 50; p++)
		assert_true(sensor_clock_rate_track(&r, stamp_ms(p, 208), 8) == 208);
	/* one packet lost: twice the spacing once, still 208 Hz */
	assert_true(sensor_clock_rate_track(&r, stamp_ms(51, 208), 8) == 208);
	assert_true(sensor_clock_rate_track(&r, stamp_ms(52, 208), 8) == 208);
}

/* Twice the spacing twice running is a sensor streaming at half the
 * rate (ble_source falls back from 416 to 208 Hz), not two losses. */
static void test_half_rate_told_from_a_loss(void **state)
{
	(void)state;
	struct sensor_clock_rate r;
	sensor_clock_rate_init(&r);
	for (unsigned p = 0; p < 10; p++)
		sensor_clock_rate_track(&r, stamp_ms(p, 416), 8);
	assert_true(r.rate_hz == 416);
	uint32_t t = stamp_ms(9, 416);
	double got = 0;
	for (unsigned p = 1; p <= 3; p++)
		got = sensor_clock_rate_track(&r, t + (uint32_t)llround(p * 8 * 1000.0 / 208), 8);
	assert_true(got == 208);
	sensor_clock_rate_reset(&r);
	assert_true(r.rate_hz == 0);
	assert_true(sensor_clock_rate_track(&r, 5000, 8) == 0); /* learned again */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_is_the_least_latency),
		cmocka_unit_test(test_offset_follows_a_slow_clock),
		cmocka_unit_test(test_offset_restarts_with_the_sensor_clock),
		cmocka_unit_test(test_rate_learned_from_spacing),
		cmocka_unit_test(test_half_rate_told_from_a_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
