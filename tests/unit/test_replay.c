// SPDX-License-Identifier: GPL-2.0-or-later
/* Replaying a capture through the pipeline: what a crash in the middle of
 * a fast replay leaves behind (issue 18.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "ingest.h"
#include "replay.h"
#include "sim/sim.h"
#include "store/store.h"
#include "test_files.h"

#define US_PER_S INT64_C(1000000)

/* What another process (or the same one after a crash) would find. */
static long long committed(const char *db, const char *sql)
{
	sqlite3 *con;
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_open_v2(db, &con, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(con, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(con);
	return n;
}

/* Issue 18.2: a fast replay commits every second of capture time, so a
 * crash half-way through a run keeps the run and all but the last second
 * of its notifications (it used to commit only at the run's end). */
static void test_fast_replay_commits_by_data_time(void **state)
{
	(void)state;
	char cap[64], db[64], why[512];
	struct sim_options o;
	struct ingest_config config;
	struct store *store;
	struct replay *r;
	static int64_t fed_us[100000];
	int64_t t0, t;
	long long fed = 0, fed_second_ago = 0;

	snprintf(cap, sizeof(cap), "/tmp/test-replay-%d.btsnoop", (int)getpid());
	snprintf(db, sizeof(db), "/tmp/test-replay-%d.db", (int)getpid());
	test_remove_database(db);
	sim_options_default(&o);
	o.seed = 18;
	o.run_minutes = 2;
	assert_int_equal(replay_simulate_to_file(&o, cap, NULL, NULL, why, sizeof(why)), 0);
	assert_int_equal(replay_open(cap, &r, why, sizeof(why)), 0);
	assert_int_equal(store_open(db, STORE_READ_WRITE, &store, why, sizeof(why)), 0);
	ingest_config_default(&config);
	config.source = "test";
	struct ingest *in = ingest_new(store, &config);

	assert_true(replay_peek_time(r, &t0));
	/* Into the run by a minute of capture time, then "crash". */
	while (replay_peek_time(r, &t) && t < t0 + 60 * US_PER_S && fed < 100000) {
		assert_int_equal(replay_feed(r, in, 1), 1);
		fed_us[fed++] = t;
	}
	for (long long i = 0; i < fed; i++)
		fed_second_ago += fed_us[i] < fed_us[fed - 1] - US_PER_S;
	long long runs = committed(db, "SELECT count(*) FROM runs");
	long long ntf = committed(db, "SELECT count(*) FROM notifications");
	printf("fed %lld notifications, %lld of them over a second ago; committed: %lld runs, "
	       "%lld notifications\n",
	       fed, fed_second_ago, runs, ntf);
	assert_int_equal(runs, 1);
	assert_true(ntf >= fed_second_ago && ntf <= fed);

	ingest_free(in);
	store_close(store);
	replay_free(r);
	test_remove_database(db);
	unlink(cap);
}

/* Issue 17.8: an open run names its capture file from the start, so a
 * run killed mid-way leaves no capture that no run references. */
static void test_open_run_names_its_capture(void **state)
{
	(void)state;
	char cap[64], db[64], dir[64], why[512], sql[256];
	struct sim_options o;
	struct ingest_config config;
	struct store *store;
	struct replay *r;
	int64_t t0, t;

	snprintf(cap, sizeof(cap), "/tmp/test-replay-cap-%d.btsnoop", (int)getpid());
	snprintf(db, sizeof(db), "/tmp/test-replay-cap-%d.db", (int)getpid());
	snprintf(dir, sizeof(dir), "/tmp/test-replay-dir-%d", (int)getpid());
	test_remove_database(db);
	sim_options_default(&o);
	o.seed = 17;
	o.run_minutes = 2;
	assert_int_equal(replay_simulate_to_file(&o, cap, NULL, NULL, why, sizeof(why)), 0);
	assert_int_equal(replay_open(cap, &r, why, sizeof(why)), 0);
	assert_int_equal(store_open(db, STORE_READ_WRITE, &store, why, sizeof(why)), 0);
	ingest_config_default(&config);
	config.source = "test";
	config.capture_dir = dir;
	struct ingest *in = ingest_new(store, &config);

	assert_true(replay_peek_time(r, &t0));
	while (replay_peek_time(r, &t) && t < t0 + 60 * US_PER_S)
		assert_int_equal(replay_feed(r, in, 1), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE end_us IS NULL");
	assert_int_equal(committed(db, sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM runs WHERE capture_path LIKE '%s/run-000001-%%.btsnoop'",
		 dir);
	assert_int_equal(committed(db, sql), 1);

	ingest_free(in);
	store_close(store);
	replay_free(r);
	test_remove_database(db);
	unlink(cap);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_replay_commits_by_data_time),
		cmocka_unit_test(test_open_run_names_its_capture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
