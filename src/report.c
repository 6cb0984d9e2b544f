/* The backtest report directory (report.h).
 *
 * quality.json and the CSV files (trajectories, invoices, labels) are plain
 * writers. index.html is one pass of HTML with inline SVG from svg.c: a
 * summary table, the score histogram, the alerts per month and a few
 * customer timelines. Colours follow the risk levels everywhere on the
 * page (green LOW, amber MEDIUM, orange HIGH, red CRITICAL) so that a
 * reader learns them once; the timelines are in report_timeline.c. */
#include "riskstream/report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/format.h"
#include "riskstream/mem.h"
#include "svg.h"

#define DAY_MS 86400000LL
#define PAGE_W 1300
#define HIST_BINS 10

static const char *outcome_words(enum rs_quality_outcome o)
{
    switch (o) {
    case RS_OUTCOME_TRUTH:
        return "truth";
    case RS_OUTCOME_LABELS:
        return "labels";
    case RS_OUTCOME_LATE:
        break;
    }
    return "late_invoices";
}

static const char *lead_reference(enum rs_quality_outcome o)
{
    switch (o) {
    case RS_OUTCOME_TRUTH:
        return "first invoice more than N days past due at or after the "
               "planted onset, minus the first right HIGH/CRITICAL alert";
    case RS_OUTCOME_LABELS:
        return "label time minus the first HIGH/CRITICAL alert at or before "
               "it";
    case RS_OUTCOME_LATE:
        break;
    }
    return "first invoice more than N days past due minus the customer's "
           "first HIGH/CRITICAL alert";
}

/* quality.json */

static void jnum(FILE *out, const char *name, double v, int comma)
{
    if (isnan(v) || isinf(v))
        fprintf(out, "  \"%s\": null%s\n", name, comma ? "," : "");
    else
        fprintf(out, "  \"%s\": %.6g%s\n", name, v, comma ? "," : "");
}

static void jstr(FILE *out, const char *name, const char *v)
{
    fprintf(out, "  \"%s\": \"", name);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', out);
        if ((unsigned char)*p >= 0x20)
            fputc(*p, out);
    }
    fputs("\",\n", out);
}

