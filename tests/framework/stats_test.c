/* Tests for framework/stats.c: quantiles, batch means, comparison verdicts,
 * repeat counts and change points. Random data comes from a fixed-seed
 * generator defined here, so every run sees the same numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stats.h"

/* ---- deterministic random numbers --------------------------------------- */

typedef struct rng {
	uint64_t state;
	int has_spare;
	double spare;
} rng;

static void rng_seed(rng *r, uint64_t seed)
{
	r->state = seed;
	r->has_spare = 0;
}

/* splitmix64 */
static uint64_t rng_next(rng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double rng_uniform(rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

/* standard normal by Box-Muller */
static double rng_normal(rng *r)
{
	double u, v, rad;

	if (r->has_spare) {
		r->has_spare = 0;
		return r->spare;
	}
	u = rng_uniform(r);
	v = rng_uniform(r);
	rad = sqrt(-2.0 * log(u));
	r->spare = rad * sin(2.0 * M_PI * v);
	r->has_spare = 1;
	return rad * cos(2.0 * M_PI * v);
}

static void assert_rel(double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want)))
		fail_msg("got %.12g want %.12g (rel tol %g)", got, want, rel);
}

/* ---- quantiles ---------------------------------------------------------- */

static void test_t_quantile_matches_tables(void **state)
{
	(void)state;
	assert_rel(pg_stats_t_quantile(0.975, 1), 12.7062047, 1e-6);
	assert_rel(pg_stats_t_quantile(0.975, 10), 2.2281389, 1e-6);
	assert_rel(pg_stats_t_quantile(0.995, 20), 2.8453397, 1e-6);
	assert_rel(pg_stats_t_quantile(0.995, 5), 4.0321430, 1e-6);
	assert_rel(pg_stats_t_quantile(0.975, 2), 4.3026527, 1e-6);
	assert_rel(pg_stats_t_quantile(0.95, 3), 2.3533634, 1e-6);
	assert_rel(pg_stats_t_quantile(0.999, 30), 3.3851848, 1e-6);
	assert_rel(pg_stats_t_quantile(0.975, 1000), 1.9623391, 1e-6);
}

static void test_t_quantile_is_odd_and_tends_to_normal(void **state)
{
	double df[] = {1, 1.5, 2, 3.7, 7, 40, 1e6};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(df) / sizeof(df[0]); i++) {
		assert_rel(pg_stats_t_quantile(0.01, df[i]), -pg_stats_t_quantile(0.99, df[i]),
			   1e-12);
		/* quantiles fall as df grows */
		if (i > 0)
			assert_true(pg_stats_t_quantile(0.99, df[i]) <
				    pg_stats_t_quantile(0.99, df[i - 1]));
	}
	assert_true(pg_stats_t_quantile(0.5, 4) == 0.0);
	assert_rel(pg_stats_t_quantile(0.975, INFINITY), 1.9599640, 1e-7);
	assert_rel(pg_stats_t_quantile(0.975, 1e7), 1.9599640, 1e-6);
	assert_true(isnan(pg_stats_t_quantile(0.0, 3)));
	assert_true(isnan(pg_stats_t_quantile(0.5, 0)));
}

static void test_t_quantile_fractional_df_between_neighbours(void **state)
{
	double lo = pg_stats_t_quantile(0.995, 2), mid = pg_stats_t_quantile(0.995, 2.5),
	       hi = pg_stats_t_quantile(0.995, 3);

	(void)state;
	assert_true(mid < lo && mid > hi);
}

static void test_z_quantile_matches_tables(void **state)
{
	(void)state;
	assert_rel(pg_stats_z_quantile(0.975), 1.9599640, 1e-7);
	assert_rel(pg_stats_z_quantile(0.995), 2.5758293, 1e-7);
	assert_rel(pg_stats_z_quantile(0.8), 0.8416212, 1e-6);
	assert_rel(pg_stats_z_quantile(0.01), -2.3263479, 1e-7);
	assert_rel(pg_stats_z_quantile(1e-10), -6.3613409, 1e-7);
	assert_true(pg_stats_z_quantile(0.5) == 0.0);
	assert_true(isnan(pg_stats_z_quantile(1.0)));
}

