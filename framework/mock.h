/*
 * mock: an embedded, deterministic, OpenAI-compatible simulated model
 * server. It runs in process for mock:// targets and on a TCP port for
 * `perfgate mock`. It models a serving engine: prefill time per input
 * token, per-token decode time that grows with the number of active
 * sequences (continuous batching), a cap on concurrent sequences with a
 * FIFO queue behind it, SSE streaming with a usage chunk, and max_tokens.
 */
#ifndef PG_MOCK_H
#define PG_MOCK_H

#include <stdint.h>

#include "perfgate/common.h"

typedef struct pg_mock_config {
	unsigned int version;
	double decode_ms;       /* time per output token at one active sequence */
	double prefill_us;      /* prefill time per input token */
	double ttft_ms;         /* fixed extra time before the first token */
	double batch_slowdown;  /* decode time x (1 + batch_slowdown x (active-1)) */
	int64_t slots;          /* max concurrently decoding sequences */
	int64_t output_tokens;  /* tokens per answer; 0: max_tokens (or 16 if absent) */
	uint64_t seed;          /* seeds every random choice */
	double jitter;          /* relative per-token timing noise, 0..1 (0: exact) */
} pg_mock_config;

#define PG_MOCK_CONFIG_VERSION 1
#define PG_MOCK_CONFIG_INIT { PG_MOCK_CONFIG_VERSION, 5.0, 20.0, 0.0, 0.0, 64, 0, 1, 0.0 }

/* Applies "key=value&key=value" (a mock:// URL's query) to *cfg. Unknown
 * keys and bad values fail with PG_EINVAL and a message naming the key. */
int pg_mock_config_parse(pg_mock_config *cfg, const char *query);

typedef struct pg_mock_server pg_mock_server;

/* Starts a server on host:port (port 0 picks a free port) in its own
 * thread and event loop; returns once it is accepting. Free with
 * pg_mock_stop, which stops the thread and releases everything. */
int pg_mock_start(pg_mock_server **out, const pg_mock_config *cfg, const char *host, int port);
/* The port the server is listening on. */
int pg_mock_port(const pg_mock_server *m);
void pg_mock_stop(pg_mock_server *m);

/* Serves in the calling thread until SIGINT or SIGTERM (for `perfgate mock`).
 * Prints "perfgate mock listening on http://HOST:PORT/v1" on stdout and
 * flushes it once accepting. */
int pg_mock_serve(const pg_mock_config *cfg, const char *host, int port);

#endif
