// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the Fitness Machine Treadmill Data decoder
 * (decode/ftms.h) and the checks that watch a treadmill's stream. The
 * input is a run of notifications, each a length byte and its value, one
 * second apart. Checked: refused leaves the output untouched; decoded
 * fields are finite and within their widths; the doubts are known bits.
 */
#include <math.h>

#include "decode/ftms.h"
#include "fuzz.h"

static void check_fields(const struct ftms_treadmill_data *d)
{
	FUZZ_CHECK(!d->has_speed || (d->speed_mps >= 0 && d->speed_mps < 200));
	FUZZ_CHECK(!d->has_average_speed ||
		   (d->average_speed_mps >= 0 && d->average_speed_mps < 200));
	FUZZ_CHECK(!d->has_total_distance ||
		   (d->total_distance_m >= 0 && d->total_distance_m < 16777216.0));
	FUZZ_CHECK(!d->has_incline || (d->incline_pct >= -3276.8 && d->incline_pct <= 3276.7));
	FUZZ_CHECK(!d->has_ramp_angle || isfinite(d->ramp_angle_deg));
	FUZZ_CHECK(!d->has_elevation_gain || (isfinite(d->positive_elevation_gain_m) &&
					      isfinite(d->negative_elevation_gain_m)));
	FUZZ_CHECK(!d->has_pace || isfinite(d->pace_km_per_min));
	FUZZ_CHECK(!d->has_average_pace || isfinite(d->average_pace_km_per_min));
	FUZZ_CHECK(!d->has_met || isfinite(d->met));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ftms_check check;
	ftms_check_init(&check);
	int64_t t_us = 0;
	size_t at = 0;
	while (at < size) {
		size_t len = data[at++];
		if (len > size - at)
			len = size - at;
		struct ftms_treadmill_data d;
		memset(&d, FUZZ_POISON, sizeof(d));
		if (ftms_parse_treadmill_data(data + at, len, &d)) {
			check_fields(&d);
			ftms_check_observe(&check, &d, t_us);
		} else {
			FUZZ_CHECK(fuzz_untouched(&d, sizeof(d)));
		}
		at += len;
		t_us += 1000000;
	}
	unsigned doubts = ftms_check_doubts(&check);
	FUZZ_CHECK((doubts & ~0xFu) == 0);
	for (unsigned bit = 1; bit <= 8; bit <<= 1)
		if (doubts & bit)
			FUZZ_CHECK(ftms_doubt_text((enum ftms_doubt)bit) != NULL);
	return 0;
}
