/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Removes a test's database with its -wal and -shm files (SQLite's WAL
 * mode leaves them beside it), or a capture: a missing file is no error. */
void test_remove_database(const char *path);
