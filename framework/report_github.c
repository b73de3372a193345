/*
 * GitHub Actions: the job summary (Markdown for $GITHUB_STEP_SUMMARY) and
 * workflow-command annotations (::error / ::warning lines on stdout).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_checks.h"
#include "report_ci.h"
#include "report_text.h"

#define ICON_FAIL "\xE2\x9D\x8C"	     /* U+274C cross mark */
#define ICON_PASS "\xE2\x9C\x85"	     /* U+2705 check mark */
#define ICON_WARN "\xE2\x9A\xA0\xEF\xB8\x8F" /* U+26A0 U+FE0F warning sign */

/* Appends s for a Markdown table cell: | and Markdown punctuation
 * backslash-escaped, & < > as entities, newlines as <br>, other control
 * characters dropped, invalid UTF-8 replaced. */
static void put_md(pg_rtext *t, const char *s)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		uint32_t cp = pg_utf8_next(&p, end);

		switch (cp) {
		case '|':
		case '\\':
		case '*':
		case '_':
		case '`':
		case '[':
		case ']':
			pg_rtext_putc(t, '\\');
			pg_rtext_putc(t, (char)cp);
			break;
		case '&':
			pg_rtext_puts(t, "&amp;");
			break;
		case '<':
			pg_rtext_puts(t, "&lt;");
			break;
		case '>':
			pg_rtext_puts(t, "&gt;");
			break;
		case '\n':
			pg_rtext_puts(t, "<br>");
			break;
		default:
			if (cp >= 0x20 && cp != 0x7F)
				pg_rtext_put_cp(t, cp);
		}
	}
}

static const char *status_icon(pg_check_status s)
{
	return s == PG_CHECK_FAILED	    ? ICON_FAIL
	       : s == PG_CHECK_INCONCLUSIVE ? ICON_WARN
					    : ICON_PASS;
}

static void put_heading(pg_rtext *t, const json_t *results, const pg_checks *cs)
{
	const char *verdict = pg_report_jstr(results, "verdict", NULL);
	int failed = cs->failed > 0 || (verdict != NULL && strcmp(verdict, "fail") == 0);

	pg_rtext_printf(t, "### %s perfgate: ", failed ? ICON_FAIL : ICON_PASS);
	if (cs->failed > 0)
		pg_rtext_printf(t, "%zu of %zu check%s failed", cs->failed, cs->n,
				cs->n == 1 ? "" : "s");
	else if (failed)
		pg_rtext_puts(t, "failed");
	else if (cs->n == 0)
		pg_rtext_puts(t, "passed (no checks)");
	else
		pg_rtext_printf(t, "%s%zu check%s passed", cs->n == 1 ? "" : "all ", cs->n,
				cs->n == 1 ? "" : "s");
	if (cs->inconclusive > 0)
		pg_rtext_printf(t, " (%zu inconclusive)", cs->inconclusive);
	pg_rtext_puts(t, "\n\n");
}

static void put_context(pg_rtext *t, const json_t *results, const pg_checks *cs)
{
	const char *suite = pg_report_jstr(results, "suite", NULL);
	const char *file = pg_report_jstr(results, "suite_file", NULL);
	const char *started = pg_report_jstr(results, "started_at", NULL);
	const char *url = pg_report_jstr(json_object_get(results, "target"), "url", NULL);
	const char *commit = pg_report_jstr(json_object_get(results, "git"), "commit", NULL);

	pg_rtext_puts(t, "Suite **");
	put_md(t, suite != NULL ? suite : "?");
	pg_rtext_puts(t, "**");
	if (file != NULL) {
		pg_rtext_puts(t, " (");
		put_md(t, file);
		pg_rtext_putc(t, ')');
	}
	pg_rtext_printf(t, ", %zu scenario%s", cs->n_scenarios, cs->n_scenarios == 1 ? "" : "s");
	if (url != NULL) {
		pg_rtext_puts(t, ", target ");
		put_md(t, url);
	}
	if (started != NULL) {
		pg_rtext_puts(t, ", started ");
		put_md(t, started);
	}
	if (commit != NULL) {
		pg_rtext_puts(t, ", commit ");
		put_md(t, commit);
	}
	if (json_is_true(json_object_get(results, "interrupted")))
		pg_rtext_puts(t, ". **The run was interrupted.**");
	pg_rtext_puts(t, "\n\n");
}

