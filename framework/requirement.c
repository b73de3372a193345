/*
 * Requirement expressions: METRIC[.STAT] OP QUANTITY. Metric names may hold
 * dots themselves (errors.rate), so the longest prefix of the dotted name
 * that is a known metric wins and the rest is the statistic.
 */
#include "requirement.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "suggest.h"

/* Longest requirement text accepted. */
#define REQ_TEXT_MAX 512
/* Metric names offered for "did you mean". */
#define REQ_SUGGEST_MAX 64

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

static int fail(size_t *err_offset, size_t offset, int code)
{
	if (err_offset != NULL)
		*err_offset = offset;
	return code;
}

/* Reports an unknown metric written as name. The name shown is
 * the part before a trailing statistic when there is one ("ttfx.p95"). */
static void unknown_metric(const char *name)
{
	const char *cands[REQ_SUGGEST_MAX];
	const pg_metric_def *all;
	const char *hint;
	char base[REQ_TEXT_MAX];
	size_t n, i;
	char *dot;
	pg_stat st;

	snprintf(base, sizeof(base), "%s", name);
	for (dot = strrchr(base, '.'); dot != NULL; dot = strrchr(base, '.')) {
		*dot = '\0';
		if (pg_stat_parse(&st, dot + 1) == 0)
			break;
	}
	if (dot == NULL)
		snprintf(base, sizeof(base), "%s", name);
	all = pg_metric_all(&n);
	if (n > REQ_SUGGEST_MAX)
		n = REQ_SUGGEST_MAX;
	for (i = 0; i < n; i++)
		cands[i] = all[i].name;
	hint = pg_suggest(base, cands, n);
	if (hint != NULL)
		pg_error_set("unknown metric '%s' (did you mean '%s'?)", base, hint);
	else
		pg_error_set("unknown metric '%s' (see `perfgate metrics`)", base);
}

/* Resolves "ttft.p95", "errors.rate" into a metric and statistic. On error
 * *bad is the offset within name the message is about. */
static int resolve(pg_requirement *out, const char *name, size_t *bad)
{
	static const char *const stats[] = {"min", "mean", "max", "p50", "p90", "p95", "p99"};
	char buf[REQ_TEXT_MAX];
	const pg_metric_def *def;
	const char *stat = NULL;
	const char *hint;
	char *dot;

	*bad = 0;
	snprintf(buf, sizeof(buf), "%s", name);
	def = pg_metric_find(buf);
	while (def == NULL && (dot = strrchr(buf, '.')) != NULL) {
		*dot = '\0';
		stat = name + (dot - buf) + 1;
		def = pg_metric_find(buf);
	}
	if (def == NULL) {
		unknown_metric(name);
		return PG_EINVAL;
	}
	out->metric = def;
	out->stat.kind = PG_STAT_NONE;
	out->stat.q = 0;
	if (stat == NULL) {
		if (def->distribution) {
			pg_error_set("'%s' needs a statistic such as %s.p95", def->name, def->name);
			return PG_EINVAL;
		}
		return 0;
	}
	*bad = (size_t)(stat - name);
	if (!def->distribution) {
		pg_error_set("'%s' is a single value and takes no statistic, got '%s'", def->name,
			     stat);
		return PG_EINVAL;
	}
	if (pg_stat_parse(&out->stat, stat) < 0) {
		hint = pg_suggest(stat, stats, sizeof(stats) / sizeof(stats[0]));
		if (hint != NULL)
			pg_error_set("unknown statistic '%s' for '%s' (did you mean '%s'?)", stat,
				     def->name, hint);
		else
			pg_error_prefix("'%s'", def->name);
		return PG_EINVAL;
	}
	return 0;
}

static const char *unit_wanted(const pg_metric_def *m)
{
	switch (m->unit) {
	case PG_MU_NS:
		return "a duration (ns, us, ms, s)";
	case PG_MU_RATIO:
		return "a percentage or a fraction";
	case PG_MU_PER_S:
		return "a rate such as 45 or 45/s";
	case PG_MU_COUNT:
		return "a plain count";
	case PG_MU_TOKENS:
		return "a token count";
	case PG_MU_USD:
		return "an amount of dollars such as $0.002";
	}
	return "another unit";
}

int pg_metric_name_parse(const pg_metric_def **metric, pg_stat *stat, const char *name,
			 size_t *bad_offset)
{
	pg_requirement r;
	size_t bad = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = resolve(&r, name, &bad);
	if (bad_offset != NULL)
		*bad_offset = bad;
	if (rc < 0)
		return rc;
	*metric = r.metric;
	*stat = r.stat;
	return 0;
}

