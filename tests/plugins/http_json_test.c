/*
 * Tests for the http-json adapter through its plugin descriptor, with the
 * fake host API: option checks at create, template filling (JSON escaping
 * of quotes, newlines, control characters and non-ASCII text, inside and
 * outside string literals), and response parsing of whole bodies, SSE and
 * NDJSON streams fed whole, split at every byte and byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "perfgate/plugin.h"
#include "support/adapter_harness.h"
#include "support/fake_host.h"

const pg_plugin_desc *pg_builtin_http_json(void);

static const pg_adapter_ops *ops(void)
{
	return pg_builtin_http_json()->ops;
}

/* create with option pairs (NULL-ended); returns its code, *inst set. */
static int try_create(void **inst, const char *url, const char *model, va_list ap)
{
	*inst = NULL;
	return adapter_create_v(inst, pg_builtin_http_json(), url, model, ap);
}

static void *make_inst(const char *url, const char *model, ...)
{
	void *inst;
	va_list ap;
	int rc;

	va_start(ap, model);
	rc = try_create(&inst, url, model, ap);
	va_end(ap);
	if (rc != 0)
		fail_msg("create failed (%d): %s", rc, fake_host_last_error());
	return inst;
}

/* Expects create with these options to fail with rc and a message holding
 * msg. */
static void expect_create_error(int rc, const char *msg, ...)
{
	void *inst;
	va_list ap;
	int got;

	fake_host_clear_error();
	va_start(ap, msg);
	got = try_create(&inst, "http://h:1", "m", ap);
	va_end(ap);
	if (got != rc)
		fail_msg("create returned %d, want %d (%s)", got, rc, fake_host_last_error());
	assert_null(inst);
	if (!strstr(fake_host_last_error(), msg))
		fail_msg("error '%s' lacks '%s'", fake_host_last_error(), msg);
}

/* Builds a request; returns the body parsed (json_decref it). */
static json_t *build_json(void *inst, const pg_work_item *item, pg_request *copy, char *raw,
			  size_t raw_size)
{
	pg_request req;
	json_error_t jerr;
	json_t *body;

	if (ops()->build(inst, item, &req) != 0)
		fail_msg("build failed: %s", fake_host_last_error());
	assert_int_equal(req.body_len, strlen(req.body));
	body = json_loadb(req.body, req.body_len, JSON_DECODE_ANY, &jerr);
	if (!body)
		fail_msg("body is not JSON (%s): %s", jerr.text, req.body);
	if (raw)
		snprintf(raw, raw_size, "%s", req.body);
	if (copy) {
		*copy = req;
		copy->url = NULL;
		copy->body = NULL;
	}
	fake_host.free(req.url);
	fake_host.free(req.body);
	return body;
}

/* The URL a built request goes to, into url. */
static void build_url(void *inst, char *url, size_t size)
{
	pg_work_item item = {.prompt = "x", .max_tokens = 1};
	pg_request req;

	assert_int_equal(ops()->build(inst, &item, &req), 0);
	snprintf(url, size, "%s", req.url);
	fake_host.free(req.url);
	fake_host.free(req.body);
}

static const char tricky[] = "Say \"hi\" \\ now\n\ttab caf\xc3\xa9 \xf0\x9f\x98\x80 \x01 </end>";

/* ---- create ------------------------------------------------------------- */

static void descriptor_declares_name_and_every_option(void **state)
{
	const pg_plugin_desc *d = pg_builtin_http_json();
	const char *want[] = {"template",
			      "template_file",
			      "path",
			      "method",
			      "stream",
			      "text_path",
			      "output_tokens_path",
			      "input_tokens_path",
			      "error_path",
			      "success_path",
			      "done_path"};

	(void)state;
	assert_string_equal(d->name, "http-json");
	assert_int_equal(d->kind, PG_PLUGIN_ADAPTER);
	assert_int_equal(d->abi_major, PG_PLUGIN_ABI_MAJOR);
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const pg_option_spec *s = d->options;

		while (s->name && strcmp(s->name, want[k]) != 0)
			s++;
		if (!s->name)
			fail_msg("no option '%s'", want[k]);
		assert_non_null(s->help);
	}
}

