/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Removes a test's database with its -wal and -shm files (SQLite's WAL
 * mode leaves them beside it), or a capture: a missing file is no error. */
void test_remove_database(const char *path);

/* The permission bits of path itself (a link's own, not its target's), or
 * -1 if it cannot be read: compared with the mode a test expects. */
int test_file_mode(const char *path);
