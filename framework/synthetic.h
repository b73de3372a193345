/*
 * Synthetic workloads: prompts of pseudo-random words whose lengths are
 * drawn from token-count distributions, for tests that need a controlled
 * input/output length mix rather than real text. A prompt of n "tokens" is
 * n words separated by single spaces, which is what perfgate's mock counts
 * as n input tokens; a real tokenizer counts differently (a word of the
 * `words` vocabulary is usually one BPE token, a 1-4 digit number one or
 * two).
 */
#ifndef PG_SYNTHETIC_H
#define PG_SYNTHETIC_H

#include <stdint.h>

#include "rng.h"
#include "suite.h"
#include "yaml_tree.h"

/* Bounds of every drawn token count and of a synthetic source's size. */
#define PG_SYNTH_MAX_TOKENS 1000000
#define PG_SYNTH_MAX_COUNT 1000000
/* Most words one synthetic source may generate in all (prefixes included):
 * at most 8 bytes a word, so at most 256 MB of text. */
#define PG_SYNTH_MAX_WORDS (32 * 1024 * 1024)
/* Most points of an `empirical` distribution. */
#define PG_DIST_MAX_POINTS 10000

typedef enum pg_dist_kind {
	PG_DIST_NONE = 0,      /* not given */
	PG_DIST_FIXED = 1,     /* always a */
	PG_DIST_UNIFORM = 2,   /* integers in [a, b], each equally likely */
	PG_DIST_NORMAL = 3,    /* mean a, standard deviation b, rounded */
	PG_DIST_LOGNORMAL = 4, /* lognormal whose own mean is a and stddev b, rounded */
	PG_DIST_EMPIRICAL = 5  /* values[i] with probability weights[i] / sum */
} pg_dist_kind;

/* A distribution of token counts; every draw is clamped to
 * [1, PG_SYNTH_MAX_TOKENS]. */
typedef struct pg_dist {
	pg_dist_kind kind;
	double a, b;
	double mu, sigma; /* lognormal: the log's mean and deviation, from a and b */
	int64_t *values;  /* empirical: n values */
	double *cum;	  /* empirical: running sums of the weights */
	size_t n;
} pg_dist;

typedef enum pg_vocab {
	PG_VOCAB_WORDS = 0,  /* short lower-case English words */
	PG_VOCAB_NUMBERS = 1 /* decimal numbers 0-9999 */
} pg_vocab;

typedef struct pg_synthetic {
	pg_dist input;	       /* input_tokens: required */
	pg_dist output;	       /* output_tokens: each item's max_tokens; NONE: the workload's */
	int64_t count;	       /* items, default 1000 */
	int64_t shared_prefix; /* words put before every prompt, default 0 */
	pg_vocab vocab;	       /* default words */
} pg_synthetic;

/* Reads a distribution: an integer (fixed) or a mapping with one of
 * {fixed: N}, {uniform: [LO, HI]}, {normal: {mean, stddev}},
 * {lognormal: {mean, stddev}}, {empirical: [[VALUE, WEIGHT], ...]}. what
 * names the key in messages. Free with pg_dist_clear. */
int pg_dist_from_yaml(pg_dist *out, const pg_yaml_node *n, const char *what);
/* One draw, clamped to [1, PG_SYNTH_MAX_TOKENS]. */
int64_t pg_dist_draw(const pg_dist *d, pg_rng *r);
/* Frees an empirical distribution's arrays; d is left NONE. */
void pg_dist_clear(pg_dist *d);

/* Reads a `synthetic:` mapping (errors name file:line:col). Free with
 * pg_synthetic_clear. */
int pg_synthetic_from_yaml(pg_synthetic *out, const pg_yaml_node *map);
/* Appends s->count generated prompts to w. The token counts and the words
 * come from (seed, stream), so the same arguments give the same items. at
 * marks the `synthetic:` node for the size-cap error. */
int pg_synthetic_generate(pg_workload *w, const pg_synthetic *s, uint64_t seed, uint64_t stream,
			  const pg_yaml_mark *at);
void pg_synthetic_clear(pg_synthetic *s);

#endif
