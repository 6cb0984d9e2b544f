/* Inline SVG for the backtest report: shapes, text, axes and scales.
 *
 * Just enough of SVG to draw bar charts and timelines by hand, written
 * straight to a FILE in the order called. Coordinates are pixels of the
 * SVG's own viewBox; a scale maps data values to pixels. Text is always
 * XML-escaped. Internal to report.c (not a public header). */
#ifndef RS_SVG_H
#define RS_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RS_SVG_TICKS_MAX 16

/* A linear map from [lo, hi] to the pixels [p0, p1]. */
struct rs_svg_scale {
    double lo, hi;
    double p0, p1;
};

double rs_svg_map(const struct rs_svg_scale *s, double v);

/* Writes s with &, <, >, " escaped. */
void rs_svg_escape(FILE *out, const char *s);

/* <svg> with a viewBox of w x h and an accessible title; rs_svg_end closes. */
void rs_svg_begin(FILE *out, int w, int h, const char *title);
void rs_svg_end(FILE *out);

void rs_svg_rect(FILE *out, double x, double y, double w, double h,
                 const char *fill, const char *tooltip);
void rs_svg_line(FILE *out, double x1, double y1, double x2, double y2,
                 const char *stroke, double width, int dashed);
void rs_svg_circle(FILE *out, double x, double y, double r, const char *fill,
                   const char *tooltip);
/* A triangle pointing up (up = 1) or down, centred at x, y. */
void rs_svg_triangle(FILE *out, double x, double y, double r, int up,
                     const char *fill, const char *tooltip);
void rs_svg_diamond(FILE *out, double x, double y, double r, const char *fill,
                    const char *tooltip);
/* Text at x, y; anchor "start", "middle" or "end"; weight 1 for bold. */
void rs_svg_text(FILE *out, double x, double y, const char *anchor, int size,
                 int bold, const char *fill, const char *text);
/* Text rotated -90 degrees about x, y (vertical axis titles). */
void rs_svg_vtext(FILE *out, double x, double y, int size, const char *text);
/* A polyline of n points (a score line); nothing when n is 0. */
void rs_svg_path(FILE *out, const double *x, const double *y, size_t n,
                 const char *stroke, double width);

/* Up to max "nice" tick values (1, 2, 5 x 10^k steps) covering lo..hi;
 * returns their count. */
size_t rs_svg_ticks(double lo, double hi, size_t max, double *out);

/* First instants (ms) of calendar months from lo to hi, every `step`
 * months, so that at most max fit; returns their count. */
size_t rs_svg_month_ticks(int64_t lo, int64_t hi, size_t max, int64_t *out);

/* A legend entry: a swatch and its words at x, y; returns the next x. */
double rs_svg_legend(FILE *out, double x, double y, const char *colour,
                     const char *words);

/* Horizontal grid lines and labels (value then unit) at nice ticks of ys,
 * from x0 to x1. */
void rs_svg_y_axis(FILE *out, const struct rs_svg_scale *ys, double x0,
                   double x1, size_t ticks, const char *unit);

/* Vertical grid lines from y0 to y1 at month starts of xs (times in ms),
 * labelled YYYY-MM below y1. */
void rs_svg_month_axis(FILE *out, const struct rs_svg_scale *xs, double y0,
                       double y1, size_t max);

/* Months since 1970-01 of an instant, and back. */
int rs_svg_month_index(int64_t ms);
int64_t rs_svg_month_start(int month_index);

#endif