static void bad_options_are_refused_at_create_naming_the_option(void **state)
{
	(void)state;
	expect_create_error(PG_EINVAL, "option 'template' (the request body) is required", NULL);
	expect_create_error(PG_EINVAL, "set only one", "template", "{}", "template_file", "/x",
			    NULL);
	expect_create_error(PG_EINVAL, "option 'template' is not valid JSON", "template",
			    "{\"a\": {{prompt}}", NULL);
	/* A placeholder inside a string is text: quoting it again is wrong. */
	expect_create_error(PG_EINVAL, "option 'template' is not valid JSON", "template",
			    "{\"a\": \"\"{{prompt}}\"\"}", NULL);
	/* Outside a string, a missing max_tokens is null: "-null" is not JSON. */
	expect_create_error(PG_EINVAL, "not valid JSON", "template", "{\"a\": -{{max_tokens}}}",
			    NULL);
	expect_create_error(PG_EINVAL, "unknown placeholder '{{promt}}'", "template",
			    "{\"a\": {{promt}}}", NULL);
	expect_create_error(PG_EINVAL, "option 'stream' must be none, sse or ndjson", "template",
			    "{}", "stream", "websocket", NULL);
	expect_create_error(PG_EINVAL, "option 'method' must be POST, PUT or PATCH", "template",
			    "{}", "method", "GET", NULL);
	expect_create_error(PG_EINVAL, "option 'text_path': malformed JSON path", "template", "{}",
			    "text_path", "choices[0.text", NULL);
	expect_create_error(PG_EINVAL, "option 'done_path': malformed JSON path", "template", "{}",
			    "done_path", "", NULL);
	expect_create_error(PG_EIO, "option 'template_file': cannot open", "template_file",
			    "/nonexistent/perfgate/template.json", NULL);
	expect_create_error(PG_EINVAL, "option 'template' names no file", "template", "@", NULL);
}

static void invalid_utf8_model_or_missing_url_is_refused(void **state)
{
	fake_options fo;
	pg_target_info target = {.url = "http://h", .model = "bad \xff"};
	void *inst = NULL;

	(void)state;
	fake_options_init(&fo, pg_builtin_http_json()->options);
	fake_options_set(&fo, "template", "{\"m\": {{model}}}");
	assert_int_equal(ops()->create(&inst, &fake_host, fake_options_get(&fo), &target),
			 PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "UTF-8"));
	target.url = NULL;
	target.model = "m";
	assert_int_equal(ops()->create(&inst, &fake_host, fake_options_get(&fo), &target),
			 PG_EINVAL);
	assert_null(inst);
}

/* ---- requests ----------------------------------------------------------- */

static void bare_placeholders_become_json_values_with_exact_escaping(void **state)
{
	void *inst =
	    make_inst("http://h:1", "my-model", "template",
		      "{\"inputs\": {{prompt}}, \"parameters\": {\"max_new_tokens\": "
		      "{{ max_tokens }}}, \"model\": {{model}}, \"messages\": {{messages}}}",
		      NULL);
	pg_work_item item = {.prompt = tricky, .max_tokens = 64, .stream = 1};
	pg_request req;
	json_t *b, *m;

	(void)state;
	b = build_json(inst, &item, &req, NULL, 0);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.content_type, "application/json");
	assert_string_equal(req.accept, "application/json");
	assert_string_equal(json_string_value(json_object_get(b, "inputs")), tricky);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(b, "parameters"), "max_new_tokens")),
	    64);
	assert_string_equal(json_string_value(json_object_get(b, "model")), "my-model");
	m = json_object_get(b, "messages");
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "role")),
			    "user");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "content")),
			    tricky);
	json_decref(b);
	ops()->destroy(inst);
}