void rs_report_quality_json(FILE *out, const struct rs_backtest *bt,
                            const struct rs_backtest_quality *q)
{
    const struct rs_quality_alerts *a = &q->alerts;
    char from[32] = "", to[32] = "";

    if (bt->first_time <= bt->last_time) {
        rs_format_time(from, sizeof(from), bt->first_time);
        rs_format_time(to, sizeof(to), bt->last_time);
    }
    fputs("{\n", out);
    jnum(out, "late_days", q->late_days, 1);
    jnum(out, "auc_invoice_late", q->auc_invoice_late, 1);
    jnum(out, "baseline_auc_late_share", q->baseline_auc_late_share, 1);
    jnum(out, "invoices_scored", (double)q->invoices_scored, 1);
    jnum(out, "invoices_late", (double)q->invoices_late, 1);
    jnum(out, "invoices_with_history", (double)q->invoices_with_history, 1);
    jnum(out, "auc_invoice_late_with_history",
         q->auc_invoice_late_with_history, 1);
    jnum(out, "baseline_auc_late_share_with_history",
         q->baseline_auc_late_share_with_history, 1);
    jnum(out, "hindsight_auc_late_share_with_history",
         q->hindsight_auc_late_share_with_history, 1);
    jnum(out, "auc_label", q->auc_label, 1);
    jnum(out, "baseline_auc_label", q->baseline_auc_label, 1);
    jnum(out, "labels_scored", (double)q->labels_scored, 1);
    jnum(out, "labels_positive", (double)q->labels_positive, 1);
    jstr(out, "alert_outcome", outcome_words(q->outcome));
    jnum(out, "alerts_raising_high", (double)a->raising, 1);
    jnum(out, "alerts_true_positive", (double)a->true_positives, 1);
    jnum(out, "alert_precision", a->precision, 1);
    jnum(out, "alert_recall", a->recall, 1);
    jnum(out, "alert_recall_any_reason", a->recall_any_reason, 1);
    if (q->outcome == RS_OUTCOME_TRUTH)
        jnum(out, "alert_recall_any_level", a->recall_any_level, 1);
    jnum(out, "customers_positive", (double)a->positives, 1);
    jnum(out, "customers_recalled", (double)a->recalled, 1);
    jnum(out, "median_lead_time_days", a->median_lead_days, 1);
    jstr(out, "lead_time_reference", lead_reference(q->outcome));
    jnum(out, "lead_time_customers", (double)a->lead_customers, 1);
    jnum(out, "median_detection_delay_days", a->median_delay_days, 1);
    jnum(out, "false_alerts_none", (double)a->false_alerts_on_negatives, 1);
    jnum(out, "customers_negative", (double)a->negatives, 1);
    jnum(out, "false_alerts_none_per_100_customers_per_year",
         q->false_alerts_none_per_100_per_year, 1);
    jnum(out, "false_alerts_none_any_level",
         (double)a->false_any_level_on_negatives, 1);
    jnum(out, "false_alerts_none_any_level_per_100_customers_per_year",
         q->false_any_level_none_per_100_per_year, 1);
    jnum(out, "truth_customers_not_in_events", (double)q->truth_missing, 1);
    fputs("  \"recall_by_family\": {", out);
    for (size_t i = 0; i < a->family_count; i++) {
        const struct rs_quality_family *f = &a->families[i];

        fprintf(out, "%s\n    \"%s\": {\"customers\": %zu, \"recalled\": %zu, "
                     "\"recalled_any_level\": %zu, \"recall\": ",
                i ? "," : "", f->name, f->customers, f->recalled,
                f->recalled_any_level);
        if (f->customers && strcmp(f->name, "none") != 0)
            fprintf(out, "%.6g}", (double)f->recalled / (double)f->customers);
        else
            fputs("null}", out);
    }
    fputs(a->family_count ? "\n  },\n" : "},\n", out);
    jnum(out, "alerts", (double)q->alerts_total, 1);
    jnum(out, "alerts_per_100_customers_per_month",
         q->alerts_per_100_customers_per_month, 1);
    jnum(out, "months", q->months, 1);
    jstr(out, "data_from", from);
    jstr(out, "data_to", to);
    jnum(out, "customers", (double)bt->customers_with_events, 1);
    jnum(out, "records", (double)bt->records, 1);
    jnum(out, "events_applied", (double)bt->events_applied, 1);
    jnum(out, "timers_fired", (double)bt->timers_fired, 1);
    jnum(out, "dead_letters", (double)bt->deadletter_count, 1);
    fputs("  \"dead_letters_by_class\": {", out);
    for (int c = 0, n = 0; c < RS_ERROR_CLASSES; c++)
        if (bt->deadletters[c])
            fprintf(out, "%s\"%s\": %" PRIu64, n++ ? ", " : "",
                    rs_error_class_name((enum rs_error_class)c),
                    bt->deadletters[c]);
    fputs("},\n", out);
    fputs("  \"reasons\": [", out);
    for (size_t r = 0; r < q->reason_count; r++) {
        const struct rs_reason_figure *f = &q->reasons[r];

        fprintf(out, "%s\n    {\"code\": \"%s\", \"invoices\": %zu, "
                     "\"invoices_late\": %zu, \"labels\": %zu, "
                     "\"labels_positive\": %zu}",
                r ? "," : "", f->code, f->invoices, f->invoices_late,
                f->labels, f->labels_positive);
    }
    fputs(q->reason_count ? "\n  ],\n" : "],\n", out);
    jnum(out, "reasons_untold", (double)bt->reasons_untold, 1);
    jstr(out, "partitioner", bt->partitioner);
    jnum(out, "partitions", bt->partitions, 0);
    fputs("}\n", out);
}

/* A CSV field: quoted when it holds a delimiter, a quote or a line
 * break (ids come from the supplier's ERP and may). */
