/* Dead letters end to end against the real broker and Redis: 1,000
 * malformed records mixed into good ones each land in the dead-letter topic
 * with the right error class and reason, byte for byte, and the good ones
 * give the same state and alerts as without them.
 *
 * Pipeline A gets the good records only; pipeline B (fresh topics) gets the
 * same good records, from the same text, with 1,000 malformed records
 * interleaved across the four input topics and both partitions: every
 * error class the decoder makes from bytes. Both get two records that
 * arrive after later ones of their task (a communication and a bureau
 * event), which must be dead-lettered as LATE in both runs, and one late
 * payment, which must be applied (not dead-lettered) in both.
 *
 * Every record is produced by one idempotent producer per pipeline with a
 * delivery report, so the test knows each record's partition and offset
 * and matches dead letters by (topic, partition, offset). Good records are
 * keyed by customer id and placed by the murmur2 partitioner, as riskstream
 * expects; malformed ones go to an explicit partition. */
#include "support.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "riskstream/alert.h"
#include "riskstream/avro_text.h"
#include "riskstream/buf.h"
#include "riskstream/frame.h"
#include "riskstream/mem.h"

#define PARTITIONS 2
#define CUSTOMERS 60
#define BAD_COUNT 1000
#define MAX_RECORD_BYTES 4096
#define OVERSIZED_BYTES 5000
#define RUN_TIMEOUT_MS 60000
#define READ_IDLE_MS 3000
#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL
#define EXTRA_CONFIG                                                         \
    "lateness.ms = 86400000\n"                                               \
    "record.max.bytes = 4096\n"

static const char *const record_names[RS_EVENT_KINDS] = {
    "io.riskstream.Invoice", "io.riskstream.Payment",
    "io.riskstream.CreditBureauEvent", "io.riskstream.Communication"};
/* How the decoder names each input topic in its reasons. */
static const char *const topic_labels[RS_EVENT_KINDS] = {
    "invoice", "payment", "bureau", "communication"};
/* The ErrorClass symbols of schemas/DeadLetter.avsc, in enum order. */
static const char *const class_symbols[RS_ERROR_CLASSES] = {
    "FRAMING", "UNKNOWN_SCHEMA", "DECODE",       "VALIDATION",
    "OVERSIZED", "LATE",         "KEY_MISMATCH", "OTHER"};

/* ---- dates ----------------------------------------------------------- */

static int32_t day_of(const char *iso)
{
    int32_t d;

    if (rs_avro_parse_date(iso, &d))
        fail_msg("bad date '%s'", iso);
    return d;
}

/* Days since 1970-01-01 as YYYY-MM-DD (proleptic Gregorian). */
static const char *day_text(char *buf, size_t size, int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);

    snprintf(buf, size, "%04lld-%02lld-%02lld", (long long)year,
             (long long)month, (long long)day);
    return buf;
}

/* Milliseconds since the epoch (whole hours, after 1970) as ISO text. */
static const char *time_text(char *buf, size_t size, int64_t ms)
{
    char d[32];

    snprintf(buf, size, "%sT%02lld:00:00Z",
             day_text(d, sizeof(d), ms / DAY_MS),
             (long long)(ms % DAY_MS / HOUR_MS));
    return buf;
}

static int64_t at_hour(int32_t day, int hour)
{
    return (int64_t)day * DAY_MS + hour * HOUR_MS;
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- partitioning ---------------------------------------------------- */

/* Kafka's murmur2 (the Java client's and librdkafka's murmur2 partitioner). */
static uint32_t murmur2(const void *key, size_t len)
{
    const uint8_t *d = key;
    const uint32_t m = 0x5bd1e995;
    uint32_t h = 0x9747b28c ^ (uint32_t)len;

    while (len >= 4) {
        uint32_t k = (uint32_t)d[0] | (uint32_t)d[1] << 8 |
                     (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;

        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
        d += 4;
        len -= 4;
    }
    if (len == 3)
        h ^= (uint32_t)d[2] << 16;
    if (len >= 2)
        h ^= (uint32_t)d[1] << 8;
    if (len >= 1) {
        h ^= d[0];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

static int partition_of(const char *key)
{
    return (int)((murmur2(key, strlen(key)) & 0x7fffffff) % PARTITIONS);
}

/* ---- what was sent --------------------------------------------------- */

struct sent {
    int kind;           /* input topic */
    int32_t partition;  /* wanted (-1: by key), then as delivered */
    int64_t offset;     /* from the delivery report */
    int64_t timestamp;  /* CreateTime, from the delivery report */
    int delivered;      /* 1 ok, -1 failed */
    int has_key;
    char *key;
    size_t key_len;
    int has_value;
    uint8_t *value;
    size_t len;
    int good;       /* one of the good records (index good_index) */
    int good_index;
    int expect_dl;  /* must come out as a dead letter */
    enum rs_error_class cls;
    char reason[200]; /* substring expected in error_message */
    int seen;
};

struct batch {
    struct sent *v;
    size_t n, cap;
};

static struct sent *batch_add(struct batch *b)
{
    struct sent *s;

    rs_grow((void **)&b->v, &b->cap, b->n + 1, sizeof(*b->v));
    s = &b->v[b->n++];
    memset(s, 0, sizeof(*s));
    s->partition = -1;
    s->offset = -1;
    s->has_key = 1;
    s->has_value = 1;
    return s;
}

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].key);
        free(b->v[i].value);
    }
    free(b->v);
    memset(b, 0, sizeof(*b));
}

static void set_key(struct sent *s, const char *key)
{
    free(s->key);
    s->key = NULL;
    s->key_len = 0;
    s->has_key = key != NULL;
    if (key) {
        s->key_len = strlen(key);
        s->key = rs_malloc(s->key_len + 1);
        memcpy(s->key, key, s->key_len + 1);
    }
}

static void set_value(struct sent *s, const void *v, size_t len)
{
    free(s->value);
    s->value = NULL;
    s->len = 0;
    s->has_value = v != NULL;
    if (v) {
        s->value = rs_malloc(len + 1);
        memcpy(s->value, v, len);
        s->len = len;
    }
}

static void expect(struct sent *s, enum rs_error_class cls, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));

static void expect(struct sent *s, enum rs_error_class cls, const char *fmt,
                   ...)
{
    va_list ap;

    s->expect_dl = 1;
    s->cls = cls;
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
    va_end(ap);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    struct sent *s = m->_private;
    rd_kafka_timestamp_type_t tstype;

    (void)rk;
    (void)opaque;
    if (!s)
        return;
    s->delivered = m->err ? -1 : 1;
    s->partition = m->partition;
    s->offset = m->offset;
    s->timestamp = rd_kafka_message_timestamp(m, &tstype);
}

/* Produces the batch in order with one idempotent producer (so each
 * partition keeps the batch's order) and waits for every delivery report. */
