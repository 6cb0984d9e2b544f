/* Dunning escalation beyond the customer's own history.
 *
 * Signal: "dunning escalation" (DOMAIN.md; seed 002): reminders that keep
 * escalating to a formal notice. Every REMINDER and FORMAL_NOTICE carries
 * its step in the supplier's dunning sequence (dunning_level; 1 = first
 * reminder); a formal notice counts at least `notice.level`, a
 * COLLECTIONS_HANDOVER counts `handover.level` (and a reminder or notice
 * at most one step less). Some customers always need a second reminder;
 * what matters is a customer reaching a step it did not reach before. The
 * detector compares the highest step of the recent window with the
 * highest step of the baseline before it, and flags a recent step of at
 * least `min.level` above the baseline.
 *
 * Time is kept in 10-day buckets (day number / 10, UTC), 36 of them: the
 * recent window is the current bucket and the ones before it, ceil(
 * window.days / 10) in all (so 51 to 60 days with the default), and the
 * baseline the ceil(baseline.days / 10) buckets before that (window and
 * baseline together at most 360 days). Events for a bucket older than 36
 * buckets before the newest are too late to count. Timers fire at the
 * bucket boundary where the finding would change, so an escalation fades
 * out of the window and the level comes down by itself.
 *
 * Slots:
 *   0..2 36 buckets, 12 per slot, 5 bits each: the highest step in the
 *        bucket (0 = no dunning); bucket b is at position b % 36
 *   3 the newest bucket number + 1 (0 = none yet) */
#include <stdio.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum { P_WINDOW, P_BASELINE, P_MIN_LEVEL, P_NOTICE, P_HANDOVER };

#define BUCKET_DAYS 10
#define BUCKETS 36
#define PER_SLOT 12
#define STEP_MAX 31

static const struct rs_detector_prop props[] = {
    {"window.days", 60, 10, 180,
     "Recent window (days, in 10-day buckets) whose highest dunning step is "
     "compared with the baseline."},
    {"baseline.days", 300, 10, 350,
     "The customer's own history before the window (days, in 10-day "
     "buckets; window plus baseline at most 360)."},
    {"min.level", 2, 1, STEP_MAX,
     "Lowest dunning step that counts as an escalation when above the "
     "baseline (score 25)."},
    {"notice.level", 3, 1, STEP_MAX,
     "Step a formal notice counts as at least; reaching it above the "
     "baseline scores 40 (MEDIUM)."},
    {"handover.level", 10, 1, STEP_MAX,
     "Step a collections hand-over counts as; reaching it above the "
     "baseline scores 60 (HIGH)."},
    {NULL, 0, 0, 0, NULL},
};

static int step_at(const struct rs_dstate *s, int64_t b)
{
    int64_t newest = s->v[3] - 1, pos;

    if (!s->v[3] || b > newest || b <= newest - BUCKETS || b < 0)
        return 0;
    pos = b % BUCKETS;
    return (int)((s->v[pos / PER_SLOT] >> (5 * (pos % PER_SLOT))) & 31);
}

