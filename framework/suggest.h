/* "Did you mean" suggestions for misspelt keys and names. */
#ifndef PG_SUGGEST_H
#define PG_SUGGEST_H

#include <stddef.h>

/* Returns the candidate closest to word by edit distance when it is close
 * enough to be a plausible typo (distance <= max(1, len/3)), else NULL.
 * The returned pointer is one of candidates. */
const char *pg_suggest(const char *word, const char *const *candidates, size_t n);

#endif
