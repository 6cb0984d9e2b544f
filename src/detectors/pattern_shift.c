/* Payment-pattern change: a customer pays later than its own habit.
 *
 * Signal: "payment pattern change" (DOMAIN.md, seed 004 #7): a customer who
 * always paid early or on time now pays later, judged against its OWN
 * history, so "always paid 10 days early, now pays on the due date" is
 * caught although it is still within terms.
 *
 * The measure is days-to-pay relative to the due date (paid − due,
 * negative = early) of every invoice the customer settles, taken from the
 * settled ring in observe() as settled_total grows. The first
 * warmup.invoices invoices set the habit: their mean (the baseline) and
 * their mean absolute deviation (the spread). After that a one-sided CUSUM
 * looks for a shift to later payment:
 *
 *   S = max(0, S + d − mean − k),  k = max(slack.days, spread / 2)
 *
 * and the alarm is raised when S reaches limit.days. One settled invoice
 * adds at most limit.days / 2: a single invoice paid very late (after a
 * dispute, a lost invoice) is an incident, not a change of pattern. (An
 * open invoice is not capped: a customer who stops paying is still paying
 * later with every day.) While S is 0 the
 * customer is in its pattern and the habit keeps learning (exponentially,
 * alpha.pct per invoice); invoices of a run (S > 0) do not move it, so a
 * slow drift cannot drag the habit along. In evaluate(), open undisputed
 * invoices already later than the habit allows count as if paid today (a
 * lower bound of their lateness): a habitual early payer who stops paying
 * is caught too, by a timer.
 *
 * The alarm ends when the customer returns to its pattern (return.invoices
 * invoices in a row paid no later than mean + k, or S back to 0), or, if
 * the later pattern persists for accept.invoices invoices after the alarm,
 * when that pattern becomes the new habit (baseline = the run's mean).
 * Either way the run and S are reset.
 *
 * Slots:
 *   0 settled invoices taken in
 *   1 habit: mean days-to-pay x 1000 (the baseline)
 *   2 spread: mean absolute deviation x 1000
 *   3 CUSUM S x 1000
 *   4 run: invoices since S left 0
 *   5 sum of days-to-pay over the run (days)
 *   6 alarm: low 32 bits the run length when it was raised (0: none),
 *     the bits above the in-pattern invoices in a row since
 *   7 cursor: settled_total already taken in */
#include <stdio.h>
#include <string.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum {
    P_WARMUP,
    P_SLACK,
    P_LIMIT,
    P_RETURN,
    P_ACCEPT,
    P_ALPHA,
    P_SCORE,
    P_LATE_SCORE,
};

enum { S_N, S_MEAN, S_SPREAD, S_CUSUM, S_RUN, S_SUM, S_ALARM, S_CURSOR };

#define RING RS_CUSTOMER_PAID_RING
#define HORIZON_DAYS 3650

static const struct rs_detector_prop props[] = {
    {"warmup.invoices", 5, 2, 100,
     "Settled invoices that set the customer's habit before any finding."},
    {"slack.days", 3, 0, 365,
     "Days later than its habit a customer may pay without counting toward "
     "a shift (at least half the customer's usual spread is used)."},
    {"limit.days", 20, 1, 3650,
     "CUSUM limit: the days beyond habit + slack, summed over the invoices "
     "since the pattern held, that raise the alarm."},
    {"return.invoices", 2, 1, 100,
     "Invoices in a row paid in the old pattern again that end the alarm."},
    {"accept.invoices", 6, 0, 1000,
     "Invoices after the alarm in the later pattern after which it becomes "
     "the customer's new habit and the alarm ends (0: never)."},
    {"alpha.pct", 10, 1, 100,
     "How fast the habit learns from invoices paid in the pattern "
     "(exponential weight per invoice, percent)."},
    {"score", 25, 0, 100,
     "Score contribution while the recent invoices are still paid by the "
     "due date on average."},
    {"late.score", 35, 0, 100,
     "Score contribution when the recent invoices are paid after the due "
     "date on average."},
    {NULL, 0, 0, 0, NULL},
};

