/* Backtest: the partitioner matches Kafka's, and a small event file made
 * here goes through the real decoder and engine to alerts, dead letters,
 * quality figures and a report with its plots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "riskstream/avro_text.h"
#include "riskstream/backtest.h"
#include "riskstream/config.h"
#include "riskstream/evfile.h"
#include "riskstream/frame.h"
#include "riskstream/kafka.h"
#include "riskstream/mem.h"
#include "riskstream/registry.h"
#include "support.h"

/* The command's entry point (src/commands.h is not a public header). */
int rs_cmd_backtest(int argc, char **argv);

static const char *const record_names[RS_EVENT_KINDS] = {
    "io.riskstream.Invoice", "io.riskstream.Payment",
    "io.riskstream.CreditBureauEvent", "io.riskstream.Communication"};

/* Kafka's murmur2 test vectors (the Java client's UtilsTest): the
 * partition is the hash with the sign bit cleared, modulo the count. */
static void test_backtest_partition_matches_kafka(void **state)
{
    static const struct {
        const char *key;
        int32_t hash;
    } murmur2[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        {"abc", 479470107},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(murmur2) / sizeof(murmur2[0]); i++) {
        for (int32_t n = 1; n <= 12; n++) {
            int32_t want = (int32_t)((uint32_t)murmur2[i].hash & 0x7fffffff) %
                           n;
            const char *k = murmur2[i].key;

            assert_int_equal(rs_kafka_key_partition("murmur2_random", k,
                                                   strlen(k), n),
                             want);
            assert_int_equal(rs_kafka_key_partition("murmur2", k, strlen(k), n),
                             want);
        }
    }
    /* librdkafka's consistent partitioner: CRC-32 of the key modulo the
     * count; CRC-32("123456789") is the classic check value cbf43926. */
    assert_int_equal(rs_kafka_key_partition("consistent_random", "123456789",
                                           9, 7),
                     (int32_t)(0xcbf43926u % 7));
    assert_int_equal(rs_kafka_key_partition("consistent", "123456789", 9, 1000),
                     (int32_t)(0xcbf43926u % 1000));
    assert_int_equal(rs_kafka_key_partition("round_robin", "x", 1, 4), -1);
    assert_int_equal(rs_kafka_key_partition("murmur2", "x", 1, 0), -1);
}

/* Event files made from "field=value" text. */

struct gen {
    struct rs_registry *reg;
    struct rs_evfile_writer *w;
    char path[128];
    char *lines[256]; /* "<event time> <kind> <key> <fields>" to sort */
    size_t count;
};

static void gen_init(struct gen *g, const char *name)
{
    char err[512];

    memset(g, 0, sizeof(*g));
    snprintf(g->path, sizeof(g->path), "/tmp/rs-backtest-%d-%s.rsev",
             (int)getpid(), name);
    g->reg = rs_registry_load(rs_test_path("schemas"), err, sizeof(err));
    if (!g->reg)
        fail_msg("%s", err);
}

/* Queues an event; key NULL means the customer id. */
static void gen_event(struct gen *g, enum rs_event_kind kind, const char *key,
                      const char *fields)
{
    char line[1024];
    const char *t = strstr(fields, "event_time=");
    const char *c = strstr(fields, "customer_id=");
    char cust[64];

    assert_non_null(t);
    assert_non_null(c);
    sscanf(c + strlen("customer_id="), "%63s", cust);
    snprintf(line, sizeof(line), "%.20s %d %s %s", t + strlen("event_time="),
             (int)kind, key ? key : cust, fields);
    assert_true(g->count < sizeof(g->lines) / sizeof(g->lines[0]));
    g->lines[g->count++] = rs_strdup(line);
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void encode(struct gen *g, enum rs_event_kind kind, const char *fields,
                   struct rs_buf *buf)
{
    const struct rs_schema_entry *e = rs_registry_by_name(g->reg,
                                                          record_names[kind]);
    avro_value_iface_t *iface = avro_generic_class_from_schema(e->schema);
    avro_value_t rec;
    uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];
    char err[256];

    avro_generic_value_new(iface, &rec);
    if (rs_avro_fill(&rec, fields, err, sizeof(err)))
        fail_msg("%s: %s", fields, err);
    rs_buf_append(buf, hdr, rs_frame_write_confluent(hdr, e->id));
    assert_int_equal(rs_avro_encode(&rec, buf), 0);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
}

