/* Ordering changes: the invoiced volume per period against the customer's
 * own baseline, and a break in a steady ordering rhythm.
 *
 * Signal: "ordering changes" (DOMAIN.md, seeds 001 #6 and 004 #3): a
 * sudden drop in purchases, a sudden large increase, or irregular ordering
 * after a steady pattern. Time is cut into periods of period.days days of
 * event time, counted from 1970-01-01 (so every customer shares the same
 * boundaries). A period's volume is the amounts of ISSUED invoices minus
 * those of credit notes and cancellations, by the event's time; a negative
 * period counts as 0. The baseline is an exponentially weighted mean of
 * the completed periods (the newest weighs a quarter) and, the same way,
 * their mean absolute deviation, a robust stand-in for the standard
 * deviation that needs no squares (no overflow in fixed point). The period
 * of the customer's first invoice is partial and is left out.
 *
 * The last completed period stays out of the baseline until the next one
 * completes, so an invoice that arrives late (within the allowed lateness)
 * still counts for it; events older than that are too late to count here.
 * Periods with no events are completed by evaluate() itself: it rolls a
 * copy of the slots forward to the period of stream time, and a timer at
 * every period boundary makes it look, so an empty period is noticed with
 * no event at all. observe() rolls the slots the same way.
 *
 * The rhythm: the gap in days between consecutive invoice days (ISSUED,
 * by event time; several invoices on one day are one order day) is kept
 * as an exponentially weighted mean and mean absolute deviation. When the
 * gaps were steady (deviation at most steady.pct of the mean), a silence
 * of gap.pct of the usual gap is irregular; a timer fires at that moment,
 * and another period.days later, when the finding ends (a customer who
 * left is not irregular forever; the volume side reports the stop).
 * An invoice that arrives out of order (older than the last invoice day)
 * adds to its period's volume but not to the rhythm.
 *
 * Slots:
 *   0 current period number (event day / period.days)
 *   1 volume of the current period (minor units, may be negative)
 *   2 volume of the last completed period (still open for late events)
 *   3 baseline mean volume per period (minor units)
 *   4 baseline mean absolute deviation (minor units)
 *   5 periods completed (low 32 bits) | gaps measured (high 32 bits)
 *   6 day of the latest invoice (ISSUED) + 1; 0 = no invoice yet
 *   7 usual gap in days x 1000 (low 32 bits) | its mean absolute deviation
 *     x 1000 (high 32 bits) */
#include <stdio.h>
#include <string.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum {
    P_PERIOD,
    P_WARMUP,
    P_DROP,
    P_SPIKE,
    P_DEVIATION,
    P_MIN_BASELINE,
    P_GAP,
    P_STEADY
};

enum { S_PERIOD, S_CUR, S_PREV, S_MEAN, S_MAD, S_COUNTS, S_LAST, S_GAPS };

#define SCORE_DROP 35
#define SCORE_STOPPED 40
#define SCORE_SPIKE 30
#define SCORE_IRREGULAR 25

#define VOLUME_MAX 1000000000000000LL /* 10^13 in currency units */
#define COUNT_MAX 1000000
#define GAP_MAX_DAYS 4000 /* x 1000 still fits 32 bits */
#define ROLL_MAX 400      /* after this many empty periods all is 0 */

static const struct rs_detector_prop props[] = {
    {"period.days", 30, 7, 365,
     "Length of a period in days; the invoiced volume per period is "
     "compared with the customer's own baseline."},
    {"warmup.periods", 4, 1, 100,
     "Completed periods the baseline must rest on before a period is "
     "judged, and gaps between order days the rhythm must rest on."},
    {"drop.pct", 50, 1, 100,
     "A completed period below this percentage of the baseline is a "
     "sudden drop (score 35; 40 when nothing was invoiced)."},
    {"spike.pct", 250, 101, 100000,
     "A period (the current one so far, or the last completed) above this "
     "percentage of the baseline is a sudden increase (score 30)."},
    {"deviation.pct", 200, 0, 100000,
     "A drop or increase must also differ from the baseline by this "
     "percentage of the baseline's mean absolute deviation (200 = twice), "
     "so a customer whose volume always swings is not flagged."},
    {"min.baseline", 100000, 0, 1000000000000LL,
     "Baseline volume per period (minor units) below which periods are "
     "not judged: small customers, or one that stopped long ago."},
    {"gap.pct", 300, 150, 100000,
     "After a steady rhythm, no invoice for this percentage of the usual "
     "gap between order days is irregular ordering (score 25)."},
    {"steady.pct", 50, 0, 1000,
     "The rhythm is steady when the gaps' mean absolute deviation is at "
     "most this percentage of the usual gap."},
    {NULL, 0, 0, 0, NULL},
};

