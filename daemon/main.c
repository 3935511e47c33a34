// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstrided: receives running-sensor notifications and stores runs. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "ble/ble_link.h"
#include "paths.h"
#include "decode/rsc.h"
#include "sim/options.h"
#include "util/utc.h"
#include "store/writer_lock.h"

#define MAX_MAPS 64

struct options {
	const char *db;
	const char *capture_dir;
	const char *replay;
	bool simulate;
	const char *adapter;
	struct sim_option_parser sim;
	bool realtime;
	double speed; /* --speed; 0 when not given */
	const char *log_level;
	size_t n_maps;
	uint16_t map_handle[MAX_MAPS];
	struct gatt_uuid map_uuid[MAX_MAPS];
};

static void usage(FILE *out)
{
	char line[160];

	fprintf(out,
		"Usage: hamstrided [OPTIONS] [--replay FILE | --simulate]\n\n"
		"Receives running-sensor notifications, cuts them into runs and stores\n"
		"them in the hamstride database.\n\n"
		"Sources (default: the sensors added with 'hamstride sensors add', live):\n"
		"  --adapter hciN       the Bluetooth adapter for live sensors (default hci0)\n"
		"  --replay FILE        a btsnoop capture (btmon -w, Android snoop log, hamstride)\n"
		"  --map HANDLE=UUID    characteristic of a handle the capture does not discover\n"
		"  --realtime           replay at recorded speed (default: as fast as possible)\n"
		"  --speed N            replay, or simulate, at N times recorded speed (0.01-1000)\n"
		"  --simulate           a built-in simulated training block: 6 weeks of 4 runs\n"
		"                       ending last week unless these say otherwise:\n");
	for (unsigned i = 0; i < SIM_OPT_COUNT; i++) {
		sim_option_help_line((enum sim_option_id)i, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	fprintf(out,
		"\nOptions:\n"
		"  -c, --config FILE    config file (default " CONFIG_DEFAULT_PATH " if present)\n"
		"  --db PATH            database (overrides the config)\n"
		"  --capture-dir DIR    record each run to a capture in DIR\n"
		"  --log-level LEVEL    error, warning, notice, info or debug\n"
		"  -h, --help           this help\n"
		"  --version            print the version\n\n"
		"Signals: SIGTERM/SIGINT end the open run and exit; SIGHUP re-reads the config\n"
		"and the sensor list.\n"
		"Exit codes: 0 done, 64 bad usage, 65 damaged capture (what could be read is\n"
		"stored, the log counts what was skipped), 66 missing input,\n"
		"73 database cannot be opened, 74 a write to the database failed (the log says\n"
		"what was stored), 75 another hamstrided is recording into the database,\n"
		"78 bad config.\n");
}

static int bad_option(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_option(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "hamstrided: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see hamstrided --help)\n");
	return EX_USAGE;
}

static int parse_options(int argc, char **argv, struct options *o, struct daemon *d)
{
	enum {
		OPT_DB = 256,
		OPT_CAPTURE_DIR,
		OPT_REPLAY,
		OPT_MAP,
		OPT_REALTIME,
		OPT_SPEED,
		OPT_SIMULATE,
		OPT_LOG_LEVEL,
		OPT_VERSION,
		OPT_ADAPTER,
		OPT_SIM_FIRST, /* then one per simulator option, sim/options.h */
	};
	static const struct option own_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "capture-dir", required_argument, NULL, OPT_CAPTURE_DIR },
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "realtime", no_argument, NULL, OPT_REALTIME },
		{ "speed", required_argument, NULL, OPT_SPEED },
		{ "simulate", no_argument, NULL, OPT_SIMULATE },
		{ "adapter", required_argument, NULL, OPT_ADAPTER },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
	};
	enum { N_OWN = sizeof(own_options) / sizeof(own_options[0]) };
	struct option long_options[N_OWN + SIM_OPT_COUNT + 1] = { { 0 } };
	struct sim_options sim_defaults;
	char why[256];
	int opt;

	memcpy(long_options, own_options, sizeof(own_options));
	sim_option_getopt(long_options + N_OWN, OPT_SIM_FIRST);
	sim_options_default(&sim_defaults);
	sim_defaults.weeks = 6;
	sim_defaults.runs_per_week = 4;
	sim_option_parser_init(&o->sim, &sim_defaults);
	while ((opt = getopt_long(argc, argv, "c:h", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d->config_path = optarg;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_CAPTURE_DIR:
			o->capture_dir = optarg;
			break;
		case OPT_REPLAY:
			o->replay = optarg;
			break;
		case OPT_MAP:
			if (o->n_maps == MAX_MAPS)
				return bad_option("at most %s --map options", "64");
			if (!replay_parse_map(optarg, &o->map_handle[o->n_maps],
					      &o->map_uuid[o->n_maps]))
				return bad_option(
					"--map %s: expected HANDLE=UUID, e.g. 0x000e=2A53", optarg);
			o->n_maps++;
			break;
		case OPT_REALTIME:
			o->realtime = true;
			break;
		case OPT_SPEED:
			if (!config_parse_speed(optarg, &o->speed))
				return bad_option("--speed %s: expected a factor from 0.01 to 1000 "
						  "(1: recorded speed, 10: ten times faster)",
						  optarg);
			break;
		case OPT_SIMULATE:
			o->simulate = true;
			break;
		case OPT_ADAPTER:
			if (ble_link_adapter_parse(optarg) < 0)
				return bad_option(
					"--adapter %s: expected an adapter name such as hci0",
					optarg);
			o->adapter = optarg;
			break;
		case OPT_LOG_LEVEL:
			o->log_level = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("hamstrided %s\n", HAMSTRIDE_VERSION);
			exit(0);
		default:
			if (opt >= OPT_SIM_FIRST && opt < OPT_SIM_FIRST + SIM_OPT_COUNT) {
				if (!sim_option_parse(&o->sim,
						      (enum sim_option_id)(opt - OPT_SIM_FIRST),
						      optarg, why, sizeof(why)))
					return bad_option("%s", why);
				break;
			}
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc)
		return bad_option("unexpected argument '%s'", argv[optind]);
	if (!sim_option_parser_finish(&o->sim, why, sizeof(why)))
		return bad_option("%s", why);
	for (unsigned i = 0; i < SIM_OPT_COUNT && !o->simulate; i++)
		if (o->sim.given[i])
			return bad_option("--%s goes with --simulate",
					  sim_option_spec((enum sim_option_id)i)->name);
	if (o->replay && o->simulate)
		return bad_option("%s", "give one source: --replay FILE, --simulate, or neither "
					"for live sensors");
	if (o->adapter && (o->replay || o->simulate))
		return bad_option("%s",
				  "--adapter is for live sensors, not with --replay or --simulate");
	if (!o->replay && (o->realtime || o->n_maps))
		return bad_option("%s", "--realtime and --map go with --replay");
	if (o->speed && !o->replay && !o->simulate)
		return bad_option("%s", "--speed goes with --replay or --simulate: live sensors "
					"send at their own pace");
	if (o->speed && o->realtime)
		return bad_option("%s", "give --realtime or --speed, not both (--realtime is "
					"--speed 1)");
	return 0;
}

/* How fast a replay or simulation goes: the command line over the config;
 * realtime (speed 1) is for a replay only, as it always was. Live sensors
 * set their own pace (0). */
static double pace_factor(const struct options *o, const struct daemon_config *c)
{
	if (!o->replay && !o->simulate)
		return 0;
	if (o->speed)
		return o->speed;
	if (o->realtime)
		return 1;
	if (c->speed)
		return c->speed;
	return c->realtime && o->replay ? 1 : 0;
}

/* The config file, then the command line over it. */
static int load_config(struct daemon *d, const struct options *o)
{
	char why[512];
	config_default(&d->config);
	const char *path = d->config_path ? d->config_path : CONFIG_DEFAULT_PATH;
	int err = config_load(path, &d->config, why, sizeof(why));
	if (err == -ENOENT && !d->config_path) {
		/* no config file is a fine config */
	} else if (err < 0) {
		log_error("%s", why);
		return EX_CONFIG;
	} else {
		d->config_path = path;
	}
	if (o->log_level && !log_level_parse(o->log_level, &d->config.log_level))
		return bad_option("--log-level %s: expected error, warning, notice, info or debug",
				  o->log_level);
	if (o->db && snprintf(d->config.database, sizeof(d->config.database), "%s", o->db) >=
			     (int)sizeof(d->config.database))
		return bad_option("--db %s: path too long", o->db);
	if (o->capture_dir && snprintf(d->config.capture_dir, sizeof(d->config.capture_dir), "%s",
				       o->capture_dir) >= (int)sizeof(d->config.capture_dir))
		return bad_option("--capture-dir %s: path too long (at most 199 bytes)",
				  o->capture_dir);
	if (o->adapter)
		snprintf(d->config.adapter, sizeof(d->config.adapter), "%s", o->adapter);
	d->adapter_id = ble_link_adapter_parse(d->config.adapter);
	d->speed = pace_factor(o, &d->config);
	log_set_level(d->config.log_level);
	return 0;
}

/* "FILE.damaged-20261207T091500Z": the damaged file's new name. */
static bool damaged_name(const char *path, char *out, size_t size)
{
	char stamp[32];
	utc_text((int64_t)time(NULL) * 1000000, UTC_STAMP, "19700101T000000Z", stamp,
		 sizeof(stamp));
	return snprintf(out, size, "%s.damaged-%s", path, stamp) < (int)size;
}

/* Moves the database and its -wal and -shm files (which may hold the
 * last commits) to the new name, each beside the one it belongs to. */
static int set_aside(const char *path, const char *aside)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char from[sizeof(((struct daemon_config *)0)->database) + 8], to[4200];
		snprintf(from, sizeof(from), "%s%s", path, suffixes[i]);
		snprintf(to, sizeof(to), "%s%s", aside, suffixes[i]);
		if (rename(from, to) < 0 && (errno != ENOENT || i == 0))
			return -errno;
	}
	return 0;
}

