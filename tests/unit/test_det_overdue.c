/* The overdue and insurer detectors, scoring profiles, hysteresis and
 * suppression, as scenarios through the decoder and the engine. */
#include "support.h"

#include <string.h>

#include "scenario.h"

static void invoice(struct rs_scn *s, const char *cust, const char *id,
                    long amount, const char *issue, const char *due,
                    const char *segment)
{
    char f[512];

    snprintf(f, sizeof(f),
             "event_id=ev-%s event_time=%sT09:00:00Z customer_id=%s "
             "type=ISSUED invoice_id=%s amount=%ld currency=EUR "
             "issue_date=%s due_date=%s payment_terms_days=30%s%s",
             id, issue, cust, id, amount, issue, due,
             segment ? " segment=" : "", segment ? segment : "");
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

/* Table: days after due → expected code, score, level. */
static void test_det_overdue_steps_by_timer(void **state)
{
    static const struct {
        const char *at;
        const char *code; /* NULL: no overdue finding */
        int score;
        int level;
    } steps[] = {
        {"2026-02-10T00:00:00Z", NULL, 0, RS_LEVEL_LOW},      /* 6 days */
        {"2026-02-11T00:00:00Z", "OVERDUE_NO_PAYMENT", 40, RS_LEVEL_MEDIUM},
        {"2026-03-06T00:00:00Z", "OVERDUE_HIGH", 60, RS_LEVEL_HIGH},
        {"2026-04-05T00:00:00Z", "OVERDUE_CRITICAL", 80, RS_LEVEL_CRITICAL},
    };
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    invoice(s, "C1", "I1", 250000, "2026-01-05", "2026-02-04", NULL);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct rs_finding f;
        int32_t score;

        rs_scn_advance(s, steps[i].at);
        if (!steps[i].code) {
            assert_false(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
        } else {
            assert_true(rs_scn_finding(s, "C1", steps[i].code, &f));
            assert_int_equal(f.score, steps[i].score);
            assert_string_equal(f.reason.evidence[0], "ev-I1");
        }
        assert_int_equal(rs_scn_level(s, "C1", &score), steps[i].level);
    }
    /* The level rose three times, one alert each. */
    assert_int_equal(rs_scn_alert_count(s), 3);
    rs_scn_destroy(s);
}

/* A customer that always pays about 10 days late is flagged when it is
 * later than that (grace + its usual lateness), not at 7 days each month;
 * HIGH stays at 30 days. usual.max.days caps what is excused. */
static void test_det_overdue_grace_follows_usual_lateness(void **state)
{
    static const char *const due[] = {"2026-01-31", "2026-02-28",
                                       "2026-03-31", "2026-04-30"};
    static const char *const paid[] = {"2026-02-09", "2026-03-11",
                                        "2026-04-12", "2026-05-10"};
    struct rs_scn *s;
    struct rs_finding f;
    char id[16];

    (void)state;
    for (int cap = 0; cap < 2; cap++) {
        s = rs_scn_new(cap ? "detector.overdue.usual.max.days = 4\n" : NULL);
        for (int i = 0; i < 4; i++) { /* 9, 11, 12, 10 days late */
            snprintf(id, sizeof(id), "I%d", i + 1);
            invoice(s, "C1", id, 100000, "2026-01-01", due[i], NULL);
            payment(s, "C1", id, "FULL", 100000, paid[i]);
        }
        invoice(s, "C1", "I5", 100000, "2026-05-01", "2026-05-31", NULL);
        rs_scn_advance(s, "2026-06-08T00:00:00Z"); /* 8 days past due */
        if (cap) {
            /* 7 + at most 4 days excused: flagged from 11 days. */
            assert_false(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
            rs_scn_advance(s, "2026-06-11T00:00:00Z");
            assert_true(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
            assert_non_null(strstr(f.reason.message,
                                   "flagged from 11 days: 7 beyond the 4 "
                                   "days late this customer usually pays"));
            rs_scn_destroy(s);
            continue;
        }
        assert_false(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
        rs_scn_advance(s, "2026-06-17T00:00:00Z"); /* 17 = 7 + median 11 - 1 */
        assert_false(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
        rs_scn_advance(s, "2026-06-18T00:00:00Z"); /* 18 days */
        assert_true(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
        assert_true(f.reason.value == 18.0);
        assert_true(f.reason.threshold == 18.0);
        assert_non_null(strstr(f.reason.message,
                               "flagged from 18 days: 7 beyond the 11 days "
                               "late this customer usually pays"));
        assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
        rs_scn_advance(s, "2026-06-30T00:00:00Z"); /* 30 days: HIGH as ever */
        assert_true(rs_scn_finding(s, "C1", "OVERDUE_HIGH", &f));
        rs_scn_destroy(s);
    }

    /* usual.invoices = 0: 7 days for everybody. */
    s = rs_scn_new("detector.overdue.usual.invoices = 0\n");
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof(id), "I%d", i + 1);
        invoice(s, "C1", id, 100000, "2026-01-01", due[i], NULL);
        payment(s, "C1", id, "FULL", 100000, paid[i]);
    }
    invoice(s, "C1", "I5", 100000, "2026-05-01", "2026-05-31", NULL);
    rs_scn_advance(s, "2026-06-07T00:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
    rs_scn_destroy(s);
}

static void test_det_overdue_credit_note_and_partial_payment(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    invoice(s, "C1", "I1", 100000, "2026-01-05", "2026-02-04", NULL);
    payment(s, "C1", "I1", "PARTIAL", 60000, "2026-02-01");
    rs_scn_advance(s, "2026-02-20T00:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
    assert_non_null(strstr(f.reason.message, "400.00 EUR open 16 days"));
    /* A credit note for the rest clears it: the level goes down. */
    rs_scn_event(s, RS_EVENT_INVOICE,
                 "event_id=cn1 event_time=2026-02-21T09:00:00Z customer_id=C1 "
                 "type=CREDITED invoice_id=CN1 amount=40000 currency=EUR "
                 "issue_date=2026-02-21 due_date=2026-02-21 "
                 "payment_terms_days=0 credited_invoice_id=I1");
    assert_false(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    assert_int_equal(rs_scn_last_alert(s, "C1")->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_overdue_severe_delinquency(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    invoice(s, "C1", "OLD", 20000, "2026-01-01", "2026-01-31", NULL);
    invoice(s, "C1", "NEW", 100000, "2026-04-20", "2026-05-20", NULL);
    /* 91 days past due on OLD: 20,000 of 120,000 = 16 % >= 10 %. */
    rs_scn_advance(s, "2026-05-02T00:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "SEVERE_DELINQUENCY", &f));
    assert_int_equal(f.score, 90);
    assert_int_equal((int)f.reason.value, 16);
    assert_non_null(strstr(f.reason.message, "200.00 EUR of the 1,200.00 EUR"));
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_CRITICAL);
    rs_scn_destroy(s);
}

static void test_det_overdue_disputed_left_out(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    invoice(s, "C1", "I1", 100000, "2026-01-05", "2026-02-04", NULL);
    rs_scn_event(s, RS_EVENT_COMM,
                 "event_id=d1 event_time=2026-02-06T09:00:00Z customer_id=C1 "
                 "type=DISPUTE_OPENED invoice_id=I1");
    rs_scn_advance(s, "2026-03-01T00:00:00Z");
    assert_false(rs_scn_finding(s, "C1", "OVERDUE_NO_PAYMENT", &f));
    rs_scn_destroy(s);
}

static void test_det_insurer_clocks(void **state)
{
    static const struct {
        const char *at, *code;
        const char *action;
    } steps[] = {
        {"2026-02-19T00:00:00Z", "INSURER_REPORT_OVERDUE", "REPORT_TO_INSURER"},
        {"2026-04-05T00:00:00Z", "INSURER_EXTENSION_REACHED",
         "INSURER_STOP_DELIVERIES"},
        {"2026-05-05T00:00:00Z", "INSURER_COLLECTIONS_DEADLINE",
         "INSURER_COLLECTIONS_DEADLINE"},
    };
    struct rs_scn *s = rs_scn_new("detector.insurer.enabled = 1");

    (void)state;
    invoice(s, "C1", "I1", 100000, "2026-01-05", "2026-02-04", NULL);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct rs_finding f;

        rs_scn_advance(s, steps[i].at);
        assert_true(rs_scn_finding(s, "C1", steps[i].code, &f));
        assert_string_equal(f.actions[0], steps[i].action);
    }
    rs_scn_destroy(s);
    /* Off by default. */
    s = rs_scn_new(NULL);
    invoice(s, "C1", "I1", 100000, "2026-01-05", "2026-02-04", NULL);
    rs_scn_advance(s, "2026-05-05T00:00:00Z");
    {
        struct rs_finding f;

        assert_false(rs_scn_finding(s, "C1", "INSURER_REPORT_OVERDUE", &f));
    }
    rs_scn_destroy(s);
}

/* A stricter segment (lower thresholds, overdue weighted up) reaches HIGH
 * where the default profile stays MEDIUM. */
static void test_det_segment_profile(void **state)
{
    struct rs_scn *s = rs_scn_new("segment.construction.level.high = 45\n"
                                  "segment.construction.weight.overdue = 150");
    int32_t score;

    (void)state;
    invoice(s, "RISKY", "I1", 100000, "2026-01-05", "2026-02-04",
            "construction");
    invoice(s, "PLAIN", "I2", 100000, "2026-01-05", "2026-02-04", "retail");
    rs_scn_advance(s, "2026-02-12T00:00:00Z");
    assert_int_equal(rs_scn_level(s, "RISKY", &score), RS_LEVEL_HIGH);
    /* 60 overdue + a quarter of payment_record's 7 (1 invoice of 1 known
     * late, 8 days: 10 x 57 % + 4 x 8 / 30) */
    assert_int_equal(score, 61);
    assert_int_equal(rs_scn_level(s, "PLAIN", &score), RS_LEVEL_MEDIUM);
    assert_int_equal(score, 41); /* 40 + 7 / 4 */
    rs_scn_destroy(s);
}

/* The level goes down only below threshold - hysteresis; re-raising within
 * the suppression window is counted, not alerted. */
static void test_det_hysteresis_and_suppression(void **state)
{
    struct rs_scn *s = rs_scn_new("score.suppress.days = 30");
    const struct rs_alert *a;

    (void)state;
    invoice(s, "C1", "I1", 100000, "2026-01-05", "2026-02-04", NULL);
    rs_scn_advance(s, "2026-02-12T00:00:00Z"); /* MEDIUM */
    payment(s, "C1", "I1", "FULL", 100000, "2026-02-13"); /* LOW */
    invoice(s, "C1", "I2", 100000, "2026-01-20", "2026-02-10", NULL);
    rs_scn_advance(s, "2026-02-18T00:00:00Z"); /* MEDIUM again: suppressed */
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    assert_int_equal(rs_scn_alert_count(s), 2);
    rs_scn_advance(s, "2026-03-13T00:00:00Z"); /* HIGH: alerted */
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_after, RS_LEVEL_HIGH);
    /* From the level the last alert announced: the consumers never saw
     * the suppressed MEDIUM, which the count tells them of. */
    assert_int_equal(a->level_before, RS_LEVEL_LOW);
    assert_int_equal(a->suppressed_count, 1);
    rs_scn_destroy(s);

    /* A suppressed rise that ends is not announced either: no alert "from
     * MEDIUM" the consumers were never told of. */
    s = rs_scn_new("score.suppress.days = 30");
    invoice(s, "C1", "I1", 100000, "2026-01-05", "2026-02-04", NULL);
    rs_scn_advance(s, "2026-02-12T00:00:00Z"); /* MEDIUM */
    payment(s, "C1", "I1", "FULL", 100000, "2026-02-13"); /* LOW */
    invoice(s, "C1", "I2", 100000, "2026-01-20", "2026-02-10", NULL);
    rs_scn_advance(s, "2026-02-18T00:00:00Z"); /* MEDIUM: suppressed */
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    payment(s, "C1", "I2", "FULL", 100000, "2026-02-19"); /* LOW: silent */
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    assert_int_equal(rs_scn_alert_count(s), 2);
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_MEDIUM);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    /* The next alert counts the silent rises: the one above, and I3's
     * MEDIUM on 02-27, 9 days after the last rise to MEDIUM. */
    invoice(s, "C1", "I3", 100000, "2026-02-01", "2026-02-20", NULL);
    rs_scn_advance(s, "2026-03-25T00:00:00Z"); /* 33 days: HIGH */
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(rs_scn_alert_count(s), 3);
    assert_int_equal(a->level_before, RS_LEVEL_LOW);
    assert_int_equal(a->level_after, RS_LEVEL_HIGH);
    assert_int_equal(a->suppressed_count, 2);
    rs_scn_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_overdue_steps_by_timer),
        cmocka_unit_test(test_det_overdue_grace_follows_usual_lateness),
        cmocka_unit_test(test_det_overdue_credit_note_and_partial_payment),
        cmocka_unit_test(test_det_overdue_severe_delinquency),
        cmocka_unit_test(test_det_overdue_disputed_left_out),
        cmocka_unit_test(test_det_insurer_clocks),
        cmocka_unit_test(test_det_segment_profile),
        cmocka_unit_test(test_det_hysteresis_and_suppression),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
