/* Event-time merge of a task's four input queues (order.h). */
#include "riskstream/order.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

void rs_order_init(struct rs_order *o, size_t cap_per_queue,
                   int64_t max_wait_ms)
{
    memset(o, 0, sizeof(*o));
    o->max_wait_ms = max_wait_ms;
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        o->q[k].cap = cap_per_queue; /* items: made at the first slot */
        o->q[k].empty_since = -1;
    }
}

void rs_order_release(struct rs_order *o)
{
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        free(o->q[k].items);
    memset(o, 0, sizeof(*o));
}

void rs_order_trim(struct rs_order *o)
{
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        struct rs_order_queue *q = &o->q[k];

        if (q->count)
            continue;
        free(q->items);
        q->items = NULL;
        q->head = 0;
    }
}

struct rs_order_item *rs_order_slot(struct rs_order *o, enum rs_event_kind k)
{
    struct rs_order_queue *q = &o->q[k];

    if (q->count == q->cap)
        return NULL;
    if (!q->items) /* not made yet, or given back by rs_order_trim */
        q->items = rs_calloc(q->cap, sizeof(*q->items));
    return &q->items[(q->head + q->count) % q->cap];
}

void rs_order_commit(struct rs_order *o, enum rs_event_kind k)
{
    o->q[k].count++;
    o->q[k].empty_since = -1;
}

void rs_order_caught_up(struct rs_order *o, enum rs_event_kind k,
                        int caught_up, int64_t now_ms)
{
    struct rs_order_queue *q = &o->q[k];

    if (caught_up && !q->caught_up)
        q->empty_since = now_ms;
    q->caught_up = caught_up;
}

struct rs_order_item *rs_order_next(struct rs_order *o, int64_t now_ms,
                                    enum rs_event_kind *kind)
{
    struct rs_order_item *best = NULL;
    int best_k = -1;

    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        struct rs_order_queue *q = &o->q[k];
        struct rs_order_item *head;

        if (q->count == 0) {
            if (!q->caught_up)
                return NULL; /* data is on its way: wait for it */
            if (q->empty_since < 0)
                q->empty_since = now_ms;
            if (now_ms - q->empty_since < o->max_wait_ms)
                return NULL;
            continue;
        }
        head = &q->items[q->head];
        if (head->poison) {
            *kind = (enum rs_event_kind)k;
            return head;
        }
        if (!best || head->ev.event_time < best->ev.event_time) {
            best = head;
            best_k = k;
        }
    }
    if (best)
        *kind = (enum rs_event_kind)best_k;
    return best;
}

void rs_order_pop(struct rs_order *o, enum rs_event_kind k)
{
    struct rs_order_queue *q = &o->q[k];

    if (!q->count)
        return;
    q->head = (q->head + 1) % q->cap;
    q->count--;
}

size_t rs_order_count(const struct rs_order *o, enum rs_event_kind k)
{
    return o->q[k].count;
}

struct rs_order_item *rs_order_ahead(struct rs_order *o,
                                     enum rs_event_kind k, size_t i)
{
    struct rs_order_queue *q = &o->q[k];

    return i < q->count ? &q->items[(q->head + i) % q->cap] : NULL;
}

const struct rs_order_item *rs_order_at(const struct rs_order *o,
                                        enum rs_event_kind k, size_t i)
{
    const struct rs_order_queue *q = &o->q[k];

    return i < q->count ? &q->items[(q->head + i) % q->cap] : NULL;
}
