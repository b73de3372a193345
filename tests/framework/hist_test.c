/* Tests for framework/hist.c: accuracy, merge, encoding and its robustness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hist.h"

#define HOUR_NS (INT64_C(3600) * 1000000000)

static const double test_qs[] = {0, 0.5, 0.9, 0.95, 0.99, 0.999, 1};
#define NQ (sizeof(test_qs) / sizeof(test_qs[0]))

/* ---- helpers ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double rng_unit(void)
{
	return ((double)(rng_next() >> 11) + 1.0) / 9007199254740992.0;
}

static int64_t rng_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

/* Log-normal latency in ns around 1 ms, spanning about 1 us .. 10 s. */
static int64_t rng_latency(void)
{
	double z = sqrt(-2.0 * log(rng_unit())) * cos(2.0 * M_PI * rng_unit());
	double v = exp(log(1e6) + 1.8 * z);

	if (v < 1000)
		v = 1000;
	if (v > 1e10)
		v = 1e10;
	return (int64_t)v;
}

enum dist { DIST_UNIFORM, DIST_LATENCY, DIST_SMALL };

static int64_t *make_samples(enum dist d, size_t n, uint64_t seed)
{
	int64_t *v = malloc(n * sizeof(*v));
	size_t i;

	assert_non_null(v);
	rng_state = seed;
	for (i = 0; i < n; i++) {
		switch (d) {
		case DIST_UNIFORM:
			v[i] = rng_range(1, 1000000);
			break;
		case DIST_LATENCY:
			v[i] = rng_latency();
			break;
		case DIST_SMALL:
			v[i] = rng_range(0, 2047);
			break;
		}
	}
	return v;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank definition, written independently of hist.c: rank
 * ceil(q * n) (at least 1), where a product within rounding error of an
 * integer counts as that integer. */
static int64_t exact_quantile(const int64_t *sorted, size_t n, double q)
{
	double r = q * (double)n, near = nearbyint(r);
	size_t rank;

	if (fabs(r - near) < 1e-9)
		r = near;
	rank = (size_t)ceil(r);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static pg_hist *hist_of(const int64_t *v, size_t n)
{
	pg_hist *h = NULL;
	size_t i;

	assert_int_equal(pg_hist_new_latency(&h), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(pg_hist_record(h, v[i]), 0);
	return h;
}

static void assert_quantiles_close(enum dist d, size_t n, uint64_t seed)
{
	int64_t *v = make_samples(d, n, seed);
	pg_hist *h = hist_of(v, n);
	size_t i;

	qsort(v, n, sizeof(*v), cmp_i64);
	assert_int_equal(pg_hist_count(h), n);
	assert_int_equal(pg_hist_min(h), v[0]);
	assert_int_equal(pg_hist_max(h), v[n - 1]);
	for (i = 0; i < NQ; i++) {
		int64_t want = exact_quantile(v, n, test_qs[i]);
		int64_t got = pg_hist_quantile(h, test_qs[i]);
		double rel = fabs((double)got - (double)want) / (double)want;

		if (rel > 0.001)
			fail_msg("q=%g: got %lld want %lld (rel %g)", test_qs[i], (long long)got,
				 (long long)want, rel);
	}
	pg_hist_free(h);
	free(v);
}

static char *encode(const pg_hist *h)
{
	char *s = NULL;

	assert_int_equal(pg_hist_encode(h, &s), 0);
	assert_non_null(s);
	return s;
}

/* Same count, min, max, overflow, every quantile on a fine grid, and
 * the same encoding. */
static void assert_hist_equal(const pg_hist *a, const pg_hist *b)
{
	char *ea, *eb;
	int i;

	assert_int_equal(pg_hist_count(a), pg_hist_count(b));
	assert_int_equal(pg_hist_min(a), pg_hist_min(b));
	assert_int_equal(pg_hist_max(a), pg_hist_max(b));
	assert_int_equal(pg_hist_overflow(a), pg_hist_overflow(b));
	for (i = 0; i <= 400; i++)
		assert_int_equal(pg_hist_quantile(a, i / 400.0), pg_hist_quantile(b, i / 400.0));
	assert_int_equal(pg_hist_quantile(a, 0.999), pg_hist_quantile(b, 0.999));
	assert_true(pg_hist_mean(a) == pg_hist_mean(b));
	ea = encode(a);
	eb = encode(b);
	assert_string_equal(ea, eb);
	free(ea);
	free(eb);
}

/* Standard CRC-32 (IEEE), to re-seal mutated encodings. */
static uint32_t test_crc32(const char *s, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= (unsigned char)s[i];
		for (k = 0; k < 8; k++)
			c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
	}
	return ~c;
}

/* Rewrites the checksum after the last ':' so it matches (s must have
 * room for 8 hex digits after that ':'). */
static void reseal(char *s, size_t cap)
{
	char *colon = strrchr(s, ':');
	size_t at;

	if (!colon)
		return;
	at = (size_t)(colon - s);
	if (at + 10 > cap)
		return;
	snprintf(colon + 1, cap - at - 1, "%08x", (unsigned)test_crc32(s, at));
}

/* Decodes an exactly-sized heap copy of s[0..n) so ASan catches any read
 * past the end. */
static int decode_n(pg_hist **out, const char *s, size_t n)
{
	char *copy = malloc(n + 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, n);
	copy[n] = '\0';
	rc = pg_hist_decode(out, copy);
	free(copy);
	return rc;
}

static pg_hist *small_latency_hist(uint64_t seed, size_t n)
{
	int64_t *v = make_samples(DIST_LATENCY, n, seed);
	pg_hist *h = hist_of(v, n);

	free(v);
	assert_int_equal(pg_hist_record(h, 5), 0);
	assert_int_equal(pg_hist_record(h, 2 * HOUR_NS), 0); /* one overflow */
	return h;
}

/* ---- accuracy ---- */

static void test_quantiles_of_uniform_values_within_tenth_of_percent(void **state)
{
	(void)state;
	assert_quantiles_close(DIST_UNIFORM, 200000, 1);
	assert_quantiles_close(DIST_UNIFORM, 999, 2);
}

static void test_quantiles_of_lognormal_latencies_within_tenth_of_percent(void **state)
{
	(void)state;
	assert_quantiles_close(DIST_LATENCY, 200000, 3);
	assert_quantiles_close(DIST_LATENCY, 1001, 4);
	assert_quantiles_close(DIST_LATENCY, 7, 5);
}

static void test_values_below_2048_are_exact(void **state)
{
	size_t n = 50000, i;
	int64_t *v = make_samples(DIST_SMALL, n, 6);
	pg_hist *h = hist_of(v, n);
	int k;

	(void)state;
	qsort(v, n, sizeof(*v), cmp_i64);
	for (i = 0; i < NQ; i++)
		assert_int_equal(pg_hist_quantile(h, test_qs[i]), exact_quantile(v, n, test_qs[i]));
	for (k = 1; k < 1000; k++)
		assert_int_equal(pg_hist_quantile(h, k / 1000.0), exact_quantile(v, n, k / 1000.0));
	pg_hist_free(h);
	free(v);
}

static void test_every_value_reads_back_within_bucket_precision(void **state)
{
	pg_hist *h = NULL;
	int64_t v;

	(void)state;
	assert_int_equal(pg_hist_new_latency(&h), 0);
	/* two values in one slot: the median rank reports the slot midpoint */
	for (v = 1; v < HOUR_NS; v = v * 3 / 2 + 1) {
		pg_hist_reset(h);
		assert_int_equal(pg_hist_record(h, v), 0);
		assert_int_equal(pg_hist_record(h, v), 0);
		assert_int_equal(pg_hist_record(h, v), 0);
		assert_int_equal(pg_hist_quantile(h, 0.5), v); /* clamped to min == max */
		assert_int_equal(pg_hist_record(h, 0), 0);
		assert_int_equal(pg_hist_record(h, HOUR_NS), 0);
		double got = (double)pg_hist_quantile(h, 0.5);
		assert_true(fabs(got - (double)v) <= (double)v / 2048.0);
		if (v < 2048)
			assert_int_equal(got, v);
	}
	pg_hist_free(h);
}

static void test_quantile_uses_nearest_rank(void **state)
{
	pg_hist *h = NULL;
	int64_t v;

	(void)state;
	assert_int_equal(pg_hist_new_latency(&h), 0);
	for (v = 1; v <= 100; v++)
		assert_int_equal(pg_hist_record(h, v), 0);
	assert_int_equal(pg_hist_quantile(h, 0), 1);
	assert_int_equal(pg_hist_quantile(h, 0.001), 1);
	assert_int_equal(pg_hist_quantile(h, 0.07), 7); /* 0.07 * 100 = 7.000000000000001 */
	assert_int_equal(pg_hist_quantile(h, 0.071), 8);
	assert_int_equal(pg_hist_quantile(h, 0.5), 50);
	assert_int_equal(pg_hist_quantile(h, 0.501), 51);
	assert_int_equal(pg_hist_quantile(h, 0.99), 99);
	assert_int_equal(pg_hist_quantile(h, 1), 100);
	/* out-of-range q is clamped */
	assert_int_equal(pg_hist_quantile(h, -1), 1);
	assert_int_equal(pg_hist_quantile(h, 2), 100);
	assert_int_equal(pg_hist_quantile(h, NAN), 1);
	pg_hist_free(h);
}

static void test_mean_and_stddev_match_exact_values(void **state)
{
	size_t n = 100000, i;
	int64_t *v = make_samples(DIST_LATENCY, n, 7);
	pg_hist *h = hist_of(v, n);
	double mean = 0, var = 0;

	(void)state;
	for (i = 0; i < n; i++)
		mean += (double)v[i];
	mean /= (double)n;
	for (i = 0; i < n; i++)
		var += ((double)v[i] - mean) * ((double)v[i] - mean);
	var /= (double)n;
	assert_true(fabs(pg_hist_mean(h) - mean) / mean < 0.001);
	assert_true(fabs(pg_hist_stddev(h) - sqrt(var)) / sqrt(var) < 0.001);
	pg_hist_reset(h);
	assert_int_equal(pg_hist_record_n(h, 1000, 3), 0);
	assert_true(pg_hist_mean(h) == 1000.0);
	assert_true(pg_hist_stddev(h) == 0.0);
	pg_hist_free(h);
	free(v);
}

/* ---- recording ---- */

static void test_values_above_highest_are_clamped_and_counted_as_overflow(void **state)
{
	pg_hist *h = NULL;

	(void)state;
	assert_int_equal(pg_hist_new_latency(&h), 0);
	assert_int_equal(pg_hist_record(h, 1000), 0);
	assert_int_equal(pg_hist_record(h, HOUR_NS), 0); /* highest itself is not overflow */
	assert_int_equal(pg_hist_overflow(h), 0);
	assert_int_equal(pg_hist_record(h, HOUR_NS + 1), 0);
	assert_int_equal(pg_hist_record_n(h, INT64_MAX, 2), 0);
	assert_int_equal(pg_hist_count(h), 5);
	assert_int_equal(pg_hist_overflow(h), 3);
	assert_int_equal(pg_hist_max(h), HOUR_NS);
	assert_int_equal(pg_hist_quantile(h, 1), HOUR_NS);
	assert_int_equal(pg_hist_quantile(h, 0.5), HOUR_NS);
	assert_int_equal(pg_hist_min(h), 1000);
	pg_hist_free(h);
}

static void test_negative_value_or_count_is_rejected_without_recording(void **state)
{
	pg_hist *h = NULL;

	(void)state;
	assert_int_equal(pg_hist_new_latency(&h), 0);
	assert_int_equal(pg_hist_record(h, 10), 0);
	pg_error_clear();
	assert_int_equal(pg_hist_record(h, -1), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "negative"));
	assert_int_equal(pg_hist_record_n(h, 5, -2), PG_EINVAL);
	assert_int_equal(pg_hist_record(NULL, 5), PG_EINVAL);
	assert_int_equal(pg_hist_count(h), 1);
	assert_int_equal(pg_hist_min(h), 10);
	assert_int_equal(pg_hist_max(h), 10);
	pg_hist_free(h);
}

static void test_record_n_equals_repeated_record(void **state)
{
	pg_hist *a = NULL, *b = NULL;
	int i;

	(void)state;
	assert_int_equal(pg_hist_new_latency(&a), 0);
	assert_int_equal(pg_hist_new_latency(&b), 0);
	assert_int_equal(pg_hist_record_n(a, 123456, 5), 0);
	assert_int_equal(pg_hist_record_n(a, 77, 0), 0); /* zero times: no effect */
	for (i = 0; i < 5; i++)
		assert_int_equal(pg_hist_record(b, 123456), 0);
	assert_hist_equal(a, b);
	pg_hist_free(a);
	pg_hist_free(b);
}

static void test_total_count_overflow_is_rejected(void **state)
{
	pg_hist *h = NULL, *g = NULL;

	(void)state;
	assert_int_equal(pg_hist_new_latency(&h), 0);
	assert_int_equal(pg_hist_new_latency(&g), 0);
	assert_int_equal(pg_hist_record_n(h, 1, INT64_MAX - 1), 0);
	assert_int_equal(pg_hist_record_n(h, 1, 2), PG_ERANGE);
	assert_int_equal(pg_hist_count(h), INT64_MAX - 1);
	assert_int_equal(pg_hist_record_n(g, 2, 2), 0);
	assert_int_equal(pg_hist_merge(h, g), PG_ERANGE);
	assert_int_equal(pg_hist_count(h), INT64_MAX - 1);
	pg_hist_free(h);
	pg_hist_free(g);
}

static void test_empty_histogram_reports_zeros(void **state)
{
	pg_hist *h = NULL, *d = NULL;
	char *s;

	(void)state;
	assert_int_equal(pg_hist_new_latency(&h), 0);
	assert_int_equal(pg_hist_count(h), 0);
	assert_int_equal(pg_hist_min(h), 0);
	assert_int_equal(pg_hist_max(h), 0);
	assert_int_equal(pg_hist_overflow(h), 0);
	assert_int_equal(pg_hist_quantile(h, 0.5), 0);
	assert_int_equal(pg_hist_quantile(h, 1), 0);
	assert_true(pg_hist_mean(h) == 0.0);
	assert_true(pg_hist_stddev(h) == 0.0);
	s = encode(h);
	assert_int_equal(pg_hist_decode(&d, s), 0);
	assert_int_equal(pg_hist_count(d), 0);
	assert_int_equal(pg_hist_quantile(d, 0.99), 0);
	free(s);
	pg_hist_free(d);
	pg_hist_free(h);
}

static void test_new_rejects_invalid_configs(void **state)
{
	pg_hist *h = NULL;

	(void)state;
	assert_int_equal(pg_hist_new(&h, 0, 1000, 3), PG_EINVAL);
	assert_null(h);
	assert_int_equal(pg_hist_new(&h, 10, 19, 3), PG_EINVAL);
	assert_int_equal(pg_hist_new(&h, 1, 1000, 0), PG_EINVAL);
	assert_int_equal(pg_hist_new(&h, 1, 1000, 6), PG_EINVAL);
	assert_int_equal(pg_hist_new(&h, 1, INT64_MAX, 3), PG_EINVAL);
	assert_int_equal(pg_hist_new(&h, INT64_C(1) << 60, INT64_MAX / 2, 3), PG_EINVAL);
	assert_true(strlen(pg_error_last()) > 0);
	assert_int_equal(pg_hist_new(&h, 10, 20, 1), 0);
	pg_hist_free(h);
	pg_hist_free(NULL);
}

static void test_coarse_configs_stay_within_their_precision(void **state)
{
	static const struct {
		int64_t lowest, highest;
		int sigfigs;
	} cfg[] = {
	    {1, 1000000, 1}, {1000, INT64_C(1) << 40, 2}, {1000, 1000000000, 5}, {7, 1000, 3}};
	size_t c, i, n = 20000;

	(void)state;
	for (c = 0; c < sizeof(cfg) / sizeof(cfg[0]); c++) {
		pg_hist *h = NULL, *d = NULL;
		int64_t *v = malloc(n * sizeof(*v));
		double tol = 1.0 / (cfg[c].sigfigs == 1 ? 16 : cfg[c].sigfigs == 2 ? 128 : 1024);
		char *s;

		assert_non_null(v);
		assert_int_equal(pg_hist_new(&h, cfg[c].lowest, cfg[c].highest, cfg[c].sigfigs), 0);
		rng_state = 100 + c;
		for (i = 0; i < n; i++) {
			v[i] = rng_range(cfg[c].lowest * 4, cfg[c].highest);
			assert_int_equal(pg_hist_record(h, v[i]), 0);
		}
		qsort(v, n, sizeof(*v), cmp_i64);
		for (i = 0; i < NQ; i++) {
			double want = (double)exact_quantile(v, n, test_qs[i]);
			double got = (double)pg_hist_quantile(h, test_qs[i]);

			/* relative precision, but never finer than the unit (<= lowest) */
			assert_true(fabs(got - want) <= fmax(want * tol, (double)cfg[c].lowest));
		}
		s = encode(h);
		assert_int_equal(pg_hist_decode(&d, s), 0);
		assert_hist_equal(h, d);
		free(s);
		free(v);
		pg_hist_free(d);
		pg_hist_free(h);
	}
}

/* ---- merge, clone ---- */

static void test_merge_of_two_halves_equals_recording_everything_in_one(void **state)
{
	size_t n = 100000, i;
	int64_t *v = make_samples(DIST_LATENCY, n, 8);
	pg_hist *a = NULL, *b = NULL, *all = NULL;

	(void)state;
	v[10] = 3 * HOUR_NS; /* overflow in the first half */
	v[n - 10] = 0;	     /* minimum in the second half */
	assert_int_equal(pg_hist_new_latency(&a), 0);
	assert_int_equal(pg_hist_new_latency(&b), 0);
	assert_int_equal(pg_hist_new_latency(&all), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(pg_hist_record(i < n / 2 ? a : b, v[i]), 0);
		assert_int_equal(pg_hist_record(all, v[i]), 0);
	}
	assert_int_equal(pg_hist_merge(a, b), 0);
	assert_hist_equal(a, all);
	assert_int_equal(pg_hist_min(a), 0);
	assert_int_equal(pg_hist_overflow(a), 1);
	/* merging an empty histogram in either direction changes nothing */
	pg_hist_reset(b);
	assert_int_equal(pg_hist_merge(a, b), 0);
	assert_hist_equal(a, all);
	assert_int_equal(pg_hist_merge(b, all), 0);
	assert_hist_equal(b, all);
	pg_hist_free(a);
	pg_hist_free(b);
	pg_hist_free(all);
	free(v);
}

static void test_merge_of_mismatched_configs_fails(void **state)
{
	pg_hist *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	(void)state;
	assert_int_equal(pg_hist_new_latency(&a), 0);
	assert_int_equal(pg_hist_new(&b, 1, HOUR_NS, 2), 0);
	assert_int_equal(pg_hist_new(&c, 1, HOUR_NS / 2, 3), 0);
	assert_int_equal(pg_hist_new(&d, 2, HOUR_NS, 3), 0);
	assert_int_equal(pg_hist_record(b, 5), 0);
	assert_int_equal(pg_hist_record(c, 5), 0);
	assert_int_equal(pg_hist_record(d, 5), 0);
	assert_int_equal(pg_hist_merge(a, b), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "different"));
	assert_int_equal(pg_hist_merge(a, c), PG_EINVAL);
	assert_int_equal(pg_hist_merge(a, d), PG_EINVAL);
	assert_int_equal(pg_hist_count(a), 0);
	pg_hist_free(a);
	pg_hist_free(b);
	pg_hist_free(c);
	pg_hist_free(d);
}

