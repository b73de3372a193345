/* Comparing results with baselines from git or a file; `perfgate compare`. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_baseline.h"
#include "error.h"
#include "fileio.h"
#include "git_store.h"
#include "report.h"
#include "units.h"
#include "yaml_tree.h"

#define RESULTS_MAX_BYTES (512u * 1024 * 1024)

int pg_cli_read_results(json_t **out, const char *path)
{
	char file[4096];
	struct stat st;
	json_error_t je;
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	snprintf(file, sizeof(file), "%s", path);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(file, sizeof(file), "%s/results.json", path);
	if ((rc = pg_file_read_all(&text, &len, file, RESULTS_MAX_BYTES, "results")) < 0)
		return rc;
	*out = json_loadb(text, len, 0, &je);
	free(text);
	if (*out == NULL) {
		pg_error_set("%s:%d:%d: %s", file, je.line, je.column, je.text);
		return PG_EPARSE;
	}
	if (!json_is_object(*out) || !json_is_array(json_object_get(*out, "scenarios"))) {
		pg_error_set("%s: not a perfgate results document (no \"scenarios\")", file);
		json_decref(*out);
		*out = NULL;
		return PG_EPARSE;
	}
	return 0;
}

/* Baselines held in one file: a baseline document (one scenario) or a
 * results document (each of its scenarios). */
typedef struct file_source {
	pg_baseline *single;
	json_t *results;
} file_source;

static int file_source_open(file_source *fs, const char *path)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(fs, 0, sizeof(*fs));
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return pg_cli_read_results(&fs->results, path);
	if ((rc = pg_file_read_all(&text, &len, path, RESULTS_MAX_BYTES, "--baseline-file")) < 0)
		return rc;
	if (strstr(text, "perfgate-results/") != NULL && strstr(text, "perfgate-baseline/") == NULL) {
		free(text);
		return pg_cli_read_results(&fs->results, path);
	}
	rc = pg_baseline_parse(&fs->single, text, len, path);
	free(text);
	return rc;
}

/* A baseline for scenario `name` from a file source: NULL when the file
 * has none. The caller frees it. */
static int file_source_get(pg_baseline **out, file_source *fs, const char *suite, const char *name,
			   int history)
{
	const json_t *scs = json_object_get(fs->results, "scenarios");
	size_t i;
	int rc;

	*out = NULL;
	if (fs->single != NULL) {
		char *text = NULL;

		if (strcmp(pg_baseline_scenario(fs->single), name) != 0)
			return 0;
		if ((rc = pg_baseline_serialize(&text, fs->single)) < 0)
			return rc;
		rc = pg_baseline_parse(out, text, strlen(text), "--baseline-file");
		free(text);
		return rc;
	}
	for (i = 0; i < json_array_size(scs); i++) {
		const json_t *sc = json_array_get(scs, i);
		const char *n = json_string_value(json_object_get(sc, "name"));

		if (n == NULL || strcmp(n, name) != 0)
			continue;
		if ((rc = pg_baseline_new(out, suite, name, history)) < 0 ||
		    (rc = pg_baseline_add_run(*out, sc, NULL, NULL)) < 0) {
			pg_baseline_free(*out);
			*out = NULL;
			return rc;
		}
		return 0;
	}
	return 0;
}

static void file_source_close(file_source *fs)
{
	pg_baseline_free(fs->single);
	json_decref(fs->results);
}

/* Compares every scenario with baselines from one file. */
static int compare_from_file(json_t *doc, const pg_baseline_cfg *cfg, const pg_baseline_args *ba,
			     pg_compare_totals *t)
{
	const char *suite = json_string_value(json_object_get(doc, "suite"));
	json_t *scs = json_object_get(doc, "scenarios");
	pg_baseline_origin origin = {"file", NULL, NULL, ba->file};
	file_source fs;
	size_t i;
	int rc;

	if ((rc = file_source_open(&fs, ba->file)) < 0) {
		pg_error_prefix("--baseline-file");
		return PG_EIO;
	}
	for (i = 0; rc == 0 && i < json_array_size(scs); i++) {
		json_t *sc = json_array_get(scs, i);
		const char *name = json_string_value(json_object_get(sc, "name"));
		pg_baseline *b = NULL;
		char note[256];

		if (name == NULL)
			continue;
		if ((rc = file_source_get(&b, &fs, suite ? suite : "", name, cfg->history)) < 0) {
			/* say which file, as a failure to open it does */
			pg_error_prefix("--baseline-file: %s", ba->file);
			break;
		}
		snprintf(note, sizeof(note), "%s holds no baseline for scenario %s", ba->file,
			 name);
		rc = pg_compare_scenario(sc, b, b ? PG_BASELINE_COMPARED : PG_BASELINE_MISSING,
					 b ? NULL : note, &origin, cfg, ba->force, t);
		pg_baseline_free(b);
	}
	file_source_close(&fs);
	return rc;
}

