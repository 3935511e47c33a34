// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ble/ble_link.h"

#define US_PER_S 1e6

/* A config is a few lines; anything much bigger is some other file. */
#define CONFIG_MAX_BYTES 65536
#define CONFIG_MAX_KEYS 64

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
	char why[400];
	unsigned n_keys;
	char keys[CONFIG_MAX_KEYS][48]; /* "section.name" of each key given */
};

/* Plain decimal, as people write seconds and speeds: strtod alone would
 * also take hexadecimal ("0x10"), "inf" and "nan". */
static bool parse_decimal(const char *text, double *out)
{
	const char *p = text;
	bool digits = false;
	while (*p >= '0' && *p <= '9')
		p++, digits = true;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits = true;
	if (!digits || *p)
		return false;
	*out = strtod(text, NULL);
	return true;
}

static bool parse_seconds(const char *text, double min_s, double max_s, int64_t *out_us)
{
	double s;
	if (!parse_decimal(text, &s) || !(s >= min_s && s <= max_s))
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
		double v;
		if (!parse_decimal(value, &v) || !(v >= 0.5 && v <= 6.0))
			return "start_speed_mps must be a speed from 0.5 to 6.0 m/s";
		c->ingest.start_speed_mps = v;
		return NULL;
	}
	return "unknown key";
}

/* The last silently winning would hide a mistake: a key once per file. */
static const char *check_duplicate(struct parse_state *st, const char *section, const char *name)
{
	char key[48];
	snprintf(key, sizeof(key), "%s.%s", section, name);
	for (unsigned i = 0; i < st->n_keys; i++)
		if (!strcmp(st->keys[i], key))
			return "given twice: keep one of the two lines";
	if (st->n_keys == CONFIG_MAX_KEYS)
		return "too many keys";
	snprintf(st->keys[st->n_keys++], sizeof(st->keys[0]), "%s", key);
	return NULL;
}

/* Text from the file, for the log: bytes that are not printable ASCII
 * as \xNN, so a binary file cannot write raw bytes into the journal. */
static void escape_text(const char *text, char *out, size_t size)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p && o + 5 < size; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p);
	}
	out[o] = '\0';
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

bool config_parse_speed(const char *text, double *out)
{
	double v;
	if (!parse_decimal(text, &v) || !(v >= CONFIG_SPEED_MIN && v <= CONFIG_SPEED_MAX))
		return false;
	*out = v;
	return true;
}

static const char *set_replay_key(struct daemon_config *c, const char *name, const char *value)
{
	if (!strcmp(name, "realtime"))
		return parse_bool(value, &c->realtime) ? NULL : "realtime must be true or false";
	if (!strcmp(name, "speed"))
		return config_parse_speed(value, &c->speed)
			       ? NULL
			       : "speed must be a factor from 0.01 to 1000 (1: recorded speed)";
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
		problem = set_replay_key(&st->config, name, value);
	else
		problem = "unknown section";
	if (!problem)
		problem = check_duplicate(st, section, name);
	if (problem && !st->why[0]) {
		char sec[48], key[48], val[96];
		escape_text(section, sec, sizeof(sec));
		escape_text(name, key, sizeof(key));
		escape_text(value, val, sizeof(val));
		snprintf(st->why, sizeof(st->why), "[%s] %s = %s: %s", sec, key, val, problem);
	}
	return problem == NULL;
}

/* Why path cannot be a config, or NULL if it can: a regular file of a
 * config's size. */
static int check_config_file(const char *path, const struct stat *st, char *why, size_t why_len)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, why_len, "config %s is %s, not a file: give the config file's path",
			 path, S_ISDIR(st->st_mode) ? "a directory" : "a device or pipe");
		return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
	}
	if (st->st_size > CONFIG_MAX_BYTES) {
		snprintf(why, why_len, "config %s is %lld bytes, too big for a config (at most %d)",
			 path, (long long)st->st_size, CONFIG_MAX_BYTES);
		return -EFBIG;
	}
	return 0;
}

static int read_failed(const char *path, char *why, size_t why_len)
{
	int err = errno ? -errno : -EIO;
	snprintf(why, why_len, "cannot read config %s: %s", path, strerror(-err));
	return err;
}

/* The whole file, NUL-terminated, its length in *len; NULL with *err and
 * why set if it is no file of text that could be a config. */
static char *read_config_text(const char *path, size_t *len, int *err, char *why, size_t why_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = read_failed(path, why, why_len);
		return NULL;
	}
	*err = fstat(fd, &st) < 0 ? read_failed(path, why, why_len)
				  : check_config_file(path, &st, why, why_len);
	char *text = *err ? NULL : malloc((size_t)st.st_size + 1);
	if (!*err && !text) {
		*err = -ENOMEM;
		snprintf(why, why_len, "config %s: out of memory", path);
	}
	ssize_t n = text ? read(fd, text, (size_t)st.st_size) : 0;
	if (text && n != st.st_size) {
		*err = n < 0 ? read_failed(path, why, why_len) : -EIO;
		if (n >= 0)
			snprintf(why, why_len, "cannot read config %s: it changed while being read",
				 path);
		free(text);
		text = NULL;
	}
	close(fd);
	if (text) {
		text[n] = '\0';
		*len = (size_t)n;
	}
	return text;
}

/* A NUL or a control byte means a binary or damaged file: inih would end
 * the line at a NUL without a word. 0, or the line of the first one. */
static int first_binary_line(const char *text, size_t len)
{
	int line = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n')
			line++;
		else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return line;
	}
	return 0;
}

/* "key = value  # why": a '#' after a blank ends the value, as ';'
 * does for libinih (a '#' that starts a line is a comment there too). */
static void strip_hash_comments(char *text)
{
	for (char *p = text; *p; p++) {
		if (*p != '#' || p == text || (p[-1] != ' ' && p[-1] != '\t'))
			continue;
		char *eol = p + strcspn(p, "\n");
		memset(p, ' ', (size_t)(eol - p));
		p = eol - 1;
	}
}

int config_load(const char *path, struct daemon_config *c, char *why, size_t why_len)
{
	struct parse_state *st = calloc(1, sizeof(*st));
	int err = 0;
	size_t len = 0;
	char *text = st ? read_config_text(path, &len, &err, why, why_len) : NULL;
	if (!st || !text) {
		free(st);
		return st ? err : -ENOMEM;
	}
	st->config = *c;
	st->path = path;
	int line = first_binary_line(text, len);
	if (line) {
		snprintf(why, why_len,
			 "config %s line %d: not text (a NUL or control byte): is this the "
			 "config file?",
			 path, line);
		err = -EINVAL;
	} else {
		strip_hash_comments(text);
		line = ini_parse_string(text, handle_line, st);
		if (line != 0)
			snprintf(why, why_len, "config %s line %d: %s", path, line,
				 st->why[0] ? st->why : "not a key = value line or [section]");
		err = line != 0 ? -EINVAL : 0;
	}
	if (!err) {
		*c = st->config;
		c->ingest.capture_dir = c->capture_dir;
	}
	free(text);
	free(st);
	return err;
}
