/* The state store: where a task's customers, offsets, timers and outbox
 * live between commits. Two implementations: Redis (the daemon) and memory
 * (backtests and unit tests), behind one table of operations.
 *
 * A task is one partition number across the four co-partitioned input
 * topics. Everything of a task is written by one atomic flush that first
 * checks the task's fencing epoch: rs_store_open_task() bumps the epoch, so
 * an instance that lost the task (a zombie) can never overwrite it — its
 * flush returns RS_STORE_FENCED.
 *
 * The outbox holds exactly the records (alerts, dead letters) of the last
 * flush; they were, or are about to be, produced in the Kafka transaction
 * that commits meta.offsets. meta.prev_offsets are the offsets that
 * transaction started from, so recovery can tell whether Kafka saw it.
 *
 * Redis layout (prefix = redis.prefix, T = task number):
 *   P:{tT}:s             hash: customer -> packed state (whole, or the
 *                        head of a chunked one: customer.h)
 *   P:{tT}:c             hash: customer:k -> chunk k of a chunked state
 *   P:{tT}:sum           hash: customer -> readable summary (flat JSON)
 *   P:{tT}:meta          hash: epoch, o0..o3, p0..p3, st (stream time)
 *   P:{tT}:td:D          hash: customer -> milliseconds into day D of
 *                        its next timer (D: days since the epoch, UTC)
 *   P:{tT}:tdays         sorted set: the days D that may have a td:D
 *                        hash (member and score D); a flush drops the
 *                        days whose timers have all come up
 *   P:{tT}:timers        (before 2026-12-07) sorted set: customer -> next
 *                        timer; moved into td:D hashes when a task opens
 *   P:{tT}:outbox        string: encoded outbox records back to back
 *                        (outbox.h; a list of them before 2026-12-07)
 *
 * Ownership: the store copies what it keeps; callers own what they pass.
 * rs_store_meta_release() frees what open_task returned. */
#ifndef RS_STORE_H
#define RS_STORE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "riskstream/buf.h"
#include "riskstream/config.h"
#include "riskstream/event.h"

#define RS_NO_TIMER INT64_MAX
#define RS_NO_OFFSET (-1)

enum rs_store_result {
    RS_STORE_OK,
    RS_STORE_FENCED, /* another instance owns the task now */
    RS_STORE_ERROR,  /* see errstr; the store may be unreachable */
};

enum rs_outbox_topic {
    RS_OUTBOX_ALERTS = 0,
    RS_OUTBOX_DEADLETTER = 1,
    RS_OUTBOX_GROUP = 2, /* group relays: the bureau topic (detectors.md) */
};

struct rs_outbox_entry {
    enum rs_outbox_topic topic;
    uint8_t *key; /* customer id or original key; may be NULL */
    size_t key_len;
    uint8_t *value; /* encoded, framed Avro */
    size_t value_len;
};

struct rs_task_meta {
    uint64_t epoch; /* this instance's epoch, after the bump */
    int has_offsets; /* 0: the task was never flushed */
    int64_t offsets[RS_EVENT_KINDS]; /* next offset per input topic */
    int has_prev;
    int64_t prev_offsets[RS_EVENT_KINDS];
    int64_t stream_time;
    /* With timers_bounded: the latest timer the store held for the task
     * when it was opened, or a later time (the Redis store gives the end
     * of the last day it lists; INT64_MIN: none). Every later stored timer is
     * one the task's owner flushed since, so a task that keeps each timer
     * it sets needs to read stored timers only up to this time.
     * timers_bounded 0: not known, read them as far as the stream goes. */
    int timers_bounded;
    int64_t timers_last;
    struct rs_outbox_entry *outbox; /* owned; see rs_store_meta_release */
    size_t outbox_count;
};

/* Human-readable fields written beside the packed state, for HGETALL. */
struct rs_summary {
    int level; /* enum rs_level */
    int32_t score;
    int64_t open_amount;
    int64_t overdue_amount;
    double days_beyond_terms;
    int64_t last_event_time;
};

/* The summary as flat JSON appended to out: level, score, open_amount,
 * overdue_amount (minor units), days_beyond_terms (one decimal),
 * last_event_time (ISO-8601 with milliseconds). */
void rs_summary_json(struct rs_buf *out, const struct rs_summary *sm);

/* One chunk of a customer's open invoices to write (customer.h). */
struct rs_flush_chunk {
    uint32_t no;
    const uint8_t *data;
    size_t len;
};

struct rs_flush_customer {
    const char *id;
    /* The packed state: whole, or the head of a chunked one, written with
     * the chunks that changed and without the chunk numbers
     * [drop_from, drop_to) it no longer has. */
    const uint8_t *packed;
    size_t packed_len;
    const struct rs_flush_chunk *chunks;
    size_t chunk_count;
    uint32_t drop_from, drop_to;
    struct rs_summary summary; /* filled when the store's summaries is 1 */
    int64_t next_timer; /* RS_NO_TIMER: none */
    /* 1: the store holds next_timer for the customer already (the caller
     * knows from the last flush), and need not write it again. */
    int timer_unchanged;
    /* The timer the store held for the customer before this flush
     * (RS_NO_TIMER: none), which the Redis store removes from its day. A
     * wrong one leaves the old entry behind, which then comes back from
     * rs_store_timers() as a timer that is not the customer's (the engine
     * checks each against the customer's state) until its day is
     * dropped, a week after it passed. */
    int64_t stored_timer;
};

