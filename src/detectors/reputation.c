/* Reputation damage: negative reviews, news and lawsuits, by severity.
 *
 * Signal: "reputation damage" (DOMAIN.md; seeds 000 §6, 001 #7). The
 * source grades each REPUTATION_SIGNAL from 1 (minor) to 5 (severe); an
 * ungraded one counts as `ungraded.severity`. The detector keeps the latest
 * signals and looks at those inside a sliding window that reach
 * `min.severity`: the worst decides the score (severity times
 * `points.per.severity`), each further one adds `repeat.points`, and the
 * total stays below 75 (reputation alone does not make a customer
 * critical; filings do). A timer fires when a signal leaves the window.
 *
 * Slots: 0..7 one signal each, the latest eight by event time, newest
 * first, 0 = empty: (event minute + 1) << 32 | severity (1..5; 0 when not
 * graded). An identical entry is a duplicate, counted once. */
#include <stdio.h>

#include "entries.h"
#include "riskstream/detector.h"

enum { P_WINDOW, P_MIN, P_PER_SEVERITY, P_REPEAT, P_UNGRADED };

#define SLOTS RS_DSTATE_SLOTS
#define SCORE_CAP 70

static const struct rs_detector_prop props[] = {
    {"window.days", 90, 1, 3650,
     "Sliding window (days) in which reputation signals count; one stays "
     "a reason this long."},
    {"min.severity", 2, 1, 5,
     "Signals of this severity (1 minor .. 5 severe) or worse count."},
    {"points.per.severity", 11, 1, 20,
     "Score contribution of the worst signal: its severity times this "
     "(severity 5: 55 with the default)."},
    {"repeat.points", 5, 0, 20,
     "Score added by each further counting signal in the window (the "
     "total is capped at 70)."},
    {"ungraded.severity", 2, 1, 5,
     "Severity assumed for a signal the source did not grade."},
    {NULL, 0, 0, 0, NULL},
};

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    uint32_t severity = 0;

    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_BUREAU || ev->type != RS_BUREAU_REPUTATION_SIGNAL)
        return;
    if (ev->has & RS_BUR_HAS_SEVERITY)
        severity = (uint32_t)ev->u.bur.severity;
    rs_entry_insert(s->v, SLOTS, rs_entry_make(ev->event_time, severity));
}

static int64_t severity_of(const int64_t *p, int64_t e)
{
    uint32_t sev = rs_entry_payload(e);

    return sev ? (int64_t)sev : p[P_UNGRADED];
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int64_t window = p[P_WINDOW] * RS_DAY_MS, worst = 0, worst_time = 0;
    int64_t score;
    int n = 0;
    struct rs_finding *f;
    char date[32];

    (void)c;
    if (max < 1)
        return 0;
    for (int i = 0; i < SLOTS; i++) {
        int64_t sev;

        if (!rs_entry_in_window(s->v[i], now, window))
            continue;
        sev = severity_of(p, s->v[i]);
        if (sev < p[P_MIN])
            continue;
        n++;
        if (sev > worst) { /* newest first: the latest of the worst */
            worst = sev;
            worst_time = rs_entry_time(s->v[i]);
        }
    }
    if (n == 0)
        return 0;
    score = worst * p[P_PER_SEVERITY] + (n - 1) * p[P_REPEAT];
    if (score > SCORE_CAP)
        score = SCORE_CAP;
    f = rs_finding_start(out, "reputation", "REPUTATION_DAMAGE",
                         (int32_t)score);
    rs_entry_date(date, sizeof(date), worst_time);
    if (n == 1)
        rs_finding_say(f, "negative reputation signal (news, reviews or a lawsuit) "
                 "of severity %d of 5 on %s (flagged from severity %d; "
                 "counts for %d days)",
                 (int)worst, date, (int)p[P_MIN], (int)p[P_WINDOW]);
    else
        rs_finding_say(f, "%d negative reputation signals (news, reviews, lawsuits) "
                 "in the last %d days, the worst of severity %d of 5 on %s "
                 "(flagged from severity %d)",
                 n, (int)p[P_WINDOW], (int)worst, date, (int)p[P_MIN]);
    f->reason.value = (double)worst;
    f->reason.threshold = (double)p[P_MIN];
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_WINDOW];
    rs_finding_action(f, "STAY_IN_CONTACT");
    if (worst >= 4)
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    (void)c;
    return rs_entry_next_expiry(s->v, SLOTS, now, p[P_WINDOW] * RS_DAY_MS);
}

const struct rs_detector rs_detector_reputation = {
    .name = "reputation",
    .id = 18,
    .reads = RS_PART_NONE,
    .signal = "Reputation damage: negative reviews, news, lawsuits",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_BUREAU),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
