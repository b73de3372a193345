/*
 * `perfgate merge PART... [options]`: combines the parts written by
 * `perfgate run SUITE --shard I/N` into one run, then gates, compares,
 * reports and exits exactly as `perfgate run` does (docs/sharding.md).
 *
 * Every part carries, per scenario and repeat, the mergeable state of its
 * run (shard.h): the recorders are merged (histograms exactly, counters
 * summed), the per-second series are added up, and a sweep's levels are
 * merged level by level before the knee is looked for, so capacity is
 * that of the whole. The measured window of the merged run is the longest
 * of the parts' (they are equal for a duration; in request-count mode the
 * slowest part's), so throughput is the summed completions over it.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_baseline.h"
#include "error.h"
#include "estimate.h"
#include "gate.h"
#include "log.h"
#include "plugin_loader.h"
#include "recorder_json.h"
#include "report.h"
#include "report_ci.h"
#include "shard.h"
#include "suite.h"

#define RESULTS_SCHEMA "perfgate-results/1"

static const char usage_merge[] =
    "usage: perfgate merge PART... [options]\n"
    "\n"
    "Combines the parts of a sharded run (`perfgate run SUITE --shard I/N --out DIR`\n"
    "for I = 1..N, e.g. on N CI machines) into one run: histograms and counters\n"
    "merge exactly, requirements are judged on the whole, and baselines and\n"
    "reports work as for run. A PART is a results.json or the directory holding\n"
    "it; give all N, in any order.\n"
    "\n"
    "options:\n"
    "  --out DIR           write DIR/results.json\n"
    "  --suite FILE        the suite the parts ran (default: their suite_file, as\n"
    "                      recorded, from the current directory)\n"
    "  --set KEY=VALUE     an override the parts ran with (repeatable)\n"
    "  --target URL        the --target the parts ran with\n"
    "  --transport NAME    the --transport the parts ran with\n"
    "  --plugin-path DIRS  ':'-separated directories searched for plugins\n"
    "  --report SPEC       also write CI reports: junit,github,gitlab,openmetrics,html\n"
    "                      (each optionally =PATH; default paths in --out DIR)\n"
    "  --baseline REF      compare with the baselines committed at REF\n"
    "  --baseline-file F   compare with a baseline file or a results.json\n"
    "  --no-baseline       do not compare\n"
    "  --strict            an inconclusive comparison fails (1), a refused one exits 2\n"
    "  --force             compare even when load, workload, target or machine differ\n"
    "  --update-baseline   when the merged run passes, add it to the baselines\n"
    "  --commit            ... and commit those files (libgit2)\n"
    "  --branch NAME       ... and commit them to branch NAME instead\n"
    "  --color, --no-color force or disable colour (default: on a terminal)\n"
    "  -v, --verbose       log more\n"
    "\n"
    "Exit codes: as for run: 0 every requirement met, 1 a requirement failed or a\n"
    "regression, 2 bad usage or parts that do not make one run (missing or repeated\n"
    "shards, other suites, corrupt state), 3 the merge could not be carried out.\n";

typedef struct merge_args {
	const char **parts;
	size_t n_parts;
	const char *out;
	const char *suite;
	const char *target;
	const char *plugin_path;
	const char *report;
	const char **sets;
	size_t n_sets;
	int color;
	pg_baseline_args baseline;
	int no_baseline;
} merge_args;

/* One part: its file and its results document. */
typedef struct part {
	const char *path;
	json_t *doc;
	pg_shard shard;
} part;

/* Sets a message and returns PG_EINVAL: parts that do not make one run. */
static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int refuse(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pg_error_vset(fmt, ap);
	va_end(ap);
	return PG_EINVAL;
}

