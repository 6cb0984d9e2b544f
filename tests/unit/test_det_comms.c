/* The communication detectors (extensions, excuses, promises, disputes,
 * silence, dunning, terms_pressure) as scenarios through the decoder and
 * the engine: each one triggering with its numbers, staying quiet on
 * normal behaviour, and the edge cases that apply (first event ever,
 * events out of order within the allowed lateness, partial payments,
 * credit notes, a customer that improves). */
#include "support.h"

#include <string.h>

#include "scenario.h"

/* A communication event: `at` is an ISO instant, `more` extra fields. */
static int comm(struct rs_scn *s, const char *cust, const char *id,
                const char *at, const char *type, const char *more)
{
    char f[512];

    snprintf(f, sizeof(f),
             "event_id=%s event_time=%s customer_id=%s type=%s%s%s", id, at,
             cust, type, more ? " " : "", more ? more : "");
    return rs_scn_event(s, RS_EVENT_COMM, f);
}

static void invoice(struct rs_scn *s, const char *cust, const char *id,
                    long amount, const char *issue, const char *due,
                    int terms)
{
    char f[512];

    snprintf(f, sizeof(f),
             "event_id=ev-%s event_time=%sT09:00:00Z customer_id=%s "
             "type=ISSUED invoice_id=%s amount=%ld currency=EUR "
             "issue_date=%s due_date=%s payment_terms_days=%d",
             id, issue, cust, id, amount, issue, due, terms);
    rs_scn_event(s, RS_EVENT_INVOICE, f);
}

/* A payment at `at` (ISO instant) dated `date`; invoice_id may be NULL. */
static void payment(struct rs_scn *s, const char *cust, const char *id,
                    const char *type, long amount, const char *at,
                    const char *date, const char *invoice_id)
{
    char f[512];

    snprintf(f, sizeof(f),
             "event_id=%s event_time=%s customer_id=%s type=%s "
             "payment_id=P-%s amount=%ld currency=EUR payment_date=%s%s%s",
             id, at, cust, type, id, amount, date,
             invoice_id ? " invoice_id=" : "", invoice_id ? invoice_id : "");
    rs_scn_event(s, RS_EVENT_PAYMENT, f);
}

static void expect_message(const struct rs_finding *f, const char *part)
{
    if (!strstr(f->reason.message, part))
        fail_msg("message '%s' lacks '%s'", f->reason.message, part);
}

static int has(struct rs_scn *s, const char *cust, const char *code)
{
    struct rs_finding f;

    return rs_scn_finding(s, cust, code, &f);
}

/* extensions */

