// SPDX-License-Identifier: GPL-2.0-or-later
#include "run/segments.h"

#include <math.h>
#include <string.h>

static const char *const class_names[SEG_CLASS_COUNT] = {
	[SEG_STEEP_DOWN] = "steep-down",
	[SEG_DOWN] = "down",
	[SEG_FLAT] = "flat",
	[SEG_UP] = "up",
	[SEG_STEEP_UP] = "steep-up",
	[SEG_UNKNOWN] = "unknown",
};

const char *seg_class_name(enum seg_class c)
{
	return (unsigned)c < SEG_CLASS_COUNT ? class_names[c] : "unknown";
}

bool seg_class_parse(const char *name, enum seg_class *out)
{
	for (unsigned c = 0; c < SEG_CLASS_COUNT; c++)
		if (name && strcmp(name, class_names[c]) == 0) {
			*out = (enum seg_class)c;
			return true;
		}
	return false;
}

enum seg_class seg_classify(double grade_pct, const struct seg_thresholds *t)
{
	if (!isfinite(grade_pct))
		return SEG_UNKNOWN;
	if (grade_pct <= -t->steep_pct)
		return SEG_STEEP_DOWN;
	if (grade_pct <= -t->flat_pct)
		return SEG_DOWN;
	if (grade_pct < t->flat_pct)
		return SEG_FLAT;
	if (grade_pct < t->steep_pct)
		return SEG_UP;
	return SEG_STEEP_UP;
}