static int parse_args(merge_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
						 {"suite", required_argument, NULL, 'U'},
						 {"set", required_argument, NULL, 'S'},
						 {"target", required_argument, NULL, 't'},
						 {"transport", required_argument, NULL, 'T'},
						 {"plugin-path", required_argument, NULL, 'p'},
						 {"report", required_argument, NULL, 'P'},
						 PG_CLI_BASELINE_LONGOPTS,
						 {"color", no_argument, NULL, 'c'},
						 {"no-color", no_argument, NULL, 'C'},
						 {"verbose", no_argument, NULL, 'v'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	int c;

	a->color = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 'U':
			a->suite = optarg;
			break;
		case 'S':
			if (pg_cli_append(&a->sets, &a->n_sets, optarg) < 0)
				return PG_EXIT_ERROR;
			break;
		case 't':
			a->target = optarg;
			break;
		case 'T': {
			int rc = pg_cli_transport_option(&a->sets, &a->n_sets, optarg,
							 "perfgate merge");

			if (rc != 0)
				return rc;
			break;
		}
		case 'p':
			a->plugin_path = optarg;
			break;
		case 'P':
			if (pg_reports_check(optarg) < 0) {
				fprintf(stderr, "perfgate merge: %s\n", pg_error_last());
				return PG_EXIT_USAGE;
			}
			a->report = optarg;
			break;
		case 'c':
			a->color = 1;
			break;
		case 'C':
			a->color = 0;
			break;
		case 'v':
			pg_log_set_level(PG_LOG_DEBUG);
			break;
		case 'h':
			fputs(usage_merge, stdout);
			return -1;
		default:
			if (pg_cli_baseline_option(&a->baseline, &a->no_baseline, c, optarg))
				break;
			fputs(usage_merge, stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "perfgate merge: missing PART arguments\n\n%s", usage_merge);
		return PG_EXIT_USAGE;
	}
	a->parts = (const char **)(argv + optind);
	a->n_parts = (size_t)(argc - optind);
	if (pg_cli_baseline_check(&a->baseline, a->no_baseline, "perfgate merge") != 0)
		return PG_EXIT_USAGE;
	return 0;
}

/* ---- checking the parts -------------------------------------------------- */

