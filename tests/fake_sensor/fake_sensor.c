// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake-sensor: a BLE peripheral on a Linux adapter that serves foot pod,
 * heart-rate, barometer, hamstride-IMU or Movesense profiles and streams
 * their notifications (a Movesense's IMU6 once a client subscribes to it
 * through the command characteristic, at the rate it asked for), so the daemon can be tested on real sockets and the real
 * kernel stack (the VM harness in tests/vm/ runs it on an emulated
 * controller).
 *
 * It advertises itself with plain HCI LE commands through libbluetooth
 * rather than leaving it to `btmgmt add-adv`, because it has to stop and
 * restart advertising in the middle of a run (--drop-at) and after every
 * disconnection (an emulated controller reports one advertisement per
 * enable, so a central scanning again needs a fresh enable). The adapter
 * only has to be powered: do not also turn on the kernel's advertising.
 *
 * Run time starts half a second after the central first subscribes and
 * runs at --speed times real time; --drop-at and --down are in run time. A notification due
 * while the link is down or the characteristic is not subscribed is not
 * sent, as with a real sensor out of range; --sent-log lists those sent.
 */
#include "feed.h"
#include "gatt_server.h"
#include "log.h"
#include "profiles.h"
#include "ble/ble_link.h"
#include "ble/gatt_client.h"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/hci_lib.h>
#include <bluetooth/l2cap.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define ATT_CID 4
#define HCI_TIMEOUT_MS 2000
/* Notifications sent back to back before the link's requests are read. */
#define BURST 64
#define MAX_WAIT_MS 200
#define ADV_INTERVAL_UNITS 0x00A0 /* 100 ms in 0.625 ms units */
/* Run time starts this long after the first subscription, so that the
 * client's other subscriptions, which follow within milliseconds, are in
 * place for the first notifications of every characteristic. */
#define START_LEAD_US 500000

struct options {
	const char *adapter;
	unsigned profiles;
	const char *capture;
	double speed;
	double minutes;
	double drop_at_s, down_s; /* run time; down_s 0: no drop */
	const char *sent_log;
	uint64_t seed;
	const char *name;
	const char *test_socket; /* AF_UNIX instead of Bluetooth, for tests */
};

struct counts {
	uint64_t sent, not_linked, not_subscribed, too_big, connections;
};

