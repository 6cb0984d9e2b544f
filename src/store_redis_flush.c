/* The Redis store's flush: one task's changed customers, timers, applied
 * offsets and outbox in one atomic step (store_redis.c has the rest).
 *
 * The flush is optimistic locking, not a script: WATCH meta and read the
 * epoch (one round trip); if it is ours, send MULTI, every write and EXEC
 * in one pipeline (a second round trip). Another instance bumping the
 * epoch in between makes EXEC return nil, so a zombie's flush never lands.
 * The writes inside MULTI cannot fail on their own (fixed key types,
 * values built here), so EXEC applies all or, when fenced, nothing.
 *
 * The connection is shared by all tasks of the process and its WATCH is
 * per connection, so every path that WATCHed and does not reach EXEC sends
 * UNWATCH: a stale WATCH would fence the next flush of another task. */
#include "riskstream/store.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/alert.h"
#include "riskstream/customer.h"
#include "riskstream/format.h"
#include "riskstream/mem.h"
#include "riskstream/outbox.h"
#include "riskstream/redis.h"
#include "store_redis_internal.h"

/* One flush's pipeline: what was appended and the first failure. */
struct pipeline {
    struct redis_store *rs;
    size_t sent;   /* commands appended, hence replies to read */
    int failed;    /* an append failed: the connection is gone */
    char why[512];
};

static void pipe_append(struct pipeline *p, int argc, const char **argv,
                        const size_t *argvlen)
{
    if (p->failed)
        return;
    if (rs_redis_append_argv(p->rs->redis, argc, argv, argvlen, p->why,
                             sizeof(p->why))) {
        p->failed = 1;
        return;
    }
    p->sent++;
}

/* Sends the pending HSET or HDEL of the day whose key is in rs->keys.day. */
static void batch_send(struct pipeline *p)
{
    struct day_batch *b = &p->rs->tbatch;
    int argc = 2 + b->count * (b->is_add ? 2 : 1);

    if (!b->count)
        return;
    b->argv[0] = b->is_add ? "HSET" : "HDEL";
    b->argvlen[0] = 4;
    b->argv[1] = (const char *)p->rs->keys.day.data;
    b->argvlen[1] = p->rs->keys.day.len;
    pipe_append(p, argc, b->argv, b->argvlen);
    b->count = 0;
}

/* Queues one timer change of the day in rs->keys.day. */
static void batch_push(struct pipeline *p, const struct timer_op *op)
{
    struct day_batch *b = &p->rs->tbatch;
    const char *id = op->id;
    size_t id_len = op->id_len;

    if (b->count == TIMER_BATCH)
        batch_send(p);
    b->is_add = op->set;
    if (op->set) {
        int i = 2 + 2 * b->count;
        int n = snprintf(b->scores[b->count], sizeof(b->scores[0]), "%d",
                         (int)op->ms);

        b->argv[i] = id;
        b->argvlen[i] = id_len;
        b->argv[i + 1] = b->scores[b->count];
        b->argvlen[i + 1] = (size_t)n;
    } else {
        b->argv[2 + b->count] = id;
        b->argvlen[2 + b->count] = id_len;
    }
    b->count++;
}

