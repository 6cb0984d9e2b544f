/* Customer cache: chained hash table + LRU list + dirty list (cache.h). */
#include "riskstream/cache.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

/* The links first and the customer (its id first) right after them: a
 * lookup reads one or two adjacent cache lines per entry probed, not the
 * links at the far end of a 5 kB customer and its id at the start. */
struct rs_cache_entry {
    uint64_t hash;
    struct rs_cache_entry *chain;
    struct rs_cache_entry *lru_prev;
    struct rs_cache_entry *lru_next;
    int dirty;
    int flushing; /* taken by the flush under way (cache.h) */
    int pinned;   /* never evicted: off the LRU list for good */
    struct rs_customer customer;
};

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s)
        h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
    return h;
}

uint64_t rs_cache_hash(const char *id)
{
    return hash_id(id);
}

void rs_cache_prefetch(const struct rs_cache *cache, uint64_t h, int step)
{
    struct rs_cache_entry *const *b = &cache->buckets[h & (cache->nbuckets - 1)];
    const struct rs_cache_entry *e;

    if (step == 0) {
        __builtin_prefetch(b);
        return;
    }
    if (step == 1) {
        /* The bucket's first entry, without reading it: with twice as
         * many buckets as entries it is nearly always the one. */
        if ((e = *b))
            for (size_t off = 0; off < sizeof(*e); off += 64)
                __builtin_prefetch((const char *)e + off);
        return;
    }
    for (e = *b; e && e->hash != h; e = e->chain)
        ;
    if (!e)
        return;
    if (e->customer.dstate) {
        __builtin_prefetch(e->customer.dstate);
        __builtin_prefetch((const char *)e->customer.dstate + 64);
        __builtin_prefetch((const char *)e->customer.dstate + 128);
    }
    if (e->customer.dcache)
        __builtin_prefetch(e->customer.dcache);
    /* The first open invoices' numbers, which the index reads. */
    for (uint32_t i = 0; i < e->customer.open_count && i < 3; i++)
        __builtin_prefetch(&e->customer.open[i]);
    if (e->customer.settled)
        __builtin_prefetch(e->customer.settled);
}

static struct rs_cache_entry *entry_of(struct rs_customer *c)
{
    return (struct rs_cache_entry *)(void *)((char *)c -
                                             offsetof(struct rs_cache_entry,
                                                      customer));
}

void rs_cache_init(struct rs_cache *cache, size_t max)
{
    memset(cache, 0, sizeof(*cache));
    cache->max = max ? max : 1;
    /* At least twice the cap: a lookup walks fewer entries that are not
     * the one asked for (each a cache miss). */
    cache->nbuckets = 64;
    while (cache->nbuckets < 2 * cache->max && cache->nbuckets < (1u << 26))
        cache->nbuckets <<= 1;
    cache->buckets = rs_calloc(cache->nbuckets, sizeof(*cache->buckets));
}

void rs_cache_release(struct rs_cache *cache)
{
    /* Through the buckets: dirty entries are not on the LRU list. */
    for (size_t b = 0; cache->buckets && b < cache->nbuckets; b++) {
        struct rs_cache_entry *e = cache->buckets[b];

        while (e) {
            struct rs_cache_entry *next = e->chain;

            rs_customer_release(&e->customer);
            free(e);
            e = next;
        }
    }
    free(cache->buckets);
    free(cache->dirty);
    free(cache->flushing);
    memset(cache, 0, sizeof(*cache));
}

/* Only clean, unpinned entries are on the LRU list: the evictable ones. */
static int on_lru(const struct rs_cache_entry *e)
{
    return !e->dirty && !e->flushing && !e->pinned;
}

