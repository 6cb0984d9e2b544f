/* The UCI credit-card converter (see import.h; the rules are explained
 * for people in docs/import.md, "UCI credit-card data").
 *
 * Each client becomes customer `uci-<ID>` with a statement ledger over
 * six months, k = 0..5 for April..September 2005:
 *
 *   - 1 April: a CREDIT_LIMIT_DECISION GRANTED of LIMIT_BAL.
 *   - the 20th of month k: statement S_k (an Invoice in segment "card",
 *     due 20 days later, so on the 9th or 10th of the next month) for the
 *     part of the statement balance BILL_AMT that is not already owed on
 *     older statements still open.
 *   - the repayment status PAY_x of month k says the account is n months
 *     behind (n >= 1) or current (n <= 0). Statement S_j is still
 *     outstanding at month k while n >= k - j; the first month k where it
 *     is not, S_j is resolved: paid on the 5th of month k when that is the
 *     month after it (on time), else at its due date + 30 days for each
 *     month it was behind (days beyond terms as the status says).
 *   - the money paid in month k (PAY_AMT) pays the statements resolved in
 *     month k, oldest first: FULL when it covers the open amount, else
 *     PARTIAL, and the unpaid rest is carried into statement S_k (the card
 *     balance revolves): a credit note closes it on the 20th, just before
 *     S_k, so the open amount stays the balance and is never counted
 *     twice. Money left over goes, as a PARTIAL payment, to the oldest
 *     statement still outstanding; what is left after that is an
 *     overpayment the ledger does not need and is dropped.
 *   - in a month with status n >= 1: on the 12th a REMINDER (n = 1, 2) or
 *     FORMAL_NOTICE (n >= 3) with dunning_level n, about the oldest
 *     outstanding statement.
 *
 * So at the label time (1 October) a client n months behind has a
 * statement about 30n - 10 days past due, its dunning escalated to step n,
 * and an open amount close to its last statement balance, to be measured
 * against its limit. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/csv.h"
#include "riskstream/customer.h"
#include "riskstream/import.h"
#include "riskstream/mem.h"

#define MONTHS 6
#define FIRST_MONTH 4 /* April 2005 */
#define YEAR 2005
#define STATEMENT_DAY 20
#define DUE_DAYS 20
#define PAY_DAY 5
#define DUNNING_DAY 12
#define CURRENCY "TWD"
#define SEGMENT "card" /* a consumer card, not a B2B customer: the profile
                          in tools/mappings/uci-card.conf */
#define SOURCE "UCI credit card data (LIMIT_BAL)"

/* Columns, by header name; k-th month's columns are listed Apr..Sep. */
enum ucol { U_ID, U_LIMIT, U_LABEL, U_STATUS, U_BILL = U_STATUS + MONTHS,
            U_PAID = U_BILL + MONTHS, U_COUNT = U_PAID + MONTHS };

static const char *const status_names[MONTHS] = {"PAY_6", "PAY_5", "PAY_4",
                                                 "PAY_3", "PAY_2", "PAY_0"};
static const char *const bill_names[MONTHS] = {"BILL_AMT6", "BILL_AMT5",
                                               "BILL_AMT4", "BILL_AMT3",
                                               "BILL_AMT2", "BILL_AMT1"};
static const char *const paid_names[MONTHS] = {"PAY_AMT6", "PAY_AMT5",
                                               "PAY_AMT4", "PAY_AMT3",
                                               "PAY_AMT2", "PAY_AMT1"};

/* One client, parsed. Amounts in minor units (NT$ cents). */
struct client {
    const char *id;
    char customer[RS_ID_MAX];
    int64_t limit;
    int label;
    int status[MONTHS];
    int64_t bill[MONTHS];
    int64_t paid[MONTHS];
};

enum { ST_NONE, ST_OPEN, ST_CLOSED };

struct statement {
    int state;
    int carry; /* resolved with money still open: close it on the 20th */
    int64_t open;
    int32_t issue, due;
    char id[RS_ID_MAX];
};

