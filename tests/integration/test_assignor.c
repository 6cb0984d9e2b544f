/* Why riskstream uses the range assignor: with four co-partitioned topics
 * and two members, range gives each member the same partition numbers of
 * every topic (whole tasks), while roundrobin spreads one task's
 * partitions over both members. Checked on the real broker with
 * riskstream's own consumer settings. */
#include "support.h"

#include <string.h>

#include "riskstream/kafka.h"

#define TOPICS 4
#define PARTITIONS 3

struct member {
    rd_kafka_t *rk;
    int owner[TOPICS][PARTITIONS]; /* 1 when this member holds it */
    int got;
};

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct member *m = opaque;

    memset(m->owner, 0, sizeof(m->owner));
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < parts->cnt; i++) {
            const char *t = parts->elems[i].topic;
            int k = t[strlen(t) - 1] - '0';

            m->owner[k][parts->elems[i].partition] = 1;
        }
        m->got = 1;
        rd_kafka_assign(rk, parts);
    } else {
        m->got = 0;
        rd_kafka_assign(rk, NULL);
    }
}

/* Two members with the given strategy; returns how many tasks (partition
 * numbers) are split across members. */
static int split_tasks(const char *strategy)
{
    char stem[128], topics[TOPICS][200], errstr[512];
    struct rs_config *conf = rs_config_new();
    struct member m[2];
    const char *names[TOPICS];
    rd_kafka_t *admin;
    rd_kafka_topic_partition_list_t *sub;
    int split = 0;

    rs_test_require_kafka();
    rs_test_unique("rs-it-assign", stem, sizeof(stem));
    for (int k = 0; k < TOPICS; k++) {
        snprintf(topics[k], sizeof(topics[k]), "%s-t%d", stem, k);
        names[k] = topics[k];
    }
    rs_config_set(conf, "kafka.bootstrap.servers", rs_test_kafka_brokers(),
                  errstr, sizeof(errstr));
    rs_config_set(conf, "app.id", stem, errstr, sizeof(errstr));
    if (rs_config_set(conf, "kafka.consumer.partition.assignment.strategy",
                      strategy, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    admin = rs_kafka_new(conf, RS_KAFKA_ROLE_PRODUCER, NULL, NULL, errstr,
                         sizeof(errstr));
    if (rs_kafka_topics_create(admin, names, TOPICS, PARTITIONS, 30000, errstr,
                               sizeof(errstr)))
        fail_msg("%s", errstr);
    rd_kafka_destroy(admin);

    sub = rd_kafka_topic_partition_list_new(TOPICS);
    for (int k = 0; k < TOPICS; k++)
        rd_kafka_topic_partition_list_add(sub, topics[k],
                                          RD_KAFKA_PARTITION_UA);
    for (int i = 0; i < 2; i++) {
        struct rs_kafka_hooks hooks = {NULL, on_rebalance, &m[i], NULL};

        memset(&m[i], 0, sizeof(m[i]));
        m[i].rk = rs_kafka_new(conf, RS_KAFKA_ROLE_CONSUMER, NULL, &hooks,
                               errstr, sizeof(errstr));
        assert_non_null(m[i].rk);
        assert_int_equal(rd_kafka_subscribe(m[i].rk, sub), 0);
    }
    rd_kafka_topic_partition_list_destroy(sub);
    /* Poll both until both hold an assignment covering everything. */
    for (int waited = 0; waited < 60000; waited += 100) {
        int total = 0;

        for (int i = 0; i < 2; i++) {
            rd_kafka_message_t *msg = rd_kafka_consumer_poll(m[i].rk, 50);

            if (msg)
                rd_kafka_message_destroy(msg);
        }
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < TOPICS; k++)
                for (int p = 0; p < PARTITIONS; p++)
                    total += m[i].owner[k][p];
        if (m[0].got && m[1].got && total == TOPICS * PARTITIONS)
            break;
    }
    assert_true(m[0].got && m[1].got);
    for (int i = 0; i < 2; i++) {
        int any = 0;

        for (int k = 0; k < TOPICS; k++)
            for (int p = 0; p < PARTITIONS; p++)
                any |= m[i].owner[k][p];
        assert_true(any); /* both members hold work */
    }
    for (int p = 0; p < PARTITIONS; p++) {
        int owners = 0;

        for (int i = 0; i < 2; i++) {
            int has = 0;

            for (int k = 0; k < TOPICS; k++)
                has |= m[i].owner[k][p];
            owners += has;
        }
        if (owners > 1)
            split++;
    }
    for (int i = 0; i < 2; i++) {
        rd_kafka_consumer_close(m[i].rk);
        rd_kafka_destroy(m[i].rk);
    }
    rs_config_destroy(conf);
    return split;
}

static void test_assignor_range_keeps_tasks_whole(void **state)
{
    (void)state;
    assert_int_equal(split_tasks("range"), 0);
}

static void test_assignor_roundrobin_splits_tasks(void **state)
{
    (void)state;
    assert_true(split_tasks("roundrobin") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assignor_range_keeps_tasks_whole),
        cmocka_unit_test(test_assignor_roundrobin_splits_tasks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
