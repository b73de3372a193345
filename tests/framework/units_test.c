/* Tests for framework/units.c: quantity and duration parsing, formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "error.h"
#include "units.h"

static void assert_close(double got, double want)
{
	double tol = fabs(want) * 1e-12;

	if (fabs(got - want) > tol)
		fail_msg("got %.17g want %.17g", got, want);
}

static void assert_quantity(const char *text, pg_unit_kind kind, double value, const char *unit)
{
	pg_quantity q;

	if (pg_quantity_parse(&q, text) != 0)
		fail_msg("'%s' failed: %s", text, pg_error_last());
	if (q.kind != kind)
		fail_msg("'%s': kind %d, want %d", text, (int)q.kind, (int)kind);
	assert_close(q.value, value);
	assert_string_equal(q.unit, unit);
}

/* Parsing fails with PG_EINVAL and a message containing want. */
static void assert_quantity_error(const char *text, const char *want)
{
	pg_quantity q;
	int rc;

	pg_error_clear();
	rc = pg_quantity_parse(&q, text);
	if (rc != PG_EINVAL)
		fail_msg("'%s' gave %d, want PG_EINVAL", text, rc);
	if (!strstr(pg_error_last(), want))
		fail_msg("'%s': message '%s' lacks '%s'", text, pg_error_last(), want);
}

static void assert_duration(const char *text, pg_ns want)
{
	pg_ns ns = -1;

	if (pg_duration_parse(&ns, text) != 0)
		fail_msg("'%s' failed: %s", text, pg_error_last());
	assert_int_equal(ns, want);
}

static void assert_duration_error(const char *text, int code, const char *want)
{
	pg_ns ns = 0;
	int rc;

	pg_error_clear();
	rc = pg_duration_parse(&ns, text);
	if (rc != code)
		fail_msg("'%s' gave %d, want %d", text, rc, code);
	if (!strstr(pg_error_last(), want))
		fail_msg("'%s': message '%s' lacks '%s'", text, pg_error_last(), want);
}

static void assert_format(double ns, const char *want)
{
	char buf[32];

	assert_ptr_equal(pg_duration_format(buf, sizeof(buf), ns), buf);
	if (strcmp(buf, want) != 0)
		fail_msg("format(%.17g) = '%s', want '%s'", ns, buf, want);
}

static void test_every_duration_unit_converts_to_ns(void **state)
{
	(void)state;
	assert_quantity("850ns", PG_UNIT_DURATION, 850, "ns");
	assert_quantity("812us", PG_UNIT_DURATION, 812e3, "us");
	assert_quantity("812\xc2\xb5s", PG_UNIT_DURATION, 812e3, "\xc2\xb5s");
	assert_quantity("812\xce\xbcs", PG_UNIT_DURATION, 812e3, "\xce\xbcs");
	assert_quantity("300ms", PG_UNIT_DURATION, 300e6, "ms");
	assert_quantity("2s", PG_UNIT_DURATION, 2e9, "s");
	assert_quantity("1.5m", PG_UNIT_DURATION, 90e9, "m");
	assert_quantity("2h", PG_UNIT_DURATION, 7200e9, "h");
	assert_quantity("0.25s", PG_UNIT_DURATION, 0.25e9, "s");
	assert_quantity(".5s", PG_UNIT_DURATION, 0.5e9, "s");
	assert_quantity("1e3ms", PG_UNIT_DURATION, 1e9, "ms");
	assert_quantity("2E-3s", PG_UNIT_DURATION, 2e6, "s");
	assert_quantity("0ms", PG_UNIT_DURATION, 0, "ms");
}

static void test_rate_percent_money_and_token_units(void **state)
{
	(void)state;
	assert_quantity("50/s", PG_UNIT_PER_S, 50, "/s");
	assert_quantity("50 req/s", PG_UNIT_PER_S, 50, "req/s");
	assert_quantity("12.5rps", PG_UNIT_PER_S, 12.5, "rps");
	assert_quantity("400 tokens/s", PG_UNIT_PER_S, 400, "tokens/s");
	assert_quantity("400tok/s", PG_UNIT_PER_S, 400, "tok/s");
	assert_quantity("0.1%", PG_UNIT_PERCENT, 0.001, "%");
	assert_quantity("99.9 %", PG_UNIT_PERCENT, 0.999, "%");
	assert_quantity("$0.002", PG_UNIT_USD, 0.002, "$");
	assert_quantity("$ 5", PG_UNIT_USD, 5, "$");
	assert_quantity("0.002$", PG_UNIT_USD, 0.002, "$");
	assert_quantity("0.002 USD", PG_UNIT_USD, 0.002, "USD");
	assert_quantity("3usd", PG_UNIT_USD, 3, "usd");
	assert_quantity("512 tokens", PG_UNIT_TOKENS, 512, "tokens");
	assert_quantity("512tok", PG_UNIT_TOKENS, 512, "tok");
	assert_quantity("42", PG_UNIT_NONE, 42, "");
	assert_quantity("0.75", PG_UNIT_NONE, 0.75, "");
	assert_quantity("+3ms", PG_UNIT_DURATION, 3e6, "ms");
}

