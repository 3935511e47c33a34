// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the btsnoop capture reader (capture/capture.h): any
 * bytes must open or fail with a message, and read to a clean end or an
 * error, without a crash, a leak or a read out of bounds. Checked: every
 * failure says why; a refused open hands out no reader; no more
 * notifications are unmapped than were read.
 */
#include "capture/capture.h"
#include "fuzz.h"

static void read_capture(struct capture_reader *r)
{
	struct gatt_uuid hr = gatt_uuid_from16(UUID_HEART_RATE_MEASUREMENT);
	struct capture_reader_stats stats;
	struct notification n;
	volatile uint8_t sink = 0;
	int ret;

	capture_reader_map(r, 0x0010, &hr);
	while ((ret = capture_reader_next(r, &n)) == 1) {
		/* Touch every byte handed out, so ASan sees a bad length. */
		for (size_t i = 0; i < n.len; i++)
			sink ^= n.value[i];
	}
	if (ret < 0)
		FUZZ_CHECK(capture_reader_error(r)[0] != '\0');
	capture_reader_stats(r, &stats);
	FUZZ_CHECK(stats.unmapped <= stats.notifications);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capture_reader *r;
	char why[256] = "";
	FILE *f;

	/* fmemopen refuses an empty buffer: open an empty file instead. */
	f = size ? fmemopen((void *)data, size, "rb") : tmpfile();
	if (!f)
		return 0;
	if (capture_reader_open_stream(f, "fuzz.btsnoop", &r, why, sizeof(why)) < 0) {
		FUZZ_CHECK(why[0] != '\0' && r == NULL);
		return 0;
	}
	read_capture(r);
	capture_reader_close(r);
	return 0;
}
