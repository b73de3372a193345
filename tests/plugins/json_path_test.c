/*
 * Tests for the JSON path evaluator adapters use to pull fields out of
 * arbitrary responses: what each path form selects, what it refuses to
 * compile, and that lookups never trust the document's shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "json_path.h"
#include "perfgate/common.h"

static const char doc_text[] =
    "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"}},"
    "{\"index\":1,\"message\":{\"content\":\"second\"}}],"
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2},"
    "\"meta\":{\"x.y\":{\"z\":true},\"a[0]\":\"bracketed\",\"\":\"empty key\"},"
    "\"with space\":\"s\",\"caf\xc3\xa9\":\"u\",\"n\":null}";

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	if (!v)
		fail_msg("test document is not JSON: %s", jerr.text);
	return v;
}

/* The value at path in doc, as compact JSON into buf ("<none>" if absent). */
static const char *eval(char *buf, size_t size, const json_t *doc, const char *path)
{
	pg_json_path *p = NULL;
	char err[256];
	json_t *v;
	char *s;

	if (pg_json_path_new(&p, path, err, sizeof(err)) != 0)
		fail_msg("path '%s' did not compile: %s", path, err);
	assert_string_equal(pg_json_path_text(p), path);
	v = pg_json_path_get(p, doc);
	if (!v) {
		snprintf(buf, size, "<none>");
	} else {
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		assert_non_null(s);
		snprintf(buf, size, "%s", s);
		free(s);
	}
	pg_json_path_free(p);
	return buf;
}

static void dotted_keys_and_indexes_select_nested_values(void **state)
{
	static const struct {
		const char *path, *want;
	} t[] = {
	    {"choices[0].message.content", "\"Hi\""},
	    {"$.choices[0].message.content", "\"Hi\""},
	    {"choices[1].message.content", "\"second\""},
	    {"choices[-1].index", "1"},
	    {"choices[-2].message.role", "\"assistant\""},
	    {"usage.completion_tokens", "2"},
	    {"usage.prompt_tokens", "9"},
	    {"meta[\"x.y\"].z", "true"},
	    {"meta[\"a[0]\"]", "\"bracketed\""},
	    {"meta[\"\"]", "\"empty key\""},
	    {"$[\"with space\"]", "\"s\""},
	    {"with space", "\"s\""},
	    {"caf\xc3\xa9", "\"u\""},
	    {"n", "null"},
	};
	json_t *doc = load(doc_text);
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = eval(buf, sizeof(buf), doc, t[i].path);

		if (strcmp(got, t[i].want) != 0)
			fail_msg("path '%s': got %s, want %s", t[i].path, got, t[i].want);
	}
	json_decref(doc);
}

static void dollar_alone_is_the_root_and_a_root_array_can_be_indexed(void **state)
{
	json_t *arr = load("[{\"generated_text\":\"out\"},[1,[2,3]]]");
	json_t *str = load("\"just text\"");
	char buf[256];

	(void)state;
	assert_string_equal(eval(buf, sizeof(buf), arr, "[0].generated_text"), "\"out\"");
	assert_string_equal(eval(buf, sizeof(buf), arr, "$[0].generated_text"), "\"out\"");
	assert_string_equal(eval(buf, sizeof(buf), arr, "[1][1][0]"), "2");
	assert_string_equal(eval(buf, sizeof(buf), str, "$"), "\"just text\"");
	json_decref(arr);
	json_decref(str);
}

static void missing_keys_out_of_range_indexes_and_wrong_types_give_null(void **state)
{
	static const char *const paths[] = {
	    "nope",
	    "choices[2]",
	    "choices[-3]",
	    "choices[0].message.content.more",	 /* a string has no keys */
	    "usage[0]",				 /* an object has no indexes */
	    "choices.message",			 /* an array has no keys */
	    "choices[0].message.content[0]",	 /* a string has no indexes */
	    "n.x",				 /* null has no keys */
	    "choices[999999999999999999].index", /* far out of range */
	    "choices[-999999999999999999]",
	};
	json_t *doc = load(doc_text);
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *got = eval(buf, sizeof(buf), doc, paths[i]);

		if (strcmp(got, "<none>") != 0)
			fail_msg("path '%s' should select nothing, got %s", paths[i], got);
	}
	json_decref(doc);
}

