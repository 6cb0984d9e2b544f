/* The timer heap: firing order, and the due timers listed for a batch
 * load of their customers. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/timers.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_timers_pop_in_time_then_id_order(void **state)
{
    struct rs_timers t;
    const int64_t at[] = {50, 10, 30, 10, 70, 20};
    const char *id[] = {"e", "b", "d", "a", "f", "c"};

    (void)state;
    rs_timers_init(&t);
    for (int i = 0; i < 6; i++)
        rs_timers_push(&t, at[i], id[i], strlen(id[i]));
    for (int i = 0; i < 6; i++) {
        char want[2] = {(char)('a' + i), '\0'};

        assert_string_equal(rs_timer_id(rs_timers_peek(&t)), want);
        rs_timers_pop(&t);
    }
    assert_null(rs_timers_peek(&t));
    rs_timers_release(&t);
}

/* Pushes and pops mixed, with many ties in time: every pop takes the
 * least (time, then id) of what is held, as a sorted list says. */
static void test_timers_pop_least_of_many(void **state)
{
    enum { N = 4000 };
    struct rs_timers t;
    static int64_t held_at[N];
    static char held_id[N][12];
    size_t held = 0;
    unsigned seed = 7;

    (void)state;
    rs_timers_init(&t);
    for (int round = 0; round < 3 * N; round++) {
        seed = seed * 1103515245u + 12345u;
        if (held < N && (held == 0 || (seed >> 16) % 3)) {
            int64_t at = (int64_t)((seed >> 8) % 50); /* ties galore */
            char id[12];

            snprintf(id, sizeof(id), "C%u", (seed >> 4) % 997);
            rs_timers_push(&t, at, id, strlen(id));
            held_at[held] = at;
            memcpy(held_id[held], id, sizeof(id));
            held++;
        } else {
            size_t best = 0;
            const struct rs_timer *top = rs_timers_peek(&t);

            for (size_t i = 1; i < held; i++)
                if (held_at[i] < held_at[best] ||
                    (held_at[i] == held_at[best] &&
                     strcmp(held_id[i], held_id[best]) < 0))
                    best = i;
            assert_non_null(top);
            assert_int_equal(top->at, held_at[best]);
            assert_string_equal(rs_timer_id(top), held_id[best]);
            rs_timers_pop(&t);
            held--;
            held_at[best] = held_at[held];
            memcpy(held_id[best], held_id[held], sizeof(held_id[0]));
        }
        assert_int_equal(t.count, held);
    }
    rs_timers_release(&t);
}

/* rs_timers_due lists exactly the timers due by then, whatever their place
 * in the heap, and no more than asked: the first ones to fire. */
static void test_timers_due(void **state)
{
    struct rs_timers t;
    const char *ids[1000];
    char want[1000][16];
    size_t n, w = 0;

    (void)state;
    rs_timers_init(&t);
    srand(7);
    for (int i = 0; i < 1000; i++) {
        char id[16];
        int64_t at = rand() % 1000;

        snprintf(id, sizeof(id), "c%04d", i);
        rs_timers_push(&t, at, id, strlen(id));
        if (at <= 299)
            snprintf(want[w++], sizeof(want[0]), "%s", id);
    }
    n = rs_timers_due(&t, 299, ids, 1000);
    assert_int_equal(n, w);
    qsort(ids, n, sizeof(ids[0]), cmp_str);
    for (size_t i = 0; i < n; i++) /* want is in id order already */
        assert_string_equal(ids[i], want[i]);
    /* A batch smaller than what is due is the head of the firing order. */
    n = rs_timers_due(&t, 299, ids, 5);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) /* the pointers go with the pops */
        snprintf(want[i], sizeof(want[0]), "%s", ids[i]);
    for (size_t i = 0; i < n; i++) {
        const struct rs_timer *top = rs_timers_peek(&t);

        assert_non_null(top);
        assert_string_equal(want[i], rs_timer_id(top));
        rs_timers_pop(&t);
    }
    assert_int_equal(rs_timers_due(&t, -1, ids, 1000), 0);
    rs_timers_release(&t);
}

struct pair {
    int64_t at;
    char id[64];
};

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;

    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Ids of every length, short ones kept in the entry and long ones (24
 * bytes and more) in a string of their own, many sharing their first 8
 * bytes and more: the firing order is still (time, id) as strcmp and
 * Redis order them, the listed ids are whole, and the entries left at
 * release free their strings (the sanitizer build checks). */
