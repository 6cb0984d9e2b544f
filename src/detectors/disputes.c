/* Disputes that drag on, and disputes that come back.
 *
 * Signal: "disputes that drag on" (DOMAIN.md; seed 004 #5): a dispute
 * open for long, or raised again after a solution was offered. A disputed
 * invoice leaves the overdue count (the shared aggregates mark it), so a
 * dispute that never ends is also a way not to pay. The detector keeps the
 * open disputes (DISPUTE_OPENED without a matching DISPUTE_RESOLVED) with
 * the time they were opened, and the two latest resolutions. Opening and
 * resolution are matched by dispute_id, else by invoice_id, else they are
 * the account's one dispute. A dispute opened again within `reopen.days`
 * of its resolution is reopened. Timers fire when the oldest open dispute
 * reaches `open.days` and `long.days`.
 *
 * Out of order: an opening older than the resolution already seen for the
 * same key is taken as resolved; a resolution that arrives after a later
 * reopening marks that reopening.
 *
 * Slots: 0..5 open disputes, 6..7 the latest resolutions (0 = empty),
 * each: bits 0..21 event hour (since the epoch) + 1, bits 22..23 how often
 * it was reopened (saturating at 3), bits 24..61 a 38-bit FNV-1a hash of
 * the key ("d:" dispute_id, "i:" invoice_id, or "a"). Disputes beyond six
 * open at once are not tracked. */
#include <stdio.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum { P_OPEN_DAYS, P_LONG_DAYS, P_REOPEN_DAYS };

#define OPEN_SLOTS 6
#define HOUR_MS 3600000LL
#define HOUR_MASK 0x3fffffLL
#define KEY_MASK ((1LL << 38) - 1)

static const struct rs_detector_prop props[] = {
    {"open.days", 30, 1, 3650,
     "Days a dispute may stay open before it counts as dragging on (score "
     "30, MEDIUM)."},
    {"long.days", 60, 1, 3650,
     "Days open from which the score is 45 (MEDIUM, close to HIGH)."},
    {"reopen.days", 90, 1, 3650,
     "A dispute opened again within this many days of its resolution is "
     "reopened (score 40, MEDIUM)."},
    {NULL, 0, 0, 0, NULL},
};

static int64_t entry_hour(int64_t e)
{
    return (e & HOUR_MASK) - 1;
}

static int entry_reopens(int64_t e)
{
    return (int)((e >> 22) & 3);
}

static int64_t entry_key(int64_t e)
{
    return (e >> 24) & KEY_MASK;
}

