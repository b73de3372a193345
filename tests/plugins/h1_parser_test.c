/*
 * Tests for the incremental HTTP/1.1 response parser: every response in the
 * table must give the same status, headers, body and completion whether it
 * arrives whole, split in two at every byte position, or one byte at a
 * time; every malformed input must give its own error message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "h1_parser.h"
#include "perfgate/common.h"

/* What one parse produced, serialised: "[status content-type ka=N framing]"
 * per header section, the body bytes, "<done>" per completed response. */
typedef struct transcript {
	char text[8192];
	size_t len;
	char *body_copy; /* large bodies are only counted */
	size_t body_bytes;
	const char *error;
	int head;
} transcript;

static const char *framing_name(pg_h1_framing f)
{
	switch (f) {
	case PG_H1_FRAMING_NONE:
		return "none";
	case PG_H1_FRAMING_LENGTH:
		return "length";
	case PG_H1_FRAMING_CHUNKED:
		return "chunked";
	case PG_H1_FRAMING_CLOSE:
		return "close";
	}
	return "?";
}

static void put(transcript *t, const char *s, size_t n)
{
	if (n > sizeof(t->text) - 1 - t->len)
		n = sizeof(t->text) - 1 - t->len; /* overflow shows up as a mismatch */
	memcpy(t->text + t->len, s, n);
	t->len += n;
	t->text[t->len] = '\0';
}

/* Feeds one chunk the way a transport does: a fresh buffer of exactly len
 * bytes (so ASan catches reads past it), parsed until it is used up. */
static void feed_chunk(transcript *t, pg_h1_parser *p, const char *src, size_t len)
{
	char *buf = malloc(len ? len : 1);
	size_t off = 0;

	assert_non_null(buf);
	memcpy(buf, src, len);
	while (!t->error) {
		pg_h1_piece pc;
		char hdr[512];
		int rc = pg_h1_parser_feed(&pc, p, buf + off, len - off);

		assert_true(pc.consumed <= len - off);
		off += pc.consumed;
		if (rc < 0) {
			assert_int_equal(rc, PG_EPARSE);
			assert_non_null(p->error);
			t->error = p->error;
			break;
		}
		if (rc == PG_H1_AGAIN) {
			assert_int_equal(off, len);
			break;
		}
		if (rc == PG_H1_HEADERS) {
			snprintf(hdr, sizeof(hdr), "[%d %s ka=%d %s]", p->status,
				 p->has_content_type ? p->content_type : "-", p->keep_alive,
				 framing_name(p->framing));
			put(t, hdr, strlen(hdr));
		} else if (rc == PG_H1_BODY) {
			/* zero-copy: the piece lies inside the input */
			assert_true(pc.data >= buf && pc.data + pc.len <= buf + len);
			assert_true(pc.len > 0);
			if (t->body_bytes < 4096)
				put(t, pc.data, pc.len);
			t->body_bytes += pc.len;
		} else {
			assert_int_equal(rc, PG_H1_DONE);
			put(t, "<done>", 6);
			pg_h1_parser_reset(p, t->head);
		}
	}
	free(buf);
}

static void finish(transcript *t, pg_h1_parser *p, int eof)
{
	if (t->error || !eof || !pg_h1_parser_started(p))
		return;
	if (pg_h1_parser_eof(p) == PG_H1_DONE)
		put(t, "<done>", 6);
	else
		t->error = p->error;
}

typedef struct h1_case {
	const char *name;
	const char *input;
	const char *expect; /* transcript, or NULL when an error is expected */
	const char *error;  /* expected message */
	int head;	    /* the request was HEAD */
	int eof;	    /* the peer closes after the input */
} h1_case;

