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
    /* Clean ones (a batch just loaded, say) keep half the cap beside
     * them: x and y stay, z makes x, the least recent, go. The dirty ones
     * stay, their pointers valid. */
    put(&c, "x");
    put(&c, "y");
    assert_non_null(rs_cache_get(&c, "x"));
    assert_non_null(rs_cache_get(&c, "y")); /* now x is the least recent */
    put(&c, "z");
    assert_null(rs_cache_get(&c, "x"));
    assert_non_null(rs_cache_get(&c, "y"));
    for (int i = 0; i < 5; i++)
        assert_int_equal(dirty[i]->invoices, (uint32_t)i + 1);
    assert_int_equal(c.count, 7);
    assert_int_equal(c.evictions, 1);
    /* A flush wrote them: clean again, and the cache goes back to its cap,
     * the least recently used first (z, y, then d0 ...). */
    rs_cache_clean(&c);
    assert_int_equal(c.dirty_count, 0);
    assert_int_equal(c.count, 4);
    assert_null(rs_cache_get(&c, "z"));
    assert_null(rs_cache_get(&c, "d0"));
    assert_non_null(rs_cache_get(&c, "d4"));
    rs_cache_release(&c); /* frees every entry (ASan would say) */
}

/* A pinned customer (a segment record) is never evicted, clean or not. */
static void test_cache_pinned_stays(void **state)
{
    struct rs_cache c;
    struct rs_customer *seg;

    (void)state;
    rs_cache_init(&c, 2);
    seg = put(&c, "segment");
    rs_cache_pin(&c, seg);
    put(&c, "a");
    put(&c, "b");
    put(&c, "c");
    assert_non_null(rs_cache_get(&c, "segment"));
    assert_null(rs_cache_get(&c, "a"));
    rs_cache_mark_dirty(&c, seg);
    rs_cache_clean(&c);
    put(&c, "d");
    put(&c, "e");
    assert_ptr_equal(rs_cache_get(&c, "segment"), seg);
    assert_int_equal(c.count, 2);
    rs_cache_release(&c);
}

/* A flush written by another thread: from flush_begin to flush_end its
 * customers are neither dirty nor evictable (read back from the store
 * before the write landed, they would be stale); a flushing customer
 * changed meanwhile is dirty for the next flush. */
static void test_cache_keeps_flushing_until_end(void **state)
{
    struct rs_cache c;
    struct rs_customer *f0, *f1;

    (void)state;
    rs_cache_init(&c, 4);
    f0 = put(&c, "f0");
    f1 = put(&c, "f1");
    rs_cache_mark_dirty(&c, f0);
    rs_cache_mark_dirty(&c, f1);
    rs_cache_flush_begin(&c);
    assert_int_equal(c.dirty_count, 0);
    assert_int_equal(c.flushing_count, 2);
    assert_ptr_equal(c.flushing[0], f0);
    assert_ptr_equal(c.flushing[1], f1);
    put(&c, "a");
    put(&c, "b");
    put(&c, "c"); /* evicts a, not the flushing ones */
    put(&c, "d"); /* evicts b */
    assert_int_equal(c.evictions, 2);
    assert_ptr_equal(rs_cache_get(&c, "f0"), f0);
    assert_ptr_equal(rs_cache_get(&c, "f1"), f1);
    assert_null(rs_cache_get(&c, "a"));
    rs_cache_mark_dirty(&c, f1); /* changed while its flush is under way */
    assert_int_equal(c.dirty_count, 1);
    rs_cache_flush_end(&c);
    assert_int_equal(c.flushing_count, 0);
    assert_int_equal(c.dirty_count, 1);
    assert_ptr_equal(c.dirty[0], f1);
    /* Now f0 is clean and goes in its LRU turn; f1 stays, dirty. */
    put(&c, "e");
    put(&c, "g");
    put(&c, "h");
    assert_null(rs_cache_get(&c, "f0"));
    assert_ptr_equal(rs_cache_get(&c, "f1"), f1);
    rs_cache_flush_begin(&c);
    assert_int_equal(c.flushing_count, 1);
    rs_cache_flush_end(&c);
    assert_int_equal(c.count, 4);
    rs_cache_release(&c);
}

