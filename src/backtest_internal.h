/* The backtest's internals shared by backtest.c (the run) and
 * backtest_ledger.c (which invoice was paid when, and the baselines).
 * Not a public header. */
#ifndef RS_BACKTEST_INTERNAL_H
#define RS_BACKTEST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/backtest.h"
#include "riskstream/event.h"

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
 * before it) or payment event of customer ci; invoices maps
 * "<customer index>/<invoice id>" to invoice indexes. */
void rs_backtest_book_invoice(struct rs_backtest *bt,
                              struct rs_backtest_map *invoices, size_t ci,
                              const struct rs_event *ev, int32_t score);
void rs_backtest_book_payment(struct rs_backtest *bt,
                              struct rs_backtest_map *invoices, size_t ci,
                              const struct rs_event *ev);

/* After the run: every invoice's outcome and days late, the naive
 * baseline of each scored invoice, the label baselines. */
void rs_backtest_settle(struct rs_backtest *bt);

#endif
