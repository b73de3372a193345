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
#include "support/fake_host.h"

const pg_plugin_desc *pg_builtin_tgi(void);

static const pg_adapter_ops *ops_of(const pg_plugin_desc *d)
{
	return d->ops;
}

/* Creates an instance with defaults plus name=value pairs (NULL-ended). */
static void *make_inst(const pg_plugin_desc *d, const char *url, const char *model, ...)
{
	fake_options fo;
	pg_target_info target = {.url = url, .model = model};
	void *inst = NULL;
	va_list ap;

	fake_options_init(&fo, d->options);
	va_start(ap, model);
	fake_options_set_list(&fo, ap);
	va_end(ap);
	assert_int_equal(ops_of(d)->create(&inst, &fake_host, fake_options_get(&fo), &target), 0);
	assert_non_null(inst);
	return inst;
}

/* Tries a create that must fail; returns its code (the message is in
 * fake_host_last_error()). */
static int create_fails(const pg_plugin_desc *d, const char *url, const char *model, ...)
{
	fake_options fo;
	pg_target_info target = {.url = url, .model = model};
	void *inst = (void *)&fo;
	va_list ap;
	int rc;

	fake_options_init(&fo, d->options);
	va_start(ap, model);
	fake_options_set_list(&fo, ap);
	va_end(ap);
	fake_host_clear_error();
	rc = ops_of(d)->create(&inst, &fake_host, fake_options_get(&fo), &target);
	assert_true(rc < 0);
	assert_null(inst);
	assert_true(fake_host_last_error()[0] != '\0');
	return rc;
}

/* Builds a request and parses its body; the caller json_decref()s it. */
static json_t *build_body(const pg_plugin_desc *d, void *inst, const pg_work_item *item, char *url,
			  size_t url_size, const char **accept)
{
	pg_request req;
	json_error_t jerr;
	json_t *body;

	assert_int_equal(ops_of(d)->build(inst, item, &req), 0);
	assert_non_null(req.url);
	assert_non_null(req.body);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.content_type, "application/json");
	assert_int_equal(req.body_len, strlen(req.body));
	body = json_loadb(req.body, req.body_len, 0, &jerr);
	if (!body)
		fail_msg("body is not JSON (%s): %s", jerr.text, req.body);
	assert_true(json_is_object(body));
	if (url)
		snprintf(url, url_size, "%s", req.url);
	if (accept)
		*accept = req.accept;
	fake_host.free(req.url);
	fake_host.free(req.body);
	return body;
}

/* A build that must fail with rc and a message holding want_msg. */
static void build_fails(const pg_plugin_desc *d, void *inst, const pg_work_item *item, int rc,
			const char *want_msg)
{
	pg_request req;

	fake_host_clear_error();
	assert_int_equal(ops_of(d)->build(inst, item, &req), rc);
	assert_null(req.url);
	assert_null(req.body);
	if (!strstr(fake_host_last_error(), want_msg))
		fail_msg("error '%s' lacks '%s'", fake_host_last_error(), want_msg);
}

/* A string member of a JSON object ("" when absent). */
static const char *str_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* Checks that every option of the table has a name, a type and help, and
 * that the names in want are all there. */
static void check_descriptor(const pg_plugin_desc *d, const char *name, const char *const *want,
			     size_t nwant)
{
	assert_string_equal(d->name, name);
	assert_int_equal(d->kind, PG_PLUGIN_ADAPTER);
	assert_int_equal(d->abi_major, PG_PLUGIN_ABI_MAJOR);
	assert_int_equal(d->abi_minor, PG_PLUGIN_ABI_MINOR);
	assert_int_equal(d->size, sizeof(pg_plugin_desc));
	assert_non_null(d->version);
	assert_non_null(d->description);
	assert_non_null(d->ops);
	assert_non_null(d->options);
	for (const pg_option_spec *s = d->options; s->name; s++) {
		assert_non_null(s->help);
		assert_true(s->type >= PG_OPT_STRING && s->type <= PG_OPT_DURATION);
	}
	for (size_t k = 0; k < nwant; k++) {
		const pg_option_spec *s = d->options;

		while (s->name && strcmp(s->name, want[k]) != 0)
			s++;
		if (!s->name)
			fail_msg("%s has no option '%s'", name, want[k]);
	}
}