#define CL_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static const h1_case cases[] = {
    /* valid responses */
    {"content-length",
     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello",
     "[200 application/json ka=1 length]hello<done>", NULL, 0, 0},
    {"chunked with extensions and trailers",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
     "5;foo=bar\r\nhello\r\n6 ; x=\"y z\"\r\n world\r\nA\r\n0123456789\r\n"
     "0;last\r\nX-Trailer: 1\r\nY: two\r\n\r\n",
     "[200 text/event-stream ka=1 chunked]hello world0123456789<done>", NULL, 0, 0},
    {"chunked without trailers, upper-case hex and leading zeros",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00b\r\nhello world\r\n000\r\n\r\n",
     "[200 - ka=1 chunked]hello world<done>", NULL, 0, 0},
    {"SSE-like chunked stream",
     "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
     "f\r\ndata: {\"a\":1}\n\n\r\nF\r\ndata: {\"b\":2}\n\n\r\ne\r\ndata: [DONE]\n\n\r\n0\r\n\r\n",
     "[200 text/event-stream ka=1 chunked]data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: "
     "[DONE]\n\n<done>",
     NULL, 0, 0},
    {"zero-length body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "[200 - ka=1 none]<done>",
     NULL, 0, 0},
    {"204 has no body even with a length",
     "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n" CL_OK,
     "[204 - ka=1 none]<done>[200 - ka=1 length]ok<done>", NULL, 0, 0},
    {"304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n",
     "[304 - ka=1 none]<done>", NULL, 0, 0},
    {"HEAD response has no body",
     "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/html\r\n\r\n",
     "[200 text/html ka=1 none]<done>", NULL, 1, 0},
    {"100 Continue then 200",
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
     "[200 - ka=1 length]ok<done>", NULL, 0, 0},
    {"103 with headers then 200",
     "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nContent-Length: 9\r\n\r\n"
     "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nnew",
     "[201 - ka=1 length]new<done>", NULL, 0, 0},
    {"HTTP/1.0 body until close", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nabc\r\ndef",
     "[200 text/plain ka=0 close]abc\r\ndef<done>", NULL, 0, 1},
    {"HTTP/1.0 keep-alive with a length",
     "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
     "[200 - ka=1 length]ok<done>", NULL, 0, 0},
    {"HTTP/1.1 Connection: close with a length",
     "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
     "[200 - ka=0 length]ok<done>", NULL, 0, 0},
    {"HTTP/1.1 without a length reads until close",
     "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nto the end", "[200 - ka=0 close]to the end<done>", NULL,
     0, 1},
    {"until close with an empty body", "HTTP/1.1 500 Oops\r\n\r\n", "[500 - ka=0 close]<done>",
     NULL, 0, 1},
    {"two pipelined responses in one buffer",
     "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\noneHTTP/1.1 404 Not Found\r\n"
     "Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n3\r\ntwo\r\n0\r\n\r\n",
     "[200 - ka=1 length]one<done>[404 text/plain ka=1 chunked]two<done>", NULL, 0, 0},
    {"header names and values in odd case",
     "HTTP/1.1 200 OK\r\ncontent-TYPE: Text/Plain\r\nTRANSFER-encoding: Chunked\r\n"
     "CONNECTION: Upgrade, CLOSE\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
     "[200 Text/Plain ka=0 chunked]hi<done>", NULL, 0, 0},
    {"bare LF line ends in the header section", "HTTP/1.1 200 OK\nContent-Length: 2\nX-A: b\n\nhi",
     "[200 - ka=1 length]hi<done>", NULL, 0, 0},
    {"bare LF in trailers",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nT: 1\n\n",
     "[200 - ka=1 chunked]x<done>", NULL, 0, 0},
    {"status line without a reason", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",
     "[200 - ka=1 length]x<done>", NULL, 0, 0},
    {"status line with an empty reason", "HTTP/1.1 503 \r\nContent-Length: 1\r\n\r\nx",
     "[503 - ka=1 length]x<done>", NULL, 0, 0},
    {"identical duplicate Content-Length",
     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length:2  \r\n\r\nok",
     "[200 - ka=1 length]ok<done>", NULL, 0, 0},
    {"chunked is the last of several codings",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
     "[200 - ka=1 chunked]zz<done>", NULL, 0, 0},
    {"Transfer-Encoding over two lines",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
     "Transfer-Encoding: chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
     "[200 - ka=1 chunked]zz<done>", NULL, 0, 0},
    {"chunked not last means until close",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw bytes",
     "[200 - ka=0 close]raw bytes<done>", NULL, 0, 1},
    {"Transfer-Encoding wins over Content-Length and closes",
     "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
     "2\r\nok\r\n0\r\n\r\n",
     "[200 - ka=0 chunked]ok<done>", NULL, 0, 0},
    {"Content-Type trimmed, parameters kept",
     "HTTP/1.1 200 OK\r\nContent-Type: \t text/event-stream; charset=utf-8 \t\r\n"
     "Content-Length: 0\r\n\r\n",
     "[200 text/event-stream; charset=utf-8 ka=1 none]<done>", NULL, 0, 0},
    {"empty Content-Type", "HTTP/1.1 200 OK\r\nContent-Type:\r\nContent-Length: 0\r\n\r\n",
     "[200  ka=1 none]<done>", NULL, 0, 0},
    {"blanks before a chunk's CRLF and extension",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n3\t;e\r\ndef\r\n0\r\n\r\n",
     "[200 - ka=1 chunked]abcdef<done>", NULL, 0, 0},
    {"obs-text in values and reason",
     "HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\nX-Name: caf\xc3\xa9\r\nContent-Length: 1\r\n\r\n!",
     "[200 - ka=1 length]!<done>", NULL, 0, 0},
    {"keep-alive token among others",
     "HTTP/1.0 200 OK\r\nConnection: foo , Keep-Alive\r\nContent-Length: 1\r\n\r\n.",
     "[200 - ka=1 length].<done>", NULL, 0, 0},

    /* malformed responses */
    {"HTTP/2 status line", "HTTP/2 200 OK\r\n\r\n", NULL, "unsupported HTTP version", 0, 0},
    {"not HTTP", "SSH-2.0-OpenSSH\r\n", NULL, "bad status line", 0, 0},
    {"lower-case protocol name", "http/1.1 200 OK\r\n\r\n", NULL, "bad status line", 0, 0},
    {"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", NULL, "bad status code", 0, 0},
    {"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", NULL, "bad status code", 0, 0},
    {"status below 100", "HTTP/1.1 099 Low\r\n\r\n", NULL, "bad status code", 0, 0},
    {"two spaces before the status", "HTTP/1.1  200 OK\r\n\r\n", NULL, "bad status code", 0, 0},
    {"CR without LF on the status line", "HTTP/1.1 200 OK\rX: y\r\n\r\n", NULL,
     "bad status line ending", 0, 0},
    {"control byte in the reason", "HTTP/1.1 200 O\x01K\r\n\r\n", NULL, "bad status line", 0, 0},
    {"101 Switching Protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", NULL,
     "unexpected 101 Switching Protocols", 0, 0},
    {"non-digit Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", NULL,
     "bad Content-Length", 0, 0},
    {"negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", NULL,
     "bad Content-Length", 0, 0},
    {"empty Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", NULL,
     "bad Content-Length", 0, 0},
    {"Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", NULL,
     "bad Content-Length", 0, 0},
    {"Content-Length with inner blank", "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", NULL,
     "bad Content-Length", 0, 0},
    {"Content-Length of 19 digits",
     "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000000\r\n\r\n", NULL, "bad Content-Length",
     0, 0},
    {"conflicting Content-Length",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", NULL,
     "conflicting Content-Length headers", 0, 0},
    {"space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n", NULL,
     "bad header name", 0, 0},
    {"header line without a colon", "HTTP/1.1 200 OK\r\nGarbage\r\n\r\n", NULL, "bad header name",
     0, 0},
    {"header name starting with a separator", "HTTP/1.1 200 OK\r\n:x\r\n\r\n", NULL,
     "bad header name", 0, 0},
    {"obsolete line folding", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\n\r\n", NULL,
     "obsolete header line folding", 0, 0},
    {"control byte in a value", "HTTP/1.1 200 OK\r\nX-A: a\x7f\r\n\r\n", NULL, "bad header value",
     0, 0},
    {"CR without LF after a header", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", NULL,
     "bad header line ending", 0, 0},
    {"CR without LF ending the headers", "HTTP/1.1 200 OK\r\nX-A: a\r\n\rx", NULL,
     "bad header line ending", 0, 0},
    {"non-hex chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", NULL,
     "bad chunk size", 0, 0},
    {"empty chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", NULL,
     "bad chunk size", 0, 0},
    {"bare LF after a chunk size",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", NULL,
     "bad chunk size", 0, 0},
    {"CR without LF after a chunk size",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n", NULL,
     "bad chunk size line ending", 0, 0},
    {"chunk size with a sign", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\n", NULL,
     "bad chunk size", 0, 0},
    {"chunk size too large",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", NULL,
     "chunk size too large", 0, 0},
    {"chunk data longer than its size",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello!\r\n0\r\n\r\n", NULL,
     "missing CRLF after chunk data", 0, 0},
    {"bare LF after chunk data",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", NULL,
     "missing CRLF after chunk data", 0, 0},
    {"control byte in a chunk extension",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x01\r\nhello\r\n", NULL,
     "bad chunk extension", 0, 0},
    {"CR without LF in trailers",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\rx", NULL,
     "bad trailer line ending", 0, 0},
    {"closed mid-body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", NULL,
     "connection closed before the response ended", 0, 1},
    {"closed mid-headers", "HTTP/1.1 200 OK\r\nContent-Len", NULL,
     "connection closed before the response ended", 0, 1},
    {"closed mid-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", NULL,
     "connection closed before the response ended", 0, 1},
    {"closed before the last chunk",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", NULL,
     "connection closed before the response ended", 0, 1},
    {"closed after a 100 Continue", "HTTP/1.1 100 Continue\r\n\r\n", NULL,
     "connection closed before the response ended", 0, 1},
};

