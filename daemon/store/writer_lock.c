// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/writer_lock.h"

#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

bool writer_lock_path(const char *db_path, char *out, size_t size)
{
	int n = snprintf(out, size, "%s.lock", db_path);
	return n > 0 && (size_t)n < size;
}

/* The pid the holder wrote; 0 if there is none to read. */
static pid_t read_holder(int fd)
{
	char text[24];
	ssize_t got = pread(fd, text, sizeof(text) - 1, 0);
	if (got <= 0)
		return 0;
	text[got] = '\0';
	long pid = strtol(text, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

static int write_pid(int fd)
{
	char text[24];
	int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)len, 0) != len)
		return -errno;
	return 0;
}

int writer_lock_take(const char *db_path, pid_t *holder, char *why, size_t why_len)
{
	char path[4200];
	*holder = 0;
	if (!writer_lock_path(db_path, path, sizeof(path))) {
		snprintf(why, why_len, "database path %s is too long for its lock file", db_path);
		return -ENAMETOOLONG;
	}
	/* The lock is taken before the database is created: its folder too. */
	int made = paths_make_parent(db_path);
	if (made < 0) {
		snprintf(why, why_len, "cannot create the folder of the lock file %s: %s", path,
			 strerror(-made));
		return made;
	}
	/* Never follows a link planted where the lock file goes. */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, paths_file_mode());
	if (fd < 0) {
		int err = errno;
		snprintf(why, why_len,
			 "cannot open the lock file %s: %s (check the folder's "
			 "permissions)",
			 path, strerror(err));
		return -err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		if (err == EWOULDBLOCK)
			*holder = read_holder(fd);
		if (err == EWOULDBLOCK && *holder)
			snprintf(why, why_len,
				 "another hamstrided (pid %ld) is recording into %s (it holds %s): "
				 "stop it first (systemctl stop hamstrided), or give this one "
				 "another --db",
				 (long)*holder, db_path, path);
		else if (err == EWOULDBLOCK)
			snprintf(why, why_len,
				 "another hamstrided is recording into %s (it holds %s): stop it "
				 "first (systemctl stop hamstrided), or give this one another --db",
				 db_path, path);
		else
			snprintf(why, why_len, "cannot lock %s: %s", path, strerror(err));
		close(fd);
		return -err;
	}
	int err = write_pid(fd);
	if (err < 0) {
		snprintf(why, why_len, "cannot write the lock file %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

void writer_lock_release(int fd)
{
	if (fd < 0)
		return;
	/* Emptied first, so a reader never sees a pid that is gone. */
	if (ftruncate(fd, 0) < 0) {
		/* the lock goes with the descriptor all the same */
	}
	close(fd);
}
