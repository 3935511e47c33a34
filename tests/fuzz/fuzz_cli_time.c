// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the CLI's dates and times (cli.h: --from, --to,
 * --start, a pain entry's day): the input is the option's text. Checked:
 * refused text leaves the time untouched; an accepted time is from 1970
 * on and prints back as the same date (and clock, to the second).
 */
#include "cli.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	int64_t us = INT64_MIN;
	if (!cli_parse_time(text, &us)) {
		FUZZ_CHECK(us == INT64_MIN);
		free(text);
		return 0;
	}
	FUZZ_CHECK(us >= 0 && us % 1000000 == 0);
	char back[32];
	cli_format_time(us, back, sizeof(back));
	/* "2026-11-21T07:30:05Z": the date always, the clock as far as given. */
	size_t given = strcspn(text, "Z");
	FUZZ_CHECK(given >= 10 && strncmp(back, text, 10) == 0);
	if (given > 11)
		FUZZ_CHECK(strncmp(back + 11, text + 11, given - 11) == 0);
	int64_t again = INT64_MIN;
	FUZZ_CHECK(cli_parse_time(back, &again) && again == us);
	free(text);
	return 0;
}
