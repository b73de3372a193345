/* The suite's `baseline:` section (suite_baseline.h). */
#include "suite_baseline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "requirement.h"
#include "units.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_COMPARED 64

static const char *const section_keys[] = {"confidence", "history", "default_branch", "tolerance",
					   "compare",	 "confirm"};
static const char *const tolerance_keys[] = {"relative", "absolute"};

void pg_baseline_cfg_free(pg_baseline_cfg *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_metrics; i++) {
		free(c->metrics[i].name);
		free(c->metrics[i].file);
	}
	free(c->metrics);
	free(c->default_branch);
	free(c);
}

static int oom(void)
{
	pg_error_set("out of memory");
	return PG_ENOMEM;
}

/* Appends a metric to the list; name is copied. */
static int add_metric(pg_baseline_cfg *c, const char *name, double rel, double abs_tol,
		      const pg_yaml_mark *m)
{
	pg_baseline_metric *bm;
	size_t bad = 0;

	bm = &c->metrics[c->n_metrics];
	memset(bm, 0, sizeof(*bm));
	if (pg_metric_name_parse(&bm->metric, &bm->stat, name, &bad) < 0) {
		if (m != NULL)
			return pg_yaml_fail_prefix(m, PG_EINVAL);
		return PG_EINVAL;
	}
	bm->tol_rel = rel;
	bm->tol_abs = abs_tol;
	bm->name = strdup(name);
	if (bm->name == NULL)
		return oom();
	if (m != NULL) {
		bm->file = m->file != NULL ? strdup(m->file) : NULL;
		bm->line = m->line;
		bm->col = m->col;
	}
	c->n_metrics++;
	return 0;
}

