/* The daemon loop: consume, order, apply, flush, commit (runner.h).
 *
 * Commit order, per commit interval:
 *   1. every changed task is flushed to the store in one atomic, fenced
 *      write: its changed customers, applied offsets, stream time and the
 *      outbox (alerts and dead letters made since the last flush);
 *   2. one Kafka transaction produces those outbox records and commits the
 *      same offsets (send_offsets_to_transaction with the group metadata).
 * The loop only begins a commit (packs the changed customers); the
 * committer thread (runner_commit.c) writes both steps while the loop goes
 * on. A task is never flushed again before its last flush was committed, so the
 * store's outbox always holds exactly what the next or last transaction
 * carries; recovery (rs_runner_assign, runner_txn.c) uses that to re-send
 * what Kafka did not see. docs/architecture.md walks through every crash
 * point. */
#include "riskstream/runner.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "riskstream/decode.h"
#include "riskstream/encode.h"
#include "riskstream/engine.h"
#include "riskstream/kafka.h"
#include "riskstream/log.h"
#include "riskstream/mem.h"
#include "riskstream/order.h"
#include "riskstream/registry.h"
#include "riskstream/score.h"
#include "riskstream/store.h"
#include "runner_internal.h"

#define DEADLETTER_VALUE_MAX (1024 * 1024)
#define LOG_FIRST_DEADLETTERS 20
#define STATS_INTERVAL_MS 10000
#define TRIM_QUIET_MS 1000
/* Records taken from the consumer per turn of the loop. */
#define TAKE_MAX 10000
/* Records taken from the consumer before reading ahead at a backlog's
 * commit: about what the loop applies while the commit's flush runs
 * (0.2 to 0.8 s on a backlog, at 130 000 records a second). */
#define READ_AHEAD_TAKE_MAX 100000

int64_t rs_runner_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rs_runner_fatal(struct rs_runner *r, const char *fmt, ...)
{
    va_list ap;

    if (r->fatal)
        return;
    r->fatal = 1;
    va_start(ap, fmt);
    vsnprintf(r->fatal_msg, sizeof(r->fatal_msg), fmt, ap);
    va_end(ap);
    rs_log_error("runner", "%s", r->fatal_msg);
}

int rs_runner_kind_of(const struct rs_runner *r, const char *topic)
{
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        if (strcmp(r->topics[k], topic) == 0)
            return k;
    return -1;
}

void rs_runner_slot_destroy(struct slot *s)
{
    if (!s)
        return;
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        for (size_t i = s->spill_head[k]; i < s->spill_count[k]; i++)
            rd_kafka_message_destroy(s->spill[k][i]);
        free(s->spill[k]);
    }
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        enum rs_event_kind kind = (enum rs_event_kind)k;

        while (rs_order_count(&s->order, kind)) {
            struct rs_order_queue *q = &s->order.q[k];

            rd_kafka_message_destroy(q->items[q->head].msg);
            rs_order_pop(&s->order, kind);
        }
    }
    rs_order_release(&s->order);
    rs_task_destroy(s->task);
    free(s);
}

static void pause_partition(struct rs_runner *r, struct slot *s, int k,
                            int p, int pause);

void rs_runner_slot_drop(struct rs_runner *r, int p)
{
    struct slot *s = r->slots[p];

    if (!s)
        return;
    /* librdkafka keeps a partition paused across a rebalance: assigned to
     * this consumer again, it would stay paused under a new slot that
     * knows nothing of it, and its task would take no record ever again
     * (librdkafka issue 1849; seen with two instances and a backlog). */
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        if (s->paused[k])
            pause_partition(r, s, k, p, 0);
    rs_runner_slot_destroy(s);
    r->slots[p] = NULL;
}

void rs_runner_drop_slots(struct rs_runner *r)
{
    char why[1024];

    /* Not while the committer works on them. */
    if (rs_commit_poll(r, 1, why, sizeof(why)))
        rs_runner_fatal(r, "%s", why);
    for (int p = 0; p < r->partitions; p++)
        rs_runner_slot_drop(r, p);
}
/* Records. */