/* The volume figures of the slots, rolled to a period. */
struct view {
    int64_t period;
    int64_t cur;
    int64_t prev;
    int64_t mean;
    int64_t mad;
    int64_t closed; /* periods completed */
};

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t period_of(const int64_t *p, int64_t ms)
{
    return floor_div(rs_day_of(ms), p[P_PERIOD]);
}

static int64_t clamp_volume(int64_t v)
{
    return v > VOLUME_MAX ? VOLUME_MAX : v < -VOLUME_MAX ? -VOLUME_MAX : v;
}

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

static void view_load(const struct rs_dstate *s, struct view *w)
{
    w->period = s->v[S_PERIOD];
    w->cur = s->v[S_CUR];
    w->prev = s->v[S_PREV];
    w->mean = s->v[S_MEAN];
    w->mad = s->v[S_MAD];
    w->closed = s->v[S_COUNTS] & 0xffffffffLL;
}

static void view_store(const struct view *w, struct rs_dstate *s)
{
    s->v[S_PERIOD] = w->period;
    s->v[S_CUR] = w->cur;
    s->v[S_PREV] = w->prev;
    s->v[S_MEAN] = w->mean;
    s->v[S_MAD] = w->mad;
    s->v[S_COUNTS] = (s->v[S_COUNTS] & ~0xffffffffLL) | w->closed;
}

/* Periods in the baseline. */
static int64_t baseline_periods(const struct view *w)
{
    return w->closed >= 2 ? w->closed - 2 : 0;
}

static int judged(const int64_t *p, const struct view *w)
{
    return w->closed >= 2 && baseline_periods(w) >= p[P_WARMUP] &&
           w->mean > 0 && w->mean >= p[P_MIN_BASELINE];
}

static int is_spike(const int64_t *p, const struct view *w, int64_t x)
{
    return (double)x * 100.0 > (double)p[P_SPIKE] * (double)w->mean &&
           (double)(x - w->mean) * 100.0 >=
               (double)p[P_DEVIATION] * (double)w->mad;
}

static int is_drop(const int64_t *p, const struct view *w, int64_t x)
{
    return (double)x * 100.0 < (double)p[P_DROP] * (double)w->mean &&
           (double)(w->mean - x) * 100.0 >=
               (double)p[P_DEVIATION] * (double)w->mad;
}

/* Completes periods up to (not including) period to: the last completed
 * one goes into the baseline (unless it is the first, partial one), the
 * current one becomes the last completed. A period that is itself a drop
 * or a spike moves the mean (a lasting change becomes the new normal) but
 * not the deviation: otherwise the change would widen the very tolerance
 * it is judged by, and a customer who stopped ordering would look normal
 * again after two periods. */
static void roll(const int64_t *p, struct view *w, int64_t to)
{
    for (int steps = 0; w->period < to; steps++) {
        if (steps == ROLL_MAX) {
            /* Hundreds of empty periods: the weighted figures are 0. */
            int64_t left = to - w->period;

            w->cur = w->prev = w->mean = w->mad = 0;
            w->closed = left > COUNT_MAX - w->closed ? COUNT_MAX
                                                      : w->closed + left;
            w->period = to;
            break;
        }
        if (w->closed >= 2) {
            int64_t x = w->prev > 0 ? w->prev : 0;

            if (baseline_periods(w) == 0) {
                w->mean = x;
                w->mad = 0;
            } else {
                int64_t dev = abs64(x - w->mean);
                int flagged = judged(p, w) &&
                              (is_drop(p, w, x) || is_spike(p, w, x));

                if (!flagged)
                    w->mad = (3 * w->mad + dev) / 4;
                w->mean = (3 * w->mean + x) / 4;
            }
        }
        w->prev = w->cur;
        w->cur = 0;
        w->period++;
        if (w->closed < COUNT_MAX)
            w->closed++;
    }
}