static int64_t make_entry(int64_t hour, int reopens, int64_t key)
{
    return key << 24 | (int64_t)(reopens > 3 ? 3 : reopens) << 22 |
           (hour + 1);
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static int64_t key_of(const struct rs_event *ev)
{
    uint64_t h = 14695981039346656037ULL;

    if (ev->has & RS_COM_HAS_DISPUTE_ID)
        h = fnv(fnv(h, "d:"), ev->u.com.dispute_id);
    else if (ev->has & RS_COM_HAS_INVOICE_ID)
        h = fnv(fnv(h, "i:"), ev->u.com.invoice_id);
    else
        h = fnv(h, "a");
    return (int64_t)(h & KEY_MASK);
}

static int find(const struct rs_dstate *s, int from, int to, int64_t key)
{
    for (int i = from; i < to; i++)
        if (s->v[i] && entry_key(s->v[i]) == key)
            return i;
    return -1;
}

static void remember_resolution(struct rs_dstate *s, int64_t hour, int reopens,
                                int64_t key)
{
    int i = find(s, OPEN_SLOTS, RS_DSTATE_SLOTS, key);

    if (i < 0) { /* the empty or the older one */
        if (!s->v[6] || !s->v[7])
            i = !s->v[6] ? 6 : 7;
        else
            i = entry_hour(s->v[6]) <= entry_hour(s->v[7]) ? 6 : 7;
    } else if (entry_hour(s->v[i]) > hour) {
        return; /* a newer resolution of it is known */
    }
    s->v[i] = make_entry(hour, reopens, key);
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    int64_t hour, key, reopen_hours = p[P_REOPEN_DAYS] * 24;
    int o, r, reopens = 0;

    (void)c;
    if (ev->kind != RS_EVENT_COMM || (ev->type != RS_COMM_DISPUTE_OPENED &&
                                      ev->type != RS_COMM_DISPUTE_RESOLVED))
        return;
    hour = ev->event_time > 0 ? ev->event_time / HOUR_MS : 0;
    if (hour > HOUR_MASK - 1)
        hour = HOUR_MASK - 1;
    key = key_of(ev);
    o = find(s, 0, OPEN_SLOTS, key);
    r = find(s, OPEN_SLOTS, RS_DSTATE_SLOTS, key);
    if (ev->type == RS_COMM_DISPUTE_OPENED) {
        if (o >= 0) { /* already open: keep the earliest opening */
            if (hour < entry_hour(s->v[o]))
                s->v[o] = make_entry(hour, entry_reopens(s->v[o]), key);
            return;
        }
        if (r >= 0) {
            int64_t resolved = entry_hour(s->v[r]);

            if (resolved >= hour)
                return; /* a late opening of what is resolved since */
            if (hour - resolved <= reopen_hours)
                reopens = entry_reopens(s->v[r]) + 1;
        }
        for (int i = 0; i < OPEN_SLOTS; i++)
            if (!s->v[i]) {
                s->v[i] = make_entry(hour, reopens, key);
                return;
            }
        return; /* more than six open: not tracked */
    }
    if (o >= 0 && entry_hour(s->v[o]) <= hour) {
        reopens = entry_reopens(s->v[o]);
        s->v[o] = 0;
    } else if (o >= 0) {
        /* A resolution arriving after the reopening that followed it. */
        int64_t opened = entry_hour(s->v[o]);

        if (opened - hour <= reopen_hours && entry_reopens(s->v[o]) == 0)
            s->v[o] = make_entry(opened, 1, key);
    }
    remember_resolution(s, hour, reopens, key);
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int64_t oldest = -1, disputed = 0;
    int open = 0, reopened = 0, reopens = 0, newest_reopen_days = 0, nf = 0;
    struct rs_finding *f;

    for (int i = 0; i < OPEN_SLOTS; i++) {
        int64_t e = s->v[i], h;

        if (!e)
            continue;
        h = entry_hour(e);
        open++;
        if (oldest < 0 || h < oldest)
            oldest = h;
        if (entry_reopens(e)) {
            int days = (int)((now - h * HOUR_MS) / RS_DAY_MS);

            if (!reopened || days < newest_reopen_days)
                newest_reopen_days = days;
            reopened++;
            if (entry_reopens(e) > reopens)
                reopens = entry_reopens(e);
        }
    }
    if (!open || max < 1)
        return 0;
    disputed = rs_customer_index(c)->disputed;
    {
        int64_t days = (now - oldest * HOUR_MS) / RS_DAY_MS;

        if (days >= p[P_OPEN_DAYS]) {
            int very = days >= p[P_LONG_DAYS];
            char amount[64] = "", held[128] = "";

            f = rs_finding_start(&out[nf++], "disputes",
                                 very ? "DISPUTE_OPEN_VERY_LONG"
                                      : "DISPUTE_OPEN_LONG",
                                 very ? 45 : 30);
            if (disputed && !f->quiet) {
                rs_format_amount(amount, sizeof(amount), disputed,
                                 c->currency);
                rs_format_text(held, sizeof(held),
                               "; %s of invoices is held back by disputes",
                               amount);
            }
            if (open == 1)
                rs_finding_say(f, "a dispute has been open for %d days without "
                         "resolution (flagged from %d days)%s",
                         (int)days, (int)p[P_OPEN_DAYS], held);
            else
                rs_finding_say(f, "%d disputes are open, the oldest for %d days "
                         "without resolution (flagged from %d days)%s",
                         open, (int)days, (int)p[P_OPEN_DAYS], held);
            f->reason.value = (double)days;
            f->reason.threshold = (double)p[P_OPEN_DAYS];
            for (uint32_t i = 0; i < c->open_count && !f->quiet; i++)
                if (c->open[i].disputed)
                    rs_finding_evidence(f, c->open[i].event_id);
            rs_finding_action(f, "RESOLVE_DISPUTE");
            rs_finding_action(f, "STAY_IN_CONTACT");
        }
    }
    if (reopened && nf < max) {
        f = rs_finding_start(&out[nf++], "disputes", "DISPUTE_REOPENED", 40);
        rs_finding_say(f, "%d %s reopened within %d days of %s resolution (%s), "
                 "open again for %d days",
                 reopened, reopened == 1 ? "dispute was" : "disputes were",
                 (int)p[P_REOPEN_DAYS], reopened == 1 ? "its" : "their",
                 reopens == 1   ? "once"
                 : reopens == 2 ? "twice"
                                : "3 times or more",
                 newest_reopen_days);
        f->reason.value = reopens;
        f->reason.threshold = 1;
        f->reason.has_window_days = 1;
        f->reason.window_days = (int32_t)p[P_REOPEN_DAYS];
        for (uint32_t i = 0; i < c->open_count && !f->quiet; i++)
            if (c->open[i].disputed)
                rs_finding_evidence(f, c->open[i].event_id);
        rs_finding_action(f, "RESOLVE_DISPUTE");
        rs_finding_action(f, "STAY_IN_CONTACT");
    }
    return nf;
}

/* When an open dispute reaches open.days or long.days. */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    int64_t next = RS_NO_TIMER;

    (void)c;
    for (int i = 0; i < OPEN_SLOTS; i++) {
        int64_t opened;

        if (!s->v[i])
            continue;
        opened = entry_hour(s->v[i]) * HOUR_MS;
        for (int k = 0; k < 2; k++) {
            int64_t at =
                opened + (k ? p[P_LONG_DAYS] : p[P_OPEN_DAYS]) * RS_DAY_MS;

            if (at > now && at < next)
                next = at;
        }
    }
    return next;
}

const struct rs_detector rs_detector_disputes = {
    .name = "disputes",
    .id = 8,
    .reads = RS_PART_OPEN | RS_PART_PROFILE,
    .signal = "Disputes that drag on",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
