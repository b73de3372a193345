/*
 * Tests for the tgi adapter (text-generation-inference's native API)
 * through its plugin descriptor, with the shared fake host: request bodies
 * and URLs, and responses (SSE streams and whole JSON answers) fed whole,
 * split at every byte and byte by byte, which must give identical sink
 * events.
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

#include "perfgate/plugin.h"
#include "support/adapter_harness.h"
#include "support/fake_host.h"

const pg_plugin_desc *pg_builtin_tgi(void);

/* ---- requests ----------------------------------------------------------- */

static void streamed_prompt_goes_to_generate_stream_with_limit_and_details(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://127.0.0.1:8080", "ignored", NULL);
	pg_work_item item = {.prompt = "Say hi", .max_tokens = 64, .stream = 1};
	char url[256];
	const char *accept;
	json_t *b, *p;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), &accept);
	assert_string_equal(url, "http://127.0.0.1:8080/generate_stream");
	assert_string_equal(accept, "text/event-stream");
	assert_string_equal(adapter_str_of(b, "inputs"), "Say hi");
	p = json_object_get(b, "parameters");
	assert_true(json_is_object(p));
	assert_int_equal(json_integer_value(json_object_get(p, "max_new_tokens")), 64);
	assert_true(json_is_true(json_object_get(p, "details")));
	/* Only inputs and parameters: the path, not a field, selects streaming. */
	assert_int_equal(json_object_size(b), 2);
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void unstreamed_prompt_goes_to_generate_and_zero_limit_is_left_out(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h:8080/", NULL, NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 0, .stream = 0};
	char url[256];
	const char *accept;
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), &accept);
	assert_string_equal(url, "http://h:8080/generate");
	assert_string_equal(accept, "application/json");
	assert_null(json_object_get(json_object_get(b, "parameters"), "max_new_tokens"));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void options_change_paths_and_turn_details_off(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h:1/tgi", NULL, "path_generate", "gen",
				       "path_stream", "/gen/stream", "details", "false", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 3, .stream = 0};
	char url[256];
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), NULL);
	assert_string_equal(url, "http://h:1/tgi/gen");
	assert_null(json_object_get(json_object_get(b, "parameters"), "details"));
	json_decref(b);
	item.stream = 1;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), NULL);
	assert_string_equal(url, "http://h:1/tgi/gen/stream");
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void chat_messages_are_rendered_as_role_lines_then_assistant(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);
	pg_work_item item = {.messages_json = "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
					      "{\"role\":\"user\",\"content\":\"caf\xc3\xa9?\"}]",
			     .max_tokens = 8,
			     .stream = 1};
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, NULL);
	assert_string_equal(adapter_str_of(b, "inputs"),
			    "system: Be brief.\nuser: caf\xc3\xa9?\nassistant:");
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void messages_that_cannot_be_rendered_are_refused(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);
	pg_work_item parts = {.messages_json =
				  "[{\"role\":\"user\",\"content\":\"a\"},"
				  "{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]"};
	pg_work_item not_array = {.messages_json = "{\"role\":\"user\"}"};
	pg_work_item bad_json = {.messages_json = "[{"};
	pg_work_item bad_utf8 = {.prompt = "bad \xff byte"};
	pg_work_item empty = {0};

	(void)state;
	adapter_build_fails(d, inst, &parts, PG_EINVAL, "message 1");
	adapter_build_fails(d, inst, &not_array, PG_EINVAL, "JSON array");
	adapter_build_fails(d, inst, &bad_json, PG_EINVAL, "not valid JSON");
	adapter_build_fails(d, inst, &bad_utf8, PG_EINVAL, "UTF-8");
	adapter_build_fails(d, inst, &empty, PG_EINVAL, "neither");
	adapter_ops(d)->destroy(inst);
}

static void create_without_url_fails(void **state)
{
	(void)state;
	assert_int_equal(adapter_create_fails(pg_builtin_tgi(), NULL, "m", NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "URL"));
	assert_int_equal(adapter_create_fails(pg_builtin_tgi(), "", "m", NULL), PG_EINVAL);
}

