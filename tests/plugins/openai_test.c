/*
 * Tests for the openai-chat and openai-completions adapters through their
 * plugin descriptors, with a fake host API: request bodies and URLs, and
 * response parsing of streamed (SSE) and whole JSON bodies, fed split at
 * every byte position.
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

const pg_plugin_desc *pg_builtin_openai_chat(void);
const pg_plugin_desc *pg_builtin_openai_completions(void);

/* ---- requests ----------------------------------------------------------- */

static void chat_streamed_prompt_body_has_model_messages_limit_and_usage_request(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_chat();
	void *inst = adapter_make_inst(d, "http://127.0.0.1:8000/v1", "my-model", NULL);
	pg_work_item item = {.prompt = "Say hi", .max_tokens = 64, .stream = 1};
	char url[256];
	const char *accept;
	json_t *b, *m;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), &accept);
	assert_string_equal(url, "http://127.0.0.1:8000/v1/chat/completions");
	assert_string_equal(accept, "text/event-stream");
	assert_string_equal(json_string_value(json_object_get(b, "model")), "my-model");
	m = json_object_get(b, "messages");
	assert_true(json_is_array(m));
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "role")),
			    "user");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "content")),
			    "Say hi");
	assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 64);
	assert_true(json_is_true(json_object_get(b, "stream")));
	assert_true(
	    json_is_true(json_object_get(json_object_get(b, "stream_options"), "include_usage")));
	/* Unset options are left out. */
	assert_null(json_object_get(b, "temperature"));
	assert_null(json_object_get(b, "ignore_eos"));
	assert_null(json_object_get(b, "prompt"));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void chat_unstreamed_body_has_no_stream_options(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_chat();
	void *inst = adapter_make_inst(d, "http://h/v1", "m", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 0, .stream = 0};
	const char *accept;
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, &accept);
	assert_string_equal(accept, "application/json");
	assert_true(json_is_false(json_object_get(b, "stream")));
	assert_null(json_object_get(b, "stream_options"));
	/* max_tokens <= 0: no limit sent. */
	assert_null(json_object_get(b, "max_tokens"));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void chat_without_model_sends_no_model_field(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_chat();
	void *inst = adapter_make_inst(d, "http://h/v1", NULL, NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 5, .stream = 1};
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, NULL);
	assert_null(json_object_get(b, "model"));
	assert_non_null(json_object_get(b, "messages"));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void chat_messages_json_is_embedded_as_parsed_json(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_chat();
	void *inst = adapter_make_inst(d, "http://h/v1", "m", NULL);
	const char *msgs = "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
			   "{\"role\":\"user\",\"content\":\"caf\xc3\xa9 \\\"q\\\"\"}]";
	pg_work_item item = {.messages_json = msgs, .max_tokens = 8, .stream = 1};
	json_t *b, *want;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, NULL);
	want = json_loads(msgs, 0, NULL);
	assert_non_null(want);
	assert_true(json_equal(json_object_get(b, "messages"), want));
	json_decref(want);
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void chat_invalid_messages_json_is_rejected(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_chat();
	void *inst = adapter_make_inst(d, "http://h/v1", "m", NULL);
	const char *bad[] = {"[{\"role\":\"user\",", "{\"role\":\"user\"}", "not json"};
	pg_request req;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pg_work_item item = {.messages_json = bad[i], .max_tokens = 8, .stream = 1};

		fake_host_clear_error();
		assert_int_equal(adapter_ops(d)->build(inst, &item, &req), PG_EINVAL);
		assert_null(req.url);
		assert_null(req.body);
		assert_non_null(strstr(fake_host_last_error(), "messages_json"));
	}
	adapter_ops(d)->destroy(inst);
}

