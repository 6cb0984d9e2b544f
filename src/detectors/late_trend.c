/* Late-payment trend: recent days beyond terms against the customer's own.
 *
 * Signal: "late payments increasing" (DOMAIN.md, seeds 000 §2 and 001 #1),
 * measured as the amount-weighted payment delay: Σ amount·days beyond terms
 * / Σ amount over the last window.days. Settled invoices paid in the window
 * count with their days beyond terms (paid − due, 0 when paid on time or
 * early); open, undisputed invoices past their due date count with stream
 * time as their payment date and their open amount, so a customer who stops
 * paying altogether does not look good. Disputed open amounts are left out.
 *
 * The baseline is the customer's own: an amount-weighted exponential
 * average of the days beyond terms of the invoices settled BEFORE the
 * window. A settled invoice enters the baseline only once its payment date
 * has left the window, so the trend does not pull its own baseline along;
 * the settled ring (16 invoices) is drained into the baseline early when it
 * holds more than 8 invoices not yet fed, so none is lost. The feeding is a
 * function of the ring and the day, so evaluate() and next_timer() apply it
 * to a copy of the slots at the day they look at: the answer does not
 * depend on whether an event happened to arrive in between.
 *
 * Slots:
 *   0 baseline days beyond terms x 1000 (amount-weighted, exponential)
 *   1 baseline weight: decayed amount in minor units
 *   2 settled invoices fed into the baseline
 *   3 cursor: the settled_total index of the next settled invoice to feed
 *   4 settled invoices that left the ring before they could be fed */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum {
    P_WINDOW,
    P_MARGIN,
    P_STRONG_MARGIN,
    P_MIN_DAYS,
    P_MIN_HISTORY,
    P_ALPHA,
    P_SCORE,
    P_STRONG_SCORE,
};

enum { S_BASE, S_WEIGHT, S_FED, S_CURSOR, S_LOST };

#define RING RS_CUSTOMER_PAID_RING
#define HORIZON_DAYS 3650 /* timers are not looked for further ahead */
/* Stretches between breakpoints examined per next_timer call; past them
 * the timer fires at the last one to look further. A customer's next
 * event usually comes first and makes next_timer run again anyway: 64
 * cost 2.5 % more instructions on generated data for 1 timer fewer in
 * 2 573 (docs/performance.md, "Eighth round"). */
#define BREAKS_MAX 8

static const struct rs_detector_prop props[] = {
    {"window.days", 90, 7, 730,
     "Recent window: invoices paid in the last window.days days, and open "
     "invoices past due now, make the recent payment delay."},
    {"margin.days", 10, 1, 365,
     "The recent delay must be at least this many days above the "
     "customer's own baseline (score `score`)."},
    {"strong.margin.days", 30, 1, 3650,
     "At this many days above the baseline the finding is strong (score "
     "`strong.score`)."},
    {"min.days", 10, 0, 3650,
     "Minimum absolute recent delay (days beyond terms) for a finding, "
     "whatever the baseline."},
    {"min.history", 4, 1, 1000,
     "Settled invoices (paid before the window) the baseline must rest on; "
     "with fewer there is no finding."},
    {"alpha.pct", 20, 1, 100,
     "Exponential weight of each invoice entering the baseline: the "
     "weight of the older history shrinks by this percentage per invoice."},
    {"score", 30, 0, 100, "Score contribution of LATE_PAYMENT_TREND."},
    {"strong.score", 45, 0, 100,
     "Score contribution of LATE_PAYMENT_TREND_STRONG."},
    {NULL, 0, 0, 0, NULL},
};

/* The k-th invoice ever settled (0-based), if the ring still holds it. */
static const struct rs_settled *settled_at(const struct rs_customer *c,
                                           int64_t k)
{
    int64_t back = (int64_t)c->settled_total - k;

    if (back < 1 || back > (int64_t)c->settled_count)
        return NULL;
    return &c->settled[(c->settled_head + RING - (uint32_t)back) % RING];
}

static int32_t days_beyond(const struct rs_settled *e)
{
    return e->paid_date > e->due_date ? e->paid_date - e->due_date : 0;
}

/* Feeds the settled invoices whose payment left the window at day (or
 * that the ring is about to lose) into the baseline, in settling order. */