static void test_whitespace_around_and_inside_is_accepted(void **state)
{
	(void)state;
	assert_quantity("  300ms", PG_UNIT_DURATION, 300e6, "ms");
	assert_quantity("300ms  ", PG_UNIT_DURATION, 300e6, "ms");
	assert_quantity("300 \t ms", PG_UNIT_DURATION, 300e6, "ms");
	assert_quantity("\t42\n", PG_UNIT_NONE, 42, "");
	assert_quantity(" $0.5 ", PG_UNIT_USD, 0.5, "$");
}

static void test_unknown_units_are_rejected_with_the_expected_list(void **state)
{
	(void)state;
	assert_quantity_error("300mz", "unknown unit 'mz' in '300mz' (expected ns, us, ms, s, m, "
				       "h, /s, %, $ or tokens)");
	assert_quantity_error("300MS", "unknown unit 'MS'");
	assert_quantity_error("300 sec", "unknown unit 'sec'");
	assert_quantity_error("5 /min", "unknown unit '/min'");
	assert_quantity_error("5x", "unknown unit 'x'");
	assert_quantity_error("5%%", "unknown unit '%%'");
}

static void test_trailing_junk_and_malformed_numbers_are_rejected(void **state)
{
	(void)state;
	assert_quantity_error("300ms x", "unexpected 'x'");
	assert_quantity_error("300 ms 5", "unexpected '5'");
	assert_quantity_error("1.2.3s", "malformed number");
	assert_quantity_error("1..2", "malformed number");
	assert_quantity_error("3 4", "malformed number");
	assert_quantity_error("$5ms", "after a dollar amount");
	assert_quantity_error("$$5", "expected a number");
	assert_quantity_error("ms", "expected a number");
	assert_quantity_error(".s", "expected a number");
	assert_quantity_error("0x10", "unknown unit 'x10'");
	assert_quantity_error("e5", "expected a number");
	assert_quantity_error("1e", "unknown unit 'e'");
	assert_quantity_error("five ms", "expected a number");
}

static void test_empty_nan_inf_and_negative_values_are_rejected(void **state)
{
	pg_quantity q;

	(void)state;
	assert_quantity_error("", "empty value");
	assert_quantity_error("   ", "empty value");
	assert_quantity_error("nan", "not a finite number");
	assert_quantity_error("NaNms", "not a finite number");
	assert_quantity_error("inf", "not a finite number");
	assert_quantity_error("Infinity s", "not a finite number");
	assert_quantity_error("1e999", "out of range");
	assert_quantity_error("1e308h", "out of range"); /* finite number, infinite ns */
	assert_quantity_error("-5ms", "negative values are not allowed");
	assert_quantity_error("-0", "negative values are not allowed");
	assert_quantity_error(" -1%", "negative values are not allowed");
	assert_quantity_error("$-1", "negative values are not allowed");
	assert_int_equal(pg_quantity_parse(&q, NULL), PG_EINVAL);
	assert_int_equal(pg_quantity_parse(NULL, "5"), PG_EINVAL);
}

static void test_very_long_numbers_are_rejected_not_truncated(void **state)
{
	char text[400];

	(void)state;
	memset(text, '1', sizeof(text) - 3);
	memcpy(text + sizeof(text) - 3, "s", 2);
	assert_quantity_error(text, "too long");
}

static void test_duration_parse_rounds_to_whole_ns(void **state)
{
	(void)state;
	assert_duration("300ms", 300 * PG_NS_PER_MS);
	assert_duration("2s", 2 * PG_NS_PER_S);
	assert_duration("1.5m", 90 * PG_NS_PER_S);
	assert_duration("1h", 3600 * PG_NS_PER_S);
	assert_duration("812us", 812 * PG_NS_PER_US);
	assert_duration("0.0015ms", 1500);
	assert_duration("1.4ns", 1);
	assert_duration("1.6ns", 2);
	assert_duration("0s", 0);
	assert_duration(" 250 ms ", 250 * PG_NS_PER_MS);
}

static void test_duration_parse_requires_a_duration_unit(void **state)
{
	(void)state;
	assert_duration_error("300", PG_EINVAL, "missing unit in '300' (write e.g. 300ms or 2s)");
	assert_duration_error("50/s", PG_EINVAL, "found a rate");
	assert_duration_error("5%", PG_EINVAL, "found a percentage");
	assert_duration_error("$1", PG_EINVAL, "expected a duration");
	assert_duration_error("10 tokens", PG_EINVAL, "expected a duration");
	assert_duration_error("300mz", PG_EINVAL, "unknown unit 'mz'");
	assert_duration_error("-1s", PG_EINVAL, "negative");
	assert_duration_error("", PG_EINVAL, "empty");
}