struct app {
	struct options o;
	struct gatt_server *server;
	struct fake_db db;
	struct feed *feed;
	FILE *sent_log;
	int hci_dd, listen_fd, conn_fd;
	bool advertising, in_drop, started, blocked;
	int64_t start_mono_us;
	struct counts n;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int64_t clock_us(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t run_now_us(const struct app *a)
{
	if (!a->started)
		return 0;
	return llround((double)(clock_us(CLOCK_MONOTONIC) - a->start_mono_us) * a->o.speed);
}

/* ---- command line ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fake-sensor --adapter hciN --profile LIST [OPTIONS]\n"
		"  --adapter hciN      the adapter to be the peripheral on (powered, not advertising)\n"
		"  --profile LIST      footpod, hrm, baro, imu-left, imu-right, movesense or\n"
		"                      treadmill, comma-separated\n"
		"  --capture FILE      play foot pod, heart rate, barometer and treadmill\n"
		"                      notifications from a btsnoop capture (default: simulate\n"
		"                      them with --seed; the simulator makes no treadmill data)\n"
		"  --speed X           run time passes X times faster than real time (default 1)\n"
		"  --minutes M         length of the run (default: the capture, or 10)\n"
		"  --drop-at S --down D  at S seconds of run time drop the link and stop\n"
		"                      advertising for D seconds of run time\n"
		"  --sent-log FILE     one line per notification sent\n"
		"  --seed N            simulation seed (default 1)\n"
		"  --name NAME         device name (default \"hamstride fake\")\n"
		"  --test-socket PATH  listen on an AF_UNIX SOCK_SEQPACKET socket instead of the\n"
		"                      adapter and do not advertise (tests without a radio)\n");
}

static bool parse_double(const char *text, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(v) || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int bad_value(const char *option, const char *value, const char *what)
{
	fprintf(stderr, "fake-sensor: %s %s: %s\n", option, value, what);
	return EX_USAGE;
}

static int parse_option(struct options *o, int opt, const char *arg)
{
	char why[160];
	char *end;
	switch (opt) {
	case 'a':
		if (strncmp(arg, "hci", 3) != 0 || !arg[3] ||
		    strspn(arg + 3, "0123456789") != strlen(arg + 3))
			return bad_value("--adapter", arg, "expected hci0, hci1, ...");
		o->adapter = arg;
		return 0;
	case 'p':
		if (!fake_profiles_parse(arg, &o->profiles, why, sizeof(why)))
			return bad_value("--profile", arg, why);
		return 0;
	case 'c':
		o->capture = arg;
		return 0;
	case 's':
		return parse_double(arg, 0.01, 1000, &o->speed)
			       ? 0
			       : bad_value("--speed", arg, "expected a factor from 0.01 to 1000");
	case 'm':
		return parse_double(arg, 0.01, 240, &o->minutes)
			       ? 0
			       : bad_value("--minutes", arg, "expected 0.01 to 240 minutes");
	case 'd':
		return parse_double(arg, 0, 14400, &o->drop_at_s)
			       ? 0
			       : bad_value("--drop-at", arg, "expected seconds of run time");
	case 'D':
		return parse_double(arg, 0.001, 14400, &o->down_s)
			       ? 0
			       : bad_value("--down", arg, "expected seconds of run time");
	case 'l':
		o->sent_log = arg;
		return 0;
	case 'S':
		errno = 0;
		o->seed = strtoull(arg, &end, 10);
		return errno || end == arg || *end || arg[0] == '-'
			       ? bad_value("--seed", arg, "expected a non-negative integer")
			       : 0;
	case 't':
		o->test_socket = arg;
		return 0;
	case 'n':
		if (!*arg || strlen(arg) > 248)
			return bad_value("--name", arg, "expected 1 to 248 bytes");
		o->name = arg;
		return 0;
	default:
		return EX_USAGE;
	}
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "adapter", required_argument, NULL, 'a' },
		{ "profile", required_argument, NULL, 'p' },
		{ "capture", required_argument, NULL, 'c' },
		{ "speed", required_argument, NULL, 's' },
		{ "minutes", required_argument, NULL, 'm' },
		{ "drop-at", required_argument, NULL, 'd' },
		{ "down", required_argument, NULL, 'D' },
		{ "sent-log", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 'S' },
		{ "name", required_argument, NULL, 'n' },
		{ "test-socket", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct options){ .speed = 1, .seed = 1, .name = "hamstride fake", .drop_at_s = -1 };
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':') {
			fprintf(stderr, "fake-sensor: %s %s\n", argv[optind - 1],
				opt == ':' ? "needs a value" : "is not an option");
			return EX_USAGE;
		}
		int rc = parse_option(o, opt, optarg);
		if (rc)
			return rc;
	}
	const char *missing = optind < argc                    ? NULL
			      : !o->adapter && !o->test_socket ? "--adapter"
			      : !o->profiles                   ? "--profile"
							       : NULL;
	if (optind < argc) {
		fprintf(stderr, "fake-sensor: unexpected argument %s\n", argv[optind]);
		return EX_USAGE;
	}
	if (missing) {
		fprintf(stderr, "fake-sensor: %s is required\n", missing);
		usage(stderr);
		return EX_USAGE;
	}
	if ((o->drop_at_s >= 0) != (o->down_s > 0)) {
		fprintf(stderr, "fake-sensor: --drop-at and --down go together\n");
		return EX_USAGE;
	}
	return 0;
}

/* ---- the adapter ---- */

static int hci_cmd(int dd, uint16_t ocf, void *param, uint8_t len, const char *what)
{
	uint8_t status = 0;
	struct hci_request rq = { .ogf = OGF_LE_CTL,
				  .ocf = ocf,
				  .cparam = param,
				  .clen = len,
				  .rparam = &status,
				  .rlen = 1 };
	if (hci_send_req(dd, &rq, HCI_TIMEOUT_MS) < 0) {
		log_error("HCI %s failed: %s", what, strerror(errno));
		return -errno;
	}
	if (status) {
		log_error("the controller refused %s (HCI status 0x%02x)", what, status);
		return -EIO;
	}
	return 0;
}

static int set_advertising(struct app *a, bool on)
{
	le_set_advertise_enable_cp cp = { .enable = on };
	int rc = a->o.test_socket ? 0 /* nothing to advertise on */
				  : hci_cmd(a->hci_dd, OCF_LE_SET_ADVERTISE_ENABLE, &cp, sizeof(cp),
					    on ? "advertising enable" : "advertising disable");
	if (rc == 0) {
		a->advertising = on;
		log_info("[%8.3f s] advertising %s", (double)run_now_us(a) / 1e6,
			 on ? "on" : "off");
	}
	return rc;
}

/* Connectable undirected advertising with the services and the name. */
static int setup_advertising(struct app *a)
{
	le_set_advertise_enable_cp off = { .enable = 0 };
	hci_cmd(a->hci_dd, OCF_LE_SET_ADVERTISE_ENABLE, &off, sizeof(off), "advertising disable");
	le_set_advertising_parameters_cp params = {
		.min_interval = htobs(ADV_INTERVAL_UNITS),
		.max_interval = htobs(ADV_INTERVAL_UNITS),
		.advtype = 0x00, /* ADV_IND */
		.own_bdaddr_type = LE_PUBLIC_ADDRESS,
		.chan_map = 0x07,
	};
	le_set_advertising_data_cp data = { 0 };
	le_set_scan_response_data_cp scan = { 0 };
	data.length = (uint8_t)fake_adv_data(a->o.profiles, a->o.name, data.data);
	scan.length = (uint8_t)fake_scan_rsp_data(a->o.name, scan.data);
	int rc = hci_cmd(a->hci_dd, OCF_LE_SET_ADVERTISING_PARAMETERS, &params, sizeof(params),
			 "advertising parameters");
	if (rc == 0)
		rc = hci_cmd(a->hci_dd, OCF_LE_SET_ADVERTISING_DATA, &data, sizeof(data),
			     "advertising data");
	if (rc == 0)
		rc = hci_cmd(a->hci_dd, OCF_LE_SET_SCAN_RESPONSE_DATA, &scan, sizeof(scan),
			     "scan response data");
	return rc;
}

/* Opens the adapter for HCI commands and learns its address; EX_* code. */
static int open_adapter(struct app *a, bdaddr_t *addr)
{
	int probe = socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP);
	if (probe < 0 && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
		log_error("this kernel has no Bluetooth sockets (AF_BLUETOOTH): load the bluetooth "
			  "module, or run in the test VM");
		return EX_UNAVAILABLE;
	}
	if (probe >= 0)
		close(probe);
	int dev_id = hci_devid(a->o.adapter);
	struct hci_dev_info di;
	if (dev_id < 0 || hci_devinfo(dev_id, &di) < 0) {
		log_error("no Bluetooth adapter %s (see /sys/class/bluetooth)", a->o.adapter);
		return EX_UNAVAILABLE;
	}
	if (!hci_test_bit(HCI_UP, &di.flags)) {
		log_error("adapter %s is down: power it on first (btmgmt --index %d power on)",
			  a->o.adapter, dev_id);
		return EX_UNAVAILABLE;
	}
	*addr = di.bdaddr;
	a->hci_dd = hci_open_dev(dev_id);
	if (a->hci_dd < 0) {
		log_error("cannot open adapter %s for HCI commands: %s", a->o.adapter,
			  strerror(errno));
		return errno == EPERM || errno == EACCES ? EX_NOPERM : EX_UNAVAILABLE;
	}
	return 0;
}

/* An LE L2CAP socket on the ATT channel of the adapter's own address. */
static int listen_att(struct app *a, const bdaddr_t *addr)
{
	int fd = socket(AF_BLUETOOTH, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, BTPROTO_L2CAP);
	if (fd < 0) {
		log_error("cannot open an L2CAP socket: %s", strerror(errno));
		return EX_OSERR;
	}
	struct sockaddr_l2 sa = { .l2_family = AF_BLUETOOTH,
				  .l2_cid = htobs(ATT_CID),
				  .l2_bdaddr_type = BDADDR_LE_PUBLIC };
	bacpy(&sa.l2_bdaddr, addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		int err = errno;
		close(fd);
		if (err == EADDRINUSE) {
			log_error(
				"the ATT channel of %s is in use by another program (bluetoothd?): "
				"stop it or use another adapter",
				a->o.adapter);
			return EX_UNAVAILABLE;
		}
		log_error("cannot listen on the ATT channel of %s: %s", a->o.adapter,
			  strerror(err));
		return EX_OSERR;
	}
	a->listen_fd = fd;
	return 0;
}

/* The same program on an AF_UNIX socket, which keeps PDU boundaries as
 * L2CAP does, so its logic is tested on machines without Bluetooth. */
static int listen_test_socket(struct app *a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(a->o.test_socket);
	if (len >= sizeof(sa.sun_path)) {
		log_error("--test-socket %s: the path is too long", a->o.test_socket);
		return EX_USAGE;
	}
	memcpy(sa.sun_path, a->o.test_socket, len + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		log_error("cannot listen on %s: %s", a->o.test_socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EX_OSERR;
	}
	a->listen_fd = fd;
	return 0;
}

/* ---- the link ---- */

static void close_link(struct app *a, const char *why)
{
	if (a->conn_fd < 0)
		return;
	log_notice("[%8.3f s] link closed: %s", (double)run_now_us(a) / 1e6, why);
	gatt_server_detach(a->server);
	fake_db_link_closed(&a->db);
	close(a->conn_fd);
	a->conn_fd = -1;
	a->blocked = false;
}

static void accept_link(struct app *a, bool allowed)
{
	struct sockaddr_l2 peer = { 0 };
	socklen_t len = sizeof(peer);
	int fd =
		accept4(a->listen_fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	char addr[18] = "(test socket)";
	if (!a->o.test_socket)
		ba2str(&peer.l2_bdaddr, addr);
	if (a->conn_fd >= 0 || !allowed) {
		log_warning("refusing a second or out-of-range connection from %s", addr);
		close(fd);
		return;
	}
	a->conn_fd = fd;
	a->advertising = false; /* the controller stops when it connects */
	a->n.connections++;
	gatt_server_attach(a->server, fd);
	log_notice("[%8.3f s] central %s connected", (double)run_now_us(a) / 1e6, addr);
}

static void on_subscribe(uint16_t handle, uint16_t cccd, void *user_data)
{
	struct app *a = user_data;
	log_info("[%8.3f s] handle 0x%04x: notifications %s", (double)run_now_us(a) / 1e6, handle,
		 cccd ? "on" : "off");
	if (cccd && !a->started) {
		a->started = true;
		a->start_mono_us = clock_us(CLOCK_MONOTONIC) + START_LEAD_US;
		log_notice("run time starts: %.1f minutes at %gx",
			   (double)feed_end_us(a->feed) / 60e6, a->o.speed);
	}
}

/* Sends what is due; false when the socket is full (wait for POLLOUT). */
static bool send_due(struct app *a, int64_t now_run_us)
{
	for (int i = 0; i < BURST; i++) {
		size_t cap = gatt_server_mtu(a->server) - 3u;
		const struct feed_item *it = feed_peek(a->feed, cap, &a->db.imu);
		if (!it || it->t_us > now_run_us)
			return true;
		uint16_t handle = fake_db_handle_for(&a->db, &it->uuid);
		bool imu_off = (handle == a->db.imu_data && !(a->db.imu.flags & 1)) ||
			       (handle == a->db.ms_data && !fake_db_movesense_streaming(&a->db));
		uint8_t value[FEED_VALUE_MAX];
		memcpy(value, it->value, it->len);
		if (handle == a->db.ms_data && it->len >= 2)
			value[1] = a->db.ms_reference; /* the subscription's */
		int rc = a->conn_fd < 0 ? -ENOTCONN
			 : imu_off      ? -EPERM
					: gatt_server_notify(a->server, handle, value, it->len);
		if (rc == -EAGAIN)
			return false;
		if (rc == 0) {
			a->n.sent++;
			gatt_server_set_value(a->server, handle, value, it->len);
			if (a->sent_log)
				feed_log_sent(a->sent_log, it->t_us, clock_us(CLOCK_REALTIME),
					      handle, &it->uuid, value, it->len);
		} else if (rc == -ENOTCONN) {
			a->n.not_linked++;
		} else if (rc == -EPERM) {
			a->n.not_subscribed++;
		} else if (rc == -EMSGSIZE) {
			if (a->n.too_big++ == 0)
				log_warning(
					"a %u-byte notification does not fit ATT MTU %u: the central "
					"must exchange a larger MTU",
					it->len, gatt_server_mtu(a->server));
		} else {
			close_link(a, strerror(-rc));
		}
		feed_pop(a->feed);
	}
	return true;
}

/* Drops the link for the --drop-at window and brings advertising back. */
static int follow_drop_window(struct app *a, int64_t t_us)
{
	bool in_drop = a->o.down_s > 0 && a->started && t_us >= llround(a->o.drop_at_s * 1e6) &&
		       t_us < llround((a->o.drop_at_s + a->o.down_s) * 1e6);
	if (in_drop && !a->in_drop) {
		close_link(a, "out of range (--drop-at)");
		if (a->advertising && set_advertising(a, false) < 0)
			return EX_SOFTWARE;
	}
	a->in_drop = in_drop;
	if (!in_drop && a->conn_fd < 0 && !a->advertising && set_advertising(a, true) < 0)
		return EX_SOFTWARE;
	return 0;
}

/* Milliseconds until something is due in run time, capped. */
static int wait_ms(const struct app *a, int64_t t_us)
{
	if (!a->started)
		return MAX_WAIT_MS;
	int64_t next = feed_end_us(a->feed);
	const struct feed_item *it =
		feed_peek(a->feed, gatt_server_mtu(a->server) - 3u, &a->db.imu);
	if (it && it->t_us < next)
		next = it->t_us;
	int64_t drop = llround(a->o.drop_at_s * 1e6),
		back = llround((a->o.drop_at_s + a->o.down_s) * 1e6);
	if (a->o.down_s > 0 && drop > t_us && drop < next)
		next = drop;
	if (a->o.down_s > 0 && back > t_us && back < next)
		next = back;
	double ms = (double)(next - t_us) / 1000.0 / a->o.speed;
	return ms <= 0 ? 0 : ms >= MAX_WAIT_MS ? MAX_WAIT_MS : (int)ceil(ms);
}

static void poll_once(struct app *a, int timeout_ms, bool allowed)
{
	struct pollfd p[2] = { { .fd = a->listen_fd, .events = POLLIN },
			       { .fd = a->conn_fd,
				 .events = POLLIN | (a->blocked ? POLLOUT : 0) } };
	if (poll(p, a->conn_fd >= 0 ? 2 : 1, a->blocked ? MAX_WAIT_MS : timeout_ms) <= 0)
		return;
	if (p[0].revents & POLLIN)
		accept_link(a, allowed);
	if (a->conn_fd >= 0 && p[1].revents) {
		if (p[1].revents & POLLOUT)
			a->blocked = false;
		int rc = gatt_server_process_readable(a->server);
		if (rc < 0)
			close_link(a,
				   rc == -ECONNRESET ? "the central disconnected" : strerror(-rc));
	}
}

/* Whether the run is over: its time is up and nothing due in it is left,
 * so a loaded machine that wakes late still sends the end of the run. */
static bool run_over(struct app *a, int64_t t_us)
{
	if (!a->started || t_us < feed_end_us(a->feed))
		return false;
	const struct feed_item *it =
		feed_peek(a->feed, gatt_server_mtu(a->server) - 3u, &a->db.imu);
	return !it || it->t_us >= feed_end_us(a->feed);
}

static int serve(struct app *a)
{
	for (;;) {
		if (stop_signal) {
			log_notice("stopping on signal %d", (int)stop_signal);
			return 0;
		}
		int64_t t = run_now_us(a);
		if (run_over(a, t))
			return 0;
		int rc = follow_drop_window(a, t);
		if (rc)
			return rc;
		if (a->started && !a->blocked)
			a->blocked = !send_due(a, t);
		poll_once(a, wait_ms(a, t), !a->in_drop);
	}
}

/* ---- start and end ---- */

static int open_outputs(struct app *a)
{
	char why[512] = "";
	struct feed_options fo = { .profiles = a->o.profiles,
				   .seed = a->o.seed,
				   .minutes = a->o.minutes,
				   .capture = a->o.capture };
	int rc = feed_new(&fo, &a->feed, why, sizeof(why));
	if (rc < 0) {
		log_error("%s", why);
		return rc == -ENOENT ? EX_NOINPUT : rc == -EINVAL ? EX_SOFTWARE : EX_DATAERR;
	}
	if (a->o.sent_log) {
		a->sent_log = fopen(a->o.sent_log, "w");
		if (!a->sent_log) {
			log_error("cannot create the sent log %s: %s", a->o.sent_log,
				  strerror(errno));
			return EX_CANTCREAT;
		}
		/* Whole lines reach the file even if the test has to kill us. */
		setvbuf(a->sent_log, NULL, _IOLBF, 0);
		fprintf(a->sent_log, "# run_s utc_us handle uuid len value\n");
	}
	return 0;
}

static int setup(struct app *a)
{
	int rc = open_outputs(a);
	if (rc)
		return rc;
	bdaddr_t addr = { { 0 } };
	if (a->o.test_socket)
		rc = listen_test_socket(a);
	else if ((rc = open_adapter(a, &addr)) == 0)
		rc = listen_att(a, &addr);
	if (rc)
		return rc;
	int mtu = ble_link_rx_mtu(a->listen_fd);
	a->server = gatt_server_new(mtu > 0 && mtu < GATT_SERVER_MTU_MAX ? (uint16_t)mtu
									 : GATT_SERVER_MTU_MAX);
	fake_db_build(a->server, a->o.profiles, a->o.name, &a->db);
	gatt_server_set_subscribe_handler(a->server, on_subscribe, a);
	if (!a->o.test_socket && setup_advertising(a) < 0)
		return EX_UNAVAILABLE;
	char text[18];
	ba2str(&addr, text);
	log_notice("%s (%s) serves \"%s\": %zu recorded notifications%s, %u handles",
		   a->o.test_socket ? a->o.test_socket : a->o.adapter, text, a->o.name,
		   feed_recorded_count(a->feed),
		   a->o.profiles & FAKE_IMU         ? " and IMU data at 400 Hz"
		   : a->o.profiles & FAKE_MOVESENSE ? " and Movesense IMU6 once subscribed"
						    : "",
		   gatt_server_last_handle(a->server));
	return 0;
}

static int finish(struct app *a, int rc)
{
	close_link(a, "the run is over");
	if (a->hci_dd >= 0) {
		if (a->advertising)
			set_advertising(a, false);
		hci_close_dev(a->hci_dd);
	}
	if (a->listen_fd >= 0)
		close(a->listen_fd);
	if (a->sent_log && fclose(a->sent_log) != 0) {
		log_error("cannot write the sent log %s: %s", a->o.sent_log, strerror(errno));
		rc = rc ? rc : EX_IOERR;
	}
	if (a->server)
		log_notice("sent %" PRIu64 " notifications in %" PRIu64
			   " connections; not sent: %" PRIu64 " while the link was down, %" PRIu64
			   " not subscribed, %" PRIu64 " too big for the MTU",
			   a->n.sent, a->n.connections, a->n.not_linked, a->n.not_subscribed,
			   a->n.too_big);
	feed_free(a->feed);
	gatt_server_free(a->server);
	return rc;
}

int main(int argc, char **argv)
{
	struct app a = { .hci_dd = -1, .listen_fd = -1, .conn_fd = -1 };
	log_set_program("fake-sensor");
	int rc = parse_args(argc, argv, &a.o);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = setup(&a);
	if (rc == 0)
		rc = serve(&a);
	return finish(&a, rc);
}