/* ---- batch means -------------------------------------------------------- */

/* Base batches hold sums and counts of samples; a merged batch's value is
 * the mean of its samples, NaN when it has none. */
typedef struct batches {
	double *sum;
	size_t *count;
	size_t n;
} batches;

static double batch_value(void *ctx, size_t first, size_t n)
{
	const batches *b = ctx;
	double s = 0.0;
	size_t c = 0, i;

	for (i = first; i < first + n; i++) {
		s += b->sum[i];
		c += b->count[i];
	}
	return c ? s / (double)c : NAN;
}

/* Fills n_base batches of per samples each from x[]; returns the naive
 * variance of the overall mean, s^2 / N over the samples. */
static double fill_batches(batches *b, const double *x, size_t n_base, size_t per)
{
	double mean = 0.0, ss = 0.0;
	size_t i, n = n_base * per;

	b->n = n_base;
	b->sum = calloc(n_base, sizeof(double));
	b->count = calloc(n_base, sizeof(size_t));
	assert_non_null(b->sum);
	assert_non_null(b->count);
	for (i = 0; i < n; i++) {
		b->sum[i / per] += x[i];
		b->count[i / per]++;
		mean += x[i] / (double)n;
	}
	for (i = 0; i < n; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	return ss / (double)(n - 1) / (double)n;
}

static void free_batches(batches *b)
{
	free(b->sum);
	free(b->count);
}

static void test_batch_means_iid_variance_near_sigma2_over_n(void **state)
{
	const size_t n_base = 200, per = 50, n = n_base * per;
	double *x = malloc(n * sizeof(double)), want = 25.0 / (double)n;
	pg_batch_result r;
	batches b;
	rng g;
	size_t i;

	(void)state;
	assert_non_null(x);
	rng_seed(&g, 42);
	for (i = 0; i < n; i++)
		x[i] = 100.0 + 5.0 * rng_normal(&g);
	fill_batches(&b, x, n_base, per);
	assert_int_equal(pg_stats_batch_means(&r, n_base, batch_value, &b, 10), 0);
	assert_true(r.batches >= 100);
	assert_rel(r.var, want, 0.30);
	assert_rel(r.mean, 100.0, 0.01);
	free_batches(&b);
	free(x);
}

static void test_batch_means_merges_autocorrelated_batches(void **state)
{
	const size_t n_base = 256, per = 5, n = n_base * per;
	double *x = malloc(n * sizeof(double)), naive, prev = 0.0;
	pg_batch_result r;
	batches b;
	rng g;
	size_t i;

	(void)state;
	assert_non_null(x);
	rng_seed(&g, 7);
	for (i = 0; i < n; i++) {
		prev = 0.9 * prev + rng_normal(&g);
		x[i] = 50.0 + prev;
	}
	naive = fill_batches(&b, x, n_base, per);
	assert_int_equal(pg_stats_batch_means(&r, n_base, batch_value, &b, 10), 0);
	assert_true(r.batch_size > 1);
	assert_true(r.batches >= 10);
	assert_true(r.var > 2.0 * naive);
	free_batches(&b);
	free(x);
}

static void test_batch_means_skips_empty_batches(void **state)
{
	double sum[6] = {10, 0, 12, 11, 0, 9};
	size_t count[6] = {1, 0, 1, 1, 0, 1};
	batches b = {sum, count, 6};
	pg_batch_result r;

	(void)state;
	assert_int_equal(pg_stats_batch_means(&r, 6, batch_value, &b, 2), 0);
	assert_int_equal(r.batches, 4);
	assert_rel(r.mean, 10.5, 1e-12);
	/* s^2 of {10, 12, 11, 9} is 5/3, var = s^2 / 4 */
	assert_rel(r.var, 5.0 / 12.0, 1e-12);
}

static void test_batch_means_too_few_batches_give_nan_var(void **state)
{
	double sum[3] = {1, 2, 3};
	size_t count[3] = {1, 1, 1};
	batches b = {sum, count, 3};
	pg_batch_result r;

	(void)state;
	assert_int_equal(pg_stats_batch_means(&r, 3, batch_value, &b, 5), 0);
	assert_true(isnan(r.var));
	assert_int_equal(pg_stats_batch_means(&r, 3, batch_value, &b, 1), PG_EINVAL);
	assert_int_equal(pg_stats_batch_means(&r, 3, NULL, &b, 2), PG_EINVAL);
}

/* ---- comparison --------------------------------------------------------- */

#define MAX_RUNS 64

/* n runs around mean with relative run-to-run noise sd_rel; within-run
 * variance within (NaN for none) with 19 df. */
static void make_runs(pg_run_estimate *r, size_t n, rng *g, double mean, double sd_rel,
		      double within)
{
	size_t i;

	for (i = 0; i < n; i++) {
		r[i].value = mean * (1.0 + sd_rel * rng_normal(g));
		r[i].within_var = within;
		r[i].within_df = isnan(within) ? 0.0 : 19.0;
	}
}

static pg_compare_result compare_runs(const pg_compare_spec *spec, const pg_run_estimate *base,
				      size_t k, const pg_run_estimate *cur, size_t r)
{
	pg_compare_input in = {base, k, cur, r};
	pg_compare_result res;

	if (pg_stats_compare(&res, spec, &in) != 0)
		fail_msg("compare failed: %s", pg_error_last());
	return res;
}

/* Both sides are stratified samples of the same N(100, 5^2): normal
 * quantiles at evenly spaced probabilities, so the test does not hinge on
 * one seed's luck (the random A/A rate is checked further down). Any
 * history size, any repeat count, and even a single repeat taken from
 * either extreme of the history's range is never a regression. */
static void test_compare_identical_distributions_never_regress(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	size_t ks[] = {2, 5, 20}, rs[] = {1, 2, 3, 5}, a, b, i;
	pg_run_estimate base[20], cur[5];
	pg_compare_result res;

	(void)state;
	for (a = 0; a < sizeof(ks) / sizeof(ks[0]); a++) {
		for (i = 0; i < ks[a]; i++)
			base[i] = (pg_run_estimate){
			    100.0 + 5.0 * pg_stats_z_quantile((i + 0.5) / ks[a]), NAN, 0};
		for (b = 0; b < sizeof(rs) / sizeof(rs[0]); b++) {
			for (i = 0; i < rs[b]; i++)
				cur[i] = (pg_run_estimate){
				    100.0 + 5.0 * pg_stats_z_quantile((i + 0.5) / rs[b]), NAN, 0};
			res = compare_runs(&spec, base, ks[a], cur, rs[b]);
			if (res.verdict != PG_VERDICT_PASS &&
			    res.verdict != PG_VERDICT_INCONCLUSIVE)
				fail_msg("K=%zu R=%zu: %s", ks[a], rs[b], res.reason);
		}
		/* the history's own largest value as the one repeat */
		res = compare_runs(&spec, base, ks[a], &base[ks[a] - 1], 1);
		assert_true(res.change > 0.0);
		assert_true(res.verdict == PG_VERDICT_PASS ||
			    res.verdict == PG_VERDICT_INCONCLUSIVE);
		res = compare_runs(&spec, base, ks[a], &base[0], 1);
		assert_true(res.verdict == PG_VERDICT_PASS ||
			    res.verdict == PG_VERDICT_INCONCLUSIVE);
	}
	/* exactly equal values with some within-run noise pass outright */
	for (i = 0; i < 20; i++)
		base[i] = (pg_run_estimate){100.0, 1.0, 19};
	for (i = 0; i < 3; i++)
		cur[i] = (pg_run_estimate){100.0, 1.0, 19};
	res = compare_runs(&spec, base, 20, cur, 3);
	assert_int_equal(res.verdict, PG_VERDICT_PASS);
	assert_true(res.change == 0.0);
	assert_non_null(strstr(res.reason, "within the 5% tolerance"));
}

static void test_compare_30pct_slowdown_is_regression(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base[20], cur[3];
	pg_compare_result res;
	rng g;

	(void)state;
	rng_seed(&g, 99);
	make_runs(base, 20, &g, 100.0, 0.05, NAN);
	make_runs(cur, 3, &g, 130.0, 0.05 / 1.3, NAN);
	res = compare_runs(&spec, base, 20, cur, 3);
	assert_int_equal(res.verdict, PG_VERDICT_REGRESSION);
	assert_true(res.ci_lo > 0.0);
	assert_rel(res.df, 21.0, 0.0);
	assert_rel(res.tolerance, 0.05 * res.baseline, 1e-12);
	assert_int_equal(res.repeats_needed, 0);
	assert_non_null(strstr(res.reason, "beyond the 5% tolerance"));
	assert_non_null(strstr(res.reason, "99% CI"));
}

static void test_compare_throughput_direction_follows_higher_is_better(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base[20], cur[3];
	pg_compare_result res;
	rng g;

	(void)state;
	spec.higher_is_better = 1;
	rng_seed(&g, 5);
	make_runs(base, 20, &g, 1000.0, 0.05, NAN);
	make_runs(cur, 3, &g, 700.0, 0.05, NAN);
	res = compare_runs(&spec, base, 20, cur, 3);
	assert_int_equal(res.verdict, PG_VERDICT_REGRESSION);
	assert_true(res.change < 0.0);

	make_runs(cur, 3, &g, 1300.0, 0.05, NAN);
	res = compare_runs(&spec, base, 20, cur, 3);
	assert_int_equal(res.verdict, PG_VERDICT_IMPROVEMENT);
	assert_non_null(strstr(res.reason, "improvement"));

	/* the same +30 % on a lower-is-better metric is a regression */
	spec.higher_is_better = 0;
	res = compare_runs(&spec, base, 20, cur, 3);
	assert_int_equal(res.verdict, PG_VERDICT_REGRESSION);
}

static void test_compare_change_inside_tolerance_with_tiny_noise_passes(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base[10], cur[2];
	pg_compare_result res;
	rng g;

	(void)state;
	rng_seed(&g, 11);
	make_runs(base, 10, &g, 200.0, 0.001, NAN);
	make_runs(cur, 2, &g, 204.0, 0.001, NAN);
	res = compare_runs(&spec, base, 10, cur, 2);
	assert_int_equal(res.verdict, PG_VERDICT_PASS);
	/* significant but small: the interval excludes 0 yet stays under the tolerance */
	assert_true(res.ci_lo > 0.0);
	assert_true(res.ci_hi < res.tolerance);
	assert_rel(res.change_rel, 0.02, 0.1);
}

static void test_compare_small_change_with_large_noise_is_inconclusive(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base[20], cur[2];
	pg_compare_result res;
	double bv[8] = {90, 110, 95, 105, 100, 85, 115, 100};
	double cv[2] = {96, 116};
	size_t i;

	(void)state;
	for (i = 0; i < 8; i++)
		base[i] = (pg_run_estimate){bv[i], NAN, 0};
	for (i = 0; i < 2; i++)
		cur[i] = (pg_run_estimate){cv[i], NAN, 0};
	res = compare_runs(&spec, base, 8, cur, 2);
	assert_int_equal(res.verdict, PG_VERDICT_INCONCLUSIVE);
	assert_rel(res.change, 6.0, 1e-12);
	assert_true(res.repeats_needed > 0 || res.repeats_needed == -1);
	assert_true(res.run_sd > 5.0);
	assert_non_null(strstr(res.reason, "reaches past the 5% tolerance"));

	/* a longer, quieter history makes repeats enough: the count is finite */
	for (i = 0; i < 20; i++)
		base[i] = (pg_run_estimate){100.0 + (i % 2 ? 1.0 : -1.0), NAN, 0};
	for (i = 0; i < 2; i++)
		cur[i].value = 103.0 + (i ? 4.0 : -4.0);
	res = compare_runs(&spec, base, 20, cur, 2);
	if (res.verdict != PG_VERDICT_INCONCLUSIVE)
		fail_msg("verdict %s: %s", pg_verdict_name(res.verdict), res.reason);
	assert_true(res.repeats_needed > 2);
	assert_true(res.repeats_needed <= 100);
	assert_non_null(strstr(res.reason, "repeats would settle it"));
}

static void test_compare_one_run_each_side_uses_within_variance(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base = {100.0, 4.0, 9.0}, cur = {103.0, 4.0, 12.0};
	pg_compare_result res = compare_runs(&spec, &base, 1, &cur, 1);

	(void)state;
	assert_rel(res.se, sqrt(8.0), 1e-12);
	assert_rel(res.df, 9.0, 0.0);
	assert_true(isnan(res.run_sd));
	assert_rel(res.within_sd, 2.0, 1e-12);
	assert_rel(res.ci_hi - res.change, pg_stats_t_quantile(0.995, 9.0) * sqrt(8.0), 1e-12);
	assert_non_null(strstr(res.reason, "spread is unknown"));
}

static void test_compare_without_any_noise_estimate_is_inconclusive(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base = {100.0, NAN, 0}, cur = {150.0, NAN, 0};
	pg_compare_result res = compare_runs(&spec, &base, 1, &cur, 1);

	(void)state;
	assert_int_equal(res.verdict, PG_VERDICT_INCONCLUSIVE);
	assert_non_null(strstr(res.reason, "no estimate of noise"));
}

static void test_compare_zero_baseline_uses_absolute_tolerance(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base[5], cur[2];
	pg_compare_result res;
	size_t i;

	(void)state;
	spec.tol_abs = 2.0;
	for (i = 0; i < 5; i++)
		base[i] = (pg_run_estimate){0.0, 0.04, 9};
	for (i = 0; i < 2; i++)
		cur[i] = (pg_run_estimate){0.5, 0.04, 9};
	res = compare_runs(&spec, base, 5, cur, 2);
	assert_int_equal(res.verdict, PG_VERDICT_PASS);
	assert_true(res.tolerance == 2.0);
	assert_true(isnan(res.change_rel));
	assert_non_null(strstr(res.reason, "+0.5 "));
	assert_non_null(strstr(res.reason, "within the 2 tolerance"));

	for (i = 0; i < 2; i++)
		cur[i].value = 5.0;
	res = compare_runs(&spec, base, 5, cur, 2);
	assert_int_equal(res.verdict, PG_VERDICT_REGRESSION);
}

static void test_compare_rejects_input_without_finite_values(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base = {NAN, 1.0, 5}, cur = {1.0, 1.0, 5};
	pg_compare_input in = {&base, 1, &cur, 1};
	pg_compare_result res;

	(void)state;
	assert_int_equal(pg_stats_compare(&res, &spec, &in), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "baseline"));
	base.value = 1.0;
	spec.confidence = 1.0;
	assert_int_equal(pg_stats_compare(&res, &spec, &in), PG_EINVAL);
}

