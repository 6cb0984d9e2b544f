/* The daemon's private parts, shared by runner.c (the loop, records,
 * setup, reload) and runner_txn.c (transactions, commits, assignment and
 * recovery). Only those two files include it. */
#ifndef RS_RUNNER_INTERNAL_H
#define RS_RUNNER_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "riskstream/config.h"
#include "riskstream/engine.h"
#include "riskstream/order.h"
#include "riskstream/store.h"

#define TXN_ATTEMPTS 3
#define COMMITTED_TIMEOUT_MS 10000
#define COMMITTED_ATTEMPTS 9
#define PREFETCH_MAX 4096 /* customers loaded in one batch */

struct slot {
    struct rs_task *task;
    struct rs_order order;
    int paused[RS_EVENT_KINDS];
    int64_t committed[RS_EVENT_KINDS]; /* offsets of the last transaction */
    /* Records that arrived while a partition's orderer queue was full,
     * undecoded: they wait here, in offset order, and move into the queue
     * as it drains; no seek, so nothing can be skipped or read twice. The
     * partition pauses when order.buffer.records wait. */
    rd_kafka_message_t **spill[RS_EVENT_KINDS];
    size_t spill_head[RS_EVENT_KINDS];
    size_t spill_count[RS_EVENT_KINDS];
    size_t spill_cap[RS_EVENT_KINDS];
    /* The partition's end was reached while records still waited here:
     * it is caught up once they are in the queue. */
    int eof_pending[RS_EVENT_KINDS];
    /* Offset after the last record taken from the partition. */
    int64_t taken[RS_EVENT_KINDS];
    /* Offset after the last queued record whose customer was prefetched. */
    int64_t prefetched[RS_EVENT_KINDS];
};

/* Records of one task's outbox, to produce in a transaction. */
struct rs_span {
    const struct rs_outbox_entry *v;
    size_t count;
};

enum rs_commit_state { RS_COMMIT_IDLE, RS_COMMIT_HANDED, RS_COMMIT_DONE };

/* The commit written by the committer thread (runner_commit.c). Arrays by
 * partition number. */
struct rs_commit {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    enum rs_commit_state state; /* under mu */
    int quit;                   /* under mu */
    int busy; /* the loop's own: handed over and not finished */
    struct rs_store *store; /* the committer's connection */
    /* The job: filled by the loop, then read by the committer. */
    unsigned char *member; /* the task takes part */
    struct rs_task **task;
    const struct rs_flush **flush; /* NULL: nothing to write */
    int64_t (*offsets)[RS_EVENT_KINDS]; /* what the transaction commits */
    unsigned char *send_offsets; /* they differ from the last commit's */
    int64_t begun_at, prepare_ms;
    /* The result: written by the committer, then read by the loop. */
    enum rs_store_result *result;
    char (*why)[512];
    struct rs_span *spans;
    int rc;
    char errstr[1024];
    int transactions;
    int64_t flush_ms, txn_ms;
};

struct rs_runner {
    const struct rs_config *conf;
    struct rs_registry *reg;
    struct rs_decoder *dec;
    struct rs_store *store;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    struct rs_engine_params params;
    const char *topics[RS_EVENT_KINDS];
    int partitions;
    struct slot **slots; /* by partition number; NULL: not ours */
    /* The keys of spilled records being prefetched, RS_ID_MAX bytes each
     * (PREFETCH_MAX of them). */
    char *prefetch_keys;
    char instance[256];
    int fatal;
    char fatal_msg[1024];
    int64_t last_commit; /* when the last commit began */
    int commit_now;      /* a task wants its flush: commit at once */
    int64_t last_stats;
    int64_t last_record; /* when a poll last returned something */
    int trim_pending;    /* records were taken since the heap was trimmed */
    int64_t commit_interval_ms; /* reloadable */
    int64_t catchup_interval_ms; /* reloadable: while behind */
    int64_t catchup_lag;         /* reloadable: records behind = a backlog */
    uint64_t records;
    uint64_t deadletters[RS_ERROR_CLASSES];
    uint64_t alerts_committed;
    uint64_t transactions;
    /* Commits since the last stats line, and where their time went. */
    uint64_t commits_timed;
    int64_t commit_prepare_ms, commit_flush_ms, commit_txn_ms, commit_max_ms;
    struct rs_commit commit;
};

/* Monotonic milliseconds. */
int64_t rs_runner_now_ms(void);

/* Stops the loop with a logged reason (the first one is kept). */
void rs_runner_fatal(struct rs_runner *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The event kind of an input topic, or -1. */
int rs_runner_kind_of(const struct rs_runner *r, const char *topic);

void rs_runner_slot_destroy(struct slot *s);
/* Gives task p's slot up: resumes the partitions it paused, frees it. */
void rs_runner_slot_drop(struct rs_runner *r, int p);
/* Every slot (after waiting for the commit under way). */
void rs_runner_drop_slots(struct rs_runner *r);

/* The committer (runner_commit.c): its thread and Redis connection. */
int rs_commit_init(struct rs_runner *r, char *errstr, size_t errstr_size);
void rs_commit_release(struct rs_runner *r);

/* Begins a commit of every changed task and hands it to the committer
 * (which must be idle: rs_commit_busy() 0). */
void rs_commit_begin(struct rs_runner *r);

/* 1 while a commit is handed over and not finished. */
int rs_commit_busy(struct rs_runner *r);

/* Finishes the commit under way if the committer is done with it (or,
 * with wait, once it is). 0, or -1 with errstr when it failed. */
int rs_commit_poll(struct rs_runner *r, int wait, char *errstr,
                   size_t errstr_size);

/* Waits for the commit under way, then commits every changed task and
 * waits for that too. 0, or -1 with errstr. */
int rs_runner_commit_all(struct rs_runner *r, char *errstr,
                         size_t errstr_size);

/* One Kafka transaction: the spans' records and the offsets, retried as
 * the protocol allows; started: rs_runner_txn_start() began it with these
 * spans already (a retry begins it again). 0, or -1 with errstr. */
int rs_runner_txn_run(struct rs_runner *r, const struct rs_span *spans,
                      size_t nspans, rd_kafka_topic_partition_list_t *offsets,
                      int started, char *errstr, size_t errstr_size);

/* Begins a transaction and produces the spans' records into it, to be
 * committed by rs_runner_txn_run(..., started = 1) or dropped. 0, or -1
 * (nothing begun, a warning logged). */
int rs_runner_txn_start(struct rs_runner *r, const struct rs_span *spans,
                        size_t nspans);
/* Aborts the transaction rs_runner_txn_start() began. */
void rs_runner_txn_drop(struct rs_runner *r);

/* Adds the task's offsets (those not RS_NO_OFFSET) to list. */
void rs_runner_add_offsets(struct rs_runner *r,
                           rd_kafka_topic_partition_list_t *list,
                           int partition,
                           const int64_t offsets[RS_EVENT_KINDS]);

/* Takes the assigned partitions as tasks, recovering each from the store
 * and Kafka's committed offsets. 0, or -1 with errstr. */
int rs_runner_assign(struct rs_runner *r,
                     rd_kafka_topic_partition_list_t *parts, char *errstr,
                     size_t errstr_size);

/* The consumer's rebalance callback (opaque: the runner). */
void rs_runner_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *parts,
                            void *opaque);

#endif
