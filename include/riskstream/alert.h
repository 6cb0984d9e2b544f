/* Risk alerts and dead letters as the engine produces them, before encoding.
 *
 * Plain structs with fixed caps, filled by the engine and encoded to Avro
 * (schemas/RiskAlert.avsc, schemas/DeadLetter.avsc) by encode.c. */
#ifndef RS_ALERT_H
#define RS_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/event.h"

#define RS_ALERT_ID_MAX 160
#define RS_REASONS_MAX 16
#define RS_ACTIONS_MAX 8
#define RS_EVIDENCE_MAX 8
#define RS_MESSAGE_MAX 256
#define RS_NAME_MAX 48

enum rs_level {
    RS_LEVEL_LOW,
    RS_LEVEL_MEDIUM,
    RS_LEVEL_HIGH,
    RS_LEVEL_CRITICAL,
};

struct rs_reason {
    char detector[RS_NAME_MAX];
    char code[RS_NAME_MAX];
    char message[RS_MESSAGE_MAX]; /* plain words with the numbers */
    double value;
    int has_baseline;
    double baseline;
    double threshold;
    int has_window_days;
    int32_t window_days;
    char evidence[RS_EVIDENCE_MAX][RS_ID_MAX]; /* event ids */
    int evidence_count;
};

struct rs_action {
    char code[RS_NAME_MAX];
    char text[RS_MESSAGE_MAX];
};

struct rs_source_offset {
    int kind; /* enum rs_event_kind: which input topic */
    int32_t partition;
    int64_t offset;
};

struct rs_alert {
    char alert_id[RS_ALERT_ID_MAX];
    char customer_id[RS_ID_MAX];
    int64_t event_time;
    enum rs_level level_before;
    enum rs_level level_after;
    int32_t score_before;
    int32_t score_after;
    int has_segment;
    char segment[RS_TEXT_MAX];
    struct rs_reason reasons[RS_REASONS_MAX];
    int reason_count;
    struct rs_action actions[RS_ACTIONS_MAX];
    int action_count;
    struct rs_source_offset offsets[RS_EVENT_KINDS];
    int offset_count;
    int32_t suppressed_count;
};

enum rs_error_class {
    RS_ERROR_FRAMING,
    RS_ERROR_UNKNOWN_SCHEMA,
    RS_ERROR_DECODE,
    RS_ERROR_VALIDATION,
    RS_ERROR_OVERSIZED,
    RS_ERROR_LATE,
    RS_ERROR_KEY_MISMATCH,
    RS_ERROR_OTHER,
};
#define RS_ERROR_CLASSES 8

/* A dead letter; key and value point at the original message's bytes
 * (owned by the caller, which keeps them alive until encoded). */
struct rs_deadletter {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key; /* NULL: no key */
    size_t key_len;
    const void *value; /* NULL: no value (or too large to keep) */
    size_t value_len;
    int has_timestamp;
    int64_t timestamp;
    enum rs_error_class error_class;
    char message[RS_MESSAGE_MAX];
    int64_t dead_lettered_at;
};

const char *rs_level_name(enum rs_level level);
const char *rs_error_class_name(enum rs_error_class c);

#endif
