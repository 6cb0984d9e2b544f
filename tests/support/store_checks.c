/* Behaviour checks shared by the memory and Redis stores (store_checks.h). */
#include "store_checks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/customer.h"
#include "riskstream/mem.h"

/* Helpers. */

void rs_check_open(struct rs_store *s, int task, struct rs_task_meta *meta)
{
    char errstr[512] = "";

    if (rs_store_open_task(s, task, meta, errstr, sizeof(errstr)) !=
        RS_STORE_OK)
        fail_msg("open_task(%d) failed: %s", task, errstr);
}

void rs_check_load(struct rs_store *s, int task, const char *customer,
                   const void *bytes, size_t len)
{
    struct rs_buf b;
    char errstr[512] = "";
    int found;

    rs_buf_init(&b, 0);
    found = rs_store_load(s, task, customer, &b, errstr, sizeof(errstr));
    if (found < 0)
        fail_msg("load(%d, '%s') failed: %s", task, customer, errstr);
    if (!bytes) {
        assert_int_equal(found, 0);
    } else {
        assert_int_equal(found, 1);
        assert_int_equal(b.len, len);
        if (len)
            assert_memory_equal(b.data, bytes, len);
    }
    rs_buf_release(&b);
}

void rs_check_flush_init(struct rs_check_flush *cf, uint64_t epoch)
{
    memset(cf, 0, sizeof(*cf));
    cf->f.epoch = epoch;
    cf->f.customers = cf->customers;
    cf->f.outbox = cf->outbox;
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        cf->f.offsets[k] = 10 * (k + 1);
    cf->f.stream_time = 1000;
}

void rs_check_flush_customer(struct rs_check_flush *cf, const char *id,
                             const void *packed, size_t len,
                             int64_t next_timer)
{
    struct rs_flush_customer *c;

    assert_true(cf->f.customer_count < 16);
    c = &cf->customers[cf->f.customer_count++];
    c->id = id;
    c->packed = packed;
    c->packed_len = len;
    c->next_timer = next_timer;
    c->stored_timer = RS_NO_TIMER; /* a test that moves a timer sets it */
    c->summary.level = 1;
    c->summary.score = 42;
}

void rs_check_flush_record(struct rs_check_flush *cf, enum rs_outbox_topic t,
                           const char *key, const char *value)
{
    struct rs_outbox_entry *e;

    assert_true(cf->f.outbox_count < 8);
    e = &cf->outbox[cf->f.outbox_count++];
    e->topic = t;
    e->key = (uint8_t *)(uintptr_t)key;
    e->key_len = key ? strlen(key) : 0;
    e->value = (uint8_t *)(uintptr_t)value;
    e->value_len = strlen(value);
}

static void flush_expect(struct rs_store *s, int task, const struct rs_flush *f,
                         enum rs_store_result want)
{
    char errstr[512] = "";
    enum rs_store_result got = rs_store_flush(s, task, f, errstr,
                                              sizeof(errstr));

    if (got != want)
        fail_msg("flush(%d) returned %d, expected %d: %s", task, (int)got,
                 (int)want, errstr);
}

struct timer_text {
    char *out;
    size_t size;
    size_t len;
};

static void on_timer(void *opaque, const char *customer, size_t customer_len,
                     int64_t at)
{
    struct timer_text *t = opaque;

    /* The store hands out NUL-terminated ids. */
    assert_int_equal(customer[customer_len], '\0');
    t->len += (size_t)snprintf(t->out + t->len, t->size - t->len,
                               "%s%" PRId64 ":", t->len ? " " : "", at);
    for (size_t i = 0; i < customer_len && t->len < t->size; i++) {
        unsigned char ch = (unsigned char)customer[i];

        if (ch > 32 && ch < 127 && ch != '\\')
            t->len += (size_t)snprintf(t->out + t->len, t->size - t->len,
                                       "%c", ch);
        else
            t->len += (size_t)snprintf(t->out + t->len, t->size - t->len,
                                       "\\x%02x", ch);
    }
    assert_true(t->len < t->size);
}

long rs_check_timers(struct rs_store *s, int task, int64_t from, int64_t to,
                     long max, char *out, size_t size)
{
    struct timer_text t = {out, size, 0};
    char errstr[512] = "";
    long n;

    out[0] = '\0';
    n = rs_store_timers(s, task, from, to, max, on_timer, &t, errstr,
                        sizeof(errstr));
    if (n < 0)
        fail_msg("timers(%d) failed: %s", task, errstr);
    return n;
}

static void assert_offsets(const int64_t *got, int64_t a, int64_t b, int64_t c,
                           int64_t d)
{
    assert_int_equal(got[0], a);
    assert_int_equal(got[1], b);
    assert_int_equal(got[2], c);
    assert_int_equal(got[3], d);
}

/* The checks. */

static void check_open_new_task(struct rs_store *s)
{
    struct rs_task_meta m1, m2;

    rs_check_open(s, 0, &m1);
    assert_true(m1.epoch >= 1);
    assert_int_equal(m1.has_offsets, 0);
    assert_int_equal(m1.has_prev, 0);
    assert_int_equal(m1.outbox_count, 0);
    assert_offsets(m1.offsets, RS_NO_OFFSET, RS_NO_OFFSET, RS_NO_OFFSET,
                   RS_NO_OFFSET);
    rs_check_open(s, 0, &m2);
    assert_int_equal(m2.epoch, m1.epoch + 1);
    rs_store_meta_release(&m1);
    rs_store_meta_release(&m2);
}