/* Parses a case's input whole, split once at split (> 0), or one byte at a
 * time (bytewise), then signals EOF when the case says the peer closes. */
static void run_case(transcript *t, const h1_case *c, size_t split, int bytewise)
{
	pg_h1_parser p;
	size_t len = strlen(c->input), i;

	memset(t, 0, sizeof(*t));
	t->head = c->head;
	pg_h1_parser_init(&p, 0);
	pg_h1_parser_reset(&p, c->head);
	if (bytewise) {
		for (i = 0; i < len && !t->error; i++)
			feed_chunk(t, &p, c->input + i, 1);
	} else if (split > 0) {
		feed_chunk(t, &p, c->input, split);
		feed_chunk(t, &p, c->input + split, len - split);
	} else {
		feed_chunk(t, &p, c->input, len);
	}
	finish(t, &p, c->eof);
}

static void check(const h1_case *c, const transcript *t, const char *mode, size_t split)
{
	if (c->expect) {
		if (t->error || strcmp(t->text, c->expect) != 0)
			fail_msg("%s (%s, split %zu): got '%s' error '%s', want '%s'", c->name,
				 mode, split, t->text, t->error ? t->error : "-", c->expect);
	} else {
		if (!t->error || strcmp(t->error, c->error) != 0)
			fail_msg("%s (%s, split %zu): got error '%s' (text '%s'), want '%s'",
				 c->name, mode, split, t->error ? t->error : "none", t->text,
				 c->error);
	}
}

