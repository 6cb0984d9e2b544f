/* Event-time ordering across a task's four inputs. */
#include "support.h"

#include <stdio.h>
#include <string.h>

#include "riskstream/order.h"

static void push(struct rs_order *o, enum rs_event_kind k, int64_t t,
                 int64_t offset, int poison)
{
    struct rs_order_item *it = rs_order_slot(o, k);

    assert_non_null(it);
    memset(it, 0, sizeof(*it));
    it->poison = poison;
    it->ev.kind = k;
    it->ev.event_time = t;
    it->ev.offset = offset;
    rs_order_commit(o, k);
}

static void all_caught_up(struct rs_order *o, int64_t now)
{
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        rs_order_caught_up(o, (enum rs_event_kind)k, 1, now);
}

/* Pops everything available; returns "kind:offset" pairs as a string. */
static void drain(struct rs_order *o, int64_t now, char *out, size_t size)
{
    struct rs_order_item *it;
    enum rs_event_kind k;
    size_t n = 0;

    out[0] = '\0';
    while ((it = rs_order_next(o, now, &k))) {
        n += (size_t)snprintf(out + n, size - n, "%s%d:%lld", n ? " " : "",
                              (int)k, (long long)it->ev.offset);
        rs_order_pop(o, k);
    }
}

static void test_order_merges_by_event_time(void **state)
{
    struct rs_order o;
    char got[256];

    (void)state;
    rs_order_init(&o, 8, 0);
    push(&o, RS_EVENT_INVOICE, 100, 0, 0);
    push(&o, RS_EVENT_INVOICE, 300, 1, 0);
    push(&o, RS_EVENT_PAYMENT, 200, 0, 0);
    push(&o, RS_EVENT_COMM, 300, 0, 0);
    push(&o, RS_EVENT_BUREAU, 50, 0, 0);
    all_caught_up(&o, 0);
    drain(&o, 0, got, sizeof(got));
    /* Ties (300) go to the lower topic: invoices before communications. */
    assert_string_equal(got, "2:0 0:0 1:0 0:1 3:0");
    rs_order_release(&o);
}

static void test_order_keeps_offset_order_within_a_partition(void **state)
{
    struct rs_order o;
    char got[256];

    (void)state;
    rs_order_init(&o, 8, 0);
    push(&o, RS_EVENT_PAYMENT, 500, 7, 0);
    push(&o, RS_EVENT_PAYMENT, 100, 8, 0); /* out of order in its topic */
    all_caught_up(&o, 0);
    drain(&o, 0, got, sizeof(got));
    assert_string_equal(got, "1:7 1:8");
    rs_order_release(&o);
}

static void test_order_waits_for_input_not_caught_up(void **state)
{
    struct rs_order o;
    char got[256];

    (void)state;
    rs_order_init(&o, 8, 0);
    push(&o, RS_EVENT_INVOICE, 100, 0, 0);
    rs_order_caught_up(&o, RS_EVENT_INVOICE, 1, 0);
    rs_order_caught_up(&o, RS_EVENT_PAYMENT, 1, 0);
    rs_order_caught_up(&o, RS_EVENT_BUREAU, 1, 0);
    /* Communications have unread data: nothing may go yet. */
    drain(&o, 1000000, got, sizeof(got));
    assert_string_equal(got, "");
    push(&o, RS_EVENT_COMM, 50, 0, 0);
    rs_order_caught_up(&o, RS_EVENT_COMM, 1, 0);
    drain(&o, 1000000, got, sizeof(got));
    assert_string_equal(got, "3:0 0:0");
    rs_order_release(&o);
}

static void test_order_max_wait_for_caught_up_input(void **state)
{
    struct rs_order o;
    char got[256];

    (void)state;
    rs_order_init(&o, 8, 100);
    all_caught_up(&o, 1000);
    push(&o, RS_EVENT_INVOICE, 100, 0, 0);
    drain(&o, 1050, got, sizeof(got));
    assert_string_equal(got, ""); /* others empty for only 50 ms */
    drain(&o, 1100, got, sizeof(got));
    assert_string_equal(got, "0:0");
    rs_order_release(&o);
}

static void test_order_poison_leaves_at_once(void **state)
{
    struct rs_order o;
    char got[256];

    (void)state;
    rs_order_init(&o, 8, 0);
    push(&o, RS_EVENT_COMM, 0, 4, 1);
    push(&o, RS_EVENT_COMM, 900, 5, 0);
    push(&o, RS_EVENT_INVOICE, 100, 0, 0);
    all_caught_up(&o, 0);
    drain(&o, 0, got, sizeof(got));
    assert_string_equal(got, "3:4 0:0 3:5");
    rs_order_release(&o);
}