/* Writes the queued events in event-time order, plus raw extra records. */
static void gen_write(struct gen *g)
{
    char err[512];

    g->w = rs_evfile_create(g->path, err, sizeof(err));
    assert_non_null(g->w);
    qsort(g->lines, g->count, sizeof(g->lines[0]), cmp_line);
    for (size_t i = 0; i < g->count; i++) {
        char key[64];
        int kind, used = 0;
        struct rs_buf buf;

        sscanf(g->lines[i], "%*s %d %63s %n", &kind, key, &used);
        rs_buf_init(&buf, 0);
        encode(g, (enum rs_event_kind)kind, g->lines[i] + used, &buf);
        if (rs_evfile_write(g->w, (enum rs_event_kind)kind, key, strlen(key),
                            buf.data, buf.len, err, sizeof(err)))
            fail_msg("%s", err);
        rs_buf_release(&buf);
        free(g->lines[i]);
    }
    g->count = 0;
}

static void gen_raw(struct gen *g, enum rs_event_kind kind, const char *key,
                    const void *value, size_t len)
{
    char err[512];

    if (rs_evfile_write(g->w, kind, key, strlen(key), value, len, err,
                        sizeof(err)))
        fail_msg("%s", err);
}

static void gen_finish(struct gen *g)
{
    char err[512];

    assert_int_equal(rs_evfile_finish(g->w, err, sizeof(err)), 0);
    rs_registry_destroy(g->reg);
}

/* Three customers over six months: C1 pays on time, C3 ten days late, C2
 * pays its first two invoices and then nothing. Two records are broken. */
static void make_scenario(struct gen *g)
{
    static const char *const good_until[] = {"C1", "C2", "C3"};
    char f[1024];

    for (int m = 1; m <= 6; m++) {
        for (int c = 0; c < 3; c++) {
            const char *id = good_until[c];
            int due_month = m + 1;

            snprintf(f, sizeof(f),
                     "event_id=i-%s-%d event_time=2025-%02d-01T09:00:00Z "
                     "customer_id=%s type=ISSUED invoice_id=INV-%s-%d "
                     "amount=100000 currency=EUR issue_date=2025-%02d-01 "
                     "due_date=2025-%02d-01 payment_terms_days=30",
                     id, m, m, id, id, m, m, due_month);
            gen_event(g, RS_EVENT_INVOICE, NULL, f);
            if (c == 1 && m > 2)
                continue; /* C2 stops paying */
            snprintf(f, sizeof(f),
                     "event_id=p-%s-%d event_time=2025-%02d-%02dT10:00:00Z "
                     "customer_id=%s type=FULL payment_id=P-%s-%d "
                     "amount=100000 currency=EUR payment_date=2025-%02d-%02d "
                     "invoice_id=INV-%s-%d",
                     id, m, due_month, c == 2 ? 11 : 1, id, id, m, due_month,
                     c == 2 ? 11 : 1, id, m);
            gen_event(g, RS_EVENT_PAYMENT, NULL, f);
        }
    }
    for (int m = 3; m <= 8; m++) {
        snprintf(f, sizeof(f),
                 "event_id=r-C2-%d event_time=2025-%02d-15T08:00:00Z "
                 "customer_id=C2 type=REMINDER invoice_id=INV-C2-3 "
                 "dunning_level=%d",
                 m, m, m - 2);
        gen_event(g, RS_EVENT_COMM, NULL, f);
    }
    /* The end of the data. */
    gen_event(g, RS_EVENT_COMM, NULL,
              "event_id=end event_time=2025-09-01T00:00:00Z customer_id=C1 "
              "type=INBOUND_REPLY");
    /* A record whose key is not its customer. */
    gen_event(g, RS_EVENT_INVOICE, "CX",
              "event_id=x event_time=2025-02-03T00:00:00Z customer_id=C1 "
              "type=ISSUED invoice_id=INV-X amount=1 currency=EUR "
              "issue_date=2025-02-03 due_date=2025-03-03 "
              "payment_terms_days=30");
    gen_write(g);
    gen_raw(g, RS_EVENT_PAYMENT, "C9", "\x00\x00\x00\x00\x63garbage", 12);
    gen_finish(g);
}

static struct rs_config *test_config(void)
{
    struct rs_config *conf = rs_config_new();
    char err[512];

    if (rs_config_set(conf, "schema.dir", rs_test_path("schemas"), err,
                      sizeof(err)))
        fail_msg("%s", err);
    return conf;
}

