// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the FIT decoder and the activity it reads: any bytes
 * must decode or fail with a message, without a crash, a leak or a read
 * out of bounds, and the streaming decoder fed them in blocks must give
 * what the whole buffer gives.
 *
 * libFuzzer build (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DHAMSTRIDE_LIBFUZZER \
 *     -D_GNU_SOURCE -Ianalysis tests/fuzz/fuzz_fit.c analysis/import/fit.c \
 *     analysis/import/fit_activity.c analysis/import/activity.c \
 *     analysis/util/xalloc.c -lm -o fuzz_fit
 *   mkdir -p corpus && ./fuzz_fit corpus ../shared/data/real/fit
 *
 * Without HAMSTRIDE_LIBFUZZER it is a plain program for the meson 'fuzz'
 * suite: each file named (or each file in a folder named) whole, cut at
 * 128 lengths, and with a byte flipped at 128 places through it.
 */
#include <dirent.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/activity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_message(void *user, const struct fit_message *m)
{
	(void)m;
	(*(uint64_t *)user)++;
	return 0;
}

/* The same bytes fed in blocks of a size the input picks: the streaming
 * decoder must deliver what the whole buffer gives. */
static void fed_in_blocks(const uint8_t *data, size_t size, const struct fit_status *whole)
{
	size_t block = size ? 1 + data[size - 1] % 97 : 1;
	uint64_t messages = 0;
	struct fit_status st;
	struct fit_decoder *d = fit_decoder_new(count_message, &messages, &st);
	for (size_t at = 0; at < size; at += block)
		fit_decoder_feed(d, data + at, size - at < block ? size - at : block);
	fit_decoder_finish(d);
	fit_decoder_free(d);
	if (messages != whole->messages || st.truncated != whole->truncated ||
	    strcmp(st.why, whole->why) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct activity a;
	int rc = fit_activity_read(data, size, &a);
	if (rc != 0 && a.status.why[0] == '\0')
		abort(); /* every failure must say why */
	fed_in_blocks(data, size, &a.status);
	volatile double sink = 0;
	for (size_t i = 0; i < a.n_records; i++)
		sink += a.records[i].distance_m + (double)a.records[i].t_us;
	(void)sink;
	activity_free(&a);
	return 0;
}

#ifndef HAMSTRIDE_LIBFUZZER
static unsigned long inputs;

static void one(const uint8_t *data, size_t size)
{
	LLVMFuzzerTestOneInput(data, size);
	inputs++;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "fuzz_fit: cannot read %s\n", path);
		if (f)
			fclose(f);
		return 1;
	}
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len ? len : 1);
	if (fread(buf, 1, len, f) != len) {
		fprintf(stderr, "fuzz_fit: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	one(buf, len);
	size_t step = len > 128 ? len / 128 : 1;
	for (size_t cut = 0; cut < len; cut += step)
		one(buf, cut);
	for (size_t k = 0; k < 128 && len > 0; k++) {
		size_t at = (k * 7919u) % len;
		buf[at] ^= (uint8_t)(1u << (k % 8));
		one(buf, len);
		buf[at] ^= (uint8_t)(1u << (k % 8));
	}
	free(buf);
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		printf("fuzz_fit: %s not found, skipped\n", path);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	DIR *d = opendir(path);
	int failed = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcasecmp(e->d_name + n - 4, ".fit") == 0) {
			char child[4096];
			snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
			failed |= run_file(child);
		}
	}
	if (d)
		closedir(d);
	return failed;
}

int main(int argc, char **argv)
{
	static const uint8_t seeds[][16] = {
		{ 14, 0x20, 0, 0, 0, 0, 0, 0, '.', 'F', 'I', 'T' },
		{ 12, 0x10, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F, '.', 'F', 'I', 'T', 0x40, 0, 0, 0 },
		{ 12, 0x10, 0, 0, 4, 0, 0, 0, '.', 'F', 'I', 'T', 0xE0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		one(seeds[i], sizeof(seeds[i]));
	int failed = 0;
	for (int i = 1; i < argc; i++)
		failed |= run_path(argv[i]);
	printf("fuzz_fit: %lu inputs decoded or refused cleanly\n", inputs);
	return failed;
}
#endif
