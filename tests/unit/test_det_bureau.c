/* The credit-bureau detectors (bureau_score, inquiries, filings,
 * management, financing, ownership, reputation, insurer_limit,
 * buyer_failure) as scenarios through the decoder and the engine: each
 * fires with its reason and numbers, stays quiet on normal behaviour,
 * copes with events out of order, and lets the level go down again when
 * the customer improves or the finding's time is over. */
#include "support.h"

#include <string.h>

#include "scenario.h"

static int seq;

/* A CreditBureauEvent on day (YYYY-MM-DD) at 09:00 UTC; fields after the
 * header, source=Acme unless fields name one. */
static void bureau_at(struct rs_scn *s, const char *cust, const char *day,
                      const char *clock, const char *type, const char *fields)
{
    char f[768];

    snprintf(f, sizeof(f),
             "event_id=bur-%d event_time=%sT%sZ customer_id=%s type=%s%s %s",
             ++seq, day, clock, cust, type,
             strstr(fields, "source=") ? "" : " source=Acme", fields);
    assert_int_equal(rs_scn_event(s, RS_EVENT_BUREAU, f), 0);
}

static void bureau(struct rs_scn *s, const char *cust, const char *day,
                   const char *type, const char *fields)
{
    bureau_at(s, cust, day, "09:00:00", type, fields);
}

static void invoice(struct rs_scn *s, const char *cust, const char *id,
                    long amount, const char *issue, const char *due)
{
    char f[512];

    snprintf(f, sizeof(f),
             "event_id=ev-%s event_time=%sT08:00:00Z customer_id=%s "
             "type=ISSUED invoice_id=%s amount=%ld currency=EUR "
             "issue_date=%s due_date=%s payment_terms_days=30",
             id, issue, cust, id, amount, issue, due);
    rs_scn_event(s, RS_EVENT_INVOICE, f);
}

static void payment(struct rs_scn *s, const char *cust, const char *invoice_id,
                    const char *type, long amount, const char *date)
{
    char f[512];

    snprintf(f, sizeof(f),
             "event_id=pay-%s-%s event_time=%sT10:00:00Z customer_id=%s "
             "type=%s payment_id=P-%s-%s amount=%ld currency=EUR "
             "payment_date=%s invoice_id=%s",
             invoice_id, date, date, cust, type, invoice_id, date, amount,
             date, invoice_id);
    rs_scn_event(s, RS_EVENT_PAYMENT, f);
}

/* The finding with code, which must exist; its message must contain msg. */
static struct rs_finding must(struct rs_scn *s, const char *code, int score,
                              const char *msg)
{
    struct rs_finding f;

    if (!rs_scn_finding(s, "C1", code, &f))
        fail_msg("no finding %s", code);
    assert_int_equal(f.score, score);
    if (msg && !strstr(f.reason.message, msg))
        fail_msg("message '%s' lacks '%s'", f.reason.message, msg);
    assert_int_equal(f.reason.evidence_count, 0);
    return f;
}

/* No finding of that detector at all. */
static void none(struct rs_scn *s, const char *detector)
{
    struct rs_finding f[RS_FINDINGS_MAX];
    int32_t score;
    int n = rs_scn_findings(s, "C1", f, RS_FINDINGS_MAX, &score);

    for (int i = 0; i < n; i++)
        if (strcmp(f[i].reason.detector, detector) == 0)
            fail_msg("unexpected finding %s: %s", f[i].reason.code,
                     f[i].reason.message);
}

/* The level went down: current level and the last alert say so. */
static void went_down_to(struct rs_scn *s, int level)
{
    const struct rs_alert *a = rs_scn_last_alert(s, "C1");

    assert_int_equal(rs_scn_level(s, "C1", NULL), level);
    assert_non_null(a);
    assert_int_equal(a->level_after, level);
    assert_true(a->level_before > a->level_after);
}

/* bureau_score */

