// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The store: migrations, refusing files it must not touch, durability of
 * flushed batches across a crash and a failed write, and bounded reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "schema.h"
#include "store/store.h"

#define T0 1795000000000000LL /* 2026-11-18T...Z */
#define S_US 1000000LL

struct fixture {
	char dir[64];
	char db[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* A nested folder: read-write open must create it. */
	snprintf(f->db, sizeof(f->db), "%s/a/b/hamstride.db", f->dir);
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct store *open_rw(const char *path)
{
	struct store *s;
	char why[512];
	int err = store_open(path, STORE_READ_WRITE, &s, why, sizeof(why));
	if (err)
		fail_msg("store_open(%s): %d %s", path, err, why);
	return s;
}

static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void assert_sql_text(const char *path, const char *sql, const char *expected)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), expected);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static size_t read_file(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	size_t n = fread(buf, 1, size, fp);
	fclose(fp);
	return n;
}

static struct store_sample sample_at(int64_t t_us, double distance_m)
{
	return (struct store_sample){ .t_us = t_us,
				      .speed_mps = 3.2,
				      .cadence_spm = 172,
				      .stride_length_m = 2.24,
				      .distance_m = distance_m,
				      .pressure_pa = 101325,
				      .temperature_c = NAN,
				      .elevation_m = -3.5,
				      .heart_rate_bpm = NAN };
}

static void add_notification(struct store *s, int64_t run_id, int64_t sensor_id, int64_t t_us)
{
	static const uint8_t value[] = {
		0x03, 0x2c, 0x03, 0xac, 0xe0, 0x00, 0x10, 0x27, 0x00, 0x00
	};
	struct notification n = { .host_time_us = t_us,
				  .handle = 0x0e,
				  .uuid = gatt_uuid_from16(UUID_RSC_MEASUREMENT),
				  .len = sizeof(value),
				  .value = value };
	assert_int_equal(store_notification(s, run_id, sensor_id, &n), 0);
}

/* A run from start_us of distance_m with n one-second samples. */
static int64_t add_run(struct store *s, int64_t start_us, double distance_m, int n)
{
	int64_t id;
	assert_int_equal(store_run_begin(s, start_us, "simulator", &id), 0);
	for (int i = 0; i < n; i++) {
		struct store_sample x = sample_at(start_us + i * S_US, distance_m * i / n);
		assert_int_equal(store_sample(s, id, &x), 0);
	}
	struct store_run run = { .id = id,
				 .start_us = start_us,
				 .end_us = start_us + n * S_US,
				 .duration_s = n,
				 .distance_m = distance_m,
				 .elevation_gain_m = 12,
				 .elevation_loss_m = 11.5,
				 .speed_mps = distance_m / n,
				 .cadence_spm = 170,
				 .stride_length_m = NAN,
				 .heart_rate_bpm = NAN,
				 .heart_rate_max_bpm = NAN,
				 .notifications = n,
				 .gaps = 1,
				 .gap_s = 2.5,
				 .end_reason = "idle",
				 .source = "simulator" };
	assert_int_equal(store_run_end(s, &run), 0);
	return id;
}

static void test_migrates_from_empty(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	store_close(s);
	int last = schema_migrations[schema_migration_count - 1].version;
	assert_int_equal(sql_int(f->db, "PRAGMA user_version"), last);
	assert_int_equal(sql_int(f->db,
				 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
				 "name IN ('sensors', 'runs', 'samples', 'notifications', 'gaps')"),
			 5);
	assert_sql_text(f->db, "PRAGMA journal_mode", "wal");
}

