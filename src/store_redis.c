/* The Redis state store: a task's customers, timers, meta and outbox in
 * five keys that share the task's hash tag (layout in store.h).
 *
 * A task's customers are fields of two hashes (packed states, readable
 * summaries), not a key each: a flush writes every changed customer with
 * one HSET per HSET_BATCH customers and hash, so the commands per flush
 * follow the tasks, not the customers, and Redis keeps no key object per
 * customer. This file opens tasks, loads customers and reads timers; the
 * flush is in store_redis_flush.c. */
#include "riskstream/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/customer.h"
#include "riskstream/format.h"
#include "riskstream/log.h"
#include "riskstream/mem.h"
#include "riskstream/outbox.h"
#include "riskstream/redis.h"
#include "store_redis_internal.h"

const char *const rs_sr_offset_fields[RS_EVENT_KINDS] = {"o0", "o1", "o2",
                                                      "o3"};
const char *const rs_sr_prev_fields[RS_EVENT_KINDS] = {"p0", "p1", "p2",
                                                    "p3"};

/* Keys. */

void rs_sr_keys(struct redis_store *rs, int task)
{
    struct task_keys *k = &rs->keys;

    if (k->task == task)
        return;
    rs_buf_reset(&k->meta);
    rs_buf_reset(&k->timers);
    rs_buf_reset(&k->tdays);
    rs_buf_reset(&k->outbox);
    rs_buf_reset(&k->state);
    rs_buf_reset(&k->chunks);
    rs_buf_reset(&k->summary);
    rs_buf_printf(&k->meta, "%s:{t%d}:meta", rs->prefix, task);
    rs_buf_printf(&k->timers, "%s:{t%d}:timers", rs->prefix, task);
    rs_buf_printf(&k->tdays, "%s:{t%d}:tdays", rs->prefix, task);
    rs_buf_printf(&k->outbox, "%s:{t%d}:outbox", rs->prefix, task);
    rs_buf_printf(&k->state, "%s:{t%d}:s", rs->prefix, task);
    rs_buf_printf(&k->chunks, "%s:{t%d}:c", rs->prefix, task);
    rs_buf_printf(&k->summary, "%s:{t%d}:sum", rs->prefix, task);
    k->task = task;
}

const char *rs_sr_day_key(struct redis_store *rs, int64_t day, size_t *len)
{
    rs_buf_reset(&rs->keys.day);
    rs_buf_printf(&rs->keys.day, "%s:{t%d}:td:%" PRId64, rs->prefix,
                  rs->keys.task, day);
    if (len)
        *len = rs->keys.day.len;
    return (const char *)rs->keys.day.data;
}

/* Small helpers. */

int rs_sr_check_task(int task, const char *what, char *errstr,
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

int rs_sr_parse_day(const redisReply *r, int64_t *day)
{
    return r->type != REDIS_REPLY_STRING ||
           rs_format_parse_i64(r->str, r->len, day) ||
           *day > INT64_MAX / RS_SR_DAY_MS - 1 ||
           *day < INT64_MIN / RS_SR_DAY_MS + 1;
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

static int outbox_corrupt(struct redis_store *rs, size_t i, size_t of,
                          size_t len, const char *why, char *errstr,
                          size_t errstr_size)
{
    snprintf(errstr, errstr_size,
             "task %d: outbox '%s' is corrupt: entry %zu of %zu (%zu bytes): "
             "%s",
             rs->keys.task, (const char *)rs->keys.outbox.data, i, of, len,
             why);
    return -1;
}

/* The outbox as one string (rs_outbox_pack): the entries back to back,
 * packed or not. */
static int parse_outbox_string(struct redis_store *rs, const redisReply *rep,
                               struct rs_task_meta *meta, char *errstr,
                               size_t errstr_size)
{
    const uint8_t *p;
    uint8_t *owned;
    size_t n, count = 0;
    const char *why = rs_outbox_unpack((const uint8_t *)rep->str, rep->len,
                                       &p, &n, &owned);
    int rc = 0;

    if (why) {
        snprintf(errstr, errstr_size,
                 "task %d: outbox '%s' is corrupt: %s (%zu bytes)",
                 rs->keys.task, (const char *)rs->keys.outbox.data, why,
                 rep->len);
        return -1;
    }
    for (size_t at = 0; at < n; count++)
        at += rs_outbox_entry_size(p + at, n - at);
    meta->outbox = rs_calloc(count ? count : 1, sizeof(*meta->outbox));
    for (size_t at = 0, i = 0; at < n && !rc; i++) {
        size_t size = rs_outbox_entry_size(p + at, n - at);

        why = rs_outbox_decode(p + at, size, &meta->outbox[i]);
        if (why)
            rc = outbox_corrupt(rs, i, count, size, why, errstr,
                                errstr_size);
        else
            meta->outbox_count = i + 1;
        at += size;
    }
    free(owned);
    return rc;
}

/* The outbox as a list, one entry an element (before 2026-12-07). */
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

        if (why)
            return outbox_corrupt(rs, i, list->elements, el->len, why,
                                  errstr, errstr_size);
        meta->outbox_count = i + 1;
    }
    return 0;
}

