/* Event files: input records kept on disk, for import, gen, backtest and
 * produce.
 *
 * An event file holds records exactly as they travel in Kafka, so the
 * backtest decodes them with the daemon's decoder and the daemon can be fed
 * the same file (`riskstream produce`). The format is deliberately plain:
 *
 *     "RSEV1\n"                                   magic, 6 bytes
 *     then per record:
 *       kind       1 byte   enum rs_event_kind (0 invoices .. 3 comms)
 *       key_len    4 bytes  big-endian, at most RS_EVFILE_KEY_MAX
 *       key        key_len bytes (the customer id)
 *       value_len  4 bytes  big-endian, at most RS_EVFILE_VALUE_MAX
 *       value      value_len bytes (framed Avro: Confluent or single-object)
 *
 * Records are in the order they were written; writers that know event time
 * (gen, import) write in event-time order, and readers must not rely on it.
 *
 * Ownership: rs_evfile_create()/rs_evfile_open() return handles the caller
 * closes with rs_evfile_finish()/rs_evfile_close(). A record returned by
 * rs_evfile_next() points into the reader and is valid until the next call. */
#ifndef RS_EVFILE_H
#define RS_EVFILE_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/event.h"

#define RS_EVFILE_MAGIC "RSEV1\n"
#define RS_EVFILE_MAGIC_LEN 6
#define RS_EVFILE_KEY_MAX 1024
#define RS_EVFILE_VALUE_MAX (1024 * 1024)

struct rs_evfile_writer;
struct rs_evfile_reader;

struct rs_evrecord {
    enum rs_event_kind kind;
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    uint64_t index; /* 0-based position in the file */
};

/* Creates (truncates) path for writing; "-" is standard output. Returns
 * NULL with errstr naming the file and why. */
struct rs_evfile_writer *rs_evfile_create(const char *path, char *errstr,
                                          size_t errstr_size);
/* Appends one record. Returns 0, or -1 with errstr (too large, disk). */
int rs_evfile_write(struct rs_evfile_writer *w, enum rs_event_kind kind,
                    const void *key, size_t key_len, const void *value,
                    size_t value_len, char *errstr, size_t errstr_size);
/* Flushes and closes; returns 0, or -1 with errstr when the data did not
 * reach the file. The writer is freed either way. */
int rs_evfile_finish(struct rs_evfile_writer *w, char *errstr,
                     size_t errstr_size);
uint64_t rs_evfile_written(const struct rs_evfile_writer *w);

/* Opens path for reading ("-" is standard input) and checks the magic.
 * Returns NULL with errstr naming the file and why. */
struct rs_evfile_reader *rs_evfile_open(const char *path, char *errstr,
                                        size_t errstr_size);
/* Reads the next record: 1 with *rec filled, 0 at the end of the file, -1
 * with errstr naming the record index and byte offset when the file is
 * truncated or corrupt. */
int rs_evfile_next(struct rs_evfile_reader *r, struct rs_evrecord *rec,
                   char *errstr, size_t errstr_size);
void rs_evfile_close(struct rs_evfile_reader *r);

#endif
