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

/* Timer updates go out as HSET and HDEL commands of at most this many
 * customers (one day's hash each). */
#define TIMER_BATCH 512
/* A task's timers are kept by day: P:{tT}:td:D holds the customers whose
 * next timer falls in day D (days since the epoch, UTC), with the
 * milliseconds into the day; P:{tT}:tdays lists the days. A hash per day
 * costs Redis about 72 bytes a timer where the sorted set of before cost
 * 109 (docs/performance.md, fourteenth round), and a flush still writes
 * one command per day touched, not per customer. */
#define RS_SR_DAY_MS 86400000LL
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
    struct rs_buf timers; /* P:{tT}:timers (the sorted set of before) */
    struct rs_buf tdays;  /* P:{tT}:tdays */
    struct rs_buf day;    /* P:{tT}:td:D of the day last asked for */
    struct rs_buf outbox; /* P:{tT}:outbox */
    struct rs_buf state;  /* P:{tT}:s */
    struct rs_buf chunks; /* P:{tT}:c */
    struct rs_buf summary; /* P:{tT}:sum */
};

/* One timer change: customer id (its entry idx in the flush) leaves
 * (set 0) or enters (set 1) day's hash, at ms into the day. */
struct timer_op {
    int64_t day;
    uint32_t idx;
    uint8_t set;
    int32_t ms;
    const char *id;
    size_t id_len;
};

/* One pending HSET (fields and values) or HDEL (fields) of one day. */
struct day_batch {
    int is_add;
    int count;
    const char *argv[2 + 2 * TIMER_BATCH];
    size_t argvlen[2 + 2 * TIMER_BATCH];
    char scores[TIMER_BATCH][24];
};

/* The field of chunk k of customer id in P:{tT}:c: "id:k" into buf (of
 * RS_SR_CHUNK_FIELD bytes); returns its length. */
#define RS_SR_CHUNK_FIELD 80
size_t rs_sr_chunk_field(char *buf, const char *id, uint32_t k);

struct redis_store {
    struct rs_redis *redis;
    char *prefix;
    struct task_keys keys;
    struct day_batch tbatch;
    struct rs_buf encoded; /* outbox entries of one flush, back to back */
    struct rs_buf packed;  /* the same as stored (rs_outbox_pack) */
    int summary;           /* write P:{tT}:sum too (redis.summary) */
    struct rs_buf sums;    /* summaries of one HSET batch, back to back */
    struct rs_buf whole;   /* a chunked state put together, for load_many */
    const char *hargv[2 + 2 * HSET_BATCH];
    size_t hlen[2 + 2 * HSET_BATCH];
    size_t sum_end[HSET_BATCH];
    char chunk_fields[HSET_BATCH][RS_SR_CHUNK_FIELD]; /* of one HSET/HDEL */
    /* Per flush: which entries are the last of their customer, and for
     * those the timer the store held before (that of the first entry). */
    uint8_t *last;
    size_t last_cap;
    int64_t *held;
    size_t held_cap;
    struct timer_op *ops;
    size_t ops_cap;
    size_t *slots; /* id table: entry index + 1, 0 empty */
    size_t slot_cap;
};

/* Builds the key names of task into rs->keys (once per task switch). */
void rs_sr_keys(struct redis_store *rs, int task);

/* A day number as Redis gave it (a member of tdays): 0, or -1 when the
 * reply is not a number whose day's milliseconds fit an int64_t. */
int rs_sr_parse_day(const redisReply *r, int64_t *day);

/* The day of an instant (floor division), and the name of its timer hash
 * P:{tT}:td:D in rs->keys.day (valid until the next call). */
int64_t rs_sr_day_of(int64_t ms);
const char *rs_sr_day_key(struct redis_store *rs, int64_t day, size_t *len);

/* Moves the timers of the sorted set of before (P:{tT}:timers: n members
 * ids with times at) into day hashes, in one transaction fenced by epoch.
 * RS_STORE_OK, FENCED or ERROR (errstr). */
enum rs_store_result rs_sr_timers_tidy(struct redis_store *rs, int task,
                                       uint64_t epoch,
                                       const char *const *ids,
                                       const size_t *id_lens,
                                       const int64_t *at, size_t n,
                                       char *errstr, size_t errstr_size);

/* 0, or -1 with errstr ("<what>: task number N is negative"). */
int rs_sr_check_task(int task, const char *what, char *errstr,
                     size_t errstr_size);

/* The store's flush (rs_store_ops.flush). */
enum rs_store_result rs_sr_flush(void *self, int task,
                                 const struct rs_flush *f, char *errstr,
                                 size_t errstr_size);

#endif