int pg_baseline_cfg_default(pg_baseline_cfg **out)
{
	static const char *const names[] = {"ttft.p95", "e2e.p95", "throughput.rps"};
	pg_baseline_cfg *c = calloc(1, sizeof(*c));
	size_t i;
	int rc = 0;

	*out = NULL;
	if (c == NULL || (c->metrics = calloc(NKEYS(names) + 1, sizeof(*c->metrics))) == NULL) {
		free(c);
		return oom();
	}
	c->confidence = 0.99;
	c->history = 20;
	c->confirm = 1;
	for (i = 0; rc == 0 && i < NKEYS(names); i++)
		rc = add_metric(c, names[i], 0.10, NAN, NULL);
	if (rc == 0)
		rc = add_metric(c, "errors.rate", NAN, 0.01, NULL);
	if (rc < 0) {
		pg_baseline_cfg_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* An absolute tolerance in the metric's unit: "20ms" for times, "0.5%"
 * for rates, a bare number otherwise. */
static int absolute_tolerance(double *out, const pg_yaml_node *n, const pg_metric_def *def)
{
	pg_quantity q;
	const char *text;
	int rc;

	if ((rc = pg_yaml_string(&text, n, "absolute")) < 0)
		return rc;
	if (pg_quantity_parse(&q, text) < 0)
		return pg_yaml_fail_prefix(&n->mark, PG_EINVAL);
	if (!pg_metric_accepts(def, q.kind) || q.value < 0)
		return pg_yaml_fail(&n->mark, PG_EINVAL,
				    "'%s' is not a tolerance for %s (its unit is %s)", text,
				    def->name, def->unit == PG_MU_NS ? "a duration such as 20ms"
				    : def->unit == PG_MU_RATIO ? "a percentage such as 0.5%"
							       : "a non-negative number");
	*out = q.value;
	return 0;
}

/* A relative tolerance: "5%" or a fraction, in [0, 10]. */
static int relative_tolerance(double *out, const pg_yaml_node *n, const char *what)
{
	pg_quantity q;
	const char *text;
	int rc;

	if ((rc = pg_yaml_string(&text, n, what)) < 0)
		return rc;
	if (pg_quantity_parse(&q, text) < 0)
		return pg_yaml_fail_prefix(&n->mark, PG_EINVAL);
	if ((q.kind != PG_UNIT_PERCENT && q.kind != PG_UNIT_NONE) || q.value < 0 || q.value > 10)
		return pg_yaml_fail(&n->mark, PG_EINVAL,
				    "%s must be a percentage such as 5%%, got '%s'", what, text);
	*out = q.value;
	return 0;
}

/* One `compare:` entry: `metric: 5%` or `metric: {relative:, absolute:}`. */
static int load_entry(pg_baseline_cfg *c, const pg_yaml_pair *p, double default_rel)
{
	const char *name = p->key->value;
	const pg_yaml_node *v = p->value;
	double rel = default_rel, abs_tol = NAN;
	const pg_yaml_node *n;
	pg_baseline_metric *bm;
	size_t i;
	int rc;

	for (i = 0; i < c->n_metrics; i++)
		if (strcmp(c->metrics[i].name, name) == 0)
			return pg_yaml_fail(&p->key->mark, PG_EINVAL,
					    "'%s' is compared twice", name);
	if ((rc = add_metric(c, name, NAN, NAN, &p->key->mark)) < 0)
		return rc;
	bm = &c->metrics[c->n_metrics - 1];
	if (v == NULL || pg_yaml_is_null(v)) {
		/* `ttft.p95:` alone: the section's tolerance */
	} else if (v->kind == PG_YAML_SCALAR) {
		pg_quantity q;

		if (pg_quantity_parse(&q, v->value) == 0 && q.kind == PG_UNIT_PERCENT &&
		    bm->metric->unit != PG_MU_RATIO) {
			if ((rc = relative_tolerance(&rel, v, "the tolerance")) < 0)
				return rc;
		} else {
			/* a value in the metric's own unit ("20ms") is absolute; for
			 * ratios write {relative:} or {absolute:} to be explicit */
			if (bm->metric->unit == PG_MU_RATIO)
				return pg_yaml_fail(&v->mark, PG_EINVAL,
						    "write {relative: X%%} or {absolute: X%%} for "
						    "%s: a bare percentage is ambiguous for a rate",
						    name);
			if ((rc = absolute_tolerance(&abs_tol, v, bm->metric)) < 0)
				return rc;
			rel = NAN;
		}
	} else {
		if ((rc = pg_yaml_want(v, PG_YAML_MAP, name)) < 0 ||
		    (rc = pg_yaml_check_keys(v, tolerance_keys, NKEYS(tolerance_keys),
					     "in a compared metric")) < 0)
			return rc;
		rel = NAN;
		if ((n = pg_yaml_opt(v, "relative")) != NULL &&
		    (rc = relative_tolerance(&rel, n, "relative")) < 0)
			return rc;
		if ((n = pg_yaml_opt(v, "absolute")) != NULL &&
		    (rc = absolute_tolerance(&abs_tol, n, bm->metric)) < 0)
			return rc;
		if (isnan(rel) && isnan(abs_tol))
			return pg_yaml_fail(&v->mark, PG_EINVAL,
					    "give 'relative', 'absolute' or both for %s", name);
	}
	bm->tol_rel = rel;
	bm->tol_abs = abs_tol;
	return 0;
}

int pg_baseline_cfg_from_yaml(pg_baseline_cfg **out, const pg_yaml_node *map)
{
	pg_baseline_cfg *c = NULL;
	const pg_yaml_node *n, *cmp;
	double default_rel = 0.05;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = pg_yaml_want(map, PG_YAML_MAP, "baseline")) < 0 ||
	    (rc = pg_yaml_check_keys(map, section_keys, NKEYS(section_keys), "in 'baseline'")) < 0)
		return rc;
	if ((rc = pg_baseline_cfg_default(&c)) < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "confidence")) != NULL) {
		if ((rc = pg_yaml_fraction(&c->confidence, n, "confidence")) < 0)
			goto done;
		if (c->confidence < 0.5 || c->confidence >= 1) {
			rc = pg_yaml_fail(&n->mark, PG_EINVAL,
					  "confidence must be at least 50%% and below 100%%");
			goto done;
		}
	}
	if ((n = pg_yaml_opt(map, "history")) != NULL) {
		int64_t h;

		if ((rc = pg_yaml_int(&h, n, "history", 1, 1000)) < 0)
			goto done;
		c->history = (int)h;
	}
	if ((n = pg_yaml_opt(map, "confirm")) != NULL &&
	    (rc = pg_yaml_bool(&c->confirm, n, "confirm")) < 0)
		goto done;
	if ((n = pg_yaml_opt(map, "default_branch")) != NULL) {
		const char *b;

		if ((rc = pg_yaml_string(&b, n, "default_branch")) < 0)
			goto done;
		if (b[0] == '\0' || b[0] == '-') {
			rc = pg_yaml_fail(&n->mark, PG_EINVAL, "default_branch: not a branch name");
			goto done;
		}
		if ((c->default_branch = strdup(b)) == NULL) {
			rc = oom();
			goto done;
		}
	}
	if ((n = pg_yaml_opt(map, "tolerance")) != NULL &&
	    (rc = relative_tolerance(&default_rel, n, "tolerance")) < 0)
		goto done;
	if ((cmp = pg_yaml_opt(map, "compare")) != NULL) {
		if ((rc = pg_yaml_want(cmp, PG_YAML_MAP, "compare")) < 0)
			goto done;
		if (cmp->n == 0 || cmp->n > MAX_COMPARED) {
			rc = pg_yaml_fail(&cmp->mark, PG_EINVAL,
					  "compare: list 1 to %d metrics", MAX_COMPARED);
			goto done;
		}
		for (i = 0; i < c->n_metrics; i++) {
			free(c->metrics[i].name);
			free(c->metrics[i].file);
		}
		free(c->metrics);
		c->n_metrics = 0;
		if ((c->metrics = calloc(cmp->n, sizeof(*c->metrics))) == NULL) {
			rc = oom();
			goto done;
		}
		for (i = 0; rc == 0 && i < cmp->n; i++)
			rc = load_entry(c, &cmp->pairs[i], default_rel);
	} else if (pg_yaml_opt(map, "tolerance") != NULL) {
		for (i = 0; i < c->n_metrics; i++)
			if (!isnan(c->metrics[i].tol_rel))
				c->metrics[i].tol_rel = default_rel;
	}
done:
	if (rc < 0) {
		pg_baseline_cfg_free(c);
		return rc;
	}
	*out = c;
	return 0;
}
