// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstride sensors scan|add|list|remove: find the runner's sensors and
 * tell the daemon which to connect to. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "util/notification.h"
#include "sensor_table.h"
#include "store/pods.h"
#include "util/xalloc.h"

#define DEFAULT_SCAN_S 10
#define MAX_SCAN_S 3600
#define NAME_MAX_LEN 63 /* store_sensor_info.name holds 64 bytes */
#define RELOAD_HINT "run 'sudo systemctl reload hamstrided' so the daemon picks up the change"

static const char *const roles[] = {
	"footpod", "imu-left", "imu-right", "hrm", "baro", "treadmill"
};

static void sensors_usage(FILE *out)
{
	fprintf(out, "Usage: hamstride sensors scan [--seconds N] [--adapter hciN]\n"
		     "       hamstride sensors add ADDRESS --role ROLE [--name NAME]\n"
		     "                             [--address-type public|random]\n"
		     "       hamstride sensors list [--all]\n"
		     "       hamstride sensors remove ADDRESS\n\n"
		     "Finds Bluetooth sensors nearby and keeps the runner's own, which hamstrided\n"
		     "connects to. Roles: footpod, imu-left, imu-right, hrm, baro.\n"
		     "'hamstride sensors COMMAND --help' for each command's options.\n");
}

/* ---- Shared ---- */

static bool valid_role(const char *role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(role, roles[i]) == 0)
			return true;
	return false;
}

/* The address in its one stored spelling (upper case), or a usage error. */
static int parse_address(const char *command, const char *text, char canonical[18], uint8_t addr[6])
{
	if (!text)
		return cli_usage_error(command,
				       "which sensor? give its address, like "
				       "C4:7C:8D:6A:1B:2E (from 'hamstride sensors scan')");
	if (!notification_addr_parse(text, addr))
		return cli_usage_error(command,
				       "'%s' is not a Bluetooth address: six hex bytes "
				       "like C4:7C:8D:6A:1B:2E",
				       text);
	notification_addr_to_str(addr, canonical, 18);
	return 0;
}

/* ---- scan ---- */

static void scan_usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride sensors scan [--seconds N] [--adapter hciN]\n\n"
		"Listens for Bluetooth LE advertisements and lists each advertiser once:\n"
		"address, address type, signal strength, the role it fits, name and the\n"
		"services it announces. Ctrl-C ends the scan early. Needs CAP_NET_RAW and\n"
		"CAP_NET_ADMIN (sudo).\n\n"
		"  --seconds N      how long to listen (default %d)\n"
		"  --adapter hciN   the adapter (default: the first one that is up)\n"
		"  -h, --help       this help\n",
		DEFAULT_SCAN_S);
}

static void on_report(void *user, const struct hci_scan_report *report)
{
	sensor_scan_table_add(user, report);
}

static volatile sig_atomic_t scan_stop;

static void stop_scanning(int signo)
{
	(void)signo;
	scan_stop = 1;
}

static int scan_exit_code(int err)
{
	switch (err) {
	case -EINVAL:
		return EX_USAGE;
	case -EAFNOSUPPORT:
	case -ENODEV:
	case -ENETDOWN:
	case -ERFKILL:
		return EX_UNAVAILABLE;
	case -EPERM:
	case -EACCES:
		return EX_NOPERM;
	case -EBUSY:
		return EX_TEMPFAIL;
	default:
		return 1;
	}
}

static int run_scan(const char *adapter_opt, unsigned seconds)
{
	char adapter[16], why[512];
	int id = hci_scan_adapter(adapter_opt);
	snprintf(adapter, sizeof(adapter), "%s", adapter_opt ? adapter_opt : "hci0");
	if (id < 0) {
		cli_error("%s", hci_scan_strerror(id, adapter, NULL, why, sizeof(why)));
		return scan_exit_code(id);
	}
	snprintf(adapter, sizeof(adapter), "hci%d", id);

	/* No SA_RESTART: Ctrl-C must wake the wait for reports. */
	struct sigaction stop = { .sa_handler = stop_scanning }, old_int, old_term;
	sigemptyset(&stop.sa_mask);
	scan_stop = 0;
	sigaction(SIGINT, &stop, &old_int);
	sigaction(SIGTERM, &stop, &old_term);
	fprintf(stderr, "Scanning on %s for %u s (Ctrl-C ends it early)...\n", adapter, seconds);
	struct sensor_scan_table seen = { 0 };
	struct hci_scan_failure failure;
	int err = hci_scan_run(id, seconds, on_report, &seen, &scan_stop, &failure);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);

	if (err < 0) {
		cli_error("%s", hci_scan_strerror(err, adapter, &failure, why, sizeof(why)));
	} else {
		sensor_scan_table_print(&seen, stdout);
		if (seen.count == 0)
			fprintf(stderr, "No advertisements heard: wake the sensor (most start "
					"advertising when moved) and scan again.\n");
		else
			fprintf(stderr,
				"Add yours with: hamstride sensors add ADDRESS --role ROLE\n");
	}
	sensor_scan_table_free(&seen);
	return err < 0 ? scan_exit_code(err) : 0;
}

