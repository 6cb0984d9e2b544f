/* The order detectors (exposure against the credit limit, ordering
 * changes) as scenarios through the decoder and the engine: each fires
 * with its reason and numbers, stays quiet on normal behaviour, handles the
 * first invoice ever, credit notes, partial payments and events out of
 * order, and lets the level go down again when the customer improves.
 *
 * Ordering periods are 30 days counted from 1970-01-01; those used here:
 *   681 2025-12-08..2026-01-06   685 2026-04-07..2026-05-06
 *   682 2026-01-07..2026-02-05   686 2026-05-07..2026-06-05
 *   683 2026-02-06..2026-03-07   687 2026-06-06..2026-07-05
 *   684 2026-03-08..2026-04-06   688 2026-07-06..2026-08-04 */
#include "support.h"

#include <string.h>

#include "riskstream/buf.h"
#include "scenario.h"

static int seq;

static void bureau_limit(struct rs_scn *s, const char *cust, const char *at,
                         const char *action, long amount, const char *ccy)
{
    char f[512], amt[128] = "";

    if (amount >= 0)
        snprintf(amt, sizeof(amt), " limit_amount=%ld limit_currency=%s",
                 amount, ccy);
    snprintf(f, sizeof(f),
             "event_id=lim-%d event_time=%s customer_id=%s "
             "type=CREDIT_LIMIT_DECISION source=Insurer limit_action=%s%s",
             ++seq, at, cust, action, amt);
    assert_int_equal(rs_scn_event(s, RS_EVENT_BUREAU, f), 0);
}

/* An invoice issued on day at 08:00, due 60 days later (so overdue stays
 * out of the way). */
static void invoice(struct rs_scn *s, const char *cust, const char *id,
                    long amount, const char *issue, const char *due)
{
    char f[512];

    snprintf(f, sizeof(f),
             "event_id=ev-%s event_time=%sT08:00:00Z customer_id=%s "
             "type=ISSUED invoice_id=%s amount=%ld currency=EUR "
             "issue_date=%s due_date=%s payment_terms_days=60",
             id, issue, cust, id, amount, issue, due);
    assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, f), 0);
}

static void credit_note(struct rs_scn *s, const char *cust, const char *id,
                        long amount, const char *day, const char *credited)
{
    char f[512];

    snprintf(f, sizeof(f),
             "event_id=ev-%s event_time=%sT09:00:00Z customer_id=%s "
             "type=CREDITED invoice_id=%s amount=%ld currency=EUR "
             "issue_date=%s due_date=%s payment_terms_days=0 "
             "credited_invoice_id=%s",
             id, day, cust, id, amount, day, day, credited);
    assert_int_equal(rs_scn_event(s, RS_EVENT_INVOICE, f), 0);
}

static void payment(struct rs_scn *s, const char *cust, const char *invoice_id,
                    const char *type, long amount, const char *date)
{
    char f[512];
    int n = ++seq;

    snprintf(f, sizeof(f),
             "event_id=pay-%s-%s-%d event_time=%sT10:00:00Z customer_id=%s "
             "type=%s payment_id=P-%s-%d amount=%ld currency=EUR "
             "payment_date=%s invoice_id=%s",
             invoice_id, date, n, date, cust, type, invoice_id, n, amount,
             date, invoice_id);
    assert_int_equal(rs_scn_event(s, RS_EVENT_PAYMENT, f), 0);
}

/* An order: an invoice issued on day (YYYY-MM-DD), paid in full the same
 * day, so no other detector sees anything open. */
static void order(struct rs_scn *s, const char *id, long amount,
                  const char *day)
{
    invoice(s, "C1", id, amount, day, day);
    payment(s, "C1", id, "FULL", amount, day);
}

/* The finding with code, which must exist with that score; its message
 * must contain msg. */
static struct rs_finding must(struct rs_scn *s, const char *code, int score,
                              const char *msg)
{
    struct rs_finding f;

    if (!rs_scn_finding(s, "C1", code, &f))
        fail_msg("no finding %s", code);
    assert_int_equal(f.score, score);
    if (msg && !strstr(f.reason.message, msg))
        fail_msg("message '%s' lacks '%s'", f.reason.message, msg);
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
            fail_msg("unexpected %s: %s", f[i].reason.code,
                     f[i].reason.message);
}

/* No finding of any detector but payment_record, which grades the record
 * of every invoiced customer (a few points for a punctual one). */
