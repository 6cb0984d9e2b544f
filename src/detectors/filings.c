/* Bankruptcy and legal filings against the customer.
 *
 * Signal: "reputation damage" in its hardest form: lawsuits and
 * bankruptcies (DOMAIN.md; seeds 000 §6, 001 #7). A BANKRUPTCY_FILING makes
 * the customer critical at once (score 95: block deliveries, prepare the
 * hand-over to collections); a LEGAL_FILING (judgment, lawsuit,
 * attachment) is a serious reason, more so when several arrive. Each
 * finding stays for its keep period after the filing; a timer then lowers
 * the level. The source's filing_kind is read into a few known kinds
 * (bankruptcy petition, suspension of payments, judgment, ...) so the
 * message can name it; the free text itself is not kept.
 *
 * Slots, entries (event minute + 1) << 32 | kind (enum below), 0 = none:
 *   0 the latest bankruptcy filing
 *   1 unused (0)
 *   2..7 the latest six legal filings, newest first; an identical entry
 *     is a duplicate, counted once */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "entries.h"
#include "riskstream/detector.h"

enum {
    P_BANKRUPTCY_KEEP,
    P_BANKRUPTCY_SCORE,
    P_LEGAL_KEEP,
    P_LEGAL_SCORE,
    P_REPEAT_COUNT,
    P_REPEAT_SCORE,
};

enum { S_BANKRUPTCY = 0, S_LEGAL = 2 };
#define LEGAL_SLOTS 6

static const struct rs_detector_prop props[] = {
    {"bankruptcy.keep.days", 365, 1, 3650,
     "Days after a bankruptcy filing for which the finding stays."},
    {"bankruptcy.score", 95, 0, 100,
     "Score contribution of a bankruptcy filing (95: CRITICAL at once)."},
    {"legal.keep.days", 180, 1, 3650,
     "Days after a legal filing for which it counts."},
    {"legal.score", 55, 0, 100,
     "Score contribution of a legal filing (judgment, lawsuit, "
     "attachment)."},
    {"legal.repeat.count", 2, 2, 6,
     "Legal filings within legal.keep.days from which the score is "
     "legal.repeat.score."},
    {"legal.repeat.score", 70, 0, 100,
     "Score contribution of repeated legal filings."},
    {NULL, 0, 0, 0, NULL},
};

enum {
    KIND_NONE, /* no filing_kind given */
    KIND_OTHER,
    KIND_PETITION,
    KIND_BANKRUPTCY,
    KIND_SUSPENSION,
    KIND_LIQUIDATION,
    KIND_ADMINISTRATION,
    KIND_RESTRUCTURING,
    KIND_JUDGMENT,
    KIND_ATTACHMENT,
    KIND_LAWSUIT,
    KINDS,
};

static const char *const kind_names[KINDS] = {
    [KIND_NONE] = "kind not given",
    [KIND_OTHER] = "other filing",
    [KIND_PETITION] = "bankruptcy petition",
    [KIND_BANKRUPTCY] = "bankruptcy or insolvency",
    [KIND_SUSPENSION] = "suspension of payments",
    [KIND_LIQUIDATION] = "liquidation",
    [KIND_ADMINISTRATION] = "administration or receivership",
    [KIND_RESTRUCTURING] = "restructuring",
    [KIND_JUDGMENT] = "court judgment",
    [KIND_ATTACHMENT] = "attachment",
    [KIND_LAWSUIT] = "lawsuit",
};

/* Words in the source's filing_kind (English and Dutch), first match. */
static const struct {
    const char *word;
    int kind;
} words[] = {
    {"suspension", KIND_SUSPENSION},   {"surseance", KIND_SUSPENSION},
    {"moratori", KIND_SUSPENSION},     {"liquidat", KIND_LIQUIDATION},
    {"administrat", KIND_ADMINISTRATION}, {"receiver", KIND_ADMINISTRATION},
    {"restructur", KIND_RESTRUCTURING}, {"composition", KIND_RESTRUCTURING},
    {"petition", KIND_PETITION},       {"bankrupt", KIND_BANKRUPTCY},
    {"faillis", KIND_BANKRUPTCY},      {"insolven", KIND_BANKRUPTCY},
    {"judg", KIND_JUDGMENT},           {"vonnis", KIND_JUDGMENT},
    {"attach", KIND_ATTACHMENT},       {"beslag", KIND_ATTACHMENT},
    {"seiz", KIND_ATTACHMENT},         {"garnish", KIND_ATTACHMENT},
    {"lawsuit", KIND_LAWSUIT},         {"suit", KIND_LAWSUIT},
    {"summons", KIND_LAWSUIT},         {"dagvaard", KIND_LAWSUIT},
    {"claim", KIND_LAWSUIT},
};

