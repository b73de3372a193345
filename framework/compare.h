/*
 * Baseline comparison of one scenario: checks the two runs are comparable
 * (fingerprint), then compares each configured metric of the current
 * run's repeats with the baseline's history (stats.h) and records the
 * verdicts in the scenario's results object. Used by `perfgate run` and
 * `perfgate compare` alike.
 */
#ifndef PG_COMPARE_H
#define PG_COMPARE_H

#include <jansson.h>
#include <stdio.h>

#include "baseline.h"
#include "stats.h"
#include "suite_baseline.h"

typedef enum pg_baseline_status {
	PG_BASELINE_NONE = 0,  /* no comparison was asked for */
	PG_BASELINE_COMPARED,  /* compared metric by metric */
	PG_BASELINE_MISSING,   /* no baseline for this scenario at the base */
	PG_BASELINE_REFUSED,   /* load, workload, target or environment differ */
	PG_BASELINE_ERROR      /* the baseline could not be read (corrupt, shallow clone...) */
} pg_baseline_status;

const char *pg_baseline_status_name(pg_baseline_status s);

/* Where a baseline came from, for the results and messages. */
typedef struct pg_baseline_origin {
	const char *source; /* "git" or "file" */
	const char *ref;    /* the ref as asked or chosen ("merge-base of HEAD and main"), or NULL */
	const char *commit; /* the commit read, or NULL */
	const char *path;   /* file path (repository-relative for git) */
} pg_baseline_origin;

/* Totals over the comparisons of a run. */
typedef struct pg_compare_totals {
	int compared, regressions, improvements, inconclusive, refused, missing, errors;
} pg_compare_totals;

/* Compares scenario (a results.json scenario object, which must carry
 * "runs" and "fingerprint") with baseline b (NULL when missing; then
 * status says why in note) under cfg, and stores "baseline" and
 * "comparisons" in scenario. force: compare even when fingerprints differ.
 * status is what the caller found when it looked for the baseline
 * (COMPARED when b is given). Adds to totals. */
int pg_compare_scenario(json_t *scenario, const pg_baseline *b, pg_baseline_status status,
			const char *note, const pg_baseline_origin *origin,
			const pg_baseline_cfg *cfg, int force, pg_compare_totals *totals);

/* Prints the comparisons stored in a results document's scenarios, most
 * severe first, with colour when color is non-zero. */
void pg_compare_print(FILE *out, const json_t *doc, int color);

/* The exit code the comparisons call for: 1 for a regression (or, with
 * strict, an inconclusive or missing comparison), 2 with strict when a
 * comparison was refused, else 0. */
int pg_compare_exit_code(const pg_compare_totals *t, int strict);

#endif
