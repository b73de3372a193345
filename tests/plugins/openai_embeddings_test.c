/*
 * Tests for the openai-embeddings adapter through its plugin descriptor,
 * with the fake host API: request bodies and URLs, and response parsing fed
 * whole, split at every byte and byte by byte.
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

const pg_plugin_desc *pg_builtin_openai_embeddings(void);

static const pg_adapter_ops *ops(void)
{
	return pg_builtin_openai_embeddings()->ops;
}

/* Creates an instance with name=value option pairs (NULL-ended). */
static void *make_inst(const char *url, const char *model, ...)
{
	void *inst = NULL;
	va_list ap;
	int rc;

	va_start(ap, model);
	rc = adapter_create_v(&inst, pg_builtin_openai_embeddings(), url, model, ap);
	va_end(ap);
	assert_int_equal(rc, 0);
	assert_non_null(inst);
	return inst;
}

/* Builds a request for item; returns its body parsed (json_decref it) and
 * copies its URL into url. */
static json_t *build_body(void *inst, const pg_work_item *item, char *url, size_t url_size)
{
	pg_request req;
	json_error_t jerr;
	json_t *body;

	assert_int_equal(ops()->build(inst, item, &req), 0);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.content_type, "application/json");
	assert_string_equal(req.accept, "application/json");
	assert_int_equal(req.body_len, strlen(req.body));
	body = json_loadb(req.body, req.body_len, 0, &jerr);
	if (!body)
		fail_msg("body is not JSON (%s): %s", jerr.text, req.body);
	snprintf(url, url_size, "%s", req.url);
	fake_host.free(req.url);
	fake_host.free(req.body);
	return body;
}

static void descriptor_declares_name_kind_and_options(void **state)
{
	const pg_plugin_desc *d = pg_builtin_openai_embeddings();
	const char *want[] = {"path", "dimensions", "encoding_format"};

	(void)state;
	assert_string_equal(d->name, "openai-embeddings");
	assert_int_equal(d->kind, PG_PLUGIN_ADAPTER);
	assert_int_equal(d->abi_major, PG_PLUGIN_ABI_MAJOR);
	assert_int_equal(d->size, sizeof(pg_plugin_desc));
	assert_non_null(d->description);
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const pg_option_spec *s = d->options;

		while (s->name && strcmp(s->name, want[k]) != 0)
			s++;
		if (!s->name)
			fail_msg("no option '%s'", want[k]);
		assert_non_null(s->help);
	}
	assert_string_equal(d->options[0].default_value, "/embeddings");
}

static void prompt_body_has_model_and_input_only(void **state)
{
	void *inst = make_inst("http://127.0.0.1:8000/v1/", "bge-small", NULL);
	pg_work_item item = {
	    .prompt = "caf\xc3\xa9 \"quoted\"\nline", .max_tokens = 64, .stream = 1};
	char url[256];
	json_t *b;

	(void)state;
	b = build_body(inst, &item, url, sizeof(url));
	assert_string_equal(url, "http://127.0.0.1:8000/v1/embeddings");
	assert_string_equal(json_string_value(json_object_get(b, "model")), "bge-small");
	assert_string_equal(json_string_value(json_object_get(b, "input")),
			    "caf\xc3\xa9 \"quoted\"\nline");
	assert_int_equal(json_object_size(b), 2); /* no max_tokens, stream, dimensions */
	json_decref(b);
	ops()->destroy(inst);
}

static void messages_become_their_contents_joined_by_newlines(void **state)
{
	void *inst = make_inst("http://h/v1", NULL, NULL);
	pg_work_item item = {
	    .messages_json =
		"[{\"role\":\"system\",\"content\":\"Be brief.\"},"
		"{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]},"
		"{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"part "
		"one\"},{\"type\":\"image_url\"},{\"type\":\"text\",\"text\":\", two\"}]}]"};
	char url[256];
	json_t *b;

	(void)state;
	b = build_body(inst, &item, url, sizeof(url));
	assert_null(json_object_get(b, "model"));
	assert_string_equal(json_string_value(json_object_get(b, "input")),
			    "Be brief.\npart one, two");
	json_decref(b);
	ops()->destroy(inst);
}