static void test_compare_aa_false_regression_rate_at_most_1pct(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base[20], cur[1];
	pg_compare_result res;
	int i, regressions = 0;
	rng g;

	(void)state;
	rng_seed(&g, 2024);
	for (i = 0; i < 2000; i++) {
		make_runs(base, 20, &g, 100.0, 0.05, NAN);
		make_runs(cur, 1, &g, 100.0, 0.05, NAN);
		res = compare_runs(&spec, base, 20, cur, 1);
		regressions += res.verdict == PG_VERDICT_REGRESSION;
	}
	if (regressions > 20)
		fail_msg("%d of 2000 A/A comparisons regressed", regressions);
}

static void test_compare_finds_20pct_shift_with_3_repeats(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate base[20], cur[3];
	pg_compare_result res;
	int i, found = 0;
	rng g;

	(void)state;
	rng_seed(&g, 77);
	for (i = 0; i < 1000; i++) {
		make_runs(base, 20, &g, 100.0, 0.05, NAN);
		make_runs(cur, 3, &g, 120.0, 0.05 / 1.2, NAN);
		res = compare_runs(&spec, base, 20, cur, 3);
		found += res.verdict == PG_VERDICT_REGRESSION;
	}
	if (found < 950)
		fail_msg("found %d of 1000 20%% shifts", found);
}

