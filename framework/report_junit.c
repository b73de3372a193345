/*
 * JUnit XML report, valid against the Jenkins JUnit XSD: <testsuites> with
 * one <testsuite> per scenario and one <testcase> per check.
 *
 * Decisions: a failed requirement is <failure type="requirement">, a
 * regression <failure type="regression">; an inconclusive comparison is a
 * passed testcase whose <system-out> says why (the gate passed it, so the
 * failure counts match the exit code); an interrupted run adds a testcase
 * "run" with an <error>. <properties> hold the measured values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_checks.h"
#include "report_ci.h"
#include "report_text.h"

/* Appends s escaped for XML text (attr 0) or a double-quoted attribute
 * (attr 1): the five predefined entities, control characters dropped (kept
 * as character references for \t \n \r in attributes), invalid UTF-8 and
 * the non-characters U+FFFE/U+FFFF replaced by U+FFFD. */
static void put_xml(pg_rtext *t, const char *s, int attr)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		uint32_t cp = pg_utf8_next(&p, end);

		switch (cp) {
		case '&':
			pg_rtext_puts(t, "&amp;");
			break;
		case '<':
			pg_rtext_puts(t, "&lt;");
			break;
		case '>':
			pg_rtext_puts(t, "&gt;");
			break;
		case '"':
			pg_rtext_puts(t, "&quot;");
			break;
		case '\'':
			pg_rtext_puts(t, "&apos;");
			break;
		case '\t':
		case '\n':
		case '\r':
			if (attr)
				pg_rtext_printf(t, "&#%u;", (unsigned)cp);
			else
				pg_rtext_putc(t, (char)cp);
			break;
		default:
			if (cp < 0x20)
				break;
			pg_rtext_put_cp(t, cp == 0xFFFE || cp == 0xFFFF ? 0xFFFD : cp);
		}
	}
}

static void put_attr(pg_rtext *t, const char *name, const char *value)
{
	pg_rtext_printf(t, " %s=\"", name);
	put_xml(t, value, 1);
	pg_rtext_putc(t, '"');
}

static void put_property(pg_rtext *t, const char *name, const char *value)
{
	pg_rtext_puts(t, "      <property");
	put_attr(t, "name", name);
	put_attr(t, "value", value);
	pg_rtext_puts(t, "/>\n");
}

/* A property name = "<v> <unit>" (exact digits), skipped when v is NaN. */
static void put_num_property(pg_rtext *t, const char *name, double v, const char *unit)
{
	char num[64], text[96];

	if (isnan(v))
		return;
	pg_num_exact(num, sizeof(num), v);
	/* "412 ms", but "2%" and "53.3/s" as the other reports write them */
	snprintf(text, sizeof(text), "%s%s%s", num,
		 unit[0] != '\0' && unit[0] != '/' && strcmp(unit, "%") != 0 ? " " : "", unit);
	put_property(t, name, text);
}

static void put_properties(pg_rtext *t, const json_t *sc, const pg_checks *cs, size_t index)
{
	const json_t *m = json_object_get(sc, "metrics"), *b = json_object_get(sc, "baseline");
	char name[256];
	size_t i;

	pg_rtext_puts(t, "    <properties>\n");
	put_property(t, "verdict", pg_report_jstr(sc, "verdict", "unknown"));
	put_num_property(t, "requests.total", pg_report_jnum_path(m, "requests", "total", NULL),
			 "");
	put_num_property(t, "throughput.rps", pg_report_jnum_path(m, "throughput", "rps", NULL),
			 "/s");
	put_num_property(t, "errors.rate", pg_report_jnum_path(m, "errors", "rate", NULL), "");
	put_num_property(t, "ttft.p95", pg_report_jnum_path(m, "ttft", "p95", NULL), "ms");
	put_num_property(t, "e2e.p95", pg_report_jnum_path(m, "e2e", "p95", NULL), "ms");
	if (json_is_object(b))
		put_property(t, "baseline.status", pg_report_jstr(b, "status", "unknown"));
	for (i = 0; i < cs->n; i++) {
		const pg_check *c = &cs->v[i];
		const char *unit = pg_report_jstr(c->item, "unit", "");

		if (c->scenario_index != index)
			continue;
		if (c->kind == PG_CHECK_REQUIREMENT) {
			snprintf(name, sizeof(name), "measured: %s", c->title);
			put_num_property(t, name, pg_report_jnum(c->item, "measured"), unit);
		} else {
			snprintf(name, sizeof(name), "baseline: %s", c->metric);
			put_num_property(t, name, pg_report_jnum(c->item, "baseline"), unit);
			snprintf(name, sizeof(name), "current: %s", c->metric);
			put_num_property(t, name, pg_report_jnum(c->item, "current"), unit);
		}
	}
	pg_rtext_puts(t, "    </properties>\n");
}

