/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decoders for shoe IMUs, from hand-built bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "decode/imu.h"

#define G 9.80665

/* seq 0x1234, t 0x000f4240 (1 s), 400 Hz, ±16 g / ±2000 dps, 2 samples */
static const uint8_t hs_packet[] = {
	0x34,
	0x12,
	0x40,
	0x42,
	0x0f,
	0x00,
	0x03,
	0x43,
	0x02,
	/* +1 g on z, +100 counts on gyro x */
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	0x08,
	0x64,
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	/* clipped acc x (0x7fff), gyro z at -32768 */
	0xff,
	0x7f,
	0x00,
	0x00,
	0x00,
	0x08,
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	0x80,
};

static void test_hs_data(void **state)
{
	(void)state;
	struct imu_packet pkt;
	struct imu_sample s[4];
	assert_true(imu_hs_parse_data(hs_packet, sizeof(hs_packet), IMU_FOOT_LEFT, &pkt, s, 4));
	assert_int_equal(pkt.seq, 0x1234);
	assert_int_equal(pkt.t_first_raw, 1000000);
	assert_int_equal(pkt.count, 2);
	assert_true(fabs(pkt.rate_hz - 400) < 1e-9);
	assert_true(fabs(s[0].acc_mps2[2] - G) < 1e-9); /* 2048 counts at ±16 g */
	assert_true(fabs(s[0].gyro_radps[0] - 100 * 2000 / 32768.0 * M_PI / 180) < 1e-12);
	assert_int_equal(s[0].clipped, 0);
	assert_int_equal(s[1].clipped, IMU_CLIP_ACC_X | IMU_CLIP_GYRO_Z);
	assert_int_equal(s[1].t_us, 2500);
	assert_int_equal(s[1].foot, IMU_FOOT_LEFT);
}

static void test_hs_rejects(void **state)
{
	(void)state;
	struct imu_packet pkt = { .seq = 7 };
	struct imu_sample s[4];
	uint8_t b[sizeof(hs_packet)];
	/* every truncation is rejected */
	for (size_t len = 0; len < sizeof(hs_packet); len++)
		assert_false(imu_hs_parse_data(hs_packet, len, 0, &pkt, s, 4));
	assert_int_equal(pkt.seq, 7);
	assert_false(imu_hs_parse_data(hs_packet, sizeof(hs_packet), 0, &pkt, s, 1)); /* cap */
	assert_false(imu_hs_parse_data(NULL, 10, 0, &pkt, s, 4));
	memcpy(b, hs_packet, sizeof(b));
	b[6] = 42; /* undefined rate */
	assert_false(imu_hs_parse_data(b, sizeof(b), 0, &pkt, s, 4));
	memcpy(b, hs_packet, sizeof(b));
	b[7] = 0x94; /* undefined gyro range */
	assert_false(imu_hs_parse_data(b, sizeof(b), 0, &pkt, s, 4));
	memcpy(b, hs_packet, sizeof(b));
	b[8] = 0; /* no samples */
	assert_false(imu_hs_parse_data(b, sizeof(b), 0, &pkt, s, 4));
	assert_int_equal(pkt.seq, 7);
	/* trailing bytes are reserved and ignored */
	uint8_t longer[sizeof(hs_packet) + 3];
	memcpy(longer, hs_packet, sizeof(hs_packet));
	assert_true(imu_hs_parse_data(longer, sizeof(longer), 0, &pkt, s, 4));
}

static void test_hs_roundtrip(void **state)
{
	(void)state;
	const int16_t raw[3][6] = { { 1, -2, 3, -4, 5, -6 },
				    { 32767, -32768, 0, 0, 0, 0 },
				    { 100, 200, 300, 400, 500, 600 } };
	uint8_t buf[64];
	size_t len = imu_hs_encode_data(65535, 0xfffffff0u, 1, 3, 4, raw, 3, buf, sizeof(buf));
	assert_int_equal(len, IMU_HS_HEADER_LEN + 3 * IMU_HS_SAMPLE_LEN);
	struct imu_packet pkt;
	struct imu_sample s[3];
	assert_true(imu_hs_parse_data(buf, len, 0, &pkt, s, 3));
	assert_int_equal(pkt.seq, 65535);
	assert_true(fabs(s[2].acc_mps2[1] - 200 * 16 * G / 32768) < 1e-9);
	assert_int_equal(imu_hs_encode_data(1, 0, 1, 3, 4, raw, 3, buf, 20), 0);
}

