/*
 * `perfgate report RESULTS.json --report SPEC [--out DIR] [--push URL]`:
 * builds CI reports from a results document written by an earlier run.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "report_ci.h"

#define RESULTS_READ_MAX ((size_t)256 << 20)
#define RESULTS_SCHEMA "perfgate-results/1"

static const char usage_report[] =
    "usage: perfgate report RESULTS.json [--report SPEC] [--out DIR]\n"
    "                       [--push URL [--push-job NAME]]\n"
    "\n"
    "Builds CI reports from a results document (perfgate run --out DIR writes\n"
    "DIR/results.json).\n"
    "\n"
    "options:\n"
    "  --report SPEC    comma-separated formats, each optionally FORMAT=PATH:\n"
    "                     junit        JUnit XML (junit.xml)\n"
    "                     github       job summary, appended to $GITHUB_STEP_SUMMARY\n"
    "                                  (else github-summary.md); with\n"
    "                                  GITHUB_ACTIONS=true also ::error/::warning\n"
    "                                  annotations on stdout\n"
    "                     gitlab       GitLab load_performance JSON\n"
    "                                  (gitlab-load-performance.json)\n"
    "                     openmetrics  OpenMetrics text, also a GitLab metrics report\n"
    "                                  (metrics.txt)\n"
    "                     html         standalone HTML report (report.html)\n"
    "                   e.g. --report junit,github or --report junit=out/junit.xml\n"
    "  --out DIR        directory for files without a PATH (default: the directory\n"
    "                   of RESULTS.json)\n"
    "  --push URL       PUT the metrics to a Prometheus Pushgateway at URL\n"
    "  --push-job NAME  the Pushgateway job (default: perfgate)\n"
    "\n"
    "Exit codes: 0 reports written, 2 bad usage or results file, 3 a report could\n"
    "not be written or pushed. The run's own verdict does not change the exit code.\n";

/* Reads and checks the results document; *out is a new reference. */
static int load_results(json_t **out, const char *path)
{
	json_error_t jerr;
	const char *schema;
	char *text = NULL;
	size_t len = 0;
	json_t *doc;
	int rc;

	*out = NULL;
	if ((rc = pg_file_read_all(&text, &len, path, RESULTS_READ_MAX, "results")) < 0)
		return rc;
	doc = json_loadb(text, len, 0, &jerr);
	free(text);
	if (doc == NULL) {
		pg_error_set("%s:%d:%d: not valid JSON: %s", path, jerr.line, jerr.column,
			     jerr.text);
		return PG_EPARSE;
	}
	schema = json_string_value(json_object_get(doc, "schema"));
	if (!json_is_object(doc) || schema == NULL || strcmp(schema, RESULTS_SCHEMA) != 0) {
		pg_error_set("%s: not a perfgate results document (schema '%s', expected '%s')",
			     path, schema != NULL ? schema : "none", RESULTS_SCHEMA);
		json_decref(doc);
		return PG_EPARSE;
	}
	*out = doc;
	return 0;
}

int pg_cli_report(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"report", required_argument, NULL, 'r'}, {"out", required_argument, NULL, 'o'},
	    {"push", required_argument, NULL, 'p'},   {"push-job", required_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0}};
	const char *spec = NULL, *out = NULL, *push = NULL, *job = "perfgate", *path;
	char dir[4096];
	json_t *results = NULL;
	char *metrics = NULL;
	int c, rc = PG_EXIT_PASS;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			spec = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			push = optarg;
			break;
		case 'j':
			job = optarg;
			break;
		case 'h':
			fputs(usage_report, stdout);
			return PG_EXIT_PASS;
		default:
			fputs(usage_report, stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "perfgate report: %s\n\n%s",
			optind >= argc ? "missing RESULTS.json argument"
				       : "expected one RESULTS.json",
			usage_report);
		return PG_EXIT_USAGE;
	}
	if (spec == NULL && push == NULL) {
		fprintf(stderr,
			"perfgate report: nothing to do: give --report SPEC or --push URL\n");
		return PG_EXIT_USAGE;
	}
	if (spec != NULL && pg_reports_check(spec) < 0) {
		fprintf(stderr, "perfgate report: %s\n", pg_error_last());
		return PG_EXIT_USAGE;
	}
	path = argv[optind];
	if (out == NULL) {
		const char *slash = strrchr(path, '/');

		if (slash == NULL)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == path)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		out = dir;
	}
	if (load_results(&results, path) < 0) {
		fprintf(stderr, "perfgate report: %s\n", pg_error_last());
		return PG_EXIT_USAGE;
	}
	if (spec != NULL && pg_reports_write(spec, out, results) < 0) {
		fprintf(stderr, "perfgate report: %s\n", pg_error_last());
		rc = PG_EXIT_ERROR;
		goto done;
	}
	if (push != NULL) {
		if (pg_report_openmetrics(&metrics, results) < 0 ||
		    pg_report_push(push, job, metrics) < 0) {
			fprintf(stderr, "perfgate report: %s\n", pg_error_last());
			rc = PG_EXIT_ERROR;
			goto done;
		}
	}
done:
	free(metrics);
	json_decref(results);
	return rc;
}