static void gaps_get(const struct rs_dstate *s, int64_t *count, int64_t *mean,
                     int64_t *mad)
{
    *count = (int64_t)((uint64_t)s->v[S_COUNTS] >> 32);
    *mean = s->v[S_GAPS] & 0xffffffffLL;
    *mad = (int64_t)((uint64_t)s->v[S_GAPS] >> 32);
}

static void gaps_observe(struct rs_dstate *s, int32_t day)
{
    int64_t count, mean, mad, gap;

    if (!s->v[S_LAST]) {
        s->v[S_LAST] = (int64_t)day + 1;
        return;
    }
    if (day <= s->v[S_LAST] - 1)
        return; /* the same order day, or out of order */
    gap = (int64_t)day - (s->v[S_LAST] - 1);
    gap = (gap > GAP_MAX_DAYS ? GAP_MAX_DAYS : gap) * 1000;
    gaps_get(s, &count, &mean, &mad);
    if (count == 0) {
        mean = gap;
        mad = 0;
    } else {
        int64_t dev = abs64(gap - mean);

        mean = (3 * mean + gap) / 4;
        mad = (3 * mad + dev) / 4;
    }
    if (count < COUNT_MAX)
        count++;
    s->v[S_COUNTS] = (s->v[S_COUNTS] & 0xffffffffLL) | (count << 32);
    s->v[S_GAPS] = (int64_t)((uint64_t)mad << 32 | (uint64_t)mean);
    s->v[S_LAST] = (int64_t)day + 1;
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    struct view w;
    int64_t amount, k;

    (void)c;
    if (ev->kind != RS_EVENT_INVOICE)
        return;
    switch (ev->type) {
    case RS_INVOICE_ISSUED:
        amount = ev->u.inv.amount;
        break;
    case RS_INVOICE_CREDITED:
    case RS_INVOICE_CANCELLED:
        amount = -ev->u.inv.amount;
        break;
    default:
        return;
    }
    amount = clamp_volume(amount);
    k = period_of(p, ev->event_time);
    if (!s->v[S_LAST]) {
        if (ev->type != RS_INVOICE_ISSUED)
            return; /* nothing to reduce before the first invoice */
        memset(s, 0, sizeof(*s));
        s->v[S_PERIOD] = k;
    }
    view_load(s, &w);
    roll(p, &w, k);
    if (k == w.period)
        w.cur = clamp_volume(w.cur + amount);
    else if (k == w.period - 1)
        w.prev = clamp_volume(w.prev + amount);
    /* older: that period is in the baseline already; too late to count */
    view_store(&w, s);
    if (ev->type == RS_INVOICE_ISSUED)
        gaps_observe(s, rs_day_of(ev->event_time));
}

/* The slots rolled to now's period; 0 when there was no invoice yet. */
static int view_at(const int64_t *p, const struct rs_dstate *s, int64_t now,
                   struct view *w)
{
    if (!s->v[S_LAST])
        return 0;
    view_load(s, w);
    roll(p, w, period_of(p, now));
    return 1;
}

/* "the 30 days from 2026-05-01 to 2026-05-30" */
static void period_text(char *out, size_t size, const int64_t *p,
                        int64_t period)
{
    char a[32], b[32];
    int64_t first = period * p[P_PERIOD];

    rs_format_text(out, size, "the %d days from %s to %s", (int)p[P_PERIOD],
                   rs_format_date(a, sizeof(a), (int32_t)first),
                   rs_format_date(b, sizeof(b),
                            (int32_t)(first + p[P_PERIOD] - 1)));
}

static void volume_reason(struct rs_finding *f, const int64_t *p,
                          const struct view *w, int64_t x, int64_t pct)
{
    f->reason.value = (double)(x > 0 ? x : 0) / 100.0;
    f->reason.has_baseline = 1;
    f->reason.baseline = (double)w->mean / 100.0;
    f->reason.threshold = (double)w->mean * (double)pct / 10000.0;
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_PERIOD];
}