static void test_reopen_is_idempotent(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t sensor, again;
	assert_int_equal(store_sensor(s, "C4:7C:8D:6A:1B:2E", 1, T0, &sensor), 0);
	add_run(s, T0, 5000, 10);
	store_close(s);
	s = open_rw(f->db);
	assert_int_equal(store_sensor(s, "C4:7C:8D:6A:1B:2E", 1, T0 + S_US, &again), 0);
	assert_int_equal(again, sensor);
	assert_int_equal(store_sensor_set_convention(s, sensor, "strides"), 0);
	store_close(s);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM sensors"), 1);
	assert_int_equal(sql_int(f->db, "SELECT last_seen_us - first_seen_us FROM sensors"), S_US);
	assert_int_equal(sql_int(f->db, "PRAGMA user_version"),
			 schema_migrations[schema_migration_count - 1].version);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	store_close(open_rw(f->db));
	sql_exec(f->db, "PRAGMA user_version = 999");
	struct store *s = NULL;
	char why[512];
	assert_int_equal(store_open(f->db, STORE_READ_WRITE, &s, why, sizeof(why)), -ENOTSUP);
	assert_null(s);
	assert_non_null(strstr(why, f->db));
	assert_non_null(strstr(why, "newer"));
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s, why, sizeof(why)), -ENOTSUP);
	assert_int_equal(sql_int(f->db, "PRAGMA user_version"), 999);
}

/* A file that is not ours fails to open in both modes and is left as it was. */
static void assert_refused_untouched(const char *path, const char *needle)
{
	static char before[1 << 16], after[1 << 16];
	size_t n = read_file(path, before, sizeof(before));
	for (int mode = STORE_READ_ONLY; mode <= STORE_READ_WRITE; mode++) {
		struct store *s = NULL;
		char why[512] = "";
		int err = store_open(path, (enum store_mode)mode, &s, why, sizeof(why));
		assert_true(err < 0);
		assert_null(s);
		assert_non_null(strstr(why, path));
		if (!strstr(why, needle))
			fail_msg("'%s' does not say '%s'", why, needle);
	}
	assert_int_equal(read_file(path, after, sizeof(after)), n);
	assert_memory_equal(before, after, n);
}

static void test_garbage_file_refused_and_kept(void **state)
{
	struct fixture *f = *state;
	char path[160], big[8192];
	snprintf(path, sizeof(path), "%s/notes.txt", f->dir);
	write_file(path, "shopping: eggs, milk\n", 21);
	assert_refused_untouched(path, "not a SQLite database");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	write_file(path, big, sizeof(big));
	assert_refused_untouched(path, "not a SQLite database");
}

static void test_other_programs_database_refused(void **state)
{
	struct fixture *f = *state;
	char path[160];
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	sql_exec(path, "CREATE TABLE contacts (name TEXT)");
	assert_refused_untouched(path, "another program");
}

static void test_corrupt_database_refused_and_kept(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	for (int i = 0; i < 20; i++)
		add_run(s, T0 + i * 86400 * S_US, 5000 + i, 60);
	store_close(s);
	/* Scribble over the headers of B-tree pages 2 to 5; the file header
	 * stays intact, so only a check of the pages finds the damage. */
	int fd = open(f->db, O_WRONLY);
	assert_true(fd >= 0);
	char junk[8];
	memset(junk, 0x5a, sizeof(junk));
	for (int page = 1; page < 5; page++)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), 4096 * page),
				 (ssize_t)sizeof(junk));
	close(fd);
	static char before[1 << 17], after[1 << 17];
	size_t n = read_file(f->db, before, sizeof(before));
	struct store *t = NULL;
	char why[512];
	assert_int_equal(store_open(f->db, STORE_READ_WRITE, &t, why, sizeof(why)), -EUCLEAN);
	assert_non_null(strstr(why, "damaged"));
	assert_non_null(strstr(why, f->db));
	assert_int_equal(read_file(f->db, after, sizeof(after)), n);
	assert_memory_equal(before, after, n);
}

/* The counting callback of store_close_open_runs. */
static int count_closed(void *user, const struct store_run *run)
{
	(void)run;
	++*(int *)user;
	return 0;
}

/*
 * Defect 17.1: a run a kill left open (end_us NULL) is closed at the next
 * start from what it stored. Ground truth, exact: its end is its last
 * notification, its distance the last sample's, its climb the rises of
 * the samples' elevations (0, 2, 5, 4, 1, 3: up 7, down 4), its gaps
 * counted; a finished run before it keeps its summary.
 */