static uint64_t hash_id(const char *id)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

    for (; *id; id++) {
        h ^= (uint8_t)*id;
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

/* Marks in rs->last the entries that hold their customer's final timer:
 * the last entry of each id, as entries applied in order would leave it;
 * rs->held[i] of such an entry is the timer the store held before the
 * flush, that of the id's first entry. With every customer once, the
 * changes can then go out grouped by day in any order. */
static void mark_last(struct redis_store *rs, const struct rs_flush *f)
{
    size_t n = f->customer_count, need = 16, mask;

    while (need < 2 * n)
        need *= 2;
    rs_grow((void **)&rs->last, &rs->last_cap, n ? n : 1, 1);
    rs_grow((void **)&rs->held, &rs->held_cap, n ? n : 1, sizeof(*rs->held));
    rs_grow((void **)&rs->slots, &rs->slot_cap, need, sizeof(*rs->slots));
    memset(rs->slots, 0, need * sizeof(*rs->slots));
    mask = need - 1;
    for (size_t i = 0; i < n; i++) {
        const char *id = f->customers[i].id;
        size_t j = (size_t)hash_id(id) & mask;

        rs->last[i] = 1;
        rs->held[i] = f->customers[i].stored_timer;
        for (;; j = (j + 1) & mask) {
            size_t *slot = &rs->slots[j];

            if (!*slot) {
                *slot = i + 1;
                break;
            }
            if (strcmp(f->customers[*slot - 1].id, id) == 0) {
                rs->last[*slot - 1] = 0;
                rs->last[i] = 2; /* the last of several */
                rs->held[i] = rs->held[*slot - 1];
                *slot = i + 1;
                break;
            }
        }
    }
}

/* rs_day_of() (customer.h) gives an int32_t day and negates ms; a stored
 * timer may be any int64_t, so this one floors over the whole range. */
int64_t rs_sr_day_of(int64_t ms)
{
    return ms >= 0 ? ms / RS_SR_DAY_MS : -((-(ms + 1)) / RS_SR_DAY_MS) - 1;
}

static int cmp_op(const void *x, const void *y)
{
    const struct timer_op *a = x, *b = y;

    if (a->set != b->set)
        return a->set < b->set ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The changed timers: HDEL from the day each customer's timer left, then
 * HSET into the day it entered (a customer whose timer stays in its day
 * is only set), and ZADD of those days to the list of days. */
static void add_days(struct pipeline *p, const struct timer_op *ops,
                     size_t n);
static void send_ops(struct pipeline *p, struct timer_op *ops, size_t n);

static void append_timers(struct pipeline *p, const struct rs_flush *f)
{
    struct redis_store *rs = p->rs;
    size_t n = 0;

    mark_last(rs, f);
    rs_grow((void **)&rs->ops, &rs->ops_cap,
            2 * f->customer_count + 1, sizeof(*rs->ops));
    for (size_t i = 0; i < f->customer_count; i++) {
        const struct rs_flush_customer *c = &f->customers[i];
        int64_t was = rs->held[i], day;
        size_t id_len;

        /* A customer listed once says whether its timer changed; one
         * listed several times, compared with the first's. */
        if (!rs->last[i] || (rs->last[i] == 1 && c->timer_unchanged) ||
            c->next_timer == was)
            continue;
        day = c->next_timer == RS_NO_TIMER ? INT64_MIN
                                           : rs_sr_day_of(c->next_timer);
        id_len = strlen(c->id);
        /* A timer that has come up goes with its whole day (drop_days),
         * not customer by customer. */
        if (was != RS_NO_TIMER && rs_sr_day_of(was) != day &&
            !(f->has_fired_before && was < f->timers_fired_before))
            rs->ops[n++] = (struct timer_op){rs_sr_day_of(was), (uint32_t)i,
                                             0, 0, c->id, id_len};
        if (c->next_timer != RS_NO_TIMER)
            rs->ops[n++] = (struct timer_op){
                day, (uint32_t)i, 1,
                (int32_t)(c->next_timer - day * RS_SR_DAY_MS), c->id,
                id_len};
    }
    send_ops(p, rs->ops, n);
}

/* Sends ops[0..n): sorted, removals first, one HDEL or HSET per day (per
 * TIMER_BATCH customers), then the ZADD of the days set. */
static void send_ops(struct pipeline *p, struct timer_op *ops, size_t n)
{
    if (!n)
        return;
    qsort(ops, n, sizeof(*ops), cmp_op);
    p->rs->tbatch.count = 0;
    for (size_t i = 0; i < n; i++) {
        const struct timer_op *op = &ops[i];

        if (i == 0 || op->day != op[-1].day || op->set != op[-1].set) {
            batch_send(p);
            rs_sr_day_key(p->rs, op->day, NULL);
        }
        batch_push(p, op);
    }
    batch_send(p);
    add_days(p, ops, n);
}

/* ZADD to the list of days the days ops[0..n) set, each once (the ops are
 * in day order). */
static void add_days(struct pipeline *p, const struct timer_op *ops,
                     size_t n)
{
    struct redis_store *rs = p->rs;
    struct day_batch *b = &rs->tbatch;
    size_t k = 0;

    b->argv[0] = "ZADD";
    b->argvlen[0] = 4;
    b->argv[1] = (const char *)rs->keys.tdays.data;
    b->argvlen[1] = rs->keys.tdays.len;
    for (size_t i = 0; i < n; i++) {
        const struct timer_op *op = &ops[i];
        int len;

        if (!op->set || (i > 0 && op[-1].set && op[-1].day == op->day))
            continue;
        len = snprintf(b->scores[k], sizeof(b->scores[0]), "%" PRId64,
                       op->day);
        b->argv[2 + 2 * k] = b->argv[3 + 2 * k] = b->scores[k];
        b->argvlen[2 + 2 * k] = b->argvlen[3 + 2 * k] = (size_t)len;
        if (++k == TIMER_BATCH) {
            pipe_append(p, (int)(2 + 2 * k), b->argv, b->argvlen);
            k = 0;
        }
    }
    if (k)
        pipe_append(p, (int)(2 + 2 * k), b->argv, b->argvlen);
}

/* HSET P:{tT}:s id packed ... and (redis.summary) HSET P:{tT}:sum id
 * summary ..., a batch of customers each. A customer listed twice is written twice, the later
 * last, as Redis applies an HSET's pairs in order. */
static void append_customers(struct pipeline *p, const struct rs_flush *f)
{
    struct redis_store *rs = p->rs;
    const char **argv = rs->hargv;
    size_t *len = rs->hlen;

    argv[0] = "HSET";
    len[0] = 4;
    for (size_t from = 0; from < f->customer_count; from += HSET_BATCH) {
        size_t n = f->customer_count - from;

        if (n > HSET_BATCH)
            n = HSET_BATCH;
        argv[1] = (const char *)rs->keys.state.data;
        len[1] = rs->keys.state.len;
        for (size_t i = 0; i < n; i++) {
            const struct rs_flush_customer *c = &f->customers[from + i];

            argv[2 + 2 * i] = c->id;
            len[2 + 2 * i] = strlen(c->id);
            argv[3 + 2 * i] = c->packed ? (const char *)c->packed : "";
            len[3 + 2 * i] = c->packed ? c->packed_len : 0;
        }
        pipe_append(p, (int)(2 + 2 * n), argv, len);
        if (!rs->summary)
            continue;
        rs_buf_reset(&rs->sums);
        for (size_t i = 0; i < n; i++) {
            rs_summary_json(&rs->sums, &f->customers[from + i].summary);
            rs->sum_end[i] = rs->sums.len;
        }
        argv[1] = (const char *)rs->keys.summary.data;
        len[1] = rs->keys.summary.len;
        for (size_t i = 0; i < n; i++) {
            size_t start = i ? rs->sum_end[i - 1] : 0;

            argv[3 + 2 * i] = (const char *)rs->sums.data + start;
            len[3 + 2 * i] = rs->sum_end[i] - start;
        }
        pipe_append(p, (int)(2 + 2 * n), argv, len);
    }
}

/* HDEL P:{tT}:c of the chunks states no longer have, then HSET P:{tT}:c
 * of the chunks that changed (customer.h), HSET_BATCH fields per command
 * across customers. Deletes go first: a customer listed twice could only
 * leave an unused chunk behind, never lose one it counts on. Only
 * customers with many open invoices have any. */
static void append_chunks(struct pipeline *p, const struct rs_flush *f)
{
    struct redis_store *rs = p->rs;
    const char **argv = rs->hargv;
    size_t *len = rs->hlen;
    char (*fields)[RS_SR_CHUNK_FIELD] = rs->chunk_fields;

    argv[1] = (const char *)rs->keys.chunks.data;
    len[1] = rs->keys.chunks.len;
    for (int del = 1; del >= 0; del--) {
        size_t n = 0;

        argv[0] = del ? "HDEL" : "HSET";
        len[0] = 4;
        for (size_t i = 0; i < f->customer_count; i++) {
            const struct rs_flush_customer *c = &f->customers[i];
            size_t m = del ? (c->drop_to > c->drop_from
                                  ? c->drop_to - c->drop_from
                                  : 0)
                           : c->chunk_count;

            for (size_t k = 0; k < m; k++) {
                uint32_t no = del ? c->drop_from + (uint32_t)k
                                  : c->chunks[k].no;
                size_t at = del ? 2 + n : 2 + 2 * n;

                len[at] = rs_sr_chunk_field(fields[n], c->id, no);
                argv[at] = fields[n];
                if (!del) {
                    argv[at + 1] = (const char *)c->chunks[k].data;
                    len[at + 1] = c->chunks[k].len;
                }
                if (++n == HSET_BATCH) {
                    pipe_append(p, (int)(2 + (del ? n : 2 * n)), argv, len);
                    n = 0;
                }
            }
        }
        if (n)
            pipe_append(p, (int)(2 + (del ? n : 2 * n)), argv, len);
    }
}

static void append_meta(struct pipeline *p, const struct rs_flush *f)
{
    const char *meta = (const char *)p->rs->keys.meta.data;
    char num[2 * RS_EVENT_KINDS + 1][24];
    const char *argv[2 + 2 * (2 * RS_EVENT_KINDS + 1)] = {"HSET", meta};
    size_t len[2 + 2 * (2 * RS_EVENT_KINDS + 1)];
    int argc = 2, m = 0;

    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        snprintf(num[m], sizeof(num[m]), "%" PRId64, f->offsets[k]);
        argv[argc++] = rs_sr_offset_fields[k];
        argv[argc++] = num[m++];
    }
    snprintf(num[m], sizeof(num[m]), "%" PRId64, f->stream_time);
    argv[argc++] = "st";
    argv[argc++] = num[m++];
    if (f->has_prev) {
        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            snprintf(num[m], sizeof(num[m]), "%" PRId64, f->prev_offsets[k]);
            argv[argc++] = rs_sr_prev_fields[k];
            argv[argc++] = num[m++];
        }
    }
    for (int i = 0; i < argc; i++)
        len[i] = strlen(argv[i]);
    len[1] = p->rs->keys.meta.len;
    pipe_append(p, argc, argv, len);
    if (!f->has_prev) {
        const char *del[2 + RS_EVENT_KINDS] = {"HDEL", meta};
        size_t del_len[2 + RS_EVENT_KINDS] = {4, p->rs->keys.meta.len};

        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            del[2 + k] = rs_sr_prev_fields[k];
            del_len[2 + k] = 2;
        }
        pipe_append(p, 2 + RS_EVENT_KINDS, del, del_len);
    }
}