static void spike_finding(struct rs_finding *f, const int64_t *p,
                          const struct rs_customer *c, const struct view *w,
                          int64_t period, int64_t x, int64_t now)
{
    char v[64], m[64], when[96];
    int32_t first = (int32_t)(period * p[P_PERIOD]);

    rs_finding_start(f, "ordering", "ORDERING_SPIKE", SCORE_SPIKE);
    if (f->quiet)
        return; /* the score is all that counts */
    rs_format_amount(v, sizeof(v), x, c->currency);
    rs_format_amount(m, sizeof(m), w->mean, c->currency);
    period_text(when, sizeof(when), p, period);
    if (period == w->period)
        rs_finding_say(f, "invoiced volume is already %s in %s (%d days in), %.0f%% "
                 "of the usual %s per %d days (flagged above %d%%); check "
                 "creditworthiness before accepting more large orders",
                 v, when, (int)(rs_day_of(now) - first + 1),
                 (double)x * 100.0 / (double)w->mean, m, (int)p[P_PERIOD],
                 (int)p[P_SPIKE]);
    else
        rs_finding_say(f, "invoiced volume rose to %s in %s, %.0f%% of the usual %s "
                 "per %d days (flagged above %d%%); check creditworthiness "
                 "before accepting more large orders",
                 v, when, (double)x * 100.0 / (double)w->mean, m,
                 (int)p[P_PERIOD], (int)p[P_SPIKE]);
    volume_reason(f, p, w, x, p[P_SPIKE]);
    /* The open invoices issued in that period, newest first. */
    for (uint32_t i = c->open_count; i > 0 && !f->quiet; i--) {
        const struct rs_open_invoice *inv = &c->open[i - 1];

        if (inv->issue_date >= first && inv->issue_date < first + p[P_PERIOD])
            rs_finding_evidence(f, inv->event_id);
    }
    rs_finding_action(f, "CHECK_CREDITWORTHINESS");
}

static void drop_finding(struct rs_finding *f, const int64_t *p,
                         const struct rs_customer *c, const struct view *w)
{
    char v[64], m[64], t[64], when[96];
    int stopped = w->prev <= 0;

    rs_finding_start(f, "ordering",
                     stopped ? "ORDERING_STOPPED" : "ORDERING_DROP",
                     stopped ? SCORE_STOPPED : SCORE_DROP);
    if (f->quiet)
        return; /* the score is all that counts */
    rs_format_amount(v, sizeof(v), w->prev > 0 ? w->prev : 0, c->currency);
    rs_format_amount(m, sizeof(m), w->mean, c->currency);
    rs_format_amount(t, sizeof(t), w->mean * p[P_DROP] / 100, c->currency);
    period_text(when, sizeof(when), p, w->period - 1);
    if (stopped)
        rs_finding_say(f, "nothing was invoiced (net of credit notes) in %s, against "
                 "a usual %s per %d days (flagged below %d%%, %s)",
                 when, m, (int)p[P_PERIOD], (int)p[P_DROP], t);
    else
        rs_finding_say(f, "invoiced volume fell to %s in %s, %.0f%% of the usual %s "
                 "per %d days (flagged below %d%%, %s)",
                 v, when, (double)w->prev * 100.0 / (double)w->mean, m,
                 (int)p[P_PERIOD], (int)p[P_DROP], t);
    volume_reason(f, p, w, w->prev, p[P_DROP]);
    rs_finding_action(f, "STAY_IN_CONTACT");
    rs_finding_action(f, "FOLLOW_UP_EARLIER");
}

/* The silence (in days) from which the rhythm is broken, or 0 when there
 * is no steady rhythm to break. */
static int64_t gap_threshold(const int64_t *p, const struct rs_dstate *s)
{
    int64_t count, mean, mad;

    gaps_get(s, &count, &mean, &mad);
    if (!s->v[S_LAST] || count < p[P_WARMUP] || mean <= 0 ||
        mad * 100 > p[P_STEADY] * mean)
        return 0;
    return (mean * p[P_GAP] + 99999) / 100000; /* days, rounded up */
}

static int irregular(const int64_t *p, const struct rs_customer *c,
                     const struct rs_dstate *s, int64_t now,
                     struct rs_finding *f)
{
    int64_t threshold = gap_threshold(p, s), count, mean, mad;
    int32_t last = (int32_t)(s->v[S_LAST] - 1);
    int64_t silence = (int64_t)rs_day_of(now) - last;
    char d[32];