static void test_duration_parse_rejects_values_over_100_years(void **state)
{
	pg_ns ns = 7;

	(void)state;
	assert_duration("876000h", INT64_C(876000) * 3600 * PG_NS_PER_S); /* ~99.9 years */
	assert_duration_error("877000h", PG_ERANGE, "too long");
	assert_duration_error("1e30s", PG_ERANGE, "too long");
	assert_duration_error("9223372036854775808ns", PG_ERANGE, "too long");
	assert_int_equal(pg_duration_parse(&ns, "1e30s"), PG_ERANGE);
	assert_int_equal(ns, 0);
	assert_int_equal(pg_duration_parse(NULL, "1s"), PG_EINVAL);
	assert_int_equal(pg_duration_parse(&ns, NULL), PG_EINVAL);
}

static void test_duration_format_uses_three_significant_digits(void **state)
{
	(void)state;
	assert_format(0, "0ns");
	assert_format(5, "5ns");
	assert_format(850, "850ns");
	assert_format(999.4, "999ns");
	assert_format(999.6, "1.00us");
	assert_format(1000, "1.00us");
	assert_format(1234, "1.23us");
	assert_format(12345, "12.3us");
	assert_format(812000, "812us");
	assert_format(999400, "999us");
	assert_format(999600, "1.00ms");
	assert_format(3.4e6, "3.40ms");
	assert_format(3.456e6, "3.46ms");
	assert_format(45.67e6, "45.7ms");
	assert_format(2.1e9, "2.10s");
	assert_format(59.9e9, "59.9s");
	assert_format(90e9, "1.50m");
	assert_format(7200e9, "2.00h");
	assert_format(100000 * 3600e9, "100000h");
	assert_format(-3.4e6, "-3.40ms");
	assert_format(-0.2, "0ns");
	assert_format(NAN, "nan");
	assert_format(INFINITY, "inf");
}

static void test_duration_format_respects_the_buffer_size(void **state)
{
	char buf[4] = "xxx", one[1] = {'x'};

	(void)state;
	assert_string_equal(pg_duration_format(buf, sizeof(buf), 3.4e6), "3.4");
	assert_ptr_equal(pg_duration_format(one, 0, 1), one);
	assert_int_equal(one[0], 'x');
	assert_string_equal(pg_duration_format(NULL, 10, 1), "");
}

static void test_format_then_parse_round_trips_within_precision(void **state)
{
	double ns;
	char buf[32];
	pg_ns back;

	(void)state;
	for (ns = 1000; ns < 1e13; ns *= 1.37) {
		pg_duration_format(buf, sizeof(buf), ns);
		if (pg_duration_parse(&back, buf) != 0)
			fail_msg("'%s' does not parse: %s", buf, pg_error_last());
		assert_true(fabs((double)back - ns) <= ns * 0.005);
	}
}

static void test_unit_kind_names(void **state)
{
	(void)state;
	assert_string_equal(pg_unit_kind_name(PG_UNIT_NONE), "number");
	assert_string_equal(pg_unit_kind_name(PG_UNIT_DURATION), "duration");
	assert_string_equal(pg_unit_kind_name(PG_UNIT_PER_S), "rate");
	assert_string_equal(pg_unit_kind_name(PG_UNIT_PERCENT), "percentage");
	assert_string_equal(pg_unit_kind_name(PG_UNIT_USD), "dollar amount");
	assert_string_equal(pg_unit_kind_name(PG_UNIT_TOKENS), "token count");
	assert_string_equal(pg_unit_kind_name((pg_unit_kind)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_duration_unit_converts_to_ns),
	    cmocka_unit_test(test_rate_percent_money_and_token_units),
	    cmocka_unit_test(test_whitespace_around_and_inside_is_accepted),
	    cmocka_unit_test(test_unknown_units_are_rejected_with_the_expected_list),
	    cmocka_unit_test(test_trailing_junk_and_malformed_numbers_are_rejected),
	    cmocka_unit_test(test_empty_nan_inf_and_negative_values_are_rejected),
	    cmocka_unit_test(test_very_long_numbers_are_rejected_not_truncated),
	    cmocka_unit_test(test_duration_parse_rounds_to_whole_ns),
	    cmocka_unit_test(test_duration_parse_requires_a_duration_unit),
	    cmocka_unit_test(test_duration_parse_rejects_values_over_100_years),
	    cmocka_unit_test(test_duration_format_uses_three_significant_digits),
	    cmocka_unit_test(test_duration_format_respects_the_buffer_size),
	    cmocka_unit_test(test_format_then_parse_round_trips_within_precision),
	    cmocka_unit_test(test_unit_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