static void feed(const int64_t *p, const struct rs_customer *c,
                 struct rs_dstate *s, int32_t day)
{
    int64_t total = c->settled_total;
    int64_t oldest = total - c->settled_count;
    int64_t *v = s->v;

    if (v[S_CURSOR] < oldest) {
        v[S_LOST] += oldest - v[S_CURSOR];
        v[S_CURSOR] = oldest;
    }
    if (v[S_CURSOR] > total)
        v[S_CURSOR] = total; /* cannot happen; keeps a bad state harmless */
    while (v[S_CURSOR] < total) {
        const struct rs_settled *e = settled_at(c, v[S_CURSOR]);
        int in_window = e->paid_date > day - p[P_WINDOW];

        if (in_window && total - v[S_CURSOR] <= RING / 2)
            break;
        if (e->amount > 0) {
            double a = (double)e->amount;
            double x = (double)days_beyond(e) * 1000.0;
            double w = (double)v[S_WEIGHT] * (double)(100 - p[P_ALPHA]) /
                           100.0 +
                       a;
            double mean = v[S_FED] ? (double)v[S_BASE] +
                                         (x - (double)v[S_BASE]) * a / w
                                   : x;

            v[S_BASE] = (int64_t)(mean + 0.5);
            v[S_WEIGHT] = (int64_t)(w + 0.5);
            v[S_FED]++;
        }
        v[S_CURSOR]++;
    }
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    (void)ev;
    feed(p, c, s, rs_day_of(c->last_event_time));
}

/* The recent, amount-weighted delay at a day. */
struct recent {
    double sum;    /* Σ amount · days beyond terms */
    double weight; /* Σ amount */
    int paid;      /* settled invoices in the window */
    int open;      /* open invoices past due */
    int64_t open_amount;
};

/* The settled invoices paid in the window before day. */
static void recent_settled(const int64_t *p, const struct rs_customer *c,
                           int32_t day, struct recent *r)
{
    memset(r, 0, sizeof(*r));
    for (uint32_t i = 0; i < c->settled_count; i++) {
        const struct rs_settled *e = &c->settled[i];

        if (e->amount <= 0 || e->paid_date <= day - p[P_WINDOW])
            continue;
        r->sum += (double)e->amount * days_beyond(e);
        r->weight += (double)e->amount;
        r->paid++;
    }
}

/* Everything evaluate() decides at a day. */
struct judgement {
    int state; /* 0 nothing, 1 trend, 2 strong */
    double value, baseline, threshold, strong_threshold;
    struct recent r;
};

/* What judge() takes from the settled invoices at a day: the baseline fed
 * up to that day and the settled part of the recent delay. Both change
 * only on the days a settled invoice's payment leaves the window. */
struct settled_part {
    struct rs_dstate fed;
    struct recent r;
};

static void settled_part_at(const int64_t *p, const struct rs_customer *c,
                            const struct rs_dstate *s, int32_t day,
                            struct settled_part *sp)
{
    sp->fed = *s;
    feed(p, c, &sp->fed, day);
    recent_settled(p, c, day, &sp->r);
}

static int judge_with(const int64_t *p, const struct rs_open_index *x,
                      const struct settled_part *sp, int32_t day,
                      struct judgement *j)
{
    double floor_days = (double)p[P_MIN_DAYS];
    uint32_t lo;

    memset(j, 0, sizeof(*j));
    if (sp->fed.v[S_FED] < p[P_MIN_HISTORY])
        return 0;
    /* The open invoices past due, from the index: Σ_{due < day} open ·
     * (day − due) = day · Σ open − Σ open · due. */
    lo = rs_index_due_before(x, day);
    j->r = sp->r;
    j->r.sum += (double)day * (double)x->open[lo] - x->open_due[lo];
    j->r.weight += (double)x->open[lo];
    j->r.open = (int)lo;
    j->r.open_amount = x->open[lo];
    if (j->r.weight <= 0)
        return 0;
    j->value = j->r.sum / j->r.weight;
    j->baseline = (double)sp->fed.v[S_BASE] / 1000.0;
    j->threshold = j->baseline + (double)p[P_MARGIN];
    if (j->threshold < floor_days)
        j->threshold = floor_days;
    j->strong_threshold = j->baseline + (double)p[P_STRONG_MARGIN];
    if (j->strong_threshold < j->threshold)
        j->strong_threshold = j->threshold;
    j->state = j->value >= j->strong_threshold ? 2
               : j->value >= j->threshold      ? 1
                                               : 0;
    return j->state;
}

