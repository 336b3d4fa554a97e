/* sockshim-report: a summary of sockshim logs for people, or for programs
 * with --json.
 *
 *   sockshim-report [--json] [--top N] [filters] LOG...
 *
 * It reads logs as the shim writes them and as collectors keep them
 * (syslog files, journalctl -o json, gzip-compressed: input.c, read.c),
 * on every core; counts the records by event, errno, program, host and
 * peer, and groups them by call site (agg.c); names the frames of the
 * busiest call sites with libdw (symbolize.c); and prints the report
 * (output.c).  Lines that are not records are counted, never fatal: a log
 * may be cut by a full disk, concatenated by a collector or not a log at
 * all. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filter.h"
#include "output.h"
#include "read.h"
#include "report.h"
#include "perfmap.h"
#include "symbolize.h"

#define DEFAULT_TOP 10

/* ---- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--json] [--top N] [filters] LOG...\n"
		"Summarizes sockshim logs: records by event, errno, program, host and peer,\n"
		"and the busiest call sites, grouped by backtrace, with each frame's function\n"
		"and source line (from the object's debug info, read with libdw, or else the\n"
		"log's own symbol).\n"
		"\n"
		"  LOG        a log file, a glob pattern (\"/var/log/app/*.log\", expanded here\n"
		"             if the shell did not), or - for standard input.  Each line may be\n"
		"             a record as the shim writes it (JSON), a syslog collector's line\n"
		"             (traditional, RFC 3339 or RFC 5424; lines of other programs are\n"
		"             skipped), or a journal entry of `journalctl -o json`; a gzip file\n"
		"             (a rotated log) is read as what it holds\n"
		"  --json     print one JSON document with the same content instead of text\n"
		"  --top N    show the N busiest call sites, programs, hosts and peers\n"
		"             (default %d; 0: all); events and errno values are always all shown\n"
		"\n"
		"Filters (each may be given more than once, or as a list: --event a,b):\n"
		"  --since TIME, --until TIME\n"
		"             count records whose \"ts\" is at or after --since, and before\n"
		"             --until: RFC 3339 (2026-11-30T10:00:00Z, ...+01:00), or a date\n"
		"             (its midnight, UTC)\n"
		"  --event E  records of event E (a suppressed record counts as its event)\n"
		"  --prog P   records of program P\n"
		"  --host H   records of host H (the collector's name for it, else the\n"
		"             record's \"host\")\n"
		"\n"
		"Naming frames of binaries from other hosts:\n"
		"  --binaries DIR   look for a module /opt/app/server as DIR/opt/app/server,\n"
		"             then DIR/server; a frame with a \"build_id\" also among the files\n"
		"             under DIR by their build IDs\n"
		"  --debug-dir DIR  a debug directory (DIR/.build-id/xx/yyyy.debug) besides\n"
		"             /usr/lib/debug; with DEBUGINFOD_URLS set, libdw also asks\n"
		"             debuginfod for a build ID found nowhere here\n"
		"  --perf-maps DIR  where the perf map files of JIT runtimes are\n"
		"             (perf-PID.map; default /tmp): a frame in no module is named\n"
		"             from the map of its record's process\n"
		"\n"
		"  --threads N  read with N threads (default: one per core)\n"
		"  --help     print this and exit\n"
		"  --version  print the version and exit\n"
		"\n"
		"Lines that are not records (not JSON, not an object, without \"event\", longer\n"
		"than %d bytes) are counted as malformed and otherwise skipped; blank lines\n"
		"are ignored.  Records marked \"truncated\" (backtrace cut to fit) are counted\n"
		"as records, and also apart.  A \"suppressed\" record of the rate limit adds\n"
		"its \"count\" to its event, program, host and call site.\n"
		"\n"
		"Exit status: 0 if the logs hold at least one record (that the filters let\n"
		"through), 1 if they hold none (empty, or malformed lines only: the report is\n"
		"printed all the same), 2 on a usage error or an input that cannot be read\n"
		"(nothing is printed on standard output then).\n",
		DEFAULT_TOP, LINE_CAP);
}

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	exit(EXIT_USAGE);
}

static size_t parse_top(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (!*s || *end || errno || n < 0 || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		usage_error("--top: '%s' is not a number of call sites (0 or more)", s);
	return (size_t)n;
}

static void add_input(char ***list, size_t *n, const char *path)
{
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = xstrdup(path);
}

/* Expands the LOG arguments into files.  Returns the number of arguments
 * that name nothing readable, each told on stderr. */
