/* Per-second series: worker rings and the collector. */
#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Coarse per-second histograms: 1 us .. 1 h with 2 significant digits. */
static int slot_hist(pg_hist **out)
{
	return pg_hist_new(out, 1000, INT64_C(3600000000000), 2);
}

int pg_series_ring_new(pg_series_ring **out)
{
	pg_series_ring *r = calloc(1, sizeof(*r));
	int i, rc = PG_ENOMEM;

	*out = NULL;
	if (r == NULL)
		return PG_ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	for (i = 0; i < PG_SERIES_RING; i++) {
		r->slots[i].second = -1;
		if ((rc = slot_hist(&r->slots[i].e2e)) < 0 || (rc = slot_hist(&r->slots[i].ttft)) < 0) {
			pg_series_ring_free(r);
			return rc;
		}
	}
	*out = r;
	return 0;
}

void pg_series_ring_free(pg_series_ring *r)
{
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < PG_SERIES_RING; i++) {
		pg_hist_free(r->slots[i].e2e);
		pg_hist_free(r->slots[i].ttft);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void slot_clear(pg_series_slot *s)
{
	s->second = -1;
	s->sent = s->succeeded = s->failed = s->dropped = s->late = s->in_flight_max = 0;
	pg_hist_reset(s->e2e);
	pg_hist_reset(s->ttft);
}

void pg_series_ring_record(pg_series_ring *r, int64_t second, const pg_series_event *ev)
{
	pg_series_slot *s;

	if (second < 0)
		second = 0;
	pthread_mutex_lock(&r->lock);
	s = &r->slots[second % PG_SERIES_RING];
	if (s->second != second) {
		if (s->second >= 0)
			r->overruns++; /* the collector never took this second */
		slot_clear(s);
		s->second = second;
	}
	s->sent += ev->sent;
	s->succeeded += ev->succeeded;
	s->failed += ev->failed;
	s->dropped += ev->dropped;
	s->late += ev->late;
	if (ev->in_flight > s->in_flight_max)
		s->in_flight_max = ev->in_flight;
	/* the histograms start at 1 us: shorter values are counted as 1 us */
	if (ev->e2e >= 0)
		pg_hist_record(s->e2e, ev->e2e < 1000 ? 1000 : ev->e2e);
	if (ev->ttft >= 0)
		pg_hist_record(s->ttft, ev->ttft < 1000 ? 1000 : ev->ttft);
	pthread_mutex_unlock(&r->lock);
}

int pg_series_new(pg_series **out)
{
	pg_series *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (s == NULL)
		return PG_ENOMEM;
	if ((rc = slot_hist(&s->tmp_e2e)) < 0 || (rc = slot_hist(&s->tmp_ttft)) < 0) {
		pg_series_free(s);
		return rc;
	}
	s->batch_from = 0;
	s->batch_to = INT64_MAX;
	s->batch_width = 1;
	*out = s;
	return 0;
}

void pg_series_set_window(pg_series *s, int64_t from, int64_t to)
{
	s->batch_from = from < 0 ? 0 : from;
	s->batch_to = to;
}

/* Merges batch src into dst (both allocated or empty). */
static int batch_merge(pg_series_batch *dst, pg_series_batch *src)
{
	dst->succeeded += src->succeeded;
	dst->failed += src->failed;
	src->succeeded = src->failed = 0;
	if (src->e2e == NULL)
		return 0;
	if (dst->e2e == NULL) {
		dst->e2e = src->e2e;
		dst->ttft = src->ttft;
		src->e2e = src->ttft = NULL;
		return 0;
	}
	pg_hist_merge(dst->e2e, src->e2e);
	pg_hist_merge(dst->ttft, src->ttft);
	pg_hist_reset(src->e2e);
	pg_hist_reset(src->ttft);
	return 0;
}

/* Halves the number of batches by merging adjacent pairs. */
static void batches_fold(pg_series *s)
{
	size_t i;

	for (i = 0; i < PG_SERIES_BATCHES / 2; i++) {
		if (i != 2 * i)
			batch_merge(&s->batches[i], &s->batches[2 * i]);
		batch_merge(&s->batches[i], &s->batches[2 * i + 1]);
	}
	s->batch_width *= 2;
	s->n_batches = (s->n_batches + 1) / 2;
}

/* Adds one collected second to its batch. */
static int batch_add(pg_series *s, const pg_series_row *row)
{
	pg_series_batch *b;
	int64_t k;
	int rc;

	if (row->second < s->batch_from || row->second >= s->batch_to)
		return 0;
	k = (row->second - s->batch_from) / s->batch_width;
	while (k >= PG_SERIES_BATCHES) {
		batches_fold(s);
		k = (row->second - s->batch_from) / s->batch_width;
	}
	b = &s->batches[k];
	if (b->e2e == NULL && ((rc = slot_hist(&b->e2e)) < 0 || (rc = slot_hist(&b->ttft)) < 0))
		return rc;
	b->succeeded += row->succeeded;
	b->failed += row->failed;
	pg_hist_merge(b->e2e, s->tmp_e2e);
	pg_hist_merge(b->ttft, s->tmp_ttft);
	if ((size_t)k + 1 > s->n_batches)
		s->n_batches = (size_t)k + 1;
	return 0;
}

void pg_series_free(pg_series *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < PG_SERIES_BATCHES; i++) {
		pg_hist_free(s->batches[i].e2e);
		pg_hist_free(s->batches[i].ttft);
	}
	pg_hist_free(s->tmp_e2e);
	pg_hist_free(s->tmp_ttft);
	free(s->rows);
	free(s);
}