static const struct rs_backtest_invoice *invoice(const struct rs_backtest *bt,
                                                 const char *id)
{
    for (size_t i = 0; i < bt->invoice_count; i++)
        if (strcmp(bt->invoices[i].id, id) == 0)
            return &bt->invoices[i];
    fail_msg("no invoice %s", id);
    return NULL;
}

static void test_backtest_scenario(void **state)
{
    struct gen g;
    struct rs_config *conf = test_config();
    struct rs_backtest_options opt;
    struct rs_backtest *bt;
    struct rs_backtest_quality q;
    char err[1024];
    size_t c1, c2, high = 0;
    char alerts_path[128];
    FILE *alerts;
    char *text;

    (void)state;
    gen_init(&g, "scenario");
    make_scenario(&g);
    snprintf(alerts_path, sizeof(alerts_path), "/tmp/rs-backtest-%d.jsonl",
             (int)getpid());
    alerts = fopen(alerts_path, "w");
    memset(&opt, 0, sizeof(opt));
    opt.conf = conf;
    opt.events_path = g.path;
    opt.partitions = 3;
    opt.until = RS_BACKTEST_UNTIL_DATA_END;
    opt.alerts_out = alerts;
    bt = rs_backtest_new(&opt, err, sizeof(err));
    if (!bt)
        fail_msg("%s", err);
    if (rs_backtest_run(bt, err, sizeof(err)))
        fail_msg("%s", err);
    fclose(alerts);

    /* 18 invoices + 14 payments + 7 communications + 2 broken records. */
    assert_int_equal(bt->records, 41);
    assert_int_equal(bt->events_applied, 39);
    assert_int_equal(bt->deadletter_count, 2);
    assert_int_equal(bt->deadletters[RS_ERROR_KEY_MISMATCH], 1);
    assert_int_equal(bt->deadletters[RS_ERROR_UNKNOWN_SCHEMA], 1);
    assert_int_equal(bt->customers_with_events, 3);

    /* The customer who stopped paying is raised to HIGH or CRITICAL for
     * being overdue; the one who pays on time never goes above MEDIUM
     * (it stops ordering at the end, which is worth a MEDIUM). */
    c1 = rs_backtest_customer_index(bt, "C1");
    c2 = rs_backtest_customer_index(bt, "C2");
    for (size_t i = 0; i < bt->alert_count; i++) {
        const struct rs_backtest_alert *a = &bt->alerts[i];

        if (a->customer == c2 && a->level_after >= RS_LEVEL_HIGH &&
            strstr(a->codes, "OVERDUE"))
            high++;
        if (a->customer == c1)
            assert_true(a->level_after <= RS_LEVEL_MEDIUM);
    }
    assert_true(high >= 1);
    assert_int_equal(bt->customers[c2].level, RS_LEVEL_CRITICAL);

    /* Payment outcomes and the score held before each invoice. */
    assert_int_equal(invoice(bt, "INV-C1-1")->outcome, 0);
    assert_int_equal(invoice(bt, "INV-C3-1")->days_late, 10);
    assert_int_equal(invoice(bt, "INV-C3-1")->outcome, 1);
    assert_int_equal(invoice(bt, "INV-C2-3")->outcome, 1);
    /* A newcomer is graded at the payment record's prior (35 % late:
     * 10 x 0.35, rounded), an average customer, not the safest. */
    assert_int_equal(invoice(bt, "INV-C2-1")->score_before, 4);
    assert_true(invoice(bt, "INV-C2-6")->score_before >= 50);
    /* C1 pays on time: payment_record grades its record a little above
     * nothing (10 x its smoothed late share), not 0. */
    assert_int_equal(invoice(bt, "INV-C1-6")->score_before, 1);
    /* C3's baseline: 1 of 1 earlier invoice late by the time of its 3rd
     * (issued 03-01, the 1st was paid 02-11). */
    assert_true(invoice(bt, "INV-C3-3")->baseline == 1.0);
    assert_true(invoice(bt, "INV-C3-2")->baseline == 0.0);

    rs_backtest_quality(bt, NULL, 0, &q);
    assert_int_equal(q.invoices_scored, 18);
    assert_int_equal(q.invoices_late, 10);
    assert_true(q.auc_invoice_late > 0.5 && q.auc_invoice_late <= 1.0);
    assert_true(q.baseline_auc_late_share > 0.5);
    /* Three customers: their first invoices have no history. */
    assert_int_equal(q.invoices_with_history, 15);
    assert_true(q.auc_invoice_late_with_history > 0.5);
    assert_true(q.hindsight_auc_late_share_with_history > 0.5);
    assert_int_equal(q.outcome, RS_OUTCOME_LATE);
    assert_true(q.alerts.precision == 1.0); /* every alert on a late payer */

    /* alerts.jsonl holds every alert as `riskstream tail` prints them. */
    text = rs_test_read_file(alerts_path, NULL);
    assert_non_null(strstr(text, "\"key\":\"C2\""));
    assert_non_null(strstr(text, "\"customer_id\": \"C2\""));
    assert_non_null(strstr(text, "\"level_after\": \"CRITICAL\""));
    free(text);
    unlink(alerts_path);
    rs_backtest_destroy(bt);
    rs_config_destroy(conf);
    unlink(g.path);
}