static const char *str_at(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

static const json_t *scenarios_of(const part *p)
{
	return json_object_get(p->doc, "scenarios");
}

static const json_t *repeats_of(const part *p, size_t si)
{
	const json_t *sc = json_array_get(scenarios_of(p), si);

	return json_object_get(json_object_get(sc, "state"), "repeats");
}

/* Reads one part and checks it is a part at all. */
static int read_part(part *p, const char *path)
{
	const json_t *sh, *idx, *cnt, *scs;
	size_t i;
	int rc;

	p->path = path;
	if ((rc = pg_cli_read_results(&p->doc, path)) < 0)
		return rc;
	if (strcmp(str_at(p->doc, "schema"), RESULTS_SCHEMA) != 0)
		return refuse("%s: not a perfgate results document (schema '%s')", path,
			      str_at(p->doc, "schema"));
	if (json_is_true(json_object_get(p->doc, "interrupted")))
		return refuse("%s is from an interrupted run: its share of the load is incomplete",
			      path);
	sh = json_object_get(p->doc, "shard");
	idx = json_object_get(sh, "index");
	cnt = json_object_get(sh, "count");
	if (sh == NULL)
		return refuse("%s is not a part of a sharded run (it has no \"shard\"; write parts "
			      "with perfgate run --shard I/N)",
			      path);
	if (!json_is_integer(cnt) || json_integer_value(cnt) < 1 ||
	    json_integer_value(cnt) > PG_SHARD_MAX || !json_is_integer(idx) ||
	    json_integer_value(idx) < 1 || json_integer_value(idx) > json_integer_value(cnt))
		return refuse("%s: \"shard\" must hold an index from 1 to a count of at most %d",
			      path, PG_SHARD_MAX);
	p->shard.index = (unsigned int)json_integer_value(idx);
	p->shard.count = (unsigned int)json_integer_value(cnt);
	scs = scenarios_of(p);
	if (!json_is_array(scs) || json_array_size(scs) == 0)
		return refuse("%s: no scenarios", path);
	for (i = 0; i < json_array_size(scs); i++) {
		const json_t *rep = repeats_of(p, i);

		if (!json_is_string(json_object_get(json_array_get(scs, i), "name")))
			return refuse("%s: scenarios[%zu] has no name", path, i);
		if (!json_is_array(rep) || json_array_size(rep) == 0)
			return refuse("%s: scenarios[%zu].state.repeats: missing or empty", path,
				      i);
	}
	return 0;
}

static int by_index(const void *a, const void *b)
{
	const part *x = a, *y = b;

	return x->shard.index < y->shard.index ? -1 : x->shard.index > y->shard.index;
}

/* One shard of each index 1..N: sorts the parts by index. */
static int check_indexes(part *parts, size_t n)
{
	unsigned int count = parts[0].shard.count, i;
	char missing[512];
	size_t k, used = 0;

	for (k = 1; k < n; k++)
		if (parts[k].shard.count != count)
			return refuse("%s is shard %u/%u but %s is shard %u/%u: parts of different "
				      "splits do not merge",
				      parts[0].path, parts[0].shard.index, count, parts[k].path,
				      parts[k].shard.index, parts[k].shard.count);
	qsort(parts, n, sizeof(*parts), by_index);
	for (k = 1; k < n; k++)
		if (parts[k].shard.index == parts[k - 1].shard.index)
			return refuse("%s and %s are both shard %u/%u: give each part once",
				      parts[k - 1].path, parts[k].path, parts[k].shard.index,
				      count);
	if (n == count)
		return 0;
	missing[0] = '\0';
	for (i = 1, k = 0; i <= count && used < sizeof(missing) - 16; i++) {
		int w;

		if (k < n && parts[k].shard.index == i) {
			k++;
			continue;
		}
		w = snprintf(missing + used, sizeof(missing) - used, "%s%u/%u", used ? ", " : "", i,
			     count);
		if (w > 0)
			used += (size_t)w;
	}
	return refuse("shard%s %s %s missing: a merge needs all %u parts", n + 1 < count ? "s" : "",
		      missing, n + 1 < count ? "are" : "is", count);
}

/* What every part must share with the first. */
static int check_same_run(const part *parts, size_t n)
{
	const part *a = &parts[0];
	size_t k, i, r;

	for (k = 1; k < n; k++) {
		const part *b = &parts[k];
		const json_t *ta = json_object_get(a->doc, "target"), *tb;
		const json_t *sa = scenarios_of(a), *sb = scenarios_of(b);

		if (strcmp(str_at(a->doc, "suite"), str_at(b->doc, "suite")) != 0 ||
		    strcmp(str_at(a->doc, "suite_file"), str_at(b->doc, "suite_file")) != 0)
			return refuse("%s is from suite '%s' (%s) but %s from suite '%s' (%s): "
				      "parts of different suites do not merge",
				      a->path, str_at(a->doc, "suite"),
				      str_at(a->doc, "suite_file"), b->path,
				      str_at(b->doc, "suite"), str_at(b->doc, "suite_file"));
		tb = json_object_get(b->doc, "target");
		if (strcmp(str_at(ta, "url"), str_at(tb, "url")) != 0 ||
		    strcmp(str_at(ta, "adapter"), str_at(tb, "adapter")) != 0)
			return refuse("%s ran against %s (%s) but %s against %s (%s)", a->path,
				      str_at(ta, "url"), str_at(ta, "adapter"), b->path,
				      str_at(tb, "url"), str_at(tb, "adapter"));
		if (json_array_size(sa) != json_array_size(sb))
			return refuse(
			    "%s ran %zu scenarios but %s ran %zu (give run --scenario the "
			    "same way to every shard)",
			    a->path, json_array_size(sa), b->path, json_array_size(sb));
		for (i = 0; i < json_array_size(sa); i++) {
			const json_t *ca = json_array_get(sa, i), *cb = json_array_get(sb, i);
			const json_t *fa = json_object_get(ca, "fingerprint");
			const json_t *fb = json_object_get(cb, "fingerprint");
			const char *name = str_at(ca, "name");

			if (strcmp(name, str_at(cb, "name")) != 0)
				return refuse("%s ran scenario '%s' where %s ran '%s'", a->path,
					      name, b->path, str_at(cb, "name"));
			if (strcmp(str_at(fa, "load_hash"), str_at(fb, "load_hash")) != 0 ||
			    strcmp(str_at(fa, "workload_hash"), str_at(fb, "workload_hash")) != 0)
				return refuse(
				    "scenario %s: %s and %s ran different loads or "
				    "workloads (their fingerprints differ: were the suite "
				    "or --set the same?)",
				    name, a->path, b->path);
			r = json_array_size(repeats_of(b, i));
			if (r != json_array_size(repeats_of(a, i)))
				return refuse("scenario %s: %s holds %zu repeats but %s holds %zu",
					      name, a->path, json_array_size(repeats_of(a, i)),
					      b->path, r);
		}
	}
	return 0;
}

/* ---- merging ------------------------------------------------------------- */

/* The recovery of a merged spike: the slowest part's (each part saw its
 * share of the spike), never recovered when a part did not. */
typedef struct recovery_acc {
	int has;
	double ns;
	char reason[160];
} recovery_acc;

static void state_path(char *buf, size_t size, const part *p, size_t si, size_t r, long level)
{
	if (level < 0)
		snprintf(buf, size, "%s: scenarios[%zu].state.repeats[%zu]", p->path, si, r);
	else
		snprintf(buf, size, "%s: scenarios[%zu].state.repeats[%zu].levels[%ld]", p->path,
			 si, r, level);
}

/* The state of part p for scenario si, repeat r, sweep level `level`
 * (-1: not a sweep); NULL with a message when it is not there. */
static const json_t *state_of(const part *p, size_t si, size_t r, long level, size_t n_levels)
{
	const json_t *st = json_array_get(repeats_of(p, si), r), *lv;
	char path[512];

	state_path(path, sizeof(path), p, si, r, -1);
	if (level < 0)
		return st;
	lv = json_object_get(st, "levels");
	if (!json_is_array(lv) || json_array_size(lv) != n_levels) {
		refuse("%s.levels: expected the %zu levels of the suite's sweep", path, n_levels);
		return NULL;
	}
	return json_array_get(lv, (size_t)level);
}

/* Adds part's run into *out (the first part's run becomes *out). */
static int add_run(pg_engine_result *out, recovery_acc *acc, pg_shard_run *one, int first,
		   const pg_shard *sh)
{
	pg_recorder *rec = one->run.rec;
	pg_ns len = rec->window_end > rec->window_start ? rec->window_end - rec->window_start : 0;
	int rc;

	/* the parts' clocks are unrelated: keep each window's length only */
	rec->window_start = 0;
	rec->window_end = len;
	if (one->has_recovery) {
		if (!acc->has ||
		    (acc->ns >= 0 && (one->recovery_ns < 0 || one->recovery_ns > acc->ns))) {
			acc->ns = one->recovery_ns;
			snprintf(acc->reason, sizeof(acc->reason), "shard %u/%u: %.128s", sh->index,
				 sh->count, one->recovery_reason);
		}
		acc->has = 1;
	}
	if (first) {
		*out = one->run;
		memset(&one->run, 0, sizeof(one->run));
		return 0;
	}
	if ((rc = pg_recorder_merge(out->rec, rec)) < 0 ||
	    (rc = pg_series_merge(out->series, one->run.series)) < 0)
		return rc;
	if (one->run.window_offset > out->window_offset)
		out->window_offset = one->run.window_offset;
	out->workers += one->run.workers;
	out->warmup_requests += one->run.warmup_requests;
	out->cooldown_requests += one->run.cooldown_requests;
	if (out->first_connect_error[0] == '\0')
		snprintf(out->first_connect_error, sizeof(out->first_connect_error), "%s",
			 one->run.first_connect_error);
	out->judged |= one->run.judged;
	out->judge_failures += one->run.judge_failures;
	if (out->judge_error[0] == '\0')
		snprintf(out->judge_error, sizeof(out->judge_error), "%s", one->run.judge_error);
	return 0;
}

/* Merges the parts' runs of scenario si, repeat r (sweep level `level`, or
 * -1) into *out. */
static int merge_runs(pg_engine_result *out, recovery_acc *acc, const part *parts, size_t n,
		      const pg_scenario *sc, size_t si, size_t r, long level)
{
	size_t k, n_levels = sc->sweep != NULL ? sc->sweep->n_levels : 0;
	char path[512];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < n && rc == 0; k++) {
		const json_t *st = state_of(&parts[k], si, r, level, n_levels);
		pg_shard_run one;

		if (st == NULL) {
			rc = PG_EINVAL;
			break;
		}
		state_path(path, sizeof(path), &parts[k], si, r, level);
		if ((rc = pg_shard_run_from_json(&one, st, path)) < 0)
			break;
		if (memcmp(&one.run.rec->slo, &sc->goodput, sizeof(sc->goodput)) != 0)
			rc = refuse(
			    "%s: the goodput objectives differ from scenario %s's in the suite",
			    path, sc->name);
		else if ((rc = add_run(out, acc, &one, k == 0, &parts[k].shard)) < 0)
			pg_error_prefix("%s", path);
		pg_engine_result_clear(&one.run);
	}
	if (rc == 0)
		out->generator_bound =
		    out->rec->started > 0 && out->rec->late * 100 > out->rec->started;
	else
		pg_engine_result_clear(out);
	return rc;
}

