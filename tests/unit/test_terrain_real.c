// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A real flat run: a Suunto Ambit3's raw pressure over 7.1 km on the flat
 * (GoldenCheetah's test data, $HAMSTRIDE_REAL_DATA/baro/, an .sml file; the watch
 * logs whole 10 Pa, 0.8 m). Through the grade estimator and the
 * segmenter, no segment may be classed up or down over more than 200 m.
 * Exits 77 (skipped) when the recording is absent.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nav/grade.h"
#include "run/segments.h"

#define MAX_SECONDS 20000
#define LONGEST_HILL_M 200.0

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = 0;
	fclose(f);
	return buf;
}

/* The number in <tag>...</tag> inside [from, to); NAN if absent. */
static double field(const char *from, const char *to, const char *tag)
{
	char open[64];
	snprintf(open, sizeof(open), "<%s>", tag);
	const char *p = strstr(from, open);
	return p && p < to ? strtod(p + strlen(open), NULL) : NAN;
}

static const char *find_recording(char *path, size_t size)
{
	const char *root = getenv("HAMSTRIDE_REAL_DATA");
	if (!root)
		return NULL;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/baro", root);
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	struct dirent *e;
	const char *found = NULL;
	while ((e = readdir(d)) && !found) {
		size_t n = strlen(e->d_name);
		if (n > 4 && !strcmp(e->d_name + n - 4, ".sml")) {
			snprintf(path, size, "%s/%s", dir, e->d_name);
			found = path;
		}
	}
	closedir(d);
	return found;
}

int main(void)
{
	char path[8192];
	if (!find_recording(path, sizeof(path))) {
		printf("skipped: no $HAMSTRIDE_REAL_DATA/baro/*.sml\n");
		return 77;
	}
	char *xml = slurp(path);
	if (!xml) {
		printf("cannot read %s\n", path);
		return 1;
	}
	static int64_t t[MAX_SECONDS];
	static double dist[MAX_SECONDS], p[MAX_SECONDS], temp[MAX_SECONDS];
	size_t n = 0;
	double x = 0, last_s = NAN;
	/* One entry per whole second: its last sample with a pressure;
	 * distance from the watch's speed. */
	for (const char *s = strstr(xml, "<Sample>"); s && n < MAX_SECONDS;) {
		const char *end = strstr(s, "</Sample>");
		if (!end)
			break;
		double time_s = field(s, end, "Time"), pa = field(s, end, "AbsPressure");
		double speed = field(s, end, "Speed"), kelvin = field(s, end, "Temperature");
		if (isfinite(time_s) && isfinite(pa)) {
			if (isfinite(last_s) && isfinite(speed))
				x += speed * (time_s - last_s);
			last_s = time_s;
			int64_t sec = (int64_t)floor(time_s);
			if (!n || sec > t[n - 1] / 1000000)
				n++;
			t[n - 1] = sec * 1000000;
			dist[n - 1] = x;
			p[n - 1] = pa;
			temp[n - 1] = kelvin - 273.15;
		}
		s = strstr(end, "<Sample>");
	}
	free(xml);
	struct grade_input in = {
		.n = n, .t_us = t, .distance_m = dist, .pressure_pa = p, .temperature_c = temp
	};
	struct grade_result g;
	if (n < 100 || !grade_estimate(&in, &g)) {
		printf("%s: %zu seconds, no estimate\n", path, n);
		return 1;
	}
	struct seg_second *sec = calloc(n, sizeof(*sec));
	for (size_t k = 0; k < n; k++)
		sec[k] = (struct seg_second){ t[k], dist[k], g.altitude_m[k], g.grade_pct[k], NAN,
					      NAN,  NAN };
	const struct seg_thresholds th = SEG_THRESHOLDS_DEFAULT;
	struct seg_segment *segs;
	size_t ns = seg_cut(sec, n, &th, NULL, &segs);
	int rc = 0;
	double hill_m = 0, longest_m = 0, max_abs_grade = 0;
	for (size_t k = 0; k < n; k++)
		max_abs_grade = fmax(max_abs_grade, fabs(g.grade_pct[k]));
	for (size_t i = 0; i < ns; i++) {
		printf("  %-10s %7.0f m  %+5.2f %%\n", seg_class_name(segs[i].cls),
		       segs[i].length_m, segs[i].grade_pct);
		if (segs[i].cls == SEG_FLAT)
			continue;
		hill_m += segs[i].length_m;
		longest_m = fmax(longest_m, segs[i].length_m);
		if (segs[i].length_m > LONGEST_HILL_M)
			rc = 1;
	}
	printf("%s: %zu s, %.0f m, gain %.1f m, loss %.1f m, %zu segments; not flat %.0f m, "
	       "longest %.0f m (at most %.0f); |grade| at most %.1f %%: %s\n",
	       path, n, dist[n - 1], g.gain_m, g.loss_m, ns, hill_m, longest_m, LONGEST_HILL_M,
	       max_abs_grade, rc ? "FAIL" : "ok");
	free(segs);
	free(sec);
	grade_result_free(&g);
	return rc;
}