/* The replies to ZRANGE tdays -1 -1 (the last day that may hold timers)
 * and ZRANGE timers -1 -1 WITHSCORES (the latest timer of the sorted set
 * written before 2026-12-07, if one is left): a bound on the latest
 * stored timer, or none. */
static int parse_last_timer(struct redis_store *rs, int task,
                            const redisReply *day, const redisReply *old,
                            struct rs_task_meta *meta, char *errstr,
                            size_t errstr_size)
{
    int64_t d, at;

    meta->timers_bounded = 1;
    meta->timers_last = INT64_MIN;
    if (day->type != REDIS_REPLY_ARRAY || day->elements > 1 ||
        (day->elements == 1 && rs_sr_parse_day(day->element[0], &d))) {
        snprintf(errstr, errstr_size,
                 "task %d: days '%s' hold a member that is not a day number",
                 task, (const char *)rs->keys.tdays.data);
        return -1;
    }
    if (day->elements == 1)
        meta->timers_last = (d + 1) * RS_SR_DAY_MS - 1;
    if (old->type == REDIS_REPLY_ARRAY && old->elements == 0)
        return 0;
    if (old->type != REDIS_REPLY_ARRAY || old->elements != 2 ||
        old->element[1]->type != REDIS_REPLY_STRING ||
        parse_score(old->element[1]->str, old->element[1]->len, &at)) {
        snprintf(errstr, errstr_size,
                 "task %d: timers '%s' hold an entry that is not a customer "
                 "with a time",
                 task, (const char *)rs->keys.timers.data);
        return -1;
    }
    if (at > meta->timers_last)
        meta->timers_last = at;
    return 0;
}

/* Runs a command; its reply, or NULL with errstr naming task and key. */
static redisReply *run(struct redis_store *rs, int task, int argc,
                       const char **argv, const char *key, char *errstr,
                       size_t errstr_size)
{
    size_t len[8];
    char why[512];
    redisReply *rep;

    for (int i = 0; i < argc; i++)
        len[i] = strlen(argv[i]);
    rep = rs_redis_commandv(rs->redis, argc, argv, len, why, sizeof(why));
    if (!rep)
        snprintf(errstr, errstr_size, "task %d: cannot read '%s': %s", task,
                 key, why);
    return rep;
}

/* After the task is ours: moves the timers of the sorted set written
 * before 2026-12-07 into day hashes (once; had_old says it exists). Days
 * whose timers have all come up are dropped by the flushes (drop_days in
 * store_redis_flush.c), not here. */