/* A sweep's repeat: every level merged, then the knee of the whole. */
static int merge_sweep(pg_scenario_result *t, const part *parts, size_t n, size_t si, size_t r)
{
	const pg_sweep *sw = t->scenario->sweep;
	pg_engine_result *runs = calloc(sw->n_levels, sizeof(*runs));
	recovery_acc acc;
	size_t i, keep;
	int rc = 0;

	t->levels = calloc(sw->n_levels, sizeof(*t->levels));
	if (runs == NULL || t->levels == NULL) {
		free(runs);
		pg_error_set("out of memory merging a sweep");
		return PG_ENOMEM;
	}
	memset(&acc, 0, sizeof(acc));
	for (i = 0; i < sw->n_levels && rc == 0; i++) {
		if ((rc = merge_runs(&runs[i], &acc, parts, n, t->scenario, si, r, (long)i)) < 0)
			break;
		pg_cli_sweep_level(&t->levels[i], sw->levels[i], &runs[i]);
		t->n_levels = i + 1;
	}
	if (rc == 0) {
		pg_analysis_knee(&t->knee, t->knee_reason, sizeof(t->knee_reason), t->levels,
				 t->n_levels, sw);
		keep = t->knee >= 0 ? (size_t)t->knee : 0;
		t->run = runs[keep];
		memset(&runs[keep], 0, sizeof(runs[keep]));
		if (t->knee >= 0) {
			t->measure.has_capacity = 1;
			t->measure.capacity_rps = t->levels[t->knee].rps;
			t->measure.capacity_load = t->levels[t->knee].load;
			t->measure.capacity_by_rate = sw->by_rate;
		}
	}
	for (i = 0; i < sw->n_levels; i++)
		pg_engine_result_clear(&runs[i]);
	free(runs);
	return rc;
}

