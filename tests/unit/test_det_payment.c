/* The payment-behaviour detectors: late_trend (recent days beyond terms
 * against the customer's own baseline), pattern_shift (a change-point test
 * on days-to-pay against the customer's own habit) and partials (partial
 * payments and failed direct debits becoming frequent), as scenarios
 * through the decoder and the engine. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/avro_text.h"
#include "scenario.h"

/* The overdue detector off, for scenarios about the payment detectors'
 * own levels and timers. */
#define QUIET                                                                  \
    "detector.overdue.grace.days = 3650\n"                                     \
    "detector.overdue.severe.days = 3650\n"                                    \
    "detector.ordering.warmup.periods = 100\n"
/* Only late_trend / only pattern_shift of the payment detectors. */
#define LT_ONLY QUIET "detector.pattern_shift.warmup.invoices = 100\n"
#define PS_ONLY QUIET "detector.late_trend.min.history = 1000\n"

#define NEAR(a, b) assert_true((a) - (b) < 0.01 && (b) - (a) < 0.01)

/* --- Events by day number, sorted before they are sent --- */

struct qev {
    int32_t day;
    int hour;
    int seq;
    enum rs_event_kind kind;
    char fields[512];
};

struct q {
    struct qev v[128];
    int n;
    int ids; /* unique event and payment ids */
};

static void day_str(char *out, size_t size, int32_t z)
{
    /* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
    int32_t era, y;
    unsigned doe, yoe, doy, mp, d, m;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = (int32_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, size, "%04d-%02u-%02u", (int)y, m, d);
}

static int32_t day_of(const char *date)
{
    int32_t d;

    assert_int_equal(rs_avro_parse_date(date, &d), 0);
    return d;
}

static struct qev *q_add(struct q *q, int32_t day, int hour,
                         enum rs_event_kind kind)
{
    struct qev *e;

    assert_true(q->n < (int)(sizeof(q->v) / sizeof(q->v[0])));
    e = &q->v[q->n];
    e->day = day;
    e->hour = hour;
    e->seq = q->n++;
    e->kind = kind;
    return e;
}

static void q_invoice(struct q *q, const char *cust, const char *id,
                      long amount, int32_t issue, int32_t due)
{
    struct qev *e = q_add(q, issue, 9, RS_EVENT_INVOICE);
    char i[16], d[16];

    day_str(i, sizeof(i), issue);
    day_str(d, sizeof(d), due);
    snprintf(e->fields, sizeof(e->fields),
             "event_id=ev-%s event_time=%sT09:00:00Z customer_id=%s "
             "type=ISSUED invoice_id=%s amount=%ld currency=EUR "
             "issue_date=%s due_date=%s payment_terms_days=%d",
             id, i, cust, id, amount, i, d, (int)(due - issue));
}

static void q_credit(struct q *q, const char *cust, const char *invoice_id,
                     long amount, int32_t day)
{
    struct qev *e = q_add(q, day, 9, RS_EVENT_INVOICE);
    char t[16];

    day_str(t, sizeof(t), day);
    q->ids++;
    snprintf(e->fields, sizeof(e->fields),
             "event_id=cn%d event_time=%sT09:00:00Z customer_id=%s "
             "type=CREDITED invoice_id=CN%d amount=%ld currency=EUR "
             "issue_date=%s due_date=%s payment_terms_days=0 "
             "credited_invoice_id=%s",
             q->ids, t, cust, q->ids, amount, t, t, invoice_id);
}

/* type: FULL, PARTIAL or FAILED_DIRECT_DEBIT. */
static void q_pay(struct q *q, const char *cust, const char *invoice_id,
                  const char *type, long amount, int32_t day)
{
    struct qev *e = q_add(q, day, 10, RS_EVENT_PAYMENT);
    char t[16];

    day_str(t, sizeof(t), day);
    q->ids++;
    snprintf(e->fields, sizeof(e->fields),
             "event_id=pay%d event_time=%sT10:00:00Z customer_id=%s "
             "type=%s payment_id=P%d amount=%ld currency=EUR "
             "payment_date=%s invoice_id=%s method=DIRECT_DEBIT",
             q->ids, t, cust, type, q->ids, amount, t, invoice_id);
}

static void q_dispute(struct q *q, const char *cust, const char *invoice_id,
                      int32_t day)
{
    struct qev *e = q_add(q, day, 11, RS_EVENT_COMM);
    char t[16];

    day_str(t, sizeof(t), day);
    q->ids++;
    snprintf(e->fields, sizeof(e->fields),
             "event_id=com%d event_time=%sT11:00:00Z customer_id=%s "
             "type=DISPUTE_OPENED invoice_id=%s",
             q->ids, t, cust, invoice_id);
}

static int cmp_qev(const void *x, const void *y)
{
    const struct qev *a = x, *b = y;

    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    if (a->hour != b->hour)
        return a->hour - b->hour;
    return a->seq - b->seq;
}

/* Sends the queued events in time order and empties the queue. */
static void q_run(struct rs_scn *s, struct q *q)
{
    qsort(q->v, (size_t)q->n, sizeof(q->v[0]), cmp_qev);
    for (int i = 0; i < q->n; i++)
        assert_int_equal(rs_scn_event(s, q->v[i].kind, q->v[i].fields), 0);
    q->n = 0;
}

static void advance(struct rs_scn *s, int32_t day)
{
    char d[16], iso[32];

    day_str(d, sizeof(d), day);
    snprintf(iso, sizeof(iso), "%sT00:00:00Z", d);
    rs_scn_advance(s, iso);
}

/* Invoices I<first>..I<first+n-1> of 1,000.00 EUR, issued every 30 days
 * from day0, due 30 days after issue and paid `late` days after due
 * (negative: early). */
static void habit(struct q *q, const char *cust, int32_t day0, int first,
                  int n, int late)
{
    for (int i = first; i < first + n; i++) {
        char id[16];
        int32_t due = day0 + 30 * i + 30;

        snprintf(id, sizeof(id), "I%d", i);
        q_invoice(q, cust, id, 100000, day0 + 30 * i, due);
        q_pay(q, cust, id, "FULL", 100000, due + late);
    }
}

/* ===================== late_trend ===================== */

/* Five invoices paid 2 days late, then three paid `late` days late. */
static void test_det_payment_late_trend_table(void **state)
{
    static const struct {
        int late;
        const char *code; /* NULL: no late_trend finding */
        int score;
        int level;
    } rows[] = {
        {2, NULL, 0, RS_LEVEL_LOW},   /* as always */
        {8, NULL, 0, RS_LEVEL_LOW},   /* later, but within the margin */
        {25, "LATE_PAYMENT_TREND", 30, RS_LEVEL_MEDIUM},
        {40, "LATE_PAYMENT_TREND_STRONG", 45, RS_LEVEL_MEDIUM},
    };
    int32_t d0 = day_of("2025-06-01");

    (void)state;
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct rs_scn *s = rs_scn_new(LT_ONLY);
        struct q q = {0};
        struct rs_finding f;
        int found;

        habit(&q, "C1", d0, 0, 5, 2);
        habit(&q, "C1", d0, 5, 3, rows[r].late);
        q_run(s, &q);
        found = rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f) ||
                rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND_STRONG", &f);
        if (!rows[r].code) {
            assert_false(found);
        } else {
            assert_true(found);
            assert_string_equal(f.reason.code, rows[r].code);
            assert_string_equal(f.reason.detector, "late_trend");
            assert_int_equal(f.score, rows[r].score);
            NEAR(f.reason.value, (double)rows[r].late);
            assert_true(f.reason.has_baseline);
            NEAR(f.reason.baseline, 2.0);
            NEAR(f.reason.threshold, 12.0);
            assert_true(f.reason.has_window_days);
            assert_int_equal(f.reason.window_days, 90);
            assert_int_equal(f.reason.evidence_count, 0); /* all paid */
            assert_non_null(strstr(f.reason.message, "over the last 90 days "
                                                     "(3 invoices paid)"));
            assert_non_null(strstr(f.reason.message,
                                   "against 2.0 days before; flagged from "
                                   "12.0 days, strong from 32.0"));
            assert_string_equal(f.actions[0], "FOLLOW_UP_EARLIER");
        }
        assert_int_equal(rs_scn_level(s, "C1", NULL), rows[r].level);
        rs_scn_destroy(s);
    }
}

