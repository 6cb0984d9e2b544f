/* Names of event kinds, event types, risk levels and error classes.
 *
 * The type names are the Avro enum symbols of the reader schemas in
 * schemas/, in their order, so a name printed in a log or an alert is the
 * symbol a producer wrote. Out-of-range values get a fixed "?" name instead
 * of reading past a table: these functions are called from log lines about
 * records that may be broken. */
#include "riskstream/alert.h"
#include "riskstream/event.h"

#include <stddef.h>

#define RS_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const invoice_types[] = {
    "ISSUED", "CREDITED", "CANCELLED", "UNKNOWN",
};

static const char *const payment_types[] = {
    "FULL", "PARTIAL", "REVERSAL", "FAILED_DIRECT_DEBIT", "UNKNOWN",
};

static const char *const bureau_types[] = {
    "SCORE_UPDATE",          "RATING_UPDATE",     "CREDIT_INQUIRY",
    "BANKRUPTCY_FILING",     "LEGAL_FILING",      "MANAGEMENT_CHANGE",
    "FINANCING_CHANGE",      "HOUSE_BANK_CHANGE", "OWNERSHIP_LINK",
    "REPUTATION_SIGNAL",     "CREDIT_LIMIT_DECISION",
    "MAJOR_BUYER_FAILURE",   "UNKNOWN",           "GROUP_RELAY",
};

static const char *const comm_types[RS_COMM_TYPES] = {
    "REMINDER",         "FORMAL_NOTICE",         "CALL_ATTEMPT",
    "CALL_ANSWERED",    "INBOUND_REPLY",         "PROMISE_TO_PAY",
    "EXTENSION_REQUEST", "EXCUSE",               "DISPUTE_OPENED",
    "DISPUTE_RESOLVED", "PAYMENT_TERMS_REQUEST", "DEPOSIT_REFUSED",
    "COLLECTIONS_HANDOVER", "UNKNOWN",
};

static const char *const kind_names[RS_EVENT_KINDS] = {
    "invoice", "payment", "bureau", "communication",
};

static const char *const level_names[] = {
    "LOW", "MEDIUM", "HIGH", "CRITICAL",
};

static const char *const error_class_names[RS_ERROR_CLASSES] = {
    "FRAMING", "UNKNOWN_SCHEMA", "DECODE", "VALIDATION",
    "OVERSIZED", "LATE", "KEY_MISMATCH", "OTHER",
};

static const char *pick(const char *const *names, size_t count, long i)
{
    return i >= 0 && (size_t)i < count ? names[i] : "?";
}

const char *rs_event_type_name(enum rs_event_kind kind, int type)
{
    switch (kind) {
    case RS_EVENT_INVOICE:
        return pick(invoice_types, RS_COUNT(invoice_types), type);
    case RS_EVENT_PAYMENT:
        return pick(payment_types, RS_COUNT(payment_types), type);
    case RS_EVENT_BUREAU:
        return pick(bureau_types, RS_COUNT(bureau_types), type);
    case RS_EVENT_COMM:
        return pick(comm_types, RS_COUNT(comm_types), type);
    }
    return "?";
}

const char *rs_event_kind_name(enum rs_event_kind kind)
{
    return pick(kind_names, RS_COUNT(kind_names), (long)kind);
}

const char *rs_level_name(enum rs_level level)
{
    return pick(level_names, RS_COUNT(level_names), (long)level);
}

const char *rs_error_class_name(enum rs_error_class c)
{
    return pick(error_class_names, RS_COUNT(error_class_names), (long)c);
}