static void test_det_comms_extensions_repeated_then_fade(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    /* The first event ever of this customer: one request is normal. */
    comm(s, "C1", "x1", "2026-02-01T09:00:00Z", "EXTENSION_REQUEST",
         "invoice_id=I1 requested_days=14");
    assert_false(has(s, "C1", "EXTENSION_REQUESTS_REPEATED"));
    comm(s, "C1", "x2", "2026-03-01T09:00:00Z", "EXTENSION_REQUEST",
         "invoice_id=I2 requested_days=30");
    assert_true(rs_scn_finding(s, "C1", "EXTENSION_REQUESTS_REPEATED", &f));
    assert_int_equal(f.score, 30);
    assert_int_equal((int)f.reason.value, 2);
    assert_int_equal((int)f.reason.threshold, 2);
    assert_true(f.reason.has_window_days);
    assert_int_equal(f.reason.window_days, 90);
    assert_int_equal(f.reason.evidence_count, 0);
    expect_message(&f, "2 requests to extend or defer payment in the last "
                       "90 days (flagged from 2, frequent from 4)");
    expect_message(&f, "2 asked 14 to 30 extra days, 44 in total");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* Two more, one without days: frequent, and 74 days > long.days. */
    comm(s, "C1", "x3", "2026-03-10T09:00:00Z", "EXTENSION_REQUEST",
         "requested_days=30");
    comm(s, "C1", "x4", "2026-03-20T09:00:00Z", "EXTENSION_REQUEST", NULL);
    assert_true(rs_scn_finding(s, "C1", "EXTENSION_REQUESTS_FREQUENT", &f));
    assert_int_equal(f.score, 60);
    assert_int_equal((int)f.reason.value, 4);
    expect_message(&f, "3 asked 14 to 30 extra days, 74 in total, beyond "
                       "the usual maximum extension");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_HIGH);
    /* The customer improves: the timer drops x1 out of the window (3
     * left, 60 days asked: still over long.days), then x2. */
    rs_scn_advance(s, "2026-05-02T09:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "EXTENSION_REQUESTS_REPEATED", &f));
    assert_int_equal((int)f.reason.value, 3);
    assert_int_equal(f.score, 40);
    rs_scn_advance(s, "2026-05-30T09:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "EXTENSION_REQUESTS_REPEATED", &f));
    assert_int_equal(f.score, 30);
    rs_scn_advance(s, "2026-06-08T09:00:00Z");
    assert_false(has(s, "C1", "EXTENSION_REQUESTS_REPEATED"));
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    assert_true(a->level_before > a->level_after);
    rs_scn_destroy(s);
}

static void test_det_comms_extensions_quiet_and_out_of_order(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    /* Two requests 100 days apart: never two in one window. */
    comm(s, "C1", "x1", "2026-01-01T09:00:00Z", "EXTENSION_REQUEST",
         "requested_days=10");
    comm(s, "C1", "x2", "2026-04-11T09:00:00Z", "EXTENSION_REQUEST",
         "requested_days=10");
    assert_false(has(s, "C1", "EXTENSION_REQUESTS_REPEATED"));
    /* An earlier one arriving 5 days late still counts; its duplicate
     * does not count twice. */
    assert_int_equal(comm(s, "C1", "x3", "2026-04-06T09:00:00Z",
                          "EXTENSION_REQUEST", "requested_days=20"),
                     0);
    assert_int_equal(comm(s, "C1", "x3", "2026-04-06T09:00:00Z",
                          "EXTENSION_REQUEST", "requested_days=20"),
                     0);
    assert_true(rs_scn_finding(s, "C1", "EXTENSION_REQUESTS_REPEATED", &f));
    assert_int_equal((int)f.reason.value, 2);
    expect_message(&f, "2 asked 10 to 20 extra days, 30 in total");
    rs_scn_destroy(s);
}

/* excuses */

static void test_det_comms_excuses_by_category(void **state)
{
    static const struct {
        const char *at, *category;
        const char *code; /* expected after this excuse; NULL: none */
        int score;
        const char *part;
    } steps[] = {
        {"2026-02-01T09:00:00Z", "FORGOT", NULL, 0, NULL},
        {"2026-02-15T09:00:00Z", "INVOICE_LOST", NULL, 0, NULL},
        {"2026-03-01T09:00:00Z", "INVOICE_LOST", "EXCUSES_REPEATED", 30,
         "3 excuses for not paying in the last 90 days (invoice lost 2, "
         "forgot 1); weighted 3 with cash problems counting 2 (flagged from "
         "3)"},
        {"2026-03-10T09:00:00Z", "CASH_PROBLEMS", "EXCUSES_CASH_PROBLEMS", 30,
         "(cash problems 1, invoice lost 2, forgot 1); weighted 5"},
        {"2026-03-12T09:00:00Z", NULL, "EXCUSES_CASH_PROBLEMS", 50,
         "(cash problems 1, invoice lost 2, forgot 1, other 1); weighted 6"},
    };
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        char id[16], more[64];
        struct rs_finding f;

        snprintf(id, sizeof(id), "e%zu", i);
        snprintf(more, sizeof(more), "excuse_category=%s",
                 steps[i].category ? steps[i].category : "");
        comm(s, "C1", id, steps[i].at, "EXCUSE",
             steps[i].category ? more : NULL);
        if (!steps[i].code) {
            assert_false(has(s, "C1", "EXCUSES_REPEATED"));
            continue;
        }
        assert_true(rs_scn_finding(s, "C1", steps[i].code, &f));
        assert_int_equal(f.score, steps[i].score);
        assert_int_equal(f.reason.window_days, 90);
        expect_message(&f, steps[i].part);
        if (strcmp(steps[i].code, "EXCUSES_CASH_PROBLEMS") == 0)
            assert_string_equal(f.actions[2], "CHECK_CREDITWORTHINESS");
    }
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_HIGH);
    /* Improves: the excuses age out of the window one by one. */
    rs_scn_advance(s, "2026-06-12T09:00:00Z");
    assert_false(has(s, "C1", "EXCUSES_CASH_PROBLEMS"));
    assert_int_equal(rs_scn_last_alert(s, "C1")->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_comms_excuses_quiet(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    /* One cash problem (weight 2) and a forgotten invoice 100 days
     * later: never 3 in a window. */
    comm(s, "C1", "e1", "2026-01-01T09:00:00Z", "EXCUSE",
         "excuse_category=CASH_PROBLEMS");
    assert_false(has(s, "C1", "EXCUSES_CASH_PROBLEMS"));
    comm(s, "C1", "e2", "2026-04-11T09:00:00Z", "EXCUSE",
         "excuse_category=FORGOT");
    assert_false(has(s, "C1", "EXCUSES_REPEATED"));
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* promises */

static void test_det_comms_promise_broken_partial_then_paid(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    invoice(s, "C1", "I1", 150000, "2026-02-01", "2026-04-30", 88);
    comm(s, "C1", "pr1", "2026-02-20T09:00:00Z", "PROMISE_TO_PAY",
         "invoice_id=I1 promised_date=2026-02-28 promised_amount=150000 "
         "currency=EUR");
    payment(s, "C1", "pay1", "PARTIAL", 50000, "2026-02-25T10:00:00Z",
            "2026-02-25", "I1");
    /* Promised 28 Feb, grace 3 days: on time until the end of 3 March. */
    rs_scn_advance(s, "2026-03-03T23:00:00Z");
    assert_false(has(s, "C1", "PROMISE_BROKEN"));
    rs_scn_advance(s, "2026-03-04T00:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "PROMISE_BROKEN", &f));
    assert_int_equal(f.score, 45);
    assert_int_equal((int)f.reason.value, 4);
    assert_int_equal((int)f.reason.threshold, 3);
    assert_int_equal(f.reason.evidence_count, 1);
    assert_string_equal(f.reason.evidence[0], "ev-I1");
    expect_message(&f, "promise to pay 1,500.00 EUR on invoice I1 by "
                       "2026-02-28 broken: 500.00 EUR paid since, 1,000.00 "
                       "EUR missing 4 days after the date (grace 3 days)");
    expect_message(&f, "reliability 30/100 from 1 promises: 0 kept, 0 paid "
                       "late, 1 broken, 0 renegotiated");
    /* The rest arrives late: a late-kept promise, the finding goes; one
     * resolved promise is too few for the reliability finding. */
    payment(s, "C1", "pay2", "PARTIAL", 100000, "2026-03-06T10:00:00Z",
            "2026-03-06", "I1");
    assert_false(has(s, "C1", "PROMISE_BROKEN"));
    assert_false(has(s, "C1", "PROMISES_UNRELIABLE"));
    rs_scn_destroy(s);
}

static void test_det_comms_promise_kept_and_credit_note(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    /* C1 keeps its promise: paid in full before the date (an unallocated
     * payment). C2's promised invoice is credited away: the promise is
     * moot. C3's promise names no date: nothing can be broken. */
    invoice(s, "C1", "I1", 100000, "2026-02-01", "2026-04-30", 88);
    invoice(s, "C2", "I2", 100000, "2026-02-01", "2026-04-30", 88);
    assert_int_equal(comm(s, "C1", "pr1", "2026-02-20T09:00:00Z",
                          "PROMISE_TO_PAY",
                          "invoice_id=I1 promised_date=2026-02-28"),
                     0);
    assert_int_equal(comm(s, "C2", "pr2", "2026-02-20T09:00:00Z",
                          "PROMISE_TO_PAY",
                          "invoice_id=I2 promised_date=2026-02-28"),
                     0);
    assert_int_equal(
        comm(s, "C3", "pr3", "2026-02-20T09:00:00Z", "PROMISE_TO_PAY", NULL),
        0);
    payment(s, "C1", "pay1", "FULL", 100000, "2026-02-27T10:00:00Z",
            "2026-02-27", NULL);
    rs_scn_event(s, RS_EVENT_INVOICE,
                 "event_id=cn2 event_time=2026-02-27T11:00:00Z "
                 "customer_id=C2 type=CREDITED invoice_id=CN2 amount=100000 "
                 "currency=EUR issue_date=2026-02-27 due_date=2026-02-27 "
                 "payment_terms_days=0 credited_invoice_id=I2");
    rs_scn_advance(s, "2026-03-20T00:00:00Z");
    assert_false(has(s, "C1", "PROMISE_BROKEN"));
    assert_false(has(s, "C2", "PROMISE_BROKEN"));
    assert_false(has(s, "C3", "PROMISE_BROKEN"));
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_comms_promise_out_of_order(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;

    (void)state;
    /* The timer has flagged the promise when a payment dated before the
     * deadline arrives: kept on time after all, the level goes down. */
    invoice(s, "C1", "I1", 80000, "2026-02-01", "2026-04-30", 88);
    comm(s, "C1", "pr1", "2026-02-20T09:00:00Z", "PROMISE_TO_PAY",
         "promised_date=2026-02-28 promised_amount=80000 currency=EUR");
    rs_scn_advance(s, "2026-03-04T00:00:00Z");
    assert_true(has(s, "C1", "PROMISE_BROKEN"));
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    payment(s, "C1", "pay1", "FULL", 80000, "2026-03-01T10:00:00Z",
            "2026-03-01", "I1");
    assert_false(has(s, "C1", "PROMISE_BROKEN"));
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_MEDIUM);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    /* The promise arrives an hour after the payment it announced, which
     * was dated the same day: it counts, nothing breaks. */
    invoice(s, "C2", "I2", 50000, "2026-03-02", "2026-04-30", 59);
    payment(s, "C2", "pay2", "FULL", 50000, "2026-03-04T10:00:00Z",
            "2026-03-04", "I2");
    assert_int_equal(comm(s, "C2", "pr2", "2026-03-04T09:00:00Z",
                          "PROMISE_TO_PAY",
                          "promised_date=2026-03-06 promised_amount=50000 "
                          "currency=EUR"),
                     0);
    rs_scn_advance(s, "2026-03-20T00:00:00Z");
    assert_false(has(s, "C2", "PROMISE_BROKEN"));
    rs_scn_destroy(s);
}

static void test_det_comms_promise_broken_twice_unreliable(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    invoice(s, "C1", "I1", 200000, "2026-02-01", "2026-06-30", 149);
    comm(s, "C1", "pr1", "2026-02-10T09:00:00Z", "PROMISE_TO_PAY",
         "promised_date=2026-02-15 promised_amount=200000 currency=EUR");
    rs_scn_advance(s, "2026-02-19T00:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "PROMISE_BROKEN", &f));
    assert_int_equal(f.score, 45);
    assert_int_equal(f.reason.evidence_count, 0); /* account-wide promise */
    /* A new promise after the deadline: the first counts as broken. */
    comm(s, "C1", "pr2", "2026-02-20T09:00:00Z", "PROMISE_TO_PAY",
         "promised_date=2026-03-01 promised_amount=200000 currency=EUR");
    assert_false(has(s, "C1", "PROMISE_BROKEN"));
    rs_scn_advance(s, "2026-03-05T00:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "PROMISE_BROKEN", &f));
    assert_int_equal(f.score, 60);
    expect_message(&f, "the second within the window");
    expect_message(&f, "reliability 30/100 from 2 promises: 0 kept, 0 paid "
                       "late, 2 broken");
    assert_string_equal(f.actions[2], "STRICT_DUNNING");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_HIGH);
    /* Paid late in full: 1 broken, 1 late of 2 -> 100 - (50 + 40) / 2. */
    payment(s, "C1", "pay1", "FULL", 200000, "2026-03-10T10:00:00Z",
            "2026-03-10", NULL);
    assert_false(has(s, "C1", "PROMISE_BROKEN"));
    assert_true(rs_scn_finding(s, "C1", "PROMISES_UNRELIABLE", &f));
    assert_int_equal(f.score, 35);
    assert_int_equal((int)f.reason.value, 55);
    assert_int_equal((int)f.reason.threshold, 70);
    assert_int_equal(f.reason.window_days, 90);
    expect_message(&f, "promises to pay are unreliable: reliability 55/100 "
                       "from 2 promises: 0 kept, 1 paid late, 1 broken, 0 "
                       "renegotiated (flagged below 70), the last broken");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* 90 days after the last broken deadline it fades. */
    rs_scn_advance(s, "2026-06-03T00:00:00Z");
    assert_false(has(s, "C1", "PROMISES_UNRELIABLE"));
    assert_int_equal(rs_scn_last_alert(s, "C1")->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* disputes */

static void test_det_comms_dispute_open_long_then_resolved(void **state)
{
    static const struct {
        const char *at, *code;
        int score;
    } steps[] = {
        {"2026-03-08T08:00:00Z", NULL, 0},
        {"2026-03-08T09:00:00Z", "DISPUTE_OPEN_LONG", 30},
        {"2026-04-07T09:00:00Z", "DISPUTE_OPEN_VERY_LONG", 45},
    };
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    invoice(s, "C1", "I1", 120000, "2026-02-01", "2026-09-30", 241);
    comm(s, "C1", "d1", "2026-02-06T09:00:00Z", "DISPUTE_OPENED",
         "invoice_id=I1 dispute_id=D1");
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        rs_scn_advance(s, steps[i].at);
        if (!steps[i].code) {
            assert_false(has(s, "C1", "DISPUTE_OPEN_LONG"));
            continue;
        }
        assert_true(rs_scn_finding(s, "C1", steps[i].code, &f));
        assert_int_equal(f.score, steps[i].score);
        assert_int_equal((int)f.reason.threshold, 30);
        assert_string_equal(f.reason.evidence[0], "ev-I1");
        assert_string_equal(f.actions[0], "RESOLVE_DISPUTE");
    }
    expect_message(&f, "a dispute has been open for 60 days without "
                       "resolution (flagged from 30 days); 1,200.00 EUR of "
                       "invoices is held back by disputes");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* Resolved: the customer improves. */
    comm(s, "C1", "d2", "2026-04-08T09:00:00Z", "DISPUTE_RESOLVED",
         "invoice_id=I1 dispute_id=D1 resolution=credit_note_issued");
    assert_false(has(s, "C1", "DISPUTE_OPEN_VERY_LONG"));
    assert_int_equal(rs_scn_last_alert(s, "C1")->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_comms_dispute_reopened(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    comm(s, "C1", "d1", "2026-02-06T09:00:00Z", "DISPUTE_OPENED",
         "dispute_id=D1");
    comm(s, "C1", "d2", "2026-02-10T09:00:00Z", "DISPUTE_RESOLVED",
         "dispute_id=D1");
    assert_false(has(s, "C1", "DISPUTE_REOPENED"));
    comm(s, "C1", "d3", "2026-03-01T09:00:00Z", "DISPUTE_OPENED",
         "dispute_id=D1");
    assert_true(rs_scn_finding(s, "C1", "DISPUTE_REOPENED", &f));
    assert_int_equal(f.score, 40);
    assert_int_equal((int)f.reason.value, 1);
    assert_int_equal(f.reason.window_days, 90);
    expect_message(&f, "1 dispute was reopened within 90 days of its "
                       "resolution (once), open again for 0 days");
    comm(s, "C1", "d4", "2026-03-05T09:00:00Z", "DISPUTE_RESOLVED",
         "dispute_id=D1");
    assert_false(has(s, "C1", "DISPUTE_REOPENED"));
    comm(s, "C1", "d5", "2026-03-09T09:00:00Z", "DISPUTE_OPENED",
         "dispute_id=D1");
    assert_true(rs_scn_finding(s, "C1", "DISPUTE_REOPENED", &f));
    assert_int_equal((int)f.reason.value, 2);
    expect_message(&f, "(twice)");
    rs_scn_destroy(s);
}

static void test_det_comms_dispute_quiet_and_out_of_order(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    /* Resolved in 10 days; another dispute on the same invoice 120 days
     * later is a new one, not a reopening. */
    comm(s, "C1", "d1", "2026-01-06T09:00:00Z", "DISPUTE_OPENED",
         "invoice_id=I9");
    comm(s, "C1", "d2", "2026-01-16T09:00:00Z", "DISPUTE_RESOLVED",
         "invoice_id=I9");
    rs_scn_advance(s, "2026-05-10T00:00:00Z");
    assert_false(has(s, "C1", "DISPUTE_OPEN_LONG"));
    comm(s, "C1", "d3", "2026-05-16T09:00:00Z", "DISPUTE_OPENED",
         "invoice_id=I9");
    assert_false(has(s, "C1", "DISPUTE_REOPENED"));
    /* Out of order: the resolution arrives before its opening (4 days
     * late, within the lateness): nothing stays open. */
    comm(s, "C2", "d4", "2026-05-20T09:00:00Z", "DISPUTE_RESOLVED",
         "dispute_id=X");
    assert_int_equal(comm(s, "C2", "d5", "2026-05-16T09:00:00Z",
                          "DISPUTE_OPENED", "dispute_id=X"),
                     0);
    rs_scn_advance(s, "2026-08-01T00:00:00Z");
    assert_false(has(s, "C2", "DISPUTE_OPEN_VERY_LONG"));
    assert_false(has(s, "C2", "DISPUTE_REOPENED"));
    assert_int_equal(rs_scn_level(s, "C2", NULL), RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* silence */

static void test_det_comms_silence_by_timer(void **state)
{
    /* The formal notice would also be a dunning escalation; keep that
     * detector out of this customer's level. */
    struct rs_scn *s = rs_scn_new("detector.dunning.min.level = 31");
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    /* The customer's first event ever is our reminder. */
    comm(s, "C1", "r1", "2026-02-01T09:00:00Z", "REMINDER", "dunning_level=1");
    comm(s, "C1", "c1", "2026-02-08T09:00:00Z", "CALL_ATTEMPT", NULL);
    rs_scn_advance(s, "2026-02-15T08:59:00Z");
    assert_false(has(s, "C1", "SILENCE_NO_RESPONSE"));
    rs_scn_advance(s, "2026-02-15T09:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "SILENCE_NO_RESPONSE", &f));
    assert_int_equal(f.score, 30);
    assert_int_equal((int)f.reason.value, 14);
    assert_int_equal((int)f.reason.threshold, 14);
    expect_message(&f, "no reply, answered call, promise or payment for 14 "
                       "days since the first of 2 unanswered contacts (1 "
                       "reminder, 1 call attempt; the last 7 days ago); "
                       "never heard from (flagged after 14 days)");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    comm(s, "C1", "n1", "2026-02-20T09:00:00Z", "FORMAL_NOTICE",
         "dunning_level=3");
    rs_scn_advance(s, "2026-03-03T09:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "SILENCE_UNREACHABLE", &f));
    assert_int_equal(f.score, 50);
    assert_int_equal((int)f.reason.value, 30);
    expect_message(&f, "3 unanswered contacts (1 reminder, 1 formal notice, "
                       "1 call attempt");
    /* A reply: the customer improves. */
    comm(s, "C1", "in1", "2026-03-04T09:00:00Z", "INBOUND_REPLY", NULL);
    assert_false(has(s, "C1", "SILENCE_UNREACHABLE"));
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_HIGH);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_comms_silence_answered(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    /* A reminder answered by a payment, a call answered at once. */
    comm(s, "C1", "r1", "2026-02-01T09:00:00Z", "REMINDER", "dunning_level=1");
    payment(s, "C1", "pay1", "FULL", 1000, "2026-02-05T10:00:00Z",
            "2026-02-05", NULL);
    comm(s, "C1", "c1", "2026-02-10T09:00:00Z", "CALL_ATTEMPT", NULL);
    comm(s, "C1", "c2", "2026-02-10T11:00:00Z", "CALL_ANSWERED", NULL);
    rs_scn_advance(s, "2026-04-01T00:00:00Z");
    assert_false(has(s, "C1", "SILENCE_NO_RESPONSE"));
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_comms_silence_out_of_order(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    comm(s, "C1", "r1", "2026-02-01T09:00:00Z", "REMINDER", NULL);
    comm(s, "C1", "r2", "2026-02-10T09:00:00Z", "REMINDER", NULL);
    /* A reply of 5 February arrives 5 days late: it answers r1, not r2;
     * a reminder of 3 February arriving later still was answered too. */
    assert_int_equal(comm(s, "C1", "in1", "2026-02-05T09:00:00Z",
                          "INBOUND_REPLY", NULL),
                     0);
    assert_int_equal(
        comm(s, "C1", "r0", "2026-02-03T09:00:00Z", "REMINDER", NULL), 0);
    rs_scn_advance(s, "2026-02-20T00:00:00Z");
    assert_false(has(s, "C1", "SILENCE_NO_RESPONSE"));
    rs_scn_advance(s, "2026-02-24T09:00:00Z");
    assert_true(rs_scn_finding(s, "C1", "SILENCE_NO_RESPONSE", &f));
    assert_int_equal((int)f.reason.value, 14);
    expect_message(&f, "the first of 1 unanswered contacts (1 reminder; the "
                       "last 14 days ago); last heard from 19 days ago");
    /* Beyond the allowed lateness (7 days) a reply is refused. */
    assert_int_equal(comm(s, "C1", "in2", "2026-02-12T09:00:00Z",
                          "INBOUND_REPLY", NULL),
                     1);
    assert_true(has(s, "C1", "SILENCE_NO_RESPONSE"));
    rs_scn_destroy(s);
}

/* dunning */

static void test_det_comms_dunning_escalation_then_fade(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    /* The customer's habit: a first reminder now and then, answered the
     * next day (so that silence stays out of this). */
    comm(s, "C1", "r1", "2025-06-05T09:00:00Z", "REMINDER", "dunning_level=1");
    comm(s, "C1", "a1", "2025-06-06T09:00:00Z", "INBOUND_REPLY", NULL);
    comm(s, "C1", "r2", "2025-09-05T09:00:00Z", "REMINDER", "dunning_level=1");
    comm(s, "C1", "a2", "2025-09-06T09:00:00Z", "INBOUND_REPLY", NULL);
    comm(s, "C1", "r3", "2026-01-05T09:00:00Z", "REMINDER", "dunning_level=1");
    comm(s, "C1", "a3", "2026-01-06T09:00:00Z", "INBOUND_REPLY", NULL);
    assert_false(has(s, "C1", "DUNNING_ESCALATION"));
    comm(s, "C1", "r4", "2026-01-20T09:00:00Z", "REMINDER", "dunning_level=2");
    comm(s, "C1", "a4", "2026-01-21T09:00:00Z", "INBOUND_REPLY", NULL);
    assert_true(rs_scn_finding(s, "C1", "DUNNING_ESCALATION", &f));
    assert_int_equal(f.score, 25);
    comm(s, "C1", "n1", "2026-02-04T09:00:00Z", "FORMAL_NOTICE",
         "dunning_level=3");
    comm(s, "C1", "a5", "2026-02-05T09:00:00Z", "INBOUND_REPLY", NULL);
    assert_true(rs_scn_finding(s, "C1", "DUNNING_FORMAL_NOTICE", &f));
    assert_int_equal(f.score, 40);
    assert_int_equal((int)f.reason.value, 3);
    assert_true(f.reason.has_baseline);
    assert_int_equal((int)f.reason.baseline, 1);
    assert_int_equal((int)f.reason.threshold, 2);
    assert_int_equal(f.reason.window_days, 60);
    expect_message(&f, "dunning reached formal-notice step 3 in the last 60 "
                       "days, above the customer's own history: reminder "
                       "step 1 in the 300 days before (flagged from step 2); "
                       "2 reminders and 1 formal notice in the window");
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* No more dunning: the notice leaves the window by timer. */
    rs_scn_advance(s, "2026-04-15T00:00:00Z");
    assert_false(has(s, "C1", "DUNNING_FORMAL_NOTICE"));
    assert_false(has(s, "C1", "DUNNING_ESCALATION"));
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_comms_dunning_habit_and_first_events(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    /* A customer that always reaches a formal notice: nothing new. */
    comm(s, "C1", "n1", "2025-08-05T09:00:00Z", "FORMAL_NOTICE",
         "dunning_level=3");
    comm(s, "C1", "n2", "2026-01-25T09:00:00Z", "FORMAL_NOTICE", NULL);
    assert_false(has(s, "C1", "DUNNING_FORMAL_NOTICE"));
    /* A first reminder as the first event ever: normal. */
    comm(s, "C2", "r1", "2026-01-26T09:00:00Z", "REMINDER", "dunning_level=1");
    assert_false(has(s, "C2", "DUNNING_ESCALATION"));
    /* A hand-over as the first event ever, then (4 days late, within the
     * lateness) the notice before it. */
    comm(s, "C3", "h1", "2026-01-30T09:00:00Z", "COLLECTIONS_HANDOVER", NULL);
    assert_true(rs_scn_finding(s, "C3", "DUNNING_HANDOVER", &f));
    assert_int_equal(f.score, 60);
    assert_int_equal((int)f.reason.value, 10);
    assert_int_equal((int)f.reason.baseline, 0);
    expect_message(&f, "dunning reached a collections hand-over (step 10)");
    expect_message(&f, "no dunning in the 300 days before");
    assert_string_equal(f.actions[0], "BLOCK_DELIVERIES");
    assert_int_equal(comm(s, "C3", "n3", "2026-01-26T09:00:00Z",
                          "FORMAL_NOTICE", "dunning_level=4"),
                     0);
    assert_true(rs_scn_finding(s, "C3", "DUNNING_HANDOVER", &f));
    expect_message(&f, "0 reminders and 1 formal notice in the window");
    rs_scn_destroy(s);
}

/* terms_pressure */

static void test_det_comms_terms_pressure(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    invoice(s, "C1", "I1", 100000, "2026-01-02", "2026-02-01", 30);
    payment(s, "C1", "pay1", "FULL", 100000, "2026-01-04T10:00:00Z",
            "2026-01-04", "I1");
    /* Asking for the terms it has is not pressure. */
    comm(s, "C1", "t0", "2026-01-05T09:00:00Z", "PAYMENT_TERMS_REQUEST",
         "requested_days=30");
    assert_false(has(s, "C1", "TERMS_LONGER_REQUESTED"));
    comm(s, "C1", "t1", "2026-01-10T09:00:00Z", "PAYMENT_TERMS_REQUEST",
         "requested_days=60");
    assert_true(rs_scn_finding(s, "C1", "TERMS_LONGER_REQUESTED", &f));
    assert_int_equal(f.score, 20);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    comm(s, "C1", "t2", "2026-02-10T09:00:00Z", "PAYMENT_TERMS_REQUEST",
         "requested_days=90");
    assert_true(rs_scn_finding(s, "C1", "TERMS_LONGER_REQUESTED", &f));
    assert_int_equal(f.score, 35);
    assert_int_equal((int)f.reason.value, 2);
    assert_int_equal(f.reason.window_days, 180);
    expect_message(&f, "asked for longer payment terms 2 times in the last "
                       "180 days, up to 90 days against 30 days on its "
                       "invoices (repeated from 2)");
    comm(s, "C1", "dr1", "2026-02-12T09:00:00Z", "DEPOSIT_REFUSED", NULL);
    assert_true(rs_scn_finding(s, "C1", "DEPOSIT_REFUSED", &f));
    assert_int_equal(f.score, 30);
    expect_message(&f, "refused a deposit or prepayment 1 time in the last "
                       "180 days");
    /* 35 + 30 / 4 = 42: MEDIUM. The requests age out by timer. */
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    rs_scn_advance(s, "2026-08-12T00:00:00Z");
    assert_false(has(s, "C1", "TERMS_LONGER_REQUESTED"));
    assert_false(has(s, "C1", "DEPOSIT_REFUSED"));
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

static void test_det_comms_terms_pressure_first_event(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct rs_finding f;

    (void)state;
    /* No invoice seen yet: the term it has is unknown. */
    comm(s, "C1", "t1", "2026-01-10T09:00:00Z", "PAYMENT_TERMS_REQUEST",
         "requested_days=45");
    assert_true(rs_scn_finding(s, "C1", "TERMS_LONGER_REQUESTED", &f));
    expect_message(&f, "1 time in the last 180 days, up to 45 days "
                       "(repeated from 2)");
    rs_scn_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_comms_extensions_repeated_then_fade),
        cmocka_unit_test(test_det_comms_extensions_quiet_and_out_of_order),
        cmocka_unit_test(test_det_comms_excuses_by_category),
        cmocka_unit_test(test_det_comms_excuses_quiet),
        cmocka_unit_test(test_det_comms_promise_broken_partial_then_paid),
        cmocka_unit_test(test_det_comms_promise_kept_and_credit_note),
        cmocka_unit_test(test_det_comms_promise_out_of_order),
        cmocka_unit_test(test_det_comms_promise_broken_twice_unreliable),
        cmocka_unit_test(test_det_comms_dispute_open_long_then_resolved),
        cmocka_unit_test(test_det_comms_dispute_reopened),
        cmocka_unit_test(test_det_comms_dispute_quiet_and_out_of_order),
        cmocka_unit_test(test_det_comms_silence_by_timer),
        cmocka_unit_test(test_det_comms_silence_answered),
        cmocka_unit_test(test_det_comms_silence_out_of_order),
        cmocka_unit_test(test_det_comms_dunning_escalation_then_fade),
        cmocka_unit_test(test_det_comms_dunning_habit_and_first_events),
        cmocka_unit_test(test_det_comms_terms_pressure),
        cmocka_unit_test(test_det_comms_terms_pressure_first_event),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