static void test_open_run_closed_from_what_is_stored(void **state)
{
	struct fixture *f = *state;
	static const double elevation_m[] = { 0, 2, 5, 4, 1, 3 };
	struct store *s = open_rw(f->db);
	int64_t sensor, run_id;
	assert_int_equal(store_sensor(s, "C4:7C:8D:6A:1B:2E", 1, T0, &sensor), 0);
	int64_t done = add_run(s, T0 - 86400 * S_US, 4000, 30);
	add_notification(s, done, sensor, T0 - 86400 * S_US);
	assert_int_equal(store_run_begin(s, T0, "ble hci0", &run_id), 0);
	for (int i = 0; i < 6; i++) {
		struct store_sample x = sample_at(T0 + i * S_US, 10.0 * i);
		x.elevation_m = elevation_m[i];
		x.heart_rate_bpm = 140 + i;
		assert_int_equal(store_sample(s, run_id, &x), 0);
		add_notification(s, 0, sensor, T0 + i * S_US + 100); /* outside any run */
		add_notification(s, run_id, sensor, T0 + i * S_US + 500000);
	}
	assert_int_equal(store_gap(s, run_id, sensor, T0 + S_US, T0 + 3 * S_US, NULL), 0);
	assert_int_equal(store_flush(s), 0);
	store_close(s); /* the run is never ended, as after a kill */

	s = open_rw(f->db);
	int closed = 0;
	assert_int_equal(store_close_open_runs(s, "crash", count_closed, &closed), 0);
	assert_int_equal(closed, 1);
	struct store_run r;
	assert_int_equal(store_get_run(s, run_id, &r), 0);
	assert_int_equal(r.end_us, T0 + 5 * S_US + 500000);
	assert_true(fabs(r.duration_s - 5.5) < 1e-9);
	assert_int_equal(r.notifications, 6);
	assert_true(fabs(r.distance_m - 50) < 1e-9);
	assert_true(fabs(r.speed_mps - 50 / 5.5) < 1e-9);
	assert_true(fabs(r.elevation_gain_m - 7) < 1e-9);
	assert_true(fabs(r.elevation_loss_m - 4) < 1e-9);
	assert_true(fabs(r.heart_rate_bpm - 142.5) < 1e-9);
	assert_true(fabs(r.heart_rate_max_bpm - 145) < 1e-9);
	assert_int_equal(r.gaps, 1);
	assert_true(fabs(r.gap_s - 2) < 1e-9);
	assert_string_equal(r.end_reason, "crash");
	assert_string_equal(r.source, "ble hci0");
	assert_int_equal(sql_int(f->db, "SELECT last_notification_id - first_notification_id "
					"FROM runs WHERE end_reason = 'crash'"),
			 10); /* six of its own, five outside runs between them */
	assert_int_equal(store_get_run(s, done, &r), 0);
	assert_string_equal(r.end_reason, "idle");
	closed = 0;
	assert_int_equal(store_close_open_runs(s, "crash", count_closed, &closed), 0);
	assert_int_equal(closed, 0);
	store_close(s);
}

/* Issue 9: a store error keeps its errno for the caller. */
static void test_error_keeps_errno(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	assert_int_equal(store_errno(s), -EIO); /* none yet */
	struct store_run r;
	assert_int_equal(store_get_run(s, 99, &r), -ENOENT);
	assert_int_equal(store_errno(s), -ENOENT);
	store_close(s);
}

static void test_missing_file_read_only(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char why[512];
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, f->db));
	assert_int_equal(access(f->db, F_OK), -1); /* not created */
}

/* Drops root, which would ignore file permissions, in a forked child. */
static void become_nobody(void)
{
	if (geteuid() != 0)
		return;
	struct passwd *pw = getpwnam("nobody");
	uid_t uid = pw ? pw->pw_uid : 65534;
	gid_t gid = pw ? pw->pw_gid : 65534;
	if (setgid(gid) < 0 || setuid(uid) < 0)
		_exit(77);
}

static int read_only_child(const char *path)
{
	become_nobody();
	struct store *s = NULL;
	char why[512];
	int err = store_open(path, STORE_READ_WRITE, &s, why, sizeof(why));
	if (err != -EACCES || s || !strstr(why, path) || !strstr(why, "not writable")) {
		fprintf(stderr, "read-write open of a read-only file: %d %s\n", err, why);
		return 1;
	}
	err = store_open(path, STORE_READ_ONLY, &s, why, sizeof(why));
	if (err) {
		fprintf(stderr, "read-only open: %d %s\n", err, why);
		return 2;
	}
	struct store_run run;
	err = store_get_run(s, 1, &run);
	int64_t id;
	int write_err = store_run_begin(s, T0, "x", &id);
	store_close(s);
	if (err || run.distance_m != 5000 || write_err != -EROFS) {
		fprintf(stderr, "reading a read-only store: %d %d\n", err, write_err);
		return 3;
	}
	return 0;
}