/*
 * One damaged page must not stop the recording: the damaged file is kept
 * under a new name for the runner to recover, and a new database takes
 * its place, with the runner's sensors copied over as far as they can be
 * read.
 */
static int replace_damaged_store(struct daemon *d, const char *why)
{
	char aside[4200], why2[512];
	const char *path = d->config.database;
	int err = damaged_name(path, aside, sizeof(aside)) ? set_aside(path, aside) : -ENAMETOOLONG;
	if (err < 0) {
		log_error("%s; it cannot be moved aside (%s) to record into a new one: move it "
			  "yourself, then restart hamstrided",
			  why, strerror(-err));
		return EX_CANTCREAT;
	}
	if (store_open(path, STORE_READ_WRITE, &d->store, why2, sizeof(why2)) < 0) {
		log_error("%s", why2);
		return EX_CANTCREAT;
	}
	log_error("%s. It is kept as %s and recording goes on in a new %s; to get back "
		  "what the damaged one holds, stop hamstrided and run: sqlite3 %s .recover | "
		  "sqlite3 recovered.db",
		  why, aside, path, aside);
	if (store_copy_sensors(d->store, aside) < 0)
		log_warning("the sensors could not be read from the damaged database (%s): add "
			    "them again with 'hamstride sensors add'",
			    store_error(d->store));
	return 0;
}