static void produce_batch(const struct rs_pipe *p, struct batch *b)
{
    char errstr[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_t *rk;

    if (rd_kafka_conf_set(c, "bootstrap.servers", rs_test_kafka_brokers(),
                          errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(c, "partitioner", "murmur2_random", errstr,
                          sizeof(errstr)) ||
        rd_kafka_conf_set(c, "enable.idempotence", "true", errstr,
                          sizeof(errstr)) ||
        rd_kafka_conf_set(c, "linger.ms", "5", errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
    if (!rk)
        fail_msg("%s", errstr);
    for (size_t i = 0; i < b->n; i++) {
        struct sent *s = &b->v[i];
        rd_kafka_resp_err_t err;

        for (;;) {
            err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(p->topics[s->kind]),
                RD_KAFKA_V_PARTITION(s->partition >= 0 ? s->partition
                                                       : RD_KAFKA_PARTITION_UA),
                RD_KAFKA_V_KEY(s->has_key ? (void *)(s->key ? s->key : "")
                                          : NULL,
                               s->key_len),
                RD_KAFKA_V_VALUE(s->has_value ? (void *)(s->value ? s->value
                                                                  : (uint8_t *)"")
                                              : NULL,
                                 s->len),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_OPAQUE(s), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(rk, 20);
        }
        if (err)
            fail_msg("produce: %s", rd_kafka_err2str(err));
        rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 60000))
        fail_msg("test records not delivered");
    rd_kafka_destroy(rk);
    for (size_t i = 0; i < b->n; i++) {
        const struct sent *s = &b->v[i];

        if (s->delivered != 1)
            fail_msg("record %zu (topic %s) was not delivered", i,
                     p->topics[s->kind]);
        /* Good records were placed by the murmur2 partitioner: the same
         * partition as riskstream's producers would pick. */
        if (s->good && s->partition != partition_of(s->key))
            fail_msg("key '%s' went to partition %d, murmur2 says %d", s->key,
                     (int)s->partition, partition_of(s->key));
    }
}

static struct sent *find_sent(struct batch *b, int kind, int32_t partition,
                              int64_t offset)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].kind == kind && b->v[i].partition == partition &&
            b->v[i].offset == offset)
            return &b->v[i];
    return NULL;
}

/* ---- encoding records from text -------------------------------------- */

/* Confluent framing with the newest schema of kind, body from
 * "field=value ..." (a later field=value overrides an earlier one). */
static void encode(const struct rs_pipe *p, int kind, const char *fields,
                   struct rs_buf *out)
{
    const struct rs_schema_entry *e =
        rs_registry_by_name(p->reg, record_names[kind]);
    avro_value_iface_t *iface;
    avro_value_t rec;
    uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];
    char errstr[256];

    assert_non_null(e);
    iface = avro_generic_class_from_schema(e->schema);
    avro_generic_value_new(iface, &rec);
    if (rs_avro_fill(&rec, fields, errstr, sizeof(errstr)))
        fail_msg("%s: %s", fields, errstr);
    rs_buf_append(out, hdr, rs_frame_write_confluent(hdr, e->id));
    assert_int_equal(rs_avro_encode(&rec, out), 0);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
}

static uint32_t schema_id_of(const struct rs_pipe *p, const char *fullname)
{
    const struct rs_schema_entry *e = rs_registry_by_name(p->reg, fullname);

    assert_non_null(e);
    return e->id;
}

/* Avro zig-zag varint. */
static void put_varint(struct rs_buf *b, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    uint8_t tmp[10];
    size_t n = 0;

    do {
        tmp[n] = (uint8_t)(z & 0x7f);
        z >>= 7;
        if (z)
            tmp[n] |= 0x80;
        n++;
    } while (z);
    rs_buf_append(b, tmp, n);
}

static void put_string(struct rs_buf *b, const char *s)
{
    put_varint(b, (int64_t)strlen(s));
    rs_buf_append(b, s, strlen(s));
}

static void put_confluent(struct rs_buf *b, uint32_t id)
{
    uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];

    rs_buf_append(b, hdr, rs_frame_write_confluent(hdr, id));
}

/* ---- the good records ------------------------------------------------ */

struct good {
    int kind;
    int64_t t;
    int seq;
    char cust[32];
    char text[600];
    int late; /* 1: must be dead-lettered as LATE */
    int64_t stream_time; /* of its task when a late record comes */
};

struct goods {
    struct good *v;
    size_t n, cap;
};

