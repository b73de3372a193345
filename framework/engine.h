/*
 * Load engine: runs one load (closed loop, open loop or trace replay)
 * against a target with one event loop per worker thread. Each worker owns
 * an adapter instance, a transport instance, a recorder and a series ring;
 * they are merged when the run ends.
 */
#ifndef PG_ENGINE_H
#define PG_ENGINE_H

#include <stdio.h>

#include "perfgate/plugin.h"
#include "recorder.h"
#include "series.h"
#include "suite.h"

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
} pg_engine_opts;

#define PG_ENGINE_OPTS_VERSION 2
#define PG_ENGINE_OPTS_INIT                                                                        \
	{ PG_ENGINE_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, NULL }

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
} pg_engine_result;

/* Runs the load to completion and fills *out. Returns PG_EIO (with a
 * message) when the run could not be carried out: plugin instances could
 * not be created, threads could not start, or a request could not be
 * built or handed to the transport. */
int pg_engine_run(pg_engine_result *out, const pg_engine_opts *opts);
void pg_engine_result_clear(pg_engine_result *r);

#endif