static void check_round_trip(struct rs_store *s)
{
    static const uint8_t state_a[] = {1, 0, 2, 0, 0, 0xff, 'a'};
    static const uint8_t state_b[] = {9};
    static const char alert_value[] = "\0\0\0\0\x07" "alert\0bytes";
    struct rs_task_meta m;
    struct rs_check_flush cf;
    char timers[256];

    rs_check_open(s, 1, &m);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_customer(&cf, "cust-a", state_a, sizeof(state_a), 5000);
    rs_check_flush_customer(&cf, "cust-b", state_b, sizeof(state_b),
                            RS_NO_TIMER);
    rs_check_flush_record(&cf, RS_OUTBOX_ALERTS, "cust-a", "x");
    rs_check_flush_record(&cf, RS_OUTBOX_DEADLETTER, NULL, "dead");
    /* A value with NUL bytes (framed Avro starts with a zero byte). */
    cf.outbox[0].value = (uint8_t *)(uintptr_t)alert_value;
    cf.outbox[0].value_len = sizeof(alert_value);
    cf.f.stream_time = 1700000000123;
    flush_expect(s, 1, &cf.f, RS_STORE_OK);

    rs_check_load(s, 1, "cust-a", state_a, sizeof(state_a));
    rs_check_load(s, 1, "cust-b", state_b, sizeof(state_b));
    rs_check_load(s, 1, "cust-c", NULL, 0);
    rs_check_load(s, 2, "cust-a", NULL, 0); /* another task */
    assert_int_equal(rs_check_timers(s, 1, INT64_MIN, INT64_MAX, 100, timers,
                                     sizeof(timers)),
                     1);
    assert_string_equal(timers, "5000:cust-a");

    rs_check_open(s, 1, &m);
    assert_int_equal(m.has_offsets, 1);
    assert_offsets(m.offsets, 10, 20, 30, 40);
    assert_int_equal(m.stream_time, 1700000000123);
    assert_int_equal(m.has_prev, 0);
    assert_int_equal(m.outbox_count, 2);
    assert_int_equal(m.outbox[0].topic, RS_OUTBOX_ALERTS);
    assert_non_null(m.outbox[0].key);
    assert_int_equal(m.outbox[0].key_len, 6);
    assert_memory_equal(m.outbox[0].key, "cust-a", 6);
    assert_int_equal(m.outbox[0].value_len, sizeof(alert_value));
    assert_memory_equal(m.outbox[0].value, alert_value, sizeof(alert_value));
    assert_int_equal(m.outbox[1].topic, RS_OUTBOX_DEADLETTER);
    assert_null(m.outbox[1].key);
    assert_int_equal(m.outbox[1].value_len, 4);
    assert_memory_equal(m.outbox[1].value, "dead", 4);
    rs_store_meta_release(&m);
    assert_null(m.outbox);
    assert_int_equal(m.outbox_count, 0);
}

/* Offsets and stream time keep their full range, including "none". */
static void check_offsets_extremes(struct rs_store *s)
{
    struct rs_task_meta m;
    struct rs_check_flush cf;

    rs_check_open(s, 0, &m);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    cf.f.offsets[0] = RS_NO_OFFSET;
    cf.f.offsets[1] = 0;
    cf.f.offsets[2] = INT64_MAX;
    cf.f.offsets[3] = 123456789012345;
    cf.f.stream_time = INT64_MIN;
    cf.f.has_prev = 1;
    cf.f.prev_offsets[0] = RS_NO_OFFSET;
    cf.f.prev_offsets[1] = 0;
    cf.f.prev_offsets[2] = INT64_MAX - 1;
    cf.f.prev_offsets[3] = 7;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_open(s, 0, &m);
    assert_int_equal(m.has_offsets, 1);
    assert_offsets(m.offsets, RS_NO_OFFSET, 0, INT64_MAX, 123456789012345);
    assert_int_equal(m.stream_time, INT64_MIN);
    assert_int_equal(m.has_prev, 1);
    assert_offsets(m.prev_offsets, RS_NO_OFFSET, 0, INT64_MAX - 1, 7);
    rs_store_meta_release(&m);
}