static void quiet(struct rs_scn *s)
{
    struct rs_finding f[RS_FINDINGS_MAX];
    int32_t score;
    int n = rs_scn_findings(s, "C1", f, RS_FINDINGS_MAX, &score);

    for (int i = 0; i < n; i++)
        if (strcmp(f[i].reason.detector, "payment_record") != 0)
            fail_msg("unexpected %s: %s", f[i].reason.code,
                     f[i].reason.message);
}

/* exposure */

/* Table: each step adds an invoice; the open amount walks up to and over
 * a 10,000.00 EUR limit. */
static void test_det_orders_exposure_near_and_over_limit(void **state)
{
    static const struct {
        const char *id;
        long amount;
        const char *code; /* NULL: no usage finding */
        int score;
        double value, threshold;
        const char *msg;
        int level;
    } steps[] = {
        {"I1", 300000, NULL, 0, 0, 0, NULL, RS_LEVEL_LOW},
        {"I2", 300000, NULL, 0, 0, 0, NULL, RS_LEVEL_LOW},
        {"I3", 300000, "EXPOSURE_NEAR_LIMIT", 30, 9000.0, 9000.0,
         "open invoices of 9,000.00 EUR use 90% of the credit limit of "
         "10,000.00 EUR (flagged from 90%)",
         RS_LEVEL_MEDIUM},
        {"I4", 200000, "EXPOSURE_OVER_LIMIT", 50, 11000.0, 10000.0,
         "open invoices of 11,000.00 EUR exceed the credit limit of "
         "10,000.00 EUR by 1,000.00 EUR (110% of the limit)",
         RS_LEVEL_HIGH},
    };
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;

    (void)state;
    bureau_limit(s, "C1", "2026-03-01T09:00:00Z", "GRANTED", 1000000, "EUR");
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct rs_finding f;

        invoice(s, "C1", steps[i].id, steps[i].amount, "2026-03-02",
                "2026-05-01");
        if (!steps[i].code) {
            quiet(s);
        } else {
            f = must(s, steps[i].code, steps[i].score, steps[i].msg);
            assert_true(f.reason.value == steps[i].value);
            assert_true(f.reason.threshold == steps[i].threshold);
            assert_false(f.reason.has_baseline);
            /* Evidence: the open invoices, newest first. */
            assert_int_equal(f.reason.evidence_count, (int)i + 1);
            assert_string_equal(f.reason.evidence[0] + 3, steps[i].id);
        }
        assert_int_equal(rs_scn_level(s, "C1", NULL), steps[i].level);
    }
    a = rs_scn_last_alert(s, "C1");
    assert_non_null(a);
    assert_int_equal(a->level_after, RS_LEVEL_HIGH);
    assert_string_equal(a->reasons[0].code, "EXPOSURE_OVER_LIMIT");
    assert_string_equal(a->reasons[0].evidence[0], "ev-I4");
    {
        int prepay = 0, check = 0;

        for (int i = 0; i < a->action_count; i++) {
            prepay |= strcmp(a->actions[i].code, "PREPAYMENT") == 0;
            check |= strcmp(a->actions[i].code, "CHECK_CREDITWORTHINESS") == 0;
        }
        assert_true(prepay && check);
    }
    rs_scn_destroy(s);
}

/* Normal behaviour: no limit known, or well within the limit. */
static void test_det_orders_exposure_quiet_without_limit_or_within(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    /* First invoice ever, no limit: nothing, however large. */
    invoice(s, "C1", "I1", 5000000, "2026-03-02", "2026-05-01");
    none(s, "exposure");
    rs_scn_destroy(s);

    s = rs_scn_new(NULL);
    bureau_limit(s, "C1", "2026-03-01T09:00:00Z", "GRANTED", 10000000, "EUR");
    invoice(s, "C1", "I1", 2000000, "2026-03-02", "2026-05-01");
    invoice(s, "C1", "I2", 3000000, "2026-03-05", "2026-05-04");
    none(s, "exposure");
    quiet(s);
    assert_int_equal(rs_scn_alert_count(s), 0);
    /* A limit in another currency is not compared. */
    bureau_limit(s, "C1", "2026-03-06T09:00:00Z", "REDUCED", 100000, "USD");
    none(s, "exposure");
    rs_scn_destroy(s);
}

