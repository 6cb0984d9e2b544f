/* Exposure against the credit limit: how much of the limit the open
 * invoices use, and a single large new invoice.
 *
 * Signal: "credit score change" as a credit limit expresses it, and the
 * articles' advice to "check creditworthiness before a large order"
 * (DOMAIN.md). The open amount is the sum of the open invoices' open
 * amounts (after payments, partial payments and credit notes; disputed
 * invoices count too: they are still owed). The limit is the one in force
 * after the latest CREDIT_LIMIT_DECISION of the credit insurer or bureau:
 * GRANTED, INCREASED and REDUCED set it to limit_amount, WITHDRAWN sets it
 * to 0; UNKNOWN, or a decision without an amount, is ignored. With no
 * limit known there is no finding.
 *
 * Findings: the open amount reaches near.pct of the limit (soft), exceeds
 * the limit (clear), and an open invoice issued in the last large.days
 * days is at least large.pct of the limit on its own. A limit in another
 * currency than the customer's invoices is not compared (no conversion).
 * A timer fires when a large invoice stops being new. The insurer_limit
 * detector reports the decision itself (a reduced or withdrawn limit);
 * this one only measures the receivables against it.
 *
 * Out of order: a decision older (by event time) than the one in force is
 * not applied; bureau events beyond the allowed lateness never reach
 * observe() (the engine dead-letters them).
 *
 * Slots:
 *   0 the limit in force, minor units of slot 3's currency
 *   1 event time (ms) of the decision in force
 *   2 its limit_action + 1; 0 = no limit known
 *   3 the limit's currency, 3 ASCII bytes little-endian; 0 = not given
 *   4 the limit before it (minor units), valid when slot 6 is set
 *   5 that limit's currency, as slot 3
 *   6 the earlier decision's limit_action + 1; 0 = none
 *   7 the usual invoice amount: a running average of the issued invoices'
 *     amounts (minor units), the newest weighing a quarter; 0 = none yet
 *
 * A large invoice must also be unusual for the customer: once it has
 * usual.after invoices, at least usual.pct of the usual amount (which
 * includes it). A card account or a customer whose every invoice is half
 * its limit is not placing a large order each month. */
#include <stdio.h>
#include <string.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum { P_NEAR, P_LARGE, P_LARGE_DAYS, P_USUAL, P_USUAL_AFTER };

enum { S_LIMIT, S_TIME, S_ACTION, S_CCY, S_PREV, S_PREV_CCY, S_PREV_ACTION,
       S_USUAL };

#define SCORE_NEAR 30
#define SCORE_OVER 50
#define SCORE_LARGE 25

static const struct rs_detector_prop props[] = {
    {"near.pct", 90, 1, 100,
     "The open amount at or above this percentage of the credit limit is "
     "a soft reason (score 30); above the limit itself it is a clear one "
     "(score 50)."},
    {"large.pct", 50, 1, 1000,
     "A single new invoice of at least this percentage of the credit limit "
     "is a large order: check creditworthiness (score 25)."},
    {"large.days", 30, 1, 365,
     "Days after its issue date for which an open invoice counts as new "
     "for the large-order check."},
    {"usual.pct", 150, 0, 1000,
     "A large invoice must also be at least this percentage of the "
     "customer's usual invoice amount (a running average, the newest "
     "weighing a quarter, this one included); 0: no such condition."},
    {"usual.after", 2, 1, 1000,
     "Invoices the customer must have before its usual amount is "
     "compared with: before that, every large invoice counts."},
    {NULL, 0, 0, 0, NULL},
};

static int64_t pack_currency(const char *ccy)
{
    int64_t r = 0;

    for (int i = 0; i < 3 && ccy[i]; i++)
        r |= (int64_t)(uint8_t)ccy[i] << (8 * i);
    return r;
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    const struct rs_bureau *b = &ev->u.bur;
    int64_t *v = s->v;
    int64_t limit;

    (void)p;
    (void)c;
    if (ev->kind == RS_EVENT_INVOICE && ev->type == RS_INVOICE_ISSUED &&
        ev->u.inv.amount > 0) {
        v[S_USUAL] = v[S_USUAL] ? v[S_USUAL] - v[S_USUAL] / 4 +
                                      ev->u.inv.amount / 4
                                : ev->u.inv.amount;
        return;
    }
    if (ev->kind != RS_EVENT_BUREAU ||
        ev->type != RS_BUREAU_CREDIT_LIMIT_DECISION ||
        !(ev->has & RS_BUR_HAS_LIMIT_ACTION))
        return;
    switch (b->limit_action) {
    case RS_LIMIT_GRANTED:
    case RS_LIMIT_INCREASED:
    case RS_LIMIT_REDUCED:
        if (!(ev->has & RS_BUR_HAS_LIMIT_AMOUNT) || b->limit_amount < 0)
            return;
        limit = b->limit_amount;
        break;
    case RS_LIMIT_WITHDRAWN:
        limit = 0;
        break;
    default:
        return;
    }
    if (v[S_ACTION] && ev->event_time < v[S_TIME])
        return; /* older than the decision in force */
    v[S_PREV] = v[S_LIMIT];
    v[S_PREV_CCY] = v[S_CCY];
    v[S_PREV_ACTION] = v[S_ACTION];
    v[S_LIMIT] = limit;
    v[S_TIME] = ev->event_time;
    v[S_ACTION] = b->limit_action + 1;
    v[S_CCY] = (ev->has & RS_BUR_HAS_LIMIT_CURRENCY)
                   ? pack_currency(b->limit_currency)
                   : 0;
}