/* A zombie (older epoch) cannot write, and its attempt changes nothing. */
static void check_fenced_flush_changes_nothing(struct rs_store *s)
{
    struct rs_task_meta m1, m2, m3;
    struct rs_check_flush ok, zombie;
    char errstr[512] = "", want[128], timers[256];

    rs_check_open(s, 3, &m1);
    rs_check_flush_init(&ok, m1.epoch);
    rs_check_flush_customer(&ok, "a", "A1", 2, 100);
    rs_check_flush_record(&ok, RS_OUTBOX_ALERTS, "a", "first");
    flush_expect(s, 3, &ok.f, RS_STORE_OK);

    rs_check_open(s, 3, &m2); /* another instance takes the task */
    assert_int_equal(m2.epoch, m1.epoch + 1);

    rs_check_flush_init(&zombie, m1.epoch);
    rs_check_flush_customer(&zombie, "a", "A2", 2, RS_NO_TIMER);
    rs_check_flush_customer(&zombie, "b", "B", 1, 50);
    rs_check_flush_record(&zombie, RS_OUTBOX_DEADLETTER, NULL, "zombie");
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        zombie.f.offsets[k] = 999;
    zombie.f.has_prev = 1;
    assert_int_equal(rs_store_flush(s, 3, &zombie.f, errstr, sizeof(errstr)),
                     RS_STORE_FENCED);
    snprintf(want, sizeof(want), "task 3 is fenced: epoch %" PRIu64,
             m2.epoch);
    assert_non_null(strstr(errstr, want));
    snprintf(want, sizeof(want), "ours %" PRIu64, m1.epoch);
    assert_non_null(strstr(errstr, want));

    /* Nothing of the zombie's flush is visible. */
    rs_check_load(s, 3, "a", "A1", 2);
    rs_check_load(s, 3, "b", NULL, 0);
    assert_int_equal(rs_check_timers(s, 3, INT64_MIN, INT64_MAX, 10, timers,
                                     sizeof(timers)),
                     1);
    assert_string_equal(timers, "100:a");

    /* The new owner flushes; then a third open sees its writes. */
    ok.f.epoch = m2.epoch;
    ok.f.offsets[0] = 11;
    flush_expect(s, 3, &ok.f, RS_STORE_OK);
    rs_check_open(s, 3, &m3);
    assert_int_equal(m3.epoch, m2.epoch + 1);
    assert_offsets(m3.offsets, 11, 20, 30, 40);
    assert_int_equal(m3.has_prev, 0);
    assert_int_equal(m3.outbox_count, 1);
    assert_memory_equal(m3.outbox[0].value, "first", 5);
    rs_store_meta_release(&m1);
    rs_store_meta_release(&m2);
    rs_store_meta_release(&m3);
}

