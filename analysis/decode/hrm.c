// SPDX-License-Identifier: GPL-2.0-or-later
#include "decode/hrm.h"

#include "decode/drivers.h"
#include "util/cursor.h"

enum {
	HRM_FLAG_UINT16 = 1 << 0,
	HRM_FLAG_CONTACT_DETECTED = 1 << 1,
	HRM_FLAG_CONTACT_SUPPORTED = 1 << 2,
	HRM_FLAG_ENERGY = 1 << 3,
	HRM_FLAG_RR = 1 << 4,
};

bool hrm_parse_measurement(const uint8_t *buf, size_t len, struct hrm_measurement *out)
{
	struct cursor c = cursor_init(buf, len);
	struct hrm_measurement m = { 0 };
	uint8_t flags, hr8;
	uint16_t hr16, energy, rr;

	if (!cursor_u8(&c, &flags))
		return false;
	if (flags & HRM_FLAG_UINT16) {
		if (!cursor_le16(&c, &hr16))
			return false;
		m.heart_rate_bpm = hr16;
	} else {
		if (!cursor_u8(&c, &hr8))
			return false;
		m.heart_rate_bpm = hr8;
	}
	m.contact_supported = flags & HRM_FLAG_CONTACT_SUPPORTED;
	m.contact_detected = m.contact_supported && (flags & HRM_FLAG_CONTACT_DETECTED);
	if (flags & HRM_FLAG_ENERGY) {
		if (!cursor_le16(&c, &energy))
			return false;
		m.has_energy = true;
		m.energy_kj = energy;
	}
	/* RR intervals fill the rest, in 1/1024 s. */
	if (flags & HRM_FLAG_RR)
		while (m.n_rr < HRM_MAX_RR && cursor_le16(&c, &rr))
			m.rr_s[m.n_rr++] = rr / 1024.0;
	*out = m;
	return true;
}

bool hrm_decode_measurement(const uint8_t *buf, size_t len, struct decode_value *out)
{
	struct hrm_measurement m;
	if (!hrm_parse_measurement(buf, len, &m))
		return false;
	/* Without skin contact a strap reports nonsense. */
	bool no_contact = m.contact_supported && !m.contact_detected;
	*out = (struct decode_value){ .has_value = !no_contact && m.heart_rate_bpm != 0,
				      .heart_rate_bpm = m.heart_rate_bpm };
	return true;
}
