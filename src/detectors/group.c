/* Corporate group contagion: a parent's or sister's risk raises the
 * customer's.
 *
 * Signal: "corporate group health" (DOMAIN.md; seed 003 step 1: look at the
 * parent and the sister companies, not only the customer). Companies of one
 * group may sit in different partitions, so their tasks cannot read each
 * other's state. The engine relays instead: the ownership links of the
 * bureau feed say who the parent is, and whenever a company's own level
 * (its level without group reasons, so relays cannot feed back on
 * themselves) changes, the engine writes a GROUP_RELAY record to the bureau
 * topic keyed by each company that must know: the parent hears from its
 * members, the members from their parent, and the parent forwards a
 * member's level to the other members as their sister. The relay goes out
 * in the same Kafka transaction as the state that caused it, so it is
 * exactly-once like an alert.
 *
 * This detector reads what arrived: the parent's own level and the members'
 * (kept in the customer's group state, customer.h), and the sisters at high
 * risk or worse, which it keeps in its slots. A level is a state, not an
 * event: a reason lasts until a relay says the level went down.
 *
 * Slots 0..7: sisters at high or critical risk, newest first:
 *   (relay minute + 1) << 32 | (FNV hash of the sister's id & ~3) | level - 2
 */
#include <stdio.h>

#include "entries.h"
#include "riskstream/detector.h"

enum {
    P_PARENT_HIGH,
    P_PARENT_CRITICAL,
    P_SISTER,
    P_SISTER_MAX,
    P_MEMBER,
    P_MEMBER_MAX,
};

#define SISTER_SLOTS RS_DSTATE_SLOTS

static const struct rs_detector_prop props[] = {
    {"parent.high.score", 30, 0, 100,
     "Score contribution while the parent company's own level is high."},
    {"parent.critical.score", 50, 0, 100,
     "Score contribution while the parent company's own level is critical "
     "(e.g. its bankruptcy filing)."},
    {"sister.score", 15, 0, 100,
     "Score contribution per sister company (same parent) at high risk or "
     "worse."},
    {"sister.max.score", 35, 0, 100,
     "Cap on the sisters' total contribution."},
    {"member.score", 10, 0, 100,
     "Score contribution, for a parent, per subsidiary at high risk or "
     "worse."},
    {"member.max.score", 30, 0, 100,
     "Cap on the subsidiaries' total contribution."},
    {NULL, 0, 0, 0, NULL},
};

static uint32_t sister_key(const char *id)
{
    return rs_entry_hash(id) & ~3u;
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    const struct rs_bureau *b = &ev->u.bur;
    uint32_t key;
    int i, kept = 0;

    (void)p;
    if (ev->kind != RS_EVENT_BUREAU)
        return;
    if (ev->type == RS_BUREAU_OWNERSHIP_LINK) {
        /* Sisters are the parent's members: a new parent, new sisters. */
        const struct rs_group *g = rs_customer_group(c);

        if (!g->parent_since && g->parent_level < 0)
            for (i = 0; i < SISTER_SLOTS; i++)
                s->v[i] = 0;
        return;
    }
    if (ev->type != RS_BUREAU_GROUP_RELAY || b->group_role != RS_GROUP_SISTER)
        return;
    key = sister_key(b->related_customer_id);
    for (i = 0; i < SISTER_SLOTS; i++) {
        if (s->v[i] && (rs_entry_payload(s->v[i]) & ~3u) == key) {
            if (rs_entry_time(s->v[i]) > ev->event_time)
                return; /* a newer relay of that sister is in force */
            continue;
        }
        s->v[kept++] = s->v[i];
    }
    while (kept < SISTER_SLOTS)
        s->v[kept++] = 0;
    if (b->related_level >= RS_LEVEL_HIGH)
        rs_entry_insert(s->v, SISTER_SLOTS,
                         rs_entry_make(ev->event_time,
                                       key | (uint32_t)(b->related_level -
                                                        RS_LEVEL_HIGH)));
}

