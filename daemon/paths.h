/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/*
 * Where the database lives when neither --db nor the config says:
 * $HAMSTRIDE_DB; else the system service's /var/lib/hamstride/hamstride.db
 * if it exists (so the CLI reads what the daemon writes); else
 * $XDG_DATA_HOME/hamstride/hamstride.db (~/.local/share/...).
 * Returns buf, or NULL if no home directory could be found.
 */
const char *paths_default_database(char *buf, size_t size);

/* Creates the directory that will hold path (mkdir -p of its parent).
 * 0 or a negative errno. */
int paths_make_parent(const char *path);