static void prompt_with_invalid_utf8_is_rejected(void **state)
{
	const pg_plugin_desc *d[2] = {pg_builtin_openai_chat(), pg_builtin_openai_completions()};
	pg_work_item item = {.prompt = "bad \xff byte", .max_tokens = 8, .stream = 0};
	pg_request req;

	(void)state;
	for (int i = 0; i < 2; i++) {
		void *inst = adapter_make_inst(d[i], "http://h/v1", "m", NULL);

		assert_int_equal(adapter_ops(d[i])->build(inst, &item, &req), PG_EINVAL);
		assert_null(req.body);
		adapter_ops(d[i])->destroy(inst);
	}
}

static void options_change_path_limit_field_temperature_and_ignore_eos(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_chat();
	void *inst = adapter_make_inst(d, "http://h:9/v1/", "m", "path", "/custom/chat",
				       "max_tokens_field", "max_completion_tokens", "temperature",
				       "0.7", "ignore_eos", "true", "include_usage", "false", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 32, .stream = 1};
	char url[256];
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), NULL);
	assert_string_equal(url, "http://h:9/v1/custom/chat");
	assert_null(json_object_get(b, "max_tokens"));
	assert_int_equal(json_integer_value(json_object_get(b, "max_completion_tokens")), 32);
	assert_true(json_is_real(json_object_get(b, "temperature")));
	assert_float_equal(json_real_value(json_object_get(b, "temperature")), 0.7, 1e-12);
	assert_true(json_is_true(json_object_get(b, "ignore_eos")));
	/* include_usage=false: streamed, yet no stream_options. */
	assert_true(json_is_true(json_object_get(b, "stream")));
	assert_null(json_object_get(b, "stream_options"));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void temperature_zero_is_sent(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_completions();
	void *inst = adapter_make_inst(d, "http://h/v1", "m", "temperature", "0", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 1, .stream = 0};
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, NULL, 0, NULL);
	assert_true(json_is_number(json_object_get(b, "temperature")));
	assert_float_equal(json_number_value(json_object_get(b, "temperature")), 0.0, 0.0);
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void url_joins_base_and_path_with_exactly_one_slash(void **state)
{
	static const struct {
		const char *base, *path, *want;
	} t[] = {
	    {"http://h:1/v1", NULL, "http://h:1/v1/chat/completions"},
	    {"http://h:1/v1/", NULL, "http://h:1/v1/chat/completions"},
	    {"http://h:1/v1//", NULL, "http://h:1/v1/chat/completions"},
	    {"http://h:1/v1", "chat/completions", "http://h:1/v1/chat/completions"},
	    {"http://h:1/v1/", "//x/y", "http://h:1/v1/x/y"},
	    {"http://h:1", "/v1/chat/completions", "http://h:1/v1/chat/completions"},
	    {"http://h:1/v1/", "", "http://h:1/v1"},
	};
	const pg_plugin_desc *d = pg_builtin_openai_chat();
	pg_work_item item = {.prompt = "x", .max_tokens = 1, .stream = 0};
	char url[256];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		void *inst = t[i].path
				 ? adapter_make_inst(d, t[i].base, "m", "path", t[i].path, NULL)
				 : adapter_make_inst(d, t[i].base, "m", NULL);

		json_decref(adapter_build_body(d, inst, &item, url, sizeof(url), NULL));
		if (strcmp(url, t[i].want) != 0)
			fail_msg("base '%s' path '%s': got '%s', want '%s'", t[i].base,
				 t[i].path ? t[i].path : "(default)", url, t[i].want);
		adapter_ops(d)->destroy(inst);
	}
}

static void create_without_target_url_fails(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_chat();
	fake_options fo;
	pg_target_info target = {.url = NULL, .model = "m"};
	void *inst = (void *)&fo;

	(void)state;
	fake_options_init(&fo, d->options);
	assert_int_equal(adapter_ops(d)->create(&inst, &fake_host, fake_options_get(&fo), &target),
			 PG_EINVAL);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "URL"));
}

