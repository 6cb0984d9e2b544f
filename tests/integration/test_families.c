/* One scenario per signal family through the real daemon (Kafka + Redis):
 * each family's customer gets an alert naming that family's reason.
 *
 * The table lists, per family, a customer, the events that should raise
 * its risk, and the reason code one of its alerts must carry. A final event
 * of another customer moves stream time past every timer. */
#include "support.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "riskstream/format.h"

struct family {
    const char *name;
    const char *customer;
    const char *code; /* expected among the last alert's reasons */
    struct {
        enum rs_event_kind kind;
        const char *fields;
    } events[16];
};

#define INV(c, id, amount, issue, due)                                         \
    {RS_EVENT_INVOICE, "event_id=" c "-" id " event_time=" issue               \
                       "T09:00:00Z customer_id=" c " type=ISSUED invoice_id=" \
                       c "-" id " amount=" amount " currency=EUR issue_date=" \
                       issue " due_date=" due " payment_terms_days=30"}

#define PAY(c, id, amount, date)                                               \
    {RS_EVENT_PAYMENT, "event_id=" c "-p" id " event_time=" date               \
                       "T10:00:00Z customer_id=" c " type=FULL payment_id="   \
                       c "-p" id " amount=" amount " currency=EUR "           \
                       "payment_date=" date " invoice_id=" c "-" id}

/* All events are produced on one partition in event-time order (the test
 * sorts them), so each topic is read in time order. */
