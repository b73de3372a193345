/*
 * Scenario-level analysis: the knee of a capacity sweep and the recovery
 * time after a spike. Definitions match metrics.c (capacity.*, recovery.time).
 */
#ifndef PG_ANALYSIS_H
#define PG_ANALYSIS_H

#include <stddef.h>

#include "series.h"
#include "suite.h"

/* One measured level of a sweep. */
typedef struct pg_sweep_level {
	double load;       /* concurrency or offered rate */
	double e2e_p95;    /* ns; NaN when no success */
	double ttft_p95;   /* ns; NaN when no content */
	double rps;
	double error_rate;
	double quality;    /* quality.score; NaN when nothing was graded */
} pg_sweep_level;

/* Finds the knee: the last level L such that every level up to L has
 * e2e p95 <= latency_factor x level 0's, rps >= (1 + min_gain) x the
 * previous level's, and error_rate <= max_error_rate. *out_index is -1
 * when even the first level breaks a limit. reason (may be NULL) says which
 * limit the level after the knee broke, or that none did. */
void pg_analysis_knee(long *out_index, char *reason, size_t reason_size,
		      const pg_sweep_level *levels, size_t n, const pg_sweep *params);

/* Recovery after a spike that ran over [spike_start, spike_end) (offsets
 * from the run's start). The pre-spike level is the median per-second e2e
 * p95 over up to 10 s before the spike; recovery is the first second after
 * the spike from which p95 stays within 10% of it for 3 seconds (or to the
 * end of the window at window_end). *out_ns is the time from the spike's
 * end to the start of that second, or -1 with a reason when it never
 * recovers or there is no pre-spike data. */
void pg_analysis_recovery(double *out_ns, char *reason, size_t reason_size, const pg_series *s,
			  pg_ns spike_start, pg_ns spike_end, pg_ns window_end);

#endif