static void completions_body_has_prompt_and_default_path(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_completions();
	void *inst = adapter_make_inst(d, "http://127.0.0.1:8000/v1", "m", NULL);
	pg_work_item item = {.prompt = "The capital of France is", .max_tokens = 16, .stream = 1};
	char url[256];
	json_t *b;

	(void)state;
	b = adapter_build_body(d, inst, &item, url, sizeof(url), NULL);
	assert_string_equal(url, "http://127.0.0.1:8000/v1/completions");
	assert_string_equal(json_string_value(json_object_get(b, "prompt")),
			    "The capital of France is");
	assert_null(json_object_get(b, "messages"));
	assert_string_equal(json_string_value(json_object_get(b, "model")), "m");
	assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 16);
	assert_true(
	    json_is_true(json_object_get(json_object_get(b, "stream_options"), "include_usage")));
	json_decref(b);
	adapter_ops(d)->destroy(inst);
}

static void completions_refuses_chat_messages(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_completions();
	void *inst = adapter_make_inst(d, "http://h/v1", "m", NULL);
	pg_work_item item = {.messages_json = "[{\"role\":\"user\",\"content\":\"x\"}]",
			     .max_tokens = 1};
	pg_request req;

	(void)state;
	assert_int_equal(adapter_ops(d)->build(inst, &item, &req), PG_EINVAL);
	assert_null(req.url);
	assert_non_null(strstr(fake_host_last_error(), "openai-chat"));
	adapter_ops(d)->destroy(inst);
}

static void descriptors_declare_kind_abi_and_options(void **state)
{
	const pg_plugin_desc *d[2] = {pg_builtin_openai_chat(), pg_builtin_openai_completions()};
	const char *names[2] = {"openai-chat", "openai-completions"};
	const char *paths[2] = {"/chat/completions", "/completions"};
	const char *want[] = {"path", "include_usage", "max_tokens_field", "temperature",
			      "ignore_eos"};

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_string_equal(d[i]->name, names[i]);
		assert_int_equal(d[i]->kind, PG_PLUGIN_ADAPTER);
		assert_int_equal(d[i]->abi_major, PG_PLUGIN_ABI_MAJOR);
		assert_int_equal(d[i]->size, sizeof(pg_plugin_desc));
		assert_string_equal(d[i]->version, "1.0.0");
		assert_non_null(d[i]->description);
		assert_non_null(d[i]->ops);
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			const pg_option_spec *s = d[i]->options;

			while (s->name && strcmp(s->name, want[k]) != 0)
				s++;
			if (!s->name)
				fail_msg("%s has no option '%s'", names[i], want[k]);
			assert_non_null(s->help);
			if (strcmp(s->name, "path") == 0)
				assert_string_equal(s->default_value, paths[i]);
		}
	}
}

/* ---- responses ---------------------------------------------------------- */

/* Checks that body gives the events `want` (and a failure message holding
 * want_msg, if given) whole, split at every byte, and byte by byte, to a
 * sink without the text callback (openai_text_test covers the text). */
static void expect_events(const pg_plugin_desc *d, const char *ctype, int streamed,
			  const char *body, const char *want, const char *want_msg)
{
	void *inst = adapter_make_inst(d, "http://h/v1", "m", NULL);

	adapter_expect_split(d, inst, ctype, streamed, body, want, want_msg, 0);
	adapter_ops(d)->destroy(inst);
}

#define SSE_CT "text/event-stream"
#define CHUNK_HEAD                                                                                 \
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"     \
	"\"m\","

/* A chat stream exactly as vLLM sends it. */
static const char vllm_chat_stream[] =
    "data: " CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: " CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},"
    "\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: " CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" wor\\u00efld\"},"
    "\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: " CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"},"
    "\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: " CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},"
    "\"logprobs\":null,\"finish_reason\":\"length\",\"stop_reason\":null}]}\n\n"
    "data: " CHUNK_HEAD "\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
    "\"total_tokens\":15,\"completion_tokens\":3}}\n\n"
    "data: [DONE]\n\n";

static void vllm_chat_stream_gives_content_and_usage_at_every_split(void **state)
{
	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, vllm_chat_stream, "C1;C1;C1;U12,3;",
		      NULL);
	/* Content type with parameters, or absent on a streamed request. */
	expect_events(pg_builtin_openai_chat(), "Text/Event-Stream; charset=utf-8", 1,
		      vllm_chat_stream, "C1;C1;C1;U12,3;", NULL);
	expect_events(pg_builtin_openai_chat(), NULL, 1, vllm_chat_stream, "C1;C1;C1;U12,3;", NULL);
}

