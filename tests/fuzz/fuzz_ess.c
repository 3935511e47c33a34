// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the Environmental Sensing decoders (decode/ess.h), the
 * barometer's pressure and temperature: the input is one value, read as
 * both. Checked: refused leaves the output untouched; decoded values are
 * within their field widths; the drivers' entries agree with the parsers.
 */
#include <math.h>

#include "decode/drivers.h"
#include "decode/ess.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	double pa, c;
	memset(&pa, FUZZ_POISON, sizeof(pa));
	memset(&c, FUZZ_POISON, sizeof(c));
	bool have_pa = ess_parse_pressure(data, size, &pa);
	bool have_c = ess_parse_temperature(data, size, &c);
	if (have_pa)
		FUZZ_CHECK(pa >= 0 && pa <= 429496729.5);
	else
		FUZZ_CHECK(fuzz_untouched(&pa, sizeof(pa)));
	if (have_c)
		FUZZ_CHECK(c >= -327.68 && c <= 327.67);
	else
		FUZZ_CHECK(fuzz_untouched(&c, sizeof(c)));

	struct decode_value dv;
	FUZZ_CHECK(ess_decode_pressure(data, size, &dv) == have_pa);
	bool dec_c = ess_decode_temperature(data, size, &dv);
	FUZZ_CHECK(dec_c == have_c || (dec_c && !dv.has_value));
	if (dec_c && dv.has_value)
		FUZZ_CHECK(isfinite(dv.temperature_c));
	return 0;
}
