/* Decoding input records: framing, writer → reader schema resolution,
 * validation, straight into struct rs_event.
 *
 * The decoder is compiled once from the schema registry: for every writer
 * schema whose record name is one of the four input records, a resolution
 * program maps each writer field to an event field (by name, with the Avro
 * promotions int→long→float→double), skips writer fields the reader does
 * not know, maps enum symbols by name (unknown → the enum's default), and
 * leaves reader fields the writer lacks at their defaults (null for
 * optional fields; a required field missing from a writer schema makes that
 * schema incompatible, and its records dead letters).
 *
 * It never trusts the bytes: every length and count is checked against the
 * bytes left and against the caps before use; nothing is allocated per
 * record. Not thread-safe per decoder; one decoder per thread.
 *
 * Ownership: rs_decoder_new() copies what it needs from the registry; the
 * registry may be destroyed afterwards. */
#ifndef RS_DECODE_H
#define RS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/event.h"
#include "riskstream/registry.h"

enum rs_decode_result {
    RS_DECODE_OK,
    RS_DECODE_POISON, /* see the error class and reason */
};

struct rs_decoder;

/* max_record_bytes: values larger than this are OVERSIZED dead letters. */
struct rs_decoder *rs_decoder_new(const struct rs_registry *reg,
                                  size_t max_record_bytes, char *errstr,
                                  size_t errstr_size);
void rs_decoder_destroy(struct rs_decoder *d);

/* Decodes one Kafka message of the topic of `expected` kind. On
 * RS_DECODE_POISON, *error_class and why say what is wrong in words that
 * name the field and the value, e.g. "amount -5 is not positive". The key must
 * equal the record's customer_id (error class KEY_MISMATCH otherwise). */
enum rs_decode_result rs_decode(struct rs_decoder *d,
                                enum rs_event_kind expected, const void *key,
                                size_t key_len, const void *value, size_t len,
                                struct rs_event *out,
                                enum rs_error_class *error_class, char *why,
                                size_t why_size);

#endif
