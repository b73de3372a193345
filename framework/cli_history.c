/* `perfgate history`: a metric's trend over a baseline's git history, with
 * change points (PELT, docs/statistics.md). */
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_baseline.h"
#include "error.h"
#include "git_store.h"
#include "metrics.h"
#include "requirement.h"
#include "units.h"

#define HISTORY_MAX_COMMITS 1000

static const char usage_history[] =
    "usage: perfgate history SUITE [options]\n"
    "\n"
    "Walks the git history of SUITE's baseline files and prints each metric's\n"
    "value at every commit that changed them, oldest first, marking the\n"
    "commits where the level shifted (change points found by PELT).\n"
    "\n"
    "  --scenario NAME   one scenario (default: every scenario that has a baseline)\n"
    "  --metric NAME     one metric, e.g. ttft.p95 (default: the compared ones)\n"
    "  --ref REF         walk from REF (default: HEAD)\n"
    "  --limit N         at most N commits (default 200)\n"
    "  --min-shift PCT   ignore level shifts smaller than PCT (default 5%)\n"
    "  --penalty X       change-point penalty factor (default 2; 1 = BIC finds more, some false)\n";

/* One point of a metric's trend. */
typedef struct point {
	const pg_git_version *v;
	double value;
} point;

/* The value of metric in the newest history entry of a baseline version. */
static double version_value(const pg_git_version *v, const char *path, const char *metric)
{
	pg_baseline *b = NULL;
	pg_run_estimate *e = NULL;
	char origin[1100];
	size_t n = 0;
	double out = NAN;

	snprintf(origin, sizeof(origin), "%s at %.12s", path, v->commit);
	if (pg_baseline_parse(&b, v->content, v->len, origin) < 0) {
		fprintf(stderr, "perfgate history: skipping %s\n", pg_error_last());
		return NAN;
	}
	if (pg_baseline_estimates(&e, &n, b, metric) == 0 && n > 0)
		out = e[n - 1].value;
	free(e);
	pg_baseline_free(b);
	return out;
}

/* Mean of x[from, to). */
static double seg_mean(const double *x, size_t from, size_t to)
{
	double sum = 0;
	size_t i;

	for (i = from; i < to; i++)
		sum += x[i];
	return to > from ? sum / (double)(to - from) : NAN;
}

/* Removes, smallest first, the change points whose level shift is below
 * min_shift relative to the level before it: statistically clear but
 * practically irrelevant shifts (a 1 % step in a very quiet series) are
 * not worth a reader's attention. */
static void drop_small_shifts(size_t *cps, size_t *ncp, const double *x, size_t n,
			      double min_shift)
{
	for (;;) {
		size_t i, worst = 0;
		double smallest = INFINITY;

		for (i = 0; i < *ncp; i++) {
			size_t from = i > 0 ? cps[i - 1] : 0, to = i + 1 < *ncp ? cps[i + 1] : n;
			double before = seg_mean(x, from, cps[i]), after = seg_mean(x, cps[i], to);
			double rel = before != 0 ? fabs(after - before) / fabs(before) : INFINITY;

			if (rel < smallest) {
				smallest = rel;
				worst = i;
			}
		}
		if (*ncp == 0 || smallest >= min_shift)
			return;
		memmove(&cps[worst], &cps[worst + 1], (*ncp - worst - 1) * sizeof(*cps));
		(*ncp)--;
	}
}

/* Prints one metric's trend with its change points. */
static int print_metric(const pg_git_version *vs, size_t nv, const char *path, const char *metric,
			double penalty, double min_shift)
{
	const pg_metric_def *def;
	point *pts = calloc(nv ? nv : 1, sizeof(*pts));
	double *x = calloc(nv ? nv : 1, sizeof(*x));
	size_t *cps = NULL, ncp = 0, n = 0, i, k, seg = 0;
	pg_stat st;
	int rc = 0;

	if (pts == NULL || x == NULL) {
		rc = PG_ENOMEM;
		goto done;
	}
	if ((rc = pg_metric_name_parse(&def, &st, metric, NULL)) < 0)
		goto done;
	/* versions come newest first; the trend reads oldest first */
	for (i = nv; i-- > 0;) {
		double v = version_value(&vs[i], path, metric);

		if (!isfinite(v))
			continue;
		pts[n].v = &vs[i];
		pts[n].value = v;
		x[n++] = v;
	}
	printf("\n%s  %s (%s)\n", path, metric, pg_metric_display_unit(def));
	if (n == 0) {
		printf("  no values\n");
		goto done;
	}
	if (n >= 4 && (rc = pg_stats_change_points(&cps, &ncp, x, n, penalty, 2)) < 0)
		goto done;
	drop_small_shifts(cps, &ncp, x, n, min_shift);
	for (i = 0; i < n; i++) {
		char when[32];
		time_t t = (time_t)pts[i].v->time;
		struct tm tm;
		int shift = seg < ncp && cps[seg] == i;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
		printf("  %.10s  %s  %12.4g  %s%s\n", pts[i].v->commit, when,
		       pg_metric_to_display(def, pts[i].value), shift ? "<- shift " : "",
		       pts[i].v->summary);
		if (shift) {
			/* the mean of the segment before and after, for the reader */
			size_t from = seg > 0 ? cps[seg - 1] : 0;
			size_t to = seg + 1 < ncp ? cps[seg + 1] : n;
			double before = 0, after = 0;

			for (k = from; k < i; k++)
				before += x[k];
			for (k = i; k < to; k++)
				after += x[k];
			before /= (double)(i - from);
			after /= (double)(to - i);
			printf("              level %.4g -> %.4g %s (%+.1f%%), began at %.12s\n",
			       pg_metric_to_display(def, before), pg_metric_to_display(def, after),
			       pg_metric_display_unit(def),
			       before != 0 ? (after - before) / fabs(before) * 100.0 : 0.0,
			       pts[i].v->commit);
			seg++;
		}
	}
	printf("  %zu change point%s\n", ncp, ncp == 1 ? "" : "s");
done:
	free(cps);
	free(pts);
	free(x);
	return rc;
}