/* The outbox: the entries encoded (outbox.h) in rs->encoded, as one
 * string packed by rs_outbox_pack (SET also replaces a list an older
 * version wrote), or DEL when there are none. One value, not a list of
 * one element per entry: Redis took 12 % more CPU on a backlog building
 * and freeing those lists; packed, the append-only file grows by half as
 * much (docs/performance.md, "Thirteenth round"). */
static void append_outbox(struct pipeline *p, const struct rs_flush *f)
{
    const struct rs_buf *key = &p->rs->keys.outbox;
    const char *argv[3] = {NULL, (const char *)key->data,
                           (const char *)p->rs->packed.data};
    size_t len[3] = {3, key->len, p->rs->packed.len};

    argv[0] = f->outbox_count ? "SET" : "DEL"; /* both 3 bytes */
    pipe_append(p, f->outbox_count ? 3 : 2, argv, len);
}

/* Drops this connection's WATCH (see the file comment). */
static void unwatch(struct redis_store *rs)
{
    const char *argv[1] = {"UNWATCH"};
    size_t len[1] = {7};
    char why[512];
    redisReply *rep;

    if (!rs_redis_connected(rs->redis) ||
        rs_redis_append_argv(rs->redis, 1, argv, len, why, sizeof(why)))
        return;
    rep = rs_redis_get_reply(rs->redis, why, sizeof(why));
    if (rep)
        freeReplyObject(rep);
}