static void options_set_path_dimensions_and_encoding_format(void **state)
{
	void *inst = make_inst("http://h:9/v1", "m", "path", "/custom/embed", "dimensions", "256",
			       "encoding_format", "base64", NULL);
	pg_work_item item = {.prompt = "x"};
	char url[256];
	json_t *b;

	(void)state;
	b = build_body(inst, &item, url, sizeof(url));
	assert_string_equal(url, "http://h:9/v1/custom/embed");
	assert_int_equal(json_integer_value(json_object_get(b, "dimensions")), 256);
	assert_string_equal(json_string_value(json_object_get(b, "encoding_format")), "base64");
	json_decref(b);
	ops()->destroy(inst);
}

static void bad_work_items_and_targets_are_rejected(void **state)
{
	static const char *const bad_messages[] = {"[{\"role\":", "{\"content\":\"x\"}", "[1, 2]"};
	void *inst = make_inst("http://h/v1", "m", NULL);
	pg_work_item bad_utf8 = {.prompt = "bad \xff"};
	pg_work_item neither = {0};
	pg_target_info no_url = {.url = "", .model = "m"};
	fake_options fo;
	void *none = NULL;
	pg_request req;

	(void)state;
	assert_int_equal(ops()->build(inst, &bad_utf8, &req), PG_EINVAL);
	assert_null(req.body);
	assert_int_equal(ops()->build(inst, &neither, &req), PG_EINVAL);
	for (size_t i = 0; i < sizeof(bad_messages) / sizeof(bad_messages[0]); i++) {
		pg_work_item item = {.messages_json = bad_messages[i]};

		fake_host_clear_error();
		assert_int_equal(ops()->build(inst, &item, &req), PG_EINVAL);
		assert_null(req.url);
		assert_non_null(strstr(fake_host_last_error(), "messages_json"));
	}
	ops()->destroy(inst);
	fake_options_init(&fo, pg_builtin_openai_embeddings()->options);
	assert_int_equal(ops()->create(&none, &fake_host, fake_options_get(&fo), &no_url),
			 PG_EINVAL);
	assert_null(none);
	fake_options_set(&fo, "encoding_format", "\xfe");
	no_url.url = "http://h/v1";
	assert_int_equal(ops()->create(&none, &fake_host, fake_options_get(&fo), &no_url),
			 PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "encoding_format"));
	assert_null(none);
}

/* ---- responses ---------------------------------------------------------- */

/* Sink events as text: "C<n>;" content, "U<in>,<out>;" usage, "F<class>;". */
typedef struct trace {
	char text[256];
	size_t len;
	char fail_msg[512];
	int failed;
} trace;

static void trace_add(trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace_add(trace *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->text + t->len, sizeof(t->text) - t->len, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(t->text) - t->len);
	t->len += (size_t)n;
}

static void sink_content(void *ctx, int64_t tokens)
{
	assert_false(((trace *)ctx)->failed);
	trace_add(ctx, "C%lld;", (long long)tokens);
}

static void sink_usage(void *ctx, int64_t in, int64_t out)
{
	trace_add(ctx, "U%lld,%lld;", (long long)in, (long long)out);
}

static void sink_fail(void *ctx, pg_error_class cls, const char *message)
{
	trace *t = ctx;

	trace_add(t, "F%d;", (int)cls);
	snprintf(t->fail_msg, sizeof(t->fail_msg), "%s", message);
	t->failed = 1;
}

static void sink_text(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	fail_msg("an embedding has no text, got '%.*s'", (int)len, text);
}

/* Parses body split at `split` (byte by byte for (size_t)-1) into *t. */
static void parse(void *inst, const char *body, size_t len, size_t split, trace *t)
{
	pg_response_sink sink = {t, sink_content, sink_usage, sink_fail, sink_text};

	memset(t, 0, sizeof(*t));
	adapter_feed(ops(), inst, "application/json", 0, body, len, split, &sink);
}

/* body gives the events want (and a message holding want_msg) at every
 * split, with the instance made from the option pairs (NULL-ended). */
static void expect_events(const char *body, const char *want, const char *want_msg, ...)
{
	size_t len = strlen(body);
	void *inst = NULL;
	va_list ap;
	trace t;
	int rc;

	va_start(ap, want_msg);
	rc = adapter_create_v(&inst, pg_builtin_openai_embeddings(), "http://h/v1", "m", ap);
	va_end(ap);
	assert_int_equal(rc, 0);
	for (size_t split = 0; split <= len + 1; split++) {
		parse(inst, body, len, adapter_split(split, len), &t);
		if (strcmp(t.text, want) != 0)
			fail_msg("split %zu of %s: got '%s', want '%s' (%s)", split, body, t.text,
				 want, t.fail_msg);
		if (want_msg && !strstr(t.fail_msg, want_msg))
			fail_msg("split %zu: message '%s' lacks '%s'", split, t.fail_msg, want_msg);
	}
	ops()->destroy(inst);
}

