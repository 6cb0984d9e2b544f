/* Importing ERP exports and public datasets as riskstream events.
 *
 * `riskstream import` reads a CSV export of invoices with the help of a
 * mapping file (which column holds what, the date format, defaults for
 * what the export lacks; see docs/import.md) and turns every row into the
 * events it implies: the invoice issued, its payment when settled, and an
 * inferred dispute when the row is flagged disputed. `riskstream
 * convert-uci` does the same for the UCI credit-card layout with fixed
 * rules and writes the default labels beside the events.
 *
 * Rows that cannot be used are never skipped silently: each is passed to
 * the caller's bad-row callback with its line number and the reason, and
 * none of its events is kept. Events go into an rs_evbatch, which checks
 * them with the daemon's decoder and writes them in event-time order.
 *
 * Ownership: a mapping from rs_import_mapping_load() is freed with
 * rs_import_mapping_destroy(); the batch and the labels stream stay the
 * caller's. */
#ifndef RS_IMPORT_H
#define RS_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "riskstream/evbatch.h"

struct rs_import_mapping;

/* Called once per bad row; line is the CSV line where the row starts. */
typedef void (*rs_import_bad_fn)(void *opaque, uint64_t line,
                                 const char *reason);

struct rs_import_stats {
    uint64_t rows;   /* data rows turned into events */
    uint64_t bad;    /* data rows reported as bad */
    uint64_t events; /* events added to the batch */
};

/* Reads a mapping file (`key = value` lines, `#` comment lines). Unknown
 * keys and bad values are errors naming the file, the line and the key.
 * Returns NULL with errstr. */
struct rs_import_mapping *rs_import_mapping_load(const char *path,
                                                 char *errstr,
                                                 size_t errstr_size);
void rs_import_mapping_destroy(struct rs_import_mapping *m);

/* Imports every row of csv_path into batch. Returns 0 when the file was
 * read to its end (bad rows included, see stats), or -1 with errstr when
 * it could not be: unreadable, no header, a mapped column missing from
 * the header. */
int rs_import_csv(const struct rs_import_mapping *m, const char *csv_path,
                  struct rs_evbatch *batch, rs_import_bad_fn bad,
                  void *opaque, struct rs_import_stats *stats, char *errstr,
                  size_t errstr_size);

/* The label time of the UCI conversion: the scores are read on the first
 * day after the six months of data. */
#define RS_UCI_LABEL_TIME "2005-10-01T00:00:00Z"

/* Converts the UCI "default of credit card clients" CSV (Kaggle form:
 * ID, LIMIT_BAL, PAY_0|PAY_1, PAY_2..PAY_6, BILL_AMT1..6, PAY_AMT1..6,
 * default.payment.next.month) into events, and writes one label line per
 * converted client to labels (header `customer_id,label_time,label`,
 * written first) when labels is not NULL. Returns as rs_import_csv. */
int rs_import_uci(const char *csv_path, struct rs_evbatch *batch,
                  FILE *labels, rs_import_bad_fn bad, void *opaque,
                  struct rs_import_stats *stats, char *errstr,
                  size_t errstr_size);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian); -1 when
 * y-m-d is not a real date (e.g. 2013-02-30), 0 otherwise. */
int rs_import_civil_days(int y, int m, int d, int32_t *days);

#endif
