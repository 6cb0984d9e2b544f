/* Silence: reminders, notices and calls the customer does not answer.
 *
 * Signal: "silence" (DOMAIN.md; seeds 000 §5, 001 #10, 004 #1): reminders,
 * e-mails and calls unanswered, the contact unreachable. Outbound contacts
 * are REMINDER, FORMAL_NOTICE and CALL_ATTEMPT; a response is anything
 * from the customer: an answered call, a reply, a promise, a request, an
 * excuse, a dispute, or a payment. The detector keeps the time of the last
 * response and the outbound contacts after it. The customer is silent when
 * the first of them has gone unanswered for `days` days; an event-time
 * timer at that moment makes the finding appear although, by definition,
 * nothing arrives. Several unanswered attempts over `long.days` make the
 * customer unreachable. Any response clears it (and the level goes down).
 *
 * Out of order: an outbound contact older than the last response was
 * answered and is not counted; a response that arrives late, between
 * outbound contacts, answers those before it: the unanswered ones are
 * counted again from the shared rings of recent contact times.
 *
 * Slots:
 *   0 event time of the last response (valid when slot 5 is 1)
 *   1 event time of the first unanswered outbound contact
 *   2 event time of the last unanswered outbound contact
 *   3 unanswered outbound contacts (0: none; slots 1, 2, 4 then unused)
 *   4 of them, 20 bits each: reminders, formal notices, call attempts
 *   5 1 once the customer responded at all */
#include <stdio.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"

enum { P_DAYS, P_LONG_DAYS, P_UNREACHABLE };

static const struct rs_detector_prop props[] = {
    {"days", 14, 1, 3650,
     "Days the first unanswered reminder, formal notice or call attempt may "
     "go without any response before the customer is silent (score 30, "
     "MEDIUM)."},
    {"long.days", 30, 1, 3650,
     "Days of silence from which, with unreachable.count attempts or more, "
     "the customer is unreachable (score 50, HIGH)."},
    {"unreachable.count", 3, 1, 1000,
     "Unanswered outbound contacts that make a long silence unreachable."},
    {NULL, 0, 0, 0, NULL},
};

static const enum rs_comm_type outbound[3] = {
    RS_COMM_REMINDER, RS_COMM_FORMAL_NOTICE, RS_COMM_CALL_ATTEMPT};

static int outbound_index(int type)
{
    for (int i = 0; i < 3; i++)
        if ((int)outbound[i] == type)
            return i;
    return -1;
}

static int is_response(const struct rs_event *ev)
{
    if (ev->kind == RS_EVENT_PAYMENT)
        return ev->type == RS_PAYMENT_FULL || ev->type == RS_PAYMENT_PARTIAL;
    if (ev->kind != RS_EVENT_COMM)
        return 0;
    switch (ev->type) {
    case RS_COMM_CALL_ANSWERED:
    case RS_COMM_INBOUND_REPLY:
    case RS_COMM_PROMISE_TO_PAY:
    case RS_COMM_EXTENSION_REQUEST:
    case RS_COMM_EXCUSE:
    case RS_COMM_DISPUTE_OPENED:
    case RS_COMM_DISPUTE_RESOLVED:
    case RS_COMM_PAYMENT_TERMS_REQUEST:
    case RS_COMM_DEPOSIT_REFUSED:
        return 1;
    default:
        return 0;
    }
}

static int64_t kind_count(const struct rs_dstate *s, int k)
{
    return (s->v[4] >> (20 * k)) & 0xfffff;
}

