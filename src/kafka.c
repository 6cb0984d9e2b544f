/* librdkafka clients configured from the property table (see kafka.h). */
#include "riskstream/kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "riskstream/log.h"
#include "riskstream/mem.h"

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
    enum rs_log_level l = level <= 3   ? RS_LOG_ERROR
                          : level == 4 ? RS_LOG_WARN
                          : level <= 6 ? RS_LOG_INFO
                                       : RS_LOG_DEBUG;

    rs_log(l, "kafka", "%s %s: %s", rd_kafka_name(rk), fac, buf);
}

static int conf_set(rd_kafka_conf_t *kc, const char *key, const char *value,
                    char *errstr, size_t errstr_size)
{
    char why[256];

    if (rd_kafka_conf_set(kc, key, value, why, sizeof(why)) ==
        RD_KAFKA_CONF_OK)
        return 0;
    snprintf(errstr, errstr_size, "librdkafka rejects '%s=%s': %s", key, value,
             why);
    return -1;
}

static int role_applies(enum rs_kafka_role row, enum rs_kafka_role want)
{
    if (row == want)
        return 1;
    return row == RS_KAFKA_ROLE_PRODUCER && want == RS_KAFKA_ROLE_TXN_PRODUCER;
}

rd_kafka_t *rs_kafka_new(const struct rs_config *conf, enum rs_kafka_role role,
                         const char *transactional_id,
                         const struct rs_kafka_hooks *hooks, char *errstr,
                         size_t errstr_size)
{
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    rd_kafka_t *rk;
    int is_consumer = role == RS_KAFKA_ROLE_CONSUMER;

    rd_kafka_conf_set_log_cb(kc, log_cb);
    if (hooks) {
        if (hooks->dr_msg_cb)
            rd_kafka_conf_set_dr_msg_cb(kc, hooks->dr_msg_cb);
        if (hooks->rebalance_cb)
            rd_kafka_conf_set_rebalance_cb(kc, hooks->rebalance_cb);
        rd_kafka_conf_set_opaque(kc, hooks->opaque);
    }
    for (const struct rs_kafka_default *d = rs_kafka_defaults; d->key; d++)
        if (role_applies(d->role, role) &&
            conf_set(kc, d->key, d->value, errstr, errstr_size))
            goto fail;
    if (is_consumer &&
        conf_set(kc, "group.id", conf->app_id, errstr, errstr_size))
        goto fail;
    if (is_consumer && hooks && hooks->group_instance_id &&
        conf_set(kc, "group.instance.id", hooks->group_instance_id, errstr,
                 errstr_size))
        goto fail;
    if (role == RS_KAFKA_ROLE_TXN_PRODUCER &&
        conf_set(kc, "transactional.id", transactional_id, errstr,
                 errstr_size))
        goto fail;
    for (size_t i = 0; i < conf->kafka_count; i++) {
        const char *k = conf->kafka[i].key;

        if (strncmp(k, "consumer.", 9) == 0) {
            if (!is_consumer)
                continue;
            k += 9;
        } else if (strncmp(k, "producer.", 9) == 0) {
            if (is_consumer)
                continue;
            k += 9;
        }
        /* The consumer's group settings mean nothing to a producer. */
        if (!is_consumer && (strcmp(k, "group.id") == 0 ||
                             strcmp(k, "isolation.level") == 0 ||
                             strcmp(k, "auto.offset.reset") == 0))
            continue;
        if (conf_set(kc, k, conf->kafka[i].value, errstr, errstr_size))
            goto fail;
    }
    rk = rd_kafka_new(is_consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, kc,
                      errstr, errstr_size);
    if (!rk)
        goto fail;
    if (is_consumer)
        rd_kafka_poll_set_consumer(rk);
    return rk;
fail:
    rd_kafka_conf_destroy(kc);
    return NULL;
}

static int topic_partitions(const struct rd_kafka_metadata *md,
                            const char *topic, rd_kafka_resp_err_t *err)
{
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, topic) == 0) {
            *err = md->topics[i].err;
            return md->topics[i].partition_cnt;
        }
    }
    *err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    return 0;
}

