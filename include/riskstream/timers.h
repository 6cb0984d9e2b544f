/* A min-heap of event-time timers: (time, customer), earliest first, ties
 * by customer id so that firing order is deterministic.
 *
 * Entries are hints: the engine checks a popped entry against the
 * customer's current next_timer and ignores it when they differ, so a
 * changed timer needs no removal. Embedded; rs_timers_init/_release. */
#ifndef RS_TIMERS_H
#define RS_TIMERS_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/event.h"

struct rs_timer {
    int64_t at;
    uint64_t prefix; /* the id's first 8 bytes, big-endian: orders ties */
    char id[RS_ID_MAX];
};

struct rs_timers {
    struct rs_timer *v;
    size_t count;
    size_t cap;
};

void rs_timers_init(struct rs_timers *t);
void rs_timers_release(struct rs_timers *t);
void rs_timers_push(struct rs_timers *t, int64_t at, const char *id,
                    size_t id_len);
/* The earliest timer, or NULL when empty. */
const struct rs_timer *rs_timers_peek(const struct rs_timers *t);
void rs_timers_pop(struct rs_timers *t);
/* The customer ids of the first max timers due at or before upto, in
 * firing order (pointers into the heap: valid until it changes). */
size_t rs_timers_due(const struct rs_timers *t, int64_t upto,
                     const char **ids, size_t max);

#endif
