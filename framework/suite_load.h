/*
 * Internal to the suite loader: a scenario's `load:`, `sweep:` and
 * `goodput:` sections, read from the YAML tree into suite.h's structs.
 * Every error names the node's file:line:col (or a trace file's
 * path:line) and is returned before anything runs.
 */
#ifndef PG_SUITE_LOAD_H
#define PG_SUITE_LOAD_H

#include "suite.h"
#include "yaml_tree.h"

/* Bounds of the load models. */
#define PG_LOAD_MAX_CONCURRENCY 100000
#define PG_LOAD_MAX_RATE 10000000.0 /* arrivals per second */
#define PG_LOAD_MAX_STAGES 10000    /* after `steps` and `spike` are expanded */
#define PG_LOAD_MAX_IN_FLIGHT 10000000
#define PG_LOAD_DEFAULT_IN_FLIGHT 10000
#define PG_LOAD_MAX_BURSTINESS 100.0
#define PG_SWEEP_MAX_LEVELS 1000

/* Fills ld (zeroed by the caller) from a scenario's `load:` mapping. A
 * trace path is taken relative to the directory of suite_path and the
 * trace is read here. On failure ld may hold allocations: release them
 * with pg_load_clear. PG_EIO for an unreadable trace, PG_EINVAL otherwise. */
int pg_load_from_yaml(pg_load *ld, const pg_yaml_node *map, const char *suite_path);
/* Frees the stages, trace path and trace times of ld and zeroes them. */
void pg_load_clear(pg_load *ld);

/* Reads a scenario's `sweep:` mapping into a new *out (free with
 * pg_sweep_free), checking it against the scenario's load (ld, read from
 * load_map). */
int pg_sweep_from_yaml(pg_sweep **out, const pg_yaml_node *map, const pg_load *ld,
		       const pg_yaml_node *load_map);
void pg_sweep_free(pg_sweep *sw);

/* Reads a scenario's `goodput:` mapping into *out. */
int pg_slo_from_yaml(pg_slo *out, const pg_yaml_node *map);

#endif
