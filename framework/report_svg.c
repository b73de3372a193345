/* Inline-SVG charts for the HTML report (see report_svg.h). */
#include "report_svg.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hist.h"
#include "report_text.h"

static const char *const palette[PG_SVG_PALETTE_SIZE] = {"#1f77b4", "#d62728", "#2ca02c",
							 "#ff7f0e", "#9467bd", "#8c564b"};

#define FONT_PX 11
#define CHAR_PX 6.2 /* rough width of one character at FONT_PX, for layout */
#define MAX_TICKS 7
#define MAX_POINT_LABELS 12

/* ---- escaping ---- */

void pg_svg_escape(pg_rtext *t, const char *s)
{
	const char *end;

	if (s == NULL)
		return;
	end = s + strlen(s);
	while (s < end) {
		uint32_t cp = pg_utf8_next(&s, end);

		switch (cp) {
		case '&':
			pg_rtext_puts(t, "&amp;");
			break;
		case '<':
			pg_rtext_puts(t, "&lt;");
			break;
		case '>':
			pg_rtext_puts(t, "&gt;");
			break;
		case '"':
			pg_rtext_puts(t, "&quot;");
			break;
		case '\'':
			pg_rtext_puts(t, "&#39;");
			break;
		default:
			/* HTML allows no C0 controls but tab, LF, CR, nor DEL..C1 */
			if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
			    (cp >= 0x7f && cp < 0xa0))
				cp = 0xFFFD;
			pg_rtext_put_cp(t, cp);
		}
	}
}

/* ---- ticks ---- */

static size_t tick_count(double lo, double hi, double step)
{
	double n = ceil(hi / step - 1e-9) - floor(lo / step + 1e-9) + 1;

	return n > 1e6 ? (size_t)1e6 : (size_t)n;
}

static int log_ticks(double *ticks, size_t *n, double lo, double hi, size_t max_ticks)
{
	static const double mult[3] = {1, 2, 5};
	int d0 = (int)floor(log10(lo) + 1e-9), d1 = (int)ceil(log10(hi) - 1e-9);
	int every = 1, d, m, per;

	if (d1 <= d0)
		d1 = d0 + 1;
	per = (d1 - d0) * 3 + 1 <= (int)max_ticks ? 3 : 1;
	while ((d1 - d0) / every + 1 > (int)max_ticks)
		every++;
	*n = 0;
	for (d = d0; d <= d1; d += every)
		for (m = 0; m < per && *n < max_ticks; m++) {
			if (d == d1 && m > 0)
				break;
			ticks[(*n)++] = mult[m] * pow(10, d);
		}
	return 0;
}

int pg_svg_ticks(double *ticks, size_t *n, double *step, double lo, double hi, size_t max_ticks,
		 int log_scale)
{
	static const double nice[4] = {1, 2, 2.5, 5};
	double mag, s = 0, start;
	size_t i, k;
	int found = 0;

	*n = 0;
	*step = 0;
	if (!isfinite(lo) || !isfinite(hi) || hi <= lo || max_ticks < 2 || (log_scale && lo <= 0)) {
		pg_error_set("cannot place ticks on [%g, %g]", lo, hi);
		return PG_EINVAL;
	}
	if (log_scale)
		return log_ticks(ticks, n, lo, hi, max_ticks);
	mag = pow(10, floor(log10((hi - lo) / (double)max_ticks)));
	for (k = 0; !found && k < 40; k++, mag *= 10)
		for (i = 0; i < 4; i++) {
			s = nice[i] * mag;
			if (tick_count(lo, hi, s) <= max_ticks) {
				found = 1;
				break;
			}
		}
	if (!found) {
		pg_error_set("cannot place ticks on [%g, %g]", lo, hi);
		return PG_EINVAL;
	}
	start = floor(lo / s + 1e-9);
	*n = tick_count(lo, hi, s);
	for (i = 0; i < *n; i++) {
		double v = (start + (double)i) * s;

		ticks[i] = fabs(v) < s * 1e-9 ? 0 : v;
	}
	*step = s;
	return 0;
}

