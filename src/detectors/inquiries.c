/* More credit inquiries: lenders checking the customer repeatedly.
 *
 * Signal: "more credit inquiries" (DOMAIN.md, seed 001 #5): when banks,
 * lessors and other suppliers look the customer up again and again, it is
 * usually looking for money or credit elsewhere. The detector keeps the
 * latest CREDIT_INQUIRY events and counts those inside a sliding window;
 * from `min.count` it is a soft reason, from `high.count` a clear one. The
 * message says how many different inquirers were named. A timer fires
 * when a counted inquiry leaves the window, so the finding ends by itself.
 *
 * Slots: 0..7 one inquiry each, the latest eight by event time, newest
 * first, 0 = empty: (event minute + 1) << 32 | FNV-1a hash of the inquirer
 * (0: not disclosed). The same inquirer in the same minute is a duplicate,
 * counted once. */
#include <stdio.h>

#include "entries.h"
#include "riskstream/detector.h"
#include "riskstream/format.h"

enum { P_WINDOW, P_MIN, P_SCORE, P_HIGH, P_HIGH_SCORE };

#define SLOTS RS_DSTATE_SLOTS

static const struct rs_detector_prop props[] = {
    {"window.days", 30, 1, 365,
     "Sliding window (days) in which credit inquiries are counted."},
    {"min.count", 3, 2, 8,
     "Credit inquiries in the window from which the customer is flagged "
     "(score)."},
    {"score", 30, 0, 100, "Score contribution from min.count inquiries."},
    {"high.count", 5, 2, 8,
     "Credit inquiries in the window from which the score is high.score."},
    {"high.score", 45, 0, 100,
     "Score contribution from high.count inquiries."},
    {NULL, 0, 0, 0, NULL},
};

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    uint32_t who = 0;

    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_BUREAU || ev->type != RS_BUREAU_CREDIT_INQUIRY)
        return;
    if ((ev->has & RS_BUR_HAS_INQUIRER) && ev->u.bur.inquirer[0])
        who = rs_entry_hash(ev->u.bur.inquirer);
    rs_entry_insert(s->v, SLOTS, rs_entry_make(ev->event_time, who));
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int64_t window = p[P_WINDOW] * RS_DAY_MS;
    int n = 0, named = 0, high;
    int64_t newest = 0;
    struct rs_finding *f;
    char date[32], who[64];

    (void)c;
    if (max < 1)
        return 0;
    for (int i = 0; i < SLOTS; i++) {
        uint32_t h;
        int seen = 0;

        if (!rs_entry_in_window(s->v[i], now, window))
            continue;
        if (!n)
            newest = rs_entry_time(s->v[i]);
        n++;
        h = rs_entry_payload(s->v[i]);
        for (int k = 0; k < i && h; k++)
            if (rs_entry_in_window(s->v[k], now, window) &&
                rs_entry_payload(s->v[k]) == h)
                seen = 1;
        if (h && !seen)
            named++;
    }
    if (n < p[P_MIN])
        return 0;
    high = n >= p[P_HIGH];
    f = rs_finding_start(out, "inquiries",
                         high ? "CREDIT_INQUIRIES_HIGH" : "CREDIT_INQUIRIES",
                         (int32_t)(high ? p[P_HIGH_SCORE] : p[P_SCORE]));
    if (named)
        rs_format_text(who, sizeof(who), "%d different inquirer%s named",
                       named,
                       named == 1 ? "" : "s");
    else
        rs_format_text(who, sizeof(who), "inquirers not disclosed");
    rs_finding_say(f, "%d credit inquiries about the customer in the last %d days "
             "(%s), the latest on %s: lenders or suppliers are checking it "
             "repeatedly (flagged from %d)",
             n, (int)p[P_WINDOW], who,
             rs_entry_date(date, sizeof(date), newest), (int)p[P_MIN]);
    f->reason.value = n;
    f->reason.threshold = (double)(high ? p[P_HIGH] : p[P_MIN]);
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_WINDOW];
    rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    rs_finding_action(f, "STAY_IN_CONTACT");
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    (void)c;
    return rs_entry_next_expiry(s->v, SLOTS, now, p[P_WINDOW] * RS_DAY_MS);
}

const struct rs_detector rs_detector_inquiries = {
    .name = "inquiries",
    .id = 13,
    .reads = RS_PART_NONE,
    .signal = "More credit inquiries: lenders checking the customer "
              "repeatedly",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_BUREAU),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