static struct good *add_good(struct goods *g, int kind, int64_t t,
                             const char *cust, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static struct good *add_good(struct goods *g, int kind, int64_t t,
                             const char *cust, const char *fmt, ...)
{
    struct good *e;
    char ts[40];
    int o;
    va_list ap;

    rs_grow((void **)&g->v, &g->cap, g->n + 1, sizeof(*g->v));
    e = &g->v[g->n];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->t = t;
    e->seq = (int)g->n;
    snprintf(e->cust, sizeof(e->cust), "%s", cust);
    o = snprintf(e->text, sizeof(e->text),
                 "event_id=g-%zu event_time=%s customer_id=%s ", g->n,
                 time_text(ts, sizeof(ts), t), cust);
    va_start(ap, fmt);
    vsnprintf(e->text + o, sizeof(e->text) - (size_t)o, fmt, ap);
    va_end(ap);
    g->n++;
    return e;
}

static int cmp_good(const void *a, const void *b)
{
    const struct good *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq - y->seq;
}

struct customers {
    char ids[CUSTOMERS][16];
    int partition[CUSTOMERS];
    int by_part[PARTITIONS][CUSTOMERS]; /* customer numbers */
    int count[PARTITIONS];
    char clock[PARTITIONS][32]; /* one customer per partition */
};

static void make_customers(struct customers *cs)
{
    memset(cs, 0, sizeof(*cs));
    for (int i = 0; i < CUSTOMERS; i++) {
        int p;

        snprintf(cs->ids[i], sizeof(cs->ids[i]), "C-%03d", i);
        p = partition_of(cs->ids[i]);
        cs->partition[i] = p;
        cs->by_part[p][cs->count[p]++] = i;
    }
    for (int p = 0; p < PARTITIONS; p++) {
        assert_true(cs->count[p] >= 10);
        for (int j = 0;; j++) {
            snprintf(cs->clock[p], sizeof(cs->clock[p]), "C-CLOCK-%d", j);
            if (partition_of(cs->clock[p]) == p)
                break;
        }
    }
}

/* A customer's months: four invoices (January to April, 30 days' terms),
 * paid on time, never, late or in part depending on its profile, with
 * reminders, promises, disputes, replies and bureau updates. Every
 * customer that ends with an open invoice has one due in May, so its
 * overdue timers fire only when the final clock events come. */
static void customer_events(struct goods *g, const struct customers *cs,
                            int i)
{
    const char *c = cs->ids[i];
    int profile = i % 4;
    int32_t base = day_of("2026-01-05") + i % 20;
    char d1[16], d2[16];

    for (int n = 0; n < 4; n++) {
        int32_t issue = base + 30 * n, due = issue + 30;
        long long amount = 10000LL * (1 + (i * 7 + n * 3) % 50);
        const char *seg = i % 3 == 0   ? " segment=retail"
                          : i % 3 == 1 ? " segment=wholesale"
                                       : "";

        add_good(g, RS_EVENT_INVOICE, at_hour(issue, 9), c,
                 "type=ISSUED invoice_id=%s-I%d amount=%lld currency=EUR "
                 "issue_date=%s due_date=%s payment_terms_days=30%s",
                 c, n, amount, day_text(d1, sizeof(d1), issue),
                 day_text(d2, sizeof(d2), due), seg);
        switch (profile) {
        case 0: /* pays everything a few days early */
            add_good(g, RS_EVENT_PAYMENT, at_hour(due - 3, 10), c,
                     "type=FULL payment_id=%s-P%d amount=%lld currency=EUR "
                     "payment_date=%s invoice_id=%s-I%d method=TRANSFER",
                     c, n, amount, day_text(d1, sizeof(d1), due - 3), c, n);
            break;
        case 1: /* never pays: reminders */
            add_good(g, RS_EVENT_COMM, at_hour(due + 3, 8), c,
                     "type=REMINDER invoice_id=%s-I%d dunning_level=%d "
                     "channel=EMAIL",
                     c, n, n + 1);
            break;
        case 2: /* pays 12 days late, except the last invoice */
            add_good(g, RS_EVENT_COMM, at_hour(due + 8, 8), c,
                     "type=REMINDER invoice_id=%s-I%d dunning_level=1 "
                     "channel=LETTER",
                     c, n);
            if (n < 3)
                add_good(g, RS_EVENT_PAYMENT, at_hour(due + 12, 10), c,
                         "type=FULL payment_id=%s-P%d amount=%lld "
                         "currency=EUR payment_date=%s invoice_id=%s-I%d",
                         c, n, amount, day_text(d1, sizeof(d1), due + 12),
                         c, n);
            break;
        default: /* pays half, promises the rest */
            add_good(g, RS_EVENT_PAYMENT, at_hour(due - 2, 10), c,
                     "type=PARTIAL payment_id=%s-P%d amount=%lld "
                     "currency=EUR payment_date=%s invoice_id=%s-I%d "
                     "method=DIRECT_DEBIT",
                     c, n, amount / 2, day_text(d1, sizeof(d1), due - 2), c,
                     n);
            add_good(g, RS_EVENT_COMM, at_hour(due + 5, 14), c,
                     "type=PROMISE_TO_PAY invoice_id=%s-I%d channel=PHONE "
                     "promised_date=%s promised_amount=%lld currency=EUR",
                     c, n, day_text(d1, sizeof(d1), due + 20),
                     amount - amount / 2);
            break;
        }
    }
    add_good(g, RS_EVENT_BUREAU, at_hour(base + 15, 6), c,
             "type=SCORE_UPDATE source=bureau old_score=%d new_score=%d "
             "score_max=100",
             40 + i % 50, 30 + i % 60);
    add_good(g, RS_EVENT_BUREAU, at_hour(base + 75, 6), c,
             "type=SCORE_UPDATE source=bureau old_score=%d new_score=%d "
             "score_max=100",
             30 + i % 60, 20 + i % 70);
    if (i % 10 == 7)
        add_good(g, RS_EVENT_COMM, at_hour(base + 59, 12), c,
                 "type=DISPUTE_OPENED invoice_id=%s-I1 dispute_id=D-%d "
                 "channel=PORTAL",
                 c, i);
    if (i % 20 == 7)
        add_good(g, RS_EVENT_COMM, at_hour(base + 80, 12), c,
                 "type=DISPUTE_RESOLVED invoice_id=%s-I1 dispute_id=D-%d "
                 "resolution=credited",
                 c, i);
    if (i % 3 == 0)
        add_good(g, RS_EVENT_COMM, at_hour(base + 40, 15), c,
                 "type=INBOUND_REPLY channel=PHONE note=will-pay-soon");
}

/* The stream time of e's task when e comes: its queue is in event-time
 * order up to e, so that is the newest event before it in its queue. */
static int64_t stream_time_at(const struct goods *g, const struct good *e)
{
    int64_t st = INT64_MIN;

    for (const struct good *o = g->v; o < e; o++)
        if (o->kind == e->kind &&
            partition_of(o->cust) == partition_of(e->cust) && o->t > st)
            st = o->t;
    return st;
}

/* The good records in event-time order (so nothing is late), then one
 * clock event per task far ahead so every overdue timer fires, then the
 * records that arrive after later ones: a communication (task 0) and a
 * bureau event (task 1), LATE; a payment (task 1), applied anyway.
 * Returns the number of the customer who paid late. */
static int make_goods(struct goods *g, const struct customers *cs)
{
    int64_t clock_at = at_hour(day_of("2026-09-30"), 8);
    const char *late0 = cs->ids[cs->by_part[0][0]];
    const char *late1 = cs->ids[cs->by_part[1][0]];
    int payer = -1;
    struct good *e;

    for (int i = 0; i < CUSTOMERS; i++)
        customer_events(g, cs, i);
    qsort(g->v, g->n, sizeof(*g->v), cmp_good);
    for (int p = 0; p < PARTITIONS; p++)
        add_good(g, RS_EVENT_COMM, clock_at, cs->clock[p],
                 "type=INBOUND_REPLY channel=EMAIL");
    e = add_good(g, RS_EVENT_COMM, at_hour(day_of("2026-02-01"), 12), late0,
                 "type=REMINDER invoice_id=%s-I0 dunning_level=1 "
                 "channel=LETTER",
                 late0);
    e->late = 1;
    e->stream_time = stream_time_at(g, e);
    assert_int_equal(e->stream_time, clock_at);
    e = add_good(g, RS_EVENT_BUREAU, at_hour(day_of("2026-02-02"), 12), late1,
                 "type=SCORE_UPDATE source=bureau old_score=50 new_score=10 "
                 "score_max=100");
    e->late = 1;
    e->stream_time = stream_time_at(g, e);
    assert_true(e->stream_time > e->t + DAY_MS);
    /* A never-paying customer of task 1 pays its first invoice, late. */
    for (int j = 0; j < cs->count[1] && payer < 0; j++)
        if (cs->by_part[1][j] % 4 == 1)
            payer = cs->by_part[1][j];
    assert_true(payer >= 0);
    add_good(g, RS_EVENT_PAYMENT, at_hour(day_of("2026-03-10"), 12),
             cs->ids[payer],
             "type=FULL payment_id=%s-PL amount=%lld currency=EUR "
             "payment_date=2026-03-10 invoice_id=%s-I0",
             cs->ids[payer], 10000LL * (1 + (payer * 7) % 50),
             cs->ids[payer]);
    return payer;
}

static void add_good_sent(const struct rs_pipe *p, struct batch *b,
                          const struct good *e, int index)
{
    struct sent *s = batch_add(b);
    struct rs_buf buf;

    rs_buf_init(&buf, 0);
    encode(p, e->kind, e->text, &buf);
    s->kind = e->kind;
    set_key(s, e->cust);
    set_value(s, buf.data, buf.len);
    s->good = 1;
    s->good_index = index;
    if (e->late)
        expect(s, RS_ERROR_LATE,
               "ms behind stream time %lld (allowed lateness 86400000 ms); "
               "%s events that late are not applied",
               (long long)e->stream_time, topic_labels[e->kind]);
    rs_buf_release(&buf);
}

/* ---- the malformed records ------------------------------------------- */

enum bad_kind {
    /* FRAMING */
    B_EMPTY,
    B_TOMBSTONE,
    B_TEXT,
    B_MAGIC_C3,
    B_SHORT_CONFLUENT,
    B_SHORT_SINGLE,
    B_JSON,
    /* UNKNOWN_SCHEMA */
    B_UNKNOWN_ID,
    B_UNKNOWN_FINGERPRINT,
    B_WRONG_KIND,
    B_ALERT_SCHEMA,
    B_DEADLETTER_SCHEMA,
    /* DECODE */
    B_TRUNCATED,
    B_GARBAGE,
    B_TRAILING,
    B_HUGE_LENGTH,
    B_NEGATIVE_LENGTH,
    B_BAD_ENUM,
    B_NO_BODY,
    /* VALIDATION */
    B_NEGATIVE_AMOUNT,
    B_DUE_BEFORE_ISSUE,
    B_YEAR_2300,
    B_YEAR_1900,
    B_EMPTY_CUSTOMER,
    B_NO_CUSTOMER_NO_KEY,
    B_BAD_CURRENCY,
    B_EMPTY_EVENT_ID,
    B_LONG_CUSTOMER,
    B_BAD_SEVERITY,
    B_NEGATIVE_DUNNING,
    /* KEY_MISMATCH */
    B_OTHER_KEY,
    B_NULL_KEY,
    B_EMPTY_KEY,
    /* OVERSIZED */
    B_OVERSIZED_GARBAGE,
    B_OVERSIZED_RECORD,
    B_KINDS
};

/* A valid record of kind as text. */
static void valid_text(char *out, size_t size, int kind, const char *evid,
                       const char *ts, const char *cust, int i)
{
    switch (kind) {
    case RS_EVENT_INVOICE:
        snprintf(out, size,
                 "event_id=%s event_time=%s customer_id=%s type=ISSUED "
                 "invoice_id=BI-%d amount=12345 currency=EUR "
                 "issue_date=2026-02-10 due_date=2026-03-12 "
                 "payment_terms_days=30",
                 evid, ts, cust, i);
        return;
    case RS_EVENT_PAYMENT:
        snprintf(out, size,
                 "event_id=%s event_time=%s customer_id=%s type=FULL "
                 "payment_id=BP-%d amount=5000 currency=EUR "
                 "payment_date=2026-02-10 invoice_id=BI-%d",
                 evid, ts, cust, i, i);
        return;
    case RS_EVENT_BUREAU:
        snprintf(out, size,
                 "event_id=%s event_time=%s customer_id=%s type=SCORE_UPDATE "
                 "source=bureau old_score=50 new_score=40 score_max=100",
                 evid, ts, cust);
        return;
    default:
        snprintf(out, size,
                 "event_id=%s event_time=%s customer_id=%s type=REMINDER "
                 "dunning_level=1 channel=EMAIL",
                 evid, ts, cust);
        return;
    }
}

struct bad_ctx {
    const struct rs_pipe *p;
    const struct customers *cs;
    char ghosts[BAD_COUNT][40]; /* customers only bad records name */
    size_t ghost_count;
};

/* Fills s with malformed record number i. */
static void make_bad(struct bad_ctx *x, int i, struct sent *s)
{
    const struct rs_pipe *p = x->p;
    const struct customers *cs = x->cs;
    int t = i % B_KINDS, round = i / B_KINDS;
    int part = (round / RS_EVENT_KINDS) % PARTITIONS;
    int kind = round % RS_EVENT_KINDS;
    char evid[32], ts[40], cust[96], other[32];
    char *text = rs_malloc(8192), *fields = rs_malloc(8192);
    struct rs_buf buf;
    size_t cut;

    rs_buf_init(&buf, 0);
    snprintf(evid, sizeof(evid), "bad-%d", i);
    time_text(ts, sizeof(ts),
              at_hour(day_of("2026-02-01") + i % 90, 11));
    /* A real customer of the partition (so a wrongly applied record would
     * change its state), or a customer only bad records name. */
    if (i % 3 == 0) {
        for (int j = 0;; j++) {
            snprintf(cust, sizeof(cust), "C-GHOST-%d-%d", i, j);
            if (partition_of(cust) == part)
                break;
        }
        snprintf(x->ghosts[x->ghost_count++], sizeof(x->ghosts[0]), "%s",
                 cust);
    } else {
        snprintf(cust, sizeof(cust), "%s",
                 cs->ids[cs->by_part[part][i % cs->count[part]]]);
    }
    snprintf(other, sizeof(other), "%s",
             cs->ids[cs->by_part[part][(i + 1) % cs->count[part]]]);
    if (strcmp(other, cust) == 0)
        snprintf(other, sizeof(other), "%s",
                 cs->ids[cs->by_part[part][(i + 2) % cs->count[part]]]);
    /* Templates that only make sense on some topics. */
    if (t == B_DUE_BEFORE_ISSUE)
        kind = RS_EVENT_INVOICE;
    else if (t == B_BAD_SEVERITY)
        kind = RS_EVENT_BUREAU;
    else if (t == B_NEGATIVE_DUNNING)
        kind = RS_EVENT_COMM;
    valid_text(text, 8192, kind, evid, ts, cust, i);
    s->kind = kind;
    s->partition = part;
    set_key(s, cust);

    switch ((enum bad_kind)t) {
    case B_EMPTY:
        set_value(s, "", 0);
        expect(s, RS_ERROR_FRAMING, "empty value");
        break;
    case B_TOMBSTONE:
        set_value(s, NULL, 0);
        expect(s, RS_ERROR_FRAMING, "empty value");
        break;
    case B_TEXT:
        rs_buf_printf(&buf, "not avro at all, record %d", i);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_FRAMING,
               "neither Confluent (0x00) nor single-object (0xC3 0x01) "
               "framing");
        break;
    case B_MAGIC_C3:
        encode(p, kind, text, &buf);
        buf.data[0] = 0xC3; /* 0xC3 then the schema id's first byte, 0x00 */
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_FRAMING,
               "neither Confluent (0x00) nor single-object (0xC3 0x01) "
               "framing");
        break;
    case B_SHORT_CONFLUENT: {
        const uint8_t v[4] = {0x00, 0x00, 0x00, 0x01};

        set_value(s, v, 1 + (size_t)round % 4);
        expect(s, RS_ERROR_FRAMING, "value shorter than its framing header");
        break;
    }
    case B_SHORT_SINGLE: {
        const uint8_t v[9] = {0xC3, 0x01, 0xAA, 0xBB, 0xCC,
                              0xDD, 0xEE, 0xFF, 0x11};

        set_value(s, v, 1 + (size_t)round % 9);
        expect(s, RS_ERROR_FRAMING, "value shorter than its framing header");
        break;
    }
    case B_JSON:
        rs_buf_printf(&buf, "{\"event_id\": \"%s\", \"customer_id\": \"%s\"}",
                      evid, cust);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_FRAMING, "neither Confluent");
        break;
    case B_UNKNOWN_ID: {
        uint32_t id = 100 + (uint32_t)round;

        encode(p, kind, text, &buf);
        rs_frame_write_confluent(buf.data, id);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_UNKNOWN_SCHEMA,
               "schema id %u is not in the schema directory", id);
        break;
    }
    case B_UNKNOWN_FINGERPRINT: {
        uint64_t fp = 0x5eedf00d00000000ULL + (uint64_t)i;
        uint8_t hdr[RS_FRAME_SINGLE_OBJECT_HEADER];

        struct rs_buf framed;

        /* A well-formed body in single-object framing, but the
         * fingerprint is of no schema we have. */
        assert_null(rs_registry_by_fingerprint(p->reg, fp));
        rs_buf_init(&framed, 0);
        encode(p, kind, text, &framed);
        rs_buf_append(&buf, hdr, rs_frame_write_single_object(hdr, fp));
        rs_buf_append(&buf, framed.data + RS_FRAME_CONFLUENT_HEADER,
                      framed.len - RS_FRAME_CONFLUENT_HEADER);
        rs_buf_release(&framed);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_UNKNOWN_SCHEMA,
               "schema fingerprint %016llx is not in the schema directory",
               (unsigned long long)fp);
        break;
    }
    case B_WRONG_KIND: {
        /* E.g. a Payment record on the invoices topic. */
        int wrong = (kind + 1) % RS_EVENT_KINDS;

        valid_text(text, 8192, wrong, evid, ts, cust, i);
        encode(p, wrong, text, &buf);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_UNKNOWN_SCHEMA,
               "writes %s, but the %s topic carries %s", record_names[wrong],
               topic_labels[kind], record_names[kind]);
        break;
    }
    case B_ALERT_SCHEMA:
        put_confluent(&buf, schema_id_of(p, "io.riskstream.RiskAlert"));
        put_string(&buf, evid);
        put_string(&buf, cust);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_UNKNOWN_SCHEMA,
               "writes io.riskstream.RiskAlert, but the %s topic carries %s",
               topic_labels[kind], record_names[kind]);
        break;
    case B_DEADLETTER_SCHEMA:
        put_confluent(&buf, schema_id_of(p, "io.riskstream.DeadLetter"));
        put_string(&buf, p->topics[kind]);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_UNKNOWN_SCHEMA,
               "writes io.riskstream.DeadLetter, but the %s topic carries %s",
               topic_labels[kind], record_names[kind]);
        break;
    case B_TRUNCATED:
        /* Cut right after event_id: event_time is missing. */
        encode(p, kind, text, &buf);
        cut = RS_FRAME_CONFLUENT_HEADER + 1 + strlen(evid);
        set_value(s, buf.data, cut);
        expect(s, RS_ERROR_DECODE,
               "value ends inside field 'event_time' at byte %zu", cut);
        break;
    case B_GARBAGE: {
        put_confluent(&buf, schema_id_of(p, record_names[kind]));
        for (int j = 0; j < 12; j++)
            rs_buf_append(&buf, "\xff", 1);
        rs_buf_printf(&buf, "garbage %d", i);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_DECODE,
               "field 'event_id': varint longer than 10 bytes at byte 5");
        break;
    }
    case B_TRAILING:
        encode(p, kind, text, &buf);
        cut = buf.len;
        rs_buf_append(&buf, "XYZ", 3);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_DECODE,
               "3 trailing bytes after the record at byte %zu", cut);
        break;
    case B_HUGE_LENGTH:
        put_confluent(&buf, schema_id_of(p, record_names[kind]));
        put_varint(&buf, 1LL << 40);
        rs_buf_append(&buf, "abc", 3);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_DECODE,
               "field 'event_id': length 1099511627776 at byte 5 runs past "
               "the end of the value (3 bytes left)");
        break;
    case B_NEGATIVE_LENGTH:
        put_confluent(&buf, schema_id_of(p, record_names[kind]));
        put_varint(&buf, -1);
        rs_buf_append(&buf, "abc", 3);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_DECODE,
               "field 'event_id': negative length -1 at byte 5");
        break;
    case B_BAD_ENUM:
        put_confluent(&buf, schema_id_of(p, record_names[kind]));
        put_string(&buf, evid);
        put_varint(&buf, at_hour(day_of("2026-02-01"), 11));
        put_string(&buf, cust);
        put_varint(&buf, 99);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_DECODE, "field 'type': enum index 99 out of range");
        break;
    case B_NO_BODY:
        put_confluent(&buf, schema_id_of(p, record_names[kind]));
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_DECODE,
               "value ends inside field 'event_id' at byte 5");
        break;
    case B_NEGATIVE_AMOUNT:
        switch (kind) {
        case RS_EVENT_INVOICE:
        case RS_EVENT_PAYMENT:
            snprintf(fields, 8192, "%s amount=-500", text);
            expect(s, RS_ERROR_VALIDATION, "amount -500 is not positive");
            break;
        case RS_EVENT_BUREAU:
            snprintf(fields, 8192,
                     "%s limit_action=REDUCED limit_amount=-500 "
                     "limit_currency=EUR",
                     text);
            expect(s, RS_ERROR_VALIDATION, "limit_amount -500 is negative");
            break;
        default:
            snprintf(fields, 8192,
                     "%s type=PROMISE_TO_PAY promised_date=2026-03-01 "
                     "promised_amount=-500 currency=EUR",
                     text);
            expect(s, RS_ERROR_VALIDATION,
                   "promised_amount -500 is not positive");
            break;
        }
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        break;
    case B_DUE_BEFORE_ISSUE:
        snprintf(fields, 8192, "%s issue_date=2026-02-10 due_date=2026-01-10",
                 text);
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_VALIDATION,
               "due_date 2026-01-10 is before issue_date 2026-02-10");
        break;
    case B_YEAR_2300:
        switch (kind) {
        case RS_EVENT_INVOICE:
            snprintf(fields, 8192,
                     "%s issue_date=2300-01-01 due_date=2300-01-31", text);
            expect(s, RS_ERROR_VALIDATION,
                   "issue_date 2300-01-01 is an absurd date");
            break;
        case RS_EVENT_PAYMENT:
            snprintf(fields, 8192, "%s payment_date=2300-01-01", text);
            expect(s, RS_ERROR_VALIDATION,
                   "payment_date 2300-01-01 is an absurd date");
            break;
        case RS_EVENT_BUREAU:
            snprintf(fields, 8192, "%s event_time=2300-01-01T00:00:00Z",
                     text);
            expect(s, RS_ERROR_VALIDATION,
                   "event_time 2300-01-01T00:00:00Z is an absurd date");
            break;
        default:
            snprintf(fields, 8192, "%s promised_date=2300-01-01", text);
            expect(s, RS_ERROR_VALIDATION,
                   "promised_date 2300-01-01 is an absurd date");
            break;
        }
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        break;
    case B_YEAR_1900:
        snprintf(fields, 8192, "%s event_time=1900-06-01T00:00:00Z", text);
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_VALIDATION,
               "event_time 1900-06-01T00:00:00Z is an absurd date");
        break;
    case B_EMPTY_CUSTOMER:
        snprintf(fields, 8192, "%s customer_id=", text);
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_VALIDATION, "customer_id is empty");
        break;
    case B_NO_CUSTOMER_NO_KEY:
        snprintf(fields, 8192, "%s customer_id=", text);
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        set_key(s, NULL);
        expect(s, RS_ERROR_VALIDATION, "customer_id is empty");
        break;
    case B_BAD_CURRENCY:
        switch (kind) {
        case RS_EVENT_INVOICE:
        case RS_EVENT_PAYMENT:
            snprintf(fields, 8192, "%s currency=eur", text);
            expect(s, RS_ERROR_VALIDATION,
                   "currency 'eur' is not three upper-case letters");
            break;
        case RS_EVENT_BUREAU:
            snprintf(fields, 8192,
                     "%s limit_action=GRANTED limit_amount=100 "
                     "limit_currency=E1R",
                     text);
            expect(s, RS_ERROR_VALIDATION,
                   "limit_currency 'E1R' is not three upper-case letters");
            break;
        default:
            snprintf(fields, 8192,
                     "%s type=PROMISE_TO_PAY promised_date=2026-03-01 "
                     "promised_amount=100 currency=EURO",
                     text);
            expect(s, RS_ERROR_VALIDATION,
                   "currency 'EURO' is not three upper-case letters");
            break;
        }
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        break;
    case B_EMPTY_EVENT_ID:
        snprintf(fields, 8192, "%s event_id=", text);
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_VALIDATION, "event_id is empty");
        break;
    case B_LONG_CUSTOMER: {
        char longid[80];

        snprintf(longid, sizeof(longid), "C-LONG-%d-", i);
        memset(longid + strlen(longid), 'x', 70 - strlen(longid));
        longid[70] = '\0';
        snprintf(fields, 8192, "%s customer_id=%s", text, longid);
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        set_key(s, longid);
        expect(s, RS_ERROR_VALIDATION, "customer_id is longer than 63 bytes");
        break;
    }
    case B_BAD_SEVERITY:
        snprintf(fields, 8192, "%s type=LEGAL_FILING severity=9", text);
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_VALIDATION, "severity 9 is not between 1 and 5");
        break;
    case B_NEGATIVE_DUNNING:
        snprintf(fields, 8192, "%s dunning_level=-1", text);
        encode(p, kind, fields, &buf);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_VALIDATION, "dunning_level -1 is negative");
        break;
    case B_OTHER_KEY:
        encode(p, kind, text, &buf);
        set_value(s, buf.data, buf.len);
        set_key(s, other);
        expect(s, RS_ERROR_KEY_MISMATCH, "key '%s' is not the customer_id '%s'",
               other, cust);
        break;
    case B_NULL_KEY:
        encode(p, kind, text, &buf);
        set_value(s, buf.data, buf.len);
        set_key(s, NULL);
        expect(s, RS_ERROR_KEY_MISMATCH,
               "no key; the key must be the customer_id '%s'", cust);
        break;
    case B_EMPTY_KEY:
        encode(p, kind, text, &buf);
        set_value(s, buf.data, buf.len);
        set_key(s, "");
        expect(s, RS_ERROR_KEY_MISMATCH, "key '' is not the customer_id '%s'",
               cust);
        break;
    case B_OVERSIZED_GARBAGE:
        put_confluent(&buf, schema_id_of(p, record_names[kind]));
        while (buf.len < OVERSIZED_BYTES)
            rs_buf_append(&buf, "A", 1);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_OVERSIZED,
               "value of %d bytes is larger than the cap of %d",
               OVERSIZED_BYTES, MAX_RECORD_BYTES);
        break;
    case B_OVERSIZED_RECORD: {
        /* A well-formed record, only too large: a 4,500-byte event id. */
        size_t o = (size_t)snprintf(fields, 8192, "%s event_id=", text);

        memset(fields + o, 'E', 4500);
        fields[o + 4500] = '\0';
        encode(p, kind, fields, &buf);
        assert_true(buf.len > MAX_RECORD_BYTES);
        set_value(s, buf.data, buf.len);
        expect(s, RS_ERROR_OVERSIZED,
               "value of %zu bytes is larger than the cap of %d", buf.len,
               MAX_RECORD_BYTES);
        break;
    }
    case B_KINDS:
        break;
    }
    assert_true(s->expect_dl);
    rs_buf_release(&buf);
    free(text);
    free(fields);
}

