// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCX (Garmin's Training Center XML) and GPX (the GPS exchange format) read
 * with libxml2 into an activity. Elements are matched by local name, so any
 * namespace prefix (ns3:TPX, gpxtpx:TrackPointExtension) is accepted.
 *
 * TCX: Activities/Activity[@Sport]/Lap/Track/Trackpoint with Time,
 * Position, AltitudeMeters, DistanceMeters, HeartRateBpm/Value, Cadence,
 * and Garmin's Extensions/TPX with Speed and RunCadence (one foot's
 * strides a minute, as FIT's). GPX: trk/trkseg/trkpt[@lat,@lon] with ele,
 * time and the Garmin TrackPointExtension's hr and cad; distance is summed
 * along the track.
 */
#include <ctype.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
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

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* The first descendant of that name, depth first (extensions nest). */
static const xmlNode *descendant(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next) {
		if (named(c, name))
			return c;
		const xmlNode *d = descendant(c, name);
		if (d)
			return d;
	}
	return NULL;
}

/* A number in text libxml2 gave (and frees); NAN if it is not one. */
static double number_in(xmlChar *text)
{
	char *end;
	double v = text ? strtod((const char *)text, &end) : NAN;
	if (text && (end == (char *)text || !isfinite(v)))
		v = NAN;
	xmlFree(text);
	return v;
}

static double number_of(const xmlNode *n)
{
	return n ? number_in(xmlNodeGetContent(n)) : NAN;
}

