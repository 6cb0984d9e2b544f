/* Repeated excuses for not paying, by category.
 *
 * Signal: "excuses" (DOMAIN.md; seeds 001 #4, 004 #2): forgot, invoice
 * lost, accounts department busy, cash problems. One excuse is normal;
 * excuses that keep coming are a sign, and an admitted cash problem weighs
 * more than a lost invoice. The detector keeps the latest EXCUSE events
 * (event time and category) in its slots and adds up their weights inside
 * a sliding window: every excuse counts 1, cash problems count
 * `cash.weight`. The message names the categories with their counts. A
 * timer fires when the oldest counted excuse leaves the window.
 *
 * Slots: 0..7 one excuse each, the latest eight by event time, 0 = empty:
 * (event minute + 1) << 32 | category (enum rs_excuse; OTHER when the
 * event names none). An identical entry is a duplicate, counted once. */
#include <stdio.h>
#include <string.h>

#include "riskstream/detector.h"

#include "entries.h"

enum { P_WINDOW, P_MIN_WEIGHT, P_HIGH_WEIGHT, P_CASH_WEIGHT };

#define SLOTS 8
#define MINUTE_MS 60000LL
#define CATEGORIES (RS_EXCUSE_OTHER + 1)

static const struct rs_detector_prop props[] = {
    {"window.days", 90, 1, 3650,
     "Sliding window (days) in which excuses are counted."},
    {"min.weight", 3, 1, 100,
     "Weighted excuses in the window from which the customer is flagged "
     "(score 30, MEDIUM); each excuse counts 1, cash problems cash.weight."},
    {"high.weight", 6, 1, 100,
     "Weighted excuses in the window from which the score is 50 (HIGH)."},
    {"cash.weight", 2, 1, 10,
     "What one 'cash problems' excuse counts for."},
    {NULL, 0, 0, 0, NULL},
};

static const char *const names[CATEGORIES] = {
    [RS_EXCUSE_FORGOT] = "forgot",
    [RS_EXCUSE_INVOICE_LOST] = "invoice lost",
    [RS_EXCUSE_ACCOUNTS_BUSY] = "accounts busy",
    [RS_EXCUSE_CASH_PROBLEMS] = "cash problems",
    [RS_EXCUSE_WAITING_FOR_CUSTOMER] = "waiting for their customer",
    [RS_EXCUSE_DISPUTE_PRETEXT] = "dispute as pretext",
    [RS_EXCUSE_OTHER] = "other",
};

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    int64_t minute, e;
    int cat = RS_EXCUSE_OTHER;
    int slot = -1;

    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_COMM || ev->type != RS_COMM_EXCUSE)
        return;
    if ((ev->has & RS_COM_HAS_EXCUSE_CATEGORY) &&
        ev->u.com.excuse_category >= 0 &&
        ev->u.com.excuse_category < CATEGORIES)
        cat = ev->u.com.excuse_category;
    minute = ev->event_time > 0 ? ev->event_time / MINUTE_MS : 0;
    e = (minute + 1) << 32 | cat;
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

/* Counts per category in the window; returns the weighted total. */
static int64_t tally(const int64_t *p, const struct rs_dstate *s, int64_t now,
                     int n[CATEGORIES], int *total)
{
    int64_t weight = 0;

    memset(n, 0, CATEGORIES * sizeof(n[0]));
    *total = 0;
    for (int i = 0; i < SLOTS; i++) {
        int64_t e = s->v[i];
        int cat;

        if (!e || rs_entry_time(e) > now ||
            now - rs_entry_time(e) >= p[P_WINDOW] * RS_DAY_MS)
            continue;
        cat = (int)(e & 0xff);
        if (cat >= CATEGORIES)
            cat = RS_EXCUSE_OTHER;
        n[cat]++;
        (*total)++;
        weight += cat == RS_EXCUSE_CASH_PROBLEMS ? p[P_CASH_WEIGHT] : 1;
    }
    return weight;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int n[CATEGORIES], total;
    int64_t weight = tally(p, s, now, n, &total);
    int high = weight >= p[P_HIGH_WEIGHT];
    int cash = n[RS_EXCUSE_CASH_PROBLEMS] > 0;
    struct rs_finding *f;
    char list[160] = "";
    size_t len = 0;

    (void)c;
    if (max < 1 || total == 0 || weight < p[P_MIN_WEIGHT])
        return 0;
    /* "cash problems 1, invoice lost 2, forgot 1": cash problems first,
     * then the others by count. */
    for (int want = SLOTS + 1; want > 0; want--)
        for (int cat = 0; cat < CATEGORIES; cat++) {
            int is_cash = cat == RS_EXCUSE_CASH_PROBLEMS;

            if (!n[cat] || (is_cash ? want != SLOTS + 1 : n[cat] != want))
                continue;
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s %d",
                                    len ? ", " : "", names[cat], n[cat]);
            if (len >= sizeof(list))
                len = sizeof(list) - 1;
        }
    f = rs_finding_start(out, "excuses",
                         cash ? "EXCUSES_CASH_PROBLEMS" : "EXCUSES_REPEATED",
                         high ? 50 : 30);
    rs_finding_say(f, "%d excuses for not paying in the last %d days (%s); weighted "
             "%lld with cash problems counting %d (flagged from %d)",
             total, (int)p[P_WINDOW], list, (long long)weight,
             (int)p[P_CASH_WEIGHT], (int)p[P_MIN_WEIGHT]);
    f->reason.value = (double)weight;
    f->reason.threshold = (double)p[P_MIN_WEIGHT];
    f->reason.has_window_days = 1;
    f->reason.window_days = (int32_t)p[P_WINDOW];
    rs_finding_action(f, "STAY_IN_CONTACT");
    rs_finding_action(f, "FOLLOW_UP_EARLIER");
    if (cash)
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    else if (n[RS_EXCUSE_INVOICE_LOST] || n[RS_EXCUSE_FORGOT])
        rs_finding_action(f, "INVOICE_IMMEDIATELY");
    return 1;
}

/* When the next counted excuse leaves the window. */
static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    (void)c;
    return rs_entry_next_expiry(s->v, SLOTS, now, p[P_WINDOW] * RS_DAY_MS);
}

const struct rs_detector rs_detector_excuses = {
    .name = "excuses",
    .id = 6,
    .reads = RS_PART_NONE,
    .signal = "Excuses",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_COMM),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