static void descriptor_declares_name_kind_abi_and_options(void **state)
{
	static const char *const want[] = {"path_generate", "path_stream", "details"};

	(void)state;
	adapter_check_descriptor(pg_builtin_tgi(), "tgi", want, sizeof(want) / sizeof(want[0]));
}

/* ---- streamed responses ------------------------------------------------- */

#define SSE_CT "text/event-stream"

/* A stream as TGI 2.x writes it (axum: "data:" without a space). The last
 * token is the special end-of-sequence token, in the final event. */
static const char tgi_stream[] =
    "data:{\"index\":1,\"token\":{\"id\":15043,\"text\":\"Hello\",\"logprob\":-0.5,"
    "\"special\":false},\"generated_text\":null,\"details\":null}\n\n"
    "data:{\"index\":2,\"token\":{\"id\":3186,\"text\":\" w\\u00f6rld\",\"logprob\":-0.2,"
    "\"special\":false},\"generated_text\":null,\"details\":null}\n\n"
    "data:{\"index\":3,\"token\":{\"id\":2,\"text\":\"</s>\",\"logprob\":-0.1,"
    "\"special\":true},\"generated_text\":\"Hello w\\u00f6rld\",\"details\":"
    "{\"finish_reason\":\"eos_token\",\"generated_tokens\":3,\"seed\":null,"
    "\"input_length\":5}}\n\n";

static void tgi_stream_gives_content_text_and_usage_at_every_split(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);

	(void)state;
	adapter_expect_events(d, inst, SSE_CT, 1, tgi_stream,
			      "C1;T[Hello];C1;T[ w\xc3\xb6rld];U5,3;", NULL);
	/* Content type with parameters, or none on a streamed request. */
	adapter_expect_events(d, inst, "text/event-stream; charset=utf-8", 1, tgi_stream,
			      "C1;T[Hello];C1;T[ w\xc3\xb6rld];U5,3;", NULL);
	adapter_expect_events(d, inst, NULL, 1, tgi_stream, "C1;T[Hello];C1;T[ w\xc3\xb6rld];U5,3;",
			      NULL);
	adapter_ops(d)->destroy(inst);
}

static void final_token_that_is_not_special_is_content(void **state)
{
	/* Stopped by max_new_tokens: the final event's token is generated text;
	 * no details asked for, so no usage. CRLF line ends. */
	static const char s[] = "data: {\"token\":{\"id\":1,\"text\":\"a\",\"special\":false},"
				"\"generated_text\":null,\"details\":null}\r\n\r\n"
				": keep-alive\r\n\r\n"
				"data: {\"token\":{\"id\":2,\"text\":\"b\",\"special\":false},"
				"\"generated_text\":\"ab\",\"details\":null}\r\n\r\n";
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);

	(void)state;
	adapter_expect_events(d, inst, SSE_CT, 1, s, "C1;T[a];C1;T[b];", NULL);
	adapter_ops(d)->destroy(inst);
}

static void error_event_mid_stream_is_a_stream_failure_and_stops_events(void **state)
{
	static const char s[] =
	    "data:{\"token\":{\"id\":1,\"text\":\"a\",\"special\":false},"
	    "\"generated_text\":null,\"details\":null}\n\n"
	    "data:{\"error\":\"Request failed during generation: CUDA out of memory\","
	    "\"error_type\":\"generation\"}\n\n"
	    "data:{\"token\":{\"id\":2,\"text\":\"b\",\"special\":false},"
	    "\"generated_text\":\"ab\",\"details\":{\"generated_tokens\":2}}\n\n";
	static const char first[] = "data:{\"error\":\"Model is overloaded\","
				    "\"error_type\":\"overloaded\"}\n\n";
	static const char event_error[] = "event: error\ndata: upstream went away\n\n";
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);

	(void)state;
	adapter_expect_events(d, inst, SSE_CT, 1, s, "C1;T[a];F5;",
			      "CUDA out of memory (generation)");
	adapter_expect_events(d, inst, SSE_CT, 1, first, "F5;", "Model is overloaded (overloaded)");
	adapter_expect_events(d, inst, SSE_CT, 1, event_error, "F5;", "upstream went away");
	adapter_ops(d)->destroy(inst);
}

