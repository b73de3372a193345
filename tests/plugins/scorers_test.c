/* Tests of the built-in scorer plugins, driven through their descriptors'
 * ops with the fake host (tests/plugins/support/fake_host.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "perfgate/plugin.h"
#include "plugin_loader.h"
#include "support/fake_host.h"

const pg_plugin_desc *pg_builtin_scorer_exact(void);
const pg_plugin_desc *pg_builtin_scorer_contains(void);
const pg_plugin_desc *pg_builtin_scorer_regex(void);
const pg_plugin_desc *pg_builtin_scorer_json_valid(void);
const pg_plugin_desc *pg_builtin_scorer_json_schema(void);
const pg_plugin_desc *pg_builtin_scorer_numeric(void);
const pg_plugin_desc *pg_builtin_scorer_length(void);

#define LONG_ANSWER_LEN ((size_t)1024 * 1024)

static const pg_scorer_ops *ops_of(const pg_plugin_desc *d)
{
	assert_int_equal(d->kind, PG_PLUGIN_SCORER);
	return d->ops;
}

/* Creates d's scorer with the options of ap; returns create's code. */
static int create_v(const pg_plugin_desc *d, void **inst, fake_options *fo, va_list ap)
{
	fake_options_init(fo, d->options);
	fake_options_set_list(fo, ap);
	return ops_of(d)->create(inst, &fake_host, fake_options_get(fo));
}

/* Create's code for d with the name, value option pairs up to NULL; the
 * instance, if any, is destroyed. */
static int create_rc(const pg_plugin_desc *d, ...)
{
	fake_options fo;
	void *inst = NULL;
	va_list ap;
	int rc;

	va_start(ap, d);
	rc = create_v(d, &inst, &fo, ap);
	va_end(ap);
	if (rc < 0)
		assert_null(inst);
	ops_of(d)->destroy(inst);
	return rc;
}

/* Grades in with a fresh d scorer (options: name, value pairs up to NULL);
 * returns the score and checks pass agrees with it (none is partial). */
static double grade_input(const pg_plugin_desc *d, const pg_score_input *in, ...)
{
	fake_options fo;
	void *inst = NULL;
	double score = -1;
	int pass = -1;
	va_list ap;

	va_start(ap, in);
	assert_int_equal(create_v(d, &inst, &fo, ap), 0);
	va_end(ap);
	assert_non_null(inst);
	assert_int_equal(ops_of(d)->score(inst, in, &score, &pass), 0);
	ops_of(d)->destroy(inst);
	assert_true(score == 0.0 || score == 1.0);
	assert_int_equal(pass, score == 1.0);
	return score;
}

static pg_score_input input(const char *answer, size_t len, const char *expected)
{
	pg_score_input in = {0};

	in.answer = answer;
	in.answer_len = len;
	in.expected = expected;
	return in;
}

#define IN(ans, exp) input((ans), strlen(ans), (exp))
#define GRADE(d, ans, exp, ...)                                                                    \
	grade_input(                                                                               \
	    (d), &(pg_score_input){.answer = (ans), .answer_len = strlen(ans), .expected = (exp)}, \
	    __VA_ARGS__)

/* A LONG_ANSWER_LEN answer of 'a' ending with tail; the caller frees it. */
static char *long_answer(const char *tail)
{
	char *s = malloc(LONG_ANSWER_LEN);
	size_t n = strlen(tail);

	assert_non_null(s);
	memset(s, 'a', LONG_ANSWER_LEN);
	memcpy(s + LONG_ANSWER_LEN - n, tail, n);
	return s;
}

/* ---- exact ----------------------------------------------------------------- */

static void test_exact_trims_and_ignores_case_by_default(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_exact();

	(void)state;
	assert_true(GRADE(d, "  Paris\n", "paris", NULL) == 1.0);
	assert_true(GRADE(d, "Paris", " PARIS\t", NULL) == 1.0);
	assert_true(GRADE(d, "Paris!", "paris", NULL) == 0.0);
	assert_true(GRADE(d, "Pari", "paris", NULL) == 0.0);
}