/* Trimming gives back the lists of changed customers only when empty; a
 * list in use stays, and the cache works on after a trim. */
static void test_cache_trim_keeps_lists_in_use(void **state)
{
    struct rs_cache c;
    struct rs_customer *a, *b;

    (void)state;
    rs_cache_init(&c, 4);
    a = put(&c, "a");
    b = put(&c, "b");
    rs_cache_mark_dirty(&c, a);
    rs_cache_flush_begin(&c);
    rs_cache_mark_dirty(&c, b);
    rs_cache_trim(&c); /* both lists hold one */
    assert_ptr_equal(c.flushing[0], a);
    assert_ptr_equal(c.dirty[0], b);
    rs_cache_flush_end(&c);
    rs_cache_trim(&c); /* the flushing list is empty now */
    assert_null(c.flushing);
    assert_int_equal(c.flushing_cap, 0);
    assert_ptr_equal(c.dirty[0], b);
    rs_cache_clean(&c);
    rs_cache_trim(&c);
    assert_null(c.dirty);
    assert_null(c.flushing);
    rs_cache_mark_dirty(&c, a);
    assert_int_equal(c.dirty_count, 1);
    rs_cache_flush_begin(&c);
    assert_ptr_equal(c.flushing[0], a);
    rs_cache_flush_end(&c);
    rs_cache_release(&c);
}

/* A prefetch hint reads, never changes: after every step of it, for
 * customers cached (one behind another in its bucket, one with detector
 * state out of line) and not, the counters are as they were and the
 * least recently used customer is still the one evicted next. */
static void test_cache_prefetch_changes_nothing(void **state)
{
    struct rs_cache c;
    struct rs_dstate ds;
    char first[16] = "", second[16] = "";
    const char *ids[5];

    (void)state;
    rs_cache_init(&c, 4);
    /* Two ids in one bucket: the second one put is first in the chain. */
    for (int i = 0; i < 1000 && !second[0]; i++) {
        char id[16];

        snprintf(id, sizeof(id), "x%d", i);
        if (!first[0])
            memcpy(first, id, sizeof(id));
        else if (((rs_cache_hash(id) ^ rs_cache_hash(first)) &
                  (c.nbuckets - 1)) == 0)
            memcpy(second, id, sizeof(id));
    }
    assert_true(second[0]);
    put(&c, first);
    put(&c, second);
    memset(&ds, 0, sizeof(ds));
    ds.v[0] = 7;
    rs_customer_dstate_set(put(&c, "a"), 3, &ds);
    ids[0] = first;
    ids[1] = second;
    ids[2] = "a";
    ids[3] = "absent";
    ids[4] = "";
    for (int step = 0; step < 3; step++)
        for (int i = 0; i < 5; i++)
            rs_cache_prefetch(&c, rs_cache_hash(ids[i]), step);
    assert_int_equal(c.hits, 0);
    assert_int_equal(c.misses, 0);
    assert_int_equal(c.count, 3);
    put(&c, "b");
    put(&c, "c"); /* the fifth: evicts the least recently put */
    assert_int_equal(c.evictions, 1);
    assert_null(rs_cache_get(&c, first));
    assert_non_null(rs_cache_get(&c, second));
    assert_int_equal(rs_customer_dstate(rs_cache_get(&c, "a"), 3)->v[0], 7);
    rs_cache_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_trim_keeps_lists_in_use),
        cmocka_unit_test(test_cache_evicts_clean_least_recently_used),
        cmocka_unit_test(test_cache_keeps_dirty_until_clean),
        cmocka_unit_test(test_cache_pinned_stays),
        cmocka_unit_test(test_cache_keeps_flushing_until_end),
        cmocka_unit_test(test_cache_prefetch_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
