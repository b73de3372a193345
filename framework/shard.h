/*
 * Sharding: `perfgate run SUITE --shard I/N` runs share I of N of every
 * scenario's load, so that N machines together send what one would, and
 * writes the mergeable state `perfgate merge` combines exactly. The rules
 * (docs/sharding.md): closed-loop concurrency and request counts are split
 * as evenly as possible (shard I gets the floor or the ceiling), open-loop
 * rates are divided by N, trace arrivals are dealt every N-th from I-1,
 * workload items go to shard k mod N (all items to every shard when there
 * are fewer items than shards), seeds become seed + (I-1) x
 * PG_SHARD_SEED_STEP, a sweep's levels are divided like its load; warmup,
 * duration and cooldown are unchanged.
 */
#ifndef PG_SHARD_H
#define PG_SHARD_H

#include <jansson.h>
#include <stdint.h>

#include "gate.h"
#include "suite.h"

/* Most shards a load is split into. */
#define PG_SHARD_MAX 1000
/* Added to the seed per shard index: odd, so the seeds of different shards
 * of one suite never collide (2^64 / gcd = 2^64 distinct values). */
#define PG_SHARD_SEED_STEP UINT64_C(0x9e3779b97f4a7c15)

typedef struct pg_shard {
	unsigned int index; /* 1..count */
	unsigned int count; /* 1..PG_SHARD_MAX */
} pg_shard;

/* Parses "I/N" (1 <= I <= N <= PG_SHARD_MAX). PG_EINVAL with
 * "--shard 'x': ..." when it is not one. */
int pg_shard_parse(pg_shard *out, const char *text);

/* Shard sh's share of a count (concurrency, requests): total / N, plus one
 * for the first total % N shards. */
int64_t pg_shard_split(int64_t total, const pg_shard *sh);

/* Checks that every scenario (only `scenario` when not NULL) can be split
 * sh->count ways: each shard needs at least one virtual user, one measured
 * request (request-count mode), one sweep user per level and one trace
 * arrival. PG_EINVAL with "--shard I/N: scenario X: ..." otherwise. */
int pg_shard_check(const pg_suite *suite, const pg_shard *sh, const char *scenario);

/* Makes the suite shard sh runs: a shallow copy of whole whose scenarios,
 * loads, sweeps, workload items and quality settings are sh's share. It
 * borrows every string and plugin of whole, which must outlive it; free it
 * with pg_shard_suite_free, never pg_suite_free. */
int pg_shard_suite_new(pg_suite **out, const pg_suite *whole, const pg_shard *sh);
void pg_shard_suite_free(pg_suite *s);

/* After a run of the suite `ran` (from pg_shard_suite_new of whole), points
 * every scenario result back at whole's scenario, so that results and
 * fingerprints describe the whole load, identical in every part. */
void pg_shard_rebind(pg_run_result *run, const pg_suite *ran, const pg_suite *whole);

/* The mergeable state of one run (a scenario's, or one sweep level's):
 * {"recorder", "series", "window_offset_ns", "workers", "warmup_requests",
 * "cooldown_requests", "first_connect_error", "judged", "judge_failures",
 * "judge_error"} plus "recovery" ({"ns": n | null, "reason": s}) when m
 * (may be NULL) has a recovery time. New object in *out. */
int pg_shard_run_to_json(json_t **out, const pg_engine_result *r, const pg_measure *m);

/* One part's run read back by pg_shard_run_from_json. */
typedef struct pg_shard_run {
	pg_engine_result run; /* rec and series owned; clear with pg_engine_result_clear */
	int has_recovery;
	double recovery_ns; /* < 0: never recovered (reason says why) */
	char recovery_reason[160];
} pg_shard_run;

/* Reads pg_shard_run_to_json's object strictly; PG_EPARSE naming the field
 * under path. */
int pg_shard_run_from_json(pg_shard_run *out, const json_t *j, const char *path);

/* Turns a run's results document into a part: adds "shard": {"index",
 * "count"} and moves each scenario's per-repeat "state" (left by
 * `perfgate run --shard` in runs[k]) to "state": {"repeats": [...]}. */
int pg_shard_doc_finish(json_t *doc, const pg_shard *sh);

#endif
