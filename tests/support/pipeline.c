/* End-to-end test helpers (pipeline.h). */
#include "pipeline.h"

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "riskstream/avro_text.h"
#include "riskstream/customer.h"
#include "riskstream/frame.h"
#include "riskstream/kafka.h"
#include "riskstream/mem.h"
#include "riskstream/tools.h"
#include "support.h"

static const char *const record_names[RS_EVENT_KINDS] = {
    "io.riskstream.Invoice", "io.riskstream.Payment",
    "io.riskstream.CreditBureauEvent", "io.riskstream.Communication"};

static rd_kafka_t *client(rd_kafka_type_t type, const char *group)
{
    char errstr[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_t *rk;

    rd_kafka_conf_set(c, "bootstrap.servers", rs_test_kafka_brokers(), errstr,
                      sizeof(errstr));
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set(c, "partitioner", "murmur2_random", errstr,
                          sizeof(errstr));
        rd_kafka_conf_set(c, "enable.idempotence", "true", errstr,
                          sizeof(errstr));
        rd_kafka_conf_set(c, "linger.ms", "20", errstr, sizeof(errstr));
    } else {
        rd_kafka_conf_set(c, "group.id", group, errstr, sizeof(errstr));
        rd_kafka_conf_set(c, "isolation.level", "read_committed", errstr,
                          sizeof(errstr));
        rd_kafka_conf_set(c, "enable.auto.commit", "false", errstr,
                          sizeof(errstr));
    }
    rk = rd_kafka_new(type, c, errstr, sizeof(errstr));
    if (!rk)
        fail_msg("%s", errstr);
    return rk;
}

