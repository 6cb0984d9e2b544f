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

/* One entry, 32 bytes: the engine keeps a heap of them for the timers due
 * within its horizon (a week ahead of the stream), the stale ones among
 * them until they come due. An id shorter than
 * RS_TIMER_INLINE bytes is kept inline, NUL-padded; a longer one in a
 * string of its own that the entry owns (its first 8 bytes stay inline,
 * where they order ties). Read the id with rs_timer_id(). */
#define RS_TIMER_INLINE 24
struct rs_timer {
    int64_t at;
    union {
        char id[RS_TIMER_INLINE]; /* inline: id[RS_TIMER_INLINE - 1] is 0 */
        struct {
            char head[8];
            char *id;
            char pad[RS_TIMER_INLINE - 17];
            uint8_t owned; /* 1: the id is in .id */
        } ext;
    } u;
};

static inline const char *rs_timer_id(const struct rs_timer *t)
{
    return t->u.ext.owned ? t->u.ext.id : t->u.id;
}

struct rs_timers {
    struct rs_timer *v;
    size_t count;
    size_t cap;
};

void rs_timers_init(struct rs_timers *t);
void rs_timers_release(struct rs_timers *t);
/* Empties t, keeping its room. */
void rs_timers_clear(struct rs_timers *t);
void rs_timers_push(struct rs_timers *t, int64_t at, const char *id,
                    size_t id_len);
/* The earliest timer, or NULL when empty. */
const struct rs_timer *rs_timers_peek(const struct rs_timers *t);
/* Takes the earliest timer away: what rs_timers_peek() gave, its id
 * included, is no longer valid. */
void rs_timers_pop(struct rs_timers *t);
/* The customer ids of the first max timers due at or before upto, in
 * firing order (pointers into the heap: valid until it changes). */
size_t rs_timers_due(const struct rs_timers *t, int64_t upto,
                     const char **ids, size_t max);

#endif