static int sensors_scan(int argc, char **argv)
{
	static const struct option options[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "adapter", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int64_t seconds = DEFAULT_SCAN_S;
	const char *adapter = NULL;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!cli_parse_int64(optarg, &seconds) || seconds < 1 ||
			    seconds > MAX_SCAN_S)
				return cli_usage_error("sensors scan",
						       "--seconds wants a whole number "
						       "from 1 to %d, not '%s'",
						       MAX_SCAN_S, optarg);
			break;
		case 'a':
			adapter = optarg;
			break;
		case 'h':
			scan_usage(stdout);
			return 0;
		default:
			return cli_bad_option("sensors scan", opt, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("sensors scan", "unexpected argument '%s'", argv[optind]);
	if (adapter && hci_scan_adapter(adapter) == -EINVAL)
		return cli_usage_error("sensors scan",
				       "--adapter wants an adapter name like hci0, "
				       "not '%s'",
				       adapter);
	return run_scan(adapter, (unsigned)seconds);
}

/* ---- add ---- */

static void add_usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride sensors add ADDRESS --role ROLE [--name NAME]\n"
		"                             [--address-type public|random]\n\n"
		"Adds one of the runner's sensors (or changes its role or name); hamstrided\n"
		"connects to the sensors added. ADDRESS as 'hamstride sensors scan' shows it.\n\n"
		"  --role ROLE           footpod, imu-left, imu-right, hrm, baro or treadmill\n"
		"  --name NAME           a name to know it by (default: the one known)\n"
		"  --address-type TYPE   public or random; by default the type already known\n"
		"                        for the address, else random when the address starts\n"
		"                        with C0-FF (a static random address, what most sensors\n"
		"                        use) and public otherwise\n"
		"  -h, --help            this help\n\n"
		"One sensor per foot: a second imu-left or imu-right is refused. Another\n"
		"footpod, hrm or baro is added with a warning (the daemon uses them all).\n"
		"Afterwards, " RELOAD_HINT ".\n");
}

struct role_holder {
	const char *address; /* the sensor being added: not a conflict */
	const char *role;
	struct store_sensor_info holder;
	bool found;
};

static int find_role_holder(void *user, const struct store_sensor_info *sensor)
{
	struct role_holder *h = user;
	if (strcmp(sensor->role, h->role) != 0 || strcmp(sensor->address, h->address) == 0)
		return 0;
	h->holder = *sensor;
	h->found = true;
	return 1;
}

static bool one_per_body(const char *role)
{
	return strcmp(role, "imu-left") == 0 || strcmp(role, "imu-right") == 0;
}

