/* `perfgate baseline update`, --update-baseline and `perfgate history`. */
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "cli_baseline.h"
#include "error.h"
#include "fileio.h"
#include "git_store.h"
#include "metrics.h"
#include "requirement.h"

#define BASELINE_MAX_BYTES (256u * 1024 * 1024)
#define MAX_SCENARIOS 1024

/* Where baselines are read and written: a repository (when the suite is in
 * one) and the directory its paths are relative to. */
typedef struct store {
	pg_git *git; /* NULL outside a repository */
	char root[4096];
	char head[41]; /* "" when unknown */
	char tip[41];  /* --branch: the branch's commit, "" when it does not exist yet */
} store;

static int store_open(store *st, const char *suite_path, const pg_baseline_args *ba)
{
	char *dir = pg_path_dir(suite_path);
	const char *wd;

	memset(st, 0, sizeof(*st));
	if (dir == NULL)
		return PG_ENOMEM;
	if (pg_git_open(&st->git, dir) < 0) {
		st->git = NULL;
		pg_error_clear();
	}
	free(dir);
	if (st->git == NULL) {
		if (ba->commit || ba->branch != NULL) {
			pg_error_set("--commit/--branch: %s is not inside a git repository", suite_path);
			return PG_EINVAL;
		}
		snprintf(st->root, sizeof(st->root), "./");
		return 0;
	}
	if ((wd = pg_git_workdir(st->git)) == NULL) {
		pg_error_set("the repository holding %s has no work tree", suite_path);
		return PG_EINVAL;
	}
	snprintf(st->root, sizeof(st->root), "%s", wd);
	if (pg_git_head(st->head, st->git) < 0) {
		st->head[0] = '\0';
		pg_error_clear();
	}
	if (ba->branch != NULL) {
		char how[256];

		if (pg_git_resolve_base(st->tip, how, sizeof(how), st->git, ba->branch, NULL) < 0) {
			st->tip[0] = '\0';
			pg_error_clear();
		}
	}
	return 0;
}

static void store_close(store *st)
{
	pg_git_free(st->git);
}

/* The existing baseline at rel (from the branch tip with --branch, else
 * the work tree); *out NULL when there is none. A corrupt one is an error:
 * it is never silently replaced. */
