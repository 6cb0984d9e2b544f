/* The Redis store's private parts, shared by its two halves:
 * store_redis.c (opening a task, loads, timers, the store object) and
 * store_redis_flush.c (the atomic flush). Only those two files include it;
 * the key layout is in include/riskstream/store.h. */
#ifndef RS_STORE_REDIS_INTERNAL_H
#define RS_STORE_REDIS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/buf.h"
#include "riskstream/redis.h"
#include "riskstream/store.h"

/* Timer updates go out as ZADD and ZREM commands of this many customers. */
#define ZSET_BATCH 512
/* Customer writes go out as HSET commands of this many customers. */
#define HSET_BATCH 512

/* The meta fields of the applied offsets (o0..o3) and of the offsets the
 * last transaction started from (p0..p3), by event kind. */
extern const char *const rs_sr_offset_fields[RS_EVENT_KINDS];
extern const char *const rs_sr_prev_fields[RS_EVENT_KINDS];

/* The task whose key names are in the key buffers. */
struct task_keys {
    int task;             /* -1: none built yet */
    struct rs_buf meta;   /* P:{tT}:meta */
    struct rs_buf timers; /* P:{tT}:timers */
    struct rs_buf outbox; /* P:{tT}:outbox */
    struct rs_buf state;  /* P:{tT}:s */
    struct rs_buf chunks; /* P:{tT}:c */
    struct rs_buf summary; /* P:{tT}:sum */
};

/* One pending ZADD (scores and members) or ZREM (members) batch. */
struct zset_batch {
    int is_add;
    int count;
    const char *argv[2 + 2 * ZSET_BATCH];
    size_t argvlen[2 + 2 * ZSET_BATCH];
    char scores[ZSET_BATCH][24];
};

/* The field of chunk k of customer id in P:{tT}:c: "id:k" into buf (of
 * RS_SR_CHUNK_FIELD bytes); returns its length. */
#define RS_SR_CHUNK_FIELD 80
size_t rs_sr_chunk_field(char *buf, const char *id, uint32_t k);

struct redis_store {
    struct rs_redis *redis;
    char *prefix;
    struct task_keys keys;
    struct zset_batch zset;
    struct rs_buf encoded; /* outbox entries of one flush, back to back */
    struct rs_buf packed;  /* the same as stored (rs_outbox_pack) */
    int summary;           /* write P:{tT}:sum too (redis.summary) */
    struct rs_buf sums;    /* summaries of one HSET batch, back to back */
    struct rs_buf whole;   /* a chunked state put together, for load_many */
    const char *hargv[2 + 2 * HSET_BATCH];
    size_t hlen[2 + 2 * HSET_BATCH];
    size_t sum_end[HSET_BATCH];
    char chunk_fields[HSET_BATCH][RS_SR_CHUNK_FIELD]; /* of one HSET/HDEL */
    /* Per flush: which entries are the last of their customer. */
    uint8_t *last;
    size_t last_cap;
    size_t *slots; /* id table: entry index + 1, 0 empty */
    size_t slot_cap;
};

/* Builds the key names of task into rs->keys (once per task switch). */
void rs_sr_keys(struct redis_store *rs, int task);

/* 0, or -1 with errstr ("<what>: task number N is negative"). */
int rs_sr_check_task(int task, const char *what, char *errstr,
                     size_t errstr_size);

/* The store's flush (rs_store_ops.flush). */
enum rs_store_result rs_sr_flush(void *self, int task,
                                 const struct rs_flush *f, char *errstr,
                                 size_t errstr_size);

#endif
