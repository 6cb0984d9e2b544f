/* Overdue invoices with no (full) payment, found by event-time timer.
 *
 * Signal: late payment / silence after the due date (DOMAIN.md: "late
 * payments increasing", "insurer clocks"). An open, undisputed invoice
 * counts once stream time is `grace` days past its due date; the score
 * steps up at `high` and `critical` days. Timers fire at each threshold so
 * the finding appears even if the customer sends nothing more. */
#include <stdio.h>
#include <string.h>

#include "riskstream/detector.h"

#define SCORE_OVERDUE 40
#define SCORE_HIGH 60
#define SCORE_CRITICAL 80

static int32_t days_past_due(const struct rs_open_invoice *inv, int64_t now)
{
    return rs_day_of(now) - inv->due_date;
}

static int counts(const struct rs_open_invoice *inv)
{
    return inv->open > 0 && !inv->disputed;
}

static int evaluate(const struct rs_detector_params *p,
                    const struct rs_customer *c, int64_t now,
                    struct rs_finding *out, int max)
{
    const struct rs_open_invoice *worst = NULL;
    int64_t total = 0;
    int n = 0;
    struct rs_finding *f;
    char amount[64], worst_amount[64];
    int32_t days;

    if (max < 1)
        return 0;
    for (uint32_t i = 0; i < c->open_count; i++) {
        const struct rs_open_invoice *inv = &c->open[i];

        if (!counts(inv) || days_past_due(inv, now) < p->overdue_grace_days)
            continue;
        n++;
        total += inv->open;
        if (!worst || inv->due_date < worst->due_date ||
            (inv->due_date == worst->due_date &&
             strcmp(inv->invoice_id, worst->invoice_id) < 0))
            worst = inv;
    }
    if (!worst)
        return 0;
    days = days_past_due(worst, now);
    f = &out[0];
    memset(f, 0, sizeof(*f));
    f->score = days >= p->overdue_critical_days ? SCORE_CRITICAL
               : days >= p->overdue_high_days   ? SCORE_HIGH
                                                : SCORE_OVERDUE;
    snprintf(f->reason.detector, sizeof(f->reason.detector), "overdue");
    snprintf(f->reason.code, sizeof(f->reason.code), "%s",
             days >= p->overdue_critical_days ? "OVERDUE_CRITICAL"
             : days >= p->overdue_high_days   ? "OVERDUE_HIGH"
                                              : "OVERDUE_NO_PAYMENT");
    rs_format_amount(amount, sizeof(amount), total, c->currency);
    rs_format_amount(worst_amount, sizeof(worst_amount), worst->open,
                     c->currency);
    if (n == 1)
        snprintf(f->reason.message, sizeof(f->reason.message),
                 "invoice %s has %s open %d days after its due date, with "
                 "no full payment (flagged from %d days)",
                 worst->invoice_id, worst_amount, days,
                 p->overdue_grace_days);
    else
        snprintf(f->reason.message, sizeof(f->reason.message),
                 "%d invoices with %s open are at least %d days past due; "
                 "the oldest, %s, is %d days past due (flagged from %d days)",
                 n, amount, p->overdue_grace_days, worst->invoice_id, days,
                 p->overdue_grace_days);
    f->reason.value = days;
    f->reason.threshold = p->overdue_grace_days;
    /* Evidence: the overdue invoices' events, oldest due first. */
    for (int32_t d = INT32_MIN; f->reason.evidence_count < RS_EVIDENCE_MAX;) {
        const struct rs_open_invoice *next = NULL;

        for (uint32_t i = 0; i < c->open_count; i++) {
            const struct rs_open_invoice *inv = &c->open[i];

            if (!counts(inv) ||
                days_past_due(inv, now) < p->overdue_grace_days ||
                inv->due_date <= d)
                continue;
            if (!next || inv->due_date < next->due_date)
                next = inv;
        }
        if (!next)
            break;
        d = next->due_date;
        for (uint32_t i = 0; i < c->open_count &&
                             f->reason.evidence_count < RS_EVIDENCE_MAX;
             i++) {
            const struct rs_open_invoice *inv = &c->open[i];

            if (counts(inv) && inv->due_date == d &&
                days_past_due(inv, now) >= p->overdue_grace_days)
                snprintf(f->reason.evidence[f->reason.evidence_count++],
                         RS_ID_MAX, "%s", inv->event_id);
        }
    }
    return 1;
}

static int64_t next_timer(const struct rs_detector_params *p,
                          const struct rs_customer *c, int64_t now)
{
    const int32_t steps[] = {p->overdue_grace_days, p->overdue_high_days,
                             p->overdue_critical_days};
    int64_t next = RS_NO_TIMER;

    for (uint32_t i = 0; i < c->open_count; i++) {
        const struct rs_open_invoice *inv = &c->open[i];

        if (!counts(inv))
            continue;
        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            int64_t at = ((int64_t)inv->due_date + steps[s]) * RS_DAY_MS;

            if (at > now && at < next)
                next = at;
        }
    }
    return next;
}

const struct rs_detector rs_detector_overdue = {
    .name = "overdue",
    .evaluate = evaluate,
    .next_timer = next_timer,
};
