/* Avro binary encoders for riskstream's outputs, written by hand for speed:
 * RiskAlert and DeadLetter exactly as schemas/RiskAlert.avsc and
 * schemas/DeadLetter.avsc define them, in Confluent framing with the given
 * schema id. Appends to out; returns 0, or -1 if out's cap was reached. */
#ifndef RS_ENCODE_H
#define RS_ENCODE_H

#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/buf.h"

/* topics[kind] names the input topic of each rs_event_kind (for
 * source_offsets). */
int rs_encode_alert(const struct rs_alert *a, uint32_t schema_id,
                    const char *const topics[RS_EVENT_KINDS],
                    struct rs_buf *out);
int rs_encode_deadletter(const struct rs_deadletter *dl, uint32_t schema_id,
                         struct rs_buf *out);

#endif
