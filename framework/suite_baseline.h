/*
 * The suite's `baseline:` section: which metrics are compared with the
 * baseline, with what tolerance and confidence, and how much history a
 * baseline keeps.
 *
 *   baseline:
 *     confidence: 99%          # two-sided, of the change's interval
 *     history: 20              # accepted runs kept in the baseline file
 *     default_branch: main     # base branch for the merge-base (default: auto)
 *     tolerance: 5%            # default relative tolerance
 *     confirm: true            # confirm a regression with more runs before failing
 *     compare:                 # metric: relative tolerance | absolute | both
 *       ttft.p95: 5%
 *       e2e.p95: {relative: 5%, absolute: 20ms}
 *       throughput.rps: 5%
 *       errors.rate: {absolute: 0.5%}
 */
#ifndef PG_SUITE_BASELINE_H
#define PG_SUITE_BASELINE_H

#include <stddef.h>

#include "metrics.h"
#include "yaml_tree.h"

/* One metric compared with the baseline. */
typedef struct pg_baseline_metric {
	char *name; /* catalogue name with its statistic: "ttft.p95", "errors.rate" */
	const pg_metric_def *metric;
	pg_stat stat;
	double tol_rel; /* allowed relative worsening; NaN: none */
	double tol_abs; /* allowed worsening, canonical unit; NaN: none */
	char *file;     /* where it was written (NULL for defaults) */
	int line, col;
} pg_baseline_metric;

typedef struct pg_baseline_cfg {
	pg_baseline_metric *metrics;
	size_t n_metrics;
	double confidence;    /* default 0.99 */
	int history;          /* runs a baseline keeps, default 20 */
	char *default_branch; /* NULL: origin/HEAD, main or master */
	int confirm;          /* re-run to confirm a regression before failing (default 1) */
} pg_baseline_cfg;

/* Reads a `baseline:` mapping into a new *out (free with
 * pg_baseline_cfg_free); errors name file:line:col. */
int pg_baseline_cfg_from_yaml(pg_baseline_cfg **out, const pg_yaml_node *map);
/* The configuration used when a suite has no `baseline:` section:
 * ttft.p95, e2e.p95 and throughput.rps within 10 %, errors.rate within 1
 * percentage point, confidence 99 %, history 20. */
int pg_baseline_cfg_default(pg_baseline_cfg **out);
void pg_baseline_cfg_free(pg_baseline_cfg *c);

#endif