static enum rs_store_result tidy_timers(struct redis_store *rs, int task,
                                        const struct rs_task_meta *meta,
                                        int had_old, char *errstr,
                                        size_t errstr_size)
{
    const char *timers = (const char *)rs->keys.timers.data;
    const char *argv[5] = {"ZRANGE", timers, "0", "-1", "WITHSCORES"};
    redisReply *old;
    const char **ids = NULL;
    size_t *lens = NULL, n;
    int64_t *at = NULL;
    enum rs_store_result res = RS_STORE_ERROR;

    if (!had_old)
        return RS_STORE_OK;
    old = run(rs, task, 5, argv, timers, errstr, errstr_size);
    if (!old)
        return RS_STORE_ERROR;
    if (old->type != REDIS_REPLY_ARRAY || old->elements % 2) {
        snprintf(errstr, errstr_size,
                 "task %d: unexpected reply to ZRANGE '%s'", task, timers);
        goto out;
    }
    n = old->elements / 2;
    ids = rs_calloc(n + 1, sizeof(*ids));
    lens = rs_calloc(n + 1, sizeof(*lens));
    at = rs_calloc(n + 1, sizeof(*at));
    for (size_t i = 0; i < n; i++) {
        const redisReply *m = old->element[2 * i];
        const redisReply *sc = old->element[2 * i + 1];

        if (m->type != REDIS_REPLY_STRING || sc->type != REDIS_REPLY_STRING ||
            parse_score(sc->str, sc->len, &at[i]) || at[i] == INT64_MAX ||
            at[i] == INT64_MIN) {
            snprintf(errstr, errstr_size,
                     "task %d: timers '%s' hold an entry that is not a "
                     "customer with a time",
                     task, timers);
            goto out;
        }
        ids[i] = m->str;
        lens[i] = m->len;
    }
    res = rs_sr_timers_tidy(rs, task, meta->epoch, ids, lens, at, n, errstr,
                            errstr_size);
    if (res == RS_STORE_OK)
        rs_log_info("store", "task %d: moved %zu timers from the sorted set "
                    "'%s' into day hashes",
                    task, n, timers);
out:
    freeReplyObject(old);
    free(ids);
    free(lens);
    free(at);
    return res;
}

/* Reads the outbox, whose type (the reply to TYPE) says how it is held:
 * one string, a list (written before 2026-12-07), or nothing. */
static int read_outbox(struct redis_store *rs, const redisReply *type,
                       struct rs_task_meta *meta, char *errstr,
                       size_t errstr_size)
{
    const char *key = (const char *)rs->keys.outbox.data;
    const char *get[] = {"GET", key}, *lrange[] = {"LRANGE", key, "0", "-1"};
    size_t get_len[] = {3, rs->keys.outbox.len},
           lrange_len[] = {6, rs->keys.outbox.len, 1, 2};
    const char *t = type->type == REDIS_REPLY_STATUS ||
                            type->type == REDIS_REPLY_STRING
                        ? type->str
                        : "";
    redisReply *rep;
    char why[512];
    int is_string = strcmp(t, "string") == 0, rc;

    if (strcmp(t, "none") == 0)
        return 0;
    if (!is_string && strcmp(t, "list") != 0) {
        snprintf(errstr, errstr_size,
                 "task %d: outbox '%s' is a %s, not a string", rs->keys.task,
                 key, t[0] ? t : "reply of another kind");
        return -1;
    }
    rep = is_string ? rs_redis_commandv(rs->redis, 2, get, get_len, why,
                                        sizeof(why))
                    : rs_redis_commandv(rs->redis, 4, lrange, lrange_len,
                                        why, sizeof(why));
    if (!rep) {
        snprintf(errstr, errstr_size, "task %d: cannot read outbox '%s': %s",
                 rs->keys.task, key, why);
        return -1;
    }
    if (is_string && rep->type == REDIS_REPLY_STRING)
        rc = parse_outbox_string(rs, rep, meta, errstr, errstr_size);
    else if (is_string && rep->type == REDIS_REPLY_NIL)
        rc = 0; /* gone since TYPE: nothing was pending */
    else if (is_string) {
        snprintf(errstr, errstr_size,
                 "task %d: unexpected reply to GET '%s'", rs->keys.task, key);
        rc = -1;
    } else
        rc = parse_outbox(rs, rep, meta, errstr, errstr_size);
    freeReplyObject(rep);
    return rc;
}