static void test_det_bureau_score_drops(void **state)
{
    static const struct {
        const char *ev[3]; /* SCORE_UPDATE fields, on 2, 3 and 4 March */
        const char *code;  /* NULL: no finding */
        int score;
        double value, baseline;
        const char *msg;
    } cases[] = {
        {{"old_score=80 new_score=60 score_max=100"},
         "BUREAU_SCORE_DROP", 40, 60, 80,
         "bureau score fell from 80 to 60 of 100 (last drop on 2026-03-02): "
         "20 points on a 0-100 scale, from 80 to 60 (flagged from a drop of "
         "15)"},
        {{"old_score=52 new_score=38 score_max=100"},
         "BUREAU_SCORE_INTO_BAND", 55, 38, 52,
         "below the floor of 40 on a 0-100 scale (now 38): a drop of 14"},
        {{"old_score=750 new_score=565 score_max=1000"},
         "BUREAU_SCORE_DROP", 40, 56.5, 75,
         "from 750 to 565 of 1000 (last drop on 2026-03-02): 18.5 points"},
        /* A small drop, an upgrade, a first score: nothing. */
        {{"old_score=800 new_score=700 score_max=1000"}, NULL, 0, 0, 0, NULL},
        {{"old_score=60 new_score=75 score_max=100"}, NULL, 0, 0, 0, NULL},
        {{"new_score=20 score_max=100"}, NULL, 0, 0, 0, NULL},
        /* A slide of 8 + 8 points is one decline of 16. */
        {{"old_score=80 new_score=72", "old_score=72 new_score=64"},
         "BUREAU_SCORE_DROP", 40, 64, 80,
         "from 80 to 64 of 100 (last drop on 2026-03-03)"},
        /* Without old_score: the previous score of the same source. */
        {{"new_score=70", "new_score=50"},
         "BUREAU_SCORE_DROP", 40, 50, 70, "from 70 to 50 of 100"},
        /* ... but not one of another source (another scale). */
        {{"new_score=70", "source=Other new_score=500 score_max=1000"},
         NULL, 0, 0, 0, NULL},
        /* An upgrade ends the decline. */
        {{"old_score=80 new_score=55", "old_score=55 new_score=60"},
         NULL, 0, 0, 0, NULL},
    };
    static const char *const days[] = {"2026-03-02", "2026-03-03",
                                       "2026-03-04"};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_scn *s = rs_scn_new(NULL);

        for (int k = 0; k < 3 && cases[i].ev[k]; k++)
            bureau(s, "C1", days[k], "SCORE_UPDATE", cases[i].ev[k]);
        if (!cases[i].code) {
            none(s, "bureau_score");
            assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
        } else {
            struct rs_finding f =
                must(s, cases[i].code, cases[i].score, cases[i].msg);

            assert_true(f.reason.value == cases[i].value);
            assert_true(f.reason.has_baseline);
            assert_true(f.reason.baseline == cases[i].baseline);
            assert_string_equal(f.actions[0], "CHECK_CREDITWORTHINESS");
        }
        rs_scn_destroy(s);
    }
}

static void test_det_bureau_score_upgrade_lowers_level(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    bureau(s, "C1", "2026-03-02", "SCORE_UPDATE", "old_score=80 new_score=60");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    assert_int_equal(rs_scn_last_alert(s, "C1")->level_after, RS_LEVEL_MEDIUM);
    bureau(s, "C1", "2026-04-02", "SCORE_UPDATE", "old_score=60 new_score=66");
    none(s, "bureau_score");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_bureau_score_expires_by_timer(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    bureau(s, "C1", "2026-03-02", "SCORE_UPDATE", "old_score=52 new_score=38");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_HIGH);
    /* keep.days 90: until 2026-05-31 09:00. */
    rs_scn_advance(s, "2026-05-31T08:00:00Z");
    must(s, "BUREAU_SCORE_INTO_BAND", 55, NULL);
    rs_scn_advance(s, "2026-05-31T10:00:00Z");
    none(s, "bureau_score");
    went_down_to(s, RS_LEVEL_LOW);
    assert_int_equal(rs_scn_last_alert(s, "C1")->event_time,
                     rs_scn_alert(s, 0)->event_time + 90 * RS_DAY_MS);
    rs_scn_destroy(s);
}

static void test_det_bureau_score_out_of_order(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    /* The small drop arrives first; the big one before it comes late. */
    bureau(s, "C1", "2026-03-05", "SCORE_UPDATE", "old_score=60 new_score=58");
    none(s, "bureau_score");
    bureau(s, "C1", "2026-03-02", "SCORE_UPDATE", "old_score=80 new_score=60");
    must(s, "BUREAU_SCORE_DROP", 40,
         "from 80 to 58 of 100 (last drop on 2026-03-05)");
    /* A late upgrade older than the latest score changes nothing. */
    bureau(s, "C1", "2026-03-01", "SCORE_UPDATE", "old_score=50 new_score=80");
    must(s, "BUREAU_SCORE_DROP", 40, "from 80 to 58 of 100");
    rs_scn_destroy(s);
}

