/* Overdue invoices with no (full) payment, and severe delinquency.
 *
 * Signal: late payments and silence after the due date (DOMAIN.md "late
 * payments increasing"), and D&B's severe delinquency: at least a share of
 * the amount owed more than 90 days past due. An open, undisputed invoice
 * counts once stream time is `grace` days past its due date; the score
 * steps up at `high` and `critical` days. Timers fire at each threshold, so
 * the finding appears even if the customer sends nothing more.
 *
 * A customer's own habit moves the first threshold: once usual.invoices
 * invoices are settled, grace is counted from the median days beyond terms
 * of the recently settled ones (the customer's usual lateness, at most
 * usual.max.days), up to high.days. A customer who always pays 12 days late is flagged when it is
 * later than that, not every month at 7 days; HIGH and CRITICAL stay where
 * they are for everybody. */
#include <stdio.h>
#include <string.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum { P_GRACE, P_HIGH, P_CRITICAL, P_SEVERE_DAYS, P_SEVERE_PCT, P_USUAL,
       P_USUAL_MAX };

static const struct rs_detector_prop props[] = {
    {"grace.days", 7, 0, 3650,
     "Days past the due date from which an open invoice with no full "
     "payment is a risk (score 40, MEDIUM)."},
    {"high.days", 30, 0, 3650,
     "Days past due from which the overdue invoice scores 60 (HIGH)."},
    {"critical.days", 60, 0, 3650,
     "Days past due from which the overdue invoice scores 80 (CRITICAL)."},
    {"severe.days", 90, 1, 3650,
     "Severe delinquency: days past due that count toward the share."},
    {"severe.share.pct", 10, 1, 100,
     "Severe delinquency: this percentage of the open amount (or more) is "
     "over severe.days past due (score 90)."},
    {"usual.invoices", 4, 0, RS_CUSTOMER_PAID_RING,
     "Settled invoices from which the customer's usual lateness (median "
     "days beyond terms of the recently settled ones) is added to "
     "grace.days, up to high.days; 0: grace.days for everybody."},
    {"usual.max.days", 14, 0, 3650,
     "At most this many days of usual lateness are added to grace.days: "
     "a customer that has become very late is not excused for it."},
    {NULL, 0, 0, 0, NULL},
};

static int32_t days_past_due(const struct rs_open_invoice *inv, int64_t now)
{
    return rs_day_of(now) - inv->due_date;
}

/* The customer's usual lateness: the median days beyond terms (0 when
 * on time) of the settled invoices in the ring, or 0 with fewer than
 * usual.invoices of them. */
static int32_t usual_days(const int64_t *p, const struct rs_customer *c)
{
    int32_t d[RS_CUSTOMER_PAID_RING];
    uint32_t n = c->settled_count;

    if (!p[P_USUAL] || n < (uint32_t)p[P_USUAL])
        return 0;
    if (n > RS_CUSTOMER_PAID_RING)
        n = RS_CUSTOMER_PAID_RING;
    for (uint32_t i = 0; i < n; i++) {
        const struct rs_settled *e = &c->settled[i];
        int32_t v = e->paid_date > e->due_date ? e->paid_date - e->due_date
                                               : 0;
        uint32_t j = i;

        for (; j > 0 && d[j - 1] > v; j--)
            d[j] = d[j - 1];
        d[j] = v;
    }
    return d[n / 2] < p[P_USUAL_MAX] ? d[n / 2] : (int32_t)p[P_USUAL_MAX];
}

/* Days past due from which an invoice of c counts. */
static int32_t grace_days(const int64_t *p, const struct rs_customer *c)
{
    int64_t g = p[P_GRACE] + usual_days(p, c);

    if (g > p[P_HIGH] && p[P_GRACE] <= p[P_HIGH])
        g = p[P_HIGH];
    return (int32_t)(g > p[P_GRACE] ? g : p[P_GRACE]);
}

static void add_evidence(struct rs_finding *f, const struct rs_customer *c,
                         int64_t now, int32_t min_days)
{
    if (f->quiet)
        return; /* no words, no evidence: it would not be kept */
    /* The counting invoices' events, oldest due first (the index's
     * order): those at least min_days past due. */
    {
        const struct rs_open_index *x = rs_customer_index(c);
        uint32_t k = rs_index_due_before(x, rs_day_of(now) - min_days + 1);

        for (uint32_t i = 0;
             i < k && f->reason.evidence_count < RS_EVIDENCE_MAX; i++)
            rs_finding_evidence(f, c->open[x->at[i]].event_id);
    }
}

static int severe(const int64_t *p, const struct rs_customer *c, int64_t now,
                  struct rs_finding *f)
{
    const struct rs_open_index *x = rs_customer_index(c);
    /* More than severe.days past due: due before today − severe.days. */
    int64_t owed = x->open[x->n],
            severe_amount = x->open[rs_index_due_before(
                x, (int32_t)(rs_day_of(now) - p[P_SEVERE_DAYS]))];
    char a[64], b[64];

