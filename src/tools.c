/* Operator tools: topics, sample, tail, state (see tools.h).
 *
 * These are the adapters' first users and double as the smoke test of a
 * deployment: if `topics`, `sample` and `tail` work, the broker, the schemas
 * and riskstream's Kafka settings agree. */
#include "riskstream/tools.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/avro_text.h"
#include "riskstream/backtest.h"
#include "riskstream/buf.h"
#include "riskstream/customer.h"
#include "riskstream/format.h"
#include "riskstream/frame.h"
#include "riskstream/kafka.h"
#include "riskstream/mem.h"
#include "riskstream/store.h"

#define RS_TOOLS_TIMEOUT_MS 30000
#define STATE_METADATA_TIMEOUT_MS 10000

int rs_tools_topics(const struct rs_config *conf, char *errstr,
                    size_t errstr_size)
{
    const char *topics[] = {conf->topic_invoices,   conf->topic_payments,
                            conf->topic_bureau,     conf->topic_communications,
                            conf->topic_alerts,     conf->topic_deadletter};
    rd_kafka_t *rk = rs_kafka_new(conf, RS_KAFKA_ROLE_PRODUCER, NULL, NULL,
                                  errstr, errstr_size);
    int rc;

    if (!rk)
        return -1;
    rc = rs_kafka_topics_create(rk, topics, sizeof(topics) / sizeof(*topics),
                                (int)conf->topic_partitions,
                                RS_TOOLS_TIMEOUT_MS, errstr, errstr_size);
    rd_kafka_destroy(rk);
    return rc;
}

/* The built-in sample: a customer who pays on time and one who slides. */
static const struct sample {
    const char *record; /* short record name */
    const char *fields;
} samples[] = {
    {"Invoice", "event_id=s-inv-1 event_time=2026-09-01T09:00:00Z "
                "customer_id=C001 type=ISSUED invoice_id=INV-1 amount=125000 "
                "currency=EUR issue_date=2026-09-01 due_date=2026-10-01 "
                "payment_terms_days=30 sector=construction"},
    {"Invoice", "event_id=s-inv-2 event_time=2026-09-02T09:00:00Z "
                "customer_id=C002 type=ISSUED invoice_id=INV-2 amount=480000 "
                "currency=EUR issue_date=2026-09-02 due_date=2026-10-02 "
                "payment_terms_days=30 sector=wholesale"},
    {"Payment", "event_id=s-pay-1 event_time=2026-09-28T14:00:00Z "
                "customer_id=C001 type=FULL payment_id=P-1 amount=125000 "
                "currency=EUR payment_date=2026-09-28 invoice_id=INV-1 "
                "method=TRANSFER"},
    {"Communication", "event_id=s-com-1 event_time=2026-10-09T08:00:00Z "
                      "customer_id=C002 type=REMINDER invoice_id=INV-2 "
                      "dunning_level=1 channel=EMAIL"},
    {"Communication", "event_id=s-com-2 event_time=2026-10-12T10:30:00Z "
                      "customer_id=C002 type=EXCUSE invoice_id=INV-2 "
                      "excuse_category=CASH_PROBLEMS channel=PHONE"},
    {"Communication", "event_id=s-com-3 event_time=2026-10-12T10:35:00Z "
                      "customer_id=C002 type=PROMISE_TO_PAY invoice_id=INV-2 "
                      "promised_date=2026-10-20 promised_amount=480000 "
                      "currency=EUR channel=PHONE"},
    {"CreditBureauEvent", "event_id=s-bur-1 event_time=2026-10-15T06:00:00Z "
                          "customer_id=C002 type=SCORE_UPDATE source=bureau "
                          "old_score=71 new_score=48 score_max=100"},
    {"Payment", "event_id=s-pay-2 event_time=2026-10-27T11:00:00Z "
                "customer_id=C002 type=PARTIAL payment_id=P-2 amount=100000 "
                "currency=EUR payment_date=2026-10-27 invoice_id=INV-2 "
                "method=TRANSFER"},
};

static const char *sample_topic(const struct rs_config *conf,
                                const char *record)
{
    if (strcmp(record, "Invoice") == 0)
        return conf->topic_invoices;
    if (strcmp(record, "Payment") == 0)
        return conf->topic_payments;
    if (strcmp(record, "CreditBureauEvent") == 0)
        return conf->topic_bureau;
    return conf->topic_communications;
}

