/*
 * Tests for the kserve-v2 adapter (Open Inference Protocol v2 /infer and
 * Triton's generate extension) through its plugin descriptor, with the
 * shared fake host: request bodies and URLs, and responses (whole JSON and
 * generate_stream SSE) fed whole, split at every byte and byte by byte,
 * which must give identical sink events.
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

const pg_plugin_desc *pg_builtin_kserve_v2(void);

/* The input (infer) named name, or NULL. */
static const json_t *input_named(const json_t *body, const char *name)
{
	const json_t *inputs = json_object_get(body, "inputs");

	for (size_t i = 0; i < json_array_size(inputs); i++)
		if (strcmp(adapter_str_of(json_array_get(inputs, i), "name"), name) == 0)
			return json_array_get(inputs, i);
	return NULL;
}

/* Whether a tensor has the given datatype, shape ("1" or "1,1") and data. */
static void check_tensor(const json_t *t, const char *datatype, int batch, const json_t *value)
{
	const json_t *shape = json_object_get(t, "shape"), *data = json_object_get(t, "data");

	assert_non_null(t);
	assert_string_equal(adapter_str_of(t, "datatype"), datatype);
	assert_true(json_is_array(shape));
	assert_int_equal(json_array_size(shape), batch ? 2 : 1);
	for (size_t i = 0; i < json_array_size(shape); i++)
		assert_int_equal(json_integer_value(json_array_get(shape, i)), 1);
	assert_true(json_is_array(data));
	assert_int_equal(json_array_size(data), 1);
	assert_true(json_equal(json_array_get(data, 0), value));
}

/* ---- requests ----------------------------------------------------------- */

static void infer_body_has_bytes_input_and_max_tokens_parameter(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://127.0.0.1:8000", "llama", NULL);
	pg_work_item item = {.prompt = "What is ML?", .max_tokens = 32, .stream = 1};
	char url[256];
	const char *accept;
	json_t *b, *want;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), &accept);
	/* /infer does not stream, whatever the work item asks. */
	assert_string_equal(url, "http://127.0.0.1:8000/v2/models/llama/infer");
	assert_string_equal(accept, "application/json");
	assert_int_equal(json_array_size(json_object_get(b, "inputs")), 1);
	want = json_string("What is ML?");
	check_tensor(input_named(b, "text_input"), "BYTES", 0, want);
	json_decref(want);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(b, "parameters"), "max_tokens")),
	    32);
	assert_null(json_object_get(json_object_get(b, "parameters"), "stream"));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void infer_without_limit_sends_no_parameters(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h/", "m", NULL);
	void *noname = adapter_make_inst(d, "http://h/", "m", "max_tokens_name", "", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 0, .stream = 0};
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, NULL);
	assert_null(json_object_get(b, "parameters"));
	json_decref(b);
	item.max_tokens = 9;
	b = adapter_build_body(d, noname, &item, NULL, 0, NULL);
	assert_null(json_object_get(b, "parameters"));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
	adapter_ops(d)->destroy(noname);
}

static void inputs_mode_sends_settings_as_tensors_with_batch_dim(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h", "ensemble", "params_in", "inputs",
				       "batch_dim", "true", "token_counts", "true", "input_name",
				       "prompt", "max_tokens_name", "request_output_len", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 16, .stream = 0};
	pg_work_item huge = {.prompt = "x", .max_tokens = INT64_C(3000000000)};
	json_t *b, *v;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, NULL);
	assert_null(json_object_get(b, "parameters"));
	assert_int_equal(json_array_size(json_object_get(b, "inputs")), 4);
	v = json_string("x");
	check_tensor(input_named(b, "prompt"), "BYTES", 1, v);
	json_decref(v);
	v = json_integer(16);
	check_tensor(input_named(b, "request_output_len"), "INT32", 1, v);
	json_decref(v);
	check_tensor(input_named(b, "return_num_input_tokens"), "BOOL", 1, json_true());
	check_tensor(input_named(b, "return_num_output_tokens"), "BOOL", 1, json_true());
	json_decref(b);
	adapter_build_fails(d, inst, &huge, PG_ERANGE, "INT32");
	adapter_ops(d)->destroy(inst);
}