/* WATCH meta and compare its epoch with ours (one round trip). */
/* WATCH meta and compare its epoch with ours (one round trip). With
 * days, also the days listed before day *days_below (their numbers into
 * days, their count into *days_below; else *days_below = 0). */
static enum rs_store_result watch_epoch(struct redis_store *rs, int task,
                                        uint64_t ours, int64_t *days_below,
                                        int64_t **days, char *errstr,
                                        size_t errstr_size)
{
    const char *watch[2] = {"WATCH", (const char *)rs->keys.meta.data};
    const char *hget[3] = {"HGET", (const char *)rs->keys.meta.data, "epoch"};
    size_t watch_len[2] = {5, rs->keys.meta.len};
    size_t hget_len[3] = {4, rs->keys.meta.len, 5};
    char below[40];
    const char *zr[4] = {"ZRANGEBYSCORE", (const char *)rs->keys.tdays.data,
                         "-inf", below};
    size_t zr_len[4] = {13, rs->keys.tdays.len, 4, 0};
    redisReply *rep[3] = {NULL, NULL, NULL};
    enum rs_store_result res = RS_STORE_ERROR;
    char why[512] = "";
    uint64_t theirs = 0;
    int n = days ? 3 : 2;

    if (days) {
        zr_len[3] = (size_t)snprintf(below, sizeof(below), "(%" PRId64,
                                     *days_below);
        *days_below = 0;
    }
    if (rs_redis_connect(rs->redis, why, sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 2, watch, watch_len, why,
                             sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 3, hget, hget_len, why,
                             sizeof(why)) ||
        (days && rs_redis_append_argv(rs->redis, 4, zr, zr_len, why,
                                      sizeof(why))))
        goto fail;
    for (int i = 0; i < n; i++) {
        char err[512];

        rep[i] = rs_redis_get_reply(rs->redis, err, sizeof(err));
        if (!rep[i] && !why[0])
            snprintf(why, sizeof(why), "%s", err);
    }
    if (why[0])
        goto fail;
    if (rep[1]->type == REDIS_REPLY_NIL) {
        snprintf(errstr, errstr_size,
                 "task %d is fenced: no epoch in redis, ours %" PRIu64, task,
                 ours);
        res = RS_STORE_FENCED;
        goto out;
    }
    if (rep[1]->type != REDIS_REPLY_STRING ||
        rs_format_parse_u64(rep[1]->str, rep[1]->len, &theirs)) {
        snprintf(why, sizeof(why), "the epoch in '%s' is not a number",
                 (const char *)rs->keys.meta.data);
        goto fail;
    }
    if (theirs != ours) {
        snprintf(errstr, errstr_size,
                 "task %d is fenced: epoch %" PRIu64 " in redis, ours %" PRIu64,
                 task, theirs, ours);
        res = RS_STORE_FENCED;
        goto out;
    }
    if (days) {
        if (rep[2]->type != REDIS_REPLY_ARRAY) {
            snprintf(why, sizeof(why), "unexpected reply to ZRANGEBYSCORE "
                                       "'%s'",
                     (const char *)rs->keys.tdays.data);
            goto fail;
        }
        *days = rs_calloc(rep[2]->elements + 1, sizeof(**days));
        for (size_t i = 0; i < rep[2]->elements; i++) {
            if (rs_sr_parse_day(rep[2]->element[i], &(*days)[i])) {
                snprintf(why, sizeof(why), "days '%s' hold a member that "
                                           "is not a day number",
                         (const char *)rs->keys.tdays.data);
                goto fail;
            }
        }
        *days_below = (int64_t)rep[2]->elements;
    }
    res = RS_STORE_OK;
    goto out;
fail:
    snprintf(errstr, errstr_size, "task %d: flush failed: %s", task, why);
out:
    for (int i = 0; i < 3; i++) {
        if (rep[i])
            freeReplyObject(rep[i]);
    }
    if (res != RS_STORE_OK)
        unwatch(rs);
    return res;
}