static void step_set(struct rs_dstate *s, int64_t b, int step)
{
    int64_t pos = b % BUCKETS;
    int shift = 5 * (int)(pos % PER_SLOT);
    int64_t *v = &s->v[pos / PER_SLOT];

    *v = (*v & ~(31LL << shift)) | ((int64_t)step << shift);
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    const struct rs_comm *com = &ev->u.com;
    int has_level = (ev->has & RS_COM_HAS_DUNNING_LEVEL) != 0;
    int64_t step, day, b, newest;

    (void)c;
    if (ev->kind != RS_EVENT_COMM)
        return;
    switch (ev->type) {
    case RS_COMM_REMINDER:
        step = has_level && com->dunning_level > 0 ? com->dunning_level : 1;
        break;
    case RS_COMM_FORMAL_NOTICE:
        step = has_level && com->dunning_level > p[P_NOTICE]
                   ? com->dunning_level
                   : p[P_NOTICE];
        break;
    case RS_COMM_COLLECTIONS_HANDOVER:
        step = p[P_HANDOVER];
        break;
    default:
        return;
    }
    /* Below a hand-over, so that the message names the step correctly. */
    if (ev->type != RS_COMM_COLLECTIONS_HANDOVER && step >= p[P_HANDOVER] &&
        p[P_HANDOVER] > 1)
        step = p[P_HANDOVER] - 1;
    if (step > STEP_MAX)
        step = STEP_MAX;
    day = rs_day_of(ev->event_time);
    b = day > 0 ? day / BUCKET_DAYS : 0;
    newest = s->v[3] - 1;
    if (!s->v[3] || b > newest) {
        /* Clear the buckets that the ring moves over. */
        int64_t from = !s->v[3] || b - newest > BUCKETS ? b - BUCKETS + 1
                                                        : newest + 1;

        for (int64_t k = from; k <= b; k++)
            if (k >= 0)
                step_set(s, k, 0);
        s->v[3] = b + 1;
    } else if (b <= newest - BUCKETS) {
        return; /* older than the ring */
    }
    if (step > step_at(s, b))
        step_set(s, b, (int)step);
}

struct view {
    int recent, baseline;
    int64_t window_buckets, baseline_buckets;
};

static struct view view_at(const int64_t *p, const struct rs_dstate *s,
                           int64_t cur)
{
    struct view w = {0, 0, (p[P_WINDOW] + BUCKET_DAYS - 1) / BUCKET_DAYS,
                     (p[P_BASELINE] + BUCKET_DAYS - 1) / BUCKET_DAYS};

    if (w.window_buckets + w.baseline_buckets > BUCKETS)
        w.baseline_buckets = BUCKETS - w.window_buckets;
    for (int64_t b = cur - w.window_buckets + 1; b <= cur; b++)
        if (step_at(s, b) > w.recent)
            w.recent = step_at(s, b);
    for (int64_t b = cur - w.window_buckets - w.baseline_buckets + 1;
         b <= cur - w.window_buckets; b++)
        if (step_at(s, b) > w.baseline)
            w.baseline = step_at(s, b);
    return w;
}

/* 0: no finding, 1 escalation, 2 formal notice, 3 hand-over. */
static int grade(const int64_t *p, const struct view *w)
{
    if (w->recent < p[P_MIN_LEVEL] || w->recent <= w->baseline)
        return 0;
    return w->recent >= p[P_HANDOVER] ? 3 : w->recent >= p[P_NOTICE] ? 2 : 1;
}

static int64_t bucket_of(int64_t now)
{
    int32_t day = rs_day_of(now);

    return day > 0 ? day / BUCKET_DAYS : 0;
}

static int recent_count(const struct rs_customer *c, enum rs_comm_type type,
                        int64_t first_bucket)
{
    const struct rs_comm_stat *st = rs_customer_comm(c, (int)type);
    uint32_t n = st->count < RS_CUSTOMER_COMM_RING ? st->count
                                                   : RS_CUSTOMER_COMM_RING;
    int count = 0;

    for (uint32_t j = 0; j < n; j++)
        if (bucket_of(st->recent[(st->head + j) % RS_CUSTOMER_COMM_RING]) >=
            first_bucket)
            count++;
    return count;
}

