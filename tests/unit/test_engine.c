/* Engine behaviour that belongs to no single detector: a repeated event_id
 * is a duplicate (counted, not applied twice), and a customer's state
 * round-trips through its packed form with the group and duplicate
 * sections. */
#include "support.h"

#include <stdio.h>
#include <string.h>

#include "riskstream/buf.h"
#include "riskstream/cluster.h"
#include "riskstream/customer.h"
#include "riskstream/engine.h"
#include "scenario.h"

#define INVOICE(id)                                                            \
    "event_id=" id " event_time=2026-01-05T09:00:00Z customer_id=C1 "          \
    "type=ISSUED invoice_id=I1 amount=100000 currency=EUR "                    \
    "issue_date=2026-01-05 due_date=2026-02-04 payment_terms_days=30"

static void test_engine_duplicate_event_id_not_applied(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_customer *c;

    (void)state;
    assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, INVOICE("e1")), 0);
    assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, INVOICE("e1")), 0);
    c = rs_scn_customer(s, "C1");
    assert_int_equal(c->invoices, 1);
    assert_int_equal(c->open_count, 1);
    assert_int_equal(c->open[0].open, 100000);
    assert_int_equal(c->duplicates, 1);
    /* A payment with its own id is applied; the same payment again is not. */
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            rs_scn_event(s, RS_EVENT_PAYMENT,
                         "event_id=p1 event_time=2026-01-20T09:00:00Z "
                         "customer_id=C1 type=PARTIAL payment_id=P1 "
                         "amount=40000 currency=EUR payment_date=2026-01-20 "
                         "invoice_id=I1"),
            0);
    c = rs_scn_customer(s, "C1");
    assert_int_equal(c->open[0].open, 60000);
    assert_int_equal(c->payments, 1);
    assert_int_equal(c->duplicates, 2);
    rs_scn_destroy(s);
}

static void test_engine_state_round_trip(void **state)
{
    struct rs_customer a, b;
    struct rs_buf packed, again;
    char err[256];

    (void)state;
    rs_customer_init(&a, "C1");
    rs_customer_init(&b, "C1");
    assert_null(a.group); /* made when needed */
    assert_int_equal(rs_customer_group(&a)->parent_level, -1);
    assert_int_equal(rs_customer_group(&a)->own_level, -1);
    rs_customer_group_make(&a);
    snprintf(a.group->parent, sizeof(a.group->parent), "P");
    a.group->linked_at = 1000;
    a.group->parent_level = 3;
    a.group->parent_score = 95;
    a.group->own_level = 1;
    assert_int_equal(rs_customer_seen(&a, "e1"), 0);
    assert_int_equal(rs_customer_seen(&a, "e2"), 0);
    assert_int_equal(rs_customer_seen(&a, "e1"), 1);
    rs_buf_init(&packed, 0);
    rs_buf_init(&again, 0);
    rs_customer_pack(&a, &packed);
    assert_int_equal(rs_customer_unpack(&b, (const uint8_t *)packed.data,
                                        packed.len, err, sizeof(err)),
                     0);
    assert_non_null(b.group);
    assert_string_equal(b.group->parent, "P");
    assert_int_equal(b.group->parent_level, 3);
    assert_int_equal(b.group->parent_score, 95);
    assert_int_equal(b.group->own_level, 1);
    assert_int_equal(b.duplicates, 1);
    rs_customer_pack(&b, &again); /* unpack then pack gives the same bytes */
    assert_int_equal(again.len, packed.len);
    assert_memory_equal(again.data, packed.data, packed.len);
    /* The ring survived: e2 is still known, e3 is not. */
    assert_int_equal(rs_customer_seen(&b, "e2"), 1);
    assert_int_equal(rs_customer_seen(&b, "e3"), 0);
    rs_buf_release(&packed);
    rs_buf_release(&again);
    rs_customer_release(&a);
    rs_customer_release(&b);
}

/* A batch load makes stored customers resident as a one-by-one load
 * would, and remembers the ones with nothing stored: still unknown to a
 * look-up, new when an event comes. */