static const struct family families[] = {
    {"severe delinquency", "F-SEVERE", "SEVERE_DELINQUENCY",
     {INV("F-SEVERE", "1", "50000", "2025-10-01", "2025-10-31"),
      INV("F-SEVERE", "2", "90000", "2026-01-02", "2026-02-01")}},
    {"overdue", "F-OVERDUE", "OVERDUE_HIGH",
     {INV("F-OVERDUE", "1", "120000", "2026-01-05", "2026-02-04")}},
    {"insurer clocks", "F-INSURED", "INSURER_REPORT_OVERDUE",
     {INV("F-INSURED", "1", "70000", "2026-01-10", "2026-02-09")}},
    {"broken promise", "F-PROMISE", "PROMISE_BROKEN",
     {INV("F-PROMISE", "1", "80000", "2026-01-12", "2026-02-11"),
      {RS_EVENT_COMM,
       "event_id=F-PROMISE-2 event_time=2026-02-12T10:00:00Z "
       "customer_id=F-PROMISE type=PROMISE_TO_PAY invoice_id=F-PROMISE-1 "
       "promised_date=2026-02-16 promised_amount=80000 currency=EUR "
       "channel=PHONE"}}},
    {"extension requests", "F-EXTEND", "EXTENSION_REQUESTS_REPEATED",
     {INV("F-EXTEND", "1", "30000", "2026-01-14", "2026-02-13"),
      {RS_EVENT_COMM,
       "event_id=F-EXTEND-2 event_time=2026-02-10T10:00:00Z "
       "customer_id=F-EXTEND type=EXTENSION_REQUEST invoice_id=F-EXTEND-1 "
       "requested_days=30"},
      {RS_EVENT_COMM,
       "event_id=F-EXTEND-3 event_time=2026-02-20T10:00:00Z "
       "customer_id=F-EXTEND type=EXTENSION_REQUEST invoice_id=F-EXTEND-1 "
       "requested_days=30"}}},
    {"exposure over the credit limit", "F-LIMIT", "EXPOSURE_OVER_LIMIT",
     {{RS_EVENT_BUREAU,
       "event_id=F-LIMIT-0 event_time=2026-01-02T06:00:00Z "
       "customer_id=F-LIMIT type=CREDIT_LIMIT_DECISION source=insurer "
       "limit_action=GRANTED limit_amount=100000 limit_currency=EUR"},
      INV("F-LIMIT", "1", "60000", "2026-02-01", "2026-03-03"),
      INV("F-LIMIT", "2", "60000", "2026-02-02", "2026-03-04")}},
    {"silence", "F-SILENT", "SILENCE_NO_RESPONSE",
     {INV("F-SILENT", "1", "40000", "2026-01-21", "2026-02-20"),
      {RS_EVENT_COMM,
       "event_id=F-SILENT-2 event_time=2026-02-05T08:00:00Z "
       "customer_id=F-SILENT type=REMINDER invoice_id=F-SILENT-1 "
       "dunning_level=1 channel=EMAIL"}}},
    {"dispute that drags on", "F-DISPUTE", "DISPUTE_OPEN_LONG",
     {INV("F-DISPUTE", "1", "40000", "2026-01-03", "2026-02-02"),
      {RS_EVENT_COMM,
       "event_id=F-DISPUTE-2 event_time=2026-01-20T08:00:00Z "
       "customer_id=F-DISPUTE type=DISPUTE_OPENED invoice_id=F-DISPUTE-1 "
       "dispute_id=D-1 channel=EMAIL"}}},
    {"ordering stopped", "F-ORDERS", "ORDERING_STOPPED",
     {INV("F-ORDERS", "1", "300000", "2025-07-03", "2025-08-02"),
      PAY("F-ORDERS", "1", "300000", "2025-08-01"),
      INV("F-ORDERS", "2", "300000", "2025-08-03", "2025-09-02"),
      PAY("F-ORDERS", "2", "300000", "2025-09-01"),
      INV("F-ORDERS", "3", "300000", "2025-09-03", "2025-10-03"),
      PAY("F-ORDERS", "3", "300000", "2025-10-01"),
      INV("F-ORDERS", "4", "300000", "2025-10-03", "2025-11-02"),
      PAY("F-ORDERS", "4", "300000", "2025-11-01"),
      INV("F-ORDERS", "5", "300000", "2025-11-03", "2025-12-03"),
      PAY("F-ORDERS", "5", "300000", "2025-12-01"),
      INV("F-ORDERS", "6", "300000", "2025-12-03", "2026-01-02"),
      PAY("F-ORDERS", "6", "300000", "2026-01-01")}},
    {"late-payment trend", "F-TREND", "LATE_PAYMENT_TREND",
     {INV("F-TREND", "1", "50000", "2025-06-05", "2025-07-05"),
      PAY("F-TREND", "1", "50000", "2025-07-04"),
      INV("F-TREND", "2", "50000", "2025-07-05", "2025-08-04"),
      PAY("F-TREND", "2", "50000", "2025-08-03"),
      INV("F-TREND", "3", "50000", "2025-08-05", "2025-09-04"),
      PAY("F-TREND", "3", "50000", "2025-09-03"),
      INV("F-TREND", "4", "50000", "2025-09-05", "2025-10-05"),
      PAY("F-TREND", "4", "50000", "2025-10-04"),
      INV("F-TREND", "5", "50000", "2025-10-05", "2025-11-04"),
      PAY("F-TREND", "5", "50000", "2025-11-03"),
      INV("F-TREND", "6", "50000", "2025-12-20", "2026-01-19"),
      PAY("F-TREND", "6", "50000", "2026-02-18"),
      INV("F-TREND", "7", "50000", "2026-01-10", "2026-02-09"),
      PAY("F-TREND", "7", "50000", "2026-03-11")}},
    {"payment-pattern change", "F-SHIFT", "PAYMENT_PATTERN_SHIFT",
     {INV("F-SHIFT", "1", "50000", "2025-06-01", "2025-07-01"),
      PAY("F-SHIFT", "1", "50000", "2025-06-21"),
      INV("F-SHIFT", "2", "50000", "2025-07-01", "2025-07-31"),
      PAY("F-SHIFT", "2", "50000", "2025-07-21"),
      INV("F-SHIFT", "3", "50000", "2025-08-01", "2025-08-31"),
      PAY("F-SHIFT", "3", "50000", "2025-08-21"),
      INV("F-SHIFT", "4", "50000", "2025-09-01", "2025-10-01"),
      PAY("F-SHIFT", "4", "50000", "2025-09-21"),
      INV("F-SHIFT", "5", "50000", "2025-10-01", "2025-10-31"),
      PAY("F-SHIFT", "5", "50000", "2025-10-21"),
      INV("F-SHIFT", "6", "50000", "2025-11-01", "2025-12-01"),
      PAY("F-SHIFT", "6", "50000", "2025-12-01"),
      INV("F-SHIFT", "7", "50000", "2025-12-01", "2025-12-31"),
      PAY("F-SHIFT", "7", "50000", "2025-12-31"),
      INV("F-SHIFT", "8", "50000", "2026-01-01", "2026-01-31"),
      PAY("F-SHIFT", "8", "50000", "2026-01-31")}},
    {"bankruptcy", "F-BANKRUPT", "BANKRUPTCY_FILING",
     {{RS_EVENT_BUREAU,
       "event_id=F-BANKRUPT-1 event_time=2026-02-21T06:00:00Z "
       "customer_id=F-BANKRUPT type=BANKRUPTCY_FILING source=bureau "
       "filing_kind=insolvency"}}},
    {"score drop", "F-SCORE", "BUREAU_SCORE_DROP",
     {{RS_EVENT_BUREAU,
       "event_id=F-SCORE-1 event_time=2026-02-22T06:00:00Z "
       "customer_id=F-SCORE type=SCORE_UPDATE source=bureau old_score=85 "
       "new_score=60 score_max=100"}}},
};