static void csv_text(FILE *out, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* The reason codes of a set, '|'-separated (codes are [A-Z0-9_]). */
static void csv_reasons(FILE *out, const struct rs_backtest *bt,
                        const struct rs_reason_bits *r)
{
    int n = 0;

    for (size_t i = 0; i < bt->reason_code_count; i++)
        if (r->bits[i / 64] >> (i % 64) & 1)
            fprintf(out, "%s%s", n++ ? "|" : "", bt->reason_codes[i]);
}

/* trajectories.csv */

void rs_report_trajectories(FILE *out, const struct rs_backtest *bt)
{
    char when[32];

    fputs("customer_id,time,score,level\n", out);
    for (size_t i = 0; i < bt->point_count; i++) {
        const struct rs_backtest_point *p = &bt->points[i];

        csv_text(out, bt->customers[p->customer].id);
        fprintf(out, ",%s,%d,%s\n",
                rs_format_time(when, sizeof(when), p->time), (int)p->score,
                rs_level_name((enum rs_level)p->level));
    }
}

/* invoices.csv */

void rs_report_invoices(FILE *out, const struct rs_backtest *bt)
{
    char when[32], due[16], paid[16];

    fputs("customer_id,invoice_id,issued_at,due_date,paid_date,days_late,"
          "outcome,score_before,baseline,reasons\n",
          out);
    for (size_t i = 0; i < bt->invoice_count; i++) {
        const struct rs_backtest_invoice *inv = &bt->invoices[i];
        const char *outcome = inv->cancelled      ? "cancelled"
                              : inv->outcome == 1 ? "late"
                              : inv->outcome == 0 ? "on_time"
                                                  : "unknown";

        rs_format_time(when, sizeof(when), inv->issued_at);
        rs_format_date(due, sizeof(due), inv->due_date);
        if (inv->paid_date == RS_BACKTEST_NO_DATE)
            paid[0] = '\0';
        else
            rs_format_date(paid, sizeof(paid), inv->paid_date);
        csv_text(out, bt->customers[inv->customer].id);
        fputc(',', out);
        csv_text(out, inv->id);
        fprintf(out, ",%s,%s,%s,%d,%s,%d,%.4f,", when, due, paid,
                (int)inv->days_late, outcome, (int)inv->score_before,
                inv->baseline);
        csv_reasons(out, bt, &inv->reasons);
        fputc('\n', out);
    }
}

/* labels.csv */

void rs_report_labels(FILE *out, const struct rs_backtest *bt)
{
    char when[32];

    fputs("customer_id,label_time,label,score,baseline,reasons\n", out);
    for (size_t i = 0; i < bt->customer_count; i++) {
        const struct rs_backtest_customer *c = &bt->customers[i];

        if (!c->has_label)
            continue;
        csv_text(out, c->id);
        fprintf(out, ",%s,%d,%d,%.0f,",
                rs_format_time(when, sizeof(when), c->label_time), c->label,
                (int)c->label_score, c->label_baseline);
        csv_reasons(out, bt, &c->label_reasons);
        fputc('\n', out);
    }
}

/* index.html: helpers. */

static void html(FILE *out, const char *s)
{
    rs_svg_escape(out, s);
}

static void pct_or_na(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "n/a");
    else
        snprintf(buf, size, "%.1f %%", v * 100);
}

static void num_or_na(char *buf, size_t size, double v, int decimals,
                      const char *unit)
{
    if (isnan(v))
        snprintf(buf, size, "n/a");
    else
        snprintf(buf, size, "%.*f%s", decimals, v, unit);
}

static void row(FILE *out, const char *figure, const char *ours,
                const char *base, const char *meaning)
{
    fputs("<tr><td>", out);
    html(out, figure);
    fputs("</td><td class=\"num\"><b>", out);
    html(out, ours);
    fputs("</b></td><td class=\"num\">", out);
    html(out, base);
    fputs("</td><td>", out);
    html(out, meaning);
    fputs("</td></tr>\n", out);
}

static const char *outcome_sentence(enum rs_quality_outcome o)
{
    switch (o) {
    case RS_OUTCOME_TRUTH:
        return "the customer has a planted deterioration and the alert came "
               "at or after its onset";
    case RS_OUTCOME_LABELS:
        return "the customer's label is 1 (e.g. defaulted) and the alert came "
               "at or before the label date";
    case RS_OUTCOME_LATE:
        break;
    }
    return "the customer paid at least one invoice more than N days late "
           "somewhere in the data (no truth or labels given)";
}