static void test_clone_is_independent_and_reset_empties(void **state)
{
	pg_hist *h = small_latency_hist(9, 500), *c = NULL;

	(void)state;
	assert_int_equal(pg_hist_clone(&c, h), 0);
	assert_hist_equal(h, c);
	assert_int_equal(pg_hist_record(c, 42), 0);
	assert_int_equal(pg_hist_count(c), pg_hist_count(h) + 1);
	pg_hist_reset(h);
	assert_int_equal(pg_hist_count(h), 0);
	assert_int_equal(pg_hist_overflow(h), 0);
	assert_int_equal(pg_hist_max(h), 0);
	assert_int_equal(pg_hist_quantile(h, 0.5), 0);
	assert_int_equal(pg_hist_count(c), 503);
	pg_hist_free(h);
	pg_hist_free(c);
}

/* ---- encoding ---- */

static void test_encode_decode_round_trip_is_identical(void **state)
{
	enum dist ds[] = {DIST_UNIFORM, DIST_LATENCY, DIST_SMALL};
	size_t k, n = 50000;

	(void)state;
	for (k = 0; k < 3; k++) {
		int64_t *v = make_samples(ds[k], n, 10 + k);
		pg_hist *h = hist_of(v, n), *d = NULL;
		char *s = encode(h), *p;

		assert_int_equal(pg_hist_record_n(h, 2 * HOUR_NS, 3), 0);
		free(s);
		s = encode(h);
		for (p = s; *p; p++)
			assert_true(*p > ' ' && *p < 127 && *p != '"' && *p != '\\' && *p != '\'');
		assert_int_equal(pg_hist_decode(&d, s), 0);
		assert_hist_equal(h, d);
		assert_int_equal(pg_hist_overflow(d), 3);
		assert_true(fabs(pg_hist_stddev(h) - pg_hist_stddev(d)) < 1e-6);
		free(s);
		free(v);
		pg_hist_free(h);
		pg_hist_free(d);
	}
}

