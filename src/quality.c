/* Quality figures of a backtest (quality.h).
 *
 * The AUC sorts once and gives tied scores their average rank, so it costs
 * O(n log n) and counts ties exactly half, as the pairwise definition
 * does. The label files are small CSVs without quoting rules beyond an
 * optional pair of double quotes around a field; a bad row stops the load
 * with its line number, since a silently skipped truth row would make the
 * recall look better than it is. rs_backtest_quality() at the end turns a
 * backtest's measurements into these figures. */
#include "riskstream/quality.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/avro_text.h"
#include "riskstream/backtest.h"
#include "riskstream/csv.h"
#include "riskstream/mem.h"

#define DAY_MS 86400000LL

struct ranked {
    double score;
    uint8_t positive;
};

static int cmp_ranked(const void *x, const void *y)
{
    const struct ranked *a = x, *b = y;

    return a->score < b->score ? -1 : a->score > b->score;
}

double rs_quality_auc(const double *score, const uint8_t *positive, size_t n)
{
    struct ranked *r;
    double pos = 0, neg = 0, rank_sum = 0;

    if (n == 0)
        return NAN;
    r = rs_calloc(n, sizeof(*r));
    for (size_t i = 0; i < n; i++) {
        r[i].score = score[i];
        r[i].positive = positive[i] ? 1 : 0;
        if (r[i].positive)
            pos++;
        else
            neg++;
    }
    if (pos == 0 || neg == 0) {
        free(r);
        return NAN;
    }
    qsort(r, n, sizeof(*r), cmp_ranked);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        size_t pos_in_tie = 0;
        double mid;

        while (j < n && r[j].score == r[i].score)
            pos_in_tie += r[j++].positive;
        /* Ranks i+1 .. j share their average. */
        mid = ((double)(i + 1) + (double)j) / 2.0;
        rank_sum += mid * (double)pos_in_tie;
        i = j;
    }
    free(r);
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return a < b ? -1 : a > b;
}