static void check_flush_without_open_is_fenced(struct rs_store *s)
{
    struct rs_check_flush cf;
    char errstr[512] = "";

    rs_check_flush_init(&cf, 1);
    rs_check_flush_customer(&cf, "a", "A", 1, 5);
    assert_int_equal(rs_store_flush(s, 4, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_FENCED);
    assert_non_null(strstr(errstr, "task 4 is fenced"));
    rs_check_load(s, 4, "a", NULL, 0);
}

/* Customers a (timer 100) and b (200) flushed into task 0 of s; cf is
 * left holding that flush. */
static void flush_two_timed(struct rs_store *s, struct rs_check_flush *cf)
{
    struct rs_task_meta m;
    char timers[256];

    rs_check_open(s, 0, &m);
    rs_check_flush_init(cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_customer(cf, "a", "A", 1, 100);
    rs_check_flush_customer(cf, "b", "B", 1, 200);
    flush_expect(s, 0, &cf->f, RS_STORE_OK);
    assert_int_equal(rs_check_timers(s, 0, 0, 1000, 10, timers,
                                     sizeof(timers)),
                     2);
    assert_string_equal(timers, "100:a 200:b");
}

/* A flush that says a customer's timer is unchanged writes its state
 * and leaves the stored timer alone (the engine knows what it wrote);
 * the others' timers are written as ever. */
static void check_unchanged_timer_not_written(struct rs_store *s)
{
    struct rs_check_flush cf;
    char timers[256];

    flush_two_timed(s, &cf);
    rs_check_flush_init(&cf, cf.f.epoch);
    rs_check_flush_customer(&cf, "a", "A2", 2, 999); /* said unchanged */
    cf.customers[0].timer_unchanged = 1;
    cf.customers[0].stored_timer = 100;
    rs_check_flush_customer(&cf, "b", "B2", 2, 250);
    cf.customers[1].stored_timer = 200;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    assert_int_equal(rs_check_timers(s, 0, 0, 1000, 10, timers,
                                     sizeof(timers)),
                     2);
    assert_string_equal(timers, "100:a 250:b");
    rs_check_load(s, 0, "a", "A2", 2);
}

/* next_timer == RS_NO_TIMER removes the customer's timer, not the state. */
static void check_no_timer_removes_timer(struct rs_store *s)
{
    struct rs_check_flush cf;
    char timers[256];

    flush_two_timed(s, &cf);

    cf.customers[0].next_timer = RS_NO_TIMER;
    cf.customers[0].stored_timer = 100;
    cf.customers[1].next_timer = 150; /* moves */
    cf.customers[1].stored_timer = 200;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    assert_int_equal(rs_check_timers(s, 0, 0, 1000, 10, timers,
                                     sizeof(timers)),
                     1);
    assert_string_equal(timers, "150:b");
    rs_check_load(s, 0, "a", "A", 1);

    /* Removing a timer that does not exist is fine. */
    cf.customers[1].stored_timer = 150;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    assert_int_equal(rs_check_timers(s, 0, 0, 1000, 10, timers,
                                     sizeof(timers)),
                     1);
}

/* The outbox holds the records of the last flush only. */
static void check_outbox_replaced_by_each_flush(struct rs_store *s)
{
    struct rs_task_meta m;
    struct rs_check_flush cf;

    rs_check_open(s, 0, &m);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_record(&cf, RS_OUTBOX_ALERTS, "k1", "v1");
    rs_check_flush_record(&cf, RS_OUTBOX_ALERTS, "k2", "v2");
    rs_check_flush_record(&cf, RS_OUTBOX_DEADLETTER, "k3", "v3");
    flush_expect(s, 0, &cf.f, RS_STORE_OK);

    rs_check_flush_init(&cf, cf.f.epoch);
    rs_check_flush_record(&cf, RS_OUTBOX_DEADLETTER, "", "only");
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_open(s, 0, &m);
    assert_int_equal(m.outbox_count, 1);
    assert_int_equal(m.outbox[0].topic, RS_OUTBOX_DEADLETTER);
    assert_non_null(m.outbox[0].key); /* empty, not absent */
    assert_int_equal(m.outbox[0].key_len, 0);
    assert_memory_equal(m.outbox[0].value, "only", 4);

    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_open(s, 0, &m);
    assert_int_equal(m.outbox_count, 0);
    rs_store_meta_release(&m);
}

/* prev_offsets are stored when given and removed when not. */
static void check_prev_offsets(struct rs_store *s)
{
    struct rs_task_meta m;
    struct rs_check_flush cf;

    rs_check_open(s, 0, &m);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_open(s, 0, &m);
    assert_int_equal(m.has_prev, 0);

    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    cf.f.has_prev = 1;
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        cf.f.prev_offsets[k] = k + 1;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_open(s, 0, &m);
    assert_int_equal(m.has_prev, 1);
    assert_offsets(m.prev_offsets, 1, 2, 3, 4);

    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_open(s, 0, &m);
    assert_int_equal(m.has_prev, 0);
    assert_int_equal(m.has_offsets, 1);
    rs_store_meta_release(&m);
}

/* Timers come in time order (ties by id bytes), from < at <= to, at most
 * max. */
static void check_timers_order_and_limits(struct rs_store *s)
{
    struct rs_task_meta m;
    struct rs_check_flush cf;
    char t[512];

    rs_check_open(s, 0, &m);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_customer(&cf, "d", "", 0, 300);
    rs_check_flush_customer(&cf, "c", "", 0, 100);
    rs_check_flush_customer(&cf, "bb", "", 0, 200);
    rs_check_flush_customer(&cf, "b", "", 0, 200);
    rs_check_flush_customer(&cf, "a", "", 0, 200);
    rs_check_flush_customer(&cf, "neg", "", 0, -5);
    rs_check_flush_customer(&cf, "real", "", 0, 1767225600000);
    rs_check_flush_customer(&cf, "none", "", 0, RS_NO_TIMER);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);

    assert_int_equal(rs_check_timers(s, 0, INT64_MIN, INT64_MAX, 100, t,
                                     sizeof(t)),
                     7);
    assert_string_equal(t, "-5:neg 100:c 200:a 200:b 200:bb 300:d "
                           "1767225600000:real");
    /* from is exclusive, to inclusive. */
    assert_int_equal(rs_check_timers(s, 0, 100, 300, 100, t, sizeof(t)), 4);
    assert_string_equal(t, "200:a 200:b 200:bb 300:d");
    assert_int_equal(rs_check_timers(s, 0, -5, 100, 100, t, sizeof(t)), 1);
    assert_string_equal(t, "100:c");
    /* max cuts the earliest first, also inside a tie. */
    assert_int_equal(rs_check_timers(s, 0, 0, 1000, 3, t, sizeof(t)), 3);
    assert_string_equal(t, "100:c 200:a 200:b");
    assert_int_equal(rs_check_timers(s, 0, INT64_MIN, 0, 1, t, sizeof(t)), 1);
    assert_string_equal(t, "-5:neg");
    /* Empty ranges and max 0 find nothing. */
    assert_int_equal(rs_check_timers(s, 0, 300, 300, 10, t, sizeof(t)), 0);
    assert_int_equal(rs_check_timers(s, 0, 400, 100, 10, t, sizeof(t)), 0);
    assert_int_equal(rs_check_timers(s, 0, 0, 1000, 0, t, sizeof(t)), 0);
    assert_int_equal(rs_check_timers(s, 0, 300, 1000, 10, t, sizeof(t)), 0);
    assert_string_equal(t, "");
    assert_int_equal(rs_check_timers(s, 9, INT64_MIN, INT64_MAX, 10, t,
                                     sizeof(t)),
                     0); /* a task never seen */
}

/* Opening a task tells the latest stored timer (the engine reads stored
 * timers only up to it): none for a new task, then the latest of those
 * flushed, also when it moved earlier or was removed. */
static void check_open_tells_latest_timer(struct rs_store *s)
{
    struct rs_task_meta m;
    struct rs_check_flush cf;

    rs_check_open(s, 0, &m);
    assert_int_equal(m.timers_bounded, 1);
    assert_true(m.timers_last == INT64_MIN);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_customer(&cf, "a", "A", 1, 1767225600000);
    rs_check_flush_customer(&cf, "b", "B", 1, -5);
    rs_check_flush_customer(&cf, "c", "C", 1, RS_NO_TIMER);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_open(s, 0, &m);
    assert_int_equal(m.timers_bounded, 1);
    assert_true(m.timers_last >= 1767225600000);
    /* A bound, which a store may round up, not past the timer's day. */
    assert_true(m.timers_last < 1767225600000 + 86400000);

    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_customer(&cf, "a", "A", 1, 300); /* moves earlier */
    cf.customers[0].stored_timer = 1767225600000;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_open(s, 0, &m);
    assert_true(m.timers_last >= 300);

    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_customer(&cf, "a", "A", 1, RS_NO_TIMER);
    cf.customers[0].stored_timer = 300;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_open(s, 0, &m);
    assert_true(m.timers_last >= -5);
    rs_store_meta_release(&m);
    rs_check_open(s, 1, &m); /* another task's timers are its own */
    assert_true(m.timers_last == INT64_MIN);
    rs_store_meta_release(&m);
}

/* Ids are any bytes but NUL; packed states any bytes. */
static void check_binary_safe(struct rs_store *s)
{
    static const char *const ids[] = {
        "sp ace", "crlf\r\n*1\r\n", "caf\xc3\xa9", "\xff\xfe", "{t9}:c:x",
        "q\"uote", "tab\tbed",
    };
    static const uint8_t packed[] = {0, 0, 0, 'R', 'S', 0, 0xff, 0, '\r',
                                     '\n'};
    struct rs_task_meta m;
    struct rs_check_flush cf;
    char t[512];
    size_t n = sizeof(ids) / sizeof(ids[0]);

    rs_check_open(s, 0, &m);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    for (size_t i = 0; i < n; i++)
        rs_check_flush_customer(&cf, ids[i], packed, sizeof(packed) - i,
                                (int64_t)(10 * (i + 1)));
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    for (size_t i = 0; i < n; i++)
        rs_check_load(s, 0, ids[i], packed, sizeof(packed) - i);
    rs_check_load(s, 0, "sp", NULL, 0);
    assert_int_equal(rs_check_timers(s, 0, 0, 1000, 100, t, sizeof(t)),
                     (long)n);
    assert_string_equal(t, "10:sp\\x20ace 20:crlf\\x0d\\x0a*1\\x0d\\x0a "
                           "30:caf\\xc3\\xa9 40:\\xff\\xfe 50:{t9}:c:x "
                           "60:q\"uote 70:tab\\x09bed");
}

/* A customer twice in one flush: the later entry wins, timer included. */
static void check_duplicate_customer_last_wins(struct rs_store *s)
{
    struct rs_task_meta m;
    struct rs_check_flush cf;
    char t[256];

    rs_check_open(s, 0, &m);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_customer(&cf, "x", "X1", 2, 5);
    rs_check_flush_customer(&cf, "y", "Y1", 2, RS_NO_TIMER);
    rs_check_flush_customer(&cf, "x", "X2", 2, RS_NO_TIMER);
    rs_check_flush_customer(&cf, "y", "Y2", 2, 7);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_check_load(s, 0, "x", "X2", 2);
    rs_check_load(s, 0, "y", "Y2", 2);
    assert_int_equal(rs_check_timers(s, 0, 0, 100, 10, t, sizeof(t)), 1);
    assert_string_equal(t, "7:y");
}

static void check_load_respects_buffer_cap(struct rs_store *s)
{
    static const uint8_t big[64] = {1};
    struct rs_task_meta m;
    struct rs_check_flush cf;
    struct rs_buf b;
    char errstr[512] = "";

    rs_check_open(s, 0, &m);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_customer(&cf, "big", big, sizeof(big), RS_NO_TIMER);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_buf_init(&b, 16);
    assert_int_equal(rs_store_load(s, 0, "big", &b, errstr, sizeof(errstr)),
                     -1);
    assert_non_null(strstr(errstr, "'big'"));
    assert_non_null(strstr(errstr, "64 bytes"));
    rs_buf_release(&b);
}

/* The state of "hot" a load must give: head, then the chunks. */
static void expect_whole(struct rs_store *s, const uint8_t *head,
                         size_t head_len, const char *const *chunks,
                         uint32_t n)
{
    struct rs_buf want;

    rs_buf_init(&want, 0);
    rs_buf_append(&want, head, head_len);
    for (uint32_t k = 0; k < n; k++)
        rs_packed_add_chunk(&want, chunks[k], strlen(chunks[k]));
    rs_check_load(s, 0, "hot", want.data, want.len);
    rs_buf_release(&want);
}

struct loaded_one {
    size_t index;
    struct rs_buf bytes;
};

static void on_loaded_one(void *opaque, size_t index, const void *packed,
                          size_t len)
{
    struct loaded_one *l = opaque;

    l->index = index;
    rs_buf_reset(&l->bytes);
    rs_buf_append(&l->bytes, packed, len);
}

/* A chunked state (customer.h): a flush writes the head, the chunks it
 * names and drops the ones it names; a load (and load_many) gives the
 * head followed by all its chunks; a chunk the head counts on and the
 * store lacks is an error naming the customer, never a shorter state. */
static void check_chunked_states(struct rs_store *s)
{
    static const uint8_t h1[] = {4, 4, 'a', 'b'}, h2[] = {4, 4, 'x'},
                         h3[] = {4, 2, 'y'}, plain[] = {3, 'p'};
    static const char *const all1[] = {"c0", "c1", "c2", "c3"};
    static const char *const all2[] = {"c0", "c1", "C2 new", "c3"};
    static const char *const all3[] = {"d0", "d1"};
    struct rs_flush_chunk ch[4];
    struct rs_task_meta m;
    struct rs_check_flush cf;
    struct rs_buf b;
    struct loaded_one l;
    const char *ids[2] = {"plain", "hot"};
    char errstr[512] = "";

    rs_check_open(s, 0, &m);
    for (uint32_t k = 0; k < 4; k++)
        ch[k] = (struct rs_flush_chunk){k, (const uint8_t *)all1[k],
                                        strlen(all1[k])};
    rs_check_flush_init(&cf, m.epoch);
    rs_check_flush_customer(&cf, "plain", plain, sizeof(plain), RS_NO_TIMER);
    rs_check_flush_customer(&cf, "hot", h1, sizeof(h1), RS_NO_TIMER);
    cf.customers[1].chunks = ch;
    cf.customers[1].chunk_count = 4;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    expect_whole(s, h1, sizeof(h1), all1, 4);
    rs_check_load(s, 0, "plain", plain, sizeof(plain));

    /* Only chunk 2 changed: the others stay as they were. */
    ch[0] = (struct rs_flush_chunk){2, (const uint8_t *)"C2 new", 6};
    rs_check_flush_init(&cf, m.epoch);
    rs_check_flush_customer(&cf, "hot", h2, sizeof(h2), RS_NO_TIMER);
    cf.customers[0].chunks = ch;
    cf.customers[0].chunk_count = 1;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    expect_whole(s, h2, sizeof(h2), all2, 4);
    rs_buf_init(&l.bytes, 0);
    l.index = 99;
    assert_int_equal(rs_store_load_many(s, 0, ids, 2, on_loaded_one, &l,
                                        errstr, sizeof(errstr)),
                     0);
    assert_int_equal(l.index, 1); /* "plain" came first, then "hot" */
    {
        struct rs_buf want;

        rs_buf_init(&want, 0);
        rs_buf_append(&want, h2, sizeof(h2));
        for (uint32_t k = 0; k < 4; k++)
            rs_packed_add_chunk(&want, all2[k], strlen(all2[k]));
        assert_int_equal(l.bytes.len, want.len);
        assert_memory_equal(l.bytes.data, want.data, want.len);
        rs_buf_release(&want);
    }

    /* Down to two chunks, rewritten; 2 and 3 dropped. */
    ch[0] = (struct rs_flush_chunk){0, (const uint8_t *)"d0", 2};
    ch[1] = (struct rs_flush_chunk){1, (const uint8_t *)"d1", 2};
    rs_check_flush_init(&cf, m.epoch);
    rs_check_flush_customer(&cf, "hot", h3, sizeof(h3), RS_NO_TIMER);
    cf.customers[0].chunks = ch;
    cf.customers[0].chunk_count = 2;
    cf.customers[0].drop_from = 2;
    cf.customers[0].drop_to = 4;
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    expect_whole(s, h3, sizeof(h3), all3, 2);

    /* A head counting on chunks 2 and 3, which were dropped. */
    rs_check_flush_init(&cf, m.epoch);
    rs_check_flush_customer(&cf, "hot", h1, sizeof(h1), RS_NO_TIMER);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_store_meta_release(&m);
    rs_buf_init(&b, 0);
    assert_int_equal(rs_store_load(s, 0, "hot", &b, errstr, sizeof(errstr)),
                     -1);
    assert_non_null(strstr(errstr, "'hot'"));
    assert_non_null(strstr(errstr, "chunk 2 of its 4"));
    errstr[0] = '\0';
    assert_int_equal(rs_store_load_many(s, 0, ids, 2, on_loaded_one, &l,
                                        errstr, sizeof(errstr)),
                     -1);
    assert_non_null(strstr(errstr, "chunk 2 of its 4"));
    rs_buf_release(&b);
    rs_buf_release(&l.bytes);
}

/* More chunk writes, then deletes, in one flush than one command takes
 * (12 customers of 64 chunks, then all but two of each dropped). */
static void check_many_chunks_in_one_flush(struct rs_store *s)
{
    enum { N = 12, K = RS_CUSTOMER_CHUNKS_MAX };
    static const uint8_t head64[] = {4, K, 'h'}, head2[] = {4, 2, 'g'};
    struct rs_flush_chunk *ch = rs_calloc(N * K, sizeof(*ch));
    char (*text)[16] = rs_calloc(N * K, sizeof(*text));
    const char *parts[K];
    char ids[N][8];
    struct rs_task_meta m;
    struct rs_check_flush cf;
    struct rs_buf want, got;
    char errstr[512] = "";

    rs_check_open(s, 0, &m);
    for (int pass = 0; pass < 2; pass++) {
        rs_check_flush_init(&cf, m.epoch);
        for (int i = 0; i < N; i++) {
            struct rs_flush_customer *c;

            snprintf(ids[i], sizeof(ids[i]), "H%02d", i);
            rs_check_flush_customer(&cf, ids[i], pass ? head2 : head64, 3,
                                    RS_NO_TIMER);
            c = &cf.customers[i];
            for (int k = 0; k < (pass ? 2 : K); k++) {
                struct rs_flush_chunk *x = &ch[i * K + k];

                snprintf(text[i * K + k], sizeof(text[0]), "%c%d-%d",
                         pass ? 'q' : 'p', i, k);
                *x = (struct rs_flush_chunk){(uint32_t)k,
                                             (const uint8_t *)text[i * K + k],
                                             strlen(text[i * K + k])};
            }
            c->chunks = &ch[i * K];
            c->chunk_count = pass ? 2 : K;
            c->drop_from = pass ? 2 : 0;
            c->drop_to = pass ? K : 0;
        }
        flush_expect(s, 0, &cf.f, RS_STORE_OK);
        for (int i = 0; i < N; i++) {
            rs_buf_init(&want, 0);
            rs_buf_init(&got, 0);
            rs_buf_append(&want, pass ? head2 : head64, 3);
            for (int k = 0; k < (pass ? 2 : K); k++) {
                parts[k] = text[i * K + k];
                rs_packed_add_chunk(&want, parts[k], strlen(parts[k]));
            }
            assert_int_equal(rs_store_load(s, 0, ids[i], &got, errstr,
                                           sizeof(errstr)),
                             1);
            assert_int_equal(got.len, want.len);
            assert_memory_equal(got.data, want.data, want.len);
            rs_buf_release(&want);
            rs_buf_release(&got);
        }
    }
    /* The dropped ones are gone: a head counting on them again fails. */
    rs_check_flush_init(&cf, m.epoch);
    rs_check_flush_customer(&cf, "H11", head64, 3, RS_NO_TIMER);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    rs_store_meta_release(&m);
    rs_buf_init(&got, 0);
    assert_int_equal(rs_store_load(s, 0, "H11", &got, errstr,
                                   sizeof(errstr)),
                     -1);
    assert_non_null(strstr(errstr, "chunk 2 of its 64"));
    rs_buf_release(&got);
    free(ch);
    free(text);
}

/* Tasks share nothing: not customers, timers, epochs or meta. */
static void check_tasks_are_separate(struct rs_store *s)
{
    struct rs_task_meta m1, m2;
    struct rs_check_flush cf;
    char t[256];

    rs_check_open(s, 1, &m1);
    rs_check_open(s, 2, &m2);
    rs_check_flush_init(&cf, m1.epoch);
    rs_check_flush_customer(&cf, "same", "ONE", 3, 10);
    flush_expect(s, 1, &cf.f, RS_STORE_OK);
    rs_check_flush_init(&cf, m2.epoch);
    rs_check_flush_customer(&cf, "same", "TWO", 3, 20);
    cf.f.offsets[0] = 77;
    flush_expect(s, 2, &cf.f, RS_STORE_OK);
    rs_check_load(s, 1, "same", "ONE", 3);
    rs_check_load(s, 2, "same", "TWO", 3);
    assert_int_equal(rs_check_timers(s, 1, 0, 100, 10, t, sizeof(t)), 1);
    assert_string_equal(t, "10:same");
    rs_store_meta_release(&m1);
    rs_check_open(s, 1, &m1);
    assert_int_equal(m1.offsets[0], 10);
    rs_store_meta_release(&m1);
    rs_store_meta_release(&m2);
}

static void check_bad_task_is_an_error(struct rs_store *s)
{
    struct rs_task_meta m;
    struct rs_check_flush cf;
    struct rs_buf b;
    char errstr[512] = "";

    assert_int_equal(rs_store_open_task(s, -1, &m, errstr, sizeof(errstr)),
                     RS_STORE_ERROR);
    assert_non_null(strstr(errstr, "-1"));
    rs_store_meta_release(&m);
    rs_buf_init(&b, 0);
    assert_int_equal(rs_store_load(s, -1, "a", &b, errstr, sizeof(errstr)),
                     -1);
    rs_buf_release(&b);
    rs_check_flush_init(&cf, 1);
    assert_int_equal(rs_store_flush(s, -1, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_ERROR);
    assert_int_equal(rs_store_timers(s, -1, 0, 10, 10, on_timer, NULL, errstr,
                                     sizeof(errstr)),
                     -1);
}

/* The store keeps copies: the caller may reuse its buffers at once, and
 * releasing a meta leaves the store's outbox alone. */
static void check_store_copies_inputs(struct rs_store *s)
{
    struct rs_task_meta m;
    struct rs_check_flush cf;
    char id[8] = "cust", packed[8] = "state", key[8] = "key",
         value[8] = "value";

    rs_check_open(s, 0, &m);
    rs_check_flush_init(&cf, m.epoch);
    rs_store_meta_release(&m);
    rs_check_flush_customer(&cf, id, packed, 5, RS_NO_TIMER);
    rs_check_flush_record(&cf, RS_OUTBOX_ALERTS, key, value);
    flush_expect(s, 0, &cf.f, RS_STORE_OK);
    memcpy(packed, "XXXXX", 5);
    memcpy(key, "KKK", 3);
    memcpy(value, "VVVVV", 5);
    rs_check_load(s, 0, "cust", "state", 5);
    rs_check_open(s, 0, &m);
    assert_int_equal(m.outbox_count, 1);
    m.outbox[0].value[0] = 'Z';
    rs_store_meta_release(&m);
    rs_check_open(s, 0, &m);
    assert_memory_equal(m.outbox[0].key, "key", 3);
    assert_memory_equal(m.outbox[0].value, "value", 5);
    rs_store_meta_release(&m);
}

struct timer_list {
    size_t count;
    int64_t last_at;
    int ordered;
};

static void on_timer_count(void *opaque, const char *customer,
                           size_t customer_len, int64_t at)
{
    struct timer_list *l = opaque;

    (void)customer;
    (void)customer_len;
    if (l->count && at < l->last_at)
        l->ordered = 0;
    l->last_at = at;
    l->count++;
}

/* Enough customers to grow the memory store's table and to span many
 * timer batches in Redis, with adds and removes interleaved. */
static void check_many_customers(struct rs_store *s)
{
    enum { N = 5000 };
    struct rs_flush_customer *c = rs_calloc(N, sizeof(*c));
    char (*ids)[16] = rs_calloc(N, sizeof(*ids));
    struct rs_task_meta m;
    struct rs_flush f;
    struct timer_list l = {0, 0, 1};
    char errstr[512] = "";
    long n;

    rs_check_open(s, 0, &m);
    memset(&f, 0, sizeof(f));
    f.epoch = m.epoch;
    rs_store_meta_release(&m);
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "c%05d", i);
        c[i].id = ids[i];
        c[i].packed = (const uint8_t *)ids[i];
        c[i].packed_len = strlen(ids[i]);
        /* Descending times, so the order must come from the store. */
        c[i].next_timer = (int64_t)(N - i) * 1000;
    }
    f.customers = c;
    f.customer_count = N;
    flush_expect(s, 0, &f, RS_STORE_OK);
    n = rs_store_timers(s, 0, INT64_MIN, INT64_MAX, 2 * N, on_timer_count, &l,
                        errstr, sizeof(errstr));
    assert_int_equal(n, N);
    assert_true(l.ordered);

    /* Every third customer loses its timer, in runs of mixed kinds. */
    for (int i = 0; i < N; i++) {
        c[i].stored_timer = c[i].next_timer;
        if (i % 3 == 0)
            c[i].next_timer = RS_NO_TIMER;
    }
    flush_expect(s, 0, &f, RS_STORE_OK);
    memset(&l, 0, sizeof(l));
    l.ordered = 1;
    n = rs_store_timers(s, 0, INT64_MIN, INT64_MAX, 2 * N, on_timer_count, &l,
                        errstr, sizeof(errstr));
    assert_int_equal(n, N - (N + 2) / 3);
    assert_true(l.ordered);
    for (int i = 0; i < N; i += 499)
        rs_check_load(s, 0, ids[i], ids[i], strlen(ids[i]));
    free(c);
    free(ids);
}