static void openai_shaped_embedding_is_one_content_with_input_tokens(void **state)
{
	static const char ok[] =
	    "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":"
	    "[0.0023064255,-0.009327292,1e-3,4,5,6,7,8,9,10,-0.0028842222]}],"
	    "\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":5,"
	    "\"total_tokens\":5}}";
	static const char no_usage[] = "{\"data\":[{\"embedding\":[1]}]}";
	static const char bad_usage[] =
	    "{\"data\":[{\"embedding\":[1,2]}],\"usage\":{\"prompt_tokens\":\"5\"}}";

	(void)state;
	expect_events(ok, "C1;U5,0;", NULL, NULL);
	expect_events(no_usage, "C1;U-1,0;", NULL, NULL);
	expect_events(bad_usage, "C1;U-1,0;", NULL, NULL);
}

static void error_objects_are_stream_failures(void **state)
{
	(void)state;
	expect_events("{\"error\":{\"message\":\"input too long\",\"type\":\"invalid_request\"}}",
		      "F5;", "input too long", NULL);
	expect_events("{\"error\":\"overloaded\"}", "F5;", "overloaded", NULL);
	expect_events("{\"object\":\"error\",\"message\":\"bad model\",\"code\":400}", "F5;",
		      "bad model", NULL);
	expect_events("{\"error\":{}}", "F5;", "without a message", NULL);
}

static void malformed_bodies_are_protocol_failures(void **state)
{
	static const struct {
		const char *body, *msg;
	} t[] = {
	    {"", "empty"},
	    {"{\"data\":[{\"embedding\":[1,2]}", "invalid JSON"},
	    {"[1,2]", "not a JSON object"},
	    {"{\"data\":[]}", "neither data"},
	    {"{\"data\":{\"embedding\":[1]}}", "neither data"},
	    {"{\"data\":[{\"embedding\":[]}]}", "data[0].embedding"},
	    {"{\"data\":[{\"embedding\":[1,\"2\",3]}]}", "data[0].embedding"},
	    {"{\"data\":[{\"embedding\":[1,2,3,4,5,6,7,8,9,null]}]}", "data[0].embedding"},
	    {"{\"data\":[{\"embedding\":\"AAAAPw==\"}]}", "data[0].embedding"},
	    {"{\"data\":[\"x\"]}", "data[0].embedding"},
	    {"{\"data\":[{\"vector\":[1]}]}", "data[0].embedding"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_events(t[i].body, "F6;", t[i].msg, NULL);
}

static void base64_embeddings_are_accepted_only_when_asked_for(void **state)
{
	static const char b64[] = "{\"data\":[{\"embedding\":\"AAAAPwAAgD8=\"}],"
				  "\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}";

	(void)state;
	expect_events(b64, "C1;U2,0;", NULL, "encoding_format", "base64", NULL);
	expect_events(b64, "F6;", "non-empty array", "encoding_format", "float", NULL);
	expect_events("{\"data\":[{\"embedding\":\"\"}]}", "F6;", NULL, "encoding_format", "base64",
		      NULL);
	/* A float array is still fine when base64 was asked for. */
	expect_events("{\"data\":[{\"embedding\":[0.5]}]}", "C1;U-1,0;", NULL, "encoding_format",
		      "base64", NULL);
}

static void body_over_the_cap_is_a_protocol_failure(void **state)
{
	void *inst = make_inst("http://h/v1", "m", NULL);
	adapter_trace t;

	(void)state;
	adapter_parse_flood(pg_builtin_openai_embeddings(), inst, "application/json", 0, NULL, ' ',
			    65, 0, &t);
	assert_string_equal(t.text, "F6;");
	assert_non_null(strstr(t.fail_msg, "larger than"));
	ops()->destroy(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_host_setup, fake_host_check_leaks)
	    T(descriptor_declares_name_kind_and_options),
	    T(prompt_body_has_model_and_input_only),
	    T(messages_become_their_contents_joined_by_newlines),
	    T(options_set_path_dimensions_and_encoding_format),
	    T(bad_work_items_and_targets_are_rejected),
	    T(openai_shaped_embedding_is_one_content_with_input_tokens),
	    T(error_objects_are_stream_failures),
	    T(malformed_bodies_are_protocol_failures),
	    T(base64_embeddings_are_accepted_only_when_asked_for),
	    T(body_over_the_cap_is_a_protocol_failure),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
