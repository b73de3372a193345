/* Requirement expressions: operators, units per metric, whitespace, and
 * every error with the offset it points at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "requirement.h"

static void parse_ok(pg_requirement *r, const char *text)
{
	size_t off = 99;
	int rc = pg_requirement_parse(r, text, &off);

	if (rc != 0)
		fail_msg("'%s': %s", text, pg_error_last());
	assert_int_equal(off, 0);
}

static void assert_parse_error(const char *text, size_t offset, const char *message)
{
	pg_requirement r;
	size_t off = 99;

	assert_int_equal(pg_requirement_parse(&r, text, &off), PG_EINVAL);
	assert_int_equal(off, offset);
	if (message != NULL)
		assert_string_equal(pg_error_last(), message);
	assert_null(r.text);
}

static void all_four_operators_parse_and_compare(void **state)
{
	static const struct {
		const char *text;
		pg_cmp_op op;
		int below, equal, above; /* met for 299ms, 300ms, 301ms */
	} cases[] = {
	    {"ttft.p95 < 300ms", PG_OP_LT, 1, 0, 0},
	    {"ttft.p95 <= 300ms", PG_OP_LE, 1, 1, 0},
	    {"ttft.p95 > 300ms", PG_OP_GT, 0, 0, 1},
	    {"ttft.p95 >= 300ms", PG_OP_GE, 0, 1, 1},
	};
	pg_requirement r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_ok(&r, cases[i].text);
		assert_int_equal(r.op, cases[i].op);
		assert_true(r.limit == 300.0 * PG_NS_PER_MS);
		assert_int_equal(pg_requirement_met(&r, 299.0 * PG_NS_PER_MS), cases[i].below);
		assert_int_equal(pg_requirement_met(&r, 300.0 * PG_NS_PER_MS), cases[i].equal);
		assert_int_equal(pg_requirement_met(&r, 301.0 * PG_NS_PER_MS), cases[i].above);
		assert_int_equal(pg_requirement_met(&r, 0.0 / 0.0), 0);
		pg_requirement_clear(&r);
	}
	assert_string_equal(pg_cmp_op_str(PG_OP_LT), "<");
	assert_string_equal(pg_cmp_op_str(PG_OP_LE), "<=");
	assert_string_equal(pg_cmp_op_str(PG_OP_GT), ">");
	assert_string_equal(pg_cmp_op_str(PG_OP_GE), ">=");
}

static void limits_are_stored_in_canonical_units(void **state)
{
	static const struct {
		const char *text;
		const char *metric;
		double limit;
	} cases[] = {
	    {"ttft.p95 < 2s", "ttft", 2e9},
	    {"e2e.p99 < 1500us", "e2e", 1.5e6},
	    {"itl.mean < 40ms", "itl", 4e7},
	    {"errors.rate < 0.1%", "errors.rate", 0.001},
	    {"errors.rate < 0.05", "errors.rate", 0.05},
	    {"throughput.rps >= 45", "throughput.rps", 45},
	    {"throughput.rps >= 45/s", "throughput.rps", 45},
	    {"output_tokens_per_s >= 500", "output_tokens_per_s", 500},
	    {"errors.count <= 3", "errors.count", 3},
	};
	pg_requirement r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_ok(&r, cases[i].text);
		assert_string_equal(r.metric->name, cases[i].metric);
		assert_true(r.limit > cases[i].limit * 0.999999 &&
			    r.limit < cases[i].limit * 1.000001);
		assert_string_equal(r.text, cases[i].text);
		assert_null(r.file);
		assert_int_equal(r.line, 0);
		pg_requirement_clear(&r);
	}
}

static void statistics_follow_the_metric_name(void **state)
{
	pg_requirement r;

	(void)state;
	parse_ok(&r, "ttft.p99.9 < 1s");
	assert_string_equal(r.metric->name, "ttft");
	assert_int_equal(r.stat.kind, PG_STAT_QUANTILE);
	assert_true(r.stat.q > 0.99899 && r.stat.q < 0.99901);
	pg_requirement_clear(&r);

	parse_ok(&r, "tpot.max < 1s");
	assert_int_equal(r.stat.kind, PG_STAT_MAX);
	pg_requirement_clear(&r);

	parse_ok(&r, "e2e.min > 1ms");
	assert_int_equal(r.stat.kind, PG_STAT_MIN);
	pg_requirement_clear(&r);

	parse_ok(&r, "errors.rate < 1%");
	assert_int_equal(r.stat.kind, PG_STAT_NONE);
	pg_requirement_clear(&r);
}

