/* Tests for framework/recorder_json.c: exact round trips, merging parsed
 * parts equals recording everything in one, strict rejection of corrupt
 * state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "recorder_json.h"

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static int64_t rng_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

static const pg_slo test_slo = {300 * PG_NS_PER_MS, 20 * PG_NS_PER_MS, 2 * PG_NS_PER_S};

#define WINDOW_START (INT64_C(1000) * PG_NS_PER_S)
#define WINDOW_END (WINDOW_START + 30 * PG_NS_PER_S)

/* A random measured outcome: mostly successes with varied latencies,
 * tokens, statuses and scores; some failures of every class. */
static void random_outcome(pg_request_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->scheduled = WINDOW_START + rng_range(0, 29 * PG_NS_PER_S);
	o->sent = rng_range(0, 9) == 0 ? 0 : o->scheduled + rng_range(0, 3 * PG_NS_PER_MS);
	o->last_byte = o->scheduled + rng_range(PG_NS_PER_MS, 3 * PG_NS_PER_S);
	o->first_content =
	    rng_range(0, 7) == 0 ? 0 : o->scheduled + rng_range(1, 400 * PG_NS_PER_MS);
	o->content_chunks = rng_range(0, 200);
	o->input_tokens = rng_range(-1, 500);
	o->output_tokens = rng_range(-1, 300);
	o->new_connection = (int)rng_range(0, 1);
	o->max_tokens = rng_range(0, 1) ? rng_range(1, 256) : 0;
	o->http_status = 200;
	if (rng_range(0, 5) == 0) {
		o->fail = (pg_error_class)rng_range(1, PG_FAIL_CLASS_COUNT - 1);
		o->http_status = o->fail == PG_FAIL_HTTP ? (int)rng_range(400, 599) : 0;
	}
	if (rng_range(0, 2) == 0) {
		o->scored = 1;
		o->score = (double)rng_range(0, 1000000) / 1e6;
		o->passed = o->score > 0.5;
	}
}

static pg_recorder *new_recorder(void)
{
	pg_recorder *r = NULL;

	assert_int_equal(pg_recorder_new(&r, &test_slo), 0);
	r->window_start = WINDOW_START;
	r->window_end = WINDOW_END;
	return r;
}

/* Records the same outcome as the engine would: started, dropped and
 * retries are engine counters, ITL gaps go straight into the histogram. */
static void record(pg_recorder *r, const pg_request_outcome *o, int64_t gap)
{
	r->started++;
	r->retries += gap % 3 == 0;
	r->dropped += gap % 7 == 0;
	r->cancelled += gap % 11 == 0;
	assert_int_equal(pg_hist_record(r->itl, gap), 0);
	assert_int_equal(pg_recorder_add(r, o), 0);
}

static void assert_hist_equal(const pg_hist *a, const pg_hist *b)
{
	char *ea = NULL, *eb = NULL;

	assert_int_equal(pg_hist_encode(a, &ea), 0);
	assert_int_equal(pg_hist_encode(b, &eb), 0);
	assert_string_equal(ea, eb);
	free(ea);
	free(eb);
}

/* Every field equal: histograms by their canonical encoding, the rest
 * bit for bit. */
static void assert_recorders_equal(const pg_recorder *a, const pg_recorder *b)
{
	pg_recorder ca = *a, cb = *b;

	assert_hist_equal(a->e2e, b->e2e);
	assert_hist_equal(a->ttft, b->ttft);
	assert_hist_equal(a->itl, b->itl);
	assert_hist_equal(a->tpot, b->tpot);
	assert_hist_equal(a->send_lag, b->send_lag);
	assert_hist_equal(a->e2e_send, b->e2e_send);
	assert_hist_equal(a->ttft_send, b->ttft_send);
	ca.e2e = ca.ttft = ca.itl = ca.tpot = ca.send_lag = ca.e2e_send = ca.ttft_send = NULL;
	cb.e2e = cb.ttft = cb.itl = cb.tpot = cb.send_lag = cb.e2e_send = cb.ttft_send = NULL;
	assert_int_equal(ca.succeeded, cb.succeeded);
	assert_int_equal(ca.scored, cb.scored);
	assert_memory_equal(&ca.quality_sum, &cb.quality_sum, sizeof(double));
	assert_memory_equal(&ca, &cb, sizeof(ca));
}

/* Serializes r, writes it as text the way results files are written
 * (12 significant digits for reals) and parses it back. */
