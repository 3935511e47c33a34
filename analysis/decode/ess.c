// SPDX-License-Identifier: GPL-2.0-or-later
#include "decode/ess.h"

#include "decode/drivers.h"
#include "util/cursor.h"

bool ess_parse_pressure(const uint8_t *buf, size_t len, double *pressure_pa)
{
	struct cursor c = cursor_init(buf, len);
	uint32_t raw;
	if (!cursor_le32(&c, &raw))
		return false;
	*pressure_pa = raw / 10.0;
	return true;
}

bool ess_parse_temperature(const uint8_t *buf, size_t len, double *temperature_c)
{
	struct cursor c = cursor_init(buf, len);
	uint16_t raw;
	/* 0x8000 is the specification's "value is not known". */
	if (!cursor_le16(&c, &raw) || raw == 0x8000)
		return false;
	*temperature_c = (int16_t)raw / 100.0;
	return true;
}

bool ess_decode_pressure(const uint8_t *buf, size_t len, struct decode_value *out)
{
	double pa;
	if (!ess_parse_pressure(buf, len, &pa))
		return false;
	*out = (struct decode_value){ .has_value = true, .pressure_pa = pa };
	return true;
}

bool ess_decode_temperature(const uint8_t *buf, size_t len, struct decode_value *out)
{
	double c = 0;
	if (len < 2)
		return false;
	bool known = ess_parse_temperature(buf, len, &c);
	*out = (struct decode_value){ .has_value = known, .temperature_c = c };
	return true;
}