/* ---- reading dead letters -------------------------------------------- */

struct deadletter {
    char topic[200];
    int32_t partition;
    int64_t offset;
    int has_key;
    uint8_t *key;
    size_t key_len;
    int has_value;
    uint8_t *value;
    size_t value_len;
    int has_timestamp;
    int64_t timestamp;
    char error_class[32];
    char message[512];
    int64_t dead_lettered_at;
};

static avro_value_t field(avro_value_t *rec, const char *name)
{
    avro_value_t f;

    if (avro_value_get_by_name(rec, name, &f, NULL))
        fail_msg("dead letter has no field '%s'", name);
    return f;
}

static void get_str(avro_value_t *rec, const char *name, char *out,
                    size_t size)
{
    avro_value_t f = field(rec, name);
    const char *s;
    size_t n;

    assert_int_equal(avro_value_get_string(&f, &s, &n), 0);
    snprintf(out, size, "%s", s);
}

/* An optional bytes field: 1 and a heap copy when set, 0 when null. */
static int get_opt_bytes(avro_value_t *rec, const char *name, uint8_t **out,
                         size_t *len)
{
    avro_value_t f = field(rec, name), branch;
    const void *b;
    int disc;

    *out = NULL;
    *len = 0;
    assert_int_equal(avro_value_get_discriminant(&f, &disc), 0);
    if (disc == 0)
        return 0;
    assert_int_equal(avro_value_get_current_branch(&f, &branch), 0);
    assert_int_equal(avro_value_get_bytes(&branch, &b, len), 0);
    *out = rs_malloc(*len + 1);
    memcpy(*out, b, *len);
    return 1;
}