int rs_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms,
                             char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err;
    int n = -1;

    err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err) {
        snprintf(errstr, errstr_size, "cannot read metadata of topic '%s': %s",
                 topic, rd_kafka_err2str(err));
        return -1;
    }
    n = topic_partitions(md, topic, &err);
    rd_kafka_metadata_destroy(md);
    if (err || n <= 0) {
        snprintf(errstr, errstr_size, "topic '%s' is not available: %s", topic,
                 rd_kafka_err2str(err ? err
                                      : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
        return -1;
    }
    return n;
}

/* Waits until every topic shows in the metadata with its partitions: a
 * freshly created topic takes a moment to propagate. */
static int wait_visible(rd_kafka_t *rk, const char *const *topics,
                        size_t count, int partitions, int timeout_ms,
                        char *errstr, size_t errstr_size)
{
    struct timespec start, now;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        size_t ok = 0;

        for (size_t i = 0; i < count; i++) {
            char why[256];
            int n = rs_kafka_partition_count(rk, topics[i], 2000, why,
                                             sizeof(why));
            if (n == partitions)
                ok++;
            else if (n > 0) {
                snprintf(errstr, errstr_size,
                         "topic '%s' exists with %d partitions, expected %d",
                         topics[i], n, partitions);
                return -1;
            }
        }
        if (ok == count)
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 +
                (now.tv_nsec - start.tv_nsec) / 1000000 >
            timeout_ms) {
            snprintf(errstr, errstr_size,
                     "created topics did not appear in the metadata within "
                     "%d ms",
                     timeout_ms);
            return -1;
        }
        nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
    }
}

int rs_kafka_topics_create(rd_kafka_t *rk, const char *const *topics,
                           size_t count, int partitions, int timeout_ms,
                           char *errstr, size_t errstr_size)
{
    rd_kafka_NewTopic_t **nt = rs_calloc(count, sizeof(*nt));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_event_t *ev = NULL;
    int rc = -1;

    rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, NULL, 0);
    for (size_t i = 0; i < count; i++) {
        /* -1: the broker's default.replication.factor. */
        nt[i] = rd_kafka_NewTopic_new(topics[i], partitions, -1, errstr,
                                      errstr_size);
        if (!nt[i])
            goto out;
    }
    rd_kafka_CreateTopics(rk, nt, count, opts, q);
    ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
    if (!ev) {
        snprintf(errstr, errstr_size, "no answer to CreateTopics within %d ms",
                 timeout_ms + 5000);
        goto out;
    }
    if (rd_kafka_event_error(ev)) {
        snprintf(errstr, errstr_size, "cannot create topics: %s",
                 rd_kafka_event_error_string(ev));
        goto out;
    }
    {
        const rd_kafka_CreateTopics_result_t *res =
            rd_kafka_event_CreateTopics_result(ev);
        size_t n;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(res, &n);

        for (size_t i = 0; i < n; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);

            if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                snprintf(errstr, errstr_size, "cannot create topic '%s': %s",
                         rd_kafka_topic_result_name(tr[i]),
                         rd_kafka_topic_result_error_string(tr[i]));
                goto out;
            }
        }
    }
    rc = wait_visible(rk, topics, count, partitions, timeout_ms, errstr,
                      errstr_size);
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    for (size_t i = 0; i < count; i++)
        if (nt[i])
            rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    return rc;
}

int32_t rs_kafka_key_partition(const char *partitioner, const void *key,
                               size_t key_len, int32_t partitions)
{
    const void *k = key ? key : "";

    if (partitions <= 0)
        return -1;
    if (strcmp(partitioner, "murmur2_random") == 0 ||
        strcmp(partitioner, "murmur2") == 0)
        return rd_kafka_msg_partitioner_murmur2(NULL, k, key_len, partitions,
                                                NULL, NULL);
    if (strcmp(partitioner, "consistent_random") == 0 ||
        strcmp(partitioner, "consistent") == 0)
        return rd_kafka_msg_partitioner_consistent(NULL, k, key_len,
                                                   partitions, NULL, NULL);
    if (strcmp(partitioner, "fnv1a_random") == 0 ||
        strcmp(partitioner, "fnv1a") == 0)
        return rd_kafka_msg_partitioner_fnv1a(NULL, k, key_len, partitions,
                                              NULL, NULL);
    return -1;
}

const char *rs_kafka_producer_partitioner(const struct rs_config *conf)
{
    const char *p = NULL;

    for (const struct rs_kafka_default *d = rs_kafka_defaults; d->key; d++)
        if (d->role == RS_KAFKA_ROLE_PRODUCER &&
            strcmp(d->key, "partitioner") == 0)
            p = d->value;
    for (size_t i = 0; i < conf->kafka_count; i++)
        if (strcmp(conf->kafka[i].key, "partitioner") == 0 ||
            strcmp(conf->kafka[i].key, "producer.partitioner") == 0)
            p = conf->kafka[i].value;
    return p ? p : "murmur2_random";
}
