/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "decode/imu.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/bytes.h"
#include "util/cursor.h"

#define STANDARD_GRAVITY_MPS2 9.80665
#define DEG_TO_RAD (M_PI / 180.0)

static int16_t le16s(const uint8_t *p)
{
	uint16_t u = bytes_le16(p);
	return u < 0x8000u ? (int16_t)u : (int16_t)(-(int32_t)(0x10000u - u));
}

static float lef32(const uint8_t *p)
{
	uint32_t u = bytes_le32(p);
	float f;
	memcpy(&f, &u, sizeof(f));
	return f;
}

/* ---- hamstride profile code tables ---- */

static const double rate_table_hz[] = { 100, 200, 250, 400, 500, 800, 1000, 104, 208, 416, 833 };
static const double acc_range_table_g[] = { 2, 4, 8, 16 };
static const double gyro_range_table_dps[] = { 125, 250, 500, 1000, 2000 };

#define TABLE_LEN(t) (sizeof(t) / sizeof((t)[0]))

double imu_hs_rate_hz(uint8_t rate_code)
{
	return rate_code < TABLE_LEN(rate_table_hz) ? rate_table_hz[rate_code] : 0.0;
}

double imu_hs_acc_range_mps2(uint8_t acc_range_code)
{
	if (acc_range_code >= TABLE_LEN(acc_range_table_g))
		return 0.0;
	return acc_range_table_g[acc_range_code] * STANDARD_GRAVITY_MPS2;
}

double imu_hs_gyro_range_radps(uint8_t gyro_range_code)
{
	if (gyro_range_code >= TABLE_LEN(gyro_range_table_dps))
		return 0.0;
	return gyro_range_table_dps[gyro_range_code] * DEG_TO_RAD;
}

static bool codes_defined(uint8_t rate, uint8_t acc, uint8_t gyro)
{
	return imu_hs_rate_hz(rate) > 0 && imu_hs_acc_range_mps2(acc) > 0 &&
	       imu_hs_gyro_range_radps(gyro) > 0;
}

bool imu_hs_parse_config(const uint8_t *buf, size_t len, struct imu_hs_config *out)
{
	if (!buf || len < IMU_HS_CONFIG_LEN || buf[0] != IMU_HS_VERSION)
		return false;
	if (!codes_defined(buf[1], buf[2], buf[3]) || buf[4] > IMU_FOOT_RIGHT)
		return false;
	*out = (struct imu_hs_config){
		.version = buf[0],
		.rate_code = buf[1],
		.acc_range_code = buf[2],
		.gyro_range_code = buf[3],
		.foot = buf[4],
		.flags = buf[5],
	};
	return true;
}

void imu_hs_encode_config(const struct imu_hs_config *cfg, uint8_t out[IMU_HS_CONFIG_LEN])
{
	out[0] = cfg->version;
	out[1] = cfg->rate_code;
	out[2] = cfg->acc_range_code;
	out[3] = cfg->gyro_range_code;
	out[4] = cfg->foot;
	out[5] = cfg->flags;
}

/* A raw count at either end of int16 means the converter saturated. */
static bool raw_clipped(int16_t v)
{
	return v == INT16_MAX || v == INT16_MIN;
}

static void decode_hs_sample(const uint8_t *p, double acc_lsb, double gyro_lsb,
			     struct imu_sample *s)
{
	s->clipped = 0;
	for (int axis = 0; axis < 3; axis++) {
		int16_t a = le16s(p + 2 * axis);
		int16_t g = le16s(p + 6 + 2 * axis);
		s->acc_mps2[axis] = a * acc_lsb;
		s->gyro_radps[axis] = g * gyro_lsb;
		if (raw_clipped(a))
			s->clipped |= (uint8_t)(IMU_CLIP_ACC_X << axis);
		if (raw_clipped(g))
			s->clipped |= (uint8_t)(IMU_CLIP_GYRO_X << axis);
	}
}

bool imu_hs_parse_data(const uint8_t *buf, size_t len, uint8_t foot, struct imu_packet *pkt,
		       struct imu_sample *out, size_t cap)
{
	struct cursor c = cursor_init(buf, buf ? len : 0);
	const uint8_t *h, *body;
	if (!cursor_bytes(&c, IMU_HS_HEADER_LEN, &h))
		return false;
	uint8_t rate_code = h[6], acc_code = h[7] & 0x0f, gyro_code = h[7] >> 4;
	size_t count = h[8];
	if (!codes_defined(rate_code, acc_code, gyro_code) || count == 0 || count > cap)
		return false;
	if (!cursor_bytes(&c, count * IMU_HS_SAMPLE_LEN, &body))
		return false;