/* The first invoice ever is a large order; it stops being new after
 * large.days (a timer), and the level goes down. */
static void test_det_orders_exposure_large_first_invoice(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    bureau_limit(s, "C1", "2026-01-02T09:00:00Z", "GRANTED", 1000000, "EUR");
    invoice(s, "C1", "I1", 600000, "2026-01-05", "2026-03-06");
    f = must(s, "EXPOSURE_LARGE_INVOICE", 25,
             "new invoice I1 of 6,000.00 EUR, issued 0 days ago, is 60% of "
             "the credit limit of 10,000.00 EUR on its own (flagged from "
             "50%); check creditworthiness");
    assert_true(f.reason.value == 6000.0);
    assert_true(f.reason.threshold == 5000.0);
    assert_true(f.reason.has_window_days);
    assert_int_equal(f.reason.window_days, 30);
    assert_int_equal(f.reason.evidence_count, 1);
    assert_string_equal(f.reason.evidence[0], "ev-I1");
    assert_string_equal(f.actions[0], "CHECK_CREDITWORTHINESS");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    rs_scn_advance(s, "2026-02-03T12:00:00Z"); /* 29 days: still new */
    must(s, "EXPOSURE_LARGE_INVOICE", 25, "issued 29 days ago");
    rs_scn_advance(s, "2026-02-04T00:00:00Z"); /* 30 days: timer */
    none(s, "exposure");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_MEDIUM);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    assert_int_equal(rs_scn_alert_count(s), 2);
    rs_scn_destroy(s);
}

/* Over the limit; a partial payment brings it near, a credit note below:
 * the level goes down with each. */
static void test_det_orders_exposure_partial_payment_and_credit_note(
    void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;

    (void)state;
    bureau_limit(s, "C1", "2026-03-01T09:00:00Z", "GRANTED", 1000000, "EUR");
    invoice(s, "C1", "I1", 400000, "2026-03-02", "2026-05-01");
    invoice(s, "C1", "I2", 400000, "2026-03-03", "2026-05-02");
    invoice(s, "C1", "I3", 400000, "2026-03-04", "2026-05-03");
    must(s, "EXPOSURE_OVER_LIMIT", 50,
         "open invoices of 12,000.00 EUR exceed the credit limit of "
         "10,000.00 EUR by 2,000.00 EUR (120% of the limit)");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_HIGH);
    payment(s, "C1", "I1", "PARTIAL", 250000, "2026-03-05");
    must(s, "EXPOSURE_NEAR_LIMIT", 30,
         "open invoices of 9,500.00 EUR use 95% of the credit limit");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_after, RS_LEVEL_MEDIUM);
    credit_note(s, "C1", "CN1", 100000, "2026-03-06", "I2");
    none(s, "exposure");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_MEDIUM);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* A customer whose every invoice is 60 % of its limit (a card statement,
 * say) is not placing a large order each time: from its second invoice a
 * large one must also be 150 % of its usual amount. */
static void test_det_orders_exposure_large_must_be_unusual(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    bureau_limit(s, "C1", "2026-01-02T09:00:00Z", "GRANTED", 1000000, "EUR");
    invoice(s, "C1", "I1", 600000, "2026-01-05", "2026-01-25");
    must(s, "EXPOSURE_LARGE_INVOICE", 25, "new invoice I1 of 6,000.00 EUR");
    payment(s, "C1", "I1", "FULL", 600000, "2026-01-20");
    invoice(s, "C1", "I2", 600000, "2026-02-05", "2026-02-25");
    none(s, "exposure"); /* as large as usual */
    payment(s, "C1", "I2", "FULL", 600000, "2026-02-20");
    invoice(s, "C1", "I3", 620000, "2026-03-05", "2026-03-25");
    none(s, "exposure");
    payment(s, "C1", "I3", "FULL", 620000, "2026-03-20");
    /* Twice the usual: usual = 3/4 x 6,050 + 1/4 x 12,000 = 7,537.50, and
     * 12,000 is 159 % of it. */
    invoice(s, "C1", "I4", 1200000, "2026-04-05", "2026-04-25");
    must(s, "EXPOSURE_LARGE_INVOICE", 25, "new invoice I4 of 12,000.00 EUR");
    rs_scn_destroy(s);

    /* usual.pct = 0: every large invoice counts, as before. */
    s = rs_scn_new("detector.exposure.usual.pct = 0\n");
    bureau_limit(s, "C1", "2026-01-02T09:00:00Z", "GRANTED", 1000000, "EUR");
    invoice(s, "C1", "I1", 600000, "2026-01-05", "2026-01-25");
    payment(s, "C1", "I1", "FULL", 600000, "2026-01-20");
    invoice(s, "C1", "I2", 600000, "2026-02-05", "2026-02-25");
    must(s, "EXPOSURE_LARGE_INVOICE", 25, "new invoice I2 of 6,000.00 EUR");
    rs_scn_destroy(s);
}

