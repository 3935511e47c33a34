// SPDX-License-Identifier: GPL-2.0-or-later
/* The fake sensor's logic without a radio: profiles, advertising data,
 * what it plays and how it logs it. */
#include "capture.h"
#include "feed.h"
#include "imu.h"
#include "profiles.h"
#include "sim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static void profile_lists_are_parsed_and_checked(void **state)
{
	(void)state;
	unsigned p = 0;
	char why[200];
	assert_true(fake_profiles_parse("footpod,hrm,baro", &p, why, sizeof(why)));
	assert_int_equal(p, FAKE_FOOTPOD | FAKE_HRM | FAKE_BARO);
	assert_true(fake_profiles_parse("imu-right", &p, why, sizeof(why)));
	assert_int_equal(p, FAKE_IMU_RIGHT);

	const struct {
		const char *text, *why;
	} bad[] = {
		{ "footpod,hr", "unknown profile \"hr\"" },
		{ "", "unknown profile \"\"" },
		{ "baro,", "unknown profile \"\"" },
		{ "hrm,hrm", "\"hrm\" is given twice" },
		{ "imu-left,imu-right", "run one fake-sensor per shoe" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = 77;
		assert_false(fake_profiles_parse(bad[i].text, &p, why, sizeof(why)));
		assert_int_equal(p, 77);
		if (!strstr(why, bad[i].why))
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].text, why, bad[i].why);
	}
}

static void advertising_data_lists_services_and_name(void **state)
{
	(void)state;
	uint8_t ad[31];
	size_t n = fake_adv_data(FAKE_FOOTPOD | FAKE_HRM | FAKE_BARO, "hamstride fake", ad);
	const uint8_t pod[] = { 2, 0x01, 0x06, 7, 0x03, 0x14, 0x18, 0x0D, 0x18, 0x1A, 0x18,
				15, 0x09, 'h', 'a', 'm', 's', 't', 'r', 'i', 'd', 'e', ' ',
				'f', 'a', 'k', 'e' };
	assert_int_equal(n, sizeof(pod));
	assert_memory_equal(ad, pod, sizeof(pod));

	/* The 128-bit UUID leaves room for 8 bytes of the name only. */
	n = fake_adv_data(FAKE_IMU_LEFT, "hamstride fake", ad);
	assert_int_equal(n, 31);
	const uint8_t head[] = { 2, 0x01, 0x06, 17, 0x07, 0x00, 0x00, 0x00, 0x65, 0x64, 0x69,
				 0x72, 0x74, 0x73, 0x6d, 0x61, 0x68, 0x00, 0x55, 0x4d, 0x49 };
	assert_memory_equal(ad, head, sizeof(head));
	assert_memory_equal(ad + 21, ((uint8_t[]){ 9, 0x08, 'h', 'a', 'm', 's', 't', 'r', 'i', 'd' }),
			    10);

	n = fake_scan_rsp_data("hamstride fake", ad);
	assert_int_equal(n, 16);
	assert_memory_equal(ad, ((uint8_t[]){ 15, 0x09, 'h' }), 3);
	/* A name too long for 31 bytes is shortened, never overflows. */
	char name[64];
	memset(name, 'x', sizeof(name) - 1);
	name[63] = 0;
	assert_int_equal(fake_scan_rsp_data(name, ad), 31);
	assert_int_equal(ad[0], 30);
	assert_int_equal(ad[1], 0x08);
}

/* ---- recorded notifications ---- */

struct expected {
	struct feed_item items[20000];
	size_t n;
	int64_t first_us;
};

static int expect_emit(void *user, const struct notification *n)
{
	struct expected *e = user;
	uint16_t u = gatt_uuid_to16(&n->uuid);
	if (u != UUID_RSC_MEASUREMENT && u != UUID_PRESSURE && u != UUID_TEMPERATURE &&
	    u != UUID_HEART_RATE_MEASUREMENT)
		return 0;
	if (e->n == 0)
		e->first_us = n->host_time_us;
	if (n->host_time_us - e->first_us >= 120000000 || e->n == 20000)
		return 1;
	struct feed_item *it = &e->items[e->n++];
	it->t_us = n->host_time_us - e->first_us;
	it->uuid = n->uuid;
	it->len = n->len;
	memcpy(it->value, n->value, n->len);
	return 0;
}

static const struct imu_hs_config default_imu = { 1, 3, 3, 4, 1, 1 };