/* Merges repeat r of scenario si into t (t->scenario set) and appends its
 * {"estimates", "windows"} entry to runs. */
static int merge_repeat(pg_scenario_result *t, json_t *runs, const part *parts, size_t n, size_t si,
			size_t r, const pg_suite *suite)
{
	const pg_load *l = &t->scenario->load;
	recovery_acc acc;
	json_t *entry;
	int rc;

	memset(&acc, 0, sizeof(acc));
	t->knee = -1;
	if (t->scenario->sweep != NULL)
		rc = merge_sweep(t, parts, n, si, r);
	else
		rc = merge_runs(&t->run, &acc, parts, n, t->scenario, si, r, -1);
	if (rc < 0)
		return rc;
	t->measure.rec = t->run.rec;
	t->measure.cost = suite->cost;
	if (l->spike_end > l->spike_start) {
		t->measure.has_recovery = 1;
		t->measure.recovery_ns = acc.has ? acc.ns : -1;
		snprintf(t->measure.recovery_reason, sizeof(t->measure.recovery_reason), "%s",
			 acc.has ? acc.reason : "the parts recorded no recovery time");
	}
	entry = json_pack("{s:o, s:o}", "estimates",
			  pg_estimates_json(&t->measure, t->run.series, suite->baseline), "windows",
			  pg_windows_json(t->run.series));
	if (entry == NULL || json_array_append_new(runs, entry) < 0) {
		pg_error_set("out of memory merging scenario %s", t->scenario->name);
		return PG_ENOMEM;
	}
	return 0;
}

