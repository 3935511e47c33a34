/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every fuzz target shares. A target is one libFuzzer entry point;
 * built with -Dlibfuzzer=true (tools/fuzz.sh) it links libFuzzer's main,
 * otherwise fuzz_replay.c's, which runs it over its seed corpus for the
 * meson 'fuzz' suite.
 *
 * An invariant that fails aborts with the condition, so the fuzzer keeps
 * the input and the replay test fails, whichever build runs it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/activity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))

static inline void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

/* What a parser's output is filled with before the call, so that one
 * returning false can be checked to have left it untouched. */
#define FUZZ_POISON 0xA5

static inline bool fuzz_untouched(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != FUZZ_POISON)
			return false;
	return true;
}

/* The input as a NUL-terminated string (the text parsers' form); the
 * caller frees it. A NUL inside ends the text there, as C would. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/* What an activity reader must give for any bytes: a failure says why,
 * the records are no more than it holds, and each can be read. Frees it. */
static inline void fuzz_check_activity(int rc, struct activity *a)
{
	if (rc != 0)
		FUZZ_CHECK(a->status.why[0] != '\0');
	FUZZ_CHECK(a->n_records <= a->cap_records);
	volatile double sink = 0;
	for (size_t i = 0; i < a->n_records; i++)
		sink += a->records[i].distance_m + (double)a->records[i].t_us;
	(void)sink;
	activity_free(a);
}