static const char *known_as(const struct store_sensor_info *s, char *buf, size_t size)
{
	if (s->name[0])
		snprintf(buf, size, "%s (%s)", s->address, s->name);
	else
		snprintf(buf, size, "%s", s->address);
	return buf;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Checks and writes; the arguments are already valid. */
static int add_sensor(const struct cli_globals *g, const char *address, const uint8_t addr[6],
		      int addr_type, const char *role, const char *name)
{
	struct store *s;
	int rc = cli_open_store(g, STORE_READ_WRITE, &s);
	if (rc)
		return rc;
	struct store_sensor_info before = { 0 };
	int err = store_get_sensor(s, address, &before);
	bool known = err == 0;
	if (err < 0 && err != -ENOENT)
		goto fail;
	if (addr_type < 0) /* static random addresses have the two top bits set */
		addr_type = known                      ? before.address_type
			    : (addr[5] & 0xC0) == 0xC0 ? NOTIFICATION_ADDR_RANDOM
						       : NOTIFICATION_ADDR_PUBLIC;

	struct role_holder h = { .address = address, .role = role };
	err = store_foreach_sensor(s, true, find_role_holder, &h);
	if (err < 0)
		goto fail;
	char other[96];
	if (h.found && one_per_body(role)) {
		cli_error("%s is already the %s sensor: a foot has one. Remove it first "
			  "('hamstride sensors remove %s') or add this one for the other foot",
			  known_as(&h.holder, other, sizeof(other)), role, h.holder.address);
		store_close(s);
		return 1;
	}
	if (h.found)
		fprintf(stderr,
			"hamstride: warning: %s is also added as %s; the daemon connects to both "
			"(remove the one you no longer use with 'hamstride sensors remove')\n",
			known_as(&h.holder, other, sizeof(other)), role);

	if (store_sensor_add(s, address, (uint8_t)addr_type, role, name, now_us(), NULL) < 0 ||
	    store_flush(s) < 0)
		goto fail;
	store_close(s);
	if (known && before.added_us && strcmp(before.role, role) != 0)
		printf("%s is now the %s, was the %s", address, role, before.role);
	else if (known && before.added_us)
		printf("%s is already added as %s", address, role);
	else
		printf("Added %s as %s", address, role);
	printf(" (%s address%s%s).\n", sensor_addr_type_name((uint8_t)addr_type),
	       name && *name ? ", " : "", name && *name ? name : "");
	printf("hamstrided connects to it: " RELOAD_HINT ".\n");
	return 0;
fail:
	cli_error("%s", store_error(s));
	rc = cli_write_exit(s);
	store_close(s);
	return rc;
}

static int check_name(const char *name)
{
	if (strlen(name) > NAME_MAX_LEN)
		return cli_usage_error("sensors add", "--name is too long: at most %d bytes",
				       NAME_MAX_LEN);
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			return cli_usage_error("sensors add", "--name has a control character");
	return 0;
}

static int sensors_add(const struct cli_globals *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "address-type", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *role = NULL, *name = NULL;
	int addr_type = -1, opt, rc;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			role = optarg;
			break;
		case 'n':
			if ((rc = check_name(optarg)))
				return rc;
			name = optarg;
			break;
		case 't':
			if (strcmp(optarg, "public") != 0 && strcmp(optarg, "random") != 0)
				return cli_usage_error("sensors add",
						       "--address-type is public or "
						       "random, not '%s'",
						       optarg);
			addr_type = strcmp(optarg, "random") == 0 ? NOTIFICATION_ADDR_RANDOM
								  : NOTIFICATION_ADDR_PUBLIC;
			break;
		case 'h':
			add_usage(stdout);
			return 0;
		default:
			return cli_bad_option("sensors add", opt, argv);
		}
	}
	char address[18];
	uint8_t addr[6] = { 0 };
	if ((rc = parse_address("sensors add", optind < argc ? argv[optind] : NULL, address, addr)))
		return rc;
	if (optind + 1 < argc)
		return cli_usage_error("sensors add", "unexpected argument '%s'", argv[optind + 1]);
	if (!role)
		return cli_usage_error("sensors add", "--role is required: footpod, imu-left, "
						      "imu-right, hrm or baro");
	if (!valid_role(role))
		return cli_usage_error("sensors add",
				       "--role is footpod, imu-left, imu-right, hrm "
				       "or baro, not '%s'",
				       role);
	return add_sensor(g, address, addr, addr_type, role, name);
}

/* ---- list ---- */

static void list_usage(FILE *out)
{
	fprintf(out, "Usage: hamstride sensors list [--all]\n\n"
		     "Lists the runner's sensors: address, address type, role, name, when it\n"
		     "was added and when its data last came (UTC; \"never\" since it was added),\n"
		     "and whether its cadence counts steps or strides (once hamstride has seen\n"
		     "it run). A foot pod run with shoe IMUs shows its calibration: pod factor\n"
		     "is its distance over the IMUs' (1.030: it reads 3 %% long), with its\n"
		     "uncertainty; its readings are divided by it. The daemon updates the\n"
		     "last-seen time once a minute while it hears a sensor and at the end of\n"
		     "each run.\n\n"
		     "  --all         also sensors only seen in replayed or simulated data\n"
		     "  -h, --help    this help\n");
}

struct sensor_rows {
	struct store_sensor_info *v;
	struct store_pod_calibration *cal; /* scale NAN: never calibrated */
	size_t count, capacity;
};

static int keep_sensor(void *user, const struct store_sensor_info *sensor)
{
	struct sensor_rows *r = user;
	if (r->count == r->capacity) {
		r->capacity = r->capacity ? r->capacity * 2 : 16;
		r->v = xreallocarray(r->v, r->capacity, sizeof(*r->v));
	}
	r->v[r->count++] = *sensor;
	return 0;
}

static void print_pod_factor(const struct store_pod_calibration *c)
{
	if (isnan(c->scale))
		printf("-\n");
	else
		printf("%.3f ± %.3f\n", c->scale, c->scale_sd);
}

/* Each sensor's current calibration, for the pods that have one. */
static int read_calibrations(struct store *s, struct sensor_rows *r)
{
	r->cal = xcalloc(r->count ? r->count : 1, sizeof(*r->cal));
	for (size_t i = 0; i < r->count; i++) {
		int err = store_pod_current(s, r->v[i].id, &r->cal[i]);
		if (err == -ENOENT)
			r->cal[i].scale = NAN;
		else if (err < 0)
			return err;
	}
	return 0;
}

