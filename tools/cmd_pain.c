// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hamstride pain add|list|edit|remove: the runner's pain log, and
 * hamstride day DATE: the day's sitting and back stiffness. Every check is
 * made before anything is written, so a bad command line stores nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_util.h"
#include "store/pain.h"

#define CMD "pain"
#define DAY_US (24LL * 3600 * 1000000)

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride pain add RUN|last|DATE --side left|right|both [OPTIONS]\n"
		"       hamstride pain edit ENTRY [OPTIONS]\n"
		"       hamstride pain remove ENTRY\n"
		"       hamstride pain list [--history]\n\n"
		"The pain log: 0-10 scores for a run (or for a day without one). Nothing is\n"
		"overwritten: an edit is a new version of the entry, a removal a version\n"
		"marked removed; 'list --history' shows every version with when it was written.\n\n"
		"  --during N          pain during the run, 0-10 (needed for a run)\n"
		"  --after N           pain after the run, 0-10 (needed for a run)\n"
		"  --next-morning N    pain the next morning, 0-10\n"
		"  --side S            left, right or both\n"
		"  --from H:MM:SS --to H:MM:SS\n"
		"                      when it hurt, as time from the run's start (repeatable)\n"
		"  --where TEXT        where it hurt, e.g. \"high, near the sit bone\"\n"
		"  --note TEXT         anything else\n"
		"  --red-flag NAME     night-pain, numbness, weakness, saddle-numbness,\n"
		"                      bowel-bladder, fever, sudden-onset (repeatable)\n"
		"  -h, --help          this help\n");
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void format_day(int64_t us, char day[11])
{
	char t[32];
	cli_format_time(us, t, sizeof(t));
	snprintf(day, 11, "%.10s", t);
}

/* YYYY-MM-DD, a real date, not after today (UTC). */
static int parse_day(const char *command, const char *text, char day[11])
{
	int64_t us;
	if (strlen(text) != 10 || !cli_parse_time(text, &us))
		return cli_usage_error(
			command, "'%s' is not a run ID, 'last' or a date like 2026-11-21", text);
	if (us > now_us())
		return cli_usage_error(command,
				       "%s is in the future: log a day once it has happened", text);
	snprintf(day, 11, "%s", text);
	return 0;
}

static int parse_score(const char *option, const char *text, int *out)
{
	int64_t v;
	if (!cli_parse_int64(text, &v) || v > 10)
		return cli_usage_error(CMD, "%s wants a whole number from 0 to 10, not '%s'",
				       option, text);
	*out = (int)v;
	return 0;
}

/* What the options said; NULL/unset where they said nothing. */
struct pain_opts {
	int during, after, next_morning; /* PAIN_UNKNOWN: not given */
	const char *side, *where, *note;
	size_t n_from, n_to;
	double from_s[PAIN_MAX_SPANS], to_s[PAIN_MAX_SPANS];
	size_t n_flags;
	const char *flags[PAIN_MAX_FLAGS];
};

static int add_span_end(struct pain_opts *o, bool from, const char *text)
{
	size_t *n = from ? &o->n_from : &o->n_to;
	if (*n >= PAIN_MAX_SPANS)
		return cli_usage_error(CMD, "at most %d spans per entry", PAIN_MAX_SPANS);
	double s;
	if (!cli_parse_elapsed(text, &s))
		return cli_usage_error(
			CMD, "%s wants a time from the run's start like 0:42:10, not '%s'",
			from ? "--from" : "--to", text);
	(from ? o->from_s : o->to_s)[(*n)++] = s;
	return 0;
}

static int add_flag(struct pain_opts *o, const char *name)
{
	if (!store_pain_is_red_flag(name))
		return cli_usage_error(
			CMD,
			"--red-flag wants one of night-pain, numbness, weakness, "
			"saddle-numbness, bowel-bladder, fever, sudden-onset, not '%s'",
			name);
	if (o->n_flags < PAIN_MAX_FLAGS)
		o->flags[o->n_flags++] = name;
	return 0;
}