static void decode_deadletter(const struct rs_pipe *p,
                              const struct rs_record *r, struct deadletter *d)
{
    struct rs_frame fr;
    const struct rs_schema_entry *e;
    avro_value_iface_t *iface;
    avro_value_t v, f, branch;
    avro_reader_t rd;
    size_t size;
    int disc, sym;

    memset(d, 0, sizeof(*d));
    assert_int_equal(rs_frame_parse(r->value, r->len, &fr), RS_FRAME_OK);
    assert_int_equal(fr.kind, RS_FRAME_CONFLUENT);
    e = rs_registry_by_id(p->reg, fr.schema_id);
    assert_non_null(e);
    assert_string_equal(e->fullname, "io.riskstream.DeadLetter");
    iface = avro_generic_class_from_schema(e->schema);
    avro_generic_value_new(iface, &v);
    rd = avro_reader_memory((const char *)fr.body, (int64_t)fr.body_len);
    if (avro_value_read(rd, &v))
        fail_msg("dead letter does not decode: %s", avro_strerror());
    /* The whole body is the record: nothing before or after. */
    assert_int_equal(avro_value_sizeof(&v, &size), 0);
    assert_int_equal(size, fr.body_len);

    get_str(&v, "original_topic", d->topic, sizeof(d->topic));
    f = field(&v, "original_partition");
    assert_int_equal(avro_value_get_int(&f, &d->partition), 0);
    f = field(&v, "original_offset");
    assert_int_equal(avro_value_get_long(&f, &d->offset), 0);
    d->has_key = get_opt_bytes(&v, "original_key", &d->key, &d->key_len);
    d->has_value =
        get_opt_bytes(&v, "original_value", &d->value, &d->value_len);
    f = field(&v, "original_timestamp");
    assert_int_equal(avro_value_get_discriminant(&f, &disc), 0);
    d->has_timestamp = disc == 1;
    if (disc == 1) {
        assert_int_equal(avro_value_get_current_branch(&f, &branch), 0);
        assert_int_equal(avro_value_get_long(&branch, &d->timestamp), 0);
    }
    f = field(&v, "error_class");
    assert_int_equal(avro_value_get_enum(&f, &sym), 0);
    snprintf(d->error_class, sizeof(d->error_class), "%s",
             avro_schema_enum_get(avro_value_get_schema(&f), sym));
    get_str(&v, "error_message", d->message, sizeof(d->message));
    f = field(&v, "dead_lettered_at");
    assert_int_equal(avro_value_get_long(&f, &d->dead_lettered_at), 0);

    avro_reader_free(rd);
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
}

