/* The engine of one task: events in, state and alerts out.
 *
 * A task owns the customers of one partition number. rs_task_apply() takes
 * decoded events in the order the orderer chose (event time across the four
 * topics), fires the event-time timers that fall before each event, updates
 * the customer's state, runs the detectors, and when the risk level
 * changes, encodes a RiskAlert into the task's pending outbox. State lives
 * in a bounded cache written behind to the store by rs_task_flush(), which
 * also saves the applied offsets and the outbox in the same atomic step.
 *
 * The engine never talks to Kafka. It talks to the store through struct
 * rs_store (Redis in the daemon, memory in backtests and tests).
 *
 * Ownership: rs_task_new() borrows params and store, which must outlive the
 * task; rs_task_destroy() frees the task. */
#ifndef RS_ENGINE_H
#define RS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/detector.h"
#include "riskstream/event.h"
#include "riskstream/score.h"
#include "riskstream/store.h"

struct rs_engine_params {
    /* Bumped by whoever changes the parameters below in place (a reload):
     * cached detector answers of another generation are not reused. */
    uint32_t generation;
    /* 1: evaluate every detector on every evaluation, reusing nothing
     * (to check that reuse changes no result). */
    int evaluate_all;
    /* How many of a detector's timers to look past for the first that
     * changes its answer (0: none; see next_change() in engine.c). */
    int evaluate_lookahead;
    int64_t lateness_ms;
    size_t cache_customers;
    struct rs_detector_params detectors;
    struct rs_scoring scoring;
    uint32_t alert_schema_id;
    uint32_t deadletter_schema_id;
    uint32_t relay_schema_id; /* CreditBureauEvent-v2, for group relays */
    const char *topics[RS_EVENT_KINDS]; /* input topic names, for alerts */
    /* Called with every alert as it is made (backtests, tests); optional. */
    void (*on_alert)(void *opaque, const struct rs_alert *alert);
    /* Called with every group relay as it is made: the receiving customer
     * (the key) and the framed record for the bureau topic. A backtest
     * feeds it back as input; the daemon produces it from the outbox. */
    void (*on_relay)(void *opaque, const char *customer, const void *value,
                     size_t len, int64_t event_time);
    void *opaque;
};

struct rs_config;

/* The parameters that come from the configuration (all but the schema ids
 * and the callbacks), as the daemon and the backtest both take them. */
void rs_engine_params_from_config(struct rs_engine_params *params,
                                  const struct rs_config *conf);

enum rs_apply_result {
    RS_APPLY_OK,
    RS_APPLY_LATE,  /* beyond the allowed lateness and not applicable: the
                       caller dead-letters it with the reason in errstr */
    RS_APPLY_ERROR, /* the store failed; errstr says why */
};

struct rs_task_stats {
    uint64_t events;
    uint64_t alerts;
    uint64_t relays; /* group relays made (src/detectors/group.c) */
    uint64_t duplicates; /* events not applied: a repeated event_id */
    uint64_t suppressed;
    uint64_t timers_fired;
    uint64_t late_applied;
    uint64_t deadletters[RS_ERROR_CLASSES];
    uint64_t flushes;
    uint64_t customers_flushed;
};

struct rs_task;

/* A task resuming from the store's meta (epoch, offsets, stream time). */
struct rs_task *rs_task_new(const struct rs_engine_params *params,
                            struct rs_store *store, int task,
                            const struct rs_task_meta *meta);
void rs_task_destroy(struct rs_task *t);

int rs_task_id(const struct rs_task *t);
int64_t rs_task_stream_time(const struct rs_task *t);

enum rs_apply_result rs_task_apply(struct rs_task *t, const struct rs_event *ev,
                                   char *errstr, size_t errstr_size);

/* Advances stream time to upto with no event, firing the timers due by
 * then (backtests at the end of their data; tests). Returns 0 or -1 with
 * errstr when the store failed. */
int rs_task_advance(struct rs_task *t, int64_t upto, char *errstr,
                    size_t errstr_size);

/* What the detectors find for a customer at the task's stream time, after
 * segment weights, strongest first, without changing anything. Returns the
 * number of findings (and the combined score in *score), or -1 when the
 * customer is unknown or the store failed. */
int rs_task_findings(struct rs_task *t, const char *customer,
                     struct rs_finding *out, int max, int32_t *score);

/* The same for a newcomer the task has never seen, as it receives its
 * first invoice: no event applied, no state, an invoice counted (so the
 * payment record grades it at its prior: an unknown customer is an
 * average one, not the safest). Returns the number of findings, or -1
 * when out of memory. */
int rs_task_findings_newcomer(struct rs_task *t, const char *customer,
                              struct rs_finding *out, int max,
                              int32_t *score);

/* Loads the stored state of those of the n customers that are not in the
 * task's memory, in one batch where the store can (a Redis round trip for
 * them all instead of one each), so that applying their events finds them
 * resident. Duplicates are fine. Changes nothing the engine decides. 0, or
 * -1 with errstr (a store failure, a corrupt state naming its customer). */
