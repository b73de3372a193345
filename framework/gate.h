/*
 * Gate: evaluates each scenario's requirements against what was measured
 * and gives the run its verdict.
 */
#ifndef PG_GATE_H
#define PG_GATE_H

#include "analysis.h"
#include "engine.h"
#include "metrics.h"
#include "recorder.h"
#include "suite.h"

typedef struct pg_req_result {
	const pg_requirement *req;
	int has_value;    /* 0: the metric had no value (reason says why) */
	double measured;  /* canonical unit */
	int met;
	char reason[256];
} pg_req_result;

typedef struct pg_scenario_result {
	const pg_scenario *scenario;
	pg_engine_result run;    /* owned; for a sweep, the knee level's run (or the
				  * first level's when even it broke a limit) */
	pg_measure measure;      /* run.rec plus capacity and recovery */
	pg_sweep_level *levels;  /* owned; one per sweep level, NULL if no sweep */
	size_t n_levels;
	long knee;               /* index into levels, -1 if none */
	char knee_reason[256];
	struct json_t *runs;     /* owned reference: per-repeat {"estimates", "windows"}
				  * (estimate.h), NULL before the run */
	pg_req_result *reqs;     /* owned, n_reqs == scenario->n_reqs */
	size_t n_reqs;
	int pass;
} pg_scenario_result;

typedef struct pg_run_result {
	const pg_suite *suite;
	char target[512];        /* target URL without credentials or query secrets */
	char started_at[32];     /* UTC, ISO 8601 */
	pg_scenario_result *scenarios; /* owned */
	size_t n_scenarios;
	int pass;
} pg_run_result;

/* Evaluates sr->scenario's requirements against sr->measure; fills sr->reqs and
 * sr->pass. A requirement whose metric has no value is failed. */
int pg_gate_evaluate(pg_scenario_result *sr);
/* Sets run->pass from its scenarios. */
void pg_gate_verdict(pg_run_result *run);
/* Frees what the run owns (not the suite) and zeroes it. */
void pg_run_result_clear(pg_run_result *run);
/* Signed headroom of a requirement in display units: limit - measured for
 * < and <=, measured - limit for > and >= (negative when failed). */
double pg_gate_margin(const pg_req_result *rr);

#endif
