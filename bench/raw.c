/* rsbench raw: the raw consume rate of the input topics.
 *
 * The consumer is made by riskstream's own Kafka adapter from the same
 * configuration the daemon gets (read_committed, range assignor, partition
 * EOF, riskstream's defaults and any kafka.* settings), subscribes to the
 * four input topics like the daemon, and polls with rd_kafka_consumer_poll
 * one message at a time, as the daemon does. "Processing" is a checksum
 * over every payload byte, so the data is really touched. It stops when
 * every partition reached its end (or --expect messages came) and prints
 * one JSON line: the rate from subscribe to the last message (join time
 * included, as for the daemon) and from the first message.
 *
 * --share I/N: instead of subscribing, take partitions p with p % N == I of
 * the four topics from their beginning (no group), and stop when those
 * reached their end: N of these side by side are the raw counterpart of N
 * riskstream instances in one group. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "riskstream/kafka.h"

int rs_bench_raw(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 's'},
        {"expect", required_argument, NULL, 'e'},
        {"timeout", required_argument, NULL, 't'},
        {"share", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    char *sets[64];
    int nsets = 0, c, partitions, eofs = 0, rc = 1, share = 0, shares = 1,
        mine;
    uint64_t expect = 0, msgs = 0, bytes = 0, sum = 0;
    double timeout_s = 600;
    struct rs_config *conf;
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *sub;
    const char *topics[RS_EVENT_KINDS];
    int64_t t0, t_first = 0, t_last = 0;
    double cpu0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (nsets < 64)
                sets[nsets++] = optarg;
            break;
        case 'e':
            expect = strtoull(optarg, NULL, 10);
            break;
        case 't':
            timeout_s = strtod(optarg, NULL);
            break;
        case 'S':
            if (sscanf(optarg, "%d/%d", &share, &shares) != 2 ||
                shares < 1 || share < 0 || share >= shares) {
                fprintf(stderr, "rsbench raw: --share wants I/N with "
                                "0 <= I < N, not '%s'\n", optarg);
                return 2;
            }
            break;
        default:
            return 2;
        }
    }
    conf = rs_bench_config(nsets, sets);
    rk = rs_bench_input_consumer(conf, "raw", topics, &partitions);
    if (!rk) {
        rs_config_destroy(conf);
        return 1;
    }
    sub = rd_kafka_topic_partition_list_new(RS_EVENT_KINDS * partitions);
    mine = 0;
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        if (shares == 1) {
            rd_kafka_topic_partition_list_add(sub, topics[k],
                                              RD_KAFKA_PARTITION_UA);
            continue;
        }
        for (int p = share; p < partitions; p += shares)
            rd_kafka_topic_partition_list_add(sub, topics[k], p)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    }
    for (int p = share; p < partitions; p += shares)
        mine += RS_EVENT_KINDS;
    if (shares == 1)
        mine = partitions * RS_EVENT_KINDS;
    t0 = rs_bench_mono_us();
    cpu0 = rs_bench_cpu_seconds();
    if (shares == 1)
        rd_kafka_subscribe(rk, sub);
    else
        rd_kafka_assign(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    while (eofs < mine && (!expect || msgs < expect)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

        if (!m) {
            if ((double)(rs_bench_mono_us() - t0) / 1e6 > timeout_s) {
                fprintf(stderr, "rsbench raw: timed out after %llu messages\n",
                        (unsigned long long)msgs);
                goto close;
            }
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
        } else if (m->err) {
            fprintf(stderr, "rsbench raw: %s\n", rd_kafka_message_errstr(m));
        } else {
            const unsigned char *p = m->payload;

            for (size_t i = 0; i < m->len; i++)
                sum += p[i];
            bytes += m->len;
            if (!msgs++)
                t_first = rs_bench_mono_us();
            t_last = rs_bench_mono_us();
        }
        rd_kafka_message_destroy(m);
    }
    if (msgs) {
        double total = (double)(t_last - t0) / 1e6;
        double from_first = (double)(t_last - t_first) / 1e6;

        printf("{\"messages\": %llu, \"bytes\": %llu, \"seconds\": %.3f, "
               "\"rate\": %.0f, \"seconds_from_first\": %.3f, "
               "\"rate_from_first\": %.0f, \"cpu_seconds\": %.2f, "
               "\"checksum\": %llu}\n",
               (unsigned long long)msgs, (unsigned long long)bytes, total,
               (double)msgs / total, from_first,
               from_first > 0 ? (double)msgs / from_first : 0.0,
               rs_bench_cpu_seconds() - cpu0, (unsigned long long)sum);
        rc = 0;
    }
close:
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    rs_config_destroy(conf);
    return rc;
}