static void placeholders_inside_strings_become_escaped_text(void **state)
{
	void *inst = make_inst("http://h:1", "my-model", "template",
			       "{\"q\": \"Q: {{prompt}}\\nA:\", \"n\": \"{{max_tokens}}\", "
			       "\"say\": \"\\\"{{model}}\\\" {{not a placeholder\", "
			       "\"raw\": \"{{messages}}\"}",
			       NULL);
	pg_work_item item = {.prompt = tricky, .max_tokens = 7};
	char want[256];
	json_t *b, *raw;

	(void)state;
	b = build_json(inst, &item, NULL, NULL, 0);
	snprintf(want, sizeof(want), "Q: %s\nA:", tricky);
	assert_string_equal(json_string_value(json_object_get(b, "q")), want);
	assert_string_equal(json_string_value(json_object_get(b, "n")), "7");
	assert_string_equal(json_string_value(json_object_get(b, "say")),
			    "\"my-model\" {{not a placeholder");
	/* {{messages}} in a string is the array's JSON text. */
	raw = json_loads(json_string_value(json_object_get(b, "raw")), 0, NULL);
	assert_non_null(raw);
	assert_string_equal(json_string_value(json_object_get(json_array_get(raw, 0), "content")),
			    tricky);
	json_decref(raw);
	json_decref(b);
	ops()->destroy(inst);
}

static void missing_model_and_limit_are_null_outside_strings_and_empty_inside(void **state)
{
	void *inst = make_inst("http://h:1", NULL, "template",
			       "[{{model}}, {{max_tokens}}, \"<{{model}}|{{max_tokens}}>\"]", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 0};
	json_t *b;

	(void)state;
	b = build_json(inst, &item, NULL, NULL, 0);
	assert_true(json_is_null(json_array_get(b, 0)));
	assert_true(json_is_null(json_array_get(b, 1)));
	assert_string_equal(json_string_value(json_array_get(b, 2)), "<|>");
	json_decref(b);
	ops()->destroy(inst);
}

static void messages_items_fill_prompt_with_joined_contents_and_messages_raw(void **state)
{
	static const char msgs[] = "[{\"role\":\"system\",\"content\":\"Be \\\"terse\\\".\"},"
				   "{\"role\":\"user\",\"content\":\"caf\\u00e9?\"}]";
	void *inst = make_inst("http://h:1", "m", "template",
			       "{\"prompt\": {{prompt}}, \"messages\": {{messages}}}", NULL);
	pg_work_item item = {.messages_json = msgs, .max_tokens = 3};
	pg_work_item bad = {.messages_json = "[{\"role\":", .max_tokens = 3};
	pg_work_item bad_utf8 = {.prompt = "x \xfe"};
	pg_request req;
	json_t *b, *want;

	(void)state;
	b = build_json(inst, &item, NULL, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(b, "prompt")),
			    "Be \"terse\".\ncaf\xc3\xa9?");
	want = json_loads(msgs, 0, NULL);
	assert_true(json_equal(json_object_get(b, "messages"), want));
	json_decref(want);
	json_decref(b);
	assert_int_equal(ops()->build(inst, &bad, &req), PG_EINVAL);
	assert_null(req.body);
	assert_non_null(strstr(fake_host_last_error(), "messages_json"));
	assert_int_equal(ops()->build(inst, &bad_utf8, &req), PG_EINVAL);
	assert_null(req.url);
	ops()->destroy(inst);
}

