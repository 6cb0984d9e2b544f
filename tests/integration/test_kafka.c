/* riskstream's Kafka code against the real local broker: topics, framed
 * Avro round trips through a consumer group, transactions seen through
 * read_committed. Each test uses fresh topic and group names. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/avro_text.h"
#include "riskstream/frame.h"
#include "riskstream/kafka.h"
#include "riskstream/registry.h"

static struct rs_config *test_config(const char *group)
{
    struct rs_config *c = rs_config_new();
    char errstr[256];

    if (rs_config_set(c, "kafka.bootstrap.servers", rs_test_kafka_brokers(),
                      errstr, sizeof(errstr)) ||
        rs_config_set(c, "app.id", group, errstr, sizeof(errstr)) ||
        rs_config_set(c, "schema.dir", rs_test_path("schemas"), errstr,
                      sizeof(errstr)))
        fail_msg("%s", errstr);
    return c;
}

static void create_topic(const struct rs_config *c, const char *topic,
                         int partitions)
{
    char errstr[512];
    rd_kafka_t *rk = rs_kafka_new(c, RS_KAFKA_ROLE_PRODUCER, NULL, NULL,
                                  errstr, sizeof(errstr));

    assert_non_null(rk);
    if (rs_kafka_topics_create(rk, &topic, 1, partitions, 30000, errstr,
                               sizeof(errstr)))
        fail_msg("%s", errstr);
    rd_kafka_destroy(rk);
}

/* Encodes an Invoice for customer with the given framing. */
static void encode_invoice(const struct rs_registry *reg, const char *customer,
                           long long amount, enum rs_frame_kind kind,
                           struct rs_buf *out)
{
    const struct rs_schema_entry *e =
        rs_registry_by_name(reg, "io.riskstream.Invoice");
    avro_value_iface_t *iface = avro_generic_class_from_schema(e->schema);
    avro_value_t rec;
    char fields[512], errstr[256];
    uint8_t hdr[RS_FRAME_SINGLE_OBJECT_HEADER];

    snprintf(fields, sizeof(fields),
             "event_id=e-%s event_time=2026-09-01T09:00:00Z customer_id=%s "
             "type=ISSUED invoice_id=I-%s amount=%lld currency=EUR "
             "issue_date=2026-09-01 due_date=2026-10-01 payment_terms_days=30",
             customer, customer, customer, amount);
    avro_generic_value_new(iface, &rec);
    if (rs_avro_fill(&rec, fields, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    rs_buf_reset(out);
    if (kind == RS_FRAME_CONFLUENT)
        rs_buf_append(out, hdr, rs_frame_write_confluent(hdr, e->id));
    else
        rs_buf_append(out, hdr,
                      rs_frame_write_single_object(hdr, e->fingerprint));
    assert_int_equal(rs_avro_encode(&rec, out), 0);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
}

/* Decodes a framed Invoice and returns its customer id and amount. */
static void decode_invoice(const struct rs_registry *reg, const void *data,
                           size_t len, char *customer, size_t size,
                           long long *amount)
{
    struct rs_frame fr;
    const struct rs_schema_entry *e;
    avro_value_iface_t *iface;
    avro_value_t rec, f;
    avro_reader_t r;
    const char *s;
    size_t slen;
    int64_t v;

    assert_int_equal(rs_frame_parse(data, len, &fr), RS_FRAME_OK);
    e = fr.kind == RS_FRAME_CONFLUENT
            ? rs_registry_by_id(reg, fr.schema_id)
            : rs_registry_by_fingerprint(reg, fr.fingerprint);
    assert_non_null(e);
    assert_string_equal(e->fullname, "io.riskstream.Invoice");
    iface = avro_generic_class_from_schema(e->schema);
    avro_generic_value_new(iface, &rec);
    r = avro_reader_memory((const char *)fr.body, (int64_t)fr.body_len);
    assert_int_equal(avro_value_read(r, &rec), 0);
    avro_value_get_by_name(&rec, "customer_id", &f, NULL);
    avro_value_get_string(&f, &s, &slen);
    snprintf(customer, size, "%s", s);
    avro_value_get_by_name(&rec, "amount", &f, NULL);
    avro_value_get_long(&f, &v);
    *amount = v;
    avro_reader_free(r);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
}

static rd_kafka_message_t *poll_one(rd_kafka_t *rk, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 500) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);

