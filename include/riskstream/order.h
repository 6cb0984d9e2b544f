/* Event-time ordering across the four input partitions of a task.
 *
 * Each input partition has a FIFO queue of decoded items (offset order).
 * rs_order_next() picks the head with the smallest event time, ties broken
 * by topic (invoices, payments, bureau, communications), so replaying the
 * same data gives the same order. An item that failed to decode has no
 * event time and leaves as soon as it is at the head of its queue.
 *
 * When a queue is empty, the orderer cannot know what it would have held:
 * if its partition is not caught up (the consumer has not reached the end
 * of what the broker has), rs_order_next() waits (returns NULL); if it is
 * caught up, it waits at most max_wait_ms (default 0: not at all), then
 * goes on without it — like Kafka Streams' max.task.idle.ms.
 *
 * Items are fixed-size slots in a ring per queue (cap per queue, about
 * 1.5 kB each), made when the queue takes its first item; the caller
 * pauses a partition whose queue is full. Pure: no I/O, the caller
 * passes the monotonic time. */
#ifndef RS_ORDER_H
#define RS_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/event.h"

struct rs_order_item {
    int poison; /* 1: did not decode; see error_class and why */
    enum rs_error_class error_class;
    struct rs_event ev; /* valid when !poison; ev.offset always set */
    void *msg;          /* the caller's message handle (freed by caller) */
    uint64_t hint;      /* the caller's: its customer's cache hash, 0 = none */
    /* Last: read only for poison, so that the merge's reads of the
     * poison flag and the event time share a cache line. */
    char why[RS_MESSAGE_MAX];
};

/* Readies a slot for a record: not poison, no reason, no hint (the
 * decoder writes the event). Clears the few fields, not the slot's
 * 1.5 kB. */
static inline void rs_order_item_reset(struct rs_order_item *it, void *msg)
{
    it->poison = 0;
    it->error_class = (enum rs_error_class)0;
    it->why[0] = '\0';
    it->msg = msg;
    it->hint = 0;
}

struct rs_order_queue {
    struct rs_order_item *items;
    size_t cap;
    size_t head;
    size_t count;
    int caught_up;
    int64_t empty_since; /* monotonic ms when it became empty and caught up */
};

struct rs_order {
    struct rs_order_queue q[RS_EVENT_KINDS];
    int64_t max_wait_ms;
};

void rs_order_init(struct rs_order *o, size_t cap_per_queue,
                   int64_t max_wait_ms);
void rs_order_release(struct rs_order *o);

/* A free slot at the tail of the kind's queue, or NULL when full. Fill it
 * and call rs_order_commit(). */
struct rs_order_item *rs_order_slot(struct rs_order *o, enum rs_event_kind k);
void rs_order_commit(struct rs_order *o, enum rs_event_kind k);

/* Whether the kind's partition has been read to its end. */
void rs_order_caught_up(struct rs_order *o, enum rs_event_kind k,
                        int caught_up, int64_t now_ms);

/* The next item to process (its kind in *kind), or NULL to wait. The item
 * stays valid until rs_order_pop(). */
struct rs_order_item *rs_order_next(struct rs_order *o, int64_t now_ms,
                                    enum rs_event_kind *kind);
void rs_order_pop(struct rs_order *o, enum rs_event_kind k);

size_t rs_order_count(const struct rs_order *o, enum rs_event_kind k);

/* The kind's i-th queued item from the head (0: the head), or NULL. */
const struct rs_order_item *rs_order_at(const struct rs_order *o,
                                        enum rs_event_kind k, size_t i);

/* Like rs_order_at, for the caller's own fields (hint). */
struct rs_order_item *rs_order_ahead(struct rs_order *o,
                                     enum rs_event_kind k, size_t i);

/* Gives back the slots of the queues that are empty (made again at their
 * next item): for an input gone quiet. */
void rs_order_trim(struct rs_order *o);

#endif
