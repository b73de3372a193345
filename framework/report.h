/*
 * Reporters: the console table and results.json (schema perfgate-results/1,
 * documented in docs/results.md).
 */
#ifndef PG_REPORT_H
#define PG_REPORT_H

#include <stdio.h>

#include "gate.h"

/* One point of the quality/latency trade-off: a scenario, or one level of
 * a sweep. */
typedef struct pg_tradeoff_point {
	char label[160];
	double e2e_p95;  /* ns */
	double quality;  /* quality.score */
	int pareto;      /* no other point has both lower p95 and higher quality */
} pg_tradeoff_point;

/* Collects the points of a run whose suite grades quality; *out is
 * malloc'd (free()), *n may be 0. */
int pg_report_tradeoff(pg_tradeoff_point **out, size_t *n, const pg_run_result *run);
/* Prints the result table of a run; colour only when color is non-zero. */
void pg_report_console(FILE *out, const pg_run_result *run, int color);
/* Writes DIR/results.json atomically (temp file + rename), creating DIR
 * if needed. Secret header values never appear in it. */
int pg_report_json_write(const char *dir, const pg_run_result *run);
/* Writes the results document to path atomically. */
int pg_report_json_write_file(const char *path, const pg_run_result *run);
/* Writes a results document (or any JSON) to path atomically, with the
 * same formatting as results.json. */
int pg_report_json_write_doc(const char *path, const struct json_t *doc);
/* Builds the results document; the caller owns the reference (json_decref).
 * Returns NULL when out of memory. */
struct json_t *pg_report_json_build(const pg_run_result *run);

#endif
