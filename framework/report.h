/*
 * Reporters: the console table and results.json (schema perfgate-results/1,
 * documented in docs/results.md).
 */
#ifndef PG_REPORT_H
#define PG_REPORT_H

#include <stdio.h>

#include "gate.h"

/* Prints the result table of a run; colour only when color is non-zero. */
void pg_report_console(FILE *out, const pg_run_result *run, int color);
/* Writes DIR/results.json atomically (temp file + rename), creating DIR
 * if needed. Secret header values never appear in it. */
int pg_report_json_write(const char *dir, const pg_run_result *run);
/* Writes the results document to path atomically. */
int pg_report_json_write_file(const char *path, const pg_run_result *run);
/* Builds the results document; the caller owns the reference (json_decref).
 * Returns NULL when out of memory. */
struct json_t *pg_report_json_build(const pg_run_result *run);

#endif
