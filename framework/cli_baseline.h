/*
 * The baseline side of the command line: comparing a run's results with
 * baselines read from git or a file (`perfgate run`, `perfgate compare`),
 * adding runs to baseline files (`perfgate baseline update`,
 * `perfgate run --update-baseline`), and `perfgate history`.
 */
#ifndef PG_CLI_BASELINE_H
#define PG_CLI_BASELINE_H

#include <jansson.h>

#include "compare.h"
#include "suite_baseline.h"

/* What the command line asked of baselines. */
typedef struct pg_baseline_args {
	int enabled;        /* compare with a baseline */
	const char *ref;    /* --baseline REF; NULL: the merge-base with the base branch */
	const char *file;   /* --baseline-file FILE (a baseline or a results document) */
	int strict;         /* --strict */
	int force;          /* --force */
	int update;         /* --update-baseline */
	int commit;         /* --commit */
	const char *branch; /* --branch NAME */
} pg_baseline_args;

/* The long options every command that compares takes (run, merge); their
 * short codes b B N x f u m n are reserved for them. */
#define PG_CLI_BASELINE_LONGOPTS                                                                   \
	{"baseline", required_argument, NULL, 'b'},                                                \
	    {"baseline-file", required_argument, NULL, 'B'},                                       \
	    {"no-baseline", no_argument, NULL, 'N'}, {"strict", no_argument, NULL, 'x'},           \
	    {"force", no_argument, NULL, 'f'}, {"update-baseline", no_argument, NULL, 'u'},        \
	    {"commit", no_argument, NULL, 'm'}, {"branch", required_argument, NULL, 'n'}

/* Applies option c (from PG_CLI_BASELINE_LONGOPTS) to ba and *no_baseline;
 * returns 1 when c was one of them, 0 otherwise. */
int pg_cli_baseline_option(pg_baseline_args *ba, int *no_baseline, int c, const char *arg);
/* Refuses contradicting baseline options with a message starting with
 * prog; returns 0 or PG_EXIT_USAGE. */
int pg_cli_baseline_check(const pg_baseline_args *ba, int no_baseline, const char *prog);

/* Compares every scenario of a results document with its baseline and
 * records the outcome in the document. suite_path locates the git
 * repository. Returns 0, or PG_EIO with a message when the baseline
 * source itself cannot be used (a shallow clone missing the base commit,
 * an unreadable --baseline-file). */
int pg_cli_compare_doc(json_t *doc, const char *suite_path, const pg_baseline_cfg *cfg,
		       const pg_baseline_args *ba, pg_compare_totals *totals);

/* Adds each scenario of a results document to its baseline file in the
 * work tree of the repository holding suite_path (or under the current
 * directory outside git), atomically, keeping `history` runs; commits
 * them when ba->commit or ba->branch asks. Prints what it wrote. */
int pg_cli_update_baselines(const json_t *doc, const char *suite_path, int history,
			    const pg_baseline_args *ba);

/* Reads a results document (a file, or DIR/results.json). New reference
 * in *out; PG_EIO/PG_EPARSE with a message naming the file. */
int pg_cli_read_results(json_t **out, const char *path);

/* The comparison settings: the `baseline:` section of the suite at
 * suite_path (NULL, or no section: the defaults), with --tolerance and
 * --confidence (NULL: unchanged) applied. Free with pg_baseline_cfg_free. */
int pg_cli_baseline_cfg(pg_baseline_cfg **out, const char *suite_path, const char *tolerance,
			const char *confidence);

/* `perfgate compare OLD NEW`, `perfgate baseline update`, `perfgate
 * history`: argv[0] is the command; return the process exit code. */
int pg_cmd_compare(int argc, char **argv);
int pg_cmd_baseline(int argc, char **argv);
int pg_cmd_history(int argc, char **argv);

#endif
