/* Timed entries in detector slots (private to src/detectors).
 *
 * Detectors that count events in a window (the bureau detectors, extension
 * requests, excuses, terms pressure) keep the events they need in their
 * eight slots, newest first, one slot each:
 *
 *   entry = (event minute + 1) << 32 | payload (32 bits), 0 = empty slot
 *
 * Minutes since the epoch (times before 1970 count as minute 0) are fine
 * for windows counted in days and last until the year 6000; the payload is
 * what the detector needs about the event (a kind, a severity, a hash of a
 * name). Because the time is in the high bits, entries sort by time, so an
 * event that arrives out of order (within the allowed lateness) is simply
 * inserted at its place; an identical entry is a duplicate and is kept
 * once. Everything here is static inline: no state, no I/O. */
#ifndef RS_DETECTORS_ENTRIES_H
#define RS_DETECTORS_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/customer.h"
#include "riskstream/format.h"

#define RS_ENTRY_MINUTE_MS 60000LL

static inline int64_t rs_entry_make(int64_t ms, uint32_t payload)
{
    int64_t minute = ms < 0 ? 0 : ms / RS_ENTRY_MINUTE_MS;

    return (minute + 1) << 32 | (int64_t)payload;
}

/* The event time of an entry (to the minute). */
static inline int64_t rs_entry_time(int64_t e)
{
    return ((e >> 32) - 1) * RS_ENTRY_MINUTE_MS;
}

static inline uint32_t rs_entry_payload(int64_t e)
{
    return (uint32_t)(e & 0xffffffffLL);
}

/* FNV-1a of a text, never 0 (0 means "none" in the slots). */
static inline uint32_t rs_entry_hash(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 16777619u;
    }
    return h ? h : 1;
}

/* Inserts e into v[0..n) kept newest first. A duplicate, or an entry
 * older than all of a full list, is not inserted. Returns 1 if inserted. */
static inline int rs_entry_insert(int64_t *v, int n, int64_t e)
{
    int i;

    for (i = 0; i < n; i++) {
        if (v[i] == e)
            return 0;
        if (v[i] < e)
            break;
    }
    if (i == n)
        return 0;
    for (int k = n - 1; k > i; k--)
        v[k] = v[k - 1];
    v[i] = e;
    return 1;
}

/* Whether an entry's event is still in force at now: within window_ms. */
static inline int rs_entry_in_window(int64_t e, int64_t now,
                                      int64_t window_ms)
{
    return e != 0 && now < rs_entry_time(e) + window_ms;
}

/* The next time after now at which an entry of v[0..n) leaves the window,
 * or RS_NO_TIMER. */
static inline int64_t rs_entry_next_expiry(const int64_t *v, int n,
                                            int64_t now, int64_t window_ms)
{
    int64_t next = RS_NO_TIMER;

    for (int i = 0; i < n; i++) {
        int64_t at;

        if (!v[i])
            continue;
        at = rs_entry_time(v[i]) + window_ms;
        if (at > now && at < next)
            next = at;
    }
    return next;
}

/* YYYY-MM-DD of an instant (UTC). */
static inline const char *rs_entry_date(char *buf, size_t size, int64_t ms)
{
    return rs_format_date(buf, size, rs_day_of(ms));
}

#endif
