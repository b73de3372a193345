/*
 * Statistics behind baseline comparison: t and normal quantiles, batch
 * means, the two-sample comparison with its verdict, repeat counts and PELT
 * change points. The method and its formulas are in docs/statistics.md;
 * keep the two in step.
 */
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define MAX_REPEATS 100

/* ---- quantiles ---------------------------------------------------------- */

/* Continued fraction for the regularized incomplete beta I_x(a, b)
 * (Abramowitz & Stegun 26.5.8), evaluated by the modified Lentz method.
 * Converges quickly for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1.0, d, h;
	int m;

	d = 1.0 - (a + b) * x / (a + 1.0);
	d = 1.0 / (fabs(d) < tiny ? tiny : d);
	h = d;
	for (m = 1; m <= 20000; m++) {
		double step, coef;
		int half;

		/* each m contributes an even term then an odd term */
		for (half = 0; half < 2; half++) {
			if (half == 0)
				coef = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
			else
				coef = -(a + m) * (a + b + m) * x /
				       ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
			d = 1.0 + coef * d;
			d = 1.0 / (fabs(d) < tiny ? tiny : d);
			c = 1.0 + coef / c;
			if (fabs(c) < tiny)
				c = tiny;
			step = c * d;
			h *= step;
		}
		if (fabs(step - 1.0) < 1e-15)
			break;
	}
	return h;
}

/* I_x(a, b) with xc = 1 - x given separately so that both tails keep their
 * relative precision. */
static double beta_reg(double a, double b, double x, double xc)
{
	double lfront;

	if (x <= 0.0)
		return 0.0;
	if (xc <= 0.0)
		return 1.0;
	lfront = a * log(x) + b * log(xc) + lgamma(a + b) - lgamma(a) - lgamma(b);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lfront) * beta_cf(a, b, x) / a;
	return 1.0 - exp(lfront) * beta_cf(b, a, xc) / b;
}

/* P(T > t) for t >= 0: 0.5 * I_{v/(v+t^2)}(v/2, 1/2). */
static double t_upper_tail(double t, double v)
{
	double x = v / (v + t * t), xc = t * t / (v + t * t);

	return 0.5 * beta_reg(v / 2.0, 0.5, x, xc);
}

static double t_density(double t, double v)
{
	double lc = lgamma((v + 1.0) / 2.0) - lgamma(v / 2.0) - 0.5 * log(v * M_PI);

	return exp(lc - (v + 1.0) / 2.0 * log1p(t * t / v));
}

/* Cornish-Fisher expansion of t in powers of 1/v (A&S 26.7.5). */
static double t_expansion(double z, double v)
{
	double z2 = z * z, g1, g2, g3, g4;

	g1 = (z2 + 1.0) * z / 4.0;
	g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
	g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
	g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
	return z + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v;
}

/* Positive t with P(T > t) = q, q in (0, 0.5). */
static double t_upper_quantile(double q, double v)
{
	double lo = 0.0, hi, t, z;
	int i;

	if (v == 1.0)
		return 1.0 / tan(M_PI * q);
	if (v == 2.0)
		return (1.0 - 2.0 * q) / sqrt(2.0 * q * (1.0 - q));
	z = -pg_stats_z_quantile(q);
	t = t_expansion(z, v);
	if (v > 1e5 && z < 10.0)
		return t; /* the next term is about z^11 / v^5: far below 1e-12 */
	hi = t > 1.0 ? t : 1.0;
	while (t_upper_tail(hi, v) > q && hi < 1e300)
		hi *= 2.0;
	if (!(t > lo && t < hi))
		t = 0.5 * (lo + hi);
	/* Newton on the tail, falling back to bisection when it leaves the bracket */
	for (i = 0; i < 400; i++) {
		double f = t_upper_tail(t, v) - q, next;

		if (f > 0.0)
			lo = t;
		else
			hi = t;
		next = t + f / t_density(t, v);
		if (!(next > lo && next < hi))
			next = 0.5 * (lo + hi);
		if (fabs(next - t) <= 1e-14 * next || hi - lo <= 1e-15 * hi) {
			t = next;
			break;
		}
		t = next;
	}
	return t;
}