static void path_method_and_stream_set_url_method_and_accept(void **state)
{
	static const struct {
		const char *base, *path, *want;
	} t[] = {
	    {"http://h:1", "", "http://h:1"},
	    {"http://h:1/x/", "", "http://h:1/x/"},
	    {"http://h:1", "/generate", "http://h:1/generate"},
	    {"http://h:1/", "/generate", "http://h:1/generate"},
	    {"http://h:1/v1", "generate", "http://h:1/v1/generate"},
	    {"http://h:1/v1/", "generate", "http://h:1/v1/generate"},
	    {"http://h:1/predict", "?stream=1", "http://h:1/predict?stream=1"},
	};
	const char *accept[][2] = {{"none", "application/json"},
				   {"sse", "text/event-stream"},
				   {"ndjson", "application/x-ndjson"}};
	pg_work_item item = {.prompt = "x"};
	char url[256];
	pg_request req;
	void *inst;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		inst = make_inst(t[i].base, "m", "template", "{}", "path", t[i].path, NULL);
		build_url(inst, url, sizeof(url));
		if (strcmp(url, t[i].want) != 0)
			fail_msg("'%s' + '%s': got '%s', want '%s'", t[i].base, t[i].path, url,
				 t[i].want);
		ops()->destroy(inst);
	}
	for (int i = 0; i < 3; i++) {
		inst = make_inst("http://h", "m", "template", "{}", "stream", accept[i][0],
				 "method", "put", NULL);
		json_decref(build_json(inst, &item, &req, NULL, 0));
		assert_string_equal(req.accept, accept[i][1]);
		assert_string_equal(req.method, "PUT");
		ops()->destroy(inst);
	}
}

static void template_is_read_from_template_file_or_at_path(void **state)
{
	char path[] = "/tmp/pg_http_json_XXXXXX", at[64];
	const char text[] = "{\"from_file\": {{prompt}}}\n";
	pg_work_item item = {.prompt = "p"};
	json_t *b;
	void *inst;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	inst = make_inst("http://h", "m", "template_file", path, NULL);
	b = build_json(inst, &item, NULL, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(b, "from_file")), "p");
	json_decref(b);
	ops()->destroy(inst);
	snprintf(at, sizeof(at), "@%s", path);
	inst = make_inst("http://h", "m", "template", at, NULL);
	b = build_json(inst, &item, NULL, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(b, "from_file")), "p");
	json_decref(b);
	ops()->destroy(inst);
	/* "@@" is a literal '@': here, not JSON. */
	expect_create_error(PG_EINVAL, "not valid JSON", "template", "@@{}", NULL);
	unlink(path);
}

/* ---- responses ---------------------------------------------------------- */

/* Events as text: "C;" content, "U<in>,<out>;" usage, "F<class>;" failure;
 * the text pieces joined separately. */
typedef struct trace {
	char ev[512];
	size_t ev_len;
	char text[512];
	size_t text_len;
	char fail_msg[512];
	int failed;
} trace;

static void ev_add(trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ev_add(trace *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->ev + t->ev_len, sizeof(t->ev) - t->ev_len, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(t->ev) - t->ev_len);
	t->ev_len += (size_t)n;
}

static void sink_content(void *ctx, int64_t tokens)
{
	trace *t = ctx;

	assert_false(t->failed);
	assert_int_equal(tokens, 1);
	ev_add(t, "C;");
}

static void sink_usage(void *ctx, int64_t in, int64_t out)
{
	assert_false(((trace *)ctx)->failed);
	ev_add(ctx, "U%lld,%lld;", (long long)in, (long long)out);
}

static void sink_fail(void *ctx, pg_error_class cls, const char *message)
{
	trace *t = ctx;

	assert_false(t->failed);
	ev_add(t, "F%d;", (int)cls);
	snprintf(t->fail_msg, sizeof(t->fail_msg), "%s", message);
	t->failed = 1;
}

static void sink_text(void *ctx, const char *text, size_t len)
{
	trace *t = ctx;

	assert_false(t->failed);
	assert_true(len > 0 && t->text_len + len < sizeof(t->text));
	memcpy(t->text + t->text_len, text, len);
	t->text_len += len;
	t->text[t->text_len] = '\0';
}

/* Parses body (split at `split`, byte by byte for (size_t)-1) into *t. */
static void parse(void *inst, const char *ctype, const char *body, size_t split, trace *t)
{
	pg_response_sink sink = {t, sink_content, sink_usage, sink_fail, sink_text};

	memset(t, 0, sizeof(*t));
	adapter_feed(ops(), inst, ctype, 1, body, strlen(body), split, &sink);
}

