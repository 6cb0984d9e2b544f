/* The Redis store against the real local Redis: the shared store behaviour
 * checks (store_checks.c), then what only Redis shows: the key layout and
 * the summary a user reads with HGET, fencing by a second
 * instance (also in the window between WATCH and EXEC), corrupt data named
 * in errors, a large flush, reconnecting after the server dropped us.
 *
 * Every test works under a fresh redis.prefix and deletes its keys. */
#include "support.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "riskstream/mem.h"
#include "riskstream/outbox.h"
#include "riskstream/store.h"
#include "store_checks.h"

static char prefix[128];

/* Raw hiredis access for inspecting and tampering. */

static redisContext *raw_connect(void)
{
    struct timeval tv = {20, 0};
    redisContext *c = redisConnectWithTimeout(rs_test_redis_host(),
                                              rs_test_redis_port(), tv);

    if (!c || c->err)
        fail_msg("cannot connect to Redis at %s:%d", rs_test_redis_host(),
                 rs_test_redis_port());
    redisSetTimeout(c, tv);
    return c;
}

static redisReply *raw(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        fail_msg("redis: %s", c->errstr);
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("redis: %s", r->str);
    return r;
}

static long long raw_integer(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;
    long long v;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r || r->type != REDIS_REPLY_INTEGER)
        fail_msg("redis: expected an integer reply");
    v = r->integer;
    freeReplyObject(r);
    return v;
}

/* The value of one field in an HGETALL reply, or NULL. */
static const redisReply *field(const redisReply *h, const char *name)
{
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        if (strcmp(h->element[i]->str, name) == 0)
            return h->element[i + 1];
    }
    return NULL;
}

