// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The writer lock (store/writer_lock.h): one holder at a time, the holder's
 * pid for the refusal, free again when released or when the holder dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/writer_lock.h"
#include "test_files.h"

struct fixture {
	char dir[64];
	char db[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/hamstride-lock-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/h.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char lock[160];
	snprintf(lock, sizeof(lock), "%s.lock", f->db);
	unlink(lock);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void one_holder_at_a_time(void **state)
{
	struct fixture *f = *state;
	char why[512];
	pid_t holder = -1;
	int fd = writer_lock_take(f->db, &holder, why, sizeof(why));
	assert_true(fd >= 0);
	/* flock(2) locks belong to the open file: a second open conflicts
	 * even in the same process, as a second daemon's would. */
	assert_int_equal(writer_lock_take(f->db, &holder, why, sizeof(why)), -EWOULDBLOCK);
	assert_int_equal(holder, getpid());
	char want[64];
	snprintf(want, sizeof(want), "another hamstrided (pid %ld)", (long)getpid());
	assert_non_null(strstr(why, want));
	assert_non_null(strstr(why, "--db"));
	writer_lock_release(fd);
	fd = writer_lock_take(f->db, &holder, why, sizeof(why));
	assert_true(fd >= 0);
	writer_lock_release(fd);
}

static void the_lock_file_is_private(void **state)
{
	struct fixture *f = *state;
	char why[512], lock[160];
	pid_t holder;
	mode_t old = umask(022);
	int fd = writer_lock_take(f->db, &holder, why, sizeof(why));
	umask(old);
	assert_true(fd >= 0);
	snprintf(lock, sizeof(lock), "%s.lock", f->db);
	assert_int_equal(test_file_mode(lock), 0600);
	writer_lock_release(fd);
}

/* A holder killed with SIGKILL leaves the file but not the lock. */
static void a_killed_holder_frees_it(void **state)
{
	struct fixture *f = *state;
	char why[512];
	pid_t holder;
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int fd = writer_lock_take(f->db, &holder, why, sizeof(why));
		char ok = fd >= 0 ? 'y' : 'n';
		if (write(ready[1], &ok, 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	char ok = 0;
	assert_int_equal(read(ready[0], &ok, 1), 1);
	assert_int_equal(ok, 'y');
	assert_int_equal(writer_lock_take(f->db, &holder, why, sizeof(why)), -EWOULDBLOCK);
	assert_int_equal(holder, child);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	int fd = writer_lock_take(f->db, &holder, why, sizeof(why));
	assert_true(fd >= 0);
	writer_lock_release(fd);
	close(ready[0]);
	close(ready[1]);
}

static void a_folder_it_cannot_write(void **state)
{
	(void)state;
	char why[512];
	pid_t holder;
	int fd = writer_lock_take("/proc/hamstride-no-such/h.db", &holder, why, sizeof(why));
	assert_true(fd < 0 && fd != -EWOULDBLOCK);
	assert_non_null(strstr(why, "/proc/hamstride-no-such/h.db.lock"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(one_holder_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(the_lock_file_is_private, setup, teardown),
		cmocka_unit_test_setup_teardown(a_killed_holder_frees_it, setup, teardown),
		cmocka_unit_test(a_folder_it_cannot_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
