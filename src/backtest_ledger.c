/* The backtest's ledger: which invoice was paid when, the invoices'
 * outcomes and the naive baselines (backtest_internal.h).
 *
 * It follows accounts-receivable practice on its own, apart from the
 * engine's state, so the backtest judges the engine rather than reusing
 * it: a payment naming a known invoice pays that invoice; one naming none
 * (or an unknown one) pays the customer's oldest open invoices, and what
 * is left is a credit for invoices to come; a FULL payment settles its
 * invoice whatever its amount; a reversal reopens it; a credit note
 * reduces it (to nothing: cancelled); a cancellation removes it from the
 * figures. The string map lives here too, for want of a better home. */
#include "backtest_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

#define DAY_MS 86400000LL
#define NONE RS_BACKTEST_NONE

/* The map. */

static uint64_t hash_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static struct rs_backtest_map_slot *map_find(struct rs_backtest_map *m, const void *key, size_t len,
                                 uint64_t h)
{
    size_t i = (size_t)h & (m->cap - 1);

    for (;;) {
        struct rs_backtest_map_slot *s = &m->slots[i];

        if (!s->key || (s->hash == h && s->len == len &&
                        memcmp(s->key, key, len) == 0))
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

size_t rs_backtest_map_get(const struct rs_backtest_map *m, const void *key, size_t len)
{
    struct rs_backtest_map_slot *s;

    if (!m->cap)
        return NONE;
    s = map_find((struct rs_backtest_map *)(uintptr_t)m, key, len, hash_bytes(key, len));
    return s->key ? s->value : NONE;
}

void rs_backtest_map_put(struct rs_backtest_map *m, const void *key, size_t len, size_t value)
{
    uint64_t h = hash_bytes(key, len);
    struct rs_backtest_map_slot *s;

    if ((m->count + 1) * 2 > m->cap) {
        struct rs_backtest_map old = *m;

        m->cap = m->cap ? m->cap * 2 : 1024;
        m->slots = rs_calloc(m->cap, sizeof(*m->slots));
        m->count = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (old.slots[i].key) {
                *map_find(m, old.slots[i].key, old.slots[i].len,
                          old.slots[i].hash) = old.slots[i];
                m->count++;
            }
        }
        free(old.slots);
    }
    s = map_find(m, key, len, h);
    if (!s->key) {
        s->key = rs_malloc(len + 1);
        memcpy(s->key, key, len);
        s->key[len] = '\0';
        s->len = len;
        s->hash = h;
        m->count++;
    }
    s->value = value;
}

void rs_backtest_map_release(struct rs_backtest_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

static size_t invoice_find(struct rs_backtest_map *invoices, size_t customer,
                           const char *id)
{
    char key[RS_ID_MAX + 32];
    int n = snprintf(key, sizeof(key), "%zu/%s", customer, id);

    return rs_backtest_map_get(invoices, key, (size_t)n);
}

/* Settles inv on date once its payments cover it. */
static void settle_check(struct rs_backtest_invoice *inv, int32_t date,
                         int full)
{
    if (inv->paid_date == RS_BACKTEST_NO_DATE &&
        (full || inv->paid >= inv->amount))
        inv->paid_date = date;
}

/* Applies money to the customer's oldest open invoices; the rest stays as
 * credit for invoices to come. */
static void allocate(struct rs_backtest *bt, size_t ci, int64_t amount,
                     int32_t date)
{
    struct rs_backtest_customer *c = &bt->customers[ci];

    while (c->open_from != NONE && amount > 0) {
        struct rs_backtest_invoice *inv = &bt->invoices[c->open_from];
        int64_t due = inv->amount - inv->paid;

        if (inv->cancelled || inv->paid_date != RS_BACKTEST_NO_DATE ||
            due <= 0) {
            c->open_from = inv->next;
            continue;
        }
        if (due > amount)
            due = amount;
        inv->paid += due;
        amount -= due;
        settle_check(inv, date, 0);
    }
    c->credit += amount;
}

void rs_backtest_book_invoice(struct rs_backtest *bt,
                              struct rs_backtest_map *invoices, size_t ci,
                              const struct rs_event *ev, int32_t score,
                              const struct rs_reason_bits *reasons)
{
    const struct rs_invoice *in = &ev->u.inv;
    struct rs_backtest_customer *c = &bt->customers[ci];
    size_t idx;

    if (ev->type == RS_INVOICE_ISSUED) {
        struct rs_backtest_invoice *inv;
        char key[RS_ID_MAX + 32];
        int n;

        if (invoice_find(invoices, ci, in->invoice_id) != NONE)
            return; /* a duplicate: the first one counts */
        rs_grow((void **)&bt->invoices, &bt->invoice_cap,
                bt->invoice_count + 1, sizeof(*bt->invoices));
        idx = bt->invoice_count++;
        inv = &bt->invoices[idx];
        memset(inv, 0, sizeof(*inv));
        inv->customer = ci;
        snprintf(inv->id, sizeof(inv->id), "%s", in->invoice_id);
        inv->issued_at = ev->event_time;
        inv->issue_date = in->issue_date;
        inv->due_date = in->due_date;
        inv->amount = in->amount;
        inv->paid_date = RS_BACKTEST_NO_DATE;
        inv->score_before = score;
        inv->reasons = *reasons;
        inv->outcome = -1;
        inv->next = NONE;
        n = snprintf(key, sizeof(key), "%zu/%s", ci, in->invoice_id);
        rs_backtest_map_put(invoices, key, (size_t)n, idx);
        if (c->last_invoice != NONE)
            bt->invoices[c->last_invoice].next = idx;
        else
            c->first_invoice = idx;
        c->last_invoice = idx;
        if (c->open_from == NONE)
            c->open_from = idx;
        if (c->credit > 0) {
            int64_t credit = c->credit;

            c->credit = 0;
            allocate(bt, ci, credit, in->issue_date);
        }
        return;
    }
    idx = invoice_find(invoices, ci, ev->type == RS_INVOICE_CREDITED &&
                                       (ev->has & RS_INV_HAS_CREDITED_INVOICE_ID)
                                   ? in->credited_invoice_id
                                   : in->invoice_id);
    if (idx == NONE)
        return;
    if (ev->type == RS_INVOICE_CANCELLED) {
        bt->invoices[idx].cancelled = 1;
    } else if (ev->type == RS_INVOICE_CREDITED) {
        struct rs_backtest_invoice *inv = &bt->invoices[idx];

        inv->amount -= in->amount;
        if (inv->amount <= 0)
            inv->cancelled = 1;
        else
            settle_check(inv, in->issue_date, 0);
    }
}

void rs_backtest_book_payment(struct rs_backtest *bt,
                              struct rs_backtest_map *invoices, size_t ci,
                              const struct rs_event *ev)
{
    const struct rs_payment *p = &ev->u.pay;
    size_t idx = (ev->has & RS_PAY_HAS_INVOICE_ID)
                     ? invoice_find(invoices, ci, p->invoice_id)
                     : NONE;
    struct rs_backtest_invoice *inv = idx == NONE ? NULL : &bt->invoices[idx];

    switch (ev->type) {
    case RS_PAYMENT_FULL:
    case RS_PAYMENT_PARTIAL:
        if (!inv) {
            allocate(bt, ci, p->amount, p->payment_date);
            return;
        }
        inv->paid += p->amount;
        settle_check(inv, p->payment_date, ev->type == RS_PAYMENT_FULL);
        break;
    case RS_PAYMENT_REVERSAL:
        if (!inv)
            return;
        inv->paid -= p->amount;
        if (inv->paid < inv->amount) {
            inv->paid_date = RS_BACKTEST_NO_DATE;
            bt->customers[ci].open_from = bt->customers[ci].first_invoice;
        }
        break;
    default:
        break;
    }
}

/* After the run: each invoice's outcome, the naive baseline, the label
 * baselines. */

struct dated {
    int32_t date;
    size_t invoice;
};

static int cmp_dated(const void *x, const void *y)
{
    const struct dated *a = x, *b = y;

    if (a->date != b->date)
        return a->date < b->date ? -1 : 1;
    return a->invoice < b->invoice ? -1 : a->invoice > b->invoice;
}

static void outcomes(struct rs_backtest *bt)
{
    int32_t end = bt->last_time == INT64_MIN
                      ? 0
                      : (int32_t)(bt->last_time / DAY_MS);
    int n_late = bt->opt.late_days;

    for (size_t i = 0; i < bt->invoice_count; i++) {
        struct rs_backtest_invoice *inv = &bt->invoices[i];

        inv->outcome = -1;
        if (inv->cancelled)
            continue;
        if (inv->paid_date != RS_BACKTEST_NO_DATE) {
            inv->days_late = inv->paid_date - inv->due_date;
            inv->outcome = inv->days_late > n_late;
        } else {
            inv->days_late = end - inv->due_date;
            if (inv->days_late > n_late)
                inv->outcome = 1;
        }
    }
}

/* Baseline: the share of the customer's invoices settled before this
 * invoice's issue date that were paid more than N days late; with no such
 * invoice, the same share over all customers so far (0 when none). */
static void baselines(struct rs_backtest *bt)
{
    size_t n = bt->invoice_count;
    struct dated *settled = rs_calloc(n ? n : 1, sizeof(*settled));
    struct dated *queries = rs_calloc(n ? n : 1, sizeof(*queries));
    uint32_t *c_settled = rs_calloc(bt->customer_count + 1, sizeof(uint32_t));
    uint32_t *c_late = rs_calloc(bt->customer_count + 1, sizeof(uint32_t));
    size_t ns = 0, nq = 0, j = 0;
    uint64_t all = 0, all_late = 0;

    for (size_t i = 0; i < n; i++) {
        const struct rs_backtest_invoice *inv = &bt->invoices[i];

        if (!inv->cancelled && inv->paid_date != RS_BACKTEST_NO_DATE)
            settled[ns++] = (struct dated){inv->paid_date, i};
        if (inv->outcome >= 0)
            queries[nq++] = (struct dated){inv->issue_date, i};
    }
    qsort(settled, ns, sizeof(*settled), cmp_dated);
    qsort(queries, nq, sizeof(*queries), cmp_dated);
    for (size_t q = 0; q < nq; q++) {
        struct rs_backtest_invoice *inv = &bt->invoices[queries[q].invoice];

        for (; j < ns && settled[j].date < queries[q].date; j++) {
            const struct rs_backtest_invoice *s =
                &bt->invoices[settled[j].invoice];
            int late = s->paid_date - s->due_date > bt->opt.late_days;

            c_settled[s->customer]++;
            c_late[s->customer] += (uint32_t)late;
            all++;
            all_late += (uint64_t)late;
        }
        if (c_settled[inv->customer])
            inv->baseline = (double)c_late[inv->customer] /
                            c_settled[inv->customer];
        else
            inv->baseline = all ? (double)all_late / (double)all : 0.0;
    }
    free(settled);
    free(queries);
    free(c_settled);
    free(c_late);
}

/* Label baseline: the most days any invoice issued by the label time was
 * past due at the label time (paid ones: when paid), at least 0. */
static void label_baselines(struct rs_backtest *bt)
{
    for (size_t c = 0; c < bt->customer_count; c++) {
        struct rs_backtest_customer *cu = &bt->customers[c];
        int32_t label_date, worst = 0;

        if (!cu->has_label)
            continue;
        label_date = (int32_t)(cu->label_time / DAY_MS);
        for (size_t i = cu->first_invoice; i != NONE;
             i = bt->invoices[i].next) {
            const struct rs_backtest_invoice *inv = &bt->invoices[i];
            int32_t until;

            if (inv->issued_at > cu->label_time || inv->cancelled)
                continue;
            until = inv->paid_date != RS_BACKTEST_NO_DATE &&
                            inv->paid_date <= label_date
                        ? inv->paid_date
                        : label_date;
            if (until - inv->due_date > worst)
                worst = until - inv->due_date;
        }
        cu->label_baseline = worst;
    }
}

void rs_backtest_settle(struct rs_backtest *bt)
{
    outcomes(bt);
    baselines(bt);
    label_baselines(bt);
}
