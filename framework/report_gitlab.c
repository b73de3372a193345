/*
 * GitLab load_performance report: the JSON shape of k6's --summary-export,
 * which GitLab's merge-request widget reads (checks pass rate, TTFB p90
 * and p95, requests per second).
 *
 * Mapping, aggregated over every scenario of the run:
 *   http_reqs, iterations  count: sum of requests.total; rate: mean of
 *                          throughput.rps weighted by each scenario's
 *                          window_s (one scenario: its throughput.rps)
 *   http_req_waiting       TTFT (metrics.ttft), ms
 *   http_req_duration      end-to-end latency (metrics.e2e), ms
 *                          avg: count-weighted mean; min/max: extremes;
 *                          med, p(90), p(95): the worst scenario's value
 *   http_req_failed        k6 rate semantics: passes = failed requests,
 *                          fails = succeeded requests, value = error ratio
 *   checks                 passes: met requirements and non-regressed
 *                          comparisons (inconclusive included), fails:
 *                          failed requirements and regressions, value:
 *                          passes / (passes + fails), 0 with no checks
 *   root_group.checks      one entry per check, named
 *                          "<scenario>: <testcase name>", id = MD5 of its
 *                          path "::<name>" as k6 computes it
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_checks.h"
#include "report_ci.h"
#include "report_text.h"

/* MD5 (RFC 1321) of s as 32 lowercase hex digits in hex[33]. */
static int md5_hex(char hex[33], const char *s)
{
	static const int shift[4][4] = {
	    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
	uint32_t k[64], h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	size_t len = strlen(s), padded = (len + 8) / 64 * 64 + 64, off, i;
	uint64_t bits = (uint64_t)len * 8;
	unsigned char *msg;

	msg = calloc(1, padded);
	if (msg == NULL)
		return PG_ENOMEM;
	memcpy(msg, s, len);
	msg[len] = 0x80;
	for (i = 0; i < 8; i++)
		msg[padded - 8 + i] = (unsigned char)(bits >> (8 * i));
	for (i = 0; i < 64; i++)
		k[i] = (uint32_t)floor(fabs(sin((double)(i + 1))) * 4294967296.0);
	for (off = 0; off < padded; off += 64) {
		uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], f, tmp;
		size_t g;

		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)msg[off + 4 * i] | (uint32_t)msg[off + 4 * i + 1] << 8 |
			       (uint32_t)msg[off + 4 * i + 2] << 16 |
			       (uint32_t)msg[off + 4 * i + 3] << 24;
		for (i = 0; i < 64; i++) {
			int r = shift[i / 16][i % 4];

			if (i < 16) {
				f = (b & c) | (~b & d);
				g = i;
			} else if (i < 32) {
				f = (d & b) | (~d & c);
				g = (5 * i + 1) % 16;
			} else if (i < 48) {
				f = b ^ c ^ d;
				g = (3 * i + 5) % 16;
			} else {
				f = c ^ (b | ~d);
				g = (7 * i) % 16;
			}
			tmp = d;
			d = c;
			c = b;
			f += a + k[i] + w[g];
			b += (f << r) | (f >> (32 - r));
			a = tmp;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
	}
	free(msg);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned)(h[i / 4] >> (8 * (i % 4))) & 0xFFu);
	return 0;
}

/* A k6 trend over one latency distribution of every scenario; NULL when no
 * scenario measured it. */
static json_t *trend_json(const json_t *scenarios, const char *dist)
{
	double sum = 0, n = 0, lo = INFINITY, hi = -INFINITY, med = NAN, p90 = NAN, p95 = NAN;
	const json_t *sc;
	json_t *o;
	size_t i;

	json_array_foreach(scenarios, i, sc)
	{
		const json_t *d = json_object_get(json_object_get(sc, "metrics"), dist);
		double count = pg_report_jnum(d, "count"), v;

		if (!(count > 0))
			continue;
		if (!isnan(v = pg_report_jnum(d, "mean"))) {
			sum += v * count;
			n += count;
		}
		if (!isnan(v = pg_report_jnum(d, "min")) && v < lo)
			lo = v;
		if (!isnan(v = pg_report_jnum(d, "max")) && v > hi)
			hi = v;
		if (!isnan(v = pg_report_jnum(d, "p50")) && !(v <= med))
			med = v;
		if (!isnan(v = pg_report_jnum(d, "p90")) && !(v <= p90))
			p90 = v;
		if (!isnan(v = pg_report_jnum(d, "p95")) && !(v <= p95))
			p95 = v;
	}
	if (n == 0 || isnan(med) || isnan(p90) || isnan(p95) || !isfinite(lo) || !isfinite(hi))
		return NULL;
	o = json_object();
	json_object_set_new(o, "avg", json_real(sum / n));
	json_object_set_new(o, "min", json_real(lo));
	json_object_set_new(o, "med", json_real(med));
	json_object_set_new(o, "max", json_real(hi));
	json_object_set_new(o, "p(90)", json_real(p90));
	json_object_set_new(o, "p(95)", json_real(p95));
	return o;
}

static json_t *counter_json(json_int_t count, double rate)
{
	json_t *o = json_object();

	json_object_set_new(o, "count", json_integer(count));
	json_object_set_new(o, "rate", json_real(rate));
	return o;
}