static void test_engine_prefetch(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const char *ids[] = {"C1", "C2", "C1", ""};
    const struct rs_customer *c;
    char errstr[256];

    (void)state;
    assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, INVOICE("e1")), 0);
    rs_scn_restart(s);
    assert_int_equal(rs_task_prefetch(rs_scn_task(s), ids, 4, errstr,
                                      sizeof(errstr)),
                     0);
    c = rs_scn_customer(s, "C1");
    assert_non_null(c);
    assert_int_equal(c->invoices, 1);
    assert_int_equal(c->open_count, 1);
    assert_int_equal(c->open[0].open, 100000);
    assert_null(rs_scn_customer(s, "C2"));
    assert_int_equal(
        rs_scn_event(s, RS_EVENT_INVOICE,
                     "event_id=e2 event_time=2026-01-06T09:00:00Z "
                     "customer_id=C2 type=ISSUED invoice_id=I9 amount=5000 "
                     "currency=EUR issue_date=2026-01-06 "
                     "due_date=2026-02-05 payment_terms_days=30"),
        0);
    c = rs_scn_customer(s, "C2");
    assert_non_null(c);
    assert_int_equal(c->invoices, 1);
    assert_int_equal(c->absent, 0);
    /* Resident ones are left alone: C1's state is not reloaded over its
     * newer resident self. */
    assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE,
                                  "event_id=e3 event_time=2026-01-07T09:00:00Z "
                                  "customer_id=C1 type=ISSUED invoice_id=I2 "
                                  "amount=1000 currency=EUR "
                                  "issue_date=2026-01-07 "
                                  "due_date=2026-02-06 payment_terms_days=30"),
                     0);
    assert_int_equal(rs_task_prefetch(rs_scn_task(s), ids, 4, errstr,
                                      sizeof(errstr)),
                     0);
    assert_int_equal(rs_scn_customer(s, "C1")->invoices, 2);
    rs_scn_destroy(s);
}

/* Two customers whose invoices fall due weeks and months after the
 * stream: their timers are beyond the task's horizon (a week ahead), so
 * the heap does not hold them. */
static struct rs_scn *far_timers(void)
{
    struct rs_scn *s = rs_scn_new(NULL);

    assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, INVOICE("e1")), 0);
    assert_int_equal(
        rs_scn_event(s, RS_EVENT_INVOICE,
                     "event_id=e2 event_time=2026-01-05T10:00:00Z "
                     "customer_id=C2 type=ISSUED invoice_id=I2 amount=50000 "
                     "currency=EUR issue_date=2026-01-05 "
                     "due_date=2026-05-05 payment_terms_days=120"),
        0);
    assert_int_equal(rs_task_timers_queued(rs_scn_task(s)), 0);
    assert_non_null(rs_scn_customer(s, "C1"));
    assert_int_not_equal(rs_scn_customer(s, "C1")->next_timer, RS_NO_TIMER);
    return s;
}

/* Both far timers fire when the stream reaches them: each invoice is
 * overdue. */
static void far_timers_fired(struct rs_scn *s)
{
    rs_scn_advance(s, "2026-01-20T00:00:00Z");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    rs_scn_advance(s, "2026-07-01T00:00:00Z");
    assert_true(rs_scn_level(s, "C1", NULL) >= RS_LEVEL_HIGH);
    assert_true(rs_scn_level(s, "C2", NULL) >= RS_LEVEL_MEDIUM);
}

/* Timers kept off the heap fire all the same: never flushed (the task
 * keeps them itself), flushed (read back from the store as the horizon
 * reaches them), or flushed while the flush has not ended. */
static void test_engine_far_timers_fire_unflushed(void **state)
{
    struct rs_scn *s = far_timers();

    (void)state;
    far_timers_fired(s);
    rs_scn_destroy(s);
}

static void test_engine_far_timers_fire_flushed(void **state)
{
    struct rs_scn *s = far_timers();
    char errstr[256];

    (void)state;
    assert_int_equal(rs_task_flush(rs_scn_task(s), errstr, sizeof(errstr)),
                     RS_STORE_OK);
    far_timers_fired(s);
    assert_true(rs_scn_timer_reads(s) > 0);
    rs_scn_destroy(s);
}

static void test_engine_far_timers_fire_inflight(void **state)
{
    struct rs_scn *s = far_timers();
    struct rs_task *t = rs_scn_task(s);

    (void)state;
    /* Begun, not written to the store: the task must keep them. */
    assert_non_null(rs_task_flush_begin(t));
    far_timers_fired(s);
    rs_task_flush_end(t);
    rs_scn_destroy(s);
}

/* A task trimmed between flushes (its flush buffers given back) flushes
 * as before: what the next flush wrote is what a restart reads back. */
