// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes a running activity as a FIT file, for the import tests and the
 * import benchmark (not part of the product):
 *
 *   fit_run_writer OUT.fit START_UNIX_S SECONDS [baro|gps|none] [incline PCT]
 *
 * file_id (a Garmin 4024, serial 1234), device_info for the watch's own
 * sensors (GPS, and a barometer unless "gps"; none at all with "none"), a
 * record a second at 3 m/s, 170 steps a minute, 150 bpm, and an altitude
 * of a 2 % climb and descent every 10 minutes: smooth at FIT's 0.2 m
 * resolution for "baro", with the metre of jitter a second of GPS
 * elevation ("gps"; seeded, the same every time); with "incline", a
 * treadmill run whose records carry that incline in record.grade. Then a
 * session (running, or treadmill) with the totals, and the file's CRC.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/fit.h"

static uint8_t *out;
static size_t len, cap;

static void put_uint(uint64_t v, size_t n)
{
	if (len + n > cap) {
		cap = cap ? 2 * cap : 1 << 16;
		out = realloc(out, cap);
		if (!out)
			abort();
	}
	for (size_t i = 0; i < n; i++)
		out[len++] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

struct field {
	uint8_t number, size, base;
};

static void define(uint8_t local, uint16_t global, const struct field *f, uint8_t n)
{
	put_uint(0x40 | local, 1);
	put_uint(0, 1);
	put_uint(0, 1); /* little-endian */
	put_uint(global, 2);
	put_uint(n, 1);
	for (uint8_t i = 0; i < n; i++) {
		put_uint(f[i].number, 1);
		put_uint(f[i].size, 1);
		put_uint(f[i].base | (f[i].size > 1 ? 0x80 : 0), 1);
	}
}

/* A small generator of its own, so every run writes the same bytes. */
static double jitter(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*state >> 11) / 9007199254740992.0 - 0.5;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: fit_run_writer OUT.fit START_UNIX_S SECONDS "
				"[baro|gps|none] [incline PCT]\n");
		return 64;
	}
	uint32_t t0 = (uint32_t)(strtoll(argv[2], NULL, 10) - FIT_EPOCH_UNIX_S);
	long seconds = strtol(argv[3], NULL, 10);
	const char *altitude = argc > 4 ? argv[4] : "baro";
	bool treadmill = argc > 6 && strcmp(argv[5], "incline") == 0;
	double incline = treadmill ? strtod(argv[6], NULL) : NAN;
	put_uint(0, 14); /* the header, filled in at the end */

	static const struct field file_id[] = { { 0, 1, FIT_ENUM },
						{ 1, 2, FIT_UINT16 },
						{ 2, 2, FIT_UINT16 },
						{ 3, 4, FIT_UINT32Z },
						{ 4, 4, FIT_UINT32 } };
	define(0, FIT_MESG_FILE_ID, file_id, 5);
	put_uint(0, 1);
	put_uint(4, 1), put_uint(1, 2), put_uint(4024, 2), put_uint(1234, 4), put_uint(t0, 4);

	if (strcmp(altitude, "none") != 0) {
		static const struct field device[] = { { 253, 4, FIT_UINT32 },
						       { 0, 1, FIT_UINT8 },
						       { 1, 1, FIT_UINT8 },
						       { 25, 1, FIT_ENUM } };
		define(1, FIT_MESG_DEVICE_INFO, device, 4);
		put_uint(1, 1), put_uint(t0, 4), put_uint(1, 1), put_uint(0, 1), put_uint(5, 1);
		if (strcmp(altitude, "gps") != 0)
			put_uint(1, 1), put_uint(t0, 4), put_uint(2, 1), put_uint(4, 1),
				put_uint(5, 1);
	}

	static const struct field record[] = { { 253, 4, FIT_UINT32 }, { 5, 4, FIT_UINT32 },
					       { 73, 4, FIT_UINT32 },  { 78, 4, FIT_UINT32 },
					       { 3, 1, FIT_UINT8 },    { 4, 1, FIT_UINT8 },
					       { 9, 2, FIT_SINT16 } };
	define(2, FIT_MESG_RECORD, record, 7);
	uint64_t seed = 20261207;
	double altitude_m = 400, speed = 3.0;
	for (long i = 0; i < seconds; i++) {
		/* 2 % up for 5 minutes, 2 % down for 5: 18 m each way. */
		double climb = ((i / 300) % 2 == 0 ? 0.02 : -0.02) * speed;
		altitude_m += treadmill ? 0 : climb;
		double shown = altitude_m;
		if (strcmp(altitude, "gps") == 0)
			shown += 2.0 * jitter(&seed) + 1.5 * sin((double)i / 40.0);
		put_uint(2, 1);
		put_uint(t0 + (uint32_t)i, 4);
		put_uint((uint32_t)llround(i * speed * 100), 4);
		put_uint((uint32_t)llround(speed * 1000), 4);
		put_uint((uint32_t)llround((shown + 500) * 5), 4);
		put_uint(150, 1);
		put_uint(85, 1);
		put_uint(treadmill ? (uint16_t)(int16_t)llround(incline * 100) : 0x7FFF, 2);
	}

	static const struct field session[] = { { 253, 4, FIT_UINT32 }, { 5, 1, FIT_ENUM },
						{ 6, 1, FIT_ENUM },     { 7, 4, FIT_UINT32 },
						{ 8, 4, FIT_UINT32 },   { 9, 4, FIT_UINT32 } };
	define(3, FIT_MESG_SESSION, session, 6);
	put_uint(3, 1), put_uint(t0 + (uint32_t)seconds, 4), put_uint(1, 1),
		put_uint(treadmill ? 1 : 0, 1);
	put_uint((uint32_t)(seconds * 1000), 4), put_uint((uint32_t)(seconds * 1000), 4);
	put_uint((uint32_t)llround((double)(seconds - 1) * speed * 100), 4);

	uint32_t data = (uint32_t)(len - 14);
	uint8_t header[14] = { 14, 0x20, 0x54, 0x08, 0, 0, 0, 0, '.', 'F', 'I', 'T', 0, 0 };
	for (int i = 0; i < 4; i++)
		header[4 + i] = (uint8_t)(data >> (8 * i));
	uint16_t hcrc = fit_crc16(0, header, 12);
	header[12] = (uint8_t)hcrc, header[13] = (uint8_t)(hcrc >> 8);
	memcpy(out, header, 14);
	put_uint(fit_crc16(0, out, len), 2);
	FILE *f = fopen(argv[1], "wb");
	if (!f || fwrite(out, 1, len, f) != len || fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	free(out);
	return 0;
}