#define CLOCK                                                                  \
    "event_id=clock event_time=2026-04-12T00:00:00Z customer_id=F-CLOCK "      \
    "type=INBOUND_REPLY channel=EMAIL"

struct ordered {
    enum rs_event_kind kind;
    const char *fields;
    size_t seq;
};

/* By event_time (the text after "event_time="), then table order. */
static int cmp_time(const void *a, const void *b)
{
    const struct ordered *x = a, *y = b;
    int r = strncmp(strstr(x->fields, "event_time=") + 11,
                    strstr(y->fields, "event_time=") + 11, 20);

    if (r)
        return r;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void test_families_each_alert_names_its_reason(void **state)
{
    struct rs_pipe p;
    struct ordered order[128];
    size_t count = 0;
    struct rs_record *alerts = NULL;
    size_t n;

    (void)state;
    rs_pipe_init(&p, "rs-it-fam", 1);
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
        for (size_t e = 0; e < 16 && families[f].events[e].fields; e++) {
            assert_true(count < sizeof(order) / sizeof(order[0]));
            order[count].kind = families[f].events[e].kind;
            order[count].fields = families[f].events[e].fields;
            order[count].seq = count;
            count++;
        }
    qsort(order, count, sizeof(order[0]), cmp_time);
    for (size_t i = 0; i < count; i++)
        rs_pipe_produce(&p, order[i].kind, order[i].fields, NULL);
    /* One clock event per partition moves each task's stream time. */
    rs_pipe_produce(&p, RS_EVENT_COMM, CLOCK, "F-CLOCK");
    rs_pipe_produce(&p, RS_EVENT_COMM,
                    "event_id=clock2 event_time=2026-04-12T00:00:00Z "
                    "customer_id=F-CLOCK2 type=INBOUND_REPLY channel=EMAIL",
                    NULL);
    rs_pipe_produce(&p, RS_EVENT_COMM,
                    "event_id=clock3 event_time=2026-04-12T00:00:00Z "
                    "customer_id=F-CLOCK3 type=INBOUND_REPLY channel=EMAIL",
                    NULL);
    rs_pipe_flush(&p);
    /* Overdue stops at HIGH here, so that severe delinquency is what makes
     * a customer CRITICAL. */
    rs_pipe_run_to_end(&p,
                       "detector.insurer.enabled = 1\n"
                       "detector.overdue.critical.days = 3650\n",
                       60000);
    n = rs_pipe_read(&p, 4, (size_t)-1, 3000, &alerts);
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        char want[128];
        int alerted = 0, named = 0;

        snprintf(want, sizeof(want), "\"code\": \"%s\"", families[f].code);
        for (size_t i = 0; i < n; i++) {
            char *json;

            if (strcmp(alerts[i].key, families[f].customer) != 0)
                continue;
            alerted++;
            json = rs_pipe_json(&p, &alerts[i]);
            named |= strstr(json, want) != NULL;
            free(json);
        }
        if (!alerted)
            fail_msg("family %s: no alert for %s", families[f].name,
                     families[f].customer);
        if (!named)
            fail_msg("family %s: no alert of %s names %s", families[f].name,
                     families[f].customer, families[f].code);
    }
    rs_pipe_records_free(alerts, n);
    rs_pipe_release(&p);
}

