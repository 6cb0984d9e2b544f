/* Customer timelines of the backtest report (report.h).
 *
 * One SVG per customer: a score panel over the level bands with the
 * score as a step line and a numbered marker per alert, then lanes for
 * invoices (a bar from issue to payment, coloured by how it was paid, a
 * tick at the due date), payments, reminders and other contacts, and
 * bureau events; below it, the alerts in a table with their reasons in
 * words. Every shape has a tooltip with its details. */
#include "riskstream/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/format.h"
#include "riskstream/mem.h"
#include "svg.h"

#define DAY_MS 86400000LL
#define PAGE_W 1300

static const char *const level_colour[4] = {"#43a047", "#f9a825", "#ef6c00",
                                            "#c62828"};
static const char *const level_band[4] = {"#e8f5e9", "#fff8e1", "#fff3e0",
                                          "#ffebee"};
static const char *const level_words[4] = {"LOW", "MEDIUM", "HIGH",
                                           "CRITICAL"};

/* "YYYY-MM-DD HH:MM" (UTC), or just the date at midnight. */
static const char *when_text(char *buf, size_t size, int64_t ms)
{
    rs_format_time(buf, size, ms);
    if (strlen(buf) >= 20) {
        buf[10] = ' ';
        buf[16] = '\0';
        if (strcmp(buf + 11, "00:00") == 0)
            buf[10] = '\0';
    }
    return buf;
}

static void amount_text(char *buf, size_t size, int64_t minor)
{
    snprintf(buf, size, "%" PRId64 ".%02d", minor / 100,
             (int)(minor % 100 < 0 ? -(minor % 100) : minor % 100));
}

static const char *comm_colour(int type)
{
    switch (type) {
    case RS_COMM_REMINDER:
        return "#ffb74d";
    case RS_COMM_FORMAL_NOTICE:
    case RS_COMM_COLLECTIONS_HANDOVER:
        return "#d84315";
    case RS_COMM_PROMISE_TO_PAY:
    case RS_COMM_CALL_ANSWERED:
    case RS_COMM_INBOUND_REPLY:
        return "#66bb6a";
    case RS_COMM_DISPUTE_OPENED:
    case RS_COMM_DISPUTE_RESOLVED:
        return "#8e24aa";
    default:
        return "#90a4ae";
    }
}

