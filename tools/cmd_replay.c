// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstride replay: a capture through the same pipeline as the daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ingest.h"
#include "log.h"
#include "replay.h"

#define MAX_MAPS 64

static void usage(FILE *out)
{
	fprintf(out, "Usage: hamstride replay [OPTIONS] FILE\n\n"
		     "Decodes a btsnoop capture (btmon -w, an Android HCI snoop log, or one\n"
		     "hamstride recorded) into runs in the database, as the daemon would.\n\n"
		     "  --map HANDLE=UUID   the characteristic behind a handle when the capture\n"
		     "                      lacks the GATT discovery, e.g. --map 0x000e=2A53\n"
		     "                      (repeatable)\n"
		     "  --capture-dir DIR   also record each run to its own capture in DIR\n"
		     "  -v, --verbose       log each sensor and run\n"
		     "  -h, --help          this help\n\n"
		     "Exit codes: 0 done, 65 damaged capture (every readable record is\n"
		     "stored; the damage is skipped, or ends the replay if nothing after it\n"
		     "can be read), 66 no such file, 64 bad arguments.\n");
}

struct replay_args {
	const char *path;
	const char *capture_dir;
	size_t n_maps;
	uint16_t handle[MAX_MAPS];
	struct gatt_uuid uuid[MAX_MAPS];
};

static int parse_args(int argc, char **argv, struct replay_args *a)
{
	static const struct option options[] = {
		{ "map", required_argument, NULL, 'm' },
		{ "capture-dir", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (a->n_maps == MAX_MAPS)
				return cli_usage_error("replay", "at most %d --map options",
						       MAX_MAPS);
			if (!replay_parse_map(optarg, &a->handle[a->n_maps], &a->uuid[a->n_maps]))
				return cli_usage_error(
					"replay",
					"--map %s: expected HANDLE=UUID, e.g. 0x000e=2A53", optarg);
			a->n_maps++;
			break;
		case 'C':
			a->capture_dir = optarg;
			break;
		case 'v':
			log_set_level(LOG_LEVEL_INFO);
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("replay",
				       "expected one capture file (see hamstride replay --help)");
	a->path = argv[optind];
	return 0;
}

/* Each run skipped as stored before, on stdout with the summary. */
static void say_skipped(void *user, int64_t start_us, int64_t stored_as)
{
	char when[32];
	printf("%s: the run starting %s is stored already, as run %lld: skipped\n",
	       (const char *)user, cli_format_time(start_us, when, sizeof(when)),
	       (long long)stored_as);
}

/* ", 2 stored before and skipped", or "" for none. */
static const char *skipped_text(const struct ingest_stats *st, char *buf, size_t size)
{
	if (!st->runs_skipped)
		return "";
	snprintf(buf, size, ", %llu stored before and skipped",
		 (unsigned long long)st->runs_skipped);
	return buf;
}

int cmd_replay(const struct cli_globals *g, int argc, char **argv)
{
	struct replay_args a = { 0 };
	struct ingest_config config;
	struct ingest_stats st;
	struct replay *r;
	struct store *store;
	char why[512], source[64];

	log_set_level(LOG_LEVEL_WARNING);
	int code = parse_args(argc, argv, &a);
	if (code)
		return code < 0 ? 0 : code;
	int err = replay_open(a.path, &r, why, sizeof(why));
	if (err < 0) {
		cli_error("%s", why);
		return err == -EBADMSG ? EX_DATAERR : EX_NOINPUT;
	}
	for (size_t i = 0; i < a.n_maps; i++)
		replay_map(r, a.handle[i], &a.uuid[i]);
	if ((code = cli_open_store(g, STORE_READ_WRITE, &store))) {
		replay_free(r);
		return code;
	}
	if (replay_stored_before(store, a.path, why, sizeof(why))) {
		printf("%s\n", why);
		replay_free(r);
		store_close(store);
		return 0;
	}
	replay_source_name(a.path, source, sizeof(source));
	ingest_config_default(&config);
	config.segments = g->segments; /* the daemon's [segments], as it would */
	config.source = source;
	config.capture_dir = a.capture_dir;
	/* A replay killed mid-run leaves none of that run, never half of it:
	 * run it again to store it. */
	config.whole_runs = true;
	/* Run again after such a kill: the runs stored then are skipped. */
	config.skip_stored_runs = true;
	config.on_skipped = say_skipped;
	config.skipped_user = (void *)a.path;
	struct ingest *in = ingest_new(store, &config);

	err = replay_feed_all(r, in);
	ingest_finish(in, replay_damaged(r) ? "damaged capture" : "end of replay");
	ingest_stats(in, &st);
	printf("%s: %llu notifications; runs stored: %llu (last run %lld)%s; gaps: %llu; "
	       "malformed: %llu; not decoded: %llu\n",
	       a.path, (unsigned long long)st.notifications, (unsigned long long)st.runs,
	       (long long)ingest_last_run(in), skipped_text(&st, why, sizeof(why)),
	       (unsigned long long)st.gaps, (unsigned long long)st.malformed,
	       (unsigned long long)st.unknown);
	if (replay_damaged(r)) {
		cli_error("%s; the notifications before it are stored", replay_error(r));
		code = EX_DATAERR;
	} else if (replay_damage_summary(r, why, sizeof(why))) {
		cli_error("%s: %s", a.path, why);
		code = EX_DATAERR;
	} else if (err < 0 || st.store_errors) {
		cli_error("database %s could not be written (see above); what was stored before "
			  "is kept",
			  g->db_path);
		code = EX_IOERR;
	} else {
		code = 0;
	}
	ingest_free(in);
	replay_free(r);
	store_close(store);
	return code;
}