static void create_topics(struct rs_pipe *p, int from, int to)
{
    struct rs_config *conf = rs_config_new();
    char errstr[512];
    const char *names[6];
    rd_kafka_t *rk;

    rs_config_set(conf, "kafka.bootstrap.servers", rs_test_kafka_brokers(),
                  errstr, sizeof(errstr));
    rk = rs_kafka_new(conf, RS_KAFKA_ROLE_PRODUCER, NULL, NULL, errstr,
                      sizeof(errstr));
    assert_non_null(rk);
    for (int i = from; i < to; i++)
        names[i - from] = p->topics[i];
    if (rs_kafka_topics_create(rk, names, (size_t)(to - from), p->partitions,
                               30000, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    rd_kafka_destroy(rk);
    rs_config_destroy(conf);
}

static void set_names(struct rs_pipe *p, const char *stem, int inputs)
{
    static const char *const suffix[6] = {"invoices", "payments", "bureau",
                                          "communications", "alerts",
                                          "deadletter"};

    rs_test_unique(stem, p->name, sizeof(p->name));
    for (int i = inputs ? 0 : 4; i < 6; i++)
        snprintf(p->topics[i], sizeof(p->topics[i]), "%s-%s", p->name,
                 suffix[i]);
    snprintf(p->app_id, sizeof(p->app_id), "%s-app", p->name);
    snprintf(p->prefix, sizeof(p->prefix), "%s-rs", p->name);
}

void rs_pipe_init(struct rs_pipe *p, const char *stem, int partitions)
{
    char errstr[512];

    memset(p, 0, sizeof(*p));
    rs_test_require_kafka();
    rs_test_require_redis();
    p->partitions = partitions;
    set_names(p, stem, 1);
    create_topics(p, 0, 6);
    p->reg = rs_registry_load(rs_test_path("schemas"), errstr, sizeof(errstr));
    if (!p->reg)
        fail_msg("%s", errstr);
    p->producer = client(RD_KAFKA_PRODUCER, NULL);
}

void rs_pipe_fork(const struct rs_pipe *from, struct rs_pipe *to,
                  const char *stem)
{
    char errstr[512];

    memset(to, 0, sizeof(*to));
    to->partitions = from->partitions;
    memcpy(to->topics, from->topics, sizeof(to->topics));
    set_names(to, stem, 0);
    create_topics(to, 4, 6);
    to->reg = rs_registry_load(rs_test_path("schemas"), errstr,
                               sizeof(errstr));
    to->producer = client(RD_KAFKA_PRODUCER, NULL);
}

void rs_pipe_release(struct rs_pipe *p)
{
    if (p->producer) {
        rd_kafka_flush(p->producer, 10000);
        rd_kafka_destroy(p->producer);
    }
    rs_registry_destroy(p->reg);
    memset(p, 0, sizeof(*p));
}

const char *rs_pipe_config(const struct rs_pipe *p, const char *extra)
{
    char text[4096];

    snprintf(text, sizeof(text),
             "app.id = %s\n"
             "instance.id = %s-i1\n"
             "redis.prefix = %s\n"
             "topic.invoices = %s\n"
             "topic.payments = %s\n"
             "topic.bureau = %s\n"
             "topic.communications = %s\n"
             "topic.alerts = %s\n"
             "topic.deadletter = %s\n"
             "kafka.consumer.session.timeout.ms = 6000\n"
             "%s\n",
             p->app_id, p->name, p->prefix, p->topics[0], p->topics[1],
             p->topics[2], p->topics[3], p->topics[4], p->topics[5],
             extra ? extra : "");
    return rs_test_write_config(p->name, text);
}

void rs_pipe_produce_raw(struct rs_pipe *p, enum rs_event_kind kind,
                         const void *key, size_t key_len, const void *value,
                         size_t len)
{
    rd_kafka_resp_err_t err;

    for (;;) {
        err = rd_kafka_producev(
            p->producer, RD_KAFKA_V_TOPIC(p->topics[kind]),
            RD_KAFKA_V_KEY((void *)(uintptr_t)key, key_len),
            RD_KAFKA_V_VALUE((void *)(uintptr_t)value, len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(p->producer, 50);
    }
    if (err)
        fail_msg("produce: %s", rd_kafka_err2str(err));
}

void rs_pipe_produce(struct rs_pipe *p, enum rs_event_kind kind,
                     const char *fields, const char *key)
{
    const struct rs_schema_entry *e =
        rs_registry_by_name(p->reg, record_names[kind]);
    avro_value_iface_t *iface = avro_generic_class_from_schema(e->schema);
    avro_value_t rec, f;
    struct rs_buf buf;
    uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];
    char errstr[256];
    const char *cust;
    size_t cust_len;

    avro_generic_value_new(iface, &rec);
    if (rs_avro_fill(&rec, fields, errstr, sizeof(errstr)))
        fail_msg("%s: %s", fields, errstr);
    avro_value_get_by_name(&rec, "customer_id", &f, NULL);
    avro_value_get_string(&f, &cust, &cust_len);
    rs_buf_init(&buf, 0);
    rs_buf_append(&buf, hdr, rs_frame_write_confluent(hdr, e->id));
    assert_int_equal(rs_avro_encode(&rec, &buf), 0);
    if (!key)
        key = cust;
    rs_pipe_produce_raw(p, kind, key, strlen(key), buf.data, buf.len);
    rs_buf_release(&buf);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
}

void rs_pipe_flush(struct rs_pipe *p)
{
    if (rd_kafka_flush(p->producer, 60000))
        fail_msg("test records not delivered");
}

size_t rs_pipe_read(const struct rs_pipe *p, int topic_index, size_t want,
                    int idle_ms, struct rs_record **out)
{
    char group[200];
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(p->partitions);
    size_t n = 0, cap = 0;
    struct rs_record *v = NULL;
    int idle = 0;

    snprintf(group, sizeof(group), "%s-reader", p->name);
    rk = client(RD_KAFKA_CONSUMER, group);
    rd_kafka_poll_set_consumer(rk);
    for (int i = 0; i < p->partitions; i++)
        rd_kafka_topic_partition_list_add(parts, p->topics[topic_index], i)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    while (n < want && idle < idle_ms) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

        if (!m) {
            idle += 100;
            continue;
        }
        if (!m->err) {
            struct rs_record *r;

            rs_grow((void **)&v, &cap, n + 1, sizeof(*v));
            r = &v[n++];
            r->key = rs_malloc(m->key_len + 1);
            memcpy(r->key, m->key ? m->key : "", m->key_len);
            r->key[m->key_len] = '\0';
            r->key_len = m->key_len;
            r->value = rs_malloc(m->len + 1);
            memcpy(r->value, m->payload, m->len);
            r->len = m->len;
            r->offset = m->offset;
            r->partition = m->partition;
            idle = 0;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    *out = v;
    return n;
}

void rs_pipe_records_free(struct rs_record *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].key);
        free(r[i].value);
    }
    free(r);
}

char *rs_pipe_json(const struct rs_pipe *p, const struct rs_record *r)
{
    struct rs_frame fr;
    const struct rs_schema_entry *e;
    avro_value_iface_t *iface;
    avro_value_t v;
    avro_reader_t rd;
    char *json = NULL;

    assert_int_equal(rs_frame_parse(r->value, r->len, &fr), RS_FRAME_OK);
    e = rs_registry_by_id(p->reg, fr.schema_id);
    assert_non_null(e);
    iface = avro_generic_class_from_schema(e->schema);
    avro_generic_value_new(iface, &v);
    rd = avro_reader_memory((const char *)fr.body, (int64_t)fr.body_len);
    if (avro_value_read(rd, &v))
        fail_msg("output record does not decode: %s", avro_strerror());
    avro_value_to_json(&v, 1, &json);
    avro_reader_free(rd);
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
    return json;
}

int rs_pipe_json_str(const char *json, const char *field, char *out,
                     size_t size)
{
    char pat[128];
    const char *s, *e;

    snprintf(pat, sizeof(pat), "\"%s\": \"", field);
    s = strstr(json, pat);
    if (!s)
        return -1;
    s += strlen(pat);
    e = strchr(s, '"');
    if (!e)
        return -1;
    snprintf(out, size, "%.*s", (int)(e - s), s);
    return 0;
}

redisContext *rs_pipe_redis(void)
{
    redisContext *c = redisConnect(rs_test_redis_host(), rs_test_redis_port());

    if (!c || c->err)
        fail_msg("redis not reachable");
    return c;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the "key":value pairs of a flat JSON object as key=value lines
 * (strings without their quotes; no escapes are written by the store). */
static void flat_json_lines(const char *json, char ***lines, size_t *n,
                            size_t *cap)
{
    const char *q = json;

    while ((q = strchr(q, '"')) != NULL) {
        const char *k = q + 1, *ke = strchr(k, '"'), *v, *ve;
        char *line;

        if (!ke || ke[1] != ':')
            break;
        v = ke + 2;
        if (*v == '"') {
            v++;
            ve = strchr(v, '"');
            if (!ve)
                break;
            q = ve + 1;
        } else {
            ve = v + strcspn(v, ",}");
            q = ve;
        }
        line = rs_malloc((size_t)(ke - k) + (size_t)(ve - v) + 2);
        sprintf(line, "%.*s=%.*s", (int)(ke - k), k, (int)(ve - v), v);
        rs_grow((void **)lines, cap, *n + 1, sizeof(**lines));
        (*lines)[(*n)++] = line;
    }
}

/* The stored state st of customer (with its chunks from P:{tT}:c),
 * unpacked and packed whole into out. */
static void whole_state(redisContext *c, const char *prefix, int t,
                        const char *customer, const redisReply *st,
                        struct rs_buf *out)
{
    uint32_t n = rs_packed_chunks(st->str, st->len);
    struct rs_buf all;
    struct rs_customer cu;
    char errstr[256];

    rs_buf_init(&all, 0);
    rs_buf_append(&all, st->str, st->len);
    for (uint32_t k = 0; k < n; k++) {
        redisReply *ch = redisCommand(c, "HGET %s:{t%d}:c %s:%u", prefix, t,
                                      customer, (unsigned)k);

        if (!ch || ch->type != REDIS_REPLY_STRING)
            fail_msg("customer %s: chunk %u of %u missing", customer,
                     (unsigned)k, (unsigned)n);
        rs_packed_add_chunk(&all, ch->str, ch->len);
        freeReplyObject(ch);
    }
    rs_customer_init(&cu, customer);
    if (rs_customer_unpack(&cu, all.data, all.len, errstr, sizeof(errstr)))
        fail_msg("customer %s: %s", customer, errstr);
    rs_buf_reset(out);
    rs_customer_pack(&cu, out);
    rs_customer_release(&cu);
    rs_buf_release(&all);
}

/* What `riskstream state` prints of customer in p's Redis, one JSON line
 * (heap, caller frees); fails the test if it finds nothing. */
static char *state_line(const struct rs_pipe *p, const char *customer)
{
    struct rs_config *conf = rs_config_new();
    const char *ids[1] = {customer};
    char errstr[512], port[16], *text = NULL;
    size_t len = 0, missing = 0;
    FILE *out = open_memstream(&text, &len);
    int rc;

    snprintf(port, sizeof(port), "%d", rs_test_redis_port());
    if (rs_config_set(conf, "redis.host", rs_test_redis_host(), errstr,
                      sizeof(errstr)) ||
        rs_config_set(conf, "redis.port", port, errstr, sizeof(errstr)) ||
        rs_config_set(conf, "redis.prefix", p->prefix, errstr,
                      sizeof(errstr)))
        fail_msg("state config: %s", errstr);
    rc = rs_tools_state(conf, p->partitions, ids, 1, out, &missing, errstr,
                        sizeof(errstr));
    fclose(out);
    rs_config_destroy(conf);
    if (rc || missing || !len)
        fail_msg("riskstream state %s: %s", customer,
                 rc ? errstr : "not found");
    return text;
}

char *rs_pipe_customer(const struct rs_pipe *p, const char *customer)
{
    redisContext *c = rs_pipe_redis();
    char *out = NULL;
    struct rs_buf packed;

    rs_buf_init(&packed, 0);

    for (int t = 0; t < p->partitions && !out; t++) {
        redisReply *st = redisCommand(c, "HGET %s:{t%d}:s %s", p->prefix, t,
                                      customer);
        char **lines = NULL, *json;
        size_t n = 0, cap = 0, len = 0;

        if (!st || st->type != REDIS_REPLY_STRING) {
            if (st)
                freeReplyObject(st);
            continue;
        }
        /* The state, packed whole, as hex: how it is stored (inline or in
         * chunks, customer.h) depends on when commits fell, what it holds
         * does not. */
        whole_state(c, p->prefix, t, customer, st, &packed);
        rs_grow((void **)&lines, &cap, 1, sizeof(*lines));
        lines[0] = rs_malloc(2 * packed.len + 3);
        strcpy(lines[0], "s=");
        for (size_t j = 0; j < packed.len; j++)
            sprintf(lines[0] + 2 + 2 * j, "%02x", packed.data[j]);
        n = 1;
        json = state_line(p, customer);
        flat_json_lines(json, &lines, &n, &cap);
        free(json);
        qsort(lines, n, sizeof(*lines), cmp_str);
        for (size_t i = 0; i < n; i++)
            len += strlen(lines[i]) + 1;
        out = rs_malloc(len + 1);
        out[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            strcat(out, lines[i]);
            strcat(out, "\n");
            free(lines[i]);
        }
        free(lines);
        freeReplyObject(st);
    }
    rs_buf_release(&packed);
    redisFree(c);
    return out;
}

void rs_pipe_wait_done(const struct rs_pipe *p, int timeout_ms)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
    redisContext *c = rs_pipe_redis();
    int64_t end[64][RS_EVENT_KINDS];

    for (int t = 0; t < p->partitions; t++)
        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            int64_t lo, hi;
            rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

            /* A broker just started, or busy with the other tests, may
             * not answer the first time. */
            for (int attempt = 0; attempt < 3; attempt++) {
                err = rd_kafka_query_watermark_offsets(rk, p->topics[k], t,
                                                       &lo, &hi, 10000);
                if (!err)
                    break;
            }
            if (err)
                fail_msg("cannot read watermarks of %s [%d]: %s",
                         p->topics[k], t, rd_kafka_err2str(err));
            end[t][k] = hi;
        }
    for (int waited = 0;; waited += 200) {
        int done = 1;

        for (int t = 0; t < p->partitions && done; t++) {
            for (int k = 0; k < RS_EVENT_KINDS && done; k++) {
                redisReply *r = redisCommand(c, "HGET %s:{t%d}:meta o%d",
                                             p->prefix, t, k);
                long long applied = -1;

                if (r && r->type == REDIS_REPLY_STRING)
                    applied = atoll(r->str);
                if (r)
                    freeReplyObject(r);
                /* An empty partition has nothing to apply. */
                if (end[t][k] > 0 && applied < end[t][k])
                    done = 0;
            }
        }
        if (done)
            break;
        if (waited > timeout_ms)
            fail_msg("riskstream did not process all input within %d ms",
                     timeout_ms);
        rs_test_sleep_ms(200);
    }
    redisFree(c);
    rd_kafka_destroy(rk);
}

void rs_pipe_run_to_end(const struct rs_pipe *p, const char *extra,
                        int timeout_ms)
{
    char log[256];
    const char *conf = rs_pipe_config(p, extra);
    pid_t pid;
    int status;

    snprintf(log, sizeof(log), "/tmp/%s.log", p->name);
    pid = rs_test_spawn_run(conf, log);
    rs_pipe_wait_done(p, timeout_ms);
    status = rs_test_stop(pid, SIGTERM, 30000);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("riskstream did not exit 0 after SIGTERM (status %d); see %s",
                 status, log);
}
