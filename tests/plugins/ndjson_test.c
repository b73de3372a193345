/*
 * Tests for the incremental NDJSON line splitter: lines come out the same
 * whichever way the input is split, line ends and blank lines, the final
 * unterminated line, the line cap, the BOM and stopping from the callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ndjson.h"

/* Lines seen, each followed by '|'. */
typedef struct seen {
	char text[4096];
	size_t len;
	int calls;
	int stop_at; /* return 7 from this call (1-based); 0: never */
	int not_terminated;
} seen;

static int on_line(void *ctx, const char *line, size_t len)
{
	seen *s = ctx;

	if (line[len] != '\0')
		s->not_terminated = 1;
	assert_true(s->len + len + 1 < sizeof(s->text));
	memcpy(s->text + s->len, line, len);
	s->len += len;
	s->text[s->len++] = '|';
	s->text[s->len] = '\0';
	s->calls++;
	return s->calls == s->stop_at ? 7 : 0;
}

/* Feeds input split at `split` (or byte by byte when split == (size_t)-1),
 * then finishes; returns what the finish returned. */
static int run(pg_ndjson *p, const char *in, size_t len, size_t split, seen *s)
{
	memset(s, 0, sizeof(*s));
	if (split == (size_t)-1) {
		for (size_t i = 0; i < len; i++)
			assert_int_equal(pg_ndjson_feed(p, in + i, 1, on_line, s), 0);
	} else {
		assert_int_equal(pg_ndjson_feed(p, in, split, on_line, s), 0);
		assert_int_equal(pg_ndjson_feed(p, in + split, len - split, on_line, s), 0);
	}
	return pg_ndjson_finish(p, on_line, s);
}

/* Checks that in gives the lines `want` whole, at every split and byte by
 * byte, reusing one splitter (finish resets it). */
static void expect_lines(size_t max_line, const char *in, size_t len, const char *want)
{
	pg_ndjson *p = pg_ndjson_new(max_line);
	seen s;

	assert_non_null(p);
	for (size_t split = 0; split <= len + 1; split++) {
		size_t sp = split <= len ? split : (size_t)-1;

		assert_int_equal(run(p, in, len, sp, &s), 0);
		if (strcmp(s.text, want) != 0)
			fail_msg("split %zd: got '%s', want '%s'", (ssize_t)sp, s.text, want);
		assert_false(s.not_terminated);
	}
	pg_ndjson_free(p);
}

static void lines_are_the_same_at_every_split(void **state)
{
	static const char in[] = "{\"a\":1}\n{\"b\":\"x y\"}\n[]\n";

	(void)state;
	expect_lines(0, in, strlen(in), "{\"a\":1}|{\"b\":\"x y\"}|[]|");
}

static void crlf_line_ends_lose_the_cr_and_blank_lines_are_skipped(void **state)
{
	static const char in[] = "\n{\"a\":1}\r\n\r\n  \t\n{\"b\":2}\n\n";

	(void)state;
	expect_lines(0, in, strlen(in), "{\"a\":1}|{\"b\":2}|");
}

static void final_line_without_lf_is_handed_over_at_finish(void **state)
{
	static const char in[] = "{\"a\":1}\n{\"done\":true}";
	static const char blank_tail[] = "{\"a\":1}\n  ";

	(void)state;
	expect_lines(0, in, strlen(in), "{\"a\":1}|{\"done\":true}|");
	expect_lines(0, blank_tail, strlen(blank_tail), "{\"a\":1}|");
	expect_lines(0, "", 0, "");
}