static void print_sensors(const struct sensor_rows *r)
{
	struct sensor_name_cell *names = xcalloc(r->count ? r->count : 1, sizeof(*names));
	size_t width = 4;
	for (size_t i = 0; i < r->count; i++) {
		sensor_name_cell(r->v[i].name, &names[i]);
		if (names[i].chars > width)
			width = names[i].chars;
	}
	printf("%-17s  %-6s  %-9s  ", "address", "type", "role");
	sensor_print_padded(stdout, "name", 4, width);
	printf("  %-20s  %-20s  %-7s  %s\n", "added (UTC)", "last seen (UTC)", "cadence",
	       "pod factor");
	for (size_t i = 0; i < r->count; i++) {
		const struct store_sensor_info *x = &r->v[i];
		char added[32], seen[32];
		printf("%-17s  %-6s  %-9s  ", x->address, sensor_addr_type_name(x->address_type),
		       x->role[0] ? x->role : "-");
		sensor_print_padded(stdout, names[i].text, names[i].chars, width);
		printf("  %-20s  %-20s  %-7s  ",
		       x->added_us ? cli_format_time(x->added_us, added, sizeof(added)) : "-",
		       x->last_seen_us ? cli_format_time(x->last_seen_us, seen, sizeof(seen))
				       : "never",
		       x->cadence_convention[0] ? x->cadence_convention : "-");
		print_pod_factor(&r->cal[i]);
	}
	free(names);
}

static int sensors_list(const struct cli_globals *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool all = false;
	int opt, rc;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'a':
			all = true;
			break;
		case 'h':
			list_usage(stdout);
			return 0;
		default:
			return cli_bad_option("sensors list", opt, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("sensors list", "unexpected argument '%s'", argv[optind]);
	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_ONLY, &s)))
		return rc;
	struct sensor_rows rows = { 0 };
	int err = store_foreach_sensor(s, !all, keep_sensor, &rows);
	if (err == 0)
		err = read_calibrations(s, &rows);
	if (err < 0)
		cli_error("%s", store_error(s));
	store_close(s);
	if (err == 0) {
		print_sensors(&rows);
		if (rows.count == 0)
			printf("(no sensors added: find yours with 'hamstride sensors scan')\n");
	}
	free(rows.v);
	free(rows.cal);
	return err < 0 ? 1 : 0;
}

/* ---- remove ---- */

static void remove_usage(FILE *out)
{
	fprintf(out, "Usage: hamstride sensors remove ADDRESS\n\n"
		     "hamstrided stops connecting to the sensor; what it recorded stays in the\n"
		     "database. Afterwards, " RELOAD_HINT ".\n\n"
		     "  -h, --help    this help\n");
}

static int sensors_remove(const struct cli_globals *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt, rc;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt != 'h')
			return cli_bad_option("sensors remove", opt, argv);
		remove_usage(stdout);
		return 0;
	}
	char address[18];
	uint8_t addr[6] = { 0 };
	if ((rc = parse_address("sensors remove", optind < argc ? argv[optind] : NULL, address,
				addr)))
		return rc;
	if (optind + 1 < argc)
		return cli_usage_error("sensors remove", "unexpected argument '%s'",
				       argv[optind + 1]);
	/* Writing would create a missing database: there is nothing to remove. */
	if (access(g->db_path, F_OK) != 0 && errno == ENOENT) {
		cli_error("no sensor %s was added (there is no database %s)", address, g->db_path);
		return EX_NOINPUT;
	}
	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_WRITE, &s)))
		return rc;
	int err = store_sensor_remove(s, address);
	if (err == 0)
		err = store_flush(s);
	if (err == -ENOENT)
		cli_error("no sensor %s was added (see 'hamstride sensors list')", address);
	else if (err < 0)
		cli_error("%s", store_error(s));
	int rc_write = err < 0 && err != -ENOENT ? cli_write_exit(s) : 0;
	store_close(s);
	if (err == 0)
		printf("Removed %s; what it recorded stays in the database.\n"
		       "hamstrided stops connecting to it: " RELOAD_HINT ".\n",
		       address);
	return err == -ENOENT ? EX_NOINPUT : rc_write;
}

int cmd_sensors(const struct cli_globals *g, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	if (!sub || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		sensors_usage(sub ? stdout : stderr);
		return sub ? 0 : EX_USAGE;
	}
	/* The subcommand parses its own options, argv[0] being its name. */
	optind = 0;
	if (strcmp(sub, "scan") == 0)
		return sensors_scan(argc - 1, argv + 1);
	if (strcmp(sub, "add") == 0)
		return sensors_add(g, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return sensors_list(g, argc - 1, argv + 1);
	if (strcmp(sub, "remove") == 0)
		return sensors_remove(g, argc - 1, argv + 1);
	return cli_usage_error("sensors", "unknown command '%s': scan, add, list or remove", sub);
}
