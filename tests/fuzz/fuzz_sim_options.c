// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the simulator's options (sim/options.h), which both
 * 'hamstride sim' and 'hamstrided --simulate' parse. The input is a list
 * of lines, each an option's number (its first byte) and its value (the
 * rest; a line of one byte is a flag). Checked: a refused value says why
 * and leaves the options untouched; the final check says why it refuses.
 */
#include "fuzz.h"
#include "sim/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct sim_options defaults;
	sim_options_default(&defaults);
	struct sim_option_parser p;
	sim_option_parser_init(&p, &defaults);
	char why[256];
	char *line = text;
	while (*line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		enum sim_option_id id =
			(enum sim_option_id)((unsigned char)line[0] % SIM_OPT_COUNT);
		const char *value = line[1] ? line + 1 : NULL;
		struct sim_option_parser before = p;
		why[0] = '\0';
		if (!sim_option_parse(&p, id, value, why, sizeof(why))) {
			FUZZ_CHECK(why[0] != '\0');
			/* A copy made by assignment: padding is compared too, which a refusing
			 * parser that wrote nothing leaves as it was. */
			// NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
			FUZZ_CHECK(memcmp(&p, &before, sizeof(p)) == 0);
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	why[0] = '\0';
	if (!sim_option_parser_finish(&p, why, sizeof(why)))
		FUZZ_CHECK(why[0] != '\0');
	free(text);
	return 0;
}
