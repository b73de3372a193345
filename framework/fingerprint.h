/*
 * The environment fingerprint of a run: where it ran (CPU model, cores,
 * kernel, OS, perfgate version) and what it ran (target URL without
 * secrets, adapter, a hash of the load configuration and one of the
 * workload). A comparison with a baseline whose fingerprint differs is
 * refused unless forced (compare.h).
 */
#ifndef PG_FINGERPRINT_H
#define PG_FINGERPRINT_H

#include <jansson.h>
#include <stdint.h>

#include "suite.h"

/* 64-bit FNV-1a of len bytes, continuing from h (start with
 * PG_FNV_OFFSET). */
#define PG_FNV_OFFSET UINT64_C(0xcbf29ce484222325)
uint64_t pg_fnv1a(uint64_t h, const void *data, size_t len);

/* Builds the fingerprint object of a scenario's run. load_json is the
 * scenario's "load" object as written in results.json (its canonical
 * dump is hashed); target_url must already have its secrets removed.
 * New reference, NULL when out of memory. */
json_t *pg_fingerprint_json(const pg_suite *suite, const json_t *load_json,
			    const char *target_url);

/* Compares a baseline's fingerprint with a run's. Returns 0 when they
 * match on what makes runs comparable; else non-zero with why (which
 * fields differ, old -> new) in reason. Fields missing on either side
 * are ignored. */
int pg_fingerprint_differs(char *reason, size_t size, const json_t *baseline,
			   const json_t *current);

#endif
