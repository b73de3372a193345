/*
 * Tests for the ollama adapter (Ollama's native /api/chat and /api/generate)
 * through its plugin descriptor, with the shared fake host: request bodies
 * and URLs, and responses (NDJSON streams and whole JSON answers) fed
 * whole, split at every byte and byte by byte, which must give identical
 * sink events.
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

const pg_plugin_desc *pg_builtin_ollama(void);

/* ---- requests ----------------------------------------------------------- */

static void chat_prompt_body_has_model_one_user_turn_stream_and_num_predict(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://127.0.0.1:11434", "llama3.2", NULL);
	pg_work_item item = {.prompt = "Why is the sky blue?", .max_tokens = 64, .stream = 1};
	char url[256];
	const char *accept;
	json_t *b, *m;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), &accept);
	assert_string_equal(url, "http://127.0.0.1:11434/api/chat");
	assert_string_equal(accept, "application/x-ndjson");
	assert_string_equal(adapter_str_of(b, "model"), "llama3.2");
	m = json_object_get(b, "messages");
	assert_true(json_is_array(m));
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(adapter_str_of(json_array_get(m, 0), "role"), "user");
	assert_string_equal(adapter_str_of(json_array_get(m, 0), "content"),
			    "Why is the sky blue?");
	assert_true(json_is_true(json_object_get(b, "stream")));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(b, "options"), "num_predict")), 64);
	/* Unset options stay out. */
	assert_null(json_object_get(json_object_get(b, "options"), "temperature"));
	assert_null(json_object_get(b, "keep_alive"));
	assert_null(json_object_get(b, "prompt"));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void chat_messages_json_is_embedded_and_unstreamed_has_stream_false(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h:11434/", "m", NULL);
	const char *msgs = "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
			   "{\"role\":\"user\",\"content\":\"caf\xc3\xa9\"}]";
	pg_work_item item = {.messages_json = msgs, .max_tokens = 0, .stream = 0};
	const char *accept;
	json_t *b, *want;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, &accept);
	assert_string_equal(accept, "application/json");
	want = json_loads(msgs, 0, NULL);
	assert_non_null(want);
	assert_true(json_equal(json_object_get(b, "messages"), want));
	assert_true(json_is_false(json_object_get(b, "stream")));
	/* No limit and no temperature: no options object at all. */
	assert_null(json_object_get(b, "options"));
	json_decref(want);
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void generate_mode_sends_prompt_to_api_generate_and_refuses_messages(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h:11434", "m", "mode", "generate", NULL);
	pg_work_item item = {.prompt = "Once upon", .max_tokens = 5, .stream = 1};
	pg_work_item chat = {.messages_json = "[{\"role\":\"user\",\"content\":\"x\"}]"};
	char url[256];
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), NULL);
	assert_string_equal(url, "http://h:11434/api/generate");
	assert_string_equal(adapter_str_of(b, "prompt"), "Once upon");
	assert_null(json_object_get(b, "messages"));
	json_decref(b);
	adapter_build_fails(d, inst, &chat, PG_EINVAL, "mode: chat");
	adapter_ops(d)->destroy(inst);
}

static void temperature_and_keep_alive_options_are_sent(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst =
	    adapter_make_inst(d, "http://h", "m", "temperature", "0", "keep_alive", "30m", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 0, .stream = 1};
	json_t *b, *o;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, NULL);
	o = json_object_get(b, "options");
	assert_true(json_is_number(json_object_get(o, "temperature")));
	assert_float_equal(json_number_value(json_object_get(o, "temperature")), 0.0, 0.0);
	assert_null(json_object_get(o, "num_predict"));
	assert_string_equal(adapter_str_of(b, "keep_alive"), "30m");
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void bad_items_are_refused(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);
	pg_work_item bad_utf8 = {.prompt = "bad \xff byte"};
	pg_work_item bad_json = {.messages_json = "[{"};
	pg_work_item not_array = {.messages_json = "{}"};
	pg_work_item empty = {0};

	(void)state;
	adapter_build_fails(d, inst, &bad_utf8, PG_EINVAL, "UTF-8");
	adapter_build_fails(d, inst, &bad_json, PG_EINVAL, "not valid JSON");
	adapter_build_fails(d, inst, &not_array, PG_EINVAL, "JSON array");
	adapter_build_fails(d, inst, &empty, PG_EINVAL, "neither");
	adapter_ops(d)->destroy(inst);
}

static void create_needs_url_model_and_a_known_mode(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();

	(void)state;
	assert_int_equal(adapter_create_fails(d, NULL, "m", NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "URL"));
	assert_int_equal(adapter_create_fails(d, "http://h", NULL, NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "target.model"));
	assert_int_equal(adapter_create_fails(d, "http://h", "", NULL), PG_EINVAL);
	assert_int_equal(adapter_create_fails(d, "http://h", "m", "mode", "completion", NULL),
			 PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "chat or generate"));
}

static void descriptor_declares_name_kind_abi_and_options(void **state)
{
	static const char *const want[] = {"mode", "keep_alive", "temperature"};

	(void)state;
	adapter_check_descriptor(pg_builtin_ollama(), "ollama", want,
				 sizeof(want) / sizeof(want[0]));
}