static void test_det_bureau_score_ratings(void **state)
{
    static const struct {
        const char *old, *nw, *config;
        const char *msg; /* NULL: no finding */
        int notches;
    } cases[] = {
        {"A", "BBB", NULL,
         "bureau rating lowered from A to BBB (last downgrade on "
         "2026-03-02): 3 notches down (flagged from 1)",
         3},
        {"Baa1", "Ba2", NULL, "lowered from Baa1 to Ba2", 4},
        {"AA-", "A+", NULL, "1 notch down", 1},
        {"B", "D", NULL, "lowered from B to D", 7},
        {"Caa1", "Ca", NULL, "3 notches down", 3},
        {"2", "4", NULL,
         "worsened from 2 to 4 (last downgrade on 2026-03-02; lower is "
         "better): 2 steps down",
         2},
        {"300", "250", "detector.bureau_score.rating.numbers = 2",
         "higher is better): 50 steps down", 50},
        {"AA", "AAA", NULL, NULL, 0},      /* upgrade */
        {"BBB", "BBB", NULL, NULL, 0},     /* affirmed */
        {"NR", "BB", NULL, NULL, 0},       /* not on the scale */
        {"A", "SD", NULL, NULL, 0},        /* not on the scale */
        {"A", "3", NULL, NULL, 0},         /* letters against numbers */
        {"A", "BBB", "detector.bureau_score.rating.notches = 4", NULL, 0},
        {"A", "BBB", "detector.bureau_score.rating.notches = 0", NULL, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_scn *s = rs_scn_new(cases[i].config);
        char fields[128];

        snprintf(fields, sizeof(fields), "old_rating=%s new_rating=%s",
                 cases[i].old, cases[i].nw);
        bureau(s, "C1", "2026-03-02", "RATING_UPDATE", fields);
        if (!cases[i].msg) {
            none(s, "bureau_score");
        } else {
            struct rs_finding f =
                must(s, "BUREAU_RATING_DOWNGRADE", 40, cases[i].msg);

            assert_int_equal((int)f.reason.value, cases[i].notches);
        }
        rs_scn_destroy(s);
    }
}

static void test_det_bureau_score_rating_decline_and_recovery(void **state)
{
    struct rs_scn *s = rs_scn_new("detector.bureau_score.rating.notches = 2");

    (void)state;
    bureau(s, "C1", "2026-03-02", "RATING_UPDATE", "new_rating=A");
    none(s, "bureau_score"); /* first rating: nothing to compare */
    bureau(s, "C1", "2026-03-10", "RATING_UPDATE",
           "old_rating=A new_rating=A-");
    none(s, "bureau_score"); /* one notch: below the threshold */
    /* Without old_rating: compared with the latest, and the decline goes
     * on: A to BBB+ is two notches. */
    bureau(s, "C1", "2026-03-20", "RATING_UPDATE", "new_rating=BBB+");
    must(s, "BUREAU_RATING_DOWNGRADE", 40, "from A to BBB+");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    bureau(s, "C1", "2026-04-20", "RATING_UPDATE",
           "old_rating=BBB+ new_rating=A-");
    none(s, "bureau_score");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* inquiries */

static void test_det_inquiries_surge(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    bureau(s, "C1", "2026-03-01", "CREDIT_INQUIRY", "inquirer=BankA");
    bureau(s, "C1", "2026-03-10", "CREDIT_INQUIRY", "inquirer=LeaseCo");
    none(s, "inquiries");
    /* A duplicate (same inquirer, same minute) counts once. */
    bureau(s, "C1", "2026-03-10", "CREDIT_INQUIRY", "inquirer=LeaseCo");
    none(s, "inquiries");
    bureau(s, "C1", "2026-03-20", "CREDIT_INQUIRY", "");
    f = must(s, "CREDIT_INQUIRIES", 30,
             "3 credit inquiries about the customer in the last 30 days (2 "
             "different inquirers named), the latest on 2026-03-20");
    assert_int_equal((int)f.reason.value, 3);
    assert_int_equal((int)f.reason.threshold, 3);
    assert_true(f.reason.has_window_days);
    assert_int_equal(f.reason.window_days, 30);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* Two more, one of them late (within the allowed lateness). */
    bureau(s, "C1", "2026-03-25", "CREDIT_INQUIRY", "inquirer=BankB");
    bureau(s, "C1", "2026-03-21", "CREDIT_INQUIRY", "inquirer=BankA");
    f = must(s, "CREDIT_INQUIRIES_HIGH", 45, "5 credit inquiries");
    assert_int_equal((int)f.reason.threshold, 5);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* 31 March 09:00 the first leaves the window: 4 left. */
    rs_scn_advance(s, "2026-03-31T10:00:00Z");
    must(s, "CREDIT_INQUIRIES", 30, "4 credit inquiries");
    /* 19 April 09:00 the one of 20 March leaves: 2 left, nothing. */
    rs_scn_advance(s, "2026-04-19T10:00:00Z");
    none(s, "inquiries");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_inquiries_spread_out_is_normal(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    bureau(s, "C1", "2026-01-05", "CREDIT_INQUIRY", "inquirer=BankA");
    bureau(s, "C1", "2026-02-10", "CREDIT_INQUIRY", "inquirer=BankA");
    bureau(s, "C1", "2026-03-20", "CREDIT_INQUIRY", "inquirer=BankA");
    bureau(s, "C1", "2026-04-25", "CREDIT_INQUIRY", "inquirer=BankA");
    none(s, "inquiries");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    assert_int_equal(rs_scn_alert_count(s), 0);
    rs_scn_destroy(s);
}

/* filings */

static void test_det_filings_bankruptcy_is_critical(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;
    const struct rs_alert *a;
    int found = 0;

    (void)state;
    bureau(s, "C1", "2026-03-02", "BANKRUPTCY_FILING",
           "filing_kind=Bankruptcy_petition");
    f = must(s, "BANKRUPTCY_FILING", 95,
             "bankruptcy filing reported on 2026-03-02 (bankruptcy "
             "petition)");
    assert_string_equal(f.actions[0], "BLOCK_DELIVERIES");
    assert_string_equal(f.actions[1], "COLLECTIONS_HANDOVER");
    assert_int_equal(f.reason.window_days, 365);
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_LOW);
    assert_int_equal(a->level_after, RS_LEVEL_CRITICAL);
    /* The id names what raised it: the first bureau record. */
    assert_string_equal(a->alert_id, "C1/bureau-0-0/LOW-CRITICAL");
    for (int i = 0; i < a->action_count; i++)
        found += strcmp(a->actions[i].code, "COLLECTIONS_HANDOVER") == 0;
    assert_int_equal(found, 1);
    /* Kept 365 days, then the level goes down by timer. */
    rs_scn_advance(s, "2027-03-02T08:00:00Z");
    must(s, "BANKRUPTCY_FILING", 95, NULL);
    rs_scn_advance(s, "2027-03-02T10:00:00Z");
    none(s, "filings");
    went_down_to(s, RS_LEVEL_LOW);
    assert_string_equal(rs_scn_last_alert(s, "C1")->alert_id,
                        "C1/timer-1803978000000/CRITICAL-LOW");
    rs_scn_destroy(s);
}

static void test_det_filings_legal(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    /* Other bureau events are no filing. */
    bureau(s, "C1", "2026-02-01", "CREDIT_INQUIRY", "inquirer=BankA");
    none(s, "filings");
    bureau(s, "C1", "2026-03-02", "LEGAL_FILING", "filing_kind=court_judgment");
    f = must(s, "LEGAL_FILING", 55,
             "legal filing against the customer on 2026-03-02 (court "
             "judgment); counts for 180 days");
    assert_int_equal((int)f.reason.value, 1);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_HIGH);
    bureau(s, "C1", "2026-04-01", "LEGAL_FILING", "");
    f = must(s, "LEGAL_FILINGS_REPEATED", 70,
             "2 legal filings against the customer in the last 180 days, "
             "the latest on 2026-04-01 (kind not given) (repeated from 2)");
    assert_int_equal((int)f.reason.threshold, 2);
    /* 29 Aug 09:00 the first is 180 days old: one left. */
    rs_scn_advance(s, "2026-08-29T10:00:00Z");
    must(s, "LEGAL_FILING", 55, "on 2026-04-01");
    rs_scn_advance(s, "2026-09-28T10:00:00Z");
    none(s, "filings");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* management */

static void test_det_management_changes(void **state)
{
    static const struct {
        const char *interim[4]; /* "true"/"false"/NULL: end; or "" unset */
        const char *code;
        int score;
        const char *msg;
    } cases[] = {
        {{"false"}, "MANAGEMENT_CHANGE", 20, "management change on 2026-03-01 "
                                             "(frequent from 3 changes"},
        {{""}, "MANAGEMENT_CHANGE", 20, NULL},
        {{"true"}, "MANAGEMENT_INTERIM", 30,
         "management change on 2026-03-01, an interim appointment"},
        {{"false", "false", "false"}, "MANAGEMENT_TURNOVER", 45,
         "3 management changes in the last 365 days, 0 of them interim "
         "appointments, the latest on 2026-05-01 (flagged from 3 changes or "
         "2 interim appointments)"},
        {{"true", "false", "true"}, "MANAGEMENT_MANY_INTERIM", 50,
         "3 management changes in the last 365 days, 2 of them interim"},
    };
    static const char *const days[] = {"2026-03-01", "2026-04-01",
                                       "2026-05-01", "2026-06-01"};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_scn *s = rs_scn_new(NULL);

        for (int k = 0; k < 4 && cases[i].interim[k]; k++) {
            char fields[64];

            snprintf(fields, sizeof(fields), "%s%s",
                     *cases[i].interim[k] ? "interim=" : "",
                     cases[i].interim[k]);
            bureau(s, "C1", days[k], "MANAGEMENT_CHANGE", fields);
        }
        must(s, cases[i].code, cases[i].score, cases[i].msg);
        rs_scn_destroy(s);
    }
}

static void test_det_management_window(void **state)
{
    struct rs_scn *s = rs_scn_new("detector.management.window.days = 90");

    (void)state;
    /* Changes far apart are no turnover. */
    bureau(s, "C1", "2026-01-01", "MANAGEMENT_CHANGE", "interim=true");
    bureau(s, "C1", "2026-05-01", "MANAGEMENT_CHANGE", "interim=true");
    must(s, "MANAGEMENT_INTERIM", 30, "on 2026-05-01");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* A late one (within the allowed lateness) makes two interims. */
    bureau(s, "C1", "2026-04-28", "MANAGEMENT_CHANGE", "interim=true");
    must(s, "MANAGEMENT_MANY_INTERIM", 50, "2 management changes");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_HIGH);
    /* 90 days on, both have left the window. */
    rs_scn_advance(s, "2026-07-31T00:00:00Z");
    none(s, "management");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* financing */

static void test_det_financing_changes(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    bureau(s, "C1", "2026-03-02", "FINANCING_CHANGE",
           "description=factoring_agreement");
    f = must(s, "NEW_FINANCING", 25,
             "the customer took on new financing on 2026-03-02 (counts for "
             "180 days");
    assert_int_equal(f.reason.window_days, 180);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    bureau(s, "C1", "2026-04-15", "HOUSE_BANK_CHANGE", "description=BankB");
    f = must(s, "FINANCING_CHANGES_REPEATED", 40,
             "2 financing changes in the last 180 days (1 new financing, 1 "
             "house-bank switch), the latest on 2026-04-15 (flagged from 2)");
    assert_int_equal((int)f.reason.value, 2);
    /* 29 Aug 09:00 the financing leaves the window: the bank change is
     * left, then it leaves too. */
    rs_scn_advance(s, "2026-08-29T10:00:00Z");
    must(s, "HOUSE_BANK_CHANGE", 30,
         "the customer switched its house bank on 2026-04-15");
    rs_scn_advance(s, "2026-10-12T10:00:00Z");
    none(s, "financing");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* ownership */

static void test_det_ownership_changes(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    /* The first link seen only tells the current parent. */
    bureau(s, "C1", "2026-03-01", "OWNERSHIP_LINK", "parent_customer_id=P1");
    none(s, "ownership");
    /* The same link again is no change. */
    bureau(s, "C1", "2026-03-15", "OWNERSHIP_LINK", "parent_customer_id=P1");
    none(s, "ownership");
    bureau(s, "C1", "2026-04-01", "OWNERSHIP_LINK", "parent_customer_id=P2");
    f = must(s, "OWNERSHIP_CHANGE", 20,
             "ownership change on 2026-04-01: the customer has a new parent "
             "company (counts for 180 days; repeated from 2 changes)");
    assert_string_equal(f.actions[0], "STAY_IN_CONTACT");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW); /* soft */
    /* A late link older than the latest is not applied. */
    bureau(s, "C1", "2026-03-28", "OWNERSHIP_LINK", "parent_customer_id=P9");
    must(s, "OWNERSHIP_CHANGE", 20, NULL);
    bureau(s, "C1", "2026-05-01", "OWNERSHIP_LINK", "");
    must(s, "OWNERSHIP_CHANGES_REPEATED", 35,
         "2 ownership changes in the last 180 days; the latest on "
         "2026-05-01: the customer left its corporate group");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    rs_scn_advance(s, "2026-10-29T00:00:00Z");
    none(s, "ownership");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
    /* With first.link = 1 the first link counts. */
    s = rs_scn_new("detector.ownership.first.link = 1");
    bureau(s, "C1", "2026-03-01", "OWNERSHIP_LINK", "parent_customer_id=P1");
    must(s, "OWNERSHIP_CHANGE", 20, "linked to a parent company");
    rs_scn_destroy(s);
}

/* reputation */

static void test_det_reputation_by_severity(void **state)
{
    static const struct {
        const char *sev[4]; /* severity=..., "" ungraded; NULL: end */
        int score;          /* 0: no finding */
        int worst;
    } cases[] = {
        {{"1"}, 0, 0},               /* minor: below min.severity 2 */
        {{"1", "1", "1"}, 0, 0},
        {{""}, 22, 2},               /* ungraded counts as 2 */
        {{"4"}, 44, 4},
        {{"2", "5", "3"}, 65, 5},    /* 55 + 2 x 5 */
        {{"5", "5", "5", "5"}, 70, 5}, /* capped */
    };
    static const char *const days[] = {"2026-03-01", "2026-03-10",
                                       "2026-03-20", "2026-03-30"};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_scn *s = rs_scn_new(NULL);

        for (int k = 0; k < 4 && cases[i].sev[k]; k++) {
            char fields[64];

            snprintf(fields, sizeof(fields), "%s%s",
                     *cases[i].sev[k] ? "severity=" : "", cases[i].sev[k]);
            bureau(s, "C1", days[k], "REPUTATION_SIGNAL", fields);
        }
        if (!cases[i].score) {
            none(s, "reputation");
        } else {
            struct rs_finding f =
                must(s, "REPUTATION_DAMAGE", cases[i].score, NULL);

            assert_int_equal((int)f.reason.value, cases[i].worst);
        }
        rs_scn_destroy(s);
    }
}

