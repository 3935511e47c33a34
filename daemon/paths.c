// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSTEM_DATABASE "/var/lib/hamstride/hamstride.db"

const char *paths_default_database(char *buf, size_t size)
{
	const char *env = getenv("HAMSTRIDE_DB");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;

	if (env && *env)
		n = snprintf(buf, size, "%s", env);
	else if (access(SYSTEM_DATABASE, F_OK) == 0)
		n = snprintf(buf, size, "%s", SYSTEM_DATABASE);
	else if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/hamstride/hamstride.db", xdg);
	else if (home && *home == '/')
		n = snprintf(buf, size, "%s/.local/share/hamstride/hamstride.db", home);
	else
		return NULL;
	return n > 0 && (size_t)n < size ? buf : NULL;
}

int paths_make_parent(const char *path)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, paths_dir_mode()) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, paths_dir_mode()) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static mode_t current_umask(void)
{
	/* umask() cannot be read without being set: put it straight back. */
	mode_t mask = umask(077);
	umask(mask);
	return mask;
}

/* A umask that shuts others out but lets the group read says the
 * files are meant for a group (the service's UMask=0027). */
static bool group_may_read(mode_t mask)
{
	return (mask & 007) == 007 && (mask & 040) == 0;
}

mode_t paths_file_mode(void)
{
	mode_t mask = current_umask();
	return (group_may_read(mask) ? 0640 : 0600) & ~mask;
}

mode_t paths_dir_mode(void)
{
	mode_t mask = current_umask();
	return (group_may_read(mask) ? 0750 : 0700) & ~mask;
}

/* Takes away what mode does not grant; never adds. */
static int narrow_fd(int fd, mode_t mode)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0777 & ~mode) == 0)
		return 0;
	return fchmod(fd, st.st_mode & 0777 & mode) < 0 ? -errno : 0;
}

int paths_create_file(const char *path, int extra)
{
	mode_t mode = paths_file_mode();
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | extra, mode);
	if (fd < 0)
		return -errno;
	int err = narrow_fd(fd, mode);
	if (err < 0) {
		close(fd);
		return err;
	}
	return fd;
}

int paths_create_temp(char *template_path)
{
	int fd = mkstemp(template_path); /* 0600, O_EXCL */
	if (fd < 0)
		return -errno;
	if (fchmod(fd, paths_file_mode()) < 0) {
		int err = -errno;
		close(fd);
		unlink(template_path);
		return err;
	}
	return fd;
}

int paths_tighten(const char *path, mode_t *old_mode, mode_t *new_mode)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	mode_t want = st.st_mode & 0777 & paths_file_mode();
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || want == (st.st_mode & 0777))
		return 0;
	if (chmod(path, want) < 0)
		return -errno;
	*old_mode = st.st_mode & 0777;
	*new_mode = want;
	return 1;
}