static void put_testcase(pg_rtext *t, const pg_check *c, const char *classname)
{
	pg_rtext_puts(t, "    <testcase");
	put_attr(t, "classname", classname);
	put_attr(t, "name", c->name);
	pg_rtext_puts(t, " time=\"0\">\n");
	if (c->status == PG_CHECK_FAILED) {
		pg_rtext_puts(t, "      <failure");
		put_attr(t, "message", c->message);
		put_attr(t, "type", c->kind == PG_CHECK_REQUIREMENT ? "requirement" : "regression");
		pg_rtext_putc(t, '>');
		put_xml(t, c->detail, 0);
		pg_rtext_puts(t, "</failure>\n");
	} else {
		pg_rtext_puts(t, "      <system-out>");
		if (c->status == PG_CHECK_INCONCLUSIVE)
			pg_rtext_puts(t, "inconclusive (passed): ");
		put_xml(t, c->message, 0);
		pg_rtext_puts(t, "\n");
		put_xml(t, c->detail, 0);
		pg_rtext_puts(t, "</system-out>\n");
	}
	pg_rtext_puts(t, "    </testcase>\n");
}

/* Seconds for a time attribute (xs:decimal, never negative). */
static void put_time(pg_rtext *t, double s)
{
	pg_rtext_printf(t, " time=\"%.3f\"", isfinite(s) && s > 0 ? s : 0.0);
}

/* The XSD's timestamp is "YYYY-MM-DDTHH:MM:SS" without a zone (UTC). */
static void put_timestamp(pg_rtext *t, const char *iso)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (iso == NULL || strlen(iso) < sizeof(shape) - 1)
		return;
	for (i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (iso[i] < '0' || iso[i] > '9') : iso[i] != shape[i])
			return;
	}
	pg_rtext_printf(t, " timestamp=\"%.19s\"", iso);
}

int pg_report_junit(char **out, const json_t *results)
{
	pg_rtext t = PG_RTEXT_INIT;
	pg_checks cs;
	const json_t *sc;
	const char *suite = pg_report_jstr(results, "suite", "perfgate");
	const char *started = pg_report_jstr(results, "started_at", NULL);
	int interrupted = json_is_true(json_object_get(results, "interrupted"));
	double total_time = 0;
	size_t i, k;
	int rc;

	*out = NULL;
	if ((rc = pg_checks_collect(&cs, results)) < 0)
		return rc;
	json_array_foreach(json_object_get(results, "scenarios"), i, sc)
	{
		double w = pg_report_jnum(sc, "window_s");

		if (isfinite(w) && w > 0)
			total_time += w;
	}
	pg_rtext_puts(&t,
		      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"perfgate\"");
	pg_rtext_printf(&t, " tests=\"%zu\" failures=\"%zu\" errors=\"%d\"",
			cs.n + (interrupted != 0), cs.failed, interrupted != 0);
	put_time(&t, total_time);
	pg_rtext_puts(&t, ">\n");
	json_array_foreach(json_object_get(results, "scenarios"), i, sc)
	{
		char *classname = NULL;
		size_t tests = 0, failures = 0;
		pg_rtext name = PG_RTEXT_INIT;

		if (!json_is_object(sc))
			continue;
		for (k = 0; k < cs.n; k++) {
			if (cs.v[k].scenario_index == i) {
				tests++;
				failures += cs.v[k].status == PG_CHECK_FAILED;
			}
		}
		pg_rtext_printf(&name, "%s.%s", suite, pg_report_jstr(sc, "name", ""));
		if ((rc = pg_rtext_finish(&classname, &name)) < 0)
			goto done;
		pg_rtext_puts(&t, "  <testsuite");
		put_attr(&t, "name", classname);
		pg_rtext_printf(&t, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\"",
				tests, failures);
		put_time(&t, pg_report_jnum(sc, "window_s"));
		put_timestamp(&t, started);
		pg_rtext_puts(&t, ">\n");
		put_properties(&t, sc, &cs, i);
		for (k = 0; k < cs.n; k++) {
			if (cs.v[k].scenario_index == i)
				put_testcase(&t, &cs.v[k], classname);
		}
		pg_rtext_puts(&t, "  </testsuite>\n");
		free(classname);
	}
	if (interrupted) {
		pg_rtext_puts(&t, "  <testsuite");
		put_attr(&t, "name", suite);
		pg_rtext_puts(&t,
			      " tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\">\n"
			      "    <testcase");
		put_attr(&t, "classname", suite);
		pg_rtext_puts(
		    &t, " name=\"run\" time=\"0\">\n      <error message=\"the run was "
			"interrupted before every scenario finished\" type=\"interrupted\"/>\n"
			"    </testcase>\n  </testsuite>\n");
	}
	pg_rtext_puts(&t, "</testsuites>\n");
	rc = pg_rtext_finish(out, &t);
done:
	pg_rtext_free(&t);
	pg_checks_free(&cs);
	return rc;
}
