/* rsbench fill: pre-fills the four input topics with generated events.
 *
 * An idempotent producer (acks=all) built by riskstream's own Kafka adapter,
 * so keys land where riskstream's producers would put them
 * (murmur2_random), tuned for throughput: large batches, lz4, a deep queue.
 * With --check N the first N events (and probes among them) are decoded
 * with riskstream's decoder before anything is produced; --check-only stops
 * there (the CTest bench_gen_decodes). Prints one JSON line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "riskstream/evfile.h"
#include "riskstream/decode.h"
#include "riskstream/kafka.h"
#include "riskstream/registry.h"

static int delivery_failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err && delivery_failed++ < 5)
        fprintf(stderr, "rsbench fill: delivery failed: %s\n",
                rd_kafka_err2str(m->err));
}

static int check(const struct rs_bench_gen_opts *o, const char *schema_dir,
                 uint64_t count)
{
    char errstr[512], why[512];
    struct rs_registry *reg = rs_registry_load(schema_dir, errstr,
                                               sizeof(errstr));
    struct rs_decoder *dec = reg ? rs_decoder_new(reg, 65536, errstr,
                                                  sizeof(errstr))
                                 : NULL;
    struct rs_bench_gen *g = rs_bench_gen_new(o);
    struct rs_bench_event ev;
    struct rs_event out;
    enum rs_error_class cls;
    uint64_t bad = 0, ok[RS_EVENT_KINDS] = {0};

    if (!dec) {
        fprintf(stderr, "rsbench fill: %s\n", errstr);
        rs_registry_destroy(reg);
        rs_bench_gen_destroy(g);
        return -1;
    }
    for (uint64_t i = 0; i < count; i++) {
        if (i % 1000 == 999)
            rs_bench_gen_probe(g, "PROBE-CHECK", o->time_to, &ev);
        else
            rs_bench_gen_next(g, -1, &ev);
        if (rs_decode(dec, ev.kind, ev.key, ev.key_len, ev.value, ev.len, &out,
                      &cls, why, sizeof(why)) == RS_DECODE_OK &&
            out.kind == ev.kind && out.event_time == ev.event_time) {
            ok[ev.kind]++;
        } else if (bad++ < 5) {
            fprintf(stderr, "rsbench fill: event %llu (kind %d) does not "
                            "decode: %s: %s\n",
                    (unsigned long long)i, (int)ev.kind,
                    rs_error_class_name(cls), why);
        }
    }
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        if (!ok[k] && bad++ < 5)
            fprintf(stderr, "rsbench fill: no event of kind %d decoded\n", k);
    if (!bad)
        fprintf(stderr, "rsbench fill: check: %llu invoices, %llu payments, "
                        "%llu bureau, %llu communications decode\n",
                (unsigned long long)ok[0], (unsigned long long)ok[1],
                (unsigned long long)ok[2], (unsigned long long)ok[3]);
    rs_decoder_destroy(dec);
    rs_registry_destroy(reg);
    rs_bench_gen_destroy(g);
    if (bad)
        fprintf(stderr, "rsbench fill: %llu of %llu events do not decode\n",
                (unsigned long long)bad, (unsigned long long)count);
    return bad ? -1 : 0;
}

/* --file: the same events into an event file (RSEV1) instead of Kafka,
 * for `riskstream backtest`: the engine's cost without Kafka or Redis. */
static int fill_file(const struct rs_bench_gen_opts *o, uint64_t events,
                     const char *path)
{
    char errstr[512];
    struct rs_evfile_writer *w = rs_evfile_create(path, errstr,
                                                  sizeof(errstr));
    struct rs_bench_gen *g;
    struct rs_bench_event ev;
    int rc = 0;

    if (!w) {
        fprintf(stderr, "rsbench fill: %s\n", errstr);
        return 1;
    }
    g = rs_bench_gen_new(o);
    for (uint64_t i = 0; i < events && rc == 0; i++) {
        rs_bench_gen_next(g, -1, &ev);
        rc = rs_evfile_write(w, ev.kind, ev.key, ev.key_len, ev.value,
                             ev.len, errstr, sizeof(errstr));
    }
    rs_bench_gen_destroy(g);
    if (rs_evfile_finish(w, errstr, sizeof(errstr)) || rc) {
        fprintf(stderr, "rsbench fill: %s\n", errstr);
        return 1;
    }
    return 0;
}