int rs_task_prefetch(struct rs_task *t, const char *const *ids, size_t n,
                     char *errstr, size_t errstr_size);

/* How many customers one prefetch should name at most: a quarter of the
 * task's cache, so that a batch (records' customers and due timers'
 * customers each) is not evicted by its own end before it is used. */
size_t rs_task_prefetch_max(const struct rs_task *t);

/* 1 when the customer is in the task's cache (as a state, or as known to
 * have none), so that applying its record needs no store read. */
int rs_task_resident(struct rs_task *t, const char *customer);

/* Hints that the customer will be applied to soon (rs_cache_prefetch):
 * step 0 computes *hash, steps 1 and 2 take it. */
void rs_task_hint(struct rs_task *t, const char *customer, uint64_t *hash,
                  int step);

/* The same for the customers of the first max timers that fall due by
 * upto (the latest event time queued, say): they would each be loaded
 * when their timer fires as stream time passes them. 0, or -1 with
 * errstr. */
int rs_task_prefetch_due(struct rs_task *t, int64_t upto, size_t max,
                         char *errstr, size_t errstr_size);

/* Reads the stored timers the stream will reach before the next commit,
 * judging by how far it moved since the last call (twice that, at most
 * 56 days): for a commit's turn, when Redis runs no flush of this process's,
 * so that the read waits for nothing (a read while a flush runs waits it
 * out). Reading early changes nothing the engine decides; what is not
 * read here is read when the stream reaches it, as before. 0, or -1 with
 * errstr when the store failed. */
int rs_task_preload_timers(struct rs_task *t, char *errstr,
                           size_t errstr_size);

/* Gives back what the task keeps for reuse from one commit to the next,
 * as large as a backlog commit made them: its outboxes' buffers when
 * they are empty, the packed states and lists of its last flush, and the
 * cache's lists of changed customers. For an input gone quiet, with no
 * flush under way (between rs_task_flush_end and the next begin). */
void rs_task_trim(struct rs_task *t);

/* The customer's state, or NULL when unknown (valid until the next call
 * into the task). */
const struct rs_customer *rs_task_customer(struct rs_task *t,
                                           const char *customer);

/* Queues a dead letter (encoded now, so dl's bytes may go afterwards). */
void rs_task_deadletter(struct rs_task *t, const struct rs_deadletter *dl);

/* Marks the message at offset of the kind's partition as done: the next
 * flush stores offset + 1 as the task's applied offset for that topic. */
void rs_task_done(struct rs_task *t, enum rs_event_kind kind, int64_t offset);

/* The applied (next) offsets, RS_NO_OFFSET where nothing was applied yet. */
void rs_task_offsets(const struct rs_task *t, int64_t out[RS_EVENT_KINDS]);

/* 1 when the task has changes the next flush would write. */
int rs_task_has_changes(const struct rs_task *t);

/* 1 when more customers are dirty than the cache holds: a flush should
 * come early (the cache grows past its cap by its dirty customers). */
int rs_task_wants_flush(const struct rs_task *t);

/* Writes dirty customers, offsets, stream time and the pending outbox to
 * the store in one atomic step: rs_task_flush_begin(), rs_store_flush()
 * and rs_task_flush_end() in one go. On RS_STORE_OK the pending outbox has
 * become the in-flight outbox (what the next Kafka transaction must
 * produce). On failure the task is not fit to go on (its changes were
 * taken): the caller gives it up. */
enum rs_store_result rs_task_flush(struct rs_task *t, char *errstr,
                                   size_t errstr_size);

/* The same in two halves, so that the store write (and the Kafka
 * transaction after it) can run on another thread while this one goes on
 * applying records. rs_task_flush_begin() packs every dirty customer, and
 * takes the offsets, the stream time and the pending outbox (which becomes
 * the in-flight outbox), into memory the task does not touch again until
 * rs_task_flush_end(); NULL when there is nothing to write. Until then the
 * customers taken stay resident (cache.h, "flushing"), and the caller must
 * not begin another flush nor destroy the task, and must write the flush
 * with a store connection of its own or not read the store meanwhile.
 * rs_task_flush_end() says the write landed: those customers may be
 * evicted again. The records to produce are rs_task_inflight(). */
const struct rs_flush *rs_task_flush_begin(struct rs_task *t);
void rs_task_flush_end(struct rs_task *t);

/* The records of the last flush, to produce in the Kafka transaction that
 * commits its offsets; cleared by rs_task_inflight_done() after the
 * commit. */
const struct rs_outbox_entry *rs_task_inflight(const struct rs_task *t,
                                               size_t *count);
void rs_task_inflight_done(struct rs_task *t);

const struct rs_task_stats *rs_task_stats(const struct rs_task *t);

/* Timers waiting in the task's heap (its memory: an entry each, stale
 * ones included until they come due). */
size_t rs_task_timers_queued(const struct rs_task *t);

#endif
