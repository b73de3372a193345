/*
 * Baseline files: baselines/<suite>/<scenario>.json, schema
 * perfgate-baseline/1 (documented in docs/baselines.md). A baseline holds
 * the latest accepted run in full (metrics, serialized histograms, per-window
 * statistics, environment fingerprint, commit) and a rolling history of the
 * last K accepted runs' estimates, oldest first, that the comparison uses
 * for the between-run spread.
 */
#ifndef PG_BASELINE_H
#define PG_BASELINE_H

#include <jansson.h>
#include <stddef.h>

#include "stats.h"

#define PG_BASELINE_SCHEMA "perfgate-baseline/1"
#define PG_BASELINE_HISTORY_DEFAULT 20
#define PG_BASELINE_HISTORY_MAX 1000

typedef struct pg_baseline pg_baseline;

/* Creates an empty baseline for one scenario of a suite, keeping at most
 * history_limit runs (1..PG_BASELINE_HISTORY_MAX). Free with
 * pg_baseline_free. */
int pg_baseline_new(pg_baseline **out, const char *suite, const char *scenario,
		    int history_limit);
/* Parses and validates a baseline document. origin names where the text
 * came from ("baselines/x/y.json at a1b2c3d") and starts every error
 * message, which also names the offending field (and line:column for JSON
 * syntax errors). Returns PG_EPARSE for anything malformed, truncated or of
 * another schema; never accepts a partial document. */
int pg_baseline_parse(pg_baseline **out, const char *text, size_t len, const char *origin);
void pg_baseline_free(pg_baseline *b);

/* Adds a scenario's results (one element of results.json "scenarios",
 * see docs/results.md) as accepted run(s): each element of its "runs"
 * array becomes one history entry (commit and recorded_at stamped on
 * each; commit may be NULL), and the scenario's metrics, histograms,
 * windows and fingerprint become the latest run. The history is trimmed
 * to the limit, oldest dropped. PG_EINVAL with a message when the scenario
 * object lacks what a baseline needs. */
int pg_baseline_add_run(pg_baseline *b, const json_t *scenario, const char *commit,
			const char *recorded_at);
/* Changes the history limit, trimming the history if needed. */
int pg_baseline_set_limit(pg_baseline *b, int history_limit);

/* Serializes with stable key order and a trailing newline; *out is
 * malloc'd (caller frees). */
int pg_baseline_serialize(char **out, const pg_baseline *b);

/* The history's estimates of one metric (catalogue name such as
 * "ttft.p95"), oldest first, skipping runs without it. *out is malloc'd
 * (caller frees), NULL when *n is 0. */
int pg_baseline_estimates(pg_run_estimate **out, size_t *n, const pg_baseline *b,
			  const char *metric);
/* Number of runs in the history. */
size_t pg_baseline_history_len(const pg_baseline *b);
/* Commit of history entry i (0 = oldest), or NULL when unknown. */
const char *pg_baseline_history_commit(const pg_baseline *b, size_t i);

/* Borrowed views into the document (valid until the baseline changes or
 * is freed): the latest run's fingerprint object, its scenario metrics
 * object (as in results.json) and the whole document. NULL when absent. */
const json_t *pg_baseline_fingerprint(const pg_baseline *b);
const json_t *pg_baseline_latest_metrics(const pg_baseline *b);
const json_t *pg_baseline_json(const pg_baseline *b);
const char *pg_baseline_suite(const pg_baseline *b);
const char *pg_baseline_scenario(const pg_baseline *b);

/* The repository-relative path of a scenario's baseline:
 * "baselines/<suite>/<scenario>.json" with each name reduced to
 * [A-Za-z0-9._-] (others become '-', a leading '.' becomes '_').
 * Writes at most size bytes; PG_ELIMIT when it does not fit. */
int pg_baseline_path(char *out, size_t size, const char *suite, const char *scenario);

#endif
