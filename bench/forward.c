/* rsbench forward: the no-op forwarder the latency of riskstream is
 * compared with.
 *
 * It does what riskstream's loop does minus the work: a consumer made by
 * riskstream's Kafka adapter (same settings) joins a group on the four
 * input topics, and every record is produced unchanged (key and value) to
 * --out-topic. With --interval-ms N (default 100, riskstream's
 * commit.interval.ms) it is transactional like riskstream: records go into
 * an open transaction, and every N ms the consumed offsets are sent to it
 * and it is committed, so a read_committed reader sees them then. With
 * --interval-ms 0 it is plain: an idempotent producer, no offsets
 * committed. Partitions are assigned at their current end (it forwards new
 * records only) and "ready" is printed on stderr once they are. Stops on
 * SIGTERM or after --seconds, printing one JSON line. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "riskstream/kafka.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < parts->cnt; i++) {
            int64_t lo, hi;

            if (!rd_kafka_query_watermark_offsets(rk, parts->elems[i].topic,
                                                  parts->elems[i].partition,
                                                  &lo, &hi, 10000))
                parts->elems[i].offset = hi;
        }
        rd_kafka_assign(rk, parts);
        fprintf(stderr, "ready: %d partitions\n", parts->cnt);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

static int txn_ok(rd_kafka_error_t *e, const char *what)
{
    if (!e)
        return 1;
    fprintf(stderr, "rsbench forward: %s: %s\n", what,
            rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return 0;
}

int rs_bench_forward(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 's'},
        {"out-topic", required_argument, NULL, 'o'},
        {"interval-ms", required_argument, NULL, 'i'},
        {"seconds", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    char *sets[64];
    int nsets = 0, c, rc = 1, interval_ms = 100, open_txn = 0;
    double seconds = 600;
    const char *out_topic = NULL;
    struct rs_config *conf;
    struct rs_kafka_hooks hooks = {NULL, on_rebalance, NULL, NULL};
    rd_kafka_t *consumer = NULL, *producer = NULL;
    rd_kafka_topic_t *out = NULL;
    rd_kafka_topic_partition_list_t *sub, *offsets = NULL;
    char errstr[512], txid[300];
    uint64_t forwarded = 0, txns = 0;
    int64_t t0, last_commit;
    double cpu0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (nsets < 64)
                sets[nsets++] = optarg;
            break;
        case 'o':
            out_topic = optarg;
            break;
        case 'i':
            interval_ms = atoi(optarg);
            break;
        case 'd':
            seconds = strtod(optarg, NULL);
            break;
        default:
            return 2;
        }
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    conf = rs_bench_config(nsets, sets);
    if (!out_topic)
        out_topic = conf->topic_alerts;
    snprintf(txid, sizeof(txid), "%s-forward", conf->app_id);
    producer = rs_kafka_new(conf,
                            interval_ms ? RS_KAFKA_ROLE_TXN_PRODUCER
                                        : RS_KAFKA_ROLE_PRODUCER,
                            txid, NULL, errstr, sizeof(errstr));
    if (!producer) {
        fprintf(stderr, "rsbench forward: %s\n", errstr);
        goto out;
    }
    if (interval_ms &&
        !txn_ok(rd_kafka_init_transactions(producer, 30000), "init"))
        goto out;
    consumer = rs_kafka_new(conf, RS_KAFKA_ROLE_CONSUMER, NULL, &hooks,
                            errstr, sizeof(errstr));
    if (!consumer) {
        fprintf(stderr, "rsbench forward: %s\n", errstr);
        goto out;
    }
    out = rd_kafka_topic_new(producer, out_topic, NULL);
    sub = rd_kafka_topic_partition_list_new(RS_EVENT_KINDS);
    rd_kafka_topic_partition_list_add(sub, conf->topic_invoices, -1);
    rd_kafka_topic_partition_list_add(sub, conf->topic_payments, -1);
    rd_kafka_topic_partition_list_add(sub, conf->topic_bureau, -1);
    rd_kafka_topic_partition_list_add(sub, conf->topic_communications, -1);
    rd_kafka_subscribe(consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    offsets = rd_kafka_topic_partition_list_new(64);
    t0 = last_commit = rs_bench_mono_us();
    cpu0 = rs_bench_cpu_seconds();
    while (!stop && (double)(rs_bench_mono_us() - t0) / 1e6 < seconds) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 5);
        int64_t now;

        for (int n = 0; m && n < 10000; n++) {
            if (!m->err) {
                if (interval_ms && !open_txn) {
                    if (!txn_ok(rd_kafka_begin_transaction(producer),
                                "begin")) {
                        rd_kafka_message_destroy(m);
                        goto out;
                    }
                    open_txn = 1;
                }
                while (rd_kafka_produce(out, RD_KAFKA_PARTITION_UA,
                                        RD_KAFKA_MSG_F_COPY, m->payload,
                                        m->len, m->key, m->key_len,
                                        NULL) == -1)
                    rd_kafka_poll(producer, 1);
                {
                    const char *t = rd_kafka_topic_name(m->rkt);
                    rd_kafka_topic_partition_t *tp =
                        rd_kafka_topic_partition_list_find(offsets, t,
                                                           m->partition);

                    if (!tp)
                        tp = rd_kafka_topic_partition_list_add(
                            offsets, t, m->partition);
                    tp->offset = m->offset + 1;
                }
                forwarded++;
            }
            rd_kafka_message_destroy(m);
            m = rd_kafka_consumer_poll(consumer, 0);
        }
        if (m)
            rd_kafka_message_destroy(m);
        rd_kafka_poll(producer, 0);
        now = rs_bench_mono_us();
        /* Like riskstream: a commit turn every interval, whether or not
         * records came in between. */
        if (interval_ms && now - last_commit >= (int64_t)interval_ms * 1000) {
            if (!open_txn) {
                last_commit = now;
                continue;
            }
            rd_kafka_consumer_group_metadata_t *md =
                rd_kafka_consumer_group_metadata(consumer);
            int ok = txn_ok(rd_kafka_send_offsets_to_transaction(
                                producer, offsets, md, -1),
                            "send offsets") &&
                     txn_ok(rd_kafka_commit_transaction(producer, -1),
                            "commit");

            rd_kafka_consumer_group_metadata_destroy(md);
            if (!ok)
                goto out;
            open_txn = 0;
            txns++;
            last_commit = now;
        }
    }
    if (open_txn)
        txn_ok(rd_kafka_commit_transaction(producer, -1), "commit");
    rd_kafka_flush(producer, 10000);
    printf("{\"forwarded\": %llu, \"transactions\": %llu, \"seconds\": %.3f, "
           "\"cpu_seconds\": %.2f, \"interval_ms\": %d}\n",
           (unsigned long long)forwarded, (unsigned long long)txns,
           (double)(rs_bench_mono_us() - t0) / 1e6,
           rs_bench_cpu_seconds() - cpu0, interval_ms);
    rc = 0;
out:
    if (offsets)
        rd_kafka_topic_partition_list_destroy(offsets);
    if (out)
        rd_kafka_topic_destroy(out);
    if (consumer) {
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
    }
    if (producer)
        rd_kafka_destroy(producer);
    rs_config_destroy(conf);
    return rc;
}