static void test_det_reputation_message_and_expiry(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    bureau(s, "C1", "2026-03-01", "REPUTATION_SIGNAL",
           "severity=4 description=news");
    bureau(s, "C1", "2026-03-10", "REPUTATION_SIGNAL", "severity=2");
    must(s, "REPUTATION_DAMAGE", 49,
         "2 negative reputation signals (news, reviews, lawsuits) in the "
         "last 90 days, the worst of severity 4 of 5 on 2026-03-01 (flagged "
         "from severity 2)");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* 30 May 09:00 the severe one leaves: 22 left (below MEDIUM by 3, the
     * hysteresis keeps MEDIUM); 8 June the other leaves. */
    rs_scn_advance(s, "2026-05-30T10:00:00Z");
    must(s, "REPUTATION_DAMAGE", 22, "severity 2 of 5 on 2026-03-10");
    rs_scn_advance(s, "2026-06-08T10:00:00Z");
    none(s, "reputation");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* insurer_limit */

static void test_det_insurer_limit_reduced_then_increased(void **state)
{
    struct rs_scn *s = rs_scn_new("detector.exposure.large.pct = 1000");
    struct rs_finding f;

    (void)state;
    bureau(s, "C1", "2026-03-01", "CREDIT_LIMIT_DECISION",
           "limit_action=GRANTED limit_amount=12000000 limit_currency=EUR");
    none(s, "insurer_limit");
    invoice(s, "C1", "I1", 8000000, "2026-03-02", "2026-04-30");
    bureau(s, "C1", "2026-03-10", "CREDIT_LIMIT_DECISION",
           "limit_action=REDUCED limit_amount=5000000 limit_currency=EUR");
    f = must(s, "CREDIT_LIMIT_REDUCED", 50,
             "the credit insurer reduced its limit on the customer to "
             "50,000.00 EUR on 2026-03-10 (was 120,000.00 EUR); 80,000.00 "
             "EUR is open, 30,000.00 EUR of it not covered");
    assert_true(f.reason.value == 50000.0);
    assert_true(f.reason.has_baseline);
    assert_true(f.reason.baseline == 120000.0);
    assert_string_equal(f.actions[0], "SHORTER_TERMS");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_HIGH);
    /* A late decision older than the one in force is not applied. */
    bureau(s, "C1", "2026-03-08", "CREDIT_LIMIT_DECISION",
           "limit_action=INCREASED limit_amount=20000000 limit_currency=EUR");
    must(s, "CREDIT_LIMIT_REDUCED", 50, NULL);
    bureau(s, "C1", "2026-03-20", "CREDIT_LIMIT_DECISION",
           "limit_action=INCREASED limit_amount=10000000 limit_currency=EUR");
    none(s, "insurer_limit");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_insurer_limit_open_amount_and_expiry(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    invoice(s, "C1", "I1", 8000000, "2026-03-02", "2026-12-31");
    bureau(s, "C1", "2026-03-10", "CREDIT_LIMIT_DECISION",
           "limit_action=REDUCED limit_amount=5000000 limit_currency=EUR");
    /* No earlier decision: no "was". */
    must(s, "CREDIT_LIMIT_REDUCED", 50,
         "to 50,000.00 EUR on 2026-03-10; 80,000.00 EUR is open");
    payment(s, "C1", "I1", "PARTIAL", 2000000, "2026-03-12");
    must(s, "CREDIT_LIMIT_REDUCED", 50,
         "; 60,000.00 EUR is open, 10,000.00 EUR of it not covered");
    /* A credit note lowers what is open, too. */
    rs_scn_event(s, RS_EVENT_INVOICE,
                 "event_id=cn1 event_time=2026-03-13T09:00:00Z customer_id=C1 "
                 "type=CREDITED invoice_id=CN1 amount=500000 currency=EUR "
                 "issue_date=2026-03-13 due_date=2026-03-13 "
                 "payment_terms_days=0 credited_invoice_id=I1");
    must(s, "CREDIT_LIMIT_REDUCED", 50,
         "; 55,000.00 EUR is open, 5,000.00 EUR of it not covered");
    payment(s, "C1", "I1", "PARTIAL", 2000000, "2026-03-14");
    must(s, "CREDIT_LIMIT_REDUCED", 50, "to 50,000.00 EUR on 2026-03-10");
    {
        struct rs_finding f;

        rs_scn_finding(s, "C1", "CREDIT_LIMIT_REDUCED", &f);
        assert_null(strstr(f.reason.message, "not covered"));
    }
    /* keep.days 180: gone from 6 September 09:00. */
    rs_scn_advance(s, "2026-09-06T10:00:00Z");
    none(s, "insurer_limit");
    rs_scn_destroy(s);
}

static void test_det_insurer_limit_withdrawn(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    bureau(s, "C1", "2026-03-01", "CREDIT_LIMIT_DECISION",
           "limit_action=GRANTED limit_amount=12000000 limit_currency=EUR");
    bureau(s, "C1", "2026-03-10", "CREDIT_LIMIT_DECISION",
           "limit_action=WITHDRAWN limit_amount=0 limit_currency=EUR");
    f = must(s, "CREDIT_LIMIT_WITHDRAWN", 75,
             "the credit insurer withdrew its limit on the customer on "
             "2026-03-10 (was 120,000.00 EUR): new deliveries are not "
             "insured");
    assert_true(f.reason.value == 0.0);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_CRITICAL);
    rs_scn_destroy(s);
}