/* ---- response harness --------------------------------------------------- */

/* Sink events as text: "C<tokens>;" content, "T[<text>];" generated text,
 * "U<in>,<out>;" usage, "F<class>;" failure (message kept separately). */
typedef struct trace {
	char text[8192];
	size_t len;
	char fail_msg[512];
	int failed;
	int event_after_fail;
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
	trace *t = ctx;

	if (t->failed)
		t->event_after_fail = 1;
	trace_add(t, "C%lld;", (long long)tokens);
}

static void sink_text(void *ctx, const char *text, size_t len)
{
	trace *t = ctx;

	if (t->failed)
		t->event_after_fail = 1;
	trace_add(t, "T[%.*s];", (int)len, text);
}

static void sink_usage(void *ctx, int64_t in, int64_t out)
{
	trace *t = ctx;

	if (t->failed)
		t->event_after_fail = 1;
	trace_add(t, "U%lld,%lld;", (long long)in, (long long)out);
}

static void sink_fail(void *ctx, pg_error_class cls, const char *message)
{
	trace *t = ctx;

	trace_add(t, "F%d;", (int)cls);
	if (!t->failed)
		snprintf(t->fail_msg, sizeof(t->fail_msg), "%s", message);
	t->failed = 1;
}

/* Parses body fed as two reads split at `split`, or one byte at a time
 * when split is (size_t)-1, into *t; with_text: the sink has a text
 * callback. */
static void parse_response(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			   const char *body, size_t len, size_t split, int with_text, trace *t)
{
	const pg_adapter_ops *ops = ops_of(d);
	pg_response_sink sink = {t, sink_content, sink_usage, sink_fail,
				 with_text ? sink_text : NULL};
	void *ps = NULL;

	memset(t, 0, sizeof(*t));
	assert_int_equal(ops->parse_begin(inst, &ps, 200, ctype, streamed), 0);
	assert_non_null(ps);
	if (split == (size_t)-1) {
		for (size_t i = 0; i < len; i++)
			assert_int_equal(ops->parse_data(ps, body + i, 1, &sink), 0);
	} else {
		assert_int_equal(ops->parse_data(ps, body, split, &sink), 0);
		assert_int_equal(ops->parse_data(ps, body + split, len - split, &sink), 0);
	}
	assert_int_equal(ops->parse_end(ps, &sink), 0);
	ops->parse_free(ps);
	assert_false(t->event_after_fail);
}

/* want without its "T[...];" entries: what a sink without text sees. */
static void strip_text(char *out, size_t size, const char *want)
{
	size_t n = 0;

	while (*want) {
		if (want[0] == 'T' && want[1] == '[') {
			const char *end = strstr(want, "];");

			assert_non_null(end);
			want = end + 2;
			continue;
		}
		assert_true(n + 1 < size);
		out[n++] = *want++;
	}
	out[n] = '\0';
}

/* Checks that body gives the events `want` (and a failure message holding
 * want_msg, if given) whole, split at every byte, and byte by byte; and
 * the same without the text entries when the sink has no text callback. */
static void expect_events_inst(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			       const char *body, const char *want, const char *want_msg)
{
	size_t len = strlen(body);
	char no_text[8192];
	trace t;

	strip_text(no_text, sizeof(no_text), want);
	for (size_t split = 0; split <= len + 1; split++) {
		size_t s = split <= len ? split : (size_t)-1;
		char how[32];

		if (s == (size_t)-1)
			snprintf(how, sizeof(how), "byte by byte");
		else
			snprintf(how, sizeof(how), "split at %zu", s);
		parse_response(d, inst, ctype, streamed, body, len, s, 1, &t);
		if (strcmp(t.text, want) != 0)
			fail_msg("%s: got '%s', want '%s' (fail message '%s')", how, t.text, want,
				 t.fail_msg);
		if (want_msg && !strstr(t.fail_msg, want_msg))
			fail_msg("%s: fail message '%s' lacks '%s'", how, t.fail_msg, want_msg);
		parse_response(d, inst, ctype, streamed, body, len, s, 0, &t);
		if (strcmp(t.text, no_text) != 0)
			fail_msg("%s without text: got '%s', want '%s'", how, t.text, no_text);
	}
}