static void put_baseline(pg_rtext *t, const json_t *b)
{
	const char *status = pg_report_jstr(b, "status", NULL);
	const char *reason = pg_report_jstr(b, "reason", NULL);
	const char *keys[] = {"source", "ref", "commit", "path"};
	double runs = pg_report_jnum(b, "runs");
	size_t i;

	if (status == NULL || strcmp(status, "none") == 0)
		return;
	pg_rtext_puts(t, "Baseline: ");
	put_md(t, status);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = pg_report_jstr(b, keys[i], NULL);

		if (v == NULL)
			continue;
		pg_rtext_printf(t, ", %s ", keys[i]);
		put_md(t, v);
	}
	if (!isnan(runs))
		pg_rtext_printf(t, ", %.0f run%s", runs, runs == 1 ? "" : "s");
	if (reason != NULL) {
		pg_rtext_puts(t, " (");
		put_md(t, reason);
		pg_rtext_putc(t, ')');
	}
	pg_rtext_puts(t, "\n\n");
}

static void put_row(pg_rtext *t, const pg_check *c)
{
	const char *reason = pg_report_jstr(c->item, "reason", NULL);

	pg_rtext_printf(t, "| %s ", status_icon(c->status));
	put_md(t, c->verdict);
	pg_rtext_puts(t, " | ");
	put_md(t, c->title);
	pg_rtext_puts(t, " | ");
	put_md(t, c->measured);
	pg_rtext_puts(t, " | ");
	put_md(t, c->expected);
	pg_rtext_puts(t, " | ");
	put_md(t, c->delta);
	pg_rtext_puts(t, " | ");
	put_md(t, reason != NULL ? reason : "");
	pg_rtext_puts(t, " | ");
	put_md(t, c->where);
	pg_rtext_puts(t, " |\n");
}

static void put_scenario(pg_rtext *t, const json_t *sc, size_t index, const pg_checks *cs)
{
	const char *verdict = pg_report_jstr(sc, "verdict", "");
	const json_t *w;
	size_t i, rows = 0, worst = PG_CHECK_PASSED;
	int s;

	for (i = 0; i < cs->n; i++) {
		if (cs->v[i].scenario_index == index && (size_t)cs->v[i].status < worst)
			worst = cs->v[i].status;
	}
	if (strcmp(verdict, "fail") == 0)
		worst = PG_CHECK_FAILED;
	pg_rtext_printf(t, "#### %s ", status_icon((pg_check_status)worst));
	put_md(t, pg_report_jstr(sc, "name", "?"));
	pg_rtext_puts(t, "\n\n");
	put_baseline(t, json_object_get(sc, "baseline"));
	json_array_foreach(json_object_get(sc, "warnings"), i, w)
	{
		if (!json_is_string(w))
			continue;
		pg_rtext_printf(t, "> %s ", ICON_WARN);
		put_md(t, json_string_value(w));
		pg_rtext_puts(t, "\n\n");
	}
	/* failed first, then inconclusive, then passed; document order within */
	for (s = PG_CHECK_FAILED; s <= PG_CHECK_PASSED; s++) {
		for (i = 0; i < cs->n; i++) {
			const pg_check *c = &cs->v[i];

			if (c->scenario_index != index || (int)c->status != s)
				continue;
			if (rows++ == 0)
				pg_rtext_puts(t,
					      "| Result | Check | Measured | Limit / baseline | "
					      "Margin / change | Note | Where |\n"
					      "| --- | --- | ---: | ---: | ---: | --- | --- |\n");
			put_row(t, c);
		}
	}
	if (rows == 0)
		pg_rtext_puts(t, "_No requirements or baseline comparisons._\n");
	pg_rtext_puts(t, "\n");
}

