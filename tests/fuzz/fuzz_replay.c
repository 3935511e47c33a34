// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The main of a fuzz target in a build without libFuzzer (gcc, the meson
 * 'fuzz' suite): runs the target over each file named and each file in a
 * folder named (its seed corpus), every file whole, cut short and with
 * bits flipped, so the seeds, the regression inputs the fuzzer found and
 * their nearest neighbours are replayed on every build, under the
 * sanitizers in the ASan build.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fuzz.h"

/* A small file is cut at every length (truncation is the commonest
 * damage) and has a bit flipped at REPLAY_FLIPS places; a big one (a real
 * recording) as many times as fit in REPLAY_BUDGET bytes read, at least
 * REPLAY_MIN times each, so the suite stays fast under the sanitizers. */
#define REPLAY_FLIPS 64
#define REPLAY_BUDGET (8u << 20)
#define REPLAY_MIN 16

struct replay_counts {
	unsigned long files, inputs;
};

static void run_one(const uint8_t *data, size_t size, struct replay_counts *n)
{
	/* A copy of exactly size bytes, so ASan sees a read past the end. */
	uint8_t *copy = size ? malloc(size) : calloc(1, 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
	n->inputs++;
}

static size_t times_for(size_t len, size_t most)
{
	size_t fit = len ? REPLAY_BUDGET / len : most;
	return fit < REPLAY_MIN ? REPLAY_MIN : fit > most ? most : fit;
}

static void run_variants(uint8_t *buf, size_t len, struct replay_counts *n)
{
	run_one(buf, len, n);
	size_t cuts = times_for(len, len), step = cuts ? len / cuts : 1;
	for (size_t cut = 0; cut < len; cut += step ? step : 1)
		run_one(buf, cut, n);
	size_t flips = times_for(len, REPLAY_FLIPS);
	for (unsigned k = 0; k < flips && len > 0; k++) {
		size_t at = ((size_t)k * 7919u) % len;
		uint8_t bit = (uint8_t)(1u << (k % 8));
		buf[at] ^= bit;
		run_one(buf, len, n);
		buf[at] ^= bit;
	}
}

static int run_file(const char *path, struct replay_counts *n)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "fuzz replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return 1;
	}
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf || fread(buf, 1, len, f) != len) {
		fprintf(stderr, "fuzz replay: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	run_variants(buf, len, n);
	free(buf);
	n->files++;
	return 0;
}

/* A folder's regular files, in name order so a failure repeats; only
 * those whose name ends in suffix, if one is given. */
static int run_dir(const char *path, const char *suffix, struct replay_counts *n)
{
	struct dirent **names;
	int count = scandir(path, &names, NULL, alphasort);
	int failed = 0;
	if (count < 0) {
		fprintf(stderr, "fuzz replay: cannot list %s\n", path);
		return 1;
	}
	for (int i = 0; i < count; i++) {
		char child[4096];
		struct stat st;
		snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
		size_t len = strlen(names[i]->d_name), slen = suffix ? strlen(suffix) : 0;
		bool wanted = names[i]->d_name[0] != '.' && len >= slen &&
			      (!suffix || strcasecmp(names[i]->d_name + len - slen, suffix) == 0);
		if (wanted && stat(child, &st) == 0 && S_ISREG(st.st_mode))
			failed |= run_file(child, n);
		free(names[i]);
	}
	free(names);
	return failed;
}

/* Usage: fuzz_TARGET [--only=SUFFIX] FILE|DIR... (--only applies to the
 * folders named after it). */
int main(int argc, char **argv)
{
	struct replay_counts n = { 0, 0 };
	const char *suffix = NULL;
	int failed = 0;

	/* The empty input first: every target must refuse it cleanly. */
	run_one((const uint8_t *)"", 0, &n);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (strncmp(argv[i], "--only=", 7) == 0) {
			suffix = argv[i] + 7;
			continue;
		}
		/* The real recordings are not in the tree: skip them if absent. */
		if (stat(argv[i], &st) != 0)
			printf("%s: %s not found, skipped\n", argv[0], argv[i]);
		else
			failed |= S_ISDIR(st.st_mode) ? run_dir(argv[i], suffix, &n)
						      : run_file(argv[i], &n);
	}
	printf("%s: %lu inputs from %lu files ran cleanly\n", argv[0], n.inputs, n.files);
	return failed;
}
