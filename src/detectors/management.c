/* Management changes, heavier when interim or frequent.
 *
 * Signal: "management change" (DOMAIN.md, seed 001 #9): unusual changes in
 * management, many interim managers. One change of director is a soft
 * reason (it may be routine); an interim appointment weighs more; several
 * changes or several interim appointments within the window are a clear
 * sign that something is wrong. The detector keeps the latest
 * MANAGEMENT_CHANGE events and counts them inside a sliding window; the
 * finding reports the strongest rule that holds, with all the counts. A
 * timer fires when a change leaves the window.
 *
 * Slots: 0..7 one change each, the latest eight by event time, newest
 * first, 0 = empty: (event minute + 1) << 32 | 1 if interim. An identical
 * entry is a duplicate, counted once. */
#include <stdio.h>

#include "entries.h"
#include "riskstream/detector.h"

enum {
    P_WINDOW,
    P_SCORE,
    P_INTERIM_SCORE,
    P_FREQUENT,
    P_FREQUENT_SCORE,
    P_INTERIMS,
    P_INTERIMS_SCORE,
};

#define SLOTS RS_DSTATE_SLOTS

static const struct rs_detector_prop props[] = {
    {"window.days", 365, 1, 3650,
     "Sliding window (days) in which management changes are counted; a "
     "change stays a reason this long."},
    {"score", 20, 0, 100,
     "Score contribution of one management change (a soft reason)."},
    {"interim.score", 30, 0, 100,
     "Score contribution when a change in the window is an interim "
     "appointment."},
    {"frequent.count", 3, 2, 8,
     "Management changes in the window from which they are frequent "
     "(frequent.score)."},
    {"frequent.score", 45, 0, 100,
     "Score contribution of frequent management changes."},
    {"interim.count", 2, 2, 8,
     "Interim appointments in the window from which there are many "
     "interim managers (interim.many.score)."},
    {"interim.many.score", 50, 0, 100,
     "Score contribution of many interim appointments."},
    {NULL, 0, 0, 0, NULL},
};

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    uint32_t interim;

    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_BUREAU || ev->type != RS_BUREAU_MANAGEMENT_CHANGE)
        return;
    interim = (ev->has & RS_BUR_HAS_INTERIM) && ev->u.bur.interim;
    rs_entry_insert(s->v, SLOTS, rs_entry_make(ev->event_time, interim));
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int64_t window = p[P_WINDOW] * RS_DAY_MS, newest = 0;
    int n = 0, interims = 0, newest_interim = 0;
    const char *code = "MANAGEMENT_CHANGE";
    int32_t score = (int32_t)p[P_SCORE];
    double value, threshold = 1;
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
            newest_interim = (int)rs_entry_payload(s->v[i]);
        }
        n++;
        interims += (int)rs_entry_payload(s->v[i]);
    }
    if (n == 0)
        return 0;
    value = n;
    /* The strongest rule that holds names the finding. */
    if (interims > 0 && p[P_INTERIM_SCORE] > score) {
        code = "MANAGEMENT_INTERIM";
        score = (int32_t)p[P_INTERIM_SCORE];
        value = interims;
    }
    if (n >= p[P_FREQUENT] && p[P_FREQUENT_SCORE] > score) {
        code = "MANAGEMENT_TURNOVER";
        score = (int32_t)p[P_FREQUENT_SCORE];
        value = n;
        threshold = (double)p[P_FREQUENT];
    }
    if (interims >= p[P_INTERIMS] && p[P_INTERIMS_SCORE] > score) {
        code = "MANAGEMENT_MANY_INTERIM";
        score = (int32_t)p[P_INTERIMS_SCORE];
        value = interims;
        threshold = (double)p[P_INTERIMS];
    }
    f = rs_finding_start(out, "management", code, score);
    rs_entry_date(date, sizeof(date), newest);
    if (n == 1)
        rs_finding_say(f, "management change on %s%s (frequent from %d changes in %d "
                 "days)",
                 date, newest_interim ? ", an interim appointment" : "",
                 (int)p[P_FREQUENT], (int)p[P_WINDOW]);
    else
        rs_finding_say(f, "%d management changes in the last %d days, %d of them "
                 "interim appointments, the latest on %s (flagged from %d "
                 "changes or %d interim appointments)",
                 n, (int)p[P_WINDOW], interims, date, (int)p[P_FREQUENT],
                 (int)p[P_INTERIMS]);
    f->reason.value = value;
    f->reason.threshold = threshold;
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_WINDOW];
    rs_finding_action(f, "STAY_IN_CONTACT");
    if (value > 1 || interims > 0)
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    (void)c;
    return rs_entry_next_expiry(s->v, SLOTS, now, p[P_WINDOW] * RS_DAY_MS);
}

const struct rs_detector rs_detector_management = {
    .name = "management",
    .id = 15,
    .reads = RS_PART_NONE,
    .signal = "Management change: unusual management changes, many interim "
              "managers",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_BUREAU),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
