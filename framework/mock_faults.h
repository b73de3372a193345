/*
 * mock_faults: the parts of the mock server (framework/mock.c) that
 * misbehave or keep score on purpose: the injected HTTP error answers, the
 * injected SSE events, the TCP reset, and the truth log (when each answer's
 * first and last bytes really went to the socket). Internal to the host.
 */
#ifndef PG_MOCK_FAULTS_H
#define PG_MOCK_FAULTS_H

#include <stdint.h>

#include <event2/http.h>

#include "mock_model.h"

/* The SSE event of an injected mid-stream error (followed by [DONE]). */
#define PG_MOCK_MIDSTREAM_EVENT                                                                    \
	"data: {\"error\":{\"message\":\"mock: injected mid-stream error\",\"type\":"              \
	"\"server_error\",\"code\":500}}\n\n"
/* An injected malformed SSE event: a data line cut off mid-JSON. */
#define PG_MOCK_MALFORMED_EVENT "data: {\"choices\":[{\"delta\":\n\n"

/* Answers req at once with the HTTP error of fault f and an OpenAI error
 * body: PG_MOCK_FAULT_ERROR 500, PG_MOCK_FAULT_RATE_LIMIT 429 and
 * PG_MOCK_FAULT_UNAVAILABLE 503 (both with "Retry-After: retry_after_s"),
 * PG_MOCK_FAULT_MIDSTREAM 500 with the mid-stream message (a non-streamed
 * answer's form of that fault). */
void pg_mock_send_fault(struct evhttp_request *req, pg_mock_fault f, int64_t retry_after_s);

/* Hands what evcon still has buffered straight to its socket, resets the
 * TCP connection (the peer gets an RST) and frees evcon, which runs its
 * close callback first. */
void pg_mock_reset_connection(struct evhttp_connection *evcon);

/* The truth log: one line "<seq> <first_byte_ns> <last_byte_ns> <tokens>"
 * per finished answer, CLOCK_MONOTONIC times taken right after the write
 * that handed the first token's last byte (the answer's first byte when
 * not streamed), and the answer's last byte, to the socket. Lines are
 * buffered and written in blocks and at close. Used from the server's loop
 * thread only. */
typedef struct pg_mock_truth_log pg_mock_truth_log;
/* One answer being watched. */
typedef struct pg_mock_truth pg_mock_truth;

/* Opens path for appending (created 0644 when missing); PG_EIO with a
 * message when it cannot. Free with pg_mock_truth_log_close. */
int pg_mock_truth_log_open(pg_mock_truth_log **out, const char *path);
/* Writes out the buffered lines, closes the file and frees log with any
 * watch still pending. Call once every connection is gone (their close
 * callbacks free the watches they own). Returns PG_EIO with a message when
 * any write failed since the open; NULL is a no-op. */
int pg_mock_truth_log_close(pg_mock_truth_log *log);

/* Starts watching what evcon writes for the answer to request seq. The
 * caller owns *out until pg_mock_truth_end (or frees it with
 * pg_mock_truth_free). */
int pg_mock_truth_new(pg_mock_truth **out, pg_mock_truth_log *log, struct evhttp_connection *evcon,
		      uint64_t seq);
/* The first token is complete once everything evcon has buffered so far
 * is written; when nothing is buffered, once the next byte is. */
void pg_mock_truth_mark_first(pg_mock_truth *t);
/* The answer (tokens tokens) is complete once evcon's buffer is empty. Set
 * `more` when the reply call that follows still adds bytes. Ownership
 * passes to evcon: t logs its line when the last byte is written, or is
 * dropped when evcon closes first. Call after clearing evcon's close
 * callback and before the reply call. */
void pg_mock_truth_end(pg_mock_truth *t, int64_t tokens, int more);
/* Drops a watch the caller owns (its answer will not finish); NULL ok. */
void pg_mock_truth_free(pg_mock_truth *t);

#endif
