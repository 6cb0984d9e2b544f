/* Risk clusters: the customer's segment pays late more and more often.
 *
 * Signal: "risk clusters" (DOMAIN.md, seed 002): sectors or business models
 * that pay late more often. The engine keeps, per task and per segment, a
 * reserved record (customer id "~rs:segment:<segment>") whose slots count
 * settled invoices and the late ones in event-time windows; before a
 * customer is evaluated the engine copies its segment's figures into the
 * customer's slots, and this detector compares the recent late share with
 * the segment's own baseline. A cluster is not a verdict on a customer: the
 * finding is soft and recommends staying in contact.
 *
 * Two guards against firing on a segment that did not change. The first
 * window is left out of the baseline: counting began part-way into it,
 * with the invoices that settled first, which are the ones paid early
 * (on the IBM sample its share was 20 % late against 35-40 % in every
 * later window, and a baseline starting from it made a steady segment
 * "deteriorate" for a year). And a rise of rise.points on a few dozen
 * invoices is often chance: the rise must also be rise.sigma standard
 * errors of the recent share, judged as a binomial share of its invoices
 * at the baseline's rate.
 *
 * Across tasks: each task sees the customers that hash to it, a random
 * sample of every segment (1/P of it with P partitions), and judges the
 * segment on that sample; min.invoices keeps small samples quiet. No task
 * needs another's data, so this scales with the partitions.
 *
 * Segment record slots (rs_cluster_count):
 *   0 current window number (event day / window.days)
 *   1, 2 late and settled invoices in the current window
 *   3, 4 late and settled invoices in the previous window
 *   5 baseline late share x 1000 (average of older windows, 1/4 weight)
 *   6 windows in the baseline
 *   7 1 once the first window (counting began part-way into it) has been
 *     left out of the baseline
 * Customer slots (rs_cluster_publish):
 *   0 recent late share x 1000 (current + previous window)
 *   1 settled invoices behind it
 *   2 baseline late share x 1000
 *   3 windows in the baseline */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "riskstream/cluster.h"

enum {
    P_WINDOW,
    P_LATE_DAYS,
    P_MIN_INVOICES,
    P_MIN_WINDOWS,
    P_RISE,
    P_SCORE,
    P_SIGMA,
};

static const struct rs_detector_prop props[] = {
    {"window.days", 90, 7, 730,
     "Length of a segment window; the recent share covers the current and "
     "the previous window."},
    {"late.days", 0, 0, 365,
     "An invoice counts as paid late when it was paid more than this many "
     "days after its due date."},
    {"min.invoices", 30, 1, 1000000,
     "Settled invoices the recent share must rest on (per task)."},
    {"min.windows", 2, 1, 100,
     "Completed windows the segment's baseline must rest on."},
    {"rise.points", 10, 1, 100,
     "Percentage points the recent late share must exceed the baseline by."},
    {"score", 20, 0, 100,
     "Score contribution of the finding: soft, below the medium level on "
     "its own (a whole segment would otherwise go to medium at once)."},
    {"rise.sigma", 3, 0, 10,
     "The rise must also be at least this many standard errors of the "
     "recent share (binomial, at the baseline share), so that the noise of "
     "a small sample does not fire (0: rise.points alone)."},
    {NULL, 0, 0, 0, NULL},
};

void rs_cluster_count(const int64_t *p, struct rs_dstate *seg, int32_t day,
                      int32_t days_late)
{
    int64_t w = day / p[P_WINDOW];
    int64_t *v = seg->v;

    if (v[2] + v[4] == 0 && v[6] == 0)
        v[0] = w;
    while (v[0] < w) {
        /* Close the current window: previous one goes into the baseline,
         * but for the window counting began in (slot 7 still 0): it began
         * part-way, with the invoices that happened to settle first. */
        if (v[4] > 0 && !v[6] && !v[7]) {
            v[7] = 1;
        } else if (v[4] > 0) {
            int64_t share = v[3] * 1000 / v[4];

            v[5] = v[6] ? (3 * v[5] + share) / 4 : share;
            v[6]++;
        }
        v[3] = v[1];
        v[4] = v[2];
        v[1] = v[2] = 0;
        v[0]++;
        if (v[3] == 0 && v[4] == 0 && v[0] < w)
            v[0] = w; /* quiet stretch: jump */
    }
    if (w < v[0])
        return; /* settled in a closed window: too late to count */
    v[2]++;
    if (days_late > p[P_LATE_DAYS])
        v[1]++;
}

void rs_cluster_publish(const struct rs_dstate *seg, struct rs_dstate *cust)
{
    int64_t total = seg->v[2] + seg->v[4];

    memset(cust, 0, sizeof(*cust));
    cust->v[1] = total;
    cust->v[0] = total ? (seg->v[1] + seg->v[3]) * 1000 / total : 0;
    cust->v[2] = seg->v[5];
    cust->v[3] = seg->v[6];
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    struct rs_finding *f;

    (void)now;
    if (max < 1 || !c->segment[0] || s->v[1] < p[P_MIN_INVOICES] ||
        s->v[3] < p[P_MIN_WINDOWS] ||
        s->v[0] < s->v[2] + p[P_RISE] * 10)
        return 0;
    {
        /* Shares are x1000: the standard error of a share of n invoices
         * at the baseline b is 1000 * sqrt(b (1 - b) / n). */
        double b = (double)s->v[2] / 1000.0;
        double se = 1000.0 * sqrt(b * (1.0 - b) / (double)s->v[1]);

        if ((double)(s->v[0] - s->v[2]) < (double)p[P_SIGMA] * se)
            return 0;
    }
    f = rs_finding_start(out, "cluster", "RISK_CLUSTER_DETERIORATING",
                         (int32_t)p[P_SCORE]);
    rs_finding_say(f, "the customer's segment '%s' is paying later: %.1f%% of its %lld "
             "recently settled invoices were paid late, against %.1f%% "
             "before (flagged from +%d points); a cluster is not a verdict "
             "on this customer",
             c->segment, (double)s->v[0] / 10.0, (long long)s->v[1],
             (double)s->v[2] / 10.0, (int)p[P_RISE]);
    f->reason.value = (double)s->v[0] / 10.0;
    f->reason.has_baseline = 1;
    f->reason.baseline = (double)s->v[2] / 10.0;
    f->reason.threshold = (double)s->v[2] / 10.0 + (double)p[P_RISE];
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)(2 * p[P_WINDOW]);
    rs_finding_action(f, "STAY_IN_CONTACT");
    rs_finding_action(f, "FOLLOW_UP_EARLIER");
    return 1;
}

const struct rs_detector rs_detector_cluster = {
    .name = "cluster",
    .id = RS_CLUSTER_DETECTOR_ID,
    .reads = RS_PART_PROFILE,
    .signal = "Risk clusters: a segment that pays late more often",
    .props = props,
    .volatile_state = 1, /* the segment's health */
    .evaluate = evaluate,
};
