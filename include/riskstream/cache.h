/* A bounded cache of customer states, keyed by customer id, with LRU
 * eviction of clean entries and a list of dirty ones (write-behind).
 *
 * Dirty customers are never evicted: they leave the LRU list when they
 * become dirty and come back (most recently used) when a flush wrote
 * them, so an eviction is one step whatever the number of dirty ones.
 * Dirty ones do not squeeze out clean ones below half the cap (a batch
 * loaded for the next records or timers must stay until they use it), so
 * the cache grows past its cap by its dirty customers until the next
 * flush; the runner commits early when the dirty count passes the cap.
 *
 * A flush can be written by another thread while this one goes on: from
 * rs_cache_flush_begin() to rs_cache_flush_end() the customers it took are
 * "flushing": off the LRU list like dirty ones, so none is evicted (and
 * read back from the store, stale) before its write landed. A flushing
 * customer changed meanwhile is dirty again, for the next flush.
 *
 * Ownership: the cache owns its customers; pointers stay valid until the
 * customer is evicted (only in rs_cache_put, rs_cache_flush_end and
 * rs_cache_clean) or the cache
 * is released. */
#ifndef RS_CACHE_H
#define RS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/customer.h"

struct rs_cache_entry;

struct rs_cache {
    struct rs_cache_entry **buckets;
    size_t nbuckets;
    size_t count;
    size_t max;
    struct rs_cache_entry *lru_head; /* most recently used */
    struct rs_cache_entry *lru_tail;
    struct rs_customer **dirty;
    size_t dirty_count;
    size_t dirty_cap;
    struct rs_customer **flushing; /* taken by the flush under way */
    size_t flushing_count;
    size_t flushing_cap;
    uint64_t hits, misses, evictions;
};

void rs_cache_init(struct rs_cache *cache, size_t max);
void rs_cache_release(struct rs_cache *cache);

/* The cached customer, marked most recently used, or NULL. */
struct rs_customer *rs_cache_get(struct rs_cache *cache, const char *id);

/* id's hash, as the cache keys it (for rs_cache_prefetch). */
uint64_t rs_cache_hash(const char *id);

/* Starts loading what looking up and using the customer of hash h will
 * read, so that the loads of records a few places ahead overlap: step 0
 * its bucket, step 1 (once step 0's load has arrived) its entry, step 2
 * (once step 1's has) the parts the customer holds out of line. Changes
 * nothing, misses nothing: a customer not cached is not found. */
void rs_cache_prefetch(const struct rs_cache *cache, uint64_t h, int step);

/* Adds an initialised, empty customer for id (which must not be cached)
 * and returns it; may evict clean least-recently-used customers first. */
struct rs_customer *rs_cache_put(struct rs_cache *cache, const char *id);

void rs_cache_mark_dirty(struct rs_cache *cache, struct rs_customer *c);

/* Keeps c cached for good (never evicted): for the few records read at
 * every evaluation of many customers (segment records), which a small
 * cache would otherwise evict and reload all the time. */
void rs_cache_pin(struct rs_cache *cache, struct rs_customer *c);

/* A flush takes the dirty customers: they become flushing, the dirty list
 * empty. The flushing list (the customers to write) is cache->flushing. */
void rs_cache_flush_begin(struct rs_cache *cache);

/* The flush landed: flushing customers not dirty again are clean; evicts
 * down to max. */
void rs_cache_flush_end(struct rs_cache *cache);

/* Both at once, for a flush written in between by the caller. */
void rs_cache_clean(struct rs_cache *cache);

/* Gives back the lists of changed customers when they are empty and no
 * flush holds any (they grow to a backlog commit's customers). */
void rs_cache_trim(struct rs_cache *cache);

#endif
