/*
 * Requirement expressions: "ttft.p95 < 300ms", "throughput.rps >= 45",
 * "errors.rate < 0.1%", "output_tokens_per_s >= 500".
 * Grammar: METRIC[.STAT] OP QUANTITY, OP one of < <= > >=.
 */
#ifndef PG_REQUIREMENT_H
#define PG_REQUIREMENT_H

#include "metrics.h"

typedef enum pg_cmp_op { PG_OP_LT = 0, PG_OP_LE, PG_OP_GT, PG_OP_GE } pg_cmp_op;

typedef struct pg_requirement {
	char *text;                 /* as written, trimmed */
	const pg_metric_def *metric;
	pg_stat stat;
	pg_cmp_op op;
	double limit;               /* canonical unit (ns, fraction, /s, count) */
	char *file;                 /* where it was written */
	int line, col;              /* 1-based; 0 when not from a file */
} pg_requirement;

/* Parses one expression into *out (which the caller owns; release with
 * pg_requirement_clear). On error returns PG_EINVAL and sets a message
 * without location; *err_offset receives the 0-based byte offset in text
 * the message is about, so the caller can point at file:line:col. */
int pg_requirement_parse(pg_requirement *out, const char *text, size_t *err_offset);
void pg_requirement_clear(pg_requirement *r);
/* Parses a metric name with its statistic ("ttft.p95", "errors.rate").
 * PG_EINVAL with a message (suggesting a close name) when unknown;
 * *bad_offset (may be NULL) is the offset in name the message is about. */
int pg_metric_name_parse(const pg_metric_def **metric, pg_stat *stat, const char *name,
			 size_t *bad_offset);
/* Whether measured satisfies the requirement. */
int pg_requirement_met(const pg_requirement *r, double measured);
const char *pg_cmp_op_str(pg_cmp_op op);

#endif
