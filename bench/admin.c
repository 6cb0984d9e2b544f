/* rsbench admin: the few admin calls the harness needs.
 *
 *   admin create TOPIC,TOPIC,... PARTITIONS   (existing ones are checked)
 *   admin delete TOPIC,TOPIC,...              (missing ones are fine)
 *   admin delete-groups GROUP,GROUP,...       (missing ones are fine)
 *   admin version                             librdkafka's version
 *
 * -s KEY=VALUE before the verb sets riskstream keys (the bootstrap servers
 * as kafka.bootstrap.servers). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "riskstream/kafka.h"

#define ITEMS_MAX 64

static int report(rd_kafka_event_t *ev, const char *what)
{
    if (!ev) {
        fprintf(stderr, "rsbench admin: no answer to %s\n", what);
        return 1;
    }
    if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "rsbench admin: %s: %s\n", what,
                rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return 1;
    }
    rd_kafka_event_destroy(ev);
    return 0;
}

static int delete_topics(rd_kafka_t *rk, const char **names, size_t n)
{
    rd_kafka_DeleteTopic_t *dt[ITEMS_MAX];
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int rc;

    for (size_t i = 0; i < n; i++)
        dt[i] = rd_kafka_DeleteTopic_new(names[i]);
    rd_kafka_DeleteTopics(rk, dt, n, NULL, q);
    rc = report(rd_kafka_queue_poll(q, 30000), "DeleteTopics");
    for (size_t i = 0; i < n; i++)
        rd_kafka_DeleteTopic_destroy(dt[i]);
    rd_kafka_queue_destroy(q);
    return rc;
}

static int delete_groups(rd_kafka_t *rk, const char **names, size_t n)
{
    rd_kafka_DeleteGroup_t *dg[ITEMS_MAX];
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int rc;

    for (size_t i = 0; i < n; i++)
        dg[i] = rd_kafka_DeleteGroup_new(names[i]);
    rd_kafka_DeleteGroups(rk, dg, n, NULL, q);
    rc = report(rd_kafka_queue_poll(q, 30000), "DeleteGroups");
    for (size_t i = 0; i < n; i++)
        rd_kafka_DeleteGroup_destroy(dg[i]);
    rd_kafka_queue_destroy(q);
    return rc;
}

int rs_bench_admin(int argc, char **argv)
{
    char *sets[64], errstr[512];
    int nsets = 0, c, rc = 1;
    const char *items[ITEMS_MAX];
    size_t n = 0;
    struct rs_config *conf;
    rd_kafka_t *rk;

    optind = 1;
    while ((c = getopt(argc, argv, "+s:")) != -1) {
        if (c != 's')
            return 2;
        if (nsets < 64)
            sets[nsets++] = optarg;
    }
    if (optind >= argc)
        return 2;
    if (strcmp(argv[optind], "version") == 0) {
        printf("%s\n", rd_kafka_version_str());
        return 0;
    }
    if (optind + 1 >= argc)
        return 2;
    n = rs_bench_split(argv[optind + 1], items, ITEMS_MAX);
    conf = rs_bench_config(nsets, sets);
    rk = rs_kafka_new(conf, RS_KAFKA_ROLE_PRODUCER, NULL, NULL, errstr,
                      sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "rsbench admin: %s\n", errstr);
        rs_config_destroy(conf);
        return 1;
    }
    if (strcmp(argv[optind], "create") == 0 && optind + 2 < argc) {
        rc = rs_kafka_topics_create(rk, items, n, atoi(argv[optind + 2]),
                                    30000, errstr, sizeof(errstr));
        if (rc)
            fprintf(stderr, "rsbench admin: %s\n", errstr);
    } else if (strcmp(argv[optind], "delete") == 0) {
        rc = delete_topics(rk, items, n);
    } else if (strcmp(argv[optind], "delete-groups") == 0) {
        rc = delete_groups(rk, items, n);
    } else {
        rc = 2;
    }
    rd_kafka_destroy(rk);
    rs_config_destroy(conf);
    return rc;
}