static void summary_table(FILE *out, const struct rs_backtest *bt,
                          const struct rs_backtest_quality *q)
{
    const struct rs_quality_alerts *a = &q->alerts;
    char ours[64], base[64], text[512];

    fputs("<table>\n<tr><th>Figure</th><th>riskstream</th><th>Naive "
          "baseline</th><th>What it means</th></tr>\n",
          out);
    num_or_na(ours, sizeof(ours), q->auc_invoice_late, 3, "");
    num_or_na(base, sizeof(base), q->baseline_auc_late_share, 3, "");
    snprintf(text, sizeof(text),
             "Chance that a late invoice (paid more than %d days after its "
             "due date) came from a customer with a higher risk score, held "
             "before the invoice, than an on-time one. 0.5 is a coin toss, "
             "1.0 perfect. Baseline: the share of the customer's earlier "
             "invoices that were paid late. %zu invoices, %zu late.",
             q->late_days, q->invoices_scored, q->invoices_late);
    row(out, "Ranking of invoices (AUC)", ours, base, text);
    if (q->invoices_with_history) {
        char hind[64];

        num_or_na(ours, sizeof(ours), q->auc_invoice_late_with_history, 3,
                  "");
        num_or_na(base, sizeof(base),
                  q->baseline_auc_late_share_with_history, 3, "");
        num_or_na(hind, sizeof(hind),
                  q->hindsight_auc_late_share_with_history, 3, "");
        snprintf(text, sizeof(text),
                 "The same on the %zu invoices of customers with an earlier "
                 "invoice (each newcomer's first left out). With hindsight, "
                 "counting outcomes not yet known at each invoice's date, "
                 "the customer's late share would score %s: no system "
                 "could have used it at the time.",
                 q->invoices_with_history, hind);
        row(out, "Ranking of invoices of known customers (AUC)", ours, base,
            text);
    }
    if (q->labels_scored) {
        num_or_na(ours, sizeof(ours), q->auc_label, 3, "");
        num_or_na(base, sizeof(base), q->baseline_auc_label, 3, "");
        snprintf(text, sizeof(text),
                 "The same for customers with a label (e.g. default): score "
                 "at the label date against the label. Baseline: the most "
                 "days any invoice of the customer was past due by then. "
                 "%zu customers, %zu labelled 1.",
                 q->labels_scored, q->labels_positive);
        row(out, "Ranking at the label date (AUC)", ours, base, text);
    }
    pct_or_na(ours, sizeof(ours), a->precision);
    snprintf(text, sizeof(text),
             "Of the %zu alerts that raised a customer to HIGH or CRITICAL, "
             "the share that were right: %s.",
             a->raising, outcome_sentence(q->outcome));
    row(out, "Alert precision", ours, "", text);
    pct_or_na(ours, sizeof(ours), a->recall);
    snprintf(text, sizeof(text),
             "Of the %zu customers that should have been warned about, the "
             "share that got a HIGH or CRITICAL alert%s.",
             a->positives,
             q->outcome == RS_OUTCOME_TRUTH
                 ? " at or after onset naming a right reason"
                 : "");
    row(out, "Alert recall", ours, "", text);
    if (q->outcome == RS_OUTCOME_TRUTH) {
        pct_or_na(ours, sizeof(ours), a->recall_any_level);
        snprintf(text, sizeof(text),
                 "The same, counting every alert that raised the level (to "
                 "MEDIUM too) at or after onset naming a right reason: %zu "
                 "of %zu.",
                 a->recalled_any_level, a->positives);
        row(out, "Alert recall, any level", ours, "", text);
    }
    num_or_na(ours, sizeof(ours), a->median_lead_days, 1, " days");
    snprintf(text, sizeof(text),
             "How long before trouble the first warning came (%zu "
             "customers): %s. Negative: the warning came after.",
             a->lead_customers, lead_reference(q->outcome));
    row(out, "Median lead time", ours, "", text);
    num_or_na(ours, sizeof(ours), q->alerts_per_100_customers_per_month,
              2, "");
    snprintf(text, sizeof(text),
             "Workload: every level change (%zu alerts, up or down) per 100 "
             "customers per month of data (%.1f months, %zu customers).",
             q->alerts_total, q->months, bt->customers_with_events);
    row(out, "Alerts per 100 customers per month", ours, "", text);
    if (q->outcome == RS_OUTCOME_TRUTH) {
        num_or_na(ours, sizeof(ours), q->false_alerts_none_per_100_per_year,
                  2, "");
        snprintf(text, sizeof(text),
                 "HIGH/CRITICAL alerts on the %zu customers that never "
                 "deteriorate (%zu alerts), per 100 such customers per year.",
                 a->negatives, a->false_alerts_on_negatives);
        row(out, "False alerts on healthy customers", ours, "", text);
        num_or_na(ours, sizeof(ours),
                  q->false_any_level_none_per_100_per_year, 2, "");
        snprintf(text, sizeof(text),
                 "The same counting every alert that raised the level (to "
                 "MEDIUM too): %zu alerts.",
                 a->false_any_level_on_negatives);
        row(out, "False alerts on healthy customers, any level", ours, "",
            text);
    }
    fputs("</table>\n", out);
    if (a->family_count) {
        fputs("<h3>Recall by kind of deterioration</h3>\n<table><tr><th>"
              "Family</th><th>Customers</th><th>HIGH/CRITICAL with a right "
              "reason</th><th>Recall</th><th>Any level with a right "
              "reason</th></tr>\n",
              out);
        for (size_t i = 0; i < a->family_count; i++) {
            const struct rs_quality_family *f = &a->families[i];

            if (strcmp(f->name, "none") == 0)
                continue;
            fputs("<tr><td>", out);
            html(out, f->name);
            fprintf(out, "</td><td class=\"num\">%zu</td><td class=\"num\">"
                         "%zu</td><td class=\"num\">%.0f %%</td>"
                         "<td class=\"num\">%zu</td></tr>\n",
                    f->customers, f->recalled,
                    f->customers ? 100.0 * (double)f->recalled /
                                       (double)f->customers
                                 : 0.0,
                    f->recalled_any_level);
        }
        fputs("</table>\n", out);
    }
}

