/*
 * Internal to framework/baseline.c and baseline_validate.c (not a public
 * API): checks of perfgate-baseline/1 documents and of the results.json
 * pieces that enter them. Every check returns 0 or the context's code and
 * sets "origin: json.path: message" with pg_error_set.
 */
#ifndef PG_BASELINE_VALIDATE_H
#define PG_BASELINE_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#include "stats.h"

/* Longest JSON path kept for messages ("history[3].estimates.ttft.p95.value"). */
#define JPATH_MAX 256

/* Where validation messages start and which code a failure returns. */
typedef struct pg_baseline_vctx {
	const char *origin;
	int code;
} pg_baseline_vctx;

/* Sets "origin: path: message" ("origin: message" for path "") and
 * returns c->code. */
int pg_baseline_fail(const pg_baseline_vctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "missing" when v is NULL, else "expected <want>, got <what v is>". */
int pg_baseline_wrong(const pg_baseline_vctx *c, const char *path, const json_t *v,
		      const char *want);
/* "an object", "a string", ... for messages. */
const char *pg_baseline_type_name(const json_t *v);
/* dst (JPATH_MAX bytes) = parent.key, or key when parent is "". */
void pg_baseline_join(char *dst, const char *parent, const char *key);
/* dst (JPATH_MAX bytes) = parent[i]. */
void pg_baseline_join_index(char *dst, const char *parent, size_t i);
/* *out = obj.key, which must be a string (non-empty when nonempty);
 * borrowed from obj. */
int pg_baseline_get_str(const char **out, const pg_baseline_vctx *c, const json_t *obj,
			const char *path, const char *key, int nonempty);

/* 4..64 lowercase hex digits. */
int pg_baseline_is_commit(const char *s);
/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
int pg_baseline_is_timestamp(const char *s);

/* The environment fingerprint of a run. */
int pg_baseline_check_fingerprint(const pg_baseline_vctx *c, const json_t *fp, const char *path);
/* A scenario metrics object: every "<name>.histogram" must decode. */
int pg_baseline_check_metrics(const pg_baseline_vctx *c, const json_t *m, const char *path);
/* One estimate {"value", "within_var", "within_df", "unit"}; *out (may be
 * NULL) gets it with NaN within_var and 0 within_df when unknown. */
int pg_baseline_check_estimate(pg_run_estimate *out, const pg_baseline_vctx *c, const json_t *e,
			       const char *path);
/* One run's {"seconds", "values": {metric: [number|null...]}}; the non-empty
 * arrays must have equal lengths. */
int pg_baseline_check_windows(const pg_baseline_vctx *c, const json_t *w, const char *path);
/* A whole perfgate-baseline/1 document. */
int pg_baseline_check_document(const pg_baseline_vctx *c, const json_t *doc);

#endif
