/*
 * Tests for the incremental SSE parser: every stream in the table must give
 * the same events whether it arrives whole, split in two at any byte, or one
 * byte at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sse.h"

/* Events seen so far, serialised as "type=data;" for easy comparison. */
typedef struct recorder {
	char text[4096];
	size_t len;
	int count;
	int stop_after; /* > 0: return 7 from the callback after this many */
} recorder;

static int record_event(void *ctx, const char *event, const char *data, size_t len)
{
	recorder *r = ctx;
	int n;

	assert_non_null(event);
	assert_int_equal(data[len], '\0');
	assert_int_equal(strlen(data), len);
	n = snprintf(r->text + r->len, sizeof(r->text) - r->len, "%s=%s;", event, data);
	assert_true(n > 0 && (size_t)n < sizeof(r->text) - r->len);
	r->len += (size_t)n;
	r->count++;
	if (r->stop_after > 0 && r->count >= r->stop_after)
		return 7;
	return 0;
}

typedef struct sse_case {
	const char *name;
	const char *stream;
	const char *events; /* expected, as recorded */
	int pending_at_end; /* expected pg_sse_finish() result */
} sse_case;

static const sse_case cases[] = {
    {"single event", "data: hello\n\n", "message=hello;", 0},
    {"many events in one buffer", "data: a\n\ndata: b\n\ndata: c\n\n",
     "message=a;message=b;message=c;", 0},
    {"comment keep-alives", ": ping\n\ndata: x\n: inside\n\n:keep-alive\n\n", "message=x;", 0},
    {"CRLF line ends", "data: a\r\n\r\ndata: b\r\n\r\n", "message=a;message=b;", 0},
    {"CR-only line ends", "data: a\r\rdata: b\r\r", "message=a;message=b;", 0},
    {"mixed line ends", "data: a\r\ndata: b\rdata: c\n\r\n", "message=a\nb\nc;", 0},
    {"multi-line data", "data: line1\ndata: line2\ndata:\ndata: line4\n\n",
     "message=line1\nline2\n\nline4;", 0},
    {"event field sets the type once", "event: error\ndata: {\"e\":1}\n\ndata: after\n\n",
     "error={\"e\":1};message=after;", 0},
    {"last event field wins", "event: a\nevent: b\ndata: x\n\n", "b=x;", 0},
    {"DONE sentinel", "data: {\"a\":1}\n\ndata: [DONE]\n\n", "message={\"a\":1};message=[DONE];",
     0},
    {"no space after colon", "data:x\n\ndata:  two\n\n", "message=x;message= two;", 0},
    {"BOM skipped",
     "\xEF\xBB\xBF"
     "data: bom\n\n",
     "message=bom;", 0},
    {"only one BOM skipped",
     "\xEF\xBB\xBF\xEF\xBB\xBF"
     "data: x\n\ndata: y\n\n",
     "message=y;", 0},
    {"BOM prefix is line data",
     "\xEF\xBB"
     "data: q\n\ndata: r\n\n",
     "message=r;", 0},
    {"events without data not dispatched",
     "event: ping\n\nid: 7\n\nretry: 100\n\nfoo: bar\n\ndata: real\n\n", "message=real;", 0},
    {"id retry and unknown fields ignored", "id: 1\ndata: a\nretry: 5\nxyz\ndata: b\n\n",
     "message=a\nb;", 0},
    {"data field without colon gives empty data", "data\n\ndata:\n\n", "message=;message=;", 0},
    {"colon inside value kept", "data: {\"k\": \"v:w\"}\n\n", "message={\"k\": \"v:w\"};", 0},
    {"unterminated final event discarded", "data: a\n\ndata: partial", "message=a;", 1},
    {"final event without blank line discarded", "data: a\n\ndata: b\n", "message=a;", 1},
    {"trailing comment is not pending", "data: a\n\n: bye\n", "message=a;", 0},
    {"trailing CR ends the stream cleanly", "data: a\r\r", "message=a;", 0},
    {"empty stream", "", "", 0},
};

/* Feeds the stream as two reads split at byte `split` and checks the
 * recorded events and the end-of-stream report. */
static void run_split(const sse_case *c, size_t split)
{
	size_t len = strlen(c->stream);
	recorder r = {0};
	pg_sse *p = pg_sse_new(0);

	assert_non_null(p);
	assert_int_equal(pg_sse_feed(p, c->stream, split, record_event, &r), 0);
	assert_int_equal(pg_sse_feed(p, c->stream + split, len - split, record_event, &r), 0);
	if (strcmp(r.text, c->events) != 0)
		fail_msg("%s (split at %zu): got '%s', want '%s'", c->name, split, r.text,
			 c->events);
	assert_int_equal(pg_sse_finish(p), c->pending_at_end);
	pg_sse_free(p);
}