/* Limit decisions: a reduction, one that arrives out of order (older than
 * the one in force: not applied), an increase that ends the finding, and a
 * withdrawal. */
static void test_det_orders_exposure_limit_decisions_out_of_order(
    void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    bureau_limit(s, "C1", "2026-03-01T09:00:00Z", "GRANTED", 2000000, "EUR");
    invoice(s, "C1", "I1", 850000, "2026-03-02", "2026-05-01");
    invoice(s, "C1", "I2", 850000, "2026-03-03", "2026-05-02");
    none(s, "exposure"); /* 85 % */
    bureau_limit(s, "C1", "2026-03-10T09:00:00Z", "REDUCED", 1800000, "EUR");
    must(s, "EXPOSURE_NEAR_LIMIT", 30,
         "open invoices of 17,000.00 EUR use 94% of the credit limit of "
         "18,000.00 EUR (reduced from 20,000.00 EUR) (flagged from 90%)");
    /* An older decision (2 days before, within the allowed lateness)
     * arriving late does not override the one in force. */
    bureau_limit(s, "C1", "2026-03-08T09:00:00Z", "INCREASED", 5000000, "EUR");
    must(s, "EXPOSURE_NEAR_LIMIT", 30, "limit of 18,000.00 EUR");
    /* A newer increase ends it. */
    bureau_limit(s, "C1", "2026-03-12T09:00:00Z", "INCREASED", 4000000, "EUR");
    none(s, "exposure");
    /* Withdrawn: the limit is 0, all of it is over. */
    bureau_limit(s, "C1", "2026-03-13T09:00:00Z", "WITHDRAWN", -1, NULL);
    f = must(s, "EXPOSURE_OVER_LIMIT", 50,
             "open invoices of 17,000.00 EUR have no credit limit to cover "
             "them: the limit of 40,000.00 EUR was withdrawn");
    assert_true(f.reason.value == 17000.0);
    assert_true(f.reason.threshold == 0.0);
    /* With no large-invoice finding on a zero limit. */
    assert_false(rs_scn_finding(s, "C1", "EXPOSURE_LARGE_INVOICE", &f));
    rs_scn_destroy(s);
}

/* ordering */

static const char *const monthly[] = {"2026-01-20", "2026-02-20",
                                      "2026-03-20", "2026-04-20"};

/* A first (partial-period) invoice on 2025-12-20, then 10,000.00 EUR in
 * each of the periods 682..685: the baseline. */
static void baseline(struct rs_scn *s)
{
    char id[16];

    order(s, "B0", 1000000, "2025-12-20");
    for (size_t i = 0; i < sizeof(monthly) / sizeof(monthly[0]); i++) {
        snprintf(id, sizeof(id), "B%zu", i + 1);
        order(s, id, 1000000, monthly[i]);
    }
}

/* A sudden drop, noticed by the timer at the period boundary; the next
 * normal period ends it and the level goes down. */
static void test_det_orders_ordering_drop_by_timer(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    baseline(s);
    order(s, "D1", 300000, "2026-05-20");
    rs_scn_advance(s, "2026-06-05T23:00:00Z");
    none(s, "ordering");
    rs_scn_advance(s, "2026-06-06T00:00:00Z");
    f = must(s, "ORDERING_DROP", 35,
             "invoiced volume fell to 3,000.00 EUR in the 30 days from "
             "2026-05-07 to 2026-06-05, 30% of the usual 10,000.00 EUR per "
             "30 days (flagged below 50%, 5,000.00 EUR)");
    assert_true(f.reason.value == 3000.0);
    assert_true(f.reason.has_baseline);
    assert_true(f.reason.baseline == 10000.0);
    assert_true(f.reason.threshold == 5000.0);
    assert_true(f.reason.has_window_days);
    assert_int_equal(f.reason.window_days, 30);
    assert_int_equal(f.reason.evidence_count, 0);
    assert_string_equal(f.actions[0], "STAY_IN_CONTACT");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_after, RS_LEVEL_MEDIUM);
    assert_string_equal(a->reasons[0].code, "ORDERING_DROP");
    /* Back to normal in 687: at the next boundary it is over. */
    order(s, "D2", 1000000, "2026-06-20");
    must(s, "ORDERING_DROP", 35, NULL);
    rs_scn_advance(s, "2026-07-06T00:00:00Z");
    none(s, "ordering");
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_MEDIUM);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* A period with no invoices at all, noticed with no event; an invoice of
 * that period arriving late (within the allowed lateness) still counts. */
