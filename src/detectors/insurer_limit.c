/* A credit limit reduced or withdrawn by the credit insurer or bureau.
 *
 * Signal: "credit score change" as trade-credit insurers express it
 * (DOMAIN.md: insurers monitor the buyers of their policyholders): when
 * the insurer cuts its limit on a customer it has seen something, and
 * deliveries above the limit are at the supplier's own risk. A REDUCED
 * limit is a clear reason, a WITHDRAWN one nearly critical. The latest
 * CREDIT_LIMIT_DECISION decides: a later GRANTED or INCREASED limit ends
 * the finding, and so does the end of `keep.days` after the decision (a
 * timer lowers the level). The message gives the new limit, the one
 * before it when an earlier decision told it, and, when the limit is in
 * the customer's invoicing currency, how much of the open receivables it
 * leaves uncovered.
 *
 * Out of order: a decision older than the latest one applied is not
 * applied (the newer decision is the one in force).
 *
 * Slots:
 *   0 the latest decision: (event minute + 1) << 32 | limit_action, 0 =
 *     none
 *   1 the limit after it (minor units), valid when its currency is set
 *   2 the limit before it (from the previous decision), likewise
 *   3 currencies: of slot 1 (3 bytes) | of slot 2 << 32; 0 = not known
 *   4..7 unused (0) */
#include <stdio.h>
#include <string.h>

#include "entries.h"
#include "riskstream/detector.h"
#include "riskstream/format.h"

enum { P_KEEP, P_REDUCED_SCORE, P_WITHDRAWN_SCORE };

enum { S_DECISION, S_LIMIT, S_PREV_LIMIT, S_CURRENCIES };

static const struct rs_detector_prop props[] = {
    {"keep.days", 180, 1, 3650,
     "Days after a reduced or withdrawn limit for which the finding stays "
     "(unless a later decision grants or increases the limit)."},
    {"reduced.score", 50, 0, 100,
     "Score contribution of a reduced credit limit."},
    {"withdrawn.score", 75, 0, 100,
     "Score contribution of a withdrawn credit limit."},
    {NULL, 0, 0, 0, NULL},
};

static int64_t pack_currency(const char *ccy)
{
    int64_t r = 0;

    for (int i = 0; i < 3 && ccy[i]; i++)
        r |= (int64_t)(uint8_t)ccy[i] << (8 * i);
    return r;
}

static void unpack_currency(char out[RS_CURRENCY_MAX], int64_t r)
{
    for (int i = 0; i < 3; i++)
        out[i] = (char)((r >> (8 * i)) & 0xff);
    out[3] = '\0';
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    const struct rs_bureau *b = &ev->u.bur;
    int64_t *v = s->v, e, ccy = 0;

    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_BUREAU ||
        ev->type != RS_BUREAU_CREDIT_LIMIT_DECISION ||
        !(ev->has & RS_BUR_HAS_LIMIT_ACTION) ||
        b->limit_action == RS_LIMIT_UNKNOWN)
        return;
    e = rs_entry_make(ev->event_time, (uint32_t)b->limit_action);
    if (v[S_DECISION] && e <= v[S_DECISION])
        return; /* older than the decision in force, or the same again */
    if (ev->has & RS_BUR_HAS_LIMIT_AMOUNT)
        ccy = pack_currency(b->limit_currency);
    v[S_DECISION] = e;
    v[S_PREV_LIMIT] = v[S_LIMIT];
    v[S_LIMIT] = ccy ? b->limit_amount : 0;
    v[S_CURRENCIES] = (v[S_CURRENCIES] & 0xffffffffLL) << 32 | ccy;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    const int64_t *v = s->v;
    int64_t e = v[S_DECISION];
    int64_t ccy = v[S_CURRENCIES] & 0xffffffffLL;
    int64_t prev_ccy = v[S_CURRENCIES] >> 32;
    uint32_t action = rs_entry_payload(e);
    int withdrawn = action == RS_LIMIT_WITHDRAWN;
    char currency[RS_CURRENCY_MAX], date[32], limit[64], before[96];
    char exposure[160];
    struct rs_finding *f;
    int64_t open = 0;

    if (max < 1 || (action != RS_LIMIT_REDUCED && !withdrawn) ||
        !rs_entry_in_window(e, now, p[P_KEEP] * RS_DAY_MS))
        return 0;
    f = rs_finding_start(out, "insurer_limit",
                         withdrawn ? "CREDIT_LIMIT_WITHDRAWN"
                                   : "CREDIT_LIMIT_REDUCED",
                         (int32_t)(withdrawn ? p[P_WITHDRAWN_SCORE]
                                             : p[P_REDUCED_SCORE]));
    rs_entry_date(date, sizeof(date), rs_entry_time(e));
    unpack_currency(currency, ccy);
    rs_format_amount(limit, sizeof(limit), ccy ? v[S_LIMIT] : 0, currency);
    before[0] = '\0';
    if (prev_ccy == ccy && ccy) {
        char prev[64];

        rs_format_amount(prev, sizeof(prev), v[S_PREV_LIMIT], currency);
        rs_format_text(before, sizeof(before), " (was %s)", prev);
        f->reason.has_baseline = 1;
        f->reason.baseline = (double)v[S_PREV_LIMIT] / 100.0;
        f->reason.threshold = f->reason.baseline;
    }
    exposure[0] = '\0';
    if (ccy && strcmp(currency, c->currency) == 0) {
        open = rs_customer_index(c)->owed_all;
        if (open > (withdrawn ? 0 : v[S_LIMIT])) {
            char a[64], b[64];

            rs_format_amount(a, sizeof(a), open, c->currency);
            rs_format_amount(b, sizeof(b),
                             open - (withdrawn ? 0 : v[S_LIMIT]), c->currency);
            rs_format_text(exposure, sizeof(exposure),
                           "; %s is open, %s of it not covered", a, b);
        }
    }
    if (withdrawn)
        rs_finding_say(f, "the credit insurer withdrew its limit on the customer on "
                 "%s%s: new deliveries are not insured%s",
                 date, before, exposure);
    else if (ccy)
        rs_finding_say(f, "the credit insurer reduced its limit on the customer to "
                 "%s on %s%s%s",
                 limit, date, before, exposure);
    else
        rs_finding_say(f, "the credit insurer reduced its limit on the customer on "
                 "%s (new amount not given)",
                 date);
    f->reason.value = ccy ? (double)v[S_LIMIT] / 100.0 : 0.0;
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_KEEP];
    rs_finding_action(f, "SHORTER_TERMS");
    rs_finding_action(f, "PREPAYMENT");
    rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    uint32_t action = rs_entry_payload(s->v[S_DECISION]);

    (void)c;
    if (action != RS_LIMIT_REDUCED && action != RS_LIMIT_WITHDRAWN)
        return RS_NO_TIMER;
    return rs_entry_next_expiry(s->v + S_DECISION, 1, now,
                                 p[P_KEEP] * RS_DAY_MS);
}

const struct rs_detector rs_detector_insurer_limit = {
    .name = "insurer_limit",
    .id = 19,
    .reads = RS_PART_OPEN | RS_PART_PROFILE,
    .signal = "Credit score change as insurers express it: a credit limit "
              "reduced or withdrawn",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