static void add_outbound(struct rs_dstate *s, int k, int64_t t)
{
    if (s->v[3] == 0) {
        s->v[1] = s->v[2] = t;
        s->v[4] = 0;
    } else {
        if (t < s->v[1])
            s->v[1] = t;
        if (t > s->v[2])
            s->v[2] = t;
    }
    s->v[3]++;
    if (kind_count(s, k) < 0xfffff)
        s->v[4] += 1LL << (20 * k);
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    int64_t t = ev->event_time;
    int k = ev->kind == RS_EVENT_COMM ? outbound_index(ev->type) : -1;

    (void)p;
    if (k >= 0) {
        if (s->v[5] && t <= s->v[0])
            return; /* answered already: older than the last response */
        add_outbound(s, k, t);
        return;
    }
    if (!is_response(ev) || (s->v[5] && t <= s->v[0]))
        return;
    s->v[0] = t;
    s->v[5] = 1;
    s->v[3] = 0;
    /* Outbound contacts after this response stay unanswered. */
    for (int i = 0; i < 3; i++) {
        const struct rs_comm_stat *st = rs_customer_comm(c, outbound[i]);
        uint32_t n = st->count < RS_CUSTOMER_COMM_RING ? st->count
                                                       : RS_CUSTOMER_COMM_RING;

        for (uint32_t j = 0; j < n; j++) {
            int64_t at = st->recent[(st->head + j) % RS_CUSTOMER_COMM_RING];

            if (at > t)
                add_outbound(s, i, at);
        }
    }
    if (s->v[3] == 0)
        s->v[1] = s->v[2] = s->v[4] = 0;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    static const char *const names[3][2] = {{"reminder", "reminders"},
                                            {"formal notice", "formal notices"},
                                            {"call attempt", "call attempts"}};
    int64_t days, last_days;
    char kinds[128] = "", heard[64];
    size_t len = 0;
    int strong;
    struct rs_finding *f;

    (void)c;
    if (max < 1 || s->v[3] == 0)
        return 0;
    days = (now - s->v[1]) / RS_DAY_MS;
    if (days < p[P_DAYS])
        return 0;
    last_days = (now - s->v[2]) / RS_DAY_MS;
    strong = s->v[3] >= p[P_UNREACHABLE] && days >= p[P_LONG_DAYS];
    for (int k = 0; k < 3 && !out->quiet; k++) {
        int64_t n = kind_count(s, k);

        if (!n)
            continue;
        len += (size_t)snprintf(kinds + len, sizeof(kinds) - len, "%s%lld %s",
                                len ? ", " : "", (long long)n,
                                names[k][n != 1]);
        if (len >= sizeof(kinds))
            len = sizeof(kinds) - 1;
    }
    if (out->quiet)
        heard[0] = '\0'; /* no words: no alert can come of this */
    else if (s->v[5])
        rs_format_text(heard, sizeof(heard), "last heard from %lld days ago",
                       (long long)((now - s->v[0]) / RS_DAY_MS));
    else
        rs_format_text(heard, sizeof(heard), "never heard from");
    f = rs_finding_start(out, "silence",
                         strong ? "SILENCE_UNREACHABLE" : "SILENCE_NO_RESPONSE",
                         strong ? 50 : 30);
    rs_finding_say(f, "no reply, answered call, promise or payment for %lld days "
             "since the first of %lld unanswered contacts (%s; the last %lld "
             "days ago); %s (flagged after %d days)",
             (long long)days, (long long)s->v[3], kinds, (long long)last_days,
             heard, (int)p[P_DAYS]);
    f->reason.value = (double)days;
    f->reason.threshold = (double)p[P_DAYS];
    rs_finding_action(f, "FOLLOW_UP_EARLIER");
    rs_finding_action(f, "STAY_IN_CONTACT");
    if (strong)
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    return 1;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    int64_t at[2], next = RS_NO_TIMER;

    (void)c;
    if (s->v[3] == 0)
        return RS_NO_TIMER;
    at[0] = s->v[1] + p[P_DAYS] * RS_DAY_MS;
    at[1] = s->v[3] >= p[P_UNREACHABLE] ? s->v[1] + p[P_LONG_DAYS] * RS_DAY_MS
                                        : RS_NO_TIMER;
    for (int i = 0; i < 2; i++)
        if (at[i] > now && at[i] < next)
            next = at[i];
    return next;
}

const struct rs_detector rs_detector_silence = {
    .name = "silence",
    .id = 9,
    .reads = RS_PART_NONE,
    .signal = "Silence: reminders and calls unanswered, contact unreachable",
    .props = props,
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
