/*
 * Per-second time series of a run. Each worker records into its own small
 * ring of per-second slots (counters and two coarse histograms) under its
 * own lock; a collector merges finished seconds across workers once a
 * second and keeps one compact row per second, so memory grows with the
 * run's length in seconds, never with its request count.
 */
#ifndef PG_SERIES_H
#define PG_SERIES_H

#include <pthread.h>
#include <stdint.h>

#include "hist.h"

#define PG_SERIES_RING 8

typedef struct pg_series_row {
	int64_t second; /* since the run's start, warmup included */
	int64_t sent, succeeded, failed, dropped, late;
	int64_t in_flight; /* sum over workers of the most each had in flight in this second */
	double e2e_p50, e2e_p95, e2e_p99; /* ns, of requests completed in this second; NaN if none */
	double ttft_p50, ttft_p95, ttft_p99;
} pg_series_row;

/* One event for the series; fields that do not apply are 0 (or -1 for the
 * latencies). */
typedef struct pg_series_event {
	int sent, succeeded, failed, dropped, late;
	pg_ns e2e, ttft;   /* -1: none */
	int64_t in_flight; /* the worker's requests in flight after the event */
} pg_series_event;

typedef struct pg_series_slot {
	int64_t second; /* -1: empty */
	int64_t sent, succeeded, failed, dropped, late;
	int64_t in_flight_max;
	pg_hist *e2e, *ttft;
} pg_series_slot;

/* A worker's ring of recent seconds. */
typedef struct pg_series_ring {
	pthread_mutex_t lock;
	pg_series_slot slots[PG_SERIES_RING];
	int64_t overruns; /* seconds dropped because the collector fell behind */
} pg_series_ring;

/* Batches of the measured window for within-run noise (batch means, see
 * docs/statistics.md): consecutive spans of `batch_width` whole seconds.
 * There are at most PG_SERIES_BATCHES; when a run outgrows them, adjacent
 * pairs are merged and the width doubles, so memory stays fixed. Counts
 * and latencies are by the second a request completed, as in the rows. */
#define PG_SERIES_BATCHES 64

typedef struct pg_series_batch {
	int64_t succeeded, failed;
	pg_hist *e2e, *ttft; /* coarse (2 significant digits), allocated on first use */
} pg_series_batch;

typedef struct pg_series {
	pg_series_row *rows;
	size_t n, cap;
	int64_t next_second;
	int64_t overruns;
	pg_hist *tmp_e2e, *tmp_ttft;
	int64_t batch_from, batch_to; /* measured seconds [from, to); to may be INT64_MAX */
	int64_t batch_width;          /* seconds per batch, a power of two */
	size_t n_batches;             /* batches that hold data or precede one that does */
	pg_series_batch batches[PG_SERIES_BATCHES];
} pg_series;

/* Creates a ring; free with pg_series_ring_free. */
int pg_series_ring_new(pg_series_ring **out);
void pg_series_ring_free(pg_series_ring *r);
/* Records one event in the slot of `second`. */
void pg_series_ring_record(pg_series_ring *r, int64_t second, const pg_series_event *ev);

/* Creates an empty series; free with pg_series_free. */
int pg_series_new(pg_series **out);
void pg_series_free(pg_series *s);
/* Sets the measured window in whole seconds since the run's start: only
 * seconds in [from, to) go into batches (to = INT64_MAX: open-ended).
 * Call before the first collect. */
void pg_series_set_window(pg_series *s, int64_t from, int64_t to);
/* Appends rows for every second before up_to not yet collected, merging
 * the rings' slots for it. */
int pg_series_collect(pg_series *s, pg_series_ring *const *rings, size_t n_rings, int64_t up_to);

#endif