/* Compares every scenario with baselines read from git at the base. */
static int compare_from_git(json_t *doc, const char *suite_path, const pg_baseline_cfg *cfg,
			    const pg_baseline_args *ba, pg_compare_totals *t)
{
	const char *suite = json_string_value(json_object_get(doc, "suite"));
	json_t *scs = json_object_get(doc, "scenarios");
	pg_baseline_origin origin = {"git", NULL, NULL, NULL};
	char commit[41], how[256], path[1024], origin_name[1200], corrupt[1400] = "";
	char *dir = pg_path_dir(suite_path);
	pg_git *g = NULL;
	size_t i;
	int rc;

	if (dir == NULL)
		return PG_ENOMEM;
	rc = pg_git_open(&g, dir);
	free(dir);
	if (rc < 0) {
		/* not in a repository: nothing to compare with, said in the results */
		for (i = 0; i < json_array_size(scs); i++)
			pg_compare_scenario(json_array_get(scs, i), NULL, PG_BASELINE_MISSING,
					    pg_error_last(), &origin, cfg, ba->force, t);
		return 0;
	}
	rc = pg_git_resolve_base(commit, how, sizeof(how), g, ba->ref, cfg->default_branch);
	if (rc < 0) {
		int shallow = pg_git_is_shallow(g);
		char msg[1400];

		if (shallow && strstr(pg_error_last(), "fetch-depth") == NULL)
			snprintf(msg, sizeof(msg),
				 "%s; this is a shallow clone, so the base branch's history may "
				 "be missing: fetch it (actions/checkout `fetch-depth: 0`, GitLab "
				 "`GIT_DEPTH: 0`, or `git fetch --unshallow origin`)",
				 pg_error_last());
		else
			snprintf(msg, sizeof(msg), "%s", pg_error_last());
		for (i = 0; i < json_array_size(scs); i++)
			pg_compare_scenario(json_array_get(scs, i), NULL,
					    shallow || ba->ref != NULL ? PG_BASELINE_ERROR
								       : PG_BASELINE_MISSING,
					    msg, &origin, cfg, ba->force, t);
		pg_git_free(g);
		/* a shallow clone or a bad --baseline must not pass silently */
		if (shallow || ba->ref != NULL) {
			pg_error_set("baseline: %s", msg);
			return PG_EIO;
		}
		return 0;
	}
	origin.ref = how;
	origin.commit = commit;
	origin.path = path;
	for (i = 0; rc == 0 && i < json_array_size(scs); i++) {
		json_t *sc = json_array_get(scs, i);
		const char *name = json_string_value(json_object_get(sc, "name"));
		pg_baseline *b = NULL;
		char *text = NULL;
		size_t len = 0;
		char note[1400];

		if (name == NULL || pg_baseline_path(path, sizeof(path), suite ? suite : "", name) < 0)
			continue;
		rc = pg_git_read_file(&text, &len, g, commit, path);
		if (rc == PG_ENOTFOUND) {
			snprintf(note, sizeof(note),
				 "no baseline %s at %.12s (%s): record one with --update-baseline "
				 "on the base branch",
				 path, commit, how);
			rc = pg_compare_scenario(sc, NULL, PG_BASELINE_MISSING, note, &origin, cfg,
						 ba->force, t);
			continue;
		}
		if (rc < 0)
			break;
		snprintf(origin_name, sizeof(origin_name), "%s at %.12s", path, commit);
		if (pg_baseline_parse(&b, text, len, origin_name) < 0) {
			snprintf(note, sizeof(note), "%s", pg_error_last());
			snprintf(corrupt, sizeof(corrupt), "%s", note);
			rc = pg_compare_scenario(sc, NULL, PG_BASELINE_ERROR, note, &origin, cfg,
						 ba->force, t);
		} else {
			rc = pg_compare_scenario(sc, b, PG_BASELINE_COMPARED, NULL, &origin, cfg,
						 ba->force, t);
		}
		free(text);
		pg_baseline_free(b);
	}
	pg_git_free(g);
	if (rc == 0 && corrupt[0] != '\0') {
		/* a corrupt baseline is never a silent pass */
		pg_error_set("baseline: %s", corrupt);
		return PG_EIO;
	}
	return rc;
}