static int parse_pain_options(int argc, char **argv, struct pain_opts *o)
{
	static const struct option options[] = {
		{ "during", required_argument, NULL, 'd' },
		{ "after", required_argument, NULL, 'a' },
		{ "next-morning", required_argument, NULL, 'm' },
		{ "side", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "where", required_argument, NULL, 'w' },
		{ "note", required_argument, NULL, 'n' },
		{ "red-flag", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	memset(o, 0, sizeof(*o));
	o->during = o->after = o->next_morning = PAIN_UNKNOWN;
	int opt, rc = 0;
	opterr = 0;
	while (rc == 0 && (opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			rc = parse_score("--during", optarg, &o->during);
			break;
		case 'a':
			rc = parse_score("--after", optarg, &o->after);
			break;
		case 'm':
			rc = parse_score("--next-morning", optarg, &o->next_morning);
			break;
		case 's':
			if (strcmp(optarg, "left") != 0 && strcmp(optarg, "right") != 0 &&
			    strcmp(optarg, "both") != 0)
				return cli_usage_error(
					CMD, "--side wants left, right or both, not '%s'", optarg);
			o->side = optarg;
			break;
		case 'f':
		case 't':
			rc = add_span_end(o, opt == 'f', optarg);
			break;
		case 'w':
			o->where = optarg;
			break;
		case 'n':
			o->note = optarg;
			break;
		case 'r':
			rc = add_flag(o, optarg);
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return cli_bad_option(CMD, opt, argv);
		}
	}
	if (rc == 0 && o->n_from != o->n_to)
		return cli_usage_error(CMD, "each --from needs a --to (got %zu and %zu)", o->n_from,
				       o->n_to);
	return rc;
}

/* The options applied over p (an entry's last version, or a blank one). */
static int apply_options(const struct pain_opts *o, struct store_pain *p)
{
	if (o->during != PAIN_UNKNOWN)
		p->during = o->during;
	if (o->after != PAIN_UNKNOWN)
		p->after = o->after;
	if (o->next_morning != PAIN_UNKNOWN)
		p->next_morning = o->next_morning;
	if (o->side)
		snprintf(p->side, sizeof(p->side), "%s", o->side);
	if (o->where)
		snprintf(p->location, sizeof(p->location), "%s", o->where);
	if (o->note)
		snprintf(p->note, sizeof(p->note), "%s", o->note);
	if (o->n_from) {
		p->n_spans = o->n_from;
		for (size_t i = 0; i < o->n_from; i++)
			p->spans[i] = (struct store_pain_span){ o->from_s[i], o->to_s[i] };
	}
	for (size_t i = 0; i < o->n_flags && p->n_flags < PAIN_MAX_FLAGS; i++)
		snprintf(p->flags[p->n_flags++], sizeof(p->flags[0]), "%s", o->flags[i]);
	return 0;
}

/* The checks that need the run: spans inside it, scores for it. */
static int check_entry(const struct store_pain *p, const struct store_run *run)
{
	if (!p->side[0])
		return cli_usage_error(CMD, "--side is needed: left, right or both");
	if (run && (p->during == PAIN_UNKNOWN || p->after == PAIN_UNKNOWN))
		return cli_usage_error(CMD, "a run's entry needs --during and --after (0-10)");
	if (!run && p->during == PAIN_UNKNOWN && p->after == PAIN_UNKNOWN &&
	    p->next_morning == PAIN_UNKNOWN)
		return cli_usage_error(CMD, "a day's entry needs a score: --during, --after or "
					    "--next-morning");
	if (!run && p->n_spans)
		return cli_usage_error(CMD, "--from/--to are times in a run; %s has no run",
				       p->day);
	for (size_t i = 0; i < p->n_spans; i++) {
		char a[16], b[16], d[16];
		const struct store_pain_span *x = &p->spans[i];
		if (x->to_s <= x->from_s)
			return cli_usage_error(CMD, "span %s to %s ends before it starts",
					       cli_format_duration(x->from_s, a, sizeof(a)),
					       cli_format_duration(x->to_s, b, sizeof(b)));
		double length = isfinite(run->duration_s)
					? run->duration_s
					: (double)(run->end_us - run->start_us) / 1e6;
		if (x->to_s > ceil(length))
			return cli_usage_error(
				CMD, "span %s to %s is outside run %lld, which lasted %s",
				cli_format_duration(x->from_s, a, sizeof(a)),
				cli_format_duration(x->to_s, b, sizeof(b)), (long long)run->id,
				cli_format_duration(length, d, sizeof(d)));
	}
	return 0;
}

static void warn_red_flags(const struct store_pain *p)
{
	if (p->n_flags)
		printf("RED FLAG logged (%s): see a doctor promptly. This needs a clinician, not "
		       "a pattern; until one has seen it, do not treat it with massage or "
		       "exercise.\n",
		       p->flags[0]);
}

/* Writes the version and commits it; on failure nothing stays. */
static int commit(struct store *s, int err)
{
	if (!err)
		err = store_flush(s);
	if (err) {
		cli_error("%s", store_error(s));
		store_discard(s);
		return err == -ENOENT ? EX_NOINPUT : cli_write_exit(s);
	}
	return 0;
}

/* RUN|last|DATE: the run (*has_run) or the day. */
static int resolve_target(const struct cli_globals *g, struct store *s, const char *text,
			  struct store_run *run, bool *has_run, struct store_pain *p)
{
	int64_t id;
	*has_run = false;
	if (cli_parse_run_ref(text, &id)) {
		int rc = cli_get_run(g, s, id, run);
		if (rc)
			return rc;
		*has_run = true;
		p->run_id = run->id;
		format_day(run->start_us, p->day);
		return 0;
	}
	return parse_day(CMD, text, p->day);
}

static int pain_add(const struct cli_globals *g, int argc, char **argv)
{
	struct pain_opts o;
	int rc = parse_pain_options(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind >= argc)
		return cli_usage_error(CMD, "add needs a run ID, 'last' or a date");
	if (optind + 1 < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_WRITE, &s)))
		return rc;
	struct store_pain p;
	memset(&p, 0, sizeof(p));
	p.during = p.after = p.next_morning = PAIN_UNKNOWN;
	struct store_run run;
	bool has_run;
	rc = resolve_target(g, s, argv[optind], &run, &has_run, &p);
	if (!rc)
		rc = apply_options(&o, &p);
	if (!rc)
		rc = check_entry(&p, has_run ? &run : NULL);
	if (!rc) {
		p.recorded_us = now_us();
		rc = commit(s, store_pain_add(s, &p));
	}
	if (!rc) {
		printf("pain entry %lld: %s, side %s\n", (long long)p.entry_id, p.day, p.side);
		warn_red_flags(&p);
	}
	store_close(s);
	return rc;
}