/* A record fed back is merged by event time: the bankruptcy at mid-March
 * raises C1 then, not after the rest of the file. */
static void test_backtest_feed_merges_by_time(void **state)
{
    struct gen g;
    struct rs_config *conf = test_config();
    struct rs_backtest_options opt;
    struct rs_backtest *bt;
    struct rs_buf buf;
    char err[1024];
    size_t c1;
    int found = 0;

    (void)state;
    gen_init(&g, "feed");
    make_scenario(&g);
    gen_init(&g, "feed-value");
    rs_buf_init(&buf, 0);
    encode(&g, RS_EVENT_BUREAU,
           "event_id=b1 event_time=2025-03-15T00:00:00Z customer_id=C1 "
           "type=BANKRUPTCY_FILING source=Bureau filing_kind=petition",
           &buf);
    rs_registry_destroy(g.reg);
    snprintf(g.path, sizeof(g.path), "/tmp/rs-backtest-%d-feed.rsev",
             (int)getpid());
    memset(&opt, 0, sizeof(opt));
    opt.conf = conf;
    opt.events_path = g.path;
    opt.partitions = 2;
    opt.until = RS_BACKTEST_UNTIL_NONE;
    bt = rs_backtest_new(&opt, err, sizeof(err));
    if (!bt)
        fail_msg("%s", err);
    assert_int_equal(rs_backtest_feed(bt, RS_EVENT_BUREAU, "C1", 2, buf.data,
                                      buf.len, err, sizeof(err)),
                     0);
    assert_int_equal(rs_backtest_feed(bt, RS_EVENT_BUREAU, "C1", 2, "junk", 4,
                                      err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "fed record for key 'C1' does not decode"));
    if (rs_backtest_run(bt, err, sizeof(err)))
        fail_msg("%s", err);
    c1 = rs_backtest_customer_index(bt, "C1");
    for (size_t i = 0; i < bt->alert_count; i++) {
        const struct rs_backtest_alert *a = &bt->alerts[i];

        if (a->customer == c1 && strstr(a->codes, "BANKRUPTCY_FILING")) {
            int64_t want;

            assert_int_equal(rs_avro_parse_timestamp("2025-03-15T00:00:00Z",
                                                     &want),
                             0);
            assert_true(a->time == want);
            assert_int_equal(a->level_after, RS_LEVEL_CRITICAL);
            found = 1;
            break;
        }
    }
    assert_true(found);
    assert_int_equal(bt->fed, 1);
    rs_buf_release(&buf);
    rs_backtest_destroy(bt);
    rs_config_destroy(conf);
    unlink(g.path);
}

static char *read_report(const char *dir, const char *name)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return rs_test_read_file(path, NULL);
}

static size_t occurrences(const char *text, const char *what)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, what)); p++)
        n++;
    return n;
}