/* body gives events `want`, text `want_text` and (when given) a failure
 * message holding want_msg, at every split. */
static void expect(void *inst, const char *ctype, const char *body, const char *want,
		   const char *want_text, const char *want_msg)
{
	size_t len = strlen(body);
	trace t;

	for (size_t split = 0; split <= len + 1; split++) {
		parse(inst, ctype, body, adapter_split(split, len), &t);
		if (strcmp(t.ev, want) != 0 || strcmp(t.text, want_text) != 0)
			fail_msg(
			    "split %zu: got '%s' text '%s', want '%s' text '%s' (%s)\nbody: %s",
			    split, t.ev, t.text, want, want_text, t.fail_msg, body);
		if (want_msg && !strstr(t.fail_msg, want_msg))
			fail_msg("split %zu: message '%s' lacks '%s'", split, t.fail_msg, want_msg);
	}
}

#define JSON_CT "application/json"

static void whole_body_paths_pick_text_tokens_and_errors(void **state)
{
	void *inst =
	    make_inst("http://h", "m", "template", "{}", "text_path", "[0].generated_text",
		      "output_tokens_path", "[0].details.generated_tokens", "input_tokens_path",
		      "[0].details.prompt_tokens", "error_path", "[0].error", NULL);

	(void)state;
	expect(inst, JSON_CT,
	       "[{\"generated_text\":\" Paris \\\"is\\\"\\n caf\\u00e9\",\"details\":"
	       "{\"generated_tokens\":4,\"prompt_tokens\":6.0}}]",
	       "C;U6,4;", " Paris \"is\"\n caf\xc3\xa9", NULL);
	/* Token counts of the wrong type are not reported. */
	expect(inst, JSON_CT,
	       "[{\"generated_text\":\"x\",\"details\":{\"generated_tokens\":\"4\","
	       "\"prompt_tokens\":-1}}]",
	       "C;", "x", NULL);
	expect(inst, JSON_CT,
	       "[{\"generated_text\":\"x\",\"details\":{\"generated_tokens\":2.5,"
	       "\"prompt_tokens\":3}}]",
	       "C;U3,-1;", "x", NULL);
	/* Empty text: a success without content. */
	expect(inst, JSON_CT, "[{\"generated_text\":\"\",\"details\":{\"generated_tokens\":0}}]",
	       "U-1,0;", "", NULL);
	/* error_path: a string, an object's message, anything else as JSON. */
	expect(inst, JSON_CT, "[{\"error\":\"Input validation error: too long\"}]", "F5;", "",
	       "Input validation error: too long");
	expect(inst, JSON_CT, "[{\"error\":{\"message\":\"overloaded\",\"code\":503}}]", "F5;", "",
	       "overloaded");
	expect(inst, JSON_CT, "[{\"error\":{\"code\":503}}]", "F5;", "", "{\"code\":503}");
	/* null, false and "" are not errors. */
	expect(inst, JSON_CT, "[{\"error\":null,\"generated_text\":\"ok\"}]", "C;", "ok", NULL);
	expect(inst, JSON_CT, "[{\"error\":false,\"generated_text\":\"ok\"}]", "C;", "ok", NULL);
	ops()->destroy(inst);
}

static void whole_body_without_text_or_json_is_a_protocol_failure(void **state)
{
	void *inst = make_inst("http://h", "m", "template", "{}", "text_path", "output.text", NULL);

	(void)state;
	expect(inst, JSON_CT, "{\"output\":{}}", "F6;", "", "nothing at text_path 'output.text'");
	expect(inst, JSON_CT, "{\"output\":{\"text\":[\"a\"]}}", "F6;", "", "no string");
	expect(inst, JSON_CT, "{\"output\":{\"text\":null}}", "F6;", "", "no string");
	expect(inst, JSON_CT, "{\"output\":{\"text\":\"a\"}", "F6;", "", "invalid JSON");
	expect(inst, JSON_CT, "{\"output\":{\"text\":\"a\"}} trailing", "F6;", "", "invalid JSON");
	expect(inst, JSON_CT, "", "F6;", "", "empty");
	expect(inst, NULL, "{\"output\":{\"text\":\"no content type\"}}", "C;", "no content type",
	       NULL);
	ops()->destroy(inst);
}