static int64_t slack_of(const int64_t *p, const struct rs_dstate *s)
{
    int64_t k = p[P_SLACK] * 1000;

    return s->v[S_SPREAD] / 2 > k ? s->v[S_SPREAD] / 2 : k;
}

static int64_t absv(int64_t x)
{
    return x < 0 ? -x : x;
}

/* One settled invoice adds at most half the limit to the CUSUM: a single
 * invoice paid very late (after a dispute, a lost invoice) is an incident,
 * not a change of pattern, so the alarm needs at least two paid invoices
 * later than the habit. */
static int64_t capped(const int64_t *p, int64_t inc)
{
    int64_t cap = p[P_LIMIT] * 1000 / 2;

    return inc > cap ? cap : inc;
}

static void clear_run(int64_t *v)
{
    v[S_CUSUM] = 0;
    v[S_RUN] = 0;
    v[S_SUM] = 0;
    v[S_ALARM] = 0;
}

/* Takes in one settled invoice paid d days after its due date. */
static void take(const int64_t *p, struct rs_dstate *s, int32_t d)
{
    int64_t *v = s->v;
    int64_t x = (int64_t)d * 1000;
    int64_t k, inc, raised, streak;

    if (v[S_N] < p[P_WARMUP]) {
        if (v[S_N] == 0) {
            v[S_MEAN] = x;
            v[S_SPREAD] = 0;
        } else {
            v[S_SPREAD] += (absv(x - v[S_MEAN]) - v[S_SPREAD]) / v[S_N];
            v[S_MEAN] += (x - v[S_MEAN]) / (v[S_N] + 1);
        }
        v[S_N]++;
        return;
    }
    v[S_N]++;
    k = slack_of(p, s);
    inc = x - v[S_MEAN] - k;
    inc = capped(p, inc);
    raised = v[S_ALARM] & 0xffffffff;
    streak = v[S_ALARM] >> 32;
    if (raised) {
        v[S_RUN]++;
        v[S_SUM] += d;
        v[S_CUSUM] = v[S_CUSUM] + inc > 0 ? v[S_CUSUM] + inc : 0;
        if (x <= v[S_MEAN] + k) {
            /* Paid in the old pattern again. */
            streak++;
            if (streak >= p[P_RETURN] || v[S_CUSUM] == 0)
                clear_run(v);
            else
                v[S_ALARM] = raised | (streak << 32);
        } else if (p[P_ACCEPT] && v[S_RUN] - raised >= p[P_ACCEPT]) {
            /* The later pattern held: it is the habit now. */
            v[S_MEAN] = v[S_SUM] * 1000 / v[S_RUN];
            clear_run(v);
        } else {
            v[S_ALARM] = raised;
        }
        return;
    }
    if (v[S_CUSUM] + inc <= 0) {
        /* In the pattern: the habit learns. */
        int64_t dev = absv(x - v[S_MEAN]);

        v[S_MEAN] += (x - v[S_MEAN]) * p[P_ALPHA] / 100;
        v[S_SPREAD] += (dev - v[S_SPREAD]) * p[P_ALPHA] / 100;
        clear_run(v);
        return;
    }
    v[S_CUSUM] += inc;
    v[S_RUN]++;
    v[S_SUM] += d;
    if (v[S_CUSUM] >= p[P_LIMIT] * 1000)
        v[S_ALARM] = v[S_RUN];
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    int64_t total = c->settled_total;
    int64_t oldest = total - c->settled_count;

    (void)ev;
    if (s->v[S_CURSOR] < oldest)
        s->v[S_CURSOR] = oldest; /* more settled at once than the ring holds */
    if (s->v[S_CURSOR] > total)
        s->v[S_CURSOR] = total;
    for (; s->v[S_CURSOR] < total; s->v[S_CURSOR]++) {
        int64_t back = total - s->v[S_CURSOR];
        const struct rs_settled *e =
            &c->settled[(c->settled_head + RING - (uint32_t)back) % RING];

        take(p, s, e->paid_date - e->due_date);
    }
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && a < 0);
}