/* ---- streamed responses ------------------------------------------------- */

#define ND_CT "application/x-ndjson"
#define CHAT_HEAD "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.1Z\","

/* A chat stream as Ollama writes it. */
static const char chat_stream[] = CHAT_HEAD
    "\"message\":{\"role\":\"assistant\",\"content\":\"The\"},\"done\":false}\n" CHAT_HEAD
    "\"message\":{\"role\":\"assistant\",\"content\":\" sky\"},\"done\":false}\n" CHAT_HEAD
    "\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\","
    "\"done\":true,\"total_duration\":4883583458,\"load_duration\":1334875,"
    "\"prompt_eval_count\":26,\"prompt_eval_duration\":342546000,\"eval_count\":2,"
    "\"eval_duration\":4535599000}\n";

static void chat_stream_gives_content_text_and_usage_at_every_split(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);

	(void)state;
	adapter_expect_events(d, inst, ND_CT, 1, chat_stream, "C1;T[The];C1;T[ sky];U26,2;", NULL);
	/* No content type on a streamed request: NDJSON. */
	adapter_expect_events(d, inst, NULL, 1, chat_stream, "C1;T[The];C1;T[ sky];U26,2;", NULL);
	adapter_ops(d)->destroy(inst);
}

static void thinking_counts_as_content_without_answer_text(void **state)
{
	static const char s[] =
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Hmm\"},"
	    "\"done\":false}\n"
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"42\"},\"done\":false}\n"
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
	    "\"eval_count\":2}\n";
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);

	(void)state;
	adapter_expect_events(d, inst, ND_CT, 1, s, "C1;C1;T[42];U-1,2;", NULL);
	adapter_ops(d)->destroy(inst);
}

static void generate_stream_reads_response_and_accepts_crlf_and_no_final_lf(void **state)
{
	static const char s[] =
	    "{\"model\":\"m\",\"response\":\"Once\",\"done\":false}\r\n"
	    "\r\n"
	    "{\"model\":\"m\",\"response\":\" upon\",\"done\":false}\r\n"
	    "{\"model\":\"m\",\"response\":\"\",\"done\":true,\"done_reason\":\"length\","
	    "\"context\":[1,2,3],\"prompt_eval_count\":3,\"eval_count\":2}";
	/* A chat-shaped line is not generate content. */
	static const char chat_shaped[] =
	    "{\"message\":{\"content\":\"x\"},\"done\":false}\n{\"done\":true}\n";
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", "mode", "generate", NULL);

	(void)state;
	adapter_expect_events(d, inst, ND_CT, 1, s, "C1;T[Once];C1;T[ upon];U3,2;", NULL);
	adapter_expect_events(d, inst, ND_CT, 1, chat_shaped, "", NULL);
	adapter_ops(d)->destroy(inst);
}

static void error_line_is_a_stream_failure_and_stops_events(void **state)
{
	static const char mid[] =
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n"
	    "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n"
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"b\"},\"done\":true,"
	    "\"eval_count\":2}\n";
	static const char first[] = "{\"error\":\"model requires more system memory\"}\n";
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);

	(void)state;
	adapter_expect_events(d, inst, ND_CT, 1, mid, "C1;T[a];F5;", "unexpected EOF");
	adapter_expect_events(d, inst, ND_CT, 1, first, "F5;", "more system memory");
	adapter_expect_events(d, inst, ND_CT, 1, "{\"error\":{}}\n", "F5;", "without a message");
	adapter_ops(d)->destroy(inst);
}

static void stream_without_done_or_with_bad_lines_is_a_protocol_failure(void **state)
{
	static const char cut[] =
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n"
	    "{\"message\":{\"role\":\"assistant\",\"con";
	static const char no_done[] =
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n";
	static const char bad_line[] =
	    "{\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n"
	    "not json\n"
	    "{\"message\":{\"content\":\"\"},\"done\":true}\n";
	/* "done": "true" (a string) is not done. */
	static const char done_string[] = "{\"message\":{\"content\":\"a\"},\"done\":\"true\"}\n";
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);

	(void)state;
	adapter_expect_events(d, inst, ND_CT, 1, cut, "C1;T[a];F6;", "invalid JSON");
	adapter_expect_events(d, inst, ND_CT, 1, no_done, "C1;T[a];F6;", "\"done\": true");
	adapter_expect_events(d, inst, ND_CT, 1, bad_line, "C1;T[a];F6;", "invalid JSON");
	adapter_expect_events(d, inst, ND_CT, 1, "[1]\n", "F6;", "not a JSON object");
	adapter_expect_events(d, inst, ND_CT, 1, done_string, "C1;T[a];F6;", "\"done\": true");
	adapter_expect_events(d, inst, ND_CT, 1, "", "F6;", "\"done\": true");
	adapter_ops(d)->destroy(inst);
}