/* The table and the cmocka plumbing. */

struct check {
    const char *name;
    void (*run)(struct rs_store *s);
};

static const struct check checks[] = {
    {"open_new_task", check_open_new_task},
    {"round_trip", check_round_trip},
    {"offsets_extremes", check_offsets_extremes},
    {"fenced_flush_changes_nothing", check_fenced_flush_changes_nothing},
    {"flush_without_open_is_fenced", check_flush_without_open_is_fenced},
    {"no_timer_removes_timer", check_no_timer_removes_timer},
    {"unchanged_timer_not_written", check_unchanged_timer_not_written},
    {"outbox_replaced_by_each_flush", check_outbox_replaced_by_each_flush},
    {"prev_offsets", check_prev_offsets},
    {"timers_order_and_limits", check_timers_order_and_limits},
    {"open_tells_latest_timer", check_open_tells_latest_timer},
    {"binary_safe", check_binary_safe},
    {"duplicate_customer_last_wins", check_duplicate_customer_last_wins},
    {"load_respects_buffer_cap", check_load_respects_buffer_cap},
    {"chunked_states", check_chunked_states},
    {"many_chunks_in_one_flush", check_many_chunks_in_one_flush},
    {"tasks_are_separate", check_tasks_are_separate},
    {"bad_task_is_an_error", check_bad_task_is_an_error},
    {"store_copies_inputs", check_store_copies_inputs},
    {"many_customers", check_many_customers},
};