void pg_svg_format_tick(char *buf, size_t size, double v, double step)
{
	int d = 0;

	if (step < 1e-9 || fabs(v) >= 1e7) {
		snprintf(buf, size, "%g", v);
		return;
	}
	while (d < 9 &&
	       fabs(step * pow(10, d) - round(step * pow(10, d))) > 1e-6 * step * pow(10, d))
		d++;
	snprintf(buf, size, "%.*f", d, v);
}

/* ---- chart frame ---- */

typedef struct frame {
	double x0, x1, y0, y1;	   /* plot area in px */
	double xlo, xhi, ylo, yhi; /* data range on the axes */
	int log_x;
} frame;

static double map_x(const frame *f, double x)
{
	double a = f->log_x ? log10(x) : x, lo = f->log_x ? log10(f->xlo) : f->xlo;
	double hi = f->log_x ? log10(f->xhi) : f->xhi;

	return f->x0 + (a - lo) / (hi - lo) * (f->x1 - f->x0);
}

static double map_y(const frame *f, double y)
{
	return f->y1 - (y - f->ylo) / (f->yhi - f->ylo) * (f->y1 - f->y0);
}

static int usable(double x, double y, int log_x)
{
	return isfinite(x) && isfinite(y) && (!log_x || x > 0);
}

/* Widens a degenerate range and snaps it to ticks; fills ticks. */
static void axis_range(double *lo, double *hi, double *ticks, size_t *nt, double *step, int log_s)
{
	if (*hi <= *lo) {
		double pad = *lo != 0 ? fabs(*lo) * 0.1 : 1;

		*hi = log_s ? *lo * 10 : *hi + pad;
		*lo = log_s ? *lo / 10 : *lo - pad;
	}
	if (pg_svg_ticks(ticks, nt, step, *lo, *hi, MAX_TICKS, log_s) < 0 || *nt < 2) {
		*nt = 0;
		return;
	}
	*lo = fmin(*lo, ticks[0]);
	*hi = fmax(*hi, ticks[*nt - 1]);
}

static void svg_open(pg_rtext *b, const pg_svg_chart *c)
{
	pg_rtext_printf(b,
			"<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
			"role=\"img\" font-family=\"sans-serif\" font-size=\"%d\" aria-label=\"",
			c->width, c->height, c->width, c->height, FONT_PX);
	pg_svg_escape(b, c->title ? c->title : "chart");
	pg_rtext_puts(b, "\"><title>");
	pg_svg_escape(b, c->title ? c->title : "chart");
	pg_rtext_printf(b,
			"</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
			"<text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\">",
			c->width, c->height, 8);
	pg_svg_escape(b, c->title);
	pg_rtext_puts(b, "</text>");
}

static void text_at(pg_rtext *b, double x, double y, const char *anchor, const char *s)
{
	pg_rtext_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	pg_svg_escape(b, s);
	pg_rtext_puts(b, "</text>");
}