static void test_decode_rejects_every_truncation(void **state)
{
	pg_hist *h = small_latency_hist(11, 300), *d = NULL;
	char *s = encode(h);
	size_t n = strlen(s), len;

	(void)state;
	for (len = 0; len < n; len++) {
		pg_error_clear();
		if (decode_n(&d, s, len) != PG_EPARSE)
			fail_msg("prefix of length %zu was not rejected", len);
		assert_null(d);
		assert_true(strlen(pg_error_last()) > 0);
	}
	assert_int_equal(decode_n(&d, s, n), 0);
	assert_hist_equal(h, d);
	pg_hist_free(d);
	pg_hist_free(h);
	free(s);
}

static void test_decode_rejects_every_single_character_change(void **state)
{
	static const char subs[] = {'0', '1', '9', 'a', 'f', 'A', 'Z',	  ':',	  '-',
				    '_', '/', '+', '=', ' ', 'g', '\x7f', '\x80', '\xff'};
	pg_hist *h = small_latency_hist(12, 300), *d = NULL;
	char *s = encode(h), *m;
	size_t n = strlen(s), i, k;

	(void)state;
	m = malloc(n + 1);
	assert_non_null(m);
	for (i = 0; i < n; i++) {
		char cands[sizeof(subs) + 3];

		memcpy(cands, subs, sizeof(subs));
		cands[sizeof(subs)] = (char)(s[i] ^ 1);
		cands[sizeof(subs) + 1] = (char)(s[i] ^ 2);
		cands[sizeof(subs) + 2] = (char)(s[i] ^ 0x20);
		for (k = 0; k < sizeof(cands); k++) {
			if (cands[k] == s[i] || cands[k] == '\0')
				continue;
			memcpy(m, s, n + 1);
			m[i] = cands[k];
			if (pg_hist_decode(&d, m) != PG_EPARSE)
				fail_msg("changing offset %zu to 0x%02x was not rejected", i,
					 (unsigned char)cands[k]);
			assert_null(d);
		}
	}
	assert_int_equal(pg_hist_decode(&d, s), 0);
	pg_hist_free(d);
	pg_hist_free(h);
	free(m);
	free(s);
}

