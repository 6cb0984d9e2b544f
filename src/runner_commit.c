/* The commit, written by a thread of its own while the loop goes on.
 *
 * A commit has two halves. The loop (runner.c) begins it: every changed
 * task packs its dirty customers and hands over its offsets and outbox
 * (rs_task_flush_begin), which costs the loop only the packing. The
 * committer thread then writes each task's flush to Redis over its own
 * connection and runs the Kafka transaction (runner_txn.c) that produces
 * the outboxes and commits the same offsets. Meanwhile the loop goes on
 * consuming and applying; its new alerts gather in the tasks' pending
 * outboxes for the next commit. When the committer is done, the loop ends
 * the commit (rs_task_flush_end, the committed offsets, dropping fenced
 * tasks) and may begin the next one.
 *
 * What keeps this exactly once is what kept the synchronous commit so
 * (runner.c's opening comment): a task is flushed again only after the
 * transaction of its last flush ended, so Redis is never more than one
 * flush ahead of Kafka. What is new is the overlap, and three rules make
 * it safe:
 *   - the customers of a flush under way stay resident (cache.h,
 *     "flushing"): none is evicted and read back from Redis before its
 *     write landed;
 *   - the committer has its own Redis connection (the loop loads customers
 *     on the other) and the loop never produces: the producer is the
 *     committer's while a commit is under way;
 *   - whatever gives tasks up or reads Kafka's commits (a rebalance, the
 *     shutdown, a fatal error) waits for the commit under way first.
 *
 * Between the threads: the job (filled by the loop before it hands over,
 * read by the committer) and the result (written by the committer before
 * it says done, read by the loop after), handed over under one mutex. */
#include "riskstream/runner.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/engine.h"
#include "riskstream/log.h"
#include "riskstream/mem.h"
#include "riskstream/store.h"
#include "runner_internal.h"

static void *committer_main(void *arg);

int rs_commit_init(struct rs_runner *r, char *errstr, size_t errstr_size)
{
    struct rs_commit *c = &r->commit;
    size_t n = (size_t)r->partitions;

    c->store = rs_store_redis_new(r->conf, errstr, errstr_size);
    if (!c->store)
        return -1;
    c->flush = rs_calloc(n, sizeof(*c->flush));
    c->task = rs_calloc(n, sizeof(*c->task));
    c->offsets = rs_calloc(n, sizeof(*c->offsets));
    c->member = rs_calloc(n, sizeof(*c->member));
    c->send_offsets = rs_calloc(n, sizeof(*c->send_offsets));
    c->result = rs_calloc(n, sizeof(*c->result));
    c->spans = rs_calloc(n, sizeof(*c->spans));
    c->why = rs_calloc(n, sizeof(*c->why));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->state = RS_COMMIT_IDLE;
    if (pthread_create(&c->thread, NULL, committer_main, r)) {
        snprintf(errstr, errstr_size, "cannot start the committer thread");
        return -1;
    }
    c->started = 1;
    return 0;
}

void rs_commit_release(struct rs_runner *r)
{
    struct rs_commit *c = &r->commit;

    if (c->started) {
        pthread_mutex_lock(&c->mu);
        c->quit = 1;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        c->started = 0;
    }
    rs_store_destroy(c->store);
    free(c->flush);
    free(c->task);
    free(c->offsets);
    free(c->member);
    free(c->send_offsets);
    free(c->result);
    free(c->spans);
    free(c->why);
    memset(c, 0, sizeof(*c));
}

/* The committer's half: every task's flush, then one transaction. The
 * transaction is begun and the outboxes produced into it first, so that
 * librdkafka sends them while Redis writes; it commits only after every
 * flush landed, as before, so Redis is still never behind Kafka. A task
 * fenced meanwhile must not have its records committed: the transaction
 * is then aborted and run again without them (rare: a zombie). */
static void run_job(struct rs_runner *r)
{
    struct rs_commit *c = &r->commit;
    rd_kafka_topic_partition_list_t *offsets =
        rd_kafka_topic_partition_list_new(r->partitions * RS_EVENT_KINDS);
    size_t nspans = 0, kept = 0, records = 0;
    int started = 0, fenced = 0;
    int64_t t0, t1;

    c->rc = 0;
    c->errstr[0] = '\0';
    c->transactions = 0;
    for (int p = 0; p < r->partitions; p++) {
        if (!c->member[p] || !c->flush[p])
            continue;
        c->spans[nspans].v =
            rs_task_inflight(c->task[p], &c->spans[nspans].count);
        records += c->spans[nspans].count;
        nspans++;
    }
    if (records)
        started = rs_runner_txn_start(r, c->spans, nspans) == 0;
    t0 = rs_runner_now_ms();
    for (int p = 0, i = 0; p < r->partitions; p++) {
        if (!c->member[p])
            continue;
        if (c->flush[p]) {
            struct rs_span sp = c->spans[i++];

            c->result[p] = rs_store_flush(c->store, p, c->flush[p], c->why[p],
                                          sizeof(c->why[p]));
            if (c->result[p] == RS_STORE_FENCED) {
                fenced = 1;
                continue; /* another instance has it: not ours to commit */
            }
            if (c->result[p] != RS_STORE_OK) {
                snprintf(c->errstr, sizeof(c->errstr), "%s", c->why[p]);
                c->rc = -1;
                if (started)
                    rs_runner_txn_drop(r);
                goto out;
            }
            c->spans[kept++] = sp;
        }
        if (c->send_offsets[p])
            rs_runner_add_offsets(r, offsets, p, c->offsets[p]);
    }
    if (started && fenced) {
        rs_runner_txn_drop(r);
        started = 0;
    }
    records = 0;
    for (size_t i = 0; i < kept; i++)
        records += c->spans[i].count;
    t1 = rs_runner_now_ms();
    if (offsets->cnt || records || started) {
        if (rs_runner_txn_run(r, c->spans, kept, offsets, started, c->errstr,
                              sizeof(c->errstr))) {
            c->rc = -1;
            goto out;
        }
        c->transactions = 1;
        c->flush_ms = t1 - t0;
        c->txn_ms = rs_runner_now_ms() - t1;
    }
out:
    rd_kafka_topic_partition_list_destroy(offsets);
}

