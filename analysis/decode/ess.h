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
