/* The suite's `cost:` section. */
#include "cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "units.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const cost_keys[] = {"instance", "tokens"};
static const char *const instance_keys[] = {"usd_per_hour", "instances"};
static const char *const token_keys[] = {"input_usd_per_1m", "output_usd_per_1m"};

/* A non-negative amount of dollars: "$4.10", "4.10 USD" or a bare 4.10. */
static int money(double *out, const pg_yaml_node *n, const char *what)
{
	pg_quantity q;
	char got[64];

	if (n->kind != PG_YAML_SCALAR || pg_yaml_is_null(n))
		return pg_yaml_fail(&n->mark, PG_EINVAL,
				    "%s needs an amount of dollars such as $4.10, got %s", what,
				    pg_yaml_describe(got, sizeof(got), n));
	if (pg_quantity_parse(&q, n->value) < 0) {
		char msg[512];

		/* copied: pg_yaml_fail rewrites the buffer pg_error_last() points at */
		snprintf(msg, sizeof(msg), "%s", pg_error_last());
		return pg_yaml_fail(&n->mark, PG_EINVAL, "%s: %s", what, msg);
	}
	if (q.kind != PG_UNIT_USD && q.kind != PG_UNIT_NONE)
		return pg_yaml_fail(&n->mark, PG_EINVAL,
				    "%s needs an amount of dollars such as $4.10, got '%s'", what,
				    n->value);
	if (q.value > 1e9)
		return pg_yaml_fail(&n->mark, PG_EINVAL, "%s: %s is not a plausible price", what,
				    n->value);
	*out = q.value;
	return 0;
}

int pg_cost_from_yaml(pg_cost **out, const pg_yaml_node *map)
{
	const pg_yaml_node *inst, *tok, *n;
	pg_cost *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	rc = pg_yaml_want(map, PG_YAML_MAP, "cost");
	if (rc == 0)
		rc = pg_yaml_check_keys(map, cost_keys, NKEYS(cost_keys), "in 'cost'");
	if (rc == 0 && map->n == 0)
		rc = pg_yaml_fail(&map->mark, PG_EINVAL,
				  "'cost' needs 'instance' pricing, 'tokens' pricing or both");
	if (rc == 0 && (inst = pg_yaml_opt(map, "instance")) != NULL) {
		c->has_instance = 1;
		c->instances = 1;
		rc = pg_yaml_want(inst, PG_YAML_MAP, "instance");
		if (rc == 0)
			rc = pg_yaml_check_keys(inst, instance_keys, NKEYS(instance_keys),
						"in 'instance'");
		if (rc == 0)
			rc = pg_yaml_require(&n, inst, "usd_per_hour", "in 'instance'");
		if (rc == 0)
			rc = money(&c->usd_per_hour, n, "usd_per_hour");
		if (rc == 0 && (n = pg_yaml_opt(inst, "instances")) != NULL)
			rc = pg_yaml_int(&c->instances, n, "instances", 1, 1000000);
	}
	if (rc == 0 && (tok = pg_yaml_opt(map, "tokens")) != NULL) {
		c->has_tokens = 1;
		rc = pg_yaml_want(tok, PG_YAML_MAP, "tokens");
		if (rc == 0)
			rc = pg_yaml_check_keys(tok, token_keys, NKEYS(token_keys), "in 'tokens'");
		if (rc == 0 && tok->n == 0)
			rc = pg_yaml_fail(&tok->mark, PG_EINVAL,
					  "'tokens' needs input_usd_per_1m, output_usd_per_1m or both");
		if (rc == 0 && (n = pg_yaml_opt(tok, "input_usd_per_1m")) != NULL)
			rc = money(&c->usd_per_1m_input, n, "input_usd_per_1m");
		if (rc == 0 && (n = pg_yaml_opt(tok, "output_usd_per_1m")) != NULL)
			rc = money(&c->usd_per_1m_output, n, "output_usd_per_1m");
	}
	if (rc < 0) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}
