// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one event loop: signals through signalfd, a 1-s timerfd that commits
 * the store and lets runs time out, and the source. A capture replayed as
 * fast as possible is fed in batches between polls, so signals are still
 * seen; one replayed at recorded speed is paced by a second timerfd. Live
 * sensors (ble_source.h) add their sockets, a raw HCI socket for the
 * controller's answers to connection-parameter requests, and a timerfd at
 * the source's next deadline; nothing here waits on a socket.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ble/ble_link.h"
#include "daemon.h"
#include "log.h"

#define BATCH 4096
#define US_PER_S INT64_C(1000000)

enum { SOURCE_SIGNAL, SOURCE_TICK, SOURCE_PACE, SOURCE_BLE_TIMER, SOURCE_BLE, SOURCE_HCI };

struct loop {
	struct daemon *d;
	int epfd, sigfd, tickfd, pacefd, bletimerfd, hcifd;
	bool adapter_missing; /* said so once */
	bool ble_due;
	bool done;
	bool source_ended;
	bool pacing_started;
	int64_t pace_mono_us;    /* monotonic time when pacing started */
	int64_t pace_capture_us; /* the capture's time then */
	int64_t replayed;
};

static int64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

static int64_t utc_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

/* The tag in the low half, the descriptor in the high half. */
static uint64_t event_data(int fd, uint32_t tag)
{
	return (uint64_t)(uint32_t)fd << 32 | tag;
}

static int watch(struct loop *l, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = event_data(fd, tag) };
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
	l->bletimerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->epfd < 0 || l->sigfd < 0 || l->tickfd < 0 || l->pacefd < 0 || l->bletimerfd < 0 ||
	    timerfd_settime(l->tickfd, 0, &every_second, NULL) < 0)
		return -errno;
	int err = watch(l, l->sigfd, SOURCE_SIGNAL);
	if (!err)
		err = watch(l, l->tickfd, SOURCE_TICK);
	if (!err)
		err = watch(l, l->pacefd, SOURCE_PACE);
	if (!err)
		err = watch(l, l->bletimerfd, SOURCE_BLE_TIMER);
	return err;
}