/* ---- requests ----------------------------------------------------------- */

static void streamed_prompt_goes_to_generate_stream_with_limit_and_details(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = make_inst(d, "http://127.0.0.1:8080", "ignored", NULL);
	pg_work_item item = {.prompt = "Say hi", .max_tokens = 64, .stream = 1};
	char url[256];
	const char *accept;
	json_t *b, *p;

	(void)state;
	b = build_body(d, inst, &item, url, sizeof(url), &accept);
	assert_string_equal(url, "http://127.0.0.1:8080/generate_stream");
	assert_string_equal(accept, "text/event-stream");
	assert_string_equal(str_of(b, "inputs"), "Say hi");
	p = json_object_get(b, "parameters");
	assert_true(json_is_object(p));
	assert_int_equal(json_integer_value(json_object_get(p, "max_new_tokens")), 64);
	assert_true(json_is_true(json_object_get(p, "details")));
	/* Only inputs and parameters: the path, not a field, selects streaming. */
	assert_int_equal(json_object_size(b), 2);
	json_decref(b);
	ops_of(d)->destroy(inst);
}

static void unstreamed_prompt_goes_to_generate_and_zero_limit_is_left_out(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = make_inst(d, "http://h:8080/", NULL, NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 0, .stream = 0};
	char url[256];
	const char *accept;
	json_t *b;

	(void)state;
	b = build_body(d, inst, &item, url, sizeof(url), &accept);
	assert_string_equal(url, "http://h:8080/generate");
	assert_string_equal(accept, "application/json");
	assert_null(json_object_get(json_object_get(b, "parameters"), "max_new_tokens"));
	json_decref(b);
	ops_of(d)->destroy(inst);
}

static void options_change_paths_and_turn_details_off(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = make_inst(d, "http://h:1/tgi", NULL, "path_generate", "gen", "path_stream",
			       "/gen/stream", "details", "false", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 3, .stream = 0};
	char url[256];
	json_t *b;

	(void)state;
	b = build_body(d, inst, &item, url, sizeof(url), NULL);
	assert_string_equal(url, "http://h:1/tgi/gen");
	assert_null(json_object_get(json_object_get(b, "parameters"), "details"));
	json_decref(b);
	item.stream = 1;
	b = build_body(d, inst, &item, url, sizeof(url), NULL);
	assert_string_equal(url, "http://h:1/tgi/gen/stream");
	json_decref(b);
	ops_of(d)->destroy(inst);
}

static void chat_messages_are_rendered_as_role_lines_then_assistant(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = make_inst(d, "http://h", NULL, NULL);
	pg_work_item item = {.messages_json = "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
					      "{\"role\":\"user\",\"content\":\"caf\xc3\xa9?\"}]",
			     .max_tokens = 8,
			     .stream = 1};
	json_t *b;

	(void)state;
	b = build_body(d, inst, &item, NULL, 0, NULL);
	assert_string_equal(str_of(b, "inputs"),
			    "system: Be brief.\nuser: caf\xc3\xa9?\nassistant:");
	json_decref(b);
	ops_of(d)->destroy(inst);
}

static void messages_that_cannot_be_rendered_are_refused(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = make_inst(d, "http://h", NULL, NULL);
	pg_work_item parts = {.messages_json =
				  "[{\"role\":\"user\",\"content\":\"a\"},"
				  "{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]"};
	pg_work_item not_array = {.messages_json = "{\"role\":\"user\"}"};
	pg_work_item bad_json = {.messages_json = "[{"};
	pg_work_item bad_utf8 = {.prompt = "bad \xff byte"};
	pg_work_item empty = {0};

	(void)state;
	build_fails(d, inst, &parts, PG_EINVAL, "message 1");
	build_fails(d, inst, &not_array, PG_EINVAL, "JSON array");
	build_fails(d, inst, &bad_json, PG_EINVAL, "not valid JSON");
	build_fails(d, inst, &bad_utf8, PG_EINVAL, "UTF-8");
	build_fails(d, inst, &empty, PG_EINVAL, "neither");
	ops_of(d)->destroy(inst);
}

