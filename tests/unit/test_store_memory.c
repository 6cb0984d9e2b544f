/* The in-memory store: the shared store behaviour checks (store_checks.c),
 * plus what only the memory store promises: no per-operation cost that
 * grows with the number of customers, which backtests rely on. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "riskstream/mem.h"
#include "riskstream/store.h"
#include "store_checks.h"

static struct rs_store *make_memory(void)
{
    return rs_store_memory_new();
}

static const struct rs_store_backend memory_backend = {
    .name = "memory",
    .make = make_memory,
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count_timer(void *opaque, const char *customer,
                        size_t customer_len, int64_t at)
{
    (void)customer;
    (void)customer_len;
    (void)at;
    (*(long *)opaque)++;
}

/* Time of flushing `batch` customers into a task of `existing` customers
 * that all have timers, plus loads and a small timers query. */
static double batch_time(int existing, int batch)
{
    struct rs_store *s = rs_store_memory_new();
    struct rs_flush_customer *c = rs_calloc((size_t)existing,
                                            sizeof(*c));
    char (*ids)[16] = rs_calloc((size_t)existing, sizeof(*ids));
    struct rs_task_meta m;
    struct rs_flush f;
    struct rs_buf b;
    char errstr[256];
    double t0;
    long hits = 0;

    rs_check_open(s, 0, &m);
    memset(&f, 0, sizeof(f));
    f.epoch = m.epoch;
    rs_store_meta_release(&m);
    for (int i = 0; i < existing; i++) {
        snprintf(ids[i], sizeof(ids[i]), "c%d", i);
        c[i].id = ids[i];
        c[i].packed = (const uint8_t *)ids[i];
        c[i].packed_len = strlen(ids[i]);
        c[i].next_timer = (int64_t)i * 7919 % existing * 1000;
    }
    f.customers = c;
    f.customer_count = (size_t)existing;
    assert_int_equal(rs_store_flush(s, 0, &f, errstr, sizeof(errstr)),
                     RS_STORE_OK);

    rs_buf_init(&b, 0);
    t0 = now_s();
    for (int i = 0; i < batch; i++)
        c[i].next_timer += 500; /* every timer moves */
    f.customer_count = (size_t)batch;
    assert_int_equal(rs_store_flush(s, 0, &f, errstr, sizeof(errstr)),
                     RS_STORE_OK);
    for (int i = 0; i < batch; i++)
        assert_int_equal(rs_store_load(s, 0, ids[i], &b, errstr,
                                       sizeof(errstr)),
                         1);
    for (int i = 0; i < batch; i++)
        assert_true(rs_store_timers(s, 0, (int64_t)i * 1000,
                                    (int64_t)i * 1000 + 999, 4, count_timer,
                                    &hits, errstr, sizeof(errstr)) >= 0);
    t0 = now_s() - t0;
    assert_true(hits > 0);
    rs_buf_release(&b);
    rs_store_destroy(s);
    free(c);
    free(ids);
    return t0;
}

/* The same batch of work costs about the same against 10k and 400k stored
 * customers (a linear cost would make it 40 times slower). */
static void test_store_memory_scales_with_customers(void **state)
{
    double small, large;

    (void)state;
    small = batch_time(10000, 5000);
    large = batch_time(400000, 5000);
    print_message("5000 flushes+loads+queries: %.2f ms with 10k customers, "
                  "%.2f ms with 400k\n",
                  small * 1e3, large * 1e3);
    assert_true(large < small * 8 + 0.05);
}

int main(void)
{
    struct CMUnitTest tests[RS_STORE_CHECKS_MAX + 1];
    size_t n = rs_store_checks(&memory_backend, tests);

    tests[n++] = (struct CMUnitTest)cmocka_unit_test(
        test_store_memory_scales_with_customers);
    return _cmocka_run_group_tests("store_memory", tests, n, NULL, NULL);
}
