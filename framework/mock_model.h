/*
 * mock_model: the simulation behind the mock server (framework/mock.c),
 * kept apart from the HTTP code so it can be read and tested alone:
 * config validation, the per-request PRNG, prefill and decode step times,
 * the deterministic token text, the input-token estimate and the parsing
 * of an OpenAI request body. Internal to the host; not a plugin API.
 */
#ifndef PG_MOCK_MODEL_H
#define PG_MOCK_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "mock.h"

/* Largest max_tokens / output_tokens the mock accepts. */
#define PG_MOCK_MAX_TOKENS INT64_C(1000000)
/* Model name reported by GET /v1/models and used when a request has none. */
#define PG_MOCK_MODEL_NAME "mock-model"

/* Checks every field of cfg against its documented range (PG_EINVAL with a
 * message naming the field when one is out of range). */
int pg_mock_config_check(const pg_mock_config *cfg);

/* Starting state of the PRNG for request number reqno (0, 1, ...): a pure
 * function of (seed, reqno), so timings never depend on thread timing. */
uint64_t pg_mock_rng_init(uint64_t seed, uint64_t reqno);
/* Next uniform double in [0, 1) from *state (splitmix64). */
double pg_mock_rng_uniform(uint64_t *state);

/* Time from admission to the first token: (ttft_ms + prefill_us x
 * input_tokens), times a jitter factor drawn from *rng when jitter > 0. */
pg_ns pg_mock_prefill_ns(const pg_mock_config *cfg, int64_t input_tokens, uint64_t *rng);
/* Time between two tokens when `active` sequences hold a slot:
 * decode_ms x (1 + batch_slowdown x (active - 1)), times a jitter factor. */
pg_ns pg_mock_decode_ns(const pg_mock_config *cfg, int64_t active, uint64_t *rng);

/* Text of output token i (0-based): a word from a fixed list followed by a
 * space, chosen by (seed, i) alone, so every request under one seed gets
 * the same text. Static storage; never NULL. */
const char *pg_mock_token_text(uint64_t seed, int64_t i);

/* Input-token estimate for a text: its count of whitespace-separated
 * words (the caller adds texts up and applies the minimum of 1). */
int64_t pg_mock_count_words(const char *s);

/* The fields of a request the mock acts on. */
typedef struct pg_mock_request {
	char *model;	       /* malloc'd; the request's model or "mock-model" */
	int chat;	       /* 1: chat/completions, 0: completions */
	int stream;	       /* "stream": true */
	int include_usage;     /* "stream_options": {"include_usage": true} */
	int64_t max_tokens;    /* max_completion_tokens or max_tokens; -1 absent */
	int64_t input_tokens;  /* word estimate of messages or prompt, >= 1 */
	int64_t output_tokens; /* tokens the answer will have, >= 1 */
	int hit_limit;	       /* 1 when output_tokens == max_tokens ("length") */
} pg_mock_request;

/* Parses a request body for the chat (chat != 0) or completions endpoint
 * and decides the answer length from cfg. On failure returns PG_EPARSE
 * (not JSON) or PG_EINVAL (a field is wrong) with a message for the
 * client; out is then empty. Free out's fields with
 * pg_mock_request_clear. */
int pg_mock_request_parse(pg_mock_request *out, const pg_mock_config *cfg, int chat,
			  const char *body, size_t len);
void pg_mock_request_clear(pg_mock_request *r);

#endif
