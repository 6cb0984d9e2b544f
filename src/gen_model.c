/* The generator's customer model, planning side: who a customer is and
 * what it will do.
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
 * (see rs_gen_plan_invoice) or adds one-off events (bureau families).
 * Everything is drawn from the customer's own random stream, in day order, so
 * the output depends on nothing but the seed and the parameters. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"
#include "riskstream/mem.h"

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
    [RS_GEN_ORDERING_DROP] =
        "ORDERING_DROP|ORDERING_STOPPED|ORDERING_IRREGULAR",
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

/* ---- the agenda ---- */

static int before(const struct rs_gen_action *x, const struct rs_gen_action *y)
{
    if (x->day != y->day)
        return x->day < y->day;
    if (x->hour != y->hour)
        return x->hour < y->hour;
    return x->seq < y->seq;
}

void rs_gen_agenda_push(struct rs_gen_customer *c, int32_t day, int hour,
                        int what, int32_t inv, int32_t a, int32_t b,
                        int64_t amount)
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

struct rs_gen_action rs_gen_agenda_pop(struct rs_gen_customer *c)
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

static double volume_per_30_days(const struct rs_gen_customer *c)
{
    return 30.0 / c->gap *
           exp(c->amount_mu + c->amount_sigma * c->amount_sigma / 2);
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
    c->amount_mu =
        log(scale * 100.0 * 100.0) + 4.0 + 0.35 * rs_gen_rng_normal(r);
    c->amount_sigma = rs_gen_rng_uniform(r, 0.1, 0.3);
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
                           rs_gen_rng_uniform(r, 3.0, 5.0));
    c->next_invoice = rs_gen_rng_range(r, 0, (int32_t)c->gap - 1);
    c->grid = c->next_invoice;
    c->last_rare[0] = c->last_rare[1] = c->last_rare[2] = c->last_rare[3] =
        -100000;
    c->stop_invoicing = INT32_MAX;
    c->onset = -1;
    c->parent = -1;
    c->family = RS_GEN_NONE;
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
        c->limit =
            round_limit(volume_per_30_days(c) * (c->terms + 15) / 30.0 * 1.8);
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
        rs_gen_agenda_push(c, on, 6, W_FILING, 0, 0, 0, 0);
        break;
    case RS_GEN_BROKEN_PROMISES:
        /* One promise at a time for the whole account, each broken before
         * the next is made (a new promise before the deadline would only
         * renegotiate the old one). */
        for (int k = 0; k < 5; k++) {
            int32_t day = on + 3 + 13 * k;

            rs_gen_agenda_push(c, day, 10, W_CALL_ANSWERED, 0, 0, 0, 0);
            rs_gen_agenda_push(c, day, 13, W_PROMISE, 0, day + 5, 0, 0);
        }
        break;
    case RS_GEN_TERMS_PRESSURE:
        rs_gen_agenda_push(c, on, 13, W_TERMS_REQUEST, 0,
                           c->terms < 60 ? 60 : 90, 0, 0);
        rs_gen_agenda_push(c, on + rs_gen_rng_range(r, 7, 25), 13,
                           W_DEPOSIT_REFUSED, 0, 0, 0, 0);
        rs_gen_agenda_push(c, on + rs_gen_rng_range(r, 20, 45), 13,
                           W_TERMS_REQUEST, 0, c->terms < 45 ? 90 : 120, 0, 0);
        break;
    case RS_GEN_BUREAU_DOWNGRADE:
        rs_gen_agenda_push(c, on, 6, W_SCORE, 0, rs_gen_rng_range(r, 9, 13), 0,
                           0);
        rs_gen_agenda_push(c, on + rs_gen_rng_range(r, 15, 35), 6, W_SCORE, 0,
                           rs_gen_rng_range(r, 8, 14), 0, 0);
        break;
    case RS_GEN_CREDIT_INQUIRIES: {
        int n = rs_gen_rng_range(r, 4, 6);

        for (int i = 0; i < n; i++)
            rs_gen_agenda_push(c, on + rs_gen_rng_range(r, 0, 18), 7, W_INQUIRY,
                               0, i, 0, 0);
        break;
    }
    case RS_GEN_LIMIT_WITHDRAWN:
        if (rs_gen_rng_unit(r) < 0.5) {
            rs_gen_agenda_push(c, on, 6, W_LIMIT, 0, RS_LIMIT_REDUCED, 0,
                               round_limit((double)c->limit *
                                           rs_gen_rng_uniform(r, 0.3, 0.5)));
            rs_gen_agenda_push(c, on + rs_gen_rng_range(r, 20, 45), 6, W_LIMIT,
                               0, RS_LIMIT_WITHDRAWN, 0, 0);
        } else {
            rs_gen_agenda_push(c, on, 6, W_LIMIT, 0, RS_LIMIT_WITHDRAWN, 0, 0);
        }
        break;
    default: break;
    }
    /* Everyone: a credit limit, a first bureau score, updates about every
     * quarter, and now and then an inquiry or a management change. */
    rs_gen_agenda_push(c, rs_gen_rng_range(r, 0, 3), 6, W_LIMIT, 0,
                       RS_LIMIT_GRANTED, 0, c->limit);
    rs_gen_agenda_push(c, rs_gen_rng_range(r, 0, 10), 6, W_SCORE_PERIODIC, 0, 1,
                       0, 0);
    rs_gen_agenda_push(c, rs_gen_rng_exp_days(r, 900.0), 7, W_INQUIRY_NOISE, 0,
                       0, 0, 0);
    rs_gen_agenda_push(c, rs_gen_rng_exp_days(r, 3650.0), 7, W_MANAGEMENT_NOISE,
                       0, 0, 0, 0);
    if (c->parent >= 0)
        rs_gen_agenda_push(c, rs_gen_rng_range(r, 0, 20), 6, W_OWNERSHIP, 0,
                           c->parent, 0, 0);
}

