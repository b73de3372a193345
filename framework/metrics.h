/*
 * The metric catalogue: every metric perfgate reports or gates on is
 * defined once in metrics.c, with its formula, and `perfgate metrics`
 * prints the same text.
 */
#ifndef PG_METRICS_H
#define PG_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "recorder.h"
#include "units.h"

typedef enum pg_metric_unit {
	PG_MU_NS = 0,     /* duration; requirement values need ns/us/ms/s */
	PG_MU_RATIO = 1,  /* fraction; written as % or a bare fraction */
	PG_MU_PER_S = 2,  /* per second; bare number or "/s" */
	PG_MU_COUNT = 3,  /* plain count */
	PG_MU_TOKENS = 4, /* token count */
	PG_MU_USD = 5     /* US dollars; written $0.002 or a bare number */
} pg_metric_unit;

typedef enum pg_direction {
	PG_LOWER_IS_BETTER = 0,
	PG_HIGHER_IS_BETTER = 1
} pg_direction;

typedef struct pg_metric_def {
	const char *name;    /* as written in requirements: "ttft", "errors.rate" */
	pg_metric_unit unit;
	int distribution;    /* non-zero: needs a statistic (ttft.p95) */
	pg_direction direction;
	const char *summary; /* one line */
	const char *formula; /* the exact definition */
} pg_metric_def;

/* A statistic of a distribution metric. */
typedef enum pg_stat_kind {
	PG_STAT_NONE = 0, /* scalar metric */
	PG_STAT_MIN,
	PG_STAT_MEAN,
	PG_STAT_MAX,
	PG_STAT_QUANTILE /* q holds the quantile in [0,1] */
} pg_stat_kind;

typedef struct pg_stat {
	pg_stat_kind kind;
	double q;
} pg_stat;

/* Looks a metric up by exact name; NULL if unknown. */
const pg_metric_def *pg_metric_find(const char *name);
/* The whole catalogue, in display order. */
const pg_metric_def *pg_metric_all(size_t *count);
/* Parses "min", "mean", "max", "p50", "p99.9", "p999" (= p99.9). */
int pg_stat_parse(pg_stat *out, const char *text);
/* Formats a stat as written in results ("p95", "p99.9", "mean"). */
const char *pg_stat_format(char *buf, size_t size, const pg_stat *s);
/* Whether a requirement's quantity kind fits the metric's unit. */
int pg_metric_accepts(const pg_metric_def *m, pg_unit_kind kind);
/* Name of the display unit for a metric ("ms", "%", "/s", "tokens", ""). */
const char *pg_metric_display_unit(const pg_metric_def *m);
/* Name of the canonical unit ("ns", "ratio", "/s", "count", "tokens", "USD"). */
const char *pg_metric_canonical_unit(const pg_metric_def *m);
/* Converts a canonical value to its display unit (ns -> ms, ratio -> %). */
double pg_metric_to_display(const pg_metric_def *m, double canonical);

/* Everything a scenario measured: the recorder plus values derived at the
 * scenario level (capacity from a sweep, recovery after a spike). */
struct pg_cost;

typedef struct pg_measure {
	const pg_recorder *rec;
	const struct pg_cost *cost; /* the suite's pricing, NULL if none */
	int has_capacity;      /* a sweep ran */
	double capacity_rps;   /* throughput at the knee */
	double capacity_load;  /* concurrency (or offered rate) at the knee */
	int capacity_by_rate;
	int has_recovery;      /* the load had a spike */
	double recovery_ns;    /* < 0: never recovered */
	char recovery_reason[160];
} pg_measure;

/* Computes a metric: *out in the canonical unit (ns, fraction, per second,
 * count). PG_ENOTFOUND if the value is undefined (e.g. no successful
 * request); the reason is in pg_error_last(). */
int pg_metric_value(double *out, const pg_measure *m, const pg_metric_def *def, const pg_stat *s);

/* The histogram behind a distribution metric ("e2e", "ttft", ...), owned
 * by the recorder; NULL for scalar metrics. */
const pg_hist *pg_metric_hist(const pg_recorder *r, const char *name);

/* Prints every definition (used by `perfgate metrics`). */
void pg_metrics_print(FILE *out);

#endif