/* Encodes the outbox into rs->encoded, and packs it as stored into
 * rs->packed. */
static int encode_outbox(struct redis_store *rs, int task,
                         const struct rs_flush *f, char *errstr,
                         size_t errstr_size)
{
    rs_buf_reset(&rs->encoded);
    rs_buf_reset(&rs->packed);
    for (size_t i = 0; i < f->outbox_count; i++) {
        const char *why = rs_outbox_encode(&rs->encoded, &f->outbox[i]);

        if (why) {
            snprintf(errstr, errstr_size,
                     "task %d: cannot flush: outbox record %zu: %s", task, i,
                     why);
            return -1;
        }
    }
    if (f->outbox_count)
        rs_outbox_pack(&rs->packed, rs->encoded.data, rs->encoded.len);
    return 0;
}

/* UNLINK of the n days gone (listed, before day below: every timer in
 * them has come up) and their entries in the list of days. */
static void drop_days(struct pipeline *p, const int64_t *gone, size_t n,
                      int64_t below)
{
    struct redis_store *rs = p->rs;
    char to[40];
    const char *zr[4] = {"ZREMRANGEBYSCORE", NULL, "-inf", to};
    size_t zr_len[4] = {16, rs->keys.tdays.len, 4, 0};

    if (!n)
        return;
    for (size_t i = 0; i < n; i++) {
        /* UNLINK: Redis frees a large hash off its main thread. */
        const char *del[2] = {"UNLINK", NULL};
        size_t del_len[2] = {6, 0};

        del[1] = rs_sr_day_key(rs, gone[i], &del_len[1]);
        pipe_append(p, 2, del, del_len);
    }
    zr[1] = (const char *)rs->keys.tdays.data;
    zr_len[3] = (size_t)snprintf(to, sizeof(to), "(%" PRId64, below);
    pipe_append(p, 4, zr, zr_len);
}

