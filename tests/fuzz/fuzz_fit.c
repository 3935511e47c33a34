// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the FIT decoder and the activity it reads
 * (import/activity.h): any bytes must decode or fail with a message,
 * without a crash, a leak or a read out of bounds. Checked: a failure
 * says why; records are no more than the reader holds; the streaming
 * decoder fed the same bytes in blocks gives what the whole buffer gives.
 */
#include "fuzz.h"
#include "import/activity.h"
#include "import/fit.h"

static int count_message(void *user, const struct fit_message *m)
{
	(void)m;
	(*(uint64_t *)user)++;
	return 0;
}

/* The same bytes fed in blocks of a size the input picks. */
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
	FUZZ_CHECK(messages == whole->messages);
	FUZZ_CHECK(st.truncated == whole->truncated);
	FUZZ_CHECK(strcmp(st.why, whole->why) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct activity a;
	int rc = fit_activity_read(data, size, &a);
	struct fit_status whole = a.status; /* the activity is freed by the check */
	fuzz_check_activity(rc, &a);
	fed_in_blocks(data, size, &whole);
	return 0;
}
