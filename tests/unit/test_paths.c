// SPDX-License-Identifier: GPL-2.0-or-later
/* Private files: the modes each umask gives, no symbolic link followed, a
 * loose file narrowed and never widened. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "paths.h"
#include "test_files.h"

struct dir {
	char path[64];
	char file[96];
	mode_t umask_before;
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "/tmp/hamstride-paths-XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	snprintf(d->file, sizeof(d->file), "%s/f", d->path);
	d->umask_before = umask(022);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char link[128];
	snprintf(link, sizeof(link), "%s/link", d->path);
	unlink(d->file);
	unlink(link);
	rmdir(d->path);
	umask(d->umask_before);
	free(d);
	return 0;
}

/* umask, the file mode and the folder mode it gives. */
static const struct {
	mode_t umask, file, dir;
} modes[] = {
	{ 022, 0600, 0700 },                       /* a login's: private */
	{ 002, 0600, 0700 },                       /* others may read: still private */
	{ 077, 0600, 0700 },  { 027, 0640, 0750 }, /* the service's: its group reads */
	{ 007, 0640, 0750 },                       /* never group write */
	{ 047, 0600, 0700 },                       /* the group may not read: it does not */
	{ 0277, 0400, 0500 },                      /* the umask still narrows */
};

static void test_modes_by_umask(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		umask(modes[i].umask);
		assert_int_equal(paths_file_mode(), modes[i].file);
		assert_int_equal(paths_dir_mode(), modes[i].dir);
		assert_int_equal(umask(022), modes[i].umask); /* left as it was */
	}
}

static void test_create_new_and_replace(void **state)
{
	struct dir *d = *state;
	int fd = paths_create_file(d->file, O_EXCL);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(test_file_mode(d->file), 0600);
	assert_int_equal(paths_create_file(d->file, O_EXCL), -EEXIST);
	/* Replacing a file left 0644: narrowed to what a new one gets. */
	assert_int_equal(chmod(d->file, 0644), 0);
	fd = paths_create_file(d->file, O_TRUNC);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(test_file_mode(d->file), 0600);
	/* A narrower one stays as narrow. */
	assert_int_equal(chmod(d->file, 0400), 0);
	fd = paths_create_file(d->file, O_TRUNC);
	if (fd >= 0) /* root writes a 0400 file; nobody else does */
		close(fd);
	assert_int_equal(test_file_mode(d->file), 0400);
}

static void test_no_symbolic_link(void **state)
{
	struct dir *d = *state;
	char link[128];
	snprintf(link, sizeof(link), "%s/link", d->path);
	assert_int_equal(symlink(d->file, link), 0);
	assert_int_equal(paths_create_file(link, O_TRUNC), -ELOOP);
	assert_int_equal(paths_create_file(link, O_EXCL), -EEXIST);
	assert_int_equal(access(d->file, F_OK), -1); /* nothing made where it points */
}

static void test_temp_file(void **state)
{
	struct dir *d = *state;
	char tmp[128];
	umask(027);
	snprintf(tmp, sizeof(tmp), "%s/t.XXXXXX", d->path);
	int fd = paths_create_temp(tmp);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(test_file_mode(tmp), 0640);
	unlink(tmp);
}

static void test_tighten(void **state)
{
	struct dir *d = *state;
	mode_t was = 0, now = 0;
	assert_int_equal(paths_tighten(d->file, &was, &now), 0); /* no such file */
	int fd = paths_create_file(d->file, O_EXCL);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(d->file, 0664), 0);
	assert_int_equal(paths_tighten(d->file, &was, &now), 1);
	assert_int_equal(was, 0664);
	assert_int_equal(now, 0600);
	assert_int_equal(test_file_mode(d->file), 0600);
	assert_int_equal(paths_tighten(d->file, &was, &now), 0); /* said once */
	/* Under the service's umask the group's read is kept, others' taken. */
	umask(027);
	assert_int_equal(chmod(d->file, 0644), 0);
	assert_int_equal(paths_tighten(d->file, &was, &now), 1);
	assert_int_equal(now, 0640);
	/* Never widened: 0600 stays 0600 where 0640 would be allowed. */
	assert_int_equal(chmod(d->file, 0600), 0);
	assert_int_equal(paths_tighten(d->file, &was, &now), 0);
	assert_int_equal(test_file_mode(d->file), 0600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_modes_by_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_new_and_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_symbolic_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temp_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tighten, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
