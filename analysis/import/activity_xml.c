// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCX (Garmin's Training Center XML) and GPX (the GPS exchange format) read
 * with libxml2's push parser into an activity: bytes are fed as they come
 * and each point is passed on when its element closes, so memory does not
 * grow with the file. Elements are matched by local name, so any
 * namespace prefix (ns3:TPX, gpxtpx:TrackPointExtension) is accepted.
 *
 * TCX: Activities/Activity[@Sport]/Lap/Track/Trackpoint with Time,
 * Position, AltitudeMeters, DistanceMeters, HeartRateBpm/Value, Cadence,
 * and Garmin's Extensions/TPX with Speed and RunCadence (one foot's
 * strides a minute, as FIT's); the first Activity only. GPX:
 * trk/trkseg/trkpt[@lat,@lon] with ele, time and the Garmin
 * TrackPointExtension's hr and cad; distance is summed along the track.
 */
#include <ctype.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "import/activity.h"
#include "util/xalloc.h"

#define EARTH_RADIUS_M 6371008.8
/* A GPX track that does not say what it was is classed by the speed it
 * kept for three quarters of its points (the 75th percentile, so stops
 * and climbs do not make a ride look like a run): a walk below 1.9 m/s
 * (6.8 km/h), a run up to 6.5 m/s (2:34 min/km, faster than a world
 * record 10,000 m), a ride above. */
#define GPX_WALK_MAX_MPS 1.9
#define GPX_RUN_MAX_MPS 6.5
#define GPX_SPEED_BINS 200
#define GPX_SPEED_BIN_MPS 0.05
/* Elements are tracked this deep (a trackpoint's extension is at 8). */
#define DEPTH_MAX 32
#define NAME_MAX_CHARS 32
#define TEXT_MAX_CHARS 256

enum root { ROOT_UNKNOWN, ROOT_TCX, ROOT_GPX };

struct activity_xml {
	struct activity *a;
	xmlParserCtxtPtr ctxt;
	enum root root;
	bool failed; /* why[] says why */
	/* The open elements' local names; depth may pass DEPTH_MAX. */
	char names[DEPTH_MAX][NAME_MAX_CHARS];
	int depth;
	char text[TEXT_MAX_CHARS];
	size_t text_len;
	/* TCX: within the first Activity; its laps' totals. */
	unsigned activities;
	double lap_time_s, lap_distance_m;
	bool lap_totals;
	/* GPX: the points' distance and speeds. */
	struct activity_record prev;
	bool have_prev;
	double total_m;
	unsigned speed_bins[GPX_SPEED_BINS];
	size_t speeds;
	/* The point being read: open, and its values so far. */
	bool in_point;
	struct activity_record point;
	int64_t point_time;
	double run_cadence, cadence;
};

/* ---- values ------------------------------------------------------------------- */

static double number_in(const char *text)
{
	char *end;
	double v = text ? strtod(text, &end) : NAN;
	if (text && (end == text || !isfinite(v)))
		v = NAN;
	return v;
}

/* n decimal digits at p, as a number; false if any is not a digit. */
static bool digits(const char *p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/* 2026-11-21T07:30:15Z, with optional fraction and a Z or ±hh:mm offset;
 * INT64_MIN if it is not one. */
static int64_t iso8601_us(const char *s)
{
	struct tm tm = { 0 };
	const int consumed = 19; /* YYYY-MM-DDThh:mm:ss */
	if (!s || strnlen(s, consumed) < (size_t)consumed || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':' || !digits(s, 4, &tm.tm_year) ||
	    !digits(s + 5, 2, &tm.tm_mon) || !digits(s + 8, 2, &tm.tm_mday) ||
	    !digits(s + 11, 2, &tm.tm_hour) || !digits(s + 14, 2, &tm.tm_min) ||
	    !digits(s + 17, 2, &tm.tm_sec))
		return INT64_MIN;
	if (tm.tm_year < 1970 || tm.tm_year > 2200 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return INT64_MIN;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	const char *p = s + consumed;
	double fraction = 0;
	if (*p == '.') {
		char *end;
		fraction = strtod(p, &end);
		p = end;
	}
	int offset_s = 0, oh, om;
	if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) && p[3] == ':' &&
	    digits(p + 4, 2, &om))
		offset_s = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	return ((int64_t)timegm(&tm) - offset_s) * 1000000 + (int64_t)llround(fraction * 1e6);
}

static double haversine_m(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * M_PI / 180, p2 = lat2 * M_PI / 180;
	double dp = p2 - p1, dl = (lon2 - lon1) * M_PI / 180;
	double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
	return 2 * EARTH_RADIUS_M * asin(fmin(1, sqrt(h)));
}

