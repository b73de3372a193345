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
	*out = s;
	return 0;
}

void pg_series_free(pg_series *s)
{
	if (s == NULL)
		return;
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
	}
	return 0;
}
