/* The synthetic generator: a seeded, realistic stream of input records with
 * planted deteriorations and their ground truth.
 *
 * rs_gen_new() draws N customers (sector, segment, invoice rhythm, amounts,
 * payment habit, credit limit, bureau score) and picks the deteriorating
 * ones: each gets one family (late_trend, silence, bankruptcy, ...) and an
 * onset after a healthy baseline of at least RS_GEN_BASELINE_DAYS.
 * rs_gen_run() then simulates the days in order and hands every record to a
 * callback in global event-time order, already framed (Confluent, the
 * registry's newest schema id per record) and keyed by the customer id, so
 * one consumer writes an event file and another can produce straight to
 * Kafka. The same parameters give the same records byte for byte: every
 * customer draws from its own random stream, and records of the same
 * instant are ordered by customer and sequence.
 *
 * Records are encoded by hand from the writer schema's field list (no Avro
 * generic values in the loop): a field the generator does not know is
 * written as null when the schema allows it, otherwise rs_gen_new() refuses
 * the schema.
 *
 * Ownership: rs_gen_new() borrows the registry, which must outlive the
 * generator; rs_gen_destroy() frees it. Pointers handed to the callback are
 * valid only during the call. */
#ifndef RS_GEN_H
#define RS_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/event.h"
#include "riskstream/registry.h"

/* Days of healthy behaviour before any onset, and days left after the
 * latest onset for the deterioration to show. */
#define RS_GEN_BASELINE_DAYS 180
#define RS_GEN_TAIL_DAYS 75
#define RS_GEN_CUSTOMERS_MAX 10000000u
#define RS_GEN_DAYS_MAX 3660

struct rs_gen_params {
    uint32_t customers;
    uint32_t days;
    int32_t start_day; /* days since 1970-01-01 of the first simulated day */
    uint64_t seed;
    double deteriorating_share; /* 0..1 of the customers */
};

/* One customer's ground truth, in the shared truth CSV's terms. */
struct rs_gen_truth {
    const char *customer_id;
    const char *family;  /* "none" or a family name */
    int64_t onset;       /* ms since the epoch; 0 for "none" */
    const char *reasons; /* "A|B"; "" for "none" */
};

/* Figures of a run, to compare with the data the constants came from. */
struct rs_gen_stats {
    uint64_t events[RS_EVENT_KINDS];
    uint64_t bytes; /* framed values */
    uint64_t invoices;
    uint64_t invoices_settled; /* paid in full within the simulated span */
    uint64_t invoices_late;    /* of those, paid after the due date */
    uint64_t days_late_sum;    /* over the late ones */
};

/* Receives one record: kind, key (the customer id), framed Avro value and
 * its event time. Returns 0, or -1 with errstr to stop the run. */
typedef int (*rs_gen_emit_fn)(void *opaque, enum rs_event_kind kind,
                              const char *key, size_t key_len,
                              const void *value, size_t value_len,
                              int64_t event_time, char *errstr,
                              size_t errstr_size);

struct rs_gen;

/* Checks the parameters and the schemas and draws the customers. Returns
 * NULL with errstr naming the parameter or schema and why. */
struct rs_gen *rs_gen_new(const struct rs_gen_params *params,
                          const struct rs_registry *reg, char *errstr,
                          size_t errstr_size);
void rs_gen_destroy(struct rs_gen *g);

/* Simulates the whole span once, calling emit for every record in
 * event-time order. Returns 0, or -1 with errstr (from emit, or an encoding
 * problem). */
int rs_gen_run(struct rs_gen *g, rs_gen_emit_fn emit, void *opaque,
               char *errstr, size_t errstr_size);

/* The truth, one row per customer in customer order. */
size_t rs_gen_truth_count(const struct rs_gen *g);
const struct rs_gen_truth *rs_gen_truth_at(const struct rs_gen *g, size_t i);

/* Writes the truth CSV (customer_id,family,onset,reasons). Returns 0, or -1
 * with errstr naming the file and why. */
int rs_gen_write_truth(const struct rs_gen *g, const char *path, char *errstr,
                       size_t errstr_size);

/* Figures of the last rs_gen_run(). */
const struct rs_gen_stats *rs_gen_stats(const struct rs_gen *g);

/* The names of the families, ended by NULL ("none" not included). */
extern const char *const rs_gen_families[];

#endif
