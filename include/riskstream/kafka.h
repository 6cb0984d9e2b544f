/* Kafka adapter: librdkafka clients built from riskstream's configuration.
 *
 * Thin on purpose: it applies riskstream's defaults (rs_kafka_defaults) and
 * the user's kafka.* settings, routes librdkafka's log lines through rs_log,
 * and offers the few admin calls the tools need (create topics, count
 * partitions). The engine never includes this header.
 *
 * Ownership: clients returned here are destroyed by the caller with
 * rd_kafka_destroy() (consumers after rd_kafka_consumer_close()). */
#ifndef RS_KAFKA_H
#define RS_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "riskstream/config.h"

/* Optional callbacks a client is created with; opaque is passed to them. */
struct rs_kafka_hooks {
    void (*dr_msg_cb)(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                      void *opaque);
    void (*rebalance_cb)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *partitions,
                         void *opaque);
    void *opaque;
    /* Consumer: group.instance.id (static membership) unless the user set
     * kafka.group.instance.id. */
    const char *group_instance_id;
};

/* Creates a client for role. transactional_id is required for
 * RS_KAFKA_ROLE_TXN_PRODUCER and ignored otherwise; hooks may be NULL.
 * A consumer gets group.id = app.id unless kafka.group.id is set, and its
 * main queue redirected to the consumer queue. Returns NULL with errstr on
 * error. */
rd_kafka_t *rs_kafka_new(const struct rs_config *conf, enum rs_kafka_role role,
                         const char *transactional_id,
                         const struct rs_kafka_hooks *hooks, char *errstr,
                         size_t errstr_size);

/* Creates the topics with the given partition count (replication 1 on a
 * single broker, else the broker default). A topic that exists already is
 * fine if its partition count matches; otherwise an error names it.
 * Waits until the broker reports every topic in its metadata. */
int rs_kafka_topics_create(rd_kafka_t *rk, const char *const *topics,
                           size_t count, int partitions, int timeout_ms,
                           char *errstr, size_t errstr_size);

/* Partition count of an existing topic, or -1 with errstr (unknown topic,
 * broker unreachable). */
int rs_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms,
                             char *errstr, size_t errstr_size);

/* The partition of a key under a librdkafka partitioner by name
 * (murmur2_random, murmur2, consistent_random, consistent, fnv1a_random,
 * fnv1a); keys are never NULL here, so the *_random variants are their
 * hash variants. Returns -1 for an unknown partitioner name. */
int32_t rs_kafka_key_partition(const char *partitioner, const void *key,
                               size_t key_len, int32_t partitions);

/* The partitioner riskstream's producers use: kafka.producer.partitioner
 * or kafka.partitioner (the later setting wins), else the default. */
const char *rs_kafka_producer_partitioner(const struct rs_config *conf);

#endif