static void test_det_orders_ordering_empty_period_and_late_invoice(
    void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    baseline(s);
    rs_scn_advance(s, "2026-06-06T00:00:00Z");
    f = must(s, "ORDERING_STOPPED", 40,
             "nothing was invoiced (net of credit notes) in the 30 days "
             "from 2026-05-07 to 2026-06-05, against a usual 10,000.00 EUR "
             "per 30 days (flagged below 50%, 5,000.00 EUR)");
    assert_true(f.reason.value == 0.0);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* The invoice of 2026-06-04 arrives on 2026-06-08: 4 days late. */
    rs_scn_advance(s, "2026-06-08T00:00:00Z");
    order(s, "L1", 900000, "2026-06-04");
    none(s, "ordering");
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* Credit notes count against the period they are issued in. */
static void test_det_orders_ordering_credit_note_makes_a_drop(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    baseline(s);
    invoice(s, "C1", "C5", 1000000, "2026-05-20", "2026-07-19");
    credit_note(s, "C1", "CN5", 800000, "2026-05-25", "C5");
    payment(s, "C1", "C5", "FULL", 200000, "2026-05-26");
    rs_scn_advance(s, "2026-06-06T00:00:00Z");
    must(s, "ORDERING_DROP", 35,
         "invoiced volume fell to 2,000.00 EUR in the 30 days from "
         "2026-05-07 to 2026-06-05, 20% of the usual");
    rs_scn_destroy(s);
}

/* A sudden increase in the current period fires as soon as it is there,
 * with the period's open invoices as evidence. */
static void test_det_orders_ordering_spike_in_current_period(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    baseline(s);
    order(s, "S0", 1000000, "2026-05-08"); /* 686: normal */
    invoice(s, "C1", "S1", 1000000, "2026-06-10", "2026-08-09");
    invoice(s, "C1", "S2", 1000000, "2026-06-11", "2026-08-10");
    none(s, "ordering"); /* 20,000.00: 200 % */
    invoice(s, "C1", "S3", 1000000, "2026-06-12", "2026-08-11");
    f = must(s, "ORDERING_SPIKE", 30,
             "invoiced volume is already 30,000.00 EUR in the 30 days from "
             "2026-06-06 to 2026-07-05 (7 days in), 300% of the usual "
             "10,000.00 EUR per 30 days (flagged above 250%)");
    assert_true(f.reason.value == 30000.0);
    assert_true(f.reason.baseline == 10000.0);
    assert_true(f.reason.threshold == 25000.0);
    assert_int_equal(f.reason.evidence_count, 3);
    assert_string_equal(f.reason.evidence[0], "ev-S3");
    assert_string_equal(f.reason.evidence[2], "ev-S1");
    assert_string_equal(f.actions[0], "CHECK_CREDITWORTHINESS");
    /* Still flagged for the completed period after the boundary. */
    rs_scn_advance(s, "2026-07-06T00:00:00Z");
    must(s, "ORDERING_SPIKE", 30, "invoiced volume rose to 30,000.00 EUR");
    rs_scn_destroy(s);
}

/* A customer who stopped ordering stays flagged while the weighted
 * baseline lasts (a quarter less per empty period, the deviation frozen),
 * then the level goes down; the irregular silence in between ends too. */
static void test_det_orders_ordering_stop_fades(void **state)
{
    static const struct {
        const char *at;
        const char *code; /* NULL: no ordering finding */
    } steps[] = {
        {"2026-06-06T00:00:00Z", "ORDERING_STOPPED"}, /* 686 */
        {"2026-07-06T00:00:00Z", "ORDERING_STOPPED"}, /* 687 */
        {"2026-07-21T00:00:00Z", "ORDERING_IRREGULAR"}, /* 92 days */
        {"2026-08-20T00:00:00Z", "ORDERING_STOPPED"}, /* irregular over */
        {"2027-02-01T00:00:00Z", "ORDERING_STOPPED"}, /* 694, 1,001.12 */
        {"2027-03-03T00:00:00Z", NULL}, /* baseline 750.84 < 1,000.00 */
    };
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    baseline(s);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        rs_scn_advance(s, steps[i].at);
        if (steps[i].code)
            assert_true(rs_scn_finding(s, "C1", steps[i].code, &f));
        else
            none(s, "ordering");
    }
    assert_false(rs_scn_finding(s, "C1", "ORDERING_IRREGULAR", &f));
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_MEDIUM);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    assert_int_equal(rs_scn_customer(s, "C1")->next_timer, RS_NO_TIMER);
    rs_scn_destroy(s);
}

