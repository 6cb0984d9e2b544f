/* New financing or a change of house bank.
 *
 * Signal: "new financing / bank change" (DOMAIN.md, seed 001 #3): a
 * customer that secures new financing or switches its house bank may have
 * been turned down by its bank or be short of cash. One such event is a
 * soft reason (a house-bank switch a little more than new financing);
 * several within the window are a clear one. The detector keeps the latest
 * FINANCING_CHANGE and HOUSE_BANK_CHANGE events and counts them inside a
 * sliding window; a timer fires when one leaves it. The source's
 * description (e.g. the new bank's name) is not kept.
 *
 * Slots: 0..7 one event each, the latest eight by event time, newest
 * first, 0 = empty: (event minute + 1) << 32 | 1 new financing, 2 house
 * bank change. An identical entry is a duplicate, counted once. */
#include <stdio.h>

#include "entries.h"
#include "riskstream/detector.h"

enum { P_WINDOW, P_FINANCING_SCORE, P_BANK_SCORE, P_REPEAT, P_REPEAT_SCORE };

enum { KIND_FINANCING = 1, KIND_BANK = 2 };

#define SLOTS RS_DSTATE_SLOTS

static const struct rs_detector_prop props[] = {
    {"window.days", 180, 1, 3650,
     "Sliding window (days) in which financing and house-bank changes "
     "count; one stays a reason this long."},
    {"financing.score", 25, 0, 100,
     "Score contribution of new financing (a soft reason)."},
    {"bank.score", 30, 0, 100,
     "Score contribution of a change of house bank."},
    {"repeat.count", 2, 2, 8,
     "Financing and house-bank changes in the window from which the score "
     "is repeat.score."},
    {"repeat.score", 40, 0, 100,
     "Score contribution of repeated financing or house-bank changes."},
    {NULL, 0, 0, 0, NULL},
};

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    uint32_t kind;

    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_BUREAU)
        return;
    if (ev->type == RS_BUREAU_FINANCING_CHANGE)
        kind = KIND_FINANCING;
    else if (ev->type == RS_BUREAU_HOUSE_BANK_CHANGE)
        kind = KIND_BANK;
    else
        return;
    rs_entry_insert(s->v, SLOTS, rs_entry_make(ev->event_time, kind));
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int64_t window = p[P_WINDOW] * RS_DAY_MS, newest = 0;
    int n = 0, banks = 0, newest_kind = 0;
    struct rs_finding *f;
    char date[32];

    (void)c;
    if (max < 1)
        return 0;
    for (int i = 0; i < SLOTS; i++) {
        if (!rs_entry_in_window(s->v[i], now, window))
            continue;
        if (!n) {
            newest = rs_entry_time(s->v[i]);
            newest_kind = (int)rs_entry_payload(s->v[i]);
        }
        n++;
        banks += rs_entry_payload(s->v[i]) == KIND_BANK;
    }
    if (n == 0)
        return 0;
    rs_entry_date(date, sizeof(date), newest);
    if (n >= p[P_REPEAT]) {
        f = rs_finding_start(out, "financing", "FINANCING_CHANGES_REPEATED",
                             (int32_t)p[P_REPEAT_SCORE]);
        rs_finding_say(f, "%d financing changes in the last %d days (%d new "
                 "financing, %d house-bank switch%s), the latest on %s "
                 "(flagged from %d)",
                 n, (int)p[P_WINDOW], n - banks, banks,
                 banks == 1 ? "" : "es", date, (int)p[P_REPEAT]);
        f->reason.threshold = (double)p[P_REPEAT];
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    } else if (newest_kind == KIND_BANK) {
        f = rs_finding_start(out, "financing", "HOUSE_BANK_CHANGE",
                             (int32_t)p[P_BANK_SCORE]);
        rs_finding_say(f, "the customer switched its house bank on %s (counts for "
                 "%d days; repeated from %d changes)",
                 date, (int)p[P_WINDOW], (int)p[P_REPEAT]);
        f->reason.threshold = 1;
    } else {
        f = rs_finding_start(out, "financing", "NEW_FINANCING",
                             (int32_t)p[P_FINANCING_SCORE]);
        rs_finding_say(f, "the customer took on new financing on %s (counts for %d "
                 "days; repeated from %d changes)",
                 date, (int)p[P_WINDOW], (int)p[P_REPEAT]);
        f->reason.threshold = 1;
    }
    f->reason.value = n;
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_WINDOW];
    rs_finding_action(f, "STAY_IN_CONTACT");
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    (void)c;
    return rs_entry_next_expiry(s->v, SLOTS, now, p[P_WINDOW] * RS_DAY_MS);
}

const struct rs_detector rs_detector_financing = {
    .name = "financing",
    .id = 16,
    .reads = RS_PART_NONE,
    .signal = "New financing / bank change: securing new financing, "
              "switching house bank",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_BUREAU),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
