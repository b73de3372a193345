/*
 * Load engine: runs one load (closed loop, open loop or trace replay)
 * against a target with one event loop per worker thread. Each worker owns
 * an adapter instance, a transport instance, a recorder and a series ring;
 * they are merged when the run ends.
 */
#ifndef PG_ENGINE_H
#define PG_ENGINE_H

#include <stdatomic.h>
#include <stdio.h>

#include "perfgate/plugin.h"
#include "recorder.h"
#include "series.h"
#include "suite.h"

/* Where a run is, as reported to pg_engine_opts.progress about once a
 * second. The counts cover every request of the run, warmup and cooldown
 * included; the percentiles cover the measured window collected so far
 * (which lags the clock by a second or two). */
typedef struct pg_progress {
	pg_ns elapsed;            /* since the run's start, warmup included */
	pg_ns planned;            /* warmup + duration + cooldown; 0: unknown (request count) */
	int64_t planned_requests; /* request-count mode: measured requests to make; else 0 */
	int64_t measured_started; /* request-count mode: of those, started so far */
	int phase;                /* PG_PROGRESS_WARMUP, _MEASURED or _COOLDOWN */
	int64_t sent;             /* requests handed to the transport */
	int64_t completed;        /* requests that ended (succeeded or failed) */
	int64_t failed;           /* of those, failures */
	int64_t in_flight;        /* outstanding now */
	double rps;               /* completions per second since the previous report */
	double e2e_p95, ttft_p95; /* ns over the measured window so far; NaN: none yet */
} pg_progress;

enum { PG_PROGRESS_WARMUP = 0, PG_PROGRESS_MEASURED = 1, PG_PROGRESS_COOLDOWN = 2 };

typedef struct pg_engine_opts {
	unsigned int version;
	const pg_suite *suite;       /* target headers and workload */
	const pg_scenario *scenario; /* goodput objectives */
	const pg_load *load;         /* the load to run (a sweep passes each level's) */
	const char *base_url;        /* resolved target base URL (mock:// replaced) */
	const pg_host_api *host;
	const pg_plugin_desc *adapter;    /* one instance is made per worker */
	const pg_options *adapter_options;
	const pg_plugin_desc *transport;  /* one instance per worker */
	const pg_options *transport_options;
	unsigned int workers;        /* event-loop threads, >= 1 */
	FILE *request_log;           /* NULL, or one line per measured request (see
				      * docs/results.md); written from every worker */
	/* ---- version 3 ---- */
	/* Called on the main thread about once a second while the load runs
	 * (NULL: never); p is valid during the call only. */
	void (*progress)(void *ctx, const pg_progress *p);
	void *progress_ctx;
	/* NULL, or a flag (set by a signal handler, progress.h) that stops the
	 * run within a fraction of a second once non-zero: no request is sent
	 * any more, measured requests in flight are abandoned and counted in
	 * rec->cancelled, and the result is marked interrupted. */
	const atomic_int *interrupt;
} pg_engine_opts;

#define PG_ENGINE_OPTS_VERSION 3
#define PG_ENGINE_OPTS_INIT                                                                        \
	{                                                                                          \
		PG_ENGINE_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1,   \
		    NULL, NULL, NULL, NULL                                                         \
	}

/* One successful measured answer kept for grading after the run. */
typedef struct pg_answer {
	size_t item;   /* index into the suite's workload.items */
	char *text;    /* the generated text (malloc'd, NUL-terminated), capped at
			* quality.max_answer_bytes */
	size_t len;
	int truncated; /* the answer was longer than the cap */
} pg_answer;

/* What a run measured. Owned by the caller; release with
 * pg_engine_result_clear. */
typedef struct pg_engine_result {
	pg_recorder *rec;   /* merged over workers */
	pg_series *series;  /* one row per second of the run */
	pg_ns window_offset; /* start of the measured window from the run's start */
	unsigned int workers;
	int64_t warmup_requests;   /* sent during warmup, not measured */
	int64_t cooldown_requests; /* sent during cooldown, not measured */
	int64_t nofile_limit;      /* RLIMIT_NOFILE in force */
	int generator_bound;       /* more than 1% of measured sends were late */
	char first_connect_error[256];
	/* An after-run scorer's input (PG_SCORER_AFTER_RUN; workers grade
	 * nothing then): a uniform random sample, drawn with the load's seed,
	 * of at most quality.sample successful measured answers, and how many
	 * answers it was drawn from. */
	pg_answer *sample; /* owned */
	size_t n_sample;
	int64_t sample_seen;
	/* Set by pg_judge_run once the sample was graded (judge_run.h). */
	int judged;
	int64_t judge_failures;  /* sampled answers left ungraded: the scorer failed */
	char judge_error[256];   /* the first failure's message */
	/* The run was stopped by pg_engine_opts.interrupt: rec holds what was
	 * measured until then (rec->cancelled: measured requests abandoned in
	 * flight) and the measured window ends when the workers stopped. */
	int interrupted;
	pg_ns interrupted_at; /* when the interrupt was seen, from the run's start */
} pg_engine_result;

/* Runs the load to completion (or until opts->interrupt) and fills *out. Returns PG_EIO (with a
 * message) when the run could not be carried out: plugin instances could
 * not be created, threads could not start, or a request could not be
 * built or handed to the transport. */
int pg_engine_run(pg_engine_result *out, const pg_engine_opts *opts);
void pg_engine_result_clear(pg_engine_result *r);

#endif