	double rate_hz = imu_hs_rate_hz(rate_code);
	double acc_lsb = imu_hs_acc_range_mps2(acc_code) / 32768.0;
	double gyro_lsb = imu_hs_gyro_range_radps(gyro_code) / 32768.0;
	for (size_t i = 0; i < count; i++) {
		decode_hs_sample(body + i * IMU_HS_SAMPLE_LEN, acc_lsb, gyro_lsb, &out[i]);
		out[i].t_us = llround((double)i * 1e6 / rate_hz);
		out[i].foot = foot;
	}
	*pkt = (struct imu_packet){
		.has_seq = true,
		.seq = bytes_le16(h),
		.t_first_raw = bytes_le32(h + 2),
		.t_unit_us = 1,
		.rate_hz = rate_hz,
		.count = count,
	};
	return true;
}

size_t imu_hs_encode_data(uint16_t seq, uint32_t t_first_us, uint8_t rate_code,
			  uint8_t acc_range_code, uint8_t gyro_range_code, const int16_t (*raw)[6],
			  size_t count, uint8_t *out, size_t out_cap)
{
	size_t len = IMU_HS_HEADER_LEN + count * IMU_HS_SAMPLE_LEN;
	if (count == 0 || count > 255 || len > out_cap || acc_range_code > 0x0f ||
	    gyro_range_code > 0x0f)
		return 0;
	bytes_put_le16(out, seq);
	bytes_put_le32(out + 2, t_first_us);
	out[6] = rate_code;
	out[7] = (uint8_t)(acc_range_code | gyro_range_code << 4);
	out[8] = (uint8_t)count;
	for (size_t i = 0; i < count; i++)
		for (int k = 0; k < 6; k++)
			bytes_put_le16(out + IMU_HS_HEADER_LEN + i * IMU_HS_SAMPLE_LEN + 2 * k,
				       (uint16_t)raw[i][k]);
	return len;
}

/* ---- Movesense ---- */

static const unsigned ms_rates_hz[] = { 13, 26, 52, 104, 208, 416, 833, 1666 };

bool imu_ms_rate_valid(unsigned rate_hz)
{
	for (size_t i = 0; i < TABLE_LEN(ms_rates_hz); i++)
		if (ms_rates_hz[i] == rate_hz)
			return true;
	return false;
}

size_t imu_ms_subscribe_imu6(uint8_t reference, unsigned rate_hz, uint8_t *out, size_t out_cap)
{
	char path[32];
	int n = snprintf(path, sizeof(path), "/Meas/IMU6/%u", rate_hz);
	if (reference == 0 || n <= 0 || (size_t)n >= sizeof(path) || (size_t)n + 3 > out_cap)
		return 0;
	out[0] = IMU_MS_CMD_SUBSCRIBE;
	out[1] = reference;
	memcpy(out + 2, path, (size_t)n + 1);
	return (size_t)n + 3;
}

size_t imu_ms_unsubscribe(uint8_t reference, uint8_t *out, size_t out_cap)
{
	if (reference == 0 || out_cap < 2)
		return 0;
	out[0] = IMU_MS_CMD_UNSUBSCRIBE;
	out[1] = reference;
	return 2;
}

static bool http_status(unsigned code)
{
	return code >= 100 && code <= 599;
}

bool imu_ms_parse_result(const uint8_t *buf, size_t len, struct imu_ms_result *out)
{
	if (!buf || len < 2 || buf[0] != IMU_MS_RESP_COMMAND)
		return false;
	struct imu_ms_result r = { .reference = buf[1] };
	if (len == 4) {
		unsigned little = bytes_le16(buf + 2), big = (unsigned)buf[2] << 8 | buf[3];
		r.has_status = http_status(little) || http_status(big);
		r.status = (uint16_t)(http_status(little) ? little : big);
	}
	*out = r;
	return true;
}

#define MS_HEADER_LEN 6u
#define MS_BYTES_PER_SAMPLE 24u

/* Movesense sends floats, so saturation shows as a value at the range. */
static bool float_clipped(double v, double range)
{
	return range > 0 && fabs(v) >= range * 0.999;
}

static bool decode_ms_sample(const uint8_t *acc, const uint8_t *gyro, double acc_range,
			     double gyro_range, struct imu_sample *s)
{
	s->clipped = 0;
	for (int axis = 0; axis < 3; axis++) {
		double a = lef32(acc + 4 * axis);
		double g = lef32(gyro + 4 * axis) * DEG_TO_RAD;
		if (!isfinite(a) || !isfinite(g))
			return false;
		s->acc_mps2[axis] = a;
		s->gyro_radps[axis] = g;
		if (float_clipped(a, acc_range))
			s->clipped |= (uint8_t)(IMU_CLIP_ACC_X << axis);
		if (float_clipped(g, gyro_range))
			s->clipped |= (uint8_t)(IMU_CLIP_GYRO_X << axis);
	}
	return true;
}

bool imu_ms_parse_imu6(const uint8_t *buf, size_t len, uint8_t reference, double rate_hz,
		       double acc_range_mps2, double gyro_range_radps, uint8_t foot,
		       struct imu_packet *pkt, struct imu_sample *out, size_t cap)
{
	if (!buf || len < MS_HEADER_LEN + MS_BYTES_PER_SAMPLE || !(rate_hz > 0))
		return false;
	if (buf[0] != IMU_MS_RESP_DATA || buf[1] != reference)
		return false;
	size_t body = len - MS_HEADER_LEN;
	if (body % MS_BYTES_PER_SAMPLE != 0)
		return false;
	size_t count = body / MS_BYTES_PER_SAMPLE;
	if (count > cap)
		return false;

