/*
 * Per-run estimates of the metrics a baseline compares: the value over the
 * whole measured window (from the merged recorder, exactly as reported)
 * and its within-run variance from batch means over the series' batches
 * (docs/statistics.md). Metrics the batches cannot express (cost, quality,
 * ITL, ...) get an unknown (NaN) within-run variance; the comparison then
 * relies on the run-to-run spread alone.
 */
#ifndef PG_ESTIMATE_H
#define PG_ESTIMATE_H

#include <jansson.h>

#include "metrics.h"
#include "series.h"
#include "stats.h"

struct pg_baseline_cfg;

/* Fewest batches batch means accepts. */
#define PG_ESTIMATE_MIN_BATCHES 4

/* Estimates one metric. PG_ENOTFOUND when the metric has no value in this
 * run (then out->value is NaN). */
int pg_estimate_metric(pg_run_estimate *out, const pg_measure *m, const pg_series *s,
		       const pg_metric_def *def, const pg_stat *st);

/* The "estimates" object of a run in results.json: the default metrics
 * (e2e and ttft p50/p95/p99, tpot.p95, itl.p95, throughput.rps,
 * output_tokens_per_s, errors.rate, and quality.score / cost.per_request
 * when measured) plus every metric cfg compares (cfg may be NULL). Each is
 * {"value", "within_var" (null when unknown), "within_df", "unit"} in the
 * canonical unit; metrics without a value are left out. New reference, NULL
 * when out of memory. */
json_t *pg_estimates_json(const pg_measure *m, const pg_series *s,
			  const struct pg_baseline_cfg *cfg);

/* The "windows" object: {"seconds": width, "values": {"e2e.p95": [...],
 * "ttft.p95": [...], "throughput.rps": [...], "errors.rate": [...]}} with
 * one value per batch (null when a batch has none), canonical units. */
json_t *pg_windows_json(const pg_series *s);

#endif