/* Runs a kill left open are closed from what they stored. */
static int log_recovered_run(void *user, const struct store_run *run)
{
	(void)user;
	log_warning("run %lld was left open (hamstrided stopped without ending it): closed at "
		    "its last notification, %.0f s, %lld notifications, end reason '%s'",
		    (long long)run->id, run->duration_s, (long long)run->notifications,
		    run->end_reason);
	return 0;
}

/* What a full disk may keep in memory (store_hold_when_full): measured,
 * about 1 KiB a second for a foot pod, a heart-rate strap and a barometer
 * (a day), 36 KiB a second with two 400 Hz shoe IMUs (half an hour). */
#define DAEMON_HOLD_MAX_BYTES (64u * 1024 * 1024)

static int open_store(struct daemon *d)
{
	char why[512];
	if (!d->config.database[0] &&
	    !paths_default_database(d->config.database, sizeof(d->config.database))) {
		log_error("no database path: set [daemon] database in the config or give --db");
		return EX_USAGE;
	}
	/* Before the file is touched: only a daemon that holds the lock may
	 * close the runs left open, and then their writer is gone. */
	pid_t holder;
	d->writer_lock = writer_lock_take(d->config.database, &holder, why, sizeof(why));
	if (d->writer_lock < 0) {
		log_error("%s", why);
		return d->writer_lock == -EWOULDBLOCK ? EX_TEMPFAIL : EX_CANTCREAT;
	}
	int err = store_open(d->config.database, STORE_READ_WRITE, &d->store, why, sizeof(why));
	if (err == -EUCLEAN && (err = replace_damaged_store(d, why)) != 0)
		return err;
	if (err < 0) {
		log_error("%s", why);
		return EX_CANTCREAT;
	}
	log_info("database %s", d->config.database);
	store_hold_when_full(d->store, DAEMON_HOLD_MAX_BYTES);
	if (store_close_open_runs(d->store, "crash", log_recovered_run, NULL) < 0)
		log_error("cannot close the runs left open: %s", store_error(d->store));
	if (store_tally_mark(d->store, &d->stored_before) < 0)
		log_error("%s", store_error(d->store));
	return 0;
}