/* With a valid checksum, a mutated encoding must still be rejected by the
 * structural checks, or be canonical (re-encode to the same text). */
static void test_decode_of_resealed_mutations_fails_or_round_trips(void **state)
{
	static const char alphabet[] = "0123456789:-_AQgwz/+PGH";
	pg_hist *h = small_latency_hist(13, 200), *d = NULL;
	char *s = encode(h);
	size_t n = strlen(s), cap = n + 64;
	char *m = malloc(cap);
	int iter, accepted = 0, rc;

	(void)state;
	assert_non_null(m);
	rng_state = 14;
	for (iter = 0; iter < 20000; iter++) {
		size_t len = n, at, j, edits = 1 + rng_next() % 3;

		memcpy(m, s, n + 1);
		for (j = 0; j < edits; j++) {
			at = (size_t)(rng_next() % (len - 10));
			switch (rng_next() % 3) {
			case 0: /* replace */
				m[at] = alphabet[rng_next() % (sizeof(alphabet) - 1)];
				break;
			case 1: /* delete */
				memmove(m + at, m + at + 1, len - at);
				len--;
				break;
			default: /* insert */
				if (len + 2 >= cap)
					break;
				memmove(m + at + 1, m + at, len - at + 1);
				m[at] = alphabet[rng_next() % (sizeof(alphabet) - 1)];
				len++;
				break;
			}
		}
		reseal(m, cap);
		rc = pg_hist_decode(&d, m);
		if (rc == 0) {
			char *again = encode(d);

			assert_string_equal(again, m);
			free(again);
			pg_hist_free(d);
			d = NULL;
			accepted++;
		} else {
			assert_true(rc == PG_EPARSE || rc == PG_ENOMEM);
			assert_null(d);
		}
	}
	/* the re-sealing itself works: the untouched text is accepted */
	memcpy(m, s, n + 1);
	reseal(m, cap);
	assert_int_equal(pg_hist_decode(&d, m), 0);
	assert_true(accepted < 20000);
	pg_hist_free(d);
	pg_hist_free(h);
	free(m);
	free(s);
}

