/*
 * CI report formats built from the results document (a jansson object of
 * schema perfgate-results/1, docs/results.md), and the --report dispatcher.
 *
 * Every builder returns 0 or a negative PG_E code (message in
 * pg_error_last()) and hands back malloc'd NUL-terminated text in *out that
 * the caller frees; *out is NULL on failure. The results document is only
 * read. Each report is capped at PG_REPORT_TEXT_MAX bytes (PG_ELIMIT).
 *
 * A "check" is one requirement or one baseline comparison of a scenario.
 * A requirement with verdict "failed" and a comparison with verdict
 * "regression" fail; an "inconclusive" comparison passes (the gate does not
 * fail the build on it) but every format shows it apart: JUnit as a passed
 * testcase with <system-out> text, GitHub as a warning annotation.
 */
#ifndef PG_REPORT_CI_H
#define PG_REPORT_CI_H

#include <jansson.h>
#include <stddef.h>

#include "perfgate/common.h"

/* Largest report text a builder produces. */
#define PG_REPORT_TEXT_MAX ((size_t)64 << 20)
/* Annotations printed when the caller gives max 0. */
#define PG_REPORT_ANNOTATIONS_DEFAULT 10

/* JUnit XML (the Jenkins/JUnit XSD): <testsuites name="perfgate"> with one
 * <testsuite name="<suite>.<scenario>"> per scenario, one <testcase> per
 * check (classname "<suite>.<scenario>", name "requirement: <expr>" or
 * "baseline: <metric>"), <failure type="requirement|regression"> on failed
 * checks and <properties> holding the measured values. Text is
 * XML-escaped, control characters dropped, invalid UTF-8 replaced. */
int pg_report_junit(char **out, const json_t *results);

/* GitHub job summary (Markdown): a verdict heading, then per scenario a
 * table of its checks, failed first. */
int pg_report_github_summary(char **out, const json_t *results);

/* GitHub workflow commands, one per line: ::error for failed requirements
 * and regressions, ::warning for inconclusive comparisons, errors first,
 * at most max lines (0: PG_REPORT_ANNOTATIONS_DEFAULT); a plain line says
 * how many were left out. Empty text when nothing needs annotating. */
int pg_report_github_annotations(char **out, const json_t *results, size_t max);

/* GitLab load_performance artifact: the JSON shape of k6's
 * --summary-export, aggregated over scenarios (see report_gitlab.c for the
 * mapping). */
int pg_report_gitlab_load_performance(char **out, const json_t *results);

/* OpenMetrics text (also a GitLab "metrics" report): gauge families with
 * base units, sorted, ending with "# EOF". */
int pg_report_openmetrics(char **out, const json_t *results);

/* Pushes metrics to a Prometheus Pushgateway: PUT <url>/metrics/job/<job>
 * (job URL-escaped) with Content-Type "text/plain; version=0.0.4". body is
 * OpenMetrics text from pg_report_openmetrics; its "# UNIT" and "# EOF"
 * lines are dropped, the rest is valid exposition format 0.0.4. A non-2xx
 * answer fails with PG_EIO and a message naming the URL (credentials
 * removed) and the status. Needs curl_global_init() done by the caller. */
int pg_report_push(const char *url, const char *job, const char *body);

/* Writes the reports a --report spec asks for. spec is comma-separated
 * formats, each optionally FORMAT=PATH: junit, github, gitlab,
 * openmetrics, html. Without a PATH, files go to out_dir (NULL: the
 * current directory, created when missing): junit.xml,
 * gitlab-load-performance.json, metrics.txt, report.html. github appends
 * its summary to $GITHUB_STEP_SUMMARY when set, else writes
 * out_dir/github-summary.md (github=PATH writes PATH); when
 * GITHUB_ACTIONS=true it also prints annotations to stdout. The whole spec
 * is checked before anything is written; an unknown format is PG_EINVAL.
 * Files are replaced atomically. */
int pg_reports_write(const char *spec, const char *out_dir, const json_t *results);
/* Checks a --report spec without writing anything, so a command can refuse
 * a bad one before a long run: 0, or PG_EINVAL with the same message
 * pg_reports_write would give. */
int pg_reports_check(const char *spec);

/* The standalone HTML report (framework/report_html.c). */
int pg_report_html(char **out, const json_t *results);

#endif
