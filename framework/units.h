/*
 * Units, parsed once: durations (ns us ms s m h), rates (/s), percentages,
 * dollars and token counts. Internally durations are integer nanoseconds,
 * percentages are fractions (0.1% -> 0.001) and money is US dollars.
 */
#ifndef PG_UNITS_H
#define PG_UNITS_H

#include <stddef.h>

#include "perfgate/common.h"

typedef enum pg_unit_kind {
	PG_UNIT_NONE = 0,     /* bare number */
	PG_UNIT_DURATION = 1, /* value in ns */
	PG_UNIT_PER_S = 2,    /* "/s", "req/s", "rps", "tokens/s", "tok/s" */
	PG_UNIT_PERCENT = 3,  /* value as a fraction: "0.1%" -> 0.001 */
	PG_UNIT_USD = 4,      /* "$0.002" (also "0.002$", "0.002 USD") */
	PG_UNIT_TOKENS = 5    /* "512 tokens", "512 tok" */
} pg_unit_kind;

typedef struct pg_quantity {
	double value; /* in the canonical unit of kind */
	pg_unit_kind kind;
	char unit[16]; /* the unit as written ("ms", "%", "/s", "$"), "" if none */
} pg_quantity;

/* Parses "<number>[ ]<unit>" (or "$<number>"). Rejects NaN, inf, empty
 * strings, trailing junk and unknown units with a message (PG_EINVAL). */
int pg_quantity_parse(pg_quantity *out, const char *text);
/* Parses a non-negative duration that must carry a unit: "300ms", "2s",
 * "1.5m". Bare numbers are rejected ("missing unit"). */
int pg_duration_parse(pg_ns *out, const char *text);
/* Formats ns with a readable unit ("812us", "3.40ms", "2.10s") into buf. */
const char *pg_duration_format(char *buf, size_t size, double ns);
/* Name of a unit kind for messages ("duration", "rate", ...). */
const char *pg_unit_kind_name(pg_unit_kind kind);

#endif