static void whitespace_is_optional_and_trimmed(void **state)
{
	pg_requirement r;

	(void)state;
	parse_ok(&r, "ttft.p95<300ms");
	assert_int_equal(r.op, PG_OP_LT);
	assert_string_equal(r.text, "ttft.p95<300ms");
	pg_requirement_clear(&r);

	parse_ok(&r, "  ttft.p95   <=\t300ms  \n");
	assert_int_equal(r.op, PG_OP_LE);
	assert_true(r.limit == 300.0 * PG_NS_PER_MS);
	assert_string_equal(r.text, "ttft.p95   <=\t300ms");
	pg_requirement_clear(&r);

	parse_ok(&r, "errors.rate>=0.5 %");
	assert_int_equal(r.op, PG_OP_GE);
	assert_true(r.limit > 0.004999 && r.limit < 0.005001);
	pg_requirement_clear(&r);
}

static void errors_point_at_the_offending_token(void **state)
{
	(void)state;
	assert_parse_error("", 0, "empty requirement (expected something like 'ttft.p95 < 300ms')");
	assert_parse_error("   ", 3,
			   "empty requirement (expected something like 'ttft.p95 < 300ms')");
	assert_parse_error("< 300ms", 0, "expected a metric name such as ttft.p95, got '< 300ms'");
	assert_parse_error("ttfx.p95 < 300ms", 0, "unknown metric 'ttfx' (did you mean 'ttft'?)");
	assert_parse_error("  errors.rat < 1%", 2,
			   "unknown metric 'errors.rat' (did you mean 'errors.rate'?)");
	assert_parse_error("latency.p95 < 1s", 0,
			   "unknown metric 'latency' (see `perfgate metrics`)");
	assert_parse_error("ttft < 300ms", 0, "'ttft' needs a statistic such as ttft.p95");
	assert_parse_error("ttft.mena < 300ms", 5,
			   "unknown statistic 'mena' for 'ttft' (did you mean 'mean'?)");
	assert_parse_error("errors.rate.p95 < 1%", 12,
			   "'errors.rate' is a single value and takes no statistic, got 'p95'");
	assert_parse_error("ttft.p95 300ms", 9,
			   "expected an operator (<, <=, > or >=) after 'ttft.p95'");
	assert_parse_error("ttft.p95 == 300ms", 9,
			   "unsupported operator '==' (use <, <=, > or >=)");
	assert_parse_error("ttft.p95 <", 10, "expected a value after '<'");
	assert_parse_error("ttft.p95 <=  ", 11, "expected a value after '<='");
	assert_parse_error("ttft.p95 < 300", 11,
			   "ttft.p95 needs a duration (ns, us, ms, s), got '300'");
	assert_parse_error("errors.rate < 5ms", 14,
			   "errors.rate needs a percentage or a fraction, got '5ms'");
	assert_parse_error("errors.rate < 5", 14,
			   "errors.rate takes a fraction between 0 and 1 or a percentage, got '5' "
			   "(did you mean '5%'?)");
	assert_parse_error("throughput.rps > 5ms", 17,
			   "throughput.rps needs a rate such as 45 or 45/s, got '5ms'");
	assert_parse_error("errors.count < 1%", 15, "errors.count needs a plain count, got '1%'");
	/* the quantity's own complaint comes from the units parser */
	assert_parse_error("ttft.p95 < 3x00ms", 11, NULL);
	assert_non_null(strstr(pg_error_last(), "3x00ms"));
	assert_parse_error("ttft.p95 < -5ms", 11, NULL);
}

static void clear_releases_and_zeroes(void **state)
{
	pg_requirement r;

	(void)state;
	parse_ok(&r, "ttft.p50 < 1s");
	r.file = strdup("suite.yaml");
	r.line = 3;
	pg_requirement_clear(&r);
	assert_null(r.text);
	assert_null(r.file);
	assert_int_equal(r.line, 0);
	pg_requirement_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(all_four_operators_parse_and_compare),
	    cmocka_unit_test(limits_are_stored_in_canonical_units),
	    cmocka_unit_test(statistics_follow_the_metric_name),
	    cmocka_unit_test(whitespace_is_optional_and_trimmed),
	    cmocka_unit_test(errors_point_at_the_offending_token),
	    cmocka_unit_test(clear_releases_and_zeroes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
