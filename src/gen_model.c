/* The generator's customer model: what one customer does, day by day.
 *
 * A customer issues invoices in its own rhythm; when an invoice is issued,
 * its whole life is planned at once (payments, reminders, replies,
 * disputes, promises) as actions on the customer's agenda, a min-heap by
 * day, hour and planning order. Each simulated day the customer issues its
 * invoice if one is due and emits the actions of that day. Bureau events
 * (credit limit, score updates, the odd inquiry) are actions too, some of
 * which plan their own next occurrence.
 *
 * Healthy behaviour is calibrated on the IBM accounts-receivable sample
 * (terms mostly 30 days, log-normal amounts with a within-customer log-sd
 * of about 0.25 and 0.35 between customers, invoices every few days to two
 * weeks, customers' mean days-to-pay from well before to just after the due
 * date), but healthy lateness is capped at 6 days past due: riskstream's
 * overdue detector flags any invoice 7 days past due as MEDIUM, so a
 * customer who is habitually later than that is not "healthy" to it. The
 * late mass of the IBM sample (35 % late, 9.7 days on average) comes from
 * the deteriorating customers. Healthy noise: an occasional late invoice,
 * a first reminder answered by a payment, a reply or a kept promise, a
 * dispute settled within two weeks, a partial payment, a failed direct
 * debit paid by transfer days later, a rare extension request or excuse,
 * score updates within a few points, a rare credit inquiry.
 *
 * A deteriorating customer behaves the same until its onset day; from then
 * its family changes what is planned for the invoices that fall after it
 * (see plan_invoice) or adds one-off events (bureau families). Everything
 * is drawn from the customer's own random stream, in day order, so the
 * output depends on nothing but the seed and the parameters. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"
#include "riskstream/mem.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

const char *const rs_gen_family_reasons[RS_GEN_FAMILIES] = {
    [RS_GEN_LATE_TREND] = "LATE_PAYMENT_TREND|LATE_PAYMENT_TREND_STRONG",
    [RS_GEN_PATTERN_SHIFT] = "PAYMENT_PATTERN_SHIFT",
    [RS_GEN_OVERDUE] = "OVERDUE_NO_PAYMENT|OVERDUE_HIGH|OVERDUE_CRITICAL|"
                       "SEVERE_DELINQUENCY",
    [RS_GEN_SILENCE] = "SILENCE_NO_RESPONSE|SILENCE_UNREACHABLE",
    [RS_GEN_BROKEN_PROMISES] = "PROMISE_BROKEN|PROMISES_UNRELIABLE",
    [RS_GEN_EXTENSIONS] =
        "EXTENSION_REQUESTS_REPEATED|EXTENSION_REQUESTS_FREQUENT",
    [RS_GEN_EXCUSES] = "EXCUSES_CASH_PROBLEMS|EXCUSES_REPEATED",
    [RS_GEN_DISPUTES] =
        "DISPUTE_OPEN_LONG|DISPUTE_OPEN_VERY_LONG|DISPUTE_REOPENED",
    [RS_GEN_DUNNING] =
        "DUNNING_ESCALATION|DUNNING_FORMAL_NOTICE|DUNNING_HANDOVER",
    [RS_GEN_ORDERING_DROP] = "ORDERING_DROP|ORDERING_STOPPED|ORDERING_IRREGULAR",
    [RS_GEN_ORDERING_SPIKE] = "ORDERING_SPIKE",
    [RS_GEN_PARTIALS] = "FREQUENT_PARTIAL_PAYMENTS|FREQUENT_FAILED_DEBITS",
    [RS_GEN_TERMS_PRESSURE] = "TERMS_LONGER_REQUESTED|DEPOSIT_REFUSED",
    [RS_GEN_BUREAU_DOWNGRADE] = "BUREAU_SCORE_DROP|BUREAU_SCORE_INTO_BAND",
    [RS_GEN_BANKRUPTCY] = "BANKRUPTCY_FILING",
    [RS_GEN_CREDIT_INQUIRIES] = "CREDIT_INQUIRIES|CREDIT_INQUIRIES_HIGH",
    [RS_GEN_LIMIT_WITHDRAWN] = "CREDIT_LIMIT_WITHDRAWN|CREDIT_LIMIT_REDUCED",
    [RS_GEN_EXPOSURE] =
        "EXPOSURE_OVER_LIMIT|EXPOSURE_NEAR_LIMIT|EXPOSURE_LARGE_INVOICE",
    [RS_GEN_GROUP_CONTAGION] = "GROUP_PARENT_RISK",
};

/* ---- random numbers: xoshiro256**, seeded through splitmix64 ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rs_gen_rng_seed(struct rs_gen_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);

    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rs_gen_rng_next(struct rs_gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rs_gen_rng_unit(struct rs_gen_rng *r)
{
    return (double)(rs_gen_rng_next(r) >> 11) * 0x1.0p-53;
}

int32_t rs_gen_rng_range(struct rs_gen_rng *r, int32_t lo, int32_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int32_t)(rs_gen_rng_next(r) % (uint64_t)(hi - lo + 1));
}

double rs_gen_rng_normal(struct rs_gen_rng *r)
{
    /* Box-Muller; one value per call keeps the stream simple. */
    double u1 = rs_gen_rng_unit(r), u2 = rs_gen_rng_unit(r);

    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double uniform(struct rs_gen_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rs_gen_rng_unit(r);
}

/* ---- the agenda ---- */