static void test_exact_options_turn_off_trim_and_case_folding(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_exact();

	(void)state;
	assert_true(GRADE(d, "Paris", "paris", "case_sensitive", "true", NULL) == 0.0);
	assert_true(GRADE(d, "paris", "paris", "case_sensitive", "true", NULL) == 1.0);
	assert_true(GRADE(d, " paris", "paris", "trim", "false", NULL) == 0.0);
	assert_true(GRADE(d, "paris", "paris", "trim", "false", NULL) == 1.0);
}

static void test_exact_without_expected_scores_zero(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_exact();

	(void)state;
	assert_true(GRADE(d, "anything", NULL, NULL) == 0.0);
	assert_true(GRADE(d, "", NULL, NULL) == 0.0);
}

static void test_exact_empty_answer_equals_only_empty_expected(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_exact();

	(void)state;
	assert_true(GRADE(d, "", "", NULL) == 1.0);
	assert_true(GRADE(d, " \n", "", NULL) == 1.0);
	assert_true(GRADE(d, "", "x", NULL) == 0.0);
}

static void test_exact_uses_answer_len_and_nul_bytes_count(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_exact();
	pg_score_input in = input("parisXYZ", 5, "paris");

	(void)state;
	assert_true(grade_input(d, &in, NULL) == 1.0);
	in = input("paris\0", 6, "paris");
	assert_true(grade_input(d, &in, NULL) == 0.0);
	in = input("par\0is", 6, "paris");
	assert_true(grade_input(d, &in, NULL) == 0.0);
}

static void test_exact_truncated_answer_scores_zero(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_exact();
	pg_score_input in = IN("paris", "paris");

	(void)state;
	in.answer_truncated = 1;
	assert_true(grade_input(d, &in, NULL) == 0.0);
}

static void test_exact_folds_ascii_case_only(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_exact();

	(void)state;
	assert_true(GRADE(d, "Café Ünï", "café Ünï", NULL) == 1.0);
	assert_true(GRADE(d, "ÜNÏ", "ünï", NULL) == 0.0);
}

static void test_exact_long_answer(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_exact();
	char *a = long_answer("z");
	char *e = malloc(LONG_ANSWER_LEN + 1);
	pg_score_input in = input(a, LONG_ANSWER_LEN, e);

	(void)state;
	memcpy(e, a, LONG_ANSWER_LEN);
	e[LONG_ANSWER_LEN] = '\0';
	assert_true(grade_input(d, &in, NULL) == 1.0);
	e[LONG_ANSWER_LEN - 1] = 'y';
	assert_true(grade_input(d, &in, NULL) == 0.0);
	free(a);
	free(e);
}

/* ---- contains -------------------------------------------------------------- */

static void test_contains_finds_expected_ignoring_case(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_contains();

	(void)state;
	assert_true(GRADE(d, "The capital is PARIS.", "paris", NULL) == 1.0);
	assert_true(GRADE(d, "The capital is Lyon.", "paris", NULL) == 0.0);
	assert_true(GRADE(d, "PARIS", "paris", "case_sensitive", "true", NULL) == 0.0);
	assert_true(GRADE(d, "in paris", "paris", "case_sensitive", "true", NULL) == 1.0);
}

static void test_contains_text_option_replaces_expected(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_contains();

	(void)state;
	assert_true(GRADE(d, "it is 42", "nope", "text", "42", NULL) == 1.0);
	assert_true(GRADE(d, "it is nope", "nope", "text", "42", NULL) == 0.0);
	assert_true(GRADE(d, "it is 42", NULL, "text", "42", NULL) == 1.0);
}

static void test_contains_without_text_or_expected_scores_zero(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_contains();

	(void)state;
	assert_true(GRADE(d, "anything", NULL, NULL) == 0.0);
}

static void test_contains_edges_empty_answer_and_needle(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_contains();

	(void)state;
	assert_true(GRADE(d, "", "x", NULL) == 0.0);
	assert_true(GRADE(d, "ab", "abc", NULL) == 0.0);
	assert_true(GRADE(d, "", "", NULL) == 1.0);
	assert_true(GRADE(d, "abc", "abc", NULL) == 1.0);
}

static void test_contains_searches_past_nul_and_within_answer_len(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_contains();
	pg_score_input in = input("abc\0paris", 9, "paris");

	(void)state;
	assert_true(grade_input(d, &in, NULL) == 1.0);
	in = input("abcparis", 5, "paris");
	assert_true(grade_input(d, &in, NULL) == 0.0);
}

