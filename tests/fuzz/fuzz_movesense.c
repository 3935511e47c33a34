// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for Movesense's GATT SensorData protocol (decode/imu.h): the
 * input is a run of notifications, each a length byte and its value, each
 * parsed as a command result and as IMU6 data (at the reference, rate and
 * cap the first two bytes pick) whose samples one imu_stream stamps. Checked:
 * refused leaves the packet untouched; at most cap samples, all finite;
 * a result's status, when there is one, is an HTTP code.
 */
#include <math.h>

#include "decode/imu.h"
#include "fuzz.h"

/* The daemon holds at most this many (ingest_internal.h's cap). */
#define DAEMON_CAP 255

static const unsigned rates[] = { 13, 26, 52, 104, 208, 416, 833, 1666 };

static void check_result(const uint8_t *v, size_t len)
{
	struct imu_ms_result r;
	memset(&r, FUZZ_POISON, sizeof(r));
	if (!imu_ms_parse_result(v, len, &r)) {
		FUZZ_CHECK(fuzz_untouched(&r, sizeof(r)));
		return;
	}
	FUZZ_CHECK(!r.has_status || (r.status >= 100 && r.status <= 599));
}

static void check_imu6(const uint8_t *v, size_t len, uint8_t reference, double rate_hz,
		       double acc_range, size_t cap, struct imu_stream *stream)
{
	static struct imu_sample samples[DAEMON_CAP];
	struct imu_packet pkt;
	memset(&pkt, FUZZ_POISON, sizeof(pkt));
	if (!imu_ms_parse_imu6(v, len, reference, rate_hz, acc_range, 0, IMU_FOOT_RIGHT, &pkt,
			       samples, cap)) {
		/* The samples are scratch on failure (decode/imu.h), the
		 * packet is not. */
		FUZZ_CHECK(fuzz_untouched(&pkt, sizeof(pkt)));
		return;
	}
	FUZZ_CHECK(pkt.count >= 1 && pkt.count <= cap && len == 6 + 24 * pkt.count);
	for (size_t i = 0; i < pkt.count; i++)
		for (int k = 0; k < 3; k++)
			FUZZ_CHECK(isfinite(samples[i].acc_mps2[k]) &&
				   isfinite(samples[i].gyro_radps[k]));
	struct imu_gap gap;
	if (imu_stream_stamp(stream, &pkt, samples, &gap))
		FUZZ_CHECK(gap.to_us >= gap.from_us);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct imu_stream stream;
	imu_stream_init(&stream);
	uint8_t reference = data[0];
	double rate_hz = rates[data[1] & 7];
	double acc_range = (data[1] & 8) ? 16 * 9.80665 : 0;
	size_t cap = (data[1] & 16) ? 3 : DAEMON_CAP;
	FUZZ_CHECK(imu_ms_rate_valid((unsigned)rate_hz));
	size_t at = 2;
	while (at < size) {
		size_t len = data[at++];
		if (len > size - at)
			len = size - at;
		check_result(data + at, len);
		check_imu6(data + at, len, reference, rate_hz, acc_range, cap, &stream);
		at += len;
	}
	return 0;
}