/* The CUSUM and the run at a day, with the open invoices already later
 * than the habit allows counted as paid that day. */
struct view {
    int64_t cusum; /* x 1000 */
    int64_t run;
    int64_t sum; /* days */
    int open;    /* open invoices counted */
};

static void view_at(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int32_t day, struct view *w,
                    struct rs_finding *f)
{
    int64_t k = slack_of(p, s);
    int64_t x = s->v[S_MEAN] + k;
    /* Counted: (day − due) · 1000 > x, that is due <= day − q. */
    int64_t last = (int64_t)day - (floor_div(x, 1000) + 1);
    const struct rs_open_index *ix = rs_customer_index(c);
    uint32_t n = last >= INT32_MAX ? ix->n
                 : last < INT32_MIN ? 0
                                    : rs_index_due_before(ix, (int32_t)last + 1);
    int64_t lateness = (int64_t)day * n - ix->due[n]; /* Σ (day − due) */

    w->cusum = s->v[S_CUSUM] + lateness * 1000 - (int64_t)n * x;
    w->run = s->v[S_RUN] + n;
    w->sum = s->v[S_SUM] + lateness;
    w->open = (int)n;
    if (!f)
        return;
    for (uint32_t i = 0; i < c->open_count; i++) { /* in arrival order */
        const struct rs_open_invoice *inv = &c->open[i];
        int64_t lb = (int64_t)day - inv->due_date;

        if (inv->open > 0 && !inv->disputed && lb * 1000 > x)
            rs_finding_evidence(f, inv->event_id);
    }
}

static int firing(const int64_t *p, const struct rs_dstate *s,
                  const struct view *w)
{
    return (s->v[S_ALARM] & 0xffffffff) || w->cusum >= p[P_LIMIT] * 1000;
}

/* "3.0 days after the due date", "on the due date", "10.0 days before". */
static void relative(char *out, size_t size, double days)
{
    if (days >= 0.05)
        rs_format_text(out, size, "%.1f days after the due date", days);
    else if (days <= -0.05)
        rs_format_text(out, size, "%.1f days before the due date", -days);
    else
        rs_format_text(out, size, "on the due date");
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    struct view w;
    struct rs_finding *f;
    double value, baseline, threshold;
    char now_s[64], was_s[64], thr_s[64], unpaid[96] = "";

    if (max < 1 || s->v[S_N] < p[P_WARMUP])
        return 0;
    view_at(p, c, s, rs_day_of(now), &w, NULL);
    if (!firing(p, s, &w) || w.run <= 0)
        return 0;
    value = (double)w.sum / (double)w.run;
    baseline = (double)s->v[S_MEAN] / 1000.0;
    threshold = (double)(s->v[S_MEAN] + slack_of(p, s) +
                         p[P_LIMIT] * 1000 / w.run) /
                1000.0;
    f = rs_finding_start(out, "pattern_shift", "PAYMENT_PATTERN_SHIFT",
                         (int32_t)(value > 0 ? p[P_LATE_SCORE] : p[P_SCORE]));
    if (f->quiet)
        return 1; /* the score is all that counts */
    relative(now_s, sizeof(now_s), value);
    relative(was_s, sizeof(was_s), baseline);
    relative(thr_s, sizeof(thr_s), threshold);
    if (w.open)
        rs_format_text(unpaid, sizeof(unpaid),
                       " (%d of them unpaid, counted as paid today)", w.open);
    rs_finding_say(f, "payment pattern changed: the last %d invoice%s%s %s paid %s "
             "on average; this customer used to pay %s (flagged from %s)",
             (int)w.run, w.run == 1 ? "" : "s", unpaid,
             w.run == 1 ? "was" : "were", now_s, was_s, thr_s);
    f->reason.value = value;
    f->reason.has_baseline = 1;
    f->reason.baseline = baseline;
    f->reason.threshold = threshold;
    view_at(p, c, s, rs_day_of(now), &w, f); /* evidence: the unpaid ones */
    rs_finding_action(f, "STAY_IN_CONTACT");
    rs_finding_action(f, "FOLLOW_UP_EARLIER");
    return 1;
}