static void test_contains_unicode_and_long_answer(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_contains();
	char *a = long_answer("needle");
	pg_score_input in = input(a, LONG_ANSWER_LEN, "NEEDLE");

	(void)state;
	assert_true(GRADE(d, "un café noir", "café", NULL) == 1.0);
	assert_true(grade_input(d, &in, NULL) == 1.0);
	in.expected = "needles";
	assert_true(grade_input(d, &in, NULL) == 0.0);
	free(a);
}

/* ---- regex ----------------------------------------------------------------- */

static void test_regex_matches_anywhere_ignoring_case(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_regex();

	(void)state;
	assert_true(GRADE(d, "I have 12 Apples.", NULL, "pattern", "[0-9]+ apples", NULL) == 1.0);
	assert_true(GRADE(d, "I have no apples.", NULL, "pattern", "[0-9]+ apples", NULL) == 0.0);
	assert_true(GRADE(d, "12 Apples", NULL, "pattern", "[0-9]+ apples", "case_sensitive",
			  "true", NULL) == 0.0);
	assert_true(GRADE(d, "yes", NULL, "pattern", "^(yes|no)$", NULL) == 1.0);
}

static void test_regex_requires_a_pattern(void **state)
{
	(void)state;
	assert_int_equal(create_rc(pg_builtin_scorer_regex(), NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "pattern"));
}

static void test_regex_bad_pattern_fails_create_with_regerror_text(void **state)
{
	(void)state;
	assert_int_equal(create_rc(pg_builtin_scorer_regex(), "pattern", "(unclosed", NULL),
			 PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "bad pattern '(unclosed'"));
	/* regerror's text follows the pattern */
	assert_true(strlen(strstr(fake_host_last_error(), "': ")) > 3);
}

static void test_regex_nul_splits_answer_into_pieces(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_regex();
	pg_score_input in = input("abc\0def", 7, NULL);

	(void)state;
	assert_true(grade_input(d, &in, "pattern", "def", NULL) == 1.0);
	assert_true(grade_input(d, &in, "pattern", "def$", NULL) == 1.0);
	assert_true(grade_input(d, &in, "pattern", "^abc", NULL) == 1.0);
	assert_true(grade_input(d, &in, "pattern", "c.d", NULL) == 0.0);
	assert_true(grade_input(d, &in, "pattern", "^def", NULL) == 0.0);
	assert_true(grade_input(d, &in, "pattern", "abc$", NULL) == 0.0);
}

static void test_regex_reads_only_answer_len_bytes(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_regex();
	pg_score_input in = input("abcXYZ", 3, NULL);

	(void)state;
	assert_true(grade_input(d, &in, "pattern", "XYZ", NULL) == 0.0);
	assert_true(grade_input(d, &in, "pattern", "^abc$", NULL) == 1.0);
}

static void test_regex_empty_answer(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_regex();
	pg_score_input in = input(NULL, 0, NULL);

	(void)state;
	assert_true(grade_input(d, &in, "pattern", "^$", NULL) == 1.0);
	assert_true(grade_input(d, &in, "pattern", "a", NULL) == 0.0);
}

static void test_regex_buffer_grows_and_is_reused(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_regex();
	fake_options fo;
	void *inst = NULL;
	char *a = long_answer("END");
	pg_score_input small = IN("the END", NULL), big = input(a, LONG_ANSWER_LEN, NULL);
	double score;
	int pass;

	(void)state;
	fake_options_init(&fo, d->options);
	fake_options_set(&fo, "pattern", "END$");
	fake_options_set(&fo, "case_sensitive", "true");
	assert_int_equal(ops_of(d)->create(&inst, &fake_host, fake_options_get(&fo)), 0);
	assert_int_equal(ops_of(d)->score(inst, &small, &score, &pass), 0);
	assert_true(score == 1.0 && pass);
	assert_int_equal(ops_of(d)->score(inst, &big, &score, &pass), 0);
	assert_true(score == 1.0 && pass);
	small = IN("the end.", NULL);
	assert_int_equal(ops_of(d)->score(inst, &small, &score, &pass), 0);
	assert_true(score == 0.0 && !pass);
	ops_of(d)->destroy(inst);
	free(a);
}