/* Risk clusters through the daemon: a segment whose customers pay late
 * more and more often gives a customer of that segment the reason. The
 * segment's history: three 30-day windows with 2 of 20 invoices paid late,
 * then two with 12 of 20; then a customer of the segment gets an overdue
 * invoice, and its alert carries the cluster reason too. */
static void test_families_risk_cluster(void **state)
{
    struct rs_pipe p;
    struct rs_record *alerts = NULL;
    char f[512];
    size_t n;
    int named = 0;

    (void)state;
    rs_pipe_init(&p, "rs-it-clus", 1);
    /* 2026-03-01 is day 20513; window k settles on day 20514 + 30k + 5. */
    for (int k = 1; k <= 5; k++) {
        for (int i = 0; i < 20; i++) {
            int late = k <= 3 ? i < 2 : i < 12;
            int64_t pay = 20514 + 30 * k + 5;
            int64_t due = late ? pay - 10 : pay + 5;
            char d1[16], d2[16], d3[16], c[32];

            snprintf(c, sizeof(c), "S-%d-%d", k, i);
            rs_format_date(d1, sizeof(d1), (int32_t)(due - 30));
            rs_format_date(d2, sizeof(d2), (int32_t)due);
            rs_format_date(d3, sizeof(d3), (int32_t)pay);
            snprintf(f, sizeof(f),
                     "event_id=i-%s event_time=%sT09:00:00Z customer_id=%s "
                     "type=ISSUED invoice_id=I-%s amount=10000 currency=EUR "
                     "issue_date=%s due_date=%s payment_terms_days=30 "
                     "segment=retail",
                     c, d1, c, c, d1, d2);
            rs_pipe_produce(&p, RS_EVENT_INVOICE, f, NULL);
            snprintf(f, sizeof(f),
                     "event_id=p-%s event_time=%sT10:00:00Z customer_id=%s "
                     "type=FULL payment_id=P-%s amount=10000 currency=EUR "
                     "payment_date=%s invoice_id=I-%s",
                     c, d3, c, c, d3, c);
            rs_pipe_produce(&p, RS_EVENT_PAYMENT, f, NULL);
        }
    }
    rs_pipe_produce(&p, RS_EVENT_INVOICE,
                    "event_id=x1 event_time=2026-09-01T09:00:00Z "
                    "customer_id=F-CLUSTER type=ISSUED invoice_id=IX "
                    "amount=5000 currency=EUR issue_date=2026-09-01 "
                    "due_date=2026-10-01 payment_terms_days=30 segment=retail",
                    NULL);
    rs_pipe_produce(&p, RS_EVENT_COMM,
                    "event_id=x2 event_time=2026-10-20T09:00:00Z "
                    "customer_id=F-CLUSTER type=INBOUND_REPLY channel=EMAIL",
                    NULL);
    rs_pipe_flush(&p);
    rs_pipe_run_to_end(&p,
                       "detector.cluster.window.days = 30\n"
                       "detector.cluster.min.invoices = 20\n",
                       60000);
    n = rs_pipe_read(&p, 4, (size_t)-1, 3000, &alerts);
    for (size_t i = 0; i < n; i++) {
        char *json;

        if (strcmp(alerts[i].key, "F-CLUSTER") != 0)
            continue;
        json = rs_pipe_json(&p, &alerts[i]);
        named |= strstr(json, "\"code\": \"RISK_CLUSTER_DETERIORATING\"") !=
                 NULL;
        free(json);
    }
    assert_true(named);
    rs_pipe_records_free(alerts, n);
    rs_pipe_release(&p);
}