/* With no new event the counted lateness of open invoices only grows, so
 * the CUSUM at a day d is a nondecreasing, piecewise linear function:
 * f(d) = CUSUM + sum over the open invoices counted at d of
 * (d - due) * 1000 - X, where X = the habit's mean + slack and an invoice
 * counts from the first day d with (d - due) * 1000 > X on. Between two
 * such first days f is linear, so the first day it reaches the limit is
 * solved for directly, segment by segment (the same day as bisecting on
 * view_at, in one pass over the open invoices instead of a dozen).
 *
 * Once firing (an alarm raised, or the limit reached), it fires until an
 * event comes, but the score still depends on the sign of the run's mean
 * days-to-pay: sum + Σ (d − due) over the counted open invoices. Within a
 * segment that grows with d; where invoices join it moves by their first
 * counted lateness (which is negative for a habitually early payer), so
 * the sign is followed segment by segment too. */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    const struct rs_open_index *ix;
    const int32_t *due;
    int32_t lo = rs_day_of(now), hi = lo + HORIZON_DAYS;
    int64_t x = s->v[S_MEAN] + slack_of(p, s);
    int64_t need = p[P_LIMIT] * 1000 - s->v[S_CUSUM];
    int64_t q = floor_div(x, 1000) + 1; /* counted from due + q */
    int64_t cnt = 0, sum = 0, day = lo;
    int firing = (s->v[S_ALARM] & 0xffffffff) || need <= 0;
    int late = -1; /* while firing: the run's mean is after the due date */
    size_t n = 0, k = 0;

    if (s->v[S_N] < p[P_WARMUP])
        return RS_NO_TIMER; /* too early */
    ix = rs_customer_index(c);
    due = ix->due_date;
    n = ix->n;
    if (firing && p[P_SCORE] == p[P_LATE_SCORE])
        return RS_NO_TIMER; /* the sign cannot change the answer */
    {
        /* The invoices counted already (due + q <= day), from the index's
         * prefix sums rather than a pass over them. */
        int64_t first = day - q + 1;

        k = first <= INT32_MIN   ? 0
            : first > INT32_MAX ? n
                                : rs_index_due_before(ix, (int32_t)first);
        cnt = (int64_t)k;
        sum = ix->due[k];
    }
    for (;;) {
        int64_t end;

        while (k < n && due[k] + q <= day) {
            cnt++;
            sum += due[k];
            k++;
        }
        end = k < n ? due[k] + q - 1 : hi;
        if (end > hi)
            end = hi;
        if (!firing && cnt) {
            /* cnt * (d * 1000 - x) - 1000 * sum >= need */
            int64_t den = cnt * 1000;
            int64_t num = need + cnt * x + 1000 * sum;
            int64_t d = -floor_div(-num, den); /* ceil */

            if (d < day)
                d = day;
            if (d <= end) {
                if (d > lo)
                    return d * RS_DAY_MS; /* it starts firing */
                firing = 1;               /* firing today already */
                if (p[P_SCORE] == p[P_LATE_SCORE])
                    return RS_NO_TIMER;
            }
        }
        if (firing) {
            int64_t num = s->v[S_SUM] + cnt * day - sum;
            int pos = num > 0;

            if (late < 0)
                late = pos; /* at lo */
            else if (pos != late)
                return day * RS_DAY_MS;
            if (!pos && cnt) {
                /* sum + cnt * d - Σ due > 0 */
                int64_t d = floor_div(sum - s->v[S_SUM], cnt) + 1;

                if (d <= end)
                    return (d > lo ? d : lo + 1) * RS_DAY_MS;
            }
        }
        if (end >= hi)
            return RS_NO_TIMER;
        day = end + 1;
    }
}

const struct rs_detector rs_detector_pattern_shift = {
    .name = "pattern_shift",
    .id = 3,
    .reads = RS_PART_OPEN | RS_PART_SETTLED,
    .signal = "Payment pattern change: later than the customer's own habit "
              "(change-point test)",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
