/* Helpers for end-to-end tests of `riskstream run`: fresh topics, producing
 * Avro records from text, reading output topics back, decoding alerts and
 * dead letters, reading customer hashes from Redis. */
#ifndef RS_TEST_PIPELINE_H
#define RS_TEST_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/event.h"
#include "riskstream/registry.h"

struct rs_pipe {
    char name[128];       /* unique: topic, group and key prefix stem */
    char topics[6][160];  /* invoices payments bureau communications alerts deadletter */
    char app_id[160];
    char prefix[160];
    int partitions;
    struct rs_registry *reg;
    void *producer;       /* rd_kafka_t * */
};

/* Fresh topics (partitions each), app id and Redis prefix. */
void rs_pipe_init(struct rs_pipe *p, const char *stem, int partitions);
/* Another run over the same input topics: new app id, prefix, outputs. */
void rs_pipe_fork(const struct rs_pipe *from, struct rs_pipe *to,
                  const char *stem);
void rs_pipe_release(struct rs_pipe *p);

/* A connection to the tests' Redis (fails the test if it is not
 * reachable); the caller frees it with redisFree(). */
struct redisContext *rs_pipe_redis(void);

/* Writes the config file of this pipeline (plus extra lines); returns its
 * path (static buffer). */
const char *rs_pipe_config(const struct rs_pipe *p, const char *extra);

/* Produces one record of kind from "field=value ..." text, Confluent
 * framing, keyed by customer_id (or by key when not NULL). */
void rs_pipe_produce(struct rs_pipe *p, enum rs_event_kind kind,
                     const char *fields, const char *key);
/* Produces raw bytes to the kind's topic with the given key. */
void rs_pipe_produce_raw(struct rs_pipe *p, enum rs_event_kind kind,
                         const void *key, size_t key_len, const void *value,
                         size_t len);
void rs_pipe_flush(struct rs_pipe *p);

struct rs_record {
    char *key;
    size_t key_len;
    uint8_t *value;
    size_t len;
    int64_t offset;
    int32_t partition;
};

/* Reads the topic with read_committed from the start until `want` records
 * came or nothing came for idle_ms; returns the count (records freed with
 * rs_pipe_records_free). */
size_t rs_pipe_read(const struct rs_pipe *p, int topic_index, size_t want,
                    int idle_ms, struct rs_record **out);
void rs_pipe_records_free(struct rs_record *r, size_t n);

/* The JSON text of a framed Avro record (writer schema from the registry);
 * heap, caller frees. */
char *rs_pipe_json(const struct rs_pipe *p, const struct rs_record *r);

/* A string field of a decoded record's JSON, e.g. "alert_id"; copied into
 * out. Returns 0 if found. Naive: enough for flat string fields. */
int rs_pipe_json_str(const char *json, const char *field, char *out,
                     size_t size);

/* A customer's packed state (s=<hex>, from the state hash of task
 * 0..partitions-1, found by trying each) and the fields `riskstream state`
 * prints of it (summary, task, evaluated_at, open_invoices, next_timer), as
 * "field=value\n" lines sorted by field; heap, caller frees; NULL when the
 * customer is in none. */
char *rs_pipe_customer(const struct rs_pipe *p, const char *customer);

/* Waits until the Redis meta of every task shows applied offsets equal to
 * the end of every input partition, or fails after timeout_ms. */
void rs_pipe_wait_done(const struct rs_pipe *p, int timeout_ms);

/* Runs `riskstream run` with this pipeline's config (plus extra lines)
 * until it applied all input, then stops it with SIGTERM and checks that it
 * exits 0. Its log goes to /tmp/<name>.log. */
void rs_pipe_run_to_end(const struct rs_pipe *p, const char *extra,
                        int timeout_ms);

#endif
