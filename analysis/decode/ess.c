// SPDX-License-Identifier: GPL-2.0-or-later
#include "decode/ess.h"

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