int pg_cmd_history(int argc, char **argv)
{
	static const struct option longopts[] = {{"scenario", required_argument, NULL, 's'},
						 {"metric", required_argument, NULL, 'm'},
						 {"ref", required_argument, NULL, 'r'},
						 {"limit", required_argument, NULL, 'l'},
						 {"penalty", required_argument, NULL, 'p'},
						 {"min-shift", required_argument, NULL, 'M'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	const char *scenario = NULL, *metric = NULL, *ref = NULL;
	pg_baseline_cfg *cfg = NULL;
	pg_git *g = NULL;
	pg_yaml_tree *t = NULL;
	long limit = 200;
	double penalty = 2.0, min_shift = 0.05;
	int c, exit_code = PG_EXIT_USAGE;
	char *copy = NULL;
	size_t i, s;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 's':
			scenario = optarg;
			break;
		case 'm':
			metric = optarg;
			break;
		case 'r':
			ref = optarg;
			break;
		case 'l':
			limit = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || limit < 1 || limit > HISTORY_MAX_COMMITS) {
				fprintf(stderr, "perfgate history: --limit '%s': expected 1 to %d\n",
					optarg, HISTORY_MAX_COMMITS);
				return PG_EXIT_USAGE;
			}
			break;
		case 'p':
			penalty = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(penalty > 0) || penalty > 1000) {
				fprintf(stderr, "perfgate history: --penalty '%s': expected a number "
						"above 0\n", optarg);
				return PG_EXIT_USAGE;
			}
			break;
		case 'M': {
			pg_quantity q;

			if (pg_quantity_parse(&q, optarg) < 0 ||
			    (q.kind != PG_UNIT_PERCENT && q.kind != PG_UNIT_NONE) || q.value < 0) {
				fprintf(stderr, "perfgate history: --min-shift '%s': expected a "
						"percentage such as 5%%\n", optarg);
				return PG_EXIT_USAGE;
			}
			min_shift = q.value;
			break;
		}
		case 'h':
			fputs(usage_history, stdout);
			return PG_EXIT_PASS;
		default:
			fputs(usage_history, stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "perfgate history: expected SUITE\n\n%s", usage_history);
		return PG_EXIT_USAGE;
	}
	if (metric != NULL) {
		const pg_metric_def *d;
		pg_stat st;

		if (pg_metric_name_parse(&d, &st, metric, NULL) < 0) {
			fprintf(stderr, "perfgate history: --metric: %s\n", pg_error_last());
			return PG_EXIT_USAGE;
		}
	}
	if (pg_cli_baseline_cfg(&cfg, argv[optind], NULL, NULL) < 0 ||
	    pg_yaml_load(&t, argv[optind]) < 0) {
		fprintf(stderr, "%s\n", pg_error_last());
		goto done;
	}
	exit_code = PG_EXIT_ERROR;
	copy = strdup(argv[optind]);
	if (copy == NULL || pg_git_open(&g, dirname(copy)) < 0) {
		fprintf(stderr, "perfgate history: %s\n", copy ? pg_error_last() : "out of memory");
		goto done;
	}
	{
		/* the suite's name and scenarios, as the baselines were filed */
		const pg_yaml_node *nm = t->root ? pg_yaml_opt(t->root, "name") : NULL;
		const pg_yaml_node *scs = t->root ? pg_yaml_opt(t->root, "scenarios") : NULL;
		char base_name[256];
		const char *suite_name;

		if (nm != NULL && nm->kind == PG_YAML_SCALAR) {
			suite_name = nm->value;
		} else {
			char *b = strdup(argv[optind]), *dot;

			snprintf(base_name, sizeof(base_name), "%s", b ? basename(b) : "suite");
			free(b);
			if ((dot = strrchr(base_name, '.')) != NULL)
				*dot = '\0';
			suite_name = base_name;
		}
		for (s = 0; scs != NULL && scs->kind == PG_YAML_SEQ && s < scs->n; s++) {
			const pg_yaml_node *sn = pg_yaml_opt(scs->items[s], "name");
			pg_git_version *vs = NULL;
			size_t nv = 0;
			char path[1024];

			if (sn == NULL || sn->kind != PG_YAML_SCALAR ||
			    (scenario != NULL && strcmp(scenario, sn->value) != 0))
				continue;
			if (pg_baseline_path(path, sizeof(path), suite_name, sn->value) < 0)
				continue;
			if (pg_git_file_history(&vs, &nv, g, ref, path, (size_t)limit) < 0) {
				fprintf(stderr, "perfgate history: %s\n", pg_error_last());
				goto done;
			}
			if (nv == 0) {
				printf("\n%s: no committed baseline\n", path);
				continue;
			}
			for (i = 0; i < (metric ? 1 : cfg->n_metrics); i++)
				print_metric(vs, nv, path, metric ? metric : cfg->metrics[i].name,
					     penalty, min_shift);
			pg_git_versions_free(vs, nv);
		}
	}
	exit_code = PG_EXIT_PASS;
done:
	free(copy);
	pg_yaml_free(t);
	pg_git_free(g);
	pg_baseline_cfg_free(cfg);
	return exit_code;
}
