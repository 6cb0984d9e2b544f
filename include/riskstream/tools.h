/* Small operator tools behind riskstream's subcommands: create the topics,
 * produce the built-in sample events, print records of topics, print
 * customers' state from Redis.
 *
 * Each returns 0 on success or -1 with errstr naming what failed and why.
 * They own every client they create and destroy it before returning. */
#ifndef RS_TOOLS_H
#define RS_TOOLS_H

#include <stddef.h>
#include <stdio.h>

#include "riskstream/config.h"
#include "riskstream/registry.h"

/* Creates the four input topics and the alerts and dead-letter topics with
 * topic.partitions partitions; existing topics with that count are fine. */
int rs_tools_topics(const struct rs_config *conf, char *errstr,
                    size_t errstr_size);

/* Produces the built-in sample events (two customers, a few of each kind)
 * to the input topics, Avro in Confluent framing, keyed by customer id.
 * *produced is set to the number of records the broker acknowledged. */
int rs_tools_sample(const struct rs_config *conf,
                    const struct rs_registry *reg, size_t *produced,
                    char *errstr, size_t errstr_size);

/* Prints the records of the topics (from their start) as JSON lines on out
 * until max records were printed or no record came for idle_ms.
 * *printed is set to the number of records printed; undecodable ones are
 * reported on stderr with the reason and counted in *undecodable. */
int rs_tools_tail(const struct rs_config *conf, const struct rs_registry *reg,
                  const char *const *topics, size_t topic_count, long max,
                  int idle_ms, FILE *out, size_t *printed, size_t *undecodable,
                  char *errstr, size_t errstr_size);

/* Prints each customer's state in Redis as one JSON line on out: its task
 * (its partition under riskstream's partitioner, out of tasks partitions;
 * tasks 0: as many as topic.invoices has by the broker, else
 * topic.partitions with a warning on stderr), the
 * readable summary as redis.summary writes it (rs_summary_json), when it
 * was last evaluated, its open invoices and its next timer. Reads only: a
 * running processor is not disturbed (no epoch is taken). A customer not
 * in Redis is reported on stderr, naming the key looked at, and counted in
 * *missing; the others are still printed. -1 with errstr if Redis cannot
 * be read or a state cannot be decoded. */
int rs_tools_state(const struct rs_config *conf, int tasks,
                   const char *const *ids, size_t count, FILE *out,
                   size_t *missing, char *errstr, size_t errstr_size);

#endif