static void stream_without_final_event_is_a_protocol_failure(void **state)
{
	static const char cut_between[] =
	    "data:{\"token\":{\"id\":1,\"text\":\"a\",\"special\":false},"
	    "\"generated_text\":null,\"details\":null}\n\n";
	static const char cut_inside[] =
	    "data:{\"token\":{\"id\":1,\"text\":\"a\",\"special\":false},"
	    "\"generated_text\":null,\"details\":null}\n\n"
	    "data:{\"token\":{\"id\":2,\"text\":\"b\",\"special\":false},\"generated_text\":\"ab\"";
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);

	(void)state;
	adapter_expect_events(d, inst, SSE_CT, 1, cut_between, "C1;T[a];F6;", "final event");
	adapter_expect_events(d, inst, SSE_CT, 1, cut_inside, "C1;T[a];F6;", "inside an event");
	adapter_expect_events(d, inst, SSE_CT, 1, "", "F6;", "final event");
	adapter_ops(d)->destroy(inst);
}

static void invalid_or_non_object_events_are_protocol_failures(void **state)
{
	static const char bad_json[] =
	    "data:{\"token\":{\"id\":1,\"text\":\"a\",\"special\":false}}\n\n"
	    "data:{\"token\":{\"id\":2,\"text\":\"b\"\n\n"
	    "data:{\"token\":{\"id\":3,\"text\":\"c\"},\"generated_text\":\"abc\"}\n\n";
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);

	(void)state;
	adapter_expect_events(d, inst, SSE_CT, 1, bad_json, "C1;T[a];F6;", "invalid JSON");
	adapter_expect_events(d, inst, SSE_CT, 1, "data:[1,2]\n\n", "F6;", "not a JSON object");
	adapter_ops(d)->destroy(inst);
}

static void wrongly_typed_fields_are_ignored_not_trusted(void **state)
{
	/* token not an object, text not a string, empty text, special tokens;
	 * counts that are strings or negative are not usage. */
	static const char s[] =
	    "data:{\"token\":\"a\",\"generated_text\":null}\n\n"
	    "data:{\"token\":{\"text\":5,\"special\":false}}\n\n"
	    "data:{\"token\":{\"text\":\"\",\"special\":false}}\n\n"
	    "data:{\"token\":{\"text\":\"<pad>\",\"special\":true}}\n\n"
	    "data:{\"token\":{\"text\":\"x\"},\"error\":null}\n\n"
	    "data:{\"token\":{\"text\":\"</s>\",\"special\":true},\"generated_text\":\"x\","
	    "\"details\":{\"generated_tokens\":\"2\",\"input_length\":-1}}\n\n"
	    "data:{\"token\":{\"text\":\"late\",\"special\":false}}\n\n";
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);

	(void)state;
	adapter_expect_events(d, inst, SSE_CT, 1, s, "C1;T[x];", NULL);
	adapter_ops(d)->destroy(inst);
}

/* ---- whole JSON responses ----------------------------------------------- */

#define JSON_CT "application/json"