/* ---- planning an invoice ---- */

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int rs_gen_after_onset(const struct rs_gen_customer *c, int32_t day)
{
    return c->onset >= 0 && day >= c->onset;
}

/* Stops paying from the onset: the invoice gets dunning, no payment. */
int rs_gen_stops_paying(const struct rs_gen_customer *c)
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
        rs_gen_agenda_push(c, due + 3, 9, W_REMINDER, n, 1, 0, 0);
        rs_gen_agenda_push(c, due + rs_gen_rng_range(r, 8, 12), 10,
                           W_CALL_ANSWERED, n, 0, 0, 0);
        rs_gen_agenda_push(c, due + 17, 9, W_REMINDER, n, 2, 0, 0);
        rs_gen_agenda_push(c, due + rs_gen_rng_range(r, 22, 27), 10,
                           W_CALL_ANSWERED, n, 0, 0, 0);
        rs_gen_agenda_push(c, due + 35, 9, W_NOTICE, n, 3, 0, 0);
        rs_gen_agenda_push(c, due + rs_gen_rng_range(r, 38, 44), 10,
                           W_CALL_ANSWERED, n, 0, 0, 0);
        break;
    case RS_GEN_SILENCE:
        /* Reminders and calls, and nothing comes back. */
        rs_gen_agenda_push(c, due + 1, 9, W_REMINDER, n, 1, 0, 0);
        rs_gen_agenda_push(c, due + 6, 10, W_CALL_ATTEMPT, n, 0, 0, 0);
        rs_gen_agenda_push(c, due + 12, 9, W_REMINDER, n, 1, 0, 0);
        rs_gen_agenda_push(c, due + 18, 10, W_CALL_ATTEMPT, n, 0, 0, 0);
        rs_gen_agenda_push(c, due + 26, 10, W_CALL_ATTEMPT, n, 0, 0, 0);
        break;
    default: /* bankruptcy */
        rs_gen_agenda_push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
        break;
    }
}

enum { RARE_FAILED, RARE_PARTIAL, RARE_EXCUSE, RARE_EXTENSION };

/* The day a healthy customer pays an invoice issued on t, due on due: the
 * first payment run from due + habit on (direct debits on the due date),
 * never before the day after issue nor more than 6 days late. */