static void test_table_whole_split_and_bytewise_agree(void **state)
{
	size_t k, split;
	transcript t;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const h1_case *c = &cases[k];
		size_t len = strlen(c->input);

		run_case(&t, c, 0, 0);
		check(c, &t, "whole", 0);
		for (split = 1; split < len; split++) {
			run_case(&t, c, split, 0);
			check(c, &t, "split", split);
		}
		run_case(&t, c, 0, 1);
		check(c, &t, "bytewise", 0);
	}
}

/* Builds "HTTP/1.1 200 OK\r\nX: <pad>\r\nContent-Length: 0\r\n\r\n" whose
 * header section is exactly total bytes long. */
static char *header_of_size(size_t total)
{
	const char *pre = "HTTP/1.1 200 OK\r\nX: ", *post = "\r\nContent-Length: 0\r\n\r\n";
	size_t fixed = strlen(pre) + strlen(post), pad;
	char *s;

	assert_true(total > fixed);
	pad = total - fixed;
	s = malloc(total + 1);
	assert_non_null(s);
	memcpy(s, pre, strlen(pre));
	memset(s + strlen(pre), 'a', pad);
	memcpy(s + strlen(pre) + pad, post, strlen(post) + 1);
	assert_int_equal(strlen(s), total);
	return s;
}