static void model_name_and_version_are_escaped_into_the_path(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst =
	    adapter_make_inst(d, "http://h:8000//", "my model/x", "model_version", "2", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 1};
	char url[256];

	(void)state;
	json_decref(adapter_build_body(d, inst, &item, url, sizeof(url), NULL));
	assert_string_equal(url, "http://h:8000/v2/models/my%20model%2Fx/versions/2/infer");
	adapter_ops(d)->destroy(inst);
}

static void generate_mode_puts_text_input_at_top_and_settings_in_parameters(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h:8000", "vllm_model", "generate", "true", NULL);
	pg_work_item item = {.prompt = "Hi", .max_tokens = 20, .stream = 0};
	char url[256];
	const char *accept;
	json_t *b, *p;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), &accept);
	assert_string_equal(url, "http://h:8000/v2/models/vllm_model/generate");
	assert_string_equal(accept, "application/json");
	assert_string_equal(adapter_str_of(b, "text_input"), "Hi");
	assert_null(json_object_get(b, "inputs"));
	p = json_object_get(b, "parameters");
	assert_int_equal(json_integer_value(json_object_get(p, "max_tokens")), 20);
	assert_true(json_is_false(json_object_get(p, "stream")));
	json_decref(b);
	item.stream = 1;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), &accept);
	assert_string_equal(url, "http://h:8000/v2/models/vllm_model/generate_stream");
	assert_string_equal(accept, "text/event-stream");
	assert_true(json_is_true(json_object_get(json_object_get(b, "parameters"), "stream")));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void generate_inputs_mode_puts_settings_at_top_level(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h", "ensemble", "generate", "true", "params_in",
				       "inputs", "token_counts", "true", NULL);
	pg_work_item item = {.prompt = "Hi", .max_tokens = 20, .stream = 1};
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, NULL);
	assert_null(json_object_get(b, "parameters"));
	assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 20);
	assert_true(json_is_true(json_object_get(b, "stream")));
	assert_true(json_is_true(json_object_get(b, "return_num_input_tokens")));
	assert_true(json_is_true(json_object_get(b, "return_num_output_tokens")));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void chat_messages_are_rendered_and_bad_items_refused(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h", "m", "generate", "true", NULL);
	pg_work_item chat = {.messages_json = "[{\"role\":\"user\",\"content\":\"Hi\"}]"};
	pg_work_item parts = {.messages_json = "[{\"role\":\"user\",\"content\":null}]"};
	pg_work_item bad_utf8 = {.prompt = "bad \xff"};
	pg_work_item empty = {0};
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &chat, NULL, 0, NULL);
	assert_string_equal(adapter_str_of(b, "text_input"), "user: Hi\nassistant:");
	json_decref(b);
	adapter_build_fails(d, inst, &parts, PG_EINVAL, "message 0");
	adapter_build_fails(d, inst, &bad_utf8, PG_EINVAL, "UTF-8");
	adapter_build_fails(d, inst, &empty, PG_EINVAL, "neither");
	adapter_ops(d)->destroy(inst);
}

static void create_needs_url_model_and_a_known_params_in(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();

	(void)state;
	assert_int_equal(adapter_create_fails(d, NULL, "m", NULL), PG_EINVAL);
	assert_int_equal(adapter_create_fails(d, "http://h", NULL, NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "target.model"));
	assert_int_equal(adapter_create_fails(d, "http://h", "m", "params_in", "body", NULL),
			 PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "parameters or inputs"));
}

static void descriptor_declares_name_kind_abi_and_options(void **state)
{
	static const char *const want[] = {"generate",	      "input_name",   "output_name",
					   "max_tokens_name", "params_in",    "batch_dim",
					   "token_counts",    "model_version"};

	(void)state;
	adapter_check_descriptor(pg_builtin_kserve_v2(), "kserve-v2", want,
				 sizeof(want) / sizeof(want[0]));
}

/* ---- infer responses ---------------------------------------------------- */

#define JSON_CT "application/json"