/* Replaces every "\n" of s with sep into a static buffer. */
static const char *with_line_ends(const char *s, const char *sep)
{
	static char buf[8192];
	size_t n = 0, sl = strlen(sep);

	for (; *s; s++) {
		assert_true(n + sl + 1 < sizeof(buf));
		if (*s == '\n') {
			memcpy(buf + n, sep, sl);
			n += sl;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	return buf;
}

static void chat_stream_with_crlf_or_cr_line_ends_parses_the_same(void **state)
{
	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, with_line_ends(vllm_chat_stream, "\r\n"),
		      "C1;C1;C1;U12,3;", NULL);
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, with_line_ends(vllm_chat_stream, "\r"),
		      "C1;C1;C1;U12,3;", NULL);
}

#define OAI_HEAD                                                                                   \
	"{\"id\":\"chatcmpl-A\",\"object\":\"chat.completion.chunk\",\"created\":1,"               \
	"\"model\":\"gpt-4o-mini\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_1\","

static void openai_shape_with_null_usage_and_keepalives_gives_one_usage(void **state)
{
	static const char s[] =
	    ": keep-alive\n\n"
	    "data: " OAI_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
	    "\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],"
	    "\"usage\":null}\n\n"
	    "data: " OAI_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
	    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
	    ": ping\n\n"
	    "data: " OAI_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\"},"
	    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
	    "data: " OAI_HEAD "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
	    "\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
	    "data: " OAI_HEAD "\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
	    "\"completion_tokens\":2,\"total_tokens\":11,\"prompt_tokens_details\":"
	    "{\"cached_tokens\":0}}}\n\n"
	    "data: [DONE]\n\n";

	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, s, "C1;C1;U9,2;", NULL);
}

static void reasoning_deltas_count_as_content(void **state)
{
	static const char s[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Hmm\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"so\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"\","
	    "\"content\":null}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"42\"},"
	    "\"finish_reason\":\"stop\"}]}\n\n"
	    "data: [DONE]\n\n";

	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, s, "C1;C1;C1;", NULL);
}

static void error_object_mid_stream_fails_with_stream_class_and_stops_content(void **state)
{
	static const char s[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "data: {\"error\":{\"message\":\"CUDA out of memory\",\"type\":\"InternalServerError\","
	    "\"code\":500}}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}],"
	    "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n"
	    "data: [DONE]\n\n";
	static const char vllm_old[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "data: {\"object\":\"error\",\"message\":\"engine dead\",\"type\":\"BadRequestError\","
	    "\"param\":null,\"code\":400}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n"
	    "data: [DONE]\n\n";
	static const char event_error[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "event: error\ndata: {\"error\":{\"message\":\"overloaded\"}}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n"
	    "data: [DONE]\n\n";
	static const char event_error_text[] = "event: error\ndata: upstream went away\n\n";

	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, s, "C1;F5;", "CUDA out of memory");
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, vllm_old, "C1;F5;", "engine dead");
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, event_error, "C1;F5;", "overloaded");
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, event_error_text, "F5;",
		      "upstream went away");
}

static void invalid_json_in_stream_is_a_protocol_failure(void **state)
{
	static const char s[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"c\"}}]}\n\n"
	    "data: [DONE]\n\n";
	static const char not_object[] = "data: [1,2]\n\ndata: [DONE]\n\n";

	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, s, "C1;F6;", "invalid JSON");
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, not_object, "F6;", "not a JSON object");
}

static void stream_cut_before_done_is_a_protocol_failure(void **state)
{
	static const char cut_between[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n";
	static const char cut_inside[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"cont";
	/* [DONE] must be a complete event to count. */
	static const char done_unterminated[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "data: [DONE]\n";

	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, cut_between, "C1;C1;F6;",
		      "stream ended before [DONE]");
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, cut_inside, "C1;F6;",
		      "stream ended before [DONE]");
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, done_unterminated, "C1;F6;",
		      "stream ended before [DONE]");
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, "", "F6;", "stream ended before [DONE]");
}