/* Encodes one sample into buf (framing + body) and sets its key. */
static int sample_encode(const struct rs_registry *reg, const struct sample *s,
                         struct rs_buf *buf, char *key, size_t key_size,
                         char *errstr, size_t errstr_size)
{
    char name[128];
    const struct rs_schema_entry *e;
    avro_value_iface_t *iface;
    avro_value_t rec, f;
    const char *cust = NULL;
    size_t cust_len = 0;
    uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];
    int rc = -1;

    snprintf(name, sizeof(name), "io.riskstream.%s", s->record);
    e = rs_registry_by_name(reg, name);
    if (!e) {
        snprintf(errstr, errstr_size, "no schema for '%s' in ids.txt", name);
        return -1;
    }
    iface = avro_generic_class_from_schema(e->schema);
    avro_generic_value_new(iface, &rec);
    if (rs_avro_fill(&rec, s->fields, errstr, errstr_size))
        goto out;
    if (avro_value_get_by_name(&rec, "customer_id", &f, NULL) ||
        avro_value_get_string(&f, &cust, &cust_len)) {
        snprintf(errstr, errstr_size, "sample %s has no customer_id", name);
        goto out;
    }
    snprintf(key, key_size, "%s", cust);
    rs_buf_reset(buf);
    rs_buf_append(buf, hdr, rs_frame_write_confluent(hdr, e->id));
    if (rs_avro_encode(&rec, buf)) {
        snprintf(errstr, errstr_size, "cannot encode sample %s: %s", name,
                 avro_strerror());
        goto out;
    }
    rc = 0;
out:
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    return rc;
}