static int kind_of_topic(const struct rs_pipe *p, const char *topic)
{
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        if (strcmp(p->topics[k], topic) == 0)
            return k;
    return -1;
}

/* Reads the pipeline's dead-letter topic and matches every record to what
 * was sent, by (topic, partition, offset). Returns the count. */
static size_t check_deadletters(const struct rs_pipe *p, struct batch *b,
                                int64_t since_ms, const char *label)
{
    struct rs_record *recs = NULL;
    size_t want = 0, n;
    size_t per_class[RS_ERROR_CLASSES] = {0};
    unsigned kinds[RS_ERROR_CLASSES] = {0}, parts[RS_ERROR_CLASSES] = {0};

    for (size_t i = 0; i < b->n; i++)
        want += b->v[i].expect_dl;
    /* One more than expected: an extra dead letter must show. */
    n = rs_pipe_read(p, 5, want + 1, READ_IDLE_MS, &recs);
    for (size_t i = 0; i < n; i++) {
        struct deadletter d;
        struct sent *s;
        int kind;

        decode_deadletter(p, &recs[i], &d);
        kind = kind_of_topic(p, d.topic);
        if (kind < 0)
            fail_msg("%s: dead letter names topic '%s'", label, d.topic);
        s = find_sent(b, kind, d.partition, d.offset);
        if (!s)
            fail_msg("%s: dead letter for %s [%d] @%" PRId64
                     " matches nothing sent (%s: %s)",
                     label, d.topic, (int)d.partition, d.offset,
                     d.error_class, d.message);
        if (!s->expect_dl)
            fail_msg("%s: good record %s [%d] @%" PRId64
                     " was dead-lettered (%s: %s)",
                     label, d.topic, (int)d.partition, d.offset,
                     d.error_class, d.message);
        if (s->seen)
            fail_msg("%s: %s [%d] @%" PRId64 " dead-lettered twice", label,
                     d.topic, (int)d.partition, d.offset);
        s->seen = 1;
        if (strcmp(d.error_class, class_symbols[s->cls]) != 0 ||
            !strstr(d.message, s->reason))
            fail_msg("%s: %s [%d] @%" PRId64 ": got %s '%s', want %s with "
                     "'%s'",
                     label, d.topic, (int)d.partition, d.offset,
                     d.error_class, d.message, class_symbols[s->cls],
                     s->reason);
        /* The original bytes, byte for byte; null only where null. */
        if (d.has_value != s->has_value || d.value_len != s->len ||
            (s->len && memcmp(d.value, s->value, s->len) != 0))
            fail_msg("%s: %s [%d] @%" PRId64 ": original_value differs "
                     "(%s, %zu bytes; sent %s, %zu bytes)",
                     label, d.topic, (int)d.partition, d.offset,
                     d.has_value ? "set" : "null", d.value_len,
                     s->has_value ? "set" : "null", s->len);
        if (d.has_key != s->has_key || d.key_len != s->key_len ||
            (s->key_len && memcmp(d.key, s->key, s->key_len) != 0))
            fail_msg("%s: %s [%d] @%" PRId64 ": original_key differs "
                     "(%s '%.*s'; sent %s '%s')",
                     label, d.topic, (int)d.partition, d.offset,
                     d.has_key ? "set" : "null", (int)d.key_len,
                     d.key ? (const char *)d.key : "",
                     s->has_key ? "set" : "null", s->key ? s->key : "");
        /* The message's own timestamp; dead-lettered during this test. */
        assert_true(d.has_timestamp);
        assert_int_equal(d.timestamp, s->timestamp);
        if (d.dead_lettered_at < since_ms - 1000 ||
            d.dead_lettered_at > wall_ms() + 1000)
            fail_msg("%s: dead_lettered_at %" PRId64 " is not during the "
                     "test (from %" PRId64 ")",
                     label, d.dead_lettered_at, since_ms);
        /* Dead letters are keyed like their originals. */
        if (s->has_key) {
            assert_int_equal(recs[i].key_len, s->key_len);
            assert_memory_equal(recs[i].key, s->key ? s->key : "",
                                s->key_len);
        }
        per_class[s->cls]++;
        kinds[s->cls] |= 1u << kind;
        parts[s->cls] |= 1u << d.partition;
        free(d.key);
        free(d.value);
    }
    if (n != want)
        fail_msg("%s: %zu dead letters, want %zu", label, n, want);
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].expect_dl && !b->v[i].seen)
            fail_msg("%s: no dead letter for %s [%d] @%" PRId64 " (%s)",
                     label, p->topics[b->v[i].kind], (int)b->v[i].partition,
                     b->v[i].offset, class_symbols[b->v[i].cls]);
    printf("  %s: %zu dead letters:", label, n);
    for (int c = 0; c < RS_ERROR_CLASSES; c++)
        if (per_class[c])
            printf(" %s %zu (topics %x, partitions %x)", class_symbols[c],
                   per_class[c], kinds[c], parts[c]);
    printf("\n");
    /* Every class from bytes, on every input topic and both partitions. */
    if (want > 10) {
        for (int c = 0; c < RS_ERROR_CLASSES; c++) {
            if (c == RS_ERROR_LATE || c == RS_ERROR_OTHER)
                continue;
            if (kinds[c] != 0xF || parts[c] != 0x3)
                fail_msg("%s: %s dead letters cover topics %x, partitions %x",
                         label, class_symbols[c], kinds[c], parts[c]);
        }
    }
    rs_pipe_records_free(recs, n);
    return n;
}

