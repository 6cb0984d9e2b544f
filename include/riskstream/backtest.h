/* Backtest: the daemon's engine run in-process over an event file.
 *
 * The backtest is the engine's second adapter. Where the daemon reads
 * Kafka and keeps state in Redis, the backtest reads an RSEV1 event file
 * and keeps state in the memory store; between the two, everything is the
 * same code with the same parameters from the same configuration:
 *
 *   - each record goes to the task of partition P = the configured
 *     producer partitioner (kafka.producer.partitioner, default
 *     murmur2_random, as riskstream's producers use) of its key, over the
 *     partition count (topic.partitions unless given);
 *   - its offset is its position among the records of its topic and
 *     partition in the file, as if the file had been produced in order by
 *     one producer;
 *   - records are decoded by the daemon's decoder and merged per task by
 *     the daemon's orderer (order.h) with all data available, so a task
 *     applies its events in the order the daemon applies them;
 *   - undecodable and too-late records become dead letters in the task's
 *     outbox, as in the daemon, and are listed with their reason;
 *   - the alerts are the bytes of the task's outbox after each flush.
 * Tasks advance together in event time (the task with the earliest next
 * event goes first), so that records the engine emits for input topics
 * (rs_backtest_feed) reach their task before it has moved past them.
 *
 * Besides the alerts, the backtest measures what the quality figures need:
 * the score each customer held before each invoice (rs_task_findings at
 * the invoice's event time, before applying it), each invoice's payment
 * outcome, the score trajectory of each customer, the score at each label
 * time, and the customer's events for timelines.
 *
 * The event file's records are held in memory during the run (about the
 * file's size plus 40 bytes per record), capped at RS_BACKTEST_RECORDS_MAX.
 *
 * Ownership: rs_backtest_new() borrows the options (and what they point
 * to) until rs_backtest_destroy(); everything the backtest measured is
 * owned by it and valid until then. */
#ifndef RS_BACKTEST_H
#define RS_BACKTEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "riskstream/alert.h"
#include "riskstream/config.h"
#include "riskstream/event.h"
#include "riskstream/quality.h"

#define RS_BACKTEST_RECORDS_MAX 50000000
#define RS_BACKTEST_PARTITIONS_MAX 10000
/* until: stop at the last event of each task, as the daemon does. */
#define RS_BACKTEST_UNTIL_NONE INT64_MIN
/* until: fire every task's timers up to the latest event time of the file. */
#define RS_BACKTEST_UNTIL_DATA_END INT64_MAX
#define RS_BACKTEST_NO_DATE INT32_MIN

struct rs_backtest_options {
    const struct rs_config *conf; /* topics, engine parameters, partitioner */
    const char *events_path;      /* RSEV1 file */
    int partitions;               /* 0: conf->topic_partitions */
    int late_days;                /* N: "paid more than N days late" */
    int64_t until;                /* RS_BACKTEST_UNTIL_* or a time (ms) */
    const struct rs_quality_label *labels; /* may be NULL */
    size_t label_count;
    FILE *alerts_out;      /* alerts as JSON lines, or NULL */
    FILE *deadletters_out; /* dead letters as JSON lines, or NULL */
};

/* Reason codes a backtest tells apart in the scores it reads (the codes
 * of bt->reason_codes, by bit); more distinct codes are counted in
 * reasons_untold. */
#define RS_BACKTEST_REASONS_MAX 128

struct rs_reason_bits {
    uint64_t bits[RS_BACKTEST_REASONS_MAX / 64];
};

struct rs_backtest_customer {
    char id[RS_ID_MAX];
    int partition;
    uint64_t events;
    int32_t score; /* at the end */
    int level;     /* enum rs_level, at the end */
    int32_t max_score;
    size_t alerts;
    /* Label (when --labels names the customer). */
    int has_label;
    int label;
    int64_t label_time;
    int32_t label_score;    /* the score at label_time */
    struct rs_reason_bits label_reasons; /* the codes counting in it */
    double label_baseline;  /* max days late so far at label_time */
    /* Internal: the customer's invoices, linked in issue order. */
    size_t first_invoice, last_invoice, open_from;
    int64_t credit;
};

/* An invoice and how it was paid. */
struct rs_backtest_invoice {
    size_t customer;
    char id[RS_ID_MAX];
    int64_t issued_at; /* event time of the ISSUED event */
    int32_t issue_date;
    int32_t due_date;
    int64_t amount; /* less credit notes */
    int64_t paid;
    int32_t paid_date; /* RS_BACKTEST_NO_DATE while unpaid */
    int cancelled;
    int32_t score_before; /* the customer's score before it was applied */
    struct rs_reason_bits reasons; /* the codes counting in score_before */
    double baseline;      /* the naive baseline's score (see docs) */
    int outcome;          /* 1 late, 0 on time, -1 unknown or cancelled */
    int32_t days_late;    /* paid - due, or (end of data - due) if unpaid */
    size_t next;          /* next invoice of the same customer, or SIZE_MAX */
};

struct rs_backtest_alert {
    size_t customer;
    int64_t time;
    int level_before;
    int level_after;
    int32_t score_before;
    int32_t score_after;
    int32_t suppressed;
    char codes[RS_QUALITY_REASONS_MAX]; /* '|'-separated reason codes */
    char message[RS_MESSAGE_MAX];       /* the first reason's message */
};

/* A point of a customer's score trajectory: after an event or a timer
 * that changed the score or the level. */
