// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/mat3.h"

#include <math.h>

void mat3_from_rpy(double roll_rad, double pitch_rad, double yaw_rad, double r[9])
{
	double cr = cos(roll_rad), sr = sin(roll_rad), cp = cos(pitch_rad), sp = sin(pitch_rad);
	double cy = cos(yaw_rad), sy = sin(yaw_rad);
	r[0] = cy * cp;
	r[1] = cy * sp * sr - sy * cr;
	r[2] = cy * sp * cr + sy * sr;
	r[3] = sy * cp;
	r[4] = sy * sp * sr + cy * cr;
	r[5] = sy * sp * cr - cy * sr;
	r[6] = -sp;
	r[7] = cp * sr;
	r[8] = cp * cr;
}

void mat3_mul_vec(const double m[9], const double v[3], double out[3])
{
	for (int i = 0; i < 3; i++)
		out[i] = m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2];
}

void mat3_tmul_vec(const double m[9], const double v[3], double out[3])
{
	for (int i = 0; i < 3; i++)
		out[i] = m[i] * v[0] + m[3 + i] * v[1] + m[6 + i] * v[2];
}

void mat3_mul(const double a[9], const double b[9], double out[9])
{
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			out[3 * i + j] =
				a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
}
