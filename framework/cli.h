/* Command-line entry points and the documented exit codes. */
#ifndef PG_CLI_H
#define PG_CLI_H

enum {
	PG_EXIT_PASS = 0,  /* every requirement met */
	PG_EXIT_FAIL = 1,  /* a requirement failed or a baseline comparison found a regression */
	PG_EXIT_USAGE = 2, /* bad suite or usage */
	PG_EXIT_ERROR = 3, /* the run could not be carried out */
	PG_EXIT_INTERRUPTED = 4 /* SIGINT/SIGTERM: partial results written, baselines untouched */
};

#include "perfgate/plugin.h"
#include "suite.h"

/* How a loaded suite is run and reported. */
typedef struct pg_exec_opts {
	const char *scenario;  /* run only this scenario (NULL: all) */
	const char *out_dir;   /* write DIR/results.json (NULL: no) */
	const char *json_file; /* write the results document to this file (NULL: no) */
	const char *request_log; /* write one line per measured request (NULL: no) */
	unsigned int workers;  /* 0: one per core */
	int color;             /* -1: when stdout is a terminal */
	unsigned int repeat;   /* runs of every scenario; 0 or 1: once */
	const char *report;    /* --report SPEC (report_ci.h), NULL: none */
	const struct pg_baseline_args *baseline; /* NULL: no comparison (cli_baseline.h) */
	int no_baseline;       /* --no-baseline: never compare */
	int quiet;             /* --quiet: no progress line */
	const struct pg_shard *shard; /* --shard I/N: run that share, write a part (shard.h) */
	struct pg_run_result *merged; /* `perfgate merge`: report this run instead of running;
				       * its contents move into pg_cli_execute */
	struct json_t *merged_info;   /* `perfgate merge`: the document's "merged" object */
} pg_exec_opts;

/* Runs a validated suite, prints the table, writes results and returns the
 * process exit code. SIGINT/SIGTERM are caught while it runs: the first
 * stops the run and writes what was measured (PG_EXIT_INTERRUPTED), a
 * second ends the process at once (progress.h). */
int pg_cli_execute(const pg_suite *suite, const pg_exec_opts *x);
/* The suite loader's plugin lookup over a registry (ctx). */
const pg_plugin_desc *pg_cli_lookup_plugin(void *ctx, pg_plugin_kind kind, const char *name);
/* Appends s to a growable list of strings (pointers only; the caller keeps
 * the strings alive and frees *list). */
int pg_cli_append(const char ***list, size_t *n, const char *s);
/* Turns --transport NAME into the override `target.transport=NAME`
 * appended to *sets (held in static storage: one command per process).
 * Prints "PROG: --transport ..." and returns PG_EXIT_USAGE for a name too
 * long, PG_EXIT_ERROR when out of memory, else 0. */
int pg_cli_transport_option(const char ***sets, size_t *n, const char *name, const char *prog);
/* Parses --workers (1..1024); prints "PROG: --workers ..." and returns
 * PG_EXIT_USAGE when it is not valid. */
int pg_cli_parse_workers(unsigned int *out, const char *text, const char *prog);
/* `perfgate load URL ...`: ad-hoc load without a suite. */
int pg_cmd_load(int argc, char **argv);
/* `perfgate init [FILE] [--target URL] [--force]`: writes a commented starter
 * suite; argv[0] is the command name. Returns the process exit code. */
int pg_cmd_init(int argc, char **argv);

/* `perfgate run` (validate_only 0) and `perfgate validate` (1); argv[0] is
 * the command name. Returns the process exit code. */
int pg_cmd_run(int argc, char **argv, int validate_only);
/* `perfgate merge PART... [options]`: combines the parts written by
 * `perfgate run --shard I/N` and gates, reports and exits like run
 * (docs/sharding.md); argv[0] is the command name. */
int pg_cmd_merge(int argc, char **argv);
struct pg_sweep_level;
struct pg_engine_result;
/* Summarises one sweep level's run (e2e/ttft p95, rps, errors, quality). */
void pg_cli_sweep_level(struct pg_sweep_level *lv, double load, const struct pg_engine_result *r);
/* `perfgate report RESULTS.json --report SPEC [--out DIR] [--push URL]`:
 * CI reports from a results document; argv[0] is the command name.
 * Returns the process exit code. */
int pg_cli_report(int argc, char **argv);

#endif