#define CHECK_COUNT (sizeof(checks) / sizeof(checks[0]))

static const struct rs_store_backend *backend;
static char names[RS_STORE_CHECKS_MAX][96];

struct fixture {
    const struct check *check;
    struct rs_store *store;
};

static int check_setup(void **state)
{
    struct fixture *fx = rs_calloc(1, sizeof(*fx));

    fx->check = *state;
    fx->store = backend->make();
    *state = fx;
    return 0;
}

static int check_teardown(void **state)
{
    struct fixture *fx = *state;

    rs_store_destroy(fx->store);
    free(fx);
    if (backend->finish)
        backend->finish();
    return 0;
}

static void check_run(void **state)
{
    struct fixture *fx = *state;

    fx->check->run(fx->store);
}

size_t rs_store_checks(const struct rs_store_backend *b,
                       struct CMUnitTest *tests)
{
    _Static_assert(CHECK_COUNT <= RS_STORE_CHECKS_MAX, "too many checks");
    backend = b;
    for (size_t i = 0; i < CHECK_COUNT; i++) {
        snprintf(names[i], sizeof(names[i]), "test_store_%s_%s", b->name,
                 checks[i].name);
        memset(&tests[i], 0, sizeof(tests[i]));
        tests[i].name = names[i];
        tests[i].test_func = check_run;
        tests[i].setup_func = check_setup;
        tests[i].teardown_func = check_teardown;
        tests[i].initial_state = (void *)(uintptr_t)&checks[i];
    }
    return CHECK_COUNT;
}