static void simulated_run_is_played_byte_for_byte(void **state)
{
	(void)state;
	struct feed *f;
	char why[256] = "";
	struct feed_options o = { .profiles = FAKE_FOOTPOD | FAKE_HRM | FAKE_BARO, .seed = 3,
				  .minutes = 2 };
	assert_int_equal(feed_new(&o, &f, why, sizeof(why)), 0);
	assert_int_equal(feed_end_us(f), 120000000);

	/* The same simulation, without dropouts, straight from analysis/sim.h. */
	struct expected *e = calloc(1, sizeof(*e));
	struct sim_options so;
	sim_options_default(&so);
	so.seed = 3;
	so.run_minutes = 2;
	so.dropout_rate = 0;
	sim_run_block(&so, expect_emit, NULL, e);
	assert_true(e->n > 400); /* pod, strap, pressure and temperature for 2 minutes */
	assert_int_equal(feed_recorded_count(f), e->n);

	size_t i = 0;
	unsigned kinds = 0;
	const struct feed_item *it;
	while ((it = feed_peek(f, 244, &default_imu))) {
		assert_true(i < e->n);
		assert_int_equal(it->t_us, e->items[i].t_us);
		assert_true(gatt_uuid_equal(&it->uuid, &e->items[i].uuid));
		assert_int_equal(it->len, e->items[i].len);
		assert_memory_equal(it->value, e->items[i].value, it->len);
		assert_ptr_equal(feed_peek(f, 244, &default_imu), it); /* stable until popped */
		kinds |= 1u << (gatt_uuid_to16(&it->uuid) & 0x0F);
		feed_pop(f);
		i++;
	}
	assert_int_equal(i, e->n);
	assert_int_equal(e->items[0].t_us, 0);
	assert_int_equal(__builtin_popcount(kinds), 4);
	feed_free(f);

	/* The strap alone: only its notifications. */
	o.profiles = FAKE_HRM;
	assert_int_equal(feed_new(&o, &f, why, sizeof(why)), 0);
	size_t hr = 0;
	for (; (it = feed_peek(f, 244, &default_imu)); feed_pop(f), hr++)
		assert_int_equal(gatt_uuid_to16(&it->uuid), UUID_HEART_RATE_MEASUREMENT);
	assert_true(hr > 100);
	feed_free(f);
	free(e);
}

static void capture_is_filtered_to_the_profiles(void **state)
{
	(void)state;
	char path[] = "/tmp/fake-sensor-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct capture_writer *w;
	char why[256] = "";
	assert_int_equal(capture_writer_open(path, &w, why, sizeof(why)), 0);
	const uint8_t rsc[4] = { 0, 0x9A, 0x01, 0x55 }, hr[2] = { 0, 140 };
	struct notification n = { .host_time_us = 1700000000000000LL, .addr = { 1, 2, 3, 4, 5, 6 },
				  .handle = 0x0E, .uuid = gatt_uuid_from16(UUID_RSC_MEASUREMENT),
				  .len = 4, .value = rsc };
	assert_int_equal(capture_writer_notification(w, &n), 0);
	n.host_time_us += 400000;
	n.handle = 0x10;
	n.uuid = gatt_uuid_from16(UUID_HEART_RATE_MEASUREMENT);
	n.len = 2;
	n.value = hr;
	assert_int_equal(capture_writer_notification(w, &n), 0);
	n.host_time_us += 600000;
	n.handle = 0x0E;
	n.uuid = gatt_uuid_from16(UUID_RSC_MEASUREMENT);
	n.len = 4;
	n.value = rsc;
	assert_int_equal(capture_writer_notification(w, &n), 0);
	assert_int_equal(capture_writer_close(w), 0);

	struct feed *f;
	struct feed_options o = { .profiles = FAKE_FOOTPOD, .capture = path };
	assert_int_equal(feed_new(&o, &f, why, sizeof(why)), 0);
	const struct feed_item *it = feed_peek(f, 20, &default_imu);
	assert_non_null(it);
	assert_int_equal(it->t_us, 0);
	assert_memory_equal(it->value, rsc, 4);
	feed_pop(f);
	it = feed_peek(f, 20, &default_imu);
	assert_non_null(it);
	assert_int_equal(it->t_us, 1000000);
	feed_pop(f);
	assert_null(feed_peek(f, 20, &default_imu));
	feed_free(f);

	/* Nothing for a barometer in it. */
	o.profiles = FAKE_BARO;
	assert_int_equal(feed_new(&o, &f, why, sizeof(why)), -ENODATA);
	assert_non_null(strstr(why, "holds no notification"));
	unlink(path);
	o.profiles = FAKE_FOOTPOD;
	assert_int_equal(feed_new(&o, &f, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, path));
}

/* ---- IMU data ---- */

