// SPDX-License-Identifier: GPL-2.0-or-later
/* The pain log and the daily context (schema 006). */
#include "store/pain.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"

const char *const store_pain_red_flags[] = {
	"night-pain",    "numbness", "weakness",     "saddle-numbness",
	"bowel-bladder", "fever",    "sudden-onset", NULL,
};

bool store_pain_is_red_flag(const char *name)
{
	for (size_t i = 0; store_pain_red_flags[i]; i++)
		if (strcmp(name, store_pain_red_flags[i]) == 0)
			return true;
	return false;
}

static void bind_score(sqlite3_stmt *st, int i, int score)
{
	if (score == PAIN_UNKNOWN)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int(st, i, score);
}

static int insert_children(struct store *s, const struct store_pain *p)
{
	sqlite3_stmt *st = NULL;
	int err = 0;
	if (p->n_spans) {
		err = store_prepare_write(
			s, "INSERT INTO pain_spans (version_id, from_s, to_s) VALUES (?, ?, ?)",
			&st, "preparing a pain-log write");
		for (size_t i = 0; i < p->n_spans && !err; i++) {
			sqlite3_bind_int64(st, 1, p->version_id);
			sqlite3_bind_double(st, 2, p->spans[i].from_s);
			sqlite3_bind_double(st, 3, p->spans[i].to_s);
			err = store_step_write(s, st, "storing a span of pain");
		}
		sqlite3_finalize(st);
	}
	if (p->n_flags && !err) {
		err = store_prepare_write(
			s, "INSERT INTO pain_red_flags (version_id, flag) VALUES (?, ?)", &st,
			"preparing a pain-log write");
		for (size_t i = 0; i < p->n_flags && !err; i++) {
			sqlite3_bind_int64(st, 1, p->version_id);
			sqlite3_bind_text(st, 2, p->flags[i], -1, SQLITE_STATIC);
			err = store_step_write(s, st, "storing a red flag");
		}
		sqlite3_finalize(st);
	}
	return err;
}