/* Student's t quantile; see stats.h. NaN for p outside (0, 1) or df <= 0. */
double pg_stats_t_quantile(double p, double df)
{
	double q;

	if (!(p > 0.0 && p < 1.0) || !(df > 0.0))
		return NAN;
	if (isinf(df))
		return pg_stats_z_quantile(p);
	if (p == 0.5)
		return 0.0;
	q = p < 0.5 ? p : 1.0 - p;
	return p < 0.5 ? -t_upper_quantile(q, df) : t_upper_quantile(q, df);
}

/* Standard normal quantile: Acklam's rational approximation, then one
 * Halley step against erfc for full double precision. NaN outside (0, 1). */
double pg_stats_z_quantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
				   -2.759285104469687e+02, 1.383577518672690e+02,
				   -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
				   -1.556989798598866e+02, 6.680131188771972e+01,
				   -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
				   -2.400758277161838e+00, -2.549732539343734e+00,
				   4.374664141464968e+00,  2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
				   2.445134137142996e+00, 3.754408661907416e+00};
	const double p_low = 0.02425;
	double x, q, r, e, u;

	if (!(p > 0.0 && p < 1.0))
		return NAN;
	if (p < p_low || p > 1.0 - p_low) {
		q = sqrt(-2.0 * log(p < p_low ? p : 1.0 - p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
		if (p > 1.0 - p_low)
			x = -x;
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
	}
	/* Halley refinement; the error is taken in the smaller tail */
	if (x < 0.0)
		e = 0.5 * erfc(-x / M_SQRT2) - p;
	else
		e = (1.0 - p) - 0.5 * erfc(x / M_SQRT2);
	u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
	return x - u / (1.0 + x * u / 2.0);
}

/* ---- batch means -------------------------------------------------------- */

typedef struct batch_level {
	size_t valid; /* batches with a value */
	double mean, s2, lag1;
} batch_level;

/* Values of the batches of size bs into vals (NaN where none) and their
 * summary. lag1 uses pairs of time-adjacent batches that both have a value. */
static void batch_level_eval(batch_level *lv, double *vals, size_t n_base, size_t bs,
			     pg_batch_value_fn value, void *ctx)
{
	size_t nb = n_base / bs, i;
	double sum = 0.0, ss = 0.0, cross = 0.0;

	lv->valid = 0;
	for (i = 0; i < nb; i++) {
		vals[i] = value(ctx, i * bs, bs);
		if (isfinite(vals[i])) {
			lv->valid++;
			sum += vals[i];
		} else {
			vals[i] = NAN;
		}
	}
	lv->mean = lv->valid ? sum / (double)lv->valid : NAN;
	for (i = 0; i < nb; i++) {
		if (isnan(vals[i]))
			continue;
		ss += (vals[i] - lv->mean) * (vals[i] - lv->mean);
		if (i + 1 < nb && !isnan(vals[i + 1]))
			cross += (vals[i] - lv->mean) * (vals[i + 1] - lv->mean);
	}
	lv->s2 = lv->valid >= 2 ? ss / (double)(lv->valid - 1) : NAN;
	if (lv->valid < 3)
		lv->lag1 = NAN;
	else
		lv->lag1 = ss > 0.0 ? cross / ss : 0.0;
}

/* Batch means; see stats.h. */
int pg_stats_batch_means(pg_batch_result *out, size_t n_base, pg_batch_value_fn value, void *ctx,
			 size_t min_batches)
{
	batch_level cur, next;
	double *vals = NULL;
	size_t bs = 1;
	int rc = 0;

	if (!out || !value || min_batches < 2) {
		pg_error_set("batch means: %s", !out || !value ? "missing output or value function"
							       : "min_batches must be at least 2");
		return PG_EINVAL;
	}
	memset(&cur, 0, sizeof(cur));
	cur.mean = cur.s2 = cur.lag1 = NAN;
	if (n_base > 0) {
		vals = malloc(n_base * sizeof(*vals));
		if (!vals) {
			pg_error_set("batch means: out of memory for %zu batches", n_base);
			rc = PG_ENOMEM;
			goto done;
		}
		batch_level_eval(&cur, vals, n_base, bs, value, ctx);
	}
	/* merge pairs while the batches are visibly correlated */
	while (cur.valid >= 3 && cur.lag1 > 2.0 / sqrt((double)cur.valid) &&
	       cur.valid / 2 >= min_batches) {
		batch_level_eval(&next, vals, n_base, bs * 2, value, ctx);
		if (next.valid < min_batches)
			break;
		bs *= 2;
		cur = next;
	}
	out->batches = cur.valid;
	out->batch_size = bs;
	out->mean = cur.mean;
	out->lag1 = cur.lag1;
	out->var = cur.valid >= min_batches ? cur.s2 / (double)cur.valid : NAN;
done:
	free(vals);
	return rc;
}

/* ---- comparison --------------------------------------------------------- */

/* "pass", "improvement", "inconclusive", "regression". */
const char *pg_verdict_name(pg_verdict v)
{
	static const char *const names[] = {"pass", "improvement", "inconclusive", "regression"};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

/* One side of a comparison: its finite values and their within-run noise. */
typedef struct side {
	size_t n;	  /* runs with a finite value */
	double mean, s2;  /* of the values; s2 is 0 when n == 1 */
	double within;	  /* mean of the finite within-run variances; NaN if none */
	double within_df; /* smallest positive within_df; 0 if none */
} side;

static void side_eval(side *s, const pg_run_estimate *r, size_t n)
{
	double sum = 0.0, ss = 0.0, wsum = 0.0;
	size_t i, nw = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n; i++) {
		if (!isfinite(r[i].value))
			continue;
		s->n++;
		sum += r[i].value;
		if (isfinite(r[i].within_var) && r[i].within_var >= 0.0) {
			wsum += r[i].within_var;
			nw++;
			if (r[i].within_df > 0.0 &&
			    (s->within_df == 0.0 || r[i].within_df < s->within_df))
				s->within_df = r[i].within_df;
		}
	}
	s->mean = s->n ? sum / (double)s->n : NAN;
	for (i = 0; i < n; i++)
		if (isfinite(r[i].value))
			ss += (r[i].value - s->mean) * (r[i].value - s->mean);
	s->s2 = s->n >= 2 ? ss / (double)(s->n - 1) : 0.0;
	s->within = nw ? wsum / (double)nw : NAN;
}

/* The noise model of a comparison: per-run variances of each side and the
 * degrees of freedom when the run-to-run spread is unknown. */
typedef struct noise {
	int known;	  /* some variance is available */
	int spread_known; /* K + R - 2 >= 1 */
	double v_cur, v_base;
	double sigma2;	  /* pooled run-to-run variance; NaN when unknown */
	double within_df; /* df used when K + R' - 2 == 0 */
} noise;

static void noise_eval(noise *nz, const side *b, const side *c)
{
	double dfw = 0.0;

	memset(nz, 0, sizeof(*nz));
	if (b->within_df > 0.0)
		dfw = b->within_df;
	if (c->within_df > 0.0 && (dfw == 0.0 || c->within_df < dfw))
		dfw = c->within_df;
	nz->within_df = dfw >= 1.0 ? dfw : 1.0;
	if (b->n + c->n >= 3) {
		double df = (double)(b->n + c->n - 2);

		nz->spread_known = 1;
		nz->known = 1;
		nz->sigma2 = ((double)(b->n - 1) * b->s2 + (double)(c->n - 1) * c->s2) / df;
		nz->v_cur = fmax(nz->sigma2, c->within); /* fmax ignores a NaN */
		nz->v_base = fmax(nz->sigma2, b->within);
		return;
	}
	/* one run each side: only the within-run noise is known; a side without
	 * it borrows the other's */
	nz->sigma2 = NAN;
	nz->v_cur = isnan(c->within) ? b->within : c->within;
	nz->v_base = isnan(b->within) ? c->within : b->within;
	nz->known = !isnan(nz->v_cur);
}

/* Degrees of freedom behind a comparison of K history runs with R repeats;
 * 0 when there are none. */
static double noise_df(const noise *nz, size_t k, size_t r)
{
	if (k + r >= 3)
		return (double)(k + r - 2);
	return nz->known ? nz->within_df : 0.0;
}

static double tolerance_of(const pg_compare_spec *spec, double baseline)
{
	double t = 0.0;

	if (!isnan(spec->tol_rel))
		t = fmax(t, spec->tol_rel * fabs(baseline));
	if (!isnan(spec->tol_abs))
		t = fmax(t, spec->tol_abs);
	return t;
}

static int spec_check(const pg_compare_spec *spec, const char *who)
{
	if (!spec || !(spec->confidence > 0.5 && spec->confidence < 1.0) || spec->tol_rel < 0.0 ||
	    spec->tol_abs < 0.0 || isinf(spec->tol_rel) || isinf(spec->tol_abs)) {
		pg_error_set("%s: the spec needs a confidence in (0.5, 1) and tolerances that are "
			     "NaN or finite and non-negative",
			     who);
		return PG_EINVAL;
	}
	return 0;
}

/* Smallest R' in 1..100 whose interval half-width is below gap; -1 if none. */
static int repeats_to_settle(const noise *nz, size_t k, double conf, double gap, double scale)
{
	int r;

	if (!(gap > 1e-12 * scale))
		return -1;
	for (r = 1; r <= MAX_REPEATS; r++) {
		double df = noise_df(nz, k, (size_t)r), half;

		if (df < 1.0)
			continue;
		half = pg_stats_t_quantile((1.0 + conf) / 2.0, df) *
		       sqrt(nz->v_cur / r + nz->v_base / (double)k);
		if (half < gap)
			return r;
	}
	return -1;
}

/* A change in the metric's unit, as a % of the baseline when it is non-zero. */
static void fmt_value(char *buf, size_t size, double v, double baseline, int sign)
{
	double pct = 100.0 * v / fabs(baseline);

	if (baseline != 0.0 && sign && fabs(pct) < 1e6)
		snprintf(buf, size, "%+.1f%%", pct);
	else if (baseline != 0.0)
		snprintf(buf, size, sign ? "%+.3g%%" : "%.3g%%", pct);
	else
		snprintf(buf, size, sign ? "%+g" : "%g", v);
}

static void compose_reason(pg_compare_result *o, const pg_compare_spec *spec, const noise *nz)
{
	char chg[32], lo[32], hi[32], tol[32], tail[144];
	size_t len;

	fmt_value(chg, sizeof(chg), o->change, o->baseline, 1);
	fmt_value(tol, sizeof(tol), o->tolerance, o->baseline, 0);
	if (!nz->known) {
		snprintf(o->reason, sizeof(o->reason),
			 "%s: no estimate of noise (one run on each side and no within-run "
			 "variance); repeat the run to get one",
			 chg);
		return;
	}
	fmt_value(lo, sizeof(lo), o->ci_lo, o->baseline, 1);
	fmt_value(hi, sizeof(hi), o->ci_hi, o->baseline, 1);
	if (o->verdict != PG_VERDICT_INCONCLUSIVE)
		snprintf(tail, sizeof(tail), " is %s the %s tolerance",
			 o->verdict == PG_VERDICT_PASS	       ? "within"
			 : o->verdict == PG_VERDICT_REGRESSION ? "beyond"
							       : "an improvement beyond",
			 tol);
	else if (o->repeats_needed > 0)
		snprintf(tail, sizeof(tail),
			 ": the interval reaches past the %s tolerance; about %d repeats would "
			 "settle it",
			 tol, o->repeats_needed);
	else
		snprintf(tail, sizeof(tail),
			 ": the interval reaches past the %s tolerance; more baseline history is "
			 "needed to settle it",
			 tol);
	snprintf(o->reason, sizeof(o->reason), "%s (%.4g%% CI %s .. %s)%s", chg,
		 100.0 * spec->confidence, lo, hi, tail);
	len = strlen(o->reason);
	if (!nz->spread_known)
		snprintf(o->reason + len, sizeof(o->reason) - len,
			 " (run-to-run spread is unknown with one run each side; within-run "
			 "noise used)");
}

/* Compares repeats with the baseline history; see stats.h and
 * docs/statistics.md. */
int pg_stats_compare(pg_compare_result *out, const pg_compare_spec *spec,
		     const pg_compare_input *in)
{
	side b, c;
	noise nz;
	double d, w, w_lo, w_hi, half;
	int rc;

	if (!out || !in || (in->n_base && !in->base) || (in->n_cur && !in->cur)) {
		pg_error_set("compare: missing result or input");
		return PG_EINVAL;
	}
	rc = spec_check(spec, "compare");
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	side_eval(&b, in->base, in->n_base);
	side_eval(&c, in->cur, in->n_cur);
	if (b.n == 0 || c.n == 0) {
		pg_error_set("compare: the %s has no finite value",
			     b.n == 0 ? "baseline" : "current run");
		return PG_EINVAL;
	}
	noise_eval(&nz, &b, &c);
	out->baseline = b.mean;
	out->current = c.mean;
	out->change = c.mean - b.mean;
	out->change_rel = b.mean != 0.0 ? out->change / fabs(b.mean) : NAN;
	out->tolerance = tolerance_of(spec, b.mean);
	out->run_sd = nz.spread_known ? sqrt(nz.sigma2) : NAN;
	out->within_sd = isnan(c.within) ? NAN : sqrt(c.within);
	if (!nz.known) {
		out->verdict = PG_VERDICT_INCONCLUSIVE;
		out->se = out->ci_lo = out->ci_hi = NAN;
		out->df = 0.0;
		out->repeats_needed = -1;
		compose_reason(out, spec, &nz);
		return 0;
	}
	out->df = noise_df(&nz, b.n, c.n);
	out->se = sqrt(nz.v_cur / (double)c.n + nz.v_base / (double)b.n);
	half = pg_stats_t_quantile((1.0 + spec->confidence) / 2.0, out->df) * out->se;
	out->ci_lo = out->change - half;
	out->ci_hi = out->change + half;

	/* worsening: positive is bad whichever direction is better */
	d = spec->higher_is_better ? -1.0 : 1.0;
	w = d * out->change;
	w_lo = fmin(d * out->ci_lo, d * out->ci_hi);
	w_hi = fmax(d * out->ci_lo, d * out->ci_hi);
	if (w_lo > 0.0 && w > out->tolerance)
		out->verdict = PG_VERDICT_REGRESSION;
	else if (w_hi < 0.0 && -w > out->tolerance)
		out->verdict = PG_VERDICT_IMPROVEMENT;
	else if (w_hi <= out->tolerance)
		out->verdict = PG_VERDICT_PASS;
	else
		out->verdict = PG_VERDICT_INCONCLUSIVE;
	if (out->verdict == PG_VERDICT_INCONCLUSIVE)
		out->repeats_needed =
		    repeats_to_settle(&nz, b.n, spec->confidence, fabs(out->tolerance - w),
				      fmax(fmax(fabs(b.mean), fabs(w)), out->tolerance));
	compose_reason(out, spec, &nz);
	return 0;
}

/* Repeats for a given power; see stats.h. */
int pg_stats_recommend_repeats(int *out, const pg_compare_spec *spec, double baseline,
			       double run_sd, size_t n_base, double power)
{
	double t_tol, zp, k = (double)n_base;
	int r, rc;

	if (!out) {
		pg_error_set("recommend repeats: missing output");
		return PG_EINVAL;
	}
	rc = spec_check(spec, "recommend repeats");
	if (rc)
		return rc;
	if (!(run_sd >= 0.0) || isinf(run_sd) || n_base < 1 || !(power > 0.0 && power < 1.0) ||
	    !isfinite(baseline)) {
		pg_error_set("recommend repeats: need a finite run_sd >= 0, a finite baseline, "
			     "n_base >= 1 and power in (0, 1)");
		return PG_EINVAL;
	}
	t_tol = tolerance_of(spec, baseline);
	zp = pg_stats_z_quantile(power);
	*out = -1;
	for (r = 1; r <= MAX_REPEATS; r++) {
		double df = k + r - 2.0, need;

		if (df < 1.0)
			continue;
		need = (pg_stats_t_quantile((1.0 + spec->confidence) / 2.0, df) + zp) * run_sd *
		       sqrt(1.0 / r + 1.0 / k);
		if (need <= t_tol) {
			*out = r;
			break;
		}
	}
	return 0;
}

/* ---- change points (PELT) ----------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* sigma from the median absolute first difference: for i.i.d. noise the
 * difference of two points has sd sigma * sqrt(2) and a normal's median
 * absolute value is 0.6745 sd. A floor relative to the data's spread keeps a
 * noiseless series with steps workable; a constant series gets 1. */
static int noise_sigma(double *out, const double *x, size_t n)
{
	double *ad, med, spread = 0.0, mean = 0.0;
	size_t i;

	ad = malloc((n - 1) * sizeof(*ad));
	if (!ad)
		return PG_ENOMEM;
	for (i = 0; i + 1 < n; i++)
		ad[i] = fabs(x[i + 1] - x[i]);
	qsort(ad, n - 1, sizeof(*ad), cmp_double);
	med = (n - 1) % 2 ? ad[(n - 1) / 2] : 0.5 * (ad[(n - 1) / 2 - 1] + ad[(n - 1) / 2]);
	free(ad);
	for (i = 0; i < n; i++)
		mean += x[i] / (double)n;
	for (i = 0; i < n; i++)
		spread = fmax(spread, fabs(x[i] - mean));
	*out = med / (0.6745 * M_SQRT2);
	if (*out < 1e-6 * spread)
		*out = 1e-6 * spread;
	if (!(*out > 0.0))
		*out = 1.0;
	return 0;
}

/* Cost of segment [s, t) in units of sigma^2 from prefix sums. */
static double seg_cost(const double *s1, const double *s2, size_t s, size_t t)
{
	double sum = s1[t] - s1[s], c = (s2[t] - s2[s]) - sum * sum / (double)(t - s);

	return c > 0.0 ? c : 0.0;
}

/* PELT change points; see stats.h. */
int pg_stats_change_points(size_t **out_idx, size_t *out_n, const double *x, size_t n,
			   double penalty_factor, size_t min_segment)
{
	double *s1 = NULL, *s2 = NULL, *f = NULL, sigma, mean = 0.0, beta;
	size_t *last = NULL, *cand = NULL, *idx = NULL, ncand = 0, m = min_segment, i, t, k;
	int rc = 0;

	if (!out_idx || !out_n || (n && !x) || !(penalty_factor > 0.0) || isinf(penalty_factor) ||
	    min_segment < 1) {
		pg_error_set("change points: need outputs, data, a positive finite penalty factor "
			     "and min_segment >= 1");
		return PG_EINVAL;
	}
	*out_idx = NULL;
	*out_n = 0;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i])) {
			pg_error_set("change points: value %zu is not a finite number", i);
			return PG_EINVAL;
		}
	}
	if (n < 2 || n < 2 * m)
		return 0;
	rc = noise_sigma(&sigma, x, n);
	if (rc)
		goto nomem;
	s1 = calloc(n + 1, sizeof(*s1));
	s2 = calloc(n + 1, sizeof(*s2));
	f = calloc(n + 1, sizeof(*f));
	last = calloc(n + 1, sizeof(*last));
	cand = calloc(n + 1, sizeof(*cand));
	if (!s1 || !s2 || !f || !last || !cand)
		goto nomem;
	for (i = 0; i < n; i++)
		mean += x[i] / (double)n;
	for (i = 0; i < n; i++) {
		double z = (x[i] - mean) / sigma;

		s1[i + 1] = s1[i] + z;
		s2[i + 1] = s2[i] + z * z;
	}
	beta = penalty_factor * 2.0 * log((double)n);
	f[0] = -beta;
	for (t = 1; t < m; t++)
		f[t] = INFINITY; /* no segmentation of [0, t) respects min_segment */
	for (t = m; t <= n; t++) {
		size_t u = t - m, keep = 0;
		double best = INFINITY;

		if (isfinite(f[u])) {
			/* u is now a usable last change; candidates that cannot beat it
			 * for any end >= t are pruned (the cost is additive) */
			for (k = 0; k < ncand; k++)
				if (f[cand[k]] + seg_cost(s1, s2, cand[k], u) <= f[u])
					cand[keep++] = cand[k];
			ncand = keep;
			cand[ncand++] = u;
		}
		for (k = 0; k < ncand; k++) {
			double v = f[cand[k]] + seg_cost(s1, s2, cand[k], t) + beta;

			if (v < best) {
				best = v;
				last[t] = cand[k];
			}
		}
		f[t] = best;
	}
	for (t = n; t > 0 && last[t] > 0; t = last[t])
		(*out_n)++;
	if (*out_n) {
		idx = malloc(*out_n * sizeof(*idx));
		if (!idx)
			goto nomem;
		k = *out_n;
		for (t = n; t > 0 && last[t] > 0; t = last[t])
			idx[--k] = last[t];
		*out_idx = idx;
	}
	goto done;
nomem:
	pg_error_set("change points: out of memory for %zu values", n);
	*out_n = 0;
	rc = PG_ENOMEM;
done:
	free(s1);
	free(s2);
	free(f);
	free(last);
	free(cand);
	return rc;
}