/* Gridlines, tick labels, axis labels and the optional marker. */
static void draw_axes(pg_rtext *b, const pg_svg_chart *c, const frame *f, const double *xt,
		      size_t nxt, double xstep, const double *yt, size_t nyt, double ystep)
{
	char num[48];
	size_t i;

	for (i = 0; i < nyt; i++) {
		double y = map_y(f, yt[i]);

		pg_rtext_printf(b,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"#e3e3e3\"/>",
				f->x0, y, f->x1, y);
		pg_svg_format_tick(num, sizeof(num), yt[i], ystep);
		text_at(b, f->x0 - 4, y + 4, "end", num);
	}
	for (i = 0; i < nxt; i++) {
		double x = map_x(f, xt[i]);

		pg_rtext_printf(b,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"#e3e3e3\"/>",
				x, f->y0, x, f->y1);
		pg_svg_format_tick(num, sizeof(num), xt[i], f->log_x ? 0 : xstep);
		text_at(b, x, f->y1 + 14, "middle", num);
	}
	pg_rtext_printf(b,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
			"stroke=\"#888\"/>",
			f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
	if (c->x_label)
		text_at(b, (f->x0 + f->x1) / 2, f->y1 + 32, "middle", c->x_label);
	if (c->y_label) {
		pg_rtext_printf(b,
				"<text transform=\"translate(14 %.1f) rotate(-90)\" "
				"text-anchor=\"middle\">",
				(f->y0 + f->y1) / 2);
		pg_svg_escape(b, c->y_label);
		pg_rtext_puts(b, "</text>");
	}
	if (c->has_mark && usable(c->mark_x, 0, f->log_x) && c->mark_x >= f->xlo &&
	    c->mark_x <= f->xhi) {
		double x = map_x(f, c->mark_x);

		pg_rtext_printf(b,
				"<line class=\"mark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"3 3\"/>",
				x, f->y0, x, f->y1);
		if (c->mark_label)
			text_at(b, x + 3, f->y0 + 11, "start", c->mark_label);
	}
}

/* Lays out legend entries left to right, wrapping; returns rows used.
 * Draws only when draw is set. */
static int legend(pg_rtext *b, const pg_svg_chart *c, const char *const *labels, const int *colors,
		  const int *styles, size_t n, double top, int draw)
{
	double x = 8, y = top;
	int rows = n ? 1 : 0;
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = labels[i] ? strlen(labels[i]) : 0;
		double w = 28 + CHAR_PX * (double)(len > 60 ? 60 : len) + 14;

		if (x + w > c->width && x > 8) {
			x = 8;
			y += 16;
			rows++;
		}
		if (draw) {
			const char *col = palette[(unsigned)colors[i] % PG_SVG_PALETTE_SIZE];

			if (styles[i] == 2)
				pg_rtext_printf(b,
						"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" "
						"fill=\"%s\"/>",
						x + 10, y - 4, col);
			else if (styles[i] == 3)
				pg_rtext_printf(
				    b,
				    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#fff\" "
				    "stroke=\"%s\" stroke-width=\"1.5\"/>",
				    x + 10, y - 4, col);
			else
				pg_rtext_printf(
				    b,
				    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				    "stroke=\"%s\" stroke-width=\"2\"%s/>",
				    x, y - 4, x + 22, y - 4, col,
				    styles[i] ? " stroke-dasharray=\"5 3\"" : "");
			text_at(b, x + 26, y, "start", labels[i] ? labels[i] : "");
		}
		x += w;
	}
	return rows;
}

static void no_data(pg_rtext *b, const pg_svg_chart *c)
{
	text_at(b, c->width / 2.0, c->height / 2.0, "middle", "no data");
	pg_rtext_puts(b, "</svg>");
}

/* Sets the plot area below the legend rows. */
static void frame_area(frame *f, const pg_svg_chart *c, int legend_rows)
{
	f->x0 = 64;
	f->x1 = c->width - 16;
	f->y0 = 30 + 16.0 * legend_rows + 6;
	f->y1 = c->height - 44;
	if (f->y1 < f->y0 + 40)
		f->y1 = f->y0 + 40;
}

/* Sets f's data range from the bounds and draws the axes; 0 if there are
 * no usable ticks. */
static int frame_axes(pg_rtext *b, const pg_svg_chart *c, frame *f, double xlo, double xhi,
		      double ylo, double yhi)
{
	double xt[MAX_TICKS * 3], yt[MAX_TICKS * 3], xs, ys;
	size_t nxt, nyt, i;

	if (c->y_zero && ylo > 0)
		ylo = 0;
	axis_range(&xlo, &xhi, xt, &nxt, &xs, f->log_x);
	axis_range(&ylo, &yhi, yt, &nyt, &ys, 0);
	if (nxt == 0 || nyt == 0)
		return 0;
	f->xlo = xlo;
	f->xhi = xhi;
	f->ylo = ylo;
	f->yhi = yhi;
	for (i = 0; i < nyt; i++) { /* room for the widest y tick label */
		char num[48];

		pg_svg_format_tick(num, sizeof(num), yt[i], ys);
		f->x0 = fmax(f->x0, 30 + CHAR_PX * (double)strlen(num));
	}
	draw_axes(b, c, f, xt, nxt, xs, yt, nyt, ys);
	return 1;
}

