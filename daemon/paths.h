/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

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

/*
 * Health data stay private. New files get 0600 and new folders 0700,
 * unless the umask shuts others out while letting the group read (the
 * service's UMask=0027): then 0640 and 0750, so the members of the
 * hamstride group read what the daemon writes. The umask still applies:
 * it can only narrow these, never widen them.
 */
mode_t paths_file_mode(void);
mode_t paths_dir_mode(void);

/*
 * Opens path for writing, never through a symbolic link (-ELOOP), created
 * with paths_file_mode(). extra is O_EXCL (it must be new) or O_TRUNC (it
 * replaces what is there); an existing file with a looser mode is narrowed
 * to it. Returns the descriptor or a negative errno.
 */
int paths_create_file(const char *path, int extra);

/* mkstemp() with paths_file_mode(): a temporary file beside the one it
 * will be renamed to. The descriptor or a negative errno. */
int paths_create_temp(char *template_path);

/*
 * An existing file of ours that grants more than paths_file_mode() is
 * narrowed to it (a file owned by another user, such as the service's
 * database read by a group member, is left alone). Returns 1 if it was
 * narrowed (*old_mode, *new_mode set), 0 if there was nothing to do or
 * no such file, or a negative errno.
 */
int paths_tighten(const char *path, mode_t *old_mode, mode_t *new_mode);