/* ---- alerts ---------------------------------------------------------- */

struct alert {
    char cust[80];
    size_t order;
    char *norm; /* JSON without offsets, trigger as a good record number */
};

static int cmp_alert(const void *a, const void *b)
{
    const struct alert *x = a, *y = b;
    int c = strcmp(x->cust, y->cust);

    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The alert's JSON with its alert id's trigger translated from an input
 * offset to the good record's number, and source_offsets left out (they
 * count every input record, malformed ones too). */
static char *normalize_alert(struct batch *b, const char *json)
{
    char id[256], cust[80], trig[96], levels[64], kindname[32], norm_id[300];
    const char *s, *e;
    struct rs_buf out;
    long long off;
    int part;

    if (rs_pipe_json_str(json, "alert_id", id, sizeof(id)) ||
        sscanf(id, "%79[^/]/%95[^/]/%63s", cust, trig, levels) != 3)
        fail_msg("alert without a readable alert_id: %s", json);
    if (strncmp(trig, "timer-", 6) == 0) {
        snprintf(norm_id, sizeof(norm_id), "%s", id);
    } else {
        const struct sent *src = NULL;

        if (sscanf(trig, "%31[a-z]-%d-%lld", kindname, &part, &off) != 3)
            fail_msg("alert id '%s': unknown trigger", id);
        for (int k = 0; k < RS_EVENT_KINDS; k++)
            if (strcmp(kindname, topic_labels[k]) == 0)
                src = find_sent(b, k, part, off);
        if (!src || !src->good || src->expect_dl)
            fail_msg("alert '%s' was triggered by a record that is not a "
                     "good one",
                     id);
        snprintf(norm_id, sizeof(norm_id), "%s/good-%d/%s", cust,
                 src->good_index, levels);
    }
    rs_buf_init(&out, 0);
    s = strstr(json, "\"alert_id\": \"");
    assert_non_null(s);
    s += strlen("\"alert_id\": \"");
    rs_buf_append(&out, json, (size_t)(s - json));
    rs_buf_puts(&out, norm_id);
    json = strchr(s, '"');
    s = strstr(json, "\"source_offsets\": [");
    assert_non_null(s);
    e = strchr(s, ']');
    assert_non_null(e);
    rs_buf_append(&out, json, (size_t)(s - json));
    rs_buf_puts(&out, e + 1);
    return (char *)out.data;
}