/* An unpaid overdue invoice counts with stream time as its payment date:
 * the finding comes by timer, with nothing more from the customer; a
 * dispute on that invoice takes it out again. */
static void test_det_payment_late_trend_unpaid_by_timer(void **state)
{
    struct rs_scn *s = rs_scn_new(LT_ONLY);
    struct q q = {0};
    int32_t d0 = day_of("2025-06-01");
    int32_t due7 = d0 + 240;
    const struct rs_alert *a;
    struct rs_finding f;
    int64_t at;
    char iso[40];

    (void)state;
    habit(&q, "C1", d0, 0, 7, 2);
    q_invoice(&q, "C1", "I7", 100000, d0 + 210, due7);
    q_run(s, &q);
    /* (2 + 2 + days)/3 >= 12 from 32 days past due (I5 leaves the window
     * the same day: (2 + 32)/2 = 17). */
    advance(s, due7 + 31);
    assert_false(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f));
    assert_int_equal(rs_scn_alert_count(s), 0);
    advance(s, due7 + 40);
    a = rs_scn_last_alert(s, "C1");
    assert_non_null(a);
    day_str(iso, sizeof(iso), due7 + 32);
    strcat(iso, "T00:00:00Z");
    assert_int_equal(rs_avro_parse_timestamp(iso, &at), 0);
    assert_int_equal(a->event_time, at);
    assert_int_equal(a->level_after, RS_LEVEL_MEDIUM);
    assert_string_equal(a->reasons[0].code, "LATE_PAYMENT_TREND");
    assert_string_equal(a->reasons[0].evidence[0], "ev-I7");
    assert_true(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f));
    NEAR(f.reason.value, 21.0); /* (2 + 40) / 2 */
    assert_non_null(strstr(f.reason.message, "(1 invoice paid and 1 unpaid "
                                             "past due (1,000.00 EUR"));
    /* Disputed amounts are left out. */
    q_dispute(&q, "C1", "I7", due7 + 41);
    q_run(s, &q);
    assert_false(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f));
    rs_scn_destroy(s);
}