static void test_regex_unicode_literal(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_regex();

	(void)state;
	assert_true(GRADE(d, "un café noir", NULL, "pattern", "caf(é|e) noir", NULL) == 1.0);
	assert_true(GRADE(d, "日本語のテキスト", NULL, "pattern", "日本語", NULL) == 1.0);
}

/* ---- json-valid ------------------------------------------------------------- */

static void test_json_valid_accepts_json_and_rejects_broken(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_valid();

	(void)state;
	assert_true(GRADE(d, "{\"a\": [1, 2, {\"b\": null}]}", NULL, NULL) == 1.0);
	assert_true(GRADE(d, " 42 ", NULL, NULL) == 1.0);
	assert_true(GRADE(d, "{\"a\": 1", NULL, NULL) == 0.0);
	assert_true(GRADE(d, "{} trailing", NULL, NULL) == 0.0);
	assert_true(GRADE(d, "", NULL, NULL) == 0.0);
	assert_true(GRADE(d, "{\"k\": \"日本\"}", NULL, NULL) == 1.0);
}

static void test_json_valid_strips_json_fences_by_default(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_valid();
	const char *fenced = "Here you go:\n```json\n{\"a\": [1, 2]}\n```\nAnything else?";

	(void)state;
	assert_true(GRADE(d, fenced, NULL, NULL) == 1.0);
	assert_true(GRADE(d, "```\n[1]\n```", NULL, NULL) == 1.0);
	assert_true(GRADE(d, "```json\n{\"unclosed\": true}\n", NULL, NULL) == 1.0);
	assert_true(GRADE(d, "```python\n[1]\n```", NULL, NULL) == 0.0);
	assert_true(GRADE(d, fenced, NULL, "strip_fences", "false", NULL) == 0.0);
}

static void test_json_valid_type_option(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_valid();

	(void)state;
	assert_true(GRADE(d, "[1]", NULL, "type", "object", NULL) == 0.0);
	assert_true(GRADE(d, "{}", NULL, "type", "object", NULL) == 1.0);
	assert_true(GRADE(d, "[1]", NULL, "type", "array", NULL) == 1.0);
	assert_true(GRADE(d, "\"s\"", NULL, "type", "array", NULL) == 0.0);
	assert_int_equal(create_rc(d, "type", "string", NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "'string'"));
}

static void test_json_valid_nul_byte_is_invalid(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_valid();
	pg_score_input in = input("{\"a\":1}\0", 8, NULL);

	(void)state;
	assert_true(grade_input(d, &in, NULL) == 0.0);
	in = input("{\"a\":1}\0", 7, NULL);
	assert_true(grade_input(d, &in, NULL) == 1.0);
}

static void test_json_valid_long_answer(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_valid();
	char *a = long_answer("\"]");
	pg_score_input in = input(a, LONG_ANSWER_LEN, NULL);

	(void)state;
	a[0] = '[';
	a[1] = '"';
	assert_true(grade_input(d, &in, NULL) == 1.0);
	in.answer_len--;
	assert_true(grade_input(d, &in, NULL) == 0.0);
	free(a);
}

/* ---- json-schema ------------------------------------------------------------ */

static const char person_schema[] =
    "{\"type\": \"object\", \"required\": [\"name\", \"age\"],"
    " \"additionalProperties\": false,"
    " \"properties\": {"
    "  \"name\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 5},"
    "  \"age\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 150},"
    "  \"tags\": {\"type\": \"array\", \"items\": {\"enum\": [\"a\", \"b\"]},"
    "            \"minItems\": 1, \"maxItems\": 2},"
    "  \"kind\": {\"const\": \"person\"},"
    "  \"note\": {\"type\": [\"string\", \"null\"]}}}";

static double person(const char *answer)
{
	return GRADE(pg_builtin_scorer_json_schema(), answer, NULL, "schema", person_schema, NULL);
}

static void test_json_schema_accepts_a_valid_document(void **state)
{
	(void)state;
	assert_true(person("{\"name\": \"Ann\", \"age\": 30}") == 1.0);
	assert_true(person("{\"name\": \"Ann\", \"age\": 30.0, \"tags\": [\"a\", \"b\"],"
			   " \"kind\": \"person\", \"note\": null}") == 1.0);
	assert_true(person("```json\n{\"name\": \"Ann\", \"age\": 1, \"note\": \"x\"}\n```") ==
		    1.0);
}

