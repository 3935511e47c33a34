// SPDX-License-Identifier: GPL-2.0-or-later
/* The fake sensor's logic without a radio: profiles, advertising data,
 * what it plays and how it logs it. */
#include "capture/capture.h"
#include "feed.h"
#include "decode/imu.h"
#include "profiles.h"
#include "sim/sim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/bytes.h"

static void profile_lists_are_parsed_and_checked(void **state)
{
	(void)state;
	unsigned p = 0;
	char why[200];
	assert_true(fake_profiles_parse("footpod,hrm,baro", &p, why, sizeof(why)));
	assert_int_equal(p, FAKE_FOOTPOD | FAKE_HRM | FAKE_BARO);
	assert_true(fake_profiles_parse("imu-right", &p, why, sizeof(why)));
	assert_int_equal(p, FAKE_IMU_RIGHT);
	assert_true(fake_profiles_parse("hrm,movesense", &p, why, sizeof(why)));
	assert_int_equal(p, FAKE_HRM | FAKE_MOVESENSE);
	assert_true(fake_profiles_parse("treadmill,hrm", &p, why, sizeof(why)));
	assert_int_equal(p, FAKE_TREADMILL | FAKE_HRM);

	const struct {
		const char *text, *why;
	} bad[] = {
		{ "footpod,hr", "unknown profile \"hr\"" },
		{ "", "unknown profile \"\"" },
		{ "baro,", "unknown profile \"\"" },
		{ "hrm,hrm", "\"hrm\" is given twice" },
		{ "imu-left,imu-right", "run one fake-sensor per shoe" },
		{ "movesense,imu-left", "run one fake-sensor per shoe" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = 77;
		assert_false(fake_profiles_parse(bad[i].text, &p, why, sizeof(why)));
		assert_int_equal(p, 77);
		if (!strstr(why, bad[i].why))
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].text, why,
				 bad[i].why);
	}
}

static void advertising_data_lists_services_and_name(void **state)
{
	(void)state;
	uint8_t ad[31];
	size_t n = fake_adv_data(FAKE_FOOTPOD | FAKE_HRM | FAKE_BARO, "hamstride fake", ad);
	const uint8_t pod[] = { 2,    0x01, 0x06, 7,    0x03, 0x14, 0x18, 0x0D, 0x18,
				0x1A, 0x18, 15,   0x09, 'h',  'a',  'm',  's',  't',
				'r',  'i',  'd',  'e',  ' ',  'f',  'a',  'k',  'e' };
	assert_int_equal(n, sizeof(pod));
	assert_memory_equal(ad, pod, sizeof(pod));

	/* A treadmill announces the Fitness Machine Service (0x1826). */
	n = fake_adv_data(FAKE_TREADMILL, "belt", ad);
	const uint8_t belt[] = { 2, 0x01, 0x06, 3, 0x03, 0x26, 0x18, 5, 0x09, 'b', 'e', 'l', 't' };
	assert_int_equal(n, sizeof(belt));
	assert_memory_equal(ad, belt, sizeof(belt));

	/* The 128-bit UUID leaves room for 8 bytes of the name only. */
	n = fake_adv_data(FAKE_IMU_LEFT, "hamstride fake", ad);
	assert_int_equal(n, 31);
	const uint8_t head[] = { 2,    0x01, 0x06, 17,   0x07, 0x00, 0x00, 0x00, 0x65, 0x64, 0x69,
				 0x72, 0x74, 0x73, 0x6d, 0x61, 0x68, 0x00, 0x55, 0x4d, 0x49 };
	assert_memory_equal(ad, head, sizeof(head));
	assert_memory_equal(ad + 21,
			    ((uint8_t[]){ 9, 0x08, 'h', 'a', 'm', 's', 't', 'r', 'i', 'd' }), 10);

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
	struct feed_options o = { .profiles = FAKE_FOOTPOD | FAKE_HRM | FAKE_BARO,
				  .seed = 3,
				  .minutes = 2 };
	assert_int_equal(feed_new(&o, &f, why, sizeof(why)), 0);
	assert_int_equal(feed_end_us(f), 120000000);

	/* The same simulation, without dropouts, straight from analysis/sim/sim.h. */
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
	struct notification n = { .host_time_us = 1700000000000000LL,
				  .addr = { 1, 2, 3, 4, 5, 6 },
				  .handle = 0x0E,
				  .uuid = gatt_uuid_from16(UUID_RSC_MEASUREMENT),
				  .len = 4,
				  .value = rsc };
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
	while (feed_peek(f, 244, &cfg))
		feed_pop(f);
	assert_true(c.last_t_us < feed_end_us(f));
	feed_free(f);
}