static int expand_inputs(char **args, int nargs, char ***list, size_t *n)
{
	struct stat st;
	int errors = 0;

	for (int i = 0; i < nargs; i++) {
		const char *a = args[i];
		glob_t g;
		int rc;

		if (strcmp(a, "-") == 0) {
			add_input(list, n, a);
			continue;
		}
		/* a file whose name holds '*' is that file, not a pattern */
		if (stat(a, &st) == 0 || !strpbrk(a, "*?[")) {
			add_input(list, n, a);
			continue;
		}
		rc = glob(a, 0, NULL, &g);
		if (rc == 0) {
			for (size_t j = 0; j < g.gl_pathc; j++)
				add_input(list, n, g.gl_pathv[j]);
		} else if (rc == GLOB_NOSPACE) {
			die_oom();
		} else {
			fprintf(stderr, PROG ": %s: no file matches\n", a);
			errors++;
		}
		globfree(&g);
	}
	/* every input is checked before any is read: a typo in the last of
	 * twenty names should not cost reading the nineteen others */
	for (size_t i = 0; i < *n; i++) {
		const char *p = (*list)[i];

		if (strcmp(p, "-") == 0)
			continue;
		if (stat(p, &st) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", p, strerror(errno));
			errors++;
		} else if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, PROG ": %s: is a directory\n", p);
			errors++;
		}
	}
	return errors;
}

static void add_to(const char *opt, char ***list, size_t *n, const char *arg)
{
	/* "a,b" and repeated options alike */
	char *copy = xstrdup(arg), *save = NULL, *s = strtok_r(copy, ",", &save);

	/* (an empty one filtered nothing out: --host '' counted everything,
	 * regress_report_empty_filter) */
	if (!s)
		usage_error("%s: an empty value ('%s') names nothing to count", opt, arg);
	for (; s; s = strtok_r(NULL, ",", &save)) {
		*list = xrealloc(*list, (*n + 1) * sizeof **list);
		(*list)[(*n)++] = xstrdup(s);
	}
	free(copy);
}

/* The events sockshim writes (sockshim.h): a --event of none of them is
 * told (a misspelt name counted nothing and said nothing). */
static void warn_unknown_events(char **events, size_t n)
{
	static const char *const known[] = {
		SHIM_EV_CLOSE_ERROR,	  SHIM_EV_DOUBLE_CLOSE,	       SHIM_EV_SHUTDOWN_ERROR,
		SHIM_EV_SETSOCKOPT_ERROR, SHIM_EV_CLOSE_RST,	       SHIM_EV_CLOSE_PENDING_ERROR,
		SHIM_EV_GRACEFUL_CLOSE,	  SHIM_EV_GRACEFUL_TIMEOUT,    SHIM_EV_GRACEFUL_SKIPPED,
		SHIM_EV_REUSEADDR_FORCED, SHIM_EV_REUSEPORT_FORCED,    SHIM_EV_CONFIG_ERROR,
		SHIM_EV_RAW_SYSCALLS_UNSEEN, SHIM_EV_BACKTRACE_DISABLED, SHIM_EV_RAW_MODE,
		SHIM_EV_LOG_DROPPED,	  SHIM_EV_SUPPRESSED,	       SHIM_EV_START,
		SHIM_EV_SUPERVISED,	  SHIM_EV_SOCKET,	       SHIM_EV_ACCEPT,
		SHIM_EV_SHUTDOWN,	  SHIM_EV_CLOSE,
	};

	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t k = 0; k < sizeof known / sizeof known[0] && !found; k++)
			found = !strcmp(events[i], known[k]);
		if (found)
			continue;
		fprintf(stderr, "sockshim-report: warning: --event %s: sockshim writes no such event (its events:",
			events[i]);
		for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
			fprintf(stderr, " %s", known[k]);
		fprintf(stderr, ")\n");
	}
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int64_t parse_time(const char *opt, const char *s)
{
	int64_t us;

	size_t n = strlen(s);

	if (!rfc3339_parse(s, n, true, &us))
		usage_error("%s: '%s' is not a time (2026-11-30T10:00:00Z, 2026-11-30T10:00:00+01:00, 2026-11-30)",
			    opt, s);
	/* A time of day needs its zone (RFC 3339): one without was taken for
	 * UTC, and an operator elsewhere counted the wrong hours
	 * (regress_report_time_without_zone) */
	if (n > 10 && s[n - 1] != 'Z' && s[n - 1] != 'z' && !strchr(s + 10, '+') &&
	    !strchr(s + 10, '-'))
		usage_error("%s: '%s' has no time zone: add Z (UTC) or an offset such as +01:00", opt,
			    s);
	return us;
}