static void table_streams_give_same_events_whole_and_split_at_every_byte(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].stream);

		for (size_t split = 0; split <= len; split++)
			run_split(&cases[i], split); /* split == len: fed whole */
	}
}

static void table_streams_give_same_events_one_byte_at_a_time(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const sse_case *c = &cases[i];
		size_t len = strlen(c->stream);
		recorder r = {0};
		pg_sse *p = pg_sse_new(0);

		assert_non_null(p);
		for (size_t k = 0; k < len; k++)
			assert_int_equal(pg_sse_feed(p, c->stream + k, 1, record_event, &r), 0);
		if (strcmp(r.text, c->events) != 0)
			fail_msg("%s (byte at a time): got '%s', want '%s'", c->name, r.text,
				 c->events);
		assert_int_equal(pg_sse_finish(p), c->pending_at_end);
		pg_sse_free(p);
	}
}

static void line_longer_than_max_fails_and_parser_stays_failed(void **state)
{
	recorder r = {0};
	pg_sse *p = pg_sse_new(16);

	(void)state;
	assert_non_null(p);
	/* 16 bytes exactly is allowed. */
	assert_int_equal(pg_sse_feed(p, "data: 0123456789\n\n", 18, record_event, &r), 0);
	assert_string_equal(r.text, "message=0123456789;");
	/* 17 bytes in one read. */
	assert_int_equal(pg_sse_feed(p, "data: 0123456789a\n\n", 19, record_event, &r), -1);
	assert_int_equal(pg_sse_feed(p, "data: x\n\n", 9, record_event, &r), -1);
	assert_int_equal(r.count, 1);
	pg_sse_free(p);
}

static void line_longer_than_max_across_reads_fails(void **state)
{
	recorder r = {0};
	pg_sse *p = pg_sse_new(16);
	int rc = 0;

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 20 && rc == 0; i++)
		rc = pg_sse_feed(p, "x", 1, record_event, &r);
	assert_int_equal(rc, -1);
	assert_int_equal(r.count, 0);
	pg_sse_free(p);
}

static void event_data_longer_than_max_fails(void **state)
{
	recorder r = {0};
	pg_sse *p = pg_sse_new(16);
	const char *s = "data: 01234\ndata: 01234\ndata: 01234\n\n";

	(void)state;
	assert_non_null(p);
	/* Each line fits; together with the joining LFs the event does not. */
	assert_int_equal(pg_sse_feed(p, s, strlen(s), record_event, &r), -1);
	assert_int_equal(r.count, 0);
	pg_sse_free(p);
}

static void finish_reports_cut_stream(void **state)
{
	static const struct {
		const char *stream;
		int pending;
	} t[] = {
	    {"data: partial", 1}, {"data: a\n", 1}, {"event: x\n", 1},	{"data: a\n\n", 0},
	    {": ping\n", 0},	  {"\xEF\xBB", 1},  {"data: a\r\n", 1}, {"data: a\r\n\r", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		recorder r = {0};
		pg_sse *p = pg_sse_new(0);

		assert_non_null(p);
		assert_int_equal(pg_sse_feed(p, t[i].stream, strlen(t[i].stream), record_event, &r),
				 0);
		if (pg_sse_finish(p) != t[i].pending)
			fail_msg("stream %zu: finish() != %d", i, t[i].pending);
		/* finish() forgets the pending bytes. */
		assert_int_equal(pg_sse_finish(p), 0);
		pg_sse_free(p);
	}
}

static void callback_nonzero_stops_parsing_and_is_returned(void **state)
{
	recorder r = {0};
	pg_sse *p = pg_sse_new(0);
	const char *s = "data: a\n\ndata: b\n\ndata: c\n\n";

	(void)state;
	assert_non_null(p);
	r.stop_after = 2;
	assert_int_equal(pg_sse_feed(p, s, strlen(s), record_event, &r), 7);
	assert_string_equal(r.text, "message=a;message=b;");
	pg_sse_free(p);
}

static void free_null_is_noop(void **state)
{
	(void)state;
	pg_sse_free(NULL);
	assert_true(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(table_streams_give_same_events_whole_and_split_at_every_byte),
	    cmocka_unit_test(table_streams_give_same_events_one_byte_at_a_time),
	    cmocka_unit_test(line_longer_than_max_fails_and_parser_stays_failed),
	    cmocka_unit_test(line_longer_than_max_across_reads_fails),
	    cmocka_unit_test(event_data_longer_than_max_fails),
	    cmocka_unit_test(finish_reports_cut_stream),
	    cmocka_unit_test(callback_nonzero_stops_parsing_and_is_returned),
	    cmocka_unit_test(free_null_is_noop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