static int judge(const int64_t *p, const struct rs_customer *c,
                 const struct rs_open_index *x, const struct rs_dstate *s,
                 int32_t day, struct judgement *j)
{
    struct settled_part sp;

    settled_part_at(p, c, s, day, &sp);
    return judge_with(p, x, &sp, day, j);
}

/* The counting open invoices' events, oldest due first. */
static void add_evidence(struct rs_finding *f, const struct rs_customer *c,
                         int32_t day)
{
    const struct rs_open_index *x;
    uint32_t k;

    if (f->quiet)
        return; /* no words, no evidence: it would not be kept */
    x = rs_customer_index(c);
    k = rs_index_due_before(x, day);
    for (uint32_t i = 0; i < k && f->reason.evidence_count < RS_EVIDENCE_MAX;
         i++)
        rs_finding_evidence(f, c->open[x->at[i]].event_id);
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int32_t day = rs_day_of(now);
    struct judgement j;
    struct rs_finding *f;
    char unpaid[160] = "";

    if (max < 1 || !judge(p, c, rs_customer_index(c), s, day, &j))
        return 0;
    f = rs_finding_start(out, "late_trend",
                         j.state == 2 ? "LATE_PAYMENT_TREND_STRONG"
                                      : "LATE_PAYMENT_TREND",
                         (int32_t)(j.state == 2 ? p[P_STRONG_SCORE]
                                                : p[P_SCORE]));
    if (f->quiet)
        return 1; /* the score is all that counts */
    if (j.r.open) {
        char amount[64];

        rs_format_amount(amount, sizeof(amount), j.r.open_amount,
                         c->currency);
        rs_format_text(unpaid, sizeof(unpaid),
                       " and %d unpaid past due (%s, counted as paid today)",
                       j.r.open, amount);
    }
    rs_finding_say(f, "payments are getting later: %.1f days beyond terms on average "
             "over the last %d days (%d invoice%s paid%s), against %.1f days "
             "before; flagged from %.1f days, strong from %.1f",
             j.value, (int)p[P_WINDOW], j.r.paid, j.r.paid == 1 ? "" : "s",
             unpaid, j.baseline, j.threshold, j.strong_threshold);
    f->reason.value = j.value;
    f->reason.has_baseline = 1;
    f->reason.baseline = j.baseline;
    f->reason.threshold = j.threshold;
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_WINDOW];
    add_evidence(f, c, day);
    rs_finding_action(f, "FOLLOW_UP_EARLIER");
    rs_finding_action(f, "SHORTER_TERMS");
    if (j.state == 2)
        rs_finding_action(f, "STRICT_DUNNING");
    return 1;
}

/* judge() for the many days next_timer() probes: the settled part is made
 * again only when the day leaves the stretch between two of the days a
 * settled invoice's payment leaves the window (outs, ascending, all after
 * the day next_timer() starts from), where it is the same. */
struct memo {
    const int32_t *outs;
    size_t nouts;
    struct settled_part sp;
    int32_t from, until; /* the stretch sp holds for: [from, until) */
};

static int judge_memo(const int64_t *p, const struct rs_customer *c,
                      const struct rs_open_index *x,
                      const struct rs_dstate *s, struct memo *m, int32_t day,
                      struct judgement *j)
{
    if (day < m->from || day >= m->until) {
        size_t k = 0;

        while (k < m->nouts && m->outs[k] <= day)
            k++;
        m->from = k ? m->outs[k - 1] : INT32_MIN;
        m->until = k < m->nouts ? m->outs[k] : INT32_MAX;
        settled_part_at(p, c, s, day, &m->sp);
    }
    return judge_with(p, x, &m->sp, day, j);
}

/* The breakpoints of next_timer's walk, in day order: the settled
 * invoices leaving the window merged with the open ones falling due (x
 * is in due order), from the first due today (those due before fell due
 * already), then the horizon. */
struct breaks {
    const struct rs_open_index *x;
    const int32_t *outs;
    size_t nouts, i, k;
    int32_t end; /* the horizon */
    int ended;
};

