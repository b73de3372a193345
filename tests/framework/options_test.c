/* Plugin options checked against an option table, and the "did you mean"
 * suggestions behind their messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "options.h"
#include "suggest.h"

static const pg_option_spec specs[] = {
    {"path", PG_OPT_STRING, "/v1/chat/completions", NULL, 0, 0, "request path"},
    {"include_usage", PG_OPT_BOOL, "true", NULL, 0, 0, "ask for usage"},
    {"temperature", PG_OPT_DOUBLE, NULL, NULL, 0, 2, "sampling temperature"},
    {"retries", PG_OPT_INT, "2", NULL, 0, 10, "retries"},
    {"seed", PG_OPT_INT, NULL, NULL, 0, 0, "unbounded"},
    {"connect_timeout", PG_OPT_DURATION, "5s", "ns", 1e6, 60e9, "connect timeout"},
    {"model_alias", PG_OPT_STRING, NULL, NULL, 0, 0, "no default"},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

static void unset_options_yield_their_defaults(void **state)
{
	pg_options *o;

	(void)state;
	assert_int_equal(pg_options_new(&o, specs), 0);
	assert_string_equal(pg_options_string(o, "path"), "/v1/chat/completions");
	assert_int_equal(pg_options_bool(o, "include_usage"), 1);
	assert_true(pg_options_double(o, "temperature") == 0.0);
	assert_int_equal(pg_options_int(o, "retries"), 2);
	assert_int_equal(pg_options_int(o, "seed"), 0);
	assert_int_equal(pg_options_duration(o, "connect_timeout"), 5 * PG_NS_PER_S);
	assert_null(pg_options_string(o, "model_alias"));
	/* names outside the table read as zero */
	assert_null(pg_options_string(o, "nope"));
	assert_int_equal(pg_options_int(o, "nope"), 0);
	pg_options_free(o);
}

static void set_values_are_parsed_to_their_type(void **state)
{
	pg_options *o;

	(void)state;
	assert_int_equal(pg_options_new(&o, specs), 0);
	assert_int_equal(pg_options_set(o, "path", "/v1/completions"), 0);
	assert_int_equal(pg_options_set(o, "path", "/second"), 0); /* last one wins */
	assert_int_equal(pg_options_set(o, "include_usage", "false"), 0);
	assert_int_equal(pg_options_set(o, "temperature", "1.25"), 0);
	assert_int_equal(pg_options_set(o, "retries", "10"), 0);
	assert_int_equal(pg_options_set(o, "seed", "-9000000000"), 0);
	assert_int_equal(pg_options_set(o, "connect_timeout", "250ms"), 0);
	assert_string_equal(pg_options_string(o, "path"), "/second");
	assert_int_equal(pg_options_bool(o, "include_usage"), 0);
	assert_true(pg_options_double(o, "temperature") == 1.25);
	assert_int_equal(pg_options_int(o, "retries"), 10);
	assert_true(pg_options_double(o, "retries") == 10.0);
	assert_int_equal(pg_options_int(o, "seed"), INT64_C(-9000000000));
	assert_int_equal(pg_options_duration(o, "connect_timeout"), 250 * PG_NS_PER_MS);
	pg_options_free(o);
}

static void bad_values_are_refused_with_the_option_named(void **state)
{
	static const struct {
		const char *name, *value;
		int rc;
		const char *message; /* NULL: check the name appears */
	} cases[] = {
	    {"retries", "abc", PG_EINVAL, "option 'retries' expects an integer, got 'abc'"},
	    {"retries", "3.5", PG_EINVAL, "option 'retries' expects an integer, got '3.5'"},
	    {"retries", " 3", PG_EINVAL, "option 'retries' expects an integer, got ' 3'"},
	    {"retries", "", PG_EINVAL, "option 'retries' expects an integer, got ''"},
	    {"seed", "99999999999999999999", PG_EINVAL,
	     "option 'seed' expects an integer, got '99999999999999999999'"},
	    {"retries", "11", PG_ERANGE, "option 'retries' must be between 0 and 10, got '11'"},
	    {"temperature", "hot", PG_EINVAL, "option 'temperature' expects a number, got 'hot'"},
	    {"temperature", "nan", PG_EINVAL, "option 'temperature' expects a number, got 'nan'"},
	    {"temperature", "0x1p1", PG_EINVAL,
	     "option 'temperature' expects a number, got '0x1p1'"},
	    {"temperature", "2.5", PG_ERANGE,
	     "option 'temperature' must be between 0 and 2, got '2.5'"},
	    {"temperature", "-0.1", PG_ERANGE,
	     "option 'temperature' must be between 0 and 2, got '-0.1'"},
	    {"include_usage", "yes", PG_EINVAL,
	     "option 'include_usage' expects true or false, got 'yes'"},
	    {"connect_timeout", "5", PG_EINVAL, NULL},
	    {"connect_timeout", "2m", PG_ERANGE, NULL},
	};
	pg_options *o;
	size_t i;

	(void)state;
	assert_int_equal(pg_options_new(&o, specs), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pg_options_set(o, cases[i].name, cases[i].value), cases[i].rc);
		if (cases[i].message != NULL)
			assert_string_equal(pg_error_last(), cases[i].message);
		else
			assert_non_null(strstr(pg_error_last(), cases[i].name));
	}
	/* failed sets leave the defaults in place */
	assert_int_equal(pg_options_int(o, "retries"), 2);
	assert_int_equal(pg_options_duration(o, "connect_timeout"), 5 * PG_NS_PER_S);
	pg_options_free(o);
}