static int filing_kind(const struct rs_event *ev)
{
    char low[RS_TEXT_MAX];
    size_t i;

    if (!(ev->has & RS_BUR_HAS_FILING_KIND) || !ev->u.bur.filing_kind[0])
        return KIND_NONE;
    for (i = 0; ev->u.bur.filing_kind[i] && i < sizeof(low) - 1; i++)
        low[i] = (char)tolower((unsigned char)ev->u.bur.filing_kind[i]);
    low[i] = '\0';
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(low, words[i].word))
            return words[i].kind;
    return KIND_OTHER;
}

static const char *kind_name(int64_t e)
{
    uint32_t k = rs_entry_payload(e);

    return k < KINDS ? kind_names[k] : kind_names[KIND_OTHER];
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    int64_t e;

    (void)p;
    (void)c;
    if (ev->kind != RS_EVENT_BUREAU)
        return;
    e = rs_entry_make(ev->event_time, (uint32_t)filing_kind(ev));
    if (ev->type == RS_BUREAU_BANKRUPTCY_FILING) {
        if (e > s->v[S_BANKRUPTCY])
            s->v[S_BANKRUPTCY] = e;
    } else if (ev->type == RS_BUREAU_LEGAL_FILING) {
        rs_entry_insert(s->v + S_LEGAL, LEGAL_SLOTS, e);
    }
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int64_t legal_keep = p[P_LEGAL_KEEP] * RS_DAY_MS;
    int64_t e = s->v[S_BANKRUPTCY];
    struct rs_finding *f;
    char date[32];
    int nf = 0, n = 0;

    (void)c;
    if (nf < max &&
        rs_entry_in_window(e, now, p[P_BANKRUPTCY_KEEP] * RS_DAY_MS)) {
        f = rs_finding_start(&out[nf++], "filings", "BANKRUPTCY_FILING",
                             (int32_t)p[P_BANKRUPTCY_SCORE]);
        rs_finding_say(f, "bankruptcy filing reported on %s (%s): expect open "
                 "invoices not to be paid in full; kept for %d days",
                 rs_entry_date(date, sizeof(date), rs_entry_time(e)),
                 kind_name(e), (int)p[P_BANKRUPTCY_KEEP]);
        f->reason.value = 1;
        f->reason.threshold = 1;
        f->reason.has_window_days = 1;
        f->reason.window_days = (int32_t)p[P_BANKRUPTCY_KEEP];
        rs_finding_action(f, "BLOCK_DELIVERIES");
        rs_finding_action(f, "COLLECTIONS_HANDOVER");
    }
    for (int i = 0; i < LEGAL_SLOTS; i++)
        n += rs_entry_in_window(s->v[S_LEGAL + i], now, legal_keep);
    if (nf < max && n > 0) {
        int repeated = n >= p[P_REPEAT_COUNT];

        e = s->v[S_LEGAL]; /* the newest is in force when any is */
        f = rs_finding_start(&out[nf++], "filings",
                             repeated ? "LEGAL_FILINGS_REPEATED"
                                      : "LEGAL_FILING",
                             (int32_t)(repeated ? p[P_REPEAT_SCORE]
                                                : p[P_LEGAL_SCORE]));
        rs_entry_date(date, sizeof(date), rs_entry_time(e));
        if (n == 1)
            rs_finding_say(f, "legal filing against the customer on %s (%s); "
                     "counts for %d days (%d or more: repeated)",
                     date, kind_name(e), (int)p[P_LEGAL_KEEP],
                     (int)p[P_REPEAT_COUNT]);
        else
            rs_finding_say(f, "%d legal filings against the customer in the last %d "
                     "days, the latest on %s (%s) (repeated from %d)",
                     n, (int)p[P_LEGAL_KEEP], date, kind_name(e),
                     (int)p[P_REPEAT_COUNT]);
        f->reason.value = n;
        f->reason.threshold = repeated ? (double)p[P_REPEAT_COUNT] : 1.0;
        f->reason.has_window_days = 1;
        f->reason.window_days = (int32_t)p[P_LEGAL_KEEP];
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
        rs_finding_action(f, "PREPAYMENT");
    }
    return nf;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    int64_t a = rs_entry_next_expiry(s->v + S_BANKRUPTCY, 1, now,
                                      p[P_BANKRUPTCY_KEEP] * RS_DAY_MS);
    int64_t b = rs_entry_next_expiry(s->v + S_LEGAL, LEGAL_SLOTS, now,
                                      p[P_LEGAL_KEEP] * RS_DAY_MS);

    (void)c;
    return a < b ? a : b;
}

const struct rs_detector rs_detector_filings = {
    .name = "filings",
    .id = 14,
    .reads = RS_PART_NONE,
    .signal = "Reputation damage: bankruptcies and lawsuits (bankruptcy "
              "and legal filings)",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_BUREAU),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