double rs_quality_median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* 1 when the code of len bytes at code is one of list's codes. */
static int list_has(const char *list, const char *code, size_t len)
{
    const char *p = list;

    while (*p) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);

        if (n == len && n && memcmp(p, code, n) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

int rs_quality_codes_overlap(const char *a, const char *b)
{
    const char *p = a;

    if (!a || !b)
        return 0;
    while (*p) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);

        if (list_has(b, p, n))
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* CSV reading: truth and label files through the project's CSV reader
 * (csv.h), one header check and one row check for both. */

static int copy_id(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* Opens path and checks its header; returns the reader or NULL. */
static struct rs_csv *open_rows(const char *path, const char *header,
                                char *errstr, size_t errstr_size)
{
    struct rs_csv *c = rs_csv_open(path, ',', '"', errstr, errstr_size);
    struct rs_csv_record rec;
    char got[256] = "";
    int rc;

    if (!c)
        return NULL;
    rc = rs_csv_next(c, &rec, errstr, errstr_size);
    if (rc < 0)
        goto fail;
    if (rc == 0) {
        snprintf(errstr, errstr_size, "'%s' is empty; expected the header "
                                      "'%s'",
                 path, header);
        goto fail;
    }
    for (size_t i = 0; i < rec.count; i++) {
        size_t used = strlen(got);

        snprintf(got + used, sizeof(got) - used, "%s%s", i ? "," : "",
                 rec.fields[i]);
    }
    if (strcmp(got, header) != 0) {
        snprintf(errstr, errstr_size, "'%s' line 1: header is '%s', "
                                      "expected '%s'",
                 path, got, header);
        goto fail;
    }
    return c;
fail:
    rs_csv_close(c);
    return NULL;
}

/* The next data row with exactly want fields: 1, 0 at the end, -1 with
 * errstr naming the line (a row too many, a broken or short row). */
static int next_row(struct rs_csv *c, const char *path, const char *header,
                    size_t want, size_t rows, struct rs_csv_record *rec,
                    char *errstr, size_t errstr_size)
{
    int rc = rs_csv_next(c, rec, errstr, errstr_size);

    if (rc <= 0)
        return rc;
    if (rows >= RS_QUALITY_LABELS_MAX) {
        snprintf(errstr, errstr_size, "'%s' has more than %d rows", path,
                 RS_QUALITY_LABELS_MAX);
        return -1;
    }
    if (rec->bad) {
        snprintf(errstr, errstr_size, "'%s' line %" PRIu64 ": %s", path,
                 rec->line, rec->bad);
        return -1;
    }
    if (rec->count != want) {
        snprintf(errstr, errstr_size, "'%s' line %" PRIu64 ": %zu fields, "
                                      "expected %zu (%s)",
                 path, rec->line, rec->count, want, header);
        return -1;
    }
    return 1;
}

long rs_quality_truth_load(const char *path, struct rs_quality_truth **out,
                           char *errstr, size_t errstr_size)
{
    static const char header[] = "customer_id,family,onset,reasons";
    struct rs_csv *c = open_rows(path, header, errstr, errstr_size);
    struct rs_quality_truth *v = NULL;
    struct rs_csv_record rec;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (!c)
        return -1;
    while ((rc = next_row(c, path, header, 4, n, &rec, errstr,
                          errstr_size)) == 1) {
        const char *const *f = rec.fields;
        struct rs_quality_truth *t;

        rs_grow((void **)&v, &cap, n + 1, sizeof(*v));
        t = &v[n];
        memset(t, 0, sizeof(*t));
        if (copy_id(t->customer_id, sizeof(t->customer_id), f[0]) ||
            copy_id(t->family, sizeof(t->family), f[1])) {
            snprintf(errstr, errstr_size, "'%s' line %" PRIu64 ": "
                                          "customer_id and family must be 1 "
                                          "to %d bytes",
                     path, rec.line, RS_ID_MAX - 1);
            goto fail;
        }
        t->onset = RS_QUALITY_NO_TIME;
        if (strcmp(t->family, "none") != 0 &&
            rs_avro_parse_timestamp(f[2], &t->onset)) {
            snprintf(errstr, errstr_size, "'%s' line %" PRIu64 ": onset "
                                          "'%s' is not an ISO instant like "
                                          "2025-03-04T00:00:00Z",
                     path, rec.line, f[2]);
            goto fail;
        }
        if (strlen(f[3]) >= sizeof(t->reasons)) {
            snprintf(errstr, errstr_size, "'%s' line %" PRIu64 ": reasons "
                                          "longer than %d bytes",
                     path, rec.line, RS_QUALITY_REASONS_MAX - 1);
            goto fail;
        }
        memcpy(t->reasons, f[3], strlen(f[3]) + 1);
        n++;
    }
    if (rc < 0)
        goto fail;
    rs_csv_close(c);
    *out = v;
    return (long)n;
fail:
    rs_csv_close(c);
    free(v);
    return -1;
}

long rs_quality_labels_load(const char *path, struct rs_quality_label **out,
                            char *errstr, size_t errstr_size)
{
    static const char header[] = "customer_id,label_time,label";
    struct rs_csv *c = open_rows(path, header, errstr, errstr_size);
    struct rs_quality_label *v = NULL;
    struct rs_csv_record rec;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (!c)
        return -1;
    while ((rc = next_row(c, path, header, 3, n, &rec, errstr,
                          errstr_size)) == 1) {
        const char *const *f = rec.fields;
        struct rs_quality_label *l;

        rs_grow((void **)&v, &cap, n + 1, sizeof(*v));
        l = &v[n];
        memset(l, 0, sizeof(*l));
        if (copy_id(l->customer_id, sizeof(l->customer_id), f[0])) {
            snprintf(errstr, errstr_size, "'%s' line %" PRIu64 ": "
                                          "customer_id must be 1 to %d bytes",
                     path, rec.line, RS_ID_MAX - 1);
            goto fail;
        }
        if (rs_avro_parse_timestamp(f[1], &l->label_time)) {
            snprintf(errstr, errstr_size, "'%s' line %" PRIu64 ": "
                                          "label_time '%s' is not an ISO "
                                          "instant like 2005-10-01T00:00:00Z",
                     path, rec.line, f[1]);
            goto fail;
        }
        if (strcmp(f[2], "0") != 0 && strcmp(f[2], "1") != 0) {
            snprintf(errstr, errstr_size, "'%s' line %" PRIu64 ": label '%s' "
                                          "is not 0 or 1",
                     path, rec.line, f[2]);
            goto fail;
        }
        l->label = f[2][0] == '1';
        n++;
    }
    if (rc < 0)
        goto fail;
    rs_csv_close(c);
    *out = v;
    return (long)n;
fail:
    rs_csv_close(c);
    free(v);
    return -1;
}

/* Alert figures. */

static int raising(const struct rs_quality_alert *a)
{
    return a->level_after >= RS_LEVEL_HIGH && a->level_after > a->level_before;
}

/* Whether a raising alert on this customer is right. */
static int alert_right(enum rs_quality_outcome outcome,
                       const struct rs_quality_customer *c,
                       const struct rs_quality_alert *a)
{
    if (!c->positive)
        return 0;
    switch (outcome) {
    case RS_OUTCOME_TRUTH:
        return a->time >= c->onset;
    case RS_OUTCOME_LABELS:
        return a->time <= c->onset;
    case RS_OUTCOME_LATE:
        return 1;
    }
    return 0;
}

static struct rs_quality_family *family_of(struct rs_quality_alerts *out,
                                           const char *name)
{
    for (size_t i = 0; i < out->family_count; i++)
        if (strcmp(out->families[i].name, name) == 0)
            return &out->families[i];
    if (out->family_count == RS_QUALITY_FAMILIES_MAX)
        return NULL;
    snprintf(out->families[out->family_count].name,
             sizeof(out->families[0].name), "%s", name);
    return &out->families[out->family_count++];
}

void rs_quality_alerts(enum rs_quality_outcome outcome,
                       const struct rs_quality_customer *customers,
                       size_t customer_count,
                       const struct rs_quality_alert *alerts,
                       size_t alert_count, struct rs_quality_alerts *out)
{
    /* Per customer: first right alert, whether one named a right reason. */
    int64_t *first = rs_calloc(customer_count ? customer_count : 1,
                               sizeof(*first));
    uint8_t *named = rs_calloc(customer_count ? customer_count : 1, 1);
    uint8_t *named_any = rs_calloc(customer_count ? customer_count : 1, 1);
    double *lead = rs_calloc(customer_count ? customer_count : 1,
                             sizeof(*lead));
    double *delay = rs_calloc(customer_count ? customer_count : 1,
                              sizeof(*delay));
    size_t nlead = 0, ndelay = 0;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < customer_count; i++)
        first[i] = RS_QUALITY_NO_TIME;
    for (size_t i = 0; i < alert_count; i++) {
        const struct rs_quality_alert *a = &alerts[i];
        const struct rs_quality_customer *c;

        if (a->customer >= customer_count ||
            a->level_after <= a->level_before)
            continue;
        c = &customers[a->customer];
        if (!c->known)
            continue;
        if (outcome == RS_OUTCOME_TRUTH && !c->positive)
            out->false_any_level_on_negatives++;
        if (outcome == RS_OUTCOME_TRUTH && c->positive &&
            a->time >= c->onset &&
            rs_quality_codes_overlap(a->codes, c->reasons))
            named_any[a->customer] = 1;
        if (!raising(a))
            continue;
        out->raising++;
        if (outcome == RS_OUTCOME_TRUTH && !c->positive)
            out->false_alerts_on_negatives++;
        if (!alert_right(outcome, c, a))
            continue;
        out->true_positives++;
        if (first[a->customer] == RS_QUALITY_NO_TIME ||
            a->time < first[a->customer])
            first[a->customer] = a->time;
        if (outcome != RS_OUTCOME_TRUTH ||
            rs_quality_codes_overlap(a->codes, c->reasons))
            named[a->customer] = 1;
    }
    for (size_t i = 0; i < customer_count; i++) {
        const struct rs_quality_customer *c = &customers[i];
        struct rs_quality_family *fam = NULL;

        if (!c->known)
            continue;
        if (outcome == RS_OUTCOME_TRUTH && c->family)
            fam = family_of(out, c->family);
        if (fam)
            fam->customers++;
        if (!c->positive) {
            out->negatives++;
            continue;
        }
        out->positives++;
        if (named_any[i]) {
            out->recalled_any_level++;
            if (fam)
                fam->recalled_any_level++;
        }
        if (first[i] == RS_QUALITY_NO_TIME)
            continue;
        out->recalled_any_reason++;
        if (named[i]) {
            out->recalled++;
            if (fam)
                fam->recalled++;
        }
        if (c->reference != RS_QUALITY_NO_TIME)
            lead[nlead++] = (double)(c->reference - first[i]) / DAY_MS;
        if (outcome == RS_OUTCOME_TRUTH)
            delay[ndelay++] = (double)(first[i] - c->onset) / DAY_MS;
    }
    out->precision = out->raising ? (double)out->true_positives /
                                        (double)out->raising
                                  : NAN;
    out->recall = out->positives ? (double)out->recalled /
                                       (double)out->positives
                                 : NAN;
    out->recall_any_level = out->positives
                                ? (double)out->recalled_any_level /
                                      (double)out->positives
                                : NAN;
    out->recall_any_reason = out->positives
                                 ? (double)out->recalled_any_reason /
                                       (double)out->positives
                                 : NAN;
    out->lead_customers = nlead;
    out->median_lead_days = rs_quality_median(lead, nlead);
    out->median_delay_days = rs_quality_median(delay, ndelay);
    free(first);
    free(named);
    free(named_any);
    free(lead);
    free(delay);
}

/* From a backtest's measurements to the figures of quality.json. */

static void invoice_figures(const struct rs_backtest *bt,
                            struct rs_backtest_quality *q)
{
    size_t n = bt->invoice_count ? bt->invoice_count : 1;
    double *score = rs_calloc(n, sizeof(*score));
    double *base = rs_calloc(n, sizeof(*base));
    uint8_t *pos = rs_calloc(n, 1);
    size_t m = 0;

    for (size_t i = 0; i < bt->invoice_count; i++) {
        const struct rs_backtest_invoice *inv = &bt->invoices[i];

        if (inv->outcome < 0)
            continue;
        score[m] = inv->score_before;
        base[m] = inv->baseline;
        pos[m] = (uint8_t)inv->outcome;
        q->invoices_late += pos[m];
        m++;
    }
    q->invoices_scored = m;
    q->auc_invoice_late = rs_quality_auc(score, pos, m);
    q->baseline_auc_late_share = rs_quality_auc(base, pos, m);
    free(score);
    free(base);
    free(pos);
}

/* The invoice figures again on the invoices with an earlier invoice of
 * the same customer, beside the hindsight share. A customer's invoices are
 * listed in the order the engine applied them, which is event-time order. */
static void history_figures(const struct rs_backtest *bt,
                            struct rs_backtest_quality *q)
{
    size_t n = bt->invoice_count ? bt->invoice_count : 1;
    double *score = rs_calloc(n, sizeof(*score));
    double *base = rs_calloc(n, sizeof(*base));
    double *hind = rs_calloc(n, sizeof(*hind));
    uint8_t *pos = rs_calloc(n, 1);
    size_t m = 0;

    for (size_t c = 0; c < bt->customer_count; c++) {
        size_t earlier = 0, known = 0, late = 0;

        for (size_t i = bt->customers[c].first_invoice; i != SIZE_MAX;
             i = bt->invoices[i].next) {
            const struct rs_backtest_invoice *inv = &bt->invoices[i];

            if (earlier > 0 && inv->outcome >= 0) {
                score[m] = inv->score_before;
                base[m] = inv->baseline;
                hind[m] = known ? (double)late / (double)known : 0.0;
                pos[m] = (uint8_t)inv->outcome;
                m++;
            }
            earlier++;
            if (inv->outcome >= 0) {
                known++;
                late += inv->outcome == 1;
            }
        }
    }
    q->invoices_with_history = m;
    q->auc_invoice_late_with_history = rs_quality_auc(score, pos, m);
    q->baseline_auc_late_share_with_history = rs_quality_auc(base, pos, m);
    q->hindsight_auc_late_share_with_history = rs_quality_auc(hind, pos, m);
    free(score);
    free(base);
    free(hind);
    free(pos);
}

static void label_figures(const struct rs_backtest *bt,
                          struct rs_backtest_quality *q)
{
    size_t n = bt->customer_count ? bt->customer_count : 1;
    double *score = rs_calloc(n, sizeof(*score));
    double *base = rs_calloc(n, sizeof(*base));
    uint8_t *pos = rs_calloc(n, 1);
    size_t m = 0;

    for (size_t i = 0; i < bt->customer_count; i++) {
        const struct rs_backtest_customer *c = &bt->customers[i];

        if (!c->has_label)
            continue;
        score[m] = c->label_score;
        base[m] = c->label_baseline;
        pos[m] = (uint8_t)c->label;
        q->labels_positive += pos[m];
        m++;
    }
    q->labels_scored = m;
    q->auc_label = rs_quality_auc(score, pos, m);
    q->baseline_auc_label = rs_quality_auc(base, pos, m);
    free(score);
    free(base);
    free(pos);
}

/* The first time an invoice of the customer was more than N days past
 * due, at or after `from`: due date + N + 1 days. */
static int64_t first_late(const struct rs_backtest *bt, size_t customer,
                          int64_t from)
{
    int64_t best = RS_QUALITY_NO_TIME;

    for (size_t i = bt->customers[customer].first_invoice; i != SIZE_MAX;
         i = bt->invoices[i].next) {
        const struct rs_backtest_invoice *inv = &bt->invoices[i];
        int64_t at = ((int64_t)inv->due_date + bt->opt.late_days + 1) *
                     DAY_MS;

        if (inv->outcome != 1 || at < from)
            continue;
        if (best == RS_QUALITY_NO_TIME || at < best)
            best = at;
    }
    return best;
}

static int has_reason(const struct rs_reason_bits *r, size_t bit)
{
    return (int)(r->bits[bit / 64] >> (bit % 64) & 1);
}

static int cmp_reason_figure(const void *x, const void *y)
{
    const struct rs_reason_figure *a = x, *b = y;

    if (a->invoices != b->invoices)
        return a->invoices > b->invoices ? -1 : 1;
    if (a->labels != b->labels)
        return a->labels > b->labels ? -1 : 1;
    return strcmp(a->code, b->code);
}

/* What followed each reason code where it counted in the score: the
 * invoices with an outcome, and the labels. */
static void reason_figures(const struct rs_backtest *bt,
                           struct rs_backtest_quality *q)
{
    size_t n = bt->reason_code_count;

    for (size_t r = 0; r < n; r++)
        q->reasons[r].code = bt->reason_codes[r];
    for (size_t i = 0; i < bt->invoice_count; i++) {
        const struct rs_backtest_invoice *inv = &bt->invoices[i];

        if (inv->outcome < 0)
            continue;
        for (size_t r = 0; r < n; r++)
            if (has_reason(&inv->reasons, r)) {
                q->reasons[r].invoices++;
                q->reasons[r].invoices_late += inv->outcome == 1;
            }
    }
    for (size_t i = 0; i < bt->customer_count; i++) {
        const struct rs_backtest_customer *c = &bt->customers[i];

        if (!c->has_label)
            continue;
        for (size_t r = 0; r < n; r++)
            if (has_reason(&c->label_reasons, r)) {
                q->reasons[r].labels++;
                q->reasons[r].labels_positive += c->label == 1;
            }
    }
    q->reason_count = n;
    qsort(q->reasons, n, sizeof(q->reasons[0]), cmp_reason_figure);
}

void rs_backtest_quality(const struct rs_backtest *bt,
                         const struct rs_quality_truth *truth,
                         size_t truth_count, struct rs_backtest_quality *q)
{
    size_t n = bt->customer_count;
    struct rs_quality_customer *cust = rs_calloc(n ? n : 1, sizeof(*cust));
    struct rs_quality_alert *alerts =
        rs_calloc(bt->alert_count ? bt->alert_count : 1, sizeof(*alerts));
    int has_labels = 0;
    double years;

    memset(q, 0, sizeof(*q));
    q->late_days = bt->opt.late_days;
    invoice_figures(bt, q);
    history_figures(bt, q);
    label_figures(bt, q);
    reason_figures(bt, q);
    for (size_t i = 0; i < n; i++)
        has_labels |= bt->customers[i].has_label;
    q->outcome = truth ? RS_OUTCOME_TRUTH
                 : has_labels ? RS_OUTCOME_LABELS
                              : RS_OUTCOME_LATE;
    for (size_t i = 0; i < n; i++) {
        const struct rs_backtest_customer *c = &bt->customers[i];
        struct rs_quality_customer *qc = &cust[i];

        qc->onset = RS_QUALITY_NO_TIME;
        qc->reference = RS_QUALITY_NO_TIME;
        if (q->outcome == RS_OUTCOME_LABELS && c->has_label) {
            qc->known = 1;
            qc->positive = c->label;
            qc->onset = c->label_time;
            qc->reference = c->label_time;
        } else if (q->outcome == RS_OUTCOME_LATE && c->events) {
            qc->known = 1;
            qc->reference = first_late(bt, i, INT64_MIN);
            qc->positive = qc->reference != RS_QUALITY_NO_TIME;
        }
    }
    for (size_t t = 0; truth && t < truth_count; t++) {
        size_t i = rs_backtest_customer_index(bt, truth[t].customer_id);
        struct rs_quality_customer *qc;

        if (i == SIZE_MAX) {
            q->truth_missing++;
            continue;
        }
        qc = &cust[i];
        qc->known = 1;
        qc->family = truth[t].family;
        qc->reasons = truth[t].reasons;
        qc->positive = strcmp(truth[t].family, "none") != 0;
        qc->onset = truth[t].onset;
        if (qc->positive)
            qc->reference = first_late(bt, i, truth[t].onset);
    }
    for (size_t i = 0; i < bt->alert_count; i++) {
        const struct rs_backtest_alert *a = &bt->alerts[i];

        alerts[i] = (struct rs_quality_alert){a->customer, a->time,
                                              a->level_before, a->level_after,
                                              a->codes};
    }
    rs_quality_alerts(q->outcome, cust, n, alerts, bt->alert_count,
                      &q->alerts);
    /* A truth customer never seen still counts against the recall. */
    if (q->outcome == RS_OUTCOME_TRUTH) {
        for (size_t t = 0; t < truth_count; t++) {
            if (rs_backtest_customer_index(bt, truth[t].customer_id) !=
                SIZE_MAX)
                continue;
            if (strcmp(truth[t].family, "none") == 0) {
                q->alerts.negatives++;
            } else {
                q->alerts.positives++;
            }
        }
        if (q->alerts.positives) {
            q->alerts.recall = (double)q->alerts.recalled /
                               (double)q->alerts.positives;
            q->alerts.recall_any_reason =
                (double)q->alerts.recalled_any_reason /
                (double)q->alerts.positives;
        }
    }
    q->alerts_total = bt->alert_count;
    q->months = bt->last_time > bt->first_time
                    ? (double)(bt->last_time - bt->first_time) /
                          (DAY_MS * 30.436875)
                    : 0;
    years = q->months / 12.0;
    q->alerts_per_100_customers_per_month =
        bt->customers_with_events && q->months > 0
            ? (double)bt->alert_count * 100.0 /
                  (double)bt->customers_with_events / q->months
            : NAN;
    q->false_alerts_none_per_100_per_year =
        q->outcome == RS_OUTCOME_TRUTH && q->alerts.negatives && years > 0
            ? (double)q->alerts.false_alerts_on_negatives * 100.0 /
                  (double)q->alerts.negatives / years
            : NAN;
    q->false_any_level_none_per_100_per_year =
        q->outcome == RS_OUTCOME_TRUTH && q->alerts.negatives && years > 0
            ? (double)q->alerts.false_any_level_on_negatives * 100.0 /
                  (double)q->alerts.negatives / years
            : NAN;
    free(cust);
    free(alerts);
}
