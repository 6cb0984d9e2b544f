/* Partial payments and failed direct debits becoming frequent.
 *
 * Signal: "late payments increasing" and "payment-terms pressure"
 * (DOMAIN.md): a customer who starts paying invoices in parts, or whose
 * direct debits bounce, is short of cash (seed 004: struggling to pay).
 * Each kind is counted in its own window of event days (the last
 * window.days days, today included) and judged against the customer's own
 * rate: the lifetime counters of the shared aggregates (partial_payments,
 * failed_debits) minus the ones in the window, spread over the customer's
 * history before the window. A customer that has always paid in parts does
 * not fire; a new customer (less than one window of history before the
 * current one) is judged on the count alone.
 *
 * The slots keep the event days of the most recent ones (the largest days
 * seen, so events out of order land where they belong); counts above the
 * slots (5 partial, 3 failed) are capped. A timer fires when the oldest
 * counted event leaves its window, so a customer who stops paying in parts
 * sees the finding go.
 *
 * Slots:
 *   0-4 event days (days since 1970-01-01) of the 5 latest partial
 *       payments; 0: empty
 *   5-7 event days of the 3 latest failed direct debits; 0: empty */
#include <stdio.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum {
    P_PARTIAL_WINDOW,
    P_PARTIAL_COUNT,
    P_FAILED_WINDOW,
    P_FAILED_COUNT,
    P_RATE,
    P_PARTIAL_SCORE,
    P_FAILED_SCORE,
};

#define PARTIAL_SLOT 0
#define PARTIAL_SLOTS 5
#define FAILED_SLOT 5
#define FAILED_SLOTS 3

static const struct rs_detector_prop props[] = {
    {"partial.window.days", 90, 7, 730,
     "Window in which partial payments are counted."},
    {"partial.count", 3, 1, PARTIAL_SLOTS,
     "Partial payments in the window that make a finding (at most 5)."},
    {"failed.window.days", 60, 7, 730,
     "Window in which failed direct debits are counted."},
    {"failed.count", 2, 1, FAILED_SLOTS,
     "Failed direct debits in the window that make a finding (at most 3)."},
    {"rate.pct", 200, 100, 10000,
     "The count must also be at least this percentage of the customer's "
     "own usual count per window (from its history before the window)."},
    {"partial.score", 30, 0, 100,
     "Score contribution of FREQUENT_PARTIAL_PAYMENTS."},
    {"failed.score", 40, 0, 100,
     "Score contribution of FREQUENT_FAILED_DEBITS."},
    {NULL, 0, 0, 0, NULL},
};

/* Keeps day among the n largest days in slots. */
static void remember(int64_t *slots, int n, int32_t day)
{
    int min = 0;

    if (day < 1)
        day = 1; /* 0 marks an empty slot */
    for (int i = 0; i < n; i++) {
        if (slots[i] == 0) {
            slots[i] = day;
            return;
        }
        if (slots[i] < slots[min])
            min = i;
    }
    if (day > slots[min])
        slots[min] = day;
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_PAYMENT)
        return;
    if (ev->type == RS_PAYMENT_PARTIAL)
        remember(&s->v[PARTIAL_SLOT], PARTIAL_SLOTS,
                 rs_day_of(ev->event_time));
    else if (ev->type == RS_PAYMENT_FAILED_DIRECT_DEBIT)
        remember(&s->v[FAILED_SLOT], FAILED_SLOTS, rs_day_of(ev->event_time));
}

/* One kind judged at a day. */
struct tally {
    int64_t count;     /* in the window */
    int64_t exit_day;  /* when the oldest counted one leaves the window */
    int has_baseline;
    double baseline;   /* usual count per window */
    double threshold;
    int fires;
};

static void judge(const int64_t *slots, int n, int64_t window, int64_t min,
                  int64_t rate, uint32_t lifetime, const struct rs_customer *c,
                  int32_t day, struct tally *t)
{
    int64_t first = rs_day_of(c->first_event_time);
    int64_t span = (int64_t)day - window + 1 - first; /* history before */
    int64_t history;

    t->count = 0;
    t->exit_day = INT64_MAX;
    for (int i = 0; i < n; i++) {
        if (slots[i] == 0 || slots[i] <= day - window)
            continue;
        t->count++;
        if (slots[i] + window < t->exit_day)
            t->exit_day = slots[i] + window;
    }
    history = (int64_t)lifetime - t->count;
    if (history < 0)
        history = 0;
    t->has_baseline = span >= window;
    t->baseline = t->has_baseline
                      ? (double)history * (double)window / (double)span
                      : 0.0;
    t->threshold = (double)rate * t->baseline / 100.0;
    if (t->threshold < (double)min)
        t->threshold = (double)min;
    t->fires = t->count >= min &&
               (!t->has_baseline ||
                t->count * 100 * span >= rate * history * window);
}

static void judge_partial(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int32_t day,
                          struct tally *t)
{
    judge(&s->v[PARTIAL_SLOT], PARTIAL_SLOTS, p[P_PARTIAL_WINDOW],
          p[P_PARTIAL_COUNT], p[P_RATE], c->partial_payments, c, day, t);
}

static void judge_failed(const int64_t *p, const struct rs_customer *c,
                         const struct rs_dstate *s, int32_t day,
                         struct tally *t)
{
    judge(&s->v[FAILED_SLOT], FAILED_SLOTS, p[P_FAILED_WINDOW],
          p[P_FAILED_COUNT], p[P_RATE], c->failed_debits, c, day, t);
}