static double q_or_nan(const pg_hist *h, double q)
{
	return pg_hist_count(h) ? (double)pg_hist_quantile(h, q) : NAN;
}

int pg_series_collect(pg_series *s, pg_series_ring *const *rings, size_t n_rings, int64_t up_to)
{
	size_t i;

	for (; s->next_second < up_to; s->next_second++) {
		int64_t sec = s->next_second;
		pg_series_row *row;

		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			pg_series_row *rows = realloc(s->rows, cap * sizeof(*rows));

			if (rows == NULL)
				return PG_ENOMEM;
			s->rows = rows;
			s->cap = cap;
		}
		row = &s->rows[s->n++];
		memset(row, 0, sizeof(*row));
		row->second = sec;
		pg_hist_reset(s->tmp_e2e);
		pg_hist_reset(s->tmp_ttft);
		for (i = 0; i < n_rings; i++) {
			pg_series_ring *r = rings[i];
			pg_series_slot *slot;

			pthread_mutex_lock(&r->lock);
			slot = &r->slots[sec % PG_SERIES_RING];
			if (slot->second == sec) {
				row->sent += slot->sent;
				row->succeeded += slot->succeeded;
				row->failed += slot->failed;
				row->dropped += slot->dropped;
				row->late += slot->late;
				row->in_flight += slot->in_flight_max;
				pg_hist_merge(s->tmp_e2e, slot->e2e);
				pg_hist_merge(s->tmp_ttft, slot->ttft);
				slot_clear(slot);
			}
			s->overruns += r->overruns;
			r->overruns = 0;
			pthread_mutex_unlock(&r->lock);
		}
		row->e2e_p50 = q_or_nan(s->tmp_e2e, 0.5);
		row->e2e_p95 = q_or_nan(s->tmp_e2e, 0.95);
		row->e2e_p99 = q_or_nan(s->tmp_e2e, 0.99);
		row->ttft_p50 = q_or_nan(s->tmp_ttft, 0.5);
		row->ttft_p95 = q_or_nan(s->tmp_ttft, 0.95);
		row->ttft_p99 = q_or_nan(s->tmp_ttft, 0.99);
		if (batch_add(s, row) < 0)
			return PG_ENOMEM;
	}
	return 0;
}
