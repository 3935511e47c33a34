/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The median of a handful of values (the latest few strides' length or
 * swing), sorted by insertion on the stack: no allocation, and the order
 * of equal or unordered values is that of the input.
 */
#pragma once

#include <stddef.h>

#define MEDIAN_FEW_MAX 16

/* The middle of the n (1..MEDIAN_FEW_MAX) values sorted, the upper of the
 * two for an even n; v is left as it was. */
double median_of_few(const double *v, size_t n);