/* ---- where the parser is ------------------------------------------------------- */

static const char *local_name(const xmlChar *name)
{
	const char *n = (const char *)name, *colon = strrchr(n, ':');
	return colon ? colon + 1 : n;
}

/* The open element i levels up (0: the innermost), or "". */
static const char *open_element(const struct activity_xml *x, int up)
{
	int level = x->depth - 1 - up;
	return level >= 0 && level < DEPTH_MAX ? x->names[level] : "";
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Whether an element of this name is open (the extensions nest). */
static bool inside(const struct activity_xml *x, const char *name)
{
	for (int i = 0; i < x->depth && i < DEPTH_MAX; i++)
		if (is(x->names[i], name))
			return true;
	return false;
}

static const char *attribute(const xmlChar **attrs, const char *name)
{
	for (size_t i = 0; attrs && attrs[i]; i += 2)
		if (is(local_name(attrs[i]), name))
			return (const char *)attrs[i + 1];
	return NULL;
}

static void fail(struct activity_xml *x, const char *what, const char *detail)
{
	if (!x->failed)
		snprintf(x->a->status.why, sizeof(x->a->status.why), "%s%s", what, detail);
	x->failed = true;
	xmlStopParser(x->ctxt);
}

/* ---- the points ------------------------------------------------------------------ */

static void begin_point(struct activity_xml *x, const xmlChar **attrs)
{
	x->in_point = true;
	x->point = activity_record_empty(0);
	x->point_time = INT64_MIN;
	x->run_cadence = x->cadence = NAN;
	if (x->root == ROOT_GPX) {
		x->point.latitude_deg = number_in(attribute(attrs, "lat"));
		x->point.longitude_deg = number_in(attribute(attrs, "lon"));
	}
}

static void gpx_distance_and_speed(struct activity_xml *x, struct activity_record *r)
{
	if (x->have_prev && isfinite(x->prev.latitude_deg) && isfinite(r->latitude_deg))
		x->total_m += haversine_m(x->prev.latitude_deg, x->prev.longitude_deg,
					  r->latitude_deg, r->longitude_deg);
	r->distance_m = x->total_m;
	double dt = x->have_prev ? (double)(r->t_us - x->prev.t_us) / 1e6 : 0;
	if (dt > 0) {
		r->speed_mps = (r->distance_m - x->prev.distance_m) / dt;
		size_t bin = (size_t)(r->speed_mps / GPX_SPEED_BIN_MPS);
		x->speed_bins[bin < GPX_SPEED_BINS ? bin : GPX_SPEED_BINS - 1]++;
		x->speeds++;
	}
	x->prev = *r;
	x->have_prev = true;
}

/* A point without a time is not one. */
static void end_point(struct activity_xml *x)
{
	x->in_point = false;
	if (x->point_time == INT64_MIN || x->a->on_record_rc)
		return;
	struct activity_record r = x->point;
	r.t_us = x->point_time;
	double per_foot = isfinite(x->run_cadence) ? x->run_cadence : x->cadence;
	r.cadence_spm = isfinite(per_foot) ? 2 * per_foot : NAN;
	if (x->root == ROOT_GPX)
		gpx_distance_and_speed(x, &r);
	if (activity_emit(x->a, &r))
		xmlStopParser(x->ctxt);
}

/* The text of a closing element inside a point. */
static void point_value(struct activity_xml *x, const char *name, const char *text)
{
	struct activity_record *r = &x->point;
	const char *parent = open_element(x, 1);
	double v = number_in(text);
	if (is(name, "Time") || is(name, "time"))
		x->point_time = iso8601_us(text);
	else if (is(name, "LatitudeDegrees"))
		r->latitude_deg = v;
	else if (is(name, "LongitudeDegrees"))
		r->longitude_deg = v;
	else if (is(name, "AltitudeMeters") || is(name, "ele"))
		r->altitude_m = v;
	else if (is(name, "DistanceMeters") && is(parent, "Trackpoint"))
		r->distance_m = v;
	else if (is(name, "Value") && is(parent, "HeartRateBpm"))
		r->heart_rate_bpm = v;
	else if (is(name, "Cadence") && is(parent, "Trackpoint"))
		x->cadence = v;
	else if (inside(x, "Extensions") || inside(x, "extensions")) {
		if (is(name, "Speed") && isnan(r->speed_mps))
			r->speed_mps = v;
		else if ((is(name, "RunCadence") || is(name, "cad")) && isnan(x->run_cadence))
			x->run_cadence = v; /* Garmin's TCX and GPX extensions */
		else if (is(name, "hr") && isnan(r->heart_rate_bpm))
			r->heart_rate_bpm = v;
	}
}

/* ---- the rest of the file ------------------------------------------------------- */

static int tcx_sport(const char *sport)
{
	return !sport ? -1 : is(sport, "Running") ? FIT_SPORT_RUNNING : is(sport, "Biking") ? 2 : 0;
}

static int gpx_sport_from_type(const char *type)
{
	char text[TEXT_MAX_CHARS];
	size_t n = 0;
	for (; type[n] && n + 1 < sizeof(text); n++)
		text[n] = (char)tolower((unsigned char)type[n]);
	text[n] = '\0';
	if (strstr(text, "run") || strstr(text, "jog"))
		return FIT_SPORT_RUNNING;
	if (strstr(text, "walk"))
		return FIT_SPORT_WALKING;
	if (strstr(text, "hik"))
		return FIT_SPORT_HIKING;
	if (strstr(text, "bik") || strstr(text, "cycl") || strstr(text, "ride"))
		return 2;
	return 0;
}

/* Trimmed: TCX writes the name between indented lines. */
static void set_device(struct activity *a, const char *text)
{
	while (isspace((unsigned char)*text))
		text++;
	snprintf(a->device, sizeof(a->device), "%.*s", (int)sizeof(a->device) - 1, text);
	size_t len = strlen(a->device);
	while (len > 0 && isspace((unsigned char)a->device[len - 1]))
		a->device[--len] = '\0';
}

/* The text of a closing element outside the points. */
static void file_value(struct activity_xml *x, const char *name, const char *text)
{
	const char *parent = open_element(x, 1);
	if (x->root == ROOT_TCX && x->activities == 1) {
		if (is(name, "TotalTimeSeconds") && is(parent, "Lap"))
			x->lap_time_s = number_in(text);
		else if (is(name, "DistanceMeters") && is(parent, "Lap"))
			x->lap_distance_m = number_in(text);
		else if (is(name, "Name") && is(parent, "Creator") &&
			 is(open_element(x, 2), "Activity"))
			set_device(x->a, text);
	} else if (x->root == ROOT_GPX && is(name, "type") && is(parent, "trk") &&
		   x->a->sport < 0) {
		x->a->sport = gpx_sport_from_type(text);
	}
}

static void begin_root(struct activity_xml *x, const char *name, const xmlChar **attrs)
{
	struct activity *a = x->a;
	if (is(name, "TrainingCenterDatabase")) {
		x->root = ROOT_TCX;
		snprintf(a->format, sizeof(a->format), "TCX");
	} else if (is(name, "gpx")) {
		x->root = ROOT_GPX;
		snprintf(a->format, sizeof(a->format), "GPX");
		a->file_type = FIT_FILE_ACTIVITY;
		const char *creator = attribute(attrs, "creator");
		if (creator)
			snprintf(a->device, sizeof(a->device), "%s", creator);
	} else {
		char detail[NAME_MAX_CHARS + 4];
		snprintf(detail, sizeof(detail), "<%.*s>)", NAME_MAX_CHARS - 1, name);
		fail(x, "XML, but neither TCX nor GPX (", detail);
	}
}

static void on_start(void *user, const xmlChar *qname, const xmlChar **attrs)
{
	struct activity_xml *x = user;
	const char *name = local_name(qname);
	if (x->depth == 0)
		begin_root(x, name, attrs);
	if (x->depth < DEPTH_MAX)
		snprintf(x->names[x->depth], NAME_MAX_CHARS, "%s", name);
	x->depth++;
	x->text_len = 0;
	if (x->root == ROOT_TCX && is(name, "Activity") && ++x->activities == 1) {
		x->a->file_type = FIT_FILE_ACTIVITY;
		x->a->sport = tcx_sport(attribute(attrs, "Sport"));
	} else if (x->root == ROOT_TCX && is(name, "Lap") && x->activities == 1) {
		x->lap_time_s = x->lap_distance_m = NAN;
	}
	if ((x->root == ROOT_TCX && is(name, "Trackpoint") && x->activities == 1) ||
	    (x->root == ROOT_GPX && is(name, "trkpt")))
		begin_point(x, attrs);
}

static void on_end(void *user, const xmlChar *qname)
{
	struct activity_xml *x = user;
	const char *name = local_name(qname);
	x->text[x->text_len] = '\0';
	if (x->in_point && (is(name, "Trackpoint") || is(name, "trkpt")))
		end_point(x);
	else if (x->in_point)
		point_value(x, name, x->text);
	else
		file_value(x, name, x->text);
	if (x->root == ROOT_TCX && is(name, "Lap") && x->activities == 1 &&
	    isfinite(x->lap_time_s) && isfinite(x->lap_distance_m)) {
		struct activity *a = x->a;
		a->total_timer_s = (x->lap_totals ? a->total_timer_s : 0) + x->lap_time_s;
		a->total_distance_m = (x->lap_totals ? a->total_distance_m : 0) + x->lap_distance_m;
		x->lap_totals = true;
	}
	x->depth--;
	x->text_len = 0;
}

static void on_text(void *user, const xmlChar *text, int len)
{
	struct activity_xml *x = user;
	size_t n = (size_t)len;
	if (n > sizeof(x->text) - 1 - x->text_len)
		n = sizeof(x->text) - 1 - x->text_len;
	memcpy(x->text + x->text_len, text, n);
	x->text_len += n;
}

/* The speed kept for three quarters of the points (the 75th percentile,
 * to a bin's width). */
static int sport_by_speed(const struct activity_xml *g)
{
	if (g->speeds == 0)
		return -1;
	size_t below = 0, bin = 0;
	while (bin < GPX_SPEED_BINS - 1 && below + g->speed_bins[bin] <= g->speeds * 3 / 4)
		below += g->speed_bins[bin++];
	double kept = ((double)bin + 0.5) * GPX_SPEED_BIN_MPS;
	return kept < GPX_WALK_MAX_MPS   ? FIT_SPORT_WALKING
	       : kept <= GPX_RUN_MAX_MPS ? FIT_SPORT_RUNNING
					 : 2;
}

/* ---- the stream ----------------------------------------------------------------------- */

bool activity_xml_looks_like(const uint8_t *buf, size_t len)
{
	size_t n = len < 4096 ? len : 4096;
	return memmem(buf, n, "<TrainingCenterDatabase", 23) || memmem(buf, n, "<gpx", 4);
}

struct activity_xml *activity_xml_new(struct activity *a)
{
	struct activity_xml *x = xcalloc(1, sizeof(*x));
	x->a = a;
	xmlSAXHandler sax;
	memset(&sax, 0, sizeof(sax));
	sax.startElement = on_start;
	sax.endElement = on_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	x->ctxt = xmlCreatePushParserCtxt(&sax, x, NULL, 0, NULL);
	if (!x->ctxt) {
		fprintf(stderr, "hamstride: out of memory\n");
		abort();
	}
	/* No network, no entities expanded: the file is not trusted. */
	xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	return x;
}

/* libxml2's own message, without its newline. */
static void parse_error(struct activity_xml *x)
{
	const xmlError *e = xmlCtxtGetLastError(x->ctxt);
	char message[128] = "";
	if (e && e->message)
		snprintf(message, sizeof(message), ": %s", e->message);
	size_t n = strlen(message);
	if (n > 0 && message[n - 1] == '\n')
		message[n - 1] = '\0';
	fail(x, "not well-formed XML", message);
}

static int status(struct activity_xml *x)
{
	if (x->a->on_record_rc)
		return x->a->on_record_rc;
	return x->failed ? -EBADMSG : 0;
}

int activity_xml_feed(struct activity_xml *x, const uint8_t *buf, size_t len)
{
	while (len > 0 && !x->failed && !x->a->on_record_rc) {
		int n = len > (1u << 20) ? 1 << 20 : (int)len;
		if (xmlParseChunk(x->ctxt, (const char *)buf, n, 0) != 0 && !x->failed)
			parse_error(x);
		buf += n;
		len -= (size_t)n;
	}
	return status(x);
}

bool activity_xml_stopped(const struct activity_xml *x)
{
	return x->failed || x->a->on_record_rc;
}

int activity_xml_finish(struct activity_xml *x)
{
	if (!activity_xml_stopped(x) && xmlParseChunk(x->ctxt, NULL, 0, 1) != 0 && !x->failed)
		parse_error(x);
	if (!x->failed && x->root == ROOT_UNKNOWN)
		fail(x, "not well-formed XML", ": no root element");
	struct activity *a = x->a;
	a->sessions = 1;
	if (x->root == ROOT_GPX && a->sport < 0)
		a->sport = sport_by_speed(x);
	return status(x);
}

void activity_xml_free(struct activity_xml *x)
{
	if (!x)
		return;
	/* A DOCTYPE makes the parser build a document for its DTD even with
	 * our handlers alone: it is the context's, and ours to free. */
	if (x->ctxt->myDoc)
		xmlFreeDoc(x->ctxt->myDoc);
	xmlFreeParserCtxt(x->ctxt);
	free(x);
}

int activity_xml_read(const uint8_t *buf, size_t len, struct activity *a)
{
	activity_init(a);
	struct activity_xml *x = activity_xml_new(a);
	activity_xml_feed(x, buf, len);
	int rc = activity_xml_finish(x);
	activity_xml_free(x);
	return rc;
}