static void line_at_the_cap_passes_and_one_byte_more_fails(void **state)
{
	/* 8-byte lines with a cap of 8, CRLF or LF, split anywhere. */
	static const char at_cap[] = "12345678\r\nabcdefgh\n";
	static const char over[] = "12345678\n123456789\nabc\n";
	pg_ndjson *p = pg_ndjson_new(8);
	seen s;

	(void)state;
	expect_lines(8, at_cap, strlen(at_cap), "12345678|abcdefgh|");
	assert_non_null(p);
	memset(&s, 0, sizeof(s));
	assert_int_equal(pg_ndjson_feed(p, over, strlen(over), on_line, &s), -1);
	assert_string_equal(s.text, "12345678|");
	/* Broken: every later feed fails, finish says so and resets. */
	assert_int_equal(pg_ndjson_feed(p, "x\n", 2, on_line, &s), -1);
	assert_int_equal(pg_ndjson_finish(p, on_line, &s), -1);
	assert_int_equal(pg_ndjson_feed(p, "ok\n", 3, on_line, &s), 0);
	assert_string_equal(s.text, "12345678|ok|");
	pg_ndjson_free(p);
}

static void unterminated_line_over_the_cap_fails_before_its_end_arrives(void **state)
{
	pg_ndjson *p = pg_ndjson_new(16);
	char block[64];
	seen s;

	(void)state;
	assert_non_null(p);
	memset(block, 'x', sizeof(block));
	memset(&s, 0, sizeof(s));
	/* Memory stays bounded: the feed fails as soon as the cap is passed. */
	assert_int_equal(pg_ndjson_feed(p, block, sizeof(block), on_line, &s), -1);
	assert_int_equal(s.calls, 0);
	pg_ndjson_free(p);
	/* An unterminated final line over the cap fails at finish. */
	p = pg_ndjson_new(4);
	assert_non_null(p);
	assert_int_equal(pg_ndjson_feed(p, "12345", 5, on_line, &s), 0);
	assert_int_equal(pg_ndjson_finish(p, on_line, &s), -1);
	assert_int_equal(s.calls, 0);
	pg_ndjson_free(p);
}

static void callback_value_stops_the_feed(void **state)
{
	static const char in[] = "a\nb\nc\n";
	pg_ndjson *p = pg_ndjson_new(0);
	seen s;

	(void)state;
	assert_non_null(p);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(pg_ndjson_feed(p, in, strlen(in), on_line, &s), 7);
	assert_string_equal(s.text, "a|b|");
	/* The final unterminated line's callback value comes back from finish. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(pg_ndjson_finish(p, on_line, &s), 0);
	assert_int_equal(pg_ndjson_feed(p, "z", 1, on_line, &s), 0);
	assert_int_equal(pg_ndjson_finish(p, on_line, &s), 7);
	assert_string_equal(s.text, "z|");
	pg_ndjson_free(p);
}

static void leading_bom_is_skipped_even_when_split(void **state)
{
	static const char in[] = "\xEF\xBB\xBF{\"a\":1}\n{\"b\":2}\n";
	/* Two bytes of a BOM, then other data: they are line data. */
	static const char not_bom[] = "\xEF\xBBx\n";
	/* A BOM later in the input is data too. */
	static const char later[] = "a\n\xEF\xBB\xBF\n";

	(void)state;
	expect_lines(0, in, strlen(in), "{\"a\":1}|{\"b\":2}|");
	expect_lines(0, not_bom, strlen(not_bom), "\xEF\xBBx|");
	expect_lines(0, later, strlen(later), "a|\xEF\xBB\xBF|");
	expect_lines(0, "\xEF\xBB", 2, "\xEF\xBB|");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(lines_are_the_same_at_every_split),
	    cmocka_unit_test(crlf_line_ends_lose_the_cr_and_blank_lines_are_skipped),
	    cmocka_unit_test(final_line_without_lf_is_handed_over_at_finish),
	    cmocka_unit_test(line_at_the_cap_passes_and_one_byte_more_fails),
	    cmocka_unit_test(unterminated_line_over_the_cap_fails_before_its_end_arrives),
	    cmocka_unit_test(callback_value_stops_the_feed),
	    cmocka_unit_test(leading_bom_is_skipped_even_when_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
