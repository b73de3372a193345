/*
 * Drawing the final item sequence: a seeded shuffle of one source, or a
 * weighted mix of several. Copies are counted against PG_WORKLOAD_MAX_TEXT
 * so a large sample of long prompts is refused instead of filling memory.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "rng.h"
#include "workload.h"

/* Stream of the sampling generator; sources use streams from 1. */
#define SAMPLE_STREAM 0

static size_t text_bytes(const pg_prompt *p)
{
	return (p->prompt ? strlen(p->prompt) : 0) +
	       (p->messages_json ? strlen(p->messages_json) : 0) +
	       (p->expected ? strlen(p->expected) : 0) +
	       (p->metadata_json ? strlen(p->metadata_json) : 0);
}

/* The mean text of a source's items, in bytes. */
static double mean_text(const pg_workload *w)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < w->n_items; i++)
		sum += (double)text_bytes(&w->items[i]);
	return w->n_items > 0 ? sum / (double)w->n_items : 0;
}

static int too_much_text(void)
{
	pg_error_set("the workload would hold more than %zu MB of prompt text (copies included); "
		     "draw fewer items",
		     PG_WORKLOAD_MAX_TEXT / (1024 * 1024));
	return PG_ELIMIT;
}

static char *dup_or_null(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = 1;
	return d;
}

/* Appends a copy of p to w, counting its text in *text against the cap.
 * (Callers first refuse draws whose expected size is over the cap, so this
 * rarely copies far before refusing.) */
static int copy_item(pg_workload *w, const pg_prompt *p, size_t *text)
{
	size_t bytes = text_bytes(p);
	pg_prompt c = {0};
	int failed = 0;

	if (bytes > PG_WORKLOAD_MAX_TEXT - *text)
		return too_much_text();
	*text += bytes;
	c.prompt = dup_or_null(p->prompt, &failed);
	c.messages_json = dup_or_null(p->messages_json, &failed);
	c.expected = dup_or_null(p->expected, &failed);
	c.metadata_json = dup_or_null(p->metadata_json, &failed);
	c.max_tokens = p->max_tokens;
	if (failed) {
		pg_workload_item_clear(&c);
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	return pg_workload_take(w, &c);
}

/* Frees w's items, keeping its other fields. */
static void clear_items(pg_workload *w)
{
	size_t i;

	for (i = 0; i < w->n_items; i++)
		pg_workload_item_clear(&w->items[i]);
	free(w->items);
	w->items = NULL;
	w->n_items = 0;
}

static void shuffle(size_t *perm, size_t n, pg_rng *r)
{
	size_t i, j, t;

	for (i = n; i > 1; i--) { /* Fisher-Yates */
		j = (size_t)(pg_rng_unit(r) * (double)i);
		if (j >= i)
			j = i - 1;
		t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
}

int pg_workload_sample(pg_workload *w, int64_t n, uint64_t seed)
{
	int move = (uint64_t)n <= w->n_items; /* each item at most once: move, not copy */
	size_t *perm, i, pos, text = 0;
	pg_workload out = {0};
	pg_prompt *item;
	int64_t k;
	pg_rng r;
	int rc = 0;

	if (w->n_items == 0 || n < 1) {
		pg_error_set("nothing to sample");
		return PG_EINVAL;
	}
	if (!move && mean_text(w) * (double)n > (double)PG_WORKLOAD_MAX_TEXT)
		return too_much_text();
	perm = malloc(w->n_items * sizeof(*perm));
	if (perm == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	for (i = 0; i < w->n_items; i++)
		perm[i] = i;
	pg_rng_seed(&r, seed, SAMPLE_STREAM);
	pos = w->n_items;
	for (k = 0; k < n && rc == 0; k++) {
		if (pos == w->n_items) {
			shuffle(perm, w->n_items, &r);
			pos = 0;
		}
		item = &w->items[perm[pos++]];
		rc = move ? pg_workload_take(&out, item) : copy_item(&out, item, &text);
	}
	free(perm);
	if (rc < 0) {
		clear_items(&out);
		return rc;
	}
	clear_items(w);
	w->items = out.items;
	w->n_items = out.n_items;
	return 0;
}

int pg_workload_mix(pg_workload *w, const pg_workload *src, const double *weight, size_t n_src,
		    int64_t sample, uint64_t seed)
{
	double total = 0, u, *current = NULL;
	size_t *next = NULL, i, best, text = 0;
	int64_t k, n = sample;
	pg_rng r;
	int rc = 0;

	for (i = 0; i < n_src; i++) {
		if (src[i].n_items == 0 || !(weight[i] > 0)) {
			pg_error_set("mix source %zu has no items or no weight", i + 1);
			return PG_EINVAL;
		}
		total += weight[i];
	}
	if (n_src == 0) {
		pg_error_set("a mix needs at least one source");
		return PG_EINVAL;
	}
	if (sample <= 0)
		for (i = 0, n = 0; i < n_src; i++)
			n += (int64_t)src[i].n_items;
	for (i = 0, u = 0; i < n_src; i++) /* the expected size of the draws */
		u += weight[i] / total * mean_text(&src[i]) * (double)n;
	if (u > (double)PG_WORKLOAD_MAX_TEXT)
		return too_much_text();
	current = calloc(n_src, sizeof(*current));
	next = calloc(n_src, sizeof(*next));
	if (current == NULL || next == NULL) {
		pg_error_set("out of memory");
		rc = PG_ENOMEM;
		goto done;
	}
	pg_rng_seed(&r, seed, SAMPLE_STREAM);
	for (k = 0; k < n && rc == 0; k++) {
		if (sample > 0) {
			/* a source by weight, then one of its items */
			u = pg_rng_unit(&r) * total;
			for (best = 0; best + 1 < n_src && u >= weight[best]; best++)
				u -= weight[best];
			next[best] = (size_t)(pg_rng_unit(&r) * (double)src[best].n_items);
			if (next[best] >= src[best].n_items)
				next[best] = src[best].n_items - 1;
		} else {
			/* smooth weighted round robin: the source furthest behind its
			 * share goes next (ties to the first) */
			for (i = 0, best = 0; i < n_src; i++) {
				current[i] += weight[i];
				if (current[i] > current[best])
					best = i;
			}
			current[best] -= total;
		}
		rc = copy_item(w, &src[best].items[next[best]], &text);
		if (sample <= 0)
			next[best] = (next[best] + 1) % src[best].n_items;
	}
done:
	free(current);
	free(next);
	return rc;
}
