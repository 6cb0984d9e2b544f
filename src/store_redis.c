/* The Redis state store: a task's customers, timers, meta and outbox in
 * five keys that share the task's hash tag (layout in store.h).
 *
 * A task's customers are fields of two hashes (packed states, readable
 * summaries), not a key each: a flush writes every changed customer with
 * one HSET per HSET_BATCH customers and hash, so the commands per flush
 * follow the tasks, not the customers, and Redis keeps no key object per
 * customer.
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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/alert.h"
#include "riskstream/format.h"
#include "riskstream/mem.h"
#include "riskstream/outbox.h"
#include "riskstream/redis.h"

/* Timer updates go out as ZADD and ZREM commands of this many customers. */
#define ZSET_BATCH 512
/* Customer writes go out as HSET commands of this many customers. */
#define HSET_BATCH 512

static const char *const meta_offset_fields[RS_EVENT_KINDS] = {"o0", "o1",
                                                               "o2", "o3"};
static const char *const meta_prev_fields[RS_EVENT_KINDS] = {"p0", "p1", "p2",
                                                             "p3"};

/* The task whose key names are in the key buffers. */
struct task_keys {
    int task;             /* -1: none built yet */
    struct rs_buf meta;   /* P:{tT}:meta */
    struct rs_buf timers; /* P:{tT}:timers */
    struct rs_buf outbox; /* P:{tT}:outbox */
    struct rs_buf state;  /* P:{tT}:s */
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

struct redis_store {
    struct rs_redis *redis;
    char *prefix;
    struct task_keys keys;
    struct zset_batch zset;
    struct rs_buf encoded; /* outbox entries of one flush, back to back */
    struct rs_buf sums;    /* summaries of one HSET batch, back to back */
    const char *hargv[2 + 2 * HSET_BATCH];
    size_t hlen[2 + 2 * HSET_BATCH];
    size_t sum_end[HSET_BATCH];
    /* Per flush: which entries are the last of their customer. */
    uint8_t *last;
    size_t last_cap;
    size_t *slots; /* id table: entry index + 1, 0 empty */
    size_t slot_cap;
};

/* Keys. */

static void keys_build(struct redis_store *rs, int task)
{
    struct task_keys *k = &rs->keys;

    if (k->task == task)
        return;
    rs_buf_reset(&k->meta);
    rs_buf_reset(&k->timers);
    rs_buf_reset(&k->outbox);
    rs_buf_reset(&k->state);
    rs_buf_reset(&k->summary);
    rs_buf_printf(&k->meta, "%s:{t%d}:meta", rs->prefix, task);
    rs_buf_printf(&k->timers, "%s:{t%d}:timers", rs->prefix, task);
    rs_buf_printf(&k->outbox, "%s:{t%d}:outbox", rs->prefix, task);
    rs_buf_printf(&k->state, "%s:{t%d}:s", rs->prefix, task);
    rs_buf_printf(&k->summary, "%s:{t%d}:sum", rs->prefix, task);
    k->task = task;
}

/* Small helpers. */

static int check_task(int task, const char *what, char *errstr,
                      size_t errstr_size)
{
    if (task >= 0)
        return 0;
    snprintf(errstr, errstr_size, "%s: task number %d is negative", what,
             task);
    return -1;
}

/* A sorted-set score (a double in Redis) as milliseconds. */
static int parse_score(const char *s, size_t len, int64_t *out)
{
    char tmp[64], *end;
    double d;

    if (rs_format_parse_i64(s, len, out) == 0)
        return 0;
    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    d = strtod(tmp, &end);
    if (*end || d != d)
        return -1;
    if (d >= 9223372036854775807.0)
        *out = INT64_MAX;
    else if (d <= -9223372036854775808.0)
        *out = INT64_MIN;
    else
        *out = (int64_t)d;
    return 0;
}

/* open_task: bump the epoch, read meta and the outbox. */

/* Reads the fields of one all-or-nothing group (o0..o3 + st, p0..p3). */
static int meta_group(struct redis_store *rs, redisReply **v, int n,
                      int64_t *out, int *has, char *errstr,
                      size_t errstr_size)
{
    int present = 0;

    for (int i = 0; i < n; i++) {
        if (v[i]->type == REDIS_REPLY_STRING)
            present++;
        else if (v[i]->type != REDIS_REPLY_NIL)
            present = -1000;
    }
    *has = present == n;
    if (present != 0 && present != n) {
        snprintf(errstr, errstr_size,
                 "task %d: meta '%s' is corrupt: it has some but not all of "
                 "the fields that are written together",
                 rs->keys.task, (const char *)rs->keys.meta.data);
        return -1;
    }
    for (int i = 0; present && i < n; i++) {
        if (rs_format_parse_i64(v[i]->str, v[i]->len, &out[i])) {
            snprintf(errstr, errstr_size,
                     "task %d: meta '%s' is corrupt: a field holds '%.*s', "
                     "not a number",
                     rs->keys.task, (const char *)rs->keys.meta.data,
                     (int)(v[i]->len > 40 ? 40 : v[i]->len), v[i]->str);
            return -1;
        }
    }
    return 0;
}

static int parse_meta(struct redis_store *rs, redisReply *fields,
                      struct rs_task_meta *meta, char *errstr,
                      size_t errstr_size)
{
    /* HMGET o0 o1 o2 o3 st p0 p1 p2 p3 */
    int64_t cur[RS_EVENT_KINDS + 1];

    if (fields->type != REDIS_REPLY_ARRAY ||
        fields->elements != 2 * RS_EVENT_KINDS + 1) {
        snprintf(errstr, errstr_size, "task %d: unexpected reply to HMGET '%s'",
                 rs->keys.task, (const char *)rs->keys.meta.data);
        return -1;
    }
    if (meta_group(rs, fields->element, RS_EVENT_KINDS + 1, cur,
                   &meta->has_offsets, errstr, errstr_size) ||
        meta_group(rs, fields->element + RS_EVENT_KINDS + 1, RS_EVENT_KINDS,
                   meta->prev_offsets, &meta->has_prev, errstr, errstr_size))
        return -1;
    if (meta->has_offsets) {
        memcpy(meta->offsets, cur, sizeof(meta->offsets));
        meta->stream_time = cur[RS_EVENT_KINDS];
    } else {
        for (int k = 0; k < RS_EVENT_KINDS; k++)
            meta->offsets[k] = RS_NO_OFFSET;
        meta->stream_time = INT64_MIN;
    }
    if (!meta->has_prev) {
        for (int k = 0; k < RS_EVENT_KINDS; k++)
            meta->prev_offsets[k] = RS_NO_OFFSET;
    }
    return 0;
}

static int parse_outbox(struct redis_store *rs, redisReply *list,
                        struct rs_task_meta *meta, char *errstr,
                        size_t errstr_size)
{
    if (list->type != REDIS_REPLY_ARRAY) {
        snprintf(errstr, errstr_size,
                 "task %d: unexpected reply to LRANGE '%s'", rs->keys.task,
                 (const char *)rs->keys.outbox.data);
        return -1;
    }
    meta->outbox = rs_calloc(list->elements, sizeof(*meta->outbox));
    for (size_t i = 0; i < list->elements; i++) {
        redisReply *el = list->element[i];
        const char *why = el->type == REDIS_REPLY_STRING
                              ? rs_outbox_decode((const uint8_t *)el->str,
                                                 el->len, &meta->outbox[i])
                              : "not a string";

        if (why) {
            snprintf(errstr, errstr_size,
                     "task %d: outbox '%s' is corrupt: entry %zu of %zu "
                     "(%zu bytes): %s",
                     rs->keys.task, (const char *)rs->keys.outbox.data, i,
                     list->elements, el->len, why);
            return -1;
        }
        meta->outbox_count = i + 1;
    }
    return 0;
}

static enum rs_store_result redis_open_task(void *self, int task,
                                            struct rs_task_meta *meta,
                                            char *errstr, size_t errstr_size)
{
    struct redis_store *rs = self;
    const char *incr[] = {"HINCRBY", NULL, "epoch", "1"};
    const char *hmget[2 + 2 * RS_EVENT_KINDS + 1] = {"HMGET", NULL};
    const char *lrange[] = {"LRANGE", NULL, "0", "-1"};
    size_t incr_len[4], hmget_len[2 + 2 * RS_EVENT_KINDS + 1], lrange_len[4];
    redisReply *rep[3] = {NULL, NULL, NULL};
    char why[512] = "";
    enum rs_store_result res = RS_STORE_ERROR;
    int n = 2;

    memset(meta, 0, sizeof(*meta));
    if (check_task(task, "cannot open task", errstr, errstr_size))
        return RS_STORE_ERROR;
    keys_build(rs, task);
    incr[1] = hmget[1] = (const char *)rs->keys.meta.data;
    lrange[1] = (const char *)rs->keys.outbox.data;
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        hmget[n++] = meta_offset_fields[k];
    hmget[n++] = "st";
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        hmget[n++] = meta_prev_fields[k];
    for (int i = 0; i < 4; i++) {
        incr_len[i] = strlen(incr[i]);
        lrange_len[i] = strlen(lrange[i]);
    }
    for (int i = 0; i < n; i++)
        hmget_len[i] = strlen(hmget[i]);

    if (rs_redis_connect(rs->redis, why, sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 4, incr, incr_len, why,
                             sizeof(why)) ||
        rs_redis_append_argv(rs->redis, n, hmget, hmget_len, why,
                             sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 4, lrange, lrange_len, why,
                             sizeof(why)))
        goto fail;
    /* Read all three replies whatever happens to one of them. */
    for (int i = 0; i < 3; i++) {
        char err[512];

        rep[i] = rs_redis_get_reply(rs->redis, err, sizeof(err));
        if (!rep[i] && !why[0])
            snprintf(why, sizeof(why), "%s", err);
    }
    if (why[0])
        goto fail;
    if (rep[0]->type != REDIS_REPLY_INTEGER || rep[0]->integer < 1) {
        snprintf(why, sizeof(why), "unexpected reply to HINCRBY '%s' epoch",
                 (const char *)rs->keys.meta.data);
        goto fail;
    }
    meta->epoch = (uint64_t)rep[0]->integer;
    if (parse_meta(rs, rep[1], meta, errstr, errstr_size) ||
        parse_outbox(rs, rep[2], meta, errstr, errstr_size))
        goto out;
    res = RS_STORE_OK;
    goto out;
fail:
    snprintf(errstr, errstr_size, "task %d: cannot open: %s", task, why);
out:
    for (int i = 0; i < 3; i++) {
        if (rep[i])
            freeReplyObject(rep[i]);
    }
    if (res != RS_STORE_OK)
        rs_store_meta_release(meta);
    return res;
}

/* load */

static int redis_load(void *self, int task, const char *customer,
                      struct rs_buf *packed, char *errstr, size_t errstr_size)
{
    struct redis_store *rs = self;
    const struct rs_buf *key;
    const char *argv[3];
    size_t len[3];
    redisReply *rep;
    char why[512];
    int rc = -1;