/* Whether a packed currency (0: not given) is c's invoicing currency. */
static int same_currency(const struct rs_customer *c, int64_t ccy)
{
    return !ccy || !c->currency[0] || ccy == pack_currency(c->currency);
}

/* Whether the limit in force can be compared with c's invoices. A
 * withdrawn limit (0) is 0 in any currency. */
static int comparable(const struct rs_customer *c, const struct rs_dstate *s)
{
    if (!s->v[S_ACTION])
        return 0;
    return s->v[S_LIMIT] == 0 || same_currency(c, s->v[S_CCY]);
}

static int is_new(const int64_t *p, const struct rs_open_invoice *inv,
                  int64_t now)
{
    return rs_day_of(now) - inv->issue_date < p[P_LARGE_DAYS];
}

/* Large: amount * 100 >= large.pct * limit, without overflow for any
 * amount the schema allows, and unusual for the customer (see above). */
static int is_large(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s,
                    const struct rs_open_invoice *inv, int64_t limit)
{
    if (limit <= 0 ||
        (double)inv->amount * 100.0 < (double)p[P_LARGE] * (double)limit)
        return 0;
    return !p[P_USUAL] || c->invoices < (uint64_t)p[P_USUAL_AFTER] ||
           !s->v[S_USUAL] ||
           (double)inv->amount * 100.0 >=
               (double)p[P_USUAL] * (double)s->v[S_USUAL];
}

/* " (reduced from 20,000.00 EUR)" when an earlier decision gave a limit in
 * the same currency, else "". */
static void previous_text(char *out, size_t size, const struct rs_customer *c,
                          const struct rs_dstate *s)
{
    static const char *const verbs[] = {"granted", "increased", "reduced",
                                        "withdrawn"};
    char a[64];
    int64_t action = s->v[S_ACTION] - 1;

    out[0] = '\0';
    if (!s->v[S_PREV_ACTION] || action < 0 || action > RS_LIMIT_WITHDRAWN ||
        (s->v[S_PREV] && !same_currency(c, s->v[S_PREV_CCY])))
        return;
    rs_format_amount(a, sizeof(a), s->v[S_PREV], c->currency);
    rs_format_text(out, size, " (%s from %s)", verbs[action], a);
}

/* Evidence: the open invoices' events, newest arrival first. */
static void open_evidence(struct rs_finding *f, const struct rs_customer *c)
{
    for (uint32_t i = c->open_count; i > 0 && !f->quiet; i--)
        if (c->open[i - 1].open > 0)
            rs_finding_evidence(f, c->open[i - 1].event_id);
}

static int usage(const int64_t *p, const struct rs_customer *c,
                 const struct rs_dstate *s, struct rs_finding *f)
{
    int64_t limit = s->v[S_LIMIT], open = 0;
    char o[64], l[64], d[64], prev[96];
    double pct;

    open = rs_customer_index(c)->owed_all;
    if (open <= 0)
        return 0;
    if (!f->quiet) { /* words only where an alert can come of them */
        rs_format_amount(o, sizeof(o), open, c->currency);
        rs_format_amount(l, sizeof(l), limit, c->currency);
        previous_text(prev, sizeof(prev), c, s);
    }
    if (limit == 0) {
        rs_finding_start(f, "exposure", "EXPOSURE_OVER_LIMIT", SCORE_OVER);
        if (s->v[S_ACTION] - 1 == RS_LIMIT_WITHDRAWN && s->v[S_PREV_ACTION] &&
            s->v[S_PREV] > 0 && same_currency(c, s->v[S_PREV_CCY]) &&
            !f->quiet) {
            rs_format_amount(l, sizeof(l), s->v[S_PREV], c->currency);
            rs_finding_say(f, "open invoices of %s have no credit limit to cover "
                     "them: the limit of %s was withdrawn",
                     o, l);
        } else {
            rs_finding_say(f, "open invoices of %s have no credit limit to cover "
                     "them: the limit is %s",
                     o, s->v[S_ACTION] - 1 == RS_LIMIT_WITHDRAWN ? "withdrawn"
                                                                 : "0");
        }
        f->reason.threshold = 0;
    } else if (open > limit) {
        pct = (double)open * 100.0 / (double)limit;
        rs_finding_start(f, "exposure", "EXPOSURE_OVER_LIMIT", SCORE_OVER);
        if (!f->quiet)
            rs_format_amount(d, sizeof(d), open - limit, c->currency);
        rs_finding_say(f, "open invoices of %s exceed the credit limit of %s%s by %s "
                 "(%.0f%% of the limit)",
                 o, l, prev, d, pct);
        f->reason.threshold = (double)limit / 100.0;
    } else if ((double)open * 100.0 >= (double)p[P_NEAR] * (double)limit) {
        pct = (double)open * 100.0 / (double)limit;
        rs_finding_start(f, "exposure", "EXPOSURE_NEAR_LIMIT", SCORE_NEAR);
        rs_finding_say(f, "open invoices of %s use %.0f%% of the credit limit of %s%s "
                 "(flagged from %d%%)",
                 o, pct, l, prev, (int)p[P_NEAR]);
        f->reason.threshold = (double)limit * (double)p[P_NEAR] / 10000.0;
    } else {
        return 0;
    }
    f->reason.value = (double)open / 100.0;
    open_evidence(f, c);
    if (limit == 0 || open > limit) /* EXPOSURE_OVER_LIMIT */
        rs_finding_action(f, "PREPAYMENT");
    rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    rs_finding_action(f, "FOLLOW_UP_EARLIER");
    return 1;
}

