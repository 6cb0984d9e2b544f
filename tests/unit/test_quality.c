/* Quality figures: AUC, median, alert precision, recall and lead time on
 * tiny hand-computed cases, and the truth and label files. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "riskstream/quality.h"

#define DAY 86400000LL

struct auc_case {
    const char *name;
    double score[6];
    uint8_t positive[6];
    size_t n;
    double want; /* NAN: undefined */
};

static void test_quality_auc_hand_computed(void **state)
{
    static const struct auc_case cases[] = {
        {"perfect", {1, 2, 3, 4}, {0, 0, 1, 1}, 4, 1.0},
        {"reversed", {4, 3, 2, 1}, {0, 0, 1, 1}, 4, 0.0},
        {"all tied", {5, 5, 5, 5}, {0, 1, 0, 1}, 4, 0.5},
        /* Pairs (pos, neg): (2,1)=1 (2,2)=0.5 (3,1)=1 (3,2)=1 -> 3.5/4. */
        {"one tie", {1, 2, 2, 3}, {0, 1, 0, 1}, 4, 0.875},
        /* Pos {3}, neg {1, 3, 5, 0}: 1 + 0.5 + 0 + 1 = 2.5/4. */
        {"one positive", {1, 3, 3, 5, 0}, {0, 1, 0, 0, 0}, 5, 0.625},
        /* Pos {2, 0}, neg {1, 2}: (2,1)=1 (2,2)=.5 (0,1)=0 (0,2)=0. */
        {"mixed", {2, 0, 1, 2}, {1, 1, 0, 0}, 4, 0.375},
        {"no negatives", {1, 2}, {1, 1}, 2, NAN},
        {"no positives", {1, 2}, {0, 0}, 2, NAN},
        {"empty", {0}, {0}, 0, NAN},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double got = rs_quality_auc(cases[i].score, cases[i].positive,
                                    cases[i].n);

        if (isnan(cases[i].want)) {
            if (!isnan(got))
                fail_msg("%s: AUC %f, want undefined", cases[i].name, got);
        } else if (fabs(got - cases[i].want) > 1e-12) {
            fail_msg("%s: AUC %f, want %f", cases[i].name, got,
                     cases[i].want);
        }
    }
}

static void test_quality_median(void **state)
{
    double odd[] = {3, 1, 2}, even[] = {4, 1, 3, 2}, neg[] = {-5, 10};

    (void)state;
    assert_true(rs_quality_median(odd, 3) == 2);
    assert_true(rs_quality_median(even, 4) == 2.5);
    assert_true(rs_quality_median(neg, 2) == 2.5);
    assert_true(isnan(rs_quality_median(NULL, 0)));
}

static void test_quality_codes_overlap(void **state)
{
    (void)state;
    assert_true(rs_quality_codes_overlap("A|B", "C|B"));
    assert_true(rs_quality_codes_overlap("OVERDUE_HIGH", "OVERDUE_HIGH"));
    assert_false(rs_quality_codes_overlap("OVERDUE", "OVERDUE_HIGH"));
    assert_false(rs_quality_codes_overlap("", "A"));
    assert_false(rs_quality_codes_overlap("A|B", NULL));
}

/* A deteriorates at day 10 (reasons X, Y), B at day 20 (reason Z), C
 * never. */
static void test_quality_alerts_truth(void **state)
{
    struct rs_quality_customer c[3] = {
        {1, 1, 10 * DAY, "late", "X|Y", 15 * DAY},
        {1, 1, 20 * DAY, "bureau", "Z", RS_QUALITY_NO_TIME},
        {1, 0, RS_QUALITY_NO_TIME, "none", "", RS_QUALITY_NO_TIME},
    };
    struct rs_quality_alert a[] = {
        {0, 5 * DAY, RS_LEVEL_LOW, RS_LEVEL_HIGH, "Y"},     /* before onset */
        {0, 9 * DAY, RS_LEVEL_HIGH, RS_LEVEL_LOW, "Y"},     /* lowering */
        {0, 11 * DAY, RS_LEVEL_LOW, RS_LEVEL_MEDIUM, "Y"},  /* not HIGH */
        {0, 12 * DAY, RS_LEVEL_MEDIUM, RS_LEVEL_HIGH, "Q|Y"}, /* right */
        {1, 25 * DAY, RS_LEVEL_LOW, RS_LEVEL_CRITICAL, "Q"},  /* wrong why */
        {2, 30 * DAY, RS_LEVEL_LOW, RS_LEVEL_HIGH, "Q"},      /* false */
    };
    struct rs_quality_alerts q;

    (void)state;
    rs_quality_alerts(RS_OUTCOME_TRUTH, c, 3, a, 6, &q);
    assert_int_equal(q.raising, 4);
    assert_int_equal(q.true_positives, 2);
    assert_true(q.precision == 0.5);
    assert_int_equal(q.positives, 2);
    assert_int_equal(q.recalled, 1);
    assert_true(q.recall == 0.5);
    assert_true(q.recall_any_reason == 1.0);
    assert_int_equal(q.negatives, 1);
    assert_int_equal(q.false_alerts_on_negatives, 1);
    /* Lead: A's reference (day 15) - first right alert (day 12); B has no
     * reference. Delay: A 2 days, B 5 days. */
    assert_int_equal(q.lead_customers, 1);
    assert_true(q.median_lead_days == 3.0);
    assert_true(q.median_delay_days == 3.5);
    assert_int_equal(q.family_count, 3);
    assert_string_equal(q.families[0].name, "late");
    assert_int_equal(q.families[0].recalled, 1);
    assert_string_equal(q.families[1].name, "bureau");
    assert_int_equal(q.families[1].recalled, 0);
}

