/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 3×3 rotation matrices, row-major, for the foot INS and its simulator. */
#pragma once

/* Rz(yaw) · Ry(pitch) · Rx(roll): body to navigation frame. */
void mat3_from_rpy(double roll_rad, double pitch_rad, double yaw_rad, double r[9]);
/* out = m · v */
void mat3_mul_vec(const double m[9], const double v[3], double out[3]);
/* out = mᵀ · v */
void mat3_tmul_vec(const double m[9], const double v[3], double out[3]);
/* out = a · b (out must not alias a or b) */
void mat3_mul(const double a[9], const double b[9], double out[9]);