static void stream_with_finish_reason_but_no_done_is_accepted(void **state)
{
	static const char s[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
	    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n";

	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, s, "C1;U3,1;", NULL);
}

static void wrongly_typed_fields_are_ignored_not_trusted(void **state)
{
	static const char s[] =
	    "data: {\"choices\":\"x\",\"usage\":\"y\"}\n\n"
	    "data: {\"choices\":[1,null,\"s\",{\"delta\":\"str\"},{\"delta\":{\"content\":5}},"
	    "{\"delta\":{\"content\":[\"a\"]}},{\"finish_reason\":7}]}\n\n"
	    "data: "
	    "{\"choices\":[],\"usage\":{\"prompt_tokens\":\"12\",\"completion_tokens\":-4}}\n\n"
	    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2.5,\"completion_tokens\":7}}\n\n"
	    "data: {\"error\":null,\"choices\":[]}\n\n"
	    "data:\n\n"
	    "data: [DONE]\n\n";

	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, s, "U-1,7;", NULL);
}

static void data_after_done_is_ignored(void **state)
{
	static const char s[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "data: [DONE]\n\n"
	    "data: {not json\n\n";

	(void)state;
	expect_events(pg_builtin_openai_chat(), SSE_CT, 1, s, "C1;", NULL);
}

static void completions_text_chunks_count_as_content(void **state)
{
#define CMPL_HEAD "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
	static const char s[] =
	    "data: " CMPL_HEAD "\"choices\":[{\"index\":0,\"text\":\" Paris\",\"logprobs\":null,"
	    "\"finish_reason\":null,\"stop_reason\":null}],\"usage\":null}\n\n"
	    "data: " CMPL_HEAD "\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,"
	    "\"finish_reason\":null,\"stop_reason\":null}],\"usage\":null}\n\n"
	    "data: " CMPL_HEAD "\"choices\":[{\"index\":0,\"text\":\".\",\"logprobs\":null,"
	    "\"finish_reason\":\"stop\",\"stop_reason\":null}],\"usage\":null}\n\n"
	    "data: " CMPL_HEAD "\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
	    "\"total_tokens\":7,\"completion_tokens\":2}}\n\n"
	    "data: [DONE]\n\n";
	/* A chat-shaped delta is not completions content. */
	static const char chat_shaped[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n";
#undef CMPL_HEAD

	(void)state;
	expect_events(pg_builtin_openai_completions(), SSE_CT, 1, s, "C1;C1;U5,2;", NULL);
	expect_events(pg_builtin_openai_completions(), SSE_CT, 1, chat_shaped, "", NULL);
}

static void unstreamed_chat_success_reports_content_once_and_usage(void **state)
{
	static const char ok[] =
	    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
	    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi "
	    "there\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
	    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}";
	static const char empty[] =
	    "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
	    "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":0}"
	    "}";

	(void)state;
	expect_events(pg_builtin_openai_chat(), "application/json", 0, ok, "C1;U9,2;", NULL);
	/* No content type on an unstreamed request: JSON. */
	expect_events(pg_builtin_openai_chat(), NULL, 0, ok, "C1;U9,2;", NULL);
	/* A streamed request answered with plain JSON is parsed as JSON. */
	expect_events(pg_builtin_openai_chat(), "application/json; charset=utf-8", 1, ok,
		      "C1;U9,2;", NULL);
	/* Well formed, empty answer: no content, but not a failure either. */
	expect_events(pg_builtin_openai_chat(), "application/json", 0, empty, "U9,0;", NULL);
}

