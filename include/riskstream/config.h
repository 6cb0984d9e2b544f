/* Configuration: one property table, a key=value file, and the generated docs.
 *
 * Every setting riskstream knows is a row of the table in config.c (name,
 * type, default, range, description); docs/configuration.md is generated from
 * it with `riskstream config-doc`. A file is lines of `key = value`, `#`
 * starts a comment. Unknown keys are errors. Keys starting with `kafka.` pass
 * through to librdkafka (prefix stripped) and are checked against librdkafka
 * when the file is loaded; riskstream's own librdkafka defaults are a second
 * table, documented the same way.
 *
 * Ownership: rs_config_new() returns a config holding defaults; the caller
 * frees it with rs_config_destroy(), which frees every string in it. */
#ifndef RS_CONFIG_H
#define RS_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "riskstream/log.h"
#include "riskstream/params.h"

struct rs_kv {
    char *key;
    char *value;
};

struct rs_segment_setting {
    char *segment;
    char *key; /* "level.medium|high|critical" or "weight.<detector>" */
    long long value;
};

struct rs_config {
    /* Topics. */
    char *topic_invoices;
    char *topic_payments;
    char *topic_bureau;
    char *topic_communications;
    char *topic_alerts;
    char *topic_deadletter;
    long long topic_partitions;

    /* Identity and schemas. */
    char *app_id;
    char *schema_dir;

    /* State store. */
    char *redis_host;
    long long redis_port;
    char *redis_password;
    long long redis_timeout_ms;
    char *redis_prefix;
    long long redis_summary;

    long long log_level; /* enum rs_log_level */

    /* Processing. */
    char *instance_id;
    long long commit_interval_ms;
    long long commit_catchup_interval_ms;
    long long commit_catchup_lag_records;
    long long order_max_wait_ms;
    long long order_queue_records;
    long long order_buffer_records;
    long long evaluate_all;
    long long evaluate_lookahead;
    long long lateness_ms;
    long long cache_customers;
    long long record_max_bytes;

    /* Scoring. */
    long long score_level_medium;
    long long score_level_high;
    long long score_level_critical;
    long long score_hysteresis;
    long long score_suppress_days;

    /* Detectors: detector.<name>.<param>. */
    struct rs_detector_params detector_params;

    /* segment.<segment>.<key> = value, in the order set; score.c builds
     * the segment profiles from them. */
    struct rs_segment_setting *segment_settings;
    size_t segment_count;
    size_t segment_cap;

    /* kafka.* pass-through, in the order set; later settings win. */
    struct rs_kv *kafka;
    size_t kafka_count;
    size_t kafka_cap;
};

struct rs_config *rs_config_new(void);
void rs_config_destroy(struct rs_config *conf);

/* Sets one key. Returns 0, or -1 with errstr naming the key and the reason
 * (unknown key, not a number, out of range, librdkafka rejects it). */
int rs_config_set(struct rs_config *conf, const char *key, const char *value,
                  char *errstr, size_t errstr_size);

/* Reads a key=value file; errors name the file and line. */
int rs_config_load_file(struct rs_config *conf, const char *path, char *errstr,
                        size_t errstr_size);

/* The pass-through value of kafka.<key>, or NULL when not set. */
const char *rs_config_kafka_get(const struct rs_config *conf, const char *key);

/* Writes docs/configuration.md's text. */
void rs_config_write_doc(FILE *out);

/* riskstream's librdkafka defaults for one client role, applied before the
 * user's kafka.* settings. The array ends with a {NULL, NULL} row. */
enum rs_kafka_role {
    RS_KAFKA_ROLE_CONSUMER,
    RS_KAFKA_ROLE_PRODUCER,
    RS_KAFKA_ROLE_TXN_PRODUCER,
};
struct rs_kafka_default {
    enum rs_kafka_role role;
    const char *key;
    const char *value;
    const char *why;
};
extern const struct rs_kafka_default rs_kafka_defaults[];

#endif