/* Sends EXEC after the commands queued in p and reads every reply: OK
 * when all applied, FENCED when EXEC found the epoch changed (nothing
 * applied), ERROR with errstr ("task T: <what> failed: ..."). */
static enum rs_store_result exec_replies(struct pipeline *p, int task,
                                         uint64_t epoch, const char *what,
                                         char *errstr, size_t errstr_size)
{
    struct redis_store *rs = p->rs;
    const char *exec[1] = {"EXEC"};
    size_t exec_len[1] = {4};
    char first[512] = "";
    redisReply *rep = NULL;
    enum rs_store_result res = RS_STORE_ERROR;

    pipe_append(p, 1, exec, exec_len);
    if (p->failed) {
        /* The connection is gone, and with it the WATCH and the MULTI. */
        snprintf(errstr, errstr_size, "task %d: %s failed: %s", task, what,
                 p->why);
        return RS_STORE_ERROR;
    }

    /* Every reply but EXEC's is +OK or +QUEUED; an error there (a command
     * Redis refused to queue) makes EXEC fail with EXECABORT. */
    for (size_t i = 0; i + 1 < p->sent; i++) {
        char err[512];
        redisReply *q = rs_redis_get_reply(rs->redis, err, sizeof(err));

        if (q)
            freeReplyObject(q);
        else if (!first[0])
            snprintf(first, sizeof(first), "%s", err);
    }
    rep = rs_redis_get_reply(rs->redis, p->why, sizeof(p->why));
    if (!rep) {
        snprintf(errstr, errstr_size, "task %d: %s failed: %s", task, what,
                 first[0] ? first : p->why);
        unwatch(rs);
        goto out;
    }
    if (rep->type == REDIS_REPLY_NIL) {
        snprintf(errstr, errstr_size,
                 "task %d is fenced: its epoch in redis changed during the "
                 "%s (another instance opened the task), ours %" PRIu64,
                 task, what, epoch);
        res = RS_STORE_FENCED;
        goto out;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != p->sent - 2) {
        snprintf(errstr, errstr_size,
                 "task %d: %s failed: unexpected reply to EXEC", task, what);
        goto out;
    }
    for (size_t i = 0; i < rep->elements; i++) {
        if (rep->element[i]->type == REDIS_REPLY_ERROR) {
            /* Cannot happen with the key types riskstream writes; if it
             * does, the rest of the transaction was applied (no rollback
             * in Redis). */
            snprintf(errstr, errstr_size,
                     "task %d: %s partly applied: command %zu of the "
                     "transaction failed: %s",
                     task, what, i + 1, rep->element[i]->str);
            goto out;
        }
    }
    res = RS_STORE_OK;
out:
    if (rep)
        freeReplyObject(rep);
    return res;
}