/* The group contagion through the daemon: C1 and C2 name P as their
 * parent (ownership links); P's bankruptcy reaches both as the group
 * reason, by relays riskstream writes to the bureau topic and reads back,
 * across partitions. Both alerts are exactly-once like any other. */
static void test_families_group_contagion(void **state)
{
    static const char *const links[] = {"C1", "C2"};
    struct rs_pipe p;
    struct rs_record *alerts = NULL;
    char f[512], log[256];
    size_t n = 0;
    int named[2] = {0, 0};
    pid_t pid;

    (void)state;
    rs_pipe_init(&p, "rs-it-group", 2);
    for (int i = 0; i < 2; i++) {
        snprintf(f, sizeof(f),
                 "event_id=link-%s event_time=2026-03-01T09:00:00Z "
                 "customer_id=G-%s type=OWNERSHIP_LINK source=bureau "
                 "parent_customer_id=G-P",
                 links[i], links[i]);
        rs_pipe_produce(&p, RS_EVENT_BUREAU, f, NULL);
    }
    rs_pipe_produce(&p, RS_EVENT_BUREAU,
                    "event_id=bankrupt-P event_time=2026-03-02T09:00:00Z "
                    "customer_id=G-P type=BANKRUPTCY_FILING source=bureau "
                    "filing_kind=insolvency",
                    NULL);
    rs_pipe_flush(&p);
    snprintf(log, sizeof(log), "/tmp/%s.log", p.name);
    pid = rs_test_spawn_run(rs_pipe_config(&p, NULL), log);
    for (int waited = 0; !(named[0] && named[1]); waited += 500) {
        if (waited > 60000)
            fail_msg("no group alert for %s within 60 s; see %s",
                     named[0] ? "G-C2" : "G-C1", log);
        rs_test_sleep_ms(500);
        rs_pipe_records_free(alerts, n);
        n = rs_pipe_read(&p, 4, (size_t)-1, 1500, &alerts);
        for (size_t i = 0; i < n; i++) {
            char *json = rs_pipe_json(&p, &alerts[i]);

            for (int k = 0; k < 2; k++) {
                char who[16];

                snprintf(who, sizeof(who), "G-%s", links[k]);
                if (strcmp(alerts[i].key, who) == 0 &&
                    strstr(json, "\"code\": \"GROUP_PARENT_RISK\"") &&
                    strstr(json, "parent company 'G-P' is at CRITICAL risk"))
                    named[k]++;
            }
            free(json);
        }
    }
    if (rs_test_stop(pid, SIGTERM, 30000) != 0)
        fail_msg("riskstream did not exit 0 after SIGTERM; see %s", log);
    /* Exactly once: one alert each, read again after the stop. */
    rs_pipe_records_free(alerts, n);
    n = rs_pipe_read(&p, 4, (size_t)-1, 3000, &alerts);
    named[0] = named[1] = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            char who[16];

            snprintf(who, sizeof(who), "G-%s", links[k]);
            named[k] += strcmp(alerts[i].key, who) == 0;
        }
    assert_int_equal(named[0], 1);
    assert_int_equal(named[1], 1);
    rs_pipe_records_free(alerts, n);
    rs_pipe_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_families_each_alert_names_its_reason),
        cmocka_unit_test(test_families_risk_cluster),
        cmocka_unit_test(test_families_group_contagion),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