/*
 * The counts the loop printed are what the sensors sent; after a failed
 * write they are not what is stored, so say what is, and fail.
 */
static int check_stored(struct daemon *d, int code)
{
	struct ingest_stats st;
	struct store_tally got;
	ingest_stats(d->ingest, &st);
	if (!st.store_errors)
		return code;
	if (store_tally_since(d->store, &d->stored_before, &got) < 0)
		log_error("%llu writes to the database failed, and what was stored cannot be "
			  "counted: %s",
			  (unsigned long long)st.store_errors, store_error(d->store));
	else
		log_error(
			"%llu writes to the database failed: stored %lld of %llu notifications, "
			"%lld runs (%lld of them ended; the others are closed at the next start); "
			"last error: %s",
			(unsigned long long)st.store_errors, (long long)got.notifications,
			(unsigned long long)st.notifications, (long long)got.runs,
			(long long)got.runs_ended, store_error(d->store));
	return code ? code : EX_IOERR;
}

/*
 * A one-shot replay that read past damage (records skipped for their time,
 * bytes skipped to the next readable record) stored every readable record
 * but not all of the capture: it exits 65 as hamstride replay does, with
 * the count, so a script or a unit sees it. Live sensors never end so.
 */
static int damage_exit(struct daemon *d, const struct options *o, int code)
{
	char why[512];
	if (code || !o->replay || !replay_damage_summary(d->replay, why, sizeof(why)))
		return code;
	log_error("%s: %s", o->replay, why);
	return EX_DATAERR;
}

/* A simulated block ends last week, as if just trained: it starts on the
 * Monday `weeks` weeks back (a single run: yesterday), so the weekly
 * report, which ends today, shows all of it. */
static int64_t simulation_start_us(unsigned weeks)
{
	const int64_t day_s = 86400, morning_s = 7 * 3600;
	int64_t today = (int64_t)time(NULL) / day_s;
	int64_t monday = today - (today + 3) % 7; /* 1970-01-01 was a Thursday */
	int64_t first_day = weeks ? monday - 7 * (int64_t)weeks : today - 1;
	return (first_day * day_s + morning_s) * INT64_C(1000000);
}

/* The simulator writes a capture with no name (replay_simulate), replayed
 * like any other: a daemon killed while it simulates leaves no file. */
static int open_simulation(struct daemon *d, struct options *o)
{
	char why[512];
	if (!o->sim.given[SIM_OPT_START])
		o->sim.o.start_us = simulation_start_us(o->sim.o.weeks);
	int err = replay_simulate(&o->sim.o, &d->replay, why, sizeof(why));
	if (err < 0) {
		log_error("simulation failed: %s", why);
		return err == -EINVAL ? 1 : EX_CANTCREAT;
	}
	log_notice("simulating %u weeks of %u runs a week (seed %llu)", o->sim.o.weeks,
		   o->sim.o.runs_per_week, (unsigned long long)o->sim.o.seed);
	return 0;
}

static int open_source(struct daemon *d, struct options *o)
{
	char why[512];
	if (!o->simulate && !o->replay)
		return 0; /* live: loop_run connects */
	if (o->simulate)
		return open_simulation(d, o);
	int err = replay_open(o->replay, &d->replay, why, sizeof(why));
	if (err < 0) {
		log_error("%s", why);
		/* A file that is there but is no capture we read is bad data. */
		return err == -ENOENT || err == -EACCES || err == -EISDIR || err == -ENOTDIR
			       ? EX_NOINPUT
			       : EX_DATAERR;
	}
	for (size_t i = 0; i < o->n_maps; i++)
		replay_map(d->replay, o->map_handle[i], &o->map_uuid[i]);
	return 0;
}

static void set_source_name(struct daemon *d, const struct options *o)
{
	static char source[64];
	if (o->simulate) {
		snprintf(source, sizeof(source), "simulator seed %llu",
			 (unsigned long long)o->sim.o.seed);
	} else if (!o->replay) {
		snprintf(source, sizeof(source), "ble %s", d->config.adapter);
	} else {
		replay_source_name(o->replay, source, sizeof(source));
	}
	d->config.ingest.source = source;
}

/*
 * A capture replayed again, as with hamstride replay (one check for
 * both): one stored whole is not replayed (exit 0), and the runs of one
 * that a kill cut short are skipped as they start if they were stored.
 * A simulation is stored each time it is asked for. -1 to go on.
 */
static int skip_stored(struct daemon *d, const struct options *o)
{
	char msg[768];
	if (!o->replay)
		return -1;
	d->config.ingest.skip_stored_runs = true;
	if (!replay_stored_before(d->store, o->replay, msg, sizeof(msg)))
		return -1;
	log_notice("%s", msg);
	return 0;
}

