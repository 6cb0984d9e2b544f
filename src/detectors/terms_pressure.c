/* Payment-terms pressure: asking for longer terms, refusing a deposit.
 *
 * Signal: "payment-terms pressure" (DOMAIN.md; seeds 000 §3, 001 #1): a
 * customer negotiating longer payment terms, or refusing a deposit or
 * prepayment, is financing itself with the supplier's money. The detector
 * keeps the latest PAYMENT_TERMS_REQUEST and DEPOSIT_REFUSED events in its
 * slots, with the term asked and the term on the customer's invoices at
 * that moment (payment_terms_days of the latest issued invoice), and counts
 * them in a sliding window. A request for a term no longer than the one
 * the customer already has is not pressure and is not counted; a request
 * that names no term is. One request is a soft signal (score 20, below
 * MEDIUM alone); `repeat.count` of them score 35. A refused deposit scores
 * 30, 40 when repeated. Timers fire when an event leaves the window.
 *
 * Slots:
 *   0..5 one event each, the latest six by event time, 0 = empty:
 *        (event minute + 1) << 32 | bits 0..13 requested_days (capped),
 *        bits 14..27 the invoices' term then + 1 (0: unknown), bit 28
 *        requested_days given, bit 29 a refused deposit (else a request)
 *   6 payment_terms_days of the latest issued invoice + 1 (0: none yet)
 *   7 event minute + 1 of that invoice */
#include <stdio.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

#include "entries.h"

enum { P_WINDOW, P_REPEAT };

#define SLOTS 6
#define MINUTE_MS 60000LL
#define DAYS_MAX 16383
#define HAS_DAYS (1u << 28)
#define DEPOSIT (1u << 29)

static const struct rs_detector_prop props[] = {
    {"window.days", 180, 1, 3650,
     "Sliding window (days) in which requests for longer terms and refused "
     "deposits are counted."},
    {"repeat.count", 2, 1, 6,
     "Events of one kind in the window from which they count as repeated: "
     "longer terms 35, refused deposits 40 (MEDIUM)."},
    {NULL, 0, 0, 0, NULL},
};

static int64_t minute_of(int64_t t)
{
    return t > 0 ? t / MINUTE_MS : 0;
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    uint32_t flags = 0;
    int64_t e;
    int slot = -1;

    (void)p;
    (void)c;
    if (ev->kind == RS_EVENT_INVOICE && ev->type == RS_INVOICE_ISSUED) {
        int64_t m = minute_of(ev->event_time) + 1;
        int32_t terms = ev->u.inv.payment_terms_days;

        if (m >= s->v[7]) { /* the latest by event time */
            s->v[6] = (terms > DAYS_MAX - 1 ? DAYS_MAX - 1 : terms) + 1;
            s->v[7] = m;
        }
        return;
    }
    if (ev->kind != RS_EVENT_COMM)
        return;
    if (ev->type == RS_COMM_DEPOSIT_REFUSED) {
        flags = DEPOSIT;
    } else if (ev->type == RS_COMM_PAYMENT_TERMS_REQUEST) {
        if (ev->has & RS_COM_HAS_REQUESTED_DAYS)
            flags = HAS_DAYS |
                    (uint32_t)(ev->u.com.requested_days > DAYS_MAX
                                   ? DAYS_MAX
                                   : ev->u.com.requested_days);
        flags |= (uint32_t)s->v[6] << 14;
    } else {
        return;
    }
    e = (minute_of(ev->event_time) + 1) << 32 | (int64_t)flags;
    for (int i = 0; i < SLOTS; i++) {
        if (s->v[i] == e)
            return; /* a duplicate */
        if (slot < 0 && s->v[i] == 0)
            slot = i;
    }
    if (slot < 0) {
        slot = 0;
        for (int i = 1; i < SLOTS; i++)
            if (s->v[i] < s->v[slot])
                slot = i;
        if (s->v[slot] > e)
            return; /* older than everything kept */
    }
    s->v[slot] = e;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int requests = 0, deposits = 0, asked = 0, nf = 0;
    int32_t asked_max = 0, terms = 0;
    struct rs_finding *f;

    (void)c;
    for (int i = 0; i < SLOTS; i++) {
        int64_t e = s->v[i];
        uint32_t flags = (uint32_t)e;
        int32_t days = (int32_t)(flags & DAYS_MAX);
        int32_t then = (int32_t)((flags >> 14) & DAYS_MAX) - 1;

        if (!e || rs_entry_time(e) > now ||
            now - rs_entry_time(e) >= p[P_WINDOW] * RS_DAY_MS)
            continue;
        if (flags & DEPOSIT) {
            deposits++;
            continue;
        }
        if ((flags & HAS_DAYS) && then >= 0 && days <= then)
            continue; /* not longer than what it has */
        requests++;
        if (flags & HAS_DAYS) {
            asked++;
            if (days > asked_max) {
                asked_max = days;
                terms = then;
            }
        }
    }
    if (requests && nf < max) {
        int repeated = requests >= p[P_REPEAT];
        char detail[96] = "";

        if (out->quiet)
            ; /* no words: no alert can come of this */
        else if (asked && terms >= 0)
            rs_format_text(detail, sizeof(detail),
                           ", up to %d days against %d days on its invoices",
                           (int)asked_max, (int)terms);
        else if (asked)
            rs_format_text(detail, sizeof(detail), ", up to %d days",
                           (int)asked_max);
        f = rs_finding_start(&out[nf++], "terms_pressure",
                             "TERMS_LONGER_REQUESTED", repeated ? 35 : 20);
        rs_finding_say(f, "asked for longer payment terms %d %s in the last %d "
                 "days%s (repeated from %d)",
                 requests, requests == 1 ? "time" : "times",
                 (int)p[P_WINDOW], detail, (int)p[P_REPEAT]);
        f->reason.value = requests;
        f->reason.threshold = 1;
        f->reason.has_window_days = 1;
        f->reason.window_days = (int32_t)p[P_WINDOW];
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
        if (repeated)
            rs_finding_action(f, "SHORTER_TERMS");
        rs_finding_action(f, "STAY_IN_CONTACT");
    }
    if (deposits && nf < max) {
        int repeated = deposits >= p[P_REPEAT];

        f = rs_finding_start(&out[nf++], "terms_pressure", "DEPOSIT_REFUSED",
                             repeated ? 40 : 30);
        rs_finding_say(f, "refused a deposit or prepayment %d %s in the last %d days "
                 "(repeated from %d)",
                 deposits, deposits == 1 ? "time" : "times", (int)p[P_WINDOW],
                 (int)p[P_REPEAT]);
        f->reason.value = deposits;
        f->reason.threshold = 1;
        f->reason.has_window_days = 1;
        f->reason.window_days = (int32_t)p[P_WINDOW];
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
        rs_finding_action(f, "SHORTER_TERMS");
        rs_finding_action(f, "STAY_IN_CONTACT");
    }
    return nf;
}

/* When the next counted event leaves the window. */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    (void)c;
    return rs_entry_next_expiry(s->v, SLOTS, now, p[P_WINDOW] * RS_DAY_MS);
}

const struct rs_detector rs_detector_terms_pressure = {
    .name = "terms_pressure",
    .id = 11,
    .reads = RS_PART_NONE,
    .signal = "Payment-terms pressure: longer terms asked, deposit refused",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_COMM) | RS_INPUT(RS_EVENT_INVOICE),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