static int parent_finding(const int64_t *p, const struct rs_customer *c,
                          struct rs_finding *out)
{
    const struct rs_group *g = rs_customer_group(c);
    int critical = g->parent_level >= RS_LEVEL_CRITICAL;
    char date[32];

    if (!g->parent[0] || g->parent_level < RS_LEVEL_HIGH)
        return 0;
    rs_finding_start(out, "group", "GROUP_PARENT_RISK",
                     (int32_t)(critical ? p[P_PARENT_CRITICAL]
                                        : p[P_PARENT_HIGH]));
    rs_entry_date(date, sizeof(date), g->parent_since);
    rs_finding_say(out, "parent company '%s' is at %s risk on its own (score %d) since "
             "%s; a group in trouble stops backing its companies",
             g->parent, rs_level_name((enum rs_level)g->parent_level),
             (int)g->parent_score, date);
    out->reason.value = g->parent_score;
    out->reason.threshold = RS_LEVEL_HIGH;
    rs_finding_action(out, "CHECK_CREDITWORTHINESS");
    rs_finding_action(out, critical ? "PREPAYMENT" : "SHORTER_TERMS");
    return 1;
}

static int sister_finding(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, struct rs_finding *out)
{
    int n = 0, critical = 0;
    int64_t score;

    for (int i = 0; i < SISTER_SLOTS; i++) {
        if (!s->v[i])
            continue;
        n++;
        critical += (rs_entry_payload(s->v[i]) & 3u) != 0;
    }
    if (!n)
        return 0;
    score = n * p[P_SISTER];
    if (score > p[P_SISTER_MAX])
        score = p[P_SISTER_MAX];
    rs_finding_start(out, "group", "GROUP_SISTER_RISK", (int32_t)score);
    rs_finding_say(out, "%d other compan%s of the group of '%s' %s at high risk or worse "
             "(%d critical)",
             n, n == 1 ? "y" : "ies",
             rs_customer_group(c)->parent[0] ? rs_customer_group(c)->parent
                                             : "?",
             n == 1 ? "is" : "are", critical);
    out->reason.value = n;
    out->reason.threshold = 1;
    rs_finding_action(out, "CHECK_CREDITWORTHINESS");
    return 1;
}

static int member_finding(const int64_t *p, const struct rs_customer *c,
                          struct rs_finding *out)
{
    const struct rs_group *g = rs_customer_group(c);
    const struct rs_group_member *worst = NULL;
    int n = 0;
    int64_t score;

    for (uint32_t i = 0; i < g->member_count; i++) {
        const struct rs_group_member *m = &g->members[i];

        if (m->level < RS_LEVEL_HIGH)
            continue;
        n++;
        if (!worst || m->level > worst->level ||
            (m->level == worst->level && m->score > worst->score))
            worst = m;
    }
    if (!n)
        return 0;
    score = n * p[P_MEMBER];
    if (score > p[P_MEMBER_MAX])
        score = p[P_MEMBER_MAX];
    rs_finding_start(out, "group", "GROUP_MEMBER_RISK", (int32_t)score);
    rs_finding_say(out, "%d of its %u subsidiar%s at high risk or worse; the worst, "
             "'%s', is at %s risk (score %d)",
             n, (unsigned)g->member_count,
             g->member_count == 1 ? "y is" : "ies are", worst->id,
             rs_level_name((enum rs_level)worst->level), (int)worst->score);
    out->reason.value = n;
    out->reason.threshold = 1;
    rs_finding_action(out, "STAY_IN_CONTACT");
    return 1;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int n = 0;

    (void)now;
    if (n < max)
        n += parent_finding(p, c, out + n);
    if (n < max)
        n += sister_finding(p, c, s, out + n);
    if (n < max)
        n += member_finding(p, c, out + n);
    return n;
}

const struct rs_detector rs_detector_group = {
    .name = "group",
    .id = RS_GROUP_DETECTOR_ID,
    .reads = RS_PART_GROUP,
    .signal = "Corporate group health: the parent's and sister companies' "
              "risk (contagion across the group)",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_BUREAU),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = NULL,
};