int rs_bench_fill(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 's'},
        {"events", required_argument, NULL, 'n'},
        {"customers", required_argument, NULL, 'c'},
        {"zipf", required_argument, NULL, 'z'},
        {"seed", required_argument, NULL, 'r'},
        {"days", required_argument, NULL, 'd'},
        {"time-to", required_argument, NULL, 't'},
        {"tag", required_argument, NULL, 'g'},
        {"check", required_argument, NULL, 'k'},
        {"check-only", no_argument, NULL, 'K'},
        {"file", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    char *sets[64];
    int nsets = 0, c, check_only = 0;
    const char *file = NULL;
    uint64_t events = 5000000, check_count = 0;
    double days = 365;
    struct rs_bench_gen_opts o = {.seed = 1, .customers = 100000,
                                  .zipf = 0.8, .id_tag = "E"};
    struct rs_config *conf;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt[RS_EVENT_KINDS];
    struct rs_kafka_hooks hooks = {on_delivery, NULL, NULL, NULL};
    struct rs_bench_gen *g;
    struct rs_bench_event ev;
    char errstr[512];
    uint64_t bytes = 0, per_kind[RS_EVENT_KINDS] = {0};
    int64_t t0;
    double cpu0, secs;

    o.time_to = rs_bench_wall_us() / 1000;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (nsets < 64)
                sets[nsets++] = optarg;
            break;
        case 'n':
            events = strtoull(optarg, NULL, 10);
            break;
        case 'c':
            o.customers = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'z':
            o.zipf = strtod(optarg, NULL);
            break;
        case 'r':
            o.seed = strtoull(optarg, NULL, 10);
            break;
        case 'd':
            days = strtod(optarg, NULL);
            break;
        case 't':
            o.time_to = strtoll(optarg, NULL, 10);
            break;
        case 'g':
            o.id_tag = optarg;
            break;
        case 'k':
            check_count = strtoull(optarg, NULL, 10);
            break;
        case 'K':
            check_only = 1;
            break;
        case 'f':
            file = optarg;
            break;
        default:
            return 2;
        }
    }
    if (o.customers == 0 || events == 0)
        return 2;
    o.events = events;
    o.time_from = o.time_to - (int64_t)(days * 86400000.0);
    conf = rs_bench_config(nsets, sets);
    if (rs_bench_schema_ids(conf->schema_dir, o.schema_ids) ||
        (check_count && check(&o, conf->schema_dir, check_count))) {
        rs_config_destroy(conf);
        return 1;
    }
    if (check_only) {
        rs_config_destroy(conf);
        return 0;
    }
    if (file) {
        int rc = fill_file(&o, events, file);

        rs_config_destroy(conf);
        return rc;
    }

    /* Throughput settings for the fill only; riskstream's are untouched. */
    {
        static const char *const kv[][2] = {
            {"kafka.producer.linger.ms", "50"},
            {"kafka.producer.batch.size", "1000000"},
            {"kafka.producer.compression.type", "lz4"},
            {"kafka.producer.queue.buffering.max.messages", "2000000"},
            {"kafka.producer.queue.buffering.max.kbytes", "1048576"},
            {"kafka.producer.acks", "all"},
        };
        for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
            if (!rs_config_kafka_get(conf, kv[i][0] + 6) &&
                rs_config_set(conf, kv[i][0], kv[i][1], errstr,
                              sizeof(errstr))) {
                fprintf(stderr, "rsbench fill: %s\n", errstr);
                return 1;
            }
    }
    rk = rs_kafka_new(conf, RS_KAFKA_ROLE_PRODUCER, NULL, &hooks, errstr,
                      sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "rsbench fill: %s\n", errstr);
        return 1;
    }
    rkt[RS_EVENT_INVOICE] = rd_kafka_topic_new(rk, conf->topic_invoices, NULL);
    rkt[RS_EVENT_PAYMENT] = rd_kafka_topic_new(rk, conf->topic_payments, NULL);
    rkt[RS_EVENT_BUREAU] = rd_kafka_topic_new(rk, conf->topic_bureau, NULL);
    rkt[RS_EVENT_COMM] = rd_kafka_topic_new(rk, conf->topic_communications,
                                            NULL);
    g = rs_bench_gen_new(&o);
    t0 = rs_bench_mono_us();
    cpu0 = rs_bench_cpu_seconds();
    for (uint64_t i = 0; i < events && !delivery_failed; i++) {
        rs_bench_gen_next(g, -1, &ev);
        while (rd_kafka_produce(rkt[ev.kind], RD_KAFKA_PARTITION_UA,
                                RD_KAFKA_MSG_F_COPY, ev.value, ev.len, ev.key,
                                ev.key_len, NULL) == -1) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "rsbench fill: produce: %s\n",
                        rd_kafka_err2str(rd_kafka_last_error()));
                return 1;
            }
            rd_kafka_poll(rk, 5);
        }
        bytes += ev.len;
        per_kind[ev.kind]++;
        if ((i & 1023) == 0)
            rd_kafka_poll(rk, 0);
    }
    while (rd_kafka_outq_len(rk) > 0 && !delivery_failed)
        rd_kafka_poll(rk, 50);
    secs = (double)(rs_bench_mono_us() - t0) / 1e6;
    printf("{\"events\": %llu, \"value_bytes\": %llu, \"seconds\": %.3f, "
           "\"rate\": %.0f, \"cpu_seconds\": %.2f, \"invoices\": %llu, "
           "\"payments\": %llu, \"bureau\": %llu, \"communications\": %llu, "
           "\"time_from\": %lld, \"time_to\": %lld, \"failed\": %d}\n",
           (unsigned long long)events, (unsigned long long)bytes, secs,
           (double)events / secs, rs_bench_cpu_seconds() - cpu0,
           (unsigned long long)per_kind[0], (unsigned long long)per_kind[1],
           (unsigned long long)per_kind[2], (unsigned long long)per_kind[3],
           (long long)o.time_from, (long long)o.time_to, delivery_failed);
    rs_bench_gen_destroy(g);
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        rd_kafka_topic_destroy(rkt[k]);
    rd_kafka_destroy(rk);
    rs_config_destroy(conf);
    return delivery_failed ? 1 : 0;
}
