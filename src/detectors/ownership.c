/* Ownership changes: a new parent company.
 *
 * Signal: "corporate group health" (DOMAIN.md, seed 003 step 1) and the
 * unusual changes of seed 001 #9: a customer that is sold, changes parent
 * or leaves its group may lose the group's backing, or be restructured. A
 * soft reason on its own; repeated changes within the window weigh more.
 * The detector follows OWNERSHIP_LINK events: it remembers the current
 * parent (as a hash of parent_customer_id; an event without one means no
 * parent any more) and records a change whenever the parent differs from
 * the latest one. The first link ever seen counts as a change only with
 * first.link = 1 (a bureau's initial load would otherwise flag every
 * customer that belongs to a group). A timer fires when a change leaves
 * the window.
 *
 * Out of order: an OWNERSHIP_LINK older than the latest one applied is
 * not applied (the newer link already says who the parent is).
 *
 * Slots:
 *   0 hash of the current parent's customer id, 0 = no parent
 *   1 (event minute + 1) << 32 of the latest link applied, 0 = none yet
 *   2..7 the latest six changes, newest first, 0 = empty: (event minute +
 *     1) << 32 | 0 new parent, 1 no parent any more, 2 first link seen */
#include <stdio.h>

#include "entries.h"
#include "riskstream/detector.h"

enum { P_WINDOW, P_SCORE, P_REPEAT, P_REPEAT_SCORE, P_FIRST };

enum { S_PARENT, S_LATEST, S_CHANGES };
#define CHANGE_SLOTS 6

enum { CHANGE_NEW_PARENT, CHANGE_NO_PARENT, CHANGE_FIRST };

static const struct rs_detector_prop props[] = {
    {"window.days", 180, 1, 3650,
     "Sliding window (days) in which ownership changes count; one stays a "
     "reason this long."},
    {"score", 20, 0, 100,
     "Score contribution of one ownership change (a soft reason)."},
    {"repeat.count", 2, 2, 6,
     "Ownership changes in the window from which the score is "
     "repeat.score."},
    {"repeat.score", 35, 0, 100,
     "Score contribution of repeated ownership changes."},
    {"first.link", 0, 0, 1,
     "1: the first ownership link seen for a customer counts as a change "
     "(a new parent); 0: it only sets the current parent."},
    {NULL, 0, 0, 0, NULL},
};

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    int64_t *v = s->v, e;
    int64_t parent = 0;
    uint32_t change;

    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_BUREAU || ev->type != RS_BUREAU_OWNERSHIP_LINK)
        return;
    e = rs_entry_make(ev->event_time, 0);
    if (v[S_LATEST] && e < v[S_LATEST])
        return; /* older than the link in force */
    if ((ev->has & RS_BUR_HAS_PARENT_CUSTOMER_ID) &&
        ev->u.bur.parent_customer_id[0])
        parent = rs_entry_hash(ev->u.bur.parent_customer_id);
    if (!v[S_LATEST])
        change = CHANGE_FIRST;
    else if (parent == v[S_PARENT])
        change = UINT32_MAX; /* the same link again */
    else
        change = parent ? CHANGE_NEW_PARENT : CHANGE_NO_PARENT;
    if (!v[S_LATEST] && !parent)
        change = UINT32_MAX; /* no group, as far as anyone knew */
    v[S_LATEST] = e;
    v[S_PARENT] = parent;
    if (change != UINT32_MAX)
        rs_entry_insert(v + S_CHANGES, CHANGE_SLOTS,
                         rs_entry_make(ev->event_time, change));
}

static int counted(const int64_t *p, int64_t e, int64_t now)
{
    return rs_entry_in_window(e, now, p[P_WINDOW] * RS_DAY_MS) &&
           (p[P_FIRST] || rs_entry_payload(e) != CHANGE_FIRST);
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int64_t newest = 0;
    int n = 0, repeated;
    struct rs_finding *f;
    char date[32];
    const char *what;

    (void)c;
    if (max < 1)
        return 0;
    for (int i = 0; i < CHANGE_SLOTS; i++) {
        if (!counted(p, s->v[S_CHANGES + i], now))
            continue;
        if (!n)
            newest = s->v[S_CHANGES + i];
        n++;
    }
    if (n == 0)
        return 0;
    repeated = n >= p[P_REPEAT];
    f = rs_finding_start(out, "ownership",
                         repeated ? "OWNERSHIP_CHANGES_REPEATED"
                                  : "OWNERSHIP_CHANGE",
                         (int32_t)(repeated ? p[P_REPEAT_SCORE]
                                            : p[P_SCORE]));
    switch (rs_entry_payload(newest)) {
    case CHANGE_NO_PARENT:
        what = "the customer left its corporate group (no parent company "
               "any more)";
        break;
    case CHANGE_FIRST:
        what = "the customer was linked to a parent company";
        break;
    default:
        what = "the customer has a new parent company";
        break;
    }
    rs_entry_date(date, sizeof(date), rs_entry_time(newest));
    if (n == 1)
        rs_finding_say(f, "ownership change on %s: %s (counts for %d days; repeated "
                 "from %d changes)",
                 date, what, (int)p[P_WINDOW], (int)p[P_REPEAT]);
    else
        rs_finding_say(f, "%d ownership changes in the last %d days; the latest on "
                 "%s: %s (flagged from %d)",
                 n, (int)p[P_WINDOW], date, what, (int)p[P_REPEAT]);
    f->reason.value = n;
    f->reason.threshold = repeated ? (double)p[P_REPEAT] : 1.0;
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_WINDOW];
    rs_finding_action(f, "STAY_IN_CONTACT");
    if (repeated)
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    (void)c;
    return rs_entry_next_expiry(s->v + S_CHANGES, CHANGE_SLOTS, now,
                                 p[P_WINDOW] * RS_DAY_MS);
}

const struct rs_detector rs_detector_ownership = {
    .name = "ownership",
    .id = 17,
    .reads = RS_PART_NONE,
    .signal = "Corporate group health: ownership changes (a new parent, "
              "leaving the group)",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_BUREAU),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