static void success_path_must_be_true(void **state)
{
	void *inst = make_inst("http://h", "m", "template", "{}", "text_path", "out",
			       "success_path", "status.ok", NULL);
	void *bare = make_inst("http://h", "m", "template", "{}", NULL);

	(void)state;
	expect(inst, JSON_CT, "{\"status\":{\"ok\":true},\"out\":\"y\"}", "C;", "y", NULL);
	expect(inst, JSON_CT, "{\"status\":{\"ok\":1},\"out\":\"y\"}", "C;", "y", NULL);
	expect(inst, JSON_CT, "{\"status\":{\"ok\":false},\"out\":\"y\"}", "F5;", "",
	       "success_path 'status.ok' is not true");
	expect(inst, JSON_CT, "{\"out\":\"y\"}", "F5;", "", "success_path");
	/* No text_path: any JSON body is one content chunk. */
	expect(bare, JSON_CT, "{\"anything\":[1,2,3]}", "C;", "", NULL);
	expect(bare, JSON_CT, "\"a bare string\"", "C;", "", NULL);
	ops()->destroy(inst);
	ops()->destroy(bare);
}

#define SSE_CT "text/event-stream"

static void sse_events_give_content_per_text_and_end_at_done(void **state)
{
	void *inst = make_inst("http://h", "m", "template", "{}", "stream", "sse", "text_path",
			       "token.text", "output_tokens_path", "details.generated_tokens",
			       "error_path", "error", NULL);
	static const char tgi[] =
	    "data:{\"index\":1,\"token\":{\"id\":1,\"text\":\"Hel\",\"special\":false},"
	    "\"generated_text\":null,\"details\":null}\n\n"
	    ": keep-alive\n\n"
	    "data:{\"index\":2,\"token\":{\"id\":2,\"text\":\"lo \\\"w\\\"\\n\"},"
	    "\"generated_text\":null,\"details\":null}\n\n"
	    "data:{\"index\":3,\"token\":{\"id\":3,\"text\":\"\"}}\n\n"
	    "data:{\"index\":4,\"token\":{\"id\":4,\"text\":\"\\u00e9\"},"
	    "\"generated_text\":\"Hello\",\"details\":{\"finish_reason\":\"length\","
	    "\"generated_tokens\":4}}\n\n";
	static const char with_done[] = "data: {\"token\":{\"text\":\"a\"}}\r\n\r\n"
					"data: [DONE]\r\n\r\n"
					"data: {\"token\":{\"text\":\"after\"}}\r\n\r\n"
					"data: not json\r\n\r\n";

	(void)state;
	expect(inst, SSE_CT, tgi, "C;C;C;U-1,4;", "Hello \"w\"\n\xc3\xa9", NULL);
	expect(inst, SSE_CT, with_done, "C;", "a", NULL);
	/* No content type: the stream option decides. */
	expect(inst, NULL, with_done, "C;", "a", NULL);
	ops()->destroy(inst);
}

