/*
 * Arrival schedule generation. Each segment has a rate that moves linearly
 * from r0 to r1 over D seconds, so its cumulative intensity is
 *   L(t) = r0 t + (r1 - r0) t^2 / (2 D),   0 <= t <= D.
 * Arrivals are placed by drawing gaps g in units of intensity (constant:
 * g = 1; Poisson: g ~ Exp(1); gamma: g ~ Gamma(k, 1/k) with k = 1/cv^2, mean
 * 1) and inverting L: the time-rescaling construction of a
 * non-homogeneous renewal process. Gaps carry over segment boundaries.
 */
#include "schedule.h"

#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "rng.h"

typedef struct segment {
	double start; /* seconds from the run's start */
	double length;
	double r0, r1; /* per worker, per second */
} segment;

struct pg_schedule {
	segment *segs;
	size_t n_segs;
	size_t cur;
	double pos;   /* intensity consumed inside the current segment */
	double debt;  /* intensity still to consume before the next arrival */
	pg_arrival arrival;
	double shape; /* gamma shape k */
	pg_rng rng;
	/* trace replay */
	const pg_ns *trace;
	size_t n_trace, next_trace, step;
	pg_ns trace_end;
	int done;
};

pg_ns pg_schedule_length(const pg_load *load)
{
	return load->warmup + load->duration + load->cooldown;
}

static int add_segment(pg_schedule *s, double *at, pg_ns duration, double r0, double r1,
		       double scale)
{
	segment *g;

	if (duration <= 0)
		return 0;
	g = &s->segs[s->n_segs++];
	g->start = *at;
	g->length = (double)duration / 1e9;
	g->r0 = r0 * scale;
	g->r1 = r1 * scale;
	*at += g->length;
	return 0;
}

static double draw_gap(pg_schedule *s)
{
	switch (s->arrival) {
	case PG_ARRIVAL_CONSTANT:
		return 1.0;
	case PG_ARRIVAL_GAMMA:
		return pg_rng_gamma_mean1(&s->rng, s->shape);
	case PG_ARRIVAL_POISSON:
	default:
		return pg_rng_exp(&s->rng);
	}
}

int pg_schedule_new(pg_schedule **out, const pg_load *load, unsigned worker, unsigned n_workers)
{
	pg_schedule *s = calloc(1, sizeof(*s));
	double at = 0.0, scale;
	size_t i;
	int rc = PG_ENOMEM;

	*out = NULL;
	if (s == NULL)
		goto done;
	if (n_workers == 0 || worker >= n_workers) {
		pg_error_set("schedule: worker %u of %u", worker, n_workers);
		rc = PG_EINVAL;
		goto done;
	}
	if (load->model == PG_LOAD_TRACE) {
		s->trace = load->trace_times;
		s->n_trace = load->n_trace;
		s->next_trace = worker;
		s->step = n_workers;
		/* trace offsets count from the run's start: the window is
		 * [warmup, duration] and the cooldown follows it */
		s->trace_end = load->duration + load->cooldown + 1;
		*out = s;
		return 0;
	}
	if (load->model != PG_LOAD_OPEN || load->n_stages == 0) {
		pg_error_set("schedule: the load is not open-loop");
		rc = PG_EINVAL;
		goto done;
	}
	s->segs = calloc(load->n_stages + 2, sizeof(*s->segs));
	if (s->segs == NULL)
		goto done;
	scale = 1.0 / (double)n_workers;
	add_segment(s, &at, load->warmup, load->stages[0].rate_from, load->stages[0].rate_from,
		    scale);
	for (i = 0; i < load->n_stages; i++)
		add_segment(s, &at, load->stages[i].duration, load->stages[i].rate_from,
			    load->stages[i].rate_to, scale);
	add_segment(s, &at, load->cooldown, load->stages[load->n_stages - 1].rate_to,
		    load->stages[load->n_stages - 1].rate_to, scale);
	s->arrival = load->arrival;
	s->shape = load->burstiness > 0 ? 1.0 / (load->burstiness * load->burstiness) : 1.0;
	pg_rng_seed(&s->rng, load->seed, worker + 1);
	/* constant streams: worker i of W takes the global arrivals (i + 1/2 + jW) / r */
	s->debt = s->arrival == PG_ARRIVAL_CONSTANT ? ((double)worker + 0.5) / (double)n_workers
						    : draw_gap(s);
	*out = s;
	s = NULL;
	rc = 0;
done:
	pg_schedule_free(s);
	return rc;
}

void pg_schedule_free(pg_schedule *s)
{
	if (s == NULL)
		return;
	free(s->segs);
	free(s);
}

/* Time t in [0, length] at which the segment's intensity reaches x. */
static double invert(const segment *g, double x)
{
	double a = (g->r1 - g->r0) / (2.0 * g->length), t;

	if (fabs(a) < 1e-12)
		t = x / g->r0;
	else
		t = (-g->r0 + sqrt(g->r0 * g->r0 + 4.0 * a * x)) / (2.0 * a);
	if (!(t >= 0.0))
		t = 0.0;
	return t > g->length ? g->length : t;
}

int pg_schedule_next(pg_schedule *s, pg_ns *offset)
{
	if (s->done)
		return 0;
	if (s->trace != NULL) {
		pg_ns t;

		if (s->next_trace >= s->n_trace)
			goto over;
		t = s->trace[s->next_trace];
		if (t >= s->trace_end)
			goto over;
		s->next_trace += s->step;
		*offset = t;
		return 1;
	}
	while (s->cur < s->n_segs) {
		const segment *g = &s->segs[s->cur];
		double total = 0.5 * (g->r0 + g->r1) * g->length;

		if (s->pos + s->debt <= total) {
			double t;

			s->pos += s->debt;
			t = g->start + invert(g, s->pos);
			s->debt = draw_gap(s);
			*offset = (pg_ns)llround(t * 1e9);
			return 1;
		}
		s->debt -= total - s->pos;
		s->pos = 0.0;
		s->cur++;
	}
over:
	s->done = 1;
	return 0;
}