static void dead_letter(struct rs_runner *r, struct slot *s,
                        const rd_kafka_message_t *m, enum rs_error_class ec,
                        const char *why)
{
    struct rs_deadletter dl;
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);

    memset(&dl, 0, sizeof(dl));
    dl.topic = rd_kafka_topic_name(m->rkt);
    dl.partition = m->partition;
    dl.offset = m->offset;
    dl.key = m->key;
    dl.key_len = m->key ? m->key_len : 0;
    dl.value = m->len <= DEADLETTER_VALUE_MAX ? m->payload : NULL;
    dl.value_len = dl.value ? m->len : 0;
    dl.has_timestamp = tstype != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    dl.timestamp = ts;
    dl.error_class = ec;
    snprintf(dl.message, sizeof(dl.message), "%s", why);
    dl.dead_lettered_at = wall_ms();
    rs_task_deadletter(s->task, &dl);
    if (r->deadletters[ec]++ < LOG_FIRST_DEADLETTERS)
        rs_log_warn("runner", "dead letter %s [%d] offset %" PRId64 ": %s: %s",
                    dl.topic, (int)m->partition, m->offset,
                    rs_error_class_name(ec), why);
}

static void pause_partition(struct rs_runner *r, struct slot *s, int k,
                            int p, int pause)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);

    rd_kafka_topic_partition_list_add(l, r->topics[k], p);
    if (pause)
        rd_kafka_pause_partitions(r->consumer, l);
    else
        rd_kafka_resume_partitions(r->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
    s->paused[k] = pause;
}

/* Decodes a message into a free queue slot of its partition. */
static void enqueue(struct rs_runner *r, struct slot *s, int k,
                    struct rs_order_item *it, rd_kafka_message_t *m)
{
    rs_order_caught_up(&s->order, (enum rs_event_kind)k, 0, 0);
    rs_order_item_reset(it, m);
    if (rs_decode(r->dec, (enum rs_event_kind)k, m->key,
                  m->key ? m->key_len : 0, m->payload, m->len, &it->ev,
                  &it->error_class, it->why,
                  sizeof(it->why)) != RS_DECODE_OK)
        it->poison = 1;
    it->ev.partition = m->partition;
    it->ev.offset = m->offset;
    rs_order_commit(&s->order, (enum rs_event_kind)k);
    r->records++;
}

/* Moves spilled records into the queue while it has room. */
static void unspill(struct rs_runner *r, struct slot *s, int k)
{
    struct rs_order_item *it;

    while (s->spill_head[k] < s->spill_count[k] &&
           (it = rs_order_slot(&s->order, (enum rs_event_kind)k)))
        enqueue(r, s, k, it, s->spill[k][s->spill_head[k]++]);
    if (s->spill_head[k] == s->spill_count[k]) {
        s->spill_head[k] = s->spill_count[k] = 0;
        if (s->eof_pending[k]) {
            s->eof_pending[k] = 0;
            rs_order_caught_up(&s->order, (enum rs_event_kind)k, 1,
                               rs_runner_now_ms());
        }
    } else if (s->spill_head[k] >= 4096 &&
               2 * s->spill_head[k] >= s->spill_count[k]) {
        /* Records keep coming while others leave: move the waiting ones
         * to the front so the list does not grow with the stream. */
        s->spill_count[k] -= s->spill_head[k];
        memmove(s->spill[k], s->spill[k] + s->spill_head[k],
                s->spill_count[k] * sizeof(*s->spill[k]));
        s->spill_head[k] = 0;
    }
}

/* Takes one consumed message into its task's orderer. */
static void take_message(struct rs_runner *r, rd_kafka_message_t *m)
{
    int k = rs_runner_kind_of(r, rd_kafka_topic_name(m->rkt));
    struct slot *s = (k >= 0 && m->partition >= 0 &&
                      m->partition < r->partitions)
                         ? r->slots[m->partition]
                         : NULL;
    struct rs_order_item *it;

    if (!s) {
        rd_kafka_message_destroy(m);
        return;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        /* Everything up to the end is in the queue, or waits in the
         * spill list and is caught up when that drains. */
        if (s->spill_count[k] == 0)
            rs_order_caught_up(&s->order, (enum rs_event_kind)k, 1,
                               rs_runner_now_ms());
        else
            s->eof_pending[k] = 1;
        rd_kafka_message_destroy(m);
        return;
    }
    it = s->spill_count[k] ? NULL
                           : rs_order_slot(&s->order, (enum rs_event_kind)k);
    s->eof_pending[k] = 0; /* more came after the end we saw */
    s->taken[k] = m->offset + 1;
    if (!it) {
        /* The orderer is full: the record waits undecoded. Fetching from
         * the partition pauses only when that wait list is long too. */
        rs_grow((void **)&s->spill[k], &s->spill_cap[k],
                s->spill_count[k] + 1, sizeof(*s->spill[k]));
        s->spill[k][s->spill_count[k]++] = m;
        rs_order_caught_up(&s->order, (enum rs_event_kind)k, 0, 0);
        if (!s->paused[k] && s->spill_count[k] - s->spill_head[k] >=
                                 (size_t)r->conf->order_buffer_records)
            pause_partition(r, s, k, m->partition, 1);
        return;
    }
    enqueue(r, s, k, it, m);
}

