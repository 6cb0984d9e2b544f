/* The daemon: Kafka consumer group in, engine tasks, Redis state, alerts
 * and dead letters out, exactly once.
 *
 * One thread runs the loop: poll the consumer, decode and queue records per
 * task, let each task's orderer hand the engine its next record, and every
 * commit interval flush each changed task to Redis (atomically, fenced) and
 * then commit one Kafka transaction with the flushed alerts, dead letters
 * and input offsets. Rebalances flush and commit before giving tasks up,
 * and recover each task they get (see docs/architecture.md).
 *
 * Ownership: rs_runner_new() borrows conf, which must outlive the runner. */
#ifndef RS_RUNNER_H
#define RS_RUNNER_H

#include <signal.h>
#include <stddef.h>

#include "riskstream/config.h"

struct rs_runner;

struct rs_runner *rs_runner_new(const struct rs_config *conf, char *errstr,
                                size_t errstr_size);

/* Runs until *stop becomes non-zero (a signal handler sets it) or a fatal
 * error. Returns 0 after a clean shutdown (everything flushed and
 * committed, group left), -1 with errstr otherwise. */
int rs_runner_run(struct rs_runner *r, volatile sig_atomic_t *stop,
                  char *errstr, size_t errstr_size);

void rs_runner_destroy(struct rs_runner *r);

#endif