/* Movesense IMU6: 8 samples a notification when they fit, timestamps in
 * whole ms that the client's stream follows without a gap. */
static void movesense_packets_are_imu6_data(void **state)
{
	(void)state;
	struct feed *f;
	char why[256] = "";
	struct feed_options o = { .profiles = FAKE_MOVESENSE, .seed = 3, .minutes = 0.5 };
	assert_int_equal(feed_new(&o, &f, why, sizeof(why)), 0);
	struct imu_hs_config cfg = { 1, 9, 3, 4, 1, 1 }; /* 416 Hz */
	struct imu_stream stream;
	imu_stream_init(&stream);
	struct imu_sample s[16];
	struct imu_packet pkt;
	struct imu_gap gap;
	const struct feed_item *it;
	uint64_t samples = 0;
	for (; samples < 4160 && (it = feed_peek(f, 244, &cfg)); feed_pop(f)) {
		assert_int_equal(it->len, 6 + 8 * 24);
		if (!imu_ms_parse_imu6(it->value, it->len, 0, 416, 0, 0, 0, &pkt, s, 16))
			fail_msg("Movesense packet after %llu samples does not parse",
				 (unsigned long long)samples);
		assert_int_equal(pkt.count, 8);
		assert_false(imu_stream_stamp(&stream, &pkt, s, &gap));
		samples += pkt.count;
	}
	assert_true(samples == 4160);
	/* 100 bytes hold 3 samples; 208 Hz from the next packet on. */
	it = feed_peek(f, 100, &cfg);
	assert_int_equal(it->len, 6 + 3 * 24);
	feed_pop(f);
	cfg.rate_code = 8;
	it = feed_peek(f, 244, &cfg);
	assert_true(imu_ms_parse_imu6(it->value, it->len, 0, 208, 0, 0, 0, &pkt, s, 16));
	assert_int_equal(pkt.count, 8);
	feed_free(f);
}

/* ---- the Movesense's command characteristic, raw over a socketpair ---- */

struct ms_link {
	int fds[2]; /* [0] the central's end, [1] the fake's */
	struct gatt_server *server;
	struct fake_db db;
};

/* Writes value with a Write Request, lets the fake answer, and returns the
 * first notification on the response characteristic (its length; 0 if
 * none) and the ATT error (0 if the write was accepted). */
static size_t ms_write(struct ms_link *l, uint16_t handle, const uint8_t *value, size_t len,
		       uint8_t *note, uint8_t *att_error)
{
	uint8_t pdu[64] = { 0x12, (uint8_t)handle, (uint8_t)(handle >> 8) };
	memcpy(pdu + 3, value, len);
	assert_int_equal(send(l->fds[0], pdu, 3 + len, 0), (ssize_t)(3 + len));
	assert_int_equal(gatt_server_process_readable(l->server), 0);
	size_t note_len = 0;
	*att_error = 0xff;
	uint8_t in[600];
	ssize_t n;
	while ((n = recv(l->fds[0], in, sizeof(in), MSG_DONTWAIT)) > 0) {
		if (in[0] == 0x1B && !note_len && bytes_le16(in + 1) == l->db.ms_data) {
			note_len = (size_t)n - 3;
			memcpy(note, in + 3, note_len);
		} else if (in[0] == 0x13) {
			*att_error = 0;
		} else if (in[0] == 0x01) {
			*att_error = in[4];
		}
	}
	assert_int_not_equal(*att_error, 0xff);
	return note_len;
}

static uint16_t ms_command(struct ms_link *l, const uint8_t *cmd, size_t len)
{
	uint8_t note[600], err;
	size_t n = ms_write(l, l->db.ms_command, cmd, len, note, &err);
	assert_int_equal(err, 0);
	struct imu_ms_result r = { 0 };
	if (n == 0 || !imu_ms_parse_result(note, n, &r) || r.reference != cmd[1] || !r.has_status)
		fail_msg("command %u ref %u: no command result", cmd[0], cmd[1]);
	return r.status;
}

