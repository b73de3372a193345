/*
 * Mergeable state as JSON: a recorder (every histogram, counter and bucket)
 * and a per-second series (rows and batches), written by
 * `perfgate run --shard` and read back by `perfgate merge`
 * (docs/sharding.md). Reading is strict: a missing, unknown, mistyped or
 * out-of-range field is refused with PG_EPARSE and a message that names
 * the field's path ("<path>.counters.started: ...").
 */
#ifndef PG_RECORDER_JSON_H
#define PG_RECORDER_JSON_H

#include <jansson.h>

#include "recorder.h"
#include "series.h"

/* Version of the recorder and series objects. */
#define PG_RECORDER_JSON_VERSION 1

/* Serializes r into a new JSON object (*out, the caller json_decref's it).
 * The round trip through pg_recorder_from_json is exact, window included. */
int pg_recorder_to_json(json_t **out, const pg_recorder *r);
/* Rebuilds a recorder from pg_recorder_to_json's object; path names j in
 * messages. Free *out with pg_recorder_free. */
int pg_recorder_from_json(pg_recorder **out, const json_t *j, const char *path);

/* Serializes a series: its rows (counts and per-second percentiles) and
 * its batches (counts and coarse histograms). New object in *out. */
int pg_series_to_json(json_t **out, const pg_series *s);
/* Rebuilds a series from pg_series_to_json's object; free *out with
 * pg_series_free. */
int pg_series_from_json(pg_series **out, const json_t *j, const char *path);
/* Adds src into dst as if both had run at once: rows are matched by
 * second and their counts summed (in_flight too: an upper bound of the
 * most in flight); a row's percentiles survive only when a single side
 * completed requests in that second, else they become NaN (percentiles do
 * not add). Batches are matched after folding the narrower side to the
 * wider width; both must start at the same second (PG_EINVAL otherwise). */
int pg_series_merge(pg_series *dst, const pg_series *src);

#endif