static pg_recorder *round_trip(const pg_recorder *r)
{
	json_t *j = NULL, *back;
	pg_recorder *out = NULL;
	char *text;

	assert_int_equal(pg_recorder_to_json(&j, r), 0);
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	assert_non_null(text);
	back = json_loads(text, 0, NULL);
	assert_non_null(back);
	assert_int_equal(pg_recorder_from_json(&out, back, "state"), 0);
	free(text);
	json_decref(j);
	json_decref(back);
	return out;
}

static void test_round_trip_is_exact(void **state)
{
	pg_recorder *r = new_recorder(), *back;
	pg_request_outcome o;
	int i;

	(void)state;
	rng_state = 11;
	for (i = 0; i < 5000; i++) {
		random_outcome(&o);
		record(r, &o, rng_range(0, 50 * PG_NS_PER_MS));
	}
	assert_true(r->scored > 0 && r->failed > 0 && r->quality_sum > 0);
	back = round_trip(r);
	assert_recorders_equal(r, back);
	pg_recorder_free(r);
	pg_recorder_free(back);
}

static void test_empty_recorder_round_trips(void **state)
{
	pg_recorder *r = NULL, *back;

	(void)state;
	assert_int_equal(pg_recorder_new(&r, NULL), 0);
	back = round_trip(r);
	assert_recorders_equal(r, back);
	pg_recorder_free(r);
	pg_recorder_free(back);
}

static void test_merge_of_parsed_parts_equals_recording_all_in_one(void **state)
{
	pg_recorder *whole = new_recorder(), *parts[3], *merged = new_recorder();
	pg_request_outcome o;
	int i;

	(void)state;
	rng_state = 42;
	for (i = 0; i < 3; i++)
		parts[i] = new_recorder();
	for (i = 0; i < 9000; i++) {
		int64_t gap = rng_range(0, 80 * PG_NS_PER_MS);

		random_outcome(&o);
		record(whole, &o, gap);
		record(parts[rng_range(0, 2)], &o, gap);
	}
	for (i = 0; i < 3; i++) {
		pg_recorder *back = round_trip(parts[i]);

		assert_int_equal(pg_recorder_merge(merged, back), 0);
		pg_recorder_free(back);
		pg_recorder_free(parts[i]);
	}
	/* the sum of scores may round differently in another order */
	assert_true(fabs(merged->quality_sum - whole->quality_sum) < 1e-9 * whole->quality_sum);
	merged->quality_sum = whole->quality_sum;
	assert_recorders_equal(whole, merged);
	pg_recorder_free(whole);
	pg_recorder_free(merged);
}

/* Serializes a small recorder, applies `mutate` and expects PG_EPARSE
 * with a message that contains `path`. */
static void expect_rejected(void (*mutate)(json_t *j), const char *path)
{
	pg_recorder *r = new_recorder(), *back = (pg_recorder *)1;
	pg_request_outcome o;
	json_t *j = NULL;
	int i;

	rng_state = 7;
	for (i = 0; i < 200; i++) {
		random_outcome(&o);
		record(r, &o, rng_range(0, PG_NS_PER_MS));
	}
	assert_int_equal(pg_recorder_to_json(&j, r), 0);
	mutate(j);
	assert_int_equal(pg_recorder_from_json(&back, j, "part.json: state"), PG_EPARSE);
	assert_null(back);
	if (strstr(pg_error_last(), path) == NULL)
		fail_msg("message '%s' does not name '%s'", pg_error_last(), path);
	json_decref(j);
	pg_recorder_free(r);
}

static void drop_counter(json_t *j)
{
	json_object_del(json_object_get(j, "counters"), "succeeded");
}

static void negative_counter(json_t *j)
{
	json_object_set_new(json_object_get(j, "counters"), "late", json_integer(-1));
}

static void unknown_field(json_t *j)
{
	json_object_set_new(j, "surprise", json_true());
}

static void corrupt_histogram(json_t *j)
{
	json_t *h = json_object_get(j, "histograms");
	char *s = strdup(json_string_value(json_object_get(h, "ttft")));

	s[strlen(s) - 12] = s[strlen(s) - 12] == 'A' ? 'B' : 'A';
	json_object_set_new(h, "ttft", json_string(s));
	free(s);
}

static void coarse_histogram(json_t *j)
{
	pg_hist *h = NULL;
	char *enc = NULL;

	assert_int_equal(pg_hist_new(&h, 1000, INT64_C(3600000000000), 2), 0);
	assert_int_equal(pg_hist_encode(h, &enc), 0);
	json_object_set_new(json_object_get(j, "histograms"), "itl", json_string(enc));
	free(enc);
	pg_hist_free(h);
}

static void counter_as_string(json_t *j)
{
	json_object_set_new(json_object_get(j, "counters"), "dropped", json_string("3"));
}

