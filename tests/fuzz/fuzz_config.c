// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for hamstrided's config parser (daemon/config.h): the input
 * is the config file's text, read through a memfd as the daemon reads a
 * file. Checked: a refusal says which line and leaves the config as it
 * was; an accepted config has every value within its documented range.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static void check_ranges(const struct daemon_config *c)
{
	const struct session_config *s = &c->ingest.session;
	FUZZ_CHECK(c->ingest.capture_dir == c->capture_dir);
	FUZZ_CHECK(memchr(c->database, '\0', sizeof(c->database)) != NULL);
	FUZZ_CHECK(memchr(c->capture_dir, '\0', sizeof(c->capture_dir)) != NULL);
	FUZZ_CHECK(memchr(c->adapter, '\0', sizeof(c->adapter)) != NULL);
	FUZZ_CHECK(c->database[0] == '\0' || c->database[0] == '/');
	FUZZ_CHECK(c->capture_dir[0] == '\0' || c->capture_dir[0] == '/');
	FUZZ_CHECK(s->idle_timeout_us >= 5000000 && s->idle_timeout_us <= 3600000000LL);
	FUZZ_CHECK(s->sensor_timeout_us >= 5000000 && s->sensor_timeout_us <= 3600000000LL);
	FUZZ_CHECK(s->gap_us >= 1000000 && s->gap_us <= 600000000LL);
	FUZZ_CHECK(c->ingest.start_speed_mps >= 0.5 && c->ingest.start_speed_mps <= 6.0);
	FUZZ_CHECK(c->ingest.segments.flat_pct < c->ingest.segments.steep_pct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	static struct daemon_config c, before;
	config_default(&c);
	before = c;
	char why[512] = "";
	int err = config_load(path, &c, why, sizeof(why));
	close(fd);
	if (err < 0) {
		FUZZ_CHECK(why[0] != '\0');
		/* A copy made by assignment: padding is compared too, which a refusing
		 * parser that wrote nothing leaves as it was. */
		// NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
		FUZZ_CHECK(memcmp(&c, &before, sizeof(c)) == 0);
		return 0;
	}
	FUZZ_CHECK(err == 0);
	check_ranges(&c);
	return 0;
}