    if (check_task(task, "cannot load", errstr, errstr_size))
        return -1;
    keys_build(rs, task);
    key = &rs->keys.state;
    argv[0] = "HGET";
    argv[1] = (const char *)key->data;
    argv[2] = customer;
    len[0] = 4;
    len[1] = key->len;
    len[2] = strlen(customer);
    rep = rs_redis_commandv(rs->redis, 3, argv, len, why, sizeof(why));
    if (!rep) {
        snprintf(errstr, errstr_size, "task %d: cannot load customer '%s': %s",
                 task, customer, why);
        return -1;
    }
    if (rep->type == REDIS_REPLY_NIL) {
        rc = 0;
    } else if (rep->type != REDIS_REPLY_STRING) {
        snprintf(errstr, errstr_size,
                 "task %d: cannot load customer '%s': HGET of '%s' answered "
                 "neither a string nor nil",
                 task, customer, (const char *)key->data);
    } else {
        rs_buf_reset(packed);
        if (rs_buf_append(packed, rep->str, rep->len) == 0)
            rc = 1;
        else
            snprintf(errstr, errstr_size,
                     "task %d: cannot load customer '%s': its state is %zu "
                     "bytes, more than the buffer's cap of %zu",
                     task, customer, rep->len, packed->max);
    }
    freeReplyObject(rep);
    return rc;
}

/* timers */

static long redis_timers(void *self, int task, int64_t from, int64_t to,
                         long max, rs_store_timer_cb cb, void *opaque,
                         char *errstr, size_t errstr_size)
{
    struct redis_store *rs = self;
    char min[32], maxs[32], limit[32], why[512];
    const char *argv[8];
    size_t len[8];
    redisReply *rep;
    int64_t *at = NULL;
    long rc = -1;
    size_t n;

    if (check_task(task, "cannot read timers", errstr, errstr_size))
        return -1;
    if (max <= 0 || from >= to)
        return 0;
    keys_build(rs, task);
    snprintf(min, sizeof(min), "(%" PRId64, from);
    snprintf(maxs, sizeof(maxs), "%" PRId64, to);
    snprintf(limit, sizeof(limit), "%ld", max);
    argv[0] = "ZRANGEBYSCORE";
    argv[1] = (const char *)rs->keys.timers.data;
    argv[2] = min;
    argv[3] = maxs;
    argv[4] = "WITHSCORES";
    argv[5] = "LIMIT";
    argv[6] = "0";
    argv[7] = limit;
    for (int i = 0; i < 8; i++)
        len[i] = strlen(argv[i]);
    rep = rs_redis_commandv(rs->redis, 8, argv, len, why, sizeof(why));
    if (!rep) {
        snprintf(errstr, errstr_size, "task %d: cannot read timers: %s", task,
                 why);
        return -1;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2) {
        snprintf(errstr, errstr_size,
                 "task %d: unexpected reply to ZRANGEBYSCORE '%s'", task,
                 (const char *)rs->keys.timers.data);
        goto out;
    }
    /* Check every entry before calling back for any. */
    n = rep->elements / 2;
    at = rs_calloc(n, sizeof(*at));
    for (size_t i = 0; i < n; i++) {
        redisReply *member = rep->element[2 * i];
        redisReply *score = rep->element[2 * i + 1];

        if (member->type != REDIS_REPLY_STRING ||
            score->type != REDIS_REPLY_STRING ||
            parse_score(score->str, score->len, &at[i])) {
            snprintf(errstr, errstr_size,
                     "task %d: timers '%s' hold an entry that is not a "
                     "customer with a time",
                     task, (const char *)rs->keys.timers.data);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++)
        cb(opaque, rep->element[2 * i]->str, rep->element[2 * i]->len, at[i]);
    rc = (long)n;
out:
    free(at);
    freeReplyObject(rep);
    return rc;
}

/* flush */

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

static void zset_send(struct pipeline *p)
{
    struct zset_batch *z = &p->rs->zset;
    int argc = 2 + z->count * (z->is_add ? 2 : 1);

    if (!z->count)
        return;
    z->argv[0] = z->is_add ? "ZADD" : "ZREM";
    z->argvlen[0] = 4;
    z->argv[1] = (const char *)p->rs->keys.timers.data;
    z->argvlen[1] = p->rs->keys.timers.len;
    pipe_append(p, argc, z->argv, z->argvlen);
    z->count = 0;
}

/* Queues one timer update; a run of the same kind shares one command. */
static void zset_push(struct pipeline *p, const struct rs_flush_customer *c)
{
    struct zset_batch *z = &p->rs->zset;
    int is_add = c->next_timer != RS_NO_TIMER;
    size_t id_len = strlen(c->id);

    if (z->count && (z->is_add != is_add || z->count == ZSET_BATCH))
        zset_send(p);
    z->is_add = is_add;
    if (is_add) {
        int i = 2 + 2 * z->count;
        int n = snprintf(z->scores[z->count], sizeof(z->scores[0]),
                         "%" PRId64, c->next_timer);

        z->argv[i] = z->scores[z->count];
        z->argvlen[i] = (size_t)n;
        z->argv[i + 1] = c->id;
        z->argvlen[i + 1] = id_len;
    } else {
        z->argv[2 + z->count] = c->id;
        z->argvlen[2 + z->count] = id_len;
    }
    z->count++;
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
 * the last entry of each id, as sequential ZADD/ZREM would leave it. With
 * every customer once, removals and additions can then go out in large
 * batches in any order. */
static void mark_last(struct redis_store *rs, const struct rs_flush *f)
{
    size_t n = f->customer_count, need = 16, mask;

    while (need < 2 * n)
        need *= 2;
    rs_grow((void **)&rs->last, &rs->last_cap, n ? n : 1, 1);
    rs_grow((void **)&rs->slots, &rs->slot_cap, need, sizeof(*rs->slots));
    memset(rs->slots, 0, need * sizeof(*rs->slots));
    mask = need - 1;
    for (size_t i = 0; i < n; i++) {
        const char *id = f->customers[i].id;
        size_t j = (size_t)hash_id(id) & mask;

        rs->last[i] = 1;
        for (;; j = (j + 1) & mask) {
            size_t *slot = &rs->slots[j];

            if (!*slot) {
                *slot = i + 1;
                break;
            }
            if (strcmp(f->customers[*slot - 1].id, id) == 0) {
                rs->last[*slot - 1] = 0;
                *slot = i + 1;
                break;
            }
        }
    }
}

static void append_timers(struct pipeline *p, const struct rs_flush *f)
{
    struct redis_store *rs = p->rs;

    mark_last(rs, f);
    rs->zset.count = 0;
    for (int add = 0; add < 2; add++) {
        for (size_t i = 0; i < f->customer_count; i++) {
            const struct rs_flush_customer *c = &f->customers[i];

            if (rs->last[i] && (c->next_timer != RS_NO_TIMER) == add)
                zset_push(p, c);
        }
    }
    zset_send(p);
}

/* Writes v in decimal at p; returns the end. */
static char *put_i64(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do
        tmp[n++] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

/* |x| in tenths, rounded as printf's "%.1f" rounds: to the nearest by
 * the exact binary value, an exact tie to even. x * 10 can only land on a
 * tie that is not one (1.05 is 1.05000000000000004...): the product's
 * rounding error, from fma(), says which side the exact value is on. */
static int64_t tenths(double x)
{
    double a = x < 0 ? -x : x, p = a * 10.0, fl = floor(p);

    if (p - fl == 0.5) {
        double e = fma(a, 10.0, -p);

        return (int64_t)fl + (e > 0 || (e == 0 && ((int64_t)fl & 1)));
    }
    return llround(p);
}

/* The readable summary of c, as flat JSON, appended to out: written by
 * hand, as snprintf was a hot spot of the flush. */
static void summary_json(struct rs_buf *out, const struct rs_flush_customer *c)
{
    const struct rs_summary *sm = &c->summary;
    char buf[320], last[40], *p = buf;
    double days = sm->days_beyond_terms;

    rs_format_time_ms(last, sizeof(last), sm->last_event_time);
    p = put_str(p, "{\"level\":\"");
    p = put_str(p, rs_level_name((enum rs_level)sm->level));
    p = put_str(p, "\",\"score\":");
    p = put_i64(p, sm->score);
    p = put_str(p, ",\"open_amount\":");
    p = put_i64(p, sm->open_amount);
    p = put_str(p, ",\"overdue_amount\":");
    p = put_i64(p, sm->overdue_amount);
    p = put_str(p, ",\"days_beyond_terms\":");
    if (days > -1e14 && days < 1e14) {
        int64_t t = tenths(days);

        if (days < 0 && t)
            *p++ = '-';
        p = put_i64(p, t / 10);
        *p++ = '.';
        *p++ = (char)('0' + t % 10);
    } else {
        p += snprintf(p, 40, "%.1e", days);
    }
    p = put_str(p, ",\"last_event_time\":\"");
    p = put_str(p, last);
    p = put_str(p, "\"}");
    rs_buf_append(out, buf, (size_t)(p - buf));
}

/* HSET P:{tT}:s id packed ... and HSET P:{tT}:sum id summary ..., a batch
 * of customers each. A customer listed twice is written twice, the later
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

        rs_buf_reset(&rs->sums);
        for (size_t i = 0; i < n; i++) {
            summary_json(&rs->sums, &f->customers[from + i]);
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

static void append_meta(struct pipeline *p, const struct rs_flush *f)
{
    const char *meta = (const char *)p->rs->keys.meta.data;
    char num[2 * RS_EVENT_KINDS + 1][24];
    const char *argv[2 + 2 * (2 * RS_EVENT_KINDS + 1)] = {"HSET", meta};
    size_t len[2 + 2 * (2 * RS_EVENT_KINDS + 1)];
    int argc = 2, m = 0;

    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        snprintf(num[m], sizeof(num[m]), "%" PRId64, f->offsets[k]);
        argv[argc++] = meta_offset_fields[k];
        argv[argc++] = num[m++];
    }
    snprintf(num[m], sizeof(num[m]), "%" PRId64, f->stream_time);
    argv[argc++] = "st";
    argv[argc++] = num[m++];
    if (f->has_prev) {
        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            snprintf(num[m], sizeof(num[m]), "%" PRId64, f->prev_offsets[k]);
            argv[argc++] = meta_prev_fields[k];
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
            del[2 + k] = meta_prev_fields[k];
            del_len[2 + k] = 2;
        }
        pipe_append(p, 2 + RS_EVENT_KINDS, del, del_len);
    }
}

/* DEL outbox, then RPUSH the entries encoded (outbox.h) in rs->encoded at
 * ends[]. */
static void append_outbox(struct pipeline *p, const struct rs_flush *f,
                          const size_t *ends)
{
    const struct rs_buf *key = &p->rs->keys.outbox;
    const char *del[2] = {"DEL", (const char *)key->data};
    size_t del_len[2] = {3, key->len};
    const char **argv;
    size_t *len;

    pipe_append(p, 2, del, del_len);
    if (!f->outbox_count)
        return;
    argv = rs_malloc((f->outbox_count + 2) * sizeof(*argv));
    len = rs_malloc((f->outbox_count + 2) * sizeof(*len));
    argv[0] = "RPUSH";
    len[0] = 5;
    argv[1] = (const char *)key->data;
    len[1] = key->len;
    for (size_t i = 0; i < f->outbox_count; i++) {
        size_t start = i ? ends[i - 1] : 0;

        argv[2 + i] = (const char *)p->rs->encoded.data + start;
        len[2 + i] = ends[i] - start;
    }
    pipe_append(p, (int)(f->outbox_count + 2), argv, len);
    free(argv);
    free(len);
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
static enum rs_store_result watch_epoch(struct redis_store *rs, int task,
                                        uint64_t ours, char *errstr,
                                        size_t errstr_size)
{
    const char *watch[2] = {"WATCH", (const char *)rs->keys.meta.data};
    const char *hget[3] = {"HGET", (const char *)rs->keys.meta.data, "epoch"};
    size_t watch_len[2] = {5, rs->keys.meta.len};
    size_t hget_len[3] = {4, rs->keys.meta.len, 5};
    redisReply *rep[2] = {NULL, NULL};
    enum rs_store_result res = RS_STORE_ERROR;
    char why[512] = "";
    uint64_t theirs = 0;

    if (rs_redis_connect(rs->redis, why, sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 2, watch, watch_len, why,
                             sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 3, hget, hget_len, why, sizeof(why)))
        goto fail;
    for (int i = 0; i < 2; i++) {
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
    res = RS_STORE_OK;
    goto out;
fail:
    snprintf(errstr, errstr_size, "task %d: flush failed: %s", task, why);
out:
    for (int i = 0; i < 2; i++) {
        if (rep[i])
            freeReplyObject(rep[i]);
    }
    if (res != RS_STORE_OK)
        unwatch(rs);
    return res;
}

/* Encodes the outbox into rs->encoded; ends[i] is where entry i ends. */
static int encode_outbox(struct redis_store *rs, int task,
                         const struct rs_flush *f, size_t *ends, char *errstr,
                         size_t errstr_size)
{
    rs_buf_reset(&rs->encoded);
    if (f->outbox_count > (size_t)INT_MAX - 2) {
        snprintf(errstr, errstr_size,
                 "task %d: cannot flush: %zu outbox records are too many",
                 task, f->outbox_count);
        return -1;
    }
    for (size_t i = 0; i < f->outbox_count; i++) {
        const char *why = rs_outbox_encode(&rs->encoded, &f->outbox[i]);

        if (why) {
            snprintf(errstr, errstr_size,
                     "task %d: cannot flush: outbox record %zu: %s", task, i,
                     why);
            return -1;
        }
        ends[i] = rs->encoded.len;
    }
    return 0;
}

static enum rs_store_result redis_flush(void *self, int task,
                                        const struct rs_flush *f,
                                        char *errstr, size_t errstr_size)
{
    struct redis_store *rs = self;
    struct pipeline p;
    const char *multi[1] = {"MULTI"}, *exec[1] = {"EXEC"};
    size_t multi_len[1] = {5}, exec_len[1] = {4};
    size_t *ends = NULL;
    char first[512] = "";
    redisReply *rep = NULL;
    enum rs_store_result res = RS_STORE_ERROR;

    if (check_task(task, "cannot flush", errstr, errstr_size))
        return RS_STORE_ERROR;
    keys_build(rs, task);
    ends = rs_calloc(f->outbox_count, sizeof(*ends));
    if (encode_outbox(rs, task, f, ends, errstr, errstr_size))
        goto out;
    res = watch_epoch(rs, task, f->epoch, errstr, errstr_size);
    if (res != RS_STORE_OK)
        goto out;
    res = RS_STORE_ERROR;

    memset(&p, 0, sizeof(p));
    p.rs = rs;
    pipe_append(&p, 1, multi, multi_len);
    append_customers(&p, f);
    append_timers(&p, f);
    append_meta(&p, f);
    append_outbox(&p, f, ends);
    pipe_append(&p, 1, exec, exec_len);
    if (p.failed) {
        /* The connection is gone, and with it the WATCH and the MULTI. */
        snprintf(errstr, errstr_size, "task %d: flush failed: %s", task,
                 p.why);
        goto out;
    }

    /* Every reply but EXEC's is +OK or +QUEUED; an error there (a command
     * Redis refused to queue) makes EXEC fail with EXECABORT. */
    for (size_t i = 0; i + 1 < p.sent; i++) {
        char err[512];
        redisReply *q = rs_redis_get_reply(rs->redis, err, sizeof(err));

        if (q)
            freeReplyObject(q);
        else if (!first[0])
            snprintf(first, sizeof(first), "%s", err);
    }
    rep = rs_redis_get_reply(rs->redis, p.why, sizeof(p.why));
    if (!rep) {
        snprintf(errstr, errstr_size, "task %d: flush failed: %s", task,
                 first[0] ? first : p.why);
        unwatch(rs);
        goto out;
    }
    if (rep->type == REDIS_REPLY_NIL) {
        snprintf(errstr, errstr_size,
                 "task %d is fenced: its epoch in redis changed during the "
                 "flush (another instance opened the task), ours %" PRIu64,
                 task, f->epoch);
        res = RS_STORE_FENCED;
        goto out;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != p.sent - 2) {
        snprintf(errstr, errstr_size,
                 "task %d: flush failed: unexpected reply to EXEC", task);
        goto out;
    }
    for (size_t i = 0; i < rep->elements; i++) {
        if (rep->element[i]->type == REDIS_REPLY_ERROR) {
            /* Cannot happen with the key types riskstream writes; if it
             * does, the rest of the transaction was applied (no rollback
             * in Redis). */
            snprintf(errstr, errstr_size,
                     "task %d: flush partly applied: command %zu of the "
                     "transaction failed: %s",
                     task, i + 1, rep->element[i]->str);
            goto out;
        }
    }
    res = RS_STORE_OK;
out:
    if (rep)
        freeReplyObject(rep);
    free(ends);
    return res;
}

/* The store object. */

static void redis_destroy(void *self)
{
    struct redis_store *rs = self;

    rs_redis_destroy(rs->redis);
    free(rs->prefix);
    rs_buf_release(&rs->keys.meta);
    rs_buf_release(&rs->keys.timers);
    rs_buf_release(&rs->keys.outbox);
    rs_buf_release(&rs->keys.state);
    rs_buf_release(&rs->keys.summary);
    rs_buf_release(&rs->sums);
    rs_buf_release(&rs->encoded);
    free(rs->last);
    free(rs->slots);
    free(rs);
}

static const struct rs_store_ops redis_ops = {
    .name = "redis",
    .open_task = redis_open_task,
    .load = redis_load,
    .timers = redis_timers,
    .flush = redis_flush,
    .destroy = redis_destroy,
};

/* A Redis that evicts keys would lose state silently: refuse it. Where
 * CONFIG is disabled (managed services), say that it was not checked. */
static int check_eviction(struct rs_redis *redis, const struct rs_config *conf,
                          char *errstr, size_t errstr_size)
{
    char why[256];
    redisReply *r = rs_redis_command(redis, why, sizeof(why),
                                     "CONFIG GET maxmemory-policy");

    if (!r) {
        rs_log_warn("store", "cannot check maxmemory-policy of redis "
                             "'%s:%lld' (%s); it must be noeviction",
                    conf->redis_host, conf->redis_port, why);
        return 0;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[1]->type == REDIS_REPLY_STRING &&
        strcmp(r->element[1]->str, "noeviction") != 0) {
        snprintf(errstr, errstr_size,
                 "redis '%s:%lld' has maxmemory-policy %s: it may evict "
                 "riskstream's state without telling; set it to noeviction",
                 conf->redis_host, conf->redis_port, r->element[1]->str);
        freeReplyObject(r);
        return -1;
    }
    freeReplyObject(r);
    return 0;
}

struct rs_store *rs_store_redis_new(const struct rs_config *conf,
                                    char *errstr, size_t errstr_size)
{
    struct redis_store *rs;
    struct rs_store *s;
    struct rs_redis *redis = rs_redis_new(conf, errstr, errstr_size);

    if (!redis)
        return NULL;
    if (check_eviction(redis, conf, errstr, errstr_size)) {
        rs_redis_destroy(redis);
        return NULL;
    }
    rs = rs_calloc(1, sizeof(*rs));
    rs->redis = redis;
    rs->prefix = rs_strdup(conf->redis_prefix);
    rs->keys.task = -1;
    rs_buf_init(&rs->keys.meta, 0);
    rs_buf_init(&rs->keys.timers, 0);
    rs_buf_init(&rs->keys.outbox, 0);
    rs_buf_init(&rs->keys.state, 0);
    rs_buf_init(&rs->keys.summary, 0);
    rs_buf_init(&rs->sums, 0);
    rs_buf_init(&rs->encoded, 0);
    s = rs_calloc(1, sizeof(*s));
    s->ops = &redis_ops;
    s->self = rs;
    return s;
}