static enum rs_store_result redis_open_task(void *self, int task,
                                            struct rs_task_meta *meta,
                                            char *errstr, size_t errstr_size)
{
    struct redis_store *rs = self;
    const char *incr[] = {"HINCRBY", NULL, "epoch", "1"};
    const char *hmget[2 + 2 * RS_EVENT_KINDS + 1] = {"HMGET", NULL};
    const char *type[] = {"TYPE", NULL};
    /* A bound on the latest stored timer (meta->timers_last): the last
     * day listed, and the sorted set of before if one is left. */
    const char *dlast[] = {"ZRANGE", NULL, "-1", "-1"};
    const char *zlast[] = {"ZRANGE", NULL, "-1", "-1", "WITHSCORES"};
    size_t incr_len[4], hmget_len[2 + 2 * RS_EVENT_KINDS + 1], type_len[2],
        dlast_len[4], zlast_len[5];
    redisReply *rep[5] = {NULL, NULL, NULL, NULL, NULL};
    char why[512] = "";
    enum rs_store_result res = RS_STORE_ERROR;
    int n = 2;

    memset(meta, 0, sizeof(*meta));
    if (rs_sr_check_task(task, "cannot open task", errstr, errstr_size))
        return RS_STORE_ERROR;
    rs_sr_keys(rs, task);
    incr[1] = hmget[1] = (const char *)rs->keys.meta.data;
    type[1] = (const char *)rs->keys.outbox.data;
    dlast[1] = (const char *)rs->keys.tdays.data;
    zlast[1] = (const char *)rs->keys.timers.data;
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        hmget[n++] = rs_sr_offset_fields[k];
    hmget[n++] = "st";
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        hmget[n++] = rs_sr_prev_fields[k];
    for (int i = 0; i < 4; i++)
        incr_len[i] = strlen(incr[i]);
    for (int i = 0; i < 2; i++)
        type_len[i] = strlen(type[i]);
    for (int i = 0; i < n; i++)
        hmget_len[i] = strlen(hmget[i]);
    for (int i = 0; i < 4; i++)
        dlast_len[i] = strlen(dlast[i]);
    for (int i = 0; i < 5; i++)
        zlast_len[i] = strlen(zlast[i]);

    if (rs_redis_connect(rs->redis, why, sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 4, incr, incr_len, why,
                             sizeof(why)) ||
        rs_redis_append_argv(rs->redis, n, hmget, hmget_len, why,
                             sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 2, type, type_len, why,
                             sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 4, dlast, dlast_len, why,
                             sizeof(why)) ||
        rs_redis_append_argv(rs->redis, 5, zlast, zlast_len, why,
                             sizeof(why)))
        goto fail;
    /* Read all five replies whatever happens to one of them. */
    for (int i = 0; i < 5; i++) {
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
        read_outbox(rs, rep[2], meta, errstr, errstr_size) ||
        parse_last_timer(rs, task, rep[3], rep[4], meta, errstr,
                         errstr_size))
        goto out;
    res = tidy_timers(rs, task, meta,
                      rep[4]->type == REDIS_REPLY_ARRAY &&
                          rep[4]->elements > 0,
                      errstr, errstr_size);
    goto out;
fail:
    snprintf(errstr, errstr_size, "task %d: cannot open: %s", task, why);
out:
    for (int i = 0; i < 5; i++) {
        if (rep[i])
            freeReplyObject(rep[i]);
    }
    if (res != RS_STORE_OK)
        rs_store_meta_release(meta);
    return res;
}

/* load */