int pg_cli_compare_doc(json_t *doc, const char *suite_path, const pg_baseline_cfg *cfg,
		       const pg_baseline_args *ba, pg_compare_totals *totals)
{
	if (ba->file != NULL)
		return compare_from_file(doc, cfg, ba, totals);
	return compare_from_git(doc, suite_path, cfg, ba, totals);
}

int pg_cli_baseline_cfg(pg_baseline_cfg **out, const char *suite_path, const char *tolerance,
			const char *confidence)
{
	pg_yaml_tree *t = NULL;
	pg_quantity q;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (suite_path != NULL) {
		const pg_yaml_node *sec;

		if ((rc = pg_yaml_load(&t, suite_path)) < 0)
			return rc;
		sec = t->root != NULL ? pg_yaml_opt(t->root, "baseline") : NULL;
		rc = sec != NULL ? pg_baseline_cfg_from_yaml(out, sec) : pg_baseline_cfg_default(out);
		pg_yaml_free(t);
	} else {
		rc = pg_baseline_cfg_default(out);
	}
	if (rc < 0)
		return rc;
	if (tolerance != NULL) {
		if (pg_quantity_parse(&q, tolerance) < 0 || q.kind != PG_UNIT_PERCENT || q.value < 0) {
			pg_error_set("--tolerance '%s': expected a percentage such as 5%%", tolerance);
			rc = PG_EINVAL;
			goto done;
		}
		for (i = 0; i < (*out)->n_metrics; i++)
			if ((*out)->metrics[i].metric->unit != PG_MU_RATIO)
				(*out)->metrics[i].tol_rel = q.value;
	}
	if (confidence != NULL) {
		if (pg_quantity_parse(&q, confidence) < 0 || q.kind != PG_UNIT_PERCENT ||
		    q.value < 0.5 || q.value >= 1) {
			pg_error_set("--confidence '%s': expected a percentage from 50%% to below "
				     "100%%, such as 99%%",
				     confidence);
			rc = PG_EINVAL;
			goto done;
		}
		(*out)->confidence = q.value;
	}
done:
	if (rc < 0) {
		pg_baseline_cfg_free(*out);
		*out = NULL;
	}
	return rc;
}

int pg_cli_baseline_option(pg_baseline_args *ba, int *no_baseline, int c, const char *arg)
{
	switch (c) {
	case 'b':
		ba->enabled = 1;
		ba->ref = arg;
		return 1;
	case 'B':
		ba->enabled = 1;
		ba->file = arg;
		return 1;
	case 'N':
		*no_baseline = 1;
		return 1;
	case 'x':
		ba->strict = 1;
		return 1;
	case 'f':
		ba->force = 1;
		return 1;
	case 'u':
		ba->update = 1;
		return 1;
	case 'm':
		ba->commit = 1;
		return 1;
	case 'n':
		ba->branch = arg;
		return 1;
	default:
		return 0;
	}
}

int pg_cli_baseline_check(const pg_baseline_args *ba, int no_baseline, const char *prog)
{
	const char *why = NULL;

	if ((ba->commit || ba->branch != NULL) && !ba->update)
		why = "--commit and --branch go with --update-baseline";
	else if (ba->commit && ba->branch != NULL)
		why = "give --commit or --branch, not both";
	else if (no_baseline && ba->enabled)
		why = "--no-baseline contradicts --baseline/--baseline-file";
	else if (ba->ref != NULL && ba->file != NULL)
		why = "give --baseline or --baseline-file, not both";
	if (why == NULL)
		return 0;
	fprintf(stderr, "%s: %s\n", prog, why);
	return PG_EXIT_USAGE;
}

/* Sets the document's verdict and exit code after the comparisons. */
static void doc_verdict(json_t *doc, int exit_code)
{
	json_object_set_new(doc, "verdict", json_string(exit_code == 0 ? "pass" : "fail"));
	json_object_set_new(doc, "exit_code", json_integer(exit_code));
}

