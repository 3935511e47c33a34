// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The FIT decoder: against the real files in shared/data/real/fit (every
 * record equal to python-fitparse's decode, to the oracle's precision; the
 * files that are not activities named as what they are), and against FIT
 * files this test writes itself with every base type, invalid values,
 * compressed timestamps, developer fields, big-endian definitions, a
 * chained second file, a bad CRC and a truncation.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "import/fit.h"
#include "import/activity.h"

/* ---- a FIT writer, for the tests only ---------------------------------- */

struct writer {
	uint8_t buf[8192];
	size_t len, file_start;
};

static void put(struct writer *w, const void *p, size_t n)
{
	assert_true(w->len + n <= sizeof(w->buf));
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_u8(struct writer *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put_uint(struct writer *w, uint64_t v, size_t n, bool big_endian)
{
	for (size_t i = 0; i < n; i++)
		put_u8(w, (uint8_t)(v >> (8 * (big_endian ? n - 1 - i : i))));
}

static void begin_file(struct writer *w)
{
	w->file_start = w->len;
	uint8_t header[14] = { 14, 0x20, 0x54, 0x08, 0, 0, 0, 0, '.', 'F', 'I', 'T', 0, 0 };
	put(w, header, sizeof(header));
}

/* Fills in the data size and the header CRC, appends the file CRC. */
static void end_file(struct writer *w, bool corrupt_crc)
{
	uint8_t *h = w->buf + w->file_start;
	uint32_t data = (uint32_t)(w->len - w->file_start - 14);
	for (int i = 0; i < 4; i++)
		h[4 + i] = (uint8_t)(data >> (8 * i));
	uint16_t hcrc = fit_crc16(0, h, 12);
	h[12] = (uint8_t)hcrc, h[13] = (uint8_t)(hcrc >> 8);
	uint16_t crc = fit_crc16(0, h, w->len - w->file_start);
	put_uint(w, corrupt_crc ? crc ^ 0x5A5A : crc, 2, false);
}

struct def_field {
	uint8_t number, size, base_type;
};

static void definition(struct writer *w, uint8_t local, uint16_t global, bool big_endian,
		       const struct def_field *f, uint8_t n, const struct def_field *dev,
		       uint8_t n_dev)
{
	put_u8(w, (uint8_t)(0x40 | (dev ? 0x20 : 0) | local));
	put_u8(w, 0);
	put_u8(w, big_endian);
	put_uint(w, global, 2, big_endian);
	put_u8(w, n);
	for (uint8_t i = 0; i < n; i++) {
		/* bit 7 of the base type byte: multi-byte, endian-sensitive */
		uint8_t base = (uint8_t)(f[i].base_type |
					 (fit_base_type_size(f[i].base_type) > 1 ? 0x80 : 0));
		put_u8(w, f[i].number), put_u8(w, f[i].size), put_u8(w, base);
	}
	if (dev) {
		put_u8(w, n_dev);
		for (uint8_t i = 0; i < n_dev; i++)
			put_u8(w, dev[i].number), put_u8(w, dev[i].size),
				put_u8(w, dev[i].base_type);
	}
}

/* ---- collecting what the decoder delivers ------------------------------------ */

#define MAX_SEEN 64

struct seen {
	size_t n;
	uint16_t global[MAX_SEEN];
	bool has_time[MAX_SEEN];
	uint32_t time[MAX_SEEN];
	double value[MAX_SEEN][8]; /* fields 0..7 as numbers, NAN if invalid */
	char dev_name[MAX_SEEN][32];
	double dev_value[MAX_SEEN];
};

static int collect(void *user, const struct fit_message *m)
{
	struct seen *s = user;
	if (s->n == MAX_SEEN)
		return 0;
	size_t i = s->n++;
	s->global[i] = m->global;
	s->has_time[i] = m->has_timestamp;
	s->time[i] = m->timestamp;
	for (uint8_t k = 0; k < 8; k++) {
		double v;
		s->value[i][k] = fit_field_double(fit_field_find(m, k), &v) ? v : NAN;
	}
	s->dev_value[i] = NAN;
	if (m->n_dev_fields) {
		snprintf(s->dev_name[i], sizeof(s->dev_name[i]), "%s", m->dev_fields[0].name);
		double raw;
		if (fit_field_double(&m->dev_fields[0].field, &raw))
			s->dev_value[i] = raw / m->dev_fields[0].scale - m->dev_fields[0].offset;
	}
	return 0;
}

static void test_crc_check_value(void **state)
{
	(void)state;
	/* CRC-16/ARC's check value, the CRC FIT uses. */
	assert_int_equal(fit_crc16(0, (const uint8_t *)"123456789", 9), 0xBB3D);
}

/* Every base type, each once valid and once with its invalid value. */
static void test_every_base_type(void **state)
{
	(void)state;
	static const struct def_field f[] = {
		{ 0, 1, FIT_ENUM },    { 1, 1, FIT_SINT8 },   { 2, 2, FIT_SINT16 },
		{ 3, 4, FIT_UINT32 },  { 4, 4, FIT_FLOAT32 }, { 5, 8, FIT_FLOAT64 },
		{ 6, 2, FIT_UINT16Z }, { 7, 8, FIT_SINT64 },
	};
	for (int big = 0; big < 2; big++) {
		struct writer w = { .len = 0 };
		begin_file(&w);
		definition(&w, 3, 0xFF01, big, f, 8, NULL, 0);
		float f32 = -1.5f;
		double f64 = 1234.25;
		uint32_t f32_bits;
		uint64_t f64_bits;
		memcpy(&f32_bits, &f32, 4);
		memcpy(&f64_bits, &f64, 8);
		put_u8(&w, 3);
		put_uint(&w, 4, 1, big);
		put_uint(&w, (uint8_t)-5, 1, big);
		put_uint(&w, (uint16_t)-300, 2, big);
		put_uint(&w, 4000000000u, 4, big);
		put_uint(&w, f32_bits, 4, big);
		put_uint(&w, f64_bits, 8, big);
		put_uint(&w, 7, 2, big);
		put_uint(&w, (uint64_t)-9000000000LL, 8, big);
		put_u8(&w, 3); /* the same message, every value invalid */
		put_uint(&w, 0xFF, 1, big);
		put_uint(&w, 0x7F, 1, big);
		put_uint(&w, 0x7FFF, 2, big);
		put_uint(&w, 0xFFFFFFFF, 4, big);
		put_uint(&w, 0xFFFFFFFF, 4, big);
		put_uint(&w, UINT64_MAX, 8, big);
		put_uint(&w, 0, 2, big);
		put_uint(&w, 0x7FFFFFFFFFFFFFFF, 8, big);
		end_file(&w, false);

		struct seen s = { 0 };
		struct fit_status st;
		assert_int_equal(fit_decode(w.buf, w.len, collect, &s, &st), 0);
		assert_false(st.crc_bad);
		assert_false(st.truncated);
		assert_int_equal(s.n, 2);
		assert_int_equal(s.global[0], 0xFF01);
		const double want[8] = { 4, -5, -300, 4000000000.0, -1.5, 1234.25, 7, -9e9 };
		for (int k = 0; k < 8; k++) {
			assert_float_equal(s.value[0][k], want[k], 1e-9);
			if (!isnan(s.value[1][k]))
				fail_msg("field %d's invalid value read as %g (big-endian %d)", k,
					 s.value[1][k], big);
		}
	}
}

/* Compressed headers count on from the last full timestamp and roll
 * over at 32 s. */
static void test_compressed_timestamps(void **state)
{
	(void)state;
	struct writer w = { .len = 0 };
	begin_file(&w);
	static const struct def_field f[] = { { 253, 4, FIT_UINT32 }, { 3, 1, FIT_UINT8 } };
	definition(&w, 0, FIT_MESG_RECORD, false, f, 2, NULL, 0);
	static const struct def_field g[] = { { 3, 1, FIT_UINT8 } };
	definition(&w, 1, FIT_MESG_RECORD, false, g, 1, NULL, 0);
	uint32_t t0 = 1000000030; /* ends in 30 (0x1E) */
	put_u8(&w, 0);
	put_uint(&w, t0, 4, false);
	put_u8(&w, 150);
	const uint8_t offsets[] = { 31, 2, 5 }; /* +1 s, then rolled over: +4, +7 */
	for (size_t i = 0; i < 3; i++) {
		put_u8(&w, (uint8_t)(0x80 | 1 << 5 | offsets[i]));
		put_u8(&w, (uint8_t)(151 + i));
	}
	end_file(&w, false);
	struct seen s = { 0 };
	struct fit_status st;
	assert_int_equal(fit_decode(w.buf, w.len, collect, &s, &st), 0);
	assert_int_equal(s.n, 4);
	const uint32_t want[4] = { t0, t0 + 1, t0 + 4, t0 + 7 };
	for (int i = 0; i < 4; i++) {
		assert_true(s.has_time[i]);
		assert_int_equal(s.time[i], want[i]);
	}
	assert_float_equal(s.value[3][3], 153, 0);
}

/* A developer field described by field_description, a big-endian
 * definition, then a second file chained on; the first with a bad CRC. */
static void test_developer_fields_chained_bad_crc(void **state)
{
	(void)state;
	struct writer w = { .len = 0 };
	begin_file(&w);
	static const struct def_field desc[] = { { 0, 1, FIT_UINT8 }, { 1, 1, FIT_UINT8 },
						 { 2, 1, FIT_UINT8 }, { 3, 16, FIT_STRING },
						 { 6, 1, FIT_UINT8 }, { 8, 4, FIT_STRING } };
	definition(&w, 0, FIT_MESG_FIELD_DESCRIPTION, false, desc, 6, NULL, 0);
	put_u8(&w, 0);
	put_u8(&w, 0), put_u8(&w, 7), put_u8(&w, FIT_UINT16);
	char name[16] = "core_temperature", units[4] = "C";
	put(&w, name, 16);
	put_u8(&w, 100);
	put(&w, units, 4);
	static const struct def_field rec[] = { { 253, 4, FIT_UINT32 } };
	static const struct def_field dev[] = { { 7, 2, 0 } };
	definition(&w, 1, FIT_MESG_RECORD, true, rec, 1, dev, 1);
	put_u8(&w, 1);
	put_uint(&w, 1000000000, 4, true);
	put_uint(&w, 3725, 2, true); /* 37.25 °C */
	end_file(&w, true);
	begin_file(&w);
	static const struct def_field id[] = { { 0, 1, FIT_ENUM } };
	definition(&w, 0, FIT_MESG_FILE_ID, false, id, 1, NULL, 0);
	put_u8(&w, 0);
	put_u8(&w, FIT_FILE_ACTIVITY);
	end_file(&w, false);

	struct seen s = { 0 };
	struct fit_status st;
	assert_int_equal(fit_decode(w.buf, w.len, collect, &s, &st), 0);
	assert_int_equal(st.files, 2);
	assert_true(st.crc_bad);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.global[1], FIT_MESG_RECORD);
	assert_string_equal(s.dev_name[1], "core_temperature");
	assert_float_equal(s.dev_value[1], 37.25, 1e-9);
	assert_int_equal(s.global[2], FIT_MESG_FILE_ID);
	assert_float_equal(s.value[2][0], FIT_FILE_ACTIVITY, 0);
}

/* Cut anywhere, a file delivers the whole messages before the cut and
 * says it was cut; nothing reads past the end. */
static void test_truncation_everywhere(void **state)
{
	(void)state;
	struct writer w = { .len = 0 };
	begin_file(&w);
	static const struct def_field f[] = { { 253, 4, FIT_UINT32 }, { 3, 1, FIT_UINT8 } };
	definition(&w, 0, FIT_MESG_RECORD, false, f, 2, NULL, 0);
	for (int i = 0; i < 10; i++) {
		put_u8(&w, 0);
		put_uint(&w, 1000000000u + (uint32_t)i, 4, false);
		put_u8(&w, (uint8_t)(140 + i));
	}
	end_file(&w, false);
	size_t first_record = 14 + 1 + 5 + 6;
	for (size_t cut = 12; cut < w.len; cut++) {
		uint8_t *copy = malloc(cut);
		memcpy(copy, w.buf, cut);
		struct seen s = { 0 };
		struct fit_status st;
		int rc = fit_decode(copy, cut, collect, &s, &st);
		free(copy);
		if (rc != 0 || !st.truncated)
			fail_msg("cut at %zu: rc %d, truncated %d", cut, rc, st.truncated);
		size_t whole = cut < first_record ? 0 : (cut - first_record) / 6;
		if (whole > 10)
			whole = 10;
		if (s.n != whole)
			fail_msg("cut at %zu: %zu messages, want %zu", cut, s.n, whole);
	}
}

static void test_garbage_refused(void **state)
{
	(void)state;
	struct fit_status st;
	struct seen s = { 0 };
	const uint8_t not_fit[16] = "hello, world....";
	assert_int_equal(fit_decode(not_fit, sizeof(not_fit), collect, &s, &st), -EBADMSG);
	assert_non_null(strstr(st.why, "not a FIT file"));
	/* A data record whose local type was never defined. */
	struct writer w = { .len = 0 };
	begin_file(&w);
	put_u8(&w, 5);
	end_file(&w, false);
	assert_int_equal(fit_decode(w.buf, w.len, collect, &s, &st), -EBADMSG);
	assert_non_null(strstr(st.why, "never defined"));
}

/* ---- the real files ------------------------------------------------------------ */

static char *real_path(const char *name, char *buf, size_t size)
{
	const char *dir = getenv("HAMSTRIDE_REAL_DATA");
	snprintf(buf, size, "%s/fit/%s", dir ? dir : "../shared/data/real", name);
	return buf;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	return buf;
}

/* "Sun Sep 25 06:00:22 PDT 2011": python-fitparse's oracle, local time. */
static int64_t oracle_time_us(const char *text)
{
	struct tm tm = { 0 };
	char zone[8];
	int year;
	char mon[4], dow[4];
	static const char *const months = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (sscanf(text, "%3s %3s %d %d:%d:%d %7s %d", dow, mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, zone, &year) != 8)
		return INT64_MIN;
	tm.tm_mon = (int)((strstr(months, mon) - months) / 3);
	tm.tm_year = year - 1900;
	int offset_h = strcmp(zone, "PDT") == 0 ? -7 : strcmp(zone, "PST") == 0 ? -8 : 0;
	return ((int64_t)timegm(&tm) - offset_h * 3600) * 1000000;
}

static double cell(const char *s)
{
	return *s ? strtod(s, NULL) : NAN;
}

/*
 * Where the file stores a field's invalid value (a lost GPS fix, no
 * cadence reading), hamstride reads "unknown"; the oracle carries the last
 * valid value forward instead. Those cells are counted and must equal the
 * last value decoded for the column; every other cell must agree.
 */
enum { COLUMNS = 8 };
static size_t carried_forward;
static double last_valid[COLUMNS];

static void same(int column, const char *what, size_t row, double got, double want, double tol)
{
	if (!isnan(got))
		last_valid[column] = got;
	else if (!isnan(want) && fabs(want - last_valid[column]) <= tol) {
		carried_forward++;
		return;
	}
	if (isnan(want) != isnan(got) || (!isnan(want) && fabs(got - want) > tol))
		fail_msg("record %zu: %s %g, oracle %g", row, what, got, want);
}

static void check_against_oracle(const char *fit_name, const char *csv_name)
{
	char path[512];
	size_t len = 0;
	uint8_t *buf = slurp(real_path(fit_name, path, sizeof(path)), &len);
	if (!buf)
		skip();
	struct activity a;
	assert_int_equal(fit_activity_read(buf, len, &a), 0);
	free(buf);
	FILE *csv = fopen(real_path(csv_name, path, sizeof(path)), "r");
	assert_non_null(csv);
	char line[512];
	assert_non_null(fgets(line, sizeof(line), csv)); /* header */
	for (int i = 0; i < COLUMNS; i++)
		last_valid[i] = NAN;
	size_t row = 0;
	while (fgets(line, sizeof(line), csv)) {
		char *c[9], *p = line;
		for (int i = 0; i < 9; i++) {
			c[i] = p;
			p += strcspn(p, ",\n");
			if (*p)
				*p++ = '\0';
		}
		assert_true(row < a.n_records);
		const struct activity_record *r = &a.records[row];
		assert_int_equal(r->t_us, oracle_time_us(c[0]));
		same(0, "heart rate", row, r->heart_rate_bpm, cell(c[1]), 0);
		same(1, "cadence", row, r->cadence_spm / 2, cell(c[2]), 1e-9);
		same(2, "speed", row, r->speed_mps, cell(c[3]), 0.0005);
		same(3, "distance", row, r->distance_m, cell(c[4]), 0.005);
		same(4, "latitude", row, r->latitude_deg, cell(c[5]) * 180 / 2147483648.0, 1e-9);
		same(5, "longitude", row, r->longitude_deg, cell(c[6]) * 180 / 2147483648.0, 1e-9);
		same(6, "altitude", row, r->altitude_m, cell(c[7]), 0.1);
		same(7, "temperature", row, r->temperature_c, cell(c[8]), 0);
		row++;
	}
	fclose(csv);
	assert_int_equal(row, a.n_records);
	print_message("%s: %zu records equal the oracle (%zu invalid cells the oracle carries "
		      "forward)\n",
		      fit_name, row, carried_forward);
	carried_forward = 0;
	activity_free(&a);
}

static void test_edge_500_oracle(void **state)
{
	(void)state;
	check_against_oracle("garmin-edge-500-activity.fit",
			     "garmin-edge-500-activity-records.csv");
}

static void test_fenix_5_oracle(void **state)
{
	(void)state;
	check_against_oracle("garmin-fenix-5-bike.fit", "garmin-fenix-5-bike-records.csv");
}

/* Every real file decodes; the non-activities say what they are. */
static void test_every_real_file(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int file_type;
	} files[] = {
		{ "2015-10-13-08-43-15.fit", FIT_FILE_ACTIVITY },
		{ "20170518-191602-1740899583.fit", FIT_FILE_ACTIVITY },
		{ "FR55-CoreTemp-Walk.fit", FIT_FILE_ACTIVITY },
		{ "sample-activity.fit", FIT_FILE_ACTIVITY },
		{ "sample-activity-indoor-trainer.fit", FIT_FILE_ACTIVITY },
		{ "null_compressed_speed_dist.fit", FIT_FILE_ACTIVITY },
		{ "coros-pace-2-cycling-misaligned-fields.fit", FIT_FILE_ACTIVITY },
		{ "nametest.FIT", -2 },
		{ "Settings.fit", 2 },
		{ "MonitoringFile.fit", -2 },
		{ "WorkoutIndividualSteps.fit", 5 },
		{ "activity-settings.fit", -2 },
	};
	char path[512];
	size_t len = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		uint8_t *buf = slurp(real_path(files[i].name, path, sizeof(path)), &len);
		if (!buf)
			skip();
		struct activity a;
		int rc = fit_activity_read(buf, len, &a);
		free(buf);
		char what[64];
		print_message("%-44s rc %d, %s, %zu records, sport %d/%d, device '%s'%s%s%s\n",
			      files[i].name, rc,
			      fit_file_type_name(a.file_type, what, sizeof(what)), a.n_records,
			      a.sport, a.sub_sport, a.device, a.status.crc_bad ? ", bad CRC" : "",
			      a.status.truncated ? ", cut short" : "",
			      a.n_developer_fields ? ", developer fields" : "");
		assert_int_equal(rc, 0);
		if (files[i].file_type != -2)
			assert_int_equal(a.file_type, files[i].file_type);
		if (files[i].file_type == FIT_FILE_ACTIVITY)
			assert_true(a.n_records > 0);
		if (strcmp(files[i].name, "FR55-CoreTemp-Walk.fit") == 0) {
			assert_int_equal(a.sport, FIT_SPORT_WALKING);
			assert_true(a.n_developer_fields > 0);
		}
		activity_free(&a);
	}
}