static int parse_entry(const char *text, int64_t *entry)
{
	if (!cli_parse_int64(text, entry) || *entry < 1)
		return cli_usage_error(
			CMD, "'%s' is not an entry number (see 'hamstride pain list')", text);
	return 0;
}

static int pain_edit(const struct cli_globals *g, int argc, char **argv)
{
	struct pain_opts o;
	int rc = parse_pain_options(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	int64_t entry;
	if (optind >= argc)
		return cli_usage_error(CMD,
				       "edit needs an entry number (see 'hamstride pain list')");
	if ((rc = parse_entry(argv[optind], &entry)))
		return rc;
	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_WRITE, &s)))
		return rc;
	struct store_pain p;
	struct store_run run;
	if (store_pain_get(s, entry, &p) || p.removed) {
		cli_error("no pain entry %lld to edit (see 'hamstride pain list')",
			  (long long)entry);
		store_close(s);
		return EX_NOINPUT;
	}
	rc = p.run_id ? cli_get_run(g, s, p.run_id, &run) : 0;
	if (!rc)
		rc = apply_options(&o, &p);
	if (!rc)
		rc = check_entry(&p, p.run_id ? &run : NULL);
	if (!rc) {
		p.recorded_us = now_us();
		rc = commit(s, store_pain_edit(s, &p));
	}
	if (!rc) {
		printf("pain entry %lld: version %d\n", (long long)entry, p.version);
		warn_red_flags(&p);
	}
	store_close(s);
	return rc;
}

static int pain_remove(const struct cli_globals *g, int argc, char **argv)
{
	int64_t entry;
	int rc;
	if (argc != 3)
		return cli_usage_error(CMD,
				       "remove needs one entry number (see 'hamstride pain list')");
	if ((rc = parse_entry(argv[2], &entry)))
		return rc;
	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_WRITE, &s)))
		return rc;
	rc = commit(s, store_pain_remove(s, entry, now_us()));
	if (!rc)
		printf("pain entry %lld removed (its versions stay in 'pain list --history')\n",
		       (long long)entry);
	store_close(s);
	return rc;
}

static const char *score_text(int v, char *buf, size_t size)
{
	if (v == PAIN_UNKNOWN)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%d", v);
	return buf;
}

