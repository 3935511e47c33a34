/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Environmental Sensing service characteristics used for a barometer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pressure (0x2A6D): uint32 in 0.1 Pa. */
bool ess_parse_pressure(const uint8_t *buf, size_t len, double *pressure_pa);
/* Temperature (0x2A6E): sint16 in 0.01 °C; 0x8000 means "unknown". */
bool ess_parse_temperature(const uint8_t *buf, size_t len, double *temperature_c);

struct decode_value;
/* The drivers' entries (drivers.h). A temperature of "value is not known"
 * (0x8000) is well formed, without a value; only a short one is not. */
bool ess_decode_pressure(const uint8_t *buf, size_t len, struct decode_value *out);
bool ess_decode_temperature(const uint8_t *buf, size_t len, struct decode_value *out);