/* Takes what the consumer's poll returned: a record, an end of
 * partition, or an error (fatal ones stop the runner). */
static void take_polled(struct rs_runner *r, rd_kafka_message_t *m)
{
    if (!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        take_message(r, m);
        return;
    }
    if (m->err == RD_KAFKA_RESP_ERR__FATAL)
        rs_runner_fatal(r, "consumer: %s", rd_kafka_message_errstr(m));
    else
        rs_log_warn("runner", "consumer: %s", rd_kafka_message_errstr(m));
    rd_kafka_message_destroy(m);
}

/* Whether riskstream is live (every input partition read to within
 * commit.catchup.lag.records of its end, by librdkafka's cached high
 * watermarks: no network call), as opposed to working off a backlog. */
static int caught_up(const struct rs_runner *r)
{
    for (int p = 0; p < r->partitions; p++) {
        const struct slot *s = r->slots[p];

        if (!s)
            continue;
        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            int64_t lo, hi;

            if (rd_kafka_get_watermark_offsets(r->consumer, r->topics[k], p,
                                               &lo, &hi) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR &&
                hi - s->taken[k] > r->catchup_lag)
                return 0;
        }
    }
    return 1;
}

/* The first spilled record of kind k at or after offset, as an index
 * into the spill list (spill_count when there is none). */
