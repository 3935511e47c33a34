// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the CLI's number and run arguments (cli.h): whole
 * numbers (--limit, --weeks, pain scores, entry numbers), decimals
 * (--rate, --sitting-hours), a run as RUN or 'last', and a pain span's
 * time from the run's start (--from 0:42:10). The input is the text.
 * Checked: refused text leaves the output untouched; what is accepted is
 * in range and, for whole numbers, prints back as the text.
 */
#include <inttypes.h>
#include <math.h>

#include "cli.h"
#include "fuzz.h"

static void check_int64(const char *text)
{
	int64_t v = INT64_MIN;
	if (!cli_parse_int64(text, &v)) {
		FUZZ_CHECK(v == INT64_MIN);
		return;
	}
	char back[32];
	snprintf(back, sizeof(back), "%" PRId64, v);
	FUZZ_CHECK(v >= 0);
	/* Leading zeros aside, the digits are the text's. */
	const char *digits = text + strspn(text, "0");
	FUZZ_CHECK(strcmp(back, *digits ? digits : "0") == 0);
}

static void check_double(const char *text)
{
	double v;
	memset(&v, FUZZ_POISON, sizeof(v));
	if (cli_parse_double(text, &v))
		FUZZ_CHECK(isfinite(v));
	else
		FUZZ_CHECK(fuzz_untouched(&v, sizeof(v)));
}

static void check_run_ref(const char *text)
{
	int64_t id = INT64_MIN;
	if (cli_parse_run_ref(text, &id))
		FUZZ_CHECK(id >= 1 || (id == 0 && strcmp(text, "last") == 0));
	else
		FUZZ_CHECK(id == INT64_MIN);
}

static void check_elapsed(const char *text)
{
	double s;
	memset(&s, FUZZ_POISON, sizeof(s));
	if (cli_parse_elapsed(text, &s)) {
		FUZZ_CHECK(isfinite(s) && s >= 0);
		/* H:MM:SS, M:SS or seconds: digits and at most two colons. */
		FUZZ_CHECK(text[strspn(text, "0123456789:")] == '\0');
		unsigned colons = 0;
		for (const char *p = text; *p; p++)
			colons += *p == ':';
		FUZZ_CHECK(colons <= 2);
	} else {
		FUZZ_CHECK(fuzz_untouched(&s, sizeof(s)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	check_int64(text);
	check_double(text);
	check_run_ref(text);
	check_elapsed(text);
	free(text);
	return 0;
}