static void test_read_only_file(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	add_run(s, T0, 5000, 10);
	store_close(s);
	char parent[160];
	snprintf(parent, sizeof(parent), "%s/a/b", f->dir);
	char top[160];
	snprintf(top, sizeof(top), "%s/a", f->dir);
	/* The file is read-only, its folder world-writable as /tmp is. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(top, 0755), 0); /* made private (0700) by the store */
	assert_int_equal(chmod(parent, 01777), 0);
	assert_int_equal(chmod(f->db, 0444), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(read_only_child(f->db));
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_read_only_folder(void **state)
{
	struct fixture *f = *state;
	store_close(open_rw(f->db));
	char parent[160];
	snprintf(parent, sizeof(parent), "%s/a/b", f->dir);
	char top[160];
	snprintf(top, sizeof(top), "%s/a", f->dir);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(top, 0755), 0); /* made private (0700) by the store */
	assert_int_equal(chmod(parent, 0755), 0);
	assert_int_equal(chmod(f->db, 0666), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		become_nobody();
		struct store *s = NULL;
		char why[512];
		int err = store_open(f->db, STORE_READ_WRITE, &s, why, sizeof(why));
		if (err != -EACCES || !strstr(why, "folder"))
			fprintf(stderr, "read-only folder: %d %s\n", err, why);
		_exit(err == -EACCES && strstr(why, "folder") ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Still reachable when the child dies, so valgrind does not call it lost. */
static struct store *volatile crashed;

/* The child flushes some rows, writes more and dies without a flush. */
static void crash_child(const char *path)
{
	struct store *s = crashed = open_rw(path);
	int64_t sensor;
	assert_int_equal(store_sensor(s, "C4:7C:8D:6A:1B:2E", 1, T0, &sensor), 0);
	int64_t run = add_run(s, T0, 5000, 100);
	for (int i = 0; i < 500; i++)
		add_notification(s, run, sensor, T0 + i * 1000);
	if (store_flush(s) != 0)
		_exit(1);
	add_run(s, T0 + 86400 * S_US, 7000, 100);
	for (int i = 0; i < 500; i++)
		add_notification(s, run, sensor, T0 + S_US + i * 1000);
	_exit(0);
}

static void test_crash_keeps_flushed_rows(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(f->db);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	struct store *s = open_rw(f->db);
	store_close(s);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM samples"), 100);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM notifications"), 500);
	assert_int_equal(sql_int(f->db,
				 "SELECT count(*) FROM notifications WHERE uuid = '2A53' AND "
				 "length(value) = 10"),
			 500);
}

/* Disk full, simulated with a file-size limit: the batch fails with a
 * message, and what was flushed before is still there. */
static void test_failed_write_keeps_flushed_rows(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s = open_rw(f->db);
		int64_t sensor, run;
		assert_int_equal(store_sensor(s, "C4:7C:8D:6A:1B:2E", 1, T0, &sensor), 0);
		run = add_run(s, T0, 5000, 100);
		if (store_flush(s) != 0)
			_exit(1);
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit limit = { 1 << 20, 1 << 20 };
		setrlimit(RLIMIT_FSIZE, &limit);
		int err = 0;
		for (int i = 0; i < 200000 && !err; i++) {
			struct notification n = { .host_time_us = T0 + i, .len = 0 };
			err = store_notification(s, run, sensor, &n);
			if (!err && i % 1000 == 999)
				err = store_flush(s);
		}
		if (!err)
			err = store_flush(s);
		const char *msg = store_error(s);
		int ok = err < 0 && strstr(msg, f->db) && strstr(msg, "flush");
		if (!ok)
			fprintf(stderr, "failed write: %d %s\n", err, msg);
		store_close(s);
		_exit(ok ? 0 : 2);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	store_close(open_rw(f->db));
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM samples"), 100);
	assert_sql_text(f->db, "PRAGMA quick_check", "ok");
}

struct collected {
	int64_t ids[16];
	int64_t t_us[16];
	int n;
	int stop_after;
};

static int collect_run(void *user, const struct store_run *run)
{
	struct collected *c = user;
	c->ids[c->n] = run->id;
	c->t_us[c->n++] = run->start_us;
	return c->n == c->stop_after ? 42 : 0;
}

static int collect_sample(void *user, int64_t run_id, const struct store_sample *x)
{
	struct collected *c = user;
	c->ids[c->n] = run_id;
	c->t_us[c->n++] = x->t_us;
	return c->n == c->stop_after ? 43 : 0;
}

static void test_foreach_bounds(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t day = 86400 * S_US;
	int64_t a = add_run(s, T0, 5000, 3);
	int64_t b = add_run(s, T0 + day, 6000, 3);
	int64_t c = add_run(s, T0 + 2 * day, 7000, 3);
	assert_int_equal(store_flush(s), 0);

	struct collected got = { 0 };
	assert_int_equal(store_foreach_run(s, INT64_MIN, INT64_MAX, collect_run, &got), 0);
	assert_int_equal(got.n, 3);
	got = (struct collected){ 0 };
	/* from inclusive, to exclusive */
	assert_int_equal(store_foreach_run(s, T0 + day, T0 + 2 * day, collect_run, &got), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.ids[0], b);
	got = (struct collected){ .stop_after = 2 };
	assert_int_equal(store_foreach_run(s, INT64_MIN, INT64_MAX, collect_run, &got), 42);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.ids[1], b);

	got = (struct collected){ 0 };
	assert_int_equal(store_foreach_sample(s, c, INT64_MIN, INT64_MAX, collect_sample, &got), 0);
	assert_int_equal(got.n, 3);
	assert_int_equal(got.t_us[2], T0 + 2 * day + 2 * S_US);
	got = (struct collected){ 0 };
	assert_int_equal(store_foreach_sample(s, 0, T0 + 1, T0 + day + S_US, collect_sample, &got),
			 0);
	assert_int_equal(got.n, 3); /* a's last two, b's first */
	assert_int_equal(got.ids[0], a);
	assert_int_equal(got.ids[2], b);
	got = (struct collected){ .stop_after = 1 };
	assert_int_equal(store_foreach_sample(s, 0, INT64_MIN, INT64_MAX, collect_sample, &got),
			 43);
	store_close(s);
}

static void test_run_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t id = add_run(s, T0, 5000, 10);
	assert_int_equal(store_run_set_capture(s, id, "/var/lib/hamstride/captures/run.btsnoop"),
			 0);
	store_close(s);
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s, NULL, 0), 0);
	struct store_run r;
	assert_int_equal(store_get_run(s, id, &r), 0);
	assert_int_equal(r.start_us, T0);
	assert_int_equal(r.end_us, T0 + 10 * S_US);
	assert_float_equal(r.distance_m, 5000, 1e-9);
	assert_float_equal(r.elevation_loss_m, 11.5, 1e-9);
	assert_true(isnan(r.stride_length_m));
	assert_true(isnan(r.heart_rate_max_bpm));
	assert_int_equal(r.gaps, 1);
	assert_float_equal(r.gap_s, 2.5, 1e-9);
	assert_string_equal(r.end_reason, "idle");
	assert_string_equal(r.source, "simulator");
	assert_string_equal(r.capture_path, "/var/lib/hamstride/captures/run.btsnoop");
	assert_int_equal(store_get_run(s, 999, &r), -ENOENT);
	assert_non_null(strstr(store_error(s), "999"));
	store_close(s);
}