/* Score histogram: the score held before each invoice, on-time and late
 * invoices as shares of their own kind, so the two shapes compare. */
static void histogram(FILE *out, const struct rs_backtest *bt,
                      const struct rs_backtest_quality *q)
{
    size_t count[2][HIST_BINS] = {{0}}, total[2] = {0};
    double share[2][HIST_BINS], top = 0;
    struct rs_svg_scale ys;
    const double x0 = 80, x1 = PAGE_W - 20, y0 = 50, y1 = 290;
    double bw = (x1 - x0) / HIST_BINS, x;
    char label[128];

    for (size_t i = 0; i < bt->invoice_count; i++) {
        const struct rs_backtest_invoice *inv = &bt->invoices[i];
        int b = inv->score_before / 10;

        if (inv->outcome < 0)
            continue;
        if (b >= HIST_BINS)
            b = HIST_BINS - 1;
        count[inv->outcome][b]++;
        total[inv->outcome]++;
    }
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < HIST_BINS; b++) {
            share[k][b] = total[k] ? 100.0 * (double)count[k][b] /
                                         (double)total[k]
                                   : 0;
            if (share[k][b] > top)
                top = share[k][b];
        }
    ys = (struct rs_svg_scale){0, top > 0 ? top * 1.1 : 1, y1, y0};
    rs_svg_begin(out, PAGE_W, 340, "Distribution of the risk score held "
                                   "before each invoice");
    snprintf(label, sizeof(label), "on time (paid at most %d days late): "
                                   "%zu invoices",
             q->late_days, total[0]);
    x = rs_svg_legend(out, x0, 22, "#4e79a7", label);
    snprintf(label, sizeof(label), "late (paid more than %d days late or "
                                   "still unpaid): %zu invoices",
             q->late_days, total[1]);
    rs_svg_legend(out, x, 22, "#e15759", label);
    rs_svg_y_axis(out, &ys, x0, x1, 6, " %");
    for (int b = 0; b < HIST_BINS; b++) {
        for (int k = 0; k < 2; k++) {
            double bx = x0 + b * bw + bw * 0.12 + k * bw * 0.38;
            double y = rs_svg_map(&ys, share[k][b]);
            char tip[160];

            snprintf(tip, sizeof(tip), "score %d-%d: %zu %s invoices (%.1f "
                                       "%%)",
                     b * 10, b == HIST_BINS - 1 ? 100 : b * 10 + 9,
                     count[k][b], k ? "late" : "on-time", share[k][b]);
            rs_svg_rect(out, bx, y, bw * 0.36, y1 - y,
                        k ? "#e15759" : "#4e79a7", tip);
        }
        snprintf(label, sizeof(label), "%d-%d", b * 10,
                 b == HIST_BINS - 1 ? 100 : b * 10 + 9);
        rs_svg_text(out, x0 + b * bw + bw / 2, y1 + 17, "middle", 12, 0,
                    "#333", label);
    }
    rs_svg_line(out, x0, y1, x1, y1, "#333", 1, 0);
    rs_svg_text(out, (x0 + x1) / 2, y1 + 40, "middle", 13, 0, "#333",
                "risk score held before the invoice (0 = no risk seen, 100 = "
                "highest)");
    rs_svg_vtext(out, 22, (y0 + y1) / 2, 13, "share of invoices of that kind");
    rs_svg_end(out);
}

