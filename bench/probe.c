/* rsbench probe: event time → output consumed, at a constant input rate.
 *
 * One thread produces the generator's mix to the input topics at --rate
 * events/s with event_time = now, and replaces one event in rate/probe-rate
 * by a probe: a bankruptcy filing of a fresh customer "<tag>-<n>", which
 * riskstream turns into a CRITICAL alert at once. The producer is
 * riskstream's own (idempotent, linger.ms 5, murmur2_random), like an ERP
 * connector would be. Another thread reads --out-topic (riskstream's alerts,
 * or the no-op forwarder's output) with read_committed from its end and
 * takes the first record keyed by each probe's customer: latency = the
 * wall-clock time it was consumed minus the time the probe was made (its
 * event_time, kept in microseconds). Probes of the first --warmup seconds
 * are not counted. Prints one JSON line; --samples FILE gets every latency
 * (ms, sorted) for the plot. */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "riskstream/kafka.h"
#include "riskstream/mem.h"

#define PROBES_MAX 1000000

struct probe_run {
    struct rs_config *conf;
    const char *out_topic;
    const char *tag;
    size_t tag_len;
    double rate, probe_rate, seconds, warmup, drain;
    int64_t *sent_us; /* by probe number; 0: not sent */
    int64_t *got_us;  /* latency; 0: not received */
    volatile int stop_consumer;
    volatile long probes;
    uint64_t produced;
    rd_kafka_t *consumer;
    int ready;
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static void *consume(void *arg)
{
    struct probe_run *pr = arg;

    while (!pr->stop_consumer) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(pr->consumer, 50);
        int64_t now = rs_bench_wall_us();

        if (!m)
            continue;
        if (!m->err && m->key && m->key_len > pr->tag_len + 1 &&
            memcmp(m->key, pr->tag, pr->tag_len) == 0 &&
            ((const char *)m->key)[pr->tag_len] == '-') {
            char num[24];
            size_t n = m->key_len - pr->tag_len - 1;
            long k;

            if (n < sizeof(num)) {
                memcpy(num, (const char *)m->key + pr->tag_len + 1, n);
                num[n] = '\0';
                k = strtol(num, NULL, 10);
                if (k >= 0 && k < PROBES_MAX && pr->sent_us[k] &&
                    !pr->got_us[k])
                    pr->got_us[k] = now - pr->sent_us[k];
            }
        }
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

/* Positions the consumer at the current end of every partition. */
static int assign_end(struct probe_run *pr, char *errstr, size_t errstr_size)
{
    int n = rs_kafka_partition_count(pr->consumer, pr->out_topic, 10000,
                                     errstr, errstr_size);
    rd_kafka_topic_partition_list_t *l;

    if (n < 0)
        return -1;
    l = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++) {
        int64_t lo, hi;

        if (rd_kafka_query_watermark_offsets(pr->consumer, pr->out_topic, p,
                                             &lo, &hi, 10000)) {
            snprintf(errstr, errstr_size, "no watermarks for %s [%d]",
                     pr->out_topic, p);
            rd_kafka_topic_partition_list_destroy(l);
            return -1;
        }
        rd_kafka_topic_partition_list_add(l, pr->out_topic, p)->offset = hi;
    }
    rd_kafka_assign(pr->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

static int produce(rd_kafka_t *rk, rd_kafka_topic_t *rkt,
                   const struct rs_bench_event *ev)
{
    while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                            (void *)(uintptr_t)ev->value, ev->len,
                            ev->key, ev->key_len, NULL) == -1) {
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return -1;
        rd_kafka_poll(rk, 1);
    }
    return 0;
}

int rs_bench_probe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 's'},
        {"rate", required_argument, NULL, 'r'},
        {"probe-rate", required_argument, NULL, 'p'},
        {"seconds", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'w'},
        {"drain", required_argument, NULL, 'D'},
        {"out-topic", required_argument, NULL, 'o'},
        {"tag", required_argument, NULL, 'g'},
        {"customers", required_argument, NULL, 'c'},
        {"zipf", required_argument, NULL, 'z'},
        {"samples", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    struct probe_run pr = {.rate = 1000, .probe_rate = 200, .seconds = 20,
                           .warmup = 2, .drain = 5, .tag = "L"};
    struct rs_bench_gen_opts go = {.seed = 7, .customers = 100000,
                                   .zipf = 0.8, .id_tag = "LAT"};
    char id_tag[64];
    const char *samples_path = NULL;
    char *sets[64];
    int nsets = 0, c, rc = 1;
    char errstr[512], cust[RS_BENCH_KEY_MAX];
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt[RS_EVENT_KINDS] = {0};
    struct rs_bench_gen *g = NULL;
    struct rs_bench_event ev;
    pthread_t th;
    int64_t t0, every, counted_from;
    int64_t *lat = NULL;
    size_t nlat = 0, missing = 0;
    double cpu0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (nsets < 64)
                sets[nsets++] = optarg;
            break;
        case 'r':
            pr.rate = strtod(optarg, NULL);
            break;
        case 'p':
            pr.probe_rate = strtod(optarg, NULL);
            break;
        case 'd':
            pr.seconds = strtod(optarg, NULL);
            break;
        case 'w':
            pr.warmup = strtod(optarg, NULL);
            break;
        case 'D':
            pr.drain = strtod(optarg, NULL);
            break;
        case 'o':
            pr.out_topic = optarg;
            break;
        case 'g':
            pr.tag = optarg;
            break;
        case 'c':
            go.customers = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'z':
            go.zipf = strtod(optarg, NULL);
            break;
        case 'S':
            samples_path = optarg;
            break;
        default:
            return 2;
        }
    }
    if (pr.rate < 1 || pr.probe_rate <= 0 || pr.probe_rate > pr.rate)
        return 2;
    pr.tag_len = strlen(pr.tag);
    /* Event ids carry the run's tag: the 80 % run follows the 50 % one on
     * the same daemon with the same customers, and repeating its ids
     * would make some of its events duplicates (not applied). */
    snprintf(id_tag, sizeof(id_tag), "LAT%s", pr.tag);
    go.id_tag = id_tag;
    pr.conf = rs_bench_config(nsets, sets);
    if (!pr.out_topic)
        pr.out_topic = pr.conf->topic_alerts;
    if (rs_bench_schema_ids(pr.conf->schema_dir, go.schema_ids))
        return 1;
    go.events = 1;
    go.time_from = go.time_to = 0;
    pr.sent_us = rs_calloc(PROBES_MAX, sizeof(*pr.sent_us));
    pr.got_us = rs_calloc(PROBES_MAX, sizeof(*pr.got_us));

    rk = rs_kafka_new(pr.conf, RS_KAFKA_ROLE_PRODUCER, NULL, NULL, errstr,
                      sizeof(errstr));
    if (rk) {
        /* The consumer joins no group: it assigns itself the ends. */
        rd_kafka_conf_t *cc = rd_kafka_conf_new();
        const char *bs = rs_config_kafka_get(pr.conf, "bootstrap.servers");

        rd_kafka_conf_set(cc, "bootstrap.servers", bs ? bs : "localhost:9092",
                          NULL, 0);
        rd_kafka_conf_set(cc, "group.id", "rsbench-probe", NULL, 0);
        rd_kafka_conf_set(cc, "isolation.level", "read_committed", NULL, 0);
        rd_kafka_conf_set(cc, "enable.auto.commit", "false", NULL, 0);
        rd_kafka_conf_set(cc, "fetch.wait.max.ms", "5", NULL, 0);
        pr.consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr,
                                   sizeof(errstr));
        if (pr.consumer)
            rd_kafka_poll_set_consumer(pr.consumer);
    }
    if (!rk || !pr.consumer) {
        fprintf(stderr, "rsbench probe: %s\n", errstr);
        goto out;
    }
    if (assign_end(&pr, errstr, sizeof(errstr))) {
        fprintf(stderr, "rsbench probe: %s\n", errstr);
        goto out;
    }
    rkt[RS_EVENT_INVOICE] = rd_kafka_topic_new(rk, pr.conf->topic_invoices,
                                               NULL);
    rkt[RS_EVENT_PAYMENT] = rd_kafka_topic_new(rk, pr.conf->topic_payments,
                                               NULL);
    rkt[RS_EVENT_BUREAU] = rd_kafka_topic_new(rk, pr.conf->topic_bureau, NULL);
    rkt[RS_EVENT_COMM] = rd_kafka_topic_new(rk, pr.conf->topic_communications,
                                            NULL);
    g = rs_bench_gen_new(&go);
    pthread_create(&th, NULL, consume, &pr);
    /* Let the consumer fetch its start positions before anything counts. */
    nanosleep(&(struct timespec){0, 500 * 1000000L}, NULL);

    every = (int64_t)(pr.rate / pr.probe_rate + 0.5);
    if (every < 1)
        every = 1;
    t0 = rs_bench_mono_us();
    cpu0 = rs_bench_cpu_seconds();
    counted_from = -1;
    for (;;) {
        int64_t now = rs_bench_mono_us();
        double el = (double)(now - t0) / 1e6;
        uint64_t due;

        if (el >= pr.seconds)
            break;
        due = (uint64_t)(el * pr.rate);
        if (due <= pr.produced) {
            rd_kafka_poll(rk, 0);
            nanosleep(&(struct timespec){0, 200000L}, NULL);
            continue;
        }
        for (int burst = 0; pr.produced < due && burst < 2000; burst++) {
            int64_t wall = rs_bench_wall_us();

            if ((int64_t)(pr.produced % (uint64_t)every) == 0 &&
                pr.probes < PROBES_MAX) {
                long k = pr.probes++;

                snprintf(cust, sizeof(cust), "%s-%ld", pr.tag, k);
                rs_bench_gen_probe(g, cust, wall / 1000, &ev);
                if (el >= pr.warmup) {
                    if (counted_from < 0)
                        counted_from = k;
                    pr.sent_us[k] = wall;
                }
            } else {
                rs_bench_gen_next(g, wall / 1000, &ev);
            }
            if (produce(rk, rkt[ev.kind], &ev)) {
                fprintf(stderr, "rsbench probe: produce: %s\n",
                        rd_kafka_err2str(rd_kafka_last_error()));
                goto stop;
            }
            pr.produced++;
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 10000);
    {
        /* Wait for the late answers, but not for the lost ones forever. */
        int64_t until = rs_bench_mono_us() + (int64_t)(pr.drain * 1e6);

        while (rs_bench_mono_us() < until) {
            size_t open = 0;

            for (long k = counted_from < 0 ? pr.probes : counted_from;
                 k < pr.probes; k++)
                open += pr.sent_us[k] && !pr.got_us[k];
            if (!open)
                break;
            nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
        }
    }
    rc = 0;
stop:
    pr.stop_consumer = 1;
    pthread_join(th, NULL);
    if (rc)
        goto out;
    lat = rs_calloc((size_t)pr.probes + 1, sizeof(*lat));
    for (long k = counted_from < 0 ? pr.probes : counted_from; k < pr.probes;
         k++) {
        if (pr.got_us[k])
            lat[nlat++] = pr.got_us[k];
        else
            missing++;
    }
    qsort(lat, nlat, sizeof(*lat), cmp_i64);
    {
#define PCT(q) (nlat ? (double)lat[(size_t)((double)(nlat - 1) * (q))] / 1000.0 : -1.0)
        printf("{\"rate\": %.0f, \"produced\": %llu, \"achieved_rate\": %.0f, "
               "\"probes\": %zu, \"missing\": %zu, \"p50\": %.2f, "
               "\"p90\": %.2f, \"p99\": %.2f, \"p999\": %.2f, \"max\": %.2f, "
               "\"cpu_seconds\": %.2f}\n",
               pr.rate, (unsigned long long)pr.produced,
               (double)pr.produced / pr.seconds,
               nlat, missing, PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999),
               PCT(1.0), rs_bench_cpu_seconds() - cpu0);
#undef PCT
    }
    if (samples_path) {
        FILE *f = fopen(samples_path, "w");

        if (f) {
            for (size_t i = 0; i < nlat; i++)
                fprintf(f, "%.3f\n", (double)lat[i] / 1000.0);
            fclose(f);
        }
    }
out:
    free(lat);
    rs_bench_gen_destroy(g);
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        if (rkt[k])
            rd_kafka_topic_destroy(rkt[k]);
    if (pr.consumer) {
        rd_kafka_consumer_close(pr.consumer);
        rd_kafka_destroy(pr.consumer);
    }
    if (rk)
        rd_kafka_destroy(rk);
    free(pr.sent_us);
    free(pr.got_us);
    rs_config_destroy(pr.conf);
    return rc;
}
