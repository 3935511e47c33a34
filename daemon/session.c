// SPDX-License-Identifier: GPL-2.0-or-later
#include "session.h"

void session_config_default(struct session_config *c)
{
	c->idle_timeout_us = 120 * INT64_C(1000000);
	c->sensor_timeout_us = 60 * INT64_C(1000000);
	c->gap_us = 5 * INT64_C(1000000);
}

void session_init(struct session *s, const struct session_config *config)
{
	*s = (struct session){ .config = *config };
}

void session_set_config(struct session *s, const struct session_config *config)
{
	s->config = *config;
}

/* A sensor that fell silent before the end of the run and never came back
 * leaves a gap up to the run's end. */
static size_t close_run(struct session *s, const char *reason, struct session_event *ev)
{
	size_t n = 0;
	for (int i = 0; i < SESSION_MAX_SENSORS; i++) {
		const struct session_sensor *sensor = &s->sensors[i];
		if (!sensor->seen || sensor->last_seen_us < s->run_start_us)
			continue;
		int64_t silent_us = s->last_active_us - sensor->last_seen_us;
		if (silent_us > s->config.gap_us || (sensor->lost && silent_us > 0))
			ev[n++] = (struct session_event){ .type = SESSION_GAP,
							  .sensor = i,
							  .start_us = sensor->last_seen_us,
							  .end_us = s->last_active_us };
	}
	ev[n++] = (struct session_event){ .type = SESSION_RUN_ENDED,
					  .start_us = s->run_start_us,
					  .end_us = s->last_active_us,
					  .reason = reason };
	s->in_run = false;
	for (int i = 0; i < SESSION_MAX_SENSORS; i++)
		s->sensors[i].lost = false;
	return n;
}

static bool all_sensors_gone(const struct session *s, int64_t now_us)
{
	for (int i = 0; i < SESSION_MAX_SENSORS; i++)
		if (s->sensors[i].seen &&
		    now_us - s->sensors[i].last_seen_us <= s->config.sensor_timeout_us)
			return false;
	return true;
}

size_t session_tick(struct session *s, int64_t now_us, struct session_event ev[SESSION_MAX_EVENTS])
{
	if (!s->in_run)
		return 0;
	if (all_sensors_gone(s, now_us))
		return close_run(s, "sensors gone", ev);
	if (now_us - s->last_active_us > s->config.idle_timeout_us)
		return close_run(s, "idle", ev);
	return 0;
}

size_t session_observe(struct session *s, int sensor, int64_t t_us, bool active,
		       struct session_event ev[SESSION_MAX_EVENTS])
{
	size_t n = session_tick(s, t_us, ev);
	struct session_sensor *state;

	if (sensor < 0 || sensor >= SESSION_MAX_SENSORS)
		return n;
	state = &s->sensors[sensor];
	if (s->in_run && state->seen && state->last_seen_us >= s->run_start_us &&
	    (t_us - state->last_seen_us > s->config.gap_us ||
	     (state->lost && t_us > state->last_seen_us)))
		ev[n++] = (struct session_event){ .type = SESSION_GAP,
						  .sensor = sensor,
						  .start_us = state->last_seen_us,
						  .end_us = t_us };
	/* Bursty delivery can reorder a little: never move a clock back. */
	if (!state->seen || t_us > state->last_seen_us)
		state->last_seen_us = t_us;
	state->seen = true;
	state->lost = false;
	if (!active)
		return n;
	if (!s->in_run) {
		s->in_run = true;
		s->run_start_us = t_us;
		s->last_active_us = t_us;
		ev[n++] = (struct session_event){ .type = SESSION_RUN_STARTED, .start_us = t_us };
	} else if (t_us > s->last_active_us) {
		s->last_active_us = t_us;
	}
	return n;
}

void session_sensor_lost(struct session *s, int sensor)
{
	if (sensor >= 0 && sensor < SESSION_MAX_SENSORS && s->sensors[sensor].seen)
		s->sensors[sensor].lost = true;
}

size_t session_finish(struct session *s, const char *reason,
		      struct session_event ev[SESSION_MAX_EVENTS])
{
	return s->in_run ? close_run(s, reason, ev) : 0;
}