/* Alerts per calendar month, stacked by what they did. */
static void alerts_per_month(FILE *out, const struct rs_backtest *bt)
{
    int first, last, months;
    size_t (*count)[4];
    double top = 0;
    struct rs_svg_scale ys;
    const double x0 = 80, x1 = PAGE_W - 20, y0 = 50, y1 = 290;
    /* Stack order, bottom up: lowered, MEDIUM, HIGH, CRITICAL. */
    static const char *const colour[4] = {"#9e9e9e", "#f9a825", "#ef6c00",
                                          "#c62828"};
    static const char *const words[4] = {"lowered (any level)",
                                         "raised to MEDIUM", "raised to HIGH",
                                         "raised to CRITICAL"};
    double x, bw;
    size_t step;

    if (bt->first_time > bt->last_time)
        return;
    first = rs_svg_month_index(bt->first_time);
    last = rs_svg_month_index(bt->last_time);
    months = last - first + 1;
    count = rs_calloc((size_t)months, sizeof(*count));
    for (size_t i = 0; i < bt->alert_count; i++) {
        const struct rs_backtest_alert *a = &bt->alerts[i];
        int m = rs_svg_month_index(a->time) - first;
        int k = a->level_after < a->level_before ? 0 : a->level_after;

        if (m < 0 || m >= months)
            continue;
        if (k < 0 || k > 3)
            k = 3;
        count[m][k]++;
    }
    for (int m = 0; m < months; m++) {
        double sum = 0;

        for (int k = 0; k < 4; k++)
            sum += (double)count[m][k];
        if (sum > top)
            top = sum;
    }
    ys = (struct rs_svg_scale){0, top > 0 ? top * 1.1 : 1, y1, y0};
    rs_svg_begin(out, PAGE_W, 340, "Alerts per month by what they did");
    x = x0;
    for (int k = 3; k >= 0; k--)
        x = rs_svg_legend(out, x, 22, colour[k], words[k]);
    rs_svg_y_axis(out, &ys, x0, x1, 6, "");
    bw = (x1 - x0) / months;
    step = (size_t)(months / 24 + 1);
    for (int m = 0; m < months; m++) {
        double base = y1;
        char label[64], tip[200];
        int64_t start = rs_svg_month_start(first + m);

        rs_format_date(label, sizeof(label), (int32_t)(start / DAY_MS));
        label[7] = '\0';
        for (int k = 0; k < 4; k++) {
            double h;

            if (!count[m][k])
                continue;
            h = y1 - rs_svg_map(&ys, (double)count[m][k]);
            snprintf(tip, sizeof(tip), "%s: %zu alerts %s", label,
                     count[m][k], words[k]);
            rs_svg_rect(out, x0 + m * bw + bw * 0.1, base - h, bw * 0.8, h,
                        colour[k], tip);
            base -= h;
        }
        if ((size_t)m % step == 0)
            rs_svg_text(out, x0 + m * bw + bw / 2, y1 + 17, "middle", 11, 0,
                        "#333", label);
    }
    rs_svg_line(out, x0, y1, x1, y1, "#333", 1, 0);
    rs_svg_text(out, (x0 + x1) / 2, y1 + 40, "middle", 13, 0, "#333",
                "month of the alert (event time)");
    rs_svg_vtext(out, 22, (y0 + y1) / 2, 13, "alerts in the month");
    rs_svg_end(out);
    free(count);
}