static void test_quality_alerts_labels(void **state)
{
    /* Labels at day 100: an alert after the label date is too late. */
    struct rs_quality_customer c[3] = {
        {1, 1, 100 * DAY, NULL, NULL, 100 * DAY},
        {1, 1, 100 * DAY, NULL, NULL, 100 * DAY},
        {0, 0, 0, NULL, NULL, 0}, /* not labelled: ignored */
    };
    struct rs_quality_alert a[] = {
        {0, 40 * DAY, RS_LEVEL_LOW, RS_LEVEL_HIGH, "A"},
        {0, 70 * DAY, RS_LEVEL_HIGH, RS_LEVEL_CRITICAL, "A"},
        {1, 120 * DAY, RS_LEVEL_LOW, RS_LEVEL_HIGH, "A"},
        {2, 10 * DAY, RS_LEVEL_LOW, RS_LEVEL_HIGH, "A"},
    };
    struct rs_quality_alerts q;

    (void)state;
    rs_quality_alerts(RS_OUTCOME_LABELS, c, 3, a, 4, &q);
    assert_int_equal(q.raising, 3);
    assert_int_equal(q.true_positives, 2);
    assert_int_equal(q.recalled, 1);
    assert_true(q.recall == 0.5);
    assert_true(q.median_lead_days == 60.0); /* day 100 - day 40 */
}

static const char *write_temp(const char *name, const char *text)
{
    static char path[128];
    FILE *fp;

    snprintf(path, sizeof(path), "/tmp/rs-quality-%d-%s", (int)getpid(),
             name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

static void test_quality_truth_file(void **state)
{
    struct rs_quality_truth *t;
    char err[512];
    const char *path = write_temp(
        "truth.csv", "customer_id,family,onset,reasons\r\n"
                     "C1,late_trend,2025-03-04T00:00:00Z,"
                     "LATE_PAYMENT_TREND|LATE_PAYMENT_TREND_STRONG\r\n"
                     "C2,none,,\r\n");
    long n = rs_quality_truth_load(path, &t, err, sizeof(err));

    (void)state;
    assert_int_equal(n, 2);
    assert_string_equal(t[0].customer_id, "C1");
    assert_string_equal(t[0].family, "late_trend");
    assert_true(t[0].onset == 1741046400000LL);
    assert_string_equal(t[0].reasons,
                        "LATE_PAYMENT_TREND|LATE_PAYMENT_TREND_STRONG");
    assert_string_equal(t[1].family, "none");
    assert_true(t[1].onset == RS_QUALITY_NO_TIME);
    free(t);
    unlink(path);

    path = write_temp("bad.csv", "customer_id,family,onset,reasons\n"
                                 "C1,late,2025-03-04T00:00:00Z,A\n"
                                 "C2,late,yesterday,A\n");
    assert_int_equal(rs_quality_truth_load(path, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 3: onset 'yesterday' is not an ISO "
                                "instant"));
    unlink(path);
    path = write_temp("header.csv", "id,family\nC1,none\n");
    assert_int_equal(rs_quality_truth_load(path, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 1: header is 'id,family'"));
    unlink(path);
}

static void test_quality_label_file(void **state)
{
    struct rs_quality_label *l;
    char err[512];
    const char *path = write_temp("labels.csv",
                                  "customer_id,label_time,label\n"
                                  "\"7\",2005-10-01T00:00:00Z,1\n"
                                  "8,2005-10-01T00:00:00Z,0\n");
    long n = rs_quality_labels_load(path, &l, err, sizeof(err));

    (void)state;
    assert_int_equal(n, 2);
    assert_string_equal(l[0].customer_id, "7");
    assert_int_equal(l[0].label, 1);
    assert_int_equal(l[1].label, 0);
    assert_true(l[1].label_time == 1128124800000LL);
    free(l);
    unlink(path);
    path = write_temp("labels-bad.csv", "customer_id,label_time,label\n"
                                        "7,2005-10-01T00:00:00Z,yes\n");
    assert_int_equal(rs_quality_labels_load(path, &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 2: label 'yes' is not 0 or 1"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quality_auc_hand_computed),
        cmocka_unit_test(test_quality_median),
        cmocka_unit_test(test_quality_codes_overlap),
        cmocka_unit_test(test_quality_alerts_truth),
        cmocka_unit_test(test_quality_alerts_labels),
        cmocka_unit_test(test_quality_truth_file),
        cmocka_unit_test(test_quality_label_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