static size_t spill_from(const struct slot *s, int k, int64_t offset)
{
    size_t lo = s->spill_head[k], hi = s->spill_count[k];

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (s->spill[k][mid]->offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Starts loading the customers of the records a few places behind the
 * head of queue k, in three steps (rs_task_hint), so that their cache
 * misses overlap the work on the ones before. Each pop of the queue moves
 * a record one place closer, through each step once. */
static void hint_at(struct slot *s, enum rs_event_kind k, size_t i,
                    int step)
{
    struct rs_order_item *it = rs_order_ahead(&s->order, k, i);

    if (it && !it->poison && (step == 0 || it->hint))
        rs_task_hint(s->task, it->ev.customer_id, &it->hint, step);
}

static void hint_ahead(struct slot *s, enum rs_event_kind k)
{
    const char *far = (const char *)rs_order_ahead(&s->order, k, 16);

    /* The slot itself first (1.5 kB apart, beyond the hardware's
     * prefetch): its flag and time, and the customer id step 0 reads. */
    if (far) {
        __builtin_prefetch(far);
        __builtin_prefetch(far + 64);
    }
    hint_at(s, k, 12, 0);
    hint_at(s, k, 6, 1);
    hint_at(s, k, 3, 2);
}

/* Loads, in one batch (one Redis round trip), the customers of the task's
 * records that were not looked at yet: first the decoded ones in the
 * orderer, in about the order they will be applied (by event time across
 * the four inputs), then the undecoded ones waiting in the spill lists,
 * by their keys (a record's key is its customer: a record whose key is
 * not is dead-lettered, and loading for it was harmless). Customers
 * already resident are skipped without counting towards the batch (at
 * most a quarter of the cache), so one batch reaches far ahead when most
 * records are of resident customers. */
static void prefetch(struct rs_runner *r, struct slot *s, int p)
{
    const char *ids[PREFETCH_MAX];
    char why[RS_MESSAGE_MAX];
    size_t n = 0, decoded = 0, max = rs_task_prefetch_max(s->task),
           at[RS_EVENT_KINDS];
    int64_t latest = INT64_MIN;

    if (max > PREFETCH_MAX)
        max = PREFETCH_MAX;
    for (int k = 0; k < RS_EVENT_KINDS; k++) { /* skip the loaded ones */
        const struct rs_order_item *it;

        at[k] = 0;
        while ((it = rs_order_at(&s->order, (enum rs_event_kind)k, at[k])) &&
               it->ev.offset < s->prefetched[k])
            at[k]++;
    }
    while (n < max) {
        const struct rs_order_item *it, *next = NULL;
        int kind = -1;

        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            it = rs_order_at(&s->order, (enum rs_event_kind)k, at[k]);
            if (it && (!next || it->ev.event_time < next->ev.event_time)) {
                next = it;
                kind = k;
            }
        }
        if (!next)
            break;
        at[kind]++;
        s->prefetched[kind] = next->ev.offset + 1;
        if (next->poison)
            continue;
        decoded++;
        if (next->ev.event_time > latest)
            latest = next->ev.event_time;
        if (!rs_task_resident(s->task, next->ev.customer_id))
            ids[n++] = next->ev.customer_id;
    }
    /* The spilled records, kind by kind, while the batch has room. */
    for (int k = 0; k < RS_EVENT_KINDS && n < max; k++) {
        size_t i = spill_from(s, k, s->prefetched[k]);

        for (; i < s->spill_count[k] && n < max; i++) {
            const rd_kafka_message_t *m = s->spill[k][i];
            char *id = r->prefetch_keys + n * RS_ID_MAX;

            s->prefetched[k] = m->offset + 1;
            if (!m->key || m->key_len == 0 || m->key_len >= RS_ID_MAX ||
                memchr(m->key, '\0', m->key_len))
                continue;
            memcpy(id, m->key, m->key_len);
            id[m->key_len] = '\0';
            if (rs_task_resident(s->task, id))
                continue;
            ids[n++] = id;
        }
    }
    /* The timers the decoded records will make fire (as many as records,
     * about how many they make fire), then the records' own customers. */
    if ((decoded && rs_task_prefetch_due(s->task, latest, decoded, why,
                                         sizeof(why))) ||
        (n && rs_task_prefetch(s->task, ids, n, why, sizeof(why))))
        rs_runner_fatal(r, "task %d: %s", p, why);
}

/* Once the input has been quiet for a second after records, gives the
 * heap's free pages back to the system. A backlog fills librdkafka's
 * fetch queue and the orderer with up to hundreds of megabytes that are
 * freed once processed; the buffers kept from one commit to the next
 * (the tasks' outboxes and flushes, the spill lists, the stores' flush
 * buffers) grow to hold a backlog commit's customers and alerts, tens of
 * megabytes, and are given back first; and glibc keeps freed pages that
 * are not at the top of the heap: without this the daemon's RSS stays at
 * its peak. Not under a steady input: a trim walks
 * the whole heap, tens of milliseconds on a large one, and the memory
 * would be taken again. */
static void trim_heap(struct rs_runner *r, int64_t now)
{
    if (!r->trim_pending || now - r->last_record < TRIM_QUIET_MS ||
        rs_commit_busy(r))
        return;
    r->trim_pending = 0;
    for (int p = 0; p < r->partitions; p++) {
        struct slot *s = r->slots[p];

        if (!s)
            continue;
        rs_task_trim(s->task);
        rs_order_trim(&s->order);
        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            if (s->spill_count[k])
                continue;
            free(s->spill[k]);
            s->spill[k] = NULL;
            s->spill_cap[k] = 0;
        }
    }
    rs_store_trim(r->store);
    rs_store_trim(r->commit.store);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Lets each task's orderer hand out what it can. */
static void process(struct rs_runner *r)
{
    int64_t now = rs_runner_now_ms();
    char why[RS_MESSAGE_MAX];

    for (int p = 0; p < r->partitions && !r->fatal; p++) {
        struct slot *s = r->slots[p];
        struct rs_order_item *it;
        enum rs_event_kind k;

        if (!s)
            continue;
        while (!r->fatal && !rs_task_wants_flush(s->task) &&
               (it = rs_order_next(&s->order, now, &k))) {
            rd_kafka_message_t *m;

            if (it->ev.offset >= s->prefetched[k]) {
                /* Reached records queued since the last batch (new ones,
                 * or spilled ones moved in): load all queued now. */
                prefetch(r, s, p);
                if (r->fatal)
                    return;
            }
            m = it->msg;
            hint_ahead(s, k);

            if (it->poison) {
                dead_letter(r, s, m, it->error_class, it->why);
            } else {
                switch (rs_task_apply(s->task, &it->ev, why, sizeof(why))) {
                case RS_APPLY_OK:
                    break;
                case RS_APPLY_LATE:
                    dead_letter(r, s, m, RS_ERROR_LATE, why);
                    break;
                case RS_APPLY_ERROR:
                    rs_runner_fatal(r, "task %d: %s", p, why);
                    return;
                }
            }
            rs_task_done(s->task, k, it->ev.offset);
            rd_kafka_message_destroy(m);
            rs_order_pop(&s->order, k);
            if (s->spill_count[k])
                unspill(r, s, (int)k);
            if (s->paused[k] &&
                s->spill_count[k] - s->spill_head[k] <=
                    (size_t)r->conf->order_buffer_records / 2)
                pause_partition(r, s, (int)k, p, 0);
        }
        if (rs_task_wants_flush(s->task))
            r->commit_now = 1;
    }
}

/* Before a commit begins, no flush of ours runs in Redis: what the tasks
 * will read soon is read now rather than while the flush runs (a read
 * then waits it out, up to a few hundred milliseconds on a backlog): the
 * timers they will reach before the next commit (a backlog reaches new
 * days of timers several times a second) and the customers of the next
 * batch of records. A timer read's failure only leaves them to be read
 * when reached, where it counts. */
static void read_ahead(struct rs_runner *r)
{
    char why[512];
    rd_kafka_message_t *m;

    /* The records librdkafka already fetched, so that the batches below
     * see them: those the loop took so far are mostly applied, and the
     * ones it would take during the flush were read then, waiting it
     * out. */
    for (int n = 0; n < READ_AHEAD_TAKE_MAX && !r->fatal &&
                    (m = rd_kafka_consumer_poll(r->consumer, 0));
         n++)
        take_polled(r, m);
    for (int p = 0; p < r->partitions && !r->fatal; p++) {
        struct slot *s = r->slots[p];

        if (!s)
            continue;
        if (rs_task_preload_timers(s->task, why, sizeof(why)))
            rs_log_warn("runner", "task %d: reading timers ahead: %s", p,
                        why);
        /* The next batch's customers too (not when the cache is full of
         * changes: they wait for this commit to begin). */
        if (!rs_task_wants_flush(s->task))
            prefetch(r, s, p);
        if (r->fatal)
            return;
    }
}

/* The commit's turn in the loop: finishes the one under way once the
 * committer is done, and begins the next when it is due. A task with more
 * dirty customers than its cache holds takes no records until a commit
 * began, and waits for the one under way if it must. */
static void commit_turn(struct rs_runner *r, int64_t now)
{
    char why[1024];

    if (rs_commit_poll(r, r->commit_now, why, sizeof(why))) {
        rs_runner_fatal(r, "%s", why);
        return;
    }
    if (r->fatal || rs_commit_busy(r))
        return;
    if (r->commit_now ||
        (now - r->last_commit >= r->commit_interval_ms &&
         (now - r->last_commit >= r->catchup_interval_ms || caught_up(r)))) {
        /* A backlog's commit (a full cache, or the catch-up interval):
         * live commits come every few milliseconds and their reads find
         * Redis idle anyway, while reading ahead would delay the commit
         * and every record waiting for it. */
        if (r->commit_now || now - r->last_commit >= r->catchup_interval_ms)
            read_ahead(r);
        if (r->fatal)
            return; /* a batch read failed: nothing more is begun */
        r->commit_now = 0;
        rs_commit_begin(r);
    }
}

static void log_stats(struct rs_runner *r)
{
    uint64_t dl = 0;

    for (int c = 0; c < RS_ERROR_CLASSES; c++)
        dl += r->deadletters[c];
    rs_log_info("runner", "records %" PRIu64 ", dead letters %" PRIu64
                          " (framing %" PRIu64 ", unknown schema %" PRIu64
                          ", decode %" PRIu64 ", validation %" PRIu64
                          ", oversized %" PRIu64 ", late %" PRIu64
                          ", key mismatch %" PRIu64 "), transactions %" PRIu64,
                r->records, dl, r->deadletters[RS_ERROR_FRAMING],
                r->deadletters[RS_ERROR_UNKNOWN_SCHEMA],
                r->deadletters[RS_ERROR_DECODE],
                r->deadletters[RS_ERROR_VALIDATION],
                r->deadletters[RS_ERROR_OVERSIZED],
                r->deadletters[RS_ERROR_LATE],
                r->deadletters[RS_ERROR_KEY_MISMATCH], r->transactions);
    {
        /* What the tasks held now did since they were assigned: each
         * event and each timer fired is one evaluation of a customer. */
        struct rs_task_stats sum = {0};
        size_t queued = 0;

        for (int p = 0; p < r->partitions; p++) {
            const struct rs_task_stats *ts;

            if (!r->slots[p])
                continue;
            ts = rs_task_stats(r->slots[p]->task);
            queued += rs_task_timers_queued(r->slots[p]->task);
            sum.events += ts->events;
            sum.timers_fired += ts->timers_fired;
            sum.alerts += ts->alerts;
            sum.suppressed += ts->suppressed;
            sum.duplicates += ts->duplicates;
            sum.customers_flushed += ts->customers_flushed;
        }
        rs_log_info("runner", "tasks held: events applied %" PRIu64
                              ", timers fired %" PRIu64 ", alerts %" PRIu64
                              " (suppressed %" PRIu64 "), duplicates %" PRIu64
                              ", customers written %" PRIu64
                              ", timers queued %zu",
                    sum.events, sum.timers_fired, sum.alerts, sum.suppressed,
                    sum.duplicates, sum.customers_flushed, queued);
    }
    if (r->commits_timed) {
        /* Where event -> alert latency goes (docs/performance.md): the
         * loop stops only to pack; the committer thread writes Redis and
         * runs the transaction while the loop goes on. */
        rs_log_info("runner", "commits since the last line %" PRIu64
                              ": packing %.1f ms (the loop), Redis flush "
                              "%.1f ms and Kafka transaction %.1f ms (the "
                              "committer) on average, the longest %" PRId64
                              " ms from begin to end",
                    r->commits_timed,
                    (double)r->commit_prepare_ms / (double)r->commits_timed,
                    (double)r->commit_flush_ms / (double)r->commits_timed,
                    (double)r->commit_txn_ms / (double)r->commits_timed,
                    r->commit_max_ms);
        r->commits_timed = 0;
        r->commit_prepare_ms = r->commit_flush_ms = r->commit_txn_ms = 0;
        r->commit_max_ms = 0;
    }
}

/* Setup. */

static int check_topics(struct rs_runner *r, char *errstr, size_t errstr_size)
{
    const char *outputs[] = {r->conf->topic_alerts, r->conf->topic_deadletter};
    int counts[RS_EVENT_KINDS];

    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        counts[k] = rs_kafka_partition_count(r->producer, r->topics[k], 30000,
                                             errstr, errstr_size);
        if (counts[k] < 0)
            return -1;
    }
    for (int k = 1; k < RS_EVENT_KINDS; k++) {
        if (counts[k] != counts[0]) {
            snprintf(errstr, errstr_size,
                     "input topics are not co-partitioned: '%s' has %d "
                     "partitions but '%s' has %d; they must have the same "
                     "count",
                     r->topics[0], counts[0], r->topics[k], counts[k]);
            return -1;
        }
    }
    for (int i = 0; i < 2; i++)
        if (rs_kafka_partition_count(r->producer, outputs[i], 30000, errstr,
                                     errstr_size) < 0)
            return -1;
    r->partitions = counts[0];
    return 0;
}