/* The command end to end: report directory with its files. */
static void test_backtest_command_report(void **state)
{
    struct gen g;
    char dir[128], truth[160], schemas[512];
    char *argv[16];
    int argc = 0;
    FILE *fp;
    char *json, *html, *traj;

    (void)state;
    gen_init(&g, "cmd");
    make_scenario(&g);
    snprintf(dir, sizeof(dir), "/tmp/rs-backtest-%d-report", (int)getpid());
    snprintf(truth, sizeof(truth), "%s.truth.csv", dir);
    snprintf(schemas, sizeof(schemas), "schema.dir=%s",
             rs_test_path("schemas"));
    fp = fopen(truth, "w");
    fputs("customer_id,family,onset,reasons\n"
          "C1,none,,\n"
          "C2,overdue,2025-03-01T00:00:00Z,OVERDUE_HIGH|OVERDUE_CRITICAL\n"
          "C3,late_trend,2025-01-01T00:00:00Z,LATE_PAYMENT_TREND\n",
          fp);
    fclose(fp);
    argv[argc++] = (char *)"backtest";
    argv[argc++] = (char *)"--events";
    argv[argc++] = g.path;
    argv[argc++] = (char *)"--report";
    argv[argc++] = dir;
    argv[argc++] = (char *)"-s";
    argv[argc++] = schemas;
    argv[argc++] = (char *)"--truth";
    argv[argc++] = truth;
    argv[argc++] = (char *)"--customer";
    argv[argc++] = (char *)"C3";
    argv[argc] = NULL;
    assert_int_equal(rs_cmd_backtest(argc, argv), 0);

    json = read_report(dir, "quality.json");
    assert_non_null(strstr(json, "\"late_days\": 0,"));
    assert_non_null(strstr(json, "\"invoices_scored\": 18,"));
    assert_non_null(strstr(json, "\"auc_invoice_late\": 0."));
    assert_non_null(strstr(json, "\"baseline_auc_late_share\": 0."));
    assert_non_null(strstr(json, "\"auc_label\": null,"));
    assert_non_null(strstr(json, "\"alert_outcome\": \"truth\","));
    assert_non_null(strstr(json, "\"alert_precision\": 1,"));
    assert_non_null(strstr(json, "\"customers\": 3,"));
    assert_non_null(strstr(json, "\"dead_letters\": 2,"));
    assert_non_null(strstr(json, "\"overdue\": {\"customers\": 1, "
                                 "\"recalled\": 1, \"recalled_any_level\": 1, "
                                 "\"recall\": 1}"));
    /* Counting alerts to MEDIUM too: C3's trend is not alerted at any
     * level, and C1 (family none) rises to MEDIUM twice. */
    assert_non_null(strstr(json, "\"alert_recall_any_level\": 0.5,"));
    assert_non_null(strstr(json, "\"false_alerts_none_any_level\": 2,"));
    assert_non_null(strstr(json, "\"median_lead_time_days\": "));
    assert_non_null(strstr(json, "\"auc_invoice_late_with_history\": "));
    assert_non_null(
        strstr(json, "\"hindsight_auc_late_share_with_history\": "));
    assert_non_null(strstr(json, "\"alerts_per_100_customers_per_month\": "));
    html = read_report(dir, "index.html");
    /* Histogram, alerts per month, and at least two timelines. */
    assert_true(occurrences(html, "<svg ") >= 4);
    assert_non_null(strstr(html, "Customer C3</h3>"));
    assert_non_null(strstr(html, "Customer C2</h3>"));
    assert_non_null(strstr(html, "Ranking of invoices (AUC)"));
    assert_non_null(strstr(html, "Ranking of invoices of known customers "
                                 "(AUC)"));
    assert_non_null(strstr(html, "KEY_MISMATCH"));
    assert_null(strstr(html, "<script"));
    traj = read_report(dir, "trajectories.csv");
    assert_true(strncmp(traj, "customer_id,time,score,level\n", 29) == 0);
    assert_non_null(strstr(traj, "\nC2,"));
    assert_non_null(strstr(traj, ",CRITICAL\n"));
    /* Every score read before an invoice comes with the reasons that made
     * it, and the figures per reason count the invoices with an outcome
     * scored with it. */
    {
        char *inv = read_report(dir, "invoices.csv");
        char *line = strchr(inv, '\n') + 1, *end, want[96];
        size_t rows = 0, with_record = 0;

        for (; *line; line = end + 1) {
            char *f = line, *reasons;
            int score, outcome;

            end = strchr(line, '\n');
            *end = '\0';
            for (int k = 0; k < 6; k++)
                f = strchr(f, ',') + 1; /* to outcome */
            outcome = strncmp(f, "late,", 5) == 0 ||
                      strncmp(f, "on_time,", 8) == 0;
            score = atoi(strchr(f, ',') + 1);
            reasons = strrchr(line, ',') + 1;
            assert_true((score > 0) == (*reasons != '\0'));
            with_record +=
                outcome && strstr(reasons, "PAYMENT_RECORD") != NULL;
            rows++;
        }
        assert_true(rows >= 18);
        assert_true(with_record > 0);
        snprintf(want, sizeof(want),
                 "{\"code\": \"PAYMENT_RECORD\", \"invoices\": %zu, ",
                 with_record);
        assert_non_null(strstr(json, want));
        assert_non_null(strstr(json, "\"reasons_untold\": 0,"));
        free(inv);
    }
    assert_non_null(strstr(html, "What followed each reason"));
    assert_non_null(strstr(html, "<td>PAYMENT_RECORD</td>"));
    free(json);
    free(html);
    free(traj);
    {
        static const char *const files[] = {
            "quality.json", "index.html", "trajectories.csv", "invoices.csv",
            "alerts.jsonl", "deadletters.jsonl"};
        char path[256];

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
            unlink(path);
        }
        rmdir(dir);
    }
    unlink(truth);
    unlink(g.path);
}