static void usual(char *out, size_t size, const struct tally *t,
                  const char *what, int64_t window)
{
    if (t->has_baseline)
        rs_format_text(out, size, "usually %.1f %s per %d days", t->baseline,
                       what,
                       (int)window);
    else
        rs_format_text(out, size, "no earlier history to compare with");
}

static void fill(struct rs_finding *f, const struct tally *t, int64_t window)
{
    f->reason.value = (double)t->count;
    f->reason.has_baseline = t->has_baseline;
    f->reason.baseline = t->baseline;
    f->reason.threshold = t->threshold;
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)window;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int32_t day = rs_day_of(now);
    struct tally t;
    struct rs_finding *f;
    char u[96];
    int nf = 0;

    judge_partial(p, c, s, day, &t);
    if (nf < max && t.fires) {
        int64_t open = 0;
        int invoices = 0;
        char amount[64];

        f = rs_finding_start(&out[nf++], "partials",
                             "FREQUENT_PARTIAL_PAYMENTS",
                             (int32_t)p[P_PARTIAL_SCORE]);
        if (!f->quiet) { /* the words and evidence */
            /* Evidence: the invoices paid in part and still open. */
            for (uint32_t i = 0; i < c->open_count; i++) {
                const struct rs_open_invoice *inv = &c->open[i];

                if (inv->open > 0 && inv->open < inv->amount) {
                    open += inv->open;
                    invoices++;
                    rs_finding_evidence(f, inv->event_id);
                }
            }
            rs_format_amount(amount, sizeof(amount), open, c->currency);
            usual(u, sizeof(u), &t, "partial payments", p[P_PARTIAL_WINDOW]);
            rs_finding_say(f, "%d partial payments in the last %d days (flagged from "
                     "%.1f; %s); %d invoice%s paid in part still %s %s open",
                     (int)t.count, (int)p[P_PARTIAL_WINDOW], t.threshold, u,
                     invoices, invoices == 1 ? "" : "s",
                     invoices == 1 ? "has" : "have", amount);
        }
        fill(f, &t, p[P_PARTIAL_WINDOW]);
        rs_finding_action(f, "FOLLOW_UP_EARLIER");
        rs_finding_action(f, "STAY_IN_CONTACT");
        rs_finding_action(f, "PAYMENT_LINK");
    }
    judge_failed(p, c, s, day, &t);
    if (nf < max && t.fires) {
        f = rs_finding_start(&out[nf++], "partials", "FREQUENT_FAILED_DEBITS",
                             (int32_t)p[P_FAILED_SCORE]);
        if (!f->quiet) {
            usual(u, sizeof(u), &t, "failed direct debits", p[P_FAILED_WINDOW]);
            rs_finding_say(f, "%d direct debits failed in the last %d days (flagged from "
                     "%.1f; %s)",
                     (int)t.count, (int)p[P_FAILED_WINDOW], t.threshold, u);
        }
        fill(f, &t, p[P_FAILED_WINDOW]);
        rs_finding_action(f, "FOLLOW_UP_EARLIER");
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
        rs_finding_action(f, "PAYMENT_LINK");
    }
    return nf;
}

/* The first day after day at which one kind's judgement can change with
 * no new event: the oldest counted event leaves the window (the count
 * drops); the customer gets a full window of history before the current
 * one (the baseline starts to count); or, not firing on the rate alone,
 * the history before the window has grown long enough that the same count
 * passes it (the usual count per window shrinks as the span grows).
 * Below the minimum count nothing can change: the count only drops. */
static int64_t kind_next(const int64_t *slots, int n, int64_t window,
                         int64_t min, int64_t rate, uint32_t lifetime,
                         const struct rs_customer *c, int32_t day)
{
    struct tally t;
    int64_t first = rs_day_of(c->first_event_time);
    int64_t next = INT64_MAX, history, span;

    judge(slots, n, window, min, rate, lifetime, c, day, &t);
    if (t.count < min)
        return INT64_MAX;
    next = t.exit_day;
    span = (int64_t)day - window + 1 - first;
    if (span < window && first + 2 * window - 1 < next)
        next = first + 2 * window - 1; /* span reaches window that day */
    history = (int64_t)lifetime - t.count;
    if (t.has_baseline && !t.fires && history > 0) {
        /* count · 100 · span >= rate · history · window */
        int64_t need = rate * history * window, per = t.count * 100;
        int64_t span_at = (need + per - 1) / per;
        int64_t d = span_at + window - 1 + first;

        if (d > day && d < next)
            next = d;
    }
    return next > day ? next : INT64_MAX;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    int32_t day = rs_day_of(now);
    int64_t a = kind_next(&s->v[PARTIAL_SLOT], PARTIAL_SLOTS,
                          p[P_PARTIAL_WINDOW], p[P_PARTIAL_COUNT], p[P_RATE],
                          c->partial_payments, c, day);
    int64_t b = kind_next(&s->v[FAILED_SLOT], FAILED_SLOTS,
                          p[P_FAILED_WINDOW], p[P_FAILED_COUNT], p[P_RATE],
                          c->failed_debits, c, day);
    int64_t next = a < b ? a : b;

    return next == INT64_MAX ? RS_NO_TIMER : next * RS_DAY_MS;
}

const struct rs_detector rs_detector_partials = {
    .name = "partials",
    .id = 4,
    .reads = RS_PART_OPEN | RS_PART_COUNTS | RS_PART_FIRST_SEEN | RS_PART_PROFILE,
    .signal = "Late payments increasing; payment-terms pressure: partial "
              "payments and failed direct debits becoming frequent",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
