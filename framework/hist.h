/*
 * Log-linear, mergeable, serializable histogram of non-negative integers
 * (HdrHistogram's layout): values are kept with `sigfigs` significant
 * decimal digits of precision between `lowest` and `highest`; memory is
 * fixed at creation and recording never allocates. Values above `highest`
 * are clamped to it and counted in overflow().
 */
#ifndef PG_HIST_H
#define PG_HIST_H

#include <stdint.h>

#include "perfgate/common.h"

typedef struct pg_hist pg_hist;

/* Creates an empty histogram; lowest >= 1, highest >= 2 * lowest,
 * sigfigs in 1..5. Free with pg_hist_free. */
int pg_hist_new(pg_hist **out, int64_t lowest, int64_t highest, int sigfigs);
/* The histogram used for every latency in perfgate: 1 ns .. 1 hour, 3 digits. */
int pg_hist_new_latency(pg_hist **out);
void pg_hist_free(pg_hist *h);
/* Deep copy; free with pg_hist_free. */
int pg_hist_clone(pg_hist **out, const pg_hist *h);
void pg_hist_reset(pg_hist *h);

/* Records one value (negative values are rejected with PG_EINVAL). */
int pg_hist_record(pg_hist *h, int64_t value);
int pg_hist_record_n(pg_hist *h, int64_t value, int64_t count);
/* Adds every count of src into dst; both must have the same lowest,
 * highest and sigfigs (PG_EINVAL otherwise). */
int pg_hist_merge(pg_hist *dst, const pg_hist *src);

int64_t pg_hist_count(const pg_hist *h);
int64_t pg_hist_overflow(const pg_hist *h);
/* Exact min and max of the recorded values (0 when empty). */
int64_t pg_hist_min(const pg_hist *h);
int64_t pg_hist_max(const pg_hist *h);
/* Mean and standard deviation from bucket midpoints (0 when empty). */
double pg_hist_mean(const pg_hist *h);
double pg_hist_stddev(const pg_hist *h);
/* Nearest-rank quantile, q in [0, 1]: the value at rank ceil(q * count)
 * (rank 1 for q = 0), reported as its bucket's midpoint clamped to
 * [min, max]; 0 when empty. */
int64_t pg_hist_quantile(const pg_hist *h, double q);

/* Serializes to a printable ASCII string (no quotes or backslashes) that
 * pg_hist_decode reads back exactly; *out is malloc'd, caller frees. */
int pg_hist_encode(const pg_hist *h, char **out);
/* Parses a string from pg_hist_encode; PG_EPARSE with a message on any
 * corruption. Free *out with pg_hist_free. */
int pg_hist_decode(pg_hist **out, const char *text);

#endif