/* buyer_failure */

static void test_det_buyer_failure_by_share(void **state)
{
    static const struct {
        const char *ev[2];
        int score; /* 0: no finding */
        int share;
        const char *msg;
    } cases[] = {
        {{"buyer_name=BigRetail buyer_share=0.35"}, 65, 35,
         "a major buyer of the customer failed on 2026-03-01; it brought "
         "35% of the customer's revenue (domino risk"},
        {{"buyer_name=BigRetail"}, 40, 0,
         "its share of the customer's revenue is not known"},
        {{"buyer_name=Tiny buyer_share=0.02"}, 0, 0, NULL},
        {{"buyer_name=A buyer_share=0.25", "buyer_name=B buyer_share=0.10"},
         65, 35,
         "2 major buyers of the customer failed in the last 180 days, the "
         "latest on 2026-03-10; together 35% of the customer's revenue"},
        {{"buyer_name=A buyer_share=0.45", "buyer_name=B buyer_share=0.30"},
         85, 75, NULL}, /* capped at max.score */
        {{"buyer_name=A buyer_share=0.10", "buyer_name=B"}, 40, 10,
         "together at least 10% of the customer's revenue (1 of unknown "
         "share)"},
        /* The same buyer reported twice counts once; the second report
         * fills in the share. */
        {{"buyer_name=A", "buyer_name=A buyer_share=0.30"}, 60, 30,
         "a major buyer of the customer failed on 2026-03-01; it brought "
         "30%"},
    };
    static const char *const days[] = {"2026-03-01", "2026-03-10"};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_scn *s = rs_scn_new(NULL);

        for (int k = 0; k < 2 && cases[i].ev[k]; k++)
            bureau(s, "C1", days[k], "MAJOR_BUYER_FAILURE", cases[i].ev[k]);
        if (!cases[i].score) {
            none(s, "buyer_failure");
        } else {
            struct rs_finding f = must(s, "MAJOR_BUYER_FAILURE",
                                       cases[i].score, cases[i].msg);

            assert_int_equal((int)(f.reason.value + 0.5), cases[i].share);
        }
        rs_scn_destroy(s);
    }
}