static int collect_stride(void *user, int64_t run_id, const struct store_stride *x)
{
	(void)run_id;
	struct store_stride *out = user;
	while (out->end_us != 0)
		out++;
	*out = *x;
	return 0;
}

/* Both feet come back as one timeline by end time; NAN and empty flags
 * survive the round trip; a stride stored twice is replaced, not doubled. */
static void test_stride_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t id = add_run(s, T0, 5000, 10);
	struct store_stride left = { .foot = "left",
				     .start_us = T0,
				     .end_us = T0 + 700000,
				     .length_m = 2.41,
				     .duration_s = 0.7,
				     .speed_mps = 3.44,
				     .height_change_m = -0.05,
				     .stance_s = 0.21,
				     .clearance_m = NAN };
	struct store_stride right = left;
	snprintf(right.foot, sizeof(right.foot), "right");
	right.start_us = T0 + 350000;
	right.end_us = T0 + 650000; /* ends first */
	snprintf(right.flags, sizeof(right.flags), "gap");
	assert_int_equal(store_stride(s, id, &left), 0);
	assert_int_equal(store_stride(s, id, &right), 0);
	left.length_m = 2.40;
	assert_int_equal(store_stride(s, id, &left), 0);
	store_close(s);

	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s, NULL, 0), 0);
	struct store_stride got[4] = { 0 };
	assert_int_equal(store_foreach_stride(s, id, collect_stride, got), 0);
	assert_string_equal(got[0].foot, "right");
	assert_string_equal(got[0].flags, "gap");
	assert_string_equal(got[1].foot, "left");
	assert_string_equal(got[1].flags, "");
	assert_float_equal(got[1].length_m, 2.40, 1e-12);
	assert_float_equal(got[1].height_change_m, -0.05, 1e-12);
	assert_true(isnan(got[1].clearance_m));
	assert_int_equal(got[1].sensor_id, 0);
	assert_int_equal(got[2].end_us, 0);
	store_close(s);
}