/* The crossing can fall between two breakpoints (an invoice falling due,
 * a payment leaving the window): I4 and I5 (2 days, 1,000.00 EUR each) and
 * the unpaid I6 (2,000.00 EUR) average 12 days from 22 days past due, ten
 * days before I4 leaves the window; bisection finds that day. */
static void test_det_payment_late_trend_timer_between_breakpoints(
    void **state)
{
    struct rs_scn *s = rs_scn_new(LT_ONLY);
    struct q q = {0};
    int32_t d0 = day_of("2025-06-01");
    const struct rs_alert *a;
    int64_t at;
    char iso[40];

    (void)state;
    habit(&q, "C1", d0, 0, 6, 2);
    q_invoice(&q, "C1", "I6", 200000, d0 + 180, d0 + 210);
    q_run(s, &q);
    advance(s, d0 + 260);
    a = rs_scn_last_alert(s, "C1");
    assert_non_null(a);
    assert_int_equal(rs_scn_alert_count(s), 1);
    day_str(iso, sizeof(iso), d0 + 232);
    strcat(iso, "T00:00:00Z");
    assert_int_equal(rs_avro_parse_timestamp(iso, &at), 0);
    assert_int_equal(a->event_time, at);
    assert_string_equal(a->reasons[0].code, "LATE_PAYMENT_TREND");
    rs_scn_destroy(s);
}

/* A partial payment lowers the weight of the overdue invoice; a credit note
 * for the rest removes it. */
static void test_det_payment_late_trend_partial_credit_note(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct q q = {0};
    int32_t d0 = day_of("2025-06-01");
    struct rs_finding f;

    (void)state;
    habit(&q, "C1", d0, 0, 7, 2);
    q_invoice(&q, "C1", "I7", 100000, d0 + 210, d0 + 240);
    q_run(s, &q);
    advance(s, d0 + 300);
    /* I6 (2 days) and I7 (60 days), equal amounts. */
    assert_true(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f));
    NEAR(f.reason.value, 31.0);
    q_pay(&q, "C1", "I7", "PARTIAL", 50000, d0 + 300);
    q_run(s, &q);
    assert_true(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f));
    NEAR(f.reason.value, (2.0 * 1000 + 60.0 * 500) / 1500);
    assert_non_null(strstr(f.reason.message, "(500.00 EUR"));
    q_credit(&q, "C1", "I7", 50000, d0 + 301);
    q_run(s, &q);
    assert_false(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f));
    rs_scn_destroy(s);
}

/* No history, no baseline: no finding, whatever the first invoice does. */
static void test_det_payment_late_trend_first_invoice(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct q q = {0};
    int32_t d0 = day_of("2026-01-05");
    struct rs_finding f;

    (void)state;
    q_invoice(&q, "C1", "I1", 100000, d0, d0 + 30);
    q_pay(&q, "C1", "I1", "FULL", 100000, d0 + 70);
    q_invoice(&q, "C2", "J1", 100000, d0, d0 + 30);
    q_run(s, &q);
    advance(s, d0 + 200);
    assert_false(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f));
    assert_false(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND_STRONG", &f));
    assert_false(rs_scn_finding(s, "C2", "LATE_PAYMENT_TREND", &f));
    assert_false(rs_scn_finding(s, "C2", "LATE_PAYMENT_TREND_STRONG", &f));
    rs_scn_destroy(s);
}

/* Late again, then on time: the late invoices leave the window, the level
 * goes down with an alert. */
static void test_det_payment_late_trend_customer_improves(void **state)
{
    struct rs_scn *s = rs_scn_new(LT_ONLY);
    struct q q = {0};
    int32_t d0 = day_of("2025-06-01");
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    habit(&q, "C1", d0, 0, 5, 2);
    habit(&q, "C1", d0, 5, 3, 25);
    q_run(s, &q);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    habit(&q, "C1", d0, 8, 3, 0);
    q_run(s, &q);
    advance(s, d0 + 360);
    assert_false(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f));
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_MEDIUM);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* Payments arriving out of order within the allowed lateness give the same
 * finding as in order. */
