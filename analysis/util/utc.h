/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A UTC time as text, in each of the forms hamstride writes one in.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum utc_form {
	UTC_STAMP, /* in file names: 20261207T091500Z */
	UTC_LOG,   /* in log lines: 2026-12-07 09:15:00 UTC */
	UTC_ISO,   /* in the CLI and CSV, ISO 8601: 2026-12-07T09:15:00Z */
	UTC_DAY,   /* a day, as the pain log keeps it: 2026-12-07 */
};

/* The whole second of us (microseconds since 1970, floored, so a time
 * before 1970 is not rounded toward it) in that form; fallback where the
 * time cannot be shown (a year out of range, a buffer too small). */
const char *utc_text(int64_t us, enum utc_form form, const char *fallback, char *buf, size_t size);
