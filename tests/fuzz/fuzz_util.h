/*
 * Small helpers shared by the libFuzzer targets (header-only, each target
 * is one translation unit): a deterministic chunker that splits an input
 * the way reads off a socket would, a digest to compare two parses of the
 * same bytes, and FUZZ_CHECK, which crashes (so libFuzzer saves the input)
 * when an invariant breaks.
 */
#ifndef PG_FUZZ_UTIL_H
#define PG_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts with a message when cond is false: a finding, not a parse error. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

/* Splits len bytes into chunks whose sizes come from a seed: 1 to max_chunk
 * bytes, with an occasional empty chunk (reads of 0 bytes happen too). */
typedef struct fuzz_chunker {
	uint32_t state;
	size_t max_chunk;
	size_t pos, len;
} fuzz_chunker;

static inline void fuzz_chunker_init(fuzz_chunker *c, uint32_t seed, size_t max_chunk, size_t len)
{
	c->state = seed * 2654435761u + 0x9E3779B9u;
	if (c->state == 0)
		c->state = 1;
	c->max_chunk = max_chunk ? max_chunk : 1;
	c->pos = 0;
	c->len = len;
}

/* The next chunk as [*off, *off + *n); 0 when the input is used up. */
static inline int fuzz_chunker_next(fuzz_chunker *c, size_t *off, size_t *n)
{
	uint32_t x = c->state;
	size_t want;

	if (c->pos >= c->len)
		return 0;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	c->state = x;
	want = (x >> 8) % 16 == 0 ? 0 : 1 + (size_t)(x % c->max_chunk);
	if (want > c->len - c->pos)
		want = c->len - c->pos;
	*off = c->pos;
	*n = want;
	c->pos += want;
	return 1;
}

/* FNV-1a, to compare what two parses of the same input reported. */
static inline uint64_t fuzz_hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static inline uint64_t fuzz_hash_i64(uint64_t h, int64_t v)
{
	return fuzz_hash(h, &v, sizeof(v));
}

#define FUZZ_HASH_INIT 14695981039346656037ull

/* Whether text shows a NULL string passed to printf's %s (glibc writes
 * "(null)"; it is undefined behaviour the sanitizers do not see), unless
 * the input itself holds that text. */
static inline int fuzz_shows_null(const char *text, const uint8_t *input, size_t size)
{
	if (text == NULL || strstr(text, "(null)") == NULL)
		return 0;
	for (size_t i = 0; i + 6 <= size; i++)
		if (memcmp(input + i, "(null)", 6) == 0)
			return 0;
	return 1;
}

/* A NUL-terminated malloc'd copy of the input (NULL when out of memory). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		if (size)
			memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
