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
 * input_tokens) x speed, times a jitter factor drawn from *rng when
 * jitter > 0. */
pg_ns pg_mock_prefill_ns(const pg_mock_config *cfg, int64_t input_tokens, uint64_t *rng);
/* Time between two tokens when `active` sequences hold a slot:
 * decode_ms x (1 + batch_slowdown x (active - 1)) x speed, times a jitter
 * factor. */
pg_ns pg_mock_decode_ns(const pg_mock_config *cfg, int64_t active, uint64_t *rng);
/* Time a request waits before it joins the queue: first_byte_delay_ms x
 * speed (no jitter). */
pg_ns pg_mock_first_byte_delay_ns(const pg_mock_config *cfg);

/* The speed a server runs with: cfg->speed x exp(run_noise x z), where z
 * is one standard normal draw from the seed, clamped to [-3, 3]; so the
 * factor lies in [exp(-3 run_noise), exp(3 run_noise)] and is exactly 1
 * when run_noise is 0. The same seed always gives the same value. */
double pg_mock_run_speed(const pg_mock_config *cfg);

/* What happens to a completion request, decided before it is queued. */
typedef enum pg_mock_fault {
	PG_MOCK_FAULT_NONE = 0,
	PG_MOCK_FAULT_ERROR,	   /* 500 at once */
	PG_MOCK_FAULT_RATE_LIMIT,  /* 429 with Retry-After at once */
	PG_MOCK_FAULT_UNAVAILABLE, /* 503 with Retry-After at once */
	PG_MOCK_FAULT_STALL,	   /* stops sending after stall_after tokens */
	PG_MOCK_FAULT_RESET,	   /* TCP reset after reset_after tokens */
	PG_MOCK_FAULT_MALFORMED,   /* a non-JSON data line after the first token */
	PG_MOCK_FAULT_MIDSTREAM	   /* an error event and [DONE] after the first token */
} pg_mock_fault;

/* The fault of request number reqno: seven independent uniform draws from
 * a PRNG seeded by (seed, reqno), one per rate in the order of the enum;
 * the first draw below its rate wins. A pure function of its arguments. */
pg_mock_fault pg_mock_fault_draw(const pg_mock_config *cfg, uint64_t reqno);
/* How many tokens a request that will answer output_tokens tokens sends
 * before fault f acts: min(stall_after or reset_after, output_tokens) for a
 * stall or reset, 1 for a malformed line or a mid-stream error, -1 for the
 * others (which act before any token). */
int64_t pg_mock_fault_after(const pg_mock_config *cfg, pg_mock_fault f, int64_t output_tokens);

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