static void test_timers_long_ids(void **state)
{
    static struct pair want[600];
    struct rs_timers t;
    const char *ids[600];
    size_t n;

    (void)state;
    rs_timers_init(&t);
    srand(11);
    for (int i = 0; i < 600; i++) {
        int len = 1 + rand() % 63;

        want[i].at = rand() % 50;
        for (int k = 0; k < len; k++) /* "CUSTOMER-..." mostly */
            want[i].id[k] = k < 9 && rand() % 8 ? "CUSTOMER-"[k]
                                                : (char)('0' + rand() % 3);
        want[i].id[len] = '\0';
        rs_timers_push(&t, want[i].at, want[i].id, strlen(want[i].id));
    }
    qsort(want, 600, sizeof(want[0]), cmp_pair);
    n = rs_timers_due(&t, 9, ids, 600);
    for (size_t i = 0; i < n; i++)
        assert_true(strlen(ids[i]) >= 1 && strlen(ids[i]) <= 63);
    for (int i = 0; i < 500; i++) {
        const struct rs_timer *top = rs_timers_peek(&t);

        assert_non_null(top);
        assert_true(top->at == want[i].at);
        assert_string_equal(rs_timer_id(top), want[i].id);
        rs_timers_pop(&t);
    }
    assert_int_equal(t.count, 100);
    rs_timers_release(&t);
}

#define DAY 86400000LL

/* The calendar queue against a sorted list: pushes and pops mixed, on
 * day starts mostly (ties galore) and at any millisecond, some on the
 * day being read or before it (they go to its small heap), ids long and
 * short. Every pop is the least (time, then id) held; every listing of
 * the due ones is the head of that order, across days. */
static void test_timerq_against_sorted_list(void **state)
{
    enum { N = 3000 };
    static struct pair held[N];
    struct rs_timerq q;
    size_t count = 0;
    int64_t now = 10 * DAY;
    unsigned seed = 3;

    (void)state;
    rs_timerq_init(&q);
    for (int round = 0; round < 8 * N; round++) {
        seed = seed * 1103515245u + 12345u;
        if (count < N && (count == 0 || (seed >> 16) % 5 < 3)) {
            struct pair *e = &held[count++];
            unsigned r = seed >> 8;
            /* Days ahead of now mostly; now's day and earlier too. */
            int64_t day = now / DAY - 1 + (int64_t)(r % 9);

            e->at = r % 4 ? day * DAY : day * DAY + (int64_t)(r % 86400000);
            if (e->at < now - DAY)
                e->at = now - DAY;
            if (r % 7 == 0)
                snprintf(e->id, sizeof(e->id),
                         "CUSTOMER-WITH-A-LONG-ID-%u", (r >> 4) % 50);
            else
                snprintf(e->id, sizeof(e->id), "C%u", (r >> 4) % 500);
            rs_timerq_push(&q, e->at, e->id, strlen(e->id));
        } else if ((seed >> 16) % 5 == 3) {
            const char *ids[64];
            size_t n, m = 1 + (seed >> 20) % 64;
            int64_t upto = now + (int64_t)((seed >> 4) % 3) * DAY;

            qsort(held, count, sizeof(held[0]), cmp_pair);
            n = rs_timerq_due(&q, upto, ids, m);
            for (size_t i = 0; i < n; i++) {
                assert_true(held[i].at <= upto);
                assert_string_equal(ids[i], held[i].id);
            }
            assert_true(n == m || n == count || held[n].at > upto);
        } else {
            const struct rs_timer *top = rs_timerq_peek(&q);

            qsort(held, count, sizeof(held[0]), cmp_pair);
            assert_non_null(top);
            assert_true(top->at == held[0].at);
            assert_string_equal(rs_timer_id(top), held[0].id);
            if (top->at > now)
                now = top->at;
            rs_timerq_pop(&q);
            memmove(held, held + 1, --count * sizeof(held[0]));
        }
        assert_int_equal(q.count, count);
    }
    while (count) {
        const struct rs_timer *top = rs_timerq_peek(&q);

        qsort(held, count, sizeof(held[0]), cmp_pair);
        assert_non_null(top);
        assert_string_equal(rs_timer_id(top), held[0].id);
        rs_timerq_pop(&q);
        memmove(held, held + 1, --count * sizeof(held[0]));
    }
    assert_null(rs_timerq_peek(&q));
    /* Released with timers still held: the sanitizer build checks that
     * their strings are freed. */
    rs_timerq_push(&q, 5 * DAY, "CUSTOMER-WITH-A-LONG-ID-1", 25);
    rs_timerq_push(&q, 6 * DAY, "CUSTOMER-WITH-A-LONG-ID-2", 25);
    rs_timerq_push(&q, 5 * DAY + 1, "CUSTOMER-WITH-A-LONG-ID-3", 25);
    rs_timerq_release(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_pop_in_time_then_id_order),
        cmocka_unit_test(test_timers_pop_least_of_many),
        cmocka_unit_test(test_timers_due),
        cmocka_unit_test(test_timers_long_ids),
        cmocka_unit_test(test_timerq_against_sorted_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
