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

/* Builds a fresh configuration from the same sources as the first (for a
 * reload); returns NULL with errstr when the sources are now invalid. */
typedef struct rs_config *(*rs_config_loader)(void *opaque, char *errstr,
                                              size_t errstr_size);

/* What the process's signal handlers set. */
struct rs_runner_signals {
    volatile sig_atomic_t *stop;   /* SIGTERM, SIGINT: finish and exit */
    volatile sig_atomic_t *reload; /* SIGHUP: reload the configuration */
    rs_config_loader load;         /* how to reload it */
    void *opaque;
};

/* Runs until *stop becomes non-zero or a fatal error. On *reload it reads
 * the configuration again and applies what can change while running
 * (detector parameters, segment profiles, score.*, log.level,
 * commit.interval.ms, lateness.ms); other changed keys are reported as
 * needing a restart and keep their values; state is untouched. Returns 0
 * after a clean shutdown (everything flushed and committed), -1 with errstr
 * otherwise. */
int rs_runner_run(struct rs_runner *r, const struct rs_runner_signals *sig,
                  char *errstr, size_t errstr_size);

void rs_runner_destroy(struct rs_runner *r);

#endif