/* Normal behaviour: volumes that swing a little, and no judgement before
 * the warm-up, even on an empty period. */
static void test_det_orders_ordering_quiet_normal_and_warmup(void **state)
{
    static const struct {
        const char *day;
        long amount;
    } orders[] = {
        {"2025-12-20", 1000000}, {"2026-01-20", 900000},
        {"2026-02-20", 1100000}, {"2026-03-20", 1000000},
        {"2026-04-20", 950000},  {"2026-05-20", 1050000},
        {"2026-06-20", 1000000}, {"2026-07-20", 900000},
    };
    struct rs_scn *s = rs_scn_new(NULL);
    char id[16];

    (void)state;
    /* First invoice ever: nothing. */
    order(s, "N0", orders[0].amount, orders[0].day);
    none(s, "ordering");
    for (size_t i = 1; i < sizeof(orders) / sizeof(orders[0]); i++) {
        snprintf(id, sizeof(id), "N%zu", i);
        order(s, id, orders[i].amount, orders[i].day);
        none(s, "ordering");
    }
    rs_scn_advance(s, "2026-08-05T00:00:00Z");
    none(s, "ordering");
    quiet(s);
    assert_int_equal(rs_scn_alert_count(s), 0);
    rs_scn_destroy(s);

    /* Two periods of history, then nothing: too early to judge. */
    s = rs_scn_new(NULL);
    order(s, "W0", 1000000, "2025-12-20");
    order(s, "W1", 1000000, "2026-01-20");
    order(s, "W2", 1000000, "2026-02-20");
    rs_scn_advance(s, "2026-04-08T00:00:00Z");
    none(s, "ordering");
    rs_scn_destroy(s);
}

/* Weekly orders, then silence: irregular at three times the usual gap
 * (a timer), over with the next invoice. A partial payment does not
 * change the rhythm. */
static void test_det_orders_ordering_irregular_after_steady_rhythm(
    void **state)
{
    static const char *const days[] = {"2026-01-05", "2026-01-12",
                                       "2026-01-19", "2026-01-26",
                                       "2026-02-02", "2026-02-09"};
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;
    struct rs_finding f;
    char id[16];

    (void)state;
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        snprintf(id, sizeof(id), "W%zu", i);
        order(s, id, 200000, days[i]);
    }
    /* A second invoice on the same order day is not a new gap. */
    invoice(s, "C1", "W5b", 50000, "2026-02-09", "2026-04-10");
    payment(s, "C1", "W5b", "PARTIAL", 20000, "2026-02-12");
    payment(s, "C1", "W5b", "FULL", 30000, "2026-02-20");
    rs_scn_advance(s, "2026-03-01T23:00:00Z"); /* 20 days */
    none(s, "ordering");
    rs_scn_advance(s, "2026-03-02T00:00:00Z"); /* 21 days: timer */
    f = must(s, "ORDERING_IRREGULAR", 25,
             "no new invoice for 21 days since 2026-02-09, while the "
             "customer ordered steadily about every 7.0 days (flagged from "
             "21 days, 300% of the usual gap)");
    assert_true(f.reason.value == 21.0);
    assert_true(f.reason.baseline == 7.0);
    assert_true(f.reason.threshold == 21.0);
    assert_false(f.reason.has_window_days);
    assert_string_equal(f.actions[0], "STAY_IN_CONTACT");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    order(s, "W6", 200000, "2026-03-03");
    none(s, "ordering");
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* Erratic gaps are no steady rhythm: a long silence is not irregular. */
static void test_det_orders_ordering_no_rhythm_no_irregular(void **state)
{
    static const char *const days[] = {"2026-01-05", "2026-01-07",
                                       "2026-01-25", "2026-01-28",
                                       "2026-02-20", "2026-02-22"};
    struct rs_scn *s = rs_scn_new(NULL);
    char id[16];

    (void)state;
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        snprintf(id, sizeof(id), "E%zu", i);
        order(s, id, 200000, days[i]);
    }
    rs_scn_advance(s, "2026-03-30T00:00:00Z");
    assert_false(rs_scn_finding(s, "C1", "ORDERING_IRREGULAR",
                                &(struct rs_finding){0}));
    rs_scn_destroy(s);
}