/* ---- repeat recommendation ---------------------------------------------- */

static void test_recommend_repeats_grows_with_noise(void **state)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	int prev = 1, r, i;

	(void)state;
	for (i = 0; i <= 40; i++) {
		double sd = 0.25 * i;

		assert_int_equal(pg_stats_recommend_repeats(&r, &spec, 100.0, sd, 20, 0.8), 0);
		if (r == -1)
			r = 1000; /* unreachable ranks above every count */
		if (r < prev)
			fail_msg("sd %g needs %d repeats, less than %d at lower noise", sd, r,
				 prev);
		prev = r;
	}
	assert_int_equal(prev, 1000); /* 10 % noise against 5 % with 20 runs: impossible */
	assert_int_equal(pg_stats_recommend_repeats(&r, &spec, 100.0, 0.5, 20, 0.8), 0);
	assert_int_equal(r, 1);
	assert_int_equal(pg_stats_recommend_repeats(&r, &spec, 100.0, 2.0, 20, 0.8), 0);
	assert_true(r > 1 && r <= 100);
	/* the found count meets the criterion and one fewer does not */
	{
		double k = 20, c = pg_stats_z_quantile(0.8);
		double at =
		    (pg_stats_t_quantile(0.995, k + r - 2) + c) * 2.0 * sqrt(1.0 / r + 1 / k);
		double below =
		    (pg_stats_t_quantile(0.995, k + r - 3) + c) * 2.0 * sqrt(1.0 / (r - 1) + 1 / k);

		assert_true(at <= 5.0 && below > 5.0);
	}
	assert_int_equal(pg_stats_recommend_repeats(&r, &spec, 100.0, -1.0, 20, 0.8), PG_EINVAL);
}