static void test_hs_config(void **state)
{
	(void)state;
	const uint8_t ok[] = { 1, 3, 3, 4, IMU_FOOT_RIGHT, 1 };
	struct imu_hs_config c = { 0 };
	assert_true(imu_hs_parse_config(ok, sizeof(ok), &c));
	assert_int_equal(c.rate_code, 3);
	assert_int_equal(c.foot, IMU_FOOT_RIGHT);
	uint8_t enc[IMU_HS_CONFIG_LEN];
	imu_hs_encode_config(&c, enc);
	assert_memory_equal(enc, ok, sizeof(ok));
	const uint8_t bad_version[] = { 2, 3, 3, 4, 0, 0 };
	const uint8_t bad_range[] = { 1, 3, 9, 4, 0, 0 };
	const uint8_t bad_foot[] = { 1, 3, 3, 4, 3, 0 };
	assert_false(imu_hs_parse_config(bad_version, 6, &c));
	assert_false(imu_hs_parse_config(bad_range, 6, &c));
	assert_false(imu_hs_parse_config(bad_foot, 6, &c));
	assert_false(imu_hs_parse_config(ok, 5, &c));
	assert_true(fabs(imu_hs_rate_hz(3) - 400) < 1e-9);
	assert_true(imu_hs_rate_hz(200) == 0);
}

/* Builds a high-rate packet of 4 samples, parses it and stamps it on the
 * stream: true if the stream saw packets lost before it. */
static bool hs_stamp(struct imu_stream *st, uint16_t seq, uint32_t t_us, struct imu_sample s[8],
		     struct imu_gap *gap)
{
	int16_t raw[8][6] = { { 0 } };
	uint8_t buf[128];
	struct imu_packet pkt;
	size_t len = imu_hs_encode_data(seq, t_us, 3, 3, 4, raw, 4, buf, sizeof(buf));
	assert_true(imu_hs_parse_data(buf, len, 0, &pkt, s, 8));
	return imu_stream_stamp(st, &pkt, s, gap);
}

static void test_stream_wrap_and_loss(void **state)
{
	(void)state;
	struct imu_stream st;
	imu_stream_init(&st);
	struct imu_sample s[8];
	struct imu_gap gap;
	/* 4 samples per packet at 400 Hz = 10 ms; the clock wraps in between */
	uint32_t t = 0xffffffffu - 15000u;
	assert_false(hs_stamp(&st, 65534, t, s, &gap));
	int64_t t0 = s[0].t_us;
	assert_false(hs_stamp(&st, 65535, t + 10000u, s, &gap));
	assert_int_equal(s[0].t_us - t0, 10000);
	/* sequence wraps to 0, timestamp wraps past 2^32: no loss */
	assert_false(hs_stamp(&st, 0, t + 20000u, s, &gap));
	assert_int_equal(s[0].t_us - t0, 20000);
	assert_int_equal(s[3].t_us - t0, 27500);
	/* two packets lost */
	assert_true(hs_stamp(&st, 3, t + 50000u, s, &gap));
	assert_int_equal(gap.lost_packets, 2);
	assert_int_equal(gap.lost_samples, 8);
	assert_int_equal(gap.from_us - t0, 30000);
	assert_int_equal(gap.to_us - t0, 50000);
	assert_int_equal(st.lost_packets, 2);
}

/* Sequence numbers say a packet was lost, but the next one is stamped
 * before the previous packet's end (the fuzzer's find): the loss is
 * counted, and the gap is empty rather than running backwards. */
static void test_stream_loss_in_overlapping_time(void **state)
{
	(void)state;
	struct imu_stream st;
	imu_stream_init(&st);
	struct imu_sample s[8];
	struct imu_gap gap;
	assert_false(hs_stamp(&st, 1, 1000000u, s, &gap)); /* 1.000-1.010 s at 400 Hz */
	assert_true(hs_stamp(&st, 3, 1005000u, s, &gap));  /* seq 2 lost, yet 5 ms early */
	assert_int_equal(gap.lost_packets, 1);
	assert_true(gap.from_us <= gap.to_us);
	assert_int_equal(gap.to_us, s[0].t_us);
	assert_int_equal(st.lost_packets, 1);
}

static size_t ms_packet(uint8_t ref, uint32_t t_ms, size_t n, float acc_z, uint8_t *buf)
{
	buf[0] = IMU_MS_RESP_DATA;
	buf[1] = ref;
	memcpy(buf + 2, &t_ms, 4); /* the test host is little-endian like the wire */
	for (size_t i = 0; i < n; i++) {
		float acc[3] = { 0.5f, -0.25f, acc_z }, gyro[3] = { 90.0f, 0, -45.0f };
		memcpy(buf + 6 + 12 * i, acc, 12);
		memcpy(buf + 6 + 12 * n + 12 * i, gyro, 12);
	}
	return 6 + 24 * n;
}

