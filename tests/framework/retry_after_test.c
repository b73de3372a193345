/* Retry-After parsing: delta-seconds and the three HTTP-date forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "retry_after.h"

/* Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date */
#define EXAMPLE_S INT64_C(784111777)

static void test_delta_seconds_become_a_wait_in_ns(void **state)
{
	pg_ns wait = -1;

	(void)state;
	assert_int_equal(pg_retry_after_parse(&wait, "2", 0), 0);
	assert_true(wait == 2 * PG_NS_PER_S);
	assert_int_equal(pg_retry_after_parse(&wait, "  120 \t", 0), 0);
	assert_true(wait == 120 * PG_NS_PER_S);
	assert_int_equal(pg_retry_after_parse(&wait, "0", 0), 0);
	assert_true(wait == 0);
}

static void test_huge_delta_seconds_saturate_at_the_cap(void **state)
{
	pg_ns wait = 0;

	(void)state;
	assert_int_equal(pg_retry_after_parse(&wait, "99999999999999999999999999999", 0), 0);
	assert_true(wait == PG_RETRY_AFTER_MAX_NS);
}

static void test_imf_fixdate_is_parsed(void **state)
{
	int64_t s = 0;

	(void)state;
	assert_int_equal(pg_retry_after_parse_date(&s, "Sun, 06 Nov 1994 08:49:37 GMT"), 0);
	assert_true(s == EXAMPLE_S);
	assert_int_equal(pg_retry_after_parse_date(&s, "Thu, 01 Jan 1970 00:00:00 GMT"), 0);
	assert_true(s == 0);
	/* a leap day: 2024-02-29 and the day after */
	assert_int_equal(pg_retry_after_parse_date(&s, "Thu, 29 Feb 2024 00:00:00 GMT"), 0);
	assert_true(s == INT64_C(1709164800));
	assert_int_equal(pg_retry_after_parse_date(&s, "Fri, 01 Mar 2024 00:00:00 GMT"), 0);
	assert_true(s == INT64_C(1709251200));
	assert_int_equal(pg_retry_after_parse_date(&s, "Fri, 31 Dec 1999 23:59:59 GMT"), 0);
	assert_true(s == INT64_C(946684799));
}

static void test_obsolete_rfc850_and_asctime_dates_are_parsed(void **state)
{
	int64_t s = 0;

	(void)state;
	assert_int_equal(pg_retry_after_parse_date(&s, "Sunday, 06-Nov-94 08:49:37 GMT"), 0);
	assert_true(s == EXAMPLE_S);
	assert_int_equal(pg_retry_after_parse_date(&s, "Sun Nov  6 08:49:37 1994"), 0);
	assert_true(s == EXAMPLE_S);
	assert_int_equal(pg_retry_after_parse_date(&s, "Thu Nov 16 08:49:37 1994"), 0);
	assert_true(s == EXAMPLE_S + 10 * 86400);
	/* two-digit years below 70 are in this century */
	assert_int_equal(pg_retry_after_parse_date(&s, "Friday, 01-Mar-24 00:00:00 GMT"), 0);
	assert_true(s == INT64_C(1709251200));
}

static void test_malformed_dates_are_rejected_with_a_message(void **state)
{
	static const char *const bad[] = {
	    "",
	    "tomorrow",
	    "Sun, 06 Nov 1994 08:49:37 UTC",
	    "Sun, 6 Nov 1994 08:49:37 GMT",
	    "Sun, 06 nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 08:49:37 GMT trailing",
	    "Sun, 06 Nov 1994 24:00:00 GMT",
	    "Sun, 31 Nov 1994 08:49:37 GMT",
	    "Tue, 29 Feb 2023 00:00:00 GMT",
	    "Sun, 06 Nov 1969 08:49:37 GMT",
	    "Sun, 06 Nov 1994 08:49",
	    "Funday, 06-Nov-94 08:49:37 GMT",
	    "Sun Nov 6 08:49:37 1994",
	};
	size_t i;
	int64_t s;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pg_error_clear();
		if (pg_retry_after_parse_date(&s, bad[i]) != PG_EPARSE)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(strstr(pg_error_last(), "HTTP-date"));
	}
}

static void test_a_date_becomes_the_wait_from_now(void **state)
{
	pg_ns wait = -1;
	int64_t now = (EXAMPLE_S - 3) * PG_NS_PER_S + 250 * PG_NS_PER_MS;

	(void)state;
	assert_int_equal(pg_retry_after_parse(&wait, "Sun, 06 Nov 1994 08:49:37 GMT", now), 0);
	assert_true(wait == 2 * PG_NS_PER_S + 750 * PG_NS_PER_MS);
	/* a date in the past: no wait */
	now = (EXAMPLE_S + 100) * PG_NS_PER_S;
	assert_int_equal(pg_retry_after_parse(&wait, "Sun, 06 Nov 1994 08:49:37 GMT", now), 0);
	assert_true(wait == 0);
	/* far in the future: capped */
	assert_int_equal(pg_retry_after_parse(&wait, "Fri, 31 Dec 9999 23:59:59 GMT", 0), 0);
	assert_true(wait == PG_RETRY_AFTER_MAX_NS);
}

static void test_values_that_are_neither_form_are_rejected(void **state)
{
	static const char *const bad[] = {"", "   ", "1.5", "-3", "10s", "+5", "0x10"};
	size_t i;
	pg_ns wait = 77;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pg_retry_after_parse(&wait, bad[i], 0) != PG_EPARSE)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(strstr(pg_error_last(), "Retry-After"));
	}
	assert_true(wait == 77); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_delta_seconds_become_a_wait_in_ns),
	    cmocka_unit_test(test_huge_delta_seconds_saturate_at_the_cap),
	    cmocka_unit_test(test_imf_fixdate_is_parsed),
	    cmocka_unit_test(test_obsolete_rfc850_and_asctime_dates_are_parsed),
	    cmocka_unit_test(test_malformed_dates_are_rejected_with_a_message),
	    cmocka_unit_test(test_a_date_becomes_the_wait_from_now),
	    cmocka_unit_test(test_values_that_are_neither_form_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