static void unstreamed_error_and_malformed_bodies_fail(void **state)
{
	static const char err[] = "{\"error\":{\"message\":\"The model `x` does not exist.\","
				  "\"type\":\"NotFoundError\",\"param\":null,\"code\":404}}";
	const pg_plugin_desc *d = pg_builtin_openai_chat();

	(void)state;
	expect_events(d, "application/json", 0, err, "F5;", "does not exist");
	expect_events(d, "application/json", 1, err, "F5;", "does not exist");
	expect_events(d, "application/json", 0, "{\"object\":\"error\",\"message\":\"bad\"}", "F5;",
		      "bad");
	expect_events(d, "application/json", 0, "{\"id\":\"x\"}", "F6;", "neither");
	expect_events(d, "application/json", 0, "{\"choices\":[]}", "F6;", "neither");
	expect_events(d, "application/json", 0, "{\"choices\":[{\"text\":\"x\"}]}", "F6;",
		      "choices[0].message");
	expect_events(d, "application/json", 0, "{\"choices\":[{\"message\":\"x\"}]}", "F6;", NULL);
	expect_events(d, "application/json", 0, "{\"choices\":[{\"message\":{\"con", "F6;",
		      "invalid JSON");
	expect_events(d, "application/json", 0, "[]", "F6;", NULL);
	expect_events(d, "application/json", 0, "", "F6;", "empty");
}

static void unstreamed_completions_text_is_content(void **state)
{
	static const char ok[] = "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":"
				 "[{\"index\":0,\"text\":\" Paris.\",\"logprobs\":null,"
				 "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
				 "\"completion_tokens\":2,\"total_tokens\":7}}";
	const pg_plugin_desc *d = pg_builtin_openai_completions();

	(void)state;
	expect_events(d, "application/json", 0, ok, "C1;U5,2;", NULL);
	expect_events(d, "application/json", 0, "{\"choices\":[{\"message\":{\"content\":\"x\"}}]}",
		      "F6;", "choices[0].text");
}

static void unstreamed_body_over_cap_is_a_protocol_failure(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_chat();
	void *inst = adapter_make_inst(d, "http://h/v1", "m", NULL);
	adapter_trace t;

	(void)state;
	adapter_parse_flood(d, inst, "application/json", 0, NULL, ' ', 65, 0, &t);
	assert_string_equal(t.text, "F6;");
	assert_non_null(strstr(t.fail_msg, "larger than"));
	adapter_ops(d)->destroy(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_host_setup, fake_host_check_leaks)
	    T(chat_streamed_prompt_body_has_model_messages_limit_and_usage_request),
	    T(chat_unstreamed_body_has_no_stream_options),
	    T(chat_without_model_sends_no_model_field),
	    T(chat_messages_json_is_embedded_as_parsed_json),
	    T(chat_invalid_messages_json_is_rejected),
	    T(prompt_with_invalid_utf8_is_rejected),
	    T(options_change_path_limit_field_temperature_and_ignore_eos),
	    T(temperature_zero_is_sent),
	    T(url_joins_base_and_path_with_exactly_one_slash),
	    T(create_without_target_url_fails),
	    T(completions_body_has_prompt_and_default_path),
	    T(completions_refuses_chat_messages),
	    T(descriptors_declare_kind_abi_and_options),
	    T(vllm_chat_stream_gives_content_and_usage_at_every_split),
	    T(chat_stream_with_crlf_or_cr_line_ends_parses_the_same),
	    T(openai_shape_with_null_usage_and_keepalives_gives_one_usage),
	    T(reasoning_deltas_count_as_content),
	    T(error_object_mid_stream_fails_with_stream_class_and_stops_content),
	    T(invalid_json_in_stream_is_a_protocol_failure),
	    T(stream_cut_before_done_is_a_protocol_failure),
	    T(stream_with_finish_reason_but_no_done_is_accepted),
	    T(wrongly_typed_fields_are_ignored_not_trusted),
	    T(data_after_done_is_ignored),
	    T(completions_text_chunks_count_as_content),
	    T(unstreamed_chat_success_reports_content_once_and_usage),
	    T(unstreamed_error_and_malformed_bodies_fail),
	    T(unstreamed_completions_text_is_content),
	    T(unstreamed_body_over_cap_is_a_protocol_failure),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