size_t rs_sr_chunk_field(char *buf, const char *id, uint32_t k)
{
    int n = snprintf(buf, RS_SR_CHUNK_FIELD, "%s:%u", id, (unsigned)k);

    return n < 0 ? 0
                 : (size_t)n < RS_SR_CHUNK_FIELD ? (size_t)n
                                                 : RS_SR_CHUNK_FIELD - 1;
}

/* After the head just loaded into packed: the chunks it names, from the
 * task's chunk hash (one HMGET). 0, or -1 with errstr. */
static int load_chunks(struct redis_store *rs, int task, const char *customer,
                       struct rs_buf *packed, char *errstr,
                       size_t errstr_size)
{
    uint32_t n = rs_packed_chunks(packed->data, packed->len);
    const char *argv[2 + RS_CUSTOMER_CHUNKS_MAX];
    size_t len[2 + RS_CUSTOMER_CHUNKS_MAX];
    char fields[RS_CUSTOMER_CHUNKS_MAX][RS_SR_CHUNK_FIELD];
    const char *key = (const char *)rs->keys.chunks.data;
    redisReply *rep;
    char why[512];
    int rc = 0;

    if (!n)
        return 0;
    argv[0] = "HMGET";
    len[0] = 5;
    argv[1] = key;
    len[1] = rs->keys.chunks.len;
    for (uint32_t k = 0; k < n; k++) {
        len[2 + k] = rs_sr_chunk_field(fields[k], customer, k);
        argv[2 + k] = fields[k];
    }
    rep = rs_redis_commandv(rs->redis, (int)(2 + n), argv, len, why,
                            sizeof(why));
    if (!rep) {
        snprintf(errstr, errstr_size, "task %d: cannot load customer '%s': %s",
                 task, customer, why);
        return -1;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n) {
        snprintf(errstr, errstr_size, "task %d: unexpected reply to HMGET '%s'",
                 task, key);
        rc = -1;
    }
    for (uint32_t k = 0; rc == 0 && k < n; k++) {
        const redisReply *v = rep->element[k];

        if (v->type != REDIS_REPLY_STRING) {
            snprintf(errstr, errstr_size,
                     "task %d: cannot load customer '%s': chunk %u of its %u "
                     "is missing from '%s'",
                     task, customer, (unsigned)k, (unsigned)n, key);
            rc = -1;
        } else if (rs_packed_add_chunk(packed, v->str, v->len)) {
            snprintf(errstr, errstr_size,
                     "task %d: cannot load customer '%s': its state is more "
                     "than the buffer's cap of %zu bytes",
                     task, customer, packed->max);
            rc = -1;
        }
    }
    freeReplyObject(rep);
    return rc;
}

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

    if (rs_sr_check_task(task, "cannot load", errstr, errstr_size))
        return -1;
    rs_sr_keys(rs, task);
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
    if (rc == 1 && load_chunks(rs, task, customer, packed, errstr, errstr_size))
        rc = -1;
    return rc;
}

/* HMGET of the state hash, HSET_BATCH fields per command, all commands in
 * one pipeline: one round trip for the lot. */
