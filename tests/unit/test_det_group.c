/* The group detector and the engine's group relays, as scenarios through
 * the decoder and the engine: the relays the engine makes are fed back as
 * bureau events, as the bureau topic would deliver them. A parent's risk
 * reaches its subsidiaries, a member's risk reaches its sisters and its
 * parent, a customer's own level is what travels (no feedback), leaving
 * the group clears the reasons, and a late relay still applies. */
#include "support.h"

#include <string.h>

#include "scenario.h"

static int seq;

static void bureau(struct rs_scn *s, const char *cust, const char *day,
                   const char *type, const char *fields)
{
    char f[768];

    snprintf(f, sizeof(f),
             "event_id=grp-test-%d event_time=%sT09:00:00Z customer_id=%s "
             "type=%s source=Acme %s",
             ++seq, day, cust, type, fields);
    assert_int_equal(rs_scn_event(s, RS_EVENT_BUREAU, f), 0);
}

static void link_to(struct rs_scn *s, const char *cust, const char *parent,
                    const char *day)
{
    char f[128];

    snprintf(f, sizeof(f), "parent_customer_id=%s", parent);
    bureau(s, cust, day, "OWNERSHIP_LINK", f);
}

static void bankrupt(struct rs_scn *s, const char *cust, const char *day)
{
    bureau(s, cust, day, "BANKRUPTCY_FILING",
           "filing_kind=Bankruptcy_petition");
}

/* The finding of cust with code; its score and message must match. */
static void must(struct rs_scn *s, const char *cust, const char *code,
                 int score, const char *msg)
{
    struct rs_finding f;

    if (!rs_scn_finding(s, cust, code, &f))
        fail_msg("%s: no finding %s", cust, code);
    assert_int_equal(f.score, score);
    if (msg && !strstr(f.reason.message, msg))
        fail_msg("%s: message '%s' lacks '%s'", cust, f.reason.message, msg);
}

static void none(struct rs_scn *s, const char *cust)
{
    struct rs_finding f[RS_FINDINGS_MAX];
    int32_t score;
    int n = rs_scn_findings(s, cust, f, RS_FINDINGS_MAX, &score);

    for (int i = 0; i < n; i++)
        if (strcmp(f[i].reason.detector, "group") == 0)
            fail_msg("%s: unexpected finding %s: %s", cust, f[i].reason.code,
                     f[i].reason.message);
}

static void test_det_group_parent_risk_reaches_subsidiary(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;
    const struct rs_customer *p;

    (void)state;
    link_to(s, "C1", "P", "2026-03-01");
    /* C1 told P it is a member; P answered with its own level. */
    assert_int_equal(rs_scn_relays(s), 2);
    p = rs_scn_customer(s, "P");
    assert_non_null(p);
    assert_int_equal(p->group->member_count, 1);
    assert_string_equal(p->group->members[0].id, "C1");
    assert_int_equal(rs_scn_customer(s, "C1")->group->parent_level,
                     RS_LEVEL_LOW);
    none(s, "C1");

    bankrupt(s, "P", "2026-03-02");
    must(s, "C1", "GROUP_PARENT_RISK", 50,
         "parent company 'P' is at CRITICAL risk on its own (score 95) "
         "since 2026-03-02");
    a = rs_scn_last_alert(s, "C1");
    assert_non_null(a);
    assert_int_equal(a->level_before, RS_LEVEL_LOW);
    assert_int_equal(a->level_after, RS_LEVEL_HIGH);
    assert_string_equal(a->reasons[0].code, "GROUP_PARENT_RISK");
    assert_int_equal(a->reasons[0].value, 95);
    /* The evidence is the relay that brought the news... */
    assert_int_equal(a->reasons[0].evidence_count, 1);
    assert_memory_equal(a->reasons[0].evidence[0], "grp-", 4);
    /* ...and P's own alert cites the filing. */
    a = rs_scn_last_alert(s, "P");
    assert_non_null(a);
    assert_string_equal(a->reasons[0].code, "BANKRUPTCY_FILING");
    assert_int_equal(a->reasons[0].evidence_count, 1);
    assert_string_equal(a->reasons[0].evidence[0], "grp-test-2");

    /* No feedback: C1's own level is still low, so P still sees it low,
     * and C1 made no relay of its raised level. */
    assert_int_equal(rs_scn_relays(s), 3);
    p = rs_scn_customer(s, "P");
    assert_int_equal(p->group->members[0].level, RS_LEVEL_LOW);
    none(s, "P");

    /* The filing's year is over: P is low again, and so is C1. */
    rs_scn_advance(s, "2027-03-02T10:00:00Z");
    none(s, "C1");
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_HIGH);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_group_sister_and_member(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    link_to(s, "C1", "P", "2026-03-01");
    link_to(s, "C2", "P", "2026-03-01");
    assert_int_equal(rs_scn_customer(s, "P")->group->member_count, 2);
    bankrupt(s, "C1", "2026-03-05");
    /* P forwarded C1's level to C2 as its sister's. */
    must(s, "C2", "GROUP_SISTER_RISK", 15,
         "1 other company of the group of 'P' is at high risk or worse "
         "(1 critical)");
    must(s, "P", "GROUP_MEMBER_RISK", 10,
         "1 of its 2 subsidiaries are at high risk or worse; the worst, "
         "'C1', is at CRITICAL risk (score 95)");
    none(s, "C1"); /* its own risk is its own reason, not a group one */

    /* C1 moves to another group: P and C2 hear it left. */
    link_to(s, "C1", "Q", "2026-04-01");
    none(s, "C2");
    none(s, "P");
    assert_int_equal(rs_scn_customer(s, "P")->group->member_count, 1);
    assert_int_equal(rs_scn_customer(s, "Q")->group->member_count, 1);
    assert_int_equal(rs_scn_customer(s, "Q")->group->members[0].level,
                     RS_LEVEL_CRITICAL);
    must(s, "Q", "GROUP_MEMBER_RISK", 10, "'C1', is at CRITICAL risk");
    rs_scn_destroy(s);
}

/* Relays come back through Kafka after the events that made them, maybe
 * long after in event time: they are applied, never dead-lettered as late;
 * a relay about a company that is not the customer's parent is ignored. */
static void test_det_group_late_and_foreign_relays(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    link_to(s, "C1", "P", "2026-03-01");
    bureau(s, "C1", "2026-06-01", "REPUTATION_SIGNAL", "severity=1");
    /* Three months behind stream time, far beyond the allowed lateness. */
    bureau(s, "C1", "2026-03-02", "GROUP_RELAY",
           "related_customer_id=P group_role=PARENT related_level=2 "
           "related_score=60");
    must(s, "C1", "GROUP_PARENT_RISK", 30,
         "parent company 'P' is at HIGH risk on its own (score 60) since "
         "2026-03-02");
    bureau(s, "C1", "2026-06-02", "GROUP_RELAY",
           "related_customer_id=X group_role=PARENT related_level=3 "
           "related_score=99");
    must(s, "C1", "GROUP_PARENT_RISK", 30, "'P'");
    rs_scn_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_group_parent_risk_reaches_subsidiary),
        cmocka_unit_test(test_det_group_sister_and_member),
        cmocka_unit_test(test_det_group_late_and_foreign_relays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
