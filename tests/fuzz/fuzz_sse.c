/*
 * Fuzz target: the incremental SSE parser (plugins/common/sse.h) and the
 * NDJSON line splitter (plugins/common/ndjson.h).
 *
 * Input: byte 0 is flags, byte 1 a split seed, the rest is the stream.
 *   flags bits 0-1: largest chunk (1, 7, 64 or 4096 bytes)
 *   flags bit 2:    a small line cap (61 bytes) instead of the default
 *   flags bit 7:    stop (callback returns non-zero) after (bits 3-5) + 1
 *                   events; text seeds have bit 7 clear and never stop
 * The stream is parsed once whole and once split into chunks; both parses
 * must report the same events, the same result and the same "cut" flag,
 * since the parsers promise that bytes may be split anywhere. A second
 * stream on the same parser after finish must parse the same way again.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "ndjson.h"
#include "sse.h"

#define SMALL_CAP 61

typedef struct run_result {
	uint64_t digest;
	size_t events;
	int rc;	     /* first non-zero feed result, else 0 */
	int finish;  /* pg_sse_finish / pg_ndjson_finish result; -99 when not called */
	size_t stop; /* stop after this many events; 0: never */
	size_t cap;
} run_result;

static const size_t chunk_sizes[4] = {1, 7, 64, 4096};

static int on_event(void *ctx, const char *event, const char *data, size_t len)
{
	run_result *r = ctx;

	FUZZ_CHECK(event != NULL && data != NULL);
	FUZZ_CHECK(data[len] == '\0');
	FUZZ_CHECK(len <= r->cap);
	FUZZ_CHECK(strlen(event) <= r->cap);
	r->digest = fuzz_hash(r->digest, event, strlen(event) + 1);
	r->digest = fuzz_hash_i64(r->digest, (int64_t)len);
	r->digest = fuzz_hash(r->digest, data, len);
	r->events++;
	return r->stop && r->events == r->stop ? 7 : 0;
}

static int on_line(void *ctx, const char *line, size_t len)
{
	run_result *r = ctx;
	size_t i;
	int blank = 1;

	FUZZ_CHECK(line != NULL && line[len] == '\0');
	FUZZ_CHECK(len > 0 && len <= r->cap);
	FUZZ_CHECK(memchr(line, '\n', len) == NULL);
	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			blank = 0;
	FUZZ_CHECK(!blank);
	r->digest = fuzz_hash_i64(r->digest, (int64_t)len);
	r->digest = fuzz_hash(r->digest, line, len);
	r->events++;
	return r->stop && r->events == r->stop ? 9 : 0;
}

static void result_init(run_result *r, size_t stop, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->digest = FUZZ_HASH_INIT;
	r->finish = -99;
	r->stop = stop;
	r->cap = cap;
}

static int same(const run_result *a, const run_result *b)
{
	return a->digest == b->digest && a->events == b->events && a->rc == b->rc &&
	       a->finish == b->finish;
}

/* One SSE stream through p, whole (max_chunk 0) or chunked. */
static void sse_stream(run_result *r, pg_sse *p, const char *s, size_t len, uint32_t seed,
		       size_t max_chunk)
{
	fuzz_chunker ch;
	size_t off, n;

	if (max_chunk == 0) {
		r->rc = pg_sse_feed(p, s, len, on_event, r);
	} else {
		fuzz_chunker_init(&ch, seed, max_chunk, len);
		while (r->rc == 0 && fuzz_chunker_next(&ch, &off, &n))
			r->rc = pg_sse_feed(p, s + off, n, on_event, r);
	}
	if (r->rc == -1)
		FUZZ_CHECK(pg_sse_feed(p, "data: x\n\n", 9, on_event, r) == -1); /* stays broken */
	if (r->rc == 0)
		r->finish = pg_sse_finish(p);
}

static void ndjson_stream(run_result *r, pg_ndjson *p, const char *s, size_t len, uint32_t seed,
			  size_t max_chunk)
{
	fuzz_chunker ch;
	size_t off, n;

	if (max_chunk == 0) {
		r->rc = pg_ndjson_feed(p, s, len, on_line, r);
	} else {
		fuzz_chunker_init(&ch, seed, max_chunk, len);
		while (r->rc == 0 && fuzz_chunker_next(&ch, &off, &n))
			r->rc = pg_ndjson_feed(p, s + off, n, on_line, r);
	}
	if (r->rc == -1)
		FUZZ_CHECK(pg_ndjson_feed(p, "{}\n", 3, on_line, r) == -1);
	/* finish also resets a broken splitter, so it is called in every case
	 * except a stop asked by the callback (the caller then abandons it) */
	if (r->rc == 0 || r->rc == -1)
		r->finish = pg_ndjson_finish(p, on_line, r);
}

static void check_sse(const char *s, size_t len, uint32_t seed, size_t max_chunk, size_t cap,
		      size_t stop)
{
	pg_sse *whole = pg_sse_new(cap == SMALL_CAP ? cap : 0);
	pg_sse *split = pg_sse_new(cap == SMALL_CAP ? cap : 0);
	run_result a, b, again;

	if (!whole || !split)
		goto done;
	result_init(&a, stop, cap);
	result_init(&b, stop, cap);
	sse_stream(&a, whole, s, len, seed, 0);
	sse_stream(&b, split, s, len, seed, max_chunk);
	FUZZ_CHECK(same(&a, &b));
	if (stop == 0 && a.rc == 0) {
		/* after finish the parser takes a new stream (BOM included) */
		result_init(&again, stop, cap);
		sse_stream(&again, split, s, len, seed ^ 0x5555u, max_chunk);
		FUZZ_CHECK(same(&a, &again));
	}
done:
	pg_sse_free(whole);
	pg_sse_free(split);
}

static void check_ndjson(const char *s, size_t len, uint32_t seed, size_t max_chunk, size_t cap,
			 size_t stop)
{
	pg_ndjson *whole = pg_ndjson_new(cap == SMALL_CAP ? cap : 0);
	pg_ndjson *split = pg_ndjson_new(cap == SMALL_CAP ? cap : 0);
	run_result a, b, again;

	if (!whole || !split)
		goto done;
	result_init(&a, stop, cap);
	result_init(&b, stop, cap);
	ndjson_stream(&a, whole, s, len, seed, 0);
	ndjson_stream(&b, split, s, len, seed, max_chunk);
	FUZZ_CHECK(same(&a, &b));
	if (stop == 0) {
		result_init(&again, stop, cap);
		ndjson_stream(&again, split, s, len, seed ^ 0x5555u, max_chunk);
		FUZZ_CHECK(same(&a, &again));
	}
done:
	pg_ndjson_free(whole);
	pg_ndjson_free(split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags;
	uint32_t seed;
	size_t cap, stop, max_chunk;

	if (size < 2)
		return 0;
	flags = data[0];
	seed = data[1];
	max_chunk = chunk_sizes[flags & 3];
	cap = (flags & 4) ? SMALL_CAP : (size_t)1024 * 1024;
	stop = (flags & 0x80) ? (size_t)((flags >> 3) & 7) + 1 : 0;
	check_sse((const char *)data + 2, size - 2, seed, max_chunk, cap, stop);
	check_ndjson((const char *)data + 2, size - 2, seed, max_chunk, cap, stop);
	return 0;
}