int pg_report_github_summary(char **out, const json_t *results)
{
	pg_rtext t = PG_RTEXT_INIT;
	pg_checks cs;
	const json_t *sc;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = pg_checks_collect(&cs, results)) < 0)
		return rc;
	put_heading(&t, results, &cs);
	put_context(&t, results, &cs);
	json_array_foreach(json_object_get(results, "scenarios"), i, sc)
	{
		if (json_is_object(sc))
			put_scenario(&t, sc, i, &cs);
	}
	rc = pg_rtext_finish(out, &t);
	pg_checks_free(&cs);
	return rc;
}

/* Appends s escaped for a workflow command: % CR LF always; also : and ,
 * inside a property. Invalid UTF-8 is replaced, other controls dropped. */
static void put_cmd(pg_rtext *t, const char *s, int property)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		uint32_t cp = pg_utf8_next(&p, end);

		if (cp == '%')
			pg_rtext_puts(t, "%25");
		else if (cp == '\r')
			pg_rtext_puts(t, "%0D");
		else if (cp == '\n')
			pg_rtext_puts(t, "%0A");
		else if (property && cp == ':')
			pg_rtext_puts(t, "%3A");
		else if (property && cp == ',')
			pg_rtext_puts(t, "%2C");
		else if (cp >= 0x20 && cp != 0x7F)
			pg_rtext_put_cp(t, cp);
	}
}

static void put_annotation(pg_rtext *t, const pg_check *c)
{
	pg_rtext title = PG_RTEXT_INIT;
	char *text = NULL;
	int rc;

	pg_rtext_puts(t, c->status == PG_CHECK_FAILED ? "::error " : "::warning ");
	if (c->file != NULL) {
		pg_rtext_puts(t, "file=");
		put_cmd(t, c->file, 1);
		if (c->line > 0) {
			pg_rtext_printf(t, ",line=%ld", c->line);
			if (c->col > 0)
				pg_rtext_printf(t, ",col=%ld", c->col);
		}
		pg_rtext_putc(t, ',');
	}
	pg_rtext_printf(&title, "perfgate %s: %s%s", c->scenario, c->title,
			c->status == PG_CHECK_INCONCLUSIVE ? " (inconclusive)" : "");
	if ((rc = pg_rtext_finish(&text, &title)) < 0) {
		if (t->err == 0)
			t->err = rc;
		return;
	}
	pg_rtext_puts(t, "title=");
	put_cmd(t, text, 1);
	free(text);
	pg_rtext_puts(t, "::");
	put_cmd(t, c->message, 0);
	pg_rtext_putc(t, '\n');
}

int pg_report_github_annotations(char **out, const json_t *results, size_t max)
{
	pg_rtext t = PG_RTEXT_INIT;
	pg_checks cs;
	size_t i, shown = 0, wanted;
	int s, rc;

	*out = NULL;
	if (max == 0)
		max = PG_REPORT_ANNOTATIONS_DEFAULT;
	if ((rc = pg_checks_collect(&cs, results)) < 0)
		return rc;
	for (s = PG_CHECK_FAILED; s < PG_CHECK_PASSED; s++) {
		for (i = 0; i < cs.n && shown < max; i++) {
			if ((int)cs.v[i].status == s) {
				put_annotation(&t, &cs.v[i]);
				shown++;
			}
		}
	}
	wanted = cs.failed + cs.inconclusive;
	if (wanted > shown)
		pg_rtext_printf(&t,
				"perfgate: %zu more annotation%s not shown; see the job summary\n",
				wanted - shown, wanted - shown == 1 ? "" : "s");
	rc = pg_rtext_finish(out, &t);
	pg_checks_free(&cs);
	return rc;
}