static void timeline(FILE *out, const struct rs_backtest *bt, size_t ci)
{
    const struct rs_backtest_customer *c = &bt->customers[ci];
    const struct rs_config *conf = bt->opt.conf;
    int32_t thr[3] = {(int32_t)conf->score_level_medium,
                      (int32_t)conf->score_level_high,
                      (int32_t)conf->score_level_critical};
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    const double x0 = 150, x1 = PAGE_W - 40;
    const double s0 = 92, s1 = 252; /* score panel, top and bottom */
    const double lane_h = 34, lanes0 = 270;
    const double axis_y = lanes0 + 4 * lane_h;
    static const char *const lane_names[4] = {"Invoices", "Payments",
                                              "Reminders, contacts",
                                              "Credit bureau"};
    struct rs_svg_scale xs, ys;
    double *px = NULL, *py = NULL;
    size_t np = 0, cap = 0, nalert = 0;
    char title[256], tip[512], a1[32], a2[32], a3[32];
    double x, last_ax = -1000;
    int32_t prev = 0;
    int stagger = 0;

    for (size_t i = 0; i < bt->mark_count; i++) {
        if (bt->marks[i].customer != ci)
            continue;
        if (bt->marks[i].time < lo)
            lo = bt->marks[i].time;
        if (bt->marks[i].time > hi)
            hi = bt->marks[i].time;
    }
    for (size_t i = c->first_invoice; i != SIZE_MAX; i = bt->invoices[i].next)
        if (bt->invoices[i].paid_date != RS_BACKTEST_NO_DATE &&
            (int64_t)bt->invoices[i].paid_date * DAY_MS > hi)
            hi = (int64_t)bt->invoices[i].paid_date * DAY_MS;
    if (lo > hi)
        return;
    if (bt->last_time > hi)
        hi = bt->last_time;
    if (hi - lo < 30 * DAY_MS)
        hi = lo + 30 * DAY_MS;
    xs = (struct rs_svg_scale){(double)lo, (double)hi, x0, x1};
    ys = (struct rs_svg_scale){0, 100, s1, s0};

    fputs("<h3>Customer ", out);
    rs_svg_escape(out, c->id);
    fprintf(out, "</h3>\n<p class=\"note\">%" PRIu64 " events, %zu alerts, "
                 "highest score %d, now %s (score %d).",
            c->events, c->alerts, (int)c->max_score,
            level_words[c->level & 3], (int)c->score);
    if (c->has_label)
        fprintf(out, " Label %d at %s (score then %d).", c->label,
                rs_format_time(a1, sizeof(a1), c->label_time),
                (int)c->label_score);
    fputs("</p>\n", out);
    snprintf(title, sizeof(title), "Timeline of customer %s", c->id);
    rs_svg_begin(out, PAGE_W, (int)axis_y + 50, title);
    x = rs_svg_legend(out, x0, 18, "#2e7d32", "invoice paid on time");
    x = rs_svg_legend(out, x, 18, "#ef6c00", "invoice paid late");
    x = rs_svg_legend(out, x, 18, "#c62828", "invoice unpaid at end");
    x = rs_svg_legend(out, x, 18, "#1e88e5", "payment");
    x = rs_svg_legend(out, x, 18, "#ffb74d", "reminder");
    x = rs_svg_legend(out, x, 18, "#d84315", "formal notice");
    x = rs_svg_legend(out, x, 18, "#66bb6a", "promise / reply");
    rs_svg_legend(out, x, 18, "#8e24aa", "dispute");
    x = rs_svg_legend(out, x0, 40, "#333", "risk score (line)");
    rs_svg_text(out, x, 40, "start", 13, 0, "#222",
                "bands: LOW, MEDIUM, HIGH, CRITICAL; numbered dashed lines "
                "are alerts (table below)");

    /* Score panel: level bands, score step line, alert markers. */
    for (int l = 0; l < 4; l++) {
        double top = l == 3 ? 100 : thr[l];
        double bottom = l == 0 ? 0 : thr[l - 1];

        rs_svg_rect(out, x0, rs_svg_map(&ys, top), x1 - x0,
                    rs_svg_map(&ys, bottom) - rs_svg_map(&ys, top),
                    level_band[l], NULL);
        rs_svg_text(out, x1 - 4, rs_svg_map(&ys, top) + 12, "end", 11, 0,
                    level_colour[l], level_words[l]);
    }
    rs_svg_month_axis(out, &xs, s0, axis_y, 12);
    rs_svg_y_axis(out, &ys, x0, x1, 5, "");
    rs_svg_vtext(out, x0 - 40, (s0 + s1) / 2, 12, "risk score");
    for (size_t i = 0; i < bt->point_count; i++) {
        const struct rs_backtest_point *p = &bt->points[i];

        if (p->customer != ci)
            continue;
        rs_grow((void **)&px, &cap, np + 2, sizeof(*px));
        py = rs_realloc(py, cap * sizeof(*py));
        px[np] = rs_svg_map(&xs, (double)p->time);
        py[np++] = rs_svg_map(&ys, prev);
        px[np] = px[np - 1];
        py[np++] = rs_svg_map(&ys, p->score);
        prev = p->score;
    }
    rs_grow((void **)&px, &cap, np + 2, sizeof(*px));
    py = rs_realloc(py, cap * sizeof(*py));
    if (np == 0) {
        px[np] = x0;
        py[np++] = rs_svg_map(&ys, 0);
    }
    px[np] = x1;
    py[np++] = rs_svg_map(&ys, prev);
    rs_svg_path(out, px, py, np, "#333", 2);
    free(px);
    free(py);
    for (size_t i = 0; i < bt->alert_count; i++) {
        const struct rs_backtest_alert *a = &bt->alerts[i];
        double ax = rs_svg_map(&xs, (double)a->time);
        char num[16];

        double my;

        if (a->customer != ci)
            continue;
        nalert++;
        /* Markers closer than their width go on alternate rows. */
        stagger = ax - last_ax < 18 ? !stagger : 0;
        last_ax = ax;
        my = s0 - 10 - stagger * 18;
        rs_svg_line(out, ax, my, ax, s1, level_colour[a->level_after & 3],
                    1.5, 1);
        snprintf(tip, sizeof(tip), "alert %zu, %s: %s to %s (score %d), %s",
                 nalert, when_text(a1, sizeof(a1), a->time),
                 level_words[a->level_before & 3],
                 level_words[a->level_after & 3], (int)a->score_after,
                 a->codes);
        rs_svg_circle(out, ax, my, 8, level_colour[a->level_after & 3], tip);
        snprintf(num, sizeof(num), "%zu", nalert);
        rs_svg_text(out, ax, my + 4, "middle", 10, 1, "#fff", num);
    }

    /* Lanes. */
    for (int l = 0; l < 4; l++) {
        double y = lanes0 + l * lane_h;

        rs_svg_line(out, x0, y + lane_h, x1, y + lane_h, "#eee", 1, 0);
        rs_svg_text(out, x0 - 8, y + lane_h / 2 + 4, "end", 12, 0, "#333",
                    lane_names[l]);
    }
    {
        int row_i = 0;

        for (size_t i = c->first_invoice; i != SIZE_MAX;
             i = bt->invoices[i].next) {
            const struct rs_backtest_invoice *inv = &bt->invoices[i];
            int64_t end = inv->paid_date != RS_BACKTEST_NO_DATE
                              ? (int64_t)inv->paid_date * DAY_MS
                              : hi;
            double xa = rs_svg_map(&xs, (double)inv->issued_at);
            double xb = rs_svg_map(&xs, (double)end);
            double xd = rs_svg_map(&xs, (double)inv->due_date * DAY_MS);
            double y = lanes0 + 6 + (row_i++ % 3) * 8;
            const char *col = inv->cancelled ? "#bdbdbd"
                              : inv->paid_date == RS_BACKTEST_NO_DATE
                                  ? "#c62828"
                              : inv->outcome == 1 ? "#ef6c00"
                                                  : "#2e7d32";

            amount_text(a3, sizeof(a3), inv->amount);
            if (inv->paid_date != RS_BACKTEST_NO_DATE)
                snprintf(tip, sizeof(tip), "invoice %s, %s: issued %s, due "
                                           "%s, paid %s (%d days late); "
                                           "score before %d",
                         inv->id, a3,
                         rs_format_date(a1, sizeof(a1), inv->issue_date),
                         rs_format_date(a2, sizeof(a2), inv->due_date),
                         rs_format_date(title, sizeof(title), inv->paid_date),
                         (int)(inv->paid_date - inv->due_date),
                         (int)inv->score_before);
            else
                snprintf(tip, sizeof(tip), "invoice %s, %s: issued %s, due "
                                           "%s, unpaid; score before %d",
                         inv->id, a3,
                         rs_format_date(a1, sizeof(a1), inv->issue_date),
                         rs_format_date(a2, sizeof(a2), inv->due_date),
                         (int)inv->score_before);
            rs_svg_rect(out, xa, y, xb - xa < 2 ? 2 : xb - xa, 5, col, tip);
            rs_svg_line(out, xd, y - 1, xd, y + 6, "#000", 1, 0);
        }
    }
    for (size_t i = 0; i < bt->mark_count; i++) {
        const struct rs_backtest_mark *m = &bt->marks[i];
        double mx, my;

        if (m->customer != ci || m->kind == RS_EVENT_INVOICE)
            continue;
        mx = rs_svg_map(&xs, (double)m->time);
        /* Lanes: payments 1, contacts 2, bureau 3. */
        my = lanes0 + (m->kind == RS_EVENT_COMM     ? 2
                       : m->kind == RS_EVENT_BUREAU ? 3
                                                    : 1) *
                          lane_h +
             lane_h / 2;
        snprintf(tip, sizeof(tip), "%s %s %s",
                 when_text(a1, sizeof(a1), m->time),
                 rs_event_kind_name((enum rs_event_kind)m->kind),
                 rs_event_type_name((enum rs_event_kind)m->kind, m->type));
        if (m->kind == RS_EVENT_PAYMENT) {
            amount_text(a3, sizeof(a3), m->amount);
            snprintf(tip + strlen(tip), sizeof(tip) - strlen(tip), " %s", a3);
            rs_svg_circle(out, mx, my, 4, "#1e88e5", tip);
        } else if (m->kind == RS_EVENT_COMM) {
            if (m->type == RS_COMM_REMINDER ||
                m->type == RS_COMM_FORMAL_NOTICE)
                rs_svg_triangle(out, mx, my, 5, 0, comm_colour(m->type), tip);
            else
                rs_svg_diamond(out, mx, my, 5, comm_colour(m->type), tip);
        } else {
            rs_svg_diamond(out, mx, my, 6, "#5e35b1", tip);
        }
    }
    rs_svg_line(out, x0, axis_y, x1, axis_y, "#333", 1, 0);
    rs_svg_text(out, (x0 + x1) / 2, axis_y + 36, "middle", 12, 0, "#333",
                "event time (month); invoice bars run from issue to payment, "
                "the black tick is the due date");
    rs_svg_end(out);

    /* The alerts, with their reasons, in words. */
    if (!nalert)
        return;
    fputs("<table class=\"alerts\"><tr><th>#</th><th>When</th><th>Change"
          "</th><th>Score</th><th>Reasons</th><th>Main reason in words</th>"
          "</tr>\n",
          out);
    nalert = 0;
    for (size_t i = 0; i < bt->alert_count; i++) {
        const struct rs_backtest_alert *a = &bt->alerts[i];

        if (a->customer != ci)
            continue;
        fprintf(out, "<tr><td>%zu</td><td class=\"nw\">%s</td><td "
                     "class=\"nw\" style=\"color:%s\">%s &rarr; %s</td>"
                     "<td class=\"num\">%d &rarr; %d</td><td>",
                ++nalert, when_text(a1, sizeof(a1), a->time),
                level_colour[a->level_after & 3],
                level_words[a->level_before & 3],
                level_words[a->level_after & 3], (int)a->score_before,
                (int)a->score_after);
        for (const char *p = a->codes; *p; p++) {
            if (*p == '|')
                fputs(", ", out);
            else
                fputc(*p, out);
        }
        fputs("</td><td>", out);
        rs_svg_escape(out, a->codes[0] ? a->message
                              : "no risk signal left (paid, resolved or "
                                "aged out)");
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* Picks the customers to draw: those asked for, then by highest score and
 * by most alerts in turn. */
static size_t pick(const struct rs_backtest *bt,
                   const struct rs_report_options *opt, size_t *out,
                   FILE *html_out)
{
    size_t n = 0;
    int by_alerts = 0;

    for (size_t i = 0; i < opt->customer_count && n < RS_REPORT_TIMELINES_MAX;
         i++) {
        size_t ci = rs_backtest_customer_index(bt, opt->customers[i]);

        if (ci == SIZE_MAX || !bt->customers[ci].events) {
            fputs("<p class=\"note\">Customer ", html_out);
            rs_svg_escape(html_out, opt->customers[i]);
            fputs(" has no events in this file.</p>\n", html_out);
            continue;
        }
        out[n++] = ci;
    }
    for (int k = 0; k < opt->auto_timelines && n < RS_REPORT_TIMELINES_MAX;
         k++, by_alerts = !by_alerts) {
        size_t best = SIZE_MAX;

        for (size_t i = 0; i < bt->customer_count; i++) {
            const struct rs_backtest_customer *c = &bt->customers[i];
            int taken = 0;

            for (size_t j = 0; j < n; j++)
                taken |= out[j] == i;
            if (taken || !c->events)
                continue;
            if (best == SIZE_MAX) {
                best = i;
                continue;
            }
            if (by_alerts ? c->alerts > bt->customers[best].alerts ||
                                (c->alerts == bt->customers[best].alerts &&
                                 c->max_score > bt->customers[best].max_score)
                          : c->max_score > bt->customers[best].max_score ||
                                (c->max_score ==
                                     bt->customers[best].max_score &&
                                 c->alerts > bt->customers[best].alerts))
                best = i;
        }
        if (best == SIZE_MAX)
            break;
        out[n++] = best;
    }
    return n;
}

void rs_report_timelines(FILE *out, const struct rs_backtest *bt,
                         const struct rs_report_options *opt)
{
    size_t chosen[RS_REPORT_TIMELINES_MAX];
    size_t n = pick(bt, opt, chosen, out);

    for (size_t i = 0; i < n; i++)
        timeline(out, bt, chosen[i]);
}