static void test_decode_rejects_inconsistent_but_checksummed_texts(void **state)
{
	/* a correct checksum is appended to each, so only the structural checks
	 * can reject them */
	static const char *sealed[] = {
	    "PGH2:1:3600000000000:3:0:0:0:0::",
	    "PGH1:0:3600000000000:3:0:0:0:0::",		  /* lowest 0 */
	    "PGH1:1:3600000000000:9:0:0:0:0::",		  /* sigfigs 9 */
	    "PGH1:1:3600000000000:99999999999:0:0:0:0::", /* huge sigfigs */
	    "PGH1:1:99999999999999999999:3:0:0:0:0::",	  /* highest overflows */
	    "PGH1:1:9223372036854775807:3:0:0:0:0::",	  /* highest too large */
	    "PGH1:1152921504606846976:4611686018427387903:5:0:0:0:0::",
	    "PGH1:01:3600000000000:3:0:0:0:0::", /* leading zero */
	    "PGH1:+1:3600000000000:3:0:0:0:0::",
	    "PGH1: 1:3600000000000:3:0:0:0:0::",
	    "PGH1:1:3600000000000:3:0:0:0:0:",			 /* no body field */
	    "PGH1:1:3600000000000:3:0:5:0:0::",			 /* empty but min 5 */
	    "PGH1:1:3600000000000:3:1:0:0:0::",			 /* count 1, no body */
	    "PGH1:1:3600000000000:3:1:0:0:0:AA:",		 /* explicit zero count */
	    "PGH1:1:3600000000000:3:1:0:0:0:AgE:",		 /* trailing empty run */
	    "PGH1:1:3600000000000:3:1:2:2:0:AQEC:",		 /* two runs in a row */
	    "PGH1:1:3600000000000:3:1:0:0:0:Ag=:",		 /* padding */
	    "PGH1:1:3600000000000:3:1:0:0:0:Ah:",		 /* non-zero pad bits */
	    "PGH1:1:3600000000000:3:1:0:0:0:A:",		 /* impossible length */
	    "PGH1:1:3600000000000:3:1:0:0:0:A!:",		 /* not base64url */
	    "PGH1:1:3600000000000:3:1:1:1:0:ggA:",		 /* non-minimal varint */
	    "PGH1:1:3600000000000:3:1:1:1:0:gICAgICAgICAgAE:",	 /* 11-byte varint */
	    "PGH1:1:3600000000000:3:1:1:1:0:gICA:",		 /* ends inside number */
	    "PGH1:1:3600000000000:3:1:1:1:0:____________Ag:",	 /* above 64 bits */
	    "PGH1:1:3600000000000:3:2:0:0:0:Ag:",		 /* counts add up to 1 */
	    "PGH1:1:3600000000000:3:1:1:1:0:Ag:",		 /* min not in the first slot */
	    "PGH1:1:3600000000000:3:1:0:1:0:Ag:",		 /* single value, min != max */
	    "PGH1:1:3600000000000:3:1:0:0:1:Ag:",		 /* overflow but max < highest */
	    "PGH1:1:100:1:1:0:0:0:gQEC:",			 /* run past the last slot */
	    "PGH1:1:100:1:1:0:0:0:____________AQI:",		 /* run of INT64_MIN */
	    "PGH1:1:100:1:1:0:0:0:_v__________Af7__________wE:", /* counts overflow */
	};
	/* used as they are */
	static const char *raw[] = {
	    "",
	    "PGH1",
	    "PGH1:",
	    "PGH1:1:3600000000000:3:0:0:0:0::0000000",
	    "PGH1:1:3600000000000:3:0:0:0:0::000000000",
	    "PGH1:1:3600000000000:3:0:0:0:0::0000000g",
	    "PGH1:1:3600000000000:3:0:0:0:0::x",
	    "PGH1:1:3600000000000:3:0:0:0:0::00000000", /* wrong checksum */
	};
	char buf[256];
	pg_hist *d = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sealed) / sizeof(sealed[0]) + sizeof(raw) / sizeof(raw[0]); i++) {
		if (i < sizeof(sealed) / sizeof(sealed[0])) {
			snprintf(buf, sizeof(buf), "%s00000000", sealed[i]);
			reseal(buf, sizeof(buf));
		} else {
			snprintf(buf, sizeof(buf), "%s",
				 raw[i - sizeof(sealed) / sizeof(sealed[0])]);
		}
		pg_error_clear();
		if (pg_hist_decode(&d, buf) != PG_EPARSE)
			fail_msg("'%s' was not rejected", buf);
		assert_null(d);
		assert_non_null(strstr(pg_error_last(), "histogram"));
	}
	/* neighbours of the texts above that are valid, to show the sealing works */
	snprintf(buf, sizeof(buf), "PGH1:1:3600000000000:3:1:0:0:0:Ag:00000000");
	reseal(buf, sizeof(buf));
	assert_int_equal(pg_hist_decode(&d, buf), 0);
	assert_int_equal(pg_hist_count(d), 1);
	pg_hist_free(d);
	snprintf(buf, sizeof(buf), "PGH1:1:100:1:9223372036854775807:0:0:0:_v__________AQ:0");
	reseal(buf, sizeof(buf));
	assert_int_equal(pg_hist_decode(&d, buf), 0);
	assert_int_equal(pg_hist_count(d), INT64_MAX);
	pg_hist_free(d);
	assert_int_equal(pg_hist_decode(NULL, "x"), PG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quantiles_of_uniform_values_within_tenth_of_percent),
	    cmocka_unit_test(test_quantiles_of_lognormal_latencies_within_tenth_of_percent),
	    cmocka_unit_test(test_values_below_2048_are_exact),
	    cmocka_unit_test(test_every_value_reads_back_within_bucket_precision),
	    cmocka_unit_test(test_quantile_uses_nearest_rank),
	    cmocka_unit_test(test_mean_and_stddev_match_exact_values),
	    cmocka_unit_test(test_values_above_highest_are_clamped_and_counted_as_overflow),
	    cmocka_unit_test(test_negative_value_or_count_is_rejected_without_recording),
	    cmocka_unit_test(test_record_n_equals_repeated_record),
	    cmocka_unit_test(test_total_count_overflow_is_rejected),
	    cmocka_unit_test(test_empty_histogram_reports_zeros),
	    cmocka_unit_test(test_new_rejects_invalid_configs),
	    cmocka_unit_test(test_coarse_configs_stay_within_their_precision),
	    cmocka_unit_test(test_merge_of_two_halves_equals_recording_everything_in_one),
	    cmocka_unit_test(test_merge_of_mismatched_configs_fails),
	    cmocka_unit_test(test_clone_is_independent_and_reset_empties),
	    cmocka_unit_test(test_encode_decode_round_trip_is_identical),
	    cmocka_unit_test(test_decode_rejects_every_truncation),
	    cmocka_unit_test(test_decode_rejects_every_single_character_change),
	    cmocka_unit_test(test_decode_of_resealed_mutations_fails_or_round_trips),
	    cmocka_unit_test(test_decode_rejects_inconsistent_but_checksummed_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