/* What followed each reason where it counted in the score, beside what
 * followed all scores: the table to read before changing a detector's
 * weight for a segment. */
static void reasons_table(FILE *out, const struct rs_backtest_quality *q)
{
    double late_all = q->invoices_scored ? (double)q->invoices_late /
                                               (double)q->invoices_scored
                                         : NAN;
    double pos_all = q->labels_scored ? (double)q->labels_positive /
                                            (double)q->labels_scored
                                      : NAN;
    char a[32], b[32];

    if (!q->reason_count)
        return;
    fputs("<h2>What followed each reason</h2>\n<p class=\"note\">For each "
          "reason that counted in a score the backtest read (before an "
          "invoice, or at a label time): how often what followed was bad. "
          "A reason whose share is no higher than the share of all scores "
          "adds points without telling risk apart on this data; its "
          "detector's weight can be lowered for the segment "
          "(<code>segment.&lt;segment&gt;.weight.&lt;detector&gt;</code>).</p>\n"
          "<table><tr><th>Reason</th><th>Invoices scored with it</th>"
          "<th>of them late</th><th>Labels scored with it</th>"
          "<th>of them positive</th></tr>\n",
          out);
    pct_or_na(a, sizeof(a), late_all);
    pct_or_na(b, sizeof(b), pos_all);
    fprintf(out, "<tr><td><i>every score</i></td><td class=\"num\">%zu</td>"
                 "<td class=\"num\">%s</td><td class=\"num\">%zu</td>"
                 "<td class=\"num\">%s</td></tr>\n",
            q->invoices_scored, a, q->labels_scored, b);
    for (size_t r = 0; r < q->reason_count; r++) {
        const struct rs_reason_figure *f = &q->reasons[r];

        pct_or_na(a, sizeof(a),
                  f->invoices ? (double)f->invoices_late / (double)f->invoices
                              : NAN);
        pct_or_na(b, sizeof(b),
                  f->labels ? (double)f->labels_positive / (double)f->labels
                            : NAN);
        fputs("<tr><td>", out);
        html(out, f->code);
        fprintf(out, "</td><td class=\"num\">%zu</td><td class=\"num\">%s"
                     "</td><td class=\"num\">%zu</td><td class=\"num\">%s"
                     "</td></tr>\n",
                f->invoices, a, f->labels, b);
    }
    fputs("</table>\n", out);
}