static void run_sized(transcript *t, size_t max, const char *input, int bytewise)
{
	pg_h1_parser p;
	size_t len = strlen(input), i;

	memset(t, 0, sizeof(*t));
	pg_h1_parser_init(&p, max);
	if (bytewise) {
		for (i = 0; i < len && !t->error; i++)
			feed_chunk(t, &p, input + i, 1);
	} else {
		feed_chunk(t, &p, input, len);
	}
}

static void test_header_cap_is_exact_and_configurable(void **state)
{
	char *at = header_of_size(200), *over = header_of_size(201);
	transcript t;
	int bw;

	(void)state;
	for (bw = 0; bw <= 1; bw++) {
		run_sized(&t, 200, at, bw);
		assert_null(t.error);
		assert_string_equal(t.text, "[200 - ka=1 none]<done>");
		run_sized(&t, 200, over, bw);
		assert_non_null(t.error);
		assert_string_equal(t.error, "header section too large");
	}
	free(at);
	free(over);
}

static void test_default_header_cap_is_64k(void **state)
{
	char *at = header_of_size(65536), *over = header_of_size(70000);
	transcript t;

	(void)state;
	run_sized(&t, 0, at, 0);
	assert_null(t.error);
	run_sized(&t, 0, over, 0);
	assert_non_null(t.error);
	assert_string_equal(t.error, "header section too large");
	run_sized(&t, 0, over, 1);
	assert_string_equal(t.error, "header section too large");
	free(at);
	free(over);
}

static void test_endless_interim_responses_hit_the_header_cap(void **state)
{
	const char *interim = "HTTP/1.1 100 Continue\r\n\r\n";
	size_t n = strlen(interim), i;
	pg_h1_parser p;
	pg_h1_piece pc;
	int rc = 0;

	(void)state;
	pg_h1_parser_init(&p, 1000);
	for (i = 0; i < 100 && rc == 0; i++)
		rc = pg_h1_parser_feed(&pc, &p, interim, n);
	assert_int_equal(rc, PG_EPARSE);
	assert_string_equal(p.error, "header section too large");
	assert_true(i * n > 1000 && (i - 1) * n <= 1000);
}

static void test_trailer_cap(void **state)
{
	const char *pre = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: ";
	char input[400];
	transcript t;

	(void)state;
	memset(input, 0, sizeof(input));
	memcpy(input, pre, strlen(pre));
	memset(input + strlen(pre), 'x', 300);
	run_sized(&t, 256, input, 0);
	assert_non_null(t.error);
	assert_string_equal(t.error, "trailer section too large");
}

static void test_chunk_size_line_cap(void **state)
{
	const char *pre = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;";
	const char *tail = "\r\nhello\r\n0\r\n\r\n";
	size_t n = strlen(pre);
	char input[2048];
	transcript t;
	int bw;

	(void)state;
	for (bw = 0; bw <= 1; bw++) {
		/* a size line of exactly 1024 bytes ("5;" + ext + CRLF) passes */
		memset(input, 0, sizeof(input));
		memcpy(input, pre, n);
		memset(input + n, 'e', PG_H1_MAX_CHUNK_LINE - 4);
		memcpy(input + n + PG_H1_MAX_CHUNK_LINE - 4, tail, strlen(tail) + 1);
		run_sized(&t, 0, input, bw);
		assert_null(t.error);
		assert_string_equal(t.text, "[200 - ka=1 chunked]hello<done>");
		/* one more byte is too long */
		memset(input, 0, sizeof(input));
		memcpy(input, pre, n);
		memset(input + n, 'e', PG_H1_MAX_CHUNK_LINE - 3);
		memcpy(input + n + PG_H1_MAX_CHUNK_LINE - 3, tail, strlen(tail) + 1);
		run_sized(&t, 0, input, bw);
		assert_non_null(t.error);
		assert_string_equal(t.error, "chunk size line too long");
	}
}

