/* Payment record: how often, and how late, this customer pays.
 *
 * Signal: "late payments" as a standing trait (DOMAIN.md, seed 000 §2 and
 * 001 #1: a customer who often pays late is likely to pay the next invoice
 * late too). The other payment detectors look for a *change* against the
 * customer's own past; this one grades the past itself, so that a chronic
 * late payer ranks above a punctual one even when nothing changed. Alone it
 * stays below the score at which a MEDIUM customer goes back to LOW
 * (medium threshold − hysteresis: 15 by default): it orders customers (and
 * feeds the combined score that backtests rank by) and adds to other
 * reasons, but never raises or holds a level by itself — a customer who
 * paid its one late invoice goes back to LOW.
 *
 * Known-late share: each invoice settled so far counts as late when paid
 * after its due date; each open, undisputed invoice past its due date at
 * stream time counts as late too (it is known to be late already). Settled
 * invoices are weighted exponentially by settling order (each new one
 * shrinks the older history by alpha.pct), so recent habits weigh more;
 * open overdue invoices count in full. The share is smoothed towards
 * prior.pct with the weight of prior.weight invoices, so one late invoice
 * out of one is not a 100 % late payer:
 *
 *   share = (late + prior · k) / (invoices + k)
 *   days  = mean days beyond terms over the same invoices (0 when on time)
 *   score = max.score · share + days.score · clamp(days / days.full)
 *
 * continuous over the whole range (a punctual customer scores a point or
 * two, not 0), so that customers are ordered, not tied.
 *
 * Slots (fixed point, x1000):
 *   0 weighted invoices, 1 weighted late invoices, 2 weighted days beyond
 *   terms, 3 cursor: settled_total index of the next invoice to feed */
#include <stdio.h>

#include "riskstream/detector.h"

enum {
    P_PRIOR,
    P_PRIOR_WEIGHT,
    P_ALPHA,
    P_MAX_SCORE,
    P_DAYS_SCORE,
    P_DAYS_FULL,
};

enum { S_N, S_LATE, S_DAYS, S_CURSOR };

#define RING RS_CUSTOMER_PAID_RING
#define FIX 1000

static const struct rs_detector_prop props[] = {
    {"prior.pct", 35, 0, 99,
     "Share of invoices paid late that is usual (the smoothing prior and "
     "the zero point of the score)."},
    {"prior.weight", 2, 0, 100,
     "Weight of the prior, in invoices: with few invoices the share stays "
     "near prior.pct."},
    {"alpha.pct", 5, 0, 50,
     "Each newly settled invoice shrinks the weight of the older history by "
     "this percentage (0: all invoices weigh the same)."},
    {"max.score", 10, 0, 100,
     "Score contribution of an always-late record (share 100 %)."},
    {"days.score", 4, 0, 100,
     "Further score contribution when the mean delay reaches days.full."},
    {"days.full", 30, 1, 3650,
     "Mean days beyond terms that earns the whole days.score."},
    {NULL, 0, 0, 0, NULL},
};

static void feed(const int64_t *p, const struct rs_customer *c,
                 struct rs_dstate *s)
{
    int64_t *v = s->v;
    int64_t total = c->settled_total;
    int64_t oldest = total - c->settled_count;

