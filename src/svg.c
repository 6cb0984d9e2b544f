/* Inline SVG for the backtest report (svg.h).
 *
 * Each shape is one element with its presentation attributes, so the page
 * needs no stylesheet to draw; a tooltip becomes a <title> child, which
 * browsers show on hover. Month arithmetic uses the proleptic Gregorian
 * calendar in UTC, as the rest of riskstream. */
#include "svg.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "riskstream/format.h"

#define DAY_MS 86400000LL

double rs_svg_map(const struct rs_svg_scale *s, double v)
{
    if (s->hi == s->lo)
        return (s->p0 + s->p1) / 2;
    return s->p0 + (v - s->lo) * (s->p1 - s->p0) / (s->hi - s->lo);
}

void rs_svg_escape(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

void rs_svg_begin(FILE *out, int w, int h, const char *title)
{
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d "
                 "%d\" width=\"%d\" height=\"%d\" role=\"img\" "
                 "font-family=\"Helvetica, Arial, sans-serif\"><title>",
            w, h, w, h);
    rs_svg_escape(out, title);
    fputs("</title>\n", out);
}

void rs_svg_end(FILE *out)
{
    fputs("</svg>\n", out);
}

/* Shapes with a tooltip are wrapped in a group holding the title. */
static void open_shape(FILE *out, const char *tooltip)
{
    if (tooltip)
        fputs("<g>", out);
}

/* Ends the element opened as <elem ... (attributes written). */
static void end_shape(FILE *out, const char *elem, const char *tooltip)
{
    if (!tooltip) {
        fputs("/>\n", out);
        return;
    }
    fputs("><title>", out);
    rs_svg_escape(out, tooltip);
    fprintf(out, "</title></%s></g>\n", elem);
}

void rs_svg_rect(FILE *out, double x, double y, double w, double h,
                 const char *fill, const char *tooltip)
{
    open_shape(out, tooltip);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                 "fill=\"%s\"",
            x, y, w < 0 ? 0 : w, h < 0 ? 0 : h, fill);
    end_shape(out, "rect", tooltip);
}

void rs_svg_line(FILE *out, double x1, double y1, double x2, double y2,
                 const char *stroke, double width, int dashed)
{
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                 "stroke=\"%s\" stroke-width=\"%.1f\"%s/>\n",
            x1, y1, x2, y2, stroke, width,
            dashed ? " stroke-dasharray=\"4 3\"" : "");
}

void rs_svg_circle(FILE *out, double x, double y, double r, const char *fill,
                   const char *tooltip)
{
    open_shape(out, tooltip);
    fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" "
                 "stroke=\"#333\" stroke-width=\"0.5\"",
            x, y, r, fill);
    end_shape(out, "circle", tooltip);
}

static void polygon(FILE *out, const double *px, const double *py, int n,
                    const char *fill, const char *tooltip)
{
    open_shape(out, tooltip);
    fputs("<polygon points=\"", out);
    for (int i = 0; i < n; i++)
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", px[i], py[i]);
    fprintf(out, "\" fill=\"%s\" stroke=\"#333\" stroke-width=\"0.5\"", fill);
    end_shape(out, "polygon", tooltip);
}

void rs_svg_triangle(FILE *out, double x, double y, double r, int up,
                     const char *fill, const char *tooltip)
{
    double d = up ? -r : r;
    double px[3] = {x - r, x + r, x}, py[3] = {y - d, y - d, y + d};

    polygon(out, px, py, 3, fill, tooltip);
}

void rs_svg_diamond(FILE *out, double x, double y, double r, const char *fill,
                    const char *tooltip)
{
    double px[4] = {x, x + r, x, x - r}, py[4] = {y - r, y, y + r, y};

    polygon(out, px, py, 4, fill, tooltip);
}

void rs_svg_text(FILE *out, double x, double y, const char *anchor, int size,
                 int bold, const char *fill, const char *text)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
                 "font-size=\"%d\"%s fill=\"%s\">",
            x, y, anchor, size, bold ? " font-weight=\"bold\"" : "", fill);
    rs_svg_escape(out, text);
    fputs("</text>\n", out);
}

void rs_svg_vtext(FILE *out, double x, double y, int size, const char *text)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                 "font-size=\"%d\" fill=\"#333\" "
                 "transform=\"rotate(-90 %.1f %.1f)\">",
            x, y, size, x, y);
    rs_svg_escape(out, text);
    fputs("</text>\n", out);
}