static json_t *rate_json(json_int_t passes, json_int_t fails)
{
	json_t *o = json_object();

	json_object_set_new(o, "passes", json_integer(passes));
	json_object_set_new(o, "fails", json_integer(fails));
	json_object_set_new(
	    o, "value",
	    json_real(passes + fails > 0 ? (double)passes / (double)(passes + fails) : 0.0));
	return o;
}

static json_int_t as_count(double v)
{
	return isfinite(v) && v > 0 && v < 9e15 ? (json_int_t)v : 0;
}

/* Adds one check to root_group.checks, merging checks with equal names. */
static int add_check(json_t *checks, const pg_check *c)
{
	pg_rtext t = PG_RTEXT_INIT;
	char *name = NULL, *path = NULL, hex[33];
	json_t *o;
	int rc, failed = c->status == PG_CHECK_FAILED;

	pg_rtext_put_utf8(&t, c->scenario);
	pg_rtext_puts(&t, ": ");
	pg_rtext_put_utf8(&t, c->name);
	if ((rc = pg_rtext_finish(&name, &t)) < 0)
		goto done;
	pg_rtext_printf(&t, "::%s", name);
	if ((rc = pg_rtext_finish(&path, &t)) < 0)
		goto done;
	o = json_object_get(checks, name);
	if (o != NULL) {
		const char *key = failed ? "fails" : "passes";

		json_object_set_new(o, key,
				    json_integer(json_integer_value(json_object_get(o, key)) + 1));
		goto done;
	}
	if ((rc = md5_hex(hex, path)) < 0) {
		pg_error_set("out of memory building a report");
		goto done;
	}
	o = json_object();
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "id", json_string(hex));
	json_object_set_new(o, "passes", json_integer(!failed));
	json_object_set_new(o, "fails", json_integer(failed));
	if (json_object_set_new(checks, name, o) != 0) {
		pg_error_set("out of memory building a report");
		rc = PG_ENOMEM;
	}
done:
	free(name);
	free(path);
	return rc;
}

int pg_report_gitlab_load_performance(char **out, const json_t *results)
{
	const json_t *scenarios = json_object_get(results, "scenarios"), *sc;
	json_t *doc = NULL, *metrics, *root, *checks, *trend;
	double total = 0, failed = 0, succeeded = 0, rate_w = 0, w_sum = 0, rate;
	pg_rtext t = PG_RTEXT_INIT;
	pg_checks cs;
	char hex[33], *text = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = pg_checks_collect(&cs, results)) < 0)
		return rc;
	json_array_foreach(scenarios, i, sc)
	{
		const json_t *m = json_object_get(sc, "metrics");
		double v, rps = pg_report_jnum_path(m, "throughput", "rps", NULL);
		double w = pg_report_jnum(sc, "window_s");

		if (!isnan(v = pg_report_jnum_path(m, "requests", "total", NULL)))
			total += v;
		if (!isnan(v = pg_report_jnum_path(m, "requests", "failed", NULL)))
			failed += v;
		if (!isnan(v = pg_report_jnum_path(m, "requests", "succeeded", NULL)))
			succeeded += v;
		if (isfinite(rps) && isfinite(w) && w > 0) {
			rate_w += rps * w;
			w_sum += w;
		}
	}
	rate = w_sum > 0 ? rate_w / w_sum : 0.0;
	doc = json_object();
	metrics = json_object();
	root = json_object();
	checks = json_object();
	if (doc == NULL || metrics == NULL || root == NULL || checks == NULL) {
		json_decref(metrics);
		json_decref(root);
		json_decref(checks);
		rc = PG_ENOMEM;
		goto done;
	}
	json_object_set_new(doc, "metrics", metrics);
	json_object_set_new(doc, "root_group", root);
	json_object_set_new(metrics, "http_reqs", counter_json(as_count(total), rate));
	json_object_set_new(metrics, "iterations", counter_json(as_count(total), rate));
	if ((trend = trend_json(scenarios, "ttft")) != NULL)
		json_object_set_new(metrics, "http_req_waiting", trend);
	if ((trend = trend_json(scenarios, "e2e")) != NULL)
		json_object_set_new(metrics, "http_req_duration", trend);
	json_object_set_new(metrics, "http_req_failed",
			    rate_json(as_count(failed), as_count(succeeded)));
	json_object_set_new(
	    metrics, "checks",
	    rate_json((json_int_t)(cs.passed + cs.inconclusive), (json_int_t)cs.failed));
	if ((rc = md5_hex(hex, "")) < 0)
		goto done;
	json_object_set_new(root, "name", json_string(""));
	json_object_set_new(root, "path", json_string(""));
	json_object_set_new(root, "id", json_string(hex));
	json_object_set_new(root, "groups", json_object());
	for (i = 0; i < cs.n; i++) {
		if ((rc = add_check(checks, &cs.v[i])) < 0) {
			json_decref(checks);
			goto done;
		}
	}
	json_object_set_new(root, "checks", checks);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	if (text == NULL) {
		rc = PG_ENOMEM;
		goto done;
	}
	pg_rtext_puts(&t, text);
	pg_rtext_putc(&t, '\n');
	rc = pg_rtext_finish(out, &t);
done:
	if (rc == PG_ENOMEM)
		pg_error_set("out of memory building a report");
	free(text);
	pg_rtext_free(&t);
	json_decref(doc);
	pg_checks_free(&cs);
	return rc;
}
