/*
 * Statistics behind baseline comparison (the method, with its formulas, is
 * docs/statistics.md): within-run uncertainty from batch means over time
 * windows, between-run spread from the baseline's history and the repeats,
 * a verdict that needs both significance and a change beyond the
 * tolerance, the repeat count that would settle a comparison, and change
 * points in a metric's history. Pure computation, no I/O.
 */
#ifndef PG_STATS_H
#define PG_STATS_H

#include <stddef.h>

/* Quantile of Student's t distribution with df degrees of freedom
 * (df >= 1, fractional allowed; df = INFINITY gives the normal). p in (0, 1). */
double pg_stats_t_quantile(double p, double df);
/* Standard normal quantile, p in (0, 1). */
double pg_stats_z_quantile(double p);

/* Metric over base batches [first, first + n): the caller merges what it
 * needs (histograms, counters) and returns the value, or NaN when the
 * merged batch has no value (e.g. no request completed in it). */
typedef double (*pg_batch_value_fn)(void *ctx, size_t first, size_t n);

/* What batch means found. */
typedef struct pg_batch_result {
	double var;        /* variance of the whole-run estimate: s^2 / B; NaN if unknown */
	double mean;       /* mean of the batch values used */
	size_t batches;    /* B: batches used (after merging), NaN batches excluded */
	size_t batch_size; /* base batches per batch */
	double lag1;       /* lag-1 autocorrelation of the batch values used (NaN if B < 3) */
} pg_batch_result;

/* Batch means over n_base consecutive equal time windows. Starts with
 * every base batch as its own batch; while the lag-1 autocorrelation of the
 * batch values is significant (above 2 / sqrt(B), the usual large-sample
 * bound) and merging keeps at least min_batches batches, merges adjacent
 * pairs (an odd last one is dropped). var is NaN when fewer than
 * min_batches (>= 2) valid batches remain. Returns PG_EINVAL for bad
 * arguments, else 0. */
int pg_stats_batch_means(pg_batch_result *out, size_t n_base, pg_batch_value_fn value, void *ctx,
			 size_t min_batches);

/* One run's estimate of a metric. */
typedef struct pg_run_estimate {
	double value;      /* the metric over the run's whole measured window */
	double within_var; /* its variance from batch means; NaN when unknown */
	double within_df;  /* batches - 1 behind within_var; 0 when unknown */
} pg_run_estimate;

/* How to compare one metric. */
typedef struct pg_compare_spec {
	unsigned int version;
	int higher_is_better; /* 0: lower is better (latency, cost, errors) */
	double tol_rel;       /* allowed worsening relative to the baseline (0.05 = 5 %); NaN: none */
	double tol_abs;       /* allowed worsening in the metric's unit; NaN: none */
	double confidence;    /* two-sided confidence of the interval, in (0.5, 1) */
} pg_compare_spec;

#define PG_COMPARE_SPEC_VERSION 1
#define PG_COMPARE_SPEC_INIT { PG_COMPARE_SPEC_VERSION, 0, 0.05, NAN, 0.99 }

typedef enum pg_verdict {
	PG_VERDICT_PASS = 0,
	PG_VERDICT_IMPROVEMENT,
	PG_VERDICT_INCONCLUSIVE,
	PG_VERDICT_REGRESSION,
} pg_verdict;

/* "pass", "improvement", "inconclusive", "regression". */
const char *pg_verdict_name(pg_verdict v);

/* The two sides of a comparison: the baseline's history (oldest first,
 * n_base >= 1) and the current run's repeats (n_cur >= 1). */
typedef struct pg_compare_input {
	const pg_run_estimate *base;
	size_t n_base;
	const pg_run_estimate *cur;
	size_t n_cur;
} pg_compare_input;

typedef struct pg_compare_result {
	pg_verdict verdict;
	double baseline;      /* mean of the history's values */
	double current;       /* mean of the repeats' values */
	double change;        /* current - baseline, metric unit */
	double change_rel;    /* change / |baseline|; NaN when baseline is 0 */
	double ci_lo, ci_hi;  /* confidence interval of change, metric unit */
	double tolerance;     /* allowed worsening, metric unit (>= 0) */
	double se;            /* standard error of change */
	double df;            /* degrees of freedom behind the interval */
	double run_sd;        /* run-to-run standard deviation; NaN when unknown */
	double within_sd;     /* sqrt of the repeats' mean within-run variance; NaN if unknown */
	int repeats_needed;   /* inconclusive only: repeats that would settle it if the change
			       * stayed as measured; -1 when repeats alone cannot (the
			       * baseline's history is too short or noisy); 0 otherwise */
	char reason[320];     /* one sentence for the report */
} pg_compare_result;

/* Compares the current repeats with the baseline history; see
 * docs/statistics.md. Returns PG_EINVAL (with a message) when the input
 * has no finite value on either side, else 0. */
int pg_stats_compare(pg_compare_result *out, const pg_compare_spec *spec,
		     const pg_compare_input *in);

/* Repeats a run needs so that a worsening of exactly the tolerance is
 * found with the given power (e.g. 0.8) at the spec's confidence, given a
 * run-to-run standard deviation run_sd and a history of n_base runs.
 * *out is -1 when no repeat count reaches it (more history needed), capped
 * at 100. baseline is the history mean (for a relative tolerance). */
int pg_stats_recommend_repeats(int *out, const pg_compare_spec *spec, double baseline,
			       double run_sd, size_t n_base, double power);

/* Change points in a series by PELT (optimal partitioning with pruning)
 * with a Gaussian change-in-mean cost; the noise sigma is estimated
 * robustly from the median absolute first difference, and the penalty is
 * penalty_factor x 2 sigma^2 log(n) (factor 1 = BIC). NaN values are not
 * allowed. Segments shorter than min_segment (>= 1) are not considered.
 * *out_idx (malloc'd, caller frees; NULL when none) holds the index of the
 * first point of each new segment, ascending. */
int pg_stats_change_points(size_t **out_idx, size_t *out_n, const double *x, size_t n,
			   double penalty_factor, size_t min_segment);

#endif
