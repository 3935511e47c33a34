// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/median.h"

#include <string.h>

double median_of_few(const double *v, size_t n)
{
	double w[MEDIAN_FEW_MAX];
	if (n > MEDIAN_FEW_MAX)
		n = MEDIAN_FEW_MAX;
	memcpy(w, v, n * sizeof(w[0]));
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && w[j - 1] > w[j]; j--) {
			double x = w[j];
			w[j] = w[j - 1];
			w[j - 1] = x;
		}
	return w[n / 2];
}
