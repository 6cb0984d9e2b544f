/* The daemon's exactly-once machinery (runner.c has the loop): Kafka
 * transactions, the commit of every changed task, and the recovery of a
 * task when it is assigned. The commit order and why it is safe are in
 * runner.c's opening comment and docs/architecture.md. */
#include "riskstream/runner.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Kafka transactions. */

static int produce_span(struct rs_runner *r, const struct rs_span *sp)
{
    for (size_t i = 0; i < sp->count; i++) {
        const struct rs_outbox_entry *e = &sp->v[i];
        const char *topic = e->topic == RS_OUTBOX_ALERTS ? r->conf->topic_alerts
                            : e->topic == RS_OUTBOX_GROUP
                                ? r->conf->topic_bureau
                                : r->conf->topic_deadletter;
        rd_kafka_resp_err_t err;

        for (;;) {
            err = rd_kafka_producev(
                r->producer, RD_KAFKA_V_TOPIC(topic),
                RD_KAFKA_V_KEY(e->key, e->key_len),
                RD_KAFKA_V_VALUE(e->value, e->value_len),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(r->producer, 10);
        }
        if (err) {
            rs_log_error("runner", "cannot produce to '%s': %s", topic,
                         rd_kafka_err2str(err));
            return -1;
        }
    }
    return 0;
}

/* Before an abort: lets the records already produced be delivered (or
 * fail). An abort racing the transaction's first produce can fail fatally
 * with INVALID_TXN_STATE in librdkafka 2.0.2 (#4849, docs/dependencies.md
 * K13); a flush first leaves the abort nothing in flight. Bounded by the
 * transaction timeout, after which librdkafka fails the records itself. */
static void abort_settle(struct rs_runner *r)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(r->producer, 60000);

    if (e)
        rs_log_warn("runner", "before aborting, records still in flight: %s",
                    rd_kafka_err2str(e));
}