static void test_det_payment_late_trend_out_of_order(void **state)
{
    int32_t d0 = day_of("2025-06-01");
    struct rs_finding f[2];

    (void)state;
    for (int swapped = 0; swapped < 2; swapped++) {
        struct rs_scn *s = rs_scn_new(NULL);
        struct q q = {0};

        habit(&q, "C1", d0, 0, 5, 2);
        q_invoice(&q, "C1", "R1", 100000, d0 + 170, d0 + 200);
        q_invoice(&q, "C1", "R2", 100000, d0 + 173, d0 + 203);
        q_invoice(&q, "C1", "R3", 100000, d0 + 176, d0 + 206);
        q_pay(&q, "C1", "R1", "FULL", 100000, d0 + 225);
        q_run(s, &q);
        /* R3's payment (day 231) before R2's (day 228): 3 days behind. */
        q_pay(&q, "C1", swapped ? "R3" : "R2", "FULL", 100000,
              d0 + (swapped ? 231 : 228));
        q_run(s, &q);
        q_pay(&q, "C1", swapped ? "R2" : "R3", "FULL", 100000,
              d0 + (swapped ? 228 : 231));
        q_run(s, &q);
        assert_int_equal(rs_scn_customer(s, "C1")->late_events, 0);
        assert_true(rs_scn_finding(s, "C1", "LATE_PAYMENT_TREND", &f[swapped]));
        rs_scn_destroy(s);
    }
    NEAR(f[0].reason.value, (2.0 + 3 * 25) / 4); /* I4 still in the window */
    NEAR(f[1].reason.value, f[0].reason.value);
    NEAR(f[1].reason.baseline, f[0].reason.baseline);
    assert_string_equal(f[1].reason.message, f[0].reason.message);
}

/* ===================== pattern_shift ===================== */

/* Six invoices paid 10 days early set the habit; then three paid d days
 * after due. */