static void test_det_buyer_failure_expires(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    bureau(s, "C1", "2026-03-01", "MAJOR_BUYER_FAILURE",
           "buyer_name=BigRetail buyer_share=0.5");
    must(s, "MAJOR_BUYER_FAILURE", 80, "50%");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_CRITICAL);
    rs_scn_advance(s, "2026-08-28T08:00:00Z");
    must(s, "MAJOR_BUYER_FAILURE", 80, NULL);
    rs_scn_advance(s, "2026-08-28T10:00:00Z");
    none(s, "buyer_failure");
    went_down_to(s, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* Together: the bureau reasons combine; the strongest counts fully. */
static void test_det_bureau_findings_combine(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f[RS_FINDINGS_MAX];
    int32_t score;
    int n;

    (void)state;
    bureau(s, "C1", "2026-03-01", "SCORE_UPDATE", "old_score=80 new_score=60");
    bureau(s, "C1", "2026-03-02", "LEGAL_FILING", "filing_kind=lawsuit");
    n = rs_scn_findings(s, "C1", f, RS_FINDINGS_MAX, &score);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].reason.code, "LEGAL_FILING");
    assert_string_equal(f[1].reason.code, "BUREAU_SCORE_DROP");
    assert_int_equal(score, 55 + 40 / 4);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_HIGH);
    rs_scn_destroy(s);
}

