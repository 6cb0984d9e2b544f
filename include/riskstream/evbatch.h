/* Event batches: decoded-form events in, an event file in event-time order
 * out, for the converters (import, convert-uci).
 *
 * A converter builds each event as a struct rs_event (the decoder's own
 * form) and adds it to a batch. The batch encodes it as Avro with the
 * newest writer schema of its record in the schema directory (Confluent
 * framing, that schema's id), then decodes the bytes back with the
 * daemon's decoder: an event the daemon would dead-letter (an id too long,
 * a non-positive amount, a due date before the issue date, ...) is refused
 * at once with the decoder's reason, so a converter can report the input
 * row it came from instead of writing poison. Accepted records are kept
 * encoded in one arena and written sorted by (event time, kind, order of
 * adding), the tie order the daemon's orderer uses, keyed by customer id.
 *
 * Rows that make several events add them between rs_evbatch_mark() and,
 * when a later one is refused, rs_evbatch_rollback(), so a bad row leaves
 * nothing behind.
 *
 * Ownership: rs_evbatch_new() returns a batch the caller frees with
 * rs_evbatch_destroy(); it keeps its own copy of everything added. */
#ifndef RS_EVBATCH_H
#define RS_EVBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/event.h"

/* Records a batch holds at most (a converter's input is bounded by it). */
#define RS_EVBATCH_MAX (64u * 1024 * 1024)

struct rs_evbatch;

/* Loads the schema directory and builds the encoder and the decoder.
 * Returns NULL with errstr naming the directory or the missing record. */
struct rs_evbatch *rs_evbatch_new(const char *schema_dir, char *errstr,
                                  size_t errstr_size);
void rs_evbatch_destroy(struct rs_evbatch *b);

/* Encodes, checks and keeps one event; its key is ev->customer_id. Only
 * the fields of ev's kind whose presence bit is set (and the required
 * ones) are written. Returns 0, or -1 with why, e.g. "event 'I1-inv': amount
 * 0 is not positive". */
int rs_evbatch_add(struct rs_evbatch *b, const struct rs_event *ev,
                   char *why, size_t why_size);

/* Events held; a mark to roll back to (drops everything added since).
 * Marks are valid until rs_evbatch_write(), which reorders the events. */
size_t rs_evbatch_count(const struct rs_evbatch *b);
size_t rs_evbatch_mark(const struct rs_evbatch *b);
void rs_evbatch_rollback(struct rs_evbatch *b, size_t mark);

/* Writes every event sorted by (event_time, kind, order added) to path
 * ("-": standard output). Returns 0, or -1 with errstr. */
int rs_evbatch_write(struct rs_evbatch *b, const char *path, char *errstr,
                     size_t errstr_size);

#endif