static void movesense_answers_commands_as_the_sensor_does(void **state)
{
	(void)state;
	struct ms_link l;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, l.fds), 0);
	l.server = gatt_server_new(247);
	fake_db_build(l.server, FAKE_MOVESENSE, "Movesense 000000000001", &l.db);
	gatt_server_attach(l.server, l.fds[1]);
	uint8_t note[600], err;
	const uint8_t cccd_on[] = { 1, 0 };
	assert_int_equal(ms_write(&l, l.db.ms_data + 1, cccd_on, 2, note, &err), 0);
	assert_int_equal(err, 0);
	assert_false(fake_db_movesense_streaming(&l.db));

	const uint8_t hello[] = { IMU_MS_CMD_HELLO, 5 };
	size_t n = ms_write(&l, l.db.ms_command, hello, sizeof(hello), note, &err);
	assert_int_equal(n, 7);
	assert_memory_equal(note, ((const uint8_t[]){ 1, 5, 'H', 'e', 'l', 'l', 'o' }), 7);

	uint8_t cmd[40];
	const struct {
		const char *path;
		uint8_t reference;
		uint16_t status;
	} refused[] = {
		{ "/Meas/IMU6/416", 0, 400 }, /* no reference */
		{ "/Meas/Acc/416", 9, 404 },  /* not IMU6 */
		{ "/Meas/IMU6/", 9, 404 },
		{ "/Meas/IMU6/400", 9, 501 },  /* not a rate IMU6 has */
		{ "/Meas/IMU6/1666", 9, 501 }, /* one the fake cannot simulate */
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cmd[0] = IMU_MS_CMD_SUBSCRIBE;
		cmd[1] = refused[i].reference;
		size_t len = strlen(refused[i].path);
		memcpy(cmd + 2, refused[i].path, len);
		uint16_t status = ms_command(&l, cmd, 2 + len);
		if (status != refused[i].status)
			fail_msg("%s: status %u, want %u", refused[i].path, status,
				 refused[i].status);
	}
	assert_false(fake_db_movesense_streaming(&l.db));

	n = imu_ms_subscribe_imu6(0x68, 416, cmd, sizeof(cmd));
	assert_int_equal(ms_command(&l, cmd, n), 200);
	assert_true(fake_db_movesense_streaming(&l.db));
	assert_int_equal(l.db.ms_rate_hz, 416);
	assert_int_equal(l.db.imu.rate_code, 9);
	/* Its one slot is taken; the same reference moves it to 208 Hz. */
	n = imu_ms_subscribe_imu6(0x69, 416, cmd, sizeof(cmd));
	assert_int_equal(ms_command(&l, cmd, n), 507);
	n = imu_ms_subscribe_imu6(0x68, 208, cmd, sizeof(cmd));
	assert_int_equal(ms_command(&l, cmd, n), 200);
	assert_int_equal(l.db.imu.rate_code, 8);
	/* Unsubscribing needs the subscription's reference. */
	assert_int_equal(ms_command(&l, (const uint8_t[]){ IMU_MS_CMD_UNSUBSCRIBE, 9 }, 2), 404);
	assert_true(fake_db_movesense_streaming(&l.db));
	assert_int_equal(ms_command(&l, (const uint8_t[]){ IMU_MS_CMD_UNSUBSCRIBE, 0x68 }, 2), 200);
	assert_false(fake_db_movesense_streaming(&l.db));
	assert_int_equal(ms_command(&l, (const uint8_t[]){ 77, 3 }, 2), 400);
	/* Too short to hold a reference: refused at the ATT level. */
	assert_int_equal(ms_write(&l, l.db.ms_command, (const uint8_t[]){ 1 }, 1, note, &err), 0);
	assert_int_equal(err, 0x0D);
	/* A dropped link ends the subscription. */
	n = imu_ms_subscribe_imu6(0x68, 416, cmd, sizeof(cmd));
	assert_int_equal(ms_command(&l, cmd, n), 200);
	fake_db_link_closed(&l.db);
	assert_false(fake_db_movesense_streaming(&l.db));
	assert_int_equal(l.db.ms_refused, 8);

	gatt_server_free(l.server);
	close(l.fds[0]);
	close(l.fds[1]);
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
		cmocka_unit_test(movesense_packets_are_imu6_data),
		cmocka_unit_test(movesense_answers_commands_as_the_sensor_does),
		cmocka_unit_test(sent_log_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