static int collect_sensor(void *user, const struct store_sensor_info *x)
{
	struct store_sensor_info *out = user;
	while (out->id != 0)
		out++;
	*out = *x;
	return 0;
}

/* Adding keeps a sensor already seen in data (its id, so its data stay
 * linked); removing clears the role but keeps the row. */
static void test_sensor_registry(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t seen_id, pod_id, hrm_id;
	assert_int_equal(store_sensor(s, "C4:7C:8D:6A:1B:2E", 1, T0, &seen_id), 0);
	assert_int_equal(store_sensor_add(s, "C4:7C:8D:6A:1B:2E", 1, "footpod", "MilestonePod",
					  T0 + S_US, &pod_id),
			 0);
	assert_int_equal(pod_id, seen_id);
	assert_int_equal(
		store_sensor_add(s, "00:22:D0:11:22:33", 0, "hrm", NULL, T0 + 2 * S_US, &hrm_id),
		0);
	assert_int_equal(store_sensor(s, "AA:BB:CC:DD:EE:FF", 0, T0, &seen_id), 0);
	assert_int_equal(store_flush(s), 0);

	struct store_sensor_info got[4] = { 0 };
	assert_int_equal(store_foreach_sensor(s, true, collect_sensor, got), 0);
	assert_string_equal(got[0].role, "footpod");
	assert_string_equal(got[0].name, "MilestonePod");
	assert_int_equal(got[0].first_seen_us, T0);
	assert_int_equal(got[0].added_us, T0 + S_US);
	assert_string_equal(got[1].role, "hrm");
	assert_string_equal(got[1].name, "");
	assert_int_equal(got[2].id, 0);

	/* A second add keeps the name and the first added time. */
	assert_int_equal(
		store_sensor_add(s, "C4:7C:8D:6A:1B:2E", 1, "imu-left", "", T0 + 9 * S_US, NULL),
		0);
	struct store_sensor_info one;
	assert_int_equal(store_get_sensor(s, "C4:7C:8D:6A:1B:2E", &one), 0);
	assert_string_equal(one.role, "imu-left");
	assert_string_equal(one.name, "MilestonePod");
	assert_int_equal(one.added_us, T0 + S_US);

	assert_int_equal(store_sensor_remove(s, "00:22:D0:11:22:33"), 0);
	assert_int_equal(store_sensor_remove(s, "00:22:D0:11:22:33"), -ENOENT);
	assert_non_null(strstr(store_error(s), "00:22:D0:11:22:33"));
	assert_int_equal(store_get_sensor(s, "00:22:D0:11:22:33", &one), 0);
	assert_int_equal(one.added_us, 0);
	assert_string_equal(one.role, "");
	assert_int_equal(store_get_sensor(s, "01:02:03:04:05:06", &one), -ENOENT);

	memset(got, 0, sizeof(got));
	assert_int_equal(store_foreach_sensor(s, false, collect_sensor, got), 0);
	assert_string_equal(got[0].role, "imu-left");
	assert_true(got[2].id != 0); /* three sensors in all */
	assert_int_equal(got[3].id, 0);
	store_close(s);
}