/* --csv/--mapping: an ERP export is imported into the report directory and
 * backtested; a bad row fails the run, naming its line. */
static void test_backtest_command_csv(void **state)
{
    static const char header[] =
        "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,"
        "DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,"
        "DaysToSettle,DaysLate\r\n";
    char dir[128], csv[160], labels[160], schemas[512], map[512], path[256];
    char *argv[14], *json, *invoices, *scored;
    int argc = 0;
    FILE *fp;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/rs-backtest-%d-csv", (int)getpid());
    snprintf(csv, sizeof(csv), "%s.csv", dir);
    snprintf(labels, sizeof(labels), "%s.labels.csv", dir);
    fp = fopen(labels, "w");
    fputs("customer_id,label_time,label\n"
          "0379-NEVHP,2013-03-10T00:00:00Z,1\n"
          "8976-AMJEO,2013-03-10T00:00:00Z,0\n",
          fp);
    fclose(fp);
    snprintf(schemas, sizeof(schemas), "schema.dir=%s",
             rs_test_path("schemas"));
    snprintf(map, sizeof(map), "%s",
             rs_test_path("tools/mappings/ibm-accounts-receivable.map"));
    fp = fopen(csv, "w");
    fputs(header, fp);
    fputs("391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,"
          "1/15/2013,Paper,13,0\r\n"
          "391,0379-NEVHP,4/6/2013,0000611366,2/2/2013,3/4/2013,60.00,Yes,"
          "3/20/2013,Paper,46,16\r\n"
          "406,8976-AMJEO,3/3/2012,0007900770,1/26/2013,2/25/2013,61.74,No,"
          "3/3/2013,Electronic,36,6\r\n",
          fp);
    fclose(fp);
    argv[argc++] = (char *)"backtest";
    argv[argc++] = (char *)"--csv";
    argv[argc++] = csv;
    argv[argc++] = (char *)"--mapping";
    argv[argc++] = map;
    argv[argc++] = (char *)"--report";
    argv[argc++] = dir;
    argv[argc++] = (char *)"-s";
    argv[argc++] = schemas;
    argv[argc++] = (char *)"--labels";
    argv[argc++] = labels;
    argv[argc] = NULL;
    assert_int_equal(rs_cmd_backtest(argc, argv), 0);
    snprintf(path, sizeof(path), "%s/events.rsev", dir);
    assert_int_equal(access(path, R_OK), 0);
    json = read_report(dir, "quality.json");
    assert_non_null(strstr(json, "\"invoices_scored\": 3,"));
    assert_non_null(strstr(json, "\"invoices_late\": 2,"));
    assert_non_null(strstr(json, "\"customers\": 2,"));
    assert_non_null(strstr(json, "\"labels_scored\": 2,"));
    free(json);
    /* The rows the AUCs are computed from: each invoice with its dates,
     * outcome and the score held before it (a newcomer's prior, 4), and
     * each label with the score at its time. */
    invoices = read_report(dir, "invoices.csv");
    {
        static const char head[] =
            "customer_id,invoice_id,issued_at,due_date,paid_date,days_late,"
            "outcome,score_before,baseline,reasons\n";

        assert_true(strncmp(invoices, head, sizeof(head) - 1) == 0);
    }
    /* A newcomer's score is its payment record's prior: that reason. */
    assert_non_null(strstr(invoices,
                           "\n0379-NEVHP,0000611365,2013-01-02T00:00:00Z,"
                           "2013-02-01,2013-01-15,-17,on_time,4,0.0000,"
                           "PAYMENT_RECORD\n"));
    assert_non_null(strstr(invoices,
                           "\n0379-NEVHP,0000611366,2013-02-02T00:00:00Z,"
                           "2013-03-04,2013-03-20,16,late,"));
    assert_non_null(strstr(invoices, "\n8976-AMJEO,0007900770,"
                                     "2013-01-26T00:00:00Z,2013-02-25,"
                                     "2013-03-03,6,late,4,"));
    scored = read_report(dir, "labels.csv");
    assert_true(strncmp(scored,
                        "customer_id,label_time,label,score,baseline,"
                        "reasons\n",
                        52) == 0);
    /* The baseline: 0379-NEVHP's second invoice is 6 days past due at the
     * label time; 8976-AMJEO's was paid 6 days after its due date. */
    {
        int label, score, base;
        const char *row = strstr(scored, "\n0379-NEVHP,2013-03-10T00:00:00Z,");

        assert_non_null(row);
        assert_int_equal(sscanf(row + 33, "%d,%d,%d", &label, &score, &base),
                         3);
        assert_int_equal(label, 1);
        assert_true(score > 0);
        assert_int_equal(base, 6);
        /* The reasons that made that score end the row. */
        assert_true(strncmp(strchr(row + 33, '\n') - 17, ",6,PAYMENT_RECORD",
                            17) == 0);
        row = strstr(scored, "\n8976-AMJEO,2013-03-10T00:00:00Z,");
        assert_non_null(row);
        assert_int_equal(sscanf(row + 33, "%d,%d,%d", &label, &score, &base),
                         3);
        assert_int_equal(label, 0);
        assert_int_equal(base, 6);
    }
    free(invoices);
    free(scored);

    fp = fopen(csv, "a");
    fputs("406,8976-AMJEO,3/3/2012,0007900771,13/40/2013,2/25/2013,1.00,No,"
          "3/3/2013,Electronic,36,6\r\n",
          fp);
    fclose(fp);
    assert_int_equal(rs_cmd_backtest(argc, argv), 1);
    unlink(csv);
    unlink(labels);
    {
        static const char *const files[] = {
            "events.rsev",  "quality.json", "index.html",   "trajectories.csv",
            "invoices.csv", "labels.csv",   "alerts.jsonl", "deadletters.jsonl"};

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
            unlink(path);
        }
        rmdir(dir);
    }
}