/* Parameters come from the configuration. */
static void test_det_orders_params(void **state)
{
    struct rs_scn *s = rs_scn_new("detector.exposure.near.pct = 80\n"
                                  "detector.ordering.drop.pct = 20");

    (void)state;
    bureau_limit(s, "C1", "2026-03-01T09:00:00Z", "GRANTED", 1000000, "EUR");
    invoice(s, "C1", "I1", 420000, "2026-03-02", "2026-05-01");
    invoice(s, "C1", "I2", 420000, "2026-03-02", "2026-05-01");
    must(s, "EXPOSURE_NEAR_LIMIT", 30, "84% of the credit limit");
    rs_scn_destroy(s);

    s = rs_scn_new("detector.ordering.drop.pct = 20");
    baseline(s);
    order(s, "D1", 300000, "2026-05-20");
    rs_scn_advance(s, "2026-06-06T00:00:00Z");
    none(s, "ordering"); /* 30 % is not below 20 % */
    rs_scn_destroy(s);
}

/* The slots travel with the customer's packed state. */
static void test_det_orders_state_survives_packing(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_customer *c;
    struct rs_customer copy;
    struct rs_buf buf;
    char errstr[256];

    (void)state;
    bureau_limit(s, "C1", "2025-12-01T09:00:00Z", "GRANTED", 5000000, "EUR");
    bureau_limit(s, "C1", "2025-12-02T09:00:00Z", "REDUCED", 3000000, "EUR");
    baseline(s);
    order(s, "P1", 700000, "2026-05-01");
    order(s, "P2", 300000, "2026-05-09");
    c = rs_scn_customer(s, "C1");
    assert_non_null(c);
    assert_int_not_equal(rs_customer_dstate(c, 22)->v[7], 0); /* a rhythm is kept */
    rs_buf_init(&buf, 0);
    rs_customer_pack(c, &buf);
    rs_customer_init(&copy, "C1");
    assert_int_equal(rs_customer_unpack(&copy, buf.data, buf.len, errstr,
                                        sizeof(errstr)),
                     0);
    for (int d = 21; d <= 22; d++)
        assert_memory_equal(rs_customer_dstate(&copy, d),
                            rs_customer_dstate(c, d), sizeof(struct rs_dstate));
    rs_customer_release(&copy);
    rs_buf_release(&buf);
    rs_scn_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_orders_exposure_near_and_over_limit),
        cmocka_unit_test(
            test_det_orders_exposure_quiet_without_limit_or_within),
        cmocka_unit_test(test_det_orders_exposure_large_first_invoice),
        cmocka_unit_test(test_det_orders_exposure_large_must_be_unusual),
        cmocka_unit_test(
            test_det_orders_exposure_partial_payment_and_credit_note),
        cmocka_unit_test(
            test_det_orders_exposure_limit_decisions_out_of_order),
        cmocka_unit_test(test_det_orders_ordering_drop_by_timer),
        cmocka_unit_test(
            test_det_orders_ordering_empty_period_and_late_invoice),
        cmocka_unit_test(test_det_orders_ordering_credit_note_makes_a_drop),
        cmocka_unit_test(test_det_orders_ordering_spike_in_current_period),
        cmocka_unit_test(test_det_orders_ordering_stop_fades),
        cmocka_unit_test(test_det_orders_ordering_quiet_normal_and_warmup),
        cmocka_unit_test(
            test_det_orders_ordering_irregular_after_steady_rhythm),
        cmocka_unit_test(test_det_orders_ordering_no_rhythm_no_irregular),
        cmocka_unit_test(test_det_orders_params),
        cmocka_unit_test(test_det_orders_state_survives_packing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