struct rs_backtest_point {
    size_t customer;
    int64_t time;
    int32_t score;
    int level;
};

/* An applied event, for timelines. */
struct rs_backtest_mark {
    size_t customer;
    int64_t time;
    uint8_t kind; /* enum rs_event_kind */
    uint8_t type; /* the kind's type enum */
    int64_t amount;
};

struct rs_backtest_deadletter {
    uint64_t index; /* record index in the event file */
    int kind;
    int32_t partition;
    int64_t offset;
    char key[RS_ID_MAX];
    enum rs_error_class error_class;
    char why[RS_MESSAGE_MAX];
};

#define RS_BACKTEST_DEADLETTERS_KEPT 100

struct rs_backtest {
    struct rs_backtest_options opt;
    int partitions;
    char partitioner[32];

    uint64_t records;         /* read from the file */
    uint64_t records_by_kind[RS_EVENT_KINDS];
    uint64_t events_applied;
    uint64_t timers_fired;    /* evaluations a due timer made */
    uint64_t fed;             /* records fed back (rs_backtest_feed) */
    uint64_t unrouted;        /* outbox records of unknown topics */
    int64_t first_time;       /* earliest applied event time, or INT64_MAX */
    int64_t last_time;        /* latest, or INT64_MIN */

    struct rs_backtest_customer *customers;
    size_t customer_count;
    size_t customer_cap;
    size_t customers_with_events;

    struct rs_backtest_invoice *invoices;
    size_t invoice_count;
    size_t invoice_cap;

    struct rs_backtest_alert *alerts;
    size_t alert_count;
    size_t alert_cap;

    struct rs_backtest_point *points;
    size_t point_count;
    size_t point_cap;

    struct rs_backtest_mark *marks;
    size_t mark_count;
    size_t mark_cap;

    /* The reason codes of the findings that counted (a contribution above
     * 0 after segment weights) in the scores read before invoices and at
     * label times, in the order first seen. */
    char reason_codes[RS_BACKTEST_REASONS_MAX][RS_NAME_MAX];
    size_t reason_code_count;
    uint64_t reasons_untold; /* findings whose code did not fit */

    uint64_t deadletters[RS_ERROR_CLASSES];
    uint64_t deadletter_count;
    struct rs_backtest_deadletter kept[RS_BACKTEST_DEADLETTERS_KEPT];
    size_t kept_count;

    void *internal; /* the run's machinery (backtest.c) */
};

/* Reads the event file and sets up the tasks; NULL with errstr (the file,
 * the schemas, an unknown partitioner, a bad partition count). */
struct rs_backtest *rs_backtest_new(const struct rs_backtest_options *opt,
                                    char *errstr, size_t errstr_size);
void rs_backtest_destroy(struct rs_backtest *bt);

/* Queues a record for the task of its key, to be merged by event time
 * with the file's records (ties: after them). For records the engine emits
 * for input topics. Its offset follows the file's records of that topic
 * and partition. Returns 0, or -1 with errstr when it does not decode. */
int rs_backtest_feed(struct rs_backtest *bt, enum rs_event_kind kind,
                     const void *key, size_t key_len, const void *value,
                     size_t len, char *errstr, size_t errstr_size);

/* Runs the engine over everything; then computes invoice outcomes and
 * baselines. Returns 0, or -1 with errstr when the engine or the store
 * failed (bad records never fail the run). */
int rs_backtest_run(struct rs_backtest *bt, char *errstr, size_t errstr_size);

/* The customer's index, or SIZE_MAX when the backtest never saw it. */
size_t rs_backtest_customer_index(const struct rs_backtest *bt,
                                  const char *id);

/* The figures of quality.json. */
struct rs_backtest_quality {
    int late_days;
    size_t invoices_scored;
    size_t invoices_late;
    double auc_invoice_late;
    double baseline_auc_late_share;
    /* The same on the invoices of customers with an earlier invoice (a
     * newcomer's first one is left out), and the baseline as hindsight
     * would give it there: the share of the customer's earlier invoices
     * that turned out late, counting outcomes not known yet at the time. */
    size_t invoices_with_history;
    double auc_invoice_late_with_history;
    double baseline_auc_late_share_with_history;
    double hindsight_auc_late_share_with_history;
    size_t labels_scored;
    size_t labels_positive;
    double auc_label;
    double baseline_auc_label;
    enum rs_quality_outcome outcome;
    struct rs_quality_alerts alerts;
    double false_alerts_none_per_100_per_year; /* TRUTH only, else NaN */
    double false_any_level_none_per_100_per_year; /* to MEDIUM too */
    size_t alerts_total;
    double alerts_per_100_customers_per_month;
    double months; /* span of the data */
    size_t truth_missing; /* truth customers never seen in the events */
    /* Per reason code (bt->reason_codes), what followed when it counted
     * in the score: the invoices scored with it and the late ones, the
     * labels scored with it and the positive ones. Most invoices first. */
    struct rs_reason_figure {
        const char *code;
        size_t invoices, invoices_late;
        size_t labels, labels_positive;
    } reasons[RS_BACKTEST_REASONS_MAX];
    size_t reason_count;
};

/* Computes the figures after rs_backtest_run(); truth may be NULL. */
void rs_backtest_quality(const struct rs_backtest *bt,
                         const struct rs_quality_truth *truth,
                         size_t truth_count, struct rs_backtest_quality *q);

#endif
