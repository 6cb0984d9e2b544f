/* The backtest's internals shared by backtest.c (the run) and
 * backtest_ledger.c (which invoice was paid when, and the baselines) and
 * backtest_setup.c.
 * Not a public header. */
#ifndef RS_BACKTEST_INTERNAL_H
#define RS_BACKTEST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/backtest.h"
#include "riskstream/engine.h"
#include "riskstream/event.h"
#include "riskstream/order.h"
#include "riskstream/store.h"
#include "riskstream/buf.h"

#define RS_BACKTEST_NONE SIZE_MAX

/* A string-keyed map to indexes (open addressing, linear probing). */
struct rs_backtest_map_slot {
    char *key; /* NULL: empty */
    size_t len;
    uint64_t hash;
    size_t value;
};

struct rs_backtest_map {
    struct rs_backtest_map_slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

/* The value of key, or RS_BACKTEST_NONE. */
size_t rs_backtest_map_get(const struct rs_backtest_map *m, const void *key,
                           size_t len);
/* Sets key (copied) to value. */
void rs_backtest_map_put(struct rs_backtest_map *m, const void *key,
                         size_t len, size_t value);
void rs_backtest_map_release(struct rs_backtest_map *m);

/* The ledger: books an applied invoice event (score: the customer's score
 * before it, reasons: the codes counting in it) or payment event of
 * customer ci; invoices maps "<customer index>/<invoice id>" to invoice
 * indexes. */
void rs_backtest_book_invoice(struct rs_backtest *bt,
                              struct rs_backtest_map *invoices, size_t ci,
                              const struct rs_event *ev, int32_t score,
                              const struct rs_reason_bits *reasons);
void rs_backtest_book_payment(struct rs_backtest *bt,
                              struct rs_backtest_map *invoices, size_t ci,
                              const struct rs_event *ev);

/* After the run: every invoice's outcome and days late, the naive
 * baseline of each scored invoice, the label baselines. */
void rs_backtest_settle(struct rs_backtest *bt);

/* The run's machinery (bt->internal), shared by backtest.c (the run) and
 * backtest_setup.c (partitioning, reading the file, setup). */

#define RS_BACKTEST_QUEUE_RECORDS 256

/* A record of the file, kept raw: key bytes then value bytes. */
struct rec {
    uint8_t *data;
    uint32_t key_len;
    uint32_t value_len;
    uint64_t index;
};

struct stream {
    struct rec *v;
    size_t count;
    size_t cap;
    size_t next; /* first record not yet in the orderer */
};

/* A record fed back, decoded, waiting for its time. */
struct fed {
    struct rs_event ev;
    uint64_t seq;
};

struct task {
    int id;
    struct rs_task *task;
    struct rs_order order;
    struct stream s[RS_EVENT_KINDS];
    int64_t fed_offset[RS_EVENT_KINDS]; /* next offset of a fed record */
    struct fed **heap;
    size_t heap_count;
    size_t heap_cap;
    size_t *labels; /* label indexes of this task, by label time */
    size_t label_count;
    size_t label_next;
};

/* The memory store, wrapped to learn which customers each flush wrote. */
struct recording_store {
    struct rs_store *inner;
    char **ids;
    size_t count;
    size_t cap;
};

struct run {
    struct rs_registry *reg;
    struct rs_decoder *dec;
    struct rs_store *store;
    struct recording_store *rec;
    struct rs_engine_params params;
    struct task *tasks;
    struct rs_backtest_map customers;
    struct rs_backtest_map invoices; /* "<customer index>/<invoice id>" */
    uint64_t fed_seq;
    uint64_t *out_offsets[2]; /* per output topic and partition */
    struct rs_buf scratch;
};

/* The engine's callbacks (opaque: the backtest): an alert is kept with its
 * customer; a group relay is fed back to the receiving task. */
void rs_backtest_on_alert(void *opaque, const struct rs_alert *a);
void rs_backtest_on_relay(void *opaque, const char *customer,
                          const void *value, size_t len, int64_t event_time);

#endif