static void describe(char *out, size_t size, const int64_t *p, int step)
{
    if (step == 0)
        rs_format_text(out, size, "no dunning");
    else if (step >= p[P_HANDOVER])
        rs_format_text(out, size, "a collections hand-over (step %d)", step);
    else if (step >= p[P_NOTICE])
        rs_format_text(out, size, "formal-notice step %d", step);
    else
        rs_format_text(out, size, "reminder step %d", step);
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    static const char *const codes[4] = {NULL, "DUNNING_ESCALATION",
                                         "DUNNING_FORMAL_NOTICE",
                                         "DUNNING_HANDOVER"};
    static const int scores[4] = {0, 25, 40, 60};
    int64_t cur = bucket_of(now);
    struct view w = view_at(p, s, cur);
    int g = grade(p, &w);
    int64_t first = cur - w.window_buckets + 1;
    char recent[64], before[64];
    struct rs_finding *f;
    int reminders, notices;

    if (max < 1 || g == 0)
        return 0;
    if (out->quiet) { /* the score is all that counts */
        rs_finding_start(out, "dunning", codes[g], scores[g]);
        return 1;
    }
    reminders = recent_count(c, RS_COMM_REMINDER, first);
    notices = recent_count(c, RS_COMM_FORMAL_NOTICE, first);
    describe(recent, sizeof(recent), p, w.recent);
    describe(before, sizeof(before), p, w.baseline);
    f = rs_finding_start(out, "dunning", codes[g], scores[g]);
    rs_finding_say(f, "dunning reached %s in the last %d days, above the customer's "
             "own history: %s in the %d days before (flagged from step %d); "
             "%d reminder%s and %d formal notice%s in the window",
             recent, (int)(w.window_buckets * BUCKET_DAYS), before,
             (int)(w.baseline_buckets * BUCKET_DAYS), (int)p[P_MIN_LEVEL],
             reminders, reminders == 1 ? "" : "s", notices,
             notices == 1 ? "" : "s");
    f->reason.value = w.recent;
    f->reason.has_baseline = 1;
    f->reason.baseline = w.baseline;
    f->reason.threshold = (double)p[P_MIN_LEVEL];
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)(w.window_buckets * BUCKET_DAYS);
    rs_finding_action(f, g == 3 ? "BLOCK_DELIVERIES" : "FOLLOW_UP_EARLIER");
    if (g >= 2)
        rs_finding_action(f, "STRICT_DUNNING");
    rs_finding_action(f, "STAY_IN_CONTACT");
    return 1;
}

/* The first bucket boundary at which the finding's grade changes. With
 * no new event the grade can move only where a bucket holding a step
 * enters the window, leaves it for the baseline, or leaves the baseline:
 * only those boundaries are judged, over the ring's steps read once (a
 * view of all 72 boundaries, each reading 36 packed buckets, was most of
 * this detector's cost). */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    int64_t cur = bucket_of(now), newest = s->v[3] - 1;
    int64_t oldest = newest - BUCKETS + 1;
    struct view w = view_at(p, s, cur);
    int g = grade(p, &w);
    int steps[BUCKETS]; /* steps[i]: bucket oldest + i */
    uint64_t cand[2] = {0, 0}; /* bit k - 1: the boundary cur + k */

    (void)c;
    if (!s->v[3])
        return RS_NO_TIMER;
    for (int i = 0; i < BUCKETS; i++) {
        int64_t b = oldest + i, ks[3];

        steps[i] = step_at(s, b);
        if (!steps[i])
            continue;
        ks[0] = b - cur; /* enters the window (a bucket ahead of now) */
        ks[1] = b + w.window_buckets - cur; /* into the baseline */
        ks[2] = ks[1] + w.baseline_buckets; /* out of the baseline */
        for (int j = 0; j < 3; j++)
            if (ks[j] >= 1 && ks[j] <= 2 * BUCKETS)
                cand[(ks[j] - 1) / 64] |= 1ULL << ((ks[j] - 1) % 64);
    }
    for (int i = 0; i < 2; i++)
        for (uint64_t m = cand[i]; m; m &= m - 1) {
            int64_t k = i * 64 + __builtin_ctzll(m) + 1, at = cur + k;
            struct view later = w;

            later.recent = later.baseline = 0;
            for (int j = 0; j < BUCKETS; j++) {
                int64_t b = oldest + j;

                if (b > at || b < 0)
                    continue;
                if (b > at - w.window_buckets) {
                    if (steps[j] > later.recent)
                        later.recent = steps[j];
                } else if (b > at - w.window_buckets - w.baseline_buckets &&
                           steps[j] > later.baseline) {
                    later.baseline = steps[j];
                }
            }
            if (grade(p, &later) != g)
                return at * BUCKET_DAYS * RS_DAY_MS;
        }
    return RS_NO_TIMER;
}

const struct rs_detector rs_detector_dunning = {
    .name = "dunning",
    .id = 10,
    .reads = RS_PART_COMM,
    .signal = "Dunning escalation",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_COMM),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