static int parse_threads(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (!*s || *end || errno || n < 0 || n > 1024 || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		usage_error("--threads: '%s' is not a number of threads (0: one per core)", s);
	return (int)n;
}

/* Reads the inputs and prints the report.  Returns the exit status.  All
 * is freed, so that valgrind and ASan show what the report leaks. */
static int report(char **inputs, size_t ninputs, size_t top, bool json, int threads, const struct filter *f)
{
	int status = EXIT_USAGE;
	struct reading r;
	json_t *doc;

	if (read_inputs(inputs, ninputs, threads, f, &r) != 0)
		return EXIT_USAGE;
	doc = report_build(&r, inputs, ninputs, top, f);
	if (json) {
		/* to a string first: json_dumpf fails alike for want of memory
		 * and a full disk, and the two call for different messages */
		char *text = json_dumps(doc, JSON_INDENT(2));

		if (!text)
			die_oom();
		puts(text);
		free(text);
	} else {
		report_print_text(doc);
	}
	json_decref(doc);
	if (fflush(stdout) != 0 || ferror(stdout))
		fprintf(stderr, PROG ": standard output: %s\n", strerror(errno));
	else
		status = r.tally.records ? EXIT_RECORDS : EXIT_NO_RECORDS;
	reading_free(&r);
	return status;
}

int main(int argc, char **argv)
{
	enum { O_SINCE = 256, O_UNTIL, O_EVENT, O_PROG, O_HOST, O_THREADS, O_BINARIES, O_DEBUG_DIR,
	       O_PERF_MAPS };
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"top", required_argument, NULL, 't'},
		{"since", required_argument, NULL, O_SINCE},
		{"until", required_argument, NULL, O_UNTIL},
		{"event", required_argument, NULL, O_EVENT},
		{"prog", required_argument, NULL, O_PROG},
		{"host", required_argument, NULL, O_HOST},
		{"threads", required_argument, NULL, O_THREADS},
		{"binaries", required_argument, NULL, O_BINARIES},
		{"debug-dir", required_argument, NULL, O_DEBUG_DIR},
		{"perf-maps", required_argument, NULL, O_PERF_MAPS},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct filter f = {0};
	bool json = false;
	size_t top = DEFAULT_TOP, ninputs = 0;
	char **inputs = NULL;
	int c, status, threads = 0;

	opterr = 0; /* usage_error tells, the same way for every mistake */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 't':
			top = parse_top(optarg);
			break;
		case O_SINCE:
			f.since = parse_time("--since", optarg);
			f.since_set = true;
			break;
		case O_UNTIL:
			f.until = parse_time("--until", optarg);
			f.until_set = true;
			break;
		case O_EVENT:
			add_to("--event", &f.events, &f.nevents, optarg);
			break;
		case O_PROG:
			add_to("--prog", &f.progs, &f.nprogs, optarg);
			break;
		case O_HOST:
			add_to("--host", &f.hosts, &f.nhosts, optarg);
			break;
		case O_THREADS:
			threads = parse_threads(optarg);
			break;
		case O_BINARIES:
			sym_binary_dir(optarg);
			break;
		case O_PERF_MAPS:
			perfmap_dir(optarg);
			break;
		case O_DEBUG_DIR:
			sym_debug_dir(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " " SHIM_VERSION "\n");
			return 0;
		default:
			if (optopt)
				for (const struct option *o = opts; o->name; o++)
					if (o->val == optopt && o->has_arg)
						usage_error("--%s needs a value", o->name);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		usage_error("no log named (use - for standard input)");
	if (f.since_set && f.until_set && f.until <= f.since)
		usage_error("--until is not after --since: no record could be counted");
	warn_unknown_events(f.events, f.nevents);

	if (expand_inputs(argv + optind, argc - optind, &inputs, &ninputs))
		status = EXIT_USAGE;
	else
		status = report(inputs, ninputs, top, json, threads, &f);
	free_list(inputs, ninputs);
	free_list(f.events, f.nevents);
	free_list(f.progs, f.nprogs);
	free_list(f.hosts, f.nhosts);
	sym_close();
	perfmap_close();
	return status;
}