/* The slots travel with the customer's packed state. */
static void test_det_bureau_state_survives_packing(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_customer *c;
    struct rs_customer copy;
    struct rs_buf buf;
    char errstr[256];

    (void)state;
    bureau(s, "C1", "2026-03-01", "SCORE_UPDATE", "old_score=80 new_score=60");
    bureau(s, "C1", "2026-03-02", "RATING_UPDATE",
           "old_rating=Baa1 new_rating=Ba2");
    bureau(s, "C1", "2026-03-03", "CREDIT_INQUIRY", "inquirer=BankA");
    bureau(s, "C1", "2026-03-04", "MAJOR_BUYER_FAILURE",
           "buyer_name=BigRetail buyer_share=0.35");
    bureau(s, "C1", "2026-03-05", "CREDIT_LIMIT_DECISION",
           "limit_action=REDUCED limit_amount=5000000 limit_currency=EUR");
    c = rs_scn_customer(s, "C1");
    assert_non_null(c);
    rs_buf_init(&buf, 0);
    rs_customer_pack(c, &buf);
    rs_customer_init(&copy, "C1");
    assert_int_equal(rs_customer_unpack(&copy, buf.data, buf.len, errstr,
                                        sizeof(errstr)),
                     0);
    for (int d = 12; d <= 20; d++)
        assert_memory_equal(rs_customer_dstate(&copy, d),
                            rs_customer_dstate(c, d), sizeof(struct rs_dstate));
    rs_customer_release(&copy);
    rs_buf_release(&buf);
    rs_scn_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_bureau_score_drops),
        cmocka_unit_test(test_det_bureau_score_upgrade_lowers_level),
        cmocka_unit_test(test_det_bureau_score_expires_by_timer),
        cmocka_unit_test(test_det_bureau_score_out_of_order),
        cmocka_unit_test(test_det_bureau_score_ratings),
        cmocka_unit_test(test_det_bureau_score_rating_decline_and_recovery),
        cmocka_unit_test(test_det_inquiries_surge),
        cmocka_unit_test(test_det_inquiries_spread_out_is_normal),
        cmocka_unit_test(test_det_filings_bankruptcy_is_critical),
        cmocka_unit_test(test_det_filings_legal),
        cmocka_unit_test(test_det_management_changes),
        cmocka_unit_test(test_det_management_window),
        cmocka_unit_test(test_det_financing_changes),
        cmocka_unit_test(test_det_ownership_changes),
        cmocka_unit_test(test_det_reputation_by_severity),
        cmocka_unit_test(test_det_reputation_message_and_expiry),
        cmocka_unit_test(test_det_insurer_limit_reduced_then_increased),
        cmocka_unit_test(test_det_insurer_limit_open_amount_and_expiry),
        cmocka_unit_test(test_det_insurer_limit_withdrawn),
        cmocka_unit_test(test_det_buyer_failure_by_share),
        cmocka_unit_test(test_det_buyer_failure_expires),
        cmocka_unit_test(test_det_bureau_findings_combine),
        cmocka_unit_test(test_det_bureau_state_survives_packing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