enum rs_store_result rs_sr_flush(void *self, int task,
                                 const struct rs_flush *f, char *errstr,
                                 size_t errstr_size)
{
    struct redis_store *rs = self;
    struct pipeline p;
    const char *multi[1] = {"MULTI"};
    size_t multi_len[1] = {5};
    enum rs_store_result res;
    int64_t below, n_gone, *gone = NULL;

    if (rs_sr_check_task(task, "cannot flush", errstr, errstr_size))
        return RS_STORE_ERROR;
    rs_sr_keys(rs, task);
    if (encode_outbox(rs, task, f, errstr, errstr_size))
        return RS_STORE_ERROR;
    /* The days whose timers have all come up, to drop whole. */
    below = f->has_fired_before ? rs_sr_day_of(f->timers_fired_before)
                                : INT64_MIN;
    n_gone = below;
    res = watch_epoch(rs, task, f->epoch, &n_gone,
                      below != INT64_MIN ? &gone : NULL, errstr,
                      errstr_size);
    if (res != RS_STORE_OK) {
        free(gone);
        return res;
    }
    if (!gone)
        n_gone = 0;

    memset(&p, 0, sizeof(p));
    p.rs = rs;
    pipe_append(&p, 1, multi, multi_len);
    append_customers(&p, f);
    append_chunks(&p, f);
    append_timers(&p, f);
    drop_days(&p, gone, (size_t)n_gone, below);
    append_meta(&p, f);
    append_outbox(&p, f);
    free(gone);
    return exec_replies(&p, task, f->epoch, "flush", errstr, errstr_size);
}

enum rs_store_result rs_sr_timers_tidy(struct redis_store *rs, int task,
                                       uint64_t epoch,
                                       const char *const *ids,
                                       const size_t *id_lens,
                                       const int64_t *at, size_t n,
                                       char *errstr, size_t errstr_size)
{
    struct pipeline p;
    const char *multi[1] = {"MULTI"};
    size_t multi_len[1] = {5};
    enum rs_store_result res;

    rs_sr_keys(rs, task);
    res = watch_epoch(rs, task, epoch, NULL, NULL, errstr, errstr_size);
    if (res != RS_STORE_OK)
        return res;
    memset(&p, 0, sizeof(p));
    p.rs = rs;
    pipe_append(&p, 1, multi, multi_len);
    /* The sorted set's timers by day: HSET and ZADD as a flush would. */
    rs_grow((void **)&rs->ops, &rs->ops_cap, n + 1, sizeof(*rs->ops));
    for (size_t i = 0; i < n; i++) {
        int64_t day = rs_sr_day_of(at[i]);

        rs->ops[i] = (struct timer_op){
            day, (uint32_t)i, 1, (int32_t)(at[i] - day * RS_SR_DAY_MS),
            ids[i], id_lens[i]};
    }
    send_ops(&p, rs->ops, n);
    if (n) {
        const char *del[2] = {"DEL", (const char *)rs->keys.timers.data};
        size_t del_len[2] = {3, rs->keys.timers.len};

        pipe_append(&p, 2, del, del_len);
    }
    return exec_replies(&p, task, epoch, "timer tidy", errstr, errstr_size);
}
