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
#include "support/fake_host.h"

const pg_plugin_desc *pg_builtin_ollama(void);

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

static void chat_prompt_body_has_model_one_user_turn_stream_and_num_predict(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = make_inst(d, "http://127.0.0.1:11434", "llama3.2", NULL);
	pg_work_item item = {.prompt = "Why is the sky blue?", .max_tokens = 64, .stream = 1};
	char url[256];
	const char *accept;
	json_t *b, *m;

	(void)state;
	b = build_body(d, inst, &item, url, sizeof(url), &accept);
	assert_string_equal(url, "http://127.0.0.1:11434/api/chat");
	assert_string_equal(accept, "application/x-ndjson");
	assert_string_equal(str_of(b, "model"), "llama3.2");
	m = json_object_get(b, "messages");
	assert_true(json_is_array(m));
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(str_of(json_array_get(m, 0), "role"), "user");
	assert_string_equal(str_of(json_array_get(m, 0), "content"), "Why is the sky blue?");
	assert_true(json_is_true(json_object_get(b, "stream")));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(b, "options"), "num_predict")), 64);
	/* Unset options stay out. */
	assert_null(json_object_get(json_object_get(b, "options"), "temperature"));
	assert_null(json_object_get(b, "keep_alive"));
	assert_null(json_object_get(b, "prompt"));
	json_decref(b);
	ops_of(d)->destroy(inst);
}

static void chat_messages_json_is_embedded_and_unstreamed_has_stream_false(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = make_inst(d, "http://h:11434/", "m", NULL);
	const char *msgs = "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
			   "{\"role\":\"user\",\"content\":\"caf\xc3\xa9\"}]";
	pg_work_item item = {.messages_json = msgs, .max_tokens = 0, .stream = 0};
	const char *accept;
	json_t *b, *want;

	(void)state;
	b = build_body(d, inst, &item, NULL, 0, &accept);
	assert_string_equal(accept, "application/json");
	want = json_loads(msgs, 0, NULL);
	assert_non_null(want);
	assert_true(json_equal(json_object_get(b, "messages"), want));
	assert_true(json_is_false(json_object_get(b, "stream")));
	/* No limit and no temperature: no options object at all. */
	assert_null(json_object_get(b, "options"));
	json_decref(want);
	json_decref(b);
	ops_of(d)->destroy(inst);
}

static void generate_mode_sends_prompt_to_api_generate_and_refuses_messages(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = make_inst(d, "http://h:11434", "m", "mode", "generate", NULL);
	pg_work_item item = {.prompt = "Once upon", .max_tokens = 5, .stream = 1};
	pg_work_item chat = {.messages_json = "[{\"role\":\"user\",\"content\":\"x\"}]"};
	char url[256];
	json_t *b;

	(void)state;
	b = build_body(d, inst, &item, url, sizeof(url), NULL);
	assert_string_equal(url, "http://h:11434/api/generate");
	assert_string_equal(str_of(b, "prompt"), "Once upon");
	assert_null(json_object_get(b, "messages"));
	json_decref(b);
	build_fails(d, inst, &chat, PG_EINVAL, "mode: chat");
	ops_of(d)->destroy(inst);
}

static void temperature_and_keep_alive_options_are_sent(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = make_inst(d, "http://h", "m", "temperature", "0", "keep_alive", "30m", NULL);
	pg_work_item item = {.prompt = "x", .max_tokens = 0, .stream = 1};
	json_t *b, *o;

	(void)state;
	b = build_body(d, inst, &item, NULL, 0, NULL);
	o = json_object_get(b, "options");
	assert_true(json_is_number(json_object_get(o, "temperature")));
	assert_float_equal(json_number_value(json_object_get(o, "temperature")), 0.0, 0.0);
	assert_null(json_object_get(o, "num_predict"));
	assert_string_equal(str_of(b, "keep_alive"), "30m");
	json_decref(b);
	ops_of(d)->destroy(inst);
}

static void bad_items_are_refused(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = make_inst(d, "http://h", "m", NULL);
	pg_work_item bad_utf8 = {.prompt = "bad \xff byte"};
	pg_work_item bad_json = {.messages_json = "[{"};
	pg_work_item not_array = {.messages_json = "{}"};
	pg_work_item empty = {0};

	(void)state;
	build_fails(d, inst, &bad_utf8, PG_EINVAL, "UTF-8");
	build_fails(d, inst, &bad_json, PG_EINVAL, "not valid JSON");
	build_fails(d, inst, &not_array, PG_EINVAL, "JSON array");
	build_fails(d, inst, &empty, PG_EINVAL, "neither");
	ops_of(d)->destroy(inst);
}

static void create_needs_url_model_and_a_known_mode(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();

	(void)state;
	assert_int_equal(create_fails(d, NULL, "m", NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "URL"));
	assert_int_equal(create_fails(d, "http://h", NULL, NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "target.model"));
	assert_int_equal(create_fails(d, "http://h", "", NULL), PG_EINVAL);
	assert_int_equal(create_fails(d, "http://h", "m", "mode", "completion", NULL), PG_EINVAL);
	assert_non_null(strstr(fake_host_last_error(), "chat or generate"));
}