static size_t compared;

static int compare_record(void *user, const struct activity_record *r)
{
	const struct activity *whole = user;
	assert_true(compared < whole->n_records);
	assert_memory_equal(r, &whole->records[compared], sizeof(*r));
	compared++;
	return 0;
}

/* ---- the stream ------------------------------------------------------------------ */

/* A digest of every message delivered: order, type, time and field bytes. */
struct digest {
	uint64_t messages, hash;
};

static int digest_message(void *user, const struct fit_message *m)
{
	struct digest *d = user;
	uint64_t h = d->hash ^ ((uint64_t)m->global << 32 | m->timestamp);
	for (size_t i = 0; i < m->n_fields; i++)
		for (size_t k = 0; k < m->fields[i].size; k++)
			h = (h ^ m->fields[i].data[k]) * 1099511628211ULL;
	d->hash = h * 1099511628211ULL;
	d->messages++;
	return 0;
}

/* Fed in blocks of any size, from one byte up, the decoder delivers the
 * same messages, in the same order, with the same status, as from the
 * whole buffer: a record cut across two blocks is whole when delivered. */
static void test_fed_in_blocks(void **state)
{
	(void)state;
	static const char *const names[] = { "garmin-edge-500-activity.fit",
					     "FR55-CoreTemp-Walk.fit",
					     "coros-pace-2-cycling-misaligned-fields.fit" };
	static const size_t blocks[] = { 3, 13, 255, 4096, 65539, 300000, 1 };
	char path[512];
	for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		size_t len = 0;
		uint8_t *buf = slurp(real_path(names[f], path, sizeof(path)), &len);
		if (!buf)
			skip();
		for (size_t cut = 0; cut < 2; cut++) {
			size_t n = cut ? len - len / 3 : len; /* whole, and cut short */
			struct digest whole = { 0, 0 };
			struct fit_status ws;
			int wrc = fit_decode(buf, n, digest_message, &whole, &ws);
			/* a byte at a time for the smallest file only: valgrind runs this */
			size_t n_blocks = sizeof(blocks) / sizeof(blocks[0]) - (f != 1);
			for (size_t b = 0; b < n_blocks; b++) {
				struct digest fed = { 0, 0 };
				struct fit_status fs;
				struct fit_decoder *d = fit_decoder_new(digest_message, &fed, &fs);
				for (size_t at = 0; at < n; at += blocks[b])
					fit_decoder_feed(d, buf + at,
							 n - at < blocks[b] ? n - at : blocks[b]);
				int frc = fit_decoder_finish(d);
				fit_decoder_free(d);
				if (frc != wrc || fed.messages != whole.messages ||
				    fed.hash != whole.hash || fs.truncated != ws.truncated ||
				    fs.crc_bad != ws.crc_bad || strcmp(fs.why, ws.why) != 0)
					fail_msg("%s (%zu bytes) in blocks of %zu: %llu messages, "
						 "want %llu; '%s', want '%s'",
						 names[f], n, blocks[b],
						 (unsigned long long)fed.messages,
						 (unsigned long long)whole.messages, fs.why,
						 ws.why);
			}
			assert_true(whole.messages > 100);
			assert_int_equal(ws.truncated, cut == 1);
		}
		free(buf);
	}
}

