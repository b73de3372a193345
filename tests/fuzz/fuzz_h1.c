/*
 * Fuzz target: the incremental HTTP/1.1 response parser
 * (plugins/common/h1_parser.h), chunked bodies, trailers and pipelined
 * keep-alive responses included.
 *
 * Input: byte 0 is flags, byte 1 a split seed, the rest is what the server
 * sent.
 *   flags bit 0:    the requests were HEAD
 *   flags bit 1:    the peer closes after the input (pg_h1_parser_eof)
 *   flags bits 2-3: largest chunk (1, 7, 64 or 4096 bytes)
 *   flags bit 4:    max_header_bytes 200 instead of the default
 * The bytes are parsed whole and split into chunks (each chunk in its own
 * exact-size buffer, so ASan sees reads past it). Both parses must report
 * the same headers, body bytes, completions and error. Also checked: the
 * results' contracts (consumed <= len, AGAIN consumes everything, body
 * pieces lie inside the input and are non-empty, a Content-Length body
 * delivers exactly that many bytes, errors stick).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "h1_parser.h"
#include "perfgate/common.h"

typedef struct transcript {
	uint64_t digest;
	int responses;
	const char *error;
	uint64_t body_bytes; /* of the current response */
	int head;
} transcript;

static const size_t chunk_sizes[4] = {1, 7, 64, 4096};

static void on_headers(transcript *t, const pg_h1_parser *p)
{
	/* interim (1xx) responses are skipped, 101 is an error */
	FUZZ_CHECK(p->status >= 200 && p->status <= 999);
	FUZZ_CHECK(p->version_minor >= 0 && p->version_minor <= 9);
	FUZZ_CHECK(memchr(p->content_type, '\0', sizeof(p->content_type)) != NULL);
	FUZZ_CHECK(p->has_content_type || p->content_type[0] == '\0');
	if (p->framing == PG_H1_FRAMING_LENGTH)
		FUZZ_CHECK(p->content_length > 0);
	t->digest = fuzz_hash_i64(t->digest, p->status);
	t->digest = fuzz_hash_i64(t->digest, p->version_minor);
	t->digest = fuzz_hash_i64(t->digest, p->keep_alive);
	t->digest = fuzz_hash_i64(t->digest, p->framing);
	t->digest = fuzz_hash_i64(t->digest, p->content_length);
	t->digest = fuzz_hash(t->digest, p->content_type, strlen(p->content_type) + 1);
	t->body_bytes = 0;
}

static void on_done(transcript *t, const pg_h1_parser *p)
{
	if (p->framing == PG_H1_FRAMING_LENGTH)
		FUZZ_CHECK(t->body_bytes == (uint64_t)p->content_length);
	if (p->framing == PG_H1_FRAMING_NONE)
		FUZZ_CHECK(t->body_bytes == 0);
	t->digest = fuzz_hash(t->digest, "<done>", 6);
	t->responses++;
}

/* Feeds one chunk as a transport does: parsed until it is used up. */
static void feed_chunk(transcript *t, pg_h1_parser *p, const char *src, size_t len)
{
	char *buf = malloc(len ? len : 1);
	size_t off = 0;

	if (!buf)
		return;
	if (len)
		memcpy(buf, src, len);
	while (!t->error) {
		pg_h1_piece pc;
		int rc;

		memset(&pc, 0, sizeof(pc));
		rc = pg_h1_parser_feed(&pc, p, buf + off, len - off);
		FUZZ_CHECK(pc.consumed <= len - off);
		off += pc.consumed;
		if (rc < 0) {
			FUZZ_CHECK(rc == PG_EPARSE);
			FUZZ_CHECK(p->error != NULL);
			t->error = p->error;
			/* errors stick */
			FUZZ_CHECK(pg_h1_parser_feed(&pc, p, "HTTP/1.1 200 OK\r\n", 17) ==
				   PG_EPARSE);
			break;
		}
		if (rc == PG_H1_AGAIN) {
			FUZZ_CHECK(off == len);
			break;
		}
		if (rc == PG_H1_HEADERS) {
			on_headers(t, p);
		} else if (rc == PG_H1_BODY) {
			FUZZ_CHECK(pc.data >= buf && pc.len > 0 && pc.len <= len);
			FUZZ_CHECK(pc.data + pc.len <= buf + len);
			t->body_bytes += pc.len;
			t->digest = fuzz_hash(t->digest, pc.data, pc.len);
		} else {
			FUZZ_CHECK(rc == PG_H1_DONE);
			on_done(t, p);
			pg_h1_parser_reset(p, t->head);
		}
	}
	free(buf);
}

static void parse(transcript *t, const char *s, size_t len, uint8_t flags, uint32_t seed,
		  size_t max_chunk)
{
	pg_h1_parser p;
	fuzz_chunker ch;
	size_t off, n;

	memset(t, 0, sizeof(*t));
	t->digest = FUZZ_HASH_INIT;
	t->head = flags & 1;
	pg_h1_parser_init(&p, (flags & 16) ? 200 : 0);
	pg_h1_parser_reset(&p, t->head);
	if (max_chunk == 0) {
		feed_chunk(t, &p, s, len);
	} else {
		fuzz_chunker_init(&ch, seed, max_chunk, len);
		while (!t->error && fuzz_chunker_next(&ch, &off, &n))
			feed_chunk(t, &p, s + off, n);
	}
	if (!t->error && (flags & 2) && pg_h1_parser_started(&p)) {
		int framing = p.framing;

		if (pg_h1_parser_eof(&p) == PG_H1_DONE) {
			FUZZ_CHECK(framing == PG_H1_FRAMING_CLOSE);
			t->digest = fuzz_hash(t->digest, "<eof-done>", 10);
		} else {
			FUZZ_CHECK(p.error != NULL);
			t->error = p.error;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	transcript whole, split;
	uint8_t flags;

	if (size < 2)
		return 0;
	flags = data[0];
	parse(&whole, (const char *)data + 2, size - 2, flags, data[1], 0);
	parse(&split, (const char *)data + 2, size - 2, flags, data[1],
	      chunk_sizes[(flags >> 2) & 3]);
	FUZZ_CHECK(whole.digest == split.digest);
	FUZZ_CHECK(whole.responses == split.responses);
	FUZZ_CHECK((whole.error == NULL) == (split.error == NULL));
	if (whole.error)
		FUZZ_CHECK(strcmp(whole.error, split.error) == 0);
	return 0;
}
