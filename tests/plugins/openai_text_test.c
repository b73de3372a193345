/*
 * Tests for the generated text the OpenAI-compatible adapters hand to the
 * sink's optional text callback (for scorers): the pieces, joined, give the
 * answer exactly, whether streamed or not and however the bytes were
 * split; reasoning, role-only deltas, other choices and anything after a
 * failure are left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "perfgate/plugin.h"
#include "support/adapter_harness.h"
#include "support/fake_host.h"

const pg_plugin_desc *pg_builtin_openai_chat(void);
const pg_plugin_desc *pg_builtin_openai_completions(void);

/* What the sink saw: the text joined, how many pieces, content events. */
typedef struct text_trace {
	char text[1024];
	size_t len;
	int pieces;
	int contents;
	int failed;
	int text_after_fail;
} text_trace;

static void on_content(void *ctx, int64_t tokens)
{
	(void)tokens;
	((text_trace *)ctx)->contents++;
}

static void on_usage(void *ctx, int64_t in, int64_t out)
{
	(void)ctx;
	(void)in;
	(void)out;
}

static void on_fail(void *ctx, pg_error_class cls, const char *message)
{
	(void)cls;
	(void)message;
	((text_trace *)ctx)->failed = 1;
}

static void on_text(void *ctx, const char *text, size_t len)
{
	text_trace *t = ctx;

	if (t->failed)
		t->text_after_fail = 1;
	assert_true(len > 0);
	assert_true(t->len + len < sizeof(t->text));
	memcpy(t->text + t->len, text, len);
	t->len += len;
	t->text[t->len] = '\0';
	t->pieces++;
}

/* Parses body split at `split` (byte by byte when (size_t)-1) into *t. */
static void parse(const pg_plugin_desc *d, const char *ctype, int streamed, const char *body,
		  size_t split, text_trace *t)
{
	pg_response_sink sink = {t, on_content, on_usage, on_fail, on_text};
	void *inst = adapter_make_inst(d, "http://h/v1", "m", NULL);

	memset(t, 0, sizeof(*t));
	adapter_feed(adapter_ops(d), inst, ctype, streamed, body, strlen(body), split, &sink);
	adapter_ops(d)->destroy(inst);
	assert_false(t->text_after_fail);
}

/* Checks that body reassembles to want in `pieces` pieces at every split. */
static void expect_text(const pg_plugin_desc *d, const char *ctype, int streamed, const char *body,
			const char *want, int pieces)
{
	size_t len = strlen(body);
	text_trace t;

	for (size_t split = 0; split <= len + 1; split++) {
		parse(d, ctype, streamed, body, adapter_split(split, len), &t);
		if (strcmp(t.text, want) != 0 || t.pieces != pieces)
			fail_msg("split %zu: got '%s' in %d pieces, want '%s' in %d", split, t.text,
				 t.pieces, want, pieces);
	}
}

#define SSE "text/event-stream"

static void chat_stream_text_reassembles_the_answer_at_every_split(void **state)
{
	static const char s[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]"
	    "}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" w\\u00f6rld "
	    "\\\"q\\\"\\n\"}}]"
	    "}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"},"
	    "\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
	    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":3}}\n\n"
	    "data: [DONE]\n\n";

	(void)state;
	expect_text(pg_builtin_openai_chat(), SSE, 1, s, "Hello w\xc3\xb6rld \"q\"\n!", 3);
}

static void completions_stream_text_reassembles_the_answer(void **state)
{
	static const char s[] =
	    "data: {\"choices\":[{\"index\":0,\"text\":\" Paris\",\"finish_reason\":null}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":null}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"text\":\".\",\"finish_reason\":\"stop\"}]}\n\n"
	    "data: [DONE]\n\n";

	(void)state;
	expect_text(pg_builtin_openai_completions(), SSE, 1, s, " Paris.", 2);
}

static void unstreamed_answers_give_their_whole_text_once(void **state)
{
	static const char chat[] =
	    "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi "
	    "there\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,"
	    "\"completion_tokens\":2}}";
	static const char cmpl[] =
	    "{\"choices\":[{\"index\":0,\"text\":\" Paris.\",\"finish_reason\":\"stop\"}]}";
	static const char empty[] = "{\"choices\":[{\"message\":{\"content\":\"\"}}]}";

	(void)state;
	expect_text(pg_builtin_openai_chat(), "application/json", 0, chat, "Hi there", 1);
	expect_text(pg_builtin_openai_completions(), "application/json", 0, cmpl, " Paris.", 1);
	expect_text(pg_builtin_openai_chat(), "application/json", 0, empty, "", 0);
}

static void reasoning_and_other_choices_are_not_part_of_the_text(void **state)
{
	static const char s[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Hmm\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"4\"}},"
	    "{\"index\":1,\"delta\":{\"content\":\"five\"}}]}\n\n"
	    "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"six\"}}]}\n\n"
	    "data: {\"choices\":[{\"delta\":{\"content\":\"2\"},\"finish_reason\":\"stop\"}]}\n\n"
	    "data: [DONE]\n\n";
	text_trace t;

	(void)state;
	expect_text(pg_builtin_openai_chat(), SSE, 1, s, "42", 2);
	/* Reasoning still counts as content, as before. */
	parse(pg_builtin_openai_chat(), SSE, 1, s, 0, &t);
	assert_int_equal(t.contents, 4);
}

static void no_text_follows_a_failure(void **state)
{
	static const char s[] =
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
	    "data: {\"error\":{\"message\":\"overloaded\"}}\n\n"
	    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n"
	    "data: [DONE]\n\n";
	text_trace t;

	(void)state;
	expect_text(pg_builtin_openai_chat(), SSE, 1, s, "a", 1);
	parse(pg_builtin_openai_chat(), SSE, 1, s, 0, &t);
	assert_true(t.failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_host_setup, fake_host_check_leaks)
	    T(chat_stream_text_reassembles_the_answer_at_every_split),
	    T(completions_stream_text_reassembles_the_answer),
	    T(unstreamed_answers_give_their_whole_text_once),
	    T(reasoning_and_other_choices_are_not_part_of_the_text),
	    T(no_text_follows_a_failure),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
