/* The customer cache: LRU eviction of clean customers only, growth past
 * the cap while everything is dirty, and back to the cap after a flush. */
#include "support.h"

#include <stdio.h>
#include <string.h>

#include "riskstream/cache.h"

static struct rs_customer *put(struct rs_cache *c, const char *id)
{
    struct rs_customer *x = rs_cache_put(c, id);

    assert_non_null(x);
    assert_string_equal(x->id, id);
    return x;
}

static void test_cache_evicts_clean_least_recently_used(void **state)
{
    struct rs_cache c;

    (void)state;
    rs_cache_init(&c, 3);
    put(&c, "a");
    put(&c, "b");
    put(&c, "c");
    assert_non_null(rs_cache_get(&c, "a")); /* a is now the most recent */
    put(&c, "d");                           /* evicts b, the least recent */
    assert_null(rs_cache_get(&c, "b"));
    assert_non_null(rs_cache_get(&c, "a"));
    assert_non_null(rs_cache_get(&c, "c"));
    assert_non_null(rs_cache_get(&c, "d"));
    assert_int_equal(c.count, 3);
    assert_int_equal(c.evictions, 1);
    rs_cache_release(&c);
}

static void test_cache_keeps_dirty_until_clean(void **state)
{
    struct rs_cache c;
    struct rs_customer *dirty[5];
    char id[8];

    (void)state;
    rs_cache_init(&c, 4);
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "d%d", i);
        dirty[i] = put(&c, id);
        rs_cache_mark_dirty(&c, dirty[i]);
        dirty[i]->invoices = (uint32_t)i + 1;
    }
    /* Everything dirty: the cache grows past its cap, nothing evicted. */
    assert_int_equal(c.count, 5);
    assert_int_equal(c.evictions, 0);
    put(&c, "x"); /* clean, and the only one that could go */
    put(&c, "y"); /* so x goes: the dirty ones stay, pointers valid */
    assert_null(rs_cache_get(&c, "x"));
    for (int i = 0; i < 5; i++)
        assert_int_equal(dirty[i]->invoices, (uint32_t)i + 1);
    assert_int_equal(c.count, 6);
    /* A flush wrote them: clean again, and the cache goes back to its cap,
     * the least recently used first (y, then d0 ...). */
    rs_cache_clean(&c);
    assert_int_equal(c.dirty_count, 0);
    assert_int_equal(c.count, 4);
    assert_null(rs_cache_get(&c, "y"));
    assert_null(rs_cache_get(&c, "d0"));
    assert_non_null(rs_cache_get(&c, "d4"));
    rs_cache_release(&c); /* frees every entry (ASan would say) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_evicts_clean_least_recently_used),
        cmocka_unit_test(test_cache_keeps_dirty_until_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