static void wrongly_typed_fields_are_ignored_and_lines_after_done_too(void **state)
{
	static const char s[] =
	    "{\"message\":\"x\",\"done\":false}\n"
	    "{\"message\":{\"content\":7},\"done\":false}\n"
	    "{\"message\":{\"content\":[\"a\"]},\"response\":\"r\",\"done\":false}\n"
	    "{\"message\":{\"content\":\"ok\"},\"error\":null,\"done\":false}\n"
	    "{\"message\":{\"content\":\"\"},\"done\":true,\"prompt_eval_count\":\"3\","
	    "\"eval_count\":-1}\n"
	    "{\"message\":{\"content\":\"late\"},\"done\":false}\n"
	    "garbage after done\n";
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);

	(void)state;
	adapter_expect_events(d, inst, ND_CT, 1, s, "C1;T[ok];", NULL);
	adapter_ops(d)->destroy(inst);
}

/* ---- whole JSON responses ----------------------------------------------- */

#define JSON_CT "application/json; charset=utf-8"

static void whole_answers_give_one_content_and_usage(void **state)
{
	static const char chat[] =
	    CHAT_HEAD "\"message\":{\"role\":\"assistant\",\"content\":\"Rayleigh scattering.\"},"
		      "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":5191566416,"
		      "\"prompt_eval_count\":26,\"eval_count\":4}";
	static const char gen[] = "{\"model\":\"m\",\"response\":\"Paris.\",\"done\":true,"
				  "\"context\":[1,2],\"prompt_eval_count\":5,\"eval_count\":2}";
	/* Pretty-printed whole answers parse too. */
	static const char pretty[] =
	    "{\n  \"message\": {\"content\": \"Hi\"},\n  \"done\": true\n}";
	static const char empty[] = "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
				    "\"done\":true,\"eval_count\":0}";
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);
	void *ginst = adapter_make_inst(d, "http://h", "m", "mode", "generate", NULL);

	(void)state;
	adapter_expect_events(d, inst, JSON_CT, 0, chat, "C1;T[Rayleigh scattering.];U26,4;", NULL);
	adapter_expect_events(d, inst, NULL, 0, chat, "C1;T[Rayleigh scattering.];U26,4;", NULL);
	adapter_expect_events(d, inst, JSON_CT, 0, pretty, "C1;T[Hi];", NULL);
	adapter_expect_events(d, inst, JSON_CT, 0, empty, "U-1,0;", NULL);
	adapter_expect_events(d, ginst, JSON_CT, 0, gen, "C1;T[Paris.];U5,2;", NULL);
	adapter_ops(d)->destroy(inst);
	adapter_ops(d)->destroy(ginst);
}

static void whole_error_and_malformed_answers_fail(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);
	void *ginst = adapter_make_inst(d, "http://h", "m", "mode", "generate", NULL);

	(void)state;
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"error\":\"model \\\"x\\\" not found\"}",
			      "F5;", "model \"x\" not found");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"done\":true}", "F6;", "message.content");
	adapter_expect_events(d, ginst, JSON_CT, 0,
			      "{\"message\":{\"content\":\"x\"},\"done\":true}", "F6;",
			      "no response");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"message\":{\"content\":\"x\"}}",
			      "C1;T[x];F6;", "\"done\": true");
	adapter_expect_events(d, inst, JSON_CT, 0, "{\"message\":", "F6;", "invalid JSON");
	adapter_expect_events(d, inst, JSON_CT, 0, "[]", "F6;", "not a JSON object");
	adapter_expect_events(d, inst, JSON_CT, 0, "", "F6;", "empty");
	adapter_ops(d)->destroy(inst);
	adapter_ops(d)->destroy(ginst);
}

static void line_over_cap_is_a_protocol_failure(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = adapter_make_inst(d, "http://h", "m", NULL);
	adapter_trace t;

	(void)state;
	adapter_parse_flood(d, inst, ND_CT, 1, NULL, 'x', 9, 1, &t);
	assert_string_equal(t.text, "F6;");
	assert_non_null(strstr(t.fail_msg, "longer than"));
	adapter_ops(d)->destroy(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_host_setup, fake_host_check_leaks)
	    T(chat_prompt_body_has_model_one_user_turn_stream_and_num_predict),
	    T(chat_messages_json_is_embedded_and_unstreamed_has_stream_false),
	    T(generate_mode_sends_prompt_to_api_generate_and_refuses_messages),
	    T(temperature_and_keep_alive_options_are_sent),
	    T(bad_items_are_refused),
	    T(create_needs_url_model_and_a_known_mode),
	    T(descriptor_declares_name_kind_abi_and_options),
	    T(chat_stream_gives_content_text_and_usage_at_every_split),
	    T(thinking_counts_as_content_without_answer_text),
	    T(generate_stream_reads_response_and_accepts_crlf_and_no_final_lf),
	    T(error_line_is_a_stream_failure_and_stops_events),
	    T(stream_without_done_or_with_bad_lines_is_a_protocol_failure),
	    T(wrongly_typed_fields_are_ignored_and_lines_after_done_too),
	    T(whole_answers_give_one_content_and_usage),
	    T(whole_error_and_malformed_answers_fail),
	    T(line_over_cap_is_a_protocol_failure),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