static void test_engine_trim_between_flushes(void **state)
{
    struct rs_scn *s = far_timers();
    struct rs_task *t = rs_scn_task(s);
    char errstr[256];
    int c1, c2;

    (void)state;
    assert_int_equal(rs_task_flush(t, errstr, sizeof(errstr)), RS_STORE_OK);
    rs_task_trim(t);
    rs_task_trim(t); /* twice: nothing left to give back */
    far_timers_fired(s);
    c1 = rs_scn_level(s, "C1", NULL);
    c2 = rs_scn_level(s, "C2", NULL);
    assert_int_equal(rs_task_flush(t, errstr, sizeof(errstr)), RS_STORE_OK);
    rs_task_trim(t);
    rs_scn_restart(s);
    assert_int_equal(rs_scn_level(s, "C1", NULL), c1);
    assert_int_equal(rs_scn_level(s, "C2", NULL), c2);
    rs_scn_destroy(s);
}

/* Timers are read back from the store only up to the latest one it may
 * hold: the latest stored when the task was opened, raised by each one
 * the task set beyond its horizon since. After a restart the task reads
 * until its horizon passes that one (firing the stored timers, the second
 * customer's months after the first's), then never again however far the
 * stream goes. */
static void test_engine_stored_timers_read_up_to_open(void **state)
{
    struct rs_scn *s = far_timers();
    size_t reads;

    (void)state;
    rs_scn_restart(s);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    far_timers_fired(s);
    reads = rs_scn_timer_reads(s);
    assert_true(reads > 0);
    rs_scn_advance(s, "2027-07-01T00:00:00Z");
    assert_int_equal(rs_scn_timer_reads(s), reads);
    rs_scn_destroy(s);
}

/* At a commit's turn the task reads ahead the stored timers the stream
 * will reach before the next one: twice as far as the stream moved since
 * the last turn. The stream then reaches them with no
 * read while it applies records, and the levels are the same. */
static void test_engine_preload_timers_reads_ahead(void **state)
{
    struct rs_scn *s = far_timers();
    char errstr[256];
    size_t reads;

    (void)state;
    assert_int_equal(rs_task_flush(rs_scn_task(s), errstr, sizeof(errstr)),
                     RS_STORE_OK);
    rs_scn_restart(s);
    /* The first turn knows no pace yet: it reads nothing. */
    reads = rs_scn_timer_reads(s);
    assert_int_equal(rs_task_preload_timers(rs_scn_task(s), errstr,
                                            sizeof(errstr)),
                     0);
    assert_int_equal(rs_scn_timer_reads(s), reads);
    /* 15 days later (the stream read a week past them itself), a turn
     * reads up to 30 days ahead... */
    rs_scn_advance(s, "2026-01-20T10:00:00Z");
    reads = rs_scn_timer_reads(s);
    assert_int_equal(rs_task_preload_timers(rs_scn_task(s), errstr,
                                            sizeof(errstr)),
                     0);
    assert_true(rs_scn_timer_reads(s) > reads);
    reads = rs_scn_timer_reads(s);
    /* ... so that the stream gets there without a read. */
    rs_scn_advance(s, "2026-02-18T00:00:00Z");
    assert_int_equal(rs_scn_timer_reads(s), reads);
    rs_scn_advance(s, "2026-07-01T00:00:00Z");
    assert_true(rs_scn_level(s, "C1", NULL) >= RS_LEVEL_HIGH);
    assert_true(rs_scn_level(s, "C2", NULL) >= RS_LEVEL_MEDIUM);
    rs_scn_destroy(s);
}

/* An outbox gives its buffers back only when empty (rs_task_trim, for a
 * quiet input), and records made after that are whole. */
static void filing(struct rs_scn *s, const char *id, const char *customer)
{
    char f[256];

    snprintf(f, sizeof(f),
             "event_id=%s event_time=2026-03-02T09:00:00Z customer_id=%s "
             "type=BANKRUPTCY_FILING source=Acme "
             "filing_kind=Bankruptcy_petition",
             id, customer);
    assert_int_equal(rs_scn_event(s, RS_EVENT_BUREAU, f), 0);
}