static size_t read_alerts(const struct rs_pipe *p, struct batch *b,
                          struct alert **out)
{
    struct rs_record *recs = NULL;
    size_t n = rs_pipe_read(p, 4, 1000000, READ_IDLE_MS, &recs);
    struct alert *v = rs_calloc(n ? n : 1, sizeof(*v));

    for (size_t i = 0; i < n; i++) {
        char *json = rs_pipe_json(p, &recs[i]);

        if (rs_pipe_json_str(json, "customer_id", v[i].cust,
                             sizeof(v[i].cust)))
            fail_msg("alert without customer_id: %s", json);
        assert_string_equal(recs[i].key, v[i].cust);
        v[i].order = i;
        v[i].norm = normalize_alert(b, json);
        free(json);
    }
    rs_pipe_records_free(recs, n);
    /* Per customer in the order made (a customer's alerts share a
     * partition, so the read keeps their order). */
    qsort(v, n, sizeof(*v), cmp_alert);
    *out = v;
    return n;
}

static void alerts_free(struct alert *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].norm);
    free(v);
}

/* ---- the test -------------------------------------------------------- */

static void test_malformed_records_are_dead_lettered(void **state)
{
    struct rs_pipe a, b;
    struct customers cs;
    struct goods g = {NULL, 0, 0};
    struct batch ba = {NULL, 0, 0}, bb = {NULL, 0, 0};
    struct bad_ctx *x = rs_calloc(1, sizeof(*x));
    struct alert *alerts_a = NULL, *alerts_b = NULL;
    size_t na, nb, next_bad = 0, checked = 0, customers_with_alerts = 0;
    int64_t t0 = wall_ms(), t_prod, t_run_a, t_run_b;
    char *ha, *hb, want[64];
    long long open = 0;
    int payer;

    (void)state;
    rs_pipe_init(&a, "rs-it-dl-a", PARTITIONS);
    rs_pipe_init(&b, "rs-it-dl-b", PARTITIONS);
    make_customers(&cs);
    payer = make_goods(&g, &cs);

    /* A: the good records alone. B: the same, with the malformed ones
     * spread evenly between them. */
    x->p = &b;
    x->cs = &cs;
    for (size_t i = 0; i < g.n; i++) {
        size_t upto = (i + 1) * BAD_COUNT / g.n;

        add_good_sent(&a, &ba, &g.v[i], (int)i);
        add_good_sent(&b, &bb, &g.v[i], (int)i);
        for (; next_bad < upto; next_bad++)
            make_bad(x, (int)next_bad, batch_add(&bb));
    }
    assert_int_equal(next_bad, BAD_COUNT);
    produce_batch(&a, &ba);
    produce_batch(&b, &bb);
    t_prod = wall_ms();
    printf("  %zu good records, %d malformed ones (%lld ms to produce)\n",
           g.n, BAD_COUNT, (long long)(t_prod - t0));

    rs_pipe_run_to_end(&a, EXTRA_CONFIG, RUN_TIMEOUT_MS);
    t_run_a = wall_ms();
    rs_pipe_run_to_end(&b, EXTRA_CONFIG, RUN_TIMEOUT_MS);
    t_run_b = wall_ms();
    printf("  run A %lld ms, run B %lld ms\n",
           (long long)(t_run_a - t_prod), (long long)(t_run_b - t_run_a));

    /* Dead letters: only the two LATE ones in A; in B those and every
     * malformed record, each once, with its class, reason and bytes. */
    assert_int_equal(check_deadletters(&a, &ba, t0, "A"), 2);
    assert_int_equal(check_deadletters(&b, &bb, t0, "B"), BAD_COUNT + 2);

    /* The good records' state is the same with and without the bad ones:
     * packed state and summary, customer by customer. */
    for (int i = 0; i < CUSTOMERS + PARTITIONS; i++) {
        const char *id = i < CUSTOMERS ? cs.ids[i] : cs.clock[i - CUSTOMERS];

        ha = rs_pipe_customer(&a, id);
        hb = rs_pipe_customer(&b, id);
        if (!ha)
            fail_msg("A has no state for %s", id);
        if (!hb || strcmp(ha, hb) != 0)
            fail_msg("%s differs:\nA:\n%sB:\n%s", id, ha, hb ? hb : "(none)\n");
        checked++;
        free(ha);
        free(hb);
    }
    /* The late payment was applied: the payer owes invoices 1 to 3. */
    for (int n = 1; n < 4; n++)
        open += 10000LL * (1 + (payer * 7 + n * 3) % 50);
    snprintf(want, sizeof(want), "open_amount=%lld\n", open);
    ha = rs_pipe_customer(&a, cs.ids[payer]);
    if (!strstr(ha, want))
        fail_msg("%s paid late, want %s:\n%s", cs.ids[payer], want, ha);
    free(ha);
    /* Customers only malformed records name have no state. */
    for (size_t i = 0; i < x->ghost_count; i++) {
        hb = rs_pipe_customer(&b, x->ghosts[i]);
        if (hb)
            fail_msg("%s, named only by malformed records, has state:\n%s",
                     x->ghosts[i], hb);
    }

    /* The same alerts, customer by customer, but for offsets. */
    na = read_alerts(&a, &ba, &alerts_a);
    nb = read_alerts(&b, &bb, &alerts_b);
    assert_true(na > 0);
    if (na != nb)
        fail_msg("A made %zu alerts, B %zu", na, nb);
    for (size_t i = 0; i < na; i++) {
        if (strcmp(alerts_a[i].cust, alerts_b[i].cust) != 0 ||
            strcmp(alerts_a[i].norm, alerts_b[i].norm) != 0)
            fail_msg("alert %zu differs:\nA: %s\nB: %s", i, alerts_a[i].norm,
                     alerts_b[i].norm);
        if (i == 0 || strcmp(alerts_a[i].cust, alerts_a[i - 1].cust) != 0)
            customers_with_alerts++;
    }
    /* The scenario reaches every level. */
    assert_non_null(strstr(alerts_a[0].norm, "\"level_after\""));
    {
        int levels = 0;
        static const char *const names[] = {"\"level_after\": \"LOW\"",
                                            "\"level_after\": \"MEDIUM\"",
                                            "\"level_after\": \"HIGH\"",
                                            "\"level_after\": \"CRITICAL\""};

        for (int l = 0; l < 4; l++)
            for (size_t i = 0; i < na; i++)
                if (strstr(alerts_a[i].norm, names[l])) {
                    levels |= 1 << l;
                    break;
                }
        assert_int_equal(levels, 0xF);
    }
    printf("  %zu customers equal; %zu alerts for %zu customers equal; "
           "%zu ghost customers absent; total %lld ms\n",
           checked, na, customers_with_alerts, x->ghost_count,
           (long long)(wall_ms() - t0));

    alerts_free(alerts_a, na);
    alerts_free(alerts_b, nb);
    batch_free(&ba);
    batch_free(&bb);
    free(g.v);
    free(x);
    rs_pipe_release(&b);
    rs_pipe_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_records_are_dead_lettered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