static void test_json_schema_rejects_each_violation(void **state)
{
	(void)state;
	assert_true(person("{\"name\": \"Ann\"}") == 0.0);			   /* required */
	assert_true(person("[]") == 0.0);					   /* type */
	assert_true(person("{\"name\": 3, \"age\": 30}") == 0.0);		   /* type */
	assert_true(person("{\"name\": \"Ann\", \"age\": 30.5}") == 0.0);	   /* integer */
	assert_true(person("{\"name\": \"Ann\", \"age\": -1}") == 0.0);		   /* minimum */
	assert_true(person("{\"name\": \"Ann\", \"age\": 151}") == 0.0);	   /* maximum */
	assert_true(person("{\"name\": \"\", \"age\": 3}") == 0.0);		   /* minLength */
	assert_true(person("{\"name\": \"Annabel\", \"age\": 3}") == 0.0);	   /* maxLength */
	assert_true(person("{\"name\": \"A\", \"age\": 3, \"x\": 1}") == 0.0);	   /* additional */
	assert_true(person("{\"name\": \"A\", \"age\": 3, \"tags\": []}") == 0.0); /* minItems */
	assert_true(person("{\"name\": \"A\", \"age\": 3, \"tags\": [\"a\",\"a\",\"a\"]}") ==
		    0.0); /* maxItems */
	assert_true(person("{\"name\": \"A\", \"age\": 3, \"tags\": [\"c\"]}") == 0.0); /* enum */
	assert_true(person("{\"name\": \"A\", \"age\": 3, \"kind\": \"cat\"}") == 0.0); /* const */
	assert_true(person("{\"name\": \"A\", \"age\": 3, \"note\": 1}") == 0.0); /* type list */
	assert_true(person("{\"name\": \"A\", \"age\": 3") == 0.0);		  /* not JSON */
	assert_true(person("") == 0.0);
}

static void test_json_schema_counts_string_length_in_code_points(void **state)
{
	(void)state;
	/* five code points, fifteen bytes */
	assert_true(person("{\"name\": \"日本語です\", \"age\": 3}") == 1.0);
	assert_true(person("{\"name\": \"日本語ですね\", \"age\": 3}") == 0.0);
}

static void test_json_schema_nul_byte_and_answer_len(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_schema();
	pg_score_input in = input("{}\0", 3, NULL);

	(void)state;
	assert_true(grade_input(d, &in, "schema", "{\"type\": \"object\"}", NULL) == 0.0);
	in.answer_len = 2;
	assert_true(grade_input(d, &in, "schema", "{\"type\": \"object\"}", NULL) == 1.0);
}

static void test_json_schema_refuses_unsupported_keyword_by_name(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_schema();

	(void)state;
	assert_int_equal(
	    create_rc(d, "schema", "{\"type\": \"string\", \"pattern\": \"^a\"}", NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "unsupported keyword 'pattern'"));
	assert_int_equal(create_rc(d, "schema", "{\"properties\": {\"a\": {\"oneOf\": []}}}", NULL),
			 PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "'oneOf'"));
	assert_non_null(strstr(fake_host_last_error(), "schema.properties.a"));
	/* annotations are accepted */
	assert_int_equal(create_rc(d, "schema", "{\"title\": \"t\", \"description\": \"d\"}", NULL),
			 0);
}

static void test_json_schema_refuses_bad_schemas(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_schema();

	(void)state;
	assert_int_equal(create_rc(d, NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "required"));
	assert_int_equal(create_rc(d, "schema", "{\"type\": ", NULL), PG_EPARSE);
	assert_non_null(strstr(fake_host_last_error(), "not JSON"));
	assert_int_equal(create_rc(d, "schema", "[]", NULL), PG_EINVAL);
	assert_int_equal(create_rc(d, "schema", "{\"type\": \"text\"}", NULL), PG_EINVAL);
	assert_int_equal(create_rc(d, "schema", "{\"minLength\": -1}", NULL), PG_EINVAL);
	assert_int_equal(create_rc(d, "schema", "{\"minimum\": \"3\"}", NULL), PG_EINVAL);
	assert_int_equal(create_rc(d, "schema", "{\"required\": [1]}", NULL), PG_EINVAL);
	assert_int_equal(create_rc(d, "schema", "{\"items\": [{}]}", NULL), PG_EINVAL);
	assert_int_equal(create_rc(d, "schema", "{\"additionalProperties\": {}}", NULL), PG_EINVAL);
}