	/* Decode into out, but only report success when every value was
	 * finite; on failure the caller's buffer is garbage by contract of
	 * "false", while *pkt is untouched. */
	const uint8_t *acc = buf + MS_HEADER_LEN, *gyro = acc + count * 12;
	for (size_t i = 0; i < count; i++) {
		if (!decode_ms_sample(acc + 12 * i, gyro + 12 * i, acc_range_mps2, gyro_range_radps,
				      &out[i]))
			return false;
		out[i].t_us = llround((double)i * 1e6 / rate_hz);
		out[i].foot = foot;
	}
	*pkt = (struct imu_packet){
		.has_seq = false,
		.t_first_raw = bytes_le32(buf + 2),
		.t_unit_us = 1000,
		.rate_hz = rate_hz,
		.count = count,
	};
	return true;
}

static void put_lef32(uint8_t *p, double v)
{
	float f = (float)v;
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	bytes_put_le32(p, u);
}

size_t imu_ms_encode_imu6(uint8_t reference, uint32_t t_first_ms, const struct imu_sample *samples,
			  size_t count, uint8_t *out, size_t out_cap)
{
	size_t len = MS_HEADER_LEN + count * MS_BYTES_PER_SAMPLE;
	if (count == 0 || len > out_cap)
		return 0;
	out[0] = IMU_MS_RESP_DATA;
	out[1] = reference;
	bytes_put_le32(out + 2, t_first_ms);
	uint8_t *acc = out + MS_HEADER_LEN, *gyro = acc + count * 12;
	for (size_t i = 0; i < count; i++)
		for (int axis = 0; axis < 3; axis++) {
			put_lef32(acc + 12 * i + 4 * axis, samples[i].acc_mps2[axis]);
			put_lef32(gyro + 12 * i + 4 * axis,
				  samples[i].gyro_radps[axis] / DEG_TO_RAD);
		}
	return len;
}

/* ---- stream ---- */

void imu_stream_init(struct imu_stream *s)
{
	*s = (struct imu_stream){ 0 };
}

static int64_t packet_span_us(const struct imu_packet *pkt)
{
	return llround((double)pkt->count * 1e6 / pkt->rate_hz);
}

/* Fills *gap and counts the loss; false when nothing was lost. */
static bool detect_gap(struct imu_stream *s, const struct imu_packet *pkt, int64_t first_us,
		       struct imu_gap *gap)
{
	unsigned lost_packets = 0;
	if (pkt->has_seq && s->has_seq)
		lost_packets = (uint16_t)(pkt->seq - s->last_seq - 1u);
	if (lost_packets == 0xffff)
		lost_packets = 0; /* a repeated sequence number, not 65535 losses */
	double period_us = 1e6 / pkt->rate_hz;
	/* Half a period of tolerance absorbs timestamp rounding (Movesense
	 * stamps in whole milliseconds). */
	double late_us = (double)(first_us - s->next_expected_us);
	unsigned lost_samples =
		late_us > 0.5 * period_us ? (unsigned)lround(late_us / period_us) : 0;
	if (lost_packets == 0 && lost_samples == 0)
		return false;
	s->lost_packets += lost_packets;
	s->lost_samples += lost_samples;
	/* Packets lost by their sequence numbers while the clock says this
	 * one came early (a sensor whose packets overlap in time): the gap
	 * is empty, not negative, so no run loses gap time to it. */
	int64_t from_us = s->next_expected_us < first_us ? s->next_expected_us : first_us;
	if (gap)
		*gap = (struct imu_gap){
			.from_us = from_us,
			.to_us = first_us,
			.lost_packets = lost_packets,
			.lost_samples = lost_samples,
		};
	return true;
}

bool imu_stream_stamp(struct imu_stream *s, const struct imu_packet *pkt,
		      struct imu_sample *samples, struct imu_gap *gap)
{
	int64_t first_us;
	bool lost = false;
	if (!s->started) {
		first_us = (int64_t)pkt->t_first_raw * pkt->t_unit_us;
	} else {
		/* Modular difference handles the wrap; a backwards step means
		 * the sensor restarted its clock: continue where we expected. */
		int32_t d = (int32_t)(pkt->t_first_raw - s->last_raw);
		if (d < 0)
			first_us = s->next_expected_us;
		else
			first_us = s->last_first_us + (int64_t)d * pkt->t_unit_us;
		lost = detect_gap(s, pkt, first_us, gap);
	}
	for (size_t i = 0; i < pkt->count; i++)
		samples[i].t_us += first_us;
	s->started = true;
	s->has_seq = pkt->has_seq;
	s->last_seq = pkt->seq;
	s->last_raw = pkt->t_first_raw;
	s->last_first_us = first_us;
	s->next_expected_us = first_us + packet_span_us(pkt);
	s->packets++;
	return lost;
}