/* A number as minor units (hundredths): "20000", "20000.5" and the
 * scientific form R writes ("5e+05") alike, as long as the value is exact
 * in hundredths. */
static int parse_minor(const char *text, int64_t *out)
{
    const char *p = text;
    int neg = 0, digits = 0, frac = 0, seen_point = 0, scale;
    long exp = 0;
    int64_t v = 0;

    while (isspace((unsigned char)*p))
        p++;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    for (; isdigit((unsigned char)*p) || (*p == '.' && !seen_point); p++) {
        if (*p == '.') {
            seen_point = 1;
            continue;
        }
        if (v > INT64_MAX / 10)
            return -1;
        v = v * 10 + (*p - '0');
        digits++;
        frac += seen_point;
    }
    if (!digits)
        return -1;
    if (*p == 'e' || *p == 'E') {
        char *end;

        exp = strtol(p + 1, &end, 10);
        if (end == p + 1 || exp < -20 || exp > 20)
            return -1;
        p = end;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return -1;
    /* value = v * 10^(exp - frac), in hundredths: v * 10^(exp - frac + 2) */
    for (scale = (int)exp - frac + 2; scale > 0; scale--) {
        if (v > INT64_MAX / 10)
            return -1;
        v *= 10;
    }
    for (; scale < 0; scale++) {
        if (v % 10)
            return -1; /* finer than a hundredth */
        v /= 10;
    }
    *out = neg ? -v : v;
    return 0;
}

static int parse_int(const char *text, long lo, long hi, int *out)
{
    int64_t v;

    /* "2" and "2.0" alike; statuses and labels are whole numbers. */
    if (parse_minor(text, &v) || v % 100 || v / 100 < lo || v / 100 > hi)
        return -1;
    *out = (int)(v / 100);
    return 0;
}

static int find_column(const struct rs_csv_record *hdr, const char *name,
                       const char *alt)
{
    for (size_t i = 0; i < hdr->count; i++)
        if (strcmp(hdr->fields[i], name) == 0 ||
            (alt && strcmp(hdr->fields[i], alt) == 0))
            return (int)i;
    return -1;
}

static int bind(const struct rs_csv_record *hdr, int *index,
                const char *csv_path, char *errstr, size_t errstr_size)
{
    for (int c = 0; c < U_COUNT; c++) {
        const char *name, *alt = NULL;

        if (c == U_ID)
            name = "ID";
        else if (c == U_LIMIT)
            name = "LIMIT_BAL";
        else if (c == U_LABEL)
            name = "default.payment.next.month",
            alt = "default payment next month";
        else if (c < U_BILL)
            name = status_names[c - U_STATUS],
            alt = c - U_STATUS == MONTHS - 1 ? "PAY_1" : NULL;
        else if (c < U_PAID)
            name = bill_names[c - U_BILL];
        else
            name = paid_names[c - U_PAID];
        index[c] = find_column(hdr, name, alt);
        if (index[c] < 0) {
            snprintf(errstr, errstr_size,
                     "'%s' is not the UCI credit-card layout: no column "
                     "'%s' in its header",
                     csv_path, name);
            return -1;
        }
    }
    return 0;
}

static int parse_client(const struct rs_csv_record *r, const int *index,
                        struct client *cl, char *why, size_t why_size)
{
    const char *v;

    memset(cl, 0, sizeof(*cl));
    cl->id = r->fields[index[U_ID]];
    if (!cl->id[0] || strlen(cl->id) > 40) {
        snprintf(why, why_size, "ID '%s' is empty or longer than 40 bytes",
                 cl->id);
        return -1;
    }
    snprintf(cl->customer, sizeof(cl->customer), "uci-%s", cl->id);
    v = r->fields[index[U_LIMIT]];
    if (parse_minor(v, &cl->limit) || cl->limit <= 0) {
        snprintf(why, why_size, "LIMIT_BAL '%s' is not a positive amount", v);
        return -1;
    }
    v = r->fields[index[U_LABEL]];
    if (parse_int(v, 0, 1, &cl->label)) {
        snprintf(why, why_size,
                 "default.payment.next.month '%s' is not 0 or 1", v);
        return -1;
    }
    for (int k = 0; k < MONTHS; k++) {
        v = r->fields[index[U_STATUS + k]];
        if (parse_int(v, -2, 9, &cl->status[k])) {
            snprintf(why, why_size,
                     "%s '%s' is not a repayment status from -2 to 9",
                     status_names[k], v);
            return -1;
        }
        v = r->fields[index[U_BILL + k]];
        if (parse_minor(v, &cl->bill[k])) {
            snprintf(why, why_size, "%s '%s' is not an amount", bill_names[k],
                     v);
            return -1;
        }
        v = r->fields[index[U_PAID + k]];
        if (parse_minor(v, &cl->paid[k]) || cl->paid[k] < 0) {
            snprintf(why, why_size, "%s '%s' is not an amount of 0 or more",
                     paid_names[k], v);
            return -1;
        }
    }
    return 0;
}

static int32_t day_of(int month_index, int day)
{
    int32_t d = 0;

    rs_import_civil_days(YEAR, FIRST_MONTH + month_index, day, &d);
    return d;
}

static void start(struct rs_event *ev, const struct client *cl,
                  enum rs_event_kind kind, int type, int32_t day, int hour)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->type = type;
    ev->event_time = (int64_t)day * RS_DAY_MS + hour * 3600000LL;
    snprintf(ev->customer_id, sizeof(ev->customer_id), "%s", cl->customer);
}