static void lru_unlink(struct rs_cache *cache, struct rs_cache_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        cache->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        cache->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(struct rs_cache *cache, struct rs_cache_entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = cache->lru_head;
    if (cache->lru_head)
        cache->lru_head->lru_prev = e;
    cache->lru_head = e;
    if (!cache->lru_tail)
        cache->lru_tail = e;
}

struct rs_customer *rs_cache_get(struct rs_cache *cache, const char *id)
{
    uint64_t h = hash_id(id);
    struct rs_cache_entry *e = cache->buckets[h & (cache->nbuckets - 1)];

    for (; e; e = e->chain) {
        if (e->hash == h && strcmp(e->customer.id, id) == 0) {
            if (on_lru(e) && cache->lru_head != e) {
                lru_unlink(cache, e);
                lru_push_front(cache, e);
            }
            cache->hits++;
            return &e->customer;
        }
    }
    cache->misses++;
    return NULL;
}

static void evict(struct rs_cache *cache, struct rs_cache_entry *e)
{
    struct rs_cache_entry **pp = &cache->buckets[e->hash & (cache->nbuckets - 1)];

    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    lru_unlink(cache, e);
    rs_customer_release(&e->customer);
    free(e);
    cache->count--;
    cache->evictions++;
}

/* Evicts from the LRU end until count < limit, or until fewer than half
 * the cap are clean: the LRU list holds the clean entries only, so each
 * step evicts one. Dirty entries (which only a flush frees) never squeeze
 * the clean ones below half the cap: a batch just loaded for the next
 * records or timers stays until they use it. */
static void shrink(struct rs_cache *cache, size_t limit)
{
    size_t held = cache->dirty_count + cache->flushing_count;

    while (cache->lru_tail && cache->count >= limit &&
           cache->count >= held + cache->max / 2)
        evict(cache, cache->lru_tail);
}

struct rs_customer *rs_cache_put(struct rs_cache *cache, const char *id)
{
    struct rs_cache_entry *e;
    size_t b;

    if (cache->count >= cache->max)
        shrink(cache, cache->max);
    e = rs_calloc(1, sizeof(*e));
    rs_customer_init(&e->customer, id);
    e->hash = hash_id(id);
    b = e->hash & (cache->nbuckets - 1);
    e->chain = cache->buckets[b];
    cache->buckets[b] = e;
    lru_push_front(cache, e);
    cache->count++;
    return &e->customer;
}

void rs_cache_mark_dirty(struct rs_cache *cache, struct rs_customer *c)
{
    struct rs_cache_entry *e = entry_of(c);

    if (e->dirty)
        return;
    /* Off the LRU list until the flush cleans it: evictions then never
     * walk past dirty entries (a put used to, once per put, when the
     * cache was full of them). */
    if (on_lru(e))
        lru_unlink(cache, e);
    e->dirty = 1;
    rs_grow((void **)&cache->dirty, &cache->dirty_cap, cache->dirty_count + 1,
            sizeof(*cache->dirty));
    cache->dirty[cache->dirty_count++] = c;
}

void rs_cache_pin(struct rs_cache *cache, struct rs_customer *c)
{
    struct rs_cache_entry *e = entry_of(c);

    if (e->pinned)
        return;
    if (on_lru(e))
        lru_unlink(cache, e);
    e->pinned = 1;
}

void rs_cache_flush_end(struct rs_cache *cache)
{
    for (size_t i = 0; i < cache->flushing_count; i++) {
        struct rs_cache_entry *e = entry_of(cache->flushing[i]);

        e->flushing = 0;
        if (on_lru(e))
            lru_push_front(cache, e);
    }
    cache->flushing_count = 0;
    if (cache->count > cache->max)
        shrink(cache, cache->max + 1);
}

void rs_cache_flush_begin(struct rs_cache *cache)
{
    struct rs_customer **v;
    size_t cap;

    if (cache->flushing_count) /* a flush ends before the next begins */
        rs_cache_flush_end(cache);
    v = cache->flushing;
    cap = cache->flushing_cap;
    for (size_t i = 0; i < cache->dirty_count; i++) {
        struct rs_cache_entry *e = entry_of(cache->dirty[i]);

        e->dirty = 0;
        e->flushing = 1;
    }
    cache->flushing = cache->dirty;
    cache->flushing_count = cache->dirty_count;
    cache->flushing_cap = cache->dirty_cap;
    cache->dirty = v;
    cache->dirty_cap = cap;
    cache->dirty_count = 0;
}

void rs_cache_trim(struct rs_cache *cache)
{
    if (!cache->dirty_count) {
        free(cache->dirty);
        cache->dirty = NULL;
        cache->dirty_cap = 0;
    }
    if (!cache->flushing_count) {
        free(cache->flushing);
        cache->flushing = NULL;
        cache->flushing_cap = 0;
    }
}

void rs_cache_clean(struct rs_cache *cache)
{
    rs_cache_flush_begin(cache);
    rs_cache_flush_end(cache);
}