/* ---- change points ------------------------------------------------------ */

static void change_points(size_t **idx, size_t *n, const double *x, size_t len)
{
	if (pg_stats_change_points(idx, n, x, len, 1.0, 5) != 0)
		fail_msg("change points failed: %s", pg_error_last());
}

static void test_change_points_find_single_step(void **state)
{
	double x[100];
	size_t *idx, n, i;
	rng g;

	(void)state;
	rng_seed(&g, 3);
	for (i = 0; i < 100; i++)
		x[i] = (i < 50 ? 100.0 : 120.0) + 2.0 * rng_normal(&g);
	change_points(&idx, &n, x, 100);
	assert_int_equal(n, 1);
	assert_true(idx[0] >= 49 && idx[0] <= 51);
	free(idx);
}

static void test_change_points_find_two_steps(void **state)
{
	double x[150];
	size_t *idx, n, i;
	rng g;

	(void)state;
	rng_seed(&g, 8);
	for (i = 0; i < 150; i++)
		x[i] = (i < 60 ? 100.0 : i < 110 ? 115.0 : 95.0) + 2.0 * rng_normal(&g);
	change_points(&idx, &n, x, 150);
	assert_int_equal(n, 2);
	assert_true(idx[0] >= 59 && idx[0] <= 61);
	assert_true(idx[1] >= 109 && idx[1] <= 111);
	free(idx);
}