int rs_cmd_gen(int argc, char **argv); /* src/commands.h */

/* Runs a backtest of path with settings as given (key, value, ...,
 * NULL); the caller destroys the result and the config. */
static struct rs_backtest *run_set(const char *path, struct rs_config **conf,
                                   ...)
{
    struct rs_backtest_options opt;
    struct rs_backtest *bt;
    char err[512];
    const char *key;
    va_list ap;

    *conf = rs_config_new();
    if (rs_config_set(*conf, "schema.dir", rs_test_path("schemas"), err,
                      sizeof(err)))
        fail_msg("%s", err);
    va_start(ap, conf);
    while ((key = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);

        if (rs_config_set(*conf, key, value, err, sizeof(err)))
            fail_msg("%s", err);
    }
    va_end(ap);
    memset(&opt, 0, sizeof(opt));
    opt.conf = *conf;
    opt.events_path = path;
    opt.until = RS_BACKTEST_UNTIL_DATA_END;
    bt = rs_backtest_new(&opt, err, sizeof(err));
    if (!bt || rs_backtest_run(bt, err, sizeof(err)))
        fail_msg("%s", err);
    return bt;
}

/* A generated year of 120 customers, 30 % of them deteriorating, into
 * path and its truth. */
static void gen_year(char *path, size_t path_size, char *truth,
                     size_t truth_size, const char *tag, const char *seed)
{
    const char *args[] = {"gen", "--customers", "120", "--days", "400",
                          "--start", "2025-01-01", "--seed", seed,
                          "--deteriorating-share", "0.3", "--out", path,
                          "--truth", truth, "--schemas", NULL, NULL};
    char *argv[18];

    snprintf(path, path_size, "/tmp/rs-backtest-%d-%s.rsev", (int)getpid(),
             tag);
    snprintf(truth, truth_size, "%s.truth.csv", path);
    args[16] = rs_test_path("schemas");
    for (int i = 0; i < 18; i++)
        argv[i] = (char *)(uintptr_t)args[i];
    assert_int_equal(rs_cmd_gen(17, argv), 0);
}