static void test_movesense(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct imu_packet pkt;
	struct imu_sample s[16];
	size_t len = ms_packet(99, 123456, 8, 9.81f, buf);
	assert_true(imu_ms_parse_imu6(buf, len, 99, 208, 16 * G, 0, IMU_FOOT_RIGHT, &pkt, s, 16));
	assert_int_equal(pkt.count, 8);
	assert_int_equal(pkt.t_first_raw, 123456);
	assert_int_equal(pkt.t_unit_us, 1000);
	assert_false(pkt.has_seq);
	assert_true(fabs(s[7].acc_mps2[2] - 9.81) < 1e-5);
	assert_true(fabs(s[7].gyro_radps[0] - M_PI / 2) < 1e-6);
	assert_true(fabs(s[3].gyro_radps[2] + M_PI / 4) < 1e-6);
	/* wrong reference, wrong code, ragged length, too many for cap */
	assert_false(imu_ms_parse_imu6(buf, len, 98, 208, 0, 0, 0, &pkt, s, 16));
	assert_false(imu_ms_parse_imu6(buf, len - 1, 99, 208, 0, 0, 0, &pkt, s, 16));
	assert_false(imu_ms_parse_imu6(buf, len, 99, 208, 0, 0, 0, &pkt, s, 4));
	assert_false(imu_ms_parse_imu6(buf, 5, 99, 208, 0, 0, 0, &pkt, s, 16));
	buf[0] = IMU_MS_RESP_COMMAND;
	assert_false(imu_ms_parse_imu6(buf, len, 99, 208, 0, 0, 0, &pkt, s, 16));
	/* clipping against the configured range; non-finite rejected */
	len = ms_packet(99, 0, 2, (float)(16 * G), buf);
	assert_true(imu_ms_parse_imu6(buf, len, 99, 208, 16 * G, 0, 0, &pkt, s, 16));
	assert_int_equal(s[0].clipped, IMU_CLIP_ACC_Z);
	len = ms_packet(99, 0, 2, NAN, buf);
	assert_false(imu_ms_parse_imu6(buf, len, 99, 208, 0, 0, 0, &pkt, s, 16));
}

/* Commands as the sample firmware reads them: command, reference, then the
 * resource path (here NUL-terminated, which both firmware versions take). */
static void test_movesense_commands(void **state)
{
	(void)state;
	uint8_t cmd[32];
	const uint8_t subscribe[] = { 1,   99,  '/', 'M', 'e', 'a', 's', '/', 'I',
				      'M', 'U', '6', '/', '4', '1', '6', 0 };
	assert_int_equal(imu_ms_subscribe_imu6(99, 416, cmd, sizeof(cmd)), sizeof(subscribe));
	assert_memory_equal(cmd, subscribe, sizeof(subscribe));
	assert_int_equal(imu_ms_subscribe_imu6(99, 416, cmd, sizeof(subscribe) - 1), 0);
	assert_int_equal(imu_ms_subscribe_imu6(0, 416, cmd, sizeof(cmd)),
			 0); /* 0 is no reference */
	assert_int_equal(imu_ms_unsubscribe(99, cmd, sizeof(cmd)), 2);
	assert_int_equal(cmd[0], IMU_MS_CMD_UNSUBSCRIBE);
	assert_int_equal(cmd[1], 99);
	assert_int_equal(imu_ms_unsubscribe(0, cmd, sizeof(cmd)), 0);
	assert_true(imu_ms_rate_valid(13) && imu_ms_rate_valid(416) && imu_ms_rate_valid(1666));
	assert_false(imu_ms_rate_valid(400) || imu_ms_rate_valid(0) || imu_ms_rate_valid(3332));
}

