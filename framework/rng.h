/*
 * Small seeded random number generation: splitmix64 to seed, xoshiro256**
 * to draw, and the distributions the arrival schedules need.
 */
#ifndef PG_RNG_H
#define PG_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct pg_rng {
	uint64_t s[4];
} pg_rng;

static inline uint64_t pg_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Seeds a generator from a seed and a stream number (e.g. a worker index). */
static inline void pg_rng_seed(pg_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = pg_splitmix64(&x);
}

static inline uint64_t pg_rng_u64(pg_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* Uniform in (0, 1): never exactly 0, so logs are finite. */
static inline double pg_rng_unit(pg_rng *r)
{
	return ((double)(pg_rng_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Exponential with mean 1. */
static inline double pg_rng_exp(pg_rng *r)
{
	return -log(pg_rng_unit(r));
}

/* Standard normal (Box-Muller; one value per call). */
static inline double pg_rng_normal(pg_rng *r)
{
	return sqrt(-2.0 * log(pg_rng_unit(r))) * cos(6.283185307179586 * pg_rng_unit(r));
}

/* Gamma with shape k and mean 1 (Marsaglia and Tsang; for k < 1 a
 * Gamma(k + 1) draw times U^(1/k)). */
static inline double pg_rng_gamma_mean1(pg_rng *r, double k)
{
	double shape = k < 1.0 ? k + 1.0 : k;
	double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d), x, v, u, g;

	for (;;) {
		do {
			x = pg_rng_normal(r);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		u = pg_rng_unit(r);
		if (u < 1.0 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
			break;
	}
	g = d * v;
	if (k < 1.0)
		g *= pow(pg_rng_unit(r), 1.0 / k);
	return g / k;
}

#endif