struct rs_runner *rs_runner_new(const struct rs_config *conf, char *errstr,
                                size_t errstr_size)
{
    struct rs_runner *r = rs_calloc(1, sizeof(*r));
    struct rs_kafka_hooks hooks = {NULL, rs_runner_on_rebalance, r, NULL};
    char host[128] = "localhost";
    char txid[600];
    struct rs_encode_ids ids;
    char why[400];
    rd_kafka_error_t *err;

    r->conf = conf;
    r->prefetch_keys = rs_calloc(PREFETCH_MAX, RS_ID_MAX);
    r->topics[RS_EVENT_INVOICE] = conf->topic_invoices;
    r->topics[RS_EVENT_PAYMENT] = conf->topic_payments;
    r->topics[RS_EVENT_BUREAU] = conf->topic_bureau;
    r->topics[RS_EVENT_COMM] = conf->topic_communications;
    if (*conf->instance_id)
        snprintf(r->instance, sizeof(r->instance), "%s", conf->instance_id);
    else if (gethostname(host, sizeof(host) - 1) == 0)
        snprintf(r->instance, sizeof(r->instance), "%s", host);
    else
        snprintf(r->instance, sizeof(r->instance), "localhost");

    r->reg = rs_registry_load(conf->schema_dir, errstr, errstr_size);
    if (!r->reg)
        goto fail;
    if (rs_encode_schema_ids(r->reg, &ids, why, sizeof(why))) {
        snprintf(errstr, errstr_size, "schema dir '%s': %s", conf->schema_dir,
                 why);
        goto fail;
    }
    r->dec = rs_decoder_new(r->reg, (size_t)conf->record_max_bytes, errstr,
                            errstr_size);
    if (!r->dec)
        goto fail;
    r->store = rs_store_redis_new(conf, errstr, errstr_size);
    if (!r->store)
        goto fail;

    rs_engine_params_from_config(&r->params, conf);
    r->commit_interval_ms = conf->commit_interval_ms;
    r->catchup_interval_ms = conf->commit_catchup_interval_ms;
    r->catchup_lag = conf->commit_catchup_lag_records;
    r->params.alert_schema_id = ids.alert;
    r->params.deadletter_schema_id = ids.deadletter;
    r->params.relay_schema_id = ids.relay;
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        r->params.topics[k] = r->topics[k];

    /* The producer first: init_transactions fences and aborts whatever a
     * previous run of this instance left open, before we read offsets. */
    snprintf(txid, sizeof(txid), "%s-%s", conf->app_id, r->instance);
    r->producer = rs_kafka_new(conf, RS_KAFKA_ROLE_TXN_PRODUCER, txid, NULL,
                               errstr, errstr_size);
    if (!r->producer)
        goto fail;
    err = rd_kafka_init_transactions(r->producer, 60000);
    if (err) {
        snprintf(errstr, errstr_size,
                 "cannot initialise transactions (transactional.id '%s'): %s",
                 txid, rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
        goto fail;
    }
    if (check_topics(r, errstr, errstr_size))
        goto fail;
    r->slots = rs_calloc((size_t)r->partitions, sizeof(*r->slots));
    if (rs_commit_init(r, errstr, errstr_size))
        goto fail;

    /* Static membership: a restarted instance gets its tasks back at once. */
    hooks.group_instance_id = txid;
    r->consumer = rs_kafka_new(conf, RS_KAFKA_ROLE_CONSUMER, NULL, &hooks,
                               errstr, errstr_size);
    if (!r->consumer)
        goto fail;
    rs_log_info("runner", "instance '%s' of '%s': %d tasks in the group, "
                          "transactional id '%s'",
                r->instance, conf->app_id, r->partitions, txid);
    return r;
fail:
    rs_runner_destroy(r);
    return NULL;
}

/* Keys whose change needs a restart: connections, topics, identity, the
 * shape of the state. */
static void report_unreloadable(const struct rs_config *old,
                                const struct rs_config *now)
{
    static const struct {
        const char *key;
        size_t offset;
    } strs[] = {
        {"app.id", offsetof(struct rs_config, app_id)},
        {"instance.id", offsetof(struct rs_config, instance_id)},
        {"topic.invoices", offsetof(struct rs_config, topic_invoices)},
        {"topic.payments", offsetof(struct rs_config, topic_payments)},
        {"topic.bureau", offsetof(struct rs_config, topic_bureau)},
        {"topic.communications",
         offsetof(struct rs_config, topic_communications)},
        {"topic.alerts", offsetof(struct rs_config, topic_alerts)},
        {"topic.deadletter", offsetof(struct rs_config, topic_deadletter)},
        {"schema.dir", offsetof(struct rs_config, schema_dir)},
        {"redis.host", offsetof(struct rs_config, redis_host)},
        {"redis.prefix", offsetof(struct rs_config, redis_prefix)},
    };

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        const char *a = *(char *const *)(const void *)((const char *)old +
                                                       strs[i].offset);
        const char *b = *(char *const *)(const void *)((const char *)now +
                                                       strs[i].offset);

        if (strcmp(a, b) != 0)
            rs_log_warn("runner", "reload: '%s' changed from '%s' to '%s'; "
                                  "that needs a restart, keeping '%s'",
                        strs[i].key, a, b, a);
    }
    if (old->redis_port != now->redis_port ||
        old->record_max_bytes != now->record_max_bytes ||
        old->cache_customers != now->cache_customers ||
        old->order_queue_records != now->order_queue_records ||
        old->order_buffer_records != now->order_buffer_records ||
        old->order_max_wait_ms != now->order_max_wait_ms ||
        old->kafka_count != now->kafka_count)
        rs_log_warn("runner", "reload: redis.port, record.max.bytes, "
                              "cache.customers, order.* or kafka.* changed; "
                              "those need a restart and keep their values");
}

