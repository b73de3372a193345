/* Recorder: per-worker histograms and counters for one scenario. */
#include "recorder.h"

#include <stdlib.h>

#include "error.h"

int pg_recorder_new(pg_recorder **out, const pg_slo *slo)
{
	pg_recorder *r = calloc(1, sizeof(*r));
	int rc = PG_ENOMEM;

	*out = NULL;
	if (r == NULL)
		goto done;
	if ((rc = pg_hist_new_latency(&r->e2e)) < 0 || (rc = pg_hist_new_latency(&r->ttft)) < 0 ||
	    (rc = pg_hist_new_latency(&r->itl)) < 0 || (rc = pg_hist_new_latency(&r->tpot)) < 0 ||
	    (rc = pg_hist_new_latency(&r->send_lag)) < 0 ||
	    (rc = pg_hist_new_latency(&r->e2e_send)) < 0 ||
	    (rc = pg_hist_new_latency(&r->ttft_send)) < 0)
		goto done;
	if (slo != NULL)
		r->slo = *slo;
	*out = r;
	r = NULL;
	rc = 0;
done:
	pg_recorder_free(r);
	return rc;
}

void pg_recorder_free(pg_recorder *r)
{
	if (r == NULL)
		return;
	pg_hist_free(r->e2e);
	pg_hist_free(r->ttft);
	pg_hist_free(r->itl);
	pg_hist_free(r->tpot);
	pg_hist_free(r->send_lag);
	pg_hist_free(r->e2e_send);
	pg_hist_free(r->ttft_send);
	free(r);
}

static int64_t clamp_ns(pg_ns v)
{
	return v < 0 ? 0 : v;
}

int pg_recorder_add(pg_recorder *r, const pg_request_outcome *o)
{
	int64_t out_tokens;
	pg_ns e2e, ttft = -1, tpot = -1;
	int in_window, good;

	if (o->sent > 0) {
		pg_hist_record(r->send_lag, clamp_ns(o->sent - o->scheduled));
		if (o->sent - o->scheduled > PG_LATE_SEND_NS)
			r->late++;
	}
	if (o->new_connection)
		r->connections++;
	if (o->fail != PG_FAIL_NONE) {
		r->failed++;
		if (o->fail > 0 && o->fail < PG_FAIL_CLASS_COUNT)
			r->failed_by_class[o->fail]++;
		if (o->http_status > 0 && o->http_status < PG_HTTP_STATUS_MAX)
			r->http_status[o->http_status]++;
		return 0;
	}
	r->succeeded++;
	if (o->http_status > 0 && o->http_status < PG_HTTP_STATUS_MAX)
		r->http_status[o->http_status]++;
	if (o->output_tokens >= 0) {
		out_tokens = o->output_tokens;
		r->tokens_by_source[PG_TOKENS_USAGE]++;
	} else {
		out_tokens = o->content_chunks;
		r->tokens_by_source[PG_TOKENS_CHUNKS]++;
	}
	r->output_tokens += out_tokens;
	if (o->scored) {
		double sc = o->score < 0 ? 0 : o->score > 1 ? 1 : o->score;

		r->scored++;
		r->quality_sum += sc;
		r->quality_passed += o->passed ? 1 : 0;
		r->quality_buckets[(int)(sc * 1000.0 + 0.5)]++;
	}
	if (o->max_tokens > 0) {
		r->limited++;
		if (out_tokens > o->max_tokens)
			r->over_limit++;
	}
	if (o->input_tokens >= 0)
		r->input_tokens += o->input_tokens;
	e2e = clamp_ns(o->last_byte - o->scheduled);
	pg_hist_record(r->e2e, e2e);
	if (o->sent > 0)
		pg_hist_record(r->e2e_send, clamp_ns(o->last_byte - o->sent));
	if (o->first_content > 0) {
		ttft = clamp_ns(o->first_content - o->scheduled);
		pg_hist_record(r->ttft, ttft);
		if (o->sent > 0)
			pg_hist_record(r->ttft_send, clamp_ns(o->first_content - o->sent));
		if (out_tokens >= 2 && e2e >= ttft) {
			tpot = (e2e - ttft) / (out_tokens - 1);
			pg_hist_record(r->tpot, tpot);
		}
	}
	in_window = o->last_byte >= r->window_start &&
		    (r->window_end == 0 || o->last_byte <= r->window_end);
	if (in_window) {
		r->completed_in_window++;
		r->output_tokens_in_window += out_tokens;
	}
	/* goodput: every objective that is set must be met; an objective on
	 * ttft or tpot fails when the request has no such value */
	good = (r->slo.e2e == 0 || e2e <= r->slo.e2e) &&
	       (r->slo.ttft == 0 || (ttft >= 0 && ttft <= r->slo.ttft)) &&
	       (r->slo.tpot == 0 || (tpot >= 0 && tpot <= r->slo.tpot));
	if (good) {
		r->goodput++;
		if (in_window)
			r->goodput_in_window++;
	}
	return 0;
}

int pg_recorder_merge(pg_recorder *dst, const pg_recorder *src)
{
	int rc, i;

	if ((rc = pg_hist_merge(dst->e2e, src->e2e)) < 0 ||
	    (rc = pg_hist_merge(dst->ttft, src->ttft)) < 0 ||
	    (rc = pg_hist_merge(dst->itl, src->itl)) < 0 ||
	    (rc = pg_hist_merge(dst->tpot, src->tpot)) < 0 ||
	    (rc = pg_hist_merge(dst->send_lag, src->send_lag)) < 0 ||
	    (rc = pg_hist_merge(dst->e2e_send, src->e2e_send)) < 0 ||
	    (rc = pg_hist_merge(dst->ttft_send, src->ttft_send)) < 0)
		return rc;
	dst->started += src->started;
	dst->succeeded += src->succeeded;
	dst->failed += src->failed;
	for (i = 0; i < PG_FAIL_CLASS_COUNT; i++)
		dst->failed_by_class[i] += src->failed_by_class[i];
	for (i = 0; i < PG_HTTP_STATUS_MAX; i++)
		dst->http_status[i] += src->http_status[i];
	dst->completed_in_window += src->completed_in_window;
	dst->output_tokens_in_window += src->output_tokens_in_window;
	dst->output_tokens += src->output_tokens;
	dst->input_tokens += src->input_tokens;
	dst->tokens_by_source[0] += src->tokens_by_source[0];
	dst->tokens_by_source[1] += src->tokens_by_source[1];
	dst->late += src->late;
	dst->dropped += src->dropped;
	dst->cancelled += src->cancelled;
	dst->connections += src->connections;
	dst->retries += src->retries;
	dst->limited += src->limited;
	dst->scored += src->scored;
	dst->quality_passed += src->quality_passed;
	dst->quality_sum += src->quality_sum;
	for (i = 0; i < PG_QUALITY_BUCKETS; i++)
		dst->quality_buckets[i] += src->quality_buckets[i];
	dst->over_limit += src->over_limit;
	dst->goodput += src->goodput;
	dst->goodput_in_window += src->goodput_in_window;
	if (dst->window_start == 0 || (src->window_start != 0 && src->window_start < dst->window_start))
		dst->window_start = src->window_start;
	if (src->window_end > dst->window_end)
		dst->window_end = src->window_end;
	return 0;
}
