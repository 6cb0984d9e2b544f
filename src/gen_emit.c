/* The generator's customer model, emitting side: a customer's day.
 *
 * Each simulated day a customer issues its invoice if the rhythm says so
 * (and, on the first day, loads its open items), then emits the actions its
 * agenda holds for the day as events: struct rs_event filled here, framed
 * and queued by the sink in gen.c. An action whose event the family no
 * longer gives (a payment after a silent customer's onset) is dropped here.
 * Event times are the day plus the action's hour and a random second within
 * it, so the events of one day come in a meaningful order (a reminder
 * before the reply, a credit note before the payment). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

static const char *const inquirers[] = {"Northbank",
                                        "Union Leasing",
                                        "Capital Factoring",
                                        "Metro Credit Union",
                                        "Harbor Equipment Finance",
                                        "Westfield Bank",
                                        "Prime Supplies Ltd",
                                        "Rapid Loans"};

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
    ev->event_time = (int64_t)(e->start + e->day) * DAY_MS + hour * HOUR_MS +
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
        snprintf(ev.u.inv.order_id, sizeof(ev.u.inv.order_id), "%s-O%u", c->id,
                 (unsigned)n);
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
        int32_t pay = rs_gen_healthy_pay_day(c, t, due);
        int64_t amount = draw_amount(c, 1.0);
        int32_t n;

        if (pay < 0)
            continue; /* paid before the stream starts */
        n = (int32_t)++c->invoices;
        rs_gen_agenda_push(c, pay, 15, W_PAY_FULL, n, due, 0, amount);
        if (pay >= due + 3 && due + 2 >= 0)
            rs_gen_agenda_push(c, due + 2, 9, W_REMINDER, n, 1, 0, 0);
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

    if (rs_gen_after_onset(c, t)) {
        switch (c->family) {
        case RS_GEN_ORDERING_DROP:
            mult = rs_gen_rng_uniform(r, 0.15, 0.3);
            gap *= 1.7;
            break;
        case RS_GEN_ORDERING_SPIKE:
            if (t < c->onset + 40)
                mult = rs_gen_rng_uniform(r, 3.5, 5.0);
            break;
        case RS_GEN_EXPOSURE:
            /* Orders grow invoice by invoice, to four times the usual. */
            mult = 1.0 + 0.5 * (double)++c->after_onset;
            if (mult > 4.0)
                mult = 4.0;
            break;
        default: break;
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
    rs_gen_plan_invoice(c, n, t, t + c->terms, amount);
    return put_invoice(e, n, t, amount, 8);
}

/* Is this a response the family no longer gives? */
static int suppressed(const struct rs_gen_customer *c, int32_t day, int what)
{
    if (!rs_gen_after_onset(c, day) || !rs_gen_stops_paying(c))
        return 0;
    switch (what) {
    case W_PAY_FULL:
    case W_PAY_PARTIAL:
    case W_PAY_FAILED: return 1;
    case W_REPLY:
    case W_PROMISE:
    case W_EXTENSION:
    case W_EXCUSE:
    case W_DISPUTE_OPEN:
    case W_DISPUTE_RESOLVE:
    case W_CALL_ANSWERED:
        return c->family == RS_GEN_SILENCE || c->family == RS_GEN_BANKRUPTCY;
    default: return 0;
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

static void score(struct emit *e, struct rs_event *ev, int32_t old, int32_t now)
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
    int method =
        c->method == RS_METHOD_DIRECT_DEBIT ? RS_METHOD_TRANSFER : c->method;

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
    case W_PAY_PARTIAL: payment(e, &ev, RS_PAYMENT_PARTIAL, a, method); break;
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
        snprintf(ev.u.inv.segment, sizeof(ev.u.inv.segment), "%s", c->segment);
        invoice_id(ev.u.inv.credited_invoice_id,
                   sizeof(ev.u.inv.credited_invoice_id), c, a->inv);
        ev.has |= RS_INV_HAS_SECTOR | RS_INV_HAS_SEGMENT |
                  RS_INV_HAS_CREDITED_INVOICE_ID;
        break;
    case W_REMINDER:
    case W_NOTICE:
        comm(e, &ev,
             a->what == W_REMINDER ? RS_COMM_REMINDER : RS_COMM_FORMAL_NOTICE,
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
        comm(e, &ev, RS_COMM_CALL_ANSWERED, a->hour, a->inv, RS_CHANNEL_PHONE);
        break;
    case W_REPLY:
        comm(e, &ev, RS_COMM_INBOUND_REPLY, a->hour, a->inv, RS_CHANNEL_EMAIL);
        note(&ev, "payment is scheduled");
        break;
    case W_PROMISE:
        comm(e, &ev, RS_COMM_PROMISE_TO_PAY, a->hour, a->inv, RS_CHANNEL_PHONE);
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
        comm(e, &ev,
             a->what == W_DISPUTE_OPEN ? RS_COMM_DISPUTE_OPENED
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

        if (c->family == RS_GEN_BUREAU_DOWNGRADE &&
            rs_gen_after_onset(c, e->day) && now > c->last_score)
            now = c->last_score;
        score(e, &ev, a->a ? -1 : c->last_score, now);
        rs_gen_agenda_push(c, e->day + rs_gen_rng_range(r, 80, 100), 6,
                           W_SCORE_PERIODIC, 0, 0, 0, 0);
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
            rs_gen_agenda_push(c, e->day + 30 + rs_gen_rng_exp_days(r, 900.0),
                               7, W_INQUIRY_NOISE, 0, 0, 0, 0);
        break;
    case W_MANAGEMENT_NOISE:
        bureau(e, &ev, RS_BUREAU_MANAGEMENT_CHANGE, "BizScore");
        ev.u.bur.interim = 0;
        ev.has |= RS_BUR_HAS_INTERIM;
        rs_gen_agenda_push(c, e->day + 180 + rs_gen_rng_exp_days(r, 3650.0), 7,
                           W_MANAGEMENT_NOISE, 0, 0, 0, 0);
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
    default: return 0;
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
        struct rs_gen_action a = rs_gen_agenda_pop(c);

        if (a.day < day)
            continue; /* planned before the first day: dropped */
        if (act(&e, &a))
            return -1;
    }
    return 0;
}
