// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the Heart Rate Measurement decoder (decode/hrm.h): the
 * whole input is one notification's value. Checked: a refused value
 * leaves the output untouched; a decoded one has at most HRM_MAX_RR RR
 * intervals, each within a uint16's 1/1024 s, and the drivers' entry
 * agrees with the parser.
 */
#include "decode/drivers.h"
#include "decode/hrm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hrm_measurement m;
	memset(&m, FUZZ_POISON, sizeof(m));
	bool ok = hrm_parse_measurement(data, size, &m);
	if (!ok) {
		FUZZ_CHECK(fuzz_untouched(&m, sizeof(m)));
	} else {
		FUZZ_CHECK(m.heart_rate_bpm <= 65535);
		FUZZ_CHECK(!m.has_energy || m.energy_kj <= 65535);
		FUZZ_CHECK(m.n_rr <= HRM_MAX_RR);
		for (size_t i = 0; i < m.n_rr; i++)
			FUZZ_CHECK(m.rr_s[i] >= 0 && m.rr_s[i] < 64.0);
		FUZZ_CHECK(!m.contact_detected || m.contact_supported);
	}
	struct decode_value dv;
	memset(&dv, FUZZ_POISON, sizeof(dv));
	bool decoded = hrm_decode_measurement(data, size, &dv);
	FUZZ_CHECK(decoded == ok);
	if (decoded && dv.has_value)
		FUZZ_CHECK(dv.heart_rate_bpm > 0 && dv.heart_rate_bpm <= 65535);
	return 0;
}
