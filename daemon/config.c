// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ble/ble_link.h"

#define US_PER_S 1e6

void config_default(struct daemon_config *c)
{
	*c = (struct daemon_config){ .log_level = LOG_LEVEL_INFO, .adapter = "hci0" };
	ingest_config_default(&c->ingest);
	c->ingest.capture_dir = c->capture_dir;
}

struct parse_state {
	struct daemon_config config;
	const char *path;
	int line;
	char why[256];
};

static bool parse_seconds(const char *text, double min_s, double max_s, int64_t *out_us)
{
	char *end;
	errno = 0;
	double s = strtod(text, &end);
	if (errno || end == text || *end || !(s >= min_s && s <= max_s))
		return false;
	*out_us = (int64_t)llround(s * US_PER_S);
	return true;
}

static bool parse_bool(const char *text, bool *out)
{
	if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") || !strcmp(text, "1")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(text, "false") || !strcasecmp(text, "no") || !strcmp(text, "0")) {
		*out = false;
		return true;
	}
	return false;
}

static bool copy_path(const char *value, char *dst, size_t size)
{
	return value[0] == '/' && snprintf(dst, size, "%s", value) < (int)size;
}

static const char *set_daemon_key(struct daemon_config *c, const char *name, const char *value)
{
	if (!strcmp(name, "database"))
		return copy_path(value, c->database, sizeof(c->database))
			       ? NULL
			       : "database must be an absolute path of at most 4095 bytes";
	if (!strcmp(name, "capture_dir")) {
		if (!value[0] || copy_path(value, c->capture_dir, sizeof(c->capture_dir))) {
			if (!value[0])
				c->capture_dir[0] = '\0';
			return NULL;
		}
		return "capture_dir must be empty or an absolute path of at most 199 bytes";
	}
	if (!strcmp(name, "adapter")) {
		if (ble_link_adapter_parse(value) < 0)
			return "adapter must be a Bluetooth adapter's name, such as hci0";
		snprintf(c->adapter, sizeof(c->adapter), "%s", value);
		return NULL;
	}
	if (!strcmp(name, "log_level"))
		return log_level_parse(value, &c->log_level)
			       ? NULL
			       : "log_level must be error, warning, notice, info or debug";
	return "unknown key";
}

static const char *set_session_key(struct daemon_config *c, const char *name, const char *value)
{
	struct session_config *s = &c->ingest.session;
	if (!strcmp(name, "idle_timeout_s"))
		return parse_seconds(value, 5, 3600, &s->idle_timeout_us)
			       ? NULL
			       : "idle_timeout_s must be a number of seconds from 5 to 3600";
	if (!strcmp(name, "sensor_timeout_s"))
		return parse_seconds(value, 5, 3600, &s->sensor_timeout_us)
			       ? NULL
			       : "sensor_timeout_s must be a number of seconds from 5 to 3600";
	if (!strcmp(name, "gap_s"))
		return parse_seconds(value, 1, 600, &s->gap_us)
			       ? NULL
			       : "gap_s must be a number of seconds from 1 to 600";
	if (!strcmp(name, "start_speed_mps")) {
		char *end;
		double v = strtod(value, &end);
		if (end == value || *end || !(v >= 0.5 && v <= 6.0))
			return "start_speed_mps must be a speed from 0.5 to 6.0 m/s";
		c->ingest.start_speed_mps = v;
		return NULL;
	}
	return "unknown key";
}

/* [segments]: the grade classes' thresholds (run/segments.h), in percent,
 * and the shortest segment. */
static const char *set_segments_key(struct daemon_config *c, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t offset;
		double lo, hi;
		const char *problem;
	} keys[] = {
		{ "flat_pct", offsetof(struct seg_thresholds, flat_pct), 0.5, 5,
		  "flat_pct must be a grade from 0.5 to 5 %" },
		{ "steep_pct", offsetof(struct seg_thresholds, steep_pct), 2, 30,
		  "steep_pct must be a grade from 2 to 30 %" },
		{ "hysteresis_pct", offsetof(struct seg_thresholds, hysteresis_pct), 0, 2,
		  "hysteresis_pct must be from 0 to 2 %" },
		{ "min_length_m", offsetof(struct seg_thresholds, min_length_m), 0, 2000,
		  "min_length_m must be a length from 0 to 2000 m" },
		{ "min_duration_s", offsetof(struct seg_thresholds, min_duration_s), 0, 600,
		  "min_duration_s must be a number of seconds from 0 to 600" },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(name, keys[i].name) != 0)
			continue;
		char *end;
		double v = strtod(value, &end);
		if (end == value || *end || !(v >= keys[i].lo && v <= keys[i].hi))
			return keys[i].problem;
		*(double *)((char *)&c->ingest.segments + keys[i].offset) = v;
		if (!(c->ingest.segments.flat_pct < c->ingest.segments.steep_pct))
			return "flat_pct must be below steep_pct";
		return NULL;
	}
	return "unknown key";
}

static int handle_line(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	const char *problem;

	if (!strcmp(section, "daemon"))
		problem = set_daemon_key(&st->config, name, value);
	else if (!strcmp(section, "session"))
		problem = set_session_key(&st->config, name, value);
	else if (!strcmp(section, "segments"))
		problem = set_segments_key(&st->config, name, value);
	else if (!strcmp(section, "replay"))
		problem = !strcmp(name, "realtime") ? (parse_bool(value, &st->config.realtime)
							       ? NULL
							       : "realtime must be true or false")
						    : "unknown key";
	else
		problem = "unknown section";
	if (problem && !st->why[0])
		snprintf(st->why, sizeof(st->why), "[%s] %s = %s: %s", section, name, value,
			 problem);
	return problem == NULL;
}

int config_load(const char *path, struct daemon_config *c, char *why, size_t why_len)
{
	struct parse_state st = { .config = *c, .path = path };
	FILE *f = fopen(path, "r");
	if (!f) {
		int err = errno;
		snprintf(why, why_len, "cannot read config %s: %s", path, strerror(err));
		return -err;
	}
	int line = ini_parse_file(f, handle_line, &st);
	fclose(f);
	if (line != 0) {
		snprintf(why, why_len, "config %s line %d: %s", path, line,
			 st.why[0] ? st.why : "not a key = value line or [section]");
		return -EINVAL;
	}
	*c = st.config;
	c->ingest.capture_dir = c->capture_dir;
	return 0;
}