static void test_json_schema_caps_nesting_depth(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_schema();
	char schema[1024];
	size_t n = 0;
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(schema + n, sizeof(schema) - n, "{\"items\": ");
	n += (size_t)snprintf(schema + n, sizeof(schema) - n, "{}");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(schema + n, sizeof(schema) - n, "}");
	assert_true(n < sizeof(schema));
	assert_int_equal(create_rc(d, "schema", schema, NULL), PG_ELIMIT);
	assert_non_null(strstr(fake_host_last_error(), "deeper"));
}

static void test_json_schema_reads_schema_file(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_json_schema();
	char path[] = "/tmp/pg_scorer_schema_XXXXXX", opt[64];
	const char *text = "{\"type\": \"array\", \"items\": {\"type\": \"number\"}}";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(opt, sizeof(opt), "@%s", path);
	assert_true(GRADE(d, "[1, 2.5]", NULL, "schema", opt, NULL) == 1.0);
	assert_true(GRADE(d, "[1, \"2\"]", NULL, "schema", opt, NULL) == 0.0);
	unlink(path);
	assert_int_equal(create_rc(d, "schema", opt, NULL), PG_EIO);
	assert_non_null(strstr(fake_host_last_error(), path));
}

/* ---- numeric ---------------------------------------------------------------- */

static void test_numeric_reads_first_number(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_numeric();

	(void)state;
	assert_true(GRADE(d, "The answer is 42.", "42", NULL) == 1.0);
	assert_true(GRADE(d, "The answer is 43.", "42", NULL) == 0.0);
	assert_true(GRADE(d, "t = -3.5e2 K", "-350", NULL) == 1.0);
	assert_true(GRADE(d, "about .5 of it", "0.5", NULL) == 1.0);
	assert_true(GRADE(d, "5. Done", " 5 ", NULL) == 1.0);
	assert_true(GRADE(d, "1 then 2", "2", NULL) == 0.0);
	assert_true(GRADE(d, "3e apples", "3", NULL) == 1.0);
}

static void test_numeric_tolerance_and_relative(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_numeric();

	(void)state;
	assert_true(GRADE(d, "3.14", "3.14159", "tolerance", "0.01", NULL) == 1.0);
	assert_true(GRADE(d, "3.14", "3.14159", "tolerance", "0.001", NULL) == 0.0);
	assert_true(GRADE(d, "105", "100", "relative", "0.05", NULL) == 1.0);
	assert_true(GRADE(d, "105", "100", "relative", "0.04", NULL) == 0.0);
	assert_true(GRADE(d, "105", "100", "relative", "0.04", "tolerance", "5", NULL) == 1.0);
	assert_int_equal(create_rc(d, "tolerance", "-1", NULL), PG_ERANGE);
}

static void test_numeric_whole_option(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_numeric();

	(void)state;
	assert_true(GRADE(d, "42 apples", "42", "whole", "true", NULL) == 0.0);
	assert_true(GRADE(d, " 42\n", "42", "whole", "true", NULL) == 1.0);
	assert_true(GRADE(d, "", "42", "whole", "true", NULL) == 0.0);
}

static void test_numeric_missing_numbers_score_zero(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_numeric();

	(void)state;
	assert_true(GRADE(d, "42", NULL, NULL) == 0.0);
	assert_true(GRADE(d, "42", "forty-two", NULL) == 0.0);
	assert_true(GRADE(d, "forty-two", "42", NULL) == 0.0);
	assert_true(GRADE(d, "", "42", NULL) == 0.0);
	assert_true(GRADE(d, "inf nan 0x10", "16", NULL) == 0.0);
}

static void test_numeric_nul_bytes_unicode_and_long_tokens(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_numeric();
	pg_score_input in = input("abc\0 7", 6, "7");
	char digits[400];

	(void)state;
	assert_true(grade_input(d, &in, NULL) == 1.0);
	in = input("7 and 8", 1, "7");
	assert_true(grade_input(d, &in, "whole", "true", NULL) == 1.0);
	assert_true(GRADE(d, "温度は 21.5 度", "21.5", NULL) == 1.0);
	memset(digits, '1', sizeof(digits) - 1);
	digits[sizeof(digits) - 1] = '\0';
	assert_true(GRADE(d, digits, "1", NULL) == 0.0);
}

