/*
 * Small inline-SVG plotting helpers for the HTML report: HTML escaping
 * into a pg_rtext (report_text.h), a line chart with several series
 * (optionally with a log10 x axis, for latency CDFs), a scatter plot with
 * highlighted points, and CDF points sampled from a latency histogram. Axis ticks fall on "nice"
 * numbers (1, 2, 5 x 10^k). Every string handed to these functions is HTML-escaped on output; the
 * SVG carries no xmlns or other URL (the HTML5 parser puts <svg> in the
 * SVG namespace by itself), so the report references nothing outside.
 */
#ifndef PG_REPORT_SVG_H
#define PG_REPORT_SVG_H

#include <stddef.h>

#include "perfgate/common.h"
#include "report_text.h"

/* Appends s to t with & < > " ' replaced by character references, safe in
 * text and in quoted attribute values; invalid UTF-8 and the control
 * characters HTML forbids become U+FFFD. NULL appends nothing. */
void pg_svg_escape(pg_rtext *t, const char *s);

/* Number of colours in the series palette. */
#define PG_SVG_PALETTE_SIZE 6

/* One line of a line chart. Points whose x or y is not finite (NaN for a
 * missing value) break the line; with log_x, points with x <= 0 too. */
typedef struct pg_svg_series {
	const char *label; /* legend text */
	const double *x;
	const double *y;
	size_t n;
	int color;   /* palette index, taken modulo PG_SVG_PALETTE_SIZE */
	int dashed;  /* dashed line (e.g. a baseline) */
	int markers; /* draw a dot on every point */
} pg_svg_series;

/* One point of a scatter plot. */
typedef struct pg_svg_point {
	double x;
	double y;
	const char *label; /* tooltip, and drawn beside the point when few */
	int highlight;	   /* drawn larger and filled (e.g. Pareto-optimal) */
} pg_svg_point;

#define PG_SVG_CHART_VERSION 1

/* Chart options; start from PG_SVG_CHART_INIT. */
typedef struct pg_svg_chart {
	unsigned int version;
	const char *title;
	const char *x_label;
	const char *y_label;
	int width;    /* px, whole SVG */
	int height;   /* px, whole SVG */
	int log_x;    /* log10 x axis */
	int y_zero;   /* y axis starts at 0 when all values are positive */
	int has_mark; /* draw a vertical marker line at mark_x */
	double mark_x;
	const char *mark_label;	     /* text beside the marker */
	const char *highlight_label; /* scatter legend entry for highlighted points */
} pg_svg_chart;

#define PG_SVG_CHART_INIT                                                                          \
	{                                                                                          \
		PG_SVG_CHART_VERSION, NULL, NULL, NULL, 560, 320, 0, 1, 0, 0.0, NULL, NULL         \
	}

/* Appends an <svg> line chart of the series to out. A chart with no
 * drawable point says "no data" instead. Returns 0 or out's sticky error (PG_ENOMEM, PG_ELIMIT). */
int pg_svg_line_chart(pg_rtext *out, const pg_svg_chart *c, const pg_svg_series *series,
		      size_t n_series);
/* Appends an <svg> scatter plot of the points to out (non-finite points
 * are skipped). Returns 0 or out's sticky error (PG_ENOMEM, PG_ELIMIT). */
int pg_svg_scatter(pg_rtext *out, const pg_svg_chart *c, const pg_svg_point *pts, size_t n);

/* Points of a latency CDF. */
#define PG_SVG_CDF_POINTS 200

/* Samples the distribution of a serialized latency histogram (pg_hist_encode
 * text, nanoseconds) at PG_SVG_CDF_POINTS quantile levels, dense to p90 and
 * log-spaced into the tail up to the maximum: x_ms[i] is the latency in ms,
 * y_pct[i] the percentage of requests at or below it. PG_EPARSE for a
 * corrupt text, PG_ENOTFOUND for an empty histogram. */
int pg_svg_cdf_points(double *x_ms, double *y_pct, const char *hist);

/* Chooses axis ticks on nice numbers covering [lo, hi]: at most max_ticks
 * values written to ticks (ascending); *n gets the count and *step the
 * spacing (for choosing decimals). With log_scale, ticks are powers of ten
 * (and 2x, 5x when the range spans few decades) and lo must be > 0.
 * Returns PG_EINVAL for a non-finite or empty range. */
int pg_svg_ticks(double *ticks, size_t *n, double *step, double lo, double hi, size_t max_ticks,
		 int log_scale);
/* Formats a tick value with as many decimals as the step needs, without
 * trailing noise ("0.5", "120", "1e+06" for huge values). */
void pg_svg_format_tick(char *buf, size_t size, double v, double step);

#endif