static void malformed_paths_are_refused_with_the_offset(void **state)
{
	static const struct {
		const char *path, *msg;
	} t[] = {
	    {"", "empty path"},
	    {".a", "cannot start with '.'"},
	    {"a.", "expected a key after '.' at offset 2"},
	    {"a..b", "expected a key after '.' at offset 2"},
	    {"a.[0]", "expected a key after '.' at offset 2"},
	    {"a[", "expected an index or a quoted key after '[' at offset 2"},
	    {"a[]", "expected an index or a quoted key"},
	    {"a[x]", "expected an index or a quoted key"},
	    {"a[1", "expected ']' after an index"},
	    {"a[1x]", "expected ']' after an index at offset 3"},
	    {"a[-]", "expected an index or a quoted key"},
	    {"a[1234567890123456789]", "index too large"},
	    {"a[\"b]", "unterminated quoted key"},
	    {"a[\"b\"", "expected ']' after a quoted key"},
	    {"a]", "unexpected ']' at offset 1"},
	    {"a\"b", "unexpected '\"'"},
	    {"a\tb", "unexpected byte 0x09"},
	    {"$a", "expected '.' or '[' after '$'"},
	    {"$.", "expected a key after '.'"},
	    {"[0]b", "unexpected 'b' at offset 3"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		pg_json_path *p = (pg_json_path *)&p;
		char err[256];

		assert_int_equal(pg_json_path_new(&p, t[i].path, err, sizeof(err)), PG_EINVAL);
		assert_null(p);
		if (!strstr(err, t[i].msg))
			fail_msg("path '%s': message '%s' lacks '%s'", t[i].path, err, t[i].msg);
		assert_non_null(strstr(err, "malformed JSON path"));
	}
}

static void a_null_path_or_a_zero_sized_message_buffer_is_handled(void **state)
{
	pg_json_path *p = NULL;

	(void)state;
	assert_int_equal(pg_json_path_new(&p, NULL, NULL, 0), PG_EINVAL);
	assert_null(p);
	assert_int_equal(pg_json_path_new(&p, "a..b", NULL, 0), PG_EINVAL);
	assert_null(p);
	pg_json_path_free(NULL);
}

static void a_compiled_path_is_reused_across_documents(void **state)
{
	pg_json_path *p = NULL;
	json_t *a = load("{\"token\":{\"text\":\"x\"}}");
	json_t *b = load("{\"token\":{\"text\":\"y\"}}");
	json_t *c = load("{\"token\":\"flat\"}");

	(void)state;
	assert_int_equal(pg_json_path_new(&p, "token.text", NULL, 0), 0);
	assert_string_equal(json_string_value(pg_json_path_get(p, a)), "x");
	assert_string_equal(json_string_value(pg_json_path_get(p, b)), "y");
	assert_null(pg_json_path_get(p, c));
	assert_null(pg_json_path_get(p, NULL));
	pg_json_path_free(p);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void messages_text_joins_contents_and_text_parts(void **state)
{
	json_t *msgs = load("[{\"role\":\"system\",\"content\":\"Be \\\"brief\\\".\"},"
			    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]},"
			    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
			    "{\"type\":\"image_url\",\"image_url\":{}},{\"text\":\"b\\u0000c\"}]},"
			    "{\"role\":\"user\",\"content\":\"\"}]");
	json_t *empty = load("[]");
	json_t *not_objects = load("[\"x\"]");
	json_t *obj = load("{\"content\":\"x\"}");
	char *text = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(pg_json_messages_text(&text, &len, msgs, 1000), 0);
	assert_int_equal(len, strlen("Be \"brief\".\nab") + 2 + 1);
	assert_memory_equal(text, "Be \"brief\".\nab\0c\n", len);
	assert_int_equal(text[len], '\0');
	free(text);
	assert_int_equal(pg_json_messages_text(&text, &len, empty, 1000), 0);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);
	free(text);
	assert_int_equal(pg_json_messages_text(&text, &len, msgs, 10), PG_ELIMIT);
	assert_null(text);
	assert_int_equal(pg_json_messages_text(&text, &len, not_objects, 1000), PG_EINVAL);
	assert_null(text);
	assert_int_equal(pg_json_messages_text(&text, &len, obj, 1000), PG_EINVAL);
	assert_int_equal(pg_json_messages_text(&text, &len, NULL, 1000), PG_EINVAL);
	json_decref(msgs);
	json_decref(empty);
	json_decref(not_objects);
	json_decref(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dotted_keys_and_indexes_select_nested_values),
	    cmocka_unit_test(dollar_alone_is_the_root_and_a_root_array_can_be_indexed),
	    cmocka_unit_test(missing_keys_out_of_range_indexes_and_wrong_types_give_null),
	    cmocka_unit_test(malformed_paths_are_refused_with_the_offset),
	    cmocka_unit_test(a_null_path_or_a_zero_sized_message_buffer_is_handled),
	    cmocka_unit_test(a_compiled_path_is_reused_across_documents),
	    cmocka_unit_test(messages_text_joins_contents_and_text_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