static void whole_answer_gives_one_content_with_token_count_and_usage(void **state)
{
	static const char ok[] =
	    "{\"generated_text\":\" Paris is the capital.\",\"details\":{\"finish_reason\":"
	    "\"length\",\"generated_tokens\":6,\"seed\":null,\"prefill\":[],\"tokens\":"
	    "[{\"id\":1,\"text\":\" Paris\",\"logprob\":-1.0,\"special\":false}]}}";
	/* TGI's "/" route and the HF Inference API wrap it in an array. */
	static const char wrapped[] = "[{\"generated_text\":\"Hi\",\"details\":"
				      "{\"generated_tokens\":1,\"prefill\":[{\"id\":1,\"text\":"
				      "\"<s>\"},{\"id\":2,\"text\":\"x\"}]}}]";
	static const char no_details[] = "{\"generated_text\":\"Hi there\"}";
	static const char empty[] =
	    "{\"generated_text\":\"\",\"details\":{\"generated_tokens\":0}}";
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);

	(void)state;
	adapter_expect_events(d, inst, JSON_CT, 0, ok, "C6;T[ Paris is the capital.];U-1,6;", NULL);
	adapter_expect_events(d, inst, NULL, 0, ok, "C6;T[ Paris is the capital.];U-1,6;", NULL);
	/* A streamed request answered with plain JSON is parsed as JSON. */
	adapter_expect_events(d, inst, "application/json; charset=utf-8", 1, ok,
			      "C6;T[ Paris is the capital.];U-1,6;", NULL);
	adapter_expect_events(d, inst, JSON_CT, 0, wrapped, "C1;T[Hi];U2,1;", NULL);
	adapter_expect_events(d, inst, JSON_CT, 0, no_details, "C1;T[Hi there];", NULL);
	/* Well formed and empty: no content, not a failure. */
	adapter_expect_events(d, inst, JSON_CT, 0, empty, "U-1,0;", NULL);
	adapter_ops(d)->destroy(inst);
}

static void whole_error_and_malformed_answers_fail(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);

	(void)state;
	adapter_expect_events(d, inst, JSON_CT, 0,
			      "{\"error\":\"Input validation error: `inputs` must have less than "
			      "4096 tokens\",\"error_type\":\"validation\"}",
			      "F5;", "less than 4096 tokens (validation)");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"error\":{\"message\":\"proxy said no\"}}",
			      "F5;", "proxy said no");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"error\":7}", "F5;", "without a message");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"details\":{}}", "F6;", "no generated_text");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"generated_text\":[\"x\"]}", "F6;",
			      "no generated_text");
	adapter_expect_events(d, inst, JSON_CT, 0, "[]", "F6;", "not a JSON object");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"generated_text\":\"x", "F6;",
			      "invalid JSON");
	adapter_expect_events(d, inst, JSON_CT, 0, "", "F6;", "empty");
	adapter_ops(d)->destroy(inst);
}

static void whole_body_over_cap_is_a_protocol_failure(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);
	adapter_trace t;

	(void)state;
	adapter_parse_flood(d, inst, JSON_CT, 0, NULL, ' ', 65, 1, &t);
	assert_string_equal(t.text, "F6;");
	assert_non_null(strstr(t.fail_msg, "larger than"));
	adapter_ops(d)->destroy(inst);
}

static void sse_line_over_cap_is_a_protocol_failure(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = adapter_make_inst(d, "http://h", NULL, NULL);
	adapter_trace t;

	(void)state;
	adapter_parse_flood(d, inst, SSE_CT, 1, "data:", 'x', 9, 1, &t);
	assert_string_equal(t.text, "F6;");
	assert_non_null(strstr(t.fail_msg, "longer than"));
	adapter_ops(d)->destroy(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_host_setup, fake_host_check_leaks)
	    T(streamed_prompt_goes_to_generate_stream_with_limit_and_details),
	    T(unstreamed_prompt_goes_to_generate_and_zero_limit_is_left_out),
	    T(options_change_paths_and_turn_details_off),
	    T(chat_messages_are_rendered_as_role_lines_then_assistant),
	    T(messages_that_cannot_be_rendered_are_refused),
	    T(create_without_url_fails),
	    T(descriptor_declares_name_kind_abi_and_options),
	    T(tgi_stream_gives_content_text_and_usage_at_every_split),
	    T(final_token_that_is_not_special_is_content),
	    T(error_event_mid_stream_is_a_stream_failure_and_stops_events),
	    T(stream_without_final_event_is_a_protocol_failure),
	    T(invalid_or_non_object_events_are_protocol_failures),
	    T(wrongly_typed_fields_are_ignored_not_trusted),
	    T(whole_answer_gives_one_content_with_token_count_and_usage),
	    T(whole_error_and_malformed_answers_fail),
	    T(whole_body_over_cap_is_a_protocol_failure),
	    T(sse_line_over_cap_is_a_protocol_failure),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
