// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "session.h"

#define S(x) ((int64_t)(x)*1000000)

static struct session make_session(void)
{
	struct session s;
	struct session_config c = { .idle_timeout_us = S(120),
				    .sensor_timeout_us = S(60),
				    .gap_us = S(5) };
	session_init(&s, &c);
	return s;
}

/* Feeds sensor 0 once a second from a to b (exclusive), active or not. */
static size_t feed(struct session *s, int sensor, int from_s, int to_s, bool active,
		   struct session_event *all, size_t n_all)
{
	struct session_event ev[SESSION_MAX_EVENTS];
	for (int t = from_s; t < to_s; t++) {
		size_t n = session_observe(s, sensor, S(t), active, ev);
		for (size_t i = 0; i < n; i++)
			all[n_all++] = ev[i];
	}
	return n_all;
}

static void test_standing_still_is_no_run(void **state)
{
	(void)state;
	struct session s = make_session();
	struct session_event all[64];
	assert_int_equal(feed(&s, 0, 0, 600, false, all, 0), 0);
	assert_false(s.in_run);
}

static void test_run_ends_after_idle_at_last_running_report(void **state)
{
	(void)state;
	struct session s = make_session();
	struct session_event all[64];
	size_t n = feed(&s, 0, 100, 1000, true, all, 0);
	assert_int_equal(n, 1);
	assert_int_equal(all[0].type, SESSION_RUN_STARTED);
	assert_int_equal(all[0].start_us, S(100));
	/* Standing still: the pod keeps sending zero speed. */
	n = feed(&s, 0, 1000, 1120, false, all, n);
	assert_int_equal(n, 1);
	n = feed(&s, 0, 1120, 1121, false, all, n);
	assert_int_equal(n, 2);
	assert_int_equal(all[1].type, SESSION_RUN_ENDED);
	assert_int_equal(all[1].start_us, S(100));
	assert_int_equal(all[1].end_us, S(999));
	assert_string_equal(all[1].reason, "idle");
}

static void test_sensors_gone(void **state)
{
	(void)state;
	struct session s = make_session();
	struct session_event ev[SESSION_MAX_EVENTS];
	struct session_event all[64];
	size_t n = feed(&s, 0, 0, 300, true, all, 0);
	n = feed(&s, 1, 0, 310, false, all, n); /* a barometer outlives the pod by 10 s */
	assert_int_equal(session_tick(&s, S(360), ev), 0);
	size_t k = session_tick(&s, S(371), ev);
	/* The pod's silence from 299 s is within the run's end: no gap. */
	assert_int_equal(k, 1);
	assert_int_equal(ev[0].type, SESSION_RUN_ENDED);
	assert_string_equal(ev[0].reason, "sensors gone");
	assert_int_equal(ev[0].end_us, S(299));
	(void)n;
}

static void test_gap_recorded_and_run_goes_on(void **state)
{
	(void)state;
	struct session s = make_session();
	struct session_event all[64];
	size_t n = feed(&s, 0, 0, 100, true, all, 0);
	n = feed(&s, 1, 0, 50, false, all, n);   /* heart rate strap drops out */
	n = feed(&s, 1, 80, 100, false, all, n); /* and comes back 30 s later */
	n = feed(&s, 0, 100, 103, true, all, n);
	assert_int_equal(n, 2);
	assert_int_equal(all[1].type, SESSION_GAP);
	assert_int_equal(all[1].sensor, 1);
	assert_int_equal(all[1].start_us, S(49));
	assert_int_equal(all[1].end_us, S(80));
	assert_true(s.in_run);
	/* A 4-s silence is below the gap threshold. */
	n = feed(&s, 0, 107, 110, true, all, n);
	assert_int_equal(n, 2);
}

static void test_sensor_lost_until_end_leaves_gap(void **state)
{
	(void)state;
	struct session s = make_session();
	struct session_event ev[SESSION_MAX_EVENTS];
	struct session_event all[64];
	size_t n = feed(&s, 1, 0, 60, false, all, 0);
	n = feed(&s, 0, 0, 200, true, all, n);
	size_t k = session_finish(&s, "shutdown", ev);
	assert_int_equal(n, 1);
	assert_int_equal(k, 2);
	assert_int_equal(ev[0].type, SESSION_GAP);
	assert_int_equal(ev[0].start_us, S(59));
	assert_int_equal(ev[0].end_us, S(199));
	assert_int_equal(ev[1].type, SESSION_RUN_ENDED);
	assert_string_equal(ev[1].reason, "shutdown");
	assert_int_equal(session_finish(&s, "shutdown", ev), 0);
}

/* A dropped link is a gap however short: 2 s is below the 5-s threshold. */
static void test_link_loss_is_a_gap_however_short(void **state)
{
	(void)state;
	struct session s = make_session();
	struct session_event all[64];
	size_t n = feed(&s, 0, 0, 50, true, all, 0);
	session_sensor_lost(&s, 0);
	n = feed(&s, 0, 52, 60, true, all, n);
	assert_int_equal(n, 2);
	assert_int_equal(all[1].type, SESSION_GAP);
	assert_int_equal(all[1].start_us, S(49));
	assert_int_equal(all[1].end_us, S(52));
	/* Back to normal: the next short silence is no gap. */
	n = feed(&s, 0, 62, 64, true, all, n);
	assert_int_equal(n, 2);
	/* Lost and never back: a gap to the end of the run, once. */
	n = feed(&s, 1, 10, 63, false, all, n);
	session_sensor_lost(&s, 1);
	feed(&s, 0, 64, 66, true, all, n);
	struct session_event ev[SESSION_MAX_EVENTS];
	size_t k = session_finish(&s, "shutdown", ev);
	assert_int_equal(k, 2);
	assert_int_equal(ev[0].type, SESSION_GAP);
	assert_int_equal(ev[0].sensor, 1);
	assert_int_equal(ev[0].start_us, S(62));
	assert_int_equal(ev[0].end_us, S(65));
	/* A sensor never seen cannot be lost. */
	session_sensor_lost(&s, 7);
	assert_false(s.sensors[7].lost);
}

/* Running again after the idle timeout is a new run, in one call. */
static void test_next_run(void **state)
{
	(void)state;
	struct session s = make_session();
	struct session_event ev[SESSION_MAX_EVENTS];
	struct session_event all[64];
	feed(&s, 0, 0, 100, true, all, 0);
	size_t k = session_observe(&s, 0, S(3600), true, ev);
	assert_int_equal(k, 2);
	assert_int_equal(ev[0].type, SESSION_RUN_ENDED);
	assert_int_equal(ev[1].type, SESSION_RUN_STARTED);
	assert_int_equal(ev[1].start_us, S(3600));
}

static void test_out_of_range_sensor_ignored(void **state)
{
	(void)state;
	struct session s = make_session();
	struct session_event ev[SESSION_MAX_EVENTS];
	assert_int_equal(session_observe(&s, -1, S(1), true, ev), 0);
	assert_int_equal(session_observe(&s, SESSION_MAX_SENSORS, S(1), true, ev), 0);
	assert_false(s.in_run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standing_still_is_no_run),
		cmocka_unit_test(test_run_ends_after_idle_at_last_running_report),
		cmocka_unit_test(test_sensors_gone),
		cmocka_unit_test(test_gap_recorded_and_run_goes_on),
		cmocka_unit_test(test_sensor_lost_until_end_leaves_gap),
		cmocka_unit_test(test_link_loss_is_a_gap_however_short),
		cmocka_unit_test(test_next_run),
		cmocka_unit_test(test_out_of_range_sensor_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
