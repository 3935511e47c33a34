/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Heart Rate Measurement (0x2A37) decoder. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HRM_MAX_RR 16

struct hrm_measurement {
	unsigned heart_rate_bpm;
	bool contact_supported;
	bool contact_detected;
	bool has_energy;
	unsigned energy_kj;
	size_t n_rr;
	double rr_s[HRM_MAX_RR]; /* RR intervals, oldest first */
};

/* false (output untouched) if a flagged field is cut off; RR intervals
 * beyond HRM_MAX_RR and a trailing odd byte are ignored. */
bool hrm_parse_measurement(const uint8_t *buf, size_t len, struct hrm_measurement *out);

struct decode_value;
/* The drivers' entry (drivers.h): a strap without skin contact, or one
 * reporting 0 bpm, sends a well-formed value with no heart rate in it. */
bool hrm_decode_measurement(const uint8_t *buf, size_t len, struct decode_value *out);
