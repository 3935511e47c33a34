// SPDX-License-Identifier: GPL-2.0-or-later
/* The pain log in the store: versions, removal, red flags, day context. */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/pain.h"
#include "store/store.h"

#define T0 1795000000000000LL

struct fixture {
	char dir[64], db[128];
	struct store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_pain.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/hamstride.db", f->dir);
	char why[512];
	assert_int_equal(store_open(f->db, STORE_READ_WRITE, &f->s, why, sizeof(why)), 0);
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->s);
	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct store_pain day_entry(const char *day, int morning)
{
	struct store_pain p;
	memset(&p, 0, sizeof(p));
	snprintf(p.day, sizeof(p.day), "%s", day);
	snprintf(p.side, sizeof(p.side), "left");
	p.during = p.after = PAIN_UNKNOWN;
	p.next_morning = morning;
	p.recorded_us = T0;
	return p;
}

static int count_fn(void *user, const struct store_pain *p)
{
	(void)p;
	(*(int *)user)++;
	return 0;
}

static int count(struct store *s, bool history)
{
	int n = 0;
	assert_int_equal(store_foreach_pain(s, history, count_fn, &n), 0);
	return n;
}

static void test_edit_keeps_the_earlier_version(void **state)
{
	struct fixture *f = *state;
	struct store_pain p = day_entry("2026-11-20", 3);
	p.n_spans = 0;
	assert_int_equal(store_pain_add(f->s, &p), 0);
	assert_int_equal(p.version, 1);
	int64_t entry = p.entry_id;
	p.next_morning = 5;
	snprintf(p.note, sizeof(p.note), "stairs");
	p.recorded_us = T0 + 1000;
	assert_int_equal(store_pain_edit(f->s, &p), 0);
	assert_int_equal(p.version, 2);
	assert_int_equal(store_flush(f->s), 0);

	struct store_pain got;
	assert_int_equal(store_pain_get(f->s, entry, &got), 0);
	assert_int_equal(got.version, 2);
	assert_int_equal(got.next_morning, 5);
	assert_string_equal(got.note, "stairs");
	assert_int_equal(count(f->s, false), 1);
	assert_int_equal(count(f->s, true), 2);
}

static void test_remove_is_a_marked_version(void **state)
{
	struct fixture *f = *state;
	struct store_pain p = day_entry("2026-11-20", 3);
	assert_int_equal(store_pain_add(f->s, &p), 0);
	struct store_pain q = day_entry("2026-11-21", 2);
	assert_int_equal(store_pain_add(f->s, &q), 0);
	assert_int_not_equal(p.entry_id, q.entry_id);
	assert_int_equal(store_pain_remove(f->s, p.entry_id, T0 + 5), 0);
	assert_int_equal(count(f->s, false), 1);
	assert_int_equal(count(f->s, true), 3);
	/* A removed entry is neither edited nor removed again. */
	assert_int_equal(store_pain_remove(f->s, p.entry_id, T0 + 6), -ENOENT);
	assert_int_equal(store_pain_edit(f->s, &p), -ENOENT);
	assert_int_equal(store_pain_remove(f->s, 999, T0), -ENOENT);
}

static void test_spans_and_flags_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_pain p = day_entry("2026-11-20", PAIN_UNKNOWN);
	p.during = 4;
	p.after = 6;
	p.n_spans = 2;
	p.spans[0] = (struct store_pain_span){ 300, 480 };
	p.spans[1] = (struct store_pain_span){ 1200, 1500 };
	p.n_flags = 1;
	snprintf(p.flags[0], sizeof(p.flags[0]), "night-pain");
	assert_int_equal(store_pain_add(f->s, &p), 0);
	struct store_pain got;
	assert_int_equal(store_pain_get(f->s, p.entry_id, &got), 0);
	assert_int_equal(got.n_spans, 2);
	assert_float_equal(got.spans[1].to_s, 1500, 1e-9);
	assert_int_equal(got.n_flags, 1);
	assert_string_equal(got.flags[0], "night-pain");
	size_t n;
	char first[11];
	assert_int_equal(store_pain_red_flag_count(f->s, &n, first), 0);
	assert_int_equal(n, 1);
	assert_string_equal(first, "2026-11-20");
	/* Removing the entry does not take the warning down. */
	assert_int_equal(store_pain_remove(f->s, p.entry_id, T0 + 1), 0);
	assert_int_equal(store_pain_red_flag_count(f->s, &n, NULL), 0);
	assert_true(n >= 1);
}

static void test_schema_refuses_bad_scores_and_sides(void **state)
{
	struct fixture *f = *state;
	struct store_pain p = day_entry("2026-11-20", 11);
	assert_true(store_pain_add(f->s, &p) < 0);
	store_discard(f->s);
	p = day_entry("2026-11-20", 2);
	snprintf(p.side, sizeof(p.side), "middle");
	assert_true(store_pain_add(f->s, &p) < 0);
	store_discard(f->s);
	assert_int_equal(count(f->s, true), 0);
}

struct day_seen {
	int n;
	double sitting;
	int stiffness;
};

static int day_fn(void *user, const struct store_day *d)
{
	struct day_seen *s = user;
	s->n++;
	s->sitting = d->sitting_hours;
	s->stiffness = d->back_stiffness;
	return 0;
}

static void test_day_context_latest_counts(void **state)
{
	struct fixture *f = *state;
	struct store_day d = { "2026-11-20", T0, 9, 4 };
	assert_int_equal(store_day_set(f->s, &d), 0);
	d.sitting_hours = 6;
	d.back_stiffness = PAIN_UNKNOWN;
	assert_int_equal(store_day_set(f->s, &d), 0);
	struct day_seen seen = { 0 };
	assert_int_equal(store_foreach_day(f->s, day_fn, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_float_equal(seen.sitting, 6, 1e-9);
	assert_int_equal(seen.stiffness, PAIN_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_edit_keeps_the_earlier_version, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remove_is_a_marked_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spans_and_flags_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_refuses_bad_scores_and_sides, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_day_context_latest_counts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