static int merge_scenario(pg_scenario_result *sr, const pg_scenario *sc, const part *parts,
			  size_t n, size_t si, const pg_suite *suite)
{
	size_t r, repeats = json_array_size(repeats_of(&parts[0], si));
	int rc = 0;

	sr->scenario = sc;
	sr->knee = -1;
	if ((sr->runs = json_array()) == NULL) {
		pg_error_set("out of memory merging scenario %s", sc->name);
		return PG_ENOMEM;
	}
	for (r = 0; r < repeats && rc == 0; r++) {
		pg_scenario_result t;

		memset(&t, 0, sizeof(t));
		t.scenario = sc;
		rc = merge_repeat(&t, sr->runs, parts, n, si, r, suite);
		if (rc == 0 && r == 0) { /* the first repeat's measurements are reported */
			sr->run = t.run;
			sr->measure = t.measure;
			sr->levels = t.levels;
			sr->n_levels = t.n_levels;
			sr->knee = t.knee;
			memcpy(sr->knee_reason, t.knee_reason, sizeof(sr->knee_reason));
			continue;
		}
		pg_engine_result_clear(&t.run);
		free(t.levels);
	}
	if (rc == 0)
		sr->measure.rec = sr->run.rec;
	return rc < 0 ? rc : pg_gate_evaluate(sr);
}

