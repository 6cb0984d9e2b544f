/* Event-time timers: (time, customer), earliest first, ties by customer
 * id so that firing order is deterministic. A binary min-heap (struct
 * rs_timers), and the engine's queue (struct rs_timerq), a calendar of
 * day lists with such a heap for the current day.
 *
 * Entries are hints: the engine checks a popped entry against the
 * customer's current next_timer and ignores it when they differ, so a
 * changed timer needs no removal. Embedded; _init/_release. */
#ifndef RS_TIMERS_H
#define RS_TIMERS_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/event.h"

/* One entry, 32 bytes: the engine queues them for the timers due within
 * its horizon (a week ahead of the stream), the stale ones among them
 * until they come due. An id shorter than
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

/* The engine's queue of the timers within its horizon: the same order as
 * a heap (time, then id), kept as a calendar. Timers are set days ahead
 * and most fall on a day's start, so a heap of a few hundred thousand
 * entries spent its time in cache misses, twenty levels down for each
 * pop and push. Here a timer set for a later day is appended to that
 * day's list; a day's list is sorted once, when it comes up, and is then
 * read in order; a timer set for the current day (or before) after that
 * goes to a small heap beside it. Embedded; rs_timerq_init/_release. */
struct rs_timer_day {
    int64_t day;
    struct rs_timer *v;
    size_t count;
    size_t cap;
    int sorted;
};

struct rs_timerq {
    struct rs_timer *run; /* the current day, sorted: run[head..run_count) */
    size_t head;
    size_t run_count;
    size_t run_cap;
    int64_t run_day;      /* INT64_MIN before the first day came up */
    struct rs_timers near; /* set at or before run_day since it came up */
    struct rs_timer_day *days; /* the later days, ascending */
    size_t ndays;
    size_t days_cap;
    size_t count; /* timers held */
};

void rs_timerq_init(struct rs_timerq *q);
void rs_timerq_release(struct rs_timerq *q);
void rs_timerq_push(struct rs_timerq *q, int64_t at, const char *id,
                    size_t id_len);
/* The earliest timer, or NULL when empty. */
const struct rs_timer *rs_timerq_peek(const struct rs_timerq *q);
/* Takes the earliest timer away: what rs_timerq_peek() gave, its id
 * included, is no longer valid. */
void rs_timerq_pop(struct rs_timerq *q);
/* The customer ids of the first max timers due at or before upto, in
 * firing order (pointers into the queue: valid until it changes; sorts
 * the later days it reaches). */
size_t rs_timerq_due(struct rs_timerq *q, int64_t upto, const char **ids,
                     size_t max);
/* Up to max of the timers that come after the earliest one, in firing
 * order as far as the current day's sorted list tells (a hint for
 * loading their customers ahead, not an exact order: the small heap of
 * the current day is not looked at). */
size_t rs_timerq_after(const struct rs_timerq *q,
                       const struct rs_timer **out, size_t max);

#endif