static void test_movesense_results(void **state)
{
	(void)state;
	struct imu_ms_result r;
	/* little-endian 200 (newer firmware) */
	const uint8_t ok[] = { 1, 7, 0xC8, 0x00 };
	assert_true(imu_ms_parse_result(ok, sizeof(ok), &r));
	assert_int_equal(r.reference, 7);
	assert_true(r.has_status);
	assert_int_equal(r.status, 200);
	/* the sample firmware's "no free subscription slot": 507 high byte first */
	const uint8_t full[] = { 1, 7, 0x01, 0xFB };
	assert_true(imu_ms_parse_result(full, sizeof(full), &r));
	assert_int_equal(r.status, 507);
	const uint8_t rate[] = { 1, 9, 0xF5, 0x01 }; /* 501 little-endian */
	assert_true(imu_ms_parse_result(rate, sizeof(rate), &r));
	assert_int_equal(r.status, 501);
	/* HELLO's answer has no status; neither has nonsense */
	const uint8_t hello[] = { 1, 7, 'H', 'e', 'l', 'l', 'o' };
	assert_true(imu_ms_parse_result(hello, sizeof(hello), &r));
	assert_false(r.has_status);
	const uint8_t junk[] = { 1, 7, 0xFF, 0xFF };
	assert_true(imu_ms_parse_result(junk, sizeof(junk), &r));
	assert_false(r.has_status);
	/* not a command result: untouched */
	r.reference = 42;
	const uint8_t data[] = { 2, 7, 0xC8, 0x00 };
	assert_false(imu_ms_parse_result(data, sizeof(data), &r));
	assert_false(imu_ms_parse_result(ok, 1, &r));
	assert_false(imu_ms_parse_result(NULL, 4, &r));
	assert_int_equal(r.reference, 42);
}

/* What the fake sensor sends is what the parser reads, to float precision. */
static void test_movesense_encode(void **state)
{
	(void)state;
	struct imu_sample in[8], out[8];
	for (size_t i = 0; i < 8; i++)
		in[i] = (struct imu_sample){ .acc_mps2 = { 0.1 * (double)i, -9.81, 30.5 },
					     .gyro_radps = { 1.5, -0.25 * (double)i, 34.9 } };
	uint8_t buf[6 + 8 * 24];
	assert_int_equal(imu_ms_encode_imu6(0x68, 4000000000u, in, 8, buf, sizeof(buf)),
			 sizeof(buf));
	assert_int_equal(imu_ms_encode_imu6(0x68, 0, in, 8, buf, sizeof(buf) - 1), 0);
	assert_int_equal(imu_ms_encode_imu6(0x68, 0, in, 0, buf, sizeof(buf)), 0);
	assert_int_equal(imu_ms_encode_imu6(0x68, 4000000000u, in, 8, buf, sizeof(buf)),
			 sizeof(buf));
	struct imu_packet pkt;
	assert_true(
		imu_ms_parse_imu6(buf, sizeof(buf), 0x68, 416, 0, 0, IMU_FOOT_LEFT, &pkt, out, 8));
	assert_int_equal(pkt.t_first_raw, 4000000000u);
	assert_int_equal(pkt.count, 8);
	for (size_t i = 0; i < 8; i++)
		for (int k = 0; k < 3; k++) {
			assert_true(fabs(out[i].acc_mps2[k] - in[i].acc_mps2[k]) < 1e-5);
			assert_true(fabs(out[i].gyro_radps[k] - in[i].gyro_radps[k]) < 1e-5);
		}
}

static void test_movesense_loss(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct imu_packet pkt;
	struct imu_sample s[16];
	struct imu_stream st;
	struct imu_gap gap;
	imu_stream_init(&st);
	/* 8 samples at 208 Hz = 38.46 ms per packet, stamped in whole ms */
	size_t len = ms_packet(1, 1000, 8, 9.8f, buf);
	assert_true(imu_ms_parse_imu6(buf, len, 1, 208, 0, 0, 0, &pkt, s, 16));
	assert_false(imu_stream_stamp(&st, &pkt, s, &gap));
	len = ms_packet(1, 1038, 8, 9.8f, buf);
	assert_true(imu_ms_parse_imu6(buf, len, 1, 208, 0, 0, 0, &pkt, s, 16));
	assert_false(imu_stream_stamp(&st, &pkt, s, &gap));
	len = ms_packet(1, 1115, 8, 9.8f, buf); /* one packet missing */
	assert_true(imu_ms_parse_imu6(buf, len, 1, 208, 0, 0, 0, &pkt, s, 16));
	assert_true(imu_stream_stamp(&st, &pkt, s, &gap));
	assert_int_equal(gap.lost_packets, 0);
	assert_int_equal(gap.lost_samples, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hs_data),
		cmocka_unit_test(test_hs_rejects),
		cmocka_unit_test(test_hs_roundtrip),
		cmocka_unit_test(test_hs_config),
		cmocka_unit_test(test_stream_wrap_and_loss),
		cmocka_unit_test(test_stream_loss_in_overlapping_time),
		cmocka_unit_test(test_movesense),
		cmocka_unit_test(test_movesense_loss),
		cmocka_unit_test(test_movesense_commands),
		cmocka_unit_test(test_movesense_results),
		cmocka_unit_test(test_movesense_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
