/*
 * The checks of a results document, flattened for the CI reports: every
 * requirement and every baseline comparison of every scenario, in document
 * order, with its status and the texts each report shows.
 */
#ifndef PG_REPORT_CHECKS_H
#define PG_REPORT_CHECKS_H

#include <jansson.h>
#include <stddef.h>

#include "perfgate/common.h"

typedef enum pg_check_kind { PG_CHECK_REQUIREMENT = 0, PG_CHECK_COMPARISON = 1 } pg_check_kind;

/* Ordered by severity (reports sort on it, most severe first). */
typedef enum pg_check_status {
	PG_CHECK_FAILED = 0,	   /* requirement failed, or regression */
	PG_CHECK_INCONCLUSIVE = 1, /* comparison could not decide */
	PG_CHECK_PASSED = 2	   /* requirement met, pass or improvement */
} pg_check_status;

/* One check. Strings are owned by the pg_checks that holds it; borrowed
 * pointers are into the results document. */
typedef struct pg_check {
	size_t scenario_index;
	const char *scenario; /* borrowed: scenario name ("" when missing) */
	const json_t *item;   /* borrowed: the requirement or comparison */
	pg_check_kind kind;
	pg_check_status status;
	const char *verdict; /* borrowed: "met", "failed", "regression", ... */
	const char *file;    /* borrowed: suite file or NULL */
	long line, col;	     /* 0 when unknown */
	char *title;	     /* "ttft.p95 < 300ms" or "baseline: ttft.p95" */
	char *name;	     /* "requirement: ttft.p95 < 300ms" or "baseline: ttft.p95" */
	char *metric;	     /* "ttft.p95" */
	char *measured;	     /* "412 ms" (current value for comparisons), "n/a" */
	char *expected;	     /* "< 300 ms" or "baseline 120.1 ms" */
	char *delta;	     /* "margin -112 ms" or "+30.2 ms (+25.1%), 99% CI [..]" */
	char *where;	     /* "suite.yaml:28:9" or "" */
	char *message; /* one line, e.g. "ttft.p95 = 412 ms, limit < 300 ms (suite.yaml:28:9)" */
	char *detail;  /* several "key: value" lines */
} pg_check;

typedef struct pg_checks {
	pg_check *v;
	size_t n;
	size_t failed, inconclusive, passed;
	size_t n_scenarios;
} pg_checks;

/* Collects the checks of a results document into *out (zeroed first);
 * release with pg_checks_free. PG_EINVAL when results is not an object. */
int pg_checks_collect(pg_checks *out, const json_t *results);
void pg_checks_free(pg_checks *c);

/* Small accessors over the document. obj[key] as a string, or fallback
 * when absent or not a string (obj may be NULL). */
const char *pg_report_jstr(const json_t *obj, const char *key, const char *fallback);
/* obj[key] as a number (integer or real); NaN when absent or null. */
double pg_report_jnum(const json_t *obj, const char *key);
/* obj[k1][k2]... for a NULL-terminated list of keys; NaN when absent. */
double pg_report_jnum_path(const json_t *obj, ...) __attribute__((sentinel));

#endif