int pg_requirement_parse(pg_requirement *out, const char *text, size_t *err_offset)
{
	size_t start, end, name_at, name_len, op_at, value_at, bad;
	char name[REQ_TEXT_MAX], value[REQ_TEXT_MAX];
	pg_quantity q;
	int rc;

	memset(out, 0, sizeof(*out));
	if (err_offset != NULL)
		*err_offset = 0;
	if (text == NULL) {
		pg_error_set("empty requirement");
		return PG_EINVAL;
	}
	if (strlen(text) >= REQ_TEXT_MAX) {
		pg_error_set("requirement is longer than %d bytes", REQ_TEXT_MAX - 1);
		return fail(err_offset, 0, PG_EINVAL);
	}
	start = 0;
	while (is_space(text[start]))
		start++;
	end = strlen(text);
	while (end > start && is_space(text[end - 1]))
		end--;
	if (start == end) {
		pg_error_set("empty requirement (expected something like 'ttft.p95 < 300ms')");
		return fail(err_offset, start, PG_EINVAL);
	}

	name_at = start;
	name_len = 0;
	while (is_name_char(text[name_at + name_len]))
		name_len++;
	if (name_len == 0) {
		pg_error_set("expected a metric name such as ttft.p95, got '%.*s'",
			     (int)(end - start), text + start);
		return fail(err_offset, name_at, PG_EINVAL);
	}
	memcpy(name, text + name_at, name_len);
	name[name_len] = '\0';
	rc = resolve(out, name, &bad);
	if (rc < 0)
		return fail(err_offset, name_at + bad, rc);

	op_at = name_at + name_len;
	while (is_space(text[op_at]))
		op_at++;
	value_at = op_at;
	if (text[op_at] == '<' || text[op_at] == '>') {
		int eq = text[op_at + 1] == '=';

		if (text[op_at] == '<')
			out->op = eq ? PG_OP_LE : PG_OP_LT;
		else
			out->op = eq ? PG_OP_GE : PG_OP_GT;
		value_at = op_at + 1 + (size_t)eq;
	} else if (text[op_at] == '=' || text[op_at] == '!') {
		size_t oplen = strspn(text + op_at, "=!<>");

		pg_error_set("unsupported operator '%.*s' (use <, <=, > or >=)", (int)oplen,
			     text + op_at);
		return fail(err_offset, op_at, PG_EINVAL);
	} else {
		pg_error_set("expected an operator (<, <=, > or >=) after '%s'", name);
		return fail(err_offset, op_at, PG_EINVAL);
	}
	while (is_space(text[value_at]))
		value_at++;
	if (value_at >= end) {
		pg_error_set("expected a value after '%s'", pg_cmp_op_str(out->op));
		return fail(err_offset, end, PG_EINVAL);
	}

	memcpy(value, text + value_at, end - value_at);
	value[end - value_at] = '\0';
	if (pg_quantity_parse(&q, value) < 0)
		return fail(err_offset, value_at, PG_EINVAL);
	if (!pg_metric_accepts(out->metric, q.kind)) {
		pg_error_set("%s needs %s, got '%s'", name, unit_wanted(out->metric), value);
		return fail(err_offset, value_at, PG_EINVAL);
	}
	if (!isfinite(q.value) || q.value < 0) {
		pg_error_set("%s cannot be compared with a negative value, got '%s'", name, value);
		return fail(err_offset, value_at, PG_EINVAL);
	}
	if (out->metric->unit == PG_MU_RATIO && q.kind == PG_UNIT_NONE && q.value > 1.0) {
		pg_error_set("%s takes a fraction between 0 and 1 or a percentage, got '%s' "
			     "(did you mean '%s%%'?)",
			     name, value, value);
		return fail(err_offset, value_at, PG_EINVAL);
	}
	out->limit = q.value;
	out->text = strndup(text + start, end - start);
	if (out->text == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	return 0;
}

void pg_requirement_clear(pg_requirement *r)
{
	if (r == NULL)
		return;
	free(r->text);
	free(r->file);
	memset(r, 0, sizeof(*r));
}

int pg_requirement_met(const pg_requirement *r, double measured)
{
	if (isnan(measured))
		return 0;
	switch (r->op) {
	case PG_OP_LT:
		return measured < r->limit;
	case PG_OP_LE:
		return measured <= r->limit;
	case PG_OP_GT:
		return measured > r->limit;
	case PG_OP_GE:
		return measured >= r->limit;
	}
	return 0;
}

const char *pg_cmp_op_str(pg_cmp_op op)
{
	switch (op) {
	case PG_OP_LT:
		return "<";
	case PG_OP_LE:
		return "<=";
	case PG_OP_GT:
		return ">";
	case PG_OP_GE:
		return ">=";
	}
	return "?";
}