    if (v[S_CURSOR] < oldest)
        v[S_CURSOR] = oldest; /* left the ring unseen: cannot happen when
                                 fed at every event */
    for (; v[S_CURSOR] < total; v[S_CURSOR]++) {
        int64_t back = total - v[S_CURSOR];
        const struct rs_settled *e =
            &c->settled[(c->settled_head + RING - (uint32_t)back) % RING];
        int64_t days = e->paid_date > e->due_date ? e->paid_date - e->due_date
                                                  : 0;

        v[S_N] = v[S_N] * (100 - p[P_ALPHA]) / 100 + FIX;
        v[S_LATE] = v[S_LATE] * (100 - p[P_ALPHA]) / 100 + (days ? FIX : 0);
        v[S_DAYS] = v[S_DAYS] * (100 - p[P_ALPHA]) / 100 + days * FIX;
    }
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    (void)ev;
    feed(p, c, s);
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* Everything evaluate() decides at a day. */
struct record {
    double n, share, mean, pts;
    double days; /* Σ days beyond terms, the open ones counted to day */
    int open_late;
    int32_t score; /* 0: no finding */
};

static void judge(const int64_t *p, const struct rs_customer *c,
                  const struct rs_dstate *s, int32_t day, struct record *r)
{
    double late = (double)s->v[S_LATE] / FIX;
    double prior = (double)p[P_PRIOR] / 100.0, k = (double)p[P_PRIOR_WEIGHT];

    const struct rs_open_index *x = rs_customer_index(c);
    uint32_t m = rs_index_due_before(x, day); /* open and past due */

    r->n = (double)s->v[S_N] / FIX;
    r->open_late = (int)m;
    /* Σ (day − due) over them, a whole number of days */
    r->days = (double)s->v[S_DAYS] / FIX +
              (double)((int64_t)day * m - x->due[m]);
    r->n += r->open_late;
    late += r->open_late;
    /* With nothing known yet (n = 0) the share is the prior itself: an
     * invoiced customer without a record is an average one, neither the
     * best nor the worst. */
    r->share = r->n + k > 0 ? (late + prior * k) / (r->n + k) : prior;
    r->mean = r->n > 0 ? r->days / r->n : 0.0;
    r->pts = (double)p[P_MAX_SCORE] * r->share +
             (double)p[P_DAYS_SCORE] *
                 clamp01(r->mean / (double)p[P_DAYS_FULL]);
    r->score = r->pts < 0.5 ? 0 : (int32_t)(r->pts + 0.5);
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int32_t today = rs_day_of(now);
    double prior = (double)p[P_PRIOR] / 100.0;
    struct record r;
    struct rs_finding *f;

    if (max < 1 || c->invoices == 0)
        return 0; /* never invoiced (a holding, say): no record to grade */
    judge(p, c, s, today, &r);
    if (!r.score)
        return 0;
    f = rs_finding_start(out, "payment_record", "PAYMENT_RECORD", r.score);
    if (r.n <= 0)
        rs_finding_say(f, "no payment record yet (no invoice settled or past due): "
                 "taken as the usual %d %% of invoices paid late",
                 (int)p[P_PRIOR]);
    else
        rs_finding_say(f, "%s: %.0f %% of its invoices known late (recent ones weigh "
                 "more; %d open past due now), %.1f days beyond terms on "
                 "average; %d %% is usual",
                 r.share > prior ? "pays late more often than usual"
                                 : "pays on time more often than usual",
                 r.share * 100.0, r.open_late, r.mean, (int)p[P_PRIOR]);
    f->reason.value = r.share * 100.0;
    f->reason.has_baseline = 1;
    f->reason.baseline = (double)p[P_PRIOR];
    f->reason.threshold = (double)p[P_PRIOR];
    for (uint32_t i = c->open_count; i > 0 && !f->quiet; i--) {
        const struct rs_open_invoice *inv = &c->open[i - 1];

        if (inv->open > 0 && !inv->disputed && inv->due_date < today)
            rs_finding_evidence(f, inv->event_id);
    }
    if (r.share > prior)
        rs_finding_action(f, "FOLLOW_UP_EARLIER");
    return 1;
}

/* The first day after day and before stop at which the score differs
 * from r's (judged at day), with no invoice passing its due date in
 * between: the share stays, the mean delay grows by open_late / n a day
 * (until days.full), so the score can only rise, to its next whole point
 * on a day solved for directly (then checked against judge() itself, so
 * rounding cannot move it). INT32_MAX when it does not. */
static int32_t rise(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int32_t day, int32_t stop,
                    const struct record *r)
{
    struct record x;
    double target, need, full, d;
    int32_t t;

    if (r->open_late == 0 || p[P_DAYS_SCORE] == 0 ||
        r->mean >= (double)p[P_DAYS_FULL])
        return INT32_MAX;
    /* pts(d) = max · share + days.score · (days + open_late · (d − day))
     * / (n · days.full): the first d with pts >= score + ½. */
    target = (double)r->score + 0.5 - (double)p[P_MAX_SCORE] * r->share;
    need = target * (double)p[P_DAYS_FULL] / (double)p[P_DAYS_SCORE];
    if (need > (double)p[P_DAYS_FULL] + 1.0)
        return INT32_MAX;
    /* Days until the mean reaches days.full: the score stays after. */
    full = ((double)p[P_DAYS_FULL] * r->n - r->days) / (double)r->open_late;
    if (full + 2.0 < (double)(stop - day))
        stop = day + (int32_t)full + 2;
    d = (need * r->n - r->days) / (double)r->open_late;
    t = day + 1 + (d > 1.0 ? (int32_t)(d - 1.0) : 0);
    if (d > (double)(stop - day))
        t = stop;
    while (t > day + 1 && (judge(p, c, s, t - 1, &x), x.score) != r->score)
        t--;
    while (t < stop && (judge(p, c, s, t, &x), x.score) == r->score)
        t++;
    return t < stop ? t : INT32_MAX;
}

/* The first day the score changes with no new event. Between the days an
 * open invoice passes its due date (it turns known late: the share and
 * the mean change at a stroke) the score can only rise (rise()); those
 * days are walked in due order and judged, since the rounded score often
 * stays (a timer at each was an evaluation for nothing). So that a
 * customer with hundreds of open invoices does not walk them all, the
 * walk stops where the count of invoices past due passes a multiple of
 * 64, and a timer there judges again: a bound that depends on the state
 * and the day, not on when the walk started, so a customer reloaded after
 * a rebalance gets the same timer as one that stayed resident. */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    const struct rs_open_index *ix;
    int32_t day = rs_day_of(now), score;
    struct record r;

    if (c->invoices == 0)
        return RS_NO_TIMER;
    ix = rs_customer_index(c);
    judge(p, c, s, day, &r);
    score = r.score;
    for (uint32_t k = rs_index_due_before(ix, day);;) {
        /* The next day an open invoice turns known late. */
        int32_t turn = k < ix->n ? ix->due_date[k] + 1 : INT32_MAX;
        int32_t t = rise(p, c, s, day, turn, &r);
        uint32_t past;

        if (t != INT32_MAX)
            return (int64_t)t * RS_DAY_MS;
        if (turn == INT32_MAX)
            return RS_NO_TIMER;
        past = rs_index_due_before(ix, turn);
        day = turn;
        judge(p, c, s, day, &r);
        if (r.score != score || past / 64 != k / 64)
            return (int64_t)day * RS_DAY_MS;
        k = past;
    }
}

const struct rs_detector rs_detector_payment_record = {
    .name = "payment_record",
    .id = 25,
    .reads = RS_PART_OPEN | RS_PART_SETTLED | RS_PART_COUNTS,
    .signal = "Late payments as a standing trait: how often and how late "
              "the customer pays (ranks customers; soft on its own)",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