enum gen_what {
    W_PAY_FULL,     /* amount; a = due day (for the figures) */
    W_PAY_PARTIAL,  /* amount */
    W_PAY_FAILED,   /* amount: a failed direct debit */
    W_CREDIT_NOTE,  /* amount */
    W_REMINDER,     /* a = dunning level */
    W_NOTICE,       /* a = dunning level */
    W_CALL_ATTEMPT,
    W_CALL_ANSWERED,
    W_REPLY,
    W_PROMISE,      /* a = promised day */
    W_EXTENSION,    /* a = requested days */
    W_EXCUSE,       /* a = enum rs_excuse */
    W_DISPUTE_OPEN, /* a = dispute number */
    W_DISPUTE_RESOLVE, /* a = dispute number, b = credit note (1) or not */
    W_TERMS_REQUEST,   /* a = requested term */
    W_DEPOSIT_REFUSED,
    W_SCORE,        /* a = points down from the latest score */
    W_SCORE_PERIODIC,
    W_INQUIRY,      /* a = inquirer number */
    W_INQUIRY_NOISE,
    W_MANAGEMENT_NOISE,
    W_FILING,
    W_LIMIT,        /* a = enum rs_limit_action, amount = the new limit */
    W_OWNERSHIP,    /* a = parent customer index */
};

static int before(const struct rs_gen_action *x, const struct rs_gen_action *y)
{
    if (x->day != y->day)
        return x->day < y->day;
    if (x->hour != y->hour)
        return x->hour < y->hour;
    return x->seq < y->seq;
}

