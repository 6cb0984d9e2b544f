/* A seeded, reproducible generator of input event streams for tests:
 * customers with different payment habits (prompt, slow, deteriorating,
 * partial payers), invoices every few weeks, payments, reminders, promises
 * and bureau score updates, in global event-time order. */
#ifndef RS_TEST_GENERATE_H
#define RS_TEST_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/event.h"

struct rs_gen_event {
    int64_t time;
    enum rs_event_kind kind;
    char customer[32];
    char fields[480]; /* "field=value ..." for rs_pipe_produce */
};

/* Generates the stream of `customers` customers over `days` days from
 * 2025-01-01; returns a heap array sorted by event time (caller frees) and
 * its length in *count. Same seed, same stream. */
struct rs_gen_event *rs_gen_stream(uint64_t seed, int customers, int days,
                                   size_t *count);

struct rs_pipe;

/* Produces a generated stream to a pipeline's input topics in event-time
 * order, spread evenly over about `seconds` (run it in a thread while
 * riskstream consumes). */
struct rs_gen_producer {
    struct rs_pipe *pipe;
    const struct rs_gen_event *ev;
    size_t count;
    int seconds;
};

/* A pthread start routine: arg is a struct rs_gen_producer. */
void *rs_gen_produce_paced(void *arg);

#endif
