/* `riskstream run` end to end against the real broker and Redis: events in,
 * the expected alerts out with their fields, the customer's state as
 * `riskstream state` prints it (and the summary hash when asked for),
 * byte-identical alerts from a second run, dead letters for bad input with
 * the good input's state unchanged. */
#include "support.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <hiredis/hiredis.h>

#include "pipeline.h"
#include "riskstream/avro_text.h"
#include "riskstream/kafka.h"
#include "riskstream/mem.h"

#define RUN_TIMEOUT_MS 60000

/* Three customers on one task: one pays on time, one never pays, one pays
 * late; a fourth only advances stream time. */
static void produce_scenario(struct rs_pipe *p)
{
    rs_pipe_produce(p, RS_EVENT_INVOICE,
                    "event_id=e-good-1 event_time=2026-01-05T09:00:00Z "
                    "customer_id=C-GOOD type=ISSUED invoice_id=I-1 "
                    "amount=100000 currency=EUR issue_date=2026-01-05 "
                    "due_date=2026-02-04 payment_terms_days=30 segment=retail",
                    NULL);
    rs_pipe_produce(p, RS_EVENT_INVOICE,
                    "event_id=e-late-1 event_time=2026-01-06T09:00:00Z "
                    "customer_id=C-LATE type=ISSUED invoice_id=I-2 "
                    "amount=250000 currency=EUR issue_date=2026-01-06 "
                    "due_date=2026-02-05 payment_terms_days=30 "
                    "segment=wholesale",
                    NULL);
    rs_pipe_produce(p, RS_EVENT_INVOICE,
                    "event_id=e-rec-1 event_time=2026-01-07T09:00:00Z "
                    "customer_id=C-RECOVER type=ISSUED invoice_id=I-3 "
                    "amount=50000 currency=EUR issue_date=2026-01-07 "
                    "due_date=2026-02-06 payment_terms_days=30",
                    NULL);
    rs_pipe_produce(p, RS_EVENT_PAYMENT,
                    "event_id=e-good-2 event_time=2026-02-01T10:00:00Z "
                    "customer_id=C-GOOD type=FULL payment_id=P-1 "
                    "amount=100000 currency=EUR payment_date=2026-02-01 "
                    "invoice_id=I-1",
                    NULL);
    rs_pipe_produce(p, RS_EVENT_COMM,
                    "event_id=e-late-2 event_time=2026-02-10T08:00:00Z "
                    "customer_id=C-LATE type=REMINDER invoice_id=I-2 "
                    "dunning_level=1 channel=EMAIL",
                    NULL);
    rs_pipe_produce(p, RS_EVENT_PAYMENT,
                    "event_id=e-rec-2 event_time=2026-03-01T10:00:00Z "
                    "customer_id=C-RECOVER type=FULL payment_id=P-3 "
                    "amount=50000 currency=EUR payment_date=2026-03-01 "
                    "invoice_id=I-3",
                    NULL);
    rs_pipe_produce(p, RS_EVENT_COMM,
                    "event_id=e-clock-1 event_time=2026-03-20T08:00:00Z "
                    "customer_id=C-CLOCK type=INBOUND_REPLY channel=EMAIL",
                    NULL);
    rs_pipe_flush(p);
}

static int64_t ms_of(const char *iso)
{
    int64_t ms;

    assert_int_equal(rs_avro_parse_timestamp(iso, &ms), 0);
    return ms;
}

/* Runs `riskstream state` with p's config on the ids; checks the exit
 * status and returns its standard output and error (heap). */
static void state_cli(const struct rs_pipe *p, const char *ids, int status,
                      char **out, char **err)
{
    char cmd[1024], o[256], e[256];
    int rc;

    snprintf(o, sizeof(o), "/tmp/%s-state.out", p->name);
    snprintf(e, sizeof(e), "/tmp/%s-state.err", p->name);
    snprintf(cmd, sizeof(cmd), "'%s' state --config '%s' %s > '%s' 2> '%s'",
             rs_test_binary(), rs_pipe_config(p, NULL), ids, o, e);
    rc = system(cmd);
    *out = rs_test_read_file(o, NULL);
    *err = rs_test_read_file(e, NULL);
    if (!WIFEXITED(rc) || WEXITSTATUS(rc) != status)
        fail_msg("riskstream state %s: status %d, want %d; stderr: %s", ids,
                 WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, status, *err);
}