static int redis_load_many(void *self, int task, const char *const *ids,
                           size_t n, rs_store_loaded_cb cb, void *opaque,
                           char *errstr, size_t errstr_size)
{
    struct redis_store *rs = self;
    const char **argv = rs->hargv;
    size_t *len = rs->hlen, sent = 0;
    /* Chunked states, loaded after the pipeline: their heads. */
    size_t *later = NULL, nlater = 0, later_cap = 0;
    struct rs_buf heads;
    char why[512];
    int rc = 0;

    if (rs_sr_check_task(task, "cannot load", errstr, errstr_size))
        return -1;
    if (rs_redis_connect(rs->redis, why, sizeof(why))) {
        snprintf(errstr, errstr_size, "task %d: cannot load %zu customers: %s",
                 task, n, why);
        return -1;
    }
    rs_sr_keys(rs, task);
    argv[0] = "HMGET";
    len[0] = 5;
    argv[1] = (const char *)rs->keys.state.data;
    len[1] = rs->keys.state.len;
    for (size_t from = 0; from < n; from += HSET_BATCH, sent++) {
        size_t m = n - from < HSET_BATCH ? n - from : HSET_BATCH;

        for (size_t i = 0; i < m; i++) {
            argv[2 + i] = ids[from + i];
            len[2 + i] = strlen(ids[from + i]);
        }
        if (rs_redis_append_argv(rs->redis, (int)(2 + m), argv, len, why,
                                 sizeof(why))) {
            snprintf(errstr, errstr_size,
                     "task %d: cannot load %zu customers: %s", task, n, why);
            return -1;
        }
    }
    rs_buf_init(&heads, 0);
    for (size_t c = 0, from = 0; c < sent; c++, from += HSET_BATCH) {
        redisReply *rep = rs_redis_get_reply(rs->redis, why, sizeof(why));

        if (!rep) {
            if (rc == 0)
                snprintf(errstr, errstr_size,
                         "task %d: cannot load %zu customers: %s", task, n,
                         why);
            rc = -1;
            if (!rs_redis_connected(rs->redis))
                break; /* dropped with every queued reply */
            continue; /* an error reply: read the rest */
        }
        if (rc == 0 && (rep->type != REDIS_REPLY_ARRAY ||
                        rep->elements != (n - from < HSET_BATCH
                                              ? n - from
                                              : HSET_BATCH))) {
            snprintf(errstr, errstr_size,
                     "task %d: unexpected reply to HMGET '%s'", task,
                     (const char *)rs->keys.state.data);
            rc = -1;
        }
        for (size_t i = 0; rc == 0 && i < rep->elements; i++) {
            const redisReply *v = rep->element[i];

            if (v->type == REDIS_REPLY_STRING &&
                rs_packed_chunks(v->str, v->len)) {
                rs_grow((void **)&later, &later_cap, 2 * (nlater + 1),
                        sizeof(*later));
                later[2 * nlater] = from + i;
                later[2 * nlater + 1] = heads.len;
                nlater++;
                rs_buf_append(&heads, v->str, v->len);
            } else if (v->type == REDIS_REPLY_STRING) {
                cb(opaque, from + i, v->str, v->len);
            } else if (v->type != REDIS_REPLY_NIL) {
                snprintf(errstr, errstr_size,
                         "task %d: cannot load customer '%s': HMGET of '%s' "
                         "answered neither a string nor nil",
                         task, ids[from + i],
                         (const char *)rs->keys.state.data);
                rc = -1;
            }
        }
        freeReplyObject(rep);
    }
    for (size_t j = 0; rc == 0 && j < nlater; j++) {
        size_t i = later[2 * j], at = later[2 * j + 1];
        size_t end = j + 1 < nlater ? later[2 * j + 3] : heads.len;

        rs_buf_reset(&rs->whole);
        rs_buf_append(&rs->whole, heads.data + at, end - at);
        if (load_chunks(rs, task, ids[i], &rs->whole, errstr, errstr_size))
            rc = -1;
        else
            cb(opaque, i, rs->whole.data, rs->whole.len);
    }
    free(later);
    rs_buf_release(&heads);
    return rc;
}

/* timers */

struct found {
    int64_t at;
    const char *id;
    size_t len;
};

/* Time order, ties by id bytes (as the sorted set of before ordered
 * them). */
static int cmp_found(const void *x, const void *y)
{
    const struct found *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int r;

    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    r = memcmp(a->id, b->id, n);
    return r ? r : (a->len > b->len) - (a->len < b->len);
}

/* Days read per round trip. */
#define DAYS_AT_ONCE 8

/* Appends to *f the entries of one day's HGETALL reply with from < at <=
 * to. 0, or -1 with errstr. */
