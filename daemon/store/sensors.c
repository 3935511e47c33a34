// SPDX-License-Identifier: GPL-2.0-or-later
/* The sensors table: the runner's sensors and when each was heard. */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_internal.h"

#define SENSOR_COLUMNS                                                               \
	"id, address, address_type, role, name, cadence_convention, first_seen_us, " \
	"last_seen_us, added_us"

/* While the disk is full: the id of the sensor stored, or for a new one
 * the id it will have, handed out now and held with its row. */
static int held_sensor(struct store *s, const char *addr, uint8_t addr_type, int64_t seen_us,
		       int64_t *sensor_id)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s, "SELECT id FROM sensors WHERE address = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sqlite_failure(s, rc, "reading a sensor");
	if (id) {
		*sensor_id = id;
		return store_sensor_seen(s, id, seen_us);
	}
	err = store_held_id(s, STORE_ID_SENSOR, &id);
	st = err ? NULL : store_write_stmt(s, STMT_SENSOR_NEW_ID, &err);
	if (!st)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, addr_type);
	sqlite3_bind_int64(st, 3, seen_us);
	sqlite3_bind_int64(st, 4, id);
	err = store_step_write(s, st, "recording a sensor");
	if (err == 0)
		*sensor_id = id;
	return err;
}

int store_sensor(struct store *s, const char *addr, uint8_t addr_type, int64_t seen_us,
		 int64_t *sensor_id)
{
	int err;
	if (store_holding(s))
		return held_sensor(s, addr, addr_type, seen_us, sensor_id);
	sqlite3_stmt *st = store_write_stmt(s, STMT_SENSOR, &err);
	if (!st)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, addr_type);
	sqlite3_bind_int64(st, 3, seen_us);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*sensor_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : store_write_failure(s, rc, "recording a sensor");
}

int store_sensor_seen(struct store *s, int64_t sensor_id, int64_t seen_us)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_SENSOR_SEEN, &err);
	if (!st)
		return err;
	sqlite3_bind_int64(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, seen_us);
	err = store_step_write(s, st, "recording when a sensor was seen");
	/* Held for a full disk, it has changed nothing yet. */
	if (err == 0 && !store_holding(s) && sqlite3_changes(s->db) == 0)
		return store_set_error(s, -ENOENT, "database %s: no sensor %lld", s->path,
				       (long long)sensor_id);
	return err;
}

int store_sensor_set_convention(struct store *s, int64_t sensor_id, const char *convention)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_SENSOR_CONVENTION, &err);
	if (!st)
		return err;
	store_bind_text(st, 1, convention);
	sqlite3_bind_int64(st, 2, sensor_id);
	err = store_step_write(s, st, "setting a sensor's cadence convention");
	/* Held for a full disk, it has changed nothing yet. */
	if (err == 0 && !store_holding(s) && sqlite3_changes(s->db) == 0)
		return store_set_error(s, -ENOENT, "database %s: no sensor %lld", s->path,
				       (long long)sensor_id);
	return err;
}

int store_sensor_add(struct store *s, const char *addr, uint8_t addr_type, const char *role,
		     const char *name, int64_t now_us, int64_t *sensor_id)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_SENSOR_ADD, &err);
	if (!st)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, addr_type);
	store_bind_text(st, 3, role);
	store_bind_text(st, 4, name);
	sqlite3_bind_int64(st, 5, now_us);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sensor_id)
		*sensor_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : store_write_failure(s, rc, "adding a sensor");
}

int store_sensor_remove(struct store *s, const char *addr)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_SENSOR_REMOVE, &err);
	if (!st)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	err = store_step_write(s, st, "removing a sensor");
	if (err == 0 && sqlite3_changes(s->db) == 0)
		return store_set_error(s, -ENOENT, "no sensor %s was added", addr);
	return err;
}

static void read_sensor(sqlite3_stmt *st, struct store_sensor_info *x)
{
	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(st, 0);
	store_column_text(st, 1, x->address, sizeof(x->address));
	x->address_type = (uint8_t)sqlite3_column_int(st, 2);
	store_column_text(st, 3, x->role, sizeof(x->role));
	store_column_text(st, 4, x->name, sizeof(x->name));
	store_column_text(st, 5, x->cadence_convention, sizeof(x->cadence_convention));
	x->first_seen_us = sqlite3_column_int64(st, 6);
	x->last_seen_us = sqlite3_column_int64(st, 7);
	x->added_us = sqlite3_column_int64(st, 8); /* NULL reads as 0 */
	if (x->added_us && x->first_seen_us == x->added_us && x->last_seen_us == x->added_us)
		x->first_seen_us = x->last_seen_us = 0; /* never heard: see NEVER_HEARD */
}

int store_get_sensor(struct store *s, const char *addr, struct store_sensor_info *out)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s, "SELECT " SENSOR_COLUMNS " FROM sensors WHERE address = ?",
				      &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_sensor(st, out);
	else if (rc == SQLITE_DONE)
		err = store_set_error(s, -ENOENT, "no sensor %s", addr);
	else
		err = store_sqlite_failure(s, rc, "reading a sensor");
	sqlite3_finalize(st);
	return err;
}

int store_foreach_sensor(struct store *s, bool added_only, store_sensor_fn fn, void *user)
{
	static const char *const sql[2] = {
		"SELECT " SENSOR_COLUMNS " FROM sensors ORDER BY role IS NULL, role, address",
		"SELECT " SENSOR_COLUMNS " FROM sensors WHERE added_us IS NOT NULL "
		"ORDER BY role, address",
	};
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s, sql[added_only], &st);
	if (err)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_sensor_info sensor;
		read_sensor(st, &sensor);
		err = fn(user, &sensor);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading sensors");
	sqlite3_finalize(st);
	return err;
}

int store_copy_sensors(struct store *s, const char *other_path)
{
	sqlite3_stmt *st;
	int err = store_flush(s);
	if (!err)
		err = store_prepare_fresh(s, "ATTACH DATABASE ? AS other", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, other_path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sqlite_failure(s, rc, "opening the other database");
	rc = sqlite3_exec(s->db,
			  "INSERT OR IGNORE INTO main.sensors (address, address_type, role, name, "
			  "cadence_convention, first_seen_us, last_seen_us, added_us) SELECT "
			  "address, address_type, role, name, cadence_convention, first_seen_us, "
			  "last_seen_us, added_us FROM other.sensors WHERE added_us IS NOT NULL",
			  NULL, NULL, NULL);
	err = rc == SQLITE_OK ? 0 : store_sqlite_failure(s, rc, "copying the sensors");
	sqlite3_exec(s->db, "DETACH DATABASE other", NULL, NULL, NULL);
	return err;
}
