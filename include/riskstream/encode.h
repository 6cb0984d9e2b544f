/* Avro binary encoders for riskstream's outputs, written by hand for speed:
 * RiskAlert, DeadLetter and group relays exactly as schemas/RiskAlert.avsc and
 * schemas/DeadLetter.avsc define them, in Confluent framing with the given
 * schema id. Appends to out; returns 0, or -1 if out's cap was reached. */
#ifndef RS_ENCODE_H
#define RS_ENCODE_H

#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/buf.h"
#include "riskstream/registry.h"

/* topics[kind] names the input topic of each rs_event_kind (for
 * source_offsets). */
int rs_encode_alert(const struct rs_alert *a, uint32_t schema_id,
                    const char *const topics[RS_EVENT_KINDS],
                    struct rs_buf *out);
int rs_encode_deadletter(const struct rs_deadletter *dl, uint32_t schema_id,
                         struct rs_buf *out);

/* A GROUP_RELAY CreditBureauEvent, exactly as
 * schemas/CreditBureauEvent-v2.avsc defines it (the writer schema id must
 * name that schema): riskstream telling customer_id about the risk of
 * related_customer_id, a company of the same corporate group. */
struct rs_group_relay {
    const char *event_id;
    int64_t event_time;
    const char *customer_id;         /* the receiver: key and customer_id */
    const char *related_customer_id; /* the sender */
    int role;                        /* enum rs_group_role, seen from
                                        customer_id */
    int32_t level;                   /* -1 .. 3 */
    int32_t score;
    const char *description;         /* optional: the sender's main reason */
};
int rs_encode_group_relay(const struct rs_group_relay *r, uint32_t schema_id,
                          struct rs_buf *out);

/* The writer schema ids riskstream encodes with, from a schema directory:
 * the newest RiskAlert, DeadLetter and CreditBureauEvent. The bureau schema
 * must be the layout rs_encode_group_relay() writes (v2). Returns 0, or -1
 * with errstr naming the schema directory's problem. */
struct rs_encode_ids {
    uint32_t alert;
    uint32_t deadletter;
    uint32_t relay;
};
int rs_encode_schema_ids(const struct rs_registry *reg, struct rs_encode_ids *ids,
                         char *errstr, size_t errstr_size);

#endif