static void test_long_content_type_is_truncated(void **state)
{
	const char *pre = "HTTP/1.1 200 OK\r\nContent-Type: ";
	const char *post = "\r\nContent-Length: 0\r\n\r\n";
	char input[1024];
	pg_h1_parser p;
	pg_h1_piece pc;
	size_t n = strlen(pre);

	(void)state;
	memcpy(input, pre, n);
	memset(input + n, 't', 600);
	memcpy(input + n + 600, post, strlen(post) + 1);
	pg_h1_parser_init(&p, 0);
	assert_int_equal(pg_h1_parser_feed(&pc, &p, input, strlen(input)), PG_H1_HEADERS);
	assert_int_equal(p.has_content_type, 1);
	assert_int_equal(strlen(p.content_type), PG_H1_CONTENT_TYPE_MAX - 1);
	assert_int_equal(p.content_type[0], 't');
}

/* Parses input fed one byte at a time up to the final header section. */
static void feed_to_headers(pg_h1_parser *p, const char *input)
{
	size_t i, n = strlen(input);
	pg_h1_piece pc;

	pg_h1_parser_init(p, 0);
	for (i = 0; i < n; i++) {
		int rc = pg_h1_parser_feed(&pc, p, input + i, 1);

		if (rc == PG_H1_HEADERS)
			return;
		assert_int_equal(rc, PG_H1_AGAIN);
	}
	fail_msg("no header section in '%s'", input);
}