/* ---- line chart ---- */

int pg_svg_line_chart(pg_rtext *out, const pg_svg_chart *c, const pg_svg_series *series,
		      size_t n_series)
{
	const char *labels[16];
	int colors[16], styles[16];
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
	size_t s, i, nl = n_series < 16 ? n_series : 16;
	frame f = {0};

	svg_open(out, c);
	f.log_x = c->log_x;
	for (s = 0; s < n_series; s++)
		for (i = 0; i < series[s].n; i++) {
			double x = series[s].x[i], y = series[s].y[i];

			if (!usable(x, y, f.log_x))
				continue;
			xlo = fmin(xlo, x);
			xhi = fmax(xhi, x);
			ylo = fmin(ylo, y);
			yhi = fmax(yhi, y);
		}
	for (s = 0; s < nl; s++) {
		labels[s] = series[s].label;
		colors[s] = series[s].color;
		styles[s] = series[s].dashed ? 1 : 0;
	}
	frame_area(&f, c, legend(out, c, labels, colors, styles, nl, 0, 0));
	if (!isfinite(xlo) || !frame_axes(out, c, &f, xlo, xhi, ylo, yhi)) {
		no_data(out, c);
		return out->err;
	}
	legend(out, c, labels, colors, styles, nl, 34, 1);
	for (s = 0; s < n_series; s++) {
		const pg_svg_series *sr = &series[s];
		const char *col = palette[(unsigned)sr->color % PG_SVG_PALETTE_SIZE];
		int pen = 0;

		pg_rtext_printf(out,
				"<path class=\"series\" fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"1.8\"%s d=\"",
				col, sr->dashed ? " stroke-dasharray=\"6 3\"" : "");
		for (i = 0; i < sr->n; i++) {
			if (!usable(sr->x[i], sr->y[i], f.log_x)) {
				pen = 0;
				continue;
			}
			pg_rtext_printf(out, "%s%.1f %.1f ", pen ? "L" : "M", map_x(&f, sr->x[i]),
					map_y(&f, sr->y[i]));
			pen = 1;
		}
		pg_rtext_puts(out, "\"/>");
		for (i = 0; sr->markers && i < sr->n; i++)
			if (usable(sr->x[i], sr->y[i], f.log_x))
				pg_rtext_printf(out,
						"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
						"fill=\"%s\"/>",
						map_x(&f, sr->x[i]), map_y(&f, sr->y[i]), col);
	}
	pg_rtext_puts(out, "</svg>");
	return out->err;
}

/* ---- scatter ---- */

static double label_width(const char *s)
{
	size_t len = strlen(s);

	return CHAR_PX * (double)(len > 60 ? 60 : len);
}

/* Claims the box of a label with baseline y at x..x+w unless it overlaps
 * one already placed; 1 when placed (it is then boxes[*nb - 1]). */
static int place_label(double boxes[][3], size_t *nb, double x, double y, double w)
{
	size_t i;

	for (i = 0; i < *nb; i++)
		if (x < boxes[i][2] && x + w > boxes[i][0] && y - FONT_PX < boxes[i][1] &&
		    y > boxes[i][1] - FONT_PX)
			return 0;
	boxes[*nb][0] = x;
	boxes[*nb][1] = y;
	boxes[*nb][2] = x + w;
	(*nb)++;
	return 1;
}

