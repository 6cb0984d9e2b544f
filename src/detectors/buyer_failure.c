/* A major buyer of the customer fails: the domino effect.
 *
 * Signal: "risky buyers of the customer" (DOMAIN.md, seed 001 #2): a
 * customer that depends on a buyer who fails loses revenue and probably a
 * receivable of its own. MAJOR_BUYER_FAILURE events say which buyer failed
 * and, when the source knows it, its share of the customer's revenue. The
 * score grows with that share: `base.score` plus `share.weight` percent of
 * the share in percent points (with the defaults, a buyer with 25 % of the
 * revenue scores 55, one with half of it 80); failures in the window add
 * up their shares; a failure of unknown share scores `unknown.score`.
 * Buyers below `min.share.pct` are not major and are left out. The finding
 * stays `keep.days` after each failure; a timer then lowers the level.
 * The buyer's name is not kept (only a hash, to count a buyer reported
 * twice once).
 *
 * Slots: 0..7 one failure each, the latest eight by event time, newest
 * first, 0 = empty: (event minute + 1) << 32 | (hash of buyer_name & 0xfffff)
 * << 11 | share in per mille (0..1000; 2047 = not known). A second report
 * of the same buyer is not counted again; it fills in the share if the
 * first report lacked it (within keep.days of the first). */
#include <stdio.h>

#include "entries.h"
#include "riskstream/detector.h"
#include "riskstream/format.h"

enum {
    P_KEEP,
    P_BASE,
    P_WEIGHT,
    P_UNKNOWN,
    P_MIN_SHARE,
    P_MAX_SCORE,
};

#define SLOTS RS_DSTATE_SLOTS
#define SHARE_UNKNOWN 2047u
#define SHARE_MASK 0x7ffu
#define NAME_SHIFT 11

static const struct rs_detector_prop props[] = {
    {"keep.days", 180, 1, 3650,
     "Days after a buyer's failure for which it counts."},
    {"base.score", 30, 0, 100,
     "Score contribution of a failed major buyer before its share is "
     "added."},
    {"share.weight", 100, 0, 400,
     "Score points added per 100 percentage points of revenue share of the "
     "failed buyers (100: one point per percent)."},
    {"unknown.score", 40, 0, 100,
     "Score contribution of a failed buyer whose share of the customer's "
     "revenue is not known."},
    {"min.share.pct", 5, 0, 100,
     "Buyers with a known share of the customer's revenue below this "
     "percentage are not major and are left out."},
    {"max.score", 85, 0, 100,
     "Cap on the score contribution."},
    {NULL, 0, 0, 0, NULL},
};

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    const struct rs_bureau *b = &ev->u.bur;
    uint32_t name = 0, share = SHARE_UNKNOWN;

    (void)c;
    if (ev->kind != RS_EVENT_BUREAU ||
        ev->type != RS_BUREAU_MAJOR_BUYER_FAILURE)
        return;
    if ((ev->has & RS_BUR_HAS_BUYER_NAME) && b->buyer_name[0])
        name = rs_entry_hash(b->buyer_name) & 0xfffffu;
    if (ev->has & RS_BUR_HAS_BUYER_SHARE)
        share = (uint32_t)(b->buyer_share * 1000.0 + 0.5);
    for (int i = 0; name && i < SLOTS; i++) {
        uint32_t pl = rs_entry_payload(s->v[i]);

        if (!rs_entry_in_window(s->v[i], ev->event_time,
                                 p[P_KEEP] * RS_DAY_MS) ||
            pl >> NAME_SHIFT != name)
            continue;
        if ((pl & SHARE_MASK) == SHARE_UNKNOWN && share != SHARE_UNKNOWN)
            s->v[i] = (s->v[i] & ~(int64_t)SHARE_MASK) | share;
        return; /* the same buyer again */
    }
    rs_entry_insert(s->v, SLOTS,
                     rs_entry_make(ev->event_time,
                                     name << NAME_SHIFT | share));
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int64_t keep = p[P_KEEP] * RS_DAY_MS, newest = 0, total = 0, score = 0;
    int n = 0, unknown = 0;
    struct rs_finding *f;
    char date[32], share[96];

    (void)c;
    if (max < 1)
        return 0;
    for (int i = 0; i < SLOTS; i++) {
        uint32_t sh;

        if (!rs_entry_in_window(s->v[i], now, keep))
            continue;
        sh = rs_entry_payload(s->v[i]) & SHARE_MASK;
        if (sh != SHARE_UNKNOWN && (int64_t)sh * 100 < p[P_MIN_SHARE] * 1000)
            continue; /* not a major buyer */
        if (!n)
            newest = rs_entry_time(s->v[i]);
        n++;
        if (sh == SHARE_UNKNOWN)
            unknown++;
        else
            total += sh;
    }
    if (n == 0)
        return 0;
    if (total > 1000)
        total = 1000;
    if (n > unknown)
        score = p[P_BASE] + total * p[P_WEIGHT] / 1000;
    if (unknown && p[P_UNKNOWN] > score)
        score = p[P_UNKNOWN];
    if (score > p[P_MAX_SCORE])
        score = p[P_MAX_SCORE];
    f = rs_finding_start(out, "buyer_failure", "MAJOR_BUYER_FAILURE",
                         (int32_t)score);
    rs_entry_date(date, sizeof(date), newest);
    if (n == 1 && unknown)
        rs_format_text(share, sizeof(share),
                       "its share of the customer's revenue is not known");
    else if (n == 1)
        rs_format_text(share, sizeof(share),
                       "it brought %d%% of the customer's revenue",
                       (int)((total + 5) / 10));
    else if (unknown)
        rs_format_text(share, sizeof(share),
                       "together at least %d%% of the customer's revenue "
                       "(%d of unknown share)",
                       (int)((total + 5) / 10), unknown);
    else
        rs_format_text(share, sizeof(share),
                       "together %d%% of the customer's revenue",
                       (int)((total + 5) / 10));
    if (n == 1)
        rs_finding_say(f, "a major buyer of the customer failed on %s; %s (domino "
                 "risk: the customer may lose revenue and a receivable)",
                 date, share);
    else
        rs_finding_say(f, "%d major buyers of the customer failed in the last %d "
                 "days, the latest on %s; %s (domino risk)",
                 n, (int)p[P_KEEP], date, share);
    f->reason.value = (double)total / 10.0;
    f->reason.threshold = (double)p[P_MIN_SHARE];
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_KEEP];
    rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    rs_finding_action(f, "STAY_IN_CONTACT");
    rs_finding_action(f, "SHORTER_TERMS");
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    (void)c;
    return rs_entry_next_expiry(s->v, SLOTS, now, p[P_KEEP] * RS_DAY_MS);
}

const struct rs_detector rs_detector_buyer_failure = {
    .name = "buyer_failure",
    .id = 20,
    .reads = RS_PART_NONE,
    .signal = "Risky buyers of the customer: a major buyer fails (domino "
              "effect)",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_BUREAU),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