static void unknown_names_suggest_the_closest_option(void **state)
{
	pg_options *o;

	(void)state;
	assert_int_equal(pg_options_new(&o, specs), 0);
	assert_int_equal(pg_options_set(o, "include_usag", "true"), PG_ENOTFOUND);
	assert_string_equal(pg_error_last(),
			    "unknown option 'include_usag' (did you mean 'include_usage'?)");
	assert_int_equal(pg_options_set(o, "temprature", "1"), PG_ENOTFOUND);
	assert_string_equal(pg_error_last(),
			    "unknown option 'temprature' (did you mean 'temperature'?)");
	assert_int_equal(pg_options_set(o, "colour", "red"), PG_ENOTFOUND);
	assert_string_equal(pg_error_last(), "unknown option 'colour'");
	pg_options_free(o);

	assert_int_equal(pg_options_new(&o, NULL), 0);
	assert_int_equal(pg_options_set(o, "path", "/x"), PG_ENOTFOUND);
	assert_string_equal(pg_error_last(),
			    "unknown option 'path' (this plugin takes no options)");
	assert_null(pg_options_spec(o, "path"));
	assert_null(pg_options_string(o, "path"));
	pg_options_free(o);
	pg_options_free(NULL);
}

static void spec_lookup_and_type_names(void **state)
{
	pg_options *o;

	(void)state;
	assert_int_equal(pg_options_new(&o, specs), 0);
	assert_ptr_equal(pg_options_spec(o, "retries"), &specs[3]);
	assert_null(pg_options_spec(o, "retry"));
	pg_options_free(o);
	assert_string_equal(pg_option_type_name(PG_OPT_STRING), "string");
	assert_string_equal(pg_option_type_name(PG_OPT_INT), "int");
	assert_string_equal(pg_option_type_name(PG_OPT_DOUBLE), "number");
	assert_string_equal(pg_option_type_name(PG_OPT_BOOL), "boolean");
	assert_string_equal(pg_option_type_name(PG_OPT_DURATION), "duration");
}

static void a_table_with_a_bad_default_is_refused(void **state)
{
	static const pg_option_spec bad[] = {
	    {"level", PG_OPT_INT, "high", NULL, 0, 0, "bad default"},
	    {NULL, 0, NULL, NULL, 0, 0, NULL},
	};
	pg_options *o = (pg_options *)1;

	(void)state;
	assert_int_equal(pg_options_new(&o, bad), PG_EINVAL);
	assert_null(o);
	assert_string_equal(pg_error_last(), "bad default in the plugin's option table: option "
					     "'level' expects an integer, got 'high'");
}

static void suggest_picks_the_closest_plausible_typo(void **state)
{
	static const char *const keys[] = {"concurrency", "duration", "requests", "warmup",
					   "timeout"};
	static const char *const ties[] = {"cat", "bat"};

	(void)state;
	assert_string_equal(pg_suggest("duraton", keys, 5), "duration");
	assert_string_equal(pg_suggest("concurency", keys, 5), "concurrency");
	assert_string_equal(pg_suggest("wramup", keys, 5), "warmup"); /* swapped letters */
	assert_string_equal(pg_suggest("timeuot", keys, 5), "timeout");
	assert_null(pg_suggest("p95_limt", keys, 5));
	assert_null(pg_suggest("xyz", keys, 5));
	/* short words allow one edit */
	assert_string_equal(pg_suggest("at", ties, 2), "cat"); /* ties go to the first */
	assert_null(pg_suggest("a", ties, 2));
	assert_null(pg_suggest("duraton", keys, 0));
	assert_null(pg_suggest(NULL, keys, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(unset_options_yield_their_defaults),
	    cmocka_unit_test(set_values_are_parsed_to_their_type),
	    cmocka_unit_test(bad_values_are_refused_with_the_option_named),
	    cmocka_unit_test(unknown_names_suggest_the_closest_option),
	    cmocka_unit_test(spec_lookup_and_type_names),
	    cmocka_unit_test(a_table_with_a_bad_default_is_refused),
	    cmocka_unit_test(suggest_picks_the_closest_plausible_typo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