/* Records passed on as they are read are those a whole read keeps. */
static void test_records_streamed(void **state)
{
	(void)state;
	char path[512];
	size_t len = 0;
	uint8_t *buf = slurp(real_path("garmin-edge-500-activity.fit", path, sizeof(path)), &len);
	if (!buf)
		skip();
	struct activity whole, streamed;
	assert_int_equal(fit_activity_read(buf, len, &whole), 0);
	struct activity_reader *r =
		activity_reader_new(ACTIVITY_FIT, &streamed, compare_record, &whole);
	for (size_t at = 0; at < len; at += 1000)
		assert_int_equal(
			activity_reader_feed(r, buf + at, len - at < 1000 ? len - at : 1000), 0);
	assert_int_equal(activity_reader_finish(r), 0);
	activity_reader_free(r);
	assert_int_equal(streamed.n_records, whole.n_records);
	assert_null(streamed.records);
	assert_int_equal(streamed.first_us, whole.records[0].t_us);
	assert_int_equal(streamed.last_us, whole.records[whole.n_records - 1].t_us);
	assert_int_equal(streamed.sport, whole.sport);
	assert_int_equal(activity_altitude_source(&streamed), activity_altitude_source(&whole));
	free(buf);
	activity_free(&whole);
	activity_free(&streamed);
}