static int large(const int64_t *p, const struct rs_customer *c,
                 const struct rs_dstate *s, int64_t now, struct rs_finding *f)
{
    const struct rs_open_invoice *big = NULL;
    int64_t limit = s->v[S_LIMIT];
    int n = 0;
    char a[64], l[64];
    int32_t age;

    for (uint32_t i = 0; i < c->open_count; i++) {
        const struct rs_open_invoice *inv = &c->open[i];

        if (inv->open <= 0 || !is_new(p, inv, now) ||
            !is_large(p, c, s, inv, limit))
            continue;
        n++;
        if (!big || inv->amount > big->amount ||
            (inv->amount == big->amount &&
             strcmp(inv->invoice_id, big->invoice_id) < 0))
            big = inv;
    }
    if (!big)
        return 0;
    age = rs_day_of(now) - big->issue_date;
    if (age < 0)
        age = 0;
    rs_finding_start(f, "exposure", "EXPOSURE_LARGE_INVOICE", SCORE_LARGE);
    if (f->quiet)
        return 1; /* the score is all that counts */
    rs_format_amount(a, sizeof(a), big->amount, c->currency);
    rs_format_amount(l, sizeof(l), limit, c->currency);
    rs_finding_say(f, "new invoice %s of %s, issued %d days ago, is %.0f%% of the "
             "credit limit of %s on its own (flagged from %d%%)%s; check "
             "creditworthiness before accepting more large orders",
             big->invoice_id, a, (int)age,
             (double)big->amount * 100.0 / (double)limit, l,
             (int)p[P_LARGE],
             n > 1 ? ", and it is not the only one" : "");
    f->reason.value = (double)big->amount / 100.0;
    f->reason.threshold = (double)limit * (double)p[P_LARGE] / 10000.0;
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_LARGE_DAYS];
    rs_finding_evidence(f, big->event_id);
    for (uint32_t i = c->open_count; i > 0 && !f->quiet; i--) {
        const struct rs_open_invoice *inv = &c->open[i - 1];

        if (inv->open > 0 && is_new(p, inv, now) && is_large(p, c, s, inv, limit))
            rs_finding_evidence(f, inv->event_id);
    }
    rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    return 1;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int nf = 0;

    if (max < 1 || !comparable(c, s))
        return 0;
    if (usage(p, c, s, &out[nf]))
        nf++;
    if (nf < max && large(p, c, s, now, &out[nf]))
        nf++;
    return nf;
}

/* When a large invoice stops being new. */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    int64_t next = RS_NO_TIMER;

    if (!comparable(c, s))
        return RS_NO_TIMER;
    for (uint32_t i = 0; i < c->open_count; i++) {
        const struct rs_open_invoice *inv = &c->open[i];
        int64_t at = ((int64_t)inv->issue_date + p[P_LARGE_DAYS]) * RS_DAY_MS;

        if (inv->open > 0 && is_large(p, c, s, inv, s->v[S_LIMIT]) && at > now &&
            at < next)
            next = at;
    }
    return next;
}

const struct rs_detector rs_detector_exposure = {
    .name = "exposure",
    .id = 21,
    .reads = RS_PART_OPEN | RS_PART_COUNTS | RS_PART_PROFILE,
    .signal = "Credit score change as a credit limit: open receivables "
              "against the limit; check creditworthiness before a large "
              "order",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