static void assert_field(const redisReply *h, const char *name,
                         const char *want)
{
    const redisReply *v = field(h, name);

    if (!v)
        fail_msg("field '%s' missing", name);
    assert_string_equal(v->str, want);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every key under the test's prefix with its DUMP, in key order; what a
 * flush that "changed nothing" must leave identical. */
static char *snapshot(redisContext *c, size_t *len)
{
    char **keys = NULL, cursor[32] = "0", pattern[160];
    size_t n = 0, cap = 0;
    struct rs_buf b;

    snprintf(pattern, sizeof(pattern), "%s:*", prefix);
    do {
        redisReply *r = raw(c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);

        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            rs_grow((void **)&keys, &cap, n + 1, sizeof(*keys));
            keys[n++] = rs_strndup(r->element[1]->element[i]->str,
                                   r->element[1]->element[i]->len);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    qsort(keys, n, sizeof(*keys), cmp_str);
    rs_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        redisReply *r = raw(c, "DUMP %s", keys[i]);

        rs_buf_printf(&b, "%s=%zu:", keys[i], r->len);
        rs_buf_append(&b, r->str, r->len);
        freeReplyObject(r);
        free(keys[i]);
    }
    free(keys);
    *len = b.len;
    return (char *)b.data;
}

static void assert_same_snapshot(const char *a, size_t alen, const char *b,
                                 size_t blen)
{
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
}

/* Stores. */

static struct rs_config *store_config(const char *key_prefix)
{
    struct rs_config *c = rs_config_new();
    char errstr[256], port[16];

    snprintf(port, sizeof(port), "%d", rs_test_redis_port());
    if (rs_config_set(c, "redis.host", rs_test_redis_host(), errstr,
                      sizeof(errstr)) ||
        rs_config_set(c, "redis.port", port, errstr, sizeof(errstr)) ||
        rs_config_set(c, "redis.prefix", key_prefix, errstr, sizeof(errstr)) ||
        /* Off by default; these tests check what it writes. */
        rs_config_set(c, "redis.summary", "1", errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    return c;
}

static struct rs_store *open_store(void)
{
    struct rs_config *c = store_config(prefix);
    char errstr[512] = "";
    struct rs_store *s = rs_store_redis_new(c, errstr, sizeof(errstr));

    if (!s)
        fail_msg("rs_store_redis_new: %s", errstr);
    rs_config_destroy(c);
    return s;
}

/* A fresh prefix, then a store over it. */
static struct rs_store *make_redis(void)
{
    rs_test_require_redis();
    rs_test_unique("rs-it-store", prefix, sizeof(prefix));
    return open_store();
}

static void delete_prefix(void)
{
    redisContext *c = raw_connect();
    char cursor[32] = "0", pattern[160];

    snprintf(pattern, sizeof(pattern), "%s:*", prefix);
    do {
        redisReply *r = raw(c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);

        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++)
            freeReplyObject(raw(c, "UNLINK %b", r->element[1]->element[i]->str,
                                r->element[1]->element[i]->len));
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    redisFree(c);
}

static const struct rs_store_backend redis_backend = {
    .name = "redis",
    .make = make_redis,
    .finish = delete_prefix,
};

static int redis_setup(void **state)
{
    *state = make_redis();
    return 0;
}

static int redis_teardown(void **state)
{
    rs_store_destroy(*state);
    delete_prefix();
    return 0;
}

static uint64_t open_epoch(struct rs_store *s, int task)
{
    struct rs_task_meta m;
    uint64_t e;

    rs_check_open(s, task, &m);
    e = m.epoch;
    rs_store_meta_release(&m);
    return e;
}

/* What a user sees. */

static void test_store_redis_customer_hash_shows_summary(void **state)
{
    struct rs_store *s = *state;
    struct rs_check_flush cf;
    redisContext *c = raw_connect();
    redisReply *h;
    char errstr[512] = "";
    static const struct {
        const char *id;
        int level;
        int64_t last;
        double days;
        const char *level_text, *last_text, *days_text;
    } rows[] = {
        {"cust-1", 2, 1767225600123, 12.34, "HIGH",
         "2026-01-01T00:00:00.123Z", "12.3"},
        {"cust-2", 0, 0, 0, "LOW", "1970-01-01T00:00:00.000Z", "0.0"},
        {"cust-3", 3, -1, 400, "CRITICAL", "1969-12-31T23:59:59.999Z",
         "400.0"},
        {"cust-4", 1, 951782400000, 1.05, "MEDIUM", /* a leap day */
         "2000-02-29T00:00:00.000Z", "1.1"},
        /* Rounded as printf's "%.1f": an exact tie to even (0.25), and a
         * value just below a tie whose product with 10 is one (0.35). */
        {"cust-5", 0, 0, 0.25, "LOW", "1970-01-01T00:00:00.000Z", "0.2"},
        {"cust-6", 0, 0, 0.35, "LOW", "1970-01-01T00:00:00.000Z", "0.3"},
    };

    rs_check_flush_init(&cf, open_epoch(s, 5));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct rs_summary *sm;

        rs_check_flush_customer(&cf, rows[i].id, "\x01\x00\x02", 3, 86400000);
        sm = &cf.customers[i].summary;
        sm->level = rows[i].level;
        sm->score = 73;
        sm->open_amount = 125000;
        sm->overdue_amount = -50;
        sm->days_beyond_terms = rows[i].days;
        sm->last_event_time = rows[i].last;
    }
    rs_check_flush_record(&cf, RS_OUTBOX_ALERTS, "cust-1", "alert");
    assert_int_equal(rs_store_flush(s, 5, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_OK);

    /* One field per customer in the task's state and summary hashes. */
    assert_int_equal(raw_integer(c, "HLEN %s:{t5}:s", prefix), 6);
    assert_int_equal(raw_integer(c, "HLEN %s:{t5}:sum", prefix), 6);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char want[512];

        h = raw(c, "HGET %s:{t5}:s %s", prefix, rows[i].id);
        assert_int_equal(h->type, REDIS_REPLY_STRING);
        assert_int_equal(h->len, 3);
        assert_memory_equal(h->str, "\x01\x00\x02", 3);
        freeReplyObject(h);
        h = raw(c, "HGET %s:{t5}:sum %s", prefix, rows[i].id);
        snprintf(want, sizeof(want),
                 "{\"level\":\"%s\",\"score\":73,\"open_amount\":125000,"
                 "\"overdue_amount\":-50,\"days_beyond_terms\":%s,"
                 "\"last_event_time\":\"%s\"}",
                 rows[i].level_text, rows[i].days_text, rows[i].last_text);
        assert_int_equal(h->type, REDIS_REPLY_STRING);
        assert_string_equal(h->str, want);
        freeReplyObject(h);
    }

    /* The rest of the layout from store.h. */
    h = raw(c, "HGETALL %s:{t5}:meta", prefix);
    assert_field(h, "epoch", "1");
    assert_field(h, "o0", "10");
    assert_field(h, "o3", "40");
    assert_field(h, "st", "1000");
    assert_null(field(h, "p0"));
    freeReplyObject(h);
    /* Timers by day: day 1 (86400000 ms) lists them, at 0 ms into it. */
    h = raw(c, "ZRANGE %s:{t5}:tdays 0 -1 WITHSCORES", prefix);
    assert_int_equal(h->elements, 2);
    assert_string_equal(h->element[0]->str, "1");
    assert_string_equal(h->element[1]->str, "1");
    freeReplyObject(h);
    h = raw(c, "HGETALL %s:{t5}:td:1", prefix);
    assert_int_equal(h->elements, 12);
    assert_field(h, "cust-1", "0");
    freeReplyObject(h);
    assert_int_equal(raw_integer(c, "EXISTS %s:{t5}:timers", prefix), 0);
    /* The outbox: its one entry, as one string. */
    h = raw(c, "TYPE %s:{t5}:outbox", prefix);
    assert_string_equal(h->str, "string");
    freeReplyObject(h);
    h = raw(c, "GET %s:{t5}:outbox", prefix);
    assert_int_equal(h->type, REDIS_REPLY_STRING);
    assert_int_equal(rs_outbox_entry_size((const uint8_t *)h->str, h->len),
                     h->len);
    freeReplyObject(h);
    redisFree(c);
}

/* redis.summary = 0: the packed states and the rest as always, no
 * summary hash. */
static void test_store_redis_summary_off(void **state)
{
    struct rs_config *conf = store_config(prefix);
    struct rs_store *s;
    struct rs_check_flush cf;
    redisContext *c = raw_connect();
    redisReply *h;
    char errstr[512] = "";

    (void)state;
    if (rs_config_set(conf, "redis.summary", "0", errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    s = rs_store_redis_new(conf, errstr, sizeof(errstr));
    if (!s)
        fail_msg("rs_store_redis_new: %s", errstr);
    rs_config_destroy(conf);
    rs_check_flush_init(&cf, open_epoch(s, 2));
    rs_check_flush_customer(&cf, "cust-a", "\x01\x00\x02", 3, 86400000);
    rs_check_flush_customer(&cf, "cust-b", "\x01\x00\x03", 3, 86400000);
    assert_int_equal(rs_store_flush(s, 2, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_OK);
    assert_int_equal(raw_integer(c, "HLEN %s:{t2}:s", prefix), 2);
    assert_int_equal(raw_integer(c, "EXISTS %s:{t2}:sum", prefix), 0);
    assert_int_equal(raw_integer(c, "HLEN %s:{t2}:td:1", prefix), 2);
    h = raw(c, "HGET %s:{t2}:s cust-b", prefix);
    assert_int_equal(h->len, 3);
    assert_memory_equal(h->str, "\x01\x00\x03", 3);
    freeReplyObject(h);
    rs_store_destroy(s);
    redisFree(c);
}

/* Fencing by a second instance. */

/* Instance B opens the task after A: A's flush is refused and Redis is
 * byte for byte as before. */
static void test_store_redis_fenced_by_second_instance(void **state)
{
    struct rs_store *a = *state, *b = open_store();
    redisContext *c = raw_connect();
    struct rs_check_flush cf;
    char errstr[512] = "", *before, *after;
    size_t before_len, after_len;
    uint64_t ea, eb;

    ea = open_epoch(a, 0);
    rs_check_flush_init(&cf, ea);
    rs_check_flush_customer(&cf, "kept", "K", 1, 10);
    rs_check_flush_record(&cf, RS_OUTBOX_ALERTS, "kept", "one");
    assert_int_equal(rs_store_flush(a, 0, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_OK);
    eb = open_epoch(b, 0);
    assert_int_equal(eb, ea + 1);
    before = snapshot(c, &before_len);

    rs_check_flush_init(&cf, ea);
    rs_check_flush_customer(&cf, "kept", "CHANGED", 7, RS_NO_TIMER);
    rs_check_flush_customer(&cf, "new", "N", 1, 20);
    rs_check_flush_record(&cf, RS_OUTBOX_DEADLETTER, NULL, "zombie");
    cf.f.has_prev = 1;
    assert_int_equal(rs_store_flush(a, 0, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_FENCED);
    assert_string_equal(errstr, "task 0 is fenced: epoch 2 in redis, ours 1");
    after = snapshot(c, &after_len);
    assert_same_snapshot(before, before_len, after, after_len);

    /* B, the owner, can write. */
    cf.f.epoch = eb;
    assert_int_equal(rs_store_flush(b, 0, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_OK);
    rs_check_load(a, 0, "kept", "CHANGED", 7);
    free(before);
    free(after);
    rs_store_destroy(b);
    redisFree(c);
}

/* A fenced flush must not leave its WATCH on the shared connection: if it
 * did, the next flush of another task would fail as soon as the fenced
 * task's meta changed. */
static void test_store_redis_fenced_flush_leaves_no_watch(void **state)
{
    struct rs_store *a = *state, *b = open_store();
    struct rs_check_flush cf;
    char errstr[512] = "";
    uint64_t a1 = open_epoch(a, 1), a2 = open_epoch(a, 2), b1;

    b1 = open_epoch(b, 1);
    rs_check_flush_init(&cf, a1);
    assert_int_equal(rs_store_flush(a, 1, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_FENCED);
    cf.f.epoch = b1;
    assert_int_equal(rs_store_flush(b, 1, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_OK); /* changes task 1's meta */
    cf.f.epoch = a2;
    rs_check_flush_customer(&cf, "c", "C", 1, RS_NO_TIMER);
    if (rs_store_flush(a, 2, &cf.f, errstr, sizeof(errstr)) != RS_STORE_OK)
        fail_msg("flush of task 2 failed: %s", errstr);
    rs_check_load(a, 2, "c", "C", 1);
    rs_store_destroy(b);
}

/* The instance that bumps the epoch while A's flush is between WATCH and
 * EXEC: a thread reads MONITOR and, when A's connection sends MULTI (after
 * it WATCHed the task's meta and read its own epoch), bumps the epoch from
 * another connection. EXEC then returns nil. */
struct race {
    redisContext *monitor;
    redisContext *bumper;
    const char *meta_key;
    int bumped;
    char error[256];
};

static void *race_run(void *arg)
{
    struct race *r = arg;
    char watch[256], addr[64] = "";

    snprintf(watch, sizeof(watch), "\"WATCH\" \"%s\"", r->meta_key);
    for (;;) {
        void *reply = NULL;
        redisReply *rep;
        const char *line, *open, *close;

        if (redisGetReply(r->monitor, &reply) != REDIS_OK) {
            snprintf(r->error, sizeof(r->error), "MONITOR: %s",
                     r->monitor->errstr);
            return NULL;
        }
        rep = reply;
        line = rep->type == REDIS_REPLY_STATUS ? rep->str : "";
        open = strchr(line, '[');
        close = open ? strchr(open, ']') : NULL;
        if (open && close && !addr[0] && strstr(line, watch)) {
            /* "[0 127.0.0.1:5555]": A's connection. */
            snprintf(addr, sizeof(addr), "%.*s", (int)(close - open), open);
        } else if (addr[0] && open && close &&
                   strncmp(open, addr, strlen(addr)) == 0 &&
                   strstr(close, "\"MULTI\"")) {
            redisReply *b = redisCommand(r->bumper, "HINCRBY %s epoch 1",
                                         r->meta_key);

            r->bumped = b && b->type == REDIS_REPLY_INTEGER;
            if (b)
                freeReplyObject(b);
            freeReplyObject(rep);
            return NULL;
        }
        freeReplyObject(rep);
    }
}

static void test_store_redis_fenced_between_watch_and_exec(void **state)
{
    enum { N = 50000 };
    struct rs_store *a = *state;
    struct rs_flush_customer *cust = rs_calloc(N, sizeof(*cust));
    char (*ids)[16] = rs_calloc(N, sizeof(*ids));
    struct race race;
    struct rs_flush f;
    pthread_t thread;
    redisReply *h;
    char meta_key[192], errstr[512] = "";
    enum rs_store_result res;
    uint64_t ea = open_epoch(a, 0);

    snprintf(meta_key, sizeof(meta_key), "%s:{t0}:meta", prefix);
    memset(&race, 0, sizeof(race));
    race.meta_key = meta_key;
    race.monitor = raw_connect();
    race.bumper = raw_connect();
    freeReplyObject(raw(race.monitor, "MONITOR"));
    assert_int_equal(pthread_create(&thread, NULL, race_run, &race), 0);

    memset(&f, 0, sizeof(f));
    f.epoch = ea;
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "c%d", i);
        cust[i].id = ids[i];
        cust[i].packed = (const uint8_t *)ids[i];
        cust[i].packed_len = strlen(ids[i]);
        cust[i].next_timer = i;
    }
    f.customers = cust;
    f.customer_count = N;
    res = rs_store_flush(a, 0, &f, errstr, sizeof(errstr));
    pthread_join(thread, NULL);
    if (race.error[0])
        fail_msg("%s", race.error);
    assert_true(race.bumped);
    if (res != RS_STORE_FENCED)
        fail_msg("expected a fenced flush, got %d: %s", (int)res, errstr);
    assert_non_null(strstr(errstr, "task 0 is fenced: its epoch in redis "
                                   "changed during the flush"));

    /* Nothing but the bumped epoch. */
    h = raw(race.bumper, "HGETALL %s", meta_key);
    assert_int_equal(h->elements, 2);
    assert_field(h, "epoch", "2");
    freeReplyObject(h);
    assert_int_equal(raw_integer(race.bumper, "EXISTS %s:{t0}:tdays",
                                 prefix),
                     0);
    assert_int_equal(raw_integer(race.bumper, "EXISTS %s:{t0}:s", prefix),
                     0);
    assert_int_equal(raw_integer(race.bumper, "EXISTS %s:{t0}:sum", prefix),
                     0);
    redisFree(race.monitor);
    redisFree(race.bumper);
    free(cust);
    free(ids);
}

/* Corrupt data is an error naming the key, never guessed at. */

static void test_store_redis_corrupt_outbox_is_an_error(void **state)
{
    struct rs_store *s = *state;
    redisContext *c = raw_connect();
    struct rs_task_meta m;
    char errstr[512] = "", want[256];
    static const struct {
        const char *bytes;
        size_t len;
        const char *why;
    } bad[] = {
        {"\x01\x00", 2, "shorter than its header"},
        {"\x02\x00\xff\xff\xff\xff\x00\x00\x00\x00", 10, "unknown format"},
        {"\x01\x07\xff\xff\xff\xff\x00\x00\x00\x00", 10, "unknown topic"},
        {"\x01\x00\x00\x00\x00\x09" "ab", 8, "key runs past the end"},
        {"\x01\x00\x00\x00\x00\x01k\x00\x00", 9, "value length missing"},
        {"\x01\x00\xff\xff\xff\xff\x00\x00\x00\x05" "abc", 13,
         "value length does not match"},
        {"\x01\x00\xff\xff\xff\xff\x00\x00\x00\x01" "ab", 12,
         "value length does not match"},
    };

    snprintf(want, sizeof(want), "outbox '%s:{t0}:outbox' is corrupt: entry 1",
             prefix);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        freeReplyObject(raw(c, "DEL %s:{t0}:outbox", prefix));
        /* A good entry first, then the bad one. */
        freeReplyObject(raw(c, "RPUSH %s:{t0}:outbox %b %b", prefix,
                            "\x01\x01\xff\xff\xff\xff\x00\x00\x00\x00",
                            (size_t)10, bad[i].bytes, bad[i].len));
        assert_int_equal(rs_store_open_task(s, 0, &m, errstr, sizeof(errstr)),
                         RS_STORE_ERROR);
        assert_null(m.outbox);
        if (!strstr(errstr, want) || !strstr(errstr, bad[i].why))
            fail_msg("case %zu: '%s'", i, errstr);
    }
    /* The same entries back to back in one string, as a flush writes
     * them: the bad one is found by its place. The last case's value
     * length is shorter than its bytes, so its leftover byte reads as a
     * third entry, too short for a header. */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int last = i + 1 == sizeof(bad) / sizeof(bad[0]);
        char blob[64];

        memcpy(blob, "\x01\x01\xff\xff\xff\xff\x00\x00\x00\x00", 10);
        memcpy(blob + 10, bad[i].bytes, bad[i].len);
        freeReplyObject(raw(c, "SET %s:{t0}:outbox %b", prefix, blob,
                            (size_t)10 + bad[i].len));
        assert_int_equal(rs_store_open_task(s, 0, &m, errstr, sizeof(errstr)),
                         RS_STORE_ERROR);
        assert_null(m.outbox);
        snprintf(want, sizeof(want), "outbox '%s:{t0}:outbox' is corrupt: "
                 "entry %d", prefix, last ? 2 : 1);
        if (!strstr(errstr, want) ||
            !strstr(errstr, last ? "shorter than its header" : bad[i].why))
            fail_msg("string, case %zu: '%s'", i, errstr);
    }
    /* A key of another type is named, not read. */
    freeReplyObject(raw(c, "DEL %s:{t0}:outbox", prefix));
    freeReplyObject(raw(c, "SADD %s:{t0}:outbox x", prefix));
    assert_int_equal(rs_store_open_task(s, 0, &m, errstr, sizeof(errstr)),
                     RS_STORE_ERROR);
    if (!strstr(errstr, "is a set, not a string"))
        fail_msg("'%s'", errstr);
    /* The good entry alone decodes: dead letter, no key, empty value. */
    freeReplyObject(raw(c, "DEL %s:{t0}:outbox", prefix));
    freeReplyObject(raw(c, "RPUSH %s:{t0}:outbox %b", prefix,
                        "\x01\x01\xff\xff\xff\xff\x00\x00\x00\x00",
                        (size_t)10));
    rs_check_open(s, 0, &m);
    assert_int_equal(m.outbox_count, 1);
    assert_int_equal(m.outbox[0].topic, RS_OUTBOX_DEADLETTER);
    assert_null(m.outbox[0].key);
    assert_int_equal(m.outbox[0].value_len, 0);
    rs_store_meta_release(&m);
    /* Two good entries in one string (an alert with its key, then the
     * dead letter): both, in order. */
    freeReplyObject(raw(c, "SET %s:{t0}:outbox %b", prefix,
                        "\x01\x00\x00\x00\x00\x01k\x00\x00\x00\x02vv"
                        "\x01\x01\xff\xff\xff\xff\x00\x00\x00\x00",
                        (size_t)23));
    rs_check_open(s, 0, &m);
    assert_int_equal(m.outbox_count, 2);
    assert_int_equal(m.outbox[0].topic, RS_OUTBOX_ALERTS);
    assert_int_equal(m.outbox[0].key_len, 1);
    assert_memory_equal(m.outbox[0].key, "k", 1);
    assert_int_equal(m.outbox[0].value_len, 2);
    assert_memory_equal(m.outbox[0].value, "vv", 2);
    assert_int_equal(m.outbox[1].topic, RS_OUTBOX_DEADLETTER);
    rs_store_meta_release(&m);
    redisFree(c);
}

/* A flush's outbox of alerts, which repeat their words, is stored packed
 * (LZ4) and reads back entry for entry; a packed string that does not
 * decompress is refused with the reason. */
static void test_store_redis_outbox_packed(void **state)
{
    struct rs_store *s = *state;
    struct rs_check_flush cf;
    struct rs_task_meta m;
    redisContext *c = raw_connect();
    redisReply *h;
    char values[8][400], errstr[512] = "", *bytes;
    size_t plain = 0;

    rs_check_flush_init(&cf, open_epoch(s, 6));
    for (int i = 0; i < 8; i++) {
        snprintf(values[i], sizeof(values[i]),
                 "{\"customer\":\"cust-%d\",\"level\":\"HIGH\",\"reasons\":"
                 "[\"payments are getting later: %d.5 days beyond terms on "
                 "average over the last 90 days, against 3.0 days before; "
                 "flagged from 13.0 days, strong from 33.0\",\"4 invoices "
                 "past due, the oldest 41 days\"],\"actions\":"
                 "[\"FOLLOW_UP_EARLIER\",\"SHORTER_TERMS\"]}",
                 i, 20 + i);
        rs_check_flush_record(&cf, i == 7 ? RS_OUTBOX_DEADLETTER
                                          : RS_OUTBOX_ALERTS,
                              i == 7 ? NULL : "cust", values[i]);
        plain += 10 + strlen(values[i]) + (i == 7 ? 0 : 4);
    }
    cf.f.stream_time = 1700000000000;
    assert_int_equal(rs_store_flush(s, 6, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_OK);

    h = raw(c, "GET %s:{t6}:outbox", prefix);
    assert_int_equal(h->type, REDIS_REPLY_STRING);
    assert_int_equal((uint8_t)h->str[0], 0x81); /* packed */
    assert_true(h->len < plain / 2);
    bytes = rs_malloc(h->len);
    memcpy(bytes, h->str, h->len);
    freeReplyObject(h);

    rs_check_open(s, 6, &m);
    assert_int_equal(m.outbox_count, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(m.outbox[i].value_len, strlen(values[i]));
        assert_memory_equal(m.outbox[i].value, values[i], strlen(values[i]));
    }
    assert_int_equal(m.outbox[7].topic, RS_OUTBOX_DEADLETTER);
    assert_memory_equal(m.outbox[0].key, "cust", 4);
    rs_store_meta_release(&m);

    /* Cut short: the block no longer decompresses to its length. */
    freeReplyObject(raw(c, "SET %s:{t6}:outbox %b", prefix, bytes,
                        (size_t)40));
    assert_int_equal(rs_store_open_task(s, 6, &m, errstr, sizeof(errstr)),
                     RS_STORE_ERROR);
    assert_null(m.outbox);
    if (!strstr(errstr, "is corrupt: a packed outbox that does not "
                        "decompress to its length"))
        fail_msg("'%s'", errstr);
    /* A stated length no LZ4 block of that size can reach (4 GB from
     * three bytes) is refused before anything is allocated for it. */
    freeReplyObject(raw(c, "SET %s:{t6}:outbox %b", prefix,
                        "\x81\xff\xff\xff\xf0\x10\x00\x00", (size_t)8));
    assert_int_equal(rs_store_open_task(s, 6, &m, errstr, sizeof(errstr)),
                     RS_STORE_ERROR);
    if (!strstr(errstr, "a packed outbox of an impossible length"))
        fail_msg("'%s'", errstr);
    free(bytes);
    redisFree(c);
}

static void test_store_redis_corrupt_meta_is_an_error(void **state)
{
    struct rs_store *s = *state;
    redisContext *c = raw_connect();
    struct rs_task_meta m;
    char errstr[512] = "", key[192];

    snprintf(key, sizeof(key), "%s:{t0}:meta", prefix);
    freeReplyObject(raw(c, "HSET %s o0 1 o1 2 o2 3 o3 x st 5", key));
    assert_int_equal(rs_store_open_task(s, 0, &m, errstr, sizeof(errstr)),
                     RS_STORE_ERROR);
    assert_non_null(strstr(errstr, key));
    assert_non_null(strstr(errstr, "'x', not a number"));

    freeReplyObject(raw(c, "HDEL %s o3", key)); /* o0-o2 without o3 */
    assert_int_equal(rs_store_open_task(s, 0, &m, errstr, sizeof(errstr)),
                     RS_STORE_ERROR);
    assert_non_null(strstr(errstr, "some but not all"));

    freeReplyObject(raw(c, "DEL %s", key));
    freeReplyObject(raw(c, "SET %s oops", key)); /* wrong type */
    assert_int_equal(rs_store_open_task(s, 0, &m, errstr, sizeof(errstr)),
                     RS_STORE_ERROR);
    assert_non_null(strstr(errstr, "task 0: cannot open"));
    assert_non_null(strstr(errstr, "WRONGTYPE"));
    redisFree(c);
}

/* Size and speed. */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 50,000 customers with ~100-byte states in one flush (the flush after a
 * long catch-up), then read back. */
static void test_store_redis_flush_50k_customers(void **state)
{
    enum { N = 50000, PACKED = 100 };
    struct rs_store *s = *state;
    struct rs_flush_customer *cust = rs_calloc(N, sizeof(*cust));
    char (*ids)[24] = rs_calloc(N, sizeof(*ids));
    uint8_t *packed = rs_malloc((size_t)N * PACKED);
    redisContext *c = raw_connect();
    struct rs_flush f;
    struct rs_task_meta m;
    char errstr[512] = "";
    double t;

    memset(&f, 0, sizeof(f));
    f.epoch = open_epoch(s, 0);
    for (int i = 0; i < N; i++) {
        uint8_t *p = packed + (size_t)i * PACKED;

        snprintf(ids[i], sizeof(ids[i]), "customer-%06d", i);
        for (int j = 0; j < PACKED; j++)
            p[j] = (uint8_t)(i * 31 + j);
        cust[i].id = ids[i];
        cust[i].packed = p;
        cust[i].packed_len = PACKED;
        cust[i].summary.level = i % 4;
        cust[i].summary.score = i % 100;
        cust[i].summary.open_amount = i * 100LL;
        cust[i].summary.last_event_time = 1767225600000 + i;
        cust[i].next_timer = i % 10 ? 1767225600000 + i : RS_NO_TIMER;
    }
    f.customers = cust;
    f.customer_count = N;
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        f.offsets[k] = 1000000 + k;
    t = now_s();
    if (rs_store_flush(s, 0, &f, errstr, sizeof(errstr)) != RS_STORE_OK)
        fail_msg("%s", errstr);
    t = now_s() - t;
    print_message("flushed %d customers (%d-byte states) in %.1f ms: %.0f "
                  "customers/s\n",
                  N, PACKED, t * 1e3, N / t);

    /* 2026-01-01 is day 20454; every timer falls in it. */
    assert_int_equal(raw_integer(c, "HLEN %s:{t0}:td:20454", prefix),
                     N - N / 10);
    for (int i = 0; i < N; i += 4999)
        rs_check_load(s, 0, ids[i], packed + (size_t)i * PACKED, PACKED);
    rs_check_open(s, 0, &m);
    assert_int_equal(m.offsets[3], 1000003);
    rs_store_meta_release(&m);
    free(cust);
    free(ids);
    free(packed);
    redisFree(c);
}

/* Connection trouble. */

static void test_store_redis_unreachable_names_address(void **state)
{
    struct rs_config *c = store_config("rs-it-unreachable");
    char errstr[512] = "";

    (void)state;
    assert_int_equal(rs_config_set(c, "redis.port", "1", errstr,
                                   sizeof(errstr)),
                     0);
    assert_null(rs_store_redis_new(c, errstr, sizeof(errstr)));
    assert_non_null(strstr(errstr, "cannot connect to redis '127.0.0.1:1'"));
    rs_config_destroy(c);
}

/* The address of the store's connection, found with MONITOR while the
 * store loads a customer named token. */
static void client_addr(struct rs_store *s, const char *token, char *addr,
                        size_t size)
{
    redisContext *mon = raw_connect();
    struct rs_buf b;
    char errstr[512];

    freeReplyObject(raw(mon, "MONITOR"));
    rs_buf_init(&b, 0);
    assert_int_equal(rs_store_load(s, 0, token, &b, errstr, sizeof(errstr)),
                     0);
    rs_buf_release(&b);
    addr[0] = '\0';
    while (!addr[0]) {
        void *reply = NULL;
        redisReply *rep;

        if (redisGetReply(mon, &reply) != REDIS_OK)
            fail_msg("MONITOR: %s", mon->errstr);
        rep = reply;
        if (rep->type == REDIS_REPLY_STATUS && strstr(rep->str, token)) {
            const char *open = strchr(rep->str, '[');
            const char *space = open ? strchr(open, ' ') : NULL;
            const char *close = space ? strchr(space, ']') : NULL;

            assert_non_null(close);
            snprintf(addr, size, "%.*s", (int)(close - space - 1), space + 1);
        }
        freeReplyObject(rep);
    }
    redisFree(mon);
}

/* After Redis dropped the store's connection, the next call fails with an
 * error naming the task, and the one after reconnects and works. */
static void test_store_redis_reconnects_after_drop(void **state)
{
    struct rs_store *s = *state;
    redisContext *c = raw_connect();
    struct rs_check_flush cf;
    char addr[64], token[128], errstr[512] = "";
    enum rs_store_result res;

    rs_check_flush_init(&cf, open_epoch(s, 0));
    rs_check_flush_customer(&cf, "a", "A", 1, 5);
    rs_test_unique("find-me", token, sizeof(token));
    client_addr(s, token, addr, sizeof(addr));
    assert_int_equal(raw_integer(c, "CLIENT KILL ADDR %s SKIPME yes", addr),
                     1);
    assert_int_equal(rs_store_flush(s, 0, &cf.f, errstr, sizeof(errstr)),
                     RS_STORE_ERROR);
    assert_non_null(strstr(errstr, "task 0: flush failed: redis '"));
    res = rs_store_flush(s, 0, &cf.f, errstr, sizeof(errstr));
    if (res != RS_STORE_OK)
        fail_msg("flush after reconnecting: %s", errstr);
    rs_check_load(s, 0, "a", "A", 1);
    redisFree(c);
}

/* Timers by day. */

#define DAY 86400000LL

/* The days listed in tdays of task 2, space separated, are want. */
static void h_assert_days(redisContext *c, const char *want)
{
    redisReply *h = raw(c, "ZRANGE %s:{t2}:tdays 0 -1", prefix);
    char got[256] = "";

    for (size_t i = 0; i < h->elements; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
                 i ? " " : "", h->element[i]->str);
    freeReplyObject(h);
    assert_string_equal(got, want);
}

/* A timer that moves to another day leaves its old day's hash; one that
 * goes leaves it too; the list of days keeps the days set. */
static void test_store_redis_timers_move_between_days(void **state)
{
    struct rs_store *s = *state;
    struct rs_check_flush cf;
    redisContext *c = raw_connect();
    redisReply *h;
    char t[256];

    rs_check_flush_init(&cf, open_epoch(s, 3));
    rs_check_flush_customer(&cf, "a", "A", 1, 10 * DAY + 5);
    rs_check_flush_customer(&cf, "b", "B", 1, 10 * DAY + 7);
    rs_check_flush_customer(&cf, "c", "C", 1, 12 * DAY);
    assert_int_equal(rs_store_flush(s, 3, &cf.f, t, sizeof(t)), RS_STORE_OK);
    h = raw(c, "HGETALL %s:{t3}:td:10", prefix);
    assert_int_equal(h->elements, 4);
    assert_field(h, "a", "5");
    assert_field(h, "b", "7");
    freeReplyObject(h);

    /* a to day 11, b gone, c stays: only a and b are written. */
    rs_check_flush_init(&cf, cf.f.epoch);
    rs_check_flush_customer(&cf, "a", "A", 1, 11 * DAY + 1);
    cf.customers[0].stored_timer = 10 * DAY + 5;
    rs_check_flush_customer(&cf, "b", "B", 1, RS_NO_TIMER);
    cf.customers[1].stored_timer = 10 * DAY + 7;
    assert_int_equal(rs_store_flush(s, 3, &cf.f, t, sizeof(t)), RS_STORE_OK);
    assert_int_equal(raw_integer(c, "EXISTS %s:{t3}:td:10", prefix), 0);
    h = raw(c, "HGETALL %s:{t3}:td:11", prefix);
    assert_int_equal(h->elements, 2);
    assert_field(h, "a", "1");
    freeReplyObject(h);
    h = raw(c, "ZRANGE %s:{t3}:tdays 0 -1", prefix);
    assert_int_equal(h->elements, 3); /* 10 stays listed, empty */
    freeReplyObject(h);
    assert_int_equal(rs_check_timers(s, 3, INT64_MIN, INT64_MAX, 10, t,
                                     sizeof(t)),
                     2);
    snprintf(t + 128, 128, "%lld:a %lld:c", 11 * DAY + 1, 12 * DAY);
    assert_string_equal(t, t + 128);
    /* A range inside a day, and a limit that stops after the first day
     * that fills it. */
    assert_int_equal(rs_check_timers(s, 3, 11 * DAY, 11 * DAY + 1, 10, t,
                                     sizeof(t)),
                     1);
    assert_int_equal(rs_check_timers(s, 3, 11 * DAY + 1, 12 * DAY - 1, 10, t,
                                     sizeof(t)),
                     0);
    assert_int_equal(rs_check_timers(s, 3, INT64_MIN, INT64_MAX, 1, t,
                                     sizeof(t)),
                     1);
    redisFree(c);
}

/* Trimmed between flushes (its flush buffers given back), the store
 * writes the next flush whole: states, timers moved between days, the
 * outbox. */
static void test_store_redis_trim_between_flushes(void **state)
{
    struct rs_store *s = *state;
    struct rs_check_flush cf;
    struct rs_task_meta m;
    redisContext *c = raw_connect();
    redisReply *h;
    char t[256], want[256];

    rs_check_flush_init(&cf, open_epoch(s, 4));
    rs_check_flush_customer(&cf, "a", "A", 1, 10 * DAY + 5);
    rs_check_flush_customer(&cf, "b", "B", 1, 10 * DAY + 7);
    assert_int_equal(rs_store_flush(s, 4, &cf.f, t, sizeof(t)), RS_STORE_OK);
    rs_store_trim(s);
    rs_store_trim(s);
    rs_check_flush_init(&cf, cf.f.epoch);
    rs_check_flush_customer(&cf, "a", "A2", 2, 11 * DAY + 1);
    cf.customers[0].stored_timer = 10 * DAY + 5;
    rs_check_flush_customer(&cf, "c", "C", 1, 10 * DAY + 9);
    rs_check_flush_record(&cf, RS_OUTBOX_ALERTS, "a", "alert-a");
    assert_int_equal(rs_store_flush(s, 4, &cf.f, t, sizeof(t)), RS_STORE_OK);
    rs_store_trim(s);
    h = raw(c, "HGET %s:{t4}:s a", prefix);
    assert_int_equal(h->type, REDIS_REPLY_STRING);
    assert_memory_equal(h->str, "A2", 2);
    freeReplyObject(h);
    assert_int_equal(rs_check_timers(s, 4, INT64_MIN, INT64_MAX, 10, t,
                                     sizeof(t)),
                     3);
    snprintf(want, sizeof(want), "%lld:b %lld:c %lld:a", 10 * DAY + 7,
             10 * DAY + 9, 11 * DAY + 1);
    assert_string_equal(t, want);
    rs_check_open(s, 4, &m);
    assert_int_equal(m.outbox_count, 1);
    assert_int_equal(m.outbox[0].value_len, 7);
    assert_memory_equal(m.outbox[0].value, "alert-a", 7);
    rs_store_meta_release(&m);
    redisFree(c);
}

/* A task written before 2026-12-07 kept its timers in one sorted set: the
 * first open moves them into day hashes, and nothing is lost. */
static void test_store_redis_old_timers_moved_at_open(void **state)
{
    struct rs_store *s = *state;
    redisContext *c = raw_connect();
    struct rs_task_meta m;
    char t[512], want[512];

    freeReplyObject(raw(c, "HSET %s:{t6}:meta epoch 4 o0 1 o1 2 o2 3 o3 4 "
                           "st %lld",
                        prefix, 20 * DAY));
    freeReplyObject(raw(c, "ZADD %s:{t6}:timers %lld x %lld y %lld z",
                        prefix, 21 * DAY, 21 * DAY + 3600000, 30 * DAY + 9));
    rs_check_open(s, 6, &m);
    assert_int_equal(m.epoch, 5);
    assert_true(m.timers_last >= 30 * DAY + 9);
    rs_store_meta_release(&m);
    assert_int_equal(raw_integer(c, "EXISTS %s:{t6}:timers", prefix), 0);
    assert_int_equal(raw_integer(c, "HLEN %s:{t6}:td:21", prefix), 2);
    assert_int_equal(rs_check_timers(s, 6, INT64_MIN, INT64_MAX, 10, t,
                                     sizeof(t)),
                     3);
    snprintf(want, sizeof(want), "%lld:x %lld:y %lld:z", 21 * DAY,
             21 * DAY + 3600000, 30 * DAY + 9);
    assert_string_equal(t, want);
    /* Opened again: nothing more to move, the same timers. */
    rs_check_open(s, 6, &m);
    rs_store_meta_release(&m);
    assert_int_equal(rs_check_timers(s, 6, INT64_MIN, INT64_MAX, 10, t,
                                     sizeof(t)),
                     3);
    assert_string_equal(t, want);
    redisFree(c);
}

/* Opening a task leaves the list of days alone, passed days included:
 * they go with the first flush told which timers came up. A passed day
 * that still holds a timer (set by a late event, not fired yet: the
 * engine's heap holds it, so the flush is told a time no later than it)
 * stays, and its timer is read. */
static void test_store_redis_passed_days_dropped_by_flush(void **state)
{
    struct rs_store *s = *state;
    struct rs_check_flush cf;
    redisContext *c = raw_connect();
    struct rs_task_meta m;
    char t[256], want[256];
    uint64_t epoch;

    rs_check_flush_init(&cf, open_epoch(s, 2));
    rs_check_flush_customer(&cf, "fired", "F", 1, 100 * DAY);
    rs_check_flush_customer(&cf, "late", "L", 1, 101 * DAY + 7);
    rs_check_flush_customer(&cf, "new", "N", 1, 111 * DAY);
    cf.f.stream_time = 99 * DAY;
    assert_int_equal(rs_store_flush(s, 2, &cf.f, t, sizeof(t)), RS_STORE_OK);
    /* The stream moves on; the first timer fired and moved. */
    rs_check_flush_init(&cf, cf.f.epoch);
    rs_check_flush_customer(&cf, "fired", "F2", 2, 112 * DAY);
    cf.customers[0].stored_timer = 100 * DAY;
    cf.f.stream_time = 110 * DAY + 5;
    assert_int_equal(rs_store_flush(s, 2, &cf.f, t, sizeof(t)), RS_STORE_OK);
    h_assert_days(c, "100 101 111 112");
    assert_int_equal(raw_integer(c, "EXISTS %s:{t2}:td:100", prefix), 0);
    rs_check_open(s, 2, &m);
    epoch = m.epoch;
    rs_store_meta_release(&m);
    h_assert_days(c, "100 101 111 112");
    assert_int_equal(rs_check_timers(s, 2, INT64_MIN, INT64_MAX, 10, t,
                                     sizeof(t)),
                     3);
    snprintf(want, sizeof(want), "%lld:late %lld:new %lld:fired",
             101 * DAY + 7, 111 * DAY, 112 * DAY);
    assert_string_equal(t, want);
    /* The first flush after the open, its heap topped by the late timer. */
    rs_check_flush_init(&cf, epoch);
    rs_check_flush_customer(&cf, "new", "N2", 2, 111 * DAY);
    cf.customers[0].stored_timer = 111 * DAY;
    cf.f.has_fired_before = 1;
    cf.f.timers_fired_before = 101 * DAY + 7;
    assert_int_equal(rs_store_flush(s, 2, &cf.f, t, sizeof(t)), RS_STORE_OK);
    h_assert_days(c, "101 111 112");
    assert_int_equal(rs_check_timers(s, 2, INT64_MIN, INT64_MAX, 10, t,
                                     sizeof(t)),
                     3);
    assert_string_equal(t, want);
    redisFree(c);
}

/* A flush told that every timer before a time has come up drops the days
 * before that time's day whole, without the customers' HDELs, and keeps
 * the rest. */
static void test_store_redis_days_dropped_when_timers_came_up(void **state)
{
    struct rs_store *s = *state;
    struct rs_check_flush cf;
    redisContext *c = raw_connect();
    char t[256], want[256];

    rs_check_flush_init(&cf, open_epoch(s, 2));
    rs_check_flush_customer(&cf, "a", "A", 1, 10 * DAY + 5);
    rs_check_flush_customer(&cf, "b", "B", 1, 11 * DAY);
    rs_check_flush_customer(&cf, "c", "C", 1, 10 * DAY + 9);
    assert_int_equal(rs_store_flush(s, 2, &cf.f, t, sizeof(t)), RS_STORE_OK);
    h_assert_days(c, "10 11");

    /* a's timer fired and moved on; c's fired and it has none now. */
    rs_check_flush_init(&cf, cf.f.epoch);
    rs_check_flush_customer(&cf, "a", "A2", 2, 12 * DAY + 1);
    cf.customers[0].stored_timer = 10 * DAY + 5;
    rs_check_flush_customer(&cf, "c", "C2", 2, RS_NO_TIMER);
    cf.customers[1].stored_timer = 10 * DAY + 9;
    cf.f.has_fired_before = 1;
    cf.f.timers_fired_before = 11 * DAY;
    assert_int_equal(rs_store_flush(s, 2, &cf.f, t, sizeof(t)), RS_STORE_OK);
    assert_int_equal(raw_integer(c, "EXISTS %s:{t2}:td:10", prefix), 0);
    h_assert_days(c, "11 12");
    assert_int_equal(rs_check_timers(s, 2, INT64_MIN, INT64_MAX, 10, t,
                                     sizeof(t)),
                     2);
    snprintf(want, sizeof(want), "%lld:b %lld:a", 11 * DAY, 12 * DAY + 1);
    assert_string_equal(t, want);

    /* Not told: a moved timer leaves its day customer by customer. */
    rs_check_flush_init(&cf, cf.f.epoch);
    rs_check_flush_customer(&cf, "b", "B2", 2, 13 * DAY);
    cf.customers[0].stored_timer = 11 * DAY;
    assert_int_equal(rs_store_flush(s, 2, &cf.f, t, sizeof(t)), RS_STORE_OK);
    assert_int_equal(raw_integer(c, "EXISTS %s:{t2}:td:11", prefix), 0);
    h_assert_days(c, "11 12 13");
    redisFree(c);
}

#define REDIS_TEST(f) cmocka_unit_test_setup_teardown(f, redis_setup, redis_teardown)

int main(void)
{
    struct CMUnitTest tests[RS_STORE_CHECKS_MAX + 16];
    const struct CMUnitTest own[] = {
        REDIS_TEST(test_store_redis_customer_hash_shows_summary),
        REDIS_TEST(test_store_redis_summary_off),
        REDIS_TEST(test_store_redis_fenced_by_second_instance),
        REDIS_TEST(test_store_redis_fenced_flush_leaves_no_watch),
        REDIS_TEST(test_store_redis_fenced_between_watch_and_exec),
        REDIS_TEST(test_store_redis_corrupt_outbox_is_an_error),
        REDIS_TEST(test_store_redis_outbox_packed),
        REDIS_TEST(test_store_redis_corrupt_meta_is_an_error),
        REDIS_TEST(test_store_redis_flush_50k_customers),
        REDIS_TEST(test_store_redis_timers_move_between_days),
        REDIS_TEST(test_store_redis_old_timers_moved_at_open),
        REDIS_TEST(test_store_redis_passed_days_dropped_by_flush),
        REDIS_TEST(test_store_redis_trim_between_flushes),
        REDIS_TEST(test_store_redis_days_dropped_when_timers_came_up),
        REDIS_TEST(test_store_redis_reconnects_after_drop),
        cmocka_unit_test(test_store_redis_unreachable_names_address),
    };
    size_t n = rs_store_checks(&redis_backend, tests);

    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        tests[n++] = own[i];
    return _cmocka_run_group_tests("store_redis", tests, n, NULL, NULL);
}