static void descriptor_declares_name_kind_abi_and_options(void **state)
{
	static const char *const want[] = {"mode", "keep_alive", "temperature"};

	(void)state;
	check_descriptor(pg_builtin_ollama(), "ollama", want, sizeof(want) / sizeof(want[0]));
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
	void *inst = make_inst(d, "http://h", "m", NULL);

	(void)state;
	expect_events_inst(d, inst, ND_CT, 1, chat_stream, "C1;T[The];C1;T[ sky];U26,2;", NULL);
	/* No content type on a streamed request: NDJSON. */
	expect_events_inst(d, inst, NULL, 1, chat_stream, "C1;T[The];C1;T[ sky];U26,2;", NULL);
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", "m", NULL);

	(void)state;
	expect_events_inst(d, inst, ND_CT, 1, s, "C1;C1;T[42];U-1,2;", NULL);
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", "m", "mode", "generate", NULL);

	(void)state;
	expect_events_inst(d, inst, ND_CT, 1, s, "C1;T[Once];C1;T[ upon];U3,2;", NULL);
	expect_events_inst(d, inst, ND_CT, 1, chat_shaped, "", NULL);
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", "m", NULL);

	(void)state;
	expect_events_inst(d, inst, ND_CT, 1, mid, "C1;T[a];F5;", "unexpected EOF");
	expect_events_inst(d, inst, ND_CT, 1, first, "F5;", "more system memory");
	expect_events_inst(d, inst, ND_CT, 1, "{\"error\":{}}\n", "F5;", "without a message");
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", "m", NULL);

	(void)state;
	expect_events_inst(d, inst, ND_CT, 1, cut, "C1;T[a];F6;", "invalid JSON");
	expect_events_inst(d, inst, ND_CT, 1, no_done, "C1;T[a];F6;", "\"done\": true");
	expect_events_inst(d, inst, ND_CT, 1, bad_line, "C1;T[a];F6;", "invalid JSON");
	expect_events_inst(d, inst, ND_CT, 1, "[1]\n", "F6;", "not a JSON object");
	expect_events_inst(d, inst, ND_CT, 1, done_string, "C1;T[a];F6;", "\"done\": true");
	expect_events_inst(d, inst, ND_CT, 1, "", "F6;", "\"done\": true");
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", "m", NULL);

	(void)state;
	expect_events_inst(d, inst, ND_CT, 1, s, "C1;T[ok];", NULL);
	ops_of(d)->destroy(inst);
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
	void *inst = make_inst(d, "http://h", "m", NULL);
	void *ginst = make_inst(d, "http://h", "m", "mode", "generate", NULL);

	(void)state;
	expect_events_inst(d, inst, JSON_CT, 0, chat, "C1;T[Rayleigh scattering.];U26,4;", NULL);
	expect_events_inst(d, inst, NULL, 0, chat, "C1;T[Rayleigh scattering.];U26,4;", NULL);
	expect_events_inst(d, inst, JSON_CT, 0, pretty, "C1;T[Hi];", NULL);
	expect_events_inst(d, inst, JSON_CT, 0, empty, "U-1,0;", NULL);
	expect_events_inst(d, ginst, JSON_CT, 0, gen, "C1;T[Paris.];U5,2;", NULL);
	ops_of(d)->destroy(inst);
	ops_of(d)->destroy(ginst);
}

static void whole_error_and_malformed_answers_fail(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	void *inst = make_inst(d, "http://h", "m", NULL);
	void *ginst = make_inst(d, "http://h", "m", "mode", "generate", NULL);

	(void)state;
	expect_events_inst(d, inst, JSON_CT, 0, "{\"error\":\"model \\\"x\\\" not found\"}", "F5;",
			   "model \"x\" not found");
	expect_events_inst(d, inst, JSON_CT, 0, "{\"done\":true}", "F6;", "message.content");
	expect_events_inst(d, ginst, JSON_CT, 0, "{\"message\":{\"content\":\"x\"},\"done\":true}",
			   "F6;", "no response");
	expect_events_inst(d, inst, JSON_CT, 0, "{\"message\":{\"content\":\"x\"}}", "C1;T[x];F6;",
			   "\"done\": true");
	expect_events_inst(d, inst, JSON_CT, 0, "{\"message\":", "F6;", "invalid JSON");
	expect_events_inst(d, inst, JSON_CT, 0, "[]", "F6;", "not a JSON object");
	expect_events_inst(d, inst, JSON_CT, 0, "", "F6;", "empty");
	ops_of(d)->destroy(inst);
	ops_of(d)->destroy(ginst);
}

static void line_over_cap_is_a_protocol_failure(void **state)
{
	const pg_plugin_desc *d = pg_builtin_ollama();
	const pg_adapter_ops *ops = ops_of(d);
	void *inst = make_inst(d, "http://h", "m", NULL);
	size_t piece = 1024 * 1024;
	char *block = malloc(piece);
	trace t;
	pg_response_sink sink = {&t, sink_content, sink_usage, sink_fail, sink_text};
	void *ps = NULL;

	(void)state;
	assert_non_null(block);
	memset(block, 'x', piece);
	memset(&t, 0, sizeof(t));
	assert_int_equal(ops->parse_begin(inst, &ps, 200, ND_CT, 1), 0);
	for (int i = 0; i < 9; i++)
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