static int day_entries(struct redis_store *rs, int task, int64_t day,
                       const redisReply *rep, int64_t from, int64_t to,
                       struct found **f, size_t *n, size_t *cap,
                       char *errstr, size_t errstr_size)
{
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2) {
        snprintf(errstr, errstr_size,
                 "task %d: unexpected reply to HGETALL '%s'", task,
                 rs_sr_day_key(rs, day, NULL));
        return -1;
    }
    for (size_t i = 0; i < rep->elements; i += 2) {
        const redisReply *id = rep->element[i], *v = rep->element[i + 1];
        int64_t ms, at;

        if (id->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
            rs_format_parse_i64(v->str, v->len, &ms) || ms < 0 ||
            ms >= RS_SR_DAY_MS) {
            snprintf(errstr, errstr_size,
                     "task %d: timers '%s' hold an entry that is not a "
                     "customer with the milliseconds into the day",
                     task, rs_sr_day_key(rs, day, NULL));
            return -1;
        }
        at = day * RS_SR_DAY_MS + ms;
        if (at <= from || at > to)
            continue;
        rs_grow((void **)f, cap, *n + 1, sizeof(**f));
        (*f)[(*n)++] = (struct found){at, id->str, id->len};
    }
    return 0;
}

/* The timers with from < at <= to, the first max in time order: the days
 * listed in tdays that the range touches, read a few at a time, until the
 * days read hold max (a later day cannot hold an earlier timer). */
static long redis_timers(void *self, int task, int64_t from, int64_t to,
                         long max, rs_store_timer_cb cb, void *opaque,
                         char *errstr, size_t errstr_size)
{
    struct redis_store *rs = self;
    char lo[32], hi[32], why[512] = "";
    const char *argv[4] = {"ZRANGEBYSCORE", NULL, lo, hi};
    size_t len[4];
    redisReply *days, **reps = NULL;
    struct found *f = NULL;
    size_t n = 0, cap = 0, read = 0;
    long rc = -1;

    if (rs_sr_check_task(task, "cannot read timers", errstr, errstr_size))
        return -1;
    if (max <= 0 || from >= to)
        return 0;
    rs_sr_keys(rs, task);
    snprintf(lo, sizeof(lo), "%" PRId64, rs_sr_day_of(from + 1));
    snprintf(hi, sizeof(hi), "%" PRId64, rs_sr_day_of(to));
    if (from == INT64_MIN)
        snprintf(lo, sizeof(lo), "-inf");
    if (to == INT64_MAX)
        snprintf(hi, sizeof(hi), "+inf");
    argv[1] = (const char *)rs->keys.tdays.data;
    for (int i = 0; i < 4; i++)
        len[i] = strlen(argv[i]);
    days = rs_redis_commandv(rs->redis, 4, argv, len, why, sizeof(why));
    if (!days) {
        snprintf(errstr, errstr_size, "task %d: cannot read timers: %s", task,
                 why);
        return -1;
    }
    if (days->type != REDIS_REPLY_ARRAY) {
        snprintf(errstr, errstr_size,
                 "task %d: unexpected reply to ZRANGEBYSCORE '%s'", task,
                 (const char *)rs->keys.tdays.data);
        goto out;
    }
    reps = rs_calloc(days->elements + 1, sizeof(*reps));
    while (read < days->elements && n < (size_t)max) {
        size_t k = days->elements - read < DAYS_AT_ONCE
                       ? days->elements - read
                       : DAYS_AT_ONCE;
        int64_t day[DAYS_AT_ONCE];

        for (size_t i = 0; i < k; i++) {
            const char *get[2] = {"HGETALL", NULL};
            size_t get_len[2] = {7, 0};

            if (rs_sr_parse_day(days->element[read + i], &day[i])) {
                snprintf(errstr, errstr_size,
                         "task %d: days '%s' hold a member that is not a "
                         "day number",
                         task, (const char *)rs->keys.tdays.data);
                goto out;
            }
            get[1] = rs_sr_day_key(rs, day[i], &get_len[1]);
            if (rs_redis_append_argv(rs->redis, 2, get, get_len, why,
                                     sizeof(why))) {
                snprintf(errstr, errstr_size,
                         "task %d: cannot read timers: %s", task, why);
                goto out;
            }
        }
        /* Every reply is read, so the connection stays in step. */
        for (size_t i = 0; i < k; i++) {
            char err[512];

            reps[read + i] = rs_redis_get_reply(rs->redis, err, sizeof(err));
            if (!reps[read + i] && !why[0])
                snprintf(why, sizeof(why), "%s", err);
        }
        if (why[0]) {
            snprintf(errstr, errstr_size, "task %d: cannot read timers: %s",
                     task, why);
            goto out;
        }
        for (size_t i = 0; i < k; i++)
            if (day_entries(rs, task, day[i], reps[read + i], from, to, &f,
                            &n, &cap, errstr, errstr_size))
                goto out;
        read += k;
    }
    if (n > 1)
        qsort(f, n, sizeof(*f), cmp_found);
    if (n > (size_t)max)
        n = (size_t)max;
    for (size_t i = 0; i < n; i++)
        cb(opaque, f[i].id, f[i].len, f[i].at);
    rc = (long)n;
out:
    for (size_t i = 0; reps && i < days->elements; i++)
        if (reps[i])
            freeReplyObject(reps[i]);
    free(reps);
    free(f);
    freeReplyObject(days);
    return rc;
}