static void create_without_url_fails(void **state)
{
	(void)state;
	assert_int_equal(create_fails(pg_builtin_tgi(), NULL, "m", NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "URL"));
	assert_int_equal(create_fails(pg_builtin_tgi(), "", "m", NULL), PG_EINVAL);
}

static void descriptor_declares_name_kind_abi_and_options(void **state)
{
	static const char *const want[] = {"path_generate", "path_stream", "details"};

	(void)state;
	check_descriptor(pg_builtin_tgi(), "tgi", want, sizeof(want) / sizeof(want[0]));
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
	void *inst = make_inst(d, "http://h", NULL, NULL);

	(void)state;
	expect_events_inst(d, inst, SSE_CT, 1, tgi_stream, "C1;T[Hello];C1;T[ w\xc3\xb6rld];U5,3;",
			   NULL);
	/* Content type with parameters, or none on a streamed request. */
	expect_events_inst(d, inst, "text/event-stream; charset=utf-8", 1, tgi_stream,
			   "C1;T[Hello];C1;T[ w\xc3\xb6rld];U5,3;", NULL);
	expect_events_inst(d, inst, NULL, 1, tgi_stream, "C1;T[Hello];C1;T[ w\xc3\xb6rld];U5,3;",
			   NULL);
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", NULL, NULL);

	(void)state;
	expect_events_inst(d, inst, SSE_CT, 1, s, "C1;T[a];C1;T[b];", NULL);
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", NULL, NULL);

	(void)state;
	expect_events_inst(d, inst, SSE_CT, 1, s, "C1;T[a];F5;", "CUDA out of memory (generation)");
	expect_events_inst(d, inst, SSE_CT, 1, first, "F5;", "Model is overloaded (overloaded)");
	expect_events_inst(d, inst, SSE_CT, 1, event_error, "F5;", "upstream went away");
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", NULL, NULL);

	(void)state;
	expect_events_inst(d, inst, SSE_CT, 1, cut_between, "C1;T[a];F6;", "final event");
	expect_events_inst(d, inst, SSE_CT, 1, cut_inside, "C1;T[a];F6;", "inside an event");
	expect_events_inst(d, inst, SSE_CT, 1, "", "F6;", "final event");
	ops_of(d)->destroy(inst);
}

static void invalid_or_non_object_events_are_protocol_failures(void **state)
{
	static const char bad_json[] =
	    "data:{\"token\":{\"id\":1,\"text\":\"a\",\"special\":false}}\n\n"
	    "data:{\"token\":{\"id\":2,\"text\":\"b\"\n\n"
	    "data:{\"token\":{\"id\":3,\"text\":\"c\"},\"generated_text\":\"abc\"}\n\n";
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = make_inst(d, "http://h", NULL, NULL);

	(void)state;
	expect_events_inst(d, inst, SSE_CT, 1, bad_json, "C1;T[a];F6;", "invalid JSON");
	expect_events_inst(d, inst, SSE_CT, 1, "data:[1,2]\n\n", "F6;", "not a JSON object");
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", NULL, NULL);

	(void)state;
	expect_events_inst(d, inst, SSE_CT, 1, s, "C1;T[x];", NULL);
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", NULL, NULL);

	(void)state;
	expect_events_inst(d, inst, JSON_CT, 0, ok, "C6;T[ Paris is the capital.];U-1,6;", NULL);
	expect_events_inst(d, inst, NULL, 0, ok, "C6;T[ Paris is the capital.];U-1,6;", NULL);
	/* A streamed request answered with plain JSON is parsed as JSON. */
	expect_events_inst(d, inst, "application/json; charset=utf-8", 1, ok,
			   "C6;T[ Paris is the capital.];U-1,6;", NULL);
	expect_events_inst(d, inst, JSON_CT, 0, wrapped, "C1;T[Hi];U2,1;", NULL);
	expect_events_inst(d, inst, JSON_CT, 0, no_details, "C1;T[Hi there];", NULL);
	/* Well formed and empty: no content, not a failure. */
	expect_events_inst(d, inst, JSON_CT, 0, empty, "U-1,0;", NULL);
	ops_of(d)->destroy(inst);
}