static void teardown(struct loop *l)
{
	int fds[] = { l->hcifd, l->bletimerfd, l->pacefd, l->tickfd, l->sigfd, l->epfd };
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

/* The capture's time now, at speed times recorded speed. */
static int64_t paced_capture_us(const struct loop *l, int64_t mono_us)
{
	return l->pace_capture_us + llround((double)(mono_us - l->pace_mono_us) * l->d->speed);
}

/* When a notification at capture time t_us is due, in monotonic time. A
 * capture whose time goes back is fed at once. */
static int64_t paced_due_us(const struct loop *l, int64_t t_us)
{
	return l->pace_mono_us + llround((double)(t_us - l->pace_capture_us) / l->d->speed);
}

/* Feeds what is due at the pace (speed times recorded speed) and arms the
 * timer for the next. */
static void pace(struct loop *l)
{
	int64_t next_us, now = monotonic_us();
	while (!l->source_ended && replay_peek_time(l->d->replay, &next_us)) {
		if (!l->pacing_started) {
			l->pacing_started = true;
			l->pace_mono_us = now;
			l->pace_capture_us = next_us;
		}
		int64_t due = paced_due_us(l, next_us);
		if (due > now) {
			struct itimerspec at = { .it_value = { due / US_PER_S,
							       (due % US_PER_S) * 1000 } };
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
			if (l->d->ble)
				daemon_load_sensors(l->d);
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
	/* Paced, time also passes between notifications. */
	if (l->d->speed > 0 && l->pacing_started)
		ingest_tick(l->d->ingest, paced_capture_us(l, monotonic_us()));
	else if (l->d->ble)
		ingest_tick(l->d->ingest, utc_us());
	if (!ingest_holds_run(l->d->ingest))
		store_flush(l->d->store);
}

/* --- live sensors: the kernel side of struct ble_io -------------------- */

static int live_open(void *ctx, const struct ble_sensor *sensor)
{
	struct loop *l = ctx;
	uint8_t adapter[BLE_LINK_ADDR_LEN];
	int err = ble_link_adapter_address(l->d->adapter_id, adapter);
	if (err < 0) {
		if (!l->adapter_missing)
			log_error("Bluetooth adapter %s: %s; waiting for it (is Bluetooth on, "
				  "and is this kernel built with it?)",
				  l->d->config.adapter,
				  err == -ENODEV ? "not found" : strerror(-err));
		l->adapter_missing = true;
		return err;
	}
	if (l->adapter_missing)
		log_notice("Bluetooth adapter %s is back", l->d->config.adapter);
	l->adapter_missing = false;
	return ble_link_open(adapter, sensor->addr, sensor->addr_type);
}

static int live_connect_result(void *ctx, int fd)
{
	(void)ctx;
	return ble_link_connect_result(fd);
}

static int live_rx_mtu(void *ctx, int fd)
{
	(void)ctx;
	return ble_link_rx_mtu(fd);
}

/* The HCI socket opens on first use and stays: it only carries the
 * answers to our own requests (and LE events we skip). */
static int live_request_conn_params(void *ctx, int fd, const struct ble_link_conn_params *p,
				    uint16_t *hci_handle)
{
	struct loop *l = ctx;
	int err = ble_link_hci_handle(fd, hci_handle);
	if (err < 0)
		return err;
	if (l->hcifd < 0) {
		int hcifd = ble_link_hci_open(l->d->adapter_id);
		if (hcifd < 0)
			return hcifd;
		err = watch(l, hcifd, SOURCE_HCI);
		if (err < 0) {
			close(hcifd);
			return err;
		}
		l->hcifd = hcifd;
	}
	return ble_link_hci_send_conn_update(l->hcifd, *hci_handle, p);
}

static void live_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

static int live_watch(void *ctx, int fd, unsigned events)
{
	struct loop *l = ctx;
	if (!events)
		return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
	struct epoll_event ev = {
		.events = (events & BLE_EV_READ ? EPOLLIN : 0) |
			  (events & BLE_EV_WRITE ? EPOLLOUT : 0),
		.data.u64 = event_data(fd, SOURCE_BLE),
	};
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	return errno == ENOENT && epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

static int64_t live_monotonic_us(void *ctx)
{
	(void)ctx;
	return monotonic_us();
}

static int64_t live_utc_us(void *ctx)
{
	(void)ctx;
	return utc_us();
}

static void on_hci(struct loop *l)
{
	uint8_t buf[260];
	ssize_t n;
	while ((n = read(l->hcifd, buf, sizeof(buf))) > 0) {
		struct ble_link_hci_event ev;
		if (!ble_link_hci_parse_event(buf, (size_t)n, &ev))
			continue;
		if (ev.type == BLE_LINK_HCI_CONN_UPDATE_COMPLETE)
			ble_source_conn_update_done(l->d->ble, ev.handle, ev.status, ev.interval);
		else if (ev.status)
			log_warning("adapter %s refused a connection update (HCI status 0x%02x)",
				    l->d->config.adapter, ev.status);
	}
}

static void on_ble(struct loop *l, int fd, uint32_t events)
{
	unsigned ev = (events & EPOLLIN ? BLE_EV_READ : 0) |
		      (events & EPOLLOUT ? BLE_EV_WRITE : 0) |
		      (events & (EPOLLERR | EPOLLHUP) ? BLE_EV_ERROR : 0);
	ble_source_handle(l->d->ble, fd, ev);
}

/* Arms the timer at the source's next deadline (a time in the past fires
 * at once; zero would disarm it). */
static void arm_ble_timer(struct loop *l)
{
	int64_t due = ble_source_next_deadline_us(l->d->ble);
	struct itimerspec at = { 0 };
	if (due != INT64_MAX) {
		if (due < 1)
			due = 1;
		at.it_value = (struct timespec){ due / US_PER_S, (due % US_PER_S) * 1000 };
	}
	timerfd_settime(l->bletimerfd, TFD_TIMER_ABSTIME, &at, NULL);
}

static void start_live(struct loop *l)
{
	const struct ble_io io = {
		.open = live_open,
		.connect_result = live_connect_result,
		.rx_mtu = live_rx_mtu,
		.request_conn_params = live_request_conn_params,
		.close = live_close,
		.watch = live_watch,
		.monotonic_us = live_monotonic_us,
		.utc_us = live_utc_us,
		.ctx = l,
	};
	l->d->ble = ble_source_new(l->d->ingest, &io);
	log_notice("listening for sensors on %s", l->d->config.adapter);
	daemon_load_sensors(l->d);
	ble_source_process_timeouts(l->d->ble);
}

static void dispatch(struct loop *l, uint64_t data, uint32_t events)
{
	uint64_t expirations;
	int fd = (int)(data >> 32);
	switch ((uint32_t)data) {
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
	case SOURCE_BLE_TIMER:
		/* After the batch's other events: a connect opened now could reuse
		 * the number of a descriptor with an event still in the batch. */
		l->ble_due = read(l->bletimerfd, &expirations, sizeof(expirations)) >= 0;
		break;
	case SOURCE_BLE:
		if (l->d->ble)
			on_ble(l, fd, events);
		break;
	case SOURCE_HCI:
		on_hci(l);
		break;
	}
}

int loop_run(struct daemon *d)
{
	struct loop l = { .d = d,
			  .epfd = -1,
			  .sigfd = -1,
			  .tickfd = -1,
			  .pacefd = -1,
			  .bletimerfd = -1,
			  .hcifd = -1 };
	struct epoll_event events[16];
	int err = setup(&l);
	if (err < 0) {
		log_error("cannot set up the event loop: %s", strerror(-err));
		teardown(&l);
		return 1;
	}
	if (!d->replay)
		start_live(&l);
	else if (d->speed > 0)
		pace(&l);
	while (!l.done) {
		bool busy = d->replay && d->speed <= 0 && !l.source_ended;
		if (d->ble)
			arm_ble_timer(&l);
		int n = epoll_wait(l.epfd, events, 16, busy ? 0 : -1);
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n && !l.done; i++)
			dispatch(&l, events[i].data.u64, events[i].events);
		if (l.ble_due && d->ble && !l.done)
			ble_source_process_timeouts(d->ble);
		l.ble_due = false;
		if (busy && !l.done)
			feed(&l, BATCH);
	}
	/* Closes the links while the loop's descriptors are still open. */
	ble_source_free(d->ble);
	d->ble = NULL;
	teardown(&l);
	return d->exit_code;
}
