/* The decoded input event: one flat struct for the four input records.
 *
 * The decoder writes Avro records straight into this struct (no generic
 * value tree, no allocation); the engine reads it. Strings are fixed-size,
 * NUL-terminated buffers: identifiers longer than RS_ID_MAX - 1 bytes are
 * rejected by validation, free text longer than RS_TEXT_MAX - 1 bytes is cut
 * at a UTF-8 character boundary (it is only shown, never compared).
 *
 * Enum values follow the symbol order of the reader schemas in schemas/;
 * the decoder maps writer symbols by name, unknown ones to the *_UNKNOWN or
 * *_OTHER value. Optional fields are valid only when their bit is set in
 * `has`. Dates are days since 1970-01-01, instants milliseconds since the
 * epoch, amounts minor units of `currency`. */
#ifndef RS_EVENT_H
#define RS_EVENT_H

#include <stdint.h>

#define RS_ID_MAX 64
#define RS_TEXT_MAX 128
#define RS_CURRENCY_MAX 4

/* Customer ids starting with this are riskstream's own records (segment
 * health, see the cluster detector); input using them is refused. */
#define RS_RESERVED_ID_PREFIX "~rs:"

enum rs_event_kind {
    RS_EVENT_INVOICE = 0,
    RS_EVENT_PAYMENT = 1,
    RS_EVENT_BUREAU = 2,
    RS_EVENT_COMM = 3,
};
#define RS_EVENT_KINDS 4

enum rs_invoice_type {
    RS_INVOICE_ISSUED,
    RS_INVOICE_CREDITED,
    RS_INVOICE_CANCELLED,
    RS_INVOICE_UNKNOWN,
};

enum rs_payment_type {
    RS_PAYMENT_FULL,
    RS_PAYMENT_PARTIAL,
    RS_PAYMENT_REVERSAL,
    RS_PAYMENT_FAILED_DIRECT_DEBIT,
    RS_PAYMENT_UNKNOWN,
};

enum rs_payment_method {
    RS_METHOD_TRANSFER,
    RS_METHOD_DIRECT_DEBIT,
    RS_METHOD_CARD,
    RS_METHOD_CHEQUE,
    RS_METHOD_PAYMENT_LINK,
    RS_METHOD_OTHER,
};

enum rs_bureau_type {
    RS_BUREAU_SCORE_UPDATE,
    RS_BUREAU_RATING_UPDATE,
    RS_BUREAU_CREDIT_INQUIRY,
    RS_BUREAU_BANKRUPTCY_FILING,
    RS_BUREAU_LEGAL_FILING,
    RS_BUREAU_MANAGEMENT_CHANGE,
    RS_BUREAU_FINANCING_CHANGE,
    RS_BUREAU_HOUSE_BANK_CHANGE,
    RS_BUREAU_OWNERSHIP_LINK,
    RS_BUREAU_REPUTATION_SIGNAL,
    RS_BUREAU_CREDIT_LIMIT_DECISION,
    RS_BUREAU_MAJOR_BUYER_FAILURE,
    RS_BUREAU_UNKNOWN,
    RS_BUREAU_GROUP_RELAY, /* riskstream's own: see the group detector */
};

enum rs_group_role {
    RS_GROUP_PARENT, /* related company is the customer's parent */
    RS_GROUP_MEMBER, /* related company has the customer as its parent */
    RS_GROUP_SISTER, /* related company has the same parent */
    RS_GROUP_ROLE_UNKNOWN,
};

enum rs_limit_action {
    RS_LIMIT_GRANTED,
    RS_LIMIT_INCREASED,
    RS_LIMIT_REDUCED,
    RS_LIMIT_WITHDRAWN,
    RS_LIMIT_UNKNOWN,
};

enum rs_comm_type {
    RS_COMM_REMINDER,
    RS_COMM_FORMAL_NOTICE,
    RS_COMM_CALL_ATTEMPT,
    RS_COMM_CALL_ANSWERED,
    RS_COMM_INBOUND_REPLY,
    RS_COMM_PROMISE_TO_PAY,
    RS_COMM_EXTENSION_REQUEST,
    RS_COMM_EXCUSE,
    RS_COMM_DISPUTE_OPENED,
    RS_COMM_DISPUTE_RESOLVED,
    RS_COMM_PAYMENT_TERMS_REQUEST,
    RS_COMM_DEPOSIT_REFUSED,
    RS_COMM_COLLECTIONS_HANDOVER,
    RS_COMM_UNKNOWN,
};
#define RS_COMM_TYPES 14

enum rs_channel {
    RS_CHANNEL_EMAIL,
    RS_CHANNEL_PHONE,
    RS_CHANNEL_LETTER,
    RS_CHANNEL_PORTAL,
    RS_CHANNEL_IN_PERSON,
    RS_CHANNEL_OTHER,
};

enum rs_excuse {
    RS_EXCUSE_FORGOT,
    RS_EXCUSE_INVOICE_LOST,
    RS_EXCUSE_ACCOUNTS_BUSY,
    RS_EXCUSE_CASH_PROBLEMS,
    RS_EXCUSE_WAITING_FOR_CUSTOMER,
    RS_EXCUSE_DISPUTE_PRETEXT,
    RS_EXCUSE_OTHER,
};