static void whole_error_and_malformed_answers_fail(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	void *inst = make_inst(d, "http://h", NULL, NULL);

	(void)state;
	expect_events_inst(d, inst, JSON_CT, 0,
			   "{\"error\":\"Input validation error: `inputs` must have less than "
			   "4096 tokens\",\"error_type\":\"validation\"}",
			   "F5;", "less than 4096 tokens (validation)");
	expect_events_inst(d, inst, JSON_CT, 0, "{\"error\":{\"message\":\"proxy said no\"}}",
			   "F5;", "proxy said no");
	expect_events_inst(d, inst, JSON_CT, 0, "{\"error\":7}", "F5;", "without a message");
	expect_events_inst(d, inst, JSON_CT, 0, "{\"details\":{}}", "F6;", "no generated_text");
	expect_events_inst(d, inst, JSON_CT, 0, "{\"generated_text\":[\"x\"]}", "F6;",
			   "no generated_text");
	expect_events_inst(d, inst, JSON_CT, 0, "[]", "F6;", "not a JSON object");
	expect_events_inst(d, inst, JSON_CT, 0, "{\"generated_text\":\"x", "F6;", "invalid JSON");
	expect_events_inst(d, inst, JSON_CT, 0, "", "F6;", "empty");
	ops_of(d)->destroy(inst);
}

static void whole_body_over_cap_is_a_protocol_failure(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	const pg_adapter_ops *ops = ops_of(d);
	void *inst = make_inst(d, "http://h", NULL, NULL);
	size_t piece = 1024 * 1024;
	char *block = malloc(piece);
	trace t;
	pg_response_sink sink = {&t, sink_content, sink_usage, sink_fail, sink_text};
	void *ps = NULL;

	(void)state;
	assert_non_null(block);
	memset(block, ' ', piece);
	memset(&t, 0, sizeof(t));
	assert_int_equal(ops->parse_begin(inst, &ps, 200, JSON_CT, 0), 0);
	for (int i = 0; i < 65; i++)
		assert_int_equal(ops->parse_data(ps, block, piece, &sink), 0);
	assert_int_equal(ops->parse_end(ps, &sink), 0);
	ops->parse_free(ps);
	assert_string_equal(t.text, "F6;");
	assert_non_null(strstr(t.fail_msg, "larger than"));
	free(block);
	ops->destroy(inst);
}

static void sse_line_over_cap_is_a_protocol_failure(void **state)
{
	const pg_plugin_desc *d = pg_builtin_tgi();
	const pg_adapter_ops *ops = ops_of(d);
	void *inst = make_inst(d, "http://h", NULL, NULL);
	size_t piece = 1024 * 1024;
	char *block = malloc(piece);
	trace t;
	pg_response_sink sink = {&t, sink_content, sink_usage, sink_fail, sink_text};
	void *ps = NULL;

	(void)state;
	assert_non_null(block);
	memset(block, 'x', piece);
	memcpy(block, "data:", 5);
	memset(&t, 0, sizeof(t));
	assert_int_equal(ops->parse_begin(inst, &ps, 200, SSE_CT, 1), 0);
	assert_int_equal(ops->parse_data(ps, block, piece, &sink), 0);
	memset(block, 'x', 5);
	for (int i = 0; i < 8; i++)
		assert_int_equal(ops->parse_data(ps, block, piece, &sink), 0);
	assert_int_equal(ops->parse_end(ps, &sink), 0);
	ops->parse_free(ps);
	assert_string_equal(t.text, "F6;");
	assert_non_null(strstr(t.fail_msg, "longer than"));
	free(block);
	ops->destroy(inst);
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