static void test_order_queue_cap(void **state)
{
    struct rs_order o;

    (void)state;
    rs_order_init(&o, 2, 0);
    push(&o, RS_EVENT_INVOICE, 1, 0, 0);
    push(&o, RS_EVENT_INVOICE, 2, 1, 0);
    assert_null(rs_order_slot(&o, RS_EVENT_INVOICE));
    assert_int_equal(rs_order_count(&o, RS_EVENT_INVOICE), 2);
    rs_order_release(&o);
}

/* rs_order_ahead is rs_order_at for the caller's own fields: the same
 * item, in a queue that wraps its ring, and none past the last. */
static void test_order_ahead_is_at(void **state)
{
    struct rs_order o;

    (void)state;
    rs_order_init(&o, 3, 0);
    push(&o, RS_EVENT_INVOICE, 1, 0, 0);
    push(&o, RS_EVENT_INVOICE, 2, 1, 0);
    rs_order_pop(&o, RS_EVENT_INVOICE);
    rs_order_pop(&o, RS_EVENT_INVOICE);
    for (int64_t off = 2; off < 5; off++) /* wraps */
        push(&o, RS_EVENT_INVOICE, off + 1, off, 0);
    for (size_t i = 0; i < 3; i++) {
        struct rs_order_item *it = rs_order_ahead(&o, RS_EVENT_INVOICE, i);

        assert_ptr_equal(it, rs_order_at(&o, RS_EVENT_INVOICE, i));
        assert_int_equal(it->ev.offset, 2 + (int64_t)i);
        it->hint = 42;
        assert_int_equal(rs_order_at(&o, RS_EVENT_INVOICE, i)->hint, 42);
    }
    assert_null(rs_order_ahead(&o, RS_EVENT_INVOICE, 3));
    assert_null(rs_order_ahead(&o, RS_EVENT_PAYMENT, 0));
    rs_order_release(&o);
}

/* A slot reused for a new record: whatever the last record left (a
 * poison flag, its reason, a hint) is gone, and the message is the new
 * one. */
static void test_order_item_reset_clears_the_last_record(void **state)
{
    struct rs_order_item it;
    int msg;

    (void)state;
    memset(&it, 0xAA, sizeof(it));
    rs_order_item_reset(&it, &msg);
    assert_int_equal(it.poison, 0);
    assert_int_equal(it.error_class, 0);
    assert_string_equal(it.why, "");
    assert_ptr_equal(it.msg, &msg);
    assert_int_equal(it.hint, 0);
}

/* A queue holds no slots until its first item, and gives them back when
 * trimmed empty; a queue with items keeps them, in order. Trimmed, the
 * orderer goes on as before (items made again, FIFO from the start). */
static void test_order_trim_gives_back_empty_queues(void **state)
{
    struct rs_order o;
    char got[256];

    (void)state;
    rs_order_init(&o, 4, 0);
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        assert_null(o.q[k].items);
    push(&o, RS_EVENT_INVOICE, 10, 0, 0);
    push(&o, RS_EVENT_INVOICE, 20, 1, 0);
    push(&o, RS_EVENT_PAYMENT, 15, 0, 0);
    all_caught_up(&o, 0);
    drain(&o, 0, got, sizeof(got));
    assert_string_equal(got, "0:0 1:0 0:1");
    push(&o, RS_EVENT_INVOICE, 30, 2, 0);
    push(&o, RS_EVENT_INVOICE, 40, 3, 0);
    push(&o, RS_EVENT_INVOICE, 50, 4, 0); /* wraps the ring */
    rs_order_trim(&o);
    assert_non_null(o.q[RS_EVENT_INVOICE].items); /* holds 3 */
    assert_null(o.q[RS_EVENT_PAYMENT].items);
    push(&o, RS_EVENT_PAYMENT, 35, 1, 0);
    drain(&o, 0, got, sizeof(got));
    assert_string_equal(got, "0:2 1:1 0:3 0:4");
    rs_order_trim(&o);
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        assert_null(o.q[k].items);
    push(&o, RS_EVENT_INVOICE, 60, 5, 0);
    drain(&o, 0, got, sizeof(got));
    assert_string_equal(got, "0:5");
    rs_order_release(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_trim_gives_back_empty_queues),
        cmocka_unit_test(test_order_ahead_is_at),
        cmocka_unit_test(test_order_item_reset_clears_the_last_record),
        cmocka_unit_test(test_order_merges_by_event_time),
        cmocka_unit_test(test_order_keeps_offset_order_within_a_partition),
        cmocka_unit_test(test_order_waits_for_input_not_caught_up),
        cmocka_unit_test(test_order_max_wait_for_caught_up_input),
        cmocka_unit_test(test_order_poison_leaves_at_once),
        cmocka_unit_test(test_order_queue_cap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