static void reload(struct rs_runner *r, const struct rs_runner_signals *sig)
{
    char why[1024];
    struct rs_config *now = sig->load(sig->opaque, why, sizeof(why));

    if (!now) {
        rs_log_error("runner", "reload refused, keeping the running "
                               "configuration: %s",
                     why);
        return;
    }
    report_unreloadable(r->conf, now);
    {
        size_t cache = r->params.cache_customers; /* not reloadable */

        rs_engine_params_from_config(&r->params, now);
        r->params.cache_customers = cache;
    }
    r->params.generation++; /* cached detector answers are stale */
    r->commit_interval_ms = now->commit_interval_ms;
    r->catchup_interval_ms = now->commit_catchup_interval_ms;
    r->catchup_lag = now->commit_catchup_lag_records;
    rs_log_threshold = (enum rs_log_level)now->log_level;
    rs_log_info("runner", "configuration reloaded: detector parameters, "
                          "segment profiles and scoring apply from each "
                          "customer's next evaluation");
    rs_config_destroy(now);
}

int rs_runner_run(struct rs_runner *r, const struct rs_runner_signals *sig,
                  char *errstr, size_t errstr_size)
{
    volatile sig_atomic_t *stop = sig->stop;
    rd_kafka_topic_partition_list_t *sub =
        rd_kafka_topic_partition_list_new(RS_EVENT_KINDS);
    rd_kafka_resp_err_t err;
    int rc = -1;

    for (int k = 0; k < RS_EVENT_KINDS; k++)
        rd_kafka_topic_partition_list_add(sub, r->topics[k],
                                          RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(r->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (err) {
        snprintf(errstr, errstr_size, "cannot subscribe: %s",
                 rd_kafka_err2str(err));
        return -1;
    }
    r->last_commit = r->last_stats = rs_runner_now_ms();
    while (!*stop && !r->fatal) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->consumer, 5);
        int idle = m == NULL;
        int64_t now;

        if (sig->reload && *sig->reload) {
            *sig->reload = 0;
            if (sig->load)
                reload(r, sig);
        }
        for (int n = 0; m && n < TAKE_MAX; n++) {
            take_polled(r, m);
            m = r->fatal ? NULL : rd_kafka_consumer_poll(r->consumer, 0);
        }
        if (m)
            take_polled(r, m);
        process(r);
        now = rs_runner_now_ms();
        if (!r->fatal)
            commit_turn(r, now);
        if (now - r->last_stats >= STATS_INTERVAL_MS) {
            log_stats(r);
            r->last_stats = now;
        }
        if (idle) {
            trim_heap(r, now);
        } else {
            r->trim_pending = 1;
            r->last_record = now;
        }
    }
    if (!r->fatal && rs_runner_commit_all(r, errstr, errstr_size))
        rs_runner_fatal(r, "%s", errstr);
    log_stats(r);
    /* Leaves the group; the revoke callback commits (nothing left) and
     * drops the tasks. */
    rd_kafka_consumer_close(r->consumer);
    if (r->fatal)
        snprintf(errstr, errstr_size, "%s", r->fatal_msg);
    else
        rc = 0;
    return rc;
}

void rs_runner_destroy(struct rs_runner *r)
{
    if (!r)
        return;
    if (r->slots) {
        rs_runner_drop_slots(r);
        free(r->slots);
    }
    rs_commit_release(r);
    if (r->consumer)
        rd_kafka_destroy(r->consumer);
    if (r->producer)
        rd_kafka_destroy(r->producer);
    rs_store_destroy(r->store);
    rs_decoder_destroy(r->dec);
    rs_registry_destroy(r->reg);
    free(r->prefetch_keys);
    free(r);
}