static void infer_response_gives_one_content_and_counts_when_reported(void **state)
{
	static const char ok[] =
	    "{\"model_name\":\"llama\",\"model_version\":\"1\",\"id\":\"42\",\"outputs\":["
	    "{\"name\":\"finish_reason\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"length\"]"
	    "},"
	    "{\"name\":\"text_output\",\"datatype\":\"BYTES\",\"shape\":[1],"
	    "\"data\":[\"Machine learning is\"]}]}";
	static const char counts[] =
	    "{\"model_name\":\"llama\",\"outputs\":["
	    "{\"name\":\"num_input_tokens\",\"datatype\":\"UINT32\",\"shape\":[1],\"data\":[4]},"
	    "{\"name\":\"text_output\",\"datatype\":\"BYTES\",\"shape\":[1,1],\"data\":[[\"ab\"]]},"
	    "{\"name\":\"num_output_tokens\",\"datatype\":\"UINT32\",\"shape\":[1],\"data\":[7]}]}";
	/* One output under another name: it is the text. */
	static const char single[] = "{\"outputs\":[{\"name\":\"OUTPUT0\",\"datatype\":\"BYTES\","
				     "\"shape\":[1],\"data\":[\"hello\"]}]}";
	static const char empty[] = "{\"outputs\":[{\"name\":\"text_output\",\"data\":[\"\"]}]}";
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);

	(void)state;
	adapter_expect_events(d, inst, JSON_CT, 0, ok, "C1;T[Machine learning is];", NULL);
	/* A streamed work item gets the same JSON answer from /infer. */
	adapter_expect_events(d, inst, NULL, 1, ok, "C1;T[Machine learning is];", NULL);
	adapter_expect_events(d, inst, JSON_CT, 0, counts, "C7;T[ab];U4,7;", NULL);
	adapter_expect_events(d, inst, JSON_CT, 0, single, "C1;T[hello];", NULL);
	adapter_expect_events(d, inst, JSON_CT, 0, empty, "", NULL);
	adapter_ops(d)->destroy(inst);
}

static void infer_error_and_malformed_responses_fail(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);

	(void)state;
	adapter_expect_events(
	    d, inst, JSON_CT, 0,
	    "{\"error\":\"in ensemble 'ensemble', Failed to process the request\"}", "F5;",
	    "Failed to process");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"model_name\":\"m\"}", "F6;",
			      "neither outputs");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"outputs\":[]}", "F6;", "neither outputs");
	adapter_expect_events(d, inst, JSON_CT, 0,
			      "{\"outputs\":[{\"name\":\"a\",\"data\":[\"x\"]},"
			      "{\"name\":\"b\",\"data\":[\"y\"]}]}",
			      "F6;", "no output named 'text_output'");
	adapter_expect_events(d, inst, JSON_CT, 0,
			      "{\"outputs\":[{\"name\":\"text_output\",\"data\":[1.5]}]}", "F6;",
			      "no string data");
	adapter_expect_events(
	    d, inst, JSON_CT, 0,
	    "{\"outputs\":[{\"name\":\"text_output\",\"data\":[[[[[[[[[\"x\"]]]]]]]]]}]}", "F6;",
	    "no string data");
	adapter_expect_events(d, inst, JSON_CT, 0,
			      "{\"outputs\":[{\"name\":\"text_output\",\"data\":[", "F6;",
			      "invalid JSON");
	adapter_expect_events(d, inst, JSON_CT, 0, "[\"text\"]", "F6;", "not a JSON object");
	adapter_expect_events(d, inst, JSON_CT, 0, "", "F6;", "empty");
	adapter_ops(d)->destroy(inst);
}

/* ---- generate responses ------------------------------------------------- */

static void generate_response_gives_content_and_counts(void **state)
{
	static const char ok[] =
	    "{\"model_name\":\"vllm_model\",\"model_version\":\"1\",\"text_output\":\"Triton is\"}";
	static const char counts[] = "{\"model_name\":\"m\",\"text_output\":\"ab\","
				     "\"num_input_tokens\":3,\"num_output_tokens\":[2]}";
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h", "m", "generate", "true", NULL);

	(void)state;
	adapter_expect_events(d, inst, JSON_CT, 0, ok, "C1;T[Triton is];", NULL);
	adapter_expect_events(d, inst, JSON_CT, 1, ok, "C1;T[Triton is];", NULL);
	adapter_expect_events(d, inst, JSON_CT, 0, counts, "C2;T[ab];U3,2;", NULL);
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"error\":\"Unable to find model\"}", "F5;",
			      "Unable to find model");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"model_name\":\"m\"}", "F6;",
			      "neither text_output");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"text_output\":5}", "F6;", "not a string");
	adapter_ops(d)->destroy(inst);
}

#define SSE_CT "text/event-stream; charset=utf-8"