/* An import that fails half-way leaves the database as it was. */
/* A sensor added reads as never heard; its first data set first and last
 * seen, later data widen them. One seen only in data keeps its first
 * sighting when added. */
static void test_sensor_seen(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	struct store_sensor_info x;
	int64_t id;
	assert_int_equal(store_sensor_add(s, "00:22:D0:11:22:33", 0, "hrm", NULL, T0, &id), 0);
	assert_int_equal(store_get_sensor(s, "00:22:D0:11:22:33", &x), 0);
	assert_int_equal(x.first_seen_us, 0);
	assert_int_equal(x.last_seen_us, 0);
	assert_int_equal(store_sensor(s, "00:22:D0:11:22:33", 0, T0 + 100 * S_US, &id), 0);
	assert_int_equal(store_get_sensor(s, "00:22:D0:11:22:33", &x), 0);
	assert_int_equal(x.first_seen_us, T0 + 100 * S_US);
	assert_int_equal(x.last_seen_us, T0 + 100 * S_US);
	assert_int_equal(store_sensor_seen(s, id, T0 + 160 * S_US), 0);
	assert_int_equal(store_sensor_seen(s, id, T0 + 50 * S_US), 0); /* a replay */
	assert_int_equal(store_sensor_seen(s, id + 100, T0), -ENOENT);
	assert_int_equal(store_get_sensor(s, "00:22:D0:11:22:33", &x), 0);
	assert_int_equal(x.first_seen_us, T0 + 50 * S_US);
	assert_int_equal(x.last_seen_us, T0 + 160 * S_US);
	assert_int_equal(x.added_us, T0);

	assert_int_equal(store_sensor(s, "C4:7C:8D:6A:1B:2E", 1, T0 - 9 * S_US, &id), 0);
	assert_int_equal(store_sensor_add(s, "C4:7C:8D:6A:1B:2E", 1, "footpod", NULL, T0, &id), 0);
	assert_int_equal(store_sensor_seen(s, id, T0 + 5 * S_US), 0);
	assert_int_equal(store_get_sensor(s, "C4:7C:8D:6A:1B:2E", &x), 0);
	assert_int_equal(x.first_seen_us, T0 - 9 * S_US);
	assert_int_equal(x.last_seen_us, T0 + 5 * S_US);
	store_close(s);
}

/* The notifications stored outside runs, as a replay run again finds
 * them: by sensor, time, handle and value, each standing for one. */
static void test_outside_stored(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t pod, other, run;
	assert_int_equal(store_sensor(s, "C4:7C:8D:6A:1B:2E", 1, T0, &pod), 0);
	assert_int_equal(store_sensor(s, "00:22:D0:11:22:33", 0, T0, &other), 0);
	add_notification(s, 0, pod, T0 + 1 * S_US);
	add_notification(s, 0, pod, T0 + 1 * S_US); /* the same, twice */
	add_notification(s, 0, pod, T0 + 2 * S_US);
	assert_int_equal(store_run_begin(s, T0 + 3 * S_US, "simulator", &run), 0);
	add_notification(s, run, pod, T0 + 4 * S_US); /* in a run */
	add_notification(s, 0, pod, T0 + 9 * S_US);   /* outside the times read */
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_outside_load(s, T0, T0 + 5 * S_US), 0);

	static const uint8_t value[] = {
		0x03, 0x2c, 0x03, 0xac, 0xe0, 0x00, 0x10, 0x27, 0x00, 0x00
	};
	uint8_t changed[sizeof(value)];
	memcpy(changed, value, sizeof(value));
	changed[9] = 1;
	struct notification n = { .host_time_us = T0 + 1 * S_US,
				  .handle = 0x0e,
				  .uuid = gatt_uuid_from16(UUID_RSC_MEASUREMENT),
				  .len = sizeof(value),
				  .value = value };
	bool stored;
	/* Twice stored, twice found; a third is new. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_outside_stored(s, pod, &n, &stored), 0);
		assert_int_equal(stored, i < 2);
	}
	struct notification differ[] = { n, n, n, n, n, n };
	differ[0].host_time_us = T0 + 1 * S_US + 1;
	differ[1].handle = 0x10;
	differ[2].value = changed;
	differ[3].len = sizeof(value) - 1;
	differ[4].host_time_us = T0 + 4 * S_US; /* stored in a run */
	differ[5].host_time_us = T0 + 9 * S_US; /* not read */
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		assert_int_equal(store_outside_stored(s, pod, &differ[i], &stored), 0);
		assert_false(stored);
	}
	n.host_time_us = T0 + 2 * S_US;
	assert_int_equal(store_outside_stored(s, other, &n, &stored), 0);
	assert_false(stored); /* another sensor's */
	assert_int_equal(store_outside_stored(s, pod, &n, &stored), 0);
	assert_true(stored);

	/* Nothing read: none is stored. */
	assert_int_equal(store_outside_load(s, 1, 0), 0);
	n.host_time_us = T0 + 1 * S_US;
	assert_int_equal(store_outside_stored(s, pod, &n, &stored), 0);
	assert_false(stored);
	store_close(s);
}