void daemon_reload(struct daemon *d)
{
	struct daemon_config next = d->config;
	char why[512];
	if (!d->config_path) {
		log_notice("SIGHUP: no config file to re-read");
		return;
	}
	if (config_load(d->config_path, &next, why, sizeof(why)) < 0) {
		log_error("%s; keeping the running configuration", why);
		return;
	}
	if (strcmp(next.database, d->config.database) != 0)
		log_warning("config %s: a new database takes effect at restart", d->config_path);
	if (d->ble && strcmp(next.adapter, d->config.adapter) != 0)
		log_warning("config %s: a new adapter takes effect at restart", d->config_path);
	snprintf(next.database, sizeof(next.database), "%s", d->config.database);
	snprintf(next.adapter, sizeof(next.adapter), "%s", d->config.adapter);
	next.ingest.source = d->config.ingest.source;
	next.ingest.skip_stored_runs = d->config.ingest.skip_stored_runs;
	d->config = next;
	d->config.ingest.capture_dir = d->config.capture_dir;
	log_set_level(d->config.log_level);
	ingest_set_config(d->ingest, &d->config.ingest);
	log_notice("configuration re-read from %s", d->config_path);
}

struct sensor_list {
	struct ble_sensor sensors[BLE_MAX_SENSORS];
	size_t n;
};

static int add_sensor(void *user, const struct store_sensor_info *info)
{
	struct sensor_list *list = user;
	struct ble_sensor s = { .addr_type = info->address_type };
	if (!ble_role_parse(info->role, &s.role)) {
		log_warning("sensor %s has the role '%s', which hamstrided does not know; skipped",
			    info->address, info->role);
		return 0;
	}
	if (!notification_addr_parse(info->address, s.addr) ||
	    (s.addr_type != NOTIFICATION_ADDR_PUBLIC && s.addr_type != NOTIFICATION_ADDR_RANDOM)) {
		log_warning("sensor '%s' (address type %u) in the database is not a Bluetooth LE "
			    "address; skipped",
			    info->address, s.addr_type);
		return 0;
	}
	if (list->n == BLE_MAX_SENSORS) {
		log_warning("more than %d sensors added; %s is skipped", BLE_MAX_SENSORS,
			    info->address);
		return 0;
	}
	snprintf(s.name, sizeof(s.name), "%s", info->name);
	list->sensors[list->n++] = s;
	return 0;
}

void daemon_load_sensors(struct daemon *d)
{
	struct sensor_list list = { .n = 0 };
	/* A new read transaction sees what the CLI has added meanwhile. */
	store_flush(d->store);
	if (store_foreach_sensor(d->store, true, add_sensor, &list) < 0) {
		log_error(
			"cannot read the sensors from the database: %s; keeping the ones there were",
			store_error(d->store));
		return;
	}
	store_flush(d->store);
	if (list.n == 0)
		log_notice(
			"no sensors added yet: find yours with 'hamstride sensors scan', add them "
			"with 'hamstride sensors add', then reload hamstrided (SIGHUP)");
	else
		log_info("%zu sensor%s to connect to", list.n, list.n == 1 ? "" : "s");
	ble_source_set_sensors(d->ble, list.sensors, list.n);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct daemon d = { 0 };
	int code;

	log_set_program("hamstrided");
	/* The source first: a missing capture leaves no empty database. */
	if ((code = parse_options(argc, argv, &o, &d)) || (code = load_config(&d, &o)) ||
	    (code = open_source(&d, &o)))
		return code;
	d.writer_lock = -1;
	if ((code = open_store(&d))) {
		writer_lock_release(d.writer_lock);
		replay_free(d.replay);
		return code;
	}
	set_source_name(&d, &o);
	if ((code = skip_stored(&d, &o)) >= 0) {
		replay_free(d.replay);
		store_close(d.store);
		writer_lock_release(d.writer_lock);
		return code;
	}
	/* Live or at recorded speed, the CLI may write meanwhile (a replay, an
	 * import, a pain entry): leave it room after each second's commit. A
	 * replay at full speed is not waited on. */
	if (!d.replay || d.speed > 0)
		store_set_commit_pause(d.store, 3);
	d.ingest = ingest_new(d.store, &d.config.ingest);
	code = check_stored(&d, damage_exit(&d, &o, loop_run(&d)));
	ingest_free(d.ingest);
	replay_free(d.replay);
	store_close(d.store);
	writer_lock_release(d.writer_lock);
	return code;
}