int rs_runner_txn_start(struct rs_runner *r, const struct rs_span *spans,
                        size_t nspans)
{
    rd_kafka_error_t *err = rd_kafka_begin_transaction(r->producer);

    if (err) {
        rs_log_warn("runner", "cannot begin a transaction early: %s",
                    rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
        return -1;
    }
    for (size_t i = 0; i < nspans; i++) {
        if (produce_span(r, &spans[i])) {
            rs_runner_txn_drop(r);
            return -1;
        }
    }
    return 0;
}

void rs_runner_txn_drop(struct rs_runner *r)
{
    rd_kafka_error_t *err;

    abort_settle(r);
    err = rd_kafka_abort_transaction(r->producer, -1);
    if (err) {
        rs_log_warn("runner", "cannot abort the transaction begun early: %s",
                    rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
    }
}

int rs_runner_txn_run(struct rs_runner *r, const struct rs_span *spans,
                      size_t nspans, rd_kafka_topic_partition_list_t *offsets,
                      int started, char *errstr, size_t errstr_size)
{
    rd_kafka_consumer_group_metadata_t *cgmd =
        rd_kafka_consumer_group_metadata(r->consumer);
    rd_kafka_error_t *err = NULL;
    int rc = -1;

    for (int attempt = 1; attempt <= TXN_ATTEMPTS; attempt++) {
        int produced = 1;

        if (err)
            rd_kafka_error_destroy(err);
        err = NULL;
        if (!(started && attempt == 1)) {
            err = rd_kafka_begin_transaction(r->producer);
            if (err)
                goto failed;
            for (size_t i = 0; i < nspans && produced; i++)
                produced = produce_span(r, &spans[i]) == 0;
        }
        if (!produced) {
            abort_settle(r);
            err = rd_kafka_abort_transaction(r->producer, -1);
            if (err)
                goto failed;
            continue;
        }
        if (offsets->cnt) {
            err = rd_kafka_send_offsets_to_transaction(r->producer, offsets,
                                                       cgmd, -1);
            if (err)
                goto failed;
        }
        for (int c = 0; c < TXN_ATTEMPTS; c++) {
            err = rd_kafka_commit_transaction(r->producer, -1);
            if (!err || !rd_kafka_error_is_retriable(err))
                break;
            rd_kafka_error_destroy(err);
            err = NULL;
        }
        if (!err) {
            rc = 0;
            goto out;
        }
    failed:
        rs_log_warn("runner", "transaction attempt %d failed: %s", attempt,
                    rd_kafka_error_string(err));
        if (rd_kafka_error_is_fatal(err))
            break;
        if (rd_kafka_error_txn_requires_abort(err)) {
            rd_kafka_error_t *aerr;

            abort_settle(r);
            aerr = rd_kafka_abort_transaction(r->producer, -1);
            if (aerr) {
                rd_kafka_error_destroy(err);
                err = aerr;
                break;
            }
        }
    }
    snprintf(errstr, errstr_size, "Kafka transaction failed: %s",
             err ? rd_kafka_error_string(err) : "could not produce");
out:
    if (err)
        rd_kafka_error_destroy(err);
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    return rc;
}

void rs_runner_add_offsets(struct rs_runner *r,
                           rd_kafka_topic_partition_list_t *list,
                           int partition,
                           const int64_t offsets[RS_EVENT_KINDS])
{
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        if (offsets[k] != RS_NO_OFFSET)
            rd_kafka_topic_partition_list_add(list, r->topics[k], partition)
                ->offset = offsets[k];
}

/* Assignment and recovery. */

static int committed_offsets(struct rs_runner *r, int partition,
                             int64_t out[RS_EVENT_KINDS], char *errstr,
                             size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new(RS_EVENT_KINDS);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

    for (int k = 0; k < RS_EVENT_KINDS; k++)
        rd_kafka_topic_partition_list_add(list, r->topics[k], partition);
    /* Offsets of a transaction still open elsewhere are "unstable" until
     * it ends; wait for that rather than read a half-truth. */
    for (int i = 0; i < COMMITTED_ATTEMPTS; i++) {
        err = rd_kafka_committed(r->consumer, list, COMMITTED_TIMEOUT_MS);
        if (err != RD_KAFKA_RESP_ERR__TIMED_OUT &&
            err != RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT)
            break;
        rs_log_warn("runner", "task %d: committed offsets not available "
                              "yet (%s); waiting",
                    partition, rd_kafka_err2str(err));
    }
    if (err) {
        snprintf(errstr, errstr_size,
                 "cannot read Kafka's committed offsets of task %d: %s",
                 partition, rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(list);
        return -1;
    }
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        int64_t o = list->elems[k].offset;

        out[k] = o >= 0 ? o : RS_NO_OFFSET;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return 0;
}

static int offsets_equal(const int64_t a[RS_EVENT_KINDS],
                         const int64_t b[RS_EVENT_KINDS])
{
    return memcmp(a, b, sizeof(int64_t) * RS_EVENT_KINDS) == 0;
}

static int offsets_none(const int64_t a[RS_EVENT_KINDS])
{
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        if (a[k] != RS_NO_OFFSET)
            return 0;
    return 1;
}

static void format_offsets(char *out, size_t size,
                           const struct rs_runner *r,
                           const int64_t o[RS_EVENT_KINDS])
{
    size_t n = 0;

    for (int k = 0; k < RS_EVENT_KINDS && n < size; k++)
        n += (size_t)snprintf(out + n, size - n, "%s%s=%" PRId64,
                              k ? " " : "", r->topics[k], o[k]);
}

/* Brings Kafka and the store of one task into agreement, or refuses. */
static int recover_task(struct rs_runner *r, int p,
                        const struct rs_task_meta *meta, char *errstr,
                        size_t errstr_size)
{
    int64_t kafka[RS_EVENT_KINDS];
    char ks[256], rs[256];

    if (committed_offsets(r, p, kafka, errstr, errstr_size))
        return -1;
    format_offsets(ks, sizeof(ks), r, kafka);
    if (!meta->has_offsets) {
        if (!offsets_none(kafka)) {
            snprintf(errstr, errstr_size,
                     "task %d: Redis holds no state, but the consumer group "
                     "has committed offsets (%s): Redis lost its data or "
                     "points at another deployment. Refusing to continue; "
                     "restore Redis, or reset the group's offsets to replay",
                     p, ks);
            return -1;
        }
        return 0; /* a new task */
    }
    format_offsets(rs, sizeof(rs), r, meta->offsets);
    if (offsets_equal(kafka, meta->offsets))
        return 0; /* the last flush was committed */
    if ((meta->has_prev && offsets_equal(kafka, meta->prev_offsets)) ||
        (!meta->has_prev && offsets_none(kafka))) {
        /* Crash between the flush and its transaction: send it again. */
        struct rs_span sp = {meta->outbox, meta->outbox_count};
        rd_kafka_topic_partition_list_t *list =
            rd_kafka_topic_partition_list_new(RS_EVENT_KINDS);
        int rc;

        rs_runner_add_offsets(r, list, p, meta->offsets);
        rs_log_info("runner", "task %d: re-sending %zu records of the last "
                              "flush that Kafka did not commit (%s -> %s)",
                    p, meta->outbox_count, ks, rs);
        rc = rs_runner_txn_run(r, &sp, 1, list, 0, errstr, errstr_size);
        rd_kafka_topic_partition_list_destroy(list);
        if (rc == 0)
            r->transactions++;
        return rc;
    }
    if (offsets_none(kafka)) {
        rs_log_warn("runner", "task %d: the consumer group has no committed "
                              "offsets (expired?); continuing from Redis' "
                              "offsets %s",
                    p, rs);
        return 0;
    }
    snprintf(errstr, errstr_size,
             "task %d: Redis state (%s) and Kafka's committed offsets (%s) "
             "disagree beyond one commit: Redis lost writes or was restored "
             "from an old copy. Refusing to continue silently",
             p, rs, ks);
    return -1;
}

int rs_runner_assign(struct rs_runner *r,
                        rd_kafka_topic_partition_list_t *parts, char *errstr,
                        size_t errstr_size)
{
    unsigned char *have = rs_calloc((size_t)r->partitions, 1);
    int rc = -1;

    for (int i = 0; i < parts->cnt; i++) {
        int k = rs_runner_kind_of(r, parts->elems[i].topic);
        int p = parts->elems[i].partition;

        if (k < 0 || p < 0 || p >= r->partitions) {
            snprintf(errstr, errstr_size, "assigned unexpected %s [%d]",
                     parts->elems[i].topic, p);
            goto out;
        }
        have[p] |= (unsigned char)(1u << k);
    }
    for (int p = 0; p < r->partitions; p++) {
        struct rs_task_meta meta;
        struct slot *s;

        if (!have[p])
            continue;
        if (have[p] != (1u << RS_EVENT_KINDS) - 1) {
            snprintf(errstr, errstr_size,
                     "task %d was assigned without all four input topics "
                     "(mask %x): the assignment is not co-partitioned; use "
                     "partition.assignment.strategy=range",
                     p, have[p]);
            goto out;
        }
        memset(&meta, 0, sizeof(meta));
        if (rs_store_open_task(r->store, p, &meta, errstr, errstr_size) !=
            RS_STORE_OK)
            goto out;
        if (recover_task(r, p, &meta, errstr, errstr_size)) {
            rs_store_meta_release(&meta);
            goto out;
        }
        s = rs_calloc(1, sizeof(*s));
        s->task = rs_task_new(&r->params, r->store, p, &meta);
        rs_order_init(&s->order, (size_t)r->conf->order_queue_records,
                      r->conf->order_max_wait_ms);
        rs_task_offsets(s->task, s->committed);
        for (int k = 0; k < RS_EVENT_KINDS; k++)
            s->taken[k] = s->committed[k] > 0 ? s->committed[k] : 0;
        r->slots[p] = s;
        for (int i = 0; i < parts->cnt; i++) {
            if (parts->elems[i].partition != p)
                continue;
            int k = rs_runner_kind_of(r, parts->elems[i].topic);

            /* RS_NO_OFFSET (-1) is librdkafka's OFFSET_END: a topic of
             * the task that had nothing applied yet starts at its
             * beginning, never at its end. */
            parts->elems[i].offset =
                meta.has_offsets && meta.offsets[k] != RS_NO_OFFSET
                    ? meta.offsets[k]
                    : RD_KAFKA_OFFSET_BEGINNING;
        }
        rs_log_info("runner", "task %d assigned (epoch %" PRIu64
                              ", stream time %" PRId64 ")",
                    p, meta.epoch, meta.stream_time);
        rs_store_meta_release(&meta);
    }
    rc = 0;
out:
    free(have);
    return rc;
}

void rs_runner_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct rs_runner *r = opaque;
    char errstr[1024];

    /* Tasks change hands only between commits. */
    if (rs_commit_poll(r, 1, errstr, sizeof(errstr)))
        rs_runner_fatal(r, "%s", errstr);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (!r->fatal && rs_runner_assign(r, parts, errstr, sizeof(errstr))) {
            rs_runner_fatal(r, "%s", errstr);
            rs_runner_drop_slots(r);
        }
        rd_kafka_assign(rk, r->fatal ? NULL : parts);
        return;
    }
    /* Revoked: commit what the tasks did, then let them go. */
    if (!r->fatal && rs_runner_commit_all(r, errstr, sizeof(errstr)))
        rs_runner_fatal(r, "cannot commit before giving tasks up: %s", errstr);
    rs_runner_drop_slots(r);
    rd_kafka_assign(rk, NULL);
}