/* EXISTS P:{t0}:<suffix>. */
static long long redis_exists(const struct rs_pipe *p, const char *suffix)
{
    redisContext *c = rs_pipe_redis();
    redisReply *r = redisCommand(c, "EXISTS %s:{t0}:%s", p->prefix, suffix);
    long long n;

    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    n = r->integer;
    freeReplyObject(r);
    redisFree(c);
    return n;
}

/* HGET P:{t0}:<suffix> field (heap), failing when there is none. */
static char *redis_hget(const struct rs_pipe *p, const char *suffix,
                        const char *field)
{
    redisContext *c = rs_pipe_redis();
    redisReply *r = redisCommand(c, "HGET %s:{t0}:%s %s", p->prefix, suffix,
                                 field);
    char *v;

    if (!r || r->type != REDIS_REPLY_STRING)
        fail_msg("no field '%s' in %s:{t0}:%s", field, p->prefix, suffix);
    v = rs_strdup(r->str);
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static void test_run_alerts_and_state(void **state)
{
    struct rs_pipe p, q;
    struct rs_record *alerts = NULL, *again = NULL;
    size_t n, m;
    char id[256], want[512], *json, *hash, *text;
    const char *expect[4];
    char e0[200], e1[200], e2[200], e3[200];

    (void)state;
    rs_pipe_init(&p, "rs-it-run", 1);
    produce_scenario(&p);
    rs_pipe_run_to_end(&p, NULL, RUN_TIMEOUT_MS);

    n = rs_pipe_read(&p, 4, 10, 3000, &alerts);
    assert_int_equal(n, 4);

    /* The alerts, in the order they happened, with deterministic ids. */
    snprintf(e0, sizeof(e0), "C-LATE/timer-%lld/LOW-MEDIUM",
             (long long)ms_of("2026-02-12T00:00:00Z"));
    snprintf(e1, sizeof(e1), "C-RECOVER/timer-%lld/LOW-MEDIUM",
             (long long)ms_of("2026-02-13T00:00:00Z"));
    snprintf(e2, sizeof(e2), "C-RECOVER/payment-0-1/MEDIUM-LOW");
    snprintf(e3, sizeof(e3), "C-LATE/timer-%lld/MEDIUM-HIGH",
             (long long)ms_of("2026-03-07T00:00:00Z"));
    expect[0] = e0;
    expect[1] = e1;
    expect[2] = e2;
    expect[3] = e3;
    for (size_t i = 0; i < n; i++) {
        json = rs_pipe_json(&p, &alerts[i]);
        assert_int_equal(rs_pipe_json_str(json, "alert_id", id, sizeof(id)),
                         0);
        if (strcmp(id, expect[i]) != 0)
            fail_msg("alert %zu is '%s', want '%s'", i, id, expect[i]);
        free(json);
    }

    /* Every field a user reads, on the MEDIUM -> HIGH alert. */
    json = rs_pipe_json(&p, &alerts[3]);
    assert_string_equal(alerts[3].key, "C-LATE");
    assert_non_null(strstr(json, "\"customer_id\": \"C-LATE\""));
    assert_non_null(strstr(json, "\"level_before\": \"MEDIUM\""));
    assert_non_null(strstr(json, "\"level_after\": \"HIGH\""));
    /* Overdue 60, plus a quarter of the silence finding (30: the reminder
     * of 02-10 got no answer within 14 days) and of the payment record
     * (10: its one invoice is known late, 30 days: 10 x 57 % + 4). */
    if (!strstr(json, "\"score_before\": 49"))
        fail_msg("alert: %s", json);
    if (!strstr(json, "\"score_after\": 69"))
        fail_msg("alert: %s", json);
    assert_non_null(strstr(json, "\"code\": \"PAYMENT_RECORD\""));
    assert_non_null(strstr(json, "\"code\": \"SILENCE_NO_RESPONSE\""));
    snprintf(want, sizeof(want), "\"event_time\": %lld",
             (long long)ms_of("2026-03-07T00:00:00Z"));
    assert_non_null(strstr(json, want));
    assert_non_null(strstr(json, "\"segment\": {\"string\": \"wholesale\"}"));
    assert_non_null(strstr(json, "\"detector\": \"overdue\""));
    assert_non_null(strstr(json, "\"code\": \"OVERDUE_HIGH\""));
    assert_non_null(strstr(json, "invoice I-2 has 2,500.00 EUR open 30 days "
                                 "after its due date"));
    assert_non_null(strstr(json, "\"value\": 30"));
    assert_non_null(strstr(json, "\"threshold\": 7"));
    assert_non_null(strstr(json, "\"evidence_event_ids\": [\"e-late-1\"]"));
    assert_non_null(strstr(json, "\"code\": \"STRICT_DUNNING\""));
    assert_non_null(strstr(json, "\"code\": \"PREPAYMENT\""));
    snprintf(want, sizeof(want), "\"topic\": \"%s\"", p.topics[0]);
    assert_non_null(strstr(json, want));
    free(json);

    /* The customer as an operator reads it: `riskstream state`; one not
     * in Redis is named with the key looked at, and the exit status is 1.
     * By default no summary hash is written. */
    state_cli(&p, "C-LATE C-NOBODY", 1, &json, &text);
    if (!strstr(json, "{\"customer\":\"C-LATE\",\"task\":0,"
                      "\"level\":\"HIGH\",\"score\":69,"
                      "\"open_amount\":250000,\"overdue_amount\":250000,"
                      "\"days_beyond_terms\":30.0,"
                      "\"last_event_time\":\"2026-02-10T08:00:00.000Z\","
                      "\"evaluated_at\":\"2026-03-07T00:00:00.000Z\","
                      "\"open_invoices\":1,\"next_timer\":"))
        fail_msg("state: %s", json);
    assert_null(strstr(json, "C-NOBODY"));
    snprintf(want, sizeof(want), "customer 'C-NOBODY' is not in Redis: no "
                                 "field 'C-NOBODY' in '%s:{t0}:s'",
             p.prefix);
    if (!strstr(text, want))
        fail_msg("state's error: %s", text);
    free(json);
    free(text);
    assert_int_equal(redis_exists(&p, "sum"), 0);

    /* The same, as the tests' helper reads it. */
    hash = rs_pipe_customer(&p, "C-LATE");
    assert_non_null(hash);
    assert_non_null(strstr(hash, "level=HIGH\n"));
    assert_non_null(strstr(hash, "score=69\n"));
    assert_non_null(strstr(hash, "open_amount=250000\n"));
    assert_non_null(strstr(hash, "overdue_amount=250000\n"));
    /* As of the customer's last evaluation: the timer at 30 days. */
    assert_non_null(strstr(hash, "days_beyond_terms=30.0\n"));
    assert_non_null(strstr(hash, "last_event_time=2026-02-10T08:00:00.000Z\n"));
    free(hash);
    hash = rs_pipe_customer(&p, "C-GOOD");
    assert_non_null(strstr(hash, "level=LOW\n"));
    assert_non_null(strstr(hash, "open_amount=0\n"));
    free(hash);

    /* Determinism: a second run over the same input, with a fresh group,
     * Redis prefix and alerts topic, gives the same alerts byte for byte. */
    rs_pipe_fork(&p, &q, "rs-it-run2");
    rs_pipe_run_to_end(&q, "redis.summary = 1", RUN_TIMEOUT_MS);
    m = rs_pipe_read(&q, 4, 10, 3000, &again);
    assert_int_equal(m, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(again[i].len, alerts[i].len);
        assert_memory_equal(again[i].value, alerts[i].value, alerts[i].len);
    }
    /* With redis.summary = 1 the summary hash holds what `state` prints. */
    state_cli(&q, "C-LATE", 0, &json, &text);
    free(text);
    text = redis_hget(&q, "sum", "C-LATE");
    {
        char *members = strstr(json, "\"level\"");
        char *end = strstr(json, ",\"evaluated_at\"");

        assert_non_null(members);
        assert_non_null(end);
        snprintf(want, sizeof(want), "{%.*s}", (int)(end - members), members);
    }
    assert_string_equal(text, want);
    free(text);
    free(json);
    rs_pipe_records_free(alerts, n);
    rs_pipe_records_free(again, m);
    rs_pipe_release(&q);
    rs_pipe_release(&p);
}

/* Redis lost its writes (here: the task's state deleted) while Kafka kept
 * the group's offsets: riskstream must refuse to continue, saying why. */
static void test_run_refuses_when_redis_lost_state(void **state)
{
    struct rs_pipe p;
    char log[256], cmd[512], *text;
    pid_t pid;
    int status;

    (void)state;
    rs_pipe_init(&p, "rs-it-lost", 1);
    produce_scenario(&p);
    rs_pipe_run_to_end(&p, NULL, RUN_TIMEOUT_MS);
    snprintf(cmd, sizeof(cmd),
             "redis-cli -h %s -p %d --scan --pattern '%s:*' | "
             "xargs -r redis-cli -h %s -p %d del > /dev/null",
             rs_test_redis_host(), rs_test_redis_port(), p.prefix,
             rs_test_redis_host(), rs_test_redis_port());
    assert_int_equal(system(cmd), 0);

    snprintf(log, sizeof(log), "/tmp/%s-again.log", p.name);
    pid = rs_test_spawn_run(rs_pipe_config(&p, NULL), log);
    status = rs_test_stop(pid, 0, 60000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    text = rs_test_read_file(log, NULL);
    if (!strstr(text, "Redis holds no state, but the consumer group has "
                      "committed offsets"))
        fail_msg("no clear refusal in %s", log);
    free(text);
    rs_pipe_release(&p);
}

/* A customer with more open invoices than fit inline is stored as a head
 * and chunks; `riskstream state` reads it whole. */
static void test_run_state_of_chunked_customer(void **state)
{
    struct rs_pipe p;
    char fields[512], *json, *text;
    long long total = 0;

    (void)state;
    rs_pipe_init(&p, "rs-it-chunked", 1);
    for (int i = 0; i < 20; i++) {
        snprintf(fields, sizeof(fields),
                 "event_id=big-%d event_time=2026-01-%02dT09:00:00Z "
                 "customer_id=C-BIG type=ISSUED invoice_id=B-%d "
                 "amount=%d currency=EUR issue_date=2026-01-%02d "
                 "due_date=2026-03-01 payment_terms_days=30",
                 i, i + 1, i, 1000 + i, i + 1);
        rs_pipe_produce(&p, RS_EVENT_INVOICE, fields, NULL);
        total += 1000 + i;
    }
    rs_pipe_flush(&p);
    rs_pipe_run_to_end(&p, NULL, RUN_TIMEOUT_MS);
    assert_true(redis_exists(&p, "c")); /* kept in chunks */
    state_cli(&p, "C-BIG", 0, &json, &text);
    snprintf(fields, sizeof(fields), "\"open_amount\":%lld,", total);
    if (!strstr(json, fields) || !strstr(json, "\"open_invoices\":20,"))
        fail_msg("state: %s", json);
    free(json);
    free(text);
    rs_pipe_release(&p);
}

/* Regression: a task flushed before any record of one of its topics was
 * applied stores no offset for that topic; on restart that topic must be
 * read from its beginning (the bug was librdkafka's OFFSET_END, -1, which
 * skipped every record produced before the restart). */
static void test_run_restart_reads_topic_never_applied(void **state)
{
    struct rs_pipe p;
    char *hash;

    (void)state;
    rs_pipe_init(&p, "rs-it-noofs", 1);
    rs_pipe_produce(&p, RS_EVENT_INVOICE,
                    "event_id=n-1 event_time=2026-01-05T09:00:00Z "
                    "customer_id=C-N type=ISSUED invoice_id=I-N amount=70000 "
                    "currency=EUR issue_date=2026-01-05 due_date=2026-02-04 "
                    "payment_terms_days=30",
                    NULL);
    rs_pipe_flush(&p);
    rs_pipe_run_to_end(&p, NULL, RUN_TIMEOUT_MS); /* no payment applied */
    rs_pipe_produce(&p, RS_EVENT_PAYMENT,
                    "event_id=n-2 event_time=2026-02-01T10:00:00Z "
                    "customer_id=C-N type=FULL payment_id=P-N amount=70000 "
                    "currency=EUR payment_date=2026-02-01 invoice_id=I-N",
                    NULL);
    rs_pipe_flush(&p);
    rs_pipe_run_to_end(&p, NULL, RUN_TIMEOUT_MS);
    hash = rs_pipe_customer(&p, "C-N");
    assert_non_null(hash);
    assert_non_null(strstr(hash, "open_amount=0\n"));
    free(hash);
    rs_pipe_release(&p);
}

/* Input topics with different partition counts: riskstream refuses to
 * start and names the topics and counts. */
static void test_run_refuses_topics_not_copartitioned(void **state)
{
    struct rs_pipe p;
    struct rs_config *conf = rs_config_new();
    char errstr[512], log[256], topic[200], *text;
    const char *t = topic;
    rd_kafka_t *rk;
    pid_t pid;
    int status;

    (void)state;
    rs_pipe_init(&p, "rs-it-copart", 2);
    /* A payments topic of 3 partitions instead of 2. */
    snprintf(topic, sizeof(topic), "%s-payments3", p.name);
    rs_config_set(conf, "kafka.bootstrap.servers", rs_test_kafka_brokers(),
                  errstr, sizeof(errstr));
    rk = rs_kafka_new(conf, RS_KAFKA_ROLE_PRODUCER, NULL, NULL, errstr,
                      sizeof(errstr));
    assert_int_equal(rs_kafka_topics_create(rk, &t, 1, 3, 30000, errstr,
                                            sizeof(errstr)),
                     0);
    rd_kafka_destroy(rk);
    rs_config_destroy(conf);
    snprintf(p.topics[1], sizeof(p.topics[1]), "%s", topic);

    snprintf(log, sizeof(log), "/tmp/%s.log", p.name);
    pid = rs_test_spawn_run(rs_pipe_config(&p, NULL), log);
    status = rs_test_stop(pid, 0, 60000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    text = rs_test_read_file(log, NULL);
    if (!strstr(text, "input topics are not co-partitioned") ||
        !strstr(text, topic) || !strstr(text, "has 3"))
        fail_msg("no clear refusal in %s", log);
    free(text);
    rs_pipe_release(&p);
}

/* A partition read to its end while records still wait undecoded behind
 * a full orderer queue is caught up once they are in: the run reaches the
 * end (regression: the last records waited forever for more input). */
static void test_run_small_queue_reaches_end(void **state)
{
    struct rs_pipe p;
    char f[512];

    (void)state;
    rs_pipe_init(&p, "rs-it-smallq", 1);
    for (int i = 0; i < 20000; i++) {
        int day = 1 + i / 800, min = (i / 60) % 60, sec = i % 60;

        snprintf(f, sizeof(f),
                 "event_id=q-%d event_time=2026-01-%02dT%02d:%02d:%02dZ "
                 "customer_id=Q-%d type=ISSUED invoice_id=QI-%d "
                 "amount=10000 currency=EUR issue_date=2026-01-%02d "
                 "due_date=2026-02-%02d payment_terms_days=30",
                 i, day, (i / 3600) % 24, min, sec, i % 300, i, day, day);
        rs_pipe_produce(&p, RS_EVENT_INVOICE, f, NULL);
        if (i % 4 == 0) {
            snprintf(f, sizeof(f),
                     "event_id=qc-%d event_time=2026-01-%02dT%02d:%02d:%02dZ "
                     "customer_id=Q-%d type=REMINDER invoice_id=QI-%d",
                     i, day, (i / 3600) % 24, min, sec, i % 300, i);
            rs_pipe_produce(&p, RS_EVENT_COMM, f, NULL);
        }
    }
    rs_pipe_produce(&p, RS_EVENT_PAYMENT,
                    "event_id=q-pay event_time=2026-01-31T10:00:00Z "
                    "customer_id=Q-1 type=FULL payment_id=QP amount=10000 "
                    "currency=EUR payment_date=2026-01-31 invoice_id=QI-1",
                    NULL);
    rs_pipe_flush(&p);
    /* Fails if riskstream does not apply all 25,001 records in 120 s. */
    rs_pipe_run_to_end(&p, "order.queue.records = 16\n", 120000);
    rs_pipe_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_alerts_and_state),
        cmocka_unit_test(test_run_refuses_when_redis_lost_state),
        cmocka_unit_test(test_run_refuses_topics_not_copartitioned),
        cmocka_unit_test(test_run_restart_reads_topic_never_applied),
        cmocka_unit_test(test_run_state_of_chunked_customer),
        cmocka_unit_test(test_run_small_queue_reaches_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
