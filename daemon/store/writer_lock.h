/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One daemon per database. hamstrided holds an flock(2) on "DB.lock" beside
 * the database for as long as it runs. The kernel drops the lock when the
 * process ends, however it ends (SIGKILL, power loss included), so a lock
 * that can be taken means the previous daemon is gone and the runs it left
 * open are safe to close as crashed; a lock that cannot be taken means a
 * live daemon is recording and its open run must be left alone.
 *
 * The CLI's writers (replay, import) take no lock: they store each run in
 * one transaction, so they never leave a run open in the file for anyone
 * to close.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* "DB.lock" for "DB"; false if it does not fit in size. */
bool writer_lock_path(const char *db_path, char *out, size_t size);

/* Takes the lock and writes this process's pid into the file. Returns the
 * open descriptor (keep it open while writing; it is close-on-exec), or
 * -EWOULDBLOCK with *holder set to the holding daemon's pid (0 if it cannot
 * be read), or another negative errno. why names the file and the fix. */
int writer_lock_take(const char *db_path, pid_t *holder, char *why, size_t why_len);

/* Releases the lock (the file stays, empty of a pid). */
void writer_lock_release(int fd);
