/* Insurer clocks: the deadlines of a trade-credit insurance policy.
 *
 * Signal: "insurer clocks" (DOMAIN.md). Credit insurers want an overdue
 * invoice reported within about 15 days, allow deferral up to a maximum
 * extension period (about two months after due), after which deliveries
 * must stop, and want the claim handed over to collections within about 30
 * days after that. Off unless detector.insurer.enabled = 1. Its findings
 * explain the deadline and recommend the action; they add no score of
 * their own (the overdue detector scores the lateness). */
#include <stdio.h>

#include "riskstream/detector.h"

enum { P_ENABLED, P_REPORT, P_EXTENSION, P_COLLECTIONS };

static const struct rs_detector_prop props[] = {
    {"enabled", 0, 0, 1,
     "1 when the supplier's receivables are credit-insured: adds the "
     "insurer's deadlines to alerts."},
    {"report.days", 15, 1, 365,
     "Days after the due date by which an overdue invoice must be reported "
     "to the insurer."},
    {"extension.days", 60, 1, 365,
     "Maximum extension period after the due date; then deliveries must "
     "stop."},
    {"collections.days", 30, 1, 365,
     "Days after the maximum extension by which the claim goes to "
     "collections."},
    {NULL, 0, 0, 0, NULL},
};

/* The oldest open, undisputed invoice's days past due, or -1. */
static const struct rs_open_invoice *oldest(const struct rs_customer *c)
{
    const struct rs_open_index *x = rs_customer_index(c);

    /* The first in due order; among equal due dates the first to arrive. */
    return x->n ? &c->open[x->at[0]] : NULL;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    const struct rs_open_invoice *o = oldest(c);
    int32_t days;
    struct rs_finding *f;

    (void)s;
    if (!p[P_ENABLED] || !o || max < 1)
        return 0;
    days = rs_day_of(now) - o->due_date;
    if (days < p[P_REPORT])
        return 0;
    if (days >= p[P_EXTENSION] + p[P_COLLECTIONS]) {
        f = rs_finding_start(out, "insurer", "INSURER_COLLECTIONS_DEADLINE", 0);
        rs_finding_say(f, "insurer deadline: invoice %s is %d days past due, past the "
                 "%d-day extension and the %d days allowed for the hand-over "
                 "to collections",
                 o->invoice_id, days, (int)p[P_EXTENSION],
                 (int)p[P_COLLECTIONS]);
        f->reason.threshold = (double)(p[P_EXTENSION] + p[P_COLLECTIONS]);
        rs_finding_action(f, "INSURER_COLLECTIONS_DEADLINE");
    } else if (days >= p[P_EXTENSION]) {
        f = rs_finding_start(out, "insurer", "INSURER_EXTENSION_REACHED", 0);
        rs_finding_say(f, "insurer deadline: invoice %s is %d days past due, the "
                 "maximum extension of %d days is reached; hand over to "
                 "collections within %d days",
                 o->invoice_id, days, (int)p[P_EXTENSION],
                 (int)(p[P_EXTENSION] + p[P_COLLECTIONS] - days));
        f->reason.threshold = (double)p[P_EXTENSION];
        rs_finding_action(f, "INSURER_STOP_DELIVERIES");
    } else {
        f = rs_finding_start(out, "insurer", "INSURER_REPORT_OVERDUE", 0);
        rs_finding_say(f, "insurer deadline: invoice %s is %d days past due; overdue "
                 "invoices must be reported within %d days",
                 o->invoice_id, days, (int)p[P_REPORT]);
        f->reason.threshold = (double)p[P_REPORT];
        rs_finding_action(f, "REPORT_TO_INSURER");
    }
    f->reason.value = days;
    rs_finding_evidence(f, o->event_id);
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    const struct rs_open_invoice *o = oldest(c);
    const int64_t steps[] = {p[P_REPORT], p[P_EXTENSION],
                             p[P_EXTENSION] + p[P_COLLECTIONS]};
    int64_t next = RS_NO_TIMER;

    (void)s;
    if (!p[P_ENABLED] || !o)
        return RS_NO_TIMER;
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        int64_t at = ((int64_t)o->due_date + steps[k]) * RS_DAY_MS;

        if (at > now && at < next)
            next = at;
    }
    return next;
}

const struct rs_detector rs_detector_insurer = {
    .name = "insurer",
    .id = 1,
    .reads = RS_PART_OPEN,
    .signal = "Insurer clocks: reporting deadline, maximum extension, "
              "collections hand-over",
    .props = props,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