static void test_engine_trim_outbox(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_task *t = rs_scn_task(s);
    const struct rs_outbox_entry *e;
    size_t n;

    (void)state;
    filing(s, "f1", "C1");
    assert_non_null(rs_task_flush_begin(t));
    rs_task_flush_end(t);
    rs_task_trim(t); /* the alert is in flight: kept */
    e = rs_task_inflight(t, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].topic, RS_OUTBOX_ALERTS);
    assert_memory_equal(e[0].key, "C1", 2);
    assert_true(e[0].value_len > 20);
    rs_task_inflight_done(t);
    rs_task_trim(t); /* all sent: given back */
    filing(s, "f2", "C22");
    assert_non_null(rs_task_flush_begin(t));
    e = rs_task_inflight(t, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].key_len, 3);
    assert_memory_equal(e[0].key, "C22", 3);
    assert_int_equal(e[0].value[0], 0); /* Confluent framing's magic byte */
    rs_task_flush_end(t);
    rs_task_inflight_done(t);
    rs_scn_destroy(s);
}

/* Forty customers restarted from the store, their timers due together:
 * with a cache of 8 they are loaded in batches of the next timers to
 * fire (a quarter of the cache) while the fired ones stay dirty, and the
 * alerts are the very ones a cache holding them all gives, in the same
 * order. */
static void run_due_together(struct rs_scn *s)
{
    char ev[512];

    for (int i = 0; i < 40; i++) {
        snprintf(ev, sizeof(ev),
                 "event_id=e%02d event_time=2026-01-05T09:00:00Z "
                 "customer_id=C%02d type=ISSUED invoice_id=I%02d "
                 "amount=%d currency=EUR issue_date=2026-01-05 "
                 "due_date=2026-02-04 payment_terms_days=30",
                 i, i, i, 100000 + 1000 * i);
        assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, ev), 0);
    }
    rs_scn_restart(s);
    rs_scn_advance(s, "2026-03-20T00:00:00Z");
}

static void test_engine_small_cache_same_alerts(void **state)
{
    struct rs_scn *small = rs_scn_new("cache.customers = 8");
    struct rs_scn *big = rs_scn_new(NULL);
    size_t n;

    (void)state;
    run_due_together(small);
    run_due_together(big);
    n = rs_scn_alert_count(big);
    assert_true(n >= 40); /* each customer is overdue, at least once */
    assert_int_equal(rs_scn_alert_count(small), n);
    for (size_t i = 0; i < n; i++) {
        const struct rs_alert *a = rs_scn_alert(small, i);
        const struct rs_alert *b = rs_scn_alert(big, i);

        assert_string_equal(a->customer_id, b->customer_id);
        assert_int_equal(a->event_time, b->event_time);
        assert_int_equal(a->level_after, b->level_after);
        assert_int_equal(a->score_after, b->score_after);
        assert_string_equal(a->reasons[0].code, b->reasons[0].code);
    }
    for (int i = 0; i < 40; i++) {
        char id[8];
        const struct rs_alert *a;

        snprintf(id, sizeof(id), "C%02d", i);
        a = rs_scn_last_alert(small, id);
        assert_non_null(a);
        assert_true(a->level_after >= RS_LEVEL_MEDIUM);
        assert_non_null(strstr(a->reasons[0].code, "OVERDUE"));
    }
    rs_scn_destroy(small);
    rs_scn_destroy(big);
}

/* The stored state of a customer, unpacked. */
static void stored(struct rs_scn *s, const char *id, struct rs_customer *out)
{
    struct rs_buf b;
    char err[256];

    rs_buf_init(&b, 0);
    assert_int_equal(rs_store_load(rs_scn_store(s), 0, id, &b, err,
                                   sizeof(err)),
                     1);
    rs_customer_init(out, id);
    assert_int_equal(rs_customer_unpack(out, (const uint8_t *)b.data, b.len,
                                        err, sizeof(err)),
                     0);
    rs_buf_release(&b);
}

/* The segment records the engine remembers by name (segment_record):
 * asked for at the first evaluation of a member, before any exists (a
 * placeholder), made by the first settlement, stored by the flush, and
 * after a restart found in the store and counted on. Two segments, so
 * that each name finds its own record. */