static void sse_errors_cuts_and_bad_events_fail(void **state)
{
	void *inst = make_inst("http://h", "m", "template", "{}", "stream", "sse", "text_path",
			       "token.text", "error_path", "error", NULL);
	void *with_done = make_inst("http://h", "m", "template", "{}", "stream", "sse", "text_path",
				    "token.text", "done_path", "details.finished", NULL);

	(void)state;
	expect(inst, SSE_CT,
	       "data: {\"token\":{\"text\":\"a\"}}\n\n"
	       "data: {\"error\":\"Request failed during generation: CUDA OOM\","
	       "\"error_type\":\"generation\"}\n\n"
	       "data: {\"token\":{\"text\":\"b\"}}\n\n",
	       "C;F5;", "a", "CUDA OOM");
	expect(inst, SSE_CT,
	       "data: {\"token\":{\"text\":\"a\"}}\n\nevent: error\ndata: upstream gone\n\n",
	       "C;F5;", "a", "upstream gone");
	expect(inst, SSE_CT, "data: {\"token\":{\"text\":\"a\"}}\n\ndata: {\"token\":{\"te",
	       "C;F6;", "a", "inside an event");
	expect(inst, SSE_CT, "data: {\"token\":{\"text\":\"a\"}\n\n", "F6;", "", "invalid JSON");
	expect(inst, SSE_CT, "data: {\"token\":{\"text\":7}}\n\n", "F6;", "", "no string");
	expect(inst, SSE_CT, "", "F6;", "", "without any event");
	/* Events without text (null or absent) are not content. */
	expect(inst, SSE_CT, "data: {\"token\":null}\n\ndata: {\"token\":{\"text\":null}}\n\n", "",
	       "", NULL);
	/* With done_path, the stream must reach it. */
	expect(with_done, SSE_CT,
	       "data: {\"token\":{\"text\":\"a\"},\"details\":null}\n\n"
	       "data: {\"token\":{\"text\":\"b\"},\"details\":{\"finished\":true}}\n\n"
	       "data: {\"token\":{\"text\":\"ignored\"}}\n\n",
	       "C;C;", "ab", NULL);
	expect(with_done, SSE_CT, "data: {\"token\":{\"text\":\"a\"},\"details\":null}\n\n",
	       "C;F6;", "a", "done_path 'details.finished' true or [DONE]");
	ops()->destroy(inst);
	ops()->destroy(with_done);
}

static void sse_option_reads_a_json_labelled_body_whole(void **state)
{
	void *inst = make_inst("http://h", "m", "template", "{}", "stream", "sse", "text_path",
			       "token.text", "error_path", "error", NULL);

	(void)state;
	expect(inst, "application/json; charset=utf-8",
	       "{\"error\":\"Model is overloaded\",\"error_type\":\"overloaded\"}", "F5;", "",
	       "Model is overloaded");
	ops()->destroy(inst);
}

#define NDJSON_CT "application/x-ndjson"

static void ndjson_lines_give_content_tokens_and_end_at_done_path(void **state)
{
	void *inst = make_inst("http://h", "m", "template", "{}", "stream", "ndjson", "text_path",
			       "message.content", "output_tokens_path", "eval_count",
			       "input_tokens_path", "prompt_eval_count", "done_path", "done",
			       "success_path", "done_reason", "error_path", "error", NULL);
	static const char ollama[] =
	    "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"The\"},"
	    "\"done\":false}\n"
	    "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\" sky "
	    "\\\"\\u2014\\\""
	    "\"},\"done\":false}\r\n"
	    "\n"
	    "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
	    "\"done_reason\":\"stop\",\"prompt_eval_count\":26,\"eval_count\":2}\n"
	    "{\"message\":{\"content\":\"after done\"}}\n";
	static const char no_final_newline[] =
	    "{\"message\":{\"content\":\"a\"},\"done\":false}\n"
	    "{\"message\":{\"content\":\"b\"},\"done\":true,\"done_reason\":\"length\"}";

	(void)state;
	expect(inst, NDJSON_CT, ollama, "C;C;U26,2;", "The sky \"\xe2\x80\x94\"", NULL);
	/* application/json labels do not end NDJSON mode. */
	expect(inst, JSON_CT, ollama, "C;C;U26,2;", "The sky \"\xe2\x80\x94\"", NULL);
	expect(inst, NDJSON_CT, no_final_newline, "C;C;", "ab", NULL);
	expect(inst, NDJSON_CT, "{\"message\":{\"content\":\"a\"},\"done\":false}\n", "C;F6;", "a",
	       "done_path 'done' true");
	expect(inst, NDJSON_CT,
	       "{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"message\":{\"cont", "C;F6;",
	       "a", "invalid JSON");
	expect(
	    inst, NDJSON_CT,
	    "{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"error\":\"model not found\"}\n",
	    "C;F5;", "a", "model not found");
	/* done without a true success_path in the last event. */
	expect(inst, NDJSON_CT, "{\"message\":{\"content\":\"a\"},\"done\":true}\n", "C;F5;", "a",
	       "success_path 'done_reason' is not true in the last event");
	ops()->destroy(inst);
}