struct rs_flush {
    uint64_t epoch;
    const struct rs_flush_customer *customers;
    size_t customer_count;
    int64_t offsets[RS_EVENT_KINDS];
    int has_prev;
    int64_t prev_offsets[RS_EVENT_KINDS];
    int64_t stream_time;
    /* With has_fired_before: every timer the store holds for the task
     * before timers_fired_before has fired, or is no longer its
     * customer's (the engine's heap holds every stored timer up to its
     * horizon that has not come up). The store may then drop those
     * without being told customer by customer: the Redis store drops
     * whole days before it. */
    int has_fired_before;
    int64_t timers_fired_before;
    const struct rs_outbox_entry *outbox;
    size_t outbox_count;
};

/* Called for each timer found by rs_store_timers(). */
/* One state found by load_many: customer ids[index], its packed bytes. */
typedef void (*rs_store_loaded_cb)(void *opaque, size_t index,
                                   const void *packed, size_t len);

typedef void (*rs_store_timer_cb)(void *opaque, const char *customer,
                                  size_t customer_len, int64_t at);

struct rs_store_ops {
    const char *name;
    enum rs_store_result (*open_task)(void *self, int task,
                                      struct rs_task_meta *meta,
                                      char *errstr, size_t errstr_size);
    /* 1 found (packed filled), 0 not found, -1 error. */
    int (*load)(void *self, int task, const char *customer,
                struct rs_buf *packed, char *errstr, size_t errstr_size);
    /* Optional (NULL: the caller loads one by one): the stored states of
     * n customers at once, cb called for each one found, with its index
     * in ids. 0, or -1 with errstr. */
    int (*load_many)(void *self, int task, const char *const *ids, size_t n,
                     rs_store_loaded_cb cb, void *opaque, char *errstr,
                     size_t errstr_size);
    /* Timers with from < at <= to, in time order, at most max. Returns the
     * number found or -1. */
    long (*timers)(void *self, int task, int64_t from, int64_t to, long max,
                   rs_store_timer_cb cb, void *opaque, char *errstr,
                   size_t errstr_size);
    enum rs_store_result (*flush)(void *self, int task,
                                  const struct rs_flush *f, char *errstr,
                                  size_t errstr_size);
    void (*destroy)(void *self);
    /* Optional: gives back the buffers kept from one flush to the next
     * (as large as the largest flush so far). Not during a flush. */
    void (*trim)(void *self);
    /* 0, or the span (ms, counted from the epoch) in which the store
     * reads timers: a read up to the end of one costs no more than a read
     * of part of it, so callers round up to there (Redis: a day). */
    int64_t timer_span;
};

struct rs_store {
    const struct rs_store_ops *ops;
    void *self;
    /* 1: the store writes each flushed customer's summary (redis.summary),
     * so the caller fills rs_flush_customer.summary; 0: it is not read. */
    int summaries;
};

/* Redis store over redis.* settings; NULL with errstr if unreachable. */
struct rs_store *rs_store_redis_new(const struct rs_config *conf,
                                    char *errstr, size_t errstr_size);
/* In-memory store with the same semantics (fencing included). */
struct rs_store *rs_store_memory_new(void);
void rs_store_destroy(struct rs_store *s);

static inline enum rs_store_result
rs_store_open_task(struct rs_store *s, int task, struct rs_task_meta *meta,
                   char *errstr, size_t errstr_size)
{
    return s->ops->open_task(s->self, task, meta, errstr, errstr_size);
}

static inline int rs_store_load(struct rs_store *s, int task,
                                const char *customer, struct rs_buf *packed,
                                char *errstr, size_t errstr_size)
{
    return s->ops->load(s->self, task, customer, packed, errstr, errstr_size);
}

/* See rs_store_ops.load_many; -1 with errstr also when the store has no
 * load_many (check rs_store_can_load_many first). */
static inline int rs_store_can_load_many(const struct rs_store *s)
{
    return s->ops->load_many != NULL;
}

static inline int rs_store_load_many(struct rs_store *s, int task,
                                     const char *const *ids, size_t n,
                                     rs_store_loaded_cb cb, void *opaque,
                                     char *errstr, size_t errstr_size)
{
    if (!s->ops->load_many) {
        snprintf(errstr, errstr_size, "store '%s' cannot load many at once",
                 s->ops->name);
        return -1;
    }
    return s->ops->load_many(s->self, task, ids, n, cb, opaque, errstr,
                             errstr_size);
}

static inline long rs_store_timers(struct rs_store *s, int task, int64_t from,
                                   int64_t to, long max, rs_store_timer_cb cb,
                                   void *opaque, char *errstr,
                                   size_t errstr_size)
{
    return s->ops->timers(s->self, task, from, to, max, cb, opaque, errstr,
                          errstr_size);
}

static inline enum rs_store_result rs_store_flush(struct rs_store *s, int task,
                                                  const struct rs_flush *f,
                                                  char *errstr,
                                                  size_t errstr_size)
{
    return s->ops->flush(s->self, task, f, errstr, errstr_size);
}

/* See rs_store_ops.trim; nothing for a store without one (or NULL). */
static inline void rs_store_trim(struct rs_store *s)
{
    if (s && s->ops->trim)
        s->ops->trim(s->self);
}

void rs_store_meta_release(struct rs_task_meta *meta);

#endif