    (void)c;
    if (!threshold || silence < threshold ||
        silence >= threshold + p[P_PERIOD])
        return 0;
    gaps_get(s, &count, &mean, &mad);
    rs_finding_start(f, "ordering", "ORDERING_IRREGULAR", SCORE_IRREGULAR);
    if (!f->quiet) /* the date's formatting is not free */
        rs_finding_say(f, "no new invoice for %lld days since %s, while the "
                 "customer ordered steadily about every %.1f days (flagged "
                 "from %lld days, %d%% of the usual gap)",
                 (long long)silence, rs_format_date(d, sizeof(d), last),
                 (double)mean / 1000.0, (long long)threshold, (int)p[P_GAP]);
    f->reason.value = (double)silence;
    f->reason.has_baseline = 1;
    f->reason.baseline = (double)mean / 1000.0;
    f->reason.threshold = (double)threshold;
    rs_finding_action(f, "STAY_IN_CONTACT");
    return 1;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    struct view w;
    int nf = 0;

    if (max < 1 || !view_at(p, s, now, &w))
        return 0;
    if (judged(p, &w)) {
        if (is_spike(p, &w, w.cur))
            spike_finding(&out[nf++], p, c, &w, w.period, w.cur, now);
        else if (is_spike(p, &w, w.prev))
            spike_finding(&out[nf++], p, c, &w, w.period - 1, w.prev, now);
        if (nf < max && is_drop(p, &w, w.prev))
            drop_finding(&out[nf++], p, c, &w);
    }
    if (nf < max && irregular(p, c, s, now, &out[nf]))
        nf++;
    return nf;
}

/* The scores evaluate() gives for the volume, as one number: spike
 * (current or last completed period), drop or stop of the last one. */
static int volume_answer(const int64_t *p, const struct view *w)
{
    int a = 0;

    if (!judged(p, w))
        return 0;
    if (is_spike(p, w, w->cur) || is_spike(p, w, w->prev))
        a = SCORE_SPIKE;
    if (is_drop(p, w, w->prev))
        a += 100 * (w->prev <= 0 ? SCORE_STOPPED : SCORE_DROP);
    return a;
}

/* The first period boundary at which the volume answer changes with no
 * new invoice, found by rolling a copy of the slots forward one period at
 * a time (a few integer steps each): nothing invoiced, the current period
 * completes, then it leaves the baseline's view and the baseline fades.
 * None once nothing is left to judge (both periods empty and the baseline
 * below min.baseline, or 0): no invoice, no change. A boundary where
 * nothing changes would be an evaluation for nothing (a month ending
 * without a drop or a spike: most of this detector's timers were such).
 * Stops at the boundary before roll() would take its shortcut past
 * ROLL_MAX empty periods, where evaluate() and this walk could part. And
 * the moments a steady rhythm's silence becomes irregular and stops being
 * so. */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    struct view w;
    int64_t next = RS_NO_TIMER, threshold, limit;
    int answer;

    (void)c;
    if (!view_at(p, s, now, &w))
        return RS_NO_TIMER;
    answer = volume_answer(p, &w);
    limit = s->v[S_PERIOD] + ROLL_MAX;
    while (!(w.closed >= 2 && w.cur <= 0 && w.prev <= 0 &&
             (w.mean == 0 || w.mean < p[P_MIN_BASELINE]))) {
        if (w.period + 1 >= limit) {
            next = (w.period + 1) * p[P_PERIOD] * RS_DAY_MS;
            break;
        }
        roll(p, &w, w.period + 1);
        if (volume_answer(p, &w) != answer) {
            next = w.period * p[P_PERIOD] * RS_DAY_MS;
            break;
        }
    }
    threshold = gap_threshold(p, s);
    if (threshold) {
        int64_t at = (s->v[S_LAST] - 1 + threshold) * RS_DAY_MS;

        if (at <= now)
            at += p[P_PERIOD] * RS_DAY_MS; /* when it ends */
        if (at > now && at < next)
            next = at;
    }
    return next;
}

const struct rs_detector rs_detector_ordering = {
    .name = "ordering",
    .id = 22,
    .reads = RS_PART_OPEN | RS_PART_PROFILE,
    .signal = "Ordering changes: a sudden drop, a sudden large increase, "
              "irregular ordering after a steady pattern",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