struct delivery {
    size_t acked;
    size_t failed;
    char first_error[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    struct delivery *d = opaque;

    (void)rk;
    if (!m->err) {
        d->acked++;
        return;
    }
    if (d->failed++ == 0)
        snprintf(d->first_error, sizeof(d->first_error), "'%s': %s",
                 rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

int rs_tools_sample(const struct rs_config *conf,
                    const struct rs_registry *reg, size_t *produced,
                    char *errstr, size_t errstr_size)
{
    struct delivery d = {0, 0, ""};
    struct rs_kafka_hooks hooks = {on_delivery, NULL, &d, NULL};
    rd_kafka_t *rk;
    struct rs_buf buf;
    size_t n = sizeof(samples) / sizeof(samples[0]);
    int rc = -1;

    rk = rs_kafka_new(conf, RS_KAFKA_ROLE_PRODUCER, NULL, &hooks, errstr,
                      errstr_size);
    if (!rk)
        return -1;
    rs_buf_init(&buf, 1 << 20);
    for (size_t i = 0; i < n; i++) {
        char key[256];
        rd_kafka_resp_err_t err;

        if (sample_encode(reg, &samples[i], &buf, key, sizeof(key), errstr,
                          errstr_size))
            goto out;
        err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(sample_topic(conf, samples[i].record)),
            RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE(buf.data, buf.len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err) {
            snprintf(errstr, errstr_size, "cannot produce to '%s': %s",
                     sample_topic(conf, samples[i].record),
                     rd_kafka_err2str(err));
            goto out;
        }
    }
    rc = 0;
out:
    rs_buf_release(&buf);
    if (rd_kafka_flush(rk, RS_TOOLS_TIMEOUT_MS) && rc == 0) {
        snprintf(errstr, errstr_size,
                 "sample events not delivered within %d ms",
                 RS_TOOLS_TIMEOUT_MS);
        rc = -1;
    }
    if (rc == 0 && d.failed) {
        snprintf(errstr, errstr_size, "%zu sample events not delivered: %s",
                 d.failed, d.first_error);
        rc = -1;
    }
    *produced = d.acked;
    rd_kafka_destroy(rk);
    return rc;
}

static int assign_all(rd_kafka_t *rk, const char *const *topics, size_t count,
                      char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new((int)count * 4);
    rd_kafka_resp_err_t err;

    for (size_t i = 0; i < count; i++) {
        int n = rs_kafka_partition_count(rk, topics[i], RS_TOOLS_TIMEOUT_MS,
                                         errstr, errstr_size);
        if (n < 0) {
            rd_kafka_topic_partition_list_destroy(parts);
            return -1;
        }
        for (int p = 0; p < n; p++)
            rd_kafka_topic_partition_list_add(parts, topics[i], p)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    }
    err = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (err) {
        snprintf(errstr, errstr_size, "cannot assign partitions: %s",
                 rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

static void json_string(FILE *out, const void *data, size_t len)
{
    const unsigned char *p = data;

    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '"' || p[i] == '\\')
            fprintf(out, "\\%c", p[i]);
        else if (p[i] < 0x20 || p[i] >= 0x7f)
            fprintf(out, "\\u%04x", p[i]);
        else
            fputc(p[i], out);
    }
    fputc('"', out);
}

/* Decodes a framed Avro value with its writer schema into JSON text (heap,
 * caller frees), or returns NULL with the reason. */
static char *decode_json(const struct rs_registry *reg, const void *data,
                         size_t len, char *why, size_t why_size)
{
    struct rs_frame fr;
    enum rs_frame_result fres = rs_frame_parse(data, len, &fr);
    const struct rs_schema_entry *e;
    avro_value_iface_t *iface;
    avro_value_t v;
    avro_reader_t r;
    char *json = NULL;

    if (fres != RS_FRAME_OK) {
        snprintf(why, why_size, "%s", rs_frame_result_str(fres));
        return NULL;
    }
    e = fr.kind == RS_FRAME_CONFLUENT ? rs_registry_by_id(reg, fr.schema_id)
                                      : rs_registry_by_fingerprint(reg,
                                                                   fr.fingerprint);
    if (!e) {
        if (fr.kind == RS_FRAME_CONFLUENT)
            snprintf(why, why_size, "unknown schema id %u", fr.schema_id);
        else
            snprintf(why, why_size, "unknown schema fingerprint %016llx",
                     (unsigned long long)fr.fingerprint);
        return NULL;
    }
    iface = avro_generic_class_from_schema(e->schema);
    avro_generic_value_new(iface, &v);
    r = avro_reader_memory((const char *)fr.body, (int64_t)fr.body_len);
    if (avro_value_read(r, &v))
        snprintf(why, why_size, "not a valid %s: %s", e->fullname,
                 avro_strerror());
    else if (avro_value_to_json(&v, 1, &json))
        snprintf(why, why_size, "cannot print %s as JSON", e->fullname);
    avro_reader_free(r);
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
    return json;
}

int rs_tools_tail(const struct rs_config *conf, const struct rs_registry *reg,
                  const char *const *topics, size_t topic_count, long max,
                  int idle_ms, FILE *out, size_t *printed, size_t *undecodable,
                  char *errstr, size_t errstr_size)
{
    rd_kafka_t *rk = rs_kafka_new(conf, RS_KAFKA_ROLE_CONSUMER, NULL, NULL,
                                  errstr, errstr_size);
    int rc = -1;

    *printed = 0;
    *undecodable = 0;
    if (!rk)
        return -1;
    if (assign_all(rk, topics, topic_count, errstr, errstr_size))
        goto out;
    while (max < 0 || *printed < (size_t)max) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, idle_ms);
        char why[256];
        char *json;

        if (!m)
            break; /* idle: nothing more to show */
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "riskstream: consume error: %s\n",
                        rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        json = decode_json(reg, m->payload, m->len, why, sizeof(why));
        if (!json) {
            fprintf(stderr, "riskstream: %s [%d] offset %lld: %s\n",
                    rd_kafka_topic_name(m->rkt), (int)m->partition,
                    (long long)m->offset, why);
            (*undecodable)++;
        } else {
            fprintf(out, "{\"topic\":");
            json_string(out, rd_kafka_topic_name(m->rkt),
                        strlen(rd_kafka_topic_name(m->rkt)));
            fprintf(out, ",\"partition\":%d,\"offset\":%lld,\"key\":",
                    (int)m->partition, (long long)m->offset);
            if (m->key)
                json_string(out, m->key, m->key_len);
            else
                fputs("null", out);
            fprintf(out, ",\"value\":%s}\n", json);
            free(json);
            (*printed)++;
        }
        rd_kafka_message_destroy(m);
    }
    fflush(out);
    rc = 0;
out:
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* One customer's JSON line: where it lives, its summary, what is pending. */
static void state_json(FILE *out, const char *id, int task,
                       const struct rs_customer *c, struct rs_buf *text)
{
    struct rs_summary sm;
    char when[40];

    rs_customer_summary(c, c->evaluated_at, &sm);
    rs_buf_reset(text);
    rs_summary_json(text, &sm);
    fputs("{\"customer\":", out);
    json_string(out, id, strlen(id));
    fprintf(out, ",\"task\":%d,", task);
    /* The summary's members, without its braces. */
    fwrite(text->data + 1, 1, text->len - 2, out);
    fprintf(out, ",\"evaluated_at\":\"%s\"",
            rs_format_time_ms(when, sizeof(when), c->evaluated_at));
    fprintf(out, ",\"open_invoices\":%u", (unsigned)c->open_count);
    if (c->next_timer == RS_NO_TIMER)
        fputs(",\"next_timer\":null}\n", out);
    else
        fprintf(out, ",\"next_timer\":\"%s\"}\n",
                rs_format_time_ms(when, sizeof(when), c->next_timer));
}

int rs_tools_state(const struct rs_config *conf, int tasks,
                   const char *const *ids, size_t count, FILE *out,
                   size_t *missing, char *errstr, size_t errstr_size)
{
    const char *partitioner = rs_kafka_producer_partitioner(conf);
    int32_t partitions = (int32_t)conf->topic_partitions;
    const char *counted = "topic.partitions";
    struct rs_store *store;
    struct rs_buf packed, text;
    int rc = 0;

    *missing = 0;
    if (rs_kafka_key_partition(partitioner, "", 0, 1) < 0) {
        snprintf(errstr, errstr_size,
                 "unknown partitioner '%s' (kafka.producer.partitioner): "
                 "cannot tell a customer's task",
                 partitioner);
        return -1;
    }
    /* The tasks are the input topics' partitions, as the processor finds
     * them; topic.partitions only says how many `topics` creates. */
    if (tasks > 0) {
        partitions = tasks;
        counted = "tasks";
    } else {
        rd_kafka_t *rk = rs_kafka_new(conf, RS_KAFKA_ROLE_PRODUCER, NULL,
                                      NULL, errstr, errstr_size);
        int n = rk ? rs_kafka_partition_count(rk, conf->topic_invoices,
                                              STATE_METADATA_TIMEOUT_MS,
                                              errstr, errstr_size)
                   : -1;

        if (rk)
            rd_kafka_destroy(rk);
        if (n > 0) {
            partitions = n;
            counted = "partitions of topic.invoices";
        } else {
            fprintf(stderr,
                    "riskstream state: %s; taking topic.partitions (%d) as "
                    "the number of tasks\n",
                    errstr, (int)partitions);
        }
    }
    store = rs_store_redis_new(conf, errstr, errstr_size);
    if (!store)
        return -1;
    rs_buf_init(&packed, 0);
    rs_buf_init(&text, 0);
    for (size_t i = 0; i < count && rc == 0; i++) {
        struct rs_customer c;
        int task = rs_kafka_key_partition(partitioner, ids[i], strlen(ids[i]),
                                         partitions);
        int found = rs_store_load(store, task, ids[i], &packed, errstr,
                                  errstr_size);

        if (found < 0) {
            rc = -1;
        } else if (!found) {
            fprintf(stderr,
                    "riskstream state: customer '%s' is not in Redis: no "
                    "field '%s' in '%s:{t%d}:s' (task %d of %d %s, "
                    "partitioner %s)\n",
                    ids[i], ids[i], conf->redis_prefix, task, task,
                    (int)partitions, counted, partitioner);
            ++*missing;
        } else {
            rs_customer_init(&c, ids[i]);
            if (rs_customer_unpack(&c, packed.data, packed.len, errstr,
                                   errstr_size)) {
                char why[512];

                snprintf(why, sizeof(why), "%s", errstr);
                snprintf(errstr, errstr_size,
                         "task %d: cannot read customer '%s': %s", task,
                         ids[i], why);
                rc = -1;
            } else {
                state_json(out, ids[i], task, &c, &text);
            }
            rs_customer_release(&c);
        }
    }
    rs_buf_release(&packed);
    rs_buf_release(&text);
    rs_store_destroy(store);
    return rc;
}