/* Merges every scenario of the parts into run (run->suite set). */
static int merge_all(pg_run_result *run, const part *parts, size_t n)
{
	const json_t *scs = scenarios_of(&parts[0]);
	size_t si, k;
	int rc;

	snprintf(run->target, sizeof(run->target), "%s",
		 str_at(json_object_get(parts[0].doc, "target"), "url"));
	snprintf(run->started_at, sizeof(run->started_at), "%s",
		 str_at(parts[0].doc, "started_at"));
	for (k = 1; k < n; k++) /* the earliest start (ISO 8601 UTC sorts as text) */
		if (strcmp(str_at(parts[k].doc, "started_at"), run->started_at) < 0)
			snprintf(run->started_at, sizeof(run->started_at), "%s",
				 str_at(parts[k].doc, "started_at"));
	run->scenarios = calloc(json_array_size(scs), sizeof(*run->scenarios));
	if (run->scenarios == NULL) {
		pg_error_set("out of memory merging the parts");
		return PG_ENOMEM;
	}
	for (si = 0; si < json_array_size(scs); si++) {
		const char *name = str_at(json_array_get(scs, si), "name");
		const pg_scenario *sc = pg_suite_scenario(run->suite, name);

		if (sc == NULL)
			return refuse("the parts ran scenario '%s', which suite %s does not have",
				      name, run->suite->path);
		rc = merge_scenario(&run->scenarios[si], sc, parts, n, si, run->suite);
		run->n_scenarios = si + 1;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The suite loaded now must describe the load the parts ran: same
 * scenario load and workload fingerprints. */
static int check_fingerprints(const pg_run_result *run, const part *parts)
{
	json_t *doc = pg_report_json_build(run);
	const json_t *mine = json_object_get(doc, "scenarios");
	size_t i;
	int rc = 0;

	if (doc == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	for (i = 0; i < json_array_size(mine) && rc == 0; i++) {
		const json_t *fa = json_object_get(json_array_get(mine, i), "fingerprint");
		const json_t *fb =
		    json_object_get(json_array_get(scenarios_of(&parts[0]), i), "fingerprint");
		const char *what =
		    strcmp(str_at(fa, "load_hash"), str_at(fb, "load_hash")) != 0 ? "load"
		    : strcmp(str_at(fa, "workload_hash"), str_at(fb, "workload_hash")) != 0
			? "workload"
			: NULL;

		if (what != NULL)
			rc =
			    refuse("scenario %s: the %s of suite %s as loaded now differs from the "
				   "one the parts ran: give merge the suite (--suite), --set and "
				   "--target the parts ran with",
				   run->scenarios[i].scenario->name, what, run->suite->path);
	}
	json_decref(doc);
	return rc;
}

/* The document's "merged" object: which parts made the run. */
static json_t *merged_info(const part *parts, size_t n)
{
	json_t *list = json_array();
	size_t k;

	for (k = 0; list != NULL && k < n; k++)
		json_array_append_new(list,
				      json_pack("{s:s, s:I, s:s}", "file", parts[k].path, "index",
						(json_int_t)parts[k].shard.index, "started_at",
						str_at(parts[k].doc, "started_at")));
	return json_pack("{s:I, s:o}", "count", (json_int_t)n, "parts", list);
}

static int load_suite(pg_suite **out, pg_plugin_registry **reg, const merge_args *a,
		      const part *first)
{
	pg_suite_load_opts lo = PG_SUITE_LOAD_OPTS_INIT;
	const char *path = a->suite != NULL ? a->suite : str_at(first->doc, "suite_file");
	int rc;

	if ((rc = pg_plugins_new(reg, a->plugin_path)) < 0)
		return rc;
	lo.target_url = a->target;
	lo.sets = a->sets;
	lo.n_sets = a->n_sets;
	lo.lookup = pg_cli_lookup_plugin;
	lo.lookup_ctx = *reg;
	if ((rc = pg_suite_load(out, path, &lo)) < 0) {
		pg_error_prefix("the suite the parts ran%s",
				a->suite != NULL ? "" : " (give --suite FILE if it is elsewhere)");
		return PG_EINVAL;
	}
	if (strcmp((*out)->name, str_at(first->doc, "suite")) != 0)
		return refuse("%s is suite '%s' but the parts ran suite '%s'", path, (*out)->name,
			      str_at(first->doc, "suite"));
	return 0;
}

int pg_cmd_merge(int argc, char **argv)
{
	merge_args a;
	part *parts = NULL;
	pg_plugin_registry *reg = NULL;
	pg_suite *suite = NULL;
	pg_run_result run;
	pg_exec_opts x;
	json_t *info = NULL;
	size_t k;
	int rc, exit_code = PG_EXIT_USAGE;

	memset(&a, 0, sizeof(a));
	memset(&run, 0, sizeof(run));
	rc = parse_args(&a, argc, argv);
	if (rc != 0) {
		exit_code = rc < 0 ? PG_EXIT_PASS : rc;
		goto done;
	}
	if ((parts = calloc(a.n_parts, sizeof(*parts))) == NULL) {
		pg_error_set("out of memory");
		rc = PG_ENOMEM;
		goto fail;
	}
	for (k = 0; k < a.n_parts; k++)
		if ((rc = read_part(&parts[k], a.parts[k])) < 0)
			goto fail;
	if ((rc = check_indexes(parts, a.n_parts)) < 0 ||
	    (rc = check_same_run(parts, a.n_parts)) < 0 ||
	    (rc = load_suite(&suite, &reg, &a, &parts[0])) < 0)
		goto fail;
	run.suite = suite;
	if ((rc = merge_all(&run, parts, a.n_parts)) < 0 ||
	    (rc = check_fingerprints(&run, parts)) < 0)
		goto fail;
	if ((info = merged_info(parts, a.n_parts)) == NULL) {
		pg_error_set("out of memory");
		rc = PG_ENOMEM;
		goto fail;
	}
	pg_log(PG_LOG_INFO, "merged %zu parts of suite %s", a.n_parts, suite->name);
	memset(&x, 0, sizeof(x));
	x.out_dir = a.out;
	x.color = a.color;
	x.report = a.report;
	x.baseline = &a.baseline;
	x.no_baseline = a.no_baseline;
	x.quiet = 1;
	x.merged = &run;
	x.merged_info = info;
	exit_code = pg_cli_execute(suite, &x);
	goto done;
fail:
	fprintf(stderr, "perfgate merge: %s\n", pg_error_last());
	exit_code = rc == PG_ENOMEM || rc == PG_ERROR ? PG_EXIT_ERROR : PG_EXIT_USAGE;
done:
	pg_run_result_clear(&run);
	json_decref(info);
	for (k = 0; parts != NULL && k < a.n_parts; k++)
		json_decref(parts[k].doc);
	free(parts);
	pg_suite_free(suite);
	pg_plugins_free(reg);
	free(a.sets);
	return exit_code;
}