static void buckets_disagree_with_scored(json_t *j)
{
	json_t *c = json_object_get(j, "counters");

	json_object_set_new(c, "scored",
			    json_integer(json_integer_value(json_object_get(c, "scored")) + 1));
}

static void bad_status_code(json_t *j)
{
	json_object_set_new(json_object_get(j, "http_status"), "0200", json_integer(1));
}

static void future_version(json_t *j)
{
	json_object_set_new(j, "version", json_integer(2));
}

static void bad_quality_sum(json_t *j)
{
	json_object_set_new(j, "quality_sum", json_string("lots"));
}

static void e2e_disagrees_with_succeeded(json_t *j)
{
	json_t *c = json_object_get(j, "counters");

	json_object_set_new(c, "succeeded",
			    json_integer(json_integer_value(json_object_get(c, "succeeded")) - 1));
}

static void test_corrupt_state_is_rejected_with_its_path(void **state)
{
	(void)state;
	expect_rejected(drop_counter, "part.json: state.counters.succeeded: missing");
	expect_rejected(negative_counter, "state.counters.late: expected a non-negative integer");
	expect_rejected(unknown_field, "state: unknown field 'surprise'");
	expect_rejected(corrupt_histogram, "state.histograms.ttft: corrupt histogram");
	expect_rejected(coarse_histogram, "state.histograms.itl: histogram has the wrong range");
	expect_rejected(counter_as_string, "state.counters.dropped");
	expect_rejected(buckets_disagree_with_scored, "state.quality_buckets");
	expect_rejected(bad_status_code, "state.http_status: '0200'");
	expect_rejected(future_version, "state.version: version 2 is not supported");
	expect_rejected(bad_quality_sum, "state.quality_sum");
	expect_rejected(e2e_disagrees_with_succeeded, "state.histograms.e2e");
}

/* ---- series ---- */

/* Records `n` completions per second for seconds [0, secs) into a ring and
 * collects them into a new series with a measured window from second 1. */
static pg_series *make_series(int64_t secs, int64_t n, int64_t skip_mod, int64_t skip_rem)
{
	pg_series *s = NULL;
	pg_series_ring *ring = NULL;
	pg_series_ring *rings[1];
	int64_t sec, i;

	assert_int_equal(pg_series_new(&s), 0);
	assert_int_equal(pg_series_ring_new(&ring), 0);
	rings[0] = ring;
	pg_series_set_window(s, 1, secs);
	for (sec = 0; sec < secs; sec++) {
		if (skip_mod > 0 && sec % skip_mod == skip_rem)
			continue;
		for (i = 0; i < n; i++) {
			pg_series_event ev = {0};

			ev.sent = 1;
			ev.succeeded = i % 5 != 0;
			ev.failed = i % 5 == 0;
			ev.e2e = ev.succeeded ? rng_range(PG_NS_PER_MS, PG_NS_PER_S) : -1;
			ev.ttft = ev.succeeded ? ev.e2e / 4 : -1;
			ev.in_flight = i % 4;
			pg_series_ring_record(ring, sec, &ev);
		}
		assert_int_equal(pg_series_collect(s, rings, 1, sec + 1), 0);
	}
	pg_series_ring_free(ring);
	return s;
}

static pg_series *series_round_trip(const pg_series *s)
{
	json_t *j = NULL, *back;
	pg_series *out = NULL;
	char *text;

	assert_int_equal(pg_series_to_json(&j, s), 0);
	text = json_dumps(j, JSON_COMPACT);
	back = json_loads(text, 0, NULL);
	assert_non_null(back);
	assert_int_equal(pg_series_from_json(&out, back, "series"), 0);
	free(text);
	json_decref(j);
	json_decref(back);
	return out;
}

static void assert_row_equal(const pg_series_row *a, const pg_series_row *b)
{
	assert_int_equal(a->second, b->second);
	assert_int_equal(a->sent, b->sent);
	assert_int_equal(a->succeeded, b->succeeded);
	assert_int_equal(a->failed, b->failed);
	assert_int_equal(a->in_flight, b->in_flight);
	assert_true(a->e2e_p95 == b->e2e_p95 || (isnan(a->e2e_p95) && isnan(b->e2e_p95)));
	assert_true(a->ttft_p50 == b->ttft_p50 || (isnan(a->ttft_p50) && isnan(b->ttft_p50)));
}