/* TCX and GPX through the push parser: fed a byte at a time, the same
 * records as from the whole text, with prefixes, extensions and a CDATA
 * device name; a document cut short or not TCX/GPX says so. */
static const char tcx_text[] =
	"<?xml version=\"1.0\"?>\n<TrainingCenterDatabase xmlns:ns3=\"x\"><Activities>"
	"<Activity Sport=\"Running\"><Lap><TotalTimeSeconds>120</TotalTimeSeconds>"
	"<DistanceMeters>360</DistanceMeters><Track>"
	"<Trackpoint><Time>2026-05-02T06:00:00Z</Time><Position><LatitudeDegrees>47.1"
	"</LatitudeDegrees><LongitudeDegrees>8.5</LongitudeDegrees></Position>"
	"<AltitudeMeters>401.5</AltitudeMeters><DistanceMeters>0</DistanceMeters>"
	"<HeartRateBpm><Value>150</Value></HeartRateBpm><Extensions><ns3:TPX>"
	"<ns3:Speed>3.0</ns3:Speed><ns3:RunCadence>85</ns3:RunCadence></ns3:TPX>"
	"</Extensions></Trackpoint>"
	"<Trackpoint><Time>2026-05-02T06:00:01.500+01:00</Time><DistanceMeters>3.5"
	"</DistanceMeters><Cadence>84</Cadence></Trackpoint>"
	"<Trackpoint><DistanceMeters>9</DistanceMeters></Trackpoint>"
	"</Track></Lap><Creator><Name><![CDATA[  Forerunner 265 ]]></Name></Creator>"
	"</Activity></Activities></TrainingCenterDatabase>\n";