struct out {
    struct rs_evbatch *batch;
    uint64_t events;
    char *why;
    size_t why_size;
};

static int add(struct out *o, const struct rs_event *ev)
{
    if (rs_evbatch_add(o->batch, ev, o->why, o->why_size))
        return -1;
    o->events++;
    return 0;
}

static int pay(struct out *o, const struct client *cl, struct statement *s,
               int64_t amount, int32_t day, int month)
{
    struct rs_event ev;

    start(&ev, cl, RS_EVENT_PAYMENT,
          amount >= s->open ? RS_PAYMENT_FULL : RS_PAYMENT_PARTIAL, day, 12);
    snprintf(ev.event_id, sizeof(ev.event_id), "%s-pay-%02d", s->id,
             FIRST_MONTH + month);
    snprintf(ev.u.pay.payment_id, RS_ID_MAX, "%s", ev.event_id);
    ev.u.pay.amount = amount;
    snprintf(ev.u.pay.currency, RS_CURRENCY_MAX, CURRENCY);
    ev.u.pay.payment_date = day;
    ev.has = RS_PAY_HAS_INVOICE_ID;
    snprintf(ev.u.pay.invoice_id, RS_ID_MAX, "%s", s->id);
    s->open -= amount;
    if (s->open == 0)
        s->state = ST_CLOSED;
    return add(o, &ev);
}

/* A credit note taking `amount` off statement s: that much of its balance
 * is carried into the next statement, which bills it again. */
static int carry(struct out *o, const struct client *cl, struct statement *s,
                 int64_t amount, int32_t day)
{
    struct rs_event ev;

    start(&ev, cl, RS_EVENT_INVOICE, RS_INVOICE_CREDITED, day, 0);
    snprintf(ev.event_id, sizeof(ev.event_id), "%s-carry", s->id);
    snprintf(ev.u.inv.invoice_id, RS_ID_MAX, "%s", ev.event_id);
    ev.u.inv.amount = amount;
    snprintf(ev.u.inv.currency, RS_CURRENCY_MAX, CURRENCY);
    ev.u.inv.issue_date = day;
    ev.u.inv.due_date = day;
    ev.has = RS_INV_HAS_CREDITED_INVOICE_ID;
    snprintf(ev.u.inv.credited_invoice_id, RS_ID_MAX, "%s", s->id);
    s->open -= amount;
    if (s->open == 0)
        s->state = ST_CLOSED;
    return add(o, &ev);
}