static void push(struct rs_gen_customer *c, int32_t day, int hour, int what,
                 int32_t inv, int32_t a, int32_t b, int64_t amount)
{
    struct rs_gen_action act = {0};
    size_t i;

    act.day = day;
    act.hour = (uint8_t)hour;
    act.what = (uint8_t)what;
    act.seq = c->plan_seq++;
    act.inv = inv;
    act.a = a;
    act.b = b;
    act.amount = amount;
    rs_grow((void **)&c->agenda, &c->agenda_cap, c->agenda_count + 1,
            sizeof(*c->agenda));
    i = c->agenda_count++;
    while (i > 0 && before(&act, &c->agenda[(i - 1) / 2])) {
        c->agenda[i] = c->agenda[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    c->agenda[i] = act;
}

static struct rs_gen_action pop(struct rs_gen_customer *c)
{
    struct rs_gen_action top = c->agenda[0], last;
    size_t i = 0, n = --c->agenda_count;

    if (n == 0)
        return top;
    last = c->agenda[n];
    for (;;) {
        size_t l = 2 * i + 1, m = i;

        if (l < n && before(&c->agenda[l], &last))
            m = l;
        if (l + 1 < n &&
            before(&c->agenda[l + 1], m == i ? &last : &c->agenda[m]))
            m = l + 1;
        if (m == i)
            break;
        c->agenda[i] = c->agenda[m];
        i = m;
    }
    c->agenda[i] = last;
    return top;
}

/* ---- drawing a customer ---- */

static const char *const sectors[] = {
    "construction", "wholesale",   "manufacturing", "transport",
    "hospitality",  "it-services", "retail",        "healthcare"};
static const char *const inquirers[] = {
    "Northbank",          "Union Leasing",   "Capital Factoring",
    "Metro Credit Union", "Harbor Equipment Finance", "Westfield Bank",
    "Prime Supplies Ltd", "Rapid Loans"};

static double volume_per_30_days(const struct rs_gen_customer *c)
{
    return 30.0 / c->gap * exp(c->amount_mu + c->amount_sigma *
                                                  c->amount_sigma / 2);
}

static int64_t round_limit(double cents)
{
    int64_t step = 100000; /* 1,000.00 */
    int64_t v = (int64_t)(cents / (double)step + 0.5) * step;

    return v < step ? step : v;
}

void rs_gen_customer_draw(struct rs_gen_customer *c, int32_t days)
{
    struct rs_gen_rng *r = &c->rng;
    double u = rs_gen_rng_unit(r);
    double scale;

    (void)days;
    c->segment = u < 0.6 ? "SME" : u < 0.9 ? "mid-market" : "key-account";
    scale = u < 0.6 ? 1.0 : u < 0.9 ? 1.6 : 3.0;
    c->sector = sectors[rs_gen_rng_range(r, 0, 7)];
    u = rs_gen_rng_unit(r);
    c->terms = u < 0.75 ? 30 : u < 0.85 ? 14 : u < 0.95 ? 45 : 60;
    /* A regular rhythm: every `gap` days, now and then a day off. */
    c->gap = rs_gen_rng_range(r, 2, 10);
    /* IBM amounts: log-mean 4.0, between-customer log-sd about 0.35, read
     * as hundreds of euros; in cents. */
    c->amount_mu = log(scale * 100.0 * 100.0) + 4.0 +
                   0.35 * rs_gen_rng_normal(r);
    c->amount_sigma = uniform(r, 0.1, 0.3);
    u = rs_gen_rng_unit(r);
    /* Payment runs: once a week, on the customer's own weekday, paying
     * what is due `habit` days from then. Days to pay thus spread over a
     * week from the habit, bounded, as the IBM customers' do around their
     * means (which run from 26 days early to 10 late). */
    if (u < 0.35)
        c->habit = rs_gen_rng_range(r, -22, -8);
    else if (u < 0.75)
        c->habit = rs_gen_rng_range(r, -6, -3);
    else
        c->habit = rs_gen_rng_range(r, -2, 0);
    c->run_day = rs_gen_rng_range(r, 0, 6);
    u = rs_gen_rng_unit(r);
    c->method = u < 0.7    ? RS_METHOD_TRANSFER
                : u < 0.88 ? RS_METHOD_DIRECT_DEBIT
                : u < 0.95 ? RS_METHOD_PAYMENT_LINK
                           : RS_METHOD_CHEQUE;
    if (c->method == RS_METHOD_DIRECT_DEBIT) {
        c->habit = 0; /* collected on the due date */
    }
    c->score = rs_gen_rng_range(r, 55, 90);
    c->last_score = c->score;
    c->limit = round_limit(volume_per_30_days(c) * (c->terms + 15) / 30.0 *
                           uniform(r, 3.0, 5.0));
    c->next_invoice = rs_gen_rng_range(r, 0, (int32_t)c->gap - 1);
    c->grid = c->next_invoice;
    c->last_rare[0] = c->last_rare[1] = c->last_rare[2] = c->last_rare[3] =
        -100000;
    c->stop_invoicing = INT32_MAX;
    c->onset = -1;
    c->parent = -1;
    c->family = RS_GEN_NONE;
}

static int32_t exp_days(struct rs_gen_rng *r, double mean)
{
    double u = rs_gen_rng_unit(r);
    double d = -mean * log(1.0 - u);

    return d > 1e6 ? 1000000 : (int32_t)d + 1;
}

void rs_gen_customer_start(struct rs_gen_customer *c, int32_t days)
{
    struct rs_gen_rng *r = &c->rng;
    int32_t on = c->onset;

    (void)days;
    switch (c->family) {
    case RS_GEN_PATTERN_SHIFT:
        /* Needs a habit to leave: always well before the due date. */
        c->habit = rs_gen_rng_range(r, -18, -10);
        c->method = RS_METHOD_TRANSFER;
        break;
    case RS_GEN_EXPOSURE:
        /* A tighter limit, which the orders outgrow after the onset. */
        c->limit = round_limit(volume_per_30_days(c) * (c->terms + 15) /
                               30.0 * 1.8);
        break;
    case RS_GEN_ORDERING_DROP:
        if (rs_gen_rng_unit(r) < 0.5)
            c->stop_invoicing = on; /* stops ordering altogether */
        break;
    case RS_GEN_OVERDUE:
    case RS_GEN_SILENCE:
        c->stop_invoicing = on + rs_gen_rng_range(r, 20, 45);
        break;
    case RS_GEN_BANKRUPTCY:
        c->stop_invoicing = on;
        push(c, on, 6, W_FILING, 0, 0, 0, 0);
        break;
    case RS_GEN_BROKEN_PROMISES:
        /* One promise at a time for the whole account, each broken before
         * the next is made (a new promise before the deadline would only
         * renegotiate the old one). */
        for (int k = 0; k < 5; k++) {
            int32_t day = on + 3 + 13 * k;

            push(c, day, 10, W_CALL_ANSWERED, 0, 0, 0, 0);
            push(c, day, 13, W_PROMISE, 0, day + 5, 0, 0);
        }
        break;
    case RS_GEN_TERMS_PRESSURE:
        push(c, on, 13, W_TERMS_REQUEST, 0, c->terms < 60 ? 60 : 90, 0, 0);
        push(c, on + rs_gen_rng_range(r, 7, 25), 13, W_DEPOSIT_REFUSED, 0, 0,
             0, 0);
        push(c, on + rs_gen_rng_range(r, 20, 45), 13, W_TERMS_REQUEST, 0,
             c->terms < 45 ? 90 : 120, 0, 0);
        break;
    case RS_GEN_BUREAU_DOWNGRADE:
        push(c, on, 6, W_SCORE, 0, rs_gen_rng_range(r, 9, 13), 0, 0);
        push(c, on + rs_gen_rng_range(r, 15, 35), 6, W_SCORE, 0,
             rs_gen_rng_range(r, 8, 14), 0, 0);
        break;
    case RS_GEN_CREDIT_INQUIRIES: {
        int n = rs_gen_rng_range(r, 4, 6);

        for (int i = 0; i < n; i++)
            push(c, on + rs_gen_rng_range(r, 0, 18), 7, W_INQUIRY, 0, i, 0,
                 0);
        break;
    }
    case RS_GEN_LIMIT_WITHDRAWN:
        if (rs_gen_rng_unit(r) < 0.5) {
            push(c, on, 6, W_LIMIT, 0, RS_LIMIT_REDUCED, 0,
                 round_limit((double)c->limit * uniform(r, 0.3, 0.5)));
            push(c, on + rs_gen_rng_range(r, 20, 45), 6, W_LIMIT, 0,
                 RS_LIMIT_WITHDRAWN, 0, 0);
        } else {
            push(c, on, 6, W_LIMIT, 0, RS_LIMIT_WITHDRAWN, 0, 0);
        }
        break;
    default:
        break;
    }
    /* Everyone: a credit limit, a first bureau score, updates about every
     * quarter, and now and then an inquiry or a management change. */
    push(c, rs_gen_rng_range(r, 0, 3), 6, W_LIMIT, 0, RS_LIMIT_GRANTED, 0,
         c->limit);
    push(c, rs_gen_rng_range(r, 0, 10), 6, W_SCORE_PERIODIC, 0, 1, 0, 0);
    push(c, exp_days(r, 900.0), 7, W_INQUIRY_NOISE, 0, 0, 0, 0);
    push(c, exp_days(r, 3650.0), 7, W_MANAGEMENT_NOISE, 0, 0, 0, 0);
    if (c->parent >= 0)
        push(c, rs_gen_rng_range(r, 0, 20), 6, W_OWNERSHIP, 0, c->parent, 0,
             0);
}

/* ---- planning an invoice ---- */

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int after_onset(const struct rs_gen_customer *c, int32_t day)
{
    return c->onset >= 0 && day >= c->onset;
}

/* Stops paying from the onset: the invoice gets dunning, no payment. */
static int stops_paying(const struct rs_gen_customer *c)
{
    return c->family == RS_GEN_OVERDUE || c->family == RS_GEN_SILENCE ||
           c->family == RS_GEN_BANKRUPTCY;
}

static void plan_unpaid(struct rs_gen_customer *c, int32_t n, int32_t due)
{
    struct rs_gen_rng *r = &c->rng;

    switch (c->family) {
    case RS_GEN_OVERDUE:
        /* Answers the phone, does not pay; dunning escalates. */
        push(c, due + 3, 9, W_REMINDER, n, 1, 0, 0);
        push(c, due + rs_gen_rng_range(r, 8, 12), 10, W_CALL_ANSWERED, n, 0,
             0, 0);
        push(c, due + 17, 9, W_REMINDER, n, 2, 0, 0);
        push(c, due + rs_gen_rng_range(r, 22, 27), 10, W_CALL_ANSWERED, n, 0,
             0, 0);
        push(c, due + 35, 9, W_NOTICE, n, 3, 0, 0);
        push(c, due + rs_gen_rng_range(r, 38, 44), 10, W_CALL_ANSWERED, n, 0,
             0, 0);
        break;
    case RS_GEN_SILENCE:
        /* Reminders and calls, and nothing comes back. */
        push(c, due + 1, 9, W_REMINDER, n, 1, 0, 0);
        push(c, due + 6, 10, W_CALL_ATTEMPT, n, 0, 0, 0);
        push(c, due + 12, 9, W_REMINDER, n, 1, 0, 0);
        push(c, due + 18, 10, W_CALL_ATTEMPT, n, 0, 0, 0);
        push(c, due + 26, 10, W_CALL_ATTEMPT, n, 0, 0, 0);
        break;
    default: /* bankruptcy */
        push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
        break;
    }
}

enum { RARE_FAILED, RARE_PARTIAL, RARE_EXCUSE, RARE_EXTENSION };

/* The day a healthy customer pays an invoice issued on t, due on due: the
 * first payment run from due + habit on (direct debits on the due date),
 * never before the day after issue nor more than 6 days late. */
static int32_t healthy_pay_day(const struct rs_gen_customer *c, int32_t t,
                               int32_t due)
{
    int32_t from = due + (int32_t)c->habit, pay = from;

    if (c->method != RS_METHOD_DIRECT_DEBIT)
        pay += ((c->run_day - from) % 7 + 7) % 7;
    return clamp32(pay, t + 1, due + 6);
}

/* Allows a rare event on day unless the last one was less than min_days
 * ago; remembers it. */
static int rare(struct rs_gen_customer *c, int kind, int32_t day,
                int32_t min_days)
{
    if (day - c->last_rare[kind] < min_days)
        return 0;
    c->last_rare[kind] = day;
    return 1;
}

/* The healthy life of an invoice: paid around the habit, at most 6 days
 * late, with the occasional reminder, dispute, partial or failed debit. */
static void plan_healthy(struct rs_gen_customer *c, int32_t n, int32_t t,
                         int32_t due, int64_t amount)
{
    struct rs_gen_rng *r = &c->rng;
    int32_t pay = healthy_pay_day(c, t, due);
    int64_t rest = amount;
    double u = rs_gen_rng_unit(r);
    int credited = 0;

    if (u < 0.02 && pay - t >= 8) {
        /* A dispute, settled before the usual payment day. */
        int32_t open = t + rs_gen_rng_range(r, 2, 6);
        int32_t res = clamp32(open + rs_gen_rng_range(r, 4, 14), open + 1,
                              pay - 1);
        int credit = rs_gen_rng_unit(r) < 0.6;

        c->disputes++;
        push(c, open, 13, W_DISPUTE_OPEN, n, (int32_t)c->disputes, 0, 0);
        push(c, res, 13, W_DISPUTE_RESOLVE, n, (int32_t)c->disputes, credit,
             0);
        if (credit) {
            int64_t cn = (int64_t)((double)amount * uniform(r, 0.1, 0.3));

            push(c, res, 14, W_CREDIT_NOTE, n, 0, 0, cn);
            rest -= cn;
            credited = 1;
        }
        if (pay < res)
            pay = res < due + 6 ? res + 1 : res;
    }
    u = rs_gen_rng_unit(r);
    /* Rare events at about half a time per year whatever the rhythm, and
     * never in a row: occasional is normal, repeated is a signal. */
    if (c->method == RS_METHOD_DIRECT_DEBIT && u < c->gap / 730.0 &&
        rare(c, RARE_FAILED, t, 90)) {
        int32_t fail = pay;

        push(c, fail, 15, W_PAY_FAILED, n, 0, 0, rest);
        pay = fail + rs_gen_rng_range(r, 1, 3);
        if (pay > due + 6)
            pay = due + 6 > fail ? due + 6 : fail;
    } else if (u < c->gap / 730.0 && pay - 3 > t &&
               rare(c, RARE_PARTIAL, t, 60)) {
        int64_t part = (int64_t)((double)rest * uniform(r, 0.3, 0.7));

        push(c, rs_gen_rng_range(r, pay - 10 > t ? pay - 10 : t + 1, pay - 1),
             15, W_PAY_PARTIAL, n, 0, 0, part);
        rest -= part;
    }
    push(c, pay, 15, W_PAY_FULL, n, due, 0, rest);
    if (pay >= due + 3) {
        /* A first reminder, and sometimes an answer before the money. */
        push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
        u = rs_gen_rng_unit(r);
        if (u < 0.3)
            push(c, due + 2, 13, W_REPLY, n, 0, 0, 0);
        else if (u < 0.3 + 0.006 * c->gap && rare(c, RARE_EXCUSE, t, 120))
            push(c, due + 2, 13, W_EXCUSE, n,
                 rs_gen_rng_range(r, RS_EXCUSE_FORGOT,
                                  RS_EXCUSE_ACCOUNTS_BUSY),
                 0, 0);
        else if (u < 0.36 + 0.006 * c->gap && !credited)
            /* (not on an invoice a credit note reduced: the promises
             * detector holds the customer to the amount open when the
             * promise was made) */
            push(c, due + 2, 13, W_PROMISE, n, pay, 0, 0);
    }
    if (rs_gen_rng_unit(r) < 0.2 * c->gap / 365.0 && due - t > 10 &&
        rare(c, RARE_EXTENSION, t, 120))
        push(c, t + rs_gen_rng_range(r, 3, 10), 13, W_EXTENSION, n,
             rs_gen_rng_range(r, 7, 14), 0, 0);
}

static void plan_invoice(struct rs_gen_customer *c, int32_t n, int32_t t,
                         int32_t due, int64_t amount)
{
    struct rs_gen_rng *r = &c->rng;
    int32_t k, d, pay;

    if (stops_paying(c) && c->onset >= 0) {
        /* Would this invoice be paid before the onset? */
        int32_t healthy = healthy_pay_day(c, t, due);

        if (healthy >= c->onset - 1) {
            plan_unpaid(c, n, due);
            return;
        }
    }
    /* Payment behaviour changes for the invoices whose first planned step
     * (up to 5 days before the due date) falls after the onset. */
    switch (after_onset(c, due - 5) ? c->family : RS_GEN_NONE) {
    case RS_GEN_LATE_TREND:
        k = (int32_t)++c->after_onset;
        d = (k * 5 + 6 < 40 ? k * 5 + 6 : 40) + rs_gen_rng_range(r, 0, 3);
        pay = due + (d < 8 ? 8 : d);
        push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
        push(c, due + 3, 13, W_REPLY, n, 0, 0, 0);
        if (pay > due + 17) {
            push(c, due + 16, 9, W_REMINDER, n, 1, 0, 0);
            push(c, due + 17, 13, W_REPLY, n, 0, 0, 0);
        }
        return;
    case RS_GEN_PATTERN_SHIFT:
        /* The early payer now pays around the due date. */
        pay = due + rs_gen_rng_range(r, -1, 1);
        push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        return;
    case RS_GEN_BROKEN_PROMISES:
        /* Pays a month late; the promises are made for the account (see
         * rs_gen_customer_start). */
        push(c, due + 3, 9, W_REMINDER, n, 1, 0, 0);
        push(c, due + rs_gen_rng_range(r, 25, 40), 15, W_PAY_FULL, n, due, 0,
             amount);
        return;
    case RS_GEN_EXCUSES: {
        static const int cycle[] = {RS_EXCUSE_CASH_PROBLEMS,
                                    RS_EXCUSE_ACCOUNTS_BUSY,
                                    RS_EXCUSE_WAITING_FOR_CUSTOMER,
                                    RS_EXCUSE_CASH_PROBLEMS,
                                    RS_EXCUSE_INVOICE_LOST};

        k = (int32_t)c->after_onset++;
        push(c, due - 2, 13, W_EXCUSE, n, cycle[k % 5], 0, 0);
        pay = due + rs_gen_rng_range(r, 2, 10);
        if (pay >= due + 3) {
            push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
            push(c, due + 2, 13, W_EXCUSE, n, cycle[(k + 1) % 5], 0, 0);
        }
        push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        return;
    }
    case RS_GEN_DUNNING:
        /* Pays only after the dunning escalated to a formal notice. */
        push(c, due + 1, 9, W_REMINDER, n, 1, 0, 0);
        push(c, due + 4, 9, W_REMINDER, n, 2, 0, 0);
        push(c, due + 9, 9, W_NOTICE, n, 3, 0, 0);
        push(c, due + rs_gen_rng_range(r, 12, 24), 15, W_PAY_FULL, n, due, 0,
             amount);
        return;
    case RS_GEN_PARTIALS:
        if (c->method == RS_METHOD_DIRECT_DEBIT) {
            push(c, due, 15, W_PAY_FAILED, n, 0, 0, amount);
            push(c, due + 1, 15, W_PAY_PARTIAL, n, 0, 0, amount / 3);
            push(c, due + 3, 15, W_PAY_FAILED, n, 0, 0, amount - amount / 3);
            push(c, due + 5, 15, W_PAY_FULL, n, due, 0, amount - amount / 3);
        } else {
            /* In three parts, the last on the usual day (so the habit
             * does not change: that would be a pattern shift). */
            int64_t p1 = (int64_t)((double)amount * uniform(r, 0.25, 0.4));
            int64_t p2 = (int64_t)((double)amount * uniform(r, 0.25, 0.4));

            int32_t first;

            pay = healthy_pay_day(c, t, due);
            first = pay - 4 > t ? pay - 4 : t + 1;
            if (!after_onset(c, first))
                break;
            push(c, first, 15, W_PAY_PARTIAL, n, 0, 0, p1);
            push(c, first + 2, 15, W_PAY_PARTIAL, n, 0, 0, p2);
            push(c, first + 4, 15, W_PAY_FULL, n, due, 0, amount - p1 - p2);
        }
        return;
    case RS_GEN_EXPOSURE:
        /* Pays on the due date, not before, while it orders more and
         * more. */
        pay = due + rs_gen_rng_range(r, -1, 0);
        push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        return;
    default:
        break;
    }
    switch (after_onset(c, t) ? c->family : RS_GEN_NONE) {
    case RS_GEN_EXTENSIONS: {
        int32_t days = rs_gen_rng_range(r, 14, 30);

        push(c, t + rs_gen_rng_range(r, 2, 6), 13, W_EXTENSION, n, days, 0,
             0);
        push(c, due + days - rs_gen_rng_range(r, 0, 4), 15, W_PAY_FULL, n,
             due, 0, amount);
        return;
    }
    case RS_GEN_DISPUTES:
        if (c->after_onset < 2) {
            /* Disputed, never resolved, never paid. */
            c->after_onset++;
            c->disputes++;
            push(c, t + rs_gen_rng_range(r, 3, 8), 13, W_DISPUTE_OPEN, n,
                 (int32_t)c->disputes, 0, 0);
            push(c, t + rs_gen_rng_range(r, 20, 30), 10, W_CALL_ANSWERED, n,
                 0, 0, 0);
            return;
        }
        break;
    default:
        break;
    }
    plan_healthy(c, n, t, due, amount);
}

/* ---- emitting ---- */

struct emit {
    struct rs_gen_customer *c;
    struct rs_gen_sink *sink;
    int32_t day;
    int32_t start;
};

static void head(struct emit *e, struct rs_event *ev, enum rs_event_kind kind,
                 int type, int hour)
{
    ev->kind = kind;
    ev->type = type;
    ev->has = 0;
    ev->event_time = (int64_t)(e->start + e->day) * DAY_MS +
                     hour * HOUR_MS +
                     (int64_t)rs_gen_rng_range(&e->c->rng, 0, 3599) * 1000;
}

static void invoice_id(char *out, size_t size, const struct rs_gen_customer *c,
                       int32_t n)
{
    snprintf(out, size, "%s-I%u", c->id, (unsigned)n);
}

static int64_t draw_amount(struct rs_gen_customer *c, double mult)
{
    double z = rs_gen_rng_normal(&c->rng);
    int64_t amount;

    if (z > 2.5)
        z = 2.5;
    if (z < -2.5)
        z = -2.5;
    amount = (int64_t)(exp(c->amount_mu + c->amount_sigma * z) * mult);
    return amount < 100 ? 100 : amount;
}

/* Puts invoice n, issued on day t, as an event of the current day. */
static int put_invoice(struct emit *e, int32_t n, int32_t t, int64_t amount,
                       int hour)
{
    struct rs_gen_customer *c = e->c;
    struct rs_event ev;

    head(e, &ev, RS_EVENT_INVOICE, RS_INVOICE_ISSUED, hour);
    invoice_id(ev.u.inv.invoice_id, sizeof(ev.u.inv.invoice_id), c, n);
    if (rs_gen_rng_unit(&c->rng) < 0.8) {
        snprintf(ev.u.inv.order_id, sizeof(ev.u.inv.order_id), "%s-O%u",
                 c->id, (unsigned)n);
        ev.has |= RS_INV_HAS_ORDER_ID;
    }
    ev.u.inv.amount = amount;
    memcpy(ev.u.inv.currency, "EUR", 4);
    ev.u.inv.issue_date = e->start + t;
    ev.u.inv.due_date = e->start + t + c->terms;
    ev.u.inv.payment_terms_days = c->terms;
    snprintf(ev.u.inv.sector, sizeof(ev.u.inv.sector), "%s", c->sector);
    snprintf(ev.u.inv.segment, sizeof(ev.u.inv.segment), "%s", c->segment);
    ev.has |= RS_INV_HAS_SECTOR | RS_INV_HAS_SEGMENT;
    return rs_gen_sink_put(e->sink, c, &ev);
}

/* The invoices still open when the stream starts, loaded on the first day
 * the way an ERP's open items are (issued in the weeks before, with their
 * own dates). Without them the first weeks would see only the early payers
 * settle, and every history (a segment's late share, a customer's habit)
 * would start skewed. */
static int opening_balance(struct emit *e)
{
    struct rs_gen_customer *c = e->c;
    int32_t gap = (int32_t)c->gap;
    int32_t t =
        c->next_invoice - gap * ((c->next_invoice + c->terms + 7) / gap);

    for (; t < 0; t += gap) {
        int32_t due = t + c->terms;
        int32_t pay = healthy_pay_day(c, t, due);
        int64_t amount = draw_amount(c, 1.0);
        int32_t n;

        if (pay < 0)
            continue; /* paid before the stream starts */
        n = (int32_t)++c->invoices;
        push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        if (pay >= due + 3 && due + 2 >= 0)
            push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
        if (put_invoice(e, n, t, amount, 7))
            return -1;
    }
    return 0;
}

static int issue_invoice(struct emit *e)
{
    struct rs_gen_customer *c = e->c;
    struct rs_gen_rng *r = &c->rng;
    double mult = 1.0, gap = c->gap, u;
    int32_t n = (int32_t)++c->invoices, t = e->day, next;
    int64_t amount;

    if (after_onset(c, t)) {
        switch (c->family) {
        case RS_GEN_ORDERING_DROP:
            mult = uniform(r, 0.15, 0.3);
            gap *= 1.7;
            break;
        case RS_GEN_ORDERING_SPIKE:
            if (t < c->onset + 40)
                mult = uniform(r, 3.5, 5.0);
            break;
        case RS_GEN_EXPOSURE:
            /* Orders grow invoice by invoice, to four times the usual. */
            mult = 1.0 + 0.5 * (double)++c->after_onset;
            if (mult > 4.0)
                mult = 4.0;
            break;
        default:
            break;
        }
    }
    amount = draw_amount(c, mult);
    /* The rhythm is a grid; a day early or late now and then does not
     * shift the invoices after it. */
    c->grid += gap;
    u = rs_gen_rng_unit(r);
    next = (int32_t)lround(c->grid);
    if (u < 0.075)
        next--;
    else if (u < 0.15)
        next++;
    c->next_invoice = next > t ? next : t + 1;
    plan_invoice(c, n, t, t + c->terms, amount);
    return put_invoice(e, n, t, amount, 8);
}

/* Is this a response the family no longer gives? */
static int suppressed(const struct rs_gen_customer *c, int32_t day, int what)
{
    if (!after_onset(c, day) || !stops_paying(c))
        return 0;
    switch (what) {
    case W_PAY_FULL:
    case W_PAY_PARTIAL:
    case W_PAY_FAILED:
        return 1;
    case W_REPLY:
    case W_PROMISE:
    case W_EXTENSION:
    case W_EXCUSE:
    case W_DISPUTE_OPEN:
    case W_DISPUTE_RESOLVE:
    case W_CALL_ANSWERED:
        return c->family == RS_GEN_SILENCE || c->family == RS_GEN_BANKRUPTCY;
    default:
        return 0;
    }
}

static void comm(struct emit *e, struct rs_event *ev, int type, int hour,
                 int32_t inv, int channel)
{
    head(e, ev, RS_EVENT_COMM, type, hour);
    if (inv > 0) {
        invoice_id(ev->u.com.invoice_id, sizeof(ev->u.com.invoice_id), e->c,
                   inv);
        ev->has |= RS_COM_HAS_INVOICE_ID;
    }
    ev->u.com.channel = channel;
    ev->has |= RS_COM_HAS_CHANNEL;
}

static void note(struct rs_event *ev, const char *text)
{
    snprintf(ev->u.com.note, sizeof(ev->u.com.note), "%s", text);
    ev->has |= RS_COM_HAS_NOTE;
}

static void bureau(struct emit *e, struct rs_event *ev, int type,
                   const char *source)
{
    head(e, ev, RS_EVENT_BUREAU, type, 6);
    snprintf(ev->u.bur.source, sizeof(ev->u.bur.source), "%s", source);
}

static void score(struct emit *e, struct rs_event *ev, int32_t old,
                  int32_t now)
{
    bureau(e, ev, RS_BUREAU_SCORE_UPDATE, "BizScore");
    if (old >= 0) {
        ev->u.bur.old_score = old;
        ev->has |= RS_BUR_HAS_OLD_SCORE;
    }
    ev->u.bur.new_score = now;
    ev->u.bur.score_max = 100;
    ev->has |= RS_BUR_HAS_NEW_SCORE | RS_BUR_HAS_SCORE_MAX;
    e->c->last_score = now;
}

static void payment(struct emit *e, struct rs_event *ev, int type,
                    const struct rs_gen_action *a, int method)
{
    struct rs_gen_customer *c = e->c;

    head(e, ev, RS_EVENT_PAYMENT, type, a->hour);
    snprintf(ev->u.pay.payment_id, sizeof(ev->u.pay.payment_id), "%s-P%u",
             c->id, (unsigned)++c->payments);
    ev->u.pay.amount = a->amount > 0 ? a->amount : 1;
    memcpy(ev->u.pay.currency, "EUR", 4);
    ev->u.pay.payment_date = e->start + e->day;
    invoice_id(ev->u.pay.invoice_id, sizeof(ev->u.pay.invoice_id), c, a->inv);
    ev->u.pay.method = method;
    ev->has |= RS_PAY_HAS_INVOICE_ID | RS_PAY_HAS_METHOD;
}

static int act(struct emit *e, const struct rs_gen_action *a)
{
    struct rs_gen_customer *c = e->c;
    struct rs_gen_rng *r = &c->rng;
    struct rs_event ev;
    int method = c->method == RS_METHOD_DIRECT_DEBIT ? RS_METHOD_TRANSFER
                                                      : c->method;

    if (suppressed(c, e->day, a->what))
        return 0;
    switch (a->what) {
    case W_PAY_FULL:
        payment(e, &ev, RS_PAYMENT_FULL, a,
                c->method == RS_METHOD_DIRECT_DEBIT && e->day == a->a
                    ? RS_METHOD_DIRECT_DEBIT
                    : method);
        rs_gen_sink_settled(e->sink, e->day - a->a);
        break;
    case W_PAY_PARTIAL:
        payment(e, &ev, RS_PAYMENT_PARTIAL, a, method);
        break;
    case W_PAY_FAILED:
        payment(e, &ev, RS_PAYMENT_FAILED_DIRECT_DEBIT, a,
                RS_METHOD_DIRECT_DEBIT);
        break;
    case W_CREDIT_NOTE:
        head(e, &ev, RS_EVENT_INVOICE, RS_INVOICE_CREDITED, a->hour);
        snprintf(ev.u.inv.invoice_id, sizeof(ev.u.inv.invoice_id), "%s-CN%u",
                 c->id, (unsigned)a->inv);
        ev.u.inv.amount = a->amount > 0 ? a->amount : 1;
        memcpy(ev.u.inv.currency, "EUR", 4);
        ev.u.inv.issue_date = e->start + e->day;
        ev.u.inv.due_date = e->start + e->day;
        ev.u.inv.payment_terms_days = 0;
        snprintf(ev.u.inv.sector, sizeof(ev.u.inv.sector), "%s", c->sector);
        snprintf(ev.u.inv.segment, sizeof(ev.u.inv.segment), "%s",
                 c->segment);
        invoice_id(ev.u.inv.credited_invoice_id,
                   sizeof(ev.u.inv.credited_invoice_id), c, a->inv);
        ev.has |= RS_INV_HAS_SECTOR | RS_INV_HAS_SEGMENT |
                  RS_INV_HAS_CREDITED_INVOICE_ID;
        break;
    case W_REMINDER:
    case W_NOTICE:
        comm(e, &ev, a->what == W_REMINDER ? RS_COMM_REMINDER
                                           : RS_COMM_FORMAL_NOTICE,
             a->hour, a->inv,
             a->what == W_REMINDER ? RS_CHANNEL_EMAIL : RS_CHANNEL_LETTER);
        ev.u.com.dunning_level = a->a;
        ev.has |= RS_COM_HAS_DUNNING_LEVEL;
        break;
    case W_CALL_ATTEMPT:
        comm(e, &ev, RS_COMM_CALL_ATTEMPT, a->hour, a->inv, RS_CHANNEL_PHONE);
        note(&ev, "no answer, voicemail left");
        break;
    case W_CALL_ANSWERED:
        comm(e, &ev, RS_COMM_CALL_ANSWERED, a->hour, a->inv,
             RS_CHANNEL_PHONE);
        break;
    case W_REPLY:
        comm(e, &ev, RS_COMM_INBOUND_REPLY, a->hour, a->inv, RS_CHANNEL_EMAIL);
        note(&ev, "payment is scheduled");
        break;
    case W_PROMISE:
        comm(e, &ev, RS_COMM_PROMISE_TO_PAY, a->hour, a->inv,
             RS_CHANNEL_PHONE);
        ev.u.com.promised_date = e->start + a->a;
        ev.has |= RS_COM_HAS_PROMISED_DATE;
        break;
    case W_EXTENSION:
        comm(e, &ev, RS_COMM_EXTENSION_REQUEST, a->hour, a->inv,
             RS_CHANNEL_EMAIL);
        ev.u.com.requested_days = a->a;
        ev.has |= RS_COM_HAS_REQUESTED_DAYS;
        break;
    case W_EXCUSE:
        comm(e, &ev, RS_COMM_EXCUSE, a->hour, a->inv, RS_CHANNEL_PHONE);
        ev.u.com.excuse_category = a->a;
        ev.has |= RS_COM_HAS_EXCUSE_CATEGORY;
        break;
    case W_DISPUTE_OPEN:
    case W_DISPUTE_RESOLVE:
        comm(e, &ev, a->what == W_DISPUTE_OPEN ? RS_COMM_DISPUTE_OPENED
                                               : RS_COMM_DISPUTE_RESOLVED,
             a->hour, a->inv, RS_CHANNEL_EMAIL);
        snprintf(ev.u.com.dispute_id, sizeof(ev.u.com.dispute_id), "%s-D%u",
                 c->id, (unsigned)a->a);
        ev.has |= RS_COM_HAS_DISPUTE_ID;
        if (a->what == W_DISPUTE_RESOLVE) {
            snprintf(ev.u.com.resolution, sizeof(ev.u.com.resolution), "%s",
                     a->b ? "credit note issued"
                          : "explained, customer accepted");
            ev.has |= RS_COM_HAS_RESOLUTION;
        } else {
            note(&ev, "quantity or price on the invoice contested");
        }
        break;
    case W_TERMS_REQUEST:
        comm(e, &ev, RS_COMM_PAYMENT_TERMS_REQUEST, a->hour, 0,
             RS_CHANNEL_EMAIL);
        ev.u.com.requested_days = a->a;
        ev.has |= RS_COM_HAS_REQUESTED_DAYS;
        break;
    case W_DEPOSIT_REFUSED:
        comm(e, &ev, RS_COMM_DEPOSIT_REFUSED, a->hour, 0, RS_CHANNEL_PHONE);
        note(&ev, "refuses the requested prepayment");
        break;
    case W_SCORE: {
        int32_t now = c->last_score - a->a;

        score(e, &ev, c->last_score, now < 1 ? 1 : now);
        c->score = c->last_score; /* later updates stay down */
        break;
    }
    case W_SCORE_PERIODIC: {
        /* Within a few points of the customer's base: no decline of 15. */
        int32_t now = c->score + rs_gen_rng_range(r, -3, 3);

        if (c->family == RS_GEN_BUREAU_DOWNGRADE && after_onset(c, e->day) &&
            now > c->last_score)
            now = c->last_score;
        score(e, &ev, a->a ? -1 : c->last_score, now);
        push(c, e->day + rs_gen_rng_range(r, 80, 100), 6, W_SCORE_PERIODIC, 0,
             0, 0, 0);
        break;
    }
    case W_INQUIRY:
    case W_INQUIRY_NOISE:
        bureau(e, &ev, RS_BUREAU_CREDIT_INQUIRY, "BizScore");
        snprintf(ev.u.bur.inquirer, sizeof(ev.u.bur.inquirer), "%s",
                 inquirers[(a->what == W_INQUIRY ? a->a
                                                 : rs_gen_rng_range(r, 0, 7)) %
                           8]);
        ev.has |= RS_BUR_HAS_INQUIRER;
        if (a->what == W_INQUIRY_NOISE) /* at least a month apart */
            push(c, e->day + 30 + exp_days(r, 900.0), 7, W_INQUIRY_NOISE, 0, 0, 0,
                 0);
        break;
    case W_MANAGEMENT_NOISE:
        bureau(e, &ev, RS_BUREAU_MANAGEMENT_CHANGE, "BizScore");
        ev.u.bur.interim = 0;
        ev.has |= RS_BUR_HAS_INTERIM;
        push(c, e->day + 180 + exp_days(r, 3650.0), 7, W_MANAGEMENT_NOISE, 0,
             0, 0,
             0);
        break;
    case W_FILING:
        bureau(e, &ev, RS_BUREAU_BANKRUPTCY_FILING, "BizScore");
        snprintf(ev.u.bur.filing_kind, sizeof(ev.u.bur.filing_kind), "%s",
                 "bankruptcy petition");
        ev.has |= RS_BUR_HAS_FILING_KIND;
        break;
    case W_LIMIT:
        bureau(e, &ev, RS_BUREAU_CREDIT_LIMIT_DECISION, "TradeCover");
        ev.u.bur.limit_action = a->a;
        ev.u.bur.limit_amount = a->amount;
        memcpy(ev.u.bur.limit_currency, "EUR", 4);
        ev.has |= RS_BUR_HAS_LIMIT_ACTION | RS_BUR_HAS_LIMIT_AMOUNT |
                  RS_BUR_HAS_LIMIT_CURRENCY;
        break;
    case W_OWNERSHIP:
        bureau(e, &ev, RS_BUREAU_OWNERSHIP_LINK, "BizScore");
        snprintf(ev.u.bur.parent_customer_id,
                 sizeof(ev.u.bur.parent_customer_id), "%s",
                 rs_gen_sink_customer_id(e->sink, a->a));
        ev.has |= RS_BUR_HAS_PARENT_CUSTOMER_ID;
        break;
    default:
        return 0;
    }
    return rs_gen_sink_put(e->sink, c, &ev);
}

int rs_gen_customer_day(struct rs_gen_customer *c, int32_t day,
                        struct rs_gen_sink *sink)
{
    struct emit e = {c, sink, day, rs_gen_sink_start_day(sink)};

    if (day == 0 && opening_balance(&e))
        return -1;

    if (day == c->next_invoice) {
        if (day < c->stop_invoicing) {
            if (issue_invoice(&e))
                return -1;
        } else {
            c->next_invoice = INT32_MAX;
        }
    }
    while (c->agenda_count > 0 && c->agenda[0].day <= day) {
        struct rs_gen_action a = pop(c);

        if (a.day < day)
            continue; /* planned before the first day: dropped */
        if (act(&e, &a))
            return -1;
    }
    return 0;
}