/* The store object. */

/* The flush's buffers and lists, sized by the largest flush so far. */
static void redis_trim(void *self)
{
    struct redis_store *rs = self;

    rs_buf_release(&rs->whole); /* empty, as made */
    rs_buf_release(&rs->sums);
    rs_buf_release(&rs->encoded);
    rs_buf_release(&rs->packed);
    free(rs->last);
    free(rs->held);
    free(rs->ops);
    free(rs->slots);
    rs->last = NULL;
    rs->held = NULL;
    rs->ops = NULL;
    rs->slots = NULL;
    rs->last_cap = rs->held_cap = rs->ops_cap = rs->slot_cap = 0;
}

static void redis_destroy(void *self)
{
    struct redis_store *rs = self;

    rs_redis_destroy(rs->redis);
    free(rs->prefix);
    rs_buf_release(&rs->keys.meta);
    rs_buf_release(&rs->keys.timers);
    rs_buf_release(&rs->keys.tdays);
    rs_buf_release(&rs->keys.day);
    rs_buf_release(&rs->keys.outbox);
    rs_buf_release(&rs->keys.state);
    rs_buf_release(&rs->keys.chunks);
    rs_buf_release(&rs->keys.summary);
    redis_trim(rs);
    free(rs);
}

static const struct rs_store_ops redis_ops = {
    .name = "redis",
    .open_task = redis_open_task,
    .load = redis_load,
    .load_many = redis_load_many,
    .timers = redis_timers,
    .flush = rs_sr_flush,
    .destroy = redis_destroy,
    .trim = redis_trim,
    .timer_span = RS_SR_DAY_MS,
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
    rs->summary = conf->redis_summary != 0;
    rs->keys.task = -1;
    rs_buf_init(&rs->keys.meta, 0);
    rs_buf_init(&rs->keys.timers, 0);
    rs_buf_init(&rs->keys.tdays, 0);
    rs_buf_init(&rs->keys.day, 0);
    rs_buf_init(&rs->keys.outbox, 0);
    rs_buf_init(&rs->keys.state, 0);
    rs_buf_init(&rs->keys.chunks, 0);
    rs_buf_init(&rs->whole, 0);
    rs_buf_init(&rs->keys.summary, 0);
    rs_buf_init(&rs->sums, 0);
    rs_buf_init(&rs->encoded, 0);
    rs_buf_init(&rs->packed, 0);
    s = rs_calloc(1, sizeof(*s));
    s->ops = &redis_ops;
    s->self = rs;
    s->summaries = rs->summary;
    return s;
}