static int month_events(struct out *o, const struct client *cl,
                        struct statement *st, int k)
{
    int n = cl->status[k];
    int64_t pool = k > 0 ? cl->paid[k] : 0, owed = 0;
    struct rs_event ev;

    /* The 5th (or later, for late ones): payments of resolved statements. */
    for (int j = 0; j < k; j++) {
        struct statement *s = &st[j];
        int64_t a;
        int32_t day;

        if (s->state != ST_OPEN || n >= k - j)
            continue;
        a = pool < s->open ? pool : s->open;
        day = k - j == 1 ? day_of(k, PAY_DAY) : s->due + 30 * (k - j - 1);
        pool -= a;
        /* A current account (n <= 0: paid in full, or the minimum on a
         * revolving balance) met what was due: the rest is carried, not
         * owed, so the payment settles the statement. Behind, a short
         * payment is a partial one and the rest is carried later. */
        if (n <= 0 && a < s->open && carry(o, cl, s, s->open - a, day))
            return -1;
        if (a > 0 && pay(o, cl, s, a, day, k))
            return -1;
        if (s->state == ST_OPEN)
            s->carry = 1;
    }
    for (int j = 0; j < k && pool > 0; j++) {
        struct statement *s = &st[j];
        int64_t a;

        if (s->state != ST_OPEN || s->carry)
            continue;
        a = pool < s->open ? pool : s->open;
        pool -= a;
        if (pay(o, cl, s, a, day_of(k, PAY_DAY), k))
            return -1;
    }
    /* The 12th: dunning while the account is behind. */
    if (n >= 1) {
        start(&ev, cl, RS_EVENT_COMM,
              n >= 3 ? RS_COMM_FORMAL_NOTICE : RS_COMM_REMINDER,
              day_of(k, DUNNING_DAY), 9);
        snprintf(ev.event_id, sizeof(ev.event_id), "%s-%d-%02d-dun",
                 cl->customer, YEAR, FIRST_MONTH + k);
        ev.has = RS_COM_HAS_DUNNING_LEVEL | RS_COM_HAS_CHANNEL |
                 RS_COM_HAS_NOTE;
        ev.u.com.dunning_level = n;
        ev.u.com.channel = RS_CHANNEL_LETTER;
        snprintf(ev.u.com.note, RS_TEXT_MAX,
                 "derived from repayment status %d: payment delayed %d "
                 "month%s",
                 n, n, n == 1 ? "" : "s");
        for (int j = 0; j < k; j++) {
            if (st[j].state == ST_OPEN && !st[j].carry) {
                ev.has |= RS_COM_HAS_INVOICE_ID;
                snprintf(ev.u.com.invoice_id, RS_ID_MAX, "%s", st[j].id);
                break;
            }
        }
        if (add(o, &ev))
            return -1;
    }
    /* The 20th: carried balances close, then the new statement. */
    for (int j = 0; j < k; j++) {
        struct statement *s = &st[j];

        if (s->state == ST_OPEN && s->carry) {
            if (carry(o, cl, s, s->open, day_of(k, STATEMENT_DAY)))
                return -1;
        } else if (s->state == ST_OPEN) {
            owed += s->open;
        }
    }
    st[k].state = ST_NONE;
    if (cl->bill[k] - owed <= 0)
        return 0;
    st[k].state = ST_OPEN;
    st[k].open = cl->bill[k] - owed;
    st[k].issue = day_of(k, STATEMENT_DAY);
    st[k].due = st[k].issue + DUE_DAYS;
    snprintf(st[k].id, sizeof(st[k].id), "%s-%d-%02d", cl->customer, YEAR,
             FIRST_MONTH + k);
    start(&ev, cl, RS_EVENT_INVOICE, RS_INVOICE_ISSUED, st[k].issue, 0);
    snprintf(ev.event_id, sizeof(ev.event_id), "%s-inv", st[k].id);
    snprintf(ev.u.inv.invoice_id, RS_ID_MAX, "%s", st[k].id);
    ev.u.inv.amount = st[k].open;
    snprintf(ev.u.inv.currency, RS_CURRENCY_MAX, CURRENCY);
    ev.u.inv.issue_date = st[k].issue;
    ev.u.inv.due_date = st[k].due;
    ev.u.inv.payment_terms_days = DUE_DAYS;
    snprintf(ev.u.inv.segment, RS_TEXT_MAX, SEGMENT);
    ev.has |= RS_INV_HAS_SEGMENT;
    return add(o, &ev);
}

