// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the Running Speed and Cadence decoders (decode/rsc.h).
 * The input is a run of notifications, each a length byte and its value:
 * each is parsed as a measurement, a feature and a sensor location, and
 * the measurements feed one cadence resolver as a pod's stream would.
 * Checked: a refused value leaves the output untouched; a decoded one has
 * its fields within what the field widths allow.
 */
#include <math.h>

#include "decode/drivers.h"
#include "decode/rsc.h"
#include "fuzz.h"

static void check_measurement(const uint8_t *v, size_t len, struct rsc_cadence *cad)
{
	struct rsc_measurement m;
	memset(&m, FUZZ_POISON, sizeof(m));
	if (!rsc_parse_measurement(v, len, &m)) {
		FUZZ_CHECK(fuzz_untouched(&m, sizeof(m)));
		return;
	}
	FUZZ_CHECK(m.speed_mps >= 0 && m.speed_mps < 256.0);
	FUZZ_CHECK(m.cadence_raw_per_min <= 255);
	FUZZ_CHECK(!m.has_stride_length ||
		   (m.stride_length_raw_m >= 0 && m.stride_length_raw_m <= 655.35));
	FUZZ_CHECK(!m.has_total_distance ||
		   (m.total_distance_m >= 0 && m.total_distance_m <= 429496729.5));
	rsc_cadence_observe(cad, &m);
	double spm = NAN, stride_m = NAN;
	if (rsc_cadence_normalise(cad, &m, &spm, &stride_m))
		FUZZ_CHECK(isfinite(spm) && spm >= 0);
	(void)rsc_convention_name(rsc_cadence_convention(cad));
}

static void check_small_fields(const uint8_t *v, size_t len)
{
	uint16_t features = 0xA5A5;
	uint8_t location = FUZZ_POISON;
	if (!rsc_parse_feature(v, len, &features))
		FUZZ_CHECK(features == 0xA5A5);
	if (rsc_parse_sensor_location(v, len, &location))
		FUZZ_CHECK(rsc_sensor_location_name(location) != NULL);
	else
		FUZZ_CHECK(location == FUZZ_POISON);

	/* The drivers' entries agree with the parsers. */
	struct decode_value dv;
	FUZZ_CHECK(rsc_decode_measurement(v, len, &dv) == rsc_parse_measurement(v, len, &dv.rsc));
	FUZZ_CHECK(rsc_decode_feature(v, len, &dv) == rsc_parse_feature(v, len, &features));
	FUZZ_CHECK(rsc_decode_sensor_location(v, len, &dv) ==
		   rsc_parse_sensor_location(v, len, &location));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsc_cadence cad;
	rsc_cadence_init(&cad);
	size_t at = 0;
	while (at < size) {
		size_t len = data[at++];
		if (len > size - at)
			len = size - at;
		check_measurement(data + at, len, &cad);
		check_small_fields(data + at, len);
		at += len;
	}
	return 0;
}
