/* Knee detection and spike recovery. */
#include "analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void pg_analysis_knee(long *out_index, char *reason, size_t reason_size,
		      const pg_sweep_level *levels, size_t n, const pg_sweep *params)
{
	char dummy[8];
	double base;
	size_t i;

	if (reason == NULL) {
		reason = dummy;
		reason_size = sizeof(dummy);
	}
	*out_index = -1;
	if (n == 0) {
		snprintf(reason, reason_size, "no level was measured");
		return;
	}
	base = levels[0].e2e_p95;
	for (i = 0; i < n; i++) {
		const pg_sweep_level *l = &levels[i];

		if (l->error_rate > params->max_error_rate) {
			snprintf(reason, reason_size,
				 "errors at load %g: %.3g%% > %.3g%%", l->load,
				 l->error_rate * 100.0, params->max_error_rate * 100.0);
			return;
		}
		if (isnan(l->e2e_p95) || isnan(base)) {
			snprintf(reason, reason_size, "no successful request at load %g", l->load);
			return;
		}
		if (l->e2e_p95 > params->latency_factor * base) {
			snprintf(reason, reason_size,
				 "queueing at load %g: e2e p95 %.3f ms > %g x %.3f ms", l->load,
				 l->e2e_p95 / 1e6, params->latency_factor, base / 1e6);
			return;
		}
		if (i > 0 && l->rps < (1.0 + params->min_gain) * levels[i - 1].rps) {
			snprintf(reason, reason_size,
				 "throughput stopped growing at load %g: %.2f/s after %.2f/s",
				 l->load, l->rps, levels[i - 1].rps);
			return;
		}
		*out_index = (long)i;
	}
	snprintf(reason, reason_size, "no limit reached up to the highest level, %g", levels[n - 1].load);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

void pg_analysis_recovery(double *out_ns, char *reason, size_t reason_size, const pg_series *s,
			  pg_ns spike_start, pg_ns spike_end, pg_ns window_end)
{
	int64_t first_pre = (spike_start - 10 * PG_NS_PER_S) / PG_NS_PER_S;
	int64_t last_pre = spike_start / PG_NS_PER_S; /* exclusive */
	int64_t after = (spike_end + PG_NS_PER_S - 1) / PG_NS_PER_S;
	int64_t end = window_end / PG_NS_PER_S; /* last whole second inside the window */
	double pre[10], level;
	size_t n = 0, i;

	*out_ns = -1;
	if (first_pre < 0)
		first_pre = 0;
	for (i = 0; i < s->n; i++) {
		const pg_series_row *r = &s->rows[i];

		if (r->second >= first_pre && r->second < last_pre && !isnan(r->e2e_p95) && n < 10)
			pre[n++] = r->e2e_p95;
	}
	if (n == 0) {
		snprintf(reason, reason_size,
			 "no latency was measured in the 10 s before the spike to recover to");
		return;
	}
	qsort(pre, n, sizeof(pre[0]), cmp_double);
	level = n % 2 ? pre[n / 2] : 0.5 * (pre[n / 2 - 1] + pre[n / 2]);
	for (i = 0; i < s->n; i++) {
		const pg_series_row *r = &s->rows[i];
		size_t j, ok = 0, seen = 0;

		if (r->second < after || r->second >= end)
			continue;
		/* this second and the next two (those inside the window) stay within 10% */
		for (j = i; j < s->n && seen < 3 && s->rows[j].second < end; j++, seen++)
			if (!isnan(s->rows[j].e2e_p95) && s->rows[j].e2e_p95 <= 1.10 * level)
				ok++;
		if (seen > 0 && ok == seen) {
			double t = (double)r->second * 1e9 - (double)spike_end;

			*out_ns = t < 0 ? 0 : t;
			return;
		}
	}
	snprintf(reason, reason_size,
		 "e2e p95 did not return within 10%% of its pre-spike %.3f ms before the window "
		 "ended",
		 level / 1e6);
}
