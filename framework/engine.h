/*
 * Load engine: drives one scenario's load against a target through an
 * adapter plugin, using the libcurl multi interface on a libevent loop,
 * and records what it measured into a recorder.
 */
#ifndef PG_ENGINE_H
#define PG_ENGINE_H

#include "perfgate/plugin.h"
#include "recorder.h"
#include "suite.h"

typedef struct pg_engine_opts {
	unsigned int version;
	const pg_suite *suite;       /* target headers and workload */
	const pg_scenario *scenario; /* load and timeout */
	const char *base_url;        /* resolved target base URL (mock:// replaced) */
	const pg_host_api *host;     /* frees what the adapter allocates */
	void *adapter;               /* adapter instance (from its create op) */
	const pg_adapter_ops *ops;   /* the adapter's operations */
} pg_engine_opts;

#define PG_ENGINE_OPTS_VERSION 1
#define PG_ENGINE_OPTS_INIT { PG_ENGINE_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL }

/* What the run looked like beyond the recorder's numbers. */
typedef struct pg_engine_report {
	int64_t warmup_requests;  /* requests started during warmup */
	int64_t drained;          /* measured requests still in flight at stop */
	char first_connect_error[256]; /* curl's message for the first connect failure */
} pg_engine_report;

/* Runs the scenario to completion. *out_rec is a new recorder the caller
 * frees with pg_recorder_free. Returns PG_EIO when the run could not be
 * carried out (e.g. libcurl/libevent setup failed). */
int pg_engine_run(pg_recorder **out_rec, pg_engine_report *report, const pg_engine_opts *opts);

#endif