static void test_engine_segment_records(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_customer rec;
    char ev[512];
    uint64_t before[2] = {0, 0};
    const char *seg[2] = {"SA", "SB"};

    (void)state;
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 2; k++) {
            snprintf(ev, sizeof(ev),
                     "event_id=i%d%d event_time=2026-01-0%dT09:00:00Z "
                     "customer_id=C%d%d type=ISSUED invoice_id=I%d%d "
                     "amount=1000 currency=EUR issue_date=2026-01-0%d "
                     "due_date=2026-01-2%d payment_terms_days=20 "
                     "segment=%s",
                     round, k, 5 + round, round, k, round, k, 5 + round,
                     5 + round, seg[k]);
            assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, ev), 0);
            if (round == 0) /* asked for, none made yet */
                assert_null(rs_scn_customer(s, RS_SEGMENT_ID_PREFIX "SA"));
        }
        for (int k = 0; k < 2; k++) {
            snprintf(ev, sizeof(ev),
                     "event_id=p%d%d event_time=2026-02-0%dT09:00:00Z "
                     "customer_id=C%d%d type=FULL payment_id=P%d%d "
                     "amount=1000 currency=EUR payment_date=2026-02-0%d "
                     "invoice_id=I%d%d",
                     round, k, 1 + round, round, k, round, k, 1 + round,
                     round, k);
            assert_int_equal(rs_scn_event(s, RS_EVENT_PAYMENT, ev), 0);
        }
        /* Made, and known as made in this task: the members' next
         * evaluations read it. */
        assert_non_null(rs_scn_customer(s, RS_SEGMENT_ID_PREFIX "SA"));
        assert_non_null(rs_scn_customer(s, RS_SEGMENT_ID_PREFIX "SB"));
        rs_scn_restart(s); /* a new task: nothing remembered */
        for (int k = 0; k < 2; k++) {
            char id[64];
            const struct rs_dstate *d;
            uint64_t sum = 0;

            snprintf(id, sizeof(id), RS_SEGMENT_ID_PREFIX "%s", seg[k]);
            stored(s, id, &rec);
            d = rs_customer_dstate(&rec, RS_CLUSTER_DETECTOR_ID);
            for (int i = 0; i < RS_DSTATE_SLOTS; i++)
                sum += (uint64_t)d->v[i];
            assert_true(sum != before[k]); /* this round's settlement */
            before[k] = sum;
            rs_customer_release(&rec);
        }
    }
    rs_scn_destroy(s);
}

/* A hot customer's state goes through the store in chunks (customer.h)
 * many times: flushed and loaded back at a restart every few events while
 * its open invoices climb to 300 and 120 are paid. It ends as the same
 * customer as in a run that never restarted, with the same alerts. */
static void hot_ledger(struct rs_scn *s, int restart_every)
{
    char ev[512];

    for (int i = 0; i < 420; i++) {
        int pay = i >= 300, k = pay ? (i - 300) * 2 : i;

        if (pay)
            snprintf(ev, sizeof(ev),
                     "event_id=p%03d event_time=2026-03-%02dT09:00:00Z "
                     "customer_id=HOT type=FULL payment_id=P%03d "
                     "amount=%d currency=EUR payment_date=2026-03-%02d "
                     "invoice_id=I%03d",
                     i, 1 + (i - 300) / 5, i, 1000 + k,
                     1 + (i - 300) / 5, k);
        else
            snprintf(ev, sizeof(ev),
                     "event_id=e%03d event_time=2026-01-%02dT09:00:00Z "
                     "customer_id=HOT type=ISSUED invoice_id=I%03d "
                     "amount=%d currency=EUR issue_date=2026-01-%02d "
                     "due_date=2026-02-%02d payment_terms_days=30",
                     i, 1 + i / 12, i, 1000 + i, 1 + i / 12,
                     1 + i / 12);
        assert_int_equal(rs_scn_event(s, pay ? RS_EVENT_PAYMENT
                                             : RS_EVENT_INVOICE,
                                      ev),
                         0);
        if (restart_every && i % restart_every == restart_every - 1)
            rs_scn_restart(s);
    }
}

static void test_engine_hot_customer_in_chunks(void **state)
{
    struct rs_scn *a = rs_scn_new(NULL), *b = rs_scn_new(NULL);
    struct rs_buf pa, pb, head;
    char err[256];

    (void)state;
    hot_ledger(a, 7);
    hot_ledger(b, 0);
    rs_buf_init(&pa, 0);
    rs_buf_init(&pb, 0);
    rs_buf_init(&head, 0);
    rs_customer_pack(rs_scn_customer(a, "HOT"), &pa);
    rs_customer_pack(rs_scn_customer(b, "HOT"), &pb);
    assert_int_equal(rs_scn_customer(b, "HOT")->open_count, 300 - 120);
    assert_int_equal(pa.len, pb.len);
    assert_memory_equal(pa.data, pb.data, pa.len);
    assert_int_equal(rs_scn_alert_count(a), rs_scn_alert_count(b));
    /* It was stored in chunks: the head names them, the load finds them. */
    rs_scn_restart(a);
    assert_int_equal(rs_store_load(rs_scn_store(a), 0, "HOT", &head, err,
                                   sizeof(err)),
                     1);
    assert_int_equal(rs_packed_chunks(head.data, head.len), 64);
    rs_buf_release(&pa);
    rs_buf_release(&pb);
    rs_buf_release(&head);
    rs_scn_destroy(a);
    rs_scn_destroy(b);
}