static void generate_stream_gives_content_per_event_and_summed_counts(void **state)
{
	/* As Triton writes it: "data: " events, no end marker. */
	static const char s[] =
	    "data: {\"model_name\":\"vllm_model\",\"model_version\":\"1\",\"text_output\":\"Hel\","
	    "\"num_input_tokens\":5,\"num_output_tokens\":1}\n\n"
	    "data: {\"model_name\":\"vllm_model\",\"model_version\":\"1\",\"text_output\":\"\","
	    "\"num_input_tokens\":5,\"num_output_tokens\":0}\n\n"
	    "data: {\"model_name\":\"vllm_model\",\"model_version\":\"1\",\"text_output\":\"lo\","
	    "\"num_input_tokens\":5,\"num_output_tokens\":2}\n\n";
	static const char plain[] = "data: {\"text_output\":\"a\"}\n\n"
				    "data: {\"text_output\":\"b\"}\r\n\r\n"
				    "data: {\"model_name\":\"m\"}\n\n";
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h", "m", "generate", "true", NULL);

	(void)state;
	adapter_expect_events(d, inst, SSE_CT, 1, s, "C1;T[Hel];U5,1;U5,1;C2;T[lo];U5,3;", NULL);
	adapter_expect_events(d, inst, NULL, 1, s, "C1;T[Hel];U5,1;U5,1;C2;T[lo];U5,3;", NULL);
	adapter_expect_events(d, inst, SSE_CT, 1, plain, "C1;T[a];C1;T[b];", NULL);
	adapter_ops(d)->destroy(inst);
}

static void generate_stream_errors_and_cuts_fail(void **state)
{
	static const char mid[] = "data: {\"text_output\":\"a\"}\n\n"
				  "data: {\"error\":\"Error generating stream: engine died\"}\n\n"
				  "data: {\"text_output\":\"b\"}\n\n";
	static const char cut[] = "data: {\"text_output\":\"a\"}\n\ndata: {\"text_out";
	static const char bad[] = "data: {\"text_output\":\"a\"}\n\ndata: {oops}\n\n";
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h", "m", "generate", "true", NULL);

	(void)state;
	adapter_expect_events(d, inst, SSE_CT, 1, mid, "C1;T[a];F5;", "engine died");
	adapter_expect_events(d, inst, SSE_CT, 1, "event: error\ndata: {\"error\":\"x\"}\n\n",
			      "F5;", "x");
	adapter_expect_events(d, inst, SSE_CT, 1, cut, "C1;T[a];F6;", "inside an event");
	adapter_expect_events(d, inst, SSE_CT, 1, bad, "C1;T[a];F6;", "invalid JSON");
	adapter_expect_events(d, inst, SSE_CT, 1, "data: [1]\n\n", "F6;", "not a JSON object");
	adapter_expect_events(d, inst, SSE_CT, 1, "", "F6;", "without any event");
	adapter_expect_events(d, inst, SSE_CT, 1, ": ping\n\n", "F6;", "without any event");
	adapter_ops(d)->destroy(inst);
}

static void whole_body_over_cap_is_a_protocol_failure(void **state)
{
	const pg_plugin_desc *d = pg_builtin_kserve_v2();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);
	adapter_trace t;

	(void)state;
	adapter_parse_flood(d, inst, JSON_CT, 0, NULL, ' ', 65, 1, &t);
	assert_string_equal(t.text, "F6;");
	assert_non_null(strstr(t.fail_msg, "larger than"));
	adapter_ops(d)->destroy(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_host_setup, fake_host_check_leaks)
	    T(infer_body_has_bytes_input_and_max_tokens_parameter),
	    T(infer_without_limit_sends_no_parameters),
	    T(inputs_mode_sends_settings_as_tensors_with_batch_dim),
	    T(model_name_and_version_are_escaped_into_the_path),
	    T(generate_mode_puts_text_input_at_top_and_settings_in_parameters),
	    T(generate_inputs_mode_puts_settings_at_top_level),
	    T(chat_messages_are_rendered_and_bad_items_refused),
	    T(create_needs_url_model_and_a_known_params_in),
	    T(descriptor_declares_name_kind_abi_and_options),
	    T(infer_response_gives_one_content_and_counts_when_reported),
	    T(infer_error_and_malformed_responses_fail),
	    T(generate_response_gives_content_and_counts),
	    T(generate_stream_gives_content_per_event_and_summed_counts),
	    T(generate_stream_errors_and_cuts_fail),
	    T(whole_body_over_cap_is_a_protocol_failure),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