        if (!m)
            continue;
        if (!m->err)
            return m;
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fail_msg("consume error: %s", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static rd_kafka_t *subscribe(const struct rs_config *c, const char *topic)
{
    char errstr[512];
    rd_kafka_t *rk = rs_kafka_new(c, RS_KAFKA_ROLE_CONSUMER, NULL, NULL,
                                  errstr, sizeof(errstr));
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);

    assert_non_null(rk);
    rd_kafka_topic_partition_list_add(t, topic, RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(rk, t), 0);
    rd_kafka_topic_partition_list_destroy(t);
    return rk;
}

static void test_kafka_avro_roundtrip_through_group(void **state)
{
    char topic[128], group[128], errstr[512], customer[64];
    struct rs_config *c;
    struct rs_registry *reg;
    rd_kafka_t *prod, *cons;
    struct rs_buf buf;
    rd_kafka_message_t *m;
    long long amount;

    (void)state;
    rs_test_require_kafka();
    rs_test_unique("rs-it-roundtrip", topic, sizeof(topic));
    c = test_config(rs_test_unique("rs-it-group", group, sizeof(group)));
    reg = rs_registry_load(c->schema_dir, errstr, sizeof(errstr));
    assert_non_null(reg);
    create_topic(c, topic, 1);

    prod = rs_kafka_new(c, RS_KAFKA_ROLE_PRODUCER, NULL, NULL, errstr,
                        sizeof(errstr));
    assert_non_null(prod);
    rs_buf_init(&buf, 0);
    encode_invoice(reg, "C-7", 123456, RS_FRAME_CONFLUENT, &buf);
    assert_int_equal(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic),
                                       RD_KAFKA_V_KEY("C-7", 3),
                                       RD_KAFKA_V_VALUE(buf.data, buf.len),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END),
                     0);
    encode_invoice(reg, "C-8", 99, RS_FRAME_SINGLE_OBJECT, &buf);
    assert_int_equal(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic),
                                       RD_KAFKA_V_KEY("C-8", 3),
                                       RD_KAFKA_V_VALUE(buf.data, buf.len),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(prod, 30000), 0);
    rd_kafka_destroy(prod);

    cons = subscribe(c, topic);
    m = poll_one(cons, 30000);
    assert_non_null(m);
    assert_memory_equal(m->key, "C-7", 3);
    decode_invoice(reg, m->payload, m->len, customer, sizeof(customer),
                   &amount);
    assert_string_equal(customer, "C-7");
    assert_int_equal(amount, 123456);
    /* Commit the first record only: the group must resume at the second. */
    assert_int_equal(rd_kafka_commit_message(cons, m, 0), 0);
    rd_kafka_message_destroy(m);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);

    cons = subscribe(c, topic);
    m = poll_one(cons, 30000);
    assert_non_null(m);
    decode_invoice(reg, m->payload, m->len, customer, sizeof(customer),
                   &amount);
    assert_string_equal(customer, "C-8");
    assert_int_equal(amount, 99);
    assert_int_equal(m->offset, 1);
    rd_kafka_message_destroy(m);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);

    rs_buf_release(&buf);
    rs_registry_destroy(reg);
    rs_config_destroy(c);
}