int32_t rs_gen_healthy_pay_day(const struct rs_gen_customer *c, int32_t t,
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
    int32_t pay = rs_gen_healthy_pay_day(c, t, due);
    int64_t rest = amount;
    double u = rs_gen_rng_unit(r);
    int credited = 0;

    if (u < 0.02 && pay - t >= 8) {
        /* A dispute, settled before the usual payment day. */
        int32_t open = t + rs_gen_rng_range(r, 2, 6);
        int32_t res =
            clamp32(open + rs_gen_rng_range(r, 4, 14), open + 1, pay - 1);
        int credit = rs_gen_rng_unit(r) < 0.6;

        c->disputes++;
        rs_gen_agenda_push(c, open, 13, W_DISPUTE_OPEN, n, (int32_t)c->disputes,
                           0, 0);
        rs_gen_agenda_push(c, res, 13, W_DISPUTE_RESOLVE, n,
                           (int32_t)c->disputes, credit, 0);
        if (credit) {
            int64_t cn =
                (int64_t)((double)amount * rs_gen_rng_uniform(r, 0.1, 0.3));

            rs_gen_agenda_push(c, res, 14, W_CREDIT_NOTE, n, 0, 0, cn);
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

        rs_gen_agenda_push(c, fail, 15, W_PAY_FAILED, n, 0, 0, rest);
        pay = fail + rs_gen_rng_range(r, 1, 3);
        if (pay > due + 6)
            pay = due + 6 > fail ? due + 6 : fail;
    } else if (u < c->gap / 730.0 && pay - 3 > t &&
               rare(c, RARE_PARTIAL, t, 60)) {
        int64_t part =
            (int64_t)((double)rest * rs_gen_rng_uniform(r, 0.3, 0.7));

        rs_gen_agenda_push(
            c, rs_gen_rng_range(r, pay - 10 > t ? pay - 10 : t + 1, pay - 1),
            15, W_PAY_PARTIAL, n, 0, 0, part);
        rest -= part;
    }
    rs_gen_agenda_push(c, pay, 15, W_PAY_FULL, n, due, 0, rest);
    if (pay >= due + 3) {
        /* A first reminder, and sometimes an answer before the money. */
        rs_gen_agenda_push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
        u = rs_gen_rng_unit(r);
        if (u < 0.3)
            rs_gen_agenda_push(c, due + 2, 13, W_REPLY, n, 0, 0, 0);
        else if (u < 0.3 + 0.006 * c->gap && rare(c, RARE_EXCUSE, t, 120))
            rs_gen_agenda_push(
                c, due + 2, 13, W_EXCUSE, n,
                rs_gen_rng_range(r, RS_EXCUSE_FORGOT, RS_EXCUSE_ACCOUNTS_BUSY),
                0, 0);
        else if (u < 0.36 + 0.006 * c->gap && !credited)
            /* (not on an invoice a credit note reduced: the promises
             * detector holds the customer to the amount open when the
             * promise was made) */
            rs_gen_agenda_push(c, due + 2, 13, W_PROMISE, n, pay, 0, 0);
    }
    if (rs_gen_rng_unit(r) < 0.2 * c->gap / 365.0 && due - t > 10 &&
        rare(c, RARE_EXTENSION, t, 120))
        rs_gen_agenda_push(c, t + rs_gen_rng_range(r, 3, 10), 13, W_EXTENSION,
                           n, rs_gen_rng_range(r, 7, 14), 0, 0);
}

void rs_gen_plan_invoice(struct rs_gen_customer *c, int32_t n, int32_t t,
                         int32_t due, int64_t amount)
{
    struct rs_gen_rng *r = &c->rng;
    int32_t k, d, pay;

    if (rs_gen_stops_paying(c) && c->onset >= 0) {
        /* Would this invoice be paid before the onset? */
        int32_t healthy = rs_gen_healthy_pay_day(c, t, due);

        if (healthy >= c->onset - 1) {
            plan_unpaid(c, n, due);
            return;
        }
    }
    /* Payment behaviour changes for the invoices whose first planned step
     * (up to 5 days before the due date) falls after the onset. */
    switch (rs_gen_after_onset(c, due - 5) ? c->family : RS_GEN_NONE) {
    case RS_GEN_LATE_TREND:
        k = (int32_t)++c->after_onset;
        d = (k * 5 + 6 < 40 ? k * 5 + 6 : 40) + rs_gen_rng_range(r, 0, 3);
        pay = due + (d < 8 ? 8 : d);
        rs_gen_agenda_push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        rs_gen_agenda_push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
        rs_gen_agenda_push(c, due + 3, 13, W_REPLY, n, 0, 0, 0);
        if (pay > due + 17) {
            rs_gen_agenda_push(c, due + 16, 9, W_REMINDER, n, 1, 0, 0);
            rs_gen_agenda_push(c, due + 17, 13, W_REPLY, n, 0, 0, 0);
        }
        return;
    case RS_GEN_PATTERN_SHIFT:
        /* The early payer now pays around the due date. */
        pay = due + rs_gen_rng_range(r, -1, 1);
        rs_gen_agenda_push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        return;
    case RS_GEN_BROKEN_PROMISES:
        /* Pays a month late; the promises are made for the account (see
         * rs_gen_customer_start). */
        rs_gen_agenda_push(c, due + 3, 9, W_REMINDER, n, 1, 0, 0);
        rs_gen_agenda_push(c, due + rs_gen_rng_range(r, 25, 40), 15, W_PAY_FULL,
                           n, due, 0, amount);
        return;
    case RS_GEN_EXCUSES: {
        static const int cycle[] = {
            RS_EXCUSE_CASH_PROBLEMS, RS_EXCUSE_ACCOUNTS_BUSY,
            RS_EXCUSE_WAITING_FOR_CUSTOMER, RS_EXCUSE_CASH_PROBLEMS,
            RS_EXCUSE_INVOICE_LOST};

        k = (int32_t)c->after_onset++;
        rs_gen_agenda_push(c, due - 2, 13, W_EXCUSE, n, cycle[k % 5], 0, 0);
        pay = due + rs_gen_rng_range(r, 2, 10);
        if (pay >= due + 3) {
            rs_gen_agenda_push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
            rs_gen_agenda_push(c, due + 2, 13, W_EXCUSE, n, cycle[(k + 1) % 5],
                               0, 0);
        }
        rs_gen_agenda_push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        return;
    }
    case RS_GEN_DUNNING:
        /* Pays only after the dunning escalated to a formal notice. */
        rs_gen_agenda_push(c, due + 1, 9, W_REMINDER, n, 1, 0, 0);
        rs_gen_agenda_push(c, due + 4, 9, W_REMINDER, n, 2, 0, 0);
        rs_gen_agenda_push(c, due + 9, 9, W_NOTICE, n, 3, 0, 0);
        rs_gen_agenda_push(c, due + rs_gen_rng_range(r, 12, 24), 15, W_PAY_FULL,
                           n, due, 0, amount);
        return;
    case RS_GEN_PARTIALS:
        if (c->method == RS_METHOD_DIRECT_DEBIT) {
            rs_gen_agenda_push(c, due, 15, W_PAY_FAILED, n, 0, 0, amount);
            rs_gen_agenda_push(c, due + 1, 15, W_PAY_PARTIAL, n, 0, 0,
                               amount / 3);
            rs_gen_agenda_push(c, due + 3, 15, W_PAY_FAILED, n, 0, 0,
                               amount - amount / 3);
            rs_gen_agenda_push(c, due + 5, 15, W_PAY_FULL, n, due, 0,
                               amount - amount / 3);
        } else {
            /* In three parts, the last on the usual day (so the habit
             * does not change: that would be a pattern shift). */
            int64_t p1 =
                (int64_t)((double)amount * rs_gen_rng_uniform(r, 0.25, 0.4));
            int64_t p2 =
                (int64_t)((double)amount * rs_gen_rng_uniform(r, 0.25, 0.4));

            int32_t first;

            pay = rs_gen_healthy_pay_day(c, t, due);
            first = pay - 4 > t ? pay - 4 : t + 1;
            if (!rs_gen_after_onset(c, first))
                break;
            rs_gen_agenda_push(c, first, 15, W_PAY_PARTIAL, n, 0, 0, p1);
            rs_gen_agenda_push(c, first + 2, 15, W_PAY_PARTIAL, n, 0, 0, p2);
            rs_gen_agenda_push(c, first + 4, 15, W_PAY_FULL, n, due, 0,
                               amount - p1 - p2);
        }
        return;
    case RS_GEN_EXPOSURE:
        /* Pays on the due date, not before, while it orders more and
         * more. */
        pay = due + rs_gen_rng_range(r, -1, 0);
        rs_gen_agenda_push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        return;
    default: break;
    }
    switch (rs_gen_after_onset(c, t) ? c->family : RS_GEN_NONE) {
    case RS_GEN_EXTENSIONS: {
        int32_t days = rs_gen_rng_range(r, 14, 30);

        rs_gen_agenda_push(c, t + rs_gen_rng_range(r, 2, 6), 13, W_EXTENSION, n,
                           days, 0, 0);
        rs_gen_agenda_push(c, due + days - rs_gen_rng_range(r, 0, 4), 15,
                           W_PAY_FULL, n, due, 0, amount);
        return;
    }
    case RS_GEN_DISPUTES:
        if (c->after_onset < 2) {
            /* Disputed, never resolved, never paid. */
            c->after_onset++;
            c->disputes++;
            rs_gen_agenda_push(c, t + rs_gen_rng_range(r, 3, 8), 13,
                               W_DISPUTE_OPEN, n, (int32_t)c->disputes, 0, 0);
            rs_gen_agenda_push(c, t + rs_gen_rng_range(r, 20, 30), 10,
                               W_CALL_ANSWERED, n, 0, 0, 0);
            return;
        }
        break;
    default: break;
    }
    plan_healthy(c, n, t, due, amount);
}