static void test_series_round_trip_keeps_rows_and_batches(void **state)
{
	pg_series *s, *back;
	size_t i;

	(void)state;
	rng_state = 5;
	s = make_series(100, 20, 9, 4); /* 100 s: the batches fold to width 2 */
	back = series_round_trip(s);
	assert_int_equal(back->n, s->n);
	for (i = 0; i < s->n; i++)
		assert_row_equal(&s->rows[i], &back->rows[i]);
	assert_int_equal(s->batch_width, 2);
	assert_int_equal(back->batch_width, s->batch_width);
	assert_int_equal(back->n_batches, s->n_batches);
	assert_int_equal(back->next_second, s->next_second);
	for (i = 0; i < s->n_batches; i++) {
		assert_int_equal(back->batches[i].succeeded, s->batches[i].succeeded);
		assert_int_equal(back->batches[i].failed, s->batches[i].failed);
		if (s->batches[i].e2e != NULL)
			assert_hist_equal(s->batches[i].e2e, back->batches[i].e2e);
		else
			assert_null(back->batches[i].e2e);
	}
	pg_series_free(s);
	pg_series_free(back);
}

static void test_series_merge_sums_counts_and_keeps_lone_percentiles(void **state)
{
	pg_series *a, *b, *m;
	int64_t ok_a = 0, ok_b = 0, ok_m = 0, batch_ok = 0;
	size_t i;

	(void)state;
	rng_state = 9;
	a = make_series(100, 10, 0, 0); /* width 2 */
	b = make_series(40, 6, 10, 3);	/* width 1, no row for seconds 3, 13, ... */
	m = series_round_trip(a);
	assert_int_equal(pg_series_merge(m, b), 0);
	assert_int_equal(m->n, a->n);
	assert_int_equal(m->batch_width, 2);
	for (i = 0; i < a->n; i++)
		ok_a += a->rows[i].succeeded;
	for (i = 0; i < b->n; i++)
		ok_b += b->rows[i].succeeded;
	for (i = 0; i < m->n; i++) {
		const pg_series_row *r = &m->rows[i];

		ok_m += r->succeeded;
		if (r->second < 40 && r->second % 10 != 3)
			assert_true(isnan(r->e2e_p95)); /* both completed requests then */
		else
			assert_true(r->e2e_p95 == a->rows[i].e2e_p95);
	}
	assert_int_equal(ok_m, ok_a + ok_b);
	for (i = 0; i < m->n_batches; i++) {
		batch_ok += m->batches[i].succeeded;
		if (m->batches[i].e2e != NULL)
			assert_int_equal(pg_hist_count(m->batches[i].e2e), m->batches[i].succeeded);
	}
	/* the batches cover the measured seconds [1, 100) */
	assert_int_equal(batch_ok, ok_m - a->rows[0].succeeded - b->rows[0].succeeded);
	pg_series_free(a);
	pg_series_free(b);
	pg_series_free(m);
}

static void test_series_merge_refuses_other_window_start(void **state)
{
	pg_series *a, *b;

	(void)state;
	a = make_series(5, 2, 0, 0);
	b = make_series(5, 2, 0, 0);
	b->batch_from = 2;
	assert_int_equal(pg_series_merge(a, b), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "different seconds"));
	pg_series_free(a);
	pg_series_free(b);
}

static void test_corrupt_series_is_rejected(void **state)
{
	pg_series *s, *back = NULL;
	json_t *j = NULL;

	(void)state;
	s = make_series(6, 3, 0, 0);
	assert_int_equal(pg_series_to_json(&j, s), 0);
	json_array_set_new(json_array_get(json_object_get(j, "rows"), 2), 0, json_integer(0));
	assert_int_equal(pg_series_from_json(&back, j, "part.json: series"), PG_EPARSE);
	assert_null(back);
	assert_non_null(
	    strstr(pg_error_last(), "part.json: series.rows: row 2: seconds must increase"));
	json_decref(j);
	assert_int_equal(pg_series_to_json(&j, s), 0);
	json_object_set_new(j, "batch_width", json_integer(3));
	assert_int_equal(pg_series_from_json(&back, j, "series"), PG_EPARSE);
	assert_non_null(strstr(pg_error_last(), "series.batch_width: expected a power of two"));
	json_decref(j);
	pg_series_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_is_exact),
	    cmocka_unit_test(test_empty_recorder_round_trips),
	    cmocka_unit_test(test_merge_of_parsed_parts_equals_recording_all_in_one),
	    cmocka_unit_test(test_corrupt_state_is_rejected_with_its_path),
	    cmocka_unit_test(test_series_round_trip_keeps_rows_and_batches),
	    cmocka_unit_test(test_series_merge_sums_counts_and_keeps_lone_percentiles),
	    cmocka_unit_test(test_series_merge_refuses_other_window_start),
	    cmocka_unit_test(test_corrupt_series_is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
