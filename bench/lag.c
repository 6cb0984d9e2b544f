/* rsbench lag: waits until a consumer group has committed the end of the
 * input topics, i.e. riskstream has applied, flushed and committed every
 * event that was there when lag started.
 *
 * The end offsets are read once (high watermarks; the bench's inputs are
 * written without transactions, so no markers follow the last record).
 * The group's offsets are read every --interval-ms with a consumer handle
 * of the same group id that never subscribes, so it does not join the
 * group; it reads with isolation.level=read_uncommitted, which makes
 * librdkafka ask for the last committed offsets without waiting for the
 * daemon's open transaction (require_stable). Prints one JSON line with the
 * wall time until the end was committed (or --timeout passed: "complete"
 * false, with the offsets committed by then) and until the first progress
 * (beyond --baseline, the sum of committed offsets, if given); with --first
 * it returns at the first progress. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"
#include "riskstream/kafka.h"

int rs_bench_lag(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 's'},
        {"interval-ms", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 't'},
        {"first", no_argument, NULL, 'f'},
        {"baseline", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    char *sets[64];
    int nsets = 0, c, partitions, rc = 1, interval_ms = 100, first = 0;
    double timeout_s = 600;
    struct rs_config *conf;
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *list;
    char errstr[512];
    const char *topics[RS_EVENT_KINDS];
    int64_t t0, t_first = -1, end_total = 0, start_total = -1, last_print;

    optind = 1;
    while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (nsets < 64)
                sets[nsets++] = optarg;
            break;
        case 'i':
            interval_ms = atoi(optarg);
            break;
        case 't':
            timeout_s = strtod(optarg, NULL);
            break;
        case 'f':
            first = 1;
            break;
        case 'b':
            start_total = strtoll(optarg, NULL, 10);
            break;
        default:
            return 2;
        }
    }
    t0 = rs_bench_mono_us();
    last_print = t0;
    conf = rs_bench_config(nsets, sets);
    if (rs_config_set(conf, "kafka.consumer.isolation.level",
                      "read_uncommitted", errstr, sizeof(errstr))) {
        fprintf(stderr, "rsbench lag: %s\n", errstr);
        return 1;
    }
    rk = rs_bench_input_consumer(conf, "lag", topics, &partitions);
    if (!rk) {
        rs_config_destroy(conf);
        return 1;
    }
    list = rd_kafka_topic_partition_list_new(partitions * RS_EVENT_KINDS);
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        for (int p = 0; p < partitions; p++) {
            int64_t lo, hi;
            rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                rk, topics[k], p, &lo, &hi, 10000);

            if (err) {
                fprintf(stderr, "rsbench lag: watermarks of %s [%d]: %s\n",
                        topics[k], p, rd_kafka_err2str(err));
                goto done;
            }
            end_total += hi;
            rd_kafka_topic_partition_list_add(list, topics[k], p);
        }
    }
    for (;;) {
        int64_t total = 0, now;
        rd_kafka_resp_err_t err = rd_kafka_committed(rk, list, 10000);
        int complete = 0, timed_out;

        now = rs_bench_mono_us();
        if (!err) {
            for (int i = 0; i < list->cnt; i++)
                if (list->elems[i].offset > 0)
                    total += list->elems[i].offset;
            if (start_total < 0)
                start_total = total;
            if (t_first < 0 && total > start_total)
                t_first = now;
            if (now - last_print >= 10000000) {
                fprintf(stderr, "rsbench lag: %.1f s: %lld of %lld\n",
                        (double)(now - t0) / 1e6, (long long)total,
                        (long long)end_total);
                last_print = now;
            }
            complete = total >= end_total || (first && t_first >= 0);
        }
        timed_out = (double)(now - t0) / 1e6 > timeout_s;
        if (complete || timed_out) {
            printf("{\"complete\": %s, \"seconds\": %.3f, "
                   "\"first_progress_seconds\": %.3f, \"start_offsets\": "
                   "%lld, \"committed_offsets\": %lld, \"end_offsets\": "
                   "%lld}\n",
                   complete ? "true" : "false", (double)(now - t0) / 1e6,
                   t_first < 0 ? -1.0 : (double)(t_first - t0) / 1e6,
                   (long long)start_total, (long long)total,
                   (long long)end_total);
            rc = 0;
            break;
        }
        nanosleep(&(struct timespec){0, (long)interval_ms * 1000000L}, NULL);
    }
done:
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    rs_config_destroy(conf);
    return rc;
}