static void test_numeric_long_answer(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_numeric();
	char *a = long_answer(" 12.5");
	pg_score_input in = input(a, LONG_ANSWER_LEN, "12.5");

	(void)state;
	assert_true(grade_input(d, &in, NULL) == 1.0);
	free(a);
}

/* ---- length ----------------------------------------------------------------- */

static void test_length_char_and_word_bounds(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_length();

	(void)state;
	assert_true(GRADE(d, "one two three", NULL, NULL) == 1.0);
	assert_true(GRADE(d, "one two three", NULL, "max_words", "3", NULL) == 1.0);
	assert_true(GRADE(d, "one two three", NULL, "max_words", "2", NULL) == 0.0);
	assert_true(GRADE(d, "  one\ttwo\n", NULL, "min_words", "2", NULL) == 1.0);
	assert_true(GRADE(d, "one", NULL, "min_words", "2", NULL) == 0.0);
	assert_true(GRADE(d, "12345", NULL, "min_chars", "5", "max_chars", "5", NULL) == 1.0);
	assert_true(GRADE(d, "123456", NULL, "max_chars", "5", NULL) == 0.0);
	assert_true(GRADE(d, "1234", NULL, "min_chars", "5", NULL) == 0.0);
}

static void test_length_counts_code_points_not_bytes(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_length();

	(void)state;
	assert_true(GRADE(d, "日本語", NULL, "max_chars", "3", NULL) == 1.0);
	assert_true(GRADE(d, "日本語", NULL, "min_chars", "4", NULL) == 0.0);
}

static void test_length_empty_answer_and_nul_bytes(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_length();
	pg_score_input in = input("a\0b", 3, NULL);

	(void)state;
	assert_true(GRADE(d, "", NULL, NULL) == 1.0);
	assert_true(GRADE(d, "", NULL, "min_chars", "1", NULL) == 0.0);
	assert_true(grade_input(d, &in, "min_words", "2", "max_chars", "3", NULL) == 1.0);
	assert_true(grade_input(d, &in, "max_chars", "2", NULL) == 0.0);
}

static void test_length_truncated_answer_fails_max_bounds(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_length();
	pg_score_input in = IN("short", NULL);

	(void)state;
	in.answer_truncated = 1;
	assert_true(grade_input(d, &in, "max_chars", "100", NULL) == 0.0);
	assert_true(grade_input(d, &in, "min_chars", "3", NULL) == 1.0);
}

static void test_length_long_answer_and_bad_bounds(void **state)
{
	const pg_plugin_desc *d = pg_builtin_scorer_length();
	char *a = long_answer(" b");
	pg_score_input in = input(a, LONG_ANSWER_LEN, NULL);

	(void)state;
	assert_true(grade_input(d, &in, "min_words", "2", "max_words", "2", NULL) == 1.0);
	assert_true(grade_input(d, &in, "max_chars", "1048575", NULL) == 0.0);
	free(a);
	assert_int_equal(create_rc(d, "min_chars", "5", "max_chars", "4", NULL), PG_ERANGE);
	assert_int_equal(create_rc(d, "min_words", "-1", NULL), PG_ERANGE);
}

/* ---- descriptors ------------------------------------------------------------ */

static void test_builtin_scorers_pass_the_descriptor_check(void **state)
{
	const pg_plugin_desc *(*const all[])(void) = {
	    pg_builtin_scorer_exact,	  pg_builtin_scorer_contains,	 pg_builtin_scorer_regex,
	    pg_builtin_scorer_json_valid, pg_builtin_scorer_json_schema, pg_builtin_scorer_numeric,
	    pg_builtin_scorer_length,
	};
	const char *names[] = {"exact",	      "contains", "regex", "json-valid",
			       "json-schema", "numeric",  "length"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const pg_plugin_desc *d = all[i]();
		const pg_option_spec *o;

		assert_int_equal(pg_plugin_desc_check(d, "test"), 0);
		assert_int_equal(d->kind, PG_PLUGIN_SCORER);
		assert_string_equal(d->name, names[i]);
		assert_non_null(d->description);
		assert_non_null(d->options);
		for (o = d->options; o->name; o++)
			assert_true(o->help != NULL && o->help[0] != '\0');
	}
}

