// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the hamstride IMU profile (decode/imu.h): the input is
 * a run of notifications, each a length byte and its value, each parsed as
 * a configuration and as a data packet whose samples one imu_stream
 * stamps, as the daemon does for a shoe. Checked: refused leaves the
 * output untouched; at most cap samples, all finite, times increasing
 * within a packet; a parsed configuration encodes back to its bytes.
 */
#include <math.h>

#include "decode/imu.h"
#include "fuzz.h"

/* The daemon's cap (ingest_internal.h), and a small one to test it. */
#define DAEMON_CAP 255
#define SMALL_CAP 3
/* Samples checked to be untouched by a refused packet. */
#define WATCHED 4

static void check_config(const uint8_t *v, size_t len)
{
	struct imu_hs_config cfg;
	memset(&cfg, FUZZ_POISON, sizeof(cfg));
	if (!imu_hs_parse_config(v, len, &cfg)) {
		FUZZ_CHECK(fuzz_untouched(&cfg, sizeof(cfg)));
		return;
	}
	FUZZ_CHECK(imu_hs_rate_hz(cfg.rate_code) > 0);
	uint8_t back[IMU_HS_CONFIG_LEN];
	imu_hs_encode_config(&cfg, back);
	FUZZ_CHECK(len >= IMU_HS_CONFIG_LEN && memcmp(back, v, 4) == 0);
}

static void check_data(const uint8_t *v, size_t len, size_t cap, struct imu_stream *stream)
{
	static struct imu_sample samples[DAEMON_CAP];
	struct imu_packet pkt;
	memset(&pkt, FUZZ_POISON, sizeof(pkt));
	/* The first samples stand for all: a parser writes from out[0]. */
	memset(samples, FUZZ_POISON, sizeof(samples[0]) * WATCHED);
	if (!imu_hs_parse_data(v, len, IMU_FOOT_LEFT, &pkt, samples, cap)) {
		FUZZ_CHECK(fuzz_untouched(&pkt, sizeof(pkt)));
		FUZZ_CHECK(fuzz_untouched(samples, sizeof(samples[0]) * WATCHED));
		return;
	}
	FUZZ_CHECK(pkt.count >= 1 && pkt.count <= cap);
	FUZZ_CHECK(pkt.rate_hz > 0 && isfinite(pkt.rate_hz));
	for (size_t i = 0; i < pkt.count; i++) {
		for (int k = 0; k < 3; k++)
			FUZZ_CHECK(isfinite(samples[i].acc_mps2[k]) &&
				   isfinite(samples[i].gyro_radps[k]));
		FUZZ_CHECK(samples[i].foot == IMU_FOOT_LEFT);
		FUZZ_CHECK(i == 0 || samples[i].t_us > samples[i - 1].t_us);
	}
	struct imu_gap gap;
	if (imu_stream_stamp(stream, &pkt, samples, &gap))
		FUZZ_CHECK(gap.to_us >= gap.from_us);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imu_stream stream;
	imu_stream_init(&stream);
	/* The first byte picks the sample cap: the daemon's, or a small one. */
	size_t cap = size > 0 && (data[0] & 1) ? SMALL_CAP : DAEMON_CAP;
	size_t at = size > 0 ? 1 : 0;
	while (at < size) {
		size_t len = data[at++];
		if (len > size - at)
			len = size - at;
		check_config(data + at, len);
		check_data(data + at, len, cap, &stream);
		at += len;
	}
	return 0;
}