static void ndjson_without_done_path_ends_at_the_last_line(void **state)
{
	void *inst = make_inst("http://h", "m", "template", "{}", "stream", "ndjson", "text_path",
			       "response", NULL);
	void *any = make_inst("http://h", "m", "template", "{}", "stream", "ndjson", NULL);

	(void)state;
	expect(inst, NDJSON_CT, "{\"response\":\"a\"}\n{\"response\":\"b\"}\n", "C;C;", "ab", NULL);
	expect(inst, NDJSON_CT, "\n\n", "F6;", "", "without any event");
	/* Without text_path every line is a content chunk. */
	expect(any, NDJSON_CT, "{\"x\":1}\n[2]\n{}\n", "C;C;C;", "", NULL);
	ops()->destroy(inst);
	ops()->destroy(any);
}

static void oversized_bodies_and_events_are_protocol_failures(void **state)
{
	void *whole = make_inst("http://h", "m", "template", "{}", NULL);
	void *sse = make_inst("http://h", "m", "template", "{}", "stream", "sse", NULL);
	void *nd = make_inst("http://h", "m", "template", "{}", "stream", "ndjson", NULL);
	void *insts[3] = {whole, sse, nd};
	const char *cts[3] = {JSON_CT, SSE_CT, NDJSON_CT};
	size_t piece = 1024 * 1024;
	char *block = malloc(piece);
	trace t;
	pg_response_sink sink = {&t, sink_content, sink_usage, sink_fail, NULL};

	(void)state;
	assert_non_null(block);
	memset(block, 'x', piece);
	memcpy(block, "data: ", 6);
	for (int k = 0; k < 3; k++) {
		void *ps = NULL;

		memset(&t, 0, sizeof(t));
		assert_int_equal(ops()->parse_begin(insts[k], &ps, 200, cts[k], 1), 0);
		for (int i = 0; i < 65; i++)
			assert_int_equal(ops()->parse_data(ps, block, piece, &sink), 0);
		assert_int_equal(ops()->parse_end(ps, &sink), 0);
		ops()->parse_free(ps);
		assert_string_equal(t.ev, "F6;");
		assert_true(strstr(t.fail_msg, "larger than") || strstr(t.fail_msg, "longer than"));
		ops()->destroy(insts[k]);
	}
	free(block);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_host_setup, fake_host_check_leaks)
	    T(descriptor_declares_name_and_every_option),
	    T(bad_options_are_refused_at_create_naming_the_option),
	    T(invalid_utf8_model_or_missing_url_is_refused),
	    T(bare_placeholders_become_json_values_with_exact_escaping),
	    T(placeholders_inside_strings_become_escaped_text),
	    T(missing_model_and_limit_are_null_outside_strings_and_empty_inside),
	    T(messages_items_fill_prompt_with_joined_contents_and_messages_raw),
	    T(path_method_and_stream_set_url_method_and_accept),
	    T(template_is_read_from_template_file_or_at_path),
	    T(whole_body_paths_pick_text_tokens_and_errors),
	    T(whole_body_without_text_or_json_is_a_protocol_failure),
	    T(success_path_must_be_true),
	    T(sse_events_give_content_per_text_and_end_at_done),
	    T(sse_errors_cuts_and_bad_events_fail),
	    T(sse_option_reads_a_json_labelled_body_whole),
	    T(ndjson_lines_give_content_tokens_and_end_at_done_path),
	    T(ndjson_without_done_path_ends_at_the_last_line),
	    T(oversized_bodies_and_events_are_protocol_failures),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
