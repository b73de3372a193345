/* Requirements and baseline comparisons flattened into checks for the CI
 * reports, each with the texts the reports show. */
#include "report_checks.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_text.h"

const char *pg_report_jstr(const json_t *obj, const char *key, const char *fallback)
{
	const json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : fallback;
}

double pg_report_jnum(const json_t *obj, const char *key)
{
	const json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;

	return json_is_number(v) ? json_number_value(v) : NAN;
}

double pg_report_jnum_path(const json_t *obj, ...)
{
	const json_t *v = obj;
	const char *key;
	va_list ap;

	va_start(ap, obj);
	while (v != NULL && (key = va_arg(ap, const char *)) != NULL)
		v = json_object_get(v, key);
	va_end(ap);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Appends v in unit the way people read it ("412 ms", "0.1%", "53.3/s"). */
static void put_value(pg_rtext *t, double v, const char *unit, int sign)
{
	char num[64];

	if (isnan(v)) {
		pg_rtext_puts(t, "n/a");
		return;
	}
	pg_num_human(num, sizeof(num), v);
	if (sign && v > 0)
		pg_rtext_putc(t, '+');
	pg_rtext_puts(t, num);
	if (unit == NULL || unit[0] == '\0')
		return;
	if (strcmp(unit, "%") != 0 && unit[0] != '/')
		pg_rtext_putc(t, ' ');
	pg_rtext_puts(t, unit);
}

static void put_where(pg_rtext *t, const pg_check *c)
{
	if (c->file == NULL)
		return;
	pg_rtext_puts(t, c->file);
	if (c->line > 0) {
		pg_rtext_printf(t, ":%ld", c->line);
		if (c->col > 0)
			pg_rtext_printf(t, ":%ld", c->col);
	}
}

static long int_field(const json_t *o, const char *key)
{
	double v = pg_report_jnum(o, key);

	return isnan(v) || v < 0 || v > 1e9 ? 0 : (long)v;
}

static int requirement_texts(pg_check *c)
{
	const json_t *r = c->item;
	const char *unit = pg_report_jstr(r, "unit", "");
	const char *op = pg_report_jstr(r, "op", "");
	const char *expr = pg_report_jstr(r, "expr", NULL);
	const char *metric = pg_report_jstr(r, "metric", NULL);
	const char *stat = pg_report_jstr(r, "stat", NULL);
	const char *reason = pg_report_jstr(r, "reason", NULL);
	double measured = pg_report_jnum(r, "measured"), limit = pg_report_jnum(r, "limit");
	double margin = pg_report_jnum(r, "margin");
	pg_rtext t = PG_RTEXT_INIT;
	int rc;

	if (metric != NULL && stat != NULL)
		pg_rtext_printf(&t, "%s.%s", metric, stat);
	else
		pg_rtext_puts(&t, metric != NULL ? metric : expr != NULL ? expr : "?");
	if ((rc = pg_rtext_finish(&c->metric, &t)) < 0)
		return rc;
	pg_rtext_puts(&t, expr != NULL ? expr : c->metric);
	if ((rc = pg_rtext_finish(&c->title, &t)) < 0)
		return rc;
	pg_rtext_printf(&t, "requirement: %s", c->title);
	if ((rc = pg_rtext_finish(&c->name, &t)) < 0)
		return rc;
	put_value(&t, measured, unit, 0);
	if ((rc = pg_rtext_finish(&c->measured, &t)) < 0)
		return rc;
	pg_rtext_printf(&t, "%s ", op);
	put_value(&t, limit, unit, 0);
	if ((rc = pg_rtext_finish(&c->expected, &t)) < 0)
		return rc;
	if (!isnan(margin)) {
		pg_rtext_puts(&t, "margin ");
		put_value(&t, margin, unit, 1);
	}
	if ((rc = pg_rtext_finish(&c->delta, &t)) < 0)
		return rc;

	if (isnan(measured))
		pg_rtext_printf(&t, "%s has no value: %s", c->metric,
				reason != NULL ? reason : "nothing was measured");
	else
		pg_rtext_printf(&t, "%s = %s, limit %s", c->metric, c->measured, c->expected);
	if (c->file != NULL) {
		pg_rtext_puts(&t, " (");
		put_where(&t, c);
		pg_rtext_putc(&t, ')');
	}
	if ((rc = pg_rtext_finish(&c->message, &t)) < 0)
		return rc;

	pg_rtext_printf(&t, "requirement: %s\nverdict: %s\nmeasured: %s\nlimit: %s\n", c->title,
			c->verdict, c->measured, c->expected);
	if (!isnan(margin)) {
		pg_rtext_puts(&t, "margin: ");
		put_value(&t, margin, unit, 1);
		pg_rtext_putc(&t, '\n');
	}
	if (reason != NULL)
		pg_rtext_printf(&t, "reason: %s\n", reason);
	if (c->where[0] != '\0')
		pg_rtext_printf(&t, "at: %s\n", c->where);
	return pg_rtext_finish(&c->detail, &t);
}

/* "git origin/main @ 1a2b3c4d5e6f, 20 runs" from a scenario's baseline. */
static void put_baseline_source(pg_rtext *t, const json_t *b)
{
	const char *source = pg_report_jstr(b, "source", NULL);
	const char *ref = pg_report_jstr(b, "ref", NULL);
	const char *commit = pg_report_jstr(b, "commit", NULL);
	const char *path = pg_report_jstr(b, "path", NULL);
	double runs = pg_report_jnum(b, "runs");

	pg_rtext_puts(t, source != NULL ? source : "baseline");
	if (ref != NULL)
		pg_rtext_printf(t, " %s", ref);
	if (commit != NULL)
		pg_rtext_printf(t, " @ %.12s", commit);
	if (path != NULL)
		pg_rtext_printf(t, " (%s)", path);
	if (!isnan(runs))
		pg_rtext_printf(t, ", %.0f run%s", runs, runs == 1 ? "" : "s");
}

static int comparison_texts(pg_check *c, const json_t *scenario)
{
	const json_t *k = c->item, *ci = json_object_get(k, "ci");
	const json_t *baseline = json_object_get(scenario, "baseline");
	const char *unit = pg_report_jstr(k, "unit", "");
	const char *metric = pg_report_jstr(k, "metric", "?");
	const char *reason = pg_report_jstr(k, "reason", NULL);
	double base = pg_report_jnum(k, "baseline"), cur = pg_report_jnum(k, "current");
	double change = pg_report_jnum(k, "change"), pct = pg_report_jnum(k, "change_pct");
	double tol = pg_report_jnum(k, "tolerance"), conf = pg_report_jnum(k, "confidence");
	double repeats = pg_report_jnum(k, "repeats_needed");
	const char *what;
	pg_rtext t = PG_RTEXT_INIT;
	char num[64];
	int rc;

	pg_rtext_puts(&t, metric);
	if ((rc = pg_rtext_finish(&c->metric, &t)) < 0)
		return rc;
	pg_rtext_printf(&t, "baseline: %s", metric);
	if ((rc = pg_rtext_finish(&c->title, &t)) < 0)
		return rc;
	pg_rtext_puts(&t, c->title);
	if ((rc = pg_rtext_finish(&c->name, &t)) < 0)
		return rc;
	put_value(&t, cur, unit, 0);
	if ((rc = pg_rtext_finish(&c->measured, &t)) < 0)
		return rc;
	pg_rtext_puts(&t, "baseline ");
	put_value(&t, base, unit, 0);
	if ((rc = pg_rtext_finish(&c->expected, &t)) < 0)
		return rc;

	put_value(&t, change, unit, 1);
	if (!isnan(pct)) {
		pg_rtext_puts(&t, " (");
		put_value(&t, pct, "%", 1);
		pg_rtext_putc(&t, ')');
	}
	if (json_array_size(ci) == 2 && json_is_number(json_array_get(ci, 0)) &&
	    json_is_number(json_array_get(ci, 1))) {
		pg_rtext_puts(&t, ", ");
		if (!isnan(conf)) {
			pg_num_human(num, sizeof(num), conf * 100);
			pg_rtext_printf(&t, "%s%% ", num);
		}
		pg_rtext_puts(&t, "CI [");
		put_value(&t, json_number_value(json_array_get(ci, 0)), NULL, 1);
		pg_rtext_puts(&t, ", ");
		put_value(&t, json_number_value(json_array_get(ci, 1)), unit, 1);
		pg_rtext_putc(&t, ']');
	}
	if ((rc = pg_rtext_finish(&c->delta, &t)) < 0)
		return rc;

	what = strcmp(c->verdict, "regression") == 0	 ? "regressed"
	       : strcmp(c->verdict, "improvement") == 0	 ? "improved"
	       : strcmp(c->verdict, "inconclusive") == 0 ? "inconclusive"
							 : "within tolerance";
	pg_rtext_printf(&t, "%s %s: %s vs %s (%s)", metric, what, c->measured, c->expected,
			c->delta);
	if (reason != NULL)
		pg_rtext_printf(&t, ": %s", reason);
	if (c->file != NULL) {
		pg_rtext_puts(&t, " (");
		put_where(&t, c);
		pg_rtext_putc(&t, ')');
	}
	if ((rc = pg_rtext_finish(&c->message, &t)) < 0)
		return rc;

	pg_rtext_printf(&t, "comparison: %s\nverdict: %s\nbaseline: ", metric, c->verdict);
	put_value(&t, base, unit, 0);
	pg_rtext_printf(&t, "\ncurrent: %s\nchange: %s\n", c->measured, c->delta);
	if (!isnan(tol)) {
		pg_rtext_puts(&t, "tolerance: ");
		put_value(&t, tol, unit, 0);
		pg_rtext_putc(&t, '\n');
	}
	if (!isnan(repeats) && repeats > 0)
		pg_rtext_printf(&t, "repeats needed: %.0f\n", repeats);
	if (reason != NULL)
		pg_rtext_printf(&t, "reason: %s\n", reason);
	if (json_is_object(baseline)) {
		pg_rtext_puts(&t, "baseline source: ");
		put_baseline_source(&t, baseline);
		pg_rtext_putc(&t, '\n');
	}
	if (c->where[0] != '\0')
		pg_rtext_printf(&t, "at: %s\n", c->where);
	return pg_rtext_finish(&c->detail, &t);
}

static int add_check(pg_checks *out, size_t *cap, const json_t *scenario, size_t index,
		     const json_t *item, pg_check_kind kind)
{
	pg_check *c;
	pg_rtext t = PG_RTEXT_INIT;
	int rc;

	if (out->n == *cap) {
		size_t ncap = *cap != 0 ? *cap * 2 : 16;
		pg_check *grown = realloc(out->v, ncap * sizeof(*grown));

		if (grown == NULL) {
			pg_error_set("out of memory building a report");
			return PG_ENOMEM;
		}
		out->v = grown;
		*cap = ncap;
	}
	c = &out->v[out->n++];
	memset(c, 0, sizeof(*c));
	c->scenario_index = index;
	c->scenario = pg_report_jstr(scenario, "name", "");
	c->item = item;
	c->kind = kind;
	c->file = pg_report_jstr(item, "file", NULL);
	c->line = int_field(item, "line");
	c->col = int_field(item, "col");
	if (kind == PG_CHECK_REQUIREMENT) {
		c->verdict = pg_report_jstr(item, "verdict", "failed");
		c->status = strcmp(c->verdict, "met") == 0 ? PG_CHECK_PASSED : PG_CHECK_FAILED;
	} else {
		c->verdict = pg_report_jstr(item, "verdict", "inconclusive");
		c->status = strcmp(c->verdict, "regression") == 0     ? PG_CHECK_FAILED
			    : strcmp(c->verdict, "inconclusive") == 0 ? PG_CHECK_INCONCLUSIVE
								      : PG_CHECK_PASSED;
	}
	put_where(&t, c);
	if ((rc = pg_rtext_finish(&c->where, &t)) < 0)
		return rc;
	rc = kind == PG_CHECK_REQUIREMENT ? requirement_texts(c) : comparison_texts(c, scenario);
	if (rc < 0)
		return rc;
	if (c->status == PG_CHECK_FAILED)
		out->failed++;
	else if (c->status == PG_CHECK_INCONCLUSIVE)
		out->inconclusive++;
	else
		out->passed++;
	return 0;
}

int pg_checks_collect(pg_checks *out, const json_t *results)
{
	const json_t *scenarios, *sc, *item;
	size_t cap = 0, i, j;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(results)) {
		pg_error_set("results document is not a JSON object");
		return PG_EINVAL;
	}
	scenarios = json_object_get(results, "scenarios");
	json_array_foreach(scenarios, i, sc)
	{
		if (!json_is_object(sc))
			continue;
		out->n_scenarios++;
		json_array_foreach(json_object_get(sc, "requirements"), j, item)
		{
			if (json_is_object(item) &&
			    (rc = add_check(out, &cap, sc, i, item, PG_CHECK_REQUIREMENT)) < 0)
				goto done;
		}
		json_array_foreach(json_object_get(sc, "comparisons"), j, item)
		{
			if (json_is_object(item) &&
			    (rc = add_check(out, &cap, sc, i, item, PG_CHECK_COMPARISON)) < 0)
				goto done;
		}
	}
done:
	if (rc < 0)
		pg_checks_free(out);
	return rc;
}

void pg_checks_free(pg_checks *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		pg_check *k = &c->v[i];

		free(k->title);
		free(k->name);
		free(k->metric);
		free(k->measured);
		free(k->expected);
		free(k->delta);
		free(k->where);
		free(k->message);
		free(k->detail);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}