static double attribute_number(const xmlNode *n, const char *name)
{
	return number_in(xmlGetProp(n, (const xmlChar *)name));
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

static int64_t time_of(const xmlNode *n)
{
	if (!n)
		return INT64_MIN;
	xmlChar *text = xmlNodeGetContent(n);
	int64_t t = iso8601_us((const char *)text);
	xmlFree(text);
	return t;
}

static double haversine_m(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * M_PI / 180, p2 = lat2 * M_PI / 180;
	double dp = p2 - p1, dl = (lon2 - lon1) * M_PI / 180;
	double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
	return 2 * EARTH_RADIUS_M * asin(fmin(1, sqrt(h)));
}

static void set_device(struct activity *a, const xmlNode *n)
{
	if (!n)
		return;
	xmlChar *text = xmlNodeGetContent(n);
	if (text) {
		/* Trimmed: TCX writes the name between indented lines. */
		const char *s = (const char *)text;
		while (isspace((unsigned char)*s))
			s++;
		snprintf(a->device, sizeof(a->device), "%s", s);
		size_t len = strlen(a->device);
		while (len > 0 && isspace((unsigned char)a->device[len - 1]))
			a->device[--len] = '\0';
	}
	xmlFree(text);
}

/* ---- TCX -------------------------------------------------------------------- */

static int tcx_sport(const xmlNode *activity)
{
	xmlChar *sport = xmlGetProp(activity, (const xmlChar *)"Sport");
	int v = !sport                                  ? -1
		: strcmp((char *)sport, "Running") == 0 ? FIT_SPORT_RUNNING
		: strcmp((char *)sport, "Biking") == 0  ? 2
							: 0;
	xmlFree(sport);
	return v;
}

static void tcx_trackpoint(struct activity *a, const xmlNode *tp)
{
	int64_t t = time_of(child(tp, "Time"));
	if (t == INT64_MIN || a->on_record_rc)
		return;
	struct activity_record r = activity_record_empty(t);
	const xmlNode *pos = child(tp, "Position");
	r.latitude_deg = number_of(child(pos, "LatitudeDegrees"));
	r.longitude_deg = number_of(child(pos, "LongitudeDegrees"));
	r.altitude_m = number_of(child(tp, "AltitudeMeters"));
	r.distance_m = number_of(child(tp, "DistanceMeters"));
	r.heart_rate_bpm = number_of(child(child(tp, "HeartRateBpm"), "Value"));
	const xmlNode *ext = child(tp, "Extensions");
	r.speed_mps = number_of(descendant(ext, "Speed"));
	double run_cadence = number_of(descendant(ext, "RunCadence"));
	double cadence = number_of(child(tp, "Cadence"));
	double per_foot = isfinite(run_cadence) ? run_cadence : cadence;
	r.cadence_spm = isfinite(per_foot) ? 2 * per_foot : NAN;
	activity_emit(a, &r);
}

static void tcx_read(struct activity *a, const xmlNode *root)
{
	const xmlNode *activity = child(child(root, "Activities"), "Activity");
	if (!activity)
		return;
	a->file_type = FIT_FILE_ACTIVITY;
	a->sport = tcx_sport(activity);
	set_device(a, child(child(activity, "Creator"), "Name"));
	double time_s = 0, distance_m = 0;
	bool totals = false;
	for (const xmlNode *lap = activity->children; lap; lap = lap->next) {
		if (!named(lap, "Lap"))
			continue;
		double t = number_of(child(lap, "TotalTimeSeconds"));
		double d = number_of(child(lap, "DistanceMeters"));
		if (isfinite(t) && isfinite(d))
			time_s += t, distance_m += d, totals = true;
		for (const xmlNode *track = lap->children; track; track = track->next)
			if (named(track, "Track"))
				for (const xmlNode *tp = track->children; tp; tp = tp->next)
					if (named(tp, "Trackpoint"))
						tcx_trackpoint(a, tp);
	}
	a->sessions = 1;
	if (totals)
		a->total_timer_s = time_s, a->total_distance_m = distance_m;
}

/* ---- GPX -------------------------------------------------------------------- */

static int gpx_sport_from_type(const xmlNode *trk)
{
	const xmlNode *type = child(trk, "type");
	if (!type)
		return -1;
	xmlChar *text = xmlNodeGetContent(type);
	int sport = 0;
	for (xmlChar *p = text; p && *p; p++)
		*p = (xmlChar)tolower(*p);
	if (text && (strstr((char *)text, "run") || strstr((char *)text, "jog")))
		sport = FIT_SPORT_RUNNING;
	else if (text && strstr((char *)text, "walk"))
		sport = FIT_SPORT_WALKING;
	else if (text && strstr((char *)text, "hik"))
		sport = FIT_SPORT_HIKING;
	else if (text && (strstr((char *)text, "bik") || strstr((char *)text, "cycl") ||
			  strstr((char *)text, "ride")))
		sport = 2;
	xmlFree(text);
	return sport;
}

/* A GPX track as it is read: the last point, for distance and speed,
 * and the speeds binned (GPX_SPEED_BIN_MPS) to class an untyped track. */
#define GPX_SPEED_BINS 200
#define GPX_SPEED_BIN_MPS 0.05
struct gpx_track {
	struct activity_record prev;
	bool have_prev;
	double total_m;
	unsigned speed_bins[GPX_SPEED_BINS];
	size_t speeds;
};

static void gpx_point(struct activity *a, const xmlNode *pt, struct gpx_track *g)
{
	int64_t t = time_of(child(pt, "time"));
	if (t == INT64_MIN || a->on_record_rc)
		return;
	struct activity_record r = activity_record_empty(t);
	r.latitude_deg = attribute_number(pt, "lat");
	r.longitude_deg = attribute_number(pt, "lon");
	if (g->have_prev && isfinite(g->prev.latitude_deg) && isfinite(r.latitude_deg))
		g->total_m += haversine_m(g->prev.latitude_deg, g->prev.longitude_deg,
					  r.latitude_deg, r.longitude_deg);
	r.altitude_m = number_of(child(pt, "ele"));
	r.distance_m = g->total_m;
	const xmlNode *ext = child(pt, "extensions");
	r.heart_rate_bpm = number_of(descendant(ext, "hr"));
	double cad = number_of(descendant(ext, "cad"));
	r.cadence_spm = isfinite(cad) ? 2 * cad : NAN;
	double dt = g->have_prev ? (double)(r.t_us - g->prev.t_us) / 1e6 : 0;
	if (dt > 0) {
		r.speed_mps = (r.distance_m - g->prev.distance_m) / dt;
		size_t bin = (size_t)(r.speed_mps / GPX_SPEED_BIN_MPS);
		g->speed_bins[bin < GPX_SPEED_BINS ? bin : GPX_SPEED_BINS - 1]++;
		g->speeds++;
	}
	g->prev = r;
	g->have_prev = true;
	activity_emit(a, &r);
}

/* The speed kept for three quarters of the points (the 75th percentile,
 * to a bin's width). */
static int sport_by_speed(const struct gpx_track *g)
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

static void gpx_read(struct activity *a, const xmlNode *root)
{
	a->file_type = FIT_FILE_ACTIVITY;
	xmlChar *creator = xmlGetProp(root, (const xmlChar *)"creator");
	if (creator)
		snprintf(a->device, sizeof(a->device), "%s", (char *)creator);
	xmlFree(creator);
	struct gpx_track *g = xcalloc(1, sizeof(*g));
	for (const xmlNode *trk = root->children; trk; trk = trk->next) {
		if (!named(trk, "trk"))
			continue;
		if (a->sport < 0)
			a->sport = gpx_sport_from_type(trk);
		for (const xmlNode *seg = trk->children; seg; seg = seg->next)
			if (named(seg, "trkseg"))
				for (const xmlNode *pt = seg->children; pt; pt = pt->next)
					if (named(pt, "trkpt"))
						gpx_point(a, pt, g);
	}
	a->sessions = 1;
	if (a->sport < 0)
		a->sport = sport_by_speed(g);
	free(g);
}

/* ---- both ------------------------------------------------------------------- */

bool activity_xml_looks_like(const uint8_t *buf, size_t len)
{
	size_t n = len < 4096 ? len : 4096;
	return memmem(buf, n, "<TrainingCenterDatabase", 23) || memmem(buf, n, "<gpx", 4);
}

int activity_xml_parse(const uint8_t *buf, size_t len, struct activity *a)
{
	if (len > (size_t)INT32_MAX) {
		snprintf(a->status.why, sizeof(a->status.why), "too large for an XML activity");
		return -EBADMSG;
	}
	/* No network, no entity expansion: the file is not trusted. */
	xmlDoc *doc = xmlReadMemory((const char *)buf, (int)len, NULL, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	const xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		const xmlError *e = xmlGetLastError();
		snprintf(a->status.why, sizeof(a->status.why), "not well-formed XML%s%s",
			 e && e->message ? ": " : "", e && e->message ? e->message : "");
		size_t n = strlen(a->status.why);
		if (n > 0 && a->status.why[n - 1] == '\n')
			a->status.why[n - 1] = '\0';
		xmlFreeDoc(doc);
		return -EBADMSG;
	}
	if (named(root, "TrainingCenterDatabase")) {
		snprintf(a->format, sizeof(a->format), "TCX");
		tcx_read(a, root);
	} else if (named(root, "gpx")) {
		snprintf(a->format, sizeof(a->format), "GPX");
		gpx_read(a, root);
	} else {
		snprintf(a->status.why, sizeof(a->status.why),
			 "XML, but neither TCX nor GPX (<%s>)", (const char *)root->name);
		xmlFreeDoc(doc);
		return -EBADMSG;
	}
	xmlFreeDoc(doc);
	return a->on_record_rc;
}

int activity_xml_read(const uint8_t *buf, size_t len, struct activity *a)
{
	activity_init(a);
	return activity_xml_parse(buf, len, a);
}