static const char usage_compare[] =
    "usage: perfgate compare [options] OLD NEW\n"
    "\n"
    "Compares the results NEW (a results.json or its directory) with OLD (a\n"
    "results.json or a baseline file) scenario by scenario, like `perfgate run\n"
    "--baseline`, and exits 1 on a regression.\n"
    "\n"
    "  --suite FILE        take the compared metrics and tolerances from FILE's\n"
    "                      `baseline:` section (default: ttft.p95, e2e.p95,\n"
    "                      throughput.rps within 10%, errors.rate within 1 point)\n"
    "  --tolerance PCT     relative tolerance for every compared metric\n"
    "  --confidence PCT    confidence of the intervals (default 99%)\n"
    "  --json FILE         write NEW with the comparisons added to FILE\n"
    "  --strict            inconclusive fails (exit 1), refused exits 2\n"
    "  --force             compare even when load, workload, target or machine differ\n"
    "  --no-color          never colour the output\n";

int pg_cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {{"suite", required_argument, NULL, 's'},
						 {"tolerance", required_argument, NULL, 't'},
						 {"confidence", required_argument, NULL, 'c'},
						 {"json", required_argument, NULL, 'j'},
						 {"strict", no_argument, NULL, 'S'},
						 {"force", no_argument, NULL, 'F'},
						 {"no-color", no_argument, NULL, 'C'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	pg_baseline_args ba;
	pg_baseline_cfg *cfg = NULL;
	pg_compare_totals t;
	const char *suite = NULL, *json_out = NULL, *tol = NULL, *conf = NULL;
	json_t *doc = NULL;
	int c, color = isatty(STDOUT_FILENO), exit_code = PG_EXIT_USAGE;
	size_t i;

	memset(&ba, 0, sizeof(ba));
	memset(&t, 0, sizeof(t));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			suite = optarg;
			break;
		case 't':
			tol = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'j':
			json_out = optarg;
			break;
		case 'S':
			ba.strict = 1;
			break;
		case 'F':
			ba.force = 1;
			break;
		case 'C':
			color = 0;
			break;
		case 'h':
			fputs(usage_compare, stdout);
			return PG_EXIT_PASS;
		default:
			fputs(usage_compare, stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "perfgate compare: expected OLD and NEW\n\n%s", usage_compare);
		return PG_EXIT_USAGE;
	}
	if (pg_cli_baseline_cfg(&cfg, suite, tol, conf) < 0) {
		fprintf(stderr, "perfgate compare: %s\n", pg_error_last());
		goto done;
	}
	if (pg_cli_read_results(&doc, argv[optind + 1]) < 0) {
		fprintf(stderr, "perfgate compare: %s\n", pg_error_last());
		goto done;
	}
	for (i = 0; i < json_array_size(json_object_get(doc, "scenarios")); i++)
		if (!json_is_array(json_object_get(
			json_array_get(json_object_get(doc, "scenarios"), i), "runs"))) {
			fprintf(stderr,
				"perfgate compare: %s: scenario %zu has no \"runs\" estimates "
				"(written by an older perfgate?)\n",
				argv[optind + 1], i);
			goto done;
		}
	ba.enabled = 1;
	ba.file = argv[optind];
	if (compare_from_file(doc, cfg, &ba, &t) < 0) {
		fprintf(stderr, "perfgate compare: %s\n", pg_error_last());
		exit_code = PG_EXIT_USAGE;
		goto done;
	}
	pg_compare_print(stdout, doc, color);
	exit_code = pg_compare_exit_code(&t, ba.strict);
	printf("\n%s: %d compared, %d regression%s, %d improvement%s, %d inconclusive%s%s\n",
	       exit_code == 0 ? "PASS" : "FAIL", t.compared, t.regressions,
	       t.regressions == 1 ? "" : "s", t.improvements, t.improvements == 1 ? "" : "s",
	       t.inconclusive, t.refused ? ", refused: not comparable" : "",
	       t.missing ? ", some scenarios have no baseline" : "");
	doc_verdict(doc, exit_code);
	if (json_out != NULL && pg_report_json_write_doc(json_out, doc) < 0) {
		fprintf(stderr, "perfgate compare: --json %s: %s\n", json_out, pg_error_last());
		exit_code = PG_EXIT_ERROR;
	}
done:
	json_decref(doc);
	pg_baseline_cfg_free(cfg);
	return exit_code;
}