/* The next breakpoint in *hi; 0 after the horizon. */
static int next_break(struct breaks *b, int32_t *hi)
{
    while (b->i < b->x->n || b->k < b->nouts) {
        int32_t due1 =
            b->i < b->x->n ? b->x->due_date[b->i] + 1 : INT32_MAX;

        if (b->k < b->nouts && b->outs[b->k] <= due1) {
            *hi = b->outs[b->k++];
            return 1;
        }
        if (due1 >= b->end) {
            b->i = b->x->n; /* the rest fall due past the horizon */
            continue;
        }
        *hi = due1;
        b->i++;
        return 1;
    }
    if (b->ended)
        return 0;
    b->ended = 1;
    *hi = b->end;
    return 1;
}

/* Between two breakpoints (an invoice falling due, a payment leaving the
 * window and entering the baseline) the baseline, the thresholds and the
 * set of counted invoices are fixed, and the recent delay grows linearly:
 * each day adds the counted open amount to Σ amount·days while Σ amount
 * stays. So the state changes at a breakpoint, or once inside a stretch on
 * a day found by solving that line (then checked against judge() itself,
 * so rounding cannot move it). */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    int32_t today = rs_day_of(now);
    int32_t end = today + HORIZON_DAYS;
    struct breaks b = {0};
    int32_t hi;
    size_t used = 0;
    struct judgement now_j;
    int cur;
    int32_t lo = today + 1;
    const struct rs_open_index *x;
    int32_t outs[RING];
    size_t nouts = 0;
    struct memo m = {.outs = outs};

    for (uint32_t i = 0; i < c->settled_count; i++) {
        int32_t out = c->settled[i].paid_date + (int32_t)p[P_WINDOW];
        size_t at = nouts++;

        if (out <= today || out >= end) {
            nouts--;
            continue;
        }
        for (; at > 0 && outs[at - 1] > out; at--) /* insertion: <= 16 */
            outs[at] = outs[at - 1];
        outs[at] = out;
    }
    if (nouts == 0 && c->open_count == 0)
        return RS_NO_TIMER; /* nothing will move without an event */
    x = rs_customer_index(c);
    m.nouts = nouts;
    /* Every out is after today: today's settled part holds until the
     * first of them, and the memo starts with it. */
    settled_part_at(p, c, s, today, &m.sp);
    m.from = INT32_MIN;
    m.until = nouts ? outs[0] : INT32_MAX;
    cur = judge_with(p, x, &m.sp, today, &now_j);
    /* The stretches end at the breakpoints (next_break), taken one at a
     * time: the walk stops at the first change or after BREAKS_MAX
     * stretches, mostly long before the last of a busy customer's open
     * invoices falls due. */
    b.x = x;
    b.outs = outs;
    b.nouts = nouts;
    b.i = rs_index_due_before(x, today);
    b.end = end;
    while (next_break(&b, &hi)) { /* the stretch is [lo, hi) */
        struct judgement j;
        double target, days;
        int32_t t;

        if (hi <= lo)
            continue;
        if (++used > BREAKS_MAX)
            return (int64_t)lo * RS_DAY_MS; /* look further then */
        if (judge_memo(p, c, x, s, &m, lo, &j) != cur)
            return (int64_t)lo * RS_DAY_MS;
        /* Within the stretch only a rise is possible, and only with open
         * invoices counted (a judgement with thresholds set). */
        if (cur == 2 || j.r.open_amount <= 0 || j.r.weight <= 0 ||
            j.threshold <= 0)
            goto next;
        target = cur == 0 ? j.threshold : j.strong_threshold;
        days = (target - j.value) * j.r.weight / (double)j.r.open_amount;
        if (days >= (double)(hi - lo))
            goto next;
        t = lo + (days > 0 ? (int32_t)days : 0);
        while (t > lo + 1 && judge_memo(p, c, x, s, &m, t - 1, &j) != cur)
            t--;
        while (t < hi && judge_memo(p, c, x, s, &m, t, &j) == cur)
            t++;
        if (t < hi)
            return (int64_t)t * RS_DAY_MS;
    next:
        lo = hi;
    }
    return RS_NO_TIMER;
}

const struct rs_detector rs_detector_late_trend = {
    .name = "late_trend",
    .id = 2,
    .reads = RS_PART_OPEN | RS_PART_SETTLED | RS_PART_PROFILE,
    .signal = "Late payments increasing: amount-weighted days beyond terms "
              "against the customer's own baseline",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