/* Two runs decided the same: every alert, and every customer's scores and
 * levels in the same order (a point's time may be earlier in b: the time
 * of the evaluation that made the change, where a would have kept the
 * time of a later one that changed nothing). */
static void assert_same_decisions(const struct rs_backtest *a,
                                  const struct rs_backtest *b)
{
    size_t *next = calloc(a->customer_count + 1, sizeof(*next));

    assert_int_equal(a->alert_count, b->alert_count);
    for (size_t i = 0; i < a->alert_count; i++) {
        const struct rs_backtest_alert *x = &a->alerts[i], *y = &b->alerts[i];

        if (x->customer != y->customer || x->time != y->time ||
            x->level_after != y->level_after ||
            x->score_after != y->score_after ||
            strcmp(x->codes, y->codes) != 0)
            fail_msg("alert %zu differs: %s %d '%s' against %d '%s'", i,
                     a->customers[x->customer].id, (int)x->score_after,
                     x->codes, (int)y->score_after, y->codes);
    }
    assert_int_equal(a->point_count, b->point_count);
    /* Per customer, in order. */
    for (size_t i = 0; i < a->point_count; i++) {
        const struct rs_backtest_point *x = &a->points[i];
        size_t j = next[x->customer];

        while (j < b->point_count && b->points[j].customer != x->customer)
            j++;
        assert_true(j < b->point_count);
        assert_int_equal(x->score, b->points[j].score);
        assert_int_equal(x->level, b->points[j].level);
        assert_true(b->points[j].time <= x->time);
        next[x->customer] = j + 1;
    }
    free(next);
}

/* The engine looks past a detector's timers whose evaluation would change
 * nothing (evaluate.lookahead): the same decisions as firing every timer,
 * with fewer evaluations. */
static void test_backtest_lookahead_changes_nothing(void **state)
{
    char path[128], truth[160];
    struct rs_config *c0, *c1;
    struct rs_backtest *a, *b;

    (void)state;
    gen_year(path, sizeof(path), truth, sizeof(truth), "ahead", "7");
    /* The segment's health (the cluster detector, which reads outside the
     * customer) reaches a customer at its next evaluation: with fewer
     * timers, at a later one. Left out here; docs/architecture.md. */
    a = run_set(path, &c0, "evaluate.lookahead", "0", "detector.cluster.score",
                "0", (const char *)NULL);
    b = run_set(path, &c1, "evaluate.lookahead", "64",
                "detector.cluster.score", "0", (const char *)NULL);
    assert_true(a->alert_count > 50);
    assert_same_decisions(a, b);
    /* Fewer timers: overdue, ordering and payment_record time their
     * changes exactly (test_det_timers), the others' timers that change
     * nothing are skipped. */
    assert_true(b->timers_fired < a->timers_fired);
    rs_backtest_destroy(a);
    rs_backtest_destroy(b);
    rs_config_destroy(c0);
    rs_config_destroy(c1);
    unlink(path);
    unlink(truth);
}

/* The engine re-runs only the detectors an event or a due timer concerns
 * and reuses the others' last answers: over a generated year with every
 * kind of planted deterioration (groups included), that gives exactly the
 * alerts and scores of running every detector every time. */
static void test_backtest_reuse_changes_nothing(void **state)
{
    char path[128], truth[160];
    struct rs_config *c0, *c1;
    struct rs_backtest *a, *b;

    (void)state;
    gen_year(path, sizeof(path), truth, sizeof(truth), "reuse", "5");
    a = run_set(path, &c0, "evaluate.all", "0", (const char *)NULL);
    b = run_set(path, &c1, "evaluate.all", "1", (const char *)NULL);
    assert_true(a->alert_count > 50);
    assert_same_decisions(a, b);
    for (size_t i = 0; i < a->point_count; i++)
        assert_int_equal(a->points[i].score, b->points[i].score);
    rs_backtest_destroy(a);
    rs_backtest_destroy(b);
    rs_config_destroy(c0);
    rs_config_destroy(c1);
    unlink(path);
    unlink(truth);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backtest_partition_matches_kafka),
        cmocka_unit_test(test_backtest_scenario),
        cmocka_unit_test(test_backtest_feed_merges_by_time),
        cmocka_unit_test(test_backtest_command_report),
        cmocka_unit_test(test_backtest_command_csv),
        cmocka_unit_test(test_backtest_reuse_changes_nothing),
        cmocka_unit_test(test_backtest_lookahead_changes_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