static void test_retry_after_keeps_the_first_trimmed_value_of_the_final_response(void **state)
{
	char input[512];
	pg_h1_parser p;
	pg_h1_piece pc;

	(void)state;
	/* an interim response's Retry-After is forgotten; blanks trimmed;
	 * a second Retry-After does not replace the first */
	feed_to_headers(&p, "HTTP/1.1 103 Early Hints\r\nRetry-After: 99\r\n\r\n"
			    "HTTP/1.1 429 Too Many Requests\r\nretry-AFTER: \t 7 \t\r\n"
			    "Retry-After: 8\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(p.status, 429);
	assert_int_equal(p.has_retry_after, 1);
	assert_string_equal(p.retry_after, "7");
	/* an HTTP-date keeps its inner spaces; a bare LF ends the line */
	feed_to_headers(&p, "HTTP/1.1 503 x\nRetry-After: Sun, 06 Nov 1994 08:49:37 GMT\n\n");
	assert_string_equal(p.retry_after, "Sun, 06 Nov 1994 08:49:37 GMT");
	/* none, or an empty one: not reported */
	feed_to_headers(&p, "HTTP/1.1 429 x\r\nRetry-After:   \r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(p.has_retry_after, 0);
	assert_string_equal(p.retry_after, "");
	/* a long value is cut, not an error; the next response starts clean */
	snprintf(input, sizeof(input),
		 "HTTP/1.1 429 x\r\nRetry-After: %0200d\r\n"
		 "Content-Length: 0\r\n\r\n",
		 1);
	pg_h1_parser_init(&p, 0);
	assert_int_equal(pg_h1_parser_feed(&pc, &p, input, strlen(input)), PG_H1_HEADERS);
	assert_int_equal(strlen(p.retry_after), PG_H1_RETRY_AFTER_MAX - 1);
	assert_int_equal(pg_h1_parser_feed(&pc, &p, "", 0), PG_H1_DONE);
	pg_h1_parser_reset(&p, 0);
	snprintf(input, sizeof(input), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(pg_h1_parser_feed(&pc, &p, input, strlen(input)), PG_H1_HEADERS);
	assert_int_equal(p.has_retry_after, 0);
}

static void test_large_body_is_delivered_in_place(void **state)
{
	const char *hdr = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
	size_t hn = strlen(hdr), total = hn + 100000, got = 0, off = 0;
	char *input = malloc(total);
	pg_h1_parser p;
	pg_h1_piece pc;
	int rc, pieces = 0;

	(void)state;
	assert_non_null(input);
	memcpy(input, hdr, hn);
	memset(input + hn, 'b', 100000);
	pg_h1_parser_init(&p, 0);
	rc = pg_h1_parser_feed(&pc, &p, input, total);
	assert_int_equal(rc, PG_H1_HEADERS);
	assert_int_equal(p.content_length, 100000);
	off = pc.consumed;
	assert_int_equal(off, hn);
	while ((rc = pg_h1_parser_feed(&pc, &p, input + off, total - off)) == PG_H1_BODY) {
		assert_ptr_equal(pc.data, input + off); /* no copy */
		got += pc.len;
		off += pc.consumed;
		pieces++;
	}
	assert_int_equal(rc, PG_H1_DONE);
	assert_int_equal(got, 100000);
	assert_int_equal(pieces, 1);
	free(input);
}

static void test_data_after_done_without_reset_is_an_error(void **state)
{
	const char *input = CL_OK "x";
	pg_h1_parser p;
	pg_h1_piece pc;
	size_t off = 0;
	int rc;

	(void)state;
	pg_h1_parser_init(&p, 0);
	do {
		rc = pg_h1_parser_feed(&pc, &p, input + off, strlen(input) - off);
		off += pc.consumed;
	} while (rc > 0 && rc != PG_H1_DONE);
	assert_int_equal(rc, PG_H1_DONE);
	assert_int_equal(off, strlen(input) - 1);
	rc = pg_h1_parser_feed(&pc, &p, input + off, 1);
	assert_int_equal(rc, PG_EPARSE);
	assert_string_equal(p.error, "data after the end of the response");
}

static void test_errors_are_sticky_and_started_tracks_bytes(void **state)
{
	pg_h1_parser p;
	pg_h1_piece pc;

	(void)state;
	pg_h1_parser_init(&p, 0);
	assert_int_equal(pg_h1_parser_started(&p), 0);
	assert_int_equal(pg_h1_parser_feed(&pc, &p, "", 0), PG_H1_AGAIN);
	assert_int_equal(pg_h1_parser_started(&p), 0);
	assert_int_equal(pg_h1_parser_feed(&pc, &p, "H", 1), PG_H1_AGAIN);
	assert_int_equal(pg_h1_parser_started(&p), 1);
	assert_int_equal(pg_h1_parser_feed(&pc, &p, "X", 1), PG_EPARSE);
	assert_int_equal(pc.consumed, 0);
	assert_int_equal(pg_h1_parser_feed(&pc, &p, "TTP/1.1", 7), PG_EPARSE);
	assert_int_equal(pg_h1_parser_eof(&p), PG_EPARSE);
	assert_string_equal(p.error, "bad status line");
	pg_h1_parser_reset(&p, 0);
	assert_null(p.error);
	assert_int_equal(pg_h1_parser_started(&p), 0);
	assert_int_equal(pg_h1_parser_feed(&pc, &p, CL_OK, strlen(CL_OK)), PG_H1_HEADERS);
}

static void test_nul_byte_in_header_is_rejected(void **state)
{
	static const char input[] = "HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n";
	pg_h1_parser p;
	pg_h1_piece pc;

	(void)state;
	pg_h1_parser_init(&p, 0);
	assert_int_equal(pg_h1_parser_feed(&pc, &p, input, sizeof(input) - 1), PG_EPARSE);
	assert_string_equal(p.error, "bad header value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_whole_split_and_bytewise_agree),
	    cmocka_unit_test(test_header_cap_is_exact_and_configurable),
	    cmocka_unit_test(test_default_header_cap_is_64k),
	    cmocka_unit_test(test_endless_interim_responses_hit_the_header_cap),
	    cmocka_unit_test(test_trailer_cap),
	    cmocka_unit_test(test_chunk_size_line_cap),
	    cmocka_unit_test(test_long_content_type_is_truncated),
	    cmocka_unit_test(test_retry_after_keeps_the_first_trimmed_value_of_the_final_response),
	    cmocka_unit_test(test_large_body_is_delivered_in_place),
	    cmocka_unit_test(test_data_after_done_without_reset_is_an_error),
	    cmocka_unit_test(test_errors_are_sticky_and_started_tracks_bytes),
	    cmocka_unit_test(test_nul_byte_in_header_is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
