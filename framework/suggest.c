/* "Did you mean": the closest candidate by optimal-string-alignment distance. */
#include "suggest.h"

#include <string.h>

/* Words longer than this get no suggestion (the rows below live on the stack). */
#define SUGGEST_MAX_LEN 64

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Edit distance counting insertions, deletions, substitutions and swaps of
 * two adjacent characters; returns limit + 1 as soon as it exceeds limit. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb, size_t limit)
{
	size_t rows[3][SUGGEST_MAX_LEN + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *tmp;
	size_t i, j, best;

	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		best = cur[0];
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
			if (cur[j] < best)
				best = cur[j];
		}
		if (best > limit)
			return limit + 1;
		tmp = prev2;
		prev2 = prev;
		prev = cur;
		cur = tmp;
	}
	return prev[lb];
}

const char *pg_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t len, limit, best_d, i;

	if (word == NULL || candidates == NULL)
		return NULL;
	len = strlen(word);
	if (len > SUGGEST_MAX_LEN)
		return NULL;
	limit = len / 3 > 1 ? len / 3 : 1;
	best_d = limit + 1;
	for (i = 0; i < n; i++) {
		size_t clen, d;

		if (candidates[i] == NULL)
			continue;
		clen = strlen(candidates[i]);
		if (clen > SUGGEST_MAX_LEN)
			continue;
		d = distance(word, len, candidates[i], clen, limit);
		if (d < best_d) { /* strict: ties keep the first candidate */
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}