static void txn_produce(rd_kafka_t *rk, const char *topic, const char *value,
                        int commit)
{
    rd_kafka_error_t *err = rd_kafka_begin_transaction(rk);

    if (err)
        fail_msg("begin: %s", rd_kafka_error_string(err));
    assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                       RD_KAFKA_V_KEY("k", 1),
                                       RD_KAFKA_V_VALUE((void *)(uintptr_t)value,
                                                        strlen(value)),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END),
                     0);
    /* Abort only once the records are delivered: an abort racing the
     * first produce can fail fatally with INVALID_TXN_STATE (librdkafka
     * #4849; docs/dependencies.md K13). */
    if (!commit)
        assert_int_equal(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    err = commit ? rd_kafka_commit_transaction(rk, -1)
                 : rd_kafka_abort_transaction(rk, -1);
    if (err)
        fail_msg("%s: %s", commit ? "commit" : "abort",
                 rd_kafka_error_string(err));
}

/* The broker version we pin must support librdkafka 2.0.2's transactional
 * producer; a read_committed consumer sees committed records only. */
static void test_kafka_transactions_read_committed(void **state)
{
    char topic[128], group[128], txid[128], errstr[512];
    struct rs_config *c;
    rd_kafka_t *prod, *cons;
    rd_kafka_error_t *err;
    rd_kafka_message_t *m;
    const char *want[] = {"committed-1", "committed-2"};

    (void)state;
    rs_test_require_kafka();
    rs_test_unique("rs-it-txn", topic, sizeof(topic));
    c = test_config(rs_test_unique("rs-it-group", group, sizeof(group)));
    create_topic(c, topic, 1);

    prod = rs_kafka_new(c, RS_KAFKA_ROLE_TXN_PRODUCER,
                        rs_test_unique("rs-it-txid", txid, sizeof(txid)), NULL,
                        errstr, sizeof(errstr));
    if (!prod)
        fail_msg("%s", errstr);
    err = rd_kafka_init_transactions(prod, 30000);
    if (err)
        fail_msg("init_transactions: %s", rd_kafka_error_string(err));
    txn_produce(prod, topic, "committed-1", 1);
    txn_produce(prod, topic, "aborted", 0);
    txn_produce(prod, topic, "committed-2", 1);
    rd_kafka_destroy(prod);

    cons = subscribe(c, topic);
    for (size_t i = 0; i < 2; i++) {
        m = poll_one(cons, 30000);
        assert_non_null(m);
        if (m->len != strlen(want[i]) ||
            memcmp(m->payload, want[i], m->len) != 0)
            fail_msg("record %zu is '%.*s', want '%s'", i, (int)m->len,
                     (const char *)m->payload, want[i]);
        rd_kafka_message_destroy(m);
    }
    m = poll_one(cons, 2000);
    if (m)
        fail_msg("unexpected record '%.*s'", (int)m->len,
                 (const char *)m->payload);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rs_config_destroy(c);
}

static void test_kafka_topics_create_checks_partitions(void **state)
{
    char topic[128], group[128], errstr[512] = "";
    struct rs_config *c;
    rd_kafka_t *rk;
    const char *t = topic;

    (void)state;
    rs_test_require_kafka();
    rs_test_unique("rs-it-parts", topic, sizeof(topic));
    c = test_config(rs_test_unique("rs-it-group", group, sizeof(group)));
    create_topic(c, topic, 3);
    create_topic(c, topic, 3); /* existing with the same count: fine */
    rk = rs_kafka_new(c, RS_KAFKA_ROLE_PRODUCER, NULL, NULL, errstr,
                      sizeof(errstr));
    assert_int_equal(rs_kafka_partition_count(rk, topic, 10000, errstr,
                                              sizeof(errstr)),
                     3);
    assert_int_equal(rs_kafka_topics_create(rk, &t, 1, 2, 10000, errstr,
                                            sizeof(errstr)),
                     -1);
    if (!strstr(errstr, topic) || !strstr(errstr, "3 partitions, expected 2"))
        fail_msg("error does not name the topic and counts: %s", errstr);
    rd_kafka_destroy(rk);
    rs_config_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kafka_avro_roundtrip_through_group),
        cmocka_unit_test(test_kafka_transactions_read_committed),
        cmocka_unit_test(test_kafka_topics_create_checks_partitions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