static void test_change_points_none_in_constant_or_noise(void **state)
{
	double x[200];
	size_t *idx = (size_t *)1, n = 99, i;
	rng g;

	(void)state;
	for (i = 0; i < 200; i++)
		x[i] = 42.0;
	change_points(&idx, &n, x, 200);
	assert_int_equal(n, 0);
	assert_null(idx);

	rng_seed(&g, 2718);
	for (i = 0; i < 200; i++)
		x[i] = 100.0 + 3.0 * rng_normal(&g);
	change_points(&idx, &n, x, 200);
	assert_int_equal(n, 0);
	assert_null(idx);
}

static void test_change_points_noiseless_step_and_min_segment(void **state)
{
	double x[40];
	size_t *idx, n, i;

	(void)state;
	for (i = 0; i < 40; i++)
		x[i] = i < 20 ? 1.0 : 2.0;
	change_points(&idx, &n, x, 40);
	assert_int_equal(n, 1);
	assert_int_equal(idx[0], 20);
	free(idx);

	/* a 3-point blip cannot become a segment when min_segment is 5 */
	for (i = 0; i < 40; i++)
		x[i] = (i >= 10 && i < 13) ? 50.0 : 1.0;
	change_points(&idx, &n, x, 40);
	for (i = 0; i < n; i++)
		assert_true(idx[i] >= 5 && idx[i] <= 35);
	for (i = 1; i < n; i++)
		assert_true(idx[i] - idx[i - 1] >= 5);
	free(idx);

	x[3] = NAN;
	assert_int_equal(pg_stats_change_points(&idx, &n, x, 40, 1.0, 5), PG_EINVAL);
	assert_int_equal(pg_stats_change_points(&idx, &n, x, 40, 0.0, 5), PG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_t_quantile_matches_tables),
	    cmocka_unit_test(test_t_quantile_is_odd_and_tends_to_normal),
	    cmocka_unit_test(test_t_quantile_fractional_df_between_neighbours),
	    cmocka_unit_test(test_z_quantile_matches_tables),
	    cmocka_unit_test(test_batch_means_iid_variance_near_sigma2_over_n),
	    cmocka_unit_test(test_batch_means_merges_autocorrelated_batches),
	    cmocka_unit_test(test_batch_means_skips_empty_batches),
	    cmocka_unit_test(test_batch_means_too_few_batches_give_nan_var),
	    cmocka_unit_test(test_compare_identical_distributions_never_regress),
	    cmocka_unit_test(test_compare_30pct_slowdown_is_regression),
	    cmocka_unit_test(test_compare_throughput_direction_follows_higher_is_better),
	    cmocka_unit_test(test_compare_change_inside_tolerance_with_tiny_noise_passes),
	    cmocka_unit_test(test_compare_small_change_with_large_noise_is_inconclusive),
	    cmocka_unit_test(test_compare_one_run_each_side_uses_within_variance),
	    cmocka_unit_test(test_compare_without_any_noise_estimate_is_inconclusive),
	    cmocka_unit_test(test_compare_zero_baseline_uses_absolute_tolerance),
	    cmocka_unit_test(test_compare_rejects_input_without_finite_values),
	    cmocka_unit_test(test_compare_aa_false_regression_rate_at_most_1pct),
	    cmocka_unit_test(test_compare_finds_20pct_shift_with_3_repeats),
	    cmocka_unit_test(test_recommend_repeats_grows_with_noise),
	    cmocka_unit_test(test_change_points_find_single_step),
	    cmocka_unit_test(test_change_points_find_two_steps),
	    cmocka_unit_test(test_change_points_none_in_constant_or_noise),
	    cmocka_unit_test(test_change_points_noiseless_step_and_min_segment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
