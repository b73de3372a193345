/*
 * mock: an embedded, deterministic, OpenAI-compatible simulated model
 * server. It runs in process for mock:// targets and on a TCP port for
 * `perfgate mock`. It models a serving engine: prefill time per input
 * token, per-token decode time that grows with the number of active
 * sequences (continuous batching), a cap on concurrent sequences with a
 * FIFO queue behind it, SSE streaming with a usage chunk, and max_tokens.
 *
 * It can also misbehave on purpose, deterministically: every valid
 * completion request (chat or text) gets a sequence number (1, 2, ...; it
 * is also in the answer's id, "chatcmpl-mock-N") and its fate is a pure
 * function of (seed, sequence number), never of timing. Faults are drawn in
 * a fixed order (error, rate limit, unavailable, stall, reset, malformed,
 * mid-stream error), each an independent draw; the first that fires wins.
 * /v1/models and invalid requests (400) never get a fault.
 *  - error, rate limit, unavailable: 500, 429 or 503 at once, before the
 *    queue; 429 and 503 carry Retry-After: retry_after_s.
 *  - stall: after stall_after tokens the answer stops and its slot is
 *    freed; the connection stays open until the client leaves.
 *  - reset: after reset_after tokens the TCP connection is reset (RST).
 *    Both count min(after, answer length) tokens; a non-streamed answer
 *    stalls or is reset with nothing sent.
 *  - malformed: a data line that is not JSON follows the first token, then
 *    the stream goes on; a non-streamed answer is JSON cut off midway.
 *  - mid-stream error: an {"error":...} event and [DONE] follow the first
 *    token; a non-streamed answer is a 500 after the first token's time.
 * Timing: every delay (ttft_ms, prefill_us, decode_ms, first_byte_delay_ms)
 * is multiplied by the effective speed (a time multiplier: 2 runs twice as
 * slow). first_byte_delay_ms holds a request before it joins the queue (no
 * slot held), like a slow gateway. truth_log appends one line per finished
 * answer (completed, malformed or mid-stream error; never an injected HTTP
 * error, a stall or a reset): "<seq> <first_ns> <last_ns> <tokens>", the
 * CLOCK_MONOTONIC times right after the write that handed the first token
 * (a non-streamed answer's first byte) and the last byte to the socket.
 * Lines are buffered (64 KiB) and written out when the buffer fills and at
 * stop.
 */
#ifndef PG_MOCK_H
#define PG_MOCK_H

#include <stdint.h>

#include "perfgate/common.h"

/* Longest truth_log path, terminating NUL included. */
#define PG_MOCK_PATH_MAX 4096

typedef struct pg_mock_config {
	unsigned int version;
	double decode_ms;      /* time per output token at one active sequence */
	double prefill_us;     /* prefill time per input token */
	double ttft_ms;	       /* fixed extra time before the first token */
	double batch_slowdown; /* decode time x (1 + batch_slowdown x (active-1)) */
	int64_t slots;	       /* max concurrently decoding sequences */
	int64_t output_tokens; /* tokens per answer; 0: max_tokens (or 16 if absent) */
	uint64_t seed;	       /* seeds every random choice */
	double jitter;	       /* relative per-token timing noise, 0..1 (0: exact) */
	/* Fault fractions, each 0..1 of completion requests (version 2 on). */
	double error_rate;	     /* answered 500 at once, before queueing */
	double rate_limit_rate;	     /* answered 429 + Retry-After at once */
	double unavailable_rate;     /* answered 503 + Retry-After at once */
	double stall_rate;	     /* stop after stall_after tokens, hold the connection */
	double reset_rate;	     /* TCP reset (RST) after reset_after tokens */
	double malformed_rate;	     /* one non-JSON SSE data line after the first token */
	double midstream_error_rate; /* an error event and [DONE] after the first token */
	int64_t retry_after_s;	     /* Retry-After of injected 429 and 503, seconds */
	int64_t stall_after;	     /* tokens sent before a stall */
	int64_t reset_after;	     /* tokens sent before a reset */
	double first_byte_delay_ms;  /* wait before a request joins the queue (adds to TTFT) */
	double speed;		     /* time multiplier on every delay: 2 = twice as slow */
	double run_noise;	     /* sigma of a lognormal per-run factor on speed (0: none) */
	char truth_log[PG_MOCK_PATH_MAX]; /* "" or a file: one line per finished request */
	int64_t ignore_max_tokens;   /* 1: answer output_tokens even past max_tokens, like a
				      * server that ignores the limit */
} pg_mock_config;

#define PG_MOCK_CONFIG_VERSION 2
/* Every default; the fields left out (the fault rates, first_byte_delay_ms,
 * run_noise, truth_log) are 0 or "". */
#define PG_MOCK_CONFIG_INIT                                                                        \
	{                                                                                          \
		.version = PG_MOCK_CONFIG_VERSION, .decode_ms = 5.0, .prefill_us = 20.0,           \
		.ttft_ms = 0.0, .batch_slowdown = 0.0, .slots = 64, .output_tokens = 0, .seed = 1, \
		.jitter = 0.0, .retry_after_s = 1, .stall_after = 2, .reset_after = 2,             \
		.speed = 1.0,                                                                      \
	}

/* Applies "key=value&key=value" (a mock:// URL's query, or one
 * `perfgate mock KEY=VALUE` argument) to *cfg, all or nothing. Unknown keys
 * and bad values fail with PG_EINVAL and a message naming the key (an
 * unknown key's message lists every known key). Values are taken as they
 * are (no %-decoding). */
int pg_mock_config_parse(pg_mock_config *cfg, const char *query);

typedef struct pg_mock_server pg_mock_server;

/* Starts a server on host:port (port 0 picks a free port) in its own
 * thread and event loop; returns once it is accepting. Opens cfg's
 * truth_log for appending (PG_EIO when it cannot). Free with pg_mock_stop,
 * which stops the thread, writes out the truth log and releases
 * everything. */
int pg_mock_start(pg_mock_server **out, const pg_mock_config *cfg, const char *host, int port);
/* The port the server is listening on. */
int pg_mock_port(const pg_mock_server *m);
/* The time multiplier the server runs with: speed x the run-noise factor
 * drawn once from the seed (exp(run_noise x z), z a standard normal draw
 * clamped to [-3, 3]); exactly speed when run_noise is 0. 0 for NULL. */
double pg_mock_effective_speed(const pg_mock_server *m);
void pg_mock_stop(pg_mock_server *m);

/* Serves in the calling thread until SIGINT or SIGTERM (for `perfgate mock`).
 * Prints "perfgate mock listening on http://HOST:PORT/v1" on stdout, then
 * "perfgate mock effective speed X (...)", and flushes once accepting. */
int pg_mock_serve(const pg_mock_config *cfg, const char *host, int port);

#endif
