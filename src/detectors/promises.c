/* Broken promises to pay, and how reliable the customer's promises are.
 *
 * Signal: "broken promises" (DOMAIN.md; seed 004 #4): a promise-to-pay
 * date passes without (full) payment. A PROMISE_TO_PAY with a promised
 * date becomes the customer's active promise, for promised_amount or, when
 * the event names none, for what is open on the invoice it names (else on
 * the whole account) at that moment. Payments dated on or after the day of
 * the promise count toward it (payments for another invoice do not; a
 * reversal takes its amount back). It is kept when the payments reach the
 * amount by promised date + `grace`; an event-time timer at the day after
 * that deadline makes the finding appear even if the customer sends
 * nothing more. A payment that completes it later makes it a late-kept
 * promise, and the finding goes away. A new promise replaces the active
 * one: before its deadline that is a renegotiation (the formula's
 * "cancellation"), after it the old promise counts as broken.
 *
 * The reliability score follows one vendor's promise-to-pay formula: 100
 * minus weighted penalties, from counts of resolved promises: 50 x the
 * share broken (never paid in full), 20 x the share not paid by the
 * deadline (late or broken), 20 x the share of large promises not paid by
 * the deadline, 10 x the share renegotiated. It is in every message, and a
 * finding of its own when it is low while a broken promise is recent.
 *
 * Out of order: a payment that arrives after the promise's timer fired but
 * is dated within the deadline keeps the promise on time (the finding
 * goes). A promise that arrives after payments dated on or after its day
 * takes them into account from the two latest payments remembered in
 * slots 5 and 6.
 *
 * Slots:
 *   0 the active promise, 0 = none: bits 0..19 promised day, 20..39 day
 *     the promise was made, bit 40 large, 41 about one invoice (hash in
 *     slot 3), 42 that invoice was open when promised, 43 amount implied
 *     (the open amount), 44 always set
 *   1 amount promised (minor units)
 *   2 paid toward it since the promise
 *   3 FNV-1a hash of the promise's invoice id (0: the whole account)
 *   4 counters of resolved promises, 10 bits each (saturating): kept on
 *     time, kept late, broken, renegotiated, large, large not on time
 *   5, 6 the two latest payments by payment date: bits 0..41 amount,
 *     bit 42 already counted toward a promise, bits 43..62 day + 1
 *   7 day + 1 from which the last promise counted as broken */
#include <stdio.h>
#include <string.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum { P_GRACE, P_WINDOW, P_MIN_PROMISES, P_RELIABILITY, P_LARGE };

enum { C_KEPT, C_LATE, C_BROKEN, C_RENEGOTIATED, C_LARGE, C_LARGE_LATE };

#define DAY_MASK 0xfffffLL
#define H_LARGE (1LL << 40)
#define H_INVOICE (1LL << 41)
#define H_INVOICE_OPEN (1LL << 42)
#define H_IMPLIED (1LL << 43)
#define H_ACTIVE (1LL << 44)
#define PAY_AMOUNT_MAX ((1LL << 42) - 1)
#define PAY_COUNTED (1LL << 42)

static const struct rs_detector_prop props[] = {
    {"grace.days", 3, 0, 365,
     "Days after the promised date by which payment still counts as on "
     "time; the promise is broken the day after (score 45, MEDIUM)."},
    {"window.days", 90, 1, 3650,
     "How long a broken promise keeps the customer flagged; a second broken "
     "promise within this many days scores 60 (HIGH)."},
    {"min.promises", 2, 1, 1000,
     "Resolved promises the reliability score must rest on before a low "
     "score is a finding of its own."},
    {"reliability.min", 70, 0, 100,
     "Reliability score (0-100) below which the promises are unreliable "
     "(score 35), while a broken promise is within window.days."},
    {"large.amount", 1000000, 1, 1000000000000000LL,
     "A promise of at least this amount (minor units) is large: paying it "
     "late weighs 20 % of the reliability score."},
    {NULL, 0, 0, 0, NULL},
};

