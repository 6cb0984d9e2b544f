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

        assert_string_equal(rs_timers_peek(&t)->id, want);
        rs_timers_pop(&t);
    }
    assert_null(rs_timers_peek(&t));
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
        assert_string_equal(want[i], top->id);
        rs_timers_pop(&t);
    }
    assert_int_equal(rs_timers_due(&t, -1, ids, 1000), 0);
    rs_timers_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_pop_in_time_then_id_order),
        cmocka_unit_test(test_timers_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