static int store_read(pg_baseline **out, store *st, const char *rel, int from_tip)
{
	char path[5200], origin[5200];
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (from_tip) {
		if (st->tip[0] == '\0')
			return 0;
		rc = pg_git_read_file(&text, &len, st->git, st->tip, rel);
		snprintf(origin, sizeof(origin), "%s at %.12s", rel, st->tip);
	} else {
		snprintf(path, sizeof(path), "%s%s", st->root, rel);
		if (access(path, F_OK) != 0)
			return 0;
		rc = pg_file_read_all(&text, &len, path, BASELINE_MAX_BYTES, "baseline");
		snprintf(origin, sizeof(origin), "%s", path);
	}
	if (rc == PG_ENOTFOUND) {
		pg_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = pg_baseline_parse(out, text, len, origin);
	free(text);
	return rc;
}

int pg_cli_update_baselines(const json_t *doc, const char *suite_path, int history,
			    const pg_baseline_args *ba)
{
	const char *suite = json_string_value(json_object_get(doc, "suite"));
	const json_t *scs = json_object_get(doc, "scenarios");
	const char *paths[MAX_SCENARIOS];
	char *owned[MAX_SCENARIOS];
	char recorded[32], commit[41];
	size_t i, n = 0;
	store st;
	int rc;

	if (suite == NULL || json_array_size(scs) == 0) {
		pg_error_set("the results hold no suite name or no scenario");
		return PG_EINVAL;
	}
	if (json_array_size(scs) > MAX_SCENARIOS) {
		pg_error_set("more than %d scenarios", MAX_SCENARIOS);
		return PG_ELIMIT;
	}
	if ((rc = store_open(&st, suite_path, ba)) < 0)
		return rc;
	pg_utc_now_iso8601(recorded, sizeof(recorded));
	for (i = 0; rc == 0 && i < json_array_size(scs); i++) {
		const json_t *sc = json_array_get(scs, i);
		const char *name = json_string_value(json_object_get(sc, "name"));
		pg_baseline *b = NULL;
		char rel[1024], full[5200];
		char *text = NULL;

		if (name == NULL) {
			pg_error_set("scenario %zu has no name", i);
			rc = PG_EINVAL;
			break;
		}
		if ((rc = pg_baseline_path(rel, sizeof(rel), suite, name)) < 0)
			break;
		if ((rc = store_read(&b, &st, rel, ba->branch != NULL)) < 0)
			break;
		if (b == NULL)
			rc = pg_baseline_new(&b, suite, name, history);
		else
			rc = pg_baseline_set_limit(b, history);
		if (rc == 0)
			rc = pg_baseline_add_run(b, sc, st.head[0] ? st.head : NULL, recorded);
		if (rc == 0)
			rc = pg_baseline_serialize(&text, b);
		snprintf(full, sizeof(full), "%s%s", st.root, rel);
		if (rc == 0) {
			char *d = pg_path_dir(full);

			rc = d == NULL ? PG_ENOMEM : pg_mkdir_p(d);
			free(d);
		}
		if (rc == 0)
			rc = pg_file_write_atomic(full, text, strlen(text));
		if (rc == 0) {
			printf("baseline %s: %zu run%s of history\n", rel, pg_baseline_history_len(b),
			       pg_baseline_history_len(b) == 1 ? "" : "s");
			owned[n] = strdup(rel);
			if (owned[n] == NULL)
				rc = PG_ENOMEM;
			else
				paths[n] = owned[n], n++;
		}
		free(text);
		pg_baseline_free(b);
	}
	if (rc == 0 && (ba->commit || ba->branch != NULL)) {
		char msg[512];

		snprintf(msg, sizeof(msg), "perfgate: baseline of %s (%zu scenario%s)\n\nRecorded %s%s%s.\n",
			 suite, n, n == 1 ? "" : "s", recorded, st.head[0] ? " at " : "",
			 st.head[0] ? st.head : "");
		rc = pg_git_commit_files(commit, st.git, paths, n, msg, ba->branch);
		if (rc == 0)
			printf("committed %.12s%s%s\n", commit, ba->branch ? " to " : "",
			       ba->branch ? ba->branch : "");
	}
	for (i = 0; i < n; i++)
		free(owned[i]);
	store_close(&st);
	return rc;
}

static const char usage_baseline[] =
    "usage: perfgate baseline update SUITE --results DIR|FILE [options]\n"
    "\n"
    "Adds the runs in a results document (perfgate run --out DIR) to the\n"
    "baselines of SUITE, baselines/<suite>/<scenario>.json at the root of the\n"
    "repository holding SUITE, keeping the last `baseline.history` runs.\n"
    "\n"
    "  --results PATH   results.json, or the directory holding it (required)\n"
    "  --commit         commit the baseline files (and nothing else) on the\n"
    "                   current branch; refused when other changes are staged\n"
    "  --branch NAME    commit them to branch NAME instead, without a checkout\n"
    "  --history K      runs kept (default: the suite's, else 20)\n";

int pg_cmd_baseline(int argc, char **argv)
{
	static const struct option longopts[] = {{"results", required_argument, NULL, 'r'},
						 {"commit", no_argument, NULL, 'c'},
						 {"branch", required_argument, NULL, 'b'},
						 {"history", required_argument, NULL, 'k'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	pg_baseline_args ba;
	pg_baseline_cfg *cfg = NULL;
	const char *results = NULL;
	json_t *doc = NULL;
	long history = 0;
	int c, exit_code = PG_EXIT_USAGE;

	memset(&ba, 0, sizeof(ba));
	if (argc < 2 || strcmp(argv[1], "update") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(usage_baseline, stdout);
			return PG_EXIT_PASS;
		}
		fprintf(stderr, "perfgate baseline: expected `update`\n\n%s", usage_baseline);
		return PG_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			results = optarg;
			break;
		case 'c':
			ba.commit = 1;
			break;
		case 'b':
			ba.branch = optarg;
			break;
		case 'k': {
			char *end;

			history = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || history < 1 ||
			    history > PG_BASELINE_HISTORY_MAX) {
				fprintf(stderr, "perfgate baseline update: --history '%s': expected "
						"1 to %d\n", optarg, PG_BASELINE_HISTORY_MAX);
				return PG_EXIT_USAGE;
			}
			break;
		}
		case 'h':
			fputs(usage_baseline, stdout);
			return PG_EXIT_PASS;
		default:
			fputs(usage_baseline, stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || results == NULL) {
		fprintf(stderr, "perfgate baseline update: expected SUITE and --results\n\n%s",
			usage_baseline);
		return PG_EXIT_USAGE;
	}
	if (ba.commit && ba.branch != NULL) {
		fprintf(stderr, "perfgate baseline update: give --commit or --branch, not both\n");
		return PG_EXIT_USAGE;
	}
	if (pg_cli_baseline_cfg(&cfg, argv[optind], NULL, NULL) < 0) {
		fprintf(stderr, "%s\n", pg_error_last());
		goto done;
	}
	if (pg_cli_read_results(&doc, results) < 0) {
		fprintf(stderr, "perfgate baseline update: %s\n", pg_error_last());
		goto done;
	}
	if (json_is_true(json_object_get(doc, "interrupted"))) {
		fprintf(stderr, "perfgate baseline update: %s is from an interrupted run; not "
				"added\n", results);
		goto done;
	}
	ba.update = 1;
	exit_code = PG_EXIT_ERROR;
	if (pg_cli_update_baselines(doc, argv[optind], history ? (int)history : cfg->history, &ba) <
	    0) {
		fprintf(stderr, "perfgate baseline update: %s\n", pg_error_last());
		goto done;
	}
	exit_code = PG_EXIT_PASS;
done:
	json_decref(doc);
	pg_baseline_cfg_free(cfg);
	return exit_code;
}