static uint64_t hash_id(const char *id)
{
    uint64_t h = 14695981039346656037ULL;

    for (; *id; id++) {
        h ^= (unsigned char)*id;
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

static int32_t clamp_day(int32_t day)
{
    return day < 0 ? 0 : day > DAY_MASK ? (int32_t)DAY_MASK : day;
}

static int32_t promised_day(const struct rs_dstate *s)
{
    return (int32_t)(s->v[0] & DAY_MASK);
}

static int32_t made_day(const struct rs_dstate *s)
{
    return (int32_t)((s->v[0] >> 20) & DAY_MASK);
}

static int64_t counter(const struct rs_dstate *s, int i)
{
    return (s->v[4] >> (10 * i)) & 1023;
}

static void bump(struct rs_dstate *s, int i)
{
    if (counter(s, i) < 1023)
        s->v[4] += 1LL << (10 * i);
}

static void clear_active(struct rs_dstate *s)
{
    s->v[0] = s->v[1] = s->v[2] = s->v[3] = 0;
}

/* The active promise is paid in full on day `day`. */
static void resolve_paid(const int64_t *p, struct rs_dstate *s, int32_t day)
{
    int32_t deadline = promised_day(s) + (int32_t)p[P_GRACE];
    int late = day > deadline;

    bump(s, late ? C_LATE : C_KEPT);
    if (s->v[0] & H_LARGE) {
        bump(s, C_LARGE);
        if (late)
            bump(s, C_LARGE_LATE);
    }
    if (late)
        s->v[7] = (int64_t)deadline + 2;
    clear_active(s);
}

/* The active promise is replaced by one made on day `day`. */
static void resolve_replaced(const int64_t *p, struct rs_dstate *s,
                             int32_t day)
{
    int32_t deadline = promised_day(s) + (int32_t)p[P_GRACE];

    if (day > deadline) {
        bump(s, C_BROKEN);
        if (s->v[0] & H_LARGE) {
            bump(s, C_LARGE);
            bump(s, C_LARGE_LATE);
        }
        s->v[7] = (int64_t)deadline + 2;
    } else {
        bump(s, C_RENEGOTIATED);
    }
    clear_active(s);
}

/* Does a payment (or reversal) dated `day` count toward the promise? */
static int applies(const struct rs_dstate *s, int32_t day, int has_invoice,
                   const char *invoice_id)
{
    if (!(s->v[0] & H_ACTIVE) || day < made_day(s))
        return 0;
    return !(s->v[0] & H_INVOICE) || !has_invoice ||
           (int64_t)hash_id(invoice_id) == s->v[3];
}

static void remember_payment(struct rs_dstate *s, int32_t day, int64_t amount,
                             int counted)
{
    int64_t e = ((int64_t)clamp_day(day) + 1) << 43 |
                (counted ? PAY_COUNTED : 0) |
                (amount > PAY_AMOUNT_MAX ? PAY_AMOUNT_MAX : amount);
    int slot = s->v[5] <= s->v[6] ? 5 : 6; /* the empty or older one */

    if ((s->v[slot] >> 43) > (e >> 43))
        return; /* older than both */
    s->v[slot] = e;
}

static void on_payment(const int64_t *p, struct rs_dstate *s,
                       const struct rs_event *ev)
{
    const struct rs_payment *pay = &ev->u.pay;
    int has_invoice = (ev->has & RS_PAY_HAS_INVOICE_ID) != 0;
    int counted;

    switch (ev->type) {
    case RS_PAYMENT_FULL:
    case RS_PAYMENT_PARTIAL:
        counted = applies(s, pay->payment_date, has_invoice, pay->invoice_id);
        if (counted) {
            s->v[2] += pay->amount;
            if (s->v[2] >= s->v[1])
                resolve_paid(p, s, pay->payment_date);
        }
        remember_payment(s, pay->payment_date, pay->amount, counted);
        return;
    case RS_PAYMENT_REVERSAL:
        if (applies(s, pay->payment_date, has_invoice, pay->invoice_id))
            s->v[2] -= pay->amount < s->v[2] ? pay->amount : s->v[2];
        return;
    default:
        return;
    }
}

static void on_promise(const int64_t *p, const struct rs_customer *c,
                       struct rs_dstate *s, const struct rs_event *ev)
{
    const struct rs_comm *com = &ev->u.com;
    int32_t day = clamp_day(rs_day_of(ev->event_time));
    const struct rs_open_invoice *inv = NULL;
    int64_t header, amount = 0;

    if (!(ev->has & RS_COM_HAS_PROMISED_DATE))
        return; /* no date, nothing that can be broken */
    if (s->v[0] & H_ACTIVE) {
        if (day < made_day(s)) {
            /* An older promise arriving late: the active one replaced it. */
            bump(s, C_RENEGOTIATED);
            return;
        }
        resolve_replaced(p, s, day);
    }
    header = H_ACTIVE | (int64_t)clamp_day(com->promised_date) |
             (int64_t)day << 20;
    if (ev->has & RS_COM_HAS_INVOICE_ID) {
        header |= H_INVOICE;
        s->v[3] = (int64_t)hash_id(com->invoice_id);
        for (uint32_t i = 0; i < c->open_count && !inv; i++)
            if (strcmp(c->open[i].invoice_id, com->invoice_id) == 0)
                inv = &c->open[i];
        if (inv)
            header |= H_INVOICE_OPEN;
    }
    if (ev->has & RS_COM_HAS_PROMISED_AMOUNT) {
        amount = com->promised_amount;
    } else {
        header |= H_IMPLIED;
        if (inv)
            amount = inv->open;
        else
            for (uint32_t i = 0; i < c->open_count; i++)
                amount += c->open[i].open;
    }
    if (amount < 1)
        amount = 1; /* nothing known to be open: any payment keeps it */
    if (amount >= p[P_LARGE])
        header |= H_LARGE;
    s->v[0] = header;
    s->v[1] = amount;
    s->v[2] = 0;
    /* Payments dated from the promise's day that arrived before it. */
    for (int k = 5; k <= 6; k++) {
        int64_t e = s->v[k];
        int32_t pday = (int32_t)(e >> 43) - 1;

        if (!e || (e & PAY_COUNTED) || pday < day)
            continue;
        s->v[k] |= PAY_COUNTED;
        s->v[2] += e & PAY_AMOUNT_MAX;
        if (s->v[2] >= s->v[1]) {
            resolve_paid(p, s, pday);
            break;
        }
    }
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    switch (ev->kind) {
    case RS_EVENT_PAYMENT:
        on_payment(p, s, ev);
        return;
    case RS_EVENT_COMM:
        if (ev->type == RS_COMM_PROMISE_TO_PAY)
            on_promise(p, c, s, ev);
        return;
    case RS_EVENT_INVOICE:
        /* The promised invoice was credited or cancelled away: the promise
         * is moot, neither kept nor broken. */
        if ((s->v[0] & H_INVOICE_OPEN) &&
            (ev->type == RS_INVOICE_CREDITED ||
             ev->type == RS_INVOICE_CANCELLED)) {
            for (uint32_t i = 0; i < c->open_count; i++)
                if ((int64_t)hash_id(c->open[i].invoice_id) == s->v[3])
                    return;
            clear_active(s);
        }
        return;
    default:
        return;
    }
}

/* The active promise, if its deadline passed without full payment: the
 * day from which it is broken, else -1. */
static int32_t broken_since(const int64_t *p, const struct rs_dstate *s,
                            int64_t now)
{
    int32_t from = promised_day(s) + (int32_t)p[P_GRACE] + 1;

    if (!(s->v[0] & H_ACTIVE) || s->v[2] >= s->v[1] || rs_day_of(now) < from)
        return -1;
    return from;
}

/* The reliability score 0..100, counting a pending broken promise; the
 * number of resolved promises behind it in *n. */
static int reliability(const struct rs_dstate *s, int pending, int *n)
{
    int64_t kept = counter(s, C_KEPT), late = counter(s, C_LATE);
    int64_t broken = counter(s, C_BROKEN) + (pending ? 1 : 0);
    int64_t reneg = counter(s, C_RENEGOTIATED);
    int64_t large = counter(s, C_LARGE), large_late = counter(s, C_LARGE_LATE);
    int64_t total, pen; /* x 1000 */

    if (pending && (s->v[0] & H_LARGE)) {
        large++;
        large_late++;
    }
    total = kept + late + broken + reneg;
    *n = (int)total;
    if (total == 0)
        return 100;
    pen = (50 * broken + 20 * (late + broken) + 10 * reneg) * 1000 / total;
    if (large)
        pen += 20 * large_late * 1000 / large;
    pen = (pen + 500) / 1000;
    return pen > 100 ? 0 : (int)(100 - pen);
}


static const struct rs_open_invoice *promised_invoice(
    const struct rs_customer *c, const struct rs_dstate *s)
{
    if (!(s->v[0] & H_INVOICE))
        return NULL;
    for (uint32_t i = 0; i < c->open_count; i++)
        if ((int64_t)hash_id(c->open[i].invoice_id) == s->v[3])
            return &c->open[i];
    return NULL;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int32_t today = rs_day_of(now);
    int32_t since = broken_since(p, s, now);
    int32_t last = s->v[7] ? (int32_t)s->v[7] - 1 : -1;
    int n, score = reliability(s, since >= 0, &n);
    char counts[128] = "";
    struct rs_finding *f;

    if (max < 1)
        return 0;
    if (!out->quiet) /* words only where an alert can come of them */
        rs_format_text(counts, sizeof(counts),
                       "reliability %d/100 from %d promises: %lld kept, "
                       "%lld paid late, %lld broken, %lld renegotiated",
                       score, n, (long long)counter(s, C_KEPT),
                       (long long)counter(s, C_LATE),
                       (long long)counter(s, C_BROKEN) + (since >= 0 ? 1 : 0),
                       (long long)counter(s, C_RENEGOTIATED));
    if (since >= 0 && today - since < p[P_WINDOW]) {
        const struct rs_open_invoice *inv = promised_invoice(c, s);
        int again = last >= 0 && since - last < p[P_WINDOW];
        char amount[64], paid[64], missing[64], date[16], on[RS_ID_MAX + 16];

        f = rs_finding_start(out, "promises", "PROMISE_BROKEN",
                             again ? 60 : 45);
        if (f->quiet)
            return 1; /* the score is all that counts */
        rs_format_amount(amount, sizeof(amount), s->v[1], c->currency);
        rs_format_amount(paid, sizeof(paid), s->v[2], c->currency);
        rs_format_amount(missing, sizeof(missing), s->v[1] - s->v[2],
                         c->currency);
        rs_format_date(date, sizeof(date), promised_day(s));
        on[0] = '\0';
        if (inv)
            rs_format_text(on, sizeof(on), " on invoice %s", inv->invoice_id);
        rs_finding_say(f, "promise to pay %s%s by %s broken: %s paid since, %s "
                 "missing %d days after the date (grace %d days)%s; %s",
                 amount, on, date, paid, missing, today - promised_day(s),
                 (int)p[P_GRACE], again ? ", the second within the window" : "",
                 counts);
        f->reason.value = today - promised_day(s);
        f->reason.threshold = (double)p[P_GRACE];
        if (inv)
            rs_finding_evidence(f, inv->event_id);
        rs_finding_action(f, "FOLLOW_UP_EARLIER");
        rs_finding_action(f, "STAY_IN_CONTACT");
        if (again)
            rs_finding_action(f, "STRICT_DUNNING");
        return 1;
    }
    if (since >= 0)
        last = since;
    if (last < 0 || today - last >= p[P_WINDOW] || n < p[P_MIN_PROMISES] ||
        score >= p[P_RELIABILITY])
        return 0;
    f = rs_finding_start(out, "promises", "PROMISES_UNRELIABLE", 35);
    rs_finding_say(f, "promises to pay are unreliable: %s (flagged below %d), the "
             "last broken %d days ago",
             counts, (int)p[P_RELIABILITY], today - last);
    f->reason.value = score;
    f->reason.threshold = (double)p[P_RELIABILITY];
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_WINDOW];
    rs_finding_action(f, "STRICT_DUNNING");
    rs_finding_action(f, "STAY_IN_CONTACT");
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    int64_t at[3] = {RS_NO_TIMER, RS_NO_TIMER, RS_NO_TIMER};
    int64_t next = RS_NO_TIMER;

    (void)c;
    if ((s->v[0] & H_ACTIVE) && s->v[2] < s->v[1]) {
        int64_t from = promised_day(s) + p[P_GRACE] + 1;

        at[0] = from * RS_DAY_MS;              /* broken */
        at[1] = (from + p[P_WINDOW]) * RS_DAY_MS; /* fades */
    }
    if (s->v[7])
        at[2] = (s->v[7] - 1 + p[P_WINDOW]) * RS_DAY_MS;
    for (int i = 0; i < 3; i++)
        if (at[i] > now && at[i] < next)
            next = at[i];
    return next;
}

const struct rs_detector rs_detector_promises = {
    .name = "promises",
    .id = 7,
    .reads = RS_PART_OPEN | RS_PART_PROFILE,
    .signal = "Broken promises; promise-to-pay reliability",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