struct imu_check {
	struct imu_stream stream;
	uint16_t next_seq;
	uint64_t samples;
	int64_t last_t_us;
	double rate_hz;
};

static void check_packet(struct imu_check *c, const struct feed_item *it, size_t expect_n)
{
	struct imu_packet pkt;
	struct imu_sample s[255];
	if (!imu_hs_parse_data(it->value, it->len, IMU_FOOT_LEFT, &pkt, s, 255))
		fail_msg("packet %u does not parse", c->next_seq);
	assert_int_equal(pkt.seq, c->next_seq);
	c->next_seq++;
	assert_int_equal(pkt.count, expect_n);
	assert_int_equal(it->len, IMU_HS_HEADER_LEN + IMU_HS_SAMPLE_LEN * expect_n);
	struct imu_gap gap;
	assert_false(imu_stream_stamp(&c->stream, &pkt, s, &gap));
	c->rate_hz = pkt.rate_hz;
	c->samples += pkt.count;
	/* Sent when its last sample is taken; run time follows sensor time. */
	assert_true(it->t_us >= c->last_t_us);
	c->last_t_us = it->t_us;
}

static void imu_packets_fill_the_mtu_without_gaps(void **state)
{
	(void)state;
	struct feed *f;
	char why[256] = "";
	struct feed_options o = { .profiles = FAKE_IMU_LEFT, .seed = 5, .minutes = 1 };
	assert_int_equal(feed_new(&o, &f, why, sizeof(why)), 0);
	struct imu_check c = { 0 };
	imu_stream_init(&c.stream);
	const struct feed_item *it;
	struct imu_hs_config cfg = default_imu;
	int64_t first_t_us = -1;
	/* 244 bytes (MTU 247) hold 19 samples. */
	for (int i = 0; i < 400 && (it = feed_peek(f, 244, &cfg)); i++, feed_pop(f)) {
		check_packet(&c, it, 19);
		if (first_t_us < 0)
			first_t_us = it->t_us;
	}
	assert_int_equal(first_t_us, 18 * 2500);
	assert_true(c.rate_hz == 400);
	assert_true(c.samples == 7600);
	/* 100 bytes hold 7; the sensor clock wraps at 20 s (8000 samples)
	 * and the client's stream sees no gap across it. */
	for (; c.samples < 12000 && (it = feed_peek(f, 100, &cfg)); feed_pop(f))
		check_packet(&c, it, 7);
	assert_true(c.samples >= 12000);
	assert_true(c.stream.last_first_us > (INT64_C(1) << 32));

	/* 200 Hz from the next packet on, still without a gap. */
	cfg.rate_code = 1;
	it = feed_peek(f, 244, &cfg);
	assert_non_null(it);
	int64_t before = c.last_t_us;
	check_packet(&c, it, 19);
	assert_true(c.rate_hz == 200);
	assert_true(it->t_us - before >= 18 * 5000);
	feed_pop(f);
	/* MTU 23: a sample does not fit, and the packet says so by its size. */
	it = feed_peek(f, 20, &cfg);
	assert_int_equal(it->len, 21);
	feed_pop(f);
	while ((it = feed_peek(f, 244, &cfg)))
		feed_pop(f);
	assert_true(c.last_t_us < feed_end_us(f));
	feed_free(f);
}

static void sent_log_lines(void **state)
{
	(void)state;
	char *text = NULL;
	size_t size = 0;
	FILE *log = open_memstream(&text, &size);
	struct gatt_uuid u = gatt_uuid_from16(UUID_RSC_MEASUREMENT), imu;
	assert_true(gatt_uuid_parse(IMU_HS_DATA_UUID, &imu));
	feed_log_sent(log, 1250000, 1700000000000001LL, 8, &u, (const uint8_t[]){ 10, 11, 12 }, 3);
	feed_log_sent(log, 61000007, 1700000000000002LL, 31, &imu, (const uint8_t[]){ 0xff }, 1);
	fclose(log);
	assert_string_equal(text, "1.250000 1700000000000001 0x0008 2A53 3 0a0b0c\n"
				  "61.000007 1700000000000002 0x001f "
				  "494d5502-6861-6d73-7472-696465000000 1 ff\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(profile_lists_are_parsed_and_checked),
		cmocka_unit_test(advertising_data_lists_services_and_name),
		cmocka_unit_test(simulated_run_is_played_byte_for_byte),
		cmocka_unit_test(capture_is_filtered_to_the_profiles),
		cmocka_unit_test(imu_packets_fill_the_mtu_without_gaps),
		cmocka_unit_test(sent_log_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