void rs_report_html(FILE *out, const struct rs_backtest *bt,
                    const struct rs_backtest_quality *q,
                    const struct rs_report_options *opt)
{
    char from[32] = "?", to[32] = "?";

    if (bt->first_time <= bt->last_time) {
        rs_format_date(from, sizeof(from),
                       (int32_t)(bt->first_time / DAY_MS));
        rs_format_date(to, sizeof(to), (int32_t)(bt->last_time / DAY_MS));
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>riskstream backtest: ",
          out);
    html(out, opt->title ? opt->title : "");
    fputs("</title>\n<style>\n"
          "body{font-family:Helvetica,Arial,sans-serif;margin:20px 40px;"
          "color:#222;max-width:1320px}\n"
          "h1{margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid "
          "#ccc}\n"
          "table{border-collapse:collapse;margin:8px 0}"
          "td,th{border:1px solid #ccc;padding:5px 8px;font-size:14px;"
          "vertical-align:top}th{background:#f2f2f2;text-align:left}\n"
          ".num{text-align:right;white-space:nowrap}.nw{white-space:nowrap}"
          ".note{color:#555;font-size:14px}\n"
          "table.alerts td{font-size:13px}\n"
          "</style></head><body>\n<h1>Backtest: would riskstream's warnings "
          "have been right, early and few?</h1>\n<p class=\"note\">",
          out);
    fputs("Event file <b>", out);
    html(out, opt->title ? opt->title : "");
    fprintf(out, "</b>: data from %s to %s (%.1f months), %zu customers, "
                 "%" PRIu64 " records, %" PRIu64 " events applied, %" PRIu64
                 " records refused as dead letters, %d tasks. The same engine "
                 "and settings as the daemon, replayed in event time. An "
                 "invoice counts as <i>late</i> when paid more than %d days "
                 "after its due date, or still unpaid that long after it at "
                 "the end of the data.</p>\n",
            from, to, q->months, bt->customers_with_events, bt->records,
            bt->events_applied, bt->deadletter_count, bt->partitions,
            q->late_days);
    fputs("<h2>How good are the warnings?</h2>\n", out);
    summary_table(out, bt, q);
    fputs("<h2>Risk score before each invoice</h2>\n<p class=\"note\">If "
          "the score is useful, late invoices (red) sit further right than "
          "on-time ones (blue). Each colour adds up to 100 %.</p>\n",
          out);
    histogram(out, bt, q);
    reasons_table(out, q);
    fputs("<h2>Alerts per month</h2>\n<p class=\"note\">Every level change "
          "is one alert. A storm of alerts is a failure too: each one is a "
          "call or a letter for someone.</p>\n",
          out);
    alerts_per_month(out, bt);
    fputs("<h2>Customer timelines</h2>\n<p class=\"note\">Hover over a "
          "shape for its details.</p>\n",
          out);
    rs_report_timelines(out, bt, opt);
    if (bt->kept_count) {
        fprintf(out, "<h2>Records refused (dead letters)</h2>\n<p "
                     "class=\"note\">%" PRIu64 " records could not be used; "
                     "the first ones are below, all are in "
                     "deadletters.jsonl.</p>\n<table><tr><th>Record</th><th>"
                     "Partition</th><th>Offset</th><th>Key</th><th>Class</th>"
                     "<th>Why</th></tr>\n",
                bt->deadletter_count);
        for (size_t i = 0; i < bt->kept_count && i < 20; i++) {
            const struct rs_backtest_deadletter *d = &bt->kept[i];

            fprintf(out, "<tr><td class=\"num\">%" PRIu64 "</td><td "
                         "class=\"num\">%d</td><td class=\"num\">%" PRId64
                         "</td><td>",
                    d->index, (int)d->partition, d->offset);
            html(out, d->key);
            fprintf(out, "</td><td>%s</td><td>",
                    rs_error_class_name(d->error_class));
            html(out, d->why);
            fputs("</td></tr>\n", out);
        }
        fputs("</table>\n", out);
    }
    fputs("<p class=\"note\">Made by riskstream backtest. Figures are defined "
          "in docs/backtest.md.</p>\n</body></html>\n",
          out);
}

static int write_one(const char *dir, const char *name,
                     const struct rs_backtest *bt,
                     const struct rs_backtest_quality *q,
                     const struct rs_report_options *opt, char *errstr,
                     size_t errstr_size)
{
    char path[4096];
    FILE *fp;
    int bad;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    if (!fp) {
        snprintf(errstr, errstr_size, "cannot create '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    if (strcmp(name, "quality.json") == 0)
        rs_report_quality_json(fp, bt, q);
    else if (strcmp(name, "trajectories.csv") == 0)
        rs_report_trajectories(fp, bt);
    else if (strcmp(name, "invoices.csv") == 0)
        rs_report_invoices(fp, bt);
    else if (strcmp(name, "labels.csv") == 0)
        rs_report_labels(fp, bt);
    else
        rs_report_html(fp, bt, q, opt);
    bad = ferror(fp);
    if (fclose(fp) || bad) {
        snprintf(errstr, errstr_size, "cannot write '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int rs_report_write(const struct rs_backtest *bt,
                    const struct rs_backtest_quality *q,
                    const struct rs_report_options *opt, char *errstr,
                    size_t errstr_size)
{
    static const char *const files[] = {"quality.json", "trajectories.csv",
                                        "invoices.csv", "index.html"};

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (write_one(opt->dir, files[i], bt, q, opt, errstr, errstr_size))
            return -1;
    if (q->labels_scored &&
        write_one(opt->dir, "labels.csv", bt, q, opt, errstr, errstr_size))
        return -1;
    return 0;
}