static int dummy_create(void **out, const pg_host_api *host, const pg_options *opts)
{
	(void)host;
	(void)opts;
	*out = NULL;
	return 0;
}

static void dummy_destroy(void *inst)
{
	(void)inst;
}

static int dummy_score(void *inst, const pg_score_input *in, double *score, int *pass)
{
	(void)inst;
	(void)in;
	*score = 1;
	*pass = 1;
	return 0;
}

static void test_descriptor_check_refuses_scorer_without_an_operation(void **state)
{
	pg_scorer_ops ops = {
	    .create = dummy_create, .destroy = dummy_destroy, .score = dummy_score};
	pg_plugin_desc d = {PG_PLUGIN_DESC_INIT(PG_PLUGIN_SCORER, "dummy"), .ops = &ops};

	(void)state;
	assert_int_equal(pg_plugin_desc_check(&d, "test"), 0);
	ops.score = NULL;
	assert_int_equal(pg_plugin_desc_check(&d, "origin.so"), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "origin.so: scorer 'dummy' lacks"));
	ops.score = dummy_score;
	ops.create = NULL;
	assert_int_equal(pg_plugin_desc_check(&d, "test"), PG_EINVAL);
	ops.create = dummy_create;
	ops.destroy = NULL;
	assert_int_equal(pg_plugin_desc_check(&d, "test"), PG_EINVAL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fake_host_setup, fake_host_check_leaks)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_exact_trims_and_ignores_case_by_default),
	    T(test_exact_options_turn_off_trim_and_case_folding),
	    T(test_exact_without_expected_scores_zero),
	    T(test_exact_empty_answer_equals_only_empty_expected),
	    T(test_exact_uses_answer_len_and_nul_bytes_count),
	    T(test_exact_truncated_answer_scores_zero),
	    T(test_exact_folds_ascii_case_only),
	    T(test_exact_long_answer),
	    T(test_contains_finds_expected_ignoring_case),
	    T(test_contains_text_option_replaces_expected),
	    T(test_contains_without_text_or_expected_scores_zero),
	    T(test_contains_edges_empty_answer_and_needle),
	    T(test_contains_searches_past_nul_and_within_answer_len),
	    T(test_contains_unicode_and_long_answer),
	    T(test_regex_matches_anywhere_ignoring_case),
	    T(test_regex_requires_a_pattern),
	    T(test_regex_bad_pattern_fails_create_with_regerror_text),
	    T(test_regex_nul_splits_answer_into_pieces),
	    T(test_regex_reads_only_answer_len_bytes),
	    T(test_regex_empty_answer),
	    T(test_regex_buffer_grows_and_is_reused),
	    T(test_regex_unicode_literal),
	    T(test_json_valid_accepts_json_and_rejects_broken),
	    T(test_json_valid_strips_json_fences_by_default),
	    T(test_json_valid_type_option),
	    T(test_json_valid_nul_byte_is_invalid),
	    T(test_json_valid_long_answer),
	    T(test_json_schema_accepts_a_valid_document),
	    T(test_json_schema_rejects_each_violation),
	    T(test_json_schema_counts_string_length_in_code_points),
	    T(test_json_schema_nul_byte_and_answer_len),
	    T(test_json_schema_refuses_unsupported_keyword_by_name),
	    T(test_json_schema_refuses_bad_schemas),
	    T(test_json_schema_caps_nesting_depth),
	    T(test_json_schema_reads_schema_file),
	    T(test_numeric_reads_first_number),
	    T(test_numeric_tolerance_and_relative),
	    T(test_numeric_whole_option),
	    T(test_numeric_missing_numbers_score_zero),
	    T(test_numeric_nul_bytes_unicode_and_long_tokens),
	    T(test_numeric_long_answer),
	    T(test_length_char_and_word_bounds),
	    T(test_length_counts_code_points_not_bytes),
	    T(test_length_empty_answer_and_nul_bytes),
	    T(test_length_truncated_answer_fails_max_bounds),
	    T(test_length_long_answer_and_bad_bounds),
	    T(test_builtin_scorers_pass_the_descriptor_check),
	    T(test_descriptor_check_refuses_scorer_without_an_operation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
