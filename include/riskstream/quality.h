/* Quality figures of a backtest: ranking (AUC), alert precision and recall,
 * lead time, and the two label files a backtest reads.
 *
 * Pure functions over arrays the caller fills; nothing here knows the
 * engine. The AUC is the rank statistic (Mann-Whitney U divided by the
 * number of positive-negative pairs): the probability that a random
 * positive scores above a random negative, ties counted half. Alert
 * figures look at "raising" alerts only: an alert whose level after is
 * HIGH or CRITICAL and above its level before. docs/backtest.md defines
 * every figure in words.
 *
 * Ownership: the loaders return arrays the caller frees with
 * rs_quality_truth_free() / free(); the computations allocate only
 * scratch space they free before returning. */
#ifndef RS_QUALITY_H
#define RS_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/event.h"

#define RS_QUALITY_NO_TIME INT64_MIN
#define RS_QUALITY_FAMILIES_MAX 32
#define RS_QUALITY_REASONS_MAX 512 /* '|'-separated reason codes */
#define RS_QUALITY_LABELS_MAX 10000000 /* rows of a truth or label file */

/* The AUC of score against positive (1) / negative (0), ties half; NaN
 * when there is no positive or no negative. */
double rs_quality_auc(const double *score, const uint8_t *positive, size_t n);

/* The median of v (sorted in place); NaN when n is 0. */
double rs_quality_median(double *v, size_t n);

/* 1 when a '|'-separated list of reason codes shares a code with another
 * such list. */
int rs_quality_codes_overlap(const char *a, const char *b);

/* Ground truth of generated data (one row per customer). */
struct rs_quality_truth {
    char customer_id[RS_ID_MAX];
    char family[RS_NAME_MAX]; /* "none": never deteriorates */
    int64_t onset;            /* RS_QUALITY_NO_TIME for none */
    char reasons[RS_QUALITY_REASONS_MAX];
};

/* A customer label (e.g. default) read at label_time. */
struct rs_quality_label {
    char customer_id[RS_ID_MAX];
    int64_t label_time;
    int label; /* 0 or 1 */
};

/* Reads `customer_id,family,onset,reasons` (header required). Returns the
 * row count and *out, or -1 with errstr naming the file, line and why. */
long rs_quality_truth_load(const char *path, struct rs_quality_truth **out,
                           char *errstr, size_t errstr_size);

/* Reads `customer_id,label_time,label` (header required), likewise. */
long rs_quality_labels_load(const char *path, struct rs_quality_label **out,
                            char *errstr, size_t errstr_size);

/* What decides whether an alert was right. */
enum rs_quality_outcome {
    RS_OUTCOME_LATE,   /* the customer had an invoice paid > N days late */
    RS_OUTCOME_LABELS, /* the customer's label is 1, alert at/before it */
    RS_OUTCOME_TRUTH,  /* a planted deterioration, alert at/after onset */
};

/* One customer as the alert figures see it. */
struct rs_quality_customer {
    int known;          /* 0: not in the truth or label file; ignored */
    int positive;       /* deteriorates / label 1 / had a late invoice */
    int64_t onset;      /* TRUTH: onset; LABELS: label time; else NO_TIME */
    const char *family; /* TRUTH: the family ("none" for negatives) */
    const char *reasons; /* TRUTH: the right reason codes */
    /* The lead-time reference: TRUTH: the first invoice more than N days
     * past due at/after onset; LABELS: the label time; LATE: the first
     * invoice more than N days past due. NO_TIME when there is none. */
    int64_t reference;
};

struct rs_quality_alert {
    size_t customer; /* index into the customers */
    int64_t time;
    int level_before; /* enum rs_level */
    int level_after;
    const char *codes; /* '|'-separated reason codes of the alert */
};

struct rs_quality_family {
    char name[RS_NAME_MAX];
    size_t customers;
    size_t recalled; /* alerted with a right reason at/after onset */
    size_t recalled_any_level; /* ... by an alert raising to any level */
};

struct rs_quality_alerts {
    size_t raising;        /* alerts raising a customer to HIGH/CRITICAL */
    size_t true_positives; /* among them */
    double precision;      /* NaN when there are none */
    size_t positives;      /* customers that should be alerted */
    size_t recalled;       /* ... alerted (TRUTH: with a right reason) */
    double recall;         /* NaN when there are no positives */
    size_t recalled_any_reason; /* TRUTH: alerted at/after onset at all */
    double recall_any_reason;
    double median_lead_days; /* reference - first true alert; NaN: none */
    size_t lead_customers;
    double median_delay_days; /* TRUTH: first true alert - onset */
    size_t negatives;         /* TRUTH: customers of family none */
    size_t false_alerts_on_negatives;
    /* TRUTH, counting every alert that raises the level (to MEDIUM too):
     * "every planted deterioration raises an alert naming the right
     * reason", and false alerts on customers of family none. */
    size_t recalled_any_level;
    double recall_any_level;
    size_t false_any_level_on_negatives;
    struct rs_quality_family families[RS_QUALITY_FAMILIES_MAX];
    size_t family_count;
};

/* Computes the alert figures. */
void rs_quality_alerts(enum rs_quality_outcome outcome,
                       const struct rs_quality_customer *customers,
                       size_t customer_count,
                       const struct rs_quality_alert *alerts,
                       size_t alert_count, struct rs_quality_alerts *out);

#endif
