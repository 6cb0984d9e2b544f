/* Repeated requests to extend or defer a due date.
 *
 * Signal: "repeated extension requests" (DOMAIN.md; seeds 001 #8, 004 #6):
 * a customer who keeps asking for more time is running short of cash. The
 * detector keeps the latest EXTENSION_REQUESTs (their event time and the
 * extra days asked) in its slots and counts those inside a sliding
 * window; the finding steps up when the requests become frequent, and again
 * when the days asked in the window add up to more than the maximum
 * extension a credit insurer usually allows. A timer fires when the oldest
 * counted request leaves the window, so the finding goes away by itself.
 *
 * Slots: 0..7 one request each, the latest eight by event time, 0 = empty:
 * (event minute + 1) << 32 | flags. Flags: bit 16 set when requested_days
 * was given, bits 0..15 requested_days (capped at 65535). An identical
 * entry (same minute and days) is a duplicate and is not counted twice. */
#include <stdio.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

#include "entries.h"

enum { P_WINDOW, P_MIN_COUNT, P_HIGH_COUNT, P_LONG_DAYS };

#define SLOTS 8
#define MINUTE_MS 60000LL
#define HAS_DAYS (1u << 16)

static const struct rs_detector_prop props[] = {
    {"window.days", 90, 1, 3650,
     "Sliding window (days) in which extension or deferral requests are "
     "counted."},
    {"min.count", 2, 1, 8,
     "Requests in the window from which the customer is flagged (score 30, "
     "MEDIUM)."},
    {"high.count", 4, 1, 8,
     "Requests in the window from which they count as frequent (score 50, "
     "HIGH)."},
    {"long.days", 60, 1, 3650,
     "Extra days asked in the window, added up, from which the score rises "
     "by 10 (about the maximum extension credit insurers allow)."},
    {NULL, 0, 0, 0, NULL},
};

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    int64_t minute, e;
    uint32_t flags = 0;
    int slot = -1;

    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_COMM || ev->type != RS_COMM_EXTENSION_REQUEST)
        return;
    minute = ev->event_time > 0 ? ev->event_time / MINUTE_MS : 0;
    if (ev->has & RS_COM_HAS_REQUESTED_DAYS)
        flags = HAS_DAYS | (uint32_t)(ev->u.com.requested_days > 65535
                                          ? 65535
                                          : ev->u.com.requested_days);
    e = (minute + 1) << 32 | (int64_t)flags;
    /* Keep the latest eight by event time: fill an empty slot, else
     * replace the oldest if this one is newer. */
    for (int i = 0; i < SLOTS; i++) {
        if (s->v[i] == e)
            return; /* a duplicate */
        if (slot < 0 && s->v[i] == 0)
            slot = i;
    }
    if (slot < 0) {
        slot = 0;
        for (int i = 1; i < SLOTS; i++)
            if (s->v[i] < s->v[slot])
                slot = i;
        if (s->v[slot] > e)
            return; /* older than everything kept */
    }
    s->v[slot] = e;
}

struct tally {
    int count;
    int with_days;
    int64_t days; /* added up */
    int32_t min_days, max_days;
};

static struct tally count(const int64_t *p, const struct rs_dstate *s,
                          int64_t now)
{
    struct tally t = {0, 0, 0, INT32_MAX, 0};

    for (int i = 0; i < SLOTS; i++) {
        int64_t e = s->v[i];
        int32_t d;

        if (!e || rs_entry_time(e) > now ||
            now - rs_entry_time(e) >= p[P_WINDOW] * RS_DAY_MS)
            continue;
        t.count++;
        if (!((uint32_t)e & HAS_DAYS))
            continue;
        d = (int32_t)((uint32_t)e & 0xffffu);
        t.with_days++;
        t.days += d;
        if (d < t.min_days)
            t.min_days = d;
        if (d > t.max_days)
            t.max_days = d;
    }
    return t;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    struct tally t = count(p, s, now);
    int frequent = t.count >= p[P_HIGH_COUNT];
    int long_ask = t.days >= p[P_LONG_DAYS];
    struct rs_finding *f;
    char days[160] = "";

    (void)c;
    if (max < 1 || t.count < p[P_MIN_COUNT])
        return 0;
    f = rs_finding_start(out, "extensions",
                         frequent ? "EXTENSION_REQUESTS_FREQUENT"
                                  : "EXTENSION_REQUESTS_REPEATED",
                         (frequent ? 50 : 30) + (long_ask ? 10 : 0));
    if (t.with_days == 1)
        rs_format_text(days, sizeof(days), "; one asked %d extra days",
                       (int)t.max_days);
    else if (t.with_days > 1 && t.min_days == t.max_days)
        rs_format_text(days, sizeof(days),
                       "; %d asked %d extra days each, %lld in total",
                       t.with_days, (int)t.max_days, (long long)t.days);
    else if (t.with_days > 1)
        rs_format_text(days, sizeof(days),
                       "; %d asked %d to %d extra days, %lld in total",
                       t.with_days, (int)t.min_days, (int)t.max_days,
                       (long long)t.days);
    rs_finding_say(f, "%d requests to extend or defer payment in the last %d days "
             "(flagged from %d, frequent from %d)%s%s",
             t.count, (int)p[P_WINDOW], (int)p[P_MIN_COUNT],
             (int)p[P_HIGH_COUNT], days,
             long_ask ? ", beyond the usual maximum extension" : "");
    f->reason.value = t.count;
    f->reason.threshold = (double)p[P_MIN_COUNT];
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_WINDOW];
    rs_finding_action(f, "FOLLOW_UP_EARLIER");
    rs_finding_action(f, "STAY_IN_CONTACT");
    if (frequent || long_ask)
        rs_finding_action(f, "SHORTER_TERMS");
    return 1;
}

/* When the next counted request leaves the window. */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    (void)c;
    return rs_entry_next_expiry(s->v, SLOTS, now, p[P_WINDOW] * RS_DAY_MS);
}

const struct rs_detector rs_detector_extensions = {
    .name = "extensions",
    .id = 5,
    .reads = RS_PART_NONE,
    .signal = "Repeated extension requests",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_COMM),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