void rs_svg_path(FILE *out, const double *x, const double *y, size_t n,
                 const char *stroke, double width)
{
    if (!n)
        return;
    fputs("<polyline fill=\"none\" points=\"", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", x[i], y[i]);
    fprintf(out, "\" stroke=\"%s\" stroke-width=\"%.1f\" "
                 "stroke-linejoin=\"round\"/>\n",
            stroke, width);
}

size_t rs_svg_ticks(double lo, double hi, size_t max, double *out)
{
    double span = hi - lo, step, mag;
    size_t n = 0;

    if (max == 0)
        return 0;
    if (max > RS_SVG_TICKS_MAX)
        max = RS_SVG_TICKS_MAX;
    if (!(span > 0)) {
        out[0] = lo;
        return 1;
    }
    mag = pow(10, floor(log10(span / (double)max)));
    step = mag;
    if (span / step > (double)max)
        step = 2 * mag;
    if (span / step > (double)max)
        step = 5 * mag;
    if (span / step > (double)max)
        step = 10 * mag;
    for (double v = ceil(lo / step) * step; v <= hi + step * 1e-9 && n < max;
         v += step)
        out[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

/* Days since 1970-01-01 of the first day of a month (Hinnant's
 * days-from-civil). */
static int64_t days_from_civil(int64_t y, int64_t m)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int rs_svg_month_index(int64_t ms)
{
    int64_t days = ms / DAY_MS - (ms % DAY_MS < 0);
    /* civil from days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);

    return (int)((y - 1970) * 12 + (m - 1));
}

int64_t rs_svg_month_start(int month_index)
{
    int64_t y = 1970 + (month_index >= 0 ? month_index / 12
                                         : -((-month_index + 11) / 12));
    int64_t m = month_index - (y - 1970) * 12 + 1;

    return days_from_civil(y, m) * DAY_MS;
}

size_t rs_svg_month_ticks(int64_t lo, int64_t hi, size_t max, int64_t *out)
{
    static const int steps[] = {1, 2, 3, 6, 12, 24, 60, 120};
    int first = rs_svg_month_index(lo), last = rs_svg_month_index(hi);
    int step = steps[sizeof(steps) / sizeof(steps[0]) - 1];
    size_t n = 0;

    if (max == 0)
        return 0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if ((size_t)((last - first) / steps[i] + 1) <= max) {
            step = steps[i];
            break;
        }
    }
    /* Start on a multiple of the step (January for yearly ticks). */
    first = first >= 0 ? first / step * step : first;
    for (int m = first; m <= last && n < max; m += step) {
        int64_t at = rs_svg_month_start(m);

        if (at >= lo && at <= hi)
            out[n++] = at;
    }
    return n;
}

/* Axes and legends. */

double rs_svg_legend(FILE *out, double x, double y, const char *colour,
                     const char *words)
{
    rs_svg_rect(out, x, y - 10, 14, 12, colour, NULL);
    rs_svg_text(out, x + 19, y, "start", 13, 0, "#222", words);
    return x + 19 + 7.2 * (double)strlen(words) + 18;
}

void rs_svg_y_axis(FILE *out, const struct rs_svg_scale *ys, double x0,
                   double x1, size_t ticks, const char *unit)
{
    double t[RS_SVG_TICKS_MAX];
    size_t n = rs_svg_ticks(ys->lo, ys->hi, ticks, t);
    char label[32];

    for (size_t i = 0; i < n; i++) {
        double y = rs_svg_map(ys, t[i]);

        rs_svg_line(out, x0, y, x1, y, "#ddd", 1, 0);
        snprintf(label, sizeof(label), "%.0f%s", t[i], unit);
        rs_svg_text(out, x0 - 6, y + 4, "end", 12, 0, "#333", label);
    }
}

void rs_svg_month_axis(FILE *out, const struct rs_svg_scale *xs, double y0,
                       double y1, size_t max)
{
    int64_t t[RS_SVG_TICKS_MAX];
    size_t n = rs_svg_month_ticks((int64_t)xs->lo, (int64_t)xs->hi,
                                  max > RS_SVG_TICKS_MAX ? RS_SVG_TICKS_MAX
                                                         : max,
                                  t);
    char label[32];

    for (size_t i = 0; i < n; i++) {
        double x = rs_svg_map(xs, (double)t[i]);

        rs_svg_line(out, x, y0, x, y1, "#e4e4e4", 1, 0);
        rs_format_date(label, sizeof(label), (int32_t)(t[i] / DAY_MS));
        label[7] = '\0'; /* YYYY-MM */
        rs_svg_text(out, x, y1 + 15, "middle", 12, 0, "#333", label);
    }
}