static int client_events(struct out *o, const struct client *cl)
{
    struct statement st[MONTHS];
    struct rs_event ev;

    memset(st, 0, sizeof(st));
    start(&ev, cl, RS_EVENT_BUREAU, RS_BUREAU_CREDIT_LIMIT_DECISION,
          day_of(0, 1), 0);
    snprintf(ev.event_id, sizeof(ev.event_id), "%s-limit", cl->customer);
    snprintf(ev.u.bur.source, RS_TEXT_MAX, SOURCE);
    ev.has = RS_BUR_HAS_LIMIT_ACTION | RS_BUR_HAS_LIMIT_AMOUNT |
             RS_BUR_HAS_LIMIT_CURRENCY;
    ev.u.bur.limit_action = RS_LIMIT_GRANTED;
    ev.u.bur.limit_amount = cl->limit;
    snprintf(ev.u.bur.limit_currency, RS_CURRENCY_MAX, CURRENCY);
    if (add(o, &ev))
        return -1;
    for (int k = 0; k < MONTHS; k++)
        if (month_events(o, cl, st, k))
            return -1;
    return 0;
}

int rs_import_uci(const char *csv_path, struct rs_evbatch *batch,
                  FILE *labels, rs_import_bad_fn bad, void *opaque,
                  struct rs_import_stats *stats, char *errstr,
                  size_t errstr_size)
{
    struct rs_csv *csv = rs_csv_open(csv_path, ',', '"', errstr, errstr_size);
    struct rs_csv_record rec;
    int index[U_COUNT];
    size_t width;
    int rc = -1, got;

    memset(stats, 0, sizeof(*stats));
    if (!csv)
        return -1;
    got = rs_csv_next(csv, &rec, errstr, errstr_size);
    if (got <= 0) {
        if (got == 0)
            snprintf(errstr, errstr_size, "CSV file '%s' is empty", csv_path);
        goto out;
    }
    width = rec.count;
    if (rec.bad || bind(&rec, index, csv_path, errstr, errstr_size))
        goto out;
    if (labels)
        fprintf(labels, "customer_id,label_time,label\n");
    while ((got = rs_csv_next(csv, &rec, errstr, errstr_size)) > 0) {
        char why[1024];
        struct client cl;
        struct out o = {batch, 0, why, sizeof(why)};
        size_t mark = rs_evbatch_mark(batch);

        if (rec.bad)
            snprintf(why, sizeof(why), "%s", rec.bad);
        else if (rec.count != width)
            snprintf(why, sizeof(why),
                     "has %zu fields, expected %zu as in the header",
                     rec.count, width);
        else if (parse_client(&rec, index, &cl, why, sizeof(why)) == 0 &&
                 client_events(&o, &cl) == 0) {
            stats->rows++;
            stats->events += o.events;
            if (labels)
                fprintf(labels, "%s,%s,%d\n", cl.customer, RS_UCI_LABEL_TIME,
                        cl.label);
            continue;
        }
        rs_evbatch_rollback(batch, mark);
        stats->bad++;
        if (bad)
            bad(opaque, rec.line, why);
    }
    rc = got < 0 ? -1 : 0;
out:
    rs_csv_close(csv);
    return rc;
}