/* Presence bits of optional fields, per kind. */
enum {
    RS_INV_HAS_ORDER_ID = 1u << 0,
    RS_INV_HAS_SECTOR = 1u << 1,
    RS_INV_HAS_SEGMENT = 1u << 2,
    RS_INV_HAS_CREDITED_INVOICE_ID = 1u << 3,
};
enum {
    RS_PAY_HAS_INVOICE_ID = 1u << 0,
    RS_PAY_HAS_METHOD = 1u << 1,
};
enum {
    RS_BUR_HAS_OLD_SCORE = 1u << 0,
    RS_BUR_HAS_NEW_SCORE = 1u << 1,
    RS_BUR_HAS_SCORE_MAX = 1u << 2,
    RS_BUR_HAS_OLD_RATING = 1u << 3,
    RS_BUR_HAS_NEW_RATING = 1u << 4,
    RS_BUR_HAS_INQUIRER = 1u << 5,
    RS_BUR_HAS_FILING_KIND = 1u << 6,
    RS_BUR_HAS_INTERIM = 1u << 7,
    RS_BUR_HAS_PARENT_CUSTOMER_ID = 1u << 8,
    RS_BUR_HAS_LIMIT_ACTION = 1u << 9,
    RS_BUR_HAS_LIMIT_AMOUNT = 1u << 10,
    RS_BUR_HAS_LIMIT_CURRENCY = 1u << 11,
    RS_BUR_HAS_BUYER_NAME = 1u << 12,
    RS_BUR_HAS_BUYER_SHARE = 1u << 13,
    RS_BUR_HAS_SEVERITY = 1u << 14,
    RS_BUR_HAS_DESCRIPTION = 1u << 15,
    RS_BUR_HAS_RELATED_CUSTOMER_ID = 1u << 16,
    RS_BUR_HAS_GROUP_ROLE = 1u << 17,
    RS_BUR_HAS_RELATED_LEVEL = 1u << 18,
    RS_BUR_HAS_RELATED_SCORE = 1u << 19,
};
enum {
    RS_COM_HAS_INVOICE_ID = 1u << 0,
    RS_COM_HAS_DUNNING_LEVEL = 1u << 1,
    RS_COM_HAS_CHANNEL = 1u << 2,
    RS_COM_HAS_PROMISED_DATE = 1u << 3,
    RS_COM_HAS_PROMISED_AMOUNT = 1u << 4,
    RS_COM_HAS_CURRENCY = 1u << 5,
    RS_COM_HAS_REQUESTED_DAYS = 1u << 6,
    RS_COM_HAS_EXCUSE_CATEGORY = 1u << 7,
    RS_COM_HAS_DISPUTE_ID = 1u << 8,
    RS_COM_HAS_RESOLUTION = 1u << 9,
    RS_COM_HAS_NOTE = 1u << 10,
};

struct rs_invoice {
    char invoice_id[RS_ID_MAX];
    char order_id[RS_ID_MAX];
    int64_t amount;
    char currency[RS_CURRENCY_MAX];
    int32_t issue_date;
    int32_t due_date;
    int32_t payment_terms_days;
    char sector[RS_TEXT_MAX];
    char segment[RS_TEXT_MAX];
    char credited_invoice_id[RS_ID_MAX];
};

struct rs_payment {
    char payment_id[RS_ID_MAX];
    int64_t amount;
    char currency[RS_CURRENCY_MAX];
    int32_t payment_date;
    char invoice_id[RS_ID_MAX];
    int method; /* enum rs_payment_method */
};

struct rs_bureau {
    char source[RS_TEXT_MAX];
    int32_t old_score;
    int32_t new_score;
    int32_t score_max;
    char old_rating[RS_TEXT_MAX];
    char new_rating[RS_TEXT_MAX];
    char inquirer[RS_TEXT_MAX];
    char filing_kind[RS_TEXT_MAX];
    int interim;
    char parent_customer_id[RS_ID_MAX];
    int limit_action; /* enum rs_limit_action */
    int64_t limit_amount;
    char limit_currency[RS_CURRENCY_MAX];
    char buyer_name[RS_TEXT_MAX];
    double buyer_share;
    int32_t severity;
    char description[RS_TEXT_MAX];
    char related_customer_id[RS_ID_MAX];
    int group_role; /* enum rs_group_role */
    int32_t related_level;
    int32_t related_score;
};

struct rs_comm {
    char invoice_id[RS_ID_MAX];
    int32_t dunning_level;
    int channel; /* enum rs_channel */
    int32_t promised_date;
    int64_t promised_amount;
    char currency[RS_CURRENCY_MAX];
    int32_t requested_days;
    int excuse_category; /* enum rs_excuse */
    char dispute_id[RS_ID_MAX];
    char resolution[RS_TEXT_MAX];
    char note[RS_TEXT_MAX];
};

struct rs_event {
    enum rs_event_kind kind;
    int type; /* enum rs_<kind>_type */
    int64_t event_time;
    /* Where it came from: topic index (the kind), partition, offset. Next
     * to the time: an orderer reads both of a queue's head (one cache
     * line). */
    int32_t partition;
    int64_t offset;
    char event_id[RS_ID_MAX];
    char customer_id[RS_ID_MAX];
    uint32_t has; /* RS_<KIND>_HAS_* bits */
    union {
        struct rs_invoice inv;
        struct rs_payment pay;
        struct rs_bureau bur;
        struct rs_comm com;
    } u;
};

/* Symbol names of a kind's `type` enum, for logs and alerts. */
const char *rs_event_type_name(enum rs_event_kind kind, int type);
const char *rs_event_kind_name(enum rs_event_kind kind);

#endif