/* Inserts p as version p->version of p->entry_id (0: a new entry). */
static int insert_version(struct store *s, struct store_pain *p)
{
	sqlite3_stmt *st;
	int err = store_prepare_write(
		s,
		"INSERT INTO pain_versions (entry_id, version, recorded_us, removed, run_id, day, "
		"side, during, after, next_morning, location, note) VALUES "
		"(COALESCE(?, (SELECT COALESCE(MAX(entry_id), 0) + 1 FROM pain_versions)), "
		"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		&st, "preparing a pain-log write");
	if (err)
		return err;
	if (p->entry_id)
		sqlite3_bind_int64(st, 1, p->entry_id);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int(st, 2, p->version);
	sqlite3_bind_int64(st, 3, p->recorded_us);
	sqlite3_bind_int(st, 4, p->removed);
	if (p->run_id)
		sqlite3_bind_int64(st, 5, p->run_id);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_text(st, 6, p->day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, p->side, -1, SQLITE_STATIC);
	bind_score(st, 8, p->during);
	bind_score(st, 9, p->after);
	bind_score(st, 10, p->next_morning);
	store_bind_text(st, 11, p->location);
	store_bind_text(st, 12, p->note);
	err = store_step_write(s, st, "storing a pain report");
	sqlite3_finalize(st);
	if (err)
		return err;
	p->version_id = sqlite3_last_insert_rowid(s->db);
	if (!p->entry_id) {
		err = store_prepare_fresh(s, "SELECT entry_id FROM pain_versions WHERE id = ?",
					  &st);
		if (err)
			return err;
		sqlite3_bind_int64(st, 1, p->version_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			p->entry_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return insert_children(s, p);
}

int store_pain_add(struct store *s, struct store_pain *p)
{
	p->entry_id = 0;
	p->version = 1;
	p->removed = false;
	return insert_version(s, p);
}

#define PAIN_COLUMNS                                                                      \
	"id, entry_id, version, recorded_us, removed, run_id, day, side, during, after, " \
	"next_morning, location, note"

static int column_score(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? PAIN_UNKNOWN : sqlite3_column_int(st, i);
}

static void read_row(sqlite3_stmt *st, struct store_pain *p)
{
	memset(p, 0, sizeof(*p));
	p->version_id = sqlite3_column_int64(st, 0);
	p->entry_id = sqlite3_column_int64(st, 1);
	p->version = sqlite3_column_int(st, 2);
	p->recorded_us = sqlite3_column_int64(st, 3);
	p->removed = sqlite3_column_int(st, 4) != 0;
	p->run_id = sqlite3_column_int64(st, 5);
	store_column_text(st, 6, p->day, sizeof(p->day));
	store_column_text(st, 7, p->side, sizeof(p->side));
	p->during = column_score(st, 8);
	p->after = column_score(st, 9);
	p->next_morning = column_score(st, 10);
	store_column_text(st, 11, p->location, sizeof(p->location));
	store_column_text(st, 12, p->note, sizeof(p->note));
}

/* The version's spans and flags. */
static int read_children(struct store *s, struct store_pain *p)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(
		s, "SELECT from_s, to_s FROM pain_spans WHERE version_id = ? ORDER BY from_s", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, p->version_id);
	while (sqlite3_step(st) == SQLITE_ROW && p->n_spans < PAIN_MAX_SPANS) {
		p->spans[p->n_spans].from_s = sqlite3_column_double(st, 0);
		p->spans[p->n_spans++].to_s = sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	err = store_prepare_fresh(
		s, "SELECT flag FROM pain_red_flags WHERE version_id = ? ORDER BY rowid", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, p->version_id);
	while (sqlite3_step(st) == SQLITE_ROW && p->n_flags < PAIN_MAX_FLAGS)
		store_column_text(st, 0, p->flags[p->n_flags++], sizeof(p->flags[0]));
	sqlite3_finalize(st);
	return 0;
}

int store_pain_get(struct store *s, int64_t entry_id, struct store_pain *out)
{
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	int err =
		store_prepare_fresh(s,
				    "SELECT " PAIN_COLUMNS " FROM pain_versions WHERE entry_id = ? "
				    "ORDER BY version DESC LIMIT 1",
				    &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, entry_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_row(st, out);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? store_set_error(s, -ENOENT, "no pain entry %lld",
							   (long long)entry_id)
					 : store_sqlite_failure(s, rc, "reading a pain entry");
	return read_children(s, out);
}

/* The latest version of a live entry, for a new version to follow. */
static int live_latest(struct store *s, int64_t entry_id, struct store_pain *latest)
{
	int err = store_pain_get(s, entry_id, latest);
	if (err)
		return err;
	if (latest->removed)
		return store_set_error(s, -ENOENT, "pain entry %lld was removed",
				       (long long)entry_id);
	return 0;
}

int store_pain_edit(struct store *s, struct store_pain *p)
{
	struct store_pain latest;
	int err = live_latest(s, p->entry_id, &latest);
	if (err)
		return err;
	p->version = latest.version + 1;
	p->removed = false;
	return insert_version(s, p);
}

int store_pain_remove(struct store *s, int64_t entry_id, int64_t now_us)
{
	struct store_pain p;
	int err = live_latest(s, entry_id, &p);
	if (err)
		return err;
	/* The removal keeps what the entry said, spans and flags too. */
	p.version++;
	p.removed = true;
	p.recorded_us = now_us;
	return insert_version(s, &p);
}

int store_foreach_pain(struct store *s, bool history, store_pain_fn fn, void *user)
{
	static const char *const sql[] = {
		"SELECT " PAIN_COLUMNS " FROM pain_versions v WHERE version = "
		"(SELECT MAX(version) FROM pain_versions w WHERE w.entry_id = v.entry_id) "
		"AND removed = 0 ORDER BY day, entry_id",
		"SELECT " PAIN_COLUMNS " FROM pain_versions ORDER BY entry_id, version",
	};
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s, sql[history], &st);
	if (err)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_pain p;
		read_row(st, &p);
		err = read_children(s, &p);
		if (!err)
			err = fn(user, &p);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading the pain log");
	sqlite3_finalize(st);
	return err;
}

int store_pain_red_flag_count(struct store *s, size_t *count, char *first_day)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s,
				      "SELECT COUNT(*), MIN(v.day) FROM pain_red_flags f "
				      "JOIN pain_versions v ON v.id = f.version_id",
				      &st);
	if (err)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*count = (size_t)sqlite3_column_int64(st, 0);
		if (first_day)
			store_column_text(st, 1, first_day, 11);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_sqlite_failure(s, rc, "counting red flags");
}

int store_day_set(struct store *s, const struct store_day *d)
{
	sqlite3_stmt *st;
	int err = store_prepare_write(s,
				      "INSERT INTO day_context (day, recorded_us, sitting_hours, "
				      "back_stiffness) VALUES (?, ?, ?, ?)",
				      &st, "preparing a pain-log write");
	if (err)
		return err;
	sqlite3_bind_text(st, 1, d->day, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, d->recorded_us);
	store_bind_real(st, 3, d->sitting_hours);
	bind_score(st, 4, d->back_stiffness);
	err = store_step_write(s, st, "storing the day's context");
	sqlite3_finalize(st);
	return err;
}

int store_foreach_day(struct store *s, store_day_fn fn, void *user)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(
		s,
		"SELECT day, recorded_us, sitting_hours, back_stiffness FROM day_context c "
		"WHERE id = (SELECT MAX(id) FROM day_context d WHERE d.day = c.day) ORDER BY day",
		&st);
	if (err)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_day d;
		store_column_text(st, 0, d.day, sizeof(d.day));
		d.recorded_us = sqlite3_column_int64(st, 1);
		d.sitting_hours = store_column_real(st, 2);
		d.back_stiffness = column_score(st, 3);
		err = fn(user, &d);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading the daily context");
	sqlite3_finalize(st);
	return err;
}
