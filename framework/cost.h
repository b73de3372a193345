/*
 * Cost models: what serving the measured load costs, from instance pricing
 * (dollars per hour for the fleet serving the target) and/or token pricing
 * (dollars per million input and output tokens). Formulas are in
 * metrics.c with the cost.* metrics.
 */
#ifndef PG_COST_H
#define PG_COST_H

#include "yaml_tree.h"

typedef struct pg_cost {
	int has_instance;
	double usd_per_hour;  /* per instance */
	int64_t instances;
	int has_tokens;
	double usd_per_1m_input;
	double usd_per_1m_output;
} pg_cost;

/* Parses the suite's `cost:` mapping:
 *   cost:
 *     instance: {usd_per_hour: 4.10, instances: 2}
 *     tokens: {input_usd_per_1m: 0.50, output_usd_per_1m: 1.50}
 * Amounts may be written "$4.10" or 4.10. *out is malloc'd (free()). */
int pg_cost_from_yaml(pg_cost **out, const pg_yaml_node *map);

#endif