/* A flush in two halves, as the daemon's committer thread writes it while
 * the loop goes on applying records: what flush_begin took is what the
 * store gets, whatever is applied before flush_end; a customer changed
 * meanwhile stays resident and goes with the next flush. */
static void test_engine_flush_in_two_halves(void **state)
{
    struct rs_scn *s = rs_scn_new("cache.customers = 1");
    struct rs_task *t = rs_scn_task(s);
    const struct rs_flush *f;
    const struct rs_customer *c1;
    struct rs_customer got;
    char err[256];
    size_t n;

    (void)state;
    assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, INVOICE("e1")), 0);
    c1 = rs_scn_customer(s, "C1");
    f = rs_task_flush_begin(t);
    assert_non_null(f);
    assert_int_equal(f->customer_count, 1);
    assert_string_equal(f->customers[0].id, "C1");
    /* Applied while the flush is under way, in a cache of one: C2 and C3
     * arrive, then C1 pays in part. Had C1 been evicted (it is not dirty
     * any more) it would be read back from the store, where its write has
     * not landed: the payment would find no invoice. */
    for (int i = 2; i <= 3; i++) {
        char ev[400];

        snprintf(ev, sizeof(ev),
                 "event_id=e%d event_time=2026-01-21T09:00:00Z "
                 "customer_id=C%d type=ISSUED invoice_id=I%d amount=5000 "
                 "currency=EUR issue_date=2026-01-21 due_date=2026-02-20 "
                 "payment_terms_days=30",
                 i, i, i);
        assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, ev), 0);
    }
    assert_int_equal(
        rs_scn_event(s, RS_EVENT_PAYMENT,
                     "event_id=p1 event_time=2026-01-22T09:00:00Z "
                     "customer_id=C1 type=PARTIAL payment_id=P1 "
                     "amount=40000 currency=EUR payment_date=2026-01-22 "
                     "invoice_id=I1"),
        0);
    c1 = rs_scn_customer(s, "C1");
    assert_int_equal(c1->open_count, 1);
    assert_int_equal(c1->open[0].open, 60000);
    assert_int_equal(c1->credit, 0);
    assert_int_equal(rs_store_flush(rs_scn_store(s), 0, f, err, sizeof(err)),
                     RS_STORE_OK);
    rs_task_flush_end(t);
    rs_task_inflight(t, &n);
    rs_task_inflight_done(t);
    stored(s, "C1", &got);
    assert_int_equal(got.open[0].open, 100000); /* as at flush_begin */
    rs_customer_release(&got);
    /* The next flush carries what came after. */
    assert_int_equal(rs_task_flush(t, err, sizeof(err)), RS_STORE_OK);
    stored(s, "C1", &got);
    assert_int_equal(got.open[0].open, 60000);
    assert_int_equal(got.payments, 1);
    rs_customer_release(&got);
    stored(s, "C3", &got);
    assert_int_equal(got.open[0].open, 5000);
    rs_customer_release(&got);
    rs_scn_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_duplicate_event_id_not_applied),
        cmocka_unit_test(test_engine_state_round_trip),
        cmocka_unit_test(test_engine_prefetch),
        cmocka_unit_test(test_engine_far_timers_fire_unflushed),
        cmocka_unit_test(test_engine_far_timers_fire_flushed),
        cmocka_unit_test(test_engine_far_timers_fire_inflight),
        cmocka_unit_test(test_engine_trim_between_flushes),
        cmocka_unit_test(test_engine_segment_records),
        cmocka_unit_test(test_engine_stored_timers_read_up_to_open),
        cmocka_unit_test(test_engine_preload_timers_reads_ahead),
        cmocka_unit_test(test_engine_trim_outbox),
        cmocka_unit_test(test_engine_small_cache_same_alerts),
        cmocka_unit_test(test_engine_flush_in_two_halves),
        cmocka_unit_test(test_engine_hot_customer_in_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