static void test_xml_fed_bytewise(void **state)
{
	(void)state;
	struct activity whole, fed;
	assert_int_equal(activity_xml_read((const uint8_t *)tcx_text, strlen(tcx_text), &whole), 0);
	assert_int_equal(whole.n_records, 2); /* the point without a time is none */
	assert_string_equal(whole.device, "Forerunner 265");
	assert_int_equal(whole.sport, FIT_SPORT_RUNNING);
	assert_float_equal(whole.total_distance_m, 360, 0);
	const struct activity_record *r = &whole.records[0];
	assert_float_equal(r->latitude_deg, 47.1, 1e-12);
	assert_float_equal(r->altitude_m, 401.5, 0);
	assert_float_equal(r->heart_rate_bpm, 150, 0);
	assert_float_equal(r->speed_mps, 3.0, 0);
	assert_float_equal(r->cadence_spm, 170, 0);
	assert_int_equal(whole.records[1].t_us - r->t_us, -3600000000LL + 1500000);
	assert_float_equal(whole.records[1].cadence_spm, 168, 0);

	activity_init(&fed);
	struct activity_xml *x = activity_xml_new(&fed);
	for (size_t i = 0; tcx_text[i]; i++)
		assert_int_equal(activity_xml_feed(x, (const uint8_t *)tcx_text + i, 1), 0);
	assert_int_equal(activity_xml_finish(x), 0);
	activity_xml_free(x);
	assert_int_equal(fed.n_records, whole.n_records);
	assert_memory_equal(fed.records, whole.records, whole.n_records * sizeof(*fed.records));
	assert_string_equal(fed.device, whole.device);
	activity_free(&fed);

	struct activity cut;
	assert_int_equal(activity_xml_read((const uint8_t *)tcx_text, 300, &cut), -EBADMSG);
	assert_non_null(strstr(cut.status.why, "not well-formed XML"));
	activity_free(&cut);
	static const char other[] = "<?xml version=\"1.0\"?><kml><x/></kml>";
	assert_int_equal(activity_xml_read((const uint8_t *)other, strlen(other), &cut), -EBADMSG);
	assert_string_equal(cut.status.why, "XML, but neither TCX nor GPX (<kml>)");
	activity_free(&cut);
	activity_free(&whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_check_value),
		cmocka_unit_test(test_every_base_type),
		cmocka_unit_test(test_compressed_timestamps),
		cmocka_unit_test(test_developer_fields_chained_bad_crc),
		cmocka_unit_test(test_truncation_everywhere),
		cmocka_unit_test(test_garbage_refused),
		cmocka_unit_test(test_edge_500_oracle),
		cmocka_unit_test(test_fenix_5_oracle),
		cmocka_unit_test(test_every_real_file),
		cmocka_unit_test(test_fed_in_blocks),
		cmocka_unit_test(test_records_streamed),
		cmocka_unit_test(test_xml_fed_bytewise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
