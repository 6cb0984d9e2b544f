/* The per-customer state model: open items, payments, credits, packing. */
#include "support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/buf.h"
#include "riskstream/customer.h"

static int32_t day(int y, int m, int d)
{
    /* Days since 1970-01-01 (civil calendar). */
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = (unsigned)(yy - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return (int32_t)(era * 146097 + (int64_t)doe - 719468);
}

static struct rs_event invoice(const char *id, int64_t amount, int32_t issue,
                               int32_t due)
{
    struct rs_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.kind = RS_EVENT_INVOICE;
    ev.type = RS_INVOICE_ISSUED;
    ev.event_time = (int64_t)issue * RS_DAY_MS;
    snprintf(ev.event_id, sizeof(ev.event_id), "ev-%s", id);
    snprintf(ev.customer_id, sizeof(ev.customer_id), "C1");
    snprintf(ev.u.inv.invoice_id, sizeof(ev.u.inv.invoice_id), "%s", id);
    snprintf(ev.u.inv.currency, sizeof(ev.u.inv.currency), "EUR");
    ev.u.inv.amount = amount;
    ev.u.inv.issue_date = issue;
    ev.u.inv.due_date = due;
    ev.u.inv.payment_terms_days = due - issue;
    return ev;
}

/* The same invoice naming a segment. */
static struct rs_event invoice_in(const char *segment, const char *id,
                                  int64_t amount, int32_t issue, int32_t due)
{
    struct rs_event ev = invoice(id, amount, issue, due);

    snprintf(ev.u.inv.segment, RS_TEXT_MAX, "%s", segment);
    ev.has |= RS_INV_HAS_SEGMENT;
    return ev;
}

static struct rs_event payment(int type, const char *invoice_id,
                               int64_t amount, int32_t date)
{
    struct rs_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.kind = RS_EVENT_PAYMENT;
    ev.type = type;
    ev.event_time = (int64_t)date * RS_DAY_MS;
    snprintf(ev.event_id, sizeof(ev.event_id), "pay-%d", date);
    snprintf(ev.customer_id, sizeof(ev.customer_id), "C1");
    snprintf(ev.u.pay.payment_id, sizeof(ev.u.pay.payment_id), "P%d", date);
    snprintf(ev.u.pay.currency, sizeof(ev.u.pay.currency), "EUR");
    ev.u.pay.amount = amount;
    ev.u.pay.payment_date = date;
    if (invoice_id) {
        ev.has |= RS_PAY_HAS_INVOICE_ID;
        snprintf(ev.u.pay.invoice_id, sizeof(ev.u.pay.invoice_id), "%s",
                 invoice_id);
    }
    return ev;
}

static int64_t open_of(const struct rs_customer *c, const char *id)
{
    for (uint32_t i = 0; i < c->open_count; i++)
        if (strcmp(c->open[i].invoice_id, id) == 0)
            return c->open[i].open;
    return -1;
}

static void test_customer_payments_settle_invoices(void **state)
{
    struct rs_customer c;
    int32_t d0 = day(2026, 1, 1);
    struct rs_event ev;

    (void)state;
    rs_customer_init(&c, "C1");
    ev = invoice("A", 10000, d0, d0 + 30);
    rs_customer_apply(&c, &ev);
    ev = invoice("B", 5000, d0 + 1, d0 + 31);
    rs_customer_apply(&c, &ev);
    assert_int_equal(c.open_count, 2);

    /* Partial, allocated. */
    ev = payment(RS_PAYMENT_PARTIAL, "A", 4000, d0 + 20);
    rs_customer_apply(&c, &ev);
    assert_int_equal(open_of(&c, "A"), 6000);
    assert_int_equal(c.partial_payments, 1);

    /* Overpaid on A: the rest is credit and pays B. */
    ev = payment(RS_PAYMENT_FULL, "A", 8000, d0 + 35);
    rs_customer_apply(&c, &ev);
    assert_int_equal(open_of(&c, "A"), -1);
    assert_int_equal(open_of(&c, "B"), 3000);
    assert_int_equal(c.credit, 0);
    assert_int_equal(c.settled_count, 1);
    assert_int_equal(c.settled[0].paid_date - c.settled[0].due_date, 5);

    /* Unallocated payment settles the oldest open invoice. */
    ev = payment(RS_PAYMENT_FULL, NULL, 3500, d0 + 40);
    rs_customer_apply(&c, &ev);
    assert_int_equal(c.open_count, 0);
    assert_int_equal(c.credit, 500);
    rs_customer_release(&c);
}

static void test_customer_payment_before_invoice(void **state)
{
    struct rs_customer c;
    int32_t d0 = day(2026, 3, 1);
    struct rs_event ev;

    (void)state;
    rs_customer_init(&c, "C1");
    ev = payment(RS_PAYMENT_FULL, "X", 7000, d0);
    rs_customer_apply(&c, &ev);
    assert_int_equal(c.credit, 7000);
    ev = invoice("X", 7000, d0 - 5, d0 + 25);
    rs_customer_apply(&c, &ev);
    assert_int_equal(c.open_count, 0);
    assert_int_equal(c.credit, 0);
    rs_customer_release(&c);
}

static void test_customer_credit_note_and_cancel(void **state)
{
    struct rs_customer c;
    int32_t d0 = day(2026, 3, 1);
    struct rs_event ev;

    (void)state;
    rs_customer_init(&c, "C1");
    ev = invoice("A", 10000, d0, d0 + 30);
    rs_customer_apply(&c, &ev);
    ev = invoice("B", 2000, d0, d0 + 30);
    rs_customer_apply(&c, &ev);
    ev = invoice("CN1", 2500, d0 + 2, d0 + 2);
    ev.type = RS_INVOICE_CREDITED;
    ev.has |= RS_INV_HAS_CREDITED_INVOICE_ID;
    snprintf(ev.u.inv.credited_invoice_id, RS_ID_MAX, "A");
    rs_customer_apply(&c, &ev);
    assert_int_equal(open_of(&c, "A"), 7500);
    ev = invoice("B", 2000, d0, d0 + 30);
    ev.type = RS_INVOICE_CANCELLED;
    rs_customer_apply(&c, &ev);
    assert_int_equal(open_of(&c, "B"), -1);
    assert_int_equal(c.open_count, 1);
    rs_customer_release(&c);
}

static void test_customer_summary_days_beyond_terms(void **state)
{
    struct rs_customer c;
    struct rs_summary s;
    int32_t d0 = day(2026, 1, 1);
    struct rs_event ev;

    (void)state;
    rs_customer_init(&c, "C1");
    ev = invoice("A", 10000, d0, d0 + 30);
    rs_customer_apply(&c, &ev);
    ev = invoice("B", 30000, d0, d0 + 40);
    rs_customer_apply(&c, &ev);
    ev = invoice("D", 5000, d0, d0 + 10);
    rs_customer_apply(&c, &ev);
    ev.kind = RS_EVENT_COMM;
    ev.type = RS_COMM_DISPUTE_OPENED;
    ev.has = RS_COM_HAS_INVOICE_ID;
    snprintf(ev.u.com.invoice_id, RS_ID_MAX, "D");
    rs_customer_apply(&c, &ev);
    /* At d0+50: A is 20 days late (10,000), B 10 days (30,000); D is
     * disputed and left out. (10000*20 + 30000*10) / 40000 = 12.5 */
    rs_customer_summary(&c, (int64_t)(d0 + 50) * RS_DAY_MS, &s);
    assert_int_equal(s.open_amount, 45000);
    assert_int_equal(s.overdue_amount, 40000);
    assert_true(s.days_beyond_terms > 12.49 && s.days_beyond_terms < 12.51);
    rs_customer_release(&c);
}

/* The segment is the latest one an invoice named: kept when an invoice
 * names none, replaced by another, emptied by an empty one, and kept
 * through a pack and unpack. */
static void test_customer_segment_latest_named(void **state)
{
    struct rs_customer c, d;
    struct rs_event ev;
    struct rs_buf b;
    char errstr[256];

    (void)state;
    rs_customer_init(&c, "C1");
    assert_string_equal(c.segment, "");
    ev = invoice_in("retail", "I1", 100, 20000, 20030);
    rs_customer_apply(&c, &ev);
    assert_string_equal(c.segment, "retail");
    ev = invoice("I2", 100, 20001, 20031); /* names none */
    rs_customer_apply(&c, &ev);
    assert_string_equal(c.segment, "retail");
    rs_buf_init(&b, 0);
    rs_customer_pack(&c, &b);
    rs_customer_init(&d, "C1");
    if (rs_customer_unpack(&d, b.data, b.len, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    assert_string_equal(d.segment, "retail");
    ev = invoice_in("wholesale", "I3", 100, 20002, 20032);
    rs_customer_apply(&d, &ev);
    assert_string_equal(d.segment, "wholesale");
    ev.u.inv.segment[0] = '\0';
    snprintf(ev.u.inv.invoice_id, sizeof(ev.u.inv.invoice_id), "I4");
    rs_customer_apply(&d, &ev);
    assert_string_equal(d.segment, "");
    rs_buf_release(&b);
    rs_customer_release(&c);
    rs_customer_release(&d);
}

/* More segment names than the process keeps one copy of (a few
 * thousand), from two threads at once: every customer keeps the name its
 * invoice gave, the shared copies and the customers' own alike, and each
 * is freed once (the sanitizer build checks). */
static void *name_segments(void *arg)
{
    enum { N = 3000 };
    static struct rs_customer c[2][N];
    struct rs_customer *mine = c[*(int *)arg];
    char name[40];

    for (int i = 0; i < N; i++) {
        struct rs_event ev;

        snprintf(name, sizeof(name), "segment-%d", i);
        ev = invoice_in(name, "I1", 100, 20000, 20030);
        rs_customer_init(&mine[i], "C1");
        rs_customer_apply(&mine[i], &ev);
    }
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "segment-%d", i);
        if (strcmp(mine[i].segment, name) != 0)
            return (void *)1;
        if (i % 2) { /* renamed: the old name, if owned, is freed */
            struct rs_event ev = invoice_in("retail", "I2", 1, 20000, 20030);

            rs_customer_apply(&mine[i], &ev);
            if (strcmp(mine[i].segment, "retail") != 0)
                return (void *)1;
        }
        rs_customer_release(&mine[i]);
    }
    return NULL;
}

static void test_customer_many_segments(void **state)
{
    pthread_t th;
    int a = 0, b = 1;
    void *ra, *rb;

    (void)state;
    assert_int_equal(pthread_create(&th, NULL, name_segments, &a), 0);
    rb = name_segments(&b);
    assert_int_equal(pthread_join(th, &ra), 0);
    assert_null(ra);
    assert_null(rb);
}

/* The customer of test_customer_pack_roundtrip as packed by version 4. */
#define V4_LEN 400
static const char V4_HEX[] =
    "04000c72657461696c0645555280a0d5edee6680e0aaaa90670000140449300a"
    "65762d4930d00fd00fccbf0288c002000449320a65762d4932d40fd40fd0bf02"
    "8cc002000449340a65762d4934d80fd80fd4bf0290c002000449360a65762d49"
    "36dc0fdc0fd8bf0294c002000449380a65762d4938e00fe00fdcbf0298c00200"
    "064931300c65762d493130e40fe40fe0bf029cc00200064931320c65762d4931"
    "32e80fe80fe4bf02a0c00200064931340c65762d493134ec0fec0fe8bf02a4c0"
    "0200064931360c65762d493136f00ff00fecbf02a8c00200064931380c65762d"
    "493138f40ff40ff0bf02acc002001414148ac00290c002d20f8ec00294c002d6"
    "0f92c00298c002da0f96c0029cc002de0f9ac002a0c002e20f9ec002a4c002e6"
    "0fa2c002a8c002ea0fa6c002acc002ee0faac002b0c002f20faec002b4c002f6"
    "0f02168080d2a5f56680909fd3f46680a0ec80f46680b0b9aef36680c086dcf2"
    "6680d0d389f26680e0a0b7f16680f0ede4f066281400000000047af2c0010000"
    "00000000000000000000000000000002";

/* The same customer as packed by version 5 (times as differences, the
 * small numbers in the stream). */
#define V5_LEN 353
static const char V5_HEX[] =
    "05000c72657461696c0645555280e0aaaa9067ffbfd5bc210000140449300a65"
    "762d4930d00fd00fccbf0288c002000449320a65762d4932d40fd40fd0bf028c"
    "c002000449340a65762d4934d80fd80fd4bf0290c002000449360a65762d4936"
    "dc0fdc0fd8bf0294c002000449380a65762d4938e00fe00fdcbf0298c0020006"
    "4931300c65762d493130e40fe40fe0bf029cc00200064931320c65762d493132"
    "e80fe80fe4bf02a0c00200064931340c65762d493134ec0fec0fe8bf02a4c002"
    "00064931360c65762d493136f00ff00fecbf02a8c00200064931380c65762d49"
    "3138f40ff40ff0bf02acc002001414142906d20f2506d60f2106da0f1d06de0f"
    "1906e20f1506e60f1106ea0f0d06ee0f0906f20f0506f60f0216ffdfd8841bff"
    "cf8bd71bffbfbea91cffaff1fb1cff9fa4ce1dff8fd7a01effff89f31effefbc"
    "c51f281400000000047a028d9fa9aa9067ffdfaaaa9067000000000000000000"
    "02";

/* n bytes from 2n hex digits (the caller frees them). */
static uint8_t *from_hex(const char *hex, size_t n)
{
    uint8_t *b = malloc(n);

    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        sscanf(hex + 2 * i, "%2hhx", &b[i]);
    return b;
}

/* A state an older version packed: read, it packs to want. */
static void expect_repacks_as(const uint8_t *old, size_t len,
                              const struct rs_buf *want)
{
    struct rs_customer c;
    struct rs_buf b;
    char errstr[256];

    rs_customer_init(&c, "C1");
    if (rs_customer_unpack(&c, old, len, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    rs_buf_init(&b, 0);
    rs_customer_pack(&c, &b);
    assert_int_equal(b.len, want->len);
    assert_memory_equal(b.data, want->data, want->len);
    rs_buf_release(&b);
    rs_customer_release(&c);
}

static void test_customer_pack_roundtrip(void **state)
{
    struct rs_customer c, d;
    struct rs_buf a, b;
    int32_t d0 = day(2026, 1, 1);
    struct rs_event ev;
    char errstr[256];

    (void)state;
    rs_customer_init(&c, "C1");
    for (int i = 0; i < 20; i++) {
        char id[16];

        snprintf(id, sizeof(id), "I%d", i);
        ev = invoice_in("retail", id, 1000 + i, d0 + i, d0 + i + 30);
        rs_customer_apply(&c, &ev);
        if (i % 2) {
            ev = payment(RS_PAYMENT_FULL, id, 1000 + i, d0 + i + 33);
            rs_customer_apply(&c, &ev);
        }
    }
    ev.kind = RS_EVENT_COMM;
    ev.type = RS_COMM_REMINDER;
    for (int i = 0; i < 11; i++) {
        ev.event_time = (int64_t)(d0 + i) * RS_DAY_MS;
        rs_customer_apply(&c, &ev);
    }
    c.level = RS_LEVEL_HIGH;
    c.alerted_level = RS_LEVEL_MEDIUM; /* a suppressed rise to HIGH */
    c.score = 61;
    c.next_timer = 12345;

    rs_buf_init(&a, 0);
    rs_buf_init(&b, 0);
    rs_customer_pack(&c, &a);
    rs_customer_init(&d, "C1");
    if (rs_customer_unpack(&d, a.data, a.len, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    rs_customer_pack(&d, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(d.open_count, 10);
    assert_string_equal(d.segment, "retail");
    assert_int_equal(rs_customer_comm(&d, RS_COMM_REMINDER)->count, 11);
    assert_int_equal(d.level, RS_LEVEL_HIGH);
    assert_int_equal(d.alerted_level, RS_LEVEL_MEDIUM);
    assert_int_equal(d.next_timer, 12345);

    /* Version 5 wrote times as differences: 47 of 400 bytes fewer here
     * (the ten open invoices are packed as before). Version 6 writes the
     * small numbers apart, most of them 0, and the next timer, on a day's
     * start, in days: fewer again. */
    assert_int_equal(a.data[0], 6);
    assert_int_equal(a.data[1], 0); /* inline */
    assert_int_equal(a.len, V5_LEN - 11);

    /* The same customer as version 5 wrote it: read, it packs as above. */
    {
        uint8_t *old = from_hex(V5_HEX, V5_LEN);

        expect_repacks_as(old, V5_LEN, &a);
        free(old);
    }

    /* The same customer as version 4 wrote it (times as they are, before
     * version 5): read, it packs as above. A version 3 state (before
     * chunks): those bytes less the chunk count, version byte 3. A version
     * 2 state (before the announced level was kept): less the last varint
     * too, version byte 2. Both read, the announced level of version 2
     * taken to be its level. */
    {
        struct rs_customer v2, v3;
        uint8_t *old = from_hex(V4_HEX, V4_LEN);

        expect_repacks_as(old, V4_LEN, &a);
        memmove(old + 1, old + 2, V4_LEN - 2);
        old[0] = 3;
        rs_customer_init(&v3, "C1");
        if (rs_customer_unpack(&v3, old, V4_LEN - 1, errstr, sizeof(errstr)))
            fail_msg("%s", errstr);
        assert_int_equal(v3.alerted_level, RS_LEVEL_MEDIUM);
        assert_int_equal(v3.open_count, 10);
        old[0] = 2;
        rs_customer_init(&v2, "C1");
        if (rs_customer_unpack(&v2, old, V4_LEN - 2, errstr, sizeof(errstr)))
            fail_msg("%s", errstr);
        assert_int_equal(v2.alerted_level, RS_LEVEL_HIGH);
        assert_int_equal(v2.open_count, 10);
        rs_customer_release(&v2);
        rs_customer_release(&v3);
        free(old);
    }

    /* Every truncation is refused, never misread. */
    for (size_t n = 0; n < a.len; n++) {
        struct rs_customer e;

        rs_customer_init(&e, "C1");
        assert_int_equal(rs_customer_unpack(&e, a.data, n, errstr,
                                            sizeof(errstr)),
                         -1);
        rs_customer_release(&e);
    }
    rs_buf_release(&a);
    rs_buf_release(&b);
    rs_customer_release(&c);
    rs_customer_release(&d);
}

/* Detector states are kept sparse: set in any order, read back by id,
 * dropped when all zeros, and packed as before (the unpacked copy reads
 * the same). */
/* Packing writes through a cursor that grows the buffer as it goes: into
 * a fresh buffer, after bytes already there (a flush packs customers one
 * after the other) and into a buffer capped at exactly its size, the bytes
 * are the same; one byte less and the buffer says it overflowed, holding
 * no more than its cap. */
static void test_customer_pack_grows_and_caps(void **state)
{
    struct rs_customer c;
    struct rs_buf a, b;
    int32_t d0 = day(2026, 1, 1);
    struct rs_event ev;
    static const char before[] = "bytes of the customers packed before";

    (void)state;
    rs_customer_init(&c, "C1");
    for (int i = 0; i < 14; i++) {
        char id[40];

        snprintf(id, sizeof(id), "INVOICE-WITH-A-LONG-NUMBER-%04d", i);
        ev = invoice_in("wholesale", id, 100000 + i, d0 + i, d0 + i + 60);
        rs_customer_apply(&c, &ev);
    }
    rs_buf_init(&a, 0);
    rs_customer_pack(&c, &a);
    assert_true(a.len > 512); /* grown twice or more from nothing */
    assert_false(a.overflow);
    assert_int_equal(a.data[a.len], '\0');

    rs_buf_init(&b, 0);
    assert_int_equal(rs_buf_append(&b, before, sizeof(before) - 1), 0);
    rs_customer_pack(&c, &b);
    assert_int_equal(b.len, sizeof(before) - 1 + a.len);
    assert_memory_equal(b.data, before, sizeof(before) - 1);
    assert_memory_equal(b.data + sizeof(before) - 1, a.data, a.len);
    rs_buf_release(&b);

    rs_buf_init(&b, a.len);
    rs_customer_pack(&c, &b);
    assert_false(b.overflow);
    assert_int_equal(b.len, a.len);
    assert_memory_equal(b.data, a.data, a.len);
    rs_buf_release(&b);

    rs_buf_init(&b, a.len - 1);
    rs_customer_pack(&c, &b);
    assert_true(b.overflow);
    assert_true(b.len <= a.len - 1);
    rs_buf_release(&b);

    rs_buf_init(&b, 40); /* smaller than the first room asked for */
    rs_customer_pack(&c, &b);
    assert_true(b.overflow);
    assert_true(b.len <= 40);
    rs_buf_release(&b);

    rs_buf_release(&a);
    rs_customer_release(&c);
}

static void test_customer_dstate_sparse(void **state)
{
    struct rs_customer c, copy;
    struct rs_dstate a, b, z;
    struct rs_buf buf;
    char errstr[256];

    (void)state;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&z, 0, sizeof(z));
    a.v[0] = 7;
    a.v[7] = -3;
    b.v[3] = 1234567890123LL;
    rs_customer_init(&c, "C1");
    assert_memory_equal(rs_customer_dstate(&c, 9), &z, sizeof(z));
    rs_customer_dstate_set(&c, 9, &a);
    rs_customer_dstate_set(&c, 2, &b);
    rs_customer_dstate_set(&c, 31, &a);
    rs_customer_dstate_set(&c, 5, &z); /* nothing to keep */
    assert_int_equal(c.dstate_used, (1u << 2) | (1u << 9) | (1u << 31));
    assert_memory_equal(rs_customer_dstate(&c, 9), &a, sizeof(a));
    assert_memory_equal(rs_customer_dstate(&c, 2), &b, sizeof(b));
    assert_memory_equal(rs_customer_dstate(&c, 31), &a, sizeof(a));
    assert_memory_equal(rs_customer_dstate(&c, 5), &z, sizeof(z));

    rs_buf_init(&buf, 0);
    rs_customer_pack(&c, &buf);
    rs_customer_init(&copy, "C1");
    assert_int_equal(rs_customer_unpack(&copy, buf.data, buf.len, errstr,
                                        sizeof(errstr)),
                     0);
    assert_int_equal(copy.dstate_used, c.dstate_used);
    for (int d = 0; d < RS_DETECTORS_MAX; d++)
        assert_memory_equal(rs_customer_dstate(&copy, d),
                            rs_customer_dstate(&c, d), sizeof(z));

    rs_customer_dstate_set(&c, 9, &z); /* back to nothing: dropped */
    assert_int_equal(c.dstate_used, (1u << 2) | (1u << 31));
    assert_memory_equal(rs_customer_dstate(&c, 31), &a, sizeof(a));
    assert_memory_equal(rs_customer_dstate(&c, 9), &z, sizeof(z));
    rs_customer_release(&copy);
    rs_customer_release(&c);
    rs_buf_release(&buf);
}

/* The open-invoice index the detectors read (rs_customer_index) against a
 * pass over the open invoices, after every step of a random ledger of two
 * customers (invoices, full and partial payments, reversals, credit notes,
 * disputes opened and resolved), asked about in turns so that each call
 * finds the other customer's index in the per-thread slot; and after a
 * pack/unpack round trip. A stale index (a change that did not renew the
 * stamp) or a wrong sum fails here. */
static unsigned index_checks;

static void check_index(const struct rs_customer *c)
{
    const struct rs_open_index *x = rs_customer_index(c);
    int64_t owed = 0, disputed = 0, open = 0, due = 0;
    uint32_t n = 0;

    for (uint32_t i = 0; i < c->open_count; i++) {
        const struct rs_open_invoice *inv = &c->open[i];

        if (inv->disputed)
            disputed += inv->open;
        if (inv->open > 0)
            owed += inv->open;
        if (inv->open > 0 && !inv->disputed)
            n++;
    }
    assert_int_equal(x->n, n);
    assert_int_equal(x->owed_all, owed);
    assert_int_equal(x->disputed, disputed);
    for (uint32_t k = 0; k < x->n; k++) {
        const struct rs_open_invoice *inv = &c->open[x->at[k]];

        assert_true(inv->open > 0 && !inv->disputed);
        assert_int_equal(x->due_date[k], inv->due_date);
        /* due order; equal due dates in arrival order */
        if (k > 0)
            assert_true(x->due_date[k - 1] < x->due_date[k] ||
                        (x->due_date[k - 1] == x->due_date[k] &&
                         x->at[k - 1] < x->at[k]));
        assert_int_equal(x->open[k], open);
        assert_int_equal(x->due[k], due);
        open += inv->open;
        due += inv->due_date;
    }
    assert_int_equal(x->open[x->n], open);
    assert_int_equal(x->due[x->n], due);
    /* every entry due before the day, and only those: on each due date,
     * the days either side, and days before and after them all (a pass
     * over the index for each day asked, so on every 32nd call only) */
    if (++index_checks % 32)
        return;
    for (uint32_t k = 0; k <= x->n; k++) {
        int32_t at = k < x->n ? x->due_date[k] : INT32_MAX - 2;

        for (int32_t d = at - 1; d <= at + 1; d++) {
            uint32_t before = 0;

            for (uint32_t i = 0; i < x->n; i++)
                before += x->due_date[i] < d;
            assert_int_equal(rs_index_due_before(x, d), before);
        }
    }
    assert_int_equal(rs_index_due_before(x, INT32_MIN), 0);
}

static void test_customer_index_follows_changes(void **state)
{
    struct rs_customer c[2], d;
    int32_t d0 = day(2026, 1, 1);
    uint32_t issued[2] = {0, 0};
    int kept = 0, max_open = 0;
    struct rs_buf b;
    char errstr[256];

    (void)state;
    srand(7);
    rs_customer_init(&c[0], "C1");
    rs_customer_init(&c[1], "C2");
    for (int step = 0; step < 3000; step++) {
        int w = step & 1, r = rand() % 100;
        char id[32];
        struct rs_event ev;
        int32_t today = d0 + step / 10;

        snprintf(id, sizeof(id), "I%u",
                 issued[w] ? (unsigned)rand() % issued[w] : 0u);
        if (r < (step < 1500 ? 55 : 12) || issued[w] == 0) {
            snprintf(id, sizeof(id), "I%u", issued[w]++);
            /* due dates out of arrival order now and then */
            ev = invoice(id, 100 + rand() % 10000, today,
                         today + 10 + rand() % 50);
        } else if (r < 60) {
            ev = payment(RS_PAYMENT_FULL, id, 100 + rand() % 10000, today);
        } else if (r < 72) {
            ev = payment(RS_PAYMENT_PARTIAL, id, 1 + rand() % 3000, today);
        } else if (r < 76) {
            ev = payment(RS_PAYMENT_REVERSAL, id, 1 + rand() % 3000, today);
        } else if (r < 82) {
            ev = payment(RS_PAYMENT_FULL, NULL, 1 + rand() % 3000, today);
        } else if (r < 88) {
            ev = invoice(id, 1 + rand() % 2000, today, today);
            ev.type = RS_INVOICE_CREDITED;
            snprintf(ev.event_id, sizeof(ev.event_id), "cn-%d", step);
        } else {
            memset(&ev, 0, sizeof(ev));
            ev.kind = RS_EVENT_COMM;
            ev.type = r < 94 ? RS_COMM_DISPUTE_OPENED : RS_COMM_DISPUTE_RESOLVED;
            ev.event_time = (int64_t)today * RS_DAY_MS;
            ev.has = RS_COM_HAS_INVOICE_ID;
            snprintf(ev.u.com.invoice_id, sizeof(ev.u.com.invoice_id), "%s",
                     id);
        }
        snprintf(ev.event_id, sizeof(ev.event_id), "e%d", step);
        snprintf(ev.customer_id, sizeof(ev.customer_id), "%s", c[w].id);
        rs_customer_apply(&c[w], &ev);
        check_index(&c[w]);
        check_index(&c[!w]);
        if (c[w].index) /* kept up to date by apply, not remade */
            kept++;
        if ((int)c[w].open_count > max_open)
            max_open = (int)c[w].open_count;
    }
    /* Both ways were taken: the index kept by a customer with many open
     * invoices, and the one made on demand for fewer. */
    assert_true(max_open > 100);
    assert_true(kept > 500 && kept < 3000);
    rs_buf_init(&b, 0);
    rs_customer_pack(&c[0], &b);
    rs_customer_init(&d, "C1");
    assert_int_equal(rs_customer_unpack(&d, b.data, b.len, errstr,
                                        sizeof(errstr)),
                     0);
    check_index(&d);
    assert_int_equal(rs_customer_index(&d)->owed_all,
                     rs_customer_index(&c[0])->owed_all);
    rs_buf_release(&b);
    rs_customer_release(&d);
    rs_customer_release(&c[0]);
    rs_customer_release(&c[1]);
}

/* Invoices found by id among hundreds open (the id table of a hot
 * customer): a model of what each invoice still owes, checked against the
 * customer's open invoices after every step of a random ledger that
 * issues and pays by id, in full or in part, so that positions shift,
 * slots are deleted and the table is rebuilt many times over (and dropped
 * when few remain). A payment that found the wrong invoice, or none (it
 * would become a credit), breaks the model. */
static void test_customer_many_open_by_id(void **state)
{
    enum { N = 700 };
    static int64_t owed[N]; /* 0: settled (or not issued yet) */
    struct rs_customer c;
    int32_t d0 = day(2026, 1, 1);
    int issued = 0, max_open = 0;

    (void)state;
    memset(owed, 0, sizeof(owed));
    srand(11);
    rs_customer_init(&c, "C1");
    for (int step = 0; step < 8000; step++) {
        int r = rand() % 100, k = issued ? rand() % issued : 0;
        char id[32];
        struct rs_event ev;

        /* Issue more at first, pay more later: the count climbs past the
         * table's threshold and falls back below it. */
        if (issued < N && (issued == 0 || r < (step < 2500 ? 55 : 3))) {
            k = issued++;
            snprintf(id, sizeof(id), "I%d", k);
            ev = invoice(id, 1000 + k, d0 + k % 40, d0 + 30 + k % 40);
            owed[k] = 1000 + k;
        } else if (owed[k] == 0) {
            continue;
        } else {
            snprintf(id, sizeof(id), "I%d", k);
            if (r < 60) {
                ev = payment(RS_PAYMENT_FULL, id, owed[k], d0 + 50);
                owed[k] = 0;
            } else {
                ev = payment(RS_PAYMENT_PARTIAL, id, 1, d0 + 50);
                owed[k] -= 1;
            }
        }
        snprintf(ev.event_id, sizeof(ev.event_id), "e%d", step);
        rs_customer_apply(&c, &ev);
        assert_int_equal(c.credit, 0);
        if ((int)c.open_count > max_open)
            max_open = (int)c.open_count;
        for (int i = 0; i < issued; i++) {
            snprintf(id, sizeof(id), "I%d", i);
            assert_int_equal(open_of(&c, id), owed[i] ? owed[i] : -1);
        }
    }
    assert_true(max_open > 300);
    assert_true(c.open_count < 16);
    rs_customer_release(&c);
}

/* Paid oldest first, as most ledgers are, with new invoices coming in
 * meanwhile: the oldest is taken off the front without moving the others
 * (open_head), and the room so freed is used again. The open invoices
 * stay in arrival order with their amounts, the index sums them, and a
 * pack and unpack gives them back, whether the front holds a gap, the
 * allocation grew with one, or it was compacted. */
static void test_customer_paid_oldest_first(void **state)
{
    enum { N = 3000 };
    struct rs_customer c;
    int32_t d0 = day(2026, 1, 1);
    int oldest = 0, issued = 0, saw_gap = 0, max_open = 0;
    char errstr[256];

    (void)state;
    srand(17);
    rs_customer_init(&c, "C1");
    for (int step = 0; step < 2 * N && (issued < N || oldest < issued);
         step++) {
        /* Waves: the queue climbs to a few hundred, then drains. */
        int wave = (step / 700) % 2 == 0;
        int issue = issued < N &&
                    (oldest == issued || rand() % 100 < (wave ? 70 : 25));
        char id[32];
        struct rs_event ev;

        if (issue) {
            snprintf(id, sizeof(id), "I%05d", issued);
            ev = invoice(id, 1000 + issued, d0 + issued / 10,
                         d0 + 30 + issued / 10);
            issued++;
        } else {
            snprintf(id, sizeof(id), "I%05d", oldest);
            ev = payment(RS_PAYMENT_FULL, id, 1000 + oldest, d0 + 400);
            oldest++;
        }
        snprintf(ev.event_id, sizeof(ev.event_id), "e%d", step);
        rs_customer_apply(&c, &ev);
        if (c.open_head)
            saw_gap = 1;
        assert_int_equal(c.open_count, issued - oldest);
        if ((int)c.open_count > max_open)
            max_open = (int)c.open_count;
        /* The freed front is used again: the allocation follows the
         * most held at once, not every invoice ever issued. */
        assert_true(c.open_cap <= 4 * (size_t)max_open + 8);
        if (step % 97 == 0 || c.open_count < 3) {
            int64_t sum = 0;
            const struct rs_open_index *x = rs_customer_index(&c);

            for (uint32_t i = 0; i < c.open_count; i++) {
                snprintf(id, sizeof(id), "I%05d", oldest + (int)i);
                assert_string_equal(c.open[i].invoice_id, id);
                assert_int_equal(c.open[i].open, 1000 + oldest + (int)i);
                sum += c.open[i].open;
            }
            assert_int_equal(x->n, c.open_count);
            assert_int_equal(x->open[x->n], sum);
        }
        if (step % 499 == 0) {
            struct rs_customer d;
            struct rs_buf b;

            rs_buf_init(&b, 0);
            rs_customer_pack(&c, &b);
            rs_customer_init(&d, "C1");
            if (rs_customer_unpack(&d, b.data, b.len, errstr,
                                   sizeof(errstr)))
                fail_msg("%s", errstr);
            assert_int_equal(d.open_count, c.open_count);
            for (uint32_t i = 0; i < d.open_count; i++)
                assert_string_equal(d.open[i].invoice_id,
                                    c.open[i].invoice_id);
            rs_buf_release(&b);
            rs_customer_release(&d);
        }
    }
    assert_int_equal(issued, N);
    assert_int_equal(c.open_count, 0);
    assert_true(saw_gap);
    assert_true(max_open > 200 && max_open < N / 2);
    rs_customer_release(&c);
}

/* What a store holds of one customer: its head and its chunks. */
struct stored {
    struct rs_buf head;
    struct rs_buf chunk[RS_CUSTOMER_CHUNKS_MAX];
    int has[RS_CUSTOMER_CHUNKS_MAX];
};

/* A flush of c into st as the engine makes one: the head, the chunks the
 * plan names, the dropped ones gone. Returns the chunks written. */
static int flush_into(struct rs_customer *c, struct stored *st,
                      struct rs_pack_plan *plan)
{
    struct rs_buf all;
    size_t ends[RS_CUSTOMER_CHUNKS_MAX], from = 0;
    int j = 0;

    rs_buf_reset(&st->head);
    rs_customer_pack_head(c, &st->head, plan);
    for (uint32_t k = plan->drop_from; k < plan->drop_to; k++)
        st->has[k] = 0;
    rs_buf_init(&all, 0);
    rs_customer_pack_chunks(c, plan->write, &all, ends);
    for (uint32_t k = 0; k < RS_CUSTOMER_CHUNKS_MAX; k++) {
        if (!(plan->write >> k & 1))
            continue;
        assert_true(k < plan->chunks);
        rs_buf_reset(&st->chunk[k]);
        rs_buf_append(&st->chunk[k], all.data + from, ends[j] - from);
        from = ends[j++];
        st->has[k] = 1;
    }
    assert_int_equal(from, all.len);
    rs_buf_release(&all);
    return j;
}

/* The state a load gives back from st, unpacked into d. */
static void load_from(const struct stored *st, struct rs_customer *d)
{
    uint32_t n = rs_packed_chunks(st->head.data, st->head.len);
    struct rs_buf whole;
    char errstr[256];

    rs_buf_init(&whole, 0);
    rs_buf_append(&whole, st->head.data, st->head.len);
    for (uint32_t k = 0; k < n; k++) {
        assert_true(st->has[k]);
        rs_packed_add_chunk(&whole, st->chunk[k].data, st->chunk[k].len);
    }
    if (rs_customer_unpack(d, whole.data, whole.len, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    rs_buf_release(&whole);
}

/* A hot customer is stored as a head and chunks of its open invoices, and
 * a flush writes only the chunks that changed. After every flush of a
 * random ledger (all kinds of change to open invoices, up past 600 open
 * and back to a few), what the store holds reads back as the customer
 * (same packed bytes), and it keeps doing so as the flushed-back copy goes
 * on in its place. */
static void test_customer_chunks_follow_changes(void **state)
{
    struct rs_customer c, d;
    struct stored st;
    struct rs_buf a, b;
    int32_t d0 = day(2026, 1, 1);
    uint32_t issued = 0, max_chunks = 0;
    int flushes_same = 0, written_same = 0, held_same = 0, relayouts = 0;

    (void)state;
    memset(&st, 0, sizeof(st));
    rs_buf_init(&st.head, 0);
    for (int k = 0; k < RS_CUSTOMER_CHUNKS_MAX; k++)
        rs_buf_init(&st.chunk[k], 0);
    rs_buf_init(&a, 0);
    rs_buf_init(&b, 0);
    srand(5);
    rs_customer_init(&c, "C1");
    for (int step = 0; step < 4000; step++) {
        int r = rand() % 100;
        char id[32];
        struct rs_event ev;
        int32_t today = d0 + step / 10;

        snprintf(id, sizeof(id), "I%u",
                 issued ? (unsigned)rand() % issued : 0u);
        if (r < (step < 1800 ? 60 : 4) || issued == 0) {
            snprintf(id, sizeof(id), "INV-%u", issued++);
            ev = invoice(id, 100 + rand() % 10000, today,
                         today + 10 + rand() % 50);
        } else {
            snprintf(id, sizeof(id), "INV-%u", (unsigned)rand() % issued);
            if (r < 64) {
                ev = payment(RS_PAYMENT_FULL, id, 100 + rand() % 10000, today);
            } else if (r < 72) {
                ev = payment(RS_PAYMENT_PARTIAL, id, 1 + rand() % 3000, today);
            } else if (r < 75) {
                ev = payment(RS_PAYMENT_REVERSAL, id, 1 + rand() % 3000, today);
            } else if (r < 78) {
                ev = payment(RS_PAYMENT_FULL, NULL, 1 + rand() % 5000, today);
            } else if (r < 84) {
                ev = invoice(id, 1 + rand() % 2000, today, today);
                ev.type = RS_INVOICE_CREDITED;
                ev.has |= RS_INV_HAS_CREDITED_INVOICE_ID;
                snprintf(ev.u.inv.credited_invoice_id,
                         sizeof(ev.u.inv.credited_invoice_id), "%s", id);
            } else if (r < 88) {
                ev = invoice(id, 1, today, today);
                ev.type = RS_INVOICE_CANCELLED;
            } else {
                memset(&ev, 0, sizeof(ev));
                ev.kind = RS_EVENT_COMM;
                ev.type = r < 94 ? RS_COMM_DISPUTE_OPENED
                                 : RS_COMM_DISPUTE_RESOLVED;
                ev.event_time = (int64_t)today * RS_DAY_MS;
                ev.has = RS_COM_HAS_INVOICE_ID;
                snprintf(ev.u.com.invoice_id, sizeof(ev.u.com.invoice_id),
                         "%s", id);
            }
        }
        snprintf(ev.event_id, sizeof(ev.event_id), "e%d", step);
        rs_customer_apply(&c, &ev);
        if (rand() % 3 == 0) { /* a few events between flushes, as live */
            struct rs_pack_plan plan;
            uint32_t before = c.chunks;
            int n = flush_into(&c, &st, &plan);

            if (plan.chunks > max_chunks)
                max_chunks = plan.chunks;
            if (plan.chunks != before) {
                relayouts++;
                assert_int_equal(n, (int)plan.chunks); /* all rewritten */
            } else if (plan.chunks) {
                flushes_same++;
                written_same += n;
                held_same += (int)plan.chunks;
            }
            rs_customer_init(&d, "C1");
            load_from(&st, &d);
            rs_buf_reset(&a);
            rs_buf_reset(&b);
            rs_customer_pack(&c, &a);
            rs_customer_pack(&d, &b);
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.data, b.data, a.len);
            assert_int_equal(d.chunks, c.chunks);
            /* The loaded copy goes on in the customer's place now and
             * then, as after an eviction or a restart. */
            if (rand() % 4 == 0) {
                rs_customer_release(&c);
                c = d;
            } else {
                rs_customer_release(&d);
            }
        }
    }
    /* It went through several layouts, up to the most chunks and back to
     * none, and between layout changes a flush wrote under a tenth of the
     * chunks held. */
    assert_int_equal(max_chunks, RS_CUSTOMER_CHUNKS_MAX);
    assert_int_equal(c.chunks, 0);
    assert_true(c.open_count < 8);
    assert_true(relayouts >= 4);
    assert_true(flushes_same > 300);
    assert_true(10 * written_same < held_same);
    rs_customer_release(&c);
    rs_buf_release(&a);
    rs_buf_release(&b);
    rs_buf_release(&st.head);
    for (int k = 0; k < RS_CUSTOMER_CHUNKS_MAX; k++)
        rs_buf_release(&st.chunk[k]);
}

/* The sparse arrays' index: rs_popcount32 counts set bits like a loop
 * over the 32 bits, for edge patterns and a spread of others (also cut to
 * their low bits, as the index is). */
static uint32_t bits_by_loop(uint32_t x)
{
    uint32_t n = 0;

    for (int b = 0; b < 32; b++)
        n += (x >> b) & 1u;
    return n;
}

static void test_customer_popcount(void **state)
{
    uint32_t x = 0x9e3779b9u;

    (void)state;
    assert_int_equal(rs_popcount32(0), 0);
    assert_int_equal(rs_popcount32(1), 1);
    assert_int_equal(rs_popcount32(0x80000000u), 1);
    assert_int_equal(rs_popcount32(0xffffffffu), 32);
    assert_int_equal(rs_popcount32(0x55555555u), 16);
    for (int n = 0; n < 10000; n++) {
        uint32_t low = x & ((1u << (n % 32)) - 1);

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        assert_int_equal(rs_popcount32(x), bits_by_loop(x));
        assert_int_equal(rs_popcount32(low), bits_by_loop(low));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customer_popcount),
        cmocka_unit_test(test_customer_segment_latest_named),
        cmocka_unit_test(test_customer_many_segments),
        cmocka_unit_test(test_customer_payments_settle_invoices),
        cmocka_unit_test(test_customer_payment_before_invoice),
        cmocka_unit_test(test_customer_credit_note_and_cancel),
        cmocka_unit_test(test_customer_summary_days_beyond_terms),
        cmocka_unit_test(test_customer_pack_roundtrip),
        cmocka_unit_test(test_customer_pack_grows_and_caps),
        cmocka_unit_test(test_customer_dstate_sparse),
        cmocka_unit_test(test_customer_index_follows_changes),
        cmocka_unit_test(test_customer_many_open_by_id),
        cmocka_unit_test(test_customer_paid_oldest_first),
        cmocka_unit_test(test_customer_chunks_follow_changes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