static void *committer_main(void *arg)
{
    struct rs_runner *r = arg;
    struct rs_commit *c = &r->commit;

    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->quit && c->state != RS_COMMIT_HANDED)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->quit)
            break;
        pthread_mutex_unlock(&c->mu);
        run_job(r);
        pthread_mutex_lock(&c->mu);
        c->state = RS_COMMIT_DONE;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* The loop's half after the committer: 0, or -1 with errstr. */
static int finish(struct rs_runner *r, char *errstr, size_t errstr_size)
{
    struct rs_commit *c = &r->commit;

    for (int p = 0; p < r->partitions; p++) {
        struct slot *s = r->slots[p];

        if (!c->member[p])
            continue;
        c->member[p] = 0;
        if (c->flush[p])
            rs_task_flush_end(s->task);
        if (c->flush[p] && c->result[p] == RS_STORE_FENCED) {
            rs_log_warn("runner", "task %d was taken over by another "
                                  "instance: %s; dropping it",
                        p, c->why[p]);
            rs_runner_slot_drop(r, p);
            continue;
        }
        if (c->rc == 0) {
            rs_task_inflight_done(s->task);
            memcpy(s->committed, c->offsets[p], sizeof(s->committed));
        }
    }
    c->busy = 0;
    if (c->rc) {
        snprintf(errstr, errstr_size, "%s", c->errstr);
        return -1;
    }
    if (c->transactions) {
        int64_t total = rs_runner_now_ms() - c->begun_at;

        r->transactions++;
        r->commits_timed++;
        r->commit_prepare_ms += c->prepare_ms;
        r->commit_flush_ms += c->flush_ms;
        r->commit_txn_ms += c->txn_ms;
        if (total > r->commit_max_ms)
            r->commit_max_ms = total;
    }
    return 0;
}

int rs_commit_busy(struct rs_runner *r)
{
    return r->commit.busy;
}

int rs_commit_poll(struct rs_runner *r, int wait, char *errstr,
                   size_t errstr_size)
{
    struct rs_commit *c = &r->commit;
    int done;

    if (!c->busy)
        return 0;
    pthread_mutex_lock(&c->mu);
    while (wait && c->state == RS_COMMIT_HANDED)
        pthread_cond_wait(&c->cv, &c->mu);
    done = c->state == RS_COMMIT_DONE;
    if (done)
        c->state = RS_COMMIT_IDLE;
    pthread_mutex_unlock(&c->mu);
    return done ? finish(r, errstr, errstr_size) : 0;
}

void rs_commit_begin(struct rs_runner *r)
{
    struct rs_commit *c = &r->commit;
    int64_t t0 = rs_runner_now_ms();
    int any = 0;

    for (int p = 0; p < r->partitions; p++) {
        struct slot *s = r->slots[p];

        c->member[p] = 0;
        if (!s)
            continue;
        c->task[p] = s->task;
        c->flush[p] = rs_task_flush_begin(s->task);
        if (c->flush[p])
            memcpy(c->offsets[p], c->flush[p]->offsets, sizeof(c->offsets[p]));
        else
            rs_task_offsets(s->task, c->offsets[p]);
        c->send_offsets[p] =
            memcmp(c->offsets[p], s->committed, sizeof(s->committed)) != 0;
        c->member[p] = c->flush[p] || c->send_offsets[p];
        c->result[p] = RS_STORE_OK; /* until the committer says otherwise */
        any |= c->member[p];
    }
    r->last_commit = t0;
    if (!any)
        return;
    c->begun_at = t0;
    c->prepare_ms = rs_runner_now_ms() - t0;
    c->busy = 1;
    pthread_mutex_lock(&c->mu);
    c->state = RS_COMMIT_HANDED;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

int rs_runner_commit_all(struct rs_runner *r, char *errstr, size_t errstr_size)
{
    if (rs_commit_poll(r, 1, errstr, errstr_size))
        return -1;
    rs_commit_begin(r);
    return rs_commit_poll(r, 1, errstr, errstr_size);
}