static void test_det_payment_pattern_shift_table(void **state)
{
    static const struct {
        int d[3];
        int fires;
        int score;
        double value, threshold;
        const char *words;
    } rows[] = {
        {{0, 0, 0}, 1, 25, 0.0, -10.0 + 3 + 20.0 / 3,
         "the last 3 invoices were paid on the due date on average; this "
         "customer used to pay 10.0 days before the due date (flagged from "
         "0.3 days before the due date)"},
        {{5, 5, 5}, 1, 35, 5.0, -10.0 + 3 + 20.0 / 3,
         "were paid 5.0 days after the due date on average"},
        {{-9, -8, -11}, 0, 0, 0, 0, NULL}, /* the habit */
        {{-5, -5, -5}, 0, 0, 0, 0, NULL},  /* a little later: within slack */
    };
    int32_t d0 = day_of("2025-06-01");

    (void)state;
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct rs_scn *s = rs_scn_new(PS_ONLY);
        struct q q = {0};
        struct rs_finding f;

        habit(&q, "C1", d0, 0, 6, -10);
        for (int i = 0; i < 3; i++)
            habit(&q, "C1", d0, 6 + i, 1, rows[r].d[i]);
        q_run(s, &q);
        if (!rows[r].fires) {
            assert_false(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
            assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
        } else {
            assert_true(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
            assert_string_equal(f.reason.detector, "pattern_shift");
            assert_int_equal(f.score, rows[r].score);
            NEAR(f.reason.value, rows[r].value);
            assert_true(f.reason.has_baseline);
            NEAR(f.reason.baseline, -10.0);
            NEAR(f.reason.threshold, rows[r].threshold);
            assert_non_null(strstr(f.reason.message, rows[r].words));
            assert_string_equal(f.actions[0], "STAY_IN_CONTACT");
            assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
        }
        rs_scn_destroy(s);
    }
}

/* Back in the old pattern for return.invoices (2) invoices: the alarm ends
 * and the level goes down with an alert. */
static void test_det_payment_pattern_shift_customer_improves(void **state)
{
    struct rs_scn *s = rs_scn_new(PS_ONLY);
    struct q q = {0};
    int32_t d0 = day_of("2025-06-01");
    const struct rs_alert *a;
    struct rs_finding f;

    (void)state;
    habit(&q, "C1", d0, 0, 6, -10);
    habit(&q, "C1", d0, 6, 3, 0);
    q_run(s, &q);
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    habit(&q, "C1", d0, 9, 1, -10);
    q_run(s, &q);
    assert_true(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    habit(&q, "C1", d0, 10, 1, -10);
    q_run(s, &q);
    assert_false(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_MEDIUM);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* The later pattern persists for accept.invoices (6) invoices after the
 * alarm: it becomes the new habit, and the same pattern is quiet. */
static void test_det_payment_pattern_shift_new_habit(void **state)
{
    struct rs_scn *s = rs_scn_new(PS_ONLY);
    struct q q = {0};
    int32_t d0 = day_of("2025-06-01");
    struct rs_finding f;

    (void)state;
    habit(&q, "C1", d0, 0, 6, -10);
    habit(&q, "C1", d0, 6, 3, 0); /* alarm at the third */
    habit(&q, "C1", d0, 9, 5, 0);
    q_run(s, &q);
    assert_true(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    assert_non_null(strstr(f.reason.message, "the last 8 invoices"));
    habit(&q, "C1", d0, 14, 1, 0); /* the sixth after the alarm */
    q_run(s, &q);
    assert_false(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    assert_int_equal(rs_customer_dstate(rs_scn_customer(s, "C1"), 3)->v[1], 0); /* habit */
    habit(&q, "C1", d0, 15, 3, 1);
    q_run(s, &q);
    assert_false(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
    rs_scn_destroy(s);
}

/* A habitual early payer who stops paying: the open invoice counts as paid
 * today once it is later than the habit allows; a timer raises the alarm
 * at due + 13 ((13 + 10 - 3) = 20 days over habit + slack). */
static void test_det_payment_pattern_shift_unpaid_by_timer(void **state)
{
    struct rs_scn *s = rs_scn_new(PS_ONLY);
    struct q q = {0};
    int32_t d0 = day_of("2025-06-01");
    int32_t due = d0 + 210;
    const struct rs_alert *a;
    struct rs_finding f;
    int64_t at;
    char iso[40];

    (void)state;
    habit(&q, "C1", d0, 0, 6, -10);
    q_invoice(&q, "C1", "I6", 100000, d0 + 180, due);
    q_run(s, &q);
    advance(s, due + 12);
    assert_false(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    assert_int_equal(rs_scn_alert_count(s), 0);
    advance(s, due + 20);
    a = rs_scn_last_alert(s, "C1");
    assert_non_null(a);
    day_str(iso, sizeof(iso), due + 13);
    strcat(iso, "T00:00:00Z");
    assert_int_equal(rs_avro_parse_timestamp(iso, &at), 0);
    assert_int_equal(a->event_time, at);
    assert_string_equal(a->reasons[0].code, "PAYMENT_PATTERN_SHIFT");
    assert_int_equal(a->reasons[0].evidence_count, 1);
    assert_string_equal(a->reasons[0].evidence[0], "ev-I6");
    assert_true(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    assert_int_equal(f.score, 35);
    NEAR(f.reason.value, 20.0);
    assert_non_null(strstr(f.reason.message,
                           "the last 1 invoice (1 of them unpaid, counted "
                           "as paid today) was paid 20.0 days after the due "
                           "date on average"));
    rs_scn_destroy(s);
}

/* A partial payment counts when the invoice is settled, at the date of the
 * last payment; an invoice credited in full is never paid and adds no
 * sample. */
static void test_det_payment_pattern_shift_partial_credit_note(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct q q = {0};
    int32_t d0 = day_of("2025-06-01");
    struct rs_finding f;

    (void)state;
    habit(&q, "C1", d0, 0, 6, -10);
    /* A: half 10 days early, the rest 5 days late: d = 5, S = 12. */
    q_invoice(&q, "C1", "A", 100000, d0 + 180, d0 + 210);
    q_pay(&q, "C1", "A", "PARTIAL", 50000, d0 + 200);
    q_pay(&q, "C1", "A", "PARTIAL", 50000, d0 + 215);
    /* B: credited in full before it is due. */
    q_invoice(&q, "C1", "B", 100000, d0 + 216, d0 + 246);
    q_credit(&q, "C1", "B", 100000, d0 + 218);
    q_run(s, &q);
    advance(s, d0 + 300);
    assert_false(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    /* C: 5 days late again, S = 24. */
    q_invoice(&q, "C1", "C", 100000, d0 + 300, d0 + 330);
    q_pay(&q, "C1", "C", "FULL", 100000, d0 + 335);
    q_run(s, &q);
    assert_true(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    NEAR(f.reason.value, 5.0);
    assert_non_null(strstr(f.reason.message, "the last 2 invoices were"));
    rs_scn_destroy(s);
}

/* The first invoice ever (and the warm-up): no finding, however late. */
static void test_det_payment_pattern_shift_first_invoice(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct q q = {0};
    int32_t d0 = day_of("2026-01-05");
    struct rs_finding f;

    (void)state;
    habit(&q, "C1", d0, 0, 1, 45);
    q_invoice(&q, "C2", "J1", 100000, d0, d0 + 30);
    q_run(s, &q);
    advance(s, d0 + 200);
    assert_false(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    assert_false(rs_scn_finding(s, "C2", "PAYMENT_PATTERN_SHIFT", &f));
    habit(&q, "C1", d0, 7, 4, 45); /* warm-up ends: this is the habit */
    q_run(s, &q);
    assert_false(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT", &f));
    rs_scn_destroy(s);
}

/* Payments arriving out of order within the allowed lateness give the same
 * finding as in order. */
static void test_det_payment_pattern_shift_out_of_order(void **state)
{
    int32_t d0 = day_of("2025-06-01");
    struct rs_finding f[2];

    (void)state;
    for (int swapped = 0; swapped < 2; swapped++) {
        struct rs_scn *s = rs_scn_new(NULL);
        struct q q = {0};

        habit(&q, "C1", d0, 0, 6, -10);
        q_invoice(&q, "C1", "R1", 100000, d0 + 180, d0 + 210);
        q_invoice(&q, "C1", "R2", 100000, d0 + 182, d0 + 212);
        q_invoice(&q, "C1", "R3", 100000, d0 + 184, d0 + 214);
        q_pay(&q, "C1", "R1", "FULL", 100000, d0 + 210);
        q_run(s, &q);
        q_pay(&q, "C1", swapped ? "R3" : "R2", "FULL", 100000,
              d0 + (swapped ? 216 : 213));
        q_run(s, &q);
        q_pay(&q, "C1", swapped ? "R2" : "R3", "FULL", 100000,
              d0 + (swapped ? 213 : 216));
        q_run(s, &q);
        assert_true(rs_scn_finding(s, "C1", "PAYMENT_PATTERN_SHIFT",
                                   &f[swapped]));
        rs_scn_destroy(s);
    }
    NEAR(f[0].reason.value, 1.0); /* 0, 1, 2 days after due */
    NEAR(f[1].reason.value, f[0].reason.value);
    assert_string_equal(f[1].reason.message, f[0].reason.message);
}

/* ===================== partials ===================== */

/* A year of invoices paid in full; then, inside the window, what the row
 * says. */
static void test_det_payment_partials_table(void **state)
{
    static const struct {
        int partials, failed;
        const char *code; /* NULL: no partials finding */
        int score;
        double value;
        int window;
        const char *words;
    } rows[] = {
        {3, 0, "FREQUENT_PARTIAL_PAYMENTS", 30, 3, 90,
         "3 partial payments in the last 90 days (flagged from 3.0; usually "
         "0.0 partial payments per 90 days); 3 invoices paid in part still "
         "have 1,500.00 EUR open"},
        {0, 2, "FREQUENT_FAILED_DEBITS", 40, 2, 60,
         "2 direct debits failed in the last 60 days (flagged from 2.0; "
         "usually 0.0 failed direct debits per 60 days)"},
        {2, 0, NULL, 0, 0, 0, NULL},
        {0, 1, NULL, 0, 0, 0, NULL},
    };
    int32_t d0 = day_of("2025-01-10");

    (void)state;
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct rs_scn *s = rs_scn_new(NULL);
        struct q q = {0};
        struct rs_finding f;
        int32_t t = d0 + 400;

        habit(&q, "C1", d0, 0, 12, 0);
        for (int i = 0; i < rows[r].partials; i++) {
            char id[16];

            snprintf(id, sizeof(id), "P%d", i);
            q_invoice(&q, "C1", id, 100000, t + 20 * i, t + 20 * i + 60);
            q_pay(&q, "C1", id, "PARTIAL", 50000, t + 20 * i + 10);
        }
        for (int i = 0; i < rows[r].failed; i++)
            q_pay(&q, "C1", "I11", "FAILED_DIRECT_DEBIT", 100000,
                  t + 20 * i + 11);
        q_run(s, &q);
        if (!rows[r].code) {
            assert_false(
                rs_scn_finding(s, "C1", "FREQUENT_PARTIAL_PAYMENTS", &f));
            assert_false(rs_scn_finding(s, "C1", "FREQUENT_FAILED_DEBITS", &f));
            assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_LOW);
        } else {
            assert_true(rs_scn_finding(s, "C1", rows[r].code, &f));
            assert_string_equal(f.reason.detector, "partials");
            assert_int_equal(f.score, rows[r].score);
            NEAR(f.reason.value, rows[r].value);
            assert_true(f.reason.has_baseline);
            NEAR(f.reason.baseline, 0.0);
            NEAR(f.reason.threshold, rows[r].value);
            assert_int_equal(f.reason.window_days, rows[r].window);
            assert_string_equal(f.reason.message, rows[r].words);
            assert_string_equal(f.actions[2], "PAYMENT_LINK");
            assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
        }
        if (rows[r].code && rows[r].partials) {
            assert_int_equal(f.reason.evidence_count, 3);
            assert_string_equal(f.reason.evidence[0], "ev-P0");
        }
        rs_scn_destroy(s);
    }
}

/* A customer that has always paid every invoice in two parts (three
 * partial payments every 90 days) is not flagged for doing so again. */
static void test_det_payment_partials_own_rate(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct q q = {0};
    int32_t d0 = day_of("2025-01-10");
    struct rs_finding f;

    (void)state;
    for (int i = 0; i < 15; i++) {
        char id[16];
        int32_t issue = d0 + 30 * i;

        snprintf(id, sizeof(id), "I%d", i);
        q_invoice(&q, "C1", id, 100000, issue, issue + 30);
        q_pay(&q, "C1", id, "PARTIAL", 50000, issue + 10);
        q_pay(&q, "C1", id, "FULL", 50000, issue + 29);
    }
    q_run(s, &q);
    assert_false(rs_scn_finding(s, "C1", "FREQUENT_PARTIAL_PAYMENTS", &f));
    rs_scn_destroy(s);
}

/* A new customer: the first partial payment or failed debit is no finding;
 * three partial payments in its first window are judged on the count
 * alone. */
static void test_det_payment_partials_first_invoice(void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct q q = {0};
    int32_t d0 = day_of("2026-01-05");
    struct rs_finding f;

    (void)state;
    q_invoice(&q, "C1", "I1", 100000, d0, d0 + 30);
    q_pay(&q, "C1", "I1", "PARTIAL", 20000, d0 + 1);
    q_pay(&q, "C2", "J1", "FAILED_DIRECT_DEBIT", 20000, d0 + 1);
    q_run(s, &q);
    assert_false(rs_scn_finding(s, "C1", "FREQUENT_PARTIAL_PAYMENTS", &f));
    assert_false(rs_scn_finding(s, "C2", "FREQUENT_FAILED_DEBITS", &f));
    q_pay(&q, "C1", "I1", "PARTIAL", 20000, d0 + 5);
    q_pay(&q, "C1", "I1", "PARTIAL", 20000, d0 + 9);
    q_run(s, &q);
    assert_true(rs_scn_finding(s, "C1", "FREQUENT_PARTIAL_PAYMENTS", &f));
    assert_false(f.reason.has_baseline);
    assert_non_null(strstr(f.reason.message,
                           "no earlier history to compare with"));
    assert_string_equal(f.reason.evidence[0], "ev-I1");
    rs_scn_destroy(s);
}

/* The partial payments leave the window: a timer takes the finding away
 * and the level goes down with an alert. */
static void test_det_payment_partials_customer_improves(void **state)
{
    struct rs_scn *s = rs_scn_new(QUIET);
    struct q q = {0};
    int32_t d0 = day_of("2025-01-10");
    int32_t t = d0 + 400;
    const struct rs_alert *a;
    struct rs_finding f;
    int64_t at;
    char iso[40];

    (void)state;
    habit(&q, "C1", d0, 0, 12, 0);
    for (int i = 0; i < 3; i++) {
        char id[16];

        snprintf(id, sizeof(id), "P%d", i);
        q_invoice(&q, "C1", id, 100000, t + 20 * i, t + 20 * i + 60);
        q_pay(&q, "C1", id, "PARTIAL", 50000, t + 20 * i + 10);
        if (i < 2)
            q_pay(&q, "C1", id, "FULL", 50000, t + 20 * i + 59);
    }
    q_run(s, &q);
    assert_true(rs_scn_finding(s, "C1", "FREQUENT_PARTIAL_PAYMENTS", &f));
    assert_int_equal(f.reason.evidence_count, 1); /* only P2 still open */
    assert_int_equal(rs_scn_level(s, "C1", NULL), RS_LEVEL_MEDIUM);
    /* The first one (day t + 10) leaves the 90-day window at t + 100. */
    advance(s, t + 120);
    assert_false(rs_scn_finding(s, "C1", "FREQUENT_PARTIAL_PAYMENTS", &f));
    a = rs_scn_last_alert(s, "C1");
    assert_int_equal(a->level_before, RS_LEVEL_MEDIUM);
    assert_int_equal(a->level_after, RS_LEVEL_LOW);
    day_str(iso, sizeof(iso), t + 100);
    strcat(iso, "T00:00:00Z");
    assert_int_equal(rs_avro_parse_timestamp(iso, &at), 0);
    assert_int_equal(a->event_time, at);
    rs_scn_destroy(s);
}

/* Failed debits arriving out of order within the allowed lateness count
 * where they belong; credit notes do not count as partial payments. */
static void test_det_payment_partials_out_of_order_credit_note(
    void **state)
{
    struct rs_scn *s = rs_scn_new(NULL);
    struct q q = {0};
    int32_t d0 = day_of("2025-01-10");
    int32_t t = d0 + 400;
    struct rs_finding f;

    (void)state;
    habit(&q, "C1", d0, 0, 12, 0);
    q_invoice(&q, "C1", "X", 100000, t, t + 30);
    q_credit(&q, "C1", "X", 30000, t + 1);
    q_credit(&q, "C1", "X", 30000, t + 2);
    q_credit(&q, "C1", "X", 30000, t + 3);
    q_pay(&q, "C1", "X", "FAILED_DIRECT_DEBIT", 10000, t + 20);
    q_run(s, &q);
    assert_false(rs_scn_finding(s, "C1", "FREQUENT_PARTIAL_PAYMENTS", &f));
    /* Stream time t + 20; a failed debit of t + 15 arrives now. */
    q_pay(&q, "C1", "X", "FAILED_DIRECT_DEBIT", 10000, t + 15);
    q_run(s, &q);
    assert_true(rs_scn_finding(s, "C1", "FREQUENT_FAILED_DEBITS", &f));
    NEAR(f.reason.value, 2.0);
    /* It leaves the window first: the finding goes at t + 15 + 60. */
    advance(s, t + 74);
    assert_true(rs_scn_finding(s, "C1", "FREQUENT_FAILED_DEBITS", &f));
    advance(s, t + 75);
    assert_false(rs_scn_finding(s, "C1", "FREQUENT_FAILED_DEBITS", &f));
    rs_scn_destroy(s);
}

/* payment_record: the standing record, as table rows of payment delays
 * (days after the due date; negative = early) of invoices issued every 30
 * days on 30-day terms, then optional open invoices past due. The score is
 * continuous over the whole range (16 x the share + 8 x the mean delay /
 * 30 days), so a punctual record scores low but above nothing known, and a
 * customer with no record yet sits at the usual share (35 % -> 6). */
static void test_det_payment_record(void **state)
{
    static const struct {
        const char *name;
        int delays[10];
        int paid;       /* how many of delays */
        int open_late;  /* an open invoice this many days past due, 0: none */
        int disputed;   /* that open invoice is disputed */
        int score;
        double value;   /* known-late share, % */
        const char *says;
    } rows[] = {
        {"punctual", {-5, -5, -5, -5, -5, -5}, 6, 0, 0, 1, 9.59,
         "pays on time more often than usual: 10 % of its invoices known "
         "late"},
        {"always 20 days late", {20, 20, 20, 20, 20, 20}, 6, 0, 0, 11, 82.18,
         "pays late more often than usual: 82 % of its invoices known late "
         "(recent ones weigh more; 0 open past due now), 20.0 days beyond "
         "terms on average; 35 % is usual"},
        {"first invoice ever, 10 days past due", {0}, 0, 10, 0, 7, 56.67,
         "57 % of its invoices known late (recent ones weigh more; 1 open "
         "past due now), 10.0 days beyond terms"},
        {"disputed open amounts left out: no record yet", {0}, 0, 10, 1, 4,
         35.0,
         "no payment record yet (no invoice settled or past due): taken as "
         "the usual 35 % of invoices paid late"},
        {"three late", {20, 20, 20}, 3, 0, 0, 10, 73.21,
         "73 % of its invoices known late"},
        {"three late, then six on time (improves)",
         {20, 20, 20, -2, -2, -2, -2, -2, -2}, 9, 0, 0, 4, 29.74,
         "pays on time more often than usual: 30 % of its invoices known "
         "late"},
    };

    (void)state;
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct rs_scn *s = rs_scn_new(QUIET);
        struct q q = {.n = 0};
        struct rs_finding f;
        int32_t t0 = day_of("2025-01-06"), end = t0;
        char id[16], at[32], day[16];

        for (int i = 0; i < rows[r].paid; i++) {
            int32_t issue = t0 + 30 * i, due = issue + 30;

            snprintf(id, sizeof(id), "R%d", i);
            q_invoice(&q, "C1", id, 100000, issue, due);
            q_pay(&q, "C1", id, "FULL", 100000, due + rows[r].delays[i]);
            if (due + rows[r].delays[i] > end)
                end = due + rows[r].delays[i];
        }
        if (rows[r].open_late) {
            int32_t issue = t0 + 30 * rows[r].paid;

            q_invoice(&q, "C1", "OPEN", 100000, issue, issue + 30);
            if (rows[r].disputed)
                q_dispute(&q, "C1", "OPEN", issue + 5);
            end = issue + 30 + rows[r].open_late;
        }
        q_run(s, &q);
        day_str(day, sizeof(day), end);
        snprintf(at, sizeof(at), "%sT12:00:00Z", day);
        rs_scn_advance(s, at);
        if (!rs_scn_finding(s, "C1", "PAYMENT_RECORD", &f))
            fail_msg("%s: no PAYMENT_RECORD finding", rows[r].name);
        if (f.score != rows[r].score ||
            f.reason.value - rows[r].value > 0.01 ||
            rows[r].value - f.reason.value > 0.01)
            fail_msg("%s: score %d value %.2f, want %d and %.2f",
                     rows[r].name, (int)f.score, f.reason.value,
                     rows[r].score, rows[r].value);
        NEAR(f.reason.baseline, 35.0);
        assert_int_equal(f.reason.evidence_count, rows[r].open_late &&
                                                          !rows[r].disputed
                                                      ? 1
                                                      : 0);
        if (!strstr(f.reason.message, rows[r].says))
            fail_msg("%s: message '%s' lacks '%s'", rows[r].name,
                     f.reason.message, rows[r].says);
        /* Only a record worse than usual asks for an earlier follow-up. */
        if (rows[r].value > 35.0)
            assert_string_equal(f.actions[0], "FOLLOW_UP_EARLIER");
        else
            assert_null(f.actions[0]);
        rs_scn_destroy(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_payment_late_trend_table),
        cmocka_unit_test(test_det_payment_late_trend_unpaid_by_timer),
        cmocka_unit_test(test_det_payment_late_trend_timer_between_breakpoints),
        cmocka_unit_test(test_det_payment_late_trend_partial_credit_note),
        cmocka_unit_test(test_det_payment_late_trend_first_invoice),
        cmocka_unit_test(test_det_payment_late_trend_customer_improves),
        cmocka_unit_test(test_det_payment_late_trend_out_of_order),
        cmocka_unit_test(test_det_payment_pattern_shift_table),
        cmocka_unit_test(test_det_payment_pattern_shift_customer_improves),
        cmocka_unit_test(test_det_payment_pattern_shift_new_habit),
        cmocka_unit_test(test_det_payment_pattern_shift_unpaid_by_timer),
        cmocka_unit_test(test_det_payment_pattern_shift_partial_credit_note),
        cmocka_unit_test(test_det_payment_pattern_shift_first_invoice),
        cmocka_unit_test(test_det_payment_pattern_shift_out_of_order),
        cmocka_unit_test(test_det_payment_partials_table),
        cmocka_unit_test(test_det_payment_partials_own_rate),
        cmocka_unit_test(test_det_payment_partials_first_invoice),
        cmocka_unit_test(test_det_payment_partials_customer_improves),
        cmocka_unit_test(test_det_payment_partials_out_of_order_credit_note),
        cmocka_unit_test(test_det_payment_record),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