    if (owed == 0 || severe_amount * 100 < owed * p[P_SEVERE_PCT])
        return 0;
    rs_finding_start(f, "overdue", "SEVERE_DELINQUENCY", 90);
    if (f->quiet)
        return 1;
    rs_format_amount(a, sizeof(a), severe_amount, c->currency);
    rs_format_amount(b, sizeof(b), owed, c->currency);
    rs_finding_say(f, "severe delinquency: %s of the %s owed (%d%%) is more than %d "
             "days past due (threshold %d%%)",
             a, b, (int)(severe_amount * 100 / owed), (int)p[P_SEVERE_DAYS],
             (int)p[P_SEVERE_PCT]);
    f->reason.value = (double)severe_amount * 100.0 / (double)owed;
    f->reason.threshold = (double)p[P_SEVERE_PCT];
    add_evidence(f, c, now, (int32_t)p[P_SEVERE_DAYS] + 1);
    rs_finding_action(f, "COLLECTIONS_HANDOVER");
    rs_finding_action(f, "BLOCK_DELIVERIES");
    return 1;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    const struct rs_open_invoice *worst = NULL;
    int64_t total = 0;
    int n = 0, nf = 0;
    struct rs_finding *f;
    char amount[64], worst_amount[64];
    int32_t days, grace, usual;
    char from[96];

    (void)s;
    if (max < 1)
        return 0;
    grace = grace_days(p, c);
    {
        /* At least grace days past due: due before today − grace + 1. The
         * worst is the oldest due, the least invoice id among equals. */
        const struct rs_open_index *x = rs_customer_index(c);
        uint32_t k = rs_index_due_before(x, rs_day_of(now) - grace + 1);

        if (k == 0)
            return 0;
        n = (int)k;
        total = x->open[k];
        worst = &c->open[x->at[0]];
        for (uint32_t i = 1; i < k && x->due_date[i] == worst->due_date; i++)
            if (strcmp(c->open[x->at[i]].invoice_id, worst->invoice_id) < 0)
                worst = &c->open[x->at[i]];
    }
    days = days_past_due(worst, now);
    f = rs_finding_start(&out[nf++], "overdue",
                         days >= p[P_CRITICAL] ? "OVERDUE_CRITICAL"
                         : days >= p[P_HIGH]   ? "OVERDUE_HIGH"
                                               : "OVERDUE_NO_PAYMENT",
                         days >= p[P_CRITICAL] ? 80
                         : days >= p[P_HIGH]   ? 60
                                               : 40);
    if (!f->quiet) { /* the words, only when an alert can come of it */
        rs_format_amount(amount, sizeof(amount), total, c->currency);
        rs_format_amount(worst_amount, sizeof(worst_amount), worst->open,
                         c->currency);
        usual = grace - (int32_t)p[P_GRACE];
        if (usual > 0)
            rs_format_text(from, sizeof(from),
                           "flagged from %d days: %d beyond the %d days "
                           "late this customer usually pays",
                           (int)grace, (int)p[P_GRACE], (int)usual);
        else
            rs_format_text(from, sizeof(from), "flagged from %d days",
                           (int)grace);
        if (n == 1)
            rs_finding_say(f, "invoice %s has %s open %d days after its due date, with "
                     "no full payment (%s)",
                     worst->invoice_id, worst_amount, days, from);
        else
            rs_finding_say(f, "%d invoices with %s open are at least %d days past due; "
                     "the oldest, %s, is %d days past due (%s)",
                     n, amount, (int)grace, worst->invoice_id, days, from);
    }
    f->reason.value = days;
    f->reason.threshold = (double)grace;
    add_evidence(f, c, now, grace);
    rs_finding_action(f, "FOLLOW_UP_EARLIER");
    if (days >= p[P_HIGH])
        rs_finding_action(f, "STRICT_DUNNING");
    if (days >= p[P_CRITICAL])
        rs_finding_action(f, "BLOCK_DELIVERIES");
    if (nf < max && severe(p, c, now, &out[nf]))
        nf++;
    return nf;
}

/* The answer (the scores) changes only when the oldest invoice owed
 * reaches grace, high or critical days past due (it is the worst one as
 * soon as any counts: no other invoice's days matter) and when the part
 * more than severe.days past due reaches severe.share.pct of the open
 * amount (that part only grows with time, so once reached it stays). The
 * other invoices crossing the same thresholds change the words of the
 * reason, never its score: a timer for each of them was an evaluation
 * for nothing (most of the benchmark's timers). */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    const int64_t steps[] = {grace_days(p, c), p[P_HIGH], p[P_CRITICAL]};
    const struct rs_open_index *x = rs_customer_index(c);
    int64_t today = rs_day_of(now), next = INT64_MAX;
    int64_t owed, need;
    uint32_t lo, hi;

    (void)s;
    if (x->n == 0)
        return RS_NO_TIMER;
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        int64_t day = (int64_t)x->due_date[0] + steps[k];

        if (day > today && day < next)
            next = day;
    }
    /* Severe: the fewest invoices, oldest due first, whose open amount
     * reaches the share; they all count from the day after the last of
     * them is severe.days past due. */
    owed = x->open[x->n];
    need = owed * p[P_SEVERE_PCT];
    lo = 1;
    hi = x->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (x->open[mid] * 100 >= need)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (owed > 0) {
        int64_t day = (int64_t)x->due_date[lo - 1] + p[P_SEVERE_DAYS] + 1;

        if (day > today && day < next)
            next = day;
    }
    return next == INT64_MAX ? RS_NO_TIMER : next * RS_DAY_MS;
}

const struct rs_detector rs_detector_overdue = {
    .name = "overdue",
    .id = 0,
    .reads = RS_PART_OPEN | RS_PART_SETTLED | RS_PART_PROFILE,
    .signal = "Late payments increasing; silence after the due date; "
              "severe delinquency (D&B)",
    .props = props,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
