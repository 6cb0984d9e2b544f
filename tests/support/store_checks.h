/* Behaviour checks shared by the state stores' tests: the same table of
 * cmocka tests runs against the memory store (tests/unit/test_store_memory.c)
 * and the Redis store (tests/integration/test_store_redis.c), so the two
 * implementations cannot drift apart.
 *
 * Each check gets a fresh, empty store from the backend's make() and
 * observes it only through struct rs_store (open, load, timers, flush). */
#ifndef RS_TEST_STORE_CHECKS_H
#define RS_TEST_STORE_CHECKS_H

#include "support.h"

#include "riskstream/store.h"

struct rs_store_backend {
    const char *name; /* in test names: test_store_<name>_<check> */
    /* A fresh, empty store; fails the test when it cannot make one. */
    struct rs_store *(*make)(void);
    /* Optional: called after each check's store was destroyed (the Redis
     * tests delete the check's keys). */
    void (*finish)(void);
};

#define RS_STORE_CHECKS_MAX 32

/* Writes one test per shared check into tests (room for
 * RS_STORE_CHECKS_MAX); returns how many. b must outlive the run. Names
 * live in static storage: one backend per process. */
size_t rs_store_checks(const struct rs_store_backend *b,
                       struct CMUnitTest *tests);

/* Helpers for backend-specific tests. */

/* rs_store_open_task() that fails the test unless it returns RS_STORE_OK. */
void rs_check_open(struct rs_store *s, int task, struct rs_task_meta *meta);

/* Asserts that the customer's packed state is exactly these bytes, or
 * (bytes == NULL) that the customer is not stored. */
void rs_check_load(struct rs_store *s, int task, const char *customer,
                   const void *bytes, size_t len);

/* A flush with customers and outbox records to fill in; offsets
 * 10,20,30,40 and stream time 1000 unless changed. */
struct rs_check_flush {
    struct rs_flush f;
    struct rs_flush_customer customers[16];
    struct rs_outbox_entry outbox[8];
};

void rs_check_flush_init(struct rs_check_flush *cf, uint64_t epoch);
/* Adds a customer whose packed state is the given bytes. */
void rs_check_flush_customer(struct rs_check_flush *cf, const char *id,
                             const void *packed, size_t len,
                             int64_t next_timer);
void rs_check_flush_record(struct rs_check_flush *cf, enum rs_outbox_topic t,
                           const char *key, const char *value);

/* The timers found by one rs_store_timers() call, as "at:id" words
 * separated by spaces (bytes outside printable ASCII as \xNN). */
long rs_check_timers(struct rs_store *s, int task, int64_t from, int64_t to,
                     long max, char *out, size_t size);

#endif
