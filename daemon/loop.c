// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one event loop: signals through signalfd, a 1-s timerfd that commits
 * the store and lets runs time out, and the source. A capture replayed as
 * fast as possible is fed in batches between polls, so signals are still
 * seen; one replayed at recorded speed is paced by a second timerfd.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define BATCH 4096
#define US_PER_S INT64_C(1000000)

enum { SOURCE_SIGNAL, SOURCE_TICK, SOURCE_PACE };

struct loop {
	struct daemon *d;
	int epfd, sigfd, tickfd, pacefd;
	bool done;
	bool source_ended;
	bool pacing_started;
	int64_t pace_offset_us; /* monotonic time minus capture time */
	int64_t replayed;
};

static int64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

static int watch(struct loop *l, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int setup(struct loop *l)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	struct itimerspec every_second = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	l->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	l->pacefd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->epfd < 0 || l->sigfd < 0 || l->tickfd < 0 || l->pacefd < 0 ||
	    timerfd_settime(l->tickfd, 0, &every_second, NULL) < 0)
		return -errno;
	int err = watch(l, l->sigfd, SOURCE_SIGNAL);
	if (!err)
		err = watch(l, l->tickfd, SOURCE_TICK);
	if (!err)
		err = watch(l, l->pacefd, SOURCE_PACE);
	return err;
}

static void teardown(struct loop *l)
{
	int fds[] = { l->pacefd, l->tickfd, l->sigfd, l->epfd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void source_finished(struct loop *l, const char *reason)
{
	struct ingest_stats st;
	ingest_finish(l->d->ingest, reason);
	ingest_stats(l->d->ingest, &st);
	log_notice("%s: %llu notifications, %llu runs, %llu gaps, %llu malformed, %llu not decoded",
		   reason, (unsigned long long)st.notifications, (unsigned long long)st.runs,
		   (unsigned long long)st.gaps, (unsigned long long)st.malformed,
		   (unsigned long long)st.unknown);
	l->source_ended = true;
	l->done = true;
}

/* A store error is logged by the pipeline and the loop goes on (the disk
 * may come back); a damaged capture ends the replay with what it had. */
static void feed(struct loop *l, size_t max)
{
	int n = replay_feed(l->d->replay, l->d->ingest, max);
	if (n > 0) {
		l->replayed += n;
		return;
	}
	if (n == 0) {
		source_finished(l, "end of replay");
	} else if (replay_damaged(l->d->replay)) {
		log_error("%s; the notifications before it are stored", replay_error(l->d->replay));
		source_finished(l, "damaged capture");
		l->d->exit_code = EX_DATAERR;
	}
}

/* Feeds what is due at recorded speed and arms the timer for the next. */
static void pace(struct loop *l)
{
	int64_t next_us, now = monotonic_us();
	while (!l->source_ended && replay_peek_time(l->d->replay, &next_us)) {
		if (!l->pacing_started) {
			l->pacing_started = true;
			l->pace_offset_us = now - next_us;
		}
		int64_t due = next_us + l->pace_offset_us;
		if (due > now) {
			struct itimerspec at = { .it_value = { due / US_PER_S, (due % US_PER_S) * 1000 } };
			timerfd_settime(l->pacefd, TFD_TIMER_ABSTIME, &at, NULL);
			return;
		}
		feed(l, 1);
	}
	if (!l->source_ended)
		feed(l, 1); /* reports the end or the error */
}

static void on_signal(struct loop *l)
{
	struct signalfd_siginfo si;
	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			daemon_reload(l->d);
			continue;
		}
		log_notice("%s: closing the open run", strsignal((int)si.ssi_signo));
		source_finished(l, "shutdown");
	}
}

static void on_tick(struct loop *l)
{
	uint64_t expirations;
	if (read(l->tickfd, &expirations, sizeof(expirations)) < 0)
		return;
	/* At recorded speed, time also passes between notifications. */
	if (l->d->realtime && l->pacing_started)
		ingest_tick(l->d->ingest, monotonic_us() - l->pace_offset_us);
	store_flush(l->d->store);
}

static void dispatch(struct loop *l, uint32_t tag)
{
	uint64_t expirations;
	switch (tag) {
	case SOURCE_SIGNAL:
		on_signal(l);
		break;
	case SOURCE_TICK:
		on_tick(l);
		break;
	case SOURCE_PACE:
		if (read(l->pacefd, &expirations, sizeof(expirations)) >= 0)
			pace(l);
		break;
	}
}

int loop_run(struct daemon *d)
{
	struct loop l = { .d = d, .epfd = -1, .sigfd = -1, .tickfd = -1, .pacefd = -1 };
	struct epoll_event events[8];
	int err = setup(&l);
	if (err < 0) {
		log_error("cannot set up the event loop: %s", strerror(-err));
		teardown(&l);
		return 1;
	}
	if (d->realtime)
		pace(&l);
	while (!l.done) {
		bool busy = !d->realtime && !l.source_ended;
		int n = epoll_wait(l.epfd, events, 8, busy ? 0 : -1);
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n && !l.done; i++)
			dispatch(&l, events[i].data.u32);
		if (busy && !l.done)
			feed(&l, BATCH);
	}
	teardown(&l);
	return d->exit_code;
}