/* A gap widened in place: one row, the new bounds. */
static void test_gap_widen(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t run = add_run(s, T0, 5000, 5), sensor, gap = 0;
	assert_int_equal(store_sensor(s, "C4:7C:8D:6A:1B:2E", 1, T0, &sensor), 0);
	assert_int_equal(store_gap(s, run, sensor, T0 + 10 * S_US, T0 + 20 * S_US, &gap), 0);
	assert_true(gap > 0);
	assert_int_equal(store_gap_widen(s, gap, T0 + 9 * S_US, T0 + 21 * S_US), 0);
	assert_int_equal(store_gap_widen(s, gap + 1, T0, T0 + S_US), -ENOENT);
	assert_int_equal(store_flush(s), 0);
	store_close(s);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM gaps"), 1);
	assert_int_equal(sql_int(f->db, "SELECT end_us - start_us FROM gaps"), 12 * S_US);
}

static void test_discard_drops_unflushed_rows(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t kept = add_run(s, T0, 5000, 10);
	assert_int_equal(store_flush(s), 0);
	int64_t dropped;
	assert_int_equal(store_run_begin(s, T0 + 3600 * S_US, "import x.csv", &dropped), 0);
	struct store_stride x = { .foot = "left", .start_us = T0, .end_us = T0 + 1 };
	assert_int_equal(store_stride(s, dropped, &x), 0);
	store_discard(s);
	store_close(s);
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s, NULL, 0), 0);
	struct store_run r;
	assert_int_equal(store_get_last_run(s, &r), 0);
	assert_int_equal(r.id, kept);
	assert_int_equal(store_get_run(s, dropped, &r), -ENOENT);
	store_close(s);
}

/* A second stored twice (a sensor's late packet) is replaced, not
 * doubled, and the other seconds are kept. */
static void test_sample_replaced(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t run = add_run(s, T0, 5000, 3);
	struct store_sample x = sample_at(T0 + S_US, 1234);
	assert_int_equal(store_sample(s, run, &x), 0);
	assert_int_equal(store_flush(s), 0);
	store_close(s);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM samples"), 3);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM samples WHERE distance_m = 1234"), 1);
}

static void test_bad_reference_keeps_batch(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	int64_t run = add_run(s, T0, 5000, 5);
	struct store_sample x = sample_at(T0, 0);
	assert_int_equal(store_sample(s, 12345, &x), -EINVAL);                  /* no such run */
	assert_int_equal(store_gap(s, run, 777, T0, T0 + S_US, NULL), -EINVAL); /* no such sensor */
	struct store_run missing = { .id = 999, .source = "x" };
	assert_int_equal(store_run_end(s, &missing), -ENOENT);
	assert_int_equal(store_flush(s), 0);
	store_close(s);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM samples"), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrates_from_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_file_refused_and_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_programs_database_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_database_refused_and_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_run_closed_from_what_is_stored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_error_keeps_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_keeps_flushed_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_keeps_flushed_rows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_foreach_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stride_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sensor_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sensor_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_widen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard_drops_unflushed_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_reference_keeps_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_stored, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