static int print_entry(void *user, const struct store_pain *p)
{
	bool history = *(bool *)user;
	char d[8], a[8], m[8], run[16], rec[32];
	snprintf(run, sizeof(run), p->run_id ? "%lld" : "-", (long long)p->run_id);
	printf("%5lld", (long long)p->entry_id);
	if (history)
		printf("  v%-2d %-20s %-7s", p->version,
		       cli_format_time(p->recorded_us, rec, sizeof(rec)),
		       p->removed ? "removed" : "");
	printf("  %-10s  %5s  %-5s  %6s  %5s  %7s", p->day, run, p->side,
	       score_text(p->during, d, sizeof(d)), score_text(p->after, a, sizeof(a)),
	       score_text(p->next_morning, m, sizeof(m)));
	for (size_t i = 0; i < p->n_spans; i++) {
		char f[16], t[16];
		printf("%s%s-%s", i ? "," : "  ",
		       cli_format_duration(p->spans[i].from_s, f, sizeof(f)),
		       cli_format_duration(p->spans[i].to_s, t, sizeof(t)));
	}
	if (p->location[0])
		printf("  where: %s", p->location);
	for (size_t i = 0; i < p->n_flags; i++)
		printf("%sRED FLAG %s", i ? ", " : "  ", p->flags[i]);
	if (p->note[0])
		printf("  note: %s", p->note);
	printf("\n");
	return 0;
}

static int pain_list(const struct cli_globals *g, int argc, char **argv)
{
	bool history = argc == 3 && strcmp(argv[2], "--history") == 0;
	if (argc > 3 || (argc == 3 && !history))
		return cli_usage_error(CMD, "list takes only --history");
	struct store *s;
	int rc = cli_open_store(g, STORE_READ_ONLY, &s);
	if (rc)
		return rc;
	printf("%5s", "entry");
	if (history)
		printf("  %-3s %-20s %-7s", "ver", "recorded (UTC)", "");
	printf("  %-10s  %5s  %-5s  %6s  %5s  %7s  %s\n", "day", "run", "side", "during", "after",
	       "morning", "spans, where, flags, note");
	int err = store_foreach_pain(s, history, print_entry, &history);
	if (err < 0) {
		cli_error("%s", store_error(s));
		rc = 1;
	}
	store_close(s);
	return rc;
}

int cmd_pain(const struct cli_globals *g, int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	/* The subcommand's options start after its name. */
	if (strcmp(what, "add") == 0)
		return pain_add(g, argc - 1, argv + 1);
	if (strcmp(what, "edit") == 0)
		return pain_edit(g, argc - 1, argv + 1);
	if (strcmp(what, "remove") == 0)
		return pain_remove(g, argc, argv);
	if (strcmp(what, "list") == 0)
		return pain_list(g, argc, argv);
	if (strcmp(what, "-h") == 0 || strcmp(what, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return cli_usage_error(CMD, "expected add, edit, remove or list%s%s%s",
			       *what ? ", not '" : "", what, *what ? "'" : "");
}

static void day_usage(FILE *out)
{
	fprintf(out, "Usage: hamstride day DATE [--sitting-hours N] [--back-stiffness N]\n\n"
		     "The day's context for the pattern analysis: hours spent sitting (0-24) and\n"
		     "back stiffness (0-10). A later entry for the same day replaces it in the\n"
		     "analysis; the earlier one is kept.\n");
}

int cmd_day(const struct cli_globals *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "sitting-hours", required_argument, NULL, 's' },
		{ "back-stiffness", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct store_day d = { .sitting_hours = NAN, .back_stiffness = PAIN_UNKNOWN };
	int opt, rc = 0;
	opterr = 0;
	while (rc == 0 && (opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt == 's' && (!cli_parse_double(optarg, &d.sitting_hours) ||
				   d.sitting_hours < 0 || d.sitting_hours > 24))
			return cli_usage_error("day", "--sitting-hours wants 0 to 24, not '%s'",
					       optarg);
		if (opt == 'b')
			rc = parse_score("--back-stiffness", optarg, &d.back_stiffness);
		if (opt == 'h') {
			day_usage(stdout);
			return 0;
		}
		if (opt == '?' || opt == ':')
			return cli_bad_option("day", opt, argv);
	}
	if (rc)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error("day", "expected one date like 2026-11-21");
	if ((rc = parse_day("day", argv[optind], d.day)))
		return rc;
	if (isnan(d.sitting_hours) && d.back_stiffness == PAIN_UNKNOWN)
		return cli_usage_error("day", "give --sitting-hours or --back-stiffness");
	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_WRITE, &s)))
		return rc;
	d.recorded_us = now_us();
	rc = commit(s, store_day_set(s, &d));
	if (!rc)
		printf("%s: context stored\n", d.day);
	store_close(s);
	return rc;
}
