// SPDX-License-Identifier: GPL-2.0-or-later
#include "nav/sensor_clock.h"

#include <math.h>

/* Movesense stamps packets in whole milliseconds, so two packets' spacing
 * is off by up to 1 ms; a sensor's rate may differ from the nominal one
 * by a few percent. A spacing within both of the expected is expected. */
#define MS_SPACING_SLACK_MS 1.0
#define MS_SPACING_SLACK 0.03
/* A silence this long may have been a reconnect that a replay does not
 * hear of: the rate is learned again after it. */
#define MS_RELEARN_SILENCE_MS 1000.0

const double sensor_clock_ms_rates_hz[SENSOR_CLOCK_MS_RATES] = { 13,  26,  52,  104,
								 208, 416, 833, 1666 };

/*
 * A notification arrives after its last sample was taken, so each one
 * bounds the offset from above and the least bound seen is the estimate;
 * it may rise by the clocks' greatest drift since, so a slow sensor clock
 * is followed. Far above means the sensor restarted its clock.
 */
void sensor_clock_offset_update(struct sensor_clock_offset *c, int64_t host_us, int64_t sensor_us)
{
	int64_t bound_us = host_us - sensor_us;
	if (c->have) {
		int64_t allowed_us =
			c->offset_us + (int64_t)((double)(host_us - c->at_us) * SENSOR_CLOCK_DRIFT);
		if (bound_us <= allowed_us + SENSOR_CLOCK_RESET_US) {
			c->offset_us = bound_us < allowed_us ? bound_us : allowed_us;
			c->at_us = host_us;
			return;
		}
	}
	c->have = true;
	c->offset_us = bound_us;
	c->at_us = host_us;
}

/*
 * Movesense packets do not say their rate: it is the subscribed one, which
 * a replay does not know and a new subscription may change, so it is taken
 * from the spacing of consecutive packets' timestamps and snapped to the
 * rates IMU6 offers.
 */

void sensor_clock_rate_init(struct sensor_clock_rate *r)
{
	*r = (struct sensor_clock_rate){ 0 };
}

void sensor_clock_rate_reset(struct sensor_clock_rate *r)
{
	r->rate_hz = 0;
	r->have_prev = false;
	r->prev_multiple = 0;
}

/* The IMU6 rate at which the previous packet lasts until this one; 0 if
 * none fits. */
static double rate_from_spacing(const struct sensor_clock_rate *r, uint32_t t_first_raw)
{
	int32_t dt_ms = (int32_t)(t_first_raw - r->prev_raw);
	if (dt_ms <= 0)
		return 0; /* a repeated time, or the sensor restarted its clock */
	double rate_hz = (double)r->prev_count * 1000.0 / dt_ms;
	for (size_t i = 0; i < SENSOR_CLOCK_MS_RATES; i++)
		if (fabs(rate_hz - sensor_clock_ms_rates_hz[i]) <
		    0.15 * sensor_clock_ms_rates_hz[i])
			return sensor_clock_ms_rates_hz[i];
	return 0;
}

/*
 * Whether this packet comes a whole number of the previous packet's
 * durations after it at the current rate: one is the next packet, more
 * is packets lost in between (*multiple says how many durations). Any
 * other spacing no loss explains, and a long silence may hide a new
 * subscription.
 */
static bool spacing_fits(const struct sensor_clock_rate *r, uint32_t t_first_raw,
			 unsigned *multiple)
{
	int32_t dt_ms = (int32_t)(t_first_raw - r->prev_raw);
	double packet_ms = (double)r->prev_count * 1000.0 / r->rate_hz;
	double m = nearbyint(dt_ms / packet_ms);
	if (dt_ms <= 0 || m < 1 || dt_ms - packet_ms > MS_RELEARN_SILENCE_MS)
		return false;
	*multiple = (unsigned)m;
	return fabs(dt_ms - m * packet_ms) <=
	       MS_SPACING_SLACK_MS + MS_SPACING_SLACK * m * packet_ms;
}

/*
 * A spacing that is a whole number of packets is a loss, except when the
 * same number comes twice running: the sensor then streams that many
 * times slower (416 to 208 Hz with as many samples per packet spaces them
 * twice as far, as one lost packet does). Any other spacing means the
 * rate changed: the spacing gives the new one, or the next packet's does.
 */
double sensor_clock_rate_track(struct sensor_clock_rate *r, uint32_t t_first_raw, size_t count)
{
	if (r->have_prev) {
		unsigned multiple = 0;
		bool fits = r->rate_hz > 0 && spacing_fits(r, t_first_raw, &multiple);
		if (fits && multiple > 1 && multiple == r->prev_multiple)
			fits = false;
		if (!fits) {
			r->rate_hz = rate_from_spacing(r, t_first_raw);
			multiple = 0;
		}
		r->prev_multiple = multiple;
	}
	r->have_prev = true;
	r->prev_raw = t_first_raw;
	r->prev_count = count;
	return r->rate_hz;
}

void sensor_clock_restamp(struct imu_packet *pkt, struct imu_sample *samples, double rate_hz)
{
	pkt->rate_hz = rate_hz;
	for (size_t i = 0; i < pkt->count; i++)
		samples[i].t_us = llround((double)i * 1e6 / rate_hz);
}
