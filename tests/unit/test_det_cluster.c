/* Risk clusters: a segment whose customers pay late more and more often
 * gives its customers a soft reason; other segments are untouched; input
 * cannot forge the reserved segment records. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/avro_text.h"
#include "scenario.h"

#define CONFIG                                                                 \
    "detector.cluster.window.days = 30\n"                                      \
    "detector.cluster.min.invoices = 20\n"                                     \
    "detector.cluster.min.windows = 2\n"

struct ev {
    int64_t day;
    int kind;
    char fields[400];
};

static int cmp_ev(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;

    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->kind - y->kind;
}

static void date(char *out, size_t size, int64_t day)
{
    /* 2026-01-01 is day 20454; step through a fixed table of months. */
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t d = day - 20454;
    int y = 2026, m = 0;

    while (d >= mdays[m]) {
        d -= mdays[m];
        if (++m == 12) {
            m = 0;
            y++;
        }
    }
    snprintf(out, size, "%04d-%02d-%02d", y, m + 1, (int)d + 1);
}

/* Five windows of 20 settled invoices each, late[k - 1] of them late in
 * window k. Settlements land on day 30k+5 of window k. */
static size_t history_of(struct ev *v, const char *segment, const int *lates)
{
    size_t n = 0;

    for (int k = 1; k <= 5; k++) {
        for (int i = 0; i < 20; i++) {
            int late = i < lates[k - 1];
            int64_t pay = 20514 + 30 * k + 5;
            int64_t due = late ? pay - 10 : pay + 5;
            char c[32], d1[16], d2[16], d3[16];

            snprintf(c, sizeof(c), "%s-%d-%d", segment, k, i);
            date(d1, sizeof(d1), due - 30);
            date(d2, sizeof(d2), due);
            date(d3, sizeof(d3), pay);
            v[n].day = due - 30;
            v[n].kind = RS_EVENT_INVOICE;
            snprintf(v[n++].fields, sizeof(v[0].fields),
                     "event_id=i-%s event_time=%sT09:00:00Z customer_id=%s "
                     "type=ISSUED invoice_id=I-%s amount=10000 currency=EUR "
                     "issue_date=%s due_date=%s payment_terms_days=30 "
                     "segment=%s",
                     c, d1, c, c, d1, d2, segment);
            v[n].day = pay;
            v[n].kind = RS_EVENT_PAYMENT;
            snprintf(v[n++].fields, sizeof(v[0].fields),
                     "event_id=p-%s event_time=%sT10:00:00Z customer_id=%s "
                     "type=FULL payment_id=P-%s amount=10000 currency=EUR "
                     "payment_date=%s invoice_id=I-%s",
                     c, d3, c, c, d3, c);
        }
    }
    return n;
}

/* Windows 1-3: 2 late of 20; windows 4-5: 12 late of 20. */
static const int deteriorating[] = {2, 2, 2, 12, 12};

/* A scenario with the segment "retail"'s history applied, then an invoice
 * of customer X in that segment; the caller destroys it. */
static struct rs_scn *replay(const char *config, const int *lates)
{
    struct rs_scn *s = rs_scn_new(config);
    struct ev *v = calloc(400, sizeof(*v));
    size_t n = history_of(v, "retail", lates);

    qsort(v, n, sizeof(*v), cmp_ev);
    for (size_t i = 0; i < n; i++)
        rs_scn_event(s, (enum rs_event_kind)v[i].kind, v[i].fields);
    free(v);
    rs_scn_event(s, RS_EVENT_INVOICE,
                 "event_id=x1 event_time=2026-09-01T09:00:00Z customer_id=X "
                 "type=ISSUED invoice_id=IX amount=5000 currency=EUR "
                 "issue_date=2026-09-01 due_date=2026-10-01 "
                 "payment_terms_days=30 segment=retail");
    return s;
}

/* The history, then an invoice of customer X in the segment: does X get
 * the cluster's reason? */
static int cluster_fires(const char *config, const int *lates,
                         struct rs_finding *f)
{
    struct rs_scn *s = replay(config, lates);
    int found = rs_scn_finding(s, "X", "RISK_CLUSTER_DETERIORATING", f);

    rs_scn_destroy(s);
    return found;
}

/* The window counting began in holds the invoices that settled first,
 * the early payers: 2 late of 20, then a steady 8 of 20. Measured against
 * that first window the segment would look worse; it did not change. */
static void test_det_cluster_first_window_not_a_baseline(void **state)
{
    static const int lates[] = {2, 8, 8, 8, 8};
    struct rs_finding f;

    (void)state;
    assert_false(cluster_fires(CONFIG "detector.cluster.rise.sigma = 0\n",
                               lates, &f));
}

/* From 35 % to 50 % late is 15 points, above rise.points (10), but on 40
 * invoices one standard error is 7.5 points: two of them are chance. */
static void test_det_cluster_small_rise_on_few_invoices_is_quiet(void **state)
{
    static const int lates[] = {7, 7, 7, 10, 10};
    struct rs_finding f;

    (void)state;
    assert_false(cluster_fires(CONFIG, lates, &f));
    assert_false(
        cluster_fires(CONFIG "detector.cluster.rise.sigma = 2\n", lates, &f));
    assert_true(
        cluster_fires(CONFIG "detector.cluster.rise.sigma = 0\n", lates, &f));
    assert_true(f.reason.value > 49.9 && f.reason.value < 50.1);
    assert_true(f.reason.baseline > 34.9 && f.reason.baseline < 35.1);
}

static void test_det_cluster_deteriorating_segment(void **state)
{
    struct rs_scn *s = replay(CONFIG, deteriorating);
    struct rs_finding f;

    (void)state;
    /* X is of the segment; Y, of another one. */
    rs_scn_event(s, RS_EVENT_INVOICE,
                 "event_id=y1 event_time=2026-09-01T09:00:00Z customer_id=Y "
                 "type=ISSUED invoice_id=IY amount=5000 currency=EUR "
                 "issue_date=2026-09-01 due_date=2026-10-01 "
                 "payment_terms_days=30 segment=food");
    assert_true(rs_scn_finding(s, "X", "RISK_CLUSTER_DETERIORATING", &f));
    /* Recent: windows 4 and 5, 24 late of 40 = 60 %; baseline: windows
     * 1-3 at 10 %. */
    assert_true(f.reason.value > 59.9 && f.reason.value < 60.1);
    assert_true(f.reason.baseline > 9.9 && f.reason.baseline < 10.1);
    assert_non_null(strstr(f.reason.message, "segment 'retail'"));
    assert_non_null(strstr(f.reason.message, "not a verdict"));
    assert_string_equal(f.actions[0], "STAY_IN_CONTACT");
    assert_int_equal(f.score, 20);
    assert_false(rs_scn_finding(s, "Y", "RISK_CLUSTER_DETERIORATING", &f));
    rs_scn_destroy(s);
}

static void test_det_cluster_steady_segment_is_quiet(void **state)
{
    struct rs_finding f;

    (void)state;
    /* A 50-point rise is below the 60 points asked for. */
    assert_false(cluster_fires(CONFIG "detector.cluster.rise.points = 60\n",
                               deteriorating, &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_cluster_deteriorating_segment),
        cmocka_unit_test(test_det_cluster_steady_segment_is_quiet),
        cmocka_unit_test(test_det_cluster_first_window_not_a_baseline),
        cmocka_unit_test(test_det_cluster_small_rise_on_few_invoices_is_quiet),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
