/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pain log (schema 006): the runner's reports, each entry a list of
 * versions (an edit adds one, a removal adds one marked removed; nothing is
 * overwritten), and the daily context (sitting, back stiffness). The store
 * checks what its schema can; the CLI checks the rest (a span inside its
 * run, a date not in the future) before it writes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define PAIN_MAX_SPANS 8
#define PAIN_MAX_FLAGS 7
#define PAIN_UNKNOWN (-1) /* a score not given */

struct store_pain_span {
	double from_s, to_s; /* elapsed from the run's start */
};

struct store_pain {
	int64_t version_id;  /* set by the store */
	int64_t entry_id;    /* set by store_pain_add */
	int version;         /* 1, 2, ... */
	int64_t recorded_us; /* when this version was written */
	bool removed;
	int64_t run_id;                  /* 0: a day without a run */
	char day[11];                    /* YYYY-MM-DD */
	char side[8];                    /* left, right, both */
	int during, after, next_morning; /* 0..10 or PAIN_UNKNOWN */
	char location[128];
	char note[256];
	size_t n_spans;
	struct store_pain_span spans[PAIN_MAX_SPANS];
	size_t n_flags;
	char flags[PAIN_MAX_FLAGS][24]; /* night-pain, numbness, ... */
};

/* The red flags the schema accepts, NULL-terminated. */
extern const char *const store_pain_red_flags[];
bool store_pain_is_red_flag(const char *name);

/* A new entry (version 1); p->entry_id, version_id and version are set. */
int store_pain_add(struct store *s, struct store_pain *p);
/* A new version of entry p->entry_id with p's contents; -ENOENT if there
 * is no such entry or it was removed. */
int store_pain_edit(struct store *s, struct store_pain *p);
/* A version marking the entry removed; -ENOENT as for edit. */
int store_pain_remove(struct store *s, int64_t entry_id, int64_t now_us);
/* The entry's latest version (removed or not); -ENOENT if none. */
int store_pain_get(struct store *s, int64_t entry_id, struct store_pain *out);

typedef int (*store_pain_fn)(void *user, const struct store_pain *p);
/* Current: each entry's latest version, removed ones left out, by day then
 * entry. History: every version of every entry, by entry then version. */
int store_foreach_pain(struct store *s, bool history, store_pain_fn fn, void *user);
/* How many red flags any version ever logged (a flag once reported keeps
 * the warning up); *first_day (11 bytes, may be NULL) the earliest day. */
int store_pain_red_flag_count(struct store *s, size_t *count, char *first_day);

struct store_day {
	char day[11];
	int64_t recorded_us;
	double sitting_hours; /* NAN if not given */
	int back_stiffness;   /* 0..10 or PAIN_UNKNOWN */
};
int store_day_set(struct store *s, const struct store_day *d);
typedef int (*store_day_fn)(void *user, const struct store_day *d);
/* The latest context of each day, by day. */
int store_foreach_day(struct store *s, store_day_fn fn, void *user);