int pg_svg_scatter(pg_rtext *out, const pg_svg_chart *c, const pg_svg_point *pts, size_t n)
{
	static const int colors[2] = {1, 0}, styles[2] = {2, 3};
	const char *labels[2] = {c->highlight_label, "other"};
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
	size_t i, nl = c->highlight_label ? 2 : 0;
	frame f = {0};
	char num[2][48];
	double boxes[MAX_POINT_LABELS][3];
	size_t nb = 0;

	svg_open(out, c);
	f.log_x = c->log_x;
	for (i = 0; i < n; i++) {
		if (!usable(pts[i].x, pts[i].y, f.log_x))
			continue;
		xlo = fmin(xlo, pts[i].x);
		xhi = fmax(xhi, pts[i].x);
		ylo = fmin(ylo, pts[i].y);
		yhi = fmax(yhi, pts[i].y);
	}
	frame_area(&f, c, legend(out, c, labels, colors, styles, nl, 0, 0));
	if (!isfinite(xlo) || !frame_axes(out, c, &f, xlo, xhi, ylo, yhi)) {
		no_data(out, c);
		return out->err;
	}
	legend(out, c, labels, colors, styles, nl, 34, 1);
	for (i = 0; i < n; i++) {
		const pg_svg_point *p = &pts[i];
		const char *col = palette[p->highlight ? 1 : 0];
		double x, y;

		if (!usable(p->x, p->y, f.log_x))
			continue;
		x = map_x(&f, p->x);
		y = map_y(&f, p->y);
		pg_rtext_printf(out, "<circle class=\"point%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" ",
				p->highlight ? " hl" : "", x, y, p->highlight ? 6 : 4);
		pg_rtext_printf(out, "fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"><title>",
				p->highlight ? col : "#fff", col);
		snprintf(num[0], sizeof(num[0]), "%.4g", p->x);
		snprintf(num[1], sizeof(num[1]), "%.4g", p->y);
		pg_svg_escape(out, p->label);
		pg_rtext_printf(out, " (%s, %s)</title></circle>", num[0], num[1]);
		if (n <= MAX_POINT_LABELS && p->label) {
			int right = x > (f.x0 + f.x1) / 2;
			double w = label_width(p->label), lx = right ? x - 8 - w : x + 8;
			double ly = y - 8 - FONT_PX < f.y0 ? y + 16 : y - 8;

			if (place_label(boxes, &nb, lx, ly, w) ||
			    place_label(boxes, &nb, lx, ly == y - 8 ? y + 16 : y - 8, w))
				text_at(out, right ? x - 8 : x + 8, boxes[nb - 1][1],
					right ? "end" : "start", p->label);
		}
	}
	pg_rtext_puts(out, "</svg>");
	return out->err;
}

/* ---- CDF ---- */

/* Quantile level of CDF point i: dense up to p90, then log-spaced into the
 * tail (p90 .. p99.99), and the maximum last. */
static double cdf_q(int i)
{
	const int dense = PG_SVG_CDF_POINTS * 3 / 4, tail = PG_SVG_CDF_POINTS - 1 - dense;

	if (i < dense)
		return 0.9 * i / dense;
	if (i < PG_SVG_CDF_POINTS - 1)
		return 1 - 0.1 * pow(10, -3.0 * (i - dense) / (tail - 1));
	return 1;
}

int pg_svg_cdf_points(double *x_ms, double *y_pct, const char *hist)
{
	pg_hist *h = NULL;
	int i, rc = pg_hist_decode(&h, hist);

	if (rc < 0)
		return rc;
	if (pg_hist_count(h) == 0) {
		pg_error_set("empty histogram");
		rc = PG_ENOTFOUND;
	}
	for (i = 0; rc == 0 && i < PG_SVG_CDF_POINTS; i++) {
		x_ms[i] = (double)pg_hist_quantile(h, cdf_q(i)) / 1e6;
		y_pct[i] = cdf_q(i) * 100;
	}
	pg_hist_free(h);
	return rc;
}
